/* SPDX-License-Identifier: MIT */
/* Files and directories: atomic replacement, whole-file reads, recursive create and remove. */
#ifndef CTRD_FSUTIL_H
#define CTRD_FSUTIL_H

#include "error.h"

/*
 * Replaces path with data so that a reader sees the old or the new content,
 * never a mix, even across a crash: write a temporary file beside it, fsync,
 * rename over, fsync the directory (write_file_atomic(), util.h, with the
 * error told).
 */
int
fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct ctr_error *err);
/* Reads a whole file of at most max bytes; NUL-terminated. -1 with errno. */
int fs_read_file(const char *path, size_t max, char **data, size_t *len);
/* mkdir -p with mode for the directories it creates. */
int fs_mkdir_p(const char *path, mode_t mode, struct ctr_error *err);
/* rm -rf that never crosses into another file system (a leftover mount stays untouched). */
int fs_remove_tree(const char *path, struct ctr_error *err);

#endif
