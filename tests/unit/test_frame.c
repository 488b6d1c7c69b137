/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for proto/frame.h: newline framing over a SOCK_STREAM Unix
 * socketpair, with file descriptors passed as SCM_RIGHTS.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "frame.h"

#define SMALL_MAX 8

/* ------------------------------------------------------------------ helpers */

static void
make_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void
close_pair(int sv[2])
{
	close_fd(&sv[0]);
	close_fd(&sv[1]);
}

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* Open file descriptors of this process. */
static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static bool
fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

/* A memfd whose content names it, so two of them are told apart. */
static int
make_file(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, name, strlen(name)), 0);
	return fd;
}

static void
assert_same_file(int a, int b)
{
	struct stat sa, sb;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	assert_int_equal(sa.st_dev, sb.st_dev);
	assert_int_equal(sa.st_ino, sb.st_ino);
}

static void
assert_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	assert_true(fl >= 0);
	assert_true(fl & FD_CLOEXEC);
}

static void
assert_msg(const struct frame_msg *msg, const char *want, size_t nfds)
{
	assert_int_equal(msg->len, strlen(want));
	assert_memory_equal(msg->data, want, msg->len);
	assert_int_equal(msg->nfds, nfds);
}

/* Reads one batch from sock, which must have data waiting. */
static ssize_t
read_some(struct frame_reader *r, int sock)
{
	struct ctr_error err = CTR_ERROR_INIT;
	ssize_t n = frame_read(r, sock, &err);

	if (n < 0)
		fail_msg("frame_read: %zd (%s)", n, err.msg ? err.msg : strerror(errno));
	ctr_error_clear(&err);
	return n;
}

/* Reads until the non-blocking sock has nothing more. */
static void
read_all(struct frame_reader *r, int sock)
{
	for (;;) {
		struct ctr_error err = CTR_ERROR_INIT;
		ssize_t n = frame_read(r, sock, &err);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0)
			fail_msg("frame_read: %zd (%s)", n, err.msg ? err.msg : strerror(errno));
	}
}

static int
next(struct frame_reader *r, struct frame_msg *msg)
{
	struct ctr_error err = CTR_ERROR_INIT;
	int rc = frame_next(r, msg, &err);

	if (rc < 0)
		fail_msg("frame_next: %s", err.msg);
	return rc;
}

/*
 * Writes buf to the non-blocking wfd while reading the non-blocking rfd
 * into r, so a message larger than the socket buffer gets through. With
 * call_next, frame_next runs after every read and its first non-zero result
 * is returned (msg and err filled); otherwise, and when everything was read
 * without a message, 0. frame_read failures return -2.
 */
static int
pump(int wfd, int rfd, struct frame_reader *r, const char *buf, size_t len, bool call_next,
     struct frame_msg *msg, struct ctr_error *err)
{
	size_t off = 0;

	for (;;) {
		if (off < len) {
			ssize_t n = write(wfd, buf + off, len - off);
			if (n < 0)
				assert_int_equal(errno, EAGAIN);
			else
				off += (size_t)n;
		}
		ssize_t got = frame_read(r, rfd, err);
		if (got == -1 && errno == EAGAIN) {
			if (off == len)
				return 0;
			continue;
		}
		if (got < 0)
			return -2;
		assert_true(got > 0);
		if (call_next) {
			int rc = frame_next(r, msg, err);
			if (rc != 0)
				return rc;
		}
	}
}

/*
 * What a test received, recorded so that it can free and close everything
 * before asserting: a failing assertion then leaks nothing (valgrind).
 */
struct got_msg {
	char data[64]; /* the first bytes, NUL-terminated */
	size_t len;
	size_t nfds;
	ino_t ino[FRAME_MAX_FDS]; /* of each fd received */
	bool cloexec;		  /* all of them close-on-exec */
};

static ino_t
fd_ino(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/*
 * Takes every complete message out of r into got (at most max), closing
 * their fds; returns how many, or -1 if frame_next failed.
 */
static int
drain(struct frame_reader *r, struct got_msg *got, size_t max)
{
	struct ctr_error err = CTR_ERROR_INIT;
	struct frame_msg msg;
	size_t n = 0;
	int rc;

	while (n < max && (rc = frame_next(r, &msg, &err)) == 1) {
		struct got_msg *g = &got[n++];
		memset(g, 0, sizeof(*g));
		g->len = msg.len;
		memcpy(g->data, msg.data,
		       msg.len < sizeof(g->data) ? msg.len : sizeof(g->data) - 1);
		g->nfds = msg.nfds;
		g->cloexec = true;
		for (size_t i = 0; i < msg.nfds; i++) {
			g->ino[i] = fd_ino(msg.fds[i]);
			g->cloexec = g->cloexec && (fcntl(msg.fds[i], F_GETFD) & FD_CLOEXEC);
		}
		frame_msg_close_fds(&msg);
	}
	ctr_error_clear(&err);
	return rc < 0 ? -1 : (int)n;
}

static void
assert_got(const struct got_msg *g, const char *data, size_t nfds)
{
	assert_string_equal(g->data, data);
	assert_int_equal(g->len, strlen(data));
	assert_int_equal(g->nfds, nfds);
}

/* ------------------------------------------------------------ plain messages */

static void
test_one_message(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct frame_msg msg;
	int sv[2];

	make_pair(sv);
	assert_int_equal(frame_send(sv[0], "hello", 5, NULL, 0), 0);
	assert_int_equal(read_some(r, sv[1]), 6);
	assert_int_equal(frame_reader_pending(r), 6);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "hello", 0);
	assert_int_equal(frame_reader_pending(r), 0);
	assert_int_equal(next(r, &msg), 0);
	frame_reader_free(r);
	close_pair(sv);
}

