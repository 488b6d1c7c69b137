/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/spec.h: container names, host names, and the
 * container specification from and to JSON.
 */
#include "config.h"

#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "params.h"
#include "spec.h"

/* ------------------------------------------------------------------ helpers */

static json_t *
load(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);

	if (v == NULL)
		fail_msg("bad test JSON %s: %s", text, jerr.text);
	return v;
}

static char *
repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* spec_from_json on text must succeed. */
static void
from_json_ok(const char *text, struct ctr_spec *spec)
{
	struct ctr_error err = CTR_ERROR_INIT;
	json_t *params = load(text);
	int rc = spec_from_json(spec, params, &err);

	json_decref(params);
	if (rc != 0)
		fail_msg("%s: rejected: %s", text, err.msg);
	assert_int_equal(err.code, 0);
}

/* spec_from_json on text must fail with CTR_E_INVALID_PARAMS saying what. */
static void
from_json_fails(const char *text, const char *what)
{
	struct ctr_error err = CTR_ERROR_INIT;
	struct ctr_spec spec;
	json_t *params = load(text);
	int rc = spec_from_json(&spec, params, &err);

	json_decref(params);
	spec_free(&spec); /* what method_run does: a failed spec may hold parts */
	if (rc != -1)
		fail_msg("%s: accepted", text);
	if (err.code != CTR_E_INVALID_PARAMS)
		fail_msg("%s: code %d (%s)", text, err.code, err.msg);
	if (strstr(err.msg, what) == NULL)
		fail_msg("%s: \"%s\" does not say \"%s\"", text, err.msg, what);
	ctr_error_clear(&err);
}

/* The normalised form of one path given as rootfs. */
static void
assert_rootfs_clean(const char *path, const char *want)
{
	struct ctr_spec spec;
	char *text = xasprintf("{\"rootfs\":\"%s\",\"command\":[\"sh\"]}", path);

	from_json_ok(text, &spec);
	free(text);
	assert_string_equal(spec.rootfs, want);
	spec_free(&spec);
}

/* --------------------------------------------------------------------- names */

static void
test_valid_name(void **state)
{
	char *max = repeat('n', 128), *over = repeat('n', 129);

	assert_true(spec_valid_name("a"));
	assert_true(spec_valid_name("web"));
	assert_true(spec_valid_name("web-1"));
	assert_true(spec_valid_name("A.b_c-D"));
	assert_true(spec_valid_name("0abc"));
	assert_true(spec_valid_name("a--"));
	assert_true(spec_valid_name(max));
	assert_false(spec_valid_name(over));
	assert_false(spec_valid_name(""));
	assert_false(spec_valid_name("-a"));
	assert_false(spec_valid_name(".a"));
	assert_false(spec_valid_name("_a"));
	assert_false(spec_valid_name("a b"));
	assert_false(spec_valid_name("a/b"));
	assert_false(spec_valid_name("a:b"));
	assert_false(spec_valid_name("a\n"));
	assert_false(spec_valid_name("caf\xc3\xa9"));
	assert_false(spec_valid_name(".."));
	free(max);
	free(over);
}

static void
test_valid_hostname(void **state)
{
	char *label63 = repeat('h', 63), *label64 = repeat('h', 64);
	char *a = repeat('a', 31), *b = repeat('b', 32), *c = repeat('c', 33);
	char *len64 = xasprintf("%s.%s", a, b), *len65 = xasprintf("%s.%s", a, c);

	assert_true(spec_valid_hostname("a"));
	assert_true(spec_valid_hostname("web"));
	assert_true(spec_valid_hostname("web-1.example.com"));
	assert_true(spec_valid_hostname("a.b.c"));
	assert_true(spec_valid_hostname("123"));
	assert_true(spec_valid_hostname("A-B"));
	assert_true(spec_valid_hostname("a--b"));
	assert_true(spec_valid_hostname(label63));
	assert_false(spec_valid_hostname(label64));
	assert_true(spec_valid_hostname(len64));
	assert_false(spec_valid_hostname(len65));

	assert_false(spec_valid_hostname(""));
	assert_false(spec_valid_hostname("-a"));
	assert_false(spec_valid_hostname("a-"));
	assert_false(spec_valid_hostname("-"));
	assert_false(spec_valid_hostname("a..b"));
	assert_false(spec_valid_hostname(".a"));
	assert_false(spec_valid_hostname("a."));
	assert_false(spec_valid_hostname("."));
	assert_false(spec_valid_hostname("a_b"));
	assert_false(spec_valid_hostname("a b"));
	assert_false(spec_valid_hostname("a.-b"));
	assert_false(spec_valid_hostname("a.b-"));
	assert_false(spec_valid_hostname("a-.b"));
	assert_false(spec_valid_hostname("a/b"));
	assert_false(spec_valid_hostname("h\xc3\xa9"));

	free(label63);
	free(label64);
	free(a);
	free(b);
	free(c);
	free(len64);
	free(len65);
}

