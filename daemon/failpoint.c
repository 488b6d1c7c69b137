/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "failpoint.h"
#include "log.h"

static char *points; /* ",a,b," or NULL */

void
failpoint_init(void)
{
	const char *env = getenv("CTRD_FAILPOINT");

	if (env != NULL && *env != '\0') {
		points = xasprintf(",%s,", env);
		log_warn("fail points armed: %s", env);
	}
}

void
failpoint(const char *name)
{
	if (points == NULL)
		return;
	_cleanup_free_ char *key = xasprintf(",%s,", name);
	if (strstr(points, key) == NULL)
		return;
	log_warn("fail point %s: killing myself", name);
	/*
	 * Not raise(): in a process that shares another's memory (a monitor or
	 * an init, spawn.h) glibc would signal the thread id it keeps, theirs.
	 */
	kill(getpid(), SIGKILL);
	/* Still here: the init of a PID namespace, which its own signals cannot kill. */
	_exit(128 + SIGKILL);
}
