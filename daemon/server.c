/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <event2/event.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "log.h"
#include "methods.h"
#include "rpc.h"
#include "server.h"

#define MAX_CONNS	    1024
/* One user (not root) cannot take all of them. */
#define MAX_CONNS_PER_UID   128
/* A client that stops reading is dropped once this much output is queued for it. */
#define MAX_OUTPUT	    (64 * 1024 * 1024)
#define DRAIN_LOW_WATER	    (256 * 1024)
/* A message must arrive whole within this time once its first byte has. */
#define PARTIAL_TIMEOUT_SEC 30
/* Reads per callback, so one busy client cannot starve the others. */
#define READ_BUDGET	    16

struct conn {
	struct ctrd *d;
	int fd;
	uid_t uid;
	pid_t pid;
	struct event *read_ev;
	struct event *write_ev;
	struct event *close_ev; /* closes from the loop, never from inside a send */
	struct frame_reader *in;
	struct frame_writer *out;
	bool dead;	       /* closed: nothing more is sent or read; freed from the loop */
	bool broken;	       /* a send failed: close_ev will close it */
	bool draining;	       /* close once the output queue is empty */
	bool read_eof;	       /* the client shut down its side: close when its requests are done */
	int64_t partial_since; /* time_mono_ns() when the message now arriving began, or 0 */
	void (*drain_fn)(void *arg);
	void *drain_arg;
	LIST_HEAD(, request) requests;
	TAILQ_ENTRY(conn) entry;
};

static void conn_flush(struct conn *c);

static void
conn_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	frame_reader_free(c->in);
	frame_writer_free(c->out);
	free(c);
}

/* Lost a client: the one teardown path. */
static void
conn_close(struct conn *c)
{
	struct request *req;

	if (c->dead)
		return;
	c->dead = true;
	while ((req = LIST_FIRST(&c->requests)) != NULL) {
		if (req->cancel != NULL)
			req->cancel(req);
		request_free(req);
	}
	event_free(c->read_ev);
	event_free(c->write_ev);
	event_free(c->close_ev);
	close(c->fd);
	TAILQ_REMOVE(&c->d->conns, c, entry);
	c->d->nconns--;
	/* Callers up the stack may still hold c: free it from the loop. */
	event_base_once(c->d->base, -1, EV_TIMEOUT, conn_free_cb, c, NULL);
}

/*
 * Marks c for closing from the event loop. Send paths use this instead of
 * conn_close(), so a handler that sends never sees its connection (and the
 * requests on it) freed under its feet.
 */
static void
conn_break(struct conn *c)
{
	if (!c->broken && !c->dead) {
		c->broken = true;
		event_active(c->close_ev, EV_TIMEOUT, 0);
	}
}

static void
conn_close_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_close(arg);
}

/* Stops reading and closes once queued output is sent (or the client is gone). */
static void
conn_close_after_flush(struct conn *c)
{
	if (c->dead)
		return;
	c->draining = true;
	event_del(c->read_ev);
	if (frame_writer_pending(c->out) == 0)
		conn_break(c);
}

/* Sends line (a string of len bytes, which we free) and fds, which we close. */
static void
conn_send(struct conn *c, char *line, size_t len, const int *fds, size_t nfds)
{
	if (c->dead || c->broken) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		free(line);
		return;
	}
	frame_writer_queue_take(c->out, line, len, fds, nfds);
	conn_flush(c);
}

static void
conn_flush(struct conn *c)
{
	int r = c->dead || c->broken ? 0 : frame_writer_flush(c->out, c->fd);

	if (c->dead || c->broken)
		return;
	if (r < 0) {
		if (errno != EPIPE && errno != ECONNRESET)
			log_warn("client pid %d: send: %s", (int)c->pid, strerror(errno));
		conn_break(c);
		return;
	}
	if (r == 0) {
		if (frame_writer_pending(c->out) > MAX_OUTPUT) {
			log_warn("client pid %d: dropped: %zu bytes of replies unread", (int)c->pid,
				 frame_writer_pending(c->out));
			conn_break(c);
			return;
		}
		event_add(c->write_ev, NULL);
	} else {
		event_del(c->write_ev);
		if (c->draining) {
			conn_break(c);
			return;
		}
	}
	if (c->drain_fn != NULL && frame_writer_pending(c->out) < DRAIN_LOW_WATER) {
		void (*fn)(void *) = c->drain_fn;
		c->drain_fn = NULL;
		fn(c->drain_arg);
	}
}

