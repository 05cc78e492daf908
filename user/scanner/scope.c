// SPDX-License-Identifier: GPL-2.0-only
/* Which processes a scanning command looks at, and how it groups them. */
#include "scanner/scope.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "sys/proc.h"

static bool under_cgroup(const char *cg, const char *want)
{
	size_t n = strlen(want);

	if (n == 1 && want[0] == '/')
		return true;
	return !strncmp(cg, want, n) && (cg[n] == '\0' || cg[n] == '/');
}

/* The processes to scan, in pid order. */
static int select_targets(struct targets *t, bool *resolved, const char *cgroup, uint32_t **out, size_t *n)
{
	uint32_t *all = NULL, *sel;
	size_t nall = 0, k = 0;

	if (t->npids) {
		/* once: a --pid that exits later is the scanner's race to count, not an error */
		if (!*resolved && targets_resolve(t))
			return -1;
		*resolved = true;
		all = malloc(t->npids * sizeof(*all));
		if (!all)
			return -1;
		memcpy(all, t->pids, t->npids * sizeof(*all));
		nall = t->npids;
	} else if (proc_list(&all, &nall)) {
		ks_err("cannot list /proc");
		return -1;
	}
	sel = malloc((nall ? nall : 1) * sizeof(*sel));
	if (!sel) {
		free(all);
		return -1;
	}
	for (size_t i = 0; i < nall; i++) {
		char comm[KS_COMM_LEN], cg[256];

		if (all[i] == (uint32_t)getpid())
			continue;
		if (t->has_comm && (proc_comm(all[i], comm) || !targets_match(t, all[i], comm)))
			continue;
		if (cgroup && (proc_cgroup(all[i], cg, sizeof(cg)) || !under_cgroup(cg, cgroup)))
			continue;
		sel[k++] = all[i];
	}
	free(all);
	*out = sel;
	*n = k;
	return 0;
}

void scope_init(struct scope *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->gb = GROUP_PROCESS;
	sc->sample = 1;
}

void scope_free(struct scope *sc)
{
	targets_free(&sc->t);
}

int scope_check(struct scope *sc)
{
	char cg[256];

	if ((sc->cgroup || sc->gb == GROUP_CGROUP) && proc_cgroup((uint32_t)getpid(), cg, sizeof(cg))) {
		ks_err("no cgroup v2 hierarchy here (no \"0::\" line in /proc/self/cgroup): "
		       "--cgroup and --group-by cgroup need one");
		return -1;
	}
	return 0;
}

int scope_select(struct scope *sc, uint32_t **pids, size_t *n)
{
	return select_targets(&sc->t, &sc->resolved, sc->cgroup, pids, n);
}
