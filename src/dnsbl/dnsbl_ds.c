/*
 * dnsbl_ds.c - the dataset plug-in registry, the shared value table, the
 * rbldnsd data-file loader and the block walk used by AXFR (see
 * dnsbl_ds.h).
 *
 * The loader maps the file (or inflates it when gzip'ed), reads it line
 * by line with proto/rbldnsd_data, keeps the scope rbldnsd keeps (the
 * current ":A:TXT" default, $0-$9, $=, $TTL, the first $SOA and $NS) and
 * hands every entry to the plug-in's add() with its value index already
 * resolved, so plug-ins store 4 bytes per value.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnsbl/dnsbl_dnset.h"
#include "dnsbl/dnsbl_ds.h"
#include "dnsbl/dnsbl_ip4set.h"
#include "dnsbl/dnsbl_rmap.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/xmalloc.h"

const struct dnsbl_ds_type *
dnsbl_ds_type_find(const char *name)
{
	static const struct dnsbl_ds_type *const types[] = {
		&dnsbl_ip4set_type, &dnsbl_ip4trie_type, &dnsbl_ip6trie_type,
		&dnsbl_dnset_type
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i]->name, name) == 0)
			return types[i];
	return NULL;
}

/* ------------------------------------------------------------ values */

struct value_key {
	const struct dnsbl_values *vals;
	uint32_t a;
	const char *txt;
	size_t txt_len;
};

static bool
value_eq(const void *item, const void *key)
{
	const struct value_key *k = key;
	const struct dnsbl_value *v = &k->vals->v[(uintptr_t)item - 1];

	if (v->a != k->a || (v->has_txt != 0) != (k->txt != NULL))
		return false;
	return k->txt == NULL || (v->txt_len == k->txt_len &&
	    memcmp(k->vals->pool + v->txt_off, k->txt, k->txt_len) == 0);
}

static uint64_t
value_hash(uint32_t a, const char *txt, size_t len)
{
	uint64_t h = hash_bytes(&a, sizeof(a), 0x9e3779b97f4a7c15ull);

	return txt == NULL ? h : hash_bytes(txt, len, h);
}

int
dnsbl_values_init(struct dnsbl_values *vals)
{
	memset(vals, 0, sizeof(*vals));
	return htab_init(&vals->idx, 16);
}

void
dnsbl_values_fini(struct dnsbl_values *vals)
{
	htab_fini(&vals->idx);
	xfree(vals->v);
	xfree(vals->pool);
	memset(vals, 0, sizeof(*vals));
}

int
dnsbl_values_add(struct dnsbl_values *vals, uint32_t a, const char *txt,
    size_t txt_len, uint32_t *idx)
{
	struct value_key k;
	uint64_t h;
	void *item;
	struct dnsbl_value *v;

	if (txt != NULL && txt_len > RBLDNSD_DATA_TXT_MAX)
		txt_len = RBLDNSD_DATA_TXT_MAX;
	k.vals = vals;
	k.a = a;
	k.txt = txt;
	k.txt_len = txt_len;
	h = value_hash(a, txt, txt_len);
	if ((item = htab_find(&vals->idx, h, value_eq, &k)) != NULL) {
		*idx = (uint32_t)((uintptr_t)item - 1);
		return 0;
	}
	if (vals->n >= DNSBL_EXCLUDED - 1)
		return ERR_TOOBIG;
	if (htab_reserve(&vals->idx, 1) != 0)
		return ERR_NOMEM;
	if (vals->n == vals->cap) {
		uint32_t nc = vals->cap ? vals->cap * 2 : 8;
		struct dnsbl_value *nv = xreallocarray(vals->v, nc, sizeof(*nv));

		if (nv == NULL)
			return ERR_NOMEM;
		vals->v = nv;
		vals->cap = nc;
	}
	if (txt != NULL && vals->pool_len + txt_len > vals->pool_cap) {
		size_t nc = (vals->pool_cap + txt_len) * 2 + 64;
		char *np = xrealloc(vals->pool, nc);

		if (np == NULL)
			return ERR_NOMEM;
		vals->pool = np;
		vals->pool_cap = nc;
	}
	v = &vals->v[vals->n];
	v->a = a;
	v->has_txt = txt != NULL;
	v->txt_len = (uint16_t)(txt != NULL ? txt_len : 0);
	v->txt_off = (uint32_t)vals->pool_len;
	if (txt != NULL) {
		if (vals->pool_len > UINT32_MAX - txt_len)
			return ERR_TOOBIG;
		memcpy(vals->pool + vals->pool_len, txt, txt_len);
		vals->pool_len += txt_len;
	}
	htab_insert(&vals->idx, h, (void *)(uintptr_t)(vals->n + 1));
	*idx = vals->n++;
	return 0;
}

