/*
 * htab.h - an open-addressing hash table of item pointers keyed by a
 * 64-bit hash that the caller computes.
 *
 * The table does not know what a key is: it stores (hash, item) pairs,
 * and htab_find() asks the caller's eq function about every item whose
 * hash matches, so an item can keep its key string inline (one
 * allocation per item, no separate key).  Items are borrowed: the table
 * never frees them.
 *
 * Linear probing, power-of-two capacity, grown to twice its size when
 * three quarters full, deletion by backward shift (no tombstones, so
 * lookups never slow down with churn).
 *
 * Memory: 16 bytes per slot, between 21 and 43 bytes per item at the
 * load factors used (3/8 to 3/4).  Lookup: one hash comparison per probe,
 * about 2 probes at the highest load for a good hash; eq is called only
 * on a full 64-bit hash match.  Growth rehashes every item once (from the
 * stored hashes; the caller's hash function is not called again).
 *
 * Limits: at most 2^62 slots (ERR_NOMEM before that).  Not thread-safe.
 */
#ifndef RG_LIB_HTAB_H
#define RG_LIB_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct htab_slot {
	uint64_t hash;
	void *item;		/* borrowed; NULL: empty slot */
};

struct htab {
	struct htab_slot *slots;	/* owned */
	size_t mask;			/* capacity - 1 */
	size_t n;			/* items stored */
};

/* Is item the one looked for?  key is the caller's key argument. */
typedef bool (*htab_eq_fn)(const void *item, const void *key);

/*
 * htab_init - an empty table with room for at least cap items before it
 * grows (at least 16 slots).  Returns 0 or ERR_NOMEM.
 */
int htab_init(struct htab *tab, size_t cap);

/* htab_fini - free the slots (not the items).  Safe on a zeroed table. */
void htab_fini(struct htab *tab);

/*
 * htab_find - the first item with this hash for which eq(item, key) is
 * true, or NULL.
 */
void *htab_find(const struct htab *tab, uint64_t hash, htab_eq_fn eq,
    const void *key);

/*
 * htab_reserve - make sure that n more items fit without growing, so
 * that the next n htab_insert() calls cannot fail.  Returns 0 or
 * ERR_NOMEM (the table is unchanged).
 */
int htab_reserve(struct htab *tab, size_t n);

/*
 * htab_insert - add item (not NULL) under hash; duplicates are not
 * checked.  Returns 0 or ERR_NOMEM (the table is unchanged).
 */
int htab_insert(struct htab *tab, uint64_t hash, void *item);

/* htab_remove - remove exactly this item; false if it is not there. */
bool htab_remove(struct htab *tab, uint64_t hash, const void *item);

/*
 * htab_next - iterate: start with *pos = 0; returns the next item or NULL
 * at the end.  The table must not change during the iteration (collect
 * what to remove, then remove it).
 */
void *htab_next(const struct htab *tab, size_t *pos);

/* htab_count - items stored. */
static inline size_t
htab_count(const struct htab *tab)
{
	return tab->n;
}

#endif
