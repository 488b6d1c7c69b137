/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "caps.h"
#include "spec.h"

bool
spec_valid_name(const char *name)
{
	if (!isalnum((unsigned char)name[0]))
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return strlen(name) <= 128;
}

bool
spec_valid_hostname(const char *name)
{
	size_t label = 0, len = strlen(name);

	if (len == 0 || len > 64)
		return false;
	for (const char *p = name;; p++) {
		if (*p == '.' || *p == '\0') {
			/* Labels are 1..63 bytes and neither starts nor ends with '-'. */
			if (label == 0 || p[-1] == '-' || p[-(ptrdiff_t)label] == '-')
				return false;
			if (*p == '\0')
				return true;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return false;
		if (++label > 63)
			return false;
	}
}

static char **
strv_from_json(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	char **v = xcalloc(n + 1, sizeof(char *));
	json_t *item;

	json_array_foreach(arr, i, item)
		v[i] = xstrdup(json_string_value(item));
	return v;
}

json_t *
spec_strv_to_json(char *const *v)
{
	json_t *arr = json_array();

	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

char *
spec_clean_path(const char *path)
{
	char *out = xmalloc(strlen(path) + 2);
	size_t o = 0;

	for (const char *p = path; *p != '\0';) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			p = e;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(out);
			return NULL;
		}
		out[o++] = '/';
		memcpy(out + o, p, n);
		o += n;
		p = e;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

static int
mounts_from_json(struct ctr_spec *spec, json_t *arr, struct ctr_error *err)
{
	size_t i;
	json_t *m;

	spec->mounts = xcalloc(json_array_size(arr) + 1, sizeof(*spec->mounts));
	json_array_foreach(arr, i, m) {
		struct mount_spec *ms = &spec->mounts[spec->nmounts++];
		ms->source = spec_clean_path(json_string_value(json_object_get(m, "source")));
		ms->destination =
			spec_clean_path(json_string_value(json_object_get(m, "destination")));
		ms->readonly = json_is_true(json_object_get(m, "readonly"));
		if (ms->source == NULL || ms->destination == NULL)
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "params.mounts[%zu]: paths must not contain \"..\"",
					     i);
		if (strcmp(ms->destination, "/") == 0)
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "params.mounts[%zu].destination: cannot mount over /",
					     i);
	}
	return 0;
}

int
spec_from_json(struct ctr_spec *spec, json_t *params, struct ctr_error *err)
{
	json_t *v;

	memset(spec, 0, sizeof(*spec));
	if ((v = json_object_get(params, "image")) != NULL)
		spec->image = xstrdup(json_string_value(v));
	if ((v = json_object_get(params, "rootfs")) != NULL) {
		spec->rootfs = spec_clean_path(json_string_value(v));
		if (spec->rootfs == NULL)
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "params.rootfs: must not contain \"..\"");
	}
	if ((spec->image == NULL) == (spec->rootfs == NULL))
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "params: exactly one of image and rootfs is required");
	if ((v = json_object_get(params, "command")) != NULL)
		spec->command = strv_from_json(v);
	spec->env = strv_from_json(json_object_get(params, "env"));
	for (size_t i = 0; spec->env[i] != NULL; i++) {
		const char *eq = strchr(spec->env[i], '=');
		if (eq == NULL || eq == spec->env[i])
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "params.env[%zu]: expected KEY=VALUE, got \"%s\"", i,
					     spec->env[i]);
	}
	if ((v = json_object_get(params, "cwd")) != NULL) {
		spec->cwd = spec_clean_path(json_string_value(v));
		if (spec->cwd == NULL)
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "params.cwd: must not contain \"..\"");
	} else {
		spec->cwd = xstrdup("/");
		spec->cwd_default = true;
	}
	if ((v = json_object_get(params, "user")) != NULL)
		spec->user = xstrdup(json_string_value(v));
	if ((v = json_object_get(params, "hostname")) != NULL) {
		spec->hostname = xstrdup(json_string_value(v));
		if (!spec_valid_hostname(spec->hostname))
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "params.hostname: \"%s\" is not a valid host name",
					     spec->hostname);
	}
	spec->detach = json_is_true(json_object_get(params, "detach"));
	spec->rm = json_is_true(json_object_get(params, "rm"));
	spec->interactive = json_is_true(json_object_get(params, "interactive"));
	spec->tty = json_is_true(json_object_get(params, "tty"));
	spec->read_only = json_is_true(json_object_get(params, "read_only"));
	if ((v = json_object_get(params, "tty_size")) != NULL) {
		spec->tty_rows = (unsigned short)json_integer_value(json_object_get(v, "rows"));
		spec->tty_cols = (unsigned short)json_integer_value(json_object_get(v, "cols"));
	}
	if (mounts_from_json(spec, json_object_get(params, "mounts"), err) < 0)
		return -1;
	spec->tmpfs = strv_from_json(json_object_get(params, "tmpfs"));
	for (size_t i = 0; spec->tmpfs[i] != NULL; i++) {
		char *p = spec_clean_path(spec->tmpfs[i]);
		if (p == NULL || strcmp(p, "/") == 0) {
			free(p);
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "params.tmpfs[%zu]: \"%s\" is not a valid mount point",
					     i, spec->tmpfs[i]);
		}
		free(spec->tmpfs[i]);
		spec->tmpfs[i] = p;
	}
	const char *net = json_string_value(json_object_get(params, "network"));
	spec->network = net != NULL && strcmp(net, "host") == 0 ? NET_HOST : NET_NONE;
	spec->userns = json_is_true(json_object_get(params, "userns"));
	if (resources_from_json(&spec->res, params, err) < 0)
		return -1;
	spec->log_max_size = json_integer_value(json_object_get(params, "log_max_size"));
	spec->log_max_files = (int)json_integer_value(json_object_get(params, "log_max_files"));
	const char *restart = json_string_value(json_object_get(params, "restart"));
	if (restart != NULL && restart_parse(restart, &spec->restart) < 0)
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "params.restart: \"%s\" is not no, on-failure[:N], always or "
				     "unless-stopped",
				     restart);
	if (spec->rm && spec->restart.mode != RESTART_NO)
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "params: rm and a restart policy do not go together");
	const char *seccomp = json_string_value(json_object_get(params, "seccomp"));
	spec->seccomp_unconfined = seccomp != NULL && strcmp(seccomp, "unconfined") == 0;
	spec->cap_add = strv_from_json(json_object_get(params, "cap_add"));
	spec->cap_drop = strv_from_json(json_object_get(params, "cap_drop"));
	if (caps_compute(json_object_get(params, "cap_add"), json_object_get(params, "cap_drop"),
			 &spec->caps, err) < 0)
		return -1;
	return 0;
}

