/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared between bpf/pageread.bpf.c and user/scanner/pageread.c. */
#ifndef KSMSCOPE_PAGEREAD_H
#define KSMSCOPE_PAGEREAD_H

#define PAGEREAD_BATCH 512  /* frames per program run (a power of two) */
#define PAGEREAD_PREFIX 64  /* bytes read per frame: one cache line */
#define PAGEREAD_SLOTS 8    /* concurrent callers, one slot each (a power of two) */
#define PAGEREAD_PAGES 32   /* whole pages per program run (a power of two) */

#endif
