#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The userspace tools over the standard netdevsim pair: zcrx-send's stream
# received by socat (a client we did not write) and checked with the
# library's verifier, zcrx-send's errors, zcrx-query's answers from the
# kernel, and zcrx-nic reading, refusing (a feature turned off) and applying
# and undoing a zero-copy NIC set-up. TAP on stdout. Runs in the VM after
# the meson build (build/meson) exists.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/tap.sh"
source "$here/lib/nsim.sh"

bin=${ZCRX_BIN:-$here/../build/meson/userspace/tools}
SIZE_MB=${SIZE_MB:-2}
PORT=${PORT:-5202}
tmp=$(mktemp -d)
trap 'nsim_pair_cleanup; rm -rf "$tmp"' EXIT

send_to_socat() {
	local pid

	timeout 300 ip netns exec "$NSIM_NS_B" socat -u \
		"TCP4-LISTEN:$PORT,reuseaddr" "OPEN:$tmp/recv,creat,trunc" &
	pid=$!
	nsim_wait_listen "$NSIM_NS_B" "$PORT" || { kill "$pid"; return 1; }
	timeout 300 ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size "${SIZE_MB}M" \
		"$NSIM_IP4_B" "$PORT" | sed 's/^/# /' || { kill "$pid"; return 1; }
	wait "$pid" || return 1
	"$bin/zcrx-send" --verify-file "$tmp/recv" --size "${SIZE_MB}M" | sed 's/^/# /'
	return "${PIPESTATUS[0]}"
}

