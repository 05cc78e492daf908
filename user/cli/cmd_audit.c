// SPDX-License-Identifier: GPL-2.0-only
/* ksmscope audit: which security domains share KSM frames, and what merging only inside each would save. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/scan_job.h"
#include "lib/json_writer.h"
#include "lib/util.h"
#include "scanner/audit.h"
#include "sinks/audit_out.h"

struct audit_job {
	struct scan_job j;
	struct audit_out a;
	bool json;
};

static const struct argp_option audit_options[] = {
	{ "domain", 'D', "KIND", 0,
	  "the security domain: cgroup (default), user, vm (a VMM by its guest's name), process; "
	  "the same as --group-by", 0 },
	{ "freeze", 'f', NULL, 0, "SIGSTOP the targets during the scan (always SIGCONT'd)", 0 },
	{ "json", 'j', NULL, 0, "one JSON object (docs/metrics.md, section \"audit\")", 0 },
	{ 0 },
};

static error_t audit_parse(int key, char *arg, struct argp_state *st)
{
	struct audit_job *d = cli_own(st);

	switch (key) {
	case 'D':
		for (enum group_by gb = GROUP_PROCESS; gb <= GROUP_USER; gb++)
			if (gb != GROUP_COMM && !strcmp(arg, group_by_name(gb))) {
				d->j.sc.gb = gb;
				return 0;
			}
		ks_err("--domain: '%s' is not one of cgroup, user, vm, process", arg);
		return cli_failed(st);
	case 'f':
		d->j.freeze = true;
		return 0;
	case 'j':
		d->json = true;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp audit_argp = {
	audit_options, audit_parse, NULL,
	"Who shares KSM frames with whom: the KSM frames mapped now (pagemap and kpageflags) "
	"and the domains of their sharers; which pairs of domains share frames and how many "
	"pages; and what KSM could save if it merged only inside each domain, against what it "
	"can save now. One exact scan of the targets (--sample N for an estimate of the "
	"potential; the frames are always exact).",
	NULL, NULL, NULL,
};

static int audit_report(struct audit_job *d)
{
	struct scan_job *j = &d->j;
	struct audit_report r = { &d->a, &j->s, &j->mo, &j->ksm, group_by_name(j->sc.gb),
				  (double)(j->t_scanned - j->t0) / 1e9 };

	if (d->json) {
		struct jw w;
		int err;

		jw_init(&w);
		audit_report_json(&w, &r);
		err = jw_emit_line(&w, stdout);
		jw_free(&w);
		return err ? -1 : 0;
	}
	audit_report_text(stdout, &r);
	fflush(stdout);
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	struct audit_job d = { 0 };
	struct cli_in in = { .cmd = "audit", .targets = &d.j.sc.t, .scope = &d.j.sc, .own = &d };
	int ret;

	scope_init(&d.j.sc);
	d.j.sc.gb = GROUP_CGROUP;
	ret = cli_parse(&audit_argp, CLI_SCOPE, &in, argc, argv);
	if (ret) {
		ret = ret > 0 ? 0 : 1;
	} else if (scan_job_prepare(&d.j) || scan_job_pages(&d.j) || scan_job_model(&d.j)) {
		ret = 1;
	} else if (scanner_audit(&d.j.s, &d.j.ksm, &d.a)) {
		ks_err("out of memory");
		ret = 1;
	} else {
		ret = audit_report(&d) ? 1 : 0;
	}
	audit_free(&d.a);
	scan_job_free(&d.j);
	scope_free(&d.j.sc);
	return ret;
}
