/*
 * limit.c - sliding windows, token buckets and distinct sets (limit.h).
 *
 * Why 16 slots: a sliding log of every event would be exact but grows
 * with the limit (200 timestamps for 200/1h, 10,000 for a bytes limit is
 * meaningless); one counter per period lets 2N through across a period
 * boundary.  Sixteen counters of P/15 never let more than N through in any
 * window of length P and cost 64 bytes whatever N is.
 *
 * Times are microseconds since the epoch, from the caller; a clock that
 * steps back is treated as standing still (nothing expires, nothing is
 * refilled).
 */
#include <stdint.h>
#include <string.h>

#include "engine/limit.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

struct limit_state *
limit_state_new(enum limit_kind kind, uint16_t limit)
{
	struct limit_state *st;
	size_t size = offsetof(struct limit_state, u);

	switch (kind) {
	case LIMIT_WINDOW:
		size += sizeof(st->u.w);
		break;
	case LIMIT_BUCKET:
		size += sizeof(st->u.b);
		break;
	default:
		size += sizeof(st->u.d);
		break;
	}
	if ((st = xcalloc(1, size)) == NULL)
		return NULL;
	st->kind = (uint8_t)kind;
	st->limit = limit;
	if (kind == LIMIT_BUCKET)
		/* Full: clamped to the depth at first use. */
		st->u.b.lo = st->u.b.hi = UINT64_MAX;
	return st;
}

void
limit_state_free(struct limit_state *st)
{
	if (st == NULL)
		return;
	if (st->kind == LIMIT_DISTINCT)
		xfree(st->u.d.seen_us);
	xfree(st);
}

static int64_t
limit_period_us(const struct limit_rate *rate)
{
	return (int64_t)rate->period_ms * 1000;
}

int64_t
limit_slot_us(const struct limit_rate *rate)
{
	return (limit_period_us(rate) + LIMIT_SLOTS - 2) / (LIMIT_SLOTS - 1);
}

/* Slots elapsed since the current one began (0 if the clock went back). */
static int64_t
window_elapsed(const struct limit_state *st, const struct limit_rate *rate,
    int64_t now_us)
{
	if (now_us <= st->u.w.start_us)
		return 0;
	return (now_us - st->u.w.start_us) / limit_slot_us(rate);
}

static void
window_advance(struct limit_state *st, const struct limit_rate *rate,
    int64_t now_us)
{
	int64_t k = window_elapsed(st, rate, now_us), i;

	if (k == 0)
		return;
	if (k >= LIMIT_SLOTS)
		memset(st->u.w.slots, 0, sizeof(st->u.w.slots));
	else {
		for (i = 0; i < k; i++) {
			st->head = (uint8_t)((st->head + 1) % LIMIT_SLOTS);
			st->u.w.slots[st->head] = 0;
		}
	}
	st->u.w.start_us += k * limit_slot_us(rate);
}

static uint64_t
window_sum(const struct limit_state *st, int64_t skip)
{
	uint64_t sum = 0;
	int64_t j;

	/* The newest LIMIT_SLOTS - skip slots, counting back from head. */
	for (j = 0; j < LIMIT_SLOTS - skip; j++)
		sum += st->u.w.slots[(st->head + LIMIT_SLOTS - j) %
		    LIMIT_SLOTS];
	return sum;
}

typedef unsigned __int128 limit_u128;

static limit_u128
bucket_get(const struct limit_state *st)
{
	return ((limit_u128)st->u.b.hi << 64) | st->u.b.lo;
}

static void
bucket_put(struct limit_state *st, limit_u128 level)
{
	st->u.b.lo = (uint64_t)level;
	st->u.b.hi = (uint64_t)(level >> 64);
}

/* One token is P microseconds' worth of refill at N per microsecond. */
static limit_u128
bucket_token(const struct limit_rate *rate)
{
	return (limit_u128)(uint64_t)limit_period_us(rate);
}

static limit_u128
bucket_cap(const struct limit_rate *rate)
{
	return (limit_u128)rate->burst * bucket_token(rate);
}

