// SPDX-License-Identifier: GPL-2.0-only
#include "sinks/httpd.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* threads answering: a client making the server compute bcrypt holds one of them, not all */
#define HTTP_THREADS 4
#define EXPOSITION_TYPE "text/plain; version=0.0.4; charset=utf-8"

static const char index_page[] = "ksmscope: live KSM sharing metrics. Prometheus exposition at /metrics\n";
static const char not_ready[] = "# ksmscope: no snapshot yet (the first one comes after one interval)\n";

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const void *body,
			     size_t len)
{
	/* MUST_COPY: the page may be replaced while the response is still being sent */
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Bytes equal, in a time that does not depend on where they differ. */
static bool same(const char *a, const char *b)
{
	size_t n = strlen(a);
	unsigned char d = n != strlen(b);

	for (size_t i = 0; i < n && b[i]; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}

/* SHA-256 of the run's salt, the user and the password: what the cache of good logins holds. */
static void login_digest(const struct http_server *h, const char *user, const char *pass, unsigned char out[32])
{
	size_t nu = strlen(user), np = strlen(pass), n = sizeof(h->salt) + nu + 1 + np;
	unsigned char *buf = malloc(n);

	memset(out, 0, 32);
	if (!buf)
		return;
	memcpy(buf, h->salt, sizeof(h->salt));
	memcpy(buf + sizeof(h->salt), user, nu + 1);
	memcpy(buf + sizeof(h->salt) + nu + 1, pass, np);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, n, out);
	memset(buf, 0, n);
	free(buf);
}

/*
 * The request's user and password against the bcrypt hashes. A login that
 * passed once is remembered (a salted SHA-256), so scrapes do not pay bcrypt
 * each time; an unknown user pays it all the same (against the first user's
 * hash), so the time does not tell which users exist.
 */
static bool authorized(struct http_server *h, struct MHD_Connection *c)
{
	const struct web_config *wc = h->wc;
	char *pass = NULL, *user = MHD_basic_auth_get_username_password(c, &pass);
	struct crypt_data *cd = NULL;
	unsigned char dg[32];
	const char *hash = NULL;
	bool ok = false;

	if (!user || !pass)
		goto out;
	login_digest(h, user, pass, dg);
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < AUTH_CACHE && !ok; i++)
		ok = h->good[i][0] && !memcmp(h->good[i] + 1, dg, 32);
	pthread_mutex_unlock(&h->mu);
	if (ok)
		goto out;
	for (size_t i = 0; i < wc->nusers && !hash; i++)
		if (!strcmp(user, wc->users[i].name))
			hash = wc->users[i].hash;
	cd = calloc(1, sizeof(*cd));
	if (cd) {
		const char *r = crypt_r(pass, hash ? hash : wc->users[0].hash, cd);

		ok = hash && r && r[0] != '*' && same(r, hash);
	}
	if (ok) {
		pthread_mutex_lock(&h->mu);
		h->good[h->next_good][0] = 1;
		memcpy(h->good[h->next_good] + 1, dg, 32);
		h->next_good = (h->next_good + 1) % AUTH_CACHE;
		pthread_mutex_unlock(&h->mu);
	}
out:
	free(cd);
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

/* The client's certificate, as client_auth_type asks: verified against client_ca_file. */
static bool client_verified(const struct web_config *wc, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	unsigned status = 0;
	int err;

	if (wc->client_auth == CLIENT_AUTH_NONE)
		return true;
	if (!ci || !ci->tls_session)
		return false;
	/* signed by the client CA, and for TLS client authentication (a server's certificate is not) */
	gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0 };

	err = gnutls_certificate_verify_peers((gnutls_session_t)ci->tls_session, &purpose, 1, &status);
	if (err == GNUTLS_E_NO_CERTIFICATE_FOUND)
		return wc->client_auth == CLIENT_AUTH_VERIFY_IF_GIVEN;
	return err == GNUTLS_E_SUCCESS && status == 0;
}

static enum MHD_Result deny(struct MHD_Connection *c, bool auth)
{
	static const char need_auth[] = "unauthorized\n", need_cert[] = "a verified client certificate is required\n";
	struct MHD_Response *r = auth ? MHD_create_response_from_buffer(sizeof(need_auth) - 1, (void *)need_auth,
									  MHD_RESPMEM_PERSISTENT)
				      : MHD_create_response_from_buffer(sizeof(need_cert) - 1, (void *)need_cert,
									  MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	ret = auth ? MHD_queue_basic_auth_fail_response(c, "ksmscope", r) : MHD_queue_response(c, MHD_HTTP_FORBIDDEN, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size, void **state)
{
	struct http_server *h = cls;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)state;
	if (h->wc && !client_verified(h->wc, c))
		return deny(c, false);
	if (h->wc && h->wc->nusers && !authorized(h, c))
		return deny(c, true);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		static const char msg[] = "method not allowed\n";
		struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
									 MHD_RESPMEM_PERSISTENT);

		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		ret = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (!strcmp(url, "/metrics")) {
		pthread_mutex_lock(&h->mu);
		if (h->ready)
			ret = reply(c, MHD_HTTP_OK, EXPOSITION_TYPE, h->page.buf, h->page.len);
		else
			ret = reply(c, MHD_HTTP_OK, EXPOSITION_TYPE, not_ready, sizeof(not_ready) - 1);
		pthread_mutex_unlock(&h->mu);
		return ret;
	}
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", index_page, sizeof(index_page) - 1);
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", "not found\n", 10);
}

