# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Minimal TAP output for the in-guest shell tests and the host checks
# (scripts/check-*.sh): tap_ok/tap_not_ok/tap_skip number the results,
# tap_result reports an exit status, tap_check runs a command and reports
# it, tap_done prints the plan and returns non-zero if anything failed.
# scripts/run-tests.sh gathers these into its one count.

TAP_N=0
TAP_FAILED=0
KSFT_SKIP=4

tap_ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

tap_not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $*"
}

tap_skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $* # SKIP"
}

# tap_diag TEXT: TEXT as diagnostics, "# " before each line. Pure shell: a
# process costs the better part of a second in the debug guest.
tap_diag() {
	local text=$*

	printf '# %s\n' "${text//$'\n'/$'\n'# }"
}

# tap_result STATUS DESCRIPTION: one result for an exit status already
# known (0 is ok).
tap_result() {
	local status=$1

	shift
	if [ "$status" -eq 0 ]; then
		tap_ok "$*"
	else
		tap_not_ok "$*"
	fi
}

# tap_check DESCRIPTION COMMAND...: one result for one command.
tap_check() {
	local desc=$1

	shift
	if "$@"; then
		tap_ok "$desc"
	else
		tap_not_ok "$desc"
	fi
}

tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
