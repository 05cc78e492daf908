/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's name of a VMM process, for --group-by vm: QEMU's -name (guest=X
 * or X; what libvirt, Proxmox and KubeVirt's virt-launcher pass), else the
 * libvirt domain in its machine scope's cgroup, else Proxmox's -id or
 * Firecracker's --id.
 */
#ifndef KSMSCOPE_SYS_VMNAME_H
#define KSMSCOPE_SYS_VMNAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * From a NUL-separated command line of len bytes and a cgroup path (may be
 * NULL): the name into out. 0, or -ENOENT when neither names a guest.
 */
int vm_name_parse(const char *cmdline, size_t len, const char *cgroup, char *out, size_t size);
/* The same for a running process. 0, -ENOENT (no name found) or -ESRCH (gone). */
int vm_name_of(uint32_t pid, char *out, size_t size);

#endif
