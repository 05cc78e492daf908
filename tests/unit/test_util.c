// SPDX-License-Identifier: GPL-2.0-only
/* util: strict number parsers, small-file readers, and the error printer. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "lib/json_reader.h"
#include "lib/util.h"

static void test_parse_u64(void)
{
	uint64_t v = 77;

	CHECK_U64(parse_u64("0", &v), 0);
	CHECK_U64(v, 0);
	CHECK_U64(parse_u64("123", &v), 0);
	CHECK_U64(v, 123);
	CHECK_U64(parse_u64("007", &v), 0);
	CHECK_U64(v, 7);
	CHECK_U64(parse_u64("18446744073709551615", &v), 0);
	CHECK_U64(v, UINT64_MAX);

	v = 77;
	CHECK(parse_u64("18446744073709551616", &v) == -1); /* overflow */
	CHECK(parse_u64("99999999999999999999999", &v) == -1);
	CHECK(parse_u64("-1", &v) == -1);  /* strtoull would wrap it */
	CHECK(parse_u64("-0", &v) == -1);
	CHECK(parse_u64("+1", &v) == -1);
	CHECK(parse_u64(" 1", &v) == -1);
	CHECK(parse_u64("1 ", &v) == -1);
	CHECK(parse_u64("1\n", &v) == -1);
	CHECK(parse_u64("", &v) == -1);
	CHECK(parse_u64(NULL, &v) == -1);
	CHECK(parse_u64("abc", &v) == -1);
	CHECK(parse_u64("12abc", &v) == -1);
	CHECK(parse_u64("0x10", &v) == -1);
	CHECK(parse_u64("1.5", &v) == -1);
	CHECK_U64(v, 77); /* untouched on error */
}

static void test_parse_u32(void)
{
	uint32_t v = 77;

	CHECK_U64(parse_u32("4294967295", &v), 0);
	CHECK_U64(v, UINT32_MAX);
	CHECK_U64(parse_u32("0", &v), 0);
	CHECK_U64(v, 0);
	v = 77;
	CHECK(parse_u32("4294967296", &v) == -1);
	CHECK(parse_u32("99999999999", &v) == -1);
	CHECK(parse_u32("18446744073709551615", &v) == -1);
	CHECK(parse_u32("-1", &v) == -1);
	CHECK(parse_u32("", &v) == -1);
	CHECK(parse_u32(" 5", &v) == -1);
	CHECK_U64(v, 77);
}

static void test_parse_seconds(void)
{
	double v = -7;

	CHECK_U64(parse_seconds("0.5", &v), 0);
	CHECK(v == 0.5);
	CHECK_U64(parse_seconds("2", &v), 0);
	CHECK(v == 2.0);
	CHECK_U64(parse_seconds("0", &v), 0); /* callers decide whether 0 is allowed */
	CHECK(v == 0.0);
	CHECK_U64(parse_seconds(".25", &v), 0);
	CHECK(v == 0.25);
	CHECK_U64(parse_seconds("10.", &v), 0);
	CHECK(v == 10.0);
	CHECK_U64(parse_seconds("1000000000", &v), 0); /* the upper bound itself */
	CHECK(v == 1e9);

	v = -7;
	CHECK(parse_seconds("abc", &v) == -1);
	CHECK(parse_seconds("-1", &v) == -1);
	CHECK(parse_seconds("-0.5", &v) == -1);
	CHECK(parse_seconds("+1", &v) == -1);
	CHECK(parse_seconds("nan", &v) == -1);
	CHECK(parse_seconds("NAN", &v) == -1);
	CHECK(parse_seconds("inf", &v) == -1);
	CHECK(parse_seconds("infinity", &v) == -1);
	CHECK(parse_seconds("1e99", &v) == -1);
	CHECK(parse_seconds("1e400", &v) == -1); /* ERANGE */
	CHECK(parse_seconds("1000000001", &v) == -1);
	CHECK(parse_seconds("", &v) == -1);
	CHECK(parse_seconds(NULL, &v) == -1);
	CHECK(parse_seconds(".", &v) == -1);
	CHECK(parse_seconds(" 1", &v) == -1);
	CHECK(parse_seconds("1 ", &v) == -1);
	CHECK(parse_seconds("1s", &v) == -1);
	CHECK(parse_seconds("1,5", &v) == -1);
	CHECK(v == -7);
}

