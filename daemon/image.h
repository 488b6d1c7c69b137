/* SPDX-License-Identifier: MIT */
/*
 * Images: directory trees under <root>/images/<name>/rootfs, each with an
 * optional config.json giving the defaults a container of the image gets
 * (command, env, cwd, user). Containers never write to an image: each gets
 * an overlayfs upper layer of its own (mounts.c).
 */
#ifndef CTRD_IMAGE_H
#define CTRD_IMAGE_H

#include <jansson.h>

#include "ctrd.h"
#include "spec.h"

struct image {
	char *name;
	char *rootfs;	/* <root>/images/<name>/rootfs */
	json_t *config; /* config.json, or an empty object */
};

/* Image names: [a-z0-9][a-z0-9_.-]*, at most 128 bytes; no path can hide in one. */
bool image_valid_name(const char *name);
/* Finds image name; CTR_E_NOT_FOUND if there is no such image. */
int image_open(struct ctrd *d, const char *name, struct image *img, struct ctr_error *err);
void image_close(struct image *img);
/* Fills what spec leaves unset from the image's config: command, cwd, user; env goes first. */
int image_apply_defaults(const struct image *img, struct ctr_spec *spec, struct ctr_error *err);
/* The images method's list: name, created, size, command. */
json_t *image_list(struct ctrd *d);

#endif
