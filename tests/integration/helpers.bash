# Shared by the integration tests. Each .bats file starts its own ctrd on
# private paths in setup_file and tears everything down in teardown_file,
# even when tests fail: containers (through their monitors), the daemon and
# the temporary directory. Nothing touches /run/ctrd or /var/lib/ctrd.

: "${CTRD:?run through make check}" "${CTRCTL:?}" "${PROBE:?}" "${MKROOTFS:?}"

# Needs root for namespaces and mounts; TAP-skips everything otherwise.
require_root() {
	[ "$(id -u)" -eq 0 ] || skip "integration tests need root"
}

# Polls cond (a command) until it succeeds or secs pass; never a fixed sleep.
wait_until() {
	local secs=$1
	shift
	local deadline=$((SECONDS + secs))
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.02
	done
}

# The daemon of this file: T is its directory, CTRD_SOCKET its socket.
ctrd_start() {
	T=$(mktemp -d /tmp/ctrd-test.XXXXXX)
	# Passable (not listable) for a --userns container's root, a host nobody.
	chmod 0711 "$T"
	export T
	export CTRD_SOCKET="$T/ctrd.sock"
	export ROOTFS="$T/rootfs"
	"$MKROOTFS" "$ROOTFS" >/dev/null
	cp "$PROBE" "$ROOTFS/bin/probe"
	# The busybox image, as make install builds it (with the probe).
	mkdir -p "$T/root/images/busybox"
	cp -a "$ROOTFS" "$T/root/images/busybox/rootfs"
	printf '{"command":["sh"]}\n' >"$T/root/images/busybox/config.json"
	ctrd_launch "$@"
}

# (Re)starts the daemon on the existing paths.
ctrd_launch() {
	# A cgroup parent of its own, so parallel test files and a system ctrd never meet.
	"$CTRD" --socket "$CTRD_SOCKET" --state-dir "$T/state" --root "$T/root" \
		--cgroup-parent "$(cgroup_parent)" --log-level debug "$@" 2>>"$T/ctrd.log" &
	CTRD_PID=$!
	echo "$CTRD_PID" >"$T/ctrd.pid"
	wait_until 10 ctrd_ready || {
		cat "$T/ctrd.log" >&2
		return 1
	}
}

ctrd_ready() {
	kill -0 "$CTRD_PID" 2>/dev/null && [ -S "$CTRD_SOCKET" ] &&
		"$CTRCTL" version >/dev/null 2>&1
}

# Fails if the command succeeds. A bare `! cmd` fails nothing in a test
# unless it is the last command: errexit ignores negated commands.
refute() {
	! "$@"
}

cgroup_parent() {
	echo "ctrd-test/${T##*.}"
}

# The container groups and the test's parent group in every hierarchy, deepest first.
cgroup_dirs() {
	local top
	for top in /sys/fs/cgroup /sys/fs/cgroup/*/; do
		[ -d "$top/$(cgroup_parent)" ] || continue
		find "$top/$(cgroup_parent)" -mindepth 1 -maxdepth 1 -type d
		echo "$top/$(cgroup_parent)"
	done
}

# Kills every monitor (their inits die with them), the daemon, and removes T.
ctrd_stop() {
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	local pid f id
	# Containers a failed test left: removed through the daemon, which owns their cgroups.
	for id in $("$CTRCTL" ps -aq 2>/dev/null); do
		"$CTRCTL" rm -f "$id" >/dev/null 2>&1 || true
	done
	if [ -f "$T/ctrd.pid" ]; then
		pid=$(cat "$T/ctrd.pid")
		kill -TERM "$pid" 2>/dev/null && wait_until 10 eval "! kill -0 $pid 2>/dev/null"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	for f in "$T"/state/containers/*/state.json; do
		[ -f "$f" ] || continue
		for pid in $(grep -o '"pid":[0-9]*' "$f" | cut -d: -f2); do
			kill -KILL "$pid" 2>/dev/null || true
		done
	done
	# Every container's group must be gone by now; then the test's parent goes too.
	local bad=0 dir
	for dir in $(cgroup_dirs); do
		case $dir in
		*/"$(cgroup_parent)") rmdir "$dir" "${dir%/*}" 2>/dev/null || true ;;
		*/.spare-*)
			# Empty groups kept for reuse: a daemon removes them when it exits or
			# starts, but not one that a test killed and did not restart.
			rmdir "$dir" || bad=1
			;;
		*)
			echo "left behind: cgroup $dir" >&2
			bad=1
			rmdir "$dir" 2>/dev/null || true
			;;
		esac
	done
	# A sanitizer build reports into the daemon's log: any report fails the file.
	if grep -q 'Sanitizer\|runtime error:' "$T/ctrd.log" 2>/dev/null; then
		grep -A20 'Sanitizer\|runtime error:' "$T/ctrd.log" >&2
		bad=1
	fi
	rm -rf "$T"
	return $bad
}

# Shows the daemon's log when a test fails (bats prints a failed test's output).
dump_log() {
	echo "--- ctrd.log (last 40 lines) ---"
	tail -n 40 "$T/ctrd.log"
}

# Raw JSON-RPC: sends each argument as one line and prints the replies.
rpc() {
	local line
	for line in "$@"; do printf '%s\n' "$line"; done |
		socat -t 5 - "UNIX-CONNECT:$CTRD_SOCKET"
}

# The host PID ctrd reports for a container (empty unless it runs).
ctr_pid() {
	"$CTRCTL" inspect -f pid "$1"
}

# A field of inspect's JSON ("state", "config.hostname").
inspect_field() {
	"$CTRCTL" inspect -f "$2" "$1"
}
