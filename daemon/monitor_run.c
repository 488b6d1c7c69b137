/* SPDX-License-Identifier: MIT */
/*
 * What a monitor does once the init runs (monitor.h): relay, reap, record.
 * This is all of ctrd-monitor, which links it with nolibc.c instead of the C
 * library, so it uses nothing but the system calls and string functions
 * that file provides: no malloc, no stdio.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "logfile.h"
#include "monitor.h"

/* After the init exits, its pipes are drained for at most this long. */
#define DRAIN_MS 2000

/* Bytes in the log file now, for rotation. */
static int64_t log_size;

/* What logfile_append() adds to each record: "<30-byte time> stdout F " and '\n'. */
#define RECORD_OVERHEAD 41

/*
 * Appends len bytes of one stream to the log, rotating it whenever the next
 * record would take the file past its size. One read may hold thousands of
 * short lines, each of which grows by a time stamp on disk: checking only
 * between reads let a file reach several times its size. Now a file holds
 * at most log_max_size bytes, or a single record if that alone is bigger.
 */
static void
log_write(const struct monitor_args *a, bool is_stderr, const char *buf, size_t len)
{
	bool rotating = a->log_max_size > 0 && a->log_path != NULL;
	int64_t now = time_now_ns();

	while (len > 0) {
		size_t take = 0;
		int64_t size = log_size;
		/* Whole records (each up to and including its newline) while they fit. */
		while (take < len) {
			const char *nl = memchr(buf + take, '\n', len - take);
			size_t n = nl != NULL ? (size_t)(nl - (buf + take)) + 1 : len - take;
			if (rotating && size + (int64_t)(n + RECORD_OVERHEAD) > a->log_max_size &&
			    (take > 0 || size > 0))
				break;
			size += (int64_t)(n + RECORD_OVERHEAD);
			take += n;
		}
		if (take == 0) {
			/* Not even the next record fits: a new file (or, if that fails, on we go). */
			if (logfile_rotate(a->log_fd, a->log_path, a->log_max_files) == 0) {
				log_size = 0;
				continue;
			}
			const char *nl = memchr(buf, '\n', len);
			take = nl != NULL ? (size_t)(nl - buf) + 1 : len;
		}
		ssize_t w = logfile_append(a->log_fd, is_stderr, buf, take, now);
		if (w > 0)
			log_size += w;
		buf += take;
		len -= take;
	}
}

/*
 * Copies what is readable on fd into the log, rotated by size so a chatty
 * container cannot fill the disk. Never blocks on anything but the file:
 * the container never waits for a reader. False at end of file.
 */
static bool
relay(int fd, const struct monitor_args *a, bool is_stderr)
{
	static char buf[64 * 1024];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 && errno == EAGAIN;
	if (a->log_fd >= 0)
		log_write(a, is_stderr, buf, (size_t)n);
	return true;
}

/* Appends s to the buffer at *o. */
static void
put_str(char **o, const char *s)
{
	size_t n = strlen(s);
	memcpy(*o, s, n);
	*o += n;
}

/* Appends v in decimal. */
static void
put_int(char **o, int v)
{
	char digits[12];
	int d = 0;
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;

	do
		digits[d++] = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		*(*o)++ = '-';
	while (d > 0)
		*(*o)++ = digits[--d];
}

size_t
monitor_exit_record(char buf[static MONITOR_EXIT_RECORD_MAX], const siginfo_t *si, int64_t now_ns)
{
	char *o = buf;
	int code, sig = 0;

	if (si->si_code == CLD_EXITED) {
		code = si->si_status;
	} else {
		sig = si->si_status;
		code = 128 + sig;
	}
	put_str(&o, "{\"exit_code\":");
	put_int(&o, code);
	put_str(&o, ",\"signal\":");
	if (sig)
		put_int(&o, sig);
	else
		put_str(&o, "null");
	put_str(&o, ",\"oom_killed\":false,\"finished_at\":\"");
	o += time_format_rfc3339_buf(now_ns, o);
	put_str(&o, "\"}\n");
	return (size_t)(o - buf);
}

/* The exit file, in the JSON the daemon reads (statefile.c). */
static void
write_exit(const char *path, const siginfo_t *si)
{
	char json[MONITOR_EXIT_RECORD_MAX];
	size_t n = monitor_exit_record(json, si, time_now_ns());

	(void)write_file_atomic(path, json, n, 0644);
}

void
monitor_ignore_signals(void)
{
	/* Only SIGKILL ends a monitor: a stray `pkill ctrd` must not orphan containers. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
}

void
monitor_run(const struct monitor_args *a)
{
	struct pollfd p[3] = {
		{ .fd = a->init_pidfd, .events = POLLIN },
		{ .fd = a->out_fd, .events = POLLIN },
		{ .fd = a->err_fd, .events = POLLIN },
	};
	siginfo_t si = { 0 };
	bool exited = false;
	int64_t deadline = 0;

	monitor_ignore_signals();
	if (a->log_fd >= 0) {
		off_t end = lseek(a->log_fd, 0, SEEK_END);
		log_size = end > 0 ? end : 0;
	}
	for (;;) {
		int timeout = -1;
		if (exited) {
			if (p[1].fd < 0 && p[2].fd < 0)
				break;
			timeout = (int)((deadline - time_mono_ns()) / 1000000);
			if (timeout <= 0)
				break;
		}
		int n = poll(p, 3, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (p[0].revents) {
			if (waitid(P_PID, (id_t)a->init_pid, &si, WEXITED) < 0)
				si.si_code = CLD_KILLED, si.si_status = SIGKILL;
			exited = true;
			p[0].fd = -1;
			deadline = time_mono_ns() + DRAIN_MS * 1000000LL;
		}
		for (int i = 1; i < 3; i++) {
			if (p[i].fd >= 0 && p[i].revents && !relay(p[i].fd, a, i == 2)) {
				close(p[i].fd);
				p[i].fd = -1;
			}
		}
	}
	write_exit(a->exit_path, &si);
	_exit(0);
}

int
monitor_main(int argc, char **argv)
{
	static const char usage[] = "ctrd-monitor: started by ctrd only "
				    "(ID PID EXIT-FILE relay|attached LOG MAX-SIZE MAX-FILES)\n";
	struct monitor_args a = {
		.init_pidfd = MONITOR_FD_PIDFD, .out_fd = -1, .err_fd = -1, .log_fd = -1
	};
	uint64_t pid, size, files;

	if (argc != 8 || parse_u64(argv[2], &pid) < 0 || pid > INT_MAX ||
	    parse_u64(argv[6], &size) < 0 || size > INT64_MAX || parse_u64(argv[7], &files) < 0 ||
	    files > INT_MAX || fcntl(MONITOR_FD_PIDFD, F_GETFD) < 0) {
		(void)!write(STDERR_FILENO, usage, sizeof(usage) - 1);
		return 2;
	}
	a.log_path = strcmp(argv[5], "-") == 0 ? NULL : argv[5];
	a.log_max_size = (int64_t)size;
	a.log_max_files = (int)files;
	a.id = argv[1];
	a.init_pid = (pid_t)pid;
	a.exit_path = argv[3];
	if (strcmp(argv[4], "relay") == 0) {
		a.out_fd = MONITOR_FD_STDOUT;
		a.err_fd = MONITOR_FD_STDERR;
		a.log_fd = MONITOR_FD_LOG;
	}
	monitor_run(&a);
}
