/* SPDX-License-Identifier: MIT */
/*
 * What a container's groups do once they exist: limits, accounting, the
 * freezer and the OOM counter, for v1 controllers and for the unified
 * hierarchy. In hybrid mode each hierarchy handles what it has; a file a
 * hierarchy lacks (the unified one here holds only hugetlb) is skipped.
 */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

#include "cgroup.h"
#include "fsutil.h"
#include "log.h"

static char *
group_dir(const struct cgroups *cg, size_t i, const char *id)
{
	return xasprintf("%s/%s/%s", cg->h[i].mount, cg->parent, id);
}

/* Writes value to dir/file; a missing file is no error when optional. */
static int
set(const char *dir, const char *file, const char *value, bool optional, struct ctr_error *err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && optional)
		return 0;
	if (fd < 0 || write_all(fd, value, strlen(value)) < 0)
		return ctr_error_sys(err, errno, "set %s to %s", path, value);
	return 0;
}

static int
read_u64(const char *dir, const char *file, uint64_t *v)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	_cleanup_free_ char *data = NULL;

	if (fs_read_file(path, 4096, &data, NULL) < 0)
		return -1;
	if (strncmp(data, "max", 3) == 0) {
		*v = UINT64_MAX;
		return 0;
	}
	return sscanf(data, "%" SCNu64, v) == 1 ? 0 : -1;
}

/* The value of key in a "key value" file (memory.stat, cpu.stat, memory.events). */
static int
read_key(const char *dir, const char *file, const char *key, uint64_t *v)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	_cleanup_free_ char *data = NULL;
	size_t klen = strlen(key);

	if (fs_read_file(path, 1 << 20, &data, NULL) < 0)
		return -1;
	for (char *line = data; line != NULL && *line != '\0';) {
		char *nl = strchr(line, '\n');
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return sscanf(line + klen + 1, "%" SCNu64, v) == 1 ? 0 : -1;
		line = nl ? nl + 1 : NULL;
	}
	return -1;
}

static char *
num_or_max(int64_t v, const char *unlimited)
{
	return v < 0 ? xstrdup(unlimited) : xasprintf("%" PRId64, v);
}

static bool
blank(const char *s)
{
	return s[strspn(s, " \t\n")] == '\0';
}

/*
 * No --cpuset-cpus: every CPU of the parent (its parent_file), for `update
 * --cpuset-cpus ""` after a list. A group that never had one is left as it
 * is (v2: empty, the parent's; v1: a copy of the parent's). Not emptied:
 * the kernel refuses that while the group has tasks (v1, and v2 in 6.1).
 */
static int
reset_cpuset(const char *dir, const char *parent_file, struct ctr_error *err)
{
	_cleanup_free_ char *own_path = xasprintf("%s/cpuset.cpus", dir);
	_cleanup_free_ char *parent_path = xasprintf("%s/../%s", dir, parent_file);
	_cleanup_free_ char *own = NULL, *cpus = NULL;

	/* No cpuset controller here, every CPU already, or nothing to take them from. */
	if (fs_read_file(own_path, 4096, &own, NULL) < 0 || blank(own) ||
	    fs_read_file(parent_path, 4096, &cpus, NULL) < 0 || blank(cpus) ||
	    strcmp(own, cpus) == 0)
		return 0;
	return set(dir, "cpuset.cpus", cpus, false, err);
}

/*
 * The settings below skip, on a fresh group, what it already has: writes to
 * cgroup files are not free (a CPU quota write costs a quarter of a
 * millisecond here), and a container start does one set per hierarchy.
 */
static int
set_v2(const char *dir, const struct ctr_resources *r, bool fresh, struct ctr_error *err)
{
	int64_t swap = resources_memory_swap(r);
	_cleanup_free_ char *mem = r->memory > 0 ? xasprintf("%" PRId64, r->memory)
						 : xstrdup("max");
	/* memory.swap.max counts swap alone. */
	_cleanup_free_ char *sw = swap < 0 || r->memory == 0
					  ? xstrdup("max")
					  : xasprintf("%" PRId64, swap - r->memory);
	_cleanup_free_ char *quota = num_or_max(resources_cpu_quota(r), "max");
	_cleanup_free_ char *cpu = xasprintf("%s %d", quota, RESOURCES_CPU_PERIOD);
	_cleanup_free_ char *weight = xasprintf("%" PRIu64,
						resources_shares_to_weight(r->cpu_shares));
	_cleanup_free_ char *pids = num_or_max(resources_pids(r), "max");

	bool memory = !fresh || r->memory > 0, cpu_max = !fresh || resources_cpu_quota(r) >= 0;
	bool cpu_weight = !fresh || (r->cpu_shares > 0 && r->cpu_shares != 1024);

	if ((memory && set(dir, "memory.max", mem, true, err) < 0) ||
	    (memory && set(dir, "memory.swap.max", sw, true, err) < 0) ||
	    (cpu_max && set(dir, "cpu.max", cpu, true, err) < 0) ||
	    (cpu_weight && set(dir, "cpu.weight", weight, true, err) < 0) ||
	    set(dir, "pids.max", pids, true, err) < 0)
		return -1;
	if (r->cpuset_cpus != NULL ? set(dir, "cpuset.cpus", r->cpuset_cpus, true, err) < 0
				   : !fresh && reset_cpuset(dir, "cpuset.cpus.effective", err) < 0)
		return -1;
	return 0;
}

