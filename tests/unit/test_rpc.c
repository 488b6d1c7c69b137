/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for proto/rpc.h: decoding JSON-RPC 2.0 lines and encoding them.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rpc.h"

#define FFFD "\xef\xbf\xbd"

/* ------------------------------------------------------------------ helpers */

static int
parse_str(const char *line, struct rpc_msg *msg, struct ctr_error *err)
{
	return rpc_parse(line, strlen(line), msg, err);
}

/* Parses line, which must fail with code; returns the integer id recovered, or -1 for none. */
static json_int_t
parse_fails(const char *line, int code)
{
	struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;
	json_int_t id = -1;

	if (parse_str(line, &msg, &err) != -1)
		fail_msg("rpc_parse accepted %s", line);
	if (err.code != code)
		fail_msg("rpc_parse(%s): code %d, want %d (%s)", line, err.code, code, err.msg);
	assert_non_null(err.msg);
	if (msg.id != NULL) {
		assert_true(json_is_integer(msg.id) || json_is_null(msg.id) ||
			    json_is_string(msg.id));
		id = json_is_integer(msg.id) ? json_integer_value(msg.id) : -2;
	}
	rpc_msg_clear(&msg);
	assert_null(msg.root);
	ctr_error_clear(&err);
	return id;
}

/* An encoded line is one line of compact JSON: no '\n', NUL-terminated at len. */
static void
assert_line(const char *line, size_t len)
{
	assert_non_null(line);
	assert_int_equal(strlen(line), len);
	assert_null(memchr(line, '\n', len));
}

/* ------------------------------------------------------------------ requests */

static void
test_parse_request_int_id(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;

	assert_int_equal(parse_str("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ps\","
				   "\"params\":{\"all\":true}}",
				   &msg, &err),
			 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(msg.kind, RPC_REQUEST);
	assert_non_null(msg.root);
	assert_true(json_is_integer(msg.id));
	assert_int_equal(json_integer_value(msg.id), 1);
	assert_string_equal(msg.method, "ps");
	assert_true(json_is_object(msg.params));
	assert_int_equal(json_object_size(msg.params), 1);
	assert_true(json_is_true(json_object_get(msg.params, "all")));
	rpc_msg_clear(&msg);
	assert_null(msg.root);
	assert_null(msg.id);

	/* Big ids survive. */
	assert_int_equal(parse_str("{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"method\":\"x\"}",
				   &msg, &err),
			 0);
	assert_true(json_integer_value(msg.id) == 9007199254740993LL);
	rpc_msg_clear(&msg);
	assert_int_equal(parse_str("{\"method\":\"x\",\"id\":-5,\"jsonrpc\":\"2.0\"}", &msg, &err),
			 0);
	assert_int_equal(json_integer_value(msg.id), -5);
	rpc_msg_clear(&msg);
}

static void
test_parse_request_string_and_null_id(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;

	assert_int_equal(parse_str("{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"inspect\","
				   "\"params\":{\"id\":\"x\"}}",
				   &msg, &err),
			 0);
	assert_int_equal(msg.kind, RPC_REQUEST);
	assert_string_equal(json_string_value(msg.id), "abc");
	assert_string_equal(msg.method, "inspect");
	assert_string_equal(json_string_value(json_object_get(msg.params, "id")), "x");
	rpc_msg_clear(&msg);

	/* A null id is still an id: a request, not a notification. */
	assert_int_equal(
		parse_str("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"version\"}", &msg, &err),
		0);
	assert_int_equal(msg.kind, RPC_REQUEST);
	assert_non_null(msg.id);
	assert_true(json_is_null(msg.id));
	rpc_msg_clear(&msg);

	assert_int_equal(
		parse_str("{\"jsonrpc\":\"2.0\",\"id\":\"\",\"method\":\"version\"}", &msg, &err),
		0);
	assert_string_equal(json_string_value(msg.id), "");
	rpc_msg_clear(&msg);
}

static void
test_parse_notification(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;

	assert_int_equal(
		parse_str("{\"jsonrpc\":\"2.0\",\"method\":\"cancel\",\"params\":{\"n\":3}}", &msg,
			  &err),
		0);
	assert_int_equal(msg.kind, RPC_NOTIFICATION);
	assert_null(msg.id);
	assert_string_equal(msg.method, "cancel");
	assert_int_equal(json_integer_value(json_object_get(msg.params, "n")), 3);
	rpc_msg_clear(&msg);
}

static void
test_parse_params_absent(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;

	assert_int_equal(
		parse_str("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"version\"}", &msg, &err), 0);
	assert_non_null(msg.params);
	assert_true(json_is_object(msg.params));
	assert_int_equal(json_object_size(msg.params), 0);
	rpc_msg_clear(&msg);

	assert_int_equal(parse_str("{\"jsonrpc\":\"2.0\",\"method\":\"version\"}", &msg, &err), 0);
	assert_true(json_is_object(msg.params));
	assert_int_equal(json_object_size(msg.params), 0);
	rpc_msg_clear(&msg);

	assert_int_equal(
		parse_str("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"version\",\"params\":{}}",
			  &msg, &err),
		0);
	assert_true(json_is_object(msg.params));
	assert_int_equal(json_object_size(msg.params), 0);
	rpc_msg_clear(&msg);
}

static void
test_parse_params_not_object(void **state)
{
	assert_int_equal(
		parse_fails("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ps\",\"params\":[1]}",
			    CTR_E_INVALID_PARAMS),
		7);
	assert_int_equal(
		parse_fails("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ps\",\"params\":\"x\"}",
			    CTR_E_INVALID_PARAMS),
		8);
	assert_int_equal(
		parse_fails("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ps\",\"params\":null}",
			    CTR_E_INVALID_PARAMS),
		9);
	assert_int_equal(
		parse_fails("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"ps\",\"params\":3}",
			    CTR_E_INVALID_PARAMS),
		10);
	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0\",\"method\":\"ps\",\"params\":[]}",
				     CTR_E_INVALID_PARAMS),
			 -1);
}

