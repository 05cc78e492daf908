// SPDX-License-Identifier: GPL-2.0-only
/* ksmscope scan: how much memory identical contents could save, split as Barker et al. do. */
#include "cli/cmd_scan.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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

static volatile sig_atomic_t scan_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	scan_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ksmscope scan [--pid PID[,PID...]] [--comm NAME] [--cgroup PATH]\n"
		"                     [--group-by process|cgroup|comm] [--sample N] [--subpage] [--freeze]\n"
		"                     [--json]\n"
		"\n"
		"Hash the resident private anonymous pages of the target processes and report how\n"
		"much identical contents could save: zero pages, self-sharing (inside a group) and\n"
		"inter-sharing (across groups), per group and per region type, against what KSM saves.\n"
		"\n"
		SCOPE_USAGE
		"  -S, --subpage         also count sharing at 2048/1024/512/256-byte chunks (exact; costs\n"
		"                        index memory of ~30 chunk entries per distinct page, ~1 KiB)\n"
		"  -f, --freeze          SIGSTOP the targets for a consistent snapshot (always SIGCONT'd;\n"
		"                        processes already stopped stay stopped)\n"
		"  -j, --json            one JSON object (names as in the design notes, section 3)\n"
		"  -h, --help            this help\n"
		"\n"
		"Default targets: every process with private memory, except ksmscope itself.\n");
}

int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		SCOPE_LONGOPTS,
		{ "freeze", no_argument, NULL, 'f' },
		{ "subpage", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct scope sc;
	struct scanner s;
	struct freezer fz = { 0 };
	struct ksm_state ksm;
	struct model_out mo = { 0 };
	struct metrics se = { 0 };
	uint32_t sample, *pids = NULL;
	size_t npids = 0;
	bool json = false, freeze = false, subpage = false, scanner_ready = false;
	uint64_t t0;
	int opt, ret = 1, err;

	scope_init(&sc);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, SCOPE_OPTS "fSjh", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
		case 'c':
		case 'g':
		case 'G':
		case 's':
			if (scope_option(&sc, opt, optarg))
				goto out;
			break;
		case 'f':
			freeze = true;
			break;
		case 'S':
			subpage = true;
			break;
		case 'j':
			json = json_errors = true;
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			ks_bad_option("scan", argv);
			goto out;
		}
	}
	if (optind < argc) {
		ks_err("scan: unexpected argument '%s' (see ksmscope scan --help)", argv[optind]);
		goto out;
	}
	if (preflight(NEED_PFNS | NEED_PTRACE | NEED_KSM))
		goto out;
	if (scope_check(&sc) || scope_select(&sc, &pids, &npids))
		goto out;
	sample = sc.sample;
	if (!npids) {
		ks_err("no process matches the targets");
		goto out;
	}
	err = ksm_state_read(KSM_SYSFS, &ksm);
	if (err == -ENOENT) {
		ks_err("KSM is not built into this kernel (no %s; needs CONFIG_KSM=y)", KSM_SYSFS);
		goto out;
	}
	loader_libbpf_verbose(false); /* our errors are one line; libbpf's are not */
	err = scanner_init(&s, sc.gb, sample, !freeze);
	scanner_ready = true;
	if (err) {
		ks_err("cannot set up the scanner: %s", strerror(-err));
		goto out;
	}
	s.stop = &scan_stop;
	s.subpage = subpage;
	if (subpage && sample > 1) {
		ks_err("--subpage needs --sample 1: sub-page sharing is counted exactly or not at all");
		goto out;
	}
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
	signal(SIGHUP, on_stop_signal);
	signal(SIGPIPE, SIG_IGN);

	t0 = now_mono_ns();
	if (freeze && freezer_stop(&fz, pids, npids)) {
		freezer_thaw(&fz);
		goto out;
	}
	s.races.not_frozen = fz.not_frozen;
	for (size_t i = 0; i < npids && !scan_stop; i++) {
		err = scanner_scan_pid(&s, pids[i]);
		if (err && err != -ESRCH && err != -EACCES && err != -EINTR) {
			freezer_thaw(&fz);
			ks_err("pid %u: %s", pids[i], strerror(-err));
			goto out;
		}
		/* --pid names processes the user cares about: say when one cannot be read */
		if (sc.t.npids && err == -EACCES)
			ks_warn("pid %u: no permission to read its memory", pids[i]);
	}
	freezer_thaw(&fz);
	scanner_finish(&s);
	if (scan_stop) {
		ks_err("interrupted: no report");
		goto out;
	}

	if (scanner_model(&s, &ksm, &mo, &se)) {
		ks_err("out of memory");
		goto out;
	}
	if (sample > 1 && !s.pr_ok)
		ks_warn("no BPF page reader (%s): sampling reads prefixes through /proc/PID/mem, slower",
			strerror(-s.pr_err));
	{
		struct rusage ru;
		struct scan_report r = { &s, &mo, &ksm, &se, (double)(now_mono_ns() - t0) / 1e9, 0, freeze };
		struct jw w;

		getrusage(RUSAGE_SELF, &ru);
		r.peak_rss_kb = (uint64_t)ru.ru_maxrss;
		s.cost.seconds = r.seconds;
		if (json) {
			jw_init(&w);
			scan_report_json(&w, &r);
			err = jw_emit_line(&w, stdout);
			jw_free(&w);
			if (err)
				goto out;
		} else {
			scan_report_text(stdout, &r);
			fflush(stdout);
		}
	}
	ret = 0;
out:
	if (scanner_ready)
		scanner_free(&s);
	free(mo.groups);
	free(pids);
	scope_free(&sc);
	return ret;
}
