#!/usr/bin/env bash
# check-drivers.sh: the real NICs' drivers whose RX queues the series lets
# a memory provider back, and the core file their patches touch, compiled
# again in the built debug kernel's tree with W=1 and sparse (C=2: every
# file, whether it changed or not). No hardware or emulator runs them, so
# this is what is checked of them on every run. One TAP result per target:
# no compiler or sparse warning but those Debian's 6.12 base already has,
# listed in kernel/known-warnings.txt.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
source "$ZCRX_TOP/selftests/lib/tap.sh"

out=$ZCRX_BUILD/kernel-debug
known=$ZCRX_TOP/kernel/known-warnings.txt
# NAME|PATH|OBJECT: PATH a directory (trailing slash) or an object, and
# OBJECT one that must come out of it, so that a driver the config lost
# does not pass by building nothing
targets=(
	"bnxt_en|drivers/net/ethernet/broadcom/bnxt/|drivers/net/ethernet/broadcom/bnxt/bnxt.o"
	"gve|drivers/net/ethernet/google/gve/|drivers/net/ethernet/google/gve/gve_main.o"
	"ethtool rings|net/ethtool/rings.o|net/ethtool/rings.o"
	"TCP GRO|net/ipv4/tcp_offload.o|net/ipv4/tcp_offload.o"
)

# check NAME PATH OBJECT: build PATH with W=1 C=2, which must write OBJECT
# anew; warnings outside the known list fail it
check() {
	local name=$1 path=$2 obj=$out/$3 log new rc

	log=$ZCRX_BUILD/logs/check-drivers-${name// /-}.log
	rm -f "$obj"
	make -s -C "$ZCRX_WORK_TREE" O="$out" ARCH=x86_64 CC="ccache gcc" \
		HOSTCC="ccache gcc" -j"$(nproc)" W=1 C=2 "$path" >"$log" 2>&1
	rc=$?
	[ "$rc" -ne 0 ] || [ -f "$obj" ] || { echo "no $3: not in the config?" >>"$log"; rc=1; }
	new=$(grep -E 'warning:|error:' "$log" | grep -vF -f <(grep -v '^#' "$known") || true)
	if [ "$rc" -eq 0 ] && [ -z "$new" ]; then
		tap_ok "$name ($path) builds with W=1 and sparse, no new warning"
	else
		tap_not_ok "$name ($path) builds with W=1 and sparse, no new warning"
	fi
	[ "$rc" -eq 0 ] || tail -n 20 "$log" | sed 's/^/# /'
	[ -z "$new" ] || echo "$new" | head -n 20 | sed 's/^/# /'
}

main() {
	local t name path obj

	[ -f "$out/.config" ] || die "no debug kernel in $out: run scripts/build-kernel.sh debug"
	mkdir -p "$ZCRX_BUILD/logs"
	for t in "${targets[@]}"; do
		IFS='|' read -r name path obj <<<"$t"
		check "$name" "$path" "$obj"
	done
	tap_done
}

main "$@"
