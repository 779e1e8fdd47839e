/*
 * detect.c - the table of per-customer detection state (detect.h): one
 * allocation per customer with its key inline, pointers in an
 * open-addressing table (htab.h) under a seeded hash of the key, a
 * dirty array for engine_save(), an incremental sweep for expiry, and
 * the persisted form of a customer.  The model itself is in
 * detect_model.c.
 *
 * Persisted record (little-endian, after the engine's record header):
 *
 *   u8 version (1)    u64 open incident    i64 last use
 *   f32 S   u16 n   u16 restarts    u32 messages, recipients, outcomes
 *   u32 hour  u16 hour_msgs  u16 active_hours
 *   f32 x 7 baselines (base_msgs, rate_novel, rate_dom_novel,
 *                      rate_sender_new, rate_off, rate_unknown, base_rpm)
 *   u8 n, u8 pos and n x u16, for recipients, domains, senders, HELOs,
 *                      dead recipients
 *   u8 n, then n x (u32 network, u32 hour)
 *   u16 x 7 observations learned into each rate
 */
#include <math.h>
#include <string.h>

#include "engine/detect.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/xmalloc.h"

/*
 * Version 2 adds the sender domains' set and novelty rate and the
 * deferral rate (a version 1 record gets them empty, at their priors).
 */
#define DETECT_VERSION 2

struct detect_key {
	const char *key;
	size_t len;
};

static bool
detect_eq(const void *item, const void *key)
{
	const struct detect_cust *c = item;
	const struct detect_key *k = key;

	return c->klen == k->len && memcmp(c->key, k->key, k->len) == 0;
}

static bool
detect_eq_hash(const void *item, const void *key)
{
	const struct detect_cust *c = item;

	return c->hash == *(const uint64_t *)key;
}

int
detect_tab_init(struct detect_tab *t, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->seed = seed;
	return htab_init(&t->tab, 1024);
}

static void
detect_gone_free(struct detect_tab *t)
{
	struct detect_gone *g, *next;

	for (g = t->gone; g != NULL; g = next) {
		next = g->next;
		xfree(g);
	}
	t->gone = NULL;
}

void
detect_tab_fini(struct detect_tab *t)
{
	struct detect_cust *c;
	size_t pos = 0;

	while ((c = htab_next(&t->tab, &pos)) != NULL) {
		xfree(c->act);
		xfree(c);
	}
	detect_gone_free(t);
	xfree(t->dirty);
	htab_fini(&t->tab);
	memset(t, 0, sizeof(*t));
}

uint64_t
detect_hash(const struct detect_tab *t, const char *key, size_t len)
{
	return hash_bytes(key, len, t->seed);
}

struct detect_cust *
detect_find(const struct detect_tab *t, const char *key, size_t len,
    uint64_t hash)
{
	struct detect_key k = { key, len };

	return htab_find(&t->tab, hash, detect_eq, &k);
}

struct detect_cust *
detect_find_hash(const struct detect_tab *t, uint64_t hash)
{
	return htab_find(&t->tab, hash, detect_eq_hash, &hash);
}

/* The prior of a customer never seen: doc/detection.md. */
static void
detect_prior(struct detect_cust *c)
{
	c->base_msgs = 4.0f;
	c->rate_novel = 0.8f;
	c->rate_dom_novel = 0.5f;
	c->rate_sender_new = 0.1f;
	c->rate_sdom_new = 0.1f;
	c->rate_off = 0.05f;
	c->rate_unknown = 0.02f;
	c->rate_defer = 0.04f;
	c->base_rpm = 1.0f;
	c->dirty_idx = DETECT_CLEAN;
}

static struct detect_cust *
detect_alloc(const char *key, size_t len, uint64_t hash)
{
	struct detect_cust *c;

	if (len > DETECT_KEY_MAX ||
	    (c = xcalloc(1, sizeof(*c) + len + 1)) == NULL)
		return NULL;
	c->hash = hash;
	c->klen = (uint16_t)len;
	memcpy(c->key, key, len);
	c->key[len] = '\0';
	detect_prior(c);
	return c;
}

struct detect_cust *
detect_get(struct detect_tab *t, const char *key, size_t len, uint64_t hash,
    int64_t now_us)
{
	struct detect_cust *c;

	if ((c = detect_find(t, key, len, hash)) != NULL)
		return c;
	if ((c = detect_alloc(key, len, hash)) == NULL)
		return NULL;
	if (htab_insert(&t->tab, hash, c) != 0) {
		xfree(c);
		return NULL;
	}
	c->last_us = now_us;
	t->count++;
	return c;
}

void
detect_dirty(struct detect_tab *t, struct detect_cust *c)
{
	struct detect_cust **d;
	uint32_t cap;

	if (c->dirty_idx != DETECT_CLEAN || t->dirty_lost)
		return;
	if (t->n_dirty == t->cap_dirty) {
		cap = t->cap_dirty ? t->cap_dirty * 2 : 1024;
		if (t->cap_dirty >= UINT32_MAX / 4 ||
		    (d = xreallocarray(t->dirty, cap, sizeof(*d))) == NULL) {
			t->dirty_lost = true;
			return;
		}
		t->dirty = d;
		t->cap_dirty = cap;
	}
	c->dirty_idx = t->n_dirty;
	t->dirty[t->n_dirty++] = c;
}

