/* SPDX-License-Identifier: MIT */
/*
 * Starting a container, without ever blocking the daemon:
 *
 *   ctrd --job--> zygote --fork--> monitor --clone(CLONE_NEW*)--> init --execve--> command
 *
 * The zygote (zygote.h) forks the monitor so that the daemon does not have
 * to; without one the daemon forks it itself.
 * The monitor is a fresh session leader that keeps only the fds it needs;
 * it clones the init into new namespaces, sends the daemon the init's pid
 * and pidfd over a SOCK_SEQPACKET sync socket, and then waits for the init
 * and records how it ended (monitor.h). The init sets up its root file
 * system and reports any failure before execve on the same socket; the
 * socket is close-on-exec, so end-of-file without an error means the
 * command is running. The daemon reads the socket as a libevent event with
 * a timeout.
 *
 * Everything about creating processes is in this module, child.c and
 * monitor.c; the rest of the daemon sees container_started() or
 * container_start_failed().
 */
#ifndef CTRD_SPAWN_H
#define CTRD_SPAWN_H

#include "container.h"

/*
 * Starts ctr (in CTR_CREATED). stdio holds the attached client's three fds,
 * or is NULL for a detached container; spawn takes them either way. On
 * success the result arrives later through container_started() or
 * container_start_failed(); -1 means nothing was started.
 */
int spawn_start(struct container *ctr, int *stdio, struct ctr_error *err);
/* Kills whatever the spawn created; the failure is reported as usual. */
void spawn_cancel(struct spawn *sp);
/* At daemon exit: kills what the spawn created and frees it, reporting nothing. */
void spawn_abort(struct spawn *sp);

struct sock_fprog;
/*
 * The monitor of a start, in a fresh child of the daemon or of the zygote
 * (zygote.h): clones the init and watches it. Never returns. safe_exit,
 * when not NULL: it runs in the zygote's memory (CLONE_VM | CLONE_VFORK)
 * until it executes ctrd-monitor, so it leaves nothing on the heap, cannot
 * stay if that exec fails, and sets *safe_exit once it is past its last use
 * of the heap: the zygote, finding it unset, knows that the monitor or its
 * init was killed mid-way and that its heap may be half-updated. stay, when
 * not NULL: the monitor runs on a stack of its own and the zygote waits on
 * *stay (monitor.h) rather than for an exec, so an attached container's
 * monitor stays in the zygote's memory (monitor_stay()).
 */
_noreturn_ void
spawn_monitor_main(struct container *ctr, int sync_fd, int *stdio, int log_fd, const int *procs,
		   unsigned long flags, struct start_times *times, const struct sock_fprog *filter,
		   bool *safe_exit, uint32_t *stay);

#endif
