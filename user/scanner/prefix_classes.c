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

int pclasses_init(struct prefix_classes *c, size_t hint)
{
	size_t n = 1024;

	while (n < hint + hint / 2)
		n *= 2;
	c->slots = calloc(n, sizeof(*c->slots));
	c->mask = n - 1;
	c->count = 0;
	return c->slots ? 0 : -ENOMEM;
}

void pclasses_free(struct prefix_classes *c)
{
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

void pclasses_clear(struct prefix_classes *c)
{
	memset(c->slots, 0, (c->mask + 1) * sizeof(*c->slots));
	c->count = 0;
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
	struct prefix_classes n;

	if (pclasses_init(&n, (c->mask + 1) * 2 / 3 * 2))
		return -ENOMEM;
	for (size_t i = 0; i <= c->mask; i++)
		if (c->slots[i])
			*find(&n, c->slots[i] & ID_MASK) = c->slots[i];
	n.count = c->count;
	free(c->slots);
	*c = n;
	return 0;
}

int pclasses_add(struct prefix_classes *c, uint64_t h)
{
	uint64_t id = class_id(h), *s;

	if ((c->count + 1) * 4 > (c->mask + 1) * 3 && grow(c))
		return -ENOMEM;
	s = find(c, id);
	if (!*s) {
		*s = id;
		c->count++;
	}
	if ((*s & PCLASS_COUNT_MAX) < PCLASS_COUNT_MAX)
		(*s)++;
	return 0;
}

uint32_t pclasses_count(const struct prefix_classes *c, uint64_t h)
{
	return (uint32_t)(*find(c, class_id(h)) & PCLASS_COUNT_MAX);
}

size_t pclasses_bytes(const struct prefix_classes *c)
{
	return (c->mask + 1) * sizeof(*c->slots);
}
