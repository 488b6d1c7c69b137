/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <event2/event.h>
#include <fcntl.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "log.h"
#include "logfile.h"
#include "logs.h"
#include "params.h"
#include "rpc.h"
#include "server.h"

#define CHUNK	      (64 * 1024)
/* Stop reading the file while this much is queued for the client. */
#define HIGH_WATER    (1024 * 1024)
/* Entries per notification. */
#define BATCH	      256
/* The most rotated files a log has (ctrd --log-max-files, run's log_max_files). */
#define LOG_FILES_MAX 100

struct log_stream {
	struct ctrd *d;
	struct request *req;
	struct container *ctr; /* NULL once it is removed */
	char *path;	       /* the log: path.N ... path.1 are older, rotated files */
	ino_t ino;	       /* the file fd reads, to find it again after rotations */
	int fd;
	char *buf; /* bytes of an incomplete last line */
	size_t len;
	int64_t since;
	bool follow;
	int wd; /* inotify watch while following, else -1 */
	LIST_ENTRY(log_stream) entry;
};

static void stream_pump(void *arg);

static void
stream_free(struct log_stream *s)
{
	struct log_stream *o;
	bool shared = false;

	LIST_REMOVE(s, entry);
	if (s->wd >= 0) {
		LIST_FOREACH(o, &s->d->log_streams, entry)
			shared |= o->wd == s->wd;
		if (!shared)
			(void)inotify_rm_watch(s->d->inotify_fd, s->wd);
	}
	closep(&s->fd);
	free(s->path);
	free(s->buf);
	free(s);
}

/* The client went away. */
static void
stream_cancel(struct request *req)
{
	stream_free(req->data);
}

static void
stream_finish(struct log_stream *s)
{
	struct request *req = s->req;

	req->cancel = NULL;
	stream_free(s);
	request_reply(req, json_object());
}

static json_t *
record_to_json(const struct log_record *rec)
{
	_cleanup_free_ char *t = time_format_rfc3339(rec->time);
	json_t *o = json_pack("{s:s,s:s}", "time", t, "stream",
			      rec->is_stderr ? "stderr" : "stdout");

	if (rec->partial) {
		json_object_set_new(o, "data", rpc_string_sanitized(rec->data, rec->len));
	} else {
		/* F: the container wrote a newline here. */
		_cleanup_free_ char *line = xmalloc(rec->len + 1);
		memcpy(line, rec->data, rec->len);
		line[rec->len] = '\n';
		json_object_set_new(o, "data", rpc_string_sanitized(line, rec->len + 1));
	}
	return o;
}

/* Sends the complete lines of s->buf and keeps the incomplete rest. */
static void
stream_emit(struct log_stream *s)
{
	json_t *entries = json_array();
	size_t start = 0;

	for (;;) {
		char *nl = memchr(s->buf + start, '\n', s->len - start);
		if (nl == NULL)
			break;
		struct log_record rec;
		size_t n = (size_t)(nl - (s->buf + start));
		if (logfile_parse(s->buf + start, n, &rec) == 0 && rec.time >= s->since)
			json_array_append_new(entries, record_to_json(&rec));
		start += n + 1;
		if (json_array_size(entries) >= BATCH) {
			request_notify(
				s->req, "log",
				json_pack("{s:O?,s:o}", "request", s->req->id, "entries", entries));
			entries = json_array();
		}
	}
	if (json_array_size(entries) > 0)
		request_notify(s->req, "log",
			       json_pack("{s:O?,s:o}", "request", s->req->id, "entries", entries));
	else
		json_decref(entries);
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
}

/* Opens path.k for reading and remembers what it is. */
static int
open_file(struct log_stream *s, int k)
{
	_cleanup_free_ char *name = logfile_name(s->path, k);
	struct stat st;
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	closep(&s->fd);
	s->fd = fd;
	s->ino = fstat(fd, &st) == 0 ? st.st_ino : 0;
	return 0;
}

/*
 * At the end of a file: on to the next newer one. The monitor rotates by
 * renaming (path.1 becomes path.2, path becomes path.1, a new path), as
 * often as the container writes enough, so while we read, our file may
 * move any number of places: it is found again by its inode, and the next
 * newer file is the one just below it. (Following the number we opened, or
 * jumping to the new current file, lost every file rotated in between.)
 * False when this really is the end, for now.
 */
