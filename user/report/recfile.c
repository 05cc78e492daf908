// SPDX-License-Identifier: GPL-2.0-only
#include "report/recfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char *const type_names[REC__MAX] = { [REC_HEADER] = "header", [REC_SNAPSHOT] = "snapshot",
						  [REC_END] = "end", [REC_EVENTS] = "events",
						  [REC_HASHES] = "hashes" };
static const char *const event_names[RECEV__MAX] = { [RECEV_MERGE] = "merge", [RECEV_ZERO_MERGE] = "zero_merge",
						     [RECEV_UNMERGE] = "unmerge", [RECEV_RMAP_REMOVED] = "rmap_removed" };

const char *rec_event_name(unsigned kind)
{
	return kind > 0 && kind < RECEV__MAX ? event_names[kind] : "unknown";
}

const char *rec_type_name(uint32_t type)
{
	return type > 0 && type < REC__MAX ? type_names[type] : "unknown";
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t rec_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t rec_get64(const uint8_t *p)
{
	return (uint64_t)rec_get32(p) | (uint64_t)rec_get32(p + 4) << 32;
}

void rec_file_header(uint8_t out[REC_FILE_HEADER])
{
	memcpy(out, REC_MAGIC, 8); /* with its NUL */
	put32(out + 8, REC_VERSION);
	put32(out + 12, 0);
}

static uint32_t block_crc(const uint8_t *head8, const uint8_t *payload, size_t len)
{
	uLong c = crc32(0L, Z_NULL, 0);

	c = crc32(c, head8, 8);
	if (len)
		c = crc32(c, payload, (uInt)len);
	return (uint32_t)c;
}

int rec_block(uint32_t type, const void *payload, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t *b;

	if (len > REC_MAX_PAYLOAD)
		return -EMSGSIZE;
	b = malloc(len + REC_BLOCK_OVERHEAD);
	if (!b)
		return -ENOMEM;
	put32(b, type);
	put32(b + 4, (uint32_t)len);
	if (len)
		memcpy(b + 8, payload, len);
	put32(b + 8 + len, block_crc(b, b + 8, len));
	*out = b;
	*outlen = len + REC_BLOCK_OVERHEAD;
	return 0;
}

int rec_block_deflated(uint32_t type, const void *payload, size_t len, uint8_t **out, size_t *outlen)
{
	uLongf zlen = compressBound((uLong)len);
	uint8_t *z;
	int err;

	if (len > REC_MAX_PAYLOAD)
		return -EMSGSIZE;
	z = malloc(4 + zlen);
	if (!z)
		return -ENOMEM;
	if (compress2(z + 4, &zlen, payload, (uLong)len, 1) != Z_OK || 4 + zlen >= len) {
		free(z);
		return rec_block(type, payload, len, out, outlen); /* not worth it */
	}
	put32(z, (uint32_t)len);
	err = rec_block(type | REC_F_DEFLATE, z, 4 + zlen, out, outlen);
	free(z);
	return err;
}

static int fail(struct rec_error *e, uint64_t off, const char *what)
{
	e->offset = off;
	snprintf(e->what, sizeof(e->what), "%s", what);
	return -1;
}

int rec_walk(const uint8_t *buf, size_t len, rec_fn fn, void *ctx, struct rec_error *e)
{
	size_t off = REC_FILE_HEADER;

	memset(e, 0, sizeof(*e));
	if (len < REC_FILE_HEADER || memcmp(buf, REC_MAGIC, 8))
		return fail(e, 0, "not a ksmscope recording (bad magic)");
	if (rec_get32(buf + 8) < 1 || rec_get32(buf + 8) > REC_VERSION) {
		char w[64];

		snprintf(w, sizeof(w), "format version %u, this ksmscope reads 1 to %u", rec_get32(buf + 8), REC_VERSION);
		return fail(e, 8, w);
	}
	while (off < len) {
		struct rec_block_view v = { 0 };
		uint8_t *raw = NULL;
		uint32_t plen;
		int r;

		if (len - off < REC_BLOCK_OVERHEAD)
			return fail(e, off, "truncated block header");
		v.type = rec_get32(buf + off);
		plen = rec_get32(buf + off + 4);
		if (plen > REC_MAX_PAYLOAD)
			return fail(e, off, "block length out of range");
		if (len - off - REC_BLOCK_OVERHEAD < plen)
			return fail(e, off, "truncated block");
		if (rec_get32(buf + off + 8 + plen) != block_crc(buf + off, buf + off + 8, plen))
			return fail(e, off, "checksum mismatch");
		v.deflated = (v.type & REC_F_DEFLATE) && rec_get32(buf + 8) >= 2;
		if (v.deflated)
			v.type &= ~REC_F_DEFLATE;
		if (v.type == 0 || v.type >= REC__MAX)
			return fail(e, off, "unknown block type");
		v.payload = buf + off + 8;
		v.len = plen;
		v.offset = off;
		if (v.deflated) {
			uLongf n = plen >= 4 ? rec_get32(v.payload) : 0;

			if (plen < 4 || n > REC_MAX_PAYLOAD)
				return fail(e, off, "compressed block of a bad length");
			raw = malloc(n ? n : 1);
			if (!raw)
				return -ENOMEM;
			/* exactly the length it claims, or it is damaged */
			if (uncompress(raw, &n, v.payload + 4, plen - 4) != Z_OK || n != rec_get32(v.payload)) {
				free(raw);
				return fail(e, off, "compressed block does not inflate");
			}
			v.payload = raw;
			v.len = n;
		}
		if (v.type == REC_EVENTS && v.len % REC_EVENT_BYTES) {
			free(raw);
			return fail(e, off, "events block of a partial record");
		}
		if (v.type == REC_HASHES && (v.len < 4 || rec_get32(v.payload) > v.len - 4 ||
					     (v.len - 4 - rec_get32(v.payload)) % REC_HASH_BYTES)) {
			free(raw);
			return fail(e, off, "hashes block of a partial record");
		}
		r = fn ? fn(ctx, &v) : 0;
		free(raw);
		if (r)
			return r;
		off += plen + REC_BLOCK_OVERHEAD;
	}
	return 0;
}
