/*
 * ksmscope report FILE: read a recording back. This first version checks it
 * block by block and says what it holds; the study's tables and plots come
 * next (issue: record and report).
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "jsonparse.h"
#include "recfile.h"
#include "util.h"

/* One point of the series: the snapshot's headline figures. */
struct point {
	double time, uptime;
	double saveable, saveable_zero, saveable_self, saveable_inter, saveable_mergeable;
	double ksm_saved, ksm_zero_pages, effectiveness, missed;
	double merges, unmerges, ksmd_cpu_percent;
};

struct tally {
	uint64_t blocks[REC__MAX];
	struct jv *header, *last; /* the header and the last snapshot */
	struct point *series;
	size_t n, cap;
	struct rec_error bad_json; /* a block whose CRC holds but whose JSON does not */
	uint64_t events[RECEV__MAX]; /* by kind; [0]: of an unknown kind */
};

#define REPORT_BAD_JSON 2 /* rec_walk's return when a block's JSON is malformed */

static struct point point_of(const struct jv *s)
{
	const struct jv *t = jv_get(s, "totals"), *d = jv_get(s, "dynamics");

	return (struct point){
		jv_num(s, "time", NAN), jv_num(s, "uptime", NAN),
		jv_num(t, "saveable", NAN), jv_num(t, "saveable_zero", NAN), jv_num(t, "saveable_self", NAN),
		jv_num(t, "saveable_inter", NAN), jv_num(t, "saveable_mergeable", NAN),
		jv_num(t, "ksm_saved", NAN), jv_num(t, "ksm_zero_pages", NAN), jv_num(t, "effectiveness", NAN),
		jv_num(jv_get(t, "missed"), "total", NAN),
		jv_num(d, "merges", NAN), jv_num(d, "unmerges", NAN), jv_num(d, "ksmd_cpu_percent", NAN),
	};
}

static int take_block(void *ctx, const struct rec_block_view *b)
{
	struct tally *t = ctx;
	size_t off;
	const char *err;
	struct jv *v;

	if (b->type == REC_EVENTS) {
		/* binary: kinds counted; the walk checked the length is whole records */
		for (size_t i = 0; i < b->len; i += REC_EVENT_BYTES) {
			unsigned kind = b->payload[i + 28];

			t->events[kind < RECEV__MAX ? kind : 0]++;
		}
		t->blocks[b->type]++;
		return 0;
	}
	v = jv_parse((const char *)b->payload, b->len, &off, &err);

	if (!v) {
		t->bad_json.offset = b->offset;
		snprintf(t->bad_json.what, sizeof(t->bad_json.what), "%s block is not valid JSON (%s at byte %zu)",
			 rec_type_name(b->type), err, off);
		return REPORT_BAD_JSON;
	}
	t->blocks[b->type]++;
	if (b->type == REC_HEADER && !t->header) {
		t->header = v;
	} else if (b->type == REC_SNAPSHOT) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 64;
			struct point *np = realloc(t->series, cap * sizeof(*np));

			if (!np) {
				jv_free(v);
				return -1;
			}
			t->series = np;
			t->cap = cap;
		}
		t->series[t->n++] = point_of(v);
		jv_free(t->last);
		t->last = v;
	} else {
		jv_free(v);
	}
	return 0;
}

static void tally_free(struct tally *t)
{
	jv_free(t->header);
	jv_free(t->last);
	free(t->series);
}

