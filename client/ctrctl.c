/* SPDX-License-Identifier: MIT */
/*
 * ctrctl: the command-line client of ctrd. One table of verbs; each verb
 * parses its own flags, talks JSON-RPC to the daemon and maps the outcome
 * to docker's exit codes.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>

#include "arena.h"
#include "ctrctl.h"

#define DEFAULT_SOCKET CTRD_STATE_DIR "/ctrd.sock"

const char *ctrctl_socket = DEFAULT_SOCKET;

static const struct verb verbs[] = {
	{ "run", cmd_run,
	  "[OPTIONS] IMAGE [COMMAND [ARG...]]\n"
	  "       ctrctl run [OPTIONS] --rootfs DIR COMMAND [ARG...]",
	  "Run a command in a new container",
	  "  -d, --detach            run in the background and print the container id\n"
	  "  -i, --interactive       give the container our stdin\n"
	  "  -t, --tty               give the container a terminal of its own and relay it\n"
	  "      --rm                remove the container when it exits\n"
	  "      --name NAME         name the container\n"
	  "  -h, --hostname NAME     the container's host name (default: its short id)\n"
	  "  -e, --env KEY[=VALUE]   set an environment variable (KEY alone: take ours)\n"
	  "  -w, --workdir DIR       working directory inside the container\n"
	  "  -u, --user USER[:GROUP] run as this user (name or number, from the image)\n"
	  "      --rootfs DIR        run on DIR as the root file system instead of an image\n"
	  "      --read-only         mount the root file system read-only\n"
	  "  -v, --volume SRC:DST[:ro]  bind mount a host path\n"
	  "      --tmpfs DST         mount a tmpfs at DST\n"
	  "      --network MODE      none (default: loopback only) or host\n"
	  "      --cap-add CAP       add a capability (CAP_NET_ADMIN or NET_ADMIN; ALL)\n"
	  "      --cap-drop CAP      drop one of the default capabilities (ALL for all)\n"
	  "      --security-opt seccomp=unconfined  run without the default seccomp filter\n"
	  "      --userns            map the container's root to an unprivileged host range\n"
	  "      --restart POLICY    no, on-failure[:N], always or unless-stopped\n"
	  "      --log-opt max-size=BYTES|max-file=N  rotate the log (default 10m, 3 files)\n" CTRCTL_RESOURCE_HELP },
	{ "exec", cmd_exec, "[OPTIONS] CTR COMMAND [ARG...]",
	  "Run a command in a running container",
	  "  -d, --detach            run in the background and print the exec id\n"
	  "  -i, --interactive       give the process our stdin\n"
	  "  -t, --tty               give the process a terminal of its own and relay it\n"
	  "  -e, --env KEY[=VALUE]   set an environment variable (KEY alone: take ours)\n"
	  "  -w, --workdir DIR       working directory inside the container\n"
	  "  -u, --user USER[:GROUP] run as this user (name or number, from the container)\n" },
	{ "ps", cmd_ps, "[OPTIONS]", "List containers",
	  "  -a, --all               show all containers (default: running ones)\n"
	  "  -q, --quiet             only show ids\n"
	  "      --no-trunc          show whole ids and commands\n"
	  "      --json              print the daemon's JSON\n" },
	{ "inspect", cmd_inspect, "[OPTIONS] CTR...", "Show everything about containers as JSON",
	  "  -f, --format FIELD      print only FIELD (\"pid\", \"config.hostname\", \"{{.State}}\")\n" },
	{ "stop", cmd_stop, "[OPTIONS] CTR...", "Stop running containers",
	  "  -t, --time SECS         seconds to wait before SIGKILL (default 10)\n"
	  "  -s, --signal SIG        signal to send first (default TERM)\n" },
	{ "kill", cmd_kill, "[OPTIONS] CTR...", "Send a signal to running containers",
	  "  -s, --signal SIG        signal to send (default KILL)\n" },
	{ "rm", cmd_rm, "[OPTIONS] CTR...", "Remove containers",
	  "  -f, --force             kill and remove running containers\n" },
	{ "wait", cmd_wait, "CTR...", "Wait for containers to exit and print their exit codes",
	  "" },
	{ "logs", cmd_logs, "[OPTIONS] CTR", "Print a detached container's output",
	  "  -f, --follow            keep printing until the container exits\n"
	  "  -n, --tail N            only the last N lines\n"
	  "      --since TIME        only output since TIME (RFC 3339, Unix time, or 10m ago)\n"
	  "  -t, --timestamps        prefix each line with its time\n" },
	{ "images", cmd_images, "[OPTIONS]", "List images",
	  "  -q, --quiet             only show names\n"
	  "      --json              print the daemon's JSON\n" },
	{ "stats", cmd_stats, "[OPTIONS] [CTR...]", "Show containers' resource usage",
	  "  -a, --all               all containers (default: running ones)\n"
	  "      --no-stream         print one table and exit\n"
	  "      --json              print the daemon's JSON (one sample)\n" },
	{ "events", cmd_events, "[OPTIONS]", "Print the daemon's events as they happen",
	  "      --since TIME        first the kept events since TIME (as for logs)\n"
	  "      --json              one JSON object per line\n" },
	{ "pause", cmd_pause, "CTR...", "Freeze every process of containers", "" },
	{ "unpause", cmd_unpause, "CTR...", "Thaw paused containers", "" },
	{ "update", cmd_update, "[OPTIONS] CTR...", "Change the resource limits of containers",
	  CTRCTL_RESOURCE_HELP },
	{ "version", cmd_version, "", "Show the client and daemon versions", "" },
};

const struct option ctrctl_resource_options[] = {
	{ "memory", required_argument, NULL, 'm' },
	{ "memory-swap", required_argument, NULL, 0x1001 },
	{ "cpus", required_argument, NULL, 0x1002 },
	{ "cpu-shares", required_argument, NULL, 'c' },
	{ "cpuset-cpus", required_argument, NULL, 0x1003 },
	{ "pids-limit", required_argument, NULL, 0x1004 },
	{ NULL, 0, NULL, 0 },
};

int
ctrctl_resource_option(const struct verb *v, int c, const char *arg, json_t *params)
{
	int64_t n;
	char *end;

	switch (c) {
	case 'm':
		if (parse_size(arg, &n) < 0)
			return ctrctl_usage_error(
				       v, "invalid --memory \"%s\": bytes, or with k, m or g", arg),
			       -1;
		json_object_set_new(params, "memory", json_integer(n));
		return 1;
	case 0x1001:
		if (strcmp(arg, "-1") == 0)
			n = -1;
		else if (parse_size(arg, &n) < 0)
			return ctrctl_usage_error(v, "invalid --memory-swap \"%s\"", arg), -1;
		json_object_set_new(params, "memory_swap", json_integer(n));
		return 1;
	case 0x1002: {
		errno = 0;
		double cpus = strtod(arg, &end);
		if (errno != 0 || end == arg || *end != '\0' || cpus < 0)
			return ctrctl_usage_error(v, "invalid --cpus \"%s\": a number like 1.5",
						  arg),
			       -1;
		json_object_set_new(params, "cpus", json_real(cpus));
		return 1;
	}
	case 'c':
		if (parse_i64(arg, &n) < 0 || n < 0)
			return ctrctl_usage_error(v, "invalid --cpu-shares \"%s\"", arg), -1;
		json_object_set_new(params, "cpu_shares", json_integer(n));
		return 1;
	case 0x1003:
		json_object_set_new(params, "cpuset_cpus", json_string(arg));
		return 1;
	case 0x1004:
		if (parse_i64(arg, &n) < 0 || n < -1)
			return ctrctl_usage_error(v, "invalid --pids-limit \"%s\"", arg), -1;
		/* docker: 0 or -1 mean no limit. */
		json_object_set_new(params, "pids_limit", json_integer(n == 0 ? -1 : n));
		return 1;
	}
	return 0;
}

