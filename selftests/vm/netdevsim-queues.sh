#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Restarting one RX queue of netdevsim (netdev_rx_queue_restart() through
# the debugfs queue_reset hook) while a steered flow runs through it: the
# data must arrive intact, the other queue keeps working, the old page
# pools must drain, and bad requests get clear errors. TAP on stdout. Runs
# in the test VM.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/tap.sh"
source "$here/lib/nsim.sh"

PORT=5310
tools=${ZCRX_BIN:-$here/../build/meson/userspace/tools}
tmp=$(mktemp -d)
trap 'nsim_pair_cleanup; rm -rf "$tmp"' EXIT

reset_file() {
	echo "/sys/kernel/debug/netdevsim/netdevsim$NSIM_ID_B/ports/0/queue_reset"
}

# Queue 1 is restarted four times and queue 0 once, each time with data
# flowing through queue 1 before and after, by its byte counter. The sender
# (zcrx-send's pattern, no fixed length) is then stopped, which ends the
# stream with a FIN; what socat saved must be the pattern from byte 0.
restart_under_traffic() {
	local recv send q ok=0

	timeout 600 ip netns exec "$NSIM_NS_B" socat -u \
		"TCP4-LISTEN:$PORT,reuseaddr" "OPEN:$tmp/recv,creat,trunc" &
	recv=$!
	nsim_wait_listen "$NSIM_NS_B" "$PORT" || { kill "$recv"; return 1; }
	timeout 600 ip netns exec "$NSIM_NS_A" "$tools/zcrx-send" --size 1T \
		"$NSIM_IP4_B" "$PORT" >/dev/null &
	send=$!
	for q in 1 1 1 1 0; do
		nsim_queue_flowing "$NSIM_NS_B" "$NSIM_DEV_B" 1 ||
			{ tap_diag "nothing through queue 1 before a restart of queue $q"; ok=1; break; }
		echo "$q" >"$(reset_file)" || { tap_diag "restart of queue $q failed"; ok=1; break; }
	done
	[ "$ok" -ne 0 ] || nsim_queue_flowing "$NSIM_NS_B" "$NSIM_DEV_B" 1 ||
		{ tap_diag "nothing through queue 1 after the restarts"; ok=1; }
	nsim_signal TERM "$send" || ok=1
	wait "$send"
	[ $? -eq 143 ] || { tap_diag "sender did not end by SIGTERM"; ok=1; }
	wait "$recv" || { tap_diag "receiver failed"; ok=1; }
	tap_diag "received $(stat -c %s "$tmp/recv") bytes"
	[ "$ok" -eq 0 ] && "$tools/zcrx-send" --verify-file "$tmp/recv"
}

reset_refused() {
	local expect=$1 what=$2 out

	out=$(echo "$what" 2>&1 >"$(reset_file)")
	tap_diag "queue_reset $what: ${out:-accepted}"
	[[ "$out" == *"$expect"* ]]
}

reset_while_down() {
	local rc

	ip -n "$NSIM_NS_B" link set dev "$NSIM_DEV_B" down
	reset_refused "Network is down" 0
	rc=$?
	ip -n "$NSIM_NS_B" link set dev "$NSIM_DEV_B" up
	return "$rc"
}

main() {
	if ! nsim_pair_setup 2; then
		tap_not_ok "netdevsim pair with 2 queues"
		tap_done
		return
	fi
	ip netns exec "$NSIM_NS_B" ethtool -N "$NSIM_DEV_B" flow-type tcp4 dst-port "$PORT" action 1 >/dev/null
	tap_check "restarting queues 1 and 0 under a flowing stream steered to queue 1: data verified" \
		restart_under_traffic
	# once nothing holds their buffers, only the two live pools remain
	tap_check "the restarted queues' old page pools drain and go away" \
		nsim_pools_settle 2 "$NSIM_NS_B"
	tap_check "queue_reset of a queue that does not exist: EINVAL" \
		reset_refused "Invalid argument" 2
	tap_check "queue_reset on a device that is down: ENETDOWN" reset_while_down
	tap_done
}

main
