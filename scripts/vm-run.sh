#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a built kernel in QEMU and run one command in it. The guest sees the
# host's root read-only (so host tools and the meson build run there), the
# command's output streams to our stdout, and the exit status is the
# command's. A kernel oops, WARNING, KASAN or lockdep report, stalled page
# pool shutdown or kmemleak report fails the run even if the command passed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

print_usage() {
	cat <<EOF
usage: $PROG [-k debug|perf] [-t SECONDS] [-c CPUS] [-m MEM] [-a ARGS] [--console] -- COMMAND...

  -k VARIANT   kernel from build/kernel-VARIANT (default: debug)
  -t SECONDS   kill the guest after this long (default: 600)
  -c CPUS      vCPUs (default: 2)
  -m MEM       guest memory (default: 2G)
  -a ARGS      add ARGS to the kernel command line (e.g. swiotlb=force)
  --console    also stream the kernel console to stderr

COMMAND runs under bash in the current directory, as root, inside the guest;
a single argument is taken as a shell command line. How the run ended is in
<run>/verdict: ok, timeout, no-status or kernel (the kernel log has a splat).
The kernel console log is kept in build/vm/runs/<run>/console.log
(build/vm/last points to the latest run). Environment: ZCRX_ACCEL=tcg|kvm
overrides accelerator detection.
EOF
}

variant=debug
timeout_s=600
cpus=2
mem=2G
append=
console=0
while [ $# -gt 0 ]; do
	case "$1" in
	-k) variant=$2; shift ;;
	-t) timeout_s=$2; shift ;;
	-c) cpus=$2; shift ;;
	-m) mem=$2; shift ;;
	-a) append+=" $2"; shift ;;
	--console) console=1 ;;
	-h | --help) print_usage; exit 0 ;;
	--) shift; break ;;
	*) break ;;
	esac
	shift
done
[ $# -gt 0 ] || { print_usage >&2; exit 2; }
case "$timeout_s" in '' | *[!0-9]*) die "-t wants seconds, got '$timeout_s'" ;; esac

kernel=$ZCRX_BUILD/kernel-$variant/arch/x86/boot/bzImage
# The kernel's modules, if it has any: the guest loads them from there.
mods_arg=
[ ! -d "$ZCRX_BUILD/kernel-$variant/modroot/lib/modules" ] ||
	mods_arg=" zcrx.mods=$ZCRX_BUILD/kernel-$variant/modroot"
vm_dir=$ZCRX_BUILD/vm
initramfs=$vm_dir/initramfs.cpio.gz

# What in the kernel log means the kernel misbehaved, whatever the command said.
splat_re='(BUG:|WARNING:|Oops|Kernel panic|general protection fault|KASAN|UBSAN|'
splat_re+='possible circular locking|unreferenced object|stalled pool shutdown|'
splat_re+='INFO: task .* blocked|rcu: INFO|self-detected stall|kmemleak report|kmemleak blind|'
splat_re+='suspected memory leak)'

build_initramfs() {
	local stage=$vm_dir/initramfs.d busybox

	busybox=$(command -v busybox) || die "busybox not found"
	if [ -f "$initramfs" ] && [ "$initramfs" -nt "$ZCRX_TOP/scripts/vm/init" ] &&
	   [ "$initramfs" -nt "$busybox" ]; then
		return 0
	fi
	rm -rf "$stage"
	mkdir -p "$stage/bin"
	cp "$busybox" "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh"
	install -m 0755 "$ZCRX_TOP/scripts/vm/init" "$stage/init"
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initramfs.tmp"
	mv "$initramfs.tmp" "$initramfs"
	rm -rf "$stage"
}

# qemu_cmd ACCEL RUN_DIR: the QEMU command line, one argument per line.
qemu_args() {
	local accel=$1 run=$2

	printf '%s\n' qemu-system-x86_64 -nodefaults -no-reboot -display none \
		-machine q35 -accel "$accel" -smp "$cpus" -m "$mem" \
		-cpu "$([ "$accel" = kvm ] && echo host || echo max)" \
		-kernel "$kernel" -initrd "$initramfs" \
		-append "console=ttyS0 panic=-1 printk_devkmsg=on zcrx.top=$ZCRX_TOP zcrx.run=$run$mods_arg$append" \
		-serial "file:$run/console.log" \
		-device virtio-serial-pci \
		-chardev stdio,id=out,signal=off \
		-device virtconsole,chardev=out \
		-device virtio-rng-pci \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$run,mount_tag=rundir,security_model=none"
}

