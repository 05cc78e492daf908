/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How every command ends before its work is done: SIGINT, SIGTERM, SIGHUP or
 * --duration set one flag that the command's loop (or the engine, or the
 * scanner) reads, so that BPF links are detached and files completed on the
 * way out.
 */
#ifndef KSMSCOPE_CLI_STOP_H
#define KSMSCOPE_CLI_STOP_H

#include <argp.h>
#include <signal.h>

/* Set by the signals, the --duration timer, or the command itself (top's q, a closed stdout). */
extern volatile sig_atomic_t cli_stop;

/*
 * SIGINT, SIGTERM and SIGHUP set cli_stop; SIGPIPE is ignored (a write to a
 * closed pipe fails instead); after duration seconds (0: never) SIGALRM sets
 * it too.
 */
void stop_on_signals(double duration);

/* --duration SECS, into the double that struct cli_in's duration points to. */
extern const struct argp cli_stop_argp;

#endif
