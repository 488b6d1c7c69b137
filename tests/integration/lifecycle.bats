#!/usr/bin/env bats
# The container life cycle through ctrctl: isolation seen from inside and
# outside, stdio and exit codes, and the verbs run/ps/inspect/stop/kill/rm/
# wait/logs.

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
	[ "${BATS_TEST_COMPLETED:-}" = 1 ] || dump_log
}

@test "the command runs as PID 1" {
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" sh -c 'echo $$'
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "the host name is the short id by default, --hostname sets it, the host's is unchanged" {
	before=$(hostname)
	run "$CTRCTL" run --rootfs "$ROOTFS" -d sleep 1000
	[ "$status" -eq 0 ]
	id=$output
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" --hostname box.example hostname
	[ "$output" = box.example ]
	pid=$(ctr_pid "$id")
	[ "$(nsenter -t "$pid" -u hostname)" = "${id:0:12}" ]
	[ "$(hostname)" = "$before" ]
	"$CTRCTL" rm -f "$id"
}

@test "pid, mnt, uts, ipc, net and cgroup namespaces all differ from the host's" {
	run "$CTRCTL" run -d --name ns-check --rootfs "$ROOTFS" sleep 1000
	[ "$status" -eq 0 ]
	pid=$(ctr_pid ns-check)
	for ns in pid mnt uts ipc net cgroup; do
		host=$(readlink "/proc/self/ns/$ns")
		ctr=$(readlink "/proc/$pid/ns/$ns")
		echo "$ns: host $host container $ctr"
		[ -n "$ctr" ] && [ "$host" != "$ctr" ]
	done
	# The user namespace is shared unless asked for.
	[ "$(readlink /proc/self/ns/user)" = "$(readlink /proc/$pid/ns/user)" ]
	"$CTRCTL" rm -f ns-check
}

@test "the PID that ps shows is the container's init, and nsenter -a -t PID enters it" {
	"$CTRCTL" run -d --name init-check --hostname inside --rootfs "$ROOTFS" sleep 1001
	pid=$("$CTRCTL" ps --json | python3 -c 'import json,sys
print([c["pid"] for c in json.load(sys.stdin) if c["name"] == "init-check"][0])')
	[ "$pid" = "$(ctr_pid init-check)" ]
	[ "$(tr '\0' ' ' </proc/$pid/cmdline)" = "sleep 1001 " ]
	# What the classic article does by hand: join every namespace of the init.
	[ "$(nsenter -a -t "$pid" hostname)" = inside ]
	[ "$(nsenter -a -t "$pid" sh -c 'cat /proc/1/cmdline | tr "\0" " "')" = "sleep 1001 " ]
	"$CTRCTL" rm -f init-check
}

@test "the root file system is / and host paths are invisible" {
	touch "$ROOTFS/marker-in-rootfs"
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" sh -c "ls /marker-in-rootfs && ls $T"
	rm -f "$ROOTFS/marker-in-rootfs"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = /marker-in-rootfs ]
	[[ "$output" == *"No such file or directory"* ]]
}

@test "/proc shows only the container's processes" {
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; ls -d /proc/[0-9]* | wc -l'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "sh -c cat /proc/1/cmdline"* ]]
	# sh, and at most the pipeline it is running: never the host's hundreds.
	[ "${lines[1]}" -le 4 ]
	[ "$(ls -d /proc/[0-9]* | wc -l)" -gt 10 ]
}

@test "/dev holds only the minimal nodes, /sys is read-only, lo is up" {
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" ls /dev
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero" ]
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" sh -c 'echo x > /dev/null && head -c 4 /dev/zero | wc -c'
	[ "$output" = 4 ]
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" touch /sys/x
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" sh -c 'ip -o link | cut -d: -f2'
	[ "$(echo $output)" = lo ]
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" ping -c1 -W2 127.0.0.1
	[ "$status" -eq 0 ]
}

@test "--network host shares the host's interfaces and resolver; /etc files are generated" {
	run "$CTRCTL" run --rm --network host --rootfs "$ROOTFS" sh -c 'ip -o link | wc -l; touch /sys/x'
	[ "${lines[0]}" -eq "$(ip -o link | wc -l)" ]
	[[ "$output" == *"Read-only file system"* ]]
	run "$CTRCTL" run --rm --network host --rootfs "$ROOTFS" cat /etc/resolv.conf
	[ "$output" = "$(cat /etc/resolv.conf)" ]
	run "$CTRCTL" run --rm --hostname named --rootfs "$ROOTFS" sh -c 'cat /etc/hostname; grep named /etc/hosts'
	[ "${lines[0]}" = named ]
	[[ "${lines[1]}" == *named ]]
	# The image's own files are untouched.
	[ ! -s "$ROOTFS/etc/hostname" ]
}

@test "exit codes pass through" {
	for code in 0 1 3 42 255; do
		run "$CTRCTL" run --rm --rootfs "$ROOTFS" probe exit $code
		[ "$status" -eq $code ]
	done
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" sh -c 'exit 7'
	[ "$status" -eq 7 ]
}

@test "a container killed by a signal exits 128+N" {
	"$CTRCTL" run --name sig-victim --rootfs "$ROOTFS" sleep 1000 &
	client=$!
	wait_until 10 eval '[ -n "$(ctr_pid sig-victim 2>/dev/null)" ]'
	"$CTRCTL" kill -s KILL sig-victim
	status=0
	wait $client || status=$?
	[ "$status" -eq 137 ]
	[ "$(inspect_field sig-victim signal)" = 9 ]
	[ "$(inspect_field sig-victim exit_code)" = 137 ]
	"$CTRCTL" rm sig-victim
}

@test "a command that is not found exits 127, one that cannot run 126" {
	run -127 "$CTRCTL" run --rm --rootfs "$ROOTFS" no-such-command
	[ "$status" -eq 127 ]
	[ "$output" = 'ctrctl: start container: no-such-command: executable file not found in $PATH' ] ||
		[[ "$output" == *"no-such-command: executable file not found in \$PATH"* ]]
	run -127 "$CTRCTL" run --rm --rootfs "$ROOTFS" /no/such/file
	[ "$status" -eq 127 ]
	[[ "$output" == *"/no/such/file: No such file or directory"* ]]
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" /etc/passwd
	[ "$status" -eq 126 ]
	[[ "$output" == *"Permission denied"* ]]
	# A failed start leaves nothing behind.
	[ -z "$("$CTRCTL" ps -aq)" ]
	[ -z "$(ls "$T/state/containers")" ]
}

@test "setup failures name the step and leave no state" {
	before=$(ls "$T/state/containers" | wc -l)
	run "$CTRCTL" run --rm --rootfs "$T/does-not-exist" true
	[ "$status" -eq 125 ]
	[[ "$output" == "ctrctl: params.rootfs: $T/does-not-exist: No such file or directory" ]]
	mkdir -p "$T/badroot" && ln -s /proc "$T/badroot/proc"
	run "$CTRCTL" run --rm --rootfs "$T/badroot" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"/proc in the root file system is a symbolic link"* ]]
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" -u nosuchuser true
	[ "$status" -eq 125 ]
	[[ "$output" == *'user "nosuchuser" not found'* ]]
	[ "$(ls "$T/state/containers" | wc -l)" -eq "$before" ]
}

