#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the base tree's own devmem TCP selftest, ncdevmem
# (tools/testing/selftests/net/ncdevmem.c), into build/ncdevmem/ncdevmem,
# with the tree's own selftest Makefile and YNL library, against the debug
# kernel's exported uAPI headers (scripts/build-kernel.sh debug).
#
# The kernel work tree is never written to: the parts of it the build needs
# are mirrored into build/ncdevmem-src/ (rsync keeps their times, so make
# rebuilds only what changed) and the build runs there. Idempotent; a
# second run with nothing changed does nothing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

src=$ZCRX_BUILD/ncdevmem-src
out=$ZCRX_BUILD/ncdevmem
hdrs=$ZCRX_BUILD/kernel-debug/usr/include

# What the build reads: the selftest and its Makefiles, the YNL library and
# code generator, the netlink specs it generates from (and their schemas),
# the source uAPI headers the generated code force-includes
# (tools/net/ynl/Makefile.deps), and MAINTAINERS, by which ynl-gen-c.py
# finds the top of the tree (it loops forever without one).
parts=(
	MAINTAINERS
	tools/testing/selftests/lib.mk
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/net/
	tools/net/ynl/
	Documentation/netlink/
	include/uapi/
)

# Build products inside the mirror: never copied, never deleted by --delete.
# And ncdevmem.c, which the mirror holds with a smaller buffer (shrunk()).
keep=(--exclude='*.o' --exclude='*.d' --exclude='*.a' --exclude=__pycache__
	--exclude='generated/*-user.[ch]' --exclude=/ncdevmem.c)

# shrunk: ncdevmem.c with a udmabuf of 2048 pages (8 MB) instead of 16000
# (62.5 MB). Under TCG with the debug kernel creating the big one takes
# about 17 s, and ncdevmem creates and binds one three times; 8 MB still
# holds many times the 256 KiB the test sends plus both bound queues'
# rings. Prints whether the mirror's copy changed.
shrunk() {
	local from=$ZCRX_WORK_TREE/tools/testing/selftests/net/ncdevmem.c
	local to=$src/tools/testing/selftests/net/ncdevmem.c

	sed 's/^#define NUM_PAGES 16000$/#define NUM_PAGES 2048/' "$from" >"$to.new"
	grep -q '^#define NUM_PAGES 2048$' "$to.new" ||
		die "$from has no '#define NUM_PAGES 16000' to shrink: check the base tree"
	if cmp -s "$to.new" "$to"; then
		rm "$to.new"
	else
		mv "$to.new" "$to"
		echo "ncdevmem.c: NUM_PAGES 2048"
	fi
}

main() {
	local p changed=

	ensure_packages $ZCRX_PKGS_NCDEVMEM
	require_work_tree
	[ -f "$hdrs/linux/netdev.h" ] && [ -f "$hdrs/linux/udmabuf.h" ] ||
		die "no exported headers in $hdrs; run scripts/build-kernel.sh debug"
	[ -f "$ZCRX_WORK_TREE/tools/testing/selftests/net/ncdevmem.c" ] ||
		die "no tools/testing/selftests/net/ncdevmem.c in $ZCRX_WORK_TREE"

	mkdir -p "$src" "$out"
	for p in "${parts[@]}"; do
		mkdir -p "$src/$(dirname "$p")"
		changed+=$(rsync -a -O -i --delete "${keep[@]}" "$ZCRX_WORK_TREE/$p" "$src/$p")
	done
	changed+=$(shrunk)

	if [ -z "$changed" ] && [ -x "$out/ncdevmem" ] && [ "$out/ncdevmem" -nt "$hdrs" ]; then
		info "ncdevmem up to date: $out/ncdevmem"
		return 0
	fi
	# The selftest's libynl.a rule has no prerequisites: drop the copy so
	# that YNL's own (incremental) make runs again, and relink.
	rm -f "$out/libynl.a" "$out/ncdevmem"
	# Only ncdevmem: naming the target leaves the rest of net/ unbuilt.
	make -s -C "$src/tools/testing/selftests/net" OUTPUT="$out" \
		KHDR_INCLUDES="-isystem $hdrs" "$out/ncdevmem"
	[ -x "$out/ncdevmem" ] || die "make succeeded but left no $out/ncdevmem"
	info "ncdevmem built: $out/ncdevmem"
}

main "$@"
