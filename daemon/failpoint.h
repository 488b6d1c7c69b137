/* SPDX-License-Identifier: MIT */
/*
 * Fail points, for the tests that kill the daemon in the middle of an
 * operation: with CTRD_FAILPOINT=NAME[,NAME...] in its environment, ctrd
 * SIGKILLs itself when it reaches a point of that name ("run:created",
 * "run:forked", "run:started", "rm:renamed", "rm:cgroup"; in a monitor
 * "monitor:setup", in an init "init:setup"). Costs one pointer test when
 * unset.
 */
#ifndef CTRD_FAILPOINT_H
#define CTRD_FAILPOINT_H

void failpoint_init(void);
void failpoint(const char *name);

#endif
