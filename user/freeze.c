#include "freeze.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

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

/* 'T' (stopped) or 't' (traced) in /proc/PID/stat; -1 if gone. */
static int proc_state(uint32_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return -1;
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	return p && p[1] == ' ' ? p[2] : -1;
}

int freezer_stop(struct freezer *f, const uint32_t *pids, size_t n)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	uint64_t deadline;

	f->pids = calloc(n ? n : 1, sizeof(*f->pids));
	f->n = 0;
	if (!f->pids) {
		ks_err("out of memory");
		return -1;
	}
	crash_pids = f->pids;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], on_fatal);
	for (size_t i = 0; i < n; i++) {
		int st = proc_state(pids[i]);

		if (st < 0 || st == 'T' || st == 't')
			continue; /* gone, or stopped by someone else: leave it as it is */
		/* record first: a crash between kill and the record would leave it stopped */
		f->pids[f->n] = pids[i];
		crash_n = ++f->n;
		if (kill((pid_t)pids[i], SIGSTOP) && errno == ESRCH)
			crash_n = --f->n;
	}
	/* SIGSTOP is asynchronous: wait until every one has stopped */
	deadline = now_mono_ns() + 5000000000ULL;
	for (size_t i = 0; i < f->n; i++) {
		int st;

		while ((st = proc_state(f->pids[i])) >= 0 && st != 'T' && st != 't') {
			struct timespec ts = { 0, 1000000 };

			if (now_mono_ns() > deadline) {
				ks_err("pid %u did not stop within 5 s", f->pids[i]);
				return -1;
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
