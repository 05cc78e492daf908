// SPDX-License-Identifier: GPL-2.0-only
#include "sys/targets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "sys/proc.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* targets_match looks pids up with bsearch: keep them sorted and unique. */
static void sort_unique(struct targets *t)
{
	size_t w = 1;

	if (!t->npids)
		return;
	qsort(t->pids, t->npids, sizeof(*t->pids), cmp_u32);
	for (size_t r = 1; r < t->npids; r++)
		if (t->pids[r] != t->pids[w - 1])
			t->pids[w++] = t->pids[r];
	t->npids = w;
}

int targets_add_pids(struct targets *t, const char *list, const char **bad)
{
	char *copy = strdup(list), *item, *save = NULL;
	int err = 0;

	if (!copy)
		return -1;
	if (!*list) {
		*bad = list;
		free(copy);
		return -1;
	}
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		uint32_t pid;

		if (parse_u32(item, &pid) || pid == 0 || pid >= KS_PID_LIMIT) {
			*bad = list + (item - copy);
			err = -1;
			break;
		}
		if (GROW(t->pids, t->cap_pids, t->npids + 1, 16)) {
			err = -1;
			*bad = list;
			break;
		}
		t->pids[t->npids++] = pid;
	}
	/* a trailing or doubled comma leaves an empty item strtok skips: reject it */
	if (!err && (list[strlen(list) - 1] == ',' || strstr(list, ",,") || list[0] == ',')) {
		*bad = list;
		err = -1;
	}
	free(copy);
	if (!err)
		sort_unique(t);
	return err;
}

int targets_set_comm(struct targets *t, const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= KS_COMM_LEN)
		return -1;
	memset(t->comm, 0, sizeof(t->comm));
	memcpy(t->comm, name, n);
	t->has_comm = true;
	return 0;
}

void targets_free(struct targets *t)
{
	free(t->pids);
	memset(t, 0, sizeof(*t));
}

bool targets_all(const struct targets *t)
{
	return !t->npids && !t->has_comm;
}

bool targets_match(const struct targets *t, uint32_t tgid, const char *comm)
{
	if (t->npids && !bsearch(&tgid, t->pids, t->npids, sizeof(*t->pids), cmp_u32))
		return false;
	if (t->has_comm && strncmp(comm, t->comm, KS_COMM_LEN))
		return false;
	return true;
}

int targets_option(struct targets *t, int opt, const char *arg)
{
	const char *bad;

	if (opt == 'p' && targets_add_pids(t, arg, &bad)) {
		ks_err("--pid: '%s' is not a list of process ids", arg);
		return -1;
	}
	if (opt == 'c' && targets_set_comm(t, arg)) {
		ks_err("--comm: '%s' must be 1 to %d characters (the kernel's comm length)", arg, KS_COMM_LEN - 1);
		return -1;
	}
	return 0;
}

int targets_resolve(struct targets *t)
{
	for (size_t i = 0; i < t->npids; i++) {
		uint32_t tgid;
		int err = proc_tgid(t->pids[i], &tgid);

		if (err == -ESRCH) {
			ks_err("no process with pid %u", t->pids[i]);
			return -1;
		}
		if (err) {
			ks_err("pid %u: cannot read /proc/%u/status: %s", t->pids[i], t->pids[i], strerror(-err));
			return -1;
		}
		t->pids[i] = tgid;
	}
	/* two threads of one process name it once: sorted and unique again */
	sort_unique(t);
	return 0;
}
