/* SPDX-License-Identifier: MIT */
/*
 * The container's init, from clone() to execve(): mounts and pivot_root,
 * host name, loopback, user and groups, environment, working directory,
 * stdio and the command. Any failure is sent to the daemon on the sync
 * socket as "step: reason" with its errno (126/127 for a command that
 * cannot be run) and the process exits.
 */
#ifndef CTRD_CHILD_H
#define CTRD_CHILD_H

#include "container.h"
#include "sync.h"

struct child_args {
	const struct container *ctr;
	int sync_fd;
	int msock;    /* to the monitor: --userns go-ahead in, a detached -t master out */
	int close_fd; /* the monitor's end of msock, or -1: closed first thing */
	int stdio[3]; /* become 0, 1, 2 (unused with -t) */
	const int *cgroup_procs; /* -1 terminated: the container's cgroup.procs files */
	unsigned long clone_flags;
	struct start_times *times;	  /* our copy of the spawn's; the init adds its steps */
	const struct sock_fprog *seccomp; /* built by the daemon before the fork, or NULL */
	char ***env_out;		  /* process_spec's, for the init */
	bool *past_heap;		  /* process_spec's, for the init */
};

/* The init: mounts, pivot_root, host name, network; then child_start_process(). */
_noreturn_ void child_run(const struct child_args *a);

/* A process to start inside a container whose namespaces the caller is in already. */
struct process_spec {
	const char *what; /* error prefix: "start container", "exec" */
	char *const *command;
	char *const *env;	/* the container's entries, over the defaults */
	char *const *env_extra; /* this process's own, last (exec -e) */
	const char *cwd;
	bool create_cwd; /* make a missing cwd, as docker run does */
	const char *user;
	const char *hostname; /* for $HOSTNAME */
	bool tty;
	unsigned short tty_rows, tty_cols;
	bool console;	/* -t for the init: the terminal is /dev/console too */
	int pty_sock;	/* -t: where the master goes (SYNC_PTY) */
	int stdio[3];	/* without -t */
	int sync_fd;	/* errors go here; close-on-exec, so EOF means execve succeeded */
	bool pdeathsig; /* die with the parent (the init dies with its monitor) */
	uint64_t caps;	/* capability set (caps.h) */
	const struct sock_fprog *seccomp; /* the filter to install (seccomp.h), or NULL */
	bool userns;			  /* in a user namespace: setgroups is denied there */
	int oom_score_adj;		  /* the daemon keeps itself below its containers */
	struct start_times *times; /* the init: stamps STEP_EXEC, sends them all (SYNC_TIMES) */
	/*
	 * Where to leave the environment built for execve, for a parent that
	 * shares our memory (CLONE_VM) to free once we have exec'd or exited:
	 * nothing else we allocate outlives us. NULL if no one will.
	 */
	char ***env_out;
	/*
	 * For that parent too: set once we are past our last use of the heap
	 * (at execve, or on the way out through a reported failure). Found
	 * unset after we are gone, we died mid-way (a SIGKILL, the OOM killer)
	 * and the heap we shared may be half-updated. NULL if no one checks.
	 */
	bool *past_heap;
};

/* User, environment, terminal or stdio, session, fds, cwd, execve; reports any failure. */
_noreturn_ void child_start_process(const struct process_spec *ps);

/*
 * Runs argv[0] as execvp would, searching PATH from envp (not ours).
 * Returns only on failure, with the exit code docker uses: 127 when
 * nothing was found, 126 when it was found but cannot be run.
 */
int child_exec(char *const argv[], char *const envp[], int *errnum);

/*
 * Opens a new terminal in the devpts mounted at /dev/pts (the caller's mount
 * namespace: the container's), sized rows x cols when they are not 0.
 * Returns the master; *slave and *number (N of /dev/pts/N) are set.
 */
int child_open_pty(unsigned short rows, unsigned short cols, int *slave, int *number,
		   struct ctr_error *err);
/* The process's own session, with the terminal fd (if >= 0) as its controlling terminal. */
int child_new_session(int tty, struct ctr_error *err);
/* Moves the three stdio fds to 0, 1, 2 even if they are crossed (stdio[0] == 2, ...). */
int child_install_stdio(const int stdio[3], struct ctr_error *err);

/* Sets "KEY=VALUE" in env (a heap NULL-terminated vector), replacing KEY. */
void env_set(char ***env, const char *entry);
/* The value of key in env, or NULL. */
const char *env_get(char *const *env, const char *key);

#endif
