#!/usr/bin/env bats
# The escape battery: what a process inside a default container must not be
# able to do, each with the exact result a correct runtime gives. Every
# privileged attempt runs inside a container only, and is chosen to be
# harmless even if it succeeded.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	require_root
	ctrd_start --userns-range 400000:65536
	# What must be the same on the host after the battery.
	host_state >"$T/host-before"
}

teardown_file() {
	ctrd_stop
}

teardown() {
	[ "${BATS_TEST_COMPLETED:-}" = 1 ] || dump_log
}

# The host's mount table (mount points and options), hostname and a few
# /proc/sys values that are not namespaced.
host_state() {
	awk '{print $5, $6}' /proc/self/mountinfo | grep -v "^/tmp/ctrd-test" | sort
	hostname
	cat /proc/sys/kernel/core_pattern /proc/sys/kernel/sysrq /proc/sys/kernel/ctrl-alt-del \
		/proc/sys/kernel/hostname /proc/sys/vm/overcommit_memory 2>/dev/null || true
}

# True when a process named ctrd-exec runs in the pid namespace of process $1.
exec_helper_in() {
	local p ns
	ns=$(readlink "/proc/$1/ns/pid")
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = ctrd-exec ] &&
			[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] && return 0
	done
	return 1
}

# Runs probe inside a fresh container with the given ctrctl run flags.
in_ctr() {
	"$CTRCTL" run --rm --rootfs "$ROOTFS" "$@"
}

@test "capabilities: docker's default 14 for root, none effective for a non-root user" {
	run in_ctr grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "CapInh: 0000000000000000 CapPrm: 00000000a80425fb CapEff: 00000000a80425fb CapBnd: 00000000a80425fb CapAmb: 0000000000000000 NoNewPrivs: 1 Seccomp: 2" ]
	run in_ctr -u 1000 grep -E '^(CapPrm|CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status
	[ "$(echo $output)" = "CapPrm: 0000000000000000 CapEff: 0000000000000000 CapBnd: 00000000a80425fb NoNewPrivs: 1 Seccomp: 2" ]
	[ "$(inspect_field "$("$CTRCTL" run -d --rootfs "$ROOTFS" true)" capabilities)" = \
		'["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_NET_RAW","CAP_SYS_CHROOT","CAP_MKNOD","CAP_AUDIT_WRITE","CAP_SETFCAP"]' ]
}

@test "exec'd processes carry the same restrictions as the init" {
	"$CTRCTL" run -d --name restricted --rootfs "$ROOTFS" sleep 1000
	run "$CTRCTL" exec restricted grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status
	[ "$(echo $output)" = "CapEff: 00000000a80425fb CapBnd: 00000000a80425fb NoNewPrivs: 1 Seccomp: 2" ]
	run "$CTRCTL" exec -u 1000 restricted grep -E '^CapEff:' /proc/self/status
	[ "$(echo $output)" = "CapEff: 0000000000000000" ]
	run "$CTRCTL" exec restricted probe fds
	[ "$(echo $output)" = "0 1 2" ]
	run "$CTRCTL" exec restricted probe mount
	[ "$output" = "mount: EPERM" ]
	"$CTRCTL" rm -f restricted
}

@test "--cap-add and --cap-drop: ip link set lo down needs NET_ADMIN" {
	run in_ctr ip link set lo down
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	run in_ctr --cap-add NET_ADMIN ip link set lo down
	[ "$status" -eq 0 ]
	run in_ctr --cap-add cap_net_admin grep CapEff /proc/self/status
	[ "$(echo $output)" = "CapEff: 00000000a80435fb" ]
	run in_ctr --cap-drop ALL --cap-add CHOWN grep CapEff /proc/self/status
	[ "$(echo $output)" = "CapEff: 0000000000000001" ]
	run in_ctr --cap-drop NET_RAW ping -c1 -W1 127.0.0.1
	[ "$status" -ne 0 ]
	run in_ctr --cap-add NOT_A_CAP true
	[ "$status" -eq 125 ]
	[ "$output" = 'ctrctl: params.cap_add[0]: unknown capability "NOT_A_CAP"' ]
}

