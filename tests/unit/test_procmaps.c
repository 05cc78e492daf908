// SPDX-License-Identifier: GPL-2.0-only
/* procmaps: smaps parsing from in-memory text, and one read of our own smaps. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "lib/util.h"
#include "sys/procmaps.h"

/* Parse text as if it were /proc/PID/smaps (as the probe's read-ahead hands it over). */
static int parse(const char *text, struct vma_list *l)
{
	return smaps_parse_buf(text, strlen(text), l);
}

static const char sample[] =
	"55d4c0a00000-55d4c0a21000 rw-p 00000000 00:00 0                          [heap]\n"
	"Size:                132 kB\n"
	"KernelPageSize:        4 kB\n"
	"Rss:                   8 kB\n"
	"Anonymous:             8 kB\n"
	"KSM:                   4 kB\n"
	"AnonHugePages:         0 kB\n"
	"ProtectionKey:         0\n"
	"VmFlags: rd wr mr mw me ac sd mg \n"
	"7f0000000000-7f0000100000 rw-p 00000000 00:00 0 \n"
	"Size:               1024 kB\n"
	"Anonymous:          1024 kB\n"
	"AnonHugePages:      2048 kB\n"
	"VmFlags: rd wr mr mw me ac sd mgx \n"
	"7f0000200000-7f0000201000 r--s 00001000 fd:01 123456                     /tmp/my file (deleted)\n"
	"Anonymous:             0 kB\n"
	"VmFlags: rd sh mr mw me ms sd \n"
	"7f0000300000-7f0000400000 rw-p 00000000 00:00 0 \n"
	"Anonymous:            12 kB\n"
	"VmFlags: mg rd wr xmg\n"
	"7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]\n"
	"Anonymous:            16 kB\n"
	"KSM:                  16 kB\n"
	"VmFlags: rd wr mr mw me gd ac mg";

static void test_sample(void)
{
	struct vma_list l;

	CHECK_U64(parse(sample, &l), 0);
	CHECK_U64(l.n, 5);
	if (l.n != 5) {
		vma_list_free(&l);
		return;
	}
	CHECK_U64(l.v[0].start, 0x55d4c0a00000ULL);
	CHECK_U64(l.v[0].end, 0x55d4c0a21000ULL);
	CHECK_U64(l.v[0].offset, 0);
	CHECK_STR(l.v[0].perms, "rw-p");
	CHECK_STR(l.v[0].path, "[heap]");
	CHECK(l.v[0].mergeable);
	CHECK(!l.v[0].shared);
	CHECK_U64(l.v[0].anon_kb, 8);
	CHECK_U64(l.v[0].ksm_kb, 4);

	CHECK_STR(l.v[1].path, ""); /* anonymous mapping without a name */
	CHECK(!l.v[1].mergeable); /* "mgx" is another flag */
	CHECK_U64(l.v[1].anon_kb, 1024); /* AnonHugePages is not Anonymous */
	CHECK_U64(l.v[1].ksm_kb, 0);

	CHECK_U64(l.v[2].start, 0x7f0000200000ULL);
	CHECK_U64(l.v[2].offset, 0x1000);
	CHECK_STR(l.v[2].perms, "r--s");
	CHECK(l.v[2].shared);
	CHECK(!l.v[2].mergeable); /* "ms" is not "mg" */
	CHECK_STR(l.v[2].path, "/tmp/my file (deleted)");
	CHECK_U64(l.v[2].anon_kb, 0);

	CHECK(l.v[3].mergeable); /* first flag */
	CHECK_U64(l.v[3].anon_kb, 12);
	CHECK_STR(l.v[3].path, "");

	CHECK_STR(l.v[4].path, "[stack]");
	CHECK(l.v[4].mergeable); /* last flag, no newline at the end of the text */
	CHECK_U64(l.v[4].anon_kb, 16);
	CHECK_U64(l.v[4].ksm_kb, 16);
	CHECK_U64(l.v[4].end - l.v[4].start, 0x21000);
	vma_list_free(&l);
	CHECK(l.v == NULL);
	CHECK_U64(l.n, 0);
}

