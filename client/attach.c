/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>

#include "attach.h"
#include "ctrctl.h"
#include "tty.h"

/* After the exit: how long the master may stay silent, and the longest we drain it. */
#define DRAIN_QUIET_NS (200 * 1000000LL)
#define DRAIN_MAX_NS   (2000 * 1000000LL)

/* What the steps of the loop return besides an exit code: go on, or fail with err. */
#define NO_EXIT	      (-1)
#define SESSION_ERROR (-2)

/* Signals caught while attached are written here and read in the poll loop. */
static int signal_pipe[2] = { -1, -1 };

static const int session_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

struct session {
	struct rpc_client *cl;
	const struct attach_opts *o;
	json_int_t req;		   /* the run or exec request's id */
	char *id;		   /* owned: the container's id, once the result came */
	struct tty_relay *relay;   /* owned: with -t, once the result came */
	int exit_code;		   /* the process's, or NO_EXIT until the notification */
	bool hung_up;		   /* exec -t: we closed the master on SIGTERM/SIGHUP */
	unsigned char pending[64]; /* signals caught before the result */
	size_t npending;
};

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char s = (unsigned char)sig;
	(void)!write(signal_pipe[1], &s, 1);
	errno = saved;
}

static int
catch_signals(bool tty)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(session_signals); i++)
		if (sigaction(session_signals[i], &sa, NULL) < 0)
			return -1;
	if (tty && sigaction(SIGWINCH, &sa, NULL) < 0)
		return -1;
	return 0;
}

/* Default dispositions again before the pipe goes: no late signal writes to a closed fd. */
static void
release_signals(void)
{
	if (signal_pipe[0] < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(session_signals); i++)
		signal(session_signals[i], SIG_DFL);
	signal(SIGWINCH, SIG_DFL);
	close_fd(&signal_pipe[0]);
	close_fd(&signal_pipe[1]);
}

/* What the session runs, for messages. */
static const char *
session_what(const struct session *s)
{
	return strcmp(s->o->method, "exec") == 0 ? "process" : "container";
}

/* The terminal first: an error printed in raw mode would lose its carriage returns. */
static int
session_failed(const struct ctr_error *err)
{
	tty_restore();
	return ctrctl_run_failed(err);
}

/* Sends a signal to the container's init on our connection; the reply is not awaited. */
static void
forward_kill(struct session *s, int sig)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;

	(void)rpc_send(s->cl, "kill", json_pack("{s:s,s:i}", "id", s->id, "signal", sig), NULL, 0,
		       &err);
}

/* A caught signal; returns an exit code to leave with, or NO_EXIT. */
static int
session_signal(struct session *s, int sig)
{
	if (sig == SIGWINCH) {
		if (s->relay != NULL)
			tty_relay_resize(s->relay);
		return NO_EXIT;
	}
	if (s->id == NULL) {
		/* Nothing to deliver it to yet: the result will tell us what. */
		if (s->npending < sizeof(s->pending))
			s->pending[s->npending++] = (unsigned char)sig;
		return NO_EXIT;
	}
	if (s->o->kill_on_signal) {
		forward_kill(s, sig);
		return NO_EXIT;
	}
	if (s->relay == NULL)
		return NO_EXIT;
	if (s->hung_up && (sig == SIGTERM || sig == SIGHUP || sig == SIGINT)) {
		/* The process outlived its terminal's hang-up: asked again, stop waiting. */
		tty_restore();
		ctrctl_error("left the session on %s; the process may still be running",
			     signal_name(sig) ? signal_name(sig) : "a signal");
		return 128 + sig;
	}
	switch (sig) {
	case SIGINT:
		tty_relay_send_cc(s->relay, VINTR);
		break;
	case SIGQUIT:
		tty_relay_send_cc(s->relay, VQUIT);
		break;
	case SIGTERM:
	case SIGHUP:
		tty_relay_hangup(s->relay);
		s->hung_up = true;
		break;
	default:
		break;
	}
	return NO_EXIT;
}

/* The run or exec result: the container's id and, with -t, the terminal to relay. */
static int
session_started(struct session *s, struct rpc_in *in, struct ctr_error *err)
{
	const char *id = json_string_value(json_object_get(in->msg.result, "id"));

	if (id == NULL)
		return ctr_error_set(err, CTR_E_SYSTEM, 0, "ctrd's %s result has no id",
				     s->o->method);
	s->id = xstrdup(id);
	if (!s->o->tty)
		return 0;
	if (in->nfds != 1 || !isatty(in->fds[0]))
		return ctr_error_set(
			err, CTR_E_SYSTEM, 0,
			"ctrd sent %zu fds instead of one terminal; the %s may still run", in->nfds,
			session_what(s));
	s->relay = tty_relay_new(steal_fd(&in->fds[0]), s->o->interactive);
	/* The window may have changed since the request (a same-size resize is a no-op). */
	tty_relay_resize(s->relay);
	/* Without -i our keys stay ours: Ctrl-C is then a SIGINT for ctrctl to pass on. */
	if (s->o->interactive && tty_raw() < 0)
		return ctr_error_sys(err, errno, "put the terminal in raw mode");
	return 0;
}

/* Is this "exit" notification the one for our request? (No "request" member: assume so.) */
static bool
is_our_exit(const struct session *s, const struct rpc_msg *m)
{
	json_t *req = json_object_get(m->params, "request");

	if (strcmp(m->method, "exit") != 0)
		return false;
	return req == NULL || (json_is_integer(req) && json_integer_value(req) == s->req);
}

