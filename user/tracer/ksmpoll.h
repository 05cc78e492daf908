/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The polling source of merges and copy-on-write breaks, for kernels that
 * offer no hook for them: the targets' KSM sites now (a pagemap + kpageflags
 * pass, tracer/ksmsites.h) against the tracker's. A site new on a KSM page
 * (or on another one) is a merge; a site the tracker has on one whose address
 * now maps a page of its own is a write that broke it; one that is no longer
 * mapped left without a write (rmap_removed). Each becomes a record flagged
 * KS_F_POLLED, so the tracker and every consumer see what the hooks would
 * have given, one round late. KSM's zero-page merges are not polled.
 */
#ifndef KSMSCOPE_TRACER_KSMPOLL_H
#define KSMSCOPE_TRACER_KSMPOLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/events.h"
#include "tracer/tracker.h"

struct ksmpoll_out {
	void *ctx;
	void (*record)(void *ctx, const struct ks_event *e); /* each record, as the ring buffer would give it */
};

/*
 * One round over pids: merges (if merges) and breaks (if breaks) as records.
 * 0 or -ENOMEM; processes that went away or cannot be read are left out.
 */
int ksmpoll_round(const struct tracker *t, int kpf_fd, const uint32_t *pids, size_t n, bool merges, bool breaks,
		  const struct ksmpoll_out *out);

#endif