static void
test_several_messages_one_write(void **state)
{
	static const char data[] = "a\nbb\n{\"x\":1}\nccc\n";
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct frame_msg msg;
	int sv[2];

	make_pair(sv);
	assert_int_equal(write_all(sv[0], data, sizeof(data) - 1), 0);
	assert_int_equal(read_some(r, sv[1]), sizeof(data) - 1);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "a", 0);
	assert_int_equal(frame_reader_pending(r), sizeof(data) - 1 - 2);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "bb", 0);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "{\"x\":1}", 0);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "ccc", 0);
	assert_int_equal(next(r, &msg), 0);
	assert_int_equal(frame_reader_pending(r), 0);
	frame_reader_free(r);
	close_pair(sv);
}

static void
test_message_byte_by_byte(void **state)
{
	static const char data[] = "split over many writes\nand a second one\n";
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct frame_msg msg;
	int sv[2], got = 0;

	make_pair(sv);
	for (size_t i = 0; i < sizeof(data) - 1; i++) {
		assert_int_equal(write(sv[0], data + i, 1), 1);
		assert_int_equal(read_some(r, sv[1]), 1);
		int rc = next(r, &msg);
		if (data[i] != '\n') {
			assert_int_equal(rc, 0);
			continue;
		}
		assert_int_equal(rc, 1);
		assert_msg(&msg, got == 0 ? "split over many writes" : "and a second one", 0);
		got++;
		assert_int_equal(frame_reader_pending(r), 0);
	}
	assert_int_equal(got, 2);
	frame_reader_free(r);
	close_pair(sv);
}

static void
test_message_split_then_pipelined(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct frame_msg msg;
	int sv[2];

	make_pair(sv);
	assert_int_equal(write_all(sv[0], "fir", 3), 0);
	read_some(r, sv[1]);
	assert_int_equal(next(r, &msg), 0);
	assert_int_equal(frame_reader_pending(r), 3);
	assert_int_equal(write_all(sv[0], "st\nsecond\nthi", 13), 0);
	read_some(r, sv[1]);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "first", 0);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "second", 0);
	assert_int_equal(next(r, &msg), 0);
	assert_int_equal(frame_reader_pending(r), 3);
	assert_int_equal(write_all(sv[0], "rd\n", 3), 0);
	read_some(r, sv[1]);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "third", 0);
	frame_reader_free(r);
	close_pair(sv);
}

static void
test_empty_lines(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct frame_msg msg;
	int sv[2];

	make_pair(sv);
	assert_int_equal(frame_send(sv[0], "", 0, NULL, 0), 0);
	assert_int_equal(read_some(r, sv[1]), 1);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "", 0);
	assert_int_equal(write_all(sv[0], "\n\nx\n", 4), 0);
	read_some(r, sv[1]);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "", 0);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "", 0);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "x", 0);
	assert_int_equal(next(r, &msg), 0);
	frame_reader_free(r);
	close_pair(sv);
}

