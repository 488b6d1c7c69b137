#!/bin/sh
# tests.sh: ctrd on a pure cgroup v2 host. Runs inside the test VM (busybox
# ash, as root, started by /init) and prints TAP on stdout, the plan last.
#
# Adding a test: write a function t_NAME and list it with `run_test t_NAME
# "what it checks"` at the bottom. The function runs in a subshell under
# `set -e -x`: any failing command fails the test, and its trace and output
# become TAP diagnostics. fail MSG, expect_eq, expect_match help say why;
# skip REASON reports "ok N - ... # SKIP REASON". Containers a test leaves are
# removed after it (through ctrd, so it also cleans up their cgroups).
#
# Helpers: ctr (ctrctl with a time limit), start_ctr NAME [RUN-FLAGS...] (a
# detached `busybox sleep` container; sets ID and PID), cg_dir ID, cg_read ID
# FILE (a control file of a container's group: cg_read "$ID" memory.max),
# wait_until SECS CMD..., pids_of ARGV..., CG (the cgroup parent,
# /sys/fs/cgroup/ctrd), T (scratch), ROOTFS (a busybox tree for --rootfs).
# Resources: limits_inside RUN-FLAGS... (the limit files as a container's
# command reads them first thing), limits_host ID, expect_limits OUTPUT WHAT
# FILE=VALUE..., json_num JSON KEY (a number in `ctrctl stats --json`).
# Not -e: a failing test must not end the run (each test has its own -e).
set -u
PATH=/opt/ctrd/bin:/bin:/sbin:/usr/bin:/usr/sbin
export PATH

T=/tmp/ctrd-vm
ROOTFS=$T/rootfs
CG=/sys/fs/cgroup/ctrd
CTRD_SOCKET=$T/ctrd.sock
export CTRD_SOCKET
CTR_TIMEOUT=${CTR_TIMEOUT:-60}
n=0
failed=0

# ---------------------------------------------------------------- TAP and assertions
tap_ok() { n=$((n + 1)) && echo "ok $n - $*"; }
tap_not_ok() { n=$((n + 1)) && failed=$((failed + 1)) && echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
skip() {
	echo "$*" >"$T/skip"
	exit 200
}
expect_eq() { # ACTUAL EXPECTED WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}
expect_match() { # ACTUAL GLOB WHAT
	# shellcheck disable=SC2254 # a pattern, on purpose
	case $1 in
	$2) ;;
	*) fail "$3: expected a match for '$2', got '$1'" ;;
	esac
}

# Polls a command until it succeeds or SECS pass.
wait_until() {
	_secs=$1
	shift
	_i=0
	until "$@"; do
		[ $_i -lt $((_secs * 10)) ] || return 1
		_i=$((_i + 1))
		sleep 0.1
	done
}

# The type of the file system at a mount point, from /proc/mounts of PID (default self).
fstype() {
	awk -v m="$1" '$2 == m { t = $3 } END { print t }' "/proc/${2:-self}/mounts"
}

# ---------------------------------------------------------------- ctrd and containers
# ctr (made by setup, in $T/bin): ctrctl with a time limit. A script, not a
# function, so that set -x traces it as one command and its trace never lands
# in a captured 2>&1.

# ctrd runs under a small wrapper that records its exit status, so any
# shell (a test's subshell too) can stop and restart it.
ctrd_launch() {
	rm -f "$T/ctrd.pid" "$T/ctrd.exit"
	(
		ctrd --socket "$CTRD_SOCKET" --state-dir "$T/state" --root "$T/root" \
			--log-level debug --userns-range 400000:65536 2>>"$T/ctrd.log" &
		echo $! >"$T/ctrd.pid"
		wait $!
		echo $? >"$T/ctrd.exit"
	) &
	wait_until 30 ctrd_ready
}
ctrd_ready() {
	[ -s "$T/ctrd.pid" ] && [ ! -e "$T/ctrd.exit" ] && [ -S "$CTRD_SOCKET" ] &&
		ctrctl version >/dev/null 2>&1
}
# SIGTERM, then its exit status (or 124 if it is still there after 30 s).
ctrd_stop() {
	[ -s "$T/ctrd.pid" ] || return 0
	kill -TERM "$(cat "$T/ctrd.pid")" 2>/dev/null
	wait_until 30 test -e "$T/ctrd.exit" || return 124
	rm -f "$T/ctrd.pid"
	return "$(cat "$T/ctrd.exit")"
}

cg_dir() { echo "$CG/$1"; }
cg_read() { cat "$CG/$1/$2"; }

# start_ctr NAME [RUN-FLAGS...]: a detached busybox container that sleeps; sets ID and PID.
start_ctr() {
	_name=$1
	shift
	ctr run -d --name "$_name" "$@" busybox sleep 1000 >/dev/null
	ID=$(ctr inspect -f id "$_name")
	PID=$(ctr inspect -f pid "$_name")
	expect_match "$ID" "????????????????????????????????????????????????????????????????" "full id of $_name"
	[ "$PID" -gt 0 ] || fail "no pid for $_name: '$PID'"
}

