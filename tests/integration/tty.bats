#!/usr/bin/env bats
# Terminals: run -t and exec -t through a real pseudo-terminal, as a user
# at a terminal drives them (the tty, job control, the window size, exit
# codes, raw mode and its restoring, signals), -t without a terminal, a
# detached -t container's log, and TIOCSTI from a container that was handed
# the caller's terminal without -t.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	require_root
	ctrd_start
	"$CTRCTL" run -d --name tty-box busybox sleep 100000 >/dev/null
	# The terminal a user would sit at, driven like script(1) or expect(1).
	cat >"$T/ptydrive.py" <<'PY'
"""ptydrive ROWSxCOLS COMMAND STEP...: runs COMMAND (with sh -c) as the
session leader of a new pseudo-terminal whose window size is set before it
starts, performs the steps, then reads until the command exits, prints
everything it wrote (carriage returns removed) and exits with its status.

Steps:
  expect:REGEX   wait (at most 30 s) until REGEX matches output not yet matched
  send:TEXT      type TEXT (Python escapes: \\n, \\r, \\x03 ...)
  resize:RxC     set the window size on the master (SIGWINCH to the foreground job)
  run:SHELLCMD   run a shell command outside the terminal (sh -c), which must succeed

The terminal's path is in $PTYDRIVE_TTY for the command and the run: steps.
"""
import codecs
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

TIMEOUT = 30.0


def set_size(fd, spec):
    rows, cols = (int(x) for x in spec.split("x"))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    size, command, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
    master, slave = os.openpty()
    set_size(master, size)
    # For the command and the run: steps, which may look at the terminal from outside.
    os.environ["PTYDRIVE_TTY"] = os.ttyname(slave)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.execvp("sh", ["sh", "-c", command])
    os.close(slave)
    out = bytearray()
    seen = 0  # output before this offset has been matched already
    status = None

    def fail(why):
        sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
        sys.stderr.write("ptydrive: %s\n" % why)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        sys.exit(99)

    def pump(deadline):
        """Reads what is there until the deadline; False at EOF."""
        r, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            return True
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: no process holds the slave any more
            return False
        if not data:
            return False
        out.extend(data)
        return True

    for step in steps:
        kind, _, arg = step.partition(":")
        if kind == "expect":
            pattern = re.compile(arg.encode())
            deadline = time.monotonic() + TIMEOUT
            while True:
                m = pattern.search(bytes(out), seen)
                if m:
                    seen = m.end()
                    break
                if time.monotonic() >= deadline:
                    fail("timed out waiting for %r" % arg)
                if not pump(deadline):
                    m = pattern.search(bytes(out), seen)
                    if m:
                        seen = m.end()
                        break
                    fail("EOF while waiting for %r" % arg)
        elif kind == "send":
            os.write(master, codecs.decode(arg, "unicode_escape").encode("latin-1"))
        elif kind == "resize":
            set_size(master, arg)
        elif kind == "run":
            if subprocess.run(["sh", "-c", arg]).returncode != 0:
                fail("failed: %s" % arg)
        else:
            fail("unknown step %r" % step)
    deadline = time.monotonic() + TIMEOUT
    while status is None:
        if not pump(min(deadline, time.monotonic() + 0.1)):
            # The slave is closed: the command has exited or is about to.
            _, status = os.waitpid(pid, 0)
            break
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            while pump(time.monotonic() + 0.2):
                pass
        elif time.monotonic() >= deadline:
            fail("timed out waiting for the command to exit")
    sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


main()
PY
}

teardown_file() {
	ctrd_stop
}

teardown() {
	[ "${BATS_TEST_COMPLETED:-}" = 1 ] || dump_log
}

# pty ROWSxCOLS COMMAND STEP...: see the driver's doc string above.
pty() {
	python3 "$T/ptydrive.py" "$@"
}

# The lines "stty -g" printed (the only lines of hex digits and colons), one per line.
stty_lines() {
	grep -E '^[0-9a-f]+(:[0-9a-f]+){10,}$' <<<"$1"
}

# A ptydrive step that fails unless the outer terminal is in raw mode (no isig, icanon, echo).
OUTER_IS_RAW='run:stty -a -F "$PTYDRIVE_TTY" | tr " " "\n" | grep -cxE -- "-(isig|icanon|echo)" | grep -qx 3'

