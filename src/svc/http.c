/*
 * http.c - the HTTP service (http.h): evhttp in, api_handle() or a
 * dashboard file out, with the rate limit, the body limit, the token,
 * the sampler that feeds the per-customer history, and the persistence
 * of the DNSBL entries.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "dnsbl/dnsbl_detection.h"
#include "engine/engine.h"
#include "engine/engine_api.h"
#include "engine/history.h"
#include "http/api.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "svc/dns.h"
#include "svc/http.h"
#include "svc/http_entries.h"

#define HTTP_TOKEN_MAX 4096
#define API_SEG_MAX_SVC 512

struct rl_bucket {
	double tokens;
	int64_t last_us;
};

struct http_svc {
	struct event_base *base;	/* borrowed */
	struct evhttp *http;		/* owned */
	struct event *ev_sample;	/* owned */
	struct api_env env;		/* borrowed pointers, see http.h */
	struct api_reload reload;
	struct api_http_stats stats;
	struct history *history;	/* owned */
	char *token;			/* owned, NULL: none */
	char *listeners[HTTP_SVC_LISTENERS_MAX + 1];	/* owned, NULL-ended */
	size_t n_listeners;
	unsigned port;
	char www[PATH_MAX];		/* "" when none was found */
	int64_t last_sample_us;
	uint64_t entries_gen;		/* sum of the detection datasets' gens */
	uint64_t rl_seed;
	struct rl_bucket rl[HTTP_SVC_RL_SLOTS];
	char hostname[256];		/* gethostname(), for complaints */
};

/* ------------------------------------------------------------ the token */

static int
http_read_token(const struct conf *conf, char **out, char *err, size_t errcap)
{
	char *text = NULL, *p;
	size_t len;
	int rc;

	*out = NULL;
	if (conf->http_token != NULL && conf->http_token[0] != '\0') {
		if ((*out = xstrdup(conf->http_token)) == NULL)
			return ERR_NOMEM;
		return 0;
	}
	if (conf->http_token_file == NULL)
		return 0;
	rc = file_read_all(conf->http_token_file, HTTP_TOKEN_MAX, &text, &len,
	    err, errcap);
	if (rc != 0)
		return rc;
	/* The first line, without surrounding blanks. */
	p = text;
	while (*p == ' ' || *p == '\t')
		p++;
	len = strcspn(p, "\r\n");
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len == 0) {
		snprintf(err, errcap, "%s: the token file is empty",
		    conf->http_token_file);
		xfree(text);
		return ERR_INVAL;
	}
	*out = xstrndup(p, len);
	xfree(text);
	return *out != NULL ? 0 : ERR_NOMEM;
}

/* ------------------------------------------------------------ entries */

static uint64_t
http_entries_gen(struct http_svc *svc)
{
	const struct conf *conf = svc->env.conf;
	uint64_t gen = 0;
	size_t i;

	for (i = 0; svc->env.dns != NULL && i < conf->n_zones; i++) {
		struct dnsbl_detection *det = dns_svc_detection(svc->env.dns,
		    conf->zones[i].name, NULL);

		if (det != NULL)
			gen += dnsbl_detection_gen(det) + 1;
	}
	return gen;
}

static void
http_save_entries(struct http_svc *svc)
{
	char err[512];

	if (svc->env.dns == NULL)
		return;
	if (http_entries_save(svc->env.conf, svc->env.dns,
	    clock_now_us() / 1000000, err, sizeof(err)) != 0)
		log_error("http: saving the DNSBL entries: %s", err);
	svc->entries_gen = http_entries_gen(svc);
}

static void
http_on_zone_change(void *ctx)
{
	http_save_entries(ctx);
}

/* ------------------------------------------------------------ sampler */

static void
http_sample(struct http_svc *svc, int64_t now_us)
{
	engine_api_sample(svc->env.engine, svc->history, svc->last_sample_us,
	    now_us);
	svc->last_sample_us = now_us;
}

