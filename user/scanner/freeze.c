// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/freeze.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "sys/proc.h"

/* What the fatal-signal handler resumes: only async-signal-safe reads there. */
static uint32_t *volatile crash_pids;
static volatile size_t crash_n;

static void on_fatal(int sig)
{
	for (size_t i = 0; i < crash_n; i++)
		kill((pid_t)crash_pids[i], SIGCONT);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The state letter of /proc/PID[/task/TID]/stat, or -1 if gone; *flags its PF_* flags. */
static int proc_state(uint32_t pid, uint32_t tid, unsigned long *flags)
{
	struct proc_stat st;

	if (proc_stat(pid, tid, &st))
		return -1;
	if (flags)
		*flags = st.flags;
	return (unsigned char)st.state;
}

#define PF_KTHREAD_ 0x00200000UL /* include/linux/sched.h */

/* Every thread stopped (or dead)? SIGSTOP stops a whole group, one thread at a time. */
static bool all_stopped(uint32_t pid)
{
	uint32_t *tids = NULL;
	size_t n = 0;
	bool all = true;
	int err = proc_threads(pid, &tids, &n);

	if (err)
		return err != -ENOMEM; /* gone (or unreadable: nothing to wait for) */
	for (size_t i = 0; all && i < n; i++) {
		int st = proc_state(pid, tids[i], NULL);

		all = st < 0 || st == 'T' || st == 't' || st == 'Z' || st == 'X';
	}
	free(tids);
	return all;
}

static const int fatal_signals[] = {
	SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGQUIT, SIGTRAP, SIGSYS, SIGXCPU, SIGXFSZ,
	SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF,
};

int freezer_stop(struct freezer *f, const uint32_t *pids, size_t n)
{
	uint64_t deadline;

	f->pids = calloc(n ? n : 1, sizeof(*f->pids));
	f->n = 0;
	f->not_frozen = 0;
	if (!f->pids) {
		ks_err("out of memory");
		return -1;
	}
	crash_pids = f->pids;
	/* any signal that would end us without SIGCONT: resume the targets first */
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		signal(fatal_signals[i], on_fatal);
	for (size_t i = 0; i < n; i++) {
		unsigned long flags = 0;
		int st = proc_state(pids[i], 0, &flags);

		if (st < 0 || st == 'T' || st == 't')
			continue; /* gone, or stopped by someone else: leave it as it is */
		if (st == 'Z' || st == 'X' || (flags & PF_KTHREAD_) || pids[i] == 1) {
			/* nothing to stop (dead, a kernel thread), or init, which ignores SIGSTOP */
			f->not_frozen++;
			continue;
		}
		/* record first: a crash between kill and the record would leave it stopped */
		f->pids[f->n] = pids[i];
		crash_n = ++f->n;
		if (kill((pid_t)pids[i], SIGSTOP) && errno == ESRCH)
			crash_n = --f->n;
	}
	/* SIGSTOP is asynchronous: wait until every thread has stopped */
	deadline = now_mono_ns() + 5000000000ULL;
	for (size_t i = 0; i < f->n; i++) {
		while (!all_stopped(f->pids[i])) {
			struct timespec ts = { 0, 1000000 };

			if (now_mono_ns() > deadline) {
				/* stuck (e.g. in D state): resume it, scan it live, say so */
				ks_warn("pid %u did not stop within 5 s: scanned live", f->pids[i]);
				kill((pid_t)f->pids[i], SIGCONT);
				f->pids[i] = f->pids[--f->n];
				crash_n = f->n;
				f->not_frozen++;
				i--;
				break;
			}
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

void freezer_thaw(struct freezer *f)
{
	for (size_t i = 0; i < f->n; i++)
		kill((pid_t)f->pids[i], SIGCONT);
	crash_n = 0;
	crash_pids = NULL;
	free(f->pids);
	f->pids = NULL;
	f->n = 0;
}
