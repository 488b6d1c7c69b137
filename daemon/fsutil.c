/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"

int
fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct ctr_error *err)
{
	if (write_file_atomic(path, data, len, mode) < 0)
		return ctr_error_sys(err, errno, "write %s", path);
	return 0;
}

int
fs_read_file(const char *path, size_t max, char **data, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, cap = 0;

	if (fd < 0)
		return -1;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 4096;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max)
			return errno = EFBIG, -1;
	}
	buf[n] = '\0';
	*data = steal_pointer(&buf);
	if (len != NULL)
		*len = n;
	return 0;
}

int
fs_mkdir_p(const char *path, mode_t mode, struct ctr_error *err)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return ctr_error_sys(err, errno, "mkdir %s", p);
		*s = c;
		if (c == '\0')
			break;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return ctr_error_sys(err, errno, "stat %s", path);
	if (!S_ISDIR(st.st_mode))
		return ctr_error_sys(err, ENOTDIR, "%s", path);
	return 0;
}

/* Removes the entries of dirfd (on device dev), then nothing else. */
static int
remove_entries(int dirfd, dev_t dev, const char *path, struct ctr_error *err)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	int ret = 0;

	if (d == NULL) {
		close(dirfd);
		return ctr_error_sys(err, errno, "open %s", path);
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			ret = ctr_error_sys(err, errno, "stat %s/%s", path, de->d_name);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != dev) {
				ret = ctr_error_sys(err, EBUSY, "%s/%s is a mount point", path,
						    de->d_name);
				continue;
			}
			int fd = openat(dirfd, de->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_free_ char *sub = xasprintf("%s/%s", path, de->d_name);
			if (fd < 0) {
				ret = ctr_error_sys(err, errno, "open %s", sub);
				continue;
			}
			if (remove_entries(fd, dev, sub, err) < 0)
				ret = -1;
		}
		if (unlinkat(dirfd, de->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 &&
		    errno != ENOENT)
			ret = ctr_error_sys(err, errno, "remove %s/%s", path, de->d_name);
	}
	closedir(d);
	return ret;
}

int
fs_remove_tree(const char *path, struct ctr_error *err)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : ctr_error_sys(err, errno, "stat %s", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT)
			return ctr_error_sys(err, errno, "remove %s", path);
		return 0;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ctr_error_sys(err, errno, "open %s", path);
	if (remove_entries(fd, st.st_dev, path, err) < 0)
		return -1;
	if (rmdir(path) < 0 && errno != ENOENT)
		return ctr_error_sys(err, errno, "remove %s", path);
	return 0;
}
