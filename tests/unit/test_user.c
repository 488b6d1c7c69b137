/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/user.h: resolving "uid[:gid]" and "name[:group]"
 * against the container's own /etc/passwd and /etc/group contents.
 */
#include "config.h"

#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "user.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
			     "\n"
			     "app:x:1000:1000:App:/home/app:/bin/sh\n"
			     "nohome:x:1001:1001:::/bin/sh\n"
			     "nogid:x:1002\n"
			     "other:x:1003:1003::/home/other:/bin/sh\n"
			     "last:x:2000:2001::/home/last:/bin/sh"; /* no final newline */

static const char group[] = "root:x:0:\n"
			    "staff:x:50:app,other\n"
			    "\n"
			    "users:x:100:other,app\n"
			    "empty:x:60:\n"
			    "solo:x:70:app\n"
			    "app:x:1000:\n"
			    "badgid:x:xyz:app\n"
			    "biggid:x:4294967296:app\n"
			    "huge:x:4294967295:app\n";

/* ------------------------------------------------------------------ helpers */

static void
resolve_ok(const char *spec, const char *pw, const char *gr, struct user_ids *out)
{
	struct ctr_error err = CTR_ERROR_INIT;

	if (user_resolve(spec, pw, gr, out, &err) != 0)
		fail_msg("user_resolve(%s): %s", spec ? spec : "NULL", err.msg);
	assert_int_equal(err.code, 0);
	assert_non_null(out->home);
}

static void
resolve_fails(const char *spec, const char *pw, const char *gr, const char *what)
{
	struct ctr_error err = CTR_ERROR_INIT;
	struct user_ids out;

	if (user_resolve(spec, pw, gr, &out, &err) != -1)
		fail_msg("user_resolve(%s) succeeded: uid %u gid %u", spec, (unsigned)out.uid,
			 (unsigned)out.gid);
	assert_int_equal(err.code, CTR_E_INVALID_PARAMS);
	if (what != NULL && strstr(err.msg, what) == NULL)
		fail_msg("user_resolve(%s): \"%s\" does not say \"%s\"", spec, err.msg, what);
	/* Nothing to free after a failure, and freeing is harmless. */
	assert_null(out.groups);
	assert_null(out.home);
	user_ids_free(&out);
	ctr_error_clear(&err);
}

static void
assert_ids(const struct user_ids *u, uid_t uid, gid_t gid, const char *home)
{
	assert_int_equal(u->uid, uid);
	assert_int_equal(u->gid, gid);
	assert_string_equal(u->home, home);
}

/* ---------------------------------------------------------------------- root */

static void
test_null_spec_is_root(void **state)
{
	struct user_ids u;

	resolve_ok(NULL, passwd, group, &u);
	assert_ids(&u, 0, 0, "/root");
	assert_int_equal(u.ngroups, 0);
	user_ids_free(&u);
	assert_null(u.home);
	assert_null(u.groups);

	/* No files at all: still root, home /root. */
	resolve_ok(NULL, NULL, NULL, &u);
	assert_ids(&u, 0, 0, "/root");
	assert_int_equal(u.ngroups, 0);
	user_ids_free(&u);

	/* root's home comes from passwd when it has one. */
	resolve_ok(NULL, "root:x:0:0::/var/root:/bin/sh\n", NULL, &u);
	assert_ids(&u, 0, 0, "/var/root");
	user_ids_free(&u);

	resolve_ok("0", passwd, group, &u);
	assert_ids(&u, 0, 0, "/root");
	user_ids_free(&u);
	resolve_ok("root", passwd, group, &u);
	assert_ids(&u, 0, 0, "/root");
	user_ids_free(&u);
}

/* ------------------------------------------------------------------- numeric */

