/*
 * dnsbl_detection.c - the run-time editable detection dataset (see
 * dnsbl_detection.h for the threading rules, shape, memory and cost).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "dnsbl/dnsbl_detection.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/htab.h"
#include "lib/xmalloc.h"

#define HASH_SEED 0x6a09e667f3bcc908ull

struct istr {				/* an interned TXT template */
	uint16_t len;
	char s[];
};

struct dent {
	struct ipprefix prefix;
	int64_t listed_s;
	int64_t expires_s;
	const struct istr *txt;		/* interned, or NULL: default */
};

struct dnsbl_detection {
	struct dnsbl_ds ds;		/* first: the vtable view */
	pthread_rwlock_t lock;
	struct htab tab;		/* struct dent * by prefix */
	struct htab strs;		/* struct istr * by text */
	uint32_t len_count[129];
	uint32_t a;
	const struct istr *txt;		/* default, or NULL */
	atomic_uint gen;
};

static uint64_t
prefix_hash(const struct ipprefix *p)
{
	return hash_bytes(p, sizeof(p->addr.bytes) + 1, HASH_SEED);
}

static bool
dent_eq(const void *item, const void *key)
{
	const struct dent *e = item;
	const struct ipprefix *p = key;

	return e->prefix.len == p->len &&
	    memcmp(e->prefix.addr.bytes, p->addr.bytes, 16) == 0;
}

struct skey {
	const char *s;
	size_t len;
};

static bool
istr_eq(const void *item, const void *key)
{
	const struct istr *i = item;
	const struct skey *k = key;

	return i->len == k->len && memcmp(i->s, k->s, k->len) == 0;
}

/* intern - the interned copy of s (write lock held or not yet shared). */
static const struct istr *
intern(struct dnsbl_detection *d, const char *s)
{
	struct skey k;
	struct istr *i;
	uint64_t h;

	k.s = s;
	k.len = strlen(s);
	if (k.len > RBLDNSD_DATA_TXT_MAX)
		k.len = RBLDNSD_DATA_TXT_MAX;
	h = hash_bytes(k.s, k.len, HASH_SEED);
	if ((i = htab_find(&d->strs, h, istr_eq, &k)) != NULL)
		return i;
	if ((i = xmalloc(sizeof(*i) + k.len + 1)) == NULL)
		return NULL;
	i->len = (uint16_t)k.len;
	memcpy(i->s, k.s, k.len);
	i->s[k.len] = '\0';
	if (htab_insert(&d->strs, h, i) != 0) {
		xfree(i);
		return NULL;
	}
	return i;
}

static void
det_lookup_prefix(const struct dnsbl_detection *d, struct ipprefix *p,
    unsigned minlen, int64_t now_s, struct dnsbl_hits *hits)
{
	struct ipaddr full = p->addr;
	unsigned len;

	for (len = 128; len + 1 > minlen; len--) {
		const struct dent *e;

		if (d->len_count[len] == 0) {
			if (len == 0)
				break;
			continue;
		}
		p->addr = full;
		ipaddr_mask(&p->addr, len);
		p->len = (uint8_t)len;
		e = htab_find(&d->tab, prefix_hash(p), dent_eq, p);
		if (e != NULL && (e->expires_s == 0 || e->expires_s > now_s)) {
			const struct istr *t = e->txt != NULL ? e->txt : d->txt;

			dnsbl_hits_add(hits, d->a, t != NULL ? t->s : NULL,
			    t != NULL ? t->len : 0, d->ds.ttl_s);
			return;
		}
		if (len == 0)
			break;
	}
}

static void
det_lookup(const struct dnsbl_ds *ds, const struct dnsbl_key *key, int64_t now_s,
    struct dnsbl_hits *hits)
{
	struct dnsbl_detection *d = (struct dnsbl_detection *)(uintptr_t)ds;
	struct ipprefix p;

