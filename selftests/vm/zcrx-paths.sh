#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Zero-copy packets on paths nobody planned for. While a verified stream
# lands in place on the zero-copy queue, the same packets are also seen by:
# a plain AF_PACKET socket (its clone is trimmed to what it may show) and
# tcpdump's mmap ring on the receiving device; tc mirred mirroring them out
# of a dummy device and back into a receive path (TCP gets each segment
# twice); netfilter duplicating them (nft dup, a copy of the skb); and IP
# forwarding of another flow, steered to the same queue, out of a veth.
# Each one either sees the headers only or is refused at transmit (the
# payload is in the application's memory, not the kernel's); none may crash,
# warn, leak a buffer or change a byte of the stream. The VM run fails on
# any kernel splat or leak report; at the end the page pools the provider
# backed must have drained.
# TAP on stdout.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/stream.sh"

capture=$here/lib/tcp-capture.py
SIZE=${SIZE:-2M}
PORT=5301     # steered to ZC_QUEUE by zcrx-nic apply
PORT_FWD=5303 # steered to ZC_QUEUE too, but for an address behind a veth
ZC_QUEUE=1
NS_C=zcrx-paths-c
FWD_B=198.51.100.1
FWD_C=198.51.100.2
tmp=$(mktemp -d)
recv_pid=
bg_pid=

