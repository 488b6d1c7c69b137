#!/usr/bin/env bats
# Faults and stress: a full state directory and a full log file system,
# running out of file descriptors, racing names, many runs and execs, and
# clients that never read. The tests that need their own paths or limits
# start a second daemon of their own ("aux", below) and tear it down in
# teardown, mounts included, whatever happened.
#
# CTRD_STRESS_N sets how many runs and execs the stress test does: by default
# 1000, or 100 with a daemon built with AddressSanitizer, whose quarantine
# of freed memory also makes its RSS meaningless (those bounds are skipped).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	require_root
	ctrd_start
	PAGE=$(getconf PAGESIZE)
	export PAGE
}

teardown_file() {
	ctrd_stop
}

teardown() {
	local bad=0 pid name
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ]; then
		dump_log
		for name in "$T"/aux-*/ctrd.log; do
			[ -f "$name" ] || continue
			echo "--- $name (last 40 lines) ---"
			tail -n 40 "$name"
		done
	fi
	# Helper processes a test started (clients that hold connections).
	if [ -f "$T/bg.pids" ]; then
		for pid in $(cat "$T/bg.pids"); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		rm -f "$T/bg.pids"
	fi
	for name in "$T"/aux-*/; do
		[ -d "$name" ] || continue
		name=${name%/}
		aux_stop "${name##*/aux-}" || bad=1
	done
	# What a test left in the file's daemon is removed through it.
	for pid in $("$CTRCTL" ps -aq 2>/dev/null); do
		"$CTRCTL" rm -f "$pid" >/dev/null 2>&1 || true
	done
	return $bad
}

bg_pid() {
	echo "$1" >>"$T/bg.pids"
}

aux_cgroup_parent() {
	echo "$(cgroup_parent)-$1"
}

# A second daemon, NAME: socket $T/aux-NAME.sock, state $T/aux-NAME/state,
# root $T/aux-NAME/root with the busybox image, a cgroup parent of its own.
# Whatever is already mounted there (a small tmpfs) is used as it is.
# NOFILE=N gives it that RLIMIT_NOFILE, soft and hard.
aux_start() {
	local name=$1 dir="$T/aux-$1"
	mkdir -p "$dir/state" "$dir/root/images"
	[ -d "$dir/root/images/busybox" ] || cp -a "$T/root/images/busybox" "$dir/root/images/"
	(
		if [ -n "${NOFILE:-}" ]; then ulimit -n "$NOFILE" || exit 1; fi
		exec "$CTRD" --socket "$T/aux-$name.sock" --state-dir "$dir/state" \
			--root "$dir/root" --cgroup-parent "$(aux_cgroup_parent "$name")" \
			--log-level debug
	) 2>>"$dir/ctrd.log" 3>&- &
	echo $! >"$dir/ctrd.pid"
	wait_until 10 eval 'CTRD_SOCKET=$T/aux-$name.sock "$CTRCTL" version >/dev/null 2>&1' || {
		cat "$dir/ctrd.log" >&2
		return 1
	}
}

# Stops the daemon NAME (SIGTERM, as systemd would); its containers keep running.
aux_kill() {
	local pid
	pid=$(cat "$T/aux-$1/ctrd.pid")
	kill -TERM "$pid" 2>/dev/null || return 0
	wait_until 10 eval "! kill -0 $pid 2>/dev/null"
}

