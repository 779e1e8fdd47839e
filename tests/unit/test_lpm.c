/*
 * test_lpm.c - unit tests of the longest-prefix-match trie
 * (src/lib/lpm.c): a table of nested IPv4 and IPv6 prefixes and the
 * addresses each must map to, duplicates, exact gets, every insertion
 * order against a brute-force scan, and allocation failure on insert.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/ipaddr.h"
#include "lib/lpm.h"
#include "lib/xmalloc.h"

static const char *const prefixes[] = {
	"100.64.0.0/10",	/* 0 */
	"100.64.1.0/24",	/* 1 */
	"100.64.1.128/25",	/* 2 */
	"198.51.100.0/24",	/* 3 */
	"127.0.0.0/8",		/* 4 */
	"0.0.0.0/0",		/* 5: every IPv4 address */
	"2001:db8:100::/40",	/* 6 */
	"2001:db8:100:5::/64",	/* 7 */
	"::1/128",		/* 8 */
	"10.1.2.3",		/* 9: a host */
	"2001:db8:ff00::/40",	/* 10: a sibling of 6 */
};

#define NP (sizeof(prefixes) / sizeof(prefixes[0]))

static const struct {
	const char *addr;
	int want;		/* index into prefixes, -1: none */
	unsigned len;		/* the matching length in the 128-bit form */
} lookups[] = {
	{ "100.64.1.2", 1, 96 + 24 },
	{ "100.64.1.200", 2, 96 + 25 },
	{ "100.64.1.127", 1, 96 + 24 },
	{ "100.127.255.255", 0, 96 + 10 },
	{ "100.128.0.0", 5, 96 },
	{ "198.51.100.77", 3, 96 + 24 },
	{ "127.0.0.1", 4, 96 + 8 },
	{ "10.1.2.3", 9, 128 },
	{ "10.1.2.4", 5, 96 },
	{ "2001:db8:100:5::1", 7, 64 },
	{ "2001:db8:100:6::1", 6, 40 },
	{ "2001:db8:1ff::1", 6, 40 },
	{ "2001:db8:200::1", -1, 0 },
	{ "2001:db8:ff12::9", 10, 40 },
	{ "::1", 8, 128 },
	{ "::2", -1, 0 },
	{ "2002::1", -1, 0 },
};

static void
parse_prefix(const char *text, struct ipprefix *p)
{
	assert_int_equal(ipprefix_parse(text, strlen(text), p), 0);
}

static struct lpm *
build(const size_t *order)
{
	struct lpm *lpm = lpm_new();
	struct ipprefix p;
	size_t i;

	assert_non_null(lpm);
	for (i = 0; i < NP; i++) {
		parse_prefix(prefixes[order[i]], &p);
		assert_int_equal(lpm_insert(lpm, &p, (uint32_t)order[i]), 0);
	}
	assert_int_equal(lpm_count(lpm), NP);
	return lpm;
}

static void
check_lookups(const struct lpm *lpm)
{
	struct ipaddr a;
	uint32_t v;
	unsigned len;
	size_t i;

	for (i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		bool found;

		assert_int_equal(ipaddr_parse(lookups[i].addr,
		    strlen(lookups[i].addr), &a), 0);
		found = lpm_lookup(lpm, &a, &v, &len);
		if (found != (lookups[i].want >= 0) ||
		    (found && (v != (uint32_t)lookups[i].want ||
		    len != lookups[i].len)))
			fail_msg("%s: got %d/%u/%u, want %d/%u", lookups[i].addr,
			    found, found ? v : 0, found ? len : 0,
			    lookups[i].want, lookups[i].len);
	}
}

static void
test_table(void **state)
{
	size_t order[NP], i;
	struct lpm *lpm;

	(void)state;
	for (i = 0; i < NP; i++)
		order[i] = i;
	lpm = build(order);
	check_lookups(lpm);
	lpm_free(lpm);
	/* Reverse order: shorter prefixes inserted after longer ones. */
	for (i = 0; i < NP; i++)
		order[i] = NP - 1 - i;
	lpm = build(order);
	check_lookups(lpm);
	lpm_free(lpm);
}

