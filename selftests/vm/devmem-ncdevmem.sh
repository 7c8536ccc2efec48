#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The base tree's own devmem TCP selftest, ncdevmem
# (tools/testing/selftests/net/ncdevmem.c, built by
# scripts/build-ncdevmem.sh), over the standard netdevsim pair: an
# independent check of the net core's generic memory-provider path with a
# second provider (a udmabuf bound with NETDEV_CMD_BIND_RX). ncdevmem first
# checks binding errors itself (an empty queue list, tcp-data-split off),
# then binds queues START..START+NUM-1 of B, steers the port there and
# validates the 7-byte pattern a client in A sends (bytes 1..6, 0, repeated;
# "-v 7"). Around it: the binding is visible in netdev netlink, channels
# cannot drop a bound queue, the queues lose the binding when ncdevmem exits
# and then receive normally again. TAP on stdout. Runs in the test VM.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/tap.sh"
source "$here/lib/nsim.sh"

bin=${NCDEVMEM:-$here/../build/ncdevmem/ncdevmem}
QUEUES=${QUEUES:-4}
START=${START:-2}       # ncdevmem -t: first bound queue (RSS gets 0..START-1)
NUM=${NUM:-2}           # ncdevmem -q: bound queues
PORT=${PORT:-5201}
SIZE_KB=${SIZE_KB:-256} # the guest is slow: a few hundred KB
# Under TCG with a debug kernel ncdevmem takes minutes to listen: it binds
# a udmabuf three times (8 MB: scripts/build-ncdevmem.sh shrinks it from
# upstream's 62.5 MB), and runs about 10 ethtool commands.
LISTEN_WAIT=${LISTEN_WAIT:-720}
tmp=$(mktemp -d)
srv_pid=

cleanup() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
	nsim_pair_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

# netdev_queues: B's RX queues as "ID:DMABUF" words (DMABUF "-" if none),
# from netdev netlink (queue-get), i.e. from the provider's nl_fill.
netdev_queues() {
	ip netns exec "$NSIM_NS_B" python3 "$here/lib/netdev-dump.py" queues \
		"$(nsim_ifindex "$NSIM_NS_B" "$NSIM_DEV_B")" | tr '\n' ' '
}

# bound_as ID: queues START.. carry dmabuf ID, the others none.
bound_as() {
	local want=$1 q got expect=

	got=$(netdev_queues) || return 1
	for q in $(seq 0 $((QUEUES - 1))); do
		if [ "$q" -ge "$START" ] && [ "$q" -lt $((START + NUM)) ]; then
			expect+="$q:$want "
		else
			expect+="$q:- "
		fi
	done
	tap_diag "queue-get: $got(want $expect)"
	[ "$got" = "$expect" ]
}

# server_listening: wait (LISTEN_WAIT s at most) until ncdevmem listens.
server_listening() {
	local end=$((SECONDS + LISTEN_WAIT))

	while [ "$SECONDS" -lt "$end" ]; do
		ip netns exec "$NSIM_NS_B" ss -Hltn "sport = :$PORT" | grep -q . && return 0
		kill -0 "$srv_pid" 2>/dev/null || return 1
		sleep 1
	done
	return 1
}

# stamp: copy stdin to stdout, each line prefixed with the time (ncdevmem's
# own output has none, and the guest is slow enough for it to matter).
stamp() {
	local line

	while IFS= read -r line; do
		printf '%(%H:%M:%S)T %s\n' -1 "$line"
	done
}

# raw: the server's output without our time stamps.
raw() {
	sed -E 's/^[0-9]{2}:[0-9]{2}:[0-9]{2} //' "$tmp/server.out"
}

# out_has REGEX: the server's output has a matching line.
out_has() {
	raw | grep -Eq "$1"
}

# split_off_refused: after ncdevmem turns tcp-data-split off, its bind fails
# with EINVAL (net_mp_open_rxq), and ncdevmem did not complain otherwise.
split_off_refused() {
	raw | awk -v off="tcp-data-split off" '
		index($0, off) { inoff = 1; next }
		/^Running:/ { inoff = 0 }
		inoff && /^YNL failed/ { print }
		inoff && /^netdev_bind_rx: Invalid argument/ { print; found = 1 }
		END { exit !found }' | sed 's/^/# split off: /' &&
		! out_has 'header split off should have failed'
}

# channels_refused: shrinking B to START+NUM-1 channels must fail, and for
# the memory provider: neither the RSS table (queues 0..START-1) nor
# ncdevmem's ntuple rule (queue START) stands in the way of that count.
channels_refused() {
	local n=$((START + NUM - 1))

	ip netns exec "$NSIM_NS_B" ethtool -L "$NSIM_DEV_B" combined "$n" >"$tmp/channels" 2>&1 &&
		{ tap_diag "ethtool -L combined $n succeeded"; return 1; }
	sed 's/^/# ethtool -L: /' "$tmp/channels"
	grep -q 'memory provider' "$tmp/channels"
}

# plain_again: a plain socat transfer to PORT lands on queue START (the
# rule ncdevmem left), now back on its own page pool, and arrives intact.
plain_again() {
	local before after

	before=$(nsim_ethtool_sum "$NSIM_NS_B" "$NSIM_DEV_B" "^rx${START}_bytes:")
	rm -f "$tmp/recv"
	timeout 120 ip netns exec "$NSIM_NS_B" socat -u \
		"TCP4-LISTEN:$PORT,reuseaddr" "OPEN:$tmp/recv,creat,trunc" &
	srv_pid=$!
	nsim_wait_listen "$NSIM_NS_B" "$PORT" &&
		timeout 120 ip netns exec "$NSIM_NS_A" socat -u "OPEN:$tmp/send" \
			"TCP4:$NSIM_IP4_B:$PORT" &&
		wait "$srv_pid" || return 1
	srv_pid=
	after=$(nsim_ethtool_sum "$NSIM_NS_B" "$NSIM_DEV_B" "^rx${START}_bytes:")
	tap_diag "queue $START: +$((after - before)) bytes"
	cmp -s "$tmp/send" "$tmp/recv" && [ $((after - before)) -ge "$(stat -c %s "$tmp/send")" ]
}

