/*
 * shared.h - the interface between the engine and a shared state backend
 * (state.backend = "redis", store_redis.c), and the pure parts of it:
 * key names, the Redis Cluster slot of a key, the text of a shared
 * incident.
 *
 * The engine stays pure: it never talks to a backend itself but calls
 * the two function pointers of a struct shared_ops that the daemon
 * injects (engine_set_shared()).  Without one (backend embedded, replay,
 * tests) nothing here is used and the engine behaves exactly as before.
 *
 * What is shared (SPEC section 7):
 *   - every limit's window, bucket or distinct set, per (limit, key
 *     value): each check is a check-and-commit against the combined
 *     count of every relay, atomic on the backend, so the combined rate
 *     of all relays obeys the limit;
 *   - open incidents, per customer: a customer held (or rejected) on one
 *     relay is held on all of them until the incident is released on the
 *     relay that opened it.
 * What stays per node: attempts and refusals per key (the abuse desk's
 * counts), the message records (one message goes through one relay), the
 * detection baselines and SPRT, incidents' evidence and held-mail lists
 * (in each node's incidents.db), DNSBL entries.  Every node also keeps
 * its local counters (of its own traffic) as the fallback state.
 *
 * Key names (prefix = state.redis.prefix):
 *   PREFIX l:LIMIT:KIND:PERIOD_MS:KEYKIND:VALUE   one limit, one key value
 *       KIND w (window, a hash slot number -> count), b (bucket, a hash
 *       of level and last refill), d (distinct, a sorted set of
 *       fingerprints scored by the time last seen); PERIOD_MS is part of
 *       the name because a window's slot numbers depend on it.
 *   PREFIX i:CUSTOMER                              an open incident
 *       value "ID ACTIONS REASON NODE" (shared_incident_format()).
 * Every command touches exactly one key, so each is single-slot in a
 * Redis Cluster whatever the key holds; no hash tags are needed, and
 * shared_key_slot() follows Cluster's own hash-tag rule so that the
 * client's idea of a slot is the server's.
 *
 * Limits: a key is at most SHARED_KEY_MAX bytes (longer values are
 * ERR_TOOBIG, which the caller treats as a backend failure).
 */
#ifndef RG_STORE_SHARED_H
#define RG_STORE_SHARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHARED_KEY_MAX 1024
#define SHARED_REASON_MAX 16
#define SHARED_NODE_MAX 64
#define SHARED_INCIDENT_TEXT_MAX 128
#define SHARED_SLOTS 16384

enum shared_kind { SHARED_WINDOW, SHARED_BUCKET, SHARED_DISTINCT };

/* One limit check of one request, against the combined count. */
struct shared_op {
	/* in: borrowed for the duration of the call */
	const char *limit;		/* the limit's name, NUL-terminated */
	const char *key_kind;		/* "customer", "sender", ... */
	const char *key;		/* the key value, key_len bytes */
	size_t key_len;
	uint8_t kind;			/* enum shared_kind */
	uint64_t count, period_ms, burst;	/* effective rate N/P, B */
	int64_t slot_us;		/* window: one slot (limit_slot_us) */
	int64_t idle_ms;		/* the key's life: limit_idle_us */
	uint64_t w;			/* weight; 0: only ask whether full */
	uint32_t fp;			/* distinct: the item */
	bool commit_over;		/* commit even when over (warn) */
	/* out */
	bool over;			/* the combined count says so */
	bool committed;			/* the event was counted */
	int64_t undo;			/* window: its slot; distinct: 1 if new */
};

/* An open incident as another relay shared it. */
struct shared_incident {
	uint64_t id;			/* 0: none */
	unsigned actions;		/* CONF_ON_* bits of that relay */
	char reason[SHARED_REASON_MAX];
	char node[SHARED_NODE_MAX];	/* the relay that opened it */
};

struct shared_ops {
	/*
	 * judge - check-and-commit each of the n ops at now_us and, when
	 * customer is not NULL, look up its shared incident into *inc
	 * (inc->id 0: none).  Returns 0 with every op's out fields and
	 * *inc set, or a negative error (ERR_AGAIN: backend unreachable,
	 * or not tried again yet) and nothing is known: the caller judges
	 * with its local state.  Must return within the configured timeout.
	 */
	int (*judge)(void *ctx, const char *customer, struct shared_op *ops,
	    size_t n, int64_t now_us, struct shared_incident *inc);
	/*
	 * undo - give back the events judge() committed (ops with
	 * committed set), for a request that was refused after all.
	 * Best effort: a failure only leaves the combined count high.
	 */
	void (*undo)(void *ctx, const struct shared_op *ops, size_t n,
	    int64_t now_us);
};

/*
 * shared_key_limit - the key of op under prefix into buf (cap bytes,
 * not NUL-terminated).  Returns its length, or ERR_TOOBIG when it would
 * exceed cap or SHARED_KEY_MAX.
 */
int shared_key_limit(char *buf, size_t cap, const char *prefix,
    const struct shared_op *op);

/*
 * shared_key_incident - the key of customer's incident (as above).
 */
int shared_key_incident(char *buf, size_t cap, const char *prefix,
    const char *customer, size_t len);

/*
 * shared_key_slot - the Redis Cluster slot of a key: CRC16 (XMODEM) of
 * the key, or of the part between the first '{' and the next '}' when
 * that part is not empty, modulo 16384.
 */
unsigned shared_key_slot(const char *key, size_t len);

/*
 * shared_window_slot - the number of the window slot of slot_us (the
 * engine's, shared_op.slot_us) that now_us falls in: slots are aligned
 * to the epoch, so every node numbers them alike; 0 for a bad slot_us.
 */
int64_t shared_window_slot(int64_t slot_us, int64_t now_us);

/*
 * shared_incident_format - "ID ACTIONS REASON NODE" into buf (cap
 * bytes, NUL-terminated).  Returns the length or ERR_TOOBIG.
 * shared_incident_parse - the reverse; len bytes of text.  Returns 0
 * or ERR_MALFORMED (*out zeroed).
 */
int shared_incident_format(char *buf, size_t cap,
    const struct shared_incident *inc);
int shared_incident_parse(const char *text, size_t len,
    struct shared_incident *out);

#endif
