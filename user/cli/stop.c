// SPDX-License-Identifier: GPL-2.0-only
/* One way to stop for every command: the signals and the --duration timer. */
#include "cli/stop.h"

#include <math.h>
#include <string.h>
#include <sys/time.h>

#include "cli/opts.h"
#include "lib/util.h"

volatile sig_atomic_t cli_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

static void catch(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART; /* as signal(2): reads go on; poll and epoll return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

void stop_on_signals(double duration)
{
	catch(SIGINT, on_stop_signal);
	catch(SIGTERM, on_stop_signal);
	catch(SIGHUP, on_stop_signal);
	catch(SIGPIPE, SIG_IGN);
	if (duration > 0) {
		struct itimerval it = { 0 };

		it.it_value.tv_sec = (time_t)duration;
		it.it_value.tv_usec = (suseconds_t)((duration - floor(duration)) * 1e6);
		if (!it.it_value.tv_sec && !it.it_value.tv_usec)
			it.it_value.tv_usec = 1; /* zero would disarm the timer */
		catch(SIGALRM, on_stop_signal);
		setitimer(ITIMER_REAL, &it, NULL);
	}
}

static const struct argp_option stop_options[] = {
	{ "duration", 'd', "SECS", 0, "stop after SECS seconds (default: until Ctrl-C)", 0 },
	{ 0 },
};

static error_t stop_parse(int key, char *arg, struct argp_state *st)
{
	struct cli_in *in = st->input;

	if (key != 'd')
		return ARGP_ERR_UNKNOWN;
	if (parse_seconds(arg, in->duration) || *in->duration <= 0) {
		ks_err("--duration: '%s' is not a positive number of seconds", arg);
		return cli_failed(st);
	}
	return 0;
}

const struct argp cli_stop_argp = { stop_options, stop_parse, NULL, NULL, NULL, NULL, NULL };
