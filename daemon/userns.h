/* SPDX-License-Identifier: MIT */
/*
 * User namespaces (--userns): container root is mapped to an unprivileged
 * host range, the same for uids and gids, taken from /etc/subuid and
 * /etc/subgid for the user "ctrd" or from ctrd --userns-range. setgroups is
 * denied inside. The monitor writes the maps (it is root outside) while the
 * new init waits, and gives the init an idmapped mount of its root file
 * system, so files the container writes are owned by the mapped ids.
 */
#ifndef CTRD_USERNS_H
#define CTRD_USERNS_H

#include "error.h"

struct userns_range {
	uint32_t uid, gid; /* first host id: container 0 */
	uint32_t count;	   /* ids mapped */
};

/*
 * Finds user's (a name or a number) first range of at least 65536 ids, or
 * else its largest, in the contents of a subuid/subgid file. -1 if none.
 */
int userns_find_subid(const char *data, const char *user, uint32_t uid, uint32_t *start,
		      uint32_t *count);
/* "100000:65536" or "100000" (65536 ids); -1 if malformed. */
int userns_parse_range(const char *s, struct userns_range *r);
/* Reads /etc/subuid and /etc/subgid for user "ctrd"; -1 with err if it has no range. */
int userns_from_subid(struct userns_range *r, struct ctr_error *err);

/* As root outside: setgroups deny and the uid and gid maps of pid. */
int userns_write_maps(pid_t pid, const struct userns_range *r, struct ctr_error *err);
/*
 * As root outside: a detached copy of the tree at path whose files appear
 * owned through pid's user namespace (an idmapped mount, Linux 5.12); the
 * init attaches it with move_mount(). Returns the mount's fd.
 */
int userns_idmapped_tree(const char *path, pid_t pid, struct ctr_error *err);
/* In the init: attaches tree at target (an existing directory). */
int userns_attach_tree(int tree, const char *target, struct ctr_error *err);

#endif
