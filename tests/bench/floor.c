/* SPDX-License-Identifier: MIT */
/*
 * floor ROOTFS CMD [ARG...]: the least a container start can do, the floor
 * `make bench` measures ctrd, crun and runc against. One clone() into new
 * pid, mount, uts, ipc, network and cgroup namespaces; in the child: make
 * the mounts private, bind the root file system onto itself, mount a fresh
 * /proc in it, pivot_root into it, detach the old root and exec CMD. The
 * parent waits and exits with the child's status. No cgroups, no /dev, no
 * capabilities or seccomp, no state: nothing a real runtime must also do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void
die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	_exit(125);
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: floor ROOTFS CMD [ARG...]\n");
		return 125;
	}
	const char *rootfs = argv[1];
	unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
			      CLONE_NEWNET | CLONE_NEWCGROUP | SIGCHLD;
	/* Without CLONE_VM the raw system call is a fork into new namespaces. */
	pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);

	if (pid < 0)
		die("clone");
	if (pid == 0) {
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			die("make / private");
		if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
			die("bind the root");
		if (chdir(rootfs) < 0)
			die("chdir to the root");
		if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			die("mount /proc");
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			die("pivot_root");
		if (umount2(".", MNT_DETACH) < 0)
			die("detach the old root");
		if (chdir("/") < 0)
			die("chdir /");
		execv(argv[2], argv + 2);
		die("exec");
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