@test "run -it: a terminal of its own, a shell with job control, and the shell's exit code" {
	# No command: the image's own ("sh").
	run -5 pty 30x100 "$CTRCTL run --rm -it busybox" \
		'expect:# ' 'send:tty\n' 'expect:/dev/pts/[0-9]+' \
		'send:set -o | grep monitor\n' 'expect:monitor +on' \
		'send:sleep 1000 &\n' 'send:jobs\n' 'expect:\[1\]\+? +Running +sleep 1000' \
		'send:kill %1\n' 'send:exit 5\n'
	echo "$output"
	[[ "$output" != *"job control turned off"* ]]
}

@test "exec -it: a terminal of its own, a shell with job control, and the shell's exit code" {
	# busybox ps shows a terminal as MAJOR,MINOR; the container's init has none.
	run -5 pty 30x100 "$CTRCTL exec -it tty-box sh" \
		'expect:# ' 'send:tty\n' 'expect:/dev/pts/[0-9]+' \
		'send:set -o | grep monitor\n' 'expect:monitor +on' \
		'send:ps -o pid,tty,comm\n' 'expect:\n +1 +\? +sleep' 'expect:[0-9]+,[0-9]+ +ps' \
		'send:exit 5\n'
	echo "$output"
	[[ "$output" != *"job control turned off"* ]]
	[ "$(inspect_field tty-box state)" = running ]
}

@test "the window size is set before the command starts and follows the outer terminal" {
	# The command runs at once: it must see the size sent with the request.
	run -0 pty 33x111 "$CTRCTL run --rm -t busybox stty size"
	[[ "$output" == *"33 111"* ]]
	run -0 pty 34x112 "$CTRCTL exec -t tty-box stty size"
	[[ "$output" == *"34 112"* ]]
	# SIGWINCH: ctrctl copies the new size to the container's terminal.
	run -0 pty 33x111 "$CTRCTL run --rm -it busybox sh" \
		'expect:# ' 'send:stty size\n' 'expect:33 111' \
		'resize:44x122' 'send:stty size\n' 'expect:44 122' \
		'resize:20x60' 'send:stty size\n' 'expect:20 60' 'send:exit\n'
	run -0 pty 35x113 "$CTRCTL exec -it tty-box sh" \
		'expect:# ' 'send:stty size\n' 'expect:35 113' \
		'resize:45x123' 'send:stty size\n' 'expect:45 123' 'send:exit\n'
}

@test "the outer terminal is raw while attached with -i and restored afterwards" {
	for cmd in "run --rm -it busybox sh" "exec -it tty-box sh"; do
		run -0 pty 24x80 "stty -g; $CTRCTL $cmd; echo rc=\$?; stty -g" \
			'expect:# ' "$OUTER_IS_RAW" 'send:exit 3\n' 'expect:rc=3'
		echo "$output"
		before_after=$(stty_lines "$output")
		[ "$(wc -l <<<"$before_after")" -eq 2 ]
		[ "$(sed -n 1p <<<"$before_after")" = "$(sed -n 2p <<<"$before_after")" ]
	done
}

@test "in raw mode Ctrl-C goes to the container's foreground job, not to ctrctl" {
	run -4 pty 24x80 "$CTRCTL run --rm -it busybox sh" \
		'expect:# ' "send:sh -c 'echo sleeping; exec sleep 1000'\n" 'expect:\nsleeping' \
		'send:\x03' 'expect:# ' 'send:echo alive\n' 'expect:\nalive' 'send:exit 4\n'
}

@test "without -i the keyboard stays ctrctl's: typed text does not reach the process" {
	run -0 pty 24x80 "$CTRCTL run --rm -t busybox sh -c 'echo ready; read -t 2 x; echo \"got:[\$x]\"'" \
		'expect:ready' 'send:typed\n' 'expect:got:'
	[[ "$output" == *"got:[]"* ]]
}

@test "SIGTERM to run -t goes to the container, and the terminal is restored" {
	cat >"$T/term.sh" <<EOF
stty -g
exec 3<&0
'$CTRCTL' run --rm -it busybox sh -c 'trap "exit 33" TERM; echo ready; while :; do sleep 0.1; done' <&3 3<&- &
echo \$! >"$T/client.pid"
wait \$!
echo rc=\$?
stty -g
EOF
	run -0 pty 24x80 "sh $T/term.sh" 'expect:ready' "$OUTER_IS_RAW" \
		"run:kill -TERM \$(cat $T/client.pid)" 'expect:rc=33'
	echo "$output"
	before_after=$(stty_lines "$output")
	[ "$(sed -n 1p <<<"$before_after")" = "$(sed -n 2p <<<"$before_after")" ]
}

