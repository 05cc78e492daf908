// SPDX-License-Identifier: GPL-2.0-only
#include "tracer/loader.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksmscope.skel.h"
#include "sys/ksmstate.h"
#include "sys/proc.h"
#include "lib/util.h"

#define TRACEFS "/sys/kernel/tracing"

static bool libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!libbpf_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void loader_libbpf_verbose(bool on)
{
	libbpf_verbose = on;
	libbpf_set_print(libbpf_print);
}

const char *const cap_names[CAP__MAX] = { "merges", "ksm_pages", "scans", "ksm_enter_exit", "forks", "cow_faults" };
const char *const src_names[SRC__MAX] = { "none", "tp_btf", "tracepoint", "fexit", "kprobe", "perf", "polling" };

/* What a source attaches to: tracepoints (group:name) or kernel functions, and its programs. */
struct source {
	enum ks_src src;
	const char *hooks[3];  /* tracepoints (tp_btf, tracepoint) or functions (fexit, kprobe) */
	const char *progs[4];
};

/* Per capability, the candidates in order of preference. */
#define NCAND 6
static const struct source sources[CAP__MAX][NCAND] = {
	[CAP_MERGE] = {
		{ SRC_BTF, { "ksm:ksm_merge_with_ksm_page", "ksm:ksm_merge_one_page" }, { "btf_merge", "btf_zero_merge" } },
		{ SRC_TRACEPOINT, { "ksm:ksm_merge_with_ksm_page", "ksm:ksm_merge_one_page" }, { "tp_merge", "tp_zero_merge" } },
		{ SRC_FEXIT, { "try_to_merge_with_ksm_page" }, { "fx_merge" } },
		{ SRC_KPROBE, { "try_to_merge_with_ksm_page" }, { "kp_merge", "kr_merge" } },
		{ SRC_POLLING, { NULL }, { NULL } },
	},
	[CAP_KSM_PAGE] = {
		{ SRC_BTF, { "ksm:ksm_remove_ksm_page", "ksm:ksm_remove_rmap_item" },
		  { "btf_ksm_page_freed", "btf_rmap_removed" } },
		{ SRC_TRACEPOINT, { "ksm:ksm_remove_ksm_page", "ksm:ksm_remove_rmap_item" },
		  { "tp_ksm_page_freed", "tp_rmap_removed" } },
		{ SRC_NONE, { NULL }, { NULL } },
	},
	[CAP_SCAN] = {
		{ SRC_BTF, { "ksm:ksm_start_scan", "ksm:ksm_stop_scan" }, { "btf_scan_start", "btf_scan_stop" } },
		{ SRC_TRACEPOINT, { "ksm:ksm_start_scan", "ksm:ksm_stop_scan" }, { "tp_scan_start", "tp_scan_stop" } },
		{ SRC_POLLING, { NULL }, { NULL } },
	},
	[CAP_ENTER] = {
		{ SRC_BTF, { "ksm:ksm_enter", "ksm:ksm_exit" }, { "btf_enter", "btf_exit" } },
		{ SRC_TRACEPOINT, { "ksm:ksm_enter", "ksm:ksm_exit" }, { "tp_enter", "tp_exit" } },
		{ SRC_FEXIT, { "__ksm_enter", "__ksm_exit" }, { "fx_enter", "fx_exit" } },
		{ SRC_KPROBE, { "__ksm_enter", "__ksm_exit" }, { "kp_enter", "kp_exit" } },
		{ SRC_POLLING, { NULL }, { NULL } },
	},
	[CAP_FORK] = {
		{ SRC_BTF, { "sched:sched_process_fork" }, { "btf_fork" } },
		{ SRC_TRACEPOINT, { "sched:sched_process_fork" }, { "tp_fork" } },
		{ SRC_POLLING, { NULL }, { NULL } },
	},
	[CAP_COW] = {
		{ SRC_BTF, { "exceptions:page_fault_user", "exceptions:page_fault_kernel" },
		  { "btf_fault_user", "btf_fault_kernel" } },
		{ SRC_TRACEPOINT, { "exceptions:page_fault_user", "exceptions:page_fault_kernel" },
		  { "tp_fault_user", "tp_fault_kernel" } },
		{ SRC_FEXIT, { "wp_page_copy" }, { "fx_cow" } },
		{ SRC_KPROBE, { "wp_page_copy" }, { "kp_cow" } },
		{ SRC_PERF, { "software:page-faults" }, { "pe_fault" } },
		{ SRC_POLLING, { NULL }, { NULL } },
	},
};