static void
test_eof(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct ctr_error err = CTR_ERROR_INIT;
	struct frame_msg msg;
	int sv[2];

	make_pair(sv);
	assert_int_equal(write_all(sv[0], "done\npartial", 12), 0);
	close_fd(&sv[0]);
	assert_int_equal(read_some(r, sv[1]), 12);
	assert_int_equal(frame_read(r, sv[1], &err), 0);
	assert_int_equal(frame_read(r, sv[1], &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "done", 0);
	/* The unterminated rest is never a message. */
	assert_int_equal(next(r, &msg), 0);
	assert_int_equal(frame_reader_pending(r), 7);
	frame_reader_free(r);
	close_pair(sv);
}

static void
test_read_eagain(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct ctr_error err = CTR_ERROR_INIT;
	struct frame_msg msg;
	int sv[2];

	make_pair(sv);
	set_nonblock(sv[1]);
	assert_int_equal(frame_reader_pending(r), 0);
	errno = 0;
	assert_int_equal(frame_read(r, sv[1], &err), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(err.code, 0);
	assert_int_equal(next(r, &msg), 0);
	frame_reader_free(r);
	close_pair(sv);

	/* A closed socket is an error too. */
	r = frame_reader_new(FRAME_MAX);
	assert_int_equal(frame_read(r, sv[1], &err), -1);
	assert_int_equal(errno, EBADF);
	frame_reader_free(r);
}

/* frame_next on a reader that has not read yet (rpc_recv does this first). */
static int
next_on_fresh_reader(void)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct ctr_error err = CTR_ERROR_INIT;
	struct frame_msg msg;
	int rc = frame_next(r, &msg, &err);
	size_t pending = frame_reader_pending(r);

	frame_reader_free(r);
	ctr_error_clear(&err);
	return rc == 0 && pending == 0 ? 0 : 1;
}

/*
 * "0 when no complete message is buffered" must hold before the first
 * frame_read too. A fresh reader has buf == NULL and frame_next passes it
 * to memchr(), which UBSan (--enable-asan) aborts on; run it in a child so
 * that abort fails this test only.
 */
static void
test_next_on_fresh_reader(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(next_on_fresh_reader());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* -------------------------------------------------------------------- limits */

static void
test_small_max(void **state)
{
	struct ctr_error err = CTR_ERROR_INIT;
	struct frame_reader *r;
	struct frame_msg msg;
	int sv[2];

	/* Exactly max bytes: a message, with or without messages around it. */
	make_pair(sv);
	r = frame_reader_new(SMALL_MAX);
	assert_int_equal(write_all(sv[0], "12345678\nab\n12345678\n", 21), 0);
	read_some(r, sv[1]);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "12345678", 0);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "ab", 0);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "12345678", 0);
	/* max bytes without their newline yet: still waiting. */
	assert_int_equal(write_all(sv[0], "abcdefgh", 8), 0);
	read_some(r, sv[1]);
	assert_int_equal(next(r, &msg), 0);
	assert_int_equal(write_all(sv[0], "\n", 1), 0);
	read_some(r, sv[1]);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "abcdefgh", 0);
	frame_reader_free(r);
	close_pair(sv);

	/* max + 1 with the newline already there. */
	make_pair(sv);
	r = frame_reader_new(SMALL_MAX);
	assert_int_equal(write_all(sv[0], "123456789\nok\n", 13), 0);
	read_some(r, sv[1]);
	assert_int_equal(frame_next(r, &msg, &err), -1);
	assert_int_equal(err.code, CTR_E_LIMIT);
	assert_non_null(strstr(err.msg, "8 bytes"));
	ctr_error_clear(&err);
	frame_reader_free(r);
	close_pair(sv);

	/* max + 1 before the newline arrives. */
	make_pair(sv);
	r = frame_reader_new(SMALL_MAX);
	assert_int_equal(write_all(sv[0], "123456789", 9), 0);
	read_some(r, sv[1]);
	assert_int_equal(frame_next(r, &msg, &err), -1);
	assert_int_equal(err.code, CTR_E_LIMIT);
	ctr_error_clear(&err);
	frame_reader_free(r);
	close_pair(sv);

	/* The limit counts from the start of the message, not of the buffer. */
	make_pair(sv);
	r = frame_reader_new(SMALL_MAX);
	assert_int_equal(write_all(sv[0], "abcdef\n123456789", 16), 0);
	read_some(r, sv[1]);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "abcdef", 0);
	assert_int_equal(frame_next(r, &msg, &err), -1);
	assert_int_equal(err.code, CTR_E_LIMIT);
	ctr_error_clear(&err);
	frame_reader_free(r);
	close_pair(sv);

	/* Byte by byte up to the limit: 0 for max bytes, -1 at max + 1. */
	make_pair(sv);
	r = frame_reader_new(SMALL_MAX);
	for (int i = 0; i < SMALL_MAX; i++) {
		assert_int_equal(write(sv[0], "z", 1), 1);
		read_some(r, sv[1]);
		assert_int_equal(next(r, &msg), 0);
	}
	assert_int_equal(write(sv[0], "z", 1), 1);
	read_some(r, sv[1]);
	assert_int_equal(frame_next(r, &msg, &err), -1);
	assert_int_equal(err.code, CTR_E_LIMIT);
	ctr_error_clear(&err);
	frame_reader_free(r);
	close_pair(sv);
}

/* len bytes of letters, then a '\n' (at buf[len]) that callers may send or not. */
static char *
make_payload(size_t len)
{
	char *buf = xmalloc(len + 1);

	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + i % 26);
	buf[len] = '\n';
	return buf;
}

