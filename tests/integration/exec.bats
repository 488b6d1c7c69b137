#!/usr/bin/env bats
# ctrctl exec: a process in a running container's namespaces, with its
# stdio, exit codes, options and detached form, seen by inspect; and no
# leaks in the daemon after many execs.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	require_root
	ctrd_start
	# One long-lived container for most tests; each test cleans up after itself.
	"$CTRCTL" run -d --name box --hostname box.example busybox sleep 100000 >/dev/null
}

teardown_file() {
	ctrd_stop
}

teardown() {
	[ "${BATS_TEST_COMPLETED:-}" = 1 ] || dump_log
}

# The "execs" list of a container as "pid command..." lines.
exec_list() {
	"$CTRCTL" inspect -f execs "$1" | python3 -c 'import json, sys
for e in json.load(sys.stdin) or []:
    print(e["pid"], " ".join(e["command"]))'
}

# How many of the daemon's children are zombies.
daemon_zombies() {
	ps --ppid "$(cat "$T/ctrd.pid")" -o stat= | grep -c '^Z' || true
}

daemon_fds() {
	ls "/proc/$(cat "$T/ctrd.pid")/fd" | wc -l
}

@test "exec joins every namespace of the container's init" {
	init=$(ctr_pid box)
	[ -n "$init" ]
	run "$CTRCTL" exec box probe ns self
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 6 ]
	for line in "${lines[@]}"; do
		type=${line%% *}
		link=${line#* }
		echo "$type: exec $link init $(readlink "/proc/$init/ns/$type")"
		[ "$link" = "$(readlink "/proc/$init/ns/$type")" ]
	done
	# Seen from the host too: a detached exec's host PID has the init's namespaces.
	"$CTRCTL" exec -d box sleep 4242
	wait_until 10 eval 'exec_list box | grep -q "sleep 4242"'
	pid=$(exec_list box | awk '/sleep 4242/ {print $1}')
	for ns in cgroup ipc mnt net pid user uts; do
		[ "$(readlink "/proc/$pid/ns/$ns")" = "$(readlink "/proc/$init/ns/$ns")" ]
	done
	kill "$pid"
	wait_until 10 eval '! exec_list box | grep -q "sleep 4242"'
}

@test "exec sees the container's processes, with the init as PID 1, and its host name" {
	run "$CTRCTL" exec box ps
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "${lines[1]}" =~ ^\ +1\ +root\ +sleep\ 100000$ ]]
	# sleep, ps, and nothing of the host's.
	[ "${#lines[@]}" -eq 3 ]
	run "$CTRCTL" exec box sh -c 'echo $$; hostname; cat /etc/hostname'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -ne 1 ]
	[ "${lines[1]}" = box.example ]
	[ "${lines[2]}" = box.example ]
}

@test "exec exits with the process's code; 126 and 127 when it cannot run" {
	run "$CTRCTL" exec box true
	[ "$status" -eq 0 ]
	run "$CTRCTL" exec box probe exit 3
	[ "$status" -eq 3 ]
	run "$CTRCTL" exec box sh -c 'kill -USR1 $$'
	[ "$status" -eq $((128 + 10)) ]
	run -127 "$CTRCTL" exec box no-such-command
	[ "$output" = 'ctrctl: no-such-command: executable file not found in $PATH' ]
	run -126 "$CTRCTL" exec box /etc/passwd
	[[ "$output" == "ctrctl: "*"Permission denied"* ]]
	# The container is unaffected.
	[ "$(inspect_field box state)" = running ]
}

@test "exec passes stdin with -i only, and keeps stdout and stderr apart" {
	run bash -c "echo data | '$CTRCTL' exec -i box probe cat"
	[ "$status" -eq 0 ]
	[ "$output" = data ]
	run bash -c "echo data | '$CTRCTL' exec box probe cat"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	"$CTRCTL" exec box sh -c 'echo out; echo err >&2' >"$T/out" 2>"$T/err"
	[ "$(cat "$T/out")" = out ]
	[ "$(cat "$T/err")" = err ]
	run "$CTRCTL" exec box probe fds
	[ "$(echo $output)" = "0 1 2" ]
}

@test "exec -e, -w and -u apply" {
	run "$CTRCTL" exec -e FOO=bar --env BAZ=qux -w /tmp box sh -c 'echo $FOO $BAZ $PWD'
	[ "$status" -eq 0 ]
	[ "$output" = "bar qux /tmp" ]
	export FROM_CALLER=passed
	run "$CTRCTL" exec -e FROM_CALLER -e UNSET_IN_CALLER box sh -c 'echo $FROM_CALLER ${UNSET_IN_CALLER-unset}'
	[ "$output" = "passed unset" ]
	run "$CTRCTL" exec --workdir /etc box pwd
	[ "$output" = /etc ]
	run "$CTRCTL" exec -u user box probe ids
	[ "$(echo $output)" = "uid 1000 gid 1000 groups 100" ]
	run "$CTRCTL" exec --user 1234:5 box probe ids
	[ "$(echo $output)" = "uid 1234 gid 5 groups" ]
	run "$CTRCTL" exec -u nosuchuser box true
	[ "$status" -eq 125 ]
	[[ "$output" == *nosuchuser* ]]
}