static void test_flag_matching(void)
{
	static const struct {
		const char *flags;
		bool mg;
	} cases[] = {
		{ "VmFlags: mg\n", true },
		{ "VmFlags: rd mg\n", true },
		{ "VmFlags: rd mg wr\n", true },
		{ "VmFlags: mgx\n", false },
		{ "VmFlags: xmg\n", false },
		{ "VmFlags: rd mgmg wr\n", false },
		{ "VmFlags: rd wr\n", false },
		{ "VmFlags:\n", false },
		{ "VmFlags: mgx mg\n", true },
		{ "VmFlags: amg mga mg\n", true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256];
		struct vma_list l;

		snprintf(text, sizeof(text), "1000-2000 rw-p 00000000 00:00 0 \n%s", cases[i].flags);
		CHECK_U64(parse(text, &l), 0);
		CHECK_U64(l.n, 1);
		if (l.n == 1 && l.v[0].mergeable != cases[i].mg) {
			t_fail++;
			fprintf(stderr, "FAIL %s:%d: '%s' mergeable=%d\n", __FILE__, __LINE__,
				cases[i].flags, l.v[0].mergeable);
		}
		vma_list_free(&l);
	}
}

static void test_headers(void)
{
	struct vma_list l;

	/* a file mapping with a big offset and a dash in the path */
	CHECK_U64(parse("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"
			"00400000-00452000 r-xp 1234abcd000 08:02 173521      /usr/bin/dbus-daemon\n"
			"10000-11000 rw-p 00000000 00:00 0\n",
			&l),
		  0);
	CHECK_U64(l.n, 3);
	if (l.n == 3) {
		CHECK_U64(l.v[0].start, 0xffffffffff600000ULL);
		CHECK_STR(l.v[0].perms, "--xp");
		CHECK_STR(l.v[0].path, "[vsyscall]");
		CHECK_U64(l.v[1].start, 0x400000);
		CHECK_U64(l.v[1].offset, 0x1234abcd000ULL);
		CHECK_STR(l.v[1].path, "/usr/bin/dbus-daemon");
		CHECK_STR(l.v[2].path, ""); /* no trailing space either */
		CHECK_U64(l.v[2].start, 0x10000);
	}
	vma_list_free(&l);

	/* a path longer than the field is cut, not overflowed */
	{
		char text[600] = "1000-2000 rw-p 00000000 00:00 0 /";
		size_t n = strlen(text);

		memset(text + n, 'p', 400);
		strcpy(text + n + 400, "\n");
		CHECK_U64(parse(text, &l), 0);
		CHECK_U64(l.n, 1);
		if (l.n == 1) {
			CHECK_U64(strlen(l.v[0].path), sizeof(l.v[0].path) - 1);
			CHECK(l.v[0].path[0] == '/');
		}
		vma_list_free(&l);
	}
}

/*
 * A header line longer than the read buffer (a deep path) must not have its tail read
 * as smaps lines: a directory named "VmFlags: mg" would forge the flags of the VMA,
 * and one named like an address range would make the whole parse fail.
 */
