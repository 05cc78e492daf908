// SPDX-License-Identifier: GPL-2.0-only
#include "cli/scan_job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/stop.h"
#include "lib/util.h"
#include "scanner/freeze.h"
#include "sys/preflight.h"
#include "tracer/loader.h"

int scan_job_prepare(struct scan_job *j)
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
		if (err != -ECANCELED) /* else said */
			ks_err("cannot set up the scanner: %s", strerror(-err));
		return -1;
	}
	j->s.stop = &cli_stop;
	j->s.subpage = j->subpage;
	j->s.include_shared = j->sc.include_shared;
	if (!j->subpage)
		scanner_open_reader(&j->s); /* the prefix filter's, loaded before the scan is timed */
	return 0;
}

int scan_job_pages(struct scan_job *j)
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
	j->t_scanned = now_mono_ns();
	j->s.cost.stash_bytes = stash_bytes(&j->s.stash);
	stash_free(&j->s.stash);
	if (cli_stop) {
		ks_err("interrupted: no report");
		return -1;
	}
	return 0;
}

int scan_job_model(struct scan_job *j)
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

void scan_job_free(struct scan_job *j)
{
	if (j->scanner_ready)
		scanner_free(&j->s);
	free(j->mo.groups);
	free(j->mo.group_se);
	free(j->pids);
	j->scanner_ready = false;
	j->mo.groups = NULL;
	j->mo.group_se = NULL;
	j->pids = NULL;
}
