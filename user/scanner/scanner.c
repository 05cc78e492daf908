// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/scanner.h"
#include "scanner/ksmflag.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/pagemap.h"
#include "sys/proc.h"
#include "sys/procmaps.h"
#include "sys/ksmstate.h"
#include "scanner/audit.h"
#include "scanner/regions.h"
#include "sys/targets.h"
#include "sys/vmname.h"
#include "lib/util.h"

/*
 * Pages per job (one pagemap read): exact scans read every page in runs of up to
 * this; sampled scans read few, so bigger jobs halve the per-job overhead.
 */
#define BATCH_EXACT 512
#define BATCH_SAMPLED POOL_BATCH

int scanner_init(struct scanner *s, enum group_by gb, uint32_t sample, bool live)
{
	char why[256];

	memset(s, 0, sizeof(*s));
	s->kpf_fd = -1;
	s->group_by = gb;
	s->sample = sample ? sample : 1;
	s->live = live;
	if (hasher_init(&s->h))
		return -EIO;
	s->kpf_fd = kpageflags_open();
	if (s->kpf_fd < 0)
		return s->kpf_fd;
	if (ksmflag_init(s->kpf_fd, why, sizeof(why)) == -ENOTSUP) {
		ks_err("%s", why);
		return -ECANCELED; /* said */
	}
	if (index_init(&s->contents, 0) || index_init(&s->frames, 0))
		return -ENOMEM;
	for (int k = 0; k < SUBPAGE_SIZES; k++)
		if (index_init(&s->chunks[k], 0))
			return -ENOMEM;
	return 0;
}

static int start_pool(struct scanner *s)
{
	if (s->pool_started)
		return 0;
	if (readpool_start(&s->pool, &s->h, s->subpage, s->sample, s->pr_ok ? &s->pr : NULL))
		return -ENOMEM;
	if (s->hooks && s->hooks->known) {
		s->pool.known = s->hooks->known;
		s->pool.known_ctx = s->hooks->ctx;
	}
	s->pool_started = true;
	return 0;
}

static struct model_input model_input_of(const struct scanner *s, const struct ksm_state *ksm);

void scanner_finish(struct scanner *s)
{
	if (s->pool_started)
		readpool_stop(&s->pool);
	s->pool_started = false;
	/* the contents are all in: each one's class and weight, looked up once for the model's walks */
	free(s->cc);
	s->cc = NULL;
	{
		const struct model_input mi = model_input_of(s, NULL);

		s->cc = model_classify(&mi); /* NULL (exact, or no memory): looked up each time */
		s->ncc = s->cc ? s->contents.count : 0;
	}
}

void scanner_free(struct scanner *s)
{
	if (s->pool_started)
		readpool_stop(&s->pool);
	index_free(&s->contents);
	index_free(&s->frames);
	for (int k = 0; k < SUBPAGE_SIZES; k++)
		index_free(&s->chunks[k]);
	for (uint32_t g = 0; g < s->ngroups; g++)
		free(s->groups[g].pids);
	free(s->groups);
	free(s->pairs);
	if (s->kpf_fd >= 0)
		close(s->kpf_fd);
	if (s->pr_ok && !s->pr_borrowed)
		pageread_close(&s->pr);
	free(s->klass_of);
	free(s->cc);
	pclasses_free(&s->pclasses);
	stash_free(&s->stash);
	memset(s, 0, sizeof(*s));
	s->kpf_fd = -1;
}

size_t scanner_index_bytes(const struct scanner *s)
{
	size_t b = index_bytes(&s->contents) + index_bytes(&s->frames);

	for (int k = 0; k < SUBPAGE_SIZES; k++)
		b += index_bytes(&s->chunks[k]);
	return b;
}

/* The model's view of the scan; ksm NULL: KSM's defaults (for weights alone). */
static struct model_input model_input_of(const struct scanner *s, const struct ksm_state *ksm)
{
	int64_t mps = ksm ? ksm_state_num(ksm, "max_page_sharing") : -1;

