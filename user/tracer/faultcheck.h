/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Faults from the perf source (KS_F_UNCONFIRMED): the software page-fault event
 * fires at a fault's start and does not say whether it writes. One on a merged
 * page is a break once pagemap shows another frame there; until then it is held
 * (the fault may still be running) and looked at again, for a while.
 */
#ifndef KSMSCOPE_TRACER_FAULTCHECK_H
#define KSMSCOPE_TRACER_FAULTCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/events.h"
#include "tracer/tracker.h"

enum fc_verdict {
	FC_DROP,  /* not on a merged page, or it is one still (moved) or gone: no break */
	FC_BREAK, /* a page of its own where the merged page was */
	FC_WAIT,  /* the merged page is still there: the fault may not have ended */
};

struct fc_held {
	struct ks_event e;
	uint64_t until; /* monotonic ns */
};

struct faultcheck {
	struct fc_held *v;
	size_t n, cap;
};

enum fc_verdict faultcheck_judge(const struct tracker *t, int kpf_fd, const struct ks_event *e);
/* Hold a FC_WAIT fault until `until`. 0 or -ENOMEM. */
int faultcheck_hold(struct faultcheck *f, const struct ks_event *e, uint64_t until);
/* Judge the held faults again: each break to deliver(); those past their time (all: final) dropped. */
void faultcheck_recheck(struct faultcheck *f, const struct tracker *t, int kpf_fd, uint64_t now, bool final,
			void (*deliver)(void *ctx, struct ks_event *e), void *ctx);
void faultcheck_free(struct faultcheck *f);

#endif
