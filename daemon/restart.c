/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <event2/event.h>
#include <string.h>

#include "container.h"
#include "log.h"
#include "restart.h"

#define BACKOFF_MIN_MS	   100
#define BACKOFF_MAX_MS	   60000
#define RAN_LONG_ENOUGH_NS (10 * 1000000000LL)

int
restart_parse(const char *s, struct restart_policy *p)
{
	uint64_t n;

	p->max_retries = 0;
	if (strcmp(s, "no") == 0)
		p->mode = RESTART_NO;
	else if (strcmp(s, "always") == 0)
		p->mode = RESTART_ALWAYS;
	else if (strcmp(s, "unless-stopped") == 0)
		p->mode = RESTART_UNLESS_STOPPED;
	else if (strcmp(s, "on-failure") == 0)
		p->mode = RESTART_ON_FAILURE;
	else if (strncmp(s, "on-failure:", 11) == 0 && parse_u64(s + 11, &n) == 0 && n > 0 &&
		 n <= 1000000)
		p->mode = RESTART_ON_FAILURE, p->max_retries = (int)n;
	else
		return -1;
	return 0;
}

char *
restart_format(const struct restart_policy *p)
{
	switch (p->mode) {
	case RESTART_ALWAYS:
		return xstrdup("always");
	case RESTART_UNLESS_STOPPED:
		return xstrdup("unless-stopped");
	case RESTART_ON_FAILURE:
		return p->max_retries ? xasprintf("on-failure:%d", p->max_retries)
				      : xstrdup("on-failure");
	case RESTART_NO:
		break;
	}
	return xstrdup("no");
}

bool
restart_wanted(const struct container *ctr)
{
	const struct restart_policy *p = &ctr->spec.restart;

	if (ctr->d->stopping || ctr->manually_stopped || ctr->removing)
		return false;
	switch (p->mode) {
	case RESTART_ALWAYS:
	case RESTART_UNLESS_STOPPED:
		return true;
	case RESTART_ON_FAILURE:
		return ctr->exit.exit_code != 0 &&
		       (p->max_retries == 0 || ctr->restart_count < p->max_retries);
	case RESTART_NO:
		break;
	}
	return false;
}

bool
restart_on_boot(const struct container *ctr)
{
	/* docker: always comes back even if it was stopped; unless-stopped only if it was not. */
	return ctr->spec.restart.mode == RESTART_ALWAYS ||
	       (ctr->spec.restart.mode == RESTART_UNLESS_STOPPED && !ctr->manually_stopped);
}

static void
restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct container *ctr = arg;
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;

	event_free(ctr->restart_timer);
	ctr->restart_timer = NULL;
	ctr->restart_count++;
	log_info("%.12s (%s): restarting (%d)", ctr->id, ctr->name, ctr->restart_count);
	if (container_restart(ctr, &err) < 0) {
		log_error("%.12s: restart: %s", ctr->id, err.msg);
		free(ctr->error);
		ctr->error = xstrdup(err.msg);
		if (restart_wanted(ctr))
			restart_schedule(ctr, true);
	}
}

int64_t
restart_backoff(int64_t prev_ms, int64_t ran_ns)
{
	/* Failing fast backs off further each time; a good long run starts over. */
	if (prev_ms <= 0 || ran_ns < 0 || ran_ns >= RAN_LONG_ENOUGH_NS)
		return BACKOFF_MIN_MS;
	return prev_ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : prev_ms * 2;
}

void
restart_schedule(struct container *ctr, bool start_failed)
{
	/*
	 * A start that failed ran for no time at all. started_at is still that
	 * of the last run that did start, and measuring from it made every
	 * failed restart after a long run look like a long run: the back-off
	 * stayed at 100 ms, a restart loop of ten tries a second.
	 */
	int64_t ran = start_failed	     ? 0
		      : ctr->started_at == 0 ? -1
					     : ctr->exit.finished_at - ctr->started_at;
	/* Clocks read in different processes: a run of no time at all. */
	if (ctr->started_at != 0 && ran < 0)
		ran = 0;

	ctr->backoff_ms = restart_backoff(ctr->backoff_ms, ran);
	struct timeval tv = { ctr->backoff_ms / 1000, (ctr->backoff_ms % 1000) * 1000 };
	restart_cancel(ctr);
	ctr->restart_timer = evtimer_new(ctr->d->base, restart_cb, ctr);
	if (ctr->restart_timer == NULL)
		abort();
	evtimer_add(ctr->restart_timer, &tv);
}

void
restart_cancel(struct container *ctr)
{
	if (ctr->restart_timer != NULL) {
		event_free(ctr->restart_timer);
		ctr->restart_timer = NULL;
	}
}
