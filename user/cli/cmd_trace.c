// SPDX-License-Identifier: GPL-2.0-only
/* ksmscope trace: stream every KSM event of the target processes as it happens. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/stop.h"
#include "sinks/trace_out.h"
#include "tracer/evsource.h"
#include "lib/json_writer.h"
#include "tracer/loader.h"
#include "sys/preflight.h"
#include "sys/targets.h"
#include "tracer/tracker.h"
#include "lib/util.h"

struct trace_ctx {
	struct evsource src;
	struct trace_totals tot;
	struct targets targets;
	struct loader_opts lo;
	double duration;
	struct jw jw;
	bool json;
	bool out_broken; /* stdout closed (e.g. `| head`): stop quietly */
	uint64_t t0_ns;
};

static const struct argp_option trace_options[] = {
	{ "json", 'j', NULL, 0, "one JSON object per line (JSON Lines), then a summary line", 0 },
	{ 0 },
};

static error_t trace_parse(int key, char *arg, struct argp_state *st)
{
	struct trace_ctx *c = cli_own(st);

	(void)arg;
	switch (key) {
	case 'j':
		c->json = true;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp trace_argp = {
	trace_options, trace_parse, NULL,
	"Stream every KSM event as it happens: merges, zero-page merges, KSM pages freed, "
	"rmap items removed, scan start/stop, processes entering/leaving KSM, and unmerges "
	"(writes that break a merged page). Counts and drops are printed at exit.",
	NULL, NULL, NULL,
};

/* The flags. 0: run; 1: help printed; -1: one line printed. */
static int trace_args(struct trace_ctx *c, int argc, char **argv)
{
	struct cli_in in = { .cmd = "trace", .targets = &c->targets, .loader = &c->lo,
			     .duration = &c->duration, .own = c };

	c->lo.ringbuf_bytes = 4 << 20;
	c->lo.prefer = SRC_NONE;
	return cli_parse(&trace_argp, CLI_TARGETS | CLI_STOP | CLI_LOADER, &in, argc, argv);
}

static void on_event(void *ctx, const struct ks_event *e, const struct decision *d)
{
	struct trace_ctx *c = ctx;

	if (d->kind == OUT_NONE || c->out_broken)
		return;
	c->tot.counts[d->kind]++;
	if (d->kind == OUT_MERGE && e->err)
		c->tot.failed_merges++;
	if (c->json) {
		evfmt_json(&c->jw, e, d);
		if (jw_emit_line(&c->jw, stdout))
			c->out_broken = true;
	} else {
		evfmt_text(stdout, e, d, c->t0_ns);
		if (ferror(stdout))
			c->out_broken = true;
	}
	if (c->out_broken)
		cli_stop = 1;
}

/* Attach, stream until stopped, and read what was committed before. 0, or one line printed and -1. */
static int trace_run(struct trace_ctx *c)
{
	const struct evsource_ops ops = { c, on_event, NULL };
	char names[256];

	if (preflight(NEED_BPF | NEED_PFNS | NEED_BTF | NEED_KSM))
		return -1;
	/* a missing pid is an error, not an empty trace */
	if (targets_resolve(&c->targets))
		return -1;
	stop_on_signals(c->duration);
	c->t0_ns = now_mono_ns();
	if (evsource_start(&c->src, &c->lo, &c->targets, &ops))
		return -1;
	if (!c->json)
		evfmt_text_header(stdout);
	fprintf(stderr, "Tracing KSM events (%s hooks). Hit Ctrl-C to end.\n",
		loader_sources(&c->src.l, names, sizeof(names)));
	fflush(stdout);
	while (!cli_stop) {
		int err = evsource_poll(&c->src, 50);

		if (err) {
			ks_err("ring buffer poll: %s", strerror(-err));
			return -1;
		}
	}
	/* whatever was committed before we stopped, and polled breaks since the last round */
	if (evsource_finish(&c->src))
		ks_warn("the last polling round failed: breaks since the one before are not counted");
	evsource_counters(&c->src, &c->tot.drops, &c->tot.cow_faults, &c->tot.cow_untracked, &c->tot.cow_other);
	return 0;
}

/* The summary line (unless stdout is gone) and a word on drops. */
static void trace_summary(struct trace_ctx *c)
{
	if (!c->out_broken) {
		if (c->json) {
			evfmt_summary_json(&c->jw, &c->tot);
			jw_emit_line(&c->jw, stdout);
		} else {
			evfmt_summary_text(stdout, &c->tot);
		}
	}
	if (c->tot.drops)
		ks_warn("%llu records were dropped: the ring buffer was full (try --ringbuf-size)",
			(unsigned long long)c->tot.drops);
}

int cmd_trace(int argc, char **argv)
{
	struct trace_ctx c = { 0 };
	int ret = trace_args(&c, argc, argv);

	if (ret) {
		ret = ret > 0 ? 0 : 1;
	} else {
		jw_init(&c.jw);
		ret = trace_run(&c) ? 1 : 0;
		if (!ret)
			trace_summary(&c);
	}
	evsource_stop(&c.src);
	jw_free(&c.jw);
	targets_free(&c.targets);
	return ret;
}