/* The level of the bucket at now_us, refilled and clamped. */
static limit_u128
bucket_level(const struct limit_state *st, const struct limit_rate *rate,
    int64_t now_us)
{
	limit_u128 level = bucket_get(st), cap = bucket_cap(rate);

	if (now_us > st->u.b.last_us && level < cap)
		level += (limit_u128)(uint64_t)(now_us - st->u.b.last_us) *
		    rate->count;
	return level > cap ? cap : level;
}

static uint32_t *
distinct_fps(const struct limit_state *st)
{
	if (st->u.d.seen_us == NULL)
		return NULL;
	return (uint32_t *)(st->u.d.seen_us + st->u.d.cap);
}

static int
distinct_grow(struct limit_state *st, uint32_t cap)
{
	int64_t *seen;

	seen = xmalloc((size_t)cap * (sizeof(int64_t) + sizeof(uint32_t)));
	if (seen == NULL)
		return ERR_NOMEM;
	if (st->u.d.n > 0) {
		memcpy(seen, st->u.d.seen_us, st->u.d.n * sizeof(int64_t));
		memcpy(seen + cap, distinct_fps(st),
		    st->u.d.n * sizeof(uint32_t));
	}
	xfree(st->u.d.seen_us);
	st->u.d.seen_us = seen;
	st->u.d.cap = cap;
	return 0;
}

static int
distinct_check(struct limit_state *st, const struct limit_rate *rate,
    int64_t now_us, uint32_t fp, bool *over)
{
	int64_t since = now_us - limit_period_us(rate);
	uint32_t *fps = distinct_fps(st), i, live = 0;
	int64_t free_at = -1, oldest = -1;
	uint64_t want;

	for (i = 0; i < st->u.d.n; i++) {
		if (st->u.d.seen_us[i] <= since) {
			if (free_at < 0)
				free_at = i;
			continue;
		}
		if (fps[i] == fp) {
			st->pend = i;
			st->u.d.pend_found = true;
			*over = false;
			return 0;
		}
		live++;
		if (oldest < 0 || st->u.d.seen_us[i] < st->u.d.seen_us[oldest])
			oldest = i;
	}
	*over = live >= rate->count;
	st->u.d.pend_found = false;
	if (free_at >= 0) {
		st->pend = (uint32_t)free_at;
		return 0;
	}
	want = rate->count + 1;
	if (st->u.d.n == st->u.d.cap && st->u.d.cap < want) {
		uint64_t cap = st->u.d.cap < 4 ? 8 : (uint64_t)st->u.d.cap * 2;

		if (distinct_grow(st, (uint32_t)(cap < want ? cap : want)) != 0)
			return ERR_NOMEM;
	}
	/* All N + 1 pairs live (a warn limit counting past N): evict. */
	st->pend = st->u.d.n < st->u.d.cap ? st->u.d.n : (uint32_t)oldest;
	return 0;
}

int
limit_check(struct limit_state *st, const struct limit_rate *rate,
    int64_t now_us, uint64_t w, uint32_t fp, bool *over)
{
	limit_u128 level;
	uint64_t sum;

	switch (st->kind) {
	case LIMIT_WINDOW:
		window_advance(st, rate, now_us);
		sum = window_sum(st, 0);
		*over = w == 0 ? sum >= rate->count :
		    w > rate->count || sum > rate->count - w;
		return 0;
	case LIMIT_BUCKET:
		level = bucket_level(st, rate, now_us);
		bucket_put(st, level);
		if (now_us > st->u.b.last_us)
			st->u.b.last_us = now_us;
		/* w < 2^64 and a token < 2^49: the product fits. */
		*over = (w == 0 ? 1 : (limit_u128)w) * bucket_token(rate) >
		    level;
		return 0;
	default:
		return distinct_check(st, rate, now_us, fp, over);
	}
}

void
limit_commit(struct limit_state *st, const struct limit_rate *rate,
    int64_t now_us, uint64_t w, uint32_t fp)
{
	limit_u128 take, level;
	uint32_t *slot;

	switch (st->kind) {
	case LIMIT_WINDOW:
		slot = &st->u.w.slots[st->head];
		limit_count_add(slot, w);
		break;
	case LIMIT_BUCKET:
		take = (limit_u128)w * bucket_token(rate);
		level = bucket_get(st);
		bucket_put(st, take < level ? level - take : 0);
		break;
	default:
		st->u.d.seen_us[st->pend] = now_us;
		if (!st->u.d.pend_found) {
			distinct_fps(st)[st->pend] = fp;
			if (st->pend == st->u.d.n)
				st->u.d.n++;
		}
		break;
	}
}

