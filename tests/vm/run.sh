#!/bin/sh
# run.sh: ctrd's cgroup tests on a pure cgroup v2 host. Boots Debian's stock
# kernel (linux-image-amd64, not installed: downloaded once with
# `apt-get download` and unpacked with `dpkg -x` into a cache) under qemu
# (plain TCG emulation, no KVM needed) with cgroup_no_v1=all, with an
# initramfs holding the built ctrd, ctrctl and tests/vm/tests.sh, and prints
# the TAP that tests.sh reports from inside the VM. `make check-vm` runs it.
#
# Exit: 0 when every test passed; 1 when one failed, the VM did not finish
# in time, or the harness could not run (kernel package, build); 77 (and a
# TAP "1..0 # SKIP") when qemu-system-x86_64 is not installed (see VM_SKIP_EXIT).
#
# Environment (make check-vm sets the paths; the defaults suit an in-tree build):
#   CTRD CTRD_MONITOR CTRCTL PROBE MKROOTFS BUSYBOX   what goes into the VM
#   VM_CACHE       the kernel package cache (default BUILDDIR/tests/vm/cache); delete it to refetch
#   VM_KERNEL_DEB  a linux-image .deb to use instead (no apt at all)
#   VM_OUT         where console.log and tap.log go (default BUILDDIR/tests/vm)
#   VM_TIMEOUT     seconds before the VM is killed (default 600)
#   VM_MEMORY VM_SMP  qemu -m and -smp (default 1024 and 2)
#   VM_ACCEL       qemu -accel (default tcg; kvm where /dev/kvm is usable)
#   VM_MODULES     kernel modules to load (default "overlay loop ext4 crc32c_generic")
#   VM_APPEND      extra kernel command line
#   QEMU           the emulator (default qemu-system-x86_64)
#   VM_SKIP_EXIT   the exit status of a skip (default 77; make check-vm sets 0: the
#                  TAP driver reads the skip from the plan, and takes 77 for an error)
# Debian packages: qemu-system-x86 cpio busybox-static libc-bin (ldd) dpkg apt coreutils gzip.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
builddir=${BUILDDIR:-$top}
QEMU=${QEMU:-qemu-system-x86_64}
VM_CACHE=${VM_CACHE:-$builddir/tests/vm/cache}
VM_OUT=${VM_OUT:-$builddir/tests/vm}
VM_TIMEOUT=${VM_TIMEOUT:-600}
VM_MEMORY=${VM_MEMORY:-1024}
VM_SMP=${VM_SMP:-2}
VM_ACCEL=${VM_ACCEL:-tcg}
VM_MODULES=${VM_MODULES:-overlay loop ext4 crc32c_generic}
VM_APPEND=${VM_APPEND:-}
export CTRD="${CTRD:-$builddir/daemon/ctrd}"
export CTRD_MONITOR="${CTRD_MONITOR:-$(dirname "$CTRD")/ctrd-monitor}"
export CTRCTL="${CTRCTL:-$builddir/client/ctrctl}"
export PROBE="${PROBE:-$builddir/tests/probe}"
export MKROOTFS="${MKROOTFS:-$top/daemon/mkrootfs.sh}"
export BUSYBOX="${BUSYBOX:-/bin/busybox}"

tmp=
qpid=
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

# A harness error: a TAP bail-out (so automake's driver reports an ERROR) and exit 1.
die() {
	echo "Bail out! run.sh: $*"
	echo "run.sh: $*" >&2
	exit 1
}
note() { echo "run.sh: $*" >&2; }

if ! command -v "$QEMU" >/dev/null 2>&1; then
	echo "1..0 # SKIP $QEMU not found (apt-get install qemu-system-x86)"
	exit "${VM_SKIP_EXIT:-77}"
fi
for tool in cpio gzip ldd timeout; do
	command -v $tool >/dev/null 2>&1 || die "$tool not found (apt-get install cpio gzip libc-bin coreutils)"
done
for f in "$CTRD" "$CTRD_MONITOR" "$CTRCTL" "$PROBE"; do
	[ -x "$f" ] || die "$f is not built: run make && make tests/probe first"
done
case $VM_TIMEOUT in '' | *[!0-9]*) die "VM_TIMEOUT=$VM_TIMEOUT is not a number of seconds" ;; esac

