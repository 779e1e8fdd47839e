/*
 * dnsbl_ip4set.c - the ip4set dataset (see dnsbl_ip4set.h for the shape,
 * memory and cost).
 */
#include <string.h>

#include "dnsbl/dnsbl_ip4set.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

enum { L32, L24, L16, L8, NLEVELS };

static const uint32_t level_mask[NLEVELS] = {
	0xffffffffu, 0xffffff00u, 0xffff0000u, 0xff000000u
};

struct ent {
	uint32_t key;
	uint32_t val;
};

struct ip4set {
	struct dnsbl_ds ds;
	struct ent *e[NLEVELS];		/* owned, sorted by key (stable) */
	size_t n[NLEVELS], cap[NLEVELS];
	uint32_t *idx32;		/* owned: 65537 bucket starts, or NULL */
	size_t entries;			/* lines */
	unsigned invalid_line;		/* first line listing 127.0.0.1 */
};

static struct dnsbl_ds *
ip4set_create(void)
{
	struct ip4set *s = xcalloc(1, sizeof(*s));

	return s != NULL ? &s->ds : NULL;
}

static void
ip4set_destroy(struct dnsbl_ds *ds)
{
	struct ip4set *s = (struct ip4set *)ds;
	unsigned i;

	for (i = 0; i < NLEVELS; i++)
		xfree(s->e[i]);
	xfree(s->idx32);
	xfree(s);
}

static int
push(struct ip4set *s, unsigned lv, uint32_t key, uint32_t val)
{
	if (s->n[L32] + s->n[L24] + s->n[L16] + s->n[L8] >= DNSBL_IP4SET_MAX)
		return ERR_TOOBIG;
	if (s->n[lv] == s->cap[lv]) {
		size_t nc = s->cap[lv] ? s->cap[lv] * 2 : 1024;
		struct ent *ne = xreallocarray(s->e[lv], nc, sizeof(*ne));

		if (ne == NULL)
			return ERR_NOMEM;
		s->e[lv] = ne;
		s->cap[lv] = nc;
	}
	s->e[lv][s->n[lv]].key = key;
	s->e[lv][s->n[lv]].val = val;
	s->n[lv]++;
	return 0;
}

static int
ip4set_add(struct dnsbl_ds *ds, const struct rbldnsd_data_line *l, uint32_t val,
    unsigned line, const char **reason)
{
	struct ip4set *s = (struct ip4set *)ds;
	uint32_t lo, hi;
	uint64_t cur;
	int bits, rc;

	if (rbldnsd_data_parse_ip4(l->key, l->key_len, true, &lo, &hi, &bits,
	    reason) != 0)
		return ERR_MALFORMED;
	if (val != DNSBL_EXCLUDED && lo <= DNSBL_INVALID_A && hi >= DNSBL_INVALID_A &&
	    s->invalid_line == 0)
		s->invalid_line = line;
	s->entries++;
	for (cur = lo; cur <= hi;) {
		unsigned lv;

		for (lv = L8; lv > L32; lv--) {
			uint64_t size = (uint64_t)~level_mask[lv] + 1;

			if ((cur & (size - 1)) == 0 && cur + size - 1 <= hi)
				break;
		}
		if ((rc = push(s, lv, (uint32_t)cur, val)) != 0) {
			*reason = rc == ERR_TOOBIG ? "too many entries" : "out of memory";
			return rc;
		}
		cur += (uint64_t)~level_mask[lv] + 1;
	}
	return 0;
}

/* radix_sort - stable LSD radix sort of n entries by key. */
static int
radix_sort(struct ent *e, size_t n)
{
	struct ent *tmp, *src = e, *dst;
	size_t count[256], i;
	unsigned pass;

	if (n < 2)
		return 0;
	if ((tmp = xreallocarray(NULL, n, sizeof(*tmp))) == NULL)
		return ERR_NOMEM;
	dst = tmp;
	for (pass = 0; pass < 4; pass++) {
		unsigned sh = pass * 8;
		size_t sum = 0;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(src[i].key >> sh) & 255]++;
		if (count[(src[0].key >> sh) & 255] == n)
			continue;	/* all alike in this byte */
		for (i = 0; i < 256; i++) {
			size_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i].key >> sh) & 255]++] = src[i];
		struct ent *t = src;
		src = dst;
		dst = t;
	}
	if (src != e)
		memcpy(e, src, n * sizeof(*e));
	xfree(tmp);
	return 0;
}

