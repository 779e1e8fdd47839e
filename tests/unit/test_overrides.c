/*
 * test_overrides.c - unit tests of the overrides map parser
 * (src/proto/overrides.c): a table of good and bad inputs with the error
 * code, line and reason each must give; every limit (line length, line
 * count, key length, limits per key) at and just over its bound; lookups
 * (case-insensitive); and allocation failure at every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/xmalloc.h"
#include "proto/overrides.h"

static const struct {
	const char *name;
	const char *input;
	size_t len;		/* 0: strlen(input) */
	int rc;
	int line;		/* error line, or entries expected when rc == 0 */
	const char *reason;	/* a substring of the reason */
} cases[] = {
	{ "empty", "", 0, 0, 0, NULL },
	{ "comments and blanks", "# a comment\n\n   \n\t# indented\n", 0, 0, 0,
	  NULL },
	{ "exempt", "news@shop.example exempt\n", 0, 0, 1, NULL },
	{ "rates", "u1042  msgs_per_hour=1000/1h, rcpts=5000/d\n", 0, 0, 1, NULL },
	{ "rates blank separated", "u1 a=1/h b=2/30s\n", 0, 0, 1, NULL },
	{ "crlf", "u1 exempt\r\nu2 a=1/h\r\n", 0, 0, 2, NULL },
	{ "no final newline", "u1 exempt", 0, 0, 1, NULL },
	{ "exempt any case", "u1 EXEMPT\n", 0, 0, 1, NULL },
	{ "tabs", "\tu1\t\ta=5/m\t\n", 0, 0, 1, NULL },
	{ "no value", "# c\nu1\n", 0, ERR_MALFORMED, 2, "has no value" },
	{ "only commas", "u1 ,,,\n", 0, ERR_MALFORMED, 1, "has no value" },
	{ "unknown word", "u1 exempted\n", 0, ERR_MALFORMED, 1, "unknown word" },
	{ "empty limit name", "u1 =1/h\n", 0, ERR_MALFORMED, 1, "empty limit name" },
	{ "bad rate", "u1 a=lots\n", 0, ERR_MALFORMED, 1, "bad rate" },
	{ "zero rate", "u1 a=0/h\n", 0, ERR_MALFORMED, 1, "bad rate" },
	{ "empty rate", "u1 a=\n", 0, ERR_MALFORMED, 1, "bad rate" },
	{ "exempt then rate", "u1 exempt a=1/h\n", 0, ERR_MALFORMED, 1,
	  "exempt goes alone" },
	{ "rate then exempt", "u1 a=1/h exempt\n", 0, ERR_MALFORMED, 1,
	  "exempt goes alone" },
	{ "exempt twice", "u1 exempt exempt\n", 0, ERR_MALFORMED, 1,
	  "exempt goes alone" },
	{ "duplicate key", "u1 exempt\n\nU1 a=1/h\n", 0, ERR_EXIST, 3,
	  "already given on line 1" },
	{ "duplicate limit", "u1 a=1/h,a=2/h\n", 0, ERR_EXIST, 1, "given twice" },
	{ "nul byte", "u1 exempt\nu2\0 exempt\n", 22, ERR_MALFORMED, 2, "NUL" },
};

static void
test_cases(void **state)
{
	struct overrides *ov;
	struct overrides_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].input);
		int rc;

		ov = NULL;
		rc = overrides_parse(cases[i].input, len, &ov, &err);
		if (rc != cases[i].rc)
			fail_msg("%s: rc %d (%s), want %d", cases[i].name, rc,
			    err.reason, cases[i].rc);
		if (rc == 0) {
			assert_non_null(ov);
			if (overrides_count(ov) != (size_t)cases[i].line)
				fail_msg("%s: %zu entries, want %d", cases[i].name,
				    overrides_count(ov), cases[i].line);
			overrides_free(ov);
			continue;
		}
		assert_null(ov);
		if (err.line != cases[i].line ||
		    strstr(err.reason, cases[i].reason) == NULL)
			fail_msg("%s: line %d \"%s\", want line %d \"%s\"",
			    cases[i].name, err.line, err.reason, cases[i].line,
			    cases[i].reason);
	}
}

