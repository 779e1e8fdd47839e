/*
 * dnsbl_rmap.c - the ip4trie and ip6trie datasets as range maps (see
 * dnsbl_rmap.h for the shape, memory and cost).
 *
 * Loading appends each prefix to one flat array (no allocation per
 * entry), sorts it with a stable LSD radix sort that skips the digits
 * every key shares (none at all when the file is already in order), and
 * sweeps it once with a stack of open prefixes.  qsort() was 70 % of the
 * load of 200,000 CIDRs (measured with perf): an indirect comparison
 * and a 48-byte memmove per step.
 *
 * Lookup: a bucket index over the 16 (at most) address bits after the
 * prefix that every boundary shares, then a binary search inside one
 * bucket (a few entries).  Boundaries keep key and value side by side
 * (IPv6 up to /64: packed in 12 bytes), so the search and the value
 * share cache lines; each lookup costs about two cache misses (the
 * index and the bucket) instead of one per step of a binary search over
 * the whole map, and a third for a separate value array (perf).
 */
#include <stdlib.h>
#include <string.h>

#include "dnsbl/dnsbl_rmap.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

typedef unsigned __int128 u128;

#define IDX_MIN 64			/* boundaries before an index pays */
#define IDX_BITS_MAX 16

/* A prefix while loading: the address as two halves (IPv4: klo only). */
struct pfx {
	uint64_t khi, klo;
	uint32_t val;
	uint32_t line;
	uint8_t bits;
};

/* An IPv4 boundary: interval start and its value. */
struct ent4 {
	uint32_t k;
	uint32_t v;
};

/* An IPv6 boundary when every prefix is /64 or shorter: the top half of
 * the start and the value, packed to 12 bytes. */
struct ent64 {
	uint64_t k;
	uint32_t v;
} __attribute__((packed));

struct rmap {
	struct dnsbl_ds ds;
	bool v6;
	struct pfx *p;			/* load only */
	size_t np, capp;
	struct ent4 *e4;		/* owned: IPv4 boundaries */
	struct ent64 *e64;		/* owned: IPv6 boundaries when every
					   prefix is /64 or shorter, or NULL */
	u128 *k6;			/* owned: IPv6 interval starts otherwise */
	uint32_t *val;			/* owned: their values */
	bool any_long;			/* a prefix longer than /64 */
	size_t nb, capb;
	uint32_t *idx;			/* owned: bucket starts, or NULL */
	unsigned ishift, ibits;		/* shared prefix length, index bits */
	u128 region;			/* the shared prefix (left-aligned) */
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
	xfree(m->e4);
	xfree(m->k6);
	xfree(m->e64);
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

/* hostmask - the host bits of a /bits prefix in a width-bit family. */
static inline u128
hostmask(unsigned bits, unsigned width)
{
	if (bits >= width)
		return 0;
	return ~(u128)0 >> (128 - (width - bits));
}

static inline u128
pfx_lo(const struct pfx *p)
{
	return (u128)p->khi << 64 | p->klo;
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
		size_t nc = m->capp ? m->capp * 2 : 4096;
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
		unsigned bits, i;

		if (rbldnsd_data_parse_ip6(l->key, l->key_len, a, &bits, reason) != 0)
			return ERR_MALFORMED;
		p->khi = p->klo = 0;
		for (i = 0; i < 8; i++) {
			p->khi = p->khi << 8 | a[i];
			p->klo = p->klo << 8 | a[8 + i];
		}
		p->bits = (uint8_t)bits;
		if (bits > 64)
			m->any_long = true;
	} else {
		uint32_t lo, hi;
		int bits;

		if (rbldnsd_data_parse_ip4(l->key, l->key_len, false, &lo, &hi,
		    &bits, reason) != 0)
			return ERR_MALFORMED;
		p->khi = 0;
		p->klo = lo;
		p->bits = (uint8_t)bits;
	}
	p->val = val;
	p->line = line;
	m->np++;
	m->entries++;
	return 0;
}

/* pfx_less - the order of the sweep: address, then shorter prefix first. */
static inline bool
pfx_less(const struct pfx *a, const struct pfx *b)
{
	if (a->khi != b->khi)
		return a->khi < b->khi;
	if (a->klo != b->klo)
		return a->klo < b->klo;
	return a->bits < b->bits;
}

