/*
 * client.h - the command-line client of a running relayguardd's HTTP
 * API (client.c: the subcommands and their tables; client_http.c: a
 * small HTTP/1.0 client over a plain socket).
 *
 * Why hand-written and not libevent's evhttp client: the CLI makes one
 * request and exits; a blocking socket with a timeout is 150 lines and
 * needs no event loop.  Limits: a response of at most CLIENT_RESP_MAX
 * bytes (more: ERR_TOOBIG), CLIENT_TIMEOUT_S seconds to connect, send
 * and receive.  Only http:// URLs (the API listens on loopback; put a
 * TLS proxy in front for anything else).
 */
#ifndef RG_CLI_CLIENT_H
#define RG_CLI_CLIENT_H

#include <stddef.h>

#define CLIENT_RESP_MAX ((size_t)64 << 20)
#define CLIENT_TIMEOUT_S 10
#define CLIENT_URL_MAX 1024

struct client_resp {
	int status;			/* HTTP status code */
	char *body;			/* owned, NUL-terminated */
	size_t body_len;
};

/*
 * client_http - send method url+path (path starts with "/", holds the
 * query too) with the bearer token (NULL: none) and body (NULL: none,
 * else sent as application/json).  Returns 0 and *resp (free its body
 * with client_resp_fini), or a negative error with a message in err
 * (ERR_INVAL: bad URL; ERR_IO: cannot connect, send or read;
 * ERR_MALFORMED: not an HTTP response; ERR_TOOBIG).
 */
int client_http(const char *url, const char *method, const char *path,
    const char *token, const char *body, struct client_resp *resp,
    char *err, size_t errcap);

/*
 * client_http_body - client_http() with a body of blen bytes (any
 * bytes; NULL: none) sent as content_type, e.g. "message/rfc822".
 */
int client_http_body(const char *url, const char *method, const char *path,
    const char *token, const char *content_type, const char *body,
    size_t blen, struct client_resp *resp, char *err, size_t errcap);

/* client_resp_fini - free the body; safe on a zeroed response. */
void client_resp_fini(struct client_resp *resp);

/*
 * client_pct_encode - percent-encode a path segment (everything but
 * unreserved characters, RFC 3986 section 2.3) into buf.  Returns 0 or
 * ERR_TOOBIG.
 */
int client_pct_encode(const char *s, char *buf, size_t cap);

#endif
