#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/run-bench.sh's guest half: set up the netdevsim pair for
# measuring (bench_setup), then per MTU, with the receiving port's hardware
# GRO off, on, and on with zcrx receiving into 64 KiB buffers of a huge-page
# area (large), check that every mode delivers the sender's bytes (a short
# verified pass) and run zcrx-bench's timed rounds, writing its JSON to
# OUT/bench-MTU.json (OUT/bench-MTU-hw-gro.json with hardware GRO,
# OUT/bench-MTU-hw-gro-64k.json with large buffers). Progress goes to stdout.
#
# Environment: BENCH_OUT (default: the VM run directory), BENCH_MTUS
# ("1500 9000"), BENCH_HW_GRO ("off on large"), BENCH_ROUNDS (5), BENCH_SIZE (1G),
# BENCH_MODES (epoll,uring,zcrx,trunc), BENCH_VERIFY (1: verify the timed
# runs too), BENCH_CHECK_SIZE (32M per mode for the verified pass; 0 skips
# it), ZCRX_BIN (the tools; run-bench.sh passes its optimised build).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
source "$top/selftests/lib/nsim.sh"
source "$top/scripts/vm/bench-lib.sh"

bin=${ZCRX_BIN:-$top/build/meson/userspace/tools}
out=${BENCH_OUT:-${ZCRX_RUN_DIR:?not in the VM and no BENCH_OUT}}
mtus=${BENCH_MTUS:-1500 9000}
gros=${BENCH_HW_GRO:-off on large}
rounds=${BENCH_ROUNDS:-5}
size=${BENCH_SIZE:-1G}
modes=${BENCH_MODES:-epoll,uring,zcrx,trunc}
check_size=${BENCH_CHECK_SIZE:-32M}
verify=()
[ "${BENCH_VERIFY:-0}" = 0 ] || verify=(--verify)

trap nsim_pair_cleanup EXIT

# measure MTU off|on|large: the verified pass and the timed rounds.
measure() {
	local mtu=$1 gro=$2 name=bench-$1 what="MTU $1" large=()

	[ "$gro" = off ] || { name+=-hw-gro what+=", hardware GRO"; }
	if [ "$gro" = large ]; then
		name+=-64k what+=", 64K buffers"
		large=(--huge-pages --rx-buf-len 64K)
		bench_huge_pages
		gro=on
	fi
	bench_hw_gro "$gro"
	if [ "$check_size" != 0 ]; then
		echo "== $what: every mode delivers the bytes sent ($check_size each, verified)"
		bench_run "$bin" --modes "$modes" --rounds 1 --size "$check_size" \
			--verify --quiet "${large[@]}" >/dev/null
	fi
	echo "== $what: $rounds rounds of $size per mode"
	bench_run "$bin" --modes "$modes" --rounds "$rounds" --size "$size" \
		"${verify[@]}" "${large[@]}" --json >"$out/$name.json.tmp"
	mv "$out/$name.json.tmp" "$out/$name.json"
}

main() {
	local mtu gro

	echo "== set-up: netdevsim pair, zcrx-nic apply on $BENCH_PORT, threaded NAPI pinned"
	bench_setup "$bin"
	for mtu in $mtus; do
		nsim_mtu "$mtu"
		for gro in $gros; do
			measure "$mtu" "$gro"
		done
	done
}

main
