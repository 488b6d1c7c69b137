/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for resource limits: sizes as ctrctl parses them (parse_size),
 * daemon/resources.h (validation, --memory-swap as docker means it, --cpus
 * as a CFS quota, v1 shares as a v2 weight, cpuset lists), and what
 * daemon/cgroup_res.c writes to which file on a v2 and on a v1 hierarchy,
 * reads back for stats and the OOM count, and writes to freeze. The
 * hierarchies are plain directories under a temporary one, with empty
 * files where the kernel would have control files.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cgroup.h"
#include "fsutil.h"
#include "resources.h"

#define MiB (INT64_C(1) << 20)
#define ID  "0123456789abcdef"

/* ------------------------------------------------------------------ parse_size */

static void
expect_size(const char *s, int64_t want)
{
	int64_t v = -12345;

	if (parse_size(s, &v) != 0)
		fail_msg("parse_size(\"%s\") refused a valid size", s);
	if (v != want)
		fail_msg("parse_size(\"%s\") = %lld, expected %lld", s, (long long)v,
			 (long long)want);
}

static void
test_size_suffixes(void **state)
{
	(void)state;
	expect_size("0", 0);
	expect_size("1", 1);
	expect_size("4096", 4096);
	expect_size("7b", 7);
	expect_size("7B", 7);
	expect_size("1k", 1024);
	expect_size("1K", 1024);
	expect_size("64m", 64 * MiB);
	expect_size("64M", 64 * MiB);
	expect_size("2g", 2048 * MiB);
	expect_size("2G", 2048 * MiB);
	expect_size("1t", INT64_C(1) << 40);
	expect_size("1T", INT64_C(1) << 40);
	/* docker's other spellings of the same units. */
	expect_size("512mb", 512 * MiB);
	expect_size("512MB", 512 * MiB);
	expect_size("1gb", 1024 * MiB);
	expect_size("1GiB", 1024 * MiB);
	expect_size("1kib", 1024);
	expect_size("0m", 0);
	expect_size("007k", 7 * 1024);
}

static void
test_size_limits(void **state)
{
	int64_t v;
	(void)state;

	expect_size("9223372036854775807", INT64_MAX);
	/* The largest that fit with each suffix, and one more. */
	expect_size("8589934591g", INT64_C(8589934591) << 30);
	expect_size("8388607t", INT64_C(8388607) << 40);
	assert_int_equal(parse_size("9223372036854775808", &v), -1);
	assert_int_equal(parse_size("18446744073709551615", &v), -1);
	assert_int_equal(parse_size("18446744073709551616", &v), -1);
	assert_int_equal(parse_size("99999999999999999999999", &v), -1);
	assert_int_equal(parse_size("8589934592g", &v), -1);
	assert_int_equal(parse_size("8388608t", &v), -1);
	assert_int_equal(parse_size("9007199254740992k", &v), -1);
	assert_int_equal(parse_size("8796093022208m", &v), -1);
}

static void
test_size_junk(void **state)
{
	static const char *const bad[] = {
		"",    "k",	"m",   "-1",   "-1k", "+1",   "+1m",  " 1",    "1 ",	"1 m",
		"1x",  "1.5g",	"1e6", "0x10", "1kk", "1mm",  "1bb",  "1ib",   "1kbb",	"1kbi",
		"1mi", "1mibs", "1m ", "1\n",  "m1",  "1p",   "1e",   "1,000", "1_000", "--1",
		"1k1", "1kb1",	"\t1", "1\t",  "0b1", "1gig", "1 gb",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 42;
		if (parse_size(bad[i], &v) != -1)
			fail_msg("parse_size(\"%s\") accepted it as %lld", bad[i], (long long)v);
		assert_int_equal(v, 42); /* untouched on error */
	}
	int64_t v;
	assert_int_equal(parse_size(NULL, &v), -1);
}

/* ------------------------------------------------------------------ pure mappings */

static void
test_cpu_quota(void **state)
{
	struct ctr_resources r = { 0 };
	(void)state;

	assert_int_equal(resources_cpu_quota(&r), -1); /* no limit */
	r.cpus = 0.5;
	assert_int_equal(resources_cpu_quota(&r), 50000);
	r.cpus = 1.5;
	assert_int_equal(resources_cpu_quota(&r), 150000);
	r.cpus = 0.01; /* the smallest ctrd takes: 1 ms, the kernel's minimum quota */
	assert_int_equal(resources_cpu_quota(&r), 1000);
	r.cpus = 2;
	assert_int_equal(resources_cpu_quota(&r), 200000);
	r.cpus = 1024;
	assert_int_equal(resources_cpu_quota(&r), 102400000);
	/* Rounded to the nearest microsecond, not truncated (0.7 * 100000 is 69999.99...). */
	r.cpus = 0.7;
	assert_int_equal(resources_cpu_quota(&r), 70000);
	r.cpus = 0.29;
	assert_int_equal(resources_cpu_quota(&r), 29000);
	r.cpus = 1.0 / 3;
	assert_int_equal(resources_cpu_quota(&r), 33333);
	r.cpus = 2.0 / 3;
	assert_int_equal(resources_cpu_quota(&r), 66667);
	assert_int_equal(RESOURCES_CPU_PERIOD, 100000);
}