void
ctrctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ctrctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
ctrctl_verb_help(const struct verb *v, FILE *out)
{
	fprintf(out, "Usage: ctrctl %s %s\n\n%s\n", v->name, v->args, v->summary);
	if (v->options[0] != '\0')
		fprintf(out, "\nOptions:\n%s", v->options);
	fprintf(out, "      --help              show this help\n");
}

int
ctrctl_usage_error(const struct verb *v, const char *fmt, ...)
{
	va_list ap;

	fputs("ctrctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nSee 'ctrctl %s --help'.\n", v->name);
	return EXIT_FAILED;
}

int
ctrctl_getopt(const struct verb *v, int argc, char **argv, const char *shortopts,
	      const struct option *longopts)
{
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);

	if (c == 'H') {
		ctrctl_verb_help(v, stdout);
		exit(0);
	}
	return c;
}

int
ctrctl_check_utf8(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		json_t *s = json_string(argv[i]);
		if (s == NULL) {
			size_t len;
			_cleanup_free_ char *shown = utf8_sanitize(argv[i], strlen(argv[i]), &len);
			ctrctl_error("argument \"%s\" is not valid UTF-8", shown);
			return -1;
		}
		json_decref(s);
	}
	return 0;
}

int
ctrctl_env_append(json_t *env, const char *arg)
{
	const char *value = getenv(arg);

	if (strchr(arg, '=') != NULL)
		return json_array_append_new(env, json_string(arg));
	if (value == NULL)
		return 0;
	_cleanup_free_ char *kv = xasprintf("%s=%s", arg, value);
	json_t *s = json_string(kv);
	if (s == NULL) {
		ctrctl_error("the value of %s in our environment is not valid UTF-8", arg);
		return -1;
	}
	return json_array_append_new(env, s);
}

