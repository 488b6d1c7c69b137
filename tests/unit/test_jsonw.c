/* SPDX-License-Identifier: MIT */
/* proto/jsonw.c: what it writes is JSON, and jansson reads back the values written. */
#include "config.h"

#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "jsonw.h"
#include "util.h"

/* The text w holds, as jansson decodes it (fails the test if it is not JSON). */
static json_t *
decoded(struct jsonw *w)
{
	size_t len;
	char *text = jsonw_steal(w, &len);
	json_error_t jerr;
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY, &jerr);

	if (v == NULL)
		fail_msg("not JSON: %s (%s)", text, jerr.text);
	assert_int_equal(strlen(text), len);
	free(text);
	return v;
}

static void
assert_string_written(const char *in, const char *want)
{
	struct jsonw w = { 0 };

	jsonw_string(&w, in);
	json_t *v = decoded(&w);
	assert_true(json_is_string(v));
	assert_string_equal(json_string_value(v), want);
	json_decref(v);
}

static void
test_strings(void **state)
{
	assert_string_written("", "");
	assert_string_written("sleep 1d", "sleep 1d");
	assert_string_written("a\"b\\c/d", "a\"b\\c/d");
	assert_string_written("tab\there\nnew\rret", "tab\there\nnew\rret");
	assert_string_written("\x01\x1f\x7f", "\x01\x1f\x7f");
	/* Valid UTF-8 passes; every byte that is not becomes U+FFFD. */
	assert_string_written("caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x90\xb3",
			      "caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x90\xb3");
	assert_string_written("a\xff"
			      "b",
			      "a\xef\xbf\xbd"
			      "b");
	assert_string_written("\xc3", "\xef\xbf\xbd");
	assert_string_written("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_written("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");
}

static void
test_escapes_exactly(void **state)
{
	struct jsonw w = { 0 };

	jsonw_string(&w, "\"\\\n\x01");
	size_t len;
	char *text = jsonw_steal(&w, &len);
	assert_string_equal(text, "\"\\\"\\\\\\n\\u0001\"");
	free(text);
}

static void
test_values(void **state)
{
	struct jsonw w = { 0 };

	jsonw_char(&w, '[');
	jsonw_int(&w, 0);
	jsonw_char(&w, ',');
	jsonw_int(&w, INT64_MIN);
	jsonw_char(&w, ',');
	jsonw_int(&w, INT64_MAX);
	jsonw_char(&w, ',');
	jsonw_bool(&w, true);
	jsonw_char(&w, ',');
	jsonw_bool(&w, false);
	jsonw_char(&w, ',');
	jsonw_null(&w);
	jsonw_char(&w, ',');
	jsonw_string(&w, NULL);
	jsonw_char(&w, ',');
	jsonw_time(&w, 0);
	jsonw_char(&w, ',');
	jsonw_time(&w, 1795925544123456789LL);
	jsonw_char(&w, ']');
	json_t *v = decoded(&w);
	assert_int_equal(json_array_size(v), 9);
	assert_int_equal(json_integer_value(json_array_get(v, 0)), 0);
	assert_int_equal(json_integer_value(json_array_get(v, 1)), INT64_MIN);
	assert_int_equal(json_integer_value(json_array_get(v, 2)), INT64_MAX);
	assert_true(json_is_true(json_array_get(v, 3)));
	assert_true(json_is_false(json_array_get(v, 4)));
	assert_true(json_is_null(json_array_get(v, 5)));
	assert_true(json_is_null(json_array_get(v, 6)));
	assert_true(json_is_null(json_array_get(v, 7)));
	assert_string_equal(json_string_value(json_array_get(v, 8)),
			    "2026-11-29T04:12:24.123456789Z");
	json_decref(v);
}

/* Past the first buffer and its doublings, nothing is lost or reordered. */
static void
test_growth(void **state)
{
	struct jsonw w = { 0 };
	char big[10000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	jsonw_char(&w, '[');
	for (int i = 0; i < 50; i++) {
		if (i > 0)
			jsonw_char(&w, ',');
		jsonw_string(&w, big);
		jsonw_char(&w, ',');
		jsonw_int(&w, i);
	}
	jsonw_char(&w, ']');
	json_t *v = decoded(&w);
	assert_int_equal(json_array_size(v), 100);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(json_string_length(json_array_get(v, 2 * (size_t)i)), 9999);
		assert_int_equal(json_integer_value(json_array_get(v, 2 * (size_t)i + 1)), i);
	}
	json_decref(v);
	/* An empty writer hands over an empty string; jsonw_free is safe after steal. */
	char *empty = jsonw_steal(&w, NULL);
	assert_string_equal(empty, "");
	free(empty);
	jsonw_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_escapes_exactly),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
