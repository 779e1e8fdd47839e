/*
 * test_limit.c - unit tests of the limit states (src/engine/limit.c) on a
 * fixed clock: the sliding window (N pass, N+1 refused, free again after
 * P + P/15, never more than N in any window of length P against a
 * brute-force log of random traffic), weights (bytes), the token bucket
 * (burst, refill), distinct sets (repeats free, expiry, bounded memory),
 * limit_used(), idle times, encode/decode round trips and damaged bodies,
 * and allocation failure when a set grows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/limit.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

#define T0 1764460800000000LL	/* 2025-11-30 00:00:00 UTC, in us */
#define SEC 1000000LL
#define HOUR (3600 * SEC)

/* Check and, when not over, commit one event; returns whether it passed. */
static bool
event(struct limit_state *st, const struct limit_rate *r, int64_t now,
    uint64_t w, uint32_t fp)
{
	bool over;

	assert_int_equal(limit_check(st, r, now, w, fp, &over), 0);
	if (!over)
		limit_commit(st, r, now, w, fp);
	return !over;
}

static void
test_window_basic(void **state)
{
	const struct limit_rate r = { 200, 3600000, 0 };
	struct limit_state *st = limit_state_new(LIMIT_WINDOW, 0);
	int i;

	(void)state;
	assert_non_null(st);
	for (i = 0; i < 200; i++)
		assert_true(event(st, &r, T0 + i * SEC, 1, 0));
	assert_false(event(st, &r, T0 + 200 * SEC, 1, 0));
	assert_int_equal(limit_used(st, &r, T0 + 200 * SEC), 200);
	/* Refused events do not consume: still 200 half an hour on. */
	assert_false(event(st, &r, T0 + HOUR / 2, 1, 0));
	assert_int_equal(limit_used(st, &r, T0 + HOUR / 2), 200);
	/* Just before P: still full. */
	assert_false(event(st, &r, T0 + HOUR - SEC, 1, 0));
	/* After P + P/15 everything from the first seconds has gone. */
	assert_true(event(st, &r, T0 + HOUR + HOUR / 15 + 200 * SEC, 1, 0));
	assert_int_equal(limit_used(st, &r, T0 + HOUR + HOUR / 15 + 200 * SEC), 1);
	/* Long idle: the window is empty. */
	assert_int_equal(limit_used(st, &r, T0 + 10 * HOUR), 0);
	limit_state_free(st);
	limit_state_free(NULL);
}

/* Random traffic against an exact log: never more than N in any P. */
static void
test_window_any_window(void **state)
{
	enum { EVENTS = 20000 };
	const struct limit_rate r = { 50, 60000, 0 };	/* 50/1m */
	struct limit_state *st = limit_state_new(LIMIT_WINDOW, 0);
	int64_t *log = calloc(EVENTS, sizeof(*log)), now = T0, p = 60 * SEC;
	size_t n = 0, i, lo = 0, passed_late = 0;

	(void)state;
	assert_non_null(log);
	srand(3);
	for (i = 0; i < EVENTS; i++) {
		bool ok;

		now += rand() % (3 * SEC);
		ok = event(st, &r, now, 1, 0);
		/* Exact count of accepted events in (now - P, now]. */
		while (lo < n && log[lo] <= now - p)
			lo++;
		if (ok) {
			log[n++] = now;
			assert_true(n - lo <= 50);
		} else {
			/* Refused only when the exact count within P + P/15 is full. */
			size_t j, within = 0;

			for (j = 0; j < n; j++)
				within += log[j] > now - p - p / 15 - 1;
			assert_true(within >= 50);
			passed_late++;
		}
	}
	assert_true(passed_late > 0);
	free(log);
	limit_state_free(st);
}

static void
test_window_weights(void **state)
{
	const struct limit_rate r = { 10000, 3600000, 0 };	/* bytes */
	struct limit_state *st = limit_state_new(LIMIT_WINDOW, 0);
	bool over;

	(void)state;
	assert_true(event(st, &r, T0, 6000, 0));
	assert_false(event(st, &r, T0 + SEC, 5000, 0));	/* 11000 > 10000 */
	assert_true(event(st, &r, T0 + SEC, 4000, 0));	/* exactly 10000 */
	assert_false(event(st, &r, T0 + SEC, 20000, 0));	/* over alone */
	/* Weight 0 asks "already full?". */
	assert_int_equal(limit_check(st, &r, T0 + 2 * SEC, 0, 0, &over), 0);
	assert_true(over);
	limit_state_free(st);
	st = limit_state_new(LIMIT_WINDOW, 0);
	assert_int_equal(limit_check(st, &r, T0, 0, 0, &over), 0);
	assert_false(over);
	/* Commits past the limit (a warn limit) saturate, never wrap. */
	limit_commit(st, &r, T0, UINT64_MAX, 0);
	limit_commit(st, &r, T0, 5, 0);
	assert_int_equal(limit_used(st, &r, T0), UINT32_MAX);
	limit_state_free(st);
}