/*
 * Before a customer's page: bring that customer's history up to date (one
 * lookup; the whole walk runs on the timer only, never in a request).
 */
static void
http_sample_page(struct http_svc *svc, const char *path, int64_t now_us)
{
	static const char prefix[] = "/api/v1/customers/";
	char id[API_SEG_MAX_SVC];
	const char *p = path + sizeof(prefix) - 1;
	size_t n;

	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return;
	n = strcspn(p, "/");
	if (n == 0 || p[n] != '\0' || api_pct_decode(p, n, false, id,
	    sizeof(id)) < 0)
		return;
	engine_api_sample_one(svc->env.engine, svc->history, id, now_us);
}

static void
http_tick(evutil_socket_t fd, short what, void *arg)
{
	struct http_svc *svc = arg;
	int64_t now_us = clock_now_us();

	(void)fd;
	(void)what;
	http_sample(svc, now_us);
	history_expire(svc->history, now_us - HISTORY_IDLE_US);
	if (svc->env.dns != NULL && http_entries_gen(svc) != svc->entries_gen)
		http_save_entries(svc);
}

/* ------------------------------------------------------------ files */

/* The dashboard's directory, see http.h. */
static void
http_find_www(struct http_svc *svc)
{
	static const char *const rel[] = { "/../www", "/../../www",
		"/../share/relayguard/www" };
	char exe[PATH_MAX / 2], path[PATH_MAX + 64], *slash;
	const char *env = getenv("RG_WWW_DIR");
	struct stat st;
	ssize_t n;
	size_t i;

	svc->www[0] = '\0';
	if (env != NULL && env[0] != '\0') {
		snprintf(svc->www, sizeof(svc->www), "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(path, sizeof(path), "%s%s/index.html", exe, rel[i]);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				snprintf(svc->www, sizeof(svc->www), "%s%s", exe,
				    rel[i]);
				return;
			}
		}
	}
	snprintf(svc->www, sizeof(svc->www), "/usr/local/share/relayguard/www");
}

static const char *
http_mime(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".json", "application/json" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	for (i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* A safe relative path: [A-Za-z0-9._-] segments, none starting with ".". */
static bool
http_safe_path(const char *p)
{
	bool seg_start = true;

	for (; *p != '\0'; p++) {
		if (*p == '/') {
			seg_start = true;
			continue;
		}
		if (seg_start && *p == '.')
			return false;
		seg_start = false;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return false;
	}
	return true;
}

/* Serve a dashboard file into resp; false when there is none. */
static bool
http_file(struct http_svc *svc, const char *path, struct api_resp *resp)
{
	char full[PATH_MAX + 512], err[256];
	char *text;
	size_t len;

	if (svc->www[0] == '\0' || strlen(path) > 256)
		return false;
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = "index.html";
	if (!http_safe_path(path))
		return false;
	snprintf(full, sizeof(full), "%s/%s", svc->www, path);
	if (file_read_all(full, HTTP_SVC_FILE_MAX, &text, &len, err,
	    sizeof(err)) != 0)
		return false;
	api_resp_fini(resp);
	resp->status = 200;
	resp->content_type = http_mime(full);
	resp->body = text;
	resp->body_len = len;
	return true;
}

/* ------------------------------------------------------------ requests */

static const char *
http_method(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "OTHER";
}

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	}
	return "Unknown";
}

/* Take one token from the client's bucket; false when it is empty. */
static bool
http_rate_ok(struct http_svc *svc, const char *host, int64_t now_us)
{
	struct rl_bucket *b = &svc->rl[hash_bytes(host, strlen(host),
	    svc->rl_seed) % HTTP_SVC_RL_SLOTS];
	double dt;

	if (b->last_us == 0) {
		b->tokens = HTTP_SVC_BURST;
		b->last_us = now_us;
	}
	dt = (double)(now_us - b->last_us) / 1e6;
	if (dt > 0) {
		b->tokens += dt * HTTP_SVC_RATE;
		if (b->tokens > HTTP_SVC_BURST)
			b->tokens = HTTP_SVC_BURST;
		b->last_us = now_us;
	}
	if (b->tokens < 1)
		return false;
	b->tokens -= 1;
	return true;
}

