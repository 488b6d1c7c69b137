/* SPDX-License-Identifier: MIT */
/*
 * ctrd: start-up, the event loop and shut-down. Only this file may exit the
 * process (and the children before execve).
 */
#include "config.h"

#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "container.h"
#include "events.h"
#include "failpoint.h"
#include "fsutil.h"
#include "log.h"
#include "logs.h"
#include "proc.h"
#include "statefile.h"
#include "zygote.h"
#include "seccomp.h"
#include "server.h"

#define DEFAULT_STATE_DIR CTRD_STATE_DIR
#define DEFAULT_ROOT_DIR  CTRD_ROOT_DIR
#define DEFAULT_SOCKET	  DEFAULT_STATE_DIR "/ctrd.sock"

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: ctrd [OPTION]...\n"
		"Run the ctrd container daemon in the foreground.\n"
		"\n"
		"  -s, --socket PATH      API socket (default " DEFAULT_SOCKET ")\n"
		"      --state-dir DIR    runtime state, lost at reboot (default " DEFAULT_STATE_DIR
		")\n"
		"      --root DIR         images, container logs (default " DEFAULT_ROOT_DIR ")\n"
		"      --log-level LEVEL  error, warn, info (default) or debug\n"
		"      --log-file PATH    log there instead of stderr (SIGHUP reopens it)\n"
		"      --cgroup-parent NAME  containers' cgroups go in NAME/<id> (default ctrd)\n"
		"      --log-max-size BYTES  rotate container logs beyond this (default 10m; 0: never)\n"
		"      --log-max-files N  log files kept per container (default 3)\n"
		"      --userns-range FIRST[:COUNT]  host ids for --userns containers (default:\n"
		"                         user ctrd's in /etc/subuid and /etc/subgid)\n"
		"  -h, --help             show this help and exit\n"
		"  -V, --version          show the version and exit\n"
		"\n"
		"ctrd must run as root. Clients (ctrctl, or JSON-RPC on the socket) must be\n"
		"root or members of the group \"ctrd\". See ctrd(8).\n");
}

