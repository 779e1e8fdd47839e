/*
 * test_dnsbl_sets.c - unit tests for the dataset plug-ins: ip4set,
 * ip4trie, ip6trie (dnsbl_rmap), dnset and detection.  Overlaps,
 * exclusions, ranges, IPv6 prefixes of every length, "$" substitution,
 * default values, malformed lines with their "file:line: reason", the
 * RFC 5782 test point refused, partial names (empty non-terminals), the
 * AXFR walk, allocation failure at every step of a load, and random
 * CIDR lists against a brute-force longest-prefix match.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "dnsbl/dnsbl_detection.h"
#include "dnsbl/dnsbl_dnset.h"
#include "dnsbl/dnsbl_ds.h"
#include "dnsbl/dnsbl_ip4set.h"
#include "dnsbl/dnsbl_rmap.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

static struct dnsbl_ds *
load(const struct dnsbl_ds_type *t, const char *text)
{
	struct dnsbl_ds *ds = NULL;
	char err[256];
	int rc = dnsbl_ds_load_text(t, "t.rbl", text, strlen(text), DNSBL_TEST_A,
	    NULL, 300, &ds, err, sizeof(err));

	if (rc != 0)
		fail_msg("load: %s", err);
	return ds;
}

static int
load_err(const struct dnsbl_ds_type *t, const char *text, char *err, size_t cap)
{
	struct dnsbl_ds *ds = NULL;
	int rc = dnsbl_ds_load_text(t, "t.rbl", text, strlen(text), DNSBL_TEST_A,
	    NULL, 300, &ds, err, cap);

	dnsbl_ds_free(ds);
	return rc;
}

/* q4 - look up a dotted quad (or a partial prefix with bits < 32). */
static struct dnsbl_hits
q4(const struct dnsbl_ds *ds, const char *ip, unsigned bits)
{
	struct dnsbl_hits h;
	struct dnsbl_key k;
	struct in_addr a;

	memset(&k, 0, sizeof(k));
	memset(&h, 0, sizeof(h));
	assert_int_equal(inet_pton(AF_INET, ip, &a), 1);
	k.kinds = DNSBL_KEY_IP4;
	k.ip4 = ntohl(a.s_addr);
	k.ip4_bits = bits;
	ds->type->lookup(ds, &k, 0, &h);
	return h;
}

static struct dnsbl_hits
q6(const struct dnsbl_ds *ds, const char *ip, unsigned bits, int64_t now)
{
	struct dnsbl_hits h;
	struct dnsbl_key k;

	memset(&k, 0, sizeof(k));
	memset(&h, 0, sizeof(h));
	assert_int_equal(inet_pton(AF_INET6, ip, k.ip6), 1);
	k.kinds = DNSBL_KEY_IP6;
	k.ip6_bits = bits;
	ds->type->lookup(ds, &k, now, &h);
	return h;
}

static struct dnsbl_hits
qn(const struct dnsbl_ds *ds, const char *rname)
{
	struct dnsbl_hits h;
	struct dnsbl_key k;

	memset(&k, 0, sizeof(k));
	memset(&h, 0, sizeof(h));
	k.kinds = DNSBL_KEY_NAME;
	k.rname = (const uint8_t *)rname;
	k.rname_len = strlen(rname);
	ds->type->lookup(ds, &k, 0, &h);
	return h;
}

static bool
has_txt(const struct dnsbl_hits *h, const char *txt)
{
	unsigned i;

	for (i = 0; i < h->n; i++)
		if (h->h[i].txt != NULL && h->h[i].txt_len == strlen(txt) &&
		    memcmp(h->h[i].txt, txt, h->h[i].txt_len) == 0)
			return true;
	return false;
}

