// SPDX-License-Identifier: GPL-2.0-only
/* The option groups commands share, and the one parse that reports errors our way. */
#include "cli/opts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/stop.h"
#include "engine/engine.h"
#include "scanner/scope.h"
#include "sys/targets.h"
#include "tracer/loader.h"
#include "lib/util.h"

error_t cli_failed(struct argp_state *st)
{
	struct cli_in *in = st->input;

	in->failed = true;
	return EINVAL;
}

/* --help, and what no option took: a word left over, or a word getopt could not use. */
static const struct argp_option common_options[] = {
	{ "help", 'h', NULL, 0, "this help", -1 },
	{ 0 },
};

static error_t common_parse(int key, char *arg, struct argp_state *st)
{
	struct cli_in *in = st->input;

	switch (key) {
	case 'h':
		in->help = true;
		return ECANCELED; /* the rest of the line is not looked at */
	case ARGP_KEY_ARG:
		ks_err("%s: unexpected argument '%s' (see ksmscope %s --help)", in->cmd, arg, in->cmd);
		return cli_failed(st);
	case ARGP_KEY_ERROR:
		/* getopt's own error (unknown option, missing value): it has moved past the word */
		if (!in->failed && !in->help)
			ks_err("%s: bad option or missing value: '%s' (see ksmscope %s --help)", in->cmd,
			       st->argv[st->next > 0 ? st->next - 1 : 0], in->cmd);
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp common_argp = { common_options, common_parse, NULL, NULL, NULL, NULL, NULL };

static const struct argp_option targets_options[] = {
	{ "pid", 'p', "LIST", 0, "only these processes (comma-separated pids)", 0 },
	{ "comm", 'c', "NAME", 0, "only processes with this command name (max 15 chars)", 0 },
	{ 0 },
};

static error_t targets_parse(int key, char *arg, struct argp_state *st)
{
	struct cli_in *in = st->input;

	if (key != 'p' && key != 'c')
		return ARGP_ERR_UNKNOWN;
	return targets_option(in->targets, key, arg) ? cli_failed(st) : 0;
}

static const struct argp targets_argp = { targets_options, targets_parse, NULL, NULL, NULL, NULL, NULL };

/* --cgroup: a path under the cgroup2 mount, or the hierarchy path itself. 0, or one line and -1. */
static int set_cgroup(struct scope *sc, const char *arg)
{
	char mnt[256];
	size_t ml = cgroup2_mount(mnt, sizeof(mnt)) ? 0 : strlen(mnt), n;

	if (ml && !strncmp(arg, mnt, ml) && (arg[ml] == '/' || !arg[ml]))
		snprintf(sc->cgbuf, sizeof(sc->cgbuf), "%s", arg[ml] ? arg + ml : "/");
	else
		snprintf(sc->cgbuf, sizeof(sc->cgbuf), "%s", arg);
	if (sc->cgbuf[0] != '/') {
		ks_err("--cgroup: '%s' is not an absolute cgroup path", arg);
		return -1;
	}
	for (n = strlen(sc->cgbuf); n > 1 && sc->cgbuf[n - 1] == '/'; n--)
		sc->cgbuf[n - 1] = '\0';
	sc->cgroup = sc->cgbuf;
	return 0;
}

static int set_group_by(struct scope *sc, const char *arg)
{
	for (enum group_by gb = GROUP_PROCESS; gb <= GROUP_USER; gb++)
		if (!strcmp(arg, group_by_name(gb))) {
			sc->gb = gb;
			return 0;
		}
	ks_err("--group-by: '%s' is not one of process, cgroup, comm, vm, user", arg);
	return -1;
}

static const struct argp_option scope_options[] = {
	{ "pid", 'p', "LIST", 0, "only these processes (comma-separated pids)", 0 },
	{ "comm", 'c', "NAME", 0, "only processes with this command name (max 15 chars)", 0 },
	{ "cgroup", 'g', "PATH", 0, "only processes in this cgroup (v2) or below it", 0 },
	{ "group-by", 'G', "KIND", 0, "unit of self- vs inter-sharing: process (default), cgroup, comm, vm (a VMM by its guest's name), user", 0 },
	{ "sample", 's', "N", 0,
	  "estimates from about 1/N of the duplicates, with standard errors: prefix classes sampled by size "
	  "(record --keep-hashes: contents) (default 1: exact)", 0 },
	{ "include-shared", KEY_INCLUDE_SHARED, NULL, 0,
	  "also read the targets' shared and hugetlb memory (which KSM cannot merge) as sites of the regions "
	  "shared and guest_shared, so the duplicates it holds show (live: missed as shared, hugetlb)", 0 },
	{ 0 },
};

static error_t scope_parse(int key, char *arg, struct argp_state *st)
{
	struct cli_in *in = st->input;
	struct scope *sc = in->scope;

	switch (key) {
	case 'p':
	case 'c':
		return targets_parse(key, arg, st);
	case 'g':
		return set_cgroup(sc, arg) ? cli_failed(st) : 0;
	case 'G':
		return set_group_by(sc, arg) ? cli_failed(st) : 0;
	case 's':
		if (parse_u32(arg, &sc->sample) || !sc->sample) {
			ks_err("--sample: '%s' is not a positive integer", arg);
			return cli_failed(st);
		}
		return 0;
	case KEY_INCLUDE_SHARED:
		sc->include_shared = true;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp scope_argp = { scope_options, scope_parse, NULL, NULL, NULL, NULL, NULL };

static const struct argp_option loader_options[] = {
	{ "ringbuf-size", KEY_RINGBUF_SIZE, "N", 0,
	  "ring buffer bytes, a power of two from 4K to 1G (K/M/G ok; default 4M)", 0 },
	{ "hooks", KEY_HOOKS, "MODE", 0,
	  "the source to try first: auto (default: the best each capability has), btf (tp_btf), classic (tracepoint), "
	  "fexit, kprobe, perf (copy-on-write only) or polling; `ksmscope features` shows the choice", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf warnings and the verifier log on load errors", 0 },
	{ 0 },
};

static error_t loader_parse(int key, char *arg, struct argp_state *st)
{
	struct cli_in *in = st->input;
	int opt = key == KEY_RINGBUF_SIZE ? 'R' : key == KEY_HOOKS ? 'H' : key == 'v' ? 'v' : 0;

	if (!opt)
		return ARGP_ERR_UNKNOWN;
	return loader_option(in->loader, opt, arg) ? cli_failed(st) : 0;
}

static const struct argp loader_argp = { loader_options, loader_parse, NULL, NULL, NULL, NULL, NULL };

#define STR(x) STR_(x)
#define STR_(x) #x

/* The pace of the live commands' engine. */
static const struct argp_option live_options[] = {
	{ "interval", 'i', "SECS", 0, "snapshot period (default 1)", 0 },
	{ "scan-rate", 'r', "MIB", 0,
	  "MiB of the targets' memory the scanner examines per second (default " STR(CLI_DEFAULT_SCAN_RATE_MIB)
	  ": under 1% of one CPU; see bench/README.md)", 0 },
	{ "subpage", 'S', NULL, 0,
	  "also count sharing at 2048/1024/512/256-byte chunks (needs --sample 1; memory: ~30 index "
	  "entries per distinct page)", 0 },
	{ "first-sample", KEY_FIRST_SAMPLE, "N", 0,
	  "before the first paced pass, one unpaced pass sampled 1/N by prefix class: an estimate with "
	  "standard errors in seconds (default " STR(CLI_DEFAULT_FIRST_SAMPLE) "; 0: none, wait for the pass)", 0 },
	{ "audit-top", KEY_AUDIT_TOP, "K", 0,
	  "the K pairs of groups (the domains: --group-by) that share the most KSM-merged pages, in "
	  "`audit` of JSON snapshots and ksmscope_domain_shared_pages (default " STR(CLI_DEFAULT_AUDIT_TOP) ")", 0 },
	{ 0 },
};

static error_t live_parse(int key, char *arg, struct argp_state *st)
{
	struct cli_in *in = st->input;
	struct engine_opts *eo = in->engine;

	switch (key) {
	case 'i':
		if (parse_seconds(arg, &eo->interval) || eo->interval < 0.05 || eo->interval > 3600) {
			ks_err("--interval: '%s' is not a number of seconds between 0.05 and 3600", arg);
			return cli_failed(st);
		}
		return 0;
	case 'r':
		if (parse_seconds(arg, &eo->scan_rate_mib) || eo->scan_rate_mib <= 0 || eo->scan_rate_mib > 1e6) {
			ks_err("--scan-rate: '%s' is not a positive number of MiB per second", arg);
			return cli_failed(st);
		}
		return 0;
	case 'S':
		eo->subpage = true;
		return 0;
	case KEY_FIRST_SAMPLE:
		if (parse_u32(arg, &eo->first_sample)) {
			ks_err("--first-sample: '%s' is not a whole number (0: no quick first pass)", arg);
			return cli_failed(st);
		}
		return 0;
	case KEY_AUDIT_TOP:
		if (parse_u32(arg, &eo->audit_top) || eo->audit_top > 10000) {
			ks_err("--audit-top: '%s' is not a whole number from 0 to 10000", arg);
			return cli_failed(st);
		}
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp live_argp = { live_options, live_parse, NULL, NULL, NULL, NULL, NULL };

/* An option of ap or its children named name[0..n) (exactly, else the first it begins), or keyed key. */
static const struct argp_option *find_option(const struct argp *ap, const char *name, size_t n, int key,
					     bool exact)
{
	const struct argp_option *o, *found = NULL;

	for (o = ap->options; o && (o->name || o->key || o->doc); o++) {
		if (name && o->name && !strncmp(o->name, name, n) && (!exact || !o->name[n]))
			return o;
		if (!name && key && o->key == key)
			return o;
	}
	for (const struct argp_child *c = ap->children; c && c->argp && !found; c++)
		found = find_option(c->argp, name, n, key, exact);
	return found;
}

static bool is_json(const struct argp_option *o)
{
	return o && o->name && !strcmp(o->name, "json") && !(o->flags & OPTION_HIDDEN);
}

/*
 * Is --json (or -j) on the line, as getopt will read it? Looked at before
 * parsing, so that an error before --json is a JSON object too.
 */
static bool wants_json(const struct argp *ap, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *w = argv[i];
		const struct argp_option *o;

		if (w[0] != '-' || !w[1])
			continue;
		if (w[1] == '-') {
			size_t n = strcspn(w + 2, "=");

			o = find_option(ap, w + 2, n, 0, true);
			if (!o && n)
				o = find_option(ap, w + 2, n, 0, false);
			if (is_json(o))
				return true;
			if (o && o->arg && !w[2 + n])
				i++; /* its value is the next word */
			continue;
		}
		for (const char *c = w + 1; *c; c++) {
			o = find_option(ap, NULL, 0, (unsigned char)*c, false);
			if (!o)
				break; /* getopt's error, said as JSON if --json comes later */
			if (is_json(o))
				return true;
			if (o->arg) {
				i += !c[1]; /* the rest of the word, or the next one, is its value */
				break;
			}
		}
	}
	return false;
}

/* The groups, in the order of --help (the number: where argp puts them; 0 with the command's own). */
static const struct {
	unsigned flag;
	const struct argp *argp;
	const char *header;
	int group;
} groups_of[] = {
	{ CLI_TARGETS, &targets_argp, NULL, 0 },
	{ CLI_SCOPE, &scope_argp, "Targets:", 1 },
	{ CLI_LIVE, &live_argp, "Scanning:", 2 },
	{ CLI_STOP, &cli_stop_argp, NULL, 0 },
	{ CLI_LOADER, &loader_argp, "BPF:", 3 },
};

/* Every group gets the command's input. */
static error_t root_parse(int key, char *arg, struct argp_state *st)
{
	(void)arg;
	if (key != ARGP_KEY_INIT)
		return ARGP_ERR_UNKNOWN;
	for (size_t i = 0; st->root_argp->children[i].argp; i++)
		st->child_inputs[i] = st->input;
	return 0;
}

int cli_parse(const struct argp *own, unsigned groups, struct cli_in *in, int argc, char **argv)
{
	/* the command's options, its groups, --help; its arguments and doc are the whole's */
	struct argp body = { own->options, own->parser, NULL, NULL, NULL, NULL, NULL };
	struct argp_child kids[ARRAY_SIZE(groups_of) + 3] = { { &body, 0, NULL, 0 } };
	struct argp ap = { NULL, root_parse, own->args_doc, own->doc, kids, NULL, NULL };
	size_t n = 1;
	char name[64];
	error_t err;

	for (size_t i = 0; i < ARRAY_SIZE(groups_of); i++)
		if (groups & groups_of[i].flag)
			kids[n++] = (struct argp_child){ groups_of[i].argp, 0, groups_of[i].header, groups_of[i].group };
	kids[n] = (struct argp_child){ &common_argp, 0, NULL, 0 };
	if (wants_json(&ap, argc, argv))
		json_errors = true;
	err = argp_parse(&ap, argc, argv, ARGP_SILENT, NULL, in);
	if (in->help) {
		snprintf(name, sizeof(name), "ksmscope %s", in->cmd);
		argp_help(&ap, stdout, ARGP_HELP_STD_HELP, name);
		return fflush(stdout) ? -1 : 1;
	}
	return err ? -1 : 0;
}