new_run_dir() {
	local run

	mkdir -p "$vm_dir/runs"
	run=$(mktemp -d "$vm_dir/runs/$(date +%Y%m%d-%H%M%S)-XXXX") ||
		die "cannot create a run directory in $vm_dir/runs"
	ln -sfn "$run" "$vm_dir/last"
	printf '%s\n' "$run"
}

# KVM is used only if a guest really boots with it (nested KVM often does
# not); the answer is cached in build/vm/accel.
detect_accel() {
	local run

	if [ -n "${ZCRX_ACCEL:-}" ]; then
		echo "$ZCRX_ACCEL"
		return
	fi
	if [ -f "$vm_dir/accel" ]; then
		cat "$vm_dir/accel"
		return
	fi
	echo tcg >"$vm_dir/accel.tmp"
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		run=$(new_run_dir)
		echo true >"$run/cmd"
		pwd >"$run/cwd"
		mapfile -t args < <(qemu_args kvm "$run")
		timeout -k 5 30 "${args[@]}" </dev/null >/dev/null 2>&1 || true
		if grep -q 'zcrx-vm: exit status 0' "$run/console.log" 2>/dev/null; then
			echo kvm >"$vm_dir/accel.tmp"
		fi
	fi
	mv "$vm_dir/accel.tmp" "$vm_dir/accel"
	cat "$vm_dir/accel"
}

# check_console LOG: print kernel splats; fail if there are any.
check_console() {
	local log=$1

	# The command line we log ourselves may contain anything.
	if grep -v 'zcrx-vm: running' "$log" | grep -qE "$splat_re"; then
		eprintf '%s: the kernel reported problems (full log: %s):\n' "$PROG" "$log"
		grep -v 'zcrx-vm: running' "$log" | grep -E -A 20 "$splat_re" | head -n 80 >&2
		return 1
	fi
}

main() {
	local accel run rc status console_pid=

	ensure_packages $ZCRX_PKGS_VM
	[ -f "$kernel" ] || die "no $variant kernel at $kernel; run scripts/build-kernel.sh $variant"
	# Both end up on the kernel command line and in QEMU option lists.
	case "$ZCRX_TOP$vm_dir" in
	*[[:space:],]*) die "the checkout's path ($ZCRX_TOP) must not contain blanks or commas" ;;
	esac
	mkdir -p "$vm_dir"
	build_initramfs
	accel=$(detect_accel)

	run=$(new_run_dir) || exit
	# One argument is a shell command line; several are quoted as words.
	if [ $# -eq 1 ]; then
		printf '%s\n' "$1" >"$run/cmd"
	else
		printf '%q ' "$@" >"$run/cmd"
		echo >>"$run/cmd"
	fi
	pwd >"$run/cwd"
	echo "$accel" >"$run/accel"
	: >"$run/console.log"
	mapfile -t args < <(qemu_args "$accel" "$run")
	info "booting $variant kernel ($accel, $cpus vCPUs, timeout ${timeout_s}s), run dir $run"
	if [ "$console" -eq 1 ]; then
		tail -n +1 -f "$run/console.log" >&2 &
		console_pid=$!
		trap 'kill "$console_pid" 2>/dev/null' EXIT
	fi
	set +e
	# --foreground: an interrupt of this script reaches QEMU too. Line
	# buffered, so that a long run's progress shows as it happens.
	timeout --foreground -k 10 "$timeout_s" "${args[@]}" </dev/null |
		stdbuf -oL tr -d '\r' | tee "$run/output.log"
	rc=${PIPESTATUS[0]}
	set -e
	if [ -n "$console_pid" ]; then
		sleep 1
		kill "$console_pid" 2>/dev/null || true
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		eprintf '%s: guest timed out after %ss and was killed; console tail:\n' "$PROG" "$timeout_s"
		tail -n 40 "$run/console.log" >&2
		check_console "$run/console.log" || true
		echo timeout >"$run/verdict"
		return 124
	fi
	status=$(sed -n 's/.*zcrx-vm: exit status \([0-9]*\).*/\1/p' "$run/console.log" | tail -n1)
	if [ -z "$status" ]; then
		eprintf '%s: guest ended without reporting an exit status (panic? qemu exit %s); console tail:\n' "$PROG" "$rc"
		tail -n 40 "$run/console.log" >&2
		check_console "$run/console.log" || true
		echo no-status >"$run/verdict"
		return 125
	fi
	if ! check_console "$run/console.log"; then
		echo kernel >"$run/verdict"
		return 1
	fi
	echo ok >"$run/verdict"
	return "$status"
}

main "$@"
