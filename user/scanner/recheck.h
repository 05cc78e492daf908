/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A second look at the duplicate sites of a scan (scanner/dupsites.h): each
 * page read again through /proc/PID/mem and hashed as the scan hashed it, to
 * tell which changed since. Page contents are not kept.
 */
#ifndef KSMSCOPE_SCANNER_RECHECK_H
#define KSMSCOPE_SCANNER_RECHECK_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "scanner/dupsites.h"
#include "scanner/pagehash.h"

struct recheck_counts {
	uint64_t read;    /* pages read again */
	uint64_t changed; /* of those, with another content than the scan's */
	uint64_t gone;    /* not read: the process exited or the page was unmapped */
};

/*
 * changed[i] for site i of d when its content is not the scan's any more.
 * subpage: the scan hashed with hash_page (sub-page counting), else
 * hash_page_fast. 0, -EINTR (*stop set) or -ENOMEM.
 */
int recheck_sites(const struct dupsites *d, const struct hasher *h, bool subpage, volatile sig_atomic_t *stop,
		  bool *changed, struct recheck_counts *c);

#endif
