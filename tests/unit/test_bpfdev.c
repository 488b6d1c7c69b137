/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/bpfdev.h: the device allow-list as devices.allow
 * lines, and the cgroup v2 eBPF program built from it, run here by a small
 * interpreter that knows only the instruction forms bpfdev.c emits and
 * fails on anything else. As root, the real program is loaded and attached
 * to a fresh cgroup2 directory, and a child in that group must be refused
 * the devices the list leaves out.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bpfdev.h"

#define ANY	-1
#define CHR	BPF_DEVCG_DEV_CHAR
#define BLK	BPF_DEVCG_DEV_BLOCK
#define ACC_M	BPF_DEVCG_ACC_MKNOD
#define ACC_R	BPF_DEVCG_ACC_READ
#define ACC_W	BPF_DEVCG_ACC_WRITE
#define ACC_RW	(ACC_R | ACC_W)
#define ACC_RWM (ACC_R | ACC_W | ACC_M)

/* ---------------------------------------------------------------- dev_rules */

static void
test_rule_format(void **state)
{
	static const char *const want[] = {
		"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",	 "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm",
		"c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c *:* m",   "b *:* m",
	};
	char buf[40];

	assert_int_equal(dev_rules_count, ARRAY_SIZE(want));
	for (size_t i = 0; i < dev_rules_count; i++) {
		memset(buf, 'X', sizeof(buf));
		dev_rule_format(&dev_rules[i], buf);
		assert_string_equal(buf, want[i]);
	}

	static const struct {
		struct dev_rule rule;
		const char *want;
	} more[] = {
		{ { 'c', 1, 3, "rwm" }, "c 1:3 rwm" },
		{ { 'c', 136, ANY, "rwm" }, "c 136:* rwm" },
		{ { 'b', ANY, ANY, "m" }, "b *:* m" },
		{ { 'b', 8, 0, "r" }, "b 8:0 r" },
		{ { 'c', ANY, 7, "rw" }, "c *:7 rw" },
		{ { 'c', 0, 0, "w" }, "c 0:0 w" },
		{ { 'c', 4095, 1048575, "rwm" }, "c 4095:1048575 rwm" },
		/* The longest there can be: 27 characters. */
		{ { 'b', INT_MAX, INT_MAX, "rwm" }, "b 2147483647:2147483647 rwm" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(more); i++) {
		memset(buf, 'X', sizeof(buf));
		dev_rule_format(&more[i].rule, buf);
		assert_string_equal(buf, more[i].want);
		/* Nothing past the 32 bytes it may use. */
		for (size_t j = 32; j < sizeof(buf); j++)
			assert_int_equal(buf[j], 'X');
	}
}

/* -------------------------------------------------------------- interpreter */

/* The program under test; a fixture frees it even when a test fails. */
struct prog {
	struct bpf_insn *insns;
	size_t len;
};

static int
prog_setup(void **state)
{
	*state = xcalloc(1, sizeof(struct prog));
	return 0;
}

static int
prog_teardown(void **state)
{
	struct prog *p = *state;

	free(p->insns);
	free(p);
	return 0;
}

static void
build(struct prog *p, const struct dev_rule *rules, size_t n)
{
	free(p->insns);
	p->len = 0xdead;
	p->insns = bpfdev_program(rules, n, &p->len);
	assert_non_null(p->insns);
}

#define VM_FAIL(...)                                                        \
	do {                                                                \
		snprintf(why, why_size, "insn %zu (code %#x): ", pc, code); \
		size_t used_ = strlen(why);                                 \
		snprintf(why + used_, why_size - used_, __VA_ARGS__);       \
		return -1;                                                  \
	} while (0)

/*
 * Runs p on ctx as the kernel would, for exactly the forms bpfdev.c emits:
 * LDX_MEM W from the context, ALU32 AND/RSH with K, ALU32 MOV with X, JNE
 * with K, ALU64 MOV with K and EXIT. Anything else, a read outside the
 * context, a jump out of the program, an unset register, a loop or falling
 * off the end is an error (-1, why says what).
 */
static int
vm_run(const struct prog *p, const struct bpf_cgroup_dev_ctx *ctx, uint64_t *ret, char *why,
       size_t why_size)
{
	uint64_t r[MAX_BPF_REG] = { 0 };
	bool set[MAX_BPF_REG] = { false }, is_ctx[MAX_BPF_REG] = { false };
	size_t pc = 0, steps = 0;
	unsigned code = 0;

	set[BPF_REG_1] = is_ctx[BPF_REG_1] = true;
	for (;;) {
		if (pc >= p->len)
			VM_FAIL("ran off the end of %zu instructions", p->len);
		/* Every jump goes forward, so no instruction runs twice. */
		if (++steps > p->len)
			VM_FAIL("more steps than instructions: a loop");

		const struct bpf_insn *i = &p->insns[pc];
		uint8_t dst = i->dst_reg, src = i->src_reg;
		code = i->code;
		if (dst >= BPF_REG_10 || src > BPF_REG_10)
			VM_FAIL("register r%u or r%u", dst, src);

		switch (code) {
		case BPF_LDX | BPF_MEM | BPF_W: {
			uint32_t v;
			if (i->imm != 0)
				VM_FAIL("imm %d in a load", i->imm);
			if (!is_ctx[src])
				VM_FAIL("load through r%u, not the context", src);
			if (i->off < 0 || i->off % 4 != 0 ||
			    (size_t)i->off + 4 > sizeof(struct bpf_cgroup_dev_ctx))
				VM_FAIL("load of 4 bytes at %d: outside the 12-byte context",
					i->off);
			memcpy(&v, (const char *)ctx + i->off, 4);
			r[dst] = v;
			set[dst] = true;
			is_ctx[dst] = false;
			pc++;
			break;
		}
		case BPF_ALU | BPF_AND | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K: {
			if (src != 0 || i->off != 0)
				VM_FAIL("src r%u off %d in an ALU K", src, i->off);
			if (!set[dst] || is_ctx[dst])
				VM_FAIL("r%u is %s", dst, set[dst] ? "the context" : "unset");
			uint32_t v = (uint32_t)r[dst];
			if (BPF_OP(code) == BPF_AND) {
				v &= (uint32_t)i->imm;
			} else {
				if (i->imm < 0 || i->imm > 31)
					VM_FAIL("shift by %d", i->imm);
				v >>= i->imm;
			}
			r[dst] = v; /* 32-bit operations zero the upper half */
			pc++;
			break;
		}
		case BPF_ALU | BPF_MOV | BPF_X:
			if (i->imm != 0 || i->off != 0)
				VM_FAIL("imm %d off %d in a MOV X", i->imm, i->off);
			if (!set[src] || is_ctx[src])
				VM_FAIL("r%u is %s", src, set[src] ? "the context" : "unset");
			r[dst] = (uint32_t)r[src];
			set[dst] = true;
			is_ctx[dst] = false;
			pc++;
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			if (src != 0 || i->off != 0)
				VM_FAIL("src r%u off %d in a MOV K", src, i->off);
			r[dst] = (uint64_t)(int64_t)i->imm;
			set[dst] = true;
			is_ctx[dst] = false;
			pc++;
			break;
		case BPF_JMP | BPF_JNE | BPF_K: {
			if (src != 0)
				VM_FAIL("src r%u in a JNE K", src);
			if (!set[dst] || is_ctx[dst])
				VM_FAIL("r%u is %s", dst, set[dst] ? "the context" : "unset");
			long target = (long)pc + 1 + i->off;
			if (target < 0 || target >= (long)p->len)
				VM_FAIL("jump by %d to %ld, outside 0..%zu", i->off, target,
					p->len - 1);
			pc = r[dst] != (uint64_t)(int64_t)i->imm ? (size_t)target : pc + 1;
			break;
		}
		case BPF_JMP | BPF_EXIT:
			if (dst != 0 || src != 0 || i->off != 0 || i->imm != 0)
				VM_FAIL("operands in an EXIT");
			if (!set[BPF_REG_0] || is_ctx[BPF_REG_0])
				VM_FAIL("r0 is %s at exit",
					set[BPF_REG_0] ? "the context" : "unset");
			*ret = r[BPF_REG_0];
			return 0;
		default:
			VM_FAIL("an instruction bpfdev.c does not emit");
		}
	}
}

/* Every jump of p lands inside it and every instruction is one the interpreter knows. */
static void
assert_well_formed(const struct prog *p)
{
	assert_true(p->len >= 8);
	for (size_t pc = 0; pc < p->len; pc++) {
		const struct bpf_insn *i = &p->insns[pc];
		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
		case BPF_ALU | BPF_AND | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K:
		case BPF_ALU | BPF_MOV | BPF_X:
		case BPF_ALU64 | BPF_MOV | BPF_K:
		case BPF_JMP | BPF_EXIT:
			break;
		case BPF_JMP | BPF_JNE | BPF_K:
			if ((long)pc + 1 + i->off < 0 || (long)pc + 1 + i->off >= (long)p->len)
				fail_msg("insn %zu: jump by %d out of %zu", pc, i->off, p->len);
			break;
		default:
			fail_msg("insn %zu: unexpected code %#x", pc, i->code);
		}
	}
	/* The kernel refuses a program that can fall off its end. */
	assert_int_equal(p->insns[p->len - 1].code, BPF_JMP | BPF_EXIT);
}