json_t *
spec_to_json(const struct ctr_spec *spec)
{
	json_t *o = json_object();
	json_t *mounts = json_array();

	if (spec->image != NULL)
		json_object_set_new(o, "image", json_string(spec->image));
	if (spec->rootfs != NULL)
		json_object_set_new(o, "rootfs", json_string(spec->rootfs));
	json_object_set_new(o, "command", spec_strv_to_json(spec->command));
	json_object_set_new(o, "env", spec_strv_to_json(spec->env));
	json_object_set_new(o, "cwd", json_string(spec->cwd));
	if (spec->user != NULL)
		json_object_set_new(o, "user", json_string(spec->user));
	if (spec->hostname != NULL)
		json_object_set_new(o, "hostname", json_string(spec->hostname));
	json_object_set_new(o, "detach", json_boolean(spec->detach));
	json_object_set_new(o, "rm", json_boolean(spec->rm));
	json_object_set_new(o, "interactive", json_boolean(spec->interactive));
	json_object_set_new(o, "tty", json_boolean(spec->tty));
	json_object_set_new(o, "read_only", json_boolean(spec->read_only));
	if (spec->tty_rows != 0)
		json_object_set_new(
			o, "tty_size",
			json_pack("{s:i,s:i}", "rows", spec->tty_rows, "cols", spec->tty_cols));
	for (size_t i = 0; i < spec->nmounts; i++)
		json_array_append_new(mounts,
				      json_pack("{s:s,s:s,s:b}", "source", spec->mounts[i].source,
						"destination", spec->mounts[i].destination,
						"readonly", spec->mounts[i].readonly));
	json_object_set_new(o, "mounts", mounts);
	json_object_set_new(o, "tmpfs", spec_strv_to_json(spec->tmpfs));
	json_object_set_new(o, "network", json_string(spec->network == NET_HOST ? "host" : "none"));
	json_object_set_new(o, "cap_add", spec_strv_to_json(spec->cap_add));
	json_object_set_new(o, "cap_drop", spec_strv_to_json(spec->cap_drop));
	json_object_set_new(o, "seccomp",
			    json_string(spec->seccomp_unconfined ? "unconfined" : "default"));
	json_object_set_new(o, "userns", json_boolean(spec->userns));
	resources_to_json(&spec->res, o);
	json_object_set_new(o, "log_max_size", json_integer(spec->log_max_size));
	json_object_set_new(o, "log_max_files", json_integer(spec->log_max_files));
	char *restart = restart_format(&spec->restart);
	json_object_set_new(o, "restart", json_string(restart));
	free(restart);
	return o;
}

void
spec_free(struct ctr_spec *spec)
{
	free(spec->image);
	free(spec->rootfs);
	strv_free(spec->command);
	strv_free(spec->env);
	free(spec->cwd);
	free(spec->user);
	free(spec->hostname);
	for (size_t i = 0; i < spec->nmounts; i++) {
		free(spec->mounts[i].source);
		free(spec->mounts[i].destination);
	}
	free(spec->mounts);
	strv_free(spec->tmpfs);
	strv_free(spec->cap_add);
	strv_free(spec->cap_drop);
	resources_free(&spec->res);
	memset(spec, 0, sizeof(*spec));
}
