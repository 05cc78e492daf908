/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Prefix classes: how many pages of a pass share each 64-byte page prefix.
 * Pages with different prefixes cannot hold the same content, so a page alone
 * in its class holds a content no other page has: it needs no full read.
 *
 * The hash's high 48 bits name the class. Most classes hold one page, so a
 * class seen once is only a mark in a blocked Bloom filter (12-24 bits a
 * page, one cache line a lookup); a class seen again moves to a counting set, one
 * 8-byte slot per class (48-bit id, 16-bit saturating count), kept under 3/4
 * full, and gets a second mark in its line, so that a class seen once is
 * looked up in its line alone. A Bloom false positive (~1%) counts a first page as a second: its
 * class reads m = 2, so the page is read whole that need not be, or (sampled)
 * is sampled at the probability its decision and its weight both use; never is
 * a page with a twin taken for unique. Two prefixes whose hashes agree in 48
 * bits share a class, with the same effect. When a filter holds more pages
 * than it was sized for, a new one twice its size takes the next ones. An
 * exact scan keeps no counting set: the second mark says "more than one page",
 * all it needs (a false positive there reads a unique page whole).
 */
#ifndef KSMSCOPE_SCANNER_PREFIX_CLASSES_H
#define KSMSCOPE_SCANNER_PREFIX_CLASSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCLASS_COUNT_BITS 16
#define PCLASS_COUNT_MAX ((1u << PCLASS_COUNT_BITS) - 1)

#define PCLASS_GENS 8 /* Bloom filters at most; the last then fills past its size */

struct prefix_classes {
	uint64_t *slots; /* classes seen twice or more; 0 = empty */
	size_t mask, count;
	struct {
		uint64_t *lines; /* 512-bit lines */
		size_t nlines, n; /* n: classes marked in it */
	} seen[PCLASS_GENS];    /* classes seen once */
	int gens;
};

/*
 * For about hint pages (the filter's size; more still work). counts: keep each
 * class's count in the set (sampling needs it); without, a class is known as
 * seen once or more than once, the latter by its second mark alone (an exact
 * scan needs no more), and no set is kept. 0 or -ENOMEM.
 */
int pclasses_init(struct prefix_classes *c, size_t hint, bool counts);
void pclasses_free(struct prefix_classes *c);
/* Forget every class, keeping the memory. */
void pclasses_clear(struct prefix_classes *c);
/* One more page of the class of prefix hash h. 0 or -ENOMEM. */
int pclasses_add(struct prefix_classes *c, uint64_t h);
/* Pages seen in the class of h (0: none, PCLASS_COUNT_MAX: that many or more; without counts, 2: two or more). */
uint32_t pclasses_count(const struct prefix_classes *c, uint64_t h);
/*
 * Start loading the filter line of h's class: a loop over pages calls it a few
 * pages ahead, so that their lines (a cache miss each) load side by side.
 */
void pclasses_prefetch(const struct prefix_classes *c, uint64_t h);
#define PCLASS_AHEAD 8 /* pages ahead */
size_t pclasses_bytes(const struct prefix_classes *c);

/*
 * Sampled scans sample prefix classes, not contents (Horvitz-Thompson): a class
 * of m pages is read whole with probability pi = min(1, (m - 1) / tau) and its
 * exact figures weighted by 1 / pi. A class's saving is at most m - 1, so no
 * term of the estimate exceeds tau, and classes of more than tau pages are
 * always read. m = 0 (a page new since the probe) and 1 read as pi = 1.
 */
static inline double pclass_pi(uint32_t m, double tau)
{
	return m < 2 || (double)(m - 1) >= tau ? 1.0 : (double)(m - 1) / tau;
}

/* Whether the class of prefix hash h is read: the same answer for all its pages. */
static inline bool pclass_sampled(uint64_t h, double pi)
{
	uint64_t z = h + 0x9e3779b97f4a7c15ULL; /* splitmix64: uniform from the class's hash */

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return pi >= 1.0 || (double)(z >> 11) * 0x1.0p-53 < pi;
}

#endif
