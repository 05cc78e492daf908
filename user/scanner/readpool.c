// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/readpool.h"
#include "scanner/ksmflag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "sys/pagemap.h"

enum { J_FREE, J_FILLING, J_QUEUED, J_RUNNING, J_DONE, J_COLLECTED };

static bool all_zero(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* POOL_FILTER: whether a site with a non-zero prefix (hash ph) is not read whole. */
static bool filter_out(const struct readpool *p, struct pool_job *j, const struct pool_site *site, uint64_t ph)
{
	uint32_t m = pclasses_count(p->classes, ph);

	/* exact scans read a KSM page (or know it) as without the filter: the tracer joins on its hash */
	if (m == 1 && (p->sample > 1 || !(site->flags & POOL_SITE_KSM))) {
		j->unique++;
		return true;
	}
	return p->sample > 1 && !pclass_sampled(ph, pclass_pi(m, p->tau));
}

/*
 * Each site's 64-byte prefix hash into klass[]: 0 for an all-zero prefix, and
 * for one that could not be read (the site is then read whole, or found gone).
 */
static void read_prefixes(const struct readpool *p, struct pool_job *j, unsigned slot)
{
	unsigned char buf[PAGEREAD_PREFIX];

	/* the BPF reader takes PAGEREAD_BATCH frames a run */
	for (size_t base = 0; base < j->n; base += PAGEREAD_BATCH) {
		size_t m = j->n - base < PAGEREAD_BATCH ? j->n - base : PAGEREAD_BATCH;
		uint64_t pfns[PAGEREAD_BATCH];
		const unsigned char *pre = NULL;
		const int32_t *errs = NULL;
		bool fast = p->pr != NULL;

		if (fast) {
			for (size_t i = 0; i < m; i++)
				pfns[i] = j->sites[base + i].pfn;
			fast = !pageread_prefixes(p->pr, slot, pfns, m, &pre, &errs);
		}
		for (size_t i = 0; i < m; i++) {
			const unsigned char *px = buf;
			uint64_t ph;

			j->klass[base + i] = 0;
			if (fast && !errs[i]) {
				px = pre + i * PAGEREAD_PREFIX;
			} else {
				/* no BPF reader, or the frame is outside the direct map */
				if (pread(j->mem_fd, buf, sizeof(buf), (off_t)j->sites[base + i].addr) != (ssize_t)sizeof(buf))
					continue;
				j->prefixes_slow++;
			}
			j->prefixes++;
			if (all_zero(px, PAGEREAD_PREFIX))
				continue;
			ph = XXH3_64bits_withSeed(px, PAGEREAD_PREFIX, p->h->key ^ 0x7072656669780000ULL);
			j->klass[base + i] = ph ? ph : 1;
		}
	}
}

/*
 * Keep, in order, the sites the job's mode wants read whole. Sampled scans
 * (POOL_READ, sample > 1) keep the sites whose prefix hashes to 0 mod N
 * (identical pages have identical prefixes, so every copy of a kept content is
 * kept) and those with an all-zero prefix, decided later on their full hash.
 * Probes keep every site; filtered scans all but the unique ones.
 */
static void keep_sites(const struct readpool *p, struct pool_job *j)
{
	size_t w = 0;

	for (size_t i = 0; i < j->n; i++) {
		uint64_t ph = j->klass[i];

		if (j->mode == POOL_FILTER && i + PCLASS_AHEAD < j->n && j->klass[i + PCLASS_AHEAD])
			pclasses_prefetch(p->classes, j->klass[i + PCLASS_AHEAD]);
		if (ph && j->mode == POOL_READ && ph % p->sample)
			continue;
		if (ph && j->mode == POOL_FILTER && filter_out(p, j, &j->sites[i], ph))
			continue;
		/* w <= i: compacting in place never overwrites a site still to look at */
		j->sites[w] = j->sites[i];
		j->klass[w++] = ph;
	}
	j->n = w;
}

/* pagemap + kpageflags for the job's range: counts, shared frames, and the sites. */
static int classify(struct pool_job *j)
{
	uint64_t pm[POOL_BATCH], pfns[POOL_BATCH], flags[POOL_BATCH];
	size_t idx[POOL_BATCH], np = 0;
	ssize_t got = pagemap_read(j->pm_fd, j->start, j->npages, pm);
	int err;

	j->scanned = j->n = j->nframes = 0;
	j->nsites = j->thp = j->swapped = j->excl_frames = j->zero_mapped = j->present = 0;
	if (got < 0)
		return got == -ENOENT ? -ESRCH : (int)got;
	if (got == 0)
		return -ESRCH; /* EOF: the mm is gone */
	j->scanned = (size_t)got;
	for (ssize_t i = 0; i < got; i++) {
		if (pm[i] & PM_SWAP) {
			j->swapped++;
			continue;
		}
		/* page cache pages of private file mappings are PM_FILE: not anonymous */
		j->present += (pm[i] & PM_PRESENT) != 0;
		/* shmem behind a shared mapping is PM_FILE: a site only when read on purpose */
		if (!(pm[i] & PM_PRESENT) || ((pm[i] & PM_FILE) && !j->unmergeable))
			continue;
		if (!(pm[i] & PM_PFN_MASK))
			return -EACCES; /* PFNs hidden: not CAP_SYS_ADMIN */
		pfns[np] = pm[i] & PM_PFN_MASK;
		idx[np++] = (size_t)i;
	}
	err = ksmflag_kpageflags(j->kpf_fd, pfns, np, flags);
	if (err)
		return err;
	for (size_t k = 0; k < np; k++) {
		bool ksm = kpf_has(flags[k], KPF_KSM), thp = kpf_has(flags[k], KPF_THP), shared;
		uint64_t addr = j->start + (uint64_t)idx[k] * 4096;

		if (kpf_has(flags[k], KPF_ZERO_PAGE)) {
			j->zero_mapped++;
			continue;
		}
		if (!kpf_has(flags[k], KPF_ANON) && !j->unmergeable)
			continue;
		j->nsites++;
		j->thp += thp;
		shared = !(pm[idx[k]] & PM_EXCLUSIVE);
		if (!shared && !ksm)
			j->excl_frames++;
		else
			j->frames[j->nframes++] = (struct pool_frame){ addr, pfns[k], ksm };
		j->sites[j->n++] = (struct pool_site){ addr, pfns[k],
						       (thp ? POOL_SITE_THP : 0) | (ksm ? POOL_SITE_KSM : 0) |
							       (shared ? POOL_SITE_SHARED : 0) };
	}
	return 0;
}

/*
 * A sampled scan's kept pages lie scattered, one /proc/PID/mem read (an mm walk
 * and a page reference, ~1.6 us) each: read them by frame through the BPF reader
 * instead, a batch a syscall. What it cannot read is left for /proc/PID/mem.
 */
static void read_by_frame(const struct readpool *p, struct pool_job *j, unsigned slot)
{
	size_t idx[PAGEREAD_PAGES];

	for (size_t i = 0; i < j->n;) {
		uint64_t pfns[PAGEREAD_PAGES];
		const unsigned char *pages;
		const int32_t *errs;
		size_t m = 0;

		for (; i < j->n && m < PAGEREAD_PAGES; i++)
			if (!j->ok[i]) {
				idx[m] = i;
				pfns[m++] = j->sites[i].pfn;
			}
		if (!m || pageread_pages(p->pr, slot, pfns, m, &pages, &errs))
			return;
		for (size_t k = 0; k < m; k++) {
			if (errs[k])
				continue;
			j->hash[idx[k]] = hash_page_fast(p->h, pages + k * 4096);
			j->ok[idx[k]] = true;
			j->bytes += 4096;
			j->by_frame++;
		}
	}
}

static void run_job(const struct readpool *p, struct pool_job *j, unsigned slot)
{
	size_t i = 0;

	j->bytes = j->vanished = j->changed = j->prefixes = j->prefixes_slow = j->by_frame = 0;
	j->unique = 0;
	j->err = 0;
	if (!j->stashed) {
		j->err = classify(j);
		if (j->err)
			return;
		if (p->sample > 1 || j->mode != POOL_READ)
			read_prefixes(p, j, slot);
	}
	if (j->mode == POOL_PROBE)
		return;
	if (p->sample > 1 || j->mode != POOL_READ)
		keep_sites(p, j);
	memset(j->ok, 0, j->n * sizeof(j->ok[0]));
	j->known = 0;
	/* a KSM page cannot change while it stays one: its hash may already be known */
	for (size_t k = 0; p->known && !j->chunks_wanted && k < j->n; k++) {
		if ((j->sites[k].flags & POOL_SITE_KSM) && p->known(p->known_ctx, j->sites[k].pfn, &j->hash[k])) {
			j->ok[k] = true;
			j->known++;
		}
	}
	/* the sites left are scattered: by frame, a batch a syscall */
	if ((p->sample > 1 || j->mode == POOL_FILTER) && p->pr && !j->chunks_wanted)
		read_by_frame(p, j, slot);
	while (i < j->n) {
		size_t run = 1, done;
		ssize_t got;

		if (j->ok[i]) {
			i++;
			continue;
		}
		while (i + run < j->n && !j->ok[i + run] && j->sites[i + run].addr == j->sites[i].addr + run * 4096)
			run++;
		/*
		 * /proc/PID/mem, not process_vm_readv: its read-only pin makes the
		 * kernel copy every page that is not exclusively owned (every KSM
		 * page, every page still shared since a fork) first, so reading
		 * would break the sharing we measure (seen here: 64 KSM pages read,
		 * 64 unmerged). /proc/PID/mem takes plain references.
		 */
		got = pread(j->mem_fd, j->buf, run * 4096, (off_t)j->sites[i].addr);
		if (got < 0) {
			if (errno == ESRCH || errno == EPERM || errno == EACCES || (errno != EIO && errno != EFAULT)) {
				j->err = errno == ESRCH ? -ESRCH : (errno == EPERM || errno == EACCES) ? -EACCES : -errno;
				return;
			}
			got = 0; /* the first page of the run is gone */
		} else if (got == 0) {
			j->err = -ESRCH; /* EOF: the mm is gone */
			return;
		}
		done = (size_t)got / 4096;
		j->bytes += (uint64_t)got;
		for (size_t k = 0; k < done; k++) {
			const unsigned char *page = j->buf + k * 4096;

			j->hash[i + k] = j->chunks_wanted ? hash_page(p->h, page, j->chunks + (i + k) * CHUNK_HASHES)
							  : hash_page_fast(p->h, page);
			j->ok[i + k] = true;
		}
		if (done < run) {
			/* the read stopped at a page that went away: skip it, resume after it */
			j->vanished++;
			i += done + 1;
		} else {
			i += run;
		}
	}
	if ((j->live || j->stashed) && j->n) {
		/*
		 * a frame that changed under the read (or since the probe): a
		 * copy-on-write, migration or swap-out
		 */
		uint64_t first = j->sites[0].addr, pm[POOL_BATCH];
		size_t span = (size_t)((j->sites[j->n - 1].addr - first) / 4096) + 1;
		ssize_t got = span <= POOL_BATCH ? pagemap_read(j->pm_fd, first, span, pm) : -1;

		for (size_t k = 0; k < j->n && got > 0; k++) {
			size_t at = (size_t)((j->sites[k].addr - first) / 4096);

			if (j->ok[k] && (ssize_t)at < got && (pm[at] & PM_PFN_MASK) != j->sites[k].pfn)
				j->changed++;
		}
	}
}

static void *reader(void *arg)
{
	struct readpool *p = ((struct reader_arg *)arg)->p;
	unsigned slot = ((struct reader_arg *)arg)->slot;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct pool_job *j = NULL;

		while (!p->closing && p->taken == p->submitted)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->taken == p->submitted)
			break;
		j = &p->jobs[p->taken++ % p->nslots];
		j->state = J_RUNNING;
		pthread_mutex_unlock(&p->mu);
		run_job(p, j, slot);
		pthread_mutex_lock(&p->mu);
		j->state = J_DONE;
		pthread_cond_signal(&p->done); /* the one scanning thread */
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int readpool_start(struct readpool *p, const struct hasher *h, bool chunks, uint32_t sample, struct pageread *pr)
{
	/*
	 * One reader fewer than CPUs: the scanning thread runs queued jobs itself
	 * while it waits (readpool_collect). A reader per CPU beside it left three
	 * busy threads on two CPUs: on four Python interpreters 6,000 context
	 * switches and 0.39-0.42 s, against ~180 and 0.35-0.36 s this way.
	 */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	int want = cpus < 1 ? 0 : cpus > POOL_MAX_THREADS - 1 ? POOL_MAX_THREADS - 1 : (int)cpus;

	memset(p, 0, sizeof(*p));
	p->h = h;
	p->chunks = chunks;
	p->sample = sample;
	p->pr = pr;
	p->nslots = (size_t)(want + 1) * 2 + 1; /* the caller runs jobs too */
	p->jobs = calloc(p->nslots, sizeof(*p->jobs));
	if (!p->jobs)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (size_t i = 0; i < p->nslots; i++) {
		p->jobs[i].buf = aligned_alloc(4096, POOL_BATCH * 4096);
		p->jobs[i].chunks = chunks ? malloc(POOL_BATCH * CHUNK_HASHES * sizeof(uint64_t)) : NULL;
		if (!p->jobs[i].buf || (chunks && !p->jobs[i].chunks)) {
			readpool_stop(p);
			return -ENOMEM;
		}
	}
	for (int t = 0; t < want; t++) {
		p->args[p->nthreads] = (struct reader_arg){ p, (unsigned)p->nthreads };
		if (!pthread_create(&p->threads[p->nthreads], NULL, reader, &p->args[p->nthreads]))
			p->nthreads++;
	}
	return 0;
}

/* Slots are used in job-number order: job k lives in slot k % nslots. */
struct pool_job *readpool_job(struct readpool *p)
{
	struct pool_job *j;

	pthread_mutex_lock(&p->mu);
	j = &p->jobs[p->submitted % p->nslots];
	while (j->state != J_FREE) /* freed by this same thread's readpool_release */
		pthread_cond_wait(&p->done, &p->mu);
	j->state = J_FILLING;
	pthread_mutex_unlock(&p->mu);
	j->chunks_wanted = p->chunks;
	return j;
}

void readpool_submit(struct readpool *p)
{
	struct pool_job *j = &p->jobs[p->submitted % p->nslots];

	if (!p->nthreads) {
		/* one CPU, or no thread could be had: run it here */
		run_job(p, j, 0);
		j->state = J_DONE;
		p->submitted++;
		p->taken++;
		return;
	}
	pthread_mutex_lock(&p->mu);
	j->state = J_QUEUED;
	p->submitted++;
	pthread_cond_signal(&p->work); /* one job, one reader: waking them all costs a context switch each */
	pthread_mutex_unlock(&p->mu);
}

/* With p->mu held: run the oldest job no reader has taken here, in the caller's slot. */
static bool run_queued(struct readpool *p)
{
	struct pool_job *j;

	if (p->taken == p->submitted)
		return false;
	j = &p->jobs[p->taken++ % p->nslots];
	j->state = J_RUNNING;
	pthread_mutex_unlock(&p->mu);
	run_job(p, j, (unsigned)p->nthreads); /* the readers have slots 0 .. nthreads - 1 */
	pthread_mutex_lock(&p->mu);
	j->state = J_DONE;
	return true;
}

struct pool_job *readpool_collect(struct readpool *p, bool wait)
{
	struct pool_job *j = NULL;

	pthread_mutex_lock(&p->mu);
	if (p->done_upto < p->submitted) {
		struct pool_job *c = &p->jobs[p->done_upto % p->nslots];

		/* in submission order: a later job may finish first, it waits its turn */
		while (wait && c->state != J_DONE)
			if (!run_queued(p))
				pthread_cond_wait(&p->done, &p->mu);
		if (c->state == J_DONE) {
			c->state = J_COLLECTED;
			p->done_upto++;
			j = c;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return j;
}

void readpool_release(struct readpool *p, struct pool_job *j)
{
	pthread_mutex_lock(&p->mu);
	j->state = J_FREE;
	pthread_mutex_unlock(&p->mu);
}

size_t readpool_pending(const struct readpool *p)
{
	return p->submitted - p->done_upto;
}

void readpool_stop(struct readpool *p)
{
	if (p->nthreads) {
		pthread_mutex_lock(&p->mu);
		p->closing = true;
		pthread_cond_broadcast(&p->work);
		pthread_mutex_unlock(&p->mu);
		for (int t = 0; t < p->nthreads; t++)
			pthread_join(p->threads[t], NULL);
	}
	if (p->jobs) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->work);
		pthread_cond_destroy(&p->done);
		for (size_t i = 0; i < p->nslots; i++) {
			free(p->jobs[i].buf);
			free(p->jobs[i].chunks);
		}
		free(p->jobs);
	}
	memset(p, 0, sizeof(*p));
}
