/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <event2/event.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "exec.h"
#include "log.h"
#include "monitor.h"
#include "rawsys.h"
#include "seccomp.h"
#include "spawn.h"
#include "spec.h"
#include "sync.h"
#include "zygote.h"

/*
 * A job is one SOCK_SEQPACKET message: a header, JSON (the container, and
 * for an exec the request's params), and its fds: the sync socket, our
 * stderr, then the extra fd (the log of a start, the init's pidfd for an
 * exec), stdio and the cgroup files, as the header counts them. The answer
 * is a zygote_reply, with the monitor's pidfd when one was made.
 */
#define ZYGOTE_MAX_FDS	  (3 + 3 + CGROUP_MAX_HIERARCHIES)
/*
 * Answering takes a millisecond, once the zygote is free: after the last
 * monitor's container setup (milliseconds). A zygote this late is stuck.
 */
#define ZYGOTE_TIMEOUT_MS 10000
/*
 * The zygote's exit status when a monitor was killed in its memory mid-way
 * (spawn.h): its heap may be half-updated, so a fresh copy of the daemon
 * takes its place.
 */
#define ZYGOTE_EXIT_RENEW 75

enum zygote_kind { ZYGOTE_MONITOR = 1, ZYGOTE_EXEC };

struct zygote_hdr {
	uint32_t json_len;
	uint8_t kind, has_extra, has_stdio, nprocs;
	uint64_t clone_flags;
	struct start_times times;
};

struct zygote_reply {
	int32_t errnum; /* 0: made (a monitor's pidfd attached) */
	int32_t pid;
};

static ssize_t
send_with_fds(int sock, const struct iovec *iov, int iovcnt, const int *fds, size_t nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * ZYGOTE_MAX_FDS)];
		struct cmsghdr align;
	} control = { 0 };
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };

	if (nfds > ZYGOTE_MAX_FDS)
		return errno = EINVAL, -1;
	if (nfds > 0) {
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	ssize_t n;
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Receives one message into buf (len bytes at most) and up to max fds; -1 with errno. */
static ssize_t
recv_with_fds(int sock, void *buf, size_t len, int *fds, size_t max, size_t *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * ZYGOTE_MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	*nfds = 0;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof(control.buf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < max)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		for (size_t i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		return errno = EMSGSIZE, -1;
	}
	return n;
}

/* ---------------------------------------------------------------- the zygote */

static json_t *
zygote_job_json(const struct container *ctr)
{
	return json_pack("{s:s,s:s,s:s,s:s*,s:s*,s:o}", "id", ctr->id, "dir", ctr->dir, "data_dir",
			 ctr->data_dir, "log_path", ctr->log_path, "image_rootfs",
			 ctr->image_rootfs, "spec", spec_to_json(&ctr->spec));
}

char *
zygote_job_text(const struct container *ctr)
{
	json_t *o = zygote_job_json(ctr);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return text;
}

/* The container a job describes (o is borrowed); NULL if it is not a good one. */
static struct container *
zygote_job_container_json(struct ctrd *d, json_t *o)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	const char *id = NULL, *dir = NULL, *data_dir = NULL, *log_path = NULL, *image = NULL;
	json_t *spec = NULL;
	struct container *ctr = NULL;

	if (o == NULL || json_unpack(o, "{s:s,s:s,s:s,s?s,s?s,s:o}", "id", &id, "dir", &dir,
				     "data_dir", &data_dir, "log_path", &log_path, "image_rootfs",
				     &image, "spec", &spec) < 0)
		goto out;
	ctr = xcalloc(1, sizeof(*ctr));
	if (spec_from_json(&ctr->spec, spec, &err) < 0) {
		spec_free(&ctr->spec);
		free(ctr);
		ctr = NULL;
		goto out;
	}
	ctr->d = d;
	snprintf(ctr->id, sizeof(ctr->id), "%s", id);
	ctr->dir = xstrdup(dir);
	ctr->data_dir = xstrdup(data_dir);
	ctr->log_path = log_path ? xstrdup(log_path) : NULL;
	ctr->image_rootfs = image ? xstrdup(image) : NULL;
	ctr->pty_master = -1;
	ctr->init = (struct proc_ref)PROC_REF_INIT;
	ctr->monitor = (struct proc_ref)PROC_REF_INIT;
out:
	return ctr;
}

