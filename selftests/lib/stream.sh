# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A verified stream from zcrx-send in NSIM_NS_A to zcrx-recv in NSIM_NS_B
# (lib/nsim.sh's pair), and what the receiver and the NIC said about it.
# Brings lib/tap.sh and lib/nsim.sh along, and sets bin (the tools, from
# ZCRX_BIN or the build tree). The caller sets: tmp (a scratch directory),
# ZC_QUEUE (the zero-copy queue), PORT (the port steered to it) and
# recv_pid= (the running receiver, if any).
# shellcheck disable=SC2154,SC2153 # tmp and PORT come from the caller

# shellcheck source=tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
# shellcheck source=nsim.sh
source "$(dirname "${BASH_SOURCE[0]}")/nsim.sh"
bin=${ZCRX_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/meson/userspace/tools}

# queue_stat Q NAME: netdevsim's per-queue counter rxQ_NAME on the receiver.
queue_stat() {
	nsim_ethtool_sum "$NSIM_NS_B" "$NSIM_DEV_B" "^rx$1_$2:"
}

queue_bytes() {
	queue_stat "$1" bytes
}

# recv_wait: wait for the receiver, show its output, return its status.
recv_wait() {
	local rc

	wait "$recv_pid"
	rc=$?
	recv_pid=
	sed 's/^/# recv: /' "$tmp/recv.out" "$tmp/recv.err"
	return "$rc"
}

# recv_start PORT ARGS...: zcrx-recv on :: PORT in the background; returns
# once it listens, or with its status if it exits first.
recv_start() {
	local port=$1 rc pid

	shift
	timeout 300 ip netns exec "$NSIM_NS_B" "$bin/zcrx-recv" --ifname "$NSIM_DEV_B" \
		--queue "$ZC_QUEUE" "$@" :: "$port" >"$tmp/recv.out" 2>"$tmp/recv.err" &
	recv_pid=$!
	nsim_wait_listen "$NSIM_NS_B" "$port" "$recv_pid" 2>"$tmp/listen.err" && return 0
	tap_diag "$(<"$tmp/listen.err")"
	if pid=$(pgrep -P "$recv_pid"); then
		tap_diag "zcrx-recv is waiting in $(cat "/proc/$pid/wchan" 2>/dev/null)"
	fi
	kill "$recv_pid" 2>/dev/null
	recv_wait
	rc=$?
	[ "$rc" -ne 0 ] || rc=1
	return "$rc"
}

# send_verified SIZE CONNECTIONS ADDR PORT [RECV-ARGS...]: zcrx-send's
# pattern, verified by zcrx-recv, exactly SIZE bytes on every connection.
send_verified() {
	local size=$1 conns=$2 addr=$3 port=$4

	shift 4
	recv_start "$port" --verify --expect-bytes "$size" --connections "$conns" "$@" || return
	timeout 300 ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size "$size" \
		--connections "$conns" "$addr" "$port" | sed 's/^/# send: /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || { recv_wait; return 1; }
	recv_wait
}

# placement zc|copy: the kernel's own count, in zcrx-recv's report, of how
# the bytes were placed: a steered stream in place (at least 95%: a few
# bytes may be copied), any other flow all by copy.
placement() {
	local line

	line=$(grep -m1 '^kernel: ' "$tmp/recv.out") ||
		{ tap_diag "zcrx-recv printed no placement"; return 1; }
	case $1 in
	zc) grep -qE '^kernel: [1-9][0-9]* bytes zero copy \((9[5-9]|100)\.[0-9]%\)' <<<"$line" ;;
	copy) grep -qE '^kernel: 0 bytes zero copy .*, [1-9][0-9]* bytes by copy' <<<"$line" ;;
	esac || { tap_diag "expected placement $1, got: $line"; return 1; }
}

# steered SIZE [RECV-ARGS...]: the payload of a steered stream, verified,
# lands on the zero-copy queue and is received in place.
steered() {
	local q1 size=$1

	shift
	q1=$(queue_bytes "$ZC_QUEUE")
	send_verified "$size" 1 "$NSIM_IP4_B" "$PORT" "$@" || return
	[ $(($(queue_bytes "$ZC_QUEUE") - q1)) -ge "$size" ] ||
		{ tap_diag "the stream did not land on queue $ZC_QUEUE"; return 1; }
	placement zc
}

# stream_setup: the tools are there, and the pair is set up with ZC_QUEUE
# ready for PORT (zcrx-nic apply). Otherwise it reports why in TAP and
# fails; the caller then ends its plan.
stream_setup() {
	if [ ! -x "$bin/zcrx-recv" ] || [ ! -x "$bin/zcrx-send" ]; then
		tap_skip "zcrx tools not built in $bin"
		return 1
	fi
	nsim_pair_setup 2 || { tap_not_ok "netdevsim pair in two namespaces"; return 1; }
	ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" apply "$NSIM_DEV_B" --queue "$ZC_QUEUE" \
		--port "$PORT" | sed 's/^/# nic: /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || { tap_not_ok "zcrx-nic apply"; return 1; }
}
