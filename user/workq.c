#include "workq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int run_slot(struct workq *q, struct work_slot *s)
{
	for (size_t i = 0; i < s->nitems; i++) {
		const struct work_item *it = &s->items[i];
		int err = q->fn(q->ctx, it, it->zero_site ? NULL : s->buf + (size_t)it->page * 4096);

		if (err)
			return err;
	}
	return 0;
}

static void *consumer(void *arg)
{
	struct workq *q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct work_slot *s;
		int err;

		while (q->consumed == q->produced && !q->closing)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->consumed == q->produced)
			break;
		s = &q->slots[q->consumed % WORKQ_SLOTS];
		pthread_mutex_unlock(&q->mu);
		err = q->err ? 0 : run_slot(q, s);
		pthread_mutex_lock(&q->mu);
		if (err && !q->err)
			q->err = err;
		q->consumed++;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int workq_start(struct workq *q, workq_fn fn, void *ctx)
{
	memset(q, 0, sizeof(*q));
	q->fn = fn;
	q->ctx = ctx;
	for (int i = 0; i < WORKQ_SLOTS; i++) {
		q->slots[i].buf = aligned_alloc(4096, (size_t)WORKQ_PAGES * 4096);
		if (!q->slots[i].buf) {
			workq_stop(q);
			return -ENOMEM;
		}
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->threaded = !pthread_create(&q->thread, NULL, consumer, q);
	q->cur = &q->slots[0];
	return 0;
}

/* Hand the current slot to the consumer and take the next free one. */
static int hand_over(struct workq *q)
{
	struct work_slot *s = q->cur;

	if (!s->nitems)
		return 0;
	if (!q->threaded) {
		int err = q->err ? q->err : run_slot(q, s);

		s->npages = s->nitems = 0;
		return q->err = err;
	}
	pthread_mutex_lock(&q->mu);
	q->produced++;
	pthread_cond_broadcast(&q->cv);
	while (q->produced - q->consumed >= WORKQ_SLOTS)
		pthread_cond_wait(&q->cv, &q->mu);
	q->cur = &q->slots[q->produced % WORKQ_SLOTS];
	q->cur->npages = q->cur->nitems = 0;
	pthread_mutex_unlock(&q->mu);
	return q->err;
}

unsigned char *workq_reserve(struct workq *q, size_t npages)
{
	if (npages > WORKQ_PAGES)
		return NULL;
	if (q->cur->npages + npages > WORKQ_PAGES || q->cur->nitems + npages + 1 > WORKQ_ITEMS)
		if (hand_over(q))
			return NULL;
	return q->cur->buf + q->cur->npages * 4096;
}

void workq_commit_pages(struct workq *q, size_t npages)
{
	q->cur->npages += npages;
}

int workq_add(struct workq *q, const struct work_item *it)
{
	if (q->cur->nitems == WORKQ_ITEMS && hand_over(q))
		return q->err;
	q->cur->items[q->cur->nitems++] = *it;
	return 0;
}

int workq_drain(struct workq *q)
{
	int err = hand_over(q);

	if (q->threaded) {
		pthread_mutex_lock(&q->mu);
		while (q->consumed != q->produced)
			pthread_cond_wait(&q->cv, &q->mu);
		err = q->err;
		pthread_mutex_unlock(&q->mu);
	}
	return err ? err : q->err;
}

int workq_stop(struct workq *q)
{
	int err = 0;

	if (q->cur)
		err = workq_drain(q);
	if (q->threaded) {
		pthread_mutex_lock(&q->mu);
		q->closing = true;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		pthread_join(q->thread, NULL);
		q->threaded = false;
	}
	if (q->cur) {
		pthread_mutex_destroy(&q->mu);
		pthread_cond_destroy(&q->cv);
	}
	for (int i = 0; i < WORKQ_SLOTS; i++)
		free(q->slots[i].buf);
	err = err ? err : q->err;
	memset(q, 0, sizeof(*q));
	return err;
}
