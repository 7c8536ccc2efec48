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
SIZE_MB=${SIZE_MB:-2}
tmp=$(mktemp -d)
trap 'nsim_pair_cleanup; rm -rf "$tmp"' EXIT

reset_file() {
	echo "/sys/kernel/debug/netdevsim/netdevsim$NSIM_ID_B/ports/0/queue_reset"
}

restart_under_traffic() {
	local pid i

	timeout 300 ip netns exec "$NSIM_NS_B" socat -u \
		"TCP4-LISTEN:$PORT,reuseaddr" "OPEN:$tmp/recv,creat,trunc" &
	pid=$!
	nsim_wait_listen "$NSIM_NS_B" "$PORT" || { kill "$pid"; return 1; }
	timeout 300 ip netns exec "$NSIM_NS_A" socat -u "OPEN:$tmp/send" \
		"TCP4:$NSIM_IP4_B:$PORT" &
	for i in 1 2 3 4; do
		sleep 1
		echo 1 >"$(reset_file)" || { tap_diag "reset $i of queue 1 failed"; return 1; }
	done
	echo 0 >"$(reset_file)" || { tap_diag "reset of queue 0 failed"; return 1; }
	wait %2 || { tap_diag "sender failed"; return 1; }
	wait "$pid" || { tap_diag "receiver failed"; return 1; }
	cmp -s "$tmp/send" "$tmp/recv"
}

# Once nothing holds their buffers, restarted queues' old pools go away:
# only the two live pools remain. Nothing makes the CPUs receive meanwhile:
# the pools flush skb frees deferred to idle CPUs themselves.
old_pools_drain() {
	local pools

	for _ in $(seq 20); do
		pools=$(nsim_page_pools "$NSIM_NS_B")
		if ! grep -q detached <<<"$pools" && [ "$(grep -c live <<<"$pools")" -eq 2 ]; then
			tap_diag "page pools: $(tr '\n' ';' <<<"$pools")"
			return 0
		fi
		sleep 1
	done
	tap_diag "page pools: $(tr '\n' ';' <<<"$pools")"
	return 1
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
	head -c "$((SIZE_MB << 20))" /dev/urandom >"$tmp/send"
	ip netns exec "$NSIM_NS_B" ethtool -N "$NSIM_DEV_B" flow-type tcp4 dst-port "$PORT" action 1 >/dev/null
	tap_check "restarting queues 1 and 0 under a flow steered to queue 1: $SIZE_MB MiB verified" \
		restart_under_traffic
	tap_check "the restarted queues' old page pools drain and go away" old_pools_drain
	tap_check "queue_reset of a queue that does not exist: EINVAL" \
		reset_refused "Invalid argument" 2
	tap_check "queue_reset on a device that is down: ENETDOWN" reset_while_down
	tap_done
}

main