/* digit - byte d of the sort key (0: prefix length, then klo, khi). */
static inline unsigned
digit(const struct pfx *p, unsigned d)
{
	if (d == 0)
		return p->bits;
	if (d <= 8)
		return (unsigned)(p->klo >> (8 * (d - 1))) & 255;
	return (unsigned)(p->khi >> (8 * (d - 9))) & 255;
}

/*
 * pfx_sort - stable LSD radix sort by (address, length): equal keys keep
 * file order, so the first of two identical prefixes stays first.  One
 * pass counts every digit; digits that all keys share cost nothing.
 */
static int
pfx_sort(struct pfx *p, size_t n)
{
	static const unsigned nd = 17;
	uint32_t (*count)[256];
	struct pfx *tmp, *src = p, *dst;
	uint64_t or_lo = 0, or_hi = 0, x;
	bool sorted = true;
	size_t i;
	unsigned d;

	for (i = 0; i < n; i++) {
		or_lo |= p[i].klo;
		or_hi |= p[i].khi;
		if (i > 0 && pfx_less(&p[i], &p[i - 1]))
			sorted = false;
	}
	if (sorted)
		return 0;	/* already in order: the usual sorted file */
	if ((count = xcalloc(nd, sizeof(*count))) == NULL)
		return ERR_NOMEM;
	if ((tmp = xreallocarray(NULL, n, sizeof(*tmp))) == NULL) {
		xfree(count);
		return ERR_NOMEM;
	}
	/* One counting pass; a half that is zero everywhere (the upper one
	 * for IPv4, the lower one for prefixes up to /64) is not counted. */
	for (i = 0; i < n; i++) {
		count[0][p[i].bits]++;
		if (or_lo != 0)
			for (x = p[i].klo, d = 1; d <= 8; d++, x >>= 8)
				count[d][x & 255]++;
		if (or_hi != 0)
			for (x = p[i].khi, d = 9; d <= 16; d++, x >>= 8)
				count[d][x & 255]++;
	}
	dst = tmp;
	for (d = 0; d < nd; d++) {
		uint32_t sum = 0, c;
		unsigned b;

		if ((d >= 1 && d <= 8 && or_lo == 0) || (d >= 9 && or_hi == 0) ||
		    count[d][digit(&p[0], d)] == n)
			continue;	/* every key has this digit */
		for (b = 0; b < 256; b++) {
			c = count[d][b];
			count[d][b] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[d][digit(&src[i], d)]++] = src[i];
		dst = src;
		src = src == p ? tmp : p;
	}
	if (src != p)
		memcpy(p, src, n * sizeof(*p));
	xfree(tmp);
	xfree(count);
	return 0;
}

/* kat - boundary i as a left-aligned 128-bit key, in any storage. */
static inline u128
kat(const struct rmap *m, size_t i)
{
	if (!m->v6)
		return (u128)m->e4[i].k << 96;
	return m->e64 != NULL ? (u128)m->e64[i].k << 64 : m->k6[i];
}

static inline uint32_t
vat(const struct rmap *m, size_t i)
{
	if (!m->v6)
		return m->e4[i].v;
	return m->e64 != NULL ? m->e64[i].v : m->val[i];
}

/* out - append boundary (pos, v), merging equal neighbours. */
static void
out(struct rmap *m, u128 pos, uint32_t v)
{
	size_t n = m->nb;

	if (n > 0 && kat(m, n - 1) == pos) {
		if (!m->v6)
			m->e4[n - 1].v = v;
		else if (m->e64 != NULL)
			m->e64[n - 1].v = v;
		else
			m->val[n - 1] = v;
		if (n > 1 && vat(m, n - 2) == v)
			m->nb--;
		return;
	}
	if (n > 0 && vat(m, n - 1) == v)
		return;
	if (!m->v6) {
		m->e4[n].k = (uint32_t)(pos >> 96);
		m->e4[n].v = v;
	} else if (m->e64 != NULL) {
		m->e64[n].k = (uint64_t)(pos >> 64);
		m->e64[n].v = v;
	} else {
		m->k6[n] = pos;
		m->val[n] = v;
	}
	m->nb++;
}

