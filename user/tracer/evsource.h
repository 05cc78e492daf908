/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tracer as a source of decided events: load and attach the BPF programs,
 * read the ring buffer, give every process that may hold KSM pages its pagemap
 * pass, and hand each record with the tracker's decision (merge, unmerge, ...)
 * to a consumer: `trace` prints them, the live engine correlates them.
 */
#ifndef KSMSCOPE_TRACER_EVSOURCE_H
#define KSMSCOPE_TRACER_EVSOURCE_H

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stdint.h>

#include "tracer/jclock.h"
#include "lib/pidtab.h"
#include "tracer/loader.h"
#include "sys/targets.h"
#include "tracer/faultcheck.h"
#include "tracer/tracker.h"

struct evsource_ops {
	void *ctx;
	/* every record, decided (comm filled in when the decision names a process) */
	void (*event)(void *ctx, const struct ks_event *e, const struct decision *d);
	/* a process the source followed is gone (optional) */
	void (*gone)(void *ctx, uint32_t pid);
};

/* What the source knows of a process (pidtab records). */
struct evsource_proc {
	uint32_t pid;
	bool passed;            /* had its pagemap pass, or needs none (no merged pages then) */
	char comm[KS_COMM_LEN]; /* "" until known: fault records carry none */
};

struct evsource {
	struct loader l;
	struct ring_buffer *rb;
	struct tracker trk;
	const struct targets *targets;
	struct pidtab procs; /* struct evsource_proc: the processes met */
	struct jclock clock;
	struct evsource_ops ops;
	uint64_t next_refresh;
	int kpf_fd;
	uint64_t full_scans; /* scans from polling: the last full_scans seen */
	bool scans_seeded;   /* full_scans was read once */
	int full_scans_fd;   /* KSM's full_scans, held open where scans are polled (read every loop) */
	uint64_t next_round; /* merges or breaks from polling: when the next round may run (monotonic ns) */
	struct faultcheck held; /* perf faults on merged pages not yet seen to break them */
};

/*
 * Attach (lo->targets is set from t), calibrate the fault clock, and give the
 * processes already there their pass. 0, or one line printed and -1.
 */
int evsource_start(struct evsource *s, struct loader_opts *lo, const struct targets *t,
		   const struct evsource_ops *ops);
/* Wait up to timeout_ms for records and deliver them; once a second, follow new and gone processes. 0 or -errno. */
int evsource_poll(struct evsource *s, int timeout_ms);
/* Deliver whatever was committed. */
void evsource_drain(struct evsource *s);
/* At the end: deliver what was committed, and what polled sources would find in a round now. 0 or -errno. */
int evsource_finish(struct evsource *s);
/* Drops, COW fault counts and tracked COW faults that were not unmerges. 0 or -errno. */
int evsource_counters(const struct evsource *s, uint64_t *drops, uint64_t *cow_faults, uint64_t *cow_untracked,
		      uint64_t *cow_other);
void evsource_stop(struct evsource *s);

#endif
