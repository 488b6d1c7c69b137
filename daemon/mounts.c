/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "cgroup.h"
#include "mounts.h"
#include "rootpath.h"

/* The device nodes of DESIGN.md; all 0666 character devices. */
static const struct {
	const char *name;
	unsigned major, minor;
} dev_nodes[] = {
	{ "null", 1, 3 },   { "zero", 1, 5 },	 { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
	const char *target, *link;
} dev_links[] = {
	{ "pts/ptmx", "ptmx" },		 { "/proc/self/fd", "fd" },
	{ "/proc/self/fd/0", "stdin" },	 { "/proc/self/fd/1", "stdout" },
	{ "/proc/self/fd/2", "stderr" },
};

/* mount(2) onto an fd we resolved safely, so the kernel never walks the path again. */
static int
mount_on_fd(const char *src, int fd, const char *fstype, unsigned long flags, const char *data,
	    const char *what, struct ctr_error *err)
{
	char target[FD_PATH_MAX];

	fd_path(fd, target);
	if (mount(src, target, fstype, flags, data) < 0)
		return ctr_error_sys(err, errno, "mount %s", what);
	return 0;
}

/* A directory the runtime mounts over (/proc, /dev, /sys): must not be a symlink. */
static int
special_dir(int rootfd, const char *path, struct ctr_error *err)
{
	int fd = root_mkdir_p(rootfd, path, 0755, ROOT_NO_SYMLINKS);

	if (fd < 0 && errno == ELOOP)
		return ctr_error_set(
			err, CTR_E_SYSTEM, ELOOP,
			"%s in the root file system is a symbolic link; refusing to mount over it",
			path);
	if (fd < 0)
		return ctr_error_sys(err, errno, "%s in the root file system", path);
	return fd;
}

static int
setup_proc(int rootfd, struct ctr_error *err)
{
	_cleanup_close_ int fd = special_dir(rootfd, "/proc", err);

	if (fd < 0)
		return -1;
	/* We are in the new pid namespace already: this proc shows only the container. */
	return mount_on_fd("proc", fd, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
			   "proc on /proc", err);
}

/*
 * A device node in our /dev. In a user namespace mknod is not allowed, so
 * the host's node is bound over an empty file instead, as runc does; the
 * device cgroup decides what may be opened either way.
 */
static int
make_node(int dev, const char *name, unsigned major, unsigned minor, struct ctr_error *err)
{
	if (mknodat(dev, name, S_IFCHR | 0666, makedev(major, minor)) == 0)
		return 0;
	if (errno != EPERM)
		return ctr_error_sys(err, errno, "mknod /dev/%s", name);

	_cleanup_free_ char *host = xasprintf("/dev/%s", name);
	_cleanup_close_ int src = open(host, O_PATH | O_CLOEXEC);
	_cleanup_close_ int file = openat(dev, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	char from[FD_PATH_MAX];
	struct stat st;

	if (src < 0 || fstat(src, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(major, minor))
		return ctr_error_sys(err, src < 0 ? errno : ENODEV, "host device %s", host);
	if (file < 0)
		return ctr_error_sys(err, errno, "create /dev/%s", name);
	fd_path(src, from);
	return mount_on_fd(from, file, NULL, MS_BIND, NULL, host, err);
}

static int
setup_dev(int rootfd, struct ctr_error *err)
{
	_cleanup_close_ int mnt = special_dir(rootfd, "/dev", err);
	_cleanup_close_ int dev = -1;

	if (mnt < 0)
		return -1;
	if (mount_on_fd("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME,
			"mode=755,size=65536k", "tmpfs on /dev", err) < 0)
		return -1;
	/* Open again to get the new tmpfs, not the directory under it. */
	dev = root_open(rootfd, "/dev", O_PATH | O_DIRECTORY, ROOT_NO_SYMLINKS);
	if (dev < 0)
		return ctr_error_sys(err, errno, "open /dev");

	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++)
		if (make_node(dev, dev_nodes[i].name, dev_nodes[i].major, dev_nodes[i].minor, err) <
		    0)
			return -1;

	static const struct {
		const char *name, *fstype, *data;
		mode_t mode;
		unsigned long flags;
	} submounts[] = {
		{ "pts", "devpts", "newinstance,ptmxmode=0666,mode=0620,gid=5", 0755,
		  MS_NOSUID | MS_NOEXEC },
		{ "shm", "tmpfs", "mode=1777,size=65536k", 01777,
		  MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "mqueue", "mqueue", NULL, 0755, MS_NOSUID | MS_NODEV | MS_NOEXEC },
	};
	for (size_t i = 0; i < ARRAY_SIZE(submounts); i++) {
		if (mkdirat(dev, submounts[i].name, submounts[i].mode) < 0)
			return ctr_error_sys(err, errno, "mkdir /dev/%s", submounts[i].name);
		_cleanup_close_ int fd = openat(dev, submounts[i].name,
						O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_free_ char *what = xasprintf("%s on /dev/%s", submounts[i].fstype,
						      submounts[i].name);
		if (fd < 0)
			return ctr_error_sys(err, errno, "open /dev/%s", submounts[i].name);
		if (mount_on_fd(submounts[i].fstype, fd, submounts[i].fstype, submounts[i].flags,
				submounts[i].data, what, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlinkat(dev_links[i].target, dev, dev_links[i].link) < 0)
			return ctr_error_sys(err, errno, "symlink /dev/%s", dev_links[i].link);
	return 0;
}

int
mounts_console(int pty_number, struct ctr_error *err)
{
	char pts[32];
	_cleanup_close_ int fd = -1;

	/* A plain file to mount over; /dev is our own tmpfs, so nothing else can be there. */
	fd = open("/dev/console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ctr_error_sys(err, errno, "create /dev/console");
	snprintf(pts, sizeof(pts), "/dev/pts/%d", pty_number);
	if (mount(pts, "/dev/console", NULL, MS_BIND, NULL) < 0)
		return ctr_error_sys(err, errno, "bind %s to /dev/console", pts);
	return 0;
}

/* The flags a bind remount must keep (the kernel refuses to clear locked ones). */
static unsigned long
kept_flags(int fd)
{
	struct statvfs sv;
	unsigned long flags = 0;

	if (fstatvfs(fd, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		flags |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		flags |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		flags |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		flags |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		flags |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		flags |= MS_RELATIME;
	return flags;
}

/* Makes the mount at fd read-only, with its submounts where the kernel can (5.12+). */
static int
make_readonly(int fd, const char *what, struct ctr_error *err)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) ==
	    0)
		return 0;
	if (errno != ENOSYS)
		return ctr_error_sys(err, errno, "make %s read-only", what);
	return mount_on_fd(NULL, fd, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(fd), NULL,
			   what, err);
}

static int
setup_sys(int rootfd, bool new_netns, struct ctr_error *err)
{
	_cleanup_close_ int fd = special_dir(rootfd, "/sys", err);
	unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

	if (fd < 0)
		return -1;
	if (new_netns)
		return mount_on_fd("sysfs", fd, "sysfs", ro, NULL, "sysfs on /sys", err);
	/* sysfs belongs to the network namespace it is mounted in; share the host's read-only. */
	if (mount_on_fd("/sys", fd, NULL, MS_BIND | MS_REC, NULL, "/sys", err) < 0)
		return -1;
	/* The fd is the directory under the new mount: open the mount itself. */
	_cleanup_close_ int mnt = root_open(rootfd, "/sys", O_PATH | O_DIRECTORY, ROOT_NO_SYMLINKS);
	if (mnt < 0)
		return ctr_error_sys(err, errno, "open /sys");
	return make_readonly(mnt, "/sys", err);
}

/*
 * What docker hides (masked: an empty file or directory over it) and
 * freezes (read-only) in /proc and /sys: host information a container
 * should not read, and knobs that are not namespaced (a write to
 * /proc/sys/kernel/core_pattern or /proc/sysrq-trigger would reach the host).
 */
static const char *const masked_paths[] = {
	"/proc/acpi",
	"/proc/interrupts",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
	"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static int
mask_paths(int rootfd, struct ctr_error *err)
{
	_cleanup_close_ int null = root_open(rootfd, "/dev/null", O_PATH, ROOT_NO_SYMLINKS);
	char from[FD_PATH_MAX];

	if (null < 0)
		return ctr_error_sys(err, errno, "open /dev/null");
	fd_path(null, from);
	for (size_t i = 0; i < ARRAY_SIZE(masked_paths); i++) {
		_cleanup_close_ int fd = root_open(rootfd, masked_paths[i], O_PATH,
						   ROOT_NO_SYMLINKS);
		struct stat st;
		if (fd < 0 && errno == ENOENT)
			continue; /* this kernel has no such file */
		if (fd < 0 || fstat(fd, &st) < 0)
			return ctr_error_sys(err, errno, "mask %s", masked_paths[i]);
		/* A directory gets an empty read-only tmpfs; a file, /dev/null. */
		if (S_ISDIR(st.st_mode)) {
			if (mount_on_fd("tmpfs", fd, "tmpfs",
					MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
					"size=0,mode=0555", masked_paths[i], err) < 0)
				return -1;
		} else if (mount_on_fd(from, fd, NULL, MS_BIND, NULL, masked_paths[i], err) < 0) {
			return -1;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(readonly_paths); i++) {
		_cleanup_close_ int fd = root_open(rootfd, readonly_paths[i], O_PATH,
						   ROOT_NO_SYMLINKS);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return ctr_error_sys(err, errno, "open %s", readonly_paths[i]);
		char self[FD_PATH_MAX];
		fd_path(fd, self);
		if (mount_on_fd(self, fd, NULL, MS_BIND | MS_REC, NULL, readonly_paths[i], err) < 0)
			return -1;
		_cleanup_close_ int mnt = root_open(rootfd, readonly_paths[i], O_PATH,
						    ROOT_NO_SYMLINKS);
		if (mnt < 0)
			return ctr_error_sys(err, errno, "open %s", readonly_paths[i]);
		if (make_readonly(mnt, readonly_paths[i], err) < 0)
			return -1;
	}
	return 0;
}

static int
setup_volume(int rootfd, const struct mount_spec *m, struct ctr_error *err)
{
	_cleanup_close_ int src = open(m->source, O_PATH | O_CLOEXEC);
	_cleanup_close_ int dst = -1;
	struct stat st;

	if (src < 0 || fstat(src, &st) < 0)
		return ctr_error_sys(err, errno, "volume source %s", m->source);
	dst = S_ISDIR(st.st_mode) ? root_mkdir_p(rootfd, m->destination, 0755, 0)
				  : root_touch(rootfd, m->destination, 0);
	if (dst < 0)
		return ctr_error_sys(err, errno, "volume destination %s", m->destination);

	char from[FD_PATH_MAX];
	fd_path(src, from);
	_cleanup_free_ char *what = xasprintf("%s on %s", m->source, m->destination);
	if (mount_on_fd(from, dst, NULL, MS_BIND | MS_REC, NULL, what, err) < 0)
		return -1;
	if (!m->readonly)
		return 0;
	_cleanup_close_ int mnt = root_open(rootfd, m->destination, O_PATH, 0);
	if (mnt < 0)
		return ctr_error_sys(err, errno, "open %s", m->destination);
	return make_readonly(mnt, what, err);
}

static int
setup_tmpfs(int rootfd, const char *path, struct ctr_error *err)
{
	_cleanup_close_ int fd = root_mkdir_p(rootfd, path, 0755, 0);
	_cleanup_free_ char *what = xasprintf("tmpfs on %s", path);

	if (fd < 0)
		return ctr_error_sys(err, errno, "tmpfs mount point %s", path);
	return mount_on_fd("tmpfs", fd, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", what, err);
}

/* Binds the generated /etc files over the image's, where the image has them. */
static int
setup_etc(int rootfd, const char *etc_dir, struct ctr_error *err)
{
	static const char *const files[] = { "hostname", "hosts", "resolv.conf" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *src = xasprintf("%s/%s", etc_dir, files[i]);
		_cleanup_free_ char *dst_path = xasprintf("/etc/%s", files[i]);
		_cleanup_close_ int dst = -1;
		struct stat st;

		if (access(src, F_OK) < 0)
			continue;
		dst = root_open(rootfd, dst_path, O_PATH, 0);
		if (dst < 0 || fstat(dst, &st) < 0 || !S_ISREG(st.st_mode))
			continue; /* the image does not have it: leave its /etc alone */
		_cleanup_free_ char *what = xasprintf("%s on %s", src, dst_path);
		if (mount_on_fd(src, dst, NULL, MS_BIND, NULL, what, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * The image under the container's own writable layer. Mounted in the
 * container's mount namespace only: the host never sees it, and it goes
 * away with the namespace, so nothing is left to unmount.
 */
static int
setup_overlay(const struct mounts_config *mc, struct ctr_error *err)
{
	const char *paths[] = { mc->lower, mc->upper, mc->work };

	/* overlayfs splits its options at ',' and its layers at ':'. */
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (strpbrk(paths[i], ",:") != NULL)
			return ctr_error_set(err, CTR_E_SYSTEM, EINVAL,
					     "overlay: path %s contains ',' or ':'", paths[i]);
	/* In a user namespace the trusted.* xattrs overlayfs keeps are out of reach: user.* then. */
	_cleanup_free_ char *opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s%s", mc->lower,
					      mc->upper, mc->work, mc->userns ? ",userxattr" : "");
	if (mount("overlay", mc->rootfs, "overlay", 0, opts) < 0)
		return ctr_error_sys(err, errno, "mount the image's overlay on %s", mc->rootfs);
	return 0;
}

int
mounts_setup(const struct mounts_config *mc, struct ctr_error *err)
{
	const struct ctr_spec *spec = mc->spec;
	_cleanup_close_ int rootfd = -1;

	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return ctr_error_sys(err, errno, "make mounts private");
	if (mc->lower != NULL && setup_overlay(mc, err) < 0)
		return -1;
	/* pivot_root needs the new root to be a mount point. */
	if (mount(mc->rootfs, mc->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return ctr_error_sys(err, errno, "bind mount the root file system %s", mc->rootfs);
	rootfd = open(mc->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return ctr_error_sys(err, errno, "open %s", mc->rootfs);

	if (setup_proc(rootfd, err) < 0 || setup_dev(rootfd, err) < 0 ||
	    setup_sys(rootfd, mc->new_netns, err) < 0 || mask_paths(rootfd, err) < 0 ||
	    cgroup_mount_inside(mc->cgroups, mc->cgroup_id, rootfd, err) < 0)
		return -1;
	for (size_t i = 0; i < spec->nmounts; i++)
		if (setup_volume(rootfd, &spec->mounts[i], err) < 0)
			return -1;
	for (size_t i = 0; spec->tmpfs[i] != NULL; i++)
		if (setup_tmpfs(rootfd, spec->tmpfs[i], err) < 0)
			return -1;
	if (mc->etc_dir != NULL && setup_etc(rootfd, mc->etc_dir, err) < 0)
		return -1;
	if (spec->read_only &&
	    mount_on_fd(NULL, rootfd, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(rootfd),
			NULL, "the root file system read-only", err) < 0)
		return -1;
	return steal_fd(&rootfd);
}

int
mounts_pivot(int rootfd, struct ctr_error *err)
{
	/*
	 * pivot_root(".", ".") stacks the old root on top of the new one at "/";
	 * detaching "." then removes the old root without needing a directory
	 * for it in the image (the trick crun and runc use).
	 */
	if (fchdir(rootfd) < 0)
		return ctr_error_sys(err, errno, "chdir to the new root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return ctr_error_sys(err, errno, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return ctr_error_sys(err, errno, "detach the old root");
	if (chdir("/") < 0)
		return ctr_error_sys(err, errno, "chdir /");
	return 0;
}