static void on_panic(void *cls, const char *file, unsigned line, const char *reason)
{
	(void)cls;
	fprintf(stderr, "ksmscope: HTTP server failure at %s:%u: %s\n", file, line, reason ? reason : "?");
	abort();
}

/* "127.0.0.1:9572", "[::1]:9572", "0.0.0.0:80". */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon, *port;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	unsigned long pn;
	char *end;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		port = rb + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host) || colon == s)
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port = colon + 1;
	}
	errno = 0;
	pn = strtoul(port, &end, 10);
	if (!*port || *end || errno || pn == 0 || pn > 65535)
		return -1;
	if (getaddrinfo(host, port, &hints, &ai) || !ai)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* The PEM files the web configuration names, into h->pem. 0, or one line printed and -1. */
static int read_pems(struct http_server *h)
{
	const char *paths[3] = { h->wc->cert_file, h->wc->key_file, h->wc->client_ca_file };

	for (int i = 0; i < 3; i++) {
		ssize_t n;

		if (!paths[i])
			continue;
		h->pem[i] = malloc(1 << 20);
		if (!h->pem[i]) {
			ks_err("out of memory");
			return -1;
		}
		n = read_small_file(paths[i], h->pem[i], 1 << 20);
		if (n < 0 || !strstr(h->pem[i], "-----BEGIN ")) {
			ks_err("--web-config: %s: %s", paths[i], n < 0 ? strerror((int)-n) : "not a PEM file");
			return -1;
		}
		h->pem[i] = realloc(h->pem[i], (size_t)n + 1) ?: h->pem[i]; /* kept while serving: its size */
	}
	return 0;
}

/* GnuTLS priorities from min_version and max_version (TLS 1.2 and 1.3 by default). */
static void priorities(const struct web_config *wc, char *out, size_t size)
{
	int lo = wc->min_version ? wc->min_version : 12, hi = wc->max_version ? wc->max_version : 13;

	snprintf(out, size, "NORMAL:-VERS-ALL%s%s", hi >= 13 ? ":+VERS-TLS1.3" : "", lo <= 12 ? ":+VERS-TLS1.2" : "");
}

static struct MHD_Daemon *start_daemon(struct http_server *h, unsigned flags, const struct sockaddr_storage *ss)
{
	char prio[128];

	if (!h->wc || !h->wc->tls)
		return MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
					MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
					MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, /* idle clients are dropped */
					MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
					MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
					MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
					MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
					MHD_OPTION_END);
	priorities(h->wc, prio, sizeof(prio));
	/* with no client CA, MHD_OPTION_HTTPS_MEM_TRUST is given NULL, which MHD ignores */
	return MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, on_request, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
				MHD_OPTION_HTTPS_MEM_CERT, h->pem[0],
				MHD_OPTION_HTTPS_MEM_KEY, h->pem[1],
				MHD_OPTION_HTTPS_PRIORITIES, prio,
				h->pem[2] ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, h->pem[2],
				MHD_OPTION_END);
}

int http_start(struct http_server *h, const char *listen, const struct web_config *wc)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL; /* no MHD_USE_ERROR_LOG: our lines only */

	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->mu, NULL);
	h->wc = wc;
	if (getrandom(h->salt, sizeof(h->salt), 0) != (ssize_t)sizeof(h->salt)) {
		ks_err("cannot draw a random salt: %s", strerror(errno));
		http_stop(h);
		return -1;
	}
	if (wc && wc->tls && read_pems(h)) {
		http_stop(h);
		return -1;
	}
	if (parse_listen(listen, &ss, &len)) {
		ks_err("--listen: '%s' is not ADDR:PORT with a numeric address (e.g. 127.0.0.1:9572, [::1]:9572)",
		       listen);
		http_stop(h);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	MHD_set_panic_func(on_panic, NULL);
	/* errno from bind() survives MHD_start_daemon's failure path */
	errno = 0;
	h->d = start_daemon(h, flags, &ss);
	if (!h->d) {
		ks_err("cannot listen on %s: %s", listen,
		       errno ? strerror(errno)
		       : wc && wc->tls ? "the HTTPS server did not start (is the key the certificate's, both PEM?)"
				       : "the HTTP server did not start");
		http_stop(h);
		return -1;
	}
	(void)len;
	return 0;
}

void http_publish(struct http_server *h, struct sbuf *fresh)
{
	struct sbuf old;

	if (fresh->oom)
		return; /* keep answering the last complete page */
	pthread_mutex_lock(&h->mu);
	old = h->page;
	h->page = *fresh;
	h->ready = true;
	pthread_mutex_unlock(&h->mu);
	*fresh = old; /* reused for the next render */
}

void http_stop(struct http_server *h)
{
	if (h->d)
		MHD_stop_daemon(h->d);
	h->d = NULL;
	sbuf_free(&h->page);
	for (int i = 0; i < 3; i++) {
		free(h->pem[i]);
		h->pem[i] = NULL;
	}
	pthread_mutex_destroy(&h->mu);
}