/* v1 keeps memsw >= limit at every step: which one goes first depends on the direction. */
static int
set_v1_memory(const char *dir, const struct ctr_resources *r, struct ctr_error *err)
{
	int64_t swap = resources_memory_swap(r);
	_cleanup_free_ char *mem = num_or_max(r->memory > 0 ? r->memory : -1, "-1");
	_cleanup_free_ char *memsw = num_or_max(swap, "-1");
	struct ctr_error ignored = CTR_ERROR_INIT;

	if (set(dir, "memory.limit_in_bytes", mem, false, &ignored) == 0) {
		ctr_error_clear(&ignored);
		/* No memsw file: the kernel does not account swap; the memory limit holds anyway. */
		if (set(dir, "memory.memsw.limit_in_bytes", memsw, true, err) < 0)
			return -1;
		return 0;
	}
	ctr_error_clear(&ignored);
	if (set(dir, "memory.memsw.limit_in_bytes", memsw, true, err) < 0 ||
	    set(dir, "memory.limit_in_bytes", mem, false, err) < 0)
		return -1;
	return 0;
}

static int
set_v1(const struct cgroup_hierarchy *h, const char *dir, const struct ctr_resources *r, bool fresh,
       struct ctr_error *err)
{
	bool memory = !fresh || r->memory > 0 || resources_memory_swap(r) >= 0;

	if (cgroup_has(h, "memory") && memory && set_v1_memory(dir, r, err) < 0)
		return -1;
	if (cgroup_has(h, "cpu") && (!fresh || resources_cpu_quota(r) >= 0 ||
				     (r->cpu_shares > 0 && r->cpu_shares != 1024))) {
		_cleanup_free_ char *quota = num_or_max(resources_cpu_quota(r), "-1");
		_cleanup_free_ char *period = xasprintf("%d", RESOURCES_CPU_PERIOD);
		_cleanup_free_ char *shares = xasprintf("%" PRId64,
							r->cpu_shares > 0 ? r->cpu_shares : 1024);
		if (set(dir, "cpu.cfs_period_us", period, true, err) < 0 ||
		    set(dir, "cpu.cfs_quota_us", quota, true, err) < 0 ||
		    set(dir, "cpu.shares", shares, false, err) < 0)
			return -1;
	}
	if (cgroup_has(h, "pids")) {
		_cleanup_free_ char *pids = num_or_max(resources_pids(r), "max");
		if (set(dir, "pids.max", pids, false, err) < 0)
			return -1;
	}
	if (cgroup_has(h, "cpuset") &&
	    (r->cpuset_cpus != NULL ? set(dir, "cpuset.cpus", r->cpuset_cpus, false, err) < 0
				    : !fresh && reset_cpuset(dir, "cpuset.cpus", err) < 0))
		return -1;
	return 0;
}

int
cgroup_set_resources(struct cgroups *cg, const char *id, const struct ctr_resources *res,
		     bool fresh, struct ctr_error *err)
{
	for (size_t i = 0; i < cg->n; i++) {
		_cleanup_free_ char *dir = group_dir(cg, i, id);
		int r = cg->h[i].unified ? set_v2(dir, res, fresh, err)
					 : set_v1(&cg->h[i], dir, res, fresh, err);
		if (r < 0)
			return -1;
	}
	return 0;
}

int
cgroup_oom_kills(struct cgroups *cg, const char *id, uint64_t *kills)
{
	*kills = 0;
	for (size_t i = 0; i < cg->n; i++) {
		_cleanup_free_ char *dir = group_dir(cg, i, id);
		uint64_t n;
		/* v2: memory.events; v1: memory.oom_control (Linux 4.13). */
		if ((cg->h[i].unified && read_key(dir, "memory.events", "oom_kill", &n) == 0) ||
		    (!cg->h[i].unified && cgroup_has(&cg->h[i], "memory") &&
		     read_key(dir, "memory.oom_control", "oom_kill", &n) == 0)) {
			*kills += n;
		}
	}
	return 0;
}

