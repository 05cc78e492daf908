/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef KSMSCOPE_CLI_CMD_REPORT_H
#define KSMSCOPE_CLI_CMD_REPORT_H

int cmd_report(int argc, char **argv);

#endif