main() {
	local size=$((SIZE_KB << 10)) rc id total p stamp_pid

	if [ ! -x "$bin" ]; then
		tap_skip "ncdevmem not built ($bin): run scripts/build-ncdevmem.sh"
		tap_done
		return
	fi
	# ncdevmem runs "sudo ethtool ...": a sudo that just runs its command.
	mkdir -p "$tmp/bin"
	printf '#!/bin/sh\nexec "$@"\n' >"$tmp/bin/sudo"
	chmod +x "$tmp/bin/sudo"
	PATH=$tmp/bin:$PATH

	tap_check "/dev/udmabuf exists (CONFIG_UDMABUF)" test -c /dev/udmabuf
	if ! nsim_pair_setup "$QUEUES"; then
		tap_not_ok "netdevsim pair with $QUEUES queues"
		tap_done
		return
	fi
	yes "$(printf '\001\002\003\004\005\006')" | tr '\n' '\0' |
		head -c "$size" >"$tmp/send"

	SECONDS=0
	tap_diag "$(date +%T) starting ncdevmem"
	# (a FIFO: the guest's /dev has no /dev/fd for process substitution)
	mkfifo "$tmp/server.fifo"
	stamp <"$tmp/server.fifo" >"$tmp/server.out" &
	stamp_pid=$!
	ip netns exec "$NSIM_NS_B" timeout $((LISTEN_WAIT + 300)) "$bin" -l -f "$NSIM_DEV_B" \
		-s "$NSIM_IP4_B" -p "$PORT" -v 7 -t "$START" -q "$NUM" \
		>"$tmp/server.fifo" 2>&1 &
	srv_pid=$!
	if ! server_listening; then
		tap_not_ok "ncdevmem binds queues $START..$((START + NUM - 1)) and listens (waited $SECONDS s)"
		sed 's/^/# ncdevmem: /' "$tmp/server.out" | tail -n 40
		for p in $(pgrep -x ncdevmem); do
			tap_diag "ncdevmem $p: $(cat "/proc/$p/wchan" 2>/dev/null)"
			sed 's/^/# stack: /' "/proc/$p/stack" 2>/dev/null
		done
		dmesg | tail -n 30 | sed 's/^/# dmesg: /'
		tap_done
		return
	fi
	tap_ok "ncdevmem binds queues $START..$((START + NUM - 1)) and listens (after $SECONDS s)"
	tap_check "ncdevmem: binding an empty queue list fails" \
		eval '! out_has "empty queues array should have failed"'
	tap_check "ncdevmem: binding with tcp-data-split off fails" split_off_refused
	id=$(raw | sed -n 's/^got dmabuf id=\([0-9]*\)$/\1/p' | tail -n1)
	tap_check "queue-get shows dmabuf ${id:-?} on queues $START..$((START + NUM - 1)) only" \
		bound_as "${id:-none}"
	tap_check "channels cannot drop a bound queue (ethtool -L combined $((START + NUM - 1)))" \
		channels_refused

	SECONDS=0
	timeout 240 ip netns exec "$NSIM_NS_A" socat -u "OPEN:$tmp/send" \
		"TCP4:$NSIM_IP4_B:$PORT" || tap_diag "client (socat) failed"
	wait "$srv_pid"
	rc=$?
	srv_pid=
	wait "$stamp_pid" # it has written the rest
	tap_diag "transfer and ncdevmem exit took $SECONDS s"
	[ -n "${ZCRX_RUN_DIR:-}" ] && cp "$tmp/server.out" "$ZCRX_RUN_DIR/ncdevmem-server.log"
	total=$(raw | sed -n 's/^total_received=\([0-9]*\)$/\1/p' | tail -n1)
	grep -E '^[0-9:]{8} (Running|got dmabuf|YNL failed|netdev_bind_rx|binding to|Got connection|client exited|Failed validation|SCM_DEVMEM_LINEAR|ncdevmem)' \
		"$tmp/server.out" | head -n 40 | sed 's/^/# ncdevmem: /'
	tap_diag "ncdevmem exit $rc, total_received=${total:-none} of $size," \
		"$(raw | grep -c '^Validated buffer') frags validated," \
		"$(raw | grep -c '^SCM_DEVMEM_LINEAR') linear"
	if [ "$rc" -ne 0 ]; then
		tail -n 15 "$tmp/server.out" | sed 's/^/# ncdevmem tail: /'
		dmesg | tail -n 30 | sed 's/^/# dmesg: /'
	fi
	tap_check "ncdevmem receives $SIZE_KB KiB into the dmabuf and exits 0 at EOF" \
		eval '[ "$rc" -eq 0 ] && out_has "^client exited"'
	tap_check "every byte arrived as dmabuf frags (total_received = $size)" \
		eval '[ "${total:-0}" -eq "$size" ] && ! out_has "^SCM_DEVMEM_LINEAR"'
	tap_check "the pattern validates (no 'Failed validation')" \
		eval 'out_has "^Validated buffer" && ! out_has "Failed validation|validation failed"'
	tap_check "ncdevmem's exit unbinds: queue-get shows no dmabuf" bound_as -
	tap_check "queue $START receives plain TCP again after the unbind" plain_again
	tap_done
}

main
