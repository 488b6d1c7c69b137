/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "arena.h"
#include "rpcclient.h"

int
rpc_connect(struct rpc_client *cl, const char *path, struct ctr_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);

	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	cl->next_id = 1;
	if (len >= sizeof(sa.sun_path))
		return ctr_error_set(err, CTR_E_SYSTEM, 0, "socket path %s is too long", path);
	memcpy(sa.sun_path, path, len + 1);
	cl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cl->fd < 0)
		return ctr_error_sys(err, errno, "socket");
	if (connect(cl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close_fd(&cl->fd);
		ctr_error_set(err, CTR_E_SYSTEM, 0, "cannot connect to ctrd at %s: %s%s", path,
			      strerror(e),
			      e == ENOENT || e == ECONNREFUSED ? " (is ctrd running?)" : "");
		err->errnum = e;
		return -1;
	}
	cl->in = frame_reader_new(FRAME_MAX);
	return 0;
}

void
rpc_close(struct rpc_client *cl)
{
	close_fd(&cl->fd);
	frame_reader_free(cl->in);
	cl->in = NULL;
}

json_int_t
rpc_send(struct rpc_client *cl, const char *method, json_t *params, const int *fds, size_t nfds,
	 struct ctr_error *err)
{
	json_int_t id = cl->next_id++;
	size_t len;
	_cleanup_free_ char *line = rpc_encode_request(id, method, params, &len);

	if (len > FRAME_MAX)
		return ctr_error_set(err, CTR_E_LIMIT, 0, "request larger than %d bytes",
				     FRAME_MAX);
	if (frame_send(cl->fd, line, len, fds, nfds) < 0) {
		int e = errno;
		/* The daemon may have said why it closed on us (permission, limits): show that. */
		struct rpc_in in;
		_cleanup_error_ struct ctr_error ignored = CTR_ERROR_INIT;
		if ((e == EPIPE || e == ECONNRESET) && rpc_recv(cl, &in, &ignored) == 1) {
			bool said = in.msg.kind == RPC_ERROR;
			if (said)
				rpc_error_from_msg(&in.msg, err);
			rpc_in_clear(&in);
			if (said)
				return -1;
		}
		return ctr_error_sys(err, e, "send to ctrd");
	}
	return id;
}

void
rpc_in_clear(struct rpc_in *in)
{
	for (size_t i = 0; i < in->nfds; i++)
		closep(&in->fds[i]);
	in->nfds = 0;
	rpc_msg_clear(&in->msg);
}

int
rpc_next(struct rpc_client *cl, struct rpc_in *in, struct ctr_error *err)
{
	struct frame_msg fm;
	int r = frame_next(cl->in, &fm, err);

	memset(in, 0, sizeof(*in));
	if (r <= 0)
		return r;
	memcpy(in->fds, fm.fds, sizeof(int) * fm.nfds);
	in->nfds = fm.nfds;
	arena_begin(fm.len);
	r = rpc_parse(fm.data, fm.len, &in->msg, err);
	arena_end();
	if (r < 0) {
		rpc_in_clear(in);
		return ctr_error_prefix(err, "bad message from ctrd");
	}
	return 1;
}

int
rpc_fill(struct rpc_client *cl, struct ctr_error *err)
{
	ssize_t n = frame_read(cl->in, cl->fd, err);

	if (n == -1)
		return ctr_error_sys(err, errno, "receive from ctrd");
	return n < 0 ? -1 : (int)n;
}

int
rpc_recv(struct rpc_client *cl, struct rpc_in *in, struct ctr_error *err)
{
	for (;;) {
		int r = rpc_next(cl, in, err);
		if (r != 0)
			return r;
		r = rpc_fill(cl, err);
		if (r <= 0)
			return r;
	}
}

void
rpc_error_from_msg(const struct rpc_msg *msg, struct ctr_error *err)
{
	json_t *ec = json_object_get(msg->data, "exit_code");
	json_t *en = json_object_get(msg->data, "errno");

	ctr_error_set(err, msg->code, 0, "%s", msg->message);
	err->exit_code = json_is_integer(ec) ? (int)json_integer_value(ec) : 0;
	err->errnum = json_is_integer(en) ? (int)json_integer_value(en) : 0;
}

json_t *
rpc_call(struct rpc_client *cl, const char *method, json_t *params, rpc_notify_fn fn, void *arg,
	 struct ctr_error *err)
{
	json_int_t id = rpc_send(cl, method, params, NULL, 0, err);

	if (id < 0)
		return NULL;
	for (;;) {
		struct rpc_in in;
		int r = rpc_recv(cl, &in, err);
		if (r < 0)
			return NULL;
		if (r == 0)
			return ctr_error_set(err, CTR_E_SYSTEM, 0, "ctrd closed the connection"),
			       NULL;
		if (in.msg.kind == RPC_NOTIFICATION) {
			if (fn != NULL)
				fn(&in, arg);
			rpc_in_clear(&in);
			continue;
		}
		bool mine = json_is_integer(in.msg.id) && json_integer_value(in.msg.id) == id;
		if (in.msg.kind == RPC_ERROR && (mine || json_is_null(in.msg.id))) {
			rpc_error_from_msg(&in.msg, err);
			rpc_in_clear(&in);
			return NULL;
		}
		if (in.msg.kind == RPC_RESULT && mine) {
			json_t *result = json_incref(in.msg.result);
			rpc_in_clear(&in);
			return result;
		}
		rpc_in_clear(&in);
	}
}
