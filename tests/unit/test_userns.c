/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/userns.h: finding ctrd's range in /etc/subuid and
 * /etc/subgid contents, parsing --userns-range, and, as root, writing the
 * maps of a child that unshared its user namespace.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <grp.h>
#include <string.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "userns.h"

#define CTRD_UID 999 /* the uid of user "ctrd" in these tests */

/* ------------------------------------------------------------------ helpers */

/* userns_find_subid(data) for user ctrd must find start and count. */
static void
find_ok(const char *data, uint32_t want_start, uint32_t want_count)
{
	uint32_t start = 0xdead, count = 0xbeef;

	if (userns_find_subid(data, "ctrd", CTRD_UID, &start, &count) != 0)
		fail_msg("no range found in \"%s\"", data);
	if (start != want_start || count != want_count)
		fail_msg("\"%s\": %u:%u, want %u:%u", data, start, count, want_start, want_count);
}

/* userns_find_subid(data) for user ctrd must find nothing. */
static void
find_none(const char *data)
{
	uint32_t start = 0xdead, count = 0xbeef;

	if (userns_find_subid(data, "ctrd", CTRD_UID, &start, &count) != -1)
		fail_msg("\"%s\": found %u:%u", data ? data : "NULL", start, count);
}

static void
range_ok(const char *s, uint32_t want_base, uint32_t want_count)
{
	struct userns_range r = { 1, 2, 3 };

	if (userns_parse_range(s, &r) != 0)
		fail_msg("\"%s\" rejected", s);
	if (r.uid != want_base || r.gid != want_base || r.count != want_count)
		fail_msg("\"%s\": uid %u gid %u count %u, want %u and %u", s, r.uid, r.gid, r.count,
			 want_base, want_count);
}

/* A rejected range leaves r as it was. */
static void
range_fails(const char *s)
{
	struct userns_range r = { 1, 2, 3 };

	if (userns_parse_range(s, &r) != -1)
		fail_msg("\"%s\" accepted: uid %u count %u", s, r.uid, r.count);
	assert_int_equal(r.uid, 1);
	assert_int_equal(r.gid, 2);
	assert_int_equal(r.count, 3);
}

/* ---------------------------------------------------------------- find_subid */

static void
test_find_by_name(void **state)
{
	find_ok("ctrd:100000:65536\n", 100000, 65536);
	find_ok("ctrd:100000:65536", 100000, 65536);
	find_ok("alice:100000:65536\n"
		"ctrd:165536:65536\n"
		"bob:231072:65536\n",
		165536, 65536);
	/* Names are whole fields. */
	find_ok("ctrdx:1:65536\n"
		"ctr:2:65536\n"
		"Ctrd:3:65536\n"
		"ctrd:4:65536\n",
		4, 65536);
	/* The largest count there is. */
	find_ok("ctrd:1:4294967294\n", 1, 4294967294U);
}

static void
test_find_by_uid(void **state)
{
	find_ok("999:200000:65536\n", 200000, 65536);
	find_ok("alice:100000:65536\n"
		"999:300000:70000\n",
		300000, 70000);
	/* The uid as a whole field, as the kernel prints it. */
	find_none("9999:1:65536\n"
		  "99:2:65536\n"
		  "0999:3:65536\n");
	/* By name and by uid in one file: the first good one. */
	find_ok("999:1000:65536\n"
		"ctrd:2000:65536\n",
		1000, 65536);
	find_ok("ctrd:1000:65536\n"
		"999:2000:65536\n",
		1000, 65536);

	uint32_t start = 0, count = 0;
	assert_int_equal(userns_find_subid("0:5:65536\n", "ctrd", 0, &start, &count), 0);
	assert_int_equal(start, 5);
	assert_int_equal(count, 65536);
	assert_int_equal(userns_find_subid("4294967295:6:65536\n", "x", UINT32_MAX, &start, &count),
			 0);
	assert_int_equal(start, 6);
}

static void
test_find_prefers_whole_container(void **state)
{
	/* The first range of at least 65536 ids ... */
	find_ok("ctrd:1000:100\n"
		"ctrd:2000:70000\n"
		"ctrd:300000:65536\n",
		2000, 70000);
	find_ok("ctrd:100000:65536\n"
		"ctrd:200000:1000000\n",
		100000, 65536);
	find_ok("ctrd:1000:100\n"
		"ctrd:2000:50000\n"
		"ctrd:300000:65536\n"
		"ctrd:400000:900000\n",
		300000, 65536);
	find_ok("ctrd:1000:65535\n"
		"ctrd:2000:65536\n",
		2000, 65536);
	/* ... else the largest, the first of equals. */
	find_ok("ctrd:1000:100\n"
		"ctrd:2000:500\n"
		"ctrd:3000:200\n",
		2000, 500);
	find_ok("ctrd:1000:500\n"
		"ctrd:2000:500\n",
		1000, 500);
	find_ok("ctrd:1000:1\n", 1000, 1);
	find_ok("alice:1:65536\n"
		"ctrd:3000:200\n"
		"alice:2:65536\n"
		"ctrd:4000:300\n",
		4000, 300);
}