static void
test_shares_to_weight(void **state)
{
	(void)state;
	/* crun's and runc's log-scale curve: the defaults (1024, 100) meet. */
	assert_int_equal(resources_shares_to_weight(2), 1);
	assert_int_equal(resources_shares_to_weight(262144), 10000);
	assert_int_equal(resources_shares_to_weight(1024), 100);
	assert_int_equal(resources_shares_to_weight(512), 59);
	assert_int_equal(resources_shares_to_weight(2048), 174);
	assert_int_equal(resources_shares_to_weight(100), 17);
	assert_int_equal(resources_shares_to_weight(131073), 5478);
	/* Not given (0, or negative through a bad caller): the kernel's default weight. */
	assert_int_equal(resources_shares_to_weight(0), 100);
	assert_int_equal(resources_shares_to_weight(-5), 100);
	/* Out of v1's range: clamped to it. */
	assert_int_equal(resources_shares_to_weight(1), 1);
	assert_int_equal(resources_shares_to_weight(262145), 10000);
	assert_int_equal(resources_shares_to_weight(INT64_MAX), 10000);
	/* Never decreasing, always within cpu.weight's 1..10000. */
	uint64_t prev = 1;
	for (int64_t s = 2; s <= 262144; s++) {
		uint64_t w = resources_shares_to_weight(s);
		if (w < prev || w < 1 || w > 10000)
			fail_msg("shares %lld -> weight %llu after %llu", (long long)s,
				 (unsigned long long)w, (unsigned long long)prev);
		prev = w;
	}
}

static void
test_cpuset_valid(void **state)
{
	static const char *const good[] = {
		"0", "3", "0-3", "0,1", "0,2-3", "1-1", "0-1,3", "3,0", "0,0", "0-0,1-1,2-2,3-3",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!resources_valid_cpuset(good[i], 4))
			fail_msg("\"%s\" refused with 4 CPUs", good[i]);
	assert_true(resources_valid_cpuset("0", 1));
	assert_true(resources_valid_cpuset("127", 128));
}

static void
test_cpuset_invalid(void **state)
{
	static const char *const bad[] = {
		"",	 "4",
		"0-4",	 "4-5",
		"-1",	 "1-0",
		"0-",	 "-",
		"-0",	 ",",
		",0",	 "0,",
		"0,,1",	 "a",
		"0a",	 "0 1",
		"0-1-2", "0x1",
		"1.0",	 "0;1",
		"0\n",	 "99999999999999999999",
		"+1",	 " 1",
		"1 ",	 "0-+1",
		"0- 1",	 "0, 1",
		"\t0",	 "0-1,+2",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (resources_valid_cpuset(bad[i], 4))
			fail_msg("\"%s\" accepted with 4 CPUs", bad[i]);
	assert_false(resources_valid_cpuset("1", 1));
}

static void
test_memory_swap(void **state)
{
	struct ctr_resources r = { 0 };
	(void)state;

	/* No memory limit: no swap limit. */
	assert_int_equal(resources_memory_swap(&r), -1);
	r.memory_swap = -1;
	assert_int_equal(resources_memory_swap(&r), -1);
	/* -m alone: as much swap again, memory plus swap twice the memory (docker). */
	r.memory = 64 * MiB, r.memory_swap = 0;
	assert_int_equal(resources_memory_swap(&r), 128 * MiB);
	/* -1: unlimited swap. */
	r.memory_swap = -1;
	assert_int_equal(resources_memory_swap(&r), -1);
	/* Given: memory plus swap as is; equal to memory means no swap. */
	r.memory_swap = 96 * MiB;
	assert_int_equal(resources_memory_swap(&r), 96 * MiB);
	r.memory_swap = 64 * MiB;
	assert_int_equal(resources_memory_swap(&r), 64 * MiB);
}

static void
test_pids(void **state)
{
	struct ctr_resources r = { 0 };
	(void)state;

	assert_int_equal(resources_pids(&r), RESOURCES_DEFAULT_PIDS);
	assert_int_equal(RESOURCES_DEFAULT_PIDS, 4096);
	r.pids_limit = -1;
	assert_int_equal(resources_pids(&r), -1);
	r.pids_limit = 1;
	assert_int_equal(resources_pids(&r), 1);
	r.pids_limit = 100;
	assert_int_equal(resources_pids(&r), 100);
}

/* ------------------------------------------------------------------ resources_from_json */

static json_t *
load(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);

	if (v == NULL)
		fail_msg("bad test JSON %s: %s", text, jerr.text);
	return v;
}

/* resources_from_json(text) over r: 0, or -1 with the message containing want. */
static int
from_json(struct ctr_resources *r, const char *text, const char *want)
{
	json_t *params = load(text);
	struct ctr_error err = CTR_ERROR_INIT;
	int ret = resources_from_json(r, params, &err);

	json_decref(params);
	if (want == NULL && ret != 0)
		fail_msg("%s: refused: %s", text, err.msg);
	if (want != NULL) {
		if (ret != -1)
			fail_msg("%s: accepted", text);
		assert_int_equal(err.code, CTR_E_INVALID_PARAMS);
		if (strstr(err.msg, want) == NULL)
			fail_msg("%s: \"%s\" does not say \"%s\"", text, err.msg, want);
	}
	ctr_error_clear(&err);
	return ret;
}

