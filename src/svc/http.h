/*
 * http.h - the HTTP service: libevent's evhttp on the listen.http
 * addresses, adapting each request to the pure API (http/api.h) or to a
 * static file of the dashboard, with the limits a service facing a
 * browser needs.
 *
 * Limits: request bodies of at most API_BODY_MAX bytes, abuse reports
 * (POST /api/v1/complaints) of at most API_COMPLAINT_BODY_MAX (larger:
 * 413 with a JSON error; over 1 MiB evhttp drops the request itself),
 * headers of at most 16 KiB, 60 s per connection idle or slow; a token
 * bucket per client address (HTTP_SVC_RATE per second, burst
 * HTTP_SVC_BURST; over it: 429 with Retry-After), kept in a fixed table
 * of HTTP_SVC_RL_SLOTS buckets (clients that collide share one: a
 * simple limit, not an accounting).
 *
 * Authentication: every request that is not GET or HEAD needs
 * "Authorization: Bearer TOKEN" (api.h); the token is http.token, or
 * the first line of the file http.token_file, read by http_svc_new() and
 * again by http_svc_reload().  Complaints look for the Received: field
 * "by" this host's name (gethostname(), read once at start).
 *
 * The dashboard: GET of any path outside /api/ and /metrics serves a
 * file of the www directory ("/" is index.html): $RG_WWW_DIR, else
 * ../www or ../../www next to the executable (the source tree:
 * build/relayguardd, build/asan/relayguardd), else
 * ../share/relayguard/www next to it (make install).  Only names of
 * [A-Za-z0-9._-] segments without a leading dot; files of at most 4 MiB.
 *
 * History: every HTTP_SVC_SAMPLE_S seconds the engine's counters of
 * recently active customers feed the per-customer history
 * (engine/history.h) that the dashboard plots, and one customer's just
 * before its page (/api/v1/customers/ID) is answered; the walk over every
 * customer never runs inside a request.  The DNSBL detection entries are written to
 * state.dir (svc/http_entries.h) after every API change and whenever a
 * sample finds that they changed (incidents listing addresses).
 *
 * Ownership: engine, conf, policy and dns are borrowed (replace them
 * with http_svc_reload); base too.  The service owns its listeners,
 * history and token.  Threads: the event loop's only.
 */
#ifndef RG_SVC_HTTP_H
#define RG_SVC_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"

struct event_base;
struct engine;
struct policy_svc;
struct dns_svc;
struct http_svc;
struct api_daemon_stats;

#define HTTP_SVC_RATE 200		/* requests per second per client */
#define HTTP_SVC_BURST 1000
#define HTTP_SVC_RL_SLOTS 1024
#define HTTP_SVC_SAMPLE_S 15
#define HTTP_SVC_TIMEOUT_S 60
#define HTTP_SVC_HEADERS_MAX (16u << 10)
#define HTTP_SVC_BODY_HARD_MAX (1u << 20)
#define HTTP_SVC_FILE_MAX (4u << 20)
#define HTTP_SVC_LISTENERS_MAX 32

/*
 * http_svc_new - a service answering from engine and conf, with the
 * statistics of policy and the zones of dns (each may be NULL).  Reads
 * the API token and restores the DNSBL entries saved under state.dir.
 * Returns NULL with a message in err (an unreadable token file, ENOMEM).
 */
struct http_svc *http_svc_new(struct event_base *base, struct engine *engine,
    const struct conf *conf, struct policy_svc *policy, struct dns_svc *dns,
    char *err, size_t errcap);

/*
 * http_svc_listen - listen on "HOST:PORT", "[IPV6]:PORT" or "*:PORT"
 * (port 0: any free one, see http_svc_port).  Returns 0 or a negative
 * error with "ADDR: reason" in err.
 */
int http_svc_listen(struct http_svc *svc, const char *addr, char *err,
    size_t errcap);

/* http_svc_port - the port of the most recent listener, 0 if none. */
unsigned http_svc_port(const struct http_svc *svc);

/*
 * http_svc_note_listener - show "WHAT ADDR" (e.g. "policy
 * 127.0.0.1:10040") under listeners in /api/v1/status.  Copied.
 */
void http_svc_note_listener(struct http_svc *svc, const char *what,
    const char *addr);

/*
 * http_svc_reload - after a SIGHUP: ok tells whether the reload worked
 * (reason in error otherwise, for /api/v1/status and /metrics).  When
 * it did, conf and engine are the new ones (engine may be the same) and
 * the token is read again (an unreadable token file keeps the old token,
 * with an error logged).
 */
void http_svc_reload(struct http_svc *svc, const struct conf *conf,
    struct engine *engine, bool ok, const char *error);

/*
 * http_svc_set_daemon_stats - show the daemon's counters (state errors,
 * the log feed) in /metrics.  stats is borrowed and must outlive the
 * service; NULL: none.
 */
void http_svc_set_daemon_stats(struct http_svc *svc,
    const struct api_daemon_stats *stats);

/*
 * http_svc_free - close the listeners, save the DNSBL entries, free
 * everything.  NULL is a no-op.
 */
void http_svc_free(struct http_svc *svc);

#endif
