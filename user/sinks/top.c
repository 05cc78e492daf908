// SPDX-License-Identifier: GPL-2.0-only
#include "sinks/top.h"

#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "sinks/snapshot_out.h"

static const char *const sort_names[SORT__MAX] = { "saveable", "anon", "self", "inter", "merged", "effectiveness",
						   "cow" };
static const char sort_keys[SORT__MAX] = { 's', 'a', 'S', 'i', 'm', 'e', 'c' };

int top_sort_parse(const char *name)
{
	for (int k = 0; k < SORT__MAX; k++)
		if (!strcmp(name, sort_names[k]))
			return k;
	return -1;
}

int top_sort_of_key(int key)
{
	for (int k = 0; k < SORT__MAX; k++)
		if (key == sort_keys[k])
			return k;
	return -1;
}


static double pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0.0;
}

static double sort_value(const struct group_live *g, enum top_sort k)
{
	switch (k) {
	case SORT_SAVEABLE:
		return g->m.saveable;
	case SORT_ANON:
		return g->m.sites;
	case SORT_SELF:
		return g->m.saveable_self;
	case SORT_INTER:
		return g->m.saveable_inter;
	case SORT_MERGED:
		return metrics_saved(&g->m);
	case SORT_EFFECTIVENESS:
		return isnan(g->m.effectiveness) ? -1 : g->m.effectiveness;
	case SORT_COW:
		return g->unmerges_rate;
	default:
		return 0;
	}
}

static const struct group_live *sort_groups;
static enum top_sort sort_key;

