#!/usr/bin/env bats
# The JSON-RPC socket as a script sees it (socat, Python), and what hostile
# or broken clients can do to the daemon: nothing lasting.

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

# Open fds of the daemon.
daemon_fds() {
	ls "/proc/$(cat "$T/ctrd.pid")/fd" | wc -l
}

# Runs a Python snippet with S = the socket path and helpers send/recv.
py() {
	python3 - "$CTRD_SOCKET" <<EOF
import json, os, socket, sys, time
S = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(S)
    s.settimeout(10)
    return s
_bufs = {}
def recv_line(s):
    """One line from s, None at end of stream; keeps what follows for the next call."""
    buf = _bufs.get(s, b"")
    while b"\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            _bufs[s] = b""
            return buf.decode() if buf else None
        buf += chunk
    line, _, rest = buf.partition(b"\n")
    _bufs[s] = rest
    return line.decode()
$1
EOF
}

@test "version over raw JSON with socat" {
	run rpc '{"jsonrpc":"2.0","id":1,"method":"version"}'
	[ "$status" -eq 0 ]
	[[ "$output" == '{"jsonrpc":"2.0","id":1,"result":{'*'"version":"'* ]]
	[[ "$output" == *'"api":1'* ]]
}

@test "a script runs, lists, inspects, stops and removes a detached container" {
	run rpc "{\"jsonrpc\":\"2.0\",\"id\":\"r\",\"method\":\"run\",\"params\":{\"rootfs\":\"$ROOTFS\",\"command\":[\"sh\",\"-c\",\"echo hi; exec sleep 1000\"],\"detach\":true,\"name\":\"scripted\"}}"
	[ "$status" -eq 0 ]
	[[ "$output" =~ \"id\":\"r\",\"result\":\{\"id\":\"[0-9a-f]{64}\",\"name\":\"scripted\",\"pid\":[0-9]+\} ]]
	run rpc '{"jsonrpc":"2.0","id":2,"method":"ps"}'
	[[ "$output" == *'"name":"scripted"'*'"state":"running"'* ]] || [[ "$output" == *'"state":"running"'*'"name":"scripted"'* ]] || [[ "$output" == *'"name":"scripted","state":"running"'* ]]
	run rpc '{"jsonrpc":"2.0","id":3,"method":"inspect","params":{"id":"scripted"}}'
	[[ "$output" == *'"command":["sh","-c","echo hi; exec sleep 1000"]'* ]]
	wait_until 10 eval 'rpc "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"logs\",\"params\":{\"id\":\"scripted\"}}" | grep -q "hi\\\\n"'
	run rpc '{"jsonrpc":"2.0","id":5,"method":"stop","params":{"id":"scripted","timeout":1}}'
	[[ "$output" == *'"exit_code":137'* ]]
	run rpc '{"jsonrpc":"2.0","id":6,"method":"rm","params":{"id":"scripted"}}'
	[[ "$output" == *'"result":{"id":"'* ]]
}

@test "ps with fields lists rows of exactly the short form's values" {
	"$CTRCTL" run -d --name rows-up --rootfs "$ROOTFS" sleep 1000 >/dev/null
	"$CTRCTL" run -d --name rows-down --rootfs "$ROOTFS" sh -c 'exit 3' >/dev/null
	wait_until 10 eval '"$CTRCTL" ps -a | grep -q "rows-down.*Exited (3)"'
	fields='["id","short_id","name","state","status","pid","image","command","created","started_at","finished_at","exit_code","signal","signal_name","oom_killed","error"]'
	objects=$(rpc '{"jsonrpc":"2.0","id":1,"method":"ps","params":{"all":true}}')
	rows=$(rpc "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ps\",\"params\":{\"all\":true,\"fields\":$fields}}")
	python3 - "$objects" "$rows" <<'PY'
import json, sys
objs = json.loads(sys.argv[1])["result"]["containers"]
res = json.loads(sys.argv[2])["result"]
fields = res["fields"]
assert len(res["rows"]) == len(objs) >= 2, (len(res["rows"]), len(objs))
names = set()
for o, row in zip(objs, res["rows"]):
    assert len(row) == len(fields)
    for f, v in zip(fields, row):
        want = o["id"][:12] if f == "short_id" else o.get(f)
        if f == "status":
            # Worded at each listing's own time: a second may tick between the two.
            assert v.split()[0] == want.split()[0], (o["name"], v, want)
            continue
        assert v == want, (o["name"], f, v, want)
    names.add(o["name"])
assert {"rows-up", "rows-down"} <= names, names
status = {o["name"]: o["status"] for o in objs}
assert status["rows-up"].startswith("Up "), status
assert status["rows-down"].startswith("Exited (3) ") and status["rows-down"].endswith(" ago"), status
PY
	# Without all, only running ones; one field gives one-item rows.
	run rpc '{"jsonrpc":"2.0","id":3,"method":"ps","params":{"fields":["name"]}}'
	[[ "$output" == *'["rows-up"]'* ]]
	[[ "$output" != *rows-down* ]]
	"$CTRCTL" rm -f rows-up rows-down >/dev/null
}

@test "ps rejects fields that do not exist, and an empty list" {
	run rpc '{"jsonrpc":"2.0","id":1,"method":"ps","params":{"fields":["name","nope"]}}'
	[[ "$output" == *'"code":-32602,"message":"params.fields[1]: \"nope\" is not one of the allowed values"'* ]]
	run rpc '{"jsonrpc":"2.0","id":1,"method":"ps","params":{"fields":[]}}'
	[[ "$output" == *'"code":-32602,"message":"params.fields: must not be empty"'* ]]
	run rpc '{"jsonrpc":"2.0","id":1,"method":"ps","params":{"fields":"name"}}'
	[[ "$output" == *'"code":-32602'* ]]
}

@test "wait over a half-closed socket still gets its reply" {
	"$CTRCTL" run -d --name halfclose --rootfs "$ROOTFS" sh -c 'sleep 0.5; exit 9'
	# socat shuts down its write side after the request; the reply comes later.
	run bash -c "printf '%s\n' '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"wait\",\"params\":{\"id\":\"halfclose\"}}' | socat -t 10 - UNIX-CONNECT:$CTRD_SOCKET"
	[[ "$output" == *'"exit_code":9'* ]]
	"$CTRCTL" rm halfclose
}

@test "bad JSON is a parse error with a null id" {
	run rpc '{"jsonrpc":"2.0","id":1,"method":'
	[[ "$output" == '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,'* ]]
	run rpc 'not json at all'
	[[ "$output" == *'"code":-32700'* ]]
}

@test "malformed requests are invalid requests with their id" {
	run rpc '{"jsonrpc":"1.0","id":7,"method":"version"}'
	[[ "$output" == '{"jsonrpc":"2.0","id":7,"error":{"code":-32600,'* ]]
	run rpc '[1,2,3]'
	[[ "$output" == *'"code":-32600'* ]]
	run rpc '{"jsonrpc":"2.0","id":8,"method":"version","extra":1}'
	[[ "$output" == *'"id":8,"error":{"code":-32600'* ]]
	run rpc '{"jsonrpc":"2.0","id":9,"id":10,"method":"version"}'
	[[ "$output" == *'"code":-32700'*'duplicate'* ]]
}

@test "an unknown method is method-not-found" {
	run rpc '{"jsonrpc":"2.0","id":"x","method":"frobnicate"}'
	[[ "$output" == '{"jsonrpc":"2.0","id":"x","error":{"code":-32601,"message":"unknown method \"frobnicate\""'* ]]
}

@test "client text cannot forge daemon log lines or reach the terminal raw" {
	# The method name is quoted in the debug log: its newline and ESC must be escaped.
	run rpc '{"jsonrpc":"2.0","id":1,"method":"x\n<3>forged line\u001b[2J"}'
	[[ "$output" == *'"code":-32601'* ]]
	wait_until 5 grep -q 'forged line' "$T/ctrd.log"
	run grep -c '^<3>forged\|^forged' "$T/ctrd.log"
	[ "$output" = 0 ]
	grep -q 'x\\x0a<3>forged line\\x1b\[2J' "$T/ctrd.log"
	refute grep -q $'\e\\[2J' "$T/ctrd.log"
}

@test "wrong params are rejected with a message naming the field" {
	run rpc '{"jsonrpc":"2.0","id":1,"method":"ps","params":{"all":"yes"}}'
	[[ "$output" == *'"code":-32602,"message":"params.all: expected true or false"'* ]]
	run rpc '{"jsonrpc":"2.0","id":1,"method":"ps","params":{"bogus":1}}'
	[[ "$output" == *'"message":"params.bogus: unknown field"'* ]]
	run rpc '{"jsonrpc":"2.0","id":1,"method":"stop","params":{"id":"x","timeout":999999}}'
	[[ "$output" == *'"message":"params.timeout: 999999 is out of range [0, 86400]"'* ]]
	run rpc '{"jsonrpc":"2.0","id":1,"method":"inspect"}'
	[[ "$output" == *'"message":"params.id: required"'* ]]
	run rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"run\",\"params\":{\"rootfs\":\"$ROOTFS\",\"command\":[\"true\"],\"detach\":true,\"mounts\":[{\"source\":\"/tmp\"}]}}"
	[[ "$output" == *'"message":"params.mounts[0].destination: required"'* ]]
	run rpc '{"jsonrpc":"2.0","id":1,"method":"ps","params":[1]}'
	[[ "$output" == *'"code":-32602'* ]]
}

@test "an attached run without fds is refused with a hint" {
	run rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"run\",\"params\":{\"rootfs\":\"$ROOTFS\",\"command\":[\"true\"]}}"
	[[ "$output" == *'"code":-32602'*'SCM_RIGHTS'* ]]
}

@test "errors for unknown containers and wrong states carry stable codes" {
	run rpc '{"jsonrpc":"2.0","id":1,"method":"kill","params":{"id":"nope"}}'
	[[ "$output" == *'"code":-32001,"message":"no such container: nope","data":{"reason":"not_found"}'* ]]
	"$CTRCTL" run -d --name busy --rootfs "$ROOTFS" sleep 1000
	run rpc '{"jsonrpc":"2.0","id":1,"method":"rm","params":{"id":"busy"}}'
	[[ "$output" == *'"code":-32003'*'"reason":"wrong_state"'* ]]
	run rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"run\",\"params\":{\"rootfs\":\"$ROOTFS\",\"command\":[\"true\"],\"detach\":true,\"name\":\"busy\"}}"
	[[ "$output" == *'"code":-32002'*'"reason":"conflict"'* ]]
	run rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"run\",\"params\":{\"rootfs\":\"$ROOTFS\",\"command\":[\"nope\"],\"detach\":true}}"
	[[ "$output" == *'"code":-32007'*'"exit_code":127'* ]]
	run rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"run\",\"params\":{\"rootfs\":\"$ROOTFS\",\"command\":[\"true\"],\"detach\":true,\"user\":\"nobody-here\"}}"
	[[ "$output" == *'"code":-32602,"message":"start container: user \"nobody-here\" not found in the container'* ]]
	"$CTRCTL" rm -f busy
}

@test "several requests in one write are answered in order; notifications get no reply" {
	run py '
s = conn()
s.sendall(b"".join(json.dumps({"jsonrpc": "2.0", "id": i, "method": "version"}).encode() + b"\n" for i in range(5))
          + b"{\"jsonrpc\":\"2.0\",\"method\":\"version\"}\n"
          + json.dumps({"jsonrpc": "2.0", "id": 99, "method": "ps"}).encode() + b"\n")
ids = []
for _ in range(6):
    ids.append(json.loads(recv_line(s))["id"])
print(ids)
'
	[ "$output" = "[0, 1, 2, 3, 4, 99]" ]
}

@test "a notification runs its method and gets no reply" {
	run py '
s = conn()
s.sendall(json.dumps({"jsonrpc": "2.0", "method": "run", "params": {"rootfs": "'"$ROOTFS"'", "command": ["sleep", "1000"], "detach": True, "name": "notified"}}).encode() + b"\n")
s.sendall(json.dumps({"jsonrpc": "2.0", "method": "no-such-method"}).encode() + b"\n")
s.sendall(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "inspect", "params": {"id": "notified"}}).encode() + b"\n")
reply = json.loads(recv_line(s))
print(reply["id"], reply["result"]["name"], reply["result"]["state"])
'
	"$CTRCTL" rm -f notified
	# Still starting or already running: the notification was acted on.
	[[ "$output" == "2 notified created" || "$output" == "2 notified running" ]]
}

