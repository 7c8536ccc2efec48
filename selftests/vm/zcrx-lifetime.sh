#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Teardown of an io_uring zero-copy receive queue in every order that does
# not go through a clean close: the receiver killed mid-stream, the
# receiving device deleted mid-stream, and the network namespace holding
# the device deleted while a receiver runs in it. Each time the queue (or a
# new device on the same bus ID) must register and receive again, and the
# page pools that the provider backed must drain and go away: no buffer is
# left pinned. The VM run also fails on any kernel splat or leak report.
# TAP on stdout.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/tap.sh"
source "$here/lib/nsim.sh"

bin=${ZCRX_BIN:-$here/../build/meson/userspace/tools}
tree=$here/../build/linux
PORT=5301
QUEUE=1
tmp=$(mktemp -d)

cleanup() {
	pkill -9 -x zcrx-recv 2>/dev/null
	pkill -9 -x zcrx-send 2>/dev/null
	nsim_pair_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

setup() {
	nsim_pair_setup 2 &&
		ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" apply "$NSIM_DEV_B" \
			--queue "$QUEUE" --port "$PORT" >"$tmp/nic" 2>&1 ||
		{ sed 's/^/# nic: /' "$tmp/nic"; return 1; }
}

# page_pools NS: "id inflight live|detached" for every page pool in NS (-
# for the initial namespace).
page_pools() {
	local run=(ip netns exec "$1")

	[ "$1" != - ] || run=()
	"${run[@]}" python3 "$tree/tools/net/ynl/cli.py" --no-schema \
		--spec "$tree/Documentation/netlink/specs/netdev.yaml" \
		--dump page-pool-get --output-json | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    print(p.get("id"), p.get("inflight", 0), "detached" if "detach-time" in p else "live")'
}

# pools_drained NS...: within 30 s no page pool in these namespaces is
# detached (gone from its queue but still holding buffers).
pools_drained() {
	local i ns pools

	for i in $(seq 30); do
		pools=$(for ns in "$@"; do page_pools "$ns"; done)
		grep -q detached <<<"$pools" || return 0
		sleep 1
	done
	tap_diag "page pools still holding buffers: $(tr '\n' ';' <<<"$pools")"
	return 1
}

# stream_start: a long stream into zcrx-recv, running for a few seconds;
# recv_pid and send_pid are left to the caller.
stream_start() {
	ip netns exec "$NSIM_NS_B" "$bin/zcrx-recv" --ifname "$NSIM_DEV_B" --queue "$QUEUE" \
		:: "$PORT" >"$tmp/recv" 2>&1 &
	recv_pid=$!
	nsim_wait_listen "$NSIM_NS_B" "$PORT" || return
	ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size 64M "$NSIM_IP4_B" "$PORT" \
		>/dev/null 2>&1 &
	send_pid=$!
	sleep 4
}

# verified_mib: one verified 1 MiB transfer on the queue. Registration may
# find the queue still taken (EEXIST) while the previous ring is torn down
# in the background: retry for a while.
verified_mib() {
	local i rc

	for i in $(seq 20); do
		ip netns exec "$NSIM_NS_B" "$bin/zcrx-recv" --ifname "$NSIM_DEV_B" \
			--queue "$QUEUE" --verify --expect-bytes 1M :: "$PORT" >"$tmp/recv" 2>&1 &
		recv_pid=$!
		if nsim_wait_listen "$NSIM_NS_B" "$PORT"; then
			ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size 1M "$NSIM_IP4_B" "$PORT" \
				>/dev/null
			wait "$recv_pid"
			rc=$?
			sed 's/^/# recv: /' "$tmp/recv"
			return "$rc"
		fi
		wait "$recv_pid"
		grep -q EEXIST "$tmp/recv" || { sed 's/^/# recv: /' "$tmp/recv"; return 1; }
		sleep 0.5
	done
	tap_diag "the queue stayed taken"
	return 1
}

killed_mid_stream() {
	stream_start || return
	kill -9 "$recv_pid"
	wait "$recv_pid" 2>/dev/null
	wait "$send_pid" 2>/dev/null
	verified_mib && pools_drained "$NSIM_NS_B"
}

device_deleted_mid_stream() {
	stream_start || return
	nsim_del "$NSIM_ID_B" || return
	# No FIN can come any more: the ring goes when the receiver does.
	sleep 2
	kill "$send_pid" "$recv_pid" 2>/dev/null
	wait "$recv_pid" 2>/dev/null
	wait "$send_pid" 2>/dev/null
	# Orphaned pools move to the initial namespace's loopback device.
	pools_drained - || return
	setup && verified_mib
}

netns_deleted_mid_stream() {
	stream_start || return
	ip netns del "$NSIM_NS_B" || return
	kill -9 "$recv_pid" "$send_pid" 2>/dev/null
	wait "$recv_pid" 2>/dev/null
	wait "$send_pid" 2>/dev/null
	# netdevsim ports are moved to the initial namespace, not unregistered
	local i
	for i in $(seq 30); do
		[ -n "$(ls -A "$NSIM_BUS/devices/netdevsim$NSIM_ID_B/net" 2>/dev/null)" ] &&
			ip -o link show dev "$(ls "$NSIM_BUS/devices/netdevsim$NSIM_ID_B/net")" \
				>/dev/null 2>&1 && break
		sleep 1
	done
	tap_diag "receiving port now in the initial namespace:" \
		"$(ls "$NSIM_BUS/devices/netdevsim$NSIM_ID_B/net" 2>/dev/null)"
	pools_drained - || return
	setup && verified_mib
}

main() {
	if [ ! -x "$bin/zcrx-recv" ]; then
		tap_skip "zcrx tools not built in $bin"
		tap_done
		return
	fi
	setup || { tap_not_ok "netdevsim pair set up for zero-copy receive"; tap_done; return; }
	tap_check "receiver killed (SIGKILL) mid-stream; the queue registers again, pools drain" \
		killed_mid_stream
	tap_check "receiving device deleted mid-stream; a new one on the same ID works" \
		device_deleted_mid_stream
	tap_check "netns of the device deleted mid-stream; pools drain, a new pair works" \
		netns_deleted_mid_stream
	tap_done
}

main
