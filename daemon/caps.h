/* SPDX-License-Identifier: MIT */
/*
 * Capabilities of container processes (libcap). Every process ctrd starts in
 * a container, init and exec alike, gets the same set: docker's default 14
 * unless --cap-add/--cap-drop say otherwise, in the bounding, permitted and
 * effective sets; inheritable and ambient empty. A non-root user keeps the
 * bounding set and nothing else.
 */
#ifndef CTRD_CAPS_H
#define CTRD_CAPS_H

#include <jansson.h>

#include "error.h"

/* docker's default set, as a mask of 1 << CAP_*. */
uint64_t caps_default(void);
/* "CHOWN", "cap_chown", "ALL" (-2 for ALL); -1 if unknown. */
int caps_parse(const char *name);
/*
 * The default set with drop and add applied as docker does: ALL in drop
 * starts from nothing, ALL in add from everything. Unknown names fail,
 * naming the field.
 */
int caps_compute(json_t *add, json_t *drop, uint64_t *set, struct ctr_error *err);
/* "CAP_CHOWN", ... for inspect. */
json_t *caps_to_json(uint64_t set);

/* In the child, still root: removes every capability outside set from the bounding set. */
int caps_limit_bounding(uint64_t set, struct ctr_error *err);
/* After the user switch: permitted and effective = set for root, nothing else; no inheritable or
 * ambient. */
int caps_apply(uint64_t set, bool root, struct ctr_error *err);

#endif
