/* SPDX-License-Identifier: MIT */
/*
 * exec: a further process in a running container, the way `nsenter -a -t
 * PID` does it by hand:
 *
 *   ctrd --fork--> helper --setns(init's namespaces)--clone(CLONE_PARENT)--> process --execve
 *
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

#include "container.h"

struct conn;

/* Starts a validated `exec` request; replies later. -1 with err if nothing started. */
int exec_start(struct conn *c, json_t *id, struct container *ctr, json_t *params, int *fds,
	       size_t nfds, struct ctr_error *err);
/* The running exec'd processes of ctr, for inspect. */
json_t *exec_list(const struct container *ctr);
/* ctr is being removed: its exec records stop referring to it. */
void exec_container_removed(struct container *ctr);

#endif
