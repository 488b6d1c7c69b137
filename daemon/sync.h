/* SPDX-License-Identifier: MIT */
/*
 * Messages from the monitor and the container's init to the daemon, over
 * the spawn's SOCK_SEQPACKET socket: one message per send, each a header
 * and, for errors, the message text.
 */
#ifndef CTRD_SYNC_H
#define CTRD_SYNC_H

#include <stdint.h>

enum sync_type {
	SYNC_PID = 1,	/* monitor: the init's pid and start time, its pidfd attached */
	SYNC_ERROR = 2, /* monitor or init: setup failed; text follows */
	SYNC_PTY = 3,	/* init: the master of its terminal attached (attached -t) */
	SYNC_GO =
		4, /* monitor to init (--userns): maps written; its root's idmapped tree attached */
	SYNC_TIMES = 5, /* init, just before execve: struct start_times follows the header */
};

struct sync_hdr {
	uint32_t type;
	int32_t pid;
	uint64_t start_time;
	int32_t errnum;
	int32_t exit_code; /* 126/127 when the command cannot be run */
	int32_t code;	   /* the error's enum ctr_code, 0 for the default */
};

#define SYNC_MAX_TEXT 4000

/*
 * When each step of a container start happened (time_mono_ns(), a clock the
 * whole system shares), for inspect's start_timing_us. The daemon fills in
 * the first two before it forks; the monitor and the init inherit the array
 * with their memory, add their own steps, and the init sends it all in one
 * SYNC_TIMES message right before execve.
 */
enum start_step {
	STEP_REQUEST,  /* the run request arrived (or the restart began) */
	STEP_PREPARED, /* daemon: state, /etc files and cgroups made; about to fork */
	STEP_MONITOR,  /* the monitor runs */
	STEP_INIT,     /* the init runs, in its new namespaces */
	STEP_CGROUP,   /* the init is in its cgroups (and cgroup namespace) */
	STEP_MOUNTS,   /* its root file system is mounted */
	STEP_PIVOT,    /* pivot_root done, host name and loopback set */
	STEP_EXEC,     /* user, capabilities, seccomp done: execve is next */
	STEP_RUNNING,  /* daemon: end of file on the sync socket, the command runs */
	STEP_COUNT,
};

struct start_times {
	int64_t ns[STEP_COUNT];
};

/* The names inspect uses, "prepared" ... "running" (STEP_REQUEST is 0 by definition). */
extern const char *const start_step_names[STEP_COUNT];

/* Sends h with fd attached (SCM_RIGHTS); -1 with errno. */
int sync_send_fd(int sock, const struct sync_hdr *h, int fd);
/* Receives one fd sent with sync_send_fd, blocking; -1 with errno (0 bytes: EPIPE). */
int sync_recv_fd(int sock, struct sync_hdr *h);
/* Receives a message with or without an fd (*fd -1 if none), blocking; -1 with errno. */
int sync_recv(int sock, struct sync_hdr *h, int *fd);

/* Sends an error from a child process; never fails loudly (the child exits next). */
void sync_send_error(int fd, int code, int errnum, int exit_code, const char *text);

#endif