/* Capabilities the tracer works without: their events are simply not seen. */
static bool optional(enum ks_cap c)
{
	return c == CAP_KSM_PAGE;
}

const char *loader_source_loses(enum ks_cap c, enum ks_src s)
{
	switch (s) {
	case SRC_FEXIT:
	case SRC_KPROBE:
		return c == CAP_MERGE ? "zero-page merges (use_zero_pages=1) are not seen as events; a merge costs a "
					"trampoline or a kprobe more than a tracepoint"
		       : c == CAP_COW ? "only the writes that copy a page (wp_page_copy) are seen: cow_faults counts "
					"copies, not every write fault; each costs a trampoline or a kprobe"
				      : "";
	case SRC_PERF:
		return "the software page-fault event fires at the start of every fault of the targets (first "
		       "touches too), without saying whether it writes: a record each, of which userspace keeps those on "
		       "merged pages whose frame pagemap shows changed (looked at again for 2 s); cow_faults and "
		       "cow_other are not counted";
	case SRC_POLLING:
		switch (c) {
		case CAP_SCAN:
			return "scan_start/scan_stop are made when full_scans moves (polled every 50 ms): no "
			       "rmap_entries";
		case CAP_MERGE:
			return "merges are found by a pagemap + kpageflags round over the targets (every second at "
			       "most, 1% of the time): late by up to a round, no zero-page merges, no failed merges, "
			       "and a page merged and written between two rounds is not seen";
		case CAP_COW:
			return "writes that break merged pages are found by the same rounds, late by up to one; a "
			       "page KSM unmerged (run=2, MADV_UNMERGEABLE) counts as broken too; no other COW "
			       "faults are counted";
		case CAP_ENTER:
		case CAP_FORK:
			return "no ksm_enter/ksm_exit events: processes with merged pages are found within a second";
		default:
			return "";
		}
	case SRC_NONE:
		return c == CAP_KSM_PAGE ? "KSM pages freed and rmap items removed are not seen: a site whose KSM page "
					   "was freed keeps it until the next pagemap pass"
					 : "";
	default:
		return "";
	}
}

/* One line of each source in use, or the word they share. */
const char *loader_sources(const struct loader *l, char *buf, size_t size)
{
	size_t n = 0;
	bool same = true;

	for (int c = 1; c < CAP__MAX; c++)
		same &= l->src[c] == l->src[0];
	if (same)
		return src_names[l->src[0]];
	for (int c = 0; c < CAP__MAX && n < size; c++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s=%s", c ? "," : "", cap_names[c], src_names[l->src[c]]);
	return buf;
}

/* Why the kernel lacks a tracepoint "group:name" as tp_btf, or NULL. */
static const char *probe_btf(const struct btf *btf, const char *tp, char *why, size_t n)
{
	char name[96];

	snprintf(name, sizeof(name), "btf_trace_%s", strchr(tp, ':') + 1);
	if (btf && btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) >= 0)
		return NULL;
	snprintf(why, n, "no %s in the kernel's BTF", name);
	return why;
}

static int ensure_tracefs(struct loader *l)
{
	struct stat sb;

	if (!stat(TRACEFS "/events", &sb))
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return -errno;
	l->mounted_tracefs = true;
	return 0;
}

