/*
 * test_policy_svc.c - unit tests for the pure parts of svc/policy.c: the
 * classification of answered actions by verb for the statistics, the
 * role names and the latency histogram's buckets.
 *
 * The socket side of the service (listeners, pipelining, limits, idle
 * timeout, unix sockets) needs real sockets and is left to the
 * integration tests under tests/integ/; unit tests open none.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svc/policy.h"

struct verb_case {
	const char *name;
	const char *action;
	enum policy_svc_verb want;
	const char *want_name;
};

static const struct verb_case verb_cases[] = {
	{ "dunno", "DUNNO", POLICY_SVC_VERB_DUNNO, "dunno" },
	{ "dunno_lower", "dunno", POLICY_SVC_VERB_DUNNO, "dunno" },
	{ "ok_text", "OK whitelisted", POLICY_SVC_VERB_OK, "ok" },
	{ "defer_if_permit", "DEFER_IF_PERMIT 4.7.1 limit msgs_per_hour "
	    "exceeded", POLICY_SVC_VERB_DEFER_IF_PERMIT, "defer_if_permit" },
	{ "defer_if_reject", "DEFER_IF_REJECT 4.7.1 try later",
	    POLICY_SVC_VERB_DEFER_IF_REJECT, "defer_if_reject" },
	{ "defer", "DEFER 4.3.0 busy", POLICY_SVC_VERB_DEFER, "defer" },
	{ "reject", "REJECT 5.7.1 submit on port 587",
	    POLICY_SVC_VERB_REJECT, "reject" },
	{ "reject_mixed_case", "Reject\tno", POLICY_SVC_VERB_REJECT, "reject" },
	{ "hold", "HOLD compromised account", POLICY_SVC_VERB_HOLD, "hold" },
	{ "discard", "DISCARD", POLICY_SVC_VERB_DISCARD, "discard" },
	{ "warn", "WARN over limit", POLICY_SVC_VERB_WARN, "warn" },
	{ "prepend", "PREPEND X-Relayguard: 1", POLICY_SVC_VERB_PREPEND,
	    "prepend" },
	{ "numeric", "450 4.7.1 go away", POLICY_SVC_VERB_OTHER, "other" },
	{ "filter_same_length_as_reject", "FILTER smtp:[127.0.0.1]:10025",
	    POLICY_SVC_VERB_OTHER, "other" },
	{ "info_same_length_as_warn", "INFO x", POLICY_SVC_VERB_OTHER,
	    "other" },
	{ "redirect", "REDIRECT a@b", POLICY_SVC_VERB_OTHER, "other" },
	{ "bcc", "BCC a@b", POLICY_SVC_VERB_OTHER, "other" },
	{ "dunnox", "DUNNOX", POLICY_SVC_VERB_OTHER, "other" },
	{ "defer_if_x", "DEFER_IF_ZZZZZZ", POLICY_SVC_VERB_OTHER, "other" },
	{ "empty", "", POLICY_SVC_VERB_OTHER, "other" },
	{ "leading_space", " DUNNO", POLICY_SVC_VERB_OTHER, "other" },
};

static void
test_verb_case(void **state)
{
	const struct verb_case *c = *state;
	enum policy_svc_verb v = policy_svc_verb_of(c->action);

	assert_int_equal(v, c->want);
	assert_string_equal(policy_svc_verb_name(v), c->want_name);
}

static void
test_verb_names(void **state)
{
	int v;

	(void)state;
	/* Every verb has a distinct name that classifies back to it. */
	for (v = 0; v < POLICY_SVC_VERB_OTHER; v++)
		assert_int_equal(policy_svc_verb_of(policy_svc_verb_name(
		    (enum policy_svc_verb)v)), v);
	assert_string_equal(policy_svc_verb_name(POLICY_SVC_VERB__COUNT),
	    "other");
}

/* Latency buckets: {microseconds, bucket}; a bound belongs to its bucket. */
static void
test_latency_buckets(void **state)
{
	static const struct {
		uint64_t us;
		size_t want;
	} cases[] = {
		{ 0, 0 }, { 25, 0 }, { 26, 1 }, { 50, 1 }, { 51, 2 },
		{ 100, 2 }, { 999, 5 }, { 1000, 5 }, { 1001, 6 },
		{ 100000, 11 }, { 100001, 12 }, { UINT64_MAX, 12 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (policy_svc_latency_bucket(cases[i].us) != cases[i].want)
			fail_msg("%llu us: bucket %zu, want %zu",
			    (unsigned long long)cases[i].us,
			    policy_svc_latency_bucket(cases[i].us),
			    cases[i].want);
	/* Bounds increase, and each bound falls in its own bucket. */
	for (i = 0; i + 1 < POLICY_SVC_LAT_BUCKETS; i++) {
		assert_true(policy_svc_latency_le_us(i) <
		    policy_svc_latency_le_us(i + 1));
		assert_int_equal(policy_svc_latency_bucket(
		    policy_svc_latency_le_us(i)), i);
	}
	assert_int_equal(policy_svc_latency_le_us(0), 25);
	assert_int_equal(policy_svc_latency_le_us(POLICY_SVC_LAT_BUCKETS - 2),
	    100000);
	assert_true(policy_svc_latency_le_us(POLICY_SVC_LAT_BUCKETS - 1) ==
	    UINT64_MAX);
	assert_string_equal(policy_svc_role_name(0), "submission");
	assert_string_equal(policy_svc_role_name(1), "relay");
	assert_string_equal(policy_svc_role_name(2), "inbound");
	assert_string_equal(policy_svc_role_name(POLICY_SVC_ROLES), "unknown");
}

int
main(void)
{
	size_t n = sizeof(verb_cases) / sizeof(verb_cases[0]), i;
	struct CMUnitTest tests[sizeof(verb_cases) / sizeof(verb_cases[0]) + 2];

	for (i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){ verb_cases[i].name,
		    test_verb_case, NULL, NULL, (void *)&verb_cases[i] };
	tests[n] = (struct CMUnitTest)cmocka_unit_test(test_verb_names);
	tests[n + 1] = (struct CMUnitTest)cmocka_unit_test(test_latency_buckets);
	return _cmocka_run_group_tests("policy_svc", tests, n + 2, NULL, NULL);
}