static void
test_find_comments_and_blank_lines(void **state)
{
	find_ok("# ctrd:1:65536\n"
		"#ctrd:2:65536\n"
		"\n"
		"ctrd:300000:65536\n"
		"\n",
		300000, 65536);
	find_none("#ctrd:1:65536\n");
	find_none("# ctrd:1:65536\n"
		  "#999:2:65536\n");
	find_none("\n\n\n");
	find_none("");
	find_none(NULL);

	/* A comment never matches, even a user whose name starts with '#'. */
	uint32_t start = 0, count = 0;
	assert_int_equal(userns_find_subid("#ctrd:1:65536\n", "#ctrd", 1, &start, &count), -1);
	assert_int_equal(userns_find_subid("#1:1:65536\n", "x", 1, &start, &count), -1);
}

static void
test_find_malformed_lines(void **state)
{
	static const char *const bad[] = {
		"ctrd",
		"ctrd:",
		"ctrd:100000",
		"ctrd:100000:",
		"ctrd:abc:65536",
		"ctrd:100000:abc",
		"ctrd:-1:65536",
		"ctrd:100000:-1",
		"ctrd: 100000:65536",
		"ctrd:100000: 65536",
		"ctrd:100000:65536 ",
		"ctrd :100000:65536",
		"ctrd:+100000:65536",
		"ctrd:100000:0x10000",
		"ctrd:1e5:65536",
		":100000:65536",
		"ctrd\t100000\t65536",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		/* Alone, and followed by a good line, which is then the one found. */
		char *text = xasprintf("%s\nctrd:500000:65536\n", bad[i]);
		find_none(bad[i]);
		find_ok(text, 500000, 65536);
		free(text);
	}
}

/*
 * A line with an empty field is malformed (shadow's subordinate_parse()
 * rejects it) and must not give a range. strtok_r() in userns_find_subid()
 * folds runs of ':' into one, so "ctrd::100000:65536" reads as start 100000,
 * count 65536, and ":ctrd:1:65536" as user ctrd.
 */
static void
test_find_empty_fields(void **state)
{
	static const char *const lines[] = {
		"ctrd::100000:65536",
		"ctrd:100000::65536",
		":ctrd:100000:65536",
		"ctrd:::100000:65536",
	};
	char bad[512] = "";

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		uint32_t start = 0, count = 0;
		if (userns_find_subid(lines[i], "ctrd", CTRD_UID, &start, &count) != -1) {
			size_t used = strlen(bad);
			snprintf(bad + used, sizeof(bad) - used, " \"%s\"->%u:%u", lines[i], start,
				 count);
		}
	}
	if (bad[0] != '\0')
		fail_msg("lines with empty fields give ranges:%s", bad);
}

static void
test_find_zero_counts(void **state)
{
	find_none("ctrd:100000:0\n");
	find_none("ctrd:100000:00\n");
	find_ok("ctrd:100000:0\n"
		"ctrd:200000:65536\n",
		200000, 65536);
	find_ok("ctrd:100000:0\n"
		"ctrd:200000:1\n",
		200000, 1);
}

static void
test_find_overflow(void **state)
{
	/* The last id, start + count - 1, must be a valid id: at most 4294967294. */
	find_ok("ctrd:4294901759:65536\n", 4294901759U, 65536);
	find_none("ctrd:4294901760:65536\n");
	find_ok("ctrd:4294967294:1\n", 4294967294U, 1);
	find_none("ctrd:4294967295:1\n");
	find_none("ctrd:4294967296:1\n");
	find_none("ctrd:1:4294967295\n");
	find_none("ctrd:1:4294967296\n");
	find_none("ctrd:18446744073709551615:1\n");
	find_none("ctrd:18446744073709551616:65536\n");
	find_none("ctrd:100000:18446744073709551615\n");
	find_none("ctrd:100000:99999999999999999999999\n");
	/* Such a line is skipped, not the end of the search. */
	find_ok("ctrd:4294967295:65536\n"
		"ctrd:100000:65536\n",
		100000, 65536);
}

