/* SPDX-License-Identifier: MIT */
/*
 * The state file: what a container's state.json holds, so that a daemon
 * started again (after a crash, an upgrade, kill -9) finds every container
 * where the last one left it, running or not.
 */
#include "config.h"

#include <dirent.h>
#include <signal.h>
#include <string.h>

#include "cgroup.h"
#include "container.h"
#include "fsutil.h"
#include "log.h"
#include "restart.h"
#include "statefile.h"

#define STATE_FILE "state.json"
#define STATE_MAX  (4 << 20)

static json_t *
proc_ref_to_json(const struct proc_ref *ref)
{
	if (ref->pid <= 0)
		return json_null();
	return json_pack("{s:i,s:I}", "pid", (int)ref->pid, "start_time",
			 (json_int_t)ref->start_time);
}

int
container_save(struct container *ctr, struct ctr_error *err)
{
	json_t *o = container_json(ctr, false, false);

	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "paused", json_boolean(ctr->paused));
	json_object_set_new(o, "restart_count", json_integer(ctr->restart_count));
	json_object_set_new(o, "manually_stopped", json_boolean(ctr->manually_stopped));
	json_object_set_new(o, "spec", spec_to_json(&ctr->spec));
	json_object_set_new(o, "init", proc_ref_to_json(&ctr->init));
	json_object_set_new(o, "monitor", proc_ref_to_json(&ctr->monitor));
	json_object_set_new(o, "log_path",
			    ctr->log_path ? json_string(ctr->log_path) : json_null());
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	_cleanup_free_ char *path = xasprintf("%s/" STATE_FILE, ctr->dir);
	_cleanup_error_ struct ctr_error local = CTR_ERROR_INIT;
	int r = fs_write_atomic(path, s, strlen(s), 0600, err ? err : &local);
	free(s);
	if (r < 0)
		log_error("%.12s: save state: %s", ctr->id, (err ? err : &local)->msg);
	return r;
}

int
statefile_read_exit(const char *path, struct exit_status *st)
{
	_cleanup_free_ char *data = NULL;
	json_error_t jerr;

	if (fs_read_file(path, 4096, &data, NULL) < 0)
		return -1;
	json_t *o = json_loads(data, 0, &jerr);
	json_t *code = json_object_get(o, "exit_code");
	json_t *sig = json_object_get(o, "signal");
	const char *finished = json_string_value(json_object_get(o, "finished_at"));

	if (!json_is_integer(code)) {
		json_decref(o);
		return errno = EINVAL, -1;
	}
	st->exit_code = (int)json_integer_value(code);
	st->signal = json_is_integer(sig) ? (int)json_integer_value(sig) : 0;
	st->oom_killed = json_is_true(json_object_get(o, "oom_killed"));
	if (finished == NULL || time_parse_rfc3339(finished, &st->finished_at) < 0)
		st->finished_at = time_now_ns();
	json_decref(o);
	return 0;
}

/* The init's pid and start time, as the monitor recorded them before reporting them. */
static void
restore_init_file(struct container *ctr)
{
	_cleanup_free_ char *path = xasprintf("%s/init", ctr->dir);
	_cleanup_free_ char *data = NULL;
	int pid;
	unsigned long long start;

	if (fs_read_file(path, 256, &data, NULL) == 0 && sscanf(data, "%d %llu", &pid, &start) == 2)
		(void)proc_ref_open(&ctr->init, (pid_t)pid, (uint64_t)start);
}

