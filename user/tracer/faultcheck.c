// SPDX-License-Identifier: GPL-2.0-only
#include "tracer/faultcheck.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/util.h"
#include "scanner/ksmflag.h"
#include "sys/pagemap.h"

enum fc_verdict faultcheck_judge(const struct tracker *t, int kpf_fd, const struct ks_event *e)
{
	const struct kv_slot *s = kvtab_get(&t->sites, e->pid, e->addr);
	uint64_t pm = 0, pfn, fl = 0;
	int fd;
	bool read;

	if (!s)
		return FC_DROP;
	fd = pagemap_open((pid_t)e->pid);
	if (fd < 0)
		return FC_DROP; /* the process is gone */
	read = pagemap_read(fd, e->addr, 1, &pm) == 1;
	close(fd);
	/* not present: swapped or unmapped, which are not writes */
	if (!read || !(pm & PM_PRESENT) || !(pfn = pm & PM_PFN_MASK))
		return FC_DROP;
	if (!(s->v2 & TRACKER_SITE_ZERO) && pfn == s->v1)
		return FC_WAIT;
	if (ksmflag_kpageflags(kpf_fd, &pfn, 1, &fl))
		return FC_DROP;
	if (s->v2 & TRACKER_SITE_ZERO)
		return kpf_has(fl, KPF_ZERO_PAGE) ? FC_WAIT : FC_BREAK;
	/* another KSM page: KSM moved it (migration) or merged it again, no write */
	return kpf_has(fl, KPF_KSM) ? FC_DROP : FC_BREAK;
}

int faultcheck_hold(struct faultcheck *f, const struct ks_event *e, uint64_t until)
{
	if (GROW(f->v, f->cap, f->n + 1, 16))
		return -ENOMEM;
	f->v[f->n++] = (struct fc_held){ *e, until };
	return 0;
}

void faultcheck_recheck(struct faultcheck *f, const struct tracker *t, int kpf_fd, uint64_t now, bool final,
			void (*deliver)(void *ctx, struct ks_event *e), void *ctx)
{
	size_t k = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct fc_held h = f->v[i];
		enum fc_verdict v = faultcheck_judge(t, kpf_fd, &h.e);

		if (v == FC_BREAK) {
			h.e.flags &= ~KS_F_UNCONFIRMED;
			deliver(ctx, &h.e);
		} else if (v == FC_WAIT && !final && now < h.until) {
			f->v[k++] = h;
		}
	}
	f->n = k;
}

void faultcheck_free(struct faultcheck *f)
{
	free(f->v);
	*f = (struct faultcheck){ 0 };
}
