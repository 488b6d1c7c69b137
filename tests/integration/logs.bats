#!/usr/bin/env bats
# Container logs and the event stream: rotation by size, a writer nobody
# reads, following across rotations, --since and --timestamps, stdout and
# stderr, partial and long lines; events in order, to every subscriber, as
# a replay, and a subscriber that stops reading.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	require_root
	# Daemon defaults that the tests can see quickly: 32 KiB files, two of them.
	ctrd_start --log-max-size 32k --log-max-files 2
}

teardown_file() {
	ctrd_stop
}

teardown() {
	[ "${BATS_TEST_COMPLETED:-}" = 1 ] || dump_log
	local pid
	for pid in ${BG_PIDS:-}; do
		kill -KILL "$pid" 2>/dev/null || true
	done
}

# A background process of the test, killed in teardown if the test fails.
bg() {
	BG_PIDS="${BG_PIDS:-} $1"
}

# The directory that holds a container's log files.
log_dir() {
	echo "$T/root/containers/$(inspect_field "$1" id)"
}

# Fails unless dir holds at most files log files of at most size bytes each.
check_log_files() {
	local dir=$1 files=$2 size=$3 f n=0 s
	for f in "$dir"/ctr.log*; do
		# A file may be renamed away between the glob and the stat.
		s=$(stat -c %s "$f" 2>/dev/null) || continue
		n=$((n + 1))
		if [ "$s" -gt "$size" ]; then
			echo "$f: $s bytes, more than $size"
			return 1
		fi
	done
	if [ "$n" -gt "$files" ]; then
		echo "$n log files, more than $files:" "$dir"/ctr.log*
		return 1
	fi
}

# Fails unless the lines on stdin are "WORD N" (or "N") with N counting up by one.
consecutive() {
	awk '{ n = $NF } NR > 1 && n != prev + 1 { print "line " NR ": " $0 " after " prev; bad = 1; exit }
		{ prev = n } END { exit bad }'
}

# Touches /tmp/go in a container run with --tmpfs /tmp, which it waits for.
go() {
	touch "/proc/$(ctr_pid "$1")/root/tmp/go"
}

now_ns() {
	date +%s%N
}

@test "--log-opt max-size/max-file bound the files on disk; --tail N reads the last N lines across them" {
	# One comma-separated --log-opt here; the other tests repeat the option.
	"$CTRCTL" run -d --name chatty --log-opt max-size=64k,max-file=3 --rootfs "$ROOTFS" \
		sh -c 'i=0; while :; do echo "line $i"; i=$((i+1)); done'
	dir=$(log_dir chatty)
	# Each record takes about 50 bytes on disk: 15000 lines are a dozen rotations.
	deadline=$((SECONDS + 60))
	while :; do
		check_log_files "$dir" 3 65536
		last=$(tail -n 1 "$dir/ctr.log" 2>/dev/null | awk '{ print $NF + 0 }')
		[ "${last:-0}" -lt 15000 ] || break
		[ $SECONDS -lt $deadline ]
	done
	"$CTRCTL" kill chatty
	"$CTRCTL" wait chatty
	check_log_files "$dir" 3 65536
	[ -e "$dir/ctr.log.2" ]
	[ "$(du -cb "$dir"/ctr.log* | tail -n 1 | cut -f1)" -le $((3 * 65536)) ]

	# What is kept is the end of the output, in order, across the three files.
	"$CTRCTL" logs chatty >"$T/all"
	consecutive <"$T/all"
	[ "$(head -n 1 "$T/all")" != "line 0" ]
	total=$(wc -l <"$T/all")
	# Lines in the current file, plus some from the one before it.
	current=$(awk '$3 == "F"' "$dir/ctr.log" | wc -l)
	for n in 1 17 $((current + 5)) $((total - 1)) "$total" $((total + 100)); do
		"$CTRCTL" logs --tail "$n" chatty >"$T/tail"
		tail -n "$n" "$T/all" | cmp - "$T/tail"
	done
	"$CTRCTL" rm chatty
}

@test "without --log-opt the daemon's --log-max-size and --log-max-files apply" {
	"$CTRCTL" run -d --name defaults --rootfs "$ROOTFS" seq 1 30000
	"$CTRCTL" wait defaults
	dir=$(log_dir defaults)
	check_log_files "$dir" 2 32768
	[ -e "$dir/ctr.log.1" ]
	"$CTRCTL" logs defaults >"$T/all"
	consecutive <"$T/all"
	[ "$(tail -n 1 "$T/all")" = 30000 ]
	[ "$(head -n 1 "$T/all")" -gt 25000 ]
	"$CTRCTL" rm defaults
}