/*
 * Handles the messages already received. Returns NO_EXIT to go on, an exit
 * code to leave with at once, or SESSION_ERROR with err set.
 */
static int
session_messages(struct session *s, struct ctr_error *err)
{
	struct rpc_in in;
	int r;

	while ((r = rpc_next(s->cl, &in, err)) == 1) {
		struct rpc_msg *m = &in.msg;
		bool ours = json_is_integer(m->id) && json_integer_value(m->id) == s->req;
		int code = NO_EXIT;

		if (m->kind == RPC_ERROR && (ours || json_is_null(m->id))) {
			rpc_error_from_msg(m, err);
			code = SESSION_ERROR;
		} else if (m->kind == RPC_RESULT && ours && s->id == NULL) {
			if (session_started(s, &in, err) < 0)
				code = SESSION_ERROR;
			/* Signals that came before the result can go where they belong now. */
			for (size_t i = 0; code == NO_EXIT && i < s->npending; i++)
				code = session_signal(s, s->pending[i]);
			s->npending = 0;
		} else if (m->kind == RPC_NOTIFICATION && is_our_exit(s, m)) {
			s->exit_code =
				(int)json_integer_value(json_object_get(m->params, "exit_code"));
		}
		/* Replies to our kills, and fds nobody asked for, end here. */
		rpc_in_clear(&in);
		if (code != NO_EXIT)
			return code;
	}
	return r < 0 ? SESSION_ERROR : NO_EXIT;
}

/* Acts on the signals the handler queued; returns an exit code to leave with, or NO_EXIT. */
static int
session_signals_read(struct session *s)
{
	unsigned char sigs[16];
	ssize_t n = read(signal_pipe[0], sigs, sizeof(sigs));

	for (ssize_t i = 0; i < n; i++) {
		int code = session_signal(s, sigs[i]);
		if (code != NO_EXIT)
			return code;
	}
	return NO_EXIT;
}

/* Reads from the socket; returns NO_EXIT, or an exit code when the connection is gone. */
static int
session_fill(struct session *s)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	int r = rpc_fill(s->cl, &err);

	if (r < 0)
		return session_failed(&err);
	if (r > 0)
		return NO_EXIT;
	/* After the exit notification, the daemon may go: we have what we waited for. */
	if (s->exit_code != NO_EXIT)
		return s->exit_code;
	tty_restore();
	ctrctl_error("lost the connection to ctrd; the %s may still be running", session_what(s));
	return EXIT_FAILED;
}

/* Until the exit notification (and, with -t, the end of the output): the exit code. */
static int
session_loop(struct session *s)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	int64_t quiet_until = 0, drain_until = 0;

	for (;;) {
		int code = session_messages(s, &err);
		if (code == SESSION_ERROR)
			return session_failed(&err);
		if (code != NO_EXIT)
			return code;
		if (s->exit_code != NO_EXIT && s->relay == NULL)
			return s->exit_code;

		int64_t now = time_mono_ns();
		if (s->exit_code != NO_EXIT && drain_until == 0) {
			/* The process is gone: deliver what it wrote last, not new keys. */
			tty_relay_stop_input(s->relay);
			quiet_until = now + DRAIN_QUIET_NS;
			drain_until = now + DRAIN_MAX_NS;
		}
		if (drain_until != 0 &&
		    (tty_relay_done(s->relay) || now >= quiet_until || now >= drain_until))
			return s->exit_code;

		struct pollfd p[2 + TTY_RELAY_NPOLL] = {
			{ s->cl->fd, POLLIN, 0 },
			{ signal_pipe[0], POLLIN, 0 },
		};
		size_t np = 2;
		if (s->relay != NULL) {
			tty_relay_poll(s->relay, p + 2);
			np += TTY_RELAY_NPOLL;
		}
		int timeout = -1;
		if (drain_until != 0) {
			int64_t until = quiet_until < drain_until ? quiet_until : drain_until;
			timeout = (int)((until - now) / 1000000) + 1;
		}
		if (poll(p, np, timeout) < 0) {
			if (errno == EINTR)
				continue;
			ctr_error_sys(&err, errno, "poll");
			return session_failed(&err);
		}
		if ((p[1].revents & POLLIN) && (code = session_signals_read(s)) != NO_EXIT)
			return code;
		if (s->relay != NULL && tty_relay_handle(s->relay, p + 2) && drain_until != 0)
			quiet_until = time_mono_ns() + DRAIN_QUIET_NS;
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    (code = session_fill(s)) != NO_EXIT)
			return code;
	}
}

int
attach_session(struct rpc_client *cl, json_t *params, const struct attach_opts *o)
{
	_cleanup_error_ struct ctr_error err = CTR_ERROR_INIT;
	struct session s = { .cl = cl, .o = o, .exit_code = NO_EXIT };
	int stdio[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };

	if ((o->kill_on_signal || o->tty) && catch_signals(o->tty) < 0) {
		json_decref(params);
		ctrctl_error("install signal handlers: %s", strerror(errno));
		release_signals();
		return EXIT_FAILED;
	}
	/* With -t the daemon makes the terminal; without, the process gets our own stdio. */
	s.req = rpc_send(cl, o->method, params, o->tty ? NULL : stdio, o->tty ? 0 : 3, &err);
	int code = s.req < 0 ? session_failed(&err) : session_loop(&s);
	if (s.relay != NULL) {
		tty_relay_flush(s.relay);
		tty_relay_free(s.relay);
	}
	tty_restore();
	release_signals();
	free(s.id);
	return code;
}