static const char *probe_tracepoint(struct loader *l, const char *tp, char *why, size_t n)
{
	const char *colon = strchr(tp, ':');
	char path[256];
	struct stat sb;
	int err = ensure_tracefs(l);

	if (err) {
		snprintf(why, n, "cannot mount tracefs at %s: %s", TRACEFS, strerror(-err));
		return why;
	}
	snprintf(path, sizeof(path), TRACEFS "/events/%.*s/%s/id", (int)(colon - tp), tp, colon + 1);
	if (!stat(path, &sb))
		return NULL;
	if (!strncmp(tp, "ksm:", 4))
		snprintf(why, n, "this kernel has no KSM tracepoint %s (they arrived in Linux 6.4)", tp);
	else
		snprintf(why, n, "this kernel has no tracepoint %s", tp);
	return why;
}

static const char *probe_fexit(const struct btf *btf, const char *fn, char *why, size_t n)
{
	if (btf && btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC) >= 0)
		return NULL;
	snprintf(why, n, "no function %s in the kernel's BTF (inlined, renamed or absent)", fn);
	return why;
}

static const char *probe_kprobe(const char *fn, char *why, size_t n)
{
	struct stat sb;

	if (stat("/sys/bus/event_source/devices/kprobe/type", &sb)) {
		snprintf(why, n, "no kprobe PMU (a kernel without CONFIG_KPROBES or CONFIG_KPROBE_EVENTS)");
		return why;
	}
	if (!proc_kallsyms(fn)) {
		snprintf(why, n, "no symbol %s in /proc/kallsyms (inlined or absent, or addresses hidden: kptr_restrict)", fn);
		return why;
	}
	return NULL;
}

/* The software page-fault event on one CPU, every process; -errno. */
static int perf_fault_event(int cpu)
{
	struct perf_event_attr a = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(a),
				     .config = PERF_COUNT_SW_PAGE_FAULTS, .sample_period = 1 };
	int fd = (int)syscall(SYS_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static const char *probe_perf(char *why, size_t n)
{
	int fd = perf_fault_event(0);

	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	snprintf(why, n, "perf_event_open of the software page-fault event: %s%s", strerror(-fd),
		 fd == -EACCES || fd == -EPERM ? " (perf_event_paranoid, or no CAP_PERFMON)" : "");
	return why;
}

/* The cheap probe of a candidate: NULL if it may work, else why not (in why). */
static const char *probe_source(struct loader *l, const struct btf *btf, const struct source *s, char *why, size_t n)
{
	const char *err = NULL;

	for (int h = 0; h < 3 && s->hooks[h] && !err; h++) {
		switch (s->src) {
		case SRC_BTF: err = probe_btf(btf, s->hooks[h], why, n); break;
		case SRC_TRACEPOINT: err = probe_tracepoint(l, s->hooks[h], why, n); break;
		case SRC_FEXIT: err = probe_fexit(btf, s->hooks[h], why, n); break;
		case SRC_KPROBE: err = probe_kprobe(s->hooks[h], why, n); break;
		case SRC_PERF: err = probe_perf(why, n); break;
		default: break;
		}
	}
	return err;
}

/* The chosen source's entry, when it has programs (polling and none have not). */
static const struct source *chosen(const struct loader *l, enum ks_cap c)
{
	for (int i = 0; i < NCAND; i++)
		if (sources[c][i].src == l->src[c] && sources[c][i].progs[0])
			return &sources[c][i];
	return NULL;
}

/* Programs of the chosen sources (want NULL) or of one candidate alone; calibrate always. */
static void set_autoload(struct ksmscope_bpf *skel, const struct loader *l, const struct source *only)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj) {
		const char *name = bpf_program__name(p);
		bool on = !strcmp(name, "calibrate");

		for (int c = 0; c < CAP__MAX && !on; c++) {
			const struct source *s = only ? (c == 0 ? only : NULL) : chosen(l, (enum ks_cap)c);

			for (int k = 0; s && k < 4 && s->progs[k] && !on; k++)
				on = !strcmp(name, s->progs[k]);
		}
		bpf_program__set_autoload(p, on);
	}
}

