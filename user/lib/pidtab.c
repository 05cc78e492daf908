// SPDX-License-Identifier: GPL-2.0-only
#include "lib/pidtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

int pidtab_init(struct pidtab *t, size_t rec_size, size_t hint)
{
	memset(t, 0, sizeof(*t));
	t->size = rec_size < sizeof(uint32_t) ? sizeof(uint32_t) : rec_size;
	return kvtab_init(&t->idx, hint);
}

void pidtab_free(struct pidtab *t)
{
	free(t->v);
	kvtab_free(&t->idx);
	memset(t, 0, sizeof(*t));
}

void *pidtab_get(const struct pidtab *t, uint32_t pid)
{
	const struct kv_slot *k = kvtab_get(&t->idx, pid, 0);

	return k ? pidtab_at(t, k->v1) : NULL;
}

void *pidtab_add(struct pidtab *t, uint32_t pid)
{
	void *r = pidtab_get(t, pid), *v = t->v;

	if (r)
		return r;
	if (grow_array(&v, &t->cap, t->n + 1, t->size, 64))
		return NULL;
	t->v = v;
	if (kvtab_put(&t->idx, pid, 0, t->n, 0))
		return NULL;
	r = pidtab_at(t, t->n++);
	memset(r, 0, t->size);
	memcpy(r, &pid, sizeof(pid));
	return r;
}

bool pidtab_del(struct pidtab *t, uint32_t pid)
{
	const struct kv_slot *k = kvtab_get(&t->idx, pid, 0);
	size_t i, last;
	uint32_t moved;

	if (!k)
		return false;
	i = k->v1;
	last = t->n - 1;
	kvtab_del(&t->idx, pid, 0);
	if (i != last) {
		memcpy(pidtab_at(t, i), pidtab_at(t, last), t->size);
		memcpy(&moved, pidtab_at(t, i), sizeof(moved));
		kvtab_put(&t->idx, moved, 0, i, 0); /* overwrites: cannot fail */
	}
	t->n--;
	return true;
}
