/* SPDX-License-Identifier: GPL-2.0-only */
/* Can ksmscope run here? Privileges and kernel features, one clear line each. */
#ifndef KSMSCOPE_SYS_PREFLIGHT_H
#define KSMSCOPE_SYS_PREFLIGHT_H

enum preflight_needs {
	NEED_BPF = 1 << 0,    /* CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN) */
	NEED_PFNS = 1 << 1,   /* CAP_SYS_ADMIN: pagemap PFNs, /proc/kpageflags */
	NEED_PTRACE = 1 << 2, /* CAP_SYS_PTRACE: process_vm_readv of other users' processes */
	NEED_BTF = 1 << 3,
	NEED_KSM = 1 << 4,
};

/* Prints one line and returns -1 if something needed is missing. */
int preflight(unsigned needs);

#endif
