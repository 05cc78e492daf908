// SPDX-License-Identifier: GPL-2.0-only
/* ksmscope doctor: why KSM does not merge, most costly first, each with its fix. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/scan_job.h"
#include "lib/json_writer.h"
#include "lib/util.h"
#include "scanner/findings.h"
#include "sinks/doctor_out.h"

struct doctor_job {
	struct scan_job j;
	double scan_bound;
	bool json;
};

static const struct argp_option doctor_options[] = {
	{ "json", 'j', NULL, 0, "one JSON object: {\"findings\": [...], \"ksm\": {...}, \"scanned\": {...}}", 0 },
	{ "scan-bound", 'b', "SECS", 0,
	  "a full KSM scan of the mergeable memory should take at most SECS (default 600): slower is slow_scan", 0 },
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
	case 'b':
		d->scan_bound = strtod(arg, &end);
		if (*end || !(d->scan_bound > 0)) {
			ks_err("--scan-bound: '%s' is not a positive number of seconds", arg);
			return cli_failed(st);
		}
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp doctor_argp = {
	doctor_options, doctor_parse, NULL,
	"Why KSM does not merge: KSM's settings and counters and one scan of the targets "
	"(sampled 1/16 by default: --sample 1 for exact pages) give findings, most costly "
	"first, each with the pages at stake, the figures it rests on and the fix. Exit "
	"status 0 whatever it finds.\vCodes: docs/metrics.md, section \"doctor\".",
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
	};
}

/* The findings and the report. 0, or one line printed and -1. */
static int diagnose(struct doctor_job *d, bool available)
{
	struct scan_job *j = &d->j;
	struct doctor_input in = { ksm_of(&j->ksm, available), available ? &j->mo.total : NULL,
				   available ? j->mo.groups : NULL, available ? j->s.ngroups : 0, d->scan_bound };
	struct doctor_report r = { NULL, 0, available ? &j->ksm : NULL, available ? &j->s : NULL, j->sc.sample,
				   (double)(now_mono_ns() - j->t0) / 1e9 };
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

int cmd_doctor(int argc, char **argv)
{
	struct doctor_job d = { .scan_bound = 600 };
	struct cli_in in = { .cmd = "doctor", .targets = &d.j.sc.t, .scope = &d.j.sc, .own = &d };
	struct ksm_state probe;
	int ret;

	scope_init(&d.j.sc);
	d.j.sc.sample = 16; /* a quick look unless --sample says otherwise */
	ret = cli_parse(&doctor_argp, CLI_SCOPE, &in, argc, argv);
	if (ret) {
		ret = ret > 0 ? 0 : 1;
	} else if (ksm_state_read_host(&probe) == -ENOENT) {
		ret = diagnose(&d, false) ? 1 : 0; /* no KSM: that is the finding */
	} else {
		ret = scan_job_prepare(&d.j) || scan_job_pages(&d.j) || scan_job_model(&d.j) || diagnose(&d, true) ? 1 : 0;
	}
	scan_job_free(&d.j);
	scope_free(&d.j.sc);
	return ret;
}
