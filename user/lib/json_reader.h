/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small JSON reader for what ksmscope itself writes (recording blocks): the
 * whole text into a tree, with bounded depth. Untrusted input is fine: every
 * malformed text is an error with its offset, never a crash (fuzzed).
 */
#ifndef KSMSCOPE_LIB_JSON_READER_H
#define KSMSCOPE_LIB_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/json_writer.h"

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
	enum jv_type type;
	bool b;
	double num;
	char *str;          /* JV_STR: unescaped, NUL-terminated (embedded NULs are refused) */
	char **keys;        /* JV_OBJ: one per item */
	struct jv **items;  /* JV_ARR, JV_OBJ */
	size_t n, cap;      /* items (and keys) allocated: cap */
};

#define JV_MAX_DEPTH 64

/* Parse text[0..len). NULL on error, with *err_off and a static message in *err. */
struct jv *jv_parse(const char *text, size_t len, size_t *err_off, const char **err);
void jv_free(struct jv *v);

/* Member of an object by key (NULL if v is not an object or has none). */
const struct jv *jv_get(const struct jv *v, const char *key);
/* A number member, or fallback. */
double jv_num(const struct jv *v, const char *key, double fallback);
/* A string member, or fallback. */
const char *jv_str(const struct jv *v, const char *key, const char *fallback);
/* Write v with the JSON writer (numbers as jw_double writes them). */
void jv_write(struct jw *w, const struct jv *v);

#endif
