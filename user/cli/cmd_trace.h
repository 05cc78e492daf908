/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef KSMSCOPE_CLI_CMD_TRACE_H
#define KSMSCOPE_CLI_CMD_TRACE_H

int cmd_trace(int argc, char **argv);

#endif