@test "a request split into single bytes is read correctly" {
	run py '
s = conn()
for b in json.dumps({"jsonrpc": "2.0", "id": 1, "method": "version"}).encode() + b"\n":
    s.send(bytes([b]))
print(json.loads(recv_line(s))["result"]["api"])
'
	[ "$output" = 1 ]
}

@test "an oversize line gets a limit error and the connection is closed; others are served" {
	before=$(daemon_fds)
	run py '
s = conn()
other = conn()
try:
    s.sendall(b"{\"x\":\"" + b"a" * (1024 * 1024 + 100))
except BrokenPipeError:
    pass
reply = recv_line(s)
print(json.loads(reply)["error"]["code"])
print(recv_line(s))
other.sendall(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"version\"}\n")
print("result" in json.loads(recv_line(other)))
'
	[ "${lines[0]}" = -32004 ]
	[ "${lines[1]}" = None ]
	[ "${lines[2]}" = True ]
	wait_until 5 eval '[ "$(daemon_fds)" -le "$before" ]'
}

@test "a slow client with half a message does not block others" {
	run py '
slow = conn()
slow.sendall(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"meth")
fast = conn()
fast.sendall(b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"version\"}\n")
print(json.loads(recv_line(fast))["id"])
slow.sendall(b"od\":\"version\"}\n")
print(json.loads(recv_line(slow))["id"])
'
	[ "$(echo $output)" = "2 1" ]
}

