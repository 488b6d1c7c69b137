/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <math.h>

#include <math.h>
#include <string.h>

#include "resources.h"

/* strtol() skips white space and takes a sign, which the kernel's list parser refuses. */
static bool
digit(char c)
{
	return c >= '0' && c <= '9';
}

bool
resources_valid_cpuset(const char *list, long ncpus)
{
	const char *p = list;

	if (*p == '\0')
		return false;
	for (;;) {
		char *end;
		if (!digit(*p))
			return false;
		long a = strtol(p, &end, 10), b;
		if (end == p || a < 0 || a >= ncpus)
			return false;
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (!digit(*p))
				return false;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b >= ncpus)
				return false;
		}
		if (*end == '\0')
			return true;
		if (*end != ',')
			return false;
		p = end + 1;
	}
}

uint64_t
resources_shares_to_weight(int64_t shares)
{
	if (shares <= 0)
		return 100; /* the kernel's default weight */
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	/*
	 * The curve crun 1.23+ and runc 1.3.2+ use: through (2, 1), (1024, 100)
	 * and (262144, 10000) on a log scale, so the v1 default of 1024 gets
	 * v2's default weight of 100. The old linear map gave 1024 a weight
	 * of 39, starving a container with default shares next to one without.
	 */
	double l = log2((double)shares);
	double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
	uint64_t w = (uint64_t)ceil(pow(10, exponent));
	return w < 1 ? 1 : w > 10000 ? 10000 : w;
}

int64_t
resources_memory_swap(const struct ctr_resources *res)
{
	if (res->memory == 0)
		return res->memory_swap > 0 ? res->memory_swap : -1;
	if (res->memory_swap == 0)
		return 2 * res->memory;
	return res->memory_swap;
}

int64_t
resources_cpu_quota(const struct ctr_resources *res)
{
	return res->cpus > 0 ? (int64_t)(res->cpus * RESOURCES_CPU_PERIOD + 0.5) : -1;
}

int64_t
resources_pids(const struct ctr_resources *res)
{
	return res->pids_limit == 0 ? RESOURCES_DEFAULT_PIDS : res->pids_limit;
}

int
resources_from_json(struct ctr_resources *res, json_t *params, struct ctr_error *err)
{
	json_t *v;
	/* The CPUs the machine can have: fixed at boot, and a file read each time. */
	static long ncpus;
	if (ncpus == 0)
		ncpus = sysconf(_SC_NPROCESSORS_CONF);

	if ((v = json_object_get(params, "memory")) != NULL) {
		res->memory = json_integer_value(v);
		if (res->memory != 0 && res->memory < RESOURCES_MIN_MEMORY)
			return ctr_error_set(
				err, CTR_E_INVALID_PARAMS, 0,
				"params.memory: at least %d bytes (6m), or 0 for no limit",
				RESOURCES_MIN_MEMORY);
	}
	if ((v = json_object_get(params, "memory_swap")) != NULL)
		res->memory_swap = json_integer_value(v);
	if (res->memory_swap > 0 && res->memory > 0 && res->memory_swap < res->memory)
		return ctr_error_set(
			err, CTR_E_INVALID_PARAMS, 0,
			"params.memory_swap: memory plus swap (%lld) is less than memory (%lld)",
			(long long)res->memory_swap, (long long)res->memory);
	if (res->memory_swap > 0 && res->memory == 0)
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0,
				     "params.memory_swap: needs a memory limit too");
	if ((v = json_object_get(params, "cpus")) != NULL) {
		res->cpus = json_number_value(v);
		if (res->cpus != 0 && (res->cpus < 0.01 || res->cpus > (double)ncpus))
			return ctr_error_set(
				err, CTR_E_INVALID_PARAMS, 0,
				"params.cpus: %g is not between 0.01 and the %ld CPUs here",
				res->cpus, ncpus);
	}
	if ((v = json_object_get(params, "cpu_shares")) != NULL)
		res->cpu_shares = json_integer_value(v);
	if ((v = json_object_get(params, "cpuset_cpus")) != NULL) {
		const char *list = json_string_value(v);
		if (*list != '\0' && !resources_valid_cpuset(list, ncpus))
			return ctr_error_set(
				err, CTR_E_INVALID_PARAMS, 0,
				"params.cpuset_cpus: \"%s\" is not a list of CPUs 0-%ld", list,
				ncpus - 1);
		free(res->cpuset_cpus);
		res->cpuset_cpus = *list ? xstrdup(list) : NULL;
	}
	if ((v = json_object_get(params, "pids_limit")) != NULL)
		res->pids_limit = json_integer_value(v);
	return 0;
}

void
resources_to_json(const struct ctr_resources *res, json_t *o)
{
	json_object_set_new(o, "memory", json_integer(res->memory));
	json_object_set_new(o, "memory_swap", json_integer(res->memory_swap));
	json_object_set_new(o, "cpus", json_real(res->cpus));
	json_object_set_new(o, "cpu_shares", json_integer(res->cpu_shares));
	json_object_set_new(o, "cpuset_cpus",
			    res->cpuset_cpus ? json_string(res->cpuset_cpus) : json_string(""));
	json_object_set_new(o, "pids_limit", json_integer(res->pids_limit));
}

void
resources_free(struct ctr_resources *res)
{
	free(res->cpuset_cpus);
	memset(res, 0, sizeof(*res));
}
