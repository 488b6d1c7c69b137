/* SPDX-License-Identifier: MIT */
/*
 * ctrctl run: builds the run request from docker-style flags. Attached, it
 * hands the daemon our stdin, stdout and stderr (they become the container's
 * own), or with -t relays the terminal ctrd made for it; forwards SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to the container, and exits
 * with the container's exit code (see attach.c).
 */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "attach.h"
#include "ctrctl.h"
#include "tty.h"

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
	enum {
		OPT_RM = 256,
		OPT_NAME,
		OPT_ROOTFS,
		OPT_READ_ONLY,
		OPT_TMPFS,
		OPT_NETWORK,
		OPT_CAP_ADD,
		OPT_CAP_DROP,
		OPT_SECURITY_OPT,
		OPT_USERNS,
		OPT_RESTART,
		OPT_LOG_OPT,
	};
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
		{ "cap-add", required_argument, NULL, OPT_CAP_ADD },
		{ "cap-drop", required_argument, NULL, OPT_CAP_DROP },
		{ "security-opt", required_argument, NULL, OPT_SECURITY_OPT },
		{ "userns", no_argument, NULL, OPT_USERNS },
		{ "restart", required_argument, NULL, OPT_RESTART },
		{ "log-opt", required_argument, NULL, OPT_LOG_OPT },
		/* The resource flags, as ctrctl_resource_option() knows them. */
		{ "memory", required_argument, NULL, 'm' },
		{ "memory-swap", required_argument, NULL, 0x1001 },
		{ "cpus", required_argument, NULL, 0x1002 },
		{ "cpu-shares", required_argument, NULL, 'c' },
		{ "cpuset-cpus", required_argument, NULL, 0x1003 },
		{ "pids-limit", required_argument, NULL, 0x1004 },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *env = json_array(), *mounts = json_array(), *tmpfs = json_array();
	json_t *cap_add = json_array(), *cap_drop = json_array();
	int c;

	json_object_set_new(p, "env", env);
	json_object_set_new(p, "mounts", mounts);
	json_object_set_new(p, "tmpfs", tmpfs);
	json_object_set_new(p, "cap_add", cap_add);
	json_object_set_new(p, "cap_drop", cap_drop);
	/* "+": the first non-option is the image; what follows belongs to the command. */
	while ((c = ctrctl_getopt(v, argc, argv, "+dith:e:w:u:v:m:c:", opts)) != -1) {
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
			if (ctrctl_env_append(env, optarg) < 0)
				return -1;
			break;
		case 'w':
			json_object_set_new(p, "cwd", json_string(optarg));
			break;
		case 'u':
			json_object_set_new(p, "user", json_string(optarg));
			break;
		case OPT_ROOTFS: {
			_cleanup_free_ char *abs = host_path(optarg);
			json_t *path = json_string(abs);
			if (path == NULL) {
				ctrctl_error("the path of \"%s\" is not valid UTF-8", optarg);
				return -1;
			}
			json_object_set_new(p, "rootfs", path);
			break;
		}
		case OPT_READ_ONLY:
			json_object_set_new(p, "read_only", json_true());
			break;
		case 'v': {
			json_t *m = parse_volume(optarg);
			if (m == NULL)
				return ctrctl_usage_error(
					       v, "invalid volume \"%s\": expected SRC:DST[:ro]",
					       optarg),
				       -1;
			json_array_append_new(mounts, m);
			break;
		}
		case OPT_TMPFS:
			json_array_append_new(tmpfs, json_string(optarg));
			break;
		case OPT_NETWORK:
			json_object_set_new(p, "network", json_string(optarg));
			break;
		case OPT_LOG_OPT: {
			/*
			 * docker's json-file options: max-size=10m, max-file=3, repeated or,
			 * as ctrctl(1) promises, in one comma-separated list.
			 */
			_cleanup_free_ char *list = xstrdup(optarg);
			char *save = NULL;
			char *o = strtok_r(list, ",", &save);
			if (o == NULL)
				return ctrctl_usage_error(v, "empty --log-opt"), -1;
			for (; o != NULL; o = strtok_r(NULL, ",", &save)) {
				int64_t n;
				if (strncmp(o, "max-size=", 9) == 0 && parse_size(o + 9, &n) == 0) {
					json_object_set_new(p, "log_max_size", json_integer(n));
				} else if (strncmp(o, "max-file=", 9) == 0 &&
					   parse_i64(o + 9, &n) == 0 && n >= 1 && n <= 100) {
					json_object_set_new(p, "log_max_files", json_integer(n));
				} else {
					return ctrctl_usage_error(v,
								  "unsupported --log-opt \"%s\" "
								  "(max-size=BYTES or max-file=N)",
								  o),
					       -1;
				}
			}
			break;
		}
		case OPT_RESTART:
			json_object_set_new(p, "restart", json_string(optarg));
			break;
		case OPT_USERNS:
			json_object_set_new(p, "userns", json_true());
			break;
		case OPT_SECURITY_OPT:
			if (strcmp(optarg, "seccomp=unconfined") == 0) {
				json_object_set_new(p, "seccomp", json_string("unconfined"));
			} else if (strcmp(optarg, "seccomp=default") == 0) {
				json_object_set_new(p, "seccomp", json_string("default"));
			} else if (strcmp(optarg, "no-new-privileges") != 0 &&
				   strcmp(optarg, "no-new-privileges:true") != 0) {
				/* no_new_privs is always on; anything else we do not know. */
				return ctrctl_usage_error(v, "unsupported --security-opt \"%s\"",
							  optarg),
				       -1;
			}
			break;
		case OPT_CAP_ADD:
		case OPT_CAP_DROP: {
			/* docker takes one per flag; a comma-separated list is a common courtesy. */
			_cleanup_free_ char *list = xstrdup(optarg);
			char *save = NULL;
			for (char *cap = strtok_r(list, ",", &save); cap != NULL;
			     cap = strtok_r(NULL, ",", &save))
				json_array_append_new(c == OPT_CAP_ADD ? cap_add : cap_drop,
						      json_string(cap));
			break;
		}
		default:
			switch (ctrctl_resource_option(v, c, optarg, p)) {
			case 1:
				continue;
			case -1:
				return -1;
			}
			fprintf(stderr, "See 'ctrctl run --help'.\n");
			return -1;
		}
	}
	return optind;
}

