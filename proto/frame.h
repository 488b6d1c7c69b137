/* SPDX-License-Identifier: MIT */
/*
 * Newline-delimited framing over a SOCK_STREAM Unix socket, with file
 * descriptors carried by SCM_RIGHTS.
 *
 * A message is the bytes up to (not including) a '\n', at most FRAME_MAX
 * bytes. A writer sends a message that carries fds in a sendmsg() of its
 * own, whole. The kernel may glue earlier fd-less bytes in front of it into
 * one read, but always ends that read with the fd-carrying send: so the fds
 * belong to the last message that starts in the read that delivered them,
 * and the reader gives them to it.
 */
#ifndef CTR_FRAME_H
#define CTR_FRAME_H

#include "error.h"

#define FRAME_MAX     (1024 * 1024) /* bytes in one message, without the '\n' */
#define FRAME_MAX_FDS 8		    /* fds one message may carry */

/* One complete message; the caller owns fds and closes what it does not keep. */
struct frame_msg {
	const char *data; /* not NUL-terminated; valid until the next frame_* call */
	size_t len;
	int fds[FRAME_MAX_FDS];
	size_t nfds;
};

struct frame_reader;

struct frame_reader *frame_reader_new(size_t max);
/* Frees the buffer and closes every fd no message has claimed. */
void frame_reader_free(struct frame_reader *r);

/*
 * One recvmsg() on sock (which may be non-blocking). Returns the number of
 * bytes read, 0 at end of stream, -1 with errno for a failed recvmsg (EAGAIN
 * included), or -2 with err set when the peer broke the rules (truncated or
 * unexpected control data, too many fds).
 */
ssize_t frame_read(struct frame_reader *r, int sock, struct ctr_error *err);

/*
 * Takes the next complete message out of the buffer: returns 1 and fills msg,
 * 0 when no complete message is buffered, -1 with err (CTR_E_LIMIT) when the
 * message being received is already longer than the limit. After -1 the
 * stream cannot be resynchronised: close it.
 */
int frame_next(struct frame_reader *r, struct frame_msg *msg, struct ctr_error *err);

/* Bytes received but not yet returned as messages. */
size_t frame_reader_pending(const struct frame_reader *r);

/* Closes the fds of msg that are still >= 0. */
void frame_msg_close_fds(struct frame_msg *msg);

/* An output queue for a non-blocking socket. */
struct frame_writer;

struct frame_writer *frame_writer_new(void);
/* Frees queued messages and closes their fds. */
void frame_writer_free(struct frame_writer *w);
/*
 * Queues len bytes (a '\n' is appended) with nfds fds, which the writer now
 * owns and closes after sending.
 */
void frame_writer_queue(struct frame_writer *w, const char *data, size_t len, const int *fds,
			size_t nfds);
/*
 * The same without a copy: takes data, a malloc'd buffer of at least len + 1
 * bytes (the NUL of a string is room for the '\n'), and frees it once sent.
 */
void frame_writer_queue_take(struct frame_writer *w, char *data, size_t len, const int *fds,
			     size_t nfds);
/* Sends what it can: 1 when the queue is empty, 0 when the socket is full, -1 with errno. */
int frame_writer_flush(struct frame_writer *w, int sock);
size_t frame_writer_pending(const struct frame_writer *w);

/*
 * Blocking send of one message (a '\n' is appended) and its fds, which stay
 * the caller's. For clients; returns -1 with errno.
 */
int frame_send(int sock, const char *data, size_t len, const int *fds, size_t nfds);

#endif