static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_flush(arg);
}

void
conn_reply_fds(struct conn *c, json_t *id, json_t *result, const int *fds, size_t nfds)
{
	size_t len;

	if (id == NULL) {
		/* The request was a notification: JSON-RPC forbids a reply. */
		json_decref(result);
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return;
	}
	char *line = rpc_encode_result(id, result, &len);

	conn_send(c, line, len, fds, nfds);
}

void
conn_reply_text(struct conn *c, json_t *id, char *result, size_t result_len)
{
	size_t len;

	if (id != NULL) {
		char *line = rpc_encode_result_text(id, result, result_len, &len);
		conn_send(c, line, len, NULL, 0);
	}
	free(result);
}

void
conn_reply(struct conn *c, json_t *id, json_t *result)
{
	conn_reply_fds(c, id, result, NULL, 0);
}

void
conn_error(struct conn *c, json_t *id, const struct ctr_error *err)
{
	size_t len;

	if (id == NULL) {
		log_debug("client pid %d: notification failed: %s", (int)c->pid, err->msg);
		return;
	}
	char *line = rpc_encode_ctr_error(id, err, &len);

	conn_send(c, line, len, NULL, 0);
}

void
conn_notify(struct conn *c, const char *method, json_t *params)
{
	size_t len;
	char *line = rpc_encode_notification(method, params, &len);

	conn_send(c, line, len, NULL, 0);
}

size_t
conn_output_pending(const struct conn *c)
{
	return frame_writer_pending(c->out);
}

void
conn_on_drain(struct conn *c, void (*fn)(void *arg), void *arg)
{
	c->drain_fn = fn;
	c->drain_arg = arg;
	if (!c->dead)
		conn_flush(c);
}

uid_t
conn_uid(const struct conn *c)
{
	return c->uid;
}

struct ctrd *
conn_ctrd(const struct conn *c)
{
	return c->d;
}

struct request *
request_new(struct conn *c, json_t *id, request_cancel_fn cancel, void *data)
{
	struct request *req = xcalloc(1, sizeof(*req));

	req->conn = c;
	req->id = json_incref(id);
	req->cancel = cancel;
	req->data = data;
	LIST_INSERT_HEAD(&c->requests, req, entry);
	return req;
}

void
request_free(struct request *req)
{
	if (req == NULL)
		return;
	struct conn *c = req->conn;
	LIST_REMOVE(req, entry);
	json_decref(req->id);
	free(req);
	/* A client that half-closed after its last request is done now. */
	if (c->read_eof && LIST_EMPTY(&c->requests))
		conn_close_after_flush(c);
}

void
request_reply_fds(struct request *req, json_t *result, const int *fds, size_t nfds)
{
	conn_reply_fds(req->conn, req->id, result, fds, nfds);
	request_free(req);
}

void
request_reply(struct request *req, json_t *result)
{
	request_reply_fds(req, result, NULL, 0);
}

void
request_fail(struct request *req, const struct ctr_error *err)
{
	conn_error(req->conn, req->id, err);
	request_free(req);
}

void
request_notify(struct request *req, const char *method, json_t *params)
{
	conn_notify(req->conn, method, params);
}