# flip_byte FILE OFFSET: change the byte at OFFSET (to its complement).
flip_byte() {
	local b

	b=$(od -An -tu1 -j "$2" -N1 "$1") || return
	# shellcheck disable=SC2059 # the format is the byte
	printf "\\$(printf %03o $((255 - b)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# --verify-file on damaged copies of what socat saved: one byte changed is a
# data error (exit 1) at that byte's stream offset; a copy cut short of
# --size is a data error (exit 1) that gives both counts.
verify_file_damage() {
	local size=$((SIZE_MB << 20)) at=$(((SIZE_MB << 20) / 3 + 7)) out rc

	[ -s "$tmp/recv" ] || { tap_diag "socat saved nothing to check"; return 1; }
	cp "$tmp/recv" "$tmp/bad" && flip_byte "$tmp/bad" "$at" || return
	out=$("$bin/zcrx-send" --verify-file "$tmp/bad" --size "$size" 2>&1)
	rc=$?
	tap_diag "exit $rc: $out"
	[ "$rc" -eq 1 ] && [[ "$out" == *"mismatch at stream offset $at:"* ]] || return
	head -c $((size - 1000)) "$tmp/recv" >"$tmp/short"
	out=$("$bin/zcrx-send" --verify-file "$tmp/short" --size "$size" 2>&1)
	rc=$?
	tap_diag "exit $rc: $out"
	[ "$rc" -eq 1 ] &&
		[[ "$out" == *": $((size - 1000)) bytes match the pattern, but $size were expected"* ]]
}

# A refused connection is a runtime error (exit 3) that names the peer.
send_refused() {
	local out rc

	out=$(ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size 1K "$NSIM_IP4_B" 9 2>&1)
	rc=$?
	tap_diag "$out"
	[ "$rc" -eq 3 ] && [[ "$out" == *"$NSIM_IP4_B"*"refused"* ]]
}

# SIGINT stops a paced endless stream cleanly: exit 0, the bytes it reports
# are what the receiver saved, every one of them the pattern.
send_interrupted() {
	local port=$((PORT + 1)) rpid spid n

	timeout 120 ip netns exec "$NSIM_NS_B" socat -u \
		"TCP4-LISTEN:$port,reuseaddr" "OPEN:$tmp/part,creat,trunc" &
	rpid=$!
	nsim_wait_listen "$NSIM_NS_B" "$port" || { kill "$rpid"; return 1; }
	timeout 120 ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size 1T --rate 8M \
		"$NSIM_IP4_B" "$port" >"$tmp/send-int" 2>&1 &
	spid=$!
	sleep 2
	nsim_signal INT "$spid" || { kill "$rpid" "$spid"; return 1; }
	wait "$spid" || { tap_diag "zcrx-send: exit $?: $(<"$tmp/send-int")"; kill "$rpid"; return 1; }
	wait "$rpid" || return 1
	tap_diag "$(<"$tmp/send-int")"
	n=$(sed -nE 's/^total: 1 connection, ([1-9][0-9]*) bytes .*/\1/p' "$tmp/send-int")
	[ -n "$n" ] && [ "$(stat -c %s "$tmp/part")" = "$n" ] || return 1
	"$bin/zcrx-send" --verify-file "$tmp/part" --size "$n" | sed 's/^/# /'
	return "${PIPESTATUS[0]}"
}

# zcrx-query on the patched kernel: all three queries answered, and the
# zcrx answer is what registration and control accept today (ZCRX_REG_IMPORT
# and ZCRX_REG_NODEV, IORING_ZCRX_AREA_DMABUF, four control operations:
# ZCRX_CTRL_FLUSH_RQ, _EXPORT, _ARM_EVENT and _ADD_AREA), device-less queues
# named as supported.
query_answers() {
	local out

	out=$("$bin/zcrx-query" --json) || { tap_diag "exit $?: $out"; return 1; }
	tap_diag "$out"
	python3 - "$out" <<'PY' || return
import json, sys
q = json.loads(sys.argv[1])
o, z, c = q["opcodes"], q["zcrx"], q["scq"]
assert o["request"] == 59 and o["register"] == 37 and o["query"] == 4, o
assert z["register_flags"] == 3 and z["area_flags"] == 1 and z["ctrl_opcodes"] == 4, z
assert z["features"] == 3, z
assert z["nodev"] is True and z["events"] is True and z["add_area"] is True, z
a = z["rq_hdr_alignment"]
assert z["rq_hdr_size"] >= 8 and a and not a & (a - 1), z
assert c["hdr_size"] > 0, c
PY
	out=$("$bin/zcrx-query") || return
	[[ "$out" == *"zero-copy receive: register flags 0x3, area flags 0x1, control ops 4,"* ]] &&
		[[ "$out" == *"device-less interface queues (ZCRX_REG_NODEV): supported"* ]] &&
		[[ "$out" == *"events and statistics (ZCRX_FEATURE_EVENT): supported"* ]] &&
		[[ "$out" == *"areas added at run time (ZCRX_CTRL_ADD_AREA): supported"* ]]
}

nic_show() {
	local out

	out=$(ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" show "$NSIM_DEV_B" 2>&1) ||
		{ echo "$out" | sed 's/^/# /'; return 1; }
	echo "$out" | sed 's/^/# /'
	[[ "$out" == *"tcp-data-split"* ]]
}

# With ntuple filters off, apply must refuse with exit 4, name the
# device, and change nothing.
nic_apply_refuses() {
	local out rc before after

	ip netns exec "$NSIM_NS_B" ethtool -K "$NSIM_DEV_B" ntuple off || return 1
	before=$(ip netns exec "$NSIM_NS_B" ethtool -g "$NSIM_DEV_B"; ip netns exec "$NSIM_NS_B" ethtool -x "$NSIM_DEV_B")
	out=$(ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" apply "$NSIM_DEV_B" --queue 1 --port "$PORT" 2>&1)
	rc=$?
	after=$(ip netns exec "$NSIM_NS_B" ethtool -g "$NSIM_DEV_B"; ip netns exec "$NSIM_NS_B" ethtool -x "$NSIM_DEV_B")
	ip netns exec "$NSIM_NS_B" ethtool -K "$NSIM_DEV_B" ntuple on
	tap_diag "exit $rc: $out"
	[ "$rc" -eq 4 ] && [[ "$out" == *"$NSIM_DEV_B"* ]] && [ "$before" = "$after" ]
}

queue_bytes() {
	nsim_ethtool_sum "$NSIM_NS_B" "$NSIM_DEV_B" "^rx$1_bytes:"
}

# nic_state: what apply changes and undo must put back: header split,
# the channel count, the RSS table (one block of text, to compare)
nic_state() {
	ip netns exec "$NSIM_NS_B" ethtool -g "$NSIM_DEV_B" | grep 'TCP data split' | tail -n 1
	ip netns exec "$NSIM_NS_B" ethtool -l "$NSIM_DEV_B" | sed -n '/^Current/,$p' | grep '^Combined'
	ip netns exec "$NSIM_NS_B" ethtool -x "$NSIM_DEV_B"
}

# apply from one channel: two channels, split on, RSS off queue 1, the port
# steered to queue 1; a stream to the port lands there; undo puts
# everything back, the single channel and header split off included.
nic_apply_steers_and_undoes() {
	local before after q1 out

	ip netns exec "$NSIM_NS_B" ethtool -L "$NSIM_DEV_B" combined 1 || return
	before=$(nic_state)
	out=$(ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" apply "$NSIM_DEV_B" --queue 1 --port "$PORT" \
		--channels 2 2>&1) || { tap_diag "apply: $out"; return 1; }
	echo "$out" | sed 's/^/# apply: /'
	ip netns exec "$NSIM_NS_B" ethtool -g "$NSIM_DEV_B" | grep -Eq 'TCP data split:[[:space:]]+on' ||
		{ tap_diag "split is not on"; return 1; }
	q1=$(queue_bytes 1)
	send_to_socat || return 1
	[ $(($(queue_bytes 1) - q1)) -ge $((SIZE_MB << 20)) ] ||
		{ tap_diag "the stream did not land on queue 1"; return 1; }
	out=$(ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" undo "$NSIM_DEV_B" 2>&1) ||
		{ tap_diag "undo: $out"; return 1; }
	echo "$out" | sed 's/^/# undo: /'
	after=$(nic_state)
	[ "$before" = "$after" ] ||
		{ tap_diag "not restored: before: $before"; tap_diag "after: $after"; return 1; }
	[ "$(ip netns exec "$NSIM_NS_B" ethtool -n "$NSIM_DEV_B" | awk '/Total [0-9]+ rules/ { print $2 }')" = 0 ] ||
		{ tap_diag "rules left behind"; return 1; }
}

# split_is on|off: bookworm's ethtool -g reports netdevsim's header split.
split_is() {
	ip netns exec "$NSIM_NS_B" /usr/sbin/ethtool -g "$NSIM_DEV_B" |
		grep -Eq "TCP data split:[[:space:]]+$1"
}

# split on/off/auto set header split alone; a bad word is a usage error.
nic_split() {
	local out rc

	ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" split "$NSIM_DEV_B" on &&
		split_is on || { tap_diag "split on did not take"; return 1; }
	ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" split "$NSIM_DEV_B" off &&
		split_is off || { tap_diag "split off did not take"; return 1; }
	# netdevsim's default is off
	ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" split "$NSIM_DEV_B" auto &&
		split_is off || { tap_diag "split auto did not take"; return 1; }
	out=$(ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" split "$NSIM_DEV_B" maybe 2>&1)
	rc=$?
	tap_diag "exit $rc: $out"
	[ "$rc" -eq 2 ] && [[ "$out" == *"'maybe' is not on, off or auto"* ]]
}

# nic_full_state: everything apply may change, as ethtool reports it:
# header split, the channel counts, the RSS table and every ntuple rule.
# (One process in the guest for all four.)
nic_full_state() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "$NSIM_NS_B" bash -c 'e=/usr/sbin/ethtool
		$e -g "$1" | grep "TCP data split"
		$e -l "$1" | sed -n "/^Current/,\$p"
		$e -x "$1" && $e -n "$1"' - "$NSIM_DEV_B"
}

# nic_cmd ARGS...: zcrx-nic in the receiver's namespace, its output as
# diagnostics; its exit status.
nic_cmd() {
	local out rc

	out=$(ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" "$@" 2>&1)
	rc=$?
	tap_diag "zcrx-nic $1 (exit $rc): $out"
	return "$rc"
}

# An RSS table set by hand (ethtool -X weight 1 2) is back exactly after
# apply, apply again (which first undoes the first) and undo: the undo log
# holds the table itself, not "equal over all queues". The log is gone
# afterwards.
nic_undo_restores_custom_rss() {
	local sdir=$tmp/nic-rss before after again=

	ip netns exec "$NSIM_NS_B" ethtool -L "$NSIM_DEV_B" combined 2 &&
		ip netns exec "$NSIM_NS_B" ethtool -X "$NSIM_DEV_B" weight 1 2 || return
	before=$(nic_full_state) || return
	nic_cmd apply "$NSIM_DEV_B" --queue 1 --port "$PORT" --state-dir "$sdir" || return
	[ "$(nic_full_state)" != "$before" ] || { tap_diag "apply changed nothing"; return 1; }
	tap_diag "state file: $(cat "$sdir"/*)"
	nic_cmd apply "$NSIM_DEV_B" --queue 1 --port "$PORT" --state-dir "$sdir" || return
	nic_cmd undo "$NSIM_DEV_B" --state-dir "$sdir" || return
	after=$(nic_full_state)
	# a second undo finds nothing to do and changes nothing
	nic_cmd undo "$NSIM_DEV_B" --state-dir "$sdir" && again=$(nic_full_state)
	ip netns exec "$NSIM_NS_B" ethtool -X "$NSIM_DEV_B" default
	[ "$again" = "$after" ] || { tap_diag "a second undo changed something: $again"; return 1; }
	[ "$before" = "$after" ] ||
		{ tap_diag "not restored: before: $before"; tap_diag "after: $after"; return 1; }
	[ -z "$(ls -A "$sdir")" ] || { tap_diag "left in $sdir: $(ls -A "$sdir")"; return 1; }
}

# apply failing late: 31 of netdevsim's 32 ntuple rule slots taken, so
# after channels (1 -> 2), header split, RSS and the tcp4 rule, the tcp6
# rule finds no room (ENOSPC, exit 3). The log run backwards leaves the
# device exactly as it was (split, channels, RSS table, all 31 rules) and
# no state file.
nic_apply_rolls_back_midway() {
	local sdir=$tmp/nic-fail before after out rc

	ip netns exec "$NSIM_NS_B" ethtool -L "$NSIM_DEV_B" combined 1 || return
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "$NSIM_NS_B" bash -c 'for ((i = 0; i < 31; i++)); do
		/usr/sbin/ethtool -N "$1" flow-type tcp4 dst-port $((7000 + i)) action 0 || exit
		done' - "$NSIM_DEV_B" >/dev/null || { tap_diag "cannot add 31 rules"; return 1; }
	before=$(nic_full_state) || return
	out=$(ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" apply "$NSIM_DEV_B" --queue 1 \
		--port "$PORT" --channels 2 --state-dir "$sdir" 2>&1)
	rc=$?
	tap_diag "zcrx-nic apply (exit $rc): $out"
	after=$(nic_full_state)
	# ntuple off deletes netdevsim's rules
	ip netns exec "$NSIM_NS_B" ethtool -K "$NSIM_DEV_B" ntuple off
	ip netns exec "$NSIM_NS_B" ethtool -K "$NSIM_DEV_B" ntuple on
	ip netns exec "$NSIM_NS_B" ethtool -L "$NSIM_DEV_B" combined 2
	[ "$rc" -eq 3 ] && [[ "$out" == *"No space left on device"* ]] &&
		[[ "$out" == *"ntuple: flow-type tcp4 dst-port $PORT action 1"* ]] &&
		[[ "$out" == *"rolling back 4 change(s)"* ]] ||
		{ tap_diag "apply did not fail at its tcp6 rule"; return 1; }
	[ "$before" = "$after" ] ||
		{ tap_diag "not restored: before: $before"; tap_diag "after: $after"; return 1; }
	[ -z "$(ls -A "$sdir")" ] || { tap_diag "left in $sdir: $(ls -A "$sdir")"; return 1; }
}

# recv_setup_start [RECV-ARGS...]: zcrx-recv --setup on queue 1 of the
# receiving port for PORT in the background (its stdout in $tmp/setup.out,
# stderr in $tmp/setup.err); returns once it listens, with the NIC's state
# from before in $setup_before and while it listens in $setup_during.
recv_setup_start() {
	setup_before=$(nic_full_state) || return
	ip netns exec "$NSIM_NS_B" "$bin/zcrx-recv" --setup --ifname "$NSIM_DEV_B" --queue 1 \
		"$@" :: "$PORT" >"$tmp/setup.out" 2>"$tmp/setup.err" &
	setup_pid=$!
	nsim_wait_listen "$NSIM_NS_B" "$PORT" "$setup_pid" || {
		kill "$setup_pid" 2>/dev/null
		wait "$setup_pid"
		sed 's/^/# /' "$tmp/setup.err"
		return 1
	}
	setup_during=$(nic_full_state)
}

# recv_setup_end WANT-STATUS: waits for zcrx-recv --setup; it exited with
# WANT-STATUS, had set the NIC up while it listened (header split on, a
# rule steering PORT to queue 1), and left it exactly as it was before,
# with no state file behind.
recv_setup_end() {
	local rc after

	wait "$setup_pid"
	rc=$?
	after=$(nic_full_state)
	sed 's/^/# recv: /' "$tmp/setup.out" "$tmp/setup.err"
	[ "$rc" -eq "$1" ] || { tap_diag "exit $rc, not $1"; return 1; }
	grep -Eq "TCP data split:[[:space:]]+on" <<<"$setup_during" &&
		[[ "$setup_during" == *"Dest port: $PORT "*"Action: Direct to queue 1"* ]] ||
		{ tap_diag "not set up while listening: $setup_during"; return 1; }
	[ "$setup_before" = "$after" ] || {
		tap_diag "not restored: before: $setup_before"
		tap_diag "after: $after"
		return 1
	}
	! ip netns exec "$NSIM_NS_B" bash -c 'ls /run/zcrx-nic/"$1".* 2>/dev/null' - \
		"$NSIM_DEV_B" | grep -q . || { tap_diag "a state file is left"; return 1; }
}

# zcrx-recv --setup sets the NIC up for its queue and port, receives a
# verified stream through it in place, and undoes the set-up on exit.
recv_setup_stream() {
	recv_setup_start --verify --expect-bytes 1M || return
	ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size 1M "$NSIM_IP4_B" "$PORT" |
		sed 's/^/# send: /'
	recv_setup_end 0 || return
	grep -qE '^kernel: [1-9][0-9]* bytes zero copy' "$tmp/setup.out" ||
		{ tap_diag "nothing received in place"; return 1; }
}

# A step after the set-up fails (--rx-buf-len 12K: registration refuses
# it): exit 3, and the NIC is put back before zcrx-recv exits.
recv_setup_failure() {
	local before rc

	before=$(nic_full_state) || return
	ip netns exec "$NSIM_NS_B" "$bin/zcrx-recv" --setup --ifname "$NSIM_DEV_B" --queue 1 \
		--rx-buf-len 12K :: "$PORT" >"$tmp/setup.out" 2>"$tmp/setup.err"
	rc=$?
	sed 's/^/# recv: /' "$tmp/setup.err"
	[ "$rc" -eq 3 ] && grep -q "tcp-data-split: off -> on" "$tmp/setup.err" &&
		grep -q "size the buffers of" "$tmp/setup.err" ||
		{ tap_diag "exit $rc: not set up, then failed"; return 1; }
	[ "$(nic_full_state)" = "$before" ] ||
		{ tap_diag "not restored: $(nic_full_state)"; return 1; }
}

# A device set up already (zcrx-nic apply, or another receiver's --setup)
# is left alone: zcrx-recv --setup exits 3 (EBUSY) and changes nothing.
recv_setup_busy() {
	local before rc

	nic_cmd apply "$NSIM_DEV_B" --queue 1 --port "$PORT" || return
	before=$(nic_full_state)
	ip netns exec "$NSIM_NS_B" "$bin/zcrx-recv" --setup --ifname "$NSIM_DEV_B" --queue 1 \
		:: "$((PORT + 1))" >"$tmp/setup.out" 2>"$tmp/setup.err"
	rc=$?
	sed 's/^/# recv: /' "$tmp/setup.err"
	[ "$(nic_full_state)" = "$before" ] || { tap_diag "the earlier setup changed"; rc=99; }
	nic_cmd undo "$NSIM_DEV_B" || return
	[ "$rc" -eq 3 ] && grep -q "is set up already, for queue 1 and port $PORT" "$tmp/setup.err"
}

# recv_setup_signal SIG: SIG to a zcrx-recv --setup waiting for its
# connection ends it (exit 3, the signal named) with the NIC put back.
recv_setup_signal() {
	recv_setup_start || return
	kill -s "$1" "$setup_pid"
	recv_setup_end 3 || return
	grep -q "stopped by SIG$1" "$tmp/setup.err" || { tap_diag "the signal is not named"; return 1; }
}

main() {
	if [ ! -x "$bin/zcrx-send" ] || [ ! -x "$bin/zcrx-nic" ] || [ ! -x "$bin/zcrx-query" ]; then
		tap_skip "zcrx tools not built in $bin"
		tap_done
		return
	fi
	if ! nsim_pair_setup 2; then
		tap_not_ok "netdevsim pair in two namespaces"
		tap_done
		return
	fi
	tap_check "zcrx-send -> socat: $SIZE_MB MiB, verified by the pattern checker" send_to_socat
	tap_check "zcrx-send --verify-file: a changed byte and a short file are exit 1, named" \
		verify_file_damage
	tap_check "zcrx-send: refused connection is exit 3 with the peer named" send_refused
	tap_check "zcrx-send: SIGINT ends the stream cleanly, what it reports sent was received" \
		send_interrupted
	tap_check "zcrx-query: the kernel answers every query, zcrx as registration accepts" \
		query_answers
	tap_check "zcrx-nic show: channels and rings of a netdevsim port" nic_show
	tap_check "zcrx-nic split: on, off, auto; a bad word is exit 2" nic_split
	tap_check "zcrx-nic apply: refuses a NIC with ntuple off, exit 4, nothing changed" \
		nic_apply_refuses
	tap_check "zcrx-nic apply sets channels, split, RSS and a rule; undo restores all four" \
		nic_apply_steers_and_undoes
	tap_check "zcrx-nic undo puts back a custom RSS table exactly, after apply twice" \
		nic_undo_restores_custom_rss
	tap_check "zcrx-nic apply failing at its last rule rolls everything back, no state left" \
		nic_apply_rolls_back_midway
	tap_check "zcrx-recv --setup: set up, 1 MiB verified in place, the NIC as it was after" \
		recv_setup_stream
	tap_check "zcrx-recv --setup failing after the set-up: exit 3, the NIC as it was" \
		recv_setup_failure
	tap_check "zcrx-recv --setup on a device set up already: exit 3 (EBUSY), left alone" \
		recv_setup_busy
	tap_check "zcrx-recv --setup and SIGTERM: exit 3, the NIC as it was" recv_setup_signal TERM
	tap_check "zcrx-recv --setup and SIGINT: exit 3, the NIC as it was" recv_setup_signal INT
	tap_done
}

main
