// SPDX-License-Identifier: GPL-2.0-only
#include "report/svgplot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void html_text(struct sbuf *o, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': sbuf_put(o, "&lt;", 4); break;
		case '>': sbuf_put(o, "&gt;", 4); break;
		case '&': sbuf_put(o, "&amp;", 5); break;
		case '"': sbuf_put(o, "&quot;", 6); break;
		case '\'': sbuf_put(o, "&#39;", 5); break;
		default:
			/* control bytes (a comm may hold anything) become a visible '?' */
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				sbuf_put(o, "?", 1);
			else
				sbuf_put(o, s, 1);
		}
	}
}

double nice_step(double range, int ticks)
{
	double raw, mag, f;

	if (!(range > 0) || ticks < 1 || !isfinite(range))
		return 1;
	raw = range / ticks;
	mag = pow(10, floor(log10(raw)));
	f = raw / mag;
	return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

static double px(const struct svgplot *p, double x)
{
	double f = p->logx ? (log10(x) - log10(p->x0)) / (log10(p->x1) - log10(p->x0)) : (x - p->x0) / (p->x1 - p->x0);

	return p->ml + f * (p->w - p->ml - p->mr);
}

static double py(const struct svgplot *p, double y)
{
	return p->h - p->mb - (y - p->y0) / (p->y1 - p->y0) * (p->h - p->mt - p->mb);
}

/* A tick label: short, without trailing zeros. */
static void tick_label(char *b, size_t n, double v, double step)
{
	if (fabs(v) < step * 1e-6)
		v = 0;
	if (fabs(v) >= 1e6 || (v != 0 && fabs(v) < 1e-3))
		snprintf(b, n, "%.3g", v);
	else if (step >= 1)
		snprintf(b, n, "%.0f", v);
	else
		snprintf(b, n, "%.*f", (int)ceil(-log10(step)), v);
}

void svg_begin(struct svgplot *p, struct sbuf *o, const char *id, const char *title, const char *xlabel,
	       const char *ylabel, double x0, double x1, double y0, double y1, bool logx, const char *const *labels,
	       size_t nlabels)
{
	double step;
	char b[64];

	memset(p, 0, sizeof(*p));
	p->o = o;
	p->w = 560;
	p->h = 320;
	p->ml = 64;
	p->mr = 16;
	p->mt = 16;
	p->mb = 48;
	p->logx = logx && x0 > 0;
	if (labels) {
		x0 = -0.5;
		x1 = (double)nlabels - 0.5;
	}
	/* a range from a damaged file must still give a finite plot */
	if (!isfinite(x0) || fabs(x0) > 1e15)
		x0 = p->logx ? 1 : 0;
	if (!isfinite(x1) || fabs(x1) > 1e15)
		x1 = x0;
	if (!isfinite(y0) || fabs(y0) > 1e15)
		y0 = 0;
	if (!isfinite(y1) || fabs(y1) > 1e15)
		y1 = y0;
	if (!(x1 > x0))
		x1 = x0 + (p->logx ? x0 * 9 : 1);
	if (!(y1 > y0))
		y1 = y0 + 1;
	/* round the top of the y axis up to a tick */
	step = nice_step(y1 - y0, 5);
	y1 = y0 + ceil((y1 - y0) / step - 1e-9) * step;
	p->x0 = x0;
	p->x1 = x1;
	p->y0 = y0;
	p->y1 = y1;
	sbuf_printf(o, "<figure id=\"");
	html_text(o, id);
	sbuf_printf(o, "\"><figcaption>");
	html_text(o, title);
	sbuf_printf(o, "</figcaption>\n<svg class=\"plot\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">"
		    "<title>", p->w, p->h, p->w, p->h);
	html_text(o, title);
	sbuf_printf(o, "</title>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fff\" stroke=\"#444\"/>\n",
		    p->ml, p->mt, p->w - p->ml - p->mr, p->h - p->mt - p->mb);
	/* y ticks and grid */
	for (int i = 0; i <= 100; i++) {
		double v = y0 + i * step;

		if (v > y1 + step * 1e-9)
			break;
		tick_label(b, sizeof(b), v, step);
		sbuf_printf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
			       "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%s</text>\n",
			    p->ml, p->w - p->mr, py(p, v), py(p, v), p->ml - 6, py(p, v) + 4, b);
	}
	/* x ticks */
	if (labels) {
		for (size_t i = 0; i < nlabels; i++) {
			sbuf_printf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" class=\"tick\">", px(p, (double)i),
				    p->h - p->mb + 16);
			html_text(o, labels[i]);
			sbuf_printf(o, "</text>\n");
		}
	} else if (p->logx) {
		int i = 0;

		for (double v = pow(10, ceil(log10(x0) - 1e-9)); v <= x1 * (1 + 1e-9) && i++ < 40; v *= 10) {
			tick_label(b, sizeof(b), v, v);
			sbuf_printf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>"
				       "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" class=\"tick\">%s</text>\n",
				    px(p, v), px(p, v), p->mt, p->h - p->mb, px(p, v), p->h - p->mb + 16, b);
		}
	} else {
		double xs = nice_step(x1 - x0, 6), first = ceil(x0 / xs - 1e-9) * xs;

		/* counted, not stepped: a step lost to rounding must not loop forever */
		for (int i = 0; i <= 100 && first + i * xs <= x1 + xs * 1e-9; i++) {
			double v = first + i * xs;

			tick_label(b, sizeof(b), v, xs);
			sbuf_printf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>"
				       "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" class=\"tick\">%s</text>\n",
				    px(p, v), px(p, v), p->mt, p->h - p->mb, px(p, v), p->h - p->mb + 16, b);
		}
	}
	sbuf_printf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"axis\">", (p->ml + p->w - p->mr) / 2,
		    p->h - 8);
	html_text(o, xlabel);
	sbuf_printf(o, "</text><text transform=\"translate(14 %d) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">",
		    (p->mt + p->h - p->mb) / 2);
	html_text(o, ylabel);
	sbuf_printf(o, "</text>\n");
}

