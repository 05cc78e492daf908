/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The page scanner: for each target process, its private mappings (smaps),
 * pagemap and kpageflags in batches, page contents read through /proc/PID/mem
 * (never process_vm_readv: see run_job in readpool.c), hashed into the content index. Page contents are never kept.
 */
#ifndef KSMSCOPE_SCANNER_SCANNER_H
#define KSMSCOPE_SCANNER_SCANNER_H

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>

#include "scanner/pagehash.h"
#include "scanner/content_index.h"
#include "scanner/model.h"
#include "scanner/pageread.h"
#include "scanner/prefix_classes.h"
#include "scanner/probe_stash.h"
#include "scanner/readpool.h"

struct ksm_state;

enum group_by { GROUP_PROCESS, GROUP_CGROUP, GROUP_COMM, GROUP_VM, GROUP_USER };
/* "process", "cgroup", "comm", "vm", "user" */
const char *group_by_name(enum group_by gb);

struct group_info {
	char key[256]; /* pid, cgroup path, comm, VM name or user name */
	char comm[16]; /* the first process's comm */
	char vm[128];  /* --group-by vm: the guest's name ("" for a process that is no VMM) */
	uint32_t *pids;
	size_t npids, cap_pids;
};

/* What a live host did to the scan; counted, never fatal. */
struct scan_races {
	uint64_t exited;         /* processes that exited before or during their scan (pages read before
				  * the exit stay counted) */
	uint64_t unreadable;     /* processes whose memory we may not read */
	uint64_t vanished_pages; /* unmapped between pagemap and the read (EFAULT) */
	uint64_t changed_pages;  /* frame changed between pagemap and the read (live scans) */
	uint64_t zero_ksm_unplaced; /* ksm_zero_pages not found as zero-page mappings */
	uint64_t not_frozen;     /* --freeze targets that could not be stopped, scanned live */
};

struct scan_cost {
	uint64_t pages;      /* pagemap entries examined */
	uint64_t pages_read; /* page contents read */
	uint64_t pages_known; /* KSM pages whose hash the hooks knew: not read */
	uint64_t pages_unique; /* pages alone in their prefix class: a content of their own, not read */
	uint64_t bytes_read;
	uint64_t prefixes;      /* sampled scans: page prefixes read to decide */
	uint64_t prefixes_slow; /* of those, through /proc/PID/mem (no BPF reader) */
	uint64_t pages_by_frame; /* pages read whole by frame through the BPF reader (sampled scans) */
	uint64_t stash_bytes;    /* the probe stash's memory when the scan ended (freed after it) */
	double seconds;
};

/* One site as the scan saw it, for a caller that keeps per-site state (the live engine). */
#define SITE_MERGEABLE 1u
#define SITE_THP 2u
#define SITE_KSM 4u
#define SITE_ZMERGE 8u  /* KSM merged it into the zero page (placed by ksm_stat's count: no address) */
#define SITE_HASHED 16u /* hash is its content (read whole and, when sampling, kept) */
#define SITE_HUGETLB 32u /* in a hugetlb mapping (--include-shared) */

struct site_rec {
	uint32_t pid, group, region, flags;
	uint64_t addr, pfn, hash;
};

struct scan_hooks {
	void *ctx;
	/* every hashed site and every site on a KSM frame, in address order per process */
	int (*site)(void *ctx, const struct site_rec *r);
	/* before each job: the pages it will examine (a budget may sleep here) */
	void (*pace)(void *ctx, uint64_t pages);
	/* from the reader threads: a KSM frame's content hash when known for sure (optional) */
	bool (*known)(void *ctx, uint64_t pfn, uint64_t *hash);
};

