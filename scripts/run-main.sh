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
receive across the netdevsim pair in the guest, verified byte by byte,
then puts zcrx beside a copying receive. Results (results.json) and a
chart (chart.svg) go to build/main/RUN (build/main/latest is the newest).
USAGE
}

size_mb=1024
case "${1:-}" in
'') ;;
-h | --help) print_usage; exit 0 ;;
*[!0-9]* | 0*) print_usage >&2; exit 2 ;;
*) size_mb=$1 ;;
esac

main() {
	local start=$SECONDS rc=

	ensure_packages $ZCRX_PKGS_KERNEL $ZCRX_PKGS_VM $ZCRX_PKGS_GUEST $ZCRX_PKGS_USER \
		$ZCRX_PKGS_BENCH
	build_perf_vm
	info "booting the patched kernel and receiving $size_mb MiB with zero copy"
	rm -f "$ZCRX_BUILD/vm/last" # report() must not find an earlier run's
	"$ZCRX_TOP/scripts/vm-run.sh" -k perf -t 1800 -- \
		"echo \"guest kernel: \$(uname -r) (\$(uname -v))\";
		 echo \"guest CPUs: \$(nproc), accelerator: \$ZCRX_VM_ACCEL\";
		 SIZE_MB=$size_mb ZCRX_BIN='$ZCRX_PERF_BIN' '$ZCRX_TOP/scripts/vm/main-job.sh'" ||
		rc=$?
	# What the guest saw is kept and drawn also when a step failed.
	report "$(readlink -f "$ZCRX_BUILD/vm/last")" || rc=${rc:-1}
	info "done in $((SECONDS - start)) s; console log: $ZCRX_BUILD/vm/last/console.log"
	[ -z "${rc:-}" ] || die "the main job failed (status $rc); see above"
}

# report RUN_DIR: the guest's results into build/main/<run>, with
# results.json and the chart drawn from them.
report() {
	local run=$1 dir

	dir=$ZCRX_BUILD/main/$(basename "$run")
	[ -f "$run/main/recv.json" ] || { info "error: the guest wrote no results into $run/main"; return 1; }
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$run"/main/* "$dir"/
	ln -sfn "$dir" "$ZCRX_BUILD/main/latest"
	python3 "$ZCRX_TOP/scripts/main-report.py" results "$dir" ||
		{ info "error: no results.json from the guest's results in $dir"; return 1; }
	(cd "$dir" && gnuplot chart.gp) >"$dir/gnuplot.log" 2>&1 ||
		{ info "error: gnuplot could not draw the chart; see $dir/gnuplot.log"; return 1; }
	info "results: $dir/results.json; chart: $dir/chart.svg"
}

main
