/*
 * engine.h - the policy decisions: order of judgement, customers, limits.
 *
 * Pure code: no sockets, no files, no clock.  Every call takes now_us
 * (microseconds since the epoch) from the caller: the daemon passes the
 * wall clock, `relayguard replay` the trace's own time, tests a fixed one.
 * The same engine thus gives the same decisions online and offline.
 *
 * Order of judgement (SPEC section 3): exempt networks; authentication
 * (require_auth); open incidents; limits; detection; otherwise DUNNO.
 * In detail:
 *
 *   1. The client address is classified by the longest configured prefix
 *      (IPv4 and IPv6).  A client in an exempt network: DUNNO, rule
 *      "exempt".
 *   2. Role: policy_context "submission", "relay" or "inbound" wins; else
 *      server_port 587 or 465 is submission; any other port, or none, is
 *      relay for a client in a configured network and inbound otherwise.
 *      A relay request from a require_auth network without sasl_username:
 *      "REJECT 5.7.1 ..." telling the user to submit on port 587 with SMTP
 *      authentication, rule "require_auth".
 *   3. Open incidents (detection.enabled, outbound roles, protocol
 *      states RCPT, DATA and END-OF-MESSAGE): a customer with an open
 *      incident whose on_compromise has reject gets "REJECT 5.7.1
 *      relayguard: incident N: ...", else with hold "HOLD relayguard:
 *      incident N: ...; message held for review", rule "incident"; the
 *      message is listed under the incident (by instance, and by the
 *      queue_id that END-OF-MESSAGE carries) and no limit is judged.
 *   4. Limits, for the outbound roles (submission, relay) only; inbound
 *      mail is never limited.  A limit with `networks` applies when the
 *      client's network is one of them.  A limit without applies to
 *      clients in every non-exempt network and to authenticated
 *      (sasl_username) submission from anywhere, so roaming customers are
 *      limited too.  A limit whose key (customer, sasl_username,
 *      client_address, sender, sender_domain) is missing from the request
 *      does not apply to it.  An overrides entry (policy.overrides) marked
 *      exempt that matches any of the request's key values lifts every
 *      limit: DUNNO, rule "override_exempt"; one with LIMIT=RATE replaces
 *      that limit's rate for requests whose value of that limit's key
 *      matches (ASCII case ignored).
 *   5. Detection (detection.enabled, outbound): a message accepted so
 *      far is observed (its first request: volume, sender, HELO, client
 *      network, hour; each RCPT: recipient and domain novelty) and the
 *      customer's SPRT updated (detect.h, doc/detection.md).  When it
 *      decides "compromised" an incident opens (once: not again while
 *      one is open for the customer), the incident callback runs, and
 *      with hold or reject this request already gets the incident's
 *      answer (the limits it passed stay counted).
 *   6. Otherwise DUNNO, rule "" (or "override_exempt", see above).
 *
 * An overrides entry marked exempt lifts the limits, not detection.
 *
 * The customer (verdict.customer, SPEC section 6) is the value of the
 * first non-empty attribute of customer_key; for client_address an IPv6
 * client is grouped by policy.ipv6_customer_prefix ("2001:db8:1:2::/64";
 * 0 or 128: the plain address); IPv4 and SASL usernames are kept as is.
 * sender and sender_domain key values are folded to lower case.
 *
 * Counting (one message is one `instance`): messages once per message,
 * at its first request in state RCPT, DATA or END-OF-MESSAGE that is
 * accepted; recipients once per accepted RCPT; bytes from `size` at
 * END-OF-MESSAGE (at RCPT a key already at its bytes limit is refused);
 * distinct_recipients and distinct_recipient_domains per RCPT;
 * distinct_client_addresses per message.  A request without
 * protocol_state counts as RCPT; one without instance is a message of its
 * own.  A request repeated with the same instance, protocol_state and
 * recipient is answered alike and counted once.  Only accepted events
 * consume a limit (a deferred, held or rejected one does not, so a
 * retrying MTA gets through once the window allows), but every state
 * keeps counting attempts and refusals (engine_customer_usage()): per
 * limit and per value of that limit's key (the customer, for a limit
 * keyed by customer), a message-level count once per message.
 *
 * rate = N/P allows at most N in any window of length P: a sliding window
 * of 16 slots that may refuse up to P/15 early, never late; with burst = B
 * a token bucket of depth B refilled at N per P instead (limit.h).
 *
 * Actions: defer "DEFER_IF_PERMIT 4.7.1 TEXT", hold "HOLD TEXT", reject
 * "REJECT 5.7.1 TEXT", warn "WARN TEXT" (the message passes and counts),
 * where TEXT names the limit, the key and the rate.  When several limits
 * trip, the most severe action wins (reject > defer > hold > warn; the
 * first in the configuration among equals) and rule is that limit's name.
 * A message held, or refused by a messages limit, stays so: every later
 * request of its instance gets the same answer (HOLD applies to the whole
 * message in Postfix).
 *
 * Memory, speed: about 250 bytes per tracked key with one messages limit
 * (subject.h, limit.h; 248 bytes of RSS measured with 1,000,000
 * customers), 128 bytes per message in flight (instance.h, at most
 * 262,144 remembered).  engine_judge() allocates nothing for a known
 * customer and a reused message record; it costs about 300 ns when its
 * tables are in the CPU cache, and a few cache misses more (about 1.2 us
 * measured) with a million customers.
 *
 * Detection memory (detect.h): about 300 bytes per customer seen by
 * detection, about 1.1 KiB more while its test leans to "compromised";
 * a 64K-entry queue ID map (3 MiB) made at the first log record;
 * incidents as incident.h says.  A customer without detection activity
 * costs one more hash lookup per request and no allocation.
 *
 * Not thread-safe: one engine per event loop.
 */