# Removes everything of the daemon NAME: containers, the daemon, leftover
# monitors (their inits die with them), cgroups, mounts, files. Fails if a
# container's cgroup had to be cleaned up here.
aux_stop() {
	local name=$1 dir="$T/aux-$1" sock="$T/aux-$1.sock" bad=0 id pid top group m
	if [ -f "$dir/ctrd.pid" ] && kill -0 "$(cat "$dir/ctrd.pid")" 2>/dev/null; then
		for id in $(CTRD_SOCKET=$sock timeout 10 "$CTRCTL" ps -aq 2>/dev/null); do
			CTRD_SOCKET=$sock timeout 20 "$CTRCTL" rm -f "$id" >/dev/null 2>&1 || true
		done
		aux_kill "$name"
		kill -KILL "$(cat "$dir/ctrd.pid")" 2>/dev/null || true
	fi
	for pid in $(pgrep -f "^ctrd-monitor [0-9a-f]{64} [0-9]+ $dir/"); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	for top in /sys/fs/cgroup /sys/fs/cgroup/*/; do
		group="${top%/}/$(aux_cgroup_parent "$name")"
		[ -d "$group" ] || continue
		for m in "$group"/*/; do
			[ -d "$m" ] || continue
			echo "left behind: cgroup $m" >&2
			bad=1
			for pid in $(cat "$m/cgroup.procs" 2>/dev/null); do
				kill -KILL "$pid" 2>/dev/null || true
			done
			wait_until 10 rmdir "$m" 2>/dev/null || true
		done
		rmdir "$group" 2>/dev/null || true
	done
	# Deepest first: a tmpfs of a test, and anything a bug left on the host.
	for m in $(awk '{print $5}' /proc/self/mountinfo | grep "^$dir/" | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" || bad=1
	done
	rm -rf "$dir" "$sock"
	return $bad
}

# Exactly n containers' worth of state, for the daemon with state dir $2,
# container data dir $3 and cgroup parent $4, all of them running: state
# and data directories, monitors, a group in every hierarchy, and none of
# their mounts visible on the host. Given a moment: a client may hear that
# its run failed a little before the daemon has removed what it made.
expect_containers() {
	wait_until 10 containers_are "$@" >/dev/null 2>&1 || containers_are "$@"
}

# The same, at once, saying what differs. (Few forks: the machine may be busy.)
containers_are() {
	local n=$1 state=$2 data=$3 cgp=$4 got top mp
	count_dirs "$state/containers"
	[ "$NDIRS" -eq "$n" ] || {
		echo "$NDIRS state dirs, expected $n:" "$state"/containers/*
		return 1
	}
	count_dirs "$data"
	[ "$NDIRS" -eq "$n" ] || {
		echo "$NDIRS data dirs, expected $n:" "$data"/*
		return 1
	}
	got=$(pgrep -cf "^ctrd-monitor [0-9a-f]{64} [0-9]+ $state/containers/") || true
	[ "$got" -eq "$n" ] || {
		echo "$got monitors, expected $n"
		return 1
	}
	for top in /sys/fs/cgroup /sys/fs/cgroup/*/; do
		[ -d "${top%/}/$cgp" ] || continue
		count_dirs "${top%/}/$cgp"
		[ "$NDIRS" -eq "$n" ] || {
			echo "$NDIRS cgroups in ${top%/}/$cgp, expected $n"
			return 1
		}
	done
	while read -r _ _ _ _ mp _; do
		[[ "$mp" != "$data"/* ]] || {
			echo "still mounted: $mp"
			return 1
		}
	done </proc/self/mountinfo
}

# The number of directories in $1, in NDIRS.
count_dirs() {
	local d=("$1"/*/)
	[ -d "${d[0]}" ] || d=()
	NDIRS=${#d[@]}
}

# Shrinks or grows the file $1 so exactly $2 pages stay free on its tmpfs.
leave_free() {
	local file=$1 pages=$2 avail bsize size
	read -r avail bsize < <(stat -f -c '%a %S' "${file%/*}")
	size=$(stat -c %s "$file")
	truncate -s "$((size + avail * bsize - pages * PAGE))" "$file"
	read -r avail bsize < <(stat -f -c '%a %S' "${file%/*}")
	[ "$((avail * bsize))" -eq "$((pages * PAGE))" ]
}

# "NAME STATE" of every container, one a line, sorted.
names_and_states() {
	"$CTRCTL" ps -a --json | python3 -c 'import json, sys
for c in json.load(sys.stdin):
    print(c["name"], c["state"])' | LC_ALL=C sort
}

# The daemon is built with AddressSanitizer (--enable-asan).
asan() {
	grep -q __asan_init "$CTRD"
}

cpu_ticks() {
	# utime + stime: fields 14 and 15, counted after the ") " that ends comm.
	local stat
	stat=$(cat "/proc/$1/stat")
	stat=${stat##*) }
	set -- $stat
	echo $((${12} + ${13}))
}

fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}

status_kb() {
	awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"
}

@test "a full state directory: run fails cleanly, leaves nothing, and works again once there is room" {
	local dir=$T/aux-full k ok=()
	mkdir -p "$dir/state"
	mount -t tmpfs -o size=1m,mode=0711 ctrd-test "$dir/state"
	aux_start full
	export CTRD_SOCKET=$T/aux-full.sock
	local cgp
	cgp=$(aux_cgroup_parent full)
	# Every page taken: dd stops at ENOSPC.
	run dd if=/dev/zero of="$dir/state/fill" bs=64k
	[ "$(stat -f -c %a "$dir/state")" -eq 0 ]

	run "$CTRCTL" run -d --name c1 busybox sleep 1000
	[ "$status" -eq 125 ]
	[[ "$output" == "ctrctl: start "*": No space left on device" ]]
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"No space left on device" ]]
	run rpc '{"jsonrpc":"2.0","id":7,"method":"run","params":{"image":"busybox","command":["sleep","1000"],"detach":true,"name":"c2"}}'
	[[ "$output" == '{"jsonrpc":"2.0","id":7,"error":{"code":-32005,'* ]]
	[[ "$output" == *'"data":{"reason":"system_error","errno":28,"errno_name":"ENOSPC"}}}' ]]
	expect_containers 0 "$dir/state" "$dir/root/containers" "$cgp"
	run "$CTRCTL" ps -aq
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	"$CTRCTL" version >/dev/null

	# Each amount of room a start can run out of, page by page: a run either
	# fails with ENOSPC and leaves nothing, or runs with its state on disk.
	# A long variable makes state.json (3 pages) the one write that cannot
	# fit while the smaller ones (hostname, hosts, the monitor's init) can.
	local pad
	pad=$(printf '%010000d' 0)
	for k in 0 1 2 3 4 5 6 7 8; do
		leave_free "$dir/state/fill" "$k"
		run "$CTRCTL" run -d --name "k$k" -e "PAD=$pad" busybox sleep 1000
		if [ "$status" -eq 0 ]; then
			[ -f "$dir/state/containers/$output/state.json" ] || {
				echo "k$k runs without its state.json"
				return 1
			}
			ok+=("k$k")
		else
			[ "$status" -eq 125 ]
			[[ "$output" == *"No space left on device" ]]
		fi
		expect_containers "${#ok[@]}" "$dir/state" "$dir/root/containers" "$cgp"
	done
	# Both outcomes were seen.
	[ "${#ok[@]}" -ge 1 ] && [ "${#ok[@]}" -lt 9 ]
	[ "$(names_and_states)" = "$(printf '%s running\n' "${ok[@]}" | LC_ALL=C sort)" ]

	# A restarted daemon, still on the full disk, finds every container it said runs.
	aux_kill full
	aux_start full
	for k in "${ok[@]}"; do
		[ "$(inspect_field "$k" state)" = running ]
	done
	"$CTRCTL" rm -f "${ok[@]}" >/dev/null
	expect_containers 0 "$dir/state" "$dir/root/containers" "$cgp"

	rm "$dir/state/fill"
	"$CTRCTL" run -d --name after busybox sleep 1000 >/dev/null
	[ "$(inspect_field after state)" = running ]
	run "$CTRCTL" exec after echo fine
	[ "$output" = fine ]
	expect_containers 1 "$dir/state" "$dir/root/containers" "$cgp"
	"$CTRCTL" rm -f after >/dev/null
	expect_containers 0 "$dir/state" "$dir/root/containers" "$cgp"
}

@test "a full log file system blocks and breaks nothing" {
	local dir=$T/aux-logfull
	mkdir -p "$dir/root/containers"
	mount -t tmpfs -o size=512k,mode=0711 ctrd-test "$dir/root/containers"
	aux_start logfull
	export CTRD_SOCKET=$T/aux-logfull.sock
	"$CTRCTL" run -d --name quiet busybox sleep 1000 >/dev/null
	# Some 2 MB of log for 512 KiB: once it is full the container must not wait.
	"$CTRCTL" run -d --name chatty busybox sh -c \
		'i=0; while [ $i -lt 30000 ]; do echo "line $i of chatty output"; i=$((i+1)); done; exit 7' >/dev/null
	run timeout 120 "$CTRCTL" wait chatty
	[ "$status" -eq 0 ]
	[ "$output" = 7 ]
	[ "$(stat -f -c %a "$dir/root/containers")" -eq 0 ]
	run timeout 30 "$CTRCTL" logs chatty
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "line 0 of chatty output" ]
	[ "${#lines[@]}" -lt 30000 ]

	# The rest goes on as usual.
	run "$CTRCTL" exec quiet echo still here
	[ "$output" = "still here" ]
	run "$CTRCTL" run --rm busybox echo attached
	[ "$output" = attached ]
	"$CTRCTL" run -d --name late busybox sh -c 'echo lost; exit 3' >/dev/null
	run timeout 60 "$CTRCTL" wait late
	[ "$output" = 3 ]
	"$CTRCTL" version >/dev/null
	"$CTRCTL" rm -f quiet chatty late >/dev/null
	expect_containers 0 "$dir/state" "$dir/root/containers" "$(aux_cgroup_parent logfull)"
	# Its layers and logs are gone with it: the space is back.
	[ "$(stat -f -c %a "$dir/root/containers")" -gt 0 ]
}

@test "out of file descriptors: ctrd does not spin, refuses with a limit error, logs it once, recovers" {
	local dir=$T/aux-nofd pid hz t0 t1 holder i n
	NOFILE=64 aux_start nofd
	export CTRD_SOCKET=$T/aux-nofd.sock
	pid=$(cat "$dir/ctrd.pid")
	[ "$(awk '/^Max open files/ {print $4}' "/proc/$pid/limits")" = 64 ]
	# 100 clients that connect and stay: more than the daemon has fds for.
	cat >"$dir/hold.py" <<-'EOF'
		import os, socket, sys, time
		path, n, ready, release = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
		held = []
		for _ in range(n):
		    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		    s.connect(path)
		    held.append(s)
		open(ready, "w").close()
		deadline = time.monotonic() + 120
		while not os.path.exists(release) and time.monotonic() < deadline:
		    time.sleep(0.02)
	EOF
	python3 "$dir/hold.py" "$CTRD_SOCKET" 100 "$dir/held" "$dir/release" 3>&- &
	holder=$!
	bg_pid "$holder"
	wait_until 30 test -e "$dir/held"
	# Every one of its 64 fds in use (it may have inherited some above them).
	wait_until 10 eval '[ "$(ls "/proc/$pid/fd" | awk "\$1 < 64" | wc -l)" -eq 64 ]' || {
		echo "$(fd_count "$pid") fds open"
		ls -l "/proc/$pid/fd"
		return 1
	}

	# Two seconds at the limit with the clients it cannot take: little CPU.
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$pid")
	local start=$(date +%s%N)
	# The measuring window, not a synchronisation.
	while [ $(($(date +%s%N) - start)) -lt 2000000000 ]; do sleep 0.1; done
	t1=$(cpu_ticks "$pid")
	echo "# CPU at the fd limit: $(((t1 - t0) * 1000 / hz)) ms in $((($(date +%s%N) - start) / 1000000)) ms" >&3
	[ $(((t1 - t0) * 1000 / hz)) -lt 300 ]

	# Those clients, and new ones, are told why and closed.
	wait_until 10 grep -q "refusing new clients" "$dir/ctrd.log"
	for i in $(seq 10); do
		run timeout 10 "$CTRCTL" version
		[ "$status" -eq 1 ]
		[[ "$output" == *"ctrctl: too many open files in ctrd"* ]]
	done
	# A raw client reads the reason (the daemon closes without reading requests).
	run python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
print(s.makefile().readline(), end="")' "$CTRD_SOCKET"
	[ "$output" = '{"jsonrpc":"2.0","id":null,"error":{"code":-32004,"message":"too many open files in ctrd","data":{"reason":"limit"}}}' ]
	# Logged once, not per client or per retry.
	[ "$(grep -c "Too many open files" "$dir/ctrd.log")" -eq 1 ]

	touch "$dir/release"
	wait "$holder"
	wait_until 10 eval '"$CTRCTL" version >/dev/null 2>&1'
	n=$(grep -o "accepting clients again ([0-9]* refused meanwhile)" "$dir/ctrd.log" | grep -o "[0-9][0-9]*")
	[ "$n" -ge 11 ]
	run "$CTRCTL" run --rm busybox echo served
	[ "$output" = served ]
	[ "$(grep -c "Too many open files" "$dir/ctrd.log")" -eq 1 ]
}

@test "200 concurrent runs of 20 names: exactly one winner per name, nothing extra left" {
	local dir=$T/race n c i reqs=() clients
	mkdir -p "$dir"
	# All 200 clients wait on a lock and start at once when it is released.
	exec 8>"$dir/lock"
	flock -x 8
	for n in $(seq 20); do
		for c in $(seq 10); do
			echo "$n $c"
		done
	done | D=$dir xargs -P 200 -n 2 sh -c '
		: >"$D/$1.$2.ready"
		flock -s "$D/lock" "$CTRCTL" run -d --name "race$1" --rootfs "$ROOTFS" sleep 1000 >"$D/$1.$2.out" 2>&1
		echo $? >"$D/$1.$2.rc"' sh 8>&- &
	clients=$!
	count_ready() { local r=("$dir"/*.ready); [ "${#r[@]}" -eq 200 ]; }
	wait_until 60 count_ready
	flock -u 8
	exec 8>&-
	wait "$clients"
	# Per name: one run succeeded, nine failed (exit 125) with the conflict message.
	python3 - "$dir" <<-'EOF'
		import re, sys
		d, bad = sys.argv[1], []
		for n in range(1, 21):
		    wins = 0
		    for c in range(1, 11):
		        rc, out = int(open(f"{d}/{n}.{c}.rc").read()), open(f"{d}/{n}.{c}.out").read()
		        want = f'ctrctl: the name "race{n}" is already in use by container [0-9a-f]{{12}}\n'
		        if rc == 0:
		            wins += 1
		        elif rc != 125 or not re.fullmatch(want, out):
		            bad.append(f"race{n} client {c}: exit {rc}: {out!r}")
		    if wins != 1:
		        bad.append(f"race{n}: {wins} winners")
		sys.exit("\n".join(bad) or None)
	EOF

	# The same through raw JSON: ten runs of one name pipelined on one connection.
	for i in $(seq 10); do
		reqs+=("{\"jsonrpc\":\"2.0\",\"id\":$i,\"method\":\"run\",\"params\":{\"rootfs\":\"$ROOTFS\",\"command\":[\"sleep\",\"1000\"],\"detach\":true,\"name\":\"rawrace\"}}")
	done
	rpc "${reqs[@]}" >"$dir/raw.out"
	[ "$(wc -l <"$dir/raw.out")" -eq 10 ]
	[ "$(grep -c '"result":{"id":"[0-9a-f]\{64\}","name":"rawrace","pid":[0-9]*}' "$dir/raw.out")" -eq 1 ]
	[ "$(grep -c '"error":{"code":-32002,"message":"the name \\"rawrace\\" is already in use by container [0-9a-f]\{12\}","data":{"reason":"conflict"}}' "$dir/raw.out")" -eq 9 ]

	[ "$(names_and_states)" = "$( (printf 'race%s running\n' $(seq 20); echo rawrace running) | LC_ALL=C sort)" ]
	expect_containers 21 "$T/state" "$T/root/containers" "$(cgroup_parent)"
	"$CTRCTL" rm -f $("$CTRCTL" ps -aq) >/dev/null
	expect_containers 0 "$T/state" "$T/root/containers" "$(cgroup_parent)"
}

# Worker $1 of $2 does its share of $3 rounds: a run (attached, or detached
# and then removed, of an image or a root file system) and an exec into
# "target". Failures are written to $T/stress.err.
stress_worker() {
	local w=$1 p=$2 n=$3 i id
	for ((i = w; i < n; i += p)); do
		case $((i % 4)) in
		0) "$CTRCTL" run --rm busybox /bin/true ;;
		1) "$CTRCTL" run --rm --rootfs "$ROOTFS" /bin/true ;;
		2) id=$("$CTRCTL" run -d busybox /bin/true) && "$CTRCTL" wait "$id" >/dev/null &&
			"$CTRCTL" rm "$id" >/dev/null ;;
		3) "$CTRCTL" run -d --rm --rootfs "$ROOTFS" /bin/true >/dev/null ;;
		esac || echo "run $i failed" >>"$T/stress.err"
		if [ $((i % 2)) -eq 0 ]; then
			"$CTRCTL" exec target /bin/true
		else
			"$CTRCTL" exec -d target /bin/true >/dev/null
		fi || echo "exec $i failed" >>"$T/stress.err"
	done
}

stress() {
	local n=$1 p=4 w pids=()
	for ((w = 0; w < p; w++)); do
		stress_worker "$w" "$p" "$n" 2>>"$T/stress.log" &
		pids+=($!)
	done
	wait "${pids[@]}"
	[ ! -s "$T/stress.err" ] || {
		sort "$T/stress.err" | head
		tail "$T/stress.log"
		return 1
	}
}

# The daemon's children and its zygote's (which forks the monitors), but not the zygote.
daemon_children() {
	local parents
	parents=$(pgrep -P "$1" -x ctrd-zygote | tr '\n' ',')$1
	ps --ppid "$parents" -o pid=,comm=,stat= | grep -v ' ctrd-zygote ' || true
}

# Only "target" is left, and the daemon has no child but its monitor (and the zygote).
settled() {
	[ "$("$CTRCTL" ps -aq | wc -l)" -eq 1 ] && [ "$(daemon_children "$1" | wc -l)" -eq 1 ]
}

@test "after many runs and execs ctrd's fds and memory are flat, no zombies or monitors left" {
	local n pid fd0 rss0 rss1 start
	n=${CTRD_STRESS_N:-$(asan && echo 100 || echo 1000)}
	pid=$(cat "$T/ctrd.pid")
	rm -f "$T/stress.err" "$T/stress.log"
	"$CTRCTL" run -d --name target busybox sleep 100000 >/dev/null
	stress 60
	wait_until 30 settled "$pid"
	fd0=$(fd_count "$pid")
	rss0=$(status_kb "$pid" VmRSS)
	start=$SECONDS
	stress "$n"
	echo "# $n runs and $n execs, 4 clients: $((SECONDS - start)) s" >&3
	wait_until 30 settled "$pid"
	wait_until 10 eval '[ "$(fd_count "$pid")" -eq "$fd0" ]' || {
		echo "fds: $fd0 before, $(fd_count "$pid") after"
		ls -l "/proc/$pid/fd"
		return 1
	}
	rss1=$(status_kb "$pid" VmRSS)
	echo "# ctrd: $fd0 fds before and after; VmRSS $rss0 kB before, $rss1 kB after" >&3
	asan || [ "$((rss1 - rss0))" -lt 2048 ]
	# No zombies of the daemon's or the zygote's, and the one monitor is the target's.
	[ -z "$(daemon_children "$pid" | awk '$3 ~ /Z/')" ]
	daemon_children "$pid" | grep -q ' ctrd-monitor '
	[ "$(pgrep -P "$pid" -x ctrd-zygote | wc -l)" -eq 1 ]
	expect_containers 1 "$T/state" "$T/root/containers" "$(cgroup_parent)"
	"$CTRCTL" rm -f target >/dev/null
	expect_containers 0 "$T/state" "$T/root/containers" "$(cgroup_parent)"
}

@test "clients that never read: memory stays bounded, the hog is dropped at 64 MiB, others are served" {
	local dir=$T/hog pid rss0 hwm hog
	mkdir -p "$dir"
	pid=$(cat "$T/ctrd.pid")
	# A container whose inspect reply is about 1.5 MB (its command twice).
	python3 - "$ROOTFS" >"$dir/run.json" <<-'EOF'
		import json, sys
		big = ["x" * 120000 for _ in range(6)]
		print(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "run", "params": {
		    "rootfs": sys.argv[1], "command": ["sh", "-c", "exec sleep 100000", "sh"] + big,
		    "detach": True, "name": "big"}}))
	EOF
	run rpc "$(cat "$dir/run.json")"
	[[ "$output" == *'"result":{"id":'* ]]

	# 150 inspects pipelined, never read: some 220 MB of replies if nothing stopped them.
	cat >"$dir/hog.py" <<-'EOF'
		import os, select, socket, sys
		path, n, sent = sys.argv[1], int(sys.argv[2]), sys.argv[3]
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.connect(path)
		req = b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"inspect","params":{"id":"big"}}\n' % i
		               for i in range(n))
		s.sendall(req)
		with open(sent, "w") as f:
		    f.write(str(os.getpid()))
		# Not a byte read until the daemon hangs up.
		p = select.poll()
		p.register(s, select.POLLHUP)
		if not any(ev & select.POLLHUP for _, ev in p.poll(120000)):
		    sys.exit("never dropped")
		got = 0
		while True:
		    b = s.recv(1 << 20)
		    if not b:
		        break
		    got += len(b)
		print(got)
	EOF
	echo 5 >"/proc/$pid/clear_refs"
	rss0=$(status_kb "$pid" VmRSS)
	python3 "$dir/hog.py" "$CTRD_SOCKET" 150 "$dir/sent" >"$dir/hog.out" 3>&- &
	hog=$!
	bg_pid "$hog"
	wait_until 30 test -s "$dir/sent"
	"$CTRCTL" version >/dev/null
	wait_until 60 grep -q "client pid $(cat "$dir/sent"): dropped: [0-9]* bytes of replies unread" "$T/ctrd.log"
	wait "$hog"
	hwm=$(status_kb "$pid" VmHWM)
	echo "# hog: peak VmRSS $((hwm - rss0)) kB above the $rss0 kB before; the hog read $(cat "$dir/hog.out") bytes" >&3
	asan || [ "$((hwm - rss0))" -lt $((96 * 1024)) ]
	[ "$(cat "$dir/hog.out")" -lt $((150 * 1400000)) ]
	run "$CTRCTL" ps
	[ "$status" -eq 0 ]
	[[ "$output" == *" big "* ]]

	# logs --follow of a chatty container, never read: the daemon reads the log only
	# as fast as the client takes it, so it holds about 1 MiB (8 MiB allowed), and keeps the client.
	"$CTRCTL" run -d --name flood busybox sh -c \
		'while [ ! -e /go ]; do sleep 0.05; done; yes "a line of flood output" | head -c 30000000; exec sleep 100000' >/dev/null
	cat >"$dir/follow.py" <<-'EOF'
		import json, os, socket, sys, time
		path, ready, release = sys.argv[1], sys.argv[2], sys.argv[3]
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.connect(path)
		s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"logs","params":{"id":"flood","follow":true}}\n')
		open(ready, "w").close()
		while not os.path.exists(release):
		    time.sleep(0.02)
		# Still connected, and the stream starts at the start.
		first = json.loads(s.makefile("rb").readline())
		print(first["params"]["entries"][0]["data"], end="")
	EOF
	echo 5 >"/proc/$pid/clear_refs"
	rss0=$(status_kb "$pid" VmRSS)
	python3 "$dir/follow.py" "$CTRD_SOCKET" "$dir/following" "$dir/release" >"$dir/follow.out" 3>&- &
	hog=$!
	bg_pid "$hog"
	wait_until 30 test -e "$dir/following"
	"$CTRCTL" exec flood touch /go
	# The container writes its 30 MB whoever reads, and then runs sleep.
	local init
	init=$(ctr_pid flood)
	wait_until 120 eval '[ "$(tr "\0" " " <"/proc/$init/cmdline")" = "sleep 100000 " ]'
	run "$CTRCTL" exec flood echo served
	[ "$output" = served ]
	hwm=$(status_kb "$pid" VmHWM)
	echo "# logs --follow unread: peak VmRSS $((hwm - rss0)) kB above the $rss0 kB before" >&3
	asan || [ "$((hwm - rss0))" -lt $((8 * 1024)) ]
	touch "$dir/release"
	wait "$hog"
	[ "$(cat "$dir/follow.out")" = "a line of flood output" ]
	"$CTRCTL" rm -f big flood >/dev/null
	expect_containers 0 "$T/state" "$T/root/containers" "$(cgroup_parent)"
}
