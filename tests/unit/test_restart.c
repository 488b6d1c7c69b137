/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/restart.h: --restart policies parsed and spelled
 * back, when a policy wants a container running again, and the back-off
 * between tries (100 ms, doubling while runs stay under 10 s, up to a
 * minute), computed alone and as restart_schedule() applies it to a
 * container (on an event base that never runs: the timer is only armed).
 */
#include "config.h"

#include <event2/event.h>
#include <string.h>
#include <sys/time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "container.h"
#include "ctrd.h"
#include "restart.h"

#define SEC 1000000000LL

/* ------------------------------------------------------------------ parsing */

static void
expect_policy(const char *s, enum restart_mode mode, int max_retries)
{
	/* Garbage in: restart_parse() must set every member. */
	struct restart_policy p = { .mode = (enum restart_mode)77, .max_retries = 77 };

	if (restart_parse(s, &p) != 0)
		fail_msg("restart_parse(\"%s\") refused a valid policy", s);
	assert_int_equal(p.mode, mode);
	assert_int_equal(p.max_retries, max_retries);
}

static void
test_parse_valid(void **state)
{
	(void)state;
	expect_policy("no", RESTART_NO, 0);
	expect_policy("always", RESTART_ALWAYS, 0);
	expect_policy("unless-stopped", RESTART_UNLESS_STOPPED, 0);
	expect_policy("on-failure", RESTART_ON_FAILURE, 0);
	expect_policy("on-failure:3", RESTART_ON_FAILURE, 3);
	expect_policy("on-failure:1", RESTART_ON_FAILURE, 1);
	expect_policy("on-failure:1000000", RESTART_ON_FAILURE, 1000000);
	/* Leading zeros are still a decimal number. */
	expect_policy("on-failure:007", RESTART_ON_FAILURE, 7);
}

static void
test_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"sometimes",
		"No",
		"ALWAYS",
		"always ",
		" always",
		"unless_stopped",
		"unless-stopped:3",
		"always:3",
		"no:1",
		"on-failure:",
		"on-failure:-1",
		"on-failure:x",
		"on-failure:0", /* a limit of no retries: say "no" */
		"on-failure:3x",
		"on-failure:3 ",
		"on-failure: 3",
		"on-failure:+3",
		"on-failure:0x10",
		"on-failure:1.5",
		"on-failure:1000001",
		"on-failure:18446744073709551617", /* past UINT64_MAX */
		"on-failure::3",
		"on-failure3",
		"onfailure",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct restart_policy p = { RESTART_ALWAYS, 5 };
		if (restart_parse(bad[i], &p) != -1)
			fail_msg("restart_parse(\"%s\") accepted it as mode %d, %d retries", bad[i],
				 p.mode, p.max_retries);
	}
}

static void
test_format_round_trip(void **state)
{
	static const char *const spellings[] = {
		"no",	      "always",	      "unless-stopped",
		"on-failure", "on-failure:3", "on-failure:1000000",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		struct restart_policy p;
		assert_int_equal(restart_parse(spellings[i], &p), 0);
		char *s = restart_format(&p);
		assert_string_equal(s, spellings[i]);
		free(s);
	}
	/* The canonical spelling of a number with leading zeros. */
	struct restart_policy p;
	assert_int_equal(restart_parse("on-failure:007", &p), 0);
	char *s = restart_format(&p);
	assert_string_equal(s, "on-failure:7");
	free(s);
	/* The zero value of the struct is "no". */
	s = restart_format(&(struct restart_policy){ 0 });
	assert_string_equal(s, "no");
	free(s);
}

/* ------------------------------------------------------------------ the policy's decision */

struct fixture {
	struct ctrd d;
	struct container ctr;
};

static int
fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->d.base = event_base_new();
	assert_non_null(f->d.base);
	f->ctr.d = &f->d;
	strcpy(f->ctr.id, "0123456789ab");
	f->ctr.state = CTR_EXITED;
	*state = f;
	return 0;
}

static int
fixture_teardown(void **state)
{
	struct fixture *f = *state;

	restart_cancel(&f->ctr);
	event_base_free(f->d.base);
	free(f);
	return 0;
}

static bool
wanted(struct fixture *f, const char *policy, int exit_code, int restart_count)
{
	assert_int_equal(restart_parse(policy, &f->ctr.spec.restart), 0);
	f->ctr.exit.exit_code = exit_code;
	f->ctr.restart_count = restart_count;
	return restart_wanted(&f->ctr);
}

