/*
 * ksmscope report FILE: read a recording back. This first version checks it
 * block by block and says what it holds; the study's tables and plots come
 * next (issue: record and report).
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "recfile.h"
#include "util.h"

struct tally {
	uint64_t blocks[REC__MAX];
	uint64_t bytes;
	uint64_t end; /* offset just past the last good block */
};

static int count_block(void *ctx, const struct rec_block_view *b)
{
	struct tally *t = ctx;

	t->blocks[b->type]++;
	t->bytes += b->len;
	t->end = b->offset + b->len + REC_BLOCK_OVERHEAD;
	return 0;
}

/* The whole file in memory. 0 or -errno. */
static int slurp(const char *path, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t got = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		int e = S_ISREG(st.st_mode) ? errno : EINVAL;

		close(fd);
		return -e;
	}
	*buf = malloc((size_t)st.st_size ? (size_t)st.st_size : 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			free(*buf);
			close(fd);
			return -e;
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: ksmscope report FILE [--json] [--salvage]\n\n"
		   "Check a recording made by `ksmscope record` block by block and say what it holds.\n"
		   "A truncated or corrupted file is an error naming the offset of the first bad block;\n"
		   "--salvage reports what precedes it instead.\n\n"
		   "  -j, --json      one JSON object\n"
		   "  -s, --salvage   report the good blocks before a bad one (exit 0)\n"
		   "  -h, --help      this help\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "salvage", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct tally t = { 0 };
	struct rec_error e;
	bool json = false, salvage = false;
	uint8_t *buf = NULL;
	size_t len = 0;
	int opt, err, bad;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "jsh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = json_errors = true;
			break;
		case 's':
			salvage = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			ks_bad_option("report", argv);
			return 1;
		}
	}
	if (optind != argc - 1) {
		ks_err("report: one recording, please (see ksmscope report --help)");
		return 1;
	}
	err = slurp(argv[optind], &buf, &len);
	if (err) {
		ks_err("report: cannot read %s: %s", argv[optind], strerror(-err));
		return 1;
	}
	bad = rec_walk(buf, len, count_block, &t, &e);
	free(buf);
	if (bad && !salvage) {
		ks_err("report: %s: %s at offset %llu (--salvage reports the blocks before it)", argv[optind], e.what,
		       (unsigned long long)e.offset);
		return 1;
	}
	if (json) {
		struct jw w;

		jw_init(&w);
		jw_obj_begin(&w);
		jw_kstr(&w, "file", argv[optind]);
		jw_ku64(&w, "format", REC_VERSION);
		jw_kbool(&w, "complete", !bad && t.blocks[REC_END] == 1);
		jw_key(&w, "blocks");
		jw_obj_begin(&w);
		for (uint32_t k = 1; k < REC__MAX; k++)
			jw_ku64(&w, rec_type_name(k), t.blocks[k]);
		jw_obj_end(&w);
		jw_ku64(&w, "good_bytes", bad ? e.offset : len);
		if (bad) {
			jw_key(&w, "error");
			jw_obj_begin(&w);
			jw_ku64(&w, "offset", e.offset);
			jw_kstr(&w, "what", e.what);
			jw_obj_end(&w);
		}
		jw_obj_end(&w);
		err = jw_emit_line(&w, stdout);
		jw_free(&w);
		return err ? 1 : 0;
	}
	printf("%s: ksmscope recording, format %u: %llu header, %llu snapshots, %s\n", argv[optind], REC_VERSION,
	       (unsigned long long)t.blocks[REC_HEADER], (unsigned long long)t.blocks[REC_SNAPSHOT],
	       bad ? "cut short" : t.blocks[REC_END] ? "complete" : "no end block (still being written?)");
	if (bad)
		printf("first bad block at offset %llu: %s; the %llu bytes before it are good\n",
		       (unsigned long long)e.offset, e.what, (unsigned long long)e.offset);
	return fflush(stdout) ? 1 : 0;
}
