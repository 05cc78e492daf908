/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The snapshot in the Prometheus text exposition format (version 0.0.4):
 * HELP and TYPE for every family, names with the ksmscope_ prefix and their
 * unit, labels group (and pid, comm when a group is one process), kind and
 * reason. Pure: renders into a buffer, unit-tested.
 */
#ifndef KSMSCOPE_SINKS_PROM_H
#define KSMSCOPE_SINKS_PROM_H

#include <stdbool.h>

#include "engine/engine.h"
#include "lib/util.h"

/* by_process: groups are processes (label them with pid and comm too). */
void prom_render(struct sbuf *out, const struct snapshot *s, bool by_process);

#endif
