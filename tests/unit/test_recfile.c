// SPDX-License-Identifier: GPL-2.0-only
/* The recording format: blocks round-trip; truncation and corruption are found at the right offset. */
#include <stdlib.h>
#include <zlib.h>

#include "harness.h"
#include "report/recfile.h"

static uint8_t file[4096];
static size_t flen;
static size_t starts[3];

static void append(uint32_t type, const char *payload)
{
	uint8_t *b;
	size_t n;

	CHECK(rec_block(type, payload, strlen(payload), &b, &n) == 0);
	memcpy(file + flen, b, n);
	flen += n;
	free(b);
}

static void build(void)
{
	flen = 0;
	rec_file_header(file);
	flen = REC_FILE_HEADER;
	starts[0] = flen;
	append(REC_HEADER, "{\"format\": 1}");
	starts[1] = flen;
	append(REC_SNAPSHOT, "{\"seq\": 0}");
	starts[2] = flen;
	append(REC_END, "{\"reason\": \"signal\"}");
}

struct seen {
	int n;
	uint32_t types[8];
	size_t lens[8];
};

static int collect(void *ctx, const struct rec_block_view *b)
{
	struct seen *s = ctx;

	if (s->n < 8) {
		s->types[s->n] = b->type;
		s->lens[s->n] = b->len;
	}
	s->n++;
	return 0;
}

static void test_round_trip(void)
{
	struct seen s = { 0 };
	struct rec_error e;

	build();
	CHECK(rec_walk(file, flen, collect, &s, &e) == 0);
	CHECK_U64(s.n, 3);
	CHECK_U64(s.types[0], REC_HEADER);
	CHECK_U64(s.types[1], REC_SNAPSHOT);
	CHECK_U64(s.types[2], REC_END);
	CHECK_U64(s.lens[1], strlen("{\"seq\": 0}"));
	CHECK_STR(rec_type_name(REC_SNAPSHOT), "snapshot");
}

static void test_truncated_everywhere(void)
{
	int bad = 0;

	build();
	/* every cut inside a block is found at that block's start; the blocks before it are whole */
	for (size_t cut = REC_FILE_HEADER + 1; cut < flen; cut++) {
		struct seen s = { 0 };
		struct rec_error e;
		size_t want = cut < starts[1] ? starts[0] : cut < starts[2] ? starts[1] : starts[2];
		int r = rec_walk(file, cut, collect, &s, &e);

		if (cut == starts[1] || cut == starts[2]) {
			bad += r != 0; /* a cut on a block boundary is a shorter valid file */
			continue;
		}
		bad += r != -1 || e.offset != want || s.n != (want == starts[0] ? 0 : want == starts[1] ? 1 : 2);
	}
	CHECK_U64(bad, 0);
}

static void test_corruption(void)
{
	struct seen s = { 0 };
	struct rec_error e;

	build();
	file[starts[1] + 10] ^= 0x20; /* a byte of the snapshot's payload */
	CHECK(rec_walk(file, flen, collect, &s, &e) == -1);
	CHECK_U64(e.offset, starts[1]);
	CHECK_STR(e.what, "checksum mismatch");
	CHECK_U64(s.n, 1);

	build();
	file[0] = 'X';
	CHECK(rec_walk(file, flen, NULL, NULL, &e) == -1);
	CHECK_U64(e.offset, 0);

	build();
	file[8] = REC_VERSION + 1; /* a newer format */
	CHECK(rec_walk(file, flen, NULL, NULL, &e) == -1);
	CHECK_U64(e.offset, 8);
	build();
	file[8] = 1; /* version 1 (no compressed blocks) is still read */
	CHECK(rec_walk(file, flen, NULL, NULL, &e) == 0);

	build();
	file[starts[2] + 4] = 0xff; /* length far past the end */
	file[starts[2] + 7] = 0x7f;
	CHECK(rec_walk(file, flen, NULL, NULL, &e) == -1);
	CHECK_U64(e.offset, starts[2]);
	CHECK_STR(e.what, "block length out of range");
}