cleanup() {
	[ -n "$recv_pid" ] && kill "$recv_pid" 2>/dev/null
	[ -n "$bg_pid" ] && kill "$bg_pid" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	nsim_pair_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

in_b() {
	ip netns exec "$NSIM_NS_B" "$@"
}

# stream: SIZE bytes verified, on the zero-copy queue, placed in place.
stream() {
	steered "$(numfmt --from=iec "$SIZE")"
}

# dev_stat DEV COUNTER: a counter of a device in NSIM_NS_B
dev_stat() {
	nsim_stat "$NSIM_NS_B" "$1" "$2"
}

# bg_wait: the background helper's status and output
bg_wait() {
	local rc

	wait "$bg_pid"
	rc=$?
	bg_pid=
	sed 's/^/# bg: /' "$tmp/bg.out" "$tmp/bg.err"
	return "$rc"
}

# captured WANT-TRUNCATED: what tcp-capture.py printed shows data segments
# of the stream, none of their payload, and (if asked) frames cut short.
captured() {
	local data exposed truncated

	read -r _ _ _ data _ _ _ exposed _ truncated <"$tmp/bg.out" ||
		{ tap_diag "no counts from the capture"; return 1; }
	[ "$data" -gt 0 ] || { tap_diag "the capture saw no data segment"; return 1; }
	[ "$exposed" -eq 0 ] ||
		{ tap_diag "the capture saw $exposed bytes of payload"; return 1; }
	[ "$1" = no ] || [ "$truncated" -gt 0 ] ||
		{ tap_diag "no frame was captured shorter than it was"; return 1; }
}

# packet_bound: a packet socket is open in NSIM_NS_B (60 s at most), as
# /proc/net/packet lists them after its header line
packet_bound() {
	local lines

	for _ in $(seq 120); do
		lines=$(in_b cat /proc/net/packet | wc -l)
		[ "$lines" -gt 1 ] && return 0
		kill -0 "$bg_pid" 2>/dev/null || break
		sleep 0.5
	done
	tap_diag "no packet socket in $NSIM_NS_B"
	return 1
}

# A plain packet socket: packet_rcv() trims its clone of each frame to the
# headers, which expands the clone's head and takes another reference on
# every frag it had, net_iovs included.
packet_socket() {
	in_b python3 "$capture" --dev "$NSIM_DEV_B" --port "$PORT" --count 20 \
		>"$tmp/bg.out" 2>"$tmp/bg.err" &
	bg_pid=$!
	packet_bound || { bg_wait; return 1; }
	stream || { bg_wait; return 1; }
	bg_wait && captured no
}

# tcpdump: its mmap ring (tpacket_rcv) gets the headers copied out.
tcpdump_ring() {
	local stop=0

	in_b timeout 300 tcpdump -i "$NSIM_DEV_B" -nn -s 0 -U -w "$tmp/cap.pcap" \
		"tcp port $PORT" >"$tmp/bg.out" 2>"$tmp/bg.err" &
	bg_pid=$!
	for _ in $(seq 600); do
		grep -q 'listening on' "$tmp/bg.err" && break
		sleep 0.1
	done
	grep -q 'listening on' "$tmp/bg.err" || { tap_diag "tcpdump never listened"; stop=1; }
	[ "$stop" -eq 0 ] && stream || stop=1
	if [ "$stop" -ne 0 ]; then
		kill "$bg_pid"
		bg_wait
		return 1
	fi
	# SIGTERM: a background job of a script ignores SIGINT
	nsim_signal TERM "$bg_pid"
	bg_wait || return
	python3 "$capture" --pcap "$tmp/cap.pcap" --port "$PORT" >"$tmp/bg.out" || return
	tap_diag "$(<"$tmp/bg.out")"
	captured yes
}

# A dummy device to mirror or duplicate packets to; it drops what it sends.
dummy_setup() {
	in_b ip link add zcrx-dummy type dummy 2>/dev/null
	printf '%s\n' "link set dev zcrx-dummy up" "addr replace 10.99.0.1/24 dev zcrx-dummy" |
		ip -n "$NSIM_NS_B" -b -
}

# tx_refused DEV BEFORE: DEV dropped more than BEFORE packets at transmit.
tx_refused() {
	local now

	now=$(dev_stat "$1" tx_dropped) || return
	tap_diag "$1 dropped $((now - $2)) packets at transmit"
	[ "$now" -gt "$2" ]
}

# nft dup: nf_dup_ipv4() sends a copy of every segment (pskb_copy(): the
# copy takes its own reference on each net_iov) out of the dummy device,
# which refuses it at transmit: its payload is not kernel memory.
nft_dup() {
	local before rc=0

	dummy_setup || return
	before=$(dev_stat zcrx-dummy tx_dropped) || return
	in_b nft -f - <<-EOF || return
		table ip zcrx_paths {
			chain pre {
				type filter hook prerouting priority 0;
				tcp dport $PORT counter dup to 10.99.0.2 device "zcrx-dummy"
			}
		}
	EOF
	stream || rc=1
	tap_diag "$(in_b nft list chain ip zcrx_paths pre | grep counter)"
	in_b nft delete table ip zcrx_paths || rc=1
	[ "$rc" -eq 0 ] && tx_refused zcrx-dummy "$before"
}

# mirred_sent: the packets the mirred action on the receiving device's
# ingress sent on
mirred_sent() {
	in_b tc -s filter show dev "$NSIM_DEV_B" ingress |
		sed -n 's/^[[:space:]]*Sent [0-9]* bytes \([0-9]*\) pkt.*/\1/p' | head -n1
}

# tc_mirror egress|ingress: tc mirred mirrors each segment of the stream to
# the dummy device: out of it (dropped at transmit) or into its receive path
# (TCP in this namespace gets every segment again, as a clone sharing the
# original's net_iovs). The stream must be unchanged either way.
tc_mirror() {
	local before sent rc=0

	dummy_setup || return
	before=$(dev_stat zcrx-dummy tx_dropped) || return
	in_b tc qdisc replace dev "$NSIM_DEV_B" clsact &&
		in_b tc filter add dev "$NSIM_DEV_B" ingress protocol ip matchall \
			action mirred "$1" mirror dev zcrx-dummy || return
	stream || rc=1
	sent=$(mirred_sent)
	tap_diag "mirred sent ${sent:-no} packets $1 to zcrx-dummy"
	in_b tc qdisc del dev "$NSIM_DEV_B" clsact || rc=1
	[ "$rc" -eq 0 ] && [ "${sent:-0}" -gt 0 ] || return 1
	[ "$1" = ingress ] || tx_refused zcrx-dummy "$before"
}

# forward_setup: a third namespace behind a veth in NSIM_NS_B, which
# forwards to it; NSIM_NS_A routes there through NSIM_NS_B. The NIC steers
# PORT_FWD to the zero-copy queue like PORT.
forward_setup() {
	ip netns add "$NS_C" || return
	in_b ip link add zcrx-vb type veth peer name zcrx-vc netns "$NS_C" || return
	printf '%s\n' "link set dev zcrx-vb up" "addr add $FWD_B/24 dev zcrx-vb" |
		ip -n "$NSIM_NS_B" -b - || return
	printf '%s\n' "link set dev lo up" "link set dev zcrx-vc up" \
		"addr add $FWD_C/24 dev zcrx-vc" "route add default via $FWD_B" |
		ip -n "$NS_C" -b - || return
	ip -n "$NSIM_NS_A" route add "$FWD_C/32" via "$NSIM_IP4_B" || return
	in_b sysctl -qw net.ipv4.ip_forward=1 || return
	in_b ethtool -N "$NSIM_DEV_B" flow-type tcp4 dst-port "$PORT_FWD" action "$ZC_QUEUE" \
		loc 2 >/dev/null
}

# Forwarding: while a receiver holds the queue, a flow to the third
# namespace lands on it too, so its payload is in the area. The veth
# refuses it at transmit, the namespace behind it gets none of it, and the
# zcrx stream beside it verifies.
forwarding() {
	local before got q1 size rc=0

	size=$(numfmt --from=iec "$SIZE")
	forward_setup || { tap_diag "forwarding setup failed"; return 1; }
	before=$(dev_stat zcrx-vb tx_dropped) || return
	recv_start "$PORT" --verify --expect-bytes "$size" || return
	q1=$(queue_bytes "$ZC_QUEUE") || return
	ip netns exec "$NS_C" timeout 60 socat -u "TCP-LISTEN:$PORT_FWD" "CREATE:$tmp/fwd" &
	bg_pid=$!
	nsim_wait_listen "$NS_C" "$PORT_FWD" "$bg_pid" || { recv_wait; return 1; }
	ip netns exec "$NSIM_NS_A" timeout 20 "$bin/zcrx-send" --size 1M "$FWD_C" "$PORT_FWD" \
		>"$tmp/fwd-send.out" 2>&1
	tap_diag "the forwarded sender exited $?: $(tail -n1 "$tmp/fwd-send.out")"
	[ "$(queue_bytes "$ZC_QUEUE")" -gt "$q1" ] ||
		{ tap_diag "the forwarded flow did not reach queue $ZC_QUEUE"; rc=1; }
	kill "$bg_pid" 2>/dev/null
	wait "$bg_pid"
	bg_pid=
	got=$(stat -c %s "$tmp/fwd" 2>/dev/null || echo 0)
	[ "$got" -eq 0 ] || { tap_diag "$got forwarded bytes arrived"; rc=1; }
	timeout 300 ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size "$size" "$NSIM_IP4_B" \
		"$PORT" | sed 's/^/# send: /'
	recv_wait && placement zc || rc=1
	[ "$rc" -eq 0 ] && tx_refused zcrx-vb "$before"
}

main() {
	local rc

	stream_setup || { tap_done; return; }

	stream
	rc=$?
	if [ "$rc" -eq "$KSFT_SKIP" ]; then
		tap_skip "zcrx-recv: kernel or device without zero-copy receive"
		tap_done
		exit "$KSFT_SKIP"
	fi
	tap_check "$SIZE verified in place with nothing else watching" [ "$rc" -eq 0 ]
	tap_check "AF_PACKET socket on the device: headers only, stream verified in place" \
		packet_socket
	tap_check "tcpdump (mmap ring): headers only, frames cut short, stream verified" \
		tcpdump_ring
	tap_check "nft dup of every segment: the copies refused at transmit, stream verified" \
		nft_dup
	tap_check "tc mirred egress mirror: refused at transmit, stream verified" \
		tc_mirror egress
	tap_check "tc mirred ingress mirror back into a receive path: stream verified" \
		tc_mirror ingress
	tap_check "forwarding a flow steered to the queue: refused at the veth, stream verified" \
		forwarding
	tap_check "the provider's page pools drained: only the live ones are left" \
		nsim_pools_settle 2 "$NSIM_NS_B"
	tap_done
}

main
