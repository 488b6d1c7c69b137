/* SPDX-License-Identifier: MIT */
/*
 * Containers: the table, lookup by name or id prefix, the life cycle
 * (created -> running -> exited), the state file, and the requests waiting
 * for a container to exit.
 *
 * Each container has a monitor process (see monitor.h) that is the parent of
 * its init and outlives the daemon. The daemon holds pidfds for both and
 * learns of the exit when the monitor's pidfd becomes readable; the monitor
 * has by then written the exit status to the container's state directory.
 */
#ifndef CTRD_CONTAINER_H
#define CTRD_CONTAINER_H

#include <jansson.h>
#include <sys/queue.h>

#include "ctrd.h"
#include "proc.h"
#include "spec.h"
#include "sync.h"

#define CTR_ID_LEN	 64
#define CTR_SHORT_ID_LEN 12

enum ctr_state {
	CTR_CREATED, /* starting: the init has not exec'd yet */
	CTR_RUNNING,
	CTR_EXITED,
};

struct exit_status {
	int exit_code;	 /* 0-255: the code, or 128+signal */
	int signal;	 /* the signal that ended it, or 0 */
	bool oom_killed; /* the kernel's OOM killer ended it */
	int64_t finished_at;
};

struct request;
struct spawn;
struct exec_proc;

/* Why a request waits for the exit. */
enum waiter_kind {
	WAITER_START,  /* `run`: reply with id, name and pid once it runs, or the error */
	WAITER_WAIT,   /* `wait`: reply with the exit status */
	WAITER_ATTACH, /* attached `run`: an "exit" notification, then done */
	WAITER_STOP,   /* `stop`: reply once it has exited */
	WAITER_REMOVE, /* `rm --force`: reply once it has exited and is removed */
};

struct waiter {
	enum waiter_kind kind;
	struct request *req;
	struct container *ctr;
	LIST_ENTRY(waiter) entry;
};

struct container {
	struct ctrd *d;
	char id[CTR_ID_LEN + 1];
	char *name;
	enum ctr_state state;
	bool paused; /* CTR_RUNNING, frozen by `pause` */
	struct ctr_spec spec;
	int64_t created_at, started_at; /* ns since the epoch */
	struct exit_status exit;	/* valid in CTR_EXITED */
	char *error;			/* why it failed to start, or NULL */

	struct proc_ref init;	 /* the container's PID 1, seen from the host */
	struct proc_ref monitor; /* its parent, which records the exit */
	bool monitor_is_child;	 /* ours to reap (not after a daemon restart) */
	struct event *monitor_ev;
	struct spawn *spawn;	  /* while CTR_CREATED */
	struct event *kill_timer; /* `stop`: SIGKILL after the timeout */

	char *dir;	    /* <state>/containers/<id>: state.json, exit, etc files */
	char *data_dir;	    /* <root>/containers/<id>: log, overlay upper and work */
	char *log_path;	    /* detached containers' output, or NULL */
	char *image_rootfs; /* the image's tree (the overlay's lower layer), or NULL */
	int pty_master;	    /* attached -t: the terminal, until the run reply carries it */

	bool removed;	       /* taken out of the table; freed when nothing refers to it */
	bool removing;	       /* rm --force is waiting for the exit: no restart */
	bool restarting;       /* this start is the restart policy's */
	bool rollback;	       /* restored from a start the daemon did not finish: undo it */
	bool unconfirmed;      /* restored mid-start: a monitor gone without an exit undoes it */
	bool manually_stopped; /* stop (or kill) ended it: the restart policy holds off */
	int restart_count;     /* times the restart policy started it again */
	int64_t backoff_ms;    /* the next restart's delay */
	struct event *restart_timer;
	uint64_t oom_base;		/* the group's OOM kills before this run */
	struct start_times start_times; /* the last start's steps (sync.h); zero if unknown */
	LIST_HEAD(, waiter) waiters;
	LIST_HEAD(, exec_proc) execs; /* running exec'd processes (exec.c) */
	TAILQ_ENTRY(container) entry;
};

/* A new container in CTR_CREATED, in the table, with its directories; takes spec. */
struct container *
container_create(struct ctrd *d, struct ctr_spec *spec, const char *name, struct ctr_error *err);
/* Finds by full id, unique id prefix or name; CTR_E_NOT_FOUND or CTR_E_CONFLICT (ambiguous). */
struct container *container_find(struct ctrd *d, const char *ref, struct ctr_error *err);
struct container *container_by_name(struct ctrd *d, const char *name);

/* The spawn succeeded: init exec'd (or is about to); takes init and watches ctr->monitor. */
void container_started(struct container *ctr, struct proc_ref *init);
/* The spawn failed (and its processes are gone): fails the waiters and removes the container. */
void container_start_failed(struct container *ctr, const struct ctr_error *err);

/* Freezes (pause) or thaws its processes; CTR_E_STATE unless running (and paused for thaw). */
int container_pause(struct container *ctr, bool pause, struct ctr_error *err);
/* Applies the resource members of params to the spec and, while it runs, to its cgroup. */
int container_update(struct container *ctr, json_t *params, struct ctr_error *err);

/* Sends sig to the init (thawing a paused container first); CTR_E_STATE unless running. */
int container_signal(struct container *ctr, int sig, struct ctr_error *err);
/* Sends sig now and SIGKILL after timeout seconds if it is still running. */
int container_stop(struct container *ctr, int sig, int timeout, struct ctr_error *err);
/* Starts an exited container again, detached, in the same layer and groups (restart policy). */
int container_restart(struct container *ctr, struct ctr_error *err);
/* Removes state, logs and the table entry; the container must have exited. */
void container_remove(struct container *ctr);

/* Queues req to be answered when the container exits. */
void container_add_waiter(struct container *ctr, enum waiter_kind kind, struct request *req);

/* JSON for ps (summary) and inspect (all). */
json_t *container_to_json(const struct container *ctr, bool full);
json_t *exit_status_to_json(const struct exit_status *st);
/* The container object: the short form (ps) or all of it (inspect); with_status adds the
 * status in words, which is for readers, not for the state file. */
json_t *container_json(const struct container *ctr, bool full, bool with_status);
/* For the state file's restore (statefile.c). */
/* Watches ctr->monitor: its exit is the container's. */
void container_watch_monitor(struct container *ctr);
/* Sets st->oom_killed if the cgroup counted an OOM kill during this run. */
void container_check_oom(struct container *ctr, struct exit_status *st);
/* Removes the cgroups, data and "<id>.removing" state of a container being removed. */
void container_finish_removal(struct ctrd *d, const char *id);
/* At exit: stop watching, free the table (containers keep running). */
void container_free_all(struct ctrd *d);

const char *container_state_name(enum ctr_state state);
/* "paused" for a paused container, else its state's name. */
const char *container_status(const struct container *ctr);

/* Whether ps lists it: all, or only running ones (and those waiting to restart). */
bool container_listed(const struct container *ctr, bool all);

#endif