static void
test_from_json_valid(void **state)
{
	struct ctr_resources r = { 0 };
	(void)state;

	from_json(&r,
		  "{\"memory\":67108864,\"memory_swap\":100663296,\"cpus\":1.5,"
		  "\"cpu_shares\":512,\"cpuset_cpus\":\"0\",\"pids_limit\":100}",
		  NULL);
	assert_int_equal(r.memory, 64 * MiB);
	assert_int_equal(r.memory_swap, 96 * MiB);
	assert_true(r.cpus == 1.5);
	assert_int_equal(r.cpu_shares, 512);
	assert_string_equal(r.cpuset_cpus, "0");
	assert_int_equal(r.pids_limit, 100);
	/* update: what is absent keeps its value. */
	from_json(&r, "{\"pids_limit\":50}", NULL);
	assert_int_equal(r.memory, 64 * MiB);
	assert_int_equal(r.memory_swap, 96 * MiB);
	assert_string_equal(r.cpuset_cpus, "0");
	assert_int_equal(r.pids_limit, 50);
	/* Nothing at all changes nothing. */
	from_json(&r, "{}", NULL);
	assert_int_equal(r.pids_limit, 50);
	/* "" is every CPU again. */
	from_json(&r, "{\"cpuset_cpus\":\"\"}", NULL);
	assert_null(r.cpuset_cpus);
	/* Unlimited swap; then no limits at all. */
	from_json(&r, "{\"memory_swap\":-1}", NULL);
	assert_int_equal(r.memory_swap, -1);
	from_json(&r, "{\"memory\":0,\"memory_swap\":0,\"cpus\":0,\"pids_limit\":-1}", NULL);
	assert_int_equal(r.memory, 0);
	assert_int_equal(r.memory_swap, 0);
	assert_true(r.cpus == 0);
	assert_int_equal(r.pids_limit, -1);
	/* The smallest memory limit, and swap equal to memory (no swap). */
	from_json(&r, "{\"memory\":6291456,\"memory_swap\":6291456}", NULL);
	assert_int_equal(r.memory, RESOURCES_MIN_MEMORY);
	/* The smallest and the largest CPU quota. */
	char *all = xasprintf("{\"cpus\":%ld}", sysconf(_SC_NPROCESSORS_CONF));
	from_json(&r, "{\"cpus\":0.01}", NULL);
	from_json(&r, all, NULL);
	free(all);
	resources_free(&r);
	assert_null(r.cpuset_cpus);
}

static void
test_from_json_invalid(void **state)
{
	struct ctr_resources r = { 0 };
	(void)state;

	from_json(&r, "{\"memory\":1024}", "params.memory: at least");
	r = (struct ctr_resources){ 0 };
	from_json(&r, "{\"memory\":6291455}", "params.memory: at least");
	r = (struct ctr_resources){ 0 };
	/* Memory plus swap below memory. */
	from_json(&r, "{\"memory\":67108864,\"memory_swap\":33554432}",
		  "params.memory_swap: memory plus swap (33554432) is less than memory (67108864)");
	r = (struct ctr_resources){ 0 };
	from_json(&r, "{\"memory\":67108864,\"memory_swap\":67108863}", "params.memory_swap");
	r = (struct ctr_resources){ 0 };
	/* A swap limit needs a memory limit. */
	from_json(&r, "{\"memory_swap\":67108864}", "params.memory_swap: needs a memory limit");
	/* update: a new memory limit over the swap limit already set. */
	r = (struct ctr_resources){ .memory = 64 * MiB, .memory_swap = 128 * MiB };
	from_json(&r, "{\"memory\":268435456}", "params.memory_swap");
	/* update: dropping the memory limit while a swap limit stays. */
	r = (struct ctr_resources){ .memory = 64 * MiB, .memory_swap = 128 * MiB };
	from_json(&r, "{\"memory\":0}", "params.memory_swap: needs a memory limit");
	r = (struct ctr_resources){ 0 };
	from_json(&r, "{\"cpus\":0.001}", "params.cpus");
	from_json(&r, "{\"cpus\":0.0099}", "params.cpus");
	char *over = xasprintf("{\"cpus\":%ld.5}", sysconf(_SC_NPROCESSORS_CONF));
	from_json(&r, over, "params.cpus");
	free(over);
	from_json(&r, "{\"cpus\":-1}", "params.cpus");
	char *cpu = xasprintf("{\"cpuset_cpus\":\"%ld\"}", sysconf(_SC_NPROCESSORS_CONF));
	from_json(&r, cpu, "params.cpuset_cpus");
	free(cpu);
	from_json(&r, "{\"cpuset_cpus\":\"1-0\"}",
		  "params.cpuset_cpus: \"1-0\" is not a list of CPUs");
	from_json(&r, "{\"cpuset_cpus\":\"+0\"}", "params.cpuset_cpus");
	assert_null(r.cpuset_cpus);
	resources_free(&r);
}