@test "a container that writes fast is never blocked, even with a logs --follow client that reads nothing" {
	"$CTRCTL" run -d --name firehose --tmpfs /tmp --log-opt max-size=256k --log-opt max-file=2 \
		--rootfs "$ROOTFS" sh -c 'i=0; while :; do
			echo "$i the quick brown fox jumps over the lazy dog, again and again and again"
			i=$((i+1)); [ $((i % 500)) = 0 ] && echo $i >/tmp/n.new && mv /tmp/n.new /tmp/n; done'
	counter=/proc/$(ctr_pid firehose)/root/tmp/n
	# A follower that asks for everything and then never reads a byte.
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"logs\",\"params\":{\"id\":\"firehose\",\"follow\":true}}\n")
time.sleep(600)' "$CTRD_SOCKET" &
	stuck=$!
	bg $stuck
	wait_until 30 test -s "$counter"
	start=$(cat "$counter")
	# 40000 lines of 80 bytes: far more than the pipe, the socket buffers and
	# what the daemon queues for a client before it stops reading the file.
	wait_until 90 eval '[ "$(cat "$counter")" -ge $((start + 40000)) ]'
	kill -0 $stuck
	start=$SECONDS
	"$CTRCTL" ps >/dev/null
	[ $((SECONDS - start)) -le 2 ]
	check_log_files "$(log_dir firehose)" 2 262144
	kill $stuck
	"$CTRCTL" rm -f firehose
}

@test "logs --follow follows across many rotations without losing or repeating a line" {
	"$CTRCTL" run -d --name numbers --tmpfs /tmp --log-opt max-size=16k --log-opt max-file=100 \
		--rootfs "$ROOTFS" sh -c 'echo ready; while [ ! -e /tmp/go ]; do sleep 0.02; done; seq 1 20000'
	"$CTRCTL" logs -f numbers >"$T/followed" &
	follower=$!
	bg $follower
	wait_until 10 grep -q ready "$T/followed"
	go numbers
	# The stream ends when the container has exited and everything is read.
	wait $follower
	# About 55 files of 16k: the follower falls behind by many rotations at a time.
	[ "$(ls "$(log_dir numbers)" | grep -c '^ctr\.log')" -ge 40 ]
	{
		echo ready
		seq 1 20000
	} | cmp - "$T/followed"
	"$CTRCTL" rm numbers
}

@test "--since takes RFC 3339, Unix and relative times; --timestamps prefixes each line with its time" {
	"$CTRCTL" run -d --name clock --tmpfs /tmp --rootfs "$ROOTFS" \
		sh -c 'echo before; while [ ! -e /tmp/go ]; do sleep 0.02; done; echo after; exec sleep 1000'
	wait_until 10 eval '"$CTRCTL" logs clock | grep -q before'
	"$CTRCTL" logs -t clock >"$T/ts"
	before=$(date -d "$(cut -d' ' -f1 "$T/ts")" +%s%N)
	# "after" comes two seconds later, for the relative form below.
	wait_until 10 eval '[ $(($(now_ns) - before)) -gt 2000000000 ]'
	cut=$(now_ns)
	cut_rfc=$(date -u -d "@${cut:0:10}.${cut:10}" +%Y-%m-%dT%H:%M:%S.%NZ)
	go clock
	wait_until 10 eval '"$CTRCTL" logs clock | grep -q after'

	# --timestamps: RFC 3339 UTC with nanoseconds, and each time on the right side of the cut.
	"$CTRCTL" logs --timestamps clock >"$T/ts"
	grep -Eq '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{9}Z before$' "$T/ts"
	grep -Eq '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{9}Z after$' "$T/ts"
	[ "$(date -d "$(grep before "$T/ts" | cut -d' ' -f1)" +%s%N)" -lt "$cut" ]
	after=$(date -d "$(grep after "$T/ts" | cut -d' ' -f1)" +%s%N)
	[ "$after" -ge "$cut" ]

	run "$CTRCTL" logs --since "$cut_rfc" clock
	[ "$output" = after ]
	run "$CTRCTL" logs --since "${cut:0:10}.${cut:10}" clock
	[ "$output" = after ]
	run "$CTRCTL" logs --since 1h clock
	[ "$(echo $output)" = "before after" ]
	# 1.5 seconds before "after" was written (give or take how long ctrctl
	# takes to start): "before" is older than that.
	run "$CTRCTL" logs --since "$(((($(now_ns) - after) / 1000000) + 1500))ms" clock
	[ "$output" = after ]
	run "$CTRCTL" logs -t --since "$cut_rfc" clock
	[[ "$output" == *Z\ after ]]
	run "$CTRCTL" logs --since 2026-13-45 clock
	[ "$status" -eq 1 ]
	[[ "$output" == *"expected an RFC 3339 time"* ]]
	"$CTRCTL" rm -f clock
}