/* What the program answers for one device access: 0 or 1. */
static int
decide(const struct prog *p, int type, uint32_t major, uint32_t minor, int access)
{
	struct bpf_cgroup_dev_ctx ctx = {
		.access_type = ((uint32_t)access << 16) | (uint32_t)type,
		.major = major,
		.minor = minor,
	};
	uint64_t ret = 0xdead;
	char why[256];

	if (vm_run(p, &ctx, &ret, why, sizeof(why)) < 0)
		fail_msg("%c %u:%u access %d: %s", type == BLK ? 'b' : 'c', major, minor, access,
			 why);
	if (ret > 1)
		fail_msg("%c %u:%u access %d: returned %llu", type == BLK ? 'b' : 'c', major, minor,
			 access, (unsigned long long)ret);
	return (int)ret;
}

/* The rules as the header describes them, written plainly. */
static int
model(const struct dev_rule *rules, size_t n, int type, uint32_t major, uint32_t minor, int access)
{
	for (size_t i = 0; i < n; i++) {
		const struct dev_rule *r = &rules[i];
		int allowed = (strchr(r->access, 'r') ? ACC_R : 0) |
			      (strchr(r->access, 'w') ? ACC_W : 0) |
			      (strchr(r->access, 'm') ? ACC_M : 0);
		if (type != (r->type == 'b' ? BLK : CHR) || (access & ~allowed) != 0 ||
		    (r->major != ANY && major != (uint32_t)r->major) ||
		    (r->minor != ANY && minor != (uint32_t)r->minor))
			continue;
		return 1;
	}
	return 0;
}

