#!/usr/bin/env bats
# Live restore and crash safety: what a restarted ctrd finds of containers
# that lived on while it was down (or killed mid-request), and the restart
# policies. daemon.bats covers the basics (SIGTERM and kill -9 survival, one
# corrupt state file); this file goes further.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	require_root
	ctrd_start
}

teardown_file() {
	ctrd_stop
}

teardown() {
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ]; then
		dump_log
		cleanup_after_failure
	fi
	# A host process a test started (the PID-reuse stand-in) never outlives it.
	if [ -n "${UNRELATED:-}" ]; then
		kill -KILL "$UNRELATED" 2>/dev/null || true
	fi
}

# A failed test's containers go, so that one failure does not cascade into the
# next tests (or hang teardown_file on an rm -f that cannot finish).
cleanup_after_failure() {
	local id p dir
	kill -0 "$(cat "$T/ctrd.pid")" 2>/dev/null || ctrd_launch || true
	for id in $("$CTRCTL" ps -aq 2>/dev/null); do
		timeout 20 "$CTRCTL" rm -f "$id" >/dev/null 2>&1 || true
	done
	# What the daemon could not remove: monitors, then whatever is left in the groups.
	for p in $(procs_matching "$T/state/containers/"); do
		kill -KILL "$p" 2>/dev/null || true
	done
	for dir in $(cgroup_dirs); do
		[ "$dir" != "${dir%/*}/$(cgroup_parent)" ] || continue
		for p in $(cat "$dir/cgroup.procs" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null || true
		done
	done
}

# Takes the daemon down with sig and waits until it is gone.
daemon_down() {
	local pid
	pid=$(cat "$T/ctrd.pid")
	kill "-$1" "$pid"
	wait_until 20 eval "! kill -0 $pid 2>/dev/null"
}

# The PID column of `ctrctl ps` for a name.
ps_pid() {
	"$CTRCTL" ps | awk -v n="$1" '$2 == n { print $3 }'
}

# The full id of a container (by name).
full_id() {
	"$CTRCTL" inspect -f id "$1"
}

# Host processes whose command line (words joined by spaces) contains str.
procs_matching() {
	pgrep -f -- "$(printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g')" || true
}

# The container's monitor, by its command line (ctrd-monitor ID ...).
monitor_procs() {
	procs_matching "ctrd-monitor $1 "
}

# Nothing of container id is left: state, data, monitor, processes (marked
# with marker in their command line), cgroups and mounts.
assert_no_trace() {
	local id=$1 marker=$2
	run ls -d "$T/state/containers/$id"*
	[ "$status" -ne 0 ] || {
		echo "state left: $output"
		return 1
	}
	[ ! -e "$T/root/containers/$id" ] || {
		echo "data left: $T/root/containers/$id"
		return 1
	}
	wait_until 10 eval '[ -z "$(monitor_procs "$id")" ]' || {
		echo "monitor left: $(monitor_procs "$id")"
		return 1
	}
	wait_until 10 eval '[ -z "$(procs_matching "$marker")" ]' || {
		echo "container process left: $(procs_matching "$marker")"
		return 1
	}
	if cgroup_dirs | grep -q "/$id\$"; then
		echo "cgroup left: $(cgroup_dirs | grep "/$id\$")"
		return 1
	fi
	if grep -q "$T" /proc/self/mountinfo; then
		echo "mount left: $(grep "$T" /proc/self/mountinfo)"
		return 1
	fi
	run "$CTRCTL" inspect "$id"
	[ "$status" -eq 1 ]
}

# The process is gone (not even a zombie of ours).
gone() {
	! kill -0 "$1" 2>/dev/null
}

# A file's contents in a volume, or empty.
vol() {
	cat "$VOL/$1" 2>/dev/null || true
}

setup() {
	VOL=$(mktemp -d "$T/vol.XXXXXX")
	chmod 0777 "$VOL"
}

# ---------------------------------------------------------------- live restore

# Runs two containers, takes the daemon down with sig, starts a new one and
# drives both containers through it: same PID, exec, kill, wait, stop.
live_restore() {
	local sig=$1 a=live-a-$1 b=live-b-$1
	"$CTRCTL" run -d --name "$a" --rootfs "$ROOTFS" \
		sh -c 'trap "exit 9" USR1; while :; do sleep 0.05; done' >/dev/null
	"$CTRCTL" run -d --name "$b" --rootfs "$ROOTFS" sh -c 'sleep 1000; :' >/dev/null
	pid_a=$(ctr_pid "$a")
	pid_b=$(ctr_pid "$b")
	[ -n "$pid_a" ] && [ -n "$pid_b" ]
	[ "$(ps_pid "$a")" = "$pid_a" ]

	daemon_down "$sig"
	kill -0 "$pid_a"
	kill -0 "$pid_b"
	ctrd_launch

	# Listed with the same host PIDs, which are still the containers' inits.
	[ "$(ps_pid "$a")" = "$pid_a" ]
	[ "$(ps_pid "$b")" = "$pid_b" ]
	[ "$(inspect_field "$a" state)" = running ]
	[ "$(tr '\0' ' ' </proc/"$pid_b"/cmdline)" = "sh -c sleep 1000; : " ]
	# exec joins the restored container: its PID namespace, where the init is 1.
	run "$CTRCTL" exec "$a" sh -c 'echo $$; cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "sh -c trap"* ]]
	[ "$(readlink /proc/"$pid_a"/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]

	# A waiter on the restored container gets the code a signal made it exit with.
	"$CTRCTL" wait "$a" >"$T/wait.$sig" &
	waiter=$!
	# (Registered before the kill, as a rule; a late one gets the recorded code, the same.)
	wait_until 10 grep -q "client pid $waiter uid 0 connected" "$T/ctrd.log"
	run "$CTRCTL" kill -s USR1 "$a"
	[ "$status" -eq 0 ]
	wait "$waiter"
	[ "$(cat "$T/wait.$sig")" = 9 ]
	[ "$(inspect_field "$a" exit_code)" = 9 ]
	run "$CTRCTL" wait "$a"
	[ "$output" = 9 ]
	gone "$pid_a"

	# stop: TERM is ignored by a PID 1 without a handler, so the timeout's SIGKILL ends it.
	run "$CTRCTL" stop -t 1 "$b"
	[ "$status" -eq 0 ]
	[ "$(inspect_field "$b" exit_code)" = 137 ]
	[ "$(inspect_field "$b" state)" = exited ]
	gone "$pid_b"
	"$CTRCTL" rm "$a" "$b" >/dev/null
}

@test "kill -9 of ctrd: a running container keeps its PID and can be exec'd, killed, waited for, stopped" {
	live_restore KILL
}

@test "SIGTERM of ctrd: the same after a clean daemon exit" {
	live_restore TERM
}

@test "logs keep flowing while ctrd is down, the application never blocks, none are lost" {
	# 4 KB lines: the 64 KB pipe to the monitor would fill after 16 of them if nobody read it.
	"$CTRCTL" run -d --name chatty --rootfs "$ROOTFS" -v "$VOL:/vol" sh -c '
		pad=$(head -c 4000 /dev/zero | tr "\0" x)
		i=0
		while :; do
			echo "$i $pad"
			echo $i >/vol/count.new && mv /vol/count.new /vol/count
			i=$((i + 1))
			sleep 0.005
		done' >/dev/null
	wait_until 20 eval '[ "$(vol count)" -ge 5 ] 2>/dev/null'
	daemon_down KILL
	before=$(vol count)
	# The application advances far past what a pipe holds, with no daemon at all.
	wait_until 60 eval '[ "$(vol count)" -ge $((before + 100)) ]'
	during=$(vol count)
	ctrd_launch
	wait_until 20 eval '[ "$("$CTRCTL" logs chatty | wc -l)" -gt "$during" ]'
	# Every line, in order, from 0 on, each whole; the downtime's included.
	"$CTRCTL" logs chatty >"$T/chatty.log"
	run awk -v want=4000 '
		$1 != NR - 1 { print "line " NR ": " substr($0, 1, 20); bad = 1; exit }
		length($2) != want { print "line " NR " is " length($2) " bytes"; bad = 1; exit }
		END { exit bad }' "$T/chatty.log"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$T/chatty.log")" -gt "$during" ]
	"$CTRCTL" rm -f chatty >/dev/null
}

@test "exit codes of containers that ended while ctrd was down: 42, and 137 by SIGKILL" {
	"$CTRCTL" run -d --name ends42 --rootfs "$ROOTFS" -v "$VOL:/vol" \
		sh -c 'while [ ! -e /vol/go ]; do sleep 0.05; done; exit 42' >/dev/null
	"$CTRCTL" run -d --name killed9 --rootfs "$ROOTFS" sh -c 'sleep 1000; :' >/dev/null
	pid42=$(ctr_pid ends42)
	pid9=$(ctr_pid killed9)
	mon42=$(inspect_field ends42 monitor_pid)
	mon9=$(inspect_field killed9 monitor_pid)
	daemon_down KILL
	down_at=$(date -u +%s)
	touch "$VOL/go"
	kill -KILL "$pid9"
	# Both monitors record the ends and go.
	wait_until 20 eval "! kill -0 $mon42 2>/dev/null && ! kill -0 $mon9 2>/dev/null"
	gone "$pid42"
	up_at=$(date -u +%s)
	ctrd_launch

	run "$CTRCTL" ps -a
	[[ "$output" == *"Exited (42)"* ]]
	[[ "$output" == *"Exited (137)"* ]]
	run "$CTRCTL" ps -q
	[ -z "$output" ]
	[ "$(inspect_field ends42 state)" = exited ]
	[ "$(inspect_field ends42 exit_code)" = 42 ]
	[ -z "$(inspect_field ends42 signal)" ]
	[ "$(inspect_field killed9 state)" = exited ]
	[ "$(inspect_field killed9 exit_code)" = 137 ]
	[ "$(inspect_field killed9 signal)" = 9 ]
	[ "$(inspect_field killed9 signal_name)" = KILL ]
	# The time of the end is the monitor's, inside the downtime, not the restore's.
	finished=$(date -u -d "$(inspect_field ends42 finished_at)" +%s)
	[ "$finished" -ge "$down_at" ] && [ "$finished" -le "$up_at" ]
	run "$CTRCTL" wait ends42
	[ "$status" -eq 0 ]
	[ "$output" = 42 ]
	run "$CTRCTL" wait killed9
	[ "$output" = 137 ]
	# As the next daemon reads them back from state.json.
	daemon_down TERM
	ctrd_launch
	[ "$(inspect_field ends42 exit_code)" = 42 ]
	[ "$(inspect_field killed9 signal)" = 9 ]
	"$CTRCTL" rm ends42 killed9 >/dev/null
}

# ---------------------------------------------------------------- PID reuse

# Applies sed expressions to a state file (compact JSON, as ctrd writes it),
# atomically as ctrd does; fails if they changed nothing.
state_edit() {
	local f=$1
	shift
	sed -E "$@" "$f" >"$f.new"
	if cmp -s "$f" "$f.new"; then
		echo "no change to $f"
		return 1
	fi
	mv "$f.new" "$f"
}

# Points the recorded init (with "both", the monitor too) at pid, keeping the start times.
repoint() {
	local expr=("-e" "s/\"init\":\\{\"pid\":[0-9]+/\"init\":{\"pid\":$2/")
	[ "$3" != both ] || expr+=("-e" "s/\"monitor\":\\{\"pid\":[0-9]+/\"monitor\":{\"pid\":$2/")
	state_edit "$1" "${expr[@]}"
}

# The monitor PID a state file records (empty if none).
recorded_monitor() {
	grep -o '"monitor":{"pid":[0-9]*' "$1" 2>/dev/null | grep -o '[0-9]*$' || true
}

# The namespaces, cgroups and state of a host process, to prove nobody touched it.
fingerprint() {
	local ns
	for ns in /proc/"$1"/ns/*; do
		echo "${ns##*/} $(readlink "$ns")"
	done
	cat /proc/"$1"/cgroup
	awk '/^(State|SigPnd|ShdPnd|PPid):/' /proc/"$1"/status
}

@test "PID reuse: a dead container's PID held by an unrelated process is never signalled or joined" {
	id=$("$CTRCTL" run -d --name reused --rootfs "$ROOTFS" sh -c 'sleep 1000; : reused')
	pid=$(ctr_pid reused)
	mon=$(inspect_field reused monitor_pid)
	daemon_down KILL
	# Container and monitor die without a word: no exit file.
	kill -KILL "$mon" "$pid"
	wait_until 10 eval "! kill -0 $pid 2>/dev/null && ! kill -0 $mon 2>/dev/null"
	[ ! -e "$T/state/containers/$id/exit" ]
	# An unrelated process now holds "the" PID, as a recycled PID would.
	sleep 1000 &
	UNRELATED=$!
	disown
	repoint "$T/state/containers/$id/state.json" "$UNRELATED" both
	fingerprint "$UNRELATED" >"$T/fp.before"
	ctrd_launch

	run "$CTRCTL" ps -q
	[[ "$output" != *"${id:0:12}"* ]]
	[ "$(inspect_field reused state)" = exited ]
	[ -z "$(inspect_field reused pid)" ]
	run "$CTRCTL" kill reused
	[ "$status" -ne 0 ]
	run "$CTRCTL" kill -s TERM reused
	[ "$status" -ne 0 ]
	run "$CTRCTL" exec reused true
	[ "$status" -ne 0 ]
	run "$CTRCTL" stop -t 0 reused
	run "$CTRCTL" rm -f reused
	[ "$status" -eq 0 ]
	assert_no_trace "$id" ": reused"
	kill -0 "$UNRELATED"
	fingerprint "$UNRELATED" >"$T/fp.after"
	diff "$T/fp.before" "$T/fp.after"
}

@test "PID reuse: a live container whose recorded init PID is an unrelated process" {
	id=$("$CTRCTL" run -d --name misled --rootfs "$ROOTFS" sh -c 'sleep 1000; : misled')
	pid=$(ctr_pid misled)
	daemon_down KILL
	sleep 1000 &
	UNRELATED=$!
	disown
	# state.json names the unrelated process (with the init's start time); the
	# monitor's own record, the init file, still names the real init.
	repoint "$T/state/containers/$id/state.json" "$UNRELATED" init
	fingerprint "$UNRELATED" >"$T/fp.before"
	ctrd_launch
	[ "$(ps_pid misled)" = "$pid" ]
	[ "$(inspect_field misled pid)" = "$pid" ]
	run "$CTRCTL" exec misled sh -c 'cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[ "$output" = "sh -c sleep 1000; : misled " ]

	# Now neither record names the init: the container runs, but nobody can say which process it is.
	daemon_down KILL
	# (Nothing saved state.json since: it still names the unrelated process.)
	grep -q "\"init\":{\"pid\":$UNRELATED," "$T/state/containers/$id/state.json" ||
		repoint "$T/state/containers/$id/state.json" "$UNRELATED" init
	echo "$UNRELATED $(awk '{ print $22 }' /proc/"$pid"/stat)" >"$T/state/containers/$id/init"
	ctrd_launch
	[ -z "$(inspect_field misled pid)" ]
	[ "$(ps_pid misled)" != "$UNRELATED" ]
	run "$CTRCTL" kill misled
	[ "$status" -ne 0 ]
	run "$CTRCTL" kill -s TERM misled
	[ "$status" -ne 0 ]
	run "$CTRCTL" exec misled true
	[ "$status" -ne 0 ]
	run "$CTRCTL" stop -t 1 misled
	# rm -f still gets rid of it all: the real init goes with its cgroup.
	run timeout 20 "$CTRCTL" rm -f misled
	[ "$status" -eq 0 ]
	assert_no_trace "$id" ": misled"
	kill -0 "$UNRELATED"
	fingerprint "$UNRELATED" >"$T/fp.after"
	diff "$T/fp.before" "$T/fp.after"
}

# ---------------------------------------------------------------- crash points

# The daemon with CTRD_FAILPOINT=fp; it dies at that step of the next request.
launch_failing() {
	daemon_down TERM
	CTRD_FAILPOINT=$1 ctrd_launch
	grep -q "fail points armed: $1" "$T/ctrd.log"
}

# Waits for the daemon to kill itself at fp.
died_at() {
	wait_until 20 eval "! kill -0 $(cat "$T/ctrd.pid") 2>/dev/null"
	grep "fail point " "$T/ctrd.log" | tail -n 1 | grep -q "fail point $1: killing myself"
}

# One line per crash point; the container either runs on, completely, or is gone without a trace.
# The daemon's zygote (zygote.h), by its parent.
zygote_of() {
	pgrep -P "$1" -x ctrd-zygote || true
}

@test "zygote: it forks monitors and exec helpers, goes with the daemon, and a dead one only means ctrd forks them itself" {
	local daemon zygote mon
	daemon=$(cat "$T/ctrd.pid")
	zygote=$(zygote_of "$daemon")
	[ -n "$zygote" ]
	# Holding no daemon fd: no listening socket, no client, no state file.
	[ "$(ls /proc/"$zygote"/fd | wc -l)" -le 4 ]
	"$CTRCTL" run -d --name zyg1 busybox sleep 1000 >/dev/null
	mon=$(inspect_field zyg1 monitor_pid)
	[ "$(ps -o ppid= -p "$mon" | tr -d ' ')" = "$zygote" ]
	# An attached run through it: stdio, exit code.
	run "$CTRCTL" run --rm busybox sh -c 'echo out; echo err >&2; exit 7'
	[ "$status" -eq 7 ]
	[ "${lines[0]}" = out ] && [ "${lines[1]}" = err ]
	# It forks exec helpers too, as the daemon's children: exit codes and output come back.
	run "$CTRCTL" exec zyg1 sh -c 'echo $((6 * 7)); exit 5'
	[ "$status" -eq 5 ] && [ "$output" = 42 ]

	# Killed: containers and their monitors live on; the next start is forked by ctrd.
	kill -KILL "$zygote"
	wait_until 10 gone "$zygote"
	run "$CTRCTL" run --rm busybox echo still
	[ "$status" -eq 0 ] && [ "$output" = still ]
	grep -q "zygote: it exited; monitors will be forks of the daemon from now on" "$T/ctrd.log"
	"$CTRCTL" run -d --name zyg2 busybox sleep 1000 >/dev/null
	[ "$(ps -o ppid= -p "$(inspect_field zyg2 monitor_pid)" | tr -d ' ')" = "$daemon" ]
	[ "$(inspect_field zyg1 state)" = running ]
	kill -0 "$mon"
	run "$CTRCTL" exec zyg1 sh -c 'exit 6'
	[ "$status" -eq 6 ]
	"$CTRCTL" rm -f zyg2 >/dev/null

	# A new daemon has a new zygote; kill -9 of the daemon takes its zygote along.
	daemon_down KILL
	ctrd_launch
	daemon=$(cat "$T/ctrd.pid")
	zygote=$(zygote_of "$daemon")
	[ -n "$zygote" ]
	daemon_down KILL
	wait_until 10 gone "$zygote"
	kill -0 "$mon"
	ctrd_launch
	[ "$(inspect_field zyg1 state)" = running ]
	run "$CTRCTL" exec zyg1 echo restored
	[ "$output" = restored ]
	"$CTRCTL" rm -f zyg1 >/dev/null
	# SIGTERM: the zygote goes too.
	zygote=$(zygote_of "$(cat "$T/ctrd.pid")")
	daemon_down TERM
	wait_until 10 gone "$zygote"
	ctrd_launch
}

# The zygote's heap in use after each start (its debug log), the last n.
zygote_heap() {
	grep -o 'zygote: [0-9]* bytes of heap in use' "$T/ctrd.log" | tail -n "$1" | cut -d' ' -f2
}

@test "zygote: monitors and inits run in its memory and leave nothing in its heap" {
	local zygote mon
	# Without malloc's per-thread cache, whose freed blocks count as in use,
	# the heap in use is exact: after a kind's first starts it must not move.
	daemon_down TERM
	GLIBC_TUNABLES=glibc.malloc.tcache_count=0 ctrd_launch
	mkdir -p "$T/heapvol"
	for kind in plain env failing user detached tty volumes exec execfail userns; do
		if [ "$kind" = userns ]; then
			daemon_down TERM
			GLIBC_TUNABLES=glibc.malloc.tcache_count=0 ctrd_launch --userns-range 400000:65536
		fi
		for i in $(seq 10 21); do
			case $kind in
			plain) "$CTRCTL" run --rm --name "heap$i" busybox true ;;
			env) "$CTRCTL" run --rm --name "heap$i" -e A=1 -e B=2 -w /made busybox sh -c ': $A' ;;
			failing) ! "$CTRCTL" run --rm --name "heap$i" busybox no-such-command 2>/dev/null ;;
			user) "$CTRCTL" run --rm --name "heap$i" -u 1000:1000 busybox true ;;
			detached) "$CTRCTL" run -d --name "heap$i" busybox sleep 100 >/dev/null
				"$CTRCTL" rm -f "heap$i" >/dev/null ;;
			tty) "$CTRCTL" run -d -t --name "heap$i" busybox sleep 100 >/dev/null
				"$CTRCTL" rm -f "heap$i" >/dev/null ;;
			volumes) "$CTRCTL" run --rm --name "heap$i" --read-only --tmpfs /scratch \
				-v "$T/heapvol:/vol" busybox sh -c 'touch /scratch/a /vol/a' ;;
			exec) [ "$i" -gt 10 ] || "$CTRCTL" run -d --name heapx busybox sleep 1000 >/dev/null
				"$CTRCTL" exec -e A=1 -w /tmp -u 1000:1000 heapx sh -c ': $A' ;;
			execfail) ! "$CTRCTL" exec heapx no-such-command 2>/dev/null ;;
			userns) "$CTRCTL" run --rm --name "heap$i" --userns busybox true ;;
			esac
		done
		run zygote_heap 8
		echo "$kind:" $output
		[ "${#lines[@]}" -eq 8 ]
		[ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq 1 ]
	done
	"$CTRCTL" rm -f heapx >/dev/null
	# The monitor it started is its child, and now ctrd-monitor.
	zygote=$(zygote_of "$(cat "$T/ctrd.pid")")
	"$CTRCTL" run -d --name heap1 busybox sleep 1000 >/dev/null
	mon=$(inspect_field heap1 monitor_pid)
	[ "$(ps -o ppid= -p "$mon" | tr -d ' ')" = "$zygote" ]
	[ "$(cat /proc/"$mon"/comm)" = ctrd-monitor ]
	[[ "$(readlink /proc/"$mon"/exe)" == */ctrd-monitor ]]
	"$CTRCTL" rm -f heap1 >/dev/null
	daemon_down TERM
	ctrd_launch
}