static void
test_wanted_by_policy(void **state)
{
	struct fixture *f = *state;

	assert_false(wanted(f, "no", 1, 0));
	assert_false(wanted(f, "no", 0, 0));
	assert_true(wanted(f, "always", 0, 0));
	assert_true(wanted(f, "always", 137, 1000));
	assert_true(wanted(f, "unless-stopped", 0, 0));
	assert_true(wanted(f, "unless-stopped", 2, 50));
	/* on-failure: not after a clean exit; without a limit, always after a failure. */
	assert_false(wanted(f, "on-failure", 0, 0));
	assert_true(wanted(f, "on-failure", 1, 0));
	assert_true(wanted(f, "on-failure", 255, 100000));
	/* on-failure:3: three restarts after the first run, then no more. */
	assert_true(wanted(f, "on-failure:3", 1, 0));
	assert_true(wanted(f, "on-failure:3", 1, 2));
	assert_false(wanted(f, "on-failure:3", 1, 3));
	assert_false(wanted(f, "on-failure:3", 1, 4));
	assert_false(wanted(f, "on-failure:3", 0, 0));
}

static void
test_wanted_not_after_stop_rm_or_shutdown(void **state)
{
	struct fixture *f = *state;

	f->ctr.manually_stopped = true;
	assert_false(wanted(f, "always", 0, 0));
	assert_false(wanted(f, "unless-stopped", 0, 0));
	assert_false(wanted(f, "on-failure", 1, 0));
	f->ctr.manually_stopped = false;
	f->ctr.removing = true;
	assert_false(wanted(f, "always", 0, 0));
	f->ctr.removing = false;
	f->d.stopping = true;
	assert_false(wanted(f, "always", 0, 0));
	f->d.stopping = false;
	assert_true(wanted(f, "always", 0, 0));
}

static void
test_on_boot(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(restart_parse("always", &f->ctr.spec.restart), 0);
	assert_true(restart_on_boot(&f->ctr));
	/* docker: always comes back after a daemon start even if it was stopped. */
	f->ctr.manually_stopped = true;
	assert_true(restart_on_boot(&f->ctr));
	assert_int_equal(restart_parse("unless-stopped", &f->ctr.spec.restart), 0);
	assert_false(restart_on_boot(&f->ctr));
	f->ctr.manually_stopped = false;
	assert_true(restart_on_boot(&f->ctr));
	assert_int_equal(restart_parse("on-failure", &f->ctr.spec.restart), 0);
	assert_false(restart_on_boot(&f->ctr));
	assert_int_equal(restart_parse("no", &f->ctr.spec.restart), 0);
	assert_false(restart_on_boot(&f->ctr));
}

/* ------------------------------------------------------------------ back-off */

static void
test_backoff_first(void **state)
{
	(void)state;
	/* No delay before: the first restart waits 100 ms, however long the run. */
	assert_int_equal(restart_backoff(0, 0), 100);
	assert_int_equal(restart_backoff(0, 1), 100);
	assert_int_equal(restart_backoff(0, 9 * SEC), 100);
	assert_int_equal(restart_backoff(0, 3600 * SEC), 100);
	assert_int_equal(restart_backoff(0, -1), 100);
}

static void
test_backoff_grows_and_caps(void **state)
{
	static const int64_t want[] = { 100,   200,   400,   800,   1600,  3200, 6400,
					12800, 25600, 51200, 60000, 60000, 60000 };
	int64_t ms = 0;
	(void)state;

	/* Runs of a second each: each delay twice the last, up to a minute, and there it stays. */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ms = restart_backoff(ms, 1 * SEC);
		if (ms != want[i])
			fail_msg("delay %zu: %lld ms, expected %lld", i, (long long)ms,
				 (long long)want[i]);
	}
	/* Halfway to the cap and past it. */
	assert_int_equal(restart_backoff(29999, 0), 59998);
	assert_int_equal(restart_backoff(30000, 0), 60000);
	assert_int_equal(restart_backoff(30001, 0), 60000);
	assert_int_equal(restart_backoff(59999, 0), 60000);
	/* A run of no time at all (a start that failed) doubles it too. */
	assert_int_equal(restart_backoff(800, 0), 1600);
}

