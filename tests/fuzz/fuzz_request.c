/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a client's bytes, through everything the daemon does with
 * them before a handler runs (daemon/server.c conn_read_cb and conn_handle,
 * daemon/methods.c methods_dispatch).
 *
 * The input is the byte stream a client writes. It is fed twice through a
 * frame_reader that reads a socketpair with frame_read, as the daemon reads a
 * connection:
 *
 *   1. in one send, with the daemon's FRAME_MAX; every complete message goes
 *      through rpc_parse, params_schema and params_validate, and the reply the
 *      daemon would send (rpc_encode_result or rpc_encode_ctr_error) must be
 *      one line that reads back as what was sent;
 *      every string in the params, written by jsonw (ps's text writer) and
 *      wrapped by rpc_encode_result_text, reads back as itself, and a
 *      "since" that time_parse_rfc3339 takes formats back to the same time;
 *   2. in chunks, with a limit that may be small and with fds sent by
 *      SCM_RIGHTS on some chunks (now and then more than a message may carry),
 *      the sizes, limit and fds drawn from a hash of the input so the corpus
 *      stays plain protocol text; checks only the framing.
 *
 * Both passes must return exactly the '\n'-separated messages of the input,
 * fail with CTR_E_LIMIT only for a message longer than the limit or for fds
 * over frame.c's limits, give each message the fds frame.h promises it, and
 * close every fd they received.
 * A broken invariant abort()s, so the fuzzer reports it as a crash.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include "frame.h"
#include "jsonw.h"
#include "params.h"
#include "rpc.h"

#define MAX_CHUNKS    64
#define MAX_FD_SENDS  12		  /* chunks that carry fds, per input */
#define FD_CHUNK_MAX  4096		  /* fds ride only on a chunk the kernel keeps in one skb */
#define FDS_TOO_MANY  (FRAME_MAX_FDS + 1) /* fds in one sendmsg() that frame_read rejects */
#define FDS_IN_FLIGHT (2 * FRAME_MAX_FDS) /* unclaimed fds a reader holds (frame.c) */
#define FD_WATCH      32   /* fds below this must be the same before and after an input */
#define SPLIT_MAX_CAP 4096 /* the largest message limit pass 2 draws */

#define fuzz_assert(cond)                                                                    \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, \
				#cond);                                                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

/* How one pass feeds the input. */
struct plan {
	size_t max;		   /* the reader's message limit */
	size_t nchunks;		   /* 0: the whole input in one send */
	size_t chunk[MAX_CHUNKS];  /* sizes; the last chunk takes what is left */
	unsigned nfds[MAX_CHUNKS]; /* fds sent with this chunk */
	bool parse;		   /* run the RPC pipeline on each message */
};

/* What the reader must return, tracked while the input is sent. */
struct expect {
	const char *data;
	size_t sent;	 /* bytes written to the socket so far */
	size_t received; /* bytes frame_read returned so far */
	size_t next;	 /* offset of the next message to be returned */
	struct {
		uint64_t off; /* stream offset of the message the fds belong to */
		size_t n;
	} batch[MAX_FD_SENDS]; /* fds the reader accepted */
	size_t nbatches;
	const char *fail; /* the error the next frame_read must return, or NULL */
};

static int devnull = -1; /* the fd sent by SCM_RIGHTS */

/* A bitmap of the open fds below FD_WATCH. */
static uint64_t
open_fds(void)
{
	uint64_t set = 0;

	for (int fd = 0; fd < FD_WATCH; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			set |= UINT64_C(1) << fd;
	return set;
}

/* FNV-1a, then xorshift64: a deterministic stream of choices from the input. */
static uint64_t
hash_input(const uint8_t *data, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < len; i++)
		h = (h ^ data[i]) * UINT64_C(0x100000001b3);
	return h ? h : 1;
}

static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Pass 2: chunk sizes, a message limit and fds, all from the input's hash. */
static void
plan_split(struct plan *p, const uint8_t *data, size_t len)
{
	uint64_t s = hash_input(data, len);
	size_t left = len, fds = 0;

	memset(p, 0, sizeof(*p));
	switch (next_rand(&s) % 3) {
	case 0:
		p->max = 1 + next_rand(&s) % 64;
		break;
	case 1:
		p->max = 1 + next_rand(&s) % SPLIT_MAX_CAP;
		break;
	default:
		p->max = FRAME_MAX;
		break;
	}
	while (left > 0 && p->nchunks < MAX_CHUNKS) {
		size_t n = 1 + next_rand(&s) % (len / 8 + 1);
		if (n > left || p->nchunks == MAX_CHUNKS - 1)
			n = left;
		p->chunk[p->nchunks] = n;
		/* Mostly 1-3 fds, now and then one more than a message may carry. */
		if (n <= FD_CHUNK_MAX && fds < MAX_FD_SENDS && next_rand(&s) % 4 == 0) {
			uint64_t k = next_rand(&s) % 16;
			p->nfds[p->nchunks] = k == 0 ? FDS_TOO_MANY : 1 + k % 3;
			fds++;
		}
		p->nchunks++;
		left -= n;
	}
}

/* The encoded line is one line of compact JSON, NUL-terminated at len. */
static void
check_line(const char *line, size_t len)
{
	fuzz_assert(line != NULL);
	fuzz_assert(strlen(line) == len);
	fuzz_assert(memchr(line, '\n', len) == NULL);
}

/* The error reply the daemon would send reads back with the same id, code and message. */
static void
check_error_reply(json_t *id, const struct ctr_error *err)
{
	struct ctr_error perr = CTR_ERROR_INIT;
	struct rpc_msg back;
	size_t len, wlen;
	char *line = rpc_encode_ctr_error(id, err, &len);

	check_line(line, len);
	fuzz_assert(rpc_parse(line, len, &back, &perr) == 0);
	fuzz_assert(back.kind == RPC_ERROR);
	fuzz_assert(json_equal(back.id, id != NULL ? id : json_null()));
	fuzz_assert(back.code == err->code);
	/* Whatever bytes went into the message, the client reads them as valid UTF-8. */
	char *want = utf8_sanitize(err->msg, strlen(err->msg), &wlen);
	fuzz_assert(strcmp(back.message, want) == 0);
	json_t *reason = json_object_get(back.data, "reason");
	fuzz_assert(json_is_string(reason));
	fuzz_assert(strcmp(json_string_value(reason), ctr_code_name(err->code)) == 0);
	free(want);
	free(line);
	rpc_msg_clear(&back);
	ctr_error_clear(&perr);
}

/* A result carrying params, and a notification carrying them, read back equal. */
static void
check_result_reply(json_t *id, const char *method, json_t *params)
{
	struct ctr_error perr = CTR_ERROR_INIT;
	struct rpc_msg back;
	size_t len;
	char *line = rpc_encode_result(id, json_incref(params), &len);

	check_line(line, len);
	fuzz_assert(rpc_parse(line, len, &back, &perr) == 0);
	fuzz_assert(back.kind == RPC_RESULT);
	fuzz_assert(json_equal(back.id, id != NULL ? id : json_null()));
	fuzz_assert(json_equal(back.result, params));
	free(line);
	rpc_msg_clear(&back);

	line = rpc_encode_notification(method, json_incref(params), &len);
	check_line(line, len);
	fuzz_assert(rpc_parse(line, len, &back, &perr) == 0);
	fuzz_assert(back.kind == RPC_NOTIFICATION);
	fuzz_assert(strcmp(back.method, method) == 0);
	fuzz_assert(json_equal(back.params, params));
	free(line);
	rpc_msg_clear(&back);
	ctr_error_clear(&perr);
}

static void check_validated(const struct param_spec *spec, json_t *obj);

/* jsonw_string writes v's text (up to a NUL, as C strings end) so that it reads back as itself. */
static void
check_written(json_t *id, json_t *v)
{
	size_t i;
	const char *key;
	json_t *item;

	if (json_is_object(v)) {
		json_object_foreach(v, key, item) {
			check_written(id, item);
		}
		return;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			check_written(id, item);
		return;
	}
	if (!json_is_string(v))
		return;
	const char *str = json_string_value(v);
	struct jsonw w = { 0 };
	size_t len, line_len;
	jsonw_char(&w, '[');
	jsonw_string(&w, str);
	jsonw_char(&w, ']');
	char *text = jsonw_steal(&w, &len);
	char *line = rpc_encode_result_text(id, text, len, &line_len);
	struct ctr_error perr = CTR_ERROR_INIT;
	struct rpc_msg back;
	check_line(line, line_len);
	fuzz_assert(rpc_parse(line, line_len, &back, &perr) == 0);
	fuzz_assert(back.kind == RPC_RESULT);
	json_t *got = json_array_get(back.result, 0);
	fuzz_assert(json_is_string(got) && strcmp(json_string_value(got), str) == 0);
	rpc_msg_clear(&back);
	ctr_error_clear(&perr);
	free(line);
	free(text);
}

/* A time the daemon takes (logs and events "since") means one instant, written back the same. */
static void
check_since(json_t *params)
{
	const char *since = json_string_value(json_object_get(params, "since"));
	int64_t ns, again;

	if (since == NULL || time_parse_rfc3339(since, &ns) < 0)
		return;
	char *text = time_format_rfc3339(ns);
	fuzz_assert(time_parse_rfc3339(text, &again) == 0 && again == ns);
	free(text);
}

/* A string that passed validation has the schema's length, flags and choices. */
static void
check_valid_string(const struct param_spec *p, json_t *v, bool item)
{
	size_t max = p->max_len ? p->max_len : PARAM_DEFAULT_MAX_LEN;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	fuzz_assert(s != NULL);
	fuzz_assert(strlen(s) == len && len <= max);
	fuzz_assert(!(p->flags & PARAM_NONEMPTY) || item || len > 0);
	fuzz_assert(!(p->flags & PARAM_ABSPATH) || s[0] == '/');
	if (p->choices != NULL) {
		const char *const *c = p->choices;
		while (*c != NULL && strcmp(*c, s) != 0)
			c++;
		fuzz_assert(*c != NULL);
	}
}

/* One member that passed validation, read with the getters handlers use. */
static void
check_valid_member(const struct param_spec *p, json_t *obj, json_t *v)
{
	size_t i, max_items = p->max_items ? p->max_items : PARAM_DEFAULT_MAX_ITEMS;
	bool ranged = p->min != 0 || p->max != 0;
	json_t *item;

	switch (p->type) {
	case PARAM_STRING:
		check_valid_string(p, v, false);
		fuzz_assert(params_str(obj, p->name, NULL) == json_string_value(v));
		break;
	case PARAM_INT: {
		int64_t n = params_int(obj, p->name, 0);
		fuzz_assert(json_is_integer(v) && n == json_integer_value(v));
		fuzz_assert(!ranged || (n >= p->min && n <= p->max));
		break;
	}
	case PARAM_NUMBER: {
		double d = params_number(obj, p->name, -1);
		fuzz_assert(json_is_number(v));
		fuzz_assert(!ranged || (d >= (double)p->min && d <= (double)p->max));
		break;
	}
	case PARAM_BOOL:
		fuzz_assert(json_is_boolean(v));
		fuzz_assert(params_bool(obj, p->name, !json_is_true(v)) == json_is_true(v));
		break;
	case PARAM_SIGNAL: {
		int sig = params_signal(obj, p->name, 0);
		fuzz_assert(sig >= 1 && sig < NSIG);
		break;
	}
	case PARAM_OBJECT:
		fuzz_assert(json_is_object(v));
		check_validated(p->fields, v);
		break;
	case PARAM_STRINGS:
	case PARAM_OBJECTS:
		fuzz_assert(json_is_array(v) && json_array_size(v) <= max_items);
		fuzz_assert(!(p->flags & PARAM_NONEMPTY) || json_array_size(v) > 0);
		json_array_foreach(v, i, item) {
			if (p->type == PARAM_STRINGS) {
				check_valid_string(p, item, true);
			} else {
				fuzz_assert(json_is_object(item));
				check_validated(p->fields, item);
			}
		}
		break;
	}
}

/* Every member of obj is in spec with the right type, and every required one is there. */
static void
check_validated(const struct param_spec *spec, json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		const struct param_spec *p = spec;
		while (p->name != NULL && strcmp(p->name, key) != 0)
			p++;
		fuzz_assert(p->name != NULL);
	}
	for (const struct param_spec *p = spec; p->name != NULL; p++) {
		v = json_object_get(obj, p->name);
		if (v == NULL)
			fuzz_assert(!(p->flags & PARAM_REQUIRED));
		else
			check_valid_member(p, obj, v);
	}
}

