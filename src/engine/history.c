/*
 * history.c - per-customer sending history in rings of minutes and
 * hours (history.h).
 *
 * Rings are indexed by absolute time (epoch minute / hour modulo the
 * ring), so reading never shifts anything: a slot belongs to the time
 * it holds when its tag (minute blocks) or the ring's last hour (hour
 * ring, whose skipped slots are zeroed on advance) says so.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/history.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/htab.h"
#include "lib/xmalloc.h"

#define HISTORY_KEY_MAX 256
#define HISTORY_BLOCKS 24
#define HISTORY_SEED 0x6869737431ull

struct hcust {
	uint64_t hash;
	struct hcust *prev, *next;	/* LRU: head oldest, tail newest */
	int64_t last_us;
	int64_t last_hour;		/* epoch hour of the newest hour slot */
	int64_t last_min;		/* epoch minute of the newest note */
	uint64_t prev_cnt[HISTORY__SERIES];
	bool has_prev;
	uint16_t *blk[HISTORY_BLOCKS];	/* owned: 60 x series counters */
	int64_t blk_hour[HISTORY_BLOCKS];
	uint16_t hours[HISTORY_HOURS][HISTORY__SERIES];
	uint16_t klen;
	char key[];
};

struct history {
	struct htab tab;
	struct hcust *head, *tail;
	size_t max;
};

struct hkey {
	const char *p;
	size_t len;
};

static bool
hcust_eq(const void *item, const void *key)
{
	const struct hcust *c = item;
	const struct hkey *k = key;

	return c->klen == k->len && memcmp(c->key, k->p, k->len) == 0;
}

struct history *
history_new(size_t max_customers)
{
	struct history *h = xcalloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->max = max_customers ? max_customers : HISTORY_CUSTOMERS_DEFAULT;
	if (htab_init(&h->tab, 64) != 0) {
		xfree(h);
		return NULL;
	}
	return h;
}

static void
hcust_free(struct hcust *c)
{
	size_t i;

	for (i = 0; i < HISTORY_BLOCKS; i++)
		xfree(c->blk[i]);
	xfree(c);
}

static void
lru_unlink(struct history *h, struct hcust *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		h->tail = c->prev;
	c->prev = c->next = NULL;
}

static void
lru_append(struct history *h, struct hcust *c)
{
	c->prev = h->tail;
	c->next = NULL;
	if (h->tail != NULL)
		h->tail->next = c;
	else
		h->head = c;
	h->tail = c;
}

static void
hcust_drop(struct history *h, struct hcust *c)
{
	lru_unlink(h, c);
	htab_remove(&h->tab, c->hash, c);
	hcust_free(c);
}

void
history_free(struct history *h)
{
	struct hcust *c, *next;

	if (h == NULL)
		return;
	for (c = h->head; c != NULL; c = next) {
		next = c->next;
		hcust_free(c);
	}
	htab_fini(&h->tab);
	xfree(h);
}

static const struct hcust *
history_find(const struct history *h, const char *key, size_t len)
{
	struct hkey k = { key, len };

	return htab_find(&h->tab, hash_bytes(key, len, HISTORY_SEED),
	    hcust_eq, &k);
}

/* The customer's entry, made (dropping the oldest when full) if new. */
static struct hcust *
history_get(struct history *h, const char *key, size_t len, int64_t now_us,
    int *rc)
{
	uint64_t hash = hash_bytes(key, len, HISTORY_SEED);
	struct hkey k = { key, len };
	struct hcust *c;
	size_t i;

	*rc = 0;
	if ((c = htab_find(&h->tab, hash, hcust_eq, &k)) != NULL)
		return c;
	if (len > HISTORY_KEY_MAX) {
		*rc = ERR_TOOBIG;
		return NULL;
	}
	if (htab_count(&h->tab) >= h->max && h->head != NULL)
		hcust_drop(h, h->head);
	if ((c = xcalloc(1, sizeof(*c) + len + 1)) == NULL ||
	    htab_insert(&h->tab, hash, c) != 0) {
		xfree(c);
		*rc = ERR_NOMEM;
		return NULL;
	}
	c->hash = hash;
	c->klen = (uint16_t)len;
	memcpy(c->key, key, len);
	c->key[len] = '\0';
	c->last_us = now_us;
	c->last_min = now_us / 60000000;
	c->last_hour = c->last_min / 60;
	for (i = 0; i < HISTORY_BLOCKS; i++)
		c->blk_hour[i] = -1;
	lru_append(h, c);
	return c;
}