/* ---------------------------------------------------------------- from JSON */

static void
test_from_json_defaults(void **state)
{
	struct ctr_spec spec;

	from_json_ok("{\"rootfs\":\"/srv/root\",\"command\":[\"sh\",\"-c\",\"true\"]}", &spec);
	assert_null(spec.image);
	assert_string_equal(spec.rootfs, "/srv/root");
	assert_int_equal(strv_length(spec.command), 3);
	assert_string_equal(spec.command[0], "sh");
	assert_string_equal(spec.command[2], "true");
	assert_non_null(spec.env);
	assert_int_equal(strv_length(spec.env), 0);
	assert_string_equal(spec.cwd, "/");
	assert_null(spec.user);
	assert_null(spec.hostname);
	assert_false(spec.detach);
	assert_false(spec.rm);
	assert_false(spec.interactive);
	assert_false(spec.tty);
	assert_false(spec.read_only);
	assert_int_equal(spec.nmounts, 0);
	assert_non_null(spec.tmpfs);
	assert_int_equal(strv_length(spec.tmpfs), 0);
	assert_int_equal(spec.network, NET_NONE);
	spec_free(&spec);
	assert_null(spec.rootfs);
	assert_null(spec.command);
	spec_free(&spec); /* freeing twice is harmless */

	/* An image, no command: the image's default applies later. */
	from_json_ok("{\"image\":\"alpine:3\"}", &spec);
	assert_string_equal(spec.image, "alpine:3");
	assert_null(spec.rootfs);
	assert_null(spec.command);
	spec_free(&spec);
}

static void
test_from_json_everything(void **state)
{
	struct ctr_spec spec;

	from_json_ok("{\"rootfs\":\"/r\",\"command\":[\"/bin/app\",\"\"],\"name\":\"ignored\","
		     "\"hostname\":\"box.local\",\"env\":[\"A=1\",\"B=\",\"C=x=y\"],"
		     "\"cwd\":\"/srv\",\"user\":\"app:staff\",\"detach\":true,\"rm\":true,"
		     "\"interactive\":true,\"tty\":true,\"read_only\":true,"
		     "\"mounts\":[{\"source\":\"/data\",\"destination\":\"/mnt/data\","
		     "\"readonly\":true},{\"source\":\"/a\",\"destination\":\"/b\"}],"
		     "\"tmpfs\":[\"/tmp\",\"/run\"],\"network\":\"host\"}",
		     &spec);
	assert_string_equal(spec.rootfs, "/r");
	assert_int_equal(strv_length(spec.command), 2);
	assert_string_equal(spec.command[1], "");
	assert_string_equal(spec.hostname, "box.local");
	assert_int_equal(strv_length(spec.env), 3);
	assert_string_equal(spec.env[0], "A=1");
	assert_string_equal(spec.env[1], "B=");
	assert_string_equal(spec.env[2], "C=x=y");
	assert_string_equal(spec.cwd, "/srv");
	assert_string_equal(spec.user, "app:staff");
	assert_true(spec.detach);
	assert_true(spec.rm);
	assert_true(spec.interactive);
	assert_true(spec.tty);
	assert_true(spec.read_only);
	assert_int_equal(spec.nmounts, 2);
	assert_string_equal(spec.mounts[0].source, "/data");
	assert_string_equal(spec.mounts[0].destination, "/mnt/data");
	assert_true(spec.mounts[0].readonly);
	assert_string_equal(spec.mounts[1].source, "/a");
	assert_string_equal(spec.mounts[1].destination, "/b");
	assert_false(spec.mounts[1].readonly);
	assert_int_equal(strv_length(spec.tmpfs), 2);
	assert_string_equal(spec.tmpfs[0], "/tmp");
	assert_string_equal(spec.tmpfs[1], "/run");
	assert_int_equal(spec.network, NET_HOST);
	spec_free(&spec);

	from_json_ok("{\"rootfs\":\"/r\",\"network\":\"none\"}", &spec);
	assert_int_equal(spec.network, NET_NONE);
	spec_free(&spec);
}

