#!/bin/bash
# SPDX-License-Identifier: MIT
# `make bench`: ctrd against crun, runc and the floor (tests/bench/floor.c),
# side by side in one run, on one root file system. See BENCHMARKS.md.
#
#   1. start:  ctrctl run --rm --rootfs R /bin/true | crun run | runc run | floor
#   2. exec:   ctrctl exec C /bin/true | crun exec | runc exec | nsenter -a -t PID
#   3. many:   BENCH_COUNTS detached `sleep` containers started by BENCH_PAR
#              parallel clients, then removed, ctrd against crun; the memory of
#              ctrd and its monitors with them running
#   4. ps:     ctrctl ps and ps --json with the most containers running
#   5. inside: ctrd's own account of a start (inspect's start_timing_us)
#   6. traced: a few starts and execs (and the floor) recorded with kernel
#              trace events; the critical path of one start and its page faults
#
# Environment: BENCH_N (runs per latency benchmark, default 100; a smoke run
# uses 10), BENCH_ROUNDS (the runs are split into rounds that interleave the
# runners, default 5), BENCH_WARMUP (warm-up runs per round, excluded, default
# 3), BENCH_COUNTS (default "100 1000"), BENCH_PAR (parallel clients, default
# 8), BENCH_OUT (results directory, default ./bench-results), BENCH_EVENTS (0:
# skip part 6).
#
# Everything runs in a private mount namespace on a private tmpfs (as /run
# is), with a ctrd of its own on temporary paths and cgroups of its own;
# nothing outside is changed, and everything is removed at the end or on
# failure. On a hybrid cgroup host the unified (v2) hierarchy is unmounted in
# that namespace only: crun refuses hybrid mode, and every runner then does
# the same cgroup (v1) work.
set -euo pipefail
[ -z "${BENCH_TRACE:-}" ] || set -x # BENCH_TRACE=1: trace this script