	return (struct model_input){
		.contents = &s->contents, .frames = &s->frames,
		.chunks = { &s->chunks[0], &s->chunks[1], &s->chunks[2], &s->chunks[3] },
		.pairs = s->pairs, .ngroups = s->ngroups,
		.max_page_sharing = mps > 0 ? (uint64_t)mps : 256, /* the kernel's default */
		.use_zero_pages = ksm && ksm_state_num(ksm, "use_zero_pages") == 1,
		.weight = s->sample,
		.klass_of = s->klass_of,
		.nklass = s->nklass,
		/* a probe pass ran and sampling is on: classes were sampled by size */
		.pclasses = s->filter && s->sample > 1 ? &s->pclasses : NULL,
		.tau = s->sample,
		/* built by scanner_finish for these contents: none added since */
		.cc = s->cc && s->ncc == s->contents.count ? s->cc : NULL,
	};
}

int scanner_audit(const struct scanner *s, const struct ksm_state *ksm, struct audit_out *out)
{
	const struct model_input mi = model_input_of(s, ksm);
	int err = audit_compute(&mi, out);

	/* as the model's (scanner_model): zero-page merges the kernel does not count are unknown */
	if (!err)
		out->zero_unknown = s->zero_uncounted && mi.use_zero_pages;
	return err;
}

bool scanner_content(const struct scanner *s, uint64_t hash, uint32_t *m, double *w)
{
	int64_t id = index_id(&s->contents, hash);
	const struct index_entry *e;
	struct model_input mi;

	if (id < 0)
		return false;
	e = index_at(&s->contents, (size_t)id);
	mi = model_input_of(s, NULL);
	*m = e->m;
	*w = model_weight_of(&mi, (uint32_t)id, e);
	return true;
}

int scanner_model(const struct scanner *s, const struct ksm_state *ksm, struct model_out *mo, struct metrics *se)
{
	const struct model_input mi = model_input_of(s, ksm);

	mo->groups = calloc(s->ngroups ? s->ngroups : 1, sizeof(*mo->groups));
	if (!mo->groups || model_compute(&mi, mo) || model_standard_errors(&mi, se))
		return -ENOMEM;
	/*
	 * use_zero_pages=1 on a kernel that counts no zero-page merges: they look like
	 * read faults of never-written memory. Unknown, so null, and what rests on them.
	 */
	if (s->zero_uncounted && mi.use_zero_pages)
		model_zero_unknown(mo, s->ngroups);
	se->effectiveness = metrics_effectiveness_se(&mo->total, se);
	if (mi.weight > 1 || mi.pclasses) {
		mo->group_se = calloc(s->ngroups ? s->ngroups : 1, sizeof(*mo->group_se));
		if (!mo->group_se || model_group_standard_errors(&mi, mo->group_se))
			return -ENOMEM;
	}
	return 0;
}

const char *group_by_name(enum group_by gb)
{
	static const char *const names[] = { "process", "cgroup", "comm", "vm", "user" };

	return (unsigned)gb < ARRAY_SIZE(names) ? names[gb] : "?";
}

