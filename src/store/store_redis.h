/*
 * store_redis.h - the Redis state backend (state.backend = "redis"): the
 * struct shared_ops (store/shared.h) that the engine is given, shared
 * incidents, and the connection's health for the log and /metrics.
 *
 * Only store_redis.c includes hiredis.  Synchronous hiredis with
 * state.redis.timeout as the connect timeout and as the socket's send and
 * receive timeout; the commands of one request are pipelined (one write,
 * one read when they all go to one node).  See store_redis.c for the Lua
 * script and the Cluster redirects.
 *
 * Failure (a connect, write or read error, a timeout, an error reply):
 * the request is judged with local state (judge returns ERR_UNAVAIL),
 * every connection is closed, one log line says so ("state: redis ADDR
 * unreachable (why); using local state"), and no request touches Redis
 * until store_redis_tick() has reconnected, which it tries at most once
 * every STORE_REDIS_RETRY_MS; "state: redis ADDR reachable again" when
 * it has.  So a dead Redis costs each request nothing, and a blackholed
 * one costs one request (and one tick a second) the timeout.
 *
 * Not thread-safe: one per event loop, like the engine.
 */
#ifndef RG_STORE_STORE_REDIS_H
#define RG_STORE_STORE_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "store/shared.h"

#define STORE_REDIS_RETRY_MS 1000
#define STORE_REDIS_NODES_MAX 16	/* Cluster nodes connected at once */
#define STORE_REDIS_PENDING_MAX 4096	/* incident writes waiting for Redis */

struct store_redis;

struct store_redis_stats {
	bool up;			/* connected and answering */
	uint64_t requests;		/* requests judged with the shared state */
	uint64_t local;			/* requests judged with local state alone */
	uint64_t errors;		/* failed connects, commands, timeouts */
	uint64_t connects;		/* successful (re)connections */
	uint64_t redirects;		/* Cluster MOVED/ASK replies followed */
	size_t pending;			/* incident writes waiting */
};

/*
 * store_redis_new - a backend for conf's state.redis (servers, prefix,
 * timeout), named node (this relay's name in shared incidents, e.g. the
 * host name; cut to SHARED_NODE_MAX - 1 bytes).  Connects once; Redis
 * being unreachable is not an error (the node starts on local state and
 * logs it).  Returns NULL with a message in err for a malformed server
 * address ("state.redis.servers: ADDR: ...") or ENOMEM.
 */
struct store_redis *store_redis_new(const struct conf *conf, const char *node,
    char *err, size_t errcap);

/* store_redis_free - close every connection; NULL is a no-op. */
void store_redis_free(struct store_redis *sr);

/* store_redis_ops - the operations for engine_set_shared(); ctx is sr. */
const struct shared_ops *store_redis_ops(void);

/*
 * store_redis_tick - call about once a second: reconnect when down and
 * STORE_REDIS_RETRY_MS have passed since the last try, then send the
 * incident writes that waited.  Returns true when this call (re)connected,
 * so that the caller can share its open incidents again (Redis may have
 * lost them).
 */
bool store_redis_tick(struct store_redis *sr);

/*
 * store_redis_incident_set - share customer's open incident inc
 * (inc->node is filled in here); store_redis_incident_del - end it,
 * unless another incident (another relay's, or a later one) has
 * replaced it since.  Sent at once when Redis is up, else queued (up to
 * STORE_REDIS_PENDING_MAX, a later write for the same customer replacing
 * an earlier one) until it is back.  Returns 0, or ERR_AGAIN when queued,
 * ERR_TOOBIG (key too long), ERR_NOMEM.
 */
int store_redis_incident_set(struct store_redis *sr, const char *customer,
    const struct shared_incident *inc);
int store_redis_incident_del(struct store_redis *sr, const char *customer,
    const struct shared_incident *inc);

/* store_redis_stats - the counters and state above. */
void store_redis_stats(const struct store_redis *sr,
    struct store_redis_stats *out);

/*
 * store_redis_server - the address of the node the last connection
 * (or attempt) went to, for logs and status.  Valid while sr lives.
 */
const char *store_redis_server(const struct store_redis *sr);

#endif