static void
test_frame_max_exactly(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct ctr_error err = CTR_ERROR_INIT;
	char *payload = make_payload(FRAME_MAX);
	struct frame_msg msg;
	int sv[2];

	make_pair(sv);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
	/* All FRAME_MAX bytes, not the newline: no message, no error. */
	assert_int_equal(pump(sv[0], sv[1], r, payload, FRAME_MAX, true, &msg, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(frame_reader_pending(r), FRAME_MAX);
	/* The newline completes it. */
	assert_int_equal(pump(sv[0], sv[1], r, "\n", 1, true, &msg, &err), 1);
	assert_int_equal(msg.len, FRAME_MAX);
	assert_memory_equal(msg.data, payload, FRAME_MAX);
	assert_int_equal(msg.nfds, 0);
	assert_int_equal(frame_reader_pending(r), 0);

	/* In one go, followed by a small one: the stream goes on. */
	assert_int_equal(pump(sv[0], sv[1], r, payload, FRAME_MAX + 1, true, &msg, &err), 1);
	assert_int_equal(msg.len, FRAME_MAX);
	assert_memory_equal(msg.data, payload, FRAME_MAX);
	assert_int_equal(next(r, &msg), 0);
	assert_int_equal(frame_send(sv[0], "small", 5, NULL, 0), 0);
	read_all(r, sv[1]);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "small", 0);
	assert_int_equal(err.code, 0);

	free(payload);
	frame_reader_free(r);
	close_pair(sv);
}

static void
test_frame_max_plus_one_no_newline(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct ctr_error err = CTR_ERROR_INIT;
	char *payload = make_payload(FRAME_MAX + 1);
	struct frame_msg msg;
	int sv[2];

	make_pair(sv);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
	/* frame_next returned 0 after every read until one byte too many came. */
	assert_int_equal(pump(sv[0], sv[1], r, payload, FRAME_MAX + 1, true, &msg, &err), -1);
	assert_int_equal(err.code, CTR_E_LIMIT);
	assert_int_equal(frame_reader_pending(r), FRAME_MAX + 1);
	ctr_error_clear(&err);
	free(payload);
	frame_reader_free(r);
	close_pair(sv);
}

static void
test_frame_max_plus_one_with_newline(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct ctr_error err = CTR_ERROR_INIT;
	char *payload = make_payload(FRAME_MAX + 1);
	struct frame_msg msg;
	int sv[2];

	make_pair(sv);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
	/* Everything arrives first, newline included; then frame_next. */
	assert_int_equal(pump(sv[0], sv[1], r, payload, FRAME_MAX + 2, false, &msg, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(frame_reader_pending(r), FRAME_MAX + 2);
	assert_int_equal(frame_next(r, &msg, &err), -1);
	assert_int_equal(err.code, CTR_E_LIMIT);
	ctr_error_clear(&err);
	free(payload);
	frame_reader_free(r);
	close_pair(sv);
}

/* ---------------------------------------------------------------- fd passing */

static void
test_fds_passed(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct frame_msg msg;
	int sv[2], fds[3];

	make_pair(sv);
	fds[0] = make_file("zero");
	fds[1] = make_file("one");
	fds[2] = make_file("two");
	/* Without close-on-exec on the sender's side: the receiver sets it. */
	assert_int_equal(fcntl(fds[1], F_SETFD, 0), 0);

	assert_int_equal(frame_send(sv[0], "{\"with\":\"fds\"}", 14, fds, 3), 0);
	read_some(r, sv[1]);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "{\"with\":\"fds\"}", 3);
	for (int i = 0; i < 3; i++) {
		assert_true(msg.fds[i] >= 0);
		assert_int_not_equal(msg.fds[i], fds[0]);
		assert_int_not_equal(msg.fds[i], fds[1]);
		assert_int_not_equal(msg.fds[i], fds[2]);
		assert_same_file(msg.fds[i], fds[i]);
		assert_cloexec(msg.fds[i]);
	}
	/* The sender keeps its own. */
	for (int i = 0; i < 3; i++)
		assert_true(fd_is_open(fds[i]));

	frame_msg_close_fds(&msg);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	frame_reader_free(r);
	close_pair(sv);
}

static void
test_fds_attach_to_second_pipelined(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct got_msg got[4];
	int sv[2], fds[2], before, received, after, n;
	ino_t ino[2];

	make_pair(sv);
	set_nonblock(sv[1]);
	fds[0] = make_file("a");
	fds[1] = make_file("b");
	ino[0] = fd_ino(fds[0]);
	ino[1] = fd_ino(fds[1]);
	before = count_fds();

	/* All three are in the socket before the reader looks. */
	assert_int_equal(frame_send(sv[0], "first", 5, NULL, 0), 0);
	assert_int_equal(frame_send(sv[0], "second", 6, fds, 2), 0);
	assert_int_equal(frame_send(sv[0], "third", 5, NULL, 0), 0);
	read_all(r, sv[1]);
	received = count_fds();
	n = drain(r, got, ARRAY_SIZE(got));
	after = count_fds();
	frame_reader_free(r);
	close(fds[0]);
	close(fds[1]);
	close_pair(sv);

	assert_int_equal(received, before + 2);
	assert_int_equal(after, before);
	assert_int_equal(n, 3);
	assert_got(&got[0], "first", 0);
	assert_got(&got[1], "second", 2);
	assert_int_equal(got[1].ino[0], ino[0]);
	assert_int_equal(got[1].ino[1], ino[1]);
	assert_got(&got[2], "third", 0);
}

static void
test_fds_attach_to_first_not_second(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct got_msg got[8];
	int sv[2], a = make_file("a"), b = make_file("b"), n, m;
	ino_t ino_a = fd_ino(a), ino_b = fd_ino(b);

	make_pair(sv);
	set_nonblock(sv[1]);
	assert_int_equal(frame_send(sv[0], "one", 3, &a, 1), 0);
	assert_int_equal(frame_send(sv[0], "two", 3, NULL, 0), 0);
	assert_int_equal(frame_send(sv[0], "three", 5, &b, 1), 0);
	read_all(r, sv[1]);
	n = drain(r, got, 3);

	/* And again, reading before the next message is sent. */
	assert_int_equal(frame_send(sv[0], "four", 4, NULL, 0), 0);
	read_all(r, sv[1]);
	assert_int_equal(frame_send(sv[0], "five", 4, &a, 1), 0);
	read_all(r, sv[1]);
	m = drain(r, got + 3, 5);
	frame_reader_free(r);
	close(a);
	close(b);
	close_pair(sv);

	assert_int_equal(n, 3);
	assert_got(&got[0], "one", 1);
	assert_int_equal(got[0].ino[0], ino_a);
	assert_got(&got[1], "two", 0);
	assert_got(&got[2], "three", 1);
	assert_int_equal(got[2].ino[0], ino_b);
	assert_int_equal(m, 2);
	assert_got(&got[3], "four", 0);
	assert_got(&got[4], "five", 1);
	assert_int_equal(got[4].ino[0], ino_a);
}

/* Sends nfds copies of fd with data in one sendmsg, bypassing frame_send's check. */
static ssize_t
send_raw_fds(int sock, const char *data, int fd, size_t nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 32)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = strlen(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[32];

	assert_true(nfds <= 32);
	for (size_t i = 0; i < nfds; i++)
		fds[i] = fd;
	memset(&control, 0, sizeof(control));
	mh.msg_control = control.buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	return sendmsg(sock, &mh, MSG_NOSIGNAL);
}

static void
test_too_many_fds(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct ctr_error err = CTR_ERROR_INIT;
	int sv[2], fd = make_file("many"), before;

	make_pair(sv);
	/* frame_send refuses to send them. */
	int fds[FRAME_MAX_FDS + 1];
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		fds[i] = fd;
	errno = 0;
	assert_int_equal(frame_send(sv[0], "x", 1, fds, FRAME_MAX_FDS + 1), -1);
	assert_int_equal(errno, EINVAL);

	before = count_fds();
	assert_int_equal(send_raw_fds(sv[0], "too many\n", fd, FRAME_MAX_FDS + 1), 9);
	assert_int_equal(frame_read(r, sv[1], &err), -2);
	assert_int_equal(err.code, CTR_E_LIMIT);
	assert_int_equal(count_fds(), before);
	ctr_error_clear(&err);
	frame_reader_free(r);
	assert_int_equal(count_fds(), before);

	/* Far more than fit in the reader's control buffer. */
	r = frame_reader_new(FRAME_MAX);
	assert_int_equal(send_raw_fds(sv[0], "way too many\n", fd, 32), 13);
	assert_int_equal(frame_read(r, sv[1], &err), -2);
	assert_int_equal(err.code, CTR_E_LIMIT);
	assert_int_equal(count_fds(), before);
	ctr_error_clear(&err);
	frame_reader_free(r);

	/* Exactly FRAME_MAX_FDS is fine. */
	r = frame_reader_new(FRAME_MAX);
	struct frame_msg msg;
	assert_int_equal(send_raw_fds(sv[0], "eight\n", fd, FRAME_MAX_FDS), 6);
	read_some(r, sv[1]);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "eight", FRAME_MAX_FDS);
	for (size_t i = 0; i < msg.nfds; i++)
		assert_same_file(msg.fds[i], fd);
	assert_int_equal(count_fds(), before + FRAME_MAX_FDS);
	frame_msg_close_fds(&msg);
	assert_int_equal(count_fds(), before);
	frame_reader_free(r);

	close(fd);
	close_pair(sv);
}

static void
test_too_many_fds_in_flight(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct ctr_error err = CTR_ERROR_INIT;
	int sv[2], fd = make_file("flight"), before, reads = 0;
	ssize_t n;

	make_pair(sv);
	before = count_fds();
	/* Three messages of 8 fds, none of them taken out by frame_next. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(send_raw_fds(sv[0], "m\n", fd, FRAME_MAX_FDS), 2);
	/* Each batch of fds comes with its own read: two fit, the third does not. */
	while ((n = frame_read(r, sv[1], &err)) > 0)
		reads++;
	assert_int_equal(n, -2);
	assert_int_equal(err.code, CTR_E_LIMIT);
	assert_int_equal(reads, 2);
	ctr_error_clear(&err);
	/* The reader still holds what it accepted and frees it. */
	frame_reader_free(r);
	assert_int_equal(count_fds(), before);

	close(fd);
	close_pair(sv);
}

static void
test_unexpected_control_data(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct ctr_error err = CTR_ERROR_INIT;
	int sv[2], on = 1;

	make_pair(sv);
	/* SO_PASSCRED makes the kernel attach SCM_CREDENTIALS to every read. */
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
	assert_int_equal(frame_send(sv[0], "creds", 5, NULL, 0), 0);
	assert_int_equal(frame_read(r, sv[1], &err), -2);
	assert_int_equal(err.code, CTR_E_LIMIT);
	ctr_error_clear(&err);
	frame_reader_free(r);
	close_pair(sv);
}

static void
test_reader_free_closes_unclaimed_fds(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct frame_msg msg;
	int sv[2], a = make_file("a"), b = make_file("b"), before;

	make_pair(sv);
	set_nonblock(sv[1]);
	before = count_fds();

	/* A message's fds, never taken by frame_next. */
	assert_int_equal(frame_send(sv[0], "unclaimed", 9, &a, 1), 0);
	read_all(r, sv[1]);
	assert_int_equal(count_fds(), before + 1);
	frame_reader_free(r);
	assert_int_equal(count_fds(), before);

	/* The first message is taken; the second, still incomplete, holds its fds. */
	r = frame_reader_new(FRAME_MAX);
	assert_int_equal(frame_send(sv[0], "taken", 5, &b, 1), 0);
	assert_int_equal(send_raw_fds(sv[0], "no newline yet", a, 2), 14);
	read_all(r, sv[1]);
	assert_int_equal(count_fds(), before + 3);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "taken", 1);
	assert_same_file(msg.fds[0], b);
	frame_msg_close_fds(&msg);
	assert_int_equal(next(r, &msg), 0);
	assert_int_equal(count_fds(), before + 2);
	frame_reader_free(r);
	assert_int_equal(count_fds(), before);

	close(a);
	close(b);
	close_pair(sv);
}

