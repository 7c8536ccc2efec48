#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An io_uring zero-copy receive queue reconfigured under it, and torn down
# in every order that does not go through a clean close. Reconfiguring,
# each under a verified stream: the queue restarted, the link taken down
# and up, the MTU changed: the queue keeps its provider and the data
# verifies; turning header split off, attaching an XDP program or dropping
# the queue's channel is refused.
# Teardown: the receiver killed mid-stream, the receiving device deleted
# mid-stream, and the network namespace holding the device deleted while a
# receiver runs in it. Each time the queue (or a new device on the same bus
# ID) must register and receive again, and the page pools that the provider
# backed must drain and go away: no buffer is left pinned. The receivers
# run without CAP_IPC_LOCK under one RLIMIT_MEMLOCK, and after each case
# their memlock charge is back to zero (zcrx-fuzz charge). The VM run also
# fails on any kernel splat or leak report.
# TAP on stdout.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/tap.sh"
source "$here/lib/nsim.sh"

bin=${ZCRX_BIN:-$here/../build/meson/userspace/tools}
PORT=5301
QUEUE=1
tmp=$(mktemp -d)
AREA=8M
# Streams are paced: an unpaced one takes both guest CPUs, and every
# command the test runs meanwhile then takes seconds to start.
RATE=128K
# room for two receivers' areas: one may still drain while the next registers
MEMLOCK=$((24 << 20))
# receivers whose areas count against RLIMIT_MEMLOCK
as_user=(prlimit --memlock="$MEMLOCK:$MEMLOCK" setpriv --inh-caps=-ipc_lock
	--bounding-set=-ipc_lock)

