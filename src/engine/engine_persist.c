/*
 * engine_persist.c - limit state to and from the store (store.h):
 * engine_save(), engine_snapshot_iterate(), engine_restore().
 *
 * One record per tracked key.  Store key: "lim/" KIND "/" KEY, KIND as
 * spelled in the config (engine_key_tag()).  Value, little-endian:
 *
 *   u8  version (1)      u8  kind      u16 number of states
 *   i64 last use (us)
 *   per state:
 *     u8 name length, name        u8 count      u8 state kind
 *     u32 rate count              u64 rate period (ms)
 *     u32 attempts                u32 refused
 *     u32 body length, body (limit_encode(): window, bucket or set)
 *
 * A state is restored only into a limit with the same name, key, count,
 * rate and state kind, so a changed limit is never misread; the rest of
 * the record still restores.  A record with an unknown version or a bad
 * length is skipped with a warning, never half-read.
 *
 * Deletions: a key that expired after it was saved is written as a
 * deletion (an empty value) at the next save, before the changed records.
 *
 * Detection: "det/" CUSTOMER, the record of detect_encode() (detect.c:
 * versioned, skipped with a warning when unknown or damaged), and
 * "det!next": u8 version (1), u64 the next incident id.  Deletions as
 * above.
 */
#include <stdio.h>
#include <string.h>

#include "engine/codec.h"
#include "engine/engine_int.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define PERSIST_PREFIX "lim/"
#define PERSIST_PREFIX_LEN 4
#define PERSIST_VERSION 1
#define PERSIST_KEY_MAX (PERSIST_PREFIX_LEN + 16 + SUBJECT_KEY_MAX)

_Static_assert(PERSIST_KEY_MAX <= STORE_KEY_MAX, "store key too short");

static size_t
persist_key(const struct subject *s, char *buf)
{
	const char *tag = engine_key_tag(s->kind);
	size_t n = strlen(tag);

	memcpy(buf, PERSIST_PREFIX, PERSIST_PREFIX_LEN);
	memcpy(buf + PERSIST_PREFIX_LEN, tag, n);
	buf[PERSIST_PREFIX_LEN + n] = '/';
	memcpy(buf + PERSIST_PREFIX_LEN + n + 1, s->key, s->klen);
	return PERSIST_PREFIX_LEN + n + 1 + s->klen;
}

static void
persist_encode_into(const struct engine_rules *r, const struct subject *s,
    struct codec_out *o)
{
	const struct limit_state *ls;
	const struct conf_limit *lim;
	size_t at, body, nlen;
	uint16_t n = 0;

	for (ls = s->states; ls != NULL; ls = ls->next)
		n++;
	codec_put_u8(o, PERSIST_VERSION);
	codec_put_u8(o, s->kind);
	codec_put_u16(o, n);
	codec_put_i64(o, s->last_us);
	for (ls = s->states; ls != NULL; ls = ls->next) {
		lim = r->limits[ls->limit].conf;
		nlen = strlen(lim->name);	/* < ENGINE_RULE_MAX */
		codec_put_u8(o, (uint8_t)nlen);
		codec_put_bytes(o, lim->name, nlen);
		codec_put_u8(o, (uint8_t)lim->count);
		codec_put_u8(o, ls->kind);
		codec_put_u32(o, (uint32_t)lim->rate_count);
		codec_put_u64(o, lim->rate_period_ms, 8);
		codec_put_u32(o, ls->attempts);
		codec_put_u32(o, ls->over);
		at = o->len;
		codec_put_u32(o, 0);
		body = o->len;
		limit_encode(ls, o);
		if (!o->overflow) {
			struct codec_out patch = { o->buf + at, 4, 0, false };

			codec_put_u32(&patch, (uint32_t)(o->len - body));
		}
	}
}

/* Encode s into e->buf, growing it.  ERR_TOOBIG over STORE_VAL_MAX. */
static int
persist_encode(struct engine *e, const struct subject *s, size_t *len)
{
	uint8_t *buf;

	for (;;) {
		struct codec_out o = { e->buf, e->buf_cap, 0, false };

		persist_encode_into(e->rules, s, &o);
		if (!o.overflow) {
			*len = o.len;
			return 0;
		}
		if (o.len > STORE_VAL_MAX)
			return ERR_TOOBIG;
		if ((buf = xrealloc(e->buf, o.len)) == NULL)
			return ERR_NOMEM;
		e->buf = buf;
		e->buf_cap = o.len;
	}
}