/* A writer that splits one message over sendmsg calls: every fd goes to it. */
static void
test_fds_in_middle_of_message(void **state)
{
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct frame_msg msg;
	int sv[2], a = make_file("a"), before;

	make_pair(sv);
	set_nonblock(sv[1]);
	before = count_fds();
	assert_int_equal(write_all(sv[0], "begin-", 6), 0);
	assert_int_equal(send_raw_fds(sv[0], "middle-", a, 2), 7);
	assert_int_equal(frame_send(sv[0], "end", 3, NULL, 0), 0);
	read_all(r, sv[1]);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "begin-middle-end", 2);
	assert_same_file(msg.fds[0], a);
	assert_same_file(msg.fds[1], a);
	frame_msg_close_fds(&msg);
	assert_int_equal(count_fds(), before);
	frame_reader_free(r);
	close(a);
	close_pair(sv);
}

static void
test_msg_close_fds(void **state)
{
	struct frame_msg msg = { .data = "", .len = 0 };
	int p[2], before = count_fds();

	assert_int_equal(pipe(p), 0);
	msg.fds[0] = p[0];
	msg.fds[1] = -1; /* already taken by the caller */
	msg.fds[2] = p[1];
	msg.nfds = 3;
	frame_msg_close_fds(&msg);
	assert_int_equal(msg.nfds, 0);
	assert_false(fd_is_open(p[0]));
	assert_false(fd_is_open(p[1]));
	assert_int_equal(count_fds(), before);
	/* Nothing left to close the second time. */
	frame_msg_close_fds(&msg);
	assert_int_equal(msg.nfds, 0);
}

