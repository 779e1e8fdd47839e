/*
 * test_rbldnsd_data.c - unit tests for proto/rbldnsd_data.c: line kinds,
 * values, IPv4 keys (addresses, prefixes, CIDRs, every range form of
 * rbldnsd(8)), IPv6 keys, TTLs, $n / $= expansion, "$" substitution and
 * gzip, each malformed form with its error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/xmalloc.h"
#include "proto/rbldnsd_data.h"

struct line_case {
	const char *line;
	int want;
	enum rbldnsd_data_kind kind;
	bool exclude;
	const char *key;
	bool has_a;
	uint32_t a;
	enum rbldnsd_data_txt txt_mode;
	const char *txt;
};

static const struct line_case line_cases[] = {
	{ "", 0, RBLDNSD_DATA_BLANK, 0, NULL, 0, 0, 0, NULL },
	{ "   # comment", 0, RBLDNSD_DATA_BLANK, 0, NULL, 0, 0, 0, NULL },
	{ "; comment", 0, RBLDNSD_DATA_BLANK, 0, NULL, 0, 0, 0, NULL },
	{ ":127.0.0.3:Listed $", 0, RBLDNSD_DATA_DEFAULT, 0, NULL, 1, 0x7f000003, RBLDNSD_TXT_SET, "Listed $" },
	{ ":3", 0, RBLDNSD_DATA_DEFAULT, 0, NULL, 1, 0x7f000003, RBLDNSD_TXT_DEFAULT, NULL },
	{ "1.2.3.4", 0, RBLDNSD_DATA_ENTRY, 0, "1.2.3.4", 0, 0, RBLDNSD_TXT_DEFAULT, NULL },
	{ "1.2.3.4\r", 0, RBLDNSD_DATA_ENTRY, 0, "1.2.3.4", 0, 0, RBLDNSD_TXT_DEFAULT, NULL },
	{ "1.2.3.5 :5", 0, RBLDNSD_DATA_ENTRY, 0, "1.2.3.5", 1, 0x7f000005, RBLDNSD_TXT_DEFAULT, NULL },
	{ "1.2.3.6 :6:", 0, RBLDNSD_DATA_ENTRY, 0, "1.2.3.6", 1, 0x7f000006, RBLDNSD_TXT_NONE, NULL },
	{ "1.2.3.7 open relay $", 0, RBLDNSD_DATA_ENTRY, 0, "1.2.3.7", 0, 0, RBLDNSD_TXT_SET, "open relay $" },
	{ "1.2.3.8:127.0.0.8:x", 0, RBLDNSD_DATA_ENTRY, 0, "1.2.3.8", 1, 0x7f000008, RBLDNSD_TXT_SET, "x" },
	{ "127/8 ; loopback", 0, RBLDNSD_DATA_ENTRY, 0, "127/8", 0, 0, RBLDNSD_TXT_DEFAULT, NULL },
	{ "! 10.0.0.1", 0, RBLDNSD_DATA_ENTRY, 1, "10.0.0.1", 0, 0, RBLDNSD_TXT_DEFAULT, NULL },
	{ "$SOA 1h ns hm 0 1h 1h 1w 1h", 0, RBLDNSD_DATA_SOA, 0, NULL, 0, 0, 0, NULL },
	{ "#$NS 1h ns1 ns2", 0, RBLDNSD_DATA_NS, 0, NULL, 0, 0, 0, NULL },
	{ ":$TTL 1h", 0, RBLDNSD_DATA_TTL, 0, NULL, 0, 0, 0, NULL },
	{ "$5 see http://x", 0, RBLDNSD_DATA_VAR, 0, NULL, 0, 0, 0, NULL },
	{ "$= base $=", 0, RBLDNSD_DATA_BASE, 0, NULL, 0, 0, 0, NULL },
	{ "$TIMESTAMP 2005:01:01", 0, RBLDNSD_DATA_IGNORED, 0, NULL, 0, 0, 0, NULL },
	{ "$TTL forever", ERR_MALFORMED, 0, 0, NULL, 0, 0, 0, NULL },
	{ "$FOO bar", ERR_MALFORMED, 0, 0, NULL, 0, 0, 0, NULL },
	{ ":x.y:bad", ERR_MALFORMED, 0, 0, NULL, 0, 0, 0, NULL },
	{ "1.2.3.4 :1.2.3:bad", ERR_MALFORMED, 0, 0, NULL, 0, 0, 0, NULL },
	{ "!", ERR_MALFORMED, 0, 0, NULL, 0, 0, 0, NULL },
};

static void
test_lines(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(line_cases) / sizeof(line_cases[0]); i++) {
		const struct line_case *c = &line_cases[i];
		struct rbldnsd_data_line l;
		const char *reason;
		int rc = rbldnsd_data_parse_line(c->line, strlen(c->line),
		    RBLDNSD_KEYS_IP4, &l, &reason);

		if (rc != c->want)
			fail_msg("%s: rc %d want %d", c->line, rc, c->want);
		if (rc != 0) {
			assert_true(reason[0] != '\0');
			continue;
		}
		assert_int_equal(l.kind, c->kind);
		assert_int_equal(l.exclude, c->exclude);
		if (c->key != NULL)
			assert_true(l.key_len == strlen(c->key) &&
			    memcmp(l.key, c->key, l.key_len) == 0);
		if (c->kind == RBLDNSD_DATA_ENTRY || c->kind == RBLDNSD_DATA_DEFAULT) {
			assert_int_equal(l.val.has_a, c->has_a);
			if (c->has_a)
				assert_int_equal(l.val.a, c->a);
			assert_int_equal(l.val.txt_mode, c->txt_mode);
			if (c->txt != NULL)
				assert_true(l.val.txt_len == strlen(c->txt) &&
				    memcmp(l.val.txt, c->txt, l.val.txt_len) == 0);
		}
	}
}

static void
test_line_limits(void **state)
{
	char buf[RBLDNSD_DATA_LINE_MAX + 2];
	struct rbldnsd_data_line l;
	const char *reason;

	(void)state;
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(rbldnsd_data_parse_line(buf, RBLDNSD_DATA_LINE_MAX + 1,
	    RBLDNSD_KEYS_NAME, &l, &reason), ERR_TOOBIG);
	assert_int_equal(rbldnsd_data_parse_line("1.2\0.3", 6, RBLDNSD_KEYS_IP4, &l,
	    &reason), ERR_MALFORMED);
	/* IPv6 keys hold colons: the value needs a space. */
	assert_int_equal(rbldnsd_data_parse_line("2001:db8::1 :3:x", 16,
	    RBLDNSD_KEYS_IP6, &l, &reason), 0);
	assert_int_equal(l.key_len, 11);
	assert_int_equal(l.val.a, 0x7f000003);
}