static void
test_backoff_reset(void **state)
{
	(void)state;
	/* A run of 10 s or more starts over at 100 ms; just under 10 s does not. */
	assert_int_equal(restart_backoff(60000, 10 * SEC), 100);
	assert_int_equal(restart_backoff(60000, 10 * SEC + 1), 100);
	assert_int_equal(restart_backoff(1600, 3600 * SEC), 100);
	assert_int_equal(restart_backoff(1600, 10 * SEC - 1), 3200);
	assert_int_equal(restart_backoff(60000, 10 * SEC - 1), 60000);
	/* An unknown length (never started, or the clock went back) starts over too. */
	assert_int_equal(restart_backoff(1600, -1), 100);
	assert_int_equal(restart_backoff(1600, -5 * SEC), 100);
}

/* restart_schedule(): the delay it arms, from the container's last run. */
static int64_t
schedule(struct fixture *f, int64_t ran_ns, bool start_failed)
{
	f->ctr.exit.finished_at = f->ctr.started_at + ran_ns;
	restart_schedule(&f->ctr, start_failed);
	assert_non_null(f->ctr.restart_timer);
	assert_true(evtimer_pending(f->ctr.restart_timer, NULL));
	return f->ctr.backoff_ms;
}

static void
test_schedule(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(restart_parse("always", &f->ctr.spec.restart), 0);
	/* Never started (restored without a start time): 100 ms. */
	f->ctr.started_at = 0;
	f->ctr.backoff_ms = 6400;
	assert_int_equal(schedule(f, 5 * SEC, false), 100);
	f->ctr.started_at = 1795925544LL * SEC;
	/* Exits after 1 s: 100, 200, 400. */
	f->ctr.backoff_ms = 0;
	assert_int_equal(schedule(f, 1 * SEC, false), 100);
	assert_int_equal(schedule(f, 1 * SEC, false), 200);
	assert_int_equal(schedule(f, 1 * SEC, false), 400);
	/* A long run: back to 100 ms. */
	assert_int_equal(schedule(f, 20 * SEC, false), 100);
	/*
	 * Then the restarts fail to start: started_at stays that of the long
	 * run, but a failed start ran for no time, so the delay grows.
	 */
	f->ctr.started_at -= 60 * SEC;
	assert_int_equal(schedule(f, 60 * SEC, true), 200);
	assert_int_equal(schedule(f, 61 * SEC, true), 400);
	assert_int_equal(schedule(f, 62 * SEC, true), 800);
	/* Rescheduling replaces the timer: valgrind sees a leak if the old one is kept. */
	assert_int_equal(schedule(f, 1 * SEC, false), 1600);
	restart_cancel(&f->ctr);
	assert_null(f->ctr.restart_timer);
	/* Canceling twice is harmless. */
	restart_cancel(&f->ctr);
	assert_null(f->ctr.restart_timer);
}

static int64_t
now_ms(void)
{
	struct timeval tv;

	assert_int_equal(gettimeofday(&tv, NULL), 0);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The delay armed on the timer is the one computed. */
static void
test_schedule_timer(void **state)
{
	struct fixture *f = *state;
	struct timeval tv;

	assert_int_equal(restart_parse("always", &f->ctr.spec.restart), 0);
	f->ctr.started_at = 1795925544LL * SEC;
	f->ctr.backoff_ms = 800;
	int64_t before = now_ms();
	assert_int_equal(schedule(f, 1 * SEC, false), 1600);
	int64_t after = now_ms();
	assert_true(evtimer_pending(f->ctr.restart_timer, &tv));
	/* tv is when it is due, on the wall clock: 1.6 s after the call (5 ms for rounding). */
	int64_t due = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	if (due < before + 1600 - 5 || due > after + 1600 + 5)
		fail_msg("the timer is due %lld ms after the call, expected 1600",
			 (long long)(due - before));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test_setup_teardown(test_wanted_by_policy, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_wanted_not_after_stop_rm_or_shutdown,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_on_boot, fixture_setup, fixture_teardown),
		cmocka_unit_test(test_backoff_first),
		cmocka_unit_test(test_backoff_grows_and_caps),
		cmocka_unit_test(test_backoff_reset),
		cmocka_unit_test_setup_teardown(test_schedule, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_schedule_timer, fixture_setup,
						fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
