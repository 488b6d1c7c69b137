/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "caps.h"
#include "cgroup.h"
#include "child.h"
#include "failpoint.h"
#include "fsutil.h"
#include "mounts.h"
#include "seccomp.h"
#include "sync.h"
#include "user.h"
#include "userns.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* process_spec.past_heap of this process, for fail(). */
static bool *past_heap;

/* Reports err to the daemon (stage, errno, 126/127) and exits: the child's one way out. */
static _noreturn_ void
fail(int sync_fd, struct ctr_error *err)
{
	int code = err->exit_code ? err->exit_code : 125;

	sync_send_error(sync_fd, err->code, err->errnum, err->exit_code, err->msg);
	/* Our heap may be the zygote's (spawn.c): leave nothing in it. */
	ctr_error_clear(err);
	if (past_heap != NULL)
		*past_heap = true;
	_exit(code);
}

void
env_set(char ***env, const char *entry)
{
	size_t keylen = strcspn(entry, "=");
	size_t n = strv_length(*env);

	for (size_t i = 0; i < n; i++) {
		if (strncmp((*env)[i], entry, keylen) == 0 && (*env)[i][keylen] == '=') {
			free((*env)[i]);
			(*env)[i] = xstrdup(entry);
			return;
		}
	}
	*env = xreallocarray(*env, n + 2, sizeof(char *));
	(*env)[n] = xstrdup(entry);
	(*env)[n + 1] = NULL;
}

const char *
env_get(char *const *env, const char *key)
{
	size_t keylen = strlen(key);

	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], key, keylen) == 0 && env[i][keylen] == '=')
			return env[i] + keylen + 1;
	return NULL;
}

int
child_exec(char *const argv[], char *const envp[], int *errnum)
{
	const char *file = argv[0];
	bool denied = false;

	if (strchr(file, '/') != NULL) {
		execve(file, argv, envp);
		*errnum = errno;
		return errno == ENOENT || errno == ENOTDIR ? 127 : 126;
	}
	const char *path = env_get(envp, "PATH");
	if (path == NULL)
		path = DEFAULT_PATH;
	/*
	 * On the stack, not the heap: a successful execve never returns to free
	 * it, and our heap may be the zygote's (spawn.c).
	 */
	char full[PATH_MAX];
	size_t flen = strlen(file);
	/* An empty PATH element means the current directory, as in execvp. */
	for (const char *d = path;;) {
		const char *end = strchrnul(d, ':');
		size_t dlen = end > d ? (size_t)(end - d) : 1;
		if (dlen + 1 + flen < sizeof(full)) {
			memcpy(full, end > d ? d : ".", dlen);
			full[dlen] = '/';
			memcpy(full + dlen + 1, file, flen + 1);
			execve(full, argv, envp);
			switch (errno) {
			case EACCES:
				denied = true;
				break;
			case ENOENT:
			case ENOTDIR:
			case ELOOP:
			case ENAMETOOLONG:
				break;
			default:
				/* Found but not runnable (ENOEXEC, ETXTBSY, ...): stop looking. */
				*errnum = errno;
				return 126;
			}
		}
		if (*end == '\0')
			break;
		d = end + 1;
	}
	*errnum = denied ? EACCES : ENOENT;
	return denied ? 126 : 127;
}

/* Brings up lo, so a container without networking still has 127.0.0.1. */
static int
loopback_up(struct ctr_error *err)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };

	if (s < 0)
		return ctr_error_sys(err, errno, "socket for loopback");
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return ctr_error_sys(err, errno, "get loopback flags");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return ctr_error_sys(err, errno, "bring loopback up");
	return 0;
}

/* Reads the container's passwd and group (in its mount namespace) and resolves the user. */
static int
resolve_user(const char *spec, struct user_ids *ids, struct ctr_error *err)
{
	_cleanup_free_ char *passwd = NULL, *group = NULL;

	(void)fs_read_file("/etc/passwd", 16 << 20, &passwd, NULL);
	(void)fs_read_file("/etc/group", 16 << 20, &group, NULL);
	return user_resolve(spec, passwd, group, ids, err);
}

static int
switch_user(const struct user_ids *ids, bool userns, struct ctr_error *err)
{
	/* In a user namespace setgroups is denied, and the monitor left us none to drop. */
	if (!userns && setgroups(ids->ngroups, ids->groups) < 0)
		return ctr_error_sys(err, errno, "setgroups");
	if (setresgid(ids->gid, ids->gid, ids->gid) < 0)
		return ctr_error_sys(err, errno, "setgid %u", (unsigned)ids->gid);
	if (setresuid(ids->uid, ids->uid, ids->uid) < 0)
		return ctr_error_sys(err, errno, "setuid %u", (unsigned)ids->uid);
	return 0;
}

