/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "rpc.h"

void
rpc_msg_clear(struct rpc_msg *msg)
{
	json_decref(msg->root);
	memset(msg, 0, sizeof(*msg));
}

static bool
valid_id(json_t *id)
{
	return json_is_string(id) || json_is_integer(id) || json_is_null(id) || json_is_real(id);
}

/* Decodes the members of a response: exactly one of result and error. */
static int
parse_response(struct rpc_msg *msg, json_t *result, json_t *error, struct ctr_error *err)
{
	if ((result == NULL) == (error == NULL))
		return ctr_error_set(err, CTR_E_INVALID_REQUEST, 0,
				     "a response needs exactly one of result and error");
	if (result != NULL) {
		msg->kind = RPC_RESULT;
		msg->result = result;
		return 0;
	}
	json_t *code = json_object_get(error, "code"), *message = json_object_get(error, "message");
	if (!json_is_object(error) || !json_is_integer(code) || !json_is_string(message))
		return ctr_error_set(
			err, CTR_E_INVALID_REQUEST, 0,
			"error must be an object with integer code and string message");
	/* Codes are ints in JSON-RPC; a wider one must not wrap into a different code. */
	if (json_integer_value(code) < INT_MIN || json_integer_value(code) > INT_MAX)
		return ctr_error_set(err, CTR_E_INVALID_REQUEST, 0,
				     "error.code: out of range for an error code");
	msg->kind = RPC_ERROR;
	msg->code = (int)json_integer_value(code);
	msg->message = json_string_value(message);
	msg->data = json_object_get(error, "data");
	return 0;
}

int
rpc_parse(const char *buf, size_t len, struct rpc_msg *msg, struct ctr_error *err)
{
	json_error_t jerr;
	json_t *version, *method, *params, *id;

	memset(msg, 0, sizeof(*msg));
	msg->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (msg->root == NULL)
		return ctr_error_set(err, CTR_E_PARSE, 0, "parse error at byte %d: %s",
				     jerr.position, jerr.text);
	if (!json_is_object(msg->root))
		return ctr_error_set(err, CTR_E_INVALID_REQUEST, 0,
				     "a message must be a JSON object");

	id = json_object_get(msg->root, "id");
	if (id != NULL && valid_id(id))
		msg->id = id;
	version = json_object_get(msg->root, "jsonrpc");
	if (!json_is_string(version) || strcmp(json_string_value(version), "2.0") != 0)
		return ctr_error_set(err, CTR_E_INVALID_REQUEST, 0, "jsonrpc must be \"2.0\"");
	if (id != NULL && !valid_id(id))
		return ctr_error_set(err, CTR_E_INVALID_REQUEST, 0,
				     "id must be a string, a number or null");

	method = json_object_get(msg->root, "method");
	if (method == NULL) {
		if (id == NULL)
			return ctr_error_set(err, CTR_E_INVALID_REQUEST, 0,
					     "a response needs an id");
		return parse_response(msg, json_object_get(msg->root, "result"),
				      json_object_get(msg->root, "error"), err);
	}
	if (!json_is_string(method) || json_string_length(method) == 0)
		return ctr_error_set(err, CTR_E_INVALID_REQUEST, 0,
				     "method must be a non-empty string");
	msg->method = json_string_value(method);
	msg->kind = id != NULL ? RPC_REQUEST : RPC_NOTIFICATION;

	params = json_object_get(msg->root, "params");
	if (params == NULL) {
		params = json_object();
		json_object_set_new(msg->root, "params", params);
	} else if (!json_is_object(params)) {
		return ctr_error_set(err, CTR_E_INVALID_PARAMS, 0, "params must be an object");
	}
	msg->params = params;

	/* Anything else at the top level is a mistake worth reporting. */
	const char *key;
	json_t *value;
	json_object_foreach(msg->root, key, value) {
		if (strcmp(key, "jsonrpc") != 0 && strcmp(key, "id") != 0 &&
		    strcmp(key, "method") != 0 && strcmp(key, "params") != 0)
			return ctr_error_set(err, CTR_E_INVALID_REQUEST, 0, "unknown member \"%s\"",
					     key);
	}
	return 0;
}

