#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch the pinned base kernel (kernel/base.env), verify it and turn it into
# a git work tree at build/linux whose first and only commit is the base,
# tagged zcrx-base. Idempotent: an existing work tree of the same base is
# left alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

print_usage() {
	cat <<EOF
usage: $PROG [--pinned] [--dry-run] [--recreate]

Download the Debian package that kernel/base.env pins with apt-get, check
the source tarball's sha256 and create the kernel work tree $ZCRX_WORK_TREE.

If the pinned version is gone from the mirror (Debian replaces
linux-source-6.12 in bookworm-security with each update), the newest
version the mirror has is used instead, with a warning that names both
versions and the new tarball's sha256; scripts/apply-series.sh then names
any hunk of the series that does not apply to it.

  --pinned    refuse to fall back: the pinned version or nothing
  --dry-run   choose, fetch and check the tarball and report, but leave the
              work tree alone
  --recreate  throw away an existing work tree (and its commits) first

Environment: ZCRX_BASE_ENV names another base.env (tests use it).
EOF
}

pinned_only=0
dry_run=0
recreate=0
while [ $# -gt 0 ]; do
	case "$1" in
	--pinned) pinned_only=1 ;;
	--dry-run) dry_run=1 ;;
	--recreate) recreate=1 ;;
	-h | --help) print_usage; exit 0 ;;
	*) print_usage >&2; exit 2 ;;
	esac
	shift
done

base_env=${ZCRX_BASE_ENV:-$ZCRX_TOP/kernel/base.env}
[ -f "$base_env" ] || die "no base description at $base_env"
# shellcheck source=../kernel/base.env
source "$base_env"
dl_dir=$ZCRX_BUILD/dl
deb=
tarball=
sum=

available_versions() {
	apt-cache madison "$BASE_DEB_PACKAGE" 2>/dev/null | awk '{ print $3 }'
}

# fetch_deb VERSION: download the package into $dl_dir unless it is there.
fetch_deb() {
	local version=$1

	deb=$dl_dir/${BASE_DEB_PACKAGE}_${version}_all.deb
	[ -f "$deb" ] && return 0
	info "downloading $BASE_DEB_PACKAGE $version (about 150 MB)"
	(cd "$dl_dir" && apt-get download -q "$BASE_DEB_PACKAGE=$version") \
		>"$dl_dir/download.log" 2>&1 ||
		die "apt-get download $BASE_DEB_PACKAGE=$version failed;" \
		    "see $dl_dir/download.log"
	[ -f "$deb" ] || die "apt-get download did not produce $deb"
}

# newest_of VERSION...: the highest by Debian's ordering.
newest_of() {
	local best= v

	for v in "$@"; do
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v
		fi
	done
	printf '%s\n' "$best"
}

# Print the version to use: the pin while the mirror has it, else the
# newest one there (unless --pinned).
choose_version() {
	local newest

	if ! available_versions | grep -qxF "$BASE_DEB_VERSION"; then
		# The package lists may be old or missing (a new machine).
		apt-get update -q >/dev/null 2>&1 || true
	fi
	if available_versions | grep -qxF "$BASE_DEB_VERSION"; then
		printf '%s\n' "$BASE_DEB_VERSION"
		return
	fi
	newest=$(newest_of $(available_versions))
	[ -n "$newest" ] ||
		die "$BASE_DEB_PACKAGE is not on the package mirror at all" \
		    "(no network to the mirror, or no bookworm-security suite?)"
	[ "$pinned_only" -eq 0 ] ||
		die "pinned $BASE_DEB_PACKAGE $BASE_DEB_VERSION is no longer on" \
		    "the mirror (it has $newest) and --pinned forbids a fallback"
	printf '%s\n' "$newest"
}

# The loud part of a fallback: what was pinned, what is used instead.
report_fallback() {
	local version=$1

	info "=================================================================="
	info "WARNING: the pinned base is no longer on the package mirror;"
	info "building on the newest version it has instead."
	info "  pinned: $BASE_DEB_PACKAGE $BASE_DEB_VERSION" \
	     "(tarball sha256 $BASE_TARBALL_SHA256)"
	info "  used:   $BASE_DEB_PACKAGE $version (tarball sha256 $sum)"
	info "The series may not apply; scripts/apply-series.sh names any"
	info "failing hunk. To pin the new base, put the used version and its"
	info "sha256 into kernel/base.env."
	info "=================================================================="
}