/* The environment: defaults, then the container's entries, then the process's own. */
static char **
build_env(const struct process_spec *ps, const struct user_ids *ids)
{
	char **env = xcalloc(1, sizeof(char *));
	_cleanup_free_ char *host = xasprintf("HOSTNAME=%s", ps->hostname);
	_cleanup_free_ char *home = xasprintf("HOME=%s", ids->home);

	env_set(&env, "PATH=" DEFAULT_PATH);
	env_set(&env, host);
	env_set(&env, home);
	if (ps->tty)
		env_set(&env, "TERM=xterm");
	for (size_t i = 0; ps->env != NULL && ps->env[i] != NULL; i++)
		env_set(&env, ps->env[i]);
	for (size_t i = 0; ps->env_extra != NULL && ps->env_extra[i] != NULL; i++)
		env_set(&env, ps->env_extra[i]);
	return env;
}

int
child_open_pty(unsigned short rows, unsigned short cols, int *slave, int *number,
	       struct ctr_error *err)
{
	_cleanup_close_ int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int unlock = 0;

	if (master < 0)
		return ctr_error_sys(err, errno, "open /dev/pts/ptmx");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, number) < 0)
		return ctr_error_sys(err, errno, "unlock the terminal");
	/* TIOCGPTPEER opens our slave, not whatever a path would resolve to (Linux 4.13). */
	*slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0 && errno == EINVAL) {
		char path[32];
		snprintf(path, sizeof(path), "/dev/pts/%d", *number);
		*slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	if (*slave < 0)
		return ctr_error_sys(err, errno, "open the terminal's slave");
	if (rows != 0 && cols != 0) {
		struct winsize ws = { .ws_row = rows, .ws_col = cols };
		if (ioctl(*slave, TIOCSWINSZ, &ws) < 0) {
			close_fd(slave);
			return ctr_error_sys(err, errno, "set the terminal size");
		}
	}
	return steal_fd(&master);
}

int
child_new_session(int tty, struct ctr_error *err)
{
	if (setsid() < 0)
		return ctr_error_sys(err, errno, "setsid");
	if (tty >= 0 && ioctl(tty, TIOCSCTTY, 0) < 0)
		return ctr_error_sys(err, errno, "make the terminal the controlling terminal");
	return 0;
}

