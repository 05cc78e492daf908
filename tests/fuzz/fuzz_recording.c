// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: a recording read back and reported (tables, HTML page,
 * a comparison with itself) from any input: no crash, no sanitizer report.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "report/compare.h"
#include "report/recording.h"
#include "report/html.h"
#include "report/tables.h"
#include "lib/util.h"

/* Mutations rarely keep a CRC right: mend every whole block's, so they reach the parsers behind it. */
static void mend_crcs(uint8_t *b, size_t size)
{
	size_t off = REC_FILE_HEADER;

	while (off + REC_BLOCK_OVERHEAD <= size) {
		uint32_t len;
		uLong crc;

		memcpy(&len, b + off + 4, 4);
		if (len > size - off - REC_BLOCK_OVERHEAD)
			break;
		crc = crc32(0, b + off, 8 + len);
		memcpy(b + off + 8 + len, &(uint32_t){ (uint32_t)crc }, 4);
		off += REC_BLOCK_OVERHEAD + len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recording r;
	struct rtable *t;
	struct sbuf o = { 0 };
	uint8_t *b = malloc(size ? size : 1);
	size_t n;
	int err;

	if (!b)
		return 0;
	memcpy(b, data, size);
	/* half the inputs as they are (the CRC check itself), half mended */
	if (size && (data[size - 1] & 1))
		mend_crcs(b, size);
	err = recording_parse(b, size, &r);
	free(b);
	if (err)
		return 0;
	if (!report_tables(&r, &t, &n))
		report_tables_free(t, n);
	report_html(&o, &r, "fuzz");
	sbuf_free(&o);
	if (r.fp.meta) {
		struct cmp_result c;
		char why[160];

		if (!compare_fingerprints(&r.fp, &r.fp, &c, why, sizeof(why)))
			cmp_result_free(&c);
	}
	recording_free(&r);
	return 0;
}