/* The program's answer for every combination of interesting values equals the model's. */
static void
assert_matches_model(const struct prog *p, const struct dev_rule *rules, size_t n)
{
	static const int types[] = { BLK, CHR, 0, 3 };
	static const uint32_t majors[] = { 0, 1, 4, 5, 7, 8, 10, 136, 137, 254, 4095, UINT32_MAX };
	static const uint32_t minors[] = { 0, 1, 2, 3, 5, 7, 8, 9, 64, 200, 1048575, UINT32_MAX };

	for (size_t t = 0; t < ARRAY_SIZE(types); t++)
		for (size_t a = 0; a < ARRAY_SIZE(majors); a++)
			for (size_t b = 0; b < ARRAY_SIZE(minors); b++)
				for (int acc = 0; acc <= ACC_RWM; acc++) {
					int want = model(rules, n, types[t], majors[a], minors[b],
							 acc);
					int got = decide(p, types[t], majors[a], minors[b], acc);
					if (got != want)
						fail_msg("type %d %u:%u access %d: %d, want %d",
							 types[t], majors[a], minors[b], acc, got,
							 want);
				}
}

/* The length bpfdev.c documents: 6 to load, per rule 6 plus one per fixed number, 2 to deny. */
static size_t
want_len(const struct dev_rule *rules, size_t n)
{
	size_t len = 6 + 2;

	for (size_t i = 0; i < n; i++)
		len += 6 + (rules[i].major != ANY) + (rules[i].minor != ANY);
	return len;
}