: "${CTRD:?run through make bench}" "${CTRCTL:?}" "${FLOOR:?}" "${MKROOTFS:?}" "${SRCDIR:?}"
BENCH_N=${BENCH_N:-100}
BENCH_ROUNDS=${BENCH_ROUNDS:-5}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_COUNTS=${BENCH_COUNTS:-"100 1000"}
BENCH_PAR=${BENCH_PAR:-8}
BENCH_OUT=${BENCH_OUT:-$PWD/bench-results}
export BENCH_N BENCH_ROUNDS BENCH_WARMUP BENCH_COUNTS BENCH_PAR BENCH_OUT

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# Every hierarchy's copy of the bench's cgroup tree, deepest first.
cgroup_tree() {
	local top
	for top in /sys/fs/cgroup /sys/fs/cgroup/*/; do
		[ -d "$top/$TAG" ] && find "$top/$TAG" -depth -type d
	done
	return 0
}

# ---------------------------------------------------------------- outside
if [ -z "${BENCH_INNER:-}" ]; then
	[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, mounts, cgroups)"
	have hyperfine || die "hyperfine not found (apt-get install -y hyperfine)"
	have unshare || die "unshare not found (util-linux)"
	have python3 || die "python3 not found"
	mkdir -p "$BENCH_OUT"
	BENCH_OUT=$(cd "$BENCH_OUT" && pwd)
	W=$(mktemp -d /tmp/ctrd-bench.XXXXXX)
	TAG=ctrd-bench.${W##*.}
	export W TAG BENCH_OUT
	outer_cleanup() {
		set +e
		trap '' PIPE # a reader that went away must not stop the cleanup
		local dir pid left=0
		# Whatever a killed inner run left in the bench's groups goes, then the groups.
		for dir in $(cgroup_tree); do
			for pid in $(cat "$dir/cgroup.procs" 2>/dev/null); do
				kill -KILL "$pid" 2>/dev/null && left=1
			done
		done
		for dir in $(cgroup_tree); do
			for _ in $(seq 50); do
				rmdir "$dir" 2>/dev/null && break
				[ -d "$dir" ] || break
				sleep 0.1
			done
			[ -d "$dir" ] && log "left behind: cgroup $dir" && left=1
		done
		rmdir "$W" 2>/dev/null || rm -rf "$W"
		[ $left -eq 0 ] || log "cleaned up processes or groups the run left behind"
	}
	trap outer_cleanup EXIT
	trap 'exit 130' INT TERM
	rc=0
	BENCH_INNER=1 unshare --mount --propagation private -- bash "$0" "$@" || rc=$?
	exit $rc
fi

# ---------------------------------------------------------------- inside
mount -t tmpfs -o mode=0711 ctrd-bench "$W"
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] &&
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	umount /sys/fs/cgroup/unified
	CGROUP_LAYOUT="hybrid host, v2 hidden in the bench's mount namespace: v1"
elif [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	CGROUP_LAYOUT=v2
else
	CGROUP_LAYOUT=v1
fi
export CGROUP_LAYOUT

R=$W/rootfs
B=$W/bundle
CTRD_PID=
CRUN_ROOT=$W/crun
RUNC_ROOT=$W/runc
export CTRD_SOCKET=$W/ctrd.sock
RES=$BENCH_OUT/raw
rm -rf "$RES"
mkdir -p "$RES"

HAVE_CRUN=0 HAVE_RUNC=0
have crun && HAVE_CRUN=1 || log "crun not found: its rows are skipped (apt-get install -y crun)"
have runc && HAVE_RUNC=1 || log "runc not found: its rows are skipped (apt-get install -y runc)"

inner_cleanup() {
	set +e
	trap '' PIPE
	local id
	if [ -n "$CTRD_PID" ] && kill -0 "$CTRD_PID" 2>/dev/null; then
		"$CTRCTL" ps -aq 2>/dev/null | xargs -r -P "$BENCH_PAR" -n 16 "$CTRCTL" rm -f >/dev/null 2>&1
		kill -TERM "$CTRD_PID"
		for _ in $(seq 100); do
			kill -0 "$CTRD_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$CTRD_PID" 2>/dev/null
	fi
	if [ $HAVE_CRUN -eq 1 ] && [ -d "$CRUN_ROOT" ]; then
		for id in $(crun --root "$CRUN_ROOT" list -q 2>/dev/null); do
			crun --root "$CRUN_ROOT" delete -f "$id" >/dev/null 2>&1
		done
	fi
	if [ $HAVE_RUNC -eq 1 ] && [ -d "$RUNC_ROOT" ]; then
		for id in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do
			runc --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1
		done
	fi
	[ -z "$TRACE_DIR" ] || rmdir "$TRACE_DIR" 2>/dev/null
	umount -l "$W" 2>/dev/null
}
TRACE_DIR=
trap inner_cleanup EXIT
trap 'exit 130' INT TERM

# The machine, for the record.
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "kernel: $(uname -r)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "cgroups: $CGROUP_LAYOUT"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "ctrd: $("$CTRD" --version 2>/dev/null | head -1)"
	[ $HAVE_CRUN -eq 0 ] || echo "crun: $(crun --version | head -1)"
	[ $HAVE_RUNC -eq 0 ] || echo "runc: $(runc --version | head -1)"
	echo "hyperfine: $(hyperfine --version)"
	echo "settings: BENCH_N=$BENCH_N BENCH_ROUNDS=$BENCH_ROUNDS BENCH_WARMUP=$BENCH_WARMUP BENCH_COUNTS='$BENCH_COUNTS' BENCH_PAR=$BENCH_PAR"
	# What a start is made of costs this much here (tests/bench/costs.c).
	[ -z "${COSTS:-}" ] || "$COSTS" || die "tests/bench/costs failed"
} >"$RES/machine.txt"

# One root file system for everyone; the bundle points at it by absolute path.
"$MKROOTFS" "$R" >/dev/null
mkbundle() { python3 "$SRCDIR/tests/bench/mkbundle.py" "$SRCDIR" "$R" "$@"; }
mkbundle "$B/true" "/$TAG/crun/start" /bin/true
mkbundle "$B/true-runc" "/$TAG/runc/start" /bin/true
mkbundle "$B/sleep" "/$TAG/crun/exec" sleep 1d
mkbundle "$B/sleep-runc" "/$TAG/runc/exec" sleep 1d

"$CTRD" --socket "$CTRD_SOCKET" --state-dir "$W/state" --root "$W/root" \
	--cgroup-parent "$TAG/ctrd" --log-level info 2>"$W/ctrd.log" &
CTRD_PID=$!
for _ in $(seq 200); do
	"$CTRCTL" version >/dev/null 2>&1 && break
	kill -0 "$CTRD_PID" 2>/dev/null || {
		cat "$W/ctrd.log" >&2
		die "ctrd did not start"
	}
	sleep 0.05
done
"$CTRCTL" version >/dev/null || die "ctrd does not answer"
# Every runner must actually work before anything is timed.
"$CTRCTL" run --rm --rootfs "$R" /bin/true || die "ctrctl run does not work"
"$FLOOR" "$R" /bin/true || die "the floor does not work"
[ $HAVE_CRUN -eq 0 ] || crun --root "$CRUN_ROOT" run -b "$B/true" bench-start ||
	die "crun run does not work"
[ $HAVE_RUNC -eq 0 ] || runc --root "$RUNC_ROOT" run -b "$B/true-runc" bench-start ||
	die "runc run does not work"

# hyperfine in rounds: each round runs every command, so slow drift of a
# busy machine's load spreads over all runners alike instead of biasing one.
bench_rounds() {
	local name=$1
	shift
	local per=$(((BENCH_N + BENCH_ROUNDS - 1) / BENCH_ROUNDS)) round
	[ $per -ge 2 ] || per=2
	for round in $(seq "$BENCH_ROUNDS"); do
		hyperfine -N --style basic --warmup "$BENCH_WARMUP" --runs "$per" \
			--export-json "$RES/$name.$round.json" "$@" >>"$RES/hyperfine.log" 2>&1 ||
			die "hyperfine failed (see $RES/hyperfine.log)"
	done
}

# ---------------------------------------------------------------- 1. start
log "1. start latency ($BENCH_N runs each)"
args=(-n floor "$FLOOR $R /bin/true"
	-n ctrctl "$CTRCTL run --rm --rootfs $R /bin/true")
[ $HAVE_CRUN -eq 0 ] || args+=(-n crun "crun --root $CRUN_ROOT run -b $B/true bench-start")
[ $HAVE_RUNC -eq 0 ] || args+=(-n runc "runc --root $RUNC_ROOT run -b $B/true-runc bench-start")
bench_rounds start "${args[@]}"

# ---------------------------------------------------------------- 2. exec
log "2. exec latency ($BENCH_N runs each)"
"$CTRCTL" run -d --name bench-exec --rootfs "$R" sleep 1d >/dev/null
pid=$("$CTRCTL" inspect -f pid bench-exec)
args=(-n ctrctl "$CTRCTL exec bench-exec /bin/true" -n nsenter "nsenter -a -t $pid /bin/true")
if [ $HAVE_CRUN -eq 1 ]; then
	crun --root "$CRUN_ROOT" run -d -b "$B/sleep" bench-exec </dev/null >/dev/null 2>&1
	args+=(-n crun "crun --root $CRUN_ROOT exec bench-exec /bin/true")
fi
if [ $HAVE_RUNC -eq 1 ]; then
	runc --root "$RUNC_ROOT" run -d -b "$B/sleep-runc" bench-exec </dev/null >/dev/null 2>&1
	args+=(-n runc "runc --root $RUNC_ROOT exec bench-exec /bin/true")
fi
bench_rounds exec "${args[@]}"
"$CTRCTL" rm -f bench-exec >/dev/null
[ $HAVE_CRUN -eq 0 ] || crun --root "$CRUN_ROOT" delete -f bench-exec
[ $HAVE_RUNC -eq 0 ] || runc --root "$RUNC_ROOT" delete -f bench-exec

# ---------------------------------------------------------------- 3 and 4. many
now_ns() { date +%s%N; }
# RSS, and unique (private) memory of each monitor, in KiB, from smaps_rollup.
memory_json() {
	python3 - "$CTRD_PID" <<'EOF'
import json, os, sys
daemon = int(sys.argv[1])
def rollup(pid):
    out = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1])
    return out
def uss(r):
    return r.get("Private_Clean", 0) + r.get("Private_Dirty", 0)
d = rollup(daemon)
procs = []
for name in os.listdir("/proc"):
    if not name.isdigit():
        continue
    try:
        with open("/proc/%s/stat" % name) as f:
            stat = f.read()
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        procs.append((int(name), comm, int(stat[stat.rindex(")") + 2:].split()[1])))
    except (OSError, ValueError):
        pass
# The zygote (a child of the daemon) forks the monitors; without one, the daemon does.
zygotes = [pid for pid, comm, ppid in procs if ppid == daemon and comm == "ctrd-zygote"]
z = rollup(zygotes[0]) if zygotes else {}
monitors = [rollup(pid) for pid, comm, ppid in procs
            if ppid in [daemon] + zygotes and comm == "ctrd-monitor"]
n = len(monitors) or 1
print(json.dumps({
    "ctrd_rss_kib": d.get("Rss", 0), "ctrd_uss_kib": uss(d),
    "zygote_rss_kib": z.get("Rss", 0), "zygote_uss_kib": uss(z),
    "monitors": len(monitors),
    "monitor_uss_kib": sum(uss(m) for m in monitors) / n,
    "monitor_rss_kib": sum(m.get("Rss", 0) for m in monitors) / n,
    "monitor_pss_kib": sum(m.get("Pss", 0) for m in monitors) / n,
}))
EOF
}

running() { "$CTRCTL" ps -q | wc -l; }
max_count=0
for count in $BENCH_COUNTS; do
	log "3. $count detached containers, $BENCH_PAR clients at a time"
	[ "$count" -gt $max_count ] && max_count=$count
	t0=$(now_ns)
	seq "$count" | xargs -P "$BENCH_PAR" -I{} "$CTRCTL" run -d --name tp{} --rootfs "$R" \
		sleep 1d >/dev/null
	t1=$(now_ns)
	[ "$(running)" -eq "$count" ] || die "ctrd: $(running) of $count containers running"
	memory_json >"$RES/memory.ctrd.$count.json"
	if [ "$count" -eq "$(echo $BENCH_COUNTS | tr ' ' '\n' | sort -n | tail -1)" ]; then
		log "4. ps with $count containers"
		"$CTRCTL" ps --json | wc -c >"$RES/ps-json-bytes.$count"
		bench_rounds ps -n "ctrctl ps" "$CTRCTL ps" -n "ctrctl ps --json" "$CTRCTL ps --json"
	fi
	t2=$(now_ns)
	seq "$count" | sed 's/^/tp/' | xargs -P "$BENCH_PAR" -n 1 "$CTRCTL" rm -f >/dev/null
	t3=$(now_ns)
	[ "$("$CTRCTL" ps -aq | wc -l)" -eq 0 ] || die "ctrd: containers left after rm"
	echo "{\"runner\":\"ctrd\",\"count\":$count,\"start_ns\":$((t1 - t0)),\"remove_ns\":$((t3 - t2))}" \
		>"$RES/many.ctrd.$count.json"

	[ $HAVE_CRUN -eq 1 ] || continue
	# One bundle per container, each with a group of its own, made before the clock starts.
	mkbundle "$W/many/template" "/$TAG/crun/TEMPLATE" sleep 1d
	python3 -c '
import os, sys
top, n = sys.argv[1], int(sys.argv[2])
text = open(os.path.join(top, "template", "config.json")).read()
for i in range(1, n + 1):
    os.makedirs(os.path.join(top, "tp%d" % i))
    with open(os.path.join(top, "tp%d" % i, "config.json"), "w") as f:
        f.write(text.replace("/crun/TEMPLATE", "/crun/tp%d" % i))
' "$W/many" "$count"
	t0=$(now_ns)
	seq "$count" | xargs -P "$BENCH_PAR" -I{} crun --root "$CRUN_ROOT" run -d -b "$W/many/tp{}" \
		tp{} >/dev/null
	t1=$(now_ns)
	n=$(crun --root "$CRUN_ROOT" list -q | wc -l)
	[ "$n" -eq "$count" ] || die "crun: $n of $count containers running"
	t2=$(now_ns)
	seq "$count" | sed 's/^/tp/' | xargs -P "$BENCH_PAR" -n 1 crun --root "$CRUN_ROOT" delete -f \
		>/dev/null
	t3=$(now_ns)
	echo "{\"runner\":\"crun\",\"count\":$count,\"start_ns\":$((t1 - t0)),\"remove_ns\":$((t3 - t2))}" \
		>"$RES/many.crun.$count.json"
	rm -rf "$W/many"
done

# ---------------------------------------------------------------- 5. inside ctrd
log "5. ctrd's own account of $BENCH_N starts"
for i in $(seq "$BENCH_N"); do
	"$CTRCTL" run --name st$i --rootfs "$R" /bin/true
done
for i in $(seq "$BENCH_N"); do
	"$CTRCTL" inspect st$i
done >"$RES/inspect.json"
seq "$BENCH_N" | sed 's/^/st/' | xargs -n 64 "$CTRCTL" rm >/dev/null

# ---------------------------------------------------------------- 6. traced
# A few starts and execs recorded with the kernel's trace events, in a
# tracing instance of our own (the global trace buffer is not touched):
# tests/bench/timeline.py turns them into the critical path of one start.
TRACEFS=/sys/kernel/tracing
if [ "${BENCH_EVENTS:-1}" != 0 ] && [ -d "$TRACEFS/instances" ] &&
	mkdir "$TRACEFS/instances/$TAG" 2>/dev/null; then
	TRACE_DIR=$TRACEFS/instances/$TAG
	log "6. traced starts and execs"
	echo 8192 >"$TRACE_DIR/buffer_size_kb"
	for e in sched/sched_process_fork sched/sched_process_exec sched/sched_process_exit \
		exceptions/page_fault_user syscalls/sys_enter_sendmsg syscalls/sys_enter_pivot_root \
		syscalls/sys_enter_execve syscalls/sys_enter_exit_group; do
		[ ! -e "$TRACE_DIR/events/$e/enable" ] || echo 1 >"$TRACE_DIR/events/$e/enable"
	done
	"$CTRCTL" run -d --name bench-trace --rootfs "$R" sleep 1d >/dev/null
	traced() {
		local name=$1 i
		shift
		for i in 1 2 3 4 5 6 7 8; do
			"$@" || die "$* failed"
			[ $i -gt 3 ] || continue # warm-up
			echo 0 >"$TRACE_DIR/tracing_on"
			echo >"$TRACE_DIR/trace"
			echo 1 >"$TRACE_DIR/tracing_on"
			"$@"
			echo 0 >"$TRACE_DIR/tracing_on"
			cat "$TRACE_DIR/trace" >"$RES/trace.$name.$i.txt"
		done
	}
	traced floor "$FLOOR" "$R" /bin/true
	traced run "$CTRCTL" run --rm --rootfs "$R" /bin/true
	[ $HAVE_CRUN -eq 0 ] || traced crun crun --root "$CRUN_ROOT" run -b "$B/true" bench-start
	traced exec "$CTRCTL" exec bench-trace /bin/true
	"$CTRCTL" rm -f bench-trace >/dev/null
	rmdir "$TRACE_DIR" && TRACE_DIR=
fi

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RES/machine.txt"
python3 "$SRCDIR/tests/bench/report.py" "$RES" | tee "$BENCH_OUT/report.txt"
