/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "params.h"

#define KiB 1024

/* A container selector: id, unique id prefix or name. */
#define P_ID                                                                        \
	{                                                                           \
		"id", PARAM_STRING, PARAM_REQUIRED | PARAM_NONEMPTY, .max_len = 256 \
	}
#define P_END        \
	{            \
		NULL \
	}

/* Resource limits, for run and update (daemon/resources.h). */
#define P_RESOURCES                                                                               \
	{ "memory", PARAM_INT, 0, 0, INT64_MAX }, { "memory_swap", PARAM_INT, 0, -1, INT64_MAX }, \
		{ "cpus", PARAM_NUMBER, 0, 0, 1024 }, { "cpu_shares", PARAM_INT, 0, 0, 262144 },  \
		{ "cpuset_cpus", PARAM_STRING, 0, .max_len = 256 },                               \
	{                                                                                         \
		"pids_limit", PARAM_INT, 0, -1, 4194304                                           \
	}

static const struct param_spec none[] = { P_END };

static const struct param_spec mount_fields[] = {
	{ "source", PARAM_STRING, PARAM_REQUIRED | PARAM_ABSPATH },
	{ "destination", PARAM_STRING, PARAM_REQUIRED | PARAM_ABSPATH },
	{ "readonly", PARAM_BOOL },
	P_END,
};

static const char *const network_modes[] = { "none", "host", NULL };
static const char *const seccomp_modes[] = { "default", "unconfined", NULL };

static const struct param_spec tty_size_fields[] = {
	{ "rows", PARAM_INT, PARAM_REQUIRED, 1, 65535 },
	{ "cols", PARAM_INT, PARAM_REQUIRED, 1, 65535 },
	P_END,
};

static const struct param_spec run_params[] = {
	{ "image", PARAM_STRING, PARAM_NONEMPTY, .max_len = 128 },
	{ "rootfs", PARAM_STRING, PARAM_ABSPATH },
	{ "command", PARAM_STRINGS, PARAM_NONEMPTY, .max_len = 128 * KiB, .max_items = 4096 },
	{ "name", PARAM_STRING, PARAM_NONEMPTY, .max_len = 128 },
	{ "hostname", PARAM_STRING, PARAM_NONEMPTY, .max_len = 64 },
	{ "env", PARAM_STRINGS, 0, .max_len = 128 * KiB, .max_items = 4096 },
	{ "cwd", PARAM_STRING, PARAM_ABSPATH },
	{ "user", PARAM_STRING, PARAM_NONEMPTY, .max_len = 256 },
	{ "detach", PARAM_BOOL },
	{ "rm", PARAM_BOOL },
	{ "interactive", PARAM_BOOL },
	{ "tty", PARAM_BOOL },
	{ "tty_size", PARAM_OBJECT, .fields = tty_size_fields },
	{ "read_only", PARAM_BOOL },
	{ "mounts", PARAM_OBJECTS, .max_items = 256, .fields = mount_fields },
	{ "tmpfs", PARAM_STRINGS, PARAM_ABSPATH, .max_items = 256 },
	{ "network", PARAM_STRING, .choices = network_modes },
	{ "cap_add", PARAM_STRINGS, 0, .max_len = 64, .max_items = 64 },
	{ "cap_drop", PARAM_STRINGS, 0, .max_len = 64, .max_items = 64 },
	{ "seccomp", PARAM_STRING, .choices = seccomp_modes },
	{ "userns", PARAM_BOOL },
	{ "restart", PARAM_STRING, PARAM_NONEMPTY, .max_len = 32 },
	{ "log_max_size", PARAM_INT, 0, 0, INT64_MAX },
	{ "log_max_files", PARAM_INT, 0, 0, 100 },
	P_RESOURCES,
	P_END,
};

static const struct param_spec update_params[] = {
	P_ID,
	P_RESOURCES,
	P_END,
};

static const struct param_spec exec_params[] = {
	P_ID,
	{ "command", PARAM_STRINGS, PARAM_REQUIRED | PARAM_NONEMPTY, .max_len = 128 * KiB,
	  .max_items = 4096 },
	{ "env", PARAM_STRINGS, 0, .max_len = 128 * KiB, .max_items = 4096 },
	{ "cwd", PARAM_STRING, PARAM_ABSPATH },
	{ "user", PARAM_STRING, PARAM_NONEMPTY, .max_len = 256 },
	{ "detach", PARAM_BOOL },
	{ "interactive", PARAM_BOOL },
	{ "tty", PARAM_BOOL },
	{ "tty_size", PARAM_OBJECT, .fields = tty_size_fields },
	P_END,
};