@test "zygote: an attached container's monitor stays in its memory, holds no fd, and records the exit" {
	local zygote mon client rc
	zygote=$(zygote_of "$(cat "$T/ctrd.pid")")
	"$CTRCTL" run --name stay1 -v "$VOL:/vol" busybox \
		sh -c 'while [ ! -e /vol/go ]; do sleep 0.05; done; exit 3' &
	client=$!
	wait_until 20 eval '[ "$(inspect_field stay1 state 2>/dev/null)" = running ]'
	mon=$(inspect_field stay1 monitor_pid)
	[ "$(ps -o ppid= -p "$mon" | tr -d ' ')" = "$zygote" ]
	[ "$(cat /proc/"$mon"/comm)" = ctrd-monitor ]
	# The zygote's memory, not ctrd-monitor's: one address space, seen from both.
	[ "$(readlink /proc/"$mon"/exe)" = "$(readlink /proc/"$zygote"/exe)" ]
	cmp /proc/"$mon"/maps /proc/"$zygote"/maps
	# Nothing held: not the client's stdio, no fd of the zygote's or the daemon's.
	[ -z "$(ls /proc/"$mon"/fd)" ]
	# A stray SIGTERM does not end it.
	kill -TERM "$mon"
	sleep 0.2
	kill -0 "$mon"
	# Meanwhile the zygote goes on with other starts, attached and detached.
	run "$CTRCTL" run --rm busybox sh -c 'exit 4'
	[ "$status" -eq 4 ]
	"$CTRCTL" run -d --name stay1d busybox sleep 1000 >/dev/null
	[[ "$(readlink /proc/"$(inspect_field stay1d monitor_pid)"/exe)" == */ctrd-monitor ]]
	"$CTRCTL" rm -f stay1d >/dev/null
	touch "$VOL/go"
	rc=0
	wait "$client" || rc=$?
	[ "$rc" -eq 3 ]
	wait_until 10 gone "$mon"
	[ "$(inspect_field stay1 state)" = exited ]
	[ "$(inspect_field stay1 exit_code)" = 3 ]
	"$CTRCTL" rm stay1 >/dev/null
}

