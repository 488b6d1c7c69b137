#!/bin/sh
# tests.sh: ctrd on a pure cgroup v2 host. Runs inside the test VM (busybox
# ash, as root, started by /init) and prints TAP on stdout, the plan last.
#
# Adding a test: write a function t_NAME and list it with `run_test t_NAME
# "what it checks"` at the bottom. The function runs in a subshell under
# `set -e -x`: any failing command fails the test, and its trace and output
# become TAP diagnostics. fail MSG, expect_eq, expect_match help say why;
# skip REASON reports "ok N - ... # SKIP REASON". Containers a test leaves are
# removed after it (through ctrd, so it also cleans up their cgroups).
#
# Helpers: ctr (ctrctl with a time limit), start_ctr NAME [RUN-FLAGS...] (a
# detached `busybox sleep` container; sets ID and PID), cg_dir ID, cg_read ID
# FILE (a control file of a container's group: cg_read "$ID" memory.max),
# wait_until SECS CMD..., pids_of ARGV..., CG (the cgroup parent,
# /sys/fs/cgroup/ctrd), T (scratch), ROOTFS (a busybox tree for --rootfs).
# Not -e: a failing test must not end the run (each test has its own -e).
set -u
PATH=/opt/ctrd/bin:/bin:/sbin:/usr/bin:/usr/sbin
export PATH

T=/tmp/ctrd-vm
ROOTFS=$T/rootfs
CG=/sys/fs/cgroup/ctrd
CTRD_SOCKET=$T/ctrd.sock
export CTRD_SOCKET
CTR_TIMEOUT=${CTR_TIMEOUT:-60}
n=0
failed=0

# ---------------------------------------------------------------- TAP and assertions
tap_ok() { n=$((n + 1)) && echo "ok $n - $*"; }
tap_not_ok() { n=$((n + 1)) && failed=$((failed + 1)) && echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
skip() {
	echo "$*" >"$T/skip"
	exit 200
}
expect_eq() { # ACTUAL EXPECTED WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}
expect_match() { # ACTUAL GLOB WHAT
	# shellcheck disable=SC2254 # a pattern, on purpose
	case $1 in
	$2) ;;
	*) fail "$3: expected a match for '$2', got '$1'" ;;
	esac
}

# Polls a command until it succeeds or SECS pass.
wait_until() {
	_secs=$1
	shift
	_i=0
	until "$@"; do
		[ $_i -lt $((_secs * 10)) ] || return 1
		_i=$((_i + 1))
		sleep 0.1
	done
}

# The type of the file system at a mount point, from /proc/mounts of PID (default self).
fstype() {
	awk -v m="$1" '$2 == m { t = $3 } END { print t }' "/proc/${2:-self}/mounts"
}

# ---------------------------------------------------------------- ctrd and containers
# ctr (made by setup, in $T/bin): ctrctl with a time limit. A script, not a
# function, so that set -x traces it as one command and its trace never lands
# in a captured 2>&1.

# ctrd runs under a small wrapper that records its exit status, so any
# shell (a test's subshell too) can stop and restart it.
ctrd_launch() {
	rm -f "$T/ctrd.pid" "$T/ctrd.exit"
	(
		ctrd --socket "$CTRD_SOCKET" --state-dir "$T/state" --root "$T/root" \
			--log-level debug --userns-range 400000:65536 2>>"$T/ctrd.log" &
		echo $! >"$T/ctrd.pid"
		wait $!
		echo $? >"$T/ctrd.exit"
	) &
	wait_until 30 ctrd_ready
}
ctrd_ready() {
	[ -s "$T/ctrd.pid" ] && [ ! -e "$T/ctrd.exit" ] && [ -S "$CTRD_SOCKET" ] &&
		ctrctl version >/dev/null 2>&1
}
# SIGTERM, then its exit status (or 124 if it is still there after 30 s).
ctrd_stop() {
	[ -s "$T/ctrd.pid" ] || return 0
	kill -TERM "$(cat "$T/ctrd.pid")" 2>/dev/null
	wait_until 30 test -e "$T/ctrd.exit" || return 124
	rm -f "$T/ctrd.pid"
	return "$(cat "$T/ctrd.exit")"
}

cg_dir() { echo "$CG/$1"; }
cg_read() { cat "$CG/$1/$2"; }

# start_ctr NAME [RUN-FLAGS...]: a detached busybox container that sleeps; sets ID and PID.
start_ctr() {
	_name=$1
	shift
	ctr run -d --name "$_name" "$@" busybox sleep 1000 >/dev/null
	ID=$(ctr inspect -f id "$_name")
	PID=$(ctr inspect -f pid "$_name")
	expect_match "$ID" "????????????????????????????????????????????????????????????????" "full id of $_name"
	[ "$PID" -gt 0 ] || fail "no pid for $_name: '$PID'"
}

