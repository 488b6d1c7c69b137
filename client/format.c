/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include "format.h"

char *
format_duration(int64_t ns)
{
	int64_t s = ns / 1000000000;
	int64_t m = s / 60, h = s / 3600, d = h / 24;

	/* The thresholds of docker's units.HumanDuration. */
	if (s < 1)
		return xstrdup("Less than a second");
	if (s == 1)
		return xstrdup("1 second");
	if (s < 60)
		return xasprintf("%lld seconds", (long long)s);
	if (m == 1)
		return xstrdup("About a minute");
	if (m < 60)
		return xasprintf("%lld minutes", (long long)m);
	if (h == 1)
		return xstrdup("About an hour");
	if (h < 48)
		return xasprintf("%lld hours", (long long)h);
	if (d < 14)
		return xasprintf("%lld days", (long long)d);
	if (d < 60)
		return xasprintf("%lld weeks", (long long)(d / 7));
	if (d < 365 * 2)
		return xasprintf("%lld months", (long long)(d / 30));
	return xasprintf("%lld years", (long long)(d / 365));
}

char *
format_ago(const char *t, int64_t now_ns)
{
	int64_t ns;

	if (t == NULL || time_parse_rfc3339(t, &ns) < 0)
		return xstrdup("");
	_cleanup_free_ char *d = format_duration(now_ns - ns);
	return xasprintf("%s ago", d);
}

char *
format_status(json_t *ctr, int64_t now_ns)
{
	const char *state = json_string_value(json_object_get(ctr, "state"));
	int64_t ns;

	if (state != NULL && strcmp(state, "running") == 0) {
		const char *started = json_string_value(json_object_get(ctr, "started_at"));
		if (started == NULL || time_parse_rfc3339(started, &ns) < 0)
			return xstrdup("Up");
		_cleanup_free_ char *d = format_duration(now_ns - ns);
		return xasprintf("Up %s", d);
	}
	if (state != NULL && strcmp(state, "exited") == 0) {
		json_t *code = json_object_get(ctr, "exit_code");
		_cleanup_free_ char *ago =
			format_ago(json_string_value(json_object_get(ctr, "finished_at")), now_ns);
		return xasprintf("Exited (%lld) %s%s", (long long)json_integer_value(code), ago,
				 json_is_true(json_object_get(ctr, "oom_killed")) ? " (OOM)" : "");
	}
	return xstrdup("Created");
}

char *
format_command(json_t *argv, size_t max)
{
	size_t i, len = 0;
	json_t *a;
	_cleanup_free_ char *joined = NULL;

	json_array_foreach(argv, i, a)
		len += strlen(json_string_value(a) ? json_string_value(a) : "") + 1;
	joined = xcalloc(1, len + 1);
	json_array_foreach(argv, i, a)
	{
		if (i > 0)
			strcat(joined, " ");
		strcat(joined, json_string_value(a) ? json_string_value(a) : "");
	}
	if (max > 1 && strlen(joined) > max) {
		/* Cut as docker does, on a character boundary, with an ellipsis. */
		size_t cut = max - 1;
		while (cut > 0 && (joined[cut] & 0xc0) == 0x80)
			cut--;
		return xasprintf("\"%.*s\u2026\"", (int)cut, joined);
	}
	return xasprintf("\"%s\"", joined);
}
