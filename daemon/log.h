/* SPDX-License-Identifier: MIT */
/*
 * The daemon's own log: one line per event on stderr. Under systemd
 * (JOURNAL_STREAM set) each line starts with a <N> priority prefix that the
 * journal turns into the entry's level.
 */
#ifndef CTRD_LOG_H
#define CTRD_LOG_H

#include "util.h"

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Reads JOURNAL_STREAM; call once at start-up. */
void log_init(enum log_level level);
void log_set_level(enum log_level level);
/* "error", "warn", "info" or "debug"; -1 if unknown. */
int log_level_parse(const char *s);

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
