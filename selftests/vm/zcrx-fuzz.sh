#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# zcrx-fuzz against the zero-copy queue of the netdevsim pair, each mode
# with a fixed seed (a failure replays with the same command):
#  - refill: a million hostile refill entries among the legitimate ones
#    under a verified stream; every byte verifies and the kernel rejects
#    exactly the entries it must (ZcrxRqBadEntries); then a chaos phase of
#    duplicates and entries for buffers still held, whose answer depends on
#    timing: the kernel rejects no more than it was given and the streams
#    deliver every byte they were sent;
#  - sqe: random RECV_ZC SQEs, each ending with its documented errno;
#  - reg: random registration structures, each answer documented;
#  - query: random IORING_REGISTER_QUERY chains, the return, every header
#    and every answer buffer exactly as predicted;
#  - lifecycle: rings closed and receivers SIGKILLed under a stream while
#    the queue is restarted, the queue registered again at once each time.
# Every mode runs without CAP_IPC_LOCK under one RLIMIT_MEMLOCK, so that
# the kernel charges each area and region to the user. After each mode the
# fuzzer's pinned memory (VmPin) is back to zero; at the end the page pools
# settle to the two live ones, no page is left pinned (/proc/vmstat
# FOLL_PIN counts back where they were), and the user's memlock charge is
# back to zero (zcrx-fuzz charge). The VM run also fails on any kernel
# splat or leak report. TAP on stdout.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/stream.sh"

PORT=${PORT:-5301} # steered to ZC_QUEUE by zcrx-nic apply
ZC_QUEUE=1
SEED=${FUZZ_SEED:-1}
REFILL_COUNT=${FUZZ_REFILL_COUNT:-1000000}
# the refill mode's time budget (it took about 40 s for its million on TCG)
REFILL_SECONDS=${FUZZ_REFILL_SECONDS:-150}
# entries of the chaos phase that follows (about 800 a second on TCG: the
# entries it accepts free buffers, so the copies read the ring less)
CHAOS_COUNT=${FUZZ_CHAOS_COUNT:-20000}
# what any one program here may take: both budgets and a wide margin
LIMIT=$((2 * REFILL_SECONDS + 150))
MEMLOCK=$((64 << 20))
# zcrx-fuzz as a user whose areas count against RLIMIT_MEMLOCK
fuzzer=(ip netns exec "$NSIM_NS_B" prlimit --memlock="$MEMLOCK:$MEMLOCK"
	setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock "$bin/zcrx-fuzz")
tmp=$(mktemp -d)
recv_pid=
send_pid=
reset_pid=

cleanup() {
	nsim_kill_jobs
	nsim_pair_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

# pins_outstanding: pages pinned (FOLL_PIN) and not yet unpinned, system-wide.
pins_outstanding() {
	local name value acquired=0 released=0

	while read -r name value; do
		case $name in
		nr_foll_pin_acquired) acquired=$value ;;
		nr_foll_pin_released) released=$value ;;
		esac
	done </proc/vmstat
	echo $((acquired - released))
}

# fuzz MODE ARGS...: zcrx-fuzz MODE on the queue in the receiving namespace,
# its output in $tmp/MODE (shown as diagnostics); returns its status.
fuzz() {
	local mode=$1 rc

	shift
	timeout "$LIMIT" "${fuzzer[@]}" "$mode" --ifname "$NSIM_DEV_B" --queue "$ZC_QUEUE" \
		--seed "$SEED" "$@" >"$tmp/$mode" 2>&1
	rc=$?
	sed 's/^/# /' "$tmp/$mode"
	return "$rc"
}

# fuzz_stream_begin MODE ARGS...: zcrx-fuzz MODE receiving zcrx-send's
# endless stream, both in the background.
fuzz_stream_begin() {
	local mode=$1

	shift
	timeout "$LIMIT" "${fuzzer[@]}" "$mode" --ifname "$NSIM_DEV_B" --queue "$ZC_QUEUE" \
		--seed "$SEED" --port "$PORT" "$@" >"$tmp/$mode" 2>&1 &
	recv_pid=$!
	nsim_wait_listen "$NSIM_NS_B" "$PORT" "$recv_pid" ||
		{ tap_diag "$(<"$tmp/$mode")"; return 1; }
	timeout "$LIMIT" ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size 1T "$NSIM_IP4_B" "$PORT" \
		>"$tmp/send" 2>&1 &
	send_pid=$!
}

