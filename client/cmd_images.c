/* SPDX-License-Identifier: MIT */
/* ctrctl images: a table of the images ctrd can run, their names, or the daemon's JSON. */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "ctrctl.h"
#include "format.h"

static void
print_images(json_t *list, bool quiet)
{
	static const char *const header[] = { "NAME", "SIZE", "CREATED", "COMMAND" };
	struct format_table *t = format_table_new(ARRAY_SIZE(header), header);
	int64_t now = time_now_ns();
	size_t i;
	json_t *img;

	json_array_foreach(list, i, img) {
		const char *name = json_string_value(json_object_get(img, "name"));
		json_t *command = json_object_get(img, "command");
		if (quiet) {
			printf("%s\n", name ? name : "");
			continue;
		}
		char **row = format_table_row(t);
		row[0] = xstrdup(name ? name : "");
		row[1] = format_size(json_integer_value(json_object_get(img, "size")));
		row[2] = format_ago(json_string_value(json_object_get(img, "created")), now);
		/* No default command: run needs one on its command line. */
		row[3] = json_is_array(command) ? format_command(command, 30) : xstrdup("-");
	}
	if (!quiet)
		format_table_print(t, stdout);
	format_table_free(t);
}

int
cmd_images(const struct verb *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	bool quiet = false, as_json = false;
	struct rpc_client cl;
	int c;

	while ((c = ctrctl_getopt(v, argc, argv, "q", opts)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'j':
			as_json = true;
			break;
		default:
			fprintf(stderr, "See 'ctrctl images --help'.\n");
			return EXIT_FAILED;
		}
	}
	if (optind < argc)
		return ctrctl_usage_error(v, "\"images\" takes no arguments");
	if (ctrctl_connect(&cl) < 0)
		return 1;
	json_auto_t *r = rpc_call(&cl, "images", json_object(), NULL, NULL, &err);
	rpc_close(&cl);
	if (r == NULL) {
		ctrctl_error("%s", err.msg);
		return 1;
	}
	json_t *list = json_object_get(r, "images");
	if (as_json) {
		char *s = json_dumps(list, JSON_INDENT(2));
		puts(s != NULL ? s : "[]");
		free(s);
	} else {
		print_images(list, quiet);
	}
	if (fflush(stdout) != 0) {
		ctrctl_error("write: %s", strerror(errno));
		return 1;
	}
	return 0;
}