/* ----------------------------------------------------------------- responses */

static void
test_parse_result(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;

	assert_int_equal(
		parse_str("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"x\":1}}", &msg, &err), 0);
	assert_int_equal(msg.kind, RPC_RESULT);
	assert_int_equal(json_integer_value(msg.id), 3);
	assert_true(json_is_object(msg.result));
	assert_int_equal(json_integer_value(json_object_get(msg.result, "x")), 1);
	assert_null(msg.method);
	rpc_msg_clear(&msg);

	/* Any JSON value is a result, null included. */
	assert_int_equal(
		parse_str("{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"result\":null}", &msg, &err), 0);
	assert_int_equal(msg.kind, RPC_RESULT);
	assert_non_null(msg.result);
	assert_true(json_is_null(msg.result));
	rpc_msg_clear(&msg);
	assert_int_equal(parse_str("{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":[1,2]}", &msg, &err),
			 0);
	assert_int_equal(json_array_size(msg.result), 2);
	rpc_msg_clear(&msg);
}

static void
test_parse_error(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;

	assert_int_equal(parse_str("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32001,"
				   "\"message\":\"no such container\",\"data\":{\"errno\":2}}}",
				   &msg, &err),
			 0);
	assert_int_equal(msg.kind, RPC_ERROR);
	assert_int_equal(json_integer_value(msg.id), 3);
	assert_int_equal(msg.code, CTR_E_NOT_FOUND);
	assert_string_equal(msg.message, "no such container");
	assert_non_null(msg.data);
	assert_int_equal(json_integer_value(json_object_get(msg.data, "errno")), 2);
	rpc_msg_clear(&msg);

	/* The id is null when the request could not be read; data is optional. */
	assert_int_equal(parse_str("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
				   "\"message\":\"parse error\"}}",
				   &msg, &err),
			 0);
	assert_int_equal(msg.kind, RPC_ERROR);
	assert_true(json_is_null(msg.id));
	assert_int_equal(msg.code, CTR_E_PARSE);
	assert_string_equal(msg.message, "parse error");
	assert_null(msg.data);
	rpc_msg_clear(&msg);
}

