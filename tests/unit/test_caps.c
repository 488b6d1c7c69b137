/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/caps.h: capability names, docker's default set,
 * --cap-add/--cap-drop as docker applies them, and the names inspect shows.
 * caps_limit_bounding() and caps_apply() change the calling process, so they
 * only run in forked children that report /proc/self/status back.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "caps.h"

#define BIT(cap)       (UINT64_C(1) << (cap))
#define DOCKER_DEFAULT UINT64_C(0xa80425fb)

/* ------------------------------------------------------------------ helpers */

static json_t *
load(const char *text)
{
	json_error_t jerr;
	json_t *v;

	if (text == NULL)
		return NULL;
	v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL)
		fail_msg("bad test JSON %s: %s", text, jerr.text);
	return v;
}

static char *
repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static int
read_status(const char *field, uint64_t *out)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t len = strlen(field);
	int rc = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			unsigned long long v;
			if (sscanf(line + len + 1, "%llx", &v) == 1) {
				*out = v;
				rc = 0;
			}
			break;
		}
	fclose(f);
	return rc;
}

/* Every capability this kernel knows (/proc/sys/kernel/cap_last_cap). */
static uint64_t
kernel_caps(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = -1;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &last), 1);
	fclose(f);
	assert_true(last >= CAP_AUDIT_WRITE && last <= 63);
	return last == 63 ? UINT64_MAX : BIT(last + 1) - 1;
}

/*
 * What caps_compute can hand on, its "ALL": the kernel's capabilities less
 * those missing from the caller's bounding set (a sandbox may lack some).
 */
static uint64_t
held_caps(void)
{
	uint64_t bnd = 0;

	assert_int_equal(read_status("CapBnd", &bnd), 0);
	return kernel_caps() & bnd;
}

/* caps_compute with add and drop given as JSON text (NULL: no array) must succeed. */
static uint64_t
compute_ok(const char *add, const char *drop)
{
	struct ctr_error err = CTR_ERROR_INIT;
	json_t *a = load(add), *d = load(drop);
	uint64_t set = UINT64_C(0xdeadbeef);
	int rc = caps_compute(a, d, &set, &err);

	json_decref(a);
	json_decref(d);
	if (rc != 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", err.msg ? err.msg : "(no message)");
		ctr_error_clear(&err);
		fail_msg("caps_compute(%s, %s): %s", add ? add : "NULL", drop ? drop : "NULL", msg);
	}
	assert_int_equal(err.code, 0);
	assert_null(err.msg);
	return set;
}

/* caps_compute(add, drop) must give exactly want. */
static void
expect(const char *add, const char *drop, uint64_t want)
{
	uint64_t got = compute_ok(add, drop);

	if (got != want)
		fail_msg("caps_compute(%s, %s) = %#llx, want %#llx", add ? add : "NULL",
			 drop ? drop : "NULL", (unsigned long long)got, (unsigned long long)want);
}

/*
 * caps_compute never hands on what this process lacks; where its bounding
 * set misses one of the capabilities a test names, the test cannot be exact.
 */
static void
require_held(void)
{
	uint64_t need = DOCKER_DEFAULT | BIT(CAP_NET_ADMIN) | BIT(CAP_SYS_PTRACE) |
			BIT(CAP_SYS_ADMIN);

	if ((held_caps() & need) != need)
		skip();
}

/* caps_compute must fail with CTR_E_INVALID_PARAMS, a message holding each of what, and leave *set.
 */
