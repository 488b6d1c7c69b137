/* SPDX-License-Identifier: MIT */
/*
 * Per-method parameter schemas and their validation. Every request's params
 * are checked here once, before a handler runs: unknown members, wrong
 * types, out-of-range numbers, over-long strings and arrays are rejected
 * with a message that names the field ("params.mounts[1].source: expected
 * a string"). Handlers can then read params without re-checking types.
 */
#ifndef CTR_PARAMS_H
#define CTR_PARAMS_H

#include <jansson.h>

#include "error.h"

enum param_type {
	PARAM_STRING,
	PARAM_INT,
	PARAM_NUMBER, /* integer or real */
	PARAM_BOOL,
	PARAM_STRINGS, /* array of strings */
	PARAM_OBJECT,  /* object checked against fields */
	PARAM_OBJECTS, /* array of objects checked against fields */
	PARAM_SIGNAL,  /* signal name ("TERM", "SIGKILL") or number */
};

enum {
	PARAM_REQUIRED = 1 << 0,
	PARAM_NONEMPTY = 1 << 1, /* strings: at least one byte; arrays: at least one item */
	PARAM_ABSPATH = 1 << 2,	 /* strings: an absolute path */
};

struct param_spec {
	const char *name;
	enum param_type type;
	unsigned flags;
	int64_t min, max;		 /* PARAM_INT / PARAM_NUMBER: inclusive, unless both 0 */
	size_t max_len;			 /* strings; 0 means PARAM_DEFAULT_MAX_LEN */
	size_t max_items;		 /* arrays; 0 means PARAM_DEFAULT_MAX_ITEMS */
	const struct param_spec *fields; /* PARAM_OBJECT(S): ends with a NULL name */
	const char *const *choices;	 /* PARAM_STRING: allowed values, NULL-terminated */
};

#define PARAM_DEFAULT_MAX_LEN	4096
#define PARAM_DEFAULT_MAX_ITEMS 1024

/* The params schema of method (a NULL-name-terminated array), or NULL if there is no such method. */
const struct param_spec *params_schema(const char *method);

/* The fields ps can list as rows (ps's "fields"), NULL-terminated. */
extern const char *const params_ps_fields[];

/* Names of all methods, NULL-terminated. */
extern const char *const params_methods[];

/* Checks params (an object) against spec; -1 with CTR_E_INVALID_PARAMS naming the field. */
int params_validate(const struct param_spec *spec, json_t *params, struct ctr_error *err);

/* Typed getters with defaults, for params that passed validation. */
const char *params_str(json_t *params, const char *name, const char *def);
int64_t params_int(json_t *params, const char *name, int64_t def);
double params_number(json_t *params, const char *name, double def);
bool params_bool(json_t *params, const char *name, bool def);
/* The signal number of a PARAM_SIGNAL member, or def when absent. */
int params_signal(json_t *params, const char *name, int def);

#endif