@test "zygote: attached monitors side by side each report their own exit, and their stacks are reused" {
	local zygote i rc before
	local -a clients=()
	zygote=$(zygote_of "$(cat "$T/ctrd.pid")")
	# Started in turn, ending in the opposite order: six stay at once.
	for i in 1 2 3 4 5 6; do
		"$CTRCTL" run --rm busybox sh -c "sleep 0.$((7 - i))5; exit $i" &
		clients+=($!)
	done
	for i in 1 2 3 4 5 6; do
		rc=0
		wait "${clients[$((i - 1))]}" || rc=$?
		echo "client $i: $rc"
		[ "$rc" -eq "$i" ]
	done
	# Once all are gone, the next starts take a free stack, and map no more.
	"$CTRCTL" run --rm busybox true
	before=$(awk '/^VmSize/ { print $2 }' "/proc/$zygote/status")
	for i in $(seq 10); do
		"$CTRCTL" run --rm busybox true
	done
	[ "$(awk '/^VmSize/ { print $2 }' "/proc/$zygote/status")" -eq "$before" ]
	[ -z "$("$CTRCTL" ps -aq)" ]
}

@test "kill -9 of ctrd while an attached container runs: its monitor stays, and the next daemon gets the exit" {
	local zygote mon client
	"$CTRCTL" run --name stay2 -v "$VOL:/vol" busybox \
		sh -c 'while [ ! -e /vol/go ]; do sleep 0.05; done; exit 42' >/dev/null 2>&1 &
	client=$!
	wait_until 20 eval '[ "$(inspect_field stay2 state 2>/dev/null)" = running ]'
	mon=$(inspect_field stay2 monitor_pid)
	zygote=$(zygote_of "$(cat "$T/ctrd.pid")")
	daemon_down KILL
	# The zygote goes with the daemon; the monitor in its memory does not.
	wait_until 10 gone "$zygote"
	kill -0 "$mon"
	wait "$client" || true # its daemon went away
	ctrd_launch
	[ "$(inspect_field stay2 state)" = running ]
	touch "$VOL/go"
	run "$CTRCTL" wait stay2
	[ "$status" -eq 0 ] && [ "$output" = 42 ]
	wait_until 10 gone "$mon"
	"$CTRCTL" rm stay2 >/dev/null
}

