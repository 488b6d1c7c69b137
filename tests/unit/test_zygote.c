/* SPDX-License-Identifier: MIT */
/*
 * The zygote's job (zygote.c): a container written as a job comes back as
 * the same container in the zygote, whatever its spec holds, and a job that
 * is not one is refused rather than half read.
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
#include "spec.h"
#include "zygote.h"

/* A container as the daemon has it after a run with params (JSON text). */
static struct container *
container_from_params(struct ctrd *d, const char *params)
{
	struct container *ctr = calloc(1, sizeof(*ctr));
	struct ctr_error err = CTR_ERROR_INIT;
	json_t *p = json_loads(params, 0, NULL);

	assert_non_null(ctr);
	assert_non_null(p);
	if (spec_from_json(&ctr->spec, p, &err) < 0)
		fail_msg("spec_from_json: %s", err.msg);
	json_decref(p);
	ctr->d = d;
	strcpy(ctr->id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	ctr->dir = xstrdup("/run/ctrd/containers/0123");
	ctr->data_dir = xstrdup("/var/lib/ctrd/containers/0123");
	return ctr;
}

static void
assert_same_container(const struct container *a, const struct container *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->dir, b->dir);
	assert_string_equal(a->data_dir, b->data_dir);
	if (a->log_path == NULL)
		assert_null(b->log_path);
	else
		assert_string_equal(a->log_path, b->log_path);
	if (a->image_rootfs == NULL)
		assert_null(b->image_rootfs);
	else
		assert_string_equal(a->image_rootfs, b->image_rootfs);
	/* The spec whole: what it says as JSON, and what was derived from it. */
	json_t *ja = spec_to_json(&a->spec), *jb = spec_to_json(&b->spec);
	if (!json_equal(ja, jb)) {
		char *ta = json_dumps(ja, JSON_SORT_KEYS), *tb = json_dumps(jb, JSON_SORT_KEYS);
		fail_msg("spec differs:\n  sent %s\n  got  %s", ta, tb);
	}
	json_decref(ja);
	json_decref(jb);
	assert_int_equal(a->spec.caps, b->spec.caps);
	assert_int_equal(a->spec.seccomp_unconfined, b->spec.seccomp_unconfined);
	assert_int_equal(a->spec.userns, b->spec.userns);
	assert_int_equal(a->spec.network, b->spec.network);
	assert_int_equal(a->spec.tty_rows, b->spec.tty_rows);
}

static void
round_trip(const char *params, const char *log_path, const char *image_rootfs)
{
	struct ctrd d = { .zygote_fd = -1 };
	struct container *ctr = container_from_params(&d, params);

	ctr->log_path = log_path ? xstrdup(log_path) : NULL;
	ctr->image_rootfs = image_rootfs ? xstrdup(image_rootfs) : NULL;
	char *text = zygote_job_text(ctr);
	assert_non_null(text);
	struct container *back = zygote_job_container(&d, text, strlen(text));
	assert_non_null(back);
	assert_same_container(ctr, back);
	/* Fresh handles: the zygote holds no process of the daemon's. */
	assert_ptr_equal(back->d, &d);
	assert_int_equal(back->pty_master, -1);
	assert_int_equal(back->init.pidfd, -1);
	assert_int_equal(back->monitor.pidfd, -1);
	zygote_job_container_free(back);
	free(text);
	zygote_job_container_free(ctr);
}

static void
test_round_trip_minimal(void **state)
{
	round_trip("{\"rootfs\":\"/srv/root\",\"command\":[\"/bin/true\"]}", NULL, NULL);
}

static void
test_round_trip_everything(void **state)
{
	round_trip(
		"{\"rootfs\":\"/srv/root\",\"command\":[\"sh\",\"-c\",\"echo \\\"hi\\\"\\n\"],"
		"\"env\":[\"A=1\",\"B=x y\",\"C=\\u00e9\"],\"cwd\":\"/tmp\",\"user\":\"1000:1000\","
		"\"hostname\":\"web-1\",\"detach\":true,\"interactive\":true,\"tty\":true,"
		"\"tty_size\":{\"rows\":40,\"cols\":120},\"read_only\":true,"
		"\"mounts\":[{\"source\":\"/srv/data\",\"destination\":\"/data\","
		"\"readonly\":true}],\"tmpfs\":[\"/run\"],\"network\":\"host\","
		"\"cap_add\":[\"NET_ADMIN\"],\"cap_drop\":[\"CHOWN\"],\"seccomp\":\"unconfined\","
		"\"log_max_size\":1048576,\"log_max_files\":2}",
		"/var/lib/ctrd/containers/0123/ctr.log", "/var/lib/ctrd/images/busybox/rootfs");
}

static void
test_bad_jobs_are_refused(void **state)
{
	struct ctrd d = { .zygote_fd = -1 };
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		/* No id, no dir, or no spec. */
		"{\"dir\":\"/r\",\"data_dir\":\"/d\",\"spec\":{\"rootfs\":\"/r\",\"command\":[\"x\"]}}",
		"{\"id\":\"ab\",\"data_dir\":\"/d\",\"spec\":{\"rootfs\":\"/r\",\"command\":[\"x\"]}}",
		"{\"id\":\"ab\",\"dir\":\"/r\",\"data_dir\":\"/d\"}",
		/* A spec that is not an object (its contents the daemon checked before). */
		"{\"id\":\"ab\",\"dir\":\"/r\",\"data_dir\":\"/d\",\"spec\":[\"x\"]}",
		/* A path that is not a string. */
		"{\"id\":\"ab\",\"dir\":\"/r\",\"data_dir\":\"/d\",\"log_path\":7,"
		"\"spec\":{\"rootfs\":\"/r\",\"command\":[\"x\"]}}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct container *ctr = zygote_job_container(&d, bad[i], strlen(bad[i]));
		if (ctr != NULL)
			fail_msg("accepted bad job %zu: %s", i, bad[i]);
	}
	/* A good job cut short is not read as far as it goes. */
	const char *good = "{\"id\":\"ab\",\"dir\":\"/r\",\"data_dir\":\"/d\","
			   "\"spec\":{\"rootfs\":\"/r\",\"command\":[\"x\"]}}";
	struct container *ctr = zygote_job_container(&d, good, strlen(good));
	assert_non_null(ctr);
	zygote_job_container_free(ctr);
	assert_null(zygote_job_container(&d, good, strlen(good) - 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_minimal),
		cmocka_unit_test(test_round_trip_everything),
		cmocka_unit_test(test_bad_jobs_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
