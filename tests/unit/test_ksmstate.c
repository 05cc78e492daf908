// SPDX-License-Identifier: GPL-2.0-only
/* ksmstate: parsing /sys/kernel/mm/ksm files, on a fake directory built under /tmp. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "sys/ksmstate.h"

static void test_parse(void)
{
	struct ksm_file kf;

	memset(&kf, 0x55, sizeof(kf)); /* garbage in: every field is set */
	ksm_file_parse(&kf, "123\n");
	CHECK(kf.numeric);
	CHECK_U64(kf.value, 123);
	CHECK_STR(kf.text, "123");

	ksm_file_parse(&kf, "-5\n"); /* general_profit */
	CHECK(kf.numeric);
	CHECK(kf.value == -5);
	CHECK_STR(kf.text, "-5");

	ksm_file_parse(&kf, "0\n");
	CHECK(kf.numeric);
	CHECK_U64(kf.value, 0);

	ksm_file_parse(&kf, "9223372036854775807\n");
	CHECK(kf.numeric);
	CHECK(kf.value == INT64_MAX);
	ksm_file_parse(&kf, "-9223372036854775808\n");
	CHECK(kf.numeric);
	CHECK(kf.value == INT64_MIN);
	/* out of range: kept as text, not clamped */
	ksm_file_parse(&kf, "9223372036854775808\n");
	CHECK(!kf.numeric);
	CHECK_STR(kf.text, "9223372036854775808");

	ksm_file_parse(&kf, "[none] scan-time\n"); /* advisor_mode */
	CHECK(!kf.numeric);
	CHECK_U64(kf.value, 0);
	CHECK_STR(kf.text, "none");
	ksm_file_parse(&kf, "none [scan-time]\n");
	CHECK(!kf.numeric);
	CHECK_STR(kf.text, "scan-time");
	ksm_file_parse(&kf, "always [madvise] never\n");
	CHECK_STR(kf.text, "madvise");
	ksm_file_parse(&kf, "[1] 0\n"); /* a bracketed number is a choice, not a number */
	CHECK(!kf.numeric);
	CHECK_STR(kf.text, "1");
	ksm_file_parse(&kf, "[]\n");
	CHECK(!kf.numeric);
	CHECK_STR(kf.text, "");
	ksm_file_parse(&kf, "a [b\n"); /* unclosed: plain text */
	CHECK(!kf.numeric);
	CHECK_STR(kf.text, "a [b");

	ksm_file_parse(&kf, "hello\n");
	CHECK(!kf.numeric);
	CHECK_STR(kf.text, "hello");
	ksm_file_parse(&kf, "12abc\n");
	CHECK(!kf.numeric);
	CHECK_STR(kf.text, "12abc");
	ksm_file_parse(&kf, "1 2\n");
	CHECK(!kf.numeric);
	ksm_file_parse(&kf, "\n");
	CHECK(!kf.numeric);
	CHECK_STR(kf.text, "");
	ksm_file_parse(&kf, "");
	CHECK(!kf.numeric);
	CHECK_STR(kf.text, "");
	/* only the first line counts */
	ksm_file_parse(&kf, "7\n8\n");
	CHECK(kf.numeric);
	CHECK_U64(kf.value, 7);
	ksm_file_parse(&kf, "42"); /* no newline */
	CHECK(kf.numeric);
	CHECK_U64(kf.value, 42);
}

static void test_parse_long(void)
{
	struct ksm_file kf;
	char big[300];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ksm_file_parse(&kf, big);
	CHECK(!kf.numeric);
	CHECK_U64(strlen(kf.text), sizeof(kf.text) - 1); /* truncated, terminated */
	big[0] = '[';
	big[200] = ']';
	ksm_file_parse(&kf, big); /* the closing bracket is cut off */
	CHECK(!kf.numeric);
	CHECK_U64(strlen(kf.text), sizeof(kf.text) - 1);
}

static char dir[64];
static int fs_errors; /* fixture set-up/tear-down failures, checked once per test */

static void put_file(const char *name, const char *content, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		fs_errors++;
		return;
	}
	if (write(fd, content, strlen(content)) != (ssize_t)strlen(content))
		fs_errors++;
	close(fd);
	if (chmod(path, mode))
		fs_errors++;
}

static void rm(const char *name, int is_dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (is_dir ? rmdir(path) : unlink(path))
		fs_errors++;
}

#define LONG_NAME "a_name_of_exactly_forty_eight_characters_xxxxxxx"

