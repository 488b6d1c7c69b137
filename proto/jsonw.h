/* SPDX-License-Identifier: MIT */
/*
 * A JSON text writer for the one reply too big and too hot to build as a
 * jansson tree first (ps's rows, psrows.c): values are appended straight to
 * a growing buffer. The caller writes the separators ("[", ",", "]") with
 * jsonw_raw; strings are escaped here, and bytes that are not UTF-8 become
 * U+FFFD, as rpc_string_sanitized() does for jansson strings.
 */
#ifndef CTR_JSONW_H
#define CTR_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jsonw {
	char *buf;
	size_t len, cap;
};

void jsonw_raw(struct jsonw *w, const char *s, size_t len);
void jsonw_char(struct jsonw *w, char c);
void jsonw_string(struct jsonw *w, const char *s); /* null for NULL */
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/* An RFC 3339 UTC time with nanoseconds as a string (time_format_rfc3339), null for 0. */
void jsonw_time(struct jsonw *w, int64_t ns);

/* Hands over the text, NUL-terminated (its length in *len); the writer is empty again. */
char *jsonw_steal(struct jsonw *w, size_t *len);
void jsonw_free(struct jsonw *w);

#endif
