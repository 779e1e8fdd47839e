/*
 * htab.c - open-addressing hash table of item pointers (htab.h).
 *
 * Linear probing on the low bits of the caller's 64-bit hash; removal
 * shifts the rest of the cluster back (Knuth, TAOCP 6.4, algorithm R),
 * so there are no tombstones and lookups stay short under churn.
 */
#include <stdint.h>
#include <string.h>

#include "lib/err.h"
#include "lib/htab.h"
#include "lib/xmalloc.h"

#define HTAB_MIN 16

/* The slots needed so that n items stay at or below 3/4 load. */
static size_t
htab_cap_for(size_t n)
{
	size_t cap = HTAB_MIN;

	while (cap - cap / 4 < n) {
		if (cap > SIZE_MAX / 4 / sizeof(struct htab_slot))
			return 0;
		cap *= 2;
	}
	return cap;
}

int
htab_init(struct htab *tab, size_t cap)
{
	size_t slots = htab_cap_for(cap);

	memset(tab, 0, sizeof(*tab));
	if (slots == 0)
		return ERR_NOMEM;
	tab->slots = xcalloc(slots, sizeof(*tab->slots));
	if (tab->slots == NULL)
		return ERR_NOMEM;
	tab->mask = slots - 1;
	return 0;
}

void
htab_fini(struct htab *tab)
{
	xfree(tab->slots);
	memset(tab, 0, sizeof(*tab));
}

void *
htab_find(const struct htab *tab, uint64_t hash, htab_eq_fn eq, const void *key)
{
	size_t i;

	if (tab->slots == NULL)
		return NULL;
	for (i = hash & tab->mask; tab->slots[i].item != NULL;
	    i = (i + 1) & tab->mask) {
		if (tab->slots[i].hash == hash && eq(tab->slots[i].item, key))
			return tab->slots[i].item;
	}
	return NULL;
}

static void
htab_place(struct htab_slot *slots, size_t mask, uint64_t hash, void *item)
{
	size_t i = hash & mask;

	while (slots[i].item != NULL)
		i = (i + 1) & mask;
	slots[i].hash = hash;
	slots[i].item = item;
}

int
htab_reserve(struct htab *tab, size_t n)
{
	struct htab_slot *slots;
	size_t cap, i;

	if (n > SIZE_MAX - tab->n)
		return ERR_NOMEM;
	cap = tab->mask + 1;
	if (tab->slots != NULL && tab->n + n <= cap - cap / 4)
		return 0;
	cap = htab_cap_for(tab->n + n);
	if (cap == 0)
		return ERR_NOMEM;
	slots = xcalloc(cap, sizeof(*slots));
	if (slots == NULL)
		return ERR_NOMEM;
	if (tab->slots != NULL) {
		for (i = 0; i <= tab->mask; i++) {
			if (tab->slots[i].item != NULL)
				htab_place(slots, cap - 1, tab->slots[i].hash,
				    tab->slots[i].item);
		}
		xfree(tab->slots);
	}
	tab->slots = slots;
	tab->mask = cap - 1;
	return 0;
}

int
htab_insert(struct htab *tab, uint64_t hash, void *item)
{
	int rc;

	if ((rc = htab_reserve(tab, 1)) != 0)
		return rc;
	htab_place(tab->slots, tab->mask, hash, item);
	tab->n++;
	return 0;
}

bool
htab_remove(struct htab *tab, uint64_t hash, const void *item)
{
	size_t i, j, home;

	if (tab->slots == NULL)
		return false;
	for (i = hash & tab->mask; tab->slots[i].item != item;
	    i = (i + 1) & tab->mask) {
		if (tab->slots[i].item == NULL)
			return false;
	}
	/* Shift back every later member of the cluster that may move. */
	for (j = (i + 1) & tab->mask; tab->slots[j].item != NULL;
	    j = (j + 1) & tab->mask) {
		home = tab->slots[j].hash & tab->mask;
		/* Move j into the hole at i unless its home lies in (i, j]. */
		if (i <= j ? (home <= i || home > j) :
		    (home <= i && home > j)) {
			tab->slots[i] = tab->slots[j];
			i = j;
		}
	}
	tab->slots[i].item = NULL;
	tab->slots[i].hash = 0;
	tab->n--;
	return true;
}

void *
htab_next(const struct htab *tab, size_t *pos)
{
	if (tab->slots == NULL)
		return NULL;
	while (*pos <= tab->mask) {
		void *item = tab->slots[(*pos)++].item;

		if (item != NULL)
			return item;
	}
	return NULL;
}