/* find - index of the interval holding the left-aligned key x. */
static inline size_t
find(const struct rmap *m, u128 x)
{
	size_t lo = 0, hi = m->nb;

	if (m->idx != NULL) {
		uint32_t b;

		if (m->ishift > 0 && (x >> (128 - m->ishift)) != m->region)
			return x < kat(m, 1) ? 0 : m->nb - 1;
		b = (uint32_t)((x << m->ishift) >> (128 - m->ibits));
		lo = m->idx[b] - 1;
		hi = m->idx[b + 1];
	}
	/* The last start <= x within [lo, hi). */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (kat(m, mid) <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* find4 - find() for IPv4, in 32-bit arithmetic (the hot path). */
static inline size_t
find4(const struct rmap *m, uint32_t x)
{
	size_t lo = 0, hi = m->nb;

	if (m->idx != NULL) {
		uint32_t b;

		if (m->ishift > 0 &&
		    (x >> (32 - m->ishift)) != (uint32_t)(m->region >> 96))
			return x < m->e4[1].k ? 0 : m->nb - 1;
		b = (x << m->ishift) >> (32 - m->ibits);
		lo = m->idx[b] - 1;
		hi = m->idx[b + 1];
	}
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->e4[mid].k <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void
rmap_lookup(const struct dnsbl_ds *ds, const struct dnsbl_key *key,
    int64_t now_s, struct dnsbl_hits *hits)
{
	const struct rmap *m = (const struct rmap *)ds;
	u128 phi;
	unsigned bits;
	uint32_t v;
	size_t i;

	(void)now_s;
	if (m->nb == 0)
		return;
	if (m->v6) {
		u128 plo;

		if (!(key->kinds & DNSBL_KEY_IP6))
			return;
		bits = key->ip6_bits;
		plo = bytes_to_u128(key->ip6);
		phi = plo | hostmask(bits, 128);
		i = find(m, plo);
		v = vat(m, i);
		if (bits == 128) {
			if (v != DNSBL_EXCLUDED)
				dnsbl_hits_add_value(hits, ds, v);
			return;
		}
	} else {
		if (!(key->kinds & DNSBL_KEY_IP4))
			return;
		bits = key->ip4_bits;
		i = find4(m, key->ip4);
		v = m->e4[i].v;
		if (bits == 32) {
			if (v != DNSBL_EXCLUDED)
				dnsbl_hits_add_value(hits, ds, v);
			return;
		}
		phi = ((u128)key->ip4 | hostmask(bits, 32)) << 96;
	}
	/* A partial name: is anything listed at or below it? */
	if (v != DNSBL_EXCLUDED || (i + 1 < m->nb && kat(m, i + 1) <= phi))
		hits->below = true;
}

/* build_index - the bucket index over the bits after the shared prefix. */
static int
build_index(struct rmap *m)
{
	u128 first, last, x;
	unsigned c = 0, b;
	size_t k, nbk;

	if (m->nb < IDX_MIN)
		return 0;
	/* Boundary 0 is always the start of the space: index the others. */
	first = kat(m, 1);
	last = kat(m, m->nb - 1);
	for (x = first ^ last; c < 128 && !(x >> 127); x <<= 1)
		c++;
	m->ishift = c;
	m->region = c > 0 ? first >> (128 - c) : 0;
	for (m->ibits = 1; m->ibits < IDX_BITS_MAX &&
	    ((size_t)1 << (m->ibits + 1)) <= m->nb; m->ibits++)
		;
	if (c + m->ibits > (m->v6 ? 128u : 32u))
		return 0;	/* cannot happen with distinct keys; no index */
	nbk = (size_t)1 << m->ibits;
	if ((m->idx = xreallocarray(NULL, nbk + 1, sizeof(*m->idx))) == NULL)
		return ERR_NOMEM;
	for (b = 0, k = 1; b <= nbk; b++) {
		while (k < m->nb &&
		    (size_t)((kat(m, k) << c) >> (128 - m->ibits)) < b)
			k++;
		/* First boundary in bucket b; find() steps back one. */
		m->idx[b] = (uint32_t)k;
	}
	return 0;
}

static int
rmap_finish(struct dnsbl_ds *ds, unsigned *line, const char **reason)
{
	struct rmap *m = (struct rmap *)ds;
	struct { u128 hi; uint32_t val; } st[130];
	unsigned width = m->v6 ? 128 : 32, depth = 0;
	u128 max = hostmask(0, width), invalid;
	size_t i, cap;
	void *n;

	*reason = "out of memory";
	*line = 0;
	if (pfx_sort(m->p, m->np) != 0)
		return ERR_NOMEM;
	/* At most two boundaries per prefix, plus the start of the space. */
	cap = 2 * m->np + 1;
	if (!m->v6) {
		if ((m->e4 = xreallocarray(NULL, cap, sizeof(*m->e4))) == NULL)
			return ERR_NOMEM;
	} else if (!m->any_long) {
		/* Every boundary /64-aligned: keep 8 bytes of each key. */
		if ((m->e64 = xreallocarray(NULL, cap, sizeof(*m->e64))) == NULL)
			return ERR_NOMEM;
	} else {
		if ((m->val = xreallocarray(NULL, cap, sizeof(*m->val))) == NULL ||
		    (m->k6 = xreallocarray(NULL, cap, sizeof(*m->k6))) == NULL)
			return ERR_NOMEM;
	}
	m->capb = cap;
	out(m, 0, DNSBL_EXCLUDED);
	for (i = 0; i <= m->np; i++) {
		const struct pfx *p = i < m->np ? &m->p[i] : NULL;
		u128 lo = 0;

		if (p != NULL) {
			lo = pfx_lo(p);
			if (i > 0 && m->p[i - 1].khi == p->khi &&
			    m->p[i - 1].klo == p->klo && m->p[i - 1].bits == p->bits)
				continue;	/* the first of two identical prefixes wins */
		}
		while (depth > 0 && (p == NULL || st[depth - 1].hi < lo)) {
			u128 e = st[--depth].hi;

			if (e != max)
				out(m, (e + 1) << (128 - width),
				    depth > 0 ? st[depth - 1].val : DNSBL_EXCLUDED);
		}
		if (p == NULL)
			break;
		st[depth].hi = lo | hostmask(p->bits, width);
		st[depth].val = p->val;
		depth++;
		out(m, lo << (128 - width), p->val);
	}
	/* Test point: 127.0.0.1 must not be listed (RFC 5782 5). */
	invalid = m->v6 ? (((u128)0xffff << 32) | DNSBL_INVALID_A) : DNSBL_INVALID_A;
	i = find(m, invalid << (128 - width));
	if (vat(m, i) != DNSBL_EXCLUDED) {
		size_t j;

		for (j = 0; j < m->np; j++) {
			u128 lo = pfx_lo(&m->p[j]);

			if (lo <= invalid && m->p[j].val != DNSBL_EXCLUDED &&
			    (lo | hostmask(m->p[j].bits, width)) >= invalid) {
				*line = m->p[j].line;
				break;
			}
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
		if (m->e4 != NULL &&
		    (n = xreallocarray(m->e4, m->nb, sizeof(*m->e4))) != NULL)
			m->e4 = n;
		if (m->e64 != NULL &&
		    (n = xreallocarray(m->e64, m->nb, sizeof(*m->e64))) != NULL)
			m->e64 = n;
		if (m->val != NULL &&
		    (n = xreallocarray(m->val, m->nb, sizeof(*m->val))) != NULL)
			m->val = n;
		if (m->k6 != NULL &&
		    (n = xreallocarray(m->k6, m->nb, sizeof(*m->k6))) != NULL)
			m->k6 = n;
		m->capb = m->nb;
	}
	return build_index(m);
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
		if (vat(m, i) == DNSBL_EXCLUDED)
			continue;
		hits.n = 0;
		dnsbl_hits_add_value(&hits, ds, vat(m, i));
		if (m->v6) {
			uint8_t lo[16], hi[16];

			u128_to_bytes(kat(m, i), lo);
			u128_to_bytes(i + 1 < m->nb ? kat(m, i + 1) - 1 : ~(u128)0, hi);
			rc = dnsbl_walk_ip6_range(lo, hi, hits.h, hits.n, fn, arg);
		} else
			rc = dnsbl_walk_ip4_range(m->e4[i].k, i + 1 < m->nb ?
			    m->e4[i + 1].k - 1 : 0xffffffffu, hits.h, hits.n, fn, arg);
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
