/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The live engine: the tracer's events and the scanner's passes joined in the
 * correlator, and every interval a snapshot of what could be saved, what is
 * saved, why the rest is not, and at what cost, handed to a sink (top, watch,
 * serve).
 *
 * Threads: the main thread reads the ring buffer, applies events, adopts
 * finished passes and takes snapshots; one scan thread walks the targets, pass
 * after pass, paced to --scan-rate (the scanner's reader threads do the
 * reading). The correlator is the main thread's, but for the pass being built,
 * which the scan thread fills and hands over whole.
 */
#ifndef KSMSCOPE_ENGINE_ENGINE_H
#define KSMSCOPE_ENGINE_ENGINE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/correlator.h"
#include "tracer/evsource.h"
#include "sys/ksmstate.h"
#include "scanner/model.h"
#include "scanner/scope.h"

struct audit_out;

struct group_info;

/* merge latency histogram bounds, seconds */
#define LAT_BUCKETS 14
extern const double lat_bounds[LAT_BUCKETS];

struct latency_hist {
	uint64_t count;
	double sum;
	uint64_t bucket[LAT_BUCKETS + 1]; /* per bucket (not cumulative); the last is +Inf */
};

/* One group in a snapshot: the pass's potential, the correlator's actual and missed, and its event rates. */
struct group_live {
	const char *key, *comm, *vm; /* owned by the pass */
	const uint32_t *pids;
	size_t npids;
	struct metrics m;
	const struct group_se *se; /* its estimates' standard errors under sampling, else NULL (owned by the pass) */
	struct corr_metrics c;
	uint64_t merges, zero_merges, unmerges; /* since the engine started, processes now in the group */
	double merges_rate, unmerges_rate;      /* per second, over the last interval */
};

struct snapshot {
	uint64_t seq;
	double time, uptime, interval; /* unix seconds; seconds since start; the interval's length */
	uint32_t sample;
	/* the potential comes from the last finished pass */
	bool have_pass;
	/*
	 * until the first exact pass: the potential is the quick first pass's
	 * estimate (sampled 1/sample by prefix class, with se), missed unknown (NaN)
	 */
	bool estimate;
	/*
	 * before any pass: totals hold KSM's side alone (ksm_sites, ksm_frames,
	 * ksm_saved, ksm_zero_pages, unshare_debt_pages) from the tracker; the rest NaN
	 */
	bool tracker_only;
	double est_seconds;                /* how long that burst took */
	uint64_t est_pages, est_pages_read; /* pages it examined and read whole */
	bool subpage; /* the pass counted sub-page sharing */
	uint64_t passes;
	double pass_seconds, pass_age, pass_progress; /* progress of the pass under way, 0..1 */
	uint64_t pass_pages;
	struct scan_races races;
	struct metrics total, se, regions[REG__MAX];
	struct corr_metrics ctotal;
	double actual_age; /* seconds since the actual saving and missed reasons were computed */
	struct group_live *groups;
	uint32_t ngroups;
	struct ksm_state ksm;
	/* dynamics */
	uint64_t merges, zero_merges, unmerges;
	double merges_rate, unmerges_rate;
	struct latency_hist latency;
	uint64_t full_scans; /* KSM's full scans, counted on across run=2's resets */
	double full_scan_seconds; /* the last full scan's duration, NaN until two were seen */
	double ksmd_cpu_seconds, ksmd_cpu_percent, pages_scanned_rate, saved_per_ksmd_cpu_second;
	/* the tracer */
	uint64_t drops, cow_faults, cow_untracked;
	enum ks_src sources[CAP__MAX]; /* each capability's source (tracer/loader.h) */
	/* ourselves */
	double self_cpu_seconds, self_cpu_percent;
	uint64_t self_rss_kb, corr_sites;
	double scan_rate_mib;
	/*
	 * who shares KSM frames with whom, the groups being the domains (the frame
	 * side of scanner/audit.h); NULL until the first exact pass. Sinks show its
	 * first audit_top pairs.
	 */
	const struct audit_out *audit;
	uint32_t audit_top;
};

/* One content of a pass in one group. */
struct hash_rec {
	uint64_t hash;
	uint32_t group, sites;
};

struct engine_opts {
	struct scope sc;
	double interval;      /* seconds */
	double scan_rate_mib; /* MiB of the targets' address space examined per second */
	struct loader_opts lo;
	/* optional: once the tracer is attached, with each capability's source (tracer/loader.h) */
	int (*on_attached)(void *ctx, const enum ks_src *sources);
	void *attached_ctx;
	/* optional: every event the engine correlates (merge, zero merge, unmerge, rmap removed) */
	void (*on_event)(void *ctx, const struct ks_event *e, const struct decision *d);
	void *event_ctx;
	bool subpage;         /* count sub-page sharing too (needs sample 1) */
	uint32_t first_sample; /* the quick first pass's N (> 1), or 0/1: none */
	uint32_t audit_top;    /* pairs of domains sharing KSM frames that snapshots show */
	bool have_key;        /* hash with key instead of a random one (comparable runs) */
	uint64_t key;
	/*
	 * optional, from the scan thread when a pass ends: its content fingerprint,
	 * one record per (content, group), zero pages left out, in group order of the
	 * pass's groups. Non-zero stops the engine.
	 */
	int (*on_hashes)(void *ctx, const struct hash_rec *r, size_t n, const struct group_info *groups,
			 uint32_t ngroups, uint64_t zero_hash);
	void *hashes_ctx;
};

/* Called every interval with the snapshot (valid during the call). Non-zero stops the engine. */
typedef int (*engine_sink)(void *ctx, const struct snapshot *s);

/*
 * Run until *stop is set or a sink asks to stop. 0, or one line printed and -1.
 * The signal handler that sets *stop must be installed by the caller.
 */
int engine_run(struct engine_opts *o, engine_sink sink, void *ctx, volatile sig_atomic_t *stop);

/* Latency histogram: add one observation (pure; unit-tested). */
void latency_add(struct latency_hist *h, double seconds);

#endif
