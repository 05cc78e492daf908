/* SPDX-License-Identifier: GPL-2.0-only */
/* Region types partition the sites: which kind of memory a private mapping is. */
#ifndef KSMSCOPE_SCANNER_REGIONS_H
#define KSMSCOPE_SCANNER_REGIONS_H

#include <stdbool.h>

#include "sys/procmaps.h"

enum region_type { REG_HEAP, REG_STACK, REG_ANON, REG_FILE_COW, REG_GUEST, REG__MAX, REG_NONE = -1 };

/*
 * Anonymous private mappings larger than this in a VMM process are guest RAM:
 * glibc's per-thread malloc arenas are at most 64 MiB, and a VMM has many threads.
 */
#define GUEST_MIN_BYTES (64ULL << 20)

extern const char *const region_names[REG__MAX];

/* Region of a mapping, or REG_NONE for mappings whose pages are never sites (shared, special). */
enum region_type region_of(const struct vma *v, bool vmm_process);
/* qemu-system-*, qemu-kvm, firecracker, cloud-hypervisor, crosvm (comm is truncated to 15). */
bool is_vmm_comm(const char *comm);

#endif