static void
test_ip4set(void **state)
{
	struct dnsbl_ds *ds;
	struct dnsbl_hits h;

	(void)state;
	ds = load(&dnsbl_ip4set_type,
	    "# comment\n"
	    ":127.0.0.2:Listed $\n"
	    "1.2.3.4\n"
	    "1.2.3.5 :5\n"
	    "1.2.3.6 :6:\n"
	    "1.2.3.7 own text $\n"
	    "10.0.0.0/8\n"
	    "!10.1.2.3\n"
	    "10.1.2.0/24 :11:sub\n"
	    "10.1.2.0/24 :12:second\n"
	    "192.168.0.1-192.168.0.3\n"
	    "172.16-31 :16\n"
	    "$TTL 1h\n");
	assert_int_equal(ds->ttl_s, 3600);
	h = q4(ds, "1.2.3.4", 32);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.h[0].a, 0x7f000002);
	assert_true(has_txt(&h, "Listed $"));
	h = q4(ds, "1.2.3.5", 32);
	assert_int_equal(h.h[0].a, 0x7f000005);
	assert_true(has_txt(&h, "Listed $"));
	h = q4(ds, "1.2.3.6", 32);
	assert_null(h.h[0].txt);
	h = q4(ds, "1.2.3.7", 32);
	assert_true(has_txt(&h, "own text $"));
	assert_int_equal(q4(ds, "1.2.3.8", 32).n, 0);
	/* The /8 answers where nothing finer does. */
	assert_int_equal(q4(ds, "10.200.1.1", 32).h[0].a, 0x7f000002);
	/* An exclusion at /32 wins over the /24 and the /8. */
	assert_int_equal(q4(ds, "10.1.2.3", 32).n, 0);
	/* Two /24 listings answer together; the /8 does not add to them. */
	h = q4(ds, "10.1.2.9", 32);
	assert_int_equal(h.n, 2);
	assert_true(has_txt(&h, "sub") && has_txt(&h, "second"));
	assert_int_equal(q4(ds, "192.168.0.2", 32).n, 1);
	assert_int_equal(q4(ds, "192.168.0.4", 32).n, 0);
	assert_int_equal(q4(ds, "172.20.1.1", 32).h[0].a, 0x7f000010);
	assert_int_equal(q4(ds, "172.32.0.0", 32).n, 0);
	/* Partial names: 192.168 holds entries, 192.169 does not. */
	assert_true(q4(ds, "192.168.0.0", 16).below);
	assert_false(q4(ds, "192.169.0.0", 16).below);
	assert_true(q4(ds, "10.7.0.0", 16).below);
	assert_int_equal(dnsbl_ds_count(ds), 10);
	dnsbl_ds_free(ds);
}

static void
test_ip4set_big(void **state)
{
	char *text = xmalloc(20 * 100000);
	struct dnsbl_ds *ds;
	size_t o = 0;
	unsigned i;

	(void)state;
	/* 100,000 addresses in a scrambled order: the /16 index and radix sort. */
	for (i = 0; i < 100000; i++) {
		uint32_t ip = 0x0b000000u + (i * 2654435761u % 0x00ffffffu);

		o += (size_t)sprintf(text + o, "%u.%u.%u.%u\n", ip >> 24, (ip >> 16) & 255,
		    (ip >> 8) & 255, ip & 255);
	}
	text[o] = '\0';
	ds = load(&dnsbl_ip4set_type, text);
	for (i = 0; i < 100000; i += 997) {
		uint32_t ip = 0x0b000000u + (i * 2654435761u % 0x00ffffffu);
		char a[16];

		sprintf(a, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
		assert_int_equal(q4(ds, a, 32).n, 1);
	}
	assert_int_equal(q4(ds, "12.0.0.1", 32).n, 0);
	dnsbl_ds_free(ds);
	xfree(text);
}

static void
test_ip4trie(void **state)
{
	struct dnsbl_ds *ds;
	struct dnsbl_hits h;
	char err[256];

	(void)state;
	ds = load(&dnsbl_ip4trie_type,
	    ":3:pbl $\n"
	    "100.64.0.0/10\n"
	    "100.64.1.0/24 :4:customer $\n"
	    "!100.64.1.128/25\n"
	    "100.64.1.200 :5\n"
	    "100.64.1.0/24 :9:duplicate, first wins\n"
	    "128.0.0.0/1 :7:half\n");
	h = q4(ds, "100.100.0.1", 32);
	assert_int_equal(h.h[0].a, 0x7f000003);
	h = q4(ds, "100.64.1.5", 32);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.h[0].a, 0x7f000004);
	assert_true(has_txt(&h, "customer $"));
	assert_int_equal(q4(ds, "100.64.1.129", 32).n, 0);
	assert_int_equal(q4(ds, "100.64.1.200", 32).h[0].a, 0x7f000005);
	assert_int_equal(q4(ds, "100.128.0.0", 32).n, 0);
	assert_int_equal(q4(ds, "128.0.0.0", 32).h[0].a, 0x7f000007);
	assert_int_equal(q4(ds, "255.255.255.255", 32).h[0].a, 0x7f000007);
	assert_int_equal(q4(ds, "127.255.255.255", 32).n, 0);
	assert_true(q4(ds, "100.64.0.0", 16).below);
	assert_true(q4(ds, "200.1.0.0", 16).below);
	assert_false(q4(ds, "99.1.0.0", 16).below);
	dnsbl_ds_free(ds);
	/* Ranges are not CIDRs. */
	assert_int_equal(load_err(&dnsbl_ip4trie_type, "1.2.3.4\n1.2.3.0-1.2.3.9\n", err,
	    sizeof(err)), ERR_MALFORMED);
	assert_string_equal(err, "t.rbl:2: ranges are not allowed here (CIDR only)");
}

