// SPDX-License-Identifier: GPL-2.0-only
#include "tracer/tracker.h"

#define SITE_ZERO TRACKER_SITE_ZERO

static const char *const names[OUT__MAX] = {
	[OUT_MERGE] = "merge",
	[OUT_ZERO_MERGE] = "zero_merge",
	[OUT_KSM_PAGE_FREED] = "ksm_page_freed",
	[OUT_RMAP_REMOVED] = "rmap_removed",
	[OUT_SCAN_START] = "scan_start",
	[OUT_SCAN_STOP] = "scan_stop",
	[OUT_KSM_ENTER] = "ksm_enter",
	[OUT_KSM_EXIT] = "ksm_exit",
	[OUT_UNMERGE] = "unmerge",
};

const char *out_kind_name(enum out_kind k)
{
	return k > OUT_NONE && k < OUT__MAX ? names[k] : "none";
}

int tracker_init(struct tracker *t)
{
	*t = (struct tracker){ 0 };
	if (kvtab_init(&t->sites, 4096))
		return -1;
	if (kvtab_init(&t->freed, 256)) {
		kvtab_free(&t->sites);
		return -1;
	}
	return 0;
}

void tracker_free(struct tracker *t)
{
	kvtab_free(&t->sites);
	kvtab_free(&t->freed);
}

int tracker_add_site(struct tracker *t, uint32_t pid, uint64_t addr, uint64_t pfn, bool zero)
{
	return kvtab_put(&t->sites, pid, addr, pfn, ++t->gen | (zero ? SITE_ZERO : 0));
}

void tracker_forget_pid(struct tracker *t, uint32_t pid)
{
	kvtab_del_k1(&t->sites, pid);
}

size_t tracker_sites(const struct tracker *t)
{
	return t->sites.count;
}

static struct decision on_fault(struct tracker *t, const struct ks_event *e)
{
	struct decision d = { OUT_NONE, 0, false };
	struct kv_slot *s = kvtab_get(&t->sites, e->pid, e->addr);
	struct kv_slot *f;
	uint64_t gen;

	if (!s) {
		t->cow_other++;
		return d;
	}
	d.pfn = s->v1;
	d.zero = s->v2 & SITE_ZERO;
	gen = s->v2 & ~SITE_ZERO;
	kvtab_del(&t->sites, e->pid, e->addr);
	/* the KSM page was freed after we saw the merge: the site had already left it */
	f = d.zero ? NULL : kvtab_get(&t->freed, d.pfn, 0);
	if (f && f->v1 > gen) {
		t->stale_hits++;
		t->cow_other++;
		return d;
	}
	d.kind = OUT_UNMERGE;
	if (d.zero)
		d.pfn = 0;
	return d;
}

bool tracker_has_pid(const struct ks_event *e, enum out_kind k)
{
	if (e->flags & KS_F_OWNER_UNKNOWN)
		return false;
	return k != OUT_KSM_PAGE_FREED && k != OUT_SCAN_START && k != OUT_SCAN_STOP;
}

struct decision tracker_on_event(struct tracker *t, const struct ks_event *e)
{
	struct decision d = { OUT_NONE, 0, false };
	bool known = !(e->flags & KS_F_OWNER_UNKNOWN);

	t->gen++;
	switch (e->type) {
	case KS_REC_MERGE:
		if (!e->err && known)
			tracker_add_site(t, e->pid, e->addr, e->pfn, false);
		d.kind = OUT_MERGE;
		break;
	case KS_REC_ZERO_MERGE:
		if (!e->err && known)
			tracker_add_site(t, e->pid, e->addr, e->pfn, true);
		d.kind = OUT_ZERO_MERGE;
		break;
	case KS_REC_KSM_PAGE_FREED:
		kvtab_put(&t->freed, e->pfn, 0, t->gen, 0);
		d.kind = OUT_KSM_PAGE_FREED;
		break;
	case KS_REC_RMAP_REMOVED:
		if (known)
			kvtab_del(&t->sites, e->pid, e->addr);
		d.kind = OUT_RMAP_REMOVED;
		break;
	case KS_REC_SCAN_START:
		d.kind = OUT_SCAN_START;
		break;
	case KS_REC_SCAN_STOP:
		d.kind = OUT_SCAN_STOP;
		break;
	case KS_REC_KSM_ENTER:
		d.kind = OUT_KSM_ENTER;
		break;
	case KS_REC_KSM_EXIT:
		if (known)
			tracker_forget_pid(t, e->pid);
		d.kind = OUT_KSM_EXIT;
		break;
	case KS_REC_COW_FAULT:
		d = on_fault(t, e);
		break;
	default:
		break;
	}
	return d;
}
