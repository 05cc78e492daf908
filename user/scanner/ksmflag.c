// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/ksmflag.h"

#include <bpf/btf.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/util.h"
#include "scanner/pageread.h"
#include "sys/pagemap.h"

/* include/linux/page-flags.h: a mapping's low bits */
#define MAPPING_FLAGS 3ULL
#define MAPPING_ANON 1ULL
#define MAPPING_KSM 3ULL
#define KPF_COMPOUND (1ULL << 15 | 1ULL << 16) /* head, tail: KSM pages are never compound */
#define GIB (1ULL << 30)

static struct {
	pthread_once_t once;
	pthread_mutex_t lock;
	int kpf_fd, err;
	enum ksmflag_state state;
	struct pageread pr;
	uint64_t vmemmap, size; /* the struct page of pfn 0, sizeof(struct page) */
	char why[224];
} K = { .once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER, .kpf_fd = -1 };

/* Two pages of ours, written and locked so their frames stay: the probe. */
struct probe {
	unsigned char *p;
	uint64_t pfn[2];
};

static int probe_open(struct probe *pb)
{
	uint64_t pm[2];
	int fd, err = 0;

	pb->p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pb->p == MAP_FAILED)
		return -errno;
	pb->p[0] = 1;
	pb->p[4096] = 2;
	fd = pagemap_open(getpid());
	if (mlock(pb->p, 8192))
		err = -errno;
	else if (fd < 0)
		err = fd;
	else if (pagemap_read(fd, (uintptr_t)pb->p, 2, pm) != 2 || !(pm[0] & PM_PFN_MASK) || !(pm[1] & PM_PFN_MASK))
		err = -EACCES;
	if (fd >= 0)
		close(fd);
	pb->pfn[0] = pm[0] & PM_PFN_MASK;
	pb->pfn[1] = pm[1] & PM_PFN_MASK;
	if (err)
		munmap(pb->p, 8192);
	return err;
}

static void probe_close(struct probe *pb)
{
	munlock(pb->p, 8192);
	munmap(pb->p, 8192);
}

/* An anonymous page of ours, not KSM: its mapping is an anon_vma | ANON and its index its page number. */
static bool looks_ours(const uint64_t w[2], const struct probe *pb, unsigned i)
{
	return (w[0] & MAPPING_FLAGS) == MAPPING_ANON && (int64_t)w[0] < 0 && w[1] == ((uintptr_t)pb->p >> 12) + i;
}

/* Is base the struct page of pfn 0? Both probe pages must read back as ours, with one mapping. */
static bool base_fits(uint64_t base, const struct probe *pb)
{
	const uint64_t(*w)[2];
	const int32_t *e;

	return !pageread_struct_pages(&K.pr, 0, base, K.size, pb->pfn, 2, &w, &e) && !e[0] && !e[1] &&
	       looks_ours(w[0], pb, 0) && looks_ours(w[1], pb, 1) && w[0][0] == w[1][0];
}

/* The base among first + k * step (k < count) that fits, PAGEREAD_BATCH a run; 0 if none. */
static uint64_t search(uint64_t first, uint64_t step, uint64_t count, const struct probe *pb)
{
	uint64_t addr[PAGEREAD_BATCH];

	for (uint64_t k0 = 0; k0 < count; k0 += PAGEREAD_BATCH) {
		size_t n = count - k0 < PAGEREAD_BATCH ? count - k0 : PAGEREAD_BATCH;
		const uint64_t(*w)[2];
		const int32_t *e;

		for (size_t i = 0; i < n; i++)
			addr[i] = first + (k0 + i) * step + pb->pfn[0] * K.size;
		/* stride 1: each "pfn" is the address of a candidate's struct page */
		if (pageread_struct_pages(&K.pr, 0, 0, 1, addr, n, &w, &e))
			return 0;
		for (size_t i = 0; i < n; i++)
			if (!e[i] && looks_ours(w[i], pb, 0) && base_fits(first + (k0 + i) * step, pb))
				return first + (k0 + i) * step;
	}
	return 0;
}

/* The vmemmap array: fixed bases, then kallsyms, then KASLR's 1 GiB steps. 0 if not found. */
static uint64_t find_vmemmap(const struct probe *pb)
{
#if defined(__x86_64__)
	/* 4-level and 5-level paging without KASLR; then vmemmap_base, found after the direct map */
	static const uint64_t fixed[] = { 0xffffea0000000000ULL, 0xffd4000000000000ULL };
	uint64_t sym;

	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		if (base_fits(fixed[i], pb))
			return fixed[i];
	sym = pageread_kernel_u64(&K.pr, "vmemmap_base");
	if (sym && base_fits(sym, pb))
		return sym;
	return search(pageread_direct_map(&K.pr), GIB, 1ULL << 17, pb);
#elif defined(__aarch64__)
	/*
	 * vmemmap = VMEMMAP_START - (memstart_addr >> PAGE_SHIFT), memstart_addr being
	 * PAGE_OFFSET - the direct map's base; VMEMMAP_START is 1 GiB-aligned in the
	 * top 2^(VA_BITS - 5) bytes (its formula changed across versions: searched).
	 */
	static const unsigned va_bits[] = { 48, 52, 47, 42, 39 };

	for (size_t i = 0; i < ARRAY_SIZE(va_bits); i++) {
		uint64_t memstart = (uint64_t)-(1ULL << va_bits[i]) - pageread_direct_map(&K.pr);
		uint64_t top = 1ULL << (va_bits[i] - 5), found;

		found = search((uint64_t)-top - (memstart >> 12) * K.size, GIB, top / GIB, pb);
		if (found)
			return found;
	}
	return 0;
#else
	(void)pb;
	return 0;
#endif
}

