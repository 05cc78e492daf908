/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small /proc readers, one function each. Those taking a pid return 0 or
 * -errno, and -ESRCH when the process is gone.
 */
#ifndef KSMSCOPE_SYS_PROC_H
#define KSMSCOPE_SYS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/events.h"

/* /proc/PID/status "Tgid": the process a thread id belongs to. */
int proc_tgid(uint32_t pid, uint32_t *tgid);
/* /proc/PID/comm, without its newline, NUL-padded. */
int proc_comm(uint32_t pid, char comm[KS_COMM_LEN]);
/* Every process (tgid) now in /proc. Caller frees *out. */
int proc_list(uint32_t **out, size_t *n);
/* Every thread of a process (/proc/PID/task). Caller frees *out. */
int proc_threads(uint32_t pid, uint32_t **out, size_t *n);
/* The first process whose comm is comm (ksmd, a kernel thread), or 0. */
uint32_t proc_find_comm(const char *comm);
/* Does the process still exist (/proc/PID)? */
bool proc_alive(uint32_t pid);
/* Its path in the unified (v2) cgroup hierarchy (/proc/PID/cgroup "0::"); -ENOENT without one. */
int proc_cgroup(uint32_t pid, char *out, size_t size);
/* Where the unified (v2) hierarchy is mounted (/proc/self/mounts): /sys/fs/cgroup, or .../unified on hybrid hosts. */
int cgroup2_mount(char *out, size_t size);

/* /proc/PID/ksm_stat (Linux 6.1+); a field this kernel lacks reads 0. */
struct proc_ksm_stat {
	uint64_t merging_pages; /* ksm_merging_pages: ksm_stat's (6.4+), else /proc/PID/ksm_merging_pages (5.19+) */
	uint64_t zero_pages;    /* ksm_zero_pages (6.6+) */
	bool has_zero;          /* the kernel counts zero_pages: without it, 0 means "not known" */
	int mergeable;          /* ksm_mergeable (any mapping VM_MERGEABLE; after 6.12): 1 yes, 0 no, -1 not said */
};
int proc_ksm_stat(uint32_t pid, struct proc_ksm_stat *st);

/* /proc/PID/stat, or /proc/PID/task/TID/stat when tid is not 0. */
struct proc_stat {
	char state;          /* R S D T t Z X ... */
	unsigned long flags; /* PF_* */
	uint64_t utime, stime; /* clock ticks */
};
int proc_stat(uint32_t pid, uint32_t tid, struct proc_stat *st);
/* utime + stime of a process, in seconds; < 0 when gone. */
double proc_cpu_seconds(uint32_t pid);

/* Our own CPU time (user + system), in seconds, and resident set (/proc/self/status VmRSS; 0 if unknown). */
double proc_self_cpu_seconds(void);
uint64_t proc_self_rss_kb(void);

/* The name of a process's (real) user, or its uid in decimal when it has none. 0 or -ESRCH. */
int proc_user(uint32_t pid, char *out, size_t size);
/* /proc/PID/mem opened for reading: an fd or -errno. */
int proc_mem_open(uint32_t pid);
/* A process's resident anonymous memory (status RssAnon) in kB; 0 when unknown or gone. */
uint64_t proc_rss_anon_kb(uint32_t pid);
/* /proc/meminfo MemAvailable in kB, or -1 where the kernel has none (before 3.14). */
int64_t proc_mem_available_kb(void);
/* The lowest physical address of System RAM in /proc/iomem, or UINT64_MAX. */
uint64_t proc_ram_start(void);

/* The address of a kernel symbol from /proc/kallsyms, or 0. */
uint64_t proc_kallsyms(const char *name);

#endif