static void
test_window_clock_back(void **state)
{
	const struct limit_rate r = { 2, 60000, 0 };
	struct limit_state *st = limit_state_new(LIMIT_WINDOW, 0);

	(void)state;
	assert_true(event(st, &r, T0 + HOUR, 1, 0));
	assert_true(event(st, &r, T0, 1, 0));		/* stepped back */
	assert_false(event(st, &r, T0 + HOUR, 1, 0));
	limit_state_free(st);
}

static void
test_bucket(void **state)
{
	const struct limit_rate r = { 60, 3600000, 10 };	/* 60/h, burst 10 */
	struct limit_state *st = limit_state_new(LIMIT_BUCKET, 0);
	int i;
	bool over;

	(void)state;
	assert_non_null(st);
	for (i = 0; i < 10; i++)
		assert_true(event(st, &r, T0, 1, 0));
	assert_false(event(st, &r, T0, 1, 0));
	assert_int_equal(limit_used(st, &r, T0), 10);
	/* One token a minute. */
	assert_false(event(st, &r, T0 + 59 * SEC, 1, 0));
	assert_true(event(st, &r, T0 + 60 * SEC, 1, 0));
	assert_false(event(st, &r, T0 + 61 * SEC, 1, 0));
	assert_int_equal(limit_check(st, &r, T0 + 61 * SEC, 0, 0, &over), 0);
	assert_true(over);
	/* Full again after B * P / N = 10 minutes, never above B. */
	assert_int_equal(limit_used(st, &r, T0 + 60 * SEC + 10 * 60 * SEC), 0);
	for (i = 0; i < 10; i++)
		assert_true(event(st, &r, T0 + 5 * HOUR, 1, 0));
	assert_false(event(st, &r, T0 + 5 * HOUR, 1, 0));
	/* Weights: 4 at once when 0 are left is refused; huge always. */
	assert_false(event(st, &r, T0 + 5 * HOUR, 4, 0));
	assert_true(event(st, &r, T0 + 5 * HOUR + 4 * 60 * SEC, 4, 0));
	assert_false(event(st, &r, T0 + 9 * HOUR, (uint64_t)1 << 40, 0));
	/* A commit past empty (warn) leaves it empty, not wrapped. */
	limit_commit(st, &r, T0 + 9 * HOUR, 100, 0);
	assert_int_equal(limit_used(st, &r, T0 + 9 * HOUR), 10);
	limit_state_free(st);
}

static void
test_distinct(void **state)
{
	const struct limit_rate r = { 3, 3600000, 0 };
	struct limit_state *st = limit_state_new(LIMIT_DISTINCT, 0);

	(void)state;
	assert_non_null(st);
	assert_true(event(st, &r, T0, 1, 11));
	assert_true(event(st, &r, T0 + SEC, 1, 22));
	assert_true(event(st, &r, T0 + 2 * SEC, 1, 11));	/* repeat: free */
	assert_true(event(st, &r, T0 + 3 * SEC, 1, 33));
	assert_int_equal(limit_used(st, &r, T0 + 3 * SEC), 3);
	assert_false(event(st, &r, T0 + 4 * SEC, 1, 44));	/* a 4th */
	assert_true(event(st, &r, T0 + 5 * SEC, 1, 22));	/* known: fine */
	/* 22 was seen again at +5s, 11 at +2s: after P, 11 and 33 are out. */
	assert_true(event(st, &r, T0 + HOUR + 4 * SEC, 1, 44));
	assert_true(event(st, &r, T0 + HOUR + 4 * SEC, 1, 55));
	assert_false(event(st, &r, T0 + HOUR + 4 * SEC, 1, 66));
	assert_int_equal(limit_used(st, &r, T0 + HOUR + 4 * SEC), 3);
	assert_true(st->u.d.cap <= r.count + 1);
	limit_state_free(st);
}

/* A warn limit commits past N: the set stays at N + 1 pairs. */
static void
test_distinct_bounded(void **state)
{
	const struct limit_rate r = { 5, 3600000, 0 };
	struct limit_state *st = limit_state_new(LIMIT_DISTINCT, 0);
	uint32_t fp;
	bool over;

	(void)state;
	for (fp = 1; fp <= 1000; fp++) {
		assert_int_equal(limit_check(st, &r, T0 + fp, 1, fp, &over), 0);
		assert_int_equal(over, fp > 5);
		limit_commit(st, &r, T0 + fp, 1, fp);
		assert_true(st->u.d.n <= 6 && st->u.d.cap <= 6);
	}
	assert_int_equal(limit_used(st, &r, T0 + 1000), 6);
	limit_state_free(st);
}

static void
test_distinct_nomem(void **state)
{
	const struct limit_rate r = { 100, 3600000, 0 };
	struct limit_state *st = limit_state_new(LIMIT_DISTINCT, 0);
	uint32_t fp;
	bool over;
	int fails = 0;

	(void)state;
	for (fp = 1; fp <= 50; fp++) {
		xmalloc_fail_after(0);
		if (limit_check(st, &r, T0, 1, fp, &over) == ERR_NOMEM) {
			fails++;
			xmalloc_fail_after(-1);
			assert_int_equal(limit_check(st, &r, T0, 1, fp, &over), 0);
		}
		xmalloc_fail_after(-1);
		assert_false(over);
		limit_commit(st, &r, T0, 1, fp);
	}
	assert_true(fails > 0);
	assert_int_equal(limit_used(st, &r, T0), 50);
	limit_state_free(st);
}

