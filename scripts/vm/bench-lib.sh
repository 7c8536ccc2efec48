# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Guest helpers for measuring receive paths across the netdevsim pair
# (selftests/lib/nsim.sh, sourced first): where the CPUs go, and zcrx-bench
# with it. Source it; it defines functions and runs nothing.
#
# The pinning that makes the receiver what is measured (../shared/DESIGN.md
# §8): netdevsim's "DMA" copy runs where the sender's port transmits, which
# for TCP is largely its NAPI (ACK processing). With threaded NAPI, the
# sender and its port's NAPI threads on one CPU and the receiver and its
# port's NAPI threads on the other, the receiving CPU is the bottleneck.

BENCH_SENDER_CPU=${BENCH_SENDER_CPU:-0}
BENCH_RECEIVER_CPU=${BENCH_RECEIVER_CPU:-1}
BENCH_QUEUE=${BENCH_QUEUE:-1}
BENCH_PORT=${BENCH_PORT:-5401}

bench_err() {
	echo "bench: $*" >&2
	return 1
}

# bench_napi_threads DEV: the pids of DEV's NAPI threads ("napi/DEV-ID",
# cut to the 15 characters of a task name).
bench_napi_threads() {
	local want=napi/$1 f comm

	want=${want:0:15}
	for f in /proc/[0-9]*/comm; do
		read -r comm <"$f" 2>/dev/null || continue
		[[ $comm == "$want"* ]] || continue
		f=${f%/comm}
		echo "${f#/proc/}"
	done
}

# bench_pin_napi NS DEV CPU: run DEV's NAPI in threads, all of them on CPU.
# Devices in different namespaces may share a name, and so their threads'
# names: DEV's threads are the ones that appear when DEV goes threaded.
bench_pin_napi() {
	local ns=$1 dev=$2 cpu=$3 sysfs=/sys/class/net/$2/threaded before pid n=0

	[ "$(ip netns exec "$ns" cat "$sysfs")" = 0 ] ||
		bench_err "$dev in $ns runs threaded NAPI already: cannot tell its threads" \
			"apart (set it up afresh)" || return
	before=" $(bench_napi_threads "$dev" | tr '\n' ' ')"
	# sysfs as seen from the device's namespace; $1 is the inner shell's
	# shellcheck disable=SC2016
	ip netns exec "$ns" bash -c 'echo 1 >"$1"' _ "$sysfs" ||
		bench_err "cannot switch $dev to threaded NAPI" || return
	for pid in $(bench_napi_threads "$dev"); do
		[[ $before == *" $pid "* ]] && continue
		taskset -p -c "$cpu" "$pid" >/dev/null ||
			bench_err "cannot pin NAPI thread $pid of $dev to CPU $cpu" || return
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || bench_err "no NAPI threads of $dev found" || return
	echo "bench: $dev in $ns: $n NAPI threads on CPU $cpu"
}

# bench_pin: the pinning above, for the pair nsim_pair_setup made.
bench_pin() {
	bench_pin_napi "$NSIM_NS_A" "$NSIM_DEV_A" "$BENCH_SENDER_CPU" &&
		bench_pin_napi "$NSIM_NS_B" "$NSIM_DEV_B" "$BENCH_RECEIVER_CPU"
}

# bench_setup BIN: the pair with two queues, queue BENCH_QUEUE of the
# receiving port set up for zero copy on BENCH_PORT (the copying modes use
# the next port, which RSS keeps on the other queue), and the pinning.
bench_setup() {
	local bin=$1

	nsim_pair_setup 2 || return
	ip netns exec "$NSIM_NS_B" "$bin/zcrx-nic" apply "$NSIM_DEV_B" \
		--queue "$BENCH_QUEUE" --port "$BENCH_PORT" >/dev/null || return
	bench_pin
}

# bench_hw_gro on|off: the receiving port's hardware GRO (netdevsim
# coalesces the segments of a TCP flow into full buffers).
bench_hw_gro() {
	nsim_set "$NSIM_NS_B" "$NSIM_DEV_B" -K rx-gro-hw "$1" ||
		bench_err "cannot switch rx-gro-hw $1 on $NSIM_DEV_B"
}

# bench_huge_pages: huge pages for zcrx-bench's areas (64M each): every
# zcrx run registers its own, and the kernel lets go of the previous one
# only once its page pool has drained, which may be after the next run has
# started; so room for four.
bench_huge_pages() {
	local want=128

	echo "$want" >/proc/sys/vm/nr_hugepages
	[ "$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)" -ge "$want" ] ||
		bench_err "cannot reserve $want huge pages for the zcrx areas"
}

# bench_run BIN ZCRX-BENCH-OPTION...: zcrx-bench across the pair, pinned.
bench_run() {
	local bin=$1

	shift
	ip netns exec "$NSIM_NS_B" "$bin/zcrx-bench" --ifname "$NSIM_DEV_B" \
		--queue "$BENCH_QUEUE" --sender-netns "/run/netns/$NSIM_NS_A" \
		--sender-cpu "$BENCH_SENDER_CPU" --receiver-cpu "$BENCH_RECEIVER_CPU" \
		"$@" "$NSIM_IP4_B" "$BENCH_PORT"
}
