/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for include/util.h (signals, time, numbers, UTF-8, string
 * vectors, write_all) and include/error.h (the error contract).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "util.h"

#define FFFD "\xef\xbf\xbd"

/* ------------------------------------------------------------------ signals */

static void
test_signal_parse_names(void **state)
{
	assert_int_equal(signal_parse("TERM"), SIGTERM);
	assert_int_equal(signal_parse("SIGTERM"), SIGTERM);
	assert_int_equal(signal_parse("sigterm"), SIGTERM);
	assert_int_equal(signal_parse("Term"), SIGTERM);
	assert_int_equal(signal_parse("SiGkIlL"), SIGKILL);
	assert_int_equal(signal_parse("HUP"), SIGHUP);
	assert_int_equal(signal_parse("SIGINT"), SIGINT);
	assert_int_equal(signal_parse("USR1"), SIGUSR1);
	assert_int_equal(signal_parse("usr2"), SIGUSR2);
	assert_int_equal(signal_parse("CHLD"), SIGCHLD);
	assert_int_equal(signal_parse("WINCH"), SIGWINCH);
	assert_int_equal(signal_parse("IOT"), SIGABRT);
	assert_int_equal(signal_parse("POLL"), SIGIO);
	assert_int_equal(signal_parse("SYS"), SIGSYS);
}

static void
test_signal_parse_numbers(void **state)
{
	assert_int_equal(signal_parse("1"), 1);
	assert_int_equal(signal_parse("9"), SIGKILL);
	assert_int_equal(signal_parse("15"), SIGTERM);
	assert_int_equal(signal_parse("64"), 64);
	assert_int_equal(signal_parse("65"), -1);
	assert_int_equal(signal_parse("0"), -1);
	assert_int_equal(signal_parse("99"), -1);
	assert_int_equal(signal_parse("-9"), -1);
	assert_int_equal(signal_parse("+9"), -1);
	assert_int_equal(signal_parse(" 9"), -1);
	assert_int_equal(signal_parse("9 "), -1);
	assert_int_equal(signal_parse("9x"), -1);
	assert_int_equal(signal_parse("18446744073709551616"), -1);
	assert_int_equal(signal_parse("18446744073709551615"), -1);
}

static void
test_signal_parse_realtime(void **state)
{
	int span = SIGRTMAX - SIGRTMIN;
	char buf[64];

	assert_int_equal(signal_parse("RTMIN"), SIGRTMIN);
	assert_int_equal(signal_parse("SIGRTMIN"), SIGRTMIN);
	assert_int_equal(signal_parse("rtmin+0"), SIGRTMIN);
	assert_int_equal(signal_parse("RTMIN+2"), SIGRTMIN + 2);
	assert_int_equal(signal_parse("SIGRTMIN+2"), SIGRTMIN + 2);
	assert_int_equal(signal_parse("RTMAX"), SIGRTMAX);
	assert_int_equal(signal_parse("sigrtmax"), SIGRTMAX);
	assert_int_equal(signal_parse("RTMAX-3"), SIGRTMAX - 3);
	assert_int_equal(signal_parse("RTMAX-0"), SIGRTMAX);

	snprintf(buf, sizeof(buf), "RTMIN+%d", span);
	assert_int_equal(signal_parse(buf), SIGRTMAX);
	snprintf(buf, sizeof(buf), "RTMIN+%d", span + 1);
	assert_int_equal(signal_parse(buf), -1);
	snprintf(buf, sizeof(buf), "RTMAX-%d", span);
	assert_int_equal(signal_parse(buf), SIGRTMIN);
	snprintf(buf, sizeof(buf), "RTMAX-%d", span + 1);
	assert_int_equal(signal_parse(buf), -1);

	assert_int_equal(signal_parse("RTMIN-1"), -1);
	assert_int_equal(signal_parse("RTMAX+1"), -1);
	assert_int_equal(signal_parse("RTMIN+"), -1);
	assert_int_equal(signal_parse("RTMAX-"), -1);
	assert_int_equal(signal_parse("RTMIN+x"), -1);
	assert_int_equal(signal_parse("RTMIN+-1"), -1);
	assert_int_equal(signal_parse("RTMIN++1"), -1);
	assert_int_equal(signal_parse("RTMIN+ 1"), -1);
	assert_int_equal(signal_parse("RTMINX"), -1);
	assert_int_equal(signal_parse("RTMIN+1x"), -1);
	assert_int_equal(signal_parse("RTMAX-18446744073709551615"), -1);
	assert_int_equal(signal_parse("RTMIN+18446744073709551615"), -1);
}

