/* SPDX-License-Identifier: MIT */
/* ps's reply as JSON text: objects or rows (psrows.h). */
#include "config.h"

#include <string.h>

#include "ctrd.h"
#include "jsonw.h"
#include "psrows.h"

/* Writes one field of ctr; now is the listing's time, the same for every row. */
typedef void field_fn(struct jsonw *w, const struct container *ctr, int64_t now);

char *
psrows_status(const struct container *ctr, int64_t now_ns)
{
	const char *state = container_status(ctr);

	if (ctr->state == CTR_RUNNING) {
		const char *paused = ctr->paused ? " (Paused)" : "";
		if (ctr->started_at == 0)
			return xasprintf("Up%s", paused);
		_cleanup_free_ char *d = format_duration(now_ns - ctr->started_at);
		return xasprintf("Up %s%s", d, paused);
	}
	if (ctr->state == CTR_EXITED) {
		_cleanup_free_ char *d = format_duration(now_ns - ctr->exit.finished_at);
		return xasprintf("%s (%d) %s ago%s",
				 strcmp(state, "restarting") == 0 ? "Restarting" : "Exited",
				 ctr->exit.exit_code, d, ctr->exit.oom_killed ? " (OOM)" : "");
	}
	return xstrdup("Created");
}

static void
f_id(struct jsonw *w, const struct container *ctr, int64_t now)
{
	jsonw_string(w, ctr->id);
}

/* The first 12 digits, as ps shows ids: a quarter of the id's bytes. */
static void
f_short_id(struct jsonw *w, const struct container *ctr, int64_t now)
{
	char id[CTR_SHORT_ID_LEN + 1];

	memcpy(id, ctr->id, CTR_SHORT_ID_LEN);
	id[CTR_SHORT_ID_LEN] = '\0';
	jsonw_string(w, id);
}

static void
f_name(struct jsonw *w, const struct container *ctr, int64_t now)
{
	jsonw_string(w, ctr->name);
}

static void
f_state(struct jsonw *w, const struct container *ctr, int64_t now)
{
	jsonw_string(w, container_status(ctr));
}

static void
f_status(struct jsonw *w, const struct container *ctr, int64_t now)
{
	_cleanup_free_ char *status = psrows_status(ctr, now);

	jsonw_string(w, status);
}

static void
f_pid(struct jsonw *w, const struct container *ctr, int64_t now)
{
	/* As container_to_json: only a pid we hold a pidfd for. */
	if (ctr->state == CTR_RUNNING && ctr->init.pidfd >= 0)
		jsonw_int(w, ctr->init.pid);
	else
		jsonw_null(w);
}

static void
f_image(struct jsonw *w, const struct container *ctr, int64_t now)
{
	jsonw_string(w, ctr->spec.image);
}

static void
f_command(struct jsonw *w, const struct container *ctr, int64_t now)
{
	jsonw_char(w, '[');
	for (char *const *a = ctr->spec.command; a != NULL && *a != NULL; a++) {
		if (a != ctr->spec.command)
			jsonw_char(w, ',');
		jsonw_string(w, *a);
	}
	jsonw_char(w, ']');
}

static void
f_created(struct jsonw *w, const struct container *ctr, int64_t now)
{
	jsonw_time(w, ctr->created_at);
}

static void
f_started_at(struct jsonw *w, const struct container *ctr, int64_t now)
{
	jsonw_time(w, ctr->started_at);
}

/* The exit fields: only an exited container has them, as in the short form. */
static void
f_finished_at(struct jsonw *w, const struct container *ctr, int64_t now)
{
	char t[TIME_RFC3339_MAX];

	/* Always a time once exited, as exit_status_to_json writes it (0: the epoch). */
	if (ctr->state != CTR_EXITED) {
		jsonw_null(w);
		return;
	}
	time_format_rfc3339_buf(ctr->exit.finished_at, t);
	jsonw_string(w, t);
}

static void
f_exit_code(struct jsonw *w, const struct container *ctr, int64_t now)
{
	if (ctr->state == CTR_EXITED)
		jsonw_int(w, ctr->exit.exit_code);
	else
		jsonw_null(w);
}

static void
f_signal(struct jsonw *w, const struct container *ctr, int64_t now)
{
	if (ctr->state == CTR_EXITED && ctr->exit.signal)
		jsonw_int(w, ctr->exit.signal);
	else
		jsonw_null(w);
}

static void
f_signal_name(struct jsonw *w, const struct container *ctr, int64_t now)
{
	jsonw_string(w, ctr->state == CTR_EXITED && ctr->exit.signal ? signal_name(ctr->exit.signal)
								     : NULL);
}

static void
f_oom_killed(struct jsonw *w, const struct container *ctr, int64_t now)
{
	if (ctr->state == CTR_EXITED)
		jsonw_bool(w, ctr->exit.oom_killed);
	else
		jsonw_null(w);
}

