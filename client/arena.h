/* SPDX-License-Identifier: MIT */
#ifndef CTRCTL_ARENA_H
#define CTRCTL_ARENA_H

/*
 * jansson's allocator for ctrctl: a bump arena on transparent huge pages.
 * Call first thing in main(), before any JSON is made.
 */
void arena_install(void);
/* Between these, jansson's allocations come from the arena: around decoding. */
void arena_begin(void);
void arena_end(void);

#endif