static void
test_parse_bad_responses(void **state)
{
	/* Both result and error, or neither. */
	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,"
				     "\"error\":{\"code\":1,\"message\":\"m\"}}",
				     CTR_E_INVALID_REQUEST),
			 1);
	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0\",\"id\":2}", CTR_E_INVALID_REQUEST), 2);
	/* A response needs an id. */
	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0\",\"result\":1}", CTR_E_INVALID_REQUEST),
			 -1);
	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0\"}", CTR_E_INVALID_REQUEST), -1);
	/* A well-formed error object. */
	parse_fails("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"boom\"}", CTR_E_INVALID_REQUEST);
	parse_fails("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"message\":\"m\"}}",
		    CTR_E_INVALID_REQUEST);
	parse_fails("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"1\",\"message\":\"m\"}}",
		    CTR_E_INVALID_REQUEST);
	parse_fails("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1.5,\"message\":\"m\"}}",
		    CTR_E_INVALID_REQUEST);
	parse_fails("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1}}", CTR_E_INVALID_REQUEST);
	parse_fails("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1,\"message\":null}}",
		    CTR_E_INVALID_REQUEST);
	/* A code wider than an int must not wrap into another code (found by fuzzing). */
	parse_fails("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":4294934528,"
		    "\"message\":\"m\"}}",
		    CTR_E_INVALID_REQUEST);
	parse_fails("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-2147483649,"
		    "\"message\":\"m\"}}",
		    CTR_E_INVALID_REQUEST);
}

/* -------------------------------------------------------------------- errors */

static void
test_parse_bad_json(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"not json",
		"{\"jsonrpc\":}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"x\"} trailing",
		"{\"jsonrpc\":\"2.0\",\"method\":\"x\"}{}",
		"{'jsonrpc':'2.0'}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"x\",}",
		/* Invalid UTF-8 and escaped NUL inside strings. */
		"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\"}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"a\\u0000b\"}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(parse_fails(bad[i], CTR_E_PARSE), -1);

	/* A raw NUL byte in the line. */
	static const char nul[] = "{\"jsonrpc\":\"2.0\",\0\"method\":\"x\"}";
	struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;
	assert_int_equal(rpc_parse(nul, sizeof(nul) - 1, &msg, &err), -1);
	assert_int_equal(err.code, CTR_E_PARSE);
	rpc_msg_clear(&msg);
	ctr_error_clear(&err);

	/* Only len bytes count: a valid prefix of a longer buffer parses. */
	static const char prefix[] = "{\"jsonrpc\":\"2.0\",\"method\":\"x\"}GARBAGE";
	assert_int_equal(rpc_parse(prefix, sizeof(prefix) - 1 - 7, &msg, &err), 0);
	assert_string_equal(msg.method, "x");
	rpc_msg_clear(&msg);
}

static void
test_parse_duplicate_keys(void **state)
{
	parse_fails("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"x\"}", CTR_E_PARSE);
	parse_fails("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"method\":\"y\"}", CTR_E_PARSE);
	/* Deep inside params too. */
	parse_fails("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"run\","
		    "\"params\":{\"mounts\":[{\"source\":\"/a\",\"source\":\"/b\"}]}}",
		    CTR_E_PARSE);
}

static void
test_parse_not_an_object(void **state)
{
	assert_int_equal(parse_fails("[]", CTR_E_INVALID_REQUEST), -1);
	assert_int_equal(parse_fails("[1,2]", CTR_E_INVALID_REQUEST), -1);
	assert_int_equal(parse_fails("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}]",
				     CTR_E_INVALID_REQUEST),
			 -1);
}

/*
 * A JSON scalar is JSON, just not a request: error.h defines CTR_E_PARSE as
 * "the line is not JSON" and CTR_E_INVALID_REQUEST as "JSON, but not a
 * JSON-RPC 2.0 request" (JSON-RPC 2.0 answers -32600 to such input too).
 * json_loadb() without JSON_DECODE_ANY refuses scalars as a parse error.
 */
