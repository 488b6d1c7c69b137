#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Where one start (or exec) spends its time, from kernel trace events.

bench.sh records, in a tracing instance of its own, the scheduler's process
events, a few system calls and every user page fault while one command runs
(`floor R /bin/true`, `ctrctl run --rm ...`, `ctrctl exec ...`), several
times each. This reads those traces (RES/trace.NAME.N.txt) and prints, for
each command, when each milestone of its critical path was reached (medians
over the traces, in ms from the client's execve) and how many page faults
each process took: the two costs that dominate a start on a machine that
charges tens of microseconds for a fault (BENCHMARKS.md).

Usage: timeline.py RAW_RESULTS_DIR (report.py prints it too)
"""

import glob
import os
import re
import statistics
import sys

LINE = re.compile(r"^\s*(?P<comm>.+?)-(?P<pid>\d+)\s+\[\d+\]\s+\S+\s+(?P<ts>\d+\.\d+):\s+"
                  r"(?P<event>\w+):?\s*(?P<rest>.*)$")

ORDER = ["floor", "run", "crun", "exec"]
MILESTONES = [
    ("client", "the client runs (its execve returned)"),
    ("request", "request sent to ctrd"),
    ("fork", "ctrd forks the monitor (run) or the helper (exec)"),
    ("helper", "that process first runs"),
    ("clone", "the container's process is cloned"),
    ("pivot", "pivot_root"),
    ("execve", "execve of the command"),
    ("running", "the command runs (execve returned)"),
    ("exit", "the command calls exit"),
    ("done", "the client exits"),
]


def parse(path):
    events = []
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = LINE.match(line)
            if m:
                events.append((float(m["ts"]), m["comm"], int(m["pid"]), m["event"], m["rest"]))
    return events


def field(rest, name):
    m = re.search(r"\b" + name + r"=(\S+)", rest)
    return m.group(1) if m else None


def timeline(events, client_name):
    """Milestone times (s) and fault counts per role for one trace, or None."""
    t = {}
    roles = {}
    client = daemon = helper = proc = None
    for ts, comm, pid, ev, rest in events:
        if ev == "sched_process_exec" and client is None and \
                os.path.basename(field(rest, "filename") or "") == client_name:
            client = pid
            t["client"] = ts
            roles[pid] = "client"
            continue
        if client is None:
            continue
        if ev == "sys_sendmsg" and pid == client and "request" not in t:
            t["request"] = ts
        elif ev == "sched_process_fork":
            parent, child = int(field(rest, "pid")), int(field(rest, "child_pid"))
            if comm.startswith("ctrd") and helper is None and parent != client and \
                    roles.get(parent) is None:
                daemon, helper = parent, child
                roles[daemon], roles[helper] = "ctrd", "monitor/helper"
                t["fork"] = ts
            elif proc is None and parent in (helper, client):
                proc = child
                roles[proc] = "container process"
                t["clone"] = ts
        elif pid == helper and "helper" not in t and "fork" in t:
            t["helper"] = ts
        elif ev == "sys_pivot_root" and pid == proc and "pivot" not in t:
            t["pivot"] = ts
        elif ev == "sys_execve" and pid == proc and "execve" not in t:
            t["execve"] = ts
        elif ev == "sched_process_exec" and pid == proc and "running" not in t:
            t["running"] = ts
            roles[proc] = "the command"
        elif ev == "sys_exit_group" and pid == proc and "exit" not in t:
            t["exit"] = ts
        elif ev == "sched_process_exit" and pid == client:
            t["done"] = ts
            break
    if "client" not in t or "done" not in t:
        return None
    faults = {}
    for ts, comm, pid, ev, rest in events:
        if ev == "page_fault_user" and pid in roles and t["client"] <= ts <= t["done"]:
            role = roles[pid]
            if pid == proc and "running" in t and ts < t["running"]:
                role = "container process"
            faults[role] = faults.get(role, 0) + 1
    return {k: v - t["client"] for k, v in t.items()}, faults


def report(res):
    """Prints part 6 from the traces in res; returns its figures (None if there are none)."""
    names = sorted({os.path.basename(p).split(".")[1] for p in glob.glob(res + "/trace.*.txt")},
                   key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER))
    if not names:
        return None
    print("\n== 6. one start, traced: when each step ended (ms from the client's execve; "
          "medians of %d traces)" % len(glob.glob(res + "/trace.%s.*.txt" % names[0])))
    results = {}
    for name in names:
        client = name if name in ("floor", "crun") else "ctrctl"
        runs = [r for r in (timeline(parse(p), client)
                            for p in sorted(glob.glob(res + "/trace.%s.*.txt" % name))) if r]
        results[name] = runs
    print("%-8s" % "step" + "".join("%10s" % n for n in names) + "   what")
    for key, what in MILESTONES:
        row = []
        for name in names:
            vals = [r[0][key] for r in results[name] if key in r[0]]
            row.append("%10.2f" % (statistics.median(vals) * 1e3) if vals else "%10s" % "-")
        if any(c.strip() != "-" for c in row):
            print("%-8s" % key + "".join(row) + "   " + what)
    print("page faults (medians):")
    out = {}
    for name in names:
        roles = sorted({k for r in results[name] for k in r[1]})
        faults = {role: statistics.median([r[1].get(role, 0) for r in results[name]])
                  for role in roles}
        print("  %-6s %s" % (name, ", ".join("%s %d" % kv for kv in faults.items())))
        steps = {key: statistics.median([r[0][key] for r in results[name] if key in r[0]]) * 1e3
                 for key, _ in MILESTONES if any(key in r[0] for r in results[name])}
        out[name] = {"traces": len(results[name]), "steps_ms": steps, "page_faults": faults}
    return out


if __name__ == "__main__":
    report(sys.argv[1])
