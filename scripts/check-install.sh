#!/usr/bin/env bash
# check-install.sh MESON-BUILD-DIR: install the userspace of a configured and
# built meson tree into build/install (DESTDIR, prefix as configured), then
# prove that an application outside this tree can use it: every installed
# header compiles on its own, and userspace/examples/consumer builds with
# nothing but `pkg-config --cflags --libs zcrx`, shared and static, and
# runs. TAP on stdout.
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

	rc=0
	for h in "$inc"/zcrx/*.hpp; do
		# shellcheck disable=SC2046 # pkg-config prints several words
		echo "#include <zcrx/$(basename "$h")>" |
			g++ -std=c++20 -Wall -Wextra -Werror -fsyntax-only -x c++ \
				$(pkg-config --cflags zcrx) - >>"$out/headers.log" 2>&1 ||
			{ echo "# $(basename "$h") does not compile on its own"; rc=1; }
	done
	tap_result "$rc" "every installed header compiles on its own"

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
