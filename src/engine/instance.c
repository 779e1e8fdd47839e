/*
 * instance.c - messages in flight: dedup records and sticky verdicts
 * (instance.h).
 */
#include <stdint.h>
#include <string.h>

#include "engine/instance.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/xmalloc.h"

int
instance_tab_init(struct instance_tab *it, size_t max, uint64_t seed)
{
	memset(it, 0, sizeof(*it));
	it->max = max ? max : 1;
	it->seed = seed;
	return htab_init(&it->tab, 256);
}

/* Free a record's heap answers, if any, and go back to the inline ones. */
static void
instance_answers_free(struct instance_tab *it, struct instance *in)
{
	if (in->ans != in->inl) {
		it->heap_bytes -= (size_t)in->cap_ans * sizeof(*in->ans);
		xfree(in->ans);
		in->ans = in->inl;
		in->cap_ans = INSTANCE_INLINE;
	}
}

static void
instance_release(struct instance_tab *it, struct instance *in)
{
	instance_answers_free(it, in);
	xfree(in);
}

void
instance_tab_fini(struct instance_tab *it)
{
	struct instance *in, *next;

	for (in = it->head; in != NULL; in = next) {
		next = in->next;
		instance_release(it, in);
	}
	for (in = it->free; in != NULL; in = next) {
		next = in->next;
		instance_release(it, in);
	}
	htab_fini(&it->tab);
	memset(it, 0, sizeof(*it));
}

uint64_t
instance_hash(const struct instance_tab *it, const char *inst, size_t ilen,
    const char *client, size_t clen)
{
	uint64_t h = hash_bytes(inst, ilen, it->seed);

	return hash_bytes(client, clen, h);
}

/* Every record with a matching 64-bit hash is the one (see the header). */
static bool
instance_eq(const void *item, const void *key)
{
	(void)item;
	(void)key;
	return true;
}

static void
instance_unlink(struct instance_tab *it, struct instance *in)
{
	if (in->prev != NULL)
		in->prev->next = in->next;
	else
		it->head = in->next;
	if (in->next != NULL)
		in->next->prev = in->prev;
	else
		it->tail = in->prev;
	in->prev = in->next = NULL;
}

static void
instance_append(struct instance_tab *it, struct instance *in)
{
	in->prev = it->tail;
	in->next = NULL;
	if (it->tail != NULL)
		it->tail->next = in;
	else
		it->head = in;
	it->tail = in;
}

/* Take in off the table and keep it for reuse (or free it). */
static void
instance_drop(struct instance_tab *it, struct instance *in)
{
	htab_remove(&it->tab, in->hash, in);
	instance_unlink(it, in);
	instance_answers_free(it, in);
	if (it->n_free >= INSTANCE_FREE_MAX) {
		xfree(in);
		return;
	}
	in->next = it->free;
	it->free = in;
	it->n_free++;
}

struct instance *
instance_get(struct instance_tab *it, uint64_t hash, int64_t now_us,
    bool *created)
{
	struct instance *in = htab_find(&it->tab, hash, instance_eq, NULL);

	*created = false;
	if (in != NULL) {
		/* As subject_touch(): move only when the second changes. */
		if (now_us / INSTANCE_GRAIN_US !=
		    in->last_us / INSTANCE_GRAIN_US && it->tail != in) {
			instance_unlink(it, in);
			instance_append(it, in);
		}
		if (now_us > in->last_us)
			in->last_us = now_us;
		return in;
	}
	if (htab_count(&it->tab) >= it->max && it->head != NULL)
		instance_drop(it, it->head);
	if (htab_reserve(&it->tab, 1) != 0)
		return NULL;
	if (it->free != NULL) {
		in = it->free;
		it->free = in->next;
		it->n_free--;
	} else if ((in = xmalloc(sizeof(*in))) == NULL)
		return NULL;
	memset(in, 0, sizeof(*in));
	in->hash = hash;
	in->last_us = now_us;
	in->sticky_limit = INSTANCE_NO_LIMIT;
	in->ans = in->inl;
	in->cap_ans = INSTANCE_INLINE;
	htab_insert(&it->tab, hash, in);	/* reserved: cannot fail */
	instance_append(it, in);
	*created = true;
	return in;
}

const struct instance_answer *
instance_answer_find(const struct instance *in, uint8_t state, uint64_t rcpt_fp)
{
	uint16_t i;

	for (i = 0; i < in->n_ans; i++) {
		if (in->ans[i].state == state && in->ans[i].rcpt_fp == rcpt_fp)
			return &in->ans[i];
	}
	return NULL;
}

int
instance_answer_reserve(struct instance_tab *it, struct instance *in)
{
	struct instance_answer *a;
	size_t cap, old;

	if (in->n_ans < in->cap_ans)
		return 0;
	if (in->cap_ans >= INSTANCE_ANSWERS_MAX)
		return ERR_TOOBIG;
	cap = (size_t)in->cap_ans * 4;
	if (cap > INSTANCE_ANSWERS_MAX)
		cap = INSTANCE_ANSWERS_MAX;
	old = in->ans == in->inl ? 0 : (size_t)in->cap_ans * sizeof(*a);
	if (it->heap_bytes - old + cap * sizeof(*a) > INSTANCE_HEAP_MAX)
		return ERR_TOOBIG;
	if (in->ans == in->inl) {
		if ((a = xreallocarray(NULL, cap, sizeof(*a))) == NULL)
			return ERR_NOMEM;
		memcpy(a, in->inl, sizeof(in->inl));
	} else if ((a = xreallocarray(in->ans, cap, sizeof(*a))) == NULL)
		return ERR_NOMEM;
	it->heap_bytes += cap * sizeof(*a) - old;
	in->ans = a;
	in->cap_ans = (uint16_t)cap;
	return 0;
}

void
instance_answer_add(struct instance *in, uint8_t state, uint64_t rcpt_fp,
    uint8_t act, uint16_t limit)
{
	struct instance_answer *a = &in->ans[in->n_ans++];

	a->rcpt_fp = rcpt_fp;
	a->state = state;
	a->act = act;
	a->limit = limit;
}

void
instance_expire(struct instance_tab *it, int64_t before_us)
{
	while (it->head != NULL && it->head->last_us < before_us)
		instance_drop(it, it->head);
}

void
instance_remap(struct instance_tab *it, const int32_t *map, size_t n_map)
{
	struct instance *in;
	uint16_t i, j;

	for (in = it->head; in != NULL; in = in->next) {
		uint16_t sl = in->sticky_limit;

		if (in->sticky_act != 0) {
			if (sl >= n_map || map[sl] < 0) {
				in->sticky_act = 0;
				in->sticky_limit = INSTANCE_NO_LIMIT;
			} else
				in->sticky_limit = (uint16_t)map[sl];
		}
		for (i = 0, j = 0; i < in->n_ans; i++) {
			struct instance_answer a = in->ans[i];

			if (a.limit != INSTANCE_NO_LIMIT) {
				if (a.limit >= n_map || map[a.limit] < 0)
					continue;
				a.limit = (uint16_t)map[a.limit];
			}
			in->ans[j++] = a;
		}
		in->n_ans = j;
	}
}

size_t
instance_count(const struct instance_tab *it)
{
	return htab_count(&it->tab);
}
