/* ksmscope trace: stream every KSM event of the target processes as it happens. */
#include "trace.h"

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

#include "evfmt.h"
#include "jclock.h"
#include "json.h"
#include "kpage.h"
#include "ksmsites.h"
#include "loader.h"
#include "preflight.h"
#include "targets.h"
#include "tracker.h"
#include "util.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct trace_ctx {
	struct tracker trk;
	struct trace_totals tot;
	struct targets targets;
	struct kvtab seen_pids; /* pids already given their pagemap pass */
	struct kvtab comms;     /* pid -> comm (16 bytes in v1, v2): fault records carry none */
	struct jw jw;
	struct jclock clock;
	bool json;
	bool out_broken; /* stdout closed (e.g. `| head`): stop quietly */
	uint64_t t0_ns;
	int kpf_fd;
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

/* Mark a new process's pages that KSM merged before we attached. */
static void pass_pid(struct trace_ctx *c, uint32_t pid)
{
	struct ksmsites_stats st;
	int err;

	if (kvtab_get(&c->seen_pids, pid, 0))
		return;
	kvtab_put(&c->seen_pids, pid, 0, 1, 0);
	err = ksmsites_scan(&c->trk, c->kpf_fd, pid, &st);
	if (err == -ESRCH)
		return; /* exited: nothing of it can be unmerged any more */
	if (err)
		ks_warn("pid %u: cannot read its KSM pages: %s", pid, strerror(-err));
	else if (st.zero_ambiguous)
		ks_warn("pid %u: %llu zero-page mappings may be KSM zero-page merges; writes to them "
			"are not reported as unmerges", pid, (unsigned long long)st.zero_ambiguous);
}

/*
 * Forget processes that are gone: if their ksm_exit was missed, a new process
 * reusing the pid must not inherit their KSM sites.
 */
static void forget_gone(struct trace_ctx *c)
{
	uint32_t gone[256];
	size_t n = 0;
	char path[32];

	for (size_t i = 0; i <= c->seen_pids.mask && n < 256; i++) {
		const struct kv_slot *k = &c->seen_pids.slots[i];

		if (k->k1 == UINT64_MAX)
			continue;
		snprintf(path, sizeof(path), "/proc/%u", (uint32_t)k->k1);
		if (access(path, F_OK))
			gone[n++] = (uint32_t)k->k1;
	}
	for (size_t i = 0; i < n; i++) {
		tracker_forget_pid(&c->trk, gone[i]);
		kvtab_del(&c->seen_pids, gone[i], 0);
		kvtab_del(&c->comms, gone[i], 0);
	}
}