@test "stdout and stderr stay apart; an unfinished last line and lines over 64 KiB come out whole" {
	# (Not rotated away: the daemon's default here is 32k.) The monitor may log
	# output that arrives on both pipes at once in either order, so the last
	# line waits until err2 is in the log, for --tail below.
	"$CTRCTL" run -d --name streams --tmpfs /tmp --log-opt max-size=1m --rootfs "$ROOTFS" sh -c '
		echo out1; echo err1 >&2; echo out2
		head -c 70000 /dev/zero | tr "\0" a; echo
		head -c 20000 /dev/zero | tr "\0" b >&2; echo >&2
		echo err2 >&2
		while [ ! -e /tmp/go ]; do sleep 0.02; done; printf no-newline'
	wait_until 10 eval '"$CTRCTL" logs streams 2>&1 >/dev/null | grep -q err2'
	go streams
	"$CTRCTL" wait streams
	"$CTRCTL" logs streams >"$T/out" 2>"$T/err"
	{
		printf 'out1\nout2\n'
		head -c 70000 /dev/zero | tr '\0' a
		echo
		printf no-newline
	} | cmp - "$T/out"
	{
		echo err1
		head -c 20000 /dev/zero | tr '\0' b
		printf '\nerr2\n'
	} | cmp - "$T/err"
	# The long line reached the log in several parts; -t gives it one time.
	"$CTRCTL" logs -t streams >"$T/out" 2>/dev/null
	[ "$(wc -l <"$T/out")" -eq 3 ]
	[ "$(grep -Ec '^[0-9T:.-]+Z a+$' "$T/out")" -eq 1 ]
	[ "$(grep -E '^[0-9T:.-]+Z a+$' "$T/out" | cut -d' ' -f2 | wc -c)" -eq 70001 ]
	# The unfinished line counts as a line for --tail.
	"$CTRCTL" logs --tail 1 streams >"$T/out" 2>"$T/err"
	printf no-newline | cmp - "$T/out"
	[ ! -s "$T/err" ]
	"$CTRCTL" logs --tail 2 streams >"$T/out" 2>"$T/err"
	printf no-newline | cmp - "$T/out"
	echo err2 | cmp - "$T/err"
	# The same over the wire: each entry says its stream.
	run rpc '{"jsonrpc":"2.0","id":1,"method":"logs","params":{"id":"streams","tail":2}}'
	[[ "$output" == *'"stream":"stderr","data":"err2\n"'* ]]
	[[ "$output" == *'"stream":"stdout","data":"no-newline"'* ]]
	"$CTRCTL" rm streams
}

# True once FILE (ctrctl events --json, or raw JSON-RPC) has a TYPE event of container NAME.
has_event() {
	grep "\"name\":\"$2\"" "$1" | grep -q "\"type\":\"$3\""
}

# Checks the events of container NAME in FILE... (ctrctl events --json lines, or raw
# JSON-RPC lines): each file has the same ones (compared without "request"),
# and the first one's types are TYPES. Prints them, one JSON object a line.
check_events() {
	python3 -c '
import json, re, sys
name, types, paths = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
seqs = []
for path in paths:
    evs = []
    for line in open(path):
        m = json.loads(line)
        if "jsonrpc" in m:
            if m.get("method") != "event":
                continue
            m = m["params"]
        m.pop("request", None)
        if m["name"] == name:
            evs.append(m)
    seqs.append(evs)
for evs in seqs[0]:
    print(json.dumps(evs, sort_keys=True))
for path, evs in zip(paths[1:], seqs[1:]):
    assert evs == seqs[0], (path, evs)
evs = seqs[0]
assert [e["type"] for e in evs] == types, [e["type"] for e in evs]
for e in evs:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", e["time"]), e
    assert re.fullmatch(r"[0-9a-f]{64}", e["id"]) and e["id"] == evs[0]["id"], e
times = [e["time"] for e in evs]
assert times == sorted(times), times' "$@"
}

