/* SPDX-License-Identifier: MIT */
/* JSON text appended to a buffer (jsonw.h). */
#include "config.h"

#include <string.h>
#include <time.h>

#include "jsonw.h"
#include "util.h"

static void
reserve(struct jsonw *w, size_t more)
{
	if (w->cap - w->len > more)
		return;
	size_t cap = w->cap ? w->cap : 4096;
	while (cap - w->len <= more)
		cap *= 2;
	w->buf = xrealloc(w->buf, cap);
	w->cap = cap;
}

void
jsonw_raw(struct jsonw *w, const char *s, size_t len)
{
	reserve(w, len);
	memcpy(w->buf + w->len, s, len);
	w->len += len;
}

void
jsonw_char(struct jsonw *w, char c)
{
	reserve(w, 1);
	w->buf[w->len++] = c;
}

void
jsonw_string(struct jsonw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	if (s == NULL) {
		jsonw_null(w);
		return;
	}
	size_t len = strlen(s);
	/* Worst case: every byte a \u00XX escape or a U+FFFD. */
	reserve(w, len * 6 + 2);
	char *o = w->buf + w->len;
	*o++ = '"';
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t n = utf8_valid_len(s + i, len - i);
			if (n == 0) {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				i++;
			} else {
				memcpy(o, s + i, n);
				o += n;
				i += n;
			}
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"':
		case '\\':
			*o++ = (char)c;
			break;
		case '\n':
			*o++ = 'n';
			break;
		case '\t':
			*o++ = 't';
			break;
		case '\r':
			*o++ = 'r';
			break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			o += 5;
		}
		i++;
	}
	*o++ = '"';
	w->len = (size_t)(o - w->buf);
}

void
jsonw_int(struct jsonw *w, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);

	jsonw_raw(w, tmp, (size_t)n);
}

void
jsonw_bool(struct jsonw *w, bool v)
{
	if (v)
		jsonw_raw(w, "true", 4);
	else
		jsonw_raw(w, "false", 5);
}

void
jsonw_null(struct jsonw *w)
{
	jsonw_raw(w, "null", 4);
}

void
jsonw_time(struct jsonw *w, int64_t ns)
{
	char tmp[TIME_RFC3339_MAX];

	if (ns == 0) {
		jsonw_null(w);
		return;
	}
	size_t n = time_format_rfc3339_buf(ns, tmp);
	reserve(w, n + 2);
	w->buf[w->len++] = '"';
	memcpy(w->buf + w->len, tmp, n);
	w->len += n;
	w->buf[w->len++] = '"';
}

char *
jsonw_steal(struct jsonw *w, size_t *len)
{
	reserve(w, 1);
	w->buf[w->len] = '\0';
	char *s = w->buf;
	if (len != NULL)
		*len = w->len;
	*w = (struct jsonw){ 0 };
	return s;
}

void
jsonw_free(struct jsonw *w)
{
	free(w->buf);
	*w = (struct jsonw){ 0 };
}
