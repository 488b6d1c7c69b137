/* SPDX-License-Identifier: MIT */
/*
 * The daemon's own log: one line per event on stderr. Under systemd
 * (JOURNAL_STREAM set) each line starts with a <N> priority prefix that the
 * journal turns into the entry's level.
 */
#ifndef CTRD_LOG_H
#define CTRD_LOG_H

#include "error.h"

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Reads JOURNAL_STREAM; call once at start-up. */
void log_init(enum log_level level);
void log_set_level(enum log_level level);
/* Whether messages of this level are written. */
bool log_enabled(enum log_level level);
/* "error", "warn", "info" or "debug"; -1 if unknown. */
int log_level_parse(const char *s);

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

/*
 * --log-file: from now on stderr (ours, and what monitors and containers
 * being set up inherit) is this file, appended to. Called again (SIGHUP),
 * it reopens the file, so logrotate can move it away.
 */
int log_open_file(const char *path, struct ctr_error *err);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
