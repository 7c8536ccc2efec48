#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The series' own kselftest, tools/testing/selftests/drivers/net/iou-zcrx:
# registration errors, RECV_ZC errors, verified streams (zero copy, tiny
# area, copy fallback, kernel-mapped refill ring, byte limit), hostile
# refill entries, and ring close / SIGKILL mid-stream followed by a new
# registration. run-tests.sh builds it on the host into build/kselftest.
# Each of its cases becomes one result here. Arguments go to the harness:
# -r zcrx.stream_zc runs that case alone.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/tap.sh"
source "$here/lib/nsim.sh" # for the ethtool shim on PATH

tree=$here/../build/linux/tools/testing/selftests/drivers/net/iou-zcrx
bin=$here/../build/kselftest/iou-zcrx/iou-zcrx

# kselftest [HARNESS OPTIONS]: run the runner; re-emit its cases' results
# as ours, the rest as diagnostics. Fails if the runner fails without a
# failed case to show.
kselftest() {
	local rc line name failed=0

	# Results stream out as they come (run-guest-tests.sh times each one); lastpipe
	# keeps the loop, and what it counts, in this shell.
	shopt -s lastpipe
	ZCRX_BIN=$bin timeout 2400 "$tree/iou-zcrx.sh" "$@" 2>&1 |
		while IFS= read -r line; do
			name=$line
			[[ $line =~ ^(not )?ok\ [0-9]+\ (-\ )?(.*)$ ]] && name=${BASH_REMATCH[3]}
			case $line in
			"ok "*"# SKIP"*) tap_skip "iou-zcrx: ${name%% # SKIP*}" ;;
			"ok "*) tap_ok "iou-zcrx: $name" ;;
			"not ok "*) tap_not_ok "iou-zcrx: $name"; failed=1 ;;
			*) tap_diag "$line" ;;
			esac
		done
	rc=${PIPESTATUS[0]}
	if [ "$rc" -eq "$KSFT_SKIP" ]; then
		tap_skip "iou-zcrx: the runner skipped"
	elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		tap_not_ok "iou-zcrx: runner exited $rc"
	fi
}

if [ ! -x "$bin" ]; then
	tap_skip "iou-zcrx kselftest not built in $bin"
else
	kselftest "$@"
fi
tap_done