struct container *
zygote_job_container(struct ctrd *d, const char *text, size_t len)
{
	json_t *o = json_loadb(text, len, 0, NULL);
	struct container *ctr = o ? zygote_job_container_json(d, o) : NULL;

	json_decref(o);
	return ctr;
}

void
zygote_job_container_free(struct container *ctr)
{
	if (ctr == NULL)
		return;
	spec_free(&ctr->spec);
	free(ctr->dir);
	free(ctr->data_dir);
	free(ctr->log_path);
	free(ctr->image_rootfs);
	free(ctr);
}

/* Monitors are our children: reaped as they exit (spawn_monitor_main resets this). */
static void
reap_children(int sig)
{
	int e = errno;

	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = e;
}

/*
 * fork() with SIGCHLD held back until we hold a pidfd for the child: it
 * cannot be reaped, and its pid reused, before that.
 */
static pid_t
fork_with_pidfd(int *pidfd)
{
	sigset_t chld, old;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	pid_t pid = fork();
	if (pid > 0 && (*pidfd = proc_pidfd_open(pid)) < 0) {
		int e = errno;
		kill(pid, SIGKILL);
		pid = -1;
		errno = e;
	}
	if (pid != 0)
		sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

/*
 * A monitor's start in our memory: the arguments of spawn_monitor_main(),
 * for the clone below.
 */
struct shared_monitor {
	struct container *ctr;
	int sync_fd, daemon_stderr, sock;
	int *stdio;
	int log_fd;
	const int *procs;
	unsigned long clone_flags;
	struct start_times *times;
	const struct sock_fprog *filter;
	uint32_t *stay; /* NULL, or the word of a stack of its own (clone_staying_monitor) */
	bool answered;	/* set by the monitor: it sent the daemon our answer */
	bool safe;	/* set by the monitor: past the heap (spawn.h) */
};

static void child_leave_zygote(int daemon_stderr, int sock);

static int
shared_monitor_main(void *arg)
{
	struct shared_monitor *m = arg;

	/*
	 * Our answer, sent by the monitor for us, who wait for its exec: the
	 * daemon goes on while the monitor sets up. Without a pidfd of its own
	 * it reports the failure, and we answer with ours.
	 */
	int self = proc_pidfd_open(getpid());
	if (self < 0) {
		int e = errno;
		sync_send_error(m->sync_fd, CTR_E_SYSTEM, e, 0, "monitor: pidfd_open failed");
		m->safe = true;
		_exit(1);
	}
	struct zygote_reply rep = { .errnum = 0, .pid = (int32_t)getpid() };
	struct iovec iov = { &rep, sizeof(rep) };
	m->answered = send_with_fds(m->sock, &iov, 1, &self, 1) >= 0;
	close(self);
	child_leave_zygote(m->daemon_stderr, m->sock);
	spawn_monitor_main(m->ctr, m->sync_fd, m->stdio, m->log_fd, m->procs, m->clone_flags,
			   m->times, m->filter, &m->safe, m->stay);
}

/* The monitors' stack, one at a time: kept, so its pages are faulted in once. */
#define MONITOR_STACK (1024 * 1024)
static void *monitor_stack;

/*
 * Starts a monitor that shares our memory until it executes ctrd-monitor,
 * with us suspended meanwhile (CLONE_VM | CLONE_VFORK), as the init shares
 * the monitor's until its execve. A fork would copy our page tables, and
 * every page either of us then wrote would fault and be copied (some 30 per
 * start, tens of microseconds each on a VM), and the monitor's exec would
 * tear the copy down again: together 1-2 ms of every start, and the
 * zygote's whole share of CPU in parallel starts (BENCHMARKS.md). The
 * price: the monitor and the init must leave nothing behind on the heap
 * (spawn.h), and starts are serialized here until each monitor's exec,
 * which the two CPUs of a parallel start keep busy anyway.
 */
static pid_t
clone_shared_monitor(struct shared_monitor *m, int *pidfd)
{
	void *top = proc_kept_stack(&monitor_stack, MONITOR_STACK);

	if (top == NULL)
		return -1;
	return clone(shared_monitor_main, top, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, m,
		     pidfd);
}

/*
 * The stacks of monitors that stay in our memory (monitor.h): each a mapping
 * of its own with this header at its top, listed through the headers, for a
 * start must leave our heap as it found it. The kernel clears a stack's word
 * when its monitor exits or executes ctrd-monitor (CLONE_CHILD_CLEARTID):
 * the stack is free again, and its pages, faulted in, serve the next one.
 */
struct stay_stack {
	uint32_t word; /* MONITOR_GONE, MONITOR_SETTING_UP or MONITOR_STAYING */
	struct stay_stack *next;
};
#define STAY_STACKS_SPARE 4 /* free stacks kept; more are unmapped */
static struct stay_stack *stay_stacks;

static void *
stay_stack_base(struct stay_stack *s)
{
	return (char *)(s + 1) - MONITOR_STACK;
}

static struct stay_stack *
stay_stack_take(void)
{
	struct stay_stack *found = NULL, **pp = &stay_stacks;
	int spare = 0;

	while (*pp != NULL) {
		struct stay_stack *s = *pp;
		if (__atomic_load_n(&s->word, __ATOMIC_ACQUIRE) == MONITOR_GONE) {
			if (found == NULL) {
				found = s;
			} else if (++spare > STAY_STACKS_SPARE) {
				*pp = s->next;
				(void)munmap(stay_stack_base(s), MONITOR_STACK);
				continue;
			}
		}
		pp = &s->next;
	}
	/* Maps a new stack, or readies a free one (for ASan). */
	void *base = found != NULL ? stay_stack_base(found) : NULL;
	char *top = proc_kept_stack(&base, MONITOR_STACK);
	if (top == NULL)
		return NULL;
	if (found == NULL) {
		found = (struct stay_stack *)top - 1;
		found->next = stay_stacks;
		stay_stacks = found;
	}
	found->word = MONITOR_SETTING_UP;
	return found;
}

/*
 * Starts the monitor of an attached container, which may stay in our
 * memory once the container runs (monitor_stay()): as clone_shared_monitor(),
 * but on a stack of its own, and rather than suspended until an exec we
 * wait on the stack's word, which the monitor sets when it stays and the
 * kernel clears if it exits or executes ctrd-monitor instead. Until then it
 * runs the C library in our memory, with our thread pointer: we wait with a
 * raw system call and SIGCHLD held back, so that nothing of ours, not even
 * errno, changes under it.
 */
static pid_t
clone_staying_monitor(struct shared_monitor *m, int *pidfd)
{
	struct stay_stack *s = stay_stack_take();
	sigset_t chld, old;

	if (s == NULL)
		return -1;
	m->stay = &s->word;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	pid_t pid = clone(shared_monitor_main, s,
			  CLONE_VM | CLONE_PIDFD | CLONE_CHILD_CLEARTID | SIGCHLD, m, pidfd, NULL,
			  &s->word);
	if (pid < 0) {
		s->word = MONITOR_GONE;
	} else {
		while (__atomic_load_n(&s->word, __ATOMIC_ACQUIRE) == MONITOR_SETTING_UP)
			(void)RAW_SYSCALL(SYS_futex, &s->word, FUTEX_WAIT, MONITOR_SETTING_UP, NULL,
					  0, 0);
	}
	int e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return pid;
}

/*
 * In a child the zygote just made: the daemon's stderr of now (SIGHUP may
 * have reopened it since we started) becomes ours, and the zygote's socket
 * is not the child's to hold.
 */
static void
child_leave_zygote(int daemon_stderr, int sock)
{
	if (dup2(daemon_stderr, STDERR_FILENO) < 0)
		_exit(1);
	close(sock);
}

/* One exec job: the helper's arguments (exec.c). */
struct exec_job {
	struct container *ctr;
	json_t *params;
	int sync_fd, daemon_stderr, sock;
	int *stdio;
	size_t nstdio;
	const int *procs;
	const struct sock_fprog *filter;
	bool answered; /* set by the helper in our memory: it sent the daemon our answer */
	bool safe;     /* set by it too: past the heap, which it left as it found it */
};

/* The exec helper of one job, a child of the daemon's; its exit code. */
static int
run_exec_helper(struct exec_job *j, bool *heap_whole)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct exec_args x;
	int code = 1;

	if (exec_args_from(&x, j->ctr, j->params, j->nstdio, &err) < 0) {
		sync_send_error(j->sync_fd, err.code ? err.code : CTR_E_SYSTEM, err.errnum, 0,
				err.msg ? err.msg : "exec: bad job");
	} else {
		x.seccomp = j->filter;
		for (size_t i = 0; i < j->nstdio; i++)
			x.stdio[i] = j->stdio[i];
		size_t n = 0;
		for (; j->procs[n] >= 0; n++)
			x.procs[n] = j->procs[n];
		x.procs[n] = -1;
		code = exec_helper_run(&x, j->sync_fd, heap_whole);
	}
	/* Its fds are the job's, which the zygote closes; the rest is on our heap. */
	x.procs[0] = -1;
	exec_args_clear(&x);
	return code;
}