static void
test_lookup(void **state)
{
	const char *text =
	    "# overrides\n"
	    "News@Shop.Example   exempt\n"
	    "u1042               msgs_per_hour=1000/1h, rcpts_per_day=5000/d\n"
	    "2001:db8:1:2::/64   msgs_per_hour=50/1h\n";
	const struct overrides_entry *e;
	const struct overrides_rate *r;
	struct overrides *ov;
	struct overrides_err err;

	(void)state;
	assert_int_equal(overrides_parse(text, strlen(text), &ov, &err), 0);
	assert_int_equal(overrides_count(ov), 3);

	e = overrides_find(ov, "news@shop.example", 17);
	assert_non_null(e);
	assert_true(e->exempt);
	assert_int_equal(e->line, 2);
	assert_string_equal(e->key, "News@Shop.Example");
	assert_int_equal(e->n_rates, 0);
	assert_null(overrides_rate_find(e, "msgs_per_hour"));

	e = overrides_find(ov, "U1042", 5);
	assert_non_null(e);
	assert_false(e->exempt);
	assert_int_equal(e->n_rates, 2);
	r = overrides_rate_find(e, "msgs_per_hour");
	assert_non_null(r);
	assert_int_equal(r->count, 1000);
	assert_int_equal(r->period_ms, 3600000);
	r = overrides_rate_find(e, "rcpts_per_day");
	assert_non_null(r);
	assert_int_equal(r->count, 5000);
	assert_int_equal(r->period_ms, 86400000);
	assert_null(overrides_rate_find(e, "MSGS_PER_HOUR"));

	e = overrides_find(ov, "2001:DB8:1:2::/64", 17);
	assert_non_null(e);
	assert_int_equal(e->rates[0].count, 50);
	assert_ptr_equal(overrides_entry_at(ov, 2), e);

	assert_null(overrides_find(ov, "u104", 4));
	assert_null(overrides_find(ov, "u10420", 6));
	assert_null(overrides_find(NULL, "u1042", 5));
	overrides_free(ov);
	overrides_free(NULL);
}

static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
test_line_length(void **state)
{
	struct overrides *ov;
	struct overrides_err err;
	char *buf = malloc(OVERRIDES_LINE_MAX + 16);
	size_t n;

	(void)state;
	assert_non_null(buf);
	/* "u1 exempt" padded with blanks to exactly the limit: fine. */
	memset(buf, ' ', OVERRIDES_LINE_MAX);
	memcpy(buf, "u1 exempt", 9);
	n = OVERRIDES_LINE_MAX;
	buf[n++] = '\r';	/* the CR does not count */
	buf[n++] = '\n';
	assert_int_equal(overrides_parse(buf, n, &ov, &err), 0);
	overrides_free(ov);
	/* One byte more. */
	memset(buf, ' ', OVERRIDES_LINE_MAX + 1);
	memcpy(buf, "u1 exempt", 9);
	buf[OVERRIDES_LINE_MAX + 1] = '\n';
	assert_int_equal(overrides_parse(buf, OVERRIDES_LINE_MAX + 2, &ov, &err),
	    ERR_TOOBIG);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.reason, "8192"));
	free(buf);
}

static void
test_line_count(void **state)
{
	struct overrides *ov;
	struct overrides_err err;
	/* "u1 exempt\n" and 999,999 empty lines: exactly the limit. */
	size_t n = 10 + OVERRIDES_LINES_MAX - 1;
	char *buf = repeat('\n', n + 1);

	(void)state;
	memcpy(buf, "u1 exempt", 9);
	assert_int_equal(overrides_parse(buf, n, &ov, &err), 0);
	assert_int_equal(overrides_count(ov), 1);
	overrides_free(ov);
	/* A 1,000,001st line, even without its newline. */
	buf[n] = 'x';
	assert_int_equal(overrides_parse(buf, n + 1, &ov, &err), ERR_TOOBIG);
	assert_int_equal(err.line, OVERRIDES_LINES_MAX + 1);
	assert_non_null(strstr(err.reason, "1000000 lines"));
	free(buf);
}

