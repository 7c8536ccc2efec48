#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Flow steering on netdevsim: the device must put each frame on the queue
# that the ntuple rules, or else the RSS indirection table, choose. Only
# deterministic set-ups are checked (weights that leave one queue, "equal"
# spreads that leave a queue out, rules), by per-queue counters and data
# checksums. TAP on stdout. Runs in the test VM.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/tap.sh"
source "$here/lib/nsim.sh"

QUEUES=4
ZC_QUEUE=3
ZC_PORT=5300
SIZE_KB=${SIZE_KB:-512}
tmp=$(mktemp -d)
trap 'nsim_pair_cleanup; rm -rf "$tmp"' EXIT

b_ethtool() {
	ip netns exec "$NSIM_NS_B" ethtool "$@"
}

# queue_bytes: "q0 q1 q2 q3" RX byte counters of B's queues
queue_bytes() {
	local name value out

	out=$(b_ethtool -S "$NSIM_DEV_B") || return
	while read -r name value; do
		[[ $name =~ ^rx[0-9]+_bytes:$ ]] && printf '%s ' "$value"
	done <<<"$out"
}

# flow FAMILY ADDR PORT: one verified transfer of SIZE_KB from A to B.
flow() {
	local family=$1 addr=$2 port=$3 pid

	rm -f "$tmp/recv"
	timeout 120 ip netns exec "$NSIM_NS_B" socat -u \
		"TCP$family-LISTEN:$port,reuseaddr" "OPEN:$tmp/recv,creat,trunc" &
	pid=$!
	nsim_wait_listen "$NSIM_NS_B" "$port" || { kill "$pid"; return 1; }
	timeout 120 ip netns exec "$NSIM_NS_A" socat -u "OPEN:$tmp/send" \
		"TCP$family:$addr:$port" || { kill "$pid"; return 1; }
	wait "$pid" && cmp -s "$tmp/send" "$tmp/recv"
}

# flows_land FAMILY ADDR "PORT..." EXPECT: run the flows, then check which
# queues received at least the data: EXPECT is a list of queue states,
# "+" = got the data, "0" = got (almost) nothing, "." = don't care.
flows_land() {
	local family=$1 addr=$2 ports=$3 expect=$4 port before after i want
	local -a b a e
	local total=$(((SIZE_KB << 10) * $(wc -w <<<"$ports")))

	read -ra b <<<"$(queue_bytes)"
	for port in $ports; do
		flow "$family" "$addr" "$port" || { tap_diag "flow to port $port failed"; return 1; }
	done
	read -ra a <<<"$(queue_bytes)"
	read -ra e <<<"$expect"
	tap_diag "queue bytes: $(for i in "${!a[@]}"; do printf 'q%d +%d ' "$i" $((a[i] - b[i])); done)"
	for i in "${!e[@]}"; do
		want=${e[i]}
		case "$want" in
		+) [ $((a[i] - b[i])) -ge "$total" ] || return 1 ;;
		0) [ $((a[i] - b[i])) -lt 65536 ] || return 1 ;;   # a few ACK-sized frames at most
		esac
	done
}

add_rule() {
	b_ethtool -N "$NSIM_DEV_B" flow-type "$@" | sed 's/^/# /'
	return "${PIPESTATUS[0]}"
}

rule_listed() {
	b_ethtool -n "$NSIM_DEV_B" | tee "$tmp/rules" | sed 's/^/# /'
	grep -q "Dest port: $ZC_PORT" "$tmp/rules" && grep -q "Action: Direct to queue $ZC_QUEUE" "$tmp/rules"
}

# ethtool 6.1 exits 0 even when the kernel refuses a rule: count them.
rule_refused() {
	local before

	before=$(rule_count)
	b_ethtool -N "$NSIM_DEV_B" flow-type tcp4 dst-port 5400 action "$QUEUES" 2>&1 | sed 's/^/# /'
	[ "$(rule_count)" = "$before" ]
}

rule_count() {
	b_ethtool -n "$NSIM_DEV_B" | awk '/Total [0-9]+ rules/ { print $2 }'
}

# The table set above still points at queue $ZC_QUEUE: fewer channels are
# refused for that reason, and the channel count stays.
channels_refused() {
	local out

	if out=$(b_ethtool -L "$NSIM_DEV_B" combined 2 2>&1); then
		tap_diag "ethtool -L combined 2 succeeded"
		return 1
	fi
	tap_diag "ethtool: $out"
	[[ "$out" == *"too low for existing indirection table"* ]] ||
		{ tap_diag "not refused for the indirection table"; return 1; }
	b_ethtool -l "$NSIM_DEV_B" |
		awk '/^Current/ { cur = 1 } cur && /^Combined:/ { print $2; exit }' | grep -qx "$QUEUES"
}

main() {
	local others="5301 5302 5303"

	if ! nsim_pair_setup "$QUEUES"; then
		tap_not_ok "netdevsim pair with $QUEUES queues"
		tap_done
		return
	fi
	head -c "$((SIZE_KB << 10))" /dev/urandom >"$tmp/send"

	tap_check "RSS weights 0 1 0 0: every flow lands on queue 1" \
		eval 'b_ethtool -X "$NSIM_DEV_B" weight 0 1 0 0 && flows_land 4 "$NSIM_IP4_B" "5301 5302 5303" "0 + 0 0"'
	tap_check "RSS equal $ZC_QUEUE: flows avoid queue $ZC_QUEUE" \
		eval 'b_ethtool -X "$NSIM_DEV_B" equal $ZC_QUEUE && flows_land 4 "$NSIM_IP4_B" "$others" ". . . 0"'
	tap_check "ntuple tcp4 dst-port $ZC_PORT action $ZC_QUEUE: the flow lands on queue $ZC_QUEUE" \
		eval 'add_rule tcp4 dst-port $ZC_PORT action $ZC_QUEUE && flows_land 4 "$NSIM_IP4_B" $ZC_PORT "0 0 0 +"'
	tap_check "ntuple tcp6 rule steers IPv6 the same way" \
		eval 'add_rule tcp6 dst-port $ZC_PORT action $ZC_QUEUE && flows_land 6 "[$NSIM_IP6_B]" $ZC_PORT "0 0 0 +"'
	tap_check "ethtool -n lists the rule" rule_listed
	tap_check "other ports still avoid queue $ZC_QUEUE while the rule is in" \
		flows_land 4 "$NSIM_IP4_B" "5301 5302" ". . . 0"
	tap_check "a rule to a queue that does not exist is refused" rule_refused
	tap_check "ethtool -K ntuple off deletes the rules" \
		eval 'b_ethtool -K "$NSIM_DEV_B" ntuple off && [ "$(rule_count)" = 0 ] && b_ethtool -K "$NSIM_DEV_B" ntuple on'
	tap_check "without the rule, the port follows RSS again (off queue $ZC_QUEUE)" \
		flows_land 4 "$NSIM_IP4_B" $ZC_PORT ". . . 0"
	tap_check "channels cannot drop a queue the indirection table uses" channels_refused
	tap_done
}

main
