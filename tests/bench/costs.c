/* SPDX-License-Identifier: MIT */
/*
 * costs: what this machine charges for the operations a container start is
 * made of, printed as "name: median" lines for `make bench`'s machine
 * section (BENCHMARKS.md, "What this machine charges"). Medians of several
 * rounds; nothing here needs root or changes anything outside this process
 * and its children.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#define ROUNDS 15
#define PAGES  1024
#define PAGE   4096

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void
die(const char *what)
{
	fprintf(stderr, "costs: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

static char *
map(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	/* Small pages: a huge page would make one fault of 512. */
	(void)madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

static void
touch(char *p, size_t pages, char v)
{
	for (size_t i = 0; i < pages; i++)
		((volatile char *)p)[i * PAGE] = v;
}

static double
syscall_us(void)
{
	double t = now_us();

	for (int i = 0; i < 10000; i++)
		(void)syscall(SYS_getppid);
	return (now_us() - t) / 10000;
}

/* The first write to each page of a new mapping. */
static double
first_touch_us(void)
{
	char *p = map(PAGES * PAGE);
	double t = now_us();

	touch(p, PAGES, 1);
	t = (now_us() - t) / PAGES;
	munmap(p, PAGES * PAGE);
	return t;
}

/* fork() with PAGES pages touched, and the copy-on-write faults that follow in the parent. */
static void
fork_us(double *fork_time, double *cow)
{
	char *p = map(PAGES * PAGE);

	touch(p, PAGES, 1);
	double t = now_us();
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		_exit(0);
	*fork_time = now_us() - t;
	if (waitpid(pid, NULL, 0) < 0)
		die("waitpid");
	t = now_us();
	touch(p, PAGES, 2);
	*cow = (now_us() - t) / PAGES;
	munmap(p, PAGES * PAGE);
}

static double
vfork_us(void)
{
	static volatile double start; /* not on the stack the child shares */

	start = now_us();
	pid_t pid = vfork();
	if (pid < 0)
		die("vfork");
	if (pid == 0)
		_exit(0);
	double t = now_us() - start;
	if (waitpid(pid, NULL, 0) < 0)
		die("waitpid");
	return t;
}

static void
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

/* Half a pipe round trip to a process that sleeps on the other CPU (the same one with 1 CPU). */
static double
wakeup_us(void)
{
	int there[2], back[2];
	double v[50];
	char c = 'x';

	if (pipe(there) < 0 || pipe(back) < 0)
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pin(sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0);
		for (int i = 0; i < 50; i++)
			if (read(there[0], &c, 1) != 1 || write(back[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	pin(0);
	for (int i = 0; i < 50; i++) {
		usleep(2000); /* let the other CPU go idle */
		double t = now_us();
		if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1)
			die("pipe round trip");
		v[i] = (now_us() - t) / 2;
	}
	waitpid(pid, NULL, 0);
	close(there[0]), close(there[1]), close(back[0]), close(back[1]);
	return median(v, 50);
}

#if defined(__x86_64__) || defined(__i386__)
/*
 * One cpuid instruction. glibc's start-up asks the CPU for its features and
 * cache sizes with a few dozen of them in every new program, and under a
 * hypervisor each one traps.
 */
static double
cpuid_us(void)
{
	unsigned a, b, c, d, sum = 0;
	double t0 = now_us();

	for (unsigned i = 0; i < 100; i++) {
		__cpuid_count(0x8000001d, i & 3, a, b, c, d);
		sum += a ^ b ^ c ^ d;
	}
	double t = (now_us() - t0) / 100;
	return sum == 0xdeadbeef ? t + 1e-9 : t; /* the loop is not optimised away */
}
#endif

/* vfork, execve of this program (which exits at once) and wait: a program's whole start. */
static double
exec_us(void)
{
	double t0 = now_us();
	pid_t pid = vfork();

	if (pid < 0)
		die("vfork");
	if (pid == 0) {
		execl("/proc/self/exe", "costs", "--exit", (char *)NULL);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("exec of itself");
	return now_us() - t0;
}

int
main(int argc, char **argv)
{
	double sc[ROUNDS], ft[ROUNDS], fk[ROUNDS], cow[ROUNDS], vf[ROUNDS], ex[ROUNDS];

	if (argc > 1 && strcmp(argv[1], "--exit") == 0)
		return 0;

	for (int i = 0; i < ROUNDS; i++) {
		sc[i] = syscall_us();
		ft[i] = first_touch_us();
		fork_us(&fk[i], &cow[i]);
		vf[i] = vfork_us();
		ex[i] = exec_us();
	}
	printf("cost: system call (getppid): %.2f us\n", median(sc, ROUNDS));
	printf("cost: first write to a new page: %.1f us\n", median(ft, ROUNDS));
	printf("cost: copy-on-write fault after fork: %.1f us\n", median(cow, ROUNDS));
	printf("cost: fork() with %d KiB touched: %.0f us\n", PAGES * PAGE / 1024,
	       median(fk, ROUNDS));
	printf("cost: vfork() to the child's _exit: %.0f us\n", median(vf, ROUNDS));
	printf("cost: wake a process on the other, idle CPU: %.0f us\n", wakeup_us());
	printf("cost: vfork, execve and exit of a small dynamic program: %.0f us\n",
	       median(ex, ROUNDS));
#if defined(__x86_64__) || defined(__i386__)
	printf("cost: cpuid instruction: %.1f us\n", cpuid_us());
#endif
	return 0;
}
