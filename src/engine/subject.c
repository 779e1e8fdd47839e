/*
 * subject.c - the table of limit keys: customers, senders, ... (subject.h).
 *
 * One allocation per subject with the key inline, pointers in an
 * open-addressing table, an intrusive doubly linked LRU list for expiry,
 * an array for the dirty set.  See subject.h for the memory figures.
 */
#include <stdint.h>
#include <string.h>

#include "engine/subject.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/xmalloc.h"

struct subject_key {
	unsigned kind;
	const char *key;
	size_t len;
};

static bool
subject_eq(const void *item, const void *key)
{
	const struct subject *s = item;
	const struct subject_key *k = key;

	return s->kind == k->kind && s->klen == k->len &&
	    memcmp(s->key, k->key, k->len) == 0;
}

int
subject_tab_init(struct subject_tab *st, uint64_t seed)
{
	memset(st, 0, sizeof(*st));
	st->seed = seed;
	return htab_init(&st->tab, 1024);
}

static void
subject_free_states(struct subject *s)
{
	struct limit_state *ls, *next;

	for (ls = s->states; ls != NULL; ls = next) {
		next = ls->next;
		limit_state_free(ls);
	}
	s->states = NULL;
}

void
subject_gone_free(struct subject_tab *st)
{
	struct subject *s, *next;

	for (s = st->gone; s != NULL; s = next) {
		next = s->next;
		xfree(s);
	}
	st->gone = NULL;
}

void
subject_tab_fini(struct subject_tab *st)
{
	struct subject *s, *next;

	for (s = st->head; s != NULL; s = next) {
		next = s->next;
		subject_free_states(s);
		xfree(s);
	}
	subject_gone_free(st);
	xfree(st->dirty);
	htab_fini(&st->tab);
	memset(st, 0, sizeof(*st));
}

uint64_t
subject_hash(const struct subject_tab *st, unsigned kind, const char *key,
    size_t len)
{
	return hash_bytes(key, len, st->seed ^ ((uint64_t)kind << 56));
}

struct subject *
subject_find(const struct subject_tab *st, unsigned kind, const char *key,
    size_t len, uint64_t hash)
{
	struct subject_key k = { kind, key, len };

	return htab_find(&st->tab, hash, subject_eq, &k);
}

static void
subject_unlink(struct subject_tab *st, struct subject *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		st->head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	else
		st->tail = s->prev;
	s->prev = s->next = NULL;
}

static void
subject_append(struct subject_tab *st, struct subject *s)
{
	s->prev = st->tail;
	s->next = NULL;
	if (st->tail != NULL)
		st->tail->next = s;
	else
		st->head = s;
	st->tail = s;
}

struct subject *
subject_add(struct subject_tab *st, unsigned kind, const char *key, size_t len,
    uint64_t hash, int64_t now_us)
{
	struct subject *s;

	if (len > SUBJECT_KEY_MAX || kind >= SUBJECT_KINDS)
		return NULL;
	if ((s = xmalloc(sizeof(*s) + len + 1)) == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->hash = hash;
	s->last_us = now_us;
	s->dirty_idx = SUBJECT_CLEAN;
	s->klen = (uint16_t)len;
	s->kind = (uint8_t)kind;
	memcpy(s->key, key, len);
	s->key[len] = '\0';
	if (htab_insert(&st->tab, hash, s) != 0) {
		xfree(s);
		return NULL;
	}
	subject_append(st, s);
	st->count[kind]++;
	return s;
}

void
subject_touch(struct subject_tab *st, struct subject *s, int64_t now_us)
{
	/*
	 * Move to the tail only when the minute changes: moving costs two
	 * cache misses (the neighbours), which at a million keys was a third
	 * of the time of a judgement.  last_us stays within the minute of the
	 * last move, so the list is ordered by that minute, and
	 * subject_expire() is at most SUBJECT_GRAIN_US late.
	 */
	if (now_us / SUBJECT_GRAIN_US != s->last_us / SUBJECT_GRAIN_US &&
	    st->tail != s) {
		subject_unlink(st, s);
		subject_append(st, s);
	}
	if (now_us > s->last_us)
		s->last_us = now_us;
}

void
subject_dirty(struct subject_tab *st, struct subject *s)
{
	struct subject **d;
	uint32_t cap;

	if (s->dirty_idx != SUBJECT_CLEAN || st->dirty_lost)
		return;
	if (st->n_dirty == st->cap_dirty) {
		cap = st->cap_dirty ? st->cap_dirty * 2 : 1024;
		if (st->cap_dirty >= UINT32_MAX / 2 ||
		    (d = xreallocarray(st->dirty, cap, sizeof(*d))) == NULL) {
			/* engine_save() will write every subject instead. */
			st->dirty_lost = true;
			return;
		}
		st->dirty = d;
		st->cap_dirty = cap;
	}
	s->dirty_idx = st->n_dirty;
	st->dirty[st->n_dirty++] = s;
}

void
subject_clean(struct subject_tab *st, struct subject *s)
{
	if (s->dirty_idx != SUBJECT_CLEAN) {
		st->dirty[s->dirty_idx] = NULL;
		s->dirty_idx = SUBJECT_CLEAN;
	}
	s->flags |= SUBJECT_SAVED;
}

void
subject_remove(struct subject_tab *st, struct subject *s)
{
	htab_remove(&st->tab, s->hash, s);
	subject_unlink(st, s);
	if (s->dirty_idx != SUBJECT_CLEAN)
		st->dirty[s->dirty_idx] = NULL;
	st->count[s->kind]--;
	subject_free_states(s);
	if (s->flags & SUBJECT_SAVED) {
		s->next = st->gone;
		st->gone = s;
	} else
		xfree(s);
}

void
subject_expire(struct subject_tab *st, int64_t before_us)
{
	while (st->head != NULL && st->head->last_us < before_us)
		subject_remove(st, st->head);
}

struct limit_state *
subject_state(const struct subject *s, uint16_t limit)
{
	struct limit_state *ls;

	for (ls = s->states; ls != NULL; ls = ls->next) {
		if (ls->limit == limit)
			return ls;
	}
	return NULL;
}

/* Merge two lists sorted by last_us (linked through next only). */
static struct subject *
subject_merge(struct subject *a, struct subject *b)
{
	struct subject head, *t = &head;

	while (a != NULL && b != NULL) {
		if (b->last_us < a->last_us) {
			t->next = b;
			b = b->next;
		} else {
			t->next = a;
			a = a->next;
		}
		t = t->next;
	}
	t->next = a != NULL ? a : b;
	return head.next;
}

void
subject_sort(struct subject_tab *st)
{
	struct subject *bins[64] = { 0 }, *s, *next, *carry, *prev = NULL;
	unsigned i;

	/* Bottom-up merge sort: bins[i] holds a sorted run of 2^i. */
	for (s = st->head; s != NULL; s = next) {
		next = s->next;
		s->next = NULL;
		carry = s;
		for (i = 0; i < 63 && bins[i] != NULL; i++) {
			carry = subject_merge(bins[i], carry);
			bins[i] = NULL;
		}
		bins[i] = carry;
	}
	carry = NULL;
	for (i = 0; i < 64; i++) {
		if (bins[i] != NULL)
			carry = subject_merge(bins[i], carry);
	}
	st->head = carry;
	for (s = carry; s != NULL; s = s->next) {
		s->prev = prev;
		prev = s;
	}
	st->tail = prev;
}
