#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mkbundle.py SRCDIR ROOTFS BUNDLE CGROUP_PATH CMD...: an OCI bundle for crun
and runc that asks for what ctrd does by default for `ctrctl run --rootfs
ROOTFS CMD`, so `make bench` compares the same work:

- namespaces: pid, mount, uts, ipc, network, cgroup;
- mounts: /proc, a tmpfs /dev (with pts, shm, mqueue), a read-only sysfs and
  the cgroup file systems read-only; docker's masked and read-only paths
  (the lists are ctrd's, read from daemon/mounts.c);
- docker's 14 default capabilities, no_new_privs, and a seccomp filter with
  the same rules as ctrd's (read from daemon/seccomp.c: EPERM for the listed
  calls, clone with namespace flags, TIOCSTI and TIOCLINUX; ENOSYS for clone3);
- a device cgroup with ctrd's allow-list (daemon/bpfdev.c) and ctrd's default
  pids limit, in a group of its own at CGROUP_PATH.

The root file system is used as it is (not read-only), as ctrd does with
--rootfs. The bundle's root is ROOTFS by absolute path, so one tree serves
every runner.
"""
import json
import os
import re
import sys

CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
        "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
NAMESPACE_FLAGS = [0x00020000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                   0x40000000, 0x02000000, 0x00000080]
TIOCSTI, TIOCLINUX = 0x5412, 0x541C
EPERM, ENOSYS = 1, 38


def c_string_list(src, name):
    """The string literals of `static const char *const name[] = {...};` in src."""
    m = re.search(r"\b%s\[\]\s*=\s*\{(.*?)\};" % re.escape(name), src, re.S)
    if m is None:
        sys.exit("mkbundle.py: %s not found" % name)
    return re.findall(r'"([^"]+)"', m.group(1))


def seccomp_rules(srcdir):
    src = open(os.path.join(srcdir, "daemon", "seccomp.c")).read()
    table = re.search(r"\bblocked\[\]\s*=\s*\{(.*?)\n\};", src, re.S)
    if table is None:
        sys.exit("mkbundle.py: the blocked[] table of daemon/seccomp.c not found")
    rules = []
    for name, cap in re.findall(r'\{\s*"(\w+)",\s*(\w+)\s*\}', table.group(1)):
        # None of ctrd's blocked calls is lifted by a default capability.
        if cap != "NEVER" and cap in CAPS:
            continue
        rules.append(name)
    out = [{"names": rules, "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM}]
    for flag in NAMESPACE_FLAGS:
        out.append({"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM,
                    "args": [{"index": 0, "value": flag, "valueTwo": flag,
                              "op": "SCMP_CMP_MASKED_EQ"}]})
    out.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": ENOSYS})
    for req in (TIOCSTI, TIOCLINUX):
        out.append({"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM,
                    "args": [{"index": 1, "value": 0xffffffff, "valueTwo": req,
                              "op": "SCMP_CMP_MASKED_EQ"}]})
    return {"defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": out}


def device_rules(srcdir):
    src = open(os.path.join(srcdir, "daemon", "bpfdev.c")).read()
    rules = [{"allow": False, "access": "rwm"}]
    for typ, major, minor, access in re.findall(
            r"\{\s*'([cb])',\s*(-?\d+),\s*(-?\d+),\s*\"(\w+)\"\s*\}", src):
        r = {"allow": True, "type": typ, "access": access}
        if int(major) >= 0:
            r["major"] = int(major)
        if int(minor) >= 0:
            r["minor"] = int(minor)
        rules.append(r)
    return rules


def main():
    if len(sys.argv) < 6:
        sys.exit("usage: mkbundle.py SRCDIR ROOTFS BUNDLE CGROUP_PATH CMD...")
    srcdir, rootfs, bundle, cgpath = sys.argv[1:5]
    args = sys.argv[5:]
    mounts_c = open(os.path.join(srcdir, "daemon", "mounts.c")).read()
    nox = ["nosuid", "noexec", "nodev"]
    config = {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "HOSTNAME=bench", "HOME=/root"],
            "cwd": "/",
            "capabilities": {k: CAPS for k in ("bounding", "effective", "permitted")},
            "noNewPrivileges": True,
        },
        "root": {"path": os.path.abspath(rootfs), "readonly": False},
        "hostname": "bench",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "noexec", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                         "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": nox + ["mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": nox},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": nox + ["ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": nox + ["relatime", "ro"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in
                           ("pid", "network", "ipc", "uts", "mount", "cgroup")],
            "cgroupsPath": cgpath,
            "resources": {"devices": device_rules(srcdir), "pids": {"limit": 4096}},
            "maskedPaths": c_string_list(mounts_c, "masked_paths"),
            "readonlyPaths": c_string_list(mounts_c, "readonly_paths"),
            "seccomp": seccomp_rules(srcdir),
        },
    }
    os.makedirs(bundle, exist_ok=True)
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f, indent=1)


if __name__ == "__main__":
    main()