void
detect_touch(struct detect_tab *t, struct detect_cust *c, int64_t now_us)
{
	if (now_us > c->last_us)
		c->last_us = now_us;
	detect_dirty(t, c);
}

void
detect_clean(struct detect_tab *t, struct detect_cust *c)
{
	if (c->dirty_idx != DETECT_CLEAN) {
		if (c->dirty_idx < t->n_dirty)
			t->dirty[c->dirty_idx] = NULL;
		c->dirty_idx = DETECT_CLEAN;
	}
	c->flags |= DETECT_F_SAVED;
}

void
detect_remove(struct detect_tab *t, struct detect_cust *c)
{
	struct detect_gone *g;

	if (c->dirty_idx != DETECT_CLEAN && c->dirty_idx < t->n_dirty)
		t->dirty[c->dirty_idx] = NULL;
	if ((c->flags & DETECT_F_SAVED) &&
	    (g = xmalloc(sizeof(*g) + c->klen + 1)) != NULL) {
		g->klen = c->klen;
		memcpy(g->key, c->key, c->klen + 1u);
		g->next = t->gone;
		t->gone = g;
	}
	htab_remove(&t->tab, c->hash, c);
	if (c->act != NULL)
		t->n_act--;
	xfree(c->act);
	xfree(c);
	t->count--;
}

void
detect_expire(struct detect_tab *t, int64_t before_us)
{
	struct detect_cust *drop[64], *c;
	size_t n = 0, i, pos = t->sweep, end;

	if (t->tab.slots == NULL)
		return;
	if (pos > t->tab.mask)
		pos = 0;
	end = pos + DETECT_SWEEP;
	while (pos < end && pos <= t->tab.mask && n < 64) {
		c = t->tab.slots[pos++].item;
		if (c != NULL && c->last_us < before_us && c->incident == 0)
			drop[n++] = c;
	}
	t->sweep = pos > t->tab.mask ? 0 : pos;
	for (i = 0; i < n; i++)
		detect_remove(t, drop[i]);
}

struct detect_act *
detect_act_get(struct detect_tab *t, struct detect_cust *c, int64_t now_us)
{
	if (c->act == NULL) {
		if ((c->act = xcalloc(1, sizeof(*c->act))) == NULL)
			return NULL;
		c->act->started_us = now_us;
		c->act->rate_minute = (uint32_t)(now_us / 60000000);
		t->n_act++;
	}
	return c->act;
}

void
detect_act_drop(struct detect_tab *t, struct detect_cust *c)
{
	if (c->act != NULL) {
		xfree(c->act);
		c->act = NULL;
		t->n_act--;
	}
}

uint16_t
detect_fp16(const char *p, size_t len, uint64_t seed)
{
	uint64_t h = hash_bytes_nocase(p, len, seed);
	uint16_t f = (uint16_t)(h ^ (h >> 16) ^ (h >> 32) ^ (h >> 48));

	return f ? f : 1;
}

uint32_t
detect_fp32(const void *p, size_t len, uint64_t seed)
{
	uint64_t h = hash_bytes(p, len, seed);
	uint32_t f = (uint32_t)(h ^ (h >> 32));

	return f ? f : 1;
}

static void
detect_put_f32(struct codec_out *o, float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	codec_put_u32(o, u);
}

static float
detect_get_f32(struct codec_in *in)
{
	uint32_t u = codec_get_u32(in);
	float f;

	memcpy(&f, &u, sizeof(f));
	return isfinite(f) ? f : 0.0f;
}

static void
detect_put_set(struct codec_out *o, const uint16_t *v, uint8_t n, uint8_t pos)
{
	uint8_t i;

	codec_put_u8(o, n);
	codec_put_u8(o, pos);
	for (i = 0; i < n; i++)
		codec_put_u16(o, v[i]);
}

static void
detect_get_set(struct codec_in *in, uint16_t *v, unsigned cap, uint8_t *n,
    uint8_t *pos)
{
	unsigned i, k = codec_get_u8(in), p = codec_get_u8(in);

	if (k > cap || p >= (cap ? cap : 1)) {
		in->bad = true;
		return;
	}
	for (i = 0; i < k; i++)
		v[i] = codec_get_u16(in);
	*n = (uint8_t)k;
	*pos = (uint8_t)p;
}

