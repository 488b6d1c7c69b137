#!/usr/bin/env bats
# ctrd itself: flags, its socket, who may connect, signals, and containers
# that outlive it.

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

@test "--help and --version" {
	run "$CTRD" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--state-dir DIR"* ]]
	run "$CTRD" --version
	[[ "$output" =~ ^ctrd\ [0-9]+\.[0-9]+ ]]
	run "$CTRD" --no-such-flag
	[ "$status" -eq 2 ]
	run "$CTRD" --log-level loud
	[ "$status" -eq 2 ]
}

@test "the socket is 0600 without a ctrd group, and the directories exist" {
	getent group ctrd >/dev/null && skip "this machine has a ctrd group"
	[ "$(stat -c %a "$CTRD_SOCKET")" = 600 ]
	[ -d "$T/state/containers" ]
	[ -d "$T/root/containers" ]
}

@test "a second daemon on the same socket is refused" {
	run "$CTRD" --socket "$CTRD_SOCKET" --state-dir "$T/state2" --root "$T/root2" \
		--cgroup-parent "$(cgroup_parent)"
	[ "$status" -eq 1 ]
	[[ "$output" == *"another ctrd is listening on $CTRD_SOCKET"* ]]
	run "$CTRCTL" version
	[ "$status" -eq 0 ]
}

@test "a symlink at the socket path is refused; a stale socket is replaced" {
	ln -s /etc/passwd "$T/link.sock"
	run "$CTRD" --socket "$T/link.sock" --state-dir "$T/s3" --root "$T/r3" \
		--cgroup-parent "$(cgroup_parent)"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is a symbolic link; refusing to use it"* ]]
	[ -L "$T/link.sock" ]
	# A socket file nobody listens on, as a crashed daemon leaves it.
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/stale.sock"
	# (The file's cgroup parent: never the system's default group.)
	"$CTRD" --socket "$T/stale.sock" --state-dir "$T/s4" --root "$T/r4" \
		--cgroup-parent "$(cgroup_parent)" 2>"$T/stale.log" &
	pid=$!
	wait_until 10 eval 'CTRD_SOCKET=$T/stale.sock "$CTRCTL" version >/dev/null 2>&1'
	kill -TERM $pid
	wait $pid
	grep -q "removed stale socket" "$T/stale.log"
	[ ! -e "$T/stale.sock" ]
}

@test "a peer that is neither root nor in group ctrd is refused and logged" {
	getent group ctrd >/dev/null && skip "this machine has a ctrd group"
	chmod 0711 "$T"
	chmod 0666 "$CTRD_SOCKET" # as if the mode were wrong: the peer check still holds
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$CTRCTL" version
	chmod 0600 "$CTRD_SOCKET"
	chmod 0700 "$T"
	[ "$status" -eq 1 ]
	[[ "$output" == *"permission denied"* ]]
	grep -q "refused client pid [0-9]* uid 65534" "$T/ctrd.log"
}

@test "a client killed while reading costs the daemon nothing (SIGPIPE)" {
	"$CTRCTL" run -d --name chatter --rootfs "$ROOTFS" sh -c 'i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done; sleep 1000' >/dev/null
	wait_until 10 eval '[ "$("$CTRCTL" logs chatter | wc -l)" -ge 3000 ]'
	for _ in 1 2 3; do
		"$CTRCTL" logs chatter | head -n 1 >/dev/null
	done
	kill -0 "$(cat "$T/ctrd.pid")"
	run "$CTRCTL" version
	[ "$status" -eq 0 ]
	"$CTRCTL" rm -f chatter
}

# Stops the file's daemon and starts one that is this test's child, so its exit status can be waited for.
own_daemon() {
	local old
	old=$(cat "$T/ctrd.pid")
	kill -TERM "$old"
	wait_until 10 eval "! kill -0 $old 2>/dev/null"
	ctrd_launch
}

@test "SIGTERM: the daemon exits 0, containers keep running, a new daemon finds them" {
	own_daemon
	"$CTRCTL" run -d --name survivor --rootfs "$ROOTFS" sleep 1000 >/dev/null
	"$CTRCTL" run -d --name short --rootfs "$ROOTFS" sh -c 'sleep 1; exit 42' >/dev/null
	pid=$(ctr_pid survivor)
	daemon=$(cat "$T/ctrd.pid")
	kill -TERM "$daemon"
	status=0
	wait "$daemon" || status=$?
	[ "$status" -eq 0 ]
	[ ! -e "$CTRD_SOCKET" ]
	kill -0 "$pid"
	# "short" exits while no daemon runs; its code must not be lost.
	wait_until 10 eval '! pgrep -f "sh -c sleep 1; exit 42" >/dev/null'
	ctrd_launch
	[ "$(ctr_pid survivor)" = "$pid" ]
	[ "$(inspect_field survivor state)" = running ]
	[ "$(inspect_field short state)" = exited ]
	[ "$(inspect_field short exit_code)" = 42 ]
	run "$CTRCTL" stop -t 1 survivor
	[ "$status" -eq 0 ]
	[ "$(inspect_field survivor exit_code)" = 137 ]
	"$CTRCTL" rm survivor short
}

@test "kill -9 of the daemon: containers survive, their exit codes are kept" {
	own_daemon
	"$CTRCTL" run -d --name survivor2 --rootfs "$ROOTFS" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done' >/dev/null
	pid=$(ctr_pid survivor2)
	kill -KILL "$CTRD_PID"
	wait "$CTRD_PID" 2>/dev/null || true
	kill -0 "$pid"
	ctrd_launch
	[ "$(ctr_pid survivor2)" = "$pid" ]
	run "$CTRCTL" stop survivor2
	[ "$status" -eq 0 ]
	[ "$(inspect_field survivor2 exit_code)" = 7 ]
	"$CTRCTL" rm survivor2
}

@test "a corrupt state file is quarantined, not fatal" {
	own_daemon
	id=$("$CTRCTL" run -d --name fragile --rootfs "$ROOTFS" true)
	"$CTRCTL" wait fragile
	kill -TERM "$CTRD_PID"
	wait "$CTRD_PID"
	echo '{"truncated' >"$T/state/containers/$id/state.json"
	ctrd_launch
	run "$CTRCTL" inspect fragile
	[ "$status" -eq 1 ]
	[ -d "$T/state/containers/$id.corrupt" ]
	grep -q "container ${id:0:12}: .*moved to" "$T/ctrd.log"
	rm -rf "$T/state/containers/$id.corrupt"
}