/* Clamp a value into the shown range (a point off the scale stays on its edge). */
static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void svg_line(struct svgplot *p, const double *x, const double *y, size_t n, const char *color, int width, bool step)
{
	bool open = false;
	double lasty = 0;

	for (size_t i = 0; i < n; i++) {
		double X, Y;

		if (!isfinite(x[i]) || !isfinite(y[i]) || (p->logx && x[i] <= 0))
			continue;
		X = px(p, clampd(x[i], p->x0, p->x1));
		Y = py(p, clampd(y[i], p->y0, p->y1));
		if (!open) {
			sbuf_printf(p->o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%d\" points=\"", color, width);
			open = true;
		} else if (step) {
			sbuf_printf(p->o, " %.1f,%.1f", X, lasty);
		}
		sbuf_printf(p->o, " %.1f,%.1f", X, Y);
		lasty = Y;
	}
	if (open)
		sbuf_printf(p->o, "\"/>\n");
}

void svg_points(struct svgplot *p, const double *x, const double *y, size_t n, const char *color)
{
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i]) || (p->logx && x[i] <= 0))
			continue;
		sbuf_printf(p->o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\"/>\n",
			    px(p, clampd(x[i], p->x0, p->x1)), py(p, clampd(y[i], p->y0, p->y1)), color);
	}
}

void svg_bar(struct svgplot *p, size_t x, double y_from, double y_to, const char *color)
{
	double slot = px(p, 1) - px(p, 0), w = slot * 0.6, a, b;

	if (!isfinite(y_from) || !isfinite(y_to) || y_to <= y_from)
		return;
	a = py(p, clampd(y_to, p->y0, p->y1));
	b = py(p, clampd(y_from, p->y0, p->y1));
	sbuf_printf(p->o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
		    px(p, (double)x) - w / 2, a, w, b - a, color);
}

void svg_legend(struct svgplot *p, const char *const *names, const char *const *colors, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int y = p->mt + 14 + 16 * (int)i;

		sbuf_printf(p->o, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" fill=\"%s\"/>"
				  "<text x=\"%d\" y=\"%d\" class=\"legend\">",
			    p->ml + 8, y - 9, colors[i], p->ml + 24, y);
		html_text(p->o, names[i]);
		sbuf_printf(p->o, "</text>\n");
	}
}

void svg_end(struct svgplot *p)
{
	sbuf_printf(p->o, "</svg></figure>\n");
}

void svg_nodata(struct sbuf *o, const char *id, const char *title, const char *why)
{
	sbuf_printf(o, "<figure id=\"");
	html_text(o, id);
	sbuf_printf(o, "\" class=\"nodata\"><figcaption>");
	html_text(o, title);
	sbuf_printf(o, "</figcaption><p>");
	html_text(o, why);
	sbuf_printf(o, "</p></figure>\n");
}
