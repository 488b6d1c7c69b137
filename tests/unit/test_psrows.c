/* SPDX-License-Identifier: MIT */
/*
 * daemon/psrows.c: ps's rows hold, field for field, what the container
 * object's short form (container_to_json) holds, for every field there is.
 */
#include "config.h"

#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "container.h"
#include "ctrd.h"
#include "params.h"
#include "psrows.h"

static char a_sleep[] = "sleep", a_1d[] = "1d", a_sh[] = "sh", a_c[] = "-c",
	    a_script[] = "echo \"hi\"\n\x01 caf\xc3\xa9", image[] = "busybox",
	    error[] = "start container: exec \"nope\": No such file";
static char *argv_running[] = { a_sleep, a_1d, NULL };
static char *argv_odd[] = { a_sh, a_c, a_script, NULL };

static struct container *
add(struct ctrd *d, const char *id, const char *name, enum ctr_state state)
{
	struct container *ctr = calloc(1, sizeof(*ctr));

	assert_non_null(ctr);
	ctr->d = d;
	snprintf(ctr->id, sizeof(ctr->id), "%s", id);
	ctr->name = strdup(name);
	ctr->state = state;
	ctr->init = (struct proc_ref)PROC_REF_INIT;
	ctr->created_at = 1795925544123456789LL;
	ctr->spec.command = argv_running;
	TAILQ_INSERT_TAIL(&d->containers, ctr, entry);
	return ctr;
}

static void
fill(struct ctrd *d)
{
	TAILQ_INIT(&d->containers);
	struct container *run =
		add(d, "aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111", "web",
		    CTR_RUNNING);
	run->init.pid = 4242;
	run->init.pidfd = 99; /* only looked at, never used */
	run->started_at = 1795925545000000001LL;
	run->spec.image = image;
	struct container *paused =
		add(d, "bbbbbbbbbbbb2222222222222222222222222222222222222222222222222222", "frozen",
		    CTR_RUNNING);
	paused->paused = true;
	paused->init.pid = 77; /* a pid without a pidfd: never shown */
	struct container *dead =
		add(d, "cccccccccccc3333333333333333333333333333333333333333333333333333", "gone",
		    CTR_EXITED);
	dead->spec.command = argv_odd;
	dead->started_at = 1795925546000000000LL;
	dead->exit = (struct exit_status){ .exit_code = 137,
					   .signal = 9,
					   .oom_killed = true,
					   .finished_at = 1795925547000000000LL };
	struct container *failed =
		add(d, "dddddddddddd4444444444444444444444444444444444444444444444444444", "bad",
		    CTR_EXITED);
	failed->error = error;
	failed->exit.exit_code = 127;
	add(d, "eeeeeeeeeeee5555555555555555555555555555555555555555555555555555", "new",
	    CTR_CREATED);
}

static void
empty(struct ctrd *d)
{
	struct container *ctr;

	while ((ctr = TAILQ_FIRST(&d->containers)) != NULL) {
		TAILQ_REMOVE(&d->containers, ctr, entry);
		free(ctr->name);
		free(ctr);
	}
}

static json_t *
all_fields(void)
{
	json_t *names = json_array();

	for (const char *const *f = params_ps_fields; *f != NULL; f++)
		json_array_append_new(names, json_string(*f));
	return names;
}

static json_t *
rows_of(struct ctrd *d, bool all, json_t *names)
{
	struct ctr_error err = CTR_ERROR_INIT;
	size_t len;
	char *text = psrows_build(d, all, names, &len, &err);

	if (text == NULL)
		fail_msg("psrows_build: %s", err.msg);
	json_error_t jerr;
	json_t *v = json_loadb(text, len, 0, &jerr);
	if (v == NULL)
		fail_msg("not JSON: %s (%s)", text, jerr.text);
	free(text);
	assert_true(json_equal(json_object_get(v, "fields"), names));
	return v;
}

