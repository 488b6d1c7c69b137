/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fcntl.h>
#include <string.h>

#include "logfile.h"

ssize_t
logfile_append(int fd, bool is_stderr, const char *buf, size_t len, int64_t now_ns)
{
	_cleanup_free_ char *stamp = time_format_rfc3339(now_ns);
	const char *stream = is_stderr ? "stderr" : "stdout";
	size_t prefix = strlen(stamp) + strlen(stream) + 5; /* "T S F " and '\n' */
	size_t lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	_cleanup_free_ char *out = xmalloc(len + lines * prefix);
	size_t o = 0;

	for (const char *p = buf, *end = buf + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		o += (size_t)sprintf(out + o, "%s %s %c ", stamp, stream, nl ? 'F' : 'P');
		memcpy(out + o, p, n);
		o += n;
		out[o++] = '\n';
		p += n + (nl ? 1 : 0);
	}
	return write_all(fd, out, o) < 0 ? -1 : (ssize_t)o;
}

char *
logfile_name(const char *path, int k)
{
	return k == 0 ? xstrdup(path) : xasprintf("%s.%d", path, k);
}

int
logfile_rotate(int fd, const char *path, int files)
{
	if (files <= 1)
		return ftruncate(fd, 0);
	for (int k = files - 1; k >= 1; k--) {
		_cleanup_free_ char *from = logfile_name(path, k - 1);
		_cleanup_free_ char *to = logfile_name(path, k);
		if (rename(from, to) < 0 && errno != ENOENT)
			return -1;
	}
	int nfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (nfd < 0)
		return -1;
	int r = dup3(nfd, fd, O_CLOEXEC) < 0 ? -1 : 0;
	close(nfd);
	return r;
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
