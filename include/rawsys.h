/* SPDX-License-Identifier: MIT */
/*
 * System calls without the C library: the result, or -errno, and nothing
 * written anywhere else. Two kinds of code need that:
 *
 * - ctrd-monitor, which has no C library (daemon/nolibc.c);
 * - a monitor that stays in the zygote's memory (daemon/monitor.h). It
 *   shares the zygote's thread pointer, so the C library's errno, which
 *   lives there, is the zygote's: a wrapper failing in the monitor would
 *   change errno under the zygote's feet.
 *
 * RAWSYS_NATIVE is 1 where the instruction is written out here (x86-64,
 * arm64). Elsewhere raw_syscall6() goes through syscall(3) and does touch
 * errno, so nothing may stay in the zygote's memory there.
 */
#ifndef CTRD_RAWSYS_H
#define CTRD_RAWSYS_H

#if defined(__x86_64__)
#define RAWSYS_NATIVE 1
static inline long
raw_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
#define RAWSYS_NATIVE 1
static inline long
raw_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a1;
	register long x1 __asm__("x1") = a2;
	register long x2 __asm__("x2") = a3;
	register long x3 __asm__("x3") = a4;
	register long x4 __asm__("x4") = a5;
	register long x5 __asm__("x5") = a6;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory", "cc");
	return x0;
}
#else
#include <errno.h>
#include <unistd.h>
#define RAWSYS_NATIVE 0
static inline long
raw_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
	long r = syscall(n, a1, a2, a3, a4, a5, a6);
	return r == -1 ? -errno : r;
}
#endif

#define RAW_SYSCALL(n, a1, a2, a3, a4, a5, a6) \
	raw_syscall6((n), (long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5), (long)(a6))

#endif
