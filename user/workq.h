/*
 * A producer/consumer queue of page batches between the thread that reads
 * pages (system time in the kernel's copy) and the thread that hashes and
 * indexes them, so the two overlap on separate CPUs. One producer, one
 * consumer; the consumer owns everything its callback touches.
 */
#ifndef KSMSCOPE_WORKQ_H
#define KSMSCOPE_WORKQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WORKQ_SLOTS 3
#define WORKQ_PAGES 512 /* pages per slot */
#define WORKQ_ITEMS 1024

struct work_item {
	uint64_t klass;    /* sampling class (sampled scans) */
	uint32_t pair;     /* (group, region) */
	uint16_t page;     /* index of the page in the slot's buffer */
	uint8_t mergeable;
	uint8_t zero_site; /* no data: a site KSM merged into the zero page */
};

struct work_slot {
	unsigned char *buf; /* WORKQ_PAGES pages */
	struct work_item items[WORKQ_ITEMS];
	size_t npages, nitems;
};

typedef int (*workq_fn)(void *ctx, const struct work_item *it, const unsigned char *page);

struct workq {
	struct work_slot slots[WORKQ_SLOTS];
	size_t produced, consumed; /* slots handed over / finished, monotonic */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool threaded, closing;
	int err; /* the consumer's first error */
	workq_fn fn;
	void *ctx;
	struct work_slot *cur; /* the slot the producer is filling */
};

/* Starts the consumer thread (or runs inline if a thread cannot be had). 0 or -ENOMEM. */
int workq_start(struct workq *q, workq_fn fn, void *ctx);
/* Room for n more pages and one more item in the current slot: a buffer for the pages. */
unsigned char *workq_reserve(struct workq *q, size_t npages);
/* Account the pages just written at the reserved buffer and add items for them. */
int workq_add(struct workq *q, const struct work_item *it);
void workq_commit_pages(struct workq *q, size_t npages);
/* Hand over the current slot and wait until the consumer has finished everything. */
int workq_drain(struct workq *q);
/* Drain and stop the consumer. Returns the consumer's first error. */
int workq_stop(struct workq *q);

#endif
