// SPDX-License-Identifier: GPL-2.0-only
#include "sinks/webconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

struct parser {
	struct web_config *c;
	char *err;
	size_t errlen;
	int line;
	enum { TOP, TLS, HTTP, USERS } block;
	int indent; /* the block's indentation, -1 until its first line */
	unsigned seen; /* keys of the current block already given (bits), for duplicates */
	unsigned top_seen;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = p->line ? snprintf(p->err, p->errlen, "line %d: ", p->line) : 0; /* 0: the file as a whole */

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* One scalar, in place: "double" (\\ \" escapes), 'single' ('' escape) or plain; NULL on a bad quote. */
static char *scalar(char *s, char **rest)
{
	char *o = s, *i;

	if (*s == '"' || *s == '\'') {
		char q = *s;

		for (i = s + 1; *i; i++) {
			if (q == '"' && *i == '\\' && (i[1] == '"' || i[1] == '\\')) {
				*o++ = *++i;
			} else if (q == '\'' && *i == '\'' && i[1] == '\'') {
				*o++ = *i++;
			} else if (*i == q) {
				*o = '\0';
				*rest = i + 1;
				return s;
			} else {
				*o++ = *i;
			}
		}
		return NULL;
	}
	*rest = s + strlen(s);
	return s;
}

static void trim_right(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* Cut a comment: '#' at the start or after a blank, outside quotes. */
static void uncomment(char *s)
{
	char q = 0;

	for (char *i = s; *i; i++) {
		if (q) {
			q = *i == q ? 0 : q;
		} else if (*i == '"' || *i == '\'') {
			q = *i;
		} else if (*i == '#' && (i == s || i[-1] == ' ' || i[-1] == '\t')) {
			*i = '\0';
			return;
		}
	}
}

static int set_str(struct parser *p, char **dst, const char *v, const char *key)
{
	if (!*v)
		return fail(p, "%s: no value", key);
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : fail(p, "out of memory");
}

static int tls_version(struct parser *p, const char *key, const char *v, int *out)
{
	if (!strcmp(v, "TLS12"))
		*out = 12;
	else if (!strcmp(v, "TLS13"))
		*out = 13;
	else if (!strcmp(v, "TLS10") || !strcmp(v, "TLS11"))
		return fail(p, "%s: %s is not offered (TLS 1.2 and 1.3 only)", key, v);
	else
		return fail(p, "%s: '%s' is not TLS12 or TLS13", key, v);
	return 0;
}

static int client_auth(struct parser *p, const char *v)
{
	if (!strcmp(v, "NoClientCert"))
		p->c->client_auth = CLIENT_AUTH_NONE;
	else if (!strcmp(v, "VerifyClientCertIfGiven"))
		p->c->client_auth = CLIENT_AUTH_VERIFY_IF_GIVEN;
	else if (!strcmp(v, "RequireAndVerifyClientCert"))
		p->c->client_auth = CLIENT_AUTH_REQUIRE_VERIFY;
	else if (!strcmp(v, "RequestClientCert") || !strcmp(v, "RequireAnyClientCert"))
		return fail(p, "client_auth_type: %s (a certificate nobody verifies) is not supported", v);
	else
		return fail(p, "client_auth_type: '%s' is not NoClientCert, VerifyClientCertIfGiven or "
			       "RequireAndVerifyClientCert", v);
	return 0;
}

static const char *const tls_keys[] = { "cert_file", "key_file", "client_auth_type", "client_ca_file",
					"min_version", "max_version" };
static const char *const tls_unsupported[] = { "cert", "key", "client_ca", "cipher_suites", "curve_preferences",
					       "prefer_server_cipher_suites", "client_allowed_sans" };

static int tls_key(struct parser *p, const char *k, const char *v)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tls_keys) && strcmp(k, tls_keys[i]); i++)
		;
	if (i == ARRAY_SIZE(tls_keys)) {
		for (size_t u = 0; u < ARRAY_SIZE(tls_unsupported); u++)
			if (!strcmp(k, tls_unsupported[u]))
				return fail(p, "tls_server_config.%s is not supported by ksmscope", k);
		return fail(p, "tls_server_config: unknown key '%s'", k);
	}
	if (p->seen & (1u << i))
		return fail(p, "tls_server_config.%s given twice", k);
	p->seen |= 1u << i;
	switch (i) {
	case 0: return set_str(p, &p->c->cert_file, v, k);
	case 1: return set_str(p, &p->c->key_file, v, k);
	case 2: return client_auth(p, v);
	case 3: return set_str(p, &p->c->client_ca_file, v, k);
	case 4: return tls_version(p, k, v, &p->c->min_version);
	default: return tls_version(p, k, v, &p->c->max_version);
	}
}

