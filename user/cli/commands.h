/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The commands of ksmscope. Each takes its own words (argv[0] its name) and
 * returns the exit status: 0, or 1 with one line printed.
 */
#ifndef KSMSCOPE_CLI_COMMANDS_H
#define KSMSCOPE_CLI_COMMANDS_H

int cmd_top(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_ksm(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_features(int argc, char **argv);

#endif