@test "mount, unshare, module loading, reboot and open_by_handle_at fail with EPERM" {
	run in_ctr probe mount
	[ "$output" = "mount: EPERM" ]
	run in_ctr probe unshare
	[ "$(echo $output)" = "unshare-mnt: EPERM unshare-uts: EPERM unshare-ipc: EPERM unshare-user: EPERM unshare-pid: EPERM unshare-net: EPERM unshare-cgroup: EPERM" ]
	run in_ctr probe module
	[ "$(echo $output)" = "init_module: EPERM finit_module: EPERM" ]
	run in_ctr probe reboot
	[ "$output" = "reboot: EPERM" ]
	run in_ctr probe handle
	[[ "$output" == *"open_by_handle_at: EPERM"* ]]
	# The filter is what stops unshare(CLONE_NEWUSER), which needs no capability.
	run in_ctr --security-opt seccomp=unconfined probe unshare
	[[ "$output" == *"unshare-user: ok"* ]]
	run in_ctr --security-opt seccomp=unconfined grep Seccomp: /proc/self/status
	[ "$(echo $output)" = "Seccomp: 0" ]
}

@test "writes to sysrq-trigger, core_pattern, /sys and the cgroup file system fail" {
	pattern=$(cat /proc/sys/kernel/core_pattern)
	# Harmless if they got through: help text, and the value core_pattern already has.
	run in_ctr probe writefile /proc/sysrq-trigger h
	[ "$output" = "open: EROFS" ] || [ "$output" = "open: ENOENT" ]
	run in_ctr probe writefile /proc/sys/kernel/core_pattern "$pattern"
	[ "$output" = "open: EROFS" ]
	run in_ctr sh -c 'echo 1 > /sys/kernel/profiling'
	[[ "$output" == *"Read-only file system"* ]]
	run in_ctr sh -c 'mkdir /sys/fs/cgroup/escape || mkdir /sys/fs/cgroup/memory/escape'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$pattern" ]
}

@test "masked files read empty, masked directories are empty" {
	for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats /proc/interrupts; do
		[ -e "$f" ] || continue # not in this kernel
		run in_ctr probe size "$f"
		echo "$f: $output"
		[ "$output" = "size: 0" ]
	done
	for d in /proc/acpi /proc/scsi /sys/firmware /sys/devices/virtual/powercap; do
		[ -e "$d" ] || continue
		run in_ctr ls -A "$d"
		echo "$d: $output"
		[ "$status" -eq 0 ] && [ -z "$output" ]
	done
	# And they really are hidden, not just unreadable: the host's have content.
	[ "$(wc -c </proc/interrupts)" -gt 0 ]
}

@test "/dev holds only its nodes, and a node made with mknod cannot be opened" {
	run in_ctr probe mknod-open
	[ "$(echo $output)" = "mknod: ok open: EPERM" ]
	run in_ctr sh -c 'mknod /tmp/sda b 8 0 && head -c1 /tmp/sda'
	[[ "$output" == *"Operation not permitted"* ]]
	run in_ctr sh -c 'head -c4 /dev/urandom | wc -c; echo x > /dev/null && echo null-ok'
	[ "$(echo $output)" = "4 null-ok" ]
}

@test "only fds 0, 1 and 2 reach the command; -w cannot point at a leaked host fd" {
	run in_ctr probe fds
	[ "$(echo $output)" = "0 1 2" ]
	# CVE-2024-21626: a working directory through /proc/self/fd/N of a runtime fd.
	for n in 3 4 5 6 7 8; do
		run in_ctr -w /proc/self/fd/$n pwd
		[ "$status" -eq 125 ]
		[[ "$output" == *"/proc/self/fd/$n"* ]]
	done
	run in_ctr -w /../etc pwd
	[ "$status" -eq 125 ]
}

@test "a double chroot lands back in the container" {
	touch "/probe-outside-marker"
	run in_ctr --hostname jailed probe chroot-escape
	rm -f "/probe-outside-marker"
	[[ "$output" == *"hostname-file: jailed"* ]]
	[[ "$output" == *"marker: absent"* ]]
}