static int
parse_huge_offsets(void)
{
	static const char *const huge[] = {
		"RTMIN+9223372036854775807", "RTMAX-9223372036854775808",
		"RTMIN+9223372036854775808", "RTMAX-9223372036854775807",
		"RTMIN+9223372036854775780",
	};
	for (size_t i = 0; i < ARRAY_SIZE(huge); i++)
		if (signal_parse(huge[i]) != -1)
			return 1;
	return 0;
}

/*
 * Offsets near INT64_MAX: "base + sign * (int64_t)n" in signal_parse()
 * overflows a signed integer, undefined behaviour that UBSan (--enable-asan)
 * aborts on. The answer must simply be -1. Run in a child so that an abort
 * fails this test only.
 */
static void
test_signal_parse_realtime_huge_offset(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(parse_huge_offsets());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_signal_parse_junk(void **state)
{
	assert_int_equal(signal_parse(NULL), -1);
	assert_int_equal(signal_parse(""), -1);
	assert_int_equal(signal_parse("SIG"), -1);
	assert_int_equal(signal_parse("SIGFOO"), -1);
	assert_int_equal(signal_parse("FOO"), -1);
	assert_int_equal(signal_parse("TERM "), -1);
	assert_int_equal(signal_parse(" TERM"), -1);
	assert_int_equal(signal_parse("SIGSIGTERM"), -1);
	assert_int_equal(signal_parse("TERMX"), -1);
	assert_int_equal(signal_parse("TER"), -1);
}

static void
test_signal_name(void **state)
{
	assert_string_equal(signal_name(SIGTERM), "TERM");
	assert_string_equal(signal_name(SIGKILL), "KILL");
	assert_string_equal(signal_name(SIGHUP), "HUP");
	assert_string_equal(signal_name(SIGABRT), "ABRT");
	assert_string_equal(signal_name(SIGIO), "IO");
	assert_string_equal(signal_name(SIGCHLD), "CHLD");
	assert_null(signal_name(0));
	assert_null(signal_name(-1));
	assert_null(signal_name(SIGRTMIN));
	assert_null(signal_name(1000));

	/* Every name that signal_name() gives, signal_parse() reads back. */
	for (int sig = 1; sig < SIGRTMIN; sig++) {
		const char *name = signal_name(sig);
		char buf[32];
		if (name == NULL)
			continue;
		assert_int_equal(signal_parse(name), sig);
		snprintf(buf, sizeof(buf), "SIG%s", name);
		assert_int_equal(signal_parse(buf), sig);
	}
}

/* --------------------------------------------------------------------- time */

static void
assert_format(int64_t ns, const char *want)
{
	char *s = time_format_rfc3339(ns);
	assert_string_equal(s, want);
	free(s);
}

static void
test_time_format(void **state)
{
	assert_format(0, "1970-01-01T00:00:00.000000000Z");
	assert_format(1, "1970-01-01T00:00:00.000000001Z");
	assert_format(999999999, "1970-01-01T00:00:00.999999999Z");
	assert_format(1795925544123456789LL, "2026-11-29T04:12:24.123456789Z");
	assert_format(INT64_MAX, "2262-04-11T23:47:16.854775807Z");
	/* Before the epoch the fraction stays positive. */
	assert_format(-1, "1969-12-31T23:59:59.999999999Z");
	assert_format(-1500000000LL, "1969-12-31T23:59:58.500000000Z");
}

static void
test_time_parse(void **state)
{
	int64_t ns = 42;

	assert_int_equal(time_parse_rfc3339("2026-11-29T04:12:24.123456789Z", &ns), 0);
	assert_int_equal(ns, 1795925544123456789LL);
	assert_int_equal(time_parse_rfc3339("2026-11-29T04:12:24Z", &ns), 0);
	assert_int_equal(ns, 1795925544000000000LL);
	assert_int_equal(time_parse_rfc3339("2026-11-29T04:12:24.5Z", &ns), 0);
	assert_int_equal(ns, 1795925544500000000LL);
	assert_int_equal(time_parse_rfc3339("2026-11-29T04:12:24.000001Z", &ns), 0);
	assert_int_equal(ns, 1795925544000001000LL);
	assert_int_equal(time_parse_rfc3339("1970-01-01T00:00:00Z", &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(time_parse_rfc3339("1969-12-31T23:59:58.5Z", &ns), 0);
	assert_int_equal(ns, -1500000000LL);
}

static void
test_time_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"2026",
		"2026-11-29",
		"2026-11-29T04:12:24",
		"2026-11-29T04:12:24.",
		"2026-11-29T04:12:24.Z",
		"2026-11-29T04:12:24.1234567890Z",
		"2026-11-29T04:12:24.123Zjunk",
		"2026-11-29T04:12:24Z ",
		"2026-11-29T04:12:24z",
		"2026-11-29T04:12:24+00:00",
		"2026-11-29T04:12:24.12a4Z",
		"2026-11-29 04:12:24Z",
		"2026-13-01T00:00:00Z",
		"2026-11-29T24:00:00Z",
		"2026-11-29T04:60:00Z",
		"2026-11-29T04:12:61Z",
		"2026-11-00T04:12:24Z",
		"2026-04-31T04:12:24Z",
		"2026-02-29T04:12:24Z",
		"1900-02-29T04:12:24Z",
		"+026-11-29T04:12:24Z",
		" 2026-11-29T04:12:24Z",
		"2026-1-29T04:12:24Z",
		"2262-04-11T23:47:16.854775808Z", /* INT64_MAX + 1 */
		"9999-12-31T23:59:59Z",
		"1677-09-21T00:12:43.145224191Z", /* INT64_MIN - 1 */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int64_t ns = 0;
		if (time_parse_rfc3339(bad[i], &ns) != -1)
			fail_msg("time_parse_rfc3339(\"%s\") accepted it", bad[i]);
	}
}

/* The hand-made conversions against the C library's, over the whole range. */
static void
test_time_against_libc(void **state)
{
	uint64_t x = 88172645463325252ULL;

	for (int i = 0; i < 20000; i++) {
		/* xorshift64: repeatable, and spread over all of int64_t. */
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int64_t ns = (int64_t)x;
		if (i < 4)
			ns = (int64_t[]){ INT64_MIN, INT64_MAX, -1, 0 }[i];
		int64_t secs = ns / 1000000000, frac = ns % 1000000000;
		if (frac < 0)
			secs--, frac += 1000000000;
		time_t t = (time_t)secs;
		struct tm tm;
		char want[64], got[TIME_RFC3339_MAX];
		assert_non_null(gmtime_r(&t, &tm));
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (long long)frac);
		assert_int_equal(time_format_rfc3339_buf(ns, got), strlen(want));
		assert_string_equal(got, want);
		int64_t back = 0;
		assert_int_equal(time_parse_rfc3339(got, &back), 0);
		assert_int_equal(back, ns);
	}
	int64_t ns;
	assert_int_equal(time_parse_rfc3339("2024-02-29T00:00:00Z", &ns), 0);
	assert_int_equal(ns, 1709164800LL * 1000000000);
	assert_int_equal(time_parse_rfc3339("2000-02-29T00:00:00Z", &ns), 0);
	assert_int_equal(ns, 951782400LL * 1000000000);
	/* A leap second is the next second, as timegm() counts it. */
	assert_int_equal(time_parse_rfc3339("2016-12-31T23:59:60Z", &ns), 0);
	assert_int_equal(ns, 1483228800LL * 1000000000);
}

