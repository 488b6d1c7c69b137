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
		{ "all", no_argument, NULL, 'a' },  { "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' }, { "no-trunc", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'H' }, { NULL, 0, NULL, 0 },
	};
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	bool all = false, quiet = false, as_json = false, no_trunc = false;
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
		case 'T':
			no_trunc = true;
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
	/*
	 * The table and -q ask for rows of just the fields they show, not
	 * container objects: with 1000 containers that is a third of the bytes
	 * to decode and no object per container.
	 */
	enum { F_ID, F_NAME, F_PID, F_STATUS, F_CREATED, F_CMD, F_COUNT };
	const char *const fields[F_COUNT] = {
		[F_ID] = no_trunc ? "id" : "short_id",
		[F_NAME] = "name",
		[F_PID] = "pid",
		[F_STATUS] = "status",
		[F_CREATED] = "created",
		[F_CMD] = "command",
	};
	json_t *params = json_pack("{s:b}", "all", all);
	if (!as_json) {
		json_t *names = json_array();
		for (size_t f = 0; f < (quiet ? 1 : F_COUNT); f++)
			json_array_append_new(names, json_string(fields[f]));
		json_object_set_new(params, "fields", names);
	}
	json_auto_t *r = rpc_call(&cl, "ps", params, NULL, NULL, &err);
	rpc_close(&cl);
	if (r == NULL) {
		ctrctl_error("%s", err.msg);
		return 1;
	}
	if (as_json) {
		char *s = json_dumps(json_object_get(r, "containers"), JSON_INDENT(2));
		puts(s);
		free(s);
		return 0;
	}
	size_t i;
	json_t *row;
	int64_t now = time_now_ns();
	static const char *const header[] = { "ID", "NAME", "PID", "STATUS", "CREATED", "COMMAND" };
	struct format_table *t = format_table_new(ARRAY_SIZE(header), header);

	json_array_foreach(json_object_get(r, "rows"), i, row) {
		const char *id = json_string_value(json_array_get(row, F_ID));
		if (id == NULL)
			continue;
		if (quiet) {
			puts(id);
			continue;
		}
		json_t *pid = json_array_get(row, F_PID);
		const char *name = json_string_value(json_array_get(row, F_NAME));
		const char *status = json_string_value(json_array_get(row, F_STATUS));
		char **cells = format_table_row(t);
		cells[0] = xstrdup(id);
		cells[1] = xstrdup(name ? name : "");
		cells[2] = json_is_integer(pid)
				   ? xasprintf("%lld", (long long)json_integer_value(pid))
				   : xstrdup("-");
		cells[3] = xstrdup(status ? status : "");
		cells[4] = format_ago(json_string_value(json_array_get(row, F_CREATED)), now);
		cells[5] = format_command(json_array_get(row, F_CMD), no_trunc ? 0 : 30);
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
