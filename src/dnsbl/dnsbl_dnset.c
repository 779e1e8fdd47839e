/*
 * dnsbl_dnset.c - the dnset dataset (see dnsbl_dnset.h for the shape,
 * memory and cost).
 */
#include <stdlib.h>
#include <string.h>

#include "dnsbl/dnsbl_dnset.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

struct dent {
	uint32_t off;			/* reversed name in the pool */
	uint16_t len;
	uint32_t val;
	uint32_t line;
};

struct arr {
	struct dent *d;
	size_t n, cap;
};

struct dnset {
	struct dnsbl_ds ds;
	struct arr ex, wild;
	char *pool;
	size_t plen, pcap;
	size_t entries;
	unsigned invalid_line;
};

static struct dnsbl_ds *
dnset_create(void)
{
	struct dnset *s = xcalloc(1, sizeof(*s));

	return s != NULL ? &s->ds : NULL;
}

static void
dnset_destroy(struct dnsbl_ds *ds)
{
	struct dnset *s = (struct dnset *)ds;

	xfree(s->ex.d);
	xfree(s->wild.d);
	xfree(s->pool);
	xfree(s);
}

static int
arr_push(struct arr *a, uint32_t off, uint16_t len, uint32_t val, uint32_t line)
{
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 256;
		struct dent *nd = xreallocarray(a->d, nc, sizeof(*nd));

		if (nd == NULL)
			return ERR_NOMEM;
		a->d = nd;
		a->cap = nc;
	}
	a->d[a->n].off = off;
	a->d[a->n].len = len;
	a->d[a->n].val = val;
	a->d[a->n].line = line;
	a->n++;
	return 0;
}