static void
test_numeric_uid(void **state)
{
	struct user_ids u;

	/* With a passwd entry: its gid, home and memberships. */
	resolve_ok("1000", passwd, group, &u);
	assert_ids(&u, 1000, 1000, "/home/app");
	/* Member lists in file order; groups with unusable gids are skipped. */
	assert_int_equal(u.ngroups, 3);
	assert_int_equal(u.groups[0], 50);
	assert_int_equal(u.groups[1], 100);
	assert_int_equal(u.groups[2], 70);
	user_ids_free(&u);

	resolve_ok("1", passwd, group, &u);
	assert_ids(&u, 1, 1, "/usr/sbin");
	assert_int_equal(u.ngroups, 0);
	user_ids_free(&u);

	/* The last line, without its newline. */
	resolve_ok("2000", passwd, group, &u);
	assert_ids(&u, 2000, 2001, "/home/last");
	user_ids_free(&u);

	/* Without one: gid 0 and home "/". */
	resolve_ok("4242", passwd, group, &u);
	assert_ids(&u, 4242, 0, "/");
	assert_int_equal(u.ngroups, 0);
	assert_null(u.groups);
	user_ids_free(&u);

	/* Leading zeros are the same number. */
	resolve_ok("01000", passwd, group, &u);
	assert_ids(&u, 1000, 1000, "/home/app");
	user_ids_free(&u);

	/* The largest id that is not (uid_t)-1. */
	resolve_ok("4294967294", passwd, group, &u);
	assert_ids(&u, 4294967294U, 0, "/");
	user_ids_free(&u);
}

static void
test_numeric_uid_gid(void **state)
{
	struct user_ids u;

	resolve_ok("1000:1000", passwd, group, &u);
	assert_ids(&u, 1000, 1000, "/home/app");
	/* An explicit group: no supplementary groups. */
	assert_int_equal(u.ngroups, 0);
	user_ids_free(&u);

	resolve_ok("4242:4343", passwd, group, &u);
	assert_ids(&u, 4242, 4343, "/");
	user_ids_free(&u);

	resolve_ok("1000:0", passwd, group, &u);
	assert_ids(&u, 1000, 0, "/home/app");
	user_ids_free(&u);

	resolve_ok("0:4294967294", NULL, NULL, &u);
	assert_ids(&u, 0, 4294967294U, "/root");
	user_ids_free(&u);
}

/* --------------------------------------------------------------------- names */

static void
test_names(void **state)
{
	struct user_ids u;

	resolve_ok("app", passwd, group, &u);
	assert_ids(&u, 1000, 1000, "/home/app");
	assert_int_equal(u.ngroups, 3);
	user_ids_free(&u);

	resolve_ok("daemon", passwd, group, &u);
	assert_ids(&u, 1, 1, "/usr/sbin");
	user_ids_free(&u);

	resolve_ok("other", passwd, group, &u);
	assert_ids(&u, 1003, 1003, "/home/other");
	assert_int_equal(u.ngroups, 2);
	assert_int_equal(u.groups[0], 50);
	assert_int_equal(u.groups[1], 100);
	user_ids_free(&u);

	resolve_ok("last", passwd, group, &u);
	assert_ids(&u, 2000, 2001, "/home/last");
	user_ids_free(&u);

	/* An empty home field and a missing one: "/" for non-root. */
	resolve_ok("nohome", passwd, group, &u);
	assert_ids(&u, 1001, 1001, "/");
	user_ids_free(&u);
	resolve_ok("nogid", passwd, group, &u);
	assert_ids(&u, 1002, 0, "/");
	user_ids_free(&u);
}

static void
test_name_and_group(void **state)
{
	struct user_ids u;

	resolve_ok("app:staff", passwd, group, &u);
	assert_ids(&u, 1000, 50, "/home/app");
	assert_int_equal(u.ngroups, 0);
	assert_null(u.groups);
	user_ids_free(&u);

	resolve_ok("app:50", passwd, group, &u);
	assert_ids(&u, 1000, 50, "/home/app");
	assert_int_equal(u.ngroups, 0);
	user_ids_free(&u);

	resolve_ok("root:users", passwd, group, &u);
	assert_ids(&u, 0, 100, "/root");
	user_ids_free(&u);

	resolve_ok("4242:staff", passwd, group, &u);
	assert_ids(&u, 4242, 50, "/");
	user_ids_free(&u);

	/* A group name for which no user exists. */
	resolve_ok("daemon:empty", passwd, group, &u);
	assert_ids(&u, 1, 60, "/usr/sbin");
	user_ids_free(&u);
}

