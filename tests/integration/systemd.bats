#!/usr/bin/env bats
# ctrd under systemd: the units, where make install puts them, socket
# activation, readiness and stop notification, the log file and its
# reopening on SIGHUP, and who may use the socket when a group ctrd exists.
#
# Each test that needs a daemon of its own stops the file's daemon and starts
# one on the same state and root directories (so containers carry over), on a
# socket of its own; teardown puts the file's usual daemon back.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	require_root
	ctrd_start
}

teardown_file() {
	ctrd_stop
}

setup() {
	SRCDIR=$(cd "${TESTS_SRCDIR:-$BATS_TEST_DIRNAME/..}/.." && pwd)
	BUILDDIR=$(cd "$(dirname "$CTRD")/.." && pwd)
	# The file's paths, for the daemons the tests start themselves.
	PATHS=(--state-dir "$T/state" --root "$T/root" --cgroup-parent "$(cgroup_parent)")
}

teardown() {
	[ "${BATS_TEST_COMPLETED:-}" = 1 ] || dump_log
	local pid
	for pid in ${BG_PIDS:-}; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	# The file's usual daemon again, if a test replaced it.
	if ! serves "$CTRD_SOCKET"; then
		stop_daemon
		ctrd_launch
	fi
}

# A background process of the test, killed in teardown if the test fails.
bg() {
	BG_PIDS="${BG_PIDS:-} $1"
}

# Stops whichever daemon runs on the file's paths (SIGTERM: containers stay).
stop_daemon() {
	local pid
	pid=$(cat "$T/ctrd.pid")
	kill -TERM "$pid" 2>/dev/null || true
	wait_until 10 eval "! kill -0 $pid 2>/dev/null"
}

# Makes pid the file's daemon, for teardown.
adopt() {
	CTRD_PID=$1
	echo "$1" >"$T/ctrd.pid"
}

# True when a daemon answers ctrctl on socket $1 (a socket nobody accepts on makes ctrctl wait).
serves() {
	CTRD_SOCKET=$1 timeout 10 "$CTRCTL" version >/dev/null 2>&1
}

# Raw JSON-RPC on socket $1: the other arguments, one line each.
rpc_on() {
	local sock=$1 line
	shift
	for line in "$@"; do printf '%s\n' "$line"; done | socat -t 5 - "UNIX-CONNECT:$sock"
}

@test "the units pass systemd-analyze verify and say what ctrd needs" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is missing (Debian package systemd)"
	u=$T/units
	mkdir -p "$u/man/man8"
	# As make install makes them, but naming the daemon just built.
	sed "s|@sbindir@|$(dirname "$CTRD")|" "$SRCDIR/systemd/ctrd.service.in" >"$u/ctrd.service"
	grep -qx "ExecStart=$CTRD" "$u/ctrd.service"
	cp "$SRCDIR/systemd/ctrd.socket" "$u/"
	# Documentation=man:ctrd(8) is checked with man when it is there.
	cp "$SRCDIR/daemon/ctrd.8" "$u/man/man8/"
	man=--man=yes
	command -v man >/dev/null || man=--man=no
	run env MANPATH="$u/man" systemd-analyze verify "$man" "$u/ctrd.service" "$u/ctrd.socket"
	echo "$output"
	# Unknown keys and bad values are only warnings: the output must be empty too.
	[ "$status" -eq 0 ]
	[ -z "$output" ]

	svc=$u/ctrd.service
	sock=$u/ctrd.socket
	grep -qx "Type=notify" "$svc"
	grep -qx "Delegate=yes" "$svc"
	grep -qx "KillMode=process" "$svc"
	grep -qx "OOMScoreAdjust=-[0-9]*" "$svc"
	grep -qx "Restart=on-failure" "$svc"
	grep -qx "Requires=ctrd.socket" "$svc"
	grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$svc"
	grep -qx "SocketMode=0660" "$sock"
	grep -qx "SocketGroup=ctrd" "$sock"
	grep -qx "SocketUser=root" "$sock"
	# The socket systemd listens on is the one ctrd uses by default.
	default=$("$CTRD" --help | sed -n 's/.*--socket PATH .*(default \(.*\))$/\1/p')
	[ -n "$default" ]
	grep -qx "ListenStream=$default" "$sock"
}