/* ------------------------------------------------------------------ program */

static void
test_program_default_rules(void **state)
{
	struct prog *p = *state;

	build(p, dev_rules, dev_rules_count);
	assert_int_equal(p->len, 91);
	assert_int_equal(p->len, want_len(dev_rules, dev_rules_count));
	assert_well_formed(p);

	/* /dev/null, zero, full, random, urandom, tty, console, ptmx: anything. */
	static const uint32_t ones[] = { 3, 5, 7, 8, 9 };
	for (size_t i = 0; i < ARRAY_SIZE(ones); i++)
		for (int acc = 1; acc <= ACC_RWM; acc++)
			assert_int_equal(decide(p, CHR, 1, ones[i], acc), 1);
	for (uint32_t minor = 0; minor <= 2; minor++)
		for (int acc = 1; acc <= ACC_RWM; acc++)
			assert_int_equal(decide(p, CHR, 5, minor, acc), 1);
	assert_int_equal(decide(p, CHR, 1, 3, ACC_R), 1);
	assert_int_equal(decide(p, CHR, 1, 3, ACC_W), 1);
	assert_int_equal(decide(p, CHR, 1, 3, ACC_M), 1);
	assert_int_equal(decide(p, CHR, 5, 2, ACC_RW), 1);

	/* /dev/mem: created, never opened. */
	assert_int_equal(decide(p, CHR, 1, 1, ACC_R), 0);
	assert_int_equal(decide(p, CHR, 1, 1, ACC_W), 0);
	assert_int_equal(decide(p, CHR, 1, 1, ACC_RW), 0);
	assert_int_equal(decide(p, CHR, 1, 1, ACC_M), 1);
	/* Mixed access on an "m"-only rule: all of it must be allowed. */
	assert_int_equal(decide(p, CHR, 1, 1, ACC_R | ACC_M), 0);
	assert_int_equal(decide(p, CHR, 10, 200, ACC_RW), 0);
	assert_int_equal(decide(p, CHR, 10, 200, ACC_R), 0);
	assert_int_equal(decide(p, CHR, 10, 200, ACC_W | ACC_M), 0);
	assert_int_equal(decide(p, CHR, 10, 200, ACC_M), 1);
	assert_int_equal(decide(p, CHR, 5, 3, ACC_R), 0);
	assert_int_equal(decide(p, CHR, 4, 0, ACC_RW), 0);

	/* pts/N, any N. */
	static const uint32_t pts[] = { 0, 1, 5, 255, 1048575, UINT32_MAX };
	for (size_t i = 0; i < ARRAY_SIZE(pts); i++) {
		assert_int_equal(decide(p, CHR, 136, pts[i], ACC_RW), 1);
		assert_int_equal(decide(p, CHR, 136, pts[i], ACC_RWM), 1);
		assert_int_equal(decide(p, CHR, 137, pts[i], ACC_RW), 0);
		assert_int_equal(decide(p, BLK, 136, pts[i], ACC_RW), 0);
	}

	/* Block devices: mknod only, whatever the numbers. */
	static const uint32_t blk[][2] = { { 1, 3 },   { 7, 0 },   { 8, 0 }, { 8, 1 },
					   { 253, 0 }, { 259, 3 }, { 0, 0 } };
	for (size_t i = 0; i < ARRAY_SIZE(blk); i++) {
		assert_int_equal(decide(p, BLK, blk[i][0], blk[i][1], ACC_R), 0);
		assert_int_equal(decide(p, BLK, blk[i][0], blk[i][1], ACC_W), 0);
		assert_int_equal(decide(p, BLK, blk[i][0], blk[i][1], ACC_RW), 0);
		assert_int_equal(decide(p, BLK, blk[i][0], blk[i][1], ACC_RWM), 0);
		assert_int_equal(decide(p, BLK, blk[i][0], blk[i][1], ACC_M), 1);
	}

	/* Neither char nor block. */
	assert_int_equal(decide(p, 0, 1, 3, ACC_R), 0);
	assert_int_equal(decide(p, 3, 1, 3, ACC_R), 0);

	assert_matches_model(p, dev_rules, dev_rules_count);
}