/* -------------------------------------------------------------------- writer */

static void
test_writer_flush(void **state)
{
	struct frame_writer *w = frame_writer_new();
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct frame_msg msg;
	int sv[2];

	make_pair(sv);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
	assert_int_equal(frame_writer_pending(w), 0);
	assert_int_equal(frame_writer_flush(w, sv[0]), 1);

	frame_writer_queue(w, "abc", 3, NULL, 0);
	assert_int_equal(frame_writer_pending(w), 4);
	frame_writer_queue(w, "de", 2, NULL, 0);
	assert_int_equal(frame_writer_pending(w), 7);
	frame_writer_queue(w, "", 0, NULL, 0);
	assert_int_equal(frame_writer_pending(w), 8);
	assert_int_equal(frame_writer_flush(w, sv[0]), 1);
	assert_int_equal(frame_writer_pending(w), 0);

	read_all(r, sv[1]);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "abc", 0);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "de", 0);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "", 0);
	assert_int_equal(next(r, &msg), 0);

	/* More messages than one sendmsg gathers. */
	char line[16];
	for (int i = 0; i < 200; i++) {
		int n = snprintf(line, sizeof(line), "m%d", i);
		frame_writer_queue(w, line, (size_t)n, NULL, 0);
	}
	assert_int_equal(frame_writer_flush(w, sv[0]), 1);
	read_all(r, sv[1]);
	for (int i = 0; i < 200; i++) {
		snprintf(line, sizeof(line), "m%d", i);
		assert_int_equal(next(r, &msg), 1);
		assert_msg(&msg, line, 0);
	}
	assert_int_equal(next(r, &msg), 0);

	frame_writer_free(w);
	frame_reader_free(r);
	close_pair(sv);
}