# The host PIDs whose command line is exactly the arguments.
pids_of() {
	_want=$(printf '%s\001' "$@")
	for _p in /proc/[0-9]*; do
		[ "$(tr '\0' '\001' <"$_p/cmdline" 2>/dev/null)" = "$_want" ] && echo "${_p#/proc/}"
	done
	return 0
}

# The container groups under the parent, one per line.
cgroups_left() {
	find "$CG" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort
}

remove_all_containers() {
	for _c in $(ctr ps -aq 2>/dev/null); do
		ctr rm -f "$_c" >/dev/null 2>&1 || echo "# cleanup: rm -f $_c failed"
	done
}

# run_test FUNCTION DESCRIPTION...
run_test() {
	_fn=$1
	shift
	rm -f "$T/skip"
	(
		set -e -x
		"$_fn"
	) >"$T/out" 2>&1
	_rc=$?
	if [ $_rc -eq 0 ]; then
		tap_ok "$*"
	elif [ $_rc -eq 200 ]; then
		tap_ok "$* # SKIP $(cat "$T/skip")"
	else
		tap_not_ok "$*"
		echo "$_fn exited $_rc; its trace and output:" | diag
		tail -n 40 "$T/out" | diag
		echo "ctrd.log, last 15 lines:" | diag
		tail -n 15 "$T/ctrd.log" | diag
	fi
	remove_all_containers
}

# ---------------------------------------------------------------- the tests
t_pure_v2_host() {
	expect_eq "$(fstype /sys/fs/cgroup)" cgroup2 "file system type of /sys/fs/cgroup"
	expect_eq "$(stat -f -c %t /sys/fs/cgroup)" 63677270 "statfs magic of /sys/fs/cgroup (CGROUP2_SUPER_MAGIC)"
	expect_match "$(cat /proc/cmdline)" "*cgroup_no_v1=all*" "kernel command line"
	# No controller is bound to a v1 hierarchy (column 2 of /proc/cgroups is 0 for all).
	expect_eq "$(awk 'NR > 1 && $2 != 0' /proc/cgroups)" "" "controllers on v1 hierarchies"
	expect_eq "$(grep -c ' cgroup ' /proc/mounts)" 0 "v1 cgroup mounts"
}

t_daemon_detects_v2() {
	grep -q 'cgroups: v2' "$T/ctrd.log" || fail "ctrd.log has no 'cgroups: v2' line"
	[ -d "$CG" ] || fail "$CG was not created"
}

t_parent_delegates_controllers() {
	_ctl=" $(cat "$CG/cgroup.subtree_control") "
	for c in cpu memory pids; do
		expect_match "$_ctl" "* $c *" "$CG/cgroup.subtree_control"
	done
}

t_run_image() {
	expect_eq "$(ctr run --rm busybox echo hello)" hello "output of run busybox echo hello"
}

t_run_rootfs() {
	rc=0
	ctr run --rm --rootfs "$ROOTFS" probe exit 3 || rc=$?
	expect_eq "$rc" 3 "exit code of run --rootfs ... probe exit 3"
	expect_eq "$(ctr run --rm --rootfs "$ROOTFS" echo hello)" hello "output of run --rootfs"
}

t_cgroup_holds_init() {
	start_ctr c1
	[ -d "$(cg_dir "$ID")" ] || fail "no cgroup $(cg_dir "$ID")"
	grep -qx "$PID" "$(cg_dir "$ID")/cgroup.procs" || fail "pid $PID not in $(cg_dir "$ID")/cgroup.procs"
	expect_eq "$(cat "/proc/$PID/cgroup")" "0::/ctrd/$ID" "/proc/$PID/cgroup"
}

t_cgroup_ns_root() {
	expect_eq "$(ctr run --rm busybox cat /proc/self/cgroup)" "0::/" "/proc/self/cgroup inside"
}

t_cgroupfs_inside() {
	out=$(ctr run --rm busybox sh -c 'stat -f -c %t /sys/fs/cgroup; grep " /sys/fs/cgroup " /proc/mounts')
	expect_match "$out" "63677270*" "statfs magic of /sys/fs/cgroup inside (CGROUP2_SUPER_MAGIC)"
	expect_match "$out" "*cgroup2 /sys/fs/cgroup cgroup2 ro,*" "/sys/fs/cgroup in /proc/mounts inside"
	# The container's own group is the root it sees: its init is in it, the host's groups are not.
	out=$(ctr run --rm busybox sh -c 'grep -qx 1 /sys/fs/cgroup/cgroup.procs && echo init-in-root; ls /sys/fs/cgroup')
	expect_match "$out" "init-in-root*" "PID 1 in the cgroup.procs of the root seen inside"
	case $out in *ctrd*) fail "the host's ctrd group is visible inside: $out" ;; esac
	if out=$(ctr run --rm busybox mkdir /sys/fs/cgroup/escape 2>&1); then
		fail "mkdir in /sys/fs/cgroup succeeded inside"
	fi
	expect_match "$out" "*Read-only file system*" "mkdir /sys/fs/cgroup/escape inside"
}

