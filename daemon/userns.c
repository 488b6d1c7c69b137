/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <pwd.h>
#include <string.h>
#include <sys/syscall.h>

#include "fsutil.h"
#include "userns.h"

#define WANT_IDS 65536

int
userns_find_subid(const char *data, const char *user, uint32_t uid, uint32_t *start,
		  uint32_t *count)
{
	char uidstr[16];
	bool found = false;

	snprintf(uidstr, sizeof(uidstr), "%u", uid);
	*count = 0;
	for (const char *line = data; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		_cleanup_free_ char *copy = xstrndup(line, len);
		/* Exactly NAME:FIRST:COUNT, as shadow reads it: no empty fields, no more. */
		char *rest = copy;
		char *name = strsep(&rest, ":");
		char *first = strsep(&rest, ":");
		char *n = strsep(&rest, ":");
		uint64_t s, c;
		line = nl ? nl + 1 : NULL;
		if (first == NULL || n == NULL || rest != NULL || *name == '\0' || name[0] == '#' ||
		    (strcmp(name, user) != 0 && strcmp(name, uidstr) != 0) ||
		    parse_u64(first, &s) < 0 || parse_u64(n, &c) < 0 || c == 0 || s > UINT32_MAX ||
		    c > UINT32_MAX - s)
			continue;
		/* Container root must never be host root. */
		if (s == 0)
			continue;
		/* The first range big enough for a whole container, else the biggest. */
		if (!found || (*count < WANT_IDS && c > *count)) {
			*start = (uint32_t)s;
			*count = (uint32_t)c;
			found = true;
		}
		if (*count >= WANT_IDS)
			break;
	}
	return found ? 0 : -1;
}

int
userns_parse_range(const char *s, struct userns_range *r)
{
	uint64_t base, count = WANT_IDS;
	_cleanup_free_ char *copy = xstrdup(s);
	char *colon = strchr(copy, ':');

	if (colon != NULL) {
		*colon = '\0';
		if (parse_u64(colon + 1, &count) < 0)
			return -1;
	}
	if (parse_u64(copy, &base) < 0 || base == 0 || count == 0 || base > UINT32_MAX ||
	    count > UINT32_MAX - base)
		return -1;
	r->uid = r->gid = (uint32_t)base;
	r->count = (uint32_t)count;
	return 0;
}

int
userns_from_subid(struct userns_range *r, struct ctr_error *err)
{
	_cleanup_free_ char *subuid = NULL, *subgid = NULL;
	struct passwd *pw = getpwnam("ctrd");
	uint32_t uid = pw ? pw->pw_uid : UINT32_MAX, ucount, gcount;

	if (fs_read_file("/etc/subuid", 1 << 20, &subuid, NULL) < 0 ||
	    fs_read_file("/etc/subgid", 1 << 20, &subgid, NULL) < 0 ||
	    userns_find_subid(subuid, "ctrd", uid, &r->uid, &ucount) < 0 ||
	    userns_find_subid(subgid, "ctrd", uid, &r->gid, &gcount) < 0)
		return ctr_error_set(err, CTR_E_STATE, 0,
				     "no subordinate ids for user ctrd in /etc/subuid and "
				     "/etc/subgid (add ctrd:100000:65536 to both) and no "
				     "ctrd --userns-range");
	r->count = ucount < gcount ? ucount : gcount;
	return 0;
}

static int
write_proc(pid_t pid, const char *file, const char *data, struct ctr_error *err)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write_all(fd, data, strlen(data)) < 0)
		return ctr_error_sys(err, errno, "write %s", path);
	return 0;
}

int
userns_write_maps(pid_t pid, const struct userns_range *r, struct ctr_error *err)
{
	_cleanup_free_ char *uid_map = xasprintf("0 %u %u\n", r->uid, r->count);
	_cleanup_free_ char *gid_map = xasprintf("0 %u %u\n", r->gid, r->count);

	/* Before the gid map: a process must not drop groups to get past a negative ACL. */
	if (write_proc(pid, "setgroups", "deny", err) < 0 ||
	    write_proc(pid, "uid_map", uid_map, err) < 0 ||
	    write_proc(pid, "gid_map", gid_map, err) < 0)
		return -1;
	return 0;
}

int
userns_idmapped_tree(const char *path, pid_t pid, struct ctr_error *err)
{
	_cleanup_free_ char *ns = xasprintf("/proc/%d/ns/user", (int)pid);
	_cleanup_close_ int userns = open(ns, O_RDONLY | O_CLOEXEC);
	int tree;

	if (userns < 0)
		return ctr_error_sys(err, errno, "open %s", ns);
	tree = (int)syscall(SYS_open_tree, AT_FDCWD, path,
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return ctr_error_sys(err, errno, "open_tree %s", path);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		    sizeof(attr)) < 0) {
		int e = errno;
		close(tree);
		return ctr_error_sys(err, e,
				     "idmap %s for the user namespace (needs Linux 5.12 "
				     "and a file system that supports idmapped mounts)",
				     path);
	}
	return tree;
}

int
userns_attach_tree(int tree, const char *target, struct ctr_error *err)
{
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return ctr_error_sys(err, errno, "attach the idmapped tree at %s", target);
	return 0;
}