@test "zygote: a monitor or init killed mid-start in its memory makes way for a new zygote" {
	local old new renewed
	for fp in init:setup monitor:setup; do
		launch_failing "$fp"
		old=$(zygote_of "$(cat "$T/ctrd.pid")")
		renewed=$(grep -c 'zygote: a new one runs as pid' "$T/ctrd.log" || true)
		run "$CTRCTL" run --rm busybox true
		echo "$fp: $status $output"
		[ "$status" -eq 125 ]
		if [ "$fp" = init:setup ]; then
			[[ "$output" == *"the init was killed during its setup"* ]]
		fi
		wait_until 10 eval "[ \$(grep -c 'zygote: a new one runs as pid' '$T/ctrd.log') -gt $renewed ]"
		grep -q 'a monitor or exec helper was killed mid-start in its memory; a new zygote takes over' "$T/ctrd.log"
		new=$(zygote_of "$(cat "$T/ctrd.pid")")
		[ -n "$new" ] && [ "$new" != "$old" ]
		refute kill -0 "$old" 2>/dev/null
	done
	daemon_down TERM
	ctrd_launch
	run "$CTRCTL" run --rm busybox echo fine
	[ "$status" -eq 0 ] && [ "$output" = fine ]
	# Nothing of the failed starts is left.
	[ -z "$("$CTRCTL" ps -aq)" ]
}

