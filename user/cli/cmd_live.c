// SPDX-License-Identifier: GPL-2.0-only
/* The live commands: watch (JSON Lines or text), top (full screen), serve (Prometheus), record (a file). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <sys/utsname.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/stop.h"
#include "engine/engine.h"
#include "scanner/pagehash.h"
#include "scanner/scanner.h"
#include "lib/json_writer.h"
#include "sinks/snapshot_out.h"
#include "sys/preflight.h"
#include "sinks/prom.h"
#include "report/recfile.h"
#include "sinks/httpd.h"
#include "sinks/top.h"
#include "lib/util.h"
#include "sinks/webconfig.h"

enum live_cmd { LIVE_WATCH, LIVE_TOP, LIVE_SERVE, LIVE_RECORD };

struct live_args {
	struct engine_opts eo;
	bool json;
	uint64_t count;      /* watch: stop after this many snapshots (0: never) */
	const char *listen;  /* serve */
	const char *web_config; /* serve: TLS and basic authentication */
	const char *sort;    /* top */
	const char *output;  /* record */
	bool keep_hashes;    /* record */
	const char *key_file;
	double duration;     /* stop after (0: never) */
	enum live_cmd cmd;
};

static const char *const cmd_names[] = { "watch", "top", "serve", "record" };

static const char *const cmd_docs[] = {
	[LIVE_WATCH] =
	"Every interval, the sharing metrics of the targets: what could be saved (from the "
	"scanner's last pass), what KSM saves and why the rest is not (live, from its events), "
	"and what it costs. --json: one JSON object per interval (JSON Lines).",
	[LIVE_TOP] =
	"A full-screen live view: the host's KSM line, then one row per group. Keys: q quits, "
	"s/a/S/i/m/e/c sort by saveable, anon, self, inter, merged, effectiveness, COW breaks. "
	"When stdout is not a terminal, prints the text of watch instead.",
	[LIVE_SERVE] = "Serve the metrics in Prometheus text format at http://ADDR:PORT/metrics.",
	[LIVE_RECORD] =
	"Record the run to FILE: a header (kernel, parameters, KSM settings), every interval's "
	"snapshot, and why it ended, in checksummed blocks (format in README.md). Ctrl-C leaves "
	"a complete file; after a crash every block but the last is intact.",
};

/*
 * Every live command's own options, with the commands that have them: one
 * table, so that another command's option is named as such, not as unknown.
 */
#define OWN(c) (1u << (c))
static const struct {
	struct argp_option o;
	unsigned owners;
} own_options[] = {
	{ { "json", 'j', NULL, 0, "JSON Lines (schema in README.md)", 0 }, OWN(LIVE_WATCH) },
	{ { "count", 'n', "N", 0, "stop after N snapshots", 0 }, OWN(LIVE_WATCH) },
	{ { "listen", 'l', "ADDR:PORT", 0, "where to listen (default 127.0.0.1:9572)", 0 }, OWN(LIVE_SERVE) },
	{ { "web-config", KEY_WEB_CONFIG, "FILE", 0,
	    "TLS and basic authentication from an exporter-toolkit web configuration file (README.md)", 0 },
	  OWN(LIVE_SERVE) },
	{ { "sort", KEY_SORT, "KEY", 0, "saveable (default), anon, self, inter, merged, effectiveness, cow", 0 },
	  OWN(LIVE_TOP) },
	{ { "output", 'o', "FILE", 0, "where to write the recording (replaced if it exists)", 0 }, OWN(LIVE_RECORD) },
	{ { "keep-hashes", KEY_KEEP_HASHES, NULL, 0,
	    "also write each pass's content hashes, so that `report A B` can compare runs or hosts; needs --key", 0 },
	  OWN(LIVE_RECORD) },
	{ { "key", KEY_KEY, "FILE", 0,
	    "hash with a key derived from FILE (16 to 4096 bytes, kept private); recordings compare only "
	    "under the same key", 0 },
	  OWN(LIVE_RECORD) },
};

