/* SPDX-License-Identifier: GPL-2.0-only */
/* Small shared helpers: errors, number parsing, sysfs/proc reads. */
#ifndef KSMSCOPE_LIB_UTIL_H
#define KSMSCOPE_LIB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KSMSCOPE_VERSION "0.1.0"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* One-line error on stderr, "ksmscope: ..." (or a JSON object when json_errors is set). */
void ks_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ks_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool json_errors;
/*
 * While buf is set, ks_err writes its line into buf (the last one wins)
 * instead of stderr: for a step whose failure the caller reports itself
 * (doctor without the tracer). NULL ends it.
 */
void ks_err_capture(char *buf, size_t size);

/* Strict parsers: whole string, no sign, no overflow. Return 0 or -1. */
int parse_u64(const char *s, uint64_t *out);
int parse_u32(const char *s, uint32_t *out);
/* Seconds with an optional fraction ("2", "0.5"). */
int parse_seconds(const char *s, double *out);
/* Sizes like 4096, 64K, 8M, 1G (powers of two). */
int parse_size(const char *s, uint64_t *out);

/* Read a whole small file into buf (NUL-terminated). Returns bytes read or -errno. */
ssize_t read_small_file(const char *path, char *buf, size_t size);
/* Read a file holding one unsigned number. Returns 0 or -errno. */
int read_u64_file(const char *path, uint64_t *out);
/*
 * The same from an open file, read again from its start: a sysfs counter polled
 * many times a second is opened once (an open is a path walk and allocations:
 * 35% of an idle engine's CPU when it reopened full_scans 20 times a second).
 */
int read_u64_fd(int fd, uint64_t *out);
/* Look up "key value" or "key: value" lines (ksm_stat, status, vmstat). */
int read_keyed_u64(const char *path, const char *key, uint64_t *out);

uint64_t now_mono_ns(void);

/*
 * Slots for an open-addressing table of about n entries kept at most num/den
 * full: the least power of two, at least min, that holds them.
 */
static inline size_t table_slots(size_t n, size_t min, size_t num, size_t den)
{
	size_t cap = min;

	while (cap * num < n * den)
		cap *= 2;
	return cap;
}

/*
 * Room for need elements of size bytes in the array *p of capacity *cap: the
 * capacity doubles (from min when it is 0) until it holds need. Returns 0, or
 * -ENOMEM (also when the size would overflow) with *p and *cap unchanged.
 */
int grow_array(void **p, size_t *cap, size_t need, size_t size, size_t min);
/* grow_array on a typed pointer and its size_t capacity: if (GROW(v, cap, n + 1, 16)) ... */
#define GROW(ptr, cap, need, min)                                                              \
	({                                                                                     \
		void *grow_p_ = (ptr);                                                         \
		int grow_r_ = grow_array(&grow_p_, &(cap), (need), sizeof(*(ptr)), (min));     \
		(ptr) = grow_p_;                                                               \
		grow_r_;                                                                       \
	})

/* A growable NUL-terminated string; on allocation failure it stops growing and sets oom. */
struct sbuf {
	char *buf;
	size_t len, cap;
	bool oom;
};

void sbuf_put(struct sbuf *b, const char *s, size_t n);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_free(struct sbuf *b);

/*
 * s for a terminal: control and non-ASCII bytes (a comm or a path is any
 * bytes a process chose, escape sequences included) become '?'. Into
 * buf[size], returned.
 */
const char *printable(char *buf, size_t size, const char *s);

#endif
