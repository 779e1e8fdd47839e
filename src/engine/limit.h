/*
 * limit.h - the state of one limit for one key (a customer, a sender...):
 * a sliding window, a token bucket or a set of distinct items.
 *
 * rate = N/P means at most N in any window of length P:
 *
 *   window    (no burst) P is cut into LIMIT_SLOTS = 16 slots of
 *             ceil(P/15) each; the window counts the current slot and
 *             the 15 before it, the oldest of which has partly expired.
 *             So every span of length P is always counted in full: more
 *             than N never get through in any window of length P, and an
 *             event stops counting between P and P + P/15 after it
 *             happened (the window may refuse up to P/15 early).
 *             Memory: 96 bytes; check and commit: 16 additions.
 *   bucket    (burst = B) a token bucket of depth B refilled at N per P,
 *             full at first.  The level is kept in token-microseconds x N
 *             (one token is P in us), 128 bits wide, so a refill of N per
 *             microsecond is exact and never drifts.  Memory: 48 bytes;
 *             check and commit: a few 128-bit multiplications.
 *   distinct  (distinct_recipients, _recipient_domains,
 *             _client_addresses) up to N + 1 pairs of (32-bit
 *             fingerprint, last seen); an item counts while it was last
 *             seen within P, exactly (bar fingerprint collisions, which
 *             make two items count as one: about N^2 / 2^33).  Memory:
 *             48 bytes + 12 bytes a pair, at most (N + 1) pairs, so bounded
 *             by the limit (N <= LIMIT_DISTINCT_MAX); check: one pass
 *             over the pairs.
 *
 * Only events that are accepted are committed: limit_check() says whether
 * an event would go over, limit_commit() consumes it.  Every state also
 * counts attempts (events seen) and over (events this limit refused)
 * for the abuse desk, saturating at 2^32 - 1.
 *
 * The engine owns states (one list per subject, see subject.h); the rate
 * is passed in on every call (an override may change it per key), so a
 * state holds no pointer into the configuration.
 */
#ifndef RG_ENGINE_LIMIT_H
#define RG_ENGINE_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/codec.h"

#define LIMIT_SLOTS 16
#define LIMIT_DISTINCT_MAX 65535	/* largest N of a distinct limit */
#define LIMIT_BURST_MAX 0xffffffffu	/* largest B */

enum limit_kind { LIMIT_WINDOW, LIMIT_BUCKET, LIMIT_DISTINCT };

/* The effective rule for one key: N per P, burst B (0: window). */
struct limit_rate {
	uint64_t count;
	uint64_t period_ms;
	uint64_t burst;
};

struct limit_state {
	struct limit_state *next;	/* the subject's next state */
	uint16_t limit;			/* index in the engine's limits */
	uint8_t kind;			/* enum limit_kind */
	uint8_t head;			/* window: ring index of the current slot */
	uint32_t attempts;		/* events seen */
	uint32_t over;			/* events refused by this limit */
	uint32_t pend;			/* distinct: pair chosen by limit_check */
	union {
		struct {
			int64_t start_us;	/* start of the current slot */
			uint32_t slots[LIMIT_SLOTS];
		} w;
		struct {
			int64_t last_us;	/* last refill */
			uint64_t lo, hi;	/* tokens x P in us, 128 bits */
		} b;
		struct {
			uint32_t n, cap;	/* pairs used, allocated */
			int64_t *seen_us;	/* owned: cap times, then cap fps */
			bool pend_found;	/* limit_check found the item */
		} d;
	} u;
};

/*
 * limit_state_new - a fresh state for limit index limit (an empty window,
 * a full bucket, an empty set).  Returns NULL on ENOMEM.
 */
struct limit_state *limit_state_new(enum limit_kind kind, uint16_t limit);

/* limit_state_free - free one state; NULL is a no-op. */
void limit_state_free(struct limit_state *st);

/*
 * limit_check - would an event of weight w (bytes, or 1; for distinct,
 * the item fp) go over rate at now_us?  w == 0 asks whether the key is
 * already full (no event at all would fit), for the bytes check at RCPT.
 * It brings the state up to now_us (drops what fell out of the window,
 * refills the bucket) and, for distinct, makes room for the item so that
 * limit_commit() cannot fail.  Returns 0 with *over set, or ERR_NOMEM.
 */
int limit_check(struct limit_state *st, const struct limit_rate *rate,
    int64_t now_us, uint64_t w, uint32_t fp, bool *over);

/*
 * limit_commit - consume the event just checked (with the same now_us,
 * w and fp).  Counts beyond the limit (a warn limit) saturate.
 */
void limit_commit(struct limit_state *st, const struct limit_rate *rate,
    int64_t now_us, uint64_t w, uint32_t fp);

/*
 * limit_used - what the key has used of rate at now_us (events in the
 * window, tokens taken from the bucket, live distinct items), without
 * changing the state.
 */
uint64_t limit_used(const struct limit_state *st, const struct limit_rate *rate,
    int64_t now_us);

/*
 * limit_slot_us - the length of one of a window's LIMIT_SLOTS slots,
 * ceil(P / (LIMIT_SLOTS - 1)).
 */
int64_t limit_slot_us(const struct limit_rate *rate);

/*
 * limit_idle_us - after how long without events a state of this kind and
 * rate holds nothing any more (window empty, bucket full), so that it may
 * be forgotten.
 */
int64_t limit_idle_us(enum limit_kind kind, const struct limit_rate *rate);

/* limit_count_add - add to a saturating 32-bit counter. */
static inline void
limit_count_add(uint32_t *c, uint64_t n)
{
	*c = n >= (uint64_t)(UINT32_MAX - *c) ? UINT32_MAX : *c + (uint32_t)n;
}

/*
 * limit_encode - append the kind-specific body of st to out (a window's
 * slots, a bucket's level, a set's pairs); see engine_persist.c for the
 * record around it.
 */
void limit_encode(const struct limit_state *st, struct codec_out *out);

/*
 * limit_decode - a new state of kind for limit from a body written by
 * limit_encode(); distinct pairs beyond max_pairs are dropped (a limit
 * made smaller).  Returns 0 and *out, ERR_MALFORMED or ERR_NOMEM.
 */
int limit_decode(struct codec_in *in, enum limit_kind kind, uint16_t limit,
    uint32_t max_pairs, struct limit_state **out);

#endif
