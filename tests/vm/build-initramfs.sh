#!/bin/sh
# build-initramfs.sh: the initramfs of the cgroup v2 test VM (see run.sh).
#
#   build-initramfs.sh --out FILE --kernel-tree DIR [--modules "overlay ..."]
#
# DIR is a `dpkg -x` of a Debian linux-image package (boot/vmlinuz-*,
# lib/modules/VERSION/). The archive, a gzip'd cpio (newc), holds:
#   /bin/busybox, /bin/sh  the static busybox (/init makes the other applet links)
#   /init                  tests/vm/init: mounts, modules, runs the tests, powers off
#   /opt/ctrd/bin/         ctrd, ctrd-monitor (beside ctrd, where ctrd looks), ctrctl, probe
#   /opt/ctrd/             mkrootfs.sh (the busybox image is built inside the VM) and tests.sh
#   /lib*/...              every shared library the binaries need (ldd), at its host path
#   /lib/modules/VERSION/  the modules asked for and their dependencies (modinfo's depends=)
#   /opt/ctrd/modules.load the modules' paths in load order, dependencies first
#   /dev/console           appended as a second cpio member, so no root is needed to build
#
# The programs come from the environment (run.sh and `make check-vm` set them):
# CTRD, CTRD_MONITOR (default: ctrd-monitor beside CTRD), CTRCTL, PROBE,
# MKROOTFS, BUSYBOX (a static busybox, default /bin/busybox).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=
ktree=
modules=overlay

die() {
	echo "build-initramfs.sh: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--out) out=${2:?}; shift 2 ;;
	--kernel-tree) ktree=${2:?}; shift 2 ;;
	--modules) modules=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
done
[ -n "$out" ] || die "--out FILE is required"
[ -n "$ktree" ] || die "--kernel-tree DIR is required"

CTRD=${CTRD:-$top/daemon/ctrd}
CTRD_MONITOR=${CTRD_MONITOR:-$(dirname "$CTRD")/ctrd-monitor}
CTRCTL=${CTRCTL:-$top/client/ctrctl}
PROBE=${PROBE:-$top/tests/probe}
MKROOTFS=${MKROOTFS:-$top/daemon/mkrootfs.sh}
BUSYBOX=${BUSYBOX:-/bin/busybox}

for f in "$CTRD" "$CTRD_MONITOR" "$CTRCTL" "$PROBE"; do
	[ -x "$f" ] || die "$f: not built (make && make tests/probe)"
done
[ -r "$MKROOTFS" ] || die "$MKROOTFS: missing"
for f in init tests.sh; do
	[ -r "$here/$f" ] || die "$here/$f: missing"
done
command -v cpio >/dev/null || die "cpio not found (apt-get install cpio)"
command -v gzip >/dev/null || die "gzip not found (apt-get install gzip)"
command -v ldd >/dev/null || die "ldd not found (apt-get install libc-bin)"
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (apt-get install busybox-static)"
# ldd succeeds on dynamic executables only; the VM's /bin/busybox must stand alone.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked: it must be static (apt-get install busybox-static)"
fi

