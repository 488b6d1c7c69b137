/* SPDX-License-Identifier: MIT */
/*
 * Decoding a large reply (ps with 1000 containers: 300 KB of JSON) makes
 * jansson allocate some 40,000 small nodes, 1.5 MB in all. In a fresh
 * process every 4 KiB page of that is a page fault, and on a virtual
 * machine a fault costs tens of microseconds: measured, the faults were
 * two thirds of `ctrctl ps`. Here the nodes come from one region that asks
 * for transparent huge pages (a 2 MiB page is one fault), carved by a bump
 * pointer. ctrctl is short-lived, so freeing is counting: once every node
 * from the arena has been freed (a streaming command between messages),
 * the arena starts over. When it is full, or cannot be mapped, malloc
 * takes over.
 *
 * Only decoding a large message uses the arena (arena_begin/arena_end):
 * the strings json_dumps() returns are freed with free() all over, so
 * everything else stays malloc's. The free function tells the two apart by
 * address. The arena is mapped at the first large message: a huge page is
 * 2 MiB to clear, some 400 us here, which the few small replies of `run`
 * or `exec` would pay for nothing, and while their container starts.
 */
#include "config.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "arena.h"

/* Two huge pages: ps with 2000 containers; at most this much is held when nothing frees. */
#define ARENA_SIZE	  ((size_t)4 << 20)
#define HUGE_PAGE	  ((size_t)2 << 20)
#define ALIGN		  16
/* Smaller messages decode into a few dozen nodes: malloc does as well. */
#define ARENA_MIN_MESSAGE ((size_t)64 << 10)

static char *base, *cur, *end;
static size_t live; /* arena blocks not yet freed */
static bool on;	    /* arena_begin() .. arena_end() */

static void *
arena_malloc(size_t n)
{
	size_t rounded = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);

	if (!on || n == 0 || rounded < n || rounded > (size_t)(end - cur))
		return malloc(n);
	n = rounded;
	void *p = cur;
	cur += n;
	live++;
	return p;
}

static void
arena_free(void *p)
{
	if ((char *)p >= base && (char *)p < end) {
		if (--live == 0)
			cur = base;
		return;
	}
	free(p);
}

static bool
arena_map(void)
{
	char *m = mmap(NULL, ARENA_SIZE + HUGE_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (m == MAP_FAILED)
		return false; /* malloc does it all */
	/* Huge pages must be aligned to their size. */
	base = (char *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	cur = base;
	end = base + ARENA_SIZE;
	/* Advice only: without THP the arena still saves malloc's work. */
	(void)madvise(base, ARENA_SIZE, MADV_HUGEPAGE);
	return true;
}

void
arena_install(void)
{
	json_set_alloc_funcs(arena_malloc, arena_free);
}

void
arena_begin(size_t message_len)
{
	static bool failed;

	if (base == NULL && !failed && message_len >= ARENA_MIN_MESSAGE)
		failed = !arena_map();
	on = base != NULL;
}

void
arena_end(void)
{
	on = false;
}