/* A random CIDR list against a brute-force longest-prefix match. */
struct bf {
	unsigned __int128 lo;
	unsigned bits;
	uint32_t a;			/* 0: an exclusion */
};

static uint64_t
rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 16;
}

/* bf_find - the A of the longest prefix holding x (first wins), or 0. */
static uint32_t
bf_find(const struct bf *e, size_t n, unsigned __int128 x, unsigned width)
{
	size_t i, best = n;

	for (i = 0; i < n; i++) {
		unsigned sh = width - e[i].bits;

		if ((sh >= 128 || (x >> sh) == (e[i].lo >> sh)) &&
		    (best == n || e[i].bits > e[best].bits))
			best = i;
	}
	return best == n ? 0 : e[best].a;
}

static void
rmap_random(bool v6, bool sorted, bool long6)
{
	enum { N = 3000, Q = 3000 };
	struct bf *e = xcalloc(N, sizeof(*e));
	char *text = xmalloc(N * 64), s[64];
	unsigned width = v6 ? 128 : 32;
	uint64_t seed = 42 + v6 * 2 + sorted + long6 * 4;
	struct dnsbl_ds *ds;
	size_t n, o = 0, i;

	for (n = 0; n < N; n++) {
		unsigned __int128 a;
		unsigned bits;

		const struct bf *up = n > 0 ? &e[rnd(&seed) % n] : NULL;

		if (up != NULL && up->bits < width && rnd(&seed) % 4 == 0) {
			/* Nest inside an earlier prefix: longer, or an exclusion. */
			bits = up->bits + 1 + (unsigned)(rnd(&seed) % (width - up->bits));
			a = up->lo | ((((unsigned __int128)rnd(&seed) << 64) | rnd(&seed)) &
			    ((((unsigned __int128)1) << (width - up->bits)) - 1));
		} else {
			bits = v6 ? 24 + (unsigned)(rnd(&seed) % 41) : 12 + (unsigned)(rnd(&seed) % 17);
			a = (((unsigned __int128)rnd(&seed) << 64) | rnd(&seed));
			if (v6)
				a = (a & (~(unsigned __int128)0 >> 8)) | ((unsigned __int128)0x20 << 120);
			else
				a = 0x01000000u + (uint32_t)(a % 0xd0000000u);
		}
		if (v6 && bits > 64 && !long6)
			bits = 64;
		if (!v6 && (a >> 24) == 127)
			a ^= (unsigned __int128)1 << 24;
		a &= ~((((unsigned __int128)1) << (width - bits)) - 1) & (v6 ?
		    ~(unsigned __int128)0 : 0xffffffffu);
		e[n].lo = a;
		e[n].bits = bits;
		e[n].a = rnd(&seed) % 5 == 0 ? 0 : 0x7f000002u + (uint32_t)(rnd(&seed) % 200);
	}
	if (sorted)
		for (n = 1; n < N; n++)	/* insertion sort by (address, length) */
			for (i = n; i > 0 && (e[i].lo < e[i - 1].lo || (e[i].lo == e[i - 1].lo &&
			    e[i].bits < e[i - 1].bits)); i--) {
				struct bf t = e[i];

				e[i] = e[i - 1];
				e[i - 1] = t;
			}
	for (n = 0; n < N; n++) {
		if (v6) {
			uint8_t b[16];

			for (i = 0; i < 16; i++)
				b[i] = (uint8_t)(e[n].lo >> (8 * (15 - i)));
			inet_ntop(AF_INET6, b, s, sizeof(s));
		} else
			snprintf(s, sizeof(s), "%u.%u.%u.%u", (unsigned)(e[n].lo >> 24) & 255,
			    (unsigned)(e[n].lo >> 16) & 255, (unsigned)(e[n].lo >> 8) & 255,
			    (unsigned)e[n].lo & 255);
		if (e[n].a == 0)
			o += (size_t)sprintf(text + o, "!%s/%u\n", s, e[n].bits);
		else
			o += (size_t)sprintf(text + o, "%s/%u :%u\n", s, e[n].bits, e[n].a & 255);
	}
	text[o] = '\0';
	ds = load(v6 ? &dnsbl_ip6trie_type : &dnsbl_ip4trie_type, text);
	for (i = 0; i < Q; i++) {
		const struct bf *b = &e[rnd(&seed) % N];
		unsigned __int128 x = b->lo, off;
		struct dnsbl_hits h;
		uint32_t want;
		char q[64];

		/* An address inside a prefix, at its edges, or just past it. */
		off = (((unsigned __int128)rnd(&seed) << 64) | rnd(&seed)) &
		    ((((unsigned __int128)1) << (width - b->bits)) - 1);
		switch (i % 4) {
		case 0: x |= off; break;
		case 1: x |= (((unsigned __int128)1) << (width - b->bits)) - 1; break;
		case 2: x += ((unsigned __int128)1) << (width - b->bits); break;
		default: break;
		}
		if (!v6)
			x &= 0xffffffffu;
		want = bf_find(e, N, x, width);
		if (v6) {
			uint8_t a6[16];
			unsigned k;

			for (k = 0; k < 16; k++)
				a6[k] = (uint8_t)(x >> (8 * (15 - k)));
			inet_ntop(AF_INET6, a6, q, sizeof(q));
			h = q6(ds, q, 128, 0);
		} else {
			snprintf(q, sizeof(q), "%u.%u.%u.%u", (unsigned)(x >> 24) & 255,
			    (unsigned)(x >> 16) & 255, (unsigned)(x >> 8) & 255, (unsigned)x & 255);
			h = q4(ds, q, 32);
		}
		if (want == 0 && h.n != 0)
			fail_msg("%s: listed, want unlisted", q);
		if (want != 0 && (h.n != 1 || h.h[0].a != want))
			fail_msg("%s: got %u hits (a %x), want a %x", q, h.n,
			    h.n ? h.h[0].a : 0, want);
	}
	dnsbl_ds_free(ds);
	xfree(text);
	xfree(e);
}

