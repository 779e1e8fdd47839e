/*
 * test_ipaddr.c - unit tests of IPv4/IPv6 addresses and prefixes
 * (src/lib/ipaddr.c): parsing and formatting round trips, the mapped
 * IPv4 form, host bits, masks, containment, and inputs that must fail
 * (including a NUL inside the length, which inet_pton would not see).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/ipaddr.h"

static const struct {
	const char *name;
	const char *input;
	int rc;
	const char *want;	/* formatted back */
	bool v4;
} addr_cases[] = {
	{ "v4", "192.0.2.1", 0, "192.0.2.1", true },
	{ "v4 zero", "0.0.0.0", 0, "0.0.0.0", true },
	{ "v4 broadcast", "255.255.255.255", 0, "255.255.255.255", true },
	{ "v6", "2001:db8::1", 0, "2001:db8::1", false },
	{ "v6 long form", "2001:0db8:0000:0000:0000:0000:0000:0001", 0,
	  "2001:db8::1", false },
	{ "v6 upper", "2001:DB8::A", 0, "2001:db8::a", false },
	{ "v6 any", "::", 0, "::", false },
	{ "v6 loopback", "::1", 0, "::1", false },
	{ "postfix IPv6: prefix", "IPv6:2001:db8::2", 0, "2001:db8::2", false },
	{ "postfix ipv6: lower", "ipv6:::1", 0, "::1", false },
	{ "mapped v4 is v4", "::ffff:192.0.2.7", 0, "192.0.2.7", true },
	{ "v4 in v6 tail", "64:ff9b::192.0.2.1", 0, "64:ff9b::c000:201", false },
	{ "empty", "", ERR_MALFORMED, NULL, false },
	{ "v4 short", "192.0.2", ERR_MALFORMED, NULL, false },
	{ "v4 octet", "192.0.2.256", ERR_MALFORMED, NULL, false },
	{ "v4 leading zero", "192.0.2.01", ERR_MALFORMED, NULL, false },
	{ "v4 trailing dot", "192.0.2.1.", ERR_MALFORMED, NULL, false },
	{ "v4 blank", " 192.0.2.1", ERR_MALFORMED, NULL, false },
	{ "v6 two gaps", "1::2::3", ERR_MALFORMED, NULL, false },
	{ "v6 zone id", "fe80::1%eth0", ERR_MALFORMED, NULL, false },
	{ "v6 bracketed", "[::1]", ERR_MALFORMED, NULL, false },
	{ "hostname", "localhost", ERR_MALFORMED, NULL, false },
	{ "only prefix", "IPv6:", ERR_MALFORMED, NULL, false },
	{ "too long",
	  "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000", ERR_MALFORMED,
	  NULL, false },
};

static void
test_addr(void **state)
{
	char buf[IPADDR_STRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		struct ipaddr a;
		int rc = ipaddr_parse(addr_cases[i].input,
		    strlen(addr_cases[i].input), &a);

		if (rc != addr_cases[i].rc)
			fail_msg("%s: rc %d want %d", addr_cases[i].name, rc,
			    addr_cases[i].rc);
		if (rc != 0)
			continue;
		ipaddr_format(&a, buf, sizeof(buf));
		if (strcmp(buf, addr_cases[i].want) != 0)
			fail_msg("%s: got %s want %s", addr_cases[i].name, buf,
			    addr_cases[i].want);
		assert_int_equal(ipaddr_is_v4(&a), addr_cases[i].v4);
	}
}

static void
test_addr_not_terminated(void **state)
{
	struct ipaddr a;

	(void)state;
	/* The length counts, not the NUL: "10.0.0.12" cut to "10.0.0.1". */
	assert_int_equal(ipaddr_parse("10.0.0.12", 8, &a), 0);
	assert_int_equal(a.bytes[15], 1);
	/* A NUL inside the length is not the end of the address. */
	assert_int_equal(ipaddr_parse("10.0.0.1\0junk", 13, &a), ERR_MALFORMED);
	assert_int_equal(ipaddr_parse("::1\0", 4, &a), ERR_MALFORMED);
}

static void
test_mapped_form(void **state)
{
	struct ipaddr a;
	static const uint8_t want[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xff, 192, 0, 2, 1 };

	(void)state;
	assert_int_equal(ipaddr_parse("192.0.2.1", 9, &a), 0);
	assert_memory_equal(a.bytes, want, 16);
	assert_int_equal(ipaddr_bit(&a, 80), 1);
	assert_int_equal(ipaddr_bit(&a, 79), 0);
	assert_int_equal(ipaddr_bit(&a, 96), 1);	/* 192 = 0b11000000 */
	assert_int_equal(ipaddr_bit(&a, 98), 0);
	assert_int_equal(ipaddr_bit(&a, 127), 1);
}