static void
http_reply(struct http_svc *svc, struct evhttp_request *req,
    struct api_resp *resp, bool html)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(h, "Content-Type", resp->content_type ?
	    resp->content_type : "application/json");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (resp->allow != NULL)
		evhttp_add_header(h, "Allow", resp->allow);
	if (resp->status == 429)
		evhttp_add_header(h, "Retry-After", "1");
	if (html) {
		evhttp_add_header(h, "Content-Security-Policy",
		    "default-src 'self'; img-src 'self' data:; "
		    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
		evhttp_add_header(h, "X-Frame-Options", "DENY");
	}
	if (out != NULL && resp->body_len > 0)
		evbuffer_add(out, resp->body, resp->body_len);
	svc->stats.requests++;
	svc->stats.by_class[resp->status >= 100 && resp->status < 600 ?
	    resp->status / 100 : 0]++;
	if (resp->status == 401)
		svc->stats.unauthorized++;
	evhttp_send_reply(req, resp->status, http_reason(resp->status), out);
	if (out != NULL)
		evbuffer_free(out);
}

/*
 * The body limit of path: an abuse report may be up to 1 MiB (the ARF
 * parser's limit and evhttp's HTTP_SVC_BODY_HARD_MAX), JSON bodies 64 KiB.
 */
static unsigned
http_body_max(const char *path)
{
	if (strcmp(path, "/api/v1/complaints") == 0)
		return API_COMPLAINT_BODY_MAX;
	return API_BODY_MAX;
}

/* The relay's host name, to find its Received: field in complaints. */
static void
http_set_hostname(struct http_svc *svc)
{
	if (gethostname(svc->hostname, sizeof(svc->hostname) - 1) != 0)
		svc->hostname[0] = '\0';
	svc->hostname[sizeof(svc->hostname) - 1] = '\0';
	svc->env.hostname = svc->hostname[0] != '\0' ? svc->hostname : NULL;
}

static void
http_cb(struct evhttp_request *req, void *arg)
{
	struct http_svc *svc = arg;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	int64_t now_us = clock_now_us();
	struct api_resp resp;
	struct api_req ar;
	char peer[IPADDR_STRLEN + 16];
	char *host = NULL;
	ev_uint16_t port = 0;
	const char *path;
	size_t len;
	bool html = false;

	memset(&resp, 0, sizeof(resp));
	memset(&ar, 0, sizeof(ar));
	if (conn != NULL) {
		struct bufferevent *bev = evhttp_connection_get_bufferevent(conn);
		int one = 1;

		evhttp_connection_get_peer(conn, &host, &port);
		/*
		 * evhttp writes the headers and the body separately: without
		 * TCP_NODELAY a keep-alive client's delayed ACK holds the body
		 * back 40 ms (measured: 44 ms for a customer's page, 1 ms with).
		 */
		if (bev != NULL && bufferevent_getfd(bev) >= 0)
			setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
			    &one, sizeof(one));
	}
	snprintf(peer, sizeof(peer), strchr(host ? host : "", ':') ?
	    "[%s]:%u" : "%s:%u", host ? host : "?", (unsigned)port);
	if (!http_rate_ok(svc, host ? host : "?", now_us)) {
		svc->stats.rate_limited++;
		api_error(&resp, 429, "too many requests from %s; slow down",
		    host ? host : "?");
		http_reply(svc, req, &resp, false);
		api_resp_fini(&resp);
		return;
	}
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	ar.method = http_method(evhttp_request_get_command(req));
	ar.path = path != NULL && path[0] != '\0' ? path : "/";
	ar.query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	ar.authorization = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Authorization");
	ar.peer = peer;
	len = evbuffer_get_length(in);
	if (len > http_body_max(ar.path)) {
		svc->stats.too_big++;
		log_warn("http: %s: %s %s: body of %zu bytes exceeds %u",
		    peer, ar.method, ar.path, len, http_body_max(ar.path));
		api_error(&resp, 413, "the request body exceeds %u bytes",
		    http_body_max(ar.path));
		http_reply(svc, req, &resp, false);
		api_resp_fini(&resp);
		return;
	}
	ar.body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : NULL;
	ar.body_len = len;
	http_sample_page(svc, ar.path, now_us);
	if (!api_handle(&svc->env, &ar, now_us, &resp) &&
	    (strcmp(ar.method, "GET") == 0 || strcmp(ar.method, "HEAD") == 0)) {
		html = http_file(svc, ar.path, &resp);
		if (!html)
			api_error(&resp, 404, "no such file: %s", ar.path);
	} else if (resp.status == 404 && strncmp(ar.path, "/api", 4) != 0 &&
	    strcmp(ar.path, "/metrics") != 0) {
		/* The dashboard's files are read-only. */
		api_error(&resp, 405, "method %s not allowed here", ar.method);
		resp.allow = "GET";
	}
	http_reply(svc, req, &resp, html);
	api_resp_fini(&resp);
}

