/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include "format.h"

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
format_command(json_t *argv, size_t max)
{
	size_t i, len = 0;
	json_t *a;
	_cleanup_free_ char *joined = NULL;

	json_array_foreach(argv, i, a)
		len += strlen(json_string_value(a) ? json_string_value(a) : "") + 1;
	joined = xcalloc(1, len + 1);
	json_array_foreach(argv, i, a) {
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

char *
format_size(int64_t bytes)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	double size = (double)(bytes < 0 ? 0 : bytes);
	size_t u = 0;

	/* docker's units.HumanSizeWithPrecision(size, 3), but 999.9kB is "1MB", not "1e+03kB". */
	while (size >= 999.5 && u + 1 < ARRAY_SIZE(units)) {
		size /= 1000;
		u++;
	}
	return xasprintf("%.3g%s", size, units[u]);
}

struct format_table {
	size_t ncols, nrows;
	char **cells; /* owned: nrows * ncols strings, the header first */
};

struct format_table *
format_table_new(size_t ncols, const char *const *header)
{
	struct format_table *t = xcalloc(1, sizeof(*t));
	char **row;

	t->ncols = ncols;
	row = format_table_row(t);
	for (size_t k = 0; k < ncols; k++)
		row[k] = xstrdup(header[k]);
	return t;
}

char **
format_table_row(struct format_table *t)
{
	t->cells = xreallocarray(t->cells, (t->nrows + 1) * t->ncols, sizeof(char *));
	char **row = t->cells + t->nrows * t->ncols;
	memset(row, 0, t->ncols * sizeof(char *));
	t->nrows++;
	return row;
}

void
format_table_print(const struct format_table *t, FILE *out)
{
	_cleanup_free_ size_t *width = xcalloc(t->ncols, sizeof(size_t));

	for (size_t i = 0; i < t->nrows * t->ncols; i++) {
		const char *c = t->cells[i] ? t->cells[i] : "";
		if (strlen(c) > width[i % t->ncols])
			width[i % t->ncols] = strlen(c);
	}
	for (size_t row = 0; row < t->nrows; row++)
		for (size_t k = 0; k < t->ncols; k++) {
			const char *c = t->cells[row * t->ncols + k];
			bool last = k + 1 == t->ncols;
			fprintf(out, "%-*s%s", last ? 0 : (int)width[k], c ? c : "",
				last ? "\n" : "   ");
		}
}

void
format_table_free(struct format_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/* A duration as Go and docker write it: "10m", "1h30m", "1.5s", "500ms"; -1 if s is not one. */
static int64_t
parse_duration(const char *s)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "ms", 1000000 },
		{ "s", 1000000000LL },
		{ "m", 60 * 1000000000LL },
		{ "h", 3600 * 1000000000LL },
	};
	double total = 0;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		char *end;
		if (!(*s >= '0' && *s <= '9') && *s != '.')
			return -1;
		double v = strtod(s, &end);
		if (end == s)
			return -1;
		size_t best = 0;
		int64_t mult = 0;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			size_t n = strlen(units[i].unit);
			if (n > best && strncmp(end, units[i].unit, n) == 0) {
				best = n;
				mult = units[i].ns;
			}
		}
		if (best == 0)
			return -1;
		total += v * (double)mult;
		s = end + best;
	}
	return total < 9e18 ? (int64_t)total : -1;
}

char *
format_since(const char *arg, int64_t now_ns)
{
	const char *p = arg;
	int64_t d;

	/* SECONDS[.FRACTION]: a Unix time. */
	while (*p >= '0' && *p <= '9')
		p++;
	if (p > arg && p - arg <= 12 && (*p == '\0' || *p == '.')) {
		int64_t ns = strtoll(arg, NULL, 10) * 1000000000LL;
		const char *f = *p == '.' ? p + 1 : p;
		int64_t scale = 100000000;
		for (; *f >= '0' && *f <= '9' && scale > 0; f++, scale /= 10)
			ns += (*f - '0') * scale;
		while (*f >= '0' && *f <= '9')
			f++;
		if (*f == '\0' && !(*p == '.' && p[1] == '\0'))
			return time_format_rfc3339(ns);
	}
	d = parse_duration(arg);
	if (d >= 0)
		return time_format_rfc3339(now_ns - d);
	/* An RFC 3339 time, or something the daemon will say it does not understand. */
	return xstrdup(arg);
}
