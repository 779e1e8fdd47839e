/*
 * detect.h - per-customer detection state and the signals that feed the
 * SPRT (sprt.h): what a customer normally does (its own baseline,
 * learned from its own mail) and how far each message departs from it.
 *
 * Every observation of a customer (a message, a recipient, a delivery
 * outcome from the Postfix log, a complaint) becomes a log-likelihood
 * ratio ln(P(x | compromised) / P(x | normal)) that detect_model.c
 * computes from the customer's baseline; the SPRT adds them up.  The
 * model, its parameters and why are in doc/detection.md.
 *
 * Two tiers of memory:
 *   struct detect_cust  the baseline, always there for a customer seen:
 *                       novelty sets of recipient and domain fingerprints
 *                       (16-bit, DETECT_RCPT_FPS and DETECT_DOM_FPS most
 *                       recent distinct ones), senders and their domains, HELO names, dead
 *                       addresses, client networks (/24, /48) with their
 *                       last hour, the peak volume of ten minutes,
 *                       novelty, off-hours, unknown-user and
 *                       recipients-a-message rates (EWMA), the SPRT, the
 *                       open incident.  Fixed size: 296 bytes and the key
 *                       inline, about 310 with malloc's overhead for a
 *                       key of up to 16 bytes, plus 16 to 32 bytes of
 *                       table slot; measured with the whole engine
 *                       (detection only, one message each): 403 bytes
 *                       of RSS per customer for a million customers.
 *   struct detect_act   the evidence of a test that leans towards
 *                       "compromised" (S > 0): per-signal LLR sums and
 *                       counts, up to DETECT_SAMPLES recipients and
 *                       client addresses, messages per minute over the
 *                       last DETECT_RATE_MIN minutes.  1000 bytes, made
 *                       when S first goes above 0, freed when the test
 *                       restarts at B or an incident opens.
 * A customer whose test sits at or below 0 costs no allocation per
 * message: lookups, fingerprint scans (at most 64 + 32 16-bit
 * comparisons) and a few float operations.
 *
 * Fingerprints are 16-bit folds of a fixed-seed 64-bit hash (they are
 * persisted, so they must not change between runs): two recipients of
 * one customer are confused with probability 1/65536 per pair in the
 * set, which makes a novel recipient look known about 0.1% of the time
 * with a full set (weakening, never strengthening, the evidence).
 *
 * Ownership: the table owns the customers and their extensions.  A
 * pointer to a customer stays valid until detect_expire(),
 * detect_remove() or detect_tab_fini().
 */
#ifndef RG_ENGINE_DETECT_H
#define RG_ENGINE_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/codec.h"
#include "engine/sprt.h"
#include "lib/htab.h"
#include "lib/ipaddr.h"

#define DETECT_RCPT_FPS 32
#define DETECT_DOM_FPS 16
#define DETECT_SENDERS 4		/* sender addresses, and domains */
#define DETECT_DEAD 4			/* recipients that bounced 5.1.x */
#define DETECT_HELOS 4
#define DETECT_NETS 4
#define DETECT_SAMPLES 10
#define DETECT_SAMPLE_LEN 64		/* a sample recipient, cut */
#define DETECT_RATE_MIN 16		/* minutes of per-minute rate */
#define DETECT_KEY_MAX 256		/* as ENGINE_CUSTOMER_MAX */
#define DETECT_SWEEP 4096		/* slots looked at per expire call */
#define DETECT_SLOT_US (600 * 1000000LL)	/* volume: ten minutes */
#define DETECT_CLEAN UINT32_MAX
#define DETECT_RATES 8		/* learned rates, enum detect_rate */

/* The learned rates of a customer, for n_learned[]. */
enum detect_rate {
	DETECT_R_NOVEL, DETECT_R_DOM, DETECT_R_SENDER, DETECT_R_OFF,
	DETECT_R_UNKNOWN, DETECT_R_RPM, DETECT_R_DEFER, DETECT_R_SDOM
};

