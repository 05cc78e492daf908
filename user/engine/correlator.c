// SPDX-License-Identifier: GPL-2.0-only
#include "engine/correlator.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sort.h"
#include "lib/util.h"
#include "scanner/audit.h"

_Static_assert(sizeof(struct csite) == 32, "a kept site is 32 bytes");

const char *const miss_names[MISS__MAX] = { "not_mergeable", "shared", "hugetlb", "thp",
					     "pending",	      "volatile", "unmerged", "other" };

int corr_init(struct corr *c, uint32_t sample, uint64_t zero_hash)
{
	memset(c, 0, sizeof(*c));
	c->weight = sample ? sample : 1;
	c->zero_hash = zero_hash;
	return kvtab_init(&c->xidx, 1024) || kvtab_init(&c->frames, 1024) || kvtab_init(&c->groups, 64) ? -ENOMEM : 0;
}

void corr_free(struct corr *c)
{
	free(c->cur);
	free(c->by_site);
	free(c->extra);
	free(c->next);
	free(c->nextx);
	kvtab_free(&c->xidx);
	kvtab_free(&c->nxidx);
	kvtab_free(&c->frames);
	kvtab_free(&c->groups);
	kvtab_free(&c->next_groups);
	memset(c, 0, sizeof(*c));
}

static inline uint64_t site_addr(const struct csite *s)
{
	return (uint64_t)s->page << 12;
}

/* The site's group in cur's pass; UINT32_MAX: none (met only in events, or its process is not in it). */
static uint32_t site_group(const struct corr *c, const struct csite *s)
{
	const struct kv_slot *k = (s->flags & CS_NOGROUP) ? NULL : kvtab_get(&c->groups, s->pid, 0);

	return k ? (uint32_t)k->v1 : UINT32_MAX;
}

static int cmp_site(const void *a, const void *b);

static void reset_next(struct corr *c)
{
	c->nn = c->nnx = 0;
	c->next_sorted = true;
	kvtab_free(&c->nxidx);
	kvtab_free(&c->next_groups);
}

void corr_pass_begin(struct corr *c)
{
	reset_next(c);
	/* room for as many sites as the last pass: no doubling past it, no copy */
	if (c->n > c->capn)
		GROW(c->next, c->capn, c->n + c->n / 32, 1024); /* if it fails, the adds grow it */
	c->building = !kvtab_init(&c->nxidx, 64) && !kvtab_init(&c->next_groups, 64);
}

void corr_pass_abort(struct corr *c)
{
	reset_next(c);
	c->building = false;
}

/* A site of the pass being built: addressless zero-page merges and event-made sites go aside. */
static struct csite *new_next_site(struct corr *c, bool aside)
{
	if (aside) {
		if (GROW(c->nextx, c->capnx, c->nnx + 1, 1024))
			return NULL;
		return &c->nextx[c->nnx++];
	}
	if (GROW(c->next, c->capn, c->nn + 1, 1024))
		return NULL;
	return &c->next[c->nn++];
}

int corr_pass_add(struct corr *c, const struct site_rec *r, uint64_t full_scans, float now)
{
	struct csite *s;

	if (r->addr >> (CS_PAGE_BITS + 12))
		return 0; /* beyond what a site holds (5-level paging, a mapping above 2^54): not kept */
	if (!kvtab_get(&c->next_groups, r->pid, 0) && kvtab_put(&c->next_groups, r->pid, 0, r->group, 0))
		return -ENOMEM;
	s = new_next_site(c, !r->addr);
	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	s->page = r->addr >> 12;
	s->hash = (r->flags & SITE_HASHED) ? r->hash : 0;
	s->pfn = (r->flags & SITE_KSM) ? r->pfn : 0;
	s->pid = r->pid;
	s->region = (uint8_t)r->region;
	s->flags = (uint16_t)r->flags;
	s->seen_scans = (uint32_t)full_scans;
	s->dup_t = now; /* read now: made the first-seen time at the pass's end */
	/* the scanner reads processes in pid order and each in address order */
	if (s->page && c->nn > 1 && cmp_site(&c->next[c->nn - 2], s) >= 0)
		c->next_sorted = false;
	return 0;
}

static int cmp_site(const void *a, const void *b)
{
	const struct csite *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	return 0;
}

