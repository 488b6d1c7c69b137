/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for proto/params.h: per-method schemas, validation errors that
 * name the field, and the typed getters.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "params.h"

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

static const struct param_spec *
schema(const char *method)
{
	const struct param_spec *s = params_schema(method);

	assert_non_null(s);
	return s;
}

/* Validates params (stolen) against method's schema; it must pass. */
static void
valid(const char *method, json_t *params)
{
	struct ctr_error err = CTR_ERROR_INIT;
	int rc = params_validate(schema(method), params, &err);
	char *text = json_dumps(params, JSON_COMPACT);

	json_decref(params);
	if (rc != 0)
		fail_msg("%s %s: rejected: %s", method, text, err.msg);
	free(text);
	assert_int_equal(err.code, 0);
	assert_null(err.msg);
}

/*
 * Validates params (stolen) against method's schema: it must fail with
 * CTR_E_INVALID_PARAMS and a message that starts with "<path>:" and
 * contains what (if not NULL).
 */
static void
invalid(const char *method, json_t *params, const char *path, const char *what)
{
	struct ctr_error err = CTR_ERROR_INIT;
	int rc = params_validate(schema(method), params, &err);
	char *text = json_dumps(params, JSON_COMPACT);
	char *prefix = xasprintf("%s: ", path);

	json_decref(params);
	if (rc != -1)
		fail_msg("%s %s: accepted", method, text);
	if (err.code != CTR_E_INVALID_PARAMS)
		fail_msg("%s %s: code %d", method, text, err.code);
	if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
		fail_msg("%s %s: \"%s\" does not name %s", method, text, err.msg, path);
	if (what != NULL && strstr(err.msg, what) == NULL)
		fail_msg("%s %s: \"%s\" does not say \"%s\"", method, text, err.msg, what);
	free(text);
	free(prefix);
	ctr_error_clear(&err);
}

#define VALID(method, text)		  valid(method, load(text))
#define INVALID(method, text, path, what) invalid(method, load(text), path, what)

/* {"<name>": "<c repeated n times>"} with a leading '/' if abs. */
static json_t *
long_string_param(const char *name, size_t n, bool abs)
{
	char *s = xmalloc(n + 1);

	memset(s, 'x', n);
	if (abs && n > 0)
		s[0] = '/';
	s[n] = '\0';
	json_t *o = json_pack("{s:s}", name, s);
	free(s);
	return o;
}

/* {"<name>": [n items of item]} */
static json_t *
long_array_param(const char *name, size_t n, json_t *item)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append(arr, item);
	json_decref(item);
	return json_pack("{s:o}", name, arr);
}

/* ------------------------------------------------------------------- schemas */

static void
test_schema_every_method(void **state)
{
	size_t n = 0;

	for (const char *const *m = params_methods; *m != NULL; m++, n++) {
		const struct param_spec *s = params_schema(*m);
		if (s == NULL) {
			fail_msg("no schema for %s", *m);
			return;
		}
		/* Field names are unique within a schema. */
		for (const struct param_spec *p = s; p->name != NULL; p++)
			for (const struct param_spec *q = p + 1; q->name != NULL; q++)
				assert_string_not_equal(p->name, q->name);
	}
	/* The methods of the protocol so far are all listed (more may come). */
	static const char *const known[] = {
		"version", "run", "ps", "inspect", "stop", "kill", "rm", "wait", "logs",
	};
	assert_true(n >= ARRAY_SIZE(known));
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		size_t seen = 0;
		for (const char *const *m = params_methods; *m != NULL; m++)
			seen += strcmp(*m, known[i]) == 0;
		if (seen != 1)
			fail_msg("%s is listed %zu times in params_methods", known[i], seen);
		assert_non_null(params_schema(known[i]));
	}
	assert_null(params_schema("nope"));
	assert_null(params_schema(""));
	assert_null(params_schema("RUN"));
	assert_null(params_schema("run "));
	assert_null(params_schema("rpc.discover"));
}