static void series_json(struct jw *w, const struct tally *t)
{
	jw_key(w, "series");
	jw_arr_begin(w);
	for (size_t i = 0; i < t->n; i++) {
		const struct point *p = &t->series[i];

		jw_obj_begin(w);
		jw_kdouble(w, "time", p->time);
		jw_kdouble(w, "uptime", p->uptime);
		jw_kdouble(w, "saveable", p->saveable);
		jw_kdouble(w, "saveable_zero", p->saveable_zero);
		jw_kdouble(w, "saveable_self", p->saveable_self);
		jw_kdouble(w, "saveable_inter", p->saveable_inter);
		jw_kdouble(w, "saveable_mergeable", p->saveable_mergeable);
		jw_kdouble(w, "ksm_saved", p->ksm_saved);
		jw_kdouble(w, "ksm_zero_pages", p->ksm_zero_pages);
		jw_kdouble(w, "effectiveness", p->effectiveness);
		jw_kdouble(w, "missed", p->missed);
		jw_kdouble(w, "merges", p->merges);
		jw_kdouble(w, "unmerges", p->unmerges);
		jw_kdouble(w, "ksmd_cpu_percent", p->ksmd_cpu_percent);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* A member of the last snapshot as it was written, or null. */
static void member_json(struct jw *w, const char *key, const struct jv *from)
{
	const struct jv *m = jv_get(from, key);

	jw_key(w, key);
	if (m)
		jv_write(w, m);
	else
		jw_null(w);
}

/* The whole file in memory. 0 or -errno. */
static int slurp(const char *path, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t got = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		int e = S_ISREG(st.st_mode) ? errno : EINVAL;

		close(fd);
		return -e;
	}
	*buf = malloc((size_t)st.st_size ? (size_t)st.st_size : 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			free(*buf);
			close(fd);
			return -e;
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: ksmscope report FILE [--json] [--salvage]\n\n"
		   "Check a recording made by `ksmscope record` block by block and say what it holds.\n"
		   "A truncated or corrupted file is an error naming the offset of the first bad block;\n"
		   "--salvage reports what precedes it instead.\n\n"
		   "  -j, --json      one JSON object\n"
		   "  -s, --salvage   report the good blocks before a bad one (exit 0)\n"
		   "  -h, --help      this help\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "salvage", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct tally t = { 0 };
	struct rec_error e;
	int ret = 1;
	bool json = false, salvage = false;
	uint8_t *buf = NULL;
	size_t len = 0;
	int opt, err, bad;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "jsh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = json_errors = true;
			break;
		case 's':
			salvage = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			ks_bad_option("report", argv);
			return 1;
		}
	}
	if (optind != argc - 1) {
		ks_err("report: one recording, please (see ksmscope report --help)");
		return 1;
	}
	err = slurp(argv[optind], &buf, &len);
	if (err) {
		ks_err("report: cannot read %s: %s", argv[optind], strerror(-err));
		return 1;
	}
	bad = rec_walk(buf, len, take_block, &t, &e);
	free(buf);
	if (bad == REPORT_BAD_JSON)
		e = t.bad_json;
	else if (bad > 0 || (bad < 0 && !e.what[0])) {
		ks_err("report: out of memory");
		goto out;
	}
	if (bad && !salvage) {
		ks_err("report: %s: %s at offset %llu (--salvage reports the blocks before it)", argv[optind], e.what,
		       (unsigned long long)e.offset);
		goto out;
	}
	if (json) {
		struct jw w;

		jw_init(&w);
		jw_obj_begin(&w);
		jw_kstr(&w, "file", argv[optind]);
		jw_ku64(&w, "format", REC_VERSION);
		jw_kbool(&w, "complete", !bad && t.blocks[REC_END] == 1);
		jw_key(&w, "blocks");
		jw_obj_begin(&w);
		for (uint32_t k = 1; k < REC__MAX; k++)
			jw_ku64(&w, rec_type_name(k), t.blocks[k]);
		jw_obj_end(&w);
		jw_ku64(&w, "good_bytes", bad ? e.offset : len);
		if (bad) {
			jw_key(&w, "error");
			jw_obj_begin(&w);
			jw_ku64(&w, "offset", e.offset);
			jw_kstr(&w, "what", e.what);
			jw_obj_end(&w);
		}
		jw_key(&w, "events");
		jw_obj_begin(&w);
		for (unsigned k = 1; k < RECEV__MAX; k++)
			jw_ku64(&w, rec_event_name(k), t.events[k]);
		jw_ku64(&w, "unknown", t.events[0]);
		jw_obj_end(&w);
		jw_key(&w, "header");
		if (t.header)
			jv_write(&w, t.header);
		else
			jw_null(&w);
		/* as in scan --json (with the live fields), from the last snapshot */
		member_json(&w, "totals", t.last);
		member_json(&w, "groups", t.last);
		member_json(&w, "regions", t.last);
		series_json(&w, &t);
		jw_obj_end(&w);
		err = jw_emit_line(&w, stdout);
		jw_free(&w);
		ret = err ? 1 : 0;
		goto out;
	}
	printf("%s: ksmscope recording, format %u: %llu header, %llu snapshots, %llu merges, %llu unmerges, %s\n",
	       argv[optind], REC_VERSION, (unsigned long long)t.blocks[REC_HEADER],
	       (unsigned long long)t.blocks[REC_SNAPSHOT], (unsigned long long)t.events[RECEV_MERGE],
	       (unsigned long long)t.events[RECEV_UNMERGE],
	       bad ? "cut short" : t.blocks[REC_END] ? "complete" : "no end block (still being written?)");
	if (bad)
		printf("first bad block at offset %llu: %s; the %llu bytes before it are good\n",
		       (unsigned long long)e.offset, e.what, (unsigned long long)e.offset);
	if (t.n) {
		printf("\n%10s %12s %12s %12s %12s %8s %12s\n", "UPTIME_S", "SAVEABLE_MiB", "ZERO_MiB", "MERGEABLE_MiB",
		       "KSM_MiB", "EFF", "MISSED_MiB");
		for (size_t i = 0; i < t.n; i++) {
			const struct point *p = &t.series[i];
			const double mib = 4096.0 / (1 << 20);

			printf("%10.1f %12.1f %12.1f %12.1f %12.1f %7.0f%% %12.1f\n", p->uptime, p->saveable * mib,
			       p->saveable_zero * mib, p->saveable_mergeable * mib, (p->ksm_saved + p->ksm_zero_pages) * mib,
			       100 * p->effectiveness, p->missed * mib);
		}
	}
	ret = fflush(stdout) ? 1 : 0;
out:
	tally_free(&t);
	return ret;
}
