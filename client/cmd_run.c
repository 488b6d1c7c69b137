/* SPDX-License-Identifier: MIT */
/*
 * ctrctl run: builds the run request from docker-style flags. Attached, it
 * hands the daemon our stdin, stdout and stderr (they become the container's
 * own), forwards SIGINT, SIGTERM and SIGHUP to the container, and exits with
 * the container's exit code.
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

#include "ctrctl.h"

/* Signals caught while attached are written here and read in the poll loop. */
static int signal_pipe[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char s = (unsigned char)sig;
	(void)!write(signal_pipe[1], &s, 1);
	errno = saved;
}

static int
catch_signals(void)
{
	static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		if (sigaction(forwarded[i], &sa, NULL) < 0)
			return -1;
	return 0;
}

/* An absolute form of a host path given on the command line. */
static char *
host_path(const char *p)
{
	char *abs = realpath(p, NULL);
	return abs != NULL ? abs : xstrdup(p);
}

/* "-v SRC:DST[:ro|rw]" as a mounts entry; NULL if malformed. */
static json_t *
parse_volume(const char *arg)
{
	_cleanup_free_ char *copy = xstrdup(arg);
	char *src = copy, *dst = strchr(copy, ':'), *mode = NULL;

	if (dst == NULL)
		return NULL;
	*dst++ = '\0';
	mode = strchr(dst, ':');
	if (mode != NULL)
		*mode++ = '\0';
	if (*src == '\0' || *dst == '\0' || (mode && strcmp(mode, "ro") && strcmp(mode, "rw")))
		return NULL;
	_cleanup_free_ char *abs = host_path(src);
	return json_pack("{s:s,s:s,s:b}", "source", abs, "destination", dst, "readonly",
			 mode != NULL && strcmp(mode, "ro") == 0);
}

/* Parses the flags into params; returns the index of the first positional or -1. */
static int
parse_run(const struct verb *v, int argc, char **argv, json_t *p)
{
	enum { OPT_RM = 256, OPT_NAME, OPT_ROOTFS, OPT_READ_ONLY, OPT_TMPFS, OPT_NETWORK };
	static const struct option opts[] = {
		{ "detach", no_argument, NULL, 'd' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "rm", no_argument, NULL, OPT_RM },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "hostname", required_argument, NULL, 'h' },
		{ "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "rootfs", required_argument, NULL, OPT_ROOTFS },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "volume", required_argument, NULL, 'v' },
		{ "tmpfs", required_argument, NULL, OPT_TMPFS },
		{ "network", required_argument, NULL, OPT_NETWORK },
		{ "net", required_argument, NULL, OPT_NETWORK },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *env = json_array(), *mounts = json_array(), *tmpfs = json_array();
	int c;

	json_object_set_new(p, "env", env);
	json_object_set_new(p, "mounts", mounts);
	json_object_set_new(p, "tmpfs", tmpfs);
	/* "+": the first non-option is the image; what follows belongs to the command. */
	while ((c = ctrctl_getopt(v, argc, argv, "+dith:e:w:u:v:", opts)) != -1) {
		switch (c) {
		case 'd':
			json_object_set_new(p, "detach", json_true());
			break;
		case 'i':
			json_object_set_new(p, "interactive", json_true());
			break;
		case 't':
			json_object_set_new(p, "tty", json_true());
			break;
		case OPT_RM:
			json_object_set_new(p, "rm", json_true());
			break;
		case OPT_NAME:
			json_object_set_new(p, "name", json_string(optarg));
			break;
		case 'h':
			json_object_set_new(p, "hostname", json_string(optarg));
			break;
		case 'e':
			if (strchr(optarg, '=') != NULL) {
				json_array_append_new(env, json_string(optarg));
			} else if (getenv(optarg) != NULL) {
				/* docker's "-e KEY": pass our value, or nothing if we have none. */
				_cleanup_free_ char *kv = xasprintf("%s=%s", optarg, getenv(optarg));
				json_array_append_new(env, json_string(kv));
			}
			break;
		case 'w':
			json_object_set_new(p, "cwd", json_string(optarg));
			break;
		case 'u':
			json_object_set_new(p, "user", json_string(optarg));
			break;
		case OPT_ROOTFS: {
			_cleanup_free_ char *abs = host_path(optarg);
			json_object_set_new(p, "rootfs", json_string(abs));
			break;
		}
		case OPT_READ_ONLY:
			json_object_set_new(p, "read_only", json_true());
			break;
		case 'v': {
			json_t *m = parse_volume(optarg);
			if (m == NULL)
				return ctrctl_usage_error(v, "invalid volume \"%s\": expected SRC:DST[:ro]",
							  optarg), -1;
			json_array_append_new(mounts, m);
			break;
		}
		case OPT_TMPFS:
			json_array_append_new(tmpfs, json_string(optarg));
			break;
		case OPT_NETWORK:
			json_object_set_new(p, "network", json_string(optarg));
			break;
		default:
			fprintf(stderr, "See 'ctrctl run --help'.\n");
			return -1;
		}
	}
	return optind;
}

/* Sends a signal to the container on our connection; the reply is not awaited. */
static void
forward_signal(struct rpc_client *cl, const char *id, int sig)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;

	(void)rpc_send(cl, "kill", json_pack("{s:s,s:i}", "id", id, "signal", sig), NULL, 0, &err);
}