static void
test_to_json_round_trip(void **state)
{
	struct ctr_resources a = { .memory = 64 * MiB,
				   .memory_swap = -1,
				   .cpus = 0.5,
				   .cpu_shares = 2,
				   .cpuset_cpus = xstrdup("0"),
				   .pids_limit = 10 };
	struct ctr_resources b = { 0 };
	json_t *o = json_object();
	(void)state;

	resources_to_json(&a, o);
	struct ctr_error err = CTR_ERROR_INIT;
	assert_int_equal(resources_from_json(&b, o, &err), 0);
	assert_int_equal(b.memory, a.memory);
	assert_int_equal(b.memory_swap, a.memory_swap);
	assert_true(b.cpus == a.cpus);
	assert_int_equal(b.cpu_shares, a.cpu_shares);
	assert_string_equal(b.cpuset_cpus, "0");
	assert_int_equal(b.pids_limit, a.pids_limit);
	json_decref(o);
	/* No cpuset: "" in JSON, NULL again. */
	resources_free(&a);
	o = json_object();
	resources_to_json(&a, o);
	assert_string_equal(json_string_value(json_object_get(o, "cpuset_cpus")), "");
	assert_int_equal(resources_from_json(&b, o, &err), 0);
	assert_null(b.cpuset_cpus);
	json_decref(o);
	resources_free(&b);
}

/* ------------------------------------------------------------------ fake hierarchies */

struct fake {
	char *top;	   /* the temporary directory */
	struct cgroups cg; /* its hierarchies, parent "ctrd" */
};

static void
put(const char *dir, const char *file, const char *content)
{
	char *path = xasprintf("%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, content, strlen(content)), 0);
	close(fd);
	free(path);
}

/* The file's content; NULL if it does not exist. */
static char *
get(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	char *data = NULL;

	if (fs_read_file(path, 4096, &data, NULL) < 0) {
		assert_int_equal(errno, ENOENT);
		data = NULL;
	}
	free(path);
	return data;
}

#define assert_file(dir, file, want)                                                          \
	do {                                                                                  \
		char *got_ = get(dir, file);                                                  \
		if (got_ == NULL || strcmp(got_, want) != 0)                                  \
			fail_msg("%s: \"%s\", expected \"%s\"", file, got_ ? got_ : "(none)", \
				 want);                                                       \
		free(got_);                                                                   \
	} while (0)

/* A hierarchy at top/name (controllers "" for the unified one); returns the container's group. */
static char *
add(struct fake *f, const char *name, const char *controllers)
{
	size_t i = f->cg.n++;
	struct ctr_error err = CTR_ERROR_INIT;

	f->cg.h[i].mount = xasprintf("%s/%s", f->top, name);
	f->cg.h[i].controllers = xstrdup(controllers);
	f->cg.h[i].unified = *controllers == '\0';
	char *dir = xasprintf("%s/ctrd/" ID, f->cg.h[i].mount);
	assert_int_equal(fs_mkdir_p(dir, 0755, &err), 0);
	return dir;
}

/* Empty control files, as a fresh group has them (empty here, so a write shows as is). */
static void
files(const char *dir, const char *const *names)
{
	for (; *names != NULL; names++)
		put(dir, *names, "");
}

static const char *const v2_files[] = {
	"memory.max", "memory.swap.max", "cpu.max", "cpu.weight", "cpuset.cpus", "pids.max", NULL,
};

static int
fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->top = xstrdup("/tmp/test_resources.XXXXXX");
	assert_non_null(mkdtemp(f->top));
	f->cg.parent = xstrdup("ctrd");
	*state = f;
	return 0;
}

static int
fake_teardown(void **state)
{
	struct fake *f = *state;

	assert_int_equal(fs_remove_tree(f->top, NULL), 0);
	free(f->top);
	cgroup_fini(&f->cg);
	free(f);
	return 0;
}

/* cgroup_set_resources() of r on fresh files, which must succeed. */
static void
apply(struct fake *f, const char *dir, const char *const *names, const struct ctr_resources *r)
{
	struct ctr_error err = CTR_ERROR_INIT;

	if (names != NULL)
		files(dir, names);
	if (cgroup_set_resources(&f->cg, ID, r, false, &err) != 0)
		fail_msg("cgroup_set_resources: %s", err.msg);
}

static void
test_v2_files(void **state)
{
	struct fake *f = *state;
	_cleanup_free_ char *g = add(f, "unified", "");

	/* No limits: everything "max", the default weight, ctrd's pids limit; cpuset as it is. */
	apply(f, g, v2_files, &(struct ctr_resources){ 0 });
	assert_file(g, "memory.max", "max");
	assert_file(g, "memory.swap.max", "max");
	assert_file(g, "cpu.max", "max 100000");
	assert_file(g, "cpu.weight", "100");
	assert_file(g, "pids.max", "4096");
	assert_file(g, "cpuset.cpus", "");
	/* Everything at once (docker run -m 64m --memory-swap 96m --cpus 0.5 -c 512 ...). */
	apply(f, g, v2_files,
	      &(struct ctr_resources){ .memory = 64 * MiB,
				       .memory_swap = 96 * MiB,
				       .cpus = 0.5,
				       .cpu_shares = 512,
				       .cpuset_cpus = (char *)"0-1",
				       .pids_limit = 100 });
	assert_file(g, "memory.max", "67108864");
	/* memory.swap.max counts swap alone: memory plus swap minus memory. */
	assert_file(g, "memory.swap.max", "33554432");
	assert_file(g, "cpu.max", "50000 100000");
	assert_file(g, "cpu.weight", "59");
	assert_file(g, "cpuset.cpus", "0-1");
	assert_file(g, "pids.max", "100");
	/* update --cpuset-cpus "" after a list: every CPU the parent has (not "": 6.1 refuses). */
	char *parent = xasprintf("%s/..", g);
	put(parent, "cpuset.cpus.effective", "0-3\n");
	put(g, "cpuset.cpus", "1\n");
	apply(f, NULL, NULL, &(struct ctr_resources){ 0 });
	assert_file(g, "cpuset.cpus", "0-3\n");
	free(parent);
}

