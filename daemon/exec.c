/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <event2/event.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "child.h"
#include "events.h"
#include "exec.h"
#include "failpoint.h"
#include "log.h"
#include "params.h"
#include "seccomp.h"
#include "server.h"
#include "sync.h"
#include "zygote.h"

#define EXEC_ID_LEN	 12
#define EXEC_TIMEOUT_SEC 60

struct exec_proc {
	struct ctrd *d;
	struct container *ctr; /* NULL once the container is removed */
	char id[EXEC_ID_LEN + 1];
	char **command;
	bool tty;
	int64_t started_at;
	struct proc_ref helper;	 /* joins the namespaces, then exits */
	struct proc_ref proc;	 /* the process: our child, through CLONE_PARENT */
	int sync_fd;		 /* while starting */
	struct event *sync_ev;	 /* while starting */
	struct event *helper_ev; /* reaps the helper */
	struct event *proc_ev;	 /* the process exited */
	int pty_master;		 /* -t: for the reply */
	struct ctr_error err;	 /* why the start failed */
	struct request *start;	 /* the exec request, until answered */
	struct request *attach;	 /* the attached client, told of the exit */
	bool running;		 /* started, and in ctr->execs */
	LIST_ENTRY(exec_proc) entry;
};

static void exec_free(struct exec_proc *e);

/* The namespaces of the container: those its init was cloned into. */
static unsigned long
container_namespaces(const struct container *ctr)
{
	return ctr->d->clone_flags | (ctr->spec.network == NET_HOST ? 0 : CLONE_NEWNET) |
	       (ctr->d->cgroupns ? CLONE_NEWCGROUP : 0) | (ctr->spec.userns ? CLONE_NEWUSER : 0);
}

/*
 * Joins every namespace of the init. With a pidfd (Linux 5.8) one setns()
 * switches all of them at once; before that, each /proc/PID/ns file is
 * opened first (the mount namespace changes what /proc is) and joined with
 * the mount namespace last.
 */
