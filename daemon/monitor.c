/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "fsutil.h"
#include "logfile.h"
#include "monitor.h"

/* After the init exits, its pipes are drained for at most this long. */
#define DRAIN_MS 2000

/* Copies what is readable on fd into the log; false at end of file. */
static bool
relay(int fd, int log_fd, bool is_stderr)
{
	char buf[64 * 1024];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 && errno == EAGAIN;
	if (log_fd >= 0)
		(void)logfile_append(log_fd, is_stderr, buf, (size_t)n, time_now_ns());
	return true;
}

static void
write_exit(const char *path, const siginfo_t *si)
{
	struct exit_status st = { .finished_at = time_now_ns() };

	if (si->si_code == CLD_EXITED) {
		st.exit_code = si->si_status;
	} else {
		st.signal = si->si_status;
		st.exit_code = 128 + si->si_status;
	}
	json_t *o = exit_status_to_json(&st);
	char *s = json_dumps(o, JSON_COMPACT);
	if (s != NULL)
		(void)fs_write_atomic(path, s, strlen(s), 0644, NULL);
	free(s);
	json_decref(o);
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
			if (waitid(P_PID, (id_t)a->init_pid, &si, WEXITED) < 0 && errno != EINTR)
				si.si_code = CLD_KILLED, si.si_status = SIGKILL;
			exited = true;
			p[0].fd = -1;
			deadline = time_mono_ns() + DRAIN_MS * 1000000LL;
		}
		for (int i = 1; i < 3; i++) {
			if (p[i].fd >= 0 && p[i].revents && !relay(p[i].fd, a->log_fd, i == 2)) {
				close(p[i].fd);
				p[i].fd = -1;
			}
		}
	}
	write_exit(a->exit_path, &si);
	_exit(0);
}

int
monitor_read_exit(const char *path, struct exit_status *st)
{
	_cleanup_free_ char *data = NULL;
	json_error_t jerr;

	if (fs_read_file(path, 4096, &data, NULL) < 0)
		return -1;
	json_t *o = json_loads(data, 0, &jerr);
	json_t *code = json_object_get(o, "exit_code");
	json_t *sig = json_object_get(o, "signal");
	const char *finished = json_string_value(json_object_get(o, "finished_at"));

	if (!json_is_integer(code)) {
		json_decref(o);
		return errno = EINVAL, -1;
	}
	st->exit_code = (int)json_integer_value(code);
	st->signal = json_is_integer(sig) ? (int)json_integer_value(sig) : 0;
	st->oom_killed = json_is_true(json_object_get(o, "oom_killed"));
	if (finished == NULL || time_parse_rfc3339(finished, &st->finished_at) < 0)
		st->finished_at = time_now_ns();
	json_decref(o);
	return 0;
}