static void
test_program_no_rules(void **state)
{
	struct prog *p = *state;

	build(p, dev_rules, 0);
	assert_int_equal(p->len, 8);
	assert_well_formed(p);
	assert_int_equal(decide(p, CHR, 1, 3, ACC_R), 0);
	assert_int_equal(decide(p, CHR, 1, 3, ACC_M), 0);
	assert_int_equal(decide(p, BLK, 8, 0, ACC_M), 0);
	assert_matches_model(p, dev_rules, 0);
}

/* Rules with every combination of fixed and wildcard numbers, and odd access strings. */
static void
test_program_other_rules(void **state)
{
	static const struct dev_rule rules[] = {
		{ 'b', 8, ANY, "rw" },				   /* a major only */
		{ 'c', ANY, 5, "r" },				   /* a minor only */
		{ 'c', 4, 64, "w" },				   /* both */
		{ 'c', 4095, 1048575, "mr" }, { 'b', 254, 0, "" }, /* nothing but access 0 */
		{ 'c', 10, 200, "wm" },
	};
	struct prog *p = *state;

	build(p, rules, ARRAY_SIZE(rules));
	assert_int_equal(p->len, want_len(rules, ARRAY_SIZE(rules)));
	assert_int_equal(p->len, 8 + 7 + 7 + 8 + 8 + 8 + 8);
	assert_well_formed(p);

	assert_int_equal(decide(p, BLK, 8, 0, ACC_RW), 1);
	assert_int_equal(decide(p, BLK, 8, 17, ACC_R), 1);
	assert_int_equal(decide(p, BLK, 8, 0, ACC_M), 0);
	assert_int_equal(decide(p, BLK, 9, 0, ACC_R), 0);
	assert_int_equal(decide(p, CHR, 8, 0, ACC_R), 0);
	assert_int_equal(decide(p, CHR, 1, 5, ACC_R), 1);
	assert_int_equal(decide(p, CHR, 77, 5, ACC_R), 1);
	assert_int_equal(decide(p, CHR, 77, 5, ACC_W), 0);
	assert_int_equal(decide(p, CHR, 4, 64, ACC_W), 1);
	assert_int_equal(decide(p, CHR, 4, 64, ACC_R), 0);
	assert_int_equal(decide(p, CHR, 4, 65, ACC_W), 0);
	assert_int_equal(decide(p, CHR, 4095, 1048575, ACC_R | ACC_M), 1);
	assert_int_equal(decide(p, CHR, 10, 200, ACC_W | ACC_M), 1);
	assert_int_equal(decide(p, CHR, 10, 200, ACC_RW), 0);
	assert_int_equal(decide(p, BLK, 254, 0, ACC_R), 0);

	assert_matches_model(p, rules, ARRAY_SIZE(rules));

	/* Each rule alone, and the rules in reverse order. */
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		build(p, &rules[i], 1);
		assert_int_equal(p->len, want_len(&rules[i], 1));
		assert_well_formed(p);
		assert_matches_model(p, &rules[i], 1);
	}
	struct dev_rule reversed[ARRAY_SIZE(rules)];
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		reversed[i] = rules[ARRAY_SIZE(rules) - 1 - i];
	build(p, reversed, ARRAY_SIZE(reversed));
	assert_well_formed(p);
	assert_matches_model(p, reversed, ARRAY_SIZE(reversed));
}