static int group_of(struct scanner *s, uint32_t pid, const char *comm, uint32_t *gid)
{
	char key[256], vm[128] = "";
	struct group_info *g;

	switch (s->group_by) {
	case GROUP_PROCESS:
		snprintf(key, sizeof(key), "%u", pid);
		break;
	case GROUP_COMM:
		snprintf(key, sizeof(key), "%s", comm);
		break;
	case GROUP_VM:
		/* a VMM by its guest's name; anything else (or a VM without one) by comm */
		if (!is_vmm_comm(comm) || vm_name_of(pid, vm, sizeof(vm)))
			vm[0] = '\0';
		snprintf(key, sizeof(key), "%s", vm[0] ? vm : comm);
		break;
	case GROUP_CGROUP: {
		int err = proc_cgroup(pid, key, sizeof(key));

		if (err)
			return err;
		break;
	}
	case GROUP_USER: {
		int err = proc_user(pid, key, sizeof(key));

		if (err)
			return err;
		break;
	}
	}
	for (uint32_t i = 0; i < s->ngroups; i++) {
		if (!strcmp(s->groups[i].key, key)) {
			*gid = i;
			goto add_pid;
		}
	}
	if (s->ngroups == s->cap_groups) {
		/* pairs holds 1 << REGION_BITS counts per group: both grow together */
		size_t gcap = s->cap_groups, old = (size_t)s->cap_groups << REGION_BITS, pcap = old;

		if ((s->cap_groups ? (size_t)s->cap_groups * 2 : 16) >= INDEX_MAX_GROUPS)
			return -E2BIG;
		if (GROW(s->groups, gcap, s->ngroups + 1, 16) ||
		    GROW(s->pairs, pcap, gcap << REGION_BITS, (size_t)16 << REGION_BITS))
			return -ENOMEM;
		memset(s->pairs + old, 0, (pcap - old) * sizeof(*s->pairs));
		s->cap_groups = (uint32_t)(pcap >> REGION_BITS);
	}
	*gid = s->ngroups++;
	g = &s->groups[*gid];
	memset(g, 0, sizeof(*g));
	snprintf(g->key, sizeof(g->key), "%s", key);
	snprintf(g->comm, sizeof(g->comm), "%s", comm);
	snprintf(g->vm, sizeof(g->vm), "%s", vm);
add_pid:
	g = &s->groups[*gid];
	if (GROW(g->pids, g->cap_pids, g->npids + 1, 4))
		return -ENOMEM;
	g->pids[g->npids++] = pid;
	return 0;
}

struct proc_scan {
	uint32_t pid;
	uint32_t group;
	int pm_fd, mem_fd;
	uint64_t ksm_zero_left; /* KSM zero-page merges still to place (ksm_stat) */
	bool gone, denied;
};

/*
 * Whether a sampled content's class must be kept (s->klass_of): only when the
 * class was sampled, read with pi < 1. A content with none stands for itself,
 * which is what one of a class read for sure is: weight 1, no error.
 */
static bool class_kept(const struct scanner *s, uint64_t klass, uint64_t h)
{
	if (!s->filter)
		return klass != h; /* sampled by prefix or content, each weighing N */
	return klass && pclass_pi(pclasses_count(&s->pclasses, klass), s->sample) < 1.0;
}

/*
 * Index one page's content (hash h) and chunks. Sampled scans (klass: the
 * page's prefix hash, or 0 for an all-zero prefix) index contents only: the
 * zero content always, a page with a zero prefix when its full hash is
 * sampled, others because their prefix was. 1 when indexed, 0 when sampled
 * out, or -ENOMEM.
 */
static int index_page(struct scanner *s, uint64_t h, const uint64_t *chunks, uint32_t pair, bool mergeable,
		      uint64_t klass)
{
	bool zero = h == hasher_zero(&s->h, s->subpage);
	int err;

	if (s->sample > 1) {
		/* content sampling (no probe pass): a page with an all-zero prefix is kept on its full hash */
		if (!zero && !klass && !s->filter) {
			if (h % s->sample)
				return 0;
			klass = h;
		}
		err = index_add(&s->contents, h, pair, mergeable, zero ? CONTENT_ZERO : 0);
		/* a new content (ids are dense, in the order contents come): its class */
		if (!err && s->contents.count > s->nklass) {
			if (GROW(s->klass_of, s->cap_klass, s->nklass + 1, 1024))
				return -ENOMEM;
			s->klass_of[s->nklass++] = !zero && class_kept(s, klass, h) ? klass : 0;
		}
		return err ? err : 1;
	}
	err = index_add(&s->contents, h, pair, mergeable, zero ? CONTENT_ZERO : 0);
	for (int k = 0; k < SUBPAGE_SIZES && !err && s->subpage; k++)
		for (unsigned i = 0; i < PAGE_BYTES / subpage_sizes[k] && !err; i++)
			err = index_add(&s->chunks[k], chunks[chunk_slot(k, (int)i)], pair, mergeable, 0);
	return err ? err : 1;
}

