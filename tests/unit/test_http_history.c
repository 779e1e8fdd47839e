/*
 * test_http_history.c - unit tests of the per-customer sending history
 * behind the dashboard's plots (src/engine/history.c): minute and hour
 * rings, late notes, samples turned into amounts, saturation, eviction
 * of the least recently active customer, expiry; and the engine's
 * sampler (engine_api_sample) on a fixed clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/engine_api.h"
#include "engine/history.h"
#include "test_engine_fx.h"

static uint32_t mins[HISTORY_MINUTES], hours[HISTORY_HOURS];

static void
test_rings(void **state)
{
	struct history *h = history_new(4);
	int64_t now = T0 + 5 * HOUR;
	size_t i;

	(void)state;
	assert_non_null(h);
	assert_int_equal(history_note(h, "a", 1, HISTORY_MESSAGES, 3, T0), 0);
	assert_int_equal(history_note(h, "a", 1, HISTORY_MESSAGES, 2, T0 + 30 * SEC), 0);
	assert_int_equal(history_note(h, "a", 1, HISTORY_RECIPIENTS, 7, T0 + HOUR), 0);
	assert_int_equal(history_note(h, "a", 1, HISTORY_MESSAGES, 1, now), 0);
	assert_int_equal(history_minutes(h, "a", HISTORY_MESSAGES, now, mins), 0);
	assert_int_equal(mins[HISTORY_MINUTES - 1], 1);
	assert_int_equal(mins[HISTORY_MINUTES - 1 - 300], 5);
	assert_int_equal(history_minutes(h, "a", HISTORY_RECIPIENTS, now, mins), 0);
	assert_int_equal(mins[HISTORY_MINUTES - 1 - 240], 7);
	assert_int_equal(history_hours(h, "a", HISTORY_MESSAGES, now, hours), 0);
	assert_int_equal(hours[HISTORY_HOURS - 1], 1);
	assert_int_equal(hours[HISTORY_HOURS - 6], 5);
	assert_int_equal(history_recent(h, "a", HISTORY_MESSAGES, now, 24, NULL), 6);
	/* a note late by an hour lands in the newest bucket */
	assert_int_equal(history_note(h, "a", 1, HISTORY_MESSAGES, 4, now - HOUR), 0);
	history_minutes(h, "a", HISTORY_MESSAGES, now, mins);
	assert_int_equal(mins[HISTORY_MINUTES - 1], 5);
	/* a day later the minutes are gone, the hours stay */
	history_minutes(h, "a", HISTORY_MESSAGES, now + 25 * HOUR, mins);
	for (i = 0; i < HISTORY_MINUTES; i++)
		assert_int_equal(mins[i], 0);
	history_hours(h, "a", HISTORY_MESSAGES, now + 25 * HOUR, hours);
	assert_int_equal(hours[HISTORY_HOURS - 1 - 25], 5);
	/* unknown customers */
	assert_int_equal(history_minutes(h, "b", HISTORY_MESSAGES, now, mins), ERR_NOENT);
	assert_int_equal(history_recent(h, "b", HISTORY_MESSAGES, now, 24, NULL), 0);
	history_free(h);
}

static void
test_saturate_evict_expire(void **state)
{
	struct history *h = history_new(2);
	uint64_t cur[HISTORY__SERIES] = { 10, UINT64_MAX, UINT64_MAX, 2 };

	(void)state;
	assert_int_equal(history_note(h, "a", 1, HISTORY_BOUNCES, 70000, T0), 0);
	history_minutes(h, "a", HISTORY_BOUNCES, T0, mins);
	assert_int_equal(mins[HISTORY_MINUTES - 1], 65535);
	assert_int_equal(history_note(h, "b", 1, HISTORY_MESSAGES, 1, T0 + SEC), 0);
	assert_int_equal(history_note(h, "a", 1, HISTORY_MESSAGES, 1, T0 + 2 * SEC), 0);
	assert_int_equal(history_note(h, "c", 1, HISTORY_MESSAGES, 1, T0 + 3 * SEC), 0);
	assert_int_equal(history_count(h), 2);
	assert_int_equal(history_recent(h, "b", HISTORY_MESSAGES, T0, 1, NULL), 0);
	assert_int_equal(history_recent(h, "a", HISTORY_MESSAGES, T0, 1, NULL), 1);
	/* samples: the first counts whole, then the growth, a reset from 0 */
	assert_int_equal(history_sample(h, "a", 1, cur, T0 + MIN), 0);
	cur[0] = 15;
	assert_int_equal(history_sample(h, "a", 1, cur, T0 + 2 * MIN), 0);
	cur[0] = 4;
	assert_int_equal(history_sample(h, "a", 1, cur, T0 + 3 * MIN), 0);
	history_minutes(h, "a", HISTORY_MESSAGES, T0 + 3 * MIN, mins);
	assert_int_equal(mins[HISTORY_MINUTES - 3], 10);
	assert_int_equal(mins[HISTORY_MINUTES - 2], 5);
	assert_int_equal(mins[HISTORY_MINUTES - 1], 4);
	assert_int_equal(history_expire(h, T0 + 2 * MIN), 1);	/* c */
	assert_int_equal(history_count(h), 1);
	assert_string_equal(history_series_name(HISTORY_DOMAINS), "domains");
	history_free(h);
	history_free(NULL);
}

static void
test_sampler(void **state)
{
	struct history *h = history_new(0);
	struct fx fx;
	char spec[256];
	int i;

	(void)state;
	fx_open(&fx, "state { dir = \"/x\"; }\n" FX_NETWORKS
	    "limit \"m\" { key = \"customer\"; count = \"messages\"; rate = \"100/1h\"; action = \"defer\"; }\n"
	    "limit \"r\" { key = \"customer\"; count = \"recipients\"; rate = \"100/1h\"; action = \"defer\"; }\n");
	for (i = 0; i < 6; i++) {
		snprintf(spec, sizeof(spec), "protocol_state=RCPT sasl_username=s1 "
		    "client_address=198.51.100.1 recipient=r%d@x.org instance=m%d "
		    "policy_context=submission", i, i / 2);
		fx_action(fx.e, T0 + i * SEC, spec);
	}
	engine_api_sample(fx.e, h, 0, T0 + MIN);
	assert_int_equal(history_recent(h, "s1", HISTORY_MESSAGES, T0 + MIN, 1, NULL), 3);
	assert_int_equal(history_recent(h, "s1", HISTORY_RECIPIENTS, T0 + MIN, 1, NULL), 6);
	fx_action(fx.e, T0 + 2 * MIN, "protocol_state=RCPT sasl_username=s1 "
	    "client_address=198.51.100.1 recipient=z@x.org instance=m9 "
	    "policy_context=submission");
	engine_api_sample(fx.e, h, T0 + MIN, T0 + 2 * MIN);
	history_minutes(h, "s1", HISTORY_MESSAGES, T0 + 2 * MIN, mins);
	assert_int_equal(mins[HISTORY_MINUTES - 1], 1);
	assert_int_equal(mins[HISTORY_MINUTES - 2], 3);
	fx_close(&fx);
	history_free(h);
	(void)fx_usage;
	(void)fx_starts;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rings),
		cmocka_unit_test(test_saturate_evict_expire),
		cmocka_unit_test(test_sampler),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
