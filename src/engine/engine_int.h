/*
 * engine_int.h - the engine's insides, shared by engine.c (life cycle,
 * rules compiled from the configuration), engine_judge.c (the order of
 * judgement) and engine_persist.c (save and restore).  Not for use
 * outside src/engine/.
 *
 * struct engine_rules is everything derived from one struct conf (which
 * it borrows): built whole by engine_rules_new() and swapped in by
 * engine_set_conf(), so a failed reload changes nothing.
 */
#ifndef RG_ENGINE_ENGINE_INT_H
#define RG_ENGINE_ENGINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "engine/detect.h"
#include "engine/engine.h"
#include "engine/incident.h"
#include "engine/instance.h"
#include "engine/limit.h"
#include "engine/subject.h"
#include "lib/lpm.h"
#include "proto/overrides.h"
#include "store/shared.h"

#define ENGINE_NET_NONE UINT32_MAX
#define ENGINE_LIMITS_MAX 4096
#define ENGINE_INSTANCES_MAX (256u << 10)
#define ENGINE_INSTANCE_TTL_MS 3600000ull	/* when the conf gives 0 */
/* A customer's detection baseline is forgotten after 30 idle days. */
#define ENGINE_DETECT_IDLE_US (30LL * 86400 * 1000000)

/* Protocol states (policy attribute protocol_state), as small codes. */
enum engine_state {
	ENGINE_ST_OTHER,
	ENGINE_ST_CONNECT,
	ENGINE_ST_HELO,
	ENGINE_ST_MAIL,
	ENGINE_ST_RCPT,
	ENGINE_ST_DATA,
	ENGINE_ST_EOM,
	ENGINE_ST_VRFY,
	ENGINE_ST_ETRN
};

/* instance flags beyond INSTANCE_MSG_*: detection's marks. */
#define ENGINE_IN_DETECTED 0x04		/* the message was observed */
#define ENGINE_IN_HELD 0x08		/* held (or rejected) by an incident */

/* The "limit" behind an answer given because of an open incident. */
#define ENGINE_LIMIT_INCIDENT (INSTANCE_NO_LIMIT - 1)

/* A verdict's action: 0 is DUNNO, then conf_action + 1 (by severity). */
#define ENGINE_ACT_NONE 0
#define ENGINE_ACT(conf_action) ((uint8_t)((conf_action) + 1))

struct engine_limit {
	const struct conf_limit *conf;	/* borrowed from rules->conf */
	enum limit_kind kind;
	struct limit_rate rate;		/* as configured */
	uint8_t *nets;			/* owned: n_networks flags, NULL: every */
	uint64_t hits;			/* requests it went over (metrics) */
};

/* One limit taking part in one request (engine_judge.c scratch). */
struct engine_item {
	struct subject *subj;
	struct limit_state *ls;
	struct limit_rate rate;		/* effective, overrides applied */
	uint64_t w;			/* event weight; 0 with check_only */
	uint32_t fp;			/* distinct: the item's fingerprint */
	uint16_t limit;
	bool over;			/* limit_check() said so */
	bool check_only;		/* bytes at RCPT: refuse if already full */
	bool count_attempt;		/* count in attempts/over */
};

struct engine_rules {
	const struct conf *conf;	/* borrowed */
	struct lpm *lpm;		/* owned: prefix -> network index */
	struct engine_limit *limits;	/* owned, conf->n_limits */
	size_t n_limits;
	struct engine_item *items;	/* owned scratch, n_limits */
	struct shared_op *sops;		/* owned scratch, n_limits (shared state) */
	int customer_attr[PA__COUNT];	/* enum policy_attr, in order */
	size_t n_customer_attr;
	unsigned kinds_used;		/* bit per enum conf_limit_key */
	int64_t idle_us;		/* longest limit_idle_us() */
	int64_t instance_ttl_us;
	const char *default_action;	/* borrowed or static */
};

struct engine_qmap;

/*
 * The last open incidents that other relays shared (shared.h), by
 * customer hash, so that answers to repeated requests of a message held
 * because of one name it: direct-mapped, 64 entries of about 100 bytes.
 */
#define ENGINE_REMOTE_INC 64
struct engine_remote_inc {
	uint64_t hash;			/* hash_bytes of the customer key; 0: free */
	struct shared_incident inc;
};

/* Detection and incidents (engine_detect.c). */
struct engine_det {
	bool on;			/* detection.enabled */
	unsigned actions;		/* detection.on_compromise */
	struct detect_params params;
	struct detect_tab tab;
	struct incident_tab incidents;
	engine_incident_fn fn;		/* borrowed callback, NULL: none */
	void *fn_ctx;
	struct incidents_db *db;	/* borrowed, NULL: none */
	struct engine_qmap *qmap;	/* owned, made at first use */
	bool policy_seen;		/* judged an outbound message */
	bool next_dirty;		/* incidents.next_id not saved yet */
	uint64_t verdicts_malformed;	/* content verdict lines refused */
	struct engine_remote_inc remote[ENGINE_REMOTE_INC];
};

