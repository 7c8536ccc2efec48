# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The standard test network: two netdevsim ports linked as peers, each in a
# network namespace of its own, with IPv4 and IPv6 addresses.
#
#   NSIM_NS_A: $NSIM_DEV_A  192.0.2.1/24  2001:db8::1/64
#   NSIM_NS_B: $NSIM_DEV_B  192.0.2.2/24  2001:db8::2/64
#
# nsim_pair_setup [QUEUES] creates it (clearing leftovers of an earlier run
# first), nsim_pair_cleanup removes it; both are idempotent. Needs root and
# a kernel with netdevsim.
#
# The base tree's selftest helpers (net/lib.sh, net/net_helper.sh) do some
# of this, but not in a way that suits a debug guest under TCG, where a
# fork costs 0.2 to 0.6 s: busywait and slowwait fork date(1) on every
# poll (timestamp_ms), and wait_local_port_listen gives up silently after
# 1 s and cannot tell a listener that is slow from one that died. The
# loops here poll on bash's own SECONDS and fail loudly, naming what they
# waited for; setup_ns's random names would make every message and the
# README's examples name a different namespace each run.

# Test glue first in PATH: an ethtool that can set tcp-data-split.
PATH=$(cd "$(dirname "${BASH_SOURCE[0]}")/../bin" && pwd):$PATH
export PATH

NSIM_BUS=/sys/bus/netdevsim
NSIM_ID_A=${NSIM_ID_A:-1701}
NSIM_ID_B=${NSIM_ID_B:-1702}
NSIM_NS_A=${NSIM_NS_A:-zcrx-a}
NSIM_NS_B=${NSIM_NS_B:-zcrx-b}
NSIM_IP4_A=192.0.2.1
NSIM_IP4_B=192.0.2.2
NSIM_IP6_A=2001:db8::1
NSIM_IP6_B=2001:db8::2
NSIM_DEV_A=
NSIM_DEV_B=

nsim_err() {
	echo "nsim: $*" >&2
	return 1
}

# nsim_new ID QUEUES: create a one-port device, print its netdev name.
# (Shell builtins only but for the sleep: a process costs the better part
# of a second in the debug guest, and every test sets up pairs.)
nsim_new() {
	local id=$1 queues=$2 dir=$NSIM_BUS/devices/netdevsim$1/net i f

	echo "$id 1 $queues" >"$NSIM_BUS/new_device" ||
		nsim_err "cannot create netdevsim device $id" || return
	for ((i = 0; i < 50; i++)); do
		for f in "$dir"/*; do
			[ -e "$f" ] && { echo "${f##*/}"; return 0; }
		done
		sleep 0.1
	done
	nsim_err "netdevsim device $id has no netdev after 5 s"
}

nsim_del() {
	[ -d "$NSIM_BUS/devices/netdevsim$1" ] || return 0
	echo "$1" >"$NSIM_BUS/del_device"
}

nsim_pair_cleanup() {
	nsim_del "$NSIM_ID_A"
	nsim_del "$NSIM_ID_B"
	[ ! -e "/run/netns/$NSIM_NS_A" ] || ip netns del "$NSIM_NS_A" 2>/dev/null
	[ ! -e "/run/netns/$NSIM_NS_B" ] || ip netns del "$NSIM_NS_B" 2>/dev/null
	return 0
}

# nsim_kill_jobs: SIGKILL every background job of this shell and what each
# runs (timeout(1) and ip netns exec leave a child). Only what the test
# started: other tests may run receivers of their own.
nsim_kill_jobs() {
	local pid

	for pid in $(jobs -p); do
		pkill -9 -P "$pid"
		kill -9 "$pid"
	done 2>/dev/null
	return 0
}

# nsim_ifindex NS DEV
nsim_ifindex() {
	local out

	out=$(ip -n "$1" -o link show dev "$2") && echo "${out%%:*}"
}

# nsim_addr NS DEV IP4 IP6: the namespace's loopback and DEV up, DEV with
# the addresses. One ip process (a batch): processes are slow in the guest.
nsim_addr() {
	printf '%s\n' "link set dev lo up" "link set dev $2 up" "addr add $3/24 dev $2" \
		"addr add $4/64 dev $2 nodad" | ip -n "$1" -b -
}

nsim_pair_setup() {
	local queues=${1:-1} fd_a fd_b

	[ -d "$NSIM_BUS" ] || nsim_err "no $NSIM_BUS: kernel without netdevsim" || return
	nsim_pair_cleanup
	ip netns add "$NSIM_NS_A" && ip netns add "$NSIM_NS_B" || return
	NSIM_DEV_A=$(nsim_new "$NSIM_ID_A" "$queues") && [ -n "$NSIM_DEV_A" ] || return
	ip link set dev "$NSIM_DEV_A" netns "$NSIM_NS_A" || return
	NSIM_DEV_B=$(nsim_new "$NSIM_ID_B" "$queues") && [ -n "$NSIM_DEV_B" ] || return
	ip link set dev "$NSIM_DEV_B" netns "$NSIM_NS_B" || return

	# link_device takes netns file descriptors opened read-only.
	exec {fd_a}<"/run/netns/$NSIM_NS_A" {fd_b}<"/run/netns/$NSIM_NS_B"
	echo "$fd_a:$(nsim_ifindex "$NSIM_NS_A" "$NSIM_DEV_A") $fd_b:$(nsim_ifindex "$NSIM_NS_B" "$NSIM_DEV_B")" \
		>"$NSIM_BUS/link_device"
	local rc=$?
	exec {fd_a}<&- {fd_b}<&-
	[ "$rc" -eq 0 ] || nsim_err "cannot link $NSIM_DEV_A and $NSIM_DEV_B" || return

	nsim_addr "$NSIM_NS_A" "$NSIM_DEV_A" "$NSIM_IP4_A" "$NSIM_IP6_A" &&
		nsim_addr "$NSIM_NS_B" "$NSIM_DEV_B" "$NSIM_IP4_B" "$NSIM_IP6_B"
}

