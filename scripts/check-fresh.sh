#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prove that the README's commands work on a machine where nobody installed
# anything by hand: build a minimal Debian bookworm root with debootstrap
# (--variant=minbase, from the mirror apt uses here), clone this checkout's
# HEAD into it, and run the main job (or the test command) there in a chroot.
# The host's packages are never touched: everything the commands install
# goes into the root. Prints PASS, or FAIL with the step that failed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

print_usage() {
	cat <<EOF
usage: $PROG [--tests] [--keep] [SIZE_MB]

  SIZE_MB  what the main job transfers (default 64): scripts/run-main.sh SIZE_MB
  --tests  run the test command (scripts/run-tests.sh) instead; about an hour
  --keep   leave the root in $ZCRX_BUILD/fresh/root for a look afterwards

The root is made anew on every run; it takes 20-30 minutes for the main job
(a whole kernel build without ccache). Needs root (debootstrap, chroot).
EOF
}

size_mb=64
tests=0
keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--tests) tests=1 ;;
	--keep) keep=1 ;;
	-h | --help) print_usage; exit 0 ;;
	*[!0-9]*) print_usage >&2; exit 2 ;;
	*) size_mb=$1 ;;
	esac
	shift
done

fresh=$ZCRX_BUILD/fresh
root=$fresh/root
log=$fresh/run.log

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap and chroot)"

# The mirror and the suites apt uses on this machine, as "URI SUITE" lines.
apt_repos() {
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(IDENTIFIER)' |
		awk '$3 == "Packages" { print $1, $2 }' | sort -u
}

unmount_root() {
	local m

	# Deepest first.
	for m in $(awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' \
		   /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
}

cleanup() {
	unmount_root
	[ "$keep" -eq 1 ] || rm -rf "$root"
}

make_root() {
	local mirror suites

	mirror=$(apt_repos | awk '$2 == "bookworm" { print $1; exit }')
	[ -n "$mirror" ] || die "apt has no bookworm suite configured here"
	info "debootstrap --variant=minbase bookworm from $mirror (a few minutes)"
	unmount_root
	rm -rf "$root"
	mkdir -p "$fresh"
	debootstrap --variant=minbase bookworm "$root" "$mirror" \
		>"$fresh/debootstrap.log" 2>&1 ||
		die "debootstrap failed; see $fresh/debootstrap.log"
	# The same suites as here (bookworm-security has linux-source-6.12),
	# and nothing else.
	suites=$(apt_repos | grep -E ' bookworm(-[a-z]+)?$') ||
		die "no bookworm suites in apt's sources"
	while read -r uri suite; do
		echo "deb $uri $suite main"
	done <<<"$suites" >"$root/etc/apt/sources.list"
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	chroot "$root" apt-get update -q >>"$fresh/debootstrap.log" 2>&1 ||
		die "apt-get update in the new root failed; see $fresh/debootstrap.log"
}

mount_root() {
	mount -t proc proc "$root/proc"
	mount -t sysfs sysfs "$root/sys"
	mount --rbind /dev "$root/dev"
	mount --make-rslave "$root/dev"
}

# What a newcomer has before the README: the checkout (a clean clone of
# HEAD, as CI makes) and root. Git itself is not needed inside.
clone_checkout() {
	local rev

	rev=$(git -C "$ZCRX_TOP" rev-parse HEAD)
	git clone -q --no-hardlinks "$ZCRX_TOP" "$root/src/zcrx"
	git -C "$root/src/zcrx" checkout -q "$rev"
	[ -z "$(git -C "$ZCRX_TOP" status --porcelain --untracked-files=no)" ] ||
		info "note: uncommitted changes in $ZCRX_TOP are not part of the check"
	info "checkout: $(git -C "$ZCRX_TOP" log -1 --format='%h %s')"
}

# The last step a script announced before it stopped.
failing_step() {
	grep -E '^[a-z0-9-]+\.sh: ' "$log" | tail -n 3
	grep -E '^not ok ' "$log" | head -n 20
}

main() {
	local cmd start=$SECONDS rc=0

	ensure_packages $ZCRX_PKGS_FRESH
	trap cleanup EXIT
	make_root
	mount_root
	clone_checkout
	if [ "$tests" -eq 1 ]; then
		cmd="scripts/run-tests.sh"
	else
		cmd="scripts/run-main.sh $size_mb"
	fi
	info "running '$cmd' in the fresh root; log: $log"
	{
		chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			/bin/bash -c "cd /src/zcrx && $cmd" </dev/null 2>&1 && rc=0 || rc=$?
		echo "$rc" >"$fresh/rc"
	} | tee "$log" | sed -u 's/^/  | /'
	rc=$(cat "$fresh/rc")
	if [ "$rc" -eq 0 ]; then
		echo "check-fresh: PASS: '$cmd' on a minbase bookworm root," \
		     "$((SECONDS - start)) s"
	else
		echo "check-fresh: FAIL: '$cmd' exited $rc after $((SECONDS - start)) s;" \
		     "last steps:"
		failing_step | sed 's/^/    /'
		echo "check-fresh: full log: $log"
	fi
	return "$rc"
}

main
