/* SPDX-License-Identifier: GPL-2.0-only */
/* A tiny JSON writer into a growable buffer: one object per line for JSON Lines. */
#ifndef KSMSCOPE_LIB_JSON_WRITER_H
#define KSMSCOPE_LIB_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/util.h"

struct jw {
	struct sbuf b;
	int depth;
	bool need_comma;
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
void jw_reset(struct jw *w);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n); /* at most n bytes, stops at NUL */
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_hex(struct jw *w, uint64_t v); /* "0x..." as a string */
/* Integral values as integers, others with 3 decimals, NaN/inf as null. */
void jw_double(struct jw *w, double v);
void jw_null(struct jw *w);
/* key + value shorthands */
void jw_kstr(struct jw *w, const char *k, const char *v);
void jw_ku64(struct jw *w, const char *k, uint64_t v);
void jw_ki64(struct jw *w, const char *k, int64_t v);
void jw_kbool(struct jw *w, const char *k, bool v);
void jw_kdouble(struct jw *w, const char *k, double v);
/* A duration to the microsecond (jw_double keeps three decimals). */
void jw_kseconds(struct jw *w, const char *k, double v);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
/* Write the buffer plus '\n' to f and flush. Returns 0 or -1 (EPIPE etc.). */
int jw_emit_line(struct jw *w, FILE *f);

#endif
