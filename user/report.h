#ifndef KSMSCOPE_REPORT_H
#define KSMSCOPE_REPORT_H

int cmd_report(int argc, char **argv);

#endif