static void test_parse_size(void)
{
	uint64_t v = 77;

	CHECK_U64(parse_size("4096", &v), 0);
	CHECK_U64(v, 4096);
	CHECK_U64(parse_size("64K", &v), 0);
	CHECK_U64(v, 65536);
	CHECK_U64(parse_size("64k", &v), 0);
	CHECK_U64(v, 65536);
	CHECK_U64(parse_size("8M", &v), 0);
	CHECK_U64(v, 8ULL << 20);
	CHECK_U64(parse_size("8m", &v), 0);
	CHECK_U64(v, 8ULL << 20);
	CHECK_U64(parse_size("1G", &v), 0);
	CHECK_U64(v, 1ULL << 30);
	CHECK_U64(parse_size("3g", &v), 0);
	CHECK_U64(v, 3ULL << 30);
	CHECK_U64(parse_size("0", &v), 0);
	CHECK_U64(v, 0);
	CHECK_U64(parse_size("0K", &v), 0);
	CHECK_U64(v, 0);
	CHECK_U64(parse_size("18446744073709551615", &v), 0);
	CHECK_U64(v, UINT64_MAX);
	/* the largest multiples that fit */
	CHECK_U64(parse_size("17179869183G", &v), 0);
	CHECK_U64(v, 17179869183ULL << 30);
	CHECK_U64(parse_size("18014398509481983K", &v), 0);
	CHECK_U64(v, 18014398509481983ULL << 10);

	v = 77;
	CHECK(parse_size("1T", &v) == -1);
	CHECK(parse_size("1P", &v) == -1);
	CHECK(parse_size("17179869184G", &v) == -1); /* 2^64: overflow */
	CHECK(parse_size("18014398509481984K", &v) == -1);
	CHECK(parse_size("17592186044416M", &v) == -1);
	CHECK(parse_size("18446744073709551616", &v) == -1);
	CHECK(parse_size("", &v) == -1);
	CHECK(parse_size(NULL, &v) == -1);
	CHECK(parse_size("K", &v) == -1);
	CHECK(parse_size("-1", &v) == -1);
	CHECK(parse_size("-1K", &v) == -1);
	CHECK(parse_size("1KB", &v) == -1);
	CHECK(parse_size("1KK", &v) == -1);
	CHECK(parse_size("1.5M", &v) == -1);
	CHECK(parse_size(" 4K", &v) == -1);
	CHECK(parse_size("4 K", &v) == -1);
	CHECK(parse_size("0x1000", &v) == -1);
	CHECK(parse_size("0000000000000000000000000000000000000001", &v) == -1); /* too long */
	CHECK_U64(v, 77);
}

static char tmpdir[64];

static char *tmp_file(const char *name, const char *content)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content))
		t_fail++, fprintf(stderr, "FAIL: cannot write %s\n", path);
	if (fd >= 0)
		close(fd);
	return path;
}

