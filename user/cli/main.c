// SPDX-License-Identifier: GPL-2.0-only
/* ksmscope: live eBPF tracer of KSM memory sharing. The commands, and which one runs. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "lib/util.h"

static const struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} cmds[] = {
	{ "top", cmd_top, "full-screen live view: per group what could be saved, what KSM saves, why not" },
	{ "trace", cmd_trace, "stream every KSM event (merges, unmerges, scans) as it happens" },
	{ "doctor", cmd_doctor, "why KSM does not merge: findings, most costly first, each with its fix" },
	{ "audit", cmd_audit, "who shares KSM frames with whom (cgroups, users, VMs), and what merging only within each would save" },
	{ "features", cmd_features, "which source each tracer capability takes on this kernel, and why not the others" },
	{ "scan", cmd_scan, "hash the targets' pages: how much zero, self and inter sharing could save" },
	{ "watch", cmd_watch, "live sharing metrics every interval: potential, actual, missed by reason" },
	{ "serve", cmd_serve, "the same as Prometheus metrics over HTTP (/metrics)" },
	{ "record", cmd_record, "the same into a file of checksummed blocks (-o FILE)" },
	{ "report", cmd_report, "check a recording and say what it holds" },
	{ "ksm", cmd_ksm, "print the host's KSM state (/sys/kernel/mm/ksm), --json for JSON" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: ksmscope COMMAND [OPTIONS]\n\n"
		   "Live tracer of Linux KSM memory sharing (eBPF).\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-7s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n"
		   "  ksmscope COMMAND --help   options of one command\n"
		   "  ksmscope --version\n"
		   "\n"
		   "With no command, ksmscope runs '%s' on the whole host.\n",
		cmds[0].name);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : cmds[0].name;

	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return fflush(stdout) ? 1 : 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("ksmscope %s\n", KSMSCOPE_VERSION);
		return fflush(stdout) ? 1 : 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmd, cmds[i].name))
			/* the command's words, its name first; with none, top's name alone */
			return cmds[i].run(argc > 1 ? argc - 1 : 1, argc > 1 ? argv + 1 : (char *[]){ (char *)cmd, NULL });
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			json_errors = true;
	if (cmd[0] == '-')
		ks_err("unknown option '%s' (see ksmscope --help)", cmd);
	else
		ks_err("unknown command '%s' (see ksmscope --help)", cmd);
	return 1;
}
