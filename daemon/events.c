/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include "container.h"
#include "events.h"
#include "log.h"
#include "server.h"

struct subscriber {
	struct request *req;
	LIST_ENTRY(subscriber) entry;
};

struct events {
	json_t *kept[EVENTS_KEPT]; /* a ring: the oldest at next once it is full */
	size_t next, count;
	LIST_HEAD(, subscriber) subscribers;
};

void
events_init(struct ctrd *d)
{
	d->events = xcalloc(1, sizeof(*d->events));
	LIST_INIT(&d->events->subscribers);
}

void
events_fini(struct ctrd *d)
{
	if (d->events == NULL)
		return;
	for (size_t i = 0; i < EVENTS_KEPT; i++)
		json_decref(d->events->kept[i]);
	free(d->events);
	d->events = NULL;
}

static void
unsubscribe(struct request *req)
{
	struct subscriber *s = req->data;

	LIST_REMOVE(s, entry);
	free(s);
}

/*
 * Queues ev for s. A subscriber that has stopped reading is dropped once
 * more than EVENTS_MAX_UNREAD bytes wait on its connection: without a limit
 * of its own, each stuck subscriber kept a copy of every event until the
 * connection's 64 MiB limit. Its request then ends with a limit error, sent
 * after the events already queued, so a client that reads again knows it
 * missed the rest; the connection stays. True if s is gone (freed).
 */
static bool
send_event(struct subscriber *s, json_t *ev)
{
	struct request *req = s->req;
	json_t *params = json_deep_copy(ev);

	if (req->id != NULL)
		json_object_set(params, "request", req->id);
	request_notify(req, "event", params);
	size_t unread = conn_output_pending(req->conn);
	if (unread <= EVENTS_MAX_UNREAD)
		return false;
	struct ctr_error err = CTR_ERROR_INIT;
	ctr_error_set(&err, CTR_E_LIMIT, 0,
		      "events: more than %d bytes of events unread; subscription dropped",
		      EVENTS_MAX_UNREAD);
	log_warn("events subscriber dropped: %zu bytes of events unread", unread);
	req->cancel = NULL;
	unsubscribe(req);
	request_fail(req, &err);
	ctr_error_clear(&err);
	return true;
}

void
events_emit(struct ctrd *d, const char *type, const struct container *ctr, json_t *extra)
{
	struct events *ev = d->events;
	_cleanup_free_ char *now = time_format_rfc3339(time_now_ns());
	json_t *e = json_pack("{s:s,s:s,s:s,s:s}", "time", now, "type", type, "id", ctr->id, "name",
			      ctr->name);
	struct subscriber *s, *next;

	if (extra != NULL) {
		json_object_update(e, extra);
		json_decref(extra);
	}
	for (s = LIST_FIRST(&ev->subscribers); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		send_event(s, e);
	}
	json_decref(ev->kept[ev->next]);
	ev->kept[ev->next] = e;
	ev->next = (ev->next + 1) % EVENTS_KEPT;
	if (ev->count < EVENTS_KEPT)
		ev->count++;
}

int
events_subscribe(struct conn *c, json_t *id, int64_t since_ns, struct ctr_error *err)
{
	struct ctrd *d = conn_ctrd(c);
	struct subscriber *s = xcalloc(1, sizeof(*s));

	/*
	 * The reply says the subscription is live (a client can act on that);
	 * the events follow as notifications naming this request, until the
	 * client goes away.
	 */
	conn_reply(c, id, json_object());
	s->req = request_new(c, id, unsubscribe, s);
	/* In the list first: send_event() may drop it (unsubscribe) already. */
	LIST_INSERT_HEAD(&d->events->subscribers, s, entry);
	/* Kept events first, oldest first, then everything that happens from now on. */
	if (since_ns > 0) {
		size_t first = (d->events->next + EVENTS_KEPT - d->events->count) % EVENTS_KEPT;
		for (size_t k = 0; k < d->events->count; k++) {
			json_t *e = d->events->kept[(first + k) % EVENTS_KEPT];
			int64_t t;
			if (time_parse_rfc3339(json_string_value(json_object_get(e, "time")), &t) ==
				    0 &&
			    t >= since_ns && send_event(s, e))
				break;
		}
	}
	return 0;
}