#ifndef RG_ENGINE_ENGINE_H
#define RG_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "proto/maillog.h"
#include "proto/policy_req.h"
#include "store/shared.h"
#include "store/store.h"

#define ENGINE_CUSTOMER_MAX 256	/* longest customer key kept; longer: ERR_TOOBIG */
#define ENGINE_RULE_MAX 64

enum engine_role { ENGINE_ROLE_SUBMISSION, ENGINE_ROLE_RELAY, ENGINE_ROLE_INBOUND };

struct engine_verdict {
	char action[POLICY_REPLY_MAX];	/* whole action text: "DUNNO", "DEFER_IF_PERMIT 4.7.1 ..." */
	char rule[ENGINE_RULE_MAX];	/* limit name, "require_auth", "exempt", or "" */
	char customer[ENGINE_CUSTOMER_MAX + 1];	/* customer key (SPEC section 3), "" if none */
	enum engine_role role;
};

struct engine;
struct store;

/*
 * engine_new - an engine for conf.  conf is borrowed and must outlive the
 * engine or be replaced by engine_set_conf() first.  Returns NULL with a
 * message in err on a bad combination (or ENOMEM).
 */
struct engine *engine_new(const struct conf *conf, char *err, size_t errcap);

/* engine_free - NULL is a no-op. */
void engine_free(struct engine *engine);

/*
 * engine_set_shared - judge limits and open incidents against a shared
 * state backend too (store/shared.h; ops and ctx borrowed, NULL: none,
 * the default).  With one, every limit check of a request becomes one
 * check-and-commit of the combined count of all relays (ops->judge), the
 * customer's incident opened on another relay holds here as well, and a
 * request refused after all gives back what it committed (ops->undo).
 * The local counters go on counting this relay's own events, always: when
 * ops->judge fails (the backend unreachable), the request is judged with
 * them alone, so each relay then applies every limit to its own traffic.
 * Attempts, refusals, hits, message records and detection stay local.
 */
