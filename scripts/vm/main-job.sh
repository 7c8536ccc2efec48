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
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
source "$top/selftests/lib/nsim.sh"
source "$top/scripts/vm/bench-lib.sh"

bin=${ZCRX_BIN:-$top/build/meson/userspace/tools}
size=$((${SIZE_MB:-1024} << 20))
port=5301
queue=1
recv_pid=
out=$(mktemp -d)
# The side-by-side: rounds of this many MiB per receive mode.
cmp_rounds=3
cmp_mb=$((${SIZE_MB:-1024} < 256 ? ${SIZE_MB:-1024} : 256))
BENCH_PORT=$port
BENCH_QUEUE=$queue

cleanup() {
	[ -z "$recv_pid" ] || kill "$recv_pid" 2>/dev/null || true
	nsim_pair_cleanup
	rm -rf "$out"
}
trap cleanup EXIT

stat_of() { # stat_of REGEX: sum of the receiving port's ethtool -S lines
	nsim_ethtool_sum "$NSIM_NS_B" "$NSIM_DEV_B" "$1"
}

nsim_pair_setup 2
echo "== NIC set-up (zcrx-nic apply, in $NSIM_NS_B)"
ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" apply "$NSIM_DEV_B" --queue "$queue" --port "$port"

q_before=$(stat_of "^rx${queue}_bytes:")
all_before=$(stat_of '^rx[0-9]+_bytes:')
drops_before=$(stat_of '^rx[0-9]+_no_buf_drops:')

echo "== zcrx-send ($NSIM_NS_A) -> zcrx-recv ($NSIM_NS_B, $NSIM_DEV_B queue $queue): $((size >> 20)) MiB, verified"
ip netns exec "$NSIM_NS_B" "$bin/zcrx-recv" --ifname "$NSIM_DEV_B" --queue "$queue" \
	--area-size 64M --verify --expect-bytes "$size" :: "$port" >"$out/recv" 2>&1 &
recv_pid=$!
nsim_wait_listen "$NSIM_NS_B" "$port"
ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size "$size" "$NSIM_IP4_B" "$port"
rc=0
wait "$recv_pid" || rc=$?
recv_pid=
cat "$out/recv"

q=$(($(stat_of "^rx${queue}_bytes:") - q_before))
all=$(($(stat_of '^rx[0-9]+_bytes:') - all_before))
drops=$(($(stat_of '^rx[0-9]+_no_buf_drops:') - drops_before))
echo "== NIC: $all bytes received, $q of them on zero-copy queue $queue (headers included); no-buffer drops: $drops"
if [ "$rc" -ne 0 ]; then
	echo "FAILED: zcrx-recv exited $rc"
	exit "$rc"
fi
echo "== verified zero-copy receive of $((size >> 20)) MiB (TCG emulation: absolute rates say little)"

echo "== zcrx beside a copying receive (epoll + recv), same boot: $cmp_rounds rounds of $cmp_mb MiB each, one flow, pinned"
bench_pin
bench_run "$bin" --modes epoll,zcrx --rounds "$cmp_rounds" --size "${cmp_mb}M"
