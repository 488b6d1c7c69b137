/* SPDX-License-Identifier: MIT */
/*
 * The per-container monitor: the init's parent, outside the container and
 * in its own session, so it outlives a daemon restart (as conmon and
 * containerd's shim do). It copies a detached container's output into its
 * log, so nothing blocks the application while the daemon is away, reaps
 * the init, and writes how it ended to the container's exit file before
 * exiting. The daemon learns of that through the monitor's pidfd.
 */
#ifndef CTRD_MONITOR_H
#define CTRD_MONITOR_H

#include "container.h"

struct monitor_args {
	pid_t init_pid;
	int init_pidfd;
	int out_fd, err_fd; /* read ends of the output pipes, -1 when attached */
	int log_fd;	    /* log file, -1 when attached */
	const char *exit_path;
};

_noreturn_ void monitor_run(const struct monitor_args *a);

/* Reads an exit file; -1 with errno (ENOENT: the monitor died without writing one). */
int monitor_read_exit(const char *path, struct exit_status *st);

#endif