# The host PIDs whose command line is exactly the arguments.
pids_of() {
	_want=$(printf '%s\001' "$@")
	for _p in /proc/[0-9]*; do
		[ "$(tr '\0' '\001' <"$_p/cmdline" 2>/dev/null)" = "$_want" ] && echo "${_p#/proc/}"
	done
	return 0
}

# The container groups under the parent, one per line.
cgroups_left() {
	find "$CG" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort
}

remove_all_containers() {
	for _c in $(ctr ps -aq 2>/dev/null); do
		ctr rm -f "$_c" >/dev/null 2>&1 || echo "# cleanup: rm -f $_c failed"
	done
}

# run_test FUNCTION DESCRIPTION...
run_test() {
	_fn=$1
	shift
	rm -f "$T/skip"
	(
		set -e -x
		"$_fn"
	) >"$T/out" 2>&1
	_rc=$?
	if [ $_rc -eq 0 ]; then
		tap_ok "$*"
	elif [ $_rc -eq 200 ]; then
		tap_ok "$* # SKIP $(cat "$T/skip")"
	else
		tap_not_ok "$*"
		echo "$_fn exited $_rc; its trace and output:" | diag
		tail -n 40 "$T/out" | diag
		echo "ctrd.log, last 15 lines:" | diag
		tail -n 15 "$T/ctrd.log" | diag
	fi
	remove_all_containers
}

# ---------------------------------------------------------------- the tests
t_pure_v2_host() {
	expect_eq "$(fstype /sys/fs/cgroup)" cgroup2 "file system type of /sys/fs/cgroup"
	expect_eq "$(stat -f -c %t /sys/fs/cgroup)" 63677270 "statfs magic of /sys/fs/cgroup (CGROUP2_SUPER_MAGIC)"
	expect_match "$(cat /proc/cmdline)" "*cgroup_no_v1=all*" "kernel command line"
	# No controller is bound to a v1 hierarchy (column 2 of /proc/cgroups is 0 for all).
	expect_eq "$(awk 'NR > 1 && $2 != 0' /proc/cgroups)" "" "controllers on v1 hierarchies"
	expect_eq "$(grep -c ' cgroup ' /proc/mounts)" 0 "v1 cgroup mounts"
}

t_daemon_detects_v2() {
	grep -q 'cgroups: v2' "$T/ctrd.log" || fail "ctrd.log has no 'cgroups: v2' line"
	[ -d "$CG" ] || fail "$CG was not created"
}

t_parent_delegates_controllers() {
	_ctl=" $(cat "$CG/cgroup.subtree_control") "
	for c in cpu memory pids; do
		expect_match "$_ctl" "* $c *" "$CG/cgroup.subtree_control"
	done
}

t_run_image() {
	expect_eq "$(ctr run --rm busybox echo hello)" hello "output of run busybox echo hello"
}

t_run_rootfs() {
	rc=0
	ctr run --rm --rootfs "$ROOTFS" probe exit 3 || rc=$?
	expect_eq "$rc" 3 "exit code of run --rootfs ... probe exit 3"
	expect_eq "$(ctr run --rm --rootfs "$ROOTFS" echo hello)" hello "output of run --rootfs"
}

t_cgroup_holds_init() {
	start_ctr c1
	[ -d "$(cg_dir "$ID")" ] || fail "no cgroup $(cg_dir "$ID")"
	grep -qx "$PID" "$(cg_dir "$ID")/cgroup.procs" || fail "pid $PID not in $(cg_dir "$ID")/cgroup.procs"
	expect_eq "$(cat "/proc/$PID/cgroup")" "0::/ctrd/$ID" "/proc/$PID/cgroup"
}

t_cgroup_ns_root() {
	expect_eq "$(ctr run --rm busybox cat /proc/self/cgroup)" "0::/" "/proc/self/cgroup inside"
}

t_cgroupfs_inside() {
	out=$(ctr run --rm busybox sh -c 'stat -f -c %t /sys/fs/cgroup; grep " /sys/fs/cgroup " /proc/mounts')
	expect_match "$out" "63677270*" "statfs magic of /sys/fs/cgroup inside (CGROUP2_SUPER_MAGIC)"
	expect_match "$out" "*cgroup2 /sys/fs/cgroup cgroup2 ro,*" "/sys/fs/cgroup in /proc/mounts inside"
	# The container's own group is the root it sees: its init is in it, the host's groups are not.
	out=$(ctr run --rm busybox sh -c 'grep -qx 1 /sys/fs/cgroup/cgroup.procs && echo init-in-root; ls /sys/fs/cgroup')
	expect_match "$out" "init-in-root*" "PID 1 in the cgroup.procs of the root seen inside"
	case $out in *ctrd*) fail "the host's ctrd group is visible inside: $out" ;; esac
	if out=$(ctr run --rm busybox mkdir /sys/fs/cgroup/escape 2>&1); then
		fail "mkdir in /sys/fs/cgroup succeeded inside"
	fi
	expect_match "$out" "*Read-only file system*" "mkdir /sys/fs/cgroup/escape inside"
}

