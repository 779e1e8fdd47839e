/*
 * dnsbl_rmap.c - the ip4trie and ip6trie datasets as range maps (see
 * dnsbl_rmap.h for the shape, memory and cost).
 *
 * Keys are handled as unsigned __int128 while building (IPv4 in the low
 * 32 bits), so one sweep serves both families.
 */
#include <stdlib.h>
#include <string.h>

#include "dnsbl/dnsbl_rmap.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

typedef unsigned __int128 u128;

struct pfx {
	u128 lo, hi;
	uint32_t val;
	uint32_t line;
	uint32_t bits;
};

struct rmap {
	struct dnsbl_ds ds;
	bool v6;
	struct pfx *p;			/* load only */
	size_t np, capp;
	uint32_t *k4;			/* owned: IPv4 interval starts */
	u128 *k6;			/* owned: IPv6 interval starts */
	uint64_t *k64;			/* owned: their top halves, when every
					   prefix is /64 or shorter (k6 freed) */
	bool any_long;			/* a prefix longer than /64 */
	uint32_t *val;			/* owned: interval values */
	size_t nb, capb;
	uint32_t *idx;			/* owned: IPv4 /16 buckets, or NULL */
	size_t entries;
};

static struct dnsbl_ds *
rmap_create4(void)
{
	struct rmap *m = xcalloc(1, sizeof(*m));

	return m != NULL ? &m->ds : NULL;
}

static struct dnsbl_ds *
rmap_create6(void)
{
	struct rmap *m = xcalloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->v6 = true;
	return &m->ds;
}

static void
rmap_destroy(struct dnsbl_ds *ds)
{
	struct rmap *m = (struct rmap *)ds;

	xfree(m->p);
	xfree(m->k4);
	xfree(m->k6);
	xfree(m->k64);
	xfree(m->val);
	xfree(m->idx);
	xfree(m);
}

static u128
bytes_to_u128(const uint8_t a[16])
{
	u128 v = 0;
	unsigned i;

	for (i = 0; i < 16; i++)
		v = v << 8 | a[i];
	return v;
}

static void
u128_to_bytes(u128 v, uint8_t a[16])
{
	unsigned i;

	for (i = 16; i-- > 0;) {
		a[i] = (uint8_t)v;
		v >>= 8;
	}
}

static int
rmap_add(struct dnsbl_ds *ds, const struct rbldnsd_data_line *l, uint32_t val,
    unsigned line, const char **reason)
{
	struct rmap *m = (struct rmap *)ds;
	struct pfx *p;

	if (m->np >= DNSBL_RMAP_MAX) {
		*reason = "too many entries";
		return ERR_TOOBIG;
	}
	if (m->np == m->capp) {
		size_t nc = m->capp ? m->capp * 2 : 1024;
		struct pfx *n = xreallocarray(m->p, nc, sizeof(*n));

		if (n == NULL) {
			*reason = "out of memory";
			return ERR_NOMEM;
		}
		m->p = n;
		m->capp = nc;
	}
	p = &m->p[m->np];
	if (m->v6) {
		uint8_t a[16];
		unsigned bits;

		if (rbldnsd_data_parse_ip6(l->key, l->key_len, a, &bits, reason) != 0)
			return ERR_MALFORMED;
		p->lo = bytes_to_u128(a);
		p->hi = p->lo | (bits == 0 ? ~(u128)0 : (((u128)1 << (128 - bits)) - 1));
		if (bits == 128)
			p->hi = p->lo;
		p->bits = bits;
		if (bits > 64)
			m->any_long = true;
	} else {
		uint32_t lo, hi;
		int bits;

		if (rbldnsd_data_parse_ip4(l->key, l->key_len, false, &lo, &hi,
		    &bits, reason) != 0)
			return ERR_MALFORMED;
		p->lo = lo;
		p->hi = hi;
		p->bits = (uint32_t)bits;
	}
	p->val = val;
	p->line = line;
	m->np++;
	m->entries++;
	return 0;
}

static int
pfx_cmp(const void *a, const void *b)
{
	const struct pfx *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->bits != y->bits)
		return x->bits < y->bits ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int