void engine_set_shared(struct engine *engine, const struct shared_ops *ops,
    void *ctx);

/*
 * engine_set_conf - swap in new rules (SIGHUP).  Counters of limits that
 * keep their name, key, count and rate survive; others start afresh.
 * On failure the old rules stay and err says why.
 */
int engine_set_conf(struct engine *engine, const struct conf *conf,
    char *err, size_t errcap);

/*
 * engine_load_overrides - (re)load the per-key overrides map file named
 * by conf policy.overrides (text given here, the caller reads the file).
 * On failure the old overrides stay and err holds "NAME:LINE: reason".
 * Format: proto/overrides.h.  A LIMIT that the configuration does not
 * have is an error (ERR_NOENT); so is a rate above a distinct limit's
 * bound (ERR_RANGE).  A len of 0 clears the overrides.  After
 * engine_set_conf(), entries naming a limit that is gone are ignored;
 * reload the map after the configuration to have them checked.
 */
int engine_load_overrides(struct engine *engine, const char *name,
    const char *text, size_t len, char *err, size_t errcap);

/*
 * engine_judge - decide one policy request at now_us.  Always fills *out
 * with an action Postfix accepts; returns 0, or a negative error when it
 * had to fall back to the configured default action (conf
 * policy.default_action), e.g. on ERR_NOMEM, or ERR_TOOBIG for a
 * customer key over ENGINE_CUSTOMER_MAX bytes.  Nothing is counted then.
 */
int engine_judge(struct engine *engine, const struct policy_req *req,
    int64_t now_us, struct engine_verdict *out);

/*
 * engine_default_verdict - the configured default action, for a caller
 * that could not even ask (time budget, malformed state).  Rule
 * "default"; customer "" and role inbound.
 */
void engine_default_verdict(const struct engine *engine, struct engine_verdict *out);

/*
 * engine_expire - forget finished messages (idle longer than
 * policy.instance_ttl) and keys idle for so long that every one of their
 * limit windows is empty again (the longest period, or bucket refill
 * time, of any limit or override), with their attempt counts, and
 * detection baselines idle for 30 days (without an open incident; a
 * bounded slice of them per call).  Cost: O(what it drops).  Idle
 * time is kept to the second for messages and to the minute for keys,
 * so either may go up to that much later.
 */
void engine_expire(struct engine *engine, int64_t now_us);

/* engine_overrides_count - entries of the overrides map loaded (0: none). */
size_t engine_overrides_count(const struct engine *engine);

/* engine_customer_count - customers (keys of kind customer) tracked. */
size_t engine_customer_count(const struct engine *engine);

/* engine_instance_count - messages in flight remembered. */
size_t engine_instance_count(const struct engine *engine);

/* One limit's hits since the engine was made, for /metrics. */
struct engine_limit_hits {
	const char *limit;		/* its name; borrowed, see below */
	enum conf_action action;	/* its configured action */
	uint64_t hits;
};

/*
 * engine_limit_hits - the hits of limit i (configuration order): answered
 * requests that went over it, whether or not its action was the one
 * answered (a more severe limit may win); a request repeated with the
 * same instance, state and recipient counts once.  A reload keeps the
 * count of a limit that keeps its name and action.  out->limit is valid
 * until the next engine_set_conf().  Returns false when i is past the
 * last limit.  O(1).
 */
bool engine_limit_hits(const struct engine *engine, size_t i,
    struct engine_limit_hits *out);

/* One limit's state for one customer, for the HTTP API. */
struct engine_usage {
	char limit[ENGINE_RULE_MAX];	/* the limit's name */
	enum conf_limit_key key;
	enum conf_limit_count count;
	uint64_t used;			/* in the window now (bucket: tokens taken) */
	uint64_t rate_count;		/* effective N (an override applied) */
	uint64_t rate_period_ms;	/* effective P */
	uint64_t burst;			/* 0: sliding window */
	uint32_t attempts;		/* events seen since tracked */
	uint32_t over;			/* of which refused by this limit */
};

