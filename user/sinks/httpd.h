/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The HTTP side of `ksmscope serve` (libmicrohttpd): GET /metrics answers the
 * last rendered exposition, / a short index, anything else 404. The server
 * runs on its own thread and polls its sockets (epoll): a slow client is one
 * connection waiting, never a stalled engine; the engine only swaps a buffer
 * under a mutex held for a copy. With a web configuration (sinks/webconfig.h)
 * it speaks TLS only (GnuTLS), verifies client certificates if asked, and
 * answers 401 to requests without a user and password that match a bcrypt
 * hash (crypt(3)).
 */
#ifndef KSMSCOPE_SINKS_HTTPD_H
#define KSMSCOPE_SINKS_HTTPD_H

#include <pthread.h>
#include <stddef.h>

#include "lib/util.h"
#include "sinks/webconfig.h"

#define AUTH_CACHE 16

struct http_server {
	struct MHD_Daemon *d;
	pthread_mutex_t mu;
	struct sbuf page; /* the exposition scrapes get */
	bool ready;       /* a first snapshot was published */
	const struct web_config *wc; /* NULL: plain HTTP, no authentication */
	char *pem[3];                /* the certificate, key and client CA, read at start */
	unsigned char salt[16];      /* of the login cache: random per run */
	unsigned char good[AUTH_CACHE][33]; /* logins that passed: [0] set, then their salted SHA-256 */
	size_t next_good;
};

/*
 * Parse "ADDR:PORT" ("[v6]:PORT" for IPv6) and listen, with TLS and
 * authentication as wc says (NULL: none; it must outlive the server).
 * 0, or one line printed and -1 (then nothing is left to stop).
 */
int http_start(struct http_server *h, const char *listen, const struct web_config *wc);
/* What /metrics answers from now on: fresh's text, swapped in; fresh gets the old buffer to reuse. */
void http_publish(struct http_server *h, struct sbuf *fresh);
void http_stop(struct http_server *h);

#endif
