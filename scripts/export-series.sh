#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Export the kernel work tree's commits (zcrx-base..HEAD) to patches/: one
# git format-patch file per commit, the cover letter (text from
# kernel/cover-letter.txt) and a series file. Commit patches/ afterwards.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

case "${1:-}" in
'') ;;
-h | --help) echo "usage: $PROG"; exit 0 ;;
*) echo "usage: $PROG" >&2; exit 2 ;;
esac

require_work_tree
dirty=$(git -C "$ZCRX_WORK_TREE" status --porcelain --untracked-files=no)
[ -z "$dirty" ] || die "the work tree has uncommitted changes; commit them first:" \
	"$(echo "$dirty" | head -n5 | tr '\n' ' ')"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
format_series "$tmp"
rm -f "$ZCRX_TOP"/patches/[0-9][0-9][0-9][0-9]-*.patch "$ZCRX_TOP/patches/series"
mkdir -p "$ZCRX_TOP/patches"
cp "$tmp"/* "$ZCRX_TOP/patches/"
info "exported $(wc -l <"$ZCRX_TOP/patches/series") patches to patches/:"
sed 's/^/  /' "$ZCRX_TOP/patches/series" >&2
