// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/regions.h"

#include <string.h>

const char *const region_names[REG__MAX] = {
	[REG_HEAP] = "heap", [REG_STACK] = "stack", [REG_ANON] = "anon",
	[REG_FILE_COW] = "file_cow", [REG_GUEST] = "guest",
};

bool is_vmm_comm(const char *comm)
{
	return !strncmp(comm, "qemu-system-", 12) || !strcmp(comm, "qemu-kvm") ||
	       !strcmp(comm, "firecracker") || !strncmp(comm, "cloud-hypervis", 14) ||
	       !strcmp(comm, "crosvm");
}

enum region_type region_of(const struct vma *v, bool vmm_process)
{
	/* shared mappings hold shmem or page cache, never private anonymous pages */
	if (v->shared)
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
