/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef KSMSCOPE_CLI_CMD_LIVE_H
#define KSMSCOPE_CLI_CMD_LIVE_H

int cmd_watch(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_record(int argc, char **argv);

#endif