# fuzz_stream_end MODE: stop the sender (SIGINT: its stream ends with a FIN
# and it prints what it sent) and wait for the fuzzer; its status.
fuzz_stream_end() {
	local rc

	nsim_signal INT "$send_pid" 2>/dev/null
	wait "$send_pid"
	wait "$recv_pid"
	rc=$?
	sed 's/^/# /' "$tmp/$1"
	return "$rc"
}

# field MODE REGEX: the fuzzer's output of MODE has a line matching REGEX.
field() {
	grep -qE "$2" "$tmp/$1" || { tap_diag "$1: no line matches: $2"; return 1; }
}

# refill: a small area, so that copies find the free list empty and read
# the ring in big batches, and the largest ring.
refill() {
	local end=$((SECONDS + 2 * REFILL_SECONDS + 50))

	fuzz_stream_begin refill --count "$REFILL_COUNT" --seconds "$REFILL_SECONDS" --area-size 4M \
		--rq-entries 32768 --chaos "$CHAOS_COUNT" || return
	until grep -q "hostile phase over" "$tmp/refill"; do
		kill -0 "$recv_pid" 2>/dev/null || break
		[ "$SECONDS" -lt "$end" ] || { tap_diag "refill: hostile phase not over in time"; break; }
		sleep 1
	done
	fuzz_stream_end refill
}

# written_at_least WHAT MIN: the refill output says at least MIN entries of
# WHAT ("hostile", "chaos") were written.
written_at_least() {
	local n

	n=$(sed -nE "s/^refill: $1 entries written: ([0-9]+),.*/\1/p" "$tmp/refill")
	[ "${n:-0}" -ge "$2" ] || { tap_diag "only ${n:-0} $1 entries written"; return 1; }
}

# kinds_written KIND...: the refill output counts each KIND at least once.
kinds_written() {
	local kind missing=

	for kind in "$@"; do
		grep -qE "^refill:   $kind: [1-9]" "$tmp/refill" || missing+=" [$kind]"
	done
	[ -z "$missing" ] || { tap_diag "never written:$missing"; return 1; }
}

# refill_exact: the kernel's bad-entry count was exactly ours when the
# hostile phase settled.
refill_exact() {
	local at want

	at=$(sed -nE 's/^refill: kernel ZcrxRqBadEntries ([0-9]+) when .*; expected [0-9]+$/\1/p' "$tmp/refill")
	want=$(sed -nE 's/^refill: kernel ZcrxRqBadEntries [0-9]+ when .*; expected ([0-9]+)$/\1/p' "$tmp/refill")
	if [ -z "$at" ] || [ "$at" != "$want" ]; then
		tap_diag "kernel: ${at:-?}; expected ${want:-?}"
		return 1
	fi
}

# refill_chaos_bounded: the kernel rejected no more entries than it was
# given after the exact phase.
refill_chaos_bounded() {
	local rejected given

	read -r rejected given <<<"$(sed -nE 's/^refill: chaos: kernel rejected (-?[0-9]+) of the ([0-9]+) entries .*/\1 \2/p' "$tmp/refill")"
	if [ -z "$rejected" ] || [ "$rejected" -lt 0 ] || [ "$rejected" -gt "$given" ]; then
		tap_diag "rejected ${rejected:-?} of ${given:-?}"
		return 1
	fi
}

# stream_complete: the zero-copy stream received every byte zcrx-send sent
# and the loopback stream every byte the fuzzer sent, chaos phase or not.
stream_complete() {
	local got sent lo_got lo_sent

	got=$(sed -nE 's/^refill: stream: ([0-9]+) bytes .*/\1/p' "$tmp/refill")
	sent=$(sed -nE 's/^total: 1 connection, ([0-9]+) bytes .*/\1/p' "$tmp/send")
	lo_got=$(sed -nE 's/^refill: loopback stream: ([0-9]+) bytes in .*/\1/p' "$tmp/refill")
	lo_sent=$(sed -nE 's/^refill: loopback stream: ([0-9]+) bytes sent$/\1/p' "$tmp/refill")
	if [ -z "$got" ] || [ "$got" != "$sent" ] || [ -z "$lo_got" ] || [ "$lo_got" != "$lo_sent" ]; then
		tap_diag "received ${got:-?} of ${sent:-?}, loopback ${lo_got:-?} of ${lo_sent:-?}"
		return 1
	fi
}