/* The signals; their names (detect_sig_name) appear in the evidence. */
enum detect_sig {
	DETECT_SIG_RCPT_NOVEL,		/* a recipient never seen before */
	DETECT_SIG_RCPT_KNOWN,		/* a recipient written to before */
	DETECT_SIG_DOMAIN_NOVEL,	/* ... at a domain never seen */
	DETECT_SIG_DOMAIN_KNOWN,	/* ... at a known domain */
	DETECT_SIG_RCPTS,		/* recipients a message over baseline */
	DETECT_SIG_VOLUME,		/* messages in 10 min over baseline */
	DETECT_SIG_SENDER_NEW,		/* a sender never used by it */
	DETECT_SIG_SENDER_KNOWN,
	DETECT_SIG_HELO_NEW,		/* a HELO name never used by it */
	DETECT_SIG_NETWORKS,		/* many client networks in a day */
	DETECT_SIG_OFF_HOURS,		/* sending when it usually does not */
	DETECT_SIG_UNKNOWN_USER,	/* delivery: dsn 5.1.x */
	DETECT_SIG_BOUNCE,		/* delivery: another 5.x.x */
	DETECT_SIG_DEFERRED,		/* delivery: 4.x.x, once a message */
	DETECT_SIG_DELIVERED,		/* delivery: sent */
	DETECT_SIG_COMPLAINT,		/* an abuse report (ARF) */
	DETECT_SIG_CONTENT_SPAM,	/* a content filter said spam */
	DETECT_SIG_CONTENT_CLEAN,	/* ... said clean */
	DETECT_SIG__COUNT
};

/* A delivery outcome from the Postfix log. */
enum detect_outcome {
	DETECT_OUT_SENT,
	DETECT_OUT_UNKNOWN_USER,
	DETECT_OUT_BOUNCE,
	DETECT_OUT_DEFERRED
};

/* The model's parameters (detect_params_default(); doc/detection.md). */
struct detect_params {
	struct sprt_params sprt;
	unsigned min_messages;		/* no incident before this many */
	int off_hours_start, off_hours_end;	/* local hours [start, end) */
	int32_t utc_offset_s;		/* local time for off-hours */
	int64_t network_window_us;	/* networks counted in this window */
	float complaint_llr;		/* one complaint */
	float msg_cap_pos, msg_cap_neg;	/* recipient LLR per message */
	float outcome_cap_pos;		/* outcome LLR per message */
};

struct detect_act {
	float sig_llr[DETECT_SIG__COUNT];	/* LLR added per signal */
	uint32_t sig_n[DETECT_SIG__COUNT];	/* observations per signal */
	int64_t started_us;			/* when S went above 0 */
	uint32_t messages, recipients;
	char samples[DETECT_SAMPLES][DETECT_SAMPLE_LEN];
	uint8_t n_samples;
	uint8_t n_addrs;
	struct ipaddr addrs[DETECT_SAMPLES];
	uint32_t rate_minute;			/* minute of rate[0] */
	uint16_t rate[DETECT_RATE_MIN];		/* messages per minute, ring */
};

struct detect_cust {
	uint64_t hash;
	struct detect_act *act;			/* owned, NULL: none */
	int64_t last_us;
	uint64_t incident;			/* open incident id, 0: none */
	struct sprt sprt;
	uint32_t dirty_idx;			/* or DETECT_CLEAN */
	uint32_t messages;			/* observed, saturating */
	uint32_t recipients;			/* observed, saturating */
	uint32_t outcomes;			/* deliveries seen */
	uint32_t hour;				/* slot of hour_msgs (10 min) */
	uint16_t hour_msgs;			/* messages in that slot */
	uint16_t active_hours;			/* slots with mail */
	float base_msgs;			/* peak messages a slot */
	float rate_novel;			/* EWMA: recipients novel */
	float rate_dom_novel;			/* EWMA: ... at novel domains */
	float rate_sender_new;			/* EWMA: messages, new sender */
	float rate_sdom_new;			/* ... at a new domain */
	float rate_off;				/* EWMA: messages off hours */
	float rate_unknown;			/* EWMA: deliveries, 5.1.x */
	float rate_defer;			/* EWMA: messages deferred */
	float base_rpm;				/* EWMA: recipients a message */
	float msg_raw, msg_done;		/* rcpt LLR of the message */