static int
persist_put(struct engine *e, struct store *store, struct subject *s)
{
	char key[PERSIST_KEY_MAX];
	size_t klen = persist_key(s, key), vlen;
	int rc;

	rc = persist_encode(e, s, &vlen);
	if (rc == ERR_TOOBIG) {
		log_warn("engine: state of %.*s over %u bytes; not saved",
		    (int)klen, key, STORE_VAL_MAX);
		subject_clean(&e->subjects, s);
		return 0;
	}
	if (rc == 0)
		rc = store_put(store, key, klen, e->buf, vlen);
	if (rc == 0)
		subject_clean(&e->subjects, s);
	return rc;
}

int
engine_save(struct engine *e, struct store *store, bool all)
{
	struct subject_tab *st = &e->subjects;
	struct subject *s, *next;
	char key[PERSIST_KEY_MAX];
	uint32_t i;
	int rc;

	/* Deletions first: a key dropped and made again is put after. */
	for (s = st->gone; s != NULL; s = next) {
		next = s->next;
		rc = store_put(store, key, persist_key(s, key), NULL, 0);
		if (rc != 0)
			return rc;
		st->gone = next;
		xfree(s);
	}
	if (all || st->dirty_lost) {
		for (s = st->head; s != NULL; s = s->next) {
			if ((rc = persist_put(e, store, s)) != 0)
				return rc;
		}
		st->dirty_lost = false;
	} else {
		for (i = 0; i < st->n_dirty; i++) {
			if (st->dirty[i] != NULL &&
			    (rc = persist_put(e, store, st->dirty[i])) != 0)
				return rc;	/* the rest stays dirty */
		}
	}
	st->n_dirty = 0;
	return engine_detect_save(e, store, all);
}

int
engine_snapshot_iterate(void *ctx, struct store *store, store_emit_fn emit)
{
	struct engine *e = ctx;
	char key[PERSIST_KEY_MAX];
	struct subject *s;
	size_t vlen;
	int rc;

	for (s = e->subjects.head; s != NULL; s = s->next) {
		rc = persist_encode(e, s, &vlen);
		if (rc == ERR_TOOBIG)
			continue;
		if (rc == 0)
			rc = emit(store, key, persist_key(s, key), e->buf,
			    vlen);
		if (rc != 0)
			return rc;
	}
	return engine_detect_snapshot(e, store, emit);
}

/* The limit a stored state belongs to, or -1. */
static int
persist_match(const struct engine_rules *r, unsigned kind, const uint8_t *name,
    size_t nlen, unsigned count, unsigned skind, uint64_t rate_count,
    uint64_t period_ms)
{
	const struct engine_limit *el;
	size_t i;

	for (i = 0; i < r->n_limits; i++) {
		el = &r->limits[i];
		if ((unsigned)el->conf->key == kind &&
		    strlen(el->conf->name) == nlen &&
		    memcmp(el->conf->name, name, nlen) == 0 &&
		    (unsigned)el->conf->count == count &&
		    (unsigned)el->kind == skind &&
		    el->rate.count == rate_count &&
		    el->rate.period_ms == period_ms)
			return (int)i;
	}
	return -1;
}

/* Read the states of a record into s.  ERR_MALFORMED or ERR_NOMEM. */
static int
persist_states(struct engine *e, struct subject *s, struct codec_in *in,
    unsigned n)
{
	struct limit_state *ls;
	const uint8_t *name, *body;
	unsigned i, count, skind;
	uint32_t rate_count, attempts, over, blen;
	uint64_t period;
	size_t nlen;
	int li, rc;

	for (i = 0; i < n; i++) {
		nlen = codec_get_u8(in);
		name = codec_get_bytes(in, nlen);
		count = codec_get_u8(in);
		skind = codec_get_u8(in);
		rate_count = codec_get_u32(in);
		period = codec_get_u64(in, 8);
		attempts = codec_get_u32(in);
		over = codec_get_u32(in);
		blen = codec_get_u32(in);
		body = codec_get_bytes(in, blen);
		if (in->bad)
			return ERR_MALFORMED;
		li = persist_match(e->rules, s->kind, name, nlen, count, skind,
		    rate_count, period);
		if (li < 0 || subject_state(s, (uint16_t)li) != NULL)
			continue;	/* a limit since changed or removed */
		struct codec_in sub = { body, blen, 0, false };

		rc = limit_decode(&sub, (enum limit_kind)skind, (uint16_t)li,
		    LIMIT_DISTINCT_MAX + 1, &ls);
		if (rc == 0 && sub.off != blen) {
			limit_state_free(ls);
			rc = ERR_MALFORMED;
		}
		if (rc != 0)
			return rc;
		ls->attempts = attempts;
		ls->over = over;
		ls->next = s->states;
		s->states = ls;
	}
	return in->off == in->len ? 0 : ERR_MALFORMED;
}

