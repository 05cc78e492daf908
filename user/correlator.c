#include "correlator.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const miss_names[MISS__MAX] = { "not_mergeable", "thp", "pending", "volatile", "unmerged", "other" };

#define LOG_CAP (4u << 20) /* events kept for replay during one pass (128 MiB at most) */

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t nc;
	void *np;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap * 2 : 1024;
	while (nc < need)
		nc *= 2;
	np = realloc(*p, nc * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = nc;
	return 0;
}

int corr_init(struct corr *c, uint32_t sample, uint64_t zero_hash)
{
	memset(c, 0, sizeof(*c));
	c->weight = sample ? sample : 1;
	c->zero_hash = zero_hash;
	return kvtab_init(&c->xidx, 1024) ? -ENOMEM : 0;
}

void corr_free(struct corr *c)
{
	free(c->cur);
	free(c->by_hash);
	free(c->extra);
	free(c->next);
	free(c->log);
	kvtab_free(&c->xidx);
	memset(c, 0, sizeof(*c));
}

void corr_pass_begin(struct corr *c)
{
	c->nn = 0;
	c->nlog = 0;
	c->log_lost = 0;
	c->building = true;
}

void corr_pass_abort(struct corr *c)
{
	c->nn = 0;
	c->nlog = 0;
	c->building = false;
}

int corr_pass_add(struct corr *c, const struct site_rec *r, uint64_t full_scans, float now)
{
	struct csite *s;

	if (grow((void **)&c->next, &c->capn, c->nn + 1, sizeof(*c->next)))
		return -ENOMEM;
	s = &c->next[c->nn++];
	memset(s, 0, sizeof(*s));
	s->addr = r->addr;
	s->hash = (r->flags & SITE_HASHED) ? r->hash : 0;
	s->pfn = (r->flags & SITE_KSM) ? r->pfn : 0;
	s->pid = r->pid;
	s->group = r->group;
	s->region = (uint8_t)r->region;
	s->flags = (uint16_t)r->flags;
	s->seen_scans = (uint32_t)full_scans;
	s->read_t = now;
	s->dup_t = -1;
	return 0;
}

