/* SPDX-License-Identifier: MIT */
/* ctrctl logs: a detached container's output, stdout to stdout and stderr to stderr. */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "ctrctl.h"
#include "format.h"

struct logs_opts {
	bool timestamps;
	bool midline[2]; /* stdout, stderr: the last data did not end a line */
	bool failed;	 /* writing to our stdout or stderr failed */
};

static void
print_entries(struct rpc_in *in, void *arg)
{
	struct logs_opts *o = arg;
	size_t i;
	json_t *e;

	if (strcmp(in->msg.method, "log") != 0)
		return;
	json_array_foreach(json_object_get(in->msg.params, "entries"), i, e) {
		const char *stream = json_string_value(json_object_get(e, "stream"));
		json_t *data = json_object_get(e, "data");
		bool is_err = stream && strcmp(stream, "stderr") == 0;
		FILE *out = is_err ? stderr : stdout;
		size_t len = json_string_length(data);
		/* A line written in pieces gets one time stamp, that of its first piece. */
		if (o->timestamps && !o->midline[is_err])
			fprintf(out, "%s ", json_string_value(json_object_get(e, "time")));
		o->midline[is_err] = len > 0 && json_string_value(data)[len - 1] != '\n';
		if (fwrite(json_string_value(data), 1, json_string_length(data), out) !=
		    json_string_length(data))
			o->failed = true;
	}
	if (fflush(stdout) != 0 || fflush(stderr) != 0)
		o->failed = true;
}

int
cmd_logs(const struct verb *v, int argc, char **argv)
{
	enum { OPT_SINCE = 256 };
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "tail", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "timestamps", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	json_t *params = json_object();
	struct logs_opts o = { 0 };
	struct rpc_client cl;
	uint64_t n;
	int c;

	while ((c = ctrctl_getopt(v, argc, argv, "fn:t", opts)) != -1) {
		switch (c) {
		case 'f':
			json_object_set_new(params, "follow", json_true());
			break;
		case 'n':
			if (strcmp(optarg, "all") == 0)
				break;
			if (parse_u64(optarg, &n) < 0 || n > INT64_MAX) {
				json_decref(params);
				return ctrctl_usage_error(v, "invalid --tail \"%s\"", optarg);
			}
			json_object_set_new(params, "tail", json_integer((json_int_t)n));
			break;
		case OPT_SINCE: {
			/* Relative times count back from now, as docker's do. */
			char *since = format_since(optarg, time_now_ns());
			json_object_set_new(params, "since", json_string(since));
			free(since);
			break;
		}
		case 't':
			o.timestamps = true;
			break;
		default:
			json_decref(params);
			fprintf(stderr, "See 'ctrctl logs --help'.\n");
			return EXIT_FAILED;
		}
	}
	if (optind + 1 != argc) {
		json_decref(params);
		return ctrctl_usage_error(v, "\"logs\" requires exactly one container");
	}
	json_object_set_new(params, "id", json_string(argv[optind]));
	if (ctrctl_connect(&cl) < 0) {
		json_decref(params);
		return 1;
	}
	json_t *r = rpc_call(&cl, "logs", params, print_entries, &o, &err);
	rpc_close(&cl);
	if (r == NULL) {
		ctrctl_error("%s", err.msg);
		return 1;
	}
	json_decref(r);
	return o.failed ? 1 : 0;
}
