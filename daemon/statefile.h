/* SPDX-License-Identifier: MIT */
#ifndef CTRD_STATEFILE_H
#define CTRD_STATEFILE_H

#include "container.h"

/* Writes the state file; logs and returns -1 on failure. */
int container_save(struct container *ctr, struct ctr_error *err);
/* Reads the exit file a monitor wrote (monitor.c); -1 with errno if missing or bad. */
int statefile_read_exit(const char *path, struct exit_status *st);
/* Reads the containers of an earlier daemon from the state directory. */
void container_restore_all(struct ctrd *d);

#endif
