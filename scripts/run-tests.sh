#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every test of the project, from a fresh machine if need be: install
# what is missing, get the base tree, apply the series, check it, build the
# debug kernel and the userspace, run the host unit tests and then the
# in-guest tests in the VM. Prints TAP-style results and ends with
# "N passed, N failed".
set -uo pipefail
source "$(dirname "$0")/lib.sh"

passed=0
failed=0
skipped=0

# Skips a full run may have (glob patterns of "STAGE: description"). Any
# other skip would hide what it should have tested, so it fails: a kernel
# that lost zcrx must not turn a suite into a row of skips.
allowed_skips=()

skip_allowed() {
	local pat

	for pat in "${allowed_skips[@]}"; do
		# shellcheck disable=SC2053 # a glob on purpose
		[[ $1 == $pat ]] && return 0
	done
	return 1
}

result() {
	local ok=$1

	shift
	if [ "$ok" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $((passed + failed + skipped)) - $*"
	else
		failed=$((failed + 1))
		echo "not ok $((passed + failed + skipped)) - $*"
	fi
}

# tap STAGE COMMAND...: run a command that prints TAP and count its
# results under STAGE; a command that fails without a failing result
# counts as one failure.
tap() {
	local stage=$1 line before=$failed rc

	shift
	while IFS= read -r line; do
		case "$line" in
		"ok "*"# SKIP"*)
			if skip_allowed "$stage: ${line#ok * - }"; then
				skipped=$((skipped + 1))
				echo "ok $((passed + failed + skipped)) - $stage: ${line#ok * - }"
			else
				result 1 "$stage: ${line#ok * - } (not on the allowed-skip list)"
			fi
			;;
		"ok "*) result 0 "$stage: ${line#ok * - }" ;;
		"not ok "*) result 1 "$stage: ${line#not ok * - }" ;;
		"1.."*) ;;
		*) echo "# $line" ;;
		esac
	done < <("$@" 2>&1)
	wait $! && rc=0 || rc=$?
	if [ "$rc" -ne 0 ] && [ "$failed" -eq "$before" ]; then
		result 1 "$stage: exited with status $rc"
	fi
}

# step DESCRIPTION COMMAND...: one result for one command; output kept in
# build/logs and shown only on failure, but for the heartbeat of a long
# step (with_heartbeat in lib.sh), passed on as it comes.
step() {
	local desc=$1 log rc

	shift
	mkdir -p "$ZCRX_BUILD/logs"
	log=$ZCRX_BUILD/logs/$(echo "$desc" | tr -c 'a-zA-Z0-9\n' '-').log
	("$@") 2>&1 | tee "$log" |
		{ grep --line-buffered -E '^[a-z.-]+: [^:]+: [0-9]+m[0-9]+s, ' | sed -u 's/^/# /'; true; }
	rc=${PIPESTATUS[0]}
	result "$rc" "$desc"
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$log" | sed 's/^/# /'
	else
		grep -E '(built|applied|ready|up to date|matches|checked)' "$log" | sed 's/^/# /'
	fi
	return "$rc"
}

finish() {
	echo "1..$((passed + failed + skipped))"
	echo "# took $(($(date +%s) - start)) s"
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	[ "$failed" -eq 0 ]
	exit
}

# host_tests: build the userspace (the uAPI check is a compile-time one
# against the debug kernel's exported headers; once more with -O2, as the
# main job and the benchmark build it, whose warnings differ) and run the
# unit tests, then again under AddressSanitizer, LeakSanitizer and UBSan,
# and the ones with threads (the refill ring against a concurrent
# consumer) under ThreadSanitizer: only they are built for that.
host_tests() {
	local plain=$ZCRX_BUILD/meson asan=$ZCRX_BUILD/meson-asan tsan=$ZCRX_BUILD/meson-tsan rc=0
	local opt=$ZCRX_BUILD/meson-opt log=$ZCRX_BUILD/logs/meson.log
	local what="userspace builds (plain, -O2 as the main job's, ASan+UBSan, TSan)"

	if meson_build "$plain" -Dkernel_headers="$ZCRX_BUILD/kernel-debug/usr/include" >"$log" 2>&1 &&
	   meson_build "$opt" -Dbuildtype=debugoptimized >>"$log" 2>&1 &&
	   meson_build "$asan" -Db_sanitize=address,undefined >>"$log" 2>&1 &&
	   meson_build "$tsan" -Db_sanitize=thread -- thread-tests >>"$log" 2>&1; then
		echo "ok 1 - $what; zcrx/uapi.hpp agrees with the kernel's uAPI headers"
	else
		echo "not ok 1 - $what; zcrx/uapi.hpp agrees with the kernel's uAPI headers"
		tail -n 30 "$log" | sed 's/^/# /'
		return 1
	fi
	"$ZCRX_TOP/scripts/catch2-tap.py" "$plain/userspace/tests/unit-tests" || rc=1
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		"$ZCRX_TOP/scripts/catch2-tap.py" "$asan/userspace/tests/unit-tests" asan || rc=1
	TSAN_OPTIONS=halt_on_error=1 \
		"$ZCRX_TOP/scripts/catch2-tap.py" "$tsan/userspace/tests/thread-tests" tsan "[thread]" ||
		rc=1
	return "$rc"
}

