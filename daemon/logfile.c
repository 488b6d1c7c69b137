/* SPDX-License-Identifier: MIT */
/*
 * The writing side of the log format (logfile.h). ctrd-monitor links this
 * without a real C library (nolibc.c): no malloc, no stdio.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "logfile.h"

/*
 * Records are built in this buffer and written whenever it fills, so memory
 * stays fixed however many lines one read brought. A record may straddle two
 * writes; readers keep an incomplete last line until its newline comes.
 */
struct out {
	int fd;
	size_t len;
	ssize_t total;
	char buf[64 * 1024];
};

static int
out_put(struct out *o, const char *p, size_t n)
{
	while (n > 0) {
		if (o->len == sizeof(o->buf)) {
			if (write_all(o->fd, o->buf, o->len) < 0)
				return -1;
			o->total += (ssize_t)o->len;
			o->len = 0;
		}
		size_t take = sizeof(o->buf) - o->len < n ? sizeof(o->buf) - o->len : n;
		memcpy(o->buf + o->len, p, take);
		o->len += take;
		p += take;
		n -= take;
	}
	return 0;
}

ssize_t
logfile_append(int fd, bool is_stderr, const char *buf, size_t len, int64_t now_ns)
{
	static struct out o;
	char prefix[TIME_RFC3339_MAX + 16];
	size_t plen = time_format_rfc3339_buf(now_ns, prefix);

	memcpy(prefix + plen, is_stderr ? " stderr " : " stdout ", 8);
	plen += 8;
	o.fd = fd;
	o.len = 0;
	o.total = 0;
	for (const char *p = buf, *end = buf + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		prefix[plen] = nl ? 'F' : 'P';
		prefix[plen + 1] = ' ';
		if (out_put(&o, prefix, plen + 2) < 0 || out_put(&o, p, n) < 0 ||
		    out_put(&o, "\n", 1) < 0)
			return -1;
		p += n + (nl ? 1 : 0);
	}
	if (write_all(fd, o.buf, o.len) < 0)
		return -1;
	return o.total + (ssize_t)o.len;
}

/* path.k into buf (path itself for k == 0); -1 if that is longer than a path can be. */
static int
rotated_name(char buf[static PATH_MAX + 16], const char *path, int k)
{
	size_t n = strlen(path);
	if (n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n);
	if (k > 0) {
		char digits[12];
		int d = 0;
		for (; k > 0; k /= 10)
			digits[d++] = (char)('0' + k % 10);
		buf[n++] = '.';
		while (d > 0)
			buf[n++] = digits[--d];
	}
	buf[n] = '\0';
	return 0;
}

int
logfile_rotate(int fd, const char *path, int files)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];

	if (files <= 1)
		return ftruncate(fd, 0);
	for (int k = files - 1; k >= 1; k--) {
		if (rotated_name(from, path, k - 1) < 0 || rotated_name(to, path, k) < 0)
			return -1;
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
