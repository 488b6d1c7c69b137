/* SPDX-License-Identifier: MIT */
/*
 * The utilities that need no heap, stdio or locale, so that ctrd-monitor,
 * which has no C library to speak of (daemon/nolibc.c), links them too:
 * clocks and RFC 3339 times (by hand, also because ps formats and parses
 * thousands), whole writes, files replaced whole, and unsigned numbers.
 * Nor do they keep any state: a monitor uses them while the init it just
 * made still runs in the same memory (daemon/spawn.c).
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rawsys.h"
#include "util.h"

static int64_t
clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
time_now_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int64_t
time_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* Writes n as exactly width digits. */
static char *
put_digits(char *o, long n, int width)
{
	for (int i = width - 1; i >= 0; i--, n /= 10)
		o[i] = (char)('0' + n % 10);
	return o + width;
}

size_t
time_format_rfc3339_buf(int64_t ns, char buf[static TIME_RFC3339_MAX])
{
	int64_t secs = ns / 1000000000;
	long frac = (long)(ns % 1000000000);

	if (frac < 0) {
		frac += 1000000000;
		secs--;
	}
	int64_t days = secs / 86400, sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	/*
	 * The civil date of a day count (Howard Hinnant's days_from_civil,
	 * inverted): no gmtime_r and no printf, as ps formats thousands.
	 */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t day = doy - (153 * mp + 2) / 5 + 1;
	int64_t month = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = yoe + era * 400 + (month <= 2);

	/* int64_t nanoseconds span the years 1677-2262: always four digits. */
	char *o = put_digits(buf, (long)year, 4);
	*o++ = '-';
	o = put_digits(o, (long)month, 2);
	*o++ = '-';
	o = put_digits(o, (long)day, 2);
	*o++ = 'T';
	o = put_digits(o, (long)(sod / 3600), 2);
	*o++ = ':';
	o = put_digits(o, (long)(sod / 60 % 60), 2);
	*o++ = ':';
	o = put_digits(o, (long)(sod % 60), 2);
	*o++ = '.';
	o = put_digits(o, frac, 9);
	*o++ = 'Z';
	*o = '\0';
	return (size_t)(o - buf);
}

/* n digits at s as a number, -1 if any is not a digit. */
static int
get_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
time_parse_rfc3339(const char *s, int64_t *ns)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	/* By hand, not strptime and timegm: ps parses two per container. */
	int year = get_digits(s, 4);
	if (year < 0 || s[4] != '-')
		return -1;
	int mon = get_digits(s + 5, 2);
	if (mon < 1 || mon > 12 || s[7] != '-')
		return -1;
	int day = get_digits(s + 8, 2);
	bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
	if (day < 1 || day > mdays[mon - 1] || (mon == 2 && day == 29 && !leap) || s[10] != 'T')
		return -1;
	int hour = get_digits(s + 11, 2);
	if (hour < 0 || hour > 23 || s[13] != ':')
		return -1;
	int min = get_digits(s + 14, 2);
	if (min < 0 || min > 59 || s[16] != ':')
		return -1;
	/* 60: a leap second, which POSIX time counts as the next one. */
	int sec = get_digits(s + 17, 2);
	if (sec < 0 || sec > 60)
		return -1;
	const char *p = s + 19;
	int64_t frac = 0;
	int digits = 0;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (digits >= 9)
				return -1;
			frac = frac * 10 + (*p - '0');
		}
		if (digits == 0)
			return -1;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (strcmp(p, "Z") != 0)
		return -1;
	int64_t secs = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
	int64_t v;
	/* Before the epoch, borrow a second first: INT64_MIN itself must not overflow. */
	if (secs < 0 && frac > 0)
		secs++, frac -= 1000000000;
	if (__builtin_mul_overflow(secs, (int64_t)1000000000, &v) ||
	    __builtin_add_overflow(v, frac, &v))
		return -1;
	*ns = v;
	return 0;
}

/* All of buf, retrying on EINTR and short writes: 0 or -errno, errno untouched. */
static long
raw_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		long n = RAW_SYSCALL(SYS_write, fd, p, len, 0, 0, 0);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
write_all(int fd, const void *buf, size_t len)
{
	long r = raw_write_all(fd, buf, len);

	if (r < 0)
		return errno = (int)-r, -1;
	return 0;
}

long
write_file_atomic_raw(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX + 8];
	size_t n = strlen(path);

	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".tmp", 5);
	long fd = RAW_SYSCALL(SYS_openat, AT_FDCWD, tmp,
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode, 0, 0);
	if (fd < 0)
		return fd;
	long r = raw_write_all((int)fd, data, len);
	if (r == 0)
		r = RAW_SYSCALL(SYS_fsync, fd, 0, 0, 0, 0, 0);
	(void)RAW_SYSCALL(SYS_close, fd, 0, 0, 0, 0, 0);
	if (r == 0)
		r = RAW_SYSCALL(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, path, 0, 0);
	if (r < 0) {
		(void)RAW_SYSCALL(SYS_unlinkat, AT_FDCWD, tmp, 0, 0, 0, 0);
		return r;
	}
	/* The rename is durable only once the directory is synced: reuse tmp for its name. */
	char *slash = memrchr(tmp, '/', n);
	if (slash != NULL) {
		slash[slash == tmp ? 1 : 0] = '\0';
		long dfd = RAW_SYSCALL(SYS_openat, AT_FDCWD, tmp,
				       O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
		if (dfd >= 0) {
			(void)RAW_SYSCALL(SYS_fsync, dfd, 0, 0, 0, 0, 0);
			(void)RAW_SYSCALL(SYS_close, dfd, 0, 0, 0, 0, 0);
		}
	}
	return 0;
}

int
write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	long r = write_file_atomic_raw(path, data, len, mode);

	if (r < 0)
		return errno = (int)-r, -1;
	return 0;
}

int
parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	/* Digits only: no sign, no space, nothing after; an overflow fails. */
	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}
