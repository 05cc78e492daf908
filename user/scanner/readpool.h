/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading pages is the scan's cost: /proc/PID/mem copies one page at a time
 * under the target's mmap lock (shared, so readers run in parallel). The pool
 * runs jobs of one pagemap batch (a range of up to 512 pages) on reader
 * threads, one per CPU: each job reads pagemap and kpageflags for its range,
 * classifies the pages, samples them, reads and hashes the sites, and checks
 * their frames again. The scanning thread only cuts mappings into jobs and
 * feeds the results, in order, to the indexes, which stay single-threaded.
 * Page contents never leave a job.
 */
#ifndef KSMSCOPE_SCANNER_READPOOL_H
#define KSMSCOPE_SCANNER_READPOOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/pagehash.h"
#include "scanner/pageread.h"
#include "scanner/prefix_classes.h"

#define POOL_BATCH 1024
#define POOL_MAX_THREADS PAGEREAD_SLOTS /* each reader owns a prefix slot */

#define POOL_SITE_THP 1u
#define POOL_SITE_KSM 2u
#define POOL_SITE_SHARED 4u /* its frame is not exclusively this mapping's */

struct pool_site {
	uint64_t addr, pfn;
	uint32_t flags; /* POOL_SITE_* */
};

struct pool_frame {
	uint64_t addr, pfn; /* addr: the site mapping it */
	bool ksm;
};

/*
 * What a job does with its sites:
 *   POOL_READ   read them whole (sampled scans: those whose prefix is sampled);
 *   POOL_PROBE  read their prefixes only, returned in klass[] (0: all zero, or
 *               unreadable: such a site is read whole later, like a zero prefix);
 *   POOL_FILTER read their prefixes, count a site whose prefix class holds one
 *               page as unique without reading it, read the rest whole (sampled
 *               scans: the rest of the classes pclass_sampled keeps).
 */
enum pool_mode { POOL_READ, POOL_PROBE, POOL_FILTER };

struct pool_job {
	/* in */
	enum pool_mode mode;
	int mem_fd, pm_fd, kpf_fd;
	uint64_t start;   /* the range: npages pages from start */
	size_t npages;
	uint32_t pair;
	bool mergeable, live, chunks_wanted;
	bool stashed; /* the counts, sites, frames and klass below come from a probe (probe_stash) */
	bool unmergeable; /* a shared or hugetlb range (--include-shared): file-backed and non-anonymous frames are sites */
	bool hugetlb;     /* ... a hugetlb one */
	void *owner; /* the caller's process record */
	/* out: the range's pages, counted */
	size_t scanned;           /* pagemap entries read */
	uint64_t nsites, thp, swapped, excl_frames; /* nsites: anonymous pages present */
	uint64_t zero_mapped;     /* mappings of the zero page (some may be KSM's, in order) */
	uint64_t present;         /* pagemap entries present (unmergeable ranges: shared_sites, hugetlb_sites) */
	size_t nframes;           /* sites on shared or KSM frames */
	struct pool_frame frames[POOL_BATCH];
	/* out: the sites read (sampled scans: the kept ones) */
	size_t n;
	struct pool_site sites[POOL_BATCH];
	uint64_t klass[POOL_BATCH]; /* sampled scans: each kept site's class; probes: its prefix hash */
	uint64_t unique;            /* POOL_FILTER: sites alone in their prefix class, not read */
	bool ok[POOL_BATCH];             /* read whole */
	uint64_t hash[POOL_BATCH];       /* hash_page or hash_page_fast */
	uint64_t *chunks;                /* [POOL_BATCH * CHUNK_HASHES] when chunks_wanted */
	uint64_t bytes, vanished, changed;
	uint64_t known;                  /* KSM sites whose hash was known: not read */
	uint64_t prefixes, prefixes_slow; /* sampled scans */
	uint64_t by_frame;                /* pages read whole through the BPF reader */
	int err;                         /* -ESRCH gone, -EACCES denied, other -errno */
	/* queue state */
	int state;
	unsigned char *buf;
};

struct readpool;

struct reader_arg {
	struct readpool *p;
	unsigned slot; /* the reader's prefix slot */
};

struct readpool {
	const struct hasher *h;
	uint32_t sample;       /* keep a content when its prefix hash % sample == 0 */
	struct pageread *pr;   /* prefixes by frame number; NULL: through /proc/PID/mem */
	const struct prefix_classes *classes; /* POOL_FILTER: read only while such jobs run */
	double tau; /* POOL_FILTER with sample > 1: the class sampling threshold (pclass_pi) */
	struct pool_job *jobs; /* ring of slots */
	size_t nslots;
	size_t submitted, taken, done_upto; /* monotonic job numbers */
	pthread_t threads[POOL_MAX_THREADS];
	struct reader_arg args[POOL_MAX_THREADS];
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t work; /* readers wait here for a job */
	pthread_cond_t done; /* the scanning thread waits here for a job to finish */
	bool closing, chunks;
	/*
	 * Optional, called from the reader threads: the content hash of a KSM
	 * page by frame number, when the caller knows it for sure.
	 */
	bool (*known)(void *ctx, uint64_t pfn, uint64_t *hash);
	void *known_ctx;
};

/*
 * Start readers (one per online CPU but one, at most POOL_MAX_THREADS - 1: the
 * caller runs queued jobs in the last slot while it waits to collect; 0
 * threads runs jobs inline). sample > 1: jobs first keep only the sites whose
 * page prefix is sampled (read through pr when given), and compact sites[] to
 * those.
 */
int readpool_start(struct readpool *p, const struct hasher *h, bool chunks, uint32_t sample, struct pageread *pr);
/* A free job slot to fill (waits for one); NULL only if the pool is broken. */
struct pool_job *readpool_job(struct readpool *p);
void readpool_submit(struct readpool *p);
/* The oldest finished job not yet collected, or NULL; wait: block until one is done. */
struct pool_job *readpool_collect(struct readpool *p, bool wait);
/* Give a collected job's slot back. */
void readpool_release(struct readpool *p, struct pool_job *j);
size_t readpool_pending(const struct readpool *p);
void readpool_stop(struct readpool *p);

#endif
