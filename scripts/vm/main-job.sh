#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job's guest half: set up the netdevsim pair and the receiving
# port's queue for zero-copy receive with zcrx-nic, stream SIZE_MB MiB of a
# verifiable pattern from zcrx-send to zcrx-recv, and say how it went: the
# bytes, the throughput, how much of it arrived in place and how much by
# copy fallback, and what the NIC counted. Then put zcrx beside a copying
# receive (epoll + recv) in the same boot: a few short rounds of zcrx-bench,
# pinned as the benchmark is (scripts/vm/bench-lib.sh).
#
# What it saw goes to MAIN_OUT (default: the VM run's directory, main/) as
# the tools' JSON and the NIC's counters; scripts/main-report.py reads them
# back, here to print them and on the host for results.json and the chart.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
source "$top/selftests/lib/nsim.sh"
source "$top/scripts/vm/bench-lib.sh"

bin=${ZCRX_BIN:-$top/build/meson/userspace/tools}
size=$((${SIZE_MB:-1024} << 20))
port=5301
queue=1
recv_pid=
res=${MAIN_OUT:-${ZCRX_RUN_DIR:?not in the VM and no MAIN_OUT}/main}
report=$top/scripts/main-report.py
# The side-by-side: rounds of this many MiB per receive mode.
cmp_rounds=${CMP_ROUNDS:-3}
cmp_mb=$((${SIZE_MB:-1024} < 256 ? ${SIZE_MB:-1024} : 256))
BENCH_PORT=$port
BENCH_QUEUE=$queue

cleanup() {
	[ -z "$recv_pid" ] || kill "$recv_pid" 2>/dev/null || true
	nsim_pair_cleanup
}
trap cleanup EXIT

nic_stats() { # nic_stats FILE: the receiving port's ethtool -S
	ip netns exec "$NSIM_NS_B" ethtool -S "$NSIM_DEV_B" >"$1"
}

mkdir -p "$res"
rm -f "$res"/{job,recv,bench}.json "$res"/nic-{before,after}.txt
printf '{"version": 1, "size": %d, "queue": %d, "port": %d, "kernel": "%s", "cpus": %d, "accel": "%s"}\n' \
	"$size" "$queue" "$port" "$(uname -r)" "$(nproc)" "${ZCRX_VM_ACCEL:-none}" >"$res/job.json"

nsim_pair_setup 2
echo "== NIC set-up (zcrx-nic apply, in $NSIM_NS_B)"
ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" apply "$NSIM_DEV_B" --queue "$queue" --port "$port"

nic_stats "$res/nic-before.txt"
echo "== zcrx-send ($NSIM_NS_A) -> zcrx-recv ($NSIM_NS_B, $NSIM_DEV_B queue $queue): $((size >> 20)) MiB, verified"
ip netns exec "$NSIM_NS_B" "$bin/zcrx-recv" --ifname "$NSIM_DEV_B" --queue "$queue" \
	--area-size 64M --verify --expect-bytes "$size" --json :: "$port" >"$res/recv.json" &
recv_pid=$!
rc=0
# A receiver that fails to set up exits (its JSON says why): no sender then.
if nsim_wait_listen "$NSIM_NS_B" "$port" "$recv_pid"; then
	ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size "$size" "$NSIM_IP4_B" "$port" || rc=$?
fi
wait "$recv_pid" || rc=$?
recv_pid=
nic_stats "$res/nic-after.txt"
python3 "$report" transfer "$res" || { [ "$rc" -ne 0 ] || rc=1; }
if [ "$rc" -ne 0 ]; then
	echo "FAILED: the verified transfer did not complete (status $rc)"
	exit "$rc"
fi
note=
[ "${ZCRX_VM_ACCEL:-}" != tcg ] || note=" (TCG emulation: absolute rates say little)"
echo "== verified zero-copy receive of $((size >> 20)) MiB$note"

echo "== zcrx beside a copying receive (epoll + recv), same boot: $cmp_rounds rounds of $cmp_mb MiB each, one flow, pinned"
bench_pin
bench_run "$bin" --modes epoll,zcrx --rounds "$cmp_rounds" --size "${cmp_mb}M" --json \
	>"$res/bench.json" || rc=$?
python3 "$report" compare "$res" || { [ "$rc" -ne 0 ] || rc=1; }
exit "$rc"
