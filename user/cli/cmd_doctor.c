// SPDX-License-Identifier: GPL-2.0-only
/* ksmscope doctor: why KSM does not merge, most costly first, each with its fix. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/scan_job.h"
#include "cli/stop.h"
#include "lib/json_writer.h"
#include "lib/kvtab.h"
#include "lib/util.h"
#include "scanner/dupsites.h"
#include "scanner/findings.h"
#include "scanner/recheck.h"
#include "sinks/doctor_out.h"
#include "sys/preflight.h"
#include "tracer/evsource.h"

struct doctor_job {
	struct scan_job j;
	struct loader_opts lo;
	double scan_bound;
	double watch; /* seconds of the window after the scan; 0: none */
	bool json;
	/* the scan's duplicate sites, for the thp tally and the second read */
	struct dupsites dups;
	bool dups_oom;
	struct dup_tally *thp, *vol, thp_total, vol_total;
	/* the window */
	struct evsource src;
	bool traced;
	struct kvtab group_of; /* pid -> group */
	double *unmerges;      /* [ngroups] */
	struct doctor_watch_info wi;
};

static const struct argp_option doctor_options[] = {
	{ "json", 'j', NULL, 0, "one JSON object: {\"findings\": [...], \"ksm\": {...}, \"scanned\": {...}}", 0 },
	{ "scan-bound", 'b', "SECS", 0,
	  "a full KSM scan of the mergeable memory should take at most SECS (default 600): slower is slow_scan", 0 },
	{ "freeze", 'f', NULL, 0,
	  "SIGSTOP the targets during the scan for a consistent snapshot (always SIGCONT'd before the "
	  "window)", 0 },
	{ "watch", 'w', "SECS", 0,
	  "after the scan, watch SECS (default 5; 0: not at all): the tracer counts the writes that break "
	  "merged pages (cow_storm) and the scan's duplicates are read again (volatile)", 0 },
	{ 0 },
};

