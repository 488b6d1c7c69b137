/* SPDX-License-Identifier: MIT */
/*
 * probe: a small static program the integration tests run inside containers
 * for checks busybox cannot make exactly. Each subcommand prints plain
 * "key value" lines or exits with a code the test asserts.
 *
 *   probe ns [PID]        "pid pid:[4026...]" for each namespace of PID (default self)
 *   probe fds             the open fd numbers, one per line
 *   probe ids             "uid N", "gid N", "groups A B ..."
 *   probe exit N          exits with N
 *   probe signal SIG      kills itself with signal number SIG
 *   probe cat             copies stdin to stdout
 *   probe write FD TEXT   writes TEXT and a newline to FD
 *   probe sti [FD]        tries to push "x" into the input of the terminal on FD (default 0)
 *                         with TIOCSTI: "sti: injected", or "sti: EPERM" (the errno's name)
 *
 * Escape attempts, run only inside containers (a success would change the
 * machine they run on; each is chosen to be harmless even then). Each
 * prints "NAME: ok" when the call succeeded, or "NAME: ERRNO" (EPERM, ...):
 *
 *   probe mount           mount a tmpfs on /mnt
 *   probe unshare         unshare each namespace type, one per line ("unshare-user: EPERM")
 *   probe module          init_module and finit_module with nothing to load
 *   probe reboot          reboot(2) with bad magic: EINVAL if allowed, EPERM if not
 *   probe handle          name_to_handle_at("/") then open_by_handle_at
 *   probe ptrace PID      PTRACE_SEIZE of PID
 *   probe open FILE       open FILE read-only
 *   probe writefile FILE TEXT   open FILE for writing and write TEXT
 *   probe size FILE       the number of bytes read from FILE ("size: N")
 *   probe chroot-escape   the double-chroot escape, then prints the root's /etc/hostname
 *   probe mknod-open      mknod /tmp/probe-mem (c 1 1, /dev/mem) and open it
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int
cmd_ns(const char *pid)
{
	static const char *const types[] = { "cgroup", "ipc", "mnt", "net", "pid", "user", "uts" };
	char path[64], link[128];

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, types[i]);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		printf("%s %s\n", types[i], link);
	}
	return 0;
}

static int
cmd_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (d == NULL) {
		perror("probe: /proc/self/fd");
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		printf("%s\n", de->d_name);
	}
	closedir(d);
	return 0;
}

static int
cmd_ids(void)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	printf("uid %d\ngid %d\ngroups", (int)getuid(), (int)getgid());
	for (int i = 0; i < n; i++)
		printf(" %d", (int)groups[i]);
	printf("\n");
	return 0;
}

static int
cmd_cat(void)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
	return n < 0 ? 1 : 0;
}

static int
cmd_sti(int fd)
{
	static const struct {
		int num;
		const char *name;
	} names[] = { { EPERM, "EPERM" }, { EIO, "EIO" },	{ ENOTTY, "ENOTTY" },
		      { EBADF, "EBADF" }, { EINVAL, "EINVAL" }, { EACCES, "EACCES" } };
	char c = 'x';

	if (ioctl(fd, TIOCSTI, &c) == 0) {
		printf("sti: injected\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].num == errno) {
			printf("sti: %s\n", names[i].name);
			return 1;
		}
	}
	printf("sti: errno %d\n", errno);
	return 1;
}

/* "NAME: ok" or "NAME: ERRNO"; returns 0 when the call succeeded. */
static int
report(const char *name, int ret)
{
	if (ret >= 0) {
		printf("%s: ok\n", name);
		return 0;
	}
	const char *e = strerrorname_np(errno);
	printf("%s: %s\n", name, e ? e : "?");
	return 1;
}

static int
cmd_unshare(void)
{
	static const struct {
		const char *name;
		int flag;
	} ns[] = {
		{ "unshare-mnt", CLONE_NEWNS },	       { "unshare-uts", CLONE_NEWUTS },
		{ "unshare-ipc", CLONE_NEWIPC },       { "unshare-user", CLONE_NEWUSER },
		{ "unshare-pid", CLONE_NEWPID },       { "unshare-net", CLONE_NEWNET },
		{ "unshare-cgroup", CLONE_NEWCGROUP },
	};
	int ok = 0;

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		ok |= report(ns[i].name, unshare(ns[i].flag)) == 0;
	return ok;
}