static void
test_empty_params(void **state)
{
	VALID("version", "{}");
	VALID("ps", "{}");
	/* run's image/rootfs rule lives in spec_from_json, not in the schema. */
	VALID("run", "{}");
	INVALID("inspect", "{}", "params.id", "required");
	INVALID("stop", "{}", "params.id", "required");
	INVALID("kill", "{}", "params.id", "required");
	INVALID("rm", "{}", "params.id", "required");
	INVALID("wait", "{}", "params.id", "required");
	INVALID("logs", "{}", "params.id", "required");
}

static void
test_valid_examples(void **state)
{
	VALID("ps", "{\"all\":true}");
	VALID("ps", "{\"fields\":[\"id\"]}");
	VALID("ps", "{\"all\":false,\"fields\":[\"short_id\",\"name\",\"command\",\"id\"]}");
	VALID("inspect", "{\"id\":\"a1b2c3\"}");
	VALID("stop", "{\"id\":\"web\",\"timeout\":0,\"signal\":\"SIGINT\"}");
	VALID("stop", "{\"id\":\"web\",\"timeout\":86400,\"signal\":15}");
	VALID("kill", "{\"id\":\"web\",\"signal\":\"KILL\"}");
	VALID("kill", "{\"id\":\"web\",\"signal\":\"RTMIN+3\"}");
	VALID("kill", "{\"id\":\"web\",\"signal\":64}");
	VALID("kill", "{\"id\":\"web\",\"signal\":\"9\"}");
	VALID("rm", "{\"id\":\"web\",\"force\":false}");
	VALID("wait", "{\"id\":\"web\"}");
	VALID("logs", "{\"id\":\"web\",\"follow\":true,\"tail\":-1,"
		      "\"since\":\"2026-11-29T04:12:24Z\"}");
	VALID("logs", "{\"id\":\"web\",\"tail\":9223372036854775807}");
	VALID("logs", "{\"id\":\"web\",\"tail\":0}");
	VALID("run", "{\"rootfs\":\"/var/lib/rootfs\",\"command\":[\"/bin/sh\",\"-c\",\"\"],"
		     "\"name\":\"web-1\",\"hostname\":\"web\",\"env\":[\"A=1\",\"B=\"],"
		     "\"cwd\":\"/srv\",\"user\":\"1000:1000\",\"detach\":true,\"rm\":false,"
		     "\"interactive\":false,\"tty\":false,\"read_only\":true,"
		     "\"mounts\":[{\"source\":\"/data\",\"destination\":\"/data\","
		     "\"readonly\":true},{\"source\":\"/a\",\"destination\":\"/b\"}],"
		     "\"tmpfs\":[\"/tmp\",\"/run\"],\"network\":\"host\"}");
	VALID("run", "{\"image\":\"alpine:3\",\"network\":\"none\",\"env\":[],\"mounts\":[],"
		     "\"tmpfs\":[]}");
}

/* ------------------------------------------------------------------ rejected */

static void
test_unknown_fields(void **state)
{
	INVALID("version", "{\"x\":1}", "params.x", "unknown field");
	INVALID("ps", "{\"all\":true,\"bogus\":1}", "params.bogus", "unknown field");
	INVALID("inspect", "{\"id\":\"x\",\"ID\":\"y\"}", "params.ID", "unknown field");
	INVALID("run",
		"{\"rootfs\":\"/r\",\"mounts\":[{\"source\":\"/a\",\"destination\":\"/b\","
		"\"options\":\"rbind\"}]}",
		"params.mounts[0].options", "unknown field");
}

