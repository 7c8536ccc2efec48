#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job: build the patched kernel (perf variant) and the tools, boot
# the kernel in QEMU, and stream a verified transfer through io_uring
# zero-copy receive across the netdevsim pair inside it (zcrx-send ->
# zcrx-recv), then print what happened.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

print_usage() {
	cat <<USAGE
usage: $PROG [SIZE_MB]

Builds the patched kernel (perf variant) and the userspace tools, boots
the kernel and receives SIZE_MB (default 1024) MiB with io_uring zero-copy
receive across the netdevsim pair in the guest, verified byte by byte.
USAGE
}

size_mb=1024
case "${1:-}" in
'') ;;
-h | --help) print_usage; exit 0 ;;
*[!0-9]*) print_usage >&2; exit 2 ;;
*) size_mb=$1 ;;
esac

main() {
	local start=$SECONDS

	ensure_packages $ZCRX_PKGS_KERNEL $ZCRX_PKGS_VM $ZCRX_PKGS_GUEST $ZCRX_PKGS_USER
	build_perf_vm
	info "booting the patched kernel and receiving $size_mb MiB with zero copy"
	"$ZCRX_TOP/scripts/vm-run.sh" -k perf -t 1800 -- \
		"echo \"guest kernel: \$(uname -r) (\$(uname -v))\";
		 echo \"guest CPUs: \$(nproc), accelerator: \$ZCRX_VM_ACCEL\";
		 SIZE_MB=$size_mb ZCRX_BIN='$ZCRX_PERF_BIN' '$ZCRX_TOP/scripts/vm/main-job.sh'"
	info "done in $((SECONDS - start)) s; console log: $ZCRX_BUILD/vm/last/console.log"
}

main