void
detect_encode(const struct detect_cust *c, struct codec_out *o)
{
	uint8_t i, nn = 0;

	codec_put_u8(o, DETECT_VERSION);
	codec_put_u64(o, c->incident, 8);
	codec_put_i64(o, c->last_us);
	detect_put_f32(o, c->sprt.llr);
	codec_put_u16(o, c->sprt.n);
	codec_put_u16(o, c->sprt.restarts);
	codec_put_u32(o, c->messages);
	codec_put_u32(o, c->recipients);
	codec_put_u32(o, c->outcomes);
	codec_put_u32(o, c->hour);
	codec_put_u16(o, c->hour_msgs);
	codec_put_u16(o, c->active_hours);
	detect_put_f32(o, c->base_msgs);
	detect_put_f32(o, c->rate_novel);
	detect_put_f32(o, c->rate_dom_novel);
	detect_put_f32(o, c->rate_sender_new);
	detect_put_f32(o, c->rate_off);
	detect_put_f32(o, c->rate_unknown);
	detect_put_f32(o, c->base_rpm);
	detect_put_set(o, c->rcpt_fp, c->rcpt_n, c->rcpt_pos);
	detect_put_set(o, c->dom_fp, c->dom_n, c->dom_pos);
	detect_put_set(o, c->sender_fp, c->sender_n, c->sender_pos);
	detect_put_set(o, c->helo_fp, c->helo_n, c->helo_pos);
	detect_put_set(o, c->dead_fp, c->dead_n, c->dead_pos);
	for (i = 0; i < DETECT_NETS; i++)
		nn += c->net_fp[i] != 0;
	codec_put_u8(o, nn);
	for (i = 0; i < DETECT_NETS; i++) {
		if (c->net_fp[i] == 0)
			continue;
		codec_put_u32(o, c->net_fp[i]);
		codec_put_u32(o, c->net_hour[i]);
	}
	for (i = 0; i < DETECT_RATES; i++)
		codec_put_u16(o, c->n_learned[i]);
	detect_put_f32(o, c->rate_defer);
	detect_put_f32(o, c->rate_sdom_new);
	detect_put_set(o, c->sdom_fp, c->sdom_n, c->sdom_pos);
}

int
detect_decode(struct detect_tab *t, const char *key, size_t len,
    struct codec_in *in, struct detect_cust **out)
{
	struct detect_cust *c, *old;
	uint64_t h = detect_hash(t, key, len);
	uint8_t version = codec_get_u8(in);
	unsigned i, nn;

	if (version != DETECT_VERSION && version != 1)
		return ERR_MALFORMED;
	if ((c = detect_alloc(key, len, h)) == NULL)
		return len > DETECT_KEY_MAX ? ERR_MALFORMED : ERR_NOMEM;
	c->incident = codec_get_u64(in, 8);
	c->last_us = codec_get_i64(in);
	c->sprt.llr = detect_get_f32(in);
	c->sprt.n = codec_get_u16(in);
	c->sprt.restarts = codec_get_u16(in);
	c->messages = codec_get_u32(in);
	c->recipients = codec_get_u32(in);
	c->outcomes = codec_get_u32(in);
	c->hour = codec_get_u32(in);
	c->hour_msgs = codec_get_u16(in);
	c->active_hours = codec_get_u16(in);
	c->base_msgs = detect_get_f32(in);
	c->rate_novel = detect_get_f32(in);
	c->rate_dom_novel = detect_get_f32(in);
	c->rate_sender_new = detect_get_f32(in);
	c->rate_off = detect_get_f32(in);
	c->rate_unknown = detect_get_f32(in);
	c->base_rpm = detect_get_f32(in);
	detect_get_set(in, c->rcpt_fp, DETECT_RCPT_FPS, &c->rcpt_n,
	    &c->rcpt_pos);
	detect_get_set(in, c->dom_fp, DETECT_DOM_FPS, &c->dom_n, &c->dom_pos);
	detect_get_set(in, c->sender_fp, DETECT_SENDERS, &c->sender_n,
	    &c->sender_pos);
	detect_get_set(in, c->helo_fp, DETECT_HELOS, &c->helo_n, &c->helo_pos);
	detect_get_set(in, c->dead_fp, DETECT_DEAD, &c->dead_n, &c->dead_pos);
	nn = codec_get_u8(in);
	if (nn > DETECT_NETS)
		in->bad = true;
	for (i = 0; i < nn && !in->bad; i++) {
		c->net_fp[i] = codec_get_u32(in);
		c->net_hour[i] = codec_get_u32(in);
	}
	for (i = 0; i < (version == 1 ? DETECT_R_SDOM : DETECT_RATES); i++)
		c->n_learned[i] = codec_get_u16(in);
	if (version == 1) {
		c->rate_defer = 0.04f;
		c->n_learned[DETECT_R_DEFER] = 0;
	} else {
		c->rate_defer = detect_get_f32(in);
		c->rate_sdom_new = detect_get_f32(in);
		detect_get_set(in, c->sdom_fp, DETECT_SENDERS, &c->sdom_n,
		    &c->sdom_pos);
	}
	if (in->bad || in->off != in->len) {
		xfree(c);
		return ERR_MALFORMED;
	}
	if ((old = detect_find(t, key, len, h)) != NULL) {
		old->flags &= (uint8_t)~DETECT_F_SAVED;
		detect_remove(t, old);
	}
	if (htab_insert(&t->tab, h, c) != 0) {
		xfree(c);
		return ERR_NOMEM;
	}
	t->count++;
	c->flags |= DETECT_F_SAVED;
	*out = c;
	return 0;
}
