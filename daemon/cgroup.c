/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "bpfdev.h"
#include "cgroup.h"
#include "fsutil.h"
#include "log.h"
#include "rootpath.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* The v1 controllers a container gets a group in. */
static const char *const v1_controllers[] = {
	"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
};
/* What v2 delegates to the parent's children. */
static const char *const v2_controllers[] = { "cpu", "cpuset", "io", "memory", "pids", "hugetlb" };

const char *
cgroup_mode_name(enum cgroup_mode mode)
{
	static const char *const names[] = { "none", "v1", "hybrid", "v2" };
	return names[mode];
}

/* Writes a short value to dir/file; -1 with errno. */
static int
write_file(const char *dir, const char *file, const char *value)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	return write_all(fd, value, strlen(value));
}

/* The v1 controllers we use among a mount's options ("rw,cpu,cpuacct" -> "cpu,cpuacct"). */
static char *
wanted_controllers(const char *options)
{
	_cleanup_free_ char *copy = xstrdup(options);
	char *save = NULL, *out = xstrdup("");

	for (char *o = strtok_r(copy, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
		for (size_t i = 0; i < ARRAY_SIZE(v1_controllers); i++) {
			if (strcmp(o, v1_controllers[i]) != 0)
				continue;
			char *joined = xasprintf("%s%s%s", out, *out ? "," : "", o);
			free(out);
			out = joined;
		}
	}
	return out;
}

static void
add_hierarchy(struct cgroups *cg, const char *mount, const char *controllers, bool unified)
{
	if (cg->n == CGROUP_MAX_HIERARCHIES)
		return;
	cg->h[cg->n].mount = xstrdup(mount);
	cg->h[cg->n].controllers = xstrdup(controllers);
	cg->h[cg->n].unified = unified;
	cg->n++;
}

/* v1 and hybrid: every cgroup mount with a controller we use, and the cgroup2 one. */
static int
scan_mounts(struct cgroups *cg, struct ctr_error *err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (f == NULL)
		return ctr_error_sys(err, errno, "open /proc/self/mountinfo");
	while (getline(&line, &cap, f) > 0) {
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPEROPTS" */
		char *sep = strstr(line, " - ");
		char root[4096], point[4096], fstype[64], source[256], super[1024];
		if (sep == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2 ||
		    sscanf(sep + 3, "%63s %255s %1023s", fstype, source, super) != 3)
			continue;
		if (strncmp(point, CGROUP_ROOT "/", strlen(CGROUP_ROOT) + 1) != 0)
			continue;
		if (strcmp(fstype, "cgroup2") == 0) {
			add_hierarchy(cg, point, "", true);
		} else if (strcmp(fstype, "cgroup") == 0) {
			_cleanup_free_ char *ctl = wanted_controllers(super);
			if (*ctl != '\0')
				add_hierarchy(cg, point, ctl, false);
		}
	}
	return 0;
}

/* v1 cpuset: a new group has no CPUs or memory nodes until it copies its parent's. */
static void
copy_cpuset(const char *parent, const char *child)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *from = xasprintf("%s/%s", parent, files[i]);
		_cleanup_free_ char *value = NULL;
		if (fs_read_file(from, 4096, &value, NULL) == 0 &&
		    write_file(child, files[i], value) < 0)
			log_warn("cgroup: copy %s to %s: %s", files[i], child, strerror(errno));
	}
}

static void
enable_v2_controllers(const char *dir)
{
	for (size_t i = 0; i < ARRAY_SIZE(v2_controllers); i++) {
		_cleanup_free_ char *c = xasprintf("+%s", v2_controllers[i]);
		/* A controller the kernel or the parent lacks is simply not used. */
		(void)write_file(dir, "cgroup.subtree_control", c);
	}
}

static void remove_spares(struct cgroups *cg);

