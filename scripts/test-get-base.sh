#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the base handling, TAP: scripts/get-base.sh keeps the pin while
# the mirror has it and falls back loudly to the newest version when it is
# gone; scripts/apply-series.sh names the hunks that do not apply. The
# kernel work tree is left alone (get-base --dry-run; apply-series on a
# small scratch repository).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$ZCRX_TOP/selftests/lib/tap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$ZCRX_TOP/kernel/base.env"

# A base.env whose pinned version the mirror never had.
gone=$tmp/gone.env
sed "s/^BASE_DEB_VERSION=.*/BASE_DEB_VERSION=6.12.0-0~zcrx-gone/;
     s/^BASE_TARBALL_SHA256=.*/BASE_TARBALL_SHA256=$(printf '0%.0s' {1..64})/" \
	"$ZCRX_TOP/kernel/base.env" >"$gone"

pinned_is_used() {
	local out

	out=$("$ZCRX_TOP/scripts/get-base.sh" --dry-run 2>&1) || {
		tap_diag "$out"
		return 1
	}
	grep -qF "would build on $BASE_DEB_PACKAGE $BASE_DEB_VERSION (tarball sha256 $BASE_TARBALL_SHA256)" <<<"$out" &&
		! grep -q WARNING <<<"$out"
}

falls_back_loudly() {
	local out

	out=$(ZCRX_BASE_ENV=$gone "$ZCRX_TOP/scripts/get-base.sh" --dry-run 2>&1) || {
		tap_diag "$out"
		return 1
	}
	tap_diag "$(grep -E 'WARNING|pinned:|used:' <<<"$out")"
	grep -q "WARNING: the pinned base is no longer on the package mirror" <<<"$out" &&
		grep -qF "pinned: $BASE_DEB_PACKAGE 6.12.0-0~zcrx-gone" <<<"$out" &&
		grep -qE "used: +$BASE_DEB_PACKAGE ${newest//./\\.} \(tarball sha256 [0-9a-f]{64}\)" <<<"$out"
}

pinned_only_refuses() {
	local out

	if out=$(ZCRX_BASE_ENV=$gone "$ZCRX_TOP/scripts/get-base.sh" --pinned --dry-run 2>&1); then
		tap_diag "exited 0: $out"
		return 1
	fi
	grep -qF "(it has $newest)" <<<"$out"
}

# A patch whose second hunk meets changed context: apply-series must fail,
# name the patch, and report hunk 1 applying and hunk 2 rejected.
failing_hunk_named() {
	local up=$tmp/upstream tree=$tmp/tree pdir=$tmp/patches out

	git init -q "$up"
	seq 1 60 >"$up/file.txt"
	git -C "$up" add file.txt
	git -C "$up" -c user.name=t -c user.email=t@t commit -q -m base
	sed -i 's/^5$/five/; s/^50$/fifty/' "$up/file.txt"
	git -C "$up" -c user.name=t -c user.email=t@t commit -q -a -m "change 5 and 50"
	mkdir -p "$pdir"
	git -C "$up" format-patch -q -o "$pdir" HEAD~1
	(cd "$pdir" && ls ./*.patch | sed 's|^\./||') >"$pdir/series"

	# The tree to apply to: line 49 differs from what the patch expects.
	git init -q "$tree"
	seq 1 60 | sed 's/^49$/forty-nine/' >"$tree/file.txt"
	git -C "$tree" add file.txt
	git -C "$tree" -c user.name=t -c user.email=t@t commit -q -m other-base
	git -C "$tree" tag "$ZCRX_BASE_TAG"
	git -C "$tree" config user.name t
	git -C "$tree" config user.email t@t

	if out=$(ZCRX_WORK_TREE=$tree ZCRX_PATCHES=$pdir ZCRX_BUILD=$tmp/build \
		 "$ZCRX_TOP/scripts/apply-series.sh" 2>&1); then
		tap_diag "exited 0: $out"
		return 1
	fi
	tap_diag "$out"
	grep -q "patch 0001-change-5-and-50.patch does not apply" <<<"$out" &&
		grep -q "Hunk #1 applied cleanly" <<<"$out" &&
		grep -q "Rejected hunk #2" <<<"$out" &&
		[ "$(git -C "$tree" rev-parse HEAD)" = "$(git -C "$tree" rev-parse "$ZCRX_BASE_TAG")" ] &&
		[ -z "$(git -C "$tree" status --porcelain)" ]
}

tap_check "get-base: the pinned base is used while the mirror has it" pinned_is_used
# (after get-base, which refreshes apt's lists if it has to)
newest=
for v in $(apt-cache madison "$BASE_DEB_PACKAGE" | awk '{ print $3 }'); do
	if [ -z "$newest" ] || dpkg --compare-versions "$v" gt "$newest"; then
		newest=$v
	fi
done
tap_check "get-base: a pin gone from the mirror falls back to the newest ($newest) and says so" falls_back_loudly
tap_check "get-base --pinned: a pin gone from the mirror is refused, naming the newest" pinned_only_refuses
tap_check "apply-series: a patch that does not apply is named with its rejected hunk, the tree untouched" failing_hunk_named
tap_done