static int
shared_exec_main(void *arg)
{
	struct exec_job *j = arg;
	bool heap_whole = true;

	/* Our answer, sent for us, who wait until the helper is done, as a monitor does. */
	struct zygote_reply rep = { .errnum = 0, .pid = (int32_t)getpid() };
	struct iovec iov = { &rep, sizeof(rep) };
	j->answered = send_with_fds(j->sock, &iov, 1, NULL, 0) >= 0;
	child_leave_zygote(j->daemon_stderr, j->sock);
	int code = run_exec_helper(j, &heap_whole);
	j->safe = heap_whole;
	_exit(code);
}

/*
 * Starts an exec helper as the daemon's child (CLONE_PARENT, as the process
 * it clones will be: the daemon reaps them). Where it can, in our memory,
 * with us suspended until it is done (CLONE_VM | CLONE_VFORK), as a monitor
 * starts: no page tables copied, none torn down, nothing copied on write
 * (`exec` 0.9x the time). Not into a user namespace, which a process sharing
 * its memory cannot join (setns() refuses): that helper is a fork.
 */
static pid_t
start_exec_helper(struct exec_job *j, bool *answered, bool *renew)
{
	if (!j->ctr->spec.userns) {
		void *top = proc_kept_stack(&monitor_stack, MONITOR_STACK);
		if (top == NULL)
			return -1;
		pid_t pid = clone(shared_exec_main, top,
				  CLONE_VM | CLONE_VFORK | CLONE_PARENT | SIGCHLD, j);
		/* It made our memory not dumpable for the process's sake (exec.c): undone. */
		(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		*answered = pid > 0 && j->answered;
		*renew = pid > 0 && !j->safe;
		return pid;
	}
	pid_t pid = proc_clone(CLONE_PARENT);
	if (pid == 0) {
		child_leave_zygote(j->daemon_stderr, j->sock);
		_exit(run_exec_helper(j, NULL));
	}
	return pid;
}

/* Makes what one job asks for; the errno to answer with (0: made; a monitor's pidfd in *pidfd). */
static int
zygote_fork(struct ctrd *d, int sock, int *pidfd, pid_t *pid, bool *answered, bool *renew)
{
	struct zygote_hdr h;
	int fds[ZYGOTE_MAX_FDS];
	size_t nfds = 0;
	_cleanup_free_ char *buf = NULL;
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct container *ctr = NULL;
	json_t *o = NULL;
	int r = EINVAL;
	bool started = false;

	/* Its size first: a job is as long as its container's spec. */
	ssize_t len = recv(sock, NULL, 0, MSG_PEEK | MSG_TRUNC);
	if (len <= 0)
		return -1; /* the daemon is gone (recv restarts after our SIGCHLD) */
	buf = xmalloc((size_t)len + 1);
	ssize_t n = recv_with_fds(sock, buf, (size_t)len, fds, ARRAY_SIZE(fds), &nfds);
	if (n < 0)
		return errno ? errno : EIO;
	if ((size_t)n < sizeof(h))
		goto out;
	memcpy(&h, buf, sizeof(h));
	size_t want = 2 + (h.has_extra ? 1 : 0) + (h.has_stdio ? 3 : 0) + h.nprocs;
	if ((size_t)n != sizeof(h) + h.json_len || nfds != want ||
	    h.nprocs > CGROUP_MAX_HIERARCHIES || (h.kind == ZYGOTE_EXEC && !h.has_extra))
		goto out;
	o = json_loadb(buf + sizeof(h), h.json_len, 0, NULL);
	ctr = o ? zygote_job_container_json(d, o) : NULL;
	if (ctr == NULL)
		goto out;
	size_t k = 2;
	int extra = h.has_extra ? fds[k++] : -1;
	int *stdio = h.has_stdio ? &fds[k] : NULL;
	k += h.has_stdio ? 3 : 0;
	int procs[CGROUP_MAX_HIERARCHIES + 1];
	for (size_t i = 0; i < h.nprocs; i++)
		procs[i] = fds[k + i];
	procs[h.nprocs] = -1;

	if (h.kind == ZYGOTE_EXEC) {
		json_t *params = json_object_get(o, "params");
		json_int_t init_pid = json_integer_value(json_object_get(o, "init_pid"));
		if (!json_is_object(params) || init_pid <= 0)
			goto out;
		ctr->init.pid = (pid_t)init_pid;
		ctr->init.pidfd = extra;
		struct exec_job j = {
			.ctr = ctr,
			.params = params,
			.sync_fd = fds[0],
			.daemon_stderr = fds[1],
			.sock = sock,
			.stdio = stdio,
			.nstdio = stdio ? 3 : 0,
			.procs = procs,
		};
		/* Built (or found) here, once, in our own heap: the process only installs it. */
		if (!ctr->spec.seccomp_unconfined &&
		    (j.filter = seccomp_default_prog(ctr->spec.caps, &err)) == NULL)
			*pid = -1, errno = err.errnum ? err.errnum : EINVAL;
		else
			*pid = start_exec_helper(&j, answered, renew);
		ctr->init.pidfd = -1; /* closed with the job's fds */
		if (*pid < 0) {
			r = errno;
			goto out;
		}
		r = 0;
		started = true;
		goto out;
	}
	if (h.kind != ZYGOTE_MONITOR)
		goto out;
	const struct sock_fprog *filter = NULL;
	if (!ctr->spec.seccomp_unconfined &&
	    (filter = seccomp_default_prog(ctr->spec.caps, &err)) == NULL) {
		r = err.errnum ? err.errnum : EINVAL;
		goto out;
	}
	if (d->monitor_path != NULL) {
		/* Only a monitor that executes ctrd-monitor gives us our memory back. */
		struct shared_monitor m = {
			.ctr = ctr,
			.sync_fd = fds[0],
			.daemon_stderr = fds[1],
			.sock = sock,
			.stdio = stdio,
			.log_fd = extra,
			.procs = procs,
			.clone_flags = (unsigned long)h.clone_flags,
			.times = &h.times,
			.filter = filter,
		};
		/* Attached, it has no output to relay: it may stay (monitor.h). */
		bool stay = RAWSYS_NATIVE && !ctr->spec.detach;
		*pid = stay ? clone_staying_monitor(&m, pidfd) : clone_shared_monitor(&m, pidfd);
		*answered = *pid > 0 && m.answered;
		*renew = *pid > 0 && !m.safe;
	} else {
		*pid = fork_with_pidfd(pidfd);
		if (*pid == 0) {
			child_leave_zygote(fds[1], sock);
			spawn_monitor_main(ctr, fds[0], stdio, extra, procs,
					   (unsigned long)h.clone_flags, &h.times, filter, NULL,
					   NULL);
		}
	}
	if (*pid < 0) {
		r = errno;
		goto out;
	}
	r = 0;
	started = true;
out:
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	zygote_job_container_free(ctr);
	json_decref(o);
	if (started && log_enabled(LOG_LEVEL_DEBUG)) {
		/* Tests check this stays put: nothing a monitor did may stay in our heap. */
		free(buf);
		buf = NULL;
		struct mallinfo2 mi = mallinfo2();
		log_debug("zygote: %zu bytes of heap in use after a start", mi.uordblks);
	}
	return r;
}

static _noreturn_ void
zygote_main(struct ctrd *d, int sock, pid_t daemon_pid)
{
	(void)prctl(PR_SET_NAME, "ctrd-zygote", 0, 0, 0);
	/* Nothing but forks for the daemon: it must not outlive it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != daemon_pid)
		_exit(0);
	proc_reset_signals();
	struct sigaction sa = { .sa_handler = reap_children,
				.sa_flags = SA_RESTART | SA_NOCLDSTOP };
	(void)sigaction(SIGCHLD, &sa, NULL);
	int keep[] = { sock };
	if (proc_close_fds_except(keep, ARRAY_SIZE(keep)) < 0)
		_exit(1);
	for (;;) {
		int pidfd = -1;
		pid_t pid = 0;
		bool answered = false, renew = false;
		int r = zygote_fork(d, sock, &pidfd, &pid, &answered, &renew);
		if (r < 0)
			_exit(0); /* the daemon is gone */
		ssize_t n = 0;
		if (!answered) {
			struct zygote_reply rep = { .errnum = r, .pid = (int32_t)pid };
			struct iovec iov = { &rep, sizeof(rep) };
			n = send_with_fds(sock, &iov, 1, &pidfd, pidfd >= 0 ? 1 : 0);
		}
		if (pidfd >= 0)
			close(pidfd);
		if (n < 0)
			_exit(0);
		if (renew) {
			log_warn("zygote: a monitor or exec helper was killed mid-start in its "
				 "memory; a new zygote takes over");
			_exit(ZYGOTE_EXIT_RENEW);
		}
	}
}

