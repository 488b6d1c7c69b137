/* SPDX-License-Identifier: MIT */
/*
 * The method table: each JSON-RPC method, its handler, whether it may take
 * file descriptors, and (from proto/params.c) its parameter schema. Params
 * are validated once in methods_dispatch() before any handler runs, and fds
 * a handler does not take are closed there.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "cgroup.h"
#include "container.h"
#include "events.h"
#include "failpoint.h"
#include "restart.h"
#include "exec.h"
#include "image.h"
#include "log.h"
#include "logs.h"
#include "methods.h"
#include "params.h"
#include "psrows.h"
#include "server.h"
#include "statefile.h"
#include "spawn.h"

#define API_VERSION 1

/* What a handler gets. It replies (now or later) or returns -1 with err. */
struct call {
	struct ctrd *d;
	struct conn *conn;
	json_t *id;
	json_t *params;
	int *fds; /* a handler that keeps an fd sets its slot to -1 */
	size_t nfds;
};

typedef int (*method_fn)(struct call *call, struct ctr_error *err);

enum {
	METHOD_TAKES_FDS = 1 << 0, /* the request may carry SCM_RIGHTS fds */
};

static int
method_version(struct call *call, struct ctr_error *err)
{
	struct utsname u;

	uname(&u);
	conn_reply(call->conn, call->id,
		   json_pack("{s:s,s:i,s:s,s:i}", "version", PACKAGE_VERSION, "api", API_VERSION,
			     "kernel", u.release, "pid", (int)getpid()));
	return 0;
}

/* The selected container of a request with an "id" param. */
static struct container *
selected(struct call *call, struct ctr_error *err)
{
	return container_find(call->d, json_string_value(json_object_get(call->params, "id")), err);
}

/* Newest first, as docker lists them. */
static int
method_ps(struct call *call, struct ctr_error *err)
{
	bool all = params_bool(call->params, "all", false);
	json_t *fields = json_object_get(call->params, "fields");

	size_t len;
	/* Both written straight to text: a thousand containers are a thousand objects. */
	char *text = fields ? psrows_build(call->d, all, fields, &len, err)
			    : psrows_objects(call->d, all, &len);
	if (text == NULL)
		return -1;
	conn_reply_text(call->conn, call->id, text, len);
	return 0;
}

static int
method_inspect(struct call *call, struct ctr_error *err)
{
	struct container *ctr = selected(call, err);

	if (ctr == NULL)
		return -1;
	conn_reply(call->conn, call->id, container_to_json(ctr, true));
	return 0;
}

static int
method_kill(struct call *call, struct ctr_error *err)
{
	struct container *ctr = selected(call, err);

	if (ctr == NULL)
		return -1;
	int sig = params_signal(call->params, "signal", SIGKILL);
	if (container_signal(ctr, sig, err) < 0)
		return -1;
	/* Killed to end it, as docker sees it: the restart policy holds off. */
	if (sig == SIGKILL || sig == SIGTERM)
		ctr->manually_stopped = true;
	events_emit(call->d, "kill", ctr, json_pack("{s:i}", "signal", sig));
	conn_reply(call->conn, call->id, json_pack("{s:s}", "id", ctr->id));
	return 0;
}

static int
method_stop(struct call *call, struct ctr_error *err)
{
	struct container *ctr = selected(call, err);

	if (ctr == NULL)
		return -1;
	if (ctr->state == CTR_EXITED) {
		/* Already stopped (maybe waiting to restart: not any more): success, as docker
		 * says. */
		ctr->manually_stopped = true;
		restart_cancel(ctr);
		(void)container_save(ctr, NULL);
		json_t *st = exit_status_to_json(&ctr->exit);
		json_object_set_new(st, "id", json_string(ctr->id));
		conn_reply(call->conn, call->id, st);
		return 0;
	}
	if (container_stop(ctr, params_signal(call->params, "signal", SIGTERM),
			   (int)params_int(call->params, "timeout", 10), err) < 0)
		return -1;
	events_emit(call->d, "stop", ctr, NULL);
	container_add_waiter(ctr, WAITER_STOP, request_new(call->conn, call->id, NULL, NULL));
	return 0;
}

static int
method_rm(struct call *call, struct ctr_error *err)
{
	struct container *ctr = selected(call, err);
	bool force = params_bool(call->params, "force", false);

	if (ctr == NULL)
		return -1;
	if (ctr->state == CTR_EXITED) {
		json_t *reply = json_pack("{s:s}", "id", ctr->id);
		container_remove(ctr);
		conn_reply(call->conn, call->id, reply);
		return 0;
	}
	if (!force)
		return ctr_error_set(err, CTR_E_STATE, 0,
				     "container %s is %s: stop it first or remove it with force",
				     ctr->name, container_state_name(ctr->state));
	ctr->removing = true;
	/* Kill now; the reply comes once it has exited and is removed. */
	if (ctr->state == CTR_CREATED) {
		spawn_cancel(ctr->spawn);
	} else {
		_cleanup_error_ struct ctr_error ignored = CTR_ERROR_INIT;
		/* Thaws a paused one first; one that is exiting already needs nothing. */
		if (container_signal(ctr, SIGKILL, &ignored) < 0 && ctr->init.pidfd < 0)
			/*
			 * Restored with an init nobody can identify any more: its exit
			 * would never come. The monitor goes instead; the removal that
			 * follows its exit kills what is left in the cgroup.
			 */
			(void)proc_ref_signal(&ctr->monitor, SIGKILL);
	}
	container_add_waiter(ctr, WAITER_REMOVE, request_new(call->conn, call->id, NULL, NULL));
	return 0;
}