/* A request or notification, as methods_dispatch checks it before a handler runs. */
static void
dispatch(struct rpc_msg *msg)
{
	struct ctr_error err = CTR_ERROR_INIT;
	const struct param_spec *schema = params_schema(msg->method);

	fuzz_assert(msg->method != NULL && msg->method[0] != '\0');
	fuzz_assert(json_is_object(msg->params));
	fuzz_assert((msg->kind == RPC_REQUEST) == (msg->id != NULL));
	if (schema == NULL) {
		ctr_error_set(&err, CTR_E_NO_METHOD, 0, "unknown method \"%s\"", msg->method);
		check_error_reply(msg->id, &err);
	} else if (params_validate(schema, msg->params, &err) < 0) {
		fuzz_assert(err.code == CTR_E_INVALID_PARAMS && err.msg != NULL);
		fuzz_assert(strncmp(err.msg, "params", 6) == 0);
		check_error_reply(msg->id, &err);
	} else {
		fuzz_assert(err.code == 0 && err.msg == NULL);
		check_validated(schema, msg->params);
		check_result_reply(msg->id, msg->method, msg->params);
		check_written(msg->id, msg->params);
		check_since(msg->params);
	}
	ctr_error_clear(&err);
}

/* One framed message, as conn_handle treats it. */
static void
handle_message(const char *data, size_t len)
{
	struct ctr_error err = CTR_ERROR_INIT;
	struct rpc_msg msg;

	if (rpc_parse(data, len, &msg, &err) < 0) {
		fuzz_assert(err.code == CTR_E_PARSE || err.code == CTR_E_INVALID_REQUEST ||
			    err.code == CTR_E_INVALID_PARAMS);
		fuzz_assert(err.msg != NULL);
		fuzz_assert(msg.id == NULL || json_is_string(msg.id) || json_is_number(msg.id) ||
			    json_is_null(msg.id));
		check_error_reply(msg.id != NULL ? msg.id : json_null(), &err);
	} else {
		fuzz_assert(err.code == 0);
		fuzz_assert(json_is_object(msg.root));
		switch (msg.kind) {
		case RPC_REQUEST:
		case RPC_NOTIFICATION:
			dispatch(&msg);
			break;
		case RPC_RESULT:
			fuzz_assert(msg.id != NULL && msg.result != NULL);
			break;
		case RPC_ERROR:
			fuzz_assert(msg.id != NULL && msg.message != NULL);
			break;
		}
	}
	rpc_msg_clear(&msg);
	fuzz_assert(msg.root == NULL);
	ctr_error_clear(&err);
}