# extract_tarball VERSION: take the source tarball out of $deb into
# $tarball and check it against the pin; sets $sum.
extract_tarball() {
	local version=$1

	tarball=$dl_dir/linux-source-$version.tar.xz
	if [ ! -f "$tarball" ]; then
		dpkg-deb --fsys-tarfile "$deb" |
			tar -xO "./$BASE_TARBALL" >"$tarball.tmp"
		mv "$tarball.tmp" "$tarball"
	fi
	sum=$(sha256sum "$tarball" | cut -d' ' -f1)
	if [ "$version" = "$BASE_DEB_VERSION" ] && [ "$sum" != "$BASE_TARBALL_SHA256" ]; then
		rm -f "$tarball" "$deb"
		die "checksum mismatch for $BASE_TARBALL of $BASE_DEB_PACKAGE" \
		    "$version: expected $BASE_TARBALL_SHA256, got $sum;" \
		    "refusing to use it"
	fi
	[ "$version" = "$BASE_DEB_VERSION" ] || report_fallback "$version"
}

# The base commit is reproducible: same tree, same identity, same dates.
make_work_tree() {
	local tarball=$1 version=$2 sum=$3 tmp=$ZCRX_WORK_TREE.tmp kver

	rm -rf "$tmp"
	mkdir -p "$tmp"
	info "unpacking $tarball"
	tar -xJf "$tarball" -C "$tmp" --strip-components=1
	kver=$(make -s -C "$tmp" kernelversion)
	# Debian's .gitignore ends with a packaging block that ignores every
	# top-level entry ("/*"): files a patch adds would be silently left out
	# of commits. Upstream's has no such block; drop it.
	sed -i '/^# Debian packaging/,$d' "$tmp/.gitignore"
	sed -i '${/^#$/d}' "$tmp/.gitignore"
	info "creating git work tree for Linux $kver"
	(
		cd "$tmp"
		export GIT_AUTHOR_NAME="zcrx base" GIT_AUTHOR_EMAIL="zcrx@localhost"
		export GIT_COMMITTER_NAME="zcrx base" GIT_COMMITTER_EMAIL="zcrx@localhost"
		export GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"
		git init -q -b master .
		git config core.autocrlf false
		git config gc.auto 0
		git add -A -f .
		git commit -q --no-verify -F - <<EOF
Linux $kver (Debian $BASE_DEB_PACKAGE $version)

Unpacked from $BASE_TARBALL of the Debian package; sha256 $sum.
Debian's packaging block at the end of .gitignore (which ignores every
top-level entry) is dropped.
EOF
		git tag "$ZCRX_BASE_TAG"
	)
	rm -rf "$ZCRX_WORK_TREE"
	mv "$tmp" "$ZCRX_WORK_TREE"
	# Commits and `git am` need an identity; keep it local to the tree.
	git -C "$ZCRX_WORK_TREE" config user.name >/dev/null ||
		git -C "$ZCRX_WORK_TREE" config user.name "$(git -C "$ZCRX_TOP" config user.name || echo zcrx)"
	git -C "$ZCRX_WORK_TREE" config user.email >/dev/null ||
		git -C "$ZCRX_WORK_TREE" config user.email "$(git -C "$ZCRX_TOP" config user.email || echo zcrx@localhost)"
}

main() {
	local version existing=

	ensure_packages $ZCRX_PKGS_KERNEL
	mkdir -p "$dl_dir"

	if git -C "$ZCRX_WORK_TREE" rev-parse -q --verify "refs/tags/$ZCRX_BASE_TAG" >/dev/null 2>&1; then
		existing=$(git -C "$ZCRX_WORK_TREE" log -1 --format=%s "$ZCRX_BASE_TAG")
	fi
	# A tree on the pin needs no mirror at all.
	if [ "$dry_run" -eq 0 ] && [ "$recreate" -eq 0 ]; then
		case "$existing" in
		*"$BASE_DEB_PACKAGE $BASE_DEB_VERSION)")
			info "work tree up to date: $existing"
			return 0
			;;
		esac
	fi

	version=$(choose_version)
	if [ "$dry_run" -eq 0 ] && [ "$recreate" -eq 0 ] && [ -n "$existing" ]; then
		case "$existing" in
		*"$BASE_DEB_PACKAGE $version)")
			info "work tree up to date: $existing"
			info "WARNING: that is not the pinned base $BASE_DEB_VERSION," \
			     "which the mirror no longer has"
			return 0
			;;
		esac
		die "work tree $ZCRX_WORK_TREE is based on '$existing', not" \
		    "$version; rerun with --recreate (drops its commits;" \
		    "export them first with scripts/export-series.sh)"
	fi
	fetch_deb "$version"
	extract_tarball "$version"
	if [ "$dry_run" -eq 1 ]; then
		info "would build on $BASE_DEB_PACKAGE $version (tarball sha256 $sum)"
		return 0
	fi
	make_work_tree "$tarball" "$version" "$sum"
	info "work tree ready: $ZCRX_WORK_TREE ($(git -C "$ZCRX_WORK_TREE" log -1 --format=%s))"
}

main