static void
test_parse_scalar_is_invalid_request(void **state)
{
	static const char *const scalars[] = { "42", "\"str\"", "null", "true", "1.5" };
	int codes[ARRAY_SIZE(scalars)];

	for (size_t i = 0; i < ARRAY_SIZE(scalars); i++) {
		struct ctr_error err = CTR_ERROR_INIT;
		struct rpc_msg msg;
		assert_int_equal(parse_str(scalars[i], &msg, &err), -1);
		codes[i] = err.code;
		rpc_msg_clear(&msg);
		ctr_error_clear(&err);
	}
	for (size_t i = 0; i < ARRAY_SIZE(scalars); i++)
		assert_int_equal(codes[i], CTR_E_INVALID_REQUEST);
}

static void
test_parse_bad_version(void **state)
{
	assert_int_equal(parse_fails("{\"id\":4,\"method\":\"x\"}", CTR_E_INVALID_REQUEST), 4);
	assert_int_equal(parse_fails("{\"jsonrpc\":\"1.0\",\"id\":5,\"method\":\"x\"}",
				     CTR_E_INVALID_REQUEST),
			 5);
	assert_int_equal(
		parse_fails("{\"jsonrpc\":2.0,\"id\":6,\"method\":\"x\"}", CTR_E_INVALID_REQUEST),
		6);
	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0 \",\"id\":7,\"method\":\"x\"}",
				     CTR_E_INVALID_REQUEST),
			 7);
	assert_int_equal(parse_fails("{\"jsonrpc\":null,\"id\":\"s\",\"method\":\"x\"}",
				     CTR_E_INVALID_REQUEST),
			 -2);
	assert_int_equal(parse_fails("{}", CTR_E_INVALID_REQUEST), -1);
}

static void
test_parse_bad_method(void **state)
{
	assert_int_equal(
		parse_fails("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":42}", CTR_E_INVALID_REQUEST),
		1);
	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":null}",
				     CTR_E_INVALID_REQUEST),
			 2);
	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"\"}",
				     CTR_E_INVALID_REQUEST),
			 3);
	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":[\"ps\"]}",
				     CTR_E_INVALID_REQUEST),
			 4);
	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0\",\"method\":{}}", CTR_E_INVALID_REQUEST),
			 -1);
}

static void
test_parse_bad_id(void **state)
{
	/* An id of the wrong type cannot be echoed back. */
	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"x\"}",
				     CTR_E_INVALID_REQUEST),
			 -1);
	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"x\"}",
				     CTR_E_INVALID_REQUEST),
			 -1);
	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"x\"}",
				     CTR_E_INVALID_REQUEST),
			 -1);
}

static void
test_parse_unknown_member(void **state)
{
	struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;

	assert_int_equal(parse_str("{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"ps\",\"foo\":1}",
				   &msg, &err),
			 -1);
	assert_int_equal(err.code, CTR_E_INVALID_REQUEST);
	assert_non_null(strstr(err.msg, "foo"));
	assert_int_equal(json_integer_value(msg.id), 11);
	rpc_msg_clear(&msg);
	ctr_error_clear(&err);

	assert_int_equal(parse_fails("{\"jsonrpc\":\"2.0\",\"method\":\"ps\",\"Params\":{}}",
				     CTR_E_INVALID_REQUEST),
			 -1);
	/* A request is not a response. */
	assert_int_equal(
		parse_fails("{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"ps\",\"result\":1}",
			    CTR_E_INVALID_REQUEST),
		12);
}

/* ------------------------------------------------------------------ encoders */