# build_kselftest: the series' kselftest, against the debug kernel's
# exported headers, into build/kselftest (the guest runs it from there).
build_kselftest() {
	local out=$ZCRX_BUILD/kselftest/iou-zcrx

	mkdir -p "$out" &&
		make -s -C "$ZCRX_WORK_TREE/tools/testing/selftests/drivers/net/iou-zcrx" \
			OUTPUT="$out" KHDR_INCLUDES="-isystem $ZCRX_BUILD/kernel-debug/usr/include"
}

# vm_tap WHAT VM-RUN-ARGS...: a VM run of in-guest tests that print TAP,
# plus one result for its kernel log (WHAT says which boot). A run that
# ends without its own results (no boot, timeout) fails by its status.
vm_tap() {
	local what=$1 verdict rc=0 checks="KASAN, lockdep, kmemleak or stalled pool"

	shift
	[[ " $* " != *" kmemleak=off "* ]] || checks="KASAN, lockdep or stalled pool"
	rm -f "$ZCRX_BUILD/vm/last"
	"$ZCRX_TOP/scripts/vm-run.sh" -k debug "$@" || rc=$?
	verdict=$(cat "$ZCRX_BUILD/vm/last/verdict" 2>/dev/null || echo "none")
	[ "$verdict" = ok ] && echo -n "ok" || echo -n "not ok"
	echo " 1 - kernel log clean$what: no oops, WARNING, $checks" \
		"(verdict: $verdict; $ZCRX_BUILD/vm/last/console.log)"
	return "$rc"
}

# In-guest tests that run with kmemleak: the ones that drive the series'
# own kernel code through registration, every error path and every
# teardown order. kmemleak doubles what every allocation costs under TCG
# (its own stack trace, and KASAN's for its tracking object), so the rest,
# which reach the same kernel paths through tools and netdevsim set-ups,
# run in a second boot with kmemleak=off: KASAN, lockdep and the stalled
# pool check still watch them.
leak_scanned=(zcrx-kselftest zcrx-fuzz zcrx-lifetime)

# vm_tests: every in-guest test (selftests/vm/*.sh), in two boots
vm_tests() {
	local t name rc=0
	local -a scanned=() others=()

	for t in "$ZCRX_TOP"/selftests/vm/*.sh; do
		name=$(basename "$t" .sh)
		if [[ " ${leak_scanned[*]} " == *" $name "* ]]; then
			scanned+=("$t")
		else
			others+=("$t")
		fi
	done
	# The kselftest's huge-page areas (rx_buf_len, up to 5 pages while an
	# old one drains) are reserved at boot: after zcrx-fuzz the debug
	# guest's 2 GiB can be too fragmented to give 2 MiB pages at run time.
	vm_tap " with kmemleak" -t 3000 -a hugepages=8 -- \
		"$ZCRX_TOP/selftests/run-guest-tests.sh" "${scanned[@]}" || rc=1
	vm_tap " with kmemleak=off" -t 2400 -a kmemleak=off -- \
		"$ZCRX_TOP/selftests/run-guest-tests.sh" "${others[@]}" || rc=1
	return "$rc"
}

# vm_bounce_tests: a second boot with every DMA mapping bounced through
# swiotlb, where zcrx must refuse the area, since the kernel never syncs it
vm_bounce_tests() {
	vm_tap " with swiotlb=force" -t 900 -a swiotlb=force -- \
		"$ZCRX_TOP/selftests/vm/zcrx-kselftest.sh -r zcrx.reg_bounce_buffers"
}

main() {
	start=$(date +%s)
	echo "# zcrx tests: $(date -u), $(nproc) CPUs"
	step "install packages" ensure_packages $ZCRX_PKGS_KERNEL $ZCRX_PKGS_VM \
		$ZCRX_PKGS_GUEST $ZCRX_PKGS_USER $ZCRX_PKGS_SERIES \
		$ZCRX_PKGS_NCDEVMEM $ZCRX_PKGS_FRESH $ZCRX_PKGS_BENCH || finish
	step "every program the scripts run comes from a listed package" \
		"$ZCRX_TOP/scripts/check-deps.py"
	tap base "$ZCRX_TOP/scripts/test-get-base.sh"
	step "base tree (kernel/base.env)" "$ZCRX_TOP/scripts/get-base.sh" || finish
	step "series applies (patches/)" "$ZCRX_TOP/scripts/apply-series.sh" || finish
	tap series "$ZCRX_TOP/scripts/check-series.sh"
	step "debug kernel builds" "$ZCRX_TOP/scripts/build-kernel.sh" debug || finish
	tap drivers "$ZCRX_TOP/scripts/check-drivers.sh"
	step "ncdevmem (tools/testing/selftests/net) builds" "$ZCRX_TOP/scripts/build-ncdevmem.sh"
	step "kselftest drivers/net/iou-zcrx builds" build_kselftest || finish
	tap host host_tests
	tap install "$ZCRX_TOP/scripts/check-install.sh" "$ZCRX_BUILD/meson"
	tap vm vm_tests
	tap vm-swiotlb vm_bounce_tests
	finish
}

main "$@"