/* A message the reader returned is the next one of the input, with the fds sent for it. */
static void
check_message(struct expect *e, const struct frame_msg *fm)
{
	const char *nl = memchr(e->data + e->next, '\n', e->sent - e->next);
	size_t want_fds = 0;

	fuzz_assert(nl != NULL);
	fuzz_assert(fm->len == (size_t)(nl - (e->data + e->next)));
	fuzz_assert(memcmp(fm->data, e->data + e->next, fm->len) == 0);
	for (size_t i = 0; i < e->nbatches; i++)
		if (e->batch[i].off >= e->next && e->batch[i].off <= e->next + fm->len)
			want_fds += e->batch[i].n;
	fuzz_assert(fm->nfds == (want_fds < FRAME_MAX_FDS ? want_fds : FRAME_MAX_FDS));
	for (size_t i = 0; i < fm->nfds; i++)
		fuzz_assert(fcntl(fm->fds[i], F_GETFD) == FD_CLOEXEC);
	e->next += fm->len + 1;
}

/* The limit error is right only if the message being received is over the limit. */
static void
check_limit(const struct expect *e, const struct ctr_error *err, size_t max)
{
	const char *nl = memchr(e->data + e->next, '\n', e->sent - e->next);
	size_t len = nl != NULL ? (size_t)(nl - (e->data + e->next)) : e->sent - e->next;

	fuzz_assert(err->code == CTR_E_LIMIT);
	fuzz_assert(len > max);
}

