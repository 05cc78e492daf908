/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Feature probes and the skeleton lifecycle: which hooks this kernel has
 * (tp_btf types in its BTF, else classic tracepoints in tracefs, mounted if
 * need be), then open -> configure (rodata, map sizes, autoload, the fault
 * filter) -> load -> attach, with one cleanup path. Privileges, BTF and KSM
 * itself are checked before, by the commands' preflight() (sys/preflight.h).
 */
#ifndef KSMSCOPE_TRACER_LOADER_H
#define KSMSCOPE_TRACER_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/events.h"
#include "sys/targets.h"

enum hook_mode { HOOK_AUTO, HOOK_BTF, HOOK_CLASSIC };

struct loader_opts {
	const struct targets *targets;
	uint64_t ringbuf_bytes;
	uint64_t wakeup_bytes;
	enum hook_mode mode;
	bool verbose;
};

struct ksmscope_bpf;

struct loader {
	struct ksmscope_bpf *skel;
	enum hook_mode used; /* HOOK_BTF or HOOK_CLASSIC */
	bool mounted_tracefs;
	int ncpus;
};

/* Open, configure, load, attach. Returns 0, or prints one line and returns -1. */
int loader_start(struct loader *l, const struct loader_opts *o);
void loader_stop(struct loader *l);
int loader_ringbuf_fd(const struct loader *l);
/* Sum the per-CPU counters. */
int loader_counters(const struct loader *l, struct ks_counters *sum);
const char *hook_mode_name(enum hook_mode m);
/* A (ktime ns, jiffies) pair taken together in the kernel. 0 or -errno. */
int loader_calibrate(const struct loader *l, uint64_t *ns, uint64_t *jiffies);
/* The tracer flags every attaching command shares: 'R' --ringbuf-size, 'H' --hooks, 'v' --verbose. 0, or one line and -1. */
int loader_option(struct loader_opts *o, int opt, const char *arg);
/* libbpf output only with --verbose: errors are ours, one line each. */
void loader_libbpf_verbose(bool on);

#endif
