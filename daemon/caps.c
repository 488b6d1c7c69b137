/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"

static const int docker_default[] = {
	CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,	     CAP_FOWNER,
	CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,	     CAP_SETUID,
	CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
	CAP_KILL,    CAP_AUDIT_WRITE,
};

/* The highest capability the running kernel knows. */
static int
last_cap(void)
{
	static int last = -1;

	if (last < 0) {
		last = CAP_LAST_CAP;
		FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
		if (f != NULL) {
			if (fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
				last = CAP_LAST_CAP;
			fclose(f);
		}
	}
	return last;
}

uint64_t
caps_default(void)
{
	uint64_t set = 0;

	for (size_t i = 0; i < ARRAY_SIZE(docker_default); i++)
		set |= UINT64_C(1) << docker_default[i];
	return set;
}

int
caps_parse(const char *name)
{
	char buf[64];
	cap_value_t cap;
	size_t len = strlen(name);

	if (strcasecmp(name, "ALL") == 0)
		return -2;
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4, len -= 4;
	if (len == 0 || len + 5 > sizeof(buf))
		return -1;
	/* libcap knows the lower-case "cap_chown" spelling, and stops at what it does not. */
	memcpy(buf, "cap_", 4);
	for (size_t i = 0; i < len; i++) {
		if (!isalpha((unsigned char)name[i]) && name[i] != '_')
			return -1;
		buf[4 + i] = (char)tolower((unsigned char)name[i]);
	}
	buf[4 + len] = '\0';
	if (cap_from_name(buf, &cap) < 0 || cap < 0 || cap > 63)
		return -1;
	return (int)cap;
}

/* Every capability we can hand on: the kernel's, less what our own bounding set lacks. */
static uint64_t
all_caps(void)
{
	uint64_t set = 0;

	for (int cap = 0; cap <= last_cap(); cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			set |= UINT64_C(1) << cap;
	return set;
}

/* Applies the names in arr to *set (added or removed); -1 naming the bad one. */
static int
apply_names(json_t *arr, const char *field, bool add, uint64_t *set, struct ctr_error *err)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		const char *name = json_string_value(v);
		int cap = name ? caps_parse(name) : -1;
		if (cap == -1)
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "params.%s[%zu]: unknown capability \"%s\"", field, i,
					     name ? name : "");
		if (cap == -2)
			continue; /* handled by the caller */
		if (add && !(all_caps() & (UINT64_C(1) << cap)))
			return ctr_error_set(
				err, CTR_E_INVALID_PARAMS, 0,
				"params.%s[%zu]: ctrd itself does not have \"%s\" to give", field,
				i, name);
		if (add)
			*set |= UINT64_C(1) << cap;
		else
			*set &= ~(UINT64_C(1) << cap);
	}
	return 0;
}

static bool
has_all(json_t *arr)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcasecmp(json_string_value(v), "ALL") == 0)
			return true;
	return false;
}

int
caps_compute(json_t *add, json_t *drop, uint64_t *set, struct ctr_error *err)
{
	uint64_t s = caps_default();

	/* docker: ALL in cap-add wins over the default, then drops apply; ALL in cap-drop first. */
	if (has_all(drop))
		s = 0;
	if (has_all(add))
		s = all_caps();
	if (apply_names(drop, "cap_drop", false, &s, err) < 0 ||
	    apply_names(add, "cap_add", true, &s, err) < 0)
		return -1;
	if (has_all(add))
		(void)apply_names(drop, "cap_drop", false, &s, err);
	*set = s & all_caps();
	return 0;
}

json_t *
caps_to_json(uint64_t set)
{
	json_t *arr = json_array();

	for (int cap = 0; cap <= 63; cap++) {
		if (!(set & (UINT64_C(1) << cap)))
			continue;
		char *name = cap_to_name((cap_value_t)cap);
		if (name == NULL)
			continue;
		char *upper = xasprintf("%s", name);
		for (char *p = upper; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		json_array_append_new(arr, json_string(upper));
		free(upper);
		cap_free(name);
	}
	return arr;
}

int
caps_limit_bounding(uint64_t set, struct ctr_error *err)
{
	for (int cap = 0; cap <= last_cap(); cap++) {
		if (set & (UINT64_C(1) << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return ctr_error_sys(err, errno, "drop capability %d from the bounding set",
					     cap);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return ctr_error_sys(err, errno, "clear ambient capabilities");
	return 0;
}

int
caps_apply(uint64_t set, bool root, struct ctr_error *err)
{
	cap_t caps = cap_init(); /* everything clear */
	cap_value_t list[64];
	int n = 0;

	if (caps == NULL)
		return ctr_error_sys(err, errno, "cap_init");
	for (int cap = 0; root && cap <= last_cap(); cap++)
		if (set & (UINT64_C(1) << cap))
			list[n++] = cap;
	if ((n > 0 && (cap_set_flag(caps, CAP_PERMITTED, n, list, CAP_SET) < 0 ||
		       cap_set_flag(caps, CAP_EFFECTIVE, n, list, CAP_SET) < 0)) ||
	    cap_set_proc(caps) < 0) {
		int e = errno;
		cap_free(caps);
		return ctr_error_sys(err, e, "set capabilities");
	}
	cap_free(caps);
	return 0;
}
