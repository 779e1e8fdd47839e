/*
 * policy.h - the policy service: Postfix check_policy_service (and Exim
 * ${readsocket}) clients over TCP and unix sockets, answered by the
 * engine.
 *
 * A thin adapter: bytes from a socket go to proto/policy_req (scan,
 * parse), the request to engine_judge(), the verdict's action back
 * through policy_reply_format().  Many requests per connection; requests
 * pipelined in one read are all answered, in order.  Malformed input or a
 * limit exceeded gets one warning, "policy: PEER: REASON at offset N;
 * closing" (N counts every byte the connection has sent), and the
 * connection is closed without a reply, as
 * SMTPD_POLICY_README asks of a server in trouble (Postfix then applies
 * its smtpd_policy_service_default_action).
 *
 * Limits (struct policy_svc_limits): connections open at once (over it a
 * new connection is accepted and closed at once, with a warning at most
 * once a second); idle time per connection; bytes buffered over all
 * connections (input buffers grow from 4 KiB up to POLICY_REQ_MAX only
 * while a request needs it).  The engine answers synchronously: a
 * request judged in over time_budget_ms is counted, not cut short.
 *
 * Not thread-safe: one service per event loop, like the engine.
 */
#ifndef RG_SVC_POLICY_H
#define RG_SVC_POLICY_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct engine;
struct policy_svc;

#define POLICY_SVC_CONN_MAX 4096		/* connections at once */
#define POLICY_SVC_IDLE_TIMEOUT_S 3600		/* idle time */
#define POLICY_SVC_BUF_MAX ((size_t)256 << 20)	/* bytes buffered */
#define POLICY_SVC_BACKLOG 1024

struct policy_svc_limits {
	unsigned conn_max;		/* connections at once; 0: default */
	unsigned idle_timeout_s;	/* close when idle; 0: default */
	size_t buf_max;			/* bytes buffered; 0: default */
	uint64_t time_budget_ms;	/* engine time per request; 0: none */
};

/* The first word of an answered action, for the statistics. */
enum policy_svc_verb {
	POLICY_SVC_VERB_DUNNO,
	POLICY_SVC_VERB_OK,
	POLICY_SVC_VERB_DEFER_IF_PERMIT,
	POLICY_SVC_VERB_DEFER_IF_REJECT,
	POLICY_SVC_VERB_DEFER,
	POLICY_SVC_VERB_REJECT,
	POLICY_SVC_VERB_HOLD,
	POLICY_SVC_VERB_DISCARD,
	POLICY_SVC_VERB_WARN,
	POLICY_SVC_VERB_PREPEND,
	POLICY_SVC_VERB_OTHER,		/* 4NN/5NN, FILTER, INFO, ... */
	POLICY_SVC_VERB__COUNT
};

/* Roles, as enum engine_role numbers them (engine/engine.h). */
#define POLICY_SVC_ROLES 3

/*
 * The latency histogram: time to answer one request (engine, reply,
 * log line), in POLICY_SVC_LAT_BUCKETS fixed buckets whose upper bounds
 * are 25 us .. 100 ms (policy_svc_latency_le_us()) and then +Inf.
 */
#define POLICY_SVC_LAT_BUCKETS 13

/* Counters since policy_svc_new(); conns_open is a gauge. */
struct policy_svc_stats {
	uint64_t requests;		/* answered */
	uint64_t by_verb[POLICY_SVC_VERB__COUNT];
	/* By role and verb; requests answered without an engine: none. */
	uint64_t by_role[POLICY_SVC_ROLES][POLICY_SVC_VERB__COUNT];
	uint64_t lat[POLICY_SVC_LAT_BUCKETS];	/* per bucket, not cumulative */
	uint64_t lat_us;		/* total answer time, microseconds */
	uint64_t malformed;		/* closed: ERR_MALFORMED */
	uint64_t too_big;		/* closed: a protocol limit exceeded */
	uint64_t engine_errors;		/* answered with the default */
	uint64_t over_budget;		/* judged in over time_budget_ms */
	uint64_t judge_us;		/* total engine time, microseconds */
	uint64_t conns_accepted;
	uint64_t conns_refused;		/* over conn_max or buf_max */
	uint64_t conns_timed_out;	/* closed after idle_timeout_s */
	uint64_t conns_open;
};

