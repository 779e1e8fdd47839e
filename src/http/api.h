/*
 * api.h - the HTTP API of relayguardd as a pure function: a request in
 * (method, path, query, the Authorization header, body), a response out
 * (status, content type, body).  No sockets: svc/http.c adapts libevent's
 * evhttp to this, and the unit tests call it directly.
 *
 * Routes (SPEC section 8, man/relayguard-api.7):
 *
 *   GET    /api/v1/status
 *   GET    /api/v1/customers?network=&state=&q=&limit=&offset=
 *   GET    /api/v1/customers/{id}
 *   POST   /api/v1/customers/{id}/hold          (token)
 *   POST   /api/v1/customers/{id}/unhold        (token)
 *   GET    /api/v1/incidents?state=open|released|all
 *   GET    /api/v1/incidents/{id}
 *   POST   /api/v1/incidents/{id}/release       (token)
 *   GET    /api/v1/zones
 *   GET    /api/v1/zones/{zone}/entries
 *   POST   /api/v1/zones/{zone}/entries         (token) {address, ttl?, txt?}
 *   DELETE /api/v1/zones/{zone}/entries?address=ADDR   (token; or a body)
 *   GET    /api/v1/lookup?address=ADDR
 *   POST   /api/v1/complaints                    (token) an ARF report
 *   GET    /metrics                              (Prometheus text)
 *
 * Path segments are percent-decoded after splitting, so a customer key
 * holding "/" (an IPv6 /64) is written %2F.  Every change needs
 * "Authorization: Bearer TOKEN" with the configured token (compared in
 * constant time); without a configured token every change is refused.
 * Errors are {"error": "message"} with 400, 401, 404, 405, 409, 413,
 * 422 (a complaint without a customer), 500 or 503.  Every change is
 * logged with the peer and what changed.
 *
 * Anything else answers 404 with api_handle() returning false, so that
 * the caller may serve a static file (the dashboard) instead.
 *
 * Ownership: struct api_env borrows everything it points to; the
 * caller keeps them alive and updates the pointers on reload.
 * Responses own their body (api_resp_fini).  Not thread-safe: call from
 * the event loop that owns the engine.
 */
#ifndef RG_HTTP_API_H
#define RG_HTTP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

#define API_BODY_MAX (64u << 10)	/* request bodies */
#define API_COMPLAINT_BODY_MAX (1u << 20)	/* POST /api/v1/complaints: ARF_MSG_MAX */
#define API_RESP_MAX (64u << 20)	/* response bodies */
#define API_PAGE_DEFAULT 50
#define API_PAGE_MAX 1000
#define API_ERR_MAX 512

struct engine;
struct history;
struct policy_svc;
struct dns_svc;

struct api_req {
	const char *method;		/* "GET", "POST", "DELETE", ... */
	const char *path;		/* raw path, no query: "/api/v1/status" */
	const char *query;		/* raw query string, or NULL */
	const char *authorization;	/* the header's value, or NULL */
	const char *body;		/* may be NULL when body_len is 0 */
	size_t body_len;
	const char *peer;		/* "ADDR:PORT", for the log */
};

struct api_resp {
	int status;
	const char *content_type;	/* static */
	const char *allow;		/* 405: the methods allowed, static */
	char *body;			/* owned; NUL-terminated */
	size_t body_len;
};

/* What the daemon knows about reloads, for status and metrics. */
struct api_reload {
	uint64_t reloads;		/* attempts (SIGHUP) */
	uint64_t failures;
	int64_t last_us;		/* 0: never */
	bool last_ok;
	char last_error[API_ERR_MAX];	/* "" when the last one worked */
};

/* HTTP service counters, for metrics. */
struct api_http_stats {
	uint64_t requests;
	uint64_t by_class[6];		/* 1xx..5xx by first digit; [0] other */
	uint64_t rate_limited;
	uint64_t too_big;
	uint64_t unauthorized;
};

/*
 * What the daemon counts, for metrics: it owns the struct and keeps it
 * up to date (the feed's counters once a second).
 */