static bool
next_file(struct log_stream *s)
{
	struct stat st;
	int k, oldest = -1;

	/* Ascending, as files move: one moving while we look is still ahead of us. */
	for (k = 0; k <= LOG_FILES_MAX; k++) {
		_cleanup_free_ char *name = logfile_name(s->path, k);
		if (stat(name, &st) < 0)
			continue;
		if (st.st_ino == s->ino)
			break;
		oldest = k;
	}
	if (k == 0) {
		/* Still the current file: wait for more, unless it was truncated (max-file=1). */
		off_t pos = lseek(s->fd, 0, SEEK_CUR);
		if (st.st_size < pos && lseek(s->fd, 0, SEEK_SET) == 0)
			return true;
		return false;
	}
	if (k <= LOG_FILES_MAX) {
		/* Rotated: nothing more is written to it, but maybe after we hit its end. */
		off_t pos = lseek(s->fd, 0, SEEK_CUR);
		if (fstat(s->fd, &st) == 0 && pos >= 0 && st.st_size > pos)
			return true;
	} else if (oldest < 0) {
		return false; /* mid-rotation, no file at all: the next inotify event */
	}
	/* The next newer file, or if ours was rotated out altogether, the oldest left. */
	int want = k <= LOG_FILES_MAX ? k - 1 : oldest;
	_cleanup_free_ char *name = logfile_name(s->path, want);
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false; /* mid-rotation: the rename that fills it is an inotify event */
	if (k <= LOG_FILES_MAX) {
		/* Still the successor if ours has not moved again meanwhile. */
		_cleanup_free_ char *ours = logfile_name(s->path, k);
		if (stat(ours, &st) < 0 || st.st_ino != s->ino) {
			close(fd);
			return next_file(s);
		}
	}
	closep(&s->fd);
	s->fd = fd;
	s->ino = fstat(fd, &st) == 0 ? st.st_ino : 0;
	return true;
}

static void
stream_pump(void *arg)
{
	struct log_stream *s = arg;
	struct conn *c = s->req->conn;

	for (;;) {
		if (conn_output_pending(c) > HIGH_WATER) {
			/* Resume when the client has read most of it. */
			conn_on_drain(c, stream_pump, s);
			return;
		}
		s->buf = xrealloc(s->buf, s->len + CHUNK);
		ssize_t n = read(s->fd, s->buf + s->len, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("logs: read: %s", strerror(errno));
			stream_finish(s);
			return;
		}
		if (n == 0) {
			if (next_file(s))
				continue;
			break;
		}
		s->len += (size_t)n;
		stream_emit(s);
		/* A line longer than any sane record: drop it rather than grow forever. */
		if (s->len > 16 * CHUNK)
			s->len = 0;
	}
	bool running = s->ctr != NULL && s->ctr->state != CTR_EXITED;
	if (!s->follow || !running) {
		stream_finish(s);
		return;
	}
	if (s->wd < 0) {
		/*
		 * Watch the directory (the log is replaced when it rotates), then
		 * read again: nothing written in between is missed.
		 */
		_cleanup_free_ char *dir = xstrdup(s->path);
		*strrchr(dir, '/') = '\0';
		s->wd = inotify_add_watch(s->d->inotify_fd, dir,
					  IN_MODIFY | IN_CREATE | IN_MOVED_TO);
		if (s->wd < 0) {
			log_warn("logs: watch %s: %s", dir, strerror(errno));
			stream_finish(s);
			return;
		}
		stream_pump(s);
	}
}

static void
inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctrd *d = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(fd, buf, sizeof(buf));

	for (char *p = buf; n > 0 && p < buf + n;) {
		struct inotify_event *ev = (struct inotify_event *)p;
		struct log_stream *s, *next;
		for (s = LIST_FIRST(&d->log_streams); s != NULL; s = next) {
			next = LIST_NEXT(s, entry);
			if (s->wd == ev->wd && s->req->conn != NULL)
				stream_pump(s);
		}
		p += sizeof(*ev) + ev->len;
	}
}

int
logs_init(struct ctrd *d, struct ctr_error *err)
{
	LIST_INIT(&d->log_streams);
	d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inotify_fd < 0)
		return ctr_error_sys(err, errno, "inotify_init");
	d->inotify_ev = event_new(d->base, d->inotify_fd, EV_READ | EV_PERSIST, inotify_cb, d);
	if (d->inotify_ev == NULL)
		abort();
	event_add(d->inotify_ev, NULL);
	return 0;
}

void
logs_shutdown(struct ctrd *d)
{
	if (d->inotify_ev != NULL)
		event_free(d->inotify_ev);
	closep(&d->inotify_fd);
	d->inotify_ev = NULL;
}

/*
 * Offset where the last `tail` lines of fd begin. A line of a stream is a
 * run of its P records ended by an F record; streams interleave, so each
 * has its own unfinished line. Output starts at the earliest start among
 * the last `tail` lines (records between them are included, as they fall).
 */