static void
test_find_crlf(void **state)
{
	find_ok("ctrd:100000:65536\r\n", 100000, 65536);
	find_ok("ctrd:100000:65536\r", 100000, 65536);
	find_ok("# a comment\r\n"
		"\r\n"
		"alice:1:65536\r\n"
		"ctrd:1000:100\r\n"
		"999:2000:70000\r\n"
		"ctrd:300000:65536\r\n",
		2000, 70000);
	find_ok("ctrd:1000:500\r\n"
		"ctrd:2000:499\r\n",
		1000, 500);
}

static void
test_find_no_match(void **state)
{
	find_none("alice:100000:65536\n"
		  "bob:165536:65536\n");
	find_none("alice:100000:65536");
	find_none("CTRD:100000:65536\n");
	find_none("ctrd100000:65536\n");
	/* The last line without its newline, after many others. */
	size_t cap = 2000 * 32;
	char *big = xmalloc(cap), *p = big;
	for (int i = 0; i < 2000; i++)
		p += snprintf(p, cap - (size_t)(p - big), "user%d:%d:65536\n", i, 100000 + i);
	find_none(big);
	snprintf(p, cap - (size_t)(p - big), "ctrd:7:8");
	find_ok(big, 7, 8);
	free(big);
}

/* --------------------------------------------------------------- parse_range */

static void
test_range_ok(void **state)
{
	range_ok("100000", 100000, 65536);
	range_ok("100000:1000", 100000, 1000);
	range_ok("100000:65536", 100000, 65536);
	range_ok("1", 1, 65536);
	range_ok("1:1", 1, 1);
	range_ok("0100000", 100000, 65536);
	/* The last id, base + count - 1, may be 4294967294. */
	range_ok("4294901759", 4294901759U, 65536);
	range_ok("4294967294:1", 4294967294U, 1);
	range_ok("1:4294967294", 1, 4294967294U);
}

static void
test_range_malformed(void **state)
{
	/* Host id 0 would map container root to host root. */
	range_fails("0");
	range_fails("0:65536");
	range_fails("00");
	range_fails("abc");
	range_fails("1:0");
	range_fails("100000:0");
	range_fails("");
	range_fails(":");
	range_fails(":65536");
	range_fails("100000:");
	range_fails("-1");
	range_fails("100000:-1");
	range_fails("+100000");
	range_fails("0x10000");
	range_fails(" 100000");
	range_fails("100000 ");
	range_fails("100000:65536 ");
	range_fails("100000\n");
}

static void
test_range_trailing_junk(void **state)
{
	range_fails("100000x");
	range_fails("100000:65536x");
	range_fails("100000:65536:1");
	range_fails("100000::65536");
	range_fails("100000-165535");
	range_fails("1e5");
}

static void
test_range_overflow(void **state)
{
	range_fails("4294901760");
	range_fails("4294967294:2");
	range_fails("4294967295");
	range_fails("4294967295:1");
	range_fails("4294967296:1");
	range_fails("1:4294967295");
	range_fails("1:4294967296");
	range_fails("18446744073709551615");
	range_fails("18446744073709551616");
	range_fails("1:18446744073709551615");
	range_fails("99999999999999999999999:1");
}

/* ---------------------------------------------------------- write_maps (root) */

static void
test_write_maps_no_process(void **state)
{
	struct ctr_error err = CTR_ERROR_INIT;
	struct userns_range r = { 100000, 100000, 65536 };
	char msg[256];

	/* No pid is that large (pid_max is at most 2^22). */
	assert_int_equal(userns_write_maps(INT_MAX, &r, &err), -1);
	snprintf(msg, sizeof(msg), "%s", err.msg ? err.msg : "");
	int code = err.code, errnum = err.errnum;
	ctr_error_clear(&err);
	assert_int_equal(code, CTR_E_SYSTEM);
	assert_int_equal(errnum, ENOENT);
	if (strstr(msg, "/proc/2147483647/setgroups") == NULL)
		fail_msg("\"%s\" does not name the file", msg);
}

/* What the child in a new user namespace saw once its maps were written. */
struct child_report {
	int unshare_errno;   /* unshare(CLONE_NEWUSER) failed: skip */
	int setid_errno;     /* setresgid/setresuid to 0 inside */
	int setgroups_errno; /* setgroups() inside: denied */
	uid_t uid;
	gid_t gid;
	char uid_map[128], gid_map[128], setgroups[32];
};

