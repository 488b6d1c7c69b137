/* SPDX-License-Identifier: MIT */
/*
 * The client's end of a container's terminal (run -t, exec -t).
 *
 * ctrd allocates the pseudo-terminal inside the container and hands us its
 * master; from then on the client owns it: it sets the window size and
 * copies bytes between the master and our own stdin and stdout (the relay).
 * While stdin is copied from a terminal, that terminal is in raw mode, so
 * every key (Ctrl-C too) reaches the container's line discipline instead of
 * ours. tty_restore() undoes raw mode; it runs at exit as well, and the
 * callers run it before they print anything or return.
 */
#ifndef CTRCTL_TTY_H
#define CTRCTL_TTY_H

#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/ioctl.h>

/* Our window size, from stdin or else stdout; false if neither is a terminal with a size. */
bool tty_local_size(struct winsize *ws);
/* The window size as the "tty_size" param of run and exec; NULL when there is none. */
json_t *tty_size_param(void);

/* Puts stdin in raw mode if it is a terminal (else does nothing); -1 with errno on failure. */
int tty_raw(void);
/* Undoes tty_raw(), if it did anything. Safe to call again; also runs at exit. */
void tty_restore(void);

/* Copies master -> stdout, and stdin -> master if asked to. */
struct tty_relay;

/* pollfd slots the relay uses; unused ones have fd -1, which poll() skips. */
#define TTY_RELAY_NPOLL 3

/* Takes ownership of master (made non-blocking). */
struct tty_relay *tty_relay_new(int master, bool copy_stdin);
/* Closes the master. */
void tty_relay_free(struct tty_relay *r);
/* Fills p[0..TTY_RELAY_NPOLL) with what the relay waits for. */
void tty_relay_poll(const struct tty_relay *r, struct pollfd *p);
/* Acts on p's revents: returns true if the container wrote something. */
bool tty_relay_handle(struct tty_relay *r, const struct pollfd *p);
/* Gives the container's terminal our window size (on SIGWINCH). */
void tty_relay_resize(const struct tty_relay *r);
/* Stops reading stdin; what was read is still delivered. */
void tty_relay_stop_input(struct tty_relay *r);
/* True when the container's side is closed and all its output has been written. */
bool tty_relay_done(const struct tty_relay *r);
/* Writes out the container's output still buffered, blocking; errors are ignored. */
void tty_relay_flush(struct tty_relay *r);
/* Types the container terminal's special character c_cc[index] (VINTR, VQUIT) into it. */
void tty_relay_send_cc(const struct tty_relay *r, int index);
/* Closes the master: the kernel hangs up the container's terminal (SIGHUP to its session). */
void tty_relay_hangup(struct tty_relay *r);

#endif