/* Which of the fault filter's immediates (events.h) an instruction loads, or -1. */
static int filter_imm(const struct bpf_insn *in)
{
	if (in->code != (BPF_ALU64 | BPF_MOV | BPF_K))
		return -1;
	if (in->imm == KS_IMM_MODE)
		return 0;
	if (in->imm == KS_IMM_SELF)
		return 1;
	if (in->imm >= KS_IMM_PID0 && in->imm < KS_IMM_PID0 + KS_PID_LIST)
		return 2 + (in->imm - KS_IMM_PID0);
	return -1;
}

/*
 * Write the fault filter into the fault programs' instructions before load,
 * for every process or a few pids (a comm or many pids stay in memory). A
 * program whose placeholders are not each found once is left as it is: it
 * then asks the filter in memory, which is correct, only slower.
 */
static void patch_fault_filter(struct ksmscope_bpf *skel, const struct targets *t)
{
	int32_t val[KS_IMM_COUNT] = { 0 };
	struct bpf_program *p;

	if (t->has_comm || t->npids > KS_PID_LIST)
		return;
	val[0] = t->npids ? KS_FMODE_LIST : KS_FMODE_ALL;
	val[1] = (int32_t)getpid();
	for (size_t i = 0; i < t->npids; i++)
		val[2 + i] = (int32_t)t->pids[i];
	bpf_object__for_each_program(p, skel->obj) {
		const struct bpf_insn *in = bpf_program__insns(p);
		size_t n = bpf_program__insn_cnt(p);
		int found[KS_IMM_COUNT] = { 0 }, any = 0, once = 1;
		struct bpf_insn *out;

		if (!bpf_program__autoload(p))
			continue;
		for (size_t i = 0; i < n; i++) {
			int k = filter_imm(&in[i]);

			if (k >= 0) {
				found[k]++;
				any = 1;
			}
		}
		for (int k = 0; k < KS_IMM_COUNT; k++)
			once &= found[k] == 1;
		if (!any)
			continue; /* not a fault program */
		out = once ? malloc(n * sizeof(*out)) : NULL;
		if (!out) {
			ks_warn("%s: the fault filter stays in memory (slower faults)", bpf_program__name(p));
			continue;
		}
		memcpy(out, in, n * sizeof(*out));
		for (size_t i = 0; i < n; i++) {
			int k = filter_imm(&out[i]);

			if (k >= 0)
				out[i].imm = val[k];
		}
		if (bpf_program__set_insns(p, out, n))
			ks_warn("%s: the fault filter stays in memory (slower faults)", bpf_program__name(p));
		free(out);
	}
}

/* A skeleton configured for the chosen sources (only NULL) or for one candidate alone. */
static struct ksmscope_bpf *open_skel(const struct loader *l, const struct loader_opts *o, const struct source *only)
{
	const struct targets *t = o->targets;
	struct ksmscope_bpf *skel = ksmscope_bpf__open();
	bool pfn_by_page = only ? only->src == SRC_FEXIT || only->src == SRC_KPROBE
				: l->src[CAP_MERGE] == SRC_FEXIT || l->src[CAP_MERGE] == SRC_KPROBE;
	int err;

