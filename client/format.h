/* SPDX-License-Identifier: MIT */
/* Human-readable forms of what the daemon returns, as docker prints them. */
#ifndef CTRCTL_FORMAT_H
#define CTRCTL_FORMAT_H

#include <jansson.h>

#include "util.h"

/* "5 seconds ago" for an RFC 3339 time, relative to now_ns; "" if t is NULL. */
char *format_ago(const char *rfc3339, int64_t now_ns);
/* The command's words joined by spaces, in double quotes, cut to max bytes with an ellipsis. */
char *format_command(json_t *argv, size_t max);
/* A size in bytes as docker prints it: three significant digits, decimal units ("4.13MB"). */
char *format_size(int64_t bytes);

/*
 * --since as docker takes it: an RFC 3339 time (passed on as it is), a Unix
 * time (SECONDS[.FRACTION]), or a duration before now_ns ("10m", "1h30m",
 * "1.5s", "500ms"). Returns the RFC 3339 time for params.since, malloc'd.
 */
char *format_since(const char *arg, int64_t now_ns);

/* A table as docker prints one: columns as wide as their widest cell, three spaces apart. */
struct format_table;

struct format_table *format_table_new(size_t ncols, const char *const *header);
/* Adds a row; returns its ncols cells, to be filled with malloc'd strings the table then owns. */
char **format_table_row(struct format_table *t);
void format_table_print(const struct format_table *t, FILE *out);
void format_table_free(struct format_table *t);

#endif
