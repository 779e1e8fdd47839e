/*
 * client_http.c - one HTTP/1.0 request over a blocking socket
 * (client.h).  HTTP/1.0 with "Connection: close" so that the end of the
 * body is the end of the connection; Content-Length is honoured when
 * the server sends it.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli/client.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

void
client_resp_fini(struct client_resp *resp)
{
	xfree(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

int
client_pct_encode(const char *s, char *buf, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			if (n + 1 >= cap)
				return ERR_TOOBIG;
			buf[n++] = (char)c;
		} else {
			if (n + 3 >= cap)
				return ERR_TOOBIG;
			buf[n++] = '%';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	if (cap == 0)
		return ERR_TOOBIG;
	buf[n] = '\0';
	return 0;
}

/* Split "http://HOST[:PORT][/PREFIX]". */
static int
url_split(const char *url, char *host, size_t hcap, char *port, size_t pcap,
    char *prefix, size_t xcap)
{
	const char *p, *slash, *hend, *colon;

	if (strncasecmp(url, "http://", 7) != 0)
		return ERR_INVAL;
	p = url + 7;
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	if (*p == '[') {
		hend = memchr(p, ']', (size_t)(slash - p));
		if (hend == NULL)
			return ERR_INVAL;
		p++;
		colon = hend + 1 < slash && hend[1] == ':' ? hend + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(slash - p));
		hend = colon ? colon : slash;
	}
	if (hend == p || (size_t)(hend - p) >= hcap)
		return ERR_INVAL;
	snprintf(host, hcap, "%.*s", (int)(hend - p), p);
	if (colon != NULL) {
		if (colon + 1 == slash || (size_t)(slash - colon - 1) >= pcap)
			return ERR_INVAL;
		snprintf(port, pcap, "%.*s", (int)(slash - colon - 1), colon + 1);
	} else {
		snprintf(port, pcap, "80");
	}
	if (strlen(slash) >= xcap)
		return ERR_INVAL;
	snprintf(prefix, xcap, "%s", slash);
	/* no trailing slash: paths start with one */
	if (prefix[0] != '\0' && prefix[strlen(prefix) - 1] == '/')
		prefix[strlen(prefix) - 1] = '\0';
	return 0;
}

static int
connect_to(const char *host, const char *port, char *err, size_t errcap)
{
	struct addrinfo hints, *res, *ai;
	struct timeval tv = { CLIENT_TIMEOUT_S, 0 };
	int fd = -1, rc, e = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errcap, "%s:%s: %s", host, port, gai_strerror(rc));
		return ERR_IO;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errcap, "cannot connect to %s:%s: %s", host, port,
		    strerror(e ? e : ECONNREFUSED));
	return fd;
}

static int
send_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Parse status line and headers of buf (len bytes, NUL-terminated). */
static int
parse_resp(char *buf, size_t len, struct client_resp *resp, char *err,
    size_t errcap)
{
	char *hend = strstr(buf, "\r\n\r\n"), *cl;
	size_t hlen, blen;
	long want = -1;

	if (strncmp(buf, "HTTP/1.", 7) != 0 || hend == NULL ||
	    len < 12 || buf[8] != ' ') {
		snprintf(err, errcap, "not an HTTP response");
		return ERR_MALFORMED;
	}
	resp->status = atoi(buf + 9);
	hlen = (size_t)(hend - buf) + 4;
	*hend = '\0';
	for (cl = buf; (cl = strchr(cl, '\n')) != NULL; cl++)
		if (strncasecmp(cl + 1, "Content-Length:", 15) == 0)
			want = atol(cl + 16);
	blen = len - hlen;
	if (want >= 0 && (size_t)want < blen)
		blen = (size_t)want;
	if (want >= 0 && (size_t)want > blen) {
		snprintf(err, errcap, "response cut short (%zu of %ld bytes)",
		    blen, want);
		return ERR_IO;
	}
	if ((resp->body = xmalloc(blen + 1)) == NULL) {
		snprintf(err, errcap, "out of memory");
		return ERR_NOMEM;
	}
	memcpy(resp->body, buf + hlen, blen);
	resp->body[blen] = '\0';
	resp->body_len = blen;
	return 0;
}

int
client_http(const char *url, const char *method, const char *path,
    const char *token, const char *body, struct client_resp *resp,
    char *err, size_t errcap)
{
	return client_http_body(url, method, path, token, "application/json",
	    body, body ? strlen(body) : 0, resp, err, errcap);
}

int
client_http_body(const char *url, const char *method, const char *path,
    const char *token, const char *content_type, const char *body,
    size_t blen, struct client_resp *resp, char *err, size_t errcap)
{
	char host[256], port[16], prefix[CLIENT_URL_MAX], head[4096 + CLIENT_URL_MAX];
	size_t len = 0, cap = 0;
	char *buf = NULL, *nbuf;
	int fd, n, rc;
	ssize_t got;

	memset(resp, 0, sizeof(*resp));
	if (url_split(url, host, sizeof(host), port, sizeof(port), prefix,
	    sizeof(prefix)) != 0) {
		snprintf(err, errcap, "%s: want http://HOST:PORT", url);
		return ERR_INVAL;
	}
	n = snprintf(head, sizeof(head), "%s %s%s HTTP/1.0\r\nHost: %s:%s\r\n"
	    "User-Agent: relayguard/" RG_VERSION "\r\nAccept: application/json\r\n"
	    "Connection: close\r\n%s%s%s", method, prefix, path, host, port,
	    token ? "Authorization: Bearer " : "", token ? token : "",
	    token ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head) - 100) {
		snprintf(err, errcap, "request too long");
		return ERR_TOOBIG;
	}
	if (body != NULL)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		    "Content-Type: %s\r\nContent-Length: %zu\r\n",
		    content_type, blen);
	else if (strcmp(method, "POST") == 0)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		    "Content-Length: 0\r\n");
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	if ((fd = connect_to(host, port, err, errcap)) < 0)
		return ERR_IO;
	if (send_all(fd, head, (size_t)n) != 0 ||
	    (body != NULL && send_all(fd, body, blen) != 0)) {
		snprintf(err, errcap, "%s: send: %s", url, strerror(errno));
		close(fd);
		return ERR_IO;
	}
	for (;;) {
		if (cap - len < 65536 + 1) {
			if (cap > CLIENT_RESP_MAX) {
				snprintf(err, errcap, "%s: response over %zu bytes",
				    url, CLIENT_RESP_MAX);
				rc = ERR_TOOBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 65536 * 2;
			if ((nbuf = xrealloc(buf, cap)) == NULL) {
				snprintf(err, errcap, "out of memory");
				rc = ERR_NOMEM;
				goto out;
			}
			buf = nbuf;
		}
		got = recv(fd, buf + len, cap - len - 1, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errcap, "%s: receive: %s", url,
			    errno == EAGAIN ? "timed out" : strerror(errno));
			rc = ERR_IO;
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (buf == NULL) {
		snprintf(err, errcap, "%s: empty response", url);
		rc = ERR_MALFORMED;
		goto out;
	}
	buf[len] = '\0';
	rc = parse_resp(buf, len, resp, err, errcap);
out:
	close(fd);
	xfree(buf);
	return rc;
}
