/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The recording format (`ksmscope record`), version 2 (version 1 files, which
 * have no compressed blocks, are read too). Little-endian.
 *
 *   file  := magic "KSMSREC\0" (8 bytes), u32 version, u32 flags (0)
 *            block*
 *   block := u32 type, u32 length, payload[length], u32 crc
 *
 * crc is the CRC-32 (zlib's) of type, length and payload (as stored). Since
 * version 2, a type with REC_F_DEFLATE set holds u32 n and a zlib stream that
 * inflates to exactly n bytes: the block's real payload. Every block is
 * written whole with one write(2), so after a crash every block before the
 * last is intact; a reader names the offset of the first bad one.
 *
 * Block types: HEADER (a JSON object: format, kernel, host, parameters, the KSM
 * settings), SNAPSHOT (a JSON object, as one line of `watch --json`), EVENTS
 * (binary, below), END (a JSON object: why the recording ended), HASHES
 * (below; only when the user asks).
 */
#ifndef KSMSCOPE_REPORT_RECFILE_H
#define KSMSCOPE_REPORT_RECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REC_MAGIC "KSMSREC"
#define REC_VERSION 2u     /* written; 1 (no compressed blocks) is read too */
#define REC_F_DEFLATE 0x10000u /* in a block's type: the payload is u32 length + zlib stream of it */
#define REC_TYPE_MASK 0xffffu
#define REC_FILE_HEADER 16u
#define REC_BLOCK_OVERHEAD 12u
#define REC_MAX_PAYLOAD (64u << 20)

enum rec_type { REC_HEADER = 1, REC_SNAPSHOT = 2, REC_END = 3, REC_EVENTS = 4, REC_HASHES = 5, REC__MAX };

/*
 * A HASHES block (only with record --keep-hashes) is one part of a pass's
 * content fingerprint: u32 n, then n bytes of JSON {"pass", "part", "parts",
 * "sample", "hash" ("page" or "tree": which page hash), "key_check" (the
 * keyed hash of the zero page, hex: equal in two recordings iff they share key
 * and hash kind), "groups": [{"key", "comm", "pids"}], "records"}, then the
 * records, 16 bytes each: u64 content hash, u32 group (index into "groups"),
 * u32 sites. Sorted by (hash, group); the zero page is left out.
 */
#define REC_HASH_BYTES 16u

/*
 * An EVENTS block is binary: records of 32 bytes, the events of one interval
 * (written before its snapshot): u64 ts_ns (CLOCK_MONOTONIC), u64 addr, u64 pfn,
 * u32 pid, u8 kind (enum rec_event), u8 flags (1: zero-page merge's unmerge,
 * 2: kernel-mode fault), u16 reserved.
 */
enum rec_event { RECEV_MERGE = 1, RECEV_ZERO_MERGE, RECEV_UNMERGE, RECEV_RMAP_REMOVED, RECEV__MAX };
#define REC_EVENT_BYTES 32u

struct rec_event_rec {
	uint64_t ts_ns, addr, pfn;
	uint32_t pid;
	uint8_t kind, flags;
	uint16_t reserved;
};
_Static_assert(sizeof(struct rec_event_rec) == REC_EVENT_BYTES, "event record layout");

const char *rec_event_name(unsigned kind);

const char *rec_type_name(uint32_t type);

/* The format's little-endian integers, from any byte order. */
uint32_t rec_get32(const uint8_t *p);
uint64_t rec_get64(const uint8_t *p);

/* The file header, into out[REC_FILE_HEADER]. */
void rec_file_header(uint8_t out[REC_FILE_HEADER]);

/* One block (header, payload, crc) into a buffer the caller frees. 0 or -ENOMEM/-EMSGSIZE. */
int rec_block(uint32_t type, const void *payload, size_t len, uint8_t **out, size_t *outlen);
/* The same, deflated (zlib level 1) when that makes it smaller. */
int rec_block_deflated(uint32_t type, const void *payload, size_t len, uint8_t **out, size_t *outlen);

struct rec_block_view {
	uint32_t type; /* without REC_F_DEFLATE: payload is what it inflated to */
	bool deflated;
	const uint8_t *payload;
	size_t len;
	uint64_t offset; /* of the block's first byte in the file */
};

/* Called per good block; non-zero stops the walk (returned by rec_walk). */
typedef int (*rec_fn)(void *ctx, const struct rec_block_view *b);

struct rec_error {
	uint64_t offset; /* where the file stops being valid */
	char what[128];
};

/*
 * Walk a whole file in memory. 0 when every block is good and the file ends
 * on a block boundary; -1 with *e filled at the first problem (the blocks
 * before it were handed to fn); -ENOMEM (inflating a block); or fn's
 * non-zero value.
 */
int rec_walk(const uint8_t *buf, size_t len, rec_fn fn, void *ctx, struct rec_error *e);

#endif
