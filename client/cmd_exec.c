/* SPDX-License-Identifier: MIT */
/*
 * ctrctl exec: runs another process in a running container, in all of its
 * namespaces. Attached like run (see attach.c): our stdio, or with -t the
 * terminal ctrd made, and the process's exit code. -d prints the exec id.
 */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "attach.h"
#include "ctrctl.h"
#include "tty.h"

/* Parses the flags into params; returns the index of the container argument or -1. */
static int
parse_exec(const struct verb *v, int argc, char **argv, json_t *p)
{
	static const struct option opts[] = {
		{ "detach", no_argument, NULL, 'd' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *env = json_array();
	int c;

	json_object_set_new(p, "env", env);
	/* "+": the first non-option is the container; what follows is the command's. */
	while ((c = ctrctl_getopt(v, argc, argv, "+dite:w:u:", opts)) != -1) {
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
		default:
			fprintf(stderr, "See 'ctrctl exec --help'.\n");
			return -1;
		}
	}
	if (json_array_size(env) == 0)
		json_object_del(p, "env");
	return optind;
}

static int
exec_detached(struct rpc_client *cl, json_t *params)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	json_auto_t *r = rpc_call(cl, "exec", params, NULL, NULL, &err);

	if (r == NULL)
		return ctrctl_run_failed(&err);
	printf("%s\n", json_string_value(json_object_get(r, "exec_id")));
	return 0;
}

int
cmd_exec(const struct verb *v, int argc, char **argv)
{
	json_auto_t *params = json_object();
	struct rpc_client cl;

	if (ctrctl_check_utf8(argc, argv) < 0)
		return EXIT_FAILED;
	int first = parse_exec(v, argc, argv, params);
	if (first < 0)
		return EXIT_FAILED;
	if (argc - first < 2)
		return ctrctl_usage_error(v, "\"exec\" requires a container and a command");
	json_object_set_new(params, "id", json_string(argv[first++]));
	json_t *cmd = json_array();
	for (int i = first; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	json_object_set_new(params, "command", cmd);

	struct attach_opts o = {
		.method = "exec",
		.tty = json_is_true(json_object_get(params, "tty")),
		.interactive = json_is_true(json_object_get(params, "interactive")),
		.kill_on_signal = false,
	};
	bool detach = json_is_true(json_object_get(params, "detach"));
	json_t *size = o.tty && !detach ? tty_size_param() : NULL;
	if (size != NULL)
		json_object_set_new(params, "tty_size", size);
	if (ctrctl_connect(&cl) < 0)
		return EXIT_FAILED;
	int code = detach ? exec_detached(&cl, json_incref(params))
			  : attach_session(&cl, json_incref(params), &o);
	rpc_close(&cl);
	return code;
}