/*
 * policy_svc_new - a service on base, answering with engine.  base is
 * borrowed and must outlive the service; so must engine, until replaced
 * by policy_svc_set_engine().  engine may be NULL: every request is then
 * answered DUNNO (for benchmarks of the service alone).  Returns NULL with
 * a message in err (cap errcap) when out of memory.
 */
struct policy_svc *policy_svc_new(struct event_base *base,
    struct engine *engine, char *err, size_t errcap);

/*
 * policy_svc_listen - listen on addr: "HOST:PORT" (an IPv4 address or a
 * host name; every address it resolves to is bound), "[IPV6]:PORT",
 * "*:PORT" or ":PORT" (every IPv4 and IPv6 address) or "unix:/path".  IPv6 sockets
 * are IPV6_V6ONLY.  A unix socket left by a dead process is removed
 * first; one that a live process still accepts on is an error.  The
 * socket file gets mode 0666 (Postfix's smtpd connects as its own user)
 * and is removed again by policy_svc_free().  Port 0 picks a free port
 * (see policy_svc_port()).  Sockets are non-blocking, close-on-exec,
 * SO_REUSEADDR, backlog POLICY_SVC_BACKLOG.  Returns 0, or a negative
 * error with "ADDR: reason" in err.
 */
int policy_svc_listen(struct policy_svc *svc, const char *addr, char *err,
    size_t errcap);

/*
 * policy_svc_port - the TCP port of the most recent listener that
 * policy_svc_listen() bound, or 0 when it was a unix socket or there is
 * none (tests listen on port 0 and ask).
 */
unsigned policy_svc_port(const struct policy_svc *svc);

/*
 * policy_svc_set_engine - answer with engine from the next request on
 * (SIGHUP).  The engine answers synchronously, so no request is in flight
 * and the old engine may be freed as soon as this returns.
 */
void policy_svc_set_engine(struct policy_svc *svc, struct engine *engine);

/*
 * policy_svc_set_limits - apply limits (zero fields take the defaults).
 * A lower conn_max or buf_max does not close connections already open; a
 * new idle_timeout_s applies to connections accepted afterwards.
 */
void policy_svc_set_limits(struct policy_svc *svc,
    const struct policy_svc_limits *limits);

/* policy_svc_stats - copy the counters into *out. */
void policy_svc_stats(const struct policy_svc *svc,
    struct policy_svc_stats *out);

/* policy_svc_verb_name - "dunno", "defer_if_permit", ... (static). */
const char *policy_svc_verb_name(enum policy_svc_verb verb);

/*
 * policy_svc_verb_of - the verb of an action text (case-insensitive
 * first word, as Postfix reads it).
 */
enum policy_svc_verb policy_svc_verb_of(const char *action);

/* policy_svc_role_name - "submission", "relay", "inbound" (static). */
const char *policy_svc_role_name(unsigned role);

/*
 * policy_svc_latency_le_us - the upper bound of latency bucket i in
 * microseconds (UINT64_MAX for the last, +Inf, and past it).
 */
uint64_t policy_svc_latency_le_us(size_t i);

/*
 * policy_svc_latency_bucket - the bucket of a request answered in us
 * microseconds: the first whose bound is >= us.
 */
size_t policy_svc_latency_bucket(uint64_t us);

/*
 * policy_svc_free - close every listener (removing unix socket files
 * this service created) and every connection, unanswered requests
 * included, and free the service.  NULL is a no-op.
 */
void policy_svc_free(struct policy_svc *svc);

#endif
