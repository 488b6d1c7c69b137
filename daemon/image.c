/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "image.h"
#include "log.h"

#define CONFIG_MAX (1 << 20)

bool
image_valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 128 ||
	    !(islower((unsigned char)name[0]) || isdigit((unsigned char)name[0])))
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_' &&
		    *p != '.' && *p != '-')
			return false;
	return true;
}

static json_t *
read_config(const char *dir)
{
	_cleanup_free_ char *path = xasprintf("%s/config.json", dir);
	_cleanup_free_ char *data = NULL;
	json_error_t jerr;

	if (fs_read_file(path, CONFIG_MAX, &data, NULL) < 0) {
		if (errno != ENOENT)
			log_warn("image config %s: %s", path, strerror(errno));
		return json_object();
	}
	json_t *o = json_loads(data, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(o)) {
		log_warn("image config %s: %s", path, o ? "not an object" : jerr.text);
		json_decref(o);
		return json_object();
	}
	return o;
}

int
image_open(struct ctrd *d, const char *name, struct image *img, struct ctr_error *err)
{
	struct stat st;

	memset(img, 0, sizeof(*img));
	if (!image_valid_name(name))
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "params.image: \"%s\" is not a valid image name", name);
	_cleanup_free_ char *dir = xasprintf("%s/%s", d->images_dir, name);
	img->rootfs = xasprintf("%s/rootfs", dir);
	if (stat(img->rootfs, &st) < 0 || !S_ISDIR(st.st_mode)) {
		image_close(img);
		return ctr_error_set(
			err, CTR_E_NOT_FOUND, 0,
			"no such image: %s (images are directories under %s; see ctrctl images)",
			name, d->images_dir);
	}
	img->name = xstrdup(name);
	img->config = read_config(dir);
	return 0;
}

void
image_close(struct image *img)
{
	free(img->name);
	free(img->rootfs);
	json_decref(img->config);
	memset(img, 0, sizeof(*img));
}

static char **
strings(json_t *arr)
{
	size_t n = json_array_size(arr), i, k = 0;
	char **v = xcalloc(n + 1, sizeof(char *));
	json_t *item;

	json_array_foreach(arr, i, item)
		if (json_is_string(item))
			v[k++] = xstrdup(json_string_value(item));
	return v;
}

int
image_apply_defaults(const struct image *img, struct ctr_spec *spec, struct ctr_error *err)
{
	json_t *cmd = json_object_get(img->config, "command");
	json_t *env = json_object_get(img->config, "env");
	const char *cwd = json_string_value(json_object_get(img->config, "cwd"));
	const char *user = json_string_value(json_object_get(img->config, "user"));

	if (spec->command == NULL && json_array_size(cmd) > 0)
		spec->command = strings(cmd);
	if (spec->command == NULL || spec->command[0] == NULL)
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "params.command: required: image %s has no default command",
				     img->name);
	/* The image's environment first, so the request's entries override it. */
	if (json_array_size(env) > 0) {
		char **merged = strings(env);
		size_t n = strv_length(merged), m = strv_length(spec->env);
		merged = xreallocarray(merged, n + m + 1, sizeof(char *));
		for (size_t i = 0; i < m; i++)
			merged[n + i] = spec->env[i];
		merged[n + m] = NULL;
		free(spec->env);
		spec->env = merged;
	}
	if (spec->cwd_default && cwd != NULL && cwd[0] == '/') {
		free(spec->cwd);
		spec->cwd = xstrdup(cwd);
	}
	if (spec->user == NULL && user != NULL && *user != '\0')
		spec->user = xstrdup(user);
	return 0;
}

/* Bytes in the tree at dirfd, without following links or crossing into other file systems. */
static uint64_t
tree_size(int dirfd, dev_t dev, int depth)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	uint64_t total = 0;

	if (d == NULL) {
		close(dirfd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue;
		if (S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
		else if (S_ISDIR(st.st_mode) && depth < 64) {
			int fd = openat(dirfd, de->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				total += tree_size(fd, dev, depth + 1);
		}
	}
	closedir(d);
	return total;
}

json_t *
image_list(struct ctrd *d)
{
	json_t *list = json_array();
	DIR *dir = opendir(d->images_dir);
	struct dirent *de;

	if (dir == NULL)
		return list;
	while ((de = readdir(dir)) != NULL) {
		struct image img;
		struct stat st;
		_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
		if (!image_valid_name(de->d_name) || image_open(d, de->d_name, &img, &err) < 0)
			continue;
		int fd = open(img.rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		uint64_t size = 0;
		if (fd >= 0 && fstat(fd, &st) == 0)
			size = tree_size(fd, st.st_dev, 0);
		else if (fd >= 0)
			close(fd);
		_cleanup_free_ char *dirpath = xasprintf("%s/%s", d->images_dir, de->d_name);
		_cleanup_free_ char *created = NULL;
		if (stat(dirpath, &st) == 0)
			created = time_format_rfc3339((int64_t)st.st_mtim.tv_sec * 1000000000 +
						      st.st_mtim.tv_nsec);
		json_t *cmd = json_object_get(img.config, "command");
		json_array_append_new(list, json_pack("{s:s,s:s?,s:I,s:O?}", "name", img.name,
						      "created", created, "size", (json_int_t)size,
						      "command", json_is_array(cmd) ? cmd : NULL));
		image_close(&img);
	}
	closedir(dir);
	return list;
}
