/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One pagemap + kpageflags pass over a process's mergeable ranges: which of
 * its pages already sit on KSM pages (merged before ksmscope attached).
 */
#ifndef KSMSCOPE_TRACER_KSMSITES_H
#define KSMSCOPE_TRACER_KSMSITES_H

#include <stdint.h>

#include "tracer/tracker.h"

struct ksmsites_stats {
	uint64_t mergeable_pages; /* pages in VM_MERGEABLE ranges */
	uint64_t present;         /* present pages read */
	uint64_t ksm;             /* on KSM pages (KPF_KSM) */
	uint64_t zero;            /* KSM zero-page merges marked */
	uint64_t zero_ambiguous;  /* zero-page mappings that may or may not be KSM's */
};

/*
 * kpf_fd: open /proc/kpageflags. Returns 0, -ESRCH when the process is gone,
 * -EACCES when pagemap hides PFNs (no CAP_SYS_ADMIN), other -errno.
 */
int ksmsites_scan(struct tracker *t, int kpf_fd, uint32_t pid, struct ksmsites_stats *st);

#endif