static void
test_wrong_types(void **state)
{
	/* string */
	INVALID("run", "{\"name\":5}", "params.name", "expected a string");
	INVALID("inspect", "{\"id\":null}", "params.id", "expected a string");
	INVALID("inspect", "{\"id\":[\"x\"]}", "params.id", "expected a string");
	/* int */
	INVALID("stop", "{\"id\":\"x\",\"timeout\":\"10\"}", "params.timeout",
		"expected an integer");
	INVALID("stop", "{\"id\":\"x\",\"timeout\":1.5}", "params.timeout", "expected an integer");
	INVALID("stop", "{\"id\":\"x\",\"timeout\":true}", "params.timeout", "expected an integer");
	/* bool */
	INVALID("ps", "{\"all\":\"yes\"}", "params.all", "expected true or false");
	INVALID("ps", "{\"all\":1}", "params.all", "expected true or false");
	INVALID("ps", "{\"fields\":[]}", "params.fields", "must not be empty");
	INVALID("ps", "{\"fields\":\"id\"}", "params.fields", "expected an array");
	INVALID("ps", "{\"fields\":[\"id\",\"bogus\"]}", "params.fields[1]",
		"not one of the allowed values");
	INVALID("ps", "{\"fields\":[\"id\",7]}", "params.fields[1]", "expected a string");
	INVALID("ps", "{\"all\":null}", "params.all", "expected true or false");
	/* array of strings */
	INVALID("run", "{\"command\":\"ls\"}", "params.command", "expected an array");
	INVALID("run", "{\"command\":{}}", "params.command", "expected an array");
	INVALID("run", "{\"command\":[\"ls\",1]}", "params.command[1]", "expected a string");
	INVALID("run", "{\"env\":[null]}", "params.env[0]", "expected a string");
	/* array of objects */
	INVALID("run", "{\"mounts\":{}}", "params.mounts", "expected an array");
	INVALID("run", "{\"mounts\":[1]}", "params.mounts[0]", "expected an object");
	INVALID("run", "{\"mounts\":[{\"source\":\"/a\",\"destination\":\"/b\"},[]]}",
		"params.mounts[1]", "expected an object");
	INVALID("run", "{\"mounts\":[{\"source\":\"/a\",\"destination\":\"/b\",\"readonly\":1}]}",
		"params.mounts[0].readonly", "expected true or false");
}

static void
test_required_missing(void **state)
{
	INVALID("kill", "{\"signal\":\"TERM\"}", "params.id", "required");
	INVALID("run", "{\"mounts\":[{\"source\":\"/a\"}]}", "params.mounts[0].destination",
		"required");
	INVALID("run",
		"{\"mounts\":[{\"source\":\"/a\",\"destination\":\"/b\"},"
		"{\"destination\":\"/c\"}]}",
		"params.mounts[1].source", "required");
}

static void
test_empty_strings(void **state)
{
	INVALID("inspect", "{\"id\":\"\"}", "params.id", "must not be empty");
	INVALID("run", "{\"name\":\"\"}", "params.name", "must not be empty");
	INVALID("run", "{\"image\":\"\"}", "params.image", "must not be empty");
	INVALID("run", "{\"user\":\"\"}", "params.user", "must not be empty");
	INVALID("logs", "{\"id\":\"x\",\"since\":\"\"}", "params.since", "must not be empty");
	/* A non-empty array may hold empty strings, but must not be empty itself. */
	INVALID("run", "{\"command\":[]}", "params.command", "must not be empty");
	VALID("run", "{\"command\":[\"\"]}");
	VALID("run", "{\"env\":[]}");
}

static void
test_absolute_paths(void **state)
{
	INVALID("run", "{\"rootfs\":\"relative/dir\"}", "params.rootfs", "absolute path");
	INVALID("run", "{\"rootfs\":\"\"}", "params.rootfs", "absolute path");
	INVALID("run", "{\"cwd\":\"srv\"}", "params.cwd", "absolute path");
	INVALID("run", "{\"cwd\":\"./srv\"}", "params.cwd", "absolute path");
	INVALID("run", "{\"tmpfs\":[\"/tmp\",\"run\"]}", "params.tmpfs[1]", "absolute path");
	INVALID("run", "{\"mounts\":[{\"source\":\"data\",\"destination\":\"/data\"}]}",
		"params.mounts[0].source", "absolute path");
	INVALID("run",
		"{\"mounts\":[{\"source\":\"/a\",\"destination\":\"/b\"},"
		"{\"source\":\"/c\",\"destination\":\"d\"}]}",
		"params.mounts[1].destination", "absolute path");
	VALID("run", "{\"rootfs\":\"/\",\"cwd\":\"/\"}");
}