/* A site KSM merged into the zero page: an all-zero page in a mergeable range. */
static int index_add_zero(struct scanner *s, uint32_t pair)
{
	return index_page(s, hasher_zero(&s->h, s->subpage), s->h.zero_chunks, pair, true, 0);
}

/*
 * Hand the job's sites to the hooks, in address order: the hashed ones (kept[k])
 * and, hashed or not, every one on a KSM frame.
 */
static int report_sites(struct scanner *s, const struct proc_scan *p, const struct pool_job *j, const bool *kept)
{
	struct site_rec r = { .pid = p->pid, .group = PAIR_GROUP(j->pair), .region = PAIR_REGION(j->pair) };
	uint32_t base = (j->mergeable ? SITE_MERGEABLE : 0) | (j->hugetlb ? SITE_HUGETLB : 0);
	size_t k = 0, f = 0;
	int err = 0;

	while (!err && (k < j->n || f < j->nframes)) {
		if (f < j->nframes && !j->frames[f].ksm) {
			f++;
			continue;
		}
		if (k < j->n && (f == j->nframes || j->sites[k].addr <= j->frames[f].addr)) {
			const struct pool_site *ps = &j->sites[k];

			if (f < j->nframes && j->frames[f].addr == ps->addr)
				f++; /* the same site */
			r.addr = ps->addr;
			r.pfn = ps->pfn;
			r.hash = kept[k] ? j->hash[k] : 0;
			r.flags = base | (kept[k] ? SITE_HASHED : 0) | ((ps->flags & POOL_SITE_THP) ? SITE_THP : 0) |
				  ((ps->flags & POOL_SITE_KSM) ? SITE_KSM : 0);
			k++;
			if (!(r.flags & (SITE_HASHED | SITE_KSM)))
				continue;
		} else {
			/* a KSM site sampled out before its read */
			r.addr = j->frames[f].addr;
			r.pfn = j->frames[f].pfn;
			r.hash = 0;
			r.flags = base | SITE_KSM;
			f++;
		}
		err = s->hooks->site(s->hooks->ctx, &r);
	}
	return err;
}

/* A job's process that went away or may not be read is marked so; any other error is returned. */
static int job_status(const struct pool_job *j)
{
	struct proc_scan *p = j->owner;

	if (j->err == -ESRCH)
		p->gone = true;
	else if (j->err == -EACCES)
		p->denied = true;
	else
		return j->err;
	return 0;
}

/* A probe job: its prefixes into the class counts (the pages themselves are counted by the scan). */
static int collect_probe(struct scanner *s, struct pool_job *j)
{
	int err = job_status(j);

	if (!err && !j->err && s->stash.max_sites)
		err = stash_put(&s->stash, ((struct proc_scan *)j->owner)->pid, j);
	s->cost.prefixes += j->prefixes;
	s->cost.prefixes_slow += j->prefixes_slow;
	for (size_t k = 0; k < j->n && !err && !j->err; k++) {
		if (k + PCLASS_AHEAD < j->n && j->klass[k + PCLASS_AHEAD])
			pclasses_prefetch(&s->pclasses, j->klass[k + PCLASS_AHEAD]);
		if (j->klass[k]) /* all-zero prefixes are read whole anyway */
			err = pclasses_add(&s->pclasses, j->klass[k]);
	}
	readpool_release(&s->pool, j);
	return err;
}

