/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include "user.h"

#define MAX_ID 0xfffffffeU /* (uid_t)-1 is "no change" to setresuid */

/* The n-th ':'-separated field of line (0-based), copied; NULL if missing. */
static char *
field(const char *line, size_t len, int n)
{
	const char *p = line, *end = line + len;

	for (; n > 0; n--) {
		p = memchr(p, ':', (size_t)(end - p));
		if (p == NULL)
			return NULL;
		p++;
	}
	const char *e = memchr(p, ':', (size_t)(end - p));
	return xstrndup(p, (size_t)((e ? e : end) - p));
}

static bool
parse_id(const char *s, uint32_t *id)
{
	uint64_t v;

	if (parse_u64(s, &v) < 0 || v > MAX_ID)
		return false;
	*id = (uint32_t)v;
	return true;
}

/*
 * Finds the line of db whose field key_field equals key (by name, or by
 * number when numeric). Calls fn on it and returns true.
 */
static bool
db_find(const char *db, const char *key, bool numeric, int key_field,
	void (*fn)(const char *line, size_t len, void *arg), void *arg)
{
	for (const char *line = db; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		_cleanup_free_ char *name = field(line, len, 0);
		_cleanup_free_ char *id = field(line, len, key_field);
		if (name != NULL && name[0] != '#' && id != NULL &&
		    strcmp(numeric ? id : name, key) == 0) {
			fn(line, len, arg);
			return true;
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

struct pw_entry {
	char *name;
	uint32_t uid, gid;
	bool uid_ok, gid_ok;
	char *home;
};

static void
take_passwd(const char *line, size_t len, void *arg)
{
	struct pw_entry *pw = arg;
	_cleanup_free_ char *uid = field(line, len, 2), *gid = field(line, len, 3);

	pw->name = field(line, len, 0);
	pw->home = field(line, len, 5);
	pw->uid_ok = uid != NULL && parse_id(uid, &pw->uid);
	pw->gid_ok = gid != NULL && parse_id(gid, &pw->gid);
}

static void
take_gid(const char *line, size_t len, void *arg)
{
	_cleanup_free_ char *gid = field(line, len, 2);

	if (gid == NULL || !parse_id(gid, arg))
		*(uint32_t *)arg = MAX_ID + 1;
}

/* Every group of db that lists user among its members. */
static void
member_groups(const char *db, const char *user, struct user_ids *out)
{
	for (const char *line = db; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		_cleanup_free_ char *members = field(line, len, 3);
		_cleanup_free_ char *gid = field(line, len, 2);
		uint32_t g;
		if (line[0] != '#' && members != NULL && gid != NULL && parse_id(gid, &g)) {
			char *save = NULL;
			for (char *m = strtok_r(members, ",", &save); m;
			     m = strtok_r(NULL, ",", &save)) {
				if (strcmp(m, user) == 0 && out->ngroups < 64) {
					out->groups = xreallocarray(out->groups, out->ngroups + 1,
								    sizeof(gid_t));
					out->groups[out->ngroups++] = g;
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
}

int
user_resolve(const char *spec, const char *passwd, const char *group, struct user_ids *out,
	     struct ctr_error *err)
{
	_cleanup_free_ char *user = xstrdup(spec ? spec : "0");
	char *grp = strchr(user, ':');
	struct pw_entry pw = { 0 };
	uint32_t id;
	bool found;

	memset(out, 0, sizeof(*out));
	if (grp != NULL)
		*grp++ = '\0';
	if (*user == '\0' || (grp != NULL && *grp == '\0'))
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "user \"%s\": expected USER[:GROUP]", spec);

	if (parse_id(user, &id)) {
		_cleanup_free_ char *key = xasprintf("%u", id);
		found = db_find(passwd, key, true, 2, take_passwd, &pw);
		out->uid = id;
	} else {
		found = db_find(passwd, user, false, 2, take_passwd, &pw);
		if (!found)
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "user \"%s\" not found in the container's /etc/passwd",
					     user);
		if (!pw.uid_ok) {
			free(pw.name);
			free(pw.home);
			return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
					     "user \"%s\": bad uid in the container's /etc/passwd",
					     user);
		}
		out->uid = pw.uid;
	}
	out->gid = found && pw.gid_ok ? pw.gid : 0;
	out->home = xstrdup(found && pw.home && *pw.home ? pw.home : out->uid == 0 ? "/root" : "/");

	if (grp != NULL) {
		if (parse_id(grp, &id)) {
			out->gid = id;
		} else {
			id = 0;
			if (!db_find(group, grp, false, 2, take_gid, &id) || id > MAX_ID) {
				free(pw.name);
				free(pw.home);
				user_ids_free(out);
				return ctr_error_set(
					err, CTR_E_INVALID_PARAMS, 0,
					"group \"%s\" not found in the container's /etc/group",
					grp);
			}
			out->gid = id;
		}
	} else if (found && pw.name != NULL) {
		/* Only without an explicit group, like docker: the user's memberships apply. */
		member_groups(group, pw.name, out);
	}
	free(pw.name);
	free(pw.home);
	return 0;
}

void
user_ids_free(struct user_ids *u)
{
	free(u->groups);
	free(u->home);
	memset(u, 0, sizeof(*u));
}