/* Processes that may hold KSM pages and have not had their pass yet. */
static void refresh_targets(struct trace_ctx *c)
{
	uint32_t *pids = NULL;
	size_t n = 0;

	if (c->targets.npids) {
		for (size_t i = 0; i < c->targets.npids; i++)
			pass_pid(c, c->targets.pids[i]);
		return;
	}
	if (proc_list(&pids, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		char comm[KS_COMM_LEN], path[64];
		uint64_t merging = 0, zero = 0;

		if (pids[i] == (uint32_t)getpid() || kvtab_get(&c->seen_pids, pids[i], 0))
			continue;
		if (c->targets.has_comm && (proc_comm(pids[i], comm) || !targets_match(&c->targets, pids[i], comm)))
			continue;
		/* ksm_stat is cheap; only processes with merged pages need the pagemap pass */
		snprintf(path, sizeof(path), "/proc/%u/ksm_stat", pids[i]);
		read_keyed_u64(path, "ksm_merging_pages", &merging);
		read_keyed_u64(path, "ksm_zero_pages", &zero);
		if (merging || zero)
			pass_pid(c, pids[i]);
		else
			kvtab_put(&c->seen_pids, pids[i], 0, 1, 0); /* later merges arrive as events */
	}
	free(pids);
}

/* Fault records carry no comm (it costs the hot path ~40 ns): name them from what we know. */
static void fill_comm(struct trace_ctx *c, struct ks_event *e)
{
	struct kv_slot *k;
	char comm[KS_COMM_LEN] = { 0 };

	if (e->flags & KS_F_OWNER_UNKNOWN)
		return;
	if (e->comm[0]) {
		uint64_t v[2];

		memcpy(v, e->comm, sizeof(v));
		kvtab_put(&c->comms, e->pid, 0, v[0], v[1]);
		return;
	}
	k = kvtab_get(&c->comms, e->pid, 0);
	if (k) {
		memcpy(e->comm, &k->v1, 8);
		memcpy(e->comm + 8, &k->v2, 8);
	} else if (!proc_comm(e->pid, comm)) {
		uint64_t v[2];

		memcpy(e->comm, comm, KS_COMM_LEN);
		memcpy(v, comm, sizeof(v));
		kvtab_put(&c->comms, e->pid, 0, v[0], v[1]);
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct trace_ctx *c = ctx;
	struct ks_event e;
	struct decision d;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	if (e.type == 0 || e.type >= KS_REC__MAX)
		return 0;
	if (e.flags & KS_F_JIFFIES) {
		e.ts_ns = jclock_ns(&c->clock, e.ts_ns);
		e.flags &= ~KS_F_JIFFIES;
	}
	d = tracker_on_event(&c->trk, &e);
	if (d.kind != OUT_NONE && evfmt_has_pid(&e, d.kind))
		fill_comm(c, &e);
	if (e.type == KS_REC_KSM_EXIT && !(e.flags & KS_F_OWNER_UNKNOWN))
		kvtab_del(&c->comms, e.pid, 0);
	if (e.type == KS_REC_KSM_EXIT && !(e.flags & KS_F_OWNER_UNKNOWN))
		kvtab_del(&c->seen_pids, e.pid, 0);
	/* a fork child inherits its parent's merged pages: find them before it writes */
	if (e.type == KS_REC_KSM_ENTER)
		pass_pid(c, e.pid);
	if (d.kind == OUT_NONE || c->out_broken)
		return 0;
	c->tot.counts[d.kind]++;
	if (d.kind == OUT_MERGE && e.err)
		c->tot.failed_merges++;
	if (c->json) {
		evfmt_json(&c->jw, &e, &d);
		if (jw_emit_line(&c->jw, stdout))
			c->out_broken = true;
	} else {
		evfmt_text(stdout, &e, &d, c->t0_ns);
		if (ferror(stdout))
			c->out_broken = true;
	}
	if (c->out_broken)
		stop_flag = 1;
	return 0;
}

/* HZ from two clock pairs 100 ms apart: fault records carry jiffies. */
static int calibrate_clock(struct trace_ctx *c, const struct loader *l)
{
	uint64_t ns0, j0, ns1, j1;
	struct timespec ts = { 0, 100000000 };

	if (loader_calibrate(l, &ns0, &j0)) {
		ks_err("cannot run the clock calibration program: %s", strerror(errno));
		return -1;
	}
	nanosleep(&ts, NULL);
	if (loader_calibrate(l, &ns1, &j1) || jclock_set_hz(&c->clock, ns0, j0, ns1, j1)) {
		ks_err("cannot calibrate jiffies against the monotonic clock");
		return -1;
	}
	return 0;
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
	struct trace_ctx c = { .kpf_fd = -1 };
	struct loader_opts lo = { .ringbuf_bytes = 4 << 20, .mode = HOOK_AUTO };
	struct loader l = { 0 };
	struct ring_buffer *rb = NULL;
	struct ks_counters cnt;
	double duration = 0;
	uint64_t deadline = 0, next_refresh;
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
			if (parse_size(optarg, &lo.ringbuf_bytes) || lo.ringbuf_bytes < 4096 ||
			    lo.ringbuf_bytes > (1ULL << 30) || (lo.ringbuf_bytes & (lo.ringbuf_bytes - 1))) {
				ks_err("--ringbuf-size: '%s' is not a power of two between 4K and 1G", optarg);
				goto out;
			}
			break;
		case 'H':
			if (!strcmp(optarg, "auto"))
				lo.mode = HOOK_AUTO;
			else if (!strcmp(optarg, "btf"))
				lo.mode = HOOK_BTF;
			else if (!strcmp(optarg, "classic"))
				lo.mode = HOOK_CLASSIC;
			else {
				ks_err("--hooks: '%s' is not one of auto, btf, classic", optarg);
				goto out;
			}
			break;
		case 'v':
			lo.verbose = true;
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

	c.kpf_fd = kpageflags_open();
	if (c.kpf_fd < 0) {
		ks_err("cannot open /proc/kpageflags: %s", strerror(-c.kpf_fd));
		goto out;
	}
	if (tracker_init(&c.trk) || kvtab_init(&c.seen_pids, 1024) || kvtab_init(&c.comms, 1024)) {
		ks_err("out of memory");
		goto out;
	}
	jw_init(&c.jw);
	/* batch wake-ups: one per quarter of the buffer at most */
	lo.wakeup_bytes = lo.ringbuf_bytes / 4;
	lo.targets = &c.targets;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (loader_start(&l, &lo))
		goto out;
	rb = ring_buffer__new(loader_ringbuf_fd(&l), on_record, &c, NULL);
	if (!rb) {
		ks_err("cannot create ring buffer reader: %s", strerror(errno));
		goto out;
	}
	c.t0_ns = now_mono_ns();
	if (calibrate_clock(&c, &l))
		goto out;
	/* attached first, then the pass: a merge during the pass still arrives as an event */
	refresh_targets(&c);
	next_refresh = now_mono_ns() + 1000000000ULL;
	if (duration > 0)
		deadline = c.t0_ns + (uint64_t)llround(duration * 1e9);

	if (!c.json)
		evfmt_text_header(stdout);
	fprintf(stderr, "Tracing KSM events (%s hooks). Hit Ctrl-C to end.\n", hook_mode_name(l.used));
	fflush(stdout);

	while (!stop_flag) {
		uint64_t now;
		int n = ring_buffer__poll(rb, 50);

		if (n == -EINTR)
			continue;
		if (n < 0) {
			ks_err("ring buffer poll: %s", strerror(-n));
			goto out;
		}
		/* libbpf 1.1 can time out with records waiting when no wake-up came */
		if (n == 0)
			ring_buffer__consume(rb);
		now = now_mono_ns();
		if (deadline && now >= deadline)
			break;
		if (now >= next_refresh) {
			uint64_t kns, kj;

			if (!loader_calibrate(&l, &kns, &kj))
				jclock_anchor(&c.clock, kns, kj);
			forget_gone(&c);
			refresh_targets(&c);
			next_refresh = now + 1000000000ULL;
		}
	}
	ring_buffer__consume(rb); /* whatever was committed before we stopped */

	if (loader_counters(&l, &cnt) == 0) {
		for (int k = 0; k < KS_REC__MAX; k++)
			c.tot.drops += cnt.drops[k];
		c.tot.cow_untracked = cnt.cow_untracked;
		c.tot.cow_faults = cnt.cow_faults;
	}
	c.tot.cow_other = c.trk.cow_other;
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
	ring_buffer__free(rb);
	loader_stop(&l);
	if (c.kpf_fd >= 0)
		close(c.kpf_fd);
	tracker_free(&c.trk);
	kvtab_free(&c.seen_pids);
	kvtab_free(&c.comms);
	jw_free(&c.jw);
	targets_free(&c.targets);
	return ret;
}
