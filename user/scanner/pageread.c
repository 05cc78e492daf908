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

int pageread_open(struct pageread *r)
{
	/* x86-64 direct map bases: 4-level and 5-level paging without KASLR */
	uint64_t candidates[3] = { 0, 0xffff888000000000ULL, 0xff11000000000000ULL };
	unsigned char *page;
	uint64_t pm, sym;
	int fd, err = -ENOTSUP;

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
	if (fd < 0 || pagemap_read(fd, (uintptr_t)page, 1, &pm) != 1 || !(pm & PM_PFN_MASK)) {
		err = -EACCES;
	} else {
		/* the fixed bases first: /proc/kallsyms is slow to read */
		for (int i = 1; i < 3 && err; i++)
			if (base_works(r, candidates[i], pm & PM_PFN_MASK, page))
				err = 0;
		/* with KASLR the base lives in page_offset_base: read it the same way */
		sym = err ? proc_kallsyms("page_offset_base") : 0;
		if (sym) {
			r->skel->bss->direct_map = 0;
			r->skel->bss->offset = sym & 4095;
			r->skel->bss->pfn_in[0][0] = sym >> 12;
			if (!run(r, 0, 1) && !r->skel->bss->errors[0][0])
				memcpy(&candidates[0], r->skel->bss->prefixes[0][0], sizeof(uint64_t));
			if (candidates[0] && base_works(r, candidates[0], pm & PM_PFN_MASK, page))
				err = 0;
		}
	}
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
