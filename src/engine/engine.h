/*
 * engine.h - the policy decisions: order of judgement, customers, limits.
 *
 * Pure code: no sockets, no files, no clock.  Every call takes now_us
 * (microseconds since the epoch) from the caller: the daemon passes the
 * wall clock, `relayguard replay` the trace's own time, tests a fixed one.
 * The same engine thus gives the same decisions online and offline.
 *
 * Order of judgement (SPEC section 3): exempt networks; authentication
 * (require_auth); open incidents (detection issue); limits; detection;
 * otherwise DUNNO.
 *
 * Not thread-safe: one engine per event loop.
 */
#ifndef RG_ENGINE_ENGINE_H
#define RG_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "proto/policy_req.h"

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
 */
int engine_load_overrides(struct engine *engine, const char *name,
    const char *text, size_t len, char *err, size_t errcap);

/*
 * engine_judge - decide one policy request at now_us.  Always fills *out
 * with an action Postfix accepts; returns 0, or a negative error when it
 * had to fall back to the configured default action (conf
 * policy.default_action), e.g. on ERR_NOMEM.
 */
int engine_judge(struct engine *engine, const struct policy_req *req,
    int64_t now_us, struct engine_verdict *out);

/*
 * engine_default_verdict - the configured default action, for a caller
 * that could not even ask (time budget, malformed state).
 */
void engine_default_verdict(const struct engine *engine, struct engine_verdict *out);

/* engine_expire - forget finished messages and idle state older than now. */
void engine_expire(struct engine *engine, int64_t now_us);

/* engine_customer_count - customers currently tracked. */
size_t engine_customer_count(const struct engine *engine);

/*
 * engine_save - write customer records to the store: only those changed
 * since the last save (all = false) or every one (all = true, for a
 * snapshot).  Returns 0 or the store's error.
 */
int engine_save(struct engine *engine, struct store *store, bool all);

/*
 * engine_restore - read every record from the store into the engine
 * (at startup, before the first request).  Records written by an engine
 * whose limits have since changed restore what still matches.
 */
int engine_restore(struct engine *engine, struct store *store);

#endif