t_device_filter() {
	if out=$(ctr run --rm busybox sh -c 'mknod /tmp/m c 1 1 && echo made; head -c1 /tmp/m' 2>&1); then
		fail "reading a mknod'ed /dev/mem succeeded: $out"
	fi
	expect_match "$out" "made*Operation not permitted*" "mknod c 1 1 then head -c1"
	out=$(ctr run --rm busybox sh -c 'head -c4 /dev/urandom | wc -c; echo x >/dev/null && echo null-ok')
	expect_eq "$(echo "$out" | tr '\n' ' ')" "4 null-ok " "/dev/urandom and /dev/null inside"
}

t_exec_same_cgroup() {
	start_ctr c1
	ctr exec -d c1 sleep 4242 >/dev/null
	wait_until 10 eval '[ -n "$(pids_of sleep 4242)" ]' || fail "the exec'd sleep 4242 never showed up"
	p=$(pids_of sleep 4242)
	expect_eq "$(cat "/proc/$p/cgroup")" "$(cat "/proc/$PID/cgroup")" "/proc/$p/cgroup (exec) vs init's"
	grep -qx "$p" "$(cg_dir "$ID")/cgroup.procs" || fail "exec'd pid $p not in the container's cgroup.procs"
	expect_eq "$(ctr exec c1 cat /proc/self/cgroup)" "0::/" "/proc/self/cgroup of an attached exec"
}

t_rm_removes_cgroup() {
	start_ctr c1
	[ -d "$(cg_dir "$ID")" ]
	ctr rm -f c1 >/dev/null
	[ ! -e "$(cg_dir "$ID")" ] || fail "$(cg_dir "$ID") is still there after rm -f"
	kill -0 "$PID" 2>/dev/null && fail "init $PID still runs after rm -f"
	return 0
}

t_failed_start_no_cgroup() {
	before=$(cgroups_left)
	rc=0
	ctr run --name bad busybox /nonexistent >"$T/bad.out" 2>&1 || rc=$?
	cat "$T/bad.out"
	expect_eq "$rc" 127 "exit code of run busybox /nonexistent"
	expect_eq "$(cgroups_left)" "$before" "container groups after a failed start"
	if id=$(ctr inspect -f id bad 2>/dev/null); then
		[ ! -e "$(cg_dir "$id")" ] || fail "the failed container's $(cg_dir "$id") exists"
	fi
	# A start that fails in setup, before the command: an unusable working directory.
	rc=0
	ctr run --name bad2 -w /proc/self/fd/7 busybox true >"$T/bad.out" 2>&1 || rc=$?
	cat "$T/bad.out"
	expect_eq "$rc" 125 "exit code of run -w /proc/self/fd/7"
	expect_eq "$(cgroups_left)" "$before" "container groups after a failed setup"
}

t_restart_keeps_cgroup() {
	start_ctr c1
	ctrd_stop || fail "ctrd exited with $? on SIGTERM"
	grep -qx "$PID" "$(cg_dir "$ID")/cgroup.procs" || fail "init left its group while ctrd was down"
	ctrd_launch || fail "ctrd did not come back"
	expect_eq "$(ctr inspect -f pid c1)" "$PID" "pid after the restart"
	ctr exec -d c1 sleep 4343 >/dev/null
	wait_until 10 eval '[ -n "$(pids_of sleep 4343)" ]' || fail "the exec'd sleep 4343 never showed up"
	expect_eq "$(cat "/proc/$(pids_of sleep 4343)/cgroup")" "0::/ctrd/$ID" "cgroup of an exec after restart"
	ctr rm -f c1 >/dev/null
	[ ! -e "$(cg_dir "$ID")" ] || fail "$(cg_dir "$ID") is still there after rm -f"
}

