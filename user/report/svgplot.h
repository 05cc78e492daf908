/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small inline SVG plots for report --html: axes with round ticks, lines,
 * steps, points, bars, a legend. Pure (writes into an sbuf), so the plots are
 * unit-tested; the page needs nothing from the network to show them.
 */
#ifndef KSMSCOPE_REPORT_SVGPLOT_H
#define KSMSCOPE_REPORT_SVGPLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/util.h"

struct svgplot {
	struct sbuf *o;
	double x0, x1, y0, y1; /* data range shown */
	bool logx;
	int w, h, ml, mr, mt, mb; /* pixels: size and margins */
};

/* Text for HTML or SVG, escaped. */
void html_text(struct sbuf *o, const char *s);

/* A round tick step giving about `ticks` ticks over range (> 0). */
double nice_step(double range, int ticks);

/*
 * Start a plot: <figure> with a caption, then the SVG with its axes. x1 > x0
 * and y1 > y0 are widened when equal; logx needs x0 > 0. labels: the x
 * categories (bars) instead of numeric ticks, or NULL.
 */
void svg_begin(struct svgplot *p, struct sbuf *o, const char *id, const char *title, const char *xlabel,
	       const char *ylabel, double x0, double x1, double y0, double y1, bool logx, const char *const *labels,
	       size_t nlabels);
/*
 * A line through the points (step: horizontal then vertical, for a CDF). NaN
 * points are skipped. width in pixels: a wider line drawn first stays visible
 * under an equal one.
 */
void svg_line(struct svgplot *p, const double *x, const double *y, size_t n, const char *color, int width, bool step);
/* A marker per point. */
void svg_points(struct svgplot *p, const double *x, const double *y, size_t n, const char *color);
/* A bar over category x (0-based, as labels) from y_from to y_to. */
void svg_bar(struct svgplot *p, size_t x, double y_from, double y_to, const char *color);
/* The legend, top left inside the plot. */
void svg_legend(struct svgplot *p, const char *const *names, const char *const *colors, size_t n);
void svg_end(struct svgplot *p);
/* A plot's place when there is nothing to draw, saying why. */
void svg_nodata(struct sbuf *o, const char *id, const char *title, const char *why);

#endif
