#!/usr/bin/env bats
# Resources: each container's own cgroup, its limits (read back from the
# cgroup files), OOM kills, a fork bomb, CPU quota, pause and update. Runs on
# whatever this host has (v1, hybrid or v2); `make check-vm` runs the v2
# checks on a pure cgroup v2 kernel.

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

# The first of the container's cgroup files named $2 (v1: any controller's, v2: the group's).
cg_file() {
	local id
	id=$(inspect_field "$1" id)
	ls /sys/fs/cgroup/"$(cgroup_parent)/$id/$2" /sys/fs/cgroup/*/"$(cgroup_parent)/$id/$2" 2>/dev/null | head -n 1
}

cg_read() {
	local f
	f=$(cg_file "$1" "$2")
	[ -n "$f" ] && cat "$f"
}

@test "limits are written to the container's cgroup before it runs" {
	"$CTRCTL" run -d --name limited -m 64m --cpus 0.5 --pids-limit 100 --cpuset-cpus 0 -c 512 busybox sleep 1000
	if [ -n "$(cg_file limited memory.max)" ]; then
		[ "$(cg_read limited memory.max)" = 67108864 ]
		[ "$(cg_read limited memory.swap.max)" = 67108864 ]
		[ "$(cg_read limited cpu.max)" = "50000 100000" ]
		[ "$(cg_read limited cpu.weight)" = 59 ]
	else
		[ "$(cg_read limited memory.limit_in_bytes)" = 67108864 ]
		[ "$(cg_read limited cpu.cfs_quota_us)" = 50000 ]
		[ "$(cg_read limited cpu.cfs_period_us)" = 100000 ]
		[ "$(cg_read limited cpu.shares)" = 512 ]
		f=$(cg_file limited memory.memsw.limit_in_bytes)
		[ -z "$f" ] || [ "$(cat "$f")" = 134217728 ]
	fi
	[ "$(cg_read limited pids.max)" = 100 ]
	[ "$(cg_read limited cpuset.cpus)" = 0 ]
	# The init is in the group from its first instruction: its cgroup.procs lists it.
	grep -qx "$(ctr_pid limited)" "$(cg_file limited cgroup.procs)"
	# inspect shows what was asked for.
	[ "$(inspect_field limited config.memory)" = 67108864 ]
	[ "$(inspect_field limited config.pids_limit)" = 100 ]
	"$CTRCTL" rm -f limited
}

@test "a default pids limit applies; exec'd processes join the same cgroup" {
	"$CTRCTL" run -d --name defaults busybox sleep 1000
	[ "$(cg_read defaults pids.max)" = 4096 ]
	"$CTRCTL" exec -d defaults sleep 999
	wait_until 10 eval 'pgrep -f "sleep 999" >/dev/null'
	pid=$(pgrep -f "sleep 999")
	procs=$(cg_file defaults cgroup.procs)
	grep -qx "$pid" "$procs"
	# Inside, its own cgroup is the root of everything it sees.
	run "$CTRCTL" exec defaults cat /proc/self/cgroup
	[ -z "$(echo "$output" | grep -v ':/$')" ]
	"$CTRCTL" rm -f defaults
}

@test "/sys/fs/cgroup inside shows the container's own groups, read-only" {
	# Its own limit, not the parent's or the host's: the root it sees is its group.
	run "$CTRCTL" run --rm --pids-limit 77 busybox sh -c \
		'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max'
	[ "$status" -eq 0 ]
	[ "$output" = 77 ]
	run "$CTRCTL" run --rm busybox sh -c 'grep " /sys/fs/cgroup" /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	[ -z "$(echo "$output" | grep -v " ro,")" ]
	run "$CTRCTL" run --rm busybox sh -c \
		'echo 1 > /sys/fs/cgroup/pids/pids.max || echo 1 > /sys/fs/cgroup/pids.max'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "a memory hog is OOM-killed and reported as such" {
	run "$CTRCTL" run --name hog -m 32m --memory-swap 32m busybox sh -c 'a=x; while :; do a="$a$a"; done'
	[ "$status" -eq 137 ]
	[ "$(inspect_field hog oom_killed)" = true ]
	[ "$(inspect_field hog exit_code)" = 137 ]
	run "$CTRCTL" ps -a
	[[ "$output" == *"Exited (137)"*"(OOM)"* ]]
	run rpc '{"jsonrpc":"2.0","id":1,"method":"inspect","params":{"id":"hog"}}'
	[[ "$output" == *'"oom_killed":true'* ]]
	"$CTRCTL" rm hog
	# A container that just exits is not called OOM-killed.
	"$CTRCTL" run --name calm -m 32m busybox true
	[ "$(inspect_field calm oom_killed)" = false ]
	"$CTRCTL" rm calm
}

@test "a fork bomb stops at the pids limit while ctrd keeps answering" {
	"$CTRCTL" run -d --name bomb --pids-limit 64 busybox sh -c 'b() { b | b & }; b; sleep 1000'
	wait_until 20 eval '[ "$(cg_read bomb pids.current)" -ge 60 ]'
	for _ in 1 2 3 4 5; do
		run "$CTRCTL" ps
		[ "$status" -eq 0 ]
	done
	[ "$(cg_read bomb pids.current)" -le 64 ]
	"$CTRCTL" rm -f bomb
}

@test "--cpus 0.5 holds a busy loop to about half a core" {
	"$CTRCTL" run -d --name spinner --cpus 0.5 busybox sh -c 'while :; do :; done'
	usage() {
		local f
		if f=$(cg_file spinner cpu.stat) && [ -n "$f" ] && grep -q usage_usec "$f"; then
			echo $(($(awk '/^usage_usec/ {print $2}' "$f") * 1000))
		else
			cat "$(cg_file spinner cpuacct.usage)"
		fi
	}
	t0=$(date +%s%N)
	u0=$(usage)
	sleep 3 # a measurement interval, not synchronisation
	u1=$(usage)
	t1=$(date +%s%N)
	share=$(((u1 - u0) * 100 / (t1 - t0)))
	echo "CPU share: $share%"
	[ "$share" -ge 25 ] && [ "$share" -le 65 ]
	"$CTRCTL" rm -f spinner
}

@test "pause freezes and unpause resumes; exec into a paused container is refused" {
	"$CTRCTL" run -d --name counter busybox sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done'
	wait_until 10 eval '"$CTRCTL" exec counter cat /tmp/n >/dev/null 2>&1'
	"$CTRCTL" pause counter
	[ "$(inspect_field counter state)" = paused ]
	run "$CTRCTL" ps
	[[ "$output" == *"(Paused)"* ]]
	pid=$(ctr_pid counter)
	a=$(nsenter -t "$pid" -m cat /tmp/n)
	sleep 0.5 # the counter would move 10 times in this interval if it ran
	b=$(nsenter -t "$pid" -m cat /tmp/n)
	[ "$a" = "$b" ]
	run "$CTRCTL" exec counter true
	[ "$status" -eq 125 ]
	[[ "$output" == *"is paused"* ]]
	run "$CTRCTL" pause counter
	[ "$status" -eq 1 ]
	"$CTRCTL" unpause counter
	[ "$(inspect_field counter state)" = running ]
	wait_until 10 eval '[ "$(nsenter -t '"$pid"' -m cat /tmp/n)" -gt '"$b"' ]'
	# stop works on a paused container too.
	"$CTRCTL" pause counter
	run "$CTRCTL" stop -t 1 counter
	[ "$status" -eq 0 ]
	[ "$(inspect_field counter state)" = exited ]
	"$CTRCTL" rm counter
}

@test "update changes the limits of a running container" {
	"$CTRCTL" run -d --name growing -m 64m busybox sleep 1000
	run "$CTRCTL" update -m 128m --pids-limit 50 growing
	[ "$status" -eq 0 ]
	[ "$(inspect_field growing config.memory)" = 134217728 ]
	[ "$(cg_read growing pids.max)" = 50 ]
	f=$(cg_file growing memory.max)
	[ -n "$f" ] && [ "$(cat "$f")" = 134217728 ] || [ "$(cg_read growing memory.limit_in_bytes)" = 134217728 ]
	run "$CTRCTL" update --cpus 999 growing
	[ "$status" -eq 1 ]
	[[ "$output" == *"params.cpus"* ]]
	"$CTRCTL" rm -f growing
}

@test "update --cpuset-cpus \"\" gives a pinned container every CPU again" {
	"$CTRCTL" run -d --name pinned --cpuset-cpus 0 busybox sleep 1000
	[ "$(cg_read pinned cpuset.cpus)" = 0 ]
	"$CTRCTL" update --cpuset-cpus "" pinned
	# The parent's CPUs (v2: its effective ones; v1: its list).
	f=$(cg_file pinned cpuset.cpus)
	parent=$(cat "$(dirname "$(dirname "$f")")/cpuset.cpus.effective" 2>/dev/null ||
		cat "$(dirname "$(dirname "$f")")/cpuset.cpus")
	[ -n "$parent" ]
	[ "$(cg_read pinned cpuset.cpus.effective 2>/dev/null || cg_read pinned cpuset.effective_cpus)" = "$parent" ]
	[ "$(inspect_field pinned config.cpuset_cpus)" = "" ]
	"$CTRCTL" rm -f pinned
}

@test "stats shows usage and limits" {
	"$CTRCTL" run -d --name measured -m 64m --pids-limit 10 busybox sleep 1000
	run "$CTRCTL" stats --no-stream measured
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == ID*NAME*"CPU %"*"MEM USAGE / LIMIT"*PIDS*"BLOCK I/O"* ]]
	[[ "${lines[1]}" == *measured*"/ 64MiB"*"1 / 10"* ]]
	run rpc '{"jsonrpc":"2.0","id":1,"method":"stats","params":{"ids":["measured"]}}'
	[[ "$output" == *'"memory_limit":67108864'* ]]
	[[ "$output" == *'"pids_limit":10'* ]]
	"$CTRCTL" rm -f measured
}

@test "bad limits are clear errors" {
	run "$CTRCTL" run --rm -m lots busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *'invalid --memory "lots"'* ]]
	run "$CTRCTL" run --rm -m 1k busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"params.memory: at least"* ]]
	run "$CTRCTL" run --rm -m 64m --memory-swap 32m busybox true
	[[ "$output" == *"params.memory_swap"* ]]
	run "$CTRCTL" run --rm --cpus 1000 busybox true
	[[ "$output" == *"params.cpus"* ]]
	run "$CTRCTL" run --rm --cpuset-cpus 99 busybox true
	[[ "$output" == *"params.cpuset_cpus"* ]]
	run "$CTRCTL" run --rm --pids-limit -5 busybox true
	[ "$status" -eq 125 ]
	[ -z "$("$CTRCTL" ps -aq)" ]
}

@test "cgroups are gone after rm and after a failed start" {
	id=$("$CTRCTL" run -d busybox sleep 1000)
	[ -n "$(cg_file "$id" cgroup.procs)" ]
	"$CTRCTL" rm -f "$id"
	[ -z "$(ls -d /sys/fs/cgroup/"$(cgroup_parent)/$id" /sys/fs/cgroup/*/"$(cgroup_parent)/$id" 2>/dev/null)" ]
	run -127 "$CTRCTL" run --rm busybox no-such-command
	[ "$status" -eq 127 ]
	[ -z "$(ls /sys/fs/cgroup/"$(cgroup_parent)" /sys/fs/cgroup/*/"$(cgroup_parent)" 2>/dev/null | grep -E '^[0-9a-f]{64}$')" ]
}

