// SPDX-License-Identifier: GPL-2.0-only
#include "report/recording.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

#define BAD_JSON 2 /* take_block's return when a block's JSON is malformed */

struct rec_point rec_point_of(const struct jv *s)
{
	const struct jv *t = jv_get(s, "totals"), *d = jv_get(s, "dynamics"), *c = jv_get(s, "cost");

	return (struct rec_point){
		jv_num(s, "time", NAN), jv_num(s, "uptime", NAN), jv_num(s, "interval", NAN),
		jv_num(t, "sites", NAN), jv_num(t, "saveable", NAN), jv_num(t, "saveable_zero", NAN),
		jv_num(t, "saveable_self", NAN), jv_num(t, "saveable_inter", NAN), jv_num(t, "saveable_mergeable", NAN),
		jv_num(t, "ksm_saved", NAN), jv_num(t, "ksm_zero_pages", NAN), jv_num(t, "effectiveness", NAN),
		jv_num(jv_get(t, "missed"), "total", NAN),
		jv_num(d, "merges", NAN), jv_num(d, "zero_merges", NAN), jv_num(d, "unmerges", NAN),
		jv_num(d, "unmerges_per_s", NAN),
		jv_num(d, "ksmd_cpu_seconds", NAN), jv_num(d, "ksmd_cpu_percent", NAN), jv_num(c, "cpu_percent", NAN),
	};
}

static void fp_clear(struct fingerprint *f)
{
	jv_free(f->meta);
	free(f->r);
	memset(f, 0, sizeof(*f));
}

/* A part of a fingerprint; the walk checked the block's shape. 0, BAD_JSON or -ENOMEM. */
static int take_hashes(struct recording *r, const struct rec_block_view *b)
{
	uint32_t jl = rec_get32(b->payload);
	size_t k = (b->len - 4 - jl) / REC_HASH_BYTES, off;
	const char *err;
	struct jv *meta = jv_parse((const char *)b->payload + 4, jl, &off, &err);
	struct fingerprint *f = &r->building;
	const struct jv *groups;
	double pass, part, parts;
	size_t ng;

	if (!meta) {
		snprintf(r->err.what, sizeof(r->err.what), "hashes block is not valid JSON (%s at byte %zu)", err,
			 off + 4);
		return BAD_JSON;
	}
	pass = jv_num(meta, "pass", NAN);
	part = jv_num(meta, "part", NAN);
	parts = jv_num(meta, "parts", NAN);
	groups = jv_get(meta, "groups");
	/* integers in range before any cast */
	if (!(pass >= 1 && pass < 9e15 && pass == floor(pass) && parts >= 1 && parts < 1e6 && parts == floor(parts) &&
	      part >= 0 && part < parts && part == floor(part)) ||
	    !groups || groups->type != JV_ARR || jv_num(meta, "records", -1) != (double)k) {
		jv_free(meta);
		snprintf(r->err.what, sizeof(r->err.what), "hashes block with a malformed description");
		return BAD_JSON;
	}
	ng = groups->n; /* meta may be freed below */
	/* a pass's parts come in order; anything else starts over */
	if (!f->meta || f->pass != (uint64_t)pass || f->parts_seen != (uint64_t)part) {
		fp_clear(f);
		if (part != 0) {
			jv_free(meta);
			return 0;
		}
		f->meta = meta;
		f->pass = (uint64_t)pass;
		f->parts = (uint64_t)parts;
	} else {
		jv_free(meta);
	}
	if (GROW(f->r, f->cap, f->n + k, 4096))
		return -ENOMEM;
	for (size_t i = 0; i < k; i++) {
		const uint8_t *q = b->payload + 4 + jl + i * REC_HASH_BYTES;
		struct fp_rec x = { rec_get64(q), rec_get32(q + 8), rec_get32(q + 12) };
		const struct fp_rec *p = f->n ? &f->r[f->n - 1] : NULL;

		/*
		 * sorted by (hash, group), each pair once, groups in the list: what the
		 * comparison's merge walk relies on (and a run of one hash is then at
		 * most a record per group)
		 */
		if ((p && (x.hash < p->hash || (x.hash == p->hash && x.group <= p->group))) || x.group >= ng ||
		    (uint64_t)parts != f->parts || ng != jv_get(f->meta, "groups")->n) {
			fp_clear(f);
			snprintf(r->err.what, sizeof(r->err.what), "hashes block out of order or naming an unknown group");
			return BAD_JSON;
		}
		f->r[f->n++] = x;
	}
	if (++f->parts_seen == f->parts) {
		fp_clear(&r->fp);
		r->fp = *f;
		memset(f, 0, sizeof(*f));
	}
	return 0;
}