const char *const params_ps_fields[] = {
	"id",	  "short_id",	 "name",       "state",	     "status",	    "pid",
	"image",  "command",	 "created",    "started_at", "finished_at", "exit_code",
	"signal", "signal_name", "oom_killed", "error",	     NULL,
};

static const struct param_spec ps_params[] = {
	{ "all", PARAM_BOOL },
	{ "fields", PARAM_STRINGS, PARAM_NONEMPTY, .max_items = 64, .choices = params_ps_fields },
	P_END,
};

static const struct param_spec id_params[] = {
	P_ID,
	P_END,
};

static const struct param_spec events_params[] = {
	{ "since", PARAM_STRING, PARAM_NONEMPTY, .max_len = 64 },
	P_END,
};

static const struct param_spec stats_params[] = {
	{ "ids", PARAM_STRINGS, 0, .max_len = 256, .max_items = 4096 },
	{ "all", PARAM_BOOL },
	P_END,
};

static const struct param_spec stop_params[] = {
	P_ID,
	{ "timeout", PARAM_INT, 0, 0, 24 * 3600 },
	{ "signal", PARAM_SIGNAL },
	P_END,
};

static const struct param_spec kill_params[] = {
	P_ID,
	{ "signal", PARAM_SIGNAL },
	P_END,
};

static const struct param_spec rm_params[] = {
	P_ID,
	{ "force", PARAM_BOOL },
	P_END,
};

static const struct param_spec logs_params[] = {
	P_ID,
	{ "follow", PARAM_BOOL },
	{ "tail", PARAM_INT, 0, -1, INT64_MAX },
	{ "since", PARAM_STRING, PARAM_NONEMPTY, .max_len = 64 },
	P_END,
};

static const struct {
	const char *method;
	const struct param_spec *params;
} schemas[] = {
	{ "version", none },	     { "run", run_params },   { "ps", ps_params },
	{ "inspect", id_params },    { "stop", stop_params }, { "kill", kill_params },
	{ "rm", rm_params },	     { "wait", id_params },   { "logs", logs_params },
	{ "exec", exec_params },     { "images", none },      { "update", update_params },
	{ "stats", stats_params },   { "pause", id_params },  { "unpause", id_params },
	{ "events", events_params },
};

const char *const params_methods[] = {
	"version", "run",    "ps",     "inspect", "stop",  "kill",    "rm",	"wait", "logs",
	"exec",	   "images", "update", "stats",	  "pause", "unpause", "events", NULL,
};

const struct param_spec *
params_schema(const char *method)
{
	for (size_t i = 0; i < ARRAY_SIZE(schemas); i++)
		if (strcmp(schemas[i].method, method) == 0)
			return schemas[i].params;
	return NULL;
}

static int validate_object(const struct param_spec *spec, json_t *obj, const char *path,
			   struct ctr_error *err);

static int
check_string(const struct param_spec *p, json_t *v, const char *path, struct ctr_error *err)
{
	size_t max = p->max_len ? p->max_len : PARAM_DEFAULT_MAX_LEN;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	if (!json_is_string(v))
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0, "%s: expected a string", path);
	if (memchr(s, '\0', len) != NULL)
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0, "%s: contains a NUL byte", path);
	if (len > max)
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0, "%s: longer than %zu bytes",
				     path, max);
	if ((p->flags & PARAM_NONEMPTY) && len == 0)
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0, "%s: must not be empty", path);
	if ((p->flags & PARAM_ABSPATH) && s[0] != '/')
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "%s: expected an absolute path, got \"%s\"", path, s);
	if (p->choices != NULL) {
		for (const char *const *c = p->choices; *c != NULL; c++)
			if (strcmp(*c, s) == 0)
				return 0;
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "%s: \"%s\" is not one of the allowed values", path, s);
	}
	return 0;
}

static int
check_range(const struct param_spec *p, double v, const char *path, struct ctr_error *err)
{
	if ((p->min != 0 || p->max != 0) && (v < (double)p->min || v > (double)p->max))
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "%s: %g is out of range [%lld, %lld]", path, v,
				     (long long)p->min, (long long)p->max);
	return 0;
}