static void
test_v2_memory_swap(void **state)
{
	struct fake *f = *state;
	_cleanup_free_ char *g = add(f, "unified", "");

	/* -m alone: as much swap again. */
	apply(f, g, v2_files, &(struct ctr_resources){ .memory = 64 * MiB });
	assert_file(g, "memory.swap.max", "67108864");
	/* --memory-swap equal to -m: no swap. */
	apply(f, g, v2_files,
	      &(struct ctr_resources){ .memory = 64 * MiB, .memory_swap = 64 * MiB });
	assert_file(g, "memory.swap.max", "0");
	/* --memory-swap -1: unlimited swap under a memory limit. */
	apply(f, g, v2_files, &(struct ctr_resources){ .memory = 64 * MiB, .memory_swap = -1 });
	assert_file(g, "memory.max", "67108864");
	assert_file(g, "memory.swap.max", "max");
	/* --memory-swap -1 and no memory limit. */
	apply(f, g, v2_files, &(struct ctr_resources){ .memory_swap = -1 });
	assert_file(g, "memory.max", "max");
	assert_file(g, "memory.swap.max", "max");
}

static void
test_v2_cpu_and_pids(void **state)
{
	struct fake *f = *state;
	_cleanup_free_ char *g = add(f, "unified", "");

	apply(f, g, v2_files, &(struct ctr_resources){ .cpus = 1.5, .cpu_shares = 2 });
	assert_file(g, "cpu.max", "150000 100000");
	assert_file(g, "cpu.weight", "1");
	apply(f, g, v2_files, &(struct ctr_resources){ .cpus = 0.01, .cpu_shares = 262144 });
	assert_file(g, "cpu.max", "1000 100000");
	assert_file(g, "cpu.weight", "10000");
	apply(f, g, v2_files, &(struct ctr_resources){ .cpu_shares = 1024, .pids_limit = -1 });
	assert_file(g, "cpu.max", "max 100000");
	assert_file(g, "cpu.weight", "100");
	assert_file(g, "pids.max", "max");
}

/* A v2 group can lack files: no swap accounting, the cpuset controller not enabled. */
static void
test_v2_missing_files(void **state)
{
	struct fake *f = *state;
	_cleanup_free_ char *g = add(f, "unified", "");
	static const char *const some[] = { "memory.max", "cpu.max", "pids.max", NULL };

	apply(f, g, some,
	      &(struct ctr_resources){
		      .memory = 64 * MiB, .cpus = 1, .cpuset_cpus = (char *)"0", .pids_limit = 7 });
	assert_file(g, "memory.max", "67108864");
	assert_file(g, "cpu.max", "100000 100000");
	assert_file(g, "pids.max", "7");
	char *none = get(g, "memory.swap.max");
	assert_null(none);
	/* A file that cannot be written is an error that names it. */
	struct ctr_error err = CTR_ERROR_INIT;
	char *path = xasprintf("%s/pids.max", g);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(
		cgroup_set_resources(&f->cg, ID, &(struct ctr_resources){ 0 }, false, &err), -1);
	if (strstr(err.msg, "pids.max") == NULL)
		fail_msg("the error does not name pids.max: %s", err.msg);
	ctr_error_clear(&err);
	assert_int_equal(rmdir(path), 0);
	free(path);
}

static const char *const v1_memory_files[] = {
	"memory.limit_in_bytes",
	"memory.memsw.limit_in_bytes",
	NULL,
};
static const char *const v1_cpu_files[] = { "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.shares",
					    NULL };
static const char *const v1_pids_files[] = { "pids.max", NULL };
static const char *const v1_cpuset_files[] = { "cpuset.cpus", NULL };

struct v1 {
	char *memory, *cpu, *pids, *cpuset, *unified;
};

/* The v1 controllers ctrd limits with, and (hybrid) an empty cgroup2 beside them. */
static void
v1_setup(struct fake *f, struct v1 *v)
{
	v->memory = add(f, "memory", "memory");
	v->cpu = add(f, "cpu,cpuacct", "cpu,cpuacct");
	v->pids = add(f, "pids", "pids");
	v->cpuset = add(f, "cpuset", "cpuset");
	v->unified = add(f, "unified", "");
}

static void
v1_fresh(const struct v1 *v)
{
	files(v->memory, v1_memory_files);
	files(v->cpu, v1_cpu_files);
	files(v->pids, v1_pids_files);
	files(v->cpuset, v1_cpuset_files);
}

static void
v1_free(struct v1 *v)
{
	free(v->memory);
	free(v->cpu);
	free(v->pids);
	free(v->cpuset);
	free(v->unified);
}

/* cgroup_set_resources() on a group cgroup_create() has just made. */
static void
apply_fresh(struct fake *f, const struct ctr_resources *r)
{
	struct ctr_error err = CTR_ERROR_INIT;

	if (cgroup_set_resources(&f->cg, ID, r, true, &err) != 0)
		fail_msg("cgroup_set_resources: %s", err.msg);
}