static int cmp_site(const void *a, const void *b)
{
	const struct csite *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

/* The site at (pid, addr) in a table sorted by cmp_site, or NULL. Zero-merge slots (addr 0) are never found. */
static struct csite *find_site(struct csite *v, size_t n, uint32_t pid, uint64_t addr)
{
	size_t lo = 0, hi = n;
	struct csite key = { .pid = pid, .addr = addr };

	if (!addr)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cmp_site(&v[mid], &key);

		if (!r)
			return &v[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A KSM zero-page merge of pid placed by count, still standing, or NULL. */
static struct csite *find_zmerge(struct csite *v, size_t n, uint32_t pid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* the first site of pid */
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && v[lo].pid == pid && v[lo].addr == 0; lo++)
		if ((v[lo].flags & SITE_ZMERGE) && !(v[lo].flags & CS_GONE))
			return &v[lo];
	return NULL;
}

static const struct csite *g_sites; /* qsort has no context argument */

static int cmp_by_hash(const void *a, const void *b)
{
	const struct csite *x = &g_sites[*(const uint32_t *)a], *y = &g_sites[*(const uint32_t *)b];

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return cmp_site(x, y);
}

static struct csite *site_for_event(struct corr *c, uint32_t pid, uint64_t addr, bool create, int *err)
{
	struct csite *s = find_site(c->cur, c->n, pid, addr);
	struct kv_slot *k;

	if (s)
		return s;
	k = kvtab_get(&c->xidx, pid, addr);
	if (k)
		return &c->extra[k->v1];
	if (!create)
		return NULL;
	if (grow((void **)&c->extra, &c->capx, c->nx + 1, sizeof(*c->extra)) ||
	    kvtab_put(&c->xidx, pid, addr, c->nx, 0)) {
		*err = -ENOMEM;
		return NULL;
	}
	s = &c->extra[c->nx++];
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->addr = addr;
	s->group = UINT32_MAX;
	s->dup_t = -1;
	s->flags = SITE_MERGEABLE; /* KSM merged it: its range is mergeable */
	return s;
}

/* Move one site as the event says; idempotent, so replaying a pass's events is safe. */
static double apply(struct corr *c, const struct corr_event *e, float now, int *err)
{
	struct csite *s;
	double lat = -1;

	switch (e->kind) {
	case CEV_MERGE:
	case CEV_ZERO_MERGE:
		s = site_for_event(c, e->pid, e->addr, true, err);
		if (!s)
			break;
		if (!(s->flags & (SITE_KSM | SITE_ZMERGE)) && s->dup_t >= 0)
			lat = now - s->dup_t;
		s->flags &= (uint16_t)~(CS_UNMERGED | SITE_KSM | SITE_ZMERGE);
		if (e->kind == CEV_MERGE) {
			s->flags |= SITE_KSM;
			s->pfn = e->pfn;
		} else {
			s->flags |= SITE_ZMERGE;
			s->pfn = 0;
		}
		break;
	case CEV_UNMERGE:
	case CEV_REMOVED:
		s = site_for_event(c, e->pid, e->addr, false, err);
		if (!s && e->zero)
			s = find_zmerge(c->cur, c->n, e->pid);
		if (!s)
			break;
		if (e->kind == CEV_REMOVED) {
			/* KSM let go of it (unmapped, unregistered): not a write */
			s->flags &= (uint16_t)~(SITE_KSM | SITE_ZMERGE);
			s->pfn = 0;
			break;
		}
		if (!s->addr) {
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
	return lat;
}

double corr_event(struct corr *c, const struct corr_event *e, float now, int *err)
{
	*err = 0;
	if (c->building) {
		if (c->nlog < LOG_CAP && !grow((void **)&c->log, &c->caplog, c->nlog + 1, sizeof(*c->log)))
			c->log[c->nlog++] = *e;
		else
			c->log_lost++;
	}
	return apply(c, e, now, err);
}

void corr_forget_pid(struct corr *c, uint32_t pid)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->cur[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->n && c->cur[lo].pid == pid; lo++)
		c->cur[lo].flags |= CS_GONE;
	for (size_t i = 0; i < c->nx; i++)
		if (c->extra[i].pid == pid)
			c->extra[i].flags |= CS_GONE;
}

/* Carry what the previous pass knew of each site into the new one. */
static void join(const struct csite *prev, size_t np, struct csite *next, size_t nn)
{
	size_t i = 0;

	for (size_t k = 0; k < nn; k++) {
		struct csite *s = &next[k];
		const struct csite *p = NULL;

		if (!s->addr)
			continue;
		while (i < np && cmp_site(&prev[i], s) < 0)
			i++;
		if (i < np && !cmp_site(&prev[i], s))
			p = &prev[i];
		if (!p || (p->flags & CS_GONE))
			continue;
		if ((p->flags & SITE_HASHED) && (s->flags & SITE_HASHED)) {
			if (p->hash == s->hash) {
				s->seen_scans = p->seen_scans;
				s->dup_t = p->dup_t;
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

int corr_pass_end(struct corr *c, uint32_t ngroups)
{
	uint32_t *bh;
	size_t nh = 0;
	int err = 0;

	if (c->nn)
		qsort(c->next, c->nn, sizeof(*c->next), cmp_site);
	join(c->cur, c->n, c->next, c->nn);
	/* sites met only in events since the last pass: merged, then broken */
	for (size_t i = 0; i < c->nn && c->nx; i++) {
		struct kv_slot *k = c->next[i].addr ? kvtab_get(&c->xidx, c->next[i].pid, c->next[i].addr) : NULL;

		if (k && !(c->next[i].flags & SITE_KSM) && (c->extra[k->v1].flags & CS_UNMERGED))
			c->next[i].flags |= CS_UNMERGED;
	}
	bh = malloc((c->nn ? c->nn : 1) * sizeof(*bh));
	if (!bh)
		return -ENOMEM;
	free(c->cur);
	c->cur = c->next;
	c->n = c->nn;
	c->next = NULL;
	c->nn = c->capn = 0;
	for (size_t i = 0; i < c->n; i++)
		if ((c->cur[i].flags & SITE_HASHED) && !(c->cur[i].flags & CS_GONE))
			bh[nh++] = (uint32_t)i;
	g_sites = c->cur;
	qsort(bh, nh, sizeof(*bh), cmp_by_hash);
	free(c->by_hash);
	c->by_hash = bh;
	c->nh = nh;
	c->ngroups = ngroups;
	/* first seen as a duplicate: when the last of its content's copies was read */
	for (size_t i = 0; i < nh;) {
		size_t j = i + 1;
		float last = c->cur[bh[i]].read_t;

		while (j < nh && c->cur[bh[j]].hash == c->cur[bh[i]].hash) {
			if (c->cur[bh[j]].read_t > last)
				last = c->cur[bh[j]].read_t;
			j++;
		}
		for (size_t k = i; j - i > 1 && k < j; k++)
			if (c->cur[bh[k]].dup_t < 0)
				c->cur[bh[k]].dup_t = last;
		i = j;
	}
	c->nx = 0;
	kvtab_free(&c->xidx);
	if (kvtab_init(&c->xidx, 1024))
		return -ENOMEM;
	c->building = false;
	/* what happened while the pass ran, in order: its reads may predate it */
	for (size_t i = 0; i < c->nlog && !err; i++)
		apply(c, &c->log[i], 0, &err);
	c->nlog = 0;
	return err;
}

struct frame_ref {
	uint64_t pfn;
	uint32_t group;
	uint32_t pad;
};

static int cmp_frame(const void *a, const void *b)
{
	const struct frame_ref *x = a, *y = b;

	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	return x->group < y->group ? -1 : x->group > y->group;
}

static struct corr_metrics *group_of(struct corr_metrics *groups, uint32_t ngroups, uint32_t g)
{
	return g < ngroups ? &groups[g] : NULL;
}

static void add(struct corr_metrics *g, struct corr_metrics *t, size_t off, double v)
{
	*(double *)((char *)t + off) += v;
	if (g)
		*(double *)((char *)g + off) += v;
}

#define ADD(field, v) add(gm, total, offsetof(struct corr_metrics, field), (v))

/* KSM frames: every site on one, sampled or not, so these are exact. */
static int ksm_actual(const struct corr *c, struct corr_metrics *groups, struct corr_metrics *total)
{
	size_t nf = 0, cap = 0;
	struct frame_ref *fr = NULL;
	const struct csite *tabs[2] = { c->cur, c->extra };
	size_t ns[2] = { c->n, c->nx };

	for (int t = 0; t < 2; t++) {
		for (size_t i = 0; i < ns[t]; i++) {
			const struct csite *s = &tabs[t][i];
			struct corr_metrics *gm = group_of(groups, c->ngroups, s->group);

			if (s->flags & CS_GONE)
				continue;
			if (s->flags & SITE_ZMERGE)
				ADD(ksm_zero_pages, 1);
			if (!(s->flags & SITE_KSM))
				continue;
			if (grow((void **)&fr, &cap, nf + 1, sizeof(*fr))) {
				free(fr);
				return -ENOMEM;
			}
			fr[nf++] = (struct frame_ref){ s->pfn, s->group, 0 };
		}
	}
	if (nf)
		qsort(fr, nf, sizeof(*fr), cmp_frame);
	for (size_t i = 0; i < nf;) {
		size_t j = i + 1;

		while (j < nf && fr[j].pfn == fr[i].pfn)
			j++;
		total->ksm_frames += 1;
		total->ksm_sites += (double)(j - i);
		total->ksm_saved += (double)(j - i - 1);
		for (size_t k = i; k < j; k++) {
			struct corr_metrics *g = group_of(groups, c->ngroups, fr[k].group);

			if (!g)
				continue;
			g->ksm_sites += 1;
			g->ksm_saved += (double)(j - i - 1) / (double)(j - i);
			if (k == i || fr[k - 1].group != fr[k].group)
				g->ksm_frames += 1;
		}
		i = j;
	}
	free(fr);
	return 0;
}

static enum miss_reason reason_of(const struct csite *s, uint64_t full_scans)
{
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

	for (size_t i = 0; i < c->nh;) {
		const struct csite *first = &c->cur[c->by_hash[i]];
		size_t j = i, live = 0, nf = 0;
		double w = first->hash == c->zero_hash ? 1.0 : c->weight;
		bool kept_skipped = false;
		uint32_t ksm_group = UINT32_MAX;

		while (j < c->nh && c->cur[c->by_hash[j]].hash == first->hash)
			j++;
		for (size_t k = i; k < j; k++) {
			const struct csite *s = &c->cur[c->by_hash[k]];

			if (s->flags & CS_GONE)
				continue;
			live++;
			if (!(s->flags & SITE_KSM))
				continue;
			if (grow((void **)&pfns, &cap, nf + 1, sizeof(*pfns))) {
				free(pfns);
				return -ENOMEM;
			}
			if (ksm_group == UINT32_MAX)
				ksm_group = s->group;
			pfns[nf++] = s->pfn;
		}
		if (live >= 2) {
			size_t frames = 0;

			if (nf)
				qsort(pfns, nf, sizeof(*pfns), cmp_u64);
			for (size_t k = 0; k < nf; k++)
				frames += !k || pfns[k] != pfns[k - 1];
			kept_skipped = frames > 0;
			for (size_t k = i; k < j; k++) {
				const struct csite *s = &c->cur[c->by_hash[k]];
				struct corr_metrics *gm = group_of(groups, c->ngroups, s->group);
				enum miss_reason r;

				if (s->flags & (CS_GONE | SITE_KSM | SITE_ZMERGE))
					continue;
				if (!kept_skipped) {
					kept_skipped = true; /* the copy KSM would keep */
					continue;
				}
				r = reason_of(s, full_scans);
				add(gm, total, offsetof(struct corr_metrics, missed) + r * sizeof(double), w);
				ADD(missed_total, w);
			}
			if (frames > 1) {
				struct corr_metrics *gm = group_of(groups, c->ngroups, ksm_group);

				add(gm, total, offsetof(struct corr_metrics, missed) + MISS_OTHER * sizeof(double),
				    w * (double)(frames - 1));
				ADD(missed_total, w * (double)(frames - 1));
			}
		}
		i = j;
	}
	free(pfns);
	return 0;
}

int corr_compute(const struct corr *c, uint64_t full_scans, struct corr_metrics *groups, struct corr_metrics *total)
{
	int err;

	memset(total, 0, sizeof(*total));
	err = ksm_actual(c, groups, total);
	return err ? err : missed(c, full_scans, groups, total);
}
