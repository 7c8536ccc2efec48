#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every in-guest test (selftests/vm/*.sh, or the ones named) and print
# one flat TAP stream: "ok N - TEST: what". A test that exits non-zero
# without reporting a failure, or that exits 4 (kselftest skip), is reported
# as such, and so is one whose plan (1..N) is missing or does not match its
# results. Runs inside the test VM (scripts/vm-run.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ "${ZCRX_IN_VM:-}" = 1 ] || { echo "run-guest-tests.sh: run me in the VM: scripts/vm-run.sh -- $0" >&2; exit 2; }

n=0
failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

report() {
	n=$((n + 1))
	echo "$1 $n - $2"
}

# stamp START: each line of stdin as "SECONDS-SINCE-START<TAB>LINE"
stamp() {
	local start=$1 line

	while IFS= read -r line; do
		printf '%d\t%s\n' "$((SECONDS - start))" "$line"
	done
}

# run_test TEST: run it and report its results into the flat stream as
# they come, each with how long it took, and the whole test's time (the
# test command has a time budget; see README).
# The guest has no /dev/fd for a process substitution: a FIFO instead.
run_test() {
	local name start fifo

	name=$(basename "$1" .sh)
	fifo=$work/$name.fifo
	echo "# === $name"
	start=$SECONDS
	mkfifo "$fifo" || return
	{
		timeout "${TEST_TIMEOUT:-1800}" "$1" 2>&1 | stamp "$start"
		echo "${PIPESTATUS[0]} $((SECONDS - start))" >"$work/$name.rc"
	} >"$fifo" &
	report_test "$name" <"$fifo"
	wait "$!"
}

# report_test NAME: re-number the stamped lines of test NAME on stdin;
# then its exit status from $work/NAME.rc ("STATUS SECONDS").
report_test() {
	local name=$1 rc took fails=0 at line last=0 results=0 plan=

	while IFS=$'\t' read -r at line; do
		case "$line" in
		"ok "* | "not ok "*)
			if [ "$line" = "${line#not }" ]; then
				report ok "$name: ${line#ok * - }"
			else
				report "not ok" "$name: ${line#not ok * - }"
				fails=$((fails + 1))
			fi
			echo "#   ($((at - last)) s)"
			last=$at
			results=$((results + 1))
			;;
		"1.."*) plan=${line#1..} ;;
		*) echo "# $line" ;;
		esac
	done
	read -r rc took <"$work/$name.rc" || { rc=1; took='?'; }
	failed=$((failed + fails))
	# A test that stops part-way (a hang cut short, a crash) must not pass
	# on the results it gave before: its plan has to be there and match.
	if [ "$rc" -ne 4 ] && [ "$plan" != "$results" ]; then
		if [ -n "$plan" ]; then
			report "not ok" "$name: $results results, but a plan of $plan"
		else
			report "not ok" "$name: $results results and no plan: it stopped early"
		fi
		failed=$((failed + 1))
	fi
	if [ "$rc" -eq 4 ]; then
		report ok "$name # SKIP"
	elif [ "$rc" -ne 0 ] && [ "$fails" -eq 0 ]; then
		report "not ok" "$name: exited $rc"
		failed=$((failed + 1))
	fi
	echo "# --- $name: $took s"
}

main() {
	local t

	if [ $# -eq 0 ]; then
		set -- "$here"/vm/*.sh
	fi
	for t in "$@"; do
		if ! run_test "$t"; then
			report "not ok" "$(basename "$t" .sh): could not be run"
			failed=$((failed + 1))
		fi
	done
	echo "1..$n"
	[ "$failed" -eq 0 ]
}

main "$@"