static void
compute_fails(const char *add, const char *drop, const char *what1, const char *what2)
{
	struct ctr_error err = CTR_ERROR_INIT;
	json_t *a = load(add), *d = load(drop);
	uint64_t set = UINT64_C(0xdeadbeef);
	int rc = caps_compute(a, d, &set, &err);
	char msg[256];

	json_decref(a);
	json_decref(d);
	snprintf(msg, sizeof(msg), "%s", err.msg ? err.msg : "(no message)");
	int code = err.code, errnum = err.errnum;
	ctr_error_clear(&err);
	if (rc != -1)
		fail_msg("caps_compute(%s, %s) accepted: %#llx", add ? add : "NULL",
			 drop ? drop : "NULL", (unsigned long long)set);
	if (code != CTR_E_INVALID_PARAMS)
		fail_msg("caps_compute(%s, %s): code %d (%s)", add ? add : "NULL",
			 drop ? drop : "NULL", code, msg);
	assert_int_equal(errnum, 0);
	if (strstr(msg, what1) == NULL || (what2 != NULL && strstr(msg, what2) == NULL))
		fail_msg("caps_compute(%s, %s): \"%s\" does not say \"%s\" and \"%s\"",
			 add ? add : "NULL", drop ? drop : "NULL", msg, what1, what2 ? what2 : "");
	assert_int_equal(set, UINT64_C(0xdeadbeef));
}

/* caps_to_json(set) must be exactly the names in want, in that order. */
static void
assert_names(uint64_t set, const char *const *want, size_t n)
{
	json_t *arr = caps_to_json(set);

	assert_non_null(arr);
	assert_true(json_is_array(arr));
	if (json_array_size(arr) != n) {
		char *text = json_dumps(arr, JSON_COMPACT);
		char copy[1024];
		snprintf(copy, sizeof(copy), "%s", text);
		free(text);
		json_decref(arr);
		fail_msg("caps_to_json(%#llx): %s, want %zu names", (unsigned long long)set, copy,
			 n);
	}
	for (size_t i = 0; i < n; i++) {
		const char *got = json_string_value(json_array_get(arr, i));
		if (got == NULL || strcmp(got, want[i]) != 0) {
			char copy[64];
			snprintf(copy, sizeof(copy), "%s", got ? got : "(not a string)");
			json_decref(arr);
			fail_msg("caps_to_json(%#llx)[%zu] = %s, want %s", (unsigned long long)set,
				 i, copy, want[i]);
		}
	}
	json_decref(arr);
}

/* -------------------------------------------------------------------- parse */

static void
test_parse_names(void **state)
{
	assert_int_equal(caps_parse("CHOWN"), CAP_CHOWN);
	assert_int_equal(caps_parse("CAP_CHOWN"), 0);
	assert_int_equal(caps_parse("chown"), 0);
	assert_int_equal(caps_parse("cap_chown"), 0);
	assert_int_equal(caps_parse("Cap_ChOwN"), 0);
	assert_int_equal(caps_parse("cAP_chowN"), 0);

	assert_int_equal(caps_parse("DAC_OVERRIDE"), 1);
	assert_int_equal(caps_parse("KILL"), 5);
	assert_int_equal(caps_parse("SETPCAP"), 8);
	assert_int_equal(caps_parse("NET_ADMIN"), 12);
	assert_int_equal(caps_parse("cap_net_admin"), 12);
	assert_int_equal(caps_parse("NET_RAW"), 13);
	assert_int_equal(caps_parse("SYS_CHROOT"), 18);
	assert_int_equal(caps_parse("SYS_PTRACE"), 19);
	assert_int_equal(caps_parse("SYS_ADMIN"), 21);
	assert_int_equal(caps_parse("MKNOD"), 27);
	assert_int_equal(caps_parse("AUDIT_WRITE"), 29);
	assert_int_equal(caps_parse("SETFCAP"), 31);
	assert_int_equal(caps_parse("MAC_OVERRIDE"), 32);
	assert_int_equal(caps_parse("BPF"), 39);
	assert_int_equal(caps_parse("CAP_CHECKPOINT_RESTORE"), 40);
}

static void
test_parse_all(void **state)
{
	assert_int_equal(caps_parse("ALL"), -2);
	assert_int_equal(caps_parse("all"), -2);
	assert_int_equal(caps_parse("aLl"), -2);
	/* docker knows ALL only without the prefix. */
	assert_int_equal(caps_parse("CAP_ALL"), -1);
	assert_int_equal(caps_parse("ALLX"), -1);
	assert_int_equal(caps_parse("AL"), -1);
}