static void
sat_add(uint16_t *p, uint32_t n)
{
	uint32_t v = (uint32_t)*p + n;

	*p = v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

static int
hcust_note(struct hcust *c, enum history_series s, uint32_t n, int64_t now_us)
{
	int64_t min = now_us / 60000000, hour, h;
	size_t b;

	if (min < c->last_min)
		min = c->last_min;	/* late: into the newest bucket */
	c->last_min = min;
	hour = min / 60;
	if (hour > c->last_hour) {
		for (h = c->last_hour + 1; h <= hour &&
		    h <= c->last_hour + HISTORY_HOURS; h++)
			memset(c->hours[h % HISTORY_HOURS], 0,
			    sizeof(c->hours[0]));
		c->last_hour = hour;
	}
	b = (size_t)(hour % HISTORY_BLOCKS);
	if (c->blk_hour[b] != hour) {
		if (c->blk[b] == NULL &&
		    (c->blk[b] = xmalloc(60 * HISTORY__SERIES * sizeof(uint16_t))) == NULL)
			return ERR_NOMEM;
		memset(c->blk[b], 0, 60 * HISTORY__SERIES * sizeof(uint16_t));
		c->blk_hour[b] = hour;
	}
	sat_add(&c->blk[b][(min % 60) * HISTORY__SERIES + s], n);
	sat_add(&c->hours[hour % HISTORY_HOURS][s], n);
	return 0;
}

static void
hcust_touch(struct history *h, struct hcust *c, int64_t now_us)
{
	if (now_us > c->last_us)
		c->last_us = now_us;
	if (h->tail != c) {
		lru_unlink(h, c);
		lru_append(h, c);
	}
}

int
history_note(struct history *h, const char *customer, size_t len,
    enum history_series s, uint32_t n, int64_t now_us)
{
	struct hcust *c;
	int rc;

	if ((unsigned)s >= HISTORY__SERIES)
		return ERR_INVAL;
	if ((c = history_get(h, customer, len, now_us, &rc)) == NULL)
		return rc;
	hcust_touch(h, c, now_us);
	return hcust_note(c, s, n, now_us);
}

int
history_sample(struct history *h, const char *customer, size_t len,
    const uint64_t cur[HISTORY__SERIES], int64_t now_us)
{
	struct hcust *c;
	uint64_t d;
	bool any = false;
	int s, rc;

	if ((c = history_get(h, customer, len, now_us, &rc)) == NULL)
		return rc;
	for (s = 0; s < HISTORY__SERIES; s++) {
		if (cur[s] == UINT64_MAX)
			continue;
		if (!c->has_prev || cur[s] < c->prev_cnt[s])
			d = cur[s];
		else
			d = cur[s] - c->prev_cnt[s];
		c->prev_cnt[s] = cur[s];
		if (d == 0)
			continue;
		any = true;
		if ((rc = hcust_note(c, s, d > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)d, now_us)) != 0)
			return rc;
	}
	c->has_prev = true;
	if (any)
		hcust_touch(h, c, now_us);
	return 0;
}

/* The minute counter of c for epoch minute min, 0 when not kept. */
static uint32_t
hcust_minute(const struct hcust *c, int64_t min, enum history_series s)
{
	int64_t hour = min / 60;
	size_t b = (size_t)(hour % HISTORY_BLOCKS);

	if (min < 0 || min > c->last_min || c->blk_hour[b] != hour ||
	    c->blk[b] == NULL)
		return 0;
	return c->blk[b][(min % 60) * HISTORY__SERIES + s];
}

static uint32_t
hcust_hour(const struct hcust *c, int64_t hour, enum history_series s)
{
	if (hour < 0 || hour > c->last_hour ||
	    hour <= c->last_hour - HISTORY_HOURS)
		return 0;
	return c->hours[hour % HISTORY_HOURS][s];
}

int
history_minutes(const struct history *h, const char *customer,
    enum history_series s, int64_t now_us, uint32_t *out)
{
	const struct hcust *c = history_find(h, customer, strlen(customer));
	int64_t now_min = now_us / 60000000;
	size_t i;

	memset(out, 0, HISTORY_MINUTES * sizeof(*out));
	if (c == NULL || (unsigned)s >= HISTORY__SERIES)
		return ERR_NOENT;
	for (i = 0; i < HISTORY_MINUTES; i++)
		out[i] = hcust_minute(c, now_min - (HISTORY_MINUTES - 1) +
		    (int64_t)i, s);
	return 0;
}

int
history_hours(const struct history *h, const char *customer,
    enum history_series s, int64_t now_us, uint32_t *out)
{
	const struct hcust *c = history_find(h, customer, strlen(customer));
	int64_t now_hour = now_us / 3600000000LL;
	size_t i;

	memset(out, 0, HISTORY_HOURS * sizeof(*out));
	if (c == NULL || (unsigned)s >= HISTORY__SERIES)
		return ERR_NOENT;
	for (i = 0; i < HISTORY_HOURS; i++)
		out[i] = hcust_hour(c, now_hour - (HISTORY_HOURS - 1) +
		    (int64_t)i, s);
	return 0;
}

uint64_t
history_recent(const struct history *h, const char *customer,
    enum history_series s, int64_t now_us, unsigned n_hours, uint32_t *out)
{
	const struct hcust *c = history_find(h, customer, strlen(customer));
	int64_t now_hour = now_us / 3600000000LL;
	uint64_t sum = 0;
	uint32_t v;
	unsigned i;

	if (n_hours < 1)
		n_hours = 1;
	if (n_hours > 24)
		n_hours = 24;
	for (i = 0; i < n_hours; i++) {
		v = c != NULL && (unsigned)s < HISTORY__SERIES ?
		    hcust_hour(c, now_hour - (int64_t)(n_hours - 1) + i, s) : 0;
		if (out != NULL)
			out[i] = v;
		sum += v;
	}
	return sum;
}

size_t
history_expire(struct history *h, int64_t before_us)
{
	size_t n = 0;

	while (h->head != NULL && h->head->last_us < before_us) {
		hcust_drop(h, h->head);
		n++;
	}
	return n;
}

size_t
history_count(const struct history *h)
{
	return htab_count(&h->tab);
}

const char *
history_series_name(enum history_series s)
{
	static const char *const names[HISTORY__SERIES] = {
		"messages", "recipients", "domains", "bounces"
	};

	return (unsigned)s < HISTORY__SERIES ? names[s] : "?";
}