/*
 * Reads what was sent, as conn_read_cb does (it reads on until EAGAIN; here
 * the byte count says when to stop, which spares a read); returns false once
 * the reader has reported a limit error (the daemon closes the connection then).
 */
static bool
drain(struct frame_reader *r, int sock, const struct plan *p, struct expect *e)
{
	struct ctr_error err = CTR_ERROR_INIT;
	struct frame_msg fm;
	bool ok = true;

	while (ok && e->received < e->sent) {
		ssize_t n = frame_read(r, sock, &err);
		if (e->fail != NULL) {
			/* Broken control data: the daemon replies and closes the connection. */
			fuzz_assert(n == -2 && err.code == CTR_E_LIMIT);
			fuzz_assert(strncmp(err.msg, e->fail, strlen(e->fail)) == 0);
			ok = false;
			break;
		}
		fuzz_assert(n > 0); /* the bytes are there; no EOF, no broken control data */
		e->received += (size_t)n;
		int ret;
		while ((ret = frame_next(r, &fm, &err)) == 1) {
			check_message(e, &fm);
			frame_msg_close_fds(&fm);
			if (p->parse)
				handle_message(fm.data, fm.len);
		}
		if (ret < 0) {
			check_limit(e, &err, p->max);
			ok = false;
		}
	}
	ctr_error_clear(&err);
	return ok;
}