static int by_key_desc(const void *a, const void *b)
{
	const struct group_live *x = &sort_groups[*(const uint32_t *)a], *y = &sort_groups[*(const uint32_t *)b];
	double vx = sort_value(x, sort_key), vy = sort_value(y, sort_key);

	if (vx != vy)
		return vx < vy ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* One line, cut at cols. */
static void line(struct sbuf *o, int cols, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(struct sbuf *o, int cols, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > cols)
		n = cols;
	if (n >= (int)sizeof(buf))
		n = (int)sizeof(buf) - 1;
	sbuf_put(o, buf, (size_t)n);
	sbuf_put(o, "\n", 1);
}

void top_render(struct sbuf *o, const struct snapshot *s, enum top_sort sort, int rows, int cols)
{
	const struct metrics *t = &s->total;
	char eff[16] = "-", missed[160] = "";
	int used = 0;
	uint32_t *order;

	char profit[32] = "-", avail[32] = "-";
	double gp = ksm_state_value(&s->ksm, "general_profit");

	o->len = 0;
	if (o->buf)
		o->buf[0] = '\0';
	/* what this kernel lacks shows as "-", never as a number */
	if (!isnan(gp))
		snprintf(profit, sizeof(profit), "%.1f", gp / (1 << 20));
	if (s->ksm.mem_available_kb >= 0)
		snprintf(avail, sizeof(avail), "%.0f", (double)s->ksm.mem_available_kb / 1024);
	line(o, cols, "ksmscope top - KSM run=%lld: saved %.1f MiB (unshare debt, of %s MiB available), "
		      "profit %s MiB, ksmd %.1f%% CPU, full scans %llu (last %.1f s), merges %.0f/s, COW breaks %.0f/s",
	     (long long)ksm_state_num(&s->ksm, "run"), pages_mib((double)ksm_state_saved(&s->ksm)), avail, profit,
	     isnan(s->ksmd_cpu_percent) ? 0.0 : s->ksmd_cpu_percent, (unsigned long long)s->full_scans,
	     isnan(s->full_scan_seconds) ? 0.0 : s->full_scan_seconds, s->merges_rate, s->unmerges_rate);
	used++;
	if (s->have_pass) {
		if (!isnan(t->effectiveness))
			snprintf(eff, sizeof(eff), "%.0f%%", 100 * t->effectiveness);
		for (int r = 0, n = 0; r < MISS__MAX; r++)
			if (s->ctotal.missed[r] > 0)
				n += snprintf(missed + n, sizeof(missed) - (size_t)n, " %s %.1f", miss_names[r],
					      pages_mib(s->ctotal.missed[r]));
		line(o, cols, "Saveable %s%.1f of %.1f MiB (zero %.1f%%, self %.1f%%, inter %.1f%%); mergeable %.1f MiB, "
			      "KSM saves %.1f MiB (%s effective)",
		     s->estimate ? "~" : "", pages_mib(t->saveable), pages_mib(t->sites), pct(t->saveable_zero, t->sites), pct(t->saveable_self, t->sites),
		     pct(t->saveable_inter, t->sites), pages_mib(t->saveable_mergeable),
		     pages_mib(metrics_saved(t)), eff);
		if (s->estimate)
			line(o, cols, "Estimate: 1/%u by prefix class in %.2f s, saveable +-%.1f MiB (1 SE); "
				      "missed known after the first full pass (%.0f%% done)",
			     s->sample, s->est_seconds, pages_mib(s->se.saveable), 100 * s->pass_progress);
		else
			line(o, cols, "Missed MiB:%s", missed[0] ? missed : " none");
	} else {
		line(o, cols, "First pass under way: %.1f MiB examined at %.0f MiB/s", pages_mib((double)s->pass_pages),
		     s->scan_rate_mib);
		/* KSM's side is known before any pass (the tracker) */
		if (s->tracker_only)
			line(o, cols, "KSM saves %.1f MiB of the targets' (%.0f sites on %.0f KSM pages); the potential "
				      "after the first pass",
			     pages_mib(metrics_saved(t)), t->ksm_sites, t->ksm_frames);
		else
			line(o, cols, "%s", "");
	}
	line(o, cols, "Pass %llu (%.2f s, %.1f s ago); ksmscope %.1f%% CPU, %.1f MiB RSS; sort by %s "
		      "[s a S i m e c], q quits",
	     (unsigned long long)s->passes, s->have_pass ? s->pass_seconds : 0.0, s->have_pass ? s->pass_age : 0.0,
	     isnan(s->self_cpu_percent) ? 0.0 : s->self_cpu_percent, (double)s->self_rss_kb / 1024, sort_names[sort]);
	line(o, cols, "%s", "");
	line(o, cols, "%-10s %-16s %9s %6s %5s %6s %6s %6s %9s %5s %-14s %8s %7s", "GROUP", "COMM|VM", "ANON_MiB", "SAVE%",
	     "+-", "SELF%", "INTER%", "ZERO%", "MERGD_MiB", "EFF", "TOP_MISSED", "MERGES/s", "COW/s");
	used += 5; /* potential, missed, pass, blank, column names */
	order = malloc((s->ngroups ? s->ngroups : 1) * sizeof(*order));
	if (!order)
		return;
	for (uint32_t g = 0; g < s->ngroups; g++)
		order[g] = g;
	sort_groups = s->groups;
	sort_key = sort;
	qsort(order, s->ngroups, sizeof(*order), by_key_desc);
	uint32_t i;

	for (i = 0; i < s->ngroups && used < rows - 1; i++, used++) {
		const struct group_live *g = &s->groups[order[i]];
		const char *top = top_missed_reason(&g->c);
		char geff[16] = "-", gse[16] = "", key[16], comm[17];

		if (!isnan(g->m.effectiveness))
			snprintf(geff, sizeof(geff), "%.0f%%", 100 * g->m.effectiveness);
		/* an estimate: its standard error, in points of SAVE% */
		if (g->se)
			snprintf(gse, sizeof(gse), "%.1f", pct(g->se->saveable, g->m.sites));
		line(o, cols, "%-10.10s %-16.16s %9.1f %6.1f %5s %6.1f %6.1f %6.1f %9.1f %5s %-14s %8.0f %7.0f",
		     printable(key, sizeof(key), g->key), printable(comm, sizeof(comm), g->vm && *g->vm ? g->vm : g->comm), pages_mib(g->m.sites),
		     pct(g->m.saveable, g->m.sites), gse, pct(g->m.saveable_self, g->m.sites),
		     pct(g->m.saveable_inter, g->m.sites), pct(g->m.saveable_zero, g->m.sites),
		     pages_mib(metrics_saved(&g->m)), geff, top ? top : "-", g->merges_rate,
		     g->unmerges_rate);
	}
	if (i < s->ngroups)
		line(o, cols, "... and %u more groups", s->ngroups - i);
	free(order);
}

/* ---- the terminal ---- */

static struct termios saved_tio;
static bool tio_saved;

int term_enter(void)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		tio_saved = true;
		raw = saved_tio;
		raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	/* alternate screen, cursor hidden */
	fputs("\033[?1049h\033[?25l", stdout);
	return fflush(stdout) ? -1 : 0;
}

void term_leave(void)
{
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	tio_saved = false;
}

int term_key(void)
{
	unsigned char c;

	if (!tio_saved)
		return -1;
	return read(STDIN_FILENO, &c, 1) == 1 ? c : -1;
}

void term_size(int *rows, int *cols)
{
	struct winsize ws;

	*rows = 24;
	*cols = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}