	memset(&p, 0, sizeof(p));
	if ((key->kinds & DNSBL_KEY_IP4) && key->ip4_bits == 32) {
		p.addr.bytes[10] = p.addr.bytes[11] = 0xff;
		p.addr.bytes[12] = (uint8_t)(key->ip4 >> 24);
		p.addr.bytes[13] = (uint8_t)(key->ip4 >> 16);
		p.addr.bytes[14] = (uint8_t)(key->ip4 >> 8);
		p.addr.bytes[15] = (uint8_t)key->ip4;
		pthread_rwlock_rdlock(&d->lock);
		det_lookup_prefix(d, &p, 96, now_s, hits);
		pthread_rwlock_unlock(&d->lock);
	} else if ((key->kinds & DNSBL_KEY_IP6) && key->ip6_bits == 128) {
		memcpy(p.addr.bytes, key->ip6, 16);
		pthread_rwlock_rdlock(&d->lock);
		det_lookup_prefix(d, &p, 0, now_s, hits);
		pthread_rwlock_unlock(&d->lock);
	}
	/* Partial names: not tracked here (see doc/dnsbl.md). */
}

static void
det_default_hit(const struct dnsbl_ds *ds, struct dnsbl_hits *hits)
{
	struct dnsbl_detection *d = (struct dnsbl_detection *)(uintptr_t)ds;

	pthread_rwlock_rdlock(&d->lock);
	dnsbl_hits_add(hits, d->a, d->txt != NULL ? d->txt->s : NULL,
	    d->txt != NULL ? d->txt->len : 0, d->ds.ttl_s);
	pthread_rwlock_unlock(&d->lock);
}

struct snap {
	struct ipprefix prefix;
	const struct istr *txt;
};

static int
det_walk(const struct dnsbl_ds *ds, int64_t now_s, dnsbl_walk_fn fn, void *arg)
{
	struct dnsbl_detection *d = (struct dnsbl_detection *)(uintptr_t)ds;
	struct snap *v;
	struct dent *e;
	size_t n = 0, pos = 0, i;
	uint32_t a;
	const struct istr *dt;
	int rc = 0;

	/* Copy under the lock, emit without it (AXFR writes to a socket). */
	pthread_rwlock_rdlock(&d->lock);
	a = d->a;
	dt = d->txt;
	if ((v = xreallocarray(NULL, htab_count(&d->tab) + 1, sizeof(*v))) == NULL) {
		pthread_rwlock_unlock(&d->lock);
		return ERR_NOMEM;
	}
	while ((e = htab_next(&d->tab, &pos)) != NULL)
		if (e->expires_s == 0 || e->expires_s > now_s) {
			v[n].prefix = e->prefix;
			v[n].txt = e->txt != NULL ? e->txt : dt;
			n++;
		}
	pthread_rwlock_unlock(&d->lock);
	for (i = 0; i < n && rc == 0; i++) {
		struct dnsbl_hit h;
		struct ipaddr hi = v[i].prefix.addr;
		unsigned b;

		h.a = a;
		h.ttl_s = d->ds.ttl_s;
		h.txt = v[i].txt != NULL ? v[i].txt->s : NULL;
		h.txt_len = v[i].txt != NULL ? v[i].txt->len : 0;
		for (b = v[i].prefix.len; b < 128; b++)
			hi.bytes[b >> 3] |= (uint8_t)(0x80 >> (b & 7));
		if (ipaddr_is_v4(&v[i].prefix.addr) && v[i].prefix.len >= 96) {
			const uint8_t *l = v[i].prefix.addr.bytes + 12, *u = hi.bytes + 12;

			rc = dnsbl_walk_ip4_range(
			    (uint32_t)l[0] << 24 | (uint32_t)l[1] << 16 | (uint32_t)l[2] << 8 | l[3],
			    (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3],
			    &h, 1, fn, arg);
		} else
			rc = dnsbl_walk_ip6_range(v[i].prefix.addr.bytes, hi.bytes,
			    &h, 1, fn, arg);
	}
	xfree(v);
	return rc;
}