@test "zygote: an exec helper or its process killed mid-start in its memory makes way for a new zygote" {
	local old new renewed
	for fp in exec:setup exec:process; do
		launch_failing "$fp"
		"$CTRCTL" run -d --name fpx busybox sleep 1000 >/dev/null
		old=$(zygote_of "$(cat "$T/ctrd.pid")")
		renewed=$(grep -c 'zygote: a new one runs as pid' "$T/ctrd.log" || true)
		run "$CTRCTL" exec fpx true
		echo "$fp: $status $output"
		[ "$status" -eq 125 ]
		wait_until 10 eval "[ \$(grep -c 'zygote: a new one runs as pid' '$T/ctrd.log') -gt $renewed ]"
		grep -q 'a monitor or exec helper was killed mid-start in its memory; a new zygote takes over' "$T/ctrd.log"
		new=$(zygote_of "$(cat "$T/ctrd.pid")")
		[ -n "$new" ] && [ "$new" != "$old" ]
		refute kill -0 "$old" 2>/dev/null
		"$CTRCTL" rm -f fpx >/dev/null
	done
	daemon_down TERM
	ctrd_launch
	"$CTRCTL" run -d --name fpx busybox sleep 1000 >/dev/null
	run "$CTRCTL" exec fpx echo fine
	[ "$status" -eq 0 ] && [ "$output" = fine ]
	"$CTRCTL" rm -f fpx >/dev/null
}

