#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""main-report.py transfer|compare|results DIR

The main job's results (scripts/run-main.sh). In DIR, scripts/vm/main-job.sh
leaves what the guest saw:

  job.json      the run: version, MiB, queue, port, guest kernel, CPUs,
                accelerator
  nic-before.txt, nic-after.txt
                the receiving port's `ethtool -S` around the transfer
  recv.json     zcrx-recv --json of the verified transfer
  bench.json    zcrx-bench --json of zcrx beside epoll+recv

  transfer  prints the transfer: bytes, time, rate, completions, the
            kernel's zero-copy and copy-fallback bytes, the NIC's bytes
            per RX queue; exit 1 if it was not received whole and verified
  compare   prints zcrx beside epoll+recv: medians and the ratios
  results   writes results.json (all of it, one object, "version": 1),
            chart.dat and chart.gp; `gnuplot chart.gp` in DIR draws
            chart.svg: where the bytes went (in place or copied), the
            NIC's bytes per RX queue, and zcrx against epoll+recv
"""

import json
import os
import re
import sys

VERSION = 1
STAT = re.compile(r"^\s*rx(\d+)_(bytes|no_buf_drops):\s*(\d+)\s*$")


def die(msg):
    print("main-report.py: " + msg, file=sys.stderr)
    sys.exit(2)


def load_json(directory, name, required=True):
    path = os.path.join(directory, name)
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        if required:
            die("%s is missing: did the guest half (scripts/vm/main-job.sh) run?" % path)
        return None
    except json.JSONDecodeError as e:
        if required:
            die("%s is not JSON: %s" % (path, e))
        return {"error": "%s is not JSON: %s" % (name, e)}


def queue_stats(path):
    """{queue: {"bytes": N, "no_buf_drops": N}} from `ethtool -S` text."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                m = STAT.match(line)
                if m:
                    out.setdefault(int(m.group(1)), {})[m.group(2)] = int(m.group(3))
    except FileNotFoundError:
        die("%s is missing" % path)
    if not out:
        die("%s has no rxN_bytes counters: not a netdevsim port's ethtool -S" % path)
    return out


def nic(directory, queue):
    before = queue_stats(os.path.join(directory, "nic-before.txt"))
    after = queue_stats(os.path.join(directory, "nic-after.txt"))
    queues = []
    for q in sorted(after):
        b = before.get(q, {})
        queues.append({
            "queue": q,
            "bytes": after[q].get("bytes", 0) - b.get("bytes", 0),
            "no_buf_drops": after[q].get("no_buf_drops", 0) - b.get("no_buf_drops", 0),
        })
    total = sum(x["bytes"] for x in queues)
    steered = sum(x["bytes"] for x in queues if x["queue"] == queue)
    return {
        "zcrx_queue": queue,
        "bytes": total,
        "zcrx_queue_bytes": steered,
        "zcrx_queue_percent": 100.0 * steered / total if total else None,
        "no_buf_drops": sum(x["no_buf_drops"] for x in queues),
        "queues": queues,
    }


def num(form, v):
    """v in form, or n/a: zcrx-bench writes a ratio it cannot take (a
    median of 0) as null."""
    return "n/a" if v is None else form % v


def bench_ok(bench):
    return bool(bench) and "error" not in bench and bench.get("ok") is True


def transfer_ok(job, recv):
    conns = recv.get("connections") or []
    return (recv.get("ok") is True and recv["total"]["bytes"] == job["size"]
            and bool(conns) and all(c.get("verified") is True for c in conns))


