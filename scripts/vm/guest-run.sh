#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM, chrooted into the host's root: runs the command
# the host left in RUN_DIR/cmd with its output on the virtio console, then
# has kmemleak scan, and reports the exit status on the kernel console,
# where the host's vm-run.sh reads it.
set -uo pipefail

run_dir=$1
out=/dev/hvc0

kmsg() {
	echo "$*" >/dev/kmsg
}

# kmemleak reports only what two scans agree on and nothing younger than a
# few seconds; scan twice, a little apart, then print what it found. A
# kernel built with kmemleak that cannot scan (it disables itself after an
# internal error) would hide leaks: that is reported as a failure, unless
# the host turned it off on purpose (kmemleak=off on the command line:
# scripts/run-tests.sh does for the tests that need no leak scan).
kmemleak_report() {
	local f=/sys/kernel/debug/kmemleak report

	grep -q ' kmemleak_alloc$' /proc/kallsyms || return 0
	if grep -qw 'kmemleak=off' /proc/cmdline; then
		kmsg "zcrx-vm: kmemleak off (kmemleak=off): no leak scan"
		return
	fi
	if [ ! -w "$f" ]; then
		kmsg "zcrx-vm: kmemleak blind: no $f"
		return
	fi
	kmsg "zcrx-vm: kmemleak scan"
	sleep 6
	if ! echo scan 2>/dev/null >"$f" || ! sleep 1 || ! echo scan 2>/dev/null >"$f"; then
		kmsg "zcrx-vm: kmemleak blind: a scan failed; is kmemleak disabled?"
		return
	fi
	# debugfs files have no size: read it to see whether there is a report
	report=$(cat "$f")
	if [ -n "$report" ]; then
		kmsg "zcrx-vm: kmemleak report follows"
		printf '%s\n' "$report" >/dev/ttyS0
	fi
}

# A kernel with modules (the debug one) has netdevsim as a module, in the
# build's module tree named by zcrx.mods= (the host's /lib/modules is not
# the guest kernel's). Load it, so that the tests find the bus as they
# would with netdevsim built in.
load_modules() {
	local arg mods=

	for arg in $(cat /proc/cmdline); do
		case "$arg" in zcrx.mods=*) mods=${arg#zcrx.mods=} ;; esac
	done
	[ -n "$mods" ] || return 0
	modprobe -d "$mods" netdevsim ||
		kmsg "zcrx-vm: cannot load netdevsim from $mods"
}

main() {
	local rc

	export PATH=$run_dir/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8
	export ZCRX_IN_VM=1 ZCRX_RUN_DIR=$run_dir
	ZCRX_VM_ACCEL=$(cat "$run_dir/accel" 2>/dev/null)
	export ZCRX_VM_ACCEL
	stty -F "$out" raw -echo 2>/dev/null
	hostname zcrx-vm
	ip link set lo up
	echo 1 >/proc/sys/kernel/panic_on_oops
	load_modules

	kmsg "zcrx-vm: running $(head -c 200 "$run_dir/cmd" | tr '\n' ' ')"
	(cd "$(cat "$run_dir/cwd")" && bash "$run_dir/cmd") </dev/null >"$out" 2>&1
	rc=$?
	kmsg "zcrx-vm: command exited $rc"
	kmemleak_report
	kmsg "zcrx-vm: exit status $rc"
}

main