static uint64_t struct_page_size(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id = btf ? btf__find_by_name_kind(btf, "page", BTF_KIND_STRUCT) : -1;
	uint64_t size = id > 0 ? btf__type_by_id(btf, (uint32_t)id)->size : 0;

	btf__free(btf);
	return size;
}

static void init_once(void)
{
	static const char bug[] = "this kernel's /proc/kpageflags marks every anonymous page KSM (a bug of Linux "
				  "6.9 and later until \"fs/proc: fix KPF_KSM reported for all anonymous pages\")";
	struct probe pb;
	uint64_t fl = 0;
	int err;

	K.err = probe_open(&pb);
	if (K.err) {
		snprintf(K.why, sizeof(K.why), "cannot read a page of our own in pagemap: %s", strerror(-K.err));
		return;
	}
	K.err = kpageflags_read(K.kpf_fd, pb.pfn, 1, &fl);
	if (K.err || !kpf_has(fl, KPF_ANON) || !kpf_has(fl, KPF_KSM)) {
		if (K.err)
			snprintf(K.why, sizeof(K.why), "cannot read /proc/kpageflags: %s", strerror(-K.err));
		probe_close(&pb);
		return;
	}
	K.state = KSMFLAG_BROKEN;
	K.err = -ENOTSUP;
	err = pageread_open(&K.pr);
	if (err) {
		snprintf(K.why, sizeof(K.why), "%s, and the BPF page reader that would tell cannot run: %s", bug,
			 strerror(-err));
	} else if (!(K.size = struct_page_size()) || !(K.vmemmap = find_vmemmap(&pb))) {
		snprintf(K.why, sizeof(K.why), "%s, and the struct page array that would tell was not found", bug);
		pageread_close(&K.pr);
	} else {
		K.state = KSMFLAG_FIXED;
		K.err = 0;
	}
	probe_close(&pb);
}

int ksmflag_init(int kpf_fd, char *why, size_t n)
{
	pthread_mutex_lock(&K.lock);
	if (K.kpf_fd < 0)
		K.kpf_fd = dup(kpf_fd); /* ours: the caller's may close before a later caller's init */
	pthread_mutex_unlock(&K.lock);
	pthread_once(&K.once, init_once);
	if (K.err && why)
		snprintf(why, n, "%s", K.why);
	return K.err;
}

enum ksmflag_state ksmflag_state(void)
{
	return K.state;
}

/* One batch of frames flagged KSM: their struct pages say which are. */
static int fix_batch(const size_t *at, size_t m, const uint64_t *pfns, uint64_t *flags)
{
	uint64_t want[PAGEREAD_BATCH];
	const uint64_t(*w)[2];
	const int32_t *e;
	int err;

	for (size_t i = 0; i < m; i++)
		want[i] = pfns[at[i]];
	pthread_mutex_lock(&K.lock);
	err = pageread_struct_pages(&K.pr, 0, K.vmemmap, K.size, want, m, &w, &e);
	for (size_t i = 0; !err && i < m; i++) {
		if (e[i])
			err = -EIO;
		else if ((w[i][0] & MAPPING_FLAGS) != MAPPING_KSM)
			flags[at[i]] &= ~(1ULL << KPF_KSM);
	}
	pthread_mutex_unlock(&K.lock);
	return err;
}

/* Clear the KPF_KSM bits the kernel set on frames that are not KSM pages (a no-op where it is exact). */
static int ksmflag_fix(const uint64_t *pfns, size_t n, uint64_t *flags)
{
	size_t at[PAGEREAD_BATCH], m = 0;
	int err = 0;

	if (K.state != KSMFLAG_FIXED)
		return K.state == KSMFLAG_EXACT ? 0 : -ENOTSUP;
	for (size_t i = 0; i < n && !err; i++) {
		if (!kpf_has(flags[i], KPF_KSM))
			continue;
		if (flags[i] & KPF_COMPOUND) {
			flags[i] &= ~(1ULL << KPF_KSM);
			continue;
		}
		at[m++] = i;
		if (m == PAGEREAD_BATCH) {
			err = fix_batch(at, m, pfns, flags);
			m = 0;
		}
	}
	return err ? err : m ? fix_batch(at, m, pfns, flags) : 0;
}

int ksmflag_kpageflags(int kpf_fd, const uint64_t *pfns, size_t n, uint64_t *flags)
{
	int err = kpageflags_read(kpf_fd, pfns, n, flags);

	return err ? err : ksmflag_fix(pfns, n, flags);
}