static void
read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* The child: a new user namespace, then waits for its maps and reports what it sees. */
static _noreturn_ void
userns_child(int ready, int go)
{
	struct child_report rep;
	char byte = 'r';

	memset(&rep, 0, sizeof(rep));
	if (unshare(CLONE_NEWUSER) < 0) {
		rep.unshare_errno = errno;
		_exit(write(ready, &rep, sizeof(rep)) == (ssize_t)sizeof(rep) ? 0 : 1);
	}
	if (write(ready, &byte, 1) != 1)
		_exit(1);
	/* The parent writes the maps, then closes go: EOF. */
	while (read(go, &byte, 1) > 0)
		;
	/* Host root is not in the map; container root is, and the child may become it. */
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		rep.setid_errno = errno;
	if (setgroups(0, NULL) < 0)
		rep.setgroups_errno = errno;
	rep.uid = getuid();
	rep.gid = getgid();
	read_text("/proc/self/uid_map", rep.uid_map, sizeof(rep.uid_map));
	read_text("/proc/self/gid_map", rep.gid_map, sizeof(rep.gid_map));
	read_text("/proc/self/setgroups", rep.setgroups, sizeof(rep.setgroups));
	_exit(write(ready, &rep, sizeof(rep)) == (ssize_t)sizeof(rep) ? 0 : 1);
}

/* One map line: "inside outside count", exactly one of them. */
static void
assert_map(const char *map, unsigned inside, unsigned outside, unsigned count)
{
	unsigned a, b, c;
	int end = 0;

	if (sscanf(map, "%u %u %u\n%n", &a, &b, &c, &end) != 3 || map[end] != '\0' || a != inside ||
	    b != outside || c != count)
		fail_msg("map \"%s\", want \"%u %u %u\"", map, inside, outside, count);
}

/*
 * As root: a child unshares its user namespace, userns_write_maps() maps it,
 * and the child sees exactly the range, can become root inside and cannot
 * call setgroups(). A second write fails, as the kernel allows each map once.
 */
static void
test_write_maps(void **state)
{
	struct ctr_error err = CTR_ERROR_INIT, err2 = CTR_ERROR_INIT;
	struct userns_range r = { 100000, 200000, 1000 };
	struct child_report rep;
	int ready[2], go[2], status, rc = -1, rc2 = -1;
	char msg[256] = "", msg2[256] = "";
	pid_t pid;

	if (geteuid() != 0)
		skip();
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		userns_child(ready[1], go[0]);
	}
	close(ready[1]);
	close(go[0]);

	/* Nothing may fail before go is closed, or the child would wait for ever. */
	memset(&rep, 0, sizeof(rep));
	ssize_t n = read(ready[0], &rep, sizeof(rep));
	if (n == 1) {
		rc = userns_write_maps(pid, &r, &err);
		rc2 = userns_write_maps(pid, &r, &err2);
	}
	close(go[1]);
	ssize_t n2 = n == 1 ? read(ready[0], &rep, sizeof(rep)) : 0;
	close(ready[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	snprintf(msg, sizeof(msg), "%s", err.msg ? err.msg : "");
	snprintf(msg2, sizeof(msg2), "%s", err2.msg ? err2.msg : "");
	int code2 = err2.code, errnum2 = err2.errnum;
	ctr_error_clear(&err);
	ctr_error_clear(&err2);

	if (n == (ssize_t)sizeof(rep) && rep.unshare_errno != 0)
		skip(); /* no user namespaces here */
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(n, 1);
	if (rc != 0)
		fail_msg("userns_write_maps: %s", msg);
	assert_int_equal(n2, sizeof(rep));
	assert_int_equal(rep.setid_errno, 0);
	assert_int_equal(rep.setgroups_errno, EPERM);
	assert_int_equal(rep.uid, 0);
	assert_int_equal(rep.gid, 0);
	assert_map(rep.uid_map, 0, 100000, 1000);
	assert_map(rep.gid_map, 0, 200000, 1000);
	assert_string_equal(rep.setgroups, "deny\n");

	/* setgroups cannot change once gid_map is written. */
	assert_int_equal(rc2, -1);
	assert_int_equal(code2, CTR_E_SYSTEM);
	assert_int_equal(errnum2, EPERM);
	char *want = xasprintf("/proc/%d/setgroups", (int)pid);
	bool named = strstr(msg2, want) != NULL;
	free(want);
	if (!named)
		fail_msg("\"%s\" does not name setgroups", msg2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_by_name),
		cmocka_unit_test(test_find_by_uid),
		cmocka_unit_test(test_find_prefers_whole_container),
		cmocka_unit_test(test_find_comments_and_blank_lines),
		cmocka_unit_test(test_find_malformed_lines),
		cmocka_unit_test(test_find_empty_fields),
		cmocka_unit_test(test_find_zero_counts),
		cmocka_unit_test(test_find_overflow),
		cmocka_unit_test(test_find_crlf),
		cmocka_unit_test(test_find_no_match),
		cmocka_unit_test(test_range_ok),
		cmocka_unit_test(test_range_malformed),
		cmocka_unit_test(test_range_trailing_junk),
		cmocka_unit_test(test_range_overflow),
		cmocka_unit_test(test_write_maps_no_process),
		cmocka_unit_test(test_write_maps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
