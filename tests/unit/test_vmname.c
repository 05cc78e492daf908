// SPDX-License-Identifier: GPL-2.0-only
/* vm_name_parse: the command lines and cgroups of the VMMs --group-by vm names. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "sys/vmname.h"

/* argv joined with NULs, as /proc/PID/cmdline holds it */
static size_t cmdline(char *buf, const char *const *argv)
{
	size_t n = 0;

	for (; *argv; argv++) {
		strcpy(buf + n, *argv);
		n += strlen(*argv) + 1;
	}
	return n;
}

static const char *name(const char *const *argv, const char *cg)
{
	static char out[128];
	char buf[1024];
	size_t n = cmdline(buf, argv);

	return vm_name_parse(buf, n, cg, out, sizeof(out)) ? "(none)" : out;
}

static void test_qemu(void)
{
	CHECK_STR(name((const char *const[]){ "qemu-system-x86_64", "-m", "1G", "-name", "web1", NULL }, NULL), "web1");
	/* libvirt */
	CHECK_STR(name((const char *const[]){ "/usr/bin/qemu-system-x86_64", "-name", "guest=db-2,debug-threads=on",
					      "-S", NULL },
		       NULL),
		  "db-2");
	/* guest= after another option; an escaped comma */
	CHECK_STR(name((const char *const[]){ "qemu-kvm", "-name", "process=x,guest=a,,b", NULL }, NULL), "a,b");
	/* Proxmox: -id and -name; the name wins */
	CHECK_STR(name((const char *const[]){ "/usr/bin/kvm", "-id", "104", "-name", "pve-vm,debug-threads=on", NULL },
		       NULL),
		  "pve-vm");
	CHECK_STR(name((const char *const[]){ "/usr/bin/kvm", "-id", "104", NULL }, NULL), "104");
	/* only options, no name */
	CHECK_STR(name((const char *const[]){ "qemu-system-x86_64", "-name", "process=foo", NULL }, NULL), "(none)");
	/* -name last, without a value */
	CHECK_STR(name((const char *const[]){ "qemu-system-x86_64", "-name", NULL }, NULL), "(none)");
	CHECK_STR(name((const char *const[]){ "qemu-system-x86_64", NULL }, NULL), "(none)");
}

static void test_others(void)
{
	/* libvirt's machine scope when the command line names nothing */
	CHECK_STR(name((const char *const[]){ "qemu-system-x86_64", NULL },
		       "/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2dfront.scope/libvirt/emulator"),
		  "web-front");
	CHECK_STR(name((const char *const[]){ "qemu-system-x86_64", NULL }, "/machine.slice/machine-qemu\\x2d3.scope"),
		  "(none)");
	/* Firecracker */
	CHECK_STR(name((const char *const[]){ "firecracker", "--api-sock", "/run/fc.sock", "--id", "vm-7", NULL }, NULL),
		  "vm-7");
}

int main(void)
{
	RUN(test_qemu);
	RUN(test_others);
	RESULT();
}
