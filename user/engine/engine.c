// SPDX-License-Identifier: GPL-2.0-only
#include "engine/engine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "tracer/loader.h"
#include "sys/preflight.h"
#include "lib/util.h"
#include "scanner/audit.h"

const double lat_bounds[LAT_BUCKETS] = { 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600 };

/* A process's cost in the pacing budget, beyond its pages: its smaps walk and files. */
#define PROC_COST_PAGES 64

void latency_add(struct latency_hist *h, double seconds)
{
	int b = 0;

	while (b < LAT_BUCKETS && seconds > lat_bounds[b])
		b++;
	h->bucket[b]++;
	h->count++;
	h->sum += seconds;
}

/* A finished pass, handed from the scan thread to the main thread whole. */
struct pass_result {
	struct group_info *groups;
	uint32_t ngroups;
	struct model_out mo;
	struct metrics se;
	struct scan_races races;
	uint64_t pages;
	double seconds, ended; /* engine seconds */
	/* class sampling: content hash -> its weight (1/pi, as the double's bits), for the correlator */
	struct u64map weights;
	bool has_weights;
	/* the quick first pass: sampled 1/sample by prefix class, unpaced, no sites kept */
	bool estimate;
	uint32_t sample;
	uint64_t pages_read;
};

/* The counters an interval's rates are differences of: read at each snapshot, kept for the next. */
struct readings {
	double t;                  /* engine seconds */
	uint64_t merges, unmerges; /* the tracer's */
	double ksmd_cpu;           /* ksmd's CPU seconds; < 0 unknown */
	int64_t pages_scanned;     /* KSM's pages_scanned; < 0 unknown (kept as 0) */
	double self_cpu;           /* our CPU seconds */
};

struct engine {
	struct engine_opts *o;
	struct evsource src;
	struct corr corr;
	struct audit_out audit; /* recomputed with the actual saving */
	struct hasher h;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	bool th_started;
	volatile sig_atomic_t scan_stop; /* the scanner's: abandon the pass */
	_Atomic uint64_t full_scans;     /* KSM's, monotonic across run=2 resets */
	_Atomic uint64_t pass_pages;     /* covered by the pass under way (each of two walks counts half) */
	int walks;                       /* 2 while a pass probes prefixes and then scans, else 1 (scan thread) */
	uint64_t t0_ns;
	/*
	 * KSM frames' content hashes from the last adopted pass, for the next pass's
	 * readers (a KSM page cannot change while it stays one): read-only while a
	 * pass runs; `freed` (under mu) holds the frames KSM let go of since, whose
	 * numbers may now be other pages.
	 */
	struct kvtab known;
	struct kvtab freed;
	/* under mu */
	struct pass_result *incoming;
	int scan_err;
	bool closing;
	/* the main thread's */
	struct pass_result *pass;
	/* the BPF prefix reader every pass uses (loaded once), when this kernel allows it */
	struct pageread pr;
	bool pr_ok;
	/* the quick first pass's potential: stands in until the first exact pass is adopted */
	struct pass_result *estimate, *est_incoming;
	uint64_t passes;
	struct pidtab pidev; /* struct pid_events: KSM events per process */
	struct latency_hist lat;
	uint64_t merges, zero_merges, unmerges;
	struct readings prev; /* at the last snapshot (or the start) */
	int ksmd_pid;
	double last_scan_change_t, full_scan_seconds;
	uint64_t last_full_scans, full_scans_base;
	int full_scans_fd; /* KSM's full_scans, held open: read every loop (up to 20 times a second) */
	/* the scan thread's */
	double tokens, refill_t;
	/* the correlator's last results: recomputed when something changed, within a CPU budget */
	struct corr_metrics *cgroups, ctotal;
	struct group_live *glive;
	uint32_t cap_live;
	uint64_t computed_fs;
	double computed_t, next_compute;
	bool adopted; /* a pass was adopted since the last compute: group ids changed */
	bool known_off; /* the freed set could not grow: the known hashes are not used again */
};

static double engine_now(const struct engine *E)
{
	return (double)(now_mono_ns() - E->t0_ns) / 1e9;
}

static void pass_free(struct pass_result *p)
{
	if (!p)
		return;
	for (uint32_t g = 0; g < p->ngroups; g++)
		free(p->groups[g].pids);
	free(p->groups);
	free(p->mo.groups);
	free(p->mo.group_se);
	if (p->has_weights)
		u64map_free(&p->weights);
	free(p);
}

/*
 * Class-sampled pass: each sampled content's weight 1/pi, for the correlator's
 * missed reasons. Built after the model, whose transient rows are gone by then:
 * 16 bytes a slot for the contents of classes read with pi < 1 only (a content
 * not in it weighs 1). 0 or -ENOMEM.
 */
static int pass_weights(const struct scanner *s, struct pass_result *p)
{
	size_t n = 0;

	if (!s->filter || s->sample <= 1)
		return 0;
	for (size_t id = 0; id < s->nklass; id++)
		n += s->klass_of[id] != 0;
	if (u64map_init(&p->weights, n))
		return -ENOMEM;
	p->has_weights = true;
	for (size_t id = 0; id < s->nklass; id++) {
		uint64_t k = s->klass_of[id];
		double w;
		uint64_t bits;

		if (!k)
			continue; /* read for sure (or class 0, all-zero prefixes: always read) */
		w = 1.0 / pclass_pi(pclasses_count(&s->pclasses, k), s->sample);
		memcpy(&bits, &w, sizeof(bits));
		if (u64map_put(&p->weights, ie_key(index_at(&s->contents, id)), bits))
			return -ENOMEM;
	}
	return 0;
}