static void
test_encode_request_round_trip(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;
	size_t len = 0;
	char *line;

	line = rpc_encode_request(5, "ps", json_pack("{s:b}", "all", 1), &len);
	assert_line(line, len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_int_equal(msg.kind, RPC_REQUEST);
	assert_int_equal(json_integer_value(msg.id), 5);
	assert_string_equal(msg.method, "ps");
	assert_true(json_is_true(json_object_get(msg.params, "all")));
	rpc_msg_clear(&msg);

	/* NULL params: an empty object. */
	line = rpc_encode_request(-1, "version", NULL, &len);
	assert_line(line, len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_int_equal(json_integer_value(msg.id), -1);
	assert_true(json_is_object(msg.params));
	assert_int_equal(json_object_size(msg.params), 0);
	rpc_msg_clear(&msg);
}

static void
test_encode_notification_round_trip(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;
	size_t len = 0;
	char *line = rpc_encode_notification("cancel", json_pack("{s:i}", "id", 3), &len);

	assert_line(line, len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_int_equal(msg.kind, RPC_NOTIFICATION);
	assert_null(msg.id);
	assert_string_equal(msg.method, "cancel");
	assert_int_equal(json_integer_value(json_object_get(msg.params, "id")), 3);
	rpc_msg_clear(&msg);

	line = rpc_encode_notification("ping", NULL, &len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_int_equal(json_object_size(msg.params), 0);
	rpc_msg_clear(&msg);
}

static void
test_encode_result_round_trip(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	json_t *id = json_string("req-1");
	struct rpc_msg msg;
	size_t len = 0;
	char *line;

	line = rpc_encode_result(id, json_pack("{s:s,s:i}", "name", "web", "pid", 42), &len);
	assert_line(line, len);
	/* id is borrowed: still ours. */
	assert_int_equal(id->refcount, 1);
	assert_string_equal(json_string_value(id), "req-1");
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_int_equal(msg.kind, RPC_RESULT);
	assert_true(json_equal(msg.id, id));
	assert_string_equal(json_string_value(json_object_get(msg.result, "name")), "web");
	assert_int_equal(json_integer_value(json_object_get(msg.result, "pid")), 42);
	rpc_msg_clear(&msg);
	json_decref(id);

	/* NULL id encodes as null, NULL result as {}. */
	line = rpc_encode_result(NULL, NULL, &len);
	assert_line(line, len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_int_equal(msg.kind, RPC_RESULT);
	assert_true(json_is_null(msg.id));
	assert_true(json_is_object(msg.result));
	assert_int_equal(json_object_size(msg.result), 0);
	rpc_msg_clear(&msg);

	/* An id taken from a parsed request goes back unchanged. */
	json_t *req_id = json_integer(77);
	line = rpc_encode_result(req_id, json_true(), &len);
	json_decref(req_id);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_int_equal(json_integer_value(msg.id), 77);
	assert_true(json_is_true(msg.result));
	rpc_msg_clear(&msg);
}

static void
test_encode_error_round_trip(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	json_t *id = json_integer(9);
	struct rpc_msg msg;
	size_t len = 0;
	char *line;

	line = rpc_encode_error(id, CTR_E_STATE, "not running", json_pack("{s:s}", "k", "v"), &len);
	assert_line(line, len);
	assert_int_equal(id->refcount, 1);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_int_equal(msg.kind, RPC_ERROR);
	assert_int_equal(json_integer_value(msg.id), 9);
	assert_int_equal(msg.code, CTR_E_STATE);
	assert_string_equal(msg.message, "not running");
	assert_string_equal(json_string_value(json_object_get(msg.data, "k")), "v");
	rpc_msg_clear(&msg);
	json_decref(id);

	line = rpc_encode_error(NULL, CTR_E_PARSE, "bad", NULL, &len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_true(json_is_null(msg.id));
	assert_int_equal(msg.code, CTR_E_PARSE);
	assert_null(msg.data);
	rpc_msg_clear(&msg);

	/* A message that is not UTF-8 (a path, say) is sanitized, not dropped. */
	line = rpc_encode_error(NULL, CTR_E_SYSTEM, "open /x\xff: fail", NULL, &len);
	assert_line(line, len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_string_equal(msg.message, "open /x" FFFD ": fail");
	rpc_msg_clear(&msg);
}

static void
test_encode_ctr_error(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct ctr_error e = CTR_ERROR_INIT;
	json_t *id = json_string("r");
	struct rpc_msg msg;
	size_t len = 0;
	char *line;

	ctr_error_set(&e, CTR_E_NOT_FOUND, ENOENT, "no such file %s", "/x");
	line = rpc_encode_ctr_error(id, &e, &len);
	assert_line(line, len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_int_equal(msg.kind, RPC_ERROR);
	assert_string_equal(json_string_value(msg.id), "r");
	assert_int_equal(msg.code, CTR_E_NOT_FOUND);
	assert_string_equal(msg.message, e.msg);
	assert_true(json_is_object(msg.data));
	assert_int_equal(json_integer_value(json_object_get(msg.data, "errno")), ENOENT);
	assert_string_equal(json_string_value(json_object_get(msg.data, "errno_name")), "ENOENT");
	assert_string_equal(json_string_value(json_object_get(msg.data, "reason")), "not_found");
	assert_null(json_object_get(msg.data, "exit_code"));
	rpc_msg_clear(&msg);

	/* An exec failure: exit_code, and no errno when there is none. */
	ctr_error_set(&e, CTR_E_EXEC, 0, "exec foo: not found");
	e.exit_code = 127;
	line = rpc_encode_ctr_error(id, &e, &len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_int_equal(msg.code, CTR_E_EXEC);
	assert_string_equal(msg.message, "exec foo: not found");
	assert_int_equal(json_integer_value(json_object_get(msg.data, "exit_code")), 127);
	assert_null(json_object_get(msg.data, "errno"));
	assert_null(json_object_get(msg.data, "errno_name"));
	assert_string_equal(json_string_value(json_object_get(msg.data, "reason")), "exec_failed");
	rpc_msg_clear(&msg);

	/* An errno without a name still has its number. */
	ctr_error_set(&e, CTR_E_SYSTEM, 0, "odd");
	e.errnum = 200;
	line = rpc_encode_ctr_error(NULL, &e, &len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_int_equal(json_integer_value(json_object_get(msg.data, "errno")), 200);
	assert_null(json_object_get(msg.data, "errno_name"));
	rpc_msg_clear(&msg);

	/* An error never set is an internal error, not code 0. */
	ctr_error_clear(&e);
	line = rpc_encode_ctr_error(NULL, &e, &len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_int_equal(msg.code, CTR_E_INTERNAL);
	assert_string_equal(msg.message, "unknown error");
	assert_null(json_object_get(msg.data, "errno"));
	rpc_msg_clear(&msg);

	json_decref(id);
}

/*
 * An error nobody set goes out as CTR_E_INTERNAL, but data.reason is taken
 * from err->code (0) and says "error": the two disagree.
 */
static void
test_encode_ctr_error_unset_reason(void **state)
{
	struct ctr_error err = CTR_ERROR_INIT, e = CTR_ERROR_INIT;
	struct rpc_msg msg;
	size_t len = 0;
	char *line = rpc_encode_ctr_error(NULL, &e, &len);
	int rc = rpc_parse(line, len, &msg, &err);
	char *reason = rc == 0 ? xstrdup(json_string_value(json_object_get(msg.data, "reason")))
			       : NULL;
	int code = msg.code;

	free(line);
	rpc_msg_clear(&msg);
	ctr_error_clear(&err);
	assert_int_equal(rc, 0);
	assert_int_equal(code, CTR_E_INTERNAL);
	bool ok = strcmp(reason, "internal_error") == 0;
	free(reason);
	assert_true(ok);
}

static void
test_encode_no_newline(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;
	size_t len = 0;
	char *line;

	line = rpc_encode_request(1, "a\nb", json_pack("{s:s}", "x", "line1\nline2\r\n"), &len);
	assert_line(line, len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_string_equal(msg.method, "a\nb");
	assert_string_equal(json_string_value(json_object_get(msg.params, "x")),
			    "line1\nline2\r\n");
	rpc_msg_clear(&msg);

	line = rpc_encode_result(NULL, json_pack("{s:[s,s]}", "data", "out\n", "\n\n"), &len);
	assert_line(line, len);
	free(line);

	line = rpc_encode_error(NULL, CTR_E_SYSTEM, "multi\nline\nmessage\n", NULL, &len);
	assert_line(line, len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_string_equal(msg.message, "multi\nline\nmessage\n");
	rpc_msg_clear(&msg);

	struct ctr_error e = CTR_ERROR_INIT;
	ctr_error_set(&e, CTR_E_EXEC, 0, "exec:\n%s", "bad\n");
	line = rpc_encode_ctr_error(NULL, &e, &len);
	assert_line(line, len);
	free(line);
	ctr_error_clear(&e);
}

static void
test_string_sanitized(void **state)
{
	json_t *s;

	s = rpc_string_sanitized("plain", 5);
	assert_string_equal(json_string_value(s), "plain");
	json_decref(s);

	s = rpc_string_sanitized("h\xc3\xa9llo \xe2\x82\xac", 10);
	assert_string_equal(json_string_value(s), "h\xc3\xa9llo \xe2\x82\xac");
	json_decref(s);

	s = rpc_string_sanitized("a\xff"
				 "b",
				 3);
	assert_non_null(s);
	assert_int_equal(json_string_length(s), 5);
	assert_string_equal(json_string_value(s), "a" FFFD "b");
	json_decref(s);

	/* Only len bytes are read. */
	s = rpc_string_sanitized("abc\xc3", 3);
	assert_string_equal(json_string_value(s), "abc");
	json_decref(s);

	/* A multi-byte character cut by len. */
	s = rpc_string_sanitized("ab\xe2\x82\xac", 4);
	assert_string_equal(json_string_value(s), "ab" FFFD FFFD);
	json_decref(s);

	s = rpc_string_sanitized("", 0);
	assert_string_equal(json_string_value(s), "");
	json_decref(s);

	/* Invalid bytes survive an encode/parse round trip as U+FFFD. */
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;
	size_t len;
	char *line = rpc_encode_result(
		NULL, json_pack("{s:o}", "data", rpc_string_sanitized("\xc0\xafx\n", 4)), &len);
	assert_int_equal(rpc_parse(line, len, &msg, &err), 0);
	free(line);
	assert_string_equal(json_string_value(json_object_get(msg.result, "data")),
			    FFFD FFFD "x\n");
	rpc_msg_clear(&msg);
}

/*
 * Container output with a NUL byte: rpc_string_sanitized() keeps it (the
 * json_stringn() fast path accepts NUL), json_dumps() writes "\u0000", and
 * rpc_parse() on the client refuses the whole line (no JSON_ALLOW_NUL):
 * `logs` breaks. util.h says NUL is replaced with U+FFFD "so the bytes can
 * go in a JSON string"; the same must hold here.
 */
static void
test_string_sanitized_nul(void **state)
{
	json_t *s = rpc_string_sanitized("a\0b", 3);
	size_t value_len = json_string_length(s);
	char *value = xmalloc(value_len + 1);
	memcpy(value, json_string_value(s), value_len + 1);
	struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;
	size_t len;
	char *line = rpc_encode_result(NULL, json_pack("{s:o}", "data", s), &len);
	int rc = rpc_parse(line, len, &msg, &err);
	char *back = rc == 0 ? xstrdup(json_string_value(json_object_get(msg.result, "data")))
			     : NULL;

	free(line);
	rpc_msg_clear(&msg);
	ctr_error_clear(&err);
	bool replaced = value_len == 5 && memcmp(value, "a" FFFD "b", 5) == 0;
	free(value);
	assert_true(replaced);
	assert_int_equal(rc, 0);
	assert_string_equal(back, "a" FFFD "b");
	free(back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_request_int_id),
		cmocka_unit_test(test_parse_request_string_and_null_id),
		cmocka_unit_test(test_parse_notification),
		cmocka_unit_test(test_parse_params_absent),
		cmocka_unit_test(test_parse_params_not_object),
		cmocka_unit_test(test_parse_result),
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test(test_parse_bad_responses),
		cmocka_unit_test(test_parse_bad_json),
		cmocka_unit_test(test_parse_duplicate_keys),
		cmocka_unit_test(test_parse_not_an_object),
		cmocka_unit_test(test_parse_scalar_is_invalid_request),
		cmocka_unit_test(test_parse_bad_version),
		cmocka_unit_test(test_parse_bad_method),
		cmocka_unit_test(test_parse_bad_id),
		cmocka_unit_test(test_parse_unknown_member),
		cmocka_unit_test(test_encode_request_round_trip),
		cmocka_unit_test(test_encode_notification_round_trip),
		cmocka_unit_test(test_encode_result_round_trip),
		cmocka_unit_test(test_encode_error_round_trip),
		cmocka_unit_test(test_encode_ctr_error),
		cmocka_unit_test(test_encode_ctr_error_unset_reason),
		cmocka_unit_test(test_encode_no_newline),
		cmocka_unit_test(test_string_sanitized),
		cmocka_unit_test(test_string_sanitized_nul),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