static size_t
det_count(const struct dnsbl_ds *ds)
{
	return dnsbl_detection_count((struct dnsbl_detection *)(uintptr_t)ds);
}

static void
det_destroy(struct dnsbl_ds *ds)
{
	(void)ds;	/* freed by dnsbl_detection_free(), never by a zone */
}

const struct dnsbl_ds_type dnsbl_detection_type = {
	.name = "detection",
	.keys = RBLDNSD_KEYS_IP6,
	.kinds = DNSBL_KEY_IP4 | DNSBL_KEY_IP6,
	.lookup = det_lookup,
	.walk = det_walk,
	.count = det_count,
	.destroy = det_destroy,
	.default_hit = det_default_hit,
};

struct dnsbl_detection *
dnsbl_detection_new(const char *name, uint32_t a, const char *txt, uint32_t ttl_s)
{
	struct dnsbl_detection *d = xcalloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->ds.type = &dnsbl_detection_type;
	d->ds.ttl_s = ttl_s;
	d->a = a;
	if (pthread_rwlock_init(&d->lock, NULL) != 0) {
		xfree(d);
		return NULL;
	}
	if (htab_init(&d->tab, 64) != 0 || htab_init(&d->strs, 16) != 0 ||
	    (d->ds.name = xstrdup(name)) == NULL ||
	    (txt != NULL && (d->txt = intern(d, txt)) == NULL)) {
		dnsbl_detection_free(d);
		return NULL;
	}
	atomic_init(&d->gen, 0);
	return d;
}

void
dnsbl_detection_free(struct dnsbl_detection *d)
{
	size_t pos = 0;
	void *item;

	if (d == NULL)
		return;
	while ((item = htab_next(&d->tab, &pos)) != NULL)
		xfree(item);
	pos = 0;
	while ((item = htab_next(&d->strs, &pos)) != NULL)
		xfree(item);
	htab_fini(&d->tab);
	htab_fini(&d->strs);
	pthread_rwlock_destroy(&d->lock);
	xfree(d->ds.name);
	xfree(d);
}

struct dnsbl_ds *
dnsbl_detection_ds(struct dnsbl_detection *d)
{
	return &d->ds;
}

int
dnsbl_detection_set_defaults(struct dnsbl_detection *d, uint32_t a,
    const char *txt, uint32_t ttl_s)
{
	const struct istr *t = NULL;
	int rc = 0;

	pthread_rwlock_wrlock(&d->lock);
	if (txt != NULL && (t = intern(d, txt)) == NULL)
		rc = ERR_NOMEM;
	else {
		d->a = a;
		d->txt = t;
		d->ds.ttl_s = ttl_s;
		atomic_fetch_add(&d->gen, 1);
	}
	pthread_rwlock_unlock(&d->lock);
	return rc;
}

static bool
prefix_valid(const struct ipprefix *p)
{
	struct ipaddr m = p->addr, inv;

	if (p->len > 128)
		return false;
	ipaddr_mask(&m, p->len);
	if (memcmp(&m, &p->addr, sizeof(m)) != 0)
		return false;
	memset(&inv, 0, sizeof(inv));
	inv.bytes[10] = inv.bytes[11] = 0xff;
	inv.bytes[12] = 127;
	inv.bytes[15] = 1;
	return !ipprefix_contains(p, &inv);
}

