/* SPDX-License-Identifier: GPL-2.0-only */
/* Region types partition the sites: which kind of memory a private mapping is. */
#ifndef KSMSCOPE_SCANNER_REGIONS_H
#define KSMSCOPE_SCANNER_REGIONS_H

#include <stdbool.h>

#include "sys/procmaps.h"

/*
 * REG_SHARED and REG_GUEST_SHARED hold the memory KSM cannot merge: shared
 * (shmem, memfd, MAP_SHARED anonymous; any shared mapping of a VMM's guest RAM)
 * and hugetlb mappings. Their pages are counted (shared_sites, hugetlb_sites),
 * never sites.
 */
enum region_type {
	REG_HEAP, REG_STACK, REG_ANON, REG_FILE_COW, REG_GUEST, REG_SHARED, REG_GUEST_SHARED,
	REG__MAX, REG_NONE = -1
};

/*
 * Anonymous private mappings larger than this in a VMM process are guest RAM:
 * glibc's per-thread malloc arenas are at most 64 MiB, and a VMM has many threads.
 */
#define GUEST_MIN_BYTES (64ULL << 20)

extern const char *const region_names[REG__MAX];

/*
 * Region of a mapping whose pages may be sites, or REG_NONE (shared, hugetlb,
 * special).
 */
enum region_type region_of(const struct vma *v, bool vmm_process);
/*
 * For a mapping region_of rejects: REG_SHARED or REG_GUEST_SHARED when it holds
 * memory KSM cannot merge that a VM or process could have had merged (hugetlb,
 * shmem, a VMM's shared guest RAM), else REG_NONE (page cache, special).
 */
enum region_type unmergeable_region_of(const struct vma *v, bool vmm_process);
/* qemu-system-*, qemu-kvm, firecracker, cloud-hypervisor, crosvm (comm is truncated to 15). */
bool is_vmm_comm(const char *comm);

#endif
