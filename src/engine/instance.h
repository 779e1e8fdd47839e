/*
 * instance.h - what the engine remembers about a message in flight
 * (Postfix's `instance` attribute): whether it was counted, whether it is
 * held or deferred as a whole, and the answer given to each (protocol
 * state, recipient) so that a repeated request is answered alike and
 * counted once.
 *
 * Postfix sends one policy request per restriction list that calls the
 * service (SMTPD_POLICY_README), so the same RCPT may arrive twice.
 *
 * A message is identified by a seeded 64-bit hash of its instance and
 * client_address; two live messages would have to collide in 64 bits to
 * be confused (about 1 in 10^9 with 100,000 live messages).  Records are
 * fixed-size: 112 bytes (128 with malloc's overhead) with 4 answers of 16
 * bytes inline.  A message with more recipients moves its answers to a
 * heap array of at most INSTANCE_ANSWERS_MAX, all such arrays together at
 * most INSTANCE_HEAP_MAX bytes; past either bound a message's further
 * answers are not kept, so a repeat of those requests counts again.
 * Records sit in an open-addressing table and on an LRU list (ordered to
 * the second: instance_expire() may be a second late); expired ones go
 * to a free list of up to INSTANCE_FREE_MAX records for reuse, so the
 * steady state allocates nothing.  Finding an answer scans the message's
 * answers (usually a handful).
 *
 * Limits: at most max live records (instance_tab_init); when full the
 * least recently used message is forgotten (its later requests count as
 * new ones: a message older than the rest is almost surely done).
 */
#ifndef RG_ENGINE_INSTANCE_H
#define RG_ENGINE_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/htab.h"

#define INSTANCE_INLINE 4
#define INSTANCE_ANSWERS_MAX 2048	/* smtpd_recipient_limit: 1000 */
#define INSTANCE_HEAP_MAX (64u << 20)	/* all heap answer arrays together */
#define INSTANCE_FREE_MAX 4096
#define INSTANCE_NO_LIMIT UINT16_MAX
#define INSTANCE_GRAIN_US 1000000LL	/* LRU order to the second */

#define INSTANCE_MSG_COUNTED 0x01	/* the message event was consumed */
#define INSTANCE_MSG_SEEN 0x02		/* the message event was attempted */

struct instance_answer {
	uint64_t rcpt_fp;	/* 64-bit recipient fingerprint, 0 if none */
	uint16_t limit;		/* limit behind act, or INSTANCE_NO_LIMIT */
	uint8_t state;		/* engine protocol state code */
	uint8_t act;		/* 0: DUNNO, else conf_action + 1 */
};

struct instance {
	uint64_t hash;
	struct instance *prev, *next;	/* LRU list, or the free list (next) */
	int64_t last_us;
	uint8_t flags;			/* INSTANCE_MSG_* */
	uint8_t sticky_act;		/* held/deferred as a whole: act, or 0 */
	uint16_t sticky_limit;
	uint16_t n_ans, cap_ans;
	struct instance_answer *ans;	/* inl, or owned heap array */
	struct instance_answer inl[INSTANCE_INLINE];
};

struct instance_tab {
	struct htab tab;
	struct instance *head, *tail;	/* LRU order: head is the oldest */
	struct instance *free;		/* owned records for reuse */
	size_t n_free;
	size_t max;
	size_t heap_bytes;		/* answer arrays on the heap */
	uint64_t seed;
};

/* instance_tab_init - an empty table of at most max records (>= 1). */
int instance_tab_init(struct instance_tab *it, size_t max, uint64_t seed);

/* instance_tab_fini - free every record. */
void instance_tab_fini(struct instance_tab *it);

/* instance_hash - the identity of (instance, client_address). */
uint64_t instance_hash(const struct instance_tab *it, const char *inst,
    size_t ilen, const char *client, size_t clen);

/*
 * instance_get - the record for hash, made if new (*created true), and
 * marked used at now_us.  Returns NULL on ENOMEM.
 */
struct instance *instance_get(struct instance_tab *it, uint64_t hash,
    int64_t now_us, bool *created);

/* instance_answer_find - the answer recorded for (state, rcpt_fp). */
const struct instance_answer *instance_answer_find(const struct instance *in,
    uint8_t state, uint64_t rcpt_fp);

/*
 * instance_answer_reserve - room for one more answer in in.  Returns 0,
 * ERR_TOOBIG (INSTANCE_ANSWERS_MAX or INSTANCE_HEAP_MAX reached: the
 * answer will not be kept) or ERR_NOMEM.
 */
int instance_answer_reserve(struct instance_tab *it, struct instance *in);

/* instance_answer_add - record an answer (after a successful reserve). */
void instance_answer_add(struct instance *in, uint8_t state, uint64_t rcpt_fp,
    uint8_t act, uint16_t limit);

/*
 * instance_expire - forget the records last used before before_us (those
 * of the last second before it perhaps at the next call).
 */
void instance_expire(struct instance_tab *it, int64_t before_us);

/*
 * instance_remap - limit indexes changed (engine_set_conf): map[old] is
 * the new index or -1; answers and sticky verdicts of a gone limit are
 * forgotten.
 */
void instance_remap(struct instance_tab *it, const int32_t *map, size_t n_map);

/* instance_count - live records. */
size_t instance_count(const struct instance_tab *it);

#endif
