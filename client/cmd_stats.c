/* SPDX-License-Identifier: MIT */
/*
 * ctrctl stats: a live table like docker stats (CPU %, memory usage and
 * limit, PIDs, block I/O), redrawn every second, or one table with
 * --no-stream. CPU % is the CPU time a container used between two samples
 * over the wall time between them, in units of one CPU (200% = two CPUs).
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "ctrctl.h"
#include "format.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	stop = 1;
}

static json_t *
sample(struct rpc_client *cl, json_t *params, struct ctr_error *err)
{
	json_t *r = rpc_call(cl, "stats", json_deep_copy(params), NULL, NULL, err);
	json_t *list = r ? json_incref(json_object_get(r, "stats")) : NULL;

	json_decref(r);
	return list;
}

/* The sample of the same container in prev, or NULL. */
static json_t *
find(json_t *prev, const char *id)
{
	size_t i;
	json_t *s;

	json_array_foreach(prev, i, s)
		if (strcmp(json_string_value(json_object_get(s, "id")), id) == 0)
			return s;
	return NULL;
}

static char *
cpu_percent(json_t *now, json_t *before)
{
	json_t *a = json_object_get(before, "cpu_ns"), *b = json_object_get(now, "cpu_ns");
	int64_t t0, t1;

	if (!json_is_integer(a) || !json_is_integer(b) ||
	    time_parse_rfc3339(json_string_value(json_object_get(before, "time")), &t0) < 0 ||
	    time_parse_rfc3339(json_string_value(json_object_get(now, "time")), &t1) < 0 ||
	    t1 <= t0)
		return xstrdup("--");
	double used = (double)(json_integer_value(b) - json_integer_value(a));
	return xasprintf("%.2f%%", 100.0 * used / (double)(t1 - t0));
}

static char *
bytes_or_dash(json_t *v)
{
	return json_is_integer(v) ? format_bytes((uint64_t)json_integer_value(v)) : xstrdup("--");
}

static void
print_table(json_t *now, json_t *before, bool clear)
{
	static const char *const header[] = { "ID",   "NAME",	  "CPU %", "MEM USAGE / LIMIT",
					      "PIDS", "BLOCK I/O" };
	struct format_table *t = format_table_new(ARRAY_SIZE(header), header);
	size_t i;
	json_t *s;

	json_array_foreach(now, i, s) {
		const char *id = json_string_value(json_object_get(s, "id"));
		json_t *pl = json_object_get(s, "pids_limit");
		long long pids = (long long)json_integer_value(json_object_get(s, "pids"));
		_cleanup_free_ char *mem = bytes_or_dash(json_object_get(s, "memory_usage"));
		_cleanup_free_ char *lim = bytes_or_dash(json_object_get(s, "memory_limit"));
		_cleanup_free_ char *rd =
			format_size(json_integer_value(json_object_get(s, "blkio_read")));
		_cleanup_free_ char *wr =
			format_size(json_integer_value(json_object_get(s, "blkio_write")));
		char **row = format_table_row(t);

		row[0] = xasprintf("%.12s", id);
		row[1] = xstrdup(json_string_value(json_object_get(s, "name")));
		row[2] = cpu_percent(s, find(before, id));
		row[3] = xasprintf("%s / %s", mem, lim);
		row[4] = json_is_integer(pl)
				 ? xasprintf("%lld / %lld", pids, (long long)json_integer_value(pl))
				 : xasprintf("%lld", pids);
		row[5] = xasprintf("%s / %s", rd, wr);
	}
	if (clear)
		fputs("\033[H\033[2J", stdout); /* home and clear, as docker stats redraws */
	format_table_print(t, stdout);
	format_table_free(t);
	fflush(stdout);
}

int
cmd_stats(const struct verb *v, int argc, char **argv)
{
	enum { OPT_NO_STREAM = 256, OPT_JSON };
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "no-stream", no_argument, NULL, OPT_NO_STREAM },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	bool stream = true, as_json = false;
	json_auto_t *params = json_object();
	struct rpc_client cl;
	int c;

	while ((c = ctrctl_getopt(v, argc, argv, "a", opts)) != -1) {
		switch (c) {
		case 'a':
			json_object_set_new(params, "all", json_true());
			break;
		case OPT_NO_STREAM:
			stream = false;
			break;
		case OPT_JSON:
			as_json = true;
			break;
		default:
			fprintf(stderr, "See 'ctrctl stats --help'.\n");
			return EXIT_FAILED;
		}
	}
	if (optind < argc) {
		json_t *ids = json_array();
		for (int i = optind; i < argc; i++)
			json_array_append_new(ids, json_string(argv[i]));
		json_object_set_new(params, "ids", ids);
	}
	if (ctrctl_connect(&cl) < 0)
		return 1;
	json_t *prev = sample(&cl, params, &err);
	if (prev == NULL) {
		rpc_close(&cl);
		ctrctl_error("%s", err.msg);
		return 1;
	}
	if (as_json) {
		char *s = json_dumps(prev, JSON_INDENT(2));
		puts(s);
		free(s);
		json_decref(prev);
		rpc_close(&cl);
		return 0;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* CPU % needs two samples: the first table comes after half a second. */
	struct timespec wait = { 0, 500 * 1000 * 1000 };
	int ret = 0;
	while (!stop) {
		nanosleep(&wait, NULL);
		if (stop)
			break;
		json_t *now = sample(&cl, params, &err);
		if (now == NULL) {
			ctrctl_error("%s", err.msg);
			ret = 1;
			break;
		}
		print_table(now, prev, stream);
		json_decref(prev);
		prev = now;
		if (!stream)
			break;
		wait.tv_sec = 1, wait.tv_nsec = 0;
	}
	json_decref(prev);
	rpc_close(&cl);
	return ret;
}