static int
persist_record(void *ctx, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct engine *e = ctx;
	struct subject_tab *st = &e->subjects;
	const char *k = key, *tag, *slash, *sk;
	struct codec_in in = { val, vlen, 0, false };
	struct subject *s;
	unsigned kind, version, n;
	size_t sklen;
	int64_t last;
	uint64_t h;
	int rc;

	if ((rc = engine_detect_record(e, k, klen, val, vlen)) != 0)
		return rc < 0 ? rc : 0;
	if (klen <= PERSIST_PREFIX_LEN ||
	    memcmp(k, PERSIST_PREFIX, PERSIST_PREFIX_LEN) != 0)
		return 0;	/* not the engine's */
	tag = k + PERSIST_PREFIX_LEN;
	if ((slash = memchr(tag, '/', klen - PERSIST_PREFIX_LEN)) == NULL)
		return 0;
	for (kind = 0; kind < SUBJECT_KINDS; kind++) {
		const char *name = engine_key_tag(kind);

		if (strlen(name) == (size_t)(slash - tag) &&
		    memcmp(name, tag, (size_t)(slash - tag)) == 0)
			break;
	}
	sk = slash + 1;
	sklen = klen - (size_t)(sk - k);
	if (kind == SUBJECT_KINDS || sklen == 0 || sklen > SUBJECT_KEY_MAX) {
		log_warn("engine: state record %.*s: bad key; skipped",
		    (int)(klen > 80 ? 80 : klen), k);
		return 0;
	}
	h = subject_hash(st, kind, sk, sklen);
	if ((s = subject_find(st, kind, sk, sklen, h)) != NULL) {
		/* Replaced by this record, not deleted. */
		s->flags &= (uint8_t)~SUBJECT_SAVED;
		subject_remove(st, s);
	}
	if (vlen == 0)
		return 0;
	version = codec_get_u8(&in);
	if (version != PERSIST_VERSION) {
		log_warn("engine: state record %.*s: version %u unknown; "
		    "skipped", (int)klen, k, version);
		return 0;
	}
	if (codec_get_u8(&in) != kind) {
		log_warn("engine: state record %.*s: kind mismatch; skipped",
		    (int)klen, k);
		return 0;
	}
	n = codec_get_u16(&in);
	last = codec_get_i64(&in);
	if ((s = subject_add(st, kind, sk, sklen, h, last)) == NULL)
		return ERR_NOMEM;
	rc = in.bad ? ERR_MALFORMED : persist_states(e, s, &in, n);
	if (rc == ERR_MALFORMED)
		log_warn("engine: state record %.*s malformed; skipped",
		    (int)klen, k);
	if (rc != 0 || s->states == NULL) {
		subject_remove(st, s);
		return rc == ERR_NOMEM ? rc : 0;
	}
	s->flags |= SUBJECT_SAVED;
	return 0;
}

int
engine_restore(struct engine *e, struct store *store)
{
	int rc = store_load(store, persist_record, e);

	subject_sort(&e->subjects);
	return rc;
}

#define DET_PREFIX "det/"
#define DET_PREFIX_LEN 4
#define DET_NEXT "det!next"
#define DET_KEY_MAX (DET_PREFIX_LEN + DETECT_KEY_MAX)

_Static_assert(DET_KEY_MAX <= STORE_KEY_MAX, "store key too short");

static size_t
det_key(const char *key, size_t len, char *buf)
{
	memcpy(buf, DET_PREFIX, DET_PREFIX_LEN);
	memcpy(buf + DET_PREFIX_LEN, key, len);
	return DET_PREFIX_LEN + len;
}

/* The record of c into e->buf (a customer record is under 512 bytes). */
static int
det_encode(struct engine *e, const struct detect_cust *c, size_t *len)
{
	uint8_t *buf;

	if (e->buf_cap < 1024) {
		if ((buf = xrealloc(e->buf, 1024)) == NULL)
			return ERR_NOMEM;
		e->buf = buf;
		e->buf_cap = 1024;
	}
	struct codec_out o = { e->buf, e->buf_cap, 0, false };

	detect_encode(c, &o);
	if (o.overflow)
		return ERR_TOOBIG;
	*len = o.len;
	return 0;
}