/* ---- the scan thread ---- */

/* Token bucket over pages examined: at most one second of budget banked. */
static void take_tokens(struct engine *E, uint64_t pages)
{
	double rate = E->o->scan_rate_mib * 256.0; /* pages per second */

	for (;;) {
		double now = engine_now(E);

		E->tokens += (now - E->refill_t) * rate;
		E->refill_t = now;
		if (E->tokens > rate)
			E->tokens = rate;
		if (E->tokens >= (double)pages || E->scan_stop) {
			E->tokens -= (double)pages;
			return;
		}
		{
			double wait = ((double)pages - E->tokens) / rate;
			struct timespec ts;

			if (wait > 0.1)
				wait = 0.1; /* stay responsive to the stop flag */
			ts.tv_sec = (time_t)wait;
			ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
		}
	}
}

/*
 * The scanner's hook: before each job. A pass that probes prefixes first walks
 * every page twice; --scan-rate is memory covered per second, so each walk is
 * charged half (a pass over X MiB takes X / rate seconds either way).
 */
static void pace(void *ctx, uint64_t pages)
{
	struct engine *E = ctx;
	uint64_t covered = E->walks == 2 ? (pages + 1) / 2 : pages;

	atomic_fetch_add(&E->pass_pages, covered);
	take_tokens(E, covered);
}

static bool known_hash(void *ctx, uint64_t pfn, uint64_t *hash)
{
	struct engine *E = ctx;
	struct kv_slot *k = kvtab_get(&E->known, pfn, 0);
	bool freed;

	if (!k)
		return false;
	pthread_mutex_lock(&E->mu);
	freed = E->known_off || kvtab_get(&E->freed, pfn, 0) != NULL;
	pthread_mutex_unlock(&E->mu);
	if (freed)
		return false;
	*hash = k->v1;
	return true;
}

static int on_site(void *ctx, const struct site_rec *r)
{
	struct engine *E = ctx;
	int err;

	/* events move the sites already read: the pass grows under the same lock */
	pthread_mutex_lock(&E->mu);
	err = corr_pass_add(&E->corr, r, atomic_load(&E->full_scans), (float)engine_now(E));
	pthread_mutex_unlock(&E->mu);
	return err;
}

struct hash_acc {
	struct hash_rec *r;
	size_t n, cap;
	uint64_t zero;
	bool oom;
};

static void hash_cell(void *ctx, const struct index_cell *c)
{
	struct hash_acc *a = ctx;

	if (ie_key(c->e) == a->zero || a->oom)
		return;
	if (GROW(a->r, a->cap, a->n + 1, 4096)) {
		a->oom = true;
		return;
	}
	a->r[a->n++] = (struct hash_rec){ ie_key(c->e), PAIR_GROUP(c->pair), c->s };
}

static int by_hash_group(const void *a, const void *b)
{
	const struct hash_rec *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return (x->group > y->group) - (x->group < y->group);
}

/* The pass's fingerprint to the on_hashes hook: (content, group, sites), sorted. */
static int give_hashes(struct engine *E, struct scanner *s)
{
	struct hash_acc a = { .zero = hasher_zero(&s->h, s->subpage) };
	size_t m = 0;
	int err;

	if (index_foreach(&s->contents, hash_cell, &a) || a.oom) {
		free(a.r);
		return -ENOMEM;
	}
	/* a content's cells in one group (one per region) become one record */
	if (a.n)
		qsort(a.r, a.n, sizeof(*a.r), by_hash_group);
	for (size_t i = 0; i < a.n; i++) {
		if (m && a.r[m - 1].hash == a.r[i].hash && a.r[m - 1].group == a.r[i].group)
			a.r[m - 1].sites += a.r[i].sites;
		else
			a.r[m++] = a.r[i];
	}
	err = E->o->on_hashes(E->o->hashes_ctx, a.r, m, s->groups, s->ngroups, a.zero);
	free(a.r);
	return err ? -ECANCELED : 0;
}

/* Every target into the scanner's indexes, paced. 0, -EINTR when stopped, other -errno. */
static int scan_targets(struct engine *E, struct scanner *s, const uint32_t *pids, size_t n)
{
	int err = 0;

	atomic_store(&E->pass_pages, 0);
	pthread_mutex_lock(&E->mu);
	corr_pass_begin(&E->corr);
	pthread_mutex_unlock(&E->mu);
	/*
	 * Exact passes probe every page's prefix first (paced like the rest): a page
	 * alone in its prefix class is counted as a content of its own, neither read
	 * nor kept as a correlator site. Not when recording fingerprints: a content
	 * unique here may be common with another host's.
	 */
	E->walks = 2; /* the probe's pages, if it probes */
	if (!E->o->on_hashes)
		err = scanner_prefilter(s, pids, n);
	E->walks = s->filter ? 2 : 1;
	for (size_t i = 0; i < n && !err && !E->scan_stop; i++) {
		uint64_t examined = s->cost.pages;

		err = scanner_scan_pid(s, pids[i]);
		/* processes with memory pay for their smaps walk too; kernel threads have none */
		if (s->cost.pages > examined)
			take_tokens(E, PROC_COST_PAGES);
		if (err == -ESRCH || err == -EACCES)
			err = 0; /* counted in races */
		if (err && err != -ENOMEM && err != -EINTR) {
			/* one odd process (an I/O error reading it) must not stop the engine */
			ks_warn("pid %u: %s: left out of this pass", pids[i], strerror(-err));
			err = 0;
		}
		if (err)
			break;
	}
	scanner_finish(s);
	return !err && E->scan_stop ? -EINTR : err;
}

