/* SPDX-License-Identifier: GPL-2.0-only */
/* The live engine's snapshot as one JSON object (watch --json: JSON Lines) or a few lines of text. */
#ifndef KSMSCOPE_SINKS_SNAPSHOT_OUT_H
#define KSMSCOPE_SINKS_SNAPSHOT_OUT_H

#include <stdio.h>

#include "engine/engine.h"
#include "lib/json_writer.h"

void snapshot_json(struct jw *w, const struct snapshot *s);
void snapshot_text(FILE *f, const struct snapshot *s);

/* The group's most common missed reason, or NULL when nothing is missed. */
const char *top_missed_reason(const struct corr_metrics *c);

#endif