@test "kill -9 at each step of run: afterwards the container is either complete or gone" {
	for fp in run:created run:forked run:started run:forked; do
		marker="crash-${fp#run:}"
		launch_failing "$fp"
		ls "$T/state/containers" >"$T/dirs.before"
		run "$CTRCTL" run -d --name "$marker" busybox sh -c "sleep 1000; : $marker"
		[ "$status" -ne 0 ]
		died_at "$fp"
		# What the dead daemon left, copied before the next one (quick: the
		# monitor may still be deciding) takes it over.
		rm -rf "$T/snap"
		cp -a "$T/state/containers" "$T/snap"
		ctrd_launch
		# The one new container directory is the attempt's.
		run comm -13 "$T/dirs.before" <(ls "$T/snap")
		[ "${#lines[@]}" -eq 1 ]
		id=${lines[0]}
		mon=$(recorded_monitor "$T/snap/$id/state.json")
		# The monitor either carries on as ctrd-monitor (the init runs: the start must be
		# completed), or gives up (the start failed: it must be rolled back).
		outcome=rolled-back
		if [ -n "$mon" ]; then
			wait_until 20 eval "gone $mon || [ \"\$(monitor_procs $id)\" = $mon ]"
			gone "$mon" || outcome=completed
		fi
		echo "# $fp: $outcome" >&3
		if [ $outcome = rolled-back ]; then
			# (Not an "exited" container that never ran: that would be half a state.)
			wait_until 20 eval '! "$CTRCTL" inspect "$id" >/dev/null 2>&1 ||
				[ "$(inspect_field "$id" state)" = exited ]'
			run "$CTRCTL" inspect "$id"
			[ "$status" -eq 1 ]
		fi
		if [ $outcome = completed ]; then
			[ "$(inspect_field "$id" state)" = running ]
			# Complete: listed with its init, usable, and then removable without a trace.
			pid=$(ps_pid "$marker")
			[ -n "$pid" ]
			[ "$(tr '\0' ' ' </proc/"$pid"/cmdline)" = "sh -c sleep 1000; : $marker " ]
			[ "$(monitor_procs "$id")" = "$(inspect_field "$marker" monitor_pid)" ]
			run "$CTRCTL" exec "$marker" cat /etc/hostname
			[ "$status" -eq 0 ]
			[ "$output" = "${id:0:12}" ]
			"$CTRCTL" rm -f "$marker" >/dev/null
		else
			grep -q "rolling back the interrupted start of ${id:0:12}" "$T/ctrd.log"
		fi
		assert_no_trace "$id" "$marker"
	done
	rm -rf "$T/snap"
}

@test "a start restored half done whose monitor then dies without an exit is rolled back" {
	# What run:forked leaves when the daemon dies before the monitor reported the
	# init: state "created", no init in state.json (the monitor's init file has it).
	id=$("$CTRCTL" run -d --name halfway busybox sh -c 'sleep 1000; : halfway')
	pid=$(ctr_pid halfway)
	mon=$(inspect_field halfway monitor_pid)
	daemon_down KILL
	state_edit "$T/state/containers/$id/state.json" -e 's/"state":"running"/"state":"created"/' \
		-e 's/"pid":[0-9]+,/"pid":null,/' -e 's/"started_at":"[^"]*"/"started_at":null/' \
		-e 's/"init":\{[^}]*\}/"init":null/'
	grep -q '"state":"created","pid":null,.*"init":null,"monitor":{"pid":'"$mon," \
		"$T/state/containers/$id/state.json"
	ctrd_launch
	# Completed from the init file.
	[ "$(ps_pid halfway)" = "$pid" ]
	# Then the monitor goes without recording an exit, as one that could not
	# report the init to the dead daemon does: the run failed, so it is undone.
	kill -KILL "$mon"
	wait_until 20 eval '! "$CTRCTL" inspect "$id" >/dev/null 2>&1 ||
		[ "$(inspect_field "$id" state)" = exited ]'
	run "$CTRCTL" inspect "$id"
	[ "$status" -eq 1 ]
	grep -q "rolling back the interrupted start of ${id:0:12}" "$T/ctrd.log"
	assert_no_trace "$id" ": halfway"
}