static void
test_from_json_image_or_rootfs(void **state)
{
	from_json_fails("{\"command\":[\"sh\"]}", "exactly one of image and rootfs");
	from_json_fails("{}", "exactly one of image and rootfs");
	from_json_fails("{\"image\":\"alpine\",\"rootfs\":\"/r\"}",
			"exactly one of image and rootfs");
}

static void
test_from_json_env(void **state)
{
	from_json_fails("{\"rootfs\":\"/r\",\"env\":[\"NOEQUALS\"]}", "params.env[0]");
	from_json_fails("{\"rootfs\":\"/r\",\"env\":[\"A=1\",\"=value\"]}", "params.env[1]");
	from_json_fails("{\"rootfs\":\"/r\",\"env\":[\"A=1\",\"B=2\",\"\"]}", "params.env[2]");
	from_json_fails("{\"rootfs\":\"/r\",\"env\":[\"NOEQUALS\"]}", "KEY=VALUE");
}

static void
test_from_json_dotdot(void **state)
{
	from_json_fails("{\"rootfs\":\"/a/../b\"}", "params.rootfs");
	from_json_fails("{\"rootfs\":\"/..\"}", "params.rootfs");
	from_json_fails("{\"rootfs\":\"/r\",\"cwd\":\"/srv/..\"}", "params.cwd");
	from_json_fails("{\"rootfs\":\"/r\",\"cwd\":\"/../etc\"}", "params.cwd");
	from_json_fails("{\"rootfs\":\"/r\",\"mounts\":[{\"source\":\"/a/../../etc\","
			"\"destination\":\"/x\"}]}",
			"params.mounts[0]");
	from_json_fails("{\"rootfs\":\"/r\",\"mounts\":[{\"source\":\"/a\",\"destination\":\"/x\"},"
			"{\"source\":\"/b\",\"destination\":\"/y/..\"}]}",
			"params.mounts[1]");
	from_json_fails("{\"rootfs\":\"/r\",\"tmpfs\":[\"/tmp\",\"/run/../..\"]}",
			"params.tmpfs[1]");

	/* Names that merely contain dots are fine. */
	struct ctr_spec spec;
	from_json_ok("{\"rootfs\":\"/a/..b/...\",\"cwd\":\"/.x/x..\","
		     "\"mounts\":[{\"source\":\"/..data\",\"destination\":\"/data..\"}],"
		     "\"tmpfs\":[\"/.../t\"]}",
		     &spec);
	assert_string_equal(spec.rootfs, "/a/..b/...");
	assert_string_equal(spec.cwd, "/.x/x..");
	assert_string_equal(spec.mounts[0].source, "/..data");
	assert_string_equal(spec.mounts[0].destination, "/data..");
	assert_string_equal(spec.tmpfs[0], "/.../t");
	spec_free(&spec);
}

static void
test_from_json_normalises_paths(void **state)
{
	struct ctr_spec spec;

	assert_rootfs_clean("//a/./b/", "/a/b");
	assert_rootfs_clean("/", "/");
	assert_rootfs_clean("//", "/");
	assert_rootfs_clean("/./", "/");
	assert_rootfs_clean("/.", "/");
	assert_rootfs_clean("/a", "/a");
	assert_rootfs_clean("/a//////b", "/a/b");
	assert_rootfs_clean("/a/./././b/.", "/a/b");
	assert_rootfs_clean("/.a/b./c", "/.a/b./c");

	from_json_ok("{\"rootfs\":\"/r\",\"cwd\":\"//srv/./app/\","
		     "\"mounts\":[{\"source\":\"/data//x/.\",\"destination\":\"/mnt/./d/\"}],"
		     "\"tmpfs\":[\"/tmp/\",\"//run//user/\"]}",
		     &spec);
	assert_string_equal(spec.cwd, "/srv/app");
	assert_string_equal(spec.mounts[0].source, "/data/x");
	assert_string_equal(spec.mounts[0].destination, "/mnt/d");
	assert_string_equal(spec.tmpfs[0], "/tmp");
	assert_string_equal(spec.tmpfs[1], "/run/user");
	spec_free(&spec);

	from_json_ok("{\"rootfs\":\"/r\",\"cwd\":\"/./\"}", &spec);
	assert_string_equal(spec.cwd, "/");
	spec_free(&spec);
}

