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
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
	fprintf(stderr, "usage: probe ns|fds|ids|exit N|signal SIG|cat|write FD TEXT|sti [FD]\n");
	return 2;
}