static int
method_wait(struct call *call, struct ctr_error *err)
{
	struct container *ctr = selected(call, err);

	if (ctr == NULL)
		return -1;
	if (ctr->state == CTR_EXITED) {
		json_t *st = exit_status_to_json(&ctr->exit);
		json_object_set_new(st, "id", json_string(ctr->id));
		conn_reply(call->conn, call->id, st);
		return 0;
	}
	container_add_waiter(ctr, WAITER_WAIT, request_new(call->conn, call->id, NULL, NULL));
	return 0;
}

static int
method_logs(struct call *call, struct ctr_error *err)
{
	struct container *ctr = selected(call, err);

	if (ctr == NULL)
		return -1;
	return logs_start(call->conn, call->id, ctr, call->params, err);
}

/* Checks what the spec names on the host before anything is forked. */
static int
check_run_paths(const struct ctr_spec *spec, struct ctr_error *err)
{
	struct stat st;

	if (spec->rootfs != NULL) {
		if (stat(spec->rootfs, &st) < 0)
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, errno, "params.rootfs: %s",
					     spec->rootfs);
		if (!S_ISDIR(st.st_mode))
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, ENOTDIR,
					     "params.rootfs: %s", spec->rootfs);
	}
	for (size_t i = 0; i < spec->nmounts; i++)
		if (stat(spec->mounts[i].source, &st) < 0)
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, errno,
					     "params.mounts[%zu].source: %s", i,
					     spec->mounts[i].source);
	return 0;
}

static int
method_run(struct call *call, struct ctr_error *err)
{
	struct ctr_spec spec;
	const char *name = params_str(call->params, "name", NULL);

	if (spec_from_json(&spec, call->params, err) < 0) {
		spec_free(&spec);
		return -1;
	}
	if (spec.image != NULL) {
		struct image img;
		if (image_open(call->d, spec.image, &img, err) < 0) {
			spec_free(&spec);
			return -1;
		}
		int r = image_apply_defaults(&img, &spec, err);
		image_close(&img);
		if (r < 0) {
			spec_free(&spec);
			return -1;
		}
	}
	if (spec.command == NULL) {
		spec_free(&spec);
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "params.command: required when running a root file system");
	}
	/* Attached: the client's stdio, or with a terminal nothing (the reply carries its master). */
	size_t want = spec.detach || spec.tty ? 0 : 3;
	if (call->nfds != want) {
		spec_free(&spec);
		return ctr_error_set(
			err, CTR_E_INVALID_PARAMS, 0,
			want ? "an attached run needs the client's stdin, stdout and stderr "
			       "as SCM_RIGHTS fds (got %zu); set detach to run without them"
			     : "this run takes no file descriptors (got %zu)",
			call->nfds);
	}
	if (spec.userns && call->d->userns.count == 0) {
		spec_free(&spec);
		return ctr_error_set(err, CTR_E_STATE, 0, "--userns is not available: %s",
				     call->d->userns_error ? call->d->userns_error : "no id range");
	}
	if (check_run_paths(&spec, err) < 0) {
		spec_free(&spec);
		return -1;
	}
	struct container *ctr = container_create(call->d, &spec, name, err);
	spec_free(&spec);
	if (ctr == NULL)
		return -1;
	failpoint("run:created");

	int stdio[3] = { -1, -1, -1 };
	bool attached = !ctr->spec.detach && !ctr->spec.tty;
	if (attached)
		for (int i = 0; i < 3; i++)
			stdio[i] = steal_fd(&call->fds[i]);
	if (spawn_start(ctr, attached ? stdio : NULL, err) < 0) {
		ctr_error_prefix(err, "start %.12s", ctr->id);
		container_start_failed(ctr, err);
		return -1;
	}
	container_add_waiter(ctr, WAITER_START, request_new(call->conn, call->id, NULL, NULL));
	if (!ctr->spec.detach)
		container_add_waiter(ctr, WAITER_ATTACH,
				     request_new(call->conn, call->id, NULL, NULL));
	return 0;
}

static int
method_exec(struct call *call, struct ctr_error *err)
{
	struct container *ctr = selected(call, err);

	if (ctr == NULL)
		return -1;
	if (exec_start(call->conn, call->id, ctr, call->params, call->fds, call->nfds, err) < 0)
		return -1;
	/* The helper has its own copies now. */
	for (size_t i = 0; i < call->nfds; i++)
		close_fd(&call->fds[i]);
	return 0;
}

