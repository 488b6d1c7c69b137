/* SPDX-License-Identifier: MIT */
/*
 * The container's init, from clone() to execve(): mounts and pivot_root,
 * host name, loopback, user and groups, environment, working directory,
 * stdio and the command. Any failure is sent to the daemon on the sync
 * socket as "step: reason" with its errno (126/127 for a command that
 * cannot be run) and the process exits.
 */
#ifndef CTRD_CHILD_H
#define CTRD_CHILD_H

#include "container.h"

struct child_args {
	const struct container *ctr;
	int sync_fd;
	int stdio[3]; /* become 0, 1, 2 */
	unsigned long clone_flags;
};

_noreturn_ void child_run(const struct child_args *a);

/*
 * Runs argv[0] as execvp would, searching PATH from envp (not ours).
 * Returns only on failure, with the exit code docker uses: 127 when
 * nothing was found, 126 when it was found but cannot be run.
 */
int child_exec(char *const argv[], char *const envp[], int *errnum);

/* Sets "KEY=VALUE" in env (a heap NULL-terminated vector), replacing KEY. */
void env_set(char ***env, const char *entry);
/* The value of key in env, or NULL. */
const char *env_get(char *const *env, const char *key);

#endif
