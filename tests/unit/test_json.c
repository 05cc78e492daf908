// SPDX-License-Identifier: GPL-2.0-only
/* jw_*: the JSON Lines writer. Every check compares the exact bytes written. */
#include <stdlib.h>

#include "harness.h"
#include "lib/json_writer.h"

static void test_empty_object(void)
{
	struct jw w;

	jw_init(&w);
	CHECK(w.b.buf == NULL);
	CHECK_U64(w.b.len, 0);
	jw_obj_begin(&w);
	jw_obj_end(&w);
	CHECK_STR(w.b.buf, "{}");
	CHECK_U64(w.b.len, 2);
	CHECK_U64(w.depth, 0);
	CHECK(!w.b.oom);
	jw_free(&w);
	CHECK(w.b.buf == NULL);
	CHECK_U64(w.b.cap, 0);
}

static void test_commas(void)
{
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "a", "x");
	jw_ku64(&w, "b", 1);
	jw_ki64(&w, "c", -2);
	jw_kbool(&w, "d", true);
	jw_kbool(&w, "e", false);
	jw_obj_end(&w);
	CHECK_STR(w.b.buf, "{\"a\": \"x\", \"b\": 1, \"c\": -2, \"d\": true, \"e\": false}");
	jw_free(&w);

	/* a single key: no comma at all */
	jw_init(&w);
	jw_obj_begin(&w);
	jw_ku64(&w, "only", 7);
	jw_obj_end(&w);
	CHECK_STR(w.b.buf, "{\"only\": 7}");
	jw_free(&w);

	/* values without keys (array-like use of the separator) */
	jw_init(&w);
	jw_u64(&w, 1);
	jw_u64(&w, 2);
	jw_str(&w, "s");
	CHECK_STR(w.b.buf, "1, 2, \"s\"");
	jw_free(&w);
}

static void test_nested(void)
{
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "event", "x");
	jw_key(&w, "inner");
	jw_obj_begin(&w);
	CHECK_U64(w.depth, 2);
	jw_ku64(&w, "a", 1);
	jw_key(&w, "deeper");
	jw_obj_begin(&w);
	jw_obj_end(&w);
	jw_ku64(&w, "b", 2);
	jw_obj_end(&w);
	jw_ku64(&w, "after", 3);
	jw_key(&w, "empty");
	jw_obj_begin(&w);
	jw_obj_end(&w);
	jw_obj_end(&w);
	CHECK_U64(w.depth, 0);
	CHECK_STR(w.b.buf, "{\"event\": \"x\", \"inner\": {\"a\": 1, \"deeper\": {}, \"b\": 2}, "
			 "\"after\": 3, \"empty\": {}}");
	jw_free(&w);

	/* nested object as the first member */
	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "o");
	jw_obj_begin(&w);
	jw_kstr(&w, "k", "v");
	jw_obj_end(&w);
	jw_obj_end(&w);
	CHECK_STR(w.b.buf, "{\"o\": {\"k\": \"v\"}}");
	jw_free(&w);
}

static void test_escaping(void)
{
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "q", "a\"b");
	jw_kstr(&w, "bs", "c\\d");
	jw_kstr(&w, "both", "\\\"");
	jw_kstr(&w, "ctl", "\x01\t\n\r\x1f");
	jw_kstr(&w, "del", "x\x7fy");
	jw_kstr(&w, "sp", " ~/");
	jw_kstr(&w, "", "");
	jw_obj_end(&w);
	CHECK_STR(w.b.buf, "{\"q\": \"a\\\"b\", \"bs\": \"c\\\\d\", \"both\": \"\\\\\\\"\", "
			 "\"ctl\": \"\\u0001\\u0009\\u000a\\u000d\\u001f\", "
			 "\"del\": \"x\\u007fy\", \"sp\": \" ~/\", \"\": \"\"}");
	jw_free(&w);

	/* keys are escaped the same way */
	jw_init(&w);
	jw_obj_begin(&w);
	jw_ku64(&w, "k\"\x02", 1);
	jw_obj_end(&w);
	CHECK_STR(w.b.buf, "{\"k\\\"\\u0002\": 1}");
	jw_free(&w);
}

