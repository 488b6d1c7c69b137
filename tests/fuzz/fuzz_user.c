/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: daemon/user.c, which parses a container image's own
 * /etc/passwd and /etc/group in the init before its execve. The init runs
 * in the memory of the zygote (daemon/zygote.h), which outlives it, so this
 * parser of files any image may bring must be beyond reproach.
 *
 * The input is "SPEC\0PASSWD\0GROUP": the --user value and the two files'
 * contents (a part left out is NULL: no --user, or no such file). Every
 * call must either fail with an error that has a code and a message, or
 * give ids with a home directory and a group list that holds what it says;
 * nothing may leak.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next NUL-terminated part of the input as its own heap string, or NULL past the end. */
static char *
next_part(const uint8_t **p, const uint8_t *end)
{
	if (*p >= end)
		return NULL;
	const uint8_t *nul = memchr(*p, '\0', (size_t)(end - *p));
	size_t n = (size_t)((nul ? nul : end) - *p);
	char *s = malloc(n + 1);
	if (s == NULL)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += n + (nul ? 1 : 0);
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char *spec = next_part(&p, end);
	char *passwd = next_part(&p, end);
	char *group = next_part(&p, end);
	struct user_ids ids = { 0 };
	struct ctr_error err = CTR_ERROR_INIT;

	if (user_resolve(spec, passwd, group, &ids, &err) < 0) {
		if (err.code == 0 || err.msg == NULL || err.msg[0] == '\0')
			abort();
	} else {
		if (err.code != 0 || ids.home == NULL || ids.home[0] == '\0')
			abort();
		if ((ids.ngroups > 0) != (ids.groups != NULL))
			abort();
		/* Every group must be readable: ASan catches a list shorter than its count. */
		volatile gid_t sum = 0;
		for (size_t i = 0; i < ids.ngroups; i++)
			sum += ids.groups[i];
		(void)sum;
	}
	user_ids_free(&ids);
	ctr_error_clear(&err);
	free(spec);
	free(passwd);
	free(group);
	return 0;
}
