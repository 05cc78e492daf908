// SPDX-License-Identifier: GPL-2.0-only
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/json_writer.h"

bool json_errors;
static char *err_sink;
static size_t err_sink_size;

void ks_err_capture(char *buf, size_t size)
{
	err_sink = buf;
	err_sink_size = size;
	if (buf && size)
		buf[0] = '\0';
}

/*
 * {"error": msg} on one line, msg escaped as every JSON string we write (an
 * argument echoed in it may hold any bytes); control bytes are dropped.
 */
static void json_error_line(char *msg)
{
	struct jw w;
	size_t k = 0;

	for (size_t i = 0; msg[i]; i++)
		if ((unsigned char)msg[i] >= 0x20)
			msg[k++] = msg[i];
	msg[k] = '\0';
	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "error", msg);
	jw_obj_end(&w);
	if (w.b.oom)
		fputs("{\"error\": \"out of memory\"}\n", stderr);
	else
		jw_emit_line(&w, stderr);
	jw_free(&w);
}

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err_sink && kind[0] == 'e') {
		snprintf(err_sink, err_sink_size, "%s", msg);
		return;
	}
	if (json_errors && kind[0] == 'e') {
		/* bpftool-style: errors stay machine-readable in JSON mode */
		json_error_line(msg);
		return;
	}
	fprintf(stderr, "ksmscope: %s%s\n", kind[0] == 'w' ? "warning: " : "", msg);
}

void ks_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
}

void ks_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warn", fmt, ap);
	va_end(ap);
}

int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, &v) || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || ((*s < '0' || *s > '9') && *s != '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || v != v || v > 1e9)
		return -1;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t n;
	uint64_t v, mult = 1;

	if (!s || !(n = strlen(s)) || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'k': case 'K': mult = 1ULL << 10; break;
	case 'm': case 'M': mult = 1ULL << 20; break;
	case 'g': case 'G': mult = 1ULL << 30; break;
	default: break;
	}
	if (mult != 1)
		num[n - 1] = '\0';
	if (parse_u64(num, &v))
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

ssize_t read_small_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = '\0';
	close(fd);
	return total;
}

/* buf holds n bytes of text: one number, maybe a newline after it */
static int parse_u64_text(char *buf, ssize_t n, uint64_t *out)
{
	if (n < 0)
		return (int)n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return parse_u64(buf, out) ? -EINVAL : 0;
}

int read_u64_file(const char *path, uint64_t *out)
{
	char buf[64];

	return parse_u64_text(buf, read_small_file(path, buf, sizeof(buf)), out);
}

int read_u64_fd(int fd, uint64_t *out)
{
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return parse_u64_text(buf, n, out);
}

int read_keyed_u64(const char *path, const char *key, uint64_t *out)
{
	char buf[16384], *line, *save = NULL, *vsave = NULL;
	size_t klen = strlen(key);
	ssize_t n = read_small_file(path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v;

		if (strncmp(line, key, klen) || (line[klen] != ' ' && line[klen] != ':' && line[klen] != '\t'))
			continue;
		v = line + klen;
		while (*v == ':' || *v == ' ' || *v == '\t')
			v++;
		return parse_u64(strtok_r(v, " \t", &vsave), out) ? -EINVAL : 0;
	}
	return -ENOENT;
}

uint64_t now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void sbuf_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (n > SIZE_MAX - b->len - 1 || GROW(b->buf, b->cap, b->len + n + 1, 256)) {
		b->oom = true;
		return;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sbuf_put(b, small, (size_t)n);
		return;
	}
	{
		char *big = malloc((size_t)n + 1);

		if (!big) {
			b->oom = true;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		sbuf_put(b, big, (size_t)n);
		free(big);
	}
}

void sbuf_free(struct sbuf *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

const char *printable(char *buf, size_t size, const char *s)
{
	size_t i = 0;

	if (!size)
		return "";
	for (; s && s[i] && i < size - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	buf[i] = '\0';
	return buf;
}

int grow_array(void **p, size_t *cap, size_t need, size_t size, size_t min)
{
	size_t nc = *cap ? *cap : (min ? min : 1), bytes;
	void *np;

	if (need <= *cap)
		return 0;
	while (nc < need) {
		if (nc > SIZE_MAX / 2)
			return -ENOMEM;
		nc *= 2;
	}
	if (__builtin_mul_overflow(nc, size, &bytes))
		return -ENOMEM;
	np = realloc(*p, bytes ? bytes : 1);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = nc;
	return 0;
}