static void
test_rows_match_objects(void **state)
{
	struct ctrd d = { 0 };
	json_auto_t *names = all_fields();

	fill(&d);
	json_auto_t *v = rows_of(&d, true, names);
	json_t *rows = json_object_get(v, "rows");
	assert_int_equal(json_array_size(rows), 5);
	size_t r = 0;
	struct container *ctr;
	TAILQ_FOREACH(ctr, &d.containers, entry) {
		json_auto_t *obj = container_to_json(ctr, false);
		json_t *row = json_array_get(rows, r++);
		assert_int_equal(json_array_size(row), json_array_size(names));
		for (size_t i = 0; i < json_array_size(names); i++) {
			const char *field = json_string_value(json_array_get(names, i));
			json_t *want = json_object_get(obj, field), *got = json_array_get(row, i);
			if (strcmp(field, "short_id") == 0) {
				assert_int_equal(json_string_length(got), 12);
				assert_memory_equal(json_string_value(got), ctr->id, 12);
				continue;
			}
			/* A member the object leaves out is null in a row. */
			if (!json_equal(want ? want : json_null(), got)) {
				char *w = json_dumps(want, JSON_ENCODE_ANY);
				char *g = json_dumps(got, JSON_ENCODE_ANY);
				fail_msg("%s, field %s: object has %s, row has %s", ctr->name,
					 field, w ? w : "nothing", g);
			}
		}
	}
	/* Every member of the short form is a field. */
	json_auto_t *obj = container_to_json(TAILQ_FIRST(&d.containers), false);
	const char *key;
	json_t *val;
	json_object_foreach(obj, key, val) {
		bool found = false;
		for (const char *const *f = params_ps_fields; *f != NULL; f++)
			found = found || strcmp(*f, key) == 0;
		if (!found)
			fail_msg("the short form's \"%s\" is no ps field", key);
	}
	empty(&d);
}

/* Without fields: the objects are container_to_json's, member for member. */
static void
test_objects_match(void **state)
{
	struct ctrd d = { 0 };
	size_t len;

	fill(&d);
	char *text = psrows_objects(&d, true, &len);
	json_error_t jerr;
	json_auto_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL)
		fail_msg("not JSON: %s (%s)", text, jerr.text);
	free(text);
	json_t *list = json_object_get(v, "containers");
	assert_int_equal(json_array_size(list), 5);
	size_t i = 0;
	struct container *ctr;
	TAILQ_FOREACH(ctr, &d.containers, entry) {
		json_auto_t *want = container_to_json(ctr, false);
		json_t *got = json_array_get(list, i++);
		if (!json_equal(want, got)) {
			char *w = json_dumps(want, JSON_SORT_KEYS);
			char *g = json_dumps(got, JSON_SORT_KEYS);
			fail_msg("%s:\n want %s\n  got %s", ctr->name, w, g);
		}
	}
	/* Only running ones without all. */
	text = psrows_objects(&d, false, &len);
	json_auto_t *running = json_loadb(text, len, 0, &jerr);
	free(text);
	assert_int_equal(json_array_size(json_object_get(running, "containers")), 2);
	empty(&d);
}

static void
test_only_listed(void **state)
{
	struct ctrd d = { 0 };
	json_auto_t *names = json_pack("[ss]", "name", "state");

	fill(&d);
	/* Without all: running ones (paused included) only, in table order. */
	json_auto_t *v = rows_of(&d, false, names);
	json_auto_t *want = json_pack("[[ss][ss]]", "web", "running", "frozen", "paused");
	assert_true(json_equal(json_object_get(v, "rows"), want));
	empty(&d);
	json_auto_t *none = rows_of(&d, true, names);
	assert_int_equal(json_array_size(json_object_get(none, "rows")), 0);
}

static void
test_unknown_field(void **state)
{
	struct ctrd d = { 0 };
	struct ctr_error err = CTR_ERROR_INIT;
	json_auto_t *names = json_pack("[ss]", "id", "bogus");
	size_t len;

	TAILQ_INIT(&d.containers);
	assert_null(psrows_build(&d, true, names, &len, &err));
	assert_int_equal(err.code, CTR_E_INVALID_PARAMS);
	assert_non_null(strstr(err.msg, "params.fields[1]"));
	ctr_error_clear(&err);
}

static void
test_status(void **state)
{
	struct ctrd d = { 0 };
	const int64_t s = 1000000000;

	fill(&d);
	struct container *run = TAILQ_FIRST(&d.containers);
	struct container *paused = TAILQ_NEXT(run, entry);
	struct container *dead = TAILQ_NEXT(paused, entry);
	struct container *failed = TAILQ_NEXT(dead, entry);
	struct container *created = TAILQ_NEXT(failed, entry);
	struct {
		const struct container *ctr;
		int64_t now;
		const char *want;
	} cases[] = {
		{ run, run->started_at + 5 * s, "Up 5 seconds" },
		{ run, run->started_at + 90 * s, "About a minute" },
		{ paused, 0, "Up (Paused)" },
		{ dead, dead->exit.finished_at + 3 * 60 * s, "Exited (137) 3 minutes ago (OOM)" },
		{ failed, failed->exit.finished_at, "Exited (127) Less than a second ago" },
		{ created, 0, "Created" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = psrows_status(cases[i].ctr, cases[i].now);
		if (strstr(got, cases[i].want) == NULL)
			fail_msg("%s: \"%s\", expected \"%s\"", cases[i].ctr->name, got,
				 cases[i].want);
		free(got);
	}
	empty(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_match_objects),
		cmocka_unit_test(test_objects_match),
		cmocka_unit_test(test_only_listed),
		cmocka_unit_test(test_unknown_field),
		cmocka_unit_test(test_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
