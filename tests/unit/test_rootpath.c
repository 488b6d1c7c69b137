/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/rootpath.h: resolving paths inside an untrusted root
 * file system. The root is a temporary directory full of hostile symlinks;
 * nothing may resolve, open or create anything outside it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rootpath.h"

/*
 * The tree, made once for the whole group:
 *
 *   BASE/marker                 host file, outside the root ("outside")
 *   BASE/root/                  the root
 *     x                         "inside"
 *     dir/sub/file              "file"
 *     dir/link -> ../dir/sub    relative symlink, inside
 *     etc -> /                  absolute symlink to the root itself
 *     up -> ../../..            climbs, clamped at the root
 *     abs -> BASE               absolute host path: must mean ROOT/BASE
 *     dangling -> /ctrd-test-dangling-PID
 */
static struct {
	char base[128];
	char root[PATH_MAX];
	char dangling[64]; /* the dangling link's target, absolute */
	int rootfd;
	/*
	 * openat2 works here. Not under valgrind 3.19 (it fails syscall 437
	 * with ENOSYS) nor on kernels before 5.6: root_open then takes its
	 * O_NOFOLLOW walk, which refuses every symlink and "..", and the tests
	 * below expect that refusal instead of a resolution inside the root.
	 */
	bool openat2;
} fx = { .rootfd = -1 };

/* ------------------------------------------------------------------ helpers */

static char *
host_path(const char *rel)
{
	return xasprintf("%s/%s", fx.root, rel);
}

static void
write_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, content, strlen(content)), 0);
	close(fd);
}

/* fd and the host path (relative to the root) are the same inode. */
static void
assert_fd_is(int fd, const char *rel)
{
	char *path = host_path(rel);
	struct stat a, b;
	int fa = fd >= 0 ? fstat(fd, &a) : -1, fb = lstat(path, &b);

	free(path);
	if (fd < 0)
		fail_msg("expected an fd for %s, got -1 (%s)", rel, strerror(errno));
	assert_int_equal(fa, 0);
	if (fb != 0)
		fail_msg("%s does not exist in the root", rel);
	assert_int_equal(a.st_dev, b.st_dev);
	assert_int_equal(a.st_ino, b.st_ino);
}

/*
 * root_open(path) is rel inside the root (with openat2), or is refused
 * (without: path goes through a symlink or ".."). Closes the fd.
 */
static void
assert_resolves(const char *path, int flags, unsigned how, const char *rel)
{
	errno = 0;
	int fd = root_open(fx.rootfd, path, flags, how);

	if (!fx.openat2) {
		if (fd >= 0) {
			close(fd);
			fail_msg("root_open(%s) followed a symlink or \"..\" without openat2",
				 path);
		}
		return;
	}
	assert_fd_is(fd, rel);
	close(fd);
}

