// SPDX-License-Identifier: GPL-2.0-only
#include "sys/procmaps.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "sys/proc.h"

void vma_list_free(struct vma_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static struct vma *vma_push(struct vma_list *l)
{
	if (GROW(l->v, l->cap, l->n + 1, 64))
		return NULL;
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

/* "start-end perms offset dev inode   path" */
static int parse_header(const char *line, struct vma *v)
{
	int pos = 0;
	unsigned long long start, end, off;
	char perms[8];
	const char *p;

	if (sscanf(line, "%llx-%llx %7s %llx %*s %*u%n", &start, &end, perms, &off, &pos) != 4 || !pos)
		return -1;
	if (end <= start || strlen(perms) != 4)
		return -1;
	v->start = start;
	v->end = end;
	v->offset = off;
	memcpy(v->perms, perms, 5);
	v->shared = perms[3] == 's';
	p = line + pos;
	while (*p == ' ' || *p == '\t')
		p++;
	snprintf(v->path, sizeof(v->path), "%.*s", (int)strcspn(p, "\n"), p);
	return 0;
}

static bool is_header(const char *line)
{
	/* headers start with a hex address; attribute lines with a capitalised key */
	const char *dash = strchr(line, '-');

	if (!dash || dash == line)
		return false;
	for (const char *p = line; p < dash; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static bool has_flag(const char *flags, const char *flag)
{
	size_t n = strlen(flag);

	for (const char *p = flags; (p = strstr(p, flag)); p += n)
		if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

int smaps_parse(FILE *f, struct vma_list *out)
{
	char line[4096];
	struct vma *cur = NULL;
	unsigned long long kb;
	bool tail = false;

	memset(out, 0, sizeof(*out));
	while (fgets(line, sizeof(line), f)) {
		/* the rest of a line longer than the buffer (a deep path) is not a line of its own */
		bool was_tail = tail;

		tail = !strchr(line, '\n');
		if (was_tail)
			continue;
		if (is_header(line)) {
			cur = vma_push(out);
			if (!cur)
				goto nomem;
			if (parse_header(line, cur))
				goto bad;
		} else if (!cur) {
			goto bad;
		} else if (!strncmp(line, "VmFlags:", 8)) {
			cur->mergeable = has_flag(line + 8, "mg");
			cur->hugetlb = has_flag(line + 8, "ht");
		} else if (sscanf(line, "Anonymous: %llu kB", &kb) == 1) {
			cur->anon_kb = kb;
		} else if (sscanf(line, "KSM: %llu kB", &kb) == 1) {
			cur->ksm_kb = kb;
		}
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO;

		vma_list_free(out);
		return -e;
	}
	return 0;
bad:
	vma_list_free(out);
	return -EINVAL;
nomem:
	vma_list_free(out);
	return -ENOMEM;
}

/* smaps text from f (NULL: errno says why), then f closed */
static int parse_file(FILE *f, struct vma_list *out)
{
	int err;

	if (!f)
		return -errno;
	errno = 0;
	err = smaps_parse(f, out);
	fclose(f);
	return err;
}

int smaps_parse_buf(const char *buf, size_t len, struct vma_list *out)
{
	memset(out, 0, sizeof(*out));
	/* no mappings: fmemopen refuses an empty buffer */
	return len ? parse_file(fmemopen((void *)buf, len, "r"), out) : 0;
}

int smaps_read(pid_t pid, struct vma_list *out)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	return parse_file(fopen(path, "re"), out);
}

/*
 * Whether /proc/PID/maps says all the scanner needs of pid's mappings: none is
 * VM_MERGEABLE (ksm_stat's ksm_mergeable walks them all; kernels after 6.12)
 * and none holds a hugetlb page (status HugetlbPages), so that the VmFlags the
 * scanner reads ("mg", "ht") would be off or change nothing (a hugetlb mapping
 * without a page has no site either way). Reads into the stack only.
 */
static bool maps_suffice(pid_t pid)
{
	struct proc_ksm_stat ks;
	char path[64];
	uint64_t kb;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return !proc_ksm_stat((uint32_t)pid, &ks) && ks.mergeable == 0 && !read_keyed_u64(path, "HugetlbPages", &kb) &&
	       kb == 0;
}

static void vmas_path(pid_t pid, char *path, size_t size)
{
	snprintf(path, size, "/proc/%d/%s", (int)pid, maps_suffice(pid) ? "maps" : "smaps");
}

ssize_t vmas_text(pid_t pid, char *buf, size_t size)
{
	char path[64];

	vmas_path(pid, path, sizeof(path));
	return read_small_file(path, buf, size);
}

int vmas_read(pid_t pid, struct vma_list *out)
{
	char path[64];

	vmas_path(pid, path, sizeof(path));
	return parse_file(fopen(path, "re"), out);
}