/* Handles one framed message; the message's fds are ours to use or close. */
static void
conn_handle(struct conn *c, struct frame_msg *fm)
{
	struct rpc_msg msg;
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;

	if (rpc_parse(fm->data, fm->len, &msg, &err) < 0) {
		conn_error(c, msg.id ? msg.id : json_null(), &err);
		frame_msg_close_fds(fm);
		rpc_msg_clear(&msg);
		return;
	}
	if (msg.kind != RPC_REQUEST && msg.kind != RPC_NOTIFICATION) {
		/* A result or error: we never ask the client anything. */
		log_debug("client pid %d: ignored a response", (int)c->pid);
		frame_msg_close_fds(fm);
		rpc_msg_clear(&msg);
		return;
	}
	/* A notification (no id) runs like a request, but every reply to it is dropped. */
	methods_dispatch(c->d, c, msg.kind == RPC_REQUEST ? msg.id : NULL, msg.method, msg.params,
			 fm->fds, fm->nfds);
	rpc_msg_clear(&msg);
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct frame_msg fm;

	if (what & EV_TIMEOUT) {
		ctr_error_set(&err, CTR_E_LIMIT, 0, "request not completed within %d seconds",
			      PARTIAL_TIMEOUT_SEC);
		log_warn("client pid %d: %s", (int)c->pid, err.msg);
		conn_error(c, json_null(), &err);
		conn_close_after_flush(c);
		return;
	}
	for (int i = 0; i < READ_BUDGET && !c->dead && !c->broken && !c->draining; i++) {
		ssize_t n = frame_read(c->in, c->fd, &err);
		int64_t received = time_mono_ns();
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1 && (errno == ECONNRESET || errno == EPIPE)) {
			conn_close(c);
			return;
		}
		if (n == 0) {
			/*
			 * End of the client's requests, maybe not of its interest in
			 * replies (`socat` half-closes): finish what it asked for first.
			 */
			c->read_eof = true;
			event_del(c->read_ev);
			if (LIST_EMPTY(&c->requests))
				conn_close_after_flush(c);
			return;
		}
		if (n < 0) {
			if (n == -1)
				ctr_error_sys(&err, errno, "receive");
			conn_error(c, json_null(), &err);
			conn_close_after_flush(c);
			return;
		}
		int r;
		while (!c->dead && !c->broken && !c->draining &&
		       (r = frame_next(c->in, &fm, &err)) != 0) {
			if (r < 0) {
				conn_error(c, json_null(), &err);
				conn_close_after_flush(c);
				return;
			}
			c->d->request_ns = received;
			conn_handle(c, &fm);
			c->d->request_ns = 0;
		}
	}
	if (c->dead || c->broken || c->draining)
		return;
	/*
	 * A half-received message starts the clock, and the message must be whole
	 * before it runs out however the bytes trickle in; an idle connection may stay.
	 */
	if (frame_reader_pending(c->in) == 0) {
		c->partial_since = 0;
		event_add(c->read_ev, NULL);
		return;
	}
	if (c->partial_since == 0)
		c->partial_since = time_mono_ns();
	int64_t left = c->partial_since + PARTIAL_TIMEOUT_SEC * 1000000000LL - time_mono_ns();
	struct timeval tv = { left > 0 ? left / 1000000000 : 0,
			      left > 0 ? (left % 1000000000) / 1000 : 0 };
	event_add(c->read_ev, &tv);
}

/* True if the peer's groups include gid (read from /proc, as the kernel sees them now). */
static bool
peer_in_group(pid_t pid, gid_t gid)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/status", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (f == NULL)
		return false;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		char *p = line + 7, *end;
		for (;;) {
			unsigned long g = strtoul(p, &end, 10);
			if (end == p)
				break;
			if ((gid_t)g == gid)
				return true;
			p = end;
		}
	}
	return false;
}

/* Root, and members of the socket's group, may talk to ctrd. */
static bool
peer_allowed(struct ctrd *d, const struct ucred *cred)
{
	if (cred->uid == 0)
		return true;
	if (d->socket_gid == (gid_t)-1)
		return false;
	return cred->gid == d->socket_gid || peer_in_group(cred->pid, d->socket_gid);
}

/* Says why to a client we turn away, best effort, then closes it. */
static void
refuse(int fd, int code, const char *why)
{
	struct ctr_error err = CTR_ERROR_INIT;
	size_t len;

	ctr_error_set(&err, code, 0, "%s", why);
	char *line = rpc_encode_ctr_error(NULL, &err, &len);
	(void)frame_send(fd, line, len, NULL, 0);
	free(line);
	ctr_error_clear(&err);
	close(fd);
}

