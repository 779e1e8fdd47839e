/*
 * test_hostport.c - unit tests of "HOST:PORT" splitting (src/lib/hostport.c):
 * names, IPv4, bracketed IPv6, the empty and "*" host, and every way the
 * text can be wrong (no port, bad port, unbracketed IPv6, too long).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/hostport.h"

static void
test_good(void **state)
{
	static const struct {
		const char *in, *host;
		unsigned port;
	} cases[] = {
		{ "127.0.0.1:10040", "127.0.0.1", 10040 },
		{ "redis.example:6379", "redis.example", 6379 },
		{ "[::1]:53", "::1", 53 },
		{ "[2001:db8::7]:65535", "2001:db8::7", 65535 },
		{ "*:25", "*", 25 },
		{ ":1", "", 1 },
	};
	char host[64];
	unsigned port;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(hostport_split(cases[i].in, host, sizeof(host),
		    &port), 0);
		assert_string_equal(host, cases[i].host);
		assert_int_equal(port, cases[i].port);
	}
}

static void
test_bad(void **state)
{
	static const char *const cases[] = {
		"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:123456", "127.0.0.1:53a", "127.0.0.1:-1", "::1:53",
		"[::1]53", "[::1:53", "host: 53",
	};
	char host[64], small[4];
	unsigned port = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (hostport_split(cases[i], host, sizeof(host), &port) !=
		    ERR_MALFORMED)
			fail_msg("accepted \"%s\"", cases[i]);
	}
	/* A host that does not fit is refused, not cut. */
	assert_int_equal(hostport_split("abcd:1", small, sizeof(small), &port),
	    ERR_MALFORMED);
	assert_int_equal(hostport_split("abc:1", small, sizeof(small), &port),
	    0);
	assert_string_equal(small, "abc");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
