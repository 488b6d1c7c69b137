/* SPDX-License-Identifier: MIT */
/* The verbs that send one request per container: inspect, stop, kill, rm, wait; and version. */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <string.h>

#include "ctrctl.h"

/*
 * Runs method once per container argument on one connection. Success prints
 * what print() makes of the result; failures print the error and make the
 * exit code 1, as docker does.
 */
static int
for_each_container(const struct verb *v, int argc, char **argv, const char *method, json_t *extra,
		   void (*print)(const char *arg, json_t *result, void *data), void *data)
{
	struct rpc_client cl;
	int ret = 0;

	if (optind >= argc)
		return ctrctl_usage_error(v, "\"%s\" requires at least one container", v->name);
	if (ctrctl_connect(&cl) < 0)
		return 1;
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
		json_t *params = extra ? json_deep_copy(extra) : json_object();
		json_object_set_new(params, "id", json_string(argv[i]));
		json_t *r = rpc_call(&cl, method, params, NULL, NULL, &err);
		if (r == NULL) {
			ctrctl_error("%s", err.msg);
			ret = 1;
			if (err.code == CTR_E_SYSTEM && err.errnum == 0)
				break; /* the connection is gone */
			continue;
		}
		print(argv[i], r, data);
		json_decref(r);
	}
	rpc_close(&cl);
	if (fflush(stdout) != 0) {
		ctrctl_error("write: %s", strerror(errno));
		return 1;
	}
	return ret;
}

static void
print_arg(const char *arg, json_t *result, void *data)
{
	printf("%s\n", arg);
}

static void
collect(const char *arg, json_t *result, void *data)
{
	json_array_append(data, result);
}

static void
print_exit_code(const char *arg, json_t *result, void *data)
{
	printf("%lld\n", (long long)json_integer_value(json_object_get(result, "exit_code")));
}

/* Options parsing shared by the verbs without options of their own. */
static int
no_options(const struct verb *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};

	if (ctrctl_getopt(v, argc, argv, "", opts) != -1) {
		fprintf(stderr, "See 'ctrctl %s --help'.\n", v->name);
		return -1;
	}
	return 0;
}

