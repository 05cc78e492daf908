// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the recording reader must reject any input cleanly, never crash or read out of bounds. */
#include <stddef.h>
#include <stdint.h>

#include "report/recfile.h"

static int touch(void *ctx, const struct rec_block_view *b)
{
	unsigned *sum = ctx;

	/* read every payload byte: the walk promised they are inside the buffer */
	for (size_t i = 0; i < b->len; i++)
		*sum += b->payload[i];
	*sum += (unsigned)b->type + (unsigned)rec_type_name(b->type)[0];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_error e;
	unsigned sum = 0;

	rec_walk(data, size, touch, &sum, &e);
	return 0;
}
