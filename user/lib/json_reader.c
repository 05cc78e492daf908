// SPDX-License-Identifier: GPL-2.0-only
#include "lib/json_reader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct parser {
	const char *s;
	size_t len, i;
	const char *err;
};

static void ws(struct parser *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static struct jv *node(struct parser *p, enum jv_type t)
{
	struct jv *v = calloc(1, sizeof(*v));

	if (!v)
		p->err = "out of memory";
	else
		v->type = t;
	return v;
}

static int put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int hex4(struct parser *p, unsigned *cp)
{
	*cp = 0;
	if (p->len - p->i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = p->s[p->i++];

		*cp <<= 4;
		if (c >= '0' && c <= '9')
			*cp |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*cp |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*cp |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* At the opening quote. A new string, or NULL with p->err. */
static char *string(struct parser *p)
{
	size_t cap = 16, n = 0;
	char *out = malloc(cap);

	if (!out) {
		p->err = "out of memory";
		return NULL;
	}
	p->i++; /* the quote */
	for (;;) {
		unsigned char c;

		if (GROW(out, cap, n + 5, 16)) {
			p->err = "out of memory";
			goto bad;
		}
		if (p->i >= p->len) {
			p->err = "unterminated string";
			goto bad;
		}
		c = (unsigned char)p->s[p->i++];
		if (c == '"')
			break;
		if (c < 0x20) {
			p->err = "control character in a string";
			goto bad;
		}
		if (c != '\\') {
			out[n++] = (char)c;
			continue;
		}
		if (p->i >= p->len) {
			p->err = "unterminated string";
			goto bad;
		}
		c = (unsigned char)p->s[p->i++];
		switch (c) {
		case '"': case '\\': case '/':
			out[n++] = (char)c;
			break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u': {
			unsigned cp;

			if (hex4(p, &cp)) {
				p->err = "bad \\u escape";
				goto bad;
			}
			if (cp >= 0xd800 && cp < 0xdc00) {
				unsigned lo;

				if (p->len - p->i < 6 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u') {
					p->err = "lone surrogate";
					goto bad;
				}
				p->i += 2;
				if (hex4(p, &lo) || lo < 0xdc00 || lo > 0xdfff) {
					p->err = "lone surrogate";
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				p->err = "lone surrogate";
				goto bad;
			}
			if (cp == 0) {
				p->err = "NUL in a string";
				goto bad;
			}
			n += (size_t)put_utf8(out + n, cp);
			break;
		}
		default:
			p->err = "bad escape";
			goto bad;
		}
	}
	out[n] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static struct jv *value(struct parser *p, int depth);

static int push(struct parser *p, struct jv *v, char *key, struct jv *item)
{
	size_t ci = v->cap, ck = v->cap; /* keys grow beside items: the same capacity */

	if (GROW(v->items, ci, v->n + 1, 4) || (v->type == JV_OBJ && GROW(v->keys, ck, v->n + 1, 4))) {
		p->err = "out of memory";
		return -1;
	}
	v->cap = ci;
	if (v->type == JV_OBJ)
		v->keys[v->n] = key;
	v->items[v->n++] = item;
	return 0;
}

static struct jv *container(struct parser *p, int depth, bool obj)
{
	struct jv *v = node(p, obj ? JV_OBJ : JV_ARR);
	char close = obj ? '}' : ']';

	if (!v)
		return NULL;
	p->i++;
	ws(p);
	if (p->i < p->len && p->s[p->i] == close) {
		p->i++;
		return v;
	}
	for (;;) {
		char *key = NULL;
		struct jv *item;

		ws(p);
		if (obj) {
			if (p->i >= p->len || p->s[p->i] != '"') {
				p->err = "expected a key";
				goto bad;
			}
			key = string(p);
			if (!key)
				goto bad;
			ws(p);
			if (p->i >= p->len || p->s[p->i] != ':') {
				free(key);
				p->err = "expected ':'";
				goto bad;
			}
			p->i++;
		}
		item = value(p, depth + 1);
		if (!item || push(p, v, key, item)) {
			free(key);
			jv_free(item);
			goto bad;
		}
		ws(p);
		if (p->i < p->len && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->len && p->s[p->i] == close) {
			p->i++;
			return v;
		}
		p->err = obj ? "expected ',' or '}'" : "expected ',' or ']'";
		goto bad;
	}
bad:
	jv_free(v);
	return NULL;
}

static struct jv *number(struct parser *p)
{
	size_t start = p->i;
	char buf[64], *end;
	struct jv *v;

	if (p->i < p->len && p->s[p->i] == '-')
		p->i++;
	while (p->i < p->len && ((p->s[p->i] >= '0' && p->s[p->i] <= '9') || p->s[p->i] == '.' || p->s[p->i] == 'e' ||
				 p->s[p->i] == 'E' || p->s[p->i] == '+' || p->s[p->i] == '-'))
		p->i++;
	if (p->i == start || p->i - start >= sizeof(buf)) {
		p->err = "bad number";
		return NULL;
	}
	memcpy(buf, p->s + start, p->i - start);
	buf[p->i - start] = '\0';
	v = node(p, JV_NUM);
	if (!v)
		return NULL;
	v->num = strtod(buf, &end);
	if (*end || !(buf[0] == '-' ? buf[1] >= '0' && buf[1] <= '9' : buf[0] >= '0' && buf[0] <= '9')) {
		p->err = "bad number";
		jv_free(v);
		return NULL;
	}
	return v;
}

static bool word(struct parser *p, const char *w)
{
	size_t n = strlen(w);

	if (p->len - p->i < n || memcmp(p->s + p->i, w, n))
		return false;
	p->i += n;
	return true;
}

static struct jv *value(struct parser *p, int depth)
{
	struct jv *v;

	if (depth > JV_MAX_DEPTH) {
		p->err = "nested too deep";
		return NULL;
	}
	ws(p);
	if (p->i >= p->len) {
		p->err = "unexpected end";
		return NULL;
	}
	switch (p->s[p->i]) {
	case '{':
		return container(p, depth, true);
	case '[':
		return container(p, depth, false);
	case '"':
		v = node(p, JV_STR);
		if (v && !(v->str = string(p))) {
			jv_free(v);
			v = NULL;
		}
		return v;
	case 't':
	case 'f':
		if (word(p, "true") || word(p, "false")) {
			v = node(p, JV_BOOL);
			if (v)
				v->b = p->s[p->i - 1] == 'e' && p->s[p->i - 2] == 'u';
			return v;
		}
		break;
	case 'n':
		if (word(p, "null"))
			return node(p, JV_NULL);
		break;
	default:
		return number(p);
	}
	p->err = "unexpected character";
	return NULL;
}

struct jv *jv_parse(const char *text, size_t len, size_t *err_off, const char **err)
{
	struct parser p = { text, len, 0, NULL };
	struct jv *v = value(&p, 0);

	if (v) {
		ws(&p);
		if (p.i != len) {
			p.err = "trailing characters";
			jv_free(v);
			v = NULL;
		}
	}
	if (!v) {
		*err_off = p.i;
		*err = p.err ? p.err : "malformed";
	}
	return v;
}

void jv_free(struct jv *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		jv_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

const struct jv *jv_get(const struct jv *v, const char *key)
{
	if (!v || v->type != JV_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return v->items[i];
	return NULL;
}

double jv_num(const struct jv *v, const char *key, double fallback)
{
	const struct jv *m = jv_get(v, key);

	return m && m->type == JV_NUM ? m->num : fallback;
}

const char *jv_str(const struct jv *v, const char *key, const char *fallback)
{
	const struct jv *m = jv_get(v, key);

	return m && m->type == JV_STR ? m->str : fallback;
}

void jv_write(struct jw *w, const struct jv *v)
{
	switch (v->type) {
	case JV_NULL:
		jw_null(w);
		break;
	case JV_BOOL:
		jw_bool(w, v->b);
		break;
	case JV_NUM:
		jw_double(w, v->num);
		break;
	case JV_STR:
		jw_str(w, v->str);
		break;
	case JV_ARR:
		jw_arr_begin(w);
		for (size_t i = 0; i < v->n; i++)
			jv_write(w, v->items[i]);
		jw_arr_end(w);
		break;
	case JV_OBJ:
		jw_obj_begin(w);
		for (size_t i = 0; i < v->n; i++) {
			jw_key(w, v->keys[i]);
			jv_write(w, v->items[i]);
		}
		jw_obj_end(w);
		break;
	}
}
