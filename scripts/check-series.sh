#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Check the series in patches/: it agrees with the kernel work tree, every
# patch is signed off and checkpatch --strict clean, and (with --build) every
# patch builds on its own and sparse has nothing new to say about the files
# it touches. TAP on stdout, one line per check.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
source "$ZCRX_TOP/selftests/lib/tap.sh"

print_usage() {
	cat <<USAGE
usage: $PROG [--build]

  --build  also build the perf kernel at every patch of the series
           (bisectability) and run sparse on the files each patch touches
USAGE
}

build=0
case "${1:-}" in
'') ;;
--build) build=1 ;;
-h | --help) print_usage; exit 0 ;;
*) print_usage >&2; exit 2 ;;
esac


# Only FILE_PATH_CHANGES is ignored: it asks whether MAINTAINERS needs an
# update for every added file, whatever the file, and ours are covered by
# existing entries (io_uring/, net/, drivers/net/netdevsim/).
checkpatch() {
	(cd "$ZCRX_WORK_TREE" && ./scripts/checkpatch.pl --strict --quiet \
		--ignore FILE_PATH_CHANGES --no-summary "$1")
}

# build_each: check out every commit of the series in turn (detached) and
# build it with sparse; report sparse warnings in the files it touches.
# Restores the branch afterwards.
build_each() {
	local c subject files out=$ZCRX_BUILD/kernel-bisect log warn

	bisect_head=$(git -C "$ZCRX_WORK_TREE" symbolic-ref -q --short HEAD ||
		      git -C "$ZCRX_WORK_TREE" rev-parse HEAD)
	# Interrupted or not, leave the work tree where it was.
	trap 'git -C "$ZCRX_WORK_TREE" checkout -q "$bisect_head"' EXIT
	for c in $(git -C "$ZCRX_WORK_TREE" rev-list --reverse "$ZCRX_BASE_TAG..HEAD"); do
		subject=$(git -C "$ZCRX_WORK_TREE" log -1 --format=%s "$c")
		git -C "$ZCRX_WORK_TREE" checkout -q "$c" ||
			{ tap_result 1 "check out: $subject"; break; }
		log=$("$ZCRX_TOP/scripts/build-kernel.sh" -o "$out" --sparse perf 2>&1)
		tap_result $? "builds: $subject"
		case "$log" in *": built "*) ;; *) echo "$log" | tail -n 20 | sed 's/^/# /' ;; esac
		files=$(git -C "$ZCRX_WORK_TREE" diff --name-only "$c^" "$c" -- '*.c' '*.h')
		warn=
		[ -z "$files" ] ||
			warn=$(grep -F "$files" "$out/build.log" | grep -E '(warning|error):')
		[ -z "$warn" ]
		tap_result $? "sparse: $subject"
		[ -z "$warn" ] || echo "$warn" | sed 's/^/# /'
	done
	git -C "$ZCRX_WORK_TREE" checkout -q "$bisect_head"
}

main() {
	local patch name out from

	require_work_tree
	series_matches_tree
	tap_result $? "patches/ matches the work tree (run scripts/export-series.sh or scripts/apply-series.sh)"
	while read -r patch; do
		name=$(basename "$patch")
		# the author signs off: the From: line's person is among the
		# Signed-off-by lines (checkpatch checks only that there is one)
		from=$(sed -n '1,/^$/s/^From: //p' "$patch")
		[ -n "$from" ] && grep -qxF "Signed-off-by: $from" "$patch"
		tap_result $? "$name: Signed-off-by from its author (${from:-no From: line})"
		out=$(checkpatch "$patch" 2>&1)
		[ -z "$out" ]
		tap_result $? "$name: checkpatch --strict"
		[ -z "$out" ] || echo "$out" | sed 's/^/# /'
		# leftovers of a patch or merge tool are never part of a change
		out=$(grep -E '^\+\+\+ b/.*(\.orig|\.rej|~)$' "$patch" | cut -c7-)
		[ -z "$out" ]
		tap_result $? "$name: adds no .orig, .rej or backup file${out:+: }${out//$'\n'/, }"
	done < <(series_patches)
	[ "$build" -eq 1 ] && build_each
	tap_done
}

main
