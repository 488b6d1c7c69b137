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

#include "error.h"

/* Loads the filter for a process with capability set caps; the last step before execve. */
int seccomp_load_default(uint64_t caps, struct ctr_error *err);

#endif
