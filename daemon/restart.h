/* SPDX-License-Identifier: MIT */
/*
 * Restart policies (--restart no|on-failure[:N]|always|unless-stopped), as
 * docker applies them: after an exit the container is started again after a
 * back-off that doubles from 100 ms to a minute while it keeps failing fast
 * (and resets once it has run 10 s); `stop` (or a KILL/TERM `kill`) stops
 * that until the next run; after a daemon start, always and unless-stopped
 * containers that are not running are started again.
 */
#ifndef CTRD_RESTART_H
#define CTRD_RESTART_H

#include "error.h"

enum restart_mode { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS, RESTART_UNLESS_STOPPED };

struct restart_policy {
	enum restart_mode mode;
	int max_retries; /* on-failure:N; 0 for no limit */
};

/* "no", "on-failure", "on-failure:3", "always", "unless-stopped"; -1 if not one of them. */
int restart_parse(const char *s, struct restart_policy *p);
/* The same spelling back; malloc'd. */
char *restart_format(const struct restart_policy *p);

/*
 * The delay before the next restart, in ms: 100 after the first exit, or
 * after a run of 10 s or more (ran_ns; -1 if unknown); else twice prev_ms
 * (the delay before the run that just ended; 0 for none), up to a minute.
 */
int64_t restart_backoff(int64_t prev_ms, int64_t ran_ns);

struct container;

/* After an exit: whether the policy wants it running again (not after rm or stop). */
bool restart_wanted(const struct container *ctr);
/* Starts it again after the back-off; start_failed: the last try did not even start. */
void restart_schedule(struct container *ctr, bool start_failed);
/* Forgets a scheduled restart. */
void restart_cancel(struct container *ctr);
/* After a daemon start: whether an exited container should be running. */
bool restart_on_boot(const struct container *ctr);

#endif