/* First index into by_site whose site is at or after (pid, addr). */
static size_t lower_bound(const struct corr *c, uint32_t pid, uint64_t addr)
{
	const struct csite key = { .pid = pid, .page = addr >> 12 };
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_site(&c->cur[c->by_site[mid]], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The site at (pid, addr) of the last pass, or NULL. Zero-merge slots (addr 0) are never found. */
static struct csite *find_site(struct corr *c, uint32_t pid, uint64_t addr)
{
	size_t i;

	if (!addr || addr >> (CS_PAGE_BITS + 12))
		return NULL;
	i = lower_bound(c, pid, addr);
	if (i < c->n && c->cur[c->by_site[i]].pid == pid && site_addr(&c->cur[c->by_site[i]]) == addr)
		return &c->cur[c->by_site[i]];
	return NULL;
}

/* A KSM zero-page merge of pid placed by count, still standing, or NULL. */
static struct csite *find_zmerge(struct corr *c, uint32_t pid)
{
	for (size_t i = lower_bound(c, pid, 0); i < c->n; i++) {
		struct csite *s = &c->cur[c->by_site[i]];

		if (s->pid != pid || s->page)
			break;
		if ((s->flags & SITE_ZMERGE) && !(s->flags & CS_GONE))
			return s;
	}
	return NULL;
}

/* Indices into the sites (the sort's context) in site order. */
static int cmp_by_site(const void *a, const void *b, void *sites)
{
	const struct csite *s = sites;

	return cmp_site(&s[*(const uint32_t *)a], &s[*(const uint32_t *)b]);
}

static int cmp_hash(const void *a, const void *b, void *ctx)
{
	const struct csite *x = a, *y = b;

	(void)ctx;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return cmp_site(x, y);
}

/*
 * The frame table: (pfn, group) -> sites, (pfn, FR_ALL) -> sites in all; pfn 0
 * stands for KSM's zero-page merges. Kept as sites move, so the actual saving
 * costs a walk over frames, not sites.
 */
#define FR_ALL UINT64_MAX

static int frame_add(struct corr *c, uint64_t pfn, uint32_t group, int delta)
{
	const uint64_t keys[2] = { group, FR_ALL };

	for (int i = 0; i < 2; i++) {
		struct kv_slot *k = kvtab_get(&c->frames, pfn, keys[i]);

		if (!k) {
			if (delta < 0)
				continue; /* never counted: nothing to take back */
			if (kvtab_put(&c->frames, pfn, keys[i], 0, 0))
				return -ENOMEM;
			k = kvtab_get(&c->frames, pfn, keys[i]);
		}
		if (delta < 0 && k->v1 <= (uint64_t)-delta)
			kvtab_del(&c->frames, pfn, keys[i]);
		else
			k->v1 += (uint64_t)(int64_t)delta;
	}
	return 0;
}

/* A site leaves (delta -1) or joins (+1) the frame it is on, if any. */
static int site_frame(struct corr *c, const struct csite *s, int delta)
{
	if (s->flags & CS_GONE)
		return 0;
	if (s->flags & SITE_KSM)
		return frame_add(c, s->pfn, site_group(c, s), delta);
	if (s->flags & SITE_ZMERGE)
		return frame_add(c, 0, site_group(c, s), delta);
	return 0;
}

static struct csite *site_for_event(struct corr *c, uint32_t pid, uint64_t addr, bool create, int *err)
{
	struct csite *s = find_site(c, pid, addr);
	struct kv_slot *k;

	if (s)
		return s;
	k = kvtab_get(&c->xidx, pid, addr);
	if (k)
		return &c->extra[k->v1];
	if (!create)
		return NULL;
	if (GROW(c->extra, c->capx, c->nx + 1, 1024) ||
	    kvtab_put(&c->xidx, pid, addr, c->nx, 0)) {
		*err = -ENOMEM;
		return NULL;
	}
	s = &c->extra[c->nx++];
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->page = addr >> 12;
	s->dup_t = -1;
	s->flags = SITE_MERGEABLE | CS_NOGROUP; /* KSM merged it: its range is mergeable */
	return s;
}

/* Move one site as the event says (s may be NULL for a zero-page merge's unmerge: see the callers). */
static void move_site(struct csite *s, const struct corr_event *e)
{
	switch (e->kind) {
	case CEV_MERGE:
	case CEV_ZERO_MERGE:
		s->flags &= (uint16_t)~(CS_UNMERGED | SITE_KSM | SITE_ZMERGE);
		s->flags |= e->kind == CEV_MERGE ? SITE_KSM : SITE_ZMERGE;
		s->pfn = e->kind == CEV_MERGE ? e->pfn : 0;
		break;
	case CEV_REMOVED:
		/* KSM let go of it (unmapped, unregistered): not a write */
		s->flags &= (uint16_t)~(SITE_KSM | SITE_ZMERGE);
		s->pfn = 0;
		break;
	case CEV_UNMERGE:
		if (!s->page) {
			/* a zero-page merge placed by count: which page it was, and what it holds now, is unknown */
			s->flags |= CS_GONE;
			break;
		}
		if (s->flags & (SITE_KSM | SITE_ZMERGE))
			s->flags |= CS_UNMERGED;
		s->flags &= (uint16_t)~(SITE_KSM | SITE_ZMERGE);
		s->pfn = 0;
		break;
	}
}

/* The event on the last pass's sites (and those met in events since), frames kept. */
static double apply(struct corr *c, const struct corr_event *e, float now, int *err)
{
	bool merge = e->kind == CEV_MERGE || e->kind == CEV_ZERO_MERGE;
	struct csite *s = site_for_event(c, e->pid, e->addr, merge, err);
	double lat = -1;

	if (!s && e->kind == CEV_UNMERGE && e->zero)
		s = find_zmerge(c, e->pid);
	if (!s || (s->flags & CS_GONE))
		return -1;
	if (merge && !(s->flags & (SITE_KSM | SITE_ZMERGE)) && s->dup_t >= 0)
		lat = now - s->dup_t;
	*err = site_frame(c, s, -1);
	move_site(s, e);
	*err = *err ? *err : site_frame(c, s, +1);
	c->dirty = true;
	return lat;
}

/*
 * The event on the pass being built, where it already read the site; sites it
 * has not reached yet will be read as they are now.
 */
static int apply_next(struct corr *c, const struct corr_event *e)
{
	bool merge = e->kind == CEV_MERGE || e->kind == CEV_ZERO_MERGE;
	struct csite key = { .pid = e->pid, .page = e->addr >> 12 }, *s = NULL;
	struct kv_slot *k = kvtab_get(&c->nxidx, e->pid, e->addr);

	if (k) {
		s = &c->nextx[k->v1];
	} else if (c->nn && c->next_sorted && e->addr) {
		s = bsearch(&key, c->next, c->nn, sizeof(*c->next), cmp_site);
		/* behind the scan, not in it: a page it sampled out (or did not see) merged since */
		if (!s && merge && cmp_site(&key, &c->next[c->nn - 1]) < 0) {
			s = new_next_site(c, true);
			if (!s || kvtab_put(&c->nxidx, e->pid, e->addr, c->nnx - 1, 0))
				return -ENOMEM;
			memset(s, 0, sizeof(*s));
			s->pid = e->pid;
			s->page = e->addr >> 12;
			s->dup_t = -1;
			s->flags = SITE_MERGEABLE | CS_NOGROUP;
		}
	}
	if (!s && e->kind == CEV_UNMERGE && e->zero) {
		for (size_t i = 0; i < c->nnx && !s; i++)
			if (c->nextx[i].pid == e->pid && !c->nextx[i].page && (c->nextx[i].flags & SITE_ZMERGE) &&
			    !(c->nextx[i].flags & CS_GONE))
				s = &c->nextx[i];
	}
	if (s)
		move_site(s, e);
	return 0;
}

double corr_event(struct corr *c, const struct corr_event *e, float now, int *err)
{
	double lat;

	*err = 0;
	lat = apply(c, e, now, err);
	if (c->building && !*err)
		*err = apply_next(c, e);
	return lat;
}

void corr_forget_pid(struct corr *c, uint32_t pid)
{
	for (size_t i = lower_bound(c, pid, 0); i < c->n && c->cur[c->by_site[i]].pid == pid; i++) {
		struct csite *s = &c->cur[c->by_site[i]];

		site_frame(c, s, -1); /* only ever shrinks the table: cannot fail */
		s->flags |= CS_GONE;
	}
	/* sites met only in events go at once: processes that come and go must not pile them up */
	for (size_t i = 0; i < c->nx;) {
		struct csite *s = &c->extra[i];

		if (s->pid != pid) {
			i++;
			continue;
		}
		site_frame(c, s, -1);
		kvtab_del(&c->xidx, s->pid, site_addr(s));
		if (i != --c->nx) {
			*s = c->extra[c->nx];
			kvtab_put(&c->xidx, s->pid, site_addr(s), i, 0); /* overwrites: cannot fail */
		}
	}
	c->dirty = true;
}

/*
 * Carry what the previous pass knew of each site into the new one, both walked
 * in site order (prev through order, next through norder).
 */
static void join(const struct csite *prev, const uint32_t *order, size_t np, struct csite *next,
		 const uint32_t *norder, size_t nn)
{
	size_t i = 0;

	for (size_t k = 0; k < nn; k++) {
		struct csite *s = &next[norder[k]];
		const struct csite *p = NULL;

		if (!s->page)
			continue;
		while (i < np && cmp_site(&prev[order[i]], s) < 0)
			i++;
		if (i < np && !cmp_site(&prev[order[i]], s))
			p = &prev[order[i]];
		if (!p || (p->flags & CS_GONE))
			continue;
		if ((p->flags & SITE_HASHED) && (s->flags & SITE_HASHED)) {
			if (p->hash == s->hash) {
				s->seen_scans = p->seen_scans;
				if (p->dup_t >= 0)
					s->dup_t = p->dup_t; /* a duplicate since an earlier pass */
			} else {
				s->flags |= CS_VOLATILE;
			}
		} else if (!(s->flags & SITE_HASHED)) {
			s->seen_scans = p->seen_scans;
		}
		if (!(s->flags & SITE_KSM) && ((p->flags & (SITE_KSM | CS_UNMERGED))))
			s->flags |= CS_UNMERGED;
	}
}

/*
 * In a new pass's content runs, dup_t holds each site's read time: a content
 * with two copies or more was first seen as a duplicate when its last copy was
 * read; a content alone is no duplicate yet (-1).
 */
static void first_seen(struct csite *sites, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		float last = sites[i].dup_t;

		while (j < n && sites[j].hash == sites[i].hash) {
			if (sites[j].dup_t > last)
				last = sites[j].dup_t;
			j++;
		}
		for (size_t k = i; k < j; k++)
			sites[k].dup_t = j - i > 1 && sites[i].hash ? last : -1;
		i = j;
	}
}

int corr_pass_end(struct corr *c, uint32_t ngroups)
{
	struct kvtab t;
	uint32_t *bs;
	int err = 0;

	/* the sites set aside join the rest */
	for (size_t i = 0; i < c->nnx; i++) {
		struct csite *s = new_next_site(c, false);

		if (!s)
			return -ENOMEM;
		*s = c->nextx[i];
	}
	c->nnx = 0;
	/*
	 * contents in runs, for a sequential walk; a permutation finds sites by
	 * address. Sorted in place: qsort's copy of the sites would be the engine's peak
	 */
	sort_inplace(c->next, c->nn, sizeof(*c->next), cmp_hash, NULL);
	bs = malloc((c->nn ? c->nn : 1) * sizeof(*bs));
	if (!bs)
		return -ENOMEM;
	for (size_t i = 0; i < c->nn; i++)
		bs[i] = (uint32_t)i;
	sort_inplace(bs, c->nn, sizeof(*bs), cmp_by_site, c->next);
	first_seen(c->next, c->nn);
	join(c->cur, c->by_site, c->n, c->next, bs, c->nn);
	/* sites met only in events since the last pass: merged, then broken */
	for (size_t i = 0; i < c->nn && c->nx; i++) {
		struct kv_slot *k = c->next[i].page ? kvtab_get(&c->xidx, c->next[i].pid, site_addr(&c->next[i])) : NULL;

		if (k && !(c->next[i].flags & SITE_KSM) && (c->extra[k->v1].flags & CS_UNMERGED))
			c->next[i].flags |= CS_UNMERGED;
	}
	free(c->cur);
	free(c->by_site);
	c->cur = c->next;
	c->by_site = bs;
	c->n = c->nn;
	c->next = NULL;
	c->nn = c->capn = 0;
	c->ngroups = ngroups;
	/* the new pass's groups */
	t = c->groups;
	c->groups = c->next_groups;
	c->next_groups = t;
	c->nx = 0;
	kvtab_free(&c->xidx);
	kvtab_free(&c->frames);
	if (kvtab_init(&c->xidx, 1024) || kvtab_init(&c->frames, 1024) || (!c->groups.slots && kvtab_init(&c->groups, 64)))
		return -ENOMEM;
	for (size_t i = 0; i < c->n && !err; i++)
		err = site_frame(c, &c->cur[i], +1);
	reset_next(c);
	c->building = false;
	c->dirty = true;
	return err;
}

static struct corr_metrics *group_of(struct corr_metrics *groups, uint32_t ngroups, uint64_t g)
{
	return g < ngroups ? &groups[g] : NULL;
}

static void add(struct corr_metrics *g, struct corr_metrics *t, size_t off, double v)
{
	*(double *)((char *)t + off) += v;
	if (g)
		*(double *)((char *)g + off) += v;
}

/* KSM frames: every site on one, sampled or not, so these are exact. */
static void ksm_actual(const struct corr *c, struct corr_metrics *groups, struct corr_metrics *total)
{
	for (size_t i = 0; c->frames.slots && i <= c->frames.mask; i++) {
		const struct kv_slot *k = &c->frames.slots[i];
		double n, all;
		struct corr_metrics *g;

		if (k->k1 == UINT64_MAX)
			continue;
		n = (double)k->v1;
		if (k->k2 == FR_ALL) {
			if (k->k1 == 0) {
				total->ksm_zero_pages += n;
			} else {
				total->ksm_frames += 1;
				total->ksm_sites += n;
				total->ksm_saved += n - 1;
			}
			continue;
		}
		g = group_of(groups, c->ngroups, k->k2);
		if (!g)
			continue;
		if (k->k1 == 0) {
			g->ksm_zero_pages += n;
			continue;
		}
		all = (double)kvtab_get(&c->frames, k->k1, FR_ALL)->v1;
		g->ksm_frames += 1;
		g->ksm_sites += n;
		g->ksm_saved += n * (all - 1) / all;
	}
}

static int by_frame(const void *x, const void *y)
{
	const struct audit_share *a = x, *b = y;

	if (a->frame != b->frame)
		return a->frame < b->frame ? -1 : 1;
	return a->group < b->group ? -1 : a->group > b->group;
}

int corr_audit(const struct corr *c, struct audit_out *out)
{
	struct audit_share *v = malloc((c->frames.count ? c->frames.count : 1) * sizeof(*v));
	uint64_t zero = 0;
	size_t n = 0;
	int err;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; c->frames.slots && i <= c->frames.mask; i++) {
		const struct kv_slot *k = &c->frames.slots[i];

		if (k->k1 == UINT64_MAX || k->k2 == FR_ALL)
			continue;
		if (k->k1 == 0)
			zero += k->v1; /* KSM's zero-page merges: apart */
		else
			v[n++] = (struct audit_share){ k->k1, (uint32_t)k->k2, (uint32_t)k->v1 };
	}
	qsort(v, n, sizeof(*v), by_frame);
	err = audit_frames(v, n, c->ngroups, out);
	free(v);
	if (!err)
		out->ksm_zero_pages = zero;
	return err;
}