static void
test_embedded_nul(void **state)
{
	invalid("inspect", json_pack("{s:o}", "id", json_stringn("a\0b", 3)), "params.id", "NUL");
	invalid("run", json_pack("{s:o}", "rootfs", json_stringn("/a\0/b", 5)), "params.rootfs",
		"NUL");
	invalid("run", json_pack("{s:[s,o]}", "command", "sh", json_stringn("x\0", 2)),
		"params.command[1]", "NUL");
	invalid("run",
		json_pack("{s:[{s:o,s:s}]}", "mounts", "source", json_stringn("/\0", 2),
			  "destination", "/d"),
		"params.mounts[0].source", "NUL");
	invalid("run", json_pack("{s:o}", "network", json_stringn("host\0", 5)), "params.network",
		"NUL");
}

static void
test_long_strings(void **state)
{
	/* name: 128 bytes at most. */
	valid("run", long_string_param("name", 128, false));
	invalid("run", long_string_param("name", 129, false), "params.name", "longer than 128");
	/* image: 128, as PROTOCOL.md says. */
	valid("run", long_string_param("image", 128, false));
	invalid("run", long_string_param("image", 129, false), "params.image", "longer than 128");
	/* id: 256. */
	valid("inspect", long_string_param("id", 256, false));
	invalid("inspect", long_string_param("id", 257, false), "params.id", "longer than 256");
	/* The default: PARAM_DEFAULT_MAX_LEN. */
	valid("run", long_string_param("rootfs", PARAM_DEFAULT_MAX_LEN, true));
	invalid("run", long_string_param("rootfs", PARAM_DEFAULT_MAX_LEN + 1, true),
		"params.rootfs", "longer than 4096");
	/* Array items have the field's limit: 128 KiB for command. */
	char *big = xmalloc(128 * 1024 + 2);
	memset(big, 'a', 128 * 1024 + 1);
	big[128 * 1024 + 1] = '\0';
	invalid("run", json_pack("{s:[s,s]}", "command", "echo", big), "params.command[1]",
		"longer than 131072");
	big[128 * 1024] = '\0';
	valid("run", json_pack("{s:[s,s]}", "command", "echo", big));
	free(big);
}

static void
test_long_arrays(void **state)
{
	valid("run", long_array_param("command", 4096, json_string("a")));
	invalid("run", long_array_param("command", 4097, json_string("a")), "params.command",
		"more than 4096 items");
	valid("run", long_array_param("env", 4096, json_string("A=1")));
	invalid("run", long_array_param("env", 4097, json_string("A=1")), "params.env",
		"more than 4096 items");
	valid("run", long_array_param("tmpfs", 256, json_string("/t")));
	invalid("run", long_array_param("tmpfs", 257, json_string("/t")), "params.tmpfs",
		"more than 256 items");
	json_t *mount = json_pack("{s:s,s:s}", "source", "/a", "destination", "/b");
	valid("run", long_array_param("mounts", 256, json_incref(mount)));
	invalid("run", long_array_param("mounts", 257, json_incref(mount)), "params.mounts",
		"more than 256 items");
	json_decref(mount);
}

static void
test_int_ranges(void **state)
{
	INVALID("stop", "{\"id\":\"x\",\"timeout\":86401}", "params.timeout", "out of range");
	INVALID("stop", "{\"id\":\"x\",\"timeout\":-1}", "params.timeout", "out of range");
	INVALID("stop", "{\"id\":\"x\",\"timeout\":9223372036854775807}", "params.timeout",
		"out of range");
	VALID("stop", "{\"id\":\"x\",\"timeout\":86400}");
	VALID("stop", "{\"id\":\"x\",\"timeout\":0}");
	INVALID("logs", "{\"id\":\"x\",\"tail\":-2}", "params.tail", "out of range");
	INVALID("logs", "{\"id\":\"x\",\"tail\":-9223372036854775807}", "params.tail",
		"out of range");
	VALID("logs", "{\"id\":\"x\",\"tail\":-1}");
	VALID("logs", "{\"id\":\"x\",\"tail\":1000000}");
}