/* The interpreter must refuse what the kernel would, or the tests above prove little. */
static void
test_interpreter_refuses(void **state)
{
	struct prog *p = *state;
	struct bpf_cgroup_dev_ctx ctx = { (ACC_R << 16) | CHR, 1, 3 };
	uint64_t ret;
	char why[256];

	build(p, dev_rules, dev_rules_count);
	assert_int_equal(vm_run(p, &ctx, &ret, why, sizeof(why)), 0);
	assert_int_equal(ret, 1);

	/* A load past the 12 bytes. */
	p->insns[4].off = 12;
	assert_int_equal(vm_run(p, &ctx, &ret, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "outside the 12-byte context"));
	p->insns[4].off = 4;
	/* A jump out of the program. */
	p->insns[6].off = (int16_t)p->len;
	assert_int_equal(vm_run(p, &ctx, &ret, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "jump by"));
	p->insns[6].off = 7;
	/* An opcode it does not know (ALU64 ADD X). */
	p->insns[1].code = BPF_ALU64 | BPF_ADD | BPF_X;
	assert_int_equal(vm_run(p, &ctx, &ret, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "does not emit"));
	p->insns[1].code = BPF_ALU | BPF_AND | BPF_K;
	assert_int_equal(vm_run(p, &ctx, &ret, why, sizeof(why)), 0);
	assert_int_equal(ret, 1);
}

/* --------------------------------------------------------- attach (as root) */

static const struct {
	const char *name;
	mode_t type;
	unsigned major, minor;
	int flags;
	int want_errno; /* from open() inside the group */
} nodes[] = {
	{ "null", S_IFCHR, 1, 3, O_RDWR, 0 },	    { "zero", S_IFCHR, 1, 5, O_RDONLY, 0 },
	{ "mem", S_IFCHR, 1, 1, O_RDONLY, EPERM },  { "tun", S_IFCHR, 10, 200, O_RDWR, EPERM },
	{ "loop", S_IFBLK, 7, 0, O_RDONLY, EPERM }, { "sda", S_IFBLK, 8, 0, O_RDONLY, EPERM },
};

struct cg_fixture {
	char root[64];	 /* the cgroup2 mount */
	char dir[1024];	 /* the test's group, "" until made */
	char nodes[128]; /* a directory for device nodes, "" until made */
	int dirfd;
	pid_t child; /* -1 once reaped */
};

static int
cg_setup(void **state)
{
	struct cg_fixture *f = xcalloc(1, sizeof(*f));

	f->dirfd = -1;
	f->child = -1;
	*state = f;
	return 0;
}

/* Waits until the group has no process left (cgroup.events says "populated 0"). */
static void
wait_unpopulated(const char *dir)
{
	char *path = xasprintf("%s/cgroup.events", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	free(path);
	for (int rounds = 0; fd >= 0 && rounds < 100; rounds++) {
		char buf[256];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			break;
		buf[n] = '\0';
		if (strstr(buf, "populated 0") != NULL)
			break;
		struct pollfd pfd = { .fd = fd, .events = POLLPRI };
		if (poll(&pfd, 1, 100) < 0)
			break;
	}
	if (fd >= 0)
		close(fd);
}

/* Runs even when the test failed: the child, the nodes and the group go. */
static int
cg_teardown(void **state)
{
	struct cg_fixture *f = *state;
	int rc = 0;

	if (f->child > 0) {
		kill(f->child, SIGKILL);
		waitpid(f->child, NULL, 0);
	}
	if (f->dirfd >= 0)
		close(f->dirfd);
	if (f->nodes[0] != '\0') {
		for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
			char *path = xasprintf("%s/%s", f->nodes, nodes[i].name);
			unlink(path);
			free(path);
		}
		if (rmdir(f->nodes) < 0) {
			fprintf(stderr, "# rmdir %s: %s\n", f->nodes, strerror(errno));
			rc = -1;
		}
	}
	if (f->dir[0] != '\0' && rmdir(f->dir) < 0) {
		if (errno == EBUSY) {
			wait_unpopulated(f->dir);
			if (rmdir(f->dir) == 0)
				goto out;
		}
		fprintf(stderr, "# rmdir %s: %s\n", f->dir, strerror(errno));
		rc = -1;
	}
out:
	free(f);
	return rc;
}

