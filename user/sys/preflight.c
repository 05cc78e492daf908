// SPDX-License-Identifier: GPL-2.0-only
#include "sys/preflight.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys/ksmstate.h"
#include "lib/util.h"

#define CAP_PERFMON_ 38
#define CAP_BPF_ 39

static bool has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

int preflight(unsigned needs)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { 0 };
	struct stat sb;
	bool admin;

	if (syscall(SYS_capget, &hdr, data)) {
		ks_err("cannot read capabilities: %s", strerror(errno));
		return -1;
	}
	admin = has_cap(data, CAP_SYS_ADMIN);
	if ((needs & NEED_BPF) && !admin && !(has_cap(data, CAP_BPF_) && has_cap(data, CAP_PERFMON_))) {
		ks_err("need root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN) to load BPF programs");
		return -1;
	}
	if ((needs & NEED_PFNS) && !admin) {
		ks_err("need CAP_SYS_ADMIN to read page frame numbers from /proc/PID/pagemap");
		return -1;
	}
	if ((needs & NEED_PTRACE) && !has_cap(data, CAP_SYS_PTRACE)) {
		ks_err("need CAP_SYS_PTRACE to read other processes' pages");
		return -1;
	}
	if ((needs & NEED_BTF) && stat("/sys/kernel/btf/vmlinux", &sb)) {
		ks_err("no kernel BTF at /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF=y)");
		return -1;
	}
	if ((needs & NEED_KSM) && stat(KSM_SYSFS "/run", &sb)) {
		ks_err("KSM is not built into this kernel (no %s; needs CONFIG_KSM=y)", KSM_SYSFS);
		return -1;
	}
	return 0;
}
