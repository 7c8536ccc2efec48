#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the kernel work tree for the VM: tinyconfig + kernel/vm.config +
# Kconfig.snippet + kernel/VARIANT.config, out of tree in build/kernel-VARIANT,
# with ccache. Installs the uAPI headers into build/kernel-VARIANT/usr.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

print_usage() {
	cat <<EOF
usage: $PROG [-o DIR] [--sparse] [debug|perf]

  debug     KASAN, lockdep, kmemleak, DEBUG_NET: for tests (default)
  perf      no debug options: for benchmarks
  -o DIR    build directory (default: $ZCRX_BUILD/kernel-VARIANT)
  --sparse  run sparse on every file compiled (C=1); see DIR/build.log

Output: DIR/arch/x86/boot/bzImage, the uAPI headers in DIR/usr/include and,
for a variant with modules (debug), the modules in DIR/modroot/lib/modules.
EOF
}

variant=debug
out=
sparse=
while [ $# -gt 0 ]; do
	case "$1" in
	debug | perf) variant=$1 ;;
	-o) out=$2; shift ;;
	--sparse) sparse=C=1 ;;
	-h | --help) print_usage; exit 0 ;;
	*) print_usage >&2; exit 2 ;;
	esac
	shift
done
out=${out:-$ZCRX_BUILD/kernel-$variant}
fragments=("$ZCRX_TOP/kernel/vm.config" "$ZCRX_TOP/Kconfig.snippet"
	   "$ZCRX_TOP/kernel/$variant.config")

# Fixed build identity so that rebuilding the same source reuses ccache and
# does not relink for a new timestamp.
export KBUILD_BUILD_USER=zcrx KBUILD_BUILD_HOST=zcrx
export KBUILD_BUILD_TIMESTAMP="Sat Jan  1 00:00:00 UTC 2000"
# Hash paths relative to the checkout, so that another clone on the same
# machine hits the cache (kbuild already maps __FILE__ to relative paths).
export CCACHE_BASEDIR=$ZCRX_TOP
kmake() {
	make -s -C "$ZCRX_WORK_TREE" O="$out" ARCH=x86_64 CC="ccache gcc" \
		HOSTCC="ccache gcc" -j"$(nproc)" "$@"
}

# Every line a fragment sets must survive olddefconfig: options whose
# dependencies are missing vanish silently otherwise.
assert_config() {
	local frag line opt bad=0

	for frag in "${fragments[@]}"; do
		while IFS= read -r line; do
			case "$line" in
			CONFIG_*=*)
				grep -qxF "$line" "$out/.config" && continue
				opt=${line%%=*}
				eprintf '%s: %s: wanted %s, got: %s\n' "$PROG" \
					"${frag#"$ZCRX_TOP"/}" "$line" \
					"$(grep -E "^(# )?$opt[= ]" "$out/.config" || echo 'absent')"
				bad=1
				;;
			"# CONFIG_"*" is not set")
				opt=${line#"# "}
				opt=${opt%% *}
				grep -qE "^$opt=[ym]" "$out/.config" || continue
				eprintf '%s: %s: wanted %s unset, got: %s\n' "$PROG" \
					"${frag#"$ZCRX_TOP"/}" "$opt" \
					"$(grep -E "^$opt=" "$out/.config")"
				bad=1
				;;
			esac
		done <"$frag"
	done
	[ "$bad" -eq 0 ] || die "kernel config is missing required options" \
				"(a dependency without a prompt is not enabled?)"
}

# Regenerate the config from the fragments every time, but only replace
# .config when it changed, so incremental builds stay incremental.
configure() {
	local tmp=$out/.config.zcrx-new

	mkdir -p "$out"
	[ -f "$out/.config" ] && cp "$out/.config" "$out/.config.zcrx-old"
	kmake tinyconfig >/dev/null
	(cd "$out" && "$ZCRX_WORK_TREE/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" "${fragments[@]}") >"$out/merge_config.log" 2>&1 ||
		die "merge_config.sh failed; see $out/merge_config.log"
	kmake olddefconfig >/dev/null
	cp "$out/.config" "$tmp"
	if [ -f "$out/.config.zcrx-old" ] && cmp -s "$tmp" "$out/.config.zcrx-old"; then
		# Unchanged: put back the old file with its old mtime.
		mv "$out/.config.zcrx-old" "$out/.config"
	else
		rm -f "$out/.config.zcrx-old"
	fi
	rm -f "$tmp"
	assert_config
}

build_image() {
	kmake $sparse bzImage >"$out/build.log" 2>&1
}

# For the heartbeat: objects compiled since the build started
objects_built() {
	echo "$(find "$out" -name '*.o' -newer "$out/.zcrx-build-start" | wc -l) objects compiled"
}

main() {
	local start end

	ensure_packages $ZCRX_PKGS_KERNEL
	require_work_tree
	start=$(date +%s)
	configure
	info "building $variant kernel in $out ($(nproc) jobs)"
	[ -z "$sparse" ] || ensure_packages sparse
	touch "$out/.zcrx-build-start"
	with_heartbeat "building $variant kernel" objects_built \
		build_image || {
		tail -n 40 "$out/build.log" >&2
		die "kernel build failed; full log: $out/build.log"
	}
	if grep -qx 'CONFIG_MODULES=y' "$out/.config"; then
		# modpost: an undefined symbol in a module is an error
		kmake modules >>"$out/build.log" 2>&1 || {
			tail -n 40 "$out/build.log" >&2
			die "kernel modules build failed; full log: $out/build.log"
		}
		rm -rf "$out/modroot"
		kmake modules_install INSTALL_MOD_PATH="$out/modroot" >/dev/null
	fi
	kmake headers_install INSTALL_HDR_PATH="$out/usr" >/dev/null
	end=$(date +%s)
	info "built $(kmake kernelrelease) ($variant) in $((end - start)) s:" \
	     "$out/arch/x86/boot/bzImage"
}

main
