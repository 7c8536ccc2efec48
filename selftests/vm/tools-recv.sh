#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# zcrx-recv end to end over the standard netdevsim pair: zcrx-send (and
# socat) in the first namespace send to zcrx-recv in the second, which
# receives with io_uring zero-copy receive on the queue zcrx-nic dedicated to
# the port. Verified transfers (1 byte, a few MiB over IPv4 and IPv6, several
# connections, both refill-region kinds, a dma-buf area, a second ring that
# imported the queue, two queues on one ring, an area of huge pages, the NIC
# coalescing segments with hardware GRO), socat as the sender checked by
# cksum, a stream not steered to the queue (copy fallback), a peer that closes
# early, a tiny area with a fast and with a slow consumer (--hold: the kernel
# runs short of buffers, the NIC drops, the copy path hits ENOMEM), and the
# errors zcrx-recv promises: ENODEV, ERANGE, EPERM without CAP_NET_ADMIN,
# EEXIST for a queue in use, EINVAL with header split off, usage errors;
# and zcrx-nic show (and the kernel's YNL CLI) naming io_uring as the
# provider of the queue exactly while a receiver holds it. Device-less
# (zcrx-recv --nodev, ZCRX_REG_NODEV): no NIC set-up, a verified stream over
# loopback and over the netdevsim link, every byte by copy; an area far
# smaller than the stream, whose buffers the refill ring recycles; buffers
# of several plain pages; and the uses it refuses. Events and statistics
# (Linux 7.2): the kernel's copy counts match the stream, the copy fallback
# is reported with its cause (device-less, not steered, or in place), and
# a tiny area runs out of buffers; with ZCRX_CTRL_ADD_AREA (7.3), --grow
# adds areas when it does.
# TAP on stdout; exits 4 (skip) if the kernel or device lacks zcrx.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=stream.sh
source "$here/lib/stream.sh"

SIZE_MB=${SIZE_MB:-2}
PORT=${PORT:-5301}       # steered to ZC_QUEUE by zcrx-nic apply
PORT_FB=${PORT_FB:-5302} # not steered: RSS sends it to the other queue
PORT2=${PORT2:-5303}     # steered to queue 0 for the two-queue receive
PORT_NODEV=${PORT_NODEV:-5304} # zcrx-recv --nodev: no queue, no rule
ZC_QUEUE=1
# The tiny area: 512 buffers of 4K, less than netdevsim's ring (256) and page
# pool cache can take plus what is in flight; each transfer fills it over.
TINY_ARGS=(--area-size 2M --rq-entries 64)
TINY_MB=${TINY_MB:-2}
HOLD=${HOLD:-448} # the slow consumer keeps 448 of the 512 buffers back
tmp=$(mktemp -d)
recv_pid=

