/* SPDX-License-Identifier: MIT */
/* The client end of the API socket: connect, send requests, read replies and notifications. */
#ifndef CTRCTL_RPCCLIENT_H
#define CTRCTL_RPCCLIENT_H

#include "frame.h"
#include "rpc.h"

struct rpc_client {
	int fd;
	struct frame_reader *in;
	json_int_t next_id;
};

/* A received message and the fds that came with it (owned by the caller). */
struct rpc_in {
	struct rpc_msg msg;
	int fds[FRAME_MAX_FDS];
	size_t nfds;
};

int rpc_connect(struct rpc_client *cl, const char *path, struct ctr_error *err);
void rpc_close(struct rpc_client *cl);
/* Sends a request; returns its id, or -1 with err. */
json_int_t rpc_send(struct rpc_client *cl, const char *method, json_t *params, const int *fds,
		    size_t nfds, struct ctr_error *err);
/* Blocks until a message arrives: 1 with in filled, 0 at end of stream, -1 with err. */
int rpc_recv(struct rpc_client *cl, struct rpc_in *in, struct ctr_error *err);
/* Takes a message already buffered: 1, or 0 if none is. */
int rpc_next(struct rpc_client *cl, struct rpc_in *in, struct ctr_error *err);
/* One read from the socket (which poll() said is readable): >0, 0 at EOF, -1 with err. */
int rpc_fill(struct rpc_client *cl, struct ctr_error *err);
void rpc_in_clear(struct rpc_in *in);

/* The error of an error reply, as a ctr_error (code, message, data.exit_code). */
void rpc_error_from_msg(const struct rpc_msg *msg, struct ctr_error *err);

typedef void (*rpc_notify_fn)(struct rpc_in *in, void *arg);
/*
 * Sends a request and waits for its reply; notifications meanwhile go to fn.
 * Returns the result (a new reference) or NULL with err.
 */
json_t *rpc_call(struct rpc_client *cl, const char *method, json_t *params, rpc_notify_fn fn,
		 void *arg, struct ctr_error *err);

#endif