cleanup() {
	nsim_kill_jobs
	nsim_pair_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

# A receiver closed after its device went away leaves an orphaned socket
# retrying its FIN; until TCP gives up (minutes by default), out-of-order
# segments it holds keep area buffers, and their page pool, alive. One
# retry makes that seconds.
setup() {
	nsim_pair_setup 2 &&
		echo 1 | ip netns exec "$NSIM_NS_A" tee /proc/sys/net/ipv4/tcp_orphan_retries >/dev/null &&
		echo 1 | ip netns exec "$NSIM_NS_B" tee /proc/sys/net/ipv4/tcp_orphan_retries >/dev/null &&
		ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" apply "$NSIM_DEV_B" \
			--queue "$QUEUE" --port "$PORT" >"$tmp/nic" 2>&1 ||
		{ sed 's/^/# nic: /' "$tmp/nic"; return 1; }
}

# in_place: the last receiver's stream was received in place, by the
# kernel's own count (at least 95%: a few bytes may be copied).
in_place() {
	grep -qE '^kernel: [1-9][0-9]* bytes zero copy \((9[5-9]|100)\.[0-9]%\)' "$tmp/recv"
}

# stream_begin [RECV-ARGS...]: zcrx-recv on the queue and a zcrx-send to it
# that runs until it is stopped, paced at RATE, both in the background
# (under timeout, so that nothing here can hang); recv_pid and send_pid are
# left to the caller.
stream_begin() {
	timeout 900 ip netns exec "$NSIM_NS_B" "${as_user[@]}" "$bin/zcrx-recv" \
		--ifname "$NSIM_DEV_B" --queue "$QUEUE" --area-size "$AREA" "$@" :: "$PORT" \
		>"$tmp/recv" 2>&1 &
	recv_pid=$!
	nsim_wait_listen "$NSIM_NS_B" "$PORT" "$recv_pid" || { tap_diag "no receiver: $(<"$tmp/recv")"; return 1; }
	timeout 900 ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size 1T --rate "$RATE" \
		"$NSIM_IP4_B" "$PORT" >"$tmp/send" 2>&1 &
	send_pid=$!
}

# stream_flowing [SECONDS]: both ends of the stream are alive and data is
# reaching the zero-copy queue within SECONDS (default 20), by its byte
# counter.
stream_flowing() {
	kill -0 "$recv_pid" 2>/dev/null || { tap_diag "the receiver is gone"; return 1; }
	kill -0 "$send_pid" 2>/dev/null || { tap_diag "the sender is gone"; return 1; }
	nsim_queue_flowing "$NSIM_NS_B" "$NSIM_DEV_B" "$QUEUE" "${1:-20}"
}

# stream_start: a stream that is flowing.
stream_start() {
	stream_begin "$@" && stream_flowing
}

# verified_so_far: the receiver, stopped by a signal before it could say
# anything, found no byte out of place (zcrx-recv --verify reports a
# mismatch the moment it sees one).
verified_so_far() {
	local bad

	bad=$(grep "pattern mismatch" "$tmp/recv") || return 0
	tap_diag "$bad"
	return 1
}

# reap PID STATUS WHAT: PID ends with exit status STATUS (within the
# timeout it runs under).
reap() {
	local rc

	wait "$1"
	rc=$?
	[ "$rc" -eq "$2" ] || { tap_diag "$3 exited $rc, not $2"; return 1; }
}

# verified_mib: one verified 1 MiB transfer on the queue, registered at
# once: a ring closed or killed before lets go of the queue while the new
# registration waits for it, never EEXIST.
verified_mib() {
	local rc

	ip netns exec "$NSIM_NS_B" "${as_user[@]}" "$bin/zcrx-recv" --ifname "$NSIM_DEV_B" \
		--queue "$QUEUE" --area-size "$AREA" --verify --expect-bytes 1M :: "$PORT" \
		>"$tmp/recv" 2>&1 &
	recv_pid=$!
	if ! nsim_wait_listen "$NSIM_NS_B" "$PORT" "$recv_pid" 2>/dev/null; then
		wait "$recv_pid"
		sed 's/^/# recv: /' "$tmp/recv"
		return 1
	fi
	ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size 1M "$NSIM_IP4_B" "$PORT" >/dev/null
	wait "$recv_pid"
	rc=$?
	sed 's/^/# recv: /' "$tmp/recv"
	[ "$rc" -eq 0 ] || return "$rc"
	in_place || { tap_diag "not received in place"; return 1; }
}

# stream_stop: the sender stopped (SIGTERM), which ends the verified stream
# with a FIN wherever it was; the receiver must then have verified all of it
# in place, every pool drain but the two live ones, and the queue register
# again at once.
stream_stop() {
	local ok=0

	nsim_signal TERM "$send_pid" || ok=1
	reap "$send_pid" 143 "zcrx-send (SIGTERM)" || ok=1
	reap "$recv_pid" 0 "zcrx-recv" || ok=1
	sed 's/^/# recv: /' "$tmp/recv"
	[ "$ok" -eq 0 ] && grep -q "pattern ok" "$tmp/recv" && in_place &&
		nsim_pools_settle 2 "$NSIM_NS_B" && verified_mib
}

# The queue is restarted twice under a verified stream (debugfs hook), each
# time with data flowing through it before and after: the provider stays
# installed, the new page pool takes the area, and buffers of the old pool
# come back through the refill ring. The sender is then stopped, which
# ends the stream with a FIN wherever it was.
restarted_mid_stream() {
	local reset=/sys/kernel/debug/netdevsim/netdevsim$NSIM_ID_B/ports/0/queue_reset i ok=0

	stream_start --verify || return
	for i in 1 2; do
		echo "$QUEUE" >"$reset" || { tap_diag "restart $i of queue $QUEUE failed"; ok=1; break; }
		stream_flowing || { tap_diag "no data after restart $i"; ok=1; break; }
	done
	# the new pools take the area again: still received in place
	stream_stop && [ "$ok" -eq 0 ]
}

# xdp_refused MODE: attaching an XDP program in MODE (drv or skb) to the
# receiving device is refused for its memory provider.
xdp_refused() {
	local out

	out=$(ip netns exec "$NSIM_NS_B" "$here/lib/xdp-attach.py" "$NSIM_DEV_B" "$1" 2>&1)
	tap_diag "xdp $1: $out"
	case $out in
	"refused: EBUSY: "*"memory provider"*) return 0 ;;
	esac
	tap_diag "XDP ($1) not refused for the memory provider"
	return 1
}

# Under a verified stream, header split cannot go off, and no XDP program
# can be attached, native or generic: either would hand the queue's
# buffers to code that cannot read them.
split_off_refused() {
	local ok=0

	stream_start --verify || return
	xdp_refused drv || ok=1
	xdp_refused skb || ok=1
	if ip netns exec "$NSIM_NS_B" ethtool -G "$NSIM_DEV_B" tcp-data-split off >"$tmp/eth" 2>&1; then
		tap_diag "ethtool -G tcp-data-split off succeeded"
		ok=1
	fi
	sed 's/^/# ethtool: /' "$tmp/eth"
	ip netns exec "$NSIM_NS_B" ethtool -g "$NSIM_DEV_B" | grep -q "TCP data split:.*on" ||
		{ tap_diag "header split went off under the provider"; ok=1; }
	stream_flowing || ok=1
	stream_stop || ok=1
	return "$ok"
}