static void
f_error(struct jsonw *w, const struct container *ctr, int64_t now)
{
	jsonw_string(w, ctr->error);
}

/* The names are params_ps_fields (proto/params.c), which validates requests. */
static const struct {
	const char *name;
	field_fn *fn;
} fields[] = {
	{ "id", f_id },
	{ "short_id", f_short_id },
	{ "name", f_name },
	{ "state", f_state },
	{ "status", f_status },
	{ "pid", f_pid },
	{ "image", f_image },
	{ "command", f_command },
	{ "created", f_created },
	{ "started_at", f_started_at },
	{ "finished_at", f_finished_at },
	{ "exit_code", f_exit_code },
	{ "signal", f_signal },
	{ "signal_name", f_signal_name },
	{ "oom_killed", f_oom_killed },
	{ "error", f_error },
};

static field_fn *
field_lookup(const char *name)
{
	for (size_t i = 0; name != NULL && i < ARRAY_SIZE(fields); i++)
		if (strcmp(fields[i].name, name) == 0)
			return fields[i].fn;
	return NULL;
}

static bool
exited(const struct container *ctr)
{
	return ctr->state == CTR_EXITED;
}

static bool
named_signal(const struct container *ctr)
{
	return exited(ctr) && ctr->exit.signal && signal_name(ctr->exit.signal) != NULL;
}

static bool
has_error(const struct container *ctr)
{
	return ctr->error != NULL;
}

/* The container object's short form (container_to_json), member by member. */
static const struct {
	const char *key; /* a JSON string, quoted, with its colon */
	field_fn *fn;
	bool (*shown)(const struct container *ctr); /* NULL: always */
} short_form[] = {
	{ "\"id\":", f_id, NULL },
	{ "\"name\":", f_name, NULL },
	{ "\"state\":", f_state, NULL },
	{ "\"status\":", f_status, NULL },
	{ "\"pid\":", f_pid, NULL },
	{ "\"image\":", f_image, NULL },
	{ "\"command\":", f_command, NULL },
	{ "\"created\":", f_created, NULL },
	{ "\"started_at\":", f_started_at, NULL },
	{ "\"exit_code\":", f_exit_code, exited },
	{ "\"oom_killed\":", f_oom_killed, exited },
	{ "\"finished_at\":", f_finished_at, exited },
	{ "\"signal\":", f_signal, exited },
	{ "\"signal_name\":", f_signal_name, named_signal },
	{ "\"error\":", f_error, has_error },
};

char *
psrows_objects(struct ctrd *d, bool all, size_t *len)
{
	struct jsonw w = { 0 };
	struct container *ctr;
	bool first = true;

	int64_t now = time_now_ns();
	jsonw_raw(&w, "{\"containers\":[", 15);
	TAILQ_FOREACH(ctr, &d->containers, entry) {
		if (!container_listed(ctr, all))
			continue;
		jsonw_raw(&w, first ? "{" : ",{", first ? 1 : 2);
		first = false;
		for (size_t i = 0; i < ARRAY_SIZE(short_form); i++) {
			if (short_form[i].shown != NULL && !short_form[i].shown(ctr))
				continue;
			if (i > 0)
				jsonw_char(&w, ',');
			jsonw_raw(&w, short_form[i].key, strlen(short_form[i].key));
			short_form[i].fn(&w, ctr, now);
		}
		jsonw_char(&w, '}');
	}
	jsonw_raw(&w, "]}", 2);
	return jsonw_steal(&w, len);
}

char *
psrows_build(struct ctrd *d, bool all, json_t *names, size_t *len, struct ctr_error *err)
{
	size_t n = json_array_size(names);
	_cleanup_free_ field_fn **fn = xcalloc(n ? n : 1, sizeof(*fn));
	_cleanup_free_ char *names_text = json_dumps(names, JSON_COMPACT);
	struct jsonw w = { 0 };
	struct container *ctr;

	/* Looked up once, not per container. */
	for (size_t i = 0; i < n; i++) {
		const char *name = json_string_value(json_array_get(names, i));
		if ((fn[i] = field_lookup(name)) == NULL)
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "params.fields[%zu]: no field \"%s\"", i,
					     name ? name : ""),
			       NULL;
	}
	if (names_text == NULL)
		abort(); /* only fails on allocation */
	int64_t now = time_now_ns();
	jsonw_raw(&w, "{\"fields\":", 10);
	jsonw_raw(&w, names_text, strlen(names_text));
	jsonw_raw(&w, ",\"rows\":[", 9);
	bool first = true;
	TAILQ_FOREACH(ctr, &d->containers, entry) {
		if (!container_listed(ctr, all))
			continue;
		jsonw_raw(&w, first ? "[" : ",[", first ? 1 : 2);
		first = false;
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				jsonw_char(&w, ',');
			fn[i](&w, ctr, now);
		}
		jsonw_char(&w, ']');
	}
	jsonw_raw(&w, "]}", 2);
	return jsonw_steal(&w, len);
}