static void test_read_keyed(void)
{
	/* /proc/PID/ksm_stat as the kernel writes it */
	const char *p = tmp_file("ksm_stat", "ksm_rmap_items 12\n"
					     "ksm_zero_pages 3\n"
					     "ksm_merging_pages 5\n"
					     "ksm_process_profit -4096\n"
					     "ksm_merge_any: no\n"
					     "ksm_mergeable: yes\n");
	uint64_t v = 77;

	CHECK_U64(read_keyed_u64(p, "ksm_rmap_items", &v), 0);
	CHECK_U64(v, 12);
	CHECK_U64(read_keyed_u64(p, "ksm_zero_pages", &v), 0);
	CHECK_U64(v, 3);
	CHECK_U64(read_keyed_u64(p, "ksm_merging_pages", &v), 0);
	CHECK_U64(v, 5);
	v = 77;
	CHECK(read_keyed_u64(p, "ksm_process_profit", &v) == -EINVAL); /* negative */
	CHECK(read_keyed_u64(p, "ksm_merge_any", &v) == -EINVAL);
	CHECK(read_keyed_u64(p, "ksm_rmap", &v) == -ENOENT); /* a prefix is not the key */
	CHECK(read_keyed_u64(p, "rmap_items", &v) == -ENOENT);
	CHECK(read_keyed_u64(p, "missing", &v) == -ENOENT);
	CHECK_U64(v, 77);

	/* /proc/vmstat: hundreds of lines, the key may be anywhere, no final newline */
	{
		char *big = malloc(16384);
		size_t n = 0;

		for (int i = 0; i < 150; i++)
			n += (size_t)snprintf(big + n, 16384 - n, "nr_counter_%d %d\n", i, i * 3);
		snprintf(big + n, 16384 - n, "nr_free_pages_blocks 9\nnr_free_pages 4242");
		p = tmp_file("vmstat", big);
		CHECK_U64(read_keyed_u64(p, "nr_free_pages", &v), 0);
		CHECK_U64(v, 4242);
		CHECK_U64(read_keyed_u64(p, "nr_counter_0", &v), 0);
		CHECK_U64(v, 0);
		CHECK_U64(read_keyed_u64(p, "nr_counter_149", &v), 0);
		CHECK_U64(v, 447);
		CHECK_U64(read_keyed_u64(p, "nr_counter_14", &v), 0);
		CHECK_U64(v, 42);
		CHECK(read_keyed_u64(p, "nr_counter_150", &v) == -ENOENT);
		free(big);
	}

	/* /proc/PID/status: "Key:\tvalue" and values with units */
	p = tmp_file("status", "Name:\tbash\nTgid:\t1234\nPid:\t1240\nVmRSS:\t    5678 kB\n"
			       "Empty:\nBlank: \t \nTracerPid:\t0\n");
	CHECK_U64(read_keyed_u64(p, "Tgid", &v), 0);
	CHECK_U64(v, 1234);
	CHECK_U64(read_keyed_u64(p, "Pid", &v), 0);
	CHECK_U64(v, 1240);
	CHECK_U64(read_keyed_u64(p, "VmRSS", &v), 0);
	CHECK_U64(v, 5678);
	CHECK_U64(read_keyed_u64(p, "TracerPid", &v), 0);
	CHECK_U64(v, 0);
	CHECK(read_keyed_u64(p, "Name", &v) == -EINVAL);
	CHECK(read_keyed_u64(p, "Empty", &v) == -EINVAL);
	CHECK(read_keyed_u64(p, "Blank", &v) == -EINVAL);

	/* duplicate keys: the first one counts */
	p = tmp_file("dup", "a 1\na 2\n");
	CHECK_U64(read_keyed_u64(p, "a", &v), 0);
	CHECK_U64(v, 1);

	CHECK(read_keyed_u64("/nonexistent/ksm_stat", "a", &v) == -ENOENT);
}

static void test_read_files(void)
{
	char buf[8];
	uint64_t v = 77;
	const char *p;

	p = tmp_file("num", "42\n");
	CHECK_U64(read_u64_file(p, &v), 0);
	CHECK_U64(v, 42);
	p = tmp_file("num2", "43 \n");
	CHECK_U64(read_u64_file(p, &v), 0);
	CHECK_U64(v, 43);
	p = tmp_file("num3", "44");
	CHECK_U64(read_u64_file(p, &v), 0);
	CHECK_U64(v, 44);
	v = 77;
	p = tmp_file("neg", "-1\n");
	CHECK(read_u64_file(p, &v) == -EINVAL);
	p = tmp_file("txt", "[always] never\n");
	CHECK(read_u64_file(p, &v) == -EINVAL);
	p = tmp_file("empty", "");
	CHECK(read_u64_file(p, &v) == -EINVAL);
	p = tmp_file("two", "1\n2\n");
	CHECK(read_u64_file(p, &v) == -EINVAL);
	CHECK(read_u64_file("/nonexistent/x", &v) == -ENOENT);
	CHECK_U64(v, 77);

	/* read_u64_fd reads from the start each time, as a polled counter is */
	{
		int fd;

		p = tmp_file("counter", "5\n");
		fd = open(p, O_RDWR);
		CHECK(fd >= 0);
		CHECK_U64(read_u64_fd(fd, &v), 0);
		CHECK_U64(v, 5);
		CHECK_U64(read_u64_fd(fd, &v), 0); /* again: the same, not end of file */
		CHECK_U64(v, 5);
		CHECK(pwrite(fd, "61\n", 3, 0) == 3);
		CHECK_U64(read_u64_fd(fd, &v), 0);
		CHECK_U64(v, 61);
		CHECK(pwrite(fd, "x", 1, 0) == 1);
		CHECK(read_u64_fd(fd, &v) == -EINVAL);
		close(fd);
		CHECK(read_u64_fd(fd, &v) == -EBADF);
		CHECK_U64(v, 61);
		v = 77;
	}

	/* read_small_file truncates to the buffer and always terminates */
	p = tmp_file("long", "0123456789abcdef");
	CHECK_U64(read_small_file(p, buf, sizeof(buf)), 7);
	CHECK_STR(buf, "0123456");
	p = tmp_file("short", "ab");
	CHECK_U64(read_small_file(p, buf, sizeof(buf)), 2);
	CHECK_STR(buf, "ab");
	CHECK(read_small_file(tmpdir, buf, sizeof(buf)) == -EISDIR);
	CHECK(read_small_file("/nonexistent/x", buf, sizeof(buf)) == -ENOENT);
	/* a procfs file (size 0 in stat) is read in full */
	{
		char comm[64];
		ssize_t n = read_small_file("/proc/self/comm", comm, sizeof(comm));

		CHECK_U64(n, strlen("test_util\n"));
		CHECK_STR(comm, "test_util\n");
	}
}

