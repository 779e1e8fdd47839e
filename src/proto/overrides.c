/*
 * overrides.c - parse the per-key overrides map file (overrides.h).
 *
 * Hand-written because the format is a line-oriented Postfix-style map
 * that no library covers and it must hold every limit (line length, line
 * count, key length) with a line number in each error.
 *
 * Strings (keys, limit names) are copied into an arena of fixed chunks,
 * so their addresses never move while the entry and rate arrays grow;
 * the entries' rate pointers are fixed up once at the end.  The key
 * table maps a case-folded key to its entry index (stored as index + 1 in
 * the item pointer, since the entry array moves while it grows).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/dur.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/htab.h"
#include "lib/xmalloc.h"
#include "proto/overrides.h"

/* The error texts below spell the limits out; keep them in step. */
_Static_assert(OVERRIDES_LINES_MAX == 1000000, "update the line count text");
_Static_assert(OVERRIDES_LINE_MAX == 8192, "update the line length text");
_Static_assert(OVERRIDES_KEY_MAX == 256, "update the key length text");
_Static_assert(OVERRIDES_RATES_MAX == 64, "update the limits per key text");

#define OV_CHUNK (64u << 10)
#define OV_SEED 0x6f76657272696465ull

struct ov_chunk {
	struct ov_chunk *next;
	size_t used;
	char data[OV_CHUNK];
};

struct overrides {
	struct overrides_entry *entries;	/* owned, n used of cap */
	size_t n, cap;
	struct overrides_rate *rates;		/* owned, every entry's */
	size_t n_rates, cap_rates;
	struct ov_chunk *chunks;		/* owned string arena */
	struct htab keys;			/* folded key -> index + 1 */
};

struct ov_key {
	const struct overrides *ov;
	const char *folded;
	size_t len;
};

static unsigned char
ov_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static bool
ov_same_folded(const char *a, const char *folded, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (ov_lower((unsigned char)a[i]) != (unsigned char)folded[i])
			return false;
	}
	return true;
}

static bool
ov_key_eq(const void *item, const void *key)
{
	const struct ov_key *k = key;
	const struct overrides_entry *e = &k->ov->entries[(uintptr_t)item - 1];

	return e->key_len == k->len &&
	    ov_same_folded(e->key, k->folded, k->len);
}

/* Fold len bytes (at most OVERRIDES_KEY_MAX) into buf and hash them. */
static uint64_t
ov_fold_hash(const char *key, size_t len, char *buf)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char)ov_lower((unsigned char)key[i]);
	return hash_bytes(buf, len, OV_SEED);
}