@test "stdin, stdout and stderr are the client's" {
	run bash -c "echo hello | '$CTRCTL' run -i --rm --rootfs '$ROOTFS' probe cat"
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	# Without -i, stdin is /dev/null.
	run bash -c "echo hello | '$CTRCTL' run --rm --rootfs '$ROOTFS' probe cat"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	"$CTRCTL" run --rm --rootfs "$ROOTFS" sh -c 'echo out; echo err >&2' >"$T/out" 2>"$T/err"
	[ "$(cat "$T/out")" = out ]
	[ "$(cat "$T/err")" = err ]
}

@test "only fds 0, 1 and 2 are open in the container" {
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" probe fds
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "0 1 2" ]
}

@test "env, working directory and user apply" {
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" -e FOO=bar -e PATH=/bin -w /tmp sh -c 'echo $FOO $PATH $PWD $HOME $HOSTNAME'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^"bar /bin /tmp /root "[0-9a-f]{12}$ ]]
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" -u user probe ids
	[ "$(echo $output)" = "uid 1000 gid 1000 groups 100" ]
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" -u 1234:5 probe ids
	[ "$(echo $output)" = "uid 1234 gid 5 groups" ]
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" -w /new/dir pwd
	[ "$output" = /new/dir ]
	rmdir "$ROOTFS/new/dir" "$ROOTFS/new"
}

@test "volumes, tmpfs and --read-only" {
	mkdir -p "$T/vol"
	echo data >"$T/vol/file"
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" -v "$T/vol:/data:ro" sh -c 'cat /data/file; touch /data/new'
	[ "${lines[0]}" = data ]
	[[ "$output" == *"Read-only file system"* ]]
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" -v "$T/vol:/data" sh -c 'echo more > /data/new'
	[ "$status" -eq 0 ]
	[ "$(cat "$T/vol/new")" = more ]
	run "$CTRCTL" run --rm --rootfs "$ROOTFS" --read-only --tmpfs /scratch sh -c 'touch /scratch/ok && touch /nope'
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nope: Read-only file system"* ]]
	[ ! -e "$ROOTFS/nope" ]
}

