// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the JSON reader of recording blocks never crashes, and what it reads writes back. */
#include <stddef.h>
#include <stdint.h>

#include "lib/json_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off;
	const char *err;
	struct jv *v = jv_parse((const char *)data, size, &off, &err);

	if (v) {
		struct jw w;

		jw_init(&w);
		jv_write(&w, v);
		jw_free(&w);
		(void)jv_num(v, "seq", 0);
		(void)jv_get(jv_get(v, "totals"), "sites");
	}
	jv_free(v);
	return 0;
}
