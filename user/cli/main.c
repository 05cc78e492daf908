// SPDX-License-Identifier: GPL-2.0-only
/* ksmscope: live eBPF tracer of KSM memory sharing. Command dispatch. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/json_writer.h"
#include "sys/ksmstate.h"
#include "cli/cmd_live.h"
#include "cli/cmd_report.h"
#include "cli/cmd_scan.h"
#include "cli/cmd_trace.h"
#include "lib/util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ksmscope COMMAND [OPTIONS]\n"
		"\n"
		"Live tracer of Linux KSM memory sharing (eBPF).\n"
		"\n"
		"Commands:\n"
		"  top     full-screen live view: per group what could be saved, what KSM saves, why not\n"
		"  trace   stream every KSM event (merges, unmerges, scans) as it happens\n"
		"  scan    hash the targets' pages: how much zero, self and inter sharing could save\n"
		"  watch   live sharing metrics every interval: potential, actual, missed by reason\n"
		"  serve   the same as Prometheus metrics over HTTP (/metrics)\n"
		"  record  the same into a file of checksummed blocks (-o FILE)\n"
		"  report  check a recording and say what it holds\n"
		"  ksm     print the host's KSM state (/sys/kernel/mm/ksm), --json for JSON\n"
		"\n"
		"  ksmscope COMMAND --help   options of one command\n"
		"  ksmscope --version\n"
		"\n"
		"With no command, ksmscope runs 'top' on the whole host.\n");
}

static int cmd_ksm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ksm_state st;
	bool json = false;
	int opt, err;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = json_errors = true;
			break;
		case 'h':
			printf("Usage: ksmscope ksm [--json]\n\n"
			       "Every file of %s under its own name, plus saved = pages_sharing +\n"
			       "ksm_zero_pages and saved_bytes. Files this kernel lacks are left out.\n",
			       KSM_SYSFS);
			return 0;
		default:
			ks_bad_option("ksm", argv);
			return 1;
		}
	}
	if (optind < argc) {
		ks_err("ksm: unexpected argument '%s'", argv[optind]);
		return 1;
	}
	err = ksm_state_read(KSM_SYSFS, &st);
	if (err == -ENOENT) {
		ks_err("KSM is not built into this kernel (no %s; needs CONFIG_KSM=y)", KSM_SYSFS);
		return 1;
	}
	if (err) {
		ks_err("cannot read %s: %s", KSM_SYSFS, strerror(-err));
		return 1;
	}
	if (json) {
		struct jw w;

		jw_init(&w);
		ksm_state_json(&st, &w);
		err = jw_emit_line(&w, stdout);
		jw_free(&w);
		return err ? 1 : 0;
	}
	ksm_state_text(&st, stdout);
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "top";

	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("ksmscope %s\n", KSMSCOPE_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "trace"))
		return cmd_trace(argc > 1 ? argc - 1 : 1, argc > 1 ? argv + 1 : argv);
	if (!strcmp(cmd, "scan"))
		return cmd_scan(argc - 1, argv + 1);
	if (!strcmp(cmd, "ksm"))
		return cmd_ksm(argc - 1, argv + 1);
	if (!strcmp(cmd, "top"))
		return cmd_top(argc > 1 ? argc - 1 : 1, argc > 1 ? argv + 1 : argv);
	if (!strcmp(cmd, "watch"))
		return cmd_watch(argc - 1, argv + 1);
	if (!strcmp(cmd, "serve"))
		return cmd_serve(argc - 1, argv + 1);
	if (!strcmp(cmd, "record"))
		return cmd_record(argc - 1, argv + 1);
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 1, argv + 1);
	if (cmd[0] == '-')
		ks_err("unknown option '%s' (see ksmscope --help)", cmd);
	else
		ks_err("unknown command '%s' (see ksmscope --help)", cmd);
	return 1;
}
