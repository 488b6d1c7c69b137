/* SPDX-License-Identifier: MIT */
/*
 * ps's reply, written straight to JSON text rather than built as a jansson
 * tree (a thousand containers are tens of thousands of nodes): the container
 * objects in their short form, or, with "fields", each container as an array
 * of the named fields' values in the order asked. Rows are the compact form
 * of the short form (the same values, nulls where a member is left out): no
 * object per container for a client to decode, and only the columns it
 * shows. One set of field writers serves both.
 */
#ifndef CTRD_PSROWS_H
#define CTRD_PSROWS_H

#include <jansson.h>

#include "container.h"

/*
 * ps's result for fields (an array of names) as JSON text, {"fields": [...],
 * "rows": [[...], ...]}: one row per container ps lists (container_listed).
 * Written straight to text, not built as a jansson tree: with a thousand
 * containers that is a tenth of the work. NULL with err for a name that is
 * no field.
 */
char *psrows_build(struct ctrd *d, bool all, json_t *fields, size_t *len, struct ctr_error *err);

/*
 * ps's result without fields, {"containers": [...]}: each container object
 * in its short form, the same members as container_to_json(ctr, false)
 * gives, written straight to text.
 */
char *psrows_objects(struct ctrd *d, bool all, size_t *len);

/*
 * The container's status as docker words it, at now_ns: "Up 5 seconds",
 * "Up 2 hours (Paused)", "Exited (0) 3 minutes ago", "Exited (137) 1 second
 * ago (OOM)", "Restarting (1) 4 seconds ago", "Created".
 */
char *psrows_status(const struct container *ctr, int64_t now_ns);

#endif