static int
method_pause(struct call *call, struct ctr_error *err)
{
	struct container *ctr = selected(call, err);

	if (ctr == NULL || container_pause(ctr, true, err) < 0)
		return -1;
	events_emit(call->d, "pause", ctr, NULL);
	conn_reply(call->conn, call->id, json_pack("{s:s}", "id", ctr->id));
	return 0;
}

static int
method_unpause(struct call *call, struct ctr_error *err)
{
	struct container *ctr = selected(call, err);

	if (ctr == NULL || container_pause(ctr, false, err) < 0)
		return -1;
	events_emit(call->d, "unpause", ctr, NULL);
	conn_reply(call->conn, call->id, json_pack("{s:s}", "id", ctr->id));
	return 0;
}

static int
method_update(struct call *call, struct ctr_error *err)
{
	struct container *ctr = selected(call, err);

	if (ctr == NULL || container_update(ctr, call->params, err) < 0)
		return -1;
	json_t *r = json_pack("{s:s}", "id", ctr->id);
	resources_to_json(&ctr->spec.res, r);
	conn_reply(call->conn, call->id, r);
	return 0;
}

/* One sample per container; the client computes CPU percentages from two. */
static json_t *
stats_of(struct ctrd *d, struct container *ctr)
{
	json_t *o = cgroup_stats(&d->cgroups, ctr->id);
	_cleanup_free_ char *now = time_format_rfc3339(time_now_ns());

	json_object_set_new(o, "id", json_string(ctr->id));
	json_object_set_new(o, "name", json_string(ctr->name));
	json_object_set_new(o, "state", json_string(container_status(ctr)));
	json_object_set_new(o, "time", json_string(now));
	json_object_set_new(o, "online_cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	return o;
}

static int
method_stats(struct call *call, struct ctr_error *err)
{
	json_t *ids = json_object_get(call->params, "ids");
	bool all = params_bool(call->params, "all", false);
	json_auto_t *list = json_array();
	struct container *ctr;
	size_t i;
	json_t *id;

	if (json_array_size(ids) > 0) {
		json_array_foreach(ids, i, id) {
			ctr = container_find(call->d, json_string_value(id), err);
			if (ctr == NULL)
				return -1;
			json_array_append_new(list, stats_of(call->d, ctr));
		}
	} else {
		TAILQ_FOREACH(ctr, &call->d->containers, entry)
			if (all || ctr->state == CTR_RUNNING)
				json_array_append_new(list, stats_of(call->d, ctr));
	}
	conn_reply(call->conn, call->id, json_pack("{s:O}", "stats", list));
	return 0;
}

static int
method_events(struct call *call, struct ctr_error *err)
{
	const char *since = params_str(call->params, "since", NULL);
	int64_t since_ns = 0;

	if (since != NULL && time_parse_rfc3339(since, &since_ns) < 0)
		return ctr_error_set(
			err, CTR_E_INVALID_PARAMS, 0,
			"params.since: expected an RFC 3339 time like 2026-11-29T04:12:24Z");
	return events_subscribe(call->conn, call->id, since_ns, err);
}

static int
method_images(struct call *call, struct ctr_error *err)
{
	conn_reply(call->conn, call->id, json_pack("{s:o}", "images", image_list(call->d)));
	return 0;
}

static const struct method {
	const char *name;
	method_fn fn;
	unsigned flags;
} methods[] = {
	{ "version", method_version, 0 },
	{ "run", method_run, METHOD_TAKES_FDS },
	{ "ps", method_ps, 0 },
	{ "inspect", method_inspect, 0 },
	{ "stop", method_stop, 0 },
	{ "kill", method_kill, 0 },
	{ "rm", method_rm, 0 },
	{ "wait", method_wait, 0 },
	{ "logs", method_logs, 0 },
	{ "images", method_images, 0 },
	{ "exec", method_exec, METHOD_TAKES_FDS },
	{ "pause", method_pause, 0 },
	{ "unpause", method_unpause, 0 },
	{ "update", method_update, 0 },
	{ "stats", method_stats, 0 },
	{ "events", method_events, 0 },
};

void
methods_dispatch(struct ctrd *d, struct conn *c, json_t *id, const char *method, json_t *params,
		 int *fds, size_t nfds)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	const struct method *m = NULL;
	const struct param_spec *schema = params_schema(method);

	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (strcmp(methods[i].name, method) == 0)
			m = &methods[i];
	if (m == NULL || schema == NULL) {
		ctr_error_set(&err, CTR_E_NO_METHOD, 0, "unknown method \"%s\"", method);
	} else if (nfds > 0 && !(m->flags & METHOD_TAKES_FDS)) {
		ctr_error_set(&err, CTR_E_INVALID_PARAMS, 0, "%s takes no file descriptors",
			      method);
	} else if (params_validate(schema, params, &err) == 0) {
		struct call call = { d, c, id, params, fds, nfds };
		if (m->fn(&call, &err) == 0)
			err.code = 0;
	}
	if (err.code != 0) {
		log_debug("%s: %s", method, err.msg);
		conn_error(c, id, &err);
	}
	for (size_t i = 0; i < nfds; i++)
		closep(&fds[i]);
}
