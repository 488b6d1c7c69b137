#!/bin/bash
# The README's demo (`make demo`): a private ctrd on temporary paths, a few
# containers on a busybox root file system, and a clean exit that leaves
# nothing behind. It never touches /run/ctrd or /var/lib/ctrd.
set -euo pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
bindir=${bindir:-$PWD}
tmp=$(mktemp -d /tmp/ctrd-demo.XXXXXX)
# A cgroup parent of its own too, never ctrd's default group; removed at the end.
cgroup_parent=ctrd-demo.${tmp##*.}
ctrd_pid=

cleanup() {
	set +e
	if [ -n "$ctrd_pid" ]; then
		CTRD_SOCKET=$tmp/ctrd.sock "$bindir/client/ctrctl" rm -f web >/dev/null 2>&1
		kill "$ctrd_pid" 2>/dev/null
		wait "$ctrd_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
	rmdir /sys/fs/cgroup/"$cgroup_parent" /sys/fs/cgroup/*/"$cgroup_parent" 2>/dev/null
	return 0
}
trap cleanup EXIT

show() {
	printf '\n$ %s\n' "$*"
	"$@"
}

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (containers need namespaces and mounts)" >&2; exit 1; }
# The busybox image, as make install builds it.
"$top_srcdir/daemon/mkrootfs.sh" "$tmp/root/images/busybox/rootfs"
printf '{"command":["sh"]}\n' >"$tmp/root/images/busybox/config.json"
"$bindir/daemon/ctrd" --socket "$tmp/ctrd.sock" --state-dir "$tmp/state" --root "$tmp/root" \
	--cgroup-parent "$cgroup_parent" 2>"$tmp/ctrd.log" &
ctrd_pid=$!
for _ in $(seq 100); do
	[ -S "$tmp/ctrd.sock" ] && break
	sleep 0.05
done
export CTRD_SOCKET=$tmp/ctrd.sock PATH="$bindir/client:$PATH"
echo "ctrd is running (pid $ctrd_pid) on $CTRD_SOCKET, with the busybox image in $tmp/root/images"

show ctrctl images
show ctrctl run --rm --hostname demo busybox \
	sh -c 'echo "I am PID $$ on host $(hostname)"; ps -o pid,user,comm; ls /'
show ctrctl run -d --name web busybox sh -c 'echo serving; exec sleep 1d'
show ctrctl ps
show ctrctl exec web ps -o pid,comm
pid=$(ctrctl inspect -f pid web)
show nsenter -a -t "$pid" sh -c 'echo "entered from the host: $(hostname), PID 1 is $(cat /proc/1/comm)"'
show ctrctl logs web
show ctrctl stop -t 1 web
show ctrctl rm web
echo
echo "Done: the daemon stops now and its temporary directory is removed."