	if (!skel)
		return NULL;
	skel->rodata->filter_pids = t->npids > 0;
	if (t->npids <= KS_PID_LIST) {
		skel->rodata->npid_list = (uint32_t)t->npids;
		for (size_t i = 0; i < t->npids; i++)
			skel->rodata->pid_list[i] = t->pids[i];
	}
	skel->rodata->filter_comm = t->has_comm;
	memcpy((char *)skel->rodata->target_comm, t->comm, KS_COMM_LEN);
	skel->rodata->self_tgid = (uint32_t)getpid();
	skel->rodata->wakeup_bytes = o->wakeup_bytes;
	/* merges seen in the function: pfn from the struct page, whose array KASLR moves */
	if (pfn_by_page)
		skel->rodata->vmemmap_sym = proc_kallsyms("vmemmap_base");
	/* a candidate tried alone needs no real ring buffer */
	err = bpf_map__set_max_entries(skel->maps.events, only ? 4096 : (uint32_t)o->ringbuf_bytes);
	if (err) {
		ksmscope_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	set_autoload(skel, l, only);
	patch_fault_filter(skel, t);
	return skel;
}

static void detach_perf(struct bpf_link ***links, int *n)
{
	for (int i = 0; i < *n; i++)
		bpf_link__destroy((*links)[i]);
	free(*links);
	*links = NULL;
	*n = 0;
}

/* The perf source's program on every CPU's software page-fault event. 0 or -errno. */
static int attach_perf(struct ksmscope_bpf *skel, struct bpf_link ***links, int *n)
{
	int ncpus = libbpf_num_possible_cpus(), err = 0;

	if (!bpf_program__autoload(skel->progs.pe_fault))
		return 0;
	if (ncpus <= 0 || !(*links = calloc((size_t)ncpus, sizeof(**links))))
		return -ENOMEM;
	for (int cpu = 0; cpu < ncpus && !err; cpu++) {
		int fd = perf_fault_event(cpu);
		struct bpf_link *link;

		if (fd == -ENODEV || fd == -EINVAL)
			continue; /* a possible CPU that is not online */
		if (fd < 0) {
			err = fd;
			break;
		}
		link = bpf_program__attach_perf_event(skel->progs.pe_fault, fd);
		if (!link) {
			err = -errno;
			close(fd);
		} else {
			(*links)[(*n)++] = link; /* the link owns fd */
		}
	}
	if (err)
		detach_perf(links, n);
	return err;
}

/* Load, set the pid bitmap, attach (the perf source's links into links). 0 or -errno. */
static int load_attach(struct ksmscope_bpf *skel, const struct targets *t, struct bpf_link ***links, int *n)
{
	int err = ksmscope_bpf__load(skel);

	if (err)
		return err;
	for (size_t i = 0; t && i < t->npids; i++)
		skel->bss->pid_bits[t->pids[i] / 64] |= 1ULL << (t->pids[i] % 64);
	err = ksmscope_bpf__attach(skel);
	return err ? err : attach_perf(skel, links, n);
}

/* Load and attach one candidate on its own: NULL if the kernel takes it, else why (in why). */
static const char *try_alone(struct loader *l, const struct loader_opts *o, const struct source *s, char *why,
			     size_t n)
{
	struct ksmscope_bpf *skel = open_skel(l, o, s);
	struct bpf_link **links = NULL;
	int nl = 0, err = skel ? load_attach(skel, NULL, &links, &nl) : -errno;

	detach_perf(&links, &nl);
	ksmscope_bpf__destroy(skel);
	if (!err)
		return NULL;
	/* 524 is the kernel's internal ENOTSUPP, which strerror does not know */
	snprintf(why, n, "the kernel refuses it: %s%s", err == -524 ? "not supported (ENOTSUPP)" : strerror(-err),
		 err == -EPERM && s->src == SRC_FEXIT ? " (trampolines not allowed here: lockdown or no arch support)"
		 : err == -EINVAL && s->src == SRC_FEXIT ? " (no BTF trampolines for this function)"
		 : err == -524 && s->src == SRC_FEXIT ? " (no BPF trampolines on this architecture and kernel)" : "");
	return why;
}

/* The candidates of c in the order to try them: the preferred source first. */
static int order_of(const struct loader_opts *o, enum ks_cap c, const struct source **out)
{
	int n = 0;

	for (int i = 0; i < NCAND; i++)
		if (sources[c][i].src == o->prefer && o->prefer != SRC_NONE)
			out[n++] = &sources[c][i];
	for (int i = 0; i < NCAND; i++) {
		if (i > 0 && sources[c][i].src == SRC_NONE)
			break;
		if (sources[c][i].src != o->prefer || o->prefer == SRC_NONE)
			out[n++] = &sources[c][i];
	}
	return n;
}

/* "tp_btf: ...; tracepoint: ..." of every refused candidate of c. */
static void refusals(const struct loader *l, enum ks_cap c, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int s = 0; s < SRC__MAX && n < size; s++)
		if (l->why[c][s][0])
			n += (size_t)snprintf(buf + n, size - n, "%s%s: %s", n ? "; " : "", src_names[s], l->why[c][s]);
}