# With no ntuple rule and no RSS entry left on the queue, the memory
# provider alone keeps the channel count from dropping below it, and the
# kernel says so. The rules and RSS table come back afterwards.
channels_refused() {
	local ok=0 loc

	stream_start --verify || return
	for loc in $(ip netns exec "$NSIM_NS_B" ethtool -n "$NSIM_DEV_B" |
		awk '/^Filter:/ { print $2 }'); do
		ip netns exec "$NSIM_NS_B" ethtool -N "$NSIM_DEV_B" delete "$loc" || ok=1
	done
	ip netns exec "$NSIM_NS_B" ethtool -X "$NSIM_DEV_B" default || ok=1
	if ip netns exec "$NSIM_NS_B" ethtool -L "$NSIM_DEV_B" combined 1 >"$tmp/eth" 2>&1; then
		tap_diag "ethtool -L combined 1 succeeded"
		ok=1
	fi
	sed 's/^/# ethtool: /' "$tmp/eth"
	grep -q "too low for existing memory provider" "$tmp/eth" ||
		{ tap_diag "not refused for the memory provider"; ok=1; }
	ip netns exec "$NSIM_NS_B" ethtool -l "$NSIM_DEV_B" |
		awk '/^Current/ { cur = 1 } cur && /^Combined:/ { print $2; exit }' | grep -qx 2 ||
		{ tap_diag "the zero-copy queue's channel went away"; ok=1; }
	# the stream's packets spread by RSS now: some still reach the queue
	# and the rest are copied, all verified
	nsim_signal TERM "$send_pid" || ok=1
	reap "$send_pid" 143 "zcrx-send (SIGTERM)" || ok=1
	reap "$recv_pid" 0 "zcrx-recv" || ok=1
	sed 's/^/# recv: /' "$tmp/recv"
	grep -q "pattern ok" "$tmp/recv" || ok=1
	setup || ok=1
	[ "$ok" -eq 0 ] && nsim_pools_settle 2 "$NSIM_NS_B" && verified_mib
}

# The link goes down and up under a verified stream: the queue stops and its
# pool goes, the device opens with a new pool that the provider backs, and
# the stream goes on through the queue once TCP retransmits.
link_flapped_mid_stream() {
	local ok=0

	stream_start --verify || return
	ip -n "$NSIM_NS_B" link set dev "$NSIM_DEV_B" down || ok=1
	ip -n "$NSIM_NS_B" link set dev "$NSIM_DEV_B" up || ok=1
	# TCP retransmits what the link lost, after a backoff
	stream_flowing 60 || { tap_diag "no data after the link came up"; ok=1; }
	stream_stop && [ "$ok" -eq 0 ]
}

# Both ends go to MTU 9000 and back to 1500 under a verified stream, with
# data through the queue after each change.
mtu_changed_mid_stream() {
	local mtu ok=0

	stream_start --verify || return
	for mtu in 9000 1500; do
		nsim_mtu "$mtu" || { tap_diag "MTU $mtu refused"; ok=1; break; }
		stream_flowing || { tap_diag "no data at MTU $mtu"; ok=1; break; }
	done
	stream_stop && [ "$ok" -eq 0 ]
}

killed_mid_stream() {
	stream_start --verify || return
	nsim_signal KILL "$recv_pid" || return
	reap "$recv_pid" 137 "zcrx-recv (SIGKILL)" || return
	verified_so_far || return
	# the receiver's socket went with unread data: a reset ends the sender
	# with a run-time error (exit 3)
	reap "$send_pid" 3 "zcrx-send" || return
	verified_mib && nsim_pools_settle 2 "$NSIM_NS_B"
}

# The ring goes while the queue cannot be restarted (debugfs fails the next
# restart as if out of memory): the provider comes off all the same, the
# queue keeps its old pool until its next restart, and after that the
# queue registers again and every pool drains.
closed_while_restart_fails() {
	local dir=/sys/kernel/debug/netdevsim/netdevsim$NSIM_ID_B/ports/0

	stream_start --verify || return
	echo 1 >"$dir/queue_fail_alloc" || return
	nsim_signal KILL "$recv_pid" || return
	reap "$recv_pid" 137 "zcrx-recv (SIGKILL)" || return
	verified_so_far || return
	reap "$send_pid" 3 "zcrx-send" || return
	# the ring is torn down in the background
	for _ in $(seq 40); do
		[ "$(cat "$dir/queue_fail_alloc")" = 0 ] && break
		sleep 0.5
	done
	if [ "$(cat "$dir/queue_fail_alloc")" != 0 ]; then
		tap_diag "the ring's teardown never tried to restart the queue"
		echo 0 >"$dir/queue_fail_alloc"
		return 1
	fi
	dmesg | grep -q "rx queue $QUEUE keeps its memory provider's pages" ||
		{ tap_diag "the failed restart was not reported"; return 1; }
	echo "$QUEUE" >"$dir/queue_reset" ||
		{ tap_diag "restarting queue $QUEUE afterwards failed"; return 1; }
	verified_mib && nsim_pools_settle 2 "$NSIM_NS_B"
}