static int
join_namespaces(const struct container *ctr, unsigned long flags, struct ctr_error *err)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} order[] = {
		{ CLONE_NEWUSER, "user" }, { CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" },
		{ CLONE_NEWNET, "net" },   { CLONE_NEWPID, "pid" }, { CLONE_NEWCGROUP, "cgroup" },
		{ CLONE_NEWNS, "mnt" },
	};
	int fds[ARRAY_SIZE(order)];

	if (setns(ctr->init.pidfd, (int)flags) == 0)
		return 0;
	if (errno != EINVAL)
		return ctr_error_sys(err, errno, "setns");
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		fds[i] = -1;
		if (!(flags & order[i].flag))
			continue;
		_cleanup_free_ char *path = xasprintf("/proc/%d/ns/%s", (int)ctr->init.pid,
						      order[i].name);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return ctr_error_sys(err, errno, "open %s", path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (fds[i] >= 0 && setns(fds[i], (int)order[i].flag) < 0)
			return ctr_error_sys(err, errno, "setns %s", order[i].name);
	return 0;
}

/* The exec'd process, in the helper's memory until its execve (proc_clone_vm). */
static int
process_main(void *arg)
{
	failpoint("exec:process");
	child_start_process(arg);
}

int
exec_helper_run(struct exec_args *x, int sync_fd, bool *heap_whole)
{
	struct container *ctr = x->ctr;
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	int in = -1, out = -1, errfd = -1;

	proc_reset_signals();
	/*
	 * From here until execve, ctrd code runs inside the container's
	 * namespaces: not dumpable means the container cannot ptrace us or open
	 * our /proc files (and so no fd or memory of ours), and we keep no
	 * daemon fd but the sync socket and the init's pidfd. (In the zygote's
	 * memory this is the zygote's too, until it sets it back.)
	 */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)prctl(PR_SET_NAME, "ctrd-exec", 0, 0, 0);
	if (x->attached && !x->tty) {
		in = x->interactive ? x->stdio[0] : open("/dev/null", O_RDONLY | O_CLOEXEC);
		out = x->stdio[1];
		errfd = x->stdio[2];
	} else {
		in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		out = open("/dev/null", O_WRONLY | O_CLOEXEC);
		errfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	}
	/* The container's cgroup first: its limits hold for the process from the start. */
	if (cgroup_join(x->procs, &err) < 0) {
		ctr_error_prefix(&err, "exec");
		goto fail;
	}
	failpoint("exec:setup");
	int keep[] = { sync_fd, ctr->init.pidfd, in, out, errfd };
	if (in < 0 || out < 0 || errfd < 0 || proc_close_fds_except(keep, ARRAY_SIZE(keep)) < 0) {
		ctr_error_sys(&err, errno, "exec: prepare fds");
		goto fail;
	}
	/* Closed with the rest: exec_args_clear() must not close their numbers again. */
	x->procs[0] = -1;
	/* Inside a user namespace no group could be dropped later. */
	if (ctr->spec.userns && setgroups(0, NULL) < 0) {
		ctr_error_sys(&err, errno, "exec: setgroups");
		goto fail;
	}
	if (join_namespaces(ctr, container_namespaces(ctr), &err) < 0) {
		ctr_error_prefix(&err, "exec: join the container");
		goto fail;
	}
	closep(&ctr->init.pidfd);

	char short_id[CTR_SHORT_ID_LEN + 1];
	memcpy(short_id, ctr->id, CTR_SHORT_ID_LEN);
	short_id[CTR_SHORT_ID_LEN] = '\0';
	char **env_left = NULL;
	bool proc_past_heap = false;
	struct process_spec ps = {
		.what = "exec",
		.command = x->command,
		.env = ctr->spec.env,
		.env_extra = x->env,
		.cwd = x->cwd ? x->cwd : ctr->spec.cwd,
		.user = x->user ? x->user : ctr->spec.user,
		.hostname = ctr->spec.hostname ? ctr->spec.hostname : short_id,
		.tty = x->tty,
		.tty_rows = x->rows,
		.tty_cols = x->cols,
		.pty_sock = sync_fd,
		.stdio = { in, out, errfd },
		.sync_fd = sync_fd,
		.caps = ctr->spec.caps,
		.seccomp = x->seccomp,
		.userns = ctr->spec.userns,
		.oom_score_adj = ctr->d->container_oom_score_adj,
		.env_out = heap_whole ? &env_left : NULL,
		.past_heap = heap_whole ? &proc_past_heap : NULL,
	};
	/*
	 * The process shares our memory until its execve while we wait (as the
	 * init does the monitor's): no copy of the daemon's page tables.
	 */
	pid_t pid = proc_clone_vm(CLONE_PARENT, process_main, &ps);
	if (pid < 0) {
		ctr_error_sys(&err, errno, "exec: clone");
		goto fail;
	}
	bool killed = heap_whole != NULL && !proc_past_heap;
	if (killed) {
		/*
		 * Killed mid-way in the zygote's memory, perhaps inside malloc (see
		 * zygote.c): its environment is left as it is. It is the daemon's
		 * child all the same, reaped once the daemon has its pidfd below.
		 */
		*heap_whole = false;
		sync_send_error(sync_fd, CTR_E_SYSTEM, 0, 0,
				"exec: the process was killed during its setup");
	} else {
		strv_free(env_left);
	}
	/*
	 * The daemon's child, not ours, and not reaped before the daemon has its
	 * pidfd: the pid is stable. (Our /proc is the container's now, so the
	 * daemon reads the start time itself.)
	 */
	int pidfd = proc_pidfd_open(pid);
	struct sync_hdr h = { .type = SYNC_PID, .pid = pid };
	if (pidfd < 0) {
		kill(pid, SIGKILL);
		ctr_error_sys(&err, errno, "exec: pidfd of the process");
		goto fail;
	}
	(void)sync_send_fd(sync_fd, &h, pidfd);
	close(pidfd);
	/* Closed before our exit tears down our memory: the daemon's end of file comes now. */
	close(sync_fd);
	return killed ? 1 : 0;
fail:
	sync_send_error(sync_fd, err.code, err.errnum, err.exit_code, err.msg);
	return 1;
}

_noreturn_ void
exec_helper_main(struct exec_args *x, int sync_fd)
{
	_exit(exec_helper_run(x, sync_fd, NULL));
}

static void
random_exec_id(char id[EXEC_ID_LEN + 1])
{
	unsigned char raw[EXEC_ID_LEN / 2];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		memset(raw, 0, sizeof(raw));
	for (size_t i = 0; i < sizeof(raw); i++)
		sprintf(id + 2 * i, "%02x", raw[i]);
}

static void
exec_cancel(struct request *req)
{
	struct exec_proc *e = req->data;

	if (req == e->start)
		e->start = NULL;
	if (req == e->attach)
		e->attach = NULL;
}