t_device_filter() {
	if out=$(ctr run --rm busybox sh -c 'mknod /tmp/m c 1 1 && echo made; head -c1 /tmp/m' 2>&1); then
		fail "reading a mknod'ed /dev/mem succeeded: $out"
	fi
	expect_match "$out" "made*Operation not permitted*" "mknod c 1 1 then head -c1"
	out=$(ctr run --rm busybox sh -c 'head -c4 /dev/urandom | wc -c; echo x >/dev/null && echo null-ok')
	expect_eq "$(echo "$out" | tr '\n' ' ')" "4 null-ok " "/dev/urandom and /dev/null inside"
}

t_exec_same_cgroup() {
	start_ctr c1
	ctr exec -d c1 sleep 4242 >/dev/null
	wait_until 10 eval '[ -n "$(pids_of sleep 4242)" ]' || fail "the exec'd sleep 4242 never showed up"
	p=$(pids_of sleep 4242)
	expect_eq "$(cat "/proc/$p/cgroup")" "$(cat "/proc/$PID/cgroup")" "/proc/$p/cgroup (exec) vs init's"
	grep -qx "$p" "$(cg_dir "$ID")/cgroup.procs" || fail "exec'd pid $p not in the container's cgroup.procs"
	expect_eq "$(ctr exec c1 cat /proc/self/cgroup)" "0::/" "/proc/self/cgroup of an attached exec"
}

t_rm_removes_cgroup() {
	start_ctr c1
	[ -d "$(cg_dir "$ID")" ]
	ctr rm -f c1 >/dev/null
	[ ! -e "$(cg_dir "$ID")" ] || fail "$(cg_dir "$ID") is still there after rm -f"
	kill -0 "$PID" 2>/dev/null && fail "init $PID still runs after rm -f"
	return 0
}

t_failed_start_no_cgroup() {
	before=$(cgroups_left)
	rc=0
	ctr run --name bad busybox /nonexistent >"$T/bad.out" 2>&1 || rc=$?
	cat "$T/bad.out"
	expect_eq "$rc" 127 "exit code of run busybox /nonexistent"
	expect_eq "$(cgroups_left)" "$before" "container groups after a failed start"
	if id=$(ctr inspect -f id bad 2>/dev/null); then
		[ ! -e "$(cg_dir "$id")" ] || fail "the failed container's $(cg_dir "$id") exists"
	fi
	# A start that fails in setup, before the command: an unusable working directory.
	rc=0
	ctr run --name bad2 -w /proc/self/fd/7 busybox true >"$T/bad.out" 2>&1 || rc=$?
	cat "$T/bad.out"
	expect_eq "$rc" 125 "exit code of run -w /proc/self/fd/7"
	expect_eq "$(cgroups_left)" "$before" "container groups after a failed setup"
}

t_restart_keeps_cgroup() {
	start_ctr c1
	ctrd_stop || fail "ctrd exited with $? on SIGTERM"
	grep -qx "$PID" "$(cg_dir "$ID")/cgroup.procs" || fail "init left its group while ctrd was down"
	ctrd_launch || fail "ctrd did not come back"
	expect_eq "$(ctr inspect -f pid c1)" "$PID" "pid after the restart"
	ctr exec -d c1 sleep 4343 >/dev/null
	wait_until 10 eval '[ -n "$(pids_of sleep 4343)" ]' || fail "the exec'd sleep 4343 never showed up"
	expect_eq "$(cat "/proc/$(pids_of sleep 4343)/cgroup")" "0::/ctrd/$ID" "cgroup of an exec after restart"
	ctr rm -f c1 >/dev/null
	[ ! -e "$(cg_dir "$ID")" ] || fail "$(cg_dir "$ID") is still there after rm -f"
}

t_userns_cgroup() {
	[ "$(fstype "$T/root")" != tmpfs ] || skip "ctrd's root is on tmpfs, which Linux < 6.3 cannot idmap"
	start_ctr u1 --userns
	expect_eq "$(cat "/proc/$PID/cgroup")" "0::/ctrd/$ID" "/proc/$PID/cgroup of a --userns container"
	expect_eq "$(ctr exec u1 cat /proc/self/cgroup)" "0::/" "/proc/self/cgroup inside a --userns container"
	# mknod itself fails here (no CAP_MKNOD over the host's devices); either way no access.
	if out=$(ctr exec u1 sh -c 'mknod /tmp/m c 1 1 && echo made; head -c1 /tmp/m' 2>&1); then
		fail "reading a mknod'ed /dev/mem in a --userns container succeeded: $out"
	fi
	expect_match "$out" "*Operation not permitted*" "mknod c 1 1 then head -c1 in a --userns container"
	ctr rm -f u1 >/dev/null
	[ ! -e "$(cg_dir "$ID")" ] || fail "$(cg_dir "$ID") is still there after rm -f"
}