/*
 * Sends up to len bytes in one sendmsg(), with nfds copies of devnull as
 * SCM_RIGHTS; returns how many went. The peer has read everything sent before.
 */
static size_t
send_some(int sock, const char *buf, size_t len, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDS_TOO_MANY)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > 0) {
		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		for (unsigned i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &devnull, sizeof(int));
	}
	ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	fuzz_assert(n > 0);
	/* A chunk with fds (at most FD_CHUNK_MAX bytes) goes whole, in one skb: one read. */
	fuzz_assert(nfds == 0 || (size_t)n == len);
	return (size_t)n;
}

/* Fds the reader holds for messages it has not returned yet. */
static size_t
unclaimed_fds(const struct expect *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nbatches; i++)
		if (e->batch[i].off >= e->next)
			n += e->batch[i].n;
	return n;
}

/*
 * The stream offset a chunk's fds belong to: the start of the last message
 * that starts in the chunk (frame.h), as frame_read works it out. Each chunk
 * is drained before the next is sent, so one read returns exactly one chunk.
 */
static uint64_t
fd_offset(const char *chunk, size_t len, size_t off)
{
	const char *nl = len > 1 ? memrchr(chunk, '\n', len - 1) : NULL;

	return nl != NULL ? off + (size_t)(nl + 1 - chunk) : off;
}

/* One pass: the input through a fresh socketpair and reader, as plan says. */
static void
run_pass(const struct plan *p, const uint8_t *data, size_t len)
{
	struct expect e = { .data = (const char *)data };
	struct frame_reader *r = frame_reader_new(p->max);
	int sv[2];
	bool ok = true;

	fuzz_assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	for (size_t i = 0; ok && e.sent < len; i++) {
		size_t end = e.sent + (p->nchunks == 0 ? len : p->chunk[i]);
		unsigned nfds = p->nchunks > 0 ? p->nfds[i] : 0;
		if (nfds > FRAME_MAX_FDS) {
			e.fail = "bad control data";
		} else if (nfds > 0 && unclaimed_fds(&e) + nfds > FDS_IN_FLIGHT) {
			e.fail = "too many file descriptors in flight";
		} else if (nfds > 0) {
			e.batch[e.nbatches].off = fd_offset(e.data + e.sent, end - e.sent, e.sent);
			e.batch[e.nbatches].n = nfds;
			e.nbatches++;
		}
		/* A chunk bigger than the socket buffer goes in several sends. */
		while (ok && e.sent < end) {
			e.sent += send_some(sv[1], e.data + e.sent, end - e.sent, nfds);
			ok = drain(r, sv[0], p, &e);
		}
	}
	if (ok) {
		/* Every complete message came out; the rest waits for its '\n'. */
		fuzz_assert(memchr(e.data + e.next, '\n', len - e.next) == NULL);
		fuzz_assert(frame_reader_pending(r) == len - e.next);
		fuzz_assert(len - e.next <= p->max);
	}
	frame_reader_free(r);
	close(sv[0]);
	close(sv[1]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	fuzz_assert(devnull >= 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan whole = { .max = FRAME_MAX, .parse = true };
	struct plan split;
	uint64_t fds = open_fds();

	plan_split(&split, data, size);
	run_pass(&whole, data, size);
	run_pass(&split, data, size);
	fuzz_assert(open_fds() == fds);
	return 0;
}
