/* SPDX-License-Identifier: MIT */
/*
 * Small helpers every part of ctrd shares: cleanup attributes, ownership
 * transfer, allocation that never returns NULL, and time and number parsing.
 */
#ifndef CTR_UTIL_H
#define CTR_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define _cleanup_(f)	 __attribute__((cleanup(f)))
#define _cleanup_free_	 _cleanup_(freep)
#define _cleanup_close_	 _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_strv_	 _cleanup_(strv_freep)

#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_     __attribute__((noreturn))
#define _unused_       __attribute__((unused))

static inline void
freep(void *p)
{
	free(*(void **)p);
}

/* Close without disturbing errno, so a cleanup never hides the real error. */
static inline void
closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

/* Closes *fd if open and marks it closed. */
static inline void
close_fd(int *fd)
{
	closep(fd);
	*fd = -1;
}

static inline void
fclosep(FILE **f)
{
	if (*f != NULL) {
		int saved = errno;
		fclose(*f);
		errno = saved;
	}
}

/* Hand a pointer's ownership on: the cleanup attribute then frees NULL. */
#define steal_pointer(pp)                             \
	({                                            \
		__typeof__(*(pp)) steal_tmp_ = *(pp); \
		*(pp) = NULL;                         \
		steal_tmp_;                           \
	})

static inline int
steal_fd(int *fd)
{
	int f = *fd;
	*fd = -1;
	return f;
}

/* Allocation failure is not recoverable in a daemon that must stay consistent: abort. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);

/* NULL-terminated string vectors. */
size_t strv_length(char *const *v);
void strv_free(char **v);
static inline void
strv_freep(char ***v)
{
	strv_free(*v);
}

/* Time in nanoseconds since the epoch (CLOCK_REALTIME) and on CLOCK_MONOTONIC. */
int64_t time_now_ns(void);
int64_t time_mono_ns(void);
/* RFC 3339 in UTC with nanoseconds ("2026-11-29T04:12:24.123456789Z"). */
char *time_format_rfc3339(int64_t ns);
/* The same into buf, NUL-terminated; returns its length (30). */
#define TIME_RFC3339_MAX 32
size_t time_format_rfc3339_buf(int64_t ns, char buf[static TIME_RFC3339_MAX]);
/* Parses what time_format_rfc3339 writes, with 0-9 fractional digits; -1 on error. */
int time_parse_rfc3339(const char *s, int64_t *ns);
/* "5 seconds", "About a minute", "3 hours", ... for a duration in ns (docker's HumanDuration). */
char *format_duration(int64_t ns);

/* Strict decimal parsing: the whole string, no sign for unsigned, no overflow. */
int parse_u64(const char *s, uint64_t *out);
int parse_i64(const char *s, int64_t *out);

/*
 * A size in bytes: digits with an optional b, k, m, g or t suffix (any case,
 * powers of 1024, as docker's -m reads them). -1 if malformed or too big.
 */
int parse_size(const char *s, int64_t *bytes);
/* "1.5GiB", "512MiB", "800KiB", "12B": the largest unit with a value >= 1. */
char *format_bytes(uint64_t bytes);

/* Signal by name ("TERM", "SIGTERM", "RTMIN+2") or number; -1 if unknown. */
int signal_parse(const char *s);
/* "TERM" for 15; NULL if the number has no name. */
const char *signal_name(int sig);

/* Length of the valid UTF-8 sequence (NUL excluded) that starts at p, 0 if invalid. */
size_t utf8_valid_len(const char *p, size_t n);
/* Replaces invalid UTF-8 (and NUL) with U+FFFD so the bytes can go in a JSON string. */
char *utf8_sanitize(const char *buf, size_t len, size_t *out_len);

/* Write all of buf, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);
/*
 * Replaces the file at path with data through path.tmp and a rename, synced
 * (the file, then its directory); -1 with errno. No heap, unlike
 * fs_write_atomic() (daemon/fsutil.h), which also says what failed.
 */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* The same, returning 0 or -errno and never touching errno (include/rawsys.h). */
long write_file_atomic_raw(const char *path, const void *data, size_t len, mode_t mode);

#endif