# The kernel: a linux-image .deb in the cache (fetched once), unpacked beside it.
mkdir -p "$VM_CACHE" "$VM_OUT"
deb=${VM_KERNEL_DEB:-}
if [ -z "$deb" ]; then
	deb=$(ls "$VM_CACHE"/linux-image-*.deb 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$deb" ]; then
	command -v apt-get >/dev/null 2>&1 && command -v apt-cache >/dev/null 2>&1 ||
		die "no kernel in $VM_CACHE and no apt-get to fetch one (or set VM_KERNEL_DEB=linux-image-....deb)"
	# linux-image-amd64 is a meta package: download what it depends on, the real image.
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 ~ /^\|?Depends:$/ && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || die "cannot resolve linux-image-amd64 to a kernel package with apt-cache depends (run apt-get update first)"
	note "downloading $pkg into $VM_CACHE (once)"
	dl=$(mktemp -d "$VM_CACHE/download.XXXXXX")
	# As root, apt downloads as its _apt user, which must be able to write there.
	if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$dl" 2>/dev/null || true
	fi
	if ! (cd "$dl" && apt-get download -q "$pkg" >&2); then
		rm -rf "$dl"
		die "apt-get download $pkg failed (no network or no apt lists? run apt-get update)"
	fi
	for f in "$dl"/linux-image-*.deb; do
		[ -f "$f" ] || die "apt-get download $pkg left no linux-image .deb"
		mv "$f" "$VM_CACHE/"
		deb=$VM_CACHE/${f##*/}
	done
	rm -rf "$dl"
fi
[ -f "$deb" ] || die "$deb: no such kernel package"
ktree=$VM_CACHE/$(basename "$deb" .deb)
if [ ! -f "$ktree/.unpacked" ]; then
	command -v dpkg >/dev/null 2>&1 || die "dpkg not found: cannot unpack $deb"
	note "unpacking $(basename "$deb")"
	rm -rf "$ktree" "$ktree.tmp"
	dpkg -x "$deb" "$ktree.tmp" || die "dpkg -x $deb failed"
	: >"$ktree.tmp/.unpacked"
	mv "$ktree.tmp" "$ktree"
fi
vmlinuz=
for f in "$ktree"/boot/vmlinuz-*; do
	[ -f "$f" ] && vmlinuz=$f
done
[ -n "$vmlinuz" ] || die "$deb has no boot/vmlinuz-*"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctrd-vm.XXXXXX")
sh "$here/build-initramfs.sh" --out "$tmp/initramfs.gz" --kernel-tree "$ktree" \
	--modules "$VM_MODULES" >&2 || die "building the initramfs failed"

console=$VM_OUT/console.log
taplog=$VM_OUT/tap.log
rm -f "$console" "$taplog"
note "booting $(basename "$vmlinuz") under $QEMU (-accel $VM_ACCEL, ${VM_TIMEOUT}s deadline); console: $console"
start=$(date +%s)
# ttyS0 (the console) and ttyS1 (the TAP) go to files; no network, no disks,
# no display; the guest's poweroff (or a panic, with -no-reboot) ends qemu.
timeout -k 10 "$VM_TIMEOUT" "$QEMU" -accel "$VM_ACCEL" -nodefaults -nographic -no-reboot \
	-m "$VM_MEMORY" -smp "$VM_SMP" -monitor none -nic none \
	-serial "file:$console" \
	-chardev "file,id=tap,path=$taplog" -device isa-serial,chardev=tap,index=1 \
	-kernel "$vmlinuz" -initrd "$tmp/initramfs.gz" \
	-append "console=ttyS0 cgroup_no_v1=all panic=-1 quiet $VM_APPEND" </dev/null >&2 &
qpid=$!
qrc=0
wait "$qpid" || qrc=$?
qpid=
secs=$(($(date +%s) - start))

# The TAP: as tests.sh wrote it, without the serial line's carriage returns.
tr -d '\r' <"$taplog" 2>/dev/null | grep -E '^(ok|not ok|1\.\.[0-9]|#|Bail out!)' >"$tmp/tap" || true
cat "$tmp/tap"

plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$tmp/tap" | tail -n 1)
total=$(grep -cE '^(ok|not ok)( |$)' "$tmp/tap" || true)
notok=$(grep -cE '^not ok( |$)' "$tmp/tap" || true)
skipped=$(grep -ciE '^ok .*# skip' "$tmp/tap" || true)
passed=$((total - notok - skipped))
problem=
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	problem="the VM did not finish within ${VM_TIMEOUT}s"
elif [ "$qrc" -ne 0 ]; then
	problem="$QEMU exited with status $qrc"
elif grep -q '^Bail out!' "$tmp/tap"; then
	problem="tests.sh bailed out"
elif [ -z "$plan" ]; then
	problem="no TAP plan: tests.sh did not finish (kernel panic or crash? see the console log)"
elif [ "$plan" -ne "$total" ]; then
	problem="planned $plan tests, ran $total"
fi
if [ -n "$problem" ]; then
	echo "Bail out! $problem"
	note "$problem; the console's last lines ($console):"
	tail -n 40 "$console" 2>/dev/null | tr -d '\r' | sed 's/^/  | /' >&2
fi
echo "# vm: $passed passed, $notok failed, $skipped skipped in ${secs}s ($(basename "$vmlinuz"))"
[ -z "$problem" ] && [ "$notok" -eq 0 ]
