#ifndef KSMSCOPE_TRACE_H
#define KSMSCOPE_TRACE_H

int cmd_trace(int argc, char **argv);

#endif