void
dnsbl_values_shrink(struct dnsbl_values *vals)
{
	void *p;

	htab_fini(&vals->idx);
	memset(&vals->idx, 0, sizeof(vals->idx));
	if (vals->n > 0 && (p = xreallocarray(vals->v, vals->n, sizeof(*vals->v))) != NULL) {
		vals->v = p;
		vals->cap = vals->n;
	}
	if (vals->pool_len > 0 && (p = xrealloc(vals->pool, vals->pool_len)) != NULL) {
		vals->pool = p;
		vals->pool_cap = vals->pool_len;
	}
}

void
dnsbl_hits_add(struct dnsbl_hits *hits, uint32_t a, const char *txt,
    size_t txt_len, uint32_t ttl_s)
{
	unsigned i;

	for (i = 0; i < hits->n; i++) {
		const struct dnsbl_hit *h = &hits->h[i];

		if (h->a == a && (h->txt == NULL) == (txt == NULL) &&
		    (txt == NULL || (h->txt_len == txt_len &&
		    memcmp(h->txt, txt, txt_len) == 0)))
			return;
	}
	if (hits->n >= DNSBL_HITS_MAX)
		return;
	hits->h[hits->n].a = a;
	hits->h[hits->n].txt = txt;
	hits->h[hits->n].txt_len = (uint16_t)txt_len;
	hits->h[hits->n].ttl_s = ttl_s;
	hits->n++;
}

void
dnsbl_hits_add_value(struct dnsbl_hits *hits, const struct dnsbl_ds *ds,
    uint32_t idx)
{
	const struct dnsbl_value *v = &ds->vals.v[idx];

	dnsbl_hits_add(hits, v->a, v->has_txt ? ds->vals.pool + v->txt_off : NULL,
	    v->txt_len, ds->ttl_s);
}

void
dnsbl_ds_default_hit(const struct dnsbl_ds *ds, struct dnsbl_hits *hits)
{
	dnsbl_hits_add_value(hits, ds, ds->dflt);
}

/* ------------------------------------------------------------ loader */

struct scope {
	char *vars[10];
	char *base;
	uint32_t a;			/* the current default A */
	char *txt;			/* the current default TXT or NULL */
	uint32_t idx;			/* their value index */
};

static void
scope_fini(struct scope *s)
{
	unsigned i;

	for (i = 0; i < 10; i++)
		xfree(s->vars[i]);
	xfree(s->base);
	xfree(s->txt);
}

/* entry_value - the value index of an entry line in the current scope. */
static int
entry_value(struct dnsbl_ds *ds, struct scope *s,
    const struct rbldnsd_data_value *v, uint32_t *idx)
{
	char buf[RBLDNSD_DATA_LINE_MAX + 512];
	uint32_t a = v->has_a ? v->a : s->a;
	size_t n;

	switch (v->txt_mode) {
	case RBLDNSD_TXT_DEFAULT:
		if (!v->has_a && s->base == NULL) {
			*idx = s->idx;
			return 0;
		}
		if (s->txt == NULL && s->base == NULL)
			return dnsbl_values_add(&ds->vals, a, NULL, 0, idx);
		n = rbldnsd_data_expand(s->txt != NULL ? s->txt : "",
		    s->txt != NULL ? strlen(s->txt) : 0,
		    (const char *const *)s->vars, s->base, buf, sizeof(buf));
		return dnsbl_values_add(&ds->vals, a, buf, n, idx);
	case RBLDNSD_TXT_NONE:
		return dnsbl_values_add(&ds->vals, a, NULL, 0, idx);
	case RBLDNSD_TXT_SET:
	default:
		n = rbldnsd_data_expand(v->txt, v->txt_len,
		    (const char *const *)s->vars, s->base, buf, sizeof(buf));
		return dnsbl_values_add(&ds->vals, a, buf, n, idx);
	}
}