/*
 * The finished pass, with the scanner's groups, to the main thread, which
 * adopts it (and the correlator's new sites) before the next pass begins.
 */
static void hand_over(struct engine *E, struct pass_result *p, double t0)
{
	p->pages = atomic_load(&E->pass_pages);
	p->ended = engine_now(E);
	p->seconds = p->ended - t0;
	pthread_mutex_lock(&E->mu);
	E->incoming = p;
	while (E->incoming && !E->closing)
		pthread_cond_wait(&E->cv, &E->mu);
	if (E->incoming) { /* closing: never adopted */
		E->incoming = NULL;
		corr_pass_abort(&E->corr);
		pass_free(p);
	}
	pthread_mutex_unlock(&E->mu);
}

/* A finished scan's potential as a pass: the model, and the scanner's groups and races moved in. 0 or -errno. */
static int pass_of(struct scanner *s, struct pass_result **out)
{
	struct pass_result *p = calloc(1, sizeof(*p));
	struct ksm_state ksm;
	int err = p ? ksm_state_read_host(&ksm) : -ENOMEM;

	if (!err)
		err = scanner_model(s, &ksm, &p->mo, &p->se);
	if (err) {
		pass_free(p);
		return err;
	}
	p->groups = s->groups;
	p->ngroups = s->ngroups;
	s->groups = NULL;
	s->ngroups = 0;
	p->races = s->races;
	*out = p;
	return 0;
}

/* A scanner for one of the engine's passes: the run's hash key, the stop flag, the loaded prefix reader. */
static int pass_scanner(struct engine *E, struct scanner *s, uint32_t sample)
{
	int err = scanner_init(s, E->o->sc.gb, sample, true);

	if (err)
		return err;
	s->h = E->h;
	s->stop = &E->scan_stop;
	s->include_shared = E->o->sc.include_shared;
	if (E->pr_ok)
		scanner_lend_reader(s, &E->pr);
	return 0;
}

/*
 * The quick first pass: every target at full speed, sampled by prefix class
 * (--first-sample N), no site handed to the correlator. Its estimate stands in
 * for the potential until the first exact pass, paced at --scan-rate, ends.
 * 0 (also when it found nothing to scan), -EINTR when stopped, other -errno.
 */
static int quick_pass(struct engine *E)
{
	struct scope *sc = &E->o->sc;
	struct pass_result *p = NULL;
	struct scanner s;
	uint32_t *pids = NULL;
	size_t n = 0;
	double t0 = engine_now(E);
	int err;

	if (scope_select(sc, &pids, &n))
		return 0; /* said; the exact pass says it again */
	err = pass_scanner(E, &s, E->o->first_sample);
	if (!err)
		err = scanner_prefilter(&s, pids, n);
	for (size_t i = 0; i < n && !err && !E->scan_stop; i++) {
		err = scanner_scan_pid(&s, pids[i]);
		if (err && err != -ENOMEM && err != -EINTR)
			err = 0; /* gone, unreadable or odd: the exact pass deals with it */
	}
	scanner_finish(&s);
	if (!err && E->scan_stop)
		err = -EINTR;
	if (!err)
		err = pass_of(&s, &p);
	if (!err) {
		p->pages = s.cost.pages; /* the paced passes' progress is measured against this */
		p->pages_read = s.cost.pages_read;
		p->ended = engine_now(E);
		p->seconds = p->ended - t0;
		p->estimate = true;
		p->sample = E->o->first_sample;
		pthread_mutex_lock(&E->mu);
		pass_free(E->est_incoming);
		E->est_incoming = p;
		pthread_mutex_unlock(&E->mu);
		p = NULL;
	}
	pass_free(p);
	scanner_free(&s);
	free(pids);
	return err;
}

/* One walk of the targets. 0, -EINTR when stopped, other -errno. */
static int run_pass(struct engine *E)
{
	const struct scan_hooks hooks = { E, on_site, pace, E->o->sc.sample == 1 ? known_hash : NULL };
	struct scope *sc = &E->o->sc;
	struct pass_result *p = NULL;
	struct scanner s;
	uint32_t *pids = NULL;
	size_t n = 0;
	double t0 = engine_now(E);
	int err;

	if (scope_select(sc, &pids, &n))
		return -EINVAL;
	err = pass_scanner(E, &s, sc->sample);
	if (!err) {
		s.subpage = E->o->subpage;
		s.hooks = &hooks;
		err = scan_targets(E, &s, pids, n);
	}
	if (!err && E->o->on_hashes)
		err = give_hashes(E, &s);
	if (!err)
		err = pass_of(&s, &p);
	/* only the correlator's passes weigh missed pages; the quick estimate keeps no site */
	if (!err)
		err = pass_weights(&s, p);
	/* the pass holds what it needs: the indexes go before the correlator takes the new sites */
	scanner_free(&s);
	if (!err) {
		hand_over(E, p, t0);
		p = NULL;
	} else {
		pthread_mutex_lock(&E->mu);
		corr_pass_abort(&E->corr);
		pthread_mutex_unlock(&E->mu);
	}
	pass_free(p);
	scanner_free(&s);
	free(pids);
	return err;
}

