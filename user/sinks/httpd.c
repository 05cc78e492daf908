// SPDX-License-Identifier: GPL-2.0-only
#include "sinks/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size, void **state)
{
	struct http_server *h = cls;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)state;
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

int http_start(struct http_server *h, const char *listen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL; /* no MHD_USE_ERROR_LOG: our lines only */

	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->mu, NULL);
	if (parse_listen(listen, &ss, &len)) {
		ks_err("--listen: '%s' is not ADDR:PORT with a numeric address (e.g. 127.0.0.1:9572, [::1]:9572)",
		       listen);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	MHD_set_panic_func(on_panic, NULL);
	/* errno from bind() survives MHD_start_daemon's failure path */
	errno = 0;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, /* idle clients are dropped */
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
				MHD_OPTION_END);
	if (!h->d) {
		ks_err("cannot listen on %s: %s", listen, errno ? strerror(errno) : "the HTTP server did not start");
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
	pthread_mutex_destroy(&h->mu);
}
