#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TCP over the standard netdevsim pair (lib/nsim.sh), received through
# netdevsim's RX descriptor rings: verified transfers with header/data split
# off and on, single- and multi-buffer frames, hardware GRO (rx-gro-hw)
# coalescing segments, checked against the device's per-queue counters, and
# an iperf3 run for a throughput figure. TAP on stdout. Runs in the test VM.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/tap.sh"
source "$here/lib/nsim.sh"

SIZE_MB=${SIZE_MB:-2}
PORT=${PORT:-5201}
QUEUES=${QUEUES:-2}
MTU=1500
tmp=$(mktemp -d)
trap 'nsim_pair_cleanup; rm -rf "$tmp"' EXIT

split_packets() {
	nsim_ethtool_sum "$NSIM_NS_B" "$NSIM_DEV_B" '^rx[0-9]+_split_packets:'
}

# socat_send FAMILY CONNECT_ADDR: send $tmp/send from A to B with socat.
socat_send() {
	local family=$1 addr=$2 pid

	rm -f "$tmp/recv"
	timeout 300 ip netns exec "$NSIM_NS_B" socat -u \
		"TCP$family-LISTEN:$PORT,reuseaddr" "OPEN:$tmp/recv,creat,trunc" &
	pid=$!
	nsim_wait_listen "$NSIM_NS_B" "$PORT" || { tap_diag "no listener"; kill "$pid"; return 1; }
	timeout 300 ip netns exec "$NSIM_NS_A" socat -u "OPEN:$tmp/send" \
		"TCP$family:$addr:$PORT" || { tap_diag "sender failed"; kill "$pid"; return 1; }
	wait "$pid" || { tap_diag "receiver failed"; return 1; }
}

# transfer FAMILY CONNECT_ADDR SPLIT: send $tmp/send from A to B and compare
# bytes; with SPLIT=on, the payload must have gone to data buffers.
transfer() {
	local family=$1 addr=$2 split=$3 split0 split1 tx0 tx1 frames

	nsim_set "$NSIM_NS_B" "$NSIM_DEV_B" -G tcp-data-split "$split" ||
		{ tap_diag "cannot set tcp-data-split $split"; return 1; }
	split0=$(split_packets)
	tx0=$(nsim_stat "$NSIM_NS_A" "$NSIM_DEV_A" tx_packets)
	socat_send "$family" "$addr" || return
	split1=$(split_packets)
	tx1=$(nsim_stat "$NSIM_NS_A" "$NSIM_DEV_A" tx_packets)
	frames=$((tx1 - tx0))
	tap_diag "IPv$family split $split: $(stat -c %s "$tmp/recv") of" \
		"$(stat -c %s "$tmp/send") B, $frames frames, $((split1 - split0)) split"
	cmp -s "$tmp/send" "$tmp/recv" || { tap_diag "data differs"; return 1; }
	if [ "$split" = on ]; then
		# every data frame, each at most an MTU of payload
		[ $((split1 - split0)) -ge $(((SIZE_MB << 20) / MTU)) ] ||
			{ tap_diag "too few frames were split"; return 1; }
	else
		[ "$split1" -eq "$split0" ] || { tap_diag "frames were split"; return 1; }
	fi
}

gro_stat() {
	nsim_ethtool_sum "$NSIM_NS_B" "$NSIM_DEV_B" "^rx[0-9]+_hw_gro_$1:"
}

# gro_hw_is STATE: ethtool -k reports rx-gro-hw as STATE (on/off).
gro_hw_is() {
	ip netns exec "$NSIM_NS_B" ethtool -k "$NSIM_DEV_B" | grep -Eq "^rx-gro-hw: $1\$"
}

# coalesced SPLIT: with hardware GRO switched on, an IPv4 transfer arrives
# whole, in coalesced frames that each stand for at least two segments and
# together for nearly all of them; switched off again, nothing is coalesced.
coalesced() {
	local split=$1 gro0 wire0 gro wire segs

	gro_hw_is off || { tap_diag "rx-gro-hw is not off by default"; return 1; }
	nsim_set "$NSIM_NS_B" "$NSIM_DEV_B" -G tcp-data-split "$split" ||
		{ tap_diag "cannot set tcp-data-split $split"; return 1; }
	nsim_set "$NSIM_NS_B" "$NSIM_DEV_B" -K rx-gro-hw on ||
		{ tap_diag "cannot switch rx-gro-hw on"; return 1; }
	gro_hw_is on || { tap_diag "ethtool -k does not report rx-gro-hw on"; return 1; }
	gro0=$(gro_stat packets)
	wire0=$(gro_stat wire_packets)
	socat_send 4 "$NSIM_IP4_B" || return
	gro=$(($(gro_stat packets) - gro0))
	wire=$(($(gro_stat wire_packets) - wire0))
	nsim_set "$NSIM_NS_B" "$NSIM_DEV_B" -K rx-gro-hw off && gro_hw_is off ||
		{ tap_diag "cannot switch rx-gro-hw off"; return 1; }
	segs=$(((SIZE_MB << 20) / (MTU - 52)))
	tap_diag "split $split, rx-gro-hw on: $gro coalesced frames standing for $wire" \
		"segments (about $segs segments of data)"
	cmp -s "$tmp/send" "$tmp/recv" || { tap_diag "data differs"; return 1; }
	[ "$gro" -gt 0 ] && [ "$wire" -ge $((2 * gro)) ] && [ "$wire" -ge $((segs * 3 / 4)) ] ||
		{ tap_diag "too little was coalesced"; return 1; }
	gro0=$(gro_stat packets)
	socat_send 4 "$NSIM_IP4_B" || return
	cmp -s "$tmp/send" "$tmp/recv" || { tap_diag "data differs with rx-gro-hw off"; return 1; }
	[ "$(gro_stat packets)" -eq "$gro0" ] ||
		{ tap_diag "frames were coalesced with rx-gro-hw off"; return 1; }
}

