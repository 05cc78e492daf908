/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the tracer knows about which (pid, page) sites sit on KSM pages, and
 * the decision for each record: print it, turn a COW fault into an unmerge,
 * or only count it. Pure logic, no I/O.
 */
#ifndef KSMSCOPE_TRACER_TRACKER_H
#define KSMSCOPE_TRACER_TRACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/events.h"
#include "lib/kvtab.h"

/* What the trace prints; the order is the JSON contract's list of names. */
enum out_kind {
	OUT_NONE = 0,
	OUT_MERGE,
	OUT_ZERO_MERGE,
	OUT_KSM_PAGE_FREED,
	OUT_RMAP_REMOVED,
	OUT_SCAN_START,
	OUT_SCAN_STOP,
	OUT_KSM_ENTER,
	OUT_KSM_EXIT,
	OUT_UNMERGE,
	OUT__MAX
};

struct decision {
	enum out_kind kind;
	uint64_t pfn; /* unmerge: the KSM page the site was on (0 for the zero page) */
	bool zero;    /* unmerge of a page KSM had merged into the zero page */
};

/* Whether a decision of this kind, from this record, names a process (pid and comm). */
bool tracker_has_pid(const struct ks_event *e, enum out_kind k);

#define TRACKER_SITE_ZERO (1ULL << 63) /* in a site's v2: KSM merged it into the zero page */

struct tracker {
	struct kvtab sites; /* (pid, addr) -> (pfn, gen | TRACKER_SITE_ZERO) */
	struct kvtab freed; /* (pfn, 0) -> (gen when the KSM page was freed, 0) */
	uint64_t gen;
	uint64_t cow_other;  /* tracked COW faults not on a known KSM page */
	uint64_t stale_hits; /* faults on sites whose KSM page had been freed */
};

int tracker_init(struct tracker *t);
void tracker_free(struct tracker *t);
/* A site found on a KSM page (or KSM's zero page) by the pagemap pass. */
int tracker_add_site(struct tracker *t, uint32_t pid, uint64_t addr, uint64_t pfn, bool zero);
void tracker_forget_pid(struct tracker *t, uint32_t pid);
size_t tracker_sites(const struct tracker *t);
struct decision tracker_on_event(struct tracker *t, const struct ks_event *e);

const char *out_kind_name(enum out_kind k);

#endif