static void test_unknown_type(void)
{
	struct rec_error e;

	build();
	flen = starts[2];
	append(77, "{}");
	CHECK(rec_walk(file, flen, NULL, NULL, &e) == -1);
	CHECK_U64(e.offset, starts[2]);
	CHECK_STR(e.what, "unknown block type");
}

static void test_events_block(void)
{
	struct rec_event_rec ev[2] = { { 1, 0x1000, 77, 42, RECEV_MERGE, 0, 0 }, { 2, 0x2000, 0, 42, RECEV_UNMERGE, 1, 0 } };
	struct seen s = { 0 };
	struct rec_error e;
	uint8_t *b;
	size_t n;

	build();
	flen = starts[2];
	CHECK(rec_block(REC_EVENTS, ev, sizeof(ev), &b, &n) == 0);
	memcpy(file + flen, b, n);
	flen += n;
	free(b);
	CHECK(rec_walk(file, flen, collect, &s, &e) == 0);
	CHECK_U64(s.types[2], REC_EVENTS);
	CHECK_U64(s.lens[2], 2 * REC_EVENT_BYTES);
	CHECK_STR(rec_event_name(RECEV_UNMERGE), "unmerge");
	/* a block of a partial record is refused */
	build();
	flen = starts[2];
	CHECK(rec_block(REC_EVENTS, ev, REC_EVENT_BYTES + 3, &b, &n) == 0);
	memcpy(file + flen, b, n);
	flen += n;
	free(b);
	CHECK(rec_walk(file, flen, NULL, NULL, &e) == -1);
	CHECK_STR(e.what, "events block of a partial record");
	CHECK_U64(e.offset, starts[2]);
}

/* A deflated block reads back as the payload it was made from; a damaged stream is found. */
static void test_deflated(void)
{
	char json[4096];
	struct seen s = { 0 };
	struct rec_error e;
	uint8_t *b;
	size_t n, at;

	for (size_t i = 0; i < sizeof(json) - 1; i++)
		json[i] = "{\"groups\": [1, 2, 3]}"[i % 21];
	json[sizeof(json) - 1] = 0;
	build();
	at = flen = starts[2];
	CHECK(rec_block_deflated(REC_SNAPSHOT, json, strlen(json), &b, &n) == 0);
	CHECK(n < strlen(json) / 4); /* repetitive text shrinks */
	CHECK((b[2] & 1) == 1);      /* REC_F_DEFLATE in the type */
	memcpy(file + flen, b, n);
	flen += n;
	free(b);
	CHECK(rec_walk(file, flen, collect, &s, &e) == 0);
	CHECK_U64(s.n, 3);
	CHECK_U64(s.types[2], REC_SNAPSHOT);
	CHECK_U64(s.lens[2], strlen(json));
	/* too small to gain: written as it is */
	CHECK(rec_block_deflated(REC_SNAPSHOT, "{}", 2, &b, &n) == 0);
	CHECK(b[2] == 0 && n == 2 + REC_BLOCK_OVERHEAD);
	free(b);
	/* the stream damaged under a good checksum: named at the block */
	build();
	flen = at;
	CHECK(rec_block_deflated(REC_SNAPSHOT, json, strlen(json), &b, &n) == 0);
	b[8 + 4 + 5] ^= 0x55;
	{
		uLong c = crc32(crc32(0L, Z_NULL, 0), b, 8 + (uInt)(n - REC_BLOCK_OVERHEAD));

		memcpy(b + n - 4, &c, 4);
	}
	memcpy(file + flen, b, n);
	flen += n;
	free(b);
	CHECK(rec_walk(file, flen, NULL, NULL, &e) == -1);
	CHECK_STR(e.what, "compressed block does not inflate");
	CHECK_U64(e.offset, at);
	/* a flagged block in a version 1 file is not a known type */
	file[8] = 1;
	CHECK(rec_walk(file, flen, NULL, NULL, &e) == -1);
	CHECK_STR(e.what, "unknown block type");
}

int main(void)
{
	RUN(test_deflated);
	RUN(test_events_block);
	RUN(test_round_trip);
	RUN(test_truncated_everywhere);
	RUN(test_corruption);
	RUN(test_unknown_type);
	RESULT();
}