# The device goes away under a flowing stream. Its requests are not ended
# (Documentation: Teardown): the receiver waits on until it is stopped,
# and the ring's teardown then has no device to restart.
device_deleted_mid_stream() {
	stream_start --verify || return
	nsim_del "$NSIM_ID_B" || return
	sleep 1
	kill -0 "$recv_pid" 2>/dev/null || { tap_diag "the receiver ended: $(<"$tmp/recv")"; return 1; }
	nsim_signal TERM "$recv_pid" "$send_pid" || return
	reap "$recv_pid" 143 "zcrx-recv (SIGTERM)" || return
	verified_so_far || return
	reap "$send_pid" 143 "zcrx-send (SIGTERM)" || return
	# Pools of a deleted device move to its namespace's loopback device.
	nsim_pools_settle 0 "$NSIM_NS_B" || return
	setup && verified_mib
}

# The namespace's name goes under a flowing stream, but the receiver keeps
# the namespace, its device and the provider alive: a second registration
# of the queue from inside it finds the queue taken (EEXIST). When the
# receiver goes, the namespace goes, the port moves to the initial one (it
# is not unregistered), and its pools drain.
netns_deleted_mid_stream() {
	local dev

	local recv

	stream_start --verify || return
	recv=$(pgrep -P "$recv_pid") || return
	ip netns del "$NSIM_NS_B" || return
	timeout 60 nsenter -t "$recv" -n "$bin/zcrx-recv" --ifname "$NSIM_DEV_B" \
		--queue "$QUEUE" :: "$((PORT + 1))" >"$tmp/again" 2>&1
	sed 's/^/# second registration: /' "$tmp/again"
	grep -q EEXIST "$tmp/again" || { tap_diag "the queue was not taken"; return 1; }
	kill -0 "$recv" || { tap_diag "the receiver is gone"; return 1; }
	nsim_signal KILL "$recv_pid" "$send_pid" || return
	reap "$recv_pid" 137 "zcrx-recv (SIGKILL)" || return
	verified_so_far || return
	reap "$send_pid" 137 "zcrx-send (SIGKILL)" || return
	for _ in $(seq 30); do
		dev=$(ls "$NSIM_BUS/devices/netdevsim$NSIM_ID_B/net" 2>/dev/null)
		[ -n "$dev" ] && ip -o link show dev "$dev" >/dev/null 2>&1 && break
		sleep 1
	done
	tap_diag "receiving port now in the initial namespace: ${dev:-none}"
	[ -n "$dev" ] || return
	# it is down there, so it has no live pool
	nsim_pools_settle 0 - || return
	setup && verified_mib
}

# charged CASE: CASE passes, and then every receiver's memlock charge comes
# back: an area of the whole limit less one page registers (within 20 s,
# while the last pools drain), one page more does not.
charged() {
	local rc

	"$@" || return
	ip netns exec "$NSIM_NS_B" "${as_user[@]}" "$bin/zcrx-fuzz" charge \
		--ifname "$NSIM_DEV_B" --queue "$QUEUE" >"$tmp/charge" 2>&1
	rc=$?
	grep -v -e ': seed ' -e 'RLIMIT_MEMLOCK' "$tmp/charge" | sed 's/^/# /'
	return "$rc"
}

main() {
	if [ ! -x "$bin/zcrx-recv" ]; then
		tap_skip "zcrx tools not built in $bin"
		tap_done
		return
	fi
	setup || { tap_not_ok "netdevsim pair set up for zero-copy receive"; tap_done; return; }
	tap_check "queue restarted twice mid-stream: data verified, pools drain, registers again" \
		charged restarted_mid_stream
	tap_check "header split off and XDP (native, generic) refused under a verified stream; it registers again" \
		charged split_off_refused
	tap_check "fewer channels refused for the provider alone, under a verified stream" \
		charged channels_refused
	tap_check "link down and up mid-stream: data verified, pools drain, registers again" \
		charged link_flapped_mid_stream
	tap_check "MTU 9000 and back mid-stream: data verified, pools drain, registers again" \
		charged mtu_changed_mid_stream
	tap_check "receiver killed (SIGKILL) mid-stream; the queue registers again, pools drain" \
		charged killed_mid_stream
	tap_check "ring closed while its queue cannot restart; after a restart it registers again, pools drain" \
		charged closed_while_restart_fails
	tap_check "receiving device deleted mid-stream; a new one on the same ID works" \
		charged device_deleted_mid_stream
	tap_check "netns of the device deleted mid-stream; pools drain, a new pair works" \
		charged netns_deleted_mid_stream
	tap_done
}

main
