// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksmscope report FILE [B]: read a recording back and give the study's tables
 * as text, JSON or an HTML page; or compare two recordings' fingerprints.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/stop.h"
#include "lib/json_writer.h"
#include "lib/json_reader.h"
#include "report/compare.h"
#include "report/recfile.h"
#include "report/recording.h"
#include "report/html.h"
#include "report/tables.h"
#include "lib/util.h"

static mode_t current_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	return m;
}

static void series_json(struct jw *w, const struct recording *t)
{
	jw_key(w, "series");
	jw_arr_begin(w);
	for (size_t i = 0; i < t->n; i++) {
		const struct rec_point *p = &t->series[i];

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
		jw_kdouble(w, "zero_merges", p->zero_merges);
		jw_kdouble(w, "unmerges", p->unmerges);
		jw_kdouble(w, "ksmd_cpu_seconds", p->ksmd_cpu_seconds);
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

static int report_json(const struct recording *t, const char *path)
{
	struct jw w;
	int err;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "file", path);
	jw_ku64(&w, "format", t->version);
	jw_kbool(&w, "complete", !t->bad && t->blocks[REC_END] == 1);
	jw_key(&w, "blocks");
	jw_obj_begin(&w);
	for (uint32_t k = 1; k < REC__MAX; k++)
		jw_ku64(&w, rec_type_name(k), t->blocks[k]);
	jw_obj_end(&w);
	jw_ku64(&w, "good_bytes", t->bad ? t->err.offset : t->bytes);
	if (t->bad) {
		jw_key(&w, "error");
		jw_obj_begin(&w);
		jw_ku64(&w, "offset", t->err.offset);
		jw_kstr(&w, "what", t->err.what);
		jw_obj_end(&w);
	}
	jw_key(&w, "events");
	jw_obj_begin(&w);
	for (unsigned k = 1; k < RECEV__MAX; k++)
		jw_ku64(&w, rec_event_name(k), t->events[k]);
	jw_ku64(&w, "unknown", t->events[0]);
	jw_obj_end(&w);
	jw_key(&w, "header");
	if (t->header)
		jv_write(&w, t->header);
	else
		jw_null(&w);
	/* as in scan --json (with the live fields), from the last snapshot */
	member_json(&w, "totals", t->last);
	member_json(&w, "groups", t->last);
	member_json(&w, "regions", t->last);
	member_json(&w, "dynamics", t->last);
	member_json(&w, "ksm", t->last);
	member_json(&w, "sample", t->last);
	jw_key(&w, "fingerprint");
	if (t->fp.meta) {
		jw_obj_begin(&w);
		jw_ku64(&w, "pass", t->fp.pass);
		jw_ku64(&w, "records", t->fp.n);
		jw_obj_end(&w);
	} else {
		jw_null(&w);
	}
	series_json(&w, t);
	jw_obj_end(&w);
	err = jw_emit_line(&w, stdout);
	jw_free(&w);
	return err ? 1 : 0;
}

/* Aligned columns, the first left and the rest right; cells made printable (keys and comms are any bytes). */
static void table_text(FILE *f, const struct rtable *t)
{
	size_t wd[16] = { 0 };
	char cell[320];

	fprintf(f, "\n%s\n", t->title);
	if (t->note)
		fprintf(f, "(%s)\n", t->note);
	if (t->nrow < 2) {
		fprintf(f, "  no data\n");
		return;
	}
	for (size_t r = 0; r < t->nrow; r++)
		for (size_t c = 0; c < t->ncol && c < 16; c++)
			if (strlen(printable(cell, sizeof(cell), rt_cell(t, r, c))) > wd[c])
				wd[c] = strlen(cell);
	for (size_t r = 0; r < t->nrow; r++) {
		for (size_t c = 0; c < t->ncol && c < 16; c++)
			fprintf(f, c ? "  %*s" : "  %-*s", (int)wd[c], printable(cell, sizeof(cell), rt_cell(t, r, c)));
		fputc('\n', f);
	}
}

static int report_text(const struct recording *t, const char *path)
{
	struct rtable *tab;
	size_t nt;

	printf("%s: ksmscope recording, format %u: %llu header, %llu snapshots, %llu merges, %llu unmerges, %s\n",
	       path, t->version, (unsigned long long)t->blocks[REC_HEADER], (unsigned long long)t->blocks[REC_SNAPSHOT],
	       (unsigned long long)t->events[RECEV_MERGE], (unsigned long long)t->events[RECEV_UNMERGE],
	       t->bad ? "cut short" : t->blocks[REC_END] == 1 ? "complete" : "no end block (still being written?)");
	if (t->bad)
		printf("first bad block at offset %llu: %s; the %llu bytes before it are good\n",
		       (unsigned long long)t->err.offset, t->err.what, (unsigned long long)t->err.offset);
	if (t->header) {
		char hb[128], kb[128];

		printf("host %s, kernel %s\n", printable(hb, sizeof(hb), jv_str(t->header, "host", "-")),
		       printable(kb, sizeof(kb), jv_str(t->header, "kernel", "-")));
	}
	if (!t->last)
		return fflush(stdout) ? 1 : 0;
	if (report_tables(t, &tab, &nt)) {
		ks_err("report: out of memory");
		return 1;
	}
	for (size_t i = 0; i < nt; i++)
		table_text(stdout, &tab[i]);
	report_tables_free(tab, nt);
	return fflush(stdout) ? 1 : 0;
}

/* The page into a temporary file beside OUT, then renamed: OUT is never half written. */
static int write_html(const struct recording *t, const char *path, const char *out)
{
	struct sbuf b = { 0 };
	struct stat so, sr;
	char *tmp = NULL;
	int fd = -1, ret = -1;

	if (!stat(out, &so) && !stat(path, &sr) && so.st_dev == sr.st_dev && so.st_ino == sr.st_ino) {
		ks_err("report: --html %s would replace the recording itself", out);
		return -1;
	}
	if (report_html(&b, t, path)) {
		ks_err("report: out of memory");
		goto out;
	}
	if (asprintf(&tmp, "%s.XXXXXX", out) < 0) {
		tmp = NULL;
		ks_err("report: out of memory");
		goto out;
	}
	/* mkstemp: a new file of ours (0600), never a link planted at a guessable name */
	fd = mkstemp(tmp);
	if (fd < 0) {
		ks_err("report: cannot create a file beside %s: %s", out, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	for (size_t done = 0; done < b.len;) {
		ssize_t n = write(fd, b.buf + done, b.len - done);

		if (n <= 0) {
			ks_err("report: cannot write %s: %s", tmp, n < 0 ? strerror(errno) : "short write");
			goto out;
		}
		done += (size_t)n;
	}
	/* a page to look at: readable like any document (umask permitting) */
	if (fchmod(fd, 0644 & ~current_umask()) || fsync(fd)) {
		ks_err("report: cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		ks_err("report: cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (cli_stop) {
		ks_err("report: interrupted: %s not written", out);
		goto out;
	}
	if (rename(tmp, out)) {
		ks_err("report: cannot write %s: %s", out, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret && tmp)
		unlink(tmp);
	free(tmp);
	sbuf_free(&b);
	return ret;
}

/* Load one recording; a bad one is an error unless salvaging. */
static int load(const char *path, bool salvage, struct recording *t)
{
	if (recording_load(path, t))
		return -1;
	if (t->bad && !salvage) {
		ks_err("report: %s: %s at offset %llu (--salvage reports the blocks before it)", path, t->err.what,
		       (unsigned long long)t->err.offset);
		recording_free(t);
		return -1;
	}
	return 0;
}

struct report_args {
	const char *files[2];
	size_t nfiles;
	const char *html;
	bool json, salvage;
};

static const struct argp_option report_options[] = {
	{ "json", 'j', NULL, 0, "one JSON object", 0 },
	{ "html", 'o', "OUT", 0, "also write an HTML page to OUT (replaced if it exists)", 0 },
	{ "salvage", 's', NULL, 0, "report the good blocks before a bad one (exit 0)", 0 },
	{ 0 },
};

static error_t report_parse(int key, char *arg, struct argp_state *st)
{
	struct report_args *a = cli_own(st);

	switch (key) {
	case 'j':
		a->json = true;
		return 0;
	case 'o':
		a->html = arg;
		return 0;
	case 's':
		a->salvage = true;
		return 0;
	case ARGP_KEY_ARG:
		if (a->nfiles < ARRAY_SIZE(a->files)) {
			a->files[a->nfiles++] = arg;
			return 0;
		}
		/* fall through */
	case ARGP_KEY_NO_ARGS:
		ks_err("report: one recording, or two to compare (see ksmscope report --help)");
		return cli_failed(st);
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp report_argp = {
	report_options, report_parse, "FILE\nA B",
	"The study's tables from a recording made by `ksmscope record`: sharing potential split "
	"into zero, self and inter; by region type; by group; saveable by chunk size; KSM's record "
	"(effectiveness over time, missed by reason, merge latency, COW breaks, ksmd cost). "
	"--html also writes them as one self-contained page with plots. A truncated or corrupted "
	"file is an error naming the offset of the first bad block; --salvage reports what "
	"precedes it instead.\n\n"
	"With two recordings made with --keep-hashes under the same --key: how many of A's "
	"contents B also holds, and what placing A's groups beside B's would save.",
	NULL, NULL, NULL,
};

/* Two recordings: what the first's contents would share with the second's. */
static int report_compare(const struct report_args *a)
{
	struct recording t = { 0 }, u = { 0 };
	int ret = 1;

	if (a->html) {
		ks_err("report: --html is for one recording; a comparison is text or --json");
		return 1;
	}
	if (!load(a->files[0], a->salvage, &t) && !load(a->files[1], a->salvage, &u))
		ret = compare_report(&t, &u, a->files[0], a->files[1], a->json) ? 1 : 0;
	recording_free(&t);
	recording_free(&u);
	return ret;
}

/* One recording: its tables (and the page, with --html). */
static int report_one(const struct report_args *a)
{
	struct recording t = { 0 };
	int ret = 1;

	if (load(a->files[0], a->salvage, &t))
		return 1;
	/* Ctrl-C while the page is written: no page, and no temporary file left */
	if (a->html)
		stop_on_signals(0);
	if (!a->html || !write_html(&t, a->files[0], a->html))
		ret = a->json ? report_json(&t, a->files[0]) : report_text(&t, a->files[0]);
	recording_free(&t);
	return ret;
}

int cmd_report(int argc, char **argv)
{
	struct report_args a = { 0 };
	struct cli_in in = { .cmd = "report", .own = &a };
	int r = cli_parse(&report_argp, 0, &in, argc, argv);

	if (r)
		return r > 0 ? 0 : 1;
	return a.nfiles == 2 ? report_compare(&a) : report_one(&a);
}