/* -------------------------------------------------------------------- errors */

static void
test_unknown_names(void **state)
{
	resolve_fails("nobody", passwd, group, "nobody");
	resolve_fails("App", passwd, group, "App");
	resolve_fails("app:nogroup", passwd, group, "nogroup");
	resolve_fails("1000:nogroup", passwd, group, "nogroup");
	resolve_fails("nobody:staff", passwd, group, "nobody");
	/* A group whose gid is unusable. */
	resolve_fails("app:badgid", passwd, group, "badgid");
	resolve_fails("app:biggid", passwd, group, "biggid");
	resolve_fails("app:huge", passwd, group, "huge");
	/* Names are whole fields, not prefixes. */
	resolve_fails("ap", passwd, group, NULL);
	resolve_fails("app:staf", passwd, group, NULL);
}

static void
test_malformed_specs(void **state)
{
	resolve_fails("", passwd, group, "USER[:GROUP]");
	resolve_fails(":", passwd, group, "USER[:GROUP]");
	resolve_fails("app:", passwd, group, "USER[:GROUP]");
	resolve_fails(":staff", passwd, group, "USER[:GROUP]");
	resolve_fails("1000:", passwd, group, NULL);
	/* "a:b:c" asks for group "b:c", which cannot exist. */
	resolve_fails("app:staff:x", passwd, group, NULL);
}

static void
test_ids_too_large(void **state)
{
	/* (uid_t)-1 and beyond are not ids; as names they are unknown. */
	resolve_fails("4294967295", passwd, group, NULL);
	resolve_fails("4294967296", passwd, group, NULL);
	resolve_fails("99999999999999999999999", passwd, group, NULL);
	resolve_fails("0:4294967295", passwd, group, NULL);
	resolve_fails("0:18446744073709551616", passwd, group, NULL);
	resolve_fails("-1", passwd, group, NULL);
	resolve_fails("0:-1", passwd, group, NULL);
}

static void
test_null_files(void **state)
{
	struct user_ids u;

	resolve_fails("app", NULL, group, "app");
	resolve_fails("root", NULL, NULL, "root");
	resolve_fails("app:staff", passwd, NULL, "staff");
	resolve_fails("0:root", NULL, NULL, "root");

	resolve_ok("1000", NULL, group, &u);
	assert_ids(&u, 1000, 0, "/");
	assert_int_equal(u.ngroups, 0);
	user_ids_free(&u);

	/* A user without /etc/group has no supplementary groups. */
	resolve_ok("app", passwd, NULL, &u);
	assert_ids(&u, 1000, 1000, "/home/app");
	assert_int_equal(u.ngroups, 0);
	user_ids_free(&u);

	resolve_ok("app:50", passwd, NULL, &u);
	assert_ids(&u, 1000, 50, "/home/app");
	user_ids_free(&u);

	/* Empty files are like missing ones. */
	resolve_fails("app", "", "", "app");
	resolve_ok("7:8", "", "", &u);
	assert_ids(&u, 7, 8, "/");
	user_ids_free(&u);
}