def print_transfer(directory):
    job = load_json(directory, "job.json")
    recv = load_json(directory, "recv.json")
    if "error" in recv:
        print("zcrx-recv failed: %s (errno %s)" % (recv["error"], recv.get("errno")))
        return 1
    n = nic(directory, job["queue"])
    t = recv["total"]
    accel = " (%s)" % job["accel"].upper() if job.get("accel", "none") != "none" else ""
    print("received: %d bytes in %.3f s, %.3f Gbit/s%s, %d completions, "
          "%d buffers returned in %d refill batches" %
          (t["bytes"], t["seconds"], t["gbit_per_s"], accel, t["cqes"],
           t["buffers_returned"], t["refill_batches"]))
    verified = [c.get("verified") for c in recv["connections"]]
    print("pattern: %s" % ("verified, every byte" if verified and all(v is True for v in verified)
                           else "NOT verified: %s" % verified))
    k = recv.get("kernel")
    if k:
        print("kernel: %d bytes placed in the area (%.1f%% zero copy), %d by copy fallback, "
              "%d bad refill entries" % (k["zero_copy_bytes"], k["zero_copy_percent"],
                                         k["copy_bytes"], k["bad_refill_entries"]))
    print("NIC: %d bytes received (headers included), %s; no-buffer drops: %d" %
          (n["bytes"], ", ".join("queue %d %d%s" % (q["queue"], q["bytes"],
                                                    " (zcrx)" if q["queue"] == job["queue"] else "")
                                 for q in n["queues"]), n["no_buf_drops"]))
    if not transfer_ok(job, recv):
        print("FAILED: %d of %d bytes received, ok=%s" % (t["bytes"], job["size"], recv.get("ok")))
        return 1
    return 0


def print_compare(directory):
    bench = load_json(directory, "bench.json")
    if "error" in bench:
        print("zcrx-bench failed: %s (errno %s)" % (bench["error"], bench.get("errno")))
        return 1
    accel = bench.get("accel", "none")
    tag = ", " + accel.upper() if accel != "none" else ""
    rounds = "%d round%s" % (bench["rounds"], "" if bench["rounds"] == 1 else "s")
    print("medians of %s of %d MiB (min-max)%s:" % (rounds, bench["bytes_per_run"] >> 20, tag))
    print("%-6s %-22s %s" % ("mode", "Gbit/s", "rx CPU s/GiB"))
    for mode, m in bench["modes"].items():
        cols = []
        for key, form in (("gbit_per_s", "%.3f"), ("rx_cpu_s_per_gib", "%.2f")):
            lo, hi = m["spread"][key]
            cols.append("%s (%s-%s)" % (num(form, m[key]), num(form, lo), num(form, hi)))
        print("%-6s %-22s %s" % (mode, cols[0], cols[1]))
    r = bench["ratios"]
    print("zcrx %s the throughput of epoll+recv, %s its receiver CPU per GiB "
          "(same run, medians of %s%s)" %
          (num("%.2fx", r.get("zcrx_over_epoll_throughput")),
           num("%.2fx", r.get("zcrx_over_epoll_rx_cpu_per_gib")), rounds, tag))
    return 0 if bench_ok(bench) else 1


