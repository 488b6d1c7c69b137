/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "child.h"
#include "failpoint.h"
#include "fsutil.h"
#include "log.h"
#include "monitor.h"
#include "seccomp.h"
#include "spawn.h"
#include "statefile.h"
#include "sync.h"
#include "userns.h"
#include "zygote.h"

/* Setup that takes longer than this (a hung mount, say) is killed and reported. */
#define SPAWN_TIMEOUT_SEC 60

struct spawn {
	struct container *ctr;
	int sync_fd;
	struct event *sync_ev;
	struct event *reap_ev; /* failure: waits for the monitor (ctr->monitor) to exit */
	struct proc_ref init;
	struct ctr_error err;
	struct start_times times; /* copied into the monitor and the init by fork */
};

const char *const start_step_names[STEP_COUNT] = {
	[STEP_REQUEST] = "request", [STEP_PREPARED] = "prepared", [STEP_MONITOR] = "monitor",
	[STEP_INIT] = "init",	    [STEP_CGROUP] = "cgroup",	  [STEP_MOUNTS] = "mounts",
	[STEP_PIVOT] = "pivot",	    [STEP_EXEC] = "exec",	  [STEP_RUNNING] = "running",
};

void
sync_send_error(int fd, int code, int errnum, int exit_code, const char *text)
{
	struct sync_hdr h = {
		.type = SYNC_ERROR, .errnum = errnum, .exit_code = exit_code, .code = code
	};
	size_t len = strnlen(text, SYNC_MAX_TEXT);
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)text, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	(void)sendmsg(fd, &mh, MSG_NOSIGNAL);
}

/* spawn_monitor_main()'s safe_exit, for monitor_fail(). */
static bool *monitor_safe_exit;

/* A failure in the monitor before the init exists: "what: reason", then exit. */
static _noreturn_ void
monitor_fail(int sync_fd, const char *what)
{
	int e = errno;
	char text[256]; /* not the heap, which may be the zygote's */

	snprintf(text, sizeof(text), "%s: %s", what, strerror(e));
	sync_send_error(sync_fd, CTR_E_SYSTEM, e, 0, text);
	if (monitor_safe_exit != NULL)
		*monitor_safe_exit = true;
	_exit(1);
}