static int
dnset_add(struct dnsbl_ds *ds, const struct rbldnsd_data_line *l, uint32_t val,
    unsigned line, const char **reason)
{
	struct dnset *s = (struct dnset *)ds;
	const char *k = l->key;
	size_t n = l->key_len, i, o, e;
	bool exact = true, wild = false;
	char rev[256];

	if (n >= 2 && k[0] == '*' && k[1] == '.') {
		k += 2;
		n -= 2;
		exact = false;
		wild = true;
	} else if (n >= 1 && k[0] == '.') {
		k++;
		n--;
		wild = true;
	}
	while (n > 0 && k[n - 1] == '.')
		n--;		/* a trailing dot: fully qualified */
	if (n == 0 || n > 253) {
		*reason = "invalid domain name";
		return ERR_MALFORMED;
	}
	/* Reverse the labels: "www.example.com" -> "com.example.www". */
	for (o = 0, e = n; e > 0;) {
		size_t b = e;

		while (b > 0 && k[b - 1] != '.')
			b--;
		if (b == e || e - b > 63) {
			*reason = "invalid domain name (empty or long label)";
			return ERR_MALFORMED;
		}
		if (o > 0)
			rev[o++] = '.';
		for (i = b; i < e; i++) {
			char c = k[i];

			rev[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
		e = b > 0 ? b - 1 : 0;
		if (b == 0)
			break;
	}
	if (exact && val != DNSBL_EXCLUDED && o == 7 &&
	    memcmp(rev, "invalid", 7) == 0 && s->invalid_line == 0)
		s->invalid_line = line;
	if (s->entries >= DNSBL_DNSET_MAX) {
		*reason = "too many entries";
		return ERR_TOOBIG;
	}
	if (s->plen + o > s->pcap) {
		size_t nc = (s->pcap + o) * 2 + 1024;
		char *np = xrealloc(s->pool, nc);

		if (np == NULL) {
			*reason = "out of memory";
			return ERR_NOMEM;
		}
		s->pool = np;
		s->pcap = nc;
	}
	memcpy(s->pool + s->plen, rev, o);
	if ((exact && arr_push(&s->ex, (uint32_t)s->plen, (uint16_t)o, val, line) != 0) ||
	    (wild && arr_push(&s->wild, (uint32_t)s->plen, (uint16_t)o, val, line) != 0)) {
		*reason = "out of memory";
		return ERR_NOMEM;
	}
	s->plen += o;
	s->entries++;
	return 0;
}

static int
keycmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

static int
dent_cmp(const void *x, const void *y, void *arg)
{
	const struct dent *a = x, *b = y;
	const char *pool = arg;
	int c = keycmp(pool + a->off, a->len, pool + b->off, b->len);

	if (c != 0)
		return c;
	return a->line < b->line ? -1 : a->line > b->line;
}

/* lower - first entry of a with key >= (k, kl). */
static size_t
lower(const struct dnset *s, const struct arr *a, const char *k, size_t kl)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (keycmp(s->pool + a->d[mid].off, a->d[mid].len, k, kl) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* match - -1 no entry, 0 excluded, 1 listed (hits added). */
static int
match(const struct dnset *s, const struct arr *a, const char *k, size_t kl,
    struct dnsbl_hits *hits)
{
	size_t i = lower(s, a, k, kl), j;

	if (i >= a->n || keycmp(s->pool + a->d[i].off, a->d[i].len, k, kl) != 0)
		return -1;
	for (j = i; j < a->n && a->d[j].len == kl &&
	    memcmp(s->pool + a->d[j].off, k, kl) == 0; j++)
		if (a->d[j].val == DNSBL_EXCLUDED)
			return 0;
	for (j = i; j < a->n && a->d[j].len == kl &&
	    memcmp(s->pool + a->d[j].off, k, kl) == 0; j++)
		dnsbl_hits_add_value(hits, &s->ds, a->d[j].val);
	return 1;
}

/* has_below - some entry of a sits strictly below the name k. */
static bool
has_below(const struct dnset *s, const struct arr *a, const char *k, size_t kl)
{
	char buf[260];
	size_t i;

	if (kl + 1 > sizeof(buf))
		return false;
	memcpy(buf, k, kl);
	buf[kl] = '.';
	i = lower(s, a, buf, kl + 1);
	return i < a->n && a->d[i].len > kl &&
	    memcmp(s->pool + a->d[i].off, buf, kl + 1) == 0;
}

static void
dnset_lookup(const struct dnsbl_ds *ds, const struct dnsbl_key *key,
    int64_t now_s, struct dnsbl_hits *hits)
{
	const struct dnset *s = (const struct dnset *)ds;
	const char *k = (const char *)key->rname;
	size_t kl = key->rname_len;

	(void)now_s;
	if (!(key->kinds & DNSBL_KEY_NAME) || kl == 0)
		return;
	if (match(s, &s->ex, k, kl, hits) >= 0)
		return;
	/* The closest wildcard strictly above. */
	while (kl > 0) {
		while (kl > 0 && k[kl - 1] != '.')
			kl--;
		if (kl == 0)
			break;
		kl--;
		if (match(s, &s->wild, k, kl, hits) >= 0)
			return;
	}
	if (has_below(s, &s->ex, k, key->rname_len) ||
	    has_below(s, &s->wild, k, key->rname_len))
		hits->below = true;
}

static int
dnset_finish(struct dnsbl_ds *ds, unsigned *line, const char **reason)
{
	struct dnset *s = (struct dnset *)ds;

	if (s->invalid_line != 0) {
		*line = s->invalid_line;
		*reason = "lists \"invalid\", the RFC 5782 test point that must never be listed";
		return ERR_INVAL;
	}
	if (s->ex.n > 1)
		qsort_r(s->ex.d, s->ex.n, sizeof(*s->ex.d), dent_cmp, s->pool);
	if (s->wild.n > 1)
		qsort_r(s->wild.d, s->wild.n, sizeof(*s->wild.d), dent_cmp, s->pool);
	return 0;
}

static int
walk_arr(const struct dnset *s, const struct arr *a, bool wild, dnsbl_walk_fn fn,
    void *arg)
{
	uint8_t rel[260];
	char text[256];
	size_t i;
	int rc;

	for (i = 0; i < a->n; i++) {
		const struct dent *d = &a->d[i];
		const char *k = s->pool + d->off;
		struct dnsbl_hits hits;
		size_t n = 0, t = 0, e = d->len;

		if (d->val == DNSBL_EXCLUDED)
			continue;
		if (!wild && d->len == 4 && memcmp(k, "test", 4) == 0)
			continue;	/* the zone emits the test point */
		if (wild) {
			rel[n++] = 1;
			rel[n++] = '*';
		}
		/* Reversed key back to wire order and text. */
		while (e > 0) {
			size_t b = e;

			while (b > 0 && k[b - 1] != '.')
				b--;
			rel[n++] = (uint8_t)(e - b);
			memcpy(rel + n, k + b, e - b);
			n += e - b;
			if (t > 0)
				text[t++] = '.';
			memcpy(text + t, k + b, e - b);
			t += e - b;
			e = b > 0 ? b - 1 : 0;
		}
		hits.n = 0;
		dnsbl_hits_add_value(&hits, &s->ds, d->val);
		if ((rc = fn(arg, rel, n, hits.h, hits.n, text, t)) != 0)
			return rc;
	}
	return 0;
}

static int
dnset_walk(const struct dnsbl_ds *ds, int64_t now_s, dnsbl_walk_fn fn, void *arg)
{
	const struct dnset *s = (const struct dnset *)ds;
	int rc;

	(void)now_s;
	if ((rc = walk_arr(s, &s->ex, false, fn, arg)) != 0)
		return rc;
	return walk_arr(s, &s->wild, true, fn, arg);
}

static size_t
dnset_count(const struct dnsbl_ds *ds)
{
	return ((const struct dnset *)ds)->entries;
}

const struct dnsbl_ds_type dnsbl_dnset_type = {
	.name = "dnset",
	.keys = RBLDNSD_KEYS_NAME,
	.kinds = DNSBL_KEY_NAME,
	.create = dnset_create,
	.add = dnset_add,
	.finish = dnset_finish,
	.lookup = dnset_lookup,
	.walk = dnset_walk,
	.count = dnset_count,
	.destroy = dnset_destroy,
	.default_hit = dnsbl_ds_default_hit,
};