static void
test_choices(void **state)
{
	INVALID("run", "{\"network\":\"bridge\"}", "params.network", "\"bridge\" is not one of");
	INVALID("run", "{\"network\":\"NONE\"}", "params.network", "not one of");
	INVALID("run", "{\"network\":\"\"}", "params.network", "not one of");
	INVALID("run", "{\"network\":\"host \"}", "params.network", "not one of");
	INVALID("run", "{\"network\":1}", "params.network", "expected a string");
	VALID("run", "{\"network\":\"none\"}");
	VALID("run", "{\"network\":\"host\"}");
}

static void
test_signals(void **state)
{
	static const char *const bad[] = {
		"\"SIGFOO\"", "0",   "99",   "65",   "-1",  "\"\"",    "\"0\"",
		"\"99\"",     "1.5", "true", "null", "[9]", "\"SIG\"", "\"RTMIN+99\"",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *text = xasprintf("{\"id\":\"x\",\"signal\":%s}", bad[i]);
		INVALID("kill", text, "params.signal", "not a signal");
		free(text);
	}
	INVALID("stop", "{\"id\":\"x\",\"signal\":\"SIGFOO\"}", "params.signal", "not a signal");
	VALID("kill", "{\"id\":\"x\",\"signal\":1}");
	VALID("kill", "{\"id\":\"x\",\"signal\":\"hup\"}");
	VALID("kill", "{\"id\":\"x\",\"signal\":\"SIGRTMAX\"}");
}

static void
test_nested_error_paths(void **state)
{
	INVALID("run",
		"{\"mounts\":[{\"source\":\"/a\",\"destination\":\"/b\"},"
		"{\"source\":5,\"destination\":\"/c\"}]}",
		"params.mounts[1].source", "expected a string");
	INVALID("run",
		"{\"mounts\":[{\"source\":\"/a\",\"destination\":\"/b\"},"
		"{\"source\":\"rel\",\"destination\":\"/c\"}]}",
		"params.mounts[1].source", "\"rel\"");
	INVALID("run", "{\"command\":[\"a\",\"b\",\"c\",{}]}", "params.command[3]",
		"expected a string");
}

static void
test_params_not_object(void **state)
{
	struct ctr_error err = CTR_ERROR_INIT;
	json_t *arr = json_array();

	assert_int_equal(params_validate(schema("ps"), arr, &err), -1);
	assert_int_equal(err.code, CTR_E_INVALID_PARAMS);
	assert_non_null(strstr(err.msg, "params"));
	ctr_error_clear(&err);
	json_decref(arr);

	assert_int_equal(params_validate(schema("version"), NULL, &err), -1);
	assert_int_equal(err.code, CTR_E_INVALID_PARAMS);
	ctr_error_clear(&err);
}

/* Field types the built-in schemas do not use yet: PARAM_OBJECT, PARAM_NUMBER. */
static const struct param_spec inner_fields[] = {
	{ "n", PARAM_NUMBER, PARAM_REQUIRED, -1, 1 },
	{ "tag", PARAM_STRING, 0, .max_len = 3 },
	{ NULL },
};

static const struct param_spec custom_spec[] = {
	{ "obj", PARAM_OBJECT, 0, .fields = inner_fields },
	{ "ratio", PARAM_NUMBER, 0, 0, 100 },
	{ "any", PARAM_NUMBER },
	{ NULL },
};

static void
custom_check(const char *text, const char *path, const char *what)
{
	struct ctr_error err = CTR_ERROR_INIT;
	json_t *params = load(text);
	int rc = params_validate(custom_spec, params, &err);

	json_decref(params);
	if (path == NULL) {
		if (rc != 0)
			fail_msg("%s: rejected: %s", text, err.msg);
		return;
	}
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, CTR_E_INVALID_PARAMS);
	if (strstr(err.msg, path) != err.msg || strstr(err.msg, what) == NULL)
		fail_msg("%s: \"%s\" should name %s and say %s", text, err.msg, path, what);
	ctr_error_clear(&err);
}

