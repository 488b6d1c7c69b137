/* SPDX-License-Identifier: MIT */
/*
 * The default seccomp filter (libseccomp), equivalent in effect to docker's
 * default profile: system calls that only make sense with capabilities a
 * container does not have by default (mounting, new namespaces, modules,
 * reboot, keyrings, bpf, kexec, the clock, swap, raw I/O ports, ...) fail
 * with EPERM. Adding the capability (--cap-add SYS_ADMIN, SYS_MODULE, ...)
 * lifts the matching rules, as docker's profile does. The filter covers the
 * compat ABIs too (x86 and x32 on x86-64), so int 0x80 is no way around it.
 */
#ifndef CTRD_SECCOMP_H
#define CTRD_SECCOMP_H

#include <linux/filter.h>

#include "error.h"

/*
 * The filter for a process with capability set caps, as a BPF program for
 * seccomp(2). Built with libseccomp in the daemon, once per capability set,
 * and kept: a start or exec only copies it down with fork, and the child
 * installs it with one system call instead of compiling it again. The
 * program stays valid until the next call (or seccomp_cache_free()).
 */
const struct sock_fprog *seccomp_default_prog(uint64_t caps, struct ctr_error *err);
/* Installs prog; the last step before execve (no_new_privs must be set). */
int seccomp_install(const struct sock_fprog *prog, struct ctr_error *err);
/* Frees the kept programs (at exit, for leak checkers). */
void seccomp_cache_free(void);

#endif