static void cleanup_tmp(void)
{
	static const char *const names[] = { "ksm_stat", "vmstat", "status", "dup", "num", "num2",
					     "num3", "neg", "txt", "empty", "two", "counter", "long", "short" };
	char path[256];
	int errs = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		errs += unlink(path) != 0;
	}
	errs += rmdir(tmpdir) != 0;
	CHECK_U64(errs, 0);
}

/* Run fn with stderr sent to a file; return what it wrote (caller frees). */
static char *capture_stderr(void (*fn)(void))
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	long n;
	char *out;

	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = lseek(fileno(tmp), 0, SEEK_END);
	if (n < 0)
		n = 0;
	out = calloc(1, (size_t)n + 1);
	if (pread(fileno(tmp), out, (size_t)n, 0) != n)
		out[0] = '\0';
	fclose(tmp);
	return out;
}

static void emit_plain(void)
{
	json_errors = false;
	ks_err("no process with pid %u", 42u);
	ks_warn("pid %d: %s", 7, "gone");
}

static void emit_json(void)
{
	json_errors = true;
	ks_err("bad \"%s\" \\ arg\x01\n", "x");
	ks_warn("warnings stay text");
	json_errors = false;
}

/* An argument echoed in an error may be any bytes: the line stays valid JSON. */
static void emit_json_bytes(void)
{
	json_errors = true;
	ks_err("--pid: '%s' is not a list of process ids", "\xff");
	ks_err("--comm: '%s'", "caf\xc3\xa9 \xc3( \xed\xa0\x80");
	json_errors = false;
}

static void test_messages(void)
{
	char *out = capture_stderr(emit_plain);

	CHECK_STR(out, "ksmscope: no process with pid 42\nksmscope: warning: pid 7: gone\n");
	free(out);
	out = capture_stderr(emit_json);
	CHECK_STR(out, "{\"error\": \"bad \\\"x\\\" \\\\ arg\"}\nksmscope: warning: warnings stay text\n");
	free(out);
	/* bytes >= 0x80 as the JSON writer writes them: UTF-8 kept, anything else \u00XX */
	out = capture_stderr(emit_json_bytes);
	CHECK_STR(out, "{\"error\": \"--pid: '\\u00ff' is not a list of process ids\"}\n"
		       "{\"error\": \"--comm: 'caf\xc3\xa9 \\u00c3( \\u00ed\\u00a0\\u0080'\"}\n");
	{
		char *nl = out ? strchr(out, '\n') : NULL;
		const char *e = NULL;
		size_t off = 0;
		struct jv *v = nl ? jv_parse(out, (size_t)(nl - out), &off, &e) : NULL;

		CHECK(v != NULL);
		CHECK_STR(v ? jv_str(v, "error", NULL) : NULL, "--pid: '\xc3\xbf' is not a list of process ids");
		jv_free(v);
	}
	free(out);
}

static void test_printable(void)
{
	char b[8];

	CHECK_STR(printable(b, sizeof(b), "bash"), "bash");
	/* an escape sequence and a non-ASCII byte cannot reach the terminal */
	CHECK_STR(printable(b, sizeof(b), "\033[2Jx\xc3"), "?[2Jx?");
	CHECK_STR(printable(b, sizeof(b), "0123456789"), "0123456"); /* cut to the buffer */
	CHECK_STR(printable(b, sizeof(b), NULL), "");
	CHECK_STR(printable(b, 0, "x"), "");
}

static void test_clock(void)
{
	struct timespec ts;
	uint64_t a, b, ref;

	a = now_mono_ns();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	b = now_mono_ns();
	ref = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	CHECK(a <= ref);
	CHECK(ref <= b);
	CHECK(b - a < 1000000000ULL);
}

int main(void)
{
	strcpy(tmpdir, "/tmp/ksmscope_util.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_parse_u64);
	RUN(test_parse_u32);
	RUN(test_parse_seconds);
	RUN(test_parse_size);
	RUN(test_read_keyed);
	RUN(test_read_files);
	RUN(cleanup_tmp);
	RUN(test_messages);
	RUN(test_printable);
	RUN(test_clock);
	RESULT();
}
