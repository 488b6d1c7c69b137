/* SPDX-License-Identifier: MIT */
/*
 * A container's specification: what `run` asked for, checked beyond types
 * (names, host names, environment entries, paths) and kept both as a struct
 * for the spawn path and as JSON for the state file and `inspect`.
 */
#ifndef CTRD_SPEC_H
#define CTRD_SPEC_H

#include <jansson.h>

#include "error.h"
#include "resources.h"
#include "restart.h"

enum net_mode { NET_NONE, NET_HOST };

struct mount_spec {
	char *source;	   /* absolute host path */
	char *destination; /* absolute path inside the container */
	bool readonly;
};

struct ctr_spec {
	char *image;	  /* image name, or NULL with rootfs */
	char *rootfs;	  /* absolute host path of the root directory */
	char **command;	  /* argv, at least one element */
	char **env;	  /* "K=V", merged over the defaults at start */
	char *cwd;	  /* absolute, default "/" */
	bool cwd_default; /* cwd was not given: an image's may apply */
	char *user;	  /* "uid[:gid]" or "name[:group]", NULL for root */
	char *hostname;	  /* NULL: the first 12 digits of the id */
	bool detach, rm, interactive, tty, read_only;
	unsigned short tty_rows, tty_cols; /* the terminal's size before exec, 0 if unknown */
	struct mount_spec *mounts;
	size_t nmounts;
	char **tmpfs;
	enum net_mode network;
	char **cap_add, **cap_drop; /* as asked for */
	uint64_t caps;		    /* the resulting set, 1 << CAP_* */
	bool seccomp_unconfined;    /* no seccomp filter (seccomp.h) */
	bool userns;		    /* a user namespace of its own (userns.h) */
	struct ctr_resources res;   /* cgroup limits */
	struct restart_policy restart;
	int64_t log_max_size; /* rotate the log beyond this; 0: ctrd's default */
	int log_max_files;    /* log files kept; 0: ctrd's default */
};

/* Fills spec from validated run params; -1 with CTR_E_INVALID_PARAMS. */
int spec_from_json(struct ctr_spec *spec, json_t *params, struct ctr_error *err);
/* The params form of spec (what spec_from_json accepts). */
json_t *spec_to_json(const struct ctr_spec *spec);
void spec_free(struct ctr_spec *spec);
/* An absolute path normalised lexically (no "//", "." or trailing "/"); NULL if it has "..". */
char *spec_clean_path(const char *path);
/* A JSON array of the strings of a NULL-terminated vector. */
json_t *spec_strv_to_json(char *const *v);

/* Container names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, as docker allows. */
bool spec_valid_name(const char *name);
/* Host names: RFC 1123 labels separated by dots. */
bool spec_valid_hostname(const char *name);

#endif