static void test_long_line(void)
{
	struct vma_list l;
	char *text = malloc(20000);
	size_t n;

	for (int variant = 0; variant < 4; variant++) {
		strcpy(text, "1000-2000 rw-p 00000000 00:00 0 /");
		n = strlen(text);
		for (size_t k = n; k < 4095; k++)
			text[k] = 'd';
		text[4095] = '\0';
		strcat(text, variant == 0   ? "VmFlags: mg\n"
			     : variant == 1 ? "abc-def\n"
			     : variant == 2 ? "Anonymous: 999 kB\n"
					    : "abc000-abd000 rw-p 00000000 00:00 0 [forged]\n");
		strcat(text, "Anonymous: 4 kB\nVmFlags: rd wr\n"
			     "3000-4000 rw-p 00000000 00:00 0 \nVmFlags: mg\n");
		CHECK_U64(parse(text, &l), 0);
		CHECK_U64(l.n, 2);
		if (l.n == 2) {
			CHECK(!l.v[0].mergeable);
			CHECK_U64(l.v[0].anon_kb, 4);
			CHECK(l.v[1].mergeable);
			CHECK_U64(l.v[1].start, 0x3000);
		}
		vma_list_free(&l);
	}

	/* a line of exactly the buffer size minus one plus its newline */
	strcpy(text, "1000-2000 rw-p 00000000 00:00 0 /");
	n = strlen(text);
	for (size_t k = n; k < 4095; k++)
		text[k] = 'e';
	strcpy(text + 4095, "\nAnonymous: 8 kB\n");
	CHECK_U64(parse(text, &l), 0);
	CHECK_U64(l.n, 1);
	if (l.n == 1)
		CHECK_U64(l.v[0].anon_kb, 8);
	vma_list_free(&l);
	free(text);
}

static void test_many(void)
{
	struct vma_list l;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	uint64_t bad = 0;

	for (int i = 0; i < 1000; i++)
		fprintf(f, "%x-%x rw-p 00000000 00:00 0 \nAnonymous: %d kB\nVmFlags: rd wr%s\n",
			0x10000 + i * 0x2000, 0x11000 + i * 0x2000, i, i % 3 ? "" : " mg");
	fclose(f);
	CHECK_U64(parse(text, &l), 0);
	CHECK_U64(l.n, 1000);
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].start != 0x10000 + i * 0x2000 || l.v[i].anon_kb != i ||
		    l.v[i].mergeable != (i % 3 == 0))
			bad++;
	CHECK_U64(bad, 0);
	CHECK(l.cap >= l.n);
	vma_list_free(&l);
	free(text);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"garbage\n",
		"Size:                132 kB\n", /* attributes before any header */
		"hello world\n1000-2000 rw-p 00000000 00:00 0 \n",
		"zzzz-2000 rw-p 00000000 00:00 0 \n",
		"-2000 rw-p 00000000 00:00 0 \n",
		"2000-1000 rw-p 00000000 00:00 0 \n",       /* end before start */
		"1000-1000 rw-p 00000000 00:00 0 \n",       /* empty */
		"1000-2000 rw-p 00000000 00:00\n",          /* no inode */
		"1000-2000 rw-p\n",
		"1000-2000 rw- 00000000 00:00 0 \n",        /* 3 perms */
		"1000-2000 rw-pp 00000000 00:00 0 \n",      /* 5 perms */
		"1000-2000 rw-p zz 00:00 0 \n",             /* bad offset */
		"1000-2000 rw-p 00000000 00:00 x \n",       /* bad inode */
		"1000-xyz rw-p 00000000 00:00 0 \n",
		"1000-2000 rw-p 00000000 00:00 0 \nVmFlags: mg\nabc-\n", /* bad second header */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vma_list l;
		int err = parse(bad[i], &l);

		if (err != -EINVAL || l.v != NULL || l.n != 0) {
			t_fail++;
			fprintf(stderr, "FAIL %s:%d: case %zu: err=%d n=%zu\n", __FILE__, __LINE__, i,
				err, l.n);
		} else {
			t_pass++;
		}
		vma_list_free(&l);
	}
}

static void test_empty(void)
{
	struct vma_list l;

	CHECK_U64(parse("", &l), 0);
	CHECK_U64(l.n, 0);
	vma_list_free(&l);
}

static int probe_global = 1;