static int take_block(void *ctx, const struct rec_block_view *b)
{
	struct recording *r = ctx;
	size_t off;
	const char *err;
	struct jv *v;

	if (b->type == REC_EVENTS) {
		/* binary: kinds counted; the walk checked the length is whole records */
		for (size_t i = 0; i < b->len; i += REC_EVENT_BYTES) {
			unsigned kind = b->payload[i + 28];

			r->events[kind < RECEV__MAX ? kind : 0]++;
		}
		r->blocks[b->type]++;
		return 0;
	}
	if (b->type == REC_HASHES) {
		int e = take_hashes(r, b);

		if (e == BAD_JSON)
			r->err.offset = b->offset;
		else if (!e)
			r->blocks[b->type]++;
		return e;
	}
	v = jv_parse((const char *)b->payload, b->len, &off, &err);
	if (!v) {
		r->err.offset = b->offset;
		snprintf(r->err.what, sizeof(r->err.what), "%s block is not valid JSON (%s at byte %zu)",
			 rec_type_name(b->type), err, off);
		return BAD_JSON;
	}
	r->blocks[b->type]++;
	if (b->type == REC_HEADER && !r->header) {
		r->header = v;
	} else if (b->type == REC_SNAPSHOT) {
		if (GROW(r->series, r->cap, r->n + 1, 64)) {
			jv_free(v);
			return -ENOMEM;
		}
		r->series[r->n++] = rec_point_of(v);
		jv_free(r->last);
		r->last = v;
	} else if (b->type == REC_END && !r->end) {
		r->end = v;
	} else {
		jv_free(v);
	}
	return 0;
}

int recording_parse(const uint8_t *buf, size_t len, struct recording *r)
{
	struct rec_error e = { 0 };
	int bad;

	memset(r, 0, sizeof(*r));
	r->bytes = len;
	if (len >= 12)
		r->version = rec_get32(buf + 8);
	bad = rec_walk(buf, len, take_block, r, &e);
	if (bad == -ENOMEM || (bad < 0 && !e.what[0]) || (bad && bad != -1 && bad != BAD_JSON)) {
		recording_free(r);
		return -ENOMEM;
	}
	if (bad == -1) {
		r->err = e;
		r->bad = true;
	} else if (bad == BAD_JSON) {
		r->bad = true;
	}
	return 0;
}

void recording_free(struct recording *r)
{
	jv_free(r->header);
	jv_free(r->last);
	jv_free(r->end);
	free(r->series);
	fp_clear(&r->fp);
	fp_clear(&r->building);
	memset(r, 0, sizeof(*r));
}

int recording_load(const char *path, struct recording *t)
{
	struct stat st;
	void *map = NULL;
	int fd = -1, err = 0;

	memset(t, 0, sizeof(*t));
	if (stat(path, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	else if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 || fstat(fd, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	/* mapped, not read: a recording with fingerprints may be larger than memory */
	else if (st.st_size && (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (err) {
		ks_err("report: cannot read %s: %s", path, err == -EINVAL ? "not a regular file" : strerror(-err));
		return -1;
	}
	if (map)
		madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	err = recording_parse(map ? map : (const void *)"", map ? (size_t)st.st_size : 0, t);
	if (map)
		munmap(map, (size_t)st.st_size);
	if (err) {
		ks_err("report: out of memory reading %s", path);
		return -1;
	}
	return 0;
}

void split_zero_self_inter(double saveable, double zero, double self, double out[3])
{
	double z = zero > saveable ? saveable : zero, s = self - z;

	if (s < 0)
		s = 0;
	if (s > saveable - z)
		s = saveable - z;
	out[0] = z;
	out[1] = s;
	out[2] = saveable - z - s;
}

int latency_cdf_of(const struct jv *snapshot, struct latency_cdf *c)
{
	const struct jv *h = jv_get(jv_get(snapshot, "dynamics"), "merge_latency"), *b = jv_get(h, "buckets");

	memset(c, 0, sizeof(*c));
	if (!b || b->type != JV_ARR || b->n > 32)
		return -1;
	c->count = jv_num(h, "count", NAN);
	c->sum = jv_num(h, "sum", NAN);
	for (size_t i = 0; i < b->n; i++) {
		const struct jv *p = b->items[i];

		if (p->type != JV_ARR || p->n != 2 || p->items[1]->type != JV_NUM)
			return -1;
		if (p->items[0]->type == JV_NUM)
			c->bound[i] = p->items[0]->num;
		else if (p->items[0]->type == JV_STR && !strcmp(p->items[0]->str, "+Inf"))
			c->bound[i] = INFINITY;
		else
			return -1;
		c->cum[i] = p->items[1]->num;
		if (i && (c->bound[i] <= c->bound[i - 1] || c->cum[i] < c->cum[i - 1]))
			return -1;
	}
	c->n = b->n;
	return 0;
}

double latency_quantile(const struct latency_cdf *c, double q)
{
	double total = c->n ? c->cum[c->n - 1] : 0;

	if (!(total > 0))
		return NAN;
	for (size_t i = 0; i < c->n; i++)
		if (c->cum[i] >= q * total)
			return c->bound[i];
	return INFINITY;
}