@test "the exec helper cannot be traced or read while it runs ctrd code inside" {
	# A root of its own: the host reaches into it to signal the container's script.
	root="$T/trace-root"
	cp -a "$ROOTFS" "$root"
	# The init swaps /etc/passwd for a FIFO, which holds exec's process in its user lookup
	# (ctrd code, inside the container), then probes that process as the container's root.
	"$CTRCTL" run -d --name traced --rootfs "$root" sh -c '
		mv /etc/passwd /etc/passwd.real && mkfifo /etc/passwd && touch /tmp/ready
		while [ ! -e /tmp/go ]; do sleep 0.05; done
		pid=$(grep -l "^ctrd-exec" /proc/[0-9]*/comm | head -n 1 | cut -d/ -f3)
		echo "helper: $pid"
		probe ptrace "$pid"
		probe open "/proc/$pid/environ"
		# Its fd numbers show, but not what they are, and none can be opened.
		seen=refused
		for f in /proc/$pid/fd/*; do
			readlink "$f" >/dev/null 2>&1 && seen=readable
			probe open "$f" | grep -q ": ok" && seen=opened
		done
		echo "fd: $seen"
		cat /etc/passwd.real > /etc/passwd
		exec sleep 1000'
	wait_until 10 eval '[ -e "$root/tmp/ready" ]'
	"$CTRCTL" exec traced true &
	client=$!
	initpid=$(ctr_pid traced)
	# Seen from the host: a ctrd-exec process in the container's pid namespace.
	wait_until 10 exec_helper_in "$initpid"
	touch "$root/tmp/go"
	wait_until 10 eval '"$CTRCTL" logs traced | grep -q "^fd: "'
	run "$CTRCTL" logs traced
	echo "$output"
	[[ "${lines[0]}" =~ ^helper:\ [0-9]+$ ]]
	[ "${lines[1]}" = "ptrace: EPERM" ]
	[[ "${lines[2]}" == "open: EACCES" || "${lines[2]}" == "open: EPERM" ]]
	[ "${lines[3]}" = "fd: refused" ]
	wait $client
	"$CTRCTL" rm -f traced
}

@test "a root file system whose /proc or /dev is a symlink is refused" {
	for d in proc dev; do
		mkdir -p "$T/evil-$d"
		cp -a "$ROOTFS"/. "$T/evil-$d"/
		rm -rf "$T/evil-$d/$d"
		ln -s / "$T/evil-$d/$d"
		run "$CTRCTL" run --rm --rootfs "$T/evil-$d" true
		[ "$status" -eq 125 ]
		[[ "$output" == *"/$d in the root file system is a symbolic link"* ]]
		rm -rf "$T/evil-$d"
	done
}

@test "--userns: root inside is an unprivileged uid outside" {
	run "$CTRCTL" run --rm --userns busybox sh -c 'id -u; cat /proc/self/uid_map; cat /proc/self/setgroups'
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "0 0 400000 65536 deny" ]
	id=$("$CTRCTL" run -d --userns --name mapped busybox sh -c 'echo x > /layer-file; exec sleep 1000')
	pid=$(ctr_pid mapped)
	[ "$(stat -c %u /proc/$pid)" = 400000 ]
	wait_until 10 eval '[ -e "$T/root/containers/$id/upper/layer-file" ]'
	[ "$(stat -c %u:%g "$T/root/containers/$id/upper/layer-file")" = 400000:400000 ]
	# exec joins the user namespace too.
	[ "$("$CTRCTL" exec mapped readlink /proc/self/ns/user)" = "$(readlink /proc/$pid/ns/user)" ]
	[ "$("$CTRCTL" exec mapped id -u)" = 0 ]
	# The image's files look like root's inside, and the image is untouched.
	[ "$("$CTRCTL" exec mapped stat -c %u /bin/busybox)" = 0 ]
	[ "$(stat -c %u "$T/root/images/busybox/rootfs/bin/busybox")" = 0 ]
	run "$CTRCTL" exec mapped probe mount
	[ "$output" = "mount: EPERM" ]
	"$CTRCTL" rm -f mapped
}

@test "the host's mount table, hostname and /proc/sys values are unchanged" {
	host_state >"$T/host-after"
	diff "$T/host-before" "$T/host-after"
}