static void
test_from_json_root_mounts_refused(void **state)
{
	from_json_fails(
		"{\"rootfs\":\"/r\",\"mounts\":[{\"source\":\"/a\",\"destination\":\"/\"}]}",
		"params.mounts[0].destination");
	from_json_fails(
		"{\"rootfs\":\"/r\",\"mounts\":[{\"source\":\"/a\",\"destination\":\"//\"}]}",
		"cannot mount over /");
	from_json_fails("{\"rootfs\":\"/r\",\"mounts\":[{\"source\":\"/a\",\"destination\":\"/b\"},"
			"{\"source\":\"/a\",\"destination\":\"/./\"}]}",
			"params.mounts[1].destination");
	from_json_fails("{\"rootfs\":\"/r\",\"tmpfs\":[\"/\"]}", "params.tmpfs[0]");
	from_json_fails("{\"rootfs\":\"/r\",\"tmpfs\":[\"/tmp\",\"//.//\"]}", "params.tmpfs[1]");

	/* "/" as a mount source is fine: the host root, read-only maybe. */
	struct ctr_spec spec;
	from_json_ok("{\"rootfs\":\"/r\",\"mounts\":[{\"source\":\"/\",\"destination\":\"/host\","
		     "\"readonly\":true}]}",
		     &spec);
	assert_string_equal(spec.mounts[0].source, "/");
	spec_free(&spec);
}

static void
test_from_json_hostname(void **state)
{
	from_json_fails("{\"rootfs\":\"/r\",\"hostname\":\"-bad\"}", "params.hostname");
	from_json_fails("{\"rootfs\":\"/r\",\"hostname\":\"a_b\"}", "not a valid host name");
	from_json_fails("{\"rootfs\":\"/r\",\"hostname\":\"a..b\"}", "params.hostname");

	struct ctr_spec spec;
	from_json_ok("{\"rootfs\":\"/r\",\"hostname\":\"ok-name\"}", &spec);
	assert_string_equal(spec.hostname, "ok-name");
	spec_free(&spec);
}

/* ------------------------------------------------------------------ to JSON */

static void
test_to_json(void **state)
{
	struct ctr_spec spec;

	from_json_ok("{\"rootfs\":\"//r/\",\"command\":[\"sh\"],\"mounts\":[{\"source\":\"/a/\","
		     "\"destination\":\"/b\",\"readonly\":true}],\"tmpfs\":[\"/t/\"]}",
		     &spec);
	json_t *o = spec_to_json(&spec);
	spec_free(&spec);

	json_t *want = load(
		"{\"rootfs\":\"/r\",\"command\":[\"sh\"],\"env\":[],\"cwd\":\"/\","
		"\"detach\":false,\"rm\":false,\"interactive\":false,\"tty\":false,"
		"\"read_only\":false,\"mounts\":[{\"source\":\"/a\",\"destination\":"
		"\"/b\",\"readonly\":true}],\"tmpfs\":[\"/t\"],\"network\":\"none\","
		"\"cap_add\":[],\"cap_drop\":[],\"seccomp\":\"default\",\"userns\":false,"
		"\"memory\":0,\"memory_swap\":0,\"cpus\":0.0,\"cpu_shares\":0,"
		"\"cpuset_cpus\":\"\",\"pids_limit\":0,\"log_max_size\":0,"
		"\"log_max_files\":0,\"restart\":\"no\"}");
	bool equal = json_equal(o, want);
	char *got = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(want);
	json_decref(o);
	if (!equal)
		fail_msg("spec_to_json gave %s", got);
	free(got);

	/* An image spec names its image and no rootfs. */
	from_json_ok("{\"image\":\"alpine\",\"user\":\"1000\",\"hostname\":\"h\"}", &spec);
	o = spec_to_json(&spec);
	spec_free(&spec);
	assert_string_equal(json_string_value(json_object_get(o, "image")), "alpine");
	assert_null(json_object_get(o, "rootfs"));
	assert_string_equal(json_string_value(json_object_get(o, "user")), "1000");
	assert_string_equal(json_string_value(json_object_get(o, "hostname")), "h");
	json_decref(o);
}