static void make_dir(void)
{
	char sub[128];

	strcpy(dir, "/tmp/ksmstate_test.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	put_file("run", "1\n", 0644);
	put_file("pages_sharing", "100\n", 0444);
	put_file("pages_shared", "10\n", 0444);
	put_file("ksm_zero_pages", "5\n", 0444);
	put_file("general_profit", "-4096\n", 0444);
	put_file("advisor_mode", "[none] scan-time\n", 0644);
	put_file("max_page_sharing", "256\n", 0644);
	put_file("writeonly", "7\n", 0200);     /* root could read it: the mode says no */
	put_file("noaccess", "8\n", 0000);
	put_file(".hidden", "9\n", 0444);
	put_file(LONG_NAME, "10\n", 0444);      /* does not fit struct ksm_file */
	snprintf(sub, sizeof(sub), "%s/subdir", dir);
	CHECK_U64(mkdir(sub, 0755), 0);
	CHECK_U64(strlen(LONG_NAME), 48);
}

static void remove_dir(void)
{
	static const char *const files[] = { "run", "pages_sharing", "pages_shared", "ksm_zero_pages",
					     "general_profit", "advisor_mode", "max_page_sharing",
					     "writeonly", "noaccess", ".hidden", LONG_NAME };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		rm(files[i], 0);
	rm("subdir", 1);
	CHECK_U64(rmdir(dir), 0);
	CHECK_U64(fs_errors, 0);
}

static void test_read_dir(void)
{
	static struct ksm_state st;
	static const char *const want[] = { "advisor_mode",   "general_profit", "ksm_zero_pages",
					    "max_page_sharing", "pages_shared",  "pages_sharing",
					    "run" };
	struct jw w;
	char expect[512];
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);

	make_dir();
	CHECK_U64(ksm_state_read(dir, &st), 0);
	CHECK_U64(st.page_size, ps);
	CHECK_U64(st.n, 7);
	for (int i = 0; i < 7 && i < st.n; i++)
		CHECK_STR(st.files[i].name, want[i]); /* sorted by name */

	CHECK(ksm_state_get(&st, "writeonly") == NULL);
	CHECK(ksm_state_get(&st, "noaccess") == NULL);
	CHECK(ksm_state_get(&st, "subdir") == NULL);
	CHECK(ksm_state_get(&st, ".hidden") == NULL);
	CHECK(ksm_state_get(&st, LONG_NAME) == NULL);
	CHECK(ksm_state_get(&st, "run") != NULL);

	CHECK(ksm_state_num(&st, "run") == 1);
	CHECK(ksm_state_num(&st, "general_profit") == -4096);
	CHECK(ksm_state_value(&st, "general_profit") == -4096.0);
	CHECK(isnan(ksm_state_value(&st, "no_such_file"))); /* missing: NaN, never a -1 taken for a value */
	CHECK(ksm_state_num(&st, "pages_sharing") == 100);
	CHECK(ksm_state_num(&st, "missing") == -1);
	CHECK(ksm_state_num(&st, "advisor_mode") == -1); /* not a number */
	CHECK_STR(ksm_state_get(&st, "advisor_mode")->text, "none");
	CHECK_U64(ksm_state_saved(&st), 105);

	jw_init(&w);
	ksm_state_json(&st, &w);
	snprintf(expect, sizeof(expect),
		 "{\"advisor_mode\": \"none\", \"general_profit\": -4096, \"ksm_zero_pages\": 5, "
		 "\"max_page_sharing\": 256, \"pages_shared\": 10, \"pages_sharing\": 100, "
		 "\"run\": 1, \"saved\": 105, \"saved_bytes\": %llu, \"unshare_debt_pages\": 105, "
		 "\"mem_available_pages\": null}",
		 (unsigned long long)(105 * ps));
	CHECK_STR(w.b.buf, expect);
	jw_free(&w);
	remove_dir();
}

static void test_saved(void)
{
	static struct ksm_state st;
	struct jw w;

	/* a kernel before ksm_zero_pages (6.10): saved is pages_sharing alone */
	memset(&st, 0, sizeof(st));
	st.page_size = 4096;
	st.mem_available_kb = 2048; /* beside the debt, in pages */
	strcpy(st.files[0].name, "pages_sharing");
	ksm_file_parse(&st.files[0], "300\n");
	strcpy(st.files[1].name, "run");
	ksm_file_parse(&st.files[1], "0\n");
	st.n = 2;
	CHECK(ksm_state_num(&st, "ksm_zero_pages") == -1);
	CHECK_U64(ksm_state_saved(&st), 300);
	jw_init(&w);
	ksm_state_json(&st, &w);
	CHECK_STR(w.b.buf, "{\"pages_sharing\": 300, \"run\": 0, \"saved\": 300, \"saved_bytes\": 1228800, "
			   "\"unshare_debt_pages\": 300, \"mem_available_pages\": 512}");
	jw_free(&w);

	/* both present */
	strcpy(st.files[2].name, "ksm_zero_pages");
	ksm_file_parse(&st.files[2], "20\n");
	st.n = 3;
	CHECK_U64(ksm_state_saved(&st), 320);
	/* only zero pages */
	ksm_file_parse(&st.files[0], "0\n");
	CHECK_U64(ksm_state_saved(&st), 20);
	/* neither, or unreadable as numbers */
	st.n = 0;
	CHECK_U64(ksm_state_saved(&st), 0);
	jw_init(&w);
	ksm_state_json(&st, &w);
	CHECK_STR(w.b.buf, "{\"saved\": 0, \"saved_bytes\": 0, \"unshare_debt_pages\": 0, \"mem_available_pages\": 512}");
	jw_free(&w);
}