/* Fold a finished job into the indexes and the counters (jobs arrive in address order). */
static int collect_job(struct scanner *s, struct pool_job *j)
{
	struct proc_scan *p = j->owner;
	struct pair_counts *pc;
	bool kept[POOL_BATCH];
	uint64_t ksm_zero = 0;
	int err;

	if (j->mode == POOL_PROBE)
		return collect_probe(s, j); /* no group yet: no pair */
	pc = &s->pairs[j->pair];
	s->cost.pages += j->scanned;
	s->cost.bytes_read += j->bytes;
	s->cost.prefixes += j->prefixes;
	s->cost.prefixes_slow += j->prefixes_slow;
	s->cost.pages_by_frame += j->by_frame;
	s->cost.pages_known += j->known;
	s->races.vanished_pages += j->vanished;
	s->races.changed_pages += j->changed;
	err = job_status(j);
	if (!err && !j->err) {
		pc->sites += j->nsites;
		pc->mergeable_sites += j->mergeable ? j->nsites : 0;
		pc->thp_sites += j->thp;
		pc->swapped += j->swapped;
		pc->excl_frames += j->excl_frames;
		pc->unique_sites += j->unique;
		s->cost.pages_unique += j->unique;
		if (j->unmergeable) /* read as sites, counted as what they are all the same */
			*(j->hugetlb ? &pc->hugetlb_sites : &pc->shared_sites) += j->present;
		/*
		 * pagemap cannot tell KSM's zero-page merges apart: ksm_stat counts
		 * them; the first ones met in mergeable ranges are taken as KSM's
		 */
		if (j->mergeable) {
			ksm_zero = j->zero_mapped < p->ksm_zero_left ? j->zero_mapped : p->ksm_zero_left;
			p->ksm_zero_left -= ksm_zero;
		}
		pc->zero_mapped += j->zero_mapped - ksm_zero;
		pc->sites += ksm_zero;
		pc->mergeable_sites += ksm_zero;
		pc->ksm_zero_pages += ksm_zero;
		for (uint64_t k = 0; k < ksm_zero && !err; k++) {
			err = index_add_zero(s, j->pair);
			err = err < 0 ? err : 0;
			if (!err && s->hooks) {
				struct site_rec r = { .pid = p->pid, .group = PAIR_GROUP(j->pair),
						      .region = PAIR_REGION(j->pair), .hash = hasher_zero(&s->h, s->subpage),
						      .flags = SITE_MERGEABLE | SITE_ZMERGE | SITE_HASHED };

				err = s->hooks->site(s->hooks->ctx, &r);
			}
		}
		for (size_t k = 0; k < j->nframes && !err; k++)
			err = index_add(&s->frames, j->frames[k].pfn, j->pair, j->mergeable,
					j->frames[k].ksm ? FRAME_KSM : 0);
	}
	for (size_t k = 0; k < j->n && !err && !j->err; k++) {
		kept[k] = false;
		if (!j->ok[k])
			continue;
		s->cost.pages_read++;
		err = index_page(s, j->hash[k], j->chunks ? j->chunks + k * CHUNK_HASHES : NULL, j->pair,
				 j->mergeable, s->sample > 1 ? j->klass[k] : 0);
		kept[k] = err == 1;
		err = err < 0 ? err : 0;
	}
	if (!err && !j->err)
		s->cost.pages_read -= j->known; /* hashed, not read */
	if (!err && !j->err && s->hooks)
		err = report_sites(s, p, j, kept);
	readpool_release(&s->pool, j);
	return err;
}

/* Collect finished jobs; wait: until none is left. */
static int collect_jobs(struct scanner *s, bool wait)
{
	struct pool_job *j;
	int err = 0;

	while ((j = readpool_collect(&s->pool, wait))) {
		int e = collect_job(s, j);

		err = err ? err : e;
	}
	return err;
}