/* lower - first index in e[lo, hi) with key >= k. */
static inline size_t
lower(const struct ent *e, size_t lo, size_t hi, uint32_t k)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e[mid].key < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static inline size_t
find_first(const struct ip4set *s, unsigned lv, uint32_t k)
{
	if (lv == L32 && s->idx32 != NULL)
		return lower(s->e[L32], s->idx32[k >> 16], s->idx32[(k >> 16) + 1], k);
	return lower(s->e[lv], 0, s->n[lv], k);
}

/* level_hits - the entries of level lv for key: -1 none, 0 excluded, 1 listed. */
static int
level_hits(const struct ip4set *s, unsigned lv, uint32_t k, struct dnsbl_hits *hits)
{
	const struct ent *e = s->e[lv];
	size_t i = find_first(s, lv, k), j;

	if (i >= s->n[lv] || e[i].key != k)
		return -1;
	for (j = i; j < s->n[lv] && e[j].key == k; j++)
		if (e[j].val == DNSBL_EXCLUDED)
			return 0;
	if (hits != NULL)
		for (j = i; j < s->n[lv] && e[j].key == k; j++)
			dnsbl_hits_add_value(hits, &s->ds, e[j].val);
	return 1;
}

static void
ip4set_lookup(const struct dnsbl_ds *ds, const struct dnsbl_key *key,
    int64_t now_s, struct dnsbl_hits *hits)
{
	const struct ip4set *s = (const struct ip4set *)ds;
	uint32_t pmask, plo, phi;
	unsigned lv;

	(void)now_s;
	if (!(key->kinds & DNSBL_KEY_IP4))
		return;
	if (key->ip4_bits == 32) {
		for (lv = L32; lv < NLEVELS; lv++)
			if (level_hits(s, lv, key->ip4 & level_mask[lv], hits) >= 0)
				return;
		return;
	}
	/* A partial name: is anything listed below it? */
	pmask = key->ip4_bits == 0 ? 0 : ~0u << (32 - key->ip4_bits);
	plo = key->ip4 & pmask;
	phi = plo | ~pmask;
	for (lv = L32; lv < NLEVELS; lv++) {
		size_t i, scanned;

		if (level_mask[lv] == pmask || (level_mask[lv] & ~pmask) != 0) {
			/* Blocks of this size lie inside the prefix. */
			i = lower(s->e[lv], 0, s->n[lv], plo);
			for (scanned = 0; i < s->n[lv] && s->e[lv][i].key <= phi; i++) {
				if (s->e[lv][i].val != DNSBL_EXCLUDED || ++scanned > 64) {
					hits->below = true;
					return;
				}
			}
		} else if (level_hits(s, lv, plo & level_mask[lv], NULL) > 0) {
			hits->below = true;	/* a coarser block covers it */
			return;
		}
	}
}

static int
ip4set_finish(struct dnsbl_ds *ds, unsigned *line, const char **reason)
{
	struct ip4set *s = (struct ip4set *)ds;
	struct dnsbl_hits hits;
	struct dnsbl_key key;
	unsigned lv;
	size_t i, o;

	for (lv = L32; lv < NLEVELS; lv++) {
		if (radix_sort(s->e[lv], s->n[lv]) != 0) {
			*reason = "out of memory";
			*line = 0;
			return ERR_NOMEM;
		}
		/* Drop exact duplicates (same block, same value, adjacent). */
		for (i = o = 0; i < s->n[lv]; i++)
			if (o == 0 || s->e[lv][o - 1].key != s->e[lv][i].key ||
			    s->e[lv][o - 1].val != s->e[lv][i].val)
				s->e[lv][o++] = s->e[lv][i];
		s->n[lv] = o;
		if (o > 0 && o < s->cap[lv]) {
			struct ent *ne = xreallocarray(s->e[lv], o, sizeof(*ne));

			if (ne != NULL) {
				s->e[lv] = ne;
				s->cap[lv] = o;
			}
		}
	}
	if (s->n[L32] > 4096) {
		size_t h;

		if ((s->idx32 = xreallocarray(NULL, 65537, sizeof(uint32_t))) == NULL) {
			*reason = "out of memory";
			*line = 0;
			return ERR_NOMEM;
		}
		for (h = 0, i = 0; h <= 65536; h++) {
			while (i < s->n[L32] && (s->e[L32][i].key >> 16) < h)
				i++;
			s->idx32[h] = (uint32_t)i;
		}
	}
	memset(&key, 0, sizeof(key));
	key.kinds = DNSBL_KEY_IP4;
	key.ip4 = DNSBL_INVALID_A;
	key.ip4_bits = 32;
	hits.n = 0;
	hits.below = false;
	ip4set_lookup(ds, &key, 0, &hits);
	if (hits.n > 0) {
		*line = s->invalid_line;
		*reason = "lists 127.0.0.1, the RFC 5782 test point that must never be listed";
		return ERR_INVAL;
	}
	return 0;
}

