/* SPDX-License-Identifier: GPL-2.0-only */
/* /proc/PID/smaps: the VMAs of a process with the flags ksmscope needs. */
#ifndef KSMSCOPE_SYS_PROCMAPS_H
#define KSMSCOPE_SYS_PROCMAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct vma {
	uint64_t start, end;
	uint64_t offset;
	char perms[5];
	bool mergeable; /* VmFlags "mg": VM_MERGEABLE */
	bool hugetlb;   /* VmFlags "ht": VM_HUGETLB */
	bool shared;    /* perms[3] == 's' */
	uint64_t anon_kb; /* smaps "Anonymous:" */
	uint64_t ksm_kb;  /* smaps "KSM:" (6.x) */
	char path[256];
};

struct vma_list {
	struct vma *v;
	size_t n, cap;
};

/* Parse smaps text from f. Returns 0 or -errno (-EINVAL on malformed input). */
int smaps_parse(FILE *f, struct vma_list *out);
/* Parse smaps text read into buf (len bytes), as smaps_parse. */
int smaps_parse_buf(const char *buf, size_t len, struct vma_list *out);
/*
 * pid's mappings from /proc/PID/maps when that says all there is to know (no
 * mapping is VM_MERGEABLE, by ksm_stat on kernels after 6.12; none holds a
 * hugetlb page), else from /proc/PID/smaps, whose reader walks every page
 * table entry (6-10 ms for a 600 MiB interpreter). Errors as smaps_read.
 */
int vmas_read(pid_t pid, struct vma_list *out);
/* The text vmas_read parses, into buf (as read_small_file); allocates nothing. */
ssize_t vmas_text(pid_t pid, char *buf, size_t size);
/* Read /proc/PID/smaps. -ENOENT/-ESRCH: process gone; -EACCES: no permission. */
int smaps_read(pid_t pid, struct vma_list *out);
void vma_list_free(struct vma_list *l);

#endif