static off_t
tail_offset(int fd, int64_t tail, int64_t *lines)
{
	size_t ring_size = tail > 1 << 20 ? 1 << 20 : (size_t)tail;
	off_t *ring = xcalloc(ring_size, sizeof(off_t));
	uint64_t count = 0;
	off_t pos = 0, rec_start = 0, line_start[2] = { -1, -1 };
	int spaces = 0, stream = 0, field_len = 0;
	char tag = 0;
	char buf[CHUNK];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			char ch = buf[i];
			if (ch == '\n') {
				/* "stdout" and "stderr" differ in their fourth byte. */
				if (line_start[stream] < 0)
					line_start[stream] = rec_start;
				if (tag == 'F') {
					ring[count++ % ring_size] = line_start[stream];
					line_start[stream] = -1;
				}
				rec_start = pos + i + 1;
				spaces = field_len = stream = 0;
				tag = 0;
			} else if (spaces < 2 && ch == ' ') {
				spaces++;
			} else if (spaces == 1) {
				if (field_len++ == 3)
					stream = ch == 'e';
			} else if (spaces == 2 && tag == 0) {
				tag = ch;
			}
		}
		pos += n;
	}
	/* Lines still being written count too. */
	for (int st = 0; st < 2; st++)
		if (line_start[st] >= 0)
			ring[count++ % ring_size] = line_start[st];
	off_t off = pos;
	size_t kept = count < ring_size ? (size_t)count : ring_size;
	for (size_t i = 0; i < kept; i++)
		if (ring[i] < off)
			off = ring[i];
	free(ring);
	*lines = (int64_t)kept;
	return off;
}

/*
 * Where output starts: with tail, the last lines across the current file
 * and as many rotated ones as it takes; without, the oldest file there is.
 */
static void
seek_start(struct log_stream *s, int64_t tail)
{
	int oldest = 0;

	for (int k = 1; k <= LOG_FILES_MAX; k++) {
		_cleanup_free_ char *name = logfile_name(s->path, k);
		if (access(name, F_OK) < 0)
			break;
		oldest = k;
	}
	if (tail < 0) {
		for (int k = oldest; k >= 0; k--)
			if (open_file(s, k) == 0)
				return;
		return;
	}
	if (tail == 0) {
		if (open_file(s, 0) == 0)
			(void)lseek(s->fd, 0, SEEK_END);
		return;
	}
	for (int k = 0; k <= oldest; k++) {
		int64_t lines;
		if (open_file(s, k) < 0)
			continue;
		off_t off = tail_offset(s->fd, tail, &lines);
		if (lines >= tail || k == oldest) {
			(void)lseek(s->fd, off, SEEK_SET);
			return;
		}
		tail -= lines;
	}
}

int
logs_start(struct conn *c, json_t *id, struct container *ctr, json_t *params, struct ctr_error *err)
{
	int64_t tail = params_int(params, "tail", -1);
	const char *since = json_string_value(json_object_get(params, "since"));
	int64_t since_ns = 0;

	if (since != NULL && time_parse_rfc3339(since, &since_ns) < 0)
		return ctr_error_set(
			err, CTR_E_INVALID_PARAMS, 0,
			"params.since: expected an RFC 3339 time like 2026-11-29T04:12:24Z");
	if (ctr->log_path == NULL) {
		/* An attached container's output went to its client; there is no log. */
		conn_reply(c, id, json_object());
		return 0;
	}
	/* The monitor may not have created it yet; it will append to this one. */
	int fd = open(ctr->log_path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return ctr_error_sys(err, errno, "open %s", ctr->log_path);
	close(fd);

	struct log_stream *s = xcalloc(1, sizeof(*s));
	s->d = ctr->d;
	s->ctr = ctr;
	s->path = xstrdup(ctr->log_path);
	s->fd = -1;
	seek_start(s, tail);
	if (s->fd < 0) {
		int e = errno;
		free(s->path);
		free(s);
		return ctr_error_sys(err, e, "open %s", ctr->log_path);
	}
	s->since = since_ns;
	s->follow = json_is_true(json_object_get(params, "follow"));
	s->wd = -1;
	s->req = request_new(c, id, stream_cancel, s);
	LIST_INSERT_HEAD(&ctr->d->log_streams, s, entry);
	stream_pump(s);
	return 0;
}

void
logs_container_exited(struct container *ctr)
{
	struct log_stream *s, *next;

	/* The monitor wrote everything before it exited: one last read, then done. */
	for (s = LIST_FIRST(&ctr->d->log_streams); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		if (s->ctr == ctr && s->wd >= 0) {
			s->follow = false;
			stream_pump(s);
		}
	}
}

void
logs_container_removed(struct container *ctr)
{
	struct log_stream *s, *next;

	for (s = LIST_FIRST(&ctr->d->log_streams); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		if (s->ctr != ctr)
			continue;
		s->ctr = NULL;
		/* The open fd still reads the (unlinked) file: send the rest and finish. */
		if (s->wd >= 0) {
			s->follow = false;
			stream_pump(s);
		}
	}
}
