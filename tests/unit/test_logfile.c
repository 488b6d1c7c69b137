/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/logfile.h: container output appended as CRI log
 * records and parsed back line by line.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fsutil.h"
#include "logfile.h"

#define T0     1795925544123456789LL /* 2026-11-29T04:12:24.123456789Z */
#define STAMP0 "2026-11-29T04:12:24.123456789Z"

/* ------------------------------------------------------------------ helpers */

/* What was written to a log file: its bytes and its lines (without '\n'). */
struct log_content {
	char *buf;
	size_t len;
	const char *lines[64];
	size_t line_len[64];
	size_t nlines;
};

static int
log_open(void)
{
	int fd = memfd_create("test_logfile", MFD_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

/* Reads all of fd; every line must end with '\n'. */
static void
log_read(int fd, struct log_content *c)
{
	struct stat st;

	memset(c, 0, sizeof(*c));
	assert_int_equal(fstat(fd, &st), 0);
	c->len = (size_t)st.st_size;
	c->buf = xmalloc(c->len + 1);
	assert_int_equal(pread(fd, c->buf, c->len, 0), c->len);
	c->buf[c->len] = '\0';
	for (size_t start = 0; start < c->len;) {
		char *nl = memchr(c->buf + start, '\n', c->len - start);
		assert_non_null(nl);
		if (c->nlines < ARRAY_SIZE(c->lines)) {
			c->lines[c->nlines] = c->buf + start;
			c->line_len[c->nlines] = (size_t)(nl - (c->buf + start));
		}
		c->nlines++;
		start = (size_t)(nl - c->buf) + 1;
	}
}

static void
log_content_free(struct log_content *c)
{
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

/* logfile_append(), which returns the bytes it wrote: what the file grew by. */
static void
append(int fd, bool is_stderr, const char *buf, size_t len, int64_t now_ns)
{
	struct stat before, after;

	assert_int_equal(fstat(fd, &before), 0);
	ssize_t n = logfile_append(fd, is_stderr, buf, len, now_ns);
	assert_int_equal(fstat(fd, &after), 0);
	assert_int_equal(n, after.st_size - before.st_size);
}

/* Parses line i of c; it must be a record. */
static void
parse_line(const struct log_content *c, size_t i, struct log_record *rec)
{
	assert_true(i < c->nlines);
	if (logfile_parse(c->lines[i], c->line_len[i], rec) != 0)
		fail_msg("line %zu is not a record: %.*s", i, (int)c->line_len[i], c->lines[i]);
}

static void
assert_record(const struct log_record *rec, int64_t time, bool is_stderr, bool partial,
	      const char *data, size_t len)
{
	assert_int_equal(rec->time, time);
	assert_int_equal(rec->is_stderr, is_stderr);
	assert_int_equal(rec->partial, partial);
	assert_int_equal(rec->len, len);
	assert_memory_equal(rec->data, data, len);
}

#define ASSERT_RECORD(rec, time, is_stderr, partial, data) \
	assert_record(rec, time, is_stderr, partial, data, sizeof(data) - 1)

/* logfile_parse on an exactly sized heap copy, so ASan sees any over-read. */
static int
parse_exact(const char *line, size_t len, struct log_record *rec)
{
	char *copy = xmalloc(len ? len : 1);

	memcpy(copy, line, len);
	int rc = logfile_parse(copy, len, rec);
	/* Keep rec->data pointing at the caller's bytes. */
	if (rc == 0)
		rec->data = line + (rec->data - copy);
	free(copy);
	return rc;
}

/* --------------------------------------------------------------------- tests */

static void
test_complete_lines(void **state)
{
	static const char want[] = STAMP0 " stdout F hello\n" STAMP0 " stdout F world\n";
	struct log_content c;
	struct log_record rec;
	int fd = log_open();

	append(fd, false, "hello\nworld\n", 12, T0);
	log_read(fd, &c);
	assert_int_equal(c.len, sizeof(want) - 1);
	assert_memory_equal(c.buf, want, c.len);
	assert_int_equal(c.nlines, 2);
	parse_line(&c, 0, &rec);
	ASSERT_RECORD(&rec, T0, false, false, "hello");
	parse_line(&c, 1, &rec);
	ASSERT_RECORD(&rec, T0, false, false, "world");
	log_content_free(&c);
	close(fd);
}

static void
test_trailing_partial(void **state)
{
	struct log_content c;
	struct log_record rec;
	int fd = log_open();

	append(fd, false, "abc\ndef", 7, T0);
	log_read(fd, &c);
	assert_string_equal(c.buf, STAMP0 " stdout F abc\n" STAMP0 " stdout P def\n");
	assert_int_equal(c.nlines, 2);
	parse_line(&c, 0, &rec);
	ASSERT_RECORD(&rec, T0, false, false, "abc");
	parse_line(&c, 1, &rec);
	ASSERT_RECORD(&rec, T0, false, true, "def");
	log_content_free(&c);
	close(fd);

	/* Only a partial line. */
	fd = log_open();
	append(fd, true, "no newline", 10, T0);
	log_read(fd, &c);
	assert_int_equal(c.nlines, 1);
	parse_line(&c, 0, &rec);
	ASSERT_RECORD(&rec, T0, true, true, "no newline");
	log_content_free(&c);
	close(fd);
}

static void
test_empty_lines(void **state)
{
	struct log_content c;
	struct log_record rec;
	int fd = log_open();

	append(fd, false, "\n\n", 2, T0);
	log_read(fd, &c);
	assert_string_equal(c.buf, STAMP0 " stdout F \n" STAMP0 " stdout F \n");
	assert_int_equal(c.nlines, 2);
	for (size_t i = 0; i < 2; i++) {
		parse_line(&c, i, &rec);
		ASSERT_RECORD(&rec, T0, false, false, "");
	}
	log_content_free(&c);
	close(fd);

	fd = log_open();
	append(fd, false, "a\n\nb\n", 5, T0);
	log_read(fd, &c);
	assert_int_equal(c.nlines, 3);
	parse_line(&c, 0, &rec);
	ASSERT_RECORD(&rec, T0, false, false, "a");
	parse_line(&c, 1, &rec);
	ASSERT_RECORD(&rec, T0, false, false, "");
	parse_line(&c, 2, &rec);
	ASSERT_RECORD(&rec, T0, false, false, "b");
	log_content_free(&c);
	close(fd);
}

static void
test_nothing_to_append(void **state)
{
	struct stat st;
	int fd = log_open();

	append(fd, false, "", 0, T0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);
	close(fd);
}

static void
test_streams(void **state)
{
	struct log_content c;
	struct log_record rec;
	int fd = log_open();

	append(fd, false, "out\n", 4, T0);
	append(fd, true, "err\n", 4, T0 + 1);
	append(fd, true, "err2", 4, T0 + 2);
	log_read(fd, &c);
	assert_string_equal(c.buf, STAMP0 " stdout F out\n"
					  "2026-11-29T04:12:24.123456790Z stderr F err\n"
					  "2026-11-29T04:12:24.123456791Z stderr P err2\n");
	parse_line(&c, 0, &rec);
	ASSERT_RECORD(&rec, T0, false, false, "out");
	parse_line(&c, 1, &rec);
	ASSERT_RECORD(&rec, T0 + 1, true, false, "err");
	parse_line(&c, 2, &rec);
	ASSERT_RECORD(&rec, T0 + 2, true, true, "err2");
	log_content_free(&c);
	close(fd);
}

static void
test_timestamps_round_trip(void **state)
{
	const int64_t times[] = {
		0, 1, 999999999, 1000000000, T0, 4102444799999999999LL, time_now_ns()
	};

	for (size_t i = 0; i < ARRAY_SIZE(times); i++) {
		struct log_content c;
		struct log_record rec;
		int fd = log_open();
		append(fd, i % 2, "x\ny", 3, times[i]);
		log_read(fd, &c);
		assert_int_equal(c.nlines, 2);
		parse_line(&c, 0, &rec);
		ASSERT_RECORD(&rec, times[i], i % 2, false, "x");
		parse_line(&c, 1, &rec);
		ASSERT_RECORD(&rec, times[i], i % 2, true, "y");
		log_content_free(&c);
		close(fd);
	}
}

static void
test_data_kept_verbatim(void **state)
{
	static const char data[] = "  leading spaces\ttab\r\n"
				   "F P stdout stderr\n"
				   "bytes \xff\xfe and NUL \0 inside\n";
	struct log_content c;
	struct log_record rec;
	int fd = log_open();

	append(fd, false, data, sizeof(data) - 1, T0);
	log_read(fd, &c);
	assert_int_equal(c.nlines, 3);
	parse_line(&c, 0, &rec);
	ASSERT_RECORD(&rec, T0, false, false, "  leading spaces\ttab\r");
	parse_line(&c, 1, &rec);
	ASSERT_RECORD(&rec, T0, false, false, "F P stdout stderr");
	parse_line(&c, 2, &rec);
	ASSERT_RECORD(&rec, T0, false, false, "bytes \xff\xfe and NUL \0 inside");
	log_content_free(&c);
	close(fd);
}

static void
test_large_and_many(void **state)
{
	size_t big = 100 * 1024;
	char *buf = xmalloc(big);
	struct log_content c;
	struct log_record rec;
	int fd = log_open();

	/* One long partial record. */
	for (size_t i = 0; i < big; i++)
		buf[i] = (char)('a' + i % 26);
	append(fd, false, buf, big, T0);
	log_read(fd, &c);
	assert_int_equal(c.nlines, 1);
	parse_line(&c, 0, &rec);
	assert_record(&rec, T0, false, true, buf, big);
	log_content_free(&c);
	close(fd);

	/* Many short lines in one buffer: one record each. */
	fd = log_open();
	for (size_t i = 0; i < 1000; i++) {
		buf[2 * i] = (char)('0' + i % 10);
		buf[2 * i + 1] = '\n';
	}
	append(fd, true, buf, 2000, T0);
	log_read(fd, &c);
	assert_int_equal(c.nlines, 1000);
	for (size_t i = 0; i < ARRAY_SIZE(c.lines); i++) {
		char want = (char)('0' + i % 10);
		parse_line(&c, i, &rec);
		assert_record(&rec, T0, true, false, &want, 1);
	}
	log_content_free(&c);
	close(fd);

	/*
	 * A whole 64 KiB read of one-byte lines grows to 1.4 MB of records (42 bytes each),
	 * built in a fixed buffer and written as it fills: none is lost or torn.
	 */
	fd = log_open();
	for (size_t i = 0; i < 32768; i++) {
		buf[2 * i] = (char)('a' + i % 26);
		buf[2 * i + 1] = '\n';
	}
	append(fd, false, buf, 65536, T0);
	log_read(fd, &c);
	assert_int_equal(c.nlines, 32768);
	assert_int_equal(c.len, 32768 * 42);
	for (size_t i = 0; i < ARRAY_SIZE(c.lines); i++) {
		char want = (char)('a' + i % 26);
		parse_line(&c, i, &rec);
		assert_record(&rec, T0, false, false, &want, 1);
	}
	log_content_free(&c);
	close(fd);
	free(buf);
}

static void
test_appends_accumulate(void **state)
{
	struct log_content c;
	struct log_record rec;
	int fd = log_open();

	/* A container that writes "hel", "lo\nwor", "ld\n": P, F + P, F records. */
	append(fd, false, "hel", 3, T0);
	append(fd, false, "lo\nwor", 6, T0);
	append(fd, false, "ld\n", 3, T0);
	log_read(fd, &c);
	assert_int_equal(c.nlines, 4);
	parse_line(&c, 0, &rec);
	ASSERT_RECORD(&rec, T0, false, true, "hel");
	parse_line(&c, 1, &rec);
	ASSERT_RECORD(&rec, T0, false, false, "lo");
	parse_line(&c, 2, &rec);
	ASSERT_RECORD(&rec, T0, false, true, "wor");
	parse_line(&c, 3, &rec);
	ASSERT_RECORD(&rec, T0, false, false, "ld");
	log_content_free(&c);
	close(fd);
}

static void
test_append_error(void **state)
{
	int fd = log_open();

	close(fd);
	errno = 0;
	assert_int_equal(logfile_append(fd, false, "x\n", 2, T0), -1);
	assert_int_equal(errno, EBADF);
}

static void
test_parse_valid_variants(void **state)
{
	struct log_record rec;

	/* Fewer fractional digits, or none. */
	static const char no_frac[] = "2026-11-29T04:12:24Z stdout F x";
	assert_int_equal(parse_exact(no_frac, sizeof(no_frac) - 1, &rec), 0);
	ASSERT_RECORD(&rec, 1795925544000000000LL, false, false, "x");
	static const char ms[] = "2026-11-29T04:12:24.5Z stderr P y z";
	assert_int_equal(parse_exact(ms, sizeof(ms) - 1, &rec), 0);
	ASSERT_RECORD(&rec, 1795925544500000000LL, true, true, "y z");

	/* Only len bytes count. */
	static const char longer[] = STAMP0 " stdout F hello world";
	assert_int_equal(parse_exact(longer, sizeof(longer) - 1 - 6, &rec), 0);
	ASSERT_RECORD(&rec, T0, false, false, "hello");
	assert_int_equal(parse_exact(longer, strlen(STAMP0 " stdout F "), &rec), 0);
	ASSERT_RECORD(&rec, T0, false, false, "");
}

static void
test_parse_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"garbage",
		STAMP0,
		STAMP0 " ",
		STAMP0 " stdout",
		STAMP0 " stdout ",
		"notatime stdout F x",
		" stdout F x",
		"2026-11-29T04:12:24.123456789 stdout F x",
		"2026-11-29 04:12:24Z stdout F x",
		"2026-11-29T04:12:24.1234567890Z stdout F x",
		"2026-11-29T04:12:24.123456789Z-and-then-some-more-text stdout F x",
		STAMP0 " stdin F x",
		STAMP0 " STDOUT F x",
		STAMP0 " stdoutF x",
		STAMP0 " stdout  F x",
		STAMP0 " stdout X x",
		STAMP0 " stdout f x",
		STAMP0 " stdout Fx",
		STAMP0 " stdout Px",
		STAMP0 " stderrr F x",
		STAMP0 "\tstdout F x",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct log_record rec;
		if (parse_exact(bad[i], strlen(bad[i]), &rec) != -1)
			fail_msg("logfile_parse accepted \"%s\"", bad[i]);
	}
}

/* ------------------------------------------------------------------ rotation */

static void
test_rotated_names(void **state)
{
	(void)state;
	char *n = logfile_name("/var/lib/ctrd/containers/x/ctr.log", 0);
	assert_string_equal(n, "/var/lib/ctrd/containers/x/ctr.log");
	free(n);
	n = logfile_name("/var/lib/ctrd/containers/x/ctr.log", 1);
	assert_string_equal(n, "/var/lib/ctrd/containers/x/ctr.log.1");
	free(n);
	n = logfile_name("ctr.log", 10);
	assert_string_equal(n, "ctr.log.10");
	free(n);
}

/* A log in a temporary directory, open for appending as the monitor keeps it. */
struct rot {
	char dir[64];
	char *path;
	int fd;
};

static int
rot_setup(void **state)
{
	struct rot *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	strcpy(r->dir, "/tmp/test_logfile.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	r->path = xasprintf("%s/ctr.log", r->dir);
	umask(022);
	r->fd = open(r->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	assert_true(r->fd >= 0);
	*state = r;
	return 0;
}

static int
rot_teardown(void **state)
{
	struct rot *r = *state;

	close(r->fd);
	/* Whatever a failed test left there too. */
	assert_int_equal(fs_remove_tree(r->dir, NULL), 0);
	free(r->path);
	free(r);
	return 0;
}

static void
rot_write(struct rot *r, const char *s)
{
	assert_int_equal(write_all(r->fd, s, strlen(s)), 0);
}

/* The content of path.k, or "(none)" when it does not exist. */
static void
assert_rotated(struct rot *r, int k, const char *want)
{
	char *n = logfile_name(r->path, k);
	int fd = open(n, O_RDONLY | O_CLOEXEC);
	char buf[256] = "(none)";

	if (fd >= 0) {
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		assert_true(len >= 0);
		buf[len] = '\0';
		close(fd);
	} else {
		assert_int_equal(errno, ENOENT);
	}
	if (strcmp(buf, want) != 0)
		fail_msg("%s: \"%s\", expected \"%s\"", n, buf, want);
	free(n);
}

static void
test_rotate_order(void **state)
{
	struct rot *r = *state;
	int fd = r->fd;

	/* Three files: the log and two rotated ones, newest first. */
	rot_write(r, "a");
	assert_int_equal(logfile_rotate(r->fd, r->path, 3), 0);
	assert_rotated(r, 0, "");
	assert_rotated(r, 1, "a");
	assert_rotated(r, 2, "(none)");
	/* The same fd number now writes to the new, empty log. */
	assert_int_equal(r->fd, fd);
	rot_write(r, "b");
	assert_rotated(r, 0, "b");
	assert_int_equal(logfile_rotate(r->fd, r->path, 3), 0);
	rot_write(r, "c");
	assert_rotated(r, 0, "c");
	assert_rotated(r, 1, "b");
	assert_rotated(r, 2, "a");
	/* Full: the oldest goes, never a fourth file. */
	assert_int_equal(logfile_rotate(r->fd, r->path, 3), 0);
	rot_write(r, "d");
	assert_rotated(r, 0, "d");
	assert_rotated(r, 1, "c");
	assert_rotated(r, 2, "b");
	assert_rotated(r, 3, "(none)");
	assert_int_equal(logfile_rotate(r->fd, r->path, 3), 0);
	assert_rotated(r, 0, "");
	assert_rotated(r, 1, "d");
	assert_rotated(r, 2, "c");
	assert_rotated(r, 3, "(none)");
}

static void
test_rotate_new_file(void **state)
{
	struct rot *r = *state;
	struct stat st;

	rot_write(r, "old");
	assert_int_equal(logfile_rotate(r->fd, r->path, 2), 0);
	/* A new file, as private as the first, appending, not inherited by children. */
	assert_int_equal(fstat(r->fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, 0);
	struct stat at_path;
	assert_int_equal(stat(r->path, &at_path), 0);
	assert_int_equal(at_path.st_ino, st.st_ino);
	assert_true(fcntl(r->fd, F_GETFL) & O_APPEND);
	assert_true(fcntl(r->fd, F_GETFD) & FD_CLOEXEC);
	/* Appending: whatever another writer adds, nothing is overwritten. */
	int other = open(r->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(other >= 0);
	assert_int_equal(write_all(other, "x", 1), 0);
	close(other);
	rot_write(r, "y");
	assert_rotated(r, 0, "xy");
	assert_rotated(r, 1, "old");
}

static void
test_rotate_one_file_truncates(void **state)
{
	struct rot *r = *state;
	struct stat before, after;

	assert_int_equal(fstat(r->fd, &before), 0);
	rot_write(r, "a lot of old output");
	/* One file (or none): no rotated file, the log is emptied in place. */
	assert_int_equal(logfile_rotate(r->fd, r->path, 1), 0);
	assert_rotated(r, 0, "");
	assert_rotated(r, 1, "(none)");
	rot_write(r, "new");
	assert_rotated(r, 0, "new");
	assert_int_equal(logfile_rotate(r->fd, r->path, 0), 0);
	assert_rotated(r, 0, "");
	assert_rotated(r, 1, "(none)");
	assert_int_equal(fstat(r->fd, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
}

static void
test_rotate_gaps(void **state)
{
	struct rot *r = *state;

	/* Older files that are missing (deleted by hand, or fewer rotations yet) are no error. */
	rot_write(r, "a");
	assert_int_equal(logfile_rotate(r->fd, r->path, 5), 0);
	rot_write(r, "b");
	char *one = logfile_name(r->path, 1);
	assert_int_equal(unlink(one), 0);
	free(one);
	assert_int_equal(logfile_rotate(r->fd, r->path, 5), 0);
	assert_rotated(r, 0, "");
	assert_rotated(r, 1, "b");
	assert_rotated(r, 2, "(none)");
	assert_rotated(r, 3, "(none)");
}

static void
test_rotate_error_keeps_fd(void **state)
{
	struct rot *r = *state;
	char *two = logfile_name(r->path, 2), *inside = xasprintf("%s/x", two);

	/* path.1 cannot move up over a non-empty directory at path.2. */
	rot_write(r, "a");
	assert_int_equal(logfile_rotate(r->fd, r->path, 3), 0);
	assert_int_equal(mkdir(two, 0755), 0);
	assert_int_equal(mkdir(inside, 0755), 0);
	rot_write(r, "b");
	assert_int_equal(logfile_rotate(r->fd, r->path, 3), -1);
	/* Nothing moved, and the fd still writes to the log. */
	rot_write(r, "c");
	assert_rotated(r, 0, "bc");
	assert_rotated(r, 1, "a");
	assert_int_equal(rmdir(inside), 0);
	free(inside);
	free(two);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete_lines),
		cmocka_unit_test(test_trailing_partial),
		cmocka_unit_test(test_empty_lines),
		cmocka_unit_test(test_nothing_to_append),
		cmocka_unit_test(test_streams),
		cmocka_unit_test(test_timestamps_round_trip),
		cmocka_unit_test(test_data_kept_verbatim),
		cmocka_unit_test(test_large_and_many),
		cmocka_unit_test(test_appends_accumulate),
		cmocka_unit_test(test_append_error),
		cmocka_unit_test(test_parse_valid_variants),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_rotated_names),
		cmocka_unit_test_setup_teardown(test_rotate_order, rot_setup, rot_teardown),
		cmocka_unit_test_setup_teardown(test_rotate_new_file, rot_setup, rot_teardown),
		cmocka_unit_test_setup_teardown(test_rotate_one_file_truncates, rot_setup,
						rot_teardown),
		cmocka_unit_test_setup_teardown(test_rotate_gaps, rot_setup, rot_teardown),
		cmocka_unit_test_setup_teardown(test_rotate_error_keeps_fd, rot_setup,
						rot_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
