/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KPF_KSM that holds on every kernel. From Linux 6.9 until the fix "fs/proc:
 * fix KPF_KSM reported for all anonymous pages", /proc/kpageflags sets KPF_KSM
 * on every anonymous page (stable_page_flags() tests mapping & PAGE_MAPPING_KSM,
 * and KSM's bits include ANON's). Debian 12's 6.12 backports and other 6.12
 * kernels have it. There each frame's struct page is read (BPF) and its
 * mapping's low bits decide, as the kernel's own folio_test_ksm() does.
 */
#ifndef KSMSCOPE_SCANNER_KSMFLAG_H
#define KSMSCOPE_SCANNER_KSMFLAG_H

#include <stddef.h>
#include <stdint.h>

enum ksmflag_state {
	KSMFLAG_EXACT,  /* kpageflags says KSM right */
	KSMFLAG_FIXED,  /* kpageflags marks every anonymous page: struct pages decide */
	KSMFLAG_BROKEN, /* it does, and struct pages cannot be read here */
};

/*
 * Find out, once per process (threads may call it at once). 0, or -ENOTSUP when
 * the kernel's KPF_KSM is wrong and cannot be corrected (why says why), or
 * -errno when our own probe page could not be read.
 */
int ksmflag_init(int kpf_fd, char *why, size_t n);
enum ksmflag_state ksmflag_state(void);
/*
 * kpageflags_read with KPF_KSM right: where the kernel sets it on every anonymous
 * page, cleared on the frames that are not KSM pages. 0 or -errno.
 */
int ksmflag_kpageflags(int kpf_fd, const uint64_t *pfns, size_t n, uint64_t *flags);

#endif