/* docker's units.HumanDuration thresholds, which ctrctl ps and images show. */
static void
test_format_duration(void **state)
{
	const int64_t s = 1000000000;
	static const struct {
		int64_t secs;
		const char *want;
	} cases[] = {
		{ 0, "Less than a second" }, { 1, "1 second" },
		{ 59, "59 seconds" },	     { 60, "About a minute" },
		{ 119, "About a minute" },   { 120, "2 minutes" },
		{ 3599, "59 minutes" },	     { 3600, "About an hour" },
		{ 7200, "2 hours" },	     { 47 * 3600, "47 hours" },
		{ 48 * 3600, "2 days" },     { 13 * 86400, "13 days" },
		{ 14 * 86400, "2 weeks" },   { 60 * 86400, "2 months" },
		{ 730 * 86400, "2 years" },  { -5, "Less than a second" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = format_duration(cases[i].secs * s);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

static void
test_time_round_trip(void **state)
{
	static const int64_t values[] = {
		0,
		1,
		999999999,
		1000000000,
		1795925544123456789LL,
		4102444799999999999LL, /* 2099-12-31T23:59:59.999999999Z */
		INT64_MAX,
		-1500000000LL,
		-86400LL * 1000000000LL * 365,
	};
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		char *s = time_format_rfc3339(values[i]);
		int64_t ns = 0;
		int rc = time_parse_rfc3339(s, &ns);
		free(s);
		assert_int_equal(rc, 0);
		assert_int_equal(ns, values[i]);
	}
	/* So does the current time. */
	int64_t now = time_now_ns(), back = 0;
	char *s = time_format_rfc3339(now);
	int rc = time_parse_rfc3339(s, &back);
	free(s);
	assert_int_equal(rc, 0);
	assert_int_equal(back, now);
}

/*
 * The last second before the epoch: timegm() returns -1 for
 * 1969-12-31T23:59:59, which a parser built on it took for an error.
 */
static void
test_time_round_trip_last_second_before_epoch(void **state)
{
	static const int64_t values[] = { -1, -1000000000LL, -500000000LL };
	int rcs[ARRAY_SIZE(values)];
	int64_t got[ARRAY_SIZE(values)];

	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		char *s = time_format_rfc3339(values[i]);
		got[i] = 0;
		rcs[i] = time_parse_rfc3339(s, &got[i]);
		free(s);
	}
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		assert_int_equal(rcs[i], 0);
		assert_int_equal(got[i], values[i]);
	}
}