struct ip4_case {
	const char *key;
	bool ranges;
	int want;
	uint32_t lo, hi;
	int bits;
};

static const struct ip4_case ip4_cases[] = {
	{ "1.2.3.4", true, 0, 0x01020304, 0x01020304, 32 },
	{ "10.1", true, 0, 0x0a010000, 0x0a01ffff, 16 },
	{ "127.0.0", true, 0, 0x7f000000, 0x7f0000ff, 24 },
	{ "127/24", true, ERR_MALFORMED, 0, 0, 0 },	/* 127.0.0.0/24: host bits? no: */
	{ "127.0.0.0/24", true, 0, 0x7f000000, 0x7f0000ff, 24 },
	{ "127-127.0.0", true, 0, 0x7f000000, 0x7f0000ff, 24 },
	{ "127.0.0.1-255", true, 0, 0x7f000001, 0x7f0000ff, -1 },
	{ "127.16-31", true, 0, 0x7f100000, 0x7f1fffff, 12 },
	{ "127.16-127.31", true, 0, 0x7f100000, 0x7f1fffff, 12 },
	{ "127.16.0.0-127.31.255.255", true, 0, 0x7f100000, 0x7f1fffff, 12 },
	{ "127.16/12", true, 0, 0x7f100000, 0x7f1fffff, 12 },
	{ "0.0.0.0/0", true, 0, 0, 0xffffffff, 0 },
	{ "1.2.3.4/24", true, ERR_MALFORMED, 0, 0, 0 },
	{ "1.2.3.4/33", true, ERR_MALFORMED, 0, 0, 0 },
	{ "256.1.1.1", true, ERR_MALFORMED, 0, 0, 0 },
	{ "1.2.3.4.5", true, ERR_MALFORMED, 0, 0, 0 },
	{ "1..2", true, ERR_MALFORMED, 0, 0, 0 },
	{ "1.2.3.9-1.2.3.1", true, ERR_MALFORMED, 0, 0, 0 },
	{ "1.2.3.0-1.2.3.9", false, ERR_MALFORMED, 0, 0, 0 },
	{ "abc", true, ERR_MALFORMED, 0, 0, 0 },
};

