/* SPDX-License-Identifier: MIT */
/*
 * An attached run or exec: sends the request, waits for the process's
 * "exit" notification and returns its exit code, handling signals and, with
 * -t, the container's terminal meanwhile.
 */
#ifndef CTRCTL_ATTACH_H
#define CTRCTL_ATTACH_H

#include <stdbool.h>

#include "rpcclient.h"

struct attach_opts {
	const char *method; /* "run" or "exec" */
	bool tty;	    /* -t: the result brings a terminal master to relay */
	bool interactive;   /* -i: the process reads our stdin */
	/*
	 * run: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 go to the
	 * container's init as "kill" requests. exec: the protocol has no way to
	 * signal an exec'd process, so with -t they act through its terminal
	 * (SIGINT and SIGQUIT type the interrupt and quit keys, SIGTERM and
	 * SIGHUP hang the terminal up); without -t ctrctl does not catch them.
	 */
	bool kill_on_signal;
};

/*
 * Sends the request (params stolen): with our stdin, stdout and stderr as
 * fds, or with -t none. Returns ctrctl's exit code: the process's, or 125
 * (126, 127) with the error printed when the request or the session failed.
 */
int attach_session(struct rpc_client *cl, json_t *params, const struct attach_opts *o);

#endif