	uint16_t rcpt_fp[DETECT_RCPT_FPS];	/* ring: distinct recipients */
	uint16_t dom_fp[DETECT_DOM_FPS];
	uint16_t sender_fp[DETECT_SENDERS];
	uint16_t sdom_fp[DETECT_SENDERS];	/* their domains */
	uint16_t helo_fp[DETECT_HELOS];
	uint16_t dead_fp[DETECT_DEAD];		/* ring: unknown users seen */
	uint32_t net_fp[DETECT_NETS];		/* 0: empty */
	uint32_t net_hour[DETECT_NETS];		/* last hour seen */
	uint8_t rcpt_n, rcpt_pos, dom_n, dom_pos;
	uint8_t sender_n, sender_pos, helo_n, helo_pos;
	uint8_t dead_n, dead_pos, sdom_n, sdom_pos;
	uint8_t flags;				/* DETECT_F_* */
	uint16_t msg_rcpts;			/* of the current message */
	uint16_t msg_novel;			/* ... of them novel */
	uint16_t msg_doms, msg_dnovel;		/* ... domains looked at, novel */
	uint16_t n_learned[DETECT_RATES];	/* observations in each rate */
	uint16_t klen;
	char key[];				/* klen bytes and a NUL */
};

#define DETECT_F_SAVED 0x01	/* the store holds a record for it */

struct detect_gone {			/* a saved customer since dropped */
	struct detect_gone *next;
	uint16_t klen;
	char key[];
};

struct detect_tab {
	struct htab tab;
	size_t sweep;				/* detect_expire's next slot */
	struct detect_cust **dirty;		/* owned array, NULL holes */
	uint32_t n_dirty, cap_dirty;
	bool dirty_lost;			/* could not grow: save all */
	struct detect_gone *gone;		/* owned: deletions due */
	size_t count, n_act;
	uint64_t seed;
};

/*
 * The outcomes of one message so far (detect_outcome): kept by the
 * caller with the message (the queue ID map), zeroed before the first.
 */
struct detect_msg_out {
	float raw;		/* sum of its outcomes' LLRs */
	float done;		/* what was added for them */
	uint16_t n;		/* outcomes seen (not deferrals) */
	uint16_t nrcpt;		/* its recipients, 0: unknown */
	uint32_t deferred;	/* recipients deferred: a bit each (hash) */
};

/* What one message brings (detect_message). */
struct detect_msg {
	const char *sender;		/* NULL or "" for the null sender */
	size_t sender_len;
	const char *helo;		/* NULL: unknown */
	size_t helo_len;
	const struct ipaddr *addr;	/* NULL: unknown */
	bool sasl;			/* authenticated */
};

/* detect_params_default - the defaults of doc/detection.md. */
void detect_params_default(struct detect_params *p);

/* detect_sig_name - "rcpt_novel", ...; static. */
const char *detect_sig_name(enum detect_sig sig);

/* detect_tab_init - an empty table.  Returns 0 or ERR_NOMEM. */
int detect_tab_init(struct detect_tab *t, uint64_t seed);

/* detect_tab_fini - free everything. */
void detect_tab_fini(struct detect_tab *t);

/* detect_hash - the table hash of a customer key. */
uint64_t detect_hash(const struct detect_tab *t, const char *key, size_t len);

/* detect_find - the customer, or NULL. */
struct detect_cust *detect_find(const struct detect_tab *t, const char *key,
    size_t len, uint64_t hash);

/* detect_find_hash - the customer with this hash (64 bits), or NULL. */
struct detect_cust *detect_find_hash(const struct detect_tab *t,
    uint64_t hash);

/*
 * detect_get - the customer, made empty (the new-customer prior) at
 * now_us if not there.  Returns NULL on ENOMEM or a key over
 * DETECT_KEY_MAX bytes.
 */
struct detect_cust *detect_get(struct detect_tab *t, const char *key,
    size_t len, uint64_t hash, int64_t now_us);

/* detect_touch - used at now_us (and dirty for the next save). */
void detect_touch(struct detect_tab *t, struct detect_cust *c, int64_t now_us);

/* detect_dirty - changed since the last save. */
void detect_dirty(struct detect_tab *t, struct detect_cust *c);

/* detect_clean - saved: off the dirty list, flagged saved. */
void detect_clean(struct detect_tab *t, struct detect_cust *c);

/*
 * detect_remove - drop c (a saved one is noted on the gone list so that
 * the next save deletes its record; without memory for the note its
 * record comes back at a restart: an old baseline, harmless).
 */
void detect_remove(struct detect_tab *t, struct detect_cust *c);

/*
 * detect_expire - drop customers idle since before before_us and without
 * an open incident.  Incremental: each call looks at DETECT_SWEEP table
 * slots from where the last one stopped, so a customer goes at most one
 * sweep of the table after it could have (the engine calls this every
 * second: a sweep of a million customers takes a few minutes).
 */