int
child_install_stdio(const int stdio[3], struct ctr_error *err)
{
	int tmp[3];

	for (int i = 0; i < 3; i++) {
		tmp[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
		if (tmp[i] < 0)
			return ctr_error_sys(err, errno, "dup stdio");
	}
	for (int i = 0; i < 3; i++)
		if (dup2(tmp[i], i) < 0)
			return ctr_error_sys(err, errno, "dup2 stdio");
	return 0;
}

/*
 * -t: a new terminal of the container's own devpts as stdio and controlling
 * terminal (and, for the init, /dev/console). Its master is handed over on
 * ps->pty_sock: to the daemon, which passes it to the attached client with
 * the reply, or to the monitor, which copies a detached container's output
 * into the log.
 */
static int
setup_terminal(const struct process_spec *ps, struct ctr_error *err)
{
	_cleanup_close_ int master = -1, slave = -1;
	int number;

	/* Without the client's size, the classic 24x80 rather than a 0x0 terminal. */
	master = child_open_pty(ps->tty_rows ? ps->tty_rows : 24, ps->tty_cols ? ps->tty_cols : 80,
				&slave, &number, err);
	if (master < 0 || (ps->console && mounts_console(number, err) < 0))
		return -1;
	struct sync_hdr h = { .type = SYNC_PTY };
	if (sync_send_fd(ps->pty_sock, &h, master) < 0)
		return ctr_error_sys(err, errno, "hand over the terminal");
	int stdio[3] = { slave, slave, slave };
	if (child_install_stdio(stdio, err) < 0)
		return -1;
	return child_new_session(STDIN_FILENO, err);
}

/* Everything between the namespaces being right and execve. */
static int
prepare_process(const struct process_spec *ps, char ***env, struct ctr_error *err)
{
	struct user_ids ids;

	if (resolve_user(ps->user, &ids, err) < 0)
		return -1;
	*env = build_env(ps, &ids);
	if (ps->env_out != NULL)
		*ps->env_out = *env;
	if (ps->tty) {
		if (setup_terminal(ps, err) < 0)
			goto fail;
	} else {
		if (child_install_stdio(ps->stdio, err) < 0)
			goto fail;
		/*
		 * Its own session, with no controlling terminal: a command handed the
		 * caller's terminal as stdio cannot push input into it with TIOCSTI.
		 */
		if (child_new_session(-1, err) < 0)
			goto fail;
	}
	/* Only 0-2 and the sync socket (close-on-exec) may survive into the command. */
	int keep[] = { ps->sync_fd };
	if (proc_close_fds_except(keep, ARRAY_SIZE(keep)) < 0) {
		ctr_error_sys(err, errno, "close inherited fds");
		goto fail;
	}
	/* docker creates a missing working directory, as root, before switching user. */
	struct stat st;
	if (ps->create_cwd && stat(ps->cwd, &st) < 0 && errno == ENOENT &&
	    fs_mkdir_p(ps->cwd, 0755, err) < 0) {
		ctr_error_prefix(err, "create working directory");
		goto fail;
	}
	/* While still root: nothing outside the set can ever come back, even through setuid files. */
	if (caps_limit_bounding(ps->caps, err) < 0)
		goto fail;
	if (switch_user(&ids, ps->userns, err) < 0 || caps_apply(ps->caps, ids.uid == 0, err) < 0)
		goto fail;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		ctr_error_sys(err, errno, "set no_new_privs");
		goto fail;
	}
	/* A change of credentials clears the parent-death signal: set it again. */
	if (ps->pdeathsig)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* After the switch, so a directory the user cannot enter fails here as it would later. */
	if (chdir(ps->cwd) < 0) {
		ctr_error_sys(err, errno, "chdir to working directory %s", ps->cwd);
		goto fail;
	}
	/* Last: from here on only execve is left to do. */
	if (ps->seccomp != NULL && seccomp_install(ps->seccomp, err) < 0)
		goto fail;
	user_ids_free(&ids);
	return 0;
fail:
	user_ids_free(&ids);
	return -1;
}

/* The daemon keeps itself out of the OOM killer's way; its containers do not. */
static void
set_oom_score(int adj)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", adj);

	if (fd >= 0) {
		(void)write_all(fd, buf, (size_t)n);
		close(fd);
	}
}

void
child_start_process(const struct process_spec *ps)
{
	struct ctr_error err = CTR_ERROR_INIT;
	char **env = NULL;

	past_heap = ps->past_heap;
	set_oom_score(ps->oom_score_adj);
	umask(0);
	if (prepare_process(ps, &env, &err) < 0) {
		ctr_error_prefix(&err, "%s", ps->what);
		fail(ps->sync_fd, &err);
	}
	umask(022);
	if (ps->times != NULL) {
		/* Timing only: a daemon that misses it shows no breakdown, nothing fails. */
		struct {
			struct sync_hdr h;
			struct start_times t;
		} m = { .h = { .type = SYNC_TIMES }, .t = *ps->times };
		m.t.ns[STEP_EXEC] = time_mono_ns();
		(void)send(ps->sync_fd, &m, sizeof(m), MSG_NOSIGNAL);
	}

	int errnum = 0;
	const char *cmd = ps->command[0];
	/* child_exec() uses no heap: a SIGKILL in an execve leaves it whole. */
	if (ps->past_heap != NULL)
		*ps->past_heap = true;
	int code = child_exec(ps->command, env, &errnum);
	if (ps->past_heap != NULL)
		*ps->past_heap = false;
	if (strchr(cmd, '/') == NULL && code == 127)
		ctr_error_set(&err, CTR_E_EXEC, 0, "%s: executable file not found in $PATH", cmd);
	else
		ctr_error_set(&err, CTR_E_EXEC, errnum, "exec %s", cmd);
	err.errnum = errnum;
	err.exit_code = code;
	fail(ps->sync_fd, &err);
}