int
dnsbl_detection_list(struct dnsbl_detection *d, const struct ipprefix *prefix,
    int64_t expires_s, const char *txt, int64_t now_s)
{
	uint64_t h = prefix_hash(prefix);
	struct dent *e;
	const struct istr *t = NULL;
	int rc = 0;

	if (!prefix_valid(prefix))
		return ERR_INVAL;
	pthread_rwlock_wrlock(&d->lock);
	if (txt != NULL && (t = intern(d, txt)) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if ((e = htab_find(&d->tab, h, dent_eq, prefix)) == NULL) {
		if (htab_count(&d->tab) >= DNSBL_DETECTION_MAX) {
			rc = ERR_TOOBIG;
			goto out;
		}
		if ((e = xcalloc(1, sizeof(*e))) == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
		e->prefix = *prefix;
		if (htab_insert(&d->tab, h, e) != 0) {
			xfree(e);
			rc = ERR_NOMEM;
			goto out;
		}
		d->len_count[prefix->len]++;
	}
	e->listed_s = now_s;
	e->expires_s = expires_s;
	e->txt = t;
	atomic_fetch_add(&d->gen, 1);
out:
	pthread_rwlock_unlock(&d->lock);
	return rc;
}

int
dnsbl_detection_unlist(struct dnsbl_detection *d, const struct ipprefix *prefix)
{
	uint64_t h = prefix_hash(prefix);
	struct dent *e;
	int rc = ERR_NOENT;

	pthread_rwlock_wrlock(&d->lock);
	if ((e = htab_find(&d->tab, h, dent_eq, prefix)) != NULL) {
		htab_remove(&d->tab, h, e);
		d->len_count[e->prefix.len]--;
		xfree(e);
		atomic_fetch_add(&d->gen, 1);
		rc = 0;
	}
	pthread_rwlock_unlock(&d->lock);
	return rc;
}

static void
info_of(const struct dent *e, struct dnsbl_detection_info *out)
{
	out->prefix = e->prefix;
	out->listed_s = e->listed_s;
	out->expires_s = e->expires_s;
	out->txt = e->txt != NULL ? e->txt->s : NULL;
}

bool
dnsbl_detection_get(struct dnsbl_detection *d, const struct ipprefix *prefix,
    int64_t now_s, struct dnsbl_detection_info *out)
{
	const struct dent *e;
	bool found = false;

	pthread_rwlock_rdlock(&d->lock);
	e = htab_find(&d->tab, prefix_hash(prefix), dent_eq, prefix);
	if (e != NULL && (e->expires_s == 0 || e->expires_s > now_s)) {
		info_of(e, out);
		found = true;
	}
	pthread_rwlock_unlock(&d->lock);
	return found;
}

size_t
dnsbl_detection_expire(struct dnsbl_detection *d, int64_t now_s)
{
	struct dent *e;
	size_t pos, removed = 0;

	pthread_rwlock_wrlock(&d->lock);
	/* Remove one at a time: the table must not change while iterating. */
	for (;;) {
		struct dent *victim = NULL;

		pos = 0;
		while ((e = htab_next(&d->tab, &pos)) != NULL)
			if (e->expires_s != 0 && e->expires_s <= now_s) {
				victim = e;
				break;
			}
		if (victim == NULL)
			break;
		htab_remove(&d->tab, prefix_hash(&victim->prefix), victim);
		d->len_count[victim->prefix.len]--;
		xfree(victim);
		removed++;
	}
	if (removed > 0)
		atomic_fetch_add(&d->gen, 1);
	pthread_rwlock_unlock(&d->lock);
	return removed;
}

int
dnsbl_detection_foreach(struct dnsbl_detection *d, int64_t now_s,
    dnsbl_detection_fn fn, void *arg)
{
	struct dnsbl_detection_info info;
	const struct dent *e;
	size_t pos = 0;
	int rc = 0;

	pthread_rwlock_rdlock(&d->lock);
	while (rc == 0 && (e = htab_next(&d->tab, &pos)) != NULL)
		if (e->expires_s == 0 || e->expires_s > now_s) {
			info_of(e, &info);
			rc = fn(arg, &info);
		}
	pthread_rwlock_unlock(&d->lock);
	return rc;
}

size_t
dnsbl_detection_count(struct dnsbl_detection *d)
{
	size_t n;

	pthread_rwlock_rdlock(&d->lock);
	n = htab_count(&d->tab);
	pthread_rwlock_unlock(&d->lock);
	return n;
}

uint32_t
dnsbl_detection_gen(const struct dnsbl_detection *d)
{
	return atomic_load(&((struct dnsbl_detection *)(uintptr_t)d)->gen);
}