static void
test_rmap_random(void **state)
{
	(void)state;
	/* Scrambled and sorted files (the radix sort and its shortcut),
	 * thousands of boundaries (the bucket index), IPv6 with and without
	 * prefixes longer than /64 (the two key layouts). */
	rmap_random(false, false, false);
	rmap_random(false, true, false);
	rmap_random(true, false, false);
	rmap_random(true, true, false);
	rmap_random(true, false, true);
}

static void
test_ip6trie_every_length(void **state)
{
	char text[128];
	unsigned len;

	(void)state;
	/* A prefix of every length 1..128 under 2001:db8:: matches its first
	 * and last address and not the address just past it. */
	for (len = 1; len <= 128; len++) {
		struct dnsbl_ds *ds;
		uint8_t first[16], last[16], past[16];
		char s1[64], s2[64], s3[64], pfx[64];
		unsigned b;

		memset(first, 0, 16);
		first[0] = 0x80;	/* 8000:: so that every length is valid */
		memcpy(last, first, 16);
		for (b = len; b < 128; b++)
			last[b >> 3] |= (uint8_t)(0x80 >> (b & 7));
		memcpy(past, last, 16);
		for (b = 16; b-- > 0;)
			if (++past[b] != 0)
				break;
		inet_ntop(AF_INET6, first, pfx, sizeof(pfx));
		snprintf(text, sizeof(text), ":5:v6 $\n%s/%u\n", pfx, len);
		ds = load(&dnsbl_ip6trie_type, text);
		inet_ntop(AF_INET6, first, s1, sizeof(s1));
		inet_ntop(AF_INET6, last, s2, sizeof(s2));
		inet_ntop(AF_INET6, past, s3, sizeof(s3));
		assert_int_equal(q6(ds, s1, 128, 0).n, 1);
		assert_int_equal(q6(ds, s2, 128, 0).n, 1);
		if (len > 1)
			assert_int_equal(q6(ds, s3, 128, 0).n, 0);
		assert_int_equal(q6(ds, "::2", 128, 0).n, 0);
		dnsbl_ds_free(ds);
	}
}

