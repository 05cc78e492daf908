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
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksmscope.skel.h"
#include "sys/ksmstate.h"
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

const char *hook_mode_name(enum hook_mode m)
{
	return m == HOOK_BTF ? "tp_btf" : m == HOOK_CLASSIC ? "tracepoint" : "auto";
}

/* The hooks every mode needs, by tracepoint name. */
static const char *const required_tps[] = {
	"ksm_merge_with_ksm_page", "ksm_merge_one_page", "ksm_remove_ksm_page",
	"ksm_remove_rmap_item", "ksm_start_scan", "ksm_stop_scan",
	"ksm_enter", "ksm_exit", "page_fault_user", "page_fault_kernel",
	"sched_process_fork",
};

static const char *tp_group(const char *tp)
{
	if (!strncmp(tp, "ksm_", 4))
		return "ksm";
	if (!strncmp(tp, "page_fault_", 11))
		return "exceptions";
	return "sched";
}

/* Name of the first required tracepoint the kernel's BTF has no btf_trace_ type for. */
static const char *probe_btf(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	static char missing[64];
	char name[96];

	if (!btf)
		return "vmlinux BTF";
	for (size_t i = 0; i < ARRAY_SIZE(required_tps); i++) {
		snprintf(name, sizeof(name), "btf_trace_%s", required_tps[i]);
		if (btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) < 0) {
			snprintf(missing, sizeof(missing), "%s", required_tps[i]);
			btf__free(btf);
			return missing;
		}
	}
	btf__free(btf);
	return NULL;
}

static int ensure_tracefs(struct loader *l)
{
	struct stat sb;

	if (!stat(TRACEFS "/events", &sb))
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		ks_err("cannot mount tracefs at %s: %s", TRACEFS, strerror(errno));
		return -1;
	}
	l->mounted_tracefs = true;
	return 0;
}

/* Name of the first required tracepoint tracefs does not list. */
static const char *probe_classic(void)
{
	static char missing[64];
	char path[256];
	struct stat sb;

	for (size_t i = 0; i < ARRAY_SIZE(required_tps); i++) {
		snprintf(path, sizeof(path), TRACEFS "/events/%s/%s/id", tp_group(required_tps[i]),
			 required_tps[i]);
		if (stat(path, &sb)) {
			snprintf(missing, sizeof(missing), "%s", required_tps[i]);
			return missing;
		}
	}
	return NULL;
}

static void set_autoload(struct ksmscope_bpf *skel, enum hook_mode mode)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj) {
		const char *name = bpf_program__name(p);
		bool btf = !strncmp(name, "btf_", 4);

		if (!strcmp(name, "calibrate"))
			continue; /* both modes */
		bpf_program__set_autoload(p, mode == HOOK_BTF ? btf : !btf);
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

static int try_mode(struct loader *l, const struct loader_opts *o, enum hook_mode mode)
{
	const struct targets *t = o->targets;
	struct ksmscope_bpf *skel;
	int err;

	skel = ksmscope_bpf__open();
	if (!skel) {
		ks_err("cannot open BPF object: %s", strerror(errno));
		return -1;
	}
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
	err = bpf_map__set_max_entries(skel->maps.events, (uint32_t)o->ringbuf_bytes);
	if (err) {
		ks_err("bad ring buffer size %llu: %s", (unsigned long long)o->ringbuf_bytes, strerror(-err));
		goto fail;
	}
	set_autoload(skel, mode);
	patch_fault_filter(skel, t);
	err = ksmscope_bpf__load(skel);
	if (err) {
		if (o->mode == mode || mode == HOOK_CLASSIC)
			ks_err("cannot load the %s programs: %s%s", hook_mode_name(mode), strerror(-err),
			       o->verbose ? "" : " (--verbose shows the verifier log)");
		goto fail;
	}
	for (size_t i = 0; i < t->npids; i++)
		skel->bss->pid_bits[t->pids[i] / 64] |= 1ULL << (t->pids[i] % 64);
	err = ksmscope_bpf__attach(skel);
	if (err) {
		if (o->mode == mode || mode == HOOK_CLASSIC)
			ks_err("cannot attach the %s programs: %s", hook_mode_name(mode), strerror(-err));
		goto fail;
	}
	l->skel = skel;
	l->used = mode;
	return 0;
fail:
	ksmscope_bpf__destroy(skel);
	return -1;
}

int loader_start(struct loader *l, const struct loader_opts *o)
{
	const char *btf_missing, *classic_missing = NULL;

	memset(l, 0, sizeof(*l));
	loader_libbpf_verbose(o->verbose);
	l->ncpus = libbpf_num_possible_cpus();
	if (l->ncpus <= 0) {
		ks_err("cannot count possible CPUs");
		return -1;
	}
	btf_missing = o->mode == HOOK_CLASSIC ? "(not tried)" : probe_btf();
	if (!btf_missing && try_mode(l, o, HOOK_BTF) == 0)
		return 0;
	if (o->mode == HOOK_BTF) {
		if (btf_missing)
			ks_err("no tp_btf hook for %s in this kernel's BTF", btf_missing);
		return -1;
	}
	/* fallback: classic tracepoints, found through tracefs */
	if (ensure_tracefs(l))
		return -1;
	classic_missing = probe_classic();
	if (classic_missing) {
		if (!strncmp(classic_missing, "ksm_", 4))
			ks_err("this kernel has no KSM tracepoint ksm:%s (they arrived in Linux 6.4); "
			       "ksmscope needs them", classic_missing);
		else
			ks_err("this kernel has no tracepoint %s:%s", tp_group(classic_missing),
			       classic_missing);
		loader_stop(l);
		return -1;
	}
	if (try_mode(l, o, HOOK_CLASSIC)) {
		loader_stop(l);
		return -1;
	}
	/* attached perf events do not need tracefs any more: unmount what we mounted now */
	if (l->mounted_tracefs && !umount2(TRACEFS, MNT_DETACH))
		l->mounted_tracefs = false;
	if (o->verbose && btf_missing && o->mode == HOOK_AUTO)
		ks_warn("no tp_btf hook for %s: using classic tracepoints", btf_missing);
	return 0;
}

void loader_stop(struct loader *l)
{
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
	case 'H':
		if (!strcmp(arg, "auto"))
			o->mode = HOOK_AUTO;
		else if (!strcmp(arg, "btf"))
			o->mode = HOOK_BTF;
		else if (!strcmp(arg, "classic"))
			o->mode = HOOK_CLASSIC;
		else {
			ks_err("--hooks: '%s' is not one of auto, btf, classic", arg);
			return -1;
		}
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	}
	return -1;
}
