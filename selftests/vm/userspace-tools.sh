#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The userspace tools over the standard netdevsim pair: zcrx-send's stream
# received by socat (a client we did not write) and checked with the
# library's verifier, zcrx-send's errors, and zcrx-nic reading and refusing
# to configure a NIC that lacks a feature. TAP on stdout. Runs in the VM
# after the meson build (build/meson) exists.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/tap.sh"
source "$here/lib/nsim.sh"

bin=${ZCRX_BIN:-$here/../build/meson/userspace/tools}
SIZE_MB=${SIZE_MB:-4}
PORT=${PORT:-5202}
tmp=$(mktemp -d)
trap 'nsim_pair_cleanup; rm -rf "$tmp"' EXIT

send_to_socat() {
	local pid

	timeout 300 ip netns exec "$NSIM_NS_B" socat -u \
		"TCP4-LISTEN:$PORT,reuseaddr" "OPEN:$tmp/recv,creat,trunc" &
	pid=$!
	sleep 1
	timeout 300 ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size "${SIZE_MB}M" \
		"$NSIM_IP4_B" "$PORT" | sed 's/^/# /' || { kill "$pid"; return 1; }
	wait "$pid" || return 1
	"$bin/zcrx-send" --verify-file "$tmp/recv" --size "${SIZE_MB}M" | sed 's/^/# /'
	return "${PIPESTATUS[0]}"
}

# A refused connection is a runtime error (1) that names the peer.
send_refused() {
	local out rc

	out=$(ip netns exec "$NSIM_NS_A" "$bin/zcrx-send" --size 1K "$NSIM_IP4_B" 9 2>&1)
	rc=$?
	tap_diag "$out"
	[ "$rc" -eq 1 ] && [[ "$out" == *"$NSIM_IP4_B"*"refused"* ]]
}

nic_show() {
	local out

	out=$(ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" show "$NSIM_DEV_B" 2>&1) ||
		{ echo "$out" | sed 's/^/# /'; return 1; }
	echo "$out" | sed 's/^/# /'
	[[ "$out" == *"tcp-data-split"* ]]
}

# netdevsim has no RSS or ntuple (yet): apply must refuse with exit 4,
# name the feature, and change nothing.
nic_apply_refuses() {
	local out rc before after

	before=$(ip netns exec "$NSIM_NS_B" ethtool -g "$NSIM_DEV_B"; ip netns exec "$NSIM_NS_B" ethtool -l "$NSIM_DEV_B")
	out=$(ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" apply "$NSIM_DEV_B" --queue 1 --port "$PORT" 2>&1)
	rc=$?
	after=$(ip netns exec "$NSIM_NS_B" ethtool -g "$NSIM_DEV_B"; ip netns exec "$NSIM_NS_B" ethtool -l "$NSIM_DEV_B")
	tap_diag "exit $rc: $out"
	[ "$rc" -eq 4 ] && [[ "$out" == *"$NSIM_DEV_B"* ]] && [ "$before" = "$after" ]
}

main() {
	if [ ! -x "$bin/zcrx-send" ] || [ ! -x "$bin/zcrx-nic" ]; then
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
	tap_check "zcrx-send: refused connection is exit 1 with the peer named" send_refused
	tap_check "zcrx-nic show: channels and rings of a netdevsim port" nic_show
	tap_check "zcrx-nic apply: refuses a NIC without RSS/ntuple, exit 4, nothing changed" \
		nic_apply_refuses
	tap_done
}

main
