/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "frame.h"

#define READ_CHUNK	(64 * 1024)
/* A reader never holds more unclaimed fds than two full messages' worth. */
#define MAX_PENDING_FDS (2 * FRAME_MAX_FDS)
#define MAX_IOV		64

struct fd_batch {
	uint64_t off; /* stream offset of the first byte that came with the fds */
	size_t n;
	int fds[FRAME_MAX_FDS];
};

struct frame_reader {
	char *buf;
	size_t start;	/* first unconsumed byte */
	size_t scanned; /* no '\n' in buf[start, scanned) */
	size_t end;	/* one past the last received byte */
	size_t cap;
	uint64_t base; /* stream offset of buf[0] */
	size_t max;
	struct fd_batch batches[MAX_PENDING_FDS];
	size_t nbatches;
	size_t nfds;
};

struct frame_reader *
frame_reader_new(size_t max)
{
	struct frame_reader *r = xcalloc(1, sizeof(*r));
	r->max = max;
	return r;
}

static void
close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

void
frame_reader_free(struct frame_reader *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nbatches; i++)
		close_fds(r->batches[i].fds, r->batches[i].n);
	free(r->buf);
	free(r);
}

size_t
frame_reader_pending(const struct frame_reader *r)
{
	return r->end - r->start;
}

void
frame_msg_close_fds(struct frame_msg *msg)
{
	close_fds(msg->fds, msg->nfds);
	msg->nfds = 0;
}

/* Makes room for READ_CHUNK more bytes, moving unconsumed data to the front first. */
static int
reader_reserve(struct frame_reader *r, struct ctr_error *err)
{
	if (r->start > 0 && (r->start == r->end || r->cap - r->end < READ_CHUNK)) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->base += r->start;
		r->scanned -= r->start;
		r->end -= r->start;
		r->start = 0;
	}
	/* An idle connection that once sent a big message should not keep its buffer. */
	if (r->end == 0 && r->cap > 4 * READ_CHUNK) {
		free(r->buf);
		r->buf = NULL;
		r->cap = 0;
	}
	if (r->cap - r->end >= READ_CHUNK)
		return 0;
	if (r->end > r->max + 1)
		return ctr_error_set(err, CTR_E_LIMIT, 0, "message longer than %zu bytes", r->max);
	size_t cap = r->cap ? r->cap : READ_CHUNK;
	while (cap - r->end < READ_CHUNK)
		cap *= 2;
	r->buf = xrealloc(r->buf, cap);
	r->cap = cap;
	return 0;
}

/* Takes the fds out of the control messages; -1 (fds closed) if anything is off. */
static int
reader_take_fds(struct frame_reader *r, struct msghdr *mh, uint64_t off, struct ctr_error *err)
{
	struct fd_batch batch = { .off = off };
	bool bad = false;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			bad = true;
			continue;
		}
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *fds = (int *)CMSG_DATA(c);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, fds + i, sizeof(fd));
			if (batch.n < FRAME_MAX_FDS)
				batch.fds[batch.n++] = fd;
			else {
				close(fd);
				bad = true;
			}
		}
	}
	if (bad || (mh->msg_flags & MSG_CTRUNC)) {
		close_fds(batch.fds, batch.n);
		return ctr_error_set(err, CTR_E_LIMIT, 0,
				     "bad control data: at most %d file descriptors per message",
				     FRAME_MAX_FDS);
	}
	if (batch.n == 0)
		return 0;
	if (r->nfds + batch.n > MAX_PENDING_FDS || r->nbatches == ARRAY_SIZE(r->batches)) {
		close_fds(batch.fds, batch.n);
		return ctr_error_set(err, CTR_E_LIMIT, 0, "too many file descriptors in flight");
	}
	r->batches[r->nbatches++] = batch;
	r->nfds += batch.n;
	return 0;
}