/*
 * engine_customer_usage - the state of every limit that counts against
 * customer (a customer key, as in verdict.customer): limits keyed by
 * customer, and limits keyed by sasl_username or client_address whose
 * key value is that same text.  Writes up to cap rows into out and the
 * number available into *n.  Returns 0, or ERR_NOENT when nothing is
 * tracked for it.
 */
int engine_customer_usage(const struct engine *engine, const char *customer,
    int64_t now_us, struct engine_usage *out, size_t cap, size_t *n);

/*
 * engine_save - write customer records to the store: only those changed
 * since the last save (all = false) or every one (all = true, for a
 * snapshot).  Records of keys that expired since are deleted.  Returns 0
 * or the store's error (what was not written stays due).
 *
 * Record: store key "lim/KIND/KEY" (KIND as in the config: customer,
 * sasl_username, client_address, sender, sender_domain); value a
 * versioned little-endian record of the key's last use and, per limit,
 * its name, count, rate, attempts, refusals and window, bucket or set.
 * Detection: "det/CUSTOMER", a versioned record of the customer's
 * baseline, SPRT and open incident (detect.c); "det!next", the next
 * incident id (u64), so that ids never go back.
 */
int engine_save(struct engine *engine, struct store *store, bool all);

/*
 * engine_snapshot_iterate - a store_iterate_fn for store_compact(): emits
 * a record for every tracked key.  ctx is the struct engine.  Returns 0
 * or emit's error.
 */
int engine_snapshot_iterate(void *engine, struct store *store, store_emit_fn emit);

/*
 * engine_restore - read every record from the store into the engine
 * (at startup, before the first request).  Records written by an engine
 * whose limits have since changed restore what still matches (same
 * limit name, key, count and rate).  Records that are not the engine's
 * are skipped; a damaged one is skipped with a warning.  Returns 0 or the
 * store's error (ERR_NOMEM).
 */
int engine_restore(struct engine *engine, struct store *store);

/*
 * Detection and incidents (SPEC section 4, doc/detection.md).
 *
 * An incident as the callbacks and the listing see it.  Every pointer
 * borrows from the engine and is valid only during the callback (or
 * until the next engine call, for engine_incident_get()).
 */
struct engine_incident {
	uint64_t id;			/* from 1, increasing, persisted */
	const char *customer;		/* the customer key (SPEC section 6) */
	int64_t opened_us;
	int64_t released_us;		/* 0: open */
	const char *reason;		/* "sprt", "complaint" */
	const char *evidence;		/* a JSON object (detect_evidence.c) */
	const char *client_addrs[10];	/* up to 10 client addresses seen */
	size_t n_client_addrs;
	unsigned actions;		/* CONF_ON_*: on_compromise */
	uint64_t n_held;		/* messages held under it */
};

/*
 * Called once when an incident opens (released_us == 0) and once when
 * it is released, so that the caller carries out `list` and `notify`
 * and reports it; must not call back into the engine.
 */
typedef void (*engine_incident_fn)(void *ctx,
    const struct engine_incident *inc);

/* One held message of an incident: queue_id "" when not known. */
typedef void (*engine_held_fn)(void *ctx, const char *queue_id,
    const char *instance, int64_t held_us);

struct incidents_db;

/* engine_set_incident_fn - set (fn NULL: clear) the incident callback. */
void engine_set_incident_fn(struct engine *engine, engine_incident_fn fn,
    void *ctx);

/*
 * engine_set_incidents_db - write incidents, held messages and releases
 * through to db (store/incidents.h) as they happen, each committed
 * before the answer that follows it is returned (db borrowed; NULL:
 * none).  A write that fails is logged and the decision stands.
 */
void engine_set_incidents_db(struct engine *engine, struct incidents_db *db);

