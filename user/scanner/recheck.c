// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/recheck.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/proc.h"

struct place {
	uint64_t addr;
	uint32_t pid;
	size_t i;
};

/* By process, then address: each /proc/PID/mem opened once, read forward. */
static int by_place(const void *x, const void *y)
{
	const struct place *a = x, *b = y;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

int recheck_sites(const struct dupsites *d, const struct hasher *h, bool subpage, volatile sig_atomic_t *stop,
		  bool *changed, struct recheck_counts *c)
{
	struct place *order = malloc((d->n ? d->n : 1) * sizeof(*order));
	void *page = NULL;
	uint32_t pid = 0;
	int fd = -1, err = 0;

	memset(c, 0, sizeof(*c));
	if (!order || posix_memalign(&page, 4096, 4096)) {
		free(order);
		return -ENOMEM;
	}
	for (size_t i = 0; i < d->n; i++) {
		order[i] = (struct place){ d->v[i].addr, d->v[i].pid, i };
		changed[i] = false;
	}
	qsort(order, d->n, sizeof(*order), by_place);
	for (size_t k = 0; k < d->n; k++) {
		const struct dupsite *s = &d->v[order[k].i];
		uint64_t hash;

		if (stop && *stop) {
			err = -EINTR;
			break;
		}
		if (k == 0 || s->pid != pid) {
			if (fd >= 0)
				close(fd);
			pid = s->pid;
			fd = proc_mem_open(pid);
		}
		if (fd < 0 || pread(fd, page, 4096, (off_t)s->addr) != 4096) {
			c->gone++;
			continue;
		}
		c->read++;
		hash = subpage ? hash_page(h, page, NULL) : hash_page_fast(h, page);
		if (hash != s->hash) {
			changed[order[k].i] = true;
			c->changed++;
		}
	}
	if (fd >= 0)
		close(fd);
	free(page);
	free(order);
	return err;
}