# ---------------------------------------------------------------- resources on v2
# The limit files as a container's command sees them first thing: its
# /sys/fs/cgroup is its own group, so this is what was written before it ran.
# One FILE=VALUE per line, spaces in values as '_' ("cpu.max=50000_100000").
LIMIT_FILES="memory.max memory.swap.max cpu.max cpu.weight cpuset.cpus pids.max"
limits_inside() { # RUN-FLAGS...
	ctr run --rm "$@" busybox sh -c 'cd /sys/fs/cgroup && for f in '"$LIMIT_FILES"'; do
		echo "$f=$(tr " " _ <$f)"; done'
}
# The same files of a container's group, read on the host.
limits_host() { # ID
	for _f in $LIMIT_FILES; do
		echo "$_f=$(tr ' ' _ <"$CG/$1/$_f")"
	done
}
# expect_limits OUTPUT WHAT FILE=VALUE...: each FILE has VALUE in OUTPUT (of limits_*).
expect_limits() {
	_out=$1 _what=$2
	shift 2
	for _kv in "$@"; do
		expect_eq "$(echo "$_out" | grep "^${_kv%%=*}=")" "$_kv" "$_what"
	done
}
# The value of a number in `ctrctl stats --json` (indented: "key": value).
json_num() { # JSON KEY
	echo "$1" | sed -n -e 's/^ *"'"$2"'": *\([0-9][0-9]*\),\{0,1\}$/\1/p' \
		-e 's/^ *"'"$2"'": *\(null\),\{0,1\}$/\1/p' | head -n 1
}

t_limits_before_start() {
	flags="-m 64m --memory-swap 96m --cpus 0.5 -c 512 --cpuset-cpus 1 --pids-limit 100"
	# shellcheck disable=SC2086 # the flags are words
	out=$(limits_inside $flags)
	echo "$out"
	# memory.swap.max is swap alone: --memory-swap (memory plus swap) minus -m.
	set -- memory.max=67108864 memory.swap.max=33554432 cpu.max=50000_100000 cpu.weight=59 \
		cpuset.cpus=1 pids.max=100
	expect_limits "$out" "the files inside, as the command starts" "$@"
	# shellcheck disable=SC2086
	start_ctr l1 $flags
	out=$(limits_host "$ID")
	expect_limits "$out" "the files of $CG/$ID on the host" "$@"
	expect_eq "$(cg_read "$ID" cpuset.cpus.effective)" 1 "cpuset.cpus.effective"
	expect_eq "$(ctr inspect -f config.memory l1)" 67108864 "inspect config.memory"
	expect_eq "$(ctr inspect -f config.memory_swap l1)" 100663296 "inspect config.memory_swap"
	expect_eq "$(ctr inspect -f config.pids_limit l1)" 100 "inspect config.pids_limit"
	expect_eq "$(ctr inspect -f config.cpuset_cpus l1)" 1 "inspect config.cpuset_cpus"
}

t_default_limits() {
	out=$(limits_inside)
	echo "$out"
	# No memory or CPU limit, every CPU, the kernel's default weight, and ctrd's pids limit.
	expect_limits "$out" "the files inside without flags" memory.max=max memory.swap.max=max \
		cpu.max=max_100000 cpu.weight=100 pids.max=4096
	expect_eq "$(ctr run --rm busybox cat /sys/fs/cgroup/cpuset.cpus.effective)" \
		"$(cat /sys/fs/cgroup/cpuset.cpus.effective)" "cpuset.cpus.effective inside"
	# docker: --pids-limit 0 and -1 both lift the limit.
	expect_limits "$(limits_inside --pids-limit 0)" "--pids-limit 0" pids.max=max
	expect_limits "$(limits_inside --pids-limit -1)" "--pids-limit -1" pids.max=max
}

t_memory_swap_semantics() {
	# -m alone: as much swap again (memory plus swap is twice the memory).
	expect_limits "$(limits_inside -m 64m)" "-m 64m" memory.max=67108864 \
		memory.swap.max=67108864
	# --memory-swap equal to -m: no swap at all.
	expect_limits "$(limits_inside -m 64m --memory-swap 64m)" "-m 64m --memory-swap 64m" \
		memory.max=67108864 memory.swap.max=0
	# --memory-swap -1: unlimited swap.
	expect_limits "$(limits_inside -m 64m --memory-swap -1)" "-m 64m --memory-swap -1" \
		memory.max=67108864 memory.swap.max=max
	expect_limits "$(limits_inside -m 1g --memory-swap 1536m)" "-m 1g --memory-swap 1536m" \
		memory.max=1073741824 memory.swap.max=536870912
}

