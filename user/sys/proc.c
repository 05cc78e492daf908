// SPDX-License-Identifier: GPL-2.0-only
#include "sys/proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/util.h"

int proc_tgid(uint32_t pid, uint32_t *tgid)
{
	char path[64];
	uint64_t v;
	int err;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	err = read_keyed_u64(path, "Tgid", &v);
	if (err == -ENOENT)
		return -ESRCH;
	if (err)
		return err;
	*tgid = (uint32_t)v;
	return 0;
}

int proc_comm(uint32_t pid, char comm[KS_COMM_LEN])
{
	char path[64], buf[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	memset(comm, 0, KS_COMM_LEN);
	memcpy(comm, buf, (size_t)n < KS_COMM_LEN - 1 ? (size_t)n : KS_COMM_LEN - 1);
	return 0;
}

/* The numeric entries of a /proc directory. */
static int numeric_entries(const char *dir, uint32_t **out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint32_t *v = NULL;
	size_t cnt = 0, cap = 0;

	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(d))) {
		uint32_t id;

		if (!isdigit((unsigned char)de->d_name[0]) || parse_u32(de->d_name, &id))
			continue;
		if (GROW(v, cap, cnt + 1, 256)) {
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v[cnt++] = id;
	}
	closedir(d);
	*out = v;
	*n = cnt;
	return 0;
}

int proc_list(uint32_t **out, size_t *n)
{
	return numeric_entries("/proc", out, n);
}

int proc_threads(uint32_t pid, uint32_t **out, size_t *n)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/task", pid);
	return numeric_entries(path, out, n);
}

uint32_t proc_find_comm(const char *comm)
{
	uint32_t *pids = NULL, found = 0;
	size_t n = 0;

	if (proc_list(&pids, &n))
		return 0;
	for (size_t i = 0; i < n && !found; i++) {
		char c[KS_COMM_LEN];

		if (!proc_comm(pids[i], c) && !strcmp(c, comm))
			found = pids[i];
	}
	free(pids);
	return found;
}

bool proc_alive(uint32_t pid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%u", pid);
	return !access(path, F_OK);
}

int proc_user(uint32_t pid, char *out, size_t size)
{
	char path[64], buf[1024];
	struct passwd pw, *found = NULL;
	uint64_t uid;
	int err;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	err = read_keyed_u64(path, "Uid", &uid);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &found) || !found)
		snprintf(out, size, "%llu", (unsigned long long)uid);
	else
		snprintf(out, size, "%s", pw.pw_name);
	return 0;
}

int proc_cgroup(uint32_t pid, char *out, size_t size)
{
	char path[64], buf[4096], *line, *save = NULL;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "0::", 3)) { /* the unified (v2) hierarchy */
			snprintf(out, size, "%s", line + 3);
			return 0;
		}
	}
	return -ENOENT;
}

int cgroup2_mount(char *out, size_t size)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char line[1024], dev[256], dir[256], type[64];
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %255s %63s", dev, dir, type) == 3 && !strcmp(type, "cgroup2")) {
			snprintf(out, size, "%s", dir);
			err = 0;
			break;
		}
	fclose(f);
	return err;
}

int proc_ksm_stat(uint32_t pid, struct proc_ksm_stat *st)
{
	char path[64], buf[4096], *line, *save = NULL;
	bool has_merging = false;
	ssize_t n;

	memset(st, 0, sizeof(*st));
	st->mergeable = -1;
	snprintf(path, sizeof(path), "/proc/%u/ksm_stat", pid);
	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0 && (n != -ENOENT || !proc_alive(pid)))
		return n == -ENOENT ? -ESRCH : (int)n;
	/* "ksm_merging_pages 12" lines; other fields (some signed) are not ours; no file before 6.1 */
	for (line = n < 0 ? NULL : strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		uint64_t v;

		if (sp && !strncmp(line, "ksm_mergeable: ", (size_t)(sp - line) + 1)) {
			st->mergeable = !strcmp(sp + 1, "yes");
			continue;
		}
		if (!sp || parse_u64(sp + 1, &v))
			continue;
		*sp = '\0';
		if (!strcmp(line, "ksm_merging_pages")) {
			st->merging_pages = v;
			has_merging = true;
		} else if (!strcmp(line, "ksm_zero_pages")) {
			st->zero_pages = v;
			st->has_zero = true;
		}
	}
	/* before 6.4 ksm_stat has no ksm_merging_pages line: the file of its own (5.19+) */
	if (!has_merging) {
		snprintf(path, sizeof(path), "/proc/%u/ksm_merging_pages", pid);
		if (read_u64_file(path, &st->merging_pages))
			st->merging_pages = 0;
	}
	return 0;
}

int proc_stat(uint32_t pid, uint32_t tid, struct proc_stat *st)
{
	char path[96], buf[1024], *p;
	unsigned long long ut, st_;
	unsigned long fl;
	char state;
	ssize_t n;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%u/task/%u/stat", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!p || p[1] != ' ')
		return -EINVAL;
	/* after ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (sscanf(p + 2, "%c %*d %*d %*d %*d %*d %lu %*u %*u %*u %*u %llu %llu", &state, &fl, &ut, &st_) != 4)
		return -EINVAL;
	st->state = state;
	st->flags = fl;
	st->utime = ut;
	st->stime = st_;
	return 0;
}

double proc_cpu_seconds(uint32_t pid)
{
	struct proc_stat st;

	if (proc_stat(pid, 0, &st))
		return -1;
	return (double)(st.utime + st.stime) / (double)sysconf(_SC_CLK_TCK);
}

double proc_self_cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

uint64_t proc_self_rss_kb(void)
{
	uint64_t kb = 0;

	read_keyed_u64("/proc/self/status", "VmRSS", &kb);
	return kb;
}

uint64_t proc_rss_anon_kb(uint32_t pid)
{
	char path[64];
	uint64_t kb = 0;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	read_keyed_u64(path, "RssAnon", &kb);
	return kb;
}

int64_t proc_mem_available_kb(void)
{
	uint64_t kb;

	return read_keyed_u64("/proc/meminfo", "MemAvailable", &kb) ? -1 : (int64_t)kb;
}

int proc_mem_open(uint32_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

uint64_t proc_ram_start(void)
{
	FILE *f = fopen("/proc/iomem", "re");
	char line[256];
	unsigned long long lo, hi;
	uint64_t start = UINT64_MAX;
	int n;

	if (!f)
		return start;
	/* top-level lines only: "40000000-bfffffff : System RAM" */
	while (fgets(line, sizeof(line), f))
		if (line[0] != ' ' && sscanf(line, "%llx-%llx : %n", &lo, &hi, &n) == 2 &&
		    !strncmp(line + n, "System RAM", 10) && hi > lo && lo < start)
			start = lo;
	fclose(f); /* without CAP_SYS_ADMIN every range reads 0-0: none is taken */
	return start;
}

uint64_t proc_kallsyms(const char *name)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], sym[256];
	unsigned long long addr;
	char type;
	uint64_t found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		/* match the name before parsing: there are ~100k lines */
		if (!strstr(line, name))
			continue;
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 && !strcmp(sym, name)) {
			found = addr;
			break;
		}
	}
	fclose(f);
	return found;
}
