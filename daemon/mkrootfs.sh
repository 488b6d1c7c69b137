#!/bin/sh
# mkrootfs.sh DIR: a minimal root file system from Debian's busybox-static:
# the static busybox, every applet as a symlink where --list-full puts it,
# /etc/passwd and /etc/group, and empty /proc, /dev, /sys, /tmp. Used by
# the test suite, the README's demo and `make install` (the busybox image).
set -eu

dest=${1:?usage: mkrootfs.sh DIR}
busybox=${BUSYBOX:-/bin/busybox}

if ! "$busybox" --list-full >/dev/null 2>&1; then
	echo "mkrootfs.sh: $busybox is not a usable busybox (apt-get install busybox-static)" >&2
	exit 1
fi

mkdir -p "$dest"
cd "$dest"
mkdir -p bin sbin usr/bin usr/sbin etc root home tmp var/tmp proc dev sys run
chmod 1777 tmp var/tmp
chmod 0700 root
cp "$busybox" bin/busybox
chmod 0755 bin/busybox
"$busybox" --list-full | while read -r applet; do
	case $applet in
	bin/busybox | "") continue ;;
	esac
	dir=${applet%/*}
	name=${applet##*/}
	# Relative links, so the tree works wherever it is mounted.
	case $dir in
	bin) target=busybox ;;
	sbin) target=../bin/busybox ;;
	usr/bin | usr/sbin) target=../../bin/busybox ;;
	*) continue ;;
	esac
	mkdir -p "$dir"
	ln -sfn "$target" "$dir/$name"
done

cat >etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
PASSWD
cat >etc/group <<'GROUP'
root:x:0:
daemon:x:1:
tty:x:5:
users:x:100:user
user:x:1000:
nogroup:x:65534:
GROUP
mkdir -p home/user
chown 1000:1000 home/user 2>/dev/null || true
: >etc/hostname
printf '127.0.0.1\tlocalhost\n' >etc/hosts
: >etc/resolv.conf