/* The cgroup2 hierarchy: /sys/fs/cgroup, or /sys/fs/cgroup/unified beside v1; false if neither. */
static bool
find_cgroup2(char *root, size_t size)
{
	static const char *const candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs sfs;

	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++)
		if (statfs(candidates[i], &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) {
			snprintf(root, size, "%s", candidates[i]);
			return true;
		}
	return false;
}

/* Our own group in the v2 hierarchy ("/" or "/a/b"), from /proc/self/cgroup. */
static void
own_cgroup(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[512];

	buf[0] = '\0';
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "0::", 3) == 0) {
			size_t len = strcspn(line + 3, "\n");
			if (len < size) {
				memcpy(buf, line + 3, len);
				buf[len] = '\0';
			}
		}
	fclose(f);
	assert_true(buf[0] == '/');
}

/* In the child (no cmocka): "msg" about what went wrong, written to out. */
static _printf_(2, 3) void report(int out, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(out, buf, (size_t)n) < 0)
		_exit(2);
}

static int
write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int rc = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	int e = errno;

	if (fd >= 0)
		close(fd);
	errno = e;
	return rc;
}

/* The child: makes the nodes, joins the group, opens them, goes back home. */
static _noreturn_ void
device_child(const struct cg_fixture *f, const char *home, int out)
{
	char path[2048];

	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->nodes, nodes[i].name);
		if (mknod(path, nodes[i].type | 0600, makedev(nodes[i].major, nodes[i].minor)) < 0)
			report(out, "mknod %s outside the group: %s", path, strerror(errno));
	}
	/* Outside the group, tun opens: its refusal inside is the program's. */
	snprintf(path, sizeof(path), "%s/tun", f->nodes);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == EPERM)
		report(out, "open %s outside the group: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/cgroup.procs", f->dir);
	if (write_text(path, "0") < 0) {
		report(out, "join %s: %s", f->dir, strerror(errno));
		_exit(1);
	}

	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->nodes, nodes[i].name);
		fd = open(path, nodes[i].flags | O_CLOEXEC | O_NONBLOCK);
		int e = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		if (e != nodes[i].want_errno)
			report(out, "open %s (%c %u:%u) in the group: %s, want %s", path,
			       S_ISBLK(nodes[i].type) ? 'b' : 'c', nodes[i].major, nodes[i].minor,
			       e ? strerror(e) : "success",
			       nodes[i].want_errno ? strerror(nodes[i].want_errno) : "success");
	}
	/* mknod is allowed for any node ("c *:* m", "b *:* m"). */
	snprintf(path, sizeof(path), "%s/mem", f->nodes);
	unlink(path);
	if (mknod(path, S_IFCHR | 0600, makedev(1, 1)) < 0)
		report(out, "mknod %s in the group: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/sda", f->nodes);
	unlink(path);
	if (mknod(path, S_IFBLK | 0600, makedev(8, 0)) < 0)
		report(out, "mknod %s in the group: %s", path, strerror(errno));
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		report(out, "open /dev/null in the group: %s", strerror(errno));
	else
		close(fd);

	/* Leave, so the group is empty and can go as soon as we are reaped. */
	snprintf(path, sizeof(path), "%s%s/cgroup.procs", f->root, strcmp(home, "/") ? home : "");
	if (write_text(path, "0") < 0)
		report(out, "go back to %s: %s", path, strerror(errno));
	_exit(0);
}

/*
 * As root: bpfdev_attach() loads the program for dev_rules into a fresh
 * cgroup2 group; the kernel accepts it, lists it on the group, and a process
 * in the group can open /dev/null but not /dev/mem, tun or a disk.
 */