/* The value at a dotted path ("pid", "config.hostname"); docker's "{{.Pid}}" works too. */
static json_t *
field_at(json_t *o, const char *format)
{
	_cleanup_free_ char *path = xstrdup(format);
	char *p = path, *save = NULL;
	size_t len = strlen(p);

	if (len >= 4 && strncmp(p, "{{", 2) == 0 && strcmp(p + len - 2, "}}") == 0) {
		p[len - 2] = '\0';
		p += 2;
	}
	for (char *key = strtok_r(p, ". ", &save); key != NULL && o != NULL;
	     key = strtok_r(NULL, ". ", &save)) {
		json_t *next = json_object_get(o, key);
		/* docker capitalises (.State.Pid); our keys are lower case. */
		for (char *c = key; next == NULL && *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		o = next ? next : json_object_get(o, key);
	}
	return o;
}

static void
print_field(json_t *o, const char *format)
{
	json_t *v = field_at(o, format);

	if (json_is_string(v)) {
		puts(json_string_value(v));
	} else if (v == NULL || json_is_null(v)) {
		puts("");
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		puts(s);
		free(s);
	}
}

int
cmd_inspect(const struct verb *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	json_auto_t *all = json_array();
	const char *format = NULL;
	int c;

	while ((c = ctrctl_getopt(v, argc, argv, "f:", opts)) != -1) {
		if (c != 'f') {
			fprintf(stderr, "See 'ctrctl inspect --help'.\n");
			return EXIT_FAILED;
		}
		format = optarg;
	}
	int ret = for_each_container(v, argc, argv, "inspect", NULL, collect, all);
	if (ret == EXIT_FAILED || json_array_size(all) == 0)
		return ret;
	if (format != NULL) {
		size_t i;
		json_t *o;
		json_array_foreach(all, i, o)
			print_field(o, format);
		return ret;
	}
	char *s = json_dumps(all, JSON_INDENT(4));
	puts(s);
	free(s);
	return ret;
}

int
cmd_wait(const struct verb *v, int argc, char **argv)
{
	if (no_options(v, argc, argv) < 0)
		return EXIT_FAILED;
	return for_each_container(v, argc, argv, "wait", NULL, print_exit_code, NULL);
}

/* -s SIG for stop and kill, checked here so a typo never reaches the daemon. */
static int
signal_option(const struct verb *v, const char *arg, json_t *extra)
{
	if (signal_parse(arg) < 0)
		return ctrctl_usage_error(v, "unknown signal \"%s\"", arg), -1;
	json_object_set_new(extra, "signal", json_string(arg));
	return 0;
}

int
cmd_stop(const struct verb *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 't' },
		{ "signal", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	json_auto_t *extra = json_object();
	uint64_t secs;
	int c;

	while ((c = ctrctl_getopt(v, argc, argv, "t:s:", opts)) != -1) {
		switch (c) {
		case 't':
			if (parse_u64(optarg, &secs) < 0 || secs > 86400)
				return ctrctl_usage_error(
					v, "invalid time \"%s\": seconds from 0 to 86400", optarg);
			json_object_set_new(extra, "timeout", json_integer((json_int_t)secs));
			break;
		case 's':
			if (signal_option(v, optarg, extra) < 0)
				return EXIT_FAILED;
			break;
		default:
			fprintf(stderr, "See 'ctrctl stop --help'.\n");
			return EXIT_FAILED;
		}
	}
	return for_each_container(v, argc, argv, "stop", extra, print_arg, NULL);
}

int
cmd_kill(const struct verb *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "signal", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	json_auto_t *extra = json_object();
	int c;

	while ((c = ctrctl_getopt(v, argc, argv, "s:", opts)) != -1) {
		if (c != 's') {
			fprintf(stderr, "See 'ctrctl kill --help'.\n");
			return EXIT_FAILED;
		}
		if (signal_option(v, optarg, extra) < 0)
			return EXIT_FAILED;
	}
	return for_each_container(v, argc, argv, "kill", extra, print_arg, NULL);
}

int
cmd_rm(const struct verb *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	json_auto_t *extra = json_object();
	int c;

	while ((c = ctrctl_getopt(v, argc, argv, "f", opts)) != -1) {
		if (c != 'f') {
			fprintf(stderr, "See 'ctrctl rm --help'.\n");
			return EXIT_FAILED;
		}
		json_object_set_new(extra, "force", json_true());
	}
	return for_each_container(v, argc, argv, "rm", extra, print_arg, NULL);
}

int
cmd_version(const struct verb *v, int argc, char **argv)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_client cl;

	if (no_options(v, argc, argv) < 0)
		return EXIT_FAILED;
	printf("Client: ctrctl %s\n", PACKAGE_VERSION);
	if (ctrctl_connect(&cl) < 0)
		return 1;
	json_auto_t *r = rpc_call(&cl, "version", NULL, NULL, NULL, &err);
	rpc_close(&cl);
	if (r == NULL) {
		ctrctl_error("%s", err.msg);
		return 1;
	}
	printf("Server: ctrd %s (API %lld, kernel %s)\n",
	       json_string_value(json_object_get(r, "version")),
	       (long long)json_integer_value(json_object_get(r, "api")),
	       json_string_value(json_object_get(r, "kernel")));
	return 0;
}

int
cmd_pause(const struct verb *v, int argc, char **argv)
{
	if (no_options(v, argc, argv) < 0)
		return EXIT_FAILED;
	return for_each_container(v, argc, argv, "pause", NULL, print_arg, NULL);
}

int
cmd_unpause(const struct verb *v, int argc, char **argv)
{
	if (no_options(v, argc, argv) < 0)
		return EXIT_FAILED;
	return for_each_container(v, argc, argv, "unpause", NULL, print_arg, NULL);
}

int
cmd_update(const struct verb *v, int argc, char **argv)
{
	json_auto_t *extra = json_object();
	struct option opts[8];
	int c;

	/* The resource flags and --help. */
	memcpy(opts, ctrctl_resource_options, 6 * sizeof(struct option));
	opts[6] = (struct option){ "help", no_argument, NULL, 'H' };
	opts[7] = (struct option){ NULL, 0, NULL, 0 };
	while ((c = ctrctl_getopt(v, argc, argv, "m:c:", opts)) != -1) {
		int r = ctrctl_resource_option(v, c, optarg, extra);
		if (r < 0)
			return EXIT_FAILED;
		if (r == 0) {
			fprintf(stderr, "See 'ctrctl update --help'.\n");
			return EXIT_FAILED;
		}
	}
	if (json_object_size(extra) == 0)
		return ctrctl_usage_error(v, "\"update\" needs at least one limit to change");
	return for_each_container(v, argc, argv, "update", extra, print_arg, NULL);
}