static void
test_parse_unknown(void **state)
{
	assert_int_equal(caps_parse(""), -1);
	assert_int_equal(caps_parse("CAP_"), -1);
	assert_int_equal(caps_parse("cap_"), -1);
	assert_int_equal(caps_parse("CAP"), -1);
	assert_int_equal(caps_parse("NOPE"), -1);
	assert_int_equal(caps_parse("CAP_NOPE"), -1);
	assert_int_equal(caps_parse("CHOWNX"), -1);
	assert_int_equal(caps_parse("CHOWN_"), -1);
	assert_int_equal(caps_parse("CHOW"), -1);
	assert_int_equal(caps_parse("CAP_CAP_CHOWN"), -1);
	assert_int_equal(caps_parse("CAPCHOWN"), -1);
	assert_int_equal(caps_parse(" CHOWN"), -1);
	assert_int_equal(caps_parse("_CHOWN"), -1);
	/* Numbers are not names. */
	assert_int_equal(caps_parse("0"), -1);
	assert_int_equal(caps_parse("12"), -1);
	assert_int_equal(caps_parse("CAP_12"), -1);
}

static void
test_parse_over_long(void **state)
{
	/* caps.c copies into a 64-byte buffer: "cap_" + name + NUL. */
	char *a59 = repeat('A', 59), *a60 = repeat('A', 60), *huge = repeat('K', 100000);
	char *prefixed = xasprintf("CAP_%s", a60);
	char *chown_tail = xasprintf("CHOWN%s", a60);

	assert_int_equal(caps_parse(a59), -1);
	assert_int_equal(caps_parse(a60), -1);
	assert_int_equal(caps_parse(prefixed), -1);
	assert_int_equal(caps_parse(chown_tail), -1);
	assert_int_equal(caps_parse(huge), -1);
	free(a59);
	free(a60);
	free(huge);
	free(prefixed);
	free(chown_tail);
}

/* name with '\n' and '\t' spelled out, for a message. */
static void
printable(const char *name, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *p = name; *p != '\0' && n + 3 < size; p++) {
		if (*p == '\n' || *p == '\t') {
			buf[n++] = '\\';
			buf[n++] = *p == '\n' ? 'n' : 't';
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
}

/*
 * A name with anything after a capability name is unknown. libcap's
 * cap_from_name() stops at the first character that is not a letter or '_'
 * and ignores the rest, so caps_parse() takes "CHOWN1" for CHOWN and
 * "SYS_ADMIN-x" for SYS_ADMIN.
 */
static void
test_parse_trailing_junk(void **state)
{
	static const char *const names[] = {
		"CHOWN1",      "CHOWN ",     "CHOWN\n", "CAP_KILL;", "NET_ADMIN,NET_RAW",
		"SYS_ADMIN-x", "cap_chown.", "CHOWN\t", "MKNOD0",
	};
	char bad[512] = "";

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		int cap = caps_parse(names[i]);
		if (cap != -1) {
			size_t used = strlen(bad);
			char shown[64];
			printable(names[i], shown, sizeof(shown));
			snprintf(bad + used, sizeof(bad) - used, " \"%s\"->%d", shown, cap);
		}
	}
	if (bad[0] != '\0')
		fail_msg("names with trailing junk accepted:%s", bad);
}

/* ------------------------------------------------------------------ default */

static void
test_default(void **state)
{
	static const int want[] = {
		CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,	     CAP_FOWNER,
		CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,	     CAP_SETUID,
		CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
		CAP_KILL,    CAP_AUDIT_WRITE,
	};
	uint64_t mask = 0;

	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		mask |= BIT(want[i]);
	assert_int_equal(caps_default(), DOCKER_DEFAULT);
	assert_int_equal(mask, DOCKER_DEFAULT);
	assert_int_equal(__builtin_popcountll(caps_default()), 14);
	/* Nothing that breaks out of a container. */
	assert_false(caps_default() & BIT(CAP_SYS_ADMIN));
	assert_false(caps_default() & BIT(CAP_NET_ADMIN));
	assert_false(caps_default() & BIT(CAP_SYS_PTRACE));
	assert_false(caps_default() & BIT(CAP_SYS_MODULE));
	assert_false(caps_default() & BIT(CAP_DAC_READ_SEARCH));
}