int
cgroup_init(struct cgroups *cg, const char *parent, struct ctr_error *err)
{
	struct statfs sf;

	memset(cg, 0, sizeof(*cg));
	cg->parent = xstrdup(parent);
	if (statfs(CGROUP_ROOT, &sf) < 0) {
		log_warn("cgroup: %s: %s; containers get no cgroups", CGROUP_ROOT, strerror(errno));
		return 0;
	}
	if (sf.f_type == CGROUP2_SUPER_MAGIC) {
		cg->mode = CGROUP_V2;
		add_hierarchy(cg, CGROUP_ROOT, "", true);
	} else {
		if (scan_mounts(cg, err) < 0)
			return -1;
		bool v1 = false, v2 = false;
		for (size_t i = 0; i < cg->n; i++)
			v1 |= !cg->h[i].unified, v2 |= cg->h[i].unified;
		cg->mode = v1 ? (v2 ? CGROUP_HYBRID : CGROUP_V1) : (v2 ? CGROUP_V2 : CGROUP_NONE);
	}
	for (size_t i = 0; i < cg->n; i++) {
		_cleanup_free_ char *dir = xasprintf("%s/%s", cg->h[i].mount, parent);
		if (fs_mkdir_p(dir, 0755, err) < 0)
			return ctr_error_prefix(err, "cgroup parent");
		/* Down from the root, each level hands its controllers (and CPUs) to the next. */
		_cleanup_free_ char *level = xstrdup(cg->h[i].mount);
		_cleanup_free_ char *rest = xstrdup(parent);
		char *save = NULL;
		for (char *comp = strtok_r(rest, "/", &save); comp != NULL;
		     comp = strtok_r(NULL, "/", &save)) {
			char *next = xasprintf("%s/%s", level, comp);
			if (cg->h[i].unified)
				enable_v2_controllers(level);
			else if (strstr(cg->h[i].controllers, "cpuset") != NULL)
				copy_cpuset(level, next);
			free(level);
			level = next;
		}
		if (cg->h[i].unified)
			enable_v2_controllers(dir);
		/* v1 cpuset: the kernel copies the parent's CPUs into each new group itself. */
		else if (strstr(cg->h[i].controllers, "cpuset") != NULL)
			cg->h[i].clones_cpuset = write_file(dir, "cgroup.clone_children", "1") == 0;
	}
	remove_spares(cg);
	log_info("cgroups: %s, containers under %s", cgroup_mode_name(cg->mode), parent);
	return 0;
}

void
cgroup_fini(struct cgroups *cg)
{
	remove_spares(cg);
	for (size_t i = 0; i < cg->n; i++) {
		free(cg->h[i].mount);
		free(cg->h[i].controllers);
	}
	free(cg->parent);
	memset(cg, 0, sizeof(*cg));
}

static char *
group_dir(const struct cgroups *cg, size_t i, const char *id)
{
	return xasprintf("%s/%s/%s", cg->h[i].mount, cg->parent, id);
}

static char *
spare_dir(const struct cgroups *cg, size_t i, unsigned spare)
{
	return xasprintf("%s/%s/.spare-%u", cg->h[i].mount, cg->parent, spare);
}

/* A group with no member process (v1 cgroup.procs reads empty). */
static bool
group_empty(const char *dir)
{
	_cleanup_free_ char *path = xasprintf("%s/cgroup.procs", dir);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char c;

	return fd >= 0 && read(fd, &c, 1) == 0;
}

/* Renames the v1 groups from one name to another; false (and nothing renamed) on failure. */
static bool
rename_v1_groups(const struct cgroups *cg, const char *const from[], const char *const to[])
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (!cg->h[i].unified && rename(from[i], to[i]) < 0)
			break;
	if (i == cg->n)
		return true;
	while (i-- > 0)
		if (!cg->h[i].unified)
			(void)rename(to[i], from[i]);
	return false;
}

bool
cgroup_has(const struct cgroup_hierarchy *h, const char *name)
{
	size_t len = strlen(name);

	if (h->unified)
		return true; /* decided by the files that exist */
	for (const char *p = h->controllers; *p != '\0'; p += strcspn(p, ",")) {
		p += *p == ',';
		if (strncmp(p, name, len) == 0 && (p[len] == ',' || p[len] == '\0'))
			return true;
	}
	return false;
}

/* Whether the first line of dir/file is want (or, with absent_ok, there is no such file). */
static bool
file_is(const char *dir, const char *file, const char *want, bool absent_ok)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[256];

	if (fd < 0)
		return absent_ok && errno == ENOENT;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return strcmp(buf, want) == 0;
}

/*
 * Whether an emptied group of hierarchy i has every limit ctrd sets at the
 * value a new group gets (cgroup_set_resources on a fresh group): read from
 * the files, which `update` may have changed, not from what was asked.
 */