static int
run_detached(struct rpc_client *cl, json_t *params)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	json_t *r = rpc_call(cl, "run", params, NULL, NULL, &err);

	if (r == NULL)
		return ctrctl_run_failed(&err);
	printf("%s\n", json_string_value(json_object_get(r, "id")));
	json_decref(r);
	return 0;
}

int
cmd_run(const struct verb *v, int argc, char **argv)
{
	json_auto_t *params = json_object();
	struct rpc_client cl;

	if (ctrctl_check_utf8(argc, argv) < 0)
		return EXIT_FAILED;
	int first = parse_run(v, argc, argv, params);
	if (first < 0)
		return EXIT_FAILED;
	bool has_rootfs = json_object_get(params, "rootfs") != NULL;
	if (!has_rootfs) {
		if (first >= argc)
			return ctrctl_usage_error(v, "\"run\" requires an image or --rootfs");
		json_object_set_new(params, "image", json_string(argv[first++]));
	}
	/* No command with an image: the daemon runs the image's own. */
	if (first < argc) {
		json_t *cmd = json_array();
		for (int i = first; i < argc; i++)
			json_array_append_new(cmd, json_string(argv[i]));
		json_object_set_new(params, "command", cmd);
	} else if (has_rootfs) {
		return ctrctl_usage_error(v, "\"run --rootfs\" requires a command");
	}
	struct attach_opts o = {
		.method = "run",
		.tty = json_is_true(json_object_get(params, "tty")),
		.interactive = json_is_true(json_object_get(params, "interactive")),
		.kill_on_signal = true,
	};
	bool detach = json_is_true(json_object_get(params, "detach"));
	/* Sent with the request, so the command starts with the right size. */
	json_t *size = o.tty && !detach ? tty_size_param() : NULL;
	if (size != NULL)
		json_object_set_new(params, "tty_size", size);
	if (ctrctl_connect(&cl) < 0)
		return EXIT_FAILED;
	int code = detach ? run_detached(&cl, json_incref(params))
			  : attach_session(&cl, json_incref(params), &o);
	rpc_close(&cl);
	return code;
}