struct scanner {
	struct hasher h;
	struct index contents, frames, chunks[SUBPAGE_SIZES];
	struct pair_counts *pairs; /* [cap_groups << REGION_BITS] */
	struct group_info *groups;
	uint32_t ngroups, cap_groups;
	enum group_by group_by;
	uint32_t sample; /* keep a content when hash % sample == 0 */
	bool live;       /* targets not frozen: check frames after reading */
	bool subpage;    /* index 2048..256-byte chunks too (memory: ~30 entries per distinct page) */
	bool include_shared; /* read shared and hugetlb memory as sites (regions shared, guest_shared) */
	struct scan_races races;
	struct scan_cost cost;
	bool zero_uncounted; /* a process's kernel counts no zero-page merges (before 6.6) */
	int kpf_fd;
	volatile sig_atomic_t *stop; /* set by a signal handler: abandon the scan (-EINTR) */
	const struct scan_hooks *hooks; /* optional */
	/* sampled scans */
	struct pageread pr;   /* BPF prefix reader, when this kernel allows it */
	bool pr_ok;
	bool pr_borrowed;     /* the caller's (scanner_lend_reader): not closed by scanner_free */
	int pr_err;           /* why not, when not */
	/*
	 * sampled scans, by content id: the sampling class of each content (its
	 * prefix hash, or under content sampling the prefix it was kept by), 0
	 * where it stands for itself (read for sure, weight 1, no error); an
	 * array, not a table by hash: 8 bytes a content
	 */
	uint64_t *klass_of;
	size_t nklass, cap_klass;
	struct content_class *cc; /* the contents' classes and weights by id, once scanned (sampled scans) */
	size_t ncc;
	/* exact scans: pages per prefix class, counted by a probe pass over every target first */
	struct prefix_classes pclasses;
	bool filter;  /* scanner_prefilter ran: unique pages are counted, not read */
	bool probing; /* during that probe pass */
	struct vmas_ahead *ahead; /* ... the next process's mappings, read meanwhile */
	/* what the probe read, for the scan: set stash.max_sites before scanner_prefilter to keep it */
	struct probe_stash stash;
	/* reader threads read and hash; this thread walks pagemap and owns the indexes */
	struct readpool pool;
	bool pool_started;
};

int scanner_init(struct scanner *s, enum group_by gb, uint32_t sample, bool live);
void scanner_free(struct scanner *s);
/* Scan one process. 0, or -ESRCH (gone) / -EACCES (not readable): both also counted in races. */
int scanner_scan_pid(struct scanner *s, uint32_t pid);
/*
 * Before an exact scan of these processes: read every page's 64-byte prefix
 * (by frame, through the BPF reader) and count the pages per prefix class, so
 * that scanner_scan_pid reads whole only the pages that may have a twin. Does
 * nothing when the scan samples, counts sub-page chunks (every page is read
 * for those) or has no BPF reader (a prefix through /proc/PID/mem costs about
 * what the page does). Processes that cannot be read are skipped: the scan
 * meets them again. With stash.max_sites > 0 the probe keeps what it read
 * (probe_stash.h) and the scan reads none of it again. 0, -EINTR (stopped) or
 * -ENOMEM.
 */
int scanner_prefilter(struct scanner *s, const uint32_t *pids, size_t n);
/* Load the BPF prefix reader now (before the pool starts), if this kernel allows it: pr_ok, pr_err. */
void scanner_open_reader(struct scanner *s);
/* Use a reader the caller opened and keeps (a loaded program for every pass); before the pool starts. */
void scanner_lend_reader(struct scanner *s, const struct pageread *pr);
size_t scanner_index_bytes(const struct scanner *s);
/* Stop the reader threads (every job was collected by scanner_scan_pid). Call before the model. */
void scanner_finish(struct scanner *s);
/*
 * The sharing model of a finished scan, under KSM's settings (max_page_sharing,
 * use_zero_pages): the metrics into mo (mo->groups allocated here, [ngroups]:
 * the caller frees it) and the standard errors of the estimates into se.
 * 0 or -ENOMEM.
 */
int scanner_model(const struct scanner *s, const struct ksm_state *ksm, struct model_out *mo, struct metrics *se);
struct audit_out;
/* Who shares KSM frames with whom, the groups being the domains (scanner/audit.h). 0 or -ENOMEM. */
int scanner_audit(const struct scanner *s, const struct ksm_state *ksm, struct audit_out *out);
/* A content of the finished scan: its sites in mergeable ranges and its weight (model_weight_of). */
bool scanner_content(const struct scanner *s, uint64_t hash, uint32_t *m, double *w);

#endif
