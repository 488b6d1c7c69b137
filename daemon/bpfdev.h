/* SPDX-License-Identifier: MIT */
/*
 * The device allow-list, once for both cgroup versions: v1 writes it to
 * devices.allow; v2 has no devices controller, so it becomes a small eBPF
 * program (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the container's group.
 * Anything not listed is denied, so a device node a container manages to
 * create still cannot be opened.
 */
#ifndef CTRD_BPFDEV_H
#define CTRD_BPFDEV_H

#include "error.h"

struct dev_rule {
	char type;	    /* 'c', 'b' */
	int major, minor;   /* -1: any */
	const char *access; /* any of "rwm" */
};

/* /dev/null, zero, full, random, urandom, tty, console, ptmx, pts/N; mknod of anything. */
extern const struct dev_rule dev_rules[];
extern const size_t dev_rules_count;

/* "c 1:3 rwm", as devices.allow wants it; buf must hold 32 bytes. */
void dev_rule_format(const struct dev_rule *r, char buf[32]);

/* Builds the eBPF program for rules (bpf_insn array, malloc'd) and its length in instructions. */
void *bpfdev_program(const struct dev_rule *rules, size_t n, size_t *len);
/* Loads the program for dev_rules and attaches it to the cgroup directory dirfd. */
int bpfdev_attach(int dirfd, struct ctr_error *err);

#endif