static bool is_bcrypt(const char *h)
{
	return strlen(h) == 60 && h[0] == '$' && h[1] == '2' && strchr("aby", h[2]) && h[3] == '$';
}

static int user_key(struct parser *p, const char *k, const char *v)
{
	struct web_config *c = p->c;
	struct web_user *u;

	if (!*k)
		return fail(p, "basic_auth_users: an empty user name");
	for (size_t i = 0; i < c->nusers; i++)
		if (!strcmp(c->users[i].name, k))
			return fail(p, "basic_auth_users: user '%s' given twice", k);
	if (!is_bcrypt(v))
		return fail(p, "basic_auth_users: user '%s': not a bcrypt hash ($2y$..., 60 characters)", k);
	u = realloc(c->users, (c->nusers + 1) * sizeof(*u));
	if (!u)
		return fail(p, "out of memory");
	c->users = u;
	u = &c->users[c->nusers];
	u->name = strdup(k);
	u->hash = strdup(v);
	c->nusers++;
	return u->name && u->hash ? 0 : fail(p, "out of memory");
}

static int http_key(struct parser *p, const char *k, const char *v)
{
	if (!strcmp(k, "http2")) /* served as HTTP/1.1, which every client speaks too */
		return !strcmp(v, "true") || !strcmp(v, "false") ? 0 : fail(p, "http2: '%s' is not true or false", v);
	if (!strcmp(k, "headers"))
		return fail(p, "http_server_config.headers is not supported by ksmscope");
	return fail(p, "http_server_config: unknown key '%s'", k);
}

static int top_key(struct parser *p, const char *k, const char *v)
{
	static const char *const blocks[] = { "tls_server_config", "http_server_config", "basic_auth_users" };

	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++) {
		if (strcmp(k, blocks[i]))
			continue;
		if (p->top_seen & (1u << i))
			return fail(p, "%s given twice", k);
		p->top_seen |= 1u << i;
		if (*v && strcmp(v, "{}") && strcmp(v, "null") && strcmp(v, "~"))
			return fail(p, "%s: a mapping of keys on the lines below, not '%s'", k, v);
		p->block = (int)i + TLS;
		p->indent = -1;
		p->seen = 0;
		p->c->tls |= i == 0;
		return 0;
	}
	return fail(p, "unknown key '%s' (tls_server_config, http_server_config, basic_auth_users)", k);
}

static int one_line(struct parser *p, char *s)
{
	int indent = 0;
	char *k, *v, *rest, *colon;

	uncomment(s);
	trim_right(s);
	for (; s[indent] == ' ' || s[indent] == '\t'; indent++)
		if (s[indent] == '\t')
			return fail(p, "a tab in the indentation (YAML indents with spaces)");
	s += indent;
	if (!*s || (indent == 0 && !strcmp(s, "---")))
		return 0;
	if (*s == '-' || *s == '[' || *s == '{')
		return fail(p, "a list or flow mapping where a 'key: value' line was expected");
	if (*s == '"' || *s == '\'') {
		if (!(k = scalar(s, &rest)))
			return fail(p, "a quoted key without its closing quote");
		for (colon = rest; *colon == ' '; colon++)
			;
		if (*colon != ':')
			return fail(p, "no ':' after the key");
	} else {
		k = s; /* a plain key ends at ": " or at a ':' ending the line */
		for (colon = strchr(s, ':'); colon && colon[1] && colon[1] != ' '; colon = strchr(colon + 1, ':'))
			;
		if (!colon)
			return fail(p, "no ':' after the key");
	}
	*colon = '\0';
	trim_right(k);
	for (v = colon + 1; *v == ' '; v++)
		;
	if (*v == '|' || *v == '>' || *v == '&' || *v == '*' || *v == '!' || *v == '[')
		return fail(p, "%s: block scalars, anchors, tags and lists are not supported", k);
	if (!(v = scalar(v, &rest)))
		return fail(p, "%s: a quoted value without its closing quote", k);
	for (; *rest == ' '; rest++)
		;
	if (*rest)
		return fail(p, "%s: something after the quoted value", k);
	if (indent == 0) {
		p->block = TOP;
		return top_key(p, k, v);
	}
	if (p->block == TOP)
		return fail(p, "an indented line outside tls_server_config, http_server_config or basic_auth_users");
	if (p->indent < 0)
		p->indent = indent;
	if (indent != p->indent)
		return fail(p, "indentation of %d where the block has %d (nested mappings are not supported)", indent,
			    p->indent);
	return p->block == TLS ? tls_key(p, k, v) : p->block == HTTP ? http_key(p, k, v) : user_key(p, k, v);
}

