/* SPDX-License-Identifier: MIT */
/*
 * The C library of ctrd-monitor: a program entry and the few system calls
 * and string functions monitor_run.c, logfile.c and baseutil.c use, for
 * x86-64 and arm64 (configure builds ctrd-monitor against glibc elsewhere).
 *
 * Why not glibc: every container's monitor executes ctrd-monitor, and a
 * static glibc program spends its first millisecond in start-up (IRELATIVE
 * relocations, TLS, and the CPU's features and caches asked of `cpuid`,
 * which traps to the hypervisor on virtual machines) before main() runs.
 * That millisecond lay on the path of every start: a short command's exit
 * waited for its monitor to finish starting. This file's start-up is a
 * call to main().
 *
 * Everything here is built with -fno-stack-protector and without
 * sanitizers: there is no thread pointer for a canary, and no runtime.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rawsys.h"

#if defined(__x86_64__)
/* The kernel enters with argc at the stack pointer; the ABI wants it 16-byte aligned at a call. */
__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call nolibc_start\n"
	"	hlt\n");
#elif defined(__aarch64__)
__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	mov x29, #0\n"
	"	mov x30, #0\n"
	"	mov x0, sp\n"
	"	bl nolibc_start\n"
	"	brk #0\n");
#else
#error "nolibc.c supports x86-64 and arm64 only; configure builds ctrd-monitor with libc elsewhere"
#endif

static int errno_value;

int *
__errno_location(void)
{
	return &errno_value;
}

/* A system call's result, with errno set and -1 returned on failure. */
static long
check(long r)
{
	if (r < 0 && r > -4096) {
		errno_value = (int)-r;
		return -1;
	}
	return r;
}

#define SYS(n, a1, a2, a3, a4, a5, a6)                                                      \
	check(raw_syscall6((n), (long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5), \
			   (long)(a6)))

_Noreturn void
_exit(int status)
{
	for (;;)
		raw_syscall6(SYS_exit_group, status, 0, 0, 0, 0, 0);
}

ssize_t
read(int fd, void *buf, size_t n)
{
	return SYS(SYS_read, fd, buf, n, 0, 0, 0);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	return SYS(SYS_write, fd, buf, n, 0, 0, 0);
}

int
close(int fd)
{
	return (int)SYS(SYS_close, fd, 0, 0, 0, 0, 0);
}

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return (int)SYS(SYS_openat, AT_FDCWD, path, flags, mode, 0, 0);
}

int
fcntl(int fd, int cmd, ...)
{
	va_list ap;

	va_start(ap, cmd);
	long arg = va_arg(ap, long);
	va_end(ap);
	return (int)SYS(SYS_fcntl, fd, cmd, arg, 0, 0, 0);
}

off_t
lseek(int fd, off_t off, int whence)
{
	return SYS(SYS_lseek, fd, off, whence, 0, 0, 0);
}

int
ftruncate(int fd, off_t len)
{
	return (int)SYS(SYS_ftruncate, fd, len, 0, 0, 0, 0);
}

int
fsync(int fd)
{
	return (int)SYS(SYS_fsync, fd, 0, 0, 0, 0, 0);
}

int
dup3(int fd, int to, int flags)
{
	return (int)SYS(SYS_dup3, fd, to, flags, 0, 0, 0);
}

int
rename(const char *from, const char *to)
{
	return (int)SYS(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 0, 0);
}

int
unlink(const char *path)
{
	return (int)SYS(SYS_unlinkat, AT_FDCWD, path, 0, 0, 0, 0);
}

int
poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000 };

	return (int)SYS(SYS_ppoll, fds, n, timeout_ms < 0 ? NULL : &ts, NULL, 0, 0);
}

int
waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
	return (int)SYS(SYS_waitid, type, id, info, options, NULL, 0);
}

int
clock_gettime(clockid_t clock, struct timespec *ts)
{
	return (int)SYS(SYS_clock_gettime, clock, ts, 0, 0, 0, 0);
}

/* SIG_IGN and SIG_DFL only: no handler ever runs here, so no restorer is needed. */
sighandler_t
signal(int sig, sighandler_t handler)
{
	struct {
		sighandler_t handler;
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} act = { handler, 0, NULL, 0 }, old;

	if (handler != SIG_IGN && handler != SIG_DFL) {
		errno_value = EINVAL;
		return SIG_ERR;
	}
	if (SYS(SYS_rt_sigaction, sig, &act, &old, sizeof(act.mask), 0, 0) < 0)
		return SIG_ERR;
	return old.handler;
}

void *
memcpy(void *restrict to, const void *restrict from, size_t n)
{
	unsigned char *d = to;
	const unsigned char *s = from;

	while (n-- > 0)
		*d++ = *s++;
	return to;
}

void *
memmove(void *to, const void *from, size_t n)
{
	unsigned char *d = to;
	const unsigned char *s = from;

	if (d < s)
		while (n-- > 0)
			*d++ = *s++;
	else
		while (n-- > 0)
			d[n] = s[n];
	return to;
}

void *
memset(void *p, int c, size_t n)
{
	unsigned char *d = p;

	while (n-- > 0)
		*d++ = (unsigned char)c;
	return p;
}

int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n > 0; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

void *
memchr(const void *p, int c, size_t n)
{
	const unsigned char *s = p;

	for (; n > 0; n--, s++)
		if (*s == (unsigned char)c)
			return (void *)s;
	return NULL;
}

void *
memrchr(const void *p, int c, size_t n)
{
	const unsigned char *s = p;

	while (n-- > 0)
		if (s[n] == (unsigned char)c)
			return (void *)(s + n);
	return NULL;
}

size_t
strlen(const char *s)
{
	const char *e = s;

	while (*e != '\0')
		e++;
	return (size_t)(e - s);
}

int
strcmp(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int main(int argc, char **argv);
_Noreturn void nolibc_start(long *sp);

/* Called by _start with the initial stack: argc, then argv's pointers. */
_Noreturn void
nolibc_start(long *sp)
{
	_exit(main((int)sp[0], (char **)(sp + 1)));
}
