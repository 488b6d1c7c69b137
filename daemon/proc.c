/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "proc.h"

int
proc_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int
proc_pidfd_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int
proc_start_time(pid_t pid, uint64_t *start_time)
{
	char path[64], buf[1024];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? (errno = ESRCH, -1) : -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return errno = n == 0 ? ESRCH : errno, -1;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields resume after the last ')'. */
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return errno = EINVAL, -1;
	/* p is at the space before field 3 (state); start time is field 22. */
	p++;
	for (int field = 3; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return errno = EINVAL, -1;
	unsigned long long t;
	if (sscanf(p + 1, "%llu", &t) != 1)
		return errno = EINVAL, -1;
	*start_time = t;
	return 0;
}

int
proc_ref_open(struct proc_ref *ref, pid_t pid, uint64_t start_time)
{
	uint64_t now;
	int fd;

	ref->pid = pid;
	ref->start_time = start_time;
	ref->pidfd = -1;
	if (pid <= 0)
		return errno = ESRCH, -1;
	fd = proc_pidfd_open(pid);
	if (fd < 0)
		return -1;
	if (proc_start_time(pid, &now) < 0 || now != start_time) {
		close(fd);
		return errno = ESRCH, -1;
	}
	ref->pidfd = fd;
	return 0;
}

int
proc_ref_from_child(struct proc_ref *ref, pid_t pid)
{
	ref->pid = pid;
	ref->pidfd = proc_pidfd_open(pid);
	if (ref->pidfd < 0)
		return -1;
	if (proc_start_time(pid, &ref->start_time) < 0) {
		proc_ref_close(ref);
		return -1;
	}
	return 0;
}

void
proc_ref_adopt(struct proc_ref *ref, pid_t pid, int pidfd)
{
	uint64_t start = 0;

	ref->pid = pid;
	ref->pidfd = pidfd;
	/* Alive after the read: then pid was still this process when it was read. */
	if (proc_start_time(pid, &start) < 0 || proc_pidfd_signal(pidfd, 0) < 0)
		start = 0;
	ref->start_time = start;
}

void
proc_ref_close(struct proc_ref *ref)
{
	if (ref->pidfd >= 0)
		close(ref->pidfd);
	ref->pidfd = -1;
}

int
proc_ref_signal(const struct proc_ref *ref, int sig)
{
	if (ref->pidfd < 0)
		return errno = ESRCH, -1;
	return proc_pidfd_signal(ref->pidfd, sig);
}

bool
proc_ref_alive(const struct proc_ref *ref)
{
	struct pollfd p = { .fd = ref->pidfd, .events = POLLIN };

	if (ref->pidfd < 0)
		return false;
	return poll(&p, 1, 0) == 0;
}

pid_t
proc_clone(unsigned long flags)
{
	/*
	 * glibc's clone() wants a new stack and a function; without CLONE_VM the
	 * raw system call behaves like fork(), which is what we want here. The
	 * argument order below is the x86-64/arm64 one; with NULL pointers the
	 * order of the remaining arguments does not matter.
	 */
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

/* Room for the init's setup (mounts, user, capabilities): only touched pages cost. */
#define CLONE_VM_STACK (1024 * 1024)

void *
proc_kept_stack(void **stack, size_t size)
{
	if (*stack == NULL) {
		void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		*stack = p;
	}
	stack_unpoison(*stack, size);
	/* The stack grows down on every architecture we build for. */
	return (char *)*stack + size;
}

/* The stack of the children below, one at a time: each runs while its caller waits. */
static void *clone_vm_stack;

pid_t
proc_clone_vm(unsigned long flags, int (*fn)(void *arg), void *arg)
{
	void *top = proc_kept_stack(&clone_vm_stack, CLONE_VM_STACK);

	if (top == NULL)
		return -1;
	return clone(fn, top, (int)(flags | CLONE_VM | CLONE_VFORK | SIGCHLD), arg);
}

void
proc_reset_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t all;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Without close_range(2) (Linux < 5.9): walk /proc/self/fd. */
static int
close_fds_slow(const int *keep, size_t n)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name);
		bool kept = fd < 3 || fd == dirfd(d);
		for (size_t i = 0; i < n && !kept; i++)
			kept = keep[i] == fd;
		if (!kept && de->d_name[0] != '.')
			close(fd);
	}
	closedir(d);
	return 0;
}

int
proc_close_fds_except(const int *keep, size_t n)
{
	int sorted[32];
	size_t m = 0;
	unsigned int from = 3;

	if (n > ARRAY_SIZE(sorted))
		return errno = EINVAL, -1;
	for (size_t i = 0; i < n; i++)
		if (keep[i] >= 3)
			sorted[m++] = keep[i];
	qsort(sorted, m, sizeof(int), cmp_int);
	for (size_t i = 0; i <= m; i++) {
		unsigned int to = i < m ? (unsigned int)sorted[i] : ~0U;
		if (to > from && syscall(SYS_close_range, from, to - 1, 0) < 0)
			return errno == ENOSYS ? close_fds_slow(keep, n) : -1;
		from = to + 1;
	}
	return 0;
}
