// SPDX-License-Identifier: GPL-2.0-only
/* ksmscope scan: how much memory identical contents could save, split as Barker et al. do. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "cli/commands.h"
#include "cli/scan_job.h"
#include "cli/opts.h"
#include "lib/json_writer.h"
#include "sys/ksmstate.h"
#include "scanner/model.h"
#include "sinks/scan_out.h"
#include "scanner/scanner.h"
#include "scanner/scope.h"
#include "lib/util.h"



static const struct argp_option scan_options[] = {
	{ "subpage", 'S', NULL, 0,
	  "also count sharing at 2048/1024/512/256-byte chunks (exact; costs index memory of ~30 chunk "
	  "entries per distinct page, ~1 KiB)", 0 },
	{ "freeze", 'f', NULL, 0,
	  "SIGSTOP the targets for a consistent snapshot (always SIGCONT'd; processes already stopped "
	  "stay stopped)", 0 },
	{ "json", 'j', NULL, 0, "one JSON object (every name is described in docs/metrics.md)", 0 },
	{ 0 },
};

static error_t scan_parse(int key, char *arg, struct argp_state *st)
{
	struct scan_job *j = cli_own(st);

	(void)arg;
	switch (key) {
	case 'S':
		j->subpage = true;
		return 0;
	case 'f':
		j->freeze = true;
		return 0;
	case 'j':
		j->json = true;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp scan_argp = {
	scan_options, scan_parse, NULL,
	"Hash the resident private anonymous pages of the target processes and report how "
	"much identical contents could save: zero pages, self-sharing (inside a group) and "
	"inter-sharing (across groups), per group and per region type, against what KSM saves."
	"\vDefault targets: every process with private memory, except ksmscope itself.",
	NULL, NULL, NULL,
};

/* The flags. 0: run; 1: help printed; -1: one line printed. */
static int scan_args(struct scan_job *j, int argc, char **argv)
{
	struct cli_in in = { .cmd = "scan", .targets = &j->sc.t, .scope = &j->sc, .own = j };
	int r = cli_parse(&scan_argp, CLI_SCOPE, &in, argc, argv);

	if (!r && j->subpage && j->sc.sample > 1) {
		ks_err("--subpage needs --sample 1: sub-page sharing is counted exactly or not at all");
		return -1;
	}
	return r;
}

/* The report on stdout. 0, or -1 when it cannot be written. */
static int scan_emit(struct scan_job *j)
{
	struct scan_report r = { &j->s, &j->mo, &j->ksm, &j->se, (double)(now_mono_ns() - j->t0) / 1e9, 0, j->freeze };
	struct rusage ru;
	struct jw w;
	int err;

	getrusage(RUSAGE_SELF, &ru);
	r.peak_rss_kb = (uint64_t)ru.ru_maxrss;
	j->s.cost.seconds = r.seconds;
	if (!j->json) {
		scan_report_text(stdout, &r);
		fflush(stdout);
		return 0;
	}
	jw_init(&w);
	scan_report_json(&w, &r);
	err = jw_emit_line(&w, stdout);
	jw_free(&w);
	return err ? -1 : 0;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_job j = { 0 };
	int ret;

	scope_init(&j.sc);
	ret = scan_args(&j, argc, argv);
	if (ret)
		ret = ret > 0 ? 0 : 1;
	else
		ret = scan_job_prepare(&j) || scan_job_pages(&j) || scan_job_model(&j) || scan_emit(&j) ? 1 : 0;
	scan_job_free(&j);
	scope_free(&j.sc);
	return ret;
}