static int
cmd_handle(void)
{
	struct {
		struct file_handle fh;
		unsigned char data[MAX_HANDLE_SZ];
	} h = { .fh.handle_bytes = MAX_HANDLE_SZ };
	int mount_id;

	if (report("name_to_handle_at", name_to_handle_at(AT_FDCWD, "/", &h.fh, &mount_id, 0)) != 0)
		return 1;
	int fd = open_by_handle_at(AT_FDCWD, &h.fh, O_RDONLY);
	return report("open_by_handle_at", fd);
}

/*
 * The classic escape from a chroot (not from pivot_root): chroot into a
 * subdirectory, walk ".." far past the old root, chroot("."). In a container
 * whose old root was unmounted there is nothing above: we stay inside.
 */
static int
cmd_chroot_escape(void)
{
	char buf[256] = "";
	FILE *f;

	mkdir("/tmp/probe-jail", 0755);
	if (chroot("/tmp/probe-jail") < 0)
		return report("chroot", -1);
	for (int i = 0; i < 64; i++)
		if (chdir("..") < 0)
			break;
	report("chroot-escape", chroot("."));
	f = fopen("/etc/hostname", "re");
	if (f != NULL && fgets(buf, sizeof(buf), f) != NULL)
		printf("hostname-file: %s", buf);
	if (f != NULL)
		fclose(f);
	printf("marker: %s\n", access("/probe-outside-marker", F_OK) == 0 ? "visible" : "absent");
	return 0;
}

static int
cmd_size(const char *path)
{
	char buf[65536];
	long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return report("size", -1);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	if (n < 0)
		return report("size", -1);
	printf("size: %ld\n", total);
	return 0;
}

static int
cmd_writefile(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return report("open", -1);
	int r = (int)write(fd, text, strlen(text));
	close(fd);
	return report("write", r);
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "ns") == 0)
		return cmd_ns(argc > 2 ? argv[2] : "self");
	if (strcmp(cmd, "fds") == 0)
		return cmd_fds();
	if (strcmp(cmd, "ids") == 0)
		return cmd_ids();
	if (strcmp(cmd, "exit") == 0 && argc > 2)
		return atoi(argv[2]);
	if (strcmp(cmd, "signal") == 0 && argc > 2) {
		int sig = atoi(argv[2]);
		signal(sig, SIG_DFL);
		fflush(stdout);
		kill(getpid(), sig);
		/* PID 1 ignores signals it has no handler for, even SIG_DFL ones: say so. */
		fprintf(stderr, "probe: still alive after signal %d\n", sig);
		return 99;
	}
	if (strcmp(cmd, "cat") == 0)
		return cmd_cat();
	if (strcmp(cmd, "write") == 0 && argc > 3) {
		dprintf(atoi(argv[2]), "%s\n", argv[3]);
		return 0;
	}
	if (strcmp(cmd, "sti") == 0)
		return cmd_sti(argc > 2 ? atoi(argv[2]) : 0);
	if (strcmp(cmd, "mount") == 0)
		return report("mount", mount("none", "/mnt", "tmpfs", 0, NULL));
	if (strcmp(cmd, "unshare") == 0)
		return cmd_unshare();
	if (strcmp(cmd, "module") == 0) {
		report("init_module", (int)syscall(SYS_init_module, NULL, 0, ""));
		return report("finit_module", (int)syscall(SYS_finit_module, -1, "", 0));
	}
	if (strcmp(cmd, "reboot") == 0)
		return report("reboot", (int)syscall(SYS_reboot, 0, 0, 0, NULL));
	if (strcmp(cmd, "handle") == 0)
		return cmd_handle();
	if (strcmp(cmd, "ptrace") == 0 && argc > 2)
		return report("ptrace", (int)ptrace(PTRACE_SEIZE, atoi(argv[2]), NULL, NULL));
	if (strcmp(cmd, "open") == 0 && argc > 2)
		return report("open", open(argv[2], O_RDONLY | O_CLOEXEC));
	if (strcmp(cmd, "writefile") == 0 && argc > 3)
		return cmd_writefile(argv[2], argv[3]);
	if (strcmp(cmd, "size") == 0 && argc > 2)
		return cmd_size(argv[2]);
	if (strcmp(cmd, "chroot-escape") == 0)
		return cmd_chroot_escape();
	if (strcmp(cmd, "mknod-open") == 0) {
		unlink("/tmp/probe-mem");
		if (report("mknod", mknod("/tmp/probe-mem", S_IFCHR | 0600, makedev(1, 1))) != 0)
			return 1;
		return report("open", open("/tmp/probe-mem", O_RDONLY | O_CLOEXEC));
	}
	fprintf(stderr, "usage: probe SUBCOMMAND (see the comment at the top of tests/probe.c)\n");
	return 2;
}
