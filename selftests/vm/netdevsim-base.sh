#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The base tree's own netdevsim selftests that touch what the series
# changes in netdevsim: peer.sh (traffic over linked ports: now through the
# RX descriptor ring) and ethtool-ring.sh (ring parameters: the series adds
# tcp-data-split). A regression check: the series must not break what
# netdevsim did before. One TAP result per script (exit 4 is a kselftest
# skip). Runs in the test VM. Left out: tc-mq-visibility.sh needs the mqprio
# qdisc, which the VM kernel leaves out with the rest of NET_SCHED; the
# coalesce, pause and FEC tests check ethtool ops the series does not
# touch, with many hundreds of ethtool and awk processes that take 6 to 11
# minutes under TCG, a fifth of the in-guest time (SCRIPTS="peer.sh
# ethtool-coalesce.sh ethtool-pause.sh ethtool-fec.sh" runs them).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/tap.sh"

dir=${ZCRX_WORK_TREE:-$here/../build/linux}/tools/testing/selftests/drivers/net/netdevsim
SCRIPTS=${SCRIPTS:-peer.sh ethtool-ring.sh}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Per script: each process is a few hundred ms under TCG and a loaded host
# doubles that; a wide margin, and each script's time printed to keep it
# honest.
SCRIPT_TIMEOUT=${SCRIPT_TIMEOUT:-1200}

main() {
	local t rc start

	for t in $SCRIPTS; do
		if [ ! -f "$dir/$t" ]; then
			tap_not_ok "$t: not in $dir"
			continue
		fi
		# They source their helpers by relative path; the tree is read-only
		# in the guest, and they write nothing there.
		start=$SECONDS
		(cd "$dir" && timeout "$SCRIPT_TIMEOUT" bash "./$t") >"$tmp/out" 2>&1
		rc=$?
		grep -v '^$' "$tmp/out" | tail -n 15 | sed 's/^/# /'
		tap_diag "$t took $((SECONDS - start)) s (limit $SCRIPT_TIMEOUT s)"
		case $rc in
		0) tap_ok "netdevsim/$t" ;;
		4) tap_skip "netdevsim/$t: skipped by the test" ;;
		*) tap_not_ok "netdevsim/$t: exit $rc" ;;
		esac
	done
	tap_done
}

main