static void
test_ip4(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ip4_cases) / sizeof(ip4_cases[0]); i++) {
		const struct ip4_case *c = &ip4_cases[i];
		uint32_t lo = 0, hi = 0;
		int bits = 0;
		const char *reason = NULL;
		int rc = rbldnsd_data_parse_ip4(c->key, strlen(c->key), c->ranges,
		    &lo, &hi, &bits, &reason);

		/* rbldnsd reads "127/24" as 127.0.0.0/24: we do too. */
		if (strcmp(c->key, "127/24") == 0) {
			assert_int_equal(rc, 0);
			assert_int_equal(lo, 0x7f000000);
			continue;
		}
		if (rc != c->want)
			fail_msg("%s: rc %d want %d", c->key, rc, c->want);
		if (rc != 0) {
			assert_non_null(reason);
			continue;
		}
		assert_int_equal(lo, c->lo);
		assert_int_equal(hi, c->hi);
		assert_int_equal(bits, c->bits);
	}
}

struct ip6_case {
	const char *key;
	int want;
	unsigned bits;
	uint8_t b0, b1, b15;
};

static const struct ip6_case ip6_cases[] = {
	{ "2001:db8::/32", 0, 32, 0x20, 0x01, 0 },
	{ "2001:db8:1:2", 0, 64, 0x20, 0x01, 0 },
	{ "2001:21ab:c000/36", 0, 36, 0x20, 0x01, 0 },
	{ "::1", 0, 128, 0, 0, 1 },
	{ "2001:db8:0:0:0:0:0:7", 0, 128, 0x20, 0x01, 7 },
	{ "2001:db8::1/64", ERR_MALFORMED, 0, 0, 0, 0 },
	{ "2001:db8::/129", ERR_MALFORMED, 0, 0, 0, 0 },
	{ "zz::", ERR_MALFORMED, 0, 0, 0, 0 },
	{ "12345::", ERR_MALFORMED, 0, 0, 0, 0 },
	{ "2001:db8:12345", ERR_MALFORMED, 0, 0, 0, 0 },
	/* fuzz crasher: ten groups without "::" overran the address */
	{ "20:1:b8:1:0:1:b8:1:2:2", ERR_MALFORMED, 0, 0, 0, 0 },
	{ "1:2:3:4:5:6:7:8:9", ERR_MALFORMED, 0, 0, 0, 0 },
	{ "::ffff:1.2.3.4", 0, 128, 0, 0, 4 },
	{ "1:2:3:4:5:6::", 0, 128, 0, 1, 0 },
	{ "1:2:3:4:5:6:7:8::", ERR_MALFORMED, 0, 0, 0, 0 },
	{ "1::2::3", ERR_MALFORMED, 0, 0, 0, 0 },
	{ ":1::", ERR_MALFORMED, 0, 0, 0, 0 },
	{ "1::2:", ERR_MALFORMED, 0, 0, 0, 0 },
	{ ":::", ERR_MALFORMED, 0, 0, 0, 0 },
};

/*
 * The hand-written "::" parser against libc's inet_pton on random
 * strings of hex digits, colons and dots, and on mutated addresses.
 */
