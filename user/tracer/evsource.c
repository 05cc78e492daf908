// SPDX-License-Identifier: GPL-2.0-only
/* The tracer as a source of decided events (see evsource.h). */
#include "tracer/evsource.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sys/pagemap.h"
#include "sys/ksmstate.h"
#include "sys/proc.h"
#include "scanner/ksmflag.h"
#include "tracer/ksmpoll.h"
#include "tracer/ksmsites.h"
#include "lib/util.h"

/* Mark a new process's pages that KSM merged before we attached. */
static void pass_pid(struct evsource *c, uint32_t pid)
{
	struct evsource_proc *p = pidtab_add(&c->procs, pid);
	struct ksmsites_stats st;
	int err;

	if (p && p->passed)
		return;
	if (p)
		p->passed = true;
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
 * reusing the pid must not inherit their KSM sites (nor their comm).
 */
static void forget_gone(struct evsource *c)
{
	uint32_t gone[256];
	size_t n = 0;

	for (size_t i = 0; i < c->procs.n && n < 256; i++) {
		const struct evsource_proc *p = pidtab_at(&c->procs, i);

		if (!proc_alive(p->pid))
			gone[n++] = p->pid;
	}
	for (size_t i = 0; i < n; i++) {
		tracker_forget_pid(&c->trk, gone[i]);
		pidtab_del(&c->procs, gone[i]);
		if (c->ops.gone)
			c->ops.gone(c->ops.ctx, gone[i]);
	}
}

/* A process of the host the targets take in (by comm when they name one); never ourselves. */
static bool host_target(const struct evsource *c, uint32_t pid)
{
	char comm[KS_COMM_LEN];

	if (pid == (uint32_t)getpid())
		return false;
	return !c->targets->has_comm || (!proc_comm(pid, comm) && targets_match(c->targets, pid, comm));
}

/* Processes that may hold KSM pages and have not had their pass yet. */
static void refresh_targets(struct evsource *c)
{
	uint32_t *pids = NULL;
	size_t n = 0;

	if (c->targets->npids) {
		for (size_t i = 0; i < c->targets->npids; i++)
			pass_pid(c, c->targets->pids[i]);
		return;
	}
	if (proc_list(&pids, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		const struct evsource_proc *p = pidtab_get(&c->procs, pids[i]);
		struct proc_ksm_stat ks;
		struct evsource_proc *np;

		if ((p && p->passed) || !host_target(c, pids[i]))
			continue;
		/* ksm_stat is cheap; only processes with merged pages need the pagemap pass */
		proc_ksm_stat(pids[i], &ks);
		if (ks.merging_pages || ks.zero_pages)
			pass_pid(c, pids[i]);
		else if ((np = pidtab_add(&c->procs, pids[i])))
			np->passed = true; /* later merges arrive as events */
	}
	free(pids);
}

/* Fault records carry no comm (it costs the hot path ~40 ns): name them from what we know. */
static void fill_comm(struct evsource *c, struct ks_event *e)
{
	struct evsource_proc *p;

	if (e->flags & KS_F_OWNER_UNKNOWN)
		return;
	if (e->comm[0]) {
		p = pidtab_add(&c->procs, e->pid);
		if (p)
			memcpy(p->comm, e->comm, KS_COMM_LEN);
		return;
	}
	p = pidtab_get(&c->procs, e->pid);
	if (p && p->comm[0]) {
		memcpy(e->comm, p->comm, KS_COMM_LEN);
	} else if (!proc_comm(e->pid, e->comm)) {
		p = pidtab_add(&c->procs, e->pid);
		if (p)
			memcpy(p->comm, e->comm, KS_COMM_LEN);
	}
}

/*
 * A merge seen in the function (fexit, kprobe) carries a frame computed from
 * its struct page and where the kernel put that array: take pagemap's, which
 * does not depend on it (kallsyms may hide vmemmap_base, or lack it).
 */
static void merge_frame(const struct evsource *c, struct ks_event *e)
{
	uint64_t pm;
	int fd;

	if (e->type != KS_REC_MERGE || e->err || (e->flags & (KS_F_OWNER_UNKNOWN | KS_F_POLLED)) ||
	    (c->l.src[CAP_MERGE] != SRC_FEXIT && c->l.src[CAP_MERGE] != SRC_KPROBE))
		return;
	fd = pagemap_open((pid_t)e->pid);
	if (fd < 0)
		return;
	if (pagemap_read(fd, e->addr, 1, &pm) == 1 && (pm & PM_PRESENT) && (pm & PM_PFN_MASK))
		e->pfn = pm & PM_PFN_MASK;
	close(fd);
}

/* A record as it is: to the tracker, then to the command. */
static void deliver(void *ctx, struct ks_event *e)
{
	struct evsource *c = ctx;
	struct decision d;

	merge_frame(c, e);
	d = tracker_on_event(&c->trk, e);
	if (d.kind != OUT_NONE && tracker_has_pid(e, d.kind))
		fill_comm(c, e);
	if (e->type == KS_REC_KSM_EXIT && !(e->flags & KS_F_OWNER_UNKNOWN)) {
		pidtab_del(&c->procs, e->pid);
	}
	/* a fork child inherits its parent's merged pages: find them before it writes */
	if (e->type == KS_REC_KSM_ENTER)
		pass_pid(c, e->pid);
	c->ops.event(c->ops.ctx, e, &d);
}

#define HOLD_NS 2000000000ULL /* how long a perf fault on a merged page may take to show as a break */

static int on_record(void *ctx, void *data, size_t size)
{
	struct evsource *c = ctx;
	struct ks_event e;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	if (e.type == 0 || e.type >= KS_REC__MAX)
		return 0;
	if (e.flags & KS_F_JIFFIES) {
		e.ts_ns = jclock_ns(&c->clock, e.ts_ns);
		e.flags &= ~KS_F_JIFFIES;
	}
	if (e.flags & KS_F_UNCONFIRMED) {
		enum fc_verdict v = faultcheck_judge(&c->trk, c->kpf_fd, &e);

		if (v == FC_WAIT && faultcheck_hold(&c->held, &e, now_mono_ns() + HOLD_NS))
			ks_warn("out of memory: a fault on a merged page is not followed");
		if (v != FC_BREAK)
			return 0;
		e.flags &= ~KS_F_UNCONFIRMED;
	}
	deliver(c, &e);
	return 0;
}

/* HZ from two clock pairs 100 ms apart: fault records carry jiffies. */
static int calibrate_clock(struct evsource *c, const struct loader *l)
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

static void poll_scans(struct evsource *s);

int evsource_start(struct evsource *s, struct loader_opts *lo, const struct targets *t,
		   const struct evsource_ops *ops)
{
	char why[256];

	memset(s, 0, sizeof(*s));
	s->kpf_fd = -1;
	s->full_scans_fd = -1;
	s->targets = t;
	s->ops = *ops;
	s->kpf_fd = kpageflags_open();
	if (s->kpf_fd < 0) {
		ks_err("cannot open /proc/kpageflags: %s", strerror(-s->kpf_fd));
		return -1;
	}
	if (ksmflag_init(s->kpf_fd, why, sizeof(why)) == -ENOTSUP) {
		ks_err("%s", why);
		return -1;
	}
	if (tracker_init(&s->trk) || pidtab_init(&s->procs, sizeof(struct evsource_proc), 1024)) {
		ks_err("out of memory");
		return -1;
	}
	lo->targets = t;
	/* batch wake-ups: one per quarter of the buffer at most */
	lo->wakeup_bytes = lo->ringbuf_bytes / 4;
	if (loader_start(&s->l, lo))
		return -1;
	s->rb = ring_buffer__new(loader_ringbuf_fd(&s->l), on_record, s, NULL);
	if (!s->rb) {
		ks_err("cannot create ring buffer reader: %s", strerror(errno));
		return -1;
	}
	if (calibrate_clock(s, &s->l))
		return -1;
	if (s->l.src[CAP_SCAN] == SRC_POLLING)
		s->full_scans_fd = open(KSM_SYSFS "/full_scans", O_RDONLY | O_CLOEXEC);
	poll_scans(s); /* seeds the polled scan count */
	/* attached first, then the pass: a merge during the pass still arrives as an event */
	refresh_targets(s);
	s->next_refresh = now_mono_ns() + 1000000000ULL;
	return 0;
}

/* The polling source of scans: a full_scans that moved is a scan stopped and the next started. */
static void poll_scans(struct evsource *s)
{
	uint64_t fs;

	if (s->full_scans_fd < 0 || read_u64_fd(s->full_scans_fd, &fs))
		return;
	/* the first reading, or run=2 reset the counter: start from where it is */
	if (!s->scans_seeded || fs < s->full_scans) {
		s->full_scans = fs;
		s->scans_seeded = true;
		return;
	}
	for (; s->full_scans < fs; s->full_scans++) {
		struct ks_event e = { .type = KS_REC_SCAN_STOP, .flags = KS_F_POLLED, .ts_ns = now_mono_ns() };

		e.seq = (int32_t)s->full_scans;
		on_record(s, &e, sizeof(e));
		e.type = KS_REC_SCAN_START;
		e.seq = (int32_t)s->full_scans + 1;
		on_record(s, &e, sizeof(e));
	}
}

static void polled_record(void *ctx, const struct ks_event *e)
{
	struct ks_event copy = *e;

	on_record(ctx, &copy, sizeof(copy));
}

/* The processes a polling round looks at: the targets, or those with merged pages and those the tracker holds. */
static int round_pids(struct evsource *s, uint32_t **out, size_t *n)
{
	uint32_t *pids = NULL;
	size_t np = 0, k = 0;
	struct kvtab seen;

	if (s->targets->npids) {
		*out = malloc(s->targets->npids * sizeof(**out));
		if (!*out)
			return -ENOMEM;
		memcpy(*out, s->targets->pids, s->targets->npids * sizeof(**out));
		*n = s->targets->npids;
		return 0;
	}
	/* the processes the tracker holds sites of: their breaks are found even when nothing stays merged */
	if (kvtab_init(&seen, 64))
		return -ENOMEM;
	for (size_t i = 0; s->trk.sites.slots && i <= s->trk.sites.mask; i++)
		if (s->trk.sites.slots[i].k1 != UINT64_MAX && kvtab_put(&seen, s->trk.sites.slots[i].k1, 0, 1, 0)) {
			kvtab_free(&seen);
			return -ENOMEM;
		}
	if (proc_list(&pids, &np)) {
		kvtab_free(&seen);
		return -ENOMEM;
	}
	for (size_t i = 0; i < np; i++) {
		struct proc_ksm_stat ks;

		if (!host_target(s, pids[i]))
			continue;
		proc_ksm_stat(pids[i], &ks);
		if (ks.merging_pages || kvtab_get(&seen, pids[i], 0))
			pids[k++] = pids[i];
	}
	kvtab_free(&seen);
	*out = pids;
	*n = k;
	return 0;
}

/* Merges and breaks from polling, at most once a second and 1% of the time (or now: force). */
static int poll_sites(struct evsource *s, bool force)
{
	const struct ksmpoll_out out = { s, polled_record };
	bool merges = s->l.src[CAP_MERGE] == SRC_POLLING, breaks = s->l.src[CAP_COW] == SRC_POLLING;
	uint64_t t0 = now_mono_ns(), spent;
	uint32_t *pids = NULL;
	size_t n = 0;
	int err;

	if ((!merges && !breaks) || (t0 < s->next_round && !force))
		return 0;
	err = round_pids(s, &pids, &n);
	if (!err)
		err = ksmpoll_round(&s->trk, s->kpf_fd, pids, n, merges, breaks, &out);
	free(pids);
	spent = now_mono_ns() - t0;
	s->next_round = now_mono_ns() + (spent * 100 > 1000000000ULL ? spent * 100 : 1000000000ULL);
	return err;
}

int evsource_poll(struct evsource *s, int timeout_ms)
{
	uint64_t now;
	int n = ring_buffer__poll(s->rb, timeout_ms);

	if (n == -EINTR)
		return 0;
	if (n < 0)
		return n;
	/* libbpf 1.1 can time out with records waiting when no wake-up came */
	if (n == 0)
		ring_buffer__consume(s->rb);
	poll_scans(s);
	faultcheck_recheck(&s->held, &s->trk, s->kpf_fd, now_mono_ns(), false, deliver, s);
	n = poll_sites(s, false);
	if (n < 0)
		return n;
	now = now_mono_ns();
	if (now >= s->next_refresh) {
		uint64_t kns, kj;

		if (!loader_calibrate(&s->l, &kns, &kj))
			jclock_anchor(&s->clock, kns, kj);
		forget_gone(s);
		refresh_targets(s);
		s->next_refresh = now + 1000000000ULL;
	}
	return 0;
}

void evsource_drain(struct evsource *s)
{
	if (s->rb)
		ring_buffer__consume(s->rb);
}

int evsource_finish(struct evsource *s)
{
	int err;

	evsource_drain(s);
	if (!s->rb)
		return 0;
	/* what polled sources would find in their next round, which would not come */
	poll_scans(s);
	faultcheck_recheck(&s->held, &s->trk, s->kpf_fd, now_mono_ns(), true, deliver, s);
	err = poll_sites(s, true);
	evsource_drain(s);
	return err;
}

int evsource_counters(const struct evsource *s, uint64_t *drops, uint64_t *cow_faults, uint64_t *cow_untracked,
		      uint64_t *cow_other)
{
	struct ks_counters cnt;
	int err = loader_counters(&s->l, &cnt);

	if (err)
		return err;
	*drops = 0;
	for (int k = 0; k < KS_REC__MAX; k++)
		*drops += cnt.drops[k];
	*cow_faults = cnt.cow_faults;
	*cow_untracked = cnt.cow_untracked;
	*cow_other = s->trk.cow_other;
	return 0;
}

void evsource_stop(struct evsource *s)
{
	if (!s->ops.event)
		return; /* never started */
	ring_buffer__free(s->rb);
	s->rb = NULL;
	loader_stop(&s->l);
	if (s->kpf_fd >= 0)
		close(s->kpf_fd);
	s->kpf_fd = -1;
	if (s->full_scans_fd >= 0)
		close(s->full_scans_fd);
	s->full_scans_fd = -1;
	tracker_free(&s->trk);
	pidtab_free(&s->procs);
	faultcheck_free(&s->held);
}
