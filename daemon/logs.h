/* SPDX-License-Identifier: MIT */
/*
 * The `logs` method: streams a container's log file to a client as "log"
 * notifications, at the pace the client reads, and with `follow` keeps
 * streaming (woken by inotify) until the container exits.
 */
#ifndef CTRD_LOGS_H
#define CTRD_LOGS_H

#include <jansson.h>

#include "container.h"

struct conn;

int logs_init(struct ctrd *d, struct ctr_error *err);
void logs_shutdown(struct ctrd *d);
/* Starts streaming for a validated `logs` request; -1 with err when it cannot. */
int logs_start(struct conn *c, json_t *id, struct container *ctr, json_t *params,
	       struct ctr_error *err);
/* The container exited: followers send what is left and finish. */
void logs_container_exited(struct container *ctr);
/* The container is going away: its streams finish now. */
void logs_container_removed(struct container *ctr);

#endif