t_userns_cgroup() {
	[ "$(fstype "$T/root")" != tmpfs ] || skip "ctrd's root is on tmpfs, which Linux < 6.3 cannot idmap"
	start_ctr u1 --userns
	expect_eq "$(cat "/proc/$PID/cgroup")" "0::/ctrd/$ID" "/proc/$PID/cgroup of a --userns container"
	expect_eq "$(ctr exec u1 cat /proc/self/cgroup)" "0::/" "/proc/self/cgroup inside a --userns container"
	# mknod itself fails here (no CAP_MKNOD over the host's devices); either way no access.
	if out=$(ctr exec u1 sh -c 'mknod /tmp/m c 1 1 && echo made; head -c1 /tmp/m' 2>&1); then
		fail "reading a mknod'ed /dev/mem in a --userns container succeeded: $out"
	fi
	expect_match "$out" "*Operation not permitted*" "mknod c 1 1 then head -c1 in a --userns container"
	ctr rm -f u1 >/dev/null
	[ ! -e "$(cg_dir "$ID")" ] || fail "$(cg_dir "$ID") is still there after rm -f"
}

t_nothing_left() {
	remove_all_containers
	expect_eq "$(cgroups_left)" "" "groups left under $CG"
	expect_eq "$(cat "$CG/cgroup.procs")" "" "processes in $CG itself"
}

# ---------------------------------------------------------------- setup, the list, teardown
# ctrd's --root (images, container layers, logs) on an ext4 file system, as on
# a real host: tmpfs before Linux 6.3 cannot be idmapped, which --userns needs.
# Falls back to the tmpfs when the loop or ext4 module is missing.
setup_root_fs() {
	mkdir -p "$T/root"
	grep -qw ext4 /proc/filesystems || return 1
	truncate -s 512M "$T/root.img" &&
		mke2fs -F -q -b 4096 -I 256 "$T/root.img" >/dev/null &&
		mount -t ext4 -o loop "$T/root.img" "$T/root"
}

setup() {
	mkdir -p "$T/bin"
	printf '#!/bin/sh\nexec timeout "${CTR_TIMEOUT:-60}" ctrctl "$@"\n' >"$T/bin/ctr"
	chmod 0755 "$T/bin/ctr"
	PATH=$T/bin:$PATH
	export CTR_TIMEOUT
	if setup_root_fs; then
		echo "# setup: ctrd's root on $(fstype "$T/root") (loop)"
	else
		echo "# setup: no ext4 (modules?): ctrd's root on $(fstype /tmp)"
	fi
	echo "# setup: building the busybox image with mkrootfs.sh"
	BUSYBOX=/bin/busybox sh /opt/ctrd/mkrootfs.sh "$ROOTFS" >/dev/null &&
		cp /opt/ctrd/bin/probe "$ROOTFS/bin/probe" &&
		mkdir -p "$T/root/images/busybox" &&
		cp -a "$ROOTFS" "$T/root/images/busybox/rootfs" &&
		printf '{"command":["sh"]}\n' >"$T/root/images/busybox/config.json" || {
		echo "Bail out! cannot build the busybox image"
		exit 1
	}
	ctrd_launch || {
		echo "Bail out! ctrd did not start; its log:"
		diag <"$T/ctrd.log"
		exit 1
	}
}

echo "# kernel $(uname -r), $(nproc) CPUs"
setup
run_test t_pure_v2_host "the VM is a pure cgroup v2 host (cgroup_no_v1=all)"
run_test t_daemon_detects_v2 "ctrd logs 'cgroups: v2' and creates its parent group"
run_test t_parent_delegates_controllers "the parent group delegates cpu, memory and pids"
run_test t_run_image "a container runs on the busybox image"
run_test t_run_rootfs "a container runs on --rootfs"
run_test t_cgroup_holds_init "the container's group /sys/fs/cgroup/ctrd/<id> holds its init"
run_test t_cgroup_ns_root "inside, /proc/self/cgroup reads 0::/"
run_test t_cgroupfs_inside "inside, /sys/fs/cgroup is a read-only cgroup2 rooted at the container's group"
run_test t_device_filter "the eBPF device filter: a mknod'ed /dev/mem cannot be read, null and urandom work"
run_test t_exec_same_cgroup "an exec'd process lands in the container's group"
run_test t_rm_removes_cgroup "rm -f removes the container's group"
run_test t_failed_start_no_cgroup "a container that fails to start leaves no group"
run_test t_restart_keeps_cgroup "after a daemon restart, the group stays and exec still lands in it"
run_test t_userns_cgroup "a --userns container gets its group and cgroup namespace; /dev/mem stays closed"
run_test t_nothing_left "nothing is left under /sys/fs/cgroup/ctrd but the parent"

ctrd_stop
echo "# ctrd exited $? on SIGTERM"
if grep -q 'Sanitizer\|runtime error:' "$T/ctrd.log"; then
	tap_not_ok "no sanitizer reports in ctrd's log"
	grep -A20 'Sanitizer\|runtime error:' "$T/ctrd.log" | diag
fi
echo "1..$n"
[ "$failed" -eq 0 ]