static void
test_fresh_group_keeps_defaults(void **state)
{
	struct fake *f = *state;
	struct v1 v;

	v1_setup(f, &v);
	_cleanup_free_ char *g = xstrdup(v.unified);
	/* No limits on a new group: only ctrd's own pids default differs from the kernel's. */
	v1_fresh(&v);
	files(g, v2_files);
	apply_fresh(f, &(struct ctr_resources){ 0 });
	assert_file(v.memory, "memory.limit_in_bytes", "");
	assert_file(v.memory, "memory.memsw.limit_in_bytes", "");
	assert_file(v.cpu, "cpu.cfs_period_us", "");
	assert_file(v.cpu, "cpu.cfs_quota_us", "");
	assert_file(v.cpu, "cpu.shares", "");
	assert_file(v.pids, "pids.max", "4096");
	assert_file(v.cpuset, "cpuset.cpus", "");
	assert_file(g, "memory.max", "");
	assert_file(g, "memory.swap.max", "");
	assert_file(g, "cpu.max", "");
	assert_file(g, "cpu.weight", "");
	assert_file(g, "pids.max", "4096");
	/* -c 1024 is the default too; a limit is written with what goes with it. */
	v1_fresh(&v);
	files(g, v2_files);
	apply_fresh(f, &(struct ctr_resources){ .memory = 64 * MiB, .cpu_shares = 1024 });
	assert_file(v.memory, "memory.limit_in_bytes", "67108864");
	assert_file(v.memory, "memory.memsw.limit_in_bytes", "134217728");
	assert_file(v.cpu, "cpu.shares", "");
	assert_file(g, "memory.max", "67108864");
	assert_file(g, "memory.swap.max", "67108864");
	assert_file(g, "cpu.weight", "");
	v1_fresh(&v);
	files(g, v2_files);
	apply_fresh(f, &(struct ctr_resources){ .cpus = 0.5, .cpuset_cpus = (char *)"1" });
	assert_file(v.cpu, "cpu.cfs_period_us", "100000");
	assert_file(v.cpu, "cpu.cfs_quota_us", "50000");
	assert_file(v.cpu, "cpu.shares", "1024");
	assert_file(v.cpuset, "cpuset.cpus", "1");
	assert_file(v.memory, "memory.limit_in_bytes", "");
	assert_file(g, "cpu.max", "50000 100000");
	assert_file(g, "cpuset.cpus", "1");
	v1_free(&v);
}

static void
test_v1_files(void **state)
{
	struct fake *f = *state;
	struct v1 v;

	v1_setup(f, &v);
	/* No limits: -1 (v1's "none"), shares 1024, ctrd's pids limit; cpuset as it is. */
	v1_fresh(&v);
	apply(f, NULL, NULL, &(struct ctr_resources){ 0 });
	assert_file(v.memory, "memory.limit_in_bytes", "-1");
	assert_file(v.memory, "memory.memsw.limit_in_bytes", "-1");
	assert_file(v.cpu, "cpu.cfs_period_us", "100000");
	assert_file(v.cpu, "cpu.cfs_quota_us", "-1");
	assert_file(v.cpu, "cpu.shares", "1024");
	assert_file(v.pids, "pids.max", "4096");
	assert_file(v.cpuset, "cpuset.cpus", "");
	/* Everything at once. memsw is memory plus swap, unlike v2's swap alone. */
	v1_fresh(&v);
	apply(f, NULL, NULL,
	      &(struct ctr_resources){ .memory = 64 * MiB,
				       .memory_swap = 96 * MiB,
				       .cpus = 0.5,
				       .cpu_shares = 512,
				       .cpuset_cpus = (char *)"1",
				       .pids_limit = 100 });
	assert_file(v.memory, "memory.limit_in_bytes", "67108864");
	assert_file(v.memory, "memory.memsw.limit_in_bytes", "100663296");
	assert_file(v.cpu, "cpu.cfs_period_us", "100000");
	assert_file(v.cpu, "cpu.cfs_quota_us", "50000");
	assert_file(v.cpu, "cpu.shares", "512");
	assert_file(v.cpuset, "cpuset.cpus", "1");
	assert_file(v.pids, "pids.max", "100");
	/* -m alone: memsw twice the memory; --memory-swap -1: unlimited; --pids-limit -1: max. */
	v1_fresh(&v);
	apply(f, NULL, NULL, &(struct ctr_resources){ .memory = 64 * MiB, .pids_limit = -1 });
	assert_file(v.memory, "memory.memsw.limit_in_bytes", "134217728");
	assert_file(v.pids, "pids.max", "max");
	v1_fresh(&v);
	apply(f, NULL, NULL, &(struct ctr_resources){ .memory = 64 * MiB, .memory_swap = -1 });
	assert_file(v.memory, "memory.limit_in_bytes", "67108864");
	assert_file(v.memory, "memory.memsw.limit_in_bytes", "-1");
	/* No list after one (update --cpuset-cpus ""): every CPU, the parent's list. */
	char *parent = xasprintf("%s/..", v.cpuset);
	put(parent, "cpuset.cpus", "0-3\n");
	v1_fresh(&v);
	put(v.cpuset, "cpuset.cpus", "2\n");
	apply(f, NULL, NULL, &(struct ctr_resources){ 0 });
	assert_file(v.cpuset, "cpuset.cpus", "0-3\n");
	/* An empty parent list would take every CPU away (v1): left alone. */
	put(parent, "cpuset.cpus", "\n");
	put(v.cpuset, "cpuset.cpus", "2\n");
	apply(f, NULL, NULL, &(struct ctr_resources){ 0 });
	assert_file(v.cpuset, "cpuset.cpus", "2\n");
	free(parent);
	/* Nothing of it lands in the (hybrid) unified hierarchy, which has no such files. */
	char *none = get(v.unified, "memory.max");
	assert_null(none);
	v1_free(&v);
}