static bool
group_plain(const struct cgroups *cg, size_t i, const char *dir)
{
	const struct cgroup_hierarchy *h = &cg->h[i];
	long page = sysconf(_SC_PAGESIZE);
	char max[24], pids[24];

	/* v1's "no limit": the largest count of pages, in bytes. */
	snprintf(max, sizeof(max), "%lld", (long long)(INT64_MAX / page * page));
	snprintf(pids, sizeof(pids), "%d", RESOURCES_DEFAULT_PIDS);
	if (cgroup_has(h, "memory") && (!file_is(dir, "memory.limit_in_bytes", max, false) ||
					!file_is(dir, "memory.memsw.limit_in_bytes", max, true)))
		return false;
	if (cgroup_has(h, "cpu") && (!file_is(dir, "cpu.cfs_quota_us", "-1", false) ||
				     !file_is(dir, "cpu.shares", "1024", false)))
		return false;
	if (cgroup_has(h, "pids") && !file_is(dir, "pids.max", pids, false))
		return false;
	if (cgroup_has(h, "cpuset")) {
		_cleanup_free_ char *parent = xasprintf("%s/%s", h->mount, cg->parent);
		_cleanup_free_ char *path = xasprintf("%s/cpuset.cpus", parent);
		_cleanup_free_ char *cpus = NULL;
		if (fs_read_file(path, 4096, &cpus, NULL) < 0)
			return false;
		cpus[strcspn(cpus, "\n")] = '\0';
		if (!file_is(dir, "cpuset.cpus", cpus, false))
			return false;
	}
	return true;
}

static int v1_devices(const char *dir, struct ctr_error *err);

/*
 * The container's empty v1 groups become a spare, their counters reset now
 * that nothing runs in them and their device rules written afresh (so that
 * every spare has ours, however its groups were made), with the unified one
 * (hybrid) left to the caller to remove; false if they are not all there
 * and empty, or there is no room.
 */
static bool
retire_groups(struct cgroups *cg, const char *id)
{
	static const char *const counters[][3] = {
		{ "memory", "memory.max_usage_in_bytes", "0" },
		{ "memory", "memory.memsw.max_usage_in_bytes", "0" },
		{ "memory", "memory.failcnt", "0" },
		{ "memory", "memory.memsw.failcnt", "0" },
		{ "cpuacct", "cpuacct.usage", "0" },
		{ "blkio", "blkio.reset_stats", "1" },
		{ "freezer", "freezer.state", "THAWED" },
	};
	char *from[CGROUP_MAX_HIERARCHIES] = { 0 }, *to[CGROUP_MAX_HIERARCHIES] = { 0 };
	unsigned n = cg->next_spare;
	bool v1 = cg->mode == CGROUP_V1 || cg->mode == CGROUP_HYBRID;
	bool ok = v1 && cg->nspare < CGROUP_MAX_SPARES, plain = true;

	for (size_t i = 0; ok && i < cg->n; i++) {
		if (cg->h[i].unified)
			continue;
		from[i] = group_dir(cg, i, id);
		to[i] = spare_dir(cg, i, n);
		ok = group_empty(from[i]);
		for (size_t k = 0; ok && k < ARRAY_SIZE(counters); k++)
			if (cgroup_has(&cg->h[i], counters[k][0]))
				(void)write_file(from[i], counters[k][1], counters[k][2]);
		if (ok && cgroup_has(&cg->h[i], "devices"))
			ok = v1_devices(from[i], NULL) == 0;
		plain = plain && ok && group_plain(cg, i, from[i]);
	}
	ok = ok && rename_v1_groups(cg, (const char *const *)from, (const char *const *)to);
	for (size_t i = 0; i < cg->n; i++)
		free(from[i]), free(to[i]);
	if (ok) {
		cg->spare[cg->nspare].n = n;
		cg->spare[cg->nspare++].plain = plain;
		cg->next_spare++;
	}
	return ok;
}

/*
 * The last spare's v1 groups become the container's, with their device
 * rules (the same for every container) and, if *plain, every limit as a
 * new group has them. False if there is none or the rename fails.
 */
