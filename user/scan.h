#ifndef KSMSCOPE_SCAN_H
#define KSMSCOPE_SCAN_H

int cmd_scan(int argc, char **argv);

#endif
