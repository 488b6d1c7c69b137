/* SPDX-License-Identifier: MIT */
/*
 * Regression tests from fuzzing the request path (tests/fuzz/fuzz_request.c):
 * the nastiest inputs of tests/fuzz/corpus, sent over a socketpair through
 * frame_read/frame_next, rpc_parse and params_validate as the daemon does,
 * with the exact reply line the daemon would send for each message.
 *
 * The parse error messages embed jansson's own text ("maximum parsing depth
 * reached"); these expectations hold for jansson 2.14.
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "frame.h"
#include "params.h"
#include "rpc.h"

#define MAX_LINES 16

/* What the daemon made of one connection's bytes. */
struct served {
	char *lines[MAX_LINES]; /* per message: the error reply, or "dispatch METHOD" */
	size_t n;
	char *frame_error; /* the reply to a framing error (the connection then closes) */
	size_t pending;	   /* bytes left waiting for their '\n' */
};

static void
served_clear(struct served *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->lines[i]);
	free(s->frame_error);
	memset(s, 0, sizeof(*s));
}

/* One message, as conn_handle and methods_dispatch treat it until a handler would run. */
static char *
handle(const char *data, size_t len)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;
	char *line = NULL;
	size_t n;

	if (rpc_parse(data, len, &msg, &err) < 0) {
		line = rpc_encode_ctr_error(msg.id ? msg.id : json_null(), &err, &n);
	} else if (msg.kind == RPC_RESULT || msg.kind == RPC_ERROR) {
		line = xstrdup("ignored response");
	} else {
		const struct param_spec *schema = params_schema(msg.method);
		if (schema == NULL)
			ctr_error_set(&err, CTR_E_NO_METHOD, 0, "unknown method \"%s\"",
				      msg.method);
		else
			params_validate(schema, msg.params, &err);
		if (err.code != 0)
			line = rpc_encode_ctr_error(msg.id, &err, &n);
		else
			line = xasprintf("dispatch %s", msg.method);
	}
	rpc_msg_clear(&msg);
	assert_non_null(line);
	assert_null(strchr(line, '\n'));
	return line;
}

/* Sends input on a socketpair and serves it with a reader limited to max bytes. */
static void
serve(const char *input, size_t len, size_t max, struct served *s)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct frame_reader *r = frame_reader_new(max);
	struct frame_msg fm;
	int sv[2];
	ssize_t n;

	memset(s, 0, sizeof(*s));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(write_all(sv[1], input, len), 0);
	assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
	while (s->frame_error == NULL && (n = frame_read(r, sv[0], &err)) > 0) {
		int ret;
		while ((ret = frame_next(r, &fm, &err)) == 1) {
			assert_true(s->n < MAX_LINES);
			assert_int_equal(fm.nfds, 0);
			s->lines[s->n++] = handle(fm.data, fm.len);
		}
		if (ret < 0) {
			size_t elen;
			s->frame_error = rpc_encode_ctr_error(json_null(), &err, &elen);
		}
	}
	s->pending = frame_reader_pending(r);
	frame_reader_free(r);
	close(sv[0]);
	close(sv[1]);
}

#define PARSE_ERROR(text)                                                                 \
	"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"" text \
	"\",\"data\":{\"reason\":\"parse_error\"}}}"

/* ------------------------------------------------------------------ corpus */

/*
 * corpus/deep_nesting: params nested 2100 arrays deep, never closed, then a
 * good request. jansson stops at its depth limit (2048) instead of recursing
 * on: a parse error, and the connection goes on with the next line.
 */
