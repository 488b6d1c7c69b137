/* SPDX-License-Identifier: MIT */
#ifndef CTRCTL_ARENA_H
#define CTRCTL_ARENA_H

/*
 * jansson's allocator for ctrctl: a bump arena on transparent huge pages,
 * mapped at the first large message. Call first thing in main(), before any
 * JSON is made.
 */
#include <stddef.h>

void arena_install(void);
/*
 * Between these, jansson's allocations come from the arena: around decoding
 * a message of MESSAGE_LEN bytes (small ones are left to malloc, unless the
 * arena is already there).
 */
void arena_begin(size_t message_len);
void arena_end(void);

#endif
