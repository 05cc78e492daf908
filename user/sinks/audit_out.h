/* SPDX-License-Identifier: GPL-2.0-only */
/* `audit`'s report: the cross-domain figures, the domains, the pairs and a matrix; and its JSON twin. */
#ifndef KSMSCOPE_SINKS_AUDIT_OUT_H
#define KSMSCOPE_SINKS_AUDIT_OUT_H

#include <stdio.h>

#include "lib/json_writer.h"
#include "scanner/audit.h"
#include "scanner/model.h"
#include "scanner/scanner.h"
#include "sys/ksmstate.h"

struct audit_report {
	const struct audit_out *a;
	const struct scanner *s;     /* its groups are the domains */
	const struct model_out *m;   /* each domain's share of the saving */
	const struct ksm_state *ksm;
	const char *domain;          /* "cgroup", "user", "vm", "process" */
	double seconds;
};

/* What zero-page merges mean for the audit, said in both outputs. */
extern const char audit_zero_note[];

/* A domain's name by its group index. */
typedef const char *(*audit_name_fn)(const void *ctx, uint32_t group);
/*
 * The frame side's members (frames, cross_domain_*, ksm_saved*, zero_page_merges)
 * and "pairs": the first limit of them; "pairs_total": how many there are.
 * The caller opens and closes the object.
 */
void audit_frames_json(struct jw *w, const struct audit_out *a, size_t limit, audit_name_fn name, const void *ctx);

void audit_report_text(FILE *out, const struct audit_report *r);
void audit_report_json(struct jw *w, const struct audit_report *r);

#endif
