/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command line, with glibc argp: what the option parsers of a command
 * fill, the option groups commands share (targets, scope, BPF loader, --help),
 * and one entry that parses a command's words and says every error in one
 * line of ours (a JSON object when --json is anywhere on the line).
 */
#ifndef KSMSCOPE_CLI_OPTS_H
#define KSMSCOPE_CLI_OPTS_H

#include <argp.h>
#include <stdbool.h>

struct targets;
struct scope;
struct loader_opts;
struct engine_opts;

/* Default --scan-rate: well under ksmd's own cost at its defaults (bench/README.md has the figures). */
#define CLI_DEFAULT_SCAN_RATE_MIB 4
/* the live engine's quick first pass: prefix classes sampled by size at this N */
#define CLI_DEFAULT_FIRST_SAMPLE 16
/* pairs of domains sharing KSM frames in live snapshots: bounded, so that Prometheus' cardinality is */
#define CLI_DEFAULT_AUDIT_TOP 20

/* The input of every parser of one command (argp passes it down to the groups). */
struct cli_in {
	const char *cmd;            /* "trace": for messages */
	struct targets *targets;    /* --pid --comm */
	struct scope *scope;        /* --cgroup --group-by --sample */
	struct loader_opts *loader; /* --ringbuf-size --hooks --verbose */
	struct engine_opts *engine; /* --interval --scan-rate --subpage */
	double *duration;           /* --duration */
	void *own;                  /* what the command's own options fill */
	bool help;                  /* --help: print it and exit 0 */
	bool failed;                /* a parser has printed its line */
};

/* Keys of the options with no short form: above every character. */
enum {
	KEY_RINGBUF_SIZE = 0x100,
	KEY_HOOKS,
	KEY_SORT,
	KEY_KEEP_HASHES,
	KEY_KEY,
	KEY_FIRST_SAMPLE,
	KEY_INCLUDE_SHARED,
	KEY_WEB_CONFIG,
	KEY_AUDIT_TOP,
};

/* The option groups a command takes besides its own, in the order of its --help. */
enum {
	CLI_TARGETS = 1 << 0, /* --pid --comm */
	CLI_SCOPE = 1 << 1,   /* --pid --comm --cgroup --group-by --sample --include-shared */
	CLI_LIVE = 1 << 2,    /* --interval --scan-rate --subpage --first-sample */
	CLI_STOP = 1 << 3,    /* --duration */
	CLI_LOADER = 1 << 4,  /* --ringbuf-size --hooks --verbose */
};

/* In a command's own parser: what its options fill. */
static inline void *cli_own(const struct argp_state *st)
{
	return ((const struct cli_in *)st->input)->own;
}

/* After printing a line about a bad value: the error for the parser to return. */
error_t cli_failed(struct argp_state *st);

/*
 * Parse argv (argv[0] the command's name) with the command's own options
 * (own: its options, parser, arguments and doc), the groups it takes, and
 * --help. 0: go on; 1: --help printed (exit 0); -1: one line printed (exit 1).
 */
int cli_parse(const struct argp *own, unsigned groups, struct cli_in *in, int argc, char **argv);

#endif