void detect_expire(struct detect_tab *t, int64_t before_us);

/*
 * detect_act_get - c's evidence extension, made (zeroed, started at
 * now_us) when missing.  NULL on ENOMEM: the evidence is then thinner,
 * the decision the same.
 */
struct detect_act *detect_act_get(struct detect_tab *t, struct detect_cust *c,
    int64_t now_us);

/* detect_act_drop - free c's extension (test restarted, or released). */
void detect_act_drop(struct detect_tab *t, struct detect_cust *c);

/* detect_fp16 - the 16-bit case-folded fingerprint of len bytes (never 0). */
uint16_t detect_fp16(const char *p, size_t len, uint64_t seed);

/* detect_fp32 - the same, 32 bits (never 0). */
uint32_t detect_fp32(const void *p, size_t len, uint64_t seed);

/*
 * detect_encode - append c's persisted form (baseline, sets, SPRT, open
 * incident; not the evidence extension) to out.  detect_decode - a
 * customer from it, into the table (replacing one of the same key).
 * Returns 0, ERR_MALFORMED or ERR_NOMEM.
 */
void detect_encode(const struct detect_cust *c, struct codec_out *out);
int detect_decode(struct detect_tab *t, const char *key, size_t len,
    struct codec_in *in, struct detect_cust **out);

/*
 * The model (detect_model.c).  Each returns the LLR it added to c's
 * SPRT and the decision in *dec.  now_us orders everything.
 *
 * detect_message - a new message of c (its first recipient follows
 * through detect_recipient): volume, sender, HELO, networks, off hours.
 */
float detect_message(struct detect_tab *t, const struct detect_params *p,
    struct detect_cust *c, const struct detect_msg *m, int64_t now_us,
    enum sprt_decision *dec);

/*
 * detect_recipient - one recipient (address of len bytes) of c's
 * current message: recipient and domain novelty.
 */
float detect_recipient(struct detect_tab *t, const struct detect_params *p,
    struct detect_cust *c, const char *rcpt, size_t len, int64_t now_us,
    enum sprt_decision *dec);

/*
 * detect_outcome - a delivery outcome of one of c's messages to rcpt
 * (len bytes; may be NULL); mo: that message's outcomes so far (the
 * positive LLR of one message's outcomes is at most outcome_cap_pos,
 * and they count as at most OUT_INDEP independent ones, see
 * detect_model.c); a deferral counts once a message.  An unknown user
 * that already bounced for c (one of its last DETECT_DEAD) is no new
 * evidence: people keep writing to a dead address; harvested lists do
 * not repeat.
 */
float detect_outcome(struct detect_tab *t, const struct detect_params *p,
    struct detect_cust *c, enum detect_outcome out, const char *rcpt,
    size_t len, struct detect_msg_out *mo, int64_t now_us,
    enum sprt_decision *dec);

/*
 * detect_content - a content filter's verdict on one of c's messages
 * (proto/verdict.h; the caller passes one verdict a message).  Spam:
 * ln(0.8 / 0.02) = +3.69 (SPOT's observation: most of a zombie's mail is
 * spam, a filter's false positives are rare); clean: -0.5 at most, as a
 * bot's spam that passes the filter is common.  Returns the LLR added.
 */
float detect_content(struct detect_tab *t, const struct detect_params *p,
    struct detect_cust *c, bool spam, int64_t now_us, enum sprt_decision *dec);

/* detect_complaint - an abuse complaint about c. */
float detect_complaint(struct detect_tab *t, const struct detect_params *p,
    struct detect_cust *c, int64_t now_us, enum sprt_decision *dec);

/*
 * detect_reset - start c's test afresh (after an incident opened or was
 * released): S = 0, extension dropped.
 */
void detect_reset(struct detect_tab *t, struct detect_cust *c);

/*
 * detect_evidence - the JSON object describing c's current test into
 * buf (NUL-terminated): S, A, messages, per-signal LLR and counts,
 * sample recipients and client addresses, messages per minute.  Returns
 * the length, or ERR_TOOBIG when cap is too small.
 */
int detect_evidence(const struct detect_cust *c, const struct detect_params *p,
    int64_t now_us, char *buf, size_t cap);

/* detect_top_signal - the signal that added the most to S (the reason). */
enum detect_sig detect_top_signal(const struct detect_cust *c);

#endif
