// SPDX-License-Identifier: GPL-2.0-only
/* ksmscope trace: stream every KSM event of the target processes as it happens. */
#include "cli/cmd_trace.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sinks/trace_out.h"
#include "tracer/evsource.h"
#include "lib/json_writer.h"
#include "tracer/loader.h"
#include "sys/preflight.h"
#include "sys/targets.h"
#include "tracer/tracker.h"
#include "lib/util.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct trace_ctx {
	struct evsource src;
	struct trace_totals tot;
	struct targets targets;
	struct jw jw;
	bool json;
	bool out_broken; /* stdout closed (e.g. `| head`): stop quietly */
	uint64_t t0_ns;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ksmscope trace [--pid PID[,PID...]] [--comm NAME] [--json] [--duration SECONDS]\n"
		"                      [--ringbuf-size BYTES] [--hooks auto|btf|classic] [--verbose]\n"
		"\n"
		"Stream every KSM event as it happens: merges, zero-page merges, KSM pages freed,\n"
		"rmap items removed, scan start/stop, processes entering/leaving KSM, and unmerges\n"
		"(writes that break a merged page). Counts and drops are printed at exit.\n"
		"\n"
		"  -p, --pid LIST        only these processes (comma-separated pids)\n"
		"  -c, --comm NAME       only processes with this command name (max 15 chars)\n"
		"  -j, --json            one JSON object per line (JSON Lines), then a summary line\n"
		"  -d, --duration SECS   stop after SECS seconds (default: until Ctrl-C)\n"
		"      --ringbuf-size N  ring buffer bytes, a power of two >= 4096 (K/M/G ok; default 4M)\n"
		"      --hooks MODE      tp_btf or classic tracepoints (default auto: tp_btf if the\n"
		"                        kernel's BTF has them, else classic)\n"
		"  -v, --verbose         libbpf warnings and the verifier log on load errors\n"
		"  -h, --help            this help\n");
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
		stop_flag = 1;
}

int cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "duration", required_argument, NULL, 'd' },
		{ "ringbuf-size", required_argument, NULL, 'R' },
		{ "hooks", required_argument, NULL, 'H' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct trace_ctx c = { 0 };
	struct loader_opts lo = { .ringbuf_bytes = 4 << 20, .mode = HOOK_AUTO };
	const struct evsource_ops ops = { &c, on_event, NULL };
	double duration = 0;
	uint64_t deadline = 0;
	int opt, ret = 1;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "p:c:jd:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
		case 'c':
			if (targets_option(&c.targets, opt, optarg))
				goto out;
			break;
		case 'j':
			c.json = true;
			json_errors = true;
			break;
		case 'd':
			if (parse_seconds(optarg, &duration) || duration <= 0) {
				ks_err("--duration: '%s' is not a positive number of seconds", optarg);
				goto out;
			}
			break;
		case 'R':
		case 'H':
		case 'v':
			if (loader_option(&lo, opt, optarg))
				goto out;
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			ks_bad_option("trace", argv);
			goto out;
		}
	}
	if (optind < argc) {
		ks_err("trace: unexpected argument '%s' (see ksmscope trace --help)", argv[optind]);
		goto out;
	}
	if (preflight(NEED_BPF | NEED_PFNS | NEED_BTF | NEED_KSM))
		goto out;
	/* a missing pid is an error, not an empty trace */
	if (targets_resolve(&c.targets))
		goto out;

	jw_init(&c.jw);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	c.t0_ns = now_mono_ns();
	if (evsource_start(&c.src, &lo, &c.targets, &ops))
		goto out;
	if (duration > 0)
		deadline = c.t0_ns + (uint64_t)llround(duration * 1e9);

	if (!c.json)
		evfmt_text_header(stdout);
	fprintf(stderr, "Tracing KSM events (%s hooks). Hit Ctrl-C to end.\n", hook_mode_name(c.src.l.used));
	fflush(stdout);

	while (!stop_flag) {
		int err = evsource_poll(&c.src, 50);

		if (err) {
			ks_err("ring buffer poll: %s", strerror(-err));
			goto out;
		}
		if (deadline && now_mono_ns() >= deadline)
			break;
	}
	evsource_drain(&c.src); /* whatever was committed before we stopped */
	evsource_counters(&c.src, &c.tot.drops, &c.tot.cow_faults, &c.tot.cow_untracked, &c.tot.cow_other);
	if (!c.out_broken) {
		if (c.json) {
			evfmt_summary_json(&c.jw, &c.tot);
			jw_emit_line(&c.jw, stdout);
		} else {
			evfmt_summary_text(stdout, &c.tot);
		}
	}
	if (c.tot.drops)
		ks_warn("%llu records were dropped: the ring buffer was full (try --ringbuf-size)",
			(unsigned long long)c.tot.drops);
	ret = 0;
out:
	evsource_stop(&c.src);
	jw_free(&c.jw);
	targets_free(&c.targets);
	return ret;
}