/* Cut a populated range into jobs of one pagemap batch each. */
static int scan_range(struct scanner *s, struct proc_scan *p, const struct vma *v, enum region_type r,
		      uint64_t start, uint64_t end)
{
	const enum pool_mode mode = s->probing ? POOL_PROBE : s->filter ? POOL_FILTER : POOL_READ;
	const uint64_t batch = s->sample > 1 || mode != POOL_READ ? BATCH_SAMPLED : BATCH_EXACT;

	for (uint64_t a = start; a < end; a += batch * PAGE_BYTES) {
		struct pool_job *j;
		int err;

		if (s->stop && *s->stop)
			return -EINTR;
		if (p->gone)
			return -ESRCH;
		if (p->denied)
			return -EACCES;
		/* collect first: a free slot may be waiting on us */
		if (readpool_pending(&s->pool) >= s->pool.nslots) {
			struct pool_job *done = readpool_collect(&s->pool, true);

			err = done ? collect_job(s, done) : 0;
			if (err)
				return err;
		}
		if (s->hooks && s->hooks->pace)
			s->hooks->pace(s->hooks->ctx, (end - a) / PAGE_BYTES < batch ? (end - a) / PAGE_BYTES : batch);
		j = readpool_job(&s->pool);
		j->mode = mode;
		j->mem_fd = p->mem_fd;
		j->pm_fd = p->pm_fd;
		j->kpf_fd = s->kpf_fd;
		j->start = a;
		j->npages = (end - a) / PAGE_BYTES < batch ? (end - a) / PAGE_BYTES : batch;
		j->pair = PAIR(p->group, r);
		j->mergeable = v->mergeable;
		j->live = s->live;
		j->owner = p;
		j->unmergeable = r == REG_SHARED || r == REG_GUEST_SHARED;
		j->hugetlb = v->hugetlb;
		j->stashed = false;
		if (mode == POOL_FILTER && s->stash.njobs) {
			const struct stash_job *sj = stash_take(&s->stash, p->pid, j->start, j->npages);

			if (sj) {
				stash_fill(&s->stash, sj, j);
				j->stashed = true;
			}
		}
		readpool_submit(&s->pool);
		err = collect_jobs(s, false);
		if (err)
			return err;
	}
	return 0;
}

struct vma_scan {
	struct scanner *s;
	struct proc_scan *p;
	const struct vma *v;
	enum region_type r;
};

static int vma_range(void *ctx, uint64_t start, uint64_t end)
{
	struct vma_scan *x = ctx;

	return scan_range(x->s, x->p, x->v, x->r, start, end);
}

/* A populated range of a mapping KSM cannot merge: its resident pages counted, never read. */
static int count_range(void *ctx, uint64_t start, uint64_t end)
{
	struct vma_scan *x = ctx;
	struct pair_counts *pc = &x->s->pairs[PAIR(x->p->group, x->r)];
	uint64_t pm[PAGEMAP_BATCH];

	for (uint64_t a = start; a < end;) {
		size_t n = (end - a) / PAGE_BYTES < PAGEMAP_BATCH ? (size_t)((end - a) / PAGE_BYTES) : PAGEMAP_BATCH;
		ssize_t got = pagemap_read(x->p->pm_fd, a, n, pm);
		uint64_t present = 0;

		if (got <= 0)
			return got == -ENOENT || got == 0 ? -ESRCH : (int)got;
		for (ssize_t i = 0; i < got; i++)
			present += (pm[i] & PM_PRESENT) != 0;
		*(x->v->hugetlb ? &pc->hugetlb_sites : &pc->shared_sites) += present;
		a += (uint64_t)got * PAGE_BYTES;
	}
	return 0;
}

static int count_vma(struct scanner *s, struct proc_scan *p, const struct vma *v, enum region_type r)
{
	struct vma_scan x = { s, p, v, r };
	int err = pagemap_for_each_populated(p->pm_fd, v->start, v->end, count_range, &x);

	return err == -ENOENT ? -ESRCH : err;
}

/* Only the populated parts of a mapping: a sparse reservation costs nothing. */
static int scan_vma(struct scanner *s, struct proc_scan *p, const struct vma *v, enum region_type r)
{
	struct vma_scan x = { s, p, v, r };
	int err = pagemap_for_each_populated(p->pm_fd, v->start, v->end, vma_range, &x);

	return err == -ENOENT ? -ESRCH : err;
}

/* A process the scan could not read: counted by the scan, not by its probe. */
static int unreadable(struct scanner *s, bool gone)
{
	if (!s->probing)
		*(gone ? &s->races.exited : &s->races.unreadable) += 1;
	return gone ? -ESRCH : -EACCES;
}