static void test_text(void)
{
	static struct ksm_state st;
	char *out = NULL;
	size_t n = 0;
	FILE *f;

	memset(&st, 0, sizeof(st));
	st.page_size = 4096;
	st.mem_available_kb = -1; /* unknown: no debt line */
	strcpy(st.files[0].name, "advisor_mode");
	ksm_file_parse(&st.files[0], "[scan-time] none\n");
	strcpy(st.files[1].name, "pages_sharing");
	ksm_file_parse(&st.files[1], "512\n");
	strcpy(st.files[2].name, "run");
	ksm_file_parse(&st.files[2], "1\n");
	st.n = 3;
	f = open_memstream(&out, &n);
	ksm_state_text(&st, f);
	fclose(f);
	CHECK_STR(out, "KSM running: saved 512 pages (2.0 MiB) = pages_sharing + ksm_zero_pages\n"
		       "  advisor_mode                         scan-time\n"
		       "  pages_sharing                        512\n"
		       "  run                                  1\n");
	free(out);
	st.mem_available_kb = 4096;
	out = NULL;
	f = open_memstream(&out, &n);
	ksm_state_text(&st, f);
	fclose(f);
	CHECK(strstr(out, "\nunshare debt 2.0 MiB (writes to every merged page would allocate it), MemAvailable 4.0 MiB\n"));
	free(out);

	ksm_file_parse(&st.files[2], "2\n");
	out = NULL;
	f = open_memstream(&out, &n);
	ksm_state_text(&st, f);
	fclose(f);
	CHECK(!strncmp(out, "KSM unmerging: ", 15));
	free(out);
	ksm_file_parse(&st.files[2], "0\n");
	out = NULL;
	f = open_memstream(&out, &n);
	ksm_state_text(&st, f);
	fclose(f);
	CHECK(!strncmp(out, "KSM stopped: ", 13));
	free(out);
	st.n = 2; /* no run file */
	out = NULL;
	f = open_memstream(&out, &n);
	ksm_state_text(&st, f);
	fclose(f);
	CHECK(!strncmp(out, "KSM ?: ", 7));
	free(out);
}

static void test_missing_and_empty_dir(void)
{
	static struct ksm_state st;
	char sub[128];

	CHECK(ksm_state_read("/nonexistent/ksmscope/ksm", &st) == -ENOENT);
	CHECK_U64(st.n, 0);
	CHECK(ksm_state_read("/dev/null", &st) == -ENOTDIR);

	/* a directory with nothing readable in it: no KSM */
	strcpy(dir, "/tmp/ksmstate_test.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/subdir", dir);
	CHECK_U64(mkdir(sub, 0755), 0);
	put_file("writeonly", "1\n", 0200);
	CHECK(ksm_state_read(dir, &st) == -ENOENT);
	CHECK_U64(st.n, 0);
	rm("writeonly", 0);
	rm("subdir", 1);
	CHECK_U64(rmdir(dir), 0);
	CHECK_U64(fs_errors, 0);
}

static void test_too_many_files(void)
{
	static struct ksm_state st;
	char name[32];

	strcpy(dir, "/tmp/ksmstate_test.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	for (int i = 0; i < KSM_MAX_FILES + 6; i++) {
		snprintf(name, sizeof(name), "f%03d", i);
		put_file(name, "1\n", 0444);
	}
	CHECK_U64(ksm_state_read(dir, &st), 0);
	CHECK_U64(st.n, KSM_MAX_FILES); /* capped, never overflowing the array */
	for (int i = 1; i < st.n; i++)
		CHECK(strcmp(st.files[i - 1].name, st.files[i].name) < 0);
	for (int i = 0; i < KSM_MAX_FILES + 6; i++) {
		snprintf(name, sizeof(name), "f%03d", i);
		rm(name, 0);
	}
	CHECK_U64(rmdir(dir), 0);
	CHECK_U64(fs_errors, 0);
}

int main(void)
{
	RUN(test_parse);
	RUN(test_parse_long);
	RUN(test_read_dir);
	RUN(test_saved);
	RUN(test_text);
	RUN(test_missing_and_empty_dir);
	RUN(test_too_many_files);
	RESULT();
}
