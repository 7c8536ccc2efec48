#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job's guest half (scripts/vm/main-job.sh) on a short stream,
# and its report: the guest half finishes (2 MiB verified, one round of
# zcrx beside epoll+recv) and leaves its results; scripts/main-report.py
# turns them into results.json, which says what the tools and the NIC
# said, and gnuplot draws the chart from it, as scripts/run-main.sh does
# on the host. The main job itself runs the perf kernel and -O2 tools;
# this keeps its scripts from breaking between runs of it.
# TAP on stdout.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
top=$(cd "$here/.." && pwd)
source "$here/lib/tap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

guest_half() {
	SIZE_MB=2 CMP_ROUNDS=1 MAIN_OUT=$tmp/main timeout 600 \
		"$top/scripts/vm/main-job.sh" >"$tmp/out" 2>&1
	local rc=$?

	sed 's/^/# /' "$tmp/out"
	[ "$rc" -eq 0 ] || { tap_diag "main-job.sh exited $rc"; return 1; }
	grep -q '^zcrx [0-9.]*x the throughput of epoll+recv' "$tmp/out" ||
		{ tap_diag "no comparison line"; return 1; }
}

# results_json: results.json holds the transfer, the NIC and the
# comparison, consistent with each other.
results_json() {
	python3 "$top/scripts/main-report.py" results "$tmp/main" || return
	python3 - "$tmp/main/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t, n, c = r["transfer"], r["nic"], r["comparison"]
size = 2 << 20
k = t["kernel"]
checks = {
    "2 MiB received, verified": r["transfer_ok"] and t["total"]["bytes"] == size
        and all(x["verified"] is True for x in t["connections"]),
    "in place (kernel count)": k["zero_copy_percent"] >= 95
        and k["zero_copy_bytes"] + k["copy_bytes"] == size,
    "the NIC saw both queues and at least the stream": len(n["queues"]) == 2
        and n["bytes"] >= size,
    "the stream on the zcrx queue (95% of the NIC's bytes)":
        n["zcrx_queue_bytes"] >= size and n["zcrx_queue_bytes"] >= 0.95 * n["bytes"],
    "both modes compared, zcrx in place": r["comparison_ok"]
        and sorted(c["modes"]) == ["epoll", "zcrx"]
        and c["modes"]["zcrx"]["zero_copy_percent"] >= 95
        and c["modes"]["epoll"]["gbit_per_s"] > 0 and c["modes"]["zcrx"]["gbit_per_s"] > 0,
}
for what, ok in checks.items():
    print("# %s: %s" % (what, "yes" if ok else "NO"))
sys.exit(0 if all(checks.values()) else 1)
PY
}

chart() {
	(cd "$tmp/main" && gnuplot chart.gp) >"$tmp/gnuplot.log" 2>&1 ||
		{ sed 's/^/# /' "$tmp/gnuplot.log"; return 1; }
	[ -s "$tmp/gnuplot.log" ] && { sed 's/^/# gnuplot: /' "$tmp/gnuplot.log"; return 1; }
	grep -q '<svg' "$tmp/main/chart.svg" ||
		{ tap_diag "chart.svg is not an SVG"; return 1; }
	# one plot per panel: bytes in place, NIC queues, throughput, CPU
	[ "$(grep -c '<g id="gnuplot_plot_1' "$tmp/main/chart.svg")" -ge 4 ] ||
		{ tap_diag "chart.svg lacks a panel"; return 1; }
}

main() {
	if ! tap_check "main job's guest half: 2 MiB verified, zcrx beside epoll+recv" guest_half; then
		tap_not_ok "results.json: not made, the guest half failed"
		tap_not_ok "chart: not drawn, the guest half failed"
		tap_done
		return
	fi
	tap_check "results.json: transfer, NIC queues and comparison agree" results_json
	tap_check "chart.svg drawn by gnuplot, four panels, no warnings" chart
	tap_done
}

main