@test "many idle connections: the daemon keeps answering and frees them" {
	before=$(daemon_fds)
	run py '
idle = [conn() for _ in range(300)]
t = time.time()
s = conn()
s.sendall(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ps\"}\n")
print("result" in json.loads(recv_line(s)))
print(time.time() - t < 5)
for c in idle:
    c.close()
'
	[ "$(echo $output)" = "True True" ]
	wait_until 5 eval '[ "$(daemon_fds)" -le "$before" ]'
}

@test "clients that vanish mid-request cost nothing" {
	before=$(daemon_fds)
	run py '
for i in range(50):
    s = conn()
    s.sendall(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"wait\",\"params\":{\"id\":\"nobody\"}}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"meth")
    s.close()
s = conn()
s.sendall(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"version\"}\n")
print("result" in json.loads(recv_line(s)))
'
	[ "$output" = True ]
	wait_until 5 eval '[ "$(daemon_fds)" -le "$before" ]'
}

@test "fds sent to a method that takes none are refused and closed" {
	before=$(daemon_fds)
	run py '
s = conn()
r, w = os.pipe()
msg = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "version"}).encode() + b"\n"
s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(memoryview(__import__("array").array("i", [r, w]))))])
print(json.loads(recv_line(s))["error"]["code"])
'
	[ "$output" = -32602 ]
	wait_until 5 eval '[ "$(daemon_fds)" -le "$before" ]'
}

@test "too many fds in one message are refused without leaking" {
	before=$(daemon_fds)
	run py '
import array
s = conn()
fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(20)]
msg = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "version"}).encode() + b"\n"
try:
    s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())])
    print(json.loads(recv_line(s))["error"]["code"])
except (BrokenPipeError, ConnectionResetError):
    print(-32004)
'
	[ "$output" = -32004 ]
	wait_until 5 eval '[ "$(daemon_fds)" -le "$before" ]'
	run rpc '{"jsonrpc":"2.0","id":1,"method":"version"}'
	[[ "$output" == *'"result"'* ]]
}

@test "an attached run from a client that disappears keeps the daemon healthy" {
	before=$(daemon_fds)
	run py '
import array
s = conn()
fds = [os.open("/dev/null", os.O_RDWR) for _ in range(3)]
msg = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "run", "params": {"rootfs": "'"$ROOTFS"'", "command": ["sh", "-c", "sleep 0.3"], "rm": True}}).encode() + b"\n"
s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())])
s.close()
'
	wait_until 10 eval '[ -z "$("$CTRCTL" ps -aq)" ]'
	wait_until 5 eval '[ "$(daemon_fds)" -le "$before" ]'
}