/* Rebuilds one container from its state file; NULL (and a log line) if it cannot. */
static struct container *
restore_one(struct ctrd *d, const char *id, struct ctr_error *err)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s", d->containers_dir, id);
	_cleanup_free_ char *path = xasprintf("%s/" STATE_FILE, dir);
	_cleanup_free_ char *data = NULL;
	json_error_t jerr;
	json_t *o, *spec, *init, *mon;
	const char *name, *state, *created, *started = NULL, *log_path = NULL;
	struct ctr_spec s = { 0 };

	if (fs_read_file(path, STATE_MAX, &data, NULL) < 0)
		return ctr_error_sys(err, errno, "read %s", path), NULL;
	o = json_loads(data, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL)
		return ctr_error_set(err, CTR_E_SYSTEM, 0, "%s: %s", path, jerr.text), NULL;
	/* started_at and log_path may be null. */
	started = json_string_value(json_object_get(o, "started_at"));
	log_path = json_string_value(json_object_get(o, "log_path"));
	if (json_unpack_ex(o, &jerr, 0, "{s:s,s:s,s:s,s:o,s:o,s:o}", "name", &name, "state", &state,
			   "created", &created, "spec", &spec, "init", &init, "monitor",
			   &mon) < 0 ||
	    spec_from_json(&s, spec, err) < 0) {
		if (err->code == 0)
			ctr_error_set(err, CTR_E_SYSTEM, 0, "%s: %s", path, jerr.text);
		spec_free(&s);
		json_decref(o);
		return NULL;
	}
	struct container *ctr = xcalloc(1, sizeof(*ctr));
	ctr->d = d;
	snprintf(ctr->id, sizeof(ctr->id), "%s", id);
	ctr->name = xstrdup(name);
	ctr->spec = s;
	ctr->dir = steal_pointer(&dir);
	ctr->data_dir = xasprintf("%s/%s", d->data_dir, id);
	ctr->log_path = log_path ? xstrdup(log_path) : NULL;
	ctr->pty_master = -1;
	LIST_INIT(&ctr->execs);
	if (ctr->spec.image != NULL)
		ctr->image_rootfs = xasprintf("%s/%s/rootfs", d->images_dir, ctr->spec.image);
	ctr->init = (struct proc_ref)PROC_REF_INIT;
	ctr->monitor = (struct proc_ref)PROC_REF_INIT;
	LIST_INIT(&ctr->waiters);
	(void)time_parse_rfc3339(created, &ctr->created_at);
	ctr->restart_count = (int)json_integer_value(json_object_get(o, "restart_count"));
	ctr->manually_stopped = json_is_true(json_object_get(o, "manually_stopped"));
	if (started != NULL)
		(void)time_parse_rfc3339(started, &ctr->started_at);

	json_int_t pid = 0, start = 0;
	if (strcmp(state, "exited") == 0) {
		/* What we recorded at the exit (OOM included) is the whole story. */
		json_t *code = json_object_get(o, "exit_code"), *sig = json_object_get(o, "signal");
		const char *finished = json_string_value(json_object_get(o, "finished_at"));
		ctr->state = CTR_EXITED;
		ctr->exit.exit_code = json_is_integer(code) ? (int)json_integer_value(code) : 255;
		ctr->exit.signal = json_is_integer(sig) ? (int)json_integer_value(sig) : 0;
		ctr->exit.oom_killed = json_is_true(json_object_get(o, "oom_killed"));
		if (finished == NULL || time_parse_rfc3339(finished, &ctr->exit.finished_at) < 0)
			ctr->exit.finished_at = time_now_ns();
	} else if (json_unpack(mon, "{s:I,s:I}", "pid", &pid, "start_time", &start) == 0 &&
		   proc_ref_open(&ctr->monitor, (pid_t)pid, (uint64_t)start) == 0) {
		/* The monitor still runs: so does (or did, a moment ago) the container. */
		/*
		 * Killed mid-run (no init in state.json), or a recorded init that is not
		 * (any more) the process of that pid: the monitor's own record decides.
		 */
		if (json_unpack(init, "{s:I,s:I}", "pid", &pid, "start_time", &start) < 0 ||
		    proc_ref_open(&ctr->init, (pid_t)pid, (uint64_t)start) < 0)
			restore_init_file(ctr);
		ctr->state = CTR_RUNNING;
		ctr->paused = json_is_true(json_object_get(o, "paused"));
		/* Still "created": the run failed if the monitor goes without an exit. */
		ctr->unconfirmed = strcmp(state, "created") == 0;
		if (ctr->init.pidfd < 0 && strcmp(state, "created") == 0) {
			/* Not even the init is known: the start cannot be completed, so undo it. */
			(void)proc_ref_signal(&ctr->monitor, SIGKILL);
			ctr->state = CTR_EXITED;
			ctr->rollback = true;
		} else {
			container_watch_monitor(ctr);
		}
	} else if (strcmp(state, "created") == 0) {
		/* Killed mid-run, and nothing of it runs: roll the start back. */
		ctr->state = CTR_EXITED;
		ctr->rollback = true;
	} else {
		/* The monitor is gone; its exit file says how the container ended, if it got that
		 * far. */
		_cleanup_free_ char *exit_path = xasprintf("%s/exit", ctr->dir);
		ctr->state = CTR_EXITED;
		if (statefile_read_exit(exit_path, &ctr->exit) < 0) {
			ctr->exit.exit_code = 255;
			ctr->exit.finished_at = time_now_ns();
			ctr->error = xstrdup("lost while ctrd was not running");
		}
		container_check_oom(ctr, &ctr->exit);
		(void)container_save(ctr, NULL);
	}
	json_decref(o);
	return ctr;
}