static void test_read_self(void)
{
	struct vma_list l;
	int local = 0;
	uint64_t stack_addr = (uint64_t)(uintptr_t)&local;
	uint64_t data_addr = (uint64_t)(uintptr_t)&probe_global;
	int found_stack = 0, found_data = 0;

	CHECK_U64(smaps_read(getpid(), &l), 0);
	CHECK(l.n > 5);
	{
		/* the text read whole first, then parsed from memory (the probe's read-ahead) */
		static char buf[1 << 20];
		ssize_t len = read_small_file("/proc/self/smaps", buf, sizeof(buf));
		struct vma_list m;
		int stack_too = 0;

		CHECK(len > 0 && (size_t)len < sizeof(buf) - 1);
		CHECK_U64(smaps_parse_buf(buf, (size_t)len, &m), 0);
		CHECK(m.n > 5);
		for (size_t i = 0; i < m.n; i++)
			stack_too |= m.v[i].start <= stack_addr && stack_addr < m.v[i].end;
		CHECK(stack_too);
		vma_list_free(&m);
	}
	for (size_t i = 0; i < l.n; i++) {
		if (i && l.v[i].start < l.v[i - 1].end)
			t_fail++, fprintf(stderr, "FAIL: overlapping VMAs at %zu\n", i);
		if (l.v[i].start <= stack_addr && stack_addr < l.v[i].end)
			found_stack = l.v[i].perms[0] == 'r' && l.v[i].perms[1] == 'w';
		if (l.v[i].start <= data_addr && data_addr < l.v[i].end)
			found_data = l.v[i].perms[1] == 'w';
	}
	CHECK(found_stack);
	CHECK(found_data);
	vma_list_free(&l);

	/* a pid that cannot exist */
	CHECK(smaps_read((1 << 22) + 12345, &l) == -ENOENT);
}

/* A child with a 4-page anonymous mapping (made VM_MERGEABLE when asked) that waits to be killed. */
static pid_t mapping_child(bool mergeable, uintptr_t *addr)
{
	int fd[2];
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid == 0) {
		char *m = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uintptr_t a = (uintptr_t)m;

		if (m == MAP_FAILED || (mergeable && madvise(m, 4 * 4096, MADV_MERGEABLE)))
			a = 0;
		if (write(fd[1], &a, sizeof(a)) != sizeof(a))
			_exit(1);
		for (;;)
			pause();
	}
	close(fd[1]);
	if (pid < 0 || read(fd[0], addr, sizeof(*addr)) != sizeof(*addr))
		*addr = 0;
	close(fd[0]);
	return pid;
}

static const struct vma *vma_at(const struct vma_list *l, uintptr_t a)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].start <= a && a < l->v[i].end)
			return &l->v[i];
	return NULL;
}

/*
 * vmas_read: from maps when no mapping is mergeable, the same mappings as
 * smaps gives; from smaps (its VmFlags) when one is.
 */
static void test_vmas_read(void)
{
	for (int mergeable = 0; mergeable < 2; mergeable++) {
		struct vma_list a, b;
		uintptr_t addr;
		pid_t pid = mapping_child(mergeable, &addr);
		const struct vma *v;

		CHECK(pid > 0 && addr != 0);
		if (pid <= 0)
			return;
		CHECK_U64(vmas_read(pid, &a), 0);
		CHECK_U64(smaps_read(pid, &b), 0);
		CHECK_U64(a.n, b.n);
		for (size_t i = 0; i < a.n && i < b.n; i++)
			CHECK(a.v[i].start == b.v[i].start && a.v[i].end == b.v[i].end &&
			      a.v[i].offset == b.v[i].offset && !strcmp(a.v[i].perms, b.v[i].perms) &&
			      !strcmp(a.v[i].path, b.v[i].path) && a.v[i].mergeable == b.v[i].mergeable &&
			      a.v[i].hugetlb == b.v[i].hugetlb);
		v = vma_at(&a, addr);
		CHECK(v != NULL && v->mergeable == (mergeable == 1));
		vma_list_free(&a);
		vma_list_free(&b);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	{
		struct vma_list l;

		CHECK(vmas_read((1 << 22) + 12345, &l) == -ENOENT);
	}
}

int main(void)
{
	RUN(test_sample);
	RUN(test_flag_matching);
	RUN(test_headers);
	RUN(test_long_line);
	RUN(test_many);
	RUN(test_malformed);
	RUN(test_empty);
	RUN(test_read_self);
	RUN(test_vmas_read);
	RESULT();
}
