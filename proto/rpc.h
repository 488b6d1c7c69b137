/* SPDX-License-Identifier: MIT */
/*
 * JSON-RPC 2.0 messages: decoding one framed line into a request,
 * notification, result or error, and encoding them back to a line.
 */
#ifndef CTR_RPC_H
#define CTR_RPC_H

#include <jansson.h>

#include "error.h"

enum rpc_kind {
	RPC_REQUEST,	  /* method and id */
	RPC_NOTIFICATION, /* method, no id */
	RPC_RESULT,	  /* result and id */
	RPC_ERROR,	  /* error and id (null when the request could not be read) */
};

struct rpc_msg {
	enum rpc_kind kind;
	json_t *root;	     /* owns everything below */
	json_t *id;	     /* borrowed: number, string or null; NULL for notifications */
	const char *method;  /* borrowed; requests and notifications */
	json_t *params;	     /* borrowed object; an empty object when absent */
	json_t *result;	     /* borrowed; results */
	int code;	     /* errors */
	const char *message; /* errors */
	json_t *data;	     /* errors: borrowed, may be NULL */
};

/*
 * Decodes a line. Duplicate keys are rejected. On failure returns -1 with
 * err->code CTR_E_PARSE or CTR_E_INVALID_REQUEST; msg->id is then the
 * request's id if one could be read (so the error reply can carry it) and
 * msg->root owns it: call rpc_msg_clear() either way.
 */
int rpc_parse(const char *buf, size_t len, struct rpc_msg *msg, struct ctr_error *err);
void rpc_msg_clear(struct rpc_msg *msg);

/*
 * Encoders return a malloc'd compact JSON line without the '\n' and its length; it is
 * NUL-terminated, so frame_writer_queue_take() can append the newline in place.
 * They steal the reference to params/result/data (which may be NULL) and
 * borrow id (NULL encodes as null).
 */
char *rpc_encode_request(json_int_t id, const char *method, json_t *params, size_t *len);
char *rpc_encode_notification(const char *method, json_t *params, size_t *len);
char *rpc_encode_result(json_t *id, json_t *result, size_t *len);
/* The same for a result that is JSON text already (result_len bytes, not checked). */
char *rpc_encode_result_text(json_t *id, const char *result, size_t result_len, size_t *len);
char *rpc_encode_error(json_t *id, int code, const char *message, json_t *data, size_t *len);

/* The JSON-RPC error for err: code, message, and data {errno, errno_name, exit_code}. */
char *rpc_encode_ctr_error(json_t *id, const struct ctr_error *err, size_t *len);

/* A json string from arbitrary bytes; invalid UTF-8 becomes U+FFFD. */
json_t *rpc_string_sanitized(const char *buf, size_t len);

#endif