static void
conn_new(struct ctrd *d, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warn("accept: SO_PEERCRED: %s", strerror(errno));
		close(fd);
		return;
	}
	if (!peer_allowed(d, &cred)) {
		log_warn(
			"refused client pid %d uid %d gid %d: not root and not in the socket's group",
			(int)cred.pid, (int)cred.uid, (int)cred.gid);
		refuse(fd, CTR_E_PERMISSION,
		       d->socket_gid == (gid_t)-1
			       ? "permission denied: ctrd accepts root only (there is no group ctrd)"
			       : "permission denied: ctrd accepts root and members of group ctrd only");
		return;
	}
	if (d->nconns >= MAX_CONNS) {
		log_warn("refused client pid %d: %u connections open", (int)cred.pid, d->nconns);
		refuse(fd, CTR_E_LIMIT, "too many connections");
		return;
	}
	if (cred.uid != 0) {
		unsigned mine = 0;
		struct conn *o;
		TAILQ_FOREACH(o, &d->conns, entry)
			mine += o->uid == cred.uid;
		if (mine >= MAX_CONNS_PER_UID) {
			log_warn("refused client pid %d uid %d: %u connections of that user open",
				 (int)cred.pid, (int)cred.uid, mine);
			refuse(fd, CTR_E_LIMIT, "too many connections from this user");
			return;
		}
	}

	struct conn *c = xcalloc(1, sizeof(*c));
	c->d = d;
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->in = frame_reader_new(FRAME_MAX);
	c->out = frame_writer_new();
	LIST_INIT(&c->requests);
	c->read_ev = event_new(d->base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	c->write_ev = event_new(d->base, fd, EV_WRITE | EV_PERSIST, conn_write_cb, c);
	c->close_ev = event_new(d->base, -1, 0, conn_close_cb, c);
	if (c->read_ev == NULL || c->write_ev == NULL || c->close_ev == NULL)
		abort();
	TAILQ_INSERT_TAIL(&d->conns, c, entry);
	d->nconns++;
	event_add(c->read_ev, NULL);
	log_debug("client pid %d uid %d connected", (int)cred.pid, (int)cred.uid);
}

static void
accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctrd *d = arg;

	if (!d->stopping)
		event_add(d->listen_ev, NULL);
}

/*
 * Out of fds (EMFILE, ENFILE): accepts the next client on the spare fd kept
 * for this and turns it away with a limit error, so it learns why at once
 * instead of hanging in the backlog, and the listener does not stay readable.
 * Logged once per shortage, not once per client. -1 with errno if it cannot.
 */
static int
refuse_nofds(struct ctrd *d, int lfd, int why)
{
	if (d->spare_fd < 0)
		return errno = why, -1;
	close(d->spare_fd);
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int e = errno;
	if (fd >= 0) {
		if (!d->nofds)
			log_warn("accept: %s; refusing new clients until file descriptors are free",
				 strerror(why));
		d->nofds = true;
		d->refused_nofds++;
		refuse(fd, CTR_E_LIMIT, "too many open files in ctrd");
	}
	/* Only now, in the slot the refused client had. */
	d->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd < 0 ? (errno = e, -1) : 0;
}

static void
accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct ctrd *d = arg;

	for (int i = 0; i < 64; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			if (d->nofds) {
				log_info("accepting clients again (%u refused meanwhile)",
					 d->refused_nofds);
				d->nofds = false;
				d->refused_nofds = 0;
			}
			conn_new(d, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if ((errno == EMFILE || errno == ENFILE) && refuse_nofds(d, lfd, errno) == 0)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* No spare fd either: stop accepting for a moment instead of spinning on
			 * the listener, and say so once, not every 100 ms. */
			struct timeval tv = { 0, 100 * 1000 };
			if (!d->nofds)
				log_warn("accept: %s; pausing for 100 ms at a time",
					 strerror(errno));
			d->nofds = true;
			event_del(d->listen_ev);
			event_add(d->accept_retry_ev, &tv);
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			log_warn("accept: %s", strerror(errno));
		}
		return;
	}
}