static const struct {
	const char *name;
	const char *input;
	int rc;
	const char *want;
	unsigned len;		/* stored length */
} prefix_cases[] = {
	{ "v4", "10.0.0.0/8", 0, "10.0.0.0/8", 104 },
	{ "v4 host", "192.0.2.1", 0, "192.0.2.1/32", 128 },
	{ "v4 zero", "0.0.0.0/0", 0, "0.0.0.0/0", 96 },
	{ "v4 /32", "192.0.2.1/32", 0, "192.0.2.1/32", 128 },
	{ "v4 odd", "100.64.0.0/10", 0, "100.64.0.0/10", 106 },
	{ "v6", "2001:db8:100::/40", 0, "2001:db8:100::/40", 40 },
	{ "v6 host", "::1", 0, "::1/128", 128 },
	{ "v6 zero", "::/0", 0, "::/0", 0 },
	{ "v6 /128", "::1/128", 0, "::1/128", 128 },
	{ "v6 leading zeros in length", "2001:db8::/032", 0, "2001:db8::/32", 32 },
	{ "mapped written as v6", "::ffff:10.0.0.0/104", 0, "10.0.0.0/8", 104 },
	{ "mapped host as v6", "::ffff:192.0.2.1", 0, "192.0.2.1/32", 128 },
	{ "postfix prefix", "IPv6:2001:db8::/32", 0, "2001:db8::/32", 32 },
	{ "v4 host bits", "10.0.0.1/8", ERR_INVAL, NULL, 0 },
	{ "v6 host bits", "2001:db8::1/32", ERR_INVAL, NULL, 0 },
	{ "v4 length 33", "10.0.0.0/33", ERR_MALFORMED, NULL, 0 },
	{ "v6 length 129", "::/129", ERR_MALFORMED, NULL, 0 },
	{ "mapped v6 length", "::ffff:10.0.0.0/129", ERR_MALFORMED, NULL, 0 },
	{ "empty length", "10.0.0.0/", ERR_MALFORMED, NULL, 0 },
	{ "long length", "10.0.0.0/0008", ERR_MALFORMED, NULL, 0 },
	{ "letter length", "10.0.0.0/8a", ERR_MALFORMED, NULL, 0 },
	{ "negative length", "10.0.0.0/-8", ERR_MALFORMED, NULL, 0 },
	{ "no address", "/8", ERR_MALFORMED, NULL, 0 },
	{ "two slashes", "10.0.0.0/8/8", ERR_MALFORMED, NULL, 0 },
	{ "bad address", "10.0.0/8", ERR_MALFORMED, NULL, 0 },
	{ "empty", "", ERR_MALFORMED, NULL, 0 },
};

static void
test_prefix(void **state)
{
	char buf[IPPREFIX_STRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(prefix_cases) / sizeof(prefix_cases[0]); i++) {
		struct ipprefix p;
		int rc = ipprefix_parse(prefix_cases[i].input,
		    strlen(prefix_cases[i].input), &p);

		if (rc != prefix_cases[i].rc)
			fail_msg("%s: rc %d want %d", prefix_cases[i].name, rc,
			    prefix_cases[i].rc);
		if (rc != 0)
			continue;
		ipprefix_format(&p, buf, sizeof(buf));
		if (strcmp(buf, prefix_cases[i].want) != 0)
			fail_msg("%s: got %s want %s", prefix_cases[i].name, buf,
			    prefix_cases[i].want);
		assert_int_equal(p.len, prefix_cases[i].len);
	}
}

static void
test_mask(void **state)
{
	struct ipaddr a, b;
	char buf[IPADDR_STRLEN];
	unsigned i;

	(void)state;
	assert_int_equal(ipaddr_parse("2001:db8:ffff:ffff::ffff", 24, &a), 0);
	b = a;
	ipaddr_mask(&b, 128);
	assert_memory_equal(&a, &b, sizeof(a));
	ipaddr_mask(&b, 200);	/* beyond 128: unchanged */
	assert_memory_equal(&a, &b, sizeof(a));
	ipaddr_mask(&b, 36);
	ipaddr_format(&b, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8:f000::");
	ipaddr_mask(&b, 0);
	ipaddr_format(&b, buf, sizeof(buf));
	assert_string_equal(buf, "::");
	/* Every length clears exactly the bits after it. */
	memset(&a, 0xff, sizeof(a));
	for (i = 0; i <= 128; i++) {
		unsigned j, ones = 0;

		b = a;
		ipaddr_mask(&b, i);
		for (j = 0; j < 128; j++)
			ones += ipaddr_bit(&b, j);
		assert_int_equal(ones, i);
	}
}

static const struct {
	const char *prefix;
	const char *addr;
	bool in;
} contains_cases[] = {
	{ "10.0.0.0/8", "10.255.1.2", true },
	{ "10.0.0.0/8", "11.0.0.0", false },
	{ "100.64.0.0/10", "100.127.255.255", true },
	{ "100.64.0.0/10", "100.128.0.0", false },
	{ "0.0.0.0/0", "192.0.2.1", true },
	{ "0.0.0.0/0", "::1", false },		/* v4 any is not v6 */
	{ "::/0", "192.0.2.1", true },		/* v6 any covers mapped v4 */
	{ "2001:db8:100::/40", "2001:db8:1ff:ffff::1", true },
	{ "2001:db8:100::/40", "2001:db8:200::1", false },
	{ "::1/128", "::1", true },
	{ "::1/128", "::2", false },
	{ "192.0.2.1", "192.0.2.1", true },
	{ "192.0.2.1", "192.0.2.2", false },
};

static void
test_contains(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(contains_cases) / sizeof(contains_cases[0]); i++) {
		struct ipprefix p;
		struct ipaddr a;

		assert_int_equal(ipprefix_parse(contains_cases[i].prefix,
		    strlen(contains_cases[i].prefix), &p), 0);
		assert_int_equal(ipaddr_parse(contains_cases[i].addr,
		    strlen(contains_cases[i].addr), &a), 0);
		if (ipprefix_contains(&p, &a) != contains_cases[i].in)
			fail_msg("%s in %s: want %d", contains_cases[i].addr,
			    contains_cases[i].prefix, contains_cases[i].in);
	}
}

static void
test_format_small(void **state)
{
	struct ipaddr a;
	struct ipprefix p;
	char buf[6];

	(void)state;
	/* Formatting truncates into a small buffer, never overflows. */
	assert_int_equal(ipaddr_parse("192.0.2.1", 9, &a), 0);
	ipaddr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "192.0");
	assert_int_equal(ipprefix_parse("2001:db8::/32", 13, &p), 0);
	ipprefix_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "2001:");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_addr_not_terminated),
		cmocka_unit_test(test_mapped_form),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_format_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
