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
 *
 * An attached container's monitor has nothing to relay: it only waits for
 * the init and records its exit. Where the zygote starts it (zygote.h), it
 * stays in the zygote's memory instead, on a stack of its own
 * (monitor_stay()): no address space is made for it, and none is torn down
 * when it exits, which is on the path from a short command's exit to its
 * client's (`run --rm` 0.94x the time). Its command line is then the
 * zygote's; its name is still ctrd-monitor.
 */
#ifndef CTRD_MONITOR_H
#define CTRD_MONITOR_H

#include <signal.h>
#include <stdint.h>

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

/* SIGTERM, SIGINT, SIGHUP and SIGPIPE ignored: only SIGKILL ends a monitor. */
void monitor_ignore_signals(void);

/* Relays output until the init exits, writes the exit file, exits. */
_noreturn_ void monitor_run(const struct monitor_args *a);

/* The exit file's record of how the init ended (si from waitid), at now_ns. */
#define MONITOR_EXIT_RECORD_MAX 160
size_t
monitor_exit_record(char buf[static MONITOR_EXIT_RECORD_MAX], const siginfo_t *si, int64_t now_ns);

/*
 * The word a zygote waits on while a monitor that may stay in its memory
 * sets up. The kernel clears it (CLONE_CHILD_CLEARTID) when the monitor
 * exits or executes ctrd-monitor; monitor_stay() sets MONITOR_STAYING.
 */
enum {
	MONITOR_GONE = 0,
	MONITOR_SETTING_UP = 1,
	MONITOR_STAYING = 2,
};

/*
 * For an attached monitor (no output to relay, a->out_fd < 0) running in
 * the zygote's memory on a stack of its own, past its last use of the heap:
 * sets *word to MONITOR_STAYING, which lets the zygote go on, then waits for
 * the init and writes the exit file. From the moment the zygote goes on it
 * shares the memory with a process that runs: so it uses only its stack and
 * raw system calls (rawsys.h), never the C library's errno or locks.
 */
_noreturn_ void monitor_stay(const struct monitor_args *a, uint32_t *word);

/*
 * Replaces the calling (forked) process with the ctrd-monitor program at
 * path, with a's fds moved to the numbers above. Returns only if that fails;
 * the caller then runs monitor_run() itself.
 */
void monitor_exec(const char *path, const struct monitor_args *a);

/* main() of ctrd-monitor. */
int monitor_main(int argc, char **argv);

#endif