/* Reads what fd holds (a regular file opened for reading). */
static void
assert_content(int fd, const char *want)
{
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static bool
host_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/*
 * What root_mkdir_p or root_touch returned for a path through a symlink or
 * "..": rel made inside the root (with openat2), or a refusal that made
 * nothing (without). Closes fd.
 */
static void
assert_made(int fd, const char *rel)
{
	if (!fx.openat2) {
		char *p = host_path(rel);
		bool exists = host_exists(p);
		free(p);
		if (fd >= 0)
			close(fd);
		assert_int_equal(fd, -1);
		assert_false(exists);
		return;
	}
	assert_fd_is(fd, rel);
	close(fd);
}

/*
 * root_open must fail with errno want; without openat2 any errno will do
 * (test_fallback_* check the fallback's errnos).
 */
static void
assert_open_fails(const char *path, int flags, unsigned how, int want)
{
	errno = 0;
	int fd = root_open(fx.rootfd, path, flags, how);
	int e = errno;

	if (fd >= 0) {
		close(fd);
		fail_msg("root_open(%s) succeeded", path);
	}
	if (fx.openat2 && e != want)
		fail_msg("root_open(%s): %s, want %s", path, strerror(e), strerror(want));
}

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static int
group_setup(void **state)
{
	char *p;

	snprintf(fx.base, sizeof(fx.base), "/tmp/ctrd-test-rootpath.XXXXXX");
	if (mkdtemp(fx.base) == NULL)
		return -1;
	snprintf(fx.root, sizeof(fx.root), "%s/root", fx.base);
	snprintf(fx.dangling, sizeof(fx.dangling), "/ctrd-test-dangling-%d", (int)getpid());
	if (mkdir(fx.root, 0755) < 0)
		return -1;

	p = xasprintf("%s/marker", fx.base);
	write_file(p, "outside");
	free(p);
	p = host_path("x");
	write_file(p, "inside");
	free(p);
	p = host_path("dir");
	mkdir(p, 0755);
	free(p);
	p = host_path("dir/sub");
	mkdir(p, 0755);
	free(p);
	p = host_path("dir/sub/file");
	write_file(p, "file");
	free(p);

	static const struct {
		const char *name, *target;
	} links[] = {
		{ "dir/link", "../dir/sub" },
		{ "etc", "/" },
		{ "up", "../../.." },
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		p = host_path(links[i].name);
		if (symlink(links[i].target, p) < 0)
			return -1;
		free(p);
	}
	p = host_path("abs");
	if (symlink(fx.base, p) < 0)
		return -1;
	free(p);
	p = host_path("dangling");
	if (symlink(fx.dangling, p) < 0)
		return -1;
	free(p);

	struct open_how how = { .flags = O_PATH | O_CLOEXEC };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
	fx.openat2 = fd >= 0;
	if (fd >= 0)
		close(fd);
	else
		fprintf(stderr, "# no openat2 (%s): expecting the O_NOFOLLOW fallback\n",
			strerror(errno));

	fx.rootfd = open(fx.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fx.rootfd >= 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	close_fd(&fx.rootfd);
	/* FTW_PHYS: never follow the symlinks out of the tree. */
	return nftw(fx.base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------------ root_open */

static void
test_open_normal_paths(void **state)
{
	int fd;

	fd = root_open(fx.rootfd, "/dir/sub/file", O_RDONLY, 0);
	assert_fd_is(fd, "dir/sub/file");
	assert_content(fd, "file");
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	fd = root_open(fx.rootfd, "dir/sub/file", O_RDONLY, 0);
	assert_fd_is(fd, "dir/sub/file");
	close(fd);

	fd = root_open(fx.rootfd, "//dir///sub/./file", O_RDONLY, ROOT_NO_SYMLINKS);
	assert_fd_is(fd, "dir/sub/file");
	close(fd);

	fd = root_open(fx.rootfd, "/dir/sub", O_PATH | O_DIRECTORY, 0);
	assert_fd_is(fd, "dir/sub");
	close(fd);

	/* The root itself. */
	fd = root_open(fx.rootfd, "/", O_PATH | O_DIRECTORY, 0);
	assert_fd_is(fd, ".");
	close(fd);
	fd = root_open(fx.rootfd, "", O_PATH | O_DIRECTORY, 0);
	assert_fd_is(fd, ".");
	close(fd);
	fd = root_open(fx.rootfd, "///", O_RDONLY | O_DIRECTORY, ROOT_NO_SYMLINKS);
	assert_fd_is(fd, ".");
	close(fd);

	assert_open_fails("/nope", O_RDONLY, 0, ENOENT);
	assert_open_fails("/dir/nope/file", O_RDONLY, 0, ENOENT);
	assert_open_fails("/x/y", O_RDONLY, 0, ENOTDIR);
	assert_open_fails("/x", O_RDONLY | O_DIRECTORY, 0, ENOTDIR);
}

static void
test_open_creates(void **state)
{
	int fd = root_open(fx.rootfd, "/dir/created", O_WRONLY | O_CREAT | O_EXCL, 0);

	assert_fd_is(fd, "dir/created");
	assert_int_equal(write_all(fd, "new", 3), 0);
	close(fd);
	char *p = host_path("dir/created");
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 3);
	assert_true(S_ISREG(st.st_mode));
	unlink(p);
	free(p);
}

static void
test_open_relative_symlink(void **state)
{
	assert_resolves("/dir/link/file", O_RDONLY, 0, "dir/sub/file");
	assert_resolves("dir/link", O_PATH | O_DIRECTORY, 0, "dir/sub");
}

static void
test_absolute_symlink_stays_inside(void **state)
{
	int fd;

	/* etc -> /: "/etc/x" is the root's x, not anything in the host's /etc. */
	assert_resolves("/etc/x", O_RDONLY, 0, "x");
	if (fx.openat2) {
		fd = root_open(fx.rootfd, "/etc/x", O_RDONLY, 0);
		assert_content(fd, "inside");
		close(fd);
	}
	assert_resolves("/etc/etc/etc/dir/sub/file", O_RDONLY, 0, "dir/sub/file");
	/* The host's /etc/passwd exists; the root has no /passwd. */
	assert_true(host_exists("/etc/passwd"));
	assert_open_fails("/etc/passwd", O_RDONLY, 0, ENOENT);

	/* abs -> BASE: the host's BASE/marker is not reachable... */
	assert_open_fails("/abs/marker", O_RDONLY, 0, ENOENT);
	char *full = xasprintf("/etc%s/marker", fx.base);
	assert_open_fails(full, O_RDONLY, 0, ENOENT);
	free(full);

	/* ...and once ROOT/BASE/marker exists, that is what it names. */
	char *dir = host_path(fx.base + 1);
	for (char *s = dir + strlen(fx.root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(dir, 0755);
		*s = '/';
	}
	assert_int_equal(mkdir(dir, 0755), 0);
	char *inner = xasprintf("%s/marker", dir);
	write_file(inner, "inner marker");
	char *rel = xasprintf("%s/marker", fx.base + 1);
	assert_resolves("/abs/marker", O_RDONLY, 0, rel);
	free(rel);
	/* Clean the copy now: the teardown must not meet ROOT/BASE. */
	unlink(inner);
	for (char *s = dir + strlen(dir); s > dir + strlen(fx.root); s--) {
		if (*s == '/' || *s == '\0') {
			*s = '\0';
			rmdir(dir);
		}
	}
	free(inner);
	free(dir);
}

static void
test_dotdot_stays_inside(void **state)
{
	char *path;

	/* up -> ../../..: clamped at the root. */
	assert_resolves("/up/x", O_RDONLY, 0, "x");
	assert_resolves("/up", O_PATH | O_DIRECTORY, 0, ".");
	path = xasprintf("/up%s/marker", fx.base);
	assert_open_fails(path, O_RDONLY, 0, ENOENT);
	free(path);

	/* ".." in the path itself. */
	assert_resolves("/../../../../x", O_RDONLY, 0, "x");
	assert_resolves("../x", O_RDONLY, 0, "x");
	assert_resolves("/dir/sub/../../x", O_RDONLY, 0, "x");
	assert_open_fails("/../marker", O_RDONLY, 0, ENOENT);
	path = xasprintf("/../../../../../..%s/marker", fx.base);
	assert_open_fails(path, O_RDONLY, 0, ENOENT);
	free(path);
}

static void
test_no_symlinks(void **state)
{
	assert_open_fails("/etc/x", O_RDONLY, ROOT_NO_SYMLINKS, ELOOP);
	assert_open_fails("/etc", O_PATH | O_DIRECTORY, ROOT_NO_SYMLINKS, ELOOP);
	assert_open_fails("/dir/link/file", O_RDONLY, ROOT_NO_SYMLINKS, ELOOP);
	assert_open_fails("/up/x", O_RDONLY, ROOT_NO_SYMLINKS, ELOOP);
	assert_open_fails("/abs/marker", O_RDONLY, ROOT_NO_SYMLINKS, ELOOP);
	assert_open_fails("/dangling", O_RDONLY, ROOT_NO_SYMLINKS, ELOOP);

	int fd = root_open(fx.rootfd, "/dir/sub/file", O_RDONLY, ROOT_NO_SYMLINKS);
	assert_fd_is(fd, "dir/sub/file");
	close(fd);
}

static void
test_dangling_symlink(void **state)
{
	/* Followed inside the root, where its target does not exist either. */
	assert_open_fails("/dangling", O_RDONLY, 0, ENOENT);
	/* Creating through it must not create the host's target. */
	errno = 0;
	int fd = root_open(fx.rootfd, "/dangling", O_WRONLY | O_CREAT, 0);
	if (fd >= 0) {
		/* Allowed only if what it made is inside the root. */
		assert_fd_is(fd, fx.dangling + 1);
		close(fd);
		char *inside = host_path(fx.dangling + 1);
		unlink(inside);
		free(inside);
	}
	assert_false(host_exists(fx.dangling));
}

/* Magic links (/proc/PID/fd/N, /proc/self/exe) are never followed. */
static void
test_no_magic_links(void **state)
{
	int hostroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int file = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	char path[64];

	assert_true(hostroot >= 0);
	assert_true(file >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", file);
	errno = 0;
	int fd = root_open(hostroot, path, O_RDONLY, 0);
	int e = errno;
	if (fd >= 0)
		close(fd);
	int fd2 = root_open(hostroot, "/proc/self/exe", O_RDONLY, 0);
	int e2 = errno;
	if (fd2 >= 0)
		close(fd2);
	close(file);
	close(hostroot);

	assert_int_equal(fd, -1);
	assert_int_equal(fd2, -1);
	/* Without openat2 the walk refuses /proc/self already (a symlink). */
	if (fx.openat2) {
		assert_int_equal(e, ELOOP);
		assert_int_equal(e2, ELOOP);
	}
}

/* --------------------------------------------------------------- root_mkdir_p */

static void
test_mkdir_p(void **state)
{
	mode_t old = umask(022);
	struct stat st;
	int fd;

	fd = root_mkdir_p(fx.rootfd, "/m1/m2/m3", 0750, 0);
	assert_fd_is(fd, "m1/m2/m3");
	assert_true(fcntl(fd, F_GETFL) & O_PATH);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	/* Usable as a directory fd. */
	int f = openat(fd, "inner", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(f >= 0);
	close(f);
	close(fd);
	char *p = host_path("m1/m2/m3/inner");
	assert_true(host_exists(p));
	free(p);

	/* Existing directories: just an fd. */
	fd = root_mkdir_p(fx.rootfd, "/m1/m2", 0700, ROOT_NO_SYMLINKS);
	assert_fd_is(fd, "m1/m2");
	close(fd);
	fd = root_mkdir_p(fx.rootfd, "/", 0700, 0);
	assert_fd_is(fd, ".");
	close(fd);

	/* Relative, doubled and trailing slashes. */
	fd = root_mkdir_p(fx.rootfd, "n1//n2/", 0755, 0);
	assert_fd_is(fd, "n1/n2");
	close(fd);
	fd = root_mkdir_p(fx.rootfd, "/dir/sub/new", 0755, ROOT_NO_SYMLINKS);
	assert_fd_is(fd, "dir/sub/new");
	close(fd);

	/* A file in the way. */
	errno = 0;
	assert_int_equal(root_mkdir_p(fx.rootfd, "/x", 0755, 0), -1);
	assert_int_equal(errno, ENOTDIR);
	errno = 0;
	assert_int_equal(root_mkdir_p(fx.rootfd, "/dir/sub/file/below", 0755, 0), -1);
	assert_int_equal(errno, ENOTDIR);
	umask(old);
}

static void
test_mkdir_p_through_symlinks(void **state)
{
	char name[64], host[96];
	int fd;

	/* etc -> /: the directory appears in the root, not on the host. */
	snprintf(name, sizeof(name), "/etc/ctrd-test-mkdir-%d/deeper", (int)getpid());
	snprintf(host, sizeof(host), "/ctrd-test-mkdir-%d", (int)getpid());
	fd = root_mkdir_p(fx.rootfd, name, 0755, 0);
	assert_made(fd, name + strlen("/etc/"));
	assert_false(host_exists(host));

	/* Through a relative link. */
	fd = root_mkdir_p(fx.rootfd, "/dir/link/via-link", 0755, 0);
	assert_made(fd, "dir/sub/via-link");

	/* ".." cannot climb out while creating either. */
	snprintf(name, sizeof(name), "/a/../../../ctrd-test-escape-%d", (int)getpid());
	fd = root_mkdir_p(fx.rootfd, name, 0755, 0);
	snprintf(host, sizeof(host), "ctrd-test-escape-%d", (int)getpid());
	assert_made(fd, host);
	char *outside = xasprintf("%s/%s", fx.base, host);
	assert_false(host_exists(outside));
	free(outside);

	/* ROOT_NO_SYMLINKS: refused, nothing made. */
	snprintf(name, sizeof(name), "/etc/ctrd-test-nosym-%d", (int)getpid());
	errno = 0;
	assert_int_equal(root_mkdir_p(fx.rootfd, name, 0755, ROOT_NO_SYMLINKS), -1);
	if (fx.openat2)
		assert_int_equal(errno, ELOOP);
	char *p = host_path(name + strlen("/etc/"));
	assert_false(host_exists(p));
	free(p);

	/* A dangling link's target is not created on the host. */
	fd = root_mkdir_p(fx.rootfd, "/dangling/below", 0755, 0);
	if (fd >= 0) {
		p = xasprintf("%s/below", fx.dangling + 1);
		assert_fd_is(fd, p);
		free(p);
		close(fd);
	}
	assert_false(host_exists(fx.dangling));
}

/* ----------------------------------------------------------------- root_touch */

static void
test_touch(void **state)
{
	struct stat st;
	int fd;

	fd = root_touch(fx.rootfd, "/touched", 0);
	assert_fd_is(fd, "touched");
	assert_true(fcntl(fd, F_GETFL) & O_PATH);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 0);
	close(fd);

	/* Parents too. */
	fd = root_touch(fx.rootfd, "/t1/t2/t3/file", 0);
	assert_fd_is(fd, "t1/t2/t3/file");
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	close(fd);
	char *p = host_path("t1/t2/t3");
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	free(p);

	/* Something already there is kept as it is. */
	fd = root_touch(fx.rootfd, "/x", 0);
	assert_fd_is(fd, "x");
	close(fd);
	p = host_path("x");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 6);
	free(p);
	fd = root_touch(fx.rootfd, "/dir", 0);
	assert_fd_is(fd, "dir");
	close(fd);

	/* Relative. */
	fd = root_touch(fx.rootfd, "rel-touched", ROOT_NO_SYMLINKS);
	assert_fd_is(fd, "rel-touched");
	close(fd);
}

static void
test_touch_through_symlinks(void **state)
{
	char name[64], host[96];
	int fd;

	snprintf(name, sizeof(name), "/etc/ctrd-test-touch-%d", (int)getpid());
	snprintf(host, sizeof(host), "/ctrd-test-touch-%d", (int)getpid());
	fd = root_touch(fx.rootfd, name, 0);
	assert_made(fd, name + strlen("/etc/"));
	assert_false(host_exists(host));

	snprintf(name, sizeof(name), "/etc/ctrd-test-touch-dir-%d/f", (int)getpid());
	snprintf(host, sizeof(host), "/ctrd-test-touch-dir-%d", (int)getpid());
	fd = root_touch(fx.rootfd, name, 0);
	assert_made(fd, name + strlen("/etc/"));
	assert_false(host_exists(host));

	/* ROOT_NO_SYMLINKS. */
	snprintf(name, sizeof(name), "/etc/ctrd-test-touch-nosym-%d", (int)getpid());
	errno = 0;
	assert_int_equal(root_touch(fx.rootfd, name, ROOT_NO_SYMLINKS), -1);
	if (fx.openat2)
		assert_int_equal(errno, ELOOP);
	char *p = host_path(name + strlen("/etc/"));
	assert_false(host_exists(p));
	free(p);

	/* A dangling link: nothing is created on the host. */
	fd = root_touch(fx.rootfd, "/dangling", 0);
	if (fd >= 0) {
		char *inside = host_path(fx.dangling + 1);
		assert_true(host_exists(inside));
		unlink(inside);
		free(inside);
		close(fd);
	}
	assert_false(host_exists(fx.dangling));
}

static void
test_fd_path(void **state)
{
	char buf[FD_PATH_MAX];

	fd_path(5, buf);
	assert_string_equal(buf, "/proc/self/fd/5");
	fd_path(INT_MAX, buf);
	assert_string_equal(buf, "/proc/self/fd/2147483647");
}

/* ------------------------------------------------- without openat2 (< 5.6) */

static int fallback_failures;

#define FALLBACK_CHECK(cond)                                                         \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "fallback: line %d: %s\n", __LINE__, #cond); \
			fallback_failures++;                                         \
		}                                                                    \
	} while (0)

static bool
same_file(int fd, const char *rel)
{
	char *path = host_path(rel);
	struct stat a, b;
	bool same = fd >= 0 && fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino;

	free(path);
	if (fd >= 0)
		close(fd);
	return same;
}

static bool
fails_with(int fd, int e, int want)
{
	if (fd >= 0) {
		close(fd);
		fprintf(stderr, "fallback: succeeded, want %s\n", strerror(want));
		return false;
	}
	if (want != 0 && e != want)
		fprintf(stderr, "fallback: got %s, want %s\n", strerror(e), strerror(want));
	return want == 0 || e == want;
}

/* The call fails with errno want (any errno if want is 0). */
#define FAILS_WITH(call, want)               \
	({                                   \
		errno = 0;                   \
		int fd_ = (call);            \
		int e_ = errno;              \
		fails_with(fd_, e_, (want)); \
	})

/*
 * Runs fn in a child where openat2 fails with ENOSYS (a seccomp filter), as
 * on kernels before 5.6, so rootpath.c takes its O_NOFOLLOW walk. Returns
 * fn's failure count, or skips when seccomp is not available.
 */
static void
run_without_openat2(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sock_filter filter[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = { .len = ARRAY_SIZE(filter), .filter = filter };

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
			_exit(100);
		if (syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0) != -1 || errno != ENOSYS)
			_exit(101);
		_exit(fn() > 0 ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) >= 100)
		skip(); /* no seccomp here */
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int
fallback_checks(void)
{
	char name[64];

	fallback_failures = 0;
	/* Plain paths still work. */
	FALLBACK_CHECK(
		same_file(root_open(fx.rootfd, "/dir/sub/file", O_RDONLY, 0), "dir/sub/file"));
	FALLBACK_CHECK(
		same_file(root_open(fx.rootfd, "dir//sub/./file", O_RDONLY, 0), "dir/sub/file"));
	FALLBACK_CHECK(same_file(root_open(fx.rootfd, "/", O_PATH | O_DIRECTORY, 0), "."));
	FALLBACK_CHECK(FAILS_WITH(root_open(fx.rootfd, "/nope", O_RDONLY, 0), ENOENT));

	/* Every symlink is refused, so nothing can lead outside. */
	FALLBACK_CHECK(FAILS_WITH(root_open(fx.rootfd, "/etc/x", O_RDONLY, 0), 0));
	FALLBACK_CHECK(FAILS_WITH(root_open(fx.rootfd, "/abs/marker", O_RDONLY, 0), 0));
	FALLBACK_CHECK(FAILS_WITH(root_open(fx.rootfd, "/up/x", O_RDONLY, 0), 0));
	FALLBACK_CHECK(FAILS_WITH(root_open(fx.rootfd, "/dir/link/file", O_RDONLY, 0), 0));
	FALLBACK_CHECK(FAILS_WITH(root_open(fx.rootfd, "/etc", O_PATH, 0), 0));
	FALLBACK_CHECK(FAILS_WITH(root_open(fx.rootfd, "/dangling", O_WRONLY | O_CREAT, 0), 0));
	FALLBACK_CHECK(!host_exists(fx.dangling));

	/* ".." is refused rather than resolved. */
	FALLBACK_CHECK(FAILS_WITH(root_open(fx.rootfd, "/../x", O_RDONLY, 0), 0));
	FALLBACK_CHECK(FAILS_WITH(root_open(fx.rootfd, "/dir/../../x", O_RDONLY, 0), 0));

	/* Creating still works, and never through a symlink. */
	snprintf(name, sizeof(name), "/fb-%d/a/b", (int)getpid());
	FALLBACK_CHECK(same_file(root_mkdir_p(fx.rootfd, name, 0755, 0), name + 1));
	snprintf(name, sizeof(name), "/fb-%d/t/file", (int)getpid());
	FALLBACK_CHECK(same_file(root_touch(fx.rootfd, name, 0), name + 1));
	snprintf(name, sizeof(name), "/etc/fb-%d", (int)getpid());
	FALLBACK_CHECK(FAILS_WITH(root_mkdir_p(fx.rootfd, name, 0755, 0), 0));
	FALLBACK_CHECK(FAILS_WITH(root_touch(fx.rootfd, name, 0), 0));
	snprintf(name, sizeof(name), "/fb-%d", (int)getpid());
	FALLBACK_CHECK(!host_exists(name));
	return fallback_failures;
}

/* The O_NOFOLLOW walk keeps every path inside the root. */
static void
test_fallback_refuses_symlinks(void **state)
{
	run_without_openat2(fallback_checks);
}

static int
fallback_eloop_checks(void)
{
	fallback_failures = 0;
	FALLBACK_CHECK(FAILS_WITH(root_open(fx.rootfd, "/etc", O_RDONLY, ROOT_NO_SYMLINKS), ELOOP));
	FALLBACK_CHECK(FAILS_WITH(root_open(fx.rootfd, "/etc", O_PATH, ROOT_NO_SYMLINKS), ELOOP));
	FALLBACK_CHECK(FAILS_WITH(
		root_open(fx.rootfd, "/etc", O_PATH | O_DIRECTORY, ROOT_NO_SYMLINKS), ELOOP));
	FALLBACK_CHECK(
		FAILS_WITH(root_open(fx.rootfd, "/etc/x", O_RDONLY, ROOT_NO_SYMLINKS), ELOOP));
	FALLBACK_CHECK(FAILS_WITH(
		root_open(fx.rootfd, "/dir/link/file", O_RDONLY, ROOT_NO_SYMLINKS), ELOOP));
	/* What mounts.c special_dir() does for /proc, /dev and /sys. */
	FALLBACK_CHECK(FAILS_WITH(root_mkdir_p(fx.rootfd, "/etc", 0755, ROOT_NO_SYMLINKS), ELOOP));
	/* A regular file in the way is still ENOTDIR. */
	FALLBACK_CHECK(
		FAILS_WITH(root_open(fx.rootfd, "/x/y", O_RDONLY, ROOT_NO_SYMLINKS), ENOTDIR));
	return fallback_failures;
}

/*
 * ROOT_NO_SYMLINKS promises ELOOP for a symlink on the way. The walk opens
 * every directory component with O_PATH | O_DIRECTORY | O_NOFOLLOW, which
 * fails with ENOTDIR on a symlink, so mounts.c's special_dir() cannot tell
 * "/proc is a symlink" (ELOOP) from other failures on kernels before 5.6.
 */
static void
test_fallback_no_symlinks_is_eloop(void **state)
{
	run_without_openat2(fallback_eloop_checks);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_normal_paths),
		cmocka_unit_test(test_open_creates),
		cmocka_unit_test(test_open_relative_symlink),
		cmocka_unit_test(test_absolute_symlink_stays_inside),
		cmocka_unit_test(test_dotdot_stays_inside),
		cmocka_unit_test(test_no_symlinks),
		cmocka_unit_test(test_dangling_symlink),
		cmocka_unit_test(test_no_magic_links),
		cmocka_unit_test(test_mkdir_p),
		cmocka_unit_test(test_mkdir_p_through_symlinks),
		cmocka_unit_test(test_touch),
		cmocka_unit_test(test_touch_through_symlinks),
		cmocka_unit_test(test_fd_path),
		cmocka_unit_test(test_fallback_refuses_symlinks),
		cmocka_unit_test(test_fallback_no_symlinks_is_eloop),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
