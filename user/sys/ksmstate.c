// SPDX-License-Identifier: GPL-2.0-only
#include "sys/ksmstate.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "sys/proc.h"

void ksm_file_parse(struct ksm_file *kf, const char *content)
{
	const char *open_b, *close_b;
	char *end;
	size_t n;
	long long v;

	n = strcspn(content, "\n");
	if (n >= sizeof(kf->text))
		n = sizeof(kf->text) - 1;
	memcpy(kf->text, content, n);
	kf->text[n] = '\0';
	kf->numeric = false;
	kf->value = 0;

	/* choice files mark the active value in brackets */
	open_b = strchr(kf->text, '[');
	close_b = open_b ? strchr(open_b, ']') : NULL;
	if (open_b && close_b) {
		size_t len = (size_t)(close_b - open_b - 1);

		memmove(kf->text, open_b + 1, len);
		kf->text[len] = '\0';
		return;
	}
	if (!kf->text[0])
		return;
	errno = 0;
	v = strtoll(kf->text, &end, 10);
	if (!errno && *end == '\0' && end != kf->text) {
		kf->numeric = true;
		kf->value = v;
	}
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct ksm_file *)a)->name, ((const struct ksm_file *)b)->name);
}

int ksm_state_read(const char *dir, struct ksm_state *st)
{
	DIR *d = opendir(dir);
	int open_err = errno;
	struct dirent *de;
	char path[512], buf[256];

	memset(st, 0, sizeof(*st));
	st->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	st->mem_available_kb = -1;
	if (!d)
		return -open_err;
	while ((de = readdir(d)) && st->n < KSM_MAX_FILES) {
		struct stat sb;
		struct ksm_file *kf;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(kf->name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &sb) || !S_ISREG(sb.st_mode) || !(sb.st_mode & 0444))
			continue;
		if (read_small_file(path, buf, sizeof(buf)) < 0)
			continue; /* write-only or vanished: not part of the state */
		kf = &st->files[st->n++];
		strcpy(kf->name, de->d_name);
		ksm_file_parse(kf, buf);
	}
	closedir(d);
	qsort(st->files, st->n, sizeof(st->files[0]), cmp_name);
	return st->n ? 0 : -ENOENT;
}

int ksm_state_read_host(struct ksm_state *st)
{
	int err = ksm_state_read(KSM_SYSFS, st);

	st->mem_available_kb = proc_mem_available_kb();
	return err;
}

int64_t ksm_state_mem_available_pages(const struct ksm_state *st)
{
	/* a state never read has no page size */
	return st->mem_available_kb >= 0 && st->page_size ? st->mem_available_kb * 1024 / (int64_t)st->page_size : -1;
}

const struct ksm_file *ksm_state_get(const struct ksm_state *st, const char *name)
{
	for (int i = 0; i < st->n; i++)
		if (!strcmp(st->files[i].name, name))
			return &st->files[i];
	return NULL;
}

int64_t ksm_state_num(const struct ksm_state *st, const char *name)
{
	const struct ksm_file *kf = ksm_state_get(st, name);

	return kf && kf->numeric ? kf->value : -1;
}

double ksm_state_value(const struct ksm_state *st, const char *name)
{
	const struct ksm_file *kf = ksm_state_get(st, name);

	return kf && kf->numeric ? (double)kf->value : NAN;
}

uint64_t ksm_state_saved(const struct ksm_state *st)
{
	int64_t sharing = ksm_state_num(st, "pages_sharing");
	int64_t zero = ksm_state_num(st, "ksm_zero_pages");

	return (uint64_t)(sharing > 0 ? sharing : 0) + (uint64_t)(zero > 0 ? zero : 0);
}

void ksm_state_json(const struct ksm_state *st, struct jw *w)
{
	uint64_t saved = ksm_state_saved(st);

	jw_obj_begin(w);
	for (int i = 0; i < st->n; i++) {
		const struct ksm_file *kf = &st->files[i];

		if (kf->numeric)
			jw_ki64(w, kf->name, kf->value);
		else
			jw_kstr(w, kf->name, kf->text);
	}
	jw_ku64(w, "saved", saved);
	jw_ku64(w, "saved_bytes", saved * st->page_size);
	/* writes to every merged page would allocate the saving again: beside what the host has free */
	jw_ku64(w, "unshare_debt_pages", saved);
	if (ksm_state_mem_available_pages(st) >= 0)
		jw_ki64(w, "mem_available_pages", ksm_state_mem_available_pages(st));
	else
		jw_kdouble(w, "mem_available_pages", NAN); /* null */
	jw_obj_end(w);
}

static const char *run_name(int64_t run)
{
	switch (run) {
	case 0: return "stopped";
	case 1: return "running";
	case 2: return "unmerging";
	default: return "?";
	}
}

void ksm_state_text(const struct ksm_state *st, FILE *f)
{
	uint64_t saved = ksm_state_saved(st);
	int64_t run = ksm_state_num(st, "run");

	fprintf(f, "KSM %s: saved %" PRIu64 " pages (%.1f MiB) = pages_sharing + ksm_zero_pages\n",
		run_name(run), saved, (double)(saved * st->page_size) / (1 << 20));
	if (st->mem_available_kb >= 0)
		fprintf(f, "unshare debt %.1f MiB (writes to every merged page would allocate it), MemAvailable %.1f MiB\n",
			(double)(saved * st->page_size) / (1 << 20), (double)st->mem_available_kb / 1024);
	for (int i = 0; i < st->n; i++) {
		const struct ksm_file *kf = &st->files[i];

		if (kf->numeric)
			fprintf(f, "  %-36s %" PRId64 "\n", kf->name, kf->value);
		else
			fprintf(f, "  %-36s %s\n", kf->name, kf->text);
	}
}
