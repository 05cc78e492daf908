/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A recording read back into memory: the header, the series of snapshot
 * headlines, the last snapshot whole, the event counts, and the last whole
 * content fingerprint (record --keep-hashes). Shared by report's text, JSON
 * and HTML, and by the comparison of two recordings.
 */
#ifndef KSMSCOPE_REPORT_RECORDING_H
#define KSMSCOPE_REPORT_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/json_reader.h"
#include "report/recfile.h"

#define MIB_PER_PAGE (4096.0 / (1 << 20))

/* One snapshot's headline figures (pages, seconds; NaN when absent). */
struct rec_point {
	double time, uptime, interval;
	double sites, saveable, saveable_zero, saveable_self, saveable_inter, saveable_mergeable;
	double ksm_saved, ksm_zero_pages, effectiveness, missed;
	double merges, zero_merges, unmerges, unmerges_per_s; /* cumulative since the start, and the rate */
	double ksmd_cpu_seconds, ksmd_cpu_percent, self_cpu_percent;
};

struct fp_rec {
	uint64_t hash;
	uint32_t group, sites;
};

/* One pass's fingerprint: parts are gathered until the pass is whole. */
struct fingerprint {
	struct jv *meta; /* the first part's JSON: sample, hash, key_check, groups */
	uint64_t pass, parts, parts_seen;
	struct fp_rec *r;
	size_t n, cap;
};

struct recording {
	uint64_t bytes;
	uint32_t version; /* of the file's format */
	uint64_t blocks[REC__MAX];
	struct jv *header, *last, *end; /* the header, the last snapshot, the end block */
	struct rec_point *series;
	size_t n, cap;
	uint64_t events[32]; /* by enum rec_event; [0]: of an unknown kind */
	struct fingerprint fp, building; /* the last whole fingerprint, and one being gathered */
	bool bad;            /* the walk stopped at a bad block: err says where */
	struct rec_error err;
};

/*
 * Read and check a file. It is looked at before it is opened and opened without
 * waiting, so a FIFO or a device (even one swapped in between) is an error,
 * never a read that blocks. 0: read (r->bad says whether it was whole); -1: one
 * line printed (cannot read it, not a regular file, out of memory).
 */
int recording_load(const char *path, struct recording *r);
/* The same from memory (the fuzzer's way in). 0, or -ENOMEM. */
int recording_parse(const uint8_t *buf, size_t len, struct recording *r);
void recording_free(struct recording *r);

/* The point of a snapshot's JSON. */
struct rec_point rec_point_of(const struct jv *snapshot);

/*
 * A group's saveable split the study's way: zero, and the rest as self and
 * inter. saveable_zero is a share: of a zero page with n sites, a group with
 * z of them has z - 1 in its self dedup and under one page across groups, so
 * self without zero is saveable_self - saveable_zero to within a page.
 */
void split_zero_self_inter(double saveable, double zero, double self, double out[3]);

/* Merge latency from a snapshot's dynamics.merge_latency: bounds and cumulative counts. */
struct latency_cdf {
	double bound[32];  /* seconds; the last may be +Inf */
	double cum[32];
	size_t n;
	double count, sum;
};
int latency_cdf_of(const struct jv *snapshot, struct latency_cdf *c);
/* The smallest bucket bound at or under which a fraction q of merges took place (NaN: none). */
double latency_quantile(const struct latency_cdf *c, double q);

#endif
