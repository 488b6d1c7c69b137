/* SPDX-License-Identifier: MIT */
/*
 * A container's resource limits, as docker spells them (-m, --memory-swap,
 * --cpus, --cpu-shares, --cpuset-cpus, --pids-limit), checked here and
 * written to its cgroup by cgroup_set_resources(). The same fields make the
 * `update` method's params.
 */
#ifndef CTRD_RESOURCES_H
#define CTRD_RESOURCES_H

#include <jansson.h>

#include "error.h"

#define RESOURCES_DEFAULT_PIDS 4096   /* a fork bomb stops here unless asked otherwise */
#define RESOURCES_CPU_PERIOD   100000 /* us: --cpus N means N * this per period */
#define RESOURCES_MIN_MEMORY   (6 << 20)

struct ctr_resources {
	int64_t memory;	     /* bytes; 0: no limit */
	int64_t memory_swap; /* memory plus swap; 0: twice memory (docker); -1: unlimited swap */
	double cpus;	     /* CPUs' worth of time; 0: no limit */
	int64_t cpu_shares;  /* v1 shares 2..262144 (v2 weight derived); 0: the default */
	char *cpuset_cpus;   /* "0-1,3"; NULL: every CPU */
	int64_t pids_limit;  /* 0: RESOURCES_DEFAULT_PIDS; -1: unlimited */
};

/*
 * Reads the resource members of params over res (members that are absent
 * keep their value, for `update`). -1 with CTR_E_INVALID_PARAMS naming the field.
 */
int resources_from_json(struct ctr_resources *res, json_t *params, struct ctr_error *err);
/* The members, for the state file and inspect (limits actually applied). */
void resources_to_json(const struct ctr_resources *res, json_t *obj);
void resources_free(struct ctr_resources *res);

/* The swap limit in effect (memory plus swap), -1 for none. */
int64_t resources_memory_swap(const struct ctr_resources *res);
/* The pids limit in effect, -1 for none. */
int64_t resources_pids(const struct ctr_resources *res);
/* The CFS quota for --cpus, in us per RESOURCES_CPU_PERIOD (rounded), -1 for none. */
int64_t resources_cpu_quota(const struct ctr_resources *res);
/* cgroup v2's cpu.weight (1..10000) for v1 shares (2..262144), as crun and runc convert. */
uint64_t resources_shares_to_weight(int64_t shares);
/* Checks a cpuset list ("0-3,5") against n CPUs; false if malformed or out of range. */
bool resources_valid_cpuset(const char *list, long ncpus);

#endif