cleanup() {
	[ -n "$recv_pid" ] && kill "$recv_pid" 2>/dev/null
	[ -n "$NSIM_DEV_B" ] &&
		ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" undo "$NSIM_DEV_B" >/dev/null 2>&1
	nsim_pair_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

# rearms: the re-arm total of the last text report of zcrx-recv.
rearms() {
	sed -n 's/^total: .*, \([0-9]*\) re-arms,.*/\1/p' "$tmp/recv.out"
}

several_json() {
	send_verified 1M 3 "$NSIM_IP4_B" "$PORT" --json || return
	json_holds "r['version'] == 1 and r['ok']" "len(r['connections']) == 3" \
		"all(c['verified'] and c['bytes'] == 1 << 20 for c in r['connections'])"
}

# refill_flushed: zcrx-recv flushes the refill ring at the end of a run
# (ZCRX_CTRL_FLUSH_RQ), after which the kernel has read every entry it was
# given: with a tiny area, the last returns would otherwise stay unread.
refill_flushed() {
	send_verified 1M 1 "$NSIM_IP4_B" "$PORT" "${TINY_ARGS[@]}" --json || return
	json_holds "r['refill'] == {'flushed': True, 'unread': 0}"
}

# bench_smoke: zcrx-bench (the main job's comparison) runs one round of
# 2 MiB in each of epoll+recv and zcrx on the steered queue: its JSON says
# version 1, ok, both modes measured and verified, zcrx in place.
bench_smoke() {
	ip netns exec "$NSIM_NS_B" timeout 300 "$bin/zcrx-bench" --ifname "$NSIM_DEV_B" \
		--queue "$ZC_QUEUE" --sender-netns "/run/netns/$NSIM_NS_A" --modes epoll,zcrx \
		--rounds 1 --size 2M --verify --quiet --json "$NSIM_IP4_B" "$PORT" \
		>"$tmp/bench.json" 2>"$tmp/bench.err" || { sed 's/^/# /' "$tmp/bench.err"; return 1; }
	python3 - "$tmp/bench.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["samples"]
print(f"# modes {list(r['modes'])}, ratios {r['ratios']}")
checks = {
    "version 1, ok": r["version"] == 1 and r["ok"] is True,
    "one verified sample per mode": sorted(x["mode"] for x in s) == ["epoll", "zcrx"]
        and all(x["verified"] is True and x["bytes"] == 2 << 20 for x in s),
    "zcrx in place": r["modes"]["zcrx"]["zero_copy_percent"] >= 95,
}
for what, ok in checks.items():
    if not ok:
        print(f"# failed: {what}")
sys.exit(0 if all(checks.values()) else 1)
PY
}

# shared_ring: a stream received on a second ring that imported the queue
# (ZCRX_CTRL_EXPORT, ZCRX_REG_IMPORT), steered and in place.
shared_ring() {
	steered $((SIZE_MB << 20)) --shared-ring || return
	grep -q '^shared ring: received on a second ring' "$tmp/recv.out" ||
		{ tap_diag "zcrx-recv did not say it received on the importing ring"; return 1; }
}

# two_queues: one zcrx-recv, one ring, two interface queues: PORT steered to
# ZC_QUEUE (zcrx-nic apply), PORT2 to queue 0 (a rule of our own, removed
# after); a verified stream on each port lands on its own queue, in place.
two_queues() {
	local out loc port q0 q1 size=$((SIZE_MB << 20)) rc=0

	out=$(ip netns exec "$NSIM_NS_B" ethtool -N "$NSIM_DEV_B" flow-type tcp4 \
		dst-port "$PORT2" action 0 2>&1) || { tap_diag "ethtool -N: $out"; return 1; }
	loc=${out##* }
	q0=$(queue_bytes 0)
	q1=$(queue_bytes "$ZC_QUEUE")
	timeout 300 ip netns exec "$NSIM_NS_B" "$bin/zcrx-recv" --ifname "$NSIM_DEV_B" \
		--queue "$ZC_QUEUE,0" --verify --expect-bytes "$size" :: "$PORT,$PORT2" \
		>"$tmp/recv.out" 2>"$tmp/recv.err" &
	recv_pid=$!
	if nsim_wait_listen "$NSIM_NS_B" "$PORT" "$recv_pid" &&
		nsim_wait_listen "$NSIM_NS_B" "$PORT2" "$recv_pid"; then
		for port in "$PORT" "$PORT2"; do
			timeout 300 ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size "$size" \
				"$NSIM_IP4_B" "$port" | sed 's/^/# send: /'
			[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
		done
	else
		kill "$recv_pid" 2>/dev/null
		rc=1
	fi
	recv_wait || rc=1
	ip netns exec "$NSIM_NS_B" ethtool -N "$NSIM_DEV_B" delete "$loc" || rc=1
	[ "$rc" -eq 0 ] || return 1
	if [ $(($(queue_bytes 0) - q0)) -lt "$size" ] ||
		[ $(($(queue_bytes "$ZC_QUEUE") - q1)) -lt "$size" ]; then
		tap_diag "the streams did not land on queues 0 and $ZC_QUEUE"
		return 1
	fi
	if ! grep -q "queue $ZC_QUEUE$" "$tmp/recv.out" || ! grep -q "queue 0$" "$tmp/recv.out"; then
		tap_diag "zcrx-recv did not name both queues"
		return 1
	fi
	placement zc
}

# upstream_compat: zcrx-compat, C built against upstream 6.19's uAPI layouts
# instead of this tree's headers, gets 6.19's answers from query,
# registration, flush, export and import on the zero-copy queue.
upstream_compat() {
	local ifindex out rc

	[ -x "$bin/zcrx-compat" ] || { tap_diag "zcrx-compat not built in $bin"; return 1; }
	ifindex=$(ip netns exec "$NSIM_NS_B" cat "/sys/class/net/$NSIM_DEV_B/ifindex") || return
	out=$(ip netns exec "$NSIM_NS_B" "$bin/zcrx-compat" "$ifindex" "$ZC_QUEUE" 2>&1) &&
		rc=0 || rc=$?
	tap_diag "$out"
	return "$rc"
}

socat_cksum() {
	local size=$((SIZE_MB << 20)) sum

	head -c "$size" /dev/urandom >"$tmp/send"
	sum=$(cksum <"$tmp/send" | cut -d' ' -f1)
	recv_start "$PORT" --checksum --expect-bytes "$size" || return
	timeout 300 ip netns exec "$NSIM_NS_A" socat -u "OPEN:$tmp/send" \
		"TCP6:[$NSIM_IP6_B]:$PORT" || { recv_wait; return 1; }
	recv_wait || return 1
	grep -q "cksum $sum $size" "$tmp/recv.out"
}

# copy_fallback SIZE [RECV-ARGS...]: a port without a rule lands on the other
# queue; the kernel copies it into the area and the receive looks the same.
copy_fallback() {
	local q1 size=$1

	shift
	q1=$(queue_bytes "$ZC_QUEUE")
	send_verified "$size" 1 "$NSIM_IP4_B" "$PORT_FB" "$@" || return
	[ $(($(queue_bytes "$ZC_QUEUE") - q1)) -lt "$size" ] ||
		{ tap_diag "the stream landed on queue $ZC_QUEUE"; return 1; }
	placement copy
}

# The sender sends half of what the receiver expects and closes: a data
# error (exit 1) that says how much came and how much was expected.
peer_closes_early() {
	local rc

	recv_start "$PORT" --verify --expect-bytes 1M || return
	timeout 300 ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size 512K \
		"$NSIM_IP4_B" "$PORT" | sed 's/^/# send: /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || { recv_wait; return 1; }
	recv_wait
	rc=$?
	[ "$rc" -eq 1 ] || { tap_diag "zcrx-recv exited $rc, not 1"; return 1; }
	grep -q 'received 524288 bytes, expected 1048576' "$tmp/recv.err" &&
		grep -q 'pattern ok, FAILED' "$tmp/recv.out"
}

# The slow consumer on the steered port: with HOLD of the 512 buffers held
# back, the page pool cannot keep the NIC's 256-entry ring posted (its
# allocations fail, and the NIC drops what finds no buffer, if the window is
# that wide); every buffer is a reused one. The stream still arrives whole
# and in order, verified as each buffer is let go. (Holding more starves the
# flow: netdevsim posts buffers only in NAPI, which only a frame arrival
# schedules, so after the ring runs dry a frame is lost to every kick, and
# TCP backs off.) When the buffers the consumer leaves all sit in TCP's
# out-of-order queue behind a dropped segment, only the consumer can end
# the stall: it gives everything back after 250 ms without data. The
# consumer must really have held HOLD buffers at once: else the area was
# never short and the test proves nothing.
tiny_slow_steered() {
	local drops peak

	drops=$(queue_stat "$ZC_QUEUE" no_buf_drops)
	steered $((TINY_MB << 20)) "${TINY_ARGS[@]}" --hold "$HOLD" || return
	drops=$(($(queue_stat "$ZC_QUEUE" no_buf_drops) - drops))
	tap_diag "queue $ZC_QUEUE dropped $drops frames for want of buffers, $(rearms) re-arms"
	peak=$(sed -n 's/^held back: at most \([0-9]*\) of .*/\1/p' "$tmp/recv.out")
	[ "${peak:-0}" -eq "$HOLD" ] ||
		{ tap_diag "the consumer held at most ${peak:-no} buffers, not $HOLD"; return 1; }
}

# steered_hw_gro SIZE [RECV-ARGS...]: steered, with netdevsim's hardware
# GRO on for the stream and off again after it.
steered_hw_gro() {
	local rc

	nsim_set "$NSIM_NS_B" "$NSIM_DEV_B" -K rx-gro-hw on ||
		{ tap_diag "cannot switch rx-gro-hw on"; return 1; }
	steered "$@"
	rc=$?
	nsim_set "$NSIM_NS_B" "$NSIM_DEV_B" -K rx-gro-hw off ||
		{ tap_diag "cannot switch rx-gro-hw off"; return 1; }
	return "$rc"
}

# recv_cqes: the completions zcrx-recv counted in all
recv_cqes() {
	sed -n 's/^total: .* \([0-9]*\) cqes, .*/\1/p' "$tmp/recv.out"
}

# recv_largest: the bytes of the largest completion zcrx-recv saw
recv_largest() {
	sed -n 's/^largest completion: \([0-9]*\) bytes$/\1/p' "$tmp/recv.out"
}

# hw_gro: with netdevsim's hardware GRO on, the stream's segments arrive
# coalesced into buffers: verified, in place, and in completions that hold
# more than one segment's payload (1448 bytes at MTU 1500). How many of
# them do depends on how many buffers the receiver has posted when a frame
# comes, so on the machine's load: only that it happens is asserted.
hw_gro() {
	local size=$((2 * SIZE_MB << 20)) segs cqes largest

	steered_hw_gro "$size" || return
	segs=$((size / 1448))
	cqes=$(recv_cqes)
	largest=$(recv_largest)
	tap_diag "$cqes completions for $size bytes, about $segs segments on the wire; largest $largest bytes"
	[ "${largest:-0}" -gt 1448 ] ||
		{ tap_diag "not coalesced: no completion holds more than a segment"; return 1; }
}

hugepages_free() {
	awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo
}

# hugepages_reserve N: exactly N huge pages in the pool, all free
hugepages_reserve() {
	echo "$1" >/proc/sys/vm/nr_hugepages
	[ "$(hugepages_free)" = "$1" ] || { tap_diag "could not reserve $1 huge pages"; return 1; }
}

# hugepages_wait_free N: wait up to 30 s for all N reserved huge pages to
# be free again (an area is unpinned once its page pool has drained)
hugepages_wait_free() {
	local t

	for t in $(seq 30); do
		[ "$(hugepages_free)" = "$1" ] && break
		sleep 1
	done
	tap_diag "huge pages free after the receiver: $(hugepages_free) of $1 (${t} s)"
	[ "$(hugepages_free)" = "$1" ]
}

# large_buffers: an area of huge pages cut into 64 KiB buffers
# (--rx-buf-len 64K) with hardware GRO on: the stream is verified, in place,
# and completions hold more than a page, which only buffers larger than a
# page can, and never more than a buffer. Buffers larger than netdevsim
# posts (128K) are refused with ERANGE, named by zcrx-recv.
large_buffers() {
	local size=$((2 * SIZE_MB << 20)) segs cqes largest rc

	hugepages_reserve 4 || return
	reg_error ERANGE --ifname "$NSIM_DEV_B" --queue "$ZC_QUEUE" --area-size 8M \
		--huge-pages --rx-buf-len 128K || { echo 0 >/proc/sys/vm/nr_hugepages; return 1; }
	steered_hw_gro "$size" --area-size 8M --huge-pages --rx-buf-len 64K
	rc=$?
	hugepages_wait_free 4
	echo 0 >/proc/sys/vm/nr_hugepages
	[ "$rc" -eq 0 ] || return "$rc"
	segs=$((size / 1448))
	cqes=$(recv_cqes)
	largest=$(recv_largest)
	tap_diag "$cqes completions for $size bytes in 64K buffers, about $segs segments on the wire; largest $largest bytes"
	[ "${largest:-0}" -gt 4096 ] ||
		{ tap_diag "no completion larger than a page: buffers no larger than pages"; return 1; }
	[ "$largest" -le 65536 ] || { tap_diag "a completion larger than its 64K buffer"; return 1; }
}

# The slow consumer on the copy path: at most the buffers the page pool of
# the idle zero-copy queue does not keep are free for copies, fewer than the
# consumer wants to hold. The receive ends with ENOMEM, zcrx-recv gives its
# held buffers back and re-arms, and the stream verifies.
tiny_slow_copy() {
	copy_fallback $((TINY_MB << 20)) "${TINY_ARGS[@]}" --hold 500 || return
	tap_diag "$(rearms) re-arms"
	[ "$(rearms)" -gt 0 ] || { tap_diag "no re-arm: the copy path never ran short"; return 1; }
}


# huge_pages_stream: the area backed by huge pages (--huge-pages). With none
# reserved the map fails with ENOMEM, named. With two reserved, a 4 MiB area
# takes both while the receiver runs, a steered stream lands in them in
# place, and once the receiver has gone both are free again: nothing keeps
# the area pinned after teardown.
huge_pages_stream() {
	local ok=0 size=$((SIZE_MB << 20)) q1

	echo 0 >/proc/sys/vm/nr_hugepages || return
	recv_error 3 "zcrx-recv: map the area for * queue *: *[(]ENOMEM[)];*" \
		--ifname "$NSIM_DEV_B" --queue "$ZC_QUEUE" --area-size 4M --huge-pages || ok=1
	hugepages_reserve 2 || return
	q1=$(queue_bytes "$ZC_QUEUE")
	if recv_start "$PORT" --verify --expect-bytes "$size" --area-size 4M --huge-pages; then
		[ "$(hugepages_free)" = 0 ] ||
			{ tap_diag "the area took $((2 - $(hugepages_free))) of 2 huge pages"; ok=1; }
		timeout 300 ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size "$size" \
			"$NSIM_IP4_B" "$PORT" | sed 's/^/# send: /'
		[ "${PIPESTATUS[0]}" -eq 0 ] || ok=1
		recv_wait || ok=1
		[ $(($(queue_bytes "$ZC_QUEUE") - q1)) -ge "$size" ] ||
			{ tap_diag "the stream did not land on queue $ZC_QUEUE"; ok=1; }
		placement zc || ok=1
	else
		ok=1
	fi
	hugepages_wait_free 2 || ok=1
	echo 0 >/proc/sys/vm/nr_hugepages
	return "$ok"
}

# recv_error RC PATTERN ARGS...: zcrx-recv, run in the receiver's namespace
# (under the command in the array recv_prefix, if the caller has one),
# exits RC with a message matching the glob PATTERN.
recv_prefix=()
recv_error() {
	local want=$1 pattern=$2 out rc

	shift 2
	out=$(ip netns exec "$NSIM_NS_B" timeout 30 "${recv_prefix[@]}" "$bin/zcrx-recv" "$@" \
		:: "$PORT_FB" 2>&1)
	rc=$?
	tap_diag "exit $rc: $out"
	# shellcheck disable=SC2053 # PATTERN is a glob
	[ "$rc" -eq "$want" ] && [[ "$out" == $pattern ]]
}

# reg_error ERRNO ARGS...: zcrx-recv exits 3 because the kernel refused the
# registration with ERRNO (the step and its errno as zcrx-recv reports
# them, not the advice that follows).
reg_error() {
	local errno=$1

	shift
	recv_error 3 "zcrx-recv: register zcrx ifq on * queue *: *[(]${errno}[)];*" "$@"
}

# Without CAP_NET_ADMIN (root, but out of the bounding set, so that exec
# does not grant it) registering the queue is refused.
no_net_admin() {
	local recv_prefix

	# setpriv is util-linux's: every Debian system has it.
	recv_prefix=(setpriv --inh-caps=-all --bounding-set=-net_admin)
	reg_error EPERM --ifname "$NSIM_DEV_B" --queue "$ZC_QUEUE"
}

# A second receiver on the queue a running one registered is refused; the
# first one is none the worse for it.
queue_in_use() {
	local ok=0

	recv_start "$PORT" --verify --expect-bytes 64K || return
	reg_error EEXIST --ifname "$NSIM_DEV_B" --queue "$ZC_QUEUE" || ok=1
	timeout 300 ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size 64K \
		"$NSIM_IP4_B" "$PORT" | sed 's/^/# send: /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || ok=1
	recv_wait || { tap_diag "the first receiver failed"; ok=1; }
	return "$ok"
}

# providers_are WANT: zcrx-nic show --json on the receiver says exactly
# WANT ("1 io_uring": queue 1 held by io_uring, no page pool of another
# provider; "none": no queue or page pool has a provider).
providers_are() {
	ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" show "$NSIM_DEV_B" --json >"$tmp/show.json" ||
		return
	python3 - "$tmp/show.json" "$1" <<'PY'
import json, sys
show = json.load(open(sys.argv[1]))
held = " ".join(f"{q['id']} {q['provider']}" for q in show["queues"] if q["provider"] != "none")
pools = {p["provider"] for p in show["page_pools"]}
want = sys.argv[2]
ok = held == ("" if want == "none" else want) and (
    pools <= {"none"} if want == "none" else "io_uring" in pools)
print(f"# providers: {held or 'none'}; page pool providers: {sorted(pools)}")
sys.exit(0 if ok else 1)
PY
}

# While a receiver holds the queue, zcrx-nic show (and the kernel's own YNL
# CLI, reading the netlink spec) name io_uring on that queue and no other;
# once the receiver is gone, no queue or page pool has a provider.
show_provider() {
	local ynl=$here/../build/linux/tools/net/ynl ok=0

	recv_start "$PORT" --verify --expect-bytes 64K || return
	providers_are "1 io_uring" || ok=1
	ip netns exec "$NSIM_NS_B" python3 "$ynl/cli.py" --no-schema \
		--spec "$ynl/../../../Documentation/netlink/specs/netdev.yaml" --dump queue-get \
		--json "{\"ifindex\": $(nsim_ifindex "$NSIM_NS_B" "$NSIM_DEV_B")}" >"$tmp/ynl.out" 2>&1 || ok=1
	sed 's/^/# ynl: /' "$tmp/ynl.out"
	python3 - "$tmp/ynl.out" "$ZC_QUEUE" <<'PY' || ok=1
import ast, sys
queues = ast.literal_eval(open(sys.argv[1]).read())
held = [q["id"] for q in queues if q["type"] == "rx" and "io-uring" in q]
sys.exit(0 if held == [int(sys.argv[2])] else 1)
PY
	timeout 300 ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size 64K \
		"$NSIM_IP4_B" "$PORT" | sed 's/^/# send: /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || ok=1
	recv_wait || ok=1
	# the ring is freed in the background, its pool once its buffers are back
	for _ in $(seq 100); do
		providers_are none >/dev/null && break
		sleep 0.1
	done
	providers_are none || ok=1
	return "$ok"
}

# set_split on|off: tcp-data-split on the receiver, retried while the queue
# still has the provider of a receiver that just exited (the ring goes away
# in the background).
set_split() {
	for _ in $(seq 50); do
		nsim_set "$NSIM_NS_B" "$NSIM_DEV_B" -G tcp-data-split "$1" 2>"$tmp/split.err" &&
			return 0
		sleep 0.2
	done
	tap_diag "tcp-data-split $1: $(cat "$tmp/split.err")"
	return 1
}

# With header split off the queue cannot take a memory provider: the kernel
# says EINVAL. Back on, the queue registers again.
header_split_off() {
	local ok=0

	set_split off || return
	reg_error EINVAL --ifname "$NSIM_DEV_B" --queue "$ZC_QUEUE" || ok=1
	set_split on || return
	send_verified 1 1 "$NSIM_IP4_B" "$PORT" || { tap_diag "split back on: no receive"; ok=1; }
	return "$ok"
}

# nodev_send SIZE ADDRESS SENDER-NS [RECV-ARGS...] [-- SEND-ARGS...]:
# zcrx-recv --nodev --json (or what the caller's array nodev_format holds)
# in the receiver's namespace on ADDRESS PORT_NODEV (no --ifname, no
# --queue), fed SIZE bytes of zcrx-send's pattern from SENDER-NS; returns
# zcrx-recv's exit status, its report in $tmp/recv.out, zcrx-send's in
# $tmp/send.out.
nodev_format=(--json)
nodev_send() {
	local size=$1 addr=$2 from=$3
	local recv_args=() send_args=()

	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		recv_args+=("$1")
		shift
	done
	[ $# -eq 0 ] || { shift; send_args=("$@"); }
	timeout 300 ip netns exec "$NSIM_NS_B" "$bin/zcrx-recv" --nodev --verify \
		--expect-bytes "$size" "${nodev_format[@]}" "${recv_args[@]}" "$addr" \
		"$PORT_NODEV" >"$tmp/recv.out" 2>"$tmp/recv.err" &
	recv_pid=$!
	if ! nsim_wait_listen "$NSIM_NS_B" "$PORT_NODEV" "$recv_pid"; then
		kill "$recv_pid" 2>/dev/null
		recv_wait
		return 1
	fi
	timeout 300 ip netns exec "$from" "$bin/zcrx-send" --size "$size" "${send_args[@]}" \
		"$addr" "$PORT_NODEV" >"$tmp/send.out" || { recv_wait; return 1; }
	sed 's/^/# send: /' "$tmp/send.out"
	recv_wait
}

# nodev_report SIZE [MIN-RETURNED]: zcrx-recv's JSON says: device-less (no
# interface or queue), the stream verified and SIZE bytes long, the kernel
# copied exactly SIZE bytes and placed none in place, the refill ring was
# flushed with nothing unread, and at least MIN-RETURNED buffers went back.
nodev_report() {
	python3 - "$tmp/recv.out" "$1" "${2:-0}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
size, min_returned = int(sys.argv[2]), int(sys.argv[3])
k, t, c = r["kernel"], r["total"], r["connections"]
print(f"# kernel: {k}")
print(f"# total: {t['bytes']} bytes, {t['cqes']} cqes, {t['rearms']} re-arms, "
      f"{t['buffers_returned']} buffers returned, area {r['area_size']} bytes")
checks = {
    "ok": r["ok"],
    "JSON version 1": r["version"] == 1,
    "nodev, no interface or queue": r["nodev"] and r["ifname"] is None and r["queue"] is None,
    "one connection, verified": len(c) == 1 and c[0]["verified"] is True and c[0]["error"] is None,
    f"{size} bytes received": t["bytes"] == size,
    f"kernel: {size} bytes by copy": k is not None and k["copy_bytes"] == size,
    "kernel: 0 bytes zero copy": k is not None and k["zero_copy_bytes"] == 0,
    "refill ring flushed, nothing unread": r["refill"] == {"flushed": True, "unread": 0},
    f"at least {min_returned} buffers returned": t["buffers_returned"] >= min_returned,
}
for what, ok in checks.items():
    if not ok:
        print(f"# failed: {what}")
sys.exit(0 if all(checks.values()) else 1)
PY
}

# nodev_loopback: zcrx-recv --nodev on 127.0.0.1, no NIC involved at all,
# zcrx-send on the same loopback: exit 0, verified, every byte by copy.
nodev_loopback() {
	local size=$((SIZE_MB << 20))

	nodev_send "$size" 127.0.0.1 "$NSIM_NS_B" || return
	nodev_report "$size"
}

# nodev_link: the same across the netdevsim pair, to a port no rule steers:
# any TCP socket will do, the NIC's queues play no part.
nodev_link() {
	local size=$((SIZE_MB << 20))

	nodev_send "$size" "$NSIM_IP4_B" "$NSIM_NS_A" || return
	nodev_report "$size"
}

# nodev_reuse: a 64 KiB area (16 buffers of 4K) receives 8 MiB: each buffer
# is used over and over, given back through the refill ring and taken again
# by the kernel's copy path, and the stream still verifies. A buffer holds
# at most 4 KiB, so at least 8M / 4K buffers must have gone back.
nodev_reuse() {
	local size=$((8 << 20))

	nodev_send "$size" 127.0.0.1 "$NSIM_NS_B" --area-size 64K --rq-entries 64 || return
	nodev_report "$size" $((size / 4096))
}

# nodev_large_buffers: 16 KiB buffers (--rx-buf-len 16K) of an area of
# plain pages: without a device nothing needs them contiguous, so no huge
# pages are needed (a device would say ERANGE), and the stream verifies.
# Completions carry more than a page on average, which only buffers larger
# than a page can hold.
nodev_large_buffers() {
	local size=$((SIZE_MB << 20)) cqes

	nodev_send "$size" 127.0.0.1 "$NSIM_NS_B" --area-size 4M --rx-buf-len 16K || return
	nodev_report "$size" || return
	cqes=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"]["cqes"])' \
		"$tmp/recv.out") || return
	tap_diag "$cqes completions for $size bytes in 16K buffers"
	[ "$cqes" -lt $((size / 4096)) ] ||
		{ tap_diag "no more than a page per completion: buffers no larger than pages"; return 1; }
}

# zcrx_query_has EXPR: the python EXPR holds of the zcrx answer (z) of
# zcrx-query --json (false without one)
zcrx_query_has() {
	"$bin/zcrx-query" --json 2>/dev/null | python3 -c '
import json, sys
z = json.load(sys.stdin)["zcrx"]
sys.exit(0 if z is not None and eval(sys.argv[1], {"z": z}) else 1)' "$1"
}

# has_events: the query reports ZCRX_FEATURE_EVENT (1 << 1, Linux 7.2)
has_events() {
	zcrx_query_has 'z["features"] & 2'
}

# has_add_area: the query counts ZCRX_CTRL_ADD_AREA (op 3, Linux 7.3)
has_add_area() {
	zcrx_query_has 'z["ctrl_opcodes"] >= 4'
}

# json_holds EXPR...: every python EXPR holds of zcrx-recv's JSON report
# (r) in $tmp/recv.out; shows the event, statistics and area fields.
json_holds() {
	python3 - "$tmp/recv.out" "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"# events {r['events']}, stats {r['stats']}, kernel {r['kernel']}")
print(f"# copy fallback {r['copy_fallback']}; areas {r['areas']}, added {r['areas_added']}, "
      f"grow {r['grow']}; {r['total']['bytes']} bytes, {r['total']['rearms']} re-arms")
ok = True
for expr in sys.argv[2:]:
    if not eval(expr, {"r": r}):
        print(f"# failed: {expr}")
        ok = False
sys.exit(0 if ok else 1)
PY
}

# nodev_interval: --interval 0.5 --json on both tools, an 8 MiB stream
# paced at 4 MiB/s (about 2 s): each prints NDJSON, interval lines (at
# least two, each starting where the last ended) before its results, and
# the bytes of its intervals add up to the whole stream.
nodev_interval() {
	local size=$((8 << 20))

	nodev_send "$size" 127.0.0.1 "$NSIM_NS_B" --interval 0.5 \
		-- --rate 4M --interval 0.5 --json || return
	ndjson_intervals "$tmp/recv.out" zcrx-recv "$size" &&
		ndjson_intervals "$tmp/send.out" zcrx-send "$size"
}

# ndjson_intervals FILE TOOL SIZE: FILE is TOOL's --interval --json output.
ndjson_intervals() {
	python3 - "$@" <<'PY'
import json, sys
path, tool, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
objs = [json.loads(l) for l in open(path) if l.strip()]
ivals, results = objs[:-1], objs[-1]
print(f"# {tool}: {len(ivals)} intervals: " +
      ", ".join(f"{i['start']:.2f}-{i['end']:.2f} s {i['bytes']}" for i in ivals))
checks = {
    "at least two intervals": len(ivals) >= 2,
    "every line but the last an interval": all(
        i.get("version") == 1 and i.get("type") == "interval" and i.get("tool") == tool
        for i in ivals),
    "each interval starts where the last ended": all(
        abs(a["end"] - b["start"]) < 1e-9 for a, b in zip(ivals, ivals[1:])),
    f"the intervals carry {size} bytes": sum(i["bytes"] for i in ivals) == size,
    "the results come last": (results.get("version") == 1 and "type" not in results
                              and results["total"]["bytes"] == size),
}
if tool == "zcrx-recv":
    checks["completions counted"] = (sum(i["cqes"] for i in ivals) ==
                                     results["total"]["cqes"])
for what, ok in checks.items():
    if not ok:
        print(f"# failed: {what}")
sys.exit(0 if all(checks.values()) else 1)
PY
}

# nodev_stats: the statistics the kernel keeps in the refill region count
# every byte of a device-less stream, which it copies all of, in copies
# that each fit the buffer they went to.
nodev_stats() {
	local size=$((SIZE_MB << 20))

	nodev_send "$size" 127.0.0.1 "$NSIM_NS_B" || return
	json_holds "r['ok'] and r['total']['bytes'] == $size" \
		"r['stats'] is not None and r['stats']['copy_bytes'] == r['total']['bytes']" \
		"r['stats']['copy_count'] >= $size // 4096"
}

# nodev_copy_reason: in text, zcrx-recv says when the copy fallback began
# (a COPY event came) and that a device-less queue copies by design.
nodev_copy_reason() {
	local line nodev_format=()

	nodev_send $((SIZE_MB << 20)) 127.0.0.1 "$NSIM_NS_B" || return
	line=$(grep '^copy fallback: ' "$tmp/recv.out") ||
		{ tap_diag "no copy fallback line"; return 1; }
	grep -qE '^copy fallback: first at [0-9]+\.[0-9]{3} s into the transfer; why: no device \(--nodev\): every byte is copied, by design$' <<<"$line" ||
		{ tap_diag "unexpected: $line"; return 1; }
}

# nodev_ran_out: a 64 KiB area (16 buffers) for 8 MiB runs out of buffers;
# the kernel says so with an ALLOC_FAIL event (zcrx-recv re-arms it 250 ms
# later, so there may be no second one in a fast run), and without --grow
# nothing is added. The stream still verifies.
nodev_ran_out() {
	local size=$((8 << 20))

	nodev_send "$size" 127.0.0.1 "$NSIM_NS_B" --area-size 64K --rq-entries 64 || return
	json_holds "r['ok'] and r['total']['bytes'] == $size" \
		"r['events'] is not None and r['events']['alloc_fail'] >= 1" \
		"r['areas'] == 1 and r['areas_added'] == 0 and r['grow'] is None"
}

# nodev_grow: the same with --grow: each time buffers run out an area of
# 64 KiB is added (ZCRX_CTRL_ADD_AREA), at most 16; buffers of the added
# areas arrive, resolve and verify, and the kernel's statistics still
# count every byte.
nodev_grow() {
	local size=$((8 << 20))

	nodev_send "$size" 127.0.0.1 "$NSIM_NS_B" --area-size 64K --rq-entries 64 --grow || return
	json_holds "r['ok'] and r['connections'][0]['verified'] is True" \
		"r['total']['bytes'] == $size" \
		"r['areas_added'] > 0 and r['areas'] == 1 + r['areas_added']" \
		"r['grow'] == {'area_size': 65536, 'max': 16, 'error': None}" \
		"r['stats']['copy_bytes'] == $size"
}

# not_steered_reason: a stream on a port no rule steers lands on the other
# queue: the kernel copies all of it, and zcrx-recv says nothing reached
# the queue in place, with when the fallback began.
not_steered_reason() {
	local size=$((SIZE_MB << 20))

	send_verified "$size" 1 "$NSIM_IP4_B" "$PORT_FB" --json || return
	json_holds "r['kernel']['zero_copy_bytes'] == 0 and r['kernel']['copy_bytes'] > 0" \
		"r['copy_fallback']['cause'] == 'not_in_place'" \
		"r['copy_fallback']['first_seconds'] is not None" \
		"r['stats']['copy_bytes'] == r['kernel']['copy_bytes']"
}

# steered_reason: a steered stream arrives in place (zero-copy bytes > 0)
# and the copy fallback line agrees with the kernel's statistics: none if
# nothing was copied, else part of the data.
steered_reason() {
	local copied line

	steered $((SIZE_MB << 20)) || return
	line=$(grep '^copy fallback: ' "$tmp/recv.out") ||
		{ tap_diag "no copy fallback line"; return 1; }
	copied=$(sed -n 's/^kernel stats: [0-9]* copies, \([0-9]*\) bytes copied$/\1/p' \
		"$tmp/recv.out")
	[ -n "$copied" ] || { tap_diag "no kernel stats line"; return 1; }
	tap_diag "$copied bytes copied; $line"
	if [ "$copied" -eq 0 ]; then
		[[ "$line" == "copy fallback: none ("* ]]
	else
		[[ "$line" == *"; why: part of the data: "* ]]
	fi || { tap_diag "the line does not fit $copied bytes copied"; return 1; }
}

# Bad command lines exit 2 and name what is wrong.
usage_errors() {
	local ok=0

	recv_error 2 "*unknown option '--bogus'*Try 'zcrx-recv --help'*" \
		--ifname "$NSIM_DEV_B" --queue "$ZC_QUEUE" --bogus || ok=1
	recv_error 2 "*--area-size: '3X' is not a size*" \
		--ifname "$NSIM_DEV_B" --queue "$ZC_QUEUE" --area-size 3X || ok=1
	recv_error 2 "*--hold: 512 is out of range: must be between 0 and 511*" \
		--ifname "$NSIM_DEV_B" --queue "$ZC_QUEUE" --area-size 2M --hold 512 || ok=1
	recv_error 2 "*--queue: 'x' is not a number*" --ifname "$NSIM_DEV_B" --queue x || ok=1
	recv_error 2 "*missing required option --ifname*" --queue "$ZC_QUEUE" || ok=1
	return "$ok"
}

main() {
	local rc

	stream_setup || { tap_done; return; }

	send_verified 1 1 "$NSIM_IP4_B" "$PORT"
	rc=$?
	if [ "$rc" -eq "$KSFT_SKIP" ]; then
		tap_skip "zcrx-recv: kernel or device without zero-copy receive"
		tap_done
		exit "$KSFT_SKIP"
	fi
	if [ "$rc" -eq 0 ]; then tap_ok "1 byte, verified"; else tap_not_ok "1 byte, verified"; fi
	tap_check "$SIZE_MB MiB over IPv4, user region, on the zero-copy queue" \
		steered $((SIZE_MB << 20))
	tap_check "$SIZE_MB MiB, kernel region" steered $((SIZE_MB << 20)) --region kernel
	tap_check "$SIZE_MB MiB into a dma-buf area (--area dmabuf, a udmabuf), in place" \
		steered $((SIZE_MB << 20)) --area dmabuf
	tap_check "$SIZE_MB MiB on a second ring that imported the queue (--shared-ring)" \
		shared_ring
	tap_check "two queues on one ring (--queue $ZC_QUEUE,0), a verified stream each, in place" \
		two_queues
	tap_check "C built against upstream 6.19's uAPI: query, flush, export, import" \
		upstream_compat
	tap_check "zcrx-bench: a round of 2 MiB each in epoll+recv and zcrx, verified, JSON" \
		bench_smoke
	tap_check "3 concurrent connections, verified, --json" several_json
	tap_check "socat over IPv6 as the sender, cksum matches" socat_cksum
	tap_check "copy fallback: a port not steered to the queue, verified" \
		copy_fallback $((SIZE_MB << 20))
	tap_check "huge pages: none reserved is ENOMEM; two back the area, in place, then freed" \
		huge_pages_stream
	tap_check "peer closes early: exit 1, received 512K of 1M expected" peer_closes_early
	tap_check "hardware GRO (rx-gro-hw): $((2 * SIZE_MB)) MiB verified, in place, completions of several segments" \
		hw_gro
	tap_check "large buffers (--rx-buf-len 64K, huge pages, rx-gro-hw): verified, in place, completions beyond a page; 128K: ERANGE" \
		large_buffers
	tap_check "--rx-buf-len 12K (no power of two): exit 3, EINVAL before registering" \
		recv_error 3 "zcrx-recv: size the buffers of * queue *: *[(]EINVAL[)]: 12288 bytes; *" \
		--ifname "$NSIM_DEV_B" --queue "$ZC_QUEUE" --rx-buf-len 12K
	tap_check "tiny area (2M, 64 refill entries), fast consumer, $TINY_MB MiB verified" \
		steered $((TINY_MB << 20)) "${TINY_ARGS[@]}"
	tap_check "tiny area, slow consumer (--hold $HOLD of 512), $TINY_MB MiB verified" \
		tiny_slow_steered
	tap_check "tiny area, slow consumer, copy fallback: ENOMEM re-arms, verified" \
		tiny_slow_copy
	tap_check "refill ring flushed at exit: the kernel read every returned buffer" \
		refill_flushed
	tap_check "unknown interface name: exit 3, the name lookup fails (ENODEV)" \
		recv_error 3 "zcrx-recv: find interface zcrx-nosuch0: *[(]ENODEV[)];*" \
		--ifname zcrx-nosuch0 --queue 0
	tap_check "queue out of range: exit 3, the kernel says ERANGE, another queue suggested" \
		recv_error 3 "zcrx-recv: register zcrx ifq on * queue 64: *[(]ERANGE[)];*use another queue*" \
		--ifname "$NSIM_DEV_B" --queue 64
	tap_check "without CAP_NET_ADMIN: exit 3, the kernel says EPERM" no_net_admin
	tap_check "queue already registered by a running receiver: exit 3, EEXIST" queue_in_use
	tap_check "zcrx-nic show and YNL: io_uring holds the queue while receiving, then nothing" \
		show_provider
	tap_check "tcp-data-split off: exit 3, the kernel says EINVAL; on again: receives" \
		header_split_off
	tap_check "usage errors: exit 2 with the option named" usage_errors
	tap_check "--nodev on 127.0.0.1, no NIC: $SIZE_MB MiB verified, all by copy, none in place" \
		nodev_loopback
	tap_check "--nodev over the netdevsim link, no rule: $SIZE_MB MiB verified, all by copy" \
		nodev_link
	tap_check "--nodev, 64K area, 8 MiB: the refill ring recycles every buffer, verified" \
		nodev_reuse
	tap_check "--nodev --rx-buf-len 16K of plain pages (no huge pages): verified, all by copy" \
		nodev_large_buffers
	tap_check "--nodev with --queue: exit 2, a device-less queue has none" \
		recv_error 2 "*--nodev: takes no --ifname or --queue*Try 'zcrx-recv --help'*" \
		--nodev --queue "$ZC_QUEUE"
	tap_check "--nodev with --area dmabuf: exit 2, the kernel cannot copy into it" \
		recv_error 2 "*--area dmabuf: not with --nodev*Try 'zcrx-recv --help'*" \
		--nodev --area dmabuf
	tap_check "--nodev --interval 0.5 on both tools, --json: NDJSON intervals add up to the stream" \
		nodev_interval
	tap_check "--interval 0.05: exit 2, below 0.1 s" \
		recv_error 2 "*--interval: 0.05 is out of range: must be between 0.1 s and 3600 s*" \
		--nodev --interval 0.05
	tap_check "--grow-max without --grow: exit 2" \
		recv_error 2 "*--grow-max: only with --grow*Try 'zcrx-recv --help'*" \
		--nodev --grow-max 3
	if ! has_events; then
		tap_skip "events and statistics: the kernel has no ZCRX_FEATURE_EVENT (Linux 7.2)"
		tap_done
		return
	fi
	tap_check "--nodev: the kernel's copy statistics count every byte of the stream" \
		nodev_stats
	tap_check "--nodev: the copy fallback is reported from the start, by design" \
		nodev_copy_reason
	tap_check "--nodev, 64K area, 8 MiB: buffers run out (ALLOC_FAIL events), nothing added" \
		nodev_ran_out
	tap_check "not steered: all copied, reported as nothing reaching the queue in place" \
		not_steered_reason
	tap_check "steered: in place, and the copy fallback line fits the kernel's statistics" \
		steered_reason
	if ! has_add_area; then
		tap_skip "--grow: the kernel has no ZCRX_CTRL_ADD_AREA (Linux 7.3)"
		tap_done
		return
	fi
	tap_check "--nodev --grow, 64K area, 8 MiB: areas added as buffers run out, verified" \
		nodev_grow
	tap_done
}

main
