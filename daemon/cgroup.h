/* SPDX-License-Identifier: MIT */
/*
 * Control groups: one group per container, `<parent>/<id>`, under the root
 * of the unified (v2) hierarchy, or of each v1 controller's hierarchy.
 *
 * The layout is detected once at start-up: pure v2 (/sys/fs/cgroup is
 * cgroup2), pure v1, or hybrid (v1 controllers plus a cgroup2 at
 * /sys/fs/cgroup/unified that holds no controllers we use). In hybrid mode
 * a container is placed in both: the v1 controllers do the limiting, and the
 * v2 group carries the eBPF device filter too.
 *
 * The daemon creates the group and sets its device rules and limits before
 * the container starts; the container's init writes itself into it first
 * thing (through fds the daemon opened: v1 `tasks`, v2 cgroup.procs), then unshares its
 * cgroup namespace, so it never runs unlimited and /proc/self/cgroup reads
 * "/" inside.
 */
#ifndef CTRD_CGROUP_H
#define CTRD_CGROUP_H

#include <jansson.h>

#include "error.h"
#include "resources.h"

enum cgroup_mode {
	CGROUP_NONE,   /* no cgroup file system: containers run without groups */
	CGROUP_V1,     /* only v1 hierarchies */
	CGROUP_HYBRID, /* v1 controllers and a cgroup2 beside them */
	CGROUP_V2,     /* the unified hierarchy only */
};

/* The v1 controllers ctrd uses, in the order the files are written. */
#define CGROUP_MAX_HIERARCHIES 16

struct cgroup_hierarchy {
	char *mount;	   /* /sys/fs/cgroup/memory, /sys/fs/cgroup, ... */
	char *controllers; /* "memory", "cpu,cpuacct"; "" for the unified one */
	bool unified;
	bool clones_cpuset; /* v1 cpuset: the parent has cgroup.clone_children set */
};

/* Emptied v1 groups kept for the next containers (cgroup_destroy, cgroup_create). */
#define CGROUP_MAX_SPARES 16

struct cgroups {
	enum cgroup_mode mode;
	char *parent; /* relative to each hierarchy's root: "ctrd" */
	struct cgroup_hierarchy h[CGROUP_MAX_HIERARCHIES];
	size_t n;
	struct {
		unsigned n; /* <parent>/.spare-N */
		bool plain; /* every limit at its default, as a new group's */
	} spare[CGROUP_MAX_SPARES];
	size_t nspare;
	unsigned next_spare;
};

/*
 * Whether hierarchy h has the controller ("cpu" is neither "cpuset" nor
 * "cpuacct"); always true of the unified one, where the files tell.
 */
bool cgroup_has(const struct cgroup_hierarchy *h, const char *controller);

/*
 * Detects the layout and prepares <parent> in every hierarchy, removing
 * spares a previous daemon left.
 */
int cgroup_init(struct cgroups *cg, const char *parent, struct ctr_error *err);
/* Forgets the layout and removes the spares. */
void cgroup_fini(struct cgroups *cg);
const char *cgroup_mode_name(enum cgroup_mode mode);

/*
 * Creates the container's group in every hierarchy with its device rules,
 * and opens the files the init writes itself into ("0": v1 `tasks`, v2
 * cgroup.procs; another process's pid moves that one thread). procs gets
 * up to CGROUP_MAX_HIERARCHIES fds (the caller closes them), -1 terminated.
 * *fresh says whether every group was made now (none was left from before,
 * none is a spare), so it still holds the kernel's defaults.
 *
 * With v1 a container's groups are usually a spare's, renamed: the groups
 * of a removed container, emptied, their counters reset. A group costs a
 * mkdir of 50-150 us in each of up to eight hierarchies, and its rmdir a
 * millisecond of the kernel's time in all, which a rename (13 us) saves. A
 * spare whose limits are all at their defaults counts as fresh; another is
 * not. (v2 cannot rename a group, and has one.)
 */
int cgroup_create(struct cgroups *cg, const char *id, int procs[CGROUP_MAX_HIERARCHIES + 1],
		  bool *fresh, struct ctr_error *err);
/* Opens the same files of an existing container group (for exec). */
int cgroup_open_procs(struct cgroups *cg, const char *id, int procs[CGROUP_MAX_HIERARCHIES + 1],
		      struct ctr_error *err);
/*
 * Removes the container's groups; a group that still has processes is
 * killed first. Empty v1 groups become a spare while there are fewer than
 * CGROUP_MAX_SPARES.
 */
int cgroup_destroy(struct cgroups *cg, const char *id, struct ctr_error *err);
/* Removes the container's groups that have no members left; -1 if some remain. */
int cgroup_remove_if_empty(struct cgroups *cg, const char *id);
/*
 * Limits (cgroup_res.c): writes res to every hierarchy of the container's
 * group. On a fresh group (cgroup_create) the values a new group already
 * has are not written again: no limit, the default weight or shares, every
 * CPU of the parent.
 */
int cgroup_set_resources(struct cgroups *cg, const char *id, const struct ctr_resources *res,
			 bool fresh, struct ctr_error *err);
/* How many times the OOM killer struck in the group (v2 memory.events, v1 memory.oom_control). */
int cgroup_oom_kills(struct cgroups *cg, const char *id, uint64_t *kills);
/* memory_usage/limit, cpu_ns, pids/pids_limit, blkio_read/write; null where unknown. */
json_t *cgroup_stats(struct cgroups *cg, const char *id);
/* Freezes or thaws every process of the group (v2 cgroup.freeze, v1 freezer.state). */
int cgroup_freeze(struct cgroups *cg, const char *id, bool frozen, struct ctr_error *err);

/* In the child: writes "0" (the caller) to each fd of procs. */
int cgroup_join(const int *procs, struct ctr_error *err);
/*
 * In the container's mount namespace, after it has its own cgroup namespace:
 * the cgroup file systems, read-only, at /sys/fs/cgroup under rootfd. With
 * v1, each hierarchy is the container's group id bound there (a new mount
 * of the hierarchy if that fails, or without id).
 */
int
cgroup_mount_inside(const struct cgroups *cg, const char *id, int rootfd, struct ctr_error *err);

#endif
