#!/usr/bin/env bash
# check-install.sh MESON-BUILD-DIR: install the userspace of a configured and
# built meson tree into build/install (DESTDIR, prefix as configured), then
# prove that an application outside this tree can use it: every installed
# header compiles on its own, userspace/examples/consumer builds with
# nothing but `pkg-config --cflags --libs zcrx`, shared and static, and
# runs, and so does userspace/examples/nic-consumer with the NIC setup
# library (`pkg-config zcrx-nic`), which meets the ENODEV the library
# documents for a device that does not exist. TAP on stdout.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
source "$ZCRX_TOP/selftests/lib/tap.sh"

# shown LOG: the tail of a failed step's log, as TAP comments
shown() {
	tail -n 20 "$1" | sed 's/^/# /'
}

main() {
	local meson_dir=${1:?usage: check-install.sh MESON-BUILD-DIR}
	local dest=$ZCRX_BUILD/install out=$ZCRX_BUILD/install-check log pcdir inc lib h rc
	local consumer=$ZCRX_TOP/userspace/examples/consumer/consumer.cpp
	local nic_consumer=$ZCRX_TOP/userspace/examples/nic-consumer/nic-consumer.cpp
	# libzcrx-nic's headers (userspace/meson.build); the rest are libzcrx's.
	local nic_headers=(ethtool.hpp nic_setup.hpp undo_log.hpp) pc
	# An interface name no machine has: the NIC consumer's device.
	local nodev=zcrx-nodev0

	rm -rf "$dest" "$out"
	mkdir -p "$out"
	log=$out/install.log
	meson install -C "$meson_dir" --destdir "$dest" >"$log" 2>&1
	rc=$?
	tap_result "$rc" "meson install into $dest"
	[ "$rc" -eq 0 ] || { shown "$log"; tap_done; return 1; }

	pcdir=$(dirname "$(find "$dest" -name zcrx.pc -print -quit)")
	[ -f "$pcdir/zcrx.pc" ]
	tap_result $? "zcrx.pc installed${pcdir:+ in ${pcdir#"$dest"}}"
	# The sysroot maps the configured prefix into the DESTDIR tree in every
	# path pkg-config prints, flags and variables alike.
	export PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$dest
	inc=$(pkg-config --variable=includedir zcrx)
	lib=$(pkg-config --variable=libdir zcrx)
	[ -f "$lib/libzcrx.so.0" ] && [ -f "$lib/libzcrx.a" ]
	tap_result $? "libzcrx installed shared (versioned) and static"
	[ -f "$pcdir/zcrx-nic.pc" ]
	tap_result $? "zcrx-nic.pc installed${pcdir:+ in ${pcdir#"$dest"}}"
	[ -f "$lib/libzcrx-nic.so.0" ] && [ -f "$lib/libzcrx-nic.a" ]
	tap_result $? "libzcrx-nic installed shared (versioned) and static"
	# Only the NIC setup needs libmnl: neither zcrx.pc nor libzcrx.so brings it.
	! pkg-config --static --libs zcrx | grep -q -- -lmnl &&
		! ldd "$lib/libzcrx.so.0" | grep -q libmnl
	tap_result $? "libzcrx does without libmnl (zcrx.pc, libzcrx.so.0)"

	rc=0
	for h in "${nic_headers[@]}"; do
		[ -f "$inc/zcrx/$h" ] || { echo "# zcrx/$h is not installed"; rc=1; }
	done
	for h in "$inc"/zcrx/*.hpp; do
		pc=zcrx
		[[ " ${nic_headers[*]} " == *" $(basename "$h") "* ]] && pc=zcrx-nic
		# shellcheck disable=SC2046 # pkg-config prints several words
		echo "#include <zcrx/$(basename "$h")>" |
			g++ -std=c++20 -Wall -Wextra -Werror -fsyntax-only -x c++ \
				$(pkg-config --cflags "$pc") - >>"$out/headers.log" 2>&1 ||
			{ echo "# $(basename "$h") does not compile on its own (pkg-config $pc)"; rc=1; }
	done
	tap_result "$rc" "every installed header compiles on its own, libzcrx-nic's with zcrx-nic's cflags"

	# shellcheck disable=SC2046
	g++ -std=c++20 -Wall -Wextra -Werror -o "$out/consumer" "$consumer" \
		$(pkg-config --cflags --libs zcrx) >"$out/shared.log" 2>&1
	rc=$?
	tap_result "$rc" "consumer builds against the installed tree: pkg-config --cflags --libs zcrx"
	[ "$rc" -eq 0 ] || shown "$out/shared.log"
	# shellcheck disable=SC2046
	g++ -std=c++20 -Wall -Wextra -Werror -o "$out/consumer-static" "$consumer" \
		$(pkg-config --cflags zcrx) "$lib/libzcrx.a" $(pkg-config --libs liburing) \
		>"$out/static.log" 2>&1
	rc=$?
	tap_result "$rc" "consumer links libzcrx.a statically"
	[ "$rc" -eq 0 ] || shown "$out/static.log"

	LD_LIBRARY_PATH=$lib "$out/consumer" \
		>"$out/run.log" 2>&1 && grep -q '^consumer: ok$' "$out/run.log"
	rc=$?
	sed 's/^/# /' "$out/run.log"
	tap_result "$rc" "consumer runs on the installed libzcrx.so"
	[ "$(LD_LIBRARY_PATH=$lib ldd "$out/consumer" | awk '/libzcrx/ { print $3 }')" = \
		"$lib/libzcrx.so.0" ]
	tap_result $? "the consumer loads libzcrx.so.0 from the installed tree"

	# The NIC setup library: the same, and NicSetup fails for a device
	# that does not exist with the error the library documents.
	# shellcheck disable=SC2046
	g++ -std=c++20 -Wall -Wextra -Werror -o "$out/nic-consumer" "$nic_consumer" \
		$(pkg-config --cflags --libs zcrx-nic) >"$out/nic-shared.log" 2>&1
	rc=$?
	tap_result "$rc" "nic-consumer builds against the installed tree: pkg-config --cflags --libs zcrx-nic"
	[ "$rc" -eq 0 ] || shown "$out/nic-shared.log"
	# Static: the two archives alone in a directory searched first, so that
	# -lzcrx-nic and -lzcrx find them; pkg-config --static adds what they
	# need (liburing, and libmnl, which Debian ships shared only).
	# shellcheck disable=SC2046
	{
		mkdir -p "$out/static-lib" &&
			cp "$lib/libzcrx-nic.a" "$lib/libzcrx.a" "$out/static-lib/" &&
			g++ -std=c++20 -Wall -Wextra -Werror -o "$out/nic-consumer-static" "$nic_consumer" \
				$(pkg-config --cflags zcrx-nic) -L"$out/static-lib" \
				$(pkg-config --static --libs zcrx-nic)
	} >"$out/nic-static.log" 2>&1 && ! ldd "$out/nic-consumer-static" | grep -q libzcrx
	rc=$?
	tap_result "$rc" "nic-consumer links libzcrx-nic.a and libzcrx.a statically: pkg-config --static --libs zcrx-nic"
	[ "$rc" -eq 0 ] || shown "$out/nic-static.log"

	LD_LIBRARY_PATH=$lib "$out/nic-consumer" "$nodev" \
		>"$out/nic-run.log" 2>&1 && grep -q '^nic-consumer: ok$' "$out/nic-run.log"
	rc=$?
	sed 's/^/# /' "$out/nic-run.log"
	tap_result "$rc" "nic-consumer on the installed libzcrx-nic.so: NicSetup on $nodev fails with ENODEV"
	[ "$(LD_LIBRARY_PATH=$lib ldd "$out/nic-consumer" |
		awk '/libzcrx/ { print $3 }' | LC_ALL=C sort | tr '\n' ' ')" = \
		"$lib/libzcrx-nic.so.0 $lib/libzcrx.so.0 " ]
	tap_result $? "the nic-consumer loads libzcrx-nic.so.0 and libzcrx.so.0 from the installed tree"
	"$out/nic-consumer-static" "$nodev" >"$out/nic-run-static.log" 2>&1 &&
		grep -q '^nic-consumer: ok$' "$out/nic-run-static.log"
	rc=$?
	sed 's/^/# /' "$out/nic-run-static.log"
	tap_result "$rc" "the static nic-consumer runs without the installed tree: ENODEV for $nodev"

	# The tools and their man pages: every installed program has its page,
	# every page formats without a warning, and each documents exactly the
	# options the installed program's --help lists.
	local prefix man1 tools=() t page
	prefix=$(pkg-config --variable=prefix zcrx)
	man1=$prefix/share/man/man1
	for t in "$prefix"/bin/*; do
		[ -f "$t" ] && [ -x "$t" ] && tools+=("$t")
	done
	[ ${#tools[@]} -gt 0 ]
	tap_result $? "tools installed in ${prefix#"$dest"}/bin: ${#tools[@]}"
	rc=0
	for t in "${tools[@]}"; do
		[ -f "$man1/$(basename "$t").1" ] ||
			{ echo "# $(basename "$t"): no ${man1#"$dest"}/$(basename "$t").1"; rc=1; }
	done
	[ ${#tools[@]} -gt 0 ] || rc=1
	tap_result "$rc" "every installed tool has its man page in ${man1#"$dest"}"
	rc=0
	for page in "$man1"/*.1; do
		if ! groff -man -Tutf8 -ww -z "$page" >"$out/groff.log" 2>&1 ||
			[ -s "$out/groff.log" ]; then
			echo "# $(basename "$page") does not format cleanly:"
			shown "$out/groff.log"
			rc=1
		fi
	done
	[ -f "$page" ] || rc=1
	tap_result "$rc" "every installed man page formats without a warning (groff -man -ww)"
	"$ZCRX_TOP/scripts/check-man.py" "$man1" "${tools[@]}" >"$out/man.log" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] || shown "$out/man.log"
	tap_result "$rc" "each installed man page documents exactly the options its tool's --help lists"
	tap_done
}

main "$@"
