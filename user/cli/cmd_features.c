// SPDX-License-Identifier: GPL-2.0-only
/* ksmscope features: which source each capability takes on this kernel, what was tried, and why not. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "lib/json_writer.h"
#include "lib/util.h"
#include "scanner/ksmflag.h"
#include "scanner/pageread.h"
#include "sinks/features_out.h"
#include "sys/ksmstate.h"
#include "sys/pagemap.h"
#include "sys/preflight.h"
#include "tracer/loader.h"

#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68
#endif

struct features_job {
	struct loader_opts lo;
	struct targets t;
	bool json;
};

static const struct argp_option features_options[] = {
	{ "json", 'j', NULL, 0, "one JSON object", 0 },
	{ 0 },
};

static error_t features_parse(int key, char *arg, struct argp_state *st)
{
	struct features_job *f = cli_own(st);

	(void)arg;
	if (key == 'j') {
		f->json = true;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp features_argp = {
	features_options, features_parse, NULL,
	"Which source each capability of the tracer takes on this kernel (tp_btf, tracepoint, "
	"fexit, kprobe, polling), what was tried before it and why each was refused, and what "
	"the chosen one loses; then the page reader and the KSM interfaces this kernel has. "
	"Every candidate is loaded for a moment; nothing stays attached. --hooks says which "
	"source to try first.",
	NULL, NULL, NULL,
};

static bool exists(const char *path)
{
	struct stat sb;

	return !stat(path, &sb);
}

static void ksm_interfaces(struct kernel_features *k)
{
	const struct {
		const char *name, *path, *since, *lacking;
	} files[] = {
		{ "ksm_merging_pages", "/proc/self/ksm_merging_pages", "5.19",
		  "merged pages per process come from pagemap and kpageflags (scan, passes)" },
		{ "ksm_stat", "/proc/self/ksm_stat", "6.1", "KSM zero-page merges per process cannot be placed" },
		{ "ksm_zero_pages", KSM_SYSFS "/ksm_zero_pages", "6.5", "ksm_zero_pages is null: not counted host-wide" },
		{ "general_profit", KSM_SYSFS "/general_profit", "6.4", "general_profit is null and ksmscope_ksm_general_profit_bytes NaN" },
		{ "smart_scan", KSM_SYSFS "/smart_scan", "6.7", "none: a setting KSM lacks" },
		{ "advisor_mode", KSM_SYSFS "/advisor_mode", "6.9", "none: a setting KSM lacks" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		k->ksm[k->nksm++] = (typeof(k->ksm[0])){ files[i].name, files[i].since, files[i].lacking,
							 exists(files[i].path) };
	errno = 0;
	k->ksm[k->nksm++] = (typeof(k->ksm[0])){ "PR_SET_MEMORY_MERGE", "6.4",
						 "a whole process cannot be made mergeable (madvise ranges instead)",
						 prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0) >= 0 };
}

int cmd_features(int argc, char **argv)
{
	struct features_job f = { .lo = { .targets = &f.t, .ringbuf_bytes = 4 << 20, .prefer = SRC_NONE } };
	struct cli_in in = { .cmd = "features", .loader = &f.lo, .own = &f };
	struct kernel_features k = { 0 };
	struct loader l;
	struct pageread pr;
	struct utsname u;
	char err[256] = "";
	int ret, r, kpf;

	ret = cli_parse(&features_argp, CLI_LOADER, &in, argc, argv);
	if (ret)
		return ret > 0 ? 0 : 1;
	if (preflight(NEED_BPF))
		return 1;
	uname(&u);
	snprintf(k.release, sizeof(k.release), "%.64s %.64s", u.release, u.machine);
	/* a capability without a source is what this command reports, not an error */
	ks_err_capture(err, sizeof(err));
	k.traced = loader_probe_all(&l, &f.lo) == 0;
	r = pageread_open(&pr);
	ks_err_capture(NULL, 0);
	k.prefixes_by_frame = r == 0;
	if (r)
		snprintf(k.prefixes_why, sizeof(k.prefixes_why), "%s", strerror(-r));
	else
		pageread_close(&pr);
	kpf = kpageflags_open();
	if (kpf >= 0) {
		ksmflag_init(kpf, k.ksm_flag_why, sizeof(k.ksm_flag_why));
		k.ksm_flag = ksmflag_state();
		close(kpf);
	} else {
		k.ksm_flag = KSMFLAG_BROKEN;
		snprintf(k.ksm_flag_why, sizeof(k.ksm_flag_why), "cannot open /proc/kpageflags: %s", strerror(-kpf));
	}
	ksm_interfaces(&k);
	if (f.json) {
		struct jw w;

		jw_init(&w);
		features_json(&w, &l, &k);
		ret = jw_emit_line(&w, stdout) ? 1 : 0;
		jw_free(&w);
	} else {
		features_text(stdout, &l, &k);
	}
	loader_stop(&l);
	return ret;
}