/* Bytes read and written in a v1 blkio.throttle.io_service_bytes or a v2 io.stat. */
static void
io_bytes(const char *dir, bool unified, uint64_t *rd, uint64_t *wr)
{
	_cleanup_free_ char *path =
		xasprintf("%s/%s", dir, unified ? "io.stat" : "blkio.throttle.io_service_bytes");
	_cleanup_free_ char *data = NULL;
	uint64_t v;

	if (fs_read_file(path, 1 << 20, &data, NULL) < 0)
		return;
	for (char *line = data; line != NULL && *line != '\0';) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (unified) {
			/* "8:0 rbytes=1 wbytes=2 rios=..." */
			char *p = strstr(line, "rbytes=");
			if (p != NULL && sscanf(p + 7, "%" SCNu64, &v) == 1)
				*rd += v;
			p = strstr(line, "wbytes=");
			if (p != NULL && sscanf(p + 7, "%" SCNu64, &v) == 1)
				*wr += v;
		} else {
			/* "8:0 Read 4096" */
			char op[16];
			if (sscanf(line, "%*s %15s %" SCNu64, op, &v) == 2) {
				if (strcmp(op, "Read") == 0)
					*rd += v;
				else if (strcmp(op, "Write") == 0)
					*wr += v;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
}

json_t *
cgroup_stats(struct cgroups *cg, const char *id)
{
	uint64_t mem = 0, limit = UINT64_MAX, cpu_ns = 0, pids = 0, pids_max = UINT64_MAX;
	uint64_t rd = 0, wr = 0, v, inactive = 0;
	bool got_mem = false, got_cpu = false;

	for (size_t i = 0; i < cg->n; i++) {
		const struct cgroup_hierarchy *h = &cg->h[i];
		_cleanup_free_ char *dir = group_dir(cg, i, id);
		if (h->unified) {
			/* Page cache that can be dropped is not usage, as docker counts it. */
			if (read_u64(dir, "memory.current", &v) == 0) {
				mem = v, got_mem = true;
				if (read_key(dir, "memory.stat", "inactive_file", &inactive) == 0 &&
				    inactive < mem)
					mem -= inactive;
			}
			if (read_u64(dir, "memory.max", &v) == 0)
				limit = v;
			if (read_key(dir, "cpu.stat", "usage_usec", &v) == 0)
				cpu_ns = v * 1000, got_cpu = true;
			if (read_u64(dir, "pids.current", &v) == 0)
				pids = v;
			if (read_u64(dir, "pids.max", &v) == 0)
				pids_max = v;
			io_bytes(dir, true, &rd, &wr);
			continue;
		}
		if (cgroup_has(h, "memory")) {
			if (read_u64(dir, "memory.usage_in_bytes", &v) == 0) {
				mem = v, got_mem = true;
				if (read_key(dir, "memory.stat", "total_inactive_file",
					     &inactive) == 0 &&
				    inactive < mem)
					mem -= inactive;
			}
			/* v1 says "no limit" with a huge page-aligned number. */
			if (read_u64(dir, "memory.limit_in_bytes", &v) == 0 &&
			    v < (UINT64_C(1) << 62))
				limit = v;
		}
		if (cgroup_has(h, "cpuacct") && read_u64(dir, "cpuacct.usage", &v) == 0)
			cpu_ns = v, got_cpu = true;
		if (cgroup_has(h, "pids")) {
			if (read_u64(dir, "pids.current", &v) == 0)
				pids = v;
			if (read_u64(dir, "pids.max", &v) == 0)
				pids_max = v;
		}
		if (cgroup_has(h, "blkio"))
			io_bytes(dir, false, &rd, &wr);
	}
	json_t *o = json_object();
	json_object_set_new(o, "memory_usage",
			    got_mem ? json_integer((json_int_t)mem) : json_null());
	json_object_set_new(o, "memory_limit",
			    limit == UINT64_MAX ? json_null() : json_integer((json_int_t)limit));
	json_object_set_new(o, "cpu_ns", got_cpu ? json_integer((json_int_t)cpu_ns) : json_null());
	json_object_set_new(o, "pids", json_integer((json_int_t)pids));
	json_object_set_new(o, "pids_limit",
			    pids_max == UINT64_MAX ? json_null()
						   : json_integer((json_int_t)pids_max));
	json_object_set_new(o, "blkio_read", json_integer((json_int_t)rd));
	json_object_set_new(o, "blkio_write", json_integer((json_int_t)wr));
	return o;
}

int
cgroup_freeze(struct cgroups *cg, const char *id, bool frozen, struct ctr_error *err)
{
	bool done = false;

	for (size_t i = 0; i < cg->n; i++) {
		_cleanup_free_ char *dir = group_dir(cg, i, id);
		if (cg->h[i].unified) {
			_cleanup_free_ char *path = xasprintf("%s/cgroup.freeze", dir);
			if (access(path, F_OK) < 0)
				continue; /* Linux before 5.2: the v1 freezer, if any, does it */
			if (set(dir, "cgroup.freeze", frozen ? "1" : "0", false, err) < 0)
				return -1;
			done = true;
		} else if (cgroup_has(&cg->h[i], "freezer")) {
			if (set(dir, "freezer.state", frozen ? "FROZEN" : "THAWED", false, err) < 0)
				return -1;
			done = true;
		}
	}
	if (!done)
		return ctr_error_set(err, CTR_E_SYSTEM, ENOTSUP, "no cgroup freezer on this host");
	return 0;
}