ring_reports_split() {
	nsim_set "$NSIM_NS_B" "$NSIM_DEV_B" -G tcp-data-split on &&
		ip netns exec "$NSIM_NS_B" ethtool -g "$NSIM_DEV_B" | grep -Eq 'TCP data split:[[:space:]]+on' &&
		nsim_set "$NSIM_NS_B" "$NSIM_DEV_B" -G tcp-data-split off &&
		ip netns exec "$NSIM_NS_B" ethtool -g "$NSIM_DEV_B" | grep -Eq 'TCP data split:[[:space:]]+off'
}

# The per-queue counters add up to the device's totals. A late frame may
# arrive between the reads; the counters only grow, so the queues' sum
# must lie between a device read before and one after it.
counters_add_up() {
	local queues before after

	before=$(nsim_stat "$NSIM_NS_B" "$NSIM_DEV_B" rx_bytes)
	queues=$(nsim_ethtool_sum "$NSIM_NS_B" "$NSIM_DEV_B" '^rx[0-9]+_bytes:')
	after=$(nsim_stat "$NSIM_NS_B" "$NSIM_DEV_B" rx_bytes)
	tap_diag "rx bytes: queues $queues, device $before..$after," \
		"no-buffer drops $(nsim_ethtool_sum "$NSIM_NS_B" "$NSIM_DEV_B" '^rx[0-9]+_no_buf_drops:')"
	[ "$before" -le "$queues" ] && [ "$queues" -le "$after" ] &&
		[ "$before" -gt $((3 * (SIZE_MB << 20))) ]
}

iperf() {
	local pid out

	ip netns exec "$NSIM_NS_B" iperf3 -s -1 -p "$PORT" >/dev/null 2>&1 &
	pid=$!
	nsim_wait_listen "$NSIM_NS_B" "$PORT" || { kill "$pid"; return 1; }
	out=$(timeout 300 ip netns exec "$NSIM_NS_A" iperf3 -c "$NSIM_IP4_B" -p "$PORT" \
		-n "${SIZE_MB}M" -f m 2>&1) || { echo "$out" | sed 's/^/# /'; kill "$pid"; return 1; }
	echo "$out" | grep -E 'receiver$' | sed 's/^/# iperf3: /'
	wait "$pid" || { tap_diag "the iperf3 server exited $?"; return 1; }
}

main() {
	if ! nsim_pair_setup "$QUEUES"; then
		tap_not_ok "netdevsim pair in two namespaces"
		tap_done
		return
	fi
	tap_ok "netdevsim pair in two namespaces ($NSIM_NS_A/$NSIM_DEV_A <-> $NSIM_NS_B/$NSIM_DEV_B, $QUEUES queues)"
	head -c "$((SIZE_MB << 20))" /dev/urandom >"$tmp/send"
	tap_check "ethtool -g reports tcp-data-split as set" ring_reports_split
	tap_check "IPv4 TCP, split off: $SIZE_MB MiB verified" transfer 4 "$NSIM_IP4_B" off
	tap_check "IPv4 TCP, split on: $SIZE_MB MiB verified, payload in data buffers" \
		transfer 4 "$NSIM_IP4_B" on
	tap_check "rx-gro-hw on, split off: $SIZE_MB MiB verified, segments coalesced; off: none" \
		coalesced off
	tap_check "rx-gro-hw on, split on: $SIZE_MB MiB verified, segments coalesced; off: none" \
		coalesced on
	MTU=9000
	nsim_mtu "$MTU"
	tap_check "IPv6 TCP, split on, MTU 9000 (multi-buffer frames): $SIZE_MB MiB verified" \
		transfer 6 "[$NSIM_IP6_B]" on
	tap_check "per-queue RX counters add up to the device's" counters_add_up
	MTU=1500
	nsim_mtu "$MTU"
	tap_check "iperf3 IPv4: $SIZE_MB MiB" iperf
	tap_done
}

main