static bool
take_spare(struct cgroups *cg, const char *id, bool *plain)
{
	char *from[CGROUP_MAX_HIERARCHIES] = { 0 }, *to[CGROUP_MAX_HIERARCHIES] = { 0 };
	bool ok = false;

	while (!ok && cg->nspare > 0) {
		cg->nspare--;
		unsigned n = cg->spare[cg->nspare].n;
		*plain = cg->spare[cg->nspare].plain;
		for (size_t i = 0; i < cg->n; i++) {
			if (cg->h[i].unified)
				continue;
			free(from[i]), free(to[i]);
			from[i] = spare_dir(cg, i, n);
			to[i] = group_dir(cg, i, id);
		}
		ok = rename_v1_groups(cg, (const char *const *)from, (const char *const *)to);
		if (!ok)
			for (size_t i = 0; i < cg->n; i++)
				if (from[i] != NULL)
					(void)rmdir(from[i]);
	}
	for (size_t i = 0; i < cg->n; i++)
		free(from[i]), free(to[i]);
	return ok;
}

/* Removes every spare: ours at exit, or, at start, any a previous daemon left. */
static void
remove_spares(struct cgroups *cg)
{
	for (size_t i = 0; i < cg->n; i++) {
		if (cg->h[i].unified)
			continue;
		_cleanup_free_ char *dir = xasprintf("%s/%s", cg->h[i].mount, cg->parent);
		DIR *d = opendir(dir);
		struct dirent *de;
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, ".spare-", 7) != 0)
				continue;
			_cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
			(void)rmdir(sub);
		}
		if (d != NULL)
			closedir(d);
	}
	cg->nspare = 0;
}

/* v1 devices: deny all, then the allow-list, a rule per write on one open file. */
static int
v1_devices(const char *dir, struct ctr_error *err)
{
	if (write_file(dir, "devices.deny", "a") < 0)
		return ctr_error_sys(err, errno, "%s/devices.deny", dir);
	_cleanup_free_ char *path = xasprintf("%s/devices.allow", dir);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ctr_error_sys(err, errno, "open %s", path);
	for (size_t i = 0; i < dev_rules_count; i++) {
		char rule[32];
		dev_rule_format(&dev_rules[i], rule);
		if (write_all(fd, rule, strlen(rule)) < 0)
			return ctr_error_sys(err, errno, "%s: %s", path, rule);
	}
	return 0;
}

static int
setup_group(const struct cgroups *cg, size_t i, const char *dir, struct ctr_error *err)
{
	const struct cgroup_hierarchy *h = &cg->h[i];

	if (h->unified) {
		_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return ctr_error_sys(err, errno, "open %s", dir);
		return bpfdev_attach(fd, err);
	}
	if (strstr(h->controllers, "cpuset") != NULL && !h->clones_cpuset) {
		_cleanup_free_ char *parent = xasprintf("%s/%s", h->mount, cg->parent);
		copy_cpuset(parent, dir);
	}
	if (strstr(h->controllers, "devices") != NULL)
		return v1_devices(dir, err);
	return 0;
}

/*
 * The file a process writes "0" into to join the group. v1: `tasks`, which
 * moves the writing thread alone; our inits and exec helpers are single
 * threaded, so that moves the process, and the kernel skips the global
 * threadgroup lock a cgroup.procs write takes (an RCU grace period, whole
 * milliseconds, on every container start). v2 has no such file for a
 * domain group: cgroup.procs.
 */
static const char *
join_file(const struct cgroup_hierarchy *h)
{
	return h->unified ? "cgroup.procs" : "tasks";
}

static int
destroy_groups(struct cgroups *cg, const char *id, bool may_retire, struct ctr_error *err);

int
cgroup_create(struct cgroups *cg, const char *id, int procs[CGROUP_MAX_HIERARCHIES + 1],
	      bool *fresh, struct ctr_error *err)
{
	size_t k = 0;

	procs[0] = -1;
	bool plain = false, spare = take_spare(cg, id, &plain);
	*fresh = !spare || plain;
	for (size_t i = 0; i < cg->n; i++) {
		_cleanup_free_ char *dir = group_dir(cg, i, id);
		/* A spare's v1 groups were renamed into place above, device rules and all. */
		if (!spare || cg->h[i].unified) {
			if (mkdir(dir, 0755) < 0) {
				if (errno != EEXIST) {
					ctr_error_sys(err, errno, "create cgroup %s", dir);
					goto fail;
				}
				*fresh = false;
			}
			if (setup_group(cg, i, dir, err) < 0)
				goto fail;
		}
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, join_file(&cg->h[i]));
		procs[k] = open(path, O_WRONLY | O_CLOEXEC);
		if (procs[k] < 0) {
			ctr_error_sys(err, errno, "open %s", path);
			goto fail;
		}
		procs[++k] = -1;
	}
	return 0;