static const char *
ov_strdup(struct overrides *ov, const char *s, size_t len)
{
	struct ov_chunk *c = ov->chunks;
	char *p;

	if (c == NULL || OV_CHUNK - c->used < len + 1) {
		if ((c = xmalloc(sizeof(*c))) == NULL)
			return NULL;
		c->used = 0;
		c->next = ov->chunks;
		ov->chunks = c;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

void
overrides_free(struct overrides *ov)
{
	struct ov_chunk *c, *next;

	if (ov == NULL)
		return;
	for (c = ov->chunks; c != NULL; c = next) {
		next = c->next;
		xfree(c);
	}
	xfree(ov->entries);
	xfree(ov->rates);
	htab_fini(&ov->keys);
	xfree(ov);
}

static int ov_fail(struct overrides_err *err, int line, int rc,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
ov_fail(struct overrides_err *err, int line, int rc, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
	return rc;
}

static bool
ov_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Add one LIMIT=RATE item of len bytes to the entry being built. */
static int
ov_add_rate(struct overrides *ov, struct overrides_entry *e, const char *w,
    size_t len, struct overrides_err *err)
{
	const char *eq = memchr(w, '=', len);
	struct overrides_rate *r;
	size_t nlen, i;
	int rc;

	if (eq == NULL)
		return ov_fail(err, e->line, ERR_MALFORMED,
		    "unknown word \"%.*s\"; want exempt or LIMIT=RATE",
		    (int)(len > 40 ? 40 : len), w);
	nlen = (size_t)(eq - w);
	if (nlen == 0)
		return ov_fail(err, e->line, ERR_MALFORMED,
		    "empty limit name in \"%.*s\"", (int)(len > 40 ? 40 : len),
		    w);
	for (i = 0; i < e->n_rates; i++) {
		r = &ov->rates[ov->n_rates - e->n_rates + i];
		if (strlen(r->limit) == nlen && memcmp(r->limit, w, nlen) == 0)
			return ov_fail(err, e->line, ERR_EXIST,
			    "limit %.*s given twice for this key",
			    (int)(nlen > 64 ? 64 : nlen), w);
	}
	if (e->n_rates >= OVERRIDES_RATES_MAX)
		return ov_fail(err, e->line, ERR_TOOBIG,
		    "more than 64 limits for one key");
	if (ov->n_rates == ov->cap_rates) {
		size_t cap = ov->cap_rates ? ov->cap_rates * 2 : 64;

		r = xreallocarray(ov->rates, cap, sizeof(*r));
		if (r == NULL)
			return ov_fail(err, e->line, ERR_NOMEM,
			    "out of memory");
		ov->rates = r;
		ov->cap_rates = cap;
	}
	r = &ov->rates[ov->n_rates];
	rc = dur_parse_rate(eq + 1, len - nlen - 1, &r->count, &r->period_ms);
	if (rc != 0)
		return ov_fail(err, e->line, ERR_MALFORMED,
		    "bad rate \"%.*s\" for limit %.*s; want COUNT/DURATION",
		    (int)(len - nlen - 1 > 40 ? 40 : len - nlen - 1), eq + 1,
		    (int)(nlen > 40 ? 40 : nlen), w);
	if ((r->limit = ov_strdup(ov, w, nlen)) == NULL)
		return ov_fail(err, e->line, ERR_NOMEM, "out of memory");
	ov->n_rates++;
	e->n_rates++;
	return 0;
}

/* Parse one line (no LF, no CR, no NUL) into a new entry. */
static int
ov_parse_line(struct overrides *ov, const char *p, size_t len, int line,
    struct overrides_err *err)
{
	char folded[OVERRIDES_KEY_MAX];
	struct overrides_entry *e;
	struct ov_key k;
	size_t i = 0, klen, first;
	uint64_t h;
	void *dup;
	int rc;

	while (i < len && ov_blank(p[i]))
		i++;
	if (i == len || p[i] == '#')
		return 0;
	first = i;
	while (i < len && !ov_blank(p[i]))
		i++;
	klen = i - first;
	if (klen > OVERRIDES_KEY_MAX)
		return ov_fail(err, line, ERR_TOOBIG,
		    "key longer than 256 bytes");
	h = ov_fold_hash(p + first, klen, folded);
	k.ov = ov;
	k.folded = folded;
	k.len = klen;
	if ((dup = htab_find(&ov->keys, h, ov_key_eq, &k)) != NULL) {
		return ov_fail(err, line, ERR_EXIST,
		    "key %.*s already given on line %d",
		    (int)(klen > 64 ? 64 : klen), p + first,
		    ov->entries[(uintptr_t)dup - 1].line);
	}
	if (ov->n == ov->cap) {
		size_t cap = ov->cap ? ov->cap * 2 : 64;

		e = xreallocarray(ov->entries, cap, sizeof(*e));
		if (e == NULL)
			return ov_fail(err, line, ERR_NOMEM, "out of memory");
		ov->entries = e;
		ov->cap = cap;
	}
	e = &ov->entries[ov->n];
	memset(e, 0, sizeof(*e));
	e->line = line;
	e->key_len = klen;
	if ((e->key = ov_strdup(ov, p + first, klen)) == NULL)
		return ov_fail(err, line, ERR_NOMEM, "out of memory");
	for (;;) {
		size_t w;

		while (i < len && (ov_blank(p[i]) || p[i] == ','))
			i++;
		if (i == len)
			break;
		for (w = i; i < len && !ov_blank(p[i]) && p[i] != ','; i++)
			;
		if (i - w == 6 && strncasecmp(p + w, "exempt", 6) == 0) {
			if (e->exempt || e->n_rates > 0)
				return ov_fail(err, line, ERR_MALFORMED,
				    "exempt goes alone, without limits");
			e->exempt = true;
			continue;
		}
		if (e->exempt)
			return ov_fail(err, line, ERR_MALFORMED,
			    "exempt goes alone, without limits");
		if ((rc = ov_add_rate(ov, e, p + w, i - w, err)) != 0)
			return rc;
	}
	if (!e->exempt && e->n_rates == 0)
		return ov_fail(err, line, ERR_MALFORMED,
		    "key %.*s has no value; want exempt or LIMIT=RATE",
		    (int)(klen > 64 ? 64 : klen), p + first);
	/* Store index + 1: the entry array may still move. */
	if (htab_insert(&ov->keys, h, (void *)(uintptr_t)(ov->n + 1)) != 0)
		return ov_fail(err, line, ERR_NOMEM, "out of memory");
	ov->n++;
	return 0;
}

int
overrides_parse(const char *text, size_t len, struct overrides **out,
    struct overrides_err *err)
{
	struct overrides *ov;
	size_t off = 0, i, r;
	int line = 0, rc;

	err->line = 0;
	err->reason[0] = '\0';
	if ((ov = xcalloc(1, sizeof(*ov))) == NULL ||
	    htab_init(&ov->keys, 64) != 0) {
		overrides_free(ov);
		return ov_fail(err, 0, ERR_NOMEM, "out of memory");
	}
	while (off < len) {
		const char *p = text + off, *nl;
		size_t ll;

		nl = memchr(p, '\n', len - off);
		ll = nl ? (size_t)(nl - p) : len - off;
		off += ll + (nl != NULL);
		if (++line > OVERRIDES_LINES_MAX) {
			rc = ov_fail(err, line, ERR_TOOBIG,
			    "more than 1000000 lines");
			goto fail;
		}
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (ll > OVERRIDES_LINE_MAX) {
			rc = ov_fail(err, line, ERR_TOOBIG,
			    "line longer than 8192 bytes");
			goto fail;
		}
		if (memchr(p, '\0', ll) != NULL) {
			rc = ov_fail(err, line, ERR_MALFORMED,
			    "NUL byte in line");
			goto fail;
		}
		if ((rc = ov_parse_line(ov, p, ll, line, err)) != 0)
			goto fail;
	}
	for (i = 0, r = 0; i < ov->n; i++) {
		ov->entries[i].rates = ov->entries[i].n_rates ?
		    ov->rates + r : NULL;
		r += ov->entries[i].n_rates;
	}
	*out = ov;
	return 0;
fail:
	overrides_free(ov);
	return rc;
}

size_t
overrides_count(const struct overrides *ov)
{
	return ov->n;
}

const struct overrides_entry *
overrides_entry_at(const struct overrides *ov, size_t i)
{
	return &ov->entries[i];
}

const struct overrides_entry *
overrides_find(const struct overrides *ov, const char *key, size_t len)
{
	char folded[OVERRIDES_KEY_MAX];
	struct ov_key k;
	void *item;

	if (ov == NULL || ov->n == 0 || len > OVERRIDES_KEY_MAX)
		return NULL;
	k.ov = ov;
	k.folded = folded;
	k.len = len;
	item = htab_find(&ov->keys, ov_fold_hash(key, len, folded), ov_key_eq,
	    &k);
	return item ? &ov->entries[(uintptr_t)item - 1] : NULL;
}

const struct overrides_rate *
overrides_rate_find(const struct overrides_entry *entry, const char *limit)
{
	size_t i;

	for (i = 0; i < entry->n_rates; i++) {
		if (strcmp(entry->rates[i].limit, limit) == 0)
			return &entry->rates[i];
	}
	return NULL;
}