/*
 * Each capability's source: the first candidate whose probe passes (and,
 * with load_each, that loads on its own). 0, or one line printed and -1.
 */
static int choose(struct loader *l, const struct loader_opts *o, bool load_each)
{
	struct btf *btf = btf__load_vmlinux_btf();
	char line[1024];
	int ret = 0;

	memset(l->why, 0, sizeof(l->why));
	for (int c = 0; c < CAP__MAX; c++) { /* every one, for `features`; the first error is said */
		const struct source *cand[NCAND + 1];
		int n = order_of(o, (enum ks_cap)c, cand);
		bool found = false;

		for (int i = 0; i < n && !found; i++) {
			const struct source *s = cand[i];
			char *why = l->why[c][s->src];

			if (s->src == SRC_NONE || s->src == SRC_POLLING) {
				found = true;
			} else if (!probe_source(l, btf, s, why, sizeof(l->why[c][s->src])) &&
				   (!load_each || !try_alone(l, o, s, why, sizeof(l->why[c][s->src])))) {
				found = true;
			}
			if (found) {
				l->src[c] = s->src;
				why[0] = '\0';
			}
			/* the source asked for is a must for merges, what the tracer is for */
			if (!found && c == CAP_MERGE && s->src == o->prefer) {
				if (!ret)
					ks_err("--hooks %s: %s", src_names[o->prefer], why);
				ret = -1;
				break;
			}
		}
		if (!found) {
			l->src[c] = SRC_NONE;
			if (!optional((enum ks_cap)c) && !ret) {
				refusals(l, (enum ks_cap)c, line, sizeof(line));
				ks_err("no source for %s: %s", cap_names[c], line);
			}
			ret = optional((enum ks_cap)c) ? ret : -1;
		}
	}
	btf__free(btf);
	return ret;
}

int loader_probe_all(struct loader *l, const struct loader_opts *o)
{
	struct btf *btf;
	int ret;

	memset(l, 0, sizeof(*l));
	loader_libbpf_verbose(o->verbose);
	ret = choose(l, o, true);
	btf = btf__load_vmlinux_btf();
	/* the candidates after the chosen one: would the kernel take them too? */
	for (int c = 0; c < CAP__MAX; c++)
		for (int i = 0; i < NCAND; i++) {
			const struct source *s = &sources[c][i];
			char *why = l->why[c][s->src];

			if (!s->progs[0] || s->src == l->src[c] || why[0])
				continue;
			l->works[c][s->src] = !probe_source(l, btf, s, why, sizeof(l->why[c][s->src])) &&
					      !try_alone(l, o, s, why, sizeof(l->why[c][s->src]));
		}
	btf__free(btf);
	return ret;
}

