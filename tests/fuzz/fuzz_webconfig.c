// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the web configuration parser never crashes, and what it accepts is whole. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/webconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256];
	struct web_config c;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (web_config_parse(text, &c, err, sizeof(err)) == 0) {
		/* accepted: TLS has both files, every user a name and a hash */
		if (c.tls && (!c.cert_file || !c.key_file))
			abort();
		for (size_t i = 0; i < c.nusers; i++)
			if (!c.users[i].name || strlen(c.users[i].hash) != 60)
				abort();
		web_config_free(&c);
	} else if (!err[0]) {
		abort(); /* a refusal always says why */
	}
	free(text);
	return 0;
}