/* The helper exited (it always does, quickly): reap it. */
static void
helper_exited_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exec_proc *e = arg;
	siginfo_t si;

	(void)waitid((idtype_t)P_PIDFD, (id_t)e->helper.pidfd, &si, WEXITED | WNOHANG);
	event_free(e->helper_ev);
	e->helper_ev = NULL;
	proc_ref_close(&e->helper);
	if (e->proc_ev == NULL && e->sync_ev == NULL)
		exec_free(e);
}

static json_t *
exit_json(const struct exec_proc *e, const siginfo_t *si)
{
	struct exit_status st = { .finished_at = time_now_ns() };

	if (si->si_code == CLD_EXITED) {
		st.exit_code = si->si_status;
	} else {
		st.signal = si->si_status;
		st.exit_code = 128 + si->si_status;
	}
	json_t *o = exit_status_to_json(&st);
	if (e->ctr != NULL)
		json_object_set_new(o, "id", json_string(e->ctr->id));
	json_object_set_new(o, "exec_id", json_string(e->id));
	return o;
}

/* The process exited: reap it and tell the attached client. */
static void
proc_exited_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exec_proc *e = arg;
	siginfo_t si = { 0 };

	if (waitid((idtype_t)P_PIDFD, (id_t)e->proc.pidfd, &si, WEXITED | WNOHANG) < 0 ||
	    si.si_pid == 0) {
		si.si_code = CLD_KILLED;
		si.si_status = SIGKILL;
	}
	event_free(e->proc_ev);
	e->proc_ev = NULL;
	if (e->running && e->attach != NULL) {
		json_t *st = exit_json(e, &si);
		if (e->attach->id != NULL)
			json_object_set(st, "request", e->attach->id);
		request_notify(e->attach, "exit", st);
	}
	if (e->running)
		log_debug("exec %s: exited (%d)", e->id, si.si_status);
	if (e->helper_ev == NULL && e->sync_ev == NULL)
		exec_free(e);
}

static void
watch_proc(struct exec_proc *e)
{
	e->proc_ev = event_new(e->d->base, e->proc.pidfd, EV_READ, proc_exited_cb, e);
	if (e->proc_ev == NULL)
		abort();
	event_add(e->proc_ev, NULL);
}

/* The sync socket reached end of file: the process exec'd, or the start failed. */
static void
exec_finish(struct exec_proc *e)
{
	event_free(e->sync_ev);
	e->sync_ev = NULL;
	close_fd(&e->sync_fd);
	if (e->err.code == 0 && e->proc.pid <= 0)
		ctr_error_set(&e->err, CTR_E_SYSTEM, 0,
			      "exec: the helper died before starting the process");
	if (e->err.code == 0 && (e->ctr == NULL || e->ctr->state != CTR_RUNNING))
		ctr_error_set(&e->err, CTR_E_STATE, 0, "the container exited during exec");
	if (e->proc.pidfd >= 0)
		watch_proc(e); /* reaped whatever happens */
	if (e->err.code != 0) {
		(void)proc_ref_signal(&e->proc, SIGKILL);
		if (e->start != NULL)
			request_fail(e->start, &e->err);
		e->start = NULL;
		if (e->attach != NULL)
			request_free(e->attach);
		e->attach = NULL;
		if (e->proc_ev == NULL && e->helper_ev == NULL)
			exec_free(e);
		return;
	}
	e->running = true;
	e->started_at = time_now_ns();
	LIST_INSERT_HEAD(&e->ctr->execs, e, entry);
	log_debug("%.12s: exec %s running as pid %d", e->ctr->id, e->id, (int)e->proc.pid);
	events_emit(e->d, "exec", e->ctr,
		    json_pack("{s:s,s:i,s:o}", "exec_id", e->id, "pid", (int)e->proc.pid, "command",
			      spec_strv_to_json(e->command)));
	json_t *result = json_pack("{s:s,s:s,s:i}", "id", e->ctr->id, "exec_id", e->id, "pid",
				   (int)e->proc.pid);
	if (e->start != NULL) {
		if (e->pty_master >= 0) {
			int fd = steal_fd(&e->pty_master);
			request_reply_fds(e->start, result, &fd, 1);
		} else {
			request_reply(e->start, result);
		}
		e->start = NULL;
	} else {
		json_decref(result);
	}
}

