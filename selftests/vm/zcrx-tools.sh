#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# zcrx-recv end to end over the standard netdevsim pair: zcrx-send (and
# socat) in the first namespace send to zcrx-recv in the second, which
# receives with io_uring zero-copy receive on the queue zcrx-nic dedicated to
# the port. Verified transfers (1 byte, a few MiB over IPv4 and IPv6, several
# connections, both refill-region kinds), socat as the sender checked by
# cksum, a stream not steered to the queue (copy fallback), and setup errors.
# TAP on stdout; exits 4 (skip) if the kernel or device lacks zcrx.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/tap.sh"
source "$here/lib/nsim.sh"

bin=${ZCRX_BIN:-$here/../build/meson/userspace/tools}
SIZE_MB=${SIZE_MB:-4}
PORT=${PORT:-5301}       # steered to ZC_QUEUE by zcrx-nic apply
PORT_FB=${PORT_FB:-5302} # not steered: RSS sends it to the other queue
ZC_QUEUE=1
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

queue_bytes() {
	nsim_ethtool_sum "$NSIM_NS_B" "$NSIM_DEV_B" "^rx$1_bytes:"
}

# recv_wait: wait for the receiver, show its output, return its status.
recv_wait() {
	local rc

	wait "$recv_pid"
	rc=$?
	recv_pid=
	sed 's/^/# recv: /' "$tmp/recv.out" "$tmp/recv.err"
	return "$rc"
}

# recv_start PORT ARGS...: zcrx-recv on :: PORT in the background; returns
# once it listens, or with its status if it exits first.
recv_start() {
	local port=$1 rc

	shift
	timeout 300 ip netns exec "$NSIM_NS_B" "$bin/zcrx-recv" --ifname "$NSIM_DEV_B" \
		--queue "$ZC_QUEUE" "$@" :: "$port" >"$tmp/recv.out" 2>"$tmp/recv.err" &
	recv_pid=$!
	for _ in $(seq 50); do
		ip netns exec "$NSIM_NS_B" ss -Hltn "sport = :$port" | grep -q . && return 0
		kill -0 "$recv_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$recv_pid" 2>/dev/null
	recv_wait
	rc=$?
	[ "$rc" -ne 0 ] || rc=1
	return "$rc"
}

# send_verified SIZE CONNECTIONS ADDR PORT [RECV-ARGS...]: zcrx-send's
# pattern, verified by zcrx-recv, exactly SIZE bytes on every connection.
send_verified() {
	local size=$1 conns=$2 addr=$3 port=$4

	shift 4
	recv_start "$port" --verify --expect-bytes "$size" --connections "$conns" "$@" || return
	timeout 300 ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size "$size" \
		--connections "$conns" "$addr" "$port" | sed 's/^/# send: /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || { recv_wait; return 1; }
	recv_wait
}

# The payload of a steered stream lands on the zero-copy queue.
steered_mib() {
	local q1 size=$((SIZE_MB << 20))

	q1=$(queue_bytes "$ZC_QUEUE")
	send_verified "$size" 1 "$NSIM_IP4_B" "$PORT" "$@" || return
	[ $(($(queue_bytes "$ZC_QUEUE") - q1)) -ge "$size" ] ||
		{ tap_diag "the stream did not land on queue $ZC_QUEUE"; return 1; }
}

several_json() {
	send_verified 1M 3 "$NSIM_IP4_B" "$PORT" --json || return
	grep -q '"ok":true' "$tmp/recv.out" &&
		[ "$(grep -o '"peer":' "$tmp/recv.out" | wc -l)" -eq 3 ]
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

# A port without a rule lands on the other queue; the kernel copies it into
# the area and the receive looks the same.
copy_fallback() {
	local q1 size=$((SIZE_MB << 20))

	q1=$(queue_bytes "$ZC_QUEUE")
	send_verified "$size" 1 "$NSIM_IP4_B" "$PORT_FB" || return
	[ $(($(queue_bytes "$ZC_QUEUE") - q1)) -lt "$size" ] ||
		{ tap_diag "the stream landed on queue $ZC_QUEUE"; return 1; }
}

# setup_error EXPECT ARGS...: zcrx-recv exits 3 with EXPECT in its message.
setup_error() {
	local expect=$1 out rc

	shift
	out=$(ip netns exec "$NSIM_NS_B" timeout 30 "$bin/zcrx-recv" "$@" :: "$PORT" 2>&1)
	rc=$?
	tap_diag "exit $rc: $out"
	[ "$rc" -eq 3 ] && [[ "$out" == *"$expect"* ]]
}

main() {
	local rc

	if [ ! -x "$bin/zcrx-recv" ] || [ ! -x "$bin/zcrx-send" ]; then
		tap_skip "zcrx tools not built in $bin"
		tap_done
		return
	fi
	nsim_pair_setup 2 || { tap_not_ok "netdevsim pair in two namespaces"; tap_done; return; }
	ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" apply "$NSIM_DEV_B" --queue "$ZC_QUEUE" \
		--port "$PORT" | sed 's/^/# nic: /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || { tap_not_ok "zcrx-nic apply"; tap_done; return; }

	send_verified 1 1 "$NSIM_IP4_B" "$PORT"
	rc=$?
	if [ "$rc" -eq "$KSFT_SKIP" ]; then
		tap_skip "zcrx-recv: kernel or device without zero-copy receive"
		tap_done
		exit "$KSFT_SKIP"
	fi
	if [ "$rc" -eq 0 ]; then tap_ok "1 byte, verified"; else tap_not_ok "1 byte, verified"; fi
	tap_check "$SIZE_MB MiB over IPv4, user region, on the zero-copy queue" steered_mib
	tap_check "$SIZE_MB MiB, kernel region" steered_mib --region kernel
	tap_check "3 concurrent connections, verified, --json" several_json
	tap_check "socat over IPv6 as the sender, cksum matches" socat_cksum
	tap_check "copy fallback: a port not steered to the queue, verified" copy_fallback
	tap_check "unknown interface: exit 3, ENODEV" \
		setup_error ENODEV --ifname zcrx-nosuch0 --queue 0
	tap_check "queue out of range: exit 3, ERANGE" \
		setup_error ERANGE --ifname "$NSIM_DEV_B" --queue 64
	tap_done
}

main
