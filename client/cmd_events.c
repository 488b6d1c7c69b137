/* SPDX-License-Identifier: MIT */
/*
 * ctrctl events: the daemon's event stream, one line per event as docker
 * prints them ("TIME container TYPE ID (name=NAME, ...)"), or its JSON.
 */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "ctrctl.h"
#include "format.h"

static void
print_event(json_t *e, bool as_json)
{
	if (as_json) {
		char *s = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
		puts(s);
		free(s);
	} else {
		const char *key;
		json_t *v;
		bool first = true;
		printf("%s container %s %s (", json_string_value(json_object_get(e, "time")),
		       json_string_value(json_object_get(e, "type")),
		       json_string_value(json_object_get(e, "id")));
		/* name first, then the rest in a stable order. */
		printf("name=%s", json_string_value(json_object_get(e, "name")));
		first = false;
		json_object_foreach(e, key, v) {
			if (strcmp(key, "time") == 0 || strcmp(key, "type") == 0 ||
			    strcmp(key, "id") == 0 || strcmp(key, "name") == 0 ||
			    strcmp(key, "request") == 0 || json_is_null(v))
				continue;
			char *s = json_is_string(v) ? xstrdup(json_string_value(v))
						    : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			printf("%s%s=%s", first ? "" : ", ", key, s);
			free(s);
		}
		printf(")\n");
	}
	fflush(stdout);
}

int
cmd_events(const struct verb *v, int argc, char **argv)
{
	enum { OPT_SINCE = 256, OPT_JSON };
	static const struct option opts[] = {
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	json_t *params = json_object();
	bool as_json = false;
	struct rpc_client cl;
	int c;

	while ((c = ctrctl_getopt(v, argc, argv, "", opts)) != -1) {
		switch (c) {
		case OPT_SINCE: {
			/* Relative times count back from now, as docker's do. */
			char *since = format_since(optarg, time_now_ns());
			json_object_set_new(params, "since", json_string(since));
			free(since);
			break;
		}
		case OPT_JSON:
			as_json = true;
			break;
		default:
			json_decref(params);
			fprintf(stderr, "See 'ctrctl events --help'.\n");
			return EXIT_FAILED;
		}
	}
	if (optind < argc) {
		json_decref(params);
		return ctrctl_usage_error(v, "\"events\" takes no arguments");
	}
	if (ctrctl_connect(&cl) < 0) {
		json_decref(params);
		return 1;
	}
	json_int_t id = rpc_send(&cl, "events", params, NULL, 0, &err);
	for (;;) {
		struct rpc_in in;
		int r = id < 0 ? -1 : rpc_recv(&cl, &in, &err);
		if (r <= 0) {
			rpc_close(&cl);
			if (r == 0)
				return 0; /* the daemon went away: the stream is over */
			ctrctl_error("%s", err.msg);
			return 1;
		}
		if (in.msg.kind == RPC_ERROR) {
			rpc_error_from_msg(&in.msg, &err);
			rpc_in_clear(&in);
			rpc_close(&cl);
			ctrctl_error("%s", err.msg);
			return 1;
		}
		if (in.msg.kind == RPC_NOTIFICATION && strcmp(in.msg.method, "event") == 0)
			print_event(in.msg.params, as_json);
		rpc_in_clear(&in);
	}
}
