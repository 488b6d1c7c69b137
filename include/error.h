/* SPDX-License-Identifier: MIT */
/*
 * The one error contract of ctrd.
 *
 *   int f(..., struct ctr_error *err);
 *
 * returns < 0 on failure and fills err with a stable code (the JSON-RPC error
 * code the client will see), the errno that caused it (or 0) and a human
 * message. Callers add context on the way up with ctr_error_prefix(), so a
 * client reads "start a1b2c3: mount /proc: Permission denied". Only the
 * request dispatcher turns an error into a JSON-RPC error object.
 */
#ifndef CTR_ERROR_H
#define CTR_ERROR_H

#include "util.h"

/* JSON-RPC 2.0 standard codes and ctrd's application codes (proto/PROTOCOL.md). */
enum ctr_code {
	CTR_E_PARSE = -32700,		/* the line is not JSON */
	CTR_E_INVALID_REQUEST = -32600, /* JSON, but not a JSON-RPC 2.0 request */
	CTR_E_NO_METHOD = -32601,	/* unknown method */
	CTR_E_INVALID_PARAMS = -32602,	/* params fail validation */
	CTR_E_INTERNAL = -32603,	/* a bug in ctrd */

	CTR_E_NOT_FOUND = -32001,  /* no such container, image, ... */
	CTR_E_CONFLICT = -32002,   /* a name or id already in use, ambiguous prefix */
	CTR_E_STATE = -32003,	   /* the container is in the wrong state for this */
	CTR_E_LIMIT = -32004,	   /* a limit was reached: message size, connections, ... */
	CTR_E_SYSTEM = -32005,	   /* a system call failed; data.errno says which errno */
	CTR_E_PERMISSION = -32006, /* the peer may not use ctrd */
	CTR_E_EXEC = -32007,	   /* the command could not be run: data.exit_code is 126 or 127 */
};

struct ctr_error {
	int code;      /* enum ctr_code, 0 when no error is set */
	int errnum;    /* errno behind it, or 0 */
	int exit_code; /* 126/127 for CTR_E_EXEC, else 0 */
	char *msg;     /* owned, human readable, no trailing newline */
};

#define CTR_ERROR_INIT        \
	{                     \
		0, 0, 0, NULL \
	}
#define _cleanup_error_ _cleanup_(ctr_error_clear)

/*
 * Sets err and returns -1. A non-zero errnum appends ": strerror(errnum)".
 * A second set on an error that is already set replaces it.
 */
int ctr_error_set(struct ctr_error *err, int code, int errnum, const char *fmt, ...) _printf_(4, 5);
/* Shorthand for a failed system call: CTR_E_SYSTEM with errno. */
int ctr_error_sys(struct ctr_error *err, int errnum, const char *fmt, ...) _printf_(3, 4);
/* Prepends "context: " to the message; returns -1. */
int ctr_error_prefix(struct ctr_error *err, const char *fmt, ...) _printf_(2, 3);
/* Frees the message and resets err. */
void ctr_error_clear(struct ctr_error *err);
/* Moves src into dst (dst cleared first). */
void ctr_error_move(struct ctr_error *dst, struct ctr_error *src);
/* "not_found" for CTR_E_NOT_FOUND, ...; "error" for unknown codes. */
const char *ctr_code_name(int code);
/* "ENOENT" for ENOENT; NULL if unknown. */
const char *errno_name(int errnum);

#endif
