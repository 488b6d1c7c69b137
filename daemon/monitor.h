/* SPDX-License-Identifier: MIT */
/*
 * The per-container monitor: the init's parent, outside the container and
 * in its own session, so it outlives a daemon restart (as conmon and
 * containerd's shim do). It copies a detached container's output into its
 * log, so nothing blocks the application while the daemon is away, reaps
 * the init, and writes how it ended to the container's exit file before
 * exiting. The daemon learns of that through the monitor's pidfd.
 *
 * The monitor starts as a fork of the zygote or the daemon (spawn.c) and,
 * once the init is running, executes the small static `ctrd-monitor`
 * program, so each container costs a few pages instead of a copy of the
 * daemon, and `ps` shows "ctrd-monitor ID" rather than a second ctrd.
 * ctrd-monitor is monitor_run.c with no C library (nolibc.c) where it can
 * be: a short command's exit would otherwise wait for the monitor to get
 * through the C library's start-up (a millisecond on a virtual machine).
 */
#ifndef CTRD_MONITOR_H
#define CTRD_MONITOR_H

#include "util.h"

/* The fds ctrd-monitor finds at exec. */
enum {
	MONITOR_FD_PIDFD = 3,  /* pidfd of the init */
	MONITOR_FD_STDOUT = 4, /* read end of the container's stdout pipe (detached only) */
	MONITOR_FD_STDERR = 5, /* same for stderr */
	MONITOR_FD_LOG = 6,    /* the log file (detached only) */
};

struct monitor_args {
	const char *id;
	pid_t init_pid;
	int init_pidfd;
	int out_fd, err_fd;   /* read ends of the output pipes, -1 when attached */
	int log_fd;	      /* log file, -1 when attached */
	const char *log_path; /* its name, for rotation */
	int64_t log_max_size; /* rotate beyond this many bytes; 0: never */
	int log_max_files;    /* files kept, the current one included */
	const char *exit_path;
};

/* Relays output until the init exits, writes the exit file, exits. */
_noreturn_ void monitor_run(const struct monitor_args *a);

/*
 * Replaces the calling (forked) process with the ctrd-monitor program at
 * path, with a's fds moved to the numbers above. Returns only if that fails;
 * the caller then runs monitor_run() itself.
 */
void monitor_exec(const char *path, const struct monitor_args *a);

/* main() of ctrd-monitor. */
int monitor_main(int argc, char **argv);

#endif