# The member KEY of container NAME's TYPE event in FILE, as JSON.
event_field() {
	grep "\"name\":\"$2\"" "$1" | grep "\"type\":\"$3\"" | head -n 1 |
		grep -o "\"$4\":[^,}]*" | cut -d: -f2-
}

@test "events: create, start, exec, pause, unpause, kill, stop, die and rm, in order, the same for every subscriber" {
	"$CTRCTL" events --json >"$T/ev-ctrctl" &
	sub1=$!
	bg $sub1
	# Raw JSON over socat: socat shuts its side after the request, and the stream goes on.
	socat -t 600 - "UNIX-CONNECT:$CTRD_SOCKET" \
		< <(printf '%s\n' '{"jsonrpc":"2.0","id":"sub","method":"events"}') >"$T/ev-raw" &
	sub2=$!
	bg $sub2
	wait_until 10 grep -q '"id":"sub","result":{}' "$T/ev-raw"
	# Both subscribed once both have seen a marker.
	"$CTRCTL" run --rm --name marker --rootfs "$ROOTFS" true
	wait_until 10 has_event "$T/ev-ctrctl" marker rm

	id=$("$CTRCTL" run -d --name evt --rootfs "$ROOTFS" \
		sh -c 'trap "exit 3" TERM; trap "" USR2; while :; do sleep 0.1; done')
	pid=$(ctr_pid evt)
	"$CTRCTL" exec evt true
	"$CTRCTL" pause evt
	"$CTRCTL" unpause evt
	"$CTRCTL" kill -s USR2 evt
	"$CTRCTL" stop evt
	"$CTRCTL" rm evt
	wait_until 10 has_event "$T/ev-ctrctl" evt rm
	wait_until 10 has_event "$T/ev-raw" evt rm
	kill $sub1 $sub2

	check_events evt "create start exec pause unpause kill stop die rm" "$T/ev-ctrctl" "$T/ev-raw"
	grep -q "\"id\":\"$id\"" "$T/ev-ctrctl"
	[ "$(event_field "$T/ev-ctrctl" evt start pid)" = "$pid" ]
	[ "$(event_field "$T/ev-ctrctl" evt kill signal)" = 12 ]
	[ "$(event_field "$T/ev-ctrctl" evt die exit_code)" = 3 ]
	[ "$(event_field "$T/ev-ctrctl" evt die oom_killed)" = false ]
	grep '"name":"evt"' "$T/ev-raw" | grep -q '"request":"sub"'
}

@test "events --since replays the kept events (RFC 3339 and relative), then goes on live" {
	t0=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
	run "$CTRCTL" run --name replayed --rootfs "$ROOTFS" sh -c 'exit 5'
	[ "$status" -eq 5 ]
	"$CTRCTL" rm replayed
	"$CTRCTL" events --json --since "$t0" >"$T/ev-since" &
	sub1=$!
	bg $sub1
	"$CTRCTL" events --since 10m >"$T/ev-human" &
	sub2=$!
	bg $sub2
	wait_until 10 has_event "$T/ev-since" replayed rm
	wait_until 10 grep -q "container rm [0-9a-f]\{64\} (name=replayed" "$T/ev-human"
	# Live after the replay: a new container's events follow.
	"$CTRCTL" run --rm --name later --rootfs "$ROOTFS" true
	wait_until 10 has_event "$T/ev-since" later rm
	kill $sub1 $sub2
	check_events replayed "create start die rm" "$T/ev-since"
	[ "$(event_field "$T/ev-since" replayed die exit_code)" = 5 ]
	grep "name=replayed" "$T/ev-human" | grep -q "container die .*exit_code=5"
	# Nothing from before t0: the previous test's marker is not replayed.
	refute grep -q '"name":"marker"' "$T/ev-since"
	run "$CTRCTL" events --since yesterday
	[ "$status" -eq 1 ]
	[[ "$output" == *"expected an RFC 3339 time"* ]]
}

