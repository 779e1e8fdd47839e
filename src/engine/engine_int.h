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
#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/limit.h"
#include "engine/subject.h"
#include "lib/lpm.h"
#include "proto/overrides.h"

#define ENGINE_NET_NONE UINT32_MAX
#define ENGINE_LIMITS_MAX 4096
#define ENGINE_INSTANCES_MAX (256u << 10)
#define ENGINE_INSTANCE_TTL_MS 3600000ull	/* when the conf gives 0 */

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

/* A verdict's action: 0 is DUNNO, then conf_action + 1 (by severity). */
#define ENGINE_ACT_NONE 0
#define ENGINE_ACT(conf_action) ((uint8_t)((conf_action) + 1))

struct engine_limit {
	const struct conf_limit *conf;	/* borrowed from rules->conf */
	enum limit_kind kind;
	struct limit_rate rate;		/* as configured */
	uint8_t *nets;			/* owned: n_networks flags, NULL: every */
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
	int customer_attr[PA__COUNT];	/* enum policy_attr, in order */
	size_t n_customer_attr;
	unsigned kinds_used;		/* bit per enum conf_limit_key */
	int64_t idle_us;		/* longest limit_idle_us() */
	int64_t instance_ttl_us;
	const char *default_action;	/* borrowed or static */
};

struct engine {
	struct engine_rules *rules;	/* owned */
	struct overrides *ov;		/* owned, NULL: none */
	int64_t ov_idle_us;		/* longest idle time under overrides */
	struct subject_tab subjects;
	struct instance_tab instances;
	uint8_t *buf;			/* owned: record encoding buffer */
	size_t buf_cap;
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

#endif
