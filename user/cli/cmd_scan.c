// SPDX-License-Identifier: GPL-2.0-only
/* ksmscope scan: how much memory identical contents could save, split as Barker et al. do. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/stop.h"
#include "scanner/freeze.h"
#include "lib/json_writer.h"
#include "sys/ksmstate.h"
#include "tracer/loader.h"
#include "sys/preflight.h"
#include "scanner/model.h"
#include "sinks/scan_out.h"
#include "scanner/scanner.h"
#include "scanner/scope.h"
#include "lib/util.h"

struct scan_job {
	struct scope sc;
	bool json, freeze, subpage;
	uint32_t *pids;
	size_t npids;
	struct ksm_state ksm;
	struct scanner s;
	bool scanner_ready;
	struct model_out mo;
	struct metrics se;
	uint64_t t0;
};

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

/* Privileges, the targets, KSM's settings, the scanner. 0, or one line printed and -1. */
static int scan_prepare(struct scan_job *j)
{
	int err;

	if (preflight(NEED_PFNS | NEED_PTRACE | NEED_KSM))
		return -1;
	if (scope_check(&j->sc) || scope_select(&j->sc, &j->pids, &j->npids))
		return -1;
	if (!j->npids) {
		ks_err("no process matches the targets");
		return -1;
	}
	if (ksm_state_read_host(&j->ksm) == -ENOENT) {
		ks_err("KSM is not built into this kernel (no %s; needs CONFIG_KSM=y)", KSM_SYSFS);
		return -1;
	}
	loader_libbpf_verbose(false); /* our errors are one line; libbpf's are not */
	err = scanner_init(&j->s, j->sc.gb, j->sc.sample, !j->freeze);
	j->scanner_ready = true;
	if (err) {
		ks_err("cannot set up the scanner: %s", strerror(-err));
		return -1;
	}
	j->s.stop = &cli_stop;
	j->s.subpage = j->subpage;
	if (!j->subpage)
		scanner_open_reader(&j->s); /* the prefix filter's, loaded before the scan is timed */
	return 0;
}

/* Every target's pages, frozen if asked (and always thawed). 0, or one line printed and -1. */
static int scan_pages(struct scan_job *j)
{
	struct freezer fz = { 0 };

	stop_on_signals(0);
	j->t0 = now_mono_ns();
	if (j->freeze && freezer_stop(&fz, j->pids, j->npids)) {
		freezer_thaw(&fz);
		return -1;
	}
	j->s.races.not_frozen = fz.not_frozen;
	/* which pages have a prefix no other page has: those are not read; the rest is read once */
	j->s.stash.max_sites = STASH_SCAN_MAX_SITES;
	if (scanner_prefilter(&j->s, j->pids, j->npids) == -ENOMEM) {
		freezer_thaw(&fz);
		ks_err("out of memory");
		return -1;
	}
	for (size_t i = 0; i < j->npids && !cli_stop; i++) {
		int err = scanner_scan_pid(&j->s, j->pids[i]);

		if (err && err != -ESRCH && err != -EACCES && err != -EINTR) {
			freezer_thaw(&fz);
			ks_err("pid %u: %s", j->pids[i], strerror(-err));
			return -1;
		}
		/* --pid names processes the user cares about: say when one cannot be read */
		if (j->sc.t.npids && err == -EACCES)
			ks_warn("pid %u: no permission to read its memory", j->pids[i]);
	}
	freezer_thaw(&fz);
	scanner_finish(&j->s);
	j->s.cost.stash_bytes = stash_bytes(&j->s.stash);
	stash_free(&j->s.stash);
	if (cli_stop) {
		ks_err("interrupted: no report");
		return -1;
	}
	return 0;
}

/* What the contents found could save, as KSM is set up. 0, or one line printed and -1. */
static int scan_model(struct scan_job *j)
{
	struct scanner *s = &j->s;

	if (scanner_model(s, &j->ksm, &j->mo, &j->se)) {
		ks_err("out of memory");
		return -1;
	}
	if (j->sc.sample > 1 && !s->pr_ok)
		ks_warn("no BPF page reader (%s): sampling reads prefixes through /proc/PID/mem, slower",
			strerror(-s->pr_err));
	return 0;
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
		ret = scan_prepare(&j) || scan_pages(&j) || scan_model(&j) || scan_emit(&j) ? 1 : 0;
	if (j.scanner_ready)
		scanner_free(&j.s);
	free(j.mo.groups);
	free(j.mo.group_se);
	free(j.pids);
	scope_free(&j.sc);
	return ret;
}
