// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/pageread.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "lib/util.h"
#include "sys/pagemap.h"
#include "sys/proc.h"
#include "pageread.skel.h"

static int run_prog(int fd, struct pageread *r, unsigned slot, size_t n)
{
	uint64_t ctx[1] = { slot };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx, .ctx_size_in = sizeof(ctx));

	r->skel->bss->n[slot] = (uint32_t)n;
	return bpf_prog_test_run_opts(fd, &opts) ? -errno : 0;
}

static int run(struct pageread *r, unsigned slot, size_t n)
{
	return run_prog(r->prog_fd, r, slot, n);
}

/* Does reading our own page through base give back its bytes? */
static bool base_works(struct pageread *r, uint64_t base, uint64_t pfn, const unsigned char *page)
{
	r->skel->bss->direct_map = base;
	r->skel->bss->offset = 0;
	r->skel->bss->pfn_in[0][0] = pfn;
	return !run(r, 0, 1) && !r->skel->bss->errors[0][0] &&
	       !memcmp(r->skel->bss->prefixes[0][0], page, PAGEREAD_PREFIX);
}

/* A u64 of the kernel at a kallsyms address, read as pfn 0's page with a zero base; 0 if not. */
uint64_t pageread_kernel_u64(struct pageread *r, const char *name)
{
	uint64_t sym = proc_kallsyms(name), v = 0;

	if (!sym)
		return 0;
	r->skel->bss->direct_map = 0;
	r->skel->bss->offset = sym & 4095;
	r->skel->bss->pfn_in[0][0] = sym >> 12;
	if (!run(r, 0, 1) && !r->skel->bss->errors[0][0])
		memcpy(&v, r->skel->bss->prefixes[0][0], sizeof(v));
	r->skel->bss->offset = 0;
	return v;
}

#if defined(__aarch64__)
/*
 * The base among first + k * step (k < count) that reads our own page back,
 * PAGEREAD_BATCH candidates a run: each is read as a kernel address (a zero
 * base), and one that is not mapped only fails its read.
 */
static int search_base(struct pageread *r, uint64_t first, uint64_t step, uint32_t count, uint64_t pfn,
		       const unsigned char *page)
{
	for (uint32_t k0 = 0; k0 < count; k0 += PAGEREAD_BATCH) {
		uint32_t n = count - k0 < PAGEREAD_BATCH ? count - k0 : PAGEREAD_BATCH;

		r->skel->bss->direct_map = 0;
		r->skel->bss->offset = 0;
		for (uint32_t i = 0; i < n; i++)
			r->skel->bss->pfn_in[0][i] = (first + (k0 + i) * step + (pfn << 12)) >> 12;
		if (run(r, 0, n))
			return -ENOTSUP;
		for (uint32_t i = 0; i < n; i++)
			if (!r->skel->bss->errors[0][i] && !memcmp(r->skel->bss->prefixes[0][i], page, PAGEREAD_PREFIX))
				return base_works(r, first + (k0 + i) * step, pfn, page) ? 0 : -ENOTSUP;
	}
	return -ENOTSUP;
}
#endif

/* The architecture's direct map base that reads our own page back, or -ENOTSUP. */
static int find_base(struct pageread *r, uint64_t pfn, const unsigned char *page)
{
#if defined(__x86_64__)
	/* 4-level and 5-level paging without KASLR first: /proc/kallsyms is slow to read */
	static const uint64_t fixed[] = { 0xffff888000000000ULL, 0xff11000000000000ULL };
	uint64_t base;

	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		if (base_works(r, fixed[i], pfn, page))
			return 0;
	/* with KASLR the base lives in page_offset_base */
	base = pageread_kernel_u64(r, "page_offset_base");
	return base && base_works(r, base, pfn, page) ? 0 : -ENOTSUP;
#elif defined(__aarch64__)
	/*
	 * The linear map: virt = phys - memstart_addr + PAGE_OFFSET, PAGE_OFFSET being
	 * -(1 << VA_BITS) (48 on Debian; 52, 47, 42 and 39 elsewhere), hence the base
	 * of pfn 0 = PAGE_OFFSET - memstart_addr. kallsyms has memstart_addr only with
	 * KALLSYMS_ALL; else it is the start of RAM rounded down to 1 GiB
	 * (ARM64_MEMSTART_ALIGN, 4 KiB pages), less k GiB where KASLR moved the linear
	 * map (arm64_memblock_init: k < 2^17 at 48 bits), which we search.
	 */
	static const unsigned va_bits[] = { 48, 52, 47, 42, 39 };
	uint64_t memstart = pageread_kernel_u64(r, "memstart_addr"), ram = proc_ram_start();

	for (size_t i = 0; memstart && i < ARRAY_SIZE(va_bits); i++)
		if (base_works(r, (uint64_t)-(1ULL << va_bits[i]) - memstart, pfn, page))
			return 0;
	if (ram == UINT64_MAX)
		return -ENOTSUP;
	memstart = ram & ~((1ULL << 30) - 1);
	for (size_t i = 0; i < ARRAY_SIZE(va_bits); i++)
		if (base_works(r, (uint64_t)-(1ULL << va_bits[i]) - memstart, pfn, page))
			return 0;
	return search_base(r, (uint64_t)-(1ULL << 48) - memstart, 1ULL << 30, 1U << 17, pfn, page);
#else
	(void)r, (void)pfn, (void)page;
	return -ENOTSUP;
#endif
}