@test "detached: run prints the id, ps lists it, logs keeps stdout and stderr apart" {
	run "$CTRCTL" run -d --name chatty --rootfs "$ROOTFS" sh -c 'echo to-out; echo to-err >&2; exec sleep 1000'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	id=$output
	run "$CTRCTL" ps
	[[ "$output" == *"${id:0:12}"*chatty*"Up "* ]]
	run "$CTRCTL" ps -q
	[[ "$output" == *"${id:0:12}"* ]]
	[[ "$output" != *"${id:0:13}"* ]]
	run "$CTRCTL" ps -q --no-trunc
	[[ "$output" == *"$id"* ]]
	run "$CTRCTL" ps --no-trunc
	[[ "$output" == *"$id"*chatty*'"sh -c echo to-out; echo to-err >&2; exec sleep 1000"'* ]]
	run "$CTRCTL" ps
	[[ "$output" == *'"sh -c echo to-out; echo to-er…"'* ]]
	wait_until 10 eval '[ -n "$("$CTRCTL" logs chatty 2>&1)" ]'
	"$CTRCTL" logs chatty >"$T/out" 2>"$T/err"
	[ "$(cat "$T/out")" = to-out ]
	[ "$(cat "$T/err")" = to-err ]
	run "$CTRCTL" logs --tail 1 chatty
	[ "$output" = to-err ]
	"$CTRCTL" logs -t chatty >"$T/out" 2>/dev/null
	[[ "$(cat "$T/out")" =~ ^20[0-9-]+T[0-9:.]+Z\ to-out$ ]]
	"$CTRCTL" rm -f chatty
}

@test "logs --follow streams until the container exits" {
	"$CTRCTL" run -d --name follow-me --rootfs "$ROOTFS" sh -c 'for i in 1 2 3; do echo line$i; sleep 0.2; done'
	run "$CTRCTL" logs -f follow-me
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "line1 line2 line3" ]
	"$CTRCTL" rm follow-me
}

@test "stop sends TERM and returns once the container has exited" {
	"$CTRCTL" run -d --name polite --rootfs "$ROOTFS" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	start=$SECONDS
	run "$CTRCTL" stop polite
	[ "$status" -eq 0 ]
	[ "$output" = polite ]
	[ $((SECONDS - start)) -lt 5 ]
	[ "$(inspect_field polite state)" = exited ]
	[ "$(inspect_field polite exit_code)" = 0 ]
	"$CTRCTL" rm polite
}

@test "stop sends KILL after the timeout when TERM is ignored" {
	# sleep as PID 1 has no TERM handler, so the kernel drops TERM.
	"$CTRCTL" run -d --name stubborn --rootfs "$ROOTFS" sleep 1000
	run "$CTRCTL" stop -t 1 stubborn
	[ "$status" -eq 0 ]
	[ "$(inspect_field stubborn exit_code)" = 137 ]
	"$CTRCTL" rm stubborn
}

@test "kill delivers the signal; kill of a stopped container is an error" {
	"$CTRCTL" run -d --name usr1 --rootfs "$ROOTFS" sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done'
	wait_until 10 eval '"$CTRCTL" logs usr1 >/dev/null'
	sleep 0.3 # let the shell install its trap before it can receive the signal
	run "$CTRCTL" kill -s USR1 usr1
	[ "$status" -eq 0 ]
	run "$CTRCTL" wait usr1
	[ "$output" = 42 ]
	run "$CTRCTL" kill usr1
	[ "$status" -eq 1 ]
	[ "$output" = "ctrctl: container usr1 is not running" ]
	run "$CTRCTL" kill -s NOSUCH usr1
	[ "$status" -eq 125 ]
	"$CTRCTL" rm usr1
}

@test "wait blocks until exit and prints the code" {
	"$CTRCTL" run -d --name waiter --rootfs "$ROOTFS" sh -c 'sleep 0.5; exit 5'
	run "$CTRCTL" wait waiter
	[ "$status" -eq 0 ]
	[ "$output" = 5 ]
	run "$CTRCTL" wait waiter
	[ "$output" = 5 ]
	"$CTRCTL" rm waiter
}

@test "rm refuses a running container; rm -f kills and removes it with its state" {
	id=$("$CTRCTL" run -d --name doomed --rootfs "$ROOTFS" sleep 1000)
	pid=$(ctr_pid doomed)
	run "$CTRCTL" rm doomed
	[ "$status" -eq 1 ]
	[[ "$output" == *"is running"* ]]
	run "$CTRCTL" rm -f doomed
	[ "$status" -eq 0 ]
	[ "$output" = doomed ]
	[ ! -e "$T/state/containers/$id" ]
	[ ! -e "$T/root/containers/$id.log" ]
	refute kill -0 "$pid" 2>/dev/null
	run "$CTRCTL" inspect doomed
	[ "$status" -eq 1 ]
	[ "$output" = "ctrctl: no such container: doomed" ]
}