static void
exec_sync_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exec_proc *e = arg;

	if (what & EV_TIMEOUT) {
		if (e->err.code == 0)
			ctr_error_set(&e->err, CTR_E_SYSTEM, ETIMEDOUT,
				      "exec did not start in %d seconds", EXEC_TIMEOUT_SEC);
		(void)proc_ref_signal(&e->helper, SIGKILL);
		exec_finish(e);
		return;
	}
	for (;;) {
		char buf[sizeof(struct sync_hdr) + SYNC_MAX_TEXT + 1];
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} control;
		struct iovec iov = { buf, sizeof(buf) - 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct sync_hdr h;
		_cleanup_close_ int passed = -1;

		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			exec_finish(e);
			return;
		}
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&passed, CMSG_DATA(c), sizeof(int));
		if ((size_t)n < sizeof(h))
			continue;
		memcpy(&h, buf, sizeof(h));
		buf[n] = '\0';
		if (h.type == SYNC_PID && passed >= 0 && e->proc.pidfd < 0) {
			e->proc.pid = h.pid;
			e->proc.pidfd = steal_fd(&passed);
			(void)proc_start_time(h.pid, &e->proc.start_time);
		} else if (h.type == SYNC_PTY && passed >= 0 && e->pty_master < 0) {
			e->pty_master = steal_fd(&passed);
		} else if (h.type == SYNC_ERROR && e->err.code == 0) {
			int code = h.code ? h.code : h.exit_code ? CTR_E_EXEC : CTR_E_SYSTEM;
			ctr_error_set(&e->err, code, 0, "%s", buf + sizeof(h));
			e->err.errnum = h.errnum;
			e->err.exit_code = h.exit_code;
		}
	}
}

static void
exec_free(struct exec_proc *e)
{
	if (e->running)
		LIST_REMOVE(e, entry);
	if (e->start != NULL)
		request_free(e->start);
	if (e->attach != NULL)
		request_free(e->attach);
	if (e->sync_ev != NULL)
		event_free(e->sync_ev);
	if (e->helper_ev != NULL)
		event_free(e->helper_ev);
	if (e->proc_ev != NULL)
		event_free(e->proc_ev);
	close_fd(&e->sync_fd);
	close_fd(&e->pty_master);
	proc_ref_close(&e->helper);
	proc_ref_close(&e->proc);
	ctr_error_clear(&e->err);
	strv_free(e->command);
	free(e);
}

static char **
strv_json(json_t *arr)
{
	size_t i;
	json_t *item;
	char **v = xcalloc(json_array_size(arr) + 1, sizeof(char *));

	json_array_foreach(arr, i, item)
		v[i] = xstrdup(json_string_value(item));
	return v;
}

int
exec_args_from(struct exec_args *x, struct container *ctr, json_t *params, size_t nfds,
	       struct ctr_error *err)
{
	json_t *size = json_object_get(params, "tty_size");
	const char *cwd = params_str(params, "cwd", NULL);
	const char *user = params_str(params, "user", NULL);

	memset(x, 0, sizeof(*x));
	x->procs[0] = -1;
	x->ctr = ctr;
	x->tty = params_bool(params, "tty", false);
	x->interactive = params_bool(params, "interactive", false);
	x->attached = !params_bool(params, "detach", false);
	if (x->tty && !x->attached)
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "params: a detached exec has no one to hold its terminal: "
				     "use tty or detach, not both");
	size_t want = x->attached && !x->tty ? 3 : 0;
	if (nfds != want)
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     want ? "an attached exec needs the client's stdin, stdout and "
					    "stderr as SCM_RIGHTS fds (got %zu)"
					  : "this exec takes no file descriptors (got %zu)",
				     nfds);
	x->env = strv_json(json_object_get(params, "env"));
	for (size_t i = 0; x->env[i] != NULL; i++)
		if (strchr(x->env[i], '=') == NULL || x->env[i][0] == '=')
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "params.env[%zu]: expected KEY=VALUE, got \"%s\"", i,
					     x->env[i]);
	_cleanup_free_ char *clean = cwd ? spec_clean_path(cwd) : NULL;
	if (cwd != NULL && clean == NULL)
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "params.cwd: must not contain \"..\"");
	x->command = strv_json(json_object_get(params, "command"));
	x->cwd = steal_pointer(&clean);
	x->user = user ? xstrdup(user) : NULL;
	x->rows = (unsigned short)json_integer_value(json_object_get(size, "rows"));
	x->cols = (unsigned short)json_integer_value(json_object_get(size, "cols"));
	return 0;
}

void
exec_args_clear(struct exec_args *x)
{
	for (size_t i = 0; x->procs[i] >= 0; i++)
		close_fd(&x->procs[i]);
	strv_free(x->command);
	strv_free(x->env);
	free(x->cwd);
	free(x->user);
}

