#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TCP over the standard netdevsim pair (lib/nsim.sh): a verified transfer
# over IPv4 and IPv6 with socat, counted by the sending device, and an
# iperf3 run for a throughput figure. TAP on stdout. Runs in the test VM.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/tap.sh"
source "$here/lib/nsim.sh"

SIZE_MB=${SIZE_MB:-8}
PORT=${PORT:-5201}
tmp=$(mktemp -d)
trap 'nsim_pair_cleanup; rm -rf "$tmp"' EXIT

# wait_listen NS PORT: until something listens on PORT in NS (5 s).
wait_listen() {
	local i

	for i in $(seq 50); do
		ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# transfer FAMILY CONNECT_ADDR: send $tmp/send from A to B, compare bytes.
transfer() {
	local family=$1 addr=$2 pid before after

	rm -f "$tmp/recv"
	before=$(nsim_stat "$NSIM_NS_A" "$NSIM_DEV_A" tx_bytes)
	timeout 120 ip netns exec "$NSIM_NS_B" socat -u \
		"TCP$family-LISTEN:$PORT,reuseaddr" "OPEN:$tmp/recv,creat,trunc" &
	pid=$!
	wait_listen "$NSIM_NS_B" "$PORT" || { tap_diag "no listener"; kill "$pid"; return 1; }
	timeout 120 ip netns exec "$NSIM_NS_A" socat -u "OPEN:$tmp/send" \
		"TCP$family:$addr:$PORT" || { tap_diag "sender failed"; kill "$pid"; return 1; }
	wait "$pid" || { tap_diag "receiver failed"; return 1; }
	after=$(nsim_stat "$NSIM_NS_A" "$NSIM_DEV_A" tx_bytes)
	tap_diag "IPv$family: sent $(stat -c %s "$tmp/send") B," \
		"received $(stat -c %s "$tmp/recv") B, $NSIM_DEV_A tx_bytes +$((after - before))"
	cmp -s "$tmp/send" "$tmp/recv" || { tap_diag "data differs"; return 1; }
	[ $((after - before)) -ge $((SIZE_MB << 20)) ] ||
		{ tap_diag "device counted less than was sent"; return 1; }
}

iperf() {
	local pid out

	ip netns exec "$NSIM_NS_B" iperf3 -s -1 -p "$PORT" >/dev/null 2>&1 &
	pid=$!
	wait_listen "$NSIM_NS_B" "$PORT" || { kill "$pid"; return 1; }
	out=$(timeout 120 ip netns exec "$NSIM_NS_A" iperf3 -c "$NSIM_IP4_B" -p "$PORT" \
		-n "${SIZE_MB}M" -f m 2>&1) || { echo "$out" | sed 's/^/# /'; kill "$pid"; return 1; }
	wait "$pid"
	echo "$out" | grep -E 'receiver$' | sed 's/^/# iperf3: /'
}

main() {
	if ! nsim_pair_setup 1; then
		tap_not_ok "netdevsim pair in two namespaces"
		tap_done
		return
	fi
	tap_ok "netdevsim pair in two namespaces ($NSIM_NS_A/$NSIM_DEV_A <-> $NSIM_NS_B/$NSIM_DEV_B)"
	head -c "$((SIZE_MB << 20))" /dev/urandom >"$tmp/send"
	tap_check "IPv4 TCP: $SIZE_MB MiB verified" transfer 4 "$NSIM_IP4_B"
	tap_check "IPv6 TCP: $SIZE_MB MiB verified" transfer 6 "[$NSIM_IP6_B]"
	tap_check "iperf3 IPv4: $SIZE_MB MiB" iperf
	tap_done
}

main
