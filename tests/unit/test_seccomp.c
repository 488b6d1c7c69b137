/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/seccomp.h: the filter is built once per capability
 * set and kept, a capability lifts its rules, and the program installed with
 * seccomp_install() refuses what it should and allows the rest. Installing
 * changes the calling process for good, so that only runs in forked children
 * (no_new_privs lets an unprivileged one do it), which report by exit code.
 */
#include "config.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "caps.h"
#include "seccomp.h"

#define BIT(cap) (UINT64_C(1) << (cap))

/* ------------------------------------------------------------------ helpers */

/* Runs fn in a child with prog installed; returns fn's exit code (0: as expected). */
static int
in_child(const struct sock_fprog *prog, int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct ctr_error err = CTR_ERROR_INIT;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_install(prog, &err) < 0)
			_exit(100);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* keyctl is refused whatever the capabilities (NEVER): EPERM, not ENOSYS or success. */
static int
keyctl_refused(void)
{
	long r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
	return r < 0 && errno == EPERM ? 0 : 1;
}

/* unshare(CLONE_NEWUTS): EPERM from the filter, before any capability check. */
static int
unshare_refused(void)
{
	return unshare(CLONE_NEWUTS) < 0 && errno == EPERM ? 0 : 1;
}

/* clone3 reports ENOSYS so that libc falls back to clone, whose flags the filter can read. */
static int
clone3_enosys(void)
{
	return syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS ? 0 : 1;
}

/* An ordinary process keeps working: getpid, a pipe, a plain fork. */
static int
ordinary_allowed(void)
{
	int p[2];

	if (getpid() <= 0 || pipe(p) < 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || WEXITSTATUS(status) != 7)
		return 1;
	return 0;
}

/* ------------------------------------------------------------------ tests */

static void
test_built_once_per_capability_set(void **state)
{
	struct ctr_error err = CTR_ERROR_INIT;
	uint64_t caps = caps_default();
	const struct sock_fprog *a = seccomp_default_prog(caps, &err);

	assert_non_null(a);
	assert_non_null(a->filter);
	assert_true(a->len > 10);
	/* Kept: the second start or exec gets the very same program. */
	assert_ptr_equal(seccomp_default_prog(caps, &err), a);

	/* CAP_SYS_ADMIN lifts the mount, namespace and clone rules: a shorter program. */
	const struct sock_fprog *admin = seccomp_default_prog(caps | BIT(CAP_SYS_ADMIN), &err);
	assert_non_null(admin);
	assert_ptr_not_equal(admin, a);
	assert_true(admin->len < a->len);
	assert_ptr_equal(seccomp_default_prog(caps, &err), a);
	ctr_error_clear(&err);
}

static void
test_many_capability_sets(void **state)
{
	struct ctr_error err = CTR_ERROR_INIT;

	/* More sets than are kept: each call still returns the right one. */
	for (int round = 0; round < 2; round++) {
		for (int cap = 0; cap < 20; cap++) {
			const struct sock_fprog *p = seccomp_default_prog(BIT(cap), &err);
			assert_non_null(p);
			assert_true(p->len > 0);
		}
	}
	ctr_error_clear(&err);
}

static void
test_refuses_and_allows(void **state)
{
	struct ctr_error err = CTR_ERROR_INIT;
	const struct sock_fprog *p = seccomp_default_prog(caps_default(), &err);

	assert_non_null(p);
	assert_int_equal(in_child(p, keyctl_refused), 0);
	assert_int_equal(in_child(p, unshare_refused), 0);
	assert_int_equal(in_child(p, clone3_enosys), 0);
	assert_int_equal(in_child(p, ordinary_allowed), 0);
	ctr_error_clear(&err);
}

static void
test_capability_lifts_rule(void **state)
{
	struct ctr_error err = CTR_ERROR_INIT;
	const struct sock_fprog *p = seccomp_default_prog(caps_default() | BIT(CAP_SYS_ADMIN),
							  &err);

	assert_non_null(p);
	/* Not the filter's EPERM any more: without privilege the kernel's own answer, or success. */
	int r = in_child(p, unshare_refused);
	if (geteuid() == 0)
		assert_int_equal(r, 1); /* root: the unshare succeeds */
	/* keyctl stays refused: no capability lifts it. */
	assert_int_equal(in_child(p, keyctl_refused), 0);
	ctr_error_clear(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_built_once_per_capability_set),
		cmocka_unit_test(test_many_capability_sets),
		cmocka_unit_test(test_refuses_and_allows),
		cmocka_unit_test(test_capability_lifts_rule),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	seccomp_cache_free();
	return r;
}