/* ------------------------------------------------------------------ compute */

static void
test_compute_default(void **state)
{
	require_held();
	expect(NULL, NULL, DOCKER_DEFAULT);
	expect("[]", "[]", DOCKER_DEFAULT);
	expect("[]", NULL, DOCKER_DEFAULT);
	expect(NULL, "[]", DOCKER_DEFAULT);
}

static void
test_compute_add(void **state)
{
	require_held();
	expect("[\"NET_ADMIN\"]", NULL, UINT64_C(0xa80435fb));
	expect("[\"cap_net_admin\"]", "[]", UINT64_C(0xa80435fb));
	expect("[\"NET_ADMIN\", \"CAP_SYS_PTRACE\"]", NULL, DOCKER_DEFAULT | BIT(12) | BIT(19));
	/* Adding what is there already changes nothing; twice is once. */
	expect("[\"CHOWN\", \"chown\"]", NULL, DOCKER_DEFAULT);
	expect("[\"SYS_ADMIN\", \"SYS_ADMIN\"]", NULL, DOCKER_DEFAULT | BIT(21));
}

static void
test_compute_drop(void **state)
{
	require_held();
	expect(NULL, "[\"NET_RAW\"]", DOCKER_DEFAULT & ~BIT(13));
	expect(NULL, "[\"CHOWN\", \"cap_kill\"]", DOCKER_DEFAULT & ~BIT(0) & ~BIT(5));
	/* Dropping what is not there changes nothing. */
	expect(NULL, "[\"SYS_ADMIN\"]", DOCKER_DEFAULT);
	/* Without ALL, add wins over drop, as in docker. */
	expect("[\"NET_RAW\"]", "[\"NET_RAW\"]", DOCKER_DEFAULT);
	expect("[\"NET_ADMIN\"]", "[\"NET_ADMIN\", \"MKNOD\"]",
	       (DOCKER_DEFAULT | BIT(12)) & ~BIT(27));
}

static void
test_compute_drop_all(void **state)
{
	require_held();
	expect("[\"CHOWN\"]", "[\"ALL\"]", 1);
	expect(NULL, "[\"ALL\"]", 0);
	expect("[]", "[\"all\"]", 0);
	expect("[\"CHOWN\", \"KILL\"]", "[\"ALL\"]", BIT(0) | BIT(5));
	/* ALL anywhere in the list; other drops beside it change nothing. */
	expect("[\"CHOWN\"]", "[\"NET_RAW\", \"ALL\"]", 1);
	/* docker: what is added survives even its own drop. */
	expect("[\"NET_ADMIN\"]", "[\"ALL\", \"NET_ADMIN\"]", BIT(12));
}

/*
 * ALL is the kernel's capabilities (cap_last_cap) as far as this process's
 * bounding set has them: all of them unless a sandbox took some away.
 */
static void
test_compute_add_all(void **state)
{
	uint64_t all = held_caps();

	require_held();
	assert_int_equal(all & ~kernel_caps(), 0);

	expect("[\"ALL\"]", "[\"NET_RAW\"]", all & ~BIT(13));
	expect("[\"ALL\"]", NULL, all);
	expect("[\"all\"]", "[]", all);
	/* ALL in add wins over ALL in drop (docker checks add first). */
	expect("[\"ALL\"]", "[\"ALL\"]", all);
	/* docker: everything except the drops, even one that is also added. */
	expect("[\"ALL\", \"NET_ADMIN\"]", "[\"NET_ADMIN\", \"SYS_ADMIN\"]",
	       all & ~BIT(12) & ~BIT(21));
	expect("[\"NET_RAW\", \"ALL\"]", "[\"CHOWN\", \"NET_RAW\"]", all & ~BIT(0) & ~BIT(13));
}