/* The init's own part: its mount namespace, host name and network. */
static int
setup_container(const struct child_args *a, const char *hostname, struct ctr_error *err)
{
	const struct container *ctr = a->ctr;
	_cleanup_close_ int rootfd = -1;
	_cleanup_free_ char *merged = xasprintf("%s/rootfs", ctr->data_dir);
	_cleanup_free_ char *upper = xasprintf("%s/upper", ctr->data_dir);
	_cleanup_free_ char *work = xasprintf("%s/work", ctr->data_dir);
	_cleanup_free_ char *lower = xasprintf("%s/lower", ctr->data_dir);
	_cleanup_close_ int tree = -1;
	bool userns = (a->clone_flags & CLONE_NEWUSER) != 0;

	if (userns) {
		/* Nothing works until the monitor has written our maps (and moved us into our
		 * cgroups). */
		struct sync_hdr h;
		if (sync_recv(a->msock, &h, &tree) < 0 || h.type != SYNC_GO)
			return ctr_error_sys(err, errno == EPIPE ? ECANCELED : errno,
					     "wait for the user namespace maps");
		/* We were host root, unmapped here: become the namespace's root (host id
		 * uid_map[0]). */
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			return ctr_error_sys(err, errno, "become root in the user namespace");
		/* Our root, idmapped: an image's lower layer, or the root directory itself. */
		if (userns_attach_tree(tree, ctr->image_rootfs ? lower : ctr->spec.rootfs, err) < 0)
			return -1;
	}
	/*
	 * Into the container's cgroup before anything else, so setup is limited
	 * too (with --userns the monitor moved us); then a cgroup namespace rooted
	 * there, so /proc/self/cgroup reads "/".
	 */
	if (cgroup_join(a->cgroup_procs, err) < 0)
		return -1;
	if (ctr->d->cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		return ctr_error_sys(err, errno, "unshare the cgroup namespace");
	a->times->ns[STEP_CGROUP] = time_mono_ns();
	failpoint("init:setup");

	struct mounts_config mc = {
		.cgroups = &ctr->d->cgroups,
		.cgroup_id = ctr->id,
		.spec = &ctr->spec,
		.rootfs = ctr->image_rootfs ? merged : ctr->spec.rootfs,
		.lower = ctr->image_rootfs ? (userns ? lower : ctr->image_rootfs) : NULL,
		.upper = upper,
		.work = work,
		.etc_dir = ctr->dir,
		.new_netns = (a->clone_flags & CLONE_NEWNET) != 0,
		.userns = userns,
	};

	rootfd = mounts_setup(&mc, err);
	if (rootfd < 0)
		return -1;
	a->times->ns[STEP_MOUNTS] = time_mono_ns();
	if (mounts_pivot(rootfd, err) < 0)
		return -1;
	if (sethostname(hostname, strlen(hostname)) < 0)
		return ctr_error_sys(err, errno, "sethostname");
	if ((a->clone_flags & CLONE_NEWNET) && loopback_up(err) < 0)
		return -1;
	a->times->ns[STEP_PIVOT] = time_mono_ns();
	return 0;
}

void
child_run(const struct child_args *a)
{
	const struct ctr_spec *spec = &a->ctr->spec;
	struct ctr_error err = CTR_ERROR_INIT;
	char short_id[CTR_SHORT_ID_LEN + 1];

	a->times->ns[STEP_INIT] = time_mono_ns();
	past_heap = a->past_heap;
	memcpy(short_id, a->ctr->id, CTR_SHORT_ID_LEN);
	short_id[CTR_SHORT_ID_LEN] = '\0';
	/* If the monitor dies, no one would reap or report us: die with it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Device nodes and mount points get exactly the modes we ask for. */
	umask(0);
	struct process_spec ps = {
		.what = "start container",
		.command = spec->command,
		.env = spec->env,
		.cwd = spec->cwd,
		.create_cwd = true,
		.user = spec->user,
		.hostname = spec->hostname ? spec->hostname : short_id,
		.tty = spec->tty,
		.tty_rows = spec->tty_rows,
		.tty_cols = spec->tty_cols,
		.console = true,
		.pty_sock = spec->detach ? a->msock : a->sync_fd,
		.stdio = { a->stdio[0], a->stdio[1], a->stdio[2] },
		.sync_fd = a->sync_fd,
		.pdeathsig = true,
		.caps = spec->caps,
		.seccomp = a->seccomp,
		.userns = (a->clone_flags & CLONE_NEWUSER) != 0,
		.oom_score_adj = a->ctr->d->container_oom_score_adj,
		.times = a->times,
		.env_out = a->env_out,
		.past_heap = a->past_heap,
	};
	if (setup_container(a, ps.hostname, &err) < 0) {
		ctr_error_prefix(&err, "start container");
		fail(a->sync_fd, &err);
	}
	child_start_process(&ps);
}