static int
set_default(struct dnsbl_ds *ds, struct scope *s, const struct rbldnsd_data_value *v)
{
	char buf[RBLDNSD_DATA_LINE_MAX + 512];
	size_t n;

	s->a = v->has_a ? v->a : DNSBL_TEST_A;
	if (v->txt_mode == RBLDNSD_TXT_SET) {
		n = rbldnsd_data_expand(v->txt, v->txt_len,
		    (const char *const *)s->vars, NULL, buf, sizeof(buf));
		xfree(s->txt);
		if ((s->txt = xstrndup(buf, n)) == NULL)
			return ERR_NOMEM;
	} else if (v->txt_mode == RBLDNSD_TXT_NONE) {
		xfree(s->txt);
		s->txt = NULL;
	}
	return dnsbl_values_add(&ds->vals, s->a, s->txt,
	    s->txt != NULL ? strlen(s->txt) : 0, &s->idx);
}

static int
load_lines(struct dnsbl_ds *ds, const char *name, const char *text, size_t len,
    uint32_t dflt_a, const char *dflt_txt, char *err, size_t errcap)
{
	struct rbldnsd_data_line l;
	struct scope s;
	const char *line, *reason = "out of memory";
	size_t pos = 0, ll;
	unsigned lineno = 0;
	bool seen_default = false;
	uint32_t idx;
	int rc = 0;

	memset(&s, 0, sizeof(s));
	s.a = dflt_a;
	if (dflt_txt != NULL && (s.txt = xstrdup(dflt_txt)) == NULL)
		goto nomem;
	if ((rc = dnsbl_values_add(&ds->vals, s.a, s.txt,
	    s.txt != NULL ? strlen(s.txt) : 0, &s.idx)) != 0)
		goto nomem;
	ds->dflt = s.idx;
	while (rbldnsd_data_next_line(text, len, &pos, &line, &ll)) {
		lineno++;
		if ((rc = rbldnsd_data_parse_line(line, ll, ds->type->keys, &l,
		    &reason)) != 0)
			goto fail;
		switch (l.kind) {
		case RBLDNSD_DATA_BLANK:
		case RBLDNSD_DATA_IGNORED:
			break;
		case RBLDNSD_DATA_DEFAULT:
			if ((rc = set_default(ds, &s, &l.val)) != 0)
				goto nomem;
			if (!seen_default)
				ds->dflt = s.idx;
			seen_default = true;
			break;
		case RBLDNSD_DATA_ENTRY:
			idx = DNSBL_EXCLUDED;
			if (!l.exclude && (rc = entry_value(ds, &s, &l.val, &idx)) != 0)
				goto nomem;
			if ((rc = ds->type->add(ds, &l, idx, lineno, &reason)) != 0)
				goto fail;
			break;
		case RBLDNSD_DATA_SOA:
			if (ds->soa == NULL &&
			    (ds->soa = xstrndup(l.arg, l.arg_len)) == NULL)
				goto nomem;
			break;
		case RBLDNSD_DATA_NS:
			if (ds->ns == NULL &&
			    (ds->ns = xstrndup(l.arg, l.arg_len)) == NULL)
				goto nomem;
			break;
		case RBLDNSD_DATA_TTL:
			ds->ttl_s = l.ttl_s;
			break;
		case RBLDNSD_DATA_VAR:
			xfree(s.vars[l.var]);
			if ((s.vars[l.var] = xstrndup(l.arg, l.arg_len)) == NULL)
				goto nomem;
			break;
		case RBLDNSD_DATA_BASE:
			xfree(s.base);
			if ((s.base = xstrndup(l.arg, l.arg_len)) == NULL)
				goto nomem;
			break;
		}
	}
	ds->lines = lineno;
	if ((rc = ds->type->finish(ds, &lineno, &reason)) != 0)
		goto fail;
	dnsbl_values_shrink(&ds->vals);
	scope_fini(&s);
	return 0;
nomem:
	rc = rc != 0 ? rc : ERR_NOMEM;
	reason = err_str(rc);
fail:
	if (lineno > 0)
		snprintf(err, errcap, "%s:%u: %s", name, lineno, reason);
	else
		snprintf(err, errcap, "%s: %s", name, reason);
	scope_fini(&s);
	return rc;
}

