/* SPDX-License-Identifier: MIT */
/*
 * The daemon's side of the monitor (monitor.h): the hand-over to
 * ctrd-monitor, or, for an attached container, staying where it is.
 */
#include "config.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "monitor.h"
#include "proc.h"
#include "rawsys.h"

/* Moves fd to want (or closes want when fd < 0), leaving it open across exec. */
static int
place_fd(int fd, int want)
{
	if (fd < 0)
		return close(want) < 0 && errno != EBADF ? -1 : 0;
	if (fd == want)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, want) < 0 ? -1 : 0;
}

void
monitor_exec(const char *path, const struct monitor_args *a)
{
	int src[4] = { a->init_pidfd, a->out_fd, a->err_fd, a->log_fd };
	int high[4];
	char pid[16];

	if (path == NULL)
		return;
	/* First out of the way of 3..6, so no fd lands on another before it moved. */
	for (int i = 0; i < 4; i++) {
		high[i] = src[i] < 0 ? -1 : fcntl(src[i], F_DUPFD_CLOEXEC, 16);
		if (src[i] >= 0 && high[i] < 0)
			return;
	}
	for (int i = 0; i < 4; i++)
		if (place_fd(high[i], MONITOR_FD_PIDFD + i) < 0)
			return;
	int keep[] = { 3, 4, 5, 6 };
	(void)proc_close_fds_except(keep, 4);
	snprintf(pid, sizeof(pid), "%d", (int)a->init_pid);
	char size[24], files[12];
	snprintf(size, sizeof(size), "%lld", (long long)a->log_max_size);
	snprintf(files, sizeof(files), "%d", a->log_max_files);
	char *argv[] = { (char *)"ctrd-monitor",
			 (char *)a->id,
			 pid,
			 (char *)a->exit_path,
			 (char *)(a->out_fd >= 0 ? "relay" : "attached"),
			 (char *)(a->log_path ? a->log_path : "-"),
			 size,
			 files,
			 NULL };
	execv(path, argv);
}

/*
 * Not instrumented: a sanitizer's runtime keeps its state behind the thread
 * pointer, which is the zygote's.
 */
#define ALONE __attribute__((no_sanitize("address"), no_sanitize("undefined")))

ALONE void
monitor_stay(const struct monitor_args *a, uint32_t *word)
{
	pid_t pid = a->init_pid;
	const char *exit_path = a->exit_path; /* on our stack (spawn_monitor_main) */
	char record[MONITOR_EXIT_RECORD_MAX];
	siginfo_t si = { 0 };
	struct timespec now = { 0 };
	long r;

	/* We need no fd, and must hold none the container's client waits on. */
	if (RAW_SYSCALL(SYS_close_range, 0, ~0U, 0, 0, 0, 0) < 0) {
		for (int fd = 0; fd <= 2; fd++)
			(void)RAW_SYSCALL(SYS_close, fd, 0, 0, 0, 0, 0);
		(void)RAW_SYSCALL(SYS_close, a->init_pidfd, 0, 0, 0, 0, 0);
	}
	monitor_ignore_signals(); /* still with the C library: the zygote waits */
	/* The zygote goes on from here: nothing but our stack and raw system calls. */
	__atomic_store_n(word, MONITOR_STAYING, __ATOMIC_RELEASE);
	(void)RAW_SYSCALL(SYS_futex, word, FUTEX_WAKE, 1, 0, 0, 0);

	do
		r = RAW_SYSCALL(SYS_waitid, P_PID, pid, &si, WEXITED, 0, 0);
	while (r == -EINTR);
	if (r < 0)
		si.si_code = CLD_KILLED, si.si_status = SIGKILL;
	(void)RAW_SYSCALL(SYS_clock_gettime, CLOCK_REALTIME, &now, 0, 0, 0, 0);
	size_t n = monitor_exit_record(record, &si, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
	(void)write_file_atomic_raw(exit_path, record, n, 0644);
	for (;;)
		(void)RAW_SYSCALL(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}