/* What a block-by-block reading cannot see: the TLS settings as a whole. */
static int check_tls(struct parser *p)
{
	struct web_config *c = p->c;

	p->line = 0;
	if (!c->tls)
		return 0;
	if (!c->cert_file || !c->key_file)
		return fail(p, "tls_server_config needs cert_file and key_file");
	if (c->client_auth != CLIENT_AUTH_NONE && !c->client_ca_file)
		return fail(p, "client_auth_type verifies client certificates: it needs client_ca_file");
	if (c->client_auth == CLIENT_AUTH_NONE && c->client_ca_file)
		return fail(p, "client_ca_file without a client_auth_type that verifies (RequireAndVerifyClientCert)");
	if (c->min_version && c->max_version && c->max_version < c->min_version)
		return fail(p, "max_version is below min_version");
	return 0;
}

int web_config_parse(const char *text, struct web_config *c, char *err, size_t errlen)
{
	struct parser p = { c, err, errlen, 0, TOP, -1, 0, 0 };
	char *copy = strdup(text), *s, *next;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (s = copy; s && !ret; s = next) {
		next = strchr(s, '\n');
		if (next)
			*next++ = '\0';
		p.line++;
		ret = one_line(&p, s);
	}
	if (!ret)
		ret = check_tls(&p);
	free(copy);
	if (ret)
		web_config_free(c);
	return ret;
}

/* A file the config names, relative to the config's directory; readable. */
static int resolve(const char *conf, char **path, const char *what)
{
	const char *slash = strrchr(conf, '/');
	char *full;

	if (!*path)
		return 0;
	if ((*path)[0] != '/' && slash) {
		if (asprintf(&full, "%.*s/%s", (int)(slash - conf), conf, *path) < 0) {
			ks_err("out of memory");
			return -1;
		}
		free(*path);
		*path = full;
	}
	if (access(*path, R_OK)) {
		ks_err("--web-config %s: %s %s: %s", conf, what, *path, strerror(errno));
		return -1;
	}
	return 0;
}

int web_config_load(const char *path, struct web_config *c)
{
	char err[256], *text = malloc(1 << 20);
	ssize_t n;

	memset(c, 0, sizeof(*c));
	if (!text) {
		ks_err("out of memory");
		return -1;
	}
	n = read_small_file(path, text, 1 << 20);
	if (n < 0 || n >= (1 << 20) - 1) {
		ks_err("--web-config %s: %s", path, n < 0 ? strerror((int)-n) : "larger than 1 MiB");
		free(text);
		return -1;
	}
	if (memchr(text, '\0', (size_t)n)) {
		ks_err("--web-config %s: not a text file", path);
		free(text);
		return -1;
	}
	if (web_config_parse(text, c, err, sizeof(err))) {
		ks_err("--web-config %s: %s", path, err);
		free(text);
		return -1;
	}
	free(text);
	if (resolve(path, &c->cert_file, "cert_file") || resolve(path, &c->key_file, "key_file") ||
	    resolve(path, &c->client_ca_file, "client_ca_file")) {
		web_config_free(c);
		return -1;
	}
	return 0;
}

void web_config_free(struct web_config *c)
{
	free(c->cert_file);
	free(c->key_file);
	free(c->client_ca_file);
	for (size_t i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		free(c->users[i].hash);
	}
	free(c->users);
	memset(c, 0, sizeof(*c));
}