@test "exec -d prints the exec id at once and the process runs" {
	start=$SECONDS
	run "$CTRCTL" exec -d box sh -c 'sleep 3131'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{12}$ ]]
	[ $((SECONDS - start)) -lt 5 ]
	wait_until 10 eval '"$CTRCTL" exec box ps | grep -q "sleep 3131"'
	pid=$(exec_list box | awk '/sleep 3131/ {print $1}')
	[ -n "$pid" ]
	kill "$pid"
	wait_until 10 eval '! "$CTRCTL" exec box ps | grep -q "sleep 3131"'
	# -t needs an attached session.
	run "$CTRCTL" exec -d -t box true
	[ "$status" -eq 125 ]
}

@test "inspect lists a running exec with its host PID, and not once it has ended" {
	"$CTRCTL" exec box sleep 2727 &
	client=$!
	wait_until 10 eval 'exec_list box | grep -q "sleep 2727"'
	pid=$(exec_list box | awk '/sleep 2727/ {print $1}')
	[ "$(tr '\0' ' ' </proc/$pid/cmdline)" = "sleep 2727 " ]
	run "$CTRCTL" inspect -f execs box
	[[ "$output" == *"\"pid\":$pid"* ]]
	kill -TERM "$pid"
	status=0
	wait $client || status=$?
	[ "$status" -eq 143 ]
	wait_until 10 eval '! exec_list box | grep -q "sleep 2727"'
}

@test "exec into an exited or unknown container fails with 125" {
	"$CTRCTL" run --name gone busybox true
	run "$CTRCTL" exec gone true
	[ "$status" -eq 125 ]
	[[ "$output" == "ctrctl: "*"is not running"* ]]
	run "$CTRCTL" exec -d gone true
	[ "$status" -eq 125 ]
	[[ "$output" == *"is not running"* ]]
	"$CTRCTL" rm gone
	run "$CTRCTL" exec no-such-container true
	[ "$status" -eq 125 ]
	[ "$output" = "ctrctl: no such container: no-such-container" ]
}

@test "exec usage errors exit 125; --help lists the options" {
	run "$CTRCTL" exec box
	[ "$status" -eq 125 ]
	[[ "$output" == *'"exec" requires a container and a command'* ]]
	run "$CTRCTL" exec --no-such-flag box true
	[ "$status" -eq 125 ]
	run "$CTRCTL" exec --help
	[ "$status" -eq 0 ]
	for flag in --detach --interactive --tty --env --workdir --user; do
		[[ "$output" == *"$flag"* ]]
	done
}

@test "run and exec refuse arguments that are not UTF-8 instead of dropping them" {
	before=$("$CTRCTL" ps -aq | wc -l)
	run "$CTRCTL" run --rm busybox echo $'caf\xe9'
	[ "$status" -eq 125 ]
	[[ "$output" == *"is not valid UTF-8"* ]]
	run "$CTRCTL" exec box echo $'\xff'
	[ "$status" -eq 125 ]
	[[ "$output" == *"is not valid UTF-8"* ]]
	run "$CTRCTL" exec -e $'K=\xff' box true
	[ "$status" -eq 125 ]
	[ "$("$CTRCTL" ps -aq | wc -l)" -eq "$before" ]
}

@test "200 execs leave no zombie and no open fd in the daemon" {
	"$CTRCTL" exec box true
	fds_before=$(daemon_fds)
	for i in $(seq 200); do
		case $((i % 4)) in
		0) "$CTRCTL" exec box true ;;
		1) echo in | "$CTRCTL" exec -i box probe cat >/dev/null ;;
		2) run -127 "$CTRCTL" exec box no-such-command ;;
		3) run -3 "$CTRCTL" exec box probe exit 3 ;;
		esac
	done
	wait_until 10 eval '[ "$(daemon_zombies)" -eq 0 ]'
	wait_until 10 eval '[ "$(daemon_fds)" -le "$fds_before" ]' || {
		echo "fds before $fds_before, now $(daemon_fds)"
		ls -l "/proc/$(cat "$T/ctrd.pid")/fd"
		false
	}
	[ -z "$(exec_list box)" ]
	[ "$(inspect_field box state)" = running ]
}

@test "no container, exec or monitor is left behind" {
	"$CTRCTL" rm -f box
	[ -z "$("$CTRCTL" ps -aq)" ]
	[ -z "$(ls "$T/state/containers")" ]
	[ "$(daemon_zombies)" -eq 0 ]
}
