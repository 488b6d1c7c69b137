/* SPDX-License-Identifier: MIT */
/*
 * The zygote: a copy of the daemon made at start-up, before it holds any
 * container or client, that starts each container's monitor in its place.
 *
 * Why: a fork write-protects the parent's whole working set, and every page
 * the parent then writes faults once (and is copied while the child still
 * shares it). The daemon keeps working through a start (state file, replies,
 * other clients), so each fork of the daemon cost it some 50 page faults on
 * a fresh daemon and over 200 once its heap had seen a thousand containers
 * (malloc's free lists run through it), each tens of microseconds on a VM
 * and contending with the monitor's own (BENCHMARKS.md). The zygote is
 * small and idle between forks, and the daemon never forks a monitor.
 *
 * Nor does the zygote, where a monitor program exists: it starts each
 * monitor in its own memory and waits until the monitor executes
 * ctrd-monitor (CLONE_VM | CLONE_VFORK; zygote.c says why), so monitors and
 * the inits they start leave nothing on its heap (spawn.h, child.h).
 *
 * It forks exec helpers too (exec.h), as the daemon's children. It is
 * started with the daemon and ends when the daemon's end of its
 * socket closes. Monitors are its children, reaped by it; the daemon
 * watches them through pidfds, as it does the monitors a restarted daemon
 * finds. Without a zygote (it could not start, or died) the daemon forks
 * monitors itself, as before.
 */
#ifndef CTRD_ZYGOTE_H
#define CTRD_ZYGOTE_H

#include "container.h"

/* Starts the zygote; logs and leaves d->zygote_fd at -1 if it cannot. */
void zygote_start(struct ctrd *d);
/* Once d->base exists: notices (and logs) the zygote's death at once. */
void zygote_watch(struct ctrd *d);
/* Ends it (at daemon exit). */
void zygote_stop(struct ctrd *d);

/* What the monitor of a start gets: spawn_monitor_main()'s arguments (spawn.h). */
struct zygote_job {
	struct container *ctr;
	int sync_fd;
	int *stdio; /* attached: the client's stdin, stdout, stderr; else NULL */
	int log_fd; /* or -1 */
	const int *procs;
	unsigned long clone_flags;
	const struct start_times *times;
};

/*
 * Has the zygote fork the monitor for job. Returns its pidfd and sets *pid,
 * or -1 with errno if there was no monitor made (no zygote, or it failed);
 * the caller then forks one itself. If the zygote failed in a way that
 * leaves it unknown whether a monitor was made, it is killed, and *uncertain
 * is set: the caller must not let a second monitor share job->sync_fd.
 */
int zygote_spawn(struct ctrd *d, const struct zygote_job *job, pid_t *pid, bool *uncertain);

/*
 * Has the zygote fork the helper of an exec (exec.c) of ctr, for the
 * request's params, as our child (CLONE_PARENT), as is the process it
 * clones: we reap both. stdio is the attached client's, or NULL. 0 with
 * *pid, or -1 as zygote_spawn().
 */
int zygote_spawn_exec(struct ctrd *d, struct container *ctr, json_t *params, int sync_fd,
		      const int *stdio, const int *procs, pid_t *pid, bool *uncertain);

/* The container as a job carries it, and back (NULL if the text is not a good job). */
char *zygote_job_text(const struct container *ctr);
struct container *zygote_job_container(struct ctrd *d, const char *text, size_t len);
void zygote_job_container_free(struct container *ctr);

#endif