def chart(results, directory):
    """chart.dat holds three blocks (gnuplot's `index`): where the bytes
    went, the NIC's bytes per queue, the modes' medians with their spread."""
    recv, n, bench = results["transfer"], results["nic"], results["comparison"]
    k = recv.get("kernel") or {"zero_copy_bytes": 0, "copy_bytes": 0}
    mib = float(1 << 20)
    with open(os.path.join(directory, "chart.dat"), "w") as f:
        f.write("# index 0: bytes received by zcrx-recv, MiB\n")
        f.write('"zero copy" %.6g\n"copy fallback" %.6g\n\n\n' %
                (k["zero_copy_bytes"] / mib, k["copy_bytes"] / mib))
        f.write("# index 1: NIC bytes per RX queue, MiB\n")
        for q in n["queues"]:
            label = "queue %d%s" % (q["queue"], " (zcrx)" if q["queue"] == n["zcrx_queue"] else "")
            f.write('"%s" %.6g\n' % (label, q["bytes"] / mib))
        f.write("\n\n# index 2: mode, Gbit/s median min max, rx CPU s/GiB median min max\n")
        for mode, m in (bench or {}).get("modes", {}).items() if bench_ok(bench) else ():
            vals = []
            for key in ("gbit_per_s", "rx_cpu_s_per_gib"):
                vals += [m[key]] + list(m["spread"][key])
            f.write('"%s" %s\n' % (mode, " ".join("%.6g" % (v or 0) for v in vals)))
    # Each panel's y range, fixed here: room above the tallest bar for its
    # label, and a range for a panel of zeros too (gnuplot warns on one).
    placed = [k["zero_copy_bytes"] / mib, k["copy_bytes"] / mib]
    per_queue = [q["bytes"] / mib for q in n["queues"]]
    modes = bench["modes"].values() if bench_ok(bench) else []
    rates = [max([m["gbit_per_s"] or 0] + m["spread"]["gbit_per_s"]) for m in modes]
    cpus = [max([m["rx_cpu_s_per_gib"] or 0] + m["spread"]["rx_cpu_s_per_gib"]) for m in modes]

    def yrange(values):
        return "set yrange [0:%.6g]" % (1.15 * max(values + [0]) or 1)

    accel = results["guest"].get("accel", "none")
    tag = " (%s)" % accel.upper() if accel != "none" else ""
    size = results["size"] >> 20
    gp = [
        "# generated by scripts/main-report.py; gnuplot chart.gp draws chart.svg",
        "if (!exists('datafile')) datafile = 'chart.dat'",
        "if (!exists('outfile')) outfile = 'chart.svg'",
        "set terminal svg size 1100,800 dynamic noenhanced font 'sans,12' background rgb 'white'",
        "set output outfile",
        "set multiplot layout 2,2 title 'zcrx main job: %d MiB over netdevsim, kernel %s%s'" %
        (size, results["guest"]["kernel"], tag),
        "set style fill solid 0.7 border -1",
        "set boxwidth 0.6",
        "set grid ytics",
        "set xtics nomirror",
        "set key off",
        "set title 'received by zcrx-recv, MiB'",
        yrange(placed),
        "plot datafile index 0 using 0:2:xtic(1) with boxes lc rgb '#2a7f62', "
        "'' index 0 using 0:2:(sprintf('%.1f', $2)) with labels offset 0,1",
        "set title 'NIC bytes per RX queue, MiB (steering)'",
        yrange(per_queue),
        "plot datafile index 1 using 0:2:xtic(1) with boxes lc rgb '#3465a4', "
        "'' index 1 using 0:2:(sprintf('%.1f', $2)) with labels offset 0,1",
    ]
    if bench_ok(bench):
        gp += [
            "set style data histogram",
            "set style histogram errorbars gap 1 lw 1",
            "set boxwidth 0.9",
            yrange(rates),
            "set title 'throughput, Gbit/s%s, medians of %d (higher is better)'" %
            (tag, bench["rounds"]),
            "plot datafile index 2 using 2:3:4:xtic(1) lc rgb '#c4a000'",
            yrange(cpus),
            "set title 'receiver CPU per GiB, s%s (lower is better)'" % tag,
            "plot datafile index 2 using 5:6:7:xtic(1) lc rgb '#cc0000'",
        ]
    gp.append("unset multiplot")
    with open(os.path.join(directory, "chart.gp"), "w") as f:
        f.write("\n".join(gp) + "\n")


def write_results(directory):
    job = load_json(directory, "job.json")
    recv = load_json(directory, "recv.json")
    if "error" in recv:
        die("zcrx-recv failed, nothing to chart: %s" % recv["error"])
    # A failed or missing comparison leaves the transfer to report.
    bench = load_json(directory, "bench.json", required=False)
    results = {
        "version": VERSION,
        "size": job["size"],
        "guest": {key: job.get(key) for key in ("kernel", "cpus", "accel")},
        "transfer": recv,
        "transfer_ok": transfer_ok(job, recv),
        "nic": nic(directory, job["queue"]),
        "comparison": bench,
        "comparison_ok": bench_ok(bench),
    }
    with open(os.path.join(directory, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    chart(results, directory)
    return 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    actions = {"transfer": print_transfer, "compare": print_compare, "results": write_results}
    if len(sys.argv) != 3 or sys.argv[1] not in actions:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if not os.path.isdir(sys.argv[2]):
        die("%s is not a directory" % sys.argv[2])
    return actions[sys.argv[1]](sys.argv[2])


if __name__ == "__main__":
    sys.exit(main())
