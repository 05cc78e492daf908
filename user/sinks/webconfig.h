/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `serve --web-config FILE`: the web configuration file Prometheus exporters
 * share (exporter-toolkit's YAML): TLS (tls_server_config: cert_file,
 * key_file, client_auth_type, client_ca_file, min_version, max_version) and
 * basic authentication (basic_auth_users: name -> bcrypt hash). The parser
 * takes the block-mapping YAML such files are written in (comments, quoted or
 * plain scalars) and refuses anything else with the line it stopped at. Pure:
 * web_config_parse does no I/O.
 */
#ifndef KSMSCOPE_SINKS_WEBCONFIG_H
#define KSMSCOPE_SINKS_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum client_auth {
	CLIENT_AUTH_NONE,           /* NoClientCert (the default) */
	CLIENT_AUTH_VERIFY_IF_GIVEN, /* VerifyClientCertIfGiven */
	CLIENT_AUTH_REQUIRE_VERIFY, /* RequireAndVerifyClientCert */
};

struct web_user {
	char *name, *hash;
};

struct web_config {
	bool tls; /* tls_server_config was given */
	char *cert_file, *key_file, *client_ca_file;
	enum client_auth client_auth;
	int min_version, max_version; /* 12 (TLS 1.2) or 13; 0: the default */
	struct web_user *users;
	size_t nusers;
};

/* 0; or -1 with one line in err ("line N: ..."): c is freed then. */
int web_config_parse(const char *text, struct web_config *c, char *err, size_t errlen);
/* Read and parse FILE, and check what it names (files readable, hashes bcrypt). 0, or one line printed and -1. */
int web_config_load(const char *path, struct web_config *c);
void web_config_free(struct web_config *c);

#endif