/*
 * engine_load_incidents - read every incident and held message from db
 * into the engine (at startup, after engine_restore()): open incidents
 * hold again, ids go on after the highest.  Returns 0, ERR_NOMEM or the
 * database's error.
 */
int engine_load_incidents(struct engine *engine, struct incidents_db *db);

/*
 * engine_observe_log - one parsed Postfix log record (proto/maillog.h)
 * at now_us: smtpd client= lines link a queue ID to its customer
 * (sasl_username, else the client address as customer_key says);
 * END-OF-MESSAGE requests with queue_id do so too.  Delivery lines
 * become outcomes of that customer's messages (sent, dsn 5.1.x unknown
 * user, other bounces, a deferral once a message), hold: lines naming
 * "relayguard: incident N" list their queue ID under incident N.  When
 * the engine has judged no policy request at all (a plain log replayed
 * alone), qmgr from= and delivery lines also stand for the messages and
 * recipients (log-only mode).  Records of other kinds, of clients
 * neither authenticated nor in a configured network, or with queue IDs
 * never linked, are ignored.  Returns 0, or ERR_NOMEM (nothing noted).
 */
int engine_observe_log(struct engine *engine, const struct maillog_rec *rec,
    int64_t now_us);

/*
 * engine_observe_complaint - an abuse complaint (ARF) about a customer,
 * named by its customer key or by a client address last seen for it.
 * A strong signal (detection.complaint_llr): with a little other
 * evidence it opens an incident, reason "complaint".  Returns 0, or
 * ERR_NOENT when no such customer is tracked.
 */
int engine_observe_complaint(struct engine *engine,
    const char *customer_or_addr, int64_t now_us);

/*
 * engine_observe_complaint_about - engine_observe_complaint() that also
 * says whom it counted against: the customer key (SPEC section 6) into
 * customer (cap bytes with the NUL; may be NULL), which differs from
 * customer_or_addr when an address named the customer, and the
 * customer's open incident after the complaint into *incident (0: none;
 * may be NULL).  A customer with an open incident is not observed again.
 * Returns 0 or ERR_NOENT (customer "" then).
 */
int engine_observe_complaint_about(struct engine *engine,
    const char *customer_or_addr, int64_t now_us, char *customer, size_t cap,
    uint64_t *incident);

/*
 * engine_incident_release - end incident id at now_us: its customer's
 * mail flows again (its test starts afresh), fn (may be NULL) is called
 * for every held message listed (for `postsuper -H QUEUEID`), then the
 * incident callback.  Returns 0, ERR_NOENT (no such incident in memory)
 * or ERR_EXIST (already released).
 */
int engine_incident_release(struct engine *engine, uint64_t id, int64_t now_us,
    engine_held_fn fn, void *ctx);

/*
 * engine_incident_list - call fn for every incident in memory, in id
 * order (open_only: only open ones).  Returns how many.
 */
size_t engine_incident_list(const struct engine *engine, bool open_only,
    engine_incident_fn fn, void *ctx);

/*
 * engine_incident_held - call fn for each listed held message of
 * incident id, oldest first.  Returns 0 or ERR_NOENT.
 */
int engine_incident_held(const struct engine *engine, uint64_t id,
    engine_held_fn fn, void *ctx);

/* Detection state of one customer, for the HTTP API and dashboard. */
struct engine_risk {
	double llr;			/* S of the SPRT now */
	double threshold;		/* A */
	unsigned messages;		/* observed since the test started */
	uint32_t total_messages;	/* observed ever (saturating) */
	uint64_t incident;		/* open incident id, 0: none */
};

/*
 * engine_customer_risk - the detection state of customer.  Returns 0 or
 * ERR_NOENT (not tracked by detection).
 */
int engine_customer_risk(const struct engine *engine, const char *customer,
    struct engine_risk *out);

/* engine_detect_count - customers tracked by detection. */
size_t engine_detect_count(const struct engine *engine);

#endif
