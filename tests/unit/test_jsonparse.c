// SPDX-License-Identifier: GPL-2.0-only
/* The JSON reader: what the writer writes reads back the same; malformed text is an error at its offset. */
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "lib/json_reader.h"

static void test_round_trip(void)
{
	const char *text = "{\"seq\": 3, \"time\": 1.500, \"totals\": {\"sites\": 100, \"effectiveness\": null, "
			   "\"missed\": {\"pending\": 7}}, \"groups\": [{\"key\": \"42\", \"pids\": [42, 43], "
			   "\"comm\": \"q\\\"v\\\\m\\u00e9\"}], \"ok\": true, \"no\": false, \"neg\": -2.250}";
	size_t off;
	const char *err;
	struct jv *v = jv_parse(text, strlen(text), &off, &err);
	struct jw w;

	CHECK(v != NULL);
	if (!v)
		return;
	CHECK(jv_num(v, "seq", -1) == 3);
	CHECK(jv_num(jv_get(v, "totals"), "sites", -1) == 100);
	CHECK(jv_get(jv_get(v, "totals"), "effectiveness")->type == JV_NULL);
	CHECK(jv_get(v, "groups")->n == 1);
	CHECK_STR(jv_get(jv_get(v, "groups")->items[0], "comm")->str, "q\"v\\m\xc3\xa9");
	CHECK(jv_get(v, "ok")->b && !jv_get(v, "no")->b);
	CHECK(jv_num(v, "missing", 9) == 9);
	/* written back by the writer: the same text (the writer escapes only what it must) */
	jw_init(&w);
	jv_write(&w, v);
	CHECK_STR(w.b.buf, "{\"seq\": 3, \"time\": 1.500, \"totals\": {\"sites\": 100, \"effectiveness\": null, "
			   "\"missed\": {\"pending\": 7}}, \"groups\": [{\"key\": \"42\", \"pids\": [42, 43], "
			   "\"comm\": \"q\\\"v\\\\m\xc3\xa9\"}], \"ok\": true, \"no\": false, \"neg\": -2.250}");
	jw_free(&w);
	jv_free(v);
}

static void bad(const char *text, size_t want_off, const char *want_err)
{
	size_t off = 999;
	const char *err = NULL;
	struct jv *v = jv_parse(text, strlen(text), &off, &err);

	CHECK(v == NULL);
	jv_free(v);
	CHECK_U64(off, want_off);
	CHECK_STR(err, want_err);
}

static void test_errors(void)
{
	bad("", 0, "unexpected end");
	bad("{\"a\" 1}", 5, "expected ':'");
	bad("[1, 2", 5, "expected ',' or ']'");
	bad("{\"a\": 1} x", 9, "trailing characters");
	bad("\"abc", 4, "unterminated string");
	bad("\"a\\u12\"", 4, "bad \\u escape");
	bad("\"\\ud800\"", 7, "lone surrogate");
	bad("\"\\u0000\"", 7, "NUL in a string");
	bad("tru", 0, "unexpected character");
	bad("-", 1, "bad number");
	bad("[01x]", 3, "expected ',' or ']'");
	{
		char deep[200];

		memset(deep, '[', 100);
		deep[100] = '\0';
		bad(deep, 65, "nested too deep");
	}
}

static void test_surrogate_pair(void)
{
	size_t off;
	const char *err;
	struct jv *v = jv_parse("\"\\ud83d\\ude00\"", 14, &off, &err);

	CHECK(v && !strcmp(v->str, "\xf0\x9f\x98\x80"));
	jv_free(v);
}

int main(void)
{
	RUN(test_round_trip);
	RUN(test_errors);
	RUN(test_surrogate_pair);
	RESULT();
}