int loader_start(struct loader *l, const struct loader_opts *o)
{
	struct ksmscope_bpf *skel;
	char names[256];
	int err;

	memset(l, 0, sizeof(*l));
	loader_libbpf_verbose(o->verbose);
	l->ncpus = libbpf_num_possible_cpus();
	if (l->ncpus <= 0) {
		ks_err("cannot count possible CPUs");
		return -1;
	}
	if (choose(l, o, false)) {
		loader_stop(l);
		return -1;
	}
	skel = open_skel(l, o, NULL);
	err = skel ? load_attach(skel, o->targets, &l->perf_links, &l->nperf) : -errno;
	if (err) {
		/* which one does the kernel refuse? each on its own, then the set again */
		ksmscope_bpf__destroy(skel);
		skel = NULL;
		if (choose(l, o, true)) {
			loader_stop(l);
			return -1;
		}
		skel = open_skel(l, o, NULL);
		err = skel ? load_attach(skel, o->targets, &l->perf_links, &l->nperf) : -errno;
	}
	if (err) {
		ks_err("cannot load the tracer's programs (%s): %s%s", loader_sources(l, names, sizeof(names)),
		       strerror(-err), o->verbose ? "" : " (--verbose shows the verifier log)");
		ksmscope_bpf__destroy(skel);
		loader_stop(l);
		return -1;
	}
	l->skel = skel;
	/* attached perf events do not need tracefs any more: unmount what we mounted now */
	if (l->mounted_tracefs && !umount2(TRACEFS, MNT_DETACH))
		l->mounted_tracefs = false;
	return 0;
}

void loader_stop(struct loader *l)
{
	detach_perf(&l->perf_links, &l->nperf);
	if (l->skel) {
		ksmscope_bpf__destroy(l->skel); /* detaches every link */
		l->skel = NULL;
	}
	if (l->mounted_tracefs) {
		/* leave the host as we found it */
		if (umount2(TRACEFS, MNT_DETACH))
			ks_warn("cannot unmount %s: %s", TRACEFS, strerror(errno));
		l->mounted_tracefs = false;
	}
}

int loader_ringbuf_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

int loader_counters(const struct loader *l, struct ks_counters *sum)
{
	struct ks_counters *per = calloc((size_t)l->ncpus, sizeof(*per));
	uint32_t zero = 0;
	int err;

	memset(sum, 0, sizeof(*sum));
	if (!per)
		return -ENOMEM;
	err = bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.counters), &zero, per);
	if (!err) {
		for (int c = 0; c < l->ncpus; c++) {
			for (int k = 0; k < KS_REC__MAX; k++) {
				sum->seen[k] += per[c].seen[k];
				sum->drops[k] += per[c].drops[k];
			}
			sum->cow_faults += per[c].cow_faults;
			sum->cow_untracked += per[c].cow_untracked;
			sum->wakeups += per[c].wakeups;
		}
	}
	free(per);
	return err ? -errno : 0;
}

int loader_calibrate(const struct loader *l, uint64_t *ns, uint64_t *jiffies)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (bpf_prog_test_run_opts(bpf_program__fd(l->skel->progs.calibrate), &opts))
		return -errno;
	*ns = l->skel->bss->calib_ns;
	*jiffies = l->skel->bss->calib_jiffies;
	return 0;
}

int loader_option(struct loader_opts *o, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case 'R':
		if (parse_size(arg, &v) || v < 4096 || v > (1ULL << 30) || (v & (v - 1))) {
			ks_err("--ringbuf-size: '%s' is not a power of two between 4K and 1G", arg);
			return -1;
		}
		o->ringbuf_bytes = v;
		return 0;
	case 'H': {
		static const struct {
			const char *name;
			enum ks_src src;
		} modes[] = { { "auto", SRC_NONE },	 { "btf", SRC_BTF },	 { "tp_btf", SRC_BTF },
			      { "classic", SRC_TRACEPOINT }, { "tracepoint", SRC_TRACEPOINT }, { "fexit", SRC_FEXIT },
			      { "kprobe", SRC_KPROBE }, { "perf", SRC_PERF }, { "polling", SRC_POLLING } };

		for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
			if (!strcmp(arg, modes[i].name)) {
				o->prefer = modes[i].src;
				return 0;
			}
		ks_err("--hooks: '%s' is not one of auto, btf (tp_btf), classic (tracepoint), fexit, kprobe, perf, polling",
		       arg);
		return -1;
	}
	case 'v':
		o->verbose = true;
		return 0;
	}
	return -1;
}
