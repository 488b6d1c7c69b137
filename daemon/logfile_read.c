/* SPDX-License-Identifier: MIT */
/* The reading side of the log format (logfile.h), for the daemon's `logs`. */
#include "config.h"

#include <string.h>

#include "logfile.h"

char *
logfile_name(const char *path, int k)
{
	return k == 0 ? xstrdup(path) : xasprintf("%s.%d", path, k);
}

int
logfile_parse(const char *line, size_t len, struct log_record *rec)
{
	const char *end = line + len;
	const char *sp1 = memchr(line, ' ', len);

	if (sp1 == NULL || (size_t)(end - sp1) < 10)
		return -1;
	char stamp[40];
	size_t slen = (size_t)(sp1 - line);
	if (slen >= sizeof(stamp))
		return -1;
	memcpy(stamp, line, slen);
	stamp[slen] = '\0';
	if (time_parse_rfc3339(stamp, &rec->time) < 0)
		return -1;
	const char *p = sp1 + 1;
	if ((size_t)(end - p) >= 9 && memcmp(p, "stdout ", 7) == 0)
		rec->is_stderr = false;
	else if ((size_t)(end - p) >= 9 && memcmp(p, "stderr ", 7) == 0)
		rec->is_stderr = true;
	else
		return -1;
	p += 7;
	if ((*p != 'F' && *p != 'P') || (p + 1 < end && p[1] != ' '))
		return -1;
	rec->partial = *p == 'P';
	p += p + 1 < end ? 2 : 1;
	rec->data = p;
	rec->len = (size_t)(end - p);
	return 0;
}