static void
test_ip6trie(void **state)
{
	struct dnsbl_ds *ds;
	char err[256];

	(void)state;
	ds = load(&dnsbl_ip6trie_type,
	    ":127.0.1.2: Listed, see http://example.com/lookup?$\n"
	    "2001:21ab:c000/36\n"
	    "2001:21ab:def7:4242 :127.0.1.3: This one smells funny\n"
	    "2605:6001:42::/52\n"
	    "::1\n"
	    "!2605:6001:42::bead\n");
	assert_int_equal(q6(ds, "2001:21ab:c123::1", 128, 0).h[0].a, 0x7f000102);
	assert_int_equal(q6(ds, "2001:21ab:def7:4242::9", 128, 0).h[0].a, 0x7f000103);
	assert_int_equal(q6(ds, "2605:6001:42::bead", 128, 0).n, 0);
	assert_int_equal(q6(ds, "2605:6001:42::beae", 128, 0).n, 1);
	assert_int_equal(q6(ds, "::1", 128, 0).n, 1);
	assert_true(q6(ds, "2605:6001::", 32, 0).below);
	assert_false(q6(ds, "2605:6002::", 32, 0).below);
	dnsbl_ds_free(ds);
	assert_int_equal(load_err(&dnsbl_ip6trie_type, "2001:db8::1/64\n", err,
	    sizeof(err)), ERR_MALFORMED);
	assert_string_equal(err, "t.rbl:1: host bits set after the prefix length");
	assert_int_equal(load_err(&dnsbl_ip6trie_type, "::ffff:7f00:0/120\n", err,
	    sizeof(err)), ERR_INVAL);
	assert_non_null(strstr(err, "t.rbl:1: lists ::ffff:7f00:1"));
}

static void
test_dnset(void **state)
{
	struct dnsbl_ds *ds;
	struct dnsbl_hits h;
	char err[256];

	(void)state;
	ds = load(&dnsbl_dnset_type,
	    ":2:domain $ listed\n"
	    "Example.COM\n"
	    "*.spam.example\n"
	    ".evil.example :3\n"
	    "!good.evil.example\n"
	    "a.b.deep.example\n");
	h = qn(ds, "com.example");
	assert_int_equal(h.n, 1);
	assert_true(has_txt(&h, "domain $ listed"));
	assert_int_equal(qn(ds, "com.example.www").n, 0);
	assert_int_equal(qn(ds, "example.spam").n, 0);
	assert_int_equal(qn(ds, "example.spam.x").n, 1);
	assert_int_equal(qn(ds, "example.spam.x.y.z").n, 1);
	assert_int_equal(qn(ds, "example.evil").h[0].a, 0x7f000003);
	assert_int_equal(qn(ds, "example.evil.bad").n, 1);
	assert_int_equal(qn(ds, "example.evil.good").n, 0);
	assert_true(qn(ds, "example.deep").below);
	assert_true(qn(ds, "example.deep.b").below);
	assert_false(qn(ds, "example.other").below);
	dnsbl_ds_free(ds);
	assert_int_equal(load_err(&dnsbl_dnset_type, "ok.example\ninvalid\n", err,
	    sizeof(err)), ERR_INVAL);
	assert_non_null(strstr(err, "t.rbl:2: lists \"invalid\""));
	assert_int_equal(load_err(&dnsbl_dnset_type, "a..b\n", err, sizeof(err)),
	    ERR_MALFORMED);
}

struct err_case {
	const struct dnsbl_ds_type *type;
	const char *text;
	int want;
	const char *msg;
};

