// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/regions.h"

#include <string.h>

const char *const region_names[REG__MAX] = {
	[REG_HEAP] = "heap", [REG_STACK] = "stack", [REG_ANON] = "anon",
	[REG_FILE_COW] = "file_cow", [REG_GUEST] = "guest", [REG_SHARED] = "shared",
	[REG_GUEST_SHARED] = "guest_shared",
};

bool is_vmm_comm(const char *comm)
{
	return !strncmp(comm, "qemu-system-", 12) || !strcmp(comm, "qemu-kvm") ||
	       !strcmp(comm, "firecracker") || !strncmp(comm, "cloud-hypervis", 14) ||
	       !strcmp(comm, "crosvm");
}

enum region_type region_of(const struct vma *v, bool vmm_process)
{
	/* shared mappings hold shmem or page cache, hugetlb its own pages: never private anonymous pages */
	if (v->shared || v->hugetlb)
		return REG_NONE;
	if (!strcmp(v->path, "[heap]"))
		return REG_HEAP;
	if (!strncmp(v->path, "[stack", 6))
		return REG_STACK;
	if (v->path[0] == '/')
		return REG_FILE_COW;
	if (v->path[0] == '[' && strncmp(v->path, "[anon", 5))
		return REG_NONE; /* [vdso], [vvar], [vsyscall], [uprobes] */
	if (vmm_process && v->end - v->start > GUEST_MIN_BYTES)
		return REG_GUEST;
	return REG_ANON;
}

/* shmem behind a shared mapping: MAP_SHARED anonymous, memfd, SysV, POSIX shm */
static bool is_shmem_path(const char *path)
{
	return !path[0] || !strncmp(path, "/dev/zero", 9) || !strncmp(path, "/memfd:", 7) ||
	       !strncmp(path, "/SYSV", 5) || !strncmp(path, "/dev/shm/", 9) || !strncmp(path, "[anon_shmem", 11);
}

enum region_type unmergeable_region_of(const struct vma *v, bool vmm_process)
{
	bool guest = vmm_process && v->end - v->start > GUEST_MIN_BYTES;

	if (!v->hugetlb && !(v->shared && (guest || is_shmem_path(v->path))))
		return REG_NONE;
	return guest ? REG_GUEST_SHARED : REG_SHARED;
}