/* What engine_judge tells detection about one request. */
struct engine_det_req {
	const struct policy_req *req;
	const char *customer;		/* verdict.customer */
	size_t customer_len;
	const struct ipaddr *addr;	/* NULL: none parsed */
	struct instance *in;		/* NULL: no instance attribute */
	uint8_t state;			/* enum engine_state */
	int64_t now;
};

struct engine {
	struct engine_rules *rules;	/* owned */
	struct overrides *ov;		/* owned, NULL: none */
	int64_t ov_idle_us;		/* longest idle time under overrides */
	struct subject_tab subjects;
	struct instance_tab instances;
	uint8_t *buf;			/* owned: record encoding buffer */
	size_t buf_cap;
	struct engine_det det;
	const struct shared_ops *shared;	/* borrowed, NULL: embedded only */
	void *shared_ctx;
};

/*
 * engine_rules_new - compile conf.  Returns NULL with a message in err
 * and *rc set (ERR_INVAL for a bad combination, ERR_NOMEM) on failure.
 */
struct engine_rules *engine_rules_new(const struct conf *conf, char *err,
    size_t errcap, int *rc);

/* engine_rules_free - NULL is a no-op. */
void engine_rules_free(struct engine_rules *rules);

/*
 * engine_rate - the effective rate of limit index i for the key of an
 * overrides entry (NULL: none): the entry's rate for that limit, with the
 * configured burst, or the configured rate.
 */
void engine_rate(const struct engine_rules *rules, size_t i,
    const struct overrides_entry *ov, struct limit_rate *out);

/* engine_limit_kind - the state kind a conf limit needs. */
enum limit_kind engine_limit_kind(const struct conf_limit *lim);

/* engine_key_tag - a short fixed name per key kind, for store keys. */
const char *engine_key_tag(unsigned kind);

/*
 * engine_detect_init, _fini, _conf - detection's part of engine_new(),
 * engine_free() and engine_set_conf() (the parameters from conf).
 */
int engine_detect_init(struct engine *e, uint64_t seed);
void engine_detect_fini(struct engine *e);
void engine_detect_conf(struct engine *e, const struct conf *conf);

/*
 * engine_detect_gate - step 3 of the order of judgement: the action of
 * the customer's open incident (ENGINE_ACT(CONF_ACTION_HOLD or _REJECT))
 * with the message listed under it, or ENGINE_ACT_NONE.
 */
uint8_t engine_detect_gate(struct engine *e, const struct engine_det_req *x);

/*
 * engine_detect_observe - step 5: observe an accepted request; the
 * action of an incident it opened (as above) or ENGINE_ACT_NONE.  An
 * allocation failure only thins detection (never the answer).
 */
uint8_t engine_detect_observe(struct engine *e, const struct engine_det_req *x);

/*
 * engine_detect_answer - the verdict text of customer's incident for
 * act, rule "incident".
 */
void engine_detect_answer(const struct engine *e, const char *customer,
    uint8_t act, struct engine_verdict *out);

/*
 * engine_detect_remote_note - remember inc, an open incident of customer
 * that another relay shared, for engine_detect_answer(); its act
 * (ENGINE_ACT(CONF_ACTION_HOLD or _REJECT)) or ENGINE_ACT_NONE.
 */
uint8_t engine_detect_remote_note(struct engine *e, const char *customer,
    const struct shared_incident *inc);

/*
 * engine_detect_open - open an incident for c (reason "sprt",
 * "complaint") at now, client address addr (may be NULL): evidence,
 * database, log, callback; c's test restarts.  NULL on ENOMEM.
 */
struct incident *engine_detect_open(struct engine *e, struct detect_cust *c,
    const char *reason, const struct ipaddr *addr, int64_t now);

/*
 * engine_detect_qmap_link - note that queue ID qid (len bytes) is a
 * message of the customer with detection hash cust, from client addr
 * (may be NULL), authenticated or not (engine_detect_log.c).
 */
void engine_detect_qmap_link(struct engine *e, const char *qid, size_t len,
    uint64_t cust, const struct ipaddr *addr, bool sasl, int64_t now);

/* engine_detect_qmap_free - free the queue ID map. */
void engine_detect_qmap_free(struct engine *e);

/*
 * engine_detect_note_addr - remember that client addr sent for cust
 * (for complaints naming an address); engine_detect_by_addr - the
 * customer last seen at addr, or NULL.
 */
void engine_detect_note_addr(struct engine *e, const struct ipaddr *addr,
    uint64_t cust);
struct detect_cust *engine_detect_by_addr(struct engine *e,
    const struct ipaddr *addr);

/*
 * engine_detect_save, _snapshot, _record - detection's records in
 * engine_save(), engine_snapshot_iterate() and engine_restore()
 * (engine_persist.c calls them).  _record returns 1 when the record was
 * detection's (handled), 0 when not, or ERR_NOMEM.
 */
int engine_detect_save(struct engine *e, struct store *store, bool all);
int engine_detect_snapshot(struct engine *e, struct store *store,
    store_emit_fn emit);
int engine_detect_record(struct engine *e, const char *key, size_t klen,
    const void *val, size_t vlen);

#endif