# lifecycle: each cycle takes a connection of its own (a new zcrx-send
# whenever one ends), and the queue is restarted every second meanwhile.
lifecycle() {
	local reset=/sys/kernel/debug/netdevsim/netdevsim$NSIM_ID_B/ports/0/queue_reset rc

	timeout "$LIMIT" "${fuzzer[@]}" lifecycle --ifname "$NSIM_DEV_B" --queue "$ZC_QUEUE" \
		--seed "$SEED" --port "$PORT" --count 30 --seconds 60 >"$tmp/lifecycle" 2>&1 &
	recv_pid=$!
	nsim_wait_listen "$NSIM_NS_B" "$PORT" "$recv_pid" ||
		{ tap_diag "$(<"$tmp/lifecycle")"; return 1; }
	while kill -0 "$recv_pid" 2>/dev/null; do
		timeout 120 ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size 1T "$NSIM_IP4_B" \
			"$PORT" >/dev/null 2>&1
	done &
	send_pid=$!
	while kill -0 "$recv_pid" 2>/dev/null; do
		echo "$ZC_QUEUE" >"$reset" 2>/dev/null
		sleep 1
	done &
	reset_pid=$!
	wait "$recv_pid"
	rc=$?
	wait "$send_pid" "$reset_pid"
	sed 's/^/# /' "$tmp/lifecycle"
	return "$rc"
}

# no_eexist: no try of the fuzzer failed with EEXIST (its own lines say so)
no_eexist() {
	! grep -q '^reg: try .*: EEXIST$' "$tmp/reg"
}

# pins_back N: within 20 s, the pages pinned system-wide are N again.
pins_back() {
	for _ in $(seq 20); do
		[ "$(pins_outstanding)" = "$1" ] && return 0
		sleep 1
	done
	tap_diag "pages pinned: $(pins_outstanding), before the fuzzing: $1"
	return 1
}

main() {
	local pins

	if [ ! -x "$bin/zcrx-fuzz" ]; then
		tap_skip "zcrx-fuzz not built in $bin"
		tap_done
		return
	fi
	stream_setup || { tap_done; return; }
	pins=$(pins_outstanding)

	refill
	tap_check "refill: hostile entries under verified streams, fuzzer ok" field refill "^refill: ok$"
	tap_check "refill: at least $REFILL_COUNT hostile entries written" \
		written_at_least hostile "$REFILL_COUNT"
	tap_check "refill: every byte of the stream verified up to the chaos phase" \
		field refill "^refill: stream: [1-9][0-9]* bytes .*the first [1-9][0-9]* verified, pattern ok$"
	tap_check "refill: every byte of the copied loopback stream verified up to the chaos phase" \
		field refill "^refill: loopback stream: [1-9][0-9]* bytes .*the first [1-9][0-9]* verified, pattern ok$"
	tap_check "refill: every kind of hostile entry written" kinds_written "non-zero __pad" \
		"token of another area" "offset past the area" "buffer never handed out" \
		"tail a lap and an odd amount ahead" "tail behind the head"
	tap_check "refill: kernel rejected exactly the hostile entries" refill_exact
	tap_check "refill: chaos: at least $CHAOS_COUNT entries whose answer depends on timing" \
		written_at_least chaos "$CHAOS_COUNT"
	tap_check "refill: chaos: every kind written" kinds_written \
		"second entry right behind the return" "second entry for a buffer returned earlier" \
		"returned before it was read, and again after" "any buffer of the area, lent out or not"
	tap_check "refill: chaos: the kernel rejected no more entries than it was given" \
		refill_chaos_bounded
	tap_check "refill: both streams delivered every byte sent to them, chaos or not" stream_complete
	tap_check "refill: pinned memory back to zero after close" field refill "^refill: pinned memory after close: VmPin 0 kB"

	fuzz sqe --count 20000 --seconds 30
	tap_check "sqe: every RECV_ZC SQE answered as documented" field sqe "^sqe: ok$"
	tap_check "sqe: data of valid requests verified" field sqe "^sqe: data: .* pattern ok$"

	fuzz reg --count 5000 --seconds 30
	tap_check "reg: every registration answered as documented" field reg "^reg: ok$"
	tap_check "reg: no EEXIST after a successful registration's ring closed" no_eexist

	fuzz query --count 20000 --seconds 30
	tap_check "query: every IORING_REGISTER_QUERY chain answered exactly as predicted" \
		field query "^query: ok$"

	lifecycle
	tap_check "lifecycle: rings closed and owners killed under restarts, registers again, data verified" \
		field lifecycle "^lifecycle: ok$"

	tap_check "page pools settle to the two live ones" nsim_pools_settle 2 "$NSIM_NS_B"
	tap_check "no page left pinned (FOLL_PIN count back to $pins)" pins_back "$pins"
	fuzz charge
	tap_check "memlock charge back to zero: an area of the whole limit registers" \
		field charge "^charge: ok$"
	tap_done
}

main