out(struct rmap *m, u128 pos, uint32_t v)
{
	if (m->nb > 0 && (m->v6 ? m->k6[m->nb - 1] == pos : m->k4[m->nb - 1] == (uint32_t)pos)) {
		m->val[m->nb - 1] = v;
		if (m->nb > 1 && m->val[m->nb - 2] == v)
			m->nb--;
		return 0;
	}
	if (m->nb > 0 && m->val[m->nb - 1] == v)
		return 0;
	if (m->nb == m->capb) {
		size_t nc = m->capb ? m->capb * 2 : 1024;
		uint32_t *nv = xreallocarray(m->val, nc, sizeof(*nv));

		if (nv == NULL)
			return ERR_NOMEM;
		m->val = nv;
		if (m->v6) {
			u128 *nk = xreallocarray(m->k6, nc, sizeof(*nk));

			if (nk == NULL)
				return ERR_NOMEM;
			m->k6 = nk;
		} else {
			uint32_t *nk = xreallocarray(m->k4, nc, sizeof(*nk));

			if (nk == NULL)
				return ERR_NOMEM;
			m->k4 = nk;
		}
		m->capb = nc;
	}
	if (m->v6)
		m->k6[m->nb] = pos;
	else
		m->k4[m->nb] = (uint32_t)pos;
	m->val[m->nb++] = v;
	return 0;
}

