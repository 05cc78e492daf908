/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Feature probes and the skeleton lifecycle. Each capability of the tracer
 * (merges, KSM pages freed, scans, KSM entry/exit, forks, copy-on-write
 * faults) takes the best source this kernel offers, never keyed on uname:
 * tp_btf (a btf_trace_* type in the kernel's BTF), a classic tracepoint
 * (tracefs, mounted if need be), fexit/fentry on the function that emits the
 * tracepoint in later kernels (a BTF function; the kernel must allow
 * trampolines), a kprobe (the kprobe PMU and the symbol), or polling in
 * userspace. Each candidate passes a cheap probe, then the chosen set is
 * loaded and attached at once; when that fails, each candidate is loaded on
 * its own to find which one the kernel refuses, and why. Then open ->
 * configure (rodata, map sizes, autoload, the fault filter) -> load -> attach,
 * with one cleanup path. Privileges, BTF and KSM itself are checked before,
 * by the commands' preflight() (sys/preflight.h).
 */
#ifndef KSMSCOPE_TRACER_LOADER_H
#define KSMSCOPE_TRACER_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/events.h"
#include "sys/targets.h"

enum ks_cap { CAP_MERGE, CAP_KSM_PAGE, CAP_SCAN, CAP_ENTER, CAP_FORK, CAP_COW, CAP__MAX };
enum ks_src { SRC_NONE, SRC_BTF, SRC_TRACEPOINT, SRC_FEXIT, SRC_KPROBE, SRC_PERF, SRC_POLLING, SRC__MAX };
/* "merges", "ksm_pages", "scans", "ksm_enter_exit", "forks", "cow_faults" */
extern const char *const cap_names[CAP__MAX];
/* "none", "tp_btf", "tracepoint", "fexit", "kprobe", "perf", "polling" */
extern const char *const src_names[SRC__MAX];

struct loader_opts {
	const struct targets *targets;
	uint64_t ringbuf_bytes;
	uint64_t wakeup_bytes;
	enum ks_src prefer; /* --hooks: first choice where a capability has it, and required for merges; NONE: auto */
	bool verbose;
};

struct ksmscope_bpf;
struct bpf_link;

struct loader {
	struct ksmscope_bpf *skel;
	enum ks_src src[CAP__MAX];           /* the source of each capability (SRC_NONE: none) */
	char why[CAP__MAX][SRC__MAX][160];   /* why a source was refused; "" where it was not tried or chosen */
	bool works[CAP__MAX][SRC__MAX];      /* loader_probe_all: the kernel takes it too */
	bool mounted_tracefs;
	int ncpus;
	struct bpf_link **perf_links; /* the perf source's programs, one per CPU (the skeleton does not attach them) */
	int nperf;
};

/* What each source of a capability loses against the best one ("" for nothing). */
const char *loader_source_loses(enum ks_cap c, enum ks_src s);
/* The sources in a word when they agree ("tp_btf", "tracepoint"), else "merges=fexit,scans=polling,...". */
const char *loader_sources(const struct loader *l, char *buf, size_t size);
/*
 * Choose every capability's source and record why the others were refused,
 * loading each candidate on its own, the ones after the chosen one too
 * (works[]) (`ksmscope features`); nothing stays attached. 0, or one line
 * printed and -1.
 */
int loader_probe_all(struct loader *l, const struct loader_opts *o);
/* Open, configure, load, attach. Returns 0, or prints one line and returns -1. */
int loader_start(struct loader *l, const struct loader_opts *o);
void loader_stop(struct loader *l);
int loader_ringbuf_fd(const struct loader *l);
/* Sum the per-CPU counters. */
int loader_counters(const struct loader *l, struct ks_counters *sum);
/* A (ktime ns, jiffies) pair taken together in the kernel. 0 or -errno. */
int loader_calibrate(const struct loader *l, uint64_t *ns, uint64_t *jiffies);
/* The tracer flags every attaching command shares: 'R' --ringbuf-size, 'H' --hooks, 'v' --verbose. 0, or one line and -1. */
int loader_option(struct loader_opts *o, int opt, const char *arg);
/* libbpf output only with --verbose: errors are ours, one line each. */
void loader_libbpf_verbose(bool on);

#endif