int
sync_send_fd(int sock, const struct sync_hdr *hdr, int fd)
{
	struct sync_hdr h = *hdr;
	struct iovec iov = { &h, sizeof(h) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = { 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof(control.buf);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c == NULL)
		return errno = EINVAL, -1;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int
sync_recv(int sock, struct sync_hdr *h, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { h, sizeof(*h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	*fd = -1;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof(control.buf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n == 0 ? (errno = EPIPE, -1) : -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	if ((size_t)n < sizeof(*h)) {
		closep(fd);
		*fd = -1;
		return errno = EBADMSG, -1;
	}
	return 0;
}

int
sync_recv_fd(int sock, struct sync_hdr *h)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { h, sizeof(*h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fd = -1;
	ssize_t n;

	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof(control.buf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n == 0 ? (errno = EPIPE, -1) : -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (fd < 0)
		return errno = EBADMSG, -1;
	return fd;
}

/* The monitor tells the daemon which process is the init, handing over a pidfd for it. */
static int
sync_send_pid(int sock, pid_t pid, uint64_t start_time, int pidfd)
{
	struct sync_hdr h = { .type = SYNC_PID, .pid = pid, .start_time = start_time };

	return sync_send_fd(sock, &h, pidfd);
}

/*
 * --userns: the new init waits while we, root outside, give its user
 * namespace its maps, put it in its cgroups (a process inside cannot write
 * v1 cgroup files), and hand it an idmapped mount of its root file system
 * (its image's lower layer), with the go-ahead on msock.
 */
static int
userns_go(struct container *ctr, pid_t pid, const int *procs, int msock, int sync_fd)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	_cleanup_close_ int tree = -1;
	struct sync_hdr h = { .type = SYNC_GO };

	if (userns_write_maps(pid, &ctr->d->userns, &err) < 0)
		goto fail;
	for (size_t i = 0; procs[i] >= 0; i++) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
		if (write(procs[i], buf, (size_t)n) != n) {
			ctr_error_sys(&err, errno, "move the init into its cgroup");
			goto fail;
		}
	}
	tree = userns_idmapped_tree(ctr->image_rootfs ? ctr->image_rootfs : ctr->spec.rootfs, pid,
				    &err);
	if (tree < 0)
		goto fail;
	if (sync_send_fd(msock, &h, tree) < 0) {
		ctr_error_sys(&err, errno, "hand over the root file system");
		goto fail;
	}
	return 0;
fail:
	kill(pid, SIGKILL);
	ctr_error_prefix(&err, "start container: user namespace");
	sync_send_error(sync_fd, err.code, err.errnum, 0, err.msg);
	return -1;
}

/* The init, in a copy of the monitor or in its memory (proc_clone_vm). */
static int
init_main(void *arg)
{
	const struct child_args *a = arg;

	if (a->close_fd >= 0)
		close(a->close_fd);
	child_run(a);
}

/*
 * The monitor process, forked from the zygote or the daemon. It holds copies
 * of every fd of theirs until proc_close_fds_except() below; nothing before
 * that may block. It never returns.
 */
_noreturn_ void
spawn_monitor_main(struct container *ctr, int sync_fd, int *stdio, int log_fd, const int *procs,
		   unsigned long flags, struct start_times *times, const struct sock_fprog *filter,
		   bool *safe_exit, uint32_t *stay)
{
	int in = -1, out = -1, errfd = -1, out_r = -1, err_r = -1;
	int pipe_out[2], pipe_err[2], msock[2] = { -1, -1 };
	bool detached_tty = ctr->spec.detach && ctr->spec.tty;
	bool userns = ctr->spec.userns;

	times->ns[STEP_MONITOR] = time_mono_ns();
	monitor_safe_exit = safe_exit;
	proc_reset_signals();
	/* Its own session: a signal to the daemon's process group must not reach containers. */
	(void)setsid();
	(void)prctl(PR_SET_NAME, "ctrd-monitor", 0, 0, 0);

	if (stdio != NULL && ctr->spec.interactive)
		in = stdio[0];
	else
		in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (stdio != NULL) {
		/* Attached: the client's own stdio. */
		out = stdio[1];
		errfd = stdio[2];
	} else if (ctr->spec.tty) {
		/* The terminal is stdio; its master goes to the client, or to us when detached. */
		out = open("/dev/null", O_WRONLY | O_CLOEXEC);
		errfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	} else {
		/* Detached: pipes we copy into the log. */
		if (pipe2(pipe_out, O_CLOEXEC) < 0 || pipe2(pipe_err, O_CLOEXEC) < 0)
			monitor_fail(sync_fd, "monitor: pipe");
		out_r = pipe_out[0], out = pipe_out[1];
		err_r = pipe_err[0], errfd = pipe_err[1];
	}
	if (in < 0)
		monitor_fail(sync_fd, "monitor: open /dev/null");
	/* Between us and the init: its user namespace go-ahead, or its detached terminal. */
	if ((userns || detached_tty) &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, msock) < 0)
		monitor_fail(sync_fd, "monitor: socketpair");
	/* The init starts with no supplementary groups: in a user namespace it cannot drop any. */
	if (userns && setgroups(0, NULL) < 0)
		monitor_fail(sync_fd, "monitor: setgroups");
	failpoint("monitor:setup");
	/* What must outlive an exec in memory that is not ours, on the stack. */
	char exit_path[PATH_MAX], init_path[PATH_MAX], init_line[64];
	if ((size_t)snprintf(exit_path, sizeof(exit_path), "%s/exit", ctr->dir) >=
		    sizeof(exit_path) ||
	    (size_t)snprintf(init_path, sizeof(init_path), "%s/init", ctr->dir) >=
		    sizeof(init_path)) {
		errno = ENAMETOOLONG;
		monitor_fail(sync_fd, "monitor: state directory");
	}
	int keep[32] = { sync_fd, in, out, errfd, out_r, err_r, log_fd, msock[0], msock[1] };
	size_t nkeep = 9;
	for (size_t i = 0; procs[i] >= 0 && nkeep < ARRAY_SIZE(keep); i++)
		keep[nkeep++] = procs[i];
	if (proc_close_fds_except(keep, nkeep) < 0)
		monitor_fail(sync_fd, "monitor: close inherited fds");

	char **env_left = NULL;
	bool init_past_heap = false;
	struct child_args a = {
		.ctr = ctr,
		.sync_fd = sync_fd,
		.msock = msock[1],
		.close_fd = msock[0],
		.stdio = { in, out, errfd },
		.cgroup_procs = userns ? NULL : procs,
		.clone_flags = flags | (userns ? CLONE_NEWUSER : 0),
		.times = times,
		.seccomp = filter,
		.env_out = userns ? NULL : &env_left,
		.past_heap = userns ? NULL : &init_past_heap,
	};
	/*
	 * The init shares our memory until its execve, and we wait meanwhile:
	 * no page tables to copy, nothing copied on write, the init runs at once.
	 * With --userns it waits for us (userns_go), so it must be a copy.
	 */
	pid_t pid = userns ? proc_clone(a.clone_flags)
			   : proc_clone_vm(a.clone_flags, init_main, &a);
	if (pid < 0)
		monitor_fail(sync_fd, "clone into new namespaces");
	if (pid == 0)
		init_main(&a);
	if (!userns && !init_past_heap) {
		/*
		 * Killed in our memory mid-way, perhaps inside malloc: the heap
		 * must not be touched again. Our exit, unflagged, tells a zygote
		 * whose memory it is to make way for a new one (zygote.c).
		 */
		kill(pid, SIGKILL);
		sync_send_error(sync_fd, CTR_E_SYSTEM, 0, 0,
				"start container: the init was killed during its setup");
		_exit(1);
	}
	/* It ran in our memory and has exec'd or exited: what it left is ours to free. */
	strv_free(env_left);
	close_fd(&msock[1]);
	if (userns && userns_go(ctr, pid, procs, msock[0], sync_fd) < 0) {
		if (safe_exit != NULL)
			*safe_exit = true;
		_exit(1);
	}
	for (size_t i = 0; procs[i] >= 0; i++)
		close(procs[i]);

	close(in);
	close(out);
	close(errfd);
	struct monitor_args m = {
		.id = ctr->id,
		.init_pid = pid,
		.init_pidfd = proc_pidfd_open(pid),
		.out_fd = out_r,
		.err_fd = err_r,
		.log_fd = log_fd,
		.log_path = ctr->log_path,
		.log_max_size = ctr->spec.log_max_size ? ctr->spec.log_max_size
						       : ctr->d->log_max_size,
		.log_max_files = ctr->spec.log_max_files ? ctr->spec.log_max_files
							 : ctr->d->log_max_files,
		.exit_path = exit_path,
	};
	uint64_t start_time = 0;
	/*
	 * Recorded before anyone is told: a daemon killed mid-run finds the init
	 * here after its restart (container_restore_all).
	 */
	int n = 0;
	if (m.init_pidfd < 0 || proc_start_time(pid, &start_time) < 0 ||
	    (n = snprintf(init_line, sizeof(init_line), "%d %llu\n", (int)pid,
			  (unsigned long long)start_time),
	     fs_write_atomic(init_path, init_line, (size_t)n, 0600, NULL) < 0) ||
	    sync_send_pid(sync_fd, pid, start_time, m.init_pidfd) < 0) {
		kill(pid, SIGKILL);
		monitor_fail(sync_fd, "monitor: report the init's pid");
	}
	close(sync_fd);
	if (detached_tty) {
		/* The terminal's output is the container's output; end of file if setup failed. */
		struct sync_hdr h;
		if (sync_recv(msock[0], &h, &m.out_fd) < 0 || h.type != SYNC_PTY)
			closep(&m.out_fd);
	}
	close_fd(&msock[0]);
	/* The container runs; shed the copy of the daemon (or carry on as we are). */
	if (safe_exit != NULL)
		*safe_exit = true; /* no more heap from here */
	if (stay != NULL && m.out_fd < 0 && m.log_fd < 0)
		monitor_stay(&m, stay);
	monitor_exec(ctr->d->monitor_path, &m);
	if (safe_exit != NULL) {
		/* The zygote waits for our exec: we cannot stay, so neither can the container. */
		fprintf(stderr, "ctrd: container %s: exec %s: %s; container killed\n", ctr->id,
			ctr->d->monitor_path ? ctr->d->monitor_path : "ctrd-monitor",
			strerror(errno));
		kill(pid, SIGKILL);
	}
	monitor_run(&m);
}

static void spawn_free(struct spawn *sp);

/* The monitor exited after a failed start: now nothing is left to clean but our state. */
static void
spawn_reaped_cb(evutil_socket_t fd, short what, void *arg)
{
	struct spawn *sp = arg;
	struct container *ctr = sp->ctr;
	siginfo_t si;

	/* The zygote reaps the monitors it made; we reap ours. */
	if (ctr->monitor_is_child &&
	    waitid((idtype_t)P_PIDFD, (id_t)ctr->monitor.pidfd, &si, WEXITED | WNOHANG) < 0)
		log_warn("reap monitor %d: %s", (int)ctr->monitor.pid, strerror(errno));
	struct ctr_error err = sp->err;
	sp->err = (struct ctr_error)CTR_ERROR_INIT;
	ctr->spawn = NULL;
	spawn_free(sp);
	container_start_failed(ctr, &err);
	ctr_error_clear(&err);
}

static void
spawn_fail(struct spawn *sp)
{
	event_free(sp->sync_ev);
	sp->sync_ev = NULL;
	/* Make sure nothing of the attempt survives, then wait for the monitor to go. */
	if (sp->init.pidfd >= 0)
		(void)proc_ref_signal(&sp->init, SIGKILL);
	(void)proc_ref_signal(&sp->ctr->monitor, SIGKILL);
	sp->reap_ev = event_new(sp->ctr->d->base, sp->ctr->monitor.pidfd, EV_READ, spawn_reaped_cb,
				sp);
	if (sp->reap_ev == NULL)
		abort();
	event_add(sp->reap_ev, NULL);
}

static void
spawn_succeed(struct spawn *sp)
{
	struct container *ctr = sp->ctr;
	const int64_t *t = sp->times.ns;

	sp->times.ns[STEP_RUNNING] = time_mono_ns();
	/* Each step's end, in microseconds since the request (0 if the init did not say). */
	log_debug("%.12s: started pid %d in %.3f ms (us: prepared %lld, monitor %lld, init %lld, "
		  "cgroup %lld, mounts %lld, pivot %lld, exec %lld)",
		  ctr->id, (int)sp->init.pid, (double)(t[STEP_RUNNING] - t[STEP_REQUEST]) / 1e6,
		  (long long)(t[STEP_PREPARED] - t[STEP_REQUEST]) / 1000,
		  t[STEP_MONITOR] ? (long long)(t[STEP_MONITOR] - t[STEP_REQUEST]) / 1000 : 0,
		  t[STEP_INIT] ? (long long)(t[STEP_INIT] - t[STEP_REQUEST]) / 1000 : 0,
		  t[STEP_CGROUP] ? (long long)(t[STEP_CGROUP] - t[STEP_REQUEST]) / 1000 : 0,
		  t[STEP_MOUNTS] ? (long long)(t[STEP_MOUNTS] - t[STEP_REQUEST]) / 1000 : 0,
		  t[STEP_PIVOT] ? (long long)(t[STEP_PIVOT] - t[STEP_REQUEST]) / 1000 : 0,
		  t[STEP_EXEC] ? (long long)(t[STEP_EXEC] - t[STEP_REQUEST]) / 1000 : 0);
	ctr->start_times = sp->times;
	ctr->spawn = NULL;
	container_started(ctr, &sp->init);
	spawn_free(sp);
}

/* Reads what the monitor and the init report. */
static void
sync_cb(evutil_socket_t fd, short what, void *arg)
{
	struct spawn *sp = arg;

	if (what & EV_TIMEOUT) {
		if (sp->err.code == 0)
			ctr_error_set(&sp->err, CTR_E_SYSTEM, ETIMEDOUT,
				      "container setup did not finish in %d seconds",
				      SPAWN_TIMEOUT_SEC);
		spawn_fail(sp);
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
		int pidfd = -1;

		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* End of file: the monitor is done and the init exec'd or died. */
			if (sp->err.code == 0 && sp->init.pid <= 0)
				ctr_error_set(&sp->err, CTR_E_SYSTEM, 0,
					      "the monitor died before starting the container");
			if (sp->err.code != 0)
				spawn_fail(sp);
			else
				spawn_succeed(sp);
			return;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
			    c->cmsg_len == CMSG_LEN(sizeof(int)))
				memcpy(&pidfd, CMSG_DATA(c), sizeof(int));
		if ((size_t)n < sizeof(h)) {
			closep(&pidfd);
			continue;
		}
		memcpy(&h, buf, sizeof(h));
		buf[n] = '\0';
		if (h.type == SYNC_PID && pidfd >= 0 && sp->init.pidfd < 0) {
			sp->init.pid = h.pid;
			sp->init.start_time = h.start_time;
			sp->init.pidfd = steal_fd(&pidfd);
		} else if (h.type == SYNC_TIMES && (size_t)n == sizeof(h) + sizeof(sp->times)) {
			/* The init's copy: the daemon's own steps are in it already. */
			struct start_times t;
			memcpy(&t, buf + sizeof(h), sizeof(t));
			for (int i = STEP_MONITOR; i <= STEP_EXEC; i++)
				sp->times.ns[i] = t.ns[i];
		} else if (h.type == SYNC_PTY && pidfd >= 0 && sp->ctr->pty_master < 0) {
			/* Kept for the run reply (container.c), which hands it to the client. */
			sp->ctr->pty_master = steal_fd(&pidfd);
		} else if (h.type == SYNC_ERROR && sp->err.code == 0) {
			/* The text already names the errno; keep the number for the reply's data. */
			int code = h.code ? h.code : h.exit_code ? CTR_E_EXEC : CTR_E_SYSTEM;
			ctr_error_set(&sp->err, code, 0, "%s", buf + sizeof(h));
			sp->err.errnum = h.errnum;
			sp->err.exit_code = h.exit_code;
		}
		closep(&pidfd);
	}
}

static void
spawn_free(struct spawn *sp)
{
	if (sp->sync_ev != NULL)
		event_free(sp->sync_ev);
	if (sp->reap_ev != NULL)
		event_free(sp->reap_ev);
	closep(&sp->sync_fd);
	proc_ref_close(&sp->init);
	ctr_error_clear(&sp->err);
	free(sp);
}

/*
 * /etc/hostname and /etc/hosts for the container, and the host's resolver
 * configuration when it shares the host's network; mounts.c binds them over
 * the image's files.
 */
static int
write_etc_files(struct container *ctr, struct ctr_error *err)
{
	char short_id[CTR_SHORT_ID_LEN + 1];
	const char *host = ctr->spec.hostname;

	memcpy(short_id, ctr->id, CTR_SHORT_ID_LEN);
	short_id[CTR_SHORT_ID_LEN] = '\0';
	if (host == NULL)
		host = short_id;
	_cleanup_free_ char *path = xasprintf("%s/hostname", ctr->dir);
	_cleanup_free_ char *hostname = xasprintf("%s\n", host);
	if (fs_write_atomic(path, hostname, strlen(hostname), 0644, err) < 0)
		return -1;
	free(path);
	path = xasprintf("%s/hosts", ctr->dir);
	_cleanup_free_ char *hosts = xasprintf("127.0.0.1\tlocalhost\n"
					       "::1\tlocalhost ip6-localhost ip6-loopback\n"
					       "127.0.1.1\t%s\n",
					       host);
	if (fs_write_atomic(path, hosts, strlen(hosts), 0644, err) < 0)
		return -1;
	if (ctr->spec.network == NET_HOST) {
		_cleanup_free_ char *resolv = NULL;
		size_t len;
		free(path);
		path = xasprintf("%s/resolv.conf", ctr->dir);
		if (fs_read_file("/etc/resolv.conf", 1 << 20, &resolv, &len) == 0 &&
		    fs_write_atomic(path, resolv, len, 0644, err) < 0)
			return -1;
	}
	return 0;
}

static void
close_procs(int (*procs)[CGROUP_MAX_HIERARCHIES + 1])
{
	for (size_t i = 0; (*procs)[i] >= 0; i++)
		close((*procs)[i]);
}

static int
spawn_start_(struct container *ctr, int *stdio, struct ctr_error *err)
{
	struct ctrd *d = ctr->d;
	_cleanup_close_ int log_fd = -1;
	int sv[2];

	if (stdio == NULL && ctr->log_path != NULL) {
		log_fd = open(ctr->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
			      0640);
		if (log_fd < 0)
			return ctr_error_sys(err, errno, "open log %s", ctr->log_path);
	}
	/* Built (or found) here, once per capability set: the init only installs it. */
	const struct sock_fprog *filter = NULL;
	if (!ctr->spec.seccomp_unconfined &&
	    (filter = seccomp_default_prog(ctr->spec.caps, err)) == NULL)
		return ctr_error_prefix(err, "start container");
	if (write_etc_files(ctr, err) < 0)
		return -1;
	if (ctr->image_rootfs != NULL) {
		static const char *const layers[] = { "upper", "work", "rootfs", "lower" };
		for (size_t i = 0; i < ARRAY_SIZE(layers); i++) {
			_cleanup_free_ char *path = xasprintf("%s/%s", ctr->data_dir, layers[i]);
			if (mkdir(path, 0755) < 0 && errno != EEXIST)
				return ctr_error_sys(err, errno, "mkdir %s", path);
			/* With --userns the layer belongs to the container's root, a host nobody. */
			if (ctr->spec.userns && i < 2 &&
			    chown(path, ctr->d->userns.uid, ctr->d->userns.gid) < 0)
				return ctr_error_sys(err, errno, "chown %s", path);
		}
	}
	/* Removed with the container (container_remove), also after a failed start. */
	_cleanup_(close_procs) int procs[CGROUP_MAX_HIERARCHIES + 1] = { -1 };
	bool fresh;
	if (cgroup_create(&d->cgroups, ctr->id, procs, &fresh, err) < 0 ||
	    cgroup_set_resources(&d->cgroups, ctr->id, &ctr->spec.res, fresh, err) < 0)
		return -1;
	/* OOM kills are counted from here: a restarted container's earlier ones are not its. */
	(void)cgroup_oom_kills(&d->cgroups, ctr->id, &ctr->oom_base);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return ctr_error_sys(err, errno, "socketpair");

	struct spawn *sp = xcalloc(1, sizeof(*sp));
	sp->ctr = ctr;
	sp->sync_fd = sv[0];
	sp->init = (struct proc_ref)PROC_REF_INIT;
	/* From the request that asked for it (the restart policy has none: from now). */
	sp->times.ns[STEP_REQUEST] = d->request_ns ? d->request_ns : time_mono_ns();
	sp->times.ns[STEP_PREPARED] = time_mono_ns();

	unsigned long flags = d->clone_flags | (ctr->spec.network == NET_HOST ? 0 : CLONE_NEWNET);
	struct zygote_job job = { .ctr = ctr,
				  .sync_fd = sv[1],
				  .stdio = stdio,
				  .log_fd = log_fd,
				  .procs = procs,
				  .clone_flags = flags,
				  .times = &sp->times };
	bool uncertain = false;
	pid_t pid = -1;
	int mon_pidfd = zygote_spawn(d, &job, &pid, &uncertain);
	if (mon_pidfd >= 0) {
		/* The zygote's child: we watch it through the pidfd, it reaps it. */
		proc_ref_adopt(&ctr->monitor, pid, mon_pidfd);
		ctr->monitor_is_child = false;
		close(sv[1]);
	} else {
		if (uncertain) {
			/*
			 * A monitor may have been made before the zygote failed; it
			 * reports into a socket nobody reads, and gives up.
			 */
			close(sv[0]);
			close(sv[1]);
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
				int e = errno;
				sp->sync_fd = -1;
				spawn_free(sp);
				return ctr_error_sys(err, e, "socketpair");
			}
			sp->sync_fd = sv[0];
		}
		pid = fork();
		if (pid < 0) {
			int e = errno;
			close(sv[1]);
			spawn_free(sp);
			return ctr_error_sys(err, e, "fork");
		}
		if (pid == 0) {
			close(sv[0]);
			spawn_monitor_main(ctr, sv[1], stdio, log_fd, procs, flags, &sp->times,
					   filter, NULL, NULL);
		}
		close(sv[1]);
		/* Nobody else can reap it, so its pid is still valid here. */
		if (proc_ref_from_child(&ctr->monitor, pid) < 0) {
			int e = errno;
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			spawn_free(sp);
			return ctr_error_sys(err, e, "pidfd_open");
		}
		ctr->monitor_is_child = true;
	}
	if (stdio != NULL)
		for (int i = 0; i < 3; i++)
			close_fd(&stdio[i]);
	sp->sync_ev = event_new(d->base, sp->sync_fd, EV_READ | EV_PERSIST, sync_cb, sp);
	if (sp->sync_ev == NULL)
		abort();
	struct timeval tv = { SPAWN_TIMEOUT_SEC, 0 };
	event_add(sp->sync_ev, &tv);
	ctr->spawn = sp;
	/*
	 * Saved now so a daemon restarted mid-start finds the monitor. A start
	 * whose state cannot be written (a full state directory) is undone, as
	 * any failed start: a restarted daemon would find no state.json and
	 * roll back, killing a container whose client was told it runs.
	 */
	if (container_save(ctr, &sp->err) < 0) {
		ctr_error_prefix(&sp->err, "start %.12s", ctr->id);
		spawn_fail(sp);
		return 0;
	}
	failpoint("run:forked");
	return 0;
}

int
spawn_start(struct container *ctr, int *stdio, struct ctr_error *err)
{
	int r = spawn_start_(ctr, stdio, err);

	/* Ours either way: after a fork they are already closed (-1). */
	for (int i = 0; stdio != NULL && i < 3; i++)
		close_fd(&stdio[i]);
	return r;
}

void
spawn_cancel(struct spawn *sp)
{
	if (sp->err.code == 0)
		ctr_error_set(&sp->err, CTR_E_STATE, 0, "start canceled");
	if (sp->reap_ev == NULL)
		spawn_fail(sp);
}

void
spawn_abort(struct spawn *sp)
{
	if (sp->init.pidfd >= 0)
		(void)proc_ref_signal(&sp->init, SIGKILL);
	(void)proc_ref_signal(&sp->ctr->monitor, SIGKILL);
	sp->ctr->spawn = NULL;
	spawn_free(sp);
}
