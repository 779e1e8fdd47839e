/*
 * test_json_esc.c - unit tests of the JSON string escaper
 * (src/lib/json_esc.c): a table of inputs and their escaped forms, the
 * size limit (ERR_TOOBIG at every too-small cap), and json_esc_len().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/json_esc.h"

static const struct {
	const char *name;
	const char *input;
	size_t len;		/* 0: strlen(input) */
	const char *want;
} cases[] = {
	{ "empty", "", 0, "" },
	{ "plain", "hello world", 0, "hello world" },
	{ "quote", "a\"b", 0, "a\\\"b" },
	{ "backslash", "a\\b", 0, "a\\\\b" },
	{ "slash kept", "a/b", 0, "a/b" },
	{ "short escapes", "\b\f\n\r\t", 0, "\\b\\f\\n\\r\\t" },
	{ "control", "\x01\x1f", 0, "\\u0001\\u001f" },
	{ "del", "\x7f", 0, "\\u007f" },
	{ "nul", "a\0b", 3, "a\\u0000b" },
	{ "utf8 2 bytes", "caf\xc3\xa9", 0, "caf\xc3\xa9" },
	{ "utf8 3 bytes", "\xe2\x82\xac", 0, "\xe2\x82\xac" },
	{ "utf8 4 bytes", "\xf0\x9f\x98\x80", 0, "\xf0\x9f\x98\x80" },
	{ "line separator", "a\xe2\x80\xa8" "b\xe2\x80\xa9", 0,
	  "a\\u2028b\\u2029" },
	{ "latin1 byte", "caf\xe9", 0, "caf\xef\xbf\xbd" },
	{ "lone continuation", "\x80x", 0, "\xef\xbf\xbdx" },
	{ "overlong", "\xc0\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd" },
	{ "surrogate encoded", "\xed\xa0\x80", 0,
	  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "above U+10FFFF", "\xf4\x90\x80\x80", 0,
	  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "overlong 3 bytes", "\xe0\x80\x80", 0,
	  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "overlong 4 bytes", "\xf0\x80\x80\x80", 0,
	  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "truncated sequence", "\xe2\x82", 0, "\xef\xbf\xbd\xef\xbf\xbd" },
	{ "mixed", "<\"x\"\n\\>", 0, "<\\\"x\\\"\\n\\\\>" },
};

static void
test_cases(void **state)
{
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].input);
		int n = json_esc_write(buf, sizeof(buf), cases[i].input, len);

		if (n < 0 || strcmp(buf, cases[i].want) != 0)
			fail_msg("%s: got %d \"%s\" want \"%s\"", cases[i].name, n,
			    n < 0 ? "" : buf, cases[i].want);
		assert_int_equal(n, strlen(cases[i].want));
		assert_int_equal(json_esc_len(cases[i].input, len), (size_t)n);
	}
}

static void
test_toobig(void **state)
{
	char buf[32];
	size_t cap;
	const char *in = "a\"b\n\x01";	/* escapes to 12 bytes */

	(void)state;
	assert_int_equal(json_esc_len(in, strlen(in)), 12);
	for (cap = 0; cap <= 12; cap++) {
		memset(buf, 'X', sizeof(buf));
		assert_int_equal(json_esc_write(buf, cap, in, strlen(in)),
		    ERR_TOOBIG);
		if (cap > 0)
			assert_int_equal(buf[0], '\0');
		else
			assert_int_equal(buf[0], 'X');	/* untouched */
	}
	assert_int_equal(json_esc_write(buf, 13, in, strlen(in)), 12);
	assert_string_equal(buf, "a\\\"b\\n\\u0001");
	/* Plain input that needs no escape still needs room for the NUL. */
	assert_int_equal(json_esc_write(buf, 3, "abc", 3), ERR_TOOBIG);
	assert_int_equal(json_esc_write(buf, 4, "abc", 3), 3);
}

static void
test_long(void **state)
{
	static char in[10000], out[60001];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i % 128);
	assert_int_equal(json_esc_write(out, sizeof(out), in, sizeof(in)),
	    (int)json_esc_len(in, sizeof(in)));
	assert_int_equal(json_esc_write(out, json_esc_len(in, sizeof(in)), in,
	    sizeof(in)), ERR_TOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_toobig),
		cmocka_unit_test(test_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