void
container_restore_all(struct ctrd *d)
{
	DIR *dir = opendir(d->containers_dir);
	struct dirent *de;

	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
		size_t len = strlen(de->d_name);
		if (len < CTR_ID_LEN || strspn(de->d_name, "0123456789abcdef") != CTR_ID_LEN)
			continue;
		_cleanup_free_ char *id = xstrndup(de->d_name, CTR_ID_LEN);
		if (strcmp(de->d_name + CTR_ID_LEN, ".removing") == 0) {
			/* An rm a killed daemon did not finish. */
			log_info("finishing the removal of %.12s", id);
			container_finish_removal(d, id);
			continue;
		}
		if (len != CTR_ID_LEN)
			continue;
		_cleanup_free_ char *state = xasprintf("%s/%s/" STATE_FILE, d->containers_dir, id);
		if (access(state, F_OK) < 0 && errno == ENOENT) {
			/* Created, and the daemon died before it wrote anything: nothing ran. */
			_cleanup_free_ char *from = xasprintf("%s/%s", d->containers_dir, id);
			_cleanup_free_ char *to = xasprintf("%s.removing", from);
			log_info("rolling back the interrupted start of %.12s", id);
			if (rename(from, to) == 0)
				container_finish_removal(d, id);
			continue;
		}
		struct container *ctr = restore_one(d, de->d_name, &err);
		if (ctr != NULL && ctr->rollback) {
			log_info("rolling back the interrupted start of %.12s", ctr->id);
			TAILQ_INSERT_TAIL(&d->containers, ctr, entry);
			d->ncontainers++;
			container_remove(ctr);
			continue;
		}
		if (ctr == NULL) {
			/* Keep it for a human to look at, out of the way of the daemon. */
			_cleanup_free_ char *from = xasprintf("%s/%s", d->containers_dir,
							      de->d_name);
			_cleanup_free_ char *to = xasprintf("%s/%s.corrupt", d->containers_dir,
							    de->d_name);
			log_error("container %.12s: %s; moved to %s", de->d_name, err.msg, to);
			if (rename(from, to) < 0)
				log_error("rename %s: %s", from, strerror(errno));
			/* Its cgroups go if nothing runs in them any more. */
			(void)cgroup_remove_if_empty(&d->cgroups, de->d_name);
			continue;
		}
		if (ctr->spec.rm && ctr->state == CTR_EXITED) {
			TAILQ_INSERT_TAIL(&d->containers, ctr, entry);
			d->ncontainers++;
			container_remove(ctr);
			continue;
		}
		TAILQ_INSERT_TAIL(&d->containers, ctr, entry);
		d->ncontainers++;
		log_info("restored %.12s (%s): %s", ctr->id, ctr->name,
			 container_state_name(ctr->state));
		/* always and unless-stopped: running again after a daemon start, as in docker. */
		if (ctr->state == CTR_EXITED && restart_on_boot(ctr))
			restart_schedule(ctr, false);
	}
	closedir(dir);
}
