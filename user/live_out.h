/* The live engine's snapshot as one JSON object (watch --json: JSON Lines) or a few lines of text. */
#ifndef KSMSCOPE_LIVE_OUT_H
#define KSMSCOPE_LIVE_OUT_H

#include <stdio.h>

#include "engine.h"
#include "json.h"

void snapshot_json(struct jw *w, const struct snapshot *s);
void snapshot_text(FILE *f, const struct snapshot *s);

/* The group's most common missed reason, or NULL when nothing is missed. */
const char *top_missed_reason(const struct corr_metrics *c);

#endif