static void
test_malformed(void **state)
{
	const struct err_case cases[] = {
		{ &dnsbl_ip4set_type, "1.2.3.4\n300.1.1.1\n", ERR_MALFORMED, "t.rbl:2: invalid IPv4 address" },
		{ &dnsbl_ip4set_type, "1.2.3.4/24\n", ERR_MALFORMED, "t.rbl:1: host bits set after the prefix length" },
		{ &dnsbl_ip4set_type, "\n\n127.0.0.1\n", ERR_INVAL, "t.rbl:3: lists 127.0.0.1, the RFC 5782 test point that must never be listed" },
		{ &dnsbl_ip4set_type, "127.0.0.0/24\n", ERR_INVAL, "t.rbl:1: lists 127.0.0.1, the RFC 5782 test point that must never be listed" },
		{ &dnsbl_ip4trie_type, "127.0.0.0/8\n", ERR_INVAL, "t.rbl:1: lists 127.0.0.1, the RFC 5782 test point that must never be listed" },
		{ &dnsbl_ip4set_type, "1.2.3.4 :999:x\n", ERR_MALFORMED, "t.rbl:1: invalid A value (want N or a.b.c.d)" },
		{ &dnsbl_ip4set_type, "$TTL soon\n", ERR_MALFORMED, "t.rbl:1: $TTL: invalid time (want N[smhdw])" },
		{ &dnsbl_ip4set_type, "$BOGUS\n", ERR_MALFORMED, "t.rbl:1: unknown special (want $SOA, $NS, $TTL, $0-$9 or $=)" },
		{ &dnsbl_ip4set_type, "1.2.3.9-1.2.3.1\n", ERR_MALFORMED, "t.rbl:1: IPv4 range ends before it starts" },
		{ &dnsbl_ip6trie_type, "2001:db8::zz\n", ERR_MALFORMED, "t.rbl:1: invalid IPv6 address" },
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = load_err(cases[i].type, cases[i].text, err, sizeof(err));

		if (rc != cases[i].want || strcmp(err, cases[i].msg) != 0)
			fail_msg("case %zu: rc %d err \"%s\"", i, rc, err);
	}
	/* 127.0.0.1 excluded again is fine. */
	assert_int_equal(load_err(&dnsbl_ip4set_type, "127.0.0.0/24\n!127.0.0.1\n", err,
	    sizeof(err)), 0);
}

static void
test_vars_and_base(void **state)
{
	struct dnsbl_ds *ds;
	struct dnsbl_hits h;

	(void)state;
	ds = load(&dnsbl_ip4set_type,
	    "$1 See http://www.example.com/bl\n"
	    "$2 for details\n"
	    "1.0.0.2  $1/spammer/$ $2\n"
	    "$= Base ($=)\n"
	    "1.0.0.3  r123\n"
	    "1.0.0.4  =plain $\n");
	h = q4(ds, "1.0.0.2", 32);
	assert_true(has_txt(&h, "See http://www.example.com/bl/spammer/$ for details"));
	h = q4(ds, "1.0.0.3", 32);
	assert_true(has_txt(&h, "Base (r123)"));
	h = q4(ds, "1.0.0.4", 32);
	assert_true(has_txt(&h, "plain $"));
	dnsbl_ds_free(ds);
}

static int
count_block(void *arg, const uint8_t *rel, size_t rel_len,
    const struct dnsbl_hit *hits, unsigned nhits, const char *subst, size_t subst_len)
{
	(void)rel;
	(void)hits;
	(void)subst;
	(void)subst_len;
	assert_true(rel_len > 0);
	assert_true(nhits > 0);
	(*(int *)arg)++;
	return 0;
}

static void
test_walk(void **state)
{
	struct dnsbl_ds *ds;
	int n = 0;

	(void)state;
	/* 10.0.0.0/8 minus 10.1.2.3: 255 /16 blocks are wildcards; inside
	 * 10.1/16: 255 /24 wildcards and 255 single addresses in 10.1.2/24. */
	ds = load(&dnsbl_ip4trie_type, "10.0.0.0/8\n!10.1.2.3\n");
	assert_int_equal(ds->type->walk(ds, 0, count_block, &n), 0);
	assert_int_equal(n, 255 + 255 + 255);
	dnsbl_ds_free(ds);
	n = 0;
	ds = load(&dnsbl_ip4set_type, "10.0.0.0/8\n!10.1.2.3\n1.2.3.4\n1.2.3.4 :3\n");
	assert_int_equal(ds->type->walk(ds, 0, count_block, &n), 0);
	assert_int_equal(n, 1 + 255 + 255 + 255);
	dnsbl_ds_free(ds);
}

