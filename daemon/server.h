/* SPDX-License-Identifier: MIT */
/*
 * The API socket: the listener, one struct conn per client, and requests
 * whose reply comes later (run, wait, stop, logs --follow).
 *
 * A connection has exactly one teardown path, conn_close(). It cancels the
 * connection's pending requests first, so nothing that outlives the
 * connection (a container's waiter list, a spawn in progress) keeps a pointer
 * to it: each owner of a request gets its cancel callback and unlinks it.
 */
#ifndef CTRD_SERVER_H
#define CTRD_SERVER_H

#include <jansson.h>
#include <sys/queue.h>

#include "ctrd.h"
#include "frame.h"

struct request;
typedef void (*request_cancel_fn)(struct request *req);

/* A request that is answered after its handler returned. */
struct request {
	struct conn *conn;
	json_t *id;		  /* owned reference */
	request_cancel_fn cancel; /* the connection is going away: forget req, do not reply */
	void *data;		  /* the owner's */
	LIST_ENTRY(request) entry;
};

/* Creates the listening socket (or takes the one systemd passed) and starts accepting. */
int server_listen(struct ctrd *d, struct ctr_error *err);
/* Stops accepting and removes the socket file if we created it. */
void server_stop_listening(struct ctrd *d);
/* Closes every connection (at exit). */
void server_close_all(struct ctrd *d);

/*
 * Immediate replies, for handlers. fds (nfds of them) go with the message and
 * are closed here. A NULL id means the request was a notification: nothing is sent.
 */
void conn_reply(struct conn *c, json_t *id, json_t *result);
/* A result that is JSON text already (psrows.c); takes result. */
void conn_reply_text(struct conn *c, json_t *id, char *result, size_t result_len);
void conn_reply_fds(struct conn *c, json_t *id, json_t *result, const int *fds, size_t nfds);
void conn_error(struct conn *c, json_t *id, const struct ctr_error *err);
void conn_notify(struct conn *c, const char *method, json_t *params);
/* Bytes queued for the client and not yet sent. */
size_t conn_output_pending(const struct conn *c);
/* Calls fn(arg) once the output queue has drained below low-water (for streaming). */
void conn_on_drain(struct conn *c, void (*fn)(void *arg), void *arg);
uid_t conn_uid(const struct conn *c);
struct ctrd *conn_ctrd(const struct conn *c);

/* Deferred replies. Each ends with request_reply, request_fail or request_free. */
struct request *request_new(struct conn *c, json_t *id, request_cancel_fn cancel, void *data);
void request_reply(struct request *req, json_t *result);
void request_reply_fds(struct request *req, json_t *result, const int *fds, size_t nfds);
void request_fail(struct request *req, const struct ctr_error *err);
void request_notify(struct request *req, const char *method, json_t *params);
void request_free(struct request *req);

#endif
