// SPDX-License-Identifier: GPL-2.0-only
/* ksmscope ksm: the host's KSM state, every file of /sys/kernel/mm/ksm. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "lib/json_writer.h"
#include "sys/ksmstate.h"
#include "lib/util.h"

static const struct argp_option ksm_options[] = {
	{ "json", 'j', NULL, 0, "one JSON object", 0 },
	{ 0 },
};

static error_t ksm_parse(int key, char *arg, struct argp_state *st)
{
	(void)arg;
	switch (key) {
	case 'j':
		*(bool *)cli_own(st) = true;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp ksm_argp = {
	ksm_options, ksm_parse, NULL,
	"Every file of " KSM_SYSFS " under its own name, plus saved = pages_sharing + "
	"ksm_zero_pages and saved_bytes. Files this kernel lacks are left out.",
	NULL, NULL, NULL,
};

int cmd_ksm(int argc, char **argv)
{
	struct ksm_state st;
	bool json = false;
	struct cli_in in = { .cmd = "ksm", .own = &json };
	int err = cli_parse(&ksm_argp, 0, &in, argc, argv);

	if (err)
		return err > 0 ? 0 : 1;
	err = ksm_state_read_host(&st);
	if (err == -ENOENT) {
		ks_err("KSM is not built into this kernel (no %s; needs CONFIG_KSM=y)", KSM_SYSFS);
		return 1;
	}
	if (err) {
		ks_err("cannot read %s: %s", KSM_SYSFS, strerror(-err));
		return 1;
	}
	if (json) {
		struct jw w;

		jw_init(&w);
		ksm_state_json(&st, &w);
		err = jw_emit_line(&w, stdout);
		jw_free(&w);
		return err ? 1 : 0;
	}
	ksm_state_text(&st, stdout);
	return fflush(stdout) ? 1 : 0;
}