/* find - index of the interval holding x (the map starts at 0). */
static inline size_t
find4(const struct rmap *m, uint32_t x)
{
	size_t lo = 0, hi = m->nb;

	if (m->idx != NULL) {
		lo = m->idx[x >> 16];
		hi = m->idx[(x >> 16) + 1];
		if (lo > 0)
			lo--;
	}
	/* The last start <= x within [lo, hi). */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->k4[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static inline size_t
find6(const struct rmap *m, u128 x)
{
	size_t lo = 0, hi = m->nb;

	if (m->k64 != NULL) {
		uint64_t top = (uint64_t)(x >> 64);

		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;

			if (m->k64[mid] <= top)
				lo = mid;
			else
				hi = mid;
		}
		return lo;
	}
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->k6[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* key6 - the start of IPv6 interval i, in either storage. */
static inline u128
key6(const struct rmap *m, size_t i)
{
	return m->k64 != NULL ? (u128)m->k64[i] << 64 : m->k6[i];
}

static void
rmap_lookup(const struct dnsbl_ds *ds, const struct dnsbl_key *key,
    int64_t now_s, struct dnsbl_hits *hits)
{
	const struct rmap *m = (const struct rmap *)ds;
	u128 plo, phi;
	unsigned bits;
	size_t i;

	(void)now_s;
	if (m->nb == 0)
		return;
	if (m->v6) {
		if (!(key->kinds & DNSBL_KEY_IP6))
			return;
		bits = key->ip6_bits;
		plo = bytes_to_u128(key->ip6);
		phi = plo | (bits == 0 ? ~(u128)0 :
		    bits == 128 ? 0 : (((u128)1 << (128 - bits)) - 1));
		i = find6(m, plo);
	} else {
		if (!(key->kinds & DNSBL_KEY_IP4))
			return;
		bits = key->ip4_bits;
		plo = key->ip4;
		phi = plo | (bits == 0 ? 0xffffffffu :
		    bits == 32 ? 0 : ((1u << (32 - bits)) - 1));
		i = find4(m, key->ip4);
	}
	if (bits == (m->v6 ? 128u : 32u)) {
		if (m->val[i] != DNSBL_EXCLUDED)
			dnsbl_hits_add_value(hits, ds, m->val[i]);
		return;
	}
	if (m->val[i] != DNSBL_EXCLUDED ||
	    (i + 1 < m->nb && (m->v6 ? key6(m, i + 1) : m->k4[i + 1]) <= phi))
		hits->below = true;
}

static int
rmap_finish(struct dnsbl_ds *ds, unsigned *line, const char **reason)
{
	struct rmap *m = (struct rmap *)ds;
	struct { u128 hi; uint32_t val; } st[130];
	u128 max = m->v6 ? ~(u128)0 : 0xffffffffu, invalid;
	unsigned depth = 0;
	size_t i;

	*reason = "out of memory";
	*line = 0;
	if (m->np > 1)
		qsort(m->p, m->np, sizeof(*m->p), pfx_cmp);
	if (out(m, 0, DNSBL_EXCLUDED) != 0)
		return ERR_NOMEM;
	for (i = 0; i <= m->np; i++) {
		const struct pfx *p = i < m->np ? &m->p[i] : NULL;

		if (p != NULL && i > 0 && m->p[i - 1].lo == p->lo &&
		    m->p[i - 1].bits == p->bits)
			continue;	/* the first of two identical prefixes wins */
		while (depth > 0 && (p == NULL || st[depth - 1].hi < p->lo)) {
			u128 e = st[--depth].hi;

			if (e != max && out(m, e + 1, depth > 0 ? st[depth - 1].val :
			    DNSBL_EXCLUDED) != 0)
				return ERR_NOMEM;
		}
		if (p == NULL)
			break;
		st[depth].hi = p->hi;
		st[depth].val = p->val;
		depth++;
		if (out(m, p->lo, p->val) != 0)
			return ERR_NOMEM;
	}
	/* Test point: 127.0.0.1 must not be listed (RFC 5782 5). */
	invalid = m->v6 ? (((u128)0xffff << 32) | DNSBL_INVALID_A) : DNSBL_INVALID_A;
	i = 0;
	if (m->v6)
		i = find6(m, invalid);
	else
		i = find4(m, DNSBL_INVALID_A);
	if (m->val[i] != DNSBL_EXCLUDED) {
		size_t j;

		for (j = 0; j < m->np; j++)
			if (m->p[j].lo <= invalid && m->p[j].hi >= invalid &&
			    m->p[j].val != DNSBL_EXCLUDED) {
				*line = m->p[j].line;
				break;
			}
		*reason = m->v6 ?
		    "lists ::ffff:7f00:1 (127.0.0.1), the RFC 5782 test point that must never be listed" :
		    "lists 127.0.0.1, the RFC 5782 test point that must never be listed";
		return ERR_INVAL;
	}
	xfree(m->p);
	m->p = NULL;
	m->np = m->capp = 0;
	/* Trim to size. */
	if (m->nb < m->capb) {
		void *n;

		if ((n = xreallocarray(m->val, m->nb, sizeof(*m->val))) != NULL)
			m->val = n;
		if (m->v6 && (n = xreallocarray(m->k6, m->nb, sizeof(*m->k6))) != NULL)
			m->k6 = n;
		if (!m->v6 && (n = xreallocarray(m->k4, m->nb, sizeof(*m->k4))) != NULL)
			m->k4 = n;
		m->capb = m->nb;
	}
	if (m->v6 && !m->any_long && m->nb > 0) {
		/* Every boundary is /64-aligned: keep 8 bytes of each key. */
		if ((m->k64 = xreallocarray(NULL, m->nb, sizeof(*m->k64))) == NULL)
			return ERR_NOMEM;
		for (i = 0; i < m->nb; i++)
			m->k64[i] = (uint64_t)(m->k6[i] >> 64);
		xfree(m->k6);
		m->k6 = NULL;
	}
	if (!m->v6 && m->nb > 4096) {
		size_t h, k;

		if ((m->idx = xreallocarray(NULL, 65537, sizeof(uint32_t))) == NULL)
			return ERR_NOMEM;
		for (h = 0, k = 0; h <= 65536; h++) {
			while (k < m->nb && (m->k4[k] >> 16) < h)
				k++;
			/* First start in bucket h; find4() steps back one. */
			m->idx[h] = (uint32_t)k;
		}
	}
	return 0;
}

static int
rmap_walk(const struct dnsbl_ds *ds, int64_t now_s, dnsbl_walk_fn fn, void *arg)
{
	const struct rmap *m = (const struct rmap *)ds;
	struct dnsbl_hits hits;
	size_t i;
	int rc;

	(void)now_s;
	for (i = 0; i < m->nb; i++) {
		if (m->val[i] == DNSBL_EXCLUDED)
			continue;
		hits.n = 0;
		dnsbl_hits_add_value(&hits, ds, m->val[i]);
		if (m->v6) {
			uint8_t lo[16], hi[16];

			u128_to_bytes(key6(m, i), lo);
			u128_to_bytes(i + 1 < m->nb ? key6(m, i + 1) - 1 : ~(u128)0, hi);
			rc = dnsbl_walk_ip6_range(lo, hi, hits.h, hits.n, fn, arg);
		} else
			rc = dnsbl_walk_ip4_range(m->k4[i], i + 1 < m->nb ?
			    m->k4[i + 1] - 1 : 0xffffffffu, hits.h, hits.n, fn, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static size_t
rmap_count(const struct dnsbl_ds *ds)
{
	return ((const struct rmap *)ds)->entries;
}

const struct dnsbl_ds_type dnsbl_ip4trie_type = {
	.name = "ip4trie",
	.keys = RBLDNSD_KEYS_IP4,
	.kinds = DNSBL_KEY_IP4,
	.create = rmap_create4,
	.add = rmap_add,
	.finish = rmap_finish,
	.lookup = rmap_lookup,
	.walk = rmap_walk,
	.count = rmap_count,
	.destroy = rmap_destroy,
	.default_hit = dnsbl_ds_default_hit,
};

const struct dnsbl_ds_type dnsbl_ip6trie_type = {
	.name = "ip6trie",
	.keys = RBLDNSD_KEYS_IP6,
	.kinds = DNSBL_KEY_IP6,
	.create = rmap_create6,
	.add = rmap_add,
	.finish = rmap_finish,
	.lookup = rmap_lookup,
	.walk = rmap_walk,
	.count = rmap_count,
	.destroy = rmap_destroy,
	.default_hit = dnsbl_ds_default_hit,
};
