/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "child.h"
#include "fsutil.h"
#include "mounts.h"
#include "sync.h"
#include "user.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static _noreturn_ void
child_fail(const struct child_args *a, const struct ctr_error *err)
{
	sync_send_error(a->sync_fd, err->code, err->errnum, err->exit_code, err->msg);
	_exit(err->exit_code ? err->exit_code : 125);
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
	_cleanup_free_ char *dirs = xstrdup(path);
	char *save = NULL;
	/* An empty PATH element means the current directory, as in execvp. */
	for (char *dir = dirs;; dir = NULL) {
		char *d = strtok_r(dir, ":", &save);
		if (d == NULL)
			break;
		_cleanup_free_ char *full = xasprintf("%s/%s", *d ? d : ".", file);
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

/* Reads the container's passwd and group (after pivot_root) and resolves the user. */
static int
resolve_user(const char *spec, struct user_ids *ids, struct ctr_error *err)
{
	_cleanup_free_ char *passwd = NULL, *group = NULL;

	(void)fs_read_file("/etc/passwd", 16 << 20, &passwd, NULL);
	(void)fs_read_file("/etc/group", 16 << 20, &group, NULL);
	return user_resolve(spec, passwd, group, ids, err);
}

static int
switch_user(const struct user_ids *ids, struct ctr_error *err)
{
	if (setgroups(ids->ngroups, ids->groups) < 0)
		return ctr_error_sys(err, errno, "setgroups");
	if (setresgid(ids->gid, ids->gid, ids->gid) < 0)
		return ctr_error_sys(err, errno, "setgid %u", (unsigned)ids->gid);
	if (setresuid(ids->uid, ids->uid, ids->uid) < 0)
		return ctr_error_sys(err, errno, "setuid %u", (unsigned)ids->uid);
	return 0;
}

static char **
build_env(const struct ctr_spec *spec, const char *hostname, const struct user_ids *ids)
{
	char **env = xcalloc(1, sizeof(char *));
	_cleanup_free_ char *host = xasprintf("HOSTNAME=%s", hostname);
	_cleanup_free_ char *home = xasprintf("HOME=%s", ids->home);

	env_set(&env, "PATH=" DEFAULT_PATH);
	env_set(&env, host);
	env_set(&env, home);
	if (spec->tty)
		env_set(&env, "TERM=xterm");
	for (size_t i = 0; spec->env[i] != NULL; i++)
		env_set(&env, spec->env[i]);
	return env;
}

/* Moves the three stdio fds to 0, 1, 2 even if they are crossed (stdio[0] == 2, ...). */
static int
install_stdio(const int stdio[3], struct ctr_error *err)
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

static int
setup(const struct child_args *a, struct user_ids *ids, char ***env, struct ctr_error *err)
{
	const struct container *ctr = a->ctr;
	const struct ctr_spec *spec = &ctr->spec;
	char short_id[CTR_SHORT_ID_LEN + 1];
	const char *hostname = spec->hostname;
	_cleanup_close_ int rootfd = -1;

	memcpy(short_id, ctr->id, CTR_SHORT_ID_LEN);
	short_id[CTR_SHORT_ID_LEN] = '\0';
	if (hostname == NULL)
		hostname = short_id;

	struct mounts_config mc = {
		.spec = spec,
		.rootfs = spec->rootfs,
		.etc_dir = ctr->dir,
		.new_netns = (a->clone_flags & CLONE_NEWNET) != 0,
	};
	rootfd = mounts_setup(&mc, err);
	if (rootfd < 0 || mounts_pivot(rootfd, err) < 0)
		return -1;
	if (sethostname(hostname, strlen(hostname)) < 0)
		return ctr_error_sys(err, errno, "sethostname");
	if ((a->clone_flags & CLONE_NEWNET) && loopback_up(err) < 0)
		return -1;
	if (resolve_user(spec->user, ids, err) < 0)
		return -1;
	*env = build_env(spec, hostname, ids);
	if (install_stdio(a->stdio, err) < 0)
		return -1;
	/*
	 * Its own session, with no controlling terminal: a command handed the
	 * caller's terminal as stdio cannot push input into it with TIOCSTI.
	 */
	if (setsid() < 0)
		return ctr_error_sys(err, errno, "setsid");
	/* Only 0-2 and the sync socket (close-on-exec) may survive into the command. */
	int keep[] = { a->sync_fd };
	if (proc_close_fds_except(keep, ARRAY_SIZE(keep)) < 0)
		return ctr_error_sys(err, errno, "close inherited fds");
	/* docker creates a missing working directory, as root, before switching user. */
	struct stat st;
	if (stat(spec->cwd, &st) < 0 && errno == ENOENT && fs_mkdir_p(spec->cwd, 0755, err) < 0)
		return ctr_error_prefix(err, "create working directory");
	if (switch_user(ids, err) < 0)
		return -1;
	/* A change of credentials clears the parent-death signal: set it again. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* After the switch, so a directory the user cannot enter fails here as it would later. */
	if (chdir(spec->cwd) < 0)
		return ctr_error_sys(err, errno, "chdir to working directory %s", spec->cwd);
	return 0;
}

void
child_run(const struct child_args *a)
{
	struct ctr_error err = CTR_ERROR_INIT;
	struct user_ids ids;
	char **env = NULL;

	/* If the monitor dies, no one would reap or report us: die with it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Device nodes and mount points get exactly the modes we ask for. */
	umask(0);
	if (setup(a, &ids, &env, &err) < 0) {
		ctr_error_prefix(&err, "start container");
		child_fail(a, &err);
	}
	umask(022);

	int errnum = 0;
	const char *cmd = a->ctr->spec.command[0];
	int code = child_exec(a->ctr->spec.command, env, &errnum);
	if (strchr(cmd, '/') != NULL)
		ctr_error_set(&err, CTR_E_EXEC, errnum, "exec %s", cmd);
	else if (code == 127)
		ctr_error_set(&err, CTR_E_EXEC, 0, "%s: executable file not found in $PATH", cmd);
	else
		ctr_error_set(&err, CTR_E_EXEC, errnum, "exec %s", cmd);
	err.errnum = errnum;
	err.exit_code = code;
	child_fail(a, &err);
}