static void
test_detection(void **state)
{
	struct dnsbl_detection *d = dnsbl_detection_new("infected", 0x7f000004, "$ is infected", 60);
	struct dnsbl_detection_info info;
	struct ipprefix p, p64, bad;
	struct dnsbl_hits h;
	int n = 0;

	(void)state;
	assert_non_null(d);
	ipprefix_parse("198.51.100.7", 12, &p);
	ipprefix_parse("2001:db8:1:2::/64", 17, &p64);
	assert_int_equal(dnsbl_detection_list(d, &p, 1000, NULL, 100), 0);
	assert_int_equal(dnsbl_detection_list(d, &p64, 0, "v6 customer $", 100), 0);
	h = q4(dnsbl_detection_ds(d), "198.51.100.7", 32);	/* at now 0 */
	assert_int_equal(h.n, 1);
	{
		struct dnsbl_key k;

		memset(&k, 0, sizeof(k));
		memset(&h, 0, sizeof(h));
		k.kinds = DNSBL_KEY_IP4;
		k.ip4 = 0xc6336407;
		k.ip4_bits = 32;
		dnsbl_detection_ds(d)->type->lookup(dnsbl_detection_ds(d), &k, 999, &h);
		assert_int_equal(h.n, 1);
		assert_int_equal(h.h[0].a, 0x7f000004);
		assert_true(has_txt(&h, "$ is infected"));
		memset(&h, 0, sizeof(h));
		dnsbl_detection_ds(d)->type->lookup(dnsbl_detection_ds(d), &k, 1000, &h);
		assert_int_equal(h.n, 0);	/* expired at 1000 */
	}
	h = q6(dnsbl_detection_ds(d), "2001:db8:1:2:abcd::1", 128, 5000);
	assert_int_equal(h.n, 1);
	assert_true(has_txt(&h, "v6 customer $"));
	assert_int_equal(q6(dnsbl_detection_ds(d), "2001:db8:1:3::1", 128, 5000).n, 0);
	assert_true(dnsbl_detection_get(d, &p64, 5000, &info));
	assert_string_equal(info.txt, "v6 customer $");
	assert_int_equal(dnsbl_detection_count(d), 2);
	assert_int_equal(dnsbl_detection_expire(d, 5000), 1);
	assert_int_equal(dnsbl_detection_count(d), 1);
	assert_int_equal(dnsbl_detection_unlist(d, &p), ERR_NOENT);
	assert_int_equal(dnsbl_detection_unlist(d, &p64), 0);
	assert_int_equal(dnsbl_detection_count(d), 0);
	ipprefix_parse("127.0.0.1", 9, &bad);
	assert_int_equal(dnsbl_detection_list(d, &bad, 0, NULL, 1), ERR_INVAL);
	bad.len = 100;	/* 127.0.0.1/4 in the mapped form: host bits */
	assert_int_equal(dnsbl_detection_list(d, &bad, 0, NULL, 1), ERR_INVAL);
	assert_int_equal(dnsbl_detection_list(d, &p, 0, NULL, 1), 0);
	assert_int_equal(dnsbl_detection_ds(d)->type->walk(dnsbl_detection_ds(d), 1,
	    count_block, &n), 0);
	assert_int_equal(n, 1);
	assert_true(dnsbl_detection_gen(d) >= 5);
	dnsbl_detection_free(d);
}

/* SQLite's discipline: fail the Nth allocation of a load for every N. */
static void
test_alloc_failures(void **state)
{
	static const char text[] = ":2:x $\n1.2.3.4 y\n10.0.0.0/8\n!10.1.1.1\n$1 v\n1.1.1.1 $1\n";
	const struct dnsbl_ds_type *types[] = { &dnsbl_ip4set_type, &dnsbl_ip4trie_type };
	long n;
	size_t t;

	(void)state;
	for (t = 0; t < 2; t++)
		for (n = 0; n < 200; n++) {
			struct dnsbl_ds *ds = NULL;
			char err[256];
			int rc;

			xmalloc_fail_after(n);
			rc = dnsbl_ds_load_text(types[t], "t.rbl", text, sizeof(text) - 1,
			    DNSBL_TEST_A, NULL, 300, &ds, err, sizeof(err));
			xmalloc_fail_after(-1);
			if (rc == 0) {
				assert_int_equal(q4(ds, "10.2.3.4", 32).n, 1);
				dnsbl_ds_free(ds);
				break;
			}
			assert_int_equal(rc, ERR_NOMEM);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip4set),
		cmocka_unit_test(test_ip4set_big),
		cmocka_unit_test(test_ip4trie),
		cmocka_unit_test(test_rmap_random),
		cmocka_unit_test(test_ip6trie_every_length),
		cmocka_unit_test(test_ip6trie),
		cmocka_unit_test(test_dnset),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_vars_and_base),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_detection),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests_name("dnsbl_sets", tests, NULL, NULL);
}