ssize_t
frame_read(struct frame_reader *r, int sock, struct ctr_error *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FRAME_MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (reader_reserve(r, err) < 0)
		return -2;
	iov.iov_base = r->buf + r->end;
	iov.iov_len = r->cap - r->end;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof(control.buf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	/*
	 * The kernel may glue fd-less data in front of an skb that carries fds
	 * into one read, but always ends the read with that skb: the fds came
	 * with the last message that starts in this read.
	 */
	uint64_t off = r->base + r->end;
	const char *nl = n > 1 ? memrchr(r->buf + r->end, '\n', (size_t)n - 1) : NULL;
	if (nl != NULL)
		off = r->base + (uint64_t)(nl + 1 - r->buf);
	if (reader_take_fds(r, &mh, off, err) < 0)
		return -2;
	r->end += (size_t)n;
	return n;
}

int
frame_next(struct frame_reader *r, struct frame_msg *msg, struct ctr_error *err)
{
	char *nl = r->end > r->scanned ? memchr(r->buf + r->scanned, '\n', r->end - r->scanned)
				       : NULL;

	if (nl == NULL) {
		r->scanned = r->end;
		if (r->end - r->start > r->max)
			return ctr_error_set(err, CTR_E_LIMIT, 0, "message longer than %zu bytes",
					     r->max);
		return 0;
	}
	size_t stop = (size_t)(nl - r->buf);
	uint64_t first = r->base + r->start, last = r->base + stop;

	msg->data = r->buf + r->start;
	msg->len = stop - r->start;
	msg->nfds = 0;
	if (msg->len > r->max)
		return ctr_error_set(err, CTR_E_LIMIT, 0, "message longer than %zu bytes", r->max);

	/* Give the message the fds that arrived with its bytes; keep later ones. */
	size_t kept = 0;
	for (size_t i = 0; i < r->nbatches; i++) {
		struct fd_batch *b = &r->batches[i];
		if (b->off > last) {
			r->batches[kept++] = *b;
			continue;
		}
		for (size_t j = 0; j < b->n; j++) {
			if (b->off >= first && msg->nfds < FRAME_MAX_FDS)
				msg->fds[msg->nfds++] = b->fds[j];
			else
				close(b->fds[j]);
		}
		r->nfds -= b->n;
	}
	r->nbatches = kept;
	r->start = r->scanned = stop + 1;
	return 1;
}

struct out_msg {
	struct out_msg *next;
	char *data;
	size_t len;
	size_t off; /* bytes already sent */
	int fds[FRAME_MAX_FDS];
	size_t nfds;
};

struct frame_writer {
	struct out_msg *head;
	struct out_msg **tail;
	size_t pending;
};

struct frame_writer *
frame_writer_new(void)
{
	struct frame_writer *w = xcalloc(1, sizeof(*w));
	w->tail = &w->head;
	return w;
}

static void
out_msg_free(struct out_msg *m)
{
	close_fds(m->fds, m->nfds);
	free(m->data);
	free(m);
}

void
frame_writer_free(struct frame_writer *w)
{
	if (w == NULL)
		return;
	while (w->head != NULL) {
		struct out_msg *m = w->head;
		w->head = m->next;
		out_msg_free(m);
	}
	free(w);
}

void
frame_writer_queue_take(struct frame_writer *w, char *data, size_t len, const int *fds, size_t nfds)
{
	struct out_msg *m = xcalloc(1, sizeof(*m));

	/* The byte after the message (a string's NUL) becomes its newline: no copy. */
	m->data = data;
	m->data[len] = '\n';
	m->len = len + 1;
	for (size_t i = 0; i < nfds; i++) {
		if (i < FRAME_MAX_FDS)
			m->fds[m->nfds++] = fds[i];
		else if (fds[i] >= 0)
			close(fds[i]);
	}
	*w->tail = m;
	w->tail = &m->next;
	w->pending += m->len;
}

void
frame_writer_queue(struct frame_writer *w, const char *data, size_t len, const int *fds,
		   size_t nfds)
{
	char *copy = xmalloc(len + 1);

	memcpy(copy, data, len);
	frame_writer_queue_take(w, copy, len, fds, nfds);
}

size_t
frame_writer_pending(const struct frame_writer *w)
{
	return w->pending;
}

/* Attaches fds to mh as one SCM_RIGHTS control message. */
static void
msghdr_set_fds(struct msghdr *mh, void *control, size_t size, const int *fds, size_t nfds)
{
	if (nfds == 0)
		return;
	mh->msg_control = control;
	mh->msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	memset(control, 0, size);
	struct cmsghdr *c = CMSG_FIRSTHDR(mh);
	if (c == NULL)
		return;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
}

int
frame_writer_flush(struct frame_writer *w, int sock)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FRAME_MAX_FDS)];
		struct cmsghdr align;
	} control;

	while (w->head != NULL) {
		struct iovec iov[MAX_IOV];
		struct msghdr mh = { .msg_iov = iov };
		struct out_msg *m = w->head;

		/*
		 * Gather messages into one sendmsg(), but stop before one that carries
		 * fds: they must travel with that message's first byte.
		 */
		if (m->off == 0)
			msghdr_set_fds(&mh, control.buf, sizeof(control.buf), m->fds, m->nfds);
		for (; m != NULL && mh.msg_iovlen < MAX_IOV; m = m->next) {
			if (mh.msg_iovlen > 0 && (m->nfds > 0 || mh.msg_control != NULL))
				break;
			iov[mh.msg_iovlen].iov_base = m->data + m->off;
			iov[mh.msg_iovlen].iov_len = m->len - m->off;
			mh.msg_iovlen++;
		}
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		w->pending -= (size_t)n;
		/* Sent fds are the kernel's now; ours are copies to close. */
		if (n > 0 && mh.msg_control != NULL) {
			close_fds(w->head->fds, w->head->nfds);
			w->head->nfds = 0;
		}
		size_t left = (size_t)n;
		while (w->head != NULL && left >= w->head->len - w->head->off) {
			left -= w->head->len - w->head->off;
			m = w->head;
			w->head = m->next;
			out_msg_free(m);
		}
		if (w->head == NULL)
			w->tail = &w->head;
		else
			w->head->off += left;
	}
	return 1;
}

int
frame_send(int sock, const char *data, size_t len, const int *fds, size_t nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FRAME_MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov[2] = {
		{ .iov_base = (void *)data, .iov_len = len },
		{ .iov_base = (void *)"\n", .iov_len = 1 },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (nfds > FRAME_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	msghdr_set_fds(&mh, control.buf, sizeof(control.buf), fds, nfds);
	while (mh.msg_iovlen > 0) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		size_t left = (size_t)n;
		while (mh.msg_iovlen > 0 && left >= mh.msg_iov[0].iov_len) {
			left -= mh.msg_iov[0].iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen > 0) {
			mh.msg_iov[0].iov_base = (char *)mh.msg_iov[0].iov_base + left;
			mh.msg_iov[0].iov_len -= left;
		}
	}
	return 0;
}
