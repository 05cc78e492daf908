// SPDX-License-Identifier: GPL-2.0-only
#include "sys/vmname.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "sys/proc.h"

/*
 * QEMU's -name value: "guest=X,..." or "X,..." (a "," inside X is written
 * ",,"). The guest= option wherever it is, else a leading value that is no
 * option.
 */
static int qemu_name(const char *v, char *out, size_t size)
{
	char opt[256];
	bool found = false;

	for (int k = 0; *v; k++) {
		size_t n = 0;

		for (; *v && !(*v == ',' && v[1] != ','); v++) {
			if (*v == ',')
				v++; /* ",," is a comma */
			if (n + 1 < sizeof(opt))
				opt[n++] = *v;
		}
		opt[n] = '\0';
		v += *v == ',';
		if (!strncmp(opt, "guest=", 6) && opt[6]) {
			snprintf(out, size, "%s", opt + 6);
			return 0;
		}
		if (k == 0 && n && !strchr(opt, '=')) {
			snprintf(out, size, "%s", opt);
			found = true;
		}
	}
	return found ? 0 : -ENOENT;
}

/* libvirt: .../machine-qemu\x2d<id>\x2d<name>.scope/... ("-" in name is "\x2d" too). */
static int libvirt_name(const char *cg, char *out, size_t size)
{
	const char *m = cg ? strstr(cg, "machine-qemu\\x2d") : NULL;
	const char *end;
	size_t n = 0;

	if (!m)
		return -ENOENT;
	m = strstr(m + 16, "\\x2d");
	end = m ? strstr(m, ".scope") : NULL;
	if (!end)
		return -ENOENT;
	for (m += 4; m < end && n + 1 < size; m++) {
		if (!strncmp(m, "\\x2d", 4)) {
			out[n++] = '-';
			m += 3;
		} else {
			out[n++] = *m;
		}
	}
	out[n] = '\0';
	return n ? 0 : -ENOENT;
}

int vm_name_parse(const char *cmdline, size_t len, const char *cgroup, char *out, size_t size)
{
	const char *id = NULL;

	for (size_t i = 0; i < len;) {
		const char *a = cmdline + i;
		size_t al = strnlen(a, len - i);
		const char *v = i + al + 1 < len ? a + al + 1 : NULL;

		if (v && (!strcmp(a, "-name") || !strcmp(a, "--name")) && !qemu_name(v, out, size))
			return 0;
		if (v && (!strcmp(a, "-id") || !strcmp(a, "--id")))
			id = v;
		i += al + 1;
	}
	if (!libvirt_name(cgroup, out, size))
		return 0;
	if (id && *id) {
		snprintf(out, size, "%s", id);
		return 0;
	}
	return -ENOENT;
}

int vm_name_of(uint32_t pid, char *out, size_t size)
{
	char path[64], cmd[8192], cg[512];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	n = read_small_file(path, cmd, sizeof(cmd));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	if (proc_cgroup(pid, cg, sizeof(cg)))
		cg[0] = '\0';
	return vm_name_parse(cmd, (size_t)n, cg, out, size);
}
