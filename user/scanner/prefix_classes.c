// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/prefix_classes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ID_MASK (~(uint64_t)PCLASS_COUNT_MAX)

/* a class id is never 0: 0 marks an empty slot */
static inline uint64_t class_id(uint64_t h)
{
	uint64_t id = h & ID_MASK;

	return id ? id : (uint64_t)1 << PCLASS_COUNT_BITS;
}

/* the id's high bits are its hash's: mix them down for the slot index */
static inline size_t slot_of(uint64_t id, size_t mask)
{
	return (size_t)((id ^ (id >> 29)) * 0x9e3779b97f4a7c15ULL >> 20) & mask;
}

#define LINE_WORDS 8   /* 64 bytes */
#define BITS_PER_PAGE 12
#define PROBES 6

/* one cache line per class, PROBES bits in it, all from the id's mix */
static inline uint64_t mix(uint64_t id)
{
	uint64_t z = id + 0x9e3779b97f4a7c15ULL; /* splitmix64's finalizer */

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int add_gen(struct prefix_classes *c, size_t pages)
{
	size_t n = 1;

	while (n * LINE_WORDS * 64 < pages * BITS_PER_PAGE)
		n *= 2;
	c->seen[c->gens].lines = calloc(n * LINE_WORDS, sizeof(uint64_t));
	if (!c->seen[c->gens].lines)
		return -ENOMEM;
	c->seen[c->gens].nlines = n;
	c->seen[c->gens++].n = 0;
	return 0;
}

/*
 * A class's marks: the line from z; in it, PROBES bits for "seen" and PROBES
 * others for "seen twice", each set from its own mix (independent of the line).
 * "Seen twice" only spares the counting set a lookup for a class seen once: the
 * set is what counts.
 */
enum mark { SEEN, TWICE };

static inline uint64_t mark_bits(uint64_t z, enum mark m)
{
	return mix(m == SEEN ? z : z ^ 0x5bd1e9955bd1e995ULL);
}

static bool gen_has(const struct prefix_classes *c, int g, uint64_t z, enum mark m)
{
	const uint64_t *line = c->seen[g].lines + (z & (c->seen[g].nlines - 1)) * LINE_WORDS;
	uint64_t b = mark_bits(z, m);

	for (int i = 0; i < PROBES; i++) {
		unsigned bit = (unsigned)(b >> (i * 9)) & 511;

		if (!(line[bit / 64] >> (bit % 64) & 1))
			return false;
	}
	return true;
}

static bool marked(const struct prefix_classes *c, uint64_t z, enum mark m)
{
	for (int g = 0; g < c->gens; g++)
		if (gen_has(c, g, z, m))
			return true;
	return false;
}

static int mark(struct prefix_classes *c, uint64_t z, enum mark m)
{
	int g = c->gens - 1;
	uint64_t *line, b;

	/* full at its design size: a new filter twice as big takes the next classes */
	if (m == SEEN && c->seen[g].n * BITS_PER_PAGE >= c->seen[g].nlines * LINE_WORDS * 64 && c->gens < PCLASS_GENS) {
		if (add_gen(c, c->seen[g].nlines * LINE_WORDS * 64 * 2 / BITS_PER_PAGE))
			return -ENOMEM;
		g++;
	}
	line = c->seen[g].lines + (z & (c->seen[g].nlines - 1)) * LINE_WORDS;
	b = mark_bits(z, m);
	for (int i = 0; i < PROBES; i++) {
		unsigned bit = (unsigned)(b >> (i * 9)) & 511;

		line[bit / 64] |= (uint64_t)1 << (bit % 64);
	}
	c->seen[g].n += m == SEEN;
	return 0;
}

static int table_init(struct prefix_classes *c, size_t classes)
{
	size_t n = 1024;

	while (n < classes + classes / 2)
		n *= 2;
	c->slots = calloc(n, sizeof(*c->slots));
	c->mask = n - 1;
	c->count = 0;
	return c->slots ? 0 : -ENOMEM;
}

int pclasses_init(struct prefix_classes *c, size_t hint, bool counts)
{
	memset(c, 0, sizeof(*c));
	if ((counts && table_init(c, 0)) || add_gen(c, hint > 1024 ? hint : 1024)) {
		pclasses_free(c);
		return -ENOMEM;
	}
	return 0;
}

void pclasses_free(struct prefix_classes *c)
{
	free(c->slots);
	for (int g = 0; g < c->gens; g++)
		free(c->seen[g].lines);
	memset(c, 0, sizeof(*c));
}

void pclasses_clear(struct prefix_classes *c)
{
	if (c->slots)
		memset(c->slots, 0, (c->mask + 1) * sizeof(*c->slots));
	c->count = 0;
	for (int g = 0; g < c->gens; g++) {
		memset(c->seen[g].lines, 0, c->seen[g].nlines * LINE_WORDS * sizeof(uint64_t));
		c->seen[g].n = 0;
	}
}

static uint64_t *find(const struct prefix_classes *c, uint64_t id)
{
	size_t i = slot_of(id, c->mask);

	while (c->slots[i] && (c->slots[i] & ID_MASK) != id)
		i = (i + 1) & c->mask;
	return &c->slots[i];
}

static int grow(struct prefix_classes *c)
{
	struct prefix_classes n = { 0 };

	if (table_init(&n, (c->mask + 1) * 2 / 3 * 2))
		return -ENOMEM;
	for (size_t i = 0; i <= c->mask; i++)
		if (c->slots[i])
			*find(&n, c->slots[i] & ID_MASK) = c->slots[i];
	free(c->slots);
	c->slots = n.slots;
	c->mask = n.mask;
	return 0;
}

int pclasses_add(struct prefix_classes *c, uint64_t h)
{
	uint64_t id = class_id(h), z = mix(id), *s;

	if (!marked(c, z, SEEN))
		return mark(c, z, SEEN); /* its first page: one cache line, no slot */
	if (!c->slots) /* no counts: seen twice is all there is to know */
		return marked(c, z, TWICE) ? 0 : mark(c, z, TWICE);
	if ((c->count + 1) * 4 > (c->mask + 1) * 3 && grow(c))
		return -ENOMEM;
	s = find(c, id);
	if (*s) {
		if ((*s & PCLASS_COUNT_MAX) < PCLASS_COUNT_MAX)
			(*s)++;
		return 0;
	}
	/* its second page: into the counting set */
	*s = id | 2;
	c->count++;
	return mark(c, z, TWICE);
}

void pclasses_prefetch(const struct prefix_classes *c, uint64_t h)
{
	uint64_t id = class_id(h), z = mix(id);

	for (int g = 0; g < c->gens; g++)
		__builtin_prefetch(c->seen[g].lines + (z & (c->seen[g].nlines - 1)) * LINE_WORDS);
	if (c->slots) /* counting: a class seen twice is looked up there too */
		__builtin_prefetch(&c->slots[slot_of(id, c->mask)]);
}

uint32_t pclasses_count(const struct prefix_classes *c, uint64_t h)
{
	uint64_t id = class_id(h), z = mix(id), s;

	if (!marked(c, z, SEEN))
		return 0;
	if (!marked(c, z, TWICE))
		return 1; /* the same line said it: no slot to look up */
	if (!c->slots)
		return 2;
	s = *find(c, id);
	return s ? (uint32_t)(s & PCLASS_COUNT_MAX) : 1;
}

size_t pclasses_bytes(const struct prefix_classes *c)
{
	size_t b = c->slots ? (c->mask + 1) * sizeof(*c->slots) : 0;

	for (int g = 0; g < c->gens; g++)
		b += c->seen[g].nlines * LINE_WORDS * sizeof(uint64_t);
	return b;
}
