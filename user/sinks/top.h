/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ksmscope top: the snapshot as a full-screen view in the spirit of top(1), a
 * header with the host's KSM line and one row per group, sortable by key.
 * The layout is a pure function of the snapshot (unit-tested); the terminal
 * handling (alternate screen, raw keys) is kept apart.
 */
#ifndef KSMSCOPE_SINKS_TOP_H
#define KSMSCOPE_SINKS_TOP_H

#include <stdio.h>

#include "engine/engine.h"
#include "lib/util.h"

enum top_sort { SORT_SAVEABLE, SORT_ANON, SORT_SELF, SORT_INTER, SORT_MERGED, SORT_EFFECTIVENESS, SORT_COW, SORT__MAX };

/* "saveable", "anon", ...; -1 when unknown. */
int top_sort_parse(const char *name);
/* The key that selects a sort, and back: 's', 'a', 'S', 'i', 'm', 'e', 'c'. */
int top_sort_of_key(int key);

/* The screen: at most rows lines of at most cols characters (no escape sequences). */
void top_render(struct sbuf *o, const struct snapshot *s, enum top_sort sort, int rows, int cols);

/* The terminal: alternate screen and raw keys on enter, everything restored on leave. 0 or -1. */
int term_enter(void);
void term_leave(void);
/* A key pressed since the last call, or -1 (never blocks). */
int term_key(void);
/* Rows and columns of the terminal on stdout (24x80 when unknown). */
void term_size(int *rows, int *cols);

#endif
