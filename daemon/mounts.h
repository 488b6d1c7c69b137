/* SPDX-License-Identifier: MIT */
/*
 * The container's mount namespace, built in the init before pivot_root:
 * private propagation, the root bind mount, /proc, a minimal /dev, a
 * read-only /sys, volumes, tmpfs mounts, /etc/hostname and /etc/hosts, and
 * then the pivot itself. Runs only in the cloned child; every target path
 * is resolved inside the root (rootpath.h).
 */
#ifndef CTRD_MOUNTS_H
#define CTRD_MOUNTS_H

#include "spec.h"

struct cgroups;

struct mounts_config {
	const struct cgroups *cgroups; /* mounted read-only at /sys/fs/cgroup */
	const char *cgroup_id;	       /* the container's group in each (cgroup_create) */
	const struct ctr_spec *spec;
	const char *rootfs;  /* host path of the root directory (the overlay's mount point) */
	const char *lower;   /* an image's tree: overlay it with upper and work at rootfs */
	const char *upper;   /* the container's writable layer */
	const char *work;    /* overlayfs's work directory, beside upper */
	const char *etc_dir; /* directory holding the generated hostname and hosts files */
	bool new_netns;	     /* sysfs shows the container's own network devices */
	bool userns;	     /* in a user namespace of its own */
};

/* Builds the tree under rootfs; returns an O_PATH fd of the new root. */
int mounts_setup(const struct mounts_config *mc, struct ctr_error *err);
/* pivot_root into rootfd and detach the old root; the cwd is then "/". */
int mounts_pivot(int rootfd, struct ctr_error *err);
/* After the pivot: the terminal at /dev/pts/N becomes /dev/console too. */
int mounts_console(int pty_number, struct ctr_error *err);

#endif
