#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Merge zcrx-bench's per-MTU results and present them.

usage: bench-report.py DIR

DIR holds bench-MTU.json, one zcrx-bench --json object per MTU,
bench-MTU-hw-gro.json for runs with the receiving NIC's hardware GRO on,
and bench-MTU-hw-gro-64k.json for those with zcrx receiving into 64 KiB
buffers too (what scripts/vm/bench-job.sh writes). Writes into DIR:
  results.json  one object: per set-up ("1500", "1500-hw-gro", ...) the
                zcrx-bench object ("modes": medians and spreads, "ratios",
                "samples"), the set-ups in order ("configs"), and what the
                run was ("accel", "rounds", "bytes_per_run", "mtus", "ok")
  table.txt     the results as a text table, with the main ratios
  table.md      the same as Markdown (for the README)
  chart.gp      a gnuplot script drawing chart.svg from chart.dat
"""

import glob
import json
import math
import os
import re
import sys

MODE_NAMES = {"epoll": "epoll+recv", "uring": "io_uring recv", "zcrx": "zcrx",
              "trunc": "MSG_TRUNC"}
# (key in "modes", heading, format, whether the figure is an absolute one
# that the emulator decides)
COLUMNS = [
    ("gbit_per_s", "Gbit/s", "{:.3f}", True),
    ("rx_cpu_s_per_gib", "rx CPU s/GiB", "{:.2f}", True),
    ("total_cpu_s_per_gib", "all CPU s/GiB", "{:.2f}", True),
    ("completions_per_gib", "compl/GiB", "{:.0f}", False),
    ("rx_busy", "rx busy", "{:.2f}", False),
    ("tx_busy", "tx busy", "{:.2f}", False),
]
RATIOS = [
    ("zcrx_over_epoll_throughput", "zcrx/epoll throughput"),
    ("zcrx_over_epoll_rx_cpu_per_gib", "zcrx/epoll rx CPU per GiB"),
    ("zcrx_over_epoll_total_cpu_per_gib", "zcrx/epoll all CPU per GiB"),
    ("zcrx_over_trunc_throughput", "zcrx/MSG_TRUNC throughput"),
    ("uring_over_epoll_throughput", "uring/epoll throughput"),
]


def die(msg):
    print("bench-report.py: error: " + msg, file=sys.stderr)
    sys.exit(1)


CONFIG = re.compile(r"^bench-([0-9]+)(-hw-gro(-64k)?)?\.json$")


def config_order(config):
    mtu, _, gro = config.partition("-")
    return int(mtu), gro


def label(config, short=False):
    """ "1500-hw-gro" -> "MTU 1500, hw GRO" ("1500 hw GRO" if short);
    "1500-hw-gro-64k" -> "MTU 1500, hw GRO, 64K buffers" ("1500 hw GRO 64K") """
    mtu, _, gro = config.partition("-")
    parts = []
    if gro:
        parts.append("hw GRO")
    if gro.endswith("-64k"):
        parts.append("64K" if short else "64K buffers")
    if short:
        return " ".join([mtu] + parts)
    return ", ".join(["MTU " + mtu] + parts)


def load(directory):
    runs = {}
    for path in glob.glob(os.path.join(directory, "bench-*.json")):
        m = CONFIG.match(os.path.basename(path))
        if not m:
            die("%s: not a bench-MTU[-hw-gro[-64k]].json name" % path)
        try:
            with open(path) as f:
                obj = json.load(f)
        except (OSError, ValueError) as e:
            die("cannot read %s: %s" % (path, e))
        if str(obj["mtu"]) != m.group(1):
            die("%s holds a run at MTU %s" % (path, obj["mtu"]))
        runs[m.group(1) + (m.group(2) or "")] = obj
    if not runs:
        die("no bench-MTU.json in %s: did the benchmark run?" % directory)
    return dict(sorted(runs.items(), key=lambda kv: config_order(kv[0])))


def merge(runs):
    first = next(iter(runs.values()))
    merged = {
        "accel": first["accel"],
        "rounds": first["rounds"],
        "bytes_per_run": first["bytes_per_run"],
        "mtus": sorted({int(obj["mtu"]) for obj in runs.values()}),
        "configs": list(runs),
    }
    for config, obj in runs.items():
        merged[config] = {k: v for k, v in obj.items()
                          if k not in ("accel", "rounds", "bytes_per_run")}
    merged["ok"] = all(obj["ok"] for obj in runs.values())
    return merged


def fmt(form, v):
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else form.format(v)


def ratio_text(v):
    return "n/a" if v is None else "%.2fx" % v


def rows(merged):
    """Per set-up and mode: the cells of the table."""
    for config in merged["configs"]:
        for mode, m in merged[config]["modes"].items():
            cells = []
            for key, _, form, _ in COLUMNS:
                lo, hi = m["spread"][key]
                cells.append("%s (%s-%s)" % (fmt(form, m[key]), fmt(form, lo),
                                             fmt(form, hi)))
            yield label(config, True), MODE_NAMES.get(mode, mode), cells


def headings(accel):
    tag = " (%s)" % accel if accel != "none" else ""
    return [h + (tag if absolute else "") for _, h, _, absolute in COLUMNS]


def describe(merged):
    size = merged["bytes_per_run"]
    unit = "GiB" if size % (1 << 30) == 0 else "MiB"
    n = size // (1 << 30) if unit == "GiB" else size / (1 << 20)
    accel = merged["accel"]
    text = ("one TCP flow across the netdevsim pair, %d rounds of %g %s per mode, "
            "medians (min-max)" % (merged["rounds"], n, unit))
    if accel == "TCG":
        text += ("; the guest runs under TCG: absolute figures are the emulator's, "
                 "the ratios measured in one run are the result")
    elif accel != "none":
        text += "; the guest runs under %s" % accel
    return text


def ratio_lines(merged):
    for config in merged["configs"]:
        r = merged[config]["ratios"]
        parts = ["%s %s" % (name, ratio_text(r.get(key))) for key, name in RATIOS
                 if key in r]
        yield "%s: %s" % (label(config), ", ".join(parts))


def text_table(merged):
    heads = ["MTU", "mode"] + headings(merged["accel"])
    table = [heads] + [[mtu, mode] + cells for mtu, mode, cells in rows(merged)]
    widths = [max(len(r[i]) for r in table) for i in range(len(heads))]
    out = ["zcrx-bench: " + describe(merged)]
    for r in table:
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    out.extend(ratio_lines(merged))
    return "\n".join(out) + "\n"


def markdown_table(merged):
    heads = ["MTU", "mode"] + headings(merged["accel"])
    out = ["| " + " | ".join(heads) + " |",
           "|" + "|".join(" --- " for _ in heads) + "|"]
    for mtu, mode, cells in rows(merged):
        out.append("| " + " | ".join([mtu, mode] + cells) + " |")
    out.append("")
    out.extend("- " + line for line in ratio_lines(merged))
    out.append("")
    out.append("(" + describe(merged) + ".)")
    return "\n".join(out) + "\n"


def chart(merged, directory):
    """chart.dat: one row per mode; per set-up the median, min and max of
    throughput, then of receiver CPU per GiB. chart.gp draws both."""
    configs = merged["configs"]
    modes = list(merged[configs[0]]["modes"])
    with open(os.path.join(directory, "chart.dat"), "w") as f:
        for mode in modes:
            cols = ['"%s"' % mode]
            for key in ("gbit_per_s", "rx_cpu_s_per_gib"):
                for config in configs:
                    m = merged[config]["modes"].get(mode)
                    vals = [m[key]] + m["spread"][key] if m else [0, 0, 0]
                    cols.extend("%.6g" % (v or 0) for v in vals)
            f.write(" ".join(cols) + "\n")
    accel = merged["accel"]
    tag = ", %s" % accel if accel != "none" else ""

    def plot(first_col):
        parts = []
        for i, config in enumerate(configs):
            c = first_col + 3 * i
            using = "%d:%d:%d" % (c, c + 1, c + 2) + (":xtic(1)" if i == 0 else "")
            src = "datafile" if i == 0 else "''"
            parts.append("%s using %s title '%s'" % (src, using, label(config)))
        return "plot " + ", ".join(parts)

    n = len(configs)
    gp = [
        "# generated by scripts/bench-report.py; gnuplot -e \"outfile='chart.svg'\" chart.gp",
        "if (!exists('datafile')) datafile = 'chart.dat'",
        "if (!exists('outfile')) outfile = 'chart.svg'",
        "set terminal svg size 1100,500 dynamic noenhanced font 'sans,12' background rgb 'white'",
        "set output outfile",
        "set multiplot layout 1,2 title 'zcrx-bench: one TCP flow over netdevsim, medians of %d "
        "rounds (bars: min-max)%s'" % (merged["rounds"], tag),
        "set style data histogram",
        "set style histogram errorbars gap 1 lw 1",
        "set style fill solid 0.7 border -1",
        "set boxwidth 0.9",
        "set key outside bottom center horizontal",
        "set yrange [0:*]",
        "set grid ytics",
        "set xtics nomirror",
        "set title 'throughput, Gbit/s%s (higher is better)'" % tag,
        plot(2),
        "set title 'receiver CPU per GiB, s%s (lower is better)'" % tag,
        plot(2 + 3 * n),
        "unset multiplot",
    ]
    with open(os.path.join(directory, "chart.gp"), "w") as f:
        f.write("\n".join(gp) + "\n")


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(sys.argv) != 2 else sys.stdout)
        sys.exit(0 if len(sys.argv) == 2 else 2)
    directory = sys.argv[1]
    merged = merge(load(directory))
    with open(os.path.join(directory, "results.json"), "w") as f:
        json.dump(merged, f, indent=1)
        f.write("\n")
    with open(os.path.join(directory, "table.txt"), "w") as f:
        f.write(text_table(merged))
    with open(os.path.join(directory, "table.md"), "w") as f:
        f.write(markdown_table(merged))
    chart(merged, directory)


if __name__ == "__main__":
    main()