struct api_daemon_stats {
	uint64_t state_errors;		/* state writes that failed */
	bool state_fallback;		/* answering without its backend */
	bool state_redis;		/* backend redis: the fields below count */
	uint64_t redis_shared;		/* requests judged with the shared state */
	uint64_t redis_local;		/* requests judged with local state alone */
	uint64_t redis_errors;		/* failed connects, commands, timeouts */
	uint64_t redis_connects;	/* successful (re)connections */
	uint64_t redis_redirects;	/* Cluster MOVED/ASK followed */
	uint64_t redis_pending;		/* incident writes waiting for Redis */
	bool feed_on;			/* a log feed is configured */
	uint64_t feed_lines;
	uint64_t feed_malformed;	/* lines maillog_parse() refused */
	uint64_t feed_too_long;		/* lines over FEED_LINE_MAX, dropped */
	uint64_t feed_rotations;
	int64_t feed_last_line_us;	/* wall clock; 0: no line yet */
	int64_t feed_started_us;	/* when the feed started */
};

/* Called after an API change to a detection dataset (persist it). */
typedef void (*api_change_fn)(void *ctx);

struct api_env {
	struct engine *engine;		/* required */
	const struct conf *conf;	/* required */
	struct policy_svc *policy;	/* NULL: no policy statistics */
	struct dns_svc *dns;		/* NULL: no zones */
	struct history *history;	/* NULL: no time series */
	const char *token;		/* NULL or "": changes refused */
	const char *const *listeners;	/* "policy 127.0.0.1:10040", NULL-ended */
	int64_t started_us;
	const struct api_reload *reload;	/* NULL: none yet */
	const struct api_http_stats *http;	/* NULL: none */
	const struct api_daemon_stats *daemon;	/* NULL: none */
	api_change_fn on_zone_change;
	void *change_ctx;
	const char *hostname;		/* this relay's name, for complaints; NULL: unknown */
};

/*
 * api_handle - answer req at now_us into *resp (always filled; free it
 * with api_resp_fini).  Returns true when the request was the API's
 * (/api/ or /metrics), false for any other path (resp is then a 404
 * that the caller may replace).
 */
bool api_handle(const struct api_env *env, const struct api_req *req,
    int64_t now_us, struct api_resp *resp);

/*
 * api_complaints_customer - the customer an abuse report r is about,
 * by the rule of api_complaints.c (our Received: field by one of names,
 * n_names of them; else an authenticated sender; else a client address
 * in a configured network that is not exempt; else the Source-IP in
 * one), into out (cap bytes with the NUL): a SASL username or an
 * address.  *how names the rule that found it (static text).  Returns 0,
 * or ERR_NOENT (out "", *how NULL) when none does.
 */
struct arf_report;
int api_complaints_customer(const struct arf_report *r,
    const struct conf *conf, const char *const *names, size_t n_names,
    char *out, size_t cap, const char **how);

/* api_resp_fini - free the body; safe on a zeroed response. */
void api_resp_fini(struct api_resp *resp);

/*
 * api_error - fill resp with {"error": message} and status.  Replaces
 * any body.
 */
void api_error(struct api_resp *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * api_token_ok - does the Authorization header value carry token ("Bearer
 * TOKEN", the scheme's case ignored)?  Constant time in the token's
 * length.  False when token is NULL or empty.
 */
bool api_token_ok(const char *token, const char *authorization);

/*
 * api_query_get - the value of parameter name in query, percent-decoded
 * ("+" is a space) into buf (cap bytes with the NUL).  Returns its
 * length, -1 when absent, ERR_TOOBIG when it does not fit,
 * ERR_MALFORMED for a bad % escape or a NUL byte.
 */
int api_query_get(const char *query, const char *name, char *buf, size_t cap);

/*
 * api_pct_decode - percent-decode len bytes of s into buf (cap with the
 * NUL).  Returns the length, ERR_TOOBIG or ERR_MALFORMED (a bad escape
 * or a NUL byte).  plus_space: "+" means a space (queries).
 */
int api_pct_decode(const char *s, size_t len, bool plus_space, char *buf,
    size_t cap);

#endif