/* ---------------------------------------------------------------- the daemon */

void
zygote_start(struct ctrd *d)
{
	int sv[2];

	d->zygote_fd = -1;
	d->zygote = (struct proc_ref)PROC_REF_INIT;
	d->zygote_ev = NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("zygote: socketpair: %s; monitors will be forks of the daemon",
			 strerror(errno));
		return;
	}
	pid_t self = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		log_warn("zygote: fork: %s; monitors will be forks of the daemon", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		close(sv[0]);
		zygote_main(d, sv[1], self);
	}
	close(sv[1]);
	if (proc_ref_from_child(&d->zygote, pid) < 0) {
		log_warn("zygote: pidfd_open: %s; monitors will be forks of the daemon",
			 strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(sv[0]);
		return;
	}
	d->zygote_fd = sv[0];
}

void
zygote_stop(struct ctrd *d)
{
	if (d->zygote_ev != NULL) {
		event_free(d->zygote_ev);
		d->zygote_ev = NULL;
	}
	if (d->zygote.pidfd < 0)
		return;
	/* End of file tells it to go; it holds nothing worth waiting for. */
	close_fd(&d->zygote_fd);
	(void)proc_ref_signal(&d->zygote, SIGKILL);
	siginfo_t si;
	(void)waitid((idtype_t)P_PIDFD, (id_t)d->zygote.pidfd, &si, WEXITED);
	proc_ref_close(&d->zygote);
}