t_cpu_max_and_weight() {
	# cpu.max is "quota period", period 100 ms; cpu.weight on the log curve of crun and runc.
	expect_limits "$(limits_inside --cpus 1.5 -c 2)" "--cpus 1.5 -c 2" \
		cpu.max=150000_100000 cpu.weight=1
	expect_limits "$(limits_inside --cpus 0.25 -c 262144)" "--cpus 0.25 -c 262144" \
		cpu.max=25000_100000 cpu.weight=10000
	expect_limits "$(limits_inside --cpus 2 -c 1024)" "--cpus 2 -c 1024" \
		cpu.max=200000_100000 cpu.weight=100
	expect_limits "$(limits_inside --cpuset-cpus 0-1)" "--cpuset-cpus 0-1" cpuset.cpus=0-1
}

t_rm_during_throttled_setup() {
	ctr run -d --name slow --cpus 0.01 busybox true >"$T/slow.out" 2>&1 &
	bg=$!
	# (cgroup files have no size: grep, not test -s.)
	wait_until 30 eval 'ID=$(ctr inspect -f id slow 2>/dev/null) && grep -q . "$CG/$ID/cgroup.procs"' ||
		fail "the init of slow never joined its group"
	# Held in setup (and still created) whatever the machine's speed.
	echo 1 >"$CG/$ID/cgroup.freeze"
	expect_eq "$(ctr inspect -f state slow)" created "state of slow in setup"
	ctr rm -f slow >/dev/null
	rc=0
	wait "$bg" || rc=$?
	cat "$T/slow.out"
	[ "$rc" -ne 0 ] || fail "run -d of the removed container succeeded"
	# The init dies charged to its group: with a 1 % quota its exit takes seconds.
	[ ! -e "$CG/$ID" ] || fail "$CG/$ID is left after rm -f: $(cat "$CG/$ID/cgroup.events")"
	grep "remove cgroup" "$T/ctrd.log" && fail "ctrd could not remove a group"
	return 0
}

t_oom_killed() {
	rc=0
	ctr run --name hog -m 32m --memory-swap 32m busybox sh -c 'a=x; while :; do a="$a$a"; done' ||
		rc=$?
	expect_eq "$rc" 137 "exit code of the memory hog"
	expect_eq "$(ctr inspect -f oom_killed hog)" true "inspect oom_killed"
	expect_eq "$(ctr inspect -f exit_code hog)" 137 "inspect exit_code"
	out=$(ctr ps -a)
	echo "$out"
	expect_match "$out" "*hog*" "ps -a"
	expect_match "$(echo "$out" | grep hog)" "*Exited (137)*(OOM)*" "the hog's line in ps -a"
	# Detached, through the monitor: the same, from the group's memory.events.
	ctr run -d --name hog2 -m 32m busybox sh -c 'a=x; while :; do a="$a$a"; done' >/dev/null
	wait_until 60 eval '[ "$(ctr inspect -f state hog2)" = exited ]' || fail "hog2 never exited"
	expect_eq "$(ctr inspect -f oom_killed hog2)" true "inspect oom_killed of a detached hog"
	expect_eq "$(ctr inspect -f exit_code hog2)" 137 "inspect exit_code of a detached hog"
	# A container that ends by itself under a limit is not called OOM-killed.
	ctr run --name calm -m 32m busybox true
	expect_eq "$(ctr inspect -f oom_killed calm)" false "inspect oom_killed of a calm container"
	# Nor one that is killed with SIGKILL.
	start_ctr killed -m 32m
	ctr kill killed >/dev/null
	wait_until 30 eval '[ "$(ctr inspect -f state killed)" = exited ]' || fail "killed never exited"
	expect_eq "$(ctr inspect -f exit_code killed)" 137 "exit code after kill"
	expect_eq "$(ctr inspect -f oom_killed killed)" false "inspect oom_killed after kill"
}

t_fork_bomb() {
	ctr run -d --name bomb --pids-limit 64 busybox sh -c 'b() { b | b & }; b; exec sleep 1000' >/dev/null
	ID=$(ctr inspect -f id bomb)
	wait_until 60 eval '[ "$(cg_read "$ID" pids.current)" -ge 60 ]' ||
		fail "the bomb never reached 60 pids: $(cg_read "$ID" pids.current)"
	for i in 1 2 3; do
		timeout 20 ctrctl ps >/dev/null || fail "ctrctl ps did not answer within 20 s (try $i)"
		[ "$(cg_read "$ID" pids.current)" -le 64 ] || fail "pids.current over 64"
	done
	# The kernel refused forks for the limit's sake.
	max=$(awk '$1 == "max" { print $2 }' "$(cg_dir "$ID")/pids.events")
	[ "$max" -gt 0 ] || fail "pids.events max is '$max'"
	ctr rm -f bomb >/dev/null
	[ ! -e "$(cg_dir "$ID")" ] || fail "$(cg_dir "$ID") is still there after rm -f"
}