static void test_utf8(void)
{
	struct jw w;

	/* valid UTF-8 passes through unchanged */
	jw_init(&w);
	jw_str(&w, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
	CHECK_STR(w.b.buf, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
	jw_free(&w);

	/*
	 * Bytes that are not UTF-8 (a comm is any bytes, and the kernel cuts it at 15 bytes,
	 * possibly inside a character) are escaped byte by byte, so every line stays UTF-8.
	 */
	jw_init(&w);
	jw_str(&w, "\xff\xfe");
	CHECK_STR(w.b.buf, "\"\\u00ff\\u00fe\"");
	jw_reset(&w);
	jw_str(&w, "ab\xc3"); /* truncated two-byte character */
	CHECK_STR(w.b.buf, "\"ab\\u00c3\"");
	jw_reset(&w);
	jw_str(&w, "\xe2\x82"); /* truncated three-byte character */
	CHECK_STR(w.b.buf, "\"\\u00e2\\u0082\"");
	jw_reset(&w);
	jw_str(&w, "\xc0\xaf"); /* overlong '/' */
	CHECK_STR(w.b.buf, "\"\\u00c0\\u00af\"");
	jw_reset(&w);
	jw_str(&w, "\xed\xa0\x80"); /* UTF-16 surrogate */
	CHECK_STR(w.b.buf, "\"\\u00ed\\u00a0\\u0080\"");
	jw_reset(&w);
	jw_str(&w, "\xf4\x90\x80\x80"); /* above U+10FFFF */
	CHECK_STR(w.b.buf, "\"\\u00f4\\u0090\\u0080\\u0080\"");
	jw_reset(&w);
	jw_str(&w, "\x80x"); /* lone continuation byte */
	CHECK_STR(w.b.buf, "\"\\u0080x\"");
	jw_reset(&w);
	/* a character cut by the byte limit of jw_strn is not valid either */
	jw_strn(&w, "a\xc3\xa9", 2);
	CHECK_STR(w.b.buf, "\"a\\u00c3\"");
	jw_reset(&w);
	jw_strn(&w, "a\xc3\xa9", 3);
	CHECK_STR(w.b.buf, "\"a\xc3\xa9\"");
	jw_free(&w);
}

/* Strict UTF-8 check written independently of lib/json_writer.c: decode, then reject what RFC 3629 forbids. */
static int valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], len, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (!len || i + len > n)
			return 0;
		cp = c & (0x7f >> len);
		for (unsigned k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < (len == 2 ? 0x80u : len == 3 ? 0x800u : 0x10000u) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* Undo the writer's escaping (\u00XX is one byte XX): must give back the input bytes. */
static size_t unescape(const char *q, char *out)
{
	size_t n = 0;

	if (*q++ != '"')
		return (size_t)-1;
	while (*q && *q != '"') {
		if (*q == '\\') {
			q++;
			if (*q == 'u') {
				unsigned v;

				if (strncmp(q + 1, "00", 2) || sscanf(q + 3, "%2x", &v) != 1)
					return (size_t)-1;
				out[n++] = (char)v;
				q += 5;
			} else {
				out[n++] = *q++;
			}
		} else {
			out[n++] = *q++;
		}
	}
	if (*q != '"' || q[1])
		return (size_t)-1;
	return n;
}

static void test_random_bytes_roundtrip(void)
{
	struct jw w;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int bad_utf8 = 0, bad_trip = 0, raw_ctl = 0;

	jw_init(&w);
	for (int iter = 0; iter < 20000; iter++) {
		char in[16], back[200];
		size_t len = 0, got;

		for (int i = 0; i < 16; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* mostly high bytes, some ASCII/quotes/control, rare NUL */
			in[i] = (char)((x & 3) ? 0x80 | (x >> 8 & 0x7f) : (x >> 8 & 0xff));
		}
		while (len < 16 && in[len])
			len++;
		jw_reset(&w);
		jw_strn(&w, in, sizeof(in));
		if (!valid_utf8((const unsigned char *)w.b.buf, w.b.len))
			bad_utf8++;
		for (size_t i = 0; i < w.b.len; i++)
			if ((unsigned char)w.b.buf[i] < 0x20 || w.b.buf[i] == 0x7f)
				raw_ctl++;
		got = unescape(w.b.buf, back);
		if (got != len || memcmp(back, in, len))
			bad_trip++;
	}
	CHECK_U64(bad_utf8, 0);
	CHECK_U64(raw_ctl, 0);
	CHECK_U64(bad_trip, 0);
	/* the checker itself rejects what it must */
	CHECK(!valid_utf8((const unsigned char *)"\xff", 1));
	CHECK(!valid_utf8((const unsigned char *)"\xed\xa0\x80", 3));
	CHECK(!valid_utf8((const unsigned char *)"\xc1\xbf", 2));
	CHECK(valid_utf8((const unsigned char *)"\xc3\xa9", 2));
	jw_free(&w);
}

static void test_strn(void)
{
	struct jw w;
	char comm[16];

	jw_init(&w);
	jw_strn(&w, "abcdef", 3);
	CHECK_STR(w.b.buf, "\"abc\"");
	jw_reset(&w);
	jw_strn(&w, "ab\0cd", 5); /* stops at NUL */
	CHECK_STR(w.b.buf, "\"ab\"");
	jw_reset(&w);
	jw_strn(&w, "abc", 0);
	CHECK_STR(w.b.buf, "\"\"");
	jw_reset(&w);
	jw_strn(&w, "", 10);
	CHECK_STR(w.b.buf, "\"\"");
	jw_reset(&w);
	/* exactly 16 bytes, no terminator: must not read past the array (ASan) */
	memcpy(comm, "0123456789abcdef", 16);
	jw_strn(&w, comm, sizeof(comm));
	CHECK_STR(w.b.buf, "\"0123456789abcdef\"");
	jw_reset(&w);
	/* escapes count input bytes, not output bytes */
	jw_strn(&w, "\"\"\"\"", 2);
	CHECK_STR(w.b.buf, "\"\\\"\\\"\"");
	jw_free(&w);
}

static void test_numbers(void)
{
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_ki64(&w, "neg", -1);
	jw_ki64(&w, "min", INT64_MIN);
	jw_ki64(&w, "max", INT64_MAX);
	jw_ki64(&w, "zero", 0);
	jw_ku64(&w, "umax", UINT64_MAX);
	jw_ku64(&w, "u0", 0);
	jw_obj_end(&w);
	CHECK_STR(w.b.buf, "{\"neg\": -1, \"min\": -9223372036854775808, \"max\": 9223372036854775807, "
			 "\"zero\": 0, \"umax\": 18446744073709551615, \"u0\": 0}");
	jw_free(&w);
}

static void test_hex(void)
{
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "a");
	jw_hex(&w, 0x7f0000001000ULL);
	jw_key(&w, "z");
	jw_hex(&w, 0);
	jw_key(&w, "m");
	jw_hex(&w, UINT64_MAX);
	jw_key(&w, "l");
	jw_hex(&w, 0xABCDEF);
	jw_obj_end(&w);
	CHECK_STR(w.b.buf, "{\"a\": \"0x7f0000001000\", \"z\": \"0x0\", \"m\": \"0xffffffffffffffff\", "
			 "\"l\": \"0xabcdef\"}");
	jw_free(&w);
}

static void test_reset_and_growth(void)
{
	struct jw w;
	char *big = malloc(10001), *want = malloc(10004);
	char *cap_before;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_ku64(&w, "a", 1);
	jw_obj_end(&w);
	cap_before = w.b.buf;
	jw_reset(&w);
	CHECK_U64(w.b.len, 0);
	CHECK_STR(w.b.buf, "");
	CHECK(w.b.buf == cap_before); /* the buffer is kept */
	/* reset clears the pending comma and depth */
	jw_obj_begin(&w);
	jw_ku64(&w, "b", 2);
	jw_obj_end(&w);
	CHECK_STR(w.b.buf, "{\"b\": 2}");
	CHECK_U64(w.depth, 0);
	jw_reset(&w);

	/* a string far beyond the initial 256 bytes */
	memset(big, 'x', 10000);
	big[10000] = '\0';
	want[0] = '"';
	memcpy(want + 1, big, 10000);
	want[10001] = '"';
	want[10002] = '\0';
	jw_str(&w, big);
	CHECK_STR(w.b.buf, want);
	CHECK_U64(w.b.len, 10002);
	CHECK(w.b.cap >= 10003);
	CHECK(!w.b.oom);
	jw_free(&w);

	/* reset on a never-used writer is harmless */
	jw_init(&w);
	jw_reset(&w);
	CHECK(w.b.buf == NULL);
	jw_free(&w);
	free(big);
	free(want);
}

static void test_emit_line(void)
{
	struct jw w;
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	FILE *full;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_ku64(&w, "a", 1);
	jw_obj_end(&w);
	CHECK_U64(jw_emit_line(&w, f), 0);
	jw_reset(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "b", "x");
	jw_obj_end(&w);
	CHECK_U64(jw_emit_line(&w, f), 0);
	fclose(f);
	CHECK_STR(out, "{\"a\": 1}\n{\"b\": \"x\"}\n");
	free(out);

	/* a write error is reported (EPIPE, ENOSPC, ...) */
	full = fopen("/dev/full", "w");
	CHECK(full != NULL);
	if (full) {
		CHECK(jw_emit_line(&w, full) == -1);
		fclose(full);
	}

	/* an out-of-memory writer emits nothing */
	out = NULL;
	f = open_memstream(&out, &n);
	w.b.oom = true;
	CHECK(jw_emit_line(&w, f) == -1);
	fclose(f);
	CHECK_STR(out, "");
	free(out);
	jw_free(&w);
}

static void test_double_null(void)
{
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_kdouble(&w, "one", 1.0);
	jw_kdouble(&w, "half", 0.5);
	jw_kdouble(&w, "neg", -1.25);
	jw_kdouble(&w, "negzero", -0.0);
	jw_kdouble(&w, "noise", 2.9999999999); /* a sum of shares that stands for 3 */
	jw_kdouble(&w, "tiny", -1e-9);
	jw_kdouble(&w, "third", 1.0 / 3);
	jw_kdouble(&w, "big", 4294967296.0);
	jw_kdouble(&w, "nan", 0.0 / 0.0);
	jw_kdouble(&w, "inf", 1.0 / 0.0);
	jw_kdouble(&w, "ninf", -1.0 / 0.0);
	jw_key(&w, "null");
	jw_null(&w);
	jw_obj_end(&w);
	CHECK_STR(w.b.buf, "{\"one\": 1, \"half\": 0.500, \"neg\": -1.250, \"negzero\": 0, "
			 "\"noise\": 3, \"tiny\": 0, \"third\": 0.333, \"big\": 4294967296, "
			 "\"nan\": null, \"inf\": null, \"ninf\": null, \"null\": null}");
	jw_free(&w);
}

static void test_arrays(void)
{
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "a");
	jw_arr_begin(&w);
	jw_u64(&w, 1);
	jw_str(&w, "two");
	jw_obj_begin(&w);
	jw_ku64(&w, "k", 3);
	jw_obj_end(&w);
	jw_arr_begin(&w);
	jw_arr_end(&w);
	jw_null(&w);
	jw_arr_end(&w);
	jw_key(&w, "empty");
	jw_arr_begin(&w);
	jw_arr_end(&w);
	jw_ku64(&w, "after", 4);
	jw_obj_end(&w);
	CHECK_STR(w.b.buf, "{\"a\": [1, \"two\", {\"k\": 3}, [], null], \"empty\": [], \"after\": 4}");
	CHECK_U64(w.depth, 0);
	jw_free(&w);
}

int main(void)
{
	RUN(test_empty_object);
	RUN(test_commas);
	RUN(test_nested);
	RUN(test_escaping);
	RUN(test_utf8);
	RUN(test_random_bytes_roundtrip);
	RUN(test_strn);
	RUN(test_numbers);
	RUN(test_hex);
	RUN(test_double_null);
	RUN(test_arrays);
	RUN(test_reset_and_growth);
	RUN(test_emit_line);
	RESULT();
}
