/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "seccomp.h"

#define NEVER (-1)

/* EPERM unless the process has cap (NEVER: always). */
static const struct {
	const char *syscall;
	int cap;
} blocked[] = {
	/* Mounts and namespaces. */
	{ "mount", CAP_SYS_ADMIN },
	{ "umount", CAP_SYS_ADMIN },
	{ "umount2", CAP_SYS_ADMIN },
	{ "pivot_root", CAP_SYS_ADMIN },
	{ "unshare", CAP_SYS_ADMIN },
	{ "setns", CAP_SYS_ADMIN },
	{ "fsopen", CAP_SYS_ADMIN },
	{ "fsconfig", CAP_SYS_ADMIN },
	{ "fsmount", CAP_SYS_ADMIN },
	{ "fspick", CAP_SYS_ADMIN },
	{ "move_mount", CAP_SYS_ADMIN },
	{ "open_tree", CAP_SYS_ADMIN },
	{ "mount_setattr", CAP_SYS_ADMIN },
	{ "quotactl", CAP_SYS_ADMIN },
	{ "quotactl_fd", CAP_SYS_ADMIN },
	{ "lookup_dcookie", CAP_SYS_ADMIN },
	{ "swapon", CAP_SYS_ADMIN },
	{ "swapoff", CAP_SYS_ADMIN },
	{ "fanotify_init", CAP_SYS_ADMIN },
	{ "bpf", CAP_SYS_ADMIN },
	{ "perf_event_open", CAP_SYS_ADMIN },
	/* Kernel images, modules, power. */
	{ "kexec_load", CAP_SYS_BOOT },
	{ "kexec_file_load", CAP_SYS_BOOT },
	{ "reboot", CAP_SYS_BOOT },
	{ "init_module", CAP_SYS_MODULE },
	{ "finit_module", CAP_SYS_MODULE },
	{ "delete_module", CAP_SYS_MODULE },
	{ "create_module", NEVER },
	{ "get_kernel_syms", NEVER },
	{ "query_module", NEVER },
	/* Keyrings are not namespaced. */
	{ "add_key", NEVER },
	{ "keyctl", NEVER },
	{ "request_key", NEVER },
	/* File handles bypass the mount namespace (CVE-2014 "shocker"). */
	{ "open_by_handle_at", CAP_DAC_READ_SEARCH },
	/* The clock is the host's. */
	{ "settimeofday", CAP_SYS_TIME },
	{ "stime", CAP_SYS_TIME },
	{ "clock_settime", CAP_SYS_TIME },
	{ "clock_settime64", CAP_SYS_TIME },
	/* Hardware, accounting, the kernel log, NUMA and tracing others. */
	{ "iopl", CAP_SYS_RAWIO },
	{ "ioperm", CAP_SYS_RAWIO },
	{ "acct", CAP_SYS_PACCT },
	{ "syslog", CAP_SYSLOG },
	{ "set_mempolicy", CAP_SYS_NICE },
	{ "mbind", CAP_SYS_NICE },
	{ "move_pages", CAP_SYS_NICE },
	{ "kcmp", CAP_SYS_PTRACE },
	{ "pidfd_getfd", CAP_SYS_PTRACE },
	{ "userfaultfd", CAP_SYS_PTRACE },
	/* Obsolete or 32-bit relics. */
	{ "uselib", NEVER },
	{ "ustat", NEVER },
	{ "sysfs", NEVER },
	{ "_sysctl", NEVER },
	{ "nfsservctl", NEVER },
	{ "vm86", NEVER },
	{ "vm86old", NEVER },
};

static const unsigned long namespace_flags[] = {
	CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
	CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, 0x00000080 /* CLONE_NEWTIME */,
};

static bool
has(uint64_t caps, int cap)
{
	return cap >= 0 && (caps & (UINT64_C(1) << cap)) != 0;
}