/* ------------------------------------------------------------ life */

struct http_svc *
http_svc_new(struct event_base *base, struct engine *engine,
    const struct conf *conf, struct policy_svc *policy, struct dns_svc *dns,
    char *err, size_t errcap)
{
	struct timeval tv = { HTTP_SVC_SAMPLE_S, 0 };
	struct http_svc *svc;
	char lerr[512];
	long n;

	if ((svc = xcalloc(1, sizeof(*svc))) == NULL) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	svc->base = base;
	if (http_read_token(conf, &svc->token, err, errcap) != 0) {
		xfree(svc);
		return NULL;
	}
	if (conf->http_token == NULL && conf->http_token_file == NULL)
		log_warn("http: no API token (http.token_file): every change "
		    "through the API will be refused");
	svc->rl_seed = (uint64_t)clock_mono_us() ^ (uint64_t)getpid();
	svc->history = history_new(0);
	svc->http = evhttp_new(base);
	svc->ev_sample = event_new(base, -1, EV_PERSIST, http_tick, svc);
	if (svc->history == NULL || svc->http == NULL || svc->ev_sample == NULL) {
		snprintf(err, errcap, "out of memory");
		http_svc_free(svc);
		return NULL;
	}
	evhttp_set_gencb(svc->http, http_cb, svc);
	evhttp_set_max_headers_size(svc->http, HTTP_SVC_HEADERS_MAX);
	evhttp_set_max_body_size(svc->http, HTTP_SVC_BODY_HARD_MAX);
	evhttp_set_timeout(svc->http, HTTP_SVC_TIMEOUT_S);
	evhttp_set_allowed_methods(svc->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	svc->env.engine = engine;
	svc->env.conf = conf;
	svc->env.policy = policy;
	svc->env.dns = dns;
	svc->env.history = svc->history;
	svc->env.token = svc->token;
	svc->env.listeners = (const char *const *)svc->listeners;
	svc->env.started_us = clock_now_us();
	svc->env.reload = &svc->reload;
	svc->env.http = &svc->stats;
	svc->env.on_zone_change = http_on_zone_change;
	svc->env.change_ctx = svc;
	http_find_www(svc);
	http_set_hostname(svc);
	n = http_entries_load(conf, dns, svc->env.started_us / 1000000, lerr,
	    sizeof(lerr));
	if (n < 0)
		log_error("http: restoring the DNSBL entries: %s", lerr);
	else if (n > 0)
		log_info("http: restored %ld DNSBL entries", n);
	svc->entries_gen = http_entries_gen(svc);
	event_add(svc->ev_sample, &tv);
	return svc;
}

int
http_svc_listen(struct http_svc *svc, const char *addr, char *err,
    size_t errcap)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256];
	const char *colon, *h;
	unsigned long port;
	char *end;

	colon = strrchr(addr, ':');
	if (colon == NULL || colon == addr) {
		snprintf(err, errcap, "%s: want HOST:PORT", addr);
		return ERR_INVAL;
	}
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port > 65535) {
		snprintf(err, errcap, "%s: bad port", addr);
		return ERR_INVAL;
	}
	h = addr;
	if (addr[0] == '[') {
		if (colon[-1] != ']' || (size_t)(colon - addr - 2) >= sizeof(host)) {
			snprintf(err, errcap, "%s: want [IPV6]:PORT", addr);
			return ERR_INVAL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 2),
		    addr + 1);
	} else {
		if ((size_t)(colon - h) >= sizeof(host)) {
			snprintf(err, errcap, "%s: host too long", addr);
			return ERR_INVAL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - h), h);
		if (strcmp(host, "*") == 0)
			snprintf(host, sizeof(host), "0.0.0.0");
	}
	bs = evhttp_bind_socket_with_handle(svc->http, host, (ev_uint16_t)port);
	if (bs == NULL) {
		snprintf(err, errcap, "%s: cannot listen: %s", addr,
		    strerror(errno ? errno : EADDRINUSE));
		return ERR_IO;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
	    &sl) == 0) {
		if (ss.ss_family == AF_INET)
			svc->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			svc->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	http_svc_note_listener(svc, "http", addr);
	return 0;
}