static void
test_key_length(void **state)
{
	struct overrides *ov;
	struct overrides_err err;
	char *key = repeat('k', OVERRIDES_KEY_MAX + 1), line[OVERRIDES_KEY_MAX + 32];

	(void)state;
	snprintf(line, sizeof(line), "%.*s exempt\n", OVERRIDES_KEY_MAX, key);
	assert_int_equal(overrides_parse(line, strlen(line), &ov, &err), 0);
	assert_non_null(overrides_find(ov, key, OVERRIDES_KEY_MAX));
	assert_null(overrides_find(ov, key, OVERRIDES_KEY_MAX + 1));
	overrides_free(ov);
	snprintf(line, sizeof(line), "%s exempt\n", key);
	assert_int_equal(overrides_parse(line, strlen(line), &ov, &err),
	    ERR_TOOBIG);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.reason, "256"));
	free(key);
}

static void
test_rates_per_key(void **state)
{
	struct overrides *ov;
	struct overrides_err err;
	char line[4096];
	size_t n, i;

	(void)state;
	n = (size_t)snprintf(line, sizeof(line), "u1");
	for (i = 0; i < OVERRIDES_RATES_MAX; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " l%zu=1/h", i);
	assert_int_equal(overrides_parse(line, n, &ov, &err), 0);
	assert_int_equal(overrides_entry_at(ov, 0)->n_rates, OVERRIDES_RATES_MAX);
	overrides_free(ov);
	n += (size_t)snprintf(line + n, sizeof(line) - n, " one=1/h");
	assert_int_equal(overrides_parse(line, n, &ov, &err), ERR_TOOBIG);
	assert_non_null(strstr(err.reason, "64"));
}

/* Many entries: the arrays and the string arena grow; every key found. */
static void
test_many(void **state)
{
	enum { N = 20000 };
	struct overrides *ov;
	struct overrides_err err;
	char *buf = malloc((size_t)N * 64), key[32];
	size_t n = 0, i;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < N; i++)
		n += (size_t)sprintf(buf + n, "customer-%zu lim=%zu/h\n", i, i + 1);
	assert_int_equal(overrides_parse(buf, n, &ov, &err), 0);
	assert_int_equal(overrides_count(ov), N);
	for (i = 0; i < N; i += 997) {
		const struct overrides_entry *e;

		snprintf(key, sizeof(key), "CUSTOMER-%zu", i);
		e = overrides_find(ov, key, strlen(key));
		assert_non_null(e);
		assert_int_equal(e->rates[0].count, i + 1);
		assert_int_equal(e->line, (int)i + 1);
	}
	overrides_free(ov);
	free(buf);
}

/* Fail the n-th allocation for every n: an error, never a leak or crash. */
static void
test_nomem(void **state)
{
	const char *text = "a exempt\nb x=1/h,y=2/d\nc z=3/m\n";
	struct overrides *ov;
	struct overrides_err err;
	long n;
	int rc;

	(void)state;
	for (n = 0;; n++) {
		ov = NULL;
		xmalloc_fail_after(n);
		rc = overrides_parse(text, strlen(text), &ov, &err);
		xmalloc_fail_after(-1);
		if (rc == 0)
			break;
		assert_int_equal(rc, ERR_NOMEM);
		assert_null(ov);
	}
	assert_true(n > 3);
	assert_int_equal(overrides_count(ov), 3);
	overrides_free(ov);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_line_count),
		cmocka_unit_test(test_key_length),
		cmocka_unit_test(test_rates_per_key),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