int pageread_open(struct pageread *r)
{
	unsigned char *page;
	uint64_t pm;
	int fd, err;

	memset(r, 0, sizeof(*r));
	r->skel = pageread_bpf__open_and_load();
	if (!r->skel)
		return -errno ? -errno : -EINVAL;
	r->prog_fd = bpf_program__fd(r->skel->progs.read_prefixes);

	/* a page of ours with random bytes, locked so its frame stays put */
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || getrandom(page, PAGEREAD_PREFIX, 0) != PAGEREAD_PREFIX || mlock(page, 4096)) {
		if (page != MAP_FAILED)
			munmap(page, 4096);
		pageread_close(r);
		return -ENOMEM;
	}
	fd = pagemap_open(getpid());
	if (fd < 0 || pagemap_read(fd, (uintptr_t)page, 1, &pm) != 1 || !(pm & PM_PFN_MASK))
		err = -EACCES;
	else
		err = find_base(r, pm & PM_PFN_MASK, page);
	if (fd >= 0)
		close(fd);
	munlock(page, 4096);
	munmap(page, 4096);
	r->skel->bss->offset = 0;
	if (err)
		pageread_close(r);
	return err;
}

void pageread_close(struct pageread *r)
{
	pageread_bpf__destroy(r->skel);
	memset(r, 0, sizeof(*r));
}

int pageread_prefixes(struct pageread *r, unsigned slot, const uint64_t *pfns, size_t n,
		      const unsigned char **out, const int32_t **errs)
{
	if (n > PAGEREAD_BATCH || slot >= PAGEREAD_SLOTS)
		return -EINVAL;
	memcpy(r->skel->bss->pfn_in[slot], pfns, n * sizeof(*pfns));
	*out = (const unsigned char *)r->skel->bss->prefixes[slot];
	*errs = r->skel->bss->errors[slot];
	return run(r, slot, n);
}

int pageread_pages(struct pageread *r, unsigned slot, const uint64_t *pfns, size_t n, const unsigned char **out,
		   const int32_t **errs)
{
	if (n > PAGEREAD_PAGES || slot >= PAGEREAD_SLOTS)
		return -EINVAL;
	memcpy(r->skel->bss->pfn_in[slot], pfns, n * sizeof(*pfns));
	*out = (const unsigned char *)r->skel->bss->pages[slot];
	*errs = r->skel->bss->errors[slot];
	return run_prog(bpf_program__fd(r->skel->progs.read_pages), r, slot, n);
}

int pageread_struct_pages(struct pageread *r, unsigned slot, uint64_t base, uint64_t stride, const uint64_t *pfns,
			  size_t n, const uint64_t (**words)[2], const int32_t **errs)
{
	if (n > PAGEREAD_BATCH || slot >= PAGEREAD_SLOTS)
		return -EINVAL;
	r->skel->bss->page_base = base;
	r->skel->bss->page_stride = stride;
	memcpy(r->skel->bss->pfn_in[slot], pfns, n * sizeof(*pfns));
	*words = (const uint64_t(*)[2])r->skel->bss->page_words[slot];
	*errs = r->skel->bss->errors[slot];
	return run_prog(bpf_program__fd(r->skel->progs.read_struct_pages), r, slot, n);
}

uint64_t pageread_direct_map(const struct pageread *r)
{
	return r->skel->bss->direct_map;
}
