/* SPDX-License-Identifier: MIT */
/*
 * Process handles that cannot be confused by PID reuse. A process is named
 * by (pid, start time); the daemon holds a pidfd for it and signals through
 * the pidfd, so a recycled PID never receives a signal meant for a
 * container. When a handle is opened from a stored (pid, start time), the
 * start time is checked after pidfd_open(): if it matches, the pidfd refers
 * to the right process for as long as it is open.
 */
#ifndef CTRD_PROC_H
#define CTRD_PROC_H

#include "error.h"

struct proc_ref {
	pid_t pid;
	uint64_t start_time; /* clock ticks since boot, /proc/PID/stat field 22 */
	int pidfd;	     /* owned, -1 when not open */
};

#define PROC_REF_INIT    \
	{                \
		0, 0, -1 \
	}

int proc_pidfd_open(pid_t pid);
int proc_pidfd_signal(int pidfd, int sig);
/* Start time of pid; -1 with errno (ESRCH when it is gone). */
int proc_start_time(pid_t pid, uint64_t *start_time);
/* Opens a pidfd for pid and checks its start time; -1 with ESRCH if pid is gone or is another
 * process. */
int proc_ref_open(struct proc_ref *ref, pid_t pid, uint64_t start_time);
/* Fills ref for a process we know is ours (a child not yet reaped). */
int proc_ref_from_child(struct proc_ref *ref, pid_t pid);
/*
 * Fills ref from a pidfd we were given for pid (taking it) and reads the
 * start time, which is 0 if the process has already exited.
 */
void proc_ref_adopt(struct proc_ref *ref, pid_t pid, int pidfd);
void proc_ref_close(struct proc_ref *ref);
/* Signals through the pidfd; -1 with errno (ESRCH once it has exited). */
int proc_ref_signal(const struct proc_ref *ref, int sig);
/* True while the process has not exited (a zombie has exited). */
bool proc_ref_alive(const struct proc_ref *ref);

/* In a new child: default dispositions for every signal and an empty signal mask. */
void proc_reset_signals(void);
/* Closes every fd >= 3 that is not in keep. */
int proc_close_fds_except(const int *keep, size_t n);

/* Fork-like clone(2) with namespace flags: 0 in the child, the pid in the parent. */
pid_t proc_clone(unsigned long flags);
/*
 * clone(2) with namespace flags into a child that shares our memory, as
 * posix_spawn does: fn(arg) runs on a stack of its own while we are
 * suspended, until it calls execve or exits (CLONE_VM | CLONE_VFORK). No
 * page tables are copied and nothing is copied on write, so the child starts
 * sooner than a fork's. fn must end in execve or _exit, and must not rely on
 * anything it changes in memory surviving: the caller sees it all. Returns
 * the child's pid once it has exec'd or exited. The stack is kept for the
 * next such child, of this process or of another sharing its memory.
 */
pid_t proc_clone_vm(unsigned long flags, int (*fn)(void *arg), void *arg);
/*
 * The top of a stack of size bytes for a child that shares our memory,
 * mapped into *stack the first time and kept for the next child: in the
 * zygote, where each start makes such children, a fresh stack would be an
 * mmap, a page fault for each page the child touches (tens of microseconds
 * apiece on a VM) and an munmap with its TLB flush, every time. The caller
 * makes one child at a time on it. NULL if it cannot be mapped.
 */
void *proc_kept_stack(void **stack, size_t size);

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

/*
 * Before a stack of ours is used for a child that shares our memory
 * (CLONE_VM). Such a child never returns from its frames (it executes a
 * program), so AddressSanitizer's poison of them stays in the shadow we
 * share, where the next child on memory at that address would trip over it.
 */
static inline void
stack_unpoison(void *p, size_t n)
{
#ifdef __SANITIZE_ADDRESS__
	__asan_unpoison_memory_region(p, n);
#else
	(void)p;
	(void)n;
#endif
}

#endif