@test "v1: a removed container's groups serve the next one, limits and counters reset" {
	parent=$(cgroup_parent)
	[ -d "/sys/fs/cgroup/memory/$parent" ] || skip "no cgroup v1 memory hierarchy here"
	"$CTRCTL" run -d --name first -m 64m --cpus 0.5 --pids-limit 100 --cpuset-cpus 0 -c 512 \
		busybox sh -c 'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; touch /tmp/done; sleep 1000'
	wait_until 20 "$CTRCTL" exec first test -e /tmp/done
	used=$(cg_read first cpuacct.usage)
	[ "$used" -gt 20000000 ] # the loop took tens of milliseconds of CPU
	# Widen its device rules from outside: a spare must get ours back, whatever its group had.
	echo a >"$(cg_file first devices.allow)"
	grep -qx 'a \*:\* rwm' "$(cg_file first devices.list)"
	"$CTRCTL" pause first
	"$CTRCTL" rm -f first
	spares() { ls -d "/sys/fs/cgroup/memory/$parent"/.spare-* 2>/dev/null | wc -l; }
	before=$(spares)
	[ "$before" -ge 1 ]
	"$CTRCTL" run -d --name second busybox sleep 1000
	# Renamed into place, in every hierarchy: one spare fewer.
	[ "$(spares)" -eq $((before - 1)) ]
	[ "$(cg_read second memory.limit_in_bytes)" = 9223372036854771712 ]
	[ "$(cg_read second cpu.cfs_quota_us)" = -1 ]
	[ "$(cg_read second cpu.shares)" = 1024 ]
	[ "$(cg_read second pids.max)" = 4096 ]
	[ "$(cg_read second cpuset.cpus)" = "$(cat "/sys/fs/cgroup/cpuset/$parent/cpuset.cpus")" ]
	[ "$(cg_read second freezer.state)" = THAWED ]
	[ "$(cg_read second memory.failcnt)" = 0 ]
	[ "$(cg_read second cpuacct.usage)" -lt $((used / 2)) ]
	grep -qx "$(ctr_pid second)" "$(cg_file second cgroup.procs)"
	# The device rules are the container's own again: /dev/null works, nothing else is open.
	[ "$(grep -c '^a ' "$(cg_file second devices.list)")" = 0 ]
	grep -qx 'c 1:3 rwm' "$(cg_file second devices.list)"
	"$CTRCTL" exec second sh -c 'echo x > /dev/null'
	# A limit set by update, not at the start, is undone for the next one too.
	"$CTRCTL" update -m 32m --pids-limit 50 second
	"$CTRCTL" rm -f second
	"$CTRCTL" run -d --name third busybox sleep 1000
	[ "$(cg_read third memory.limit_in_bytes)" = 9223372036854771712 ]
	[ "$(cg_read third pids.max)" = 4096 ]
	# And a spare with every default takes a new container's limits.
	"$CTRCTL" rm -f third
	"$CTRCTL" run -d --name fourth -m 48m --cpus 0.25 busybox sleep 1000
	[ "$(cg_read fourth memory.limit_in_bytes)" = 50331648 ]
	[ "$(cg_read fourth cpu.cfs_quota_us)" = 25000 ]
	"$CTRCTL" rm -f fourth
}

@test "ctrd keeps itself out of the OOM killer's way; containers do not" {
	own=$(cat /proc/"$(cat "$T/ctrd.pid")"/oom_score_adj)
	run "$CTRCTL" run --rm busybox cat /proc/self/oom_score_adj
	echo "ctrd $own, container $output"
	# -500 and 0 where ctrd may lower its own (CAP_SYS_RESOURCE); 500 apart always.
	[ $((output - own)) -ge 500 ]
	if grep -q "^CapEff:.*" /proc/self/status && [ "$own" -gt -500 ]; then
		grep -q "oom_score_adj stays" "$T/ctrd.log"
	fi
}
