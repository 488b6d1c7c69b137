/* SPDX-License-Identifier: MIT */
/*
 * The event stream: create, start, exec, die, oom, stop, kill, pause,
 * unpause, restart and rm, each with its time, the container's id and name
 * and, for die, the exit code. Every subscriber (an `events` request kept
 * open) gets them as "event" notifications in the order they happened. A
 * slow subscriber only grows its own output queue, which the connection
 * limits drop; the daemon never waits for it. The last EVENTS_KEPT events
 * are kept, so a subscriber can ask for those since a time. A subscriber
 * that leaves more than EVENTS_MAX_UNREAD bytes of them unread is dropped:
 * its request ends with a limit error.
 */
#ifndef CTRD_EVENTS_H
#define CTRD_EVENTS_H

#include <jansson.h>

#include "ctrd.h"

#define EVENTS_KEPT	  1024
/* Far more than the replies ctrctl ever leaves unread on a connection. */
#define EVENTS_MAX_UNREAD (4 * 1024 * 1024)

struct container;
struct conn;

void events_init(struct ctrd *d);
void events_fini(struct ctrd *d);
/* Records an event about ctr (extra: more members, stolen; may be NULL) and sends it out. */
void events_emit(struct ctrd *d, const char *type, const struct container *ctr, json_t *extra);
/* Subscribes the connection (the `events` method); since_ns > 0 replays kept events first. */
int events_subscribe(struct conn *c, json_t *id, int64_t since_ns, struct ctr_error *err);

#endif
