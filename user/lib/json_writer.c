// SPDX-License-Identifier: GPL-2.0-only
#include "lib/json_writer.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
}

void jw_free(struct jw *w)
{
	sbuf_free(&w->b);
	memset(w, 0, sizeof(*w));
}

void jw_reset(struct jw *w)
{
	w->b.len = 0;
	w->depth = 0;
	w->need_comma = false;
	w->b.oom = false;
	if (w->b.buf)
		w->b.buf[0] = '\0';
}

static void put(struct jw *w, const char *s, size_t n)
{
	sbuf_put(&w->b, s, n);
}

static void puts_(struct jw *w, const char *s)
{
	put(w, s, strlen(s));
}

static void sep(struct jw *w)
{
	if (w->need_comma)
		put(w, ", ", 2);
	w->need_comma = true;
}

void jw_obj_begin(struct jw *w)
{
	sep(w);
	put(w, "{", 1);
	w->depth++;
	w->need_comma = false;
}

void jw_obj_end(struct jw *w)
{
	put(w, "}", 1);
	w->depth--;
	w->need_comma = true;
}

static void put_string(struct jw *w, const char *s, size_t n);

void jw_key(struct jw *w, const char *key)
{
	sep(w);
	put_string(w, key, strlen(key));
	put(w, ": ", 2);
	w->need_comma = false;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	sep(w);
	put_string(w, s, n);
}

/* Length of the valid UTF-8 character at s (RFC 3629, at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80; /* no overlongs */
		hi = s[0] == 0xed ? 0x9f : 0xbf; /* no surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf; /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++) /* stops at a NUL: it is no continuation byte */
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static void put_string(struct jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	put(w, "\"", 1);
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t u;

		if (c >= 0x80 && (u = utf8_len((const unsigned char *)s + i, n - i))) {
			put(w, s + i, u);
			i += u - 1;
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(w, esc, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			/*
			 * comm is attacker-controlled: control bytes never reach the output raw, and
			 * bytes that are not UTF-8 (JSON must be) are written as \u00XX, byte by byte
			 */
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			put(w, esc, 6);
		} else {
			put(w, (const char *)&c, 1);
		}
	}
	put(w, "\"", 1);
}

void jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s, strlen(s));
}

void jw_u64(struct jw *w, uint64_t v)
{
	char b[32];

	sep(w);
	snprintf(b, sizeof(b), "%" PRIu64, v);
	puts_(w, b);
}

void jw_i64(struct jw *w, int64_t v)
{
	char b[32];

	sep(w);
	snprintf(b, sizeof(b), "%" PRId64, v);
	puts_(w, b);
}

void jw_bool(struct jw *w, bool v)
{
	sep(w);
	puts_(w, v ? "true" : "false");
}

void jw_hex(struct jw *w, uint64_t v)
{
	char b[32];

	sep(w);
	snprintf(b, sizeof(b), "\"0x%" PRIx64 "\"", v);
	puts_(w, b);
}

void jw_kstr(struct jw *w, const char *k, const char *v)
{
	jw_key(w, k);
	jw_str(w, v);
}

void jw_ku64(struct jw *w, const char *k, uint64_t v)
{
	jw_key(w, k);
	jw_u64(w, v);
}

void jw_ki64(struct jw *w, const char *k, int64_t v)
{
	jw_key(w, k);
	jw_i64(w, v);
}

void jw_kbool(struct jw *w, const char *k, bool v)
{
	jw_key(w, k);
	jw_bool(w, v);
}

int jw_emit_line(struct jw *w, FILE *f)
{
	if (w->b.oom)
		return -1;
	if (fwrite(w->b.buf, 1, w->b.len, f) != w->b.len || fputc('\n', f) == EOF)
		return -1;
	return fflush(f) ? -1 : 0;
}

void jw_null(struct jw *w)
{
	sep(w);
	puts_(w, "null");
}

void jw_double(struct jw *w, double v)
{
	char b[64];

	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	sep(w);
	/* shares are sums of fractions: snap float noise to the integer it stands for */
	if (fabs(v - round(v)) < 1e-6 && fabs(v) < 9e15)
		snprintf(b, sizeof(b), "%.0f", round(v) == 0 ? 0.0 : round(v));
	else
		snprintf(b, sizeof(b), "%.3f", v);
	puts_(w, b);
}

void jw_kdouble(struct jw *w, const char *k, double v)
{
	jw_key(w, k);
	jw_double(w, v);
}

void jw_kseconds(struct jw *w, const char *k, double v)
{
	char b[64];

	jw_key(w, k);
	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	sep(w);
	snprintf(b, sizeof(b), "%.6f", v);
	puts_(w, b);
}

void jw_arr_begin(struct jw *w)
{
	sep(w);
	put(w, "[", 1);
	w->depth++;
	w->need_comma = false;
}

void jw_arr_end(struct jw *w)
{
	put(w, "]", 1);
	w->depth--;
	w->need_comma = true;
}