fail:
	for (size_t i = 0; i < k; i++)
		close_fd(&procs[i]);
	/* Half made: removed, never a spare. */
	(void)destroy_groups(cg, id, false, NULL);
	return -1;
}

int
cgroup_open_procs(struct cgroups *cg, const char *id, int procs[CGROUP_MAX_HIERARCHIES + 1],
		  struct ctr_error *err)
{
	size_t k = 0;

	procs[0] = -1;
	for (size_t i = 0; i < cg->n; i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s/%s/%s", cg->h[i].mount, cg->parent, id,
						      join_file(&cg->h[i]));
		procs[k] = open(path, O_WRONLY | O_CLOEXEC);
		if (procs[k] < 0) {
			ctr_error_sys(err, errno, "open %s", path);
			for (size_t j = 0; j < k; j++)
				close_fd(&procs[j]);
			return -1;
		}
		procs[++k] = -1;
	}
	return 0;
}

int
cgroup_join(const int *procs, struct ctr_error *err)
{
	for (size_t i = 0; procs != NULL && procs[i] >= 0; i++)
		if (write(procs[i], "0", 1) != 1)
			return ctr_error_sys(err, errno, "join the container's cgroup");
	return 0;
}

/* Kills whatever is left in dir (v1: listed one by one; v2: cgroup.kill, Linux 5.14). */
static void
kill_members(const char *dir, bool unified)
{
	_cleanup_free_ char *path = xasprintf("%s/cgroup.procs", dir);
	_cleanup_free_ char *pids = NULL;

	if (unified && write_file(dir, "cgroup.kill", "1") == 0)
		return;
	if (fs_read_file(path, 1 << 20, &pids, NULL) < 0)
		return;
	for (char *p = pids, *end; *p != '\0'; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0)
			(void)kill((pid_t)pid, SIGKILL);
	}
}

int
cgroup_remove_if_empty(struct cgroups *cg, const char *id)
{
	int ret = 0;

	/* rmdir of a group with members fails: this can never hurt a live container. */
	for (size_t i = 0; i < cg->n; i++) {
		_cleanup_free_ char *dir = group_dir(cg, i, id);
		if (rmdir(dir) < 0 && errno != ENOENT)
			ret = -1;
	}
	return ret;
}

/*
 * Lifts the CPU quota of the container's groups in every hierarchy. A process
 * that dies is still charged for its exit (the teardown of its mount
 * namespace above all): under --cpus 0.01 that takes seconds, far longer than
 * cgroup_destroy() waits, and the group would be left behind for good.
 */
static void
lift_cpu_quota(const struct cgroups *cg, const char *id)
{
	for (size_t i = 0; i < cg->n; i++) {
		_cleanup_free_ char *dir = group_dir(cg, i, id);
		/* A hierarchy without the cpu controller has no such file (ENOENT). */
		(void)write_file(dir, cg->h[i].unified ? "cpu.max" : "cpu.cfs_quota_us",
				 cg->h[i].unified ? "max" : "-1");
	}
}

static int
destroy_groups(struct cgroups *cg, const char *id, bool may_retire, struct ctr_error *err)
{
	bool lifted = false;
	int ret = 0;

	/* Its v1 groups, empty, may serve the next container: then they are gone from here. */
	if (may_retire)
		(void)retire_groups(cg, id);
	for (size_t i = 0; i < cg->n; i++) {
		_cleanup_free_ char *dir = group_dir(cg, i, id);
		if (rmdir(dir) == 0 || errno == ENOENT)
			continue;
		if (errno == EBUSY) {
			/* Stragglers (an init killed mid-setup, say): they go too, at full speed. */
			if (!lifted)
				lift_cpu_quota(cg, id), lifted = true;
			kill_members(dir, cg->h[i].unified);
			for (int tries = 0; tries < 100 && rmdir(dir) < 0 && errno == EBUSY;
			     tries++)
				usleep(1000);
			if (access(dir, F_OK) != 0)
				continue;
		}
		ret = ctr_error_sys(err, errno, "remove cgroup %s", dir);
	}
	return ret;
}