@test "events: an OOM kill is reported as oom, then die with oom_killed" {
	t0=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
	run "$CTRCTL" run --name hog -m 32m --memory-swap 32m --rootfs "$ROOTFS" sh -c 'a=x; while :; do a="$a$a"; done'
	[ "$status" -eq 137 ]
	"$CTRCTL" events --json --since "$t0" >"$T/ev-oom" &
	sub=$!
	bg $sub
	wait_until 10 has_event "$T/ev-oom" hog die
	kill $sub
	check_events hog "create start oom die" "$T/ev-oom"
	[ "$(event_field "$T/ev-oom" hog die exit_code)" = 137 ]
	[ "$(event_field "$T/ev-oom" hog die oom_killed)" = true ]
	"$CTRCTL" rm hog
}

@test "a subscriber that never reads does not hold the daemon up and is dropped" {
	# A long name makes each event bigger, so fewer of them fill the subscriber's queue.
	name=quiet-$(printf 'x%.0s' $(seq 1 100))
	"$CTRCTL" run -d --name "$name" --rootfs "$ROOTFS" sh -c 'trap "" USR2; while :; do sleep 1; done'
	python3 - "$CTRD_SOCKET" "$T/resume" >"$T/stuck.out" <<-'EOF' &
		import json, os, socket, sys, time
		s = socket.socket(socket.AF_UNIX)
		s.connect(sys.argv[1])
		s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"events"}\n')
		f = s.makefile("rb")
		assert json.loads(f.readline()) == {"jsonrpc": "2.0", "id": 1, "result": {}}
		print("subscribed", flush=True)
		# Stuck: reads nothing more until told to.
		while not os.path.exists(sys.argv[2]):
		    time.sleep(0.05)
		n = 0
		for line in f:
		    m = json.loads(line)
		    if m.get("method") == "event":
		        n += 1
		        continue
		    print("events", n)
		    print("error", m["id"], m["error"]["code"], m["error"]["message"], flush=True)
		    break
		# Nothing after the error: a version request is answered next.
		s.sendall(b'{"jsonrpc":"2.0","id":2,"method":"version"}\n')
		m = json.loads(f.readline())
		print("next", m.get("id"), m.get("method"), flush=True)
	EOF
	stuck=$!
	bg $stuck
	wait_until 10 grep -q subscribed "$T/stuck.out"
	# And ctrctl events, stopped once it is subscribed (it has seen an event).
	"$CTRCTL" events >"$T/ev-stopped" 2>"$T/ev-stopped.err" &
	stopped=$!
	bg $stopped
	wait_until 10 eval '"$CTRCTL" kill -s USR2 "$name" >/dev/null; grep -q "container kill" "$T/ev-stopped"'
	kill -STOP $stopped
	# 25000 events of some 300 bytes: far past the subscriber's 4 MiB.
	python3 -c '
import sys
req = "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"kill\",\"params\":{\"id\":\"" + sys.argv[1] + "\",\"signal\":\"USR2\"}}\n"
sys.stdout.write("".join(req % i for i in range(25000)))' "$name" |
		socat -t 60 - "UNIX-CONNECT:$CTRD_SOCKET" >"$T/kills"
	[ "$(grep -c '"result":{"id"' "$T/kills")" -eq 25000 ]
	# The daemon answers at once while the subscriber is still stuck.
	start=$SECONDS
	"$CTRCTL" ps >/dev/null
	[ $((SECONDS - start)) -le 2 ]
	kill -0 $stuck
	[ "$(grep -c "events subscriber dropped" "$T/ctrd.log")" -eq 2 ]
	# ctrctl events says so once it runs again, and fails.
	kill -CONT $stopped
	status=0
	wait $stopped || status=$?
	[ "$status" -eq 1 ]
	grep -q "^ctrctl: events: more than 4194304 bytes of events unread; subscription dropped$" "$T/ev-stopped.err"
	# Dropped: later events are not queued for it.
	"$CTRCTL" kill -s USR2 "$name"
	touch "$T/resume"
	wait $stuck
	cat "$T/stuck.out"
	grep -q '^error 1 -32004 events: more than 4194304 bytes of events unread; subscription dropped$' "$T/stuck.out"
	n=$(awk '$1 == "events" { print $2 }' "$T/stuck.out")
	[ "$n" -gt 1000 ] && [ "$n" -lt 25000 ]
	grep -q '^next 2 None$' "$T/stuck.out"
	"$CTRCTL" rm -f "$name"
}
