/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <termios.h>

#include "tty.h"
#include "util.h"

/* Process-wide: there is one stdin, and the atexit handler must find its settings. */
static struct termios saved_termios;
static bool raw_active;

bool
tty_local_size(struct winsize *ws)
{
	static const int fds[] = { STDIN_FILENO, STDOUT_FILENO };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (!isatty(fds[i]))
			continue;
		/* A terminal nobody sized reports 0x0: the daemon's default is better. */
		if (ioctl(fds[i], TIOCGWINSZ, ws) == 0 && ws->ws_row > 0 && ws->ws_col > 0)
			return true;
	}
	return false;
}

json_t *
tty_size_param(void)
{
	struct winsize ws;

	if (!tty_local_size(&ws))
		return NULL;
	return json_pack("{s:i,s:i}", "rows", (int)ws.ws_row, "cols", (int)ws.ws_col);
}

int
tty_raw(void)
{
	static bool registered;
	struct termios t;

	if (raw_active || !isatty(STDIN_FILENO))
		return 0;
	if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return -1;
	if (!registered) {
		/* The last line of defence: any exit() restores the terminal. */
		atexit(tty_restore);
		registered = true;
	}
	t = saved_termios;
	cfmakeraw(&t);
	/* TCSADRAIN: keys typed before the container was ready are kept for it. */
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) < 0)
		return -1;
	raw_active = true;
	return 0;
}

void
tty_restore(void)
{
	int saved = errno;

	if (raw_active) {
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
		raw_active = false;
	}
	errno = saved;
}

/* One direction of the copy: bytes read and not yet written. */
struct tty_buf {
	char data[16384];
	size_t off, len;
};

struct tty_relay {
	int master;	    /* owned; -1 after a hang-up */
	bool stdin_done;    /* not copying stdin: no -i, EOF or error, or stop_input */
	bool master_done;   /* the container's side is closed (EIO/EOF) or hung up */
	bool stdout_broken; /* writes to stdout fail: the container's output is dropped */
	struct tty_buf in;  /* stdin -> master */
	struct tty_buf out; /* master -> stdout */
};

struct tty_relay *
tty_relay_new(int master, bool copy_stdin)
{
	struct tty_relay *r = xcalloc(1, sizeof(*r));
	int flags = fcntl(master, F_GETFL);

	/* Ours alone, unlike stdin and stdout, whose flags the shell shares with us. */
	if (flags >= 0)
		(void)fcntl(master, F_SETFL, flags | O_NONBLOCK);
	r->master = master;
	r->stdin_done = !copy_stdin;
	return r;
}

void
tty_relay_free(struct tty_relay *r)
{
	if (r == NULL)
		return;
	closep(&r->master);
	free(r);
}

/*
 * stdin and stdout stay blocking (making them non-blocking would change the
 * open file description our shell shares). So each is read or written only
 * after poll() said so, once, and stdout with at most PIPE_BUF bytes, which a
 * pipe that polls writable takes without blocking.
 */
void
tty_relay_poll(const struct tty_relay *r, struct pollfd *p)
{
	bool want_stdin = !r->stdin_done && r->in.len == 0 && !r->master_done;
	bool want_master_in = !r->master_done && r->out.len < sizeof(r->out.data);
	bool want_master_out = !r->master_done && r->in.len > 0;

	p[0] = (struct pollfd){ want_stdin ? STDIN_FILENO : -1, POLLIN, 0 };
	p[1] = (struct pollfd){
		want_master_in || want_master_out ? r->master : -1,
		(short)((want_master_in ? POLLIN : 0) | (want_master_out ? POLLOUT : 0)), 0
	};
	p[2] = (struct pollfd){ r->out.len > 0 ? STDOUT_FILENO : -1, POLLOUT, 0 };
}

static bool
transient(int e)
{
	return e == EINTR || e == EAGAIN || e == EWOULDBLOCK;
}

