/* SPDX-License-Identifier: MIT */
/* ctrctl: the verbs and what they share. */
#ifndef CTRCTL_H
#define CTRCTL_H

#include <getopt.h>
#include <jansson.h>

#include "error.h"
#include "rpcclient.h"

/* Exit codes of DESIGN.md. */
#define EXIT_FAILED	125 /* ctrctl or ctrd failed (run, exec, usage errors) */
#define EXIT_CANNOT_RUN 126 /* the command was found but cannot be run */
#define EXIT_NOT_FOUND	127 /* the command was not found */

struct verb {
	const char *name;
	int (*fn)(const struct verb *v, int argc, char **argv);
	const char *args;    /* "[OPTIONS] CTR..." */
	const char *summary; /* one line for ctrctl --help */
	const char *options; /* the option list for ctrctl VERB --help */
};

/* The socket from --socket, $CTRD_SOCKET or the default. */
extern const char *ctrctl_socket;

/* Connects or prints the error; returns -1 then. */
int ctrctl_connect(struct rpc_client *cl);
/* Prints "ctrctl: message" on stderr. */
void ctrctl_error(const char *fmt, ...) _printf_(1, 2);
/* A usage error: the message, a hint, and EXIT_FAILED. */
int ctrctl_usage_error(const struct verb *v, const char *fmt, ...) _printf_(2, 3);
void ctrctl_verb_help(const struct verb *v, FILE *out);
/* getopt_long over a verb's argv with --help handled; returns the getopt value. */
int ctrctl_getopt(const struct verb *v, int argc, char **argv, const char *shortopts,
		  const struct option *longopts);
/*
 * JSON strings must be UTF-8, and json_string() returns NULL for anything
 * else, which would drop the argument silently: run and exec check every
 * argument first. Prints the error and returns -1 for the first bad one.
 */
int ctrctl_check_utf8(int argc, char **argv);
/* Appends "-e KEY=VALUE", or docker's "-e KEY" (our value, if we have one), to env; -1 on error. */
int ctrctl_env_append(json_t *env, const char *arg);
/* A failed run or exec: prints the error; 126/127 when the daemon says so, else 125. */
int ctrctl_run_failed(const struct ctr_error *err);

int cmd_run(const struct verb *v, int argc, char **argv);
int cmd_exec(const struct verb *v, int argc, char **argv);
int cmd_images(const struct verb *v, int argc, char **argv);
int cmd_stats(const struct verb *v, int argc, char **argv);
int cmd_events(const struct verb *v, int argc, char **argv);
int cmd_pause(const struct verb *v, int argc, char **argv);
int cmd_unpause(const struct verb *v, int argc, char **argv);
int cmd_update(const struct verb *v, int argc, char **argv);

/*
 * The resource flags run and update share (-m, --memory-swap, --cpus,
 * --cpu-shares, --cpuset-cpus, --pids-limit): if c is one of them, sets the
 * param and returns 1; 0 if c is not; -1 after a usage error.
 */
int ctrctl_resource_option(const struct verb *v, int c, const char *arg, json_t *params);
/* Their long options, for getopt tables (terminated by a zero entry). */
extern const struct option ctrctl_resource_options[];
#define CTRCTL_RESOURCE_HELP                                                                  \
	"  -m, --memory BYTES      memory limit (512m, 1g)\n"                                 \
	"      --memory-swap BYTES memory plus swap (-1: unlimited swap; default twice -m)\n" \
	"      --cpus N            CPU time, in CPUs (1.5)\n"                                 \
	"  -c, --cpu-shares N      relative CPU weight (default 1024)\n"                      \
	"      --cpuset-cpus LIST  the CPUs it may use (0-1,3)\n"                             \
	"      --pids-limit N      most processes at once (default 4096; -1: no limit)\n"
int cmd_ps(const struct verb *v, int argc, char **argv);
int cmd_inspect(const struct verb *v, int argc, char **argv);
int cmd_stop(const struct verb *v, int argc, char **argv);
int cmd_kill(const struct verb *v, int argc, char **argv);
int cmd_rm(const struct verb *v, int argc, char **argv);
int cmd_wait(const struct verb *v, int argc, char **argv);
int cmd_logs(const struct verb *v, int argc, char **argv);
int cmd_version(const struct verb *v, int argc, char **argv);

#endif