/* One of own_options, which the command has. */
static error_t own_option(struct live_args *a, int key, char *arg, struct argp_state *st)
{
	switch (key) {
	case 'j':
		a->json = true;
		return 0;
	case 'n':
		if (parse_u64(arg, &a->count) || !a->count) {
			ks_err("--count: '%s' is not a positive integer", arg);
			return cli_failed(st);
		}
		return 0;
	case 'l':
		a->listen = arg;
		return 0;
	case KEY_WEB_CONFIG:
		a->web_config = arg;
		return 0;
	case KEY_SORT:
		a->sort = arg;
		return 0;
	case 'o':
		a->output = arg;
		return 0;
	case KEY_KEEP_HASHES:
		a->keep_hashes = true;
		return 0;
	case KEY_KEY:
		a->key_file = arg;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static error_t live_parse(int key, char *arg, struct argp_state *st)
{
	struct cli_in *in = st->input;
	struct live_args *a = in->own;

	for (size_t i = 0; i < ARRAY_SIZE(own_options); i++) {
		if (own_options[i].o.key != key)
			continue;
		if (own_options[i].owners & OWN(a->cmd))
			return own_option(a, key, arg, st);
		ks_err("%s: option --%s belongs to another command (see ksmscope %s --help)", in->cmd,
		       own_options[i].o.name, in->cmd);
		return cli_failed(st);
	}
	return ARGP_ERR_UNKNOWN;
}

/* The flags of command c. 0: go on; 1: help printed; -1: one line printed. */
static int parse(enum live_cmd c, int argc, char **argv, struct live_args *a)
{
	/* the command's own options shown, the others' hidden (and refused by live_parse) */
	struct argp_option opts[ARRAY_SIZE(own_options) + 1] = { 0 };
	struct argp ap = { opts, live_parse, NULL, cmd_docs[c], NULL, NULL, NULL };
	struct cli_in in = { .cmd = cmd_names[c], .targets = &a->eo.sc.t, .scope = &a->eo.sc, .loader = &a->eo.lo,
			     .engine = &a->eo, .duration = &a->duration, .own = a };

	for (size_t i = 0; i < ARRAY_SIZE(own_options); i++) {
		opts[i] = own_options[i].o;
		if (!(own_options[i].owners & OWN(c)))
			opts[i].flags |= OPTION_HIDDEN;
	}
	a->cmd = c;
	return cli_parse(&ap, CLI_SCOPE | CLI_LIVE | CLI_STOP | CLI_LOADER, &in, argc, argv);
}

/* Everything the engine needs before it starts: privileges, KSM, BTF, the targets. */
static int ready(struct live_args *a)
{
	uint32_t *pids = NULL;
	size_t n = 0;

	if (preflight(NEED_BPF | NEED_PFNS | NEED_PTRACE | NEED_BTF | NEED_KSM))
		return -1;
	/* a --pid that does not exist is an error; a --comm or --cgroup may match later */
	if (scope_check(&a->eo.sc) || scope_select(&a->eo.sc, &pids, &n))
		return -1;
	free(pids);
	if (!n)
		ks_warn("no process matches the targets yet: following the ones that start");
	return 0;
}

struct watch_ctx {
	struct live_args *a;
	struct jw w;
	uint64_t emitted;
};

static int watch_sink(void *ctx, const struct snapshot *s)
{
	struct watch_ctx *c = ctx;

	if (c->a->json) {
		snapshot_json(&c->w, s);
		if (jw_emit_line(&c->w, stdout))
			return 1; /* stdout closed */
	} else {
		snapshot_text(stdout, s);
		if (fflush(stdout) || ferror(stdout))
			return 1;
	}
	c->emitted++;
	return c->a->count && c->emitted >= c->a->count;
}

static void defaults(struct live_args *a)
{
	memset(a, 0, sizeof(*a));
	scope_init(&a->eo.sc);
	a->eo.interval = 1.0;
	a->eo.scan_rate_mib = CLI_DEFAULT_SCAN_RATE_MIB;
	a->eo.first_sample = CLI_DEFAULT_FIRST_SAMPLE;
	a->eo.audit_top = CLI_DEFAULT_AUDIT_TOP;
	a->eo.lo.ringbuf_bytes = 4 << 20;
	a->eo.lo.prefer = SRC_NONE;
}

/* The hash key from the user's key file. 0, or one line printed and -1. */
static int read_key(const char *path, uint64_t *key)
{
	char buf[4097];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0) {
		ks_err("--key: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		ks_err("--key: %s is not a regular file", path);
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		ks_err("--key: cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (n < 16 || n > 4096) {
		ks_err("--key: %s holds %zd bytes; a key file holds 16 to 4096 (e.g. head -c 32 /dev/urandom > FILE)",
		       path, n);
		return -1;
	}
	if (st.st_mode & 0077)
		ks_warn("--key: %s is readable by others: whoever reads it can test recorded hashes for contents", path);
	*key = hasher_key_of(buf, (size_t)n);
	return 0;
}

/* Flags, then everything the engine needs. 0: run; 1: exit 0 (help); -1: exit 1 (one line printed). */
static int live_setup(enum live_cmd c, int argc, char **argv, struct live_args *a)
{
	int r;

	defaults(a);
	if (c == LIVE_SERVE)
		a->listen = "127.0.0.1:9572";
	r = parse(c, argc, argv, a);
	if (r)
		return r;
	if (c == LIVE_RECORD && !a->output) {
		ks_err("record: where to? (-o FILE)");
		return -1;
	}
	if (a->eo.subpage && a->eo.sc.sample > 1) {
		ks_err("--subpage needs --sample 1: sub-page sharing is counted exactly or not at all");
		return -1;
	}
	if (a->keep_hashes != (a->key_file != NULL)) {
		ks_err(a->keep_hashes ? "--keep-hashes needs --key FILE: hashes are written only under a key you keep"
				      : "--key goes with --keep-hashes (without it no hash is written)");
		return -1;
	}
	if (a->key_file && read_key(a->key_file, &a->eo.key))
		return -1;
	a->eo.have_key = a->key_file != NULL;
	if (c == LIVE_TOP && a->sort && top_sort_parse(a->sort) < 0) {
		ks_err("--sort: '%s' is not one of saveable, anon, self, inter, merged, effectiveness, cow", a->sort);
		return -1;
	}
	return ready(a);
}

int cmd_watch(int argc, char **argv)
{
	struct live_args a;
	struct watch_ctx c = { .a = &a };
	int r, ret = 1;

	r = live_setup(LIVE_WATCH, argc, argv, &a);
	if (r) {
		ret = r > 0 ? 0 : 1;
		goto out;
	}
	jw_init(&c.w);
	stop_on_signals(a.duration);
	ret = engine_run(&a.eo, watch_sink, &c, &cli_stop) ? 1 : 0;
	jw_free(&c.w);
out:
	scope_free(&a.eo.sc);
	return ret;
}

struct serve_ctx {
	struct http_server http;
	struct sbuf render;
	bool by_process;
};

static int serve_sink(void *ctx, const struct snapshot *s)
{
	struct serve_ctx *c = ctx;

	prom_render(&c->render, s, c->by_process);
	if (c->render.oom)
		ks_warn("out of memory rendering the metrics: /metrics keeps the previous page");
	http_publish(&c->http, &c->render);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct live_args a;
	struct serve_ctx c = { 0 };
	struct web_config wc = { 0 };
	bool started = false;
	int r, ret = 1;

	r = live_setup(LIVE_SERVE, argc, argv, &a);
	if (r) {
		ret = r > 0 ? 0 : 1;
		goto out;
	}
	c.by_process = a.eo.sc.gb == GROUP_PROCESS;
	if (a.web_config && web_config_load(a.web_config, &wc))
		goto out;
	if (http_start(&c.http, a.listen, a.web_config ? &wc : NULL))
		goto out;
	started = true;
	stop_on_signals(a.duration);
	fprintf(stderr, "Serving KSM sharing metrics at %s://%s/metrics%s. Hit Ctrl-C to end.\n",
		wc.tls ? "https" : "http", a.listen, wc.nusers ? " (basic authentication)" : "");
	ret = engine_run(&a.eo, serve_sink, &c, &cli_stop) ? 1 : 0;
out:
	if (started)
		http_stop(&c.http);
	web_config_free(&wc);
	sbuf_free(&c.render);
	scope_free(&a.eo.sc);
	return ret;
}

struct top_ctx {
	struct sbuf screen;
	_Atomic int sort;
	_Atomic bool done;
};

/* Keys between snapshots: q quits at once, a sort key takes effect at the next one. */
static void *top_keys(void *arg)
{
	struct top_ctx *c = arg;

	while (!atomic_load(&c->done) && !cli_stop) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		int k;

		if (poll(&p, 1, 100) <= 0)
			continue;
		k = term_key();
		if (k == 'q' || k == 'Q')
			cli_stop = 1;
		else if (k >= 0 && top_sort_of_key(k) >= 0)
			atomic_store(&c->sort, top_sort_of_key(k));
		else if (k < 0)
			break; /* stdin closed */
	}
	return NULL;
}

static int top_sink(void *ctx, const struct snapshot *s)
{
	struct top_ctx *c = ctx;
	int rows, cols;
	const char *p;

	term_size(&rows, &cols);
	top_render(&c->screen, s, (enum top_sort)atomic_load(&c->sort), rows, cols);
	if (c->screen.oom)
		return 0;
	/* home, then each line cleared to its end, then the rest of the screen */
	fputs("\033[H", stdout);
	for (p = c->screen.buf; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		fwrite(p, 1, n, stdout);
		fputs("\033[K\n", stdout);
		p += n + (nl ? 1 : 0);
	}
	fputs("\033[J", stdout);
	return fflush(stdout) ? 1 : 0;
}

int cmd_top(int argc, char **argv)
{
	struct live_args a;
	struct top_ctx c = { 0 };
	pthread_t keys;
	bool keys_started = false, term = false;
	int r, ret = 1;

	r = live_setup(LIVE_TOP, argc, argv, &a);
	if (r) {
		ret = r > 0 ? 0 : 1;
		goto out;
	}
	if (a.sort)
		atomic_store(&c.sort, top_sort_parse(a.sort));
	stop_on_signals(a.duration);
	if (!isatty(STDOUT_FILENO)) {
		/* not a terminal: the text of watch, one block per interval */
		struct watch_ctx w = { .a = &a };

		ret = engine_run(&a.eo, watch_sink, &w, &cli_stop) ? 1 : 0;
		goto out;
	}
	if (term_enter())
		goto out;
	term = true;
	if (isatty(STDIN_FILENO) && !pthread_create(&keys, NULL, top_keys, &c))
		keys_started = true;
	ret = engine_run(&a.eo, top_sink, &c, &cli_stop) ? 1 : 0;
out:
	atomic_store(&c.done, true);
	if (keys_started)
		pthread_join(keys, NULL);
	if (term)
		term_leave();
	sbuf_free(&c.screen);
	scope_free(&a.eo.sc);
	return ret;
}

struct record_ctx {
	struct live_args *a;
	int fd;
	pthread_mutex_t mu; /* blocks come from the main thread and (hashes) the scan thread */
	struct jw w;
	uint64_t passes; /* fingerprints written */
	uint64_t snapshots, events;
	struct rec_event_rec *ev; /* this interval's events, written before its snapshot */
	size_t nev, capev;
	atomic_bool failed; /* also set by the scan thread */
	bool headed;        /* the run's header block is written */
};

/* One block with one write(2): a crash leaves every block before it whole. */
static int write_block(struct record_ctx *c, uint32_t type, const char *json, size_t len)
{
	uint8_t *b;
	size_t n;
	ssize_t w;
	/* the bulk (snapshots, events) deflated: JSON of many groups shrinks ~5x */
	int err = type == REC_SNAPSHOT || type == REC_EVENTS ? rec_block_deflated(type, json, len, &b, &n)
							      : rec_block(type, json, len, &b, &n);

	if (err) {
		ks_err("record: %s", strerror(-err));
		return -1;
	}
	pthread_mutex_lock(&c->mu);
	w = write(c->fd, b, n);
	pthread_mutex_unlock(&c->mu);
	free(b);
	if (w != (ssize_t)n) {
		ks_err("record: cannot write %s: %s", c->a->output, w < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

/* The run's header block; sources: the tracer's, NULL when it never attached. 0, or one line printed and -1. */
static int record_header(struct record_ctx *c, const enum ks_src *sources)
{
	struct live_args *a = c->a;
	struct ksm_state ksm;
	struct utsname u;
	struct timespec ts;

	uname(&u);
	clock_gettime(CLOCK_REALTIME, &ts);
	jw_reset(&c->w);
	jw_obj_begin(&c->w);
	jw_ku64(&c->w, "format", REC_VERSION);
	jw_kstr(&c->w, "tool", "ksmscope " KSMSCOPE_VERSION);
	jw_kstr(&c->w, "kernel", u.release);
	jw_kstr(&c->w, "machine", u.machine);
	jw_kstr(&c->w, "host", u.nodename);
	jw_kdouble(&c->w, "started", (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
	jw_key(&c->w, "parameters");
	jw_obj_begin(&c->w);
	jw_kdouble(&c->w, "interval", a->eo.interval);
	jw_kdouble(&c->w, "scan_rate_mib", a->eo.scan_rate_mib);
	jw_ku64(&c->w, "sample", a->eo.sc.sample);
	jw_kstr(&c->w, "group_by", group_by_name(a->eo.sc.gb));
	jw_key(&c->w, "pids");
	jw_arr_begin(&c->w);
	for (size_t i = 0; i < a->eo.sc.t.npids; i++)
		jw_u64(&c->w, a->eo.sc.t.pids[i]);
	jw_arr_end(&c->w);
	if (a->eo.sc.t.has_comm)
		jw_kstr(&c->w, "comm", a->eo.sc.t.comm);
	if (a->eo.sc.cgroup)
		jw_kstr(&c->w, "cgroup", a->eo.sc.cgroup);
	jw_kdouble(&c->w, "duration", a->duration > 0 ? a->duration : NAN);
	jw_kbool(&c->w, "subpage", a->eo.subpage);
	jw_kbool(&c->w, "hashes", a->keep_hashes);
	jw_obj_end(&c->w);
	jw_key(&c->w, "ksm");
	if (ksm_state_read_host(&ksm))
		jw_null(&c->w);
	else
		ksm_state_json(&ksm, &c->w);
	jw_key(&c->w, "tracer");
	if (sources) {
		jw_obj_begin(&c->w);
		jw_key(&c->w, "sources");
		jw_obj_begin(&c->w);
		for (int k = 0; k < CAP__MAX; k++)
			jw_kstr(&c->w, cap_names[k], src_names[sources[k]]);
		jw_obj_end(&c->w);
		jw_obj_end(&c->w);
	} else {
		jw_null(&c->w);
	}
	jw_obj_end(&c->w);
	if (c->w.b.oom) {
		ks_err("out of memory");
		return -1;
	}
	c->headed = true;
	return write_block(c, REC_HEADER, c->w.b.buf, c->w.b.len);
}

/* Once attached: the header, with the tracer's sources. */
static int record_attached(void *ctx, const enum ks_src *sources)
{
	return record_header(ctx, sources);
}

static void record_event(void *ctx, const struct ks_event *e, const struct decision *d)
{
	struct record_ctx *c = ctx;
	struct rec_event_rec r = { .ts_ns = e->ts_ns, .addr = e->addr, .pfn = e->pfn, .pid = e->pid };

	switch (d->kind) {
	case OUT_MERGE: r.kind = RECEV_MERGE; break;
	case OUT_ZERO_MERGE: r.kind = RECEV_ZERO_MERGE; break;
	case OUT_UNMERGE: r.kind = RECEV_UNMERGE; break;
	case OUT_RMAP_REMOVED: r.kind = RECEV_RMAP_REMOVED; break;
	default: return;
	}
	if ((d->kind == OUT_MERGE || d->kind == OUT_ZERO_MERGE) && e->err)
		return; /* as the engine: a failed merge moved nothing */
	r.flags = (uint8_t)((d->zero ? 1 : 0) | ((e->flags & KS_F_KERNEL_FAULT) ? 2 : 0));
	if (GROW(c->ev, c->capev, c->nev + 1, 1024)) {
		c->failed = true; /* the sink stops the engine at the next interval */
		return;
	}
	c->ev[c->nev++] = r;
}

/* From the scan thread: a pass's fingerprint, in parts under the block limit. */
static int record_hashes(void *ctx, const struct hash_rec *r, size_t n, const struct group_info *groups,
			 uint32_t ngroups, uint64_t zero_hash)
{
	struct record_ctx *c = ctx;
	/* parts of 4 MiB: the main thread's blocks wait on the file's lock for one part at most */
	const size_t per = (4u << 20) / REC_HASH_BYTES;
	size_t parts = n ? (n + per - 1) / per : 1;
	struct jw w;
	int err = 0;
	char hex[17];

	jw_init(&w);
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)zero_hash);
	c->passes++;
	for (size_t part = 0; part < parts && !err; part++) {
		size_t from = part * per, k = n - from < per ? n - from : per;
		uint8_t *pay;
		size_t len;
		uint32_t jl;

		jw_reset(&w);
		jw_obj_begin(&w);
		jw_ku64(&w, "pass", c->passes);
		jw_ku64(&w, "part", part);
		jw_ku64(&w, "parts", parts);
		jw_ku64(&w, "sample", c->a->eo.sc.sample);
		jw_kstr(&w, "hash", c->a->eo.subpage ? "tree" : "page");
		jw_kstr(&w, "key_check", hex);
		jw_key(&w, "groups");
		jw_arr_begin(&w);
		for (uint32_t g = 0; g < ngroups; g++) {
			jw_obj_begin(&w);
			jw_kstr(&w, "key", groups[g].key);
			jw_kstr(&w, "comm", groups[g].comm);
			jw_key(&w, "pids");
			jw_arr_begin(&w);
			for (size_t i = 0; i < groups[g].npids; i++)
				jw_u64(&w, groups[g].pids[i]);
			jw_arr_end(&w);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_ku64(&w, "records", k);
		jw_obj_end(&w);
		if (w.b.oom || w.b.len > (4u << 20) - 4) {
			ks_err("record: the fingerprint's group list is too large");
			err = -1;
			break;
		}
		jl = (uint32_t)w.b.len;
		len = 4 + jl + k * REC_HASH_BYTES;
		pay = malloc(len);
		if (!pay) {
			ks_err("record: out of memory");
			err = -1;
			break;
		}
		memcpy(pay, &jl, 4); /* little-endian, as the format */
		memcpy(pay + 4, w.b.buf, jl);
		for (size_t i = 0; i < k; i++) {
			uint8_t *q = pay + 4 + jl + i * REC_HASH_BYTES;

			memcpy(q, &r[from + i].hash, 8);
			memcpy(q + 8, &r[from + i].group, 4);
			memcpy(q + 12, &r[from + i].sites, 4);
		}
		err = write_block(c, REC_HASHES, (const char *)pay, len);
		free(pay);
	}
	jw_free(&w);
	if (err)
		c->failed = true;
	return err;
}

/* The events so far, as one block (the format is little-endian: x86's own order). */
static int flush_events(struct record_ctx *c)
{
	size_t done = 0;

	/* blocks stay under the format's limit */
	while (done < c->nev) {
		size_t n = c->nev - done, max = REC_MAX_PAYLOAD / REC_EVENT_BYTES;

		if (n > max)
			n = max;
		if (write_block(c, REC_EVENTS, (const char *)(c->ev + done), n * REC_EVENT_BYTES))
			return -1;
		done += n;
	}
	c->events += c->nev;
	c->nev = 0;
	return 0;
}

static int record_sink(void *ctx, const struct snapshot *s)
{
	struct record_ctx *c = ctx;

	if (c->failed || flush_events(c)) {
		ks_err("record: out of memory or a write failed: ending the recording");
		c->failed = true;
		return 1;
	}
	snapshot_json(&c->w, s);
	if (c->w.b.oom || write_block(c, REC_SNAPSHOT, c->w.b.buf, c->w.b.len)) {
		c->failed = true;
		return 1;
	}
	c->snapshots++;
	return 0;
}

/* The file, its format header and the run's header block. 0, or one line printed and -1. */
static int record_open(struct record_ctx *c)
{
	uint8_t head[REC_FILE_HEADER];
	const char *path = c->a->output;

	c->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (c->fd < 0) {
		ks_err("record: cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	rec_file_header(head);
	/* O_CREAT's mode does not apply to a file that exists: private either way */
	if (fchmod(c->fd, 0600) || write(c->fd, head, sizeof(head)) != (ssize_t)sizeof(head)) {
		ks_err("record: cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0; /* the run's header once the tracer is attached (record_attached) */
}

/* The last events and the end block, which says why the run ended (run_err: the engine's). 0, or -1. */
static int record_end(struct record_ctx *c, int run_err)
{
	if (!c->failed && flush_events(c))
		c->failed = true;
	/* the tracer never attached: the header all the same, before the end */
	if (!c->headed && record_header(c, NULL))
		return -1;
	jw_reset(&c->w);
	jw_obj_begin(&c->w);
	jw_kstr(&c->w, "reason", run_err || c->failed ? "error" : cli_stop ? "stopped" : "done");
	jw_ku64(&c->w, "snapshots", c->snapshots);
	jw_ku64(&c->w, "events", c->events);
	jw_obj_end(&c->w);
	if (c->w.b.oom || write_block(c, REC_END, c->w.b.buf, c->w.b.len) || fsync(c->fd))
		return -1;
	return run_err || c->failed ? -1 : 0;
}

int cmd_record(int argc, char **argv)
{
	struct live_args a;
	struct record_ctx c = { .a = &a, .fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER };
	int r, ret = 1;

	r = live_setup(LIVE_RECORD, argc, argv, &a);
	if (r) {
		ret = r > 0 ? 0 : 1;
		goto out;
	}
	jw_init(&c.w);
	if (record_open(&c))
		goto out;
	stop_on_signals(a.duration);
	fprintf(stderr, "Recording to %s. Hit Ctrl-C to end.\n", a.output);
	a.eo.on_event = record_event;
	a.eo.event_ctx = &c;
	a.eo.on_attached = record_attached;
	a.eo.attached_ctx = &c;
	if (a.keep_hashes) {
		a.eo.on_hashes = record_hashes;
		a.eo.hashes_ctx = &c;
	}
	r = engine_run(&a.eo, record_sink, &c, &cli_stop);
	/* the file is complete either way */
	ret = record_end(&c, r) ? 1 : 0;
out:
	if (c.fd >= 0 && close(c.fd) && ret == 0) {
		ks_err("record: cannot close %s: %s", a.output, strerror(errno));
		ret = 1;
	}
	jw_free(&c.w);
	free(c.ev);
	scope_free(&a.eo.sc);
	return ret;
}
