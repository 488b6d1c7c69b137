/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

static enum log_level max_level = LOG_LEVEL_INFO;
static bool journal;

void
log_init(enum log_level level)
{
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long long dev, ino;

	max_level = level;
	/* JOURNAL_STREAM is "dev:ino" of the journal's stream; trust it only if stderr is that
	 * stream. */
	if (js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0)
		journal = st.st_dev == dev && st.st_ino == ino;
}

void
log_set_level(enum log_level level)
{
	max_level = level;
}

bool
log_enabled(enum log_level level)
{
	return level <= max_level;
}

int
log_level_parse(const char *s)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

int
log_open_file(const char *path, struct ctr_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);

	if (fd < 0)
		return ctr_error_sys(err, errno, "open log file %s", path);
	/* dup2 clears close-on-exec: stderr stays what children write their failures to. */
	if (fd != STDERR_FILENO && dup2(fd, STDERR_FILENO) < 0) {
		int e = errno;
		close(fd);
		return ctr_error_sys(err, e, "dup2 log file");
	}
	if (fd != STDERR_FILENO)
		close(fd);
	journal = false; /* a plain file gets plain lines with time stamps */
	return 0;
}

/*
 * Messages quote what clients send (method names, paths, error text): a
 * newline or escape sequence in them must not forge a log line (a journal
 * line starting "<3>" is an error) or drive the operator's terminal. Control
 * bytes become \xNN, and a message is cut at LOG_MAX_MSG bytes.
 */
#define LOG_MAX_MSG 4096

static char *
log_escape(const char *msg)
{
	size_t len = strnlen(msg, LOG_MAX_MSG);
	char *out = xmalloc(len * 4 + sizeof("..."));
	char *o = out;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];
		if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
	}
	strcpy(o, msg[len] != '\0' ? "..." : "");
	return out;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	/* syslog priorities: err, warning, info, debug */
	static const int prio[] = { 3, 4, 6, 7 };
	static const char *const tag[] = { "error", "warn", "info", "debug" };
	va_list ap;
	char *msg, *line;
	int n;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	char *raw = msg;
	msg = log_escape(raw);
	free(raw);
	if (journal) {
		n = asprintf(&line, "<%d>%s\n", prio[level], msg);
	} else {
		char stamp[32];
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		n = asprintf(&line, "%s.%03ld ctrd[%d]: %s: %s\n", stamp, ts.tv_nsec / 1000000,
			     (int)getpid(), tag[level], msg);
	}
	free(msg);
	if (n < 0)
		return;
	/* One write per line so lines from the daemon and its children do not interleave. */
	(void)write_all(STDERR_FILENO, line, (size_t)n);
	free(line);
}