static void
test_shuffled(void **state)
{
	size_t order[NP], i, k, t;
	struct lpm *lpm;

	(void)state;
	srand(42);
	for (k = 0; k < 200; k++) {
		for (i = 0; i < NP; i++)
			order[i] = i;
		for (i = NP - 1; i > 0; i--) {
			size_t j = (size_t)rand() % (i + 1);

			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		lpm = build(order);
		check_lookups(lpm);
		lpm_free(lpm);
	}
}

/* Random prefixes against a brute-force longest match. */
static void
test_random_vs_scan(void **state)
{
	enum { N = 300, Q = 3000 };
	struct ipprefix *ps = calloc(N, sizeof(*ps));
	struct lpm *lpm = lpm_new();
	struct ipaddr a;
	uint32_t v;
	unsigned len;
	size_t i, q, n = 0;

	(void)state;
	assert_non_null(ps);
	srand(7);
	for (i = 0; i < N; i++) {
		struct ipprefix p;
		int rc;

		memset(&p, 0, sizeof(p));
		/* A small address space, so prefixes nest and collide. */
		p.addr.bytes[0] = (uint8_t)(rand() & 0x3);
		p.addr.bytes[1] = (uint8_t)(rand() & 0xff);
		p.addr.bytes[2] = (uint8_t)(rand() & 0xff);
		p.len = (uint8_t)(rand() % 25);
		ipaddr_mask(&p.addr, p.len);
		rc = lpm_insert(lpm, &p, (uint32_t)n);
		if (rc == ERR_EXIST)
			continue;
		assert_int_equal(rc, 0);
		ps[n++] = p;
	}
	assert_int_equal(lpm_count(lpm), n);
	for (q = 0; q < Q; q++) {
		int best = -1;

		memset(&a, 0, sizeof(a));
		a.bytes[0] = (uint8_t)(rand() & 0x3);
		a.bytes[1] = (uint8_t)(rand() & 0xff);
		a.bytes[2] = (uint8_t)(rand() & 0xff);
		for (i = 0; i < n; i++) {
			if (ipprefix_contains(&ps[i], &a) &&
			    (best < 0 || ps[i].len > ps[best].len))
				best = (int)i;
		}
		if (best < 0)
			assert_false(lpm_lookup(lpm, &a, &v, &len));
		else {
			assert_true(lpm_lookup(lpm, &a, &v, &len));
			assert_int_equal(v, (uint32_t)best);
			assert_int_equal(len, ps[best].len);
		}
	}
	lpm_free(lpm);
	free(ps);
}

static void
test_duplicate_and_get(void **state)
{
	struct lpm *lpm = lpm_new();
	struct ipprefix p;
	uint32_t v;

	(void)state;
	parse_prefix("100.64.0.0/10", &p);
	assert_int_equal(lpm_insert(lpm, &p, 1), 0);
	assert_int_equal(lpm_insert(lpm, &p, 2), ERR_EXIST);
	assert_true(lpm_get(lpm, &p, &v));
	assert_int_equal(v, 1);
	assert_int_equal(lpm_count(lpm), 1);
	/* A glue node (the branching point of two prefixes) has no value. */
	parse_prefix("100.128.0.0/10", &p);
	assert_int_equal(lpm_insert(lpm, &p, 3), 0);
	parse_prefix("100.0.0.0/8", &p);
	assert_false(lpm_get(lpm, &p, &v));
	parse_prefix("100.64.0.0/11", &p);
	assert_false(lpm_get(lpm, &p, &v));
	p.len = 129;
	assert_int_equal(lpm_insert(lpm, &p, 4), ERR_INVAL);
	assert_false(lpm_get(lpm, &p, &v));
	lpm_free(lpm);
	lpm_free(NULL);
}

static void
test_empty(void **state)
{
	struct lpm *lpm = lpm_new();
	struct ipaddr a;
	uint32_t v;

	(void)state;
	assert_int_equal(ipaddr_parse("1.2.3.4", 7, &a), 0);
	assert_false(lpm_lookup(lpm, &a, &v, NULL));
	assert_int_equal(lpm_count(lpm), 0);
	lpm_free(lpm);
}

/* Fail the n-th allocation for every n: the table stays usable. */
static void
test_nomem(void **state)
{
	struct ipprefix p;
	long n;
	size_t i;

	(void)state;
	for (n = 0; n < 20; n++) {
		struct lpm *lpm;
		size_t ok = 0;

		xmalloc_fail_after(n);
		lpm = lpm_new();
		if (lpm == NULL) {
			xmalloc_fail_after(-1);
			continue;
		}
		for (i = 0; i < NP; i++) {
			int rc;

			parse_prefix(prefixes[i], &p);
			rc = lpm_insert(lpm, &p, (uint32_t)i);
			assert_true(rc == 0 || rc == ERR_NOMEM);
			ok += rc == 0;
		}
		xmalloc_fail_after(-1);
		assert_int_equal(lpm_count(lpm), ok);
		/* Retry what failed: then every lookup is right. */
		for (i = 0; i < NP; i++) {
			int rc;

			parse_prefix(prefixes[i], &p);
			rc = lpm_insert(lpm, &p, (uint32_t)i);
			assert_true(rc == 0 || rc == ERR_EXIST);
		}
		check_lookups(lpm);
		lpm_free(lpm);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_shuffled),
		cmocka_unit_test(test_random_vs_scan),
		cmocka_unit_test(test_duplicate_and_get),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