/* Dumps obj compactly (no newline can appear) and drops the reference. */
static char *
encode(json_t *obj, size_t *len)
{
	char *s = json_dumps(obj, JSON_COMPACT);

	json_decref(obj);
	if (s == NULL)
		abort(); /* only fails on allocation: the caller built valid JSON */
	*len = strlen(s);
	return s;
}

static json_t *
envelope(void)
{
	return json_pack("{s:s}", "jsonrpc", "2.0");
}

char *
rpc_encode_request(json_int_t id, const char *method, json_t *params, size_t *len)
{
	json_t *obj = envelope();

	json_object_set_new(obj, "id", json_integer(id));
	json_object_set_new(obj, "method", json_string(method));
	json_object_set_new(obj, "params", params ? params : json_object());
	return encode(obj, len);
}

char *
rpc_encode_notification(const char *method, json_t *params, size_t *len)
{
	json_t *obj = envelope();

	json_object_set_new(obj, "method", json_string(method));
	json_object_set_new(obj, "params", params ? params : json_object());
	return encode(obj, len);
}

char *
rpc_encode_result(json_t *id, json_t *result, size_t *len)
{
	json_t *obj = envelope();

	json_object_set(obj, "id", id ? id : json_null());
	json_object_set_new(obj, "result", result ? result : json_object());
	return encode(obj, len);
}

char *
rpc_encode_result_text(json_t *id, const char *result, size_t result_len, size_t *len)
{
	_cleanup_free_ char *id_text = json_dumps(id ? id : json_null(), JSON_ENCODE_ANY);
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":";
	static const char mid[] = ",\"result\":";

	if (id_text == NULL)
		abort(); /* only fails on allocation */
	size_t id_len = strlen(id_text);
	size_t n = sizeof(head) - 1 + id_len + sizeof(mid) - 1 + result_len + 1;
	char *s = xmalloc(n + 1), *o = s;
	o = mempcpy(o, head, sizeof(head) - 1);
	o = mempcpy(o, id_text, id_len);
	o = mempcpy(o, mid, sizeof(mid) - 1);
	o = mempcpy(o, result, result_len);
	*o++ = '}';
	*o = '\0';
	*len = n;
	return s;
}

char *
rpc_encode_error(json_t *id, int code, const char *message, json_t *data, size_t *len)
{
	json_t *obj = envelope();
	json_t *error = json_object();

	json_object_set_new(error, "code", json_integer(code));
	json_object_set_new(error, "message", rpc_string_sanitized(message, strlen(message)));
	if (data != NULL)
		json_object_set_new(error, "data", data);
	json_object_set(obj, "id", id ? id : json_null());
	json_object_set_new(obj, "error", error);
	return encode(obj, len);
}

char *
rpc_encode_ctr_error(json_t *id, const struct ctr_error *err, size_t *len)
{
	int code = err->code ? err->code : CTR_E_INTERNAL;
	json_t *data = json_pack("{s:s}", "reason", ctr_code_name(code));

	if (err->errnum != 0) {
		const char *name = errno_name(err->errnum);
		json_object_set_new(data, "errno", json_integer(err->errnum));
		if (name != NULL)
			json_object_set_new(data, "errno_name", json_string(name));
	}
	if (err->exit_code != 0)
		json_object_set_new(data, "exit_code", json_integer(err->exit_code));
	return rpc_encode_error(id, code, err->msg ? err->msg : "unknown error", data, len);
}

json_t *
rpc_string_sanitized(const char *buf, size_t len)
{
	/* Fast path: most text is valid already. */
	if (memchr(buf, '\0', len) == NULL) {
		json_t *s = json_stringn(buf, len);
		if (s != NULL)
			return s;
	}
	size_t n;
	_cleanup_free_ char *clean = utf8_sanitize(buf, len, &n);
	return json_stringn(clean, n);
}
