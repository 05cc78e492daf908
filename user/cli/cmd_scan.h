/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef KSMSCOPE_CLI_CMD_SCAN_H
#define KSMSCOPE_CLI_CMD_SCAN_H

int cmd_scan(int argc, char **argv);

#endif