@test "--rm removes the container when it exits" {
	run "$CTRCTL" run --rm --name ephemeral --rootfs "$ROOTFS" true
	[ "$status" -eq 0 ]
	run "$CTRCTL" inspect ephemeral
	[ "$status" -eq 1 ]
}

@test "names are unique; names, ids and unique id prefixes select containers" {
	id=$("$CTRCTL" run -d --name unique --rootfs "$ROOTFS" sleep 1000)
	run "$CTRCTL" run -d --name unique --rootfs "$ROOTFS" sleep 1000
	[ "$status" -eq 125 ]
	[[ "$output" == *'the name "unique" is already in use'* ]]
	[ "$(inspect_field "$id" name)" = unique ]
	[ "$(inspect_field "${id:0:12}" name)" = unique ]
	[ "$(inspect_field "${id:0:5}" name)" = unique ]
	[ "$("$CTRCTL" inspect -f '{{.Name}}' unique)" = unique ]
	[ "$("$CTRCTL" inspect -f config.network unique)" = none ]
	run "$CTRCTL" run -d --name 'bad name' --rootfs "$ROOTFS" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"not a valid name"* ]]
	"$CTRCTL" rm -f unique
}

@test "ctrctl run forwards SIGTERM to the container and exits with its code" {
	"$CTRCTL" run --name fwd --rootfs "$ROOTFS" sh -c 'trap "exit 33" TERM; while :; do sleep 0.1; done' &
	client=$!
	wait_until 10 eval '[ -n "$(ctr_pid fwd 2>/dev/null)" ]'
	sleep 0.3 # the trap is installed once the shell runs
	kill -TERM $client
	status=0
	wait $client || status=$?
	[ "$status" -eq 33 ]
	"$CTRCTL" rm fwd
}

@test "ctrctl reports usage errors with exit 125 and unknown containers with 1" {
	run "$CTRCTL" run --no-such-flag
	[ "$status" -eq 125 ]
	run "$CTRCTL" no-such-verb
	[ "$status" -eq 125 ]
	[[ "$output" == *'unknown command "no-such-verb"'* ]]
	run "$CTRCTL" stop nothing-here
	[ "$status" -eq 1 ]
	[ "$output" = "ctrctl: no such container: nothing-here" ]
	run "$CTRCTL" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: ctrctl"* ]]
	run "$CTRCTL" run --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--rootfs DIR"* ]]
}

@test "restarts that fail to start back off, even after a run of more than 10 s" {
	mkdir "$T/longrun-vol"
	"$CTRCTL" run -d --name longrun --restart always -v "$T/longrun-vol:/data" busybox sh -c 'sleep 11; exit 1'
	# Every restart now fails in setup, at the volume.
	rmdir "$T/longrun-vol"
	wait_until 30 eval '[ "$(inspect_field longrun restart_count)" -ge 1 ]'
	a=$(inspect_field longrun restart_count)
	sleep 3 # a measurement interval, not synchronisation
	b=$(inspect_field longrun restart_count)
	echo "restarts in 3 s: $((b - a))"
	# Doubling from 100 ms (200, 400, 800, 1600) is 4 tries in 3 s; a flat 100 ms, 10 or more.
	[ $((b - a)) -le 6 ]
	id=$(inspect_field longrun id)
	grep -q "${id:0:12}: start failed: .*volume source" "$T/ctrd.log"
	"$CTRCTL" rm -f longrun
}

@test "inspect shows how long the start took, step by step, up to the execve" {
	"$CTRCTL" run --name timed --rootfs "$ROOTFS" /bin/true
	local step prev=0 at
	# Each step ends at or after the one before, all after the request (0).
	for step in prepared monitor init cgroup mounts pivot exec running; do
		at=$(inspect_field timed "start_timing_us.$step")
		[[ "$at" =~ ^[0-9]+$ ]] || { echo "$step: '$at'"; return 1; }
		[ "$at" -ge "$prev" ] || { echo "$step ends at $at, before $prev"; return 1; }
		prev=$at
	done
	[ "$(inspect_field timed start_latency_us)" = "$(inspect_field timed start_timing_us.exec)" ]
	[ "$(inspect_field timed start_latency_us)" -gt 0 ]
	"$CTRCTL" rm timed
}

@test "no container process or monitor is left behind" {
	run "$CTRCTL" ps -aq
	for id in $output; do "$CTRCTL" rm -f "$id"; done
	run "$CTRCTL" ps -aq
	[ -z "$output" ]
	[ -z "$(ls "$T/state/containers")" ]
	[ -z "$(ls "$T/root/containers")" ]
}
