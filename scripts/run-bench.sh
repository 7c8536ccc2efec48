#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark: build the perf kernel and the tools, boot the kernel, and
# run zcrx-bench across the netdevsim pair in the guest: every receive mode
# (epoll+recv, io_uring recv, zcrx, MSG_TRUNC) side by side in alternating
# rounds, at each MTU, with the receiving NIC's hardware GRO off and on,
# and on with zcrx receiving into 64 KiB buffers (rx_buf_len), pinned as ../shared/DESIGN.md §8 says. Prints a table (or, with --json,
# one JSON object) and draws a chart.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

print_usage() {
	cat <<USAGE
usage: $PROG [--rounds N] [--size SIZE] [--mtus "1500 9000"] [--modes LIST]
              [--hw-gro "off on large"] [--verify] [--json] [--timeout SECONDS]

  --rounds N        rounds; each runs every mode once (default 5)
  --size SIZE       bytes per run, with a K/M/G suffix (default 1G)
  --mtus LIST       MTUs to measure at, in this order (default "1500 9000")
  --modes LIST      zcrx-bench modes (default epoll,uring,zcrx,trunc)
  --hw-gro LIST     the receiving port's hardware GRO (rx-gro-hw) settings
                    to measure each MTU with: off, on, and large (on, and
                    zcrx's area of huge pages cut into 64 KiB buffers with
                    rx_buf_len) (default "off on large")
  --verify          verify every byte of the timed runs too (slower; a
                    short verified pass of every mode runs first anyway)
  --json            print one JSON object instead of the table: per MTU
                    ("1500", ..., "1500-hw-gro" with hardware GRO,
                    "1500-hw-gro-64k" with large buffers too)
                    "modes" (medians, spreads) and "ratios"
  --timeout SECONDS give up on the guest after this long (default 3600)

Results, the table (text and Markdown) and chart.svg go to
build/bench/RUN (build/bench/latest is the newest). The guest runs under
TCG unless KVM works: absolute figures are the emulator's, and the ratios
measured in one run are the result.
USAGE
}

rounds=5
size=1G
mtus="1500 9000"
modes=epoll,uring,zcrx,trunc
hw_gro="off on large"
verify=0
json=0
timeout_s=3600

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--rounds | --size | --mtus | --modes | --hw-gro | --timeout)
			[ $# -ge 2 ] || { eprintf '%s: %s needs a value\n' "$PROG" "$1"; exit 2; }
			case "$1" in
			--rounds) rounds=$2 ;;
			--size) size=$2 ;;
			--mtus) mtus=$2 ;;
			--modes) modes=$2 ;;
			--hw-gro) hw_gro=$2 ;;
			--timeout) timeout_s=$2 ;;
			esac
			shift
			;;
		--verify) verify=1 ;;
		--json) json=1 ;;
		-h | --help) print_usage; exit 0 ;;
		*) print_usage >&2; exit 2 ;;
		esac
		shift
	done
	case "$rounds" in '' | *[!0-9]* | 0) die "--rounds wants a positive count, got '$rounds'" ;; esac
	case "$timeout_s" in '' | *[!0-9]*) die "--timeout wants seconds, got '$timeout_s'" ;; esac
	[[ $size =~ ^[0-9]+[KMGkmg]?$ ]] || die "--size wants a byte count like 512M, got '$size'"
	[[ $mtus =~ ^[0-9]+( [0-9]+)*$ ]] || die "--mtus wants MTUs like \"1500 9000\", got '$mtus'"
	[[ $modes =~ ^[a-z]+(,[a-z]+)*$ ]] || die "--modes wants a list like epoll,zcrx, got '$modes'"
	[[ $hw_gro =~ ^(on|off|large)( (on|off|large))*$ ]] ||
		die "--hw-gro wants a list of off, on and large, like \"off on large\", got '$hw_gro'"
}

# run_guest: the benchmark in the VM; prints the run directory.
run_guest() {
	local cmd run

	cmd=$(printf 'BENCH_ROUNDS=%q BENCH_SIZE=%q BENCH_MTUS=%q BENCH_HW_GRO=%q BENCH_MODES=%q BENCH_VERIFY=%q ZCRX_BIN=%q %q' \
		"$rounds" "$size" "$mtus" "$hw_gro" "$modes" "$verify" "$ZCRX_PERF_BIN" \
		"$ZCRX_TOP/scripts/vm/bench-job.sh")
	info "booting the perf kernel: $rounds rounds of $size per mode, MTU ${mtus// /, }, hardware GRO ${hw_gro// /, }"
	"$ZCRX_TOP/scripts/vm-run.sh" -k perf -t "$timeout_s" -- "$cmd" >&2 ||
		die "the benchmark failed in the guest; see $ZCRX_BUILD/vm/last/output.log"
	run=$(readlink -f "$ZCRX_BUILD/vm/last")
	printf '%s\n' "$run"
}

# report RUN_DIR: results, tables and chart into build/bench/<run>.
report() {
	local run=$1 dir

	dir=$ZCRX_BUILD/bench/$(basename "$run")
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$run"/bench-*.json "$dir"/ 2>/dev/null ||
		die "the guest wrote no results into $run"
	python3 "$ZCRX_TOP/scripts/bench-report.py" "$dir"
	# shellcheck disable=SC2086 # a list of package names
	ensure_packages $ZCRX_PKGS_BENCH
	(cd "$dir" && gnuplot chart.gp) >"$dir/gnuplot.log" 2>&1 ||
		die "gnuplot could not draw the chart; see $dir/gnuplot.log"
	ln -sfn "$dir" "$ZCRX_BUILD/bench/latest"
	printf '%s\n' "$dir"
}

main() {
	local start=$SECONDS run dir

	parse_args "$@"
	# shellcheck disable=SC2086 # lists of package names
	ensure_packages $ZCRX_PKGS_KERNEL $ZCRX_PKGS_VM $ZCRX_PKGS_GUEST $ZCRX_PKGS_USER
	build_perf_vm >&2
	run=$(run_guest)
	dir=$(report "$run")
	if [ "$json" -eq 1 ]; then
		cat "$dir/results.json"
	else
		cat "$dir/table.txt"
		echo "chart: $dir/chart.svg; Markdown table: $dir/table.md"
	fi
	info "done in $((SECONDS - start)) s; results in $dir"
	python3 -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["ok"] else 1)' \
		"$dir/results.json" || die "some runs lost or changed data; see $dir/results.json"
}

main "$@"