# A configure-time path with ${prefix} and ${exec_prefix} (or $(prefix)) expanded.
expand() {
	local v=$1
	v=${v//'${exec_prefix}'/$exec_prefix}
	v=${v//'$(exec_prefix)'/$exec_prefix}
	v=${v//'${prefix}'/$prefix}
	v=${v//'$(prefix)'/$prefix}
	echo "$v"
}

# A variable configure substituted, from the build tree's config.status.
configured() {
	sed -n "s/^S\[\"$1\"\]=\"\(.*\)\"$/\1/p" "$BUILDDIR/config.status"
}

@test "make install DESTDIR=... puts the units where pkg-config's systemd says, naming the installed ctrd" {
	[ -f "$BUILDDIR/Makefile" ] && [ -x "$BUILDDIR/config.status" ] || skip "no build tree at $BUILDDIR"
	command -v make >/dev/null || skip "make is missing"
	prefix=$(configured prefix)
	exec_prefix=$(expand "$(configured exec_prefix)")
	sbindir=$(expand "$(configured sbindir)")
	[ -n "$prefix" ] && [ -n "$sbindir" ]
	# What configure should have chosen: the builder's --with-systemdsystemunitdir,
	# else pkg-config's systemdsystemunitdir for this prefix, else PREFIX/lib/systemd/system.
	args=$("$BUILDDIR/config.status" --config)
	if [[ "$args" == *--with-systemdsystemunitdir=* ]]; then
		want=$(echo "$args" | sed "s/.*--with-systemdsystemunitdir=\([^' ]*\).*/\1/")
	else
		want=$(pkg-config --define-variable=prefix="$prefix" --variable=systemdsystemunitdir systemd 2>/dev/null || true)
		[ -n "$want" ] || want='${prefix}/lib/systemd/system'
	fi
	want=$(expand "$want")
	echo "units expected in $want, ctrd in $sbindir"

	dest=$T/destdir
	# One install, without the busybox image (not what this test is about); a
	# make running this test must not hand its job server down.
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -s -C "$BUILDDIR" install DESTDIR="$dest" BUSYBOX=/nonexistent >"$T/install.log" 2>&1 ||
		{
			cat "$T/install.log"
			false
		}
	find "$dest" -name 'ctrd.s*'
	[ -f "$dest$want/ctrd.service" ]
	[ -f "$dest$want/ctrd.socket" ]
	[ "$(find "$dest" -name 'ctrd.s*' | wc -l)" -eq 2 ]
	cmp "$SRCDIR/systemd/ctrd.socket" "$dest$want/ctrd.socket"
	grep -qx "ExecStart=$sbindir/ctrd" "$dest$want/ctrd.service"
	refute grep -q @ "$dest$want/ctrd.service"
	[ -x "$dest$sbindir/ctrd" ]
	rm -rf "$dest"
}

# Starts ctrd on socket $1 with fds passed the way systemd passes them: through
# systemd-socket-activate, or a few lines of Python that do the same. The
# daemon is also given --socket $2, which it must not touch.
socket_activate() {
	local sock=$1 unused=$2
	if command -v systemd-socket-activate >/dev/null && [ -z "${NO_SOCKET_ACTIVATE:-}" ]; then
		systemd-socket-activate -l "$sock" \
			"$CTRD" --socket "$unused" "${PATHS[@]}" --log-level debug 2>>"$T/ctrd.log" &
	else
		python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)  # SD_LISTEN_FDS_START
os.set_inheritable(3, True)
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.execv(sys.argv[2], sys.argv[2:])' "$sock" \
			"$CTRD" --socket "$unused" "${PATHS[@]}" --log-level debug 2>>"$T/ctrd.log" &
	fi
	adopt $!
	# systemd-socket-activate starts the daemon at the first connection.
	wait_until 10 test -S "$sock"
	wait_until 10 serves "$sock"
}

# The listening socket's inode in process $1 ("socket:[N]" links), one per line.
socket_links() {
	local f
	for f in /proc/"$1"/fd/*; do
		readlink "$f" 2>/dev/null
	done | grep '^socket:' || true
}

check_socket_activation() {
	sock=$T/activated.sock
	rm -f "$sock" "$T/unused.sock"
	stop_daemon
	socket_activate "$sock" "$T/unused.sock"
	daemon=$CTRD_PID
	inode=$(stat -c %i "$sock")
	grep -q "listening on the socket passed by systemd" "$T/ctrd.log"
	# ctrctl and raw JSON, on the socket it was given, and nothing bound at --socket.
	CTRD_SOCKET=$sock run "$CTRCTL" run --rm --rootfs "$ROOTFS" echo activated
	[ "$status" -eq 0 ]
	[ "$output" = activated ]
	run rpc_on "$sock" '{"jsonrpc":"2.0","id":1,"method":"version"}'
	[[ "$output" == '{"jsonrpc":"2.0","id":1,"result":{"version":'*"\"pid\":$daemon}}" ]]
	[ ! -e "$T/unused.sock" ]
	[ "$(stat -c %i "$sock")" = "$inode" ]
	# The peer check holds for a passed socket too. (socat -u only reads: the
	# daemon refuses at once, and a request written after that gets EPIPE.)
	chmod 0711 "$T"
	chmod 0666 "$sock"
	run setpriv --reuid=65534 --regid=65534 --clear-groups socat -u "UNIX-CONNECT:$sock" -
	[[ "$output" == *'"code":-32006,"message":"permission denied'* ]]
	# Neither containers nor their monitors inherit the listening socket.
	CTRD_SOCKET=$sock "$CTRCTL" run -d --name activated --rootfs "$ROOTFS" sleep 1000
	pid=$(CTRD_SOCKET=$sock "$CTRCTL" inspect -f pid activated)
	listener=$(readlink "/proc/$daemon/fd/3")
	[[ "$listener" == socket:* ]]
	for p in "$pid" "$(ps -o ppid= -p "$pid" | tr -d ' ')"; do
		[ -z "$(socket_links "$p" | grep -xF "$listener")" ]
	done
	CTRD_SOCKET=$sock "$CTRCTL" rm -f activated
	# SIGTERM: exit 0 and leave the socket to systemd, where it was.
	kill -TERM "$daemon"
	wait_until 10 eval "! kill -0 $daemon 2>/dev/null"
	[ -S "$sock" ]
	[ "$(stat -c %i "$sock")" = "$inode" ]
	rm -f "$sock"
}

@test "socket activation: ctrd serves the socket it is given and neither rebinds nor removes it" {
	command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate is missing (Debian package systemd); the Python launcher is tested next"
	check_socket_activation
}

@test "socket activation without systemd: LISTEN_FDS and LISTEN_PID set by hand" {
	NO_SOCKET_ACTIVATE=1 check_socket_activation
	# Fds meant for another process (LISTEN_PID not ours) are not taken: ctrd binds --socket.
	stop_daemon
	LISTEN_FDS=1 LISTEN_PID=1 "$CTRD" --socket "$T/own.sock" "${PATHS[@]}" 2>>"$T/ctrd.log" &
	adopt $!
	wait_until 10 serves "$T/own.sock"
	stop_daemon
	[ ! -e "$T/own.sock" ]
}

@test "NOTIFY_SOCKET: READY=1 once the socket answers, only once; STOPPING=1 on SIGTERM" {
	stop_daemon
	sock=$T/notified.sock
	python3 - "$T/notify" "$sock" >"$T/notify.out" <<-'EOF' &
		import socket, sys
		n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
		n.bind(sys.argv[1])
		print("listening", flush=True)
		n.settimeout(60)
		while True:
		    msg = n.recv(4096).decode()
		    print("got", " ".join(msg.split("\n")), flush=True)
		    if "READY=1" in msg.split("\n"):
		        # Right away: the socket must already accept and answer requests.
		        c = socket.socket(socket.AF_UNIX)
		        try:
		            c.connect(sys.argv[2])
		            c.sendall(b'{"jsonrpc":"2.0","id":1,"method":"version"}\n')
		            reply = c.makefile("rb").readline()
		            print("ready-check", "ok" if b'"result"' in reply else reply, flush=True)
		        except OSError as e:
		            print("ready-check", e, flush=True)
		    if "STOPPING=1" in msg.split("\n"):
		        break
	EOF
	listener=$!
	bg $listener
	wait_until 10 grep -q listening "$T/notify.out"
	# The check above can only catch a wide gap; strace, where there is one,
	# shows the order of the system calls themselves.
	tracer=()
	if command -v strace >/dev/null; then
		# LeakSanitizer cannot stop the world under ptrace: no leak check there.
		tracer=(env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
			strace -qq -o "$T/strace" -e trace=listen,sendto)
	fi
	NOTIFY_SOCKET=$T/notify "${tracer[@]}" "$CTRD" --socket "$sock" "${PATHS[@]}" 2>>"$T/ctrd.log" &
	launcher=$!
	bg $launcher
	if [ ${#tracer[@]} -gt 0 ]; then
		wait_until 10 pgrep -P $launcher
		adopt "$(pgrep -P $launcher)"
	else
		adopt $launcher
	fi
	wait_until 10 grep -q ready-check "$T/notify.out"
	grep -qx "ready-check ok" "$T/notify.out"
	serves "$sock"
	kill -TERM "$CTRD_PID"
	status=0
	wait $launcher || status=$?
	[ "$status" -eq 0 ]
	wait $listener
	cat "$T/notify.out"
	[ "$(grep -c '^got .*READY=1' "$T/notify.out")" -eq 1 ]
	[ "$(grep -c '^got .*STOPPING=1' "$T/notify.out")" -eq 1 ]
	# In that order.
	grep '^got' "$T/notify.out" | head -n 1 | grep -q READY=1
	if [ ${#tracer[@]} -gt 0 ]; then
		cat "$T/strace"
		listened=$(grep -n '^listen(' "$T/strace" | head -n 1 | cut -d: -f1)
		ready=$(grep -n '^sendto(.*"READY=1"' "$T/strace" | cut -d: -f1)
		[ -n "$listened" ] && [ -n "$ready" ]
		[ "$listened" -lt "$ready" ]
	fi
}

@test "--log-file: the daemon logs there, reopens it on SIGHUP after a move, and --log-level filters" {
	stop_daemon
	sock=$T/logged.sock
	log=$T/daemon.log
	"$CTRD" --socket "$sock" "${PATHS[@]}" --log-level info --log-file "$log" 2>"$T/stderr" &
	adopt $!
	wait_until 10 serves "$sock"
	grep -q "info: ctrd .* ready" "$log"
	[ ! -s "$T/stderr" ]
	# At info, the debug line each connection makes is left out.
	serves "$sock"
	refute grep -q "debug:" "$log"
	refute grep -q "connected" "$log"

	# Rotated as logrotate does it: moved, then SIGHUP; new lines go to a new file.
	mv "$log" "$log.1"
	kill -HUP "$CTRD_PID"
	wait_until 10 grep -q "SIGHUP: reopened $log" "$log"
	lines=$(wc -l <"$log.1")
	CTRD_SOCKET=$sock "$CTRCTL" run --name logged --rootfs "$ROOTFS" true
	grep -q "(logged): exited with code 0" "$log"
	refute grep -q "(logged)" "$log.1"
	[ "$(wc -l <"$log.1")" -eq "$lines" ]
	[ "$(stat -c %a "$log")" = 640 ]

	# A file that cannot be opened: the error goes to the file still in use.
	mv "$log" "$log.2"
	mkdir "$log"
	kill -HUP "$CTRD_PID"
	wait_until 10 grep -q "error: SIGHUP: open log file $log: Is a directory" "$log.2"
	CTRD_SOCKET=$sock "$CTRCTL" rm logged
	rmdir "$log"
	kill -HUP "$CTRD_PID"
	wait_until 10 grep -q "SIGHUP: reopened $log" "$log"
	stop_daemon
	[ ! -s "$T/stderr" ]

	# debug adds the connection lines; warn drops the info ones.
	"$CTRD" --socket "$sock" "${PATHS[@]}" --log-level debug --log-file "$T/debug.log" 2>"$T/stderr" &
	adopt $!
	wait_until 10 serves "$sock"
	grep -q "debug: client pid [0-9]* uid 0 connected" "$T/debug.log"
	stop_daemon
	"$CTRD" --socket "$sock" "${PATHS[@]}" --log-level warn --log-file "$T/warn.log" 2>"$T/stderr" &
	adopt $!
	wait_until 10 serves "$sock"
	CTRD_SOCKET=$sock "$CTRCTL" run --rm --rootfs "$ROOTFS" true
	stop_daemon
	refute grep -q "info:\|debug:" "$T/warn.log"
	[ ! -s "$T/stderr" ]
}

@test "with a group ctrd: socket 0660 root:ctrd; members are served; others are refused even on a 0666 socket" {
	command -v setpriv >/dev/null && command -v socat >/dev/null || skip "needs setpriv and socat"
	if gid=$(getent group ctrd | cut -d: -f3) && [ -n "$gid" ]; then
		private=
	else
		# No ctrd group here: the daemon gets one in a private /etc/group, in a
		# mount namespace of its own, so the machine's groups are never touched.
		command -v unshare >/dev/null || skip "needs unshare for a private /etc/group"
		gid=64000
		while getent group "$gid" >/dev/null; do gid=$((gid + 1)); done
		cp /etc/group "$T/group"
		echo "ctrd:x:$gid:" >>"$T/group"
		private=1
	fi
	stop_daemon
	sock=$T/group.sock
	if [ -n "$private" ]; then
		unshare --mount --propagation private sh -c 'mount --bind "$0" /etc/group && exec "$@"' \
			"$T/group" "$CTRD" --socket "$sock" "${PATHS[@]}" --log-level debug 2>>"$T/ctrd.log" &
	else
		"$CTRD" --socket "$sock" "${PATHS[@]}" --log-level debug 2>>"$T/ctrd.log" &
	fi
	adopt $!
	wait_until 10 serves "$sock"
	[ "$(stat -c '%a %u %g' "$sock")" = "660 0 $gid" ]
	chmod 0711 "$T"
	req='{"jsonrpc":"2.0","id":1,"method":"version"}'
	# A member through a supplementary group, and through its primary group.
	run setpriv --reuid=65534 --regid=65534 --groups="$gid" socat -t 5 - "UNIX-CONNECT:$sock" < <(echo "$req")
	[[ "$output" == '{"jsonrpc":"2.0","id":1,"result":{"version":'* ]]
	run setpriv --reuid=65534 --regid="$gid" --clear-groups socat -t 5 - "UNIX-CONNECT:$sock" < <(echo "$req")
	[[ "$output" == '{"jsonrpc":"2.0","id":1,"result":{"version":'* ]]
	run setpriv --reuid=65534 --regid=65534 --groups="$gid" env CTRD_SOCKET="$sock" "$CTRCTL" ps
	[ "$status" -eq 0 ]
	[[ "$output" == "ID "* ]]
	# Anyone else cannot even connect while the mode is right...
	run setpriv --reuid=65534 --regid=65534 --clear-groups socat -t 5 - "UNIX-CONNECT:$sock" < <(echo "$req")
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	# ...and is turned away by the daemon, and logged, when it is not. (socat -u
	# only reads: a request written after the refusal would just get EPIPE.)
	chmod 0666 "$sock"
	run setpriv --reuid=65534 --regid=65534 --clear-groups socat -u "UNIX-CONNECT:$sock" -
	chmod 0660 "$sock"
	[ "$output" = '{"jsonrpc":"2.0","id":null,"error":{"code":-32006,"message":"permission denied: ctrd accepts root and members of group ctrd only","data":{"reason":"permission_denied"}}}' ]
	grep -q "refused client pid [0-9]* uid 65534 gid 65534: not root and not in the socket's group" "$T/ctrd.log"
	stop_daemon
	[ ! -e "$sock" ]
}