static int
add_rules(scmp_filter_ctx ctx, uint64_t caps)
{
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(blocked); i++) {
		if (has(caps, blocked[i].cap))
			continue;
		int nr = seccomp_syscall_resolve_name(blocked[i].syscall);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a system call of this architecture */
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0 && r != -EDOM)
			return r;
	}
	if (!has(caps, CAP_SYS_ADMIN)) {
		/* clone() may make threads and processes, not namespaces. */
		for (size_t i = 0; i < ARRAY_SIZE(namespace_flags); i++) {
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
					     SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i],
						     namespace_flags[i]));
			if (r < 0)
				return r;
		}
		/* clone3's flags are in memory seccomp cannot read: ENOSYS makes libc use clone. */
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
		if (r < 0 && r != -EDOM)
			return r;
	}
	/* Typing into a terminal (TIOCSTI) or its console (TIOCLINUX) needs no escape hatch. */
	static const unsigned long tty_injection[] = { TIOCSTI, TIOCLINUX };
	for (size_t i = 0; i < ARRAY_SIZE(tty_injection); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, tty_injection[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

/* The filter for caps as a classic BPF program, in memory of our own (free prog->filter). */
static int
build(uint64_t caps, struct sock_fprog *prog, struct ctr_error *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	_cleanup_close_ int fd = -1;
	int r;

	if (ctx == NULL)
		return ctr_error_sys(err, ENOMEM, "seccomp_init");
	/* Filter the 32-bit ABIs too; a kernel without them just refuses the arch. */
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
		if (r < 0 && r != -EEXIST)
			goto fail;
		r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
		if (r < 0 && r != -EEXIST)
			goto fail;
	}
	/*
	 * A binary search on the system call number instead of a chain of
	 * compares. The kernel runs the filter for every system call the
	 * container makes, and, when it is loaded, once for each system call
	 * number of each architecture to find those it always allows (its
	 * action cache): with the chain that alone took some 200 us of every
	 * start and exec here. Only an older libseccomp says no; then the chain.
	 */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	r = add_rules(ctx, caps);
	if (r < 0)
		goto fail;
	/* libseccomp 2.5 exports to an fd only: a memfd, read back. */
	fd = memfd_create("ctrd-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		goto fail;
	seccomp_release(ctx);
	ctx = NULL;
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > USHRT_MAX)
		return ctr_error_sys(err, size < 0 ? errno : EINVAL, "export the seccomp filter");
	struct sock_filter *filter = xmalloc((size_t)size);
	if (pread(fd, filter, (size_t)size, 0) != size) {
		free(filter);
		return ctr_error_sys(err, errno ? errno : EIO, "read the seccomp filter");
	}
	prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	prog->filter = filter;
	return 0;
fail:
	if (ctx != NULL)
		seccomp_release(ctx);
	return ctr_error_sys(err, -r, "build the seccomp filter");
}

/*
 * Filters built so far, by capability set: nearly every container has the
 * default set, so one entry does nearly all the work. A few more cover
 * --cap-add variety; the oldest goes when they are all taken (the program
 * is only read between here and the fork, so nothing still points at it).
 */
#define CACHE_SIZE 8
static struct {
	uint64_t caps;
	struct sock_fprog prog; /* filter NULL: empty slot */
} cache[CACHE_SIZE];
static size_t cache_next;

const struct sock_fprog *
seccomp_default_prog(uint64_t caps, struct ctr_error *err)
{
	for (size_t i = 0; i < CACHE_SIZE; i++)
		if (cache[i].prog.filter != NULL && cache[i].caps == caps)
			return &cache[i].prog;
	struct sock_fprog prog;
	if (build(caps, &prog, err) < 0)
		return NULL;
	size_t slot = cache_next++ % CACHE_SIZE;
	free(cache[slot].prog.filter);
	cache[slot].caps = caps;
	cache[slot].prog = prog;
	return &cache[slot].prog;
}

void
seccomp_cache_free(void)
{
	for (size_t i = 0; i < CACHE_SIZE; i++) {
		free(cache[i].prog.filter);
		cache[i].prog.filter = NULL;
	}
}

int
seccomp_install(const struct sock_fprog *prog, struct ctr_error *err)
{
	/* prctl where seccomp(2) is missing (valgrind does not know it). */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0 &&
	    (errno != ENOSYS || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) < 0))
		return ctr_error_sys(err, errno, "load the seccomp filter");
	return 0;
}