struct frame {
	uint64_t hi, cur;
	unsigned lv;
	size_t i, j;		/* the group's entries in e[lv] */
};

static int
emit(const struct ip4set *s, const struct frame *f, uint64_t lo, uint64_t hi,
    dnsbl_walk_fn fn, void *arg)
{
	struct dnsbl_hits hits;
	size_t k;

	if (lo > hi)
		return 0;
	hits.n = 0;
	for (k = f->i; k < f->j; k++) {
		if (s->e[f->lv][k].val == DNSBL_EXCLUDED)
			return 0;
		dnsbl_hits_add_value(&hits, &s->ds, s->e[f->lv][k].val);
	}
	return dnsbl_walk_ip4_range((uint32_t)lo, (uint32_t)hi, hits.h, hits.n,
	    fn, arg);
}

/*
 * ip4set_walk - the blocks of all levels, merged in address order (coarse
 * first), form nested intervals; a stack of at most four frames emits each
 * address range with the values of its finest covering block.
 */
static int
ip4set_walk(const struct dnsbl_ds *ds, int64_t now_s, dnsbl_walk_fn fn, void *arg)
{
	const struct ip4set *s = (const struct ip4set *)ds;
	size_t pos[NLEVELS] = { 0, 0, 0, 0 };
	struct frame st[NLEVELS];
	unsigned depth = 0;
	int rc;

	(void)now_s;
	for (;;) {
		unsigned lv, best = NLEVELS;
		uint32_t key = 0;
		struct frame g;

		for (lv = L8 + 1; lv-- > 0;)
			if (pos[lv] < s->n[lv] &&
			    (best == NLEVELS || s->e[lv][pos[lv]].key < key)) {
				best = lv;
				key = s->e[lv][pos[lv]].key;
			}
		while (depth > 0 && (best == NLEVELS || st[depth - 1].hi < key)) {
			struct frame *t = &st[depth - 1];

			if ((rc = emit(s, t, t->cur, t->hi, fn, arg)) != 0)
				return rc;
			depth--;
		}
		if (best == NLEVELS)
			return 0;
		g.lv = best;
		g.i = pos[best];
		for (g.j = g.i; g.j < s->n[best] && s->e[best][g.j].key == key; g.j++)
			;
		pos[best] = g.j;
		g.cur = key;
		g.hi = (uint64_t)key | ~level_mask[best];
		if (depth > 0) {
			struct frame *t = &st[depth - 1];

			if ((rc = emit(s, t, t->cur, (uint64_t)key - 1, fn, arg)) != 0)
				return rc;
			t->cur = g.hi + 1;
		}
		if (depth < NLEVELS)
			st[depth++] = g;
	}
}

static size_t
ip4set_count(const struct dnsbl_ds *ds)
{
	return ((const struct ip4set *)ds)->entries;
}

const struct dnsbl_ds_type dnsbl_ip4set_type = {
	.name = "ip4set",
	.keys = RBLDNSD_KEYS_IP4,
	.kinds = DNSBL_KEY_IP4,
	.create = ip4set_create,
	.add = ip4set_add,
	.finish = ip4set_finish,
	.lookup = ip4set_lookup,
	.walk = ip4set_walk,
	.count = ip4set_count,
	.destroy = ip4set_destroy,
	.default_hit = dnsbl_ds_default_hit,
};