static void
test_time_clocks(void **state)
{
	int64_t a = time_mono_ns(), b = time_mono_ns();
	assert_true(a > 0);
	assert_true(b >= a);
	/* After 2020 and before 2100. */
	assert_true(time_now_ns() > 1577836800LL * 1000000000LL);
	assert_true(time_now_ns() < 4102444800LL * 1000000000LL);
}

/* ------------------------------------------------------------------ numbers */

static void
test_parse_u64(void **state)
{
	uint64_t v = 0;

	assert_int_equal(parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("42", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);

	v = 7;
	assert_int_equal(parse_u64("18446744073709551616", &v), -1);
	assert_int_equal(parse_u64("99999999999999999999999", &v), -1);
	assert_int_equal(parse_u64("", &v), -1);
	assert_int_equal(parse_u64(NULL, &v), -1);
	assert_int_equal(parse_u64("-1", &v), -1);
	assert_int_equal(parse_u64("-0", &v), -1);
	assert_int_equal(parse_u64("+1", &v), -1);
	assert_int_equal(parse_u64(" 1", &v), -1);
	assert_int_equal(parse_u64("\t1", &v), -1);
	assert_int_equal(parse_u64("1 ", &v), -1);
	assert_int_equal(parse_u64("1\n", &v), -1);
	assert_int_equal(parse_u64("12abc", &v), -1);
	assert_int_equal(parse_u64("0x10", &v), -1);
	assert_int_equal(parse_u64("1e3", &v), -1);
	assert_int_equal(parse_u64("1.0", &v), -1);
	/* Failures leave the output alone. */
	assert_int_equal(v, 7);
}

static void
test_parse_i64(void **state)
{
	int64_t v = 0;

	assert_int_equal(parse_i64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_i64("-1", &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(parse_i64("123", &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(parse_i64("9223372036854775807", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(parse_i64("-9223372036854775808", &v), 0);
	assert_true(v == INT64_MIN);

	v = 7;
	assert_int_equal(parse_i64("9223372036854775808", &v), -1);
	assert_int_equal(parse_i64("-9223372036854775809", &v), -1);
	assert_int_equal(parse_i64("", &v), -1);
	assert_int_equal(parse_i64(NULL, &v), -1);
	assert_int_equal(parse_i64("-", &v), -1);
	assert_int_equal(parse_i64("--1", &v), -1);
	assert_int_equal(parse_i64("-+1", &v), -1);
	assert_int_equal(parse_i64("+1", &v), -1);
	assert_int_equal(parse_i64(" 1", &v), -1);
	assert_int_equal(parse_i64("- 1", &v), -1);
	assert_int_equal(parse_i64("1 ", &v), -1);
	assert_int_equal(parse_i64("1x", &v), -1);
	assert_int_equal(parse_i64("1e3", &v), -1);
	assert_int_equal(parse_i64("0x10", &v), -1);
	assert_int_equal(v, 7);
}

/*
 * "Strict decimal parsing: the whole string": strtoll() skips any leading
 * isspace(), but parse_i64() only refuses ' ', so "\t5" and "\n5" pass.
 */
static void
test_parse_i64_leading_whitespace(void **state)
{
	int64_t v = 7;
	int tab = parse_i64("\t5", &v);
	int nl = parse_i64("\n5", &v);
	int vt = parse_i64("\v5", &v);
	int cr = parse_i64("\r-5", &v);

	assert_int_equal(tab, -1);
	assert_int_equal(nl, -1);
	assert_int_equal(vt, -1);
	assert_int_equal(cr, -1);
	assert_int_equal(v, 7);
}

/* --------------------------------------------------------------------- UTF-8 */

static void
assert_sanitized(const char *in, size_t in_len, const char *want, size_t want_len)
{
	size_t n = 12345;
	char *out = utf8_sanitize(in, in_len, &n);

	assert_non_null(out);
	assert_int_equal(n, want_len);
	assert_memory_equal(out, want, want_len);
	assert_int_equal(out[n], '\0');
	free(out);
}

#define SANITIZED(in, want) assert_sanitized(in, sizeof(in) - 1, want, sizeof(want) - 1)

static void
test_utf8_valid_kept(void **state)
{
	SANITIZED("", "");
	SANITIZED("hello, world", "hello, world");
	SANITIZED("\x7f", "\x7f");
	SANITIZED("caf\xc3\xa9", "caf\xc3\xa9");	   /* U+00E9 */
	SANITIZED("\xc2\x80", "\xc2\x80");		   /* U+0080 */
	SANITIZED("\xdf\xbf", "\xdf\xbf");		   /* U+07FF */
	SANITIZED("\xe0\xa0\x80", "\xe0\xa0\x80");	   /* U+0800 */
	SANITIZED("\xe2\x82\xac", "\xe2\x82\xac");	   /* U+20AC */
	SANITIZED("\xed\x9f\xbf", "\xed\x9f\xbf");	   /* U+D7FF */
	SANITIZED("\xee\x80\x80", "\xee\x80\x80");	   /* U+E000 */
	SANITIZED("\xef\xbf\xbf", "\xef\xbf\xbf");	   /* U+FFFF */
	SANITIZED("\xf0\x90\x80\x80", "\xf0\x90\x80\x80"); /* U+10000 */
	SANITIZED("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"); /* U+1F600 */
	SANITIZED("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	SANITIZED(FFFD, FFFD);
}

static void
test_utf8_invalid_replaced(void **state)
{
	/* Overlong forms. */
	SANITIZED("\xc0\x80", FFFD FFFD);
	SANITIZED("\xc1\xbf", FFFD FFFD);
	SANITIZED("\xe0\x80\x80", FFFD FFFD FFFD);
	SANITIZED("\xe0\x9f\xbf", FFFD FFFD FFFD);
	SANITIZED("\xf0\x80\x80\x80", FFFD FFFD FFFD FFFD);
	SANITIZED("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD);
	/* Surrogates. */
	SANITIZED("\xed\xa0\x80", FFFD FFFD FFFD);
	SANITIZED("\xed\xbf\xbf", FFFD FFFD FFFD);
	/* Past U+10FFFF and bytes that never start a sequence. */
	SANITIZED("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	SANITIZED("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	SANITIZED("\xfe\xff", FFFD FFFD);
	/* Lone continuation bytes. */
	SANITIZED("a\x80z", "a" FFFD "z");
	SANITIZED("\xbf", FFFD);
	/* Truncated sequences, at the end and followed by ASCII. */
	SANITIZED("a\xe2\x82", "a" FFFD FFFD);
	SANITIZED("\xe2\x82z", FFFD FFFD "z");
	SANITIZED("\xf0\x9f\x98", FFFD FFFD FFFD);
	SANITIZED("\xc3", FFFD);
	/* Invalid bytes do not swallow the valid text around them. */
	SANITIZED("\xc3\xa9\xff\xc3\xa9", "\xc3\xa9" FFFD "\xc3\xa9");
}

static void
test_utf8_nul_replaced(void **state)
{
	SANITIZED("a\0b", "a" FFFD "b");
	SANITIZED("\0", FFFD);
	SANITIZED("\0\0", FFFD FFFD);

	/* out_len may be NULL. */
	char *out = utf8_sanitize("x\xff", 2, NULL);
	assert_string_equal(out, "x" FFFD);
	free(out);
}

/* ---------------------------------------------------------- strv, xalloc, io */

static void
test_strv(void **state)
{
	char *empty[] = { NULL };
	char *two[] = { (char *)"a", (char *)"b", NULL };

	assert_int_equal(strv_length(NULL), 0);
	assert_int_equal(strv_length(empty), 0);
	assert_int_equal(strv_length(two), 2);

	char **v = xcalloc(4, sizeof(char *));
	v[0] = xstrdup("one");
	v[1] = xstrndup("two-and-more", 3);
	v[2] = xasprintf("%s-%d", "three", 3);
	assert_int_equal(strv_length(v), 3);
	assert_string_equal(v[1], "two");
	assert_string_equal(v[2], "three-3");
	strv_free(v);

	strv_free(NULL);
	{
		_cleanup_strv_ char **w = xcalloc(2, sizeof(char *));
		w[0] = xstrdup("freed by the cleanup attribute");
		assert_int_equal(strv_length(w), 1);
	}
	{
		_cleanup_strv_ char **none = NULL;
		assert_int_equal(strv_length(none), 0);
	}
}

static void
test_steal(void **state)
{
	_cleanup_free_ char *p = xstrdup("x");
	char *q = steal_pointer(&p);
	assert_null(p);
	assert_string_equal(q, "x");
	free(q);

	int fd = 5;
	assert_int_equal(steal_fd(&fd), 5);
	assert_int_equal(fd, -1);

	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	close_fd(&pipefd[0]);
	assert_int_equal(pipefd[0], -1);
	close_fd(&pipefd[0]); /* closing twice is harmless */
	errno = EXDEV;
	closep(&pipefd[1]);
	assert_int_equal(errno, EXDEV); /* a cleanup never changes errno */
	assert_int_equal(fcntl(pipefd[1], F_GETFD), -1);
}

static void
test_write_all(void **state)
{
	size_t len = 300 * 1024;
	char *buf = xmalloc(len), *back = xmalloc(len);
	int fd = memfd_create("test_write_all", MFD_CLOEXEC);
	struct stat st;

	assert_true(fd >= 0);
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(i * 7 + 3);
	assert_int_equal(write_all(fd, buf, len), 0);
	assert_int_equal(write_all(fd, buf, 0), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, len);
	assert_int_equal(pread(fd, back, len, 0), len);
	assert_memory_equal(buf, back, len);
	close(fd);

	errno = 0;
	assert_int_equal(write_all(fd, buf, 1), -1);
	assert_int_equal(errno, EBADF);
	free(buf);
	free(back);
}

/* -------------------------------------------------------------------- error.h */

static void
test_error_set(void **state)
{
	struct ctr_error err = CTR_ERROR_INIT;

	assert_int_equal(ctr_error_set(&err, CTR_E_NOT_FOUND, 0, "no such %s %d", "thing", 7), -1);
	assert_int_equal(err.code, CTR_E_NOT_FOUND);
	assert_int_equal(err.errnum, 0);
	assert_int_equal(err.exit_code, 0);
	assert_string_equal(err.msg, "no such thing 7");

	/* A second set replaces the first (and frees its message: valgrind). */
	err.exit_code = 127;
	assert_int_equal(ctr_error_set(&err, CTR_E_CONFLICT, ENOENT, "open %s", "/x"), -1);
	assert_int_equal(err.code, CTR_E_CONFLICT);
	assert_int_equal(err.errnum, ENOENT);
	assert_int_equal(err.exit_code, 0);
	char *want = xasprintf("open /x: %s", strerror(ENOENT));
	assert_string_equal(err.msg, want);
	free(want);

	/* The old message may be an argument of the new one. */
	ctr_error_set(&err, CTR_E_STATE, 0, "again (%s)", err.msg);
	assert_int_equal(err.code, CTR_E_STATE);
	assert_non_null(strstr(err.msg, "again (open /x: "));

	ctr_error_clear(&err);
	assert_int_equal(err.code, 0);
	assert_int_equal(err.errnum, 0);
	assert_int_equal(err.exit_code, 0);
	assert_null(err.msg);
	ctr_error_clear(&err); /* twice is fine */

	/* A NULL error is allowed and still fails. */
	assert_int_equal(ctr_error_set(NULL, CTR_E_INTERNAL, EIO, "ignored"), -1);
	assert_int_equal(ctr_error_sys(NULL, EIO, "ignored"), -1);
	assert_int_equal(ctr_error_prefix(NULL, "ignored"), -1);
}

static void
test_error_sys(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;

	assert_int_equal(ctr_error_sys(&err, EACCES, "mount %s", "/proc"), -1);
	assert_int_equal(err.code, CTR_E_SYSTEM);
	assert_int_equal(err.errnum, EACCES);
	char *want = xasprintf("mount /proc: %s", strerror(EACCES));
	assert_string_equal(err.msg, want);
	free(want);

	assert_int_equal(ctr_error_sys(&err, 0, "no errno"), -1);
	assert_int_equal(err.code, CTR_E_SYSTEM);
	assert_int_equal(err.errnum, 0);
	assert_string_equal(err.msg, "no errno");
}

static void
test_error_prefix(void **state)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;

	ctr_error_set(&err, CTR_E_SYSTEM, 0, "mount /proc");
	assert_int_equal(ctr_error_prefix(&err, "start %s", "a1b2c3"), -1);
	assert_string_equal(err.msg, "start a1b2c3: mount /proc");
	assert_int_equal(err.code, CTR_E_SYSTEM);
	ctr_error_prefix(&err, "run");
	assert_string_equal(err.msg, "run: start a1b2c3: mount /proc");
	assert_int_equal(err.code, CTR_E_SYSTEM);
	ctr_error_clear(&err);

	/* Prefixing an error nobody set: still an error, an internal one. */
	assert_int_equal(ctr_error_prefix(&err, "ctx"), -1);
	assert_int_equal(err.code, CTR_E_INTERNAL);
	assert_string_equal(err.msg, "ctx: unknown error");

	/* errnum and exit_code survive a prefix. */
	ctr_error_set(&err, CTR_E_EXEC, ENOENT, "exec");
	err.exit_code = 127;
	ctr_error_prefix(&err, "x");
	assert_int_equal(err.code, CTR_E_EXEC);
	assert_int_equal(err.errnum, ENOENT);
	assert_int_equal(err.exit_code, 127);
	assert_true(strncmp(err.msg, "x: exec: ", 9) == 0);
}

static void
test_error_move(void **state)
{
	struct ctr_error dst = CTR_ERROR_INIT, src = CTR_ERROR_INIT;

	ctr_error_set(&dst, CTR_E_CONFLICT, 0, "old, must be freed");
	ctr_error_set(&src, CTR_E_NOT_FOUND, ESRCH, "new");
	src.exit_code = 126;
	ctr_error_move(&dst, &src);
	assert_int_equal(dst.code, CTR_E_NOT_FOUND);
	assert_int_equal(dst.errnum, ESRCH);
	assert_int_equal(dst.exit_code, 126);
	assert_true(strncmp(dst.msg, "new: ", 5) == 0);
	assert_int_equal(src.code, 0);
	assert_int_equal(src.errnum, 0);
	assert_int_equal(src.exit_code, 0);
	assert_null(src.msg);

	/* Moving an empty error clears dst. */
	ctr_error_move(&dst, &src);
	assert_int_equal(dst.code, 0);
	assert_null(dst.msg);
}

static void
test_error_names(void **state)
{
	static const struct {
		int code;
		const char *name;
	} codes[] = {
		{ CTR_E_PARSE, "parse_error" },
		{ CTR_E_INVALID_REQUEST, "invalid_request" },
		{ CTR_E_NO_METHOD, "method_not_found" },
		{ CTR_E_INVALID_PARAMS, "invalid_params" },
		{ CTR_E_INTERNAL, "internal_error" },
		{ CTR_E_NOT_FOUND, "not_found" },
		{ CTR_E_CONFLICT, "conflict" },
		{ CTR_E_STATE, "wrong_state" },
		{ CTR_E_LIMIT, "limit" },
		{ CTR_E_SYSTEM, "system_error" },
		{ CTR_E_PERMISSION, "permission_denied" },
		{ CTR_E_EXEC, "exec_failed" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++)
		assert_string_equal(ctr_code_name(codes[i].code), codes[i].name);
	assert_string_equal(ctr_code_name(0), "error");
	assert_string_equal(ctr_code_name(-32000), "error");
	assert_string_equal(ctr_code_name(12345), "error");

	/* The JSON-RPC codes are the ones the protocol promises. */
	assert_int_equal(CTR_E_PARSE, -32700);
	assert_int_equal(CTR_E_INVALID_REQUEST, -32600);
	assert_int_equal(CTR_E_NO_METHOD, -32601);
	assert_int_equal(CTR_E_INVALID_PARAMS, -32602);
	assert_int_equal(CTR_E_INTERNAL, -32603);

	assert_string_equal(errno_name(ENOENT), "ENOENT");
	assert_string_equal(errno_name(EPERM), "EPERM");
	assert_string_equal(errno_name(EACCES), "EACCES");
	assert_string_equal(errno_name(EAGAIN), "EAGAIN");
	assert_string_equal(errno_name(EWOULDBLOCK), "EAGAIN");
	assert_string_equal(errno_name(ELOOP), "ELOOP");
	assert_string_equal(errno_name(ENOTEMPTY), "ENOTEMPTY");
	assert_string_equal(errno_name(ECANCELED), "ECANCELED");
	assert_null(errno_name(0));
	assert_null(errno_name(-1));
	assert_null(errno_name(9999));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_parse_names),
		cmocka_unit_test(test_signal_parse_numbers),
		cmocka_unit_test(test_signal_parse_realtime),
		cmocka_unit_test(test_signal_parse_realtime_huge_offset),
		cmocka_unit_test(test_signal_parse_junk),
		cmocka_unit_test(test_signal_name),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_time_parse_bad),
		cmocka_unit_test(test_time_round_trip),
		cmocka_unit_test(test_time_round_trip_last_second_before_epoch),
		cmocka_unit_test(test_time_against_libc),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_time_clocks),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_parse_i64_leading_whitespace),
		cmocka_unit_test(test_utf8_valid_kept),
		cmocka_unit_test(test_utf8_invalid_replaced),
		cmocka_unit_test(test_utf8_nul_replaced),
		cmocka_unit_test(test_strv),
		cmocka_unit_test(test_steal),
		cmocka_unit_test(test_write_all),
		cmocka_unit_test(test_error_set),
		cmocka_unit_test(test_error_sys),
		cmocka_unit_test(test_error_prefix),
		cmocka_unit_test(test_error_move),
		cmocka_unit_test(test_error_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