/* A socket passed by systemd (LISTEN_FDS), or -1. */
static int
systemd_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	uint64_t p, n;

	if (pid == NULL || fds == NULL || parse_u64(pid, &p) < 0 || parse_u64(fds, &n) < 0 ||
	    (pid_t)p != getpid() || n < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	/* SD_LISTEN_FDS_START is 3; close any further ones we do not use. */
	for (uint64_t i = 1; i < n; i++)
		close(3 + (int)i);
	if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0 || fcntl(3, F_SETFL, O_NONBLOCK) < 0)
		return -1;
	return 3;
}

/* Removes a socket left by a daemon that died; refuses anything else at the path. */
static int
clear_stale_socket(const char *path, struct ctr_error *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : ctr_error_sys(err, errno, "stat %s", path);
	if (S_ISLNK(st.st_mode))
		return ctr_error_set(err, CTR_E_SYSTEM, 0,
				     "%s is a symbolic link; refusing to use it", path);
	if (!S_ISSOCK(st.st_mode))
		return ctr_error_set(err, CTR_E_SYSTEM, 0, "%s exists and is not a socket", path);

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ctr_error_sys(err, errno, "socket");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return ctr_error_set(err, CTR_E_CONFLICT, 0, "another ctrd is listening on %s",
				     path);
	if (unlink(path) < 0 && errno != ENOENT)
		return ctr_error_sys(err, errno, "remove stale socket %s", path);
	log_info("removed stale socket %s", path);
	return 0;
}

static int
bind_socket(struct ctrd *d, struct ctr_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(d->socket_path);
	struct group *gr;

	if (len >= sizeof(sa.sun_path))
		return ctr_error_set(err, CTR_E_SYSTEM, 0, "socket path %s is too long (max %zu)",
				     d->socket_path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, d->socket_path, len + 1);
	if (clear_stale_socket(d->socket_path, err) < 0)
		return -1;

	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ctr_error_sys(err, errno, "socket");
	/* Created 0600 so no one else can connect before the mode below is set. */
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return ctr_error_sys(err, errno, "bind %s", d->socket_path);
	d->own_socket = true;

	gr = getgrnam("ctrd");
	if (gr != NULL) {
		if (chown(d->socket_path, 0, gr->gr_gid) < 0 || chmod(d->socket_path, 0660) < 0)
			return ctr_error_sys(err, errno, "set owner of %s", d->socket_path);
		d->socket_gid = gr->gr_gid;
	}
	if (listen(fd, 256) < 0)
		return ctr_error_sys(err, errno, "listen %s", d->socket_path);
	d->listen_fd = steal_fd(&fd);
	return 0;
}

int
server_listen(struct ctrd *d, struct ctr_error *err)
{
	TAILQ_INIT(&d->conns);
	d->socket_gid = (gid_t)-1;
	d->listen_fd = systemd_socket();
	if (d->listen_fd >= 0) {
		struct group *gr = getgrnam("ctrd");
		if (gr != NULL)
			d->socket_gid = gr->gr_gid;
		log_info("listening on the socket passed by systemd");
	} else if (bind_socket(d, err) < 0) {
		return -1;
	} else {
		log_info("listening on %s", d->socket_path);
	}
	/* Best effort: without it, running out of fds pauses accepting instead. */
	d->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	d->listen_ev = event_new(d->base, d->listen_fd, EV_READ | EV_PERSIST, accept_cb, d);
	d->accept_retry_ev = evtimer_new(d->base, accept_retry_cb, d);
	if (d->listen_ev == NULL || d->accept_retry_ev == NULL)
		abort();
	event_add(d->listen_ev, NULL);
	return 0;
}

void
server_stop_listening(struct ctrd *d)
{
	if (d->listen_ev != NULL) {
		event_free(d->listen_ev);
		event_free(d->accept_retry_ev);
		d->listen_ev = d->accept_retry_ev = NULL;
		close_fd(&d->spare_fd);
	}
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		d->listen_fd = -1;
		if (d->own_socket)
			unlink(d->socket_path);
	}
}

void
server_close_all(struct ctrd *d)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&d->conns)) != NULL) {
		/* One last attempt to deliver what is queued; the socket is non-blocking. */
		(void)frame_writer_flush(c->out, c->fd);
		conn_close(c);
	}
}