int
ctrctl_run_failed(const struct ctr_error *err)
{
	bool cannot_run = err->exit_code == EXIT_CANNOT_RUN || err->exit_code == EXIT_NOT_FOUND;

	ctrctl_error("%s", err->msg);
	return cannot_run ? err->exit_code : EXIT_FAILED;
}

int
ctrctl_connect(struct rpc_client *cl)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;

	if (rpc_connect(cl, ctrctl_socket, &err) < 0) {
		ctrctl_error("%s", err.msg);
		return -1;
	}
	return 0;
}

static void
usage(FILE *out)
{
	fprintf(out, "Usage: ctrctl [--socket PATH] COMMAND [OPTIONS] [ARG...]\n\n"
		     "Drive the ctrd container daemon.\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(out, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(out,
		"\nOptions:\n"
		"  -s, --socket PATH   ctrd's socket (default $CTRD_SOCKET or " DEFAULT_SOCKET ")\n"
		"  -h, --help          show this help\n"
		"  -v, --version       show the client version\n"
		"\nRun 'ctrctl COMMAND --help' for a command's options. See ctrctl(1).\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("CTRD_SOCKET");
	int c;

	arena_install();
	if (env != NULL && *env != '\0')
		ctrctl_socket = env;
	/* A closed pipe on stdout is an EPIPE for us to report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	/* "+": stop at the verb; its options are its own. */
	while ((c = getopt_long(argc, argv, "+s:hv", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			ctrctl_socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("ctrctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fprintf(stderr, "See 'ctrctl --help'.\n");
			return EXIT_FAILED;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_FAILED;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		if (strcmp(verbs[i].name, name) == 0) {
			/* The verb sees its name as argv[0]; getopt starts over. */
			argc -= optind;
			argv += optind;
			optind = 0;
			return verbs[i].fn(&verbs[i], argc, argv);
		}
	}
	ctrctl_error("unknown command \"%s\"", name);
	fprintf(stderr, "See 'ctrctl --help'.\n");
	return EXIT_FAILED;
}