unsigned
http_svc_port(const struct http_svc *svc)
{
	return svc->port;
}

void
http_svc_note_listener(struct http_svc *svc, const char *what,
    const char *addr)
{
	char *s;
	size_t n;

	if (svc->n_listeners >= HTTP_SVC_LISTENERS_MAX)
		return;
	n = strlen(what) + strlen(addr) + 2;
	if ((s = xmalloc(n)) == NULL)
		return;
	snprintf(s, n, "%s %s", what, addr);
	svc->listeners[svc->n_listeners++] = s;
	svc->listeners[svc->n_listeners] = NULL;
}

void
http_svc_reload(struct http_svc *svc, const struct conf *conf,
    struct engine *engine, bool ok, const char *error)
{
	char err[512];
	char *token;

	svc->reload.reloads++;
	svc->reload.last_us = clock_now_us();
	svc->reload.last_ok = ok;
	if (!ok) {
		svc->reload.failures++;
		snprintf(svc->reload.last_error, sizeof(svc->reload.last_error),
		    "%s", error ? error : "failed");
		return;
	}
	svc->reload.last_error[0] = '\0';
	svc->env.conf = conf;
	svc->env.engine = engine;
	if (http_read_token(conf, &token, err, sizeof(err)) != 0) {
		log_error("http: reload: %s; keeping the old API token", err);
		return;
	}
	xfree(svc->token);
	svc->token = token;
	svc->env.token = token;
}

void
http_svc_set_daemon_stats(struct http_svc *svc,
    const struct api_daemon_stats *stats)
{
	svc->env.daemon = stats;
}

void
http_svc_free(struct http_svc *svc)
{
	size_t i;

	if (svc == NULL)
		return;
	if (svc->env.dns != NULL && svc->http != NULL)
		http_save_entries(svc);
	if (svc->http != NULL)
		evhttp_free(svc->http);
	if (svc->ev_sample != NULL)
		event_free(svc->ev_sample);
	history_free(svc->history);
	for (i = 0; i < svc->n_listeners; i++)
		xfree(svc->listeners[i]);
	xfree(svc->token);
	xfree(svc);
}