/* The zygote failed us: from now on the daemon forks monitors itself. */
static void
zygote_lost(struct ctrd *d, const char *what)
{
	log_warn("zygote: %s; monitors will be forks of the daemon from now on", what);
	zygote_stop(d);
}

static void
zygote_exited_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctrd *d = arg;
	siginfo_t si = { 0 };

	if (waitid((idtype_t)P_PIDFD, (id_t)d->zygote.pidfd, &si, WEXITED | WNOWAIT) == 0 &&
	    si.si_code == CLD_EXITED && si.si_status == ZYGOTE_EXIT_RENEW) {
		zygote_stop(d);
		zygote_start(d);
		zygote_watch(d);
		log_info("zygote: a new one runs as pid %d", (int)d->zygote.pid);
		return;
	}
	zygote_lost(d, "it exited");
}

void
zygote_watch(struct ctrd *d)
{
	if (d->zygote.pidfd < 0)
		return;
	d->zygote_ev = event_new(d->base, d->zygote.pidfd, EV_READ, zygote_exited_cb, d);
	if (d->zygote_ev == NULL)
		abort();
	event_add(d->zygote_ev, NULL);
}

/*
 * Sends one job (o: taken) and waits for the answer: 0 with *pid (and a
 * monitor's pidfd in *pidfd), or -1 with errno as zygote_spawn().
 */
