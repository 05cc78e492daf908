/* SPDX-License-Identifier: GPL-2.0-only */
/* Minimal unit-test harness: checks count, never abort; the last line is "RESULT pass fail". */
#ifndef KSMSCOPE_HARNESS_H
#define KSMSCOPE_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;

/* xorshift64: the same pseudo-random sequence on every run */
static uint64_t t_rng = 0x243f6a8885a308d3ULL;

static inline uint64_t t_rnd(void)
{
	t_rng ^= t_rng << 13;
	t_rng ^= t_rng >> 7;
	t_rng ^= t_rng << 17;
	return t_rng;
}

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (cond) {                                                              \
			t_pass++;                                                        \
		} else {                                                                 \
			t_fail++;                                                        \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
		}                                                                        \
	} while (0)

#define CHECK_U64(a, b)                                                                          \
	do {                                                                                     \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                 \
		if (a_ == b_) {                                                                  \
			t_pass++;                                                                \
		} else {                                                                         \
			t_fail++;                                                                \
			fprintf(stderr, "FAIL %s:%d: %s == %s: %" PRIu64 " != %" PRIu64 "\n",    \
				__FILE__, __LINE__, #a, #b, a_, b_);                             \
		}                                                                                \
	} while (0)

#define CHECK_STR(a, b)                                                                          \
	do {                                                                                     \
		const char *a_ = (a), *b_ = (b);                                                 \
		if (a_ && b_ && !strcmp(a_, b_)) {                                               \
			t_pass++;                                                                \
		} else {                                                                         \
			t_fail++;                                                                \
			fprintf(stderr, "FAIL %s:%d: %s == %s:\n  got  %s\n  want %s\n", __FILE__, \
				__LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");       \
		}                                                                                \
	} while (0)

#define RUN(fn)                                     \
	do {                                        \
		int f0_ = t_fail;                   \
		fn();                               \
		printf("%s - %s\n", t_fail == f0_ ? "ok" : "FAIL", #fn); \
	} while (0)

#define RESULT()                                           \
	do {                                               \
		printf("RESULT %d %d\n", t_pass, t_fail);  \
		return t_fail ? 1 : 0;                     \
	} while (0)

#endif
