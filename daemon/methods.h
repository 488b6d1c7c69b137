/* SPDX-License-Identifier: MIT */
/* The JSON-RPC methods of ctrd (proto/PROTOCOL.md). */
#ifndef CTRD_METHODS_H
#define CTRD_METHODS_H

#include <jansson.h>

#include "ctrd.h"

/*
 * Validates params against the method's schema and runs its handler, which
 * replies now or later; any error is replied here. fds are the request's:
 * whatever the handler does not take is closed.
 */
void methods_dispatch(struct ctrd *d, struct conn *c, json_t *id, const char *method,
		      json_t *params, int *fds, size_t nfds);

#endif