static int
zygote_call(struct ctrd *d, struct zygote_hdr *h, json_t *o, int sync_fd, int extra,
	    const int *stdio, const int *procs, pid_t *pid, int *pidfd, bool *uncertain)
{
	_cleanup_free_ char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	*uncertain = false;
	if (d->zygote_fd < 0)
		return errno = ENOSYS, -1;
	if (text == NULL)
		return errno = ENOMEM, -1;
	int fds[ZYGOTE_MAX_FDS];
	size_t nfds = 0;
	h->json_len = (uint32_t)strlen(text);
	h->has_extra = extra >= 0;
	h->has_stdio = stdio != NULL;
	h->nprocs = 0;
	fds[nfds++] = sync_fd;
	fds[nfds++] = STDERR_FILENO;
	if (extra >= 0)
		fds[nfds++] = extra;
	for (size_t i = 0; stdio != NULL && i < 3; i++)
		fds[nfds++] = stdio[i];
	for (size_t i = 0; procs[i] >= 0 && nfds < ARRAY_SIZE(fds); i++, h->nprocs++)
		fds[nfds++] = procs[i];
	struct iovec iov[2] = { { h, sizeof(*h) }, { text, h->json_len } };
	if (send_with_fds(d->zygote_fd, iov, 2, fds, nfds) < 0) {
		/* Not taken (too big for one message, or no zygote any more): nothing was made. */
		int e = errno;
		if (e != EMSGSIZE && e != ENOBUFS)
			zygote_lost(d, strerror(e));
		return errno = e, -1;
	}

	/* Bounded: the zygote decodes and forks, and never touches a container's files. */
	struct pollfd p = { .fd = d->zygote_fd, .events = POLLIN };
	int r;
	do
		r = poll(&p, 1, ZYGOTE_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	struct zygote_reply rep;
	int fd = -1;
	size_t got = 0;
	size_t want = h->kind == ZYGOTE_MONITOR ? 1 : 0;
	ssize_t n = r > 0 ? recv_with_fds(d->zygote_fd, &rep, sizeof(rep), &fd, 1, &got) : -1;
	if (n != (ssize_t)sizeof(rep) || (rep.errnum == 0 && (got != want || rep.pid <= 0))) {
		int e = r == 0 ? ETIMEDOUT : n >= 0 ? EPROTO : errno;
		if (got == 1)
			close(fd);
		*uncertain = true;
		zygote_lost(d, r == 0 ? "no answer in time" : "no answer");
		return errno = e, -1;
	}
	if (rep.errnum != 0) {
		if (got == 1)
			close(fd);
		return errno = rep.errnum, -1;
	}
	*pid = rep.pid;
	*pidfd = fd;
	return 0;
}

int
zygote_spawn(struct ctrd *d, const struct zygote_job *job, pid_t *pid, bool *uncertain)
{
	struct zygote_hdr h = { .kind = ZYGOTE_MONITOR,
				.clone_flags = job->clone_flags,
				.times = *job->times };
	int pidfd = -1;

	if (zygote_call(d, &h, zygote_job_json(job->ctr), job->sync_fd, job->log_fd, job->stdio,
			job->procs, pid, &pidfd, uncertain) < 0)
		return -1;
	return pidfd;
}

int
zygote_spawn_exec(struct ctrd *d, struct container *ctr, json_t *params, int sync_fd,
		  const int *stdio, const int *procs, pid_t *pid, bool *uncertain)
{
	struct zygote_hdr h = { .kind = ZYGOTE_EXEC };
	json_t *o = zygote_job_json(ctr);
	int pidfd = -1;

	if (o != NULL) {
		json_object_set(o, "params", params);
		json_object_set_new(o, "init_pid", json_integer(ctr->init.pid));
	}
	return zygote_call(d, &h, o, sync_fd, ctr->init.pidfd, stdio, procs, pid, &pidfd,
			   uncertain);
}
