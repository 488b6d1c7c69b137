/* SPDX-License-Identifier: MIT */
/*
 * Container logs on disk, in the CRI (Kubernetes) format, one record per
 * line:
 *
 *   2026-11-29T04:12:24.123456789Z stdout F hello world
 *
 * The tag is F when the container wrote a newline after the data (the
 * record's data never holds one) and P when it did not, yet: a reader joins
 * P records until the next F. Records carry their time and stream, so
 * `logs` can separate stdout from stderr and filter by time.
 */
#ifndef CTRD_LOGFILE_H
#define CTRD_LOGFILE_H

#include "util.h"

struct log_record {
	int64_t time; /* ns since the epoch */
	bool is_stderr;
	bool partial;	  /* no newline follows data */
	const char *data; /* borrowed from the line */
	size_t len;
};

/* Appends buf (what the container wrote on one stream) as records, in one write; bytes written. */
ssize_t logfile_append(int fd, bool is_stderr, const char *buf, size_t len, int64_t now_ns);
/*
 * Rotation: path.(n-1) ... path.1 move up one, path becomes path.1 and a new
 * empty path is opened on fd's number. With files == 1 the log is truncated.
 */
int logfile_rotate(int fd, const char *path, int files);
/* path.k for k > 0, path for 0; malloc'd. */
char *logfile_name(const char *path, int k);
/* Parses one line (without its '\n'); -1 if it is not a record. */
int logfile_parse(const char *line, size_t len, struct log_record *rec);

#endif
