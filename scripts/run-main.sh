#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job: build the patched kernel (perf variant), boot it in QEMU
# and stream data across the netdevsim pair inside it, then print what
# happened.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

print_usage() {
	cat <<USAGE
usage: $PROG [SIZE_MB]

Builds the patched kernel (perf variant), boots it and sends SIZE_MB
(default 256) MiB across the netdevsim pair in the guest, verified.
USAGE
}

size_mb=256
case "${1:-}" in
'') ;;
-h | --help) print_usage; exit 0 ;;
*[!0-9]*) print_usage >&2; exit 2 ;;
*) size_mb=$1 ;;
esac

main() {
	local start=$SECONDS

	ensure_packages $ZCRX_PKGS_KERNEL $ZCRX_PKGS_VM $ZCRX_PKGS_GUEST
	"$ZCRX_TOP/scripts/get-base.sh"
	"$ZCRX_TOP/scripts/apply-series.sh"
	"$ZCRX_TOP/scripts/build-kernel.sh" perf
	info "booting the patched kernel and streaming $size_mb MiB"
	"$ZCRX_TOP/scripts/vm-run.sh" -k perf -t 1200 -- \
		"echo \"guest kernel: \$(uname -r) (\$(uname -v))\";
		 echo \"guest CPUs: \$(nproc), accelerator: \$ZCRX_VM_ACCEL\";
		 SIZE_MB=$size_mb '$ZCRX_TOP/selftests/vm/netdevsim-traffic.sh'"
	info "done in $((SECONDS - start)) s; console log: $ZCRX_BUILD/vm/last/console.log"
}

main
