/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "rootpath.h"

static bool have_openat2 = true;

void
fd_path(int fd, char buf[FD_PATH_MAX])
{
	snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

/* Fallback walk: every component O_NOFOLLOW, symlinks refused. */
static int
walk_nofollow(int rootfd, const char *path, int flags)
{
	_cleanup_free_ char *copy = xstrdup(path);
	_cleanup_close_ int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	char *save = NULL, *comp = strtok_r(copy, "/", &save);

	if (cur < 0)
		return -1;
	if (comp == NULL)
		return openat(rootfd, ".", flags | O_CLOEXEC);
	while (comp != NULL) {
		char *next = strtok_r(NULL, "/", &save);
		if (strcmp(comp, "..") == 0)
			return errno = EPERM, -1;
		int f = next != NULL ? O_PATH | O_DIRECTORY : flags;
		int fd = openat(cur, comp, f | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			/* O_DIRECTORY | O_NOFOLLOW fails with ENOTDIR on a symlink: say ELOOP. */
			struct stat lst;
			if (errno == ENOTDIR &&
			    fstatat(cur, comp, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(lst.st_mode))
				errno = ELOOP;
			return -1;
		}
		/* O_PATH|O_NOFOLLOW opens a symlink itself instead of failing: refuse it. */
		struct stat st;
		if ((f & O_PATH) && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
			close(fd);
			return errno = ELOOP, -1;
		}
		close(cur);
		cur = fd;
		comp = next;
	}
	return steal_fd(&cur);
}

int
root_open(int rootfd, const char *path, int flags, unsigned how)
{
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	if (have_openat2) {
		struct open_how oh = {
			.flags = (uint64_t)(flags | O_CLOEXEC),
			.mode = (flags & O_CREAT) ? 0644 : 0,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
				   ((how & ROOT_NO_SYMLINKS) ? RESOLVE_NO_SYMLINKS : 0),
		};
		int fd = (int)syscall(SYS_openat2, rootfd, path, &oh, sizeof(oh));
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		have_openat2 = false;
	}
	return walk_nofollow(rootfd, path, flags);
}

int
root_mkdir_p(int rootfd, const char *path, mode_t mode, unsigned how)
{
	_cleanup_free_ char *prefix = xstrdup(path);
	size_t len = strlen(prefix);

	int fd = root_open(rootfd, path, O_PATH | O_DIRECTORY, how);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	/* Create each missing component under its (resolved) parent. */
	for (size_t i = 1; i <= len; i++) {
		if (prefix[i] != '/' && prefix[i] != '\0')
			continue;
		char c = prefix[i];
		prefix[i] = '\0';
		char *slash = strrchr(prefix, '/');
		const char *name = slash ? slash + 1 : prefix;
		if (*name != '\0') {
			_cleanup_close_ int parent = -1;
			if (slash == NULL || slash == prefix) {
				parent = root_open(rootfd, "/", O_PATH | O_DIRECTORY, how);
			} else {
				*slash = '\0';
				parent = root_open(rootfd, prefix, O_PATH | O_DIRECTORY, how);
				*slash = '/';
			}
			if (parent < 0)
				return -1;
			if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
				return -1;
		}
		prefix[i] = c;
	}
	return root_open(rootfd, path, O_PATH | O_DIRECTORY, how);
}

int
root_touch(int rootfd, const char *path, unsigned how)
{
	int fd = root_open(rootfd, path, O_PATH, how);
	if (fd >= 0 || errno != ENOENT)
		return fd;

	_cleanup_free_ char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		_cleanup_close_ int dfd = root_mkdir_p(rootfd, dir, 0755, how);
		if (dfd < 0)
			return -1;
	}
	_cleanup_close_ int f = root_open(rootfd, path, O_WRONLY | O_CREAT | O_NOFOLLOW, how);
	if (f < 0 && errno != EEXIST)
		return -1;
	return root_open(rootfd, path, O_PATH, how);
}
