/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>

#include "bpfdev.h"

const struct dev_rule dev_rules[] = {
	{ 'c', 1, 3, "rwm" },	 /* null */
	{ 'c', 1, 5, "rwm" },	 /* zero */
	{ 'c', 1, 7, "rwm" },	 /* full */
	{ 'c', 1, 8, "rwm" },	 /* random */
	{ 'c', 1, 9, "rwm" },	 /* urandom */
	{ 'c', 5, 0, "rwm" },	 /* tty */
	{ 'c', 5, 1, "rwm" },	 /* console */
	{ 'c', 5, 2, "rwm" },	 /* ptmx */
	{ 'c', 136, -1, "rwm" }, /* pts/N */
	/* Creating nodes is harmless when opening them is not allowed (docker's default). */
	{ 'c', -1, -1, "m" },
	{ 'b', -1, -1, "m" },
};
const size_t dev_rules_count = ARRAY_SIZE(dev_rules);

void
dev_rule_format(const struct dev_rule *r, char buf[32])
{
	char major[12] = "*", minor[12] = "*";

	if (r->major >= 0)
		snprintf(major, sizeof(major), "%d", r->major);
	if (r->minor >= 0)
		snprintf(minor, sizeof(minor), "%d", r->minor);
	snprintf(buf, 32, "%c %s:%s %s", r->type, major, minor, r->access);
}

/* The few instruction forms the program needs (the kernel's filter.h macros, which uapi lacks). */
static struct bpf_insn
insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
	return i;
}
#define LDX_W(dst, src, off)	insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) insn(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src)	insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define JNE_IMM(dst, imm, off)	insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define MOV64_IMM(dst, imm)	insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define EXIT()			insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int
access_mask(const char *access)
{
	int m = 0;

	for (const char *p = access; *p != '\0'; p++)
		m |= *p == 'r'	 ? BPF_DEVCG_ACC_READ
		     : *p == 'w' ? BPF_DEVCG_ACC_WRITE
		     : *p == 'm' ? BPF_DEVCG_ACC_MKNOD
				 : 0;
	return m;
}

/*
 * The program, for ctx = struct bpf_cgroup_dev_ctx:
 *   r2 = device type, r3 = requested access, r4 = major, r5 = minor
 *   for each rule: if the type, access, major and minor match, return 1
 *   return 0
 * Each rule is a block whose failed tests jump past its end.
 */
void *
bpfdev_program(const struct dev_rule *rules, size_t n, size_t *len)
{
	struct bpf_insn *p = xcalloc(6 + n * 8 + 2, sizeof(*p));
	size_t k = 0;

	p[k++] = LDX_W(BPF_REG_2, BPF_REG_1, 0); /* access_type: type in the low half */
	p[k++] = ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff);
	p[k++] = LDX_W(BPF_REG_3, BPF_REG_1, 0); /* ... access in the high half */
	p[k++] = ALU32_IMM(BPF_RSH, BPF_REG_3, 16);
	p[k++] = LDX_W(BPF_REG_4, BPF_REG_1, 4);
	p[k++] = LDX_W(BPF_REG_5, BPF_REG_1, 8);
	for (size_t i = 0; i < n; i++) {
		const struct dev_rule *r = &rules[i];
		int type = r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
		/* The block's length decides the jumps: 1 + 2 + 1? + 1? + 2. */
		int16_t size = (int16_t)(1 + 3 + (r->major >= 0) + (r->minor >= 0) + 2);
		int16_t left = size;

		p[k++] = JNE_IMM(BPF_REG_2, type, --left);
		/* Every requested access bit must be allowed: (access & ~allowed) == 0. */
		p[k++] = MOV32_REG(BPF_REG_1, BPF_REG_3);
		--left;
		p[k++] = ALU32_IMM(BPF_AND, BPF_REG_1, ~access_mask(r->access));
		--left;
		p[k++] = JNE_IMM(BPF_REG_1, 0, --left);
		if (r->major >= 0)
			p[k++] = JNE_IMM(BPF_REG_4, r->major, --left);
		if (r->minor >= 0)
			p[k++] = JNE_IMM(BPF_REG_5, r->minor, --left);
		p[k++] = MOV64_IMM(BPF_REG_0, 1);
		p[k++] = EXIT();
	}
	p[k++] = MOV64_IMM(BPF_REG_0, 0);
	p[k++] = EXIT();
	*len = k;
	return p;
}

int
bpfdev_attach(int dirfd, struct ctr_error *err)
{
	size_t len;
	_cleanup_free_ struct bpf_insn *prog = bpfdev_program(dev_rules, dev_rules_count, &len);
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)prog;
	attr.insn_cnt = (uint32_t)len;
	attr.license = (uint64_t)(uintptr_t) "MIT";
	_cleanup_close_ int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0)
		return ctr_error_sys(err, errno, "load the device filter (eBPF)");

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dirfd;
	attr.attach_bpf_fd = (uint32_t)fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	/* Alongside whatever an ancestor has attached (systemd's): all of them must allow. */
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0)
		return ctr_error_sys(err, errno, "attach the device filter");
	/* The cgroup holds the program now; our fd may go. */
	return 0;
}