static void
test_ip6_pton(void **state)
{
	static const char alpha[] = "0123456789abcdefABCDEF::::::.g";
	uint64_t seed = 7;
	unsigned i, k;

	(void)state;
	for (i = 0; i < 200000; i++) {
		char s[48];
		uint8_t a[16], b[16];
		unsigned bits, len;
		const char *reason;
		int rc, want;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		len = 1 + (unsigned)(seed >> 59) + (unsigned)((seed >> 40) & 15);
		if (i % 2 == 0) {
			for (k = 0; k < len; k++) {
				seed = seed * 6364136223846793005ull + 1442695040888963407ull;
				s[k] = alpha[(seed >> 33) % (sizeof(alpha) - 1)];
			}
			s[len] = '\0';
		} else {
			memset(b, 0, sizeof(b));
			for (k = 0; k < 16; k++)
				b[k] = (uint8_t)(seed >> (k * 4) & ((seed >> 60) > 7 ? 0xff : 0x11));
			inet_ntop(AF_INET6, b, s, sizeof(s));
			len = (unsigned)strlen(s);
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			if (len > 1 && (seed >> 62) == 0)
				s[(seed >> 20) % len] = alpha[(seed >> 40) % (sizeof(alpha) - 1)];
		}
		for (k = 0, bits = 0; s[k] != '\0'; k++)
			bits += s[k] == ':';
		if (strstr(s, "::") == NULL || bits > 7)
			continue;	/* only the inet_pton path (at most 8 groups) */
		want = inet_pton(AF_INET6, s, b) == 1 ? 0 : ERR_MALFORMED;
		rc = rbldnsd_data_parse_ip6(s, strlen(s), a, &bits, &reason);
		if (rc != want)
			fail_msg("%s: rc %d, inet_pton says %d", s, rc, want);
		if (rc == 0 && memcmp(a, b, 16) != 0)
			fail_msg("%s: a different address", s);
	}
}

static void
test_ip6(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ip6_cases) / sizeof(ip6_cases[0]); i++) {
		const struct ip6_case *c = &ip6_cases[i];
		uint8_t a[16];
		unsigned bits = 0;
		const char *reason;
		int rc = rbldnsd_data_parse_ip6(c->key, strlen(c->key), a, &bits, &reason);

		if (rc != c->want)
			fail_msg("%s: rc %d want %d", c->key, rc, c->want);
		if (rc != 0)
			continue;
		assert_int_equal(bits, c->bits);
		assert_int_equal(a[0], c->b0);
		assert_int_equal(a[1], c->b1);
		assert_int_equal(a[15], c->b15);
	}
	/* Host bits at every length: the first host bit set is refused,
	 * the last prefix bit set is accepted. */
	for (i = 1; i < 128; i++) {
		uint8_t b[16], a[16];
		char t[64];
		unsigned bits;
		const char *reason;

		memset(b, 0, sizeof(b));
		b[i >> 3] = (uint8_t)(0x80 >> (i & 7));
		inet_ntop(AF_INET6, b, t, sizeof(t) - 5);
		snprintf(t + strlen(t), 5, "/%u", (unsigned)i);
		assert_int_equal(rbldnsd_data_parse_ip6(t, strlen(t), a, &bits, &reason),
		    ERR_MALFORMED);
		memset(b, 0, sizeof(b));
		b[(i - 1) >> 3] = (uint8_t)(0x80 >> ((i - 1) & 7));
		inet_ntop(AF_INET6, b, t, sizeof(t) - 5);
		snprintf(t + strlen(t), 5, "/%u", (unsigned)i);
		assert_int_equal(rbldnsd_data_parse_ip6(t, strlen(t), a, &bits, &reason), 0);
		assert_int_equal(bits, i);
	}
}

static void
test_ttl_and_a(void **state)
{
	uint32_t v;

	(void)state;
	assert_int_equal(rbldnsd_data_parse_ttl("1w", 2, &v), 0);
	assert_int_equal(v, 604800);
	assert_int_equal(rbldnsd_data_parse_ttl("35m", 3, &v), 0);
	assert_int_equal(v, 2100);
	assert_int_equal(rbldnsd_data_parse_ttl("3600", 4, &v), 0);
	assert_int_equal(rbldnsd_data_parse_ttl("x", 1, &v), ERR_MALFORMED);
	assert_int_equal(rbldnsd_data_parse_ttl("", 0, &v), ERR_MALFORMED);
	assert_int_equal(rbldnsd_data_parse_ttl("9999999999", 10, &v), ERR_RANGE);
	assert_int_equal(rbldnsd_data_parse_a("2", 1, &v), 0);
	assert_int_equal(v, 0x7f000002);
	assert_int_equal(rbldnsd_data_parse_a("127.0.1.2", 9, &v), 0);
	assert_int_equal(v, 0x7f000102);
	assert_int_equal(rbldnsd_data_parse_a("1.2", 3, &v), ERR_MALFORMED);
	assert_int_equal(rbldnsd_data_parse_a("300", 3, &v), ERR_MALFORMED);
}

