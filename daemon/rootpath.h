/* SPDX-License-Identifier: MIT */
/*
 * Paths inside a container's root, resolved from the host side.
 *
 * A root file system is untrusted input: an image may hold "etc -> /" or
 * "proc -> /host/proc". Everything here resolves as if rootfd were "/":
 * with openat2(RESOLVE_IN_ROOT) symlinks and ".." stay inside the root; on
 * kernels without openat2 (before 5.6) each component is opened with
 * O_NOFOLLOW and any symlink is refused. Magic links (/proc/PID/fd/N) are
 * never followed.
 */
#ifndef CTRD_ROOTPATH_H
#define CTRD_ROOTPATH_H

#include "util.h"

enum {
	ROOT_NO_SYMLINKS = 1 << 0, /* refuse every symlink on the way (ELOOP) */
};

/* Opens path (absolute or relative, inside rootfd) with flags | O_CLOEXEC; -1 with errno. */
int root_open(int rootfd, const char *path, int flags, unsigned how);
/* Creates the missing directories of path (mode) and returns an O_PATH fd for it. */
int root_mkdir_p(int rootfd, const char *path, mode_t mode, unsigned how);
/* Creates an empty regular file at path if nothing is there (parents too); O_PATH fd. */
int root_touch(int rootfd, const char *path, unsigned how);
/* "/proc/self/fd/N", for system calls that take only a path (mount). */
#define FD_PATH_MAX 32
void fd_path(int fd, char buf[FD_PATH_MAX]);

#endif
