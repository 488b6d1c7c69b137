#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""report.py RAWDIR: the table `make bench` prints, from what bench.sh left
in RAWDIR (hyperfine's JSON exports, one per round, and a few measurements of
its own). Medians, quartiles and minimums; ratios are of medians. Writes
RAWDIR/../results.json as well."""
import glob
import json
import os
import re
import statistics
import sys

RAW = sys.argv[1]
OUT = {}


def quantile(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def load_rounds(name):
    """{command name: [seconds, ...]} over every round of one benchmark."""
    times = {}
    order = []
    for path in sorted(glob.glob(os.path.join(RAW, name + ".*.json")),
                       key=lambda p: int(p.rsplit(".", 2)[1])):
        with open(path) as f:
            for r in json.load(f)["results"]:
                if r["command"] not in times:
                    order.append(r["command"])
                times.setdefault(r["command"], []).extend(r["times"])
    return [(c, times[c]) for c in order]


def stats_ms(ts):
    ms = [t * 1000 for t in ts]
    return {"median": statistics.median(ms), "p25": quantile(ms, 0.25),
            "p75": quantile(ms, 0.75), "min": min(ms), "runs": len(ms)}


def verdict(ok):
    return "met" if ok else "MISSED"


def table(title, rows, refs):
    """rows: [(name, stats)], refs: names to give ratios against."""
    print("\n== %s (ms)" % title)
    head = "%-18s %8s %8s %8s %8s %5s" % ("runner", "median", "p25", "p75", "min", "runs")
    for ref in refs:
        head += " %9s" % ("x " + ref)
    print(head)
    med = {name: s["median"] for name, s in rows}
    for name, s in rows:
        line = "%-18s %8.2f %8.2f %8.2f %8.2f %5d" % (
            name, s["median"], s["p25"], s["p75"], s["min"], s["runs"])
        for ref in refs:
            line += " %9s" % ("%.2f" % (s["median"] / med[ref]) if ref in med else "-")
        print(line)


def ratio(a, b, section):
    if a in section and b in section:
        return section[a]["median"] / section[b]["median"]
    return None


targets = []


def target(text, value, limit, unit=""):
    if value is None:
        targets.append("%-44s %10s   (not measured)" % (text, "-"))
        return
    targets.append("%-44s %9.2f%s  %s" % (text, value, unit, verdict(value <= limit)))


with open(os.path.join(RAW, "machine.txt")) as f:
    machine = f.read()
print("== machine\n" + machine.rstrip())

# 1. start
start = {name: stats_ms(ts) for name, ts in load_rounds("start")}
OUT["start"] = start
table("1. start: run --rm /bin/true, end to end", list(start.items()), ["floor", "crun"])
target("ctrctl run <= 0.4 x crun run", ratio("ctrctl", "crun", start), 0.4, "x")
target("ctrctl run <= 1.5 x floor", ratio("ctrctl", "floor", start), 1.5, "x")

# 2. exec
exe = {name: stats_ms(ts) for name, ts in load_rounds("exec")}
OUT["exec"] = exe
table("2. exec /bin/true in a running container", list(exe.items()), ["nsenter", "crun"])
target("ctrctl exec <= 1.2 x nsenter", ratio("ctrctl", "nsenter", exe), 1.2, "x")

# 3. many
many = {}
for path in glob.glob(os.path.join(RAW, "many.*.json")):
    with open(path) as f:
        m = json.load(f)
    many.setdefault(m["count"], {})[m["runner"]] = m
OUT["many"] = many
if many:
    print("\n== 3. detached `sleep 1d` containers, started then removed by parallel clients (s)")
    print("%-8s %6s %10s %10s %14s" % ("runner", "count", "start", "remove", "start/crun"))
    for count in sorted(many):
        for runner in ("ctrd", "crun"):
            m = many[count].get(runner)
            if m is None:
                continue
            crun = many[count].get("crun")
            r = m["start_ns"] / crun["start_ns"] if crun else None
            print("%-8s %6d %10.2f %10.2f %14s" % (
                runner, count, m["start_ns"] / 1e9, m["remove_ns"] / 1e9,
                "%.2f" % r if r is not None else "-"))
    top = max(many)
    c = many[top]
    target("%d starts <= 0.4 x crun's time" % top,
           c["ctrd"]["start_ns"] / c["crun"]["start_ns"] if "crun" in c else None, 0.4, "x")

mem = {}
for path in glob.glob(os.path.join(RAW, "memory.ctrd.*.json")):
    count = int(path.rsplit(".", 2)[1])
    with open(path) as f:
        mem[count] = json.load(f)
OUT["memory"] = mem
if mem:
    print("\n== 3. memory with the containers running (KiB)")
    print("%6s %10s %10s %10s %9s %12s %12s %12s" % (
        "count", "ctrd RSS", "ctrd USS", "zygote USS", "monitors", "monitor USS",
        "monitor RSS", "monitor PSS"))
    for count in sorted(mem):
        m = mem[count]
        print("%6d %10d %10d %10d %9d %12.0f %12.0f %12.0f" % (
            count, m["ctrd_rss_kib"], m["ctrd_uss_kib"], m.get("zygote_uss_kib", 0),
            m["monitors"], m["monitor_uss_kib"], m["monitor_rss_kib"], m["monitor_pss_kib"]))
    top = mem[max(mem)]
    # The zygote is ctrd's too: what it adds is its unique memory (the rest is shared).
    target("ctrd RSS (+ zygote USS) with %d containers < 16 MiB" % max(mem),
           (top["ctrd_rss_kib"] + top.get("zygote_uss_kib", 0)) / 1024, 16, " MiB")
    target("unique memory per monitor < 512 KiB", top["monitor_uss_kib"], 512, " KiB")

# 4. ps
ps = {name: stats_ms(ts) for name, ts in load_rounds("ps")}
OUT["ps"] = ps
if ps:
    sizes = glob.glob(os.path.join(RAW, "ps-json-bytes.*"))
    count = int(sizes[0].rsplit(".", 1)[1]) if sizes else 0
    size = int(open(sizes[0]).read()) if sizes else 0
    OUT["ps_json_bytes"] = size
    table("4. ps with %d containers (ps --json: %d bytes, %.0f per container)" % (
        count, size, size / count if count else 0), list(ps.items()), [])
    target("ctrctl ps with %d containers < 10 ms" % count,
           ps.get("ctrctl ps", {}).get("median"), 10, " ms")

# 5. inside ctrd
text = open(os.path.join(RAW, "inspect.json")).read()
dec = json.JSONDecoder()
pos, timings = 0, []
while True:
    m = re.compile(r"\S").search(text, pos)
    if m is None:
        break
    obj, pos = dec.raw_decode(text, m.start())
    for c in obj if isinstance(obj, list) else [obj]:
        if c.get("start_timing_us"):
            timings.append(c["start_timing_us"])
if timings:
    steps = list(timings[0].keys())
    print("\n== 5. inside ctrd: request -> execve, %d starts (us; medians)" % len(timings))
    print("%-10s %10s %10s   %s" % ("step", "ends at", "takes", "what"))
    what = {
        "prepared": "daemon: state, /etc files, cgroups; up to the fork",
        "monitor": "the monitor process runs",
        "init": "the init runs in its new namespaces",
        "cgroup": "init joined its cgroups and cgroup namespace",
        "mounts": "root, /proc, /dev, /sys, masks, cgroupfs mounted",
        "pivot": "pivot_root, host name, loopback",
        "exec": "user, capabilities, seccomp: execve next",
        "running": "daemon saw the execve (sync socket EOF)",
    }
    prev = None
    OUT["inside"] = {}
    for s in steps:
        ends = [t[s] for t in timings if t.get(s) is not None]
        takes = [t[s] - (t[prev] if prev else 0) for t in timings
                 if t.get(s) is not None and (prev is None or t.get(prev) is not None)]
        e, d = statistics.median(ends), statistics.median(takes)
        OUT["inside"][s] = {"ends_at_us": e, "takes_us": d}
        print("%-10s %10.0f %10.0f   %s" % (s, e, d, what.get(s, "")))
        prev = s

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timeline  # noqa: E402 (next to this file)

traced = timeline.report(RAW)
if traced:
    OUT["traced"] = traced

print("\n== targets")
print("\n".join(targets))
OUT["targets"] = targets
with open(os.path.join(os.path.dirname(os.path.abspath(RAW)), "results.json"), "w") as f:
    json.dump(OUT, f, indent=1)