static int
det_put(struct engine *e, struct store *store, struct detect_cust *c)
{
	char key[DET_KEY_MAX];
	size_t vlen;
	int rc;

	if ((rc = det_encode(e, c, &vlen)) != 0)
		return rc;
	rc = store_put(store, key, det_key(c->key, c->klen, key), e->buf,
	    vlen);
	if (rc == 0)
		detect_clean(&e->det.tab, c);
	return rc;
}

static int
det_put_next(struct engine *e, struct store *store, store_emit_fn emit)
{
	uint8_t v[9];
	struct codec_out o = { v, sizeof(v), 0, false };

	codec_put_u8(&o, 1);
	codec_put_u64(&o, e->det.incidents.next_id, 8);
	if (emit != NULL)
		return emit(store, DET_NEXT, sizeof(DET_NEXT) - 1, v, o.len);
	return store_put(store, DET_NEXT, sizeof(DET_NEXT) - 1, v, o.len);
}

int
engine_detect_save(struct engine *e, struct store *store, bool all)
{
	struct detect_tab *t = &e->det.tab;
	struct detect_gone *g;
	struct detect_cust *c;
	char key[DET_KEY_MAX];
	size_t pos = 0;
	uint32_t i;
	int rc;

	while ((g = t->gone) != NULL) {
		rc = store_put(store, key, det_key(g->key, g->klen, key),
		    NULL, 0);
		if (rc != 0)
			return rc;
		t->gone = g->next;
		xfree(g);
	}
	if (all || e->det.next_dirty) {
		if ((rc = det_put_next(e, store, NULL)) != 0)
			return rc;
		e->det.next_dirty = false;
	}
	if (all || t->dirty_lost) {
		while ((c = htab_next(&t->tab, &pos)) != NULL) {
			if ((rc = det_put(e, store, c)) != 0)
				return rc;
		}
		t->dirty_lost = false;
	} else {
		for (i = 0; i < t->n_dirty; i++) {
			if (t->dirty[i] != NULL &&
			    (rc = det_put(e, store, t->dirty[i])) != 0)
				return rc;	/* the rest stays dirty */
		}
	}
	t->n_dirty = 0;
	return 0;
}

int
engine_detect_snapshot(struct engine *e, struct store *store,
    store_emit_fn emit)
{
	struct detect_cust *c;
	char key[DET_KEY_MAX];
	size_t pos = 0, vlen;
	int rc;

	if (e->det.incidents.next_id > 1 &&
	    (rc = det_put_next(e, store, emit)) != 0)
		return rc;
	while ((c = htab_next(&e->det.tab.tab, &pos)) != NULL) {
		if ((rc = det_encode(e, c, &vlen)) != 0)
			return rc;
		rc = emit(store, key, det_key(c->key, c->klen, key), e->buf,
		    vlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
engine_detect_record(struct engine *e, const char *k, size_t klen,
    const void *val, size_t vlen)
{
	struct codec_in in = { val, vlen, 0, false };
	struct detect_cust *c;
	uint64_t next;
	int rc;

	if (klen == sizeof(DET_NEXT) - 1 && memcmp(k, DET_NEXT, klen) == 0) {
		if (vlen == 0)
			return 1;
		if (codec_get_u8(&in) != 1 ||
		    (next = codec_get_u64(&in, 8), in.bad) || next == 0) {
			log_warn("engine: record %s damaged; skipped",
			    DET_NEXT);
			return 1;
		}
		if (next > e->det.incidents.next_id)
			e->det.incidents.next_id = next;
		return 1;
	}
	if (klen <= DET_PREFIX_LEN || memcmp(k, DET_PREFIX, DET_PREFIX_LEN))
		return 0;
	k += DET_PREFIX_LEN;
	klen -= DET_PREFIX_LEN;
	if (vlen == 0) {
		c = detect_find(&e->det.tab, k, klen,
		    detect_hash(&e->det.tab, k, klen));
		if (c != NULL) {
			c->flags &= (uint8_t)~DETECT_F_SAVED;
			detect_remove(&e->det.tab, c);
		}
		return 1;
	}
	rc = detect_decode(&e->det.tab, k, klen, &in, &c);
	if (rc == ERR_MALFORMED)
		log_warn("engine: detection record of %.*s malformed or of "
		    "an unknown version; skipped", (int)(klen > 80 ? 80 : klen),
		    k);
	return rc == ERR_NOMEM ? rc : 1;
}