static void *scan_main(void *arg)
{
	struct engine *E = arg;

	if (E->o->first_sample > 1) {
		int err = quick_pass(E);

		if (err && err != -EINTR) {
			pthread_mutex_lock(&E->mu);
			E->scan_err = err;
			pthread_mutex_unlock(&E->mu);
			return NULL;
		}
	}
	E->refill_t = engine_now(E);
	E->tokens = 0;
	while (!E->scan_stop) {
		double t0 = engine_now(E);
		int err = run_pass(E);

		if (err && err != -EINTR && err != -EINVAL) {
			pthread_mutex_lock(&E->mu);
			E->scan_err = err;
			pthread_mutex_unlock(&E->mu);
			return NULL;
		}
		/* a small host is rescanned once an interval, not in a loop */
		while (!E->scan_stop && engine_now(E) - t0 < E->o->interval) {
			struct timespec ts = { 0, 50000000 };

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* ---- the main thread ---- */

/* A process's KSM events (pidtab records), for its group's counts and rates. */
struct pid_events {
	uint32_t pid;
	uint64_t merges, unmerges, zero_merges;
	uint64_t last_merges, last_unmerges; /* at the previous snapshot */
};

static void on_event(void *ctx, const struct ks_event *e, const struct decision *d)
{
	struct engine *E = ctx;
	struct corr_event ce = { 0 };
	struct pid_events *pe;
	double lat;
	int err;

	switch (d->kind) {
	case OUT_MERGE:
	case OUT_ZERO_MERGE:
		if (e->err)
			return; /* KSM tried and failed: nothing moved */
		ce.kind = d->kind == OUT_MERGE ? CEV_MERGE : CEV_ZERO_MERGE;
		pe = pidtab_add(&E->pidev, e->pid);
		if (d->kind == OUT_MERGE) {
			E->merges++;
			if (pe)
				pe->merges++;
		} else {
			E->zero_merges++;
			if (pe)
				pe->zero_merges++;
		}
		break;
	case OUT_UNMERGE:
		ce.kind = CEV_UNMERGE;
		ce.zero = d->zero;
		E->unmerges++;
		pe = pidtab_add(&E->pidev, e->pid);
		if (pe)
			pe->unmerges++;
		break;
	case OUT_RMAP_REMOVED:
		ce.kind = CEV_REMOVED;
		break;
	case OUT_KSM_PAGE_FREED:
		if (kvtab_get(&E->known, e->pfn, 0)) {
			pthread_mutex_lock(&E->mu);
			if (kvtab_put(&E->freed, e->pfn, 0, 0, 0))
				E->known_off = true; /* cannot tell any more: stop trusting the table */
			pthread_mutex_unlock(&E->mu);
		}
		return;
	default:
		return;
	}
	if (E->o->on_event)
		E->o->on_event(E->o->event_ctx, e, d);
	ce.pid = e->pid;
	ce.addr = e->addr;
	ce.pfn = e->pfn;
	pthread_mutex_lock(&E->mu);
	lat = corr_event(&E->corr, &ce, (float)engine_now(E), &err);
	pthread_mutex_unlock(&E->mu);
	if (lat >= 0)
		latency_add(&E->lat, lat);
	if (err)
		ks_warn("out of memory: an event was not correlated");
}

static void on_gone(void *ctx, uint32_t pid)
{
	struct engine *E = ctx;

	corr_forget_pid(&E->corr, pid); /* cur is the main thread's */
	pidtab_del(&E->pidev, pid);
}

/*
 * The hashes of the KSM frames the adopted pass read, for the next one (built
 * while no pass runs: the scan thread waits for the adoption). Not trusted
 * once the tracer dropped records: a freed frame could have gone unseen.
 */
static int remember_ksm_hashes(struct engine *E)
{
	uint64_t drops = 0, x;

	kvtab_free(&E->known);
	kvtab_free(&E->freed);
	if (kvtab_init(&E->known, 1024) || kvtab_init(&E->freed, 64))
		return -ENOMEM;
	if (evsource_counters(&E->src, &drops, &x, &x, &x) || drops || E->known_off)
		return 0;
	for (size_t i = 0; i < E->corr.n; i++) {
		const struct csite *c = &E->corr.cur[i];

		if ((c->flags & SITE_KSM) && (c->flags & SITE_HASHED) && !(c->flags & CS_GONE) &&
		    kvtab_put(&E->known, c->pfn, 0, c->hash, 0))
			return -ENOMEM;
	}
	return 0;
}

/* Take a finished pass: its groups become the snapshot's, its sites the correlator's. */
static int adopt_pass(struct engine *E)
{
	struct pass_result *p;
	int err = 0;

	pthread_mutex_lock(&E->mu);
	if (E->est_incoming) {
		pass_free(E->estimate);
		E->estimate = E->est_incoming;
		E->est_incoming = NULL;
	}
	p = E->incoming;
	if (p) {
		err = corr_pass_end(&E->corr, p->ngroups);
		if (!err)
			err = remember_ksm_hashes(E);
		E->incoming = NULL;
		pthread_cond_broadcast(&E->cv);
	}
	pthread_mutex_unlock(&E->mu);
	if (!p)
		return 0;
	E->corr.weights = p->has_weights ? &p->weights : NULL;
	pass_free(E->pass);
	E->pass = p;
	E->passes++;
	/* an exact pass replaces the estimate for good */
	pass_free(E->estimate);
	E->estimate = NULL;
	E->adopted = true;
	return err;
}

static void sum_pids(struct engine *E, const uint32_t *pids, size_t n, struct group_live *gl, double dt)
{
	uint64_t dm = 0, du = 0;

	for (size_t i = 0; i < n; i++) {
		const struct pid_events *pe = pidtab_get(&E->pidev, pids[i]);

		if (!pe)
			continue;
		gl->merges += pe->merges;
		gl->unmerges += pe->unmerges;
		gl->zero_merges += pe->zero_merges;
		dm += pe->merges - pe->last_merges;
		du += pe->unmerges - pe->last_unmerges;
	}
	gl->merges_rate = dt > 0 ? (double)dm / dt : 0;
	gl->unmerges_rate = dt > 0 ? (double)du / dt : 0;
}

/* Remember every pid's counts for the next interval's rates. */
static void roll_pid_counts(struct engine *E)
{
	for (size_t i = 0; i < E->pidev.n; i++) {
		struct pid_events *pe = pidtab_at(&E->pidev, i);

		pe->last_merges = pe->merges;
		pe->last_unmerges = pe->unmerges;
	}
}

/* The actual saving, live, over the pass's potential. */
static void overlay(struct metrics *m, const struct corr_metrics *c)
{
	m->ksm_sites = c->ksm_sites;
	m->ksm_frames = c->ksm_frames;
	m->ksm_saved = c->ksm_saved;
	/* the pass could not count them (the kernel does not): unknown stays unknown */
	m->ksm_zero_pages = isnan(m->ksm_zero_pages) ? NAN : c->ksm_zero_pages;
	m->effectiveness = metrics_effectiveness(m);
	m->unshare_debt_pages = metrics_saved(m);
}

/*
 * The actual saving and missed reasons, recomputed when events, a pass or a full
 * KSM scan changed them, but at most at a 1% duty cycle: on a host with
 * millions of sites a walk takes milliseconds. A new pass is always taken in
 * at once (its group ids replace the old ones).
 */
#define CORR_DUTY 100

static int correlate(struct engine *E, uint64_t fs, double now)
{
	double t0;
	int err;

	if (!E->adopted && !(E->corr.dirty || fs != E->computed_fs))
		return 0;
	if (!E->adopted && now < E->next_compute)
		return 0;
	t0 = engine_now(E);
	memset(E->cgroups, 0, E->pass->ngroups * sizeof(*E->cgroups));
	err = corr_compute(&E->corr, fs, E->cgroups, &E->ctotal);
	if (err)
		return err;
	audit_free(&E->audit);
	err = corr_audit(&E->corr, &E->audit);
	if (err)
		return err;
	E->computed_fs = fs;
	E->computed_t = now;
	E->next_compute = now + (engine_now(E) - t0) * CORR_DUTY;
	E->adopted = false;
	return 0;
}

/* The snapshot's clock, and what it was taken under. */
static void snapshot_head(const struct engine *E, struct snapshot *s, uint64_t seq, double now)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	s->seq = seq;
	s->time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	s->uptime = now;
	s->interval = now - E->prev.t;
	s->sample = E->o->sc.sample;
	s->scan_rate_mib = E->o->scan_rate_mib;
	s->passes = E->passes;
	s->pass_pages = atomic_load(&E->pass_pages);
	s->full_scans = atomic_load(&E->full_scans);
	s->corr_sites = E->corr.n + E->corr.nx;
	s->audit_top = E->o->audit_top;
}

/* The last pass's potential, as the model computed it. */
static void snapshot_potential(const struct engine *E, const struct pass_result *p, struct snapshot *s)
{
	s->have_pass = true;
	s->subpage = E->o->subpage;
	s->pass_progress = p->pages ? fmin(1.0, (double)s->pass_pages / (double)p->pages) : 0;
	s->pass_seconds = p->seconds;
	s->pass_age = s->uptime - p->ended;
	s->races = p->races;
	s->total = p->mo.total;
	s->se = p->se;
	memcpy(s->regions, p->mo.regions, sizeof(s->regions));
	s->ngroups = p->ngroups;
}

/* Room for n groups' live figures, zeroed; fresh arrays are to be filled at once. 0 or -ENOMEM. */
static int live_room(struct engine *E, uint32_t n)
{
	if (n > E->cap_live || !E->glive) {
		uint32_t cap = n ? n : 1; /* a pass may find no process at all */

		free(E->glive);
		free(E->cgroups);
		E->glive = calloc(cap, sizeof(*E->glive));
		E->cgroups = calloc(cap, sizeof(*E->cgroups));
		if (!E->glive || !E->cgroups) {
			E->cap_live = 0;
			return -ENOMEM;
		}
		E->cap_live = cap;
		E->adopted = true; /* fresh arrays: fill them */
	}
	memset(E->glive, 0, n * sizeof(*E->glive));
	return 0;
}

/* A group of the pass as the snapshot shows it: names, pids, potential and its errors. */
static void group_of_pass(struct group_live *gl, const struct pass_result *p, uint32_t g)
{
	gl->key = p->groups[g].key;
	gl->comm = p->groups[g].comm;
	gl->vm = p->groups[g].vm;
	gl->se = p->mo.group_se ? &p->mo.group_se[g] : NULL;
	gl->pids = p->groups[g].pids;
	gl->npids = p->groups[g].npids;
	gl->m = p->mo.groups[g];
}

/* The actual saving and missed reasons over the pass's potential, in total and per group. 0 or -ENOMEM. */
static int snapshot_actual(struct engine *E, const struct pass_result *p, struct snapshot *s)
{
	double dt = s->interval;
	int err = live_room(E, p->ngroups);

	if (!err)
		err = correlate(E, s->full_scans, s->uptime);
	if (err)
		return err;
	s->ctotal = E->ctotal;
	s->audit = &E->audit;
	E->audit.zero_unknown = isnan(s->total.ksm_zero_pages); /* the pass could not count them */
	s->actual_age = s->uptime - E->computed_t;
	overlay(&s->total, &s->ctotal);
	/* KSM's saving moved since the pass: the error of the ratio moves with it */
	s->se.effectiveness = metrics_effectiveness_se(&s->total, &s->se);
	s->groups = E->glive;
	for (uint32_t g = 0; g < p->ngroups; g++) {
		struct group_live *gl = &E->glive[g];

		group_of_pass(gl, p, g);
		gl->c = E->cgroups[g];
		overlay(&gl->m, &gl->c);
		sum_pids(E, gl->pids, gl->npids, gl, dt);
	}
	return 0;
}

/* KSM's state, the tracer's counters and the CPU counters the rates come from. 0 or -errno. */
static int read_counters(struct engine *E, struct snapshot *s, struct readings *r)
{
	int err = ksm_state_read_host(&s->ksm);

	if (err)
		return err;
	r->merges = E->merges;
	r->unmerges = E->unmerges;
	r->ksmd_cpu = E->ksmd_pid ? proc_cpu_seconds((uint32_t)E->ksmd_pid) : -1;
	r->pages_scanned = ksm_state_num(&s->ksm, "pages_scanned");
	evsource_counters(&E->src, &s->drops, &s->cow_faults, &s->cow_untracked, &(uint64_t){ 0 });
	memcpy(s->sources, E->src.l.src, sizeof(s->sources));
	r->self_cpu = proc_self_cpu_seconds();
	s->self_rss_kb = proc_self_rss_kb();
	return 0;
}

/* What the tracer, KSM and ksmd did over the interval (r against the last readings), and at what cost. */
static void snapshot_rates(const struct engine *E, struct snapshot *s, const struct readings *r)
{
	const struct readings *p = &E->prev;
	double dt = s->interval;

	s->merges = E->merges;
	s->zero_merges = E->zero_merges;
	s->unmerges = E->unmerges;
	s->merges_rate = dt > 0 ? (double)(r->merges - p->merges) / dt : 0;
	s->unmerges_rate = dt > 0 ? (double)(r->unmerges - p->unmerges) / dt : 0;
	s->latency = E->lat;
	s->full_scan_seconds = E->full_scan_seconds;
	s->ksmd_cpu_seconds = r->ksmd_cpu >= 0 ? r->ksmd_cpu : NAN;
	s->ksmd_cpu_percent = r->ksmd_cpu >= 0 && dt > 0 ? 100.0 * (r->ksmd_cpu - p->ksmd_cpu) / dt : NAN;
	s->pages_scanned_rate = r->pages_scanned >= 0 && dt > 0
					? (double)((uint64_t)r->pages_scanned - (uint64_t)p->pages_scanned) / dt
					: NAN;
	s->saved_per_ksmd_cpu_second = r->ksmd_cpu > 0 ? (double)ksm_state_saved(&s->ksm) / r->ksmd_cpu : NAN;
	s->self_cpu_seconds = r->self_cpu;
	s->self_cpu_percent = dt > 0 ? 100.0 * (r->self_cpu - p->self_cpu) / dt : NAN;
}

/*
 * Before the first exact pass: the quick pass's estimate, its groups as it saw
 * them. Its KSM figures are pagemap's at that time; why duplicates were missed
 * needs the correlator's sites, which only an exact pass gives: NaN (unknown).
 */
static int snapshot_estimate(struct engine *E, const struct pass_result *p, struct snapshot *s)
{
	int err = live_room(E, p->ngroups);

	if (err)
		return err;
	snapshot_potential(E, p, s);
	s->subpage = false; /* the quick pass counts no sub-page sharing: null, not 0 */
	s->estimate = true;
	s->sample = p->sample;
	s->pass_seconds = 0;
	s->pass_age = 0;
	s->est_seconds = p->seconds;
	s->est_pages = p->pages;
	s->est_pages_read = p->pages_read;
	s->actual_age = s->uptime - p->ended;
	for (int r = 0; r < MISS__MAX; r++)
		s->ctotal.missed[r] = NAN;
	s->ctotal.missed_total = NAN;
	s->groups = E->glive;
	for (uint32_t g = 0; g < p->ngroups; g++) {
		struct group_live *gl = &E->glive[g];

		group_of_pass(gl, p, g);
		gl->c = s->ctotal;
		sum_pids(E, gl->pids, gl->npids, gl, s->interval);
	}
	return 0;
}

/*
 * Before any pass: KSM's side from the tracker, which knows every merged site
 * of the targets from its first look at them and the events since; the
 * potential and what rests on it unknown (NaN). Not with --cgroup: the tracker
 * follows processes by pid and comm only. 0 or -ENOMEM.
 */
static int snapshot_tracker(struct engine *E, struct snapshot *s)
{
	const struct kvtab *sites = &E->src.trk.sites;
	struct kvtab frames;
	double n = 0, zero = 0;

	if (E->o->sc.cgroup)
		return 0;
	if (kvtab_init(&frames, 1024))
		return -ENOMEM;
	for (size_t i = 0; sites->slots && i <= sites->mask; i++) {
		const struct kv_slot *k = &sites->slots[i];

		if (k->k1 == UINT64_MAX)
			continue;
		if (k->v2 & TRACKER_SITE_ZERO)
			zero++;
		else if (n++, kvtab_put(&frames, k->v1, 0, 1, 0)) {
			kvtab_free(&frames);
			return -ENOMEM;
		}
	}
#define KS_METRIC_UNKNOWN(name, ...) s->total.name = NAN;
	KS_METRICS(KS_METRIC_UNKNOWN)
#undef KS_METRIC_UNKNOWN
	for (int k = 0; k < SUBPAGE_SIZES; k++)
		s->total.subpage[k] = NAN;
	s->total.ksm_sites = n;
	s->total.ksm_frames = (double)frames.count;
	s->total.ksm_saved = n - (double)frames.count;
	/* zero-page merges where the kernel counts them (the tracker marks them only then) */
	s->total.ksm_zero_pages = ksm_state_num(&s->ksm, "use_zero_pages") == 1 &&
					  ksm_state_num(&s->ksm, "ksm_zero_pages") < 0
				  ? NAN
				  : zero;
	s->total.unshare_debt_pages = metrics_saved(&s->total);
	for (int r = 0; r < MISS__MAX; r++)
		s->ctotal.missed[r] = NAN;
	s->ctotal.missed_total = NAN;
	s->tracker_only = true;
	kvtab_free(&frames);
	return 0;
}

static int take_snapshot(struct engine *E, struct snapshot *s, uint64_t seq)
{
	struct readings r = { .t = engine_now(E) };
	int err = 0;

	memset(s, 0, sizeof(*s));
	snapshot_head(E, s, seq, r.t);
	if (E->pass) {
		snapshot_potential(E, E->pass, s);
		err = snapshot_actual(E, E->pass, s);
	} else if (E->estimate) {
		err = snapshot_estimate(E, E->estimate, s);
	}
	if (!err)
		err = read_counters(E, s, &r);
	if (!err && !E->pass && !E->estimate)
		err = snapshot_tracker(E, s); /* after read_counters: KSM's state is read there */
	if (err)
		return err;
	snapshot_rates(E, s, &r);
	/* the next interval's rates are taken from here */
	E->prev = r;
	if (E->prev.pages_scanned < 0)
		E->prev.pages_scanned = 0;
	roll_pid_counts(E);
	return 0;
}

/*
 * KSM's full_scans, made monotonic (run=2 resets the kernel's count to 0), and
 * how long the last full scan took (seen as the counter's steps).
 */
static void watch_full_scans(struct engine *E)
{
	uint64_t fs, mono;
	double now;

	if (E->full_scans_fd < 0 || read_u64_fd(E->full_scans_fd, &fs))
		return;
	if (fs == E->last_full_scans)
		return;
	if (fs < E->last_full_scans)
		E->full_scans_base += E->last_full_scans; /* reset: count on from where it was */
	mono = E->full_scans_base + fs;
	now = engine_now(E);
	if (E->last_scan_change_t > 0 && fs == E->last_full_scans + 1)
		E->full_scan_seconds = now - E->last_scan_change_t;
	E->last_scan_change_t = now;
	E->last_full_scans = fs;
	atomic_store(&E->full_scans, mono);
}

/* Everything but the threads: the hash key, the correlator, ksmd, the counters' first readings. 0 or -1 (said). */
static int engine_init(struct engine *E, struct engine_opts *o)
{
	E->o = o;
	E->t0_ns = now_mono_ns();
	E->full_scan_seconds = NAN;
	pthread_mutex_init(&E->mu, NULL);
	pthread_cond_init(&E->cv, NULL);
	/* one key for the whole run: passes are joined by their hashes */
	if (o->have_key) {
		hasher_init_key(&E->h, o->key);
	} else if (hasher_init(&E->h)) {
		ks_err("cannot get random bytes for the hash key");
		return -1;
	}
	if (corr_init(&E->corr, o->sc.sample, hasher_zero(&E->h, o->subpage)) || pidtab_init(&E->pidev, sizeof(struct pid_events), 1024) ||
	    kvtab_init(&E->known, 16) || kvtab_init(&E->freed, 16)) {
		ks_err("out of memory");
		return -1;
	}
	E->ksmd_pid = (int)proc_find_comm("ksmd"); /* a kernel thread, child of kthreadd */
	E->prev.ksmd_cpu = E->ksmd_pid ? proc_cpu_seconds((uint32_t)E->ksmd_pid) : 0;
	E->full_scans_fd = open(KSM_SYSFS "/full_scans", O_RDONLY | O_CLOEXEC);
	if (E->full_scans_fd >= 0 && read_u64_fd(E->full_scans_fd, &E->last_full_scans) == 0)
		atomic_store(&E->full_scans, E->last_full_scans);
	/* prefixes by frame for every pass: loaded once; without it passes read through /proc/PID/mem */
	E->pr_ok = !o->subpage && pageread_open(&E->pr) == 0;
	return 0;
}

/* The scan thread stopped and joined, everything freed. */
static void engine_free(struct engine *E)
{
	E->scan_stop = 1;
	pthread_mutex_lock(&E->mu);
	E->closing = true;
	pthread_cond_broadcast(&E->cv);
	pthread_mutex_unlock(&E->mu);
	if (E->th_started)
		pthread_join(E->th, NULL);
	pass_free(E->incoming);
	pass_free(E->estimate);
	pass_free(E->est_incoming);
	evsource_stop(&E->src);
	pass_free(E->pass);
	if (E->pr_ok)
		pageread_close(&E->pr);
	if (E->full_scans_fd >= 0)
		close(E->full_scans_fd);
	corr_free(&E->corr);
	pidtab_free(&E->pidev);
	kvtab_free(&E->known);
	kvtab_free(&E->freed);
	free(E->glive);
	free(E->cgroups);
	audit_free(&E->audit);
	pthread_mutex_destroy(&E->mu);
	pthread_cond_destroy(&E->cv);
	free(E);
}

/* The scan thread's error, said; 0 while it runs. */
static int scan_failed(struct engine *E)
{
	int err;

	pthread_mutex_lock(&E->mu);
	err = E->scan_err;
	pthread_mutex_unlock(&E->mu);
	if (err && err != -ECANCELED) /* a hook that said why */
		ks_err("scan: %s", strerror(-err));
	return err;
}

/* Events as they come; every interval, a snapshot to the sink. 0 when stopped, -1 (said) on an error. */
static int engine_loop(struct engine *E, engine_sink sink, void *ctx, volatile sig_atomic_t *stop)
{
	double interval = E->o->interval, next_tick = engine_now(E) + interval;
	struct snapshot snap;
	uint64_t seq = 0;

	while (!*stop) {
		int wait = (int)((next_tick - engine_now(E)) * 1000);
		int err = evsource_poll(&E->src, wait < 0 ? 0 : wait > 50 ? 50 : wait);

		if (err) {
			ks_err("ring buffer poll: %s", strerror(-err));
			return -1;
		}
		watch_full_scans(E);
		if (scan_failed(E))
			return -1;
		if (engine_now(E) < next_tick)
			continue;
		evsource_drain(&E->src);
		if (adopt_pass(E) || take_snapshot(E, &snap, seq++)) {
			ks_err("out of memory");
			return -1;
		}
		if (sink(ctx, &snap))
			break;
		next_tick += interval;
		if (next_tick < engine_now(E))
			next_tick = engine_now(E) + interval; /* fell behind: skip, do not burst */
	}
	return 0;
}

int engine_run(struct engine_opts *o, engine_sink sink, void *ctx, volatile sig_atomic_t *stop)
{
	struct engine *E = calloc(1, sizeof(*E));
	const struct evsource_ops ops = { E, on_event, on_gone };
	uint64_t scanned;
	int ret = -1;

	if (!E) {
		ks_err("out of memory");
		return -1;
	}
	E->full_scans_fd = -1;
	/*
	 * Every pass allocates and frees arrays of tens of MiB. glibc raises its mmap
	 * threshold after the first such free, then serves them from a heap that
	 * fragments: RSS grew by a pass's size every pass (measured: 45 -> 222 MiB in
	 * 14 passes of 1 GiB). A fixed threshold keeps big arrays in mmap: flat.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	if (engine_init(E, o) || evsource_start(&E->src, &o->lo, &o->sc.t, &ops))
		goto out;
	if (o->on_attached && o->on_attached(o->attached_ctx, E->src.l.src))
		goto out;
	if (pthread_create(&E->th, NULL, scan_main, E)) {
		ks_err("cannot start the scan thread");
		goto out;
	}
	E->th_started = true;
	/* the first snapshot's rates cover the time since attach */
	E->prev.t = engine_now(E);
	E->prev.self_cpu = proc_self_cpu_seconds();
	if (read_u64_file(KSM_SYSFS "/pages_scanned", &scanned) == 0)
		E->prev.pages_scanned = (int64_t)scanned;
	ret = engine_loop(E, sink, ctx, stop);
out:
	engine_free(E);
	return ret;
}