static struct dnsbl_ds *
ds_create(const struct dnsbl_ds_type *type, const char *name, uint32_t ttl_s)
{
	struct dnsbl_ds *ds = type->create();

	if (ds == NULL)
		return NULL;
	ds->type = type;
	ds->ttl_s = ttl_s;
	if (dnsbl_values_init(&ds->vals) != 0 ||
	    (ds->name = xstrdup(name != NULL ? name : "")) == NULL) {
		dnsbl_ds_free(ds);
		return NULL;
	}
	return ds;
}

int
dnsbl_ds_load_text(const struct dnsbl_ds_type *type, const char *name,
    const char *text, size_t len, uint32_t dflt_a, const char *dflt_txt,
    uint32_t ttl_s, struct dnsbl_ds **out, char *err, size_t errcap)
{
	struct dnsbl_ds *ds;
	int rc;

	if ((ds = ds_create(type, name, ttl_s)) == NULL) {
		snprintf(err, errcap, "%s: out of memory", name);
		return ERR_NOMEM;
	}
	if ((rc = load_lines(ds, name, text, len, dflt_a, dflt_txt, err,
	    errcap)) != 0) {
		dnsbl_ds_free(ds);
		return rc;
	}
	*out = ds;
	return 0;
}

int
dnsbl_ds_load(const struct conf_dataset *conf, uint32_t zone_ttl_s,
    struct dnsbl_ds **out, char *err, size_t errcap)
{
	const struct dnsbl_ds_type *type = dnsbl_ds_type_find(conf->type);
	uint32_t a = DNSBL_TEST_A;
	struct stat st;
	void *map = NULL;
	char *inflated = NULL;
	const char *text;
	size_t len;
	int fd, rc;