/*
 * ALL in add gives only what the caller's bounding set still has: in a child
 * that dropped SYS_PTRACE and SYS_MODULE, neither is in it.
 */
static void
test_compute_add_all_bounded(void **state)
{
	uint64_t all = held_caps(), got = 0;
	int fds[2], status;
	pid_t pid;

	if (geteuid() != 0 || !(all & BIT(CAP_SETPCAP)))
		skip();
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ctr_error err = CTR_ERROR_INIT;
		json_t *add = json_pack("[s]", "ALL"), *drop = json_pack("[s]", "NET_RAW");
		uint64_t set = 0;
		int rc = 1;

		close(fds[0]);
		if (prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0) == 0 &&
		    prctl(PR_CAPBSET_DROP, CAP_SYS_MODULE, 0, 0, 0) == 0 &&
		    caps_compute(add, drop, &set, &err) == 0 &&
		    write(fds[1], &set, sizeof(set)) == (ssize_t)sizeof(set))
			rc = 0;
		json_decref(add);
		json_decref(drop);
		ctr_error_clear(&err);
		_exit(rc);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], &got, sizeof(got));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(n, sizeof(got));
	assert_int_equal(got,
			 all & ~BIT(CAP_SYS_PTRACE) & ~BIT(CAP_SYS_MODULE) & ~BIT(CAP_NET_RAW));
}

static void
test_compute_unknown(void **state)
{
	compute_fails("[\"NET_ADMIN\", \"NOPE\"]", NULL, "params.cap_add[1]", "NOPE");
	compute_fails(NULL, "[\"BOGUS\"]", "params.cap_drop[0]", "BOGUS");
	compute_fails("[\"CHOWN\"]", "[\"NET_RAW\", \"KILL\", \"cap_nope\"]", "params.cap_drop[2]",
		      "cap_nope");
	/* ALL counts as an element. */
	compute_fails("[\"ALL\", \"x\"]", NULL, "params.cap_add[1]", "\"x\"");
	compute_fails(NULL, "[\"ALL\", \"CAP_ALL\"]", "params.cap_drop[1]", "CAP_ALL");
	compute_fails("[\"ALL\"]", "[\"NOPE\"]", "params.cap_drop[0]", NULL);
	/* Not a string. */
	compute_fails("[1]", NULL, "params.cap_add[0]", NULL);
	compute_fails(NULL, "[\"CHOWN\", null]", "params.cap_drop[1]", NULL);
	compute_fails("[\"\"]", NULL, "params.cap_add[0]", NULL);
	/* Both wrong: one error. */
	compute_fails("[\"A\"]", "[\"B\"]", "params.cap_", NULL);
}

/*
 * The same through caps_compute: "--cap-drop NET_RAW,SYS_CHROOT" must be
 * refused, not taken as a drop of NET_RAW alone that leaves SYS_CHROOT.
 */
static void
test_compute_trailing_junk(void **state)
{
	compute_fails(NULL, "[\"NET_RAW,SYS_CHROOT\"]", "params.cap_drop[0]", "NET_RAW,SYS_CHROOT");
	compute_fails("[\"CHOWN\", \"SYS_ADMIN \"]", NULL, "params.cap_add[1]", NULL);
}

/* --------------------------------------------------------------------- json */