/* The exit code for a failed run: 126/127 when the daemon says so, else 125. */
static int
failed(const struct ctr_error *err)
{
	ctrctl_error("%s", err->msg);
	return err->exit_code == EXIT_CANNOT_RUN || err->exit_code == EXIT_NOT_FOUND ? err->exit_code
										      : EXIT_FAILED;
}

static int
run_detached(struct rpc_client *cl, json_t *params)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	json_t *r = rpc_call(cl, "run", params, NULL, NULL, &err);

	if (r == NULL)
		return failed(&err);
	printf("%s\n", json_string_value(json_object_get(r, "id")));
	json_decref(r);
	return 0;
}

/* Waits for the run's reply and then the exit notification, forwarding signals. */
static int
run_attached(struct rpc_client *cl, json_t *params)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	int stdio[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	_cleanup_free_ char *id = NULL;
	unsigned char pending[64];
	size_t npending = 0;

	if (catch_signals() < 0) {
		ctrctl_error("install signal handlers: %s", strerror(errno));
		return EXIT_FAILED;
	}
	json_int_t run_id = rpc_send(cl, "run", params, stdio, 3, &err);
	if (run_id < 0)
		return failed(&err);

	for (;;) {
		struct rpc_in in;
		int r;
		while ((r = rpc_next(cl, &in, &err)) == 1) {
			struct rpc_msg *m = &in.msg;
			bool is_run = json_is_integer(m->id) && json_integer_value(m->id) == run_id;
			if (m->kind == RPC_ERROR && (is_run || json_is_null(m->id))) {
				rpc_error_from_msg(m, &err);
				rpc_in_clear(&in);
				return failed(&err);
			}
			if (m->kind == RPC_RESULT && is_run) {
				id = xstrdup(json_string_value(json_object_get(m->result, "id")));
				for (size_t i = 0; i < npending; i++)
					forward_signal(cl, id, pending[i]);
				npending = 0;
			} else if (m->kind == RPC_NOTIFICATION && strcmp(m->method, "exit") == 0) {
				int code = (int)json_integer_value(json_object_get(m->params, "exit_code"));
				rpc_in_clear(&in);
				return code;
			}
			rpc_in_clear(&in);
		}
		if (r < 0)
			return failed(&err);

		struct pollfd p[2] = { { cl->fd, POLLIN, 0 }, { signal_pipe[0], POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ctrctl_error("poll: %s", strerror(errno));
			return EXIT_FAILED;
		}
		if (p[1].revents & POLLIN) {
			unsigned char sigs[16];
			ssize_t n = read(signal_pipe[0], sigs, sizeof(sigs));
			for (ssize_t i = 0; i < n; i++) {
				if (id != NULL)
					forward_signal(cl, id, sigs[i]);
				else if (npending < sizeof(pending))
					pending[npending++] = sigs[i];
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = rpc_fill(cl, &err);
			if (r < 0)
				return failed(&err);
			if (r == 0) {
				ctrctl_error("lost the connection to ctrd; the container may still be running");
				return EXIT_FAILED;
			}
		}
	}
}

int
cmd_run(const struct verb *v, int argc, char **argv)
{
	json_auto_t *params = json_object();
	struct rpc_client cl;
	int first = parse_run(v, argc, argv, params);

	if (first < 0)
		return EXIT_FAILED;
	bool has_rootfs = json_object_get(params, "rootfs") != NULL;
	if (!has_rootfs) {
		if (first >= argc)
			return ctrctl_usage_error(v, "\"run\" requires an image or --rootfs");
		json_object_set_new(params, "image", json_string(argv[first++]));
	}
	if (first < argc) {
		json_t *cmd = json_array();
		for (int i = first; i < argc; i++)
			json_array_append_new(cmd, json_string(argv[i]));
		json_object_set_new(params, "command", cmd);
	} else if (has_rootfs) {
		return ctrctl_usage_error(v, "\"run --rootfs\" requires a command");
	}
	if (ctrctl_connect(&cl) < 0)
		return EXIT_FAILED;
	bool detach = json_is_true(json_object_get(params, "detach"));
	int code = detach ? run_detached(&cl, json_incref(params))
			  : run_attached(&cl, json_incref(params));
	rpc_close(&cl);
	return code;
}