static void
read_stdin(struct tty_relay *r)
{
	ssize_t n = read(STDIN_FILENO, r->in.data, sizeof(r->in.data));

	if (n > 0) {
		r->in.off = 0;
		r->in.len = (size_t)n;
	} else if (n == 0 || !transient(errno)) {
		/*
		 * EOF or a hung-up terminal: stop reading, but keep the master open
		 * (closing it would hang up the process's terminal). No EOF key is
		 * typed either: a program that switches the terminal out of
		 * canonical mode would read it as a NUL byte.
		 */
		r->stdin_done = true;
	}
}

static void
write_master(struct tty_relay *r)
{
	ssize_t n = write(r->master, r->in.data + r->in.off, r->in.len);

	if (n >= 0) {
		r->in.off += (size_t)n;
		r->in.len -= (size_t)n;
	} else if (!transient(errno)) {
		/* The container's side is gone: its input with it. */
		r->in.len = 0;
		r->stdin_done = true;
	}
}

/* Returns true if bytes came. */
static bool
read_master(struct tty_relay *r)
{
	struct tty_buf *b = &r->out;

	if (b->off > 0) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	ssize_t n = read(r->master, b->data + b->len, sizeof(b->data) - b->len);
	if (n > 0) {
		if (!r->stdout_broken)
			b->len += (size_t)n;
		return true;
	}
	/* EIO is how a master reports that no process holds the slave any more. */
	if (n == 0 || !transient(errno))
		r->master_done = true;
	return false;
}

static void
write_stdout(struct tty_relay *r)
{
	size_t len = r->out.len < PIPE_BUF ? r->out.len : PIPE_BUF;
	ssize_t n = write(STDOUT_FILENO, r->out.data + r->out.off, len);

	if (n >= 0) {
		r->out.off += (size_t)n;
		r->out.len -= (size_t)n;
	} else if (!transient(errno)) {
		/* Keep reading the master so the container never blocks on a full terminal. */
		r->stdout_broken = true;
		r->out.len = 0;
	}
	if (r->out.len == 0)
		r->out.off = 0;
}

bool
tty_relay_handle(struct tty_relay *r, const struct pollfd *p)
{
	bool got = false;

	if (p[0].fd >= 0 && p[0].revents != 0)
		read_stdin(r);
	if (p[1].fd >= 0 && (p[1].revents & POLLOUT) && r->in.len > 0)
		write_master(r);
	/* POLLHUP: nobody holds the slave any more, so nobody will read that input. */
	if (p[1].fd >= 0 && (p[1].revents & (POLLHUP | POLLERR)))
		r->in.len = 0;
	if (p[1].fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
	    r->out.len < sizeof(r->out.data))
		got = read_master(r);
	if (p[2].fd >= 0 && p[2].revents != 0)
		write_stdout(r);
	return got;
}

void
tty_relay_resize(const struct tty_relay *r)
{
	struct winsize ws;

	/* On the master: the kernel applies it to the slave and signals its foreground job. */
	if (r->master >= 0 && tty_local_size(&ws))
		(void)ioctl(r->master, TIOCSWINSZ, &ws);
}

void
tty_relay_stop_input(struct tty_relay *r)
{
	r->stdin_done = true;
}

bool
tty_relay_done(const struct tty_relay *r)
{
	return r->master_done && r->out.len == 0;
}

void
tty_relay_flush(struct tty_relay *r)
{
	if (r->out.len > 0 && !r->stdout_broken)
		(void)write_all(STDOUT_FILENO, r->out.data + r->out.off, r->out.len);
	r->out.off = r->out.len = 0;
}

void
tty_relay_send_cc(const struct tty_relay *r, int index)
{
	struct termios t;

	/* tcgetattr on a master reads the slave's settings: the container's own keys. */
	if (r->master < 0 || tcgetattr(r->master, &t) < 0 || t.c_cc[index] == _POSIX_VDISABLE)
		return;
	(void)!write(r->master, &t.c_cc[index], 1);
}

void
tty_relay_hangup(struct tty_relay *r)
{
	close_fd(&r->master);
	r->master_done = true;
	r->stdin_done = true;
	r->in.len = 0;
}