static int
check_value(const struct param_spec *p, json_t *v, const char *path, struct ctr_error *err)
{
	size_t max_items = p->max_items ? p->max_items : PARAM_DEFAULT_MAX_ITEMS;

	switch (p->type) {
	case PARAM_STRING:
		return check_string(p, v, path, err);
	case PARAM_INT:
		if (!json_is_integer(v))
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "%s: expected an integer", path);
		if ((p->min != 0 || p->max != 0) &&
		    (json_integer_value(v) < p->min || json_integer_value(v) > p->max))
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "%s: %lld is out of range [%lld, %lld]", path,
					     (long long)json_integer_value(v), (long long)p->min,
					     (long long)p->max);
		return 0;
	case PARAM_NUMBER:
		if (!json_is_number(v))
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0, "%s: expected a number",
					     path);
		return check_range(p, json_number_value(v), path, err);
	case PARAM_BOOL:
		if (!json_is_boolean(v))
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "%s: expected true or false", path);
		return 0;
	case PARAM_SIGNAL:
		if (json_is_integer(v) && json_integer_value(v) >= 1 &&
		    json_integer_value(v) < NSIG)
			return 0;
		if (json_is_string(v) && signal_parse(json_string_value(v)) > 0)
			return 0;
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "%s: not a signal name or number", path);
	case PARAM_OBJECT:
		if (!json_is_object(v))
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0, "%s: expected an object",
					     path);
		return validate_object(p->fields, v, path, err);
	case PARAM_STRINGS:
	case PARAM_OBJECTS:
		break;
	}

	if (!json_is_array(v))
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0, "%s: expected an array", path);
	if (json_array_size(v) > max_items)
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0, "%s: more than %zu items", path,
				     max_items);
	if ((p->flags & PARAM_NONEMPTY) && json_array_size(v) == 0)
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0, "%s: must not be empty", path);
	size_t i;
	json_t *item;
	json_array_foreach(v, i, item) {
		_cleanup_free_ char *ipath = xasprintf("%s[%zu]", path, i);
		if (p->type == PARAM_STRINGS) {
			/* Items of a non-empty array may still be empty strings ("" is a valid
			 * argv). */
			struct param_spec one = *p;
			one.flags &= ~PARAM_NONEMPTY;
			if (check_string(&one, item, ipath, err) < 0)
				return -1;
		} else {
			if (!json_is_object(item))
				return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
						     "%s: expected an object", ipath);
			if (validate_object(p->fields, item, ipath, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int
validate_object(const struct param_spec *spec, json_t *obj, const char *path, struct ctr_error *err)
{
	const char *key;
	json_t *value;

	json_object_foreach(obj, key, value) {
		const struct param_spec *p = spec;
		while (p->name != NULL && strcmp(p->name, key) != 0)
			p++;
		_cleanup_free_ char *fpath = xasprintf("%s.%s", path, key);
		if (p->name == NULL)
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0, "%s: unknown field",
					     fpath);
		if (check_value(p, value, fpath, err) < 0)
			return -1;
	}
	for (const struct param_spec *p = spec; p->name != NULL; p++)
		if ((p->flags & PARAM_REQUIRED) && json_object_get(obj, p->name) == NULL)
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0, "%s.%s: required", path,
					     p->name);
	return 0;
}

int
params_validate(const struct param_spec *spec, json_t *params, struct ctr_error *err)
{
	if (!json_is_object(params))
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0, "params: expected an object");
	return validate_object(spec, params, "params", err);
}

const char *
params_str(json_t *params, const char *name, const char *def)
{
	json_t *v = json_object_get(params, name);
	return json_is_string(v) ? json_string_value(v) : def;
}

int64_t
params_int(json_t *params, const char *name, int64_t def)
{
	json_t *v = json_object_get(params, name);
	return json_is_integer(v) ? json_integer_value(v) : def;
}

double
params_number(json_t *params, const char *name, double def)
{
	json_t *v = json_object_get(params, name);
	return json_is_number(v) ? json_number_value(v) : def;
}

bool
params_bool(json_t *params, const char *name, bool def)
{
	json_t *v = json_object_get(params, name);
	return json_is_boolean(v) ? json_is_true(v) : def;
}

int
params_signal(json_t *params, const char *name, int def)
{
	json_t *v = json_object_get(params, name);

	if (json_is_integer(v))
		return (int)json_integer_value(v);
	if (json_is_string(v))
		return signal_parse(json_string_value(v));
	return def;
}