# A container started with COUNTER adds a line to its /tmp/n 20 times a second.
COUNTER='while :; do echo . >>/tmp/n; sleep 0.05; done'
counter() { wc -l <"/proc/$PID/root/tmp/n"; }
counter_past() { _c=$(counter 2>/dev/null) && [ "$_c" -gt "$1" ]; }
frozen() { grep -qx "frozen $1" "$(cg_dir "$ID")/cgroup.events"; }

t_pause_unpause() {
	ctr run -d --name counter busybox sh -c "$COUNTER" >/dev/null
	ID=$(ctr inspect -f id counter)
	PID=$(ctr inspect -f pid counter)
	wait_until 30 counter_past 2 || fail "the counter never counted"
	ctr pause counter
	expect_eq "$(cg_read "$ID" cgroup.freeze)" 1 "cgroup.freeze after pause"
	wait_until 30 frozen 1 || fail "cgroup.events never said frozen 1"
	expect_eq "$(ctr inspect -f state counter)" paused "state after pause"
	expect_match "$(ctr ps | grep counter)" "*(Paused)*" "ps after pause"
	a=$(counter)
	sleep 1 # a measurement interval, not synchronisation: it would count ~20 in it
	b=$(counter)
	expect_eq "$b" "$a" "the counter while paused"
	rc=0
	out=$(ctr exec counter true 2>&1) || rc=$?
	expect_eq "$rc" 125 "exit code of exec into a paused container"
	expect_match "$out" "*is paused*" "exec into a paused container"
	rc=0
	ctr pause counter 2>/dev/null || rc=$?
	[ "$rc" -ne 0 ] || fail "pausing a paused container succeeded"
	ctr unpause counter
	expect_eq "$(cg_read "$ID" cgroup.freeze)" 0 "cgroup.freeze after unpause"
	wait_until 30 frozen 0 || fail "cgroup.events never said frozen 0"
	expect_eq "$(ctr inspect -f state counter)" running "state after unpause"
	wait_until 30 counter_past "$b" || fail "the counter did not move after unpause"
	# A paused container can be stopped: it is thawed for the signal.
	ctr pause counter
	ctr stop -t 1 counter >/dev/null
	expect_eq "$(ctr inspect -f state counter)" exited "state after stop of a paused container"
}

