/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Prefix classes: how many pages of a pass share each 64-byte page prefix.
 * Pages with different prefixes cannot hold the same content, so a page alone
 * in its class holds a content no other page has: it needs no full read.
 *
 * A counting set of prefix hashes, one 8-byte slot per class: the hash's high
 * 48 bits name the class, the low 16 bits count its pages (saturating). Two
 * prefixes whose hashes agree in 48 bits share a class; that only makes a page
 * be read that need not be, never a unique page counted twice. Slots are kept
 * under 3/4 full: 11 to 21 bytes per class.
 */
#ifndef KSMSCOPE_SCANNER_PREFIX_CLASSES_H
#define KSMSCOPE_SCANNER_PREFIX_CLASSES_H

#include <stddef.h>
#include <stdint.h>

#define PCLASS_COUNT_BITS 16
#define PCLASS_COUNT_MAX ((1u << PCLASS_COUNT_BITS) - 1)

struct prefix_classes {
	uint64_t *slots; /* 0 = empty */
	size_t mask, count;
};

int pclasses_init(struct prefix_classes *c, size_t hint);
void pclasses_free(struct prefix_classes *c);
/* Forget every class, keeping the memory. */
void pclasses_clear(struct prefix_classes *c);
/* One more page of the class of prefix hash h. 0 or -ENOMEM. */
int pclasses_add(struct prefix_classes *c, uint64_t h);
/* Pages seen in the class of h (0: none, PCLASS_COUNT_MAX: that many or more). */
uint32_t pclasses_count(const struct prefix_classes *c, uint64_t h);
size_t pclasses_bytes(const struct prefix_classes *c);

#endif
