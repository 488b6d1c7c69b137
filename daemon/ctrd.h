/* SPDX-License-Identifier: MIT */
/*
 * The daemon's one context, passed explicitly to every subsystem.
 */
#ifndef CTRD_CTRD_H
#define CTRD_CTRD_H

#include <sys/queue.h>

#include "cgroup.h"
#include "error.h"
#include "proc.h"
#include "userns.h"

struct event_base;
struct event;
struct conn;
struct container;

struct log_stream;
struct events;

TAILQ_HEAD(conn_list, conn);
TAILQ_HEAD(container_list, container);
LIST_HEAD(log_stream_list, log_stream);

struct ctrd {
	struct event_base *base;

	char *socket_path;    /* API socket */
	char *state_dir;      /* runtime state, lost at reboot */
	char *root_dir;	      /* persistent data: images, logs */
	char *containers_dir; /* <state_dir>/containers */
	char *data_dir;	      /* <root_dir>/containers: per-container logs and layers */
	char *images_dir;     /* <root_dir>/images */
	char *monitor_path;   /* the ctrd-monitor program, or NULL to monitor in-process */
	char *cgroup_parent;  /* containers' cgroups: <hierarchy>/<cgroup_parent>/<id> */
	int64_t log_max_size; /* a container log is rotated beyond this many bytes */
	int log_max_files;    /* ... keeping this many files */
	char *log_file;	      /* --log-file: our own log, reopened on SIGHUP */

	int listen_fd;
	bool own_socket; /* we created the socket file and remove it at exit */
	struct event *listen_ev;
	struct event *accept_retry_ev; /* re-enables accept after EMFILE */
	int spare_fd;		       /* /dev/null, given up to accept and refuse at EMFILE */
	bool nofds;		       /* out of fds: accept failed, and has not worked since */
	unsigned refused_nofds;	       /* clients refused since */
	gid_t socket_gid;	       /* group allowed besides root, (gid_t)-1 if none */

	struct conn_list conns;
	unsigned nconns;

	struct container_list containers;
	unsigned ncontainers;

	int inotify_fd; /* for logs --follow */
	struct event *inotify_ev;
	struct log_stream_list log_streams;
	struct events *events; /* the event stream (events.c) */

	unsigned long clone_flags;   /* namespaces every container is cloned into */
	bool cgroupns;		     /* the kernel has cgroup namespaces: the init unshares one */
	int container_oom_score_adj; /* for every container process: well above ours */
	struct cgroups cgroups;
	struct userns_range userns; /* the host ids --userns containers map to */
	char *userns_error;	    /* why there is none: --userns is refused with this */
	int zygote_fd;		    /* the zygote's socket (zygote.h), -1 without one */
	struct proc_ref zygote;	    /* the zygote process */
	struct event *zygote_ev;    /* its exit */
	bool stopping;
	int64_t request_ns; /* while a request is dispatched: when it arrived (time_mono_ns) */
};

#endif