/* Options into d; exits on --help, --version and errors. */
static void
parse_args(struct ctrd *d, int argc, char **argv)
{
	enum {
		OPT_STATE_DIR = 256,
		OPT_ROOT,
		OPT_LOG_LEVEL,
		OPT_CGROUP_PARENT,
		OPT_USERNS_RANGE,
		OPT_LOG_MAX_SIZE,
		OPT_LOG_MAX_FILES,
		OPT_LOG_FILE,
	};
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT },
		{ "userns-range", required_argument, NULL, OPT_USERNS_RANGE },
		{ "log-max-size", required_argument, NULL, OPT_LOG_MAX_SIZE },
		{ "log-max-files", required_argument, NULL, OPT_LOG_MAX_FILES },
		{ "log-file", required_argument, NULL, OPT_LOG_FILE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, level;

	while ((c = getopt_long(argc, argv, "s:hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			free(d->socket_path);
			d->socket_path = xstrdup(optarg);
			break;
		case OPT_STATE_DIR:
			free(d->state_dir);
			d->state_dir = xstrdup(optarg);
			break;
		case OPT_ROOT:
			free(d->root_dir);
			d->root_dir = xstrdup(optarg);
			break;
		case OPT_CGROUP_PARENT:
			/* A relative path below each hierarchy's root; no way out of it. */
			if (optarg[0] == '\0' || optarg[0] == '/' || strstr(optarg, "..") != NULL) {
				fprintf(stderr,
					"ctrd: --cgroup-parent must be a relative path without \"..\"\n");
				exit(2);
			}
			free(d->cgroup_parent);
			d->cgroup_parent = xstrdup(optarg);
			break;
		case OPT_LOG_MAX_SIZE:
			if (parse_size(optarg, &d->log_max_size) < 0) {
				fprintf(stderr,
					"ctrd: --log-max-size: expected bytes (10m), got \"%s\"\n",
					optarg);
				exit(2);
			}
			break;
		case OPT_LOG_MAX_FILES: {
			uint64_t n;
			if (parse_u64(optarg, &n) < 0 || n < 1 || n > 100) {
				fprintf(stderr, "ctrd: --log-max-files: expected 1 to 100\n");
				exit(2);
			}
			d->log_max_files = (int)n;
			break;
		}
		case OPT_LOG_FILE:
			free(d->log_file);
			d->log_file = xstrdup(optarg);
			break;
		case OPT_USERNS_RANGE:
			if (userns_parse_range(optarg, &d->userns) < 0) {
				fprintf(stderr,
					"ctrd: --userns-range: expected FIRST[:COUNT] host ids, got \"%s\"\n",
					optarg);
				exit(2);
			}
			break;
		case OPT_LOG_LEVEL:
			level = log_level_parse(optarg);
			if (level < 0) {
				fprintf(stderr, "ctrd: unknown log level \"%s\"\n", optarg);
				exit(2);
			}
			log_set_level((enum log_level)level);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("ctrd %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ctrd: unexpected argument \"%s\"\n", argv[optind]);
		exit(2);
	}
	if (d->state_dir == NULL)
		d->state_dir = xstrdup(DEFAULT_STATE_DIR);
	if (d->root_dir == NULL)
		d->root_dir = xstrdup(DEFAULT_ROOT_DIR);
	if (d->socket_path == NULL)
		d->socket_path = xstrdup(DEFAULT_SOCKET);
	if (d->cgroup_parent == NULL)
		d->cgroup_parent = xstrdup("ctrd");
	if (d->log_max_files == 0)
		d->log_max_files = 3;
}

/* Creates dir (mode) and replaces *path with its canonical form. */
static int
prepare_dir(char **path, mode_t mode, struct ctr_error *err)
{
	if (fs_mkdir_p(*path, mode, err) < 0)
		return -1;
	char *real = realpath(*path, NULL);
	if (real == NULL)
		return ctr_error_sys(err, errno, "resolve %s", *path);
	free(*path);
	*path = real;
	return 0;
}

/*
 * ctrd-monitor beside our own executable (the build tree), else where make
 * install puts it. Without it, monitors stay forked copies of the daemon.
 */
static char *
find_monitor(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		char *path = xasprintf("%s/ctrd-monitor", dirname(self));
		if (access(path, X_OK) == 0)
			return path;
		free(path);
	}
	if (access(LIBEXECDIR "/ctrd/ctrd-monitor", X_OK) == 0)
		return xstrdup(LIBEXECDIR "/ctrd/ctrd-monitor");
	return NULL;
}

static int
prepare(struct ctrd *d, struct ctr_error *err)
{
	_cleanup_free_ char *sockdir = xstrdup(d->socket_path);
	char *dir = dirname(sockdir);

	if (geteuid() != 0)
		return ctr_error_set(err, CTR_E_PERMISSION, 0, "ctrd must run as root");
	if (prepare_dir(&d->state_dir, 0711, err) < 0 || prepare_dir(&d->root_dir, 0711, err) < 0)
		return -1;
	if (fs_mkdir_p(dir, 0755, err) < 0)
		return -1;
	d->containers_dir = xasprintf("%s/containers", d->state_dir);
	d->data_dir = xasprintf("%s/containers", d->root_dir);
	d->images_dir = xasprintf("%s/images", d->root_dir);
	/*
	 * 0711: a --userns container's root is nobody on the host and must pass
	 * through to its own directory; listing stays root's.
	 */
	if (fs_mkdir_p(d->containers_dir, 0711, err) < 0 ||
	    fs_mkdir_p(d->data_dir, 0711, err) < 0 || fs_mkdir_p(d->images_dir, 0755, err) < 0 ||
	    chmod(d->containers_dir, 0711) < 0 || chmod(d->data_dir, 0711) < 0)
		return ctr_error_prefix(err, "prepare %s", d->root_dir);

	/* pidfds are how we avoid ever signalling a recycled PID. */
	_cleanup_close_ int self = proc_pidfd_open(getpid());
	if (self < 0)
		return ctr_error_sys(err, errno, "pidfd_open (ctrd needs Linux 5.3 or later)");

	d->monitor_path = find_monitor();
	if (d->monitor_path == NULL)
		log_warn("ctrd-monitor not found beside ctrd or in " LIBEXECDIR "/ctrd; "
			 "monitors will be copies of the daemon");

	d->clone_flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
	if (d->userns.count == 0) {
		struct ctr_error uerr = CTR_ERROR_INIT;
		if (userns_from_subid(&d->userns, &uerr) < 0)
			d->userns_error = steal_pointer(&uerr.msg);
		ctr_error_clear(&uerr);
	}
	if (d->userns.count != 0)
		log_info("user namespaces map to host ids %u (uids) and %u (gids), %u of them",
			 d->userns.uid, d->userns.gid, d->userns.count);

	/* Unshared by the init once it is in its cgroup, so that cgroup is its "/". */
	d->cgroupns = access("/proc/self/ns/cgroup", F_OK) == 0;
	if (cgroup_init(&d->cgroups, d->cgroup_parent, err) < 0)
		return -1;

	/*
	 * When memory runs out, the OOM killer should take a container, not the
	 * daemon that tracks them all; containers start back at 0 (child.c).
	 */
	_cleanup_free_ char *adj = NULL;
	if (fs_read_file("/proc/self/oom_score_adj", 64, &adj, NULL) == 0 && atoi(adj) > -500) {
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		/* Lowering it takes CAP_SYS_RESOURCE, which some sandboxes withhold. */
		if (fd < 0 || write_all(fd, "-500", 4) < 0)
			log_info("oom_score_adj stays %d: %s", atoi(adj), strerror(errno));
		closep(&fd);
		free(adj);
		adj = NULL;
	}
	/* Containers sit 500 above us whatever we got; 0 in the usual case, as docker's do. */
	int own = adj == NULL && fs_read_file("/proc/self/oom_score_adj", 64, &adj, NULL) == 0
			  ? atoi(adj)
			  : -500;
	d->container_oom_score_adj = own + 500 > 1000 ? 1000 : own + 500 < 0 ? 0 : own + 500;

	/* Many clients and containers mean many fds: take what the hard limit allows. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	return 0;
}

/* Tells systemd (Type=notify) we are serving; a no-op elsewhere. */
static void
notify_systemd(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen) < 0)
		log_warn("notify systemd: %s", strerror(errno));
}