int
exec_start(struct conn *c, json_t *id, struct container *ctr, json_t *params, int *fds, size_t nfds,
	   struct ctr_error *err)
{
	struct exec_args x;
	int sv[2];

	if (ctr->state != CTR_RUNNING || !proc_ref_alive(&ctr->init))
		return ctr_error_set(err, CTR_E_STATE, 0, "container %s is not running", ctr->name);
	if (ctr->paused)
		return ctr_error_set(err, CTR_E_STATE, 0,
				     "container %s is paused: unpause it first", ctr->name);
	if (exec_args_from(&x, ctr, params, nfds, err) < 0) {
		exec_args_clear(&x);
		return -1;
	}
	for (size_t i = 0; i < nfds; i++)
		x.stdio[i] = fds[i];
	/* Built (or found) here, once: the process only installs it. */
	if (!ctr->spec.seccomp_unconfined &&
	    (x.seccomp = seccomp_default_prog(ctr->spec.caps, err)) == NULL) {
		exec_args_clear(&x);
		return ctr_error_prefix(err, "exec");
	}
	if (cgroup_open_procs(&ctr->d->cgroups, ctr->id, x.procs, err) < 0) {
		exec_args_clear(&x);
		return ctr_error_prefix(err, "exec");
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		exec_args_clear(&x);
		return ctr_error_sys(err, errno, "socketpair");
	}
	/* The zygote forks the helper (as our child) if it can; else we do. */
	bool uncertain = false;
	pid_t pid = -1;
	if (zygote_spawn_exec(ctr->d, ctr, params, sv[1], x.attached && !x.tty ? x.stdio : NULL,
			      x.procs, &pid, &uncertain) < 0) {
		if (uncertain) {
			/* A helper may have been made: it reports into a socket nobody reads. */
			close(sv[0]);
			close(sv[1]);
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
				exec_args_clear(&x);
				return ctr_error_sys(err, errno, "socketpair");
			}
		}
		pid = fork();
		if (pid < 0) {
			int e = errno;
			close(sv[0]);
			close(sv[1]);
			exec_args_clear(&x);
			return ctr_error_sys(err, e, "fork");
		}
		if (pid == 0) {
			close(sv[0]);
			exec_helper_main(&x, sv[1]);
		}
	}
	close(sv[1]);

	struct exec_proc *e = xcalloc(1, sizeof(*e));
	e->d = ctr->d;
	e->ctr = ctr;
	random_exec_id(e->id);
	e->command = steal_pointer(&x.command);
	e->tty = x.tty;
	e->sync_fd = sv[0];
	e->pty_master = -1;
	e->helper = (struct proc_ref)PROC_REF_INIT;
	e->proc = (struct proc_ref)PROC_REF_INIT;
	exec_args_clear(&x);
	if (proc_ref_from_child(&e->helper, pid) < 0) {
		int en = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		exec_free(e);
		return ctr_error_sys(err, en, "pidfd_open");
	}
	e->helper_ev = event_new(e->d->base, e->helper.pidfd, EV_READ, helper_exited_cb, e);
	e->sync_ev = event_new(e->d->base, e->sync_fd, EV_READ | EV_PERSIST, exec_sync_cb, e);
	if (e->helper_ev == NULL || e->sync_ev == NULL)
		abort();
	struct timeval tv = { EXEC_TIMEOUT_SEC, 0 };
	event_add(e->helper_ev, NULL);
	event_add(e->sync_ev, &tv);
	e->start = request_new(c, id, exec_cancel, e);
	if (x.attached)
		e->attach = request_new(c, id, exec_cancel, e);
	return 0;
}

json_t *
exec_list(const struct container *ctr)
{
	json_t *list = json_array();
	struct exec_proc *e;

	LIST_FOREACH(e, &ctr->execs, entry) {
		_cleanup_free_ char *started = time_format_rfc3339(e->started_at);
		json_array_append_new(list, json_pack("{s:s,s:i,s:o,s:s,s:b}", "exec_id", e->id,
						      "pid", (int)e->proc.pid, "command",
						      spec_strv_to_json(e->command), "started_at",
						      started, "tty", e->tty));
	}
	return list;
}

void
exec_container_removed(struct container *ctr)
{
	struct exec_proc *e;

	while ((e = LIST_FIRST(&ctr->execs)) != NULL) {
		/* Still waiting for its exit, but no longer listed anywhere. */
		LIST_REMOVE(e, entry);
		e->running = false;
		e->ctr = NULL;
		(void)proc_ref_signal(&e->proc, SIGKILL);
	}
}
