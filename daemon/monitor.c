/* SPDX-License-Identifier: MIT */
/* The daemon's side of the monitor: the hand-over to ctrd-monitor (monitor.h). */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>

#include "monitor.h"
#include "proc.h"

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