	if (type == NULL || conf->file == NULL) {
		snprintf(err, errcap, "dataset %s: type %s needs no file or is unknown",
		    conf->name, conf->type);
		return ERR_INVAL;
	}
	if (conf->a != NULL && rbldnsd_data_parse_a(conf->a, strlen(conf->a), &a) != 0) {
		snprintf(err, errcap, "dataset %s: a: invalid A value \"%s\"",
		    conf->name, conf->a);
		return ERR_INVAL;
	}
	if ((fd = open(conf->file, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errcap, "%s: %s", conf->file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	len = (size_t)st.st_size;
	if ((uint64_t)st.st_size > DNSBL_FILE_MAX) {
		close(fd);
		snprintf(err, errcap, "%s: file too big", conf->file);
		return ERR_TOOBIG;
	}
	text = "";
	if (len > 0) {
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			rc = -errno;
			close(fd);
			snprintf(err, errcap, "%s: %s", conf->file, strerror(-rc));
			return rc;
		}
		madvise(map, len, MADV_SEQUENTIAL);
		text = map;
	}
	close(fd);
	if (rbldnsd_data_is_gzip((const uint8_t *)text, len)) {
		rc = rbldnsd_data_gunzip((const uint8_t *)text, len, DNSBL_FILE_MAX,
		    &inflated, &len);
		munmap(map, (size_t)st.st_size);
		map = NULL;
		if (rc != 0) {
			snprintf(err, errcap, "%s: gzip: %s", conf->file, err_str(rc));
			return rc;
		}
		text = inflated;
	}
	rc = dnsbl_ds_load_text(type, conf->file, text, len, a, conf->txt,
	    zone_ttl_s, out, err, errcap);
	if (map != NULL)
		munmap(map, (size_t)st.st_size);
	xfree(inflated);
	if (rc != 0)
		return rc;
	xfree((*out)->name);
	(*out)->name = xstrdup(conf->name);
	(*out)->file = xstrdup(conf->file);
	(*out)->mtime_s = (int64_t)st.st_mtime;
	if ((*out)->name == NULL || (*out)->file == NULL) {
		dnsbl_ds_free(*out);
		*out = NULL;
		snprintf(err, errcap, "%s: out of memory", conf->file);
		return ERR_NOMEM;
	}
	return 0;
}

void
dnsbl_ds_free(struct dnsbl_ds *ds)
{
	if (ds == NULL)
		return;
	dnsbl_values_fini(&ds->vals);
	xfree(ds->name);
	xfree(ds->file);
	xfree(ds->soa);
	xfree(ds->ns);
	ds->type->destroy(ds);
}

size_t
dnsbl_ds_count(const struct dnsbl_ds *ds)
{
	return ds->type->count(ds);
}

/* ------------------------------------------------------------ walk */

size_t
dnsbl_ip4_text(uint32_t ip, char *buf)
{
	return (size_t)sprintf(buf, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
	    (ip >> 8) & 255, ip & 255);
}

int
dnsbl_walk_ip4_range(uint32_t lo, uint32_t hi, const struct dnsbl_hit *hits,
    unsigned nhits, dnsbl_walk_fn fn, void *arg)
{
	uint64_t cur = lo;
	uint8_t rel[32];
	char text[16];
	int rc;

	while (cur <= hi) {
		unsigned k, o, fixed;
		size_t n = 0, tl;

		for (k = 32; k > 0; k -= 8) {
			uint64_t size = 1ull << k;

			if ((cur & (size - 1)) == 0 && cur + size - 1 <= hi)
				break;
		}
		fixed = (32 - k) / 8;
		if (k > 0) {
			rel[n++] = 1;
			rel[n++] = '*';
		}
		for (o = 0; o < fixed; o++) {
			unsigned oct = (unsigned)(cur >> (8 * (3 - (fixed - 1 - o)))) & 255;
			int w = sprintf((char *)rel + n + 1, "%u", oct);

			rel[n] = (uint8_t)w;
			n += (size_t)w + 1;
		}
		tl = dnsbl_ip4_text((uint32_t)cur, text);
		if (!(k == 0 && (cur == DNSBL_TEST_A || cur == DNSBL_INVALID_A)) &&
		    (rc = fn(arg, rel, n, hits, nhits, text, tl)) != 0)
			return rc;
		cur += 1ull << k;
	}
	return 0;
}

static unsigned
nibble(const uint8_t a[16], unsigned i)
{
	return (a[i >> 1] >> ((i & 1) ? 0 : 4)) & 15;
}

static bool
is_v6_test_point(const uint8_t a[16])
{
	static const uint8_t tp[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, tp, 12) == 0 && a[12] == 0x7f && a[13] == 0 &&
	    a[14] == 0 && (a[15] == 1 || a[15] == 2);
}

int
dnsbl_walk_ip6_range(const uint8_t lo[16], const uint8_t hi[16],
    const struct dnsbl_hit *hits, unsigned nhits, dnsbl_walk_fn fn, void *arg)
{
	unsigned __int128 cur = 0, end = 0;
	uint8_t a[16], rel[80];
	char text[64];
	unsigned i;
	int rc;

	for (i = 0; i < 16; i++) {
		cur = cur << 8 | lo[i];
		end = end << 8 | hi[i];
	}
	for (;;) {
		unsigned k, fixed;
		size_t n = 0;
		unsigned __int128 size;

		for (k = 32; k > 0; k--) {
			size = k == 32 ? 0 : (unsigned __int128)1 << (4 * k);
			if (k == 32) {
				if (cur == 0 && end == ~(unsigned __int128)0)
					break;
				continue;
			}
			if ((cur & (size - 1)) == 0 && cur + (size - 1) <= end)
				break;
		}
		fixed = 32 - k;
		for (i = 0; i < 16; i++)
			a[i] = (uint8_t)(cur >> (8 * (15 - i)));
		if (k > 0) {
			rel[n++] = 1;
			rel[n++] = '*';
		}
		for (i = fixed; i > 0; i--) {
			rel[n++] = 1;
			rel[n++] = (uint8_t)"0123456789abcdef"[nibble(a, i - 1)];
		}
		inet_ntop(AF_INET6, a, text, sizeof(text));
		if (!(k == 0 && is_v6_test_point(a)) &&
		    (rc = fn(arg, rel, n, hits, nhits, text, strlen(text))) != 0)
			return rc;
		if (k == 32)
			return 0;
		size = (unsigned __int128)1 << (4 * k);
		if (end - cur < size - 1 || end - cur == size - 1)
			return 0;
		cur += size;
	}
}