# nsim_stat NS DEV COUNTER: one of the device's counters (rx_bytes, ...).
# Unpatched 6.12 netdevsim counts only its transmit side.
nsim_stat() {
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

# nsim_ethtool_sum NS DEV REGEX: the sum of the device's ethtool -S
# counters whose names match REGEX (e.g. '^rx[0-9]+_split_packets:').
nsim_ethtool_sum() {
	local name value sum=0 out

	# parsed here: each process costs the better part of a second in the
	# debug guest, and the tests poll this
	out=$(ip netns exec "$1" ethtool -S "$2") || return
	while read -r name value; do
		[[ ${name%:} =~ ${3%:} ]] && sum=$((sum + value))
	done <<<"$out"
	echo "$sum"
}

# nsim_queue_bytes NS DEV Q: the bytes RX queue Q of DEV has received.
nsim_queue_bytes() {
	nsim_ethtool_sum "$1" "$2" "^rx$3_bytes:"
}

# nsim_queue_flowing NS DEV Q [SECONDS]: RX queue Q's byte counter grows
# within SECONDS (default 20): traffic runs through the queue right now.
nsim_queue_flowing() {
	local before now end=$((SECONDS + ${4:-20}))

	before=$(nsim_queue_bytes "$1" "$2" "$3") || return
	while [ "$SECONDS" -lt "$end" ]; do
		now=$(nsim_queue_bytes "$1" "$2" "$3") || return
		[ "$now" -gt "$before" ] && return 0
		sleep 0.2
	done
	nsim_err "RX queue $3 of $2 received nothing in ${4:-20} s (at $before bytes)"
}

# nsim_signal SIG PID...: send SIG to the programs timeout(1) runs as PIDs
# (a SIGKILL to timeout itself would leave the program running). All in one
# kill: one end of a connection going would end the other in a moment.
nsim_signal() {
	local sig=$1 pid child
	local -a children=()

	shift
	for pid in "$@"; do
		child=$(pgrep -P "$pid") || nsim_err "process $pid runs nothing" || return
		children+=("$child")
	done
	kill "-$sig" "${children[@]}"
}

# nsim_set NS DEV ethtool-args...: e.g. nsim_set ns dev -G tcp-data-split on
nsim_set() {
	local ns=$1 dev=$2

	shift 2
	ip netns exec "$ns" ethtool "$1" "$dev" "${@:2}"
}

# nsim_mtu MTU: set both ports' MTU.
nsim_mtu() {
	ip -n "$NSIM_NS_A" link set dev "$NSIM_DEV_A" mtu "$1" &&
		ip -n "$NSIM_NS_B" link set dev "$NSIM_DEV_B" mtu "$1"
}

# nsim_wait_listen NS PORT [PID [SECONDS]]: wait until something listens on
# TCP PORT in NS; give up when process PID (the program meant to listen)
# has exited, or after SECONDS (default NSIM_LISTEN_WAIT, 60). A receiver
# registering a queue restarts it, after the queue let go of the previous
# receiver's area in the background: on a loaded TCG guest that can take
# seconds, so the one wait every test uses is in seconds, not in polls.
NSIM_LISTEN_WAIT=${NSIM_LISTEN_WAIT:-60}
nsim_wait_listen() {
	local end=$((SECONDS + ${4:-$NSIM_LISTEN_WAIT}))

	while :; do
		[ -n "$(ss -N "$1" -Hltn "sport = :$2")" ] && return 0
		[ -z "${3:-}" ] || kill -0 "$3" 2>/dev/null ||
			nsim_err "nothing listens on port $2: the program exited" || return
		[ "$SECONDS" -lt "$end" ] ||
			nsim_err "nothing listens on port $2 after ${4:-$NSIM_LISTEN_WAIT} s" || return
		sleep 0.1
	done
}

# nsim_page_pools NS: "id inflight live|detached" for every page pool in
# NS (- for the initial namespace), from netdev netlink. Fails if the dump
# does.
nsim_page_pools() {
	local run=(ip netns exec "$1")

	[ "$1" != - ] || run=()
	"${run[@]}" python3 "$(dirname "${BASH_SOURCE[0]}")/netdev-dump.py" page-pools ||
		nsim_err "page pool dump in namespace $1 failed"
}

# nsim_pools_settle LIVE NS...: wait (20 s at most) until the page pools in
# these namespaces are exactly LIVE live ones and no detached one (gone from
# its queue but still holding buffers). Prints the last dump; fails if a
# dump fails or the pools never settle. Nothing here makes the CPUs
# receive: buffers of skbs whose free was deferred to an idle CPU must come
# back because the waiting pool flushes the deferred frees itself.
nsim_pools_settle() {
	local live=$1 ns pools

	shift
	for _ in $(seq 20); do
		pools=$(for ns in "$@"; do nsim_page_pools "$ns" || exit; done) || return
		if ! grep -q detached <<<"$pools" &&
		   [ "$(grep -c ' live$' <<<"$pools")" -eq "$live" ]; then
			echo "page pools: ${pools//$'\n'/; }"
			return 0
		fi
		sleep 1
	done
	nsim_err "page pools did not settle to $live live, none detached: ${pools//$'\n'/; }"
}