static void
test_deep_nesting(void **state)
{
	static const char head[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ps\",\"params\":{\"all\":";
	static const char next[] = "\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"version\"}\n";
	size_t depth = 2100, len = strlen(head) + depth + strlen(next);
	_cleanup_free_ char *input = xmalloc(len);
	struct served s;

	memcpy(input, head, strlen(head));
	memset(input + strlen(head), '[', depth);
	memcpy(input + strlen(head) + depth, next, strlen(next));

	serve(input, len, FRAME_MAX, &s);
	assert_null(s.frame_error);
	assert_int_equal(s.n, 2);
	assert_string_equal(
		s.lines[0],
		PARSE_ERROR("parse error at byte 2101: maximum parsing depth reached near '['"));
	assert_string_equal(s.lines[1], "dispatch version");
	assert_int_equal(s.pending, 0);
	served_clear(&s);
}

/*
 * corpus/nul_bytes: a raw NUL after a good object, \u0000 in a string and in
 * a key, and a line of raw NULs. Each is a parse error: nothing with a NUL
 * reaches code that reads C strings.
 */
static void
test_nul_bytes(void **state)
{
	static const char input[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ps\"}\0\n"
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\\u0000s\"}\n"
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"inspect\",\"params\":{\"id\\u0000\":\"x\"}}\n"
		"\0\0\n";
	struct served s;

	serve(input, sizeof(input) - 1, FRAME_MAX, &s);
	assert_null(s.frame_error);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.lines[0], PARSE_ERROR("parse error at byte 39: end of file expected "
						    "near end of file"));
	assert_string_equal(s.lines[1],
			    PARSE_ERROR("parse error at byte 43: \\\\u0000 is not allowed without "
					"JSON_ALLOW_NUL near '\\\"p\\\\u0000s\\\"'"));
	assert_string_equal(s.lines[2],
			    PARSE_ERROR("parse error at byte 63: NUL byte in object "
					"key not supported near '\\\"id\\\\u0000\\\"'"));
	assert_string_equal(s.lines[3],
			    PARSE_ERROR("parse error at byte 1: invalid token near end of file"));
	assert_int_equal(s.pending, 0);
	served_clear(&s);
}

/*
 * corpus/invalid_utf8: bytes that are not UTF-8 in a method name, an id and
 * a bare line (overlong "\xc0\xaf", a surrogate, a code point past U+10FFFF).
 * Parse errors whose replies are valid UTF-8 and name the offending byte.
 */
static void
test_invalid_utf8(void **state)
{
	static const char input[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ps\xff\xfe\"}\n"
				    "{\"jsonrpc\":\"2.0\",\"id\":\"\xc0\xaf\",\"method\":\"ps\"}\n"
				    "\xed\xa0\x80garbage\xf4\x90\x80\x80\n";
	struct served s;

	serve(input, sizeof(input) - 1, FRAME_MAX, &s);
	assert_null(s.frame_error);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], PARSE_ERROR("parse error at byte 36: unable to decode "
						    "byte 0xff near '\\\"ps'"));
	assert_string_equal(s.lines[1], PARSE_ERROR("parse error at byte 23: unable to decode "
						    "byte 0xc0 near '\\\"'"));
	assert_string_equal(s.lines[2],
			    PARSE_ERROR("parse error at byte 0: unable to decode byte 0xed"));
	for (size_t i = 0; i < s.n; i++) {
		size_t n;
		_cleanup_free_ char *clean = utf8_sanitize(s.lines[i], strlen(s.lines[i]), &n);
		assert_string_equal(clean, s.lines[i]);
	}
	served_clear(&s);
}

/*
 * corpus/long_line_header: 3883 bytes of a run request and no '\n'. Under
 * FRAME_MAX it waits for the rest; a reader limited to 1024 bytes rejects it
 * before the line ends, with the limit error that closes the connection.
 */
static void
test_long_line_header(void **state)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"run\",\"params\":"
				   "{\"image\":\"busybox\",\"command\":[\"";
	static const char tail[] = "\"]}}";
	size_t fill = 3800, len = strlen(head) + fill + strlen(tail);
	_cleanup_free_ char *input = xmalloc(len);
	struct served s;

	memcpy(input, head, strlen(head));
	memset(input + strlen(head), 'A', fill);
	memcpy(input + strlen(head) + fill, tail, strlen(tail));
	assert_int_equal(len, 3883);

	serve(input, len, FRAME_MAX, &s);
	assert_null(s.frame_error);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.pending, len);
	served_clear(&s);

	serve(input, len, 1024, &s);
	assert_int_equal(s.n, 0);
	assert_non_null(s.frame_error);
	assert_string_equal(
		s.frame_error,
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32004,\"message\":"
		"\"message longer than 1024 bytes\",\"data\":{\"reason\":\"limit\"}}}");
	served_clear(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_long_line_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
