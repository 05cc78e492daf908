// SPDX-License-Identifier: GPL-2.0-only
/* The web configuration file: what it takes, and the line and reason of what it refuses. */
#include <stdlib.h>

#include "harness.h"
#include "sinks/webconfig.h"

#define HASH "$2y$10$abcdefghijklmnopqrstuu5Ex2n6PTUGTO6OkK6Xs1a5a9VJh5eqi"

static void test_full(void)
{
	struct web_config c;
	char err[256] = "";
	const char *text = "---\n"
			   "# a comment\n"
			   "tls_server_config:\n"
			   "  cert_file: server.crt   # trailing comment\n"
			   "  key_file: \"/etc/ksmscope/server.key\"\n"
			   "  client_auth_type: RequireAndVerifyClientCert\n"
			   "  client_ca_file: 'ca #1.pem'\n"
			   "  min_version: TLS12\n"
			   "  max_version: TLS13\n"
			   "http_server_config:\n"
			   "  http2: true\n"
			   "basic_auth_users:\n"
			   "    alice: " HASH "\n"
			   "    \"bob smith\": '" HASH "'\n";

	CHECK(web_config_parse(text, &c, err, sizeof(err)) == 0);
	CHECK(c.tls && !strcmp(c.cert_file, "server.crt") && !strcmp(c.key_file, "/etc/ksmscope/server.key"));
	CHECK(c.client_auth == CLIENT_AUTH_REQUIRE_VERIFY && !strcmp(c.client_ca_file, "ca #1.pem"));
	CHECK(c.min_version == 12 && c.max_version == 13);
	CHECK_U64(c.nusers, 2);
	CHECK(c.nusers == 2 && !strcmp(c.users[0].name, "alice") && !strcmp(c.users[1].name, "bob smith"));
	CHECK(c.nusers == 2 && !strcmp(c.users[1].hash, HASH));
	web_config_free(&c);

	CHECK(web_config_parse("", &c, err, sizeof(err)) == 0 && !c.tls && !c.nusers);
	CHECK(web_config_parse("basic_auth_users:\n  u: " HASH "\n", &c, err, sizeof(err)) == 0 && !c.tls);
	web_config_free(&c);
}

/* text -> the error it must give */
static void refused(const char *text, const char *want)
{
	struct web_config c;
	char err[256] = "";

	CHECK(web_config_parse(text, &c, err, sizeof(err)) == -1);
	if (!strstr(err, want)) {
		t_fail++;
		fprintf(stderr, "FAIL: '%s' for\n%s\nwant '%s'\n", err, text, want);
	} else {
		t_pass++;
	}
	CHECK(c.users == NULL && c.cert_file == NULL);
}

static void test_refused(void)
{
	refused("tls_server_config:\n  cert_file: a\n", "tls_server_config needs cert_file and key_file");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS10\n", "line 4: min_version: TLS10");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: x\n", "cipher_suites is not supported");
	refused("tls_server_config:\n  cert_file: a\n  cert_file: b\n", "line 3: tls_server_config.cert_file given twice");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n",
		"needs client_ca_file");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Bogus\n", "'Bogus' is not");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n",
		"max_version is below min_version");
	refused("basic_auth_users:\n  alice: secret\n", "line 2: basic_auth_users: user 'alice': not a bcrypt hash");
	refused("basic_auth_users:\n  a: " HASH "\n  a: " HASH "\n", "line 3: basic_auth_users: user 'a' given twice");
	refused("basic_auth_user:\n", "line 1: unknown key 'basic_auth_user'");
	refused("tls_server_config: yes\n", "a mapping of keys on the lines below");
	refused("  cert_file: a\n", "an indented line outside");
	refused("basic_auth_users:\n\talice: " HASH "\n", "line 2: a tab in the indentation");
	refused("basic_auth_users:\n  a: " HASH "\n    b: " HASH "\n", "line 3: indentation of 4");
	refused("basic_auth_users:\n  - alice\n", "a list or flow mapping");
	refused("tls_server_config:\n  cert_file: \"a\n", "closing quote");
	refused("tls_server_config:\n  cert_file |\n", "no ':'");
	refused("tls_server_config:\n  cert: |\n", "block scalars");
	refused("http_server_config:\n  headers:\n", "headers is not supported");
	refused("tls_server_config:\ntls_server_config:\n", "line 2: tls_server_config given twice");
}

int main(void)
{
	RUN(test_full);
	RUN(test_refused);
	RESULT();
}
