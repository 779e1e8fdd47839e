/*
 * subject.h - the table of keys that limits count against: customers,
 * SASL usernames, client addresses, senders, sender domains (one table,
 * the kind is part of the key).
 *
 * A subject is one allocation: a 48-byte header and its key string
 * inline; its limit states (limit.h) hang off it in a short list, each
 * allocated the first time that limit touches the subject.  Subjects sit
 * in an open-addressing table (htab.h) under a seeded 64-bit hash of
 * (kind, key), and on a list in least-recently-used order (to the
 * minute, SUBJECT_GRAIN_US), so that subject_expire() only looks at the
 * ones it drops, at most a minute after they could have gone.
 *
 * Memory per customer with one messages limit (glibc malloc, a key of
 * up to 24 bytes): subject 80, window state 112, table slots 21 to 43 on
 * average: about 250 bytes; measured: 248 bytes of RSS per customer
 * with 1,000,000 customers.  Lookup: one hash of the key, about two
 * probes, one key comparison; no allocation for a known subject.
 *
 * Persistence support: a subject changed since the last save is on the
 * dirty list (an array, so that removal is O(1)); a subject dropped after
 * it was saved is kept, without its states, on the gone list until the
 * next save writes its deletion (engine_persist.c).
 *
 * Keys: at most SUBJECT_KEY_MAX (= ENGINE_CUSTOMER_MAX) bytes.  The
 * table owns the subjects, the subjects own their states.
 */
#ifndef RG_ENGINE_SUBJECT_H
#define RG_ENGINE_SUBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/limit.h"
#include "lib/htab.h"

#define SUBJECT_KEY_MAX 256
#define SUBJECT_KINDS 5		/* enum conf_limit_key values */
#define SUBJECT_CLEAN UINT32_MAX
#define SUBJECT_SAVED 0x01	/* the store holds a record for it */
#define SUBJECT_GRAIN_US (60 * 1000000LL)	/* LRU order to the minute */

struct subject {
	uint64_t hash;
	struct subject *prev, *next;	/* LRU list, or the gone list (next) */
	struct limit_state *states;	/* owned */
	int64_t last_us;		/* last event */
	uint32_t dirty_idx;		/* in the dirty array, or SUBJECT_CLEAN */
	uint16_t klen;
	uint8_t kind;			/* enum conf_limit_key */
	uint8_t flags;
	char key[];			/* klen bytes and a NUL */
};

struct subject_tab {
	struct htab tab;
	struct subject *head, *tail;	/* LRU order: head is the oldest */
	struct subject **dirty;		/* owned array; NULL holes allowed */
	uint32_t n_dirty, cap_dirty;
	bool dirty_lost;		/* the array could not grow: save all */
	struct subject *gone;		/* dropped but saved: deletions due */
	size_t count[SUBJECT_KINDS];
	uint64_t seed;
};

/* subject_tab_init - an empty table.  Returns 0 or ERR_NOMEM. */
int subject_tab_init(struct subject_tab *st, uint64_t seed);

/* subject_tab_fini - free every subject and state. */
void subject_tab_fini(struct subject_tab *st);

/* subject_hash - the table hash of (kind, key of len bytes). */
uint64_t subject_hash(const struct subject_tab *st, unsigned kind,
    const char *key, size_t len);

/* subject_find - the subject for (kind, key) or NULL; hash from above. */
struct subject *subject_find(const struct subject_tab *st, unsigned kind,
    const char *key, size_t len, uint64_t hash);

/*
 * subject_add - a new, empty subject for (kind, key), which must not be
 * there yet, last used at now_us.  Returns NULL on ENOMEM (or a key over
 * SUBJECT_KEY_MAX bytes).
 */
struct subject *subject_add(struct subject_tab *st, unsigned kind,
    const char *key, size_t len, uint64_t hash, int64_t now_us);

/*
 * subject_touch - mark used at now_us (moves it to the LRU tail when its
 * minute changed).
 */
void subject_touch(struct subject_tab *st, struct subject *s, int64_t now_us);

/* subject_dirty - note that s changed since the last save. */
void subject_dirty(struct subject_tab *st, struct subject *s);

/* subject_clean - s was saved: off the dirty list, flagged saved. */
void subject_clean(struct subject_tab *st, struct subject *s);

/*
 * subject_remove - drop s and its states.  If the store holds a record
 * for it, it goes to the gone list instead of being freed.
 */
void subject_remove(struct subject_tab *st, struct subject *s);

/*
 * subject_expire - drop the subjects last used before before_us: every
 * one last used a minute (SUBJECT_GRAIN_US) before that, and most of the
 * rest; never one used since before_us.
 */
void subject_expire(struct subject_tab *st, int64_t before_us);

/* subject_state - the state of limit index limit, or NULL. */
struct limit_state *subject_state(const struct subject *s, uint16_t limit);

/* subject_gone_free - free the gone list (after the deletions are saved). */
void subject_gone_free(struct subject_tab *st);

/* subject_sort - restore LRU order by last_us (after loading records). */
void subject_sort(struct subject_tab *st);

#endif