@test "SIGTERM to exec -t hangs the process's terminal up, and the terminal is restored" {
	cat >"$T/term.sh" <<EOF
stty -g
exec 3<&0
'$CTRCTL' exec -it tty-box sh <&3 3<&- &
echo \$! >"$T/client.pid"
wait \$!
echo rc=\$?
stty -g
EOF
	run -0 pty 24x80 "sh $T/term.sh" 'expect:# ' "$OUTER_IS_RAW" \
		"run:kill -TERM \$(cat $T/client.pid)" 'expect:rc=129'
	echo "$output"
	before_after=$(stty_lines "$output")
	[ "$(sed -n 1p <<<"$before_after")" = "$(sed -n 2p <<<"$before_after")" ]
	[ "$(inspect_field tty-box state)" = running ]
}

@test "-t without a terminal: bytes are just copied" {
	run -4 "$CTRCTL" run --rm -t busybox sh -c 'tty; echo out; exit 4'
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *out* ]]
	run -6 bash -c "printf 'echo \$((2+3))\nexit 6\n' | '$CTRCTL' exec -it tty-box sh"
	[[ "$output" == *$'\n5\r'* ]]
	run -0 bash -c "printf 'hello\n' | '$CTRCTL' run --rm -it busybox head -n 1"
	[[ "$output" == *hello* ]]
}

@test "a detached -t container writes to its log through its terminal" {
	"$CTRCTL" run -d -t --name tty-logged busybox sh -c 'tty; echo hi'
	run "$CTRCTL" wait tty-logged
	[ "$output" = 0 ]
	wait_until 10 eval '"$CTRCTL" logs tty-logged | grep -q hi'
	run "$CTRCTL" logs tty-logged
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *hi* ]]
	"$CTRCTL" rm tty-logged
}

@test "a container handed the caller's terminal without -t cannot push input into it (TIOCSTI)" {
	cat >"$T/sti.sh" <<EOF
'$CTRCTL' run --rm -i busybox probe sti 0
'$CTRCTL' run --rm busybox probe sti 1
'$CTRCTL' exec -i tty-box probe sti 0
python3 -c 'import fcntl, struct, termios
# Injected bytes wait in the input queue; out of canonical mode FIONREAD counts them.
saved = termios.tcgetattr(0)
raw = list(saved)
raw[3] &= ~termios.ICANON
termios.tcsetattr(0, termios.TCSANOW, raw)
n = struct.unpack("i", fcntl.ioctl(0, termios.FIONREAD, b"\0\0\0\0"))[0]
termios.tcsetattr(0, termios.TCSANOW, saved)
print("pending", n)'
EOF
	run pty 24x80 "sh $T/sti.sh"
	echo "$output"
	[[ "$output" != *"sti: injected"* ]]
	[ "$(grep -cE '^sti: (EPERM|EIO)$' <<<"$output")" -eq 3 ]
	[[ "$output" == *"pending 0"* ]]
}

@test "losing the daemon restores the terminal and exits 125" {
	# This test's own daemon, so that it can be killed and waited for.
	kill -TERM "$(cat "$T/ctrd.pid")"
	wait_until 10 eval '! kill -0 $(cat "$T/ctrd.pid") 2>/dev/null'
	ctrd_launch
	run -0 pty 24x80 "stty -g; $CTRCTL run -it --name orphan busybox sh; echo rc=\$?; stty -g" \
		'expect:# ' "run:kill -KILL $CTRD_PID" 'expect:rc=125'
	echo "$output"
	[[ "$output" == *"ctrctl: lost the connection to ctrd"* ]]
	before_after=$(stty_lines "$output")
	[ "$(sed -n 1p <<<"$before_after")" = "$(sed -n 2p <<<"$before_after")" ]
	wait "$CTRD_PID" 2>/dev/null || true
	ctrd_launch
	"$CTRCTL" rm -f orphan
}

@test "no container or monitor is left behind" {
	"$CTRCTL" rm -f tty-box
	[ -z "$("$CTRCTL" ps -aq)" ]
	[ -z "$(ls "$T/state/containers")" ]
}