kver=
for d in "$ktree"/lib/modules/*/; do
	[ -d "$d" ] && kver=$(basename "$d")
done
[ -n "$kver" ] || die "$ktree/lib/modules/VERSION: not found (not an unpacked linux-image package?)"
kmod="$ktree/lib/modules/$kver"

root=$(mktemp -d "${TMPDIR:-/tmp}/ctrd-initramfs.XXXXXX")
trap 'rm -rf "$root" "$root.modules"' EXIT INT TERM

# The base system: the static busybox, whose applet links /init makes at boot
# (`busybox --install -s`, much faster than a fork per link here).
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/etc" "$root/root" \
	"$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/run" "$root/mnt" "$root/var/tmp" \
	"$root/opt/ctrd/bin" "$root/lib/modules/$kver"
chmod 1777 "$root/tmp" "$root/var/tmp"
cp "$BUSYBOX" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$root/etc/group"

cp "$CTRD" "$CTRD_MONITOR" "$CTRCTL" "$PROBE" "$root/opt/ctrd/bin/"
cp "$MKROOTFS" "$root/opt/ctrd/mkrootfs.sh"
cp "$here/tests.sh" "$root/opt/ctrd/tests.sh"
cp "$here/init" "$root/init"
chmod 0755 "$root/init" "$root/opt/ctrd/tests.sh" "$root/opt/ctrd/mkrootfs.sh" "$root"/opt/ctrd/bin/*

# Shared libraries and the dynamic loader, at the paths ldd names (/lib64/ld-linux-x86-64.so.2 too).
for bin in "$CTRD" "$CTRD_MONITOR" "$CTRCTL" "$PROBE"; do
	ldd "$bin" 2>/dev/null || true
done | awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// { print $1 }' | sort -u |
	while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done

# Kernel modules: each asked-for one unless built in, after its dependencies.
find "$kmod/kernel" -type f -name '*.ko*' >"$root.modules"
mod_path() { # NAME -> path under $kmod, or nothing; '-' and '_' are the same in module names
	grep -E "/($1|$(echo "$1" | tr _ -)|$(echo "$1" | tr - _))\.ko(\.xz|\.zst|\.gz)?\$" "$root.modules" |
		head -n 1
}
mod_builtin() {
	[ -f "$kmod/modules.builtin" ] &&
		grep -Eq "/($1|$(echo "$1" | tr _ -)|$(echo "$1" | tr - _))\.ko\$" "$kmod/modules.builtin"
}
mod_cat() { # a module, decompressed
	case $1 in
	*.ko.xz) xz -dc "$1" ;;
	*.ko.zst) zstd -qdc "$1" ;;
	*.ko.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}
# What `modinfo -F depends` prints, read from the .modinfo strings (no kmod needed).
mod_depends() {
	mod_cat "$1" | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
}
loaded=" "
add_module() { # NAME [CHAIN]: depth first, so dependencies come first in modules.load
	case $loaded in *" $1 "*) return 0 ;; esac
	case " ${2:-} " in *" $1 "*) die "module dependency loop: ${2:-} $1" ;; esac
	if mod_builtin "$1"; then
		loaded="$loaded$1 "
		return 0
	fi
	p=$(mod_path "$1")
	[ -n "$p" ] || die "module $1 not found under $kmod/kernel"
	for dep in $(mod_depends "$p"); do
		add_module "$dep" "${2:-} $1"
	done
	p=$(mod_path "$1") # add_module's recursion reuses p
	rel=${p#"$kmod"/}
	rel=${rel%.xz}
	rel=${rel%.zst}
	rel=${rel%.gz}
	mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
	mod_cat "$p" >"$root/lib/modules/$kver/$rel"
	echo "/lib/modules/$kver/$rel" >>"$root/opt/ctrd/modules.load"
	loaded="$loaded$1 "
}
: >"$root/opt/ctrd/modules.load"
for m in $modules; do
	add_module "$m"
done

# The archive: everything owned by root whoever builds it, then /dev/console
# as a second cpio member (a device node needs no mknod this way; the kernel
# unpacks concatenated archives), which the kernel opens for init's stdio.
mkdir -p "$(dirname "$out")"
tmpout="$out.tmp.$$"
{
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
	# newc header: magic, then ino mode uid gid nlink mtime filesize devmajor devminor
	# rdevmajor rdevminor namesize check, 8 hex digits each; the name, NUL, padded to 4.
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		1 8576 0 0 1 0 0 0 0 5 1 12 0 # mode 020600: a char device, rw-------
	printf 'dev/console\0\0\0'
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 0 0 0 1 0 0 0 0 0 0 11 0
	printf 'TRAILER!!!\0\0\0\0'
} | gzip -6 >"$tmpout"
mv "$tmpout" "$out"
echo "build-initramfs.sh: $out ($(wc -c <"$out") bytes, kernel $kver, modules:$(sed 's|.*/| |; s|\.ko$||' "$root/opt/ctrd/modules.load" | tr -d '\n'))"