static enum miss_reason reason_of(const struct csite *s, uint64_t full_scans)
{
	/* --include-shared: memory KSM never merges, whatever its range says */
	if (s->region == REG_SHARED || s->region == REG_GUEST_SHARED)
		return (s->flags & SITE_HUGETLB) ? MISS_HUGETLB : MISS_SHARED;
	if (!(s->flags & SITE_MERGEABLE))
		return MISS_NOT_MERGEABLE;
	if (s->flags & SITE_THP)
		return MISS_THP;
	if (s->flags & CS_UNMERGED)
		return MISS_UNMERGED;
	if (s->flags & CS_VOLATILE)
		return MISS_VOLATILE;
	if (full_scans - s->seen_scans < 2)
		return MISS_PENDING;
	return MISS_OTHER;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Distinct KSM frames among a run's live sites: one in the common case, counted without sorting. */
static int run_frames(const struct corr *c, const struct csite *run, size_t len, uint64_t **buf, size_t *cap, size_t *frames,
		      uint32_t *ksm_group)
{
	uint64_t first = 0;
	size_t nf = 0;
	bool several = false;

	*ksm_group = UINT32_MAX;
	for (size_t k = 0; k < len; k++) {
		const struct csite *s = &run[k];

		if ((s->flags & CS_GONE) || !(s->flags & SITE_KSM))
			continue;
		if (*ksm_group == UINT32_MAX) {
			*ksm_group = site_group(c, s);
			first = s->pfn;
		}
		several |= s->pfn != first;
		if (GROW(*buf, *cap, nf + 1, 1024))
			return -ENOMEM;
		(*buf)[nf++] = s->pfn;
	}
	*frames = nf ? 1 : 0;
	if (several) {
		qsort(*buf, nf, sizeof(**buf), cmp_u64);
		for (size_t k = 1; k < nf; k++)
			*frames += (*buf)[k] != (*buf)[k - 1];
	}
	return 0;
}

static double content_weight(const struct corr *c, uint64_t hash)
{
	const uint64_t *k;
	double w;

	if (!c->weights)
		return c->weight;
	k = u64map_get(c->weights, hash);
	if (!k)
		return 1.0; /* read with certainty (a class over the threshold, or new since the probe) */
	memcpy(&w, k, sizeof(w));
	return w;
}

/*
 * For each content, the saving it lacks (n - 1 minus what KSM saved of it) goes
 * to its unmerged sites, one page each; when none of its copies is merged, the
 * first copy is the one kept. Copies on more than one KSM frame (e.g. split by
 * max_page_sharing) lack one page per extra frame: reason other.
 */
static int missed(const struct corr *c, uint64_t full_scans, struct corr_metrics *groups, struct corr_metrics *total)
{
	uint64_t *pfns = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < c->n;) {
		const struct csite *run = &c->cur[i];
		size_t len = 1, live = 0, frames;
		double w = run->hash == c->zero_hash ? 1.0 : content_weight(c, run->hash);
		bool kept_skipped;
		uint32_t ksm_group;

		while (i + len < c->n && c->cur[i + len].hash == run->hash)
			len++;
		i += len;
		if (!run->hash || !(run->flags & SITE_HASHED))
			continue; /* KSM sites of unknown content */
		for (size_t k = 0; k < len; k++)
			live += !(run[k].flags & CS_GONE);
		if (live < 2)
			continue;
		if (run_frames(c, run, len, &pfns, &cap, &frames, &ksm_group)) {
			free(pfns);
			return -ENOMEM;
		}
		kept_skipped = frames > 0;
		for (size_t k = 0; k < len; k++) {
			const struct csite *s = &run[k];
			struct corr_metrics *gm = group_of(groups, c->ngroups, site_group(c, s));
			enum miss_reason r;

			if (s->flags & (CS_GONE | SITE_KSM | SITE_ZMERGE))
				continue;
			if (!kept_skipped) {
				kept_skipped = true; /* the copy KSM would keep */
				continue;
			}
			r = reason_of(s, full_scans);
			add(gm, total, offsetof(struct corr_metrics, missed) + r * sizeof(double), w);
			add(gm, total, offsetof(struct corr_metrics, missed_total), w);
		}
		if (frames > 1) {
			struct corr_metrics *gm = group_of(groups, c->ngroups, ksm_group);
			double extra = w * (double)(frames - 1);

			add(gm, total, offsetof(struct corr_metrics, missed) + MISS_OTHER * sizeof(double), extra);
			add(gm, total, offsetof(struct corr_metrics, missed_total), extra);
		}
	}
	free(pfns);
	return 0;
}

int corr_compute(struct corr *c, uint64_t full_scans, struct corr_metrics *groups, struct corr_metrics *total)
{
	memset(total, 0, sizeof(*total));
	ksm_actual(c, groups, total);
	c->dirty = false;
	return missed(c, full_scans, groups, total);
}
