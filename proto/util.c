/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "util.h"

static _noreturn_ void
out_of_memory(size_t size)
{
	/* Nothing sane can continue; say why before dying. */
	char msg[96];
	int n = snprintf(msg, sizeof(msg), "ctrd: out of memory allocating %zu bytes\n", size);
	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (p == NULL)
		out_of_memory(size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		out_of_memory(n * size);
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (q == NULL)
		out_of_memory(size);
	return q;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	return xrealloc(p, n * size);
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);
	if (p == NULL)
		out_of_memory(strlen(s));
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (p == NULL)
		out_of_memory(n);
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		out_of_memory(strlen(fmt));
	va_end(ap);
	return s;
}

size_t
strv_length(char *const *v)
{
	size_t n = 0;
	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

void
strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

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

char *
time_format_rfc3339(int64_t ns)
{
	char buf[TIME_RFC3339_MAX];

	time_format_rfc3339_buf(ns, buf);
	return xstrdup(buf);
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

int
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
parse_i64(const char *s, int64_t *out)
{
	char *end;

	/* strtoll() would skip any leading isspace() and accept a '+'. */
	if (s == NULL || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
parse_size(const char *s, int64_t *bytes)
{
	char *end;
	int shift = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'b':
	case 'B':
		shift = 0, end++;
		break;
	case 'k':
	case 'K':
		shift = 10, end++;
		break;
	case 'm':
	case 'M':
		shift = 20, end++;
		break;
	case 'g':
	case 'G':
		shift = 30, end++;
		break;
	case 't':
	case 'T':
		shift = 40, end++;
		break;
	default:
		return -1;
	}
	/* "512mb", "1gb", "1GiB" are common spellings of the same. */
	if (shift > 0 && (strcasecmp(end, "b") == 0 || strcasecmp(end, "ib") == 0))
		end += strlen(end);
	if (*end != '\0' || v > (unsigned long long)(INT64_MAX >> shift))
		return -1;
	*bytes = (int64_t)(v << shift);
	return 0;
}

char *
format_bytes(uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	return u == 0 ? xasprintf("%lluB", (unsigned long long)bytes)
		      : xasprintf("%.4g%s", v, units[u]);
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP },	 { "INT", SIGINT },   { "QUIT", SIGQUIT },     { "ILL", SIGILL },
	{ "TRAP", SIGTRAP },	 { "ABRT", SIGABRT }, { "IOT", SIGIOT },       { "BUS", SIGBUS },
	{ "FPE", SIGFPE },	 { "KILL", SIGKILL }, { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },	 { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },     { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },     { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP },	 { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },
	{ "XCPU", SIGXCPU },	 { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH },	 { "IO", SIGIO },     { "POLL", SIGPOLL },     { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

int
signal_parse(const char *s)
{
	uint64_t n;

	if (s == NULL || *s == '\0')
		return -1;
	if (parse_u64(s, &n) == 0)
		return n >= 1 && n < NSIG ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (strcasecmp(s, signals[i].name) == 0)
			return signals[i].sig;
	/* RTMIN, RTMIN+N, RTMAX, RTMAX-N as kill(1) spells them. */
	int base, sign;
	if (strncasecmp(s, "RTMIN", 5) == 0)
		base = SIGRTMIN, sign = 1;
	else if (strncasecmp(s, "RTMAX", 5) == 0)
		base = SIGRTMAX, sign = -1;
	else
		return -1;
	s += 5;
	if (*s == '\0')
		return base;
	if ((sign > 0 && *s != '+') || (sign < 0 && *s != '-') || parse_u64(s + 1, &n) < 0 ||
	    n > (uint64_t)(SIGRTMAX - SIGRTMIN))
		return -1;
	int64_t sig = base + sign * (int64_t)n;
	return sig >= SIGRTMIN && sig <= SIGRTMAX ? (int)sig : -1;
}

const char *
signal_name(int sig)
{
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (signals[i].sig == sig)
			return signals[i].name;
	return NULL;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t
utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	uint32_t cp;

	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t
utf8_valid_len(const char *p, size_t n)
{
	return n ? utf8_seq_len((const unsigned char *)p, n) : 0;
}

char *
utf8_sanitize(const char *buf, size_t len, size_t *out_len)
{
	/* Each bad byte becomes 3 bytes at most. */
	char *out = xmalloc(len * 3 + 1);
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len((const unsigned char *)buf + i, len - i);
		if (n == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, buf + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	if (out_len != NULL)
		*out_len = o;
	return out;
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
