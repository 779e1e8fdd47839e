/*
 * test_dur.c - unit tests of durations and rates (src/lib/dur.c):
 * every unit, the 10-year limit, zero, malformed text, rates with and
 * without a number before the unit, and dur_format's shortest form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/dur.h"
#include "lib/err.h"

#define DAY 86400000ull
#define MAX_MS (10ull * 366 * DAY)

static const struct {
	const char *name;
	const char *input;
	int allow_zero;
	int rc;
	uint64_t want;
} dur_cases[] = {
	{ "ms", "50ms", 0, 0, 50 },
	{ "s", "30s", 0, 0, 30000 },
	{ "bare is seconds", "30", 0, 0, 30000 },
	{ "m", "5m", 0, 0, 300000 },
	{ "min", "5min", 0, 0, 300000 },
	{ "h", "1h", 0, 0, 3600000 },
	{ "d", "2d", 0, 0, 2 * DAY },
	{ "w", "1w", 0, 0, 7 * DAY },
	{ "leading zeros", "007s", 0, 0, 7000 },
	{ "ten years", "3660d", 0, 0, MAX_MS },
	{ "ten years in ms", "316224000000ms", 0, 0, MAX_MS },
	{ "over ten years", "3661d", 0, ERR_RANGE, 0 },
	{ "over in ms", "316224000001ms", 0, ERR_RANGE, 0 },
	{ "huge number", "99999999999999999999999s", 0, ERR_RANGE, 0 },
	{ "zero refused", "0s", 0, ERR_RANGE, 0 },
	{ "zero allowed", "0s", 1, 0, 0 },
	{ "bare zero allowed", "0", 1, 0, 0 },
	{ "empty", "", 1, ERR_MALFORMED, 0 },
	{ "unit only", "h", 0, ERR_MALFORMED, 0 },
	{ "unknown unit", "5y", 0, ERR_MALFORMED, 0 },
	{ "upper unit", "5H", 0, ERR_MALFORMED, 0 },
	{ "fraction", "1.5h", 0, ERR_MALFORMED, 0 },
	{ "negative", "-5s", 0, ERR_MALFORMED, 0 },
	{ "blank", " 5s", 0, ERR_MALFORMED, 0 },
	{ "trailing blank", "5s ", 0, ERR_MALFORMED, 0 },
	{ "two units", "1h30m", 0, ERR_MALFORMED, 0 },
};

static void
test_dur(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dur_cases) / sizeof(dur_cases[0]); i++) {
		uint64_t ms = 12345;
		int rc = dur_parse_ms(dur_cases[i].input, strlen(dur_cases[i].input),
		    dur_cases[i].allow_zero, &ms);

		if (rc != dur_cases[i].rc)
			fail_msg("%s: rc %d want %d", dur_cases[i].name, rc,
			    dur_cases[i].rc);
		if (rc == 0 && ms != dur_cases[i].want)
			fail_msg("%s: %llu want %llu", dur_cases[i].name,
			    (unsigned long long)ms,
			    (unsigned long long)dur_cases[i].want);
	}
}

static void
test_dur_length(void **state)
{
	uint64_t ms;

	(void)state;
	/* Only len bytes count: "50msX" cut to "50ms", "5ms" cut to "5m". */
	assert_int_equal(dur_parse_ms("50msX", 4, 0, &ms), 0);
	assert_int_equal(ms, 50);
	assert_int_equal(dur_parse_ms("5ms", 2, 0, &ms), 0);
	assert_int_equal(ms, 300000);
}

static const struct {
	const char *name;
	const char *input;
	int rc;
	uint64_t count, period_ms;
} rate_cases[] = {
	{ "spec", "200/1h", 0, 200, 3600000 },
	{ "seconds", "10/30s", 0, 10, 30000 },
	{ "unit only", "500/d", 0, 500, DAY },
	{ "unit only h", "200/h", 0, 200, 3600000 },
	{ "bare period is seconds", "10/60", 0, 10, 60000 },
	{ "ms", "1/1ms", 0, 1, 1 },
	{ "max count", "4294967295/1s", 0, 4294967295ull, 1000 },
	{ "count over", "4294967296/1s", ERR_RANGE, 0, 0 },
	{ "count huge", "99999999999999999999999/1s", ERR_RANGE, 0, 0 },
	{ "zero count", "0/1h", ERR_RANGE, 0, 0 },
	{ "zero period", "1/0s", ERR_RANGE, 0, 0 },
	{ "period too long", "1/99999d", ERR_RANGE, 0, 0 },
	{ "no slash", "200", ERR_MALFORMED, 0, 0 },
	{ "no count", "/1h", ERR_MALFORMED, 0, 0 },
	{ "no period", "200/", ERR_MALFORMED, 0, 0 },
	{ "bad count", "2x/1h", ERR_MALFORMED, 0, 0 },
	{ "negative count", "-1/1h", ERR_MALFORMED, 0, 0 },
	{ "bad unit", "1/1y", ERR_MALFORMED, 0, 0 },
	{ "two slashes", "1/1h/2", ERR_MALFORMED, 0, 0 },
	{ "empty", "", ERR_MALFORMED, 0, 0 },
};

static void
test_rate(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rate_cases) / sizeof(rate_cases[0]); i++) {
		uint64_t n = 7, p = 7;
		int rc = dur_parse_rate(rate_cases[i].input,
		    strlen(rate_cases[i].input), &n, &p);

		if (rc != rate_cases[i].rc)
			fail_msg("%s: rc %d want %d", rate_cases[i].name, rc,
			    rate_cases[i].rc);
		if (rc == 0 && (n != rate_cases[i].count ||
		    p != rate_cases[i].period_ms))
			fail_msg("%s: %llu/%llu", rate_cases[i].name,
			    (unsigned long long)n, (unsigned long long)p);
	}
}

static const struct {
	uint64_t ms;
	const char *want;
} format_cases[] = {
	{ 0, "0s" },
	{ 1, "1ms" },
	{ 250, "250ms" },
	{ 1000, "1s" },
	{ 1500, "1500ms" },
	{ 90000, "90s" },
	{ 60000, "1m" },
	{ 3600000, "1h" },
	{ 5400000, "90m" },
	{ 86400000, "1d" },
	{ 7 * 86400000ull, "7d" },
	{ 90000000, "25h" },
};

static void
test_format(void **state)
{
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		uint64_t back;

		dur_format(format_cases[i].ms, buf, sizeof(buf));
		assert_string_equal(buf, format_cases[i].want);
		/* What dur_format writes, dur_parse_ms reads back. */
		assert_int_equal(dur_parse_ms(buf, strlen(buf), 1, &back), 0);
		assert_int_equal(back, format_cases[i].ms);
	}
	dur_format(3600000, buf, 2);	/* truncated, terminated */
	assert_string_equal(buf, "1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dur),
		cmocka_unit_test(test_dur_length),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