/*
 * The probe reads the next process's mappings on a thread of its own while
 * this one's pages are probed: where they come from smaps (vmas_read), that
 * walks every page table entry (6-10 ms for a 600 MiB interpreter, ~15 ms for
 * a 1.3 GiB guest), and a reader sat idle through it, as nothing of the process
 * was queued yet. The thread only reads the text into a buffer of ours and
 * allocates nothing: a thread that calls malloc gets an arena of its own, and
 * one holding the parsed mappings kept ~6 MiB more resident in the engine (four
 * Python interpreters). Text longer than the buffer (thousands of mappings) is
 * read again here.
 */
#define AHEAD_BYTES (2u << 20)

struct vmas_ahead {
	pthread_t t;
	bool running;
	uint32_t pid, next; /* being read; to read when the probe of pid starts */
	char *buf;          /* AHEAD_BYTES */
	ssize_t len;        /* bytes read, or -errno */
};

static void *read_ahead(void *arg)
{
	struct vmas_ahead *a = arg;

	a->len = vmas_text((pid_t)a->pid, a->buf, AHEAD_BYTES);
	return NULL;
}

static void ahead_start(struct vmas_ahead *a, uint32_t pid)
{
	a->pid = pid;
	a->running = pid && a->buf && !pthread_create(&a->t, NULL, read_ahead, a);
}

static void ahead_stop(struct vmas_ahead *a)
{
	if (a->running)
		pthread_join(a->t, NULL);
	a->running = false;
}

/* pid's mappings: read ahead if they were (and fit), else now; then the next process's start. */
static int probe_vmas(struct vmas_ahead *a, uint32_t pid, struct vma_list *vl)
{
	bool mine = a->running && a->pid == pid; /* s->probing: a is scanner_prefilter's */
	int err;

	ahead_stop(a);
	if (mine && a->len < 0)
		err = (int)a->len;
	else if (mine && (size_t)a->len < AHEAD_BYTES - 1)
		err = smaps_parse_buf(a->buf, (size_t)a->len, vl);
	else
		err = vmas_read((pid_t)pid, vl);
	ahead_start(a, a->next);
	return err;
}

/* One process's private mappings: scanned, or probed during scanner_prefilter (s->probing). */
int scanner_scan_pid(struct scanner *s, uint32_t pid)
{
	struct proc_scan p = { .pid = pid, .pm_fd = -1, .mem_fd = -1 };
	struct vma_list vl = { 0 };
	struct proc_ksm_stat ks;
	char comm[KS_COMM_LEN];
	bool vmm, grouped = s->probing; /* a probe counts no page, so it makes no group */
	int err;

	if (start_pool(s))
		return -ENOMEM;
	err = proc_comm(pid, comm);
	/* the probe's mappings: what it stashed was walked as they were */
	if (!err && s->probing)
		err = probe_vmas(s->ahead, pid, &vl);
	else if (!err && !stash_take_vmas(&s->stash, pid, &vl))
		err = vmas_read((pid_t)pid, &vl);
	if (err == -ENOENT || err == -ESRCH || err == -EACCES || err == -EPERM)
		return unreadable(s, err == -ENOENT || err == -ESRCH);
	if (err)
		return err;
	vmm = is_vmm_comm(comm);
	if (!s->probing && !proc_ksm_stat(pid, &ks)) {
		p.ksm_zero_left = ks.zero_pages;
		s->zero_uncounted |= !ks.has_zero;
	}
	p.pm_fd = pagemap_open((pid_t)pid);
	if (p.pm_fd < 0) {
		err = p.pm_fd;
		goto out;
	}
	p.mem_fd = proc_mem_open(pid);
	if (p.mem_fd < 0) {
		err = p.mem_fd;
		goto out;
	}
	for (size_t i = 0; i < vl.n && !err; i++) {
		enum region_type r = region_of(&vl.v[i], vmm);
		bool count_only = r == REG_NONE;

		/*
		 * memory KSM cannot merge: counted by the scan (pagemap only), never
		 * probed or read, unless --include-shared reads it as sites too
		 */
		if (count_only && (!s->probing || s->include_shared))
			r = unmergeable_region_of(&vl.v[i], vmm);
		if (r == REG_NONE)
			continue;
		count_only = count_only && !s->include_shared;
		if (!grouped) {
			/* groups hold only processes with memory of interest (no kernel threads) */
			err = group_of(s, pid, comm, &p.group);
			if (err)
				break;
			grouped = true;
		}
		err = count_only ? count_vma(s, &p, &vl.v[i], r) : scan_vma(s, &p, &vl.v[i], r);
	}
out:
	/* every job of this process finishes before its files close */
	{
		int e = collect_jobs(s, true);

		err = err ? err : e;
	}
	if (!err && !p.gone && !p.denied && p.ksm_zero_left)
		s->races.zero_ksm_unplaced += p.ksm_zero_left;
	if (p.pm_fd >= 0)
		close(p.pm_fd);
	if (p.mem_fd >= 0)
		close(p.mem_fd);
	if (s->probing && s->stash.max_sites && !err && !p.gone && !p.denied && stash_put_vmas(&s->stash, pid, &vl))
		err = -ENOMEM;
	vma_list_free(&vl);
	if (err == -ESRCH || err == -ENOENT || p.gone)
		return unreadable(s, true);
	if (err == -EACCES || err == -EPERM || p.denied)
		return unreadable(s, false);
	return err;
}