static void
test_to_json_default(void **state)
{
	static const char *const want[] = {
		"CAP_CHOWN",	   "CAP_DAC_OVERRIDE", "CAP_FOWNER",
		"CAP_FSETID",	   "CAP_KILL",	       "CAP_SETGID",
		"CAP_SETUID",	   "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE",
		"CAP_NET_RAW",	   "CAP_SYS_CHROOT",   "CAP_MKNOD",
		"CAP_AUDIT_WRITE", "CAP_SETFCAP",
	};
	static const char *const one[] = { "CAP_CHOWN" };
	static const char *const two[] = { "CAP_NET_ADMIN", "CAP_CHECKPOINT_RESTORE" };

	assert_names(caps_default(), want, ARRAY_SIZE(want));
	assert_names(0, NULL, 0);
	assert_names(1, one, 1);
	assert_names(BIT(40) | BIT(12), two, 2);
}

/* Every capability of the kernel, one by one and all at once: upper case, ascending, parseable. */
static void
test_to_json_all(void **state)
{
	uint64_t all = kernel_caps();
	int n = __builtin_popcountll(all);
	json_t *arr = caps_to_json(all);
	size_t i;
	json_t *v;

	assert_int_equal(json_array_size(arr), n);
	json_array_foreach(arr, i, v) {
		const char *name = json_string_value(v);
		char bad[80] = "";

		if (name == NULL || strncmp(name, "CAP_", 4) != 0 || caps_parse(name) != (int)i)
			snprintf(bad, sizeof(bad), "%s", name ? name : "(not a string)");
		for (const char *p = name; bad[0] == '\0' && p && *p; p++)
			if (!((*p >= 'A' && *p <= 'Z') || *p == '_'))
				snprintf(bad, sizeof(bad), "%s", name);
		if (bad[0] != '\0') {
			json_decref(arr);
			fail_msg("caps_to_json(all)[%zu] = %s", i, bad);
		}
	}
	json_decref(arr);

	for (int cap = 0; cap < n; cap++) {
		arr = caps_to_json(BIT(cap));
		assert_int_equal(json_array_size(arr), 1);
		int got = caps_parse(json_string_value(json_array_get(arr, 0)));
		json_decref(arr);
		assert_int_equal(got, cap);
	}
}

/* ------------------------------------------------- the process (in a child) */

/* What a child reports: the capability sets after each step, or where it failed. */
struct child_caps {
	int failed_step; /* 0: all went well */
	int errnum;
	uint64_t amb_before;		  /* after raising one ambient capability */
	uint64_t bnd_mid, amb_mid;	  /* after caps_limit_bounding */
	uint64_t inh, prm, eff, bnd, amb; /* after caps_apply */
};

/* In the child: no cmocka here, only the report. */
static void
child_steps(uint64_t set, bool root, struct child_caps *c)
{
	struct ctr_error err = CTR_ERROR_INIT;
	cap_value_t chown_cap = CAP_CHOWN;
	cap_t cur = cap_get_proc();

	/* Raise CHOWN in the ambient set, which caps_limit_bounding must clear. */
	c->failed_step = 1;
	if (cur == NULL || cap_set_flag(cur, CAP_INHERITABLE, 1, &chown_cap, CAP_SET) < 0 ||
	    cap_set_proc(cur) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0) < 0)
		goto out;
	c->failed_step = 2;
	if (read_status("CapAmb", &c->amb_before) < 0)
		goto out;
	c->failed_step = 3;
	if (caps_limit_bounding(set, &err) < 0)
		goto out;
	c->failed_step = 4;
	if (read_status("CapBnd", &c->bnd_mid) < 0 || read_status("CapAmb", &c->amb_mid) < 0)
		goto out;
	c->failed_step = 5;
	if (caps_apply(set, root, &err) < 0)
		goto out;
	c->failed_step = 6;
	if (read_status("CapInh", &c->inh) < 0 || read_status("CapPrm", &c->prm) < 0 ||
	    read_status("CapEff", &c->eff) < 0 || read_status("CapBnd", &c->bnd) < 0 ||
	    read_status("CapAmb", &c->amb) < 0)
		goto out;
	c->failed_step = 0;
out:
	c->errnum = err.code != 0 ? err.errnum : errno;
	if (cur != NULL)
		cap_free(cur);
	ctr_error_clear(&err);
}