static void
test_idle(void **state)
{
	const struct limit_rate w = { 200, 3600000, 0 };
	const struct limit_rate b = { 60, 3600000, 120 };
	const struct limit_rate d = { 10, 60000, 0 };

	(void)state;
	assert_int_equal(limit_idle_us(LIMIT_WINDOW, &w), 16 * (HOUR / 15));
	/* The slot that the shared state numbers windows by, too. */
	assert_int_equal(limit_slot_us(&w), HOUR / 15);
	{
		struct limit_rate s1 = { .count = 1, .period_ms = 1000 };

		assert_int_equal(limit_slot_us(&s1), 66667);	/* ceil */
	}
	assert_int_equal(limit_idle_us(LIMIT_BUCKET, &b), 2 * HOUR);
	assert_int_equal(limit_idle_us(LIMIT_DISTINCT, &d), 60 * SEC);
}

static struct limit_state *
roundtrip(const struct limit_state *st, enum limit_kind kind)
{
	uint8_t buf[4096];
	struct codec_out o = { buf, sizeof(buf), 0, false };
	struct codec_in in;
	struct limit_state *back = NULL;

	limit_encode(st, &o);
	assert_false(o.overflow);
	in = (struct codec_in){ buf, o.len, 0, false };
	assert_int_equal(limit_decode(&in, kind, 7, 1000, &back), 0);
	assert_int_equal(in.off, o.len);
	assert_int_equal(back->limit, 7);
	/* Every shorter body is malformed, never read past its end. */
	for (size_t cut = 0; cut < o.len; cut++) {
		struct limit_state *bad = NULL;

		in = (struct codec_in){ buf, cut, 0, false };
		assert_int_equal(limit_decode(&in, kind, 7, 1000, &bad),
		    ERR_MALFORMED);
		assert_null(bad);
	}
	return back;
}

static void
test_encode_decode(void **state)
{
	const struct limit_rate w = { 5, 60000, 0 }, b = { 5, 60000, 5 },
	    d = { 5, 60000, 0 };
	struct limit_state *st, *back;
	uint8_t buf[128];
	struct codec_in in;
	int i;

	(void)state;
	st = limit_state_new(LIMIT_WINDOW, 0);
	for (i = 0; i < 4; i++)
		event(st, &w, T0 + i * 10 * SEC, 1, 0);
	back = roundtrip(st, LIMIT_WINDOW);
	assert_int_equal(limit_used(back, &w, T0 + 40 * SEC), 4);
	assert_int_equal(event(back, &w, T0 + 41 * SEC, 1, 0), true);
	assert_int_equal(event(back, &w, T0 + 41 * SEC, 1, 0), false);
	limit_state_free(st);
	limit_state_free(back);

	st = limit_state_new(LIMIT_BUCKET, 0);
	for (i = 0; i < 5; i++)
		event(st, &b, T0, 1, 0);
	back = roundtrip(st, LIMIT_BUCKET);
	assert_false(event(back, &b, T0, 1, 0));
	assert_true(event(back, &b, T0 + 12 * SEC, 1, 0));
	limit_state_free(st);
	limit_state_free(back);

	st = limit_state_new(LIMIT_DISTINCT, 0);
	for (i = 0; i < 5; i++)
		event(st, &d, T0, 1, (uint32_t)i);
	back = roundtrip(st, LIMIT_DISTINCT);
	assert_true(event(back, &d, T0 + SEC, 1, 3));
	assert_false(event(back, &d, T0 + SEC, 1, 99));
	limit_state_free(st);
	limit_state_free(back);

	/* A window head out of range; a set claiming more pairs than bytes. */
	memset(buf, 0, sizeof(buf));
	buf[8] = LIMIT_SLOTS;
	in = (struct codec_in){ buf, 9 + 4 * LIMIT_SLOTS, 0, false };
	assert_int_equal(limit_decode(&in, LIMIT_WINDOW, 0, 10, &back),
	    ERR_MALFORMED);
	buf[0] = 0xff;
	buf[1] = 0xff;
	buf[2] = 0xff;
	buf[3] = 0x0f;
	in = (struct codec_in){ buf, sizeof(buf), 0, false };
	assert_int_equal(limit_decode(&in, LIMIT_DISTINCT, 0, 10, &back),
	    ERR_MALFORMED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_basic),
		cmocka_unit_test(test_window_any_window),
		cmocka_unit_test(test_window_weights),
		cmocka_unit_test(test_window_clock_back),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_distinct),
		cmocka_unit_test(test_distinct_bounded),
		cmocka_unit_test(test_distinct_nomem),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_encode_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