static void
test_v1_missing_files(void **state)
{
	struct fake *f = *state;
	struct v1 v;
	struct ctr_error err = CTR_ERROR_INIT;

	v1_setup(f, &v);
	/* No memsw file (swapaccount=0): the memory limit alone. */
	v1_fresh(&v);
	char *memsw = xasprintf("%s/memory.memsw.limit_in_bytes", v.memory);
	assert_int_equal(unlink(memsw), 0);
	apply(f, NULL, NULL, &(struct ctr_resources){ .memory = 64 * MiB });
	assert_file(v.memory, "memory.limit_in_bytes", "67108864");
	free(memsw);
	/* No CFS bandwidth control (CONFIG_CFS_BANDWIDTH off): shares still apply. */
	v1_fresh(&v);
	char *quota = xasprintf("%s/cpu.cfs_quota_us", v.cpu);
	char *period = xasprintf("%s/cpu.cfs_period_us", v.cpu);
	assert_int_equal(unlink(quota), 0);
	assert_int_equal(unlink(period), 0);
	apply(f, NULL, NULL, &(struct ctr_resources){ .cpu_shares = 100 });
	assert_file(v.cpu, "cpu.shares", "100");
	free(quota);
	free(period);
	/* But a controller's own limit file is required: its absence is an error naming it. */
	v1_fresh(&v);
	char *shares = xasprintf("%s/cpu.shares", v.cpu);
	assert_int_equal(unlink(shares), 0);
	assert_int_equal(
		cgroup_set_resources(&f->cg, ID, &(struct ctr_resources){ 0 }, false, &err), -1);
	if (strstr(err.msg, "cpu.shares") == NULL)
		fail_msg("the error does not name cpu.shares: %s", err.msg);
	ctr_error_clear(&err);
	free(shares);
	v1_fresh(&v);
	char *pids = xasprintf("%s/pids.max", v.pids);
	assert_int_equal(unlink(pids), 0);
	assert_int_equal(
		cgroup_set_resources(&f->cg, ID, &(struct ctr_resources){ 0 }, false, &err), -1);
	if (strstr(err.msg, "pids.max") == NULL)
		fail_msg("the error does not name pids.max: %s", err.msg);
	ctr_error_clear(&err);
	free(pids);
	v1_free(&v);
}

/* ------------------------------------------------------------------ stats, OOM, freezer */

static json_int_t
stat_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("stats.%s is not an integer", key);
	return json_integer_value(v);
}

