/* SPDX-License-Identifier: MIT */
/*
 * Resolving a container user ("uid[:gid]", "name[:group]") against the
 * container's own /etc/passwd and /etc/group, as docker does: never the
 * host's NSS. Pure functions of the file contents, so they are unit-tested.
 */
#ifndef CTRD_USER_H
#define CTRD_USER_H

#include "error.h"

struct user_ids {
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* supplementary groups from /etc/group */
	size_t ngroups;
	char *home;
};

/*
 * spec NULL means root. passwd and group are the files' contents, NULL when
 * missing. Unknown names fail with CTR_E_INVALID_PARAMS; unknown numeric
 * ids are fine (gid 0, home "/").
 */
int user_resolve(const char *spec, const char *passwd, const char *group, struct user_ids *out,
		 struct ctr_error *err);
void user_ids_free(struct user_ids *u);

#endif
