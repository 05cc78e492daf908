// SPDX-License-Identifier: GPL-2.0-only
#include "sinks/doctor_out.h"

#include <math.h>

#include "lib/util.h"

#define DOCTOR_TEXT_MAX 10

static const struct group_info *group_of(const struct doctor_report *r, const struct finding *f)
{
	return r->s && f->group != FINDING_ALL && f->group < r->s->ngroups ? &r->s->groups[f->group] : NULL;
}

void doctor_report_text(FILE *out, const struct doctor_report *r)
{
	if (r->s)
		fprintf(out, "ksmscope doctor: %zu finding%s (%u group%s scanned%s in %.1f s)\n", r->n, r->n == 1 ? "" : "s",
			r->s->ngroups, r->s->ngroups == 1 ? "" : "s", r->sample > 1 ? ", sampled" : "", r->seconds);
	else
		fprintf(out, "ksmscope doctor: %zu finding%s\n", r->n, r->n == 1 ? "" : "s");
	if (r->watch && r->watch->seconds > 0) {
		const struct doctor_watch_info *w = r->watch;

		fprintf(out, "watched %.1f s: ", w->seconds);
		if (w->tracer[0])
			fprintf(out, "%.0f unmerges traced (%s)", w->unmerges, w->tracer);
		else
			fprintf(out, "no tracer (%s)", w->tracer_error);
		if (w->cow_ksm >= 0)
			fprintf(out, ", host cow_ksm +%lld", (long long)w->cow_ksm);
		fprintf(out, "; %llu duplicates read again after %.1f s, %llu changed\n",
			(unsigned long long)w->recheck.read, w->recheck_seconds, (unsigned long long)w->recheck.changed);
	}
	if (!r->n)
		fprintf(out, "nothing found: KSM merges what it can of these targets\n");
	/* ten lines of findings at most: a person reads them at a glance */
	for (size_t i = 0; i < r->n && i < DOCTOR_TEXT_MAX; i++) {
		const struct finding *f = &r->f[i];
		const struct group_info *g = group_of(r, f);
		char key[64], comm[17];

		fprintf(out, "%zu. %-8s %-16s %8.1f MiB  %s%s%s%s\n", i + 1, severity_names[f->severity], f->code,
			pages_mib(f->pages), g ? "group " : "host", g ? printable(key, sizeof(key), g->key) : "",
			g ? " " : "", g ? printable(comm, sizeof(comm), g->comm) : "");
		fprintf(out, "   ");
		for (int e = 0; e < f->nevidence; e++) {
			double v = f->evidence[e].value;

			/* counts as integers; seconds, rates and estimates with their fraction */
			fprintf(out, v == floor(v) ? "%s%s=%.0f" : fabs(v) < 10 ? "%s%s=%.2f" : "%s%s=%.1f", e ? " " : "",
				f->evidence[e].name, v);
		}
		fprintf(out, "\n   fix: %s\n", f->fix);
	}
	if (r->n > DOCTOR_TEXT_MAX)
		fprintf(out, "... and %zu smaller (--json lists every finding)\n", r->n - DOCTOR_TEXT_MAX);
}

static void watch_json(struct jw *w, const struct doctor_watch_info *wi)
{
	if (!wi || !(wi->seconds > 0)) {
		jw_null(w);
		return;
	}
	jw_obj_begin(w);
	jw_kseconds(w, "seconds", wi->seconds);
	jw_key(w, "tracer");
	if (wi->tracer[0])
		jw_str(w, wi->tracer);
	else
		jw_null(w);
	if (!wi->tracer[0])
		jw_kstr(w, "tracer_error", wi->tracer_error);
	jw_key(w, "unmerges");
	if (wi->tracer[0])
		jw_double(w, wi->unmerges);
	else
		jw_null(w);
	jw_key(w, "cow_ksm");
	if (wi->cow_ksm >= 0)
		jw_u64(w, (uint64_t)wi->cow_ksm);
	else
		jw_null(w);
	jw_kseconds(w, "recheck_seconds", wi->recheck_seconds);
	jw_ku64(w, "rechecked_pages", wi->recheck.read);
	jw_ku64(w, "changed_pages", wi->recheck.changed);
	jw_ku64(w, "gone_pages", wi->recheck.gone);
	jw_obj_end(w);
}

void doctor_report_json(struct jw *w, const struct doctor_report *r)
{
	jw_obj_begin(w);
	jw_key(w, "findings");
	jw_arr_begin(w);
	for (size_t i = 0; i < r->n; i++) {
		const struct finding *f = &r->f[i];
		const struct group_info *g = group_of(r, f);

		jw_obj_begin(w);
		jw_kstr(w, "code", f->code);
		jw_kstr(w, "severity", severity_names[f->severity]);
		jw_kdouble(w, "pages", round(f->pages * 1000) / 1000);
		jw_key(w, "groups");
		jw_arr_begin(w);
		if (g)
			jw_str(w, g->key);
		jw_arr_end(w);
		jw_key(w, "pids");
		jw_arr_begin(w);
		for (size_t p = 0; g && p < g->npids; p++)
			jw_u64(w, g->pids[p]);
		jw_arr_end(w);
		jw_key(w, "evidence");
		jw_obj_begin(w);
		for (int e = 0; e < f->nevidence; e++)
			jw_kdouble(w, f->evidence[e].name, f->evidence[e].value);
		jw_obj_end(w);
		jw_kstr(w, "fix", f->fix);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_key(w, "ksm");
	if (r->ksm)
		ksm_state_json(r->ksm, w);
	else
		jw_null(w);
	jw_key(w, "scanned");
	if (r->s) {
		jw_obj_begin(w);
		jw_ku64(w, "groups", r->s->ngroups);
		jw_ku64(w, "pages", r->s->cost.pages);
		jw_ku64(w, "sample", r->sample);
		jw_kseconds(w, "seconds", r->seconds);
		jw_key(w, "watch");
		watch_json(w, r->watch);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	jw_obj_end(w);
}