t_update() {
	start_ctr u1 -m 64m --cpus 0.5 --pids-limit 100
	ctr update -m 128m --cpus 1.5 --pids-limit 50 u1 >/dev/null
	set -- memory.max=134217728 memory.swap.max=134217728 cpu.max=150000_100000 pids.max=50
	expect_limits "$(limits_host "$ID")" "the files on the host after update" "$@"
	out=$(ctr exec u1 sh -c 'cd /sys/fs/cgroup && for f in '"$LIMIT_FILES"'; do
		echo "$f=$(tr " " _ <$f)"; done')
	expect_limits "$out" "the files inside after update" "$@"
	expect_eq "$(ctr inspect -f config.memory u1)" 134217728 "inspect config.memory after update"
	expect_eq "$(ctr inspect -f config.pids_limit u1)" 50 "inspect config.pids_limit after update"
	# The smallest quota (too small to start a container under emulation, hence here).
	ctr update --memory-swap -1 --cpus 0.01 --cpuset-cpus 0 -c 262144 --pids-limit 0 u1 >/dev/null
	expect_limits "$(limits_host "$ID")" "the files after the second update" \
		memory.max=134217728 memory.swap.max=max cpu.max=1000_100000 cpu.weight=10000 \
		cpuset.cpus=0 pids.max=max
	# --cpuset-cpus "": every CPU again.
	expect_eq "$(cg_read "$ID" cpuset.cpus.effective)" 0 "cpuset.cpus.effective after --cpuset-cpus 0"
	ctr update --cpuset-cpus "" u1 >/dev/null
	expect_eq "$(cg_read "$ID" cpuset.cpus.effective)" "$(cat "$CG/cpuset.cpus.effective")" \
		"cpuset.cpus.effective after --cpuset-cpus ''"
	expect_eq "$(ctr inspect -f config.cpuset_cpus u1)" "" "inspect config.cpuset_cpus after --cpuset-cpus ''"
	# A refused update changes nothing.
	before=$(limits_host "$ID")
	rc=0
	out=$(ctr update --cpus 99 u1 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "update --cpus 99 succeeded"
	expect_match "$out" "*params.cpus*" "update --cpus 99"
	rc=0
	out=$(ctr update -m 1g --memory-swap 512m u1 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "update -m 1g --memory-swap 512m succeeded"
	expect_match "$out" "*params.memory_swap*" "update -m 1g --memory-swap 512m"
	rc=0
	out=$(ctr update -m lots u1 2>&1) || rc=$?
	expect_eq "$rc" 125 "exit code of update -m lots"
	expect_eq "$(limits_host "$ID")" "$before" "the files after refused updates"
	expect_eq "$(ctr inspect -f config.memory u1)" 134217728 "config.memory after refused updates"
}

t_stats() {
	# 16 MiB in the container's /dev/shm (a tmpfs: charged to it, and not reclaimable cache).
	ctr run -d --name m1 -m 64m --pids-limit 10 busybox sh -c \
		'dd if=/dev/zero of=/dev/shm/f bs=1M count=16 2>/dev/null && : >/tmp/filled; exec sleep 1000' \
		>/dev/null
	PID=$(ctr inspect -f pid m1)
	wait_until 30 test -e "/proc/$PID/root/tmp/filled" || fail "the container never filled /dev/shm"
	out=$(ctr stats --no-stream m1)
	echo "$out"
	expect_match "$(echo "$out" | sed -n 1p)" "ID*NAME*CPU %*MEM USAGE / LIMIT*PIDS*BLOCK I/O*" \
		"the header of stats --no-stream"
	line=$(echo "$out" | sed -n 2p)
	expect_match "$line" "* m1 *" "the row of stats --no-stream"
	# CPU % is a number (not --, as when cpu.stat cannot be read); usage is at least 16 MiB.
	expect_match "$line" "* m1 *[0-9].[0-9][0-9]% *MiB / 64MiB *1 / 10 *" "the row of stats --no-stream"
	json=$(ctr stats --json m1)
	echo "$json"
	[ "$(json_num "$json" memory_usage)" -ge 16777216 ] || fail "memory_usage under 16 MiB"
	[ "$(json_num "$json" memory_usage)" -le 67108864 ] || fail "memory_usage over the limit"
	expect_eq "$(json_num "$json" memory_limit)" 67108864 "memory_limit"
	[ "$(json_num "$json" cpu_ns)" -gt 0 ] || fail "cpu_ns is not positive"
	expect_eq "$(json_num "$json" pids)" 1 "pids"
	expect_eq "$(json_num "$json" pids_limit)" 10 "pids_limit"
	# Without limits: no memory limit (max), ctrd's pids limit.
	start_ctr d1
	json=$(ctr stats --json d1)
	echo "$json"
	expect_eq "$(json_num "$json" memory_limit)" null "memory_limit without -m"
	expect_eq "$(json_num "$json" pids_limit)" 4096 "pids_limit by default"
	expect_match "$(ctr stats --no-stream d1 | sed -n 2p)" "* d1 *[0-9]*B / -- *1 / 4096 *" \
		"the row of a container without -m"
}

# bad_run WANT-IN-MESSAGE RUN-FLAGS...: run fails with 125 and says WANT.
bad_run() {
	_want=$1
	shift
	_rc=0
	_out=$(ctr run --rm "$@" busybox true 2>&1) || _rc=$?
	echo "run $*: $_rc: $_out"
	expect_eq "$_rc" 125 "exit code of run $*"
	expect_match "$_out" "*$_want*" "the error of run $*"
}

t_bad_values() {
	before=$(cgroups_left)
	ncpu=$(nproc)
	bad_run 'invalid --memory "lots"' -m lots
	bad_run 'invalid --memory "-1"' -m -1
	bad_run 'invalid --memory "99999999999t"' -m 99999999999t
	bad_run "params.memory: at least" -m 1k
	bad_run "params.memory_swap" -m 64m --memory-swap 32m
	bad_run "params.memory_swap: needs a memory limit" --memory-swap 64m
	bad_run 'invalid --memory-swap "-2"' -m 64m --memory-swap -2
	bad_run "params.cpus" --cpus $((ncpu + 1))
	bad_run 'invalid --cpus "-1"' --cpus -1
	bad_run 'invalid --cpus "half"' --cpus half
	bad_run "params.cpus" --cpus 0.001
	bad_run 'invalid --cpu-shares "-5"' -c -5
	bad_run "params.cpu_shares" -c 262145
	bad_run "params.cpuset_cpus" --cpuset-cpus "$ncpu"
	bad_run "params.cpuset_cpus" --cpuset-cpus 1-0
	bad_run "params.cpuset_cpus" --cpuset-cpus 0,,1
	bad_run "params.cpuset_cpus" --cpuset-cpus x
	bad_run 'invalid --pids-limit "-5"' --pids-limit -5
	bad_run 'invalid --pids-limit "many"' --pids-limit many
	expect_eq "$(ctr ps -aq)" "" "containers after the bad runs"
	expect_eq "$(cgroups_left)" "$before" "groups after the bad runs"
}

t_nothing_left() {
	remove_all_containers
	expect_eq "$(cgroups_left)" "" "groups left under $CG"
	expect_eq "$(cat "$CG/cgroup.procs")" "" "processes in $CG itself"
}

# ---------------------------------------------------------------- setup, the list, teardown
# ctrd's --root (images, container layers, logs) on an ext4 file system, as on
# a real host: tmpfs before Linux 6.3 cannot be idmapped, which --userns needs.
# Falls back to the tmpfs when the loop or ext4 module is missing.
setup_root_fs() {
	mkdir -p "$T/root"
	grep -qw ext4 /proc/filesystems || return 1
	truncate -s 512M "$T/root.img" &&
		mke2fs -F -q -b 4096 -I 256 "$T/root.img" >/dev/null &&
		mount -t ext4 -o loop "$T/root.img" "$T/root"
}

setup() {
	mkdir -p "$T/bin"
	printf '#!/bin/sh\nexec timeout "${CTR_TIMEOUT:-60}" ctrctl "$@"\n' >"$T/bin/ctr"
	chmod 0755 "$T/bin/ctr"
	PATH=$T/bin:$PATH
	export CTR_TIMEOUT
	if setup_root_fs; then
		echo "# setup: ctrd's root on $(fstype "$T/root") (loop)"
	else
		echo "# setup: no ext4 (modules?): ctrd's root on $(fstype /tmp)"
	fi
	echo "# setup: building the busybox image with mkrootfs.sh"
	BUSYBOX=/bin/busybox sh /opt/ctrd/mkrootfs.sh "$ROOTFS" >/dev/null &&
		cp /opt/ctrd/bin/probe "$ROOTFS/bin/probe" &&
		mkdir -p "$T/root/images/busybox" &&
		cp -a "$ROOTFS" "$T/root/images/busybox/rootfs" &&
		printf '{"command":["sh"]}\n' >"$T/root/images/busybox/config.json" || {
		echo "Bail out! cannot build the busybox image"
		exit 1
	}
	ctrd_launch || {
		echo "Bail out! ctrd did not start; its log:"
		diag <"$T/ctrd.log"
		exit 1
	}
}

echo "# kernel $(uname -r), $(nproc) CPUs"
setup
run_test t_pure_v2_host "the VM is a pure cgroup v2 host (cgroup_no_v1=all)"
run_test t_daemon_detects_v2 "ctrd logs 'cgroups: v2' and creates its parent group"
run_test t_parent_delegates_controllers "the parent group delegates cpu, memory and pids"
run_test t_run_image "a container runs on the busybox image"
run_test t_run_rootfs "a container runs on --rootfs"
run_test t_cgroup_holds_init "the container's group /sys/fs/cgroup/ctrd/<id> holds its init"
run_test t_cgroup_ns_root "inside, /proc/self/cgroup reads 0::/"
run_test t_cgroupfs_inside "inside, /sys/fs/cgroup is a read-only cgroup2 rooted at the container's group"
run_test t_device_filter "the eBPF device filter: a mknod'ed /dev/mem cannot be read, null and urandom work"
run_test t_exec_same_cgroup "an exec'd process lands in the container's group"
run_test t_rm_removes_cgroup "rm -f removes the container's group"
run_test t_failed_start_no_cgroup "a container that fails to start leaves no group"
run_test t_restart_keeps_cgroup "after a daemon restart, the group stays and exec still lands in it"
run_test t_userns_cgroup "a --userns container gets its group and cgroup namespace; /dev/mem stays closed"
run_test t_limits_before_start "-m, --memory-swap, --cpus, -c, --cpuset-cpus, --pids-limit are in the v2 files before the command runs"
run_test t_default_limits "without flags: memory.max and memory.swap.max max, cpu.max max, cpu.weight 100, pids.max 4096"
run_test t_memory_swap_semantics "memory.swap.max follows docker's --memory-swap: twice -m by default, 0, -1 unlimited"
run_test t_cpu_max_and_weight "cpu.max from --cpus, cpu.weight from -c (2 -> 1, 1024 -> 100, 262144 -> 10000), cpuset.cpus"
run_test t_rm_during_throttled_setup "rm -f of a container still in setup under --cpus 0.01 leaves no group"
run_test t_oom_killed "a memory hog is OOM-killed: 137, inspect oom_killed, (OOM) in ps -a; kill and exit are not OOM"
run_test t_fork_bomb "a fork bomb stops at the pids limit while ctrctl ps answers"
run_test t_pause_unpause "pause freezes (cgroup.freeze, state paused, exec refused), unpause resumes"
run_test t_update "update changes memory, swap, cpus, shares, cpuset and pids of a running container; refusals change nothing"
run_test t_stats "stats shows memory usage and limit, CPU and pids from the v2 files"
run_test t_bad_values "bad limit values are clear errors (exit 125) and leave nothing behind"
run_test t_nothing_left "nothing is left under /sys/fs/cgroup/ctrd but the parent"

ctrd_stop
echo "# ctrd exited $? on SIGTERM"
if grep -q 'Sanitizer\|runtime error:' "$T/ctrd.log"; then
	tap_not_ok "no sanitizer reports in ctrd's log"
	grep -A20 'Sanitizer\|runtime error:' "$T/ctrd.log" | diag
fi
echo "1..$n"
[ "$failed" -eq 0 ]