static void
test_attach(void **state)
{
	struct cg_fixture *f = *state;
	struct ctr_error err = CTR_ERROR_INIT;
	char home[256], msg[256];

	if (geteuid() != 0 || !find_cgroup2(f->root, sizeof(f->root)))
		skip();
	own_cgroup(home, sizeof(home));

	snprintf(f->dir, sizeof(f->dir), "%s%s/ctrd-test-bpfdev.%d", f->root,
		 strcmp(home, "/") ? home : "", (int)getpid());
	if (mkdir(f->dir, 0755) < 0) {
		int e = errno;
		f->dir[0] = '\0';
		if (e == EACCES || e == EROFS || e == EPERM)
			skip(); /* a read-only or delegated-elsewhere hierarchy */
		fail_msg("mkdir: %s", strerror(e));
	}
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->dirfd >= 0);

	int rc = bpfdev_attach(f->dirfd, &err);
	snprintf(msg, sizeof(msg), "%s", err.msg ? err.msg : "");
	ctr_error_clear(&err);
	if (rc != 0)
		fail_msg("bpfdev_attach: %s", msg);

	/* The group lists exactly one device program, attached to run beside others. */
	uint32_t ids[8] = { 0 };
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)f->dirfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = ARRAY_SIZE(ids);
	assert_int_equal(syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)), 0);
	assert_int_equal(attr.query.prog_cnt, 1);
	assert_int_equal(attr.query.attach_flags, BPF_F_ALLOW_MULTI);
	assert_true(ids[0] != 0);

	/* And it is enforced. */
	char *tmpl = xstrdup("/tmp/ctrd-test-bpfdev.XXXXXX");
	char *made = mkdtemp(tmpl);
	if (made != NULL)
		snprintf(f->nodes, sizeof(f->nodes), "%s", made);
	free(tmpl);
	assert_true(f->nodes[0] != '\0');
	struct statvfs svfs;
	assert_int_equal(statvfs(f->nodes, &svfs), 0);
	if (svfs.f_flag & ST_NODEV)
		skip(); /* /tmp is nodev: no device opens there */

	int fds[2], status;
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	f->child = fork();
	if (f->child == 0) {
		close(fds[0]);
		device_child(f, home, fds[1]);
	}
	close(fds[1]);
	char out[4096];
	size_t used = 0;
	ssize_t n;
	while (used < sizeof(out) - 1 && (n = read(fds[0], out + used, sizeof(out) - 1 - used)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(fds[0]);
	assert_true(f->child > 0);
	assert_int_equal(waitpid(f->child, &status, 0), f->child);
	f->child = -1;
	if (used > 0)
		fail_msg("in the child:\n%s", out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* As root: attaching to something that is not a cgroup fails with the kernel's reason. */
static void
test_attach_not_a_cgroup(void **state)
{
	struct ctr_error err = CTR_ERROR_INIT;
	char msg[256];

	if (geteuid() != 0)
		skip();
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	int rc = bpfdev_attach(fd, &err);
	close(fd);
	snprintf(msg, sizeof(msg), "%s", err.msg ? err.msg : "");
	int code = err.code, errnum = err.errnum;
	ctr_error_clear(&err);
	assert_int_equal(rc, -1);
	assert_int_equal(code, CTR_E_SYSTEM);
	assert_int_equal(errnum, EBADF);
	if (strstr(msg, "attach the device filter") == NULL)
		fail_msg("\"%s\" does not say what failed", msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_format),
		cmocka_unit_test_setup_teardown(test_program_default_rules, prog_setup,
						prog_teardown),
		cmocka_unit_test_setup_teardown(test_program_no_rules, prog_setup, prog_teardown),
		cmocka_unit_test_setup_teardown(test_program_other_rules, prog_setup,
						prog_teardown),
		cmocka_unit_test_setup_teardown(test_interpreter_refuses, prog_setup,
						prog_teardown),
		cmocka_unit_test_setup_teardown(test_attach, cg_setup, cg_teardown),
		cmocka_unit_test(test_attach_not_a_cgroup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