uint64_t
limit_used(const struct limit_state *st, const struct limit_rate *rate,
    int64_t now_us)
{
	int64_t k, since;
	limit_u128 gone;
	uint32_t i, live = 0;

	switch (st->kind) {
	case LIMIT_WINDOW:
		k = window_elapsed(st, rate, now_us);
		return k >= LIMIT_SLOTS ? 0 : window_sum(st, k);
	case LIMIT_BUCKET:
		gone = bucket_cap(rate) - bucket_level(st, rate, now_us);
		gone = (gone + bucket_token(rate) - 1) / bucket_token(rate);
		return gone > UINT64_MAX ? UINT64_MAX : (uint64_t)gone;
	default:
		since = now_us - limit_period_us(rate);
		for (i = 0; i < st->u.d.n; i++)
			live += st->u.d.seen_us[i] > since;
		return live;
	}
}

int64_t
limit_idle_us(enum limit_kind kind, const struct limit_rate *rate)
{
	limit_u128 t;

	switch (kind) {
	case LIMIT_WINDOW:
		return LIMIT_SLOTS * limit_slot_us(rate);
	case LIMIT_BUCKET:
		/* From empty to full: B tokens at N per P. */
		t = (limit_u128)rate->burst *
		    (uint64_t)limit_period_us(rate);
		t = (t + rate->count - 1) / rate->count;
		return t > INT64_MAX ? INT64_MAX : (int64_t)t;
	default:
		return limit_period_us(rate);
	}
}

void
limit_encode(const struct limit_state *st, struct codec_out *out)
{
	uint32_t i;

	switch (st->kind) {
	case LIMIT_WINDOW:
		codec_put_i64(out, st->u.w.start_us);
		codec_put_u8(out, st->head);
		for (i = 0; i < LIMIT_SLOTS; i++)
			codec_put_u32(out, st->u.w.slots[i]);
		break;
	case LIMIT_BUCKET:
		codec_put_i64(out, st->u.b.last_us);
		codec_put_u64(out, st->u.b.lo, 8);
		codec_put_u64(out, st->u.b.hi, 8);
		break;
	default:
		codec_put_u32(out, st->u.d.n);
		for (i = 0; i < st->u.d.n; i++) {
			codec_put_u32(out, distinct_fps(st)[i]);
			codec_put_i64(out, st->u.d.seen_us[i]);
		}
		break;
	}
}

int
limit_decode(struct codec_in *in, enum limit_kind kind, uint16_t limit,
    uint32_t max_pairs, struct limit_state **out)
{
	struct limit_state *st = limit_state_new(kind, limit);
	uint32_t i, n, fp;
	int64_t seen;

	if (st == NULL)
		return ERR_NOMEM;
	switch (kind) {
	case LIMIT_WINDOW:
		st->u.w.start_us = codec_get_i64(in);
		st->head = codec_get_u8(in);
		for (i = 0; i < LIMIT_SLOTS; i++)
			st->u.w.slots[i] = codec_get_u32(in);
		if (st->head >= LIMIT_SLOTS)
			in->bad = true;
		break;
	case LIMIT_BUCKET:
		st->u.b.last_us = codec_get_i64(in);
		st->u.b.lo = codec_get_u64(in, 8);
		st->u.b.hi = codec_get_u64(in, 8);
		break;
	default:
		n = codec_get_u32(in);
		/* Check the length before allocating for a count from disk. */
		if (in->bad || n > (in->len - in->off) / 12) {
			in->bad = true;
			break;
		}
		if (n > 0 &&
		    distinct_grow(st, n < max_pairs ? n : max_pairs) != 0) {
			limit_state_free(st);
			return ERR_NOMEM;
		}
		for (i = 0; i < n; i++) {
			fp = codec_get_u32(in);
			seen = codec_get_i64(in);
			if (st->u.d.n < st->u.d.cap) {
				distinct_fps(st)[st->u.d.n] = fp;
				st->u.d.seen_us[st->u.d.n++] = seen;
			}
		}
		break;
	}
	if (in->bad) {
		limit_state_free(st);
		return ERR_MALFORMED;
	}
	*out = st;
	return 0;
}