static void
test_round_trip(void **state)
{
	static const char *const examples[] = {
		"{\"rootfs\":\"/r\",\"command\":[\"sh\"]}",
		"{\"image\":\"alpine:3\",\"command\":[\"ls\",\"-l\"]}",
		"{\"rootfs\":\"/r\",\"command\":[\"/bin/app\",\"\",\"a b\"],"
		"\"hostname\":\"box.local\",\"env\":[\"A=1\",\"B=\",\"C=x=y\"],"
		"\"cwd\":\"/srv\",\"user\":\"app:staff\",\"detach\":true,\"rm\":true,"
		"\"interactive\":true,\"tty\":true,\"read_only\":true,"
		"\"mounts\":[{\"source\":\"/data\",\"destination\":\"/mnt/data\","
		"\"readonly\":true},{\"source\":\"/a\",\"destination\":\"/b\"}],"
		"\"tmpfs\":[\"/tmp\",\"/run\"],\"network\":\"host\"}",
		"{\"rootfs\":\"//x/./y/\",\"command\":[\"sh\"],\"cwd\":\"/w/\",\"tmpfs\":[\"/t//\"]}",
	};

	for (size_t i = 0; i < ARRAY_SIZE(examples); i++) {
		struct ctr_spec a, b;
		from_json_ok(examples[i], &a);
		json_t *ja = spec_to_json(&a);
		struct ctr_error err = CTR_ERROR_INIT;

		/* The params form passes run's schema, as a client's request would. */
		if (params_validate(params_schema("run"), ja, &err) < 0)
			fail_msg("spec_to_json of %s fails validation: %s", examples[i], err.msg);
		assert_int_equal(spec_from_json(&b, ja, &err), 0);
		json_t *jb = spec_to_json(&b);
		bool equal = json_equal(ja, jb);

		/* And field by field. */
		assert_true((a.image == NULL) == (b.image == NULL));
		if (a.image != NULL)
			assert_string_equal(a.image, b.image);
		assert_true((a.rootfs == NULL) == (b.rootfs == NULL));
		if (a.rootfs != NULL)
			assert_string_equal(a.rootfs, b.rootfs);
		assert_int_equal(strv_length(a.command), strv_length(b.command));
		for (size_t j = 0; j < strv_length(a.command); j++)
			assert_string_equal(a.command[j], b.command[j]);
		assert_int_equal(strv_length(a.env), strv_length(b.env));
		assert_string_equal(a.cwd, b.cwd);
		assert_int_equal(a.nmounts, b.nmounts);
		for (size_t j = 0; j < a.nmounts; j++) {
			assert_string_equal(a.mounts[j].source, b.mounts[j].source);
			assert_string_equal(a.mounts[j].destination, b.mounts[j].destination);
			assert_int_equal(a.mounts[j].readonly, b.mounts[j].readonly);
		}
		assert_int_equal(strv_length(a.tmpfs), strv_length(b.tmpfs));
		assert_int_equal(a.network, b.network);
		assert_int_equal(a.detach, b.detach);
		assert_int_equal(a.rm, b.rm);
		assert_int_equal(a.interactive, b.interactive);
		assert_int_equal(a.tty, b.tty);
		assert_int_equal(a.read_only, b.read_only);

		json_decref(ja);
		json_decref(jb);
		spec_free(&a);
		spec_free(&b);
		assert_true(equal);
	}
}

static void
test_strv_to_json(void **state)
{
	char *v[] = { (char *)"a", (char *)"", (char *)"c d", NULL };
	json_t *arr = spec_strv_to_json(v);

	assert_int_equal(json_array_size(arr), 3);
	assert_string_equal(json_string_value(json_array_get(arr, 0)), "a");
	assert_string_equal(json_string_value(json_array_get(arr, 1)), "");
	assert_string_equal(json_string_value(json_array_get(arr, 2)), "c d");
	json_decref(arr);

	arr = spec_strv_to_json(NULL);
	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_name),
		cmocka_unit_test(test_valid_hostname),
		cmocka_unit_test(test_from_json_defaults),
		cmocka_unit_test(test_from_json_everything),
		cmocka_unit_test(test_from_json_image_or_rootfs),
		cmocka_unit_test(test_from_json_env),
		cmocka_unit_test(test_from_json_dotdot),
		cmocka_unit_test(test_from_json_normalises_paths),
		cmocka_unit_test(test_from_json_root_mounts_refused),
		cmocka_unit_test(test_from_json_hostname),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_strv_to_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