static error_t doctor_parse(int key, char *arg, struct argp_state *st)
{
	struct doctor_job *d = cli_own(st);
	char *end;

	switch (key) {
	case 'j':
		d->json = true;
		return 0;
	case 'f':
		d->j.freeze = true;
		return 0;
	case 'b':
		d->scan_bound = strtod(arg, &end);
		if (*end || !(d->scan_bound > 0)) {
			ks_err("--scan-bound: '%s' is not a positive number of seconds", arg);
			return cli_failed(st);
		}
		return 0;
	case 'w':
		if (parse_seconds(arg, &d->watch) || d->watch > 3600) {
			ks_err("--watch: '%s' is not a number of seconds from 0 to 3600", arg);
			return cli_failed(st);
		}
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp doctor_argp = {
	doctor_options, doctor_parse, NULL,
	"Why KSM does not merge: KSM's settings and counters, one scan of the targets "
	"(sampled 1/16 by default: --sample 1 for exact pages) and a few seconds of watching "
	"give findings, most costly first, each with the pages at stake, the figures it rests "
	"on and the fix. Exit status 0 whatever it finds.\vCodes: docs/metrics.md, section \"doctor\".",
	NULL, NULL, NULL,
};

static struct doctor_ksm ksm_of(const struct ksm_state *st, bool available)
{
	return (struct doctor_ksm){
		.available = available,
		.run = ksm_state_num(st, "run"),
		.pages_to_scan = ksm_state_num(st, "pages_to_scan"),
		.sleep_millisecs = ksm_state_num(st, "sleep_millisecs"),
		.max_page_sharing = ksm_state_num(st, "max_page_sharing"),
		.use_zero_pages = ksm_state_num(st, "use_zero_pages"),
		.pages_sharing = ksm_state_num(st, "pages_sharing"),
		.ksm_zero_pages = ksm_state_num(st, "ksm_zero_pages"),
		.mem_available_pages = ksm_state_mem_available_pages(st),
		.pages_volatile = ksm_state_num(st, "pages_volatile"),
	};
}

/* Hashed sites in mergeable ranges that KSM has not merged: the candidates for thp and volatile. */
static int on_site(void *ctx, const struct site_rec *r)
{
	struct doctor_job *d = ctx;

	if ((r->flags & (SITE_HASHED | SITE_MERGEABLE)) != (SITE_HASHED | SITE_MERGEABLE) ||
	    (r->flags & (SITE_KSM | SITE_ZMERGE | SITE_HUGETLB)) || !r->hash || d->dups_oom)
		return 0;
	if (dupsites_add(&d->dups, r->pid, r->group, r->addr, r->hash, r->flags & SITE_THP))
		d->dups_oom = true; /* the findings that need them are left out, said below */
	return 0;
}

static bool content_of(void *ctx, uint64_t hash, uint32_t *m, double *w)
{
	return scanner_content(ctx, hash, m, w);
}

static void on_event(void *ctx, const struct ks_event *e, const struct decision *dc)
{
	struct doctor_job *d = ctx;
	const struct kv_slot *g;

	if (dc->kind != OUT_UNMERGE)
		return;
	d->wi.unmerges++;
	g = kvtab_get(&d->group_of, e->pid, 0);
	if (g && g->v1 < d->j.s.ngroups)
		d->unmerges[g->v1]++;
}

/* The tracer for the window, if it can attach here; why not, in d->wi.tracer_error. */
static void tracer_start(struct doctor_job *d)
{
	const struct evsource_ops ops = { d, on_event, NULL };
	struct scanner *s = &d->j.s;

	d->unmerges = calloc(s->ngroups ? s->ngroups : 1, sizeof(*d->unmerges));
	if (!d->unmerges || kvtab_init(&d->group_of, 64)) {
		snprintf(d->wi.tracer_error, sizeof(d->wi.tracer_error), "out of memory");
		return;
	}
	for (uint32_t g = 0; g < s->ngroups; g++)
		for (size_t p = 0; p < s->groups[g].npids; p++)
			if (kvtab_put(&d->group_of, s->groups[g].pids[p], 0, g, 0)) {
				snprintf(d->wi.tracer_error, sizeof(d->wi.tracer_error), "out of memory");
				return;
			}
	ks_err_capture(d->wi.tracer_error, sizeof(d->wi.tracer_error));
	d->traced = !preflight(NEED_BPF | NEED_BTF) && !evsource_start(&d->src, &d->lo, &d->j.sc.t, &ops);
	ks_err_capture(NULL, 0);
	if (d->traced) {
		char names[256];

		snprintf(d->wi.tracer, sizeof(d->wi.tracer), "%s", loader_sources(&d->src.l, names, sizeof(names)));
		d->wi.tracer_error[0] = '\0';
	}
}

/* The host's cow_ksm (COW faults on KSM pages), -1 where the kernel has no such counter. */
static int64_t cow_ksm_now(void)
{
	uint64_t v;

	return read_keyed_u64("/proc/vmstat", "cow_ksm", &v) ? -1 : (int64_t)v;
}

/* When to read the duplicates again: after the window, or after one full KSM scan if that is shorter. */
static double recheck_delay(const struct doctor_job *d)
{
	struct doctor_ksm k = ksm_of(&d->j.ksm, true);
	double scan = doctor_full_scan_seconds(&k, &d->j.mo.total);

	return scan > 0 && scan < d->watch ? scan : d->watch;
}

/* The window: trace, read the duplicates again, count cow_ksm. 0, or one line printed and -1. */
static int watch_window(struct doctor_job *d)
{
	uint64_t t0, until, recheck_at;
	int64_t cow0;
	bool rechecked = d->dups_oom; /* without the sites there is nothing to read again */
	bool *changed = NULL;
	int err = 0;

	tracer_start(d);
	fprintf(stderr, "Watching for %.1f s (%s%s).\n", d->watch, d->traced ? "tracer: " : "no tracer: ",
		d->traced ? d->wi.tracer : d->wi.tracer_error);
	cow0 = cow_ksm_now();
	/* the window starts once the tracer is attached: its start-up is not watching */
	t0 = now_mono_ns();
	until = t0 + (uint64_t)(d->watch * 1e9);
	recheck_at = t0 + (uint64_t)(recheck_delay(d) * 1e9);
	while (!cli_stop && !err) {
		uint64_t now = now_mono_ns();

		if (!rechecked && now >= recheck_at) {
			changed = calloc(d->dups.n ? d->dups.n : 1, sizeof(*changed));
			err = changed ? recheck_sites(&d->dups, &d->j.s.h, d->j.s.subpage, &cli_stop, changed, &d->wi.recheck)
				      : -ENOMEM;
			d->wi.recheck_seconds = (double)(now - d->j.t_scanned) / 1e9;
			rechecked = true;
			continue;
		}
		if (now >= until && rechecked)
			break;
		if (d->traced) {
			err = evsource_poll(&d->src, 50);
		} else {
			struct timespec ts = { 0, 50 * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	if (d->traced && evsource_finish(&d->src))
		ks_warn("the last polling round failed: breaks since the one before are not counted");
	d->wi.seconds = (double)(now_mono_ns() - t0) / 1e9;
	d->wi.cow_ksm = cow0 >= 0 && cow_ksm_now() >= cow0 ? cow_ksm_now() - cow0 : -1;
	if (!err && !cli_stop && changed && !d->dups_oom) {
		d->vol = calloc(d->j.s.ngroups ? d->j.s.ngroups : 1, sizeof(*d->vol));
		if (d->vol)
			dupsites_tally(&d->dups, changed, d->j.s.ngroups, d->vol, &d->vol_total);
		else
			err = -ENOMEM;
	}
	free(changed);
	if (cli_stop || err == -EINTR) {
		ks_err("interrupted: no report");
		return -1;
	}
	if (err) {
		ks_err("%s", strerror(-err));
		return -1;
	}
	return 0;
}

/* The scan's duplicates: kept for the window, tallied for thp. 0, or one line printed and -1. */
static int duplicates(struct doctor_job *d)
{
	if (d->dups_oom) {
		ks_warn("out of memory for the duplicate sites: no thp or volatile findings");
		dupsites_free(&d->dups);
		return 0;
	}
	dupsites_keep_dups(&d->dups, content_of, &d->j.s);
	d->thp = calloc(d->j.s.ngroups ? d->j.s.ngroups : 1, sizeof(*d->thp));
	if (!d->thp) {
		ks_err("out of memory");
		return -1;
	}
	dupsites_tally(&d->dups, NULL, d->j.s.ngroups, d->thp, &d->thp_total);
	return 0;
}

/* The findings and the report. 0, or one line printed and -1. */
static int diagnose(struct doctor_job *d, bool available)
{
	struct scan_job *j = &d->j;
	struct doctor_input in = { ksm_of(&j->ksm, available), available ? &j->mo.total : NULL,
				   available ? j->mo.groups : NULL, available ? j->s.ngroups : 0, d->scan_bound,
				   d->thp, { d->wi.seconds, d->wi.recheck_seconds, d->vol,
					     d->traced ? d->unmerges : NULL, d->wi.cow_ksm } };
	struct doctor_report r = { NULL, 0, available ? &j->ksm : NULL, available ? &j->s : NULL, j->sc.sample,
				   available ? (double)(j->t_scanned - j->t0) / 1e9 : 0, available ? &d->wi : NULL };
	struct finding *f = NULL;
	int err = 0;

	if (doctor_findings(&in, &f, &r.n)) {
		ks_err("out of memory");
		return -1;
	}
	r.f = f;
	if (d->json) {
		struct jw w;

		jw_init(&w);
		doctor_report_json(&w, &r);
		err = jw_emit_line(&w, stdout);
		jw_free(&w);
	} else {
		doctor_report_text(stdout, &r);
		fflush(stdout);
	}
	free(f);
	return err ? -1 : 0;
}

static int doctor_run(struct doctor_job *d)
{
	static const struct scan_hooks hooks_proto = { NULL, on_site, NULL, NULL };
	struct scan_hooks hooks = hooks_proto;

	if (scan_job_prepare(&d->j))
		return -1;
	hooks.ctx = d;
	d->j.s.hooks = &hooks;
	if (scan_job_pages(&d->j) || scan_job_model(&d->j) || duplicates(d))
		return -1;
	d->j.s.hooks = NULL;
	d->wi.cow_ksm = -1;
	if (d->watch > 0 && watch_window(d))
		return -1;
	return diagnose(d, true);
}

int cmd_doctor(int argc, char **argv)
{
	struct doctor_job d = { .scan_bound = 600, .watch = 5 };
	struct cli_in in = { .cmd = "doctor", .targets = &d.j.sc.t, .scope = &d.j.sc, .loader = &d.lo, .own = &d };
	struct ksm_state probe;
	int ret;

	scope_init(&d.j.sc);
	d.j.sc.sample = 16; /* a quick look unless --sample says otherwise */
	d.lo.ringbuf_bytes = 4 << 20;
	d.lo.prefer = SRC_NONE;
	ret = cli_parse(&doctor_argp, CLI_SCOPE | CLI_LOADER, &in, argc, argv);
	if (ret) {
		ret = ret > 0 ? 0 : 1;
	} else if (ksm_state_read_host(&probe) == -ENOENT) {
		ret = diagnose(&d, false) ? 1 : 0; /* no KSM: that is the finding */
	} else {
		ret = doctor_run(&d) ? 1 : 0;
	}
	evsource_stop(&d.src); /* also after a start that failed half way */
	kvtab_free(&d.group_of);
	free(d.unmerges);
	free(d.thp);
	free(d.vol);
	dupsites_free(&d.dups);
	scan_job_free(&d.j);
	scope_free(&d.j.sc);
	return ret;
}
