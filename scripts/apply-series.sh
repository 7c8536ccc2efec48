#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Make the kernel work tree the base plus patches/ (git am, in series order).
# Creates the work tree if needed. Does nothing if the work tree already
# matches patches/; refuses to throw away commits that are not exported.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

print_usage() {
	cat <<USAGE
usage: $PROG [--force]

  --force  reset the work tree to the base even if it holds commits or
           edits that patches/ does not have (they are lost)
USAGE
}

force=0
case "${1:-}" in
'') ;;
--force) force=1 ;;
-h | --help) print_usage; exit 0 ;;
*) print_usage >&2; exit 2 ;;
esac

# report_hunks PATCH: which hunks of PATCH fail on the work tree's HEAD, per
# file, tried in a scratch worktree so that nothing here changes.
report_hunks() {
	local patch=$1 scratch

	scratch=$(mktemp -d "$ZCRX_BUILD/apply-check.XXXXXX")
	git -C "$ZCRX_WORK_TREE" worktree add -q --detach "$scratch/tree" HEAD \
		>/dev/null 2>&1 || { rm -rf "$scratch"; return 0; }
	eprintf '%s: hunks of %s on %s:\n' "$PROG" "$(basename "$patch")" \
		"$(git -C "$ZCRX_WORK_TREE" log -1 --format=%s "$ZCRX_BASE_TAG")"
	git -C "$scratch/tree" apply --reject --verbose "$patch" 2>&1 |
		grep -E '^(Checking patch|Applying patch|Hunk|Rejected hunk|error)' |
		sed "s/^/$PROG:   /" >&2 || true
	git -C "$ZCRX_WORK_TREE" worktree remove --force "$scratch/tree" >/dev/null 2>&1 || true
	rm -rf "$scratch"
}

apply_one() {
	local patch=$1 log

	log=$(git -C "$ZCRX_WORK_TREE" am -q --3way "$patch" 2>&1) && return 0
	printf '%s\n' "$log" | grep -E '^(error|Patch failed|CONFLICT)' >&2 ||
		eprintf '%s\n' "$log"
	git -C "$ZCRX_WORK_TREE" am --abort >/dev/null 2>&1 || true
	report_hunks "$patch"
	die "patch $(basename "$patch") does not apply to" \
	    "$(git -C "$ZCRX_WORK_TREE" log -1 --format=%s "$ZCRX_BASE_TAG");" \
	    "the hunks above marked 'Rejected' need rebasing"
}

main() {
	local head base patch n=0

	[ -d "$ZCRX_WORK_TREE/.git" ] || "$ZCRX_TOP/scripts/get-base.sh"
	require_work_tree
	head=$(git -C "$ZCRX_WORK_TREE" rev-parse HEAD)
	base=$(git -C "$ZCRX_WORK_TREE" rev-parse "$ZCRX_BASE_TAG^{commit}")
	if [ "$force" -eq 0 ] &&
	   [ -n "$(git -C "$ZCRX_WORK_TREE" status --porcelain --untracked-files=no)" ]; then
		die "the work tree has uncommitted edits; commit and export them" \
		    "(scripts/export-series.sh) or pass --force to drop them"
	fi
	if [ "$head" != "$base" ] && [ "$force" -eq 0 ]; then
		if series_matches_tree; then
			info "work tree already matches patches/"
			return 0
		fi
		die "the work tree's commits differ from patches/; export them" \
		    "(scripts/export-series.sh) or pass --force to drop them"
	fi
	git -C "$ZCRX_WORK_TREE" am --abort >/dev/null 2>&1 || true
	git -C "$ZCRX_WORK_TREE" reset -q --hard "$ZCRX_BASE_TAG"
	while read -r patch; do
		apply_one "$patch"
		n=$((n + 1))
	done < <(series_patches)
	info "applied $n patches on" \
	     "$(git -C "$ZCRX_WORK_TREE" log -1 --format=%s "$ZCRX_BASE_TAG")"
}

main