@test "kill -9 at each step of rm: the next daemon finishes the removal" {
	for fp in rm:renamed rm:cgroup; do
		marker="rm-${fp#rm:}"
		id=$("$CTRCTL" run -d --name "$marker" busybox sh -c "sleep 1000; : $marker")
		launch_failing "$fp"
		run "$CTRCTL" rm -f "$marker"
		[ "$status" -ne 0 ]
		died_at "$fp"
		[ -d "$T/state/containers/$id.removing" ]
		ctrd_launch
		grep -q "finishing the removal of ${id:0:12}" "$T/ctrd.log"
		assert_no_trace "$id" "$marker"
		# The name is free again.
		"$CTRCTL" run -d --name "$marker" --rootfs "$ROOTFS" true >/dev/null
		"$CTRCTL" wait "$marker" >/dev/null
		"$CTRCTL" rm "$marker" >/dev/null
	done
	# An exited container's rm, killed after the rename.
	id=$("$CTRCTL" run -d --name rm-exited --rootfs "$ROOTFS" sh -c ': rm-exited')
	"$CTRCTL" wait rm-exited >/dev/null
	launch_failing rm:renamed
	run "$CTRCTL" rm rm-exited
	[ "$status" -ne 0 ]
	died_at rm:renamed
	ctrd_launch
	assert_no_trace "$id" ": rm-exited"
}

# ---------------------------------------------------------------- corrupt state

@test "truncated and empty state files are quarantined with a log line; the others are restored" {
	"$CTRCTL" run -d --name keeper --rootfs "$ROOTFS" sh -c 'sleep 1000; :' >/dev/null
	"$CTRCTL" run -d --name done3 --rootfs "$ROOTFS" sh -c 'exit 3' >/dev/null
	trunc=$("$CTRCTL" run -d --name truncated --rootfs "$ROOTFS" true)
	empty=$("$CTRCTL" run -d --name empty --rootfs "$ROOTFS" true)
	"$CTRCTL" wait done3 truncated empty >/dev/null
	pid=$(ctr_pid keeper)
	daemon_down TERM
	f=$T/state/containers/$trunc/state.json
	truncate -s $(($(stat -c %s "$f") / 2)) "$f"
	: >"$T/state/containers/$empty/state.json"
	ctrd_launch

	for id in "$trunc" "$empty"; do
		[ -d "$T/state/containers/$id.corrupt" ]
		[ ! -e "$T/state/containers/$id" ]
		grep -q "container ${id:0:12}: .*moved to $T/state/containers/$id.corrupt" "$T/ctrd.log"
		run "$CTRCTL" inspect "$id"
		[ "$status" -eq 1 ]
		# Nothing ran in them: their groups went.
		[ -z "$(cgroup_dirs | grep "/$id\$")" ]
	done
	[ "$(ps_pid keeper)" = "$pid" ]
	[ "$(inspect_field done3 exit_code)" = 3 ]
	run "$CTRCTL" ps -a -q
	[ "${#lines[@]}" -eq 2 ]
	# The quarantined names are free, and the next daemon leaves the quarantine alone.
	"$CTRCTL" run -d --name truncated --rootfs "$ROOTFS" true >/dev/null
	n=$(grep -c "moved to" "$T/ctrd.log")
	daemon_down KILL
	ctrd_launch
	[ "$(grep -c "moved to" "$T/ctrd.log")" = "$n" ]
	[ -d "$T/state/containers/$trunc.corrupt" ]
	[ "$(ps_pid keeper)" = "$pid" ]
	"$CTRCTL" rm -f keeper done3 truncated >/dev/null
	rm -rf "$T/state/containers/$trunc.corrupt" "$T/state/containers/$empty.corrupt" \
		"$T/root/containers/$trunc" "$T/root/containers/$empty"
}

# ---------------------------------------------------------------- restart policies

# Host uptimes (seconds) at which a container with -v $VOL:/vol started, one a line.
starts() {
	vol starts
}

nstarts() {
	starts | wc -l
}

# A command that logs each start's time into the volume, then runs the rest.
start_logged() {
	echo "cut -d\" \" -f1 /proc/uptime >>/vol/starts; $1"
}

# Settled: exited and no restart pending (the status would be "restarting").
settled_exited() {
	[ "$(inspect_field "$1" state)" = exited ]
}

@test "restart no and on-failure: exit codes, retry count, and nothing more" {
	mkdir "$VOL/no" "$VOL/of" "$VOL/of0"
	"$CTRCTL" run -d --name pol-no --restart no --rootfs "$ROOTFS" -v "$VOL/no:/vol" \
		sh -c "$(start_logged 'exit 1')" >/dev/null
	"$CTRCTL" run -d --name pol-of --restart on-failure:2 --rootfs "$ROOTFS" -v "$VOL/of:/vol" \
		sh -c "$(start_logged 'exit 1')" >/dev/null
	"$CTRCTL" run -d --name pol-of0 --restart on-failure --rootfs "$ROOTFS" -v "$VOL/of0:/vol" \
		sh -c "$(start_logged 'exit 0')" >/dev/null
	wait_until 30 eval '[ "$(inspect_field pol-of restart_count)" = 2 ] && settled_exited pol-of'
	wait_until 10 settled_exited pol-no
	wait_until 10 settled_exited pol-of0
	[ "$(VOL=$VOL/of nstarts)" -eq 3 ]
	[ "$(inspect_field pol-of exit_code)" = 1 ]
	run "$CTRCTL" ps -a
	[[ "$output" == *"Exited (1)"* ]]
	[ "$(inspect_field pol-no restart_count)" = 0 ]
	[ "$(VOL=$VOL/no nstarts)" -eq 1 ]
	[ "$(inspect_field pol-no exit_code)" = 1 ]
	[ "$(inspect_field pol-of0 restart_count)" = 0 ]
	[ "$(VOL=$VOL/of0 nstarts)" -eq 1 ]
	[ "$(inspect_field pol-of0 exit_code)" = 0 ]
	# The count survives a daemon restart, and a restart does not reset the policy's budget.
	daemon_down KILL
	ctrd_launch
	[ "$(inspect_field pol-of restart_count)" = 2 ]
	settled_exited pol-of
	settled_exited pol-no
	settled_exited pol-of0
	[ "$(VOL=$VOL/of nstarts)" -eq 3 ]
	"$CTRCTL" rm pol-no pol-of pol-of0 >/dev/null
}

