/* SPDX-License-Identifier: MIT */
/* ctrctl ps: a table of containers, their ids, or the daemon's JSON. */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "ctrctl.h"
#include "format.h"

int
cmd_ps(const struct verb *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	bool all = false, quiet = false, as_json = false;
	struct rpc_client cl;
	int c;

	while ((c = ctrctl_getopt(v, argc, argv, "aq", opts)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'j':
			as_json = true;
			break;
		default:
			fprintf(stderr, "See 'ctrctl ps --help'.\n");
			return EXIT_FAILED;
		}
	}
	if (optind < argc)
		return ctrctl_usage_error(v, "\"ps\" takes no arguments");
	if (ctrctl_connect(&cl) < 0)
		return 1;
	json_auto_t *r = rpc_call(&cl, "ps", json_pack("{s:b}", "all", all), NULL, NULL, &err);
	rpc_close(&cl);
	if (r == NULL) {
		ctrctl_error("%s", err.msg);
		return 1;
	}
	json_t *list = json_object_get(r, "containers");
	if (as_json) {
		char *s = json_dumps(list, JSON_INDENT(2));
		puts(s);
		free(s);
		return 0;
	}
	size_t i;
	json_t *ctr;
	int64_t now = time_now_ns();
	static const char *const header[] = { "ID", "NAME", "PID", "STATUS", "CREATED", "COMMAND" };
	struct format_table *t = format_table_new(ARRAY_SIZE(header), header);

	json_array_foreach(list, i, ctr) {
		const char *id = json_string_value(json_object_get(ctr, "id"));
		json_t *pid = json_object_get(ctr, "pid");
		if (quiet) {
			printf("%.12s\n", id);
			continue;
		}
		char **row = format_table_row(t);
		row[0] = xasprintf("%.12s", id);
		row[1] = xstrdup(json_string_value(json_object_get(ctr, "name")));
		row[2] = json_is_integer(pid)
				 ? xasprintf("%lld", (long long)json_integer_value(pid))
				 : xstrdup("-");
		row[3] = format_status(ctr, now);
		row[4] = format_ago(json_string_value(json_object_get(ctr, "created")), now);
		row[5] = format_command(json_object_get(ctr, "command"), 30);
	}
	if (!quiet)
		format_table_print(t, stdout);
	format_table_free(t);
	if (fflush(stdout) != 0) {
		ctrctl_error("write: %s", strerror(errno));
		return 1;
	}
	return 0;
}