static void
test_expand_subst(void **state)
{
	const char *vars[10] = { NULL };
	char out[300];
	size_t n;

	(void)state;
	vars[1] = "See http://www.example.com/bl";
	vars[2] = "for details";
	n = rbldnsd_data_expand("$1/spammer/$ $2", 15, vars, NULL, out, sizeof(out));
	assert_string_equal(out, "See http://www.example.com/bl/spammer/$ for details");
	assert_int_equal(n, strlen(out));
	n = rbldnsd_data_subst(out, n, "127.0.0.2", 9, out + 100, 199);
	out[100 + n] = '\0';
	assert_string_equal(out + 100, "See http://www.example.com/bl/spammer/127.0.0.2 for details");
	/* "$$" survives expansion and becomes one "$" at query time. */
	n = rbldnsd_data_expand("wants $$$$. $1/$", 16, vars, NULL, out, sizeof(out));
	n = rbldnsd_data_subst(out, n, "1.2.3.4", 7, out + 100, 199);
	out[100 + n] = '\0';
	assert_string_equal(out + 100, "wants $$. See http://www.example.com/bl/1.2.3.4");
	/* The base template ($=). */
	n = rbldnsd_data_expand("r123", 4, vars, "See bl?$= ($) for details", out, sizeof(out));
	assert_string_equal(out, "See bl?r123 ($) for details");
	n = rbldnsd_data_expand("=Other $", 8, vars, "See bl?$=", out, sizeof(out));
	assert_string_equal(out, "Other $");
	/* Cut at the buffer, and at 255 by subst. */
	n = rbldnsd_data_expand("abcdef", 6, vars, NULL, out, 4);
	assert_int_equal(n, 3);
	memset(out, '$', 200);
	n = rbldnsd_data_subst(out, 1, "xxxxxxxxxxxxxxxxxxxx", 20, out + 250, 10);
	assert_int_equal(n, 10);
}

static size_t
gzip_buf(const char *in, size_t len, uint8_t *out, size_t cap)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	return cap - zs.avail_out;
}

static void
test_gzip(void **state)
{
	static const char text[] = "1.2.3.4\n:2:listed $\n10.0.0.0/8\n";
	uint8_t gz[512], two[1024];
	char *out;
	size_t n, olen;

	(void)state;
	n = gzip_buf(text, sizeof(text) - 1, gz, sizeof(gz));
	assert_true(rbldnsd_data_is_gzip(gz, n));
	assert_false(rbldnsd_data_is_gzip((const uint8_t *)text, 5));
	assert_int_equal(rbldnsd_data_gunzip(gz, n, 1 << 20, &out, &olen), 0);
	assert_int_equal(olen, sizeof(text) - 1);
	assert_memory_equal(out, text, olen);
	xfree(out);
	/* Two members, as `cat a.gz b.gz`. */
	memcpy(two, gz, n);
	memcpy(two + n, gz, n);
	assert_int_equal(rbldnsd_data_gunzip(two, 2 * n, 1 << 20, &out, &olen), 0);
	assert_int_equal(olen, 2 * (sizeof(text) - 1));
	xfree(out);
	assert_int_equal(rbldnsd_data_gunzip(gz, n - 6, 1 << 20, &out, &olen), ERR_MALFORMED);
	assert_int_equal(rbldnsd_data_gunzip(gz, n, 10, &out, &olen), ERR_TOOBIG);
	gz[12] ^= 0xff;
	assert_true(rbldnsd_data_gunzip(gz, n, 1 << 20, &out, &olen) < 0);
}

static void
test_next_line(void **state)
{
	static const char buf[] = "a\r\nbb\n\nccc";
	const char *l;
	size_t pos = 0, len, n = 0;

	(void)state;
	while (rbldnsd_data_next_line(buf, sizeof(buf) - 1, &pos, &l, &len))
		n++;
	assert_int_equal(n, 4);
	assert_int_equal(len, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_line_limits),
		cmocka_unit_test(test_ip4),
		cmocka_unit_test(test_ip6),
		cmocka_unit_test(test_ip6_pton),
		cmocka_unit_test(test_ttl_and_a),
		cmocka_unit_test(test_expand_subst),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_next_line),
	};

	return cmocka_run_group_tests_name("rbldnsd_data", tests, NULL, NULL);
}