static void
test_custom_object_and_number(void **state)
{
	custom_check("{\"obj\":{\"n\":0.5,\"tag\":\"abc\"}}", NULL, NULL);
	custom_check("{\"obj\":{\"n\":-1}}", NULL, NULL);
	custom_check("{\"ratio\":100,\"any\":-1e300}", NULL, NULL);
	custom_check("{\"ratio\":0.0}", NULL, NULL);
	custom_check("{\"obj\":{\"n\":2}}", "params.obj.n", "out of range");
	custom_check("{\"obj\":{\"n\":-1.5}}", "params.obj.n", "out of range");
	custom_check("{\"obj\":{}}", "params.obj.n", "required");
	custom_check("{\"obj\":[]}", "params.obj", "expected an object");
	custom_check("{\"obj\":{\"n\":0,\"tag\":\"abcd\"}}", "params.obj.tag", "longer than 3");
	custom_check("{\"obj\":{\"n\":0,\"x\":1}}", "params.obj.x", "unknown field");
	custom_check("{\"ratio\":100.5}", "params.ratio", "out of range");
	custom_check("{\"ratio\":\"1\"}", "params.ratio", "expected a number");
	custom_check("{\"any\":true}", "params.any", "expected a number");
}

/* ------------------------------------------------------------------- getters */

static void
test_getters(void **state)
{
	json_t *p = load("{\"s\":\"str\",\"i\":42,\"neg\":-7,\"r\":2.5,\"t\":true,\"f\":false,"
			 "\"sig\":\"TERM\",\"signum\":9,\"sigrt\":\"RTMIN+1\",\"null\":null}");

	assert_string_equal(params_str(p, "s", "def"), "str");
	assert_string_equal(params_str(p, "missing", "def"), "def");
	assert_null(params_str(p, "missing", NULL));
	assert_string_equal(params_str(p, "i", "def"), "def");

	assert_int_equal(params_int(p, "i", 0), 42);
	assert_int_equal(params_int(p, "neg", 0), -7);
	assert_int_equal(params_int(p, "missing", 5), 5);
	assert_int_equal(params_int(p, "r", 5), 5);
	assert_int_equal(params_int(p, "s", 5), 5);

	assert_true(params_number(p, "r", 0) == 2.5);
	assert_true(params_number(p, "i", 0) == 42.0);
	assert_true(params_number(p, "missing", 1.25) == 1.25);
	assert_true(params_number(p, "t", 1.25) == 1.25);

	assert_true(params_bool(p, "t", false));
	assert_false(params_bool(p, "f", true));
	assert_true(params_bool(p, "missing", true));
	assert_false(params_bool(p, "missing", false));
	assert_false(params_bool(p, "null", false));
	assert_true(params_bool(p, "i", true));

	assert_int_equal(params_signal(p, "sig", 0), SIGTERM);
	assert_int_equal(params_signal(p, "signum", 0), SIGKILL);
	assert_int_equal(params_signal(p, "sigrt", 0), SIGRTMIN + 1);
	assert_int_equal(params_signal(p, "missing", SIGTERM), SIGTERM);
	json_decref(p);

	/* An empty object: every default. */
	p = json_object();
	assert_string_equal(params_str(p, "x", "d"), "d");
	assert_int_equal(params_int(p, "x", -3), -3);
	assert_int_equal(params_signal(p, "signal", SIGKILL), SIGKILL);
	json_decref(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_every_method),
		cmocka_unit_test(test_empty_params),
		cmocka_unit_test(test_valid_examples),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_required_missing),
		cmocka_unit_test(test_empty_strings),
		cmocka_unit_test(test_absolute_paths),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_long_strings),
		cmocka_unit_test(test_long_arrays),
		cmocka_unit_test(test_int_ranges),
		cmocka_unit_test(test_choices),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_nested_error_paths),
		cmocka_unit_test(test_params_not_object),
		cmocka_unit_test(test_custom_object_and_number),
		cmocka_unit_test(test_getters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