int
cgroup_destroy(struct cgroups *cg, const char *id, struct ctr_error *err)
{
	return destroy_groups(cg, id, true, err);
}

/*
 * Binds the container's own group of hierarchy i, read-only, on where (the
 * directory name under dir): what a new mount of the hierarchy shows in the
 * container's cgroup namespace, for a tenth of the time (a v1 mount looks
 * the hierarchy up and builds a superblock view: ~200 us, eight times a
 * start). -1 to fall back to a new mount (a group we did not make), -2 with
 * errno if the bind is there and writable.
 */
static int
bind_group(const struct cgroups *cg, size_t i, const char *id, int dir, const char *name,
	   const char *where)
{
	if (id == NULL)
		return -1;
	_cleanup_free_ char *src = group_dir(cg, i, id);
	if (mount(src, where, NULL, MS_BIND, NULL) < 0)
		return -1;
	/* The new mount, not the directory it covers: open it by name again. */
	_cleanup_close_ int top = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char path[FD_PATH_MAX];
	if (top >= 0) {
		fd_path(top, path);
		if (mount(NULL, path, NULL,
			  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) == 0)
			return 0;
	}
	/* Never leave it writable: take it away and mount the hierarchy instead. */
	return umount2(where, MNT_DETACH) < 0 ? -2 : -1;
}

int
cgroup_mount_inside(const struct cgroups *cg, const char *id, int rootfd, struct ctr_error *err)
{
	unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	char target[FD_PATH_MAX];

	if (cg->mode == CGROUP_NONE)
		return 0;
	_cleanup_close_ int fd = root_open(rootfd, CGROUP_ROOT, O_PATH | O_DIRECTORY,
					   ROOT_NO_SYMLINKS);
	if (fd < 0)
		return errno == ENOENT ? 0 : ctr_error_sys(err, errno, "open " CGROUP_ROOT);
	fd_path(fd, target);
	if (cg->mode == CGROUP_V2) {
		if (mount("cgroup2", target, "cgroup2", ro, NULL) < 0)
			return ctr_error_sys(err, errno, "mount cgroup2 on " CGROUP_ROOT);
		return 0;
	}
	/* v1: a tmpfs of mount points, one per hierarchy, all read-only in the end. */
	if (mount("cgroup", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		return ctr_error_sys(err, errno, "mount tmpfs on " CGROUP_ROOT);
	_cleanup_close_ int dir = root_open(rootfd, CGROUP_ROOT, O_PATH | O_DIRECTORY,
					    ROOT_NO_SYMLINKS);
	if (dir < 0)
		return ctr_error_sys(err, errno, "open " CGROUP_ROOT);
	for (size_t i = 0; i < cg->n; i++) {
		const char *name = strrchr(cg->h[i].mount, '/') + 1;
		if (mkdirat(dir, name, 0755) < 0 && errno != EEXIST)
			return ctr_error_sys(err, errno, "mkdir " CGROUP_ROOT "/%s", name);
		_cleanup_close_ int sub = openat(dir, name,
						 O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char where[FD_PATH_MAX];
		if (sub < 0)
			return ctr_error_sys(err, errno, "open " CGROUP_ROOT "/%s", name);
		fd_path(sub, where);
		int b = bind_group(cg, i, id, dir, name, where);
		if (b == 0)
			continue;
		if (b == -2)
			return ctr_error_sys(err, errno, "undo the bind of cgroup %s", name);
		int r = cg->h[i].unified
				? mount("cgroup2", where, "cgroup2", ro, NULL)
				: mount("cgroup", where, "cgroup", ro, cg->h[i].controllers);
		if (r < 0)
			return ctr_error_sys(err, errno, "mount cgroup %s", name);
	}
	/* Through the fd opened on the tmpfs, not the directory under it. */
	char tmpfs[FD_PATH_MAX];
	fd_path(dir, tmpfs);
	if (mount(NULL, tmpfs, NULL, MS_REMOUNT | ro, "mode=755") < 0)
		return ctr_error_sys(err, errno, "make " CGROUP_ROOT " read-only");
	return 0;
}