static void
shutdown_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ctrd *d = arg;

	if (d->stopping)
		return;
	d->stopping = true;
	log_info("%s: shutting down; containers keep running", strsignal((int)sig));
	notify_systemd("STOPPING=1");
	server_stop_listening(d);
	server_close_all(d);
	event_base_loopexit(d->base, NULL);
}

static void
hup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ctrd *d = arg;
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;

	if (d->log_file == NULL) {
		log_info("SIGHUP: logging goes to stderr; nothing to reopen");
		return;
	}
	if (log_open_file(d->log_file, &err) < 0)
		log_error("SIGHUP: %s", err.msg); /* still the old file: nothing is lost */
	else
		log_info("SIGHUP: reopened %s", d->log_file);
}

int
main(int argc, char **argv)
{
	struct ctrd d = { .listen_fd = -1,
			  .inotify_fd = -1,
			  .log_max_size = 10 << 20,
			  .zygote_fd = -1,
			  .zygote = PROC_REF_INIT };
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct event *sigs[3];

	/*
	 * A big reply (ps with 1000 containers: a few hundred KB of text, and
	 * inspect or stats built as jansson trees) is built and freed each
	 * time. By default glibc hands that memory back at once and maps big
	 * buffers afresh, so every such reply paid again for its page faults,
	 * tens of microseconds each on a VM (BENCHMARKS.md). Keep up to 4 MiB
	 * of freed heap, and take buffers under 1 MiB from it.
	 */
	mallopt(M_TRIM_THRESHOLD, 4 << 20);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	log_init(LOG_LEVEL_INFO);
	parse_args(&d, argc, argv);
	failpoint_init();
	if (d.log_file != NULL && log_open_file(d.log_file, &err) < 0) {
		log_error("%s", err.msg);
		return 1;
	}
	TAILQ_INIT(&d.containers);
	TAILQ_INIT(&d.conns);
	/* A client that disconnects mid-reply must cost an EPIPE, not the daemon. */
	signal(SIGPIPE, SIG_IGN);

	if (prepare(&d, &err) < 0) {
		log_error("%s", err.msg);
		return 1;
	}
	/* Now, while we are small and hold nothing of any container or client. */
	zygote_start(&d);
	d.base = event_base_new();
	if (d.base == NULL) {
		log_error("cannot create the event loop");
		return 1;
	}
	zygote_watch(&d);
	events_init(&d);
	if (logs_init(&d, &err) < 0) {
		log_error("%s", err.msg);
		return 1;
	}
	/* Listen first: a second daemon on the same paths must fail before it touches any state. */
	if (server_listen(&d, &err) < 0) {
		log_error("%s", err.msg);
		return 1;
	}
	container_restore_all(&d);
	sigs[0] = evsignal_new(d.base, SIGTERM, shutdown_cb, &d);
	sigs[1] = evsignal_new(d.base, SIGINT, shutdown_cb, &d);
	sigs[2] = evsignal_new(d.base, SIGHUP, hup_cb, &d);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigs[i] == NULL || event_add(sigs[i], NULL) < 0) {
			log_error("cannot install signal handlers");
			return 1;
		}
	log_info("ctrd %s ready (state %s, root %s)", PACKAGE_VERSION, d.state_dir, d.root_dir);
	notify_systemd("READY=1");

	if (event_base_dispatch(d.base) < 0) {
		log_error("event loop failed");
		return 1;
	}

	server_stop_listening(&d);
	container_free_all(&d);
	zygote_stop(&d);
	logs_shutdown(&d);
	events_fini(&d);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		event_free(sigs[i]);
	/* Let deferred frees (closed connections) run before the base goes. */
	event_base_loop(d.base, EVLOOP_NONBLOCK);
	event_base_free(d.base);
	free(d.socket_path);
	free(d.state_dir);
	free(d.root_dir);
	free(d.containers_dir);
	free(d.data_dir);
	free(d.images_dir);
	free(d.monitor_path);
	seccomp_cache_free();
	free(d.cgroup_parent);
	free(d.userns_error);
	free(d.log_file);
	cgroup_fini(&d.cgroups);
	return 0;
}