/* A taken buffer is sent as it is, its NUL turned into the newline, and freed by the writer. */
static void
test_writer_queue_take(void **state)
{
	struct frame_writer *w = frame_writer_new();
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct frame_msg msg;
	int sv[2], pipefd[2];

	make_pair(sv);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	frame_writer_queue_take(w, xstrdup("{\"taken\":1}"), 11, NULL, 0);
	frame_writer_queue(w, "copied", 6, NULL, 0);
	frame_writer_queue_take(w, xstrdup(""), 0, &pipefd[0], 1);
	/* Its fds are the writer's too: pipefd[0] is closed once sent. */
	assert_int_equal(frame_writer_pending(w), 12 + 7 + 1);
	assert_int_equal(frame_writer_flush(w, sv[0]), 1);
	read_all(r, sv[1]);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "{\"taken\":1}", 0);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "copied", 0);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "", 1);
	frame_msg_close_fds(&msg);
	assert_int_equal(next(r, &msg), 0);
	assert_int_equal(fcntl(pipefd[0], F_GETFD), -1);
	assert_int_equal(errno, EBADF);

	/* Queued and never sent: freed with the writer (valgrind and ASan see a leak otherwise). */
	frame_writer_queue_take(w, xstrdup("unsent"), 6, NULL, 0);
	frame_writer_free(w);
	frame_reader_free(r);
	close(pipefd[1]);
	close_pair(sv);
}

static void
test_writer_eagain(void **state)
{
	size_t big = 4 * 1024 * 1024;
	struct frame_writer *w = frame_writer_new();
	struct frame_reader *r = frame_reader_new(big);
	struct ctr_error err = CTR_ERROR_INIT;
	char *payload = make_payload(big);
	struct frame_msg msg;
	int sv[2], rounds = 0, rc;

	make_pair(sv);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
	frame_writer_queue(w, payload, big, NULL, 0);
	frame_writer_queue(w, "after", 5, NULL, 0);
	assert_int_equal(frame_writer_pending(w), big + 1 + 6);

	/* The socket buffer fills long before 4 MiB. */
	assert_int_equal(frame_writer_flush(w, sv[0]), 0);
	size_t pending = frame_writer_pending(w);
	assert_true(pending > 0 && pending < big + 7);
	assert_int_equal(frame_writer_flush(w, sv[0]), 0);
	assert_int_equal(frame_writer_pending(w), pending);

	/* Drain the peer, flush again, until the writer is done. */
	do {
		read_all(r, sv[1]);
		rc = frame_writer_flush(w, sv[0]);
		assert_true(rc == 0 || rc == 1);
		assert_true(frame_writer_pending(w) < pending || rc == 1);
		pending = frame_writer_pending(w);
		assert_true(++rounds < 10000);
	} while (rc == 0);
	assert_int_equal(frame_writer_pending(w), 0);
	read_all(r, sv[1]);

	assert_int_equal(frame_next(r, &msg, &err), 1);
	assert_int_equal(msg.len, big);
	assert_memory_equal(msg.data, payload, big);
	assert_int_equal(next(r, &msg), 1);
	assert_msg(&msg, "after", 0);
	assert_int_equal(next(r, &msg), 0);

	free(payload);
	frame_writer_free(w);
	frame_reader_free(r);
	close_pair(sv);
}

static void
test_writer_fds(void **state)
{
	struct frame_writer *w = frame_writer_new();
	struct frame_reader *r = frame_reader_new(FRAME_MAX);
	struct got_msg got[6];
	int sv[2], a = make_file("a"), b = make_file("b"), before, after_flush, n, rc;
	ino_t ino_a = fd_ino(a), ino_b = fd_ino(b);
	size_t pending;
	bool copies_closed = true;

	make_pair(sv);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
	before = count_fds();

	int copies[3] = { dup(a), dup(b), dup(a) };
	frame_writer_queue(w, "plain", 5, NULL, 0);
	frame_writer_queue(w, "two", 3, copies, 2);
	frame_writer_queue(w, "plain again", 11, NULL, 0);
	frame_writer_queue(w, "one", 3, copies + 2, 1);
	pending = frame_writer_pending(w);
	rc = frame_writer_flush(w, sv[0]);
	/* The writer closed its copies once they were sent. */
	for (int i = 0; i < 3; i++)
		copies_closed = copies_closed && !fd_is_open(copies[i]);
	after_flush = count_fds();

	read_all(r, sv[1]);
	n = drain(r, got, ARRAY_SIZE(got));
	int after = count_fds();
	frame_writer_free(w);
	frame_reader_free(r);
	close(a);
	close(b);
	close_pair(sv);

	assert_int_equal(pending, 6 + 4 + 12 + 4);
	assert_int_equal(rc, 1);
	assert_true(copies_closed);
	assert_int_equal(after_flush, before);
	assert_int_equal(after, before);
	assert_int_equal(n, 4);
	assert_got(&got[0], "plain", 0);
	assert_got(&got[1], "two", 2);
	assert_int_equal(got[1].ino[0], ino_a);
	assert_int_equal(got[1].ino[1], ino_b);
	assert_true(got[1].cloexec);
	assert_got(&got[2], "plain again", 0);
	assert_got(&got[3], "one", 1);
	assert_int_equal(got[3].ino[0], ino_a);
}