/* Runs the steps in a child and returns its report; skips without the capabilities needed. */
static void
run_child(uint64_t set, bool root, struct child_caps *c)
{
	uint64_t prm = 0, bnd = 0;
	int fds[2], status;
	pid_t pid;

	if (geteuid() != 0 || read_status("CapPrm", &prm) < 0 || read_status("CapBnd", &bnd) < 0 ||
	    (prm & (set | BIT(CAP_SETPCAP) | BIT(CAP_CHOWN))) !=
		    (set | BIT(CAP_SETPCAP) | BIT(CAP_CHOWN)))
		skip();
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct child_caps mine;
		memset(&mine, 0, sizeof(mine));
		close(fds[0]);
		child_steps(set, root, &mine);
		_exit(write(fds[1], &mine, sizeof(mine)) == (ssize_t)sizeof(mine) ? 0 : 1);
	}
	close(fds[1]);
	memset(c, 0, sizeof(*c));
	ssize_t n = read(fds[0], c, sizeof(*c));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(n, sizeof(*c));
	if (c->failed_step != 0)
		fail_msg("child: step %d failed: %s", c->failed_step, strerror(c->errnum));
	assert_int_equal(c->amb_before, BIT(CAP_CHOWN));
	/* The bounding set can only shrink: what the test runs with limits it. */
	assert_int_equal(c->bnd_mid, set & bnd);
	assert_int_equal(c->amb_mid, 0);
}

static void
test_apply_root(void **state)
{
	struct child_caps c;

	run_child(DOCKER_DEFAULT, true, &c);
	assert_int_equal(c.bnd, DOCKER_DEFAULT);
	assert_int_equal(c.prm, DOCKER_DEFAULT);
	assert_int_equal(c.eff, DOCKER_DEFAULT);
	assert_int_equal(c.inh, 0);
	assert_int_equal(c.amb, 0);

	run_child(BIT(CAP_CHOWN) | BIT(CAP_NET_ADMIN), true, &c);
	assert_int_equal(c.bnd, BIT(CAP_CHOWN) | BIT(CAP_NET_ADMIN));
	assert_int_equal(c.prm, BIT(CAP_CHOWN) | BIT(CAP_NET_ADMIN));
	assert_int_equal(c.eff, BIT(CAP_CHOWN) | BIT(CAP_NET_ADMIN));
	assert_int_equal(c.inh, 0);
	assert_int_equal(c.amb, 0);

	/* Drop ALL: nothing left at all. */
	run_child(0, true, &c);
	assert_int_equal(c.bnd, 0);
	assert_int_equal(c.prm, 0);
	assert_int_equal(c.eff, 0);
	assert_int_equal(c.inh, 0);
	assert_int_equal(c.amb, 0);
}

static void
test_apply_non_root(void **state)
{
	struct child_caps c;

	/* A non-root user keeps the bounding set and nothing else. */
	run_child(DOCKER_DEFAULT, false, &c);
	assert_int_equal(c.bnd, DOCKER_DEFAULT);
	assert_int_equal(c.prm, 0);
	assert_int_equal(c.eff, 0);
	assert_int_equal(c.inh, 0);
	assert_int_equal(c.amb, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test(test_parse_all),
		cmocka_unit_test(test_parse_unknown),
		cmocka_unit_test(test_parse_over_long),
		cmocka_unit_test(test_parse_trailing_junk),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_compute_default),
		cmocka_unit_test(test_compute_add),
		cmocka_unit_test(test_compute_drop),
		cmocka_unit_test(test_compute_drop_all),
		cmocka_unit_test(test_compute_add_all),
		cmocka_unit_test(test_compute_add_all_bounded),
		cmocka_unit_test(test_compute_unknown),
		cmocka_unit_test(test_compute_trailing_junk),
		cmocka_unit_test(test_to_json_default),
		cmocka_unit_test(test_to_json_all),
		cmocka_unit_test(test_apply_root),
		cmocka_unit_test(test_apply_non_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
