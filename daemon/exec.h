/* SPDX-License-Identifier: MIT */
/*
 * exec: a further process in a running container, the way `nsenter -a -t
 * PID` does it by hand:
 *
 *   ctrd --(zygote)--fork--> helper --setns(init's namespaces)--clone(CLONE_PARENT)--> process
 * --execve
 *
 * The zygote (zygote.h) forks the helper as the daemon's child, so that the
 * daemon does not fork; without one the daemon forks it.
 * The helper is not dumpable and holds no daemon fd but the sync socket while
 * it runs ctrd code inside the container's namespaces. Joining a pid
 * namespace only affects children, hence the clone; CLONE_PARENT makes the
 * process the daemon's own child, so the daemon reaps it through its pidfd
 * (and after a daemon restart the container's init does), and the helper
 * exits at once.
 */
#ifndef CTRD_EXEC_H
#define CTRD_EXEC_H

#include <jansson.h>

#include "cgroup.h"
#include "container.h"

struct conn;
struct sock_fprog;

/* What the helper and the process need, from the request and the container. */
struct exec_args {
	struct container *ctr;
	char **command, **env;
	char *cwd, *user;
	bool interactive, tty, attached;
	unsigned short rows, cols;
	int stdio[3];			       /* attached without -t: the client's */
	int procs[CGROUP_MAX_HIERARCHIES + 1]; /* the container's cgroup.procs files */
	const struct sock_fprog *seccomp;      /* the container's filter, or NULL */
};

/* The request's fields, checked beyond their types (nfds: the fds it came with). */
int exec_args_from(struct exec_args *x, struct container *ctr, json_t *params, size_t nfds,
		   struct ctr_error *err);
void exec_args_clear(struct exec_args *x);
/*
 * The helper, a child of the daemon's (started by the zygote or forked by
 * the daemon): joins the container and clones the process, reporting on
 * sync_fd; returns its exit code. heap_whole, when not NULL: it runs in the
 * zygote's memory (CLONE_VM | CLONE_VFORK, zygote.c), so it leaves nothing
 * on the heap (but x's own fields, for the caller), and *heap_whole becomes
 * false if the process, which shares that memory until its execve, died
 * mid-way (the heap may be half-updated).
 */
int exec_helper_run(struct exec_args *x, int sync_fd, bool *heap_whole);
/* The same in a fork of the daemon's: never returns. */
_noreturn_ void exec_helper_main(struct exec_args *x, int sync_fd);

/* Starts a validated `exec` request; replies later. -1 with err if nothing started. */
int exec_start(struct conn *c, json_t *id, struct container *ctr, json_t *params, int *fds,
	       size_t nfds, struct ctr_error *err);
/* The running exec'd processes of ctr, for inspect. */
json_t *exec_list(const struct container *ctr);
/* ctr is being removed: its exec records stop referring to it. */
void exec_container_removed(struct container *ctr);

#endif
