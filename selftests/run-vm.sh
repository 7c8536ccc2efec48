#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every in-guest test (selftests/vm/*.sh, or the ones named) and print
# one flat TAP stream: "ok N - TEST: what". A test that exits non-zero
# without reporting a failure, or that exits 4 (kselftest skip), is reported
# as such. Runs inside the test VM (scripts/vm-run.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ "${ZCRX_IN_VM:-}" = 1 ] || { echo "run-vm.sh: run me in the VM: scripts/vm-run.sh -- $0" >&2; exit 2; }

n=0
failed=0

report() {
	n=$((n + 1))
	echo "$1 $n - $2"
}

run_test() {
	local t=$1 name out rc fails

	name=$(basename "$t" .sh)
	echo "# === $name"
	out=$(mktemp)
	timeout "${TEST_TIMEOUT:-1800}" "$t" >"$out" 2>&1
	rc=$?
	fails=0
	while IFS= read -r line; do
		case "$line" in
		"ok "*" # SKIP"*) report ok "$name: ${line#ok * - }" ;;
		"ok "*) report ok "$name: ${line#ok * - }" ;;
		"not ok "*) report "not ok" "$name: ${line#not ok * - }"; fails=$((fails + 1)) ;;
		"1.."*) ;;
		*) echo "# $line" ;;
		esac
	done <"$out"
	rm -f "$out"
	failed=$((failed + fails))
	if [ "$rc" -eq 4 ]; then
		report ok "$name # SKIP"
	elif [ "$rc" -ne 0 ] && [ "$fails" -eq 0 ]; then
		report "not ok" "$name: exited $rc"
		failed=$((failed + 1))
	fi
}

main() {
	local t

	if [ $# -eq 0 ]; then
		set -- "$here"/vm/*.sh
	fi
	for t in "$@"; do
		run_test "$t"
	done
	echo "1..$n"
	[ "$failed" -eq 0 ]
}

main "$@"