/* fds of a message queued behind a full socket: sent later, or closed by free. */
static void
test_writer_fds_behind_full_socket(void **state)
{
	size_t big = 2 * 1024 * 1024;
	struct frame_writer *w = frame_writer_new();
	struct frame_reader *r = frame_reader_new(big);
	char *payload = make_payload(big);
	struct got_msg got[4];
	int sv[2], a = make_file("a"), before, first_rc, rc, n, rounds = 0;
	ino_t ino_a = fd_ino(a);
	bool held;

	make_pair(sv);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
	before = count_fds();

	int copy = dup(a);
	frame_writer_queue(w, payload, big, NULL, 0);
	frame_writer_queue(w, "with fd", 7, &copy, 1);
	first_rc = frame_writer_flush(w, sv[0]);
	held = fd_is_open(copy);
	do {
		read_all(r, sv[1]);
		rc = frame_writer_flush(w, sv[0]);
	} while (rc == 0 && ++rounds < 10000);
	read_all(r, sv[1]);
	n = drain(r, got, ARRAY_SIZE(got));
	int after = count_fds();

	/* Never sent: frame_writer_free closes them. */
	copy = dup(a);
	frame_writer_queue(w, payload, big, NULL, 0);
	frame_writer_queue(w, "never sent", 10, &copy, 1);
	int unsent_rc = frame_writer_flush(w, sv[0]);
	int queued = count_fds();
	frame_writer_free(w);
	int freed = count_fds();

	free(payload);
	frame_reader_free(r);
	close(a);
	close_pair(sv);

	assert_int_equal(first_rc, 0);
	assert_true(held);
	assert_int_equal(rc, 1);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].len, big);
	assert_int_equal(got[0].nfds, 0);
	assert_got(&got[1], "with fd", 1);
	assert_int_equal(got[1].ino[0], ino_a);
	assert_int_equal(after, before);
	assert_int_equal(unsent_rc, 0);
	assert_int_equal(queued, before + 1);
	assert_int_equal(freed, before);
}

/*
 * The writer owns every fd it is given: more than FRAME_MAX_FDS cannot be
 * sent, but must not leak either.
 */
static void
test_writer_queue_too_many_fds_no_leak(void **state)
{
	struct frame_writer *w = frame_writer_new();
	int a = make_file("a"), before = count_fds();
	int copies[FRAME_MAX_FDS + 2];

	for (size_t i = 0; i < ARRAY_SIZE(copies); i++)
		copies[i] = dup(a);
	frame_writer_queue(w, "x", 1, copies, ARRAY_SIZE(copies));
	frame_writer_free(w);
	int after = count_fds();
	for (size_t i = 0; i < ARRAY_SIZE(copies); i++)
		if (fd_is_open(copies[i]))
			close(copies[i]);
	close(a);
	assert_int_equal(after, before);
}

static void
test_writer_errors(void **state)
{
	struct frame_writer *w = frame_writer_new();
	int sv[2];

	make_pair(sv);
	frame_writer_queue(w, "x", 1, NULL, 0);
	close_fd(&sv[1]);
	/* The peer is gone: EPIPE, and no SIGPIPE kills us. */
	errno = 0;
	assert_int_equal(frame_writer_flush(w, sv[0]), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(frame_writer_pending(w), 2);
	errno = 0;
	assert_int_equal(frame_send(sv[0], "x", 1, NULL, 0), -1);
	assert_int_equal(errno, EPIPE);
	frame_writer_free(w);
	frame_writer_free(NULL);
	frame_reader_free(NULL);
	close_pair(sv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_message),
		cmocka_unit_test(test_several_messages_one_write),
		cmocka_unit_test(test_message_byte_by_byte),
		cmocka_unit_test(test_message_split_then_pipelined),
		cmocka_unit_test(test_empty_lines),
		cmocka_unit_test(test_eof),
		cmocka_unit_test(test_read_eagain),
		cmocka_unit_test(test_next_on_fresh_reader),
		cmocka_unit_test(test_small_max),
		cmocka_unit_test(test_frame_max_exactly),
		cmocka_unit_test(test_frame_max_plus_one_no_newline),
		cmocka_unit_test(test_frame_max_plus_one_with_newline),
		cmocka_unit_test(test_fds_passed),
		cmocka_unit_test(test_fds_attach_to_second_pipelined),
		cmocka_unit_test(test_fds_attach_to_first_not_second),
		cmocka_unit_test(test_too_many_fds),
		cmocka_unit_test(test_too_many_fds_in_flight),
		cmocka_unit_test(test_unexpected_control_data),
		cmocka_unit_test(test_reader_free_closes_unclaimed_fds),
		cmocka_unit_test(test_fds_in_middle_of_message),
		cmocka_unit_test(test_msg_close_fds),
		cmocka_unit_test(test_writer_flush),
		cmocka_unit_test(test_writer_queue_take),
		cmocka_unit_test(test_writer_eagain),
		cmocka_unit_test(test_writer_fds),
		cmocka_unit_test(test_writer_fds_behind_full_socket),
		cmocka_unit_test(test_writer_queue_too_many_fds_no_leak),
		cmocka_unit_test(test_writer_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