static void
test_v2_stats(void **state)
{
	struct fake *f = *state;
	_cleanup_free_ char *g = add(f, "unified", "");

	put(g, "memory.current", "104857600\n");
	put(g, "memory.stat",
	    "anon 90000000\nfile 14000000\ninactive_anon 1\ninactive_file "
	    "4194304\nactive_file 9000000\n");
	put(g, "memory.max", "67108864\n");
	put(g, "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
	put(g, "pids.current", "3\n");
	put(g, "pids.max", "10\n");
	put(g, "io.stat",
	    "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
	    "253:0 rbytes=1 wbytes=2 rios=1 wios=1 dbytes=0 dios=0\n");
	json_t *o = cgroup_stats(&f->cg, ID);
	/* Usage without the page cache that can be dropped (inactive_file), as docker counts. */
	assert_int_equal(stat_int(o, "memory_usage"), 104857600 - 4194304);
	assert_int_equal(stat_int(o, "memory_limit"), 67108864);
	assert_int_equal(stat_int(o, "cpu_ns"), 1500000);
	assert_int_equal(stat_int(o, "pids"), 3);
	assert_int_equal(stat_int(o, "pids_limit"), 10);
	assert_int_equal(stat_int(o, "blkio_read"), 4097);
	assert_int_equal(stat_int(o, "blkio_write"), 8194);
	json_decref(o);
	/* No limits: "max" is null; a group with nothing of it yet. */
	put(g, "memory.max", "max\n");
	put(g, "pids.max", "max\n");
	put(g, "io.stat", "");
	o = cgroup_stats(&f->cg, ID);
	assert_true(json_is_null(json_object_get(o, "memory_limit")));
	assert_true(json_is_null(json_object_get(o, "pids_limit")));
	assert_int_equal(stat_int(o, "blkio_read"), 0);
	json_decref(o);
	/* Unreadable accounting is null, not zero. */
	char *path = xasprintf("%s/memory.current", g);
	assert_int_equal(unlink(path), 0);
	free(path);
	path = xasprintf("%s/cpu.stat", g);
	assert_int_equal(unlink(path), 0);
	free(path);
	o = cgroup_stats(&f->cg, ID);
	assert_true(json_is_null(json_object_get(o, "memory_usage")));
	assert_true(json_is_null(json_object_get(o, "cpu_ns")));
	json_decref(o);
}

static void
test_v1_stats(void **state)
{
	struct fake *f = *state;
	struct v1 v;

	v1_setup(f, &v);
	put(v.memory, "memory.usage_in_bytes", "52428800\n");
	put(v.memory, "memory.stat", "cache 1\ninactive_file 7\ntotal_inactive_file 2097152\n");
	/* v1's "no limit" is a huge page-aligned number. */
	put(v.memory, "memory.limit_in_bytes", "9223372036854771712\n");
	put(v.cpu, "cpuacct.usage", "123456789\n");
	put(v.pids, "pids.current", "5\n");
	put(v.pids, "pids.max", "max\n");
	json_t *o = cgroup_stats(&f->cg, ID);
	assert_int_equal(stat_int(o, "memory_usage"), 52428800 - 2097152);
	assert_true(json_is_null(json_object_get(o, "memory_limit")));
	assert_int_equal(stat_int(o, "cpu_ns"), 123456789);
	assert_int_equal(stat_int(o, "pids"), 5);
	assert_true(json_is_null(json_object_get(o, "pids_limit")));
	json_decref(o);
	put(v.memory, "memory.limit_in_bytes", "67108864\n");
	o = cgroup_stats(&f->cg, ID);
	assert_int_equal(stat_int(o, "memory_limit"), 67108864);
	json_decref(o);
	v1_free(&v);
}

static void
test_v1_blkio_stats(void **state)
{
	struct fake *f = *state;
	_cleanup_free_ char *g = add(f, "blkio", "blkio");

	put(g, "blkio.throttle.io_service_bytes",
	    "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Total 12288\n"
	    "8:16 Read 1\n8:16 Write 2\nTotal 12291\n");
	json_t *o = cgroup_stats(&f->cg, ID);
	assert_int_equal(stat_int(o, "blkio_read"), 4097);
	assert_int_equal(stat_int(o, "blkio_write"), 8194);
	json_decref(o);
}

static void
test_oom_kills(void **state)
{
	struct fake *f = *state;
	_cleanup_free_ char *g2 = add(f, "unified", "");
	_cleanup_free_ char *g1 = add(f, "memory", "memory");
	uint64_t kills = 99;

	/* No counters at all: none. */
	assert_int_equal(cgroup_oom_kills(&f->cg, ID, &kills), 0);
	assert_int_equal(kills, 0);
	/* v2: oom_kill, not oom (the OOM events) nor oom_group_kill. */
	put(g2, "memory.events", "low 0\nhigh 0\nmax 12\noom 4\noom_kill 2\noom_group_kill 0\n");
	assert_int_equal(cgroup_oom_kills(&f->cg, ID, &kills), 0);
	assert_int_equal(kills, 2);
	/* v1: oom_kill, not oom_kill_disable; with the v2 count, the sum. */
	put(g1, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	assert_int_equal(cgroup_oom_kills(&f->cg, ID, &kills), 0);
	assert_int_equal(kills, 5);
	/* A kernel before 4.13: no oom_kill line, no count. */
	put(g1, "memory.oom_control", "oom_kill_disable 0\nunder_oom 1\n");
	put(g2, "memory.events", "low 0\nhigh 0\nmax 0\noom 1\n");
	assert_int_equal(cgroup_oom_kills(&f->cg, ID, &kills), 0);
	assert_int_equal(kills, 0);
}

static void
test_freeze(void **state)
{
	struct fake *f = *state;
	struct ctr_error err = CTR_ERROR_INIT;
	_cleanup_free_ char *g2 = add(f, "unified", "");

	/* v2 before Linux 5.2 (no cgroup.freeze) and no v1 freezer: not supported. */
	assert_int_equal(cgroup_freeze(&f->cg, ID, true, &err), -1);
	assert_int_equal(err.errnum, ENOTSUP);
	ctr_error_clear(&err);
	put(g2, "cgroup.freeze", "");
	assert_int_equal(cgroup_freeze(&f->cg, ID, true, &err), 0);
	assert_file(g2, "cgroup.freeze", "1");
	put(g2, "cgroup.freeze", "");
	assert_int_equal(cgroup_freeze(&f->cg, ID, false, &err), 0);
	assert_file(g2, "cgroup.freeze", "0");
	/* Hybrid: the v1 freezer does it when the unified group cannot. */
	char *path = xasprintf("%s/cgroup.freeze", g2);
	assert_int_equal(unlink(path), 0);
	free(path);
	_cleanup_free_ char *g1 = add(f, "freezer", "freezer");
	put(g1, "freezer.state", "");
	assert_int_equal(cgroup_freeze(&f->cg, ID, true, &err), 0);
	assert_file(g1, "freezer.state", "FROZEN");
	put(g1, "freezer.state", "");
	assert_int_equal(cgroup_freeze(&f->cg, ID, false, &err), 0);
	assert_file(g1, "freezer.state", "THAWED");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_suffixes),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_size_junk),
		cmocka_unit_test(test_cpu_quota),
		cmocka_unit_test(test_shares_to_weight),
		cmocka_unit_test(test_cpuset_valid),
		cmocka_unit_test(test_cpuset_invalid),
		cmocka_unit_test(test_memory_swap),
		cmocka_unit_test(test_pids),
		cmocka_unit_test(test_from_json_valid),
		cmocka_unit_test(test_from_json_invalid),
		cmocka_unit_test(test_to_json_round_trip),
		cmocka_unit_test_setup_teardown(test_v2_files, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v2_memory_swap, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v2_cpu_and_pids, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v2_missing_files, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v1_files, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v1_missing_files, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_fresh_group_keeps_defaults, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_v2_stats, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v1_stats, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_v1_blkio_stats, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_oom_kills, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_freeze, fake_setup, fake_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
