/*
 * test_http_jsonw.c - unit tests of the JSON writer of the HTTP API
 * (src/http/jsonw.c): punctuation at every nesting level, escaping,
 * numbers, the sticky errors of its limits, and percent-decoding of
 * paths (api_pct_decode).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "http/api.h"
#include "http/jsonw.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

static char *
take(struct jsonw *w)
{
	size_t len;
	char *s = jsonw_take(w, &len);

	assert_non_null(s);
	assert_int_equal(strlen(s), len);
	return s;
}

static void
test_nesting(void **state)
{
	struct jsonw w;
	char *s;

	(void)state;
	jsonw_init(&w, 1 << 20);
	jsonw_obj_begin(&w);
	jsonw_kstr(&w, "a", "x");
	jsonw_key(&w, "b");
	jsonw_arr_begin(&w);
	jsonw_int(&w, -1);
	jsonw_uint(&w, 18446744073709551615ull);
	jsonw_obj_begin(&w);
	jsonw_obj_end(&w);
	jsonw_arr_begin(&w);
	jsonw_arr_end(&w);
	jsonw_null(&w);
	jsonw_bool(&w, true);
	jsonw_arr_end(&w);
	jsonw_kdouble(&w, "c", 0.5);
	jsonw_kdouble(&w, "d", NAN);
	jsonw_key(&w, "t");
	jsonw_time(&w, 1764460800250000LL);
	jsonw_key(&w, "r");
	jsonw_raw(&w, "{\"k\": 1}", 8);
	jsonw_kbool(&w, "f", false);
	jsonw_obj_end(&w);
	s = take(&w);
	assert_string_equal(s, "{\"a\":\"x\",\"b\":[-1,18446744073709551615,{},[],"
	    "null,true],\"c\":0.5,\"d\":null,\"t\":1764460800.250,"
	    "\"r\":{\"k\": 1},\"f\":false}");
	xfree(s);
	jsonw_fini(&w);
}

static void
test_lines(void **state)
{
	struct jsonw w;
	char *s;

	(void)state;
	jsonw_init(&w, 1024);
	jsonw_obj_begin(&w);
	jsonw_kint(&w, "a", 1);
	jsonw_obj_end(&w);
	jsonw_newline(&w);
	jsonw_obj_begin(&w);
	jsonw_kint(&w, "b", 2);
	jsonw_obj_end(&w);
	jsonw_newline(&w);
	s = take(&w);
	assert_string_equal(s, "{\"a\":1}\n{\"b\":2}\n");
	xfree(s);
}

static void
test_escaping(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "q\"b\\", "\"q\\\"b\\\\\"" },
		{ "nl\n\t", "\"nl\\n\\t\"" },
		{ "\x01", "\"\\u0001\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "bad\xff", "\"bad\xef\xbf\xbd\"" },
		{ "</script>", "\"</script>\"" },
	};
	struct jsonw w;
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		jsonw_init(&w, 1024);
		jsonw_str(&w, cases[i].in);
		s = take(&w);
		assert_string_equal(s, cases[i].want);
		xfree(s);
	}
	jsonw_init(&w, 1024);
	jsonw_str(&w, NULL);
	s = take(&w);
	assert_string_equal(s, "null");
	xfree(s);
}

static void
test_limits(void **state)
{
	struct jsonw w;
	size_t len;
	int i;

	(void)state;
	jsonw_init(&w, 16);
	jsonw_str(&w, "0123456789abcdefghij");
	assert_int_equal(jsonw_error(&w), ERR_TOOBIG);
	jsonw_str(&w, "more");
	assert_null(jsonw_take(&w, &len));
	jsonw_fini(&w);

	jsonw_init(&w, 1 << 20);
	for (i = 0; i < JSONW_DEPTH_MAX + 1; i++)
		jsonw_arr_begin(&w);
	assert_int_equal(jsonw_error(&w), ERR_TOOBIG);
	jsonw_fini(&w);

	jsonw_init(&w, 1 << 20);
	xmalloc_fail_after(0);
	jsonw_str(&w, "x");
	xmalloc_fail_after(-1);
	assert_int_equal(jsonw_error(&w), ERR_NOMEM);
	jsonw_fini(&w);

	/* printf beyond the small buffer */
	jsonw_init(&w, 1 << 20);
	jsonw_printf(&w, "%0300d", 7);
	assert_int_equal(w.len, 300);
	jsonw_fini(&w);
}

static void
test_pct(void **state)
{
	static const struct {
		const char *in;
		bool plus;
		size_t cap;
		int want;
		const char *out;
	} cases[] = {
		{ "abc", false, 32, 3, "abc" },
		{ "2001:db8::%2F64", false, 32, 13, "2001:db8::/64" },
		{ "a+b", false, 32, 3, "a+b" },
		{ "a+b", true, 32, 3, "a b" },
		{ "%41%42", false, 32, 2, "AB" },
		{ "%4", false, 32, ERR_MALFORMED, NULL },
		{ "%", false, 32, ERR_MALFORMED, NULL },
		{ "%g0", false, 32, ERR_MALFORMED, NULL },
		{ "%00", false, 32, ERR_MALFORMED, NULL },
		{ "0123456789", false, 10, ERR_TOOBIG, NULL },
		{ "012345678", false, 10, 9, "012345678" },
		{ "", false, 32, 0, "" },
		{ "", false, 0, ERR_TOOBIG, NULL },
	};
	char buf[32];
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = api_pct_decode(cases[i].in, strlen(cases[i].in),
		    cases[i].plus, buf, cases[i].cap);
		if (got != cases[i].want)
			fail_msg("%s: got %d want %d", cases[i].in, got,
			    cases[i].want);
		if (cases[i].out != NULL)
			assert_string_equal(buf, cases[i].out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_pct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