void scanner_open_reader(struct scanner *s)
{
	if (s->pr_ok || s->pool_started)
		return;
	s->pr_err = pageread_open(&s->pr);
	s->pr_ok = !s->pr_err;
}

void scanner_lend_reader(struct scanner *s, const struct pageread *pr)
{
	if (s->pr_ok || s->pool_started)
		return;
	s->pr = *pr;
	s->pr_ok = s->pr_borrowed = true;
	s->pr_err = 0;
}

int scanner_prefilter(struct scanner *s, const uint32_t *pids, size_t n)
{
	struct vmas_ahead ahead = { 0 };
	int err = 0;

	s->filter = false;
	if (s->subpage)
		return 0;
	if (!s->pool_started)
		scanner_open_reader(s);
	/* exact: without the reader a prefix costs about what its page does; sampled: needed all the same */
	if (!s->pr_ok && s->sample == 1)
		return 0;
	if (!s->pclasses.gens) { /* not set up yet (an exact scan's has no counting set) */
		/* the first-sighting filter sized for the targets' anonymous pages */
		size_t pages = 0;

		for (size_t i = 0; i < n; i++)
			pages += proc_rss_anon_kb(pids[i]) / 4;
		/* exact: a class is read or not by whether it has a second page; sampled: by its count */
		if (pclasses_init(&s->pclasses, pages, s->sample > 1))
			return -ENOMEM;
	}
	pclasses_clear(&s->pclasses);
	stash_reset(&s->stash);
	s->probing = true;
	/* none (each process read in turn) when paced: the next one's would be read minutes early */
	ahead.buf = n > 1 && !(s->hooks && s->hooks->pace) ? malloc(AHEAD_BYTES) : NULL;
	s->ahead = &ahead;
	for (size_t i = 0; i < n && !err; i++) {
		ahead.next = i + 1 < n ? pids[i + 1] : 0;
		if (s->stop && *s->stop)
			err = -EINTR;
		else
			err = scanner_scan_pid(s, pids[i]);
		if (err == -ESRCH || err == -EACCES)
			err = 0; /* the scan meets it again and counts it */
	}
	ahead_stop(&ahead);
	free(ahead.buf);
	s->ahead = NULL;
	s->probing = false;
	/* the readers now only look the classes up */
	s->pool.classes = &s->pclasses;
	s->pool.tau = s->sample;
	s->filter = !err;
	return err;
}