static void
test_comments_and_blank_lines(void **state)
{
	static const char pw[] = "\n"
				 "# app:x:1000:1000::/commented:/bin/sh\n"
				 "#app:x:1000:1000::/commented:/bin/sh\n"
				 "\n"
				 "\n"
				 "app:x:1000:1000::/home/app:/bin/sh\n"
				 "\n";
	struct user_ids u;

	/* By name and by uid, the comment lines never match. */
	resolve_ok("app", pw, NULL, &u);
	assert_ids(&u, 1000, 1000, "/home/app");
	user_ids_free(&u);
	resolve_ok("1000", pw, NULL, &u);
	assert_ids(&u, 1000, 1000, "/home/app");
	user_ids_free(&u);
	resolve_fails("#app", pw, NULL, NULL);

	/* Only comments: nothing matches, and a uid is then unknown. */
	resolve_ok("1000", "#app:x:1000:1000::/commented:/bin/sh\n", NULL, &u);
	assert_ids(&u, 1000, 0, "/");
	user_ids_free(&u);

	static const char gr[] = "#wheel:x:10:\n"
				 "\n"
				 "staff:x:50:\n";
	resolve_ok("app:staff", pw, gr, &u);
	assert_int_equal(u.gid, 50);
	user_ids_free(&u);
	resolve_fails("app:#wheel", pw, gr, NULL);
}

/*
 * A commented-out /etc/group line must not make the user a member of that
 * group: db_find() skips lines starting with '#', member_groups() does not.
 */
static void
test_comment_lines_in_group_memberships(void **state)
{
	static const char gr[] = "#wheel:x:10:app\n"
				 "# docker:x:11:app\n"
				 "staff:x:50:app\n";
	struct user_ids u;

	resolve_ok("app", passwd, gr, &u);
	size_t n = u.ngroups;
	gid_t first = n > 0 ? u.groups[0] : 0;
	user_ids_free(&u);
	assert_int_equal(n, 1);
	assert_int_equal(first, 50);
}

/*
 * A passwd entry whose uid field is not a usable id ("abc", or past
 * 0xfffffffe) must not resolve: user_resolve() ignores parse_id()'s failure
 * and hands out uid 0, i.e. root, for such a user name.
 */
static void
test_name_with_bad_uid_in_passwd(void **state)
{
	static const char pw[] = "root:x:0:0::/root:/bin/sh\n"
				 "big:x:4294967296:100::/home/big:/bin/sh\n"
				 "neg:x:-1:100::/home/neg:/bin/sh\n"
				 "word:x:abc:100::/home/word:/bin/sh\n"
				 "empty:x::100::/home/empty:/bin/sh\n";
	static const char *const names[] = { "big", "neg", "word", "empty" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct ctr_error err = CTR_ERROR_INIT;
		struct user_ids u;
		int rc = user_resolve(names[i], pw, NULL, &u, &err);
		uid_t uid = u.uid;
		int code = err.code;

		if (rc == 0)
			user_ids_free(&u);
		ctr_error_clear(&err);
		if (rc == 0)
			fail_msg("user \"%s\" with an unusable uid resolved to uid %u", names[i],
				 (unsigned)uid);
		assert_int_equal(code, CTR_E_INVALID_PARAMS);
	}
}

static void
test_many_groups(void **state)
{
	size_t cap = 100 * 32;
	char *gr = xmalloc(cap), *p = gr;
	struct user_ids u;

	/* 70 groups list app; at most 64 are kept. */
	for (int i = 0; i < 70; i++)
		p += snprintf(p, cap - (size_t)(p - gr), "g%d:x:%d:x,app,y\n", i, 5000 + i);
	resolve_ok("app", passwd, gr, &u);
	free(gr);
	assert_int_equal(u.ngroups, 64);
	for (size_t i = 0; i < u.ngroups; i++)
		assert_int_equal(u.groups[i], 5000 + i);
	user_ids_free(&u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_spec_is_root),
		cmocka_unit_test(test_numeric_uid),
		cmocka_unit_test(test_numeric_uid_gid),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_and_group),
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_malformed_specs),
		cmocka_unit_test(test_ids_too_large),
		cmocka_unit_test(test_null_files),
		cmocka_unit_test(test_comments_and_blank_lines),
		cmocka_unit_test(test_comment_lines_in_group_memberships),
		cmocka_unit_test(test_name_with_bad_uid_in_passwd),
		cmocka_unit_test(test_many_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