@test "restart always: exit 0 is restarted, with a growing back-off, and rm -f ends it" {
	"$CTRCTL" run -d --name pol-always --restart always --rootfs "$ROOTFS" -v "$VOL:/vol" \
		sh -c "$(start_logged ': pol-always; exit 0')" >/dev/null
	id=$(full_id pol-always)
	wait_until 30 eval '[ "$(nstarts)" -ge 5 ]'
	# Back-off from 100 ms, doubling: the k-th gap is at least 100 ms * 2^(k-1).
	run awk 'NR > 1 { gap = $1 - prev; min = 0.1 * 2 ^ (NR - 2) - 0.02
		if (gap < min) { print "gap " NR - 1 " is " gap " s, want >= " min; bad = 1 } }
		{ prev = $1 } END { exit bad }' <(starts | head -n 5)
	echo "$output"
	[ "$status" -eq 0 ]
	# rm -f while it waits for its next start.
	wait_until 30 eval '[ "$(inspect_field pol-always state)" = restarting ]'
	run "$CTRCTL" ps
	[[ "$output" == *pol-always* ]]
	run "$CTRCTL" rm -f pol-always
	[ "$status" -eq 0 ]
	n=$(nstarts)
	assert_no_trace "$id" ": pol-always"
	[ "$(nstarts)" -eq "$n" ]
}

@test "restart always: rm -f while it is running in its loop" {
	"$CTRCTL" run -d --name pol-loop --restart always --rootfs "$ROOTFS" -v "$VOL:/vol" \
		sh -c "$(start_logged 'sleep 1; : pol-loop; exit 1')" >/dev/null
	id=$(full_id pol-loop)
	wait_until 30 eval '[ "$(nstarts)" -ge 2 ] && [ "$(inspect_field pol-loop state)" = running ]'
	run "$CTRCTL" rm -f pol-loop
	[ "$status" -eq 0 ]
	n=$(nstarts)
	assert_no_trace "$id" ": pol-loop"
	[ "$(nstarts)" -eq "$n" ]
}

@test "restart always and unless-stopped: an explicit stop holds, also across a daemon restart for unless-stopped" {
	mkdir "$VOL/a" "$VOL/u"
	"$CTRCTL" run -d --name pol-a --restart always --rootfs "$ROOTFS" -v "$VOL/a:/vol" \
		sh -c "$(start_logged 'sleep 1000; :')" >/dev/null
	"$CTRCTL" run -d --name pol-u --restart unless-stopped --rootfs "$ROOTFS" -v "$VOL/u:/vol" \
		sh -c "$(start_logged 'sleep 1000; :')" >/dev/null
	wait_until 20 eval '[ "$(VOL=$VOL/a nstarts)" = 1 ] && [ "$(VOL=$VOL/u nstarts)" = 1 ]'
	run "$CTRCTL" stop -t 1 pol-a pol-u
	[ "$status" -eq 0 ]
	settled_exited pol-a
	settled_exited pol-u
	[ "$(inspect_field pol-a restart_count)" = 0 ]
	[ "$(inspect_field pol-u restart_count)" = 0 ]
	# A kill -s KILL is a stop too.
	"$CTRCTL" run -d --name pol-k --restart unless-stopped --rootfs "$ROOTFS" sh -c 'sleep 1000; :' >/dev/null
	"$CTRCTL" kill pol-k >/dev/null
	wait_until 20 eval '[ "$(inspect_field pol-k exit_code 2>/dev/null)" = 137 ]'
	settled_exited pol-k
	# The next daemon: always comes back (as in docker), unless-stopped stays stopped.
	daemon_down TERM
	ctrd_launch
	wait_until 20 eval '[ "$(inspect_field pol-a state)" = running ] && [ "$(VOL=$VOL/a nstarts)" -ge 2 ]'
	[ "$(VOL=$VOL/a nstarts)" -eq 2 ]
	settled_exited pol-u
	settled_exited pol-k
	[ "$(VOL=$VOL/u nstarts)" -eq 1 ]
	"$CTRCTL" rm -f pol-a pol-u pol-k >/dev/null
}

@test "restart always: a container that exited while ctrd was down is started again" {
	# The first run waits for a go and exits 3; later runs stay up.
	"$CTRCTL" run -d --name pol-boot --restart always --rootfs "$ROOTFS" -v "$VOL:/vol" \
		sh -c "$(start_logged 'if [ "$(wc -l </vol/starts)" -eq 1 ]; then
			while [ ! -e /vol/go ]; do sleep 0.05; done; exit 3; fi; sleep 1000; :')" >/dev/null
	"$CTRCTL" run -d --name pol-bootno --restart no --rootfs "$ROOTFS" -v "$VOL:/vol" \
		sh -c 'while [ ! -e /vol/go ]; do sleep 0.05; done; exit 4' >/dev/null
	wait_until 20 eval '[ "$(nstarts)" = 1 ]'
	mon=$(inspect_field pol-boot monitor_pid)
	mon_no=$(inspect_field pol-bootno monitor_pid)
	daemon_down KILL
	touch "$VOL/go"
	wait_until 20 eval "! kill -0 $mon 2>/dev/null && ! kill -0 $mon_no 2>/dev/null"
	[ "$(nstarts)" = 1 ]
	ctrd_launch
	wait_until 20 eval '[ "$(inspect_field pol-boot state)" = running ] && [ "$(nstarts)" -ge 2 ]'
	[ "$(nstarts)" = 2 ]
	[ "$(inspect_field pol-boot restart_count)" = 1 ]
	settled_exited pol-bootno
	[ "$(inspect_field pol-bootno exit_code)" = 4 ]
	"$CTRCTL" rm -f pol-boot pol-bootno >/dev/null
}
