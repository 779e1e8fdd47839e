/*
 * test_engine.c - unit tests of the engine's judgement
 * (src/engine/engine_judge.c) on a fixed clock: exempt networks,
 * require_auth, roles from policy_context and server_port, customer keys
 * (IPv6 grouped by prefix), which limits apply (networks, roaming
 * submission, inbound, missing keys), each count (messages, recipients,
 * bytes, the three distinct counts), sliding windows and bursts, every
 * action's text, severity among several limits, dedup of repeated
 * requests, HOLD and message-level refusals sticking to the message,
 * counting that goes on while over, and bad configurations.
 *
 * Reload, overrides, persistence, expiry and allocation failure are in
 * test_engine_state.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/limit.h"
#include "test_engine_fx.h"

#define SUB "server_port=587 client_address=100.64.1.2 sasl_username=u1 "

static void
test_exempt(void **state)
{
	struct engine_verdict v;
	struct fx fx;
	int i;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"m\" { key = \"customer\"; "
	    "count = \"messages\"; rate = \"1/1h\"; action = \"reject\"; }\n");
	for (i = 0; i < 5; i++) {
		char spec[128];

		snprintf(spec, sizeof(spec), "protocol_state=RCPT instance=x%d "
		    "client_address=127.0.0.1 server_port=25 recipient=a@b.c", i);
		assert_int_equal(fx_judge(fx.e, T0 + i, spec, &v), 0);
		assert_string_equal(v.action, "DUNNO");
		assert_string_equal(v.rule, "exempt");
		assert_string_equal(v.customer, "127.0.0.1");
	}
	assert_int_equal(fx_judge(fx.e, T0, "client_address=::1 sasl_username=me "
	    "server_port=587", &v), 0);
	assert_string_equal(v.rule, "exempt");
	assert_string_equal(v.customer, "me");
	assert_int_equal(engine_customer_count(fx.e), 0);
	fx_close(&fx);
}

static void
test_require_auth(void **state)
{
	static const struct {
		const char *spec;
		bool rejected;
	} cases[] = {
		{ "client_address=100.64.1.2 server_port=25", true },
		{ "client_address=100.64.1.2", true },
		{ "client_address=100.64.1.2 policy_context=relay server_port=587", true },
		{ "client_address=2001:db8:100::5 server_port=25", true },
		{ "client_address=100.64.1.2 server_port=25 sasl_username=u1", false },
		{ "client_address=100.64.1.2 server_port=587", false },
		{ "client_address=198.51.100.7 server_port=25", false },
		{ "client_address=203.0.113.9 server_port=25", false },
	};
	struct engine_verdict v;
	struct fx fx;
	size_t i;

	(void)state;
	fx_open(&fx, FX_NETWORKS);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(fx_judge(fx.e, T0, cases[i].spec, &v), 0);
		if (!cases[i].rejected) {
			if (strcmp(v.action, "DUNNO") != 0)
				fail_msg("%s: %s", cases[i].spec, v.action);
			continue;
		}
		if (!fx_starts(v.action, "REJECT 5.7.1 ") ||
		    strstr(v.action, "587") == NULL ||
		    strstr(v.action, "authentication") == NULL)
			fail_msg("%s: %s", cases[i].spec, v.action);
		assert_string_equal(v.rule, "require_auth");
		assert_int_equal(v.role, ENGINE_ROLE_RELAY);
	}
	fx_close(&fx);
}

static void
test_roles(void **state)
{
	static const struct {
		const char *spec;
		enum engine_role role;
	} cases[] = {
		{ "policy_context=submission client_address=203.0.113.9 "
		  "server_port=25", ENGINE_ROLE_SUBMISSION },
		{ "policy_context=relay client_address=203.0.113.9",
		  ENGINE_ROLE_RELAY },
		{ "policy_context=inbound client_address=100.64.1.2 server_port=587",
		  ENGINE_ROLE_INBOUND },
		{ "policy_context=smarthost client_address=100.64.1.2 "
		  "server_port=587", ENGINE_ROLE_SUBMISSION },
		{ "server_port=465 client_address=203.0.113.9",
		  ENGINE_ROLE_SUBMISSION },
		{ "server_port=587 client_address=203.0.113.9",
		  ENGINE_ROLE_SUBMISSION },
		{ "server_port=25 client_address=198.51.100.7", ENGINE_ROLE_RELAY },
		{ "server_port=25 client_address=203.0.113.9", ENGINE_ROLE_INBOUND },
		{ "client_address=198.51.100.7", ENGINE_ROLE_RELAY },
		{ "client_address=203.0.113.9", ENGINE_ROLE_INBOUND },
		{ "server_port=2525 client_address=100.64.9.9", ENGINE_ROLE_RELAY },
		{ "server_port=25", ENGINE_ROLE_INBOUND },
		{ "server_port=25 client_address=garbage", ENGINE_ROLE_INBOUND },
	};
	struct engine_verdict v;
	struct fx fx;
	size_t i;
	char spec[256];

	(void)state;
	fx_open(&fx, FX_NETWORKS);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(spec, sizeof(spec), "%s sasl_username=u9", cases[i].spec);
		assert_int_equal(fx_judge(fx.e, T0, spec, &v), 0);
		if (v.role != cases[i].role)
			fail_msg("%s: role %d, want %d", cases[i].spec, v.role,
			    cases[i].role);
	}
	fx_close(&fx);
}

static void
test_customer_key(void **state)
{
	static const struct {
		const char *conf;
		const char *spec;
		const char *want;
	} cases[] = {
		{ "", "sasl_username=u1042 client_address=100.64.1.2", "u1042" },
		{ "", "sasl_username=U1042 client_address=100.64.1.2", "U1042" },
		{ "", "sasl_username= client_address=100.64.1.2", "100.64.1.2" },
		{ "", "client_address=100.64.1.2", "100.64.1.2" },
		{ "", "client_address=2001:db8:100:1:2:3:4:5", "2001:db8:100:1::/64" },
		{ "", "client_address=2001:DB8:1:2::99", "2001:db8:1:2::/64" },
		{ "", "client_address=::ffff:100.64.1.2", "100.64.1.2" },
		{ "", "client_address=not-an-address", "not-an-address" },
		{ "", "server_port=25", "" },
		{ "policy { ipv6_customer_prefix = 48; }\n",
		  "client_address=2001:db8:100:1:2:3:4:5", "2001:db8:100::/48" },
		{ "policy { ipv6_customer_prefix = 128; }\n",
		  "client_address=2001:db8:100:1:2:3:4:5", "2001:db8:100:1:2:3:4:5" },
		{ "customer_key = [\"client_address\"];\n",
		  "sasl_username=u1 client_address=100.64.1.2", "100.64.1.2" },
		{ "customer_key = [\"ccert_fingerprint\", \"sasl_username\"];\n",
		  "sasl_username=u1 ccert_fingerprint=AB:CD", "AB:CD" },
	};
	struct engine_verdict v;
	struct fx fx;
	size_t i;
	char text[1024];

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* A later customer_key replaces the fixture's (UCL: last wins). */
		if (strstr(cases[i].conf, "customer_key"))
			snprintf(text, sizeof(text), "network \"b\" { prefixes = "
			    "[\"100.64.0.0/10\"]; }\n%s", cases[i].conf);
		else
			snprintf(text, sizeof(text), "%s%s", FX_NETWORKS,
			    cases[i].conf);
		fx_open(&fx, text);
		assert_int_equal(fx_judge(fx.e, T0, cases[i].spec, &v), 0);
		if (strcmp(v.customer, cases[i].want) != 0)
			fail_msg("%s: customer \"%s\", want \"%s\"", cases[i].spec,
			    v.customer, cases[i].want);
		fx_close(&fx);
	}
}

static void
test_customer_key_toobig(void **state)
{
	char spec[600], user[300];
	struct engine_verdict v;
	struct fx fx;

	(void)state;
	fx_open(&fx, FX_NETWORKS "policy { default_action = \"DEFER_IF_PERMIT "
	    "4.3.0 relayguard: internal error\"; }\n");
	memset(user, 'u', ENGINE_CUSTOMER_MAX);
	user[ENGINE_CUSTOMER_MAX] = '\0';
	snprintf(spec, sizeof(spec), "sasl_username=%s server_port=587", user);
	assert_int_equal(fx_judge(fx.e, T0, spec, &v), 0);
	assert_int_equal(strlen(v.customer), ENGINE_CUSTOMER_MAX);
	user[ENGINE_CUSTOMER_MAX] = 'u';
	user[ENGINE_CUSTOMER_MAX + 1] = '\0';
	snprintf(spec, sizeof(spec), "sasl_username=%s server_port=587", user);
	assert_int_equal(fx_judge(fx.e, T0, spec, &v), ERR_TOOBIG);
	assert_string_equal(v.action,
	    "DEFER_IF_PERMIT 4.3.0 relayguard: internal error");
	assert_string_equal(v.rule, "default");
	engine_default_verdict(fx.e, &v);
	assert_string_equal(v.action,
	    "DEFER_IF_PERMIT 4.3.0 relayguard: internal error");
	fx_close(&fx);
}

/* Send message inst from SUB with n recipients and an END-OF-MESSAGE. */
static void
send_msg(struct engine *e, int64_t now, const char *who, const char *inst,
    int n, const char *want)
{
	char spec[512];
	const char *a;
	int i;

	for (i = 0; i <= n; i++) {
		if (i < n)
			snprintf(spec, sizeof(spec), "%s protocol_state=RCPT "
			    "instance=%s recipient=r%d@example.org", who, inst, i);
		else
			snprintf(spec, sizeof(spec), "%s protocol_state=END-OF-MESSAGE "
			    "instance=%s size=100", who, inst);
		a = fx_action(e, now, spec);
		if (strcmp(a, want) != 0)
			fail_msg("%s %s #%d: \"%s\", want \"%s\"", who, inst, i, a,
			    want);
	}
}

static void
test_messages(void **state)
{
	const char *defer = "DEFER_IF_PERMIT 4.7.1 relayguard: limit msgs_per_hour "
	    "exceeded for u1 (3 messages per 1h); try again later";
	struct engine_verdict v;
	struct engine_usage u;
	struct fx fx;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"msgs_per_hour\" { key = \"customer\"; "
	    "count = \"messages\"; rate = \"3/1h\"; action = \"defer\"; }\n");
	send_msg(fx.e, T0, SUB, "m1", 2, "DUNNO");
	send_msg(fx.e, T0 + SEC, SUB, "m2", 1, "DUNNO");
	send_msg(fx.e, T0 + 2 * SEC, SUB, "m3", 3, "DUNNO");
	/* The 4th: its first RCPT, and every later request, deferred. */
	send_msg(fx.e, T0 + 3 * SEC, SUB, "m4", 3, defer);
	assert_int_equal(fx_judge(fx.e, T0 + 3 * SEC, SUB "protocol_state=RCPT "
	    "instance=m5 recipient=x@y.z", &v), 0);
	assert_string_equal(v.action, defer);
	assert_string_equal(v.rule, "msgs_per_hour");
	assert_string_equal(v.customer, "u1");
	assert_int_equal(v.role, ENGINE_ROLE_SUBMISSION);
	u = fx_usage(fx.e, "u1", "msgs_per_hour", T0 + 3 * SEC);
	assert_int_equal(u.used, 3);
	assert_int_equal(u.attempts, 5);
	assert_int_equal(u.over, 2);
	assert_int_equal(u.rate_count, 3);
	assert_int_equal(u.rate_period_ms, 3600000);
	assert_int_equal(u.count, CONF_COUNT_MESSAGES);
	/* Another customer is not affected. */
	send_msg(fx.e, T0 + 4 * SEC, "server_port=587 client_address=100.64.1.3 "
	    "sasl_username=u2", "n1", 1, "DUNNO");
	/* The window slides: after P + P/15 the first messages are gone. */
	send_msg(fx.e, T0 + HOUR + HOUR / 15 + SEC, SUB, "m6", 1, "DUNNO");
	assert_int_equal(engine_customer_count(fx.e), 2);
	fx_close(&fx);
}

static void
test_window_slides(void **state)
{
	struct fx fx;
	int i;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"m\" { key = \"customer\"; "
	    "count = \"messages\"; rate = \"2/1h\"; action = \"defer\"; }\n");
	send_msg(fx.e, T0, SUB, "a", 1, "DUNNO");
	send_msg(fx.e, T0 + 30 * MIN, SUB, "b", 1, "DUNNO");
	/* N = 2 in any hour: refused (and not counted) until "a" leaves. */
	for (i = 0; i < 3; i++) {
		char spec[256];

		snprintf(spec, sizeof(spec), SUB "protocol_state=RCPT "
		    "recipient=z@z.z instance=c%d", i);
		assert_true(fx_starts(fx_action(fx.e, T0 + 31 * MIN + i * 10 * MIN,
		    spec), "DEFER_IF_PERMIT"));
	}
	assert_true(fx_starts(fx_action(fx.e, T0 + HOUR - SEC, SUB
	    "protocol_state=RCPT instance=d recipient=z@z.z"), "DEFER_IF_PERMIT"));
	assert_string_equal(fx_action(fx.e, T0 + HOUR + HOUR / 15 + SEC, SUB
	    "protocol_state=RCPT instance=e recipient=z@z.z"), "DUNNO");
	/* Now a (gone) and b (still in) and e: full again. */
	assert_true(fx_starts(fx_action(fx.e, T0 + HOUR + HOUR / 15 + 2 * SEC,
	    SUB "protocol_state=RCPT instance=f recipient=z@z.z"),
	    "DEFER_IF_PERMIT"));
	fx_close(&fx);
}

static void
test_recipients(void **state)
{
	const char *reject = "REJECT 5.7.1 relayguard: limit rcpts exceeded for "
	    "u1 (5 recipients per 1h)";
	struct engine_usage u;
	struct fx fx;
	char spec[256];
	int i;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"rcpts\" { key = \"customer\"; "
	    "count = \"recipients\"; rate = \"5/1h\"; action = \"reject\"; }\n");
	for (i = 0; i < 7; i++) {
		snprintf(spec, sizeof(spec), SUB "protocol_state=RCPT instance=m1 "
		    "recipient=r%d@example.org", i);
		assert_string_equal(fx_action(fx.e, T0, spec), i < 5 ? "DUNNO" : reject);
	}
	/* Per recipient, not per message: the message itself goes on. */
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=END-OF-MESSAGE "
	    "instance=m1 size=10"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m2 recipient=x@example.org"), reject);
	u = fx_usage(fx.e, "u1", "rcpts", T0);
	assert_int_equal(u.used, 5);
	assert_int_equal(u.attempts, 8);
	assert_int_equal(u.over, 3);
	fx_close(&fx);
}

static void
test_bytes(void **state)
{
	const char *defer = "DEFER_IF_PERMIT 4.7.1 relayguard: limit mb exceeded "
	    "for u1 (10000 bytes per 1h); try again later";
	struct fx fx;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"mb\" { key = \"customer\"; "
	    "count = \"bytes\"; rate = \"10000/1h\"; action = \"defer\"; }\n");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m1 recipient=a@b.c size=6000"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=END-OF-MESSAGE "
	    "instance=m1 size=6000"), "DUNNO");
	assert_int_equal(fx_usage(fx.e, "u1", "mb", T0).used, 6000);
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m2 recipient=a@b.c"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=END-OF-MESSAGE "
	    "instance=m2 size=6000"), defer);
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=END-OF-MESSAGE "
	    "instance=m3 size=4000"), "DUNNO");
	assert_int_equal(fx_usage(fx.e, "u1", "mb", T0).used, 10000);
	/* Full: already refused at RCPT. */
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m4 recipient=a@b.c"), defer);
	/* A malformed or missing size counts nothing. */
	assert_string_equal(fx_action(fx.e, T0 + 2 * HOUR, SUB
	    "protocol_state=END-OF-MESSAGE instance=m5 size=12x"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0 + 2 * HOUR, SUB
	    "protocol_state=END-OF-MESSAGE instance=m6 size=99999999999999999999999"),
	    defer);
	assert_int_equal(fx_usage(fx.e, "u1", "mb", T0 + 2 * HOUR).used, 0);
	fx_close(&fx);
}

static void
test_distinct_recipients(void **state)
{
	struct fx fx;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"dr\" { key = \"customer\"; "
	    "count = \"distinct_recipients\"; rate = \"3/1h\"; action = \"defer\"; }\n"
	    "limit \"dd\" { key = \"customer\"; "
	    "count = \"distinct_recipient_domains\"; rate = \"2/1h\"; "
	    "action = \"reject\"; }\n");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m1 recipient=a@one.example"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m1 recipient=b@one.example"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m2 recipient=c@Two.Example"), "DUNNO");
	/* Known recipients and domains (any case) are free. */
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m3 recipient=A@ONE.example"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m3 recipient=d@two.example"),
	    "DEFER_IF_PERMIT 4.7.1 relayguard: limit dr exceeded for u1 "
	    "(3 distinct recipients per 1h); try again later");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m3 recipient=e@three.example"),
	    "REJECT 5.7.1 relayguard: limit dd exceeded for u1 "
	    "(2 distinct recipient domains per 1h)");
	assert_int_equal(fx_usage(fx.e, "u1", "dr", T0).used, 3);
	assert_int_equal(fx_usage(fx.e, "u1", "dd", T0).used, 2);
	assert_string_equal(fx_action(fx.e, T0 + 2 * HOUR, SUB
	    "protocol_state=RCPT instance=m4 recipient=e@three.example"), "DUNNO");
	fx_close(&fx);
}

static void
test_distinct_clients(void **state)
{
	const char *reject = "REJECT 5.7.1 relayguard: limit ips exceeded for "
	    "acct (2 distinct client addresses per 1d)";
	struct fx fx;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"ips\" { key = \"sasl_username\"; "
	    "count = \"distinct_client_addresses\"; rate = \"2/1d\"; "
	    "action = \"reject\"; }\n");
	send_msg(fx.e, T0, "server_port=587 sasl_username=acct "
	    "client_address=203.0.113.1", "m1", 2, "DUNNO");
	send_msg(fx.e, T0, "server_port=587 sasl_username=acct "
	    "client_address=2001:db8:9::1", "m2", 2, "DUNNO");
	send_msg(fx.e, T0, "server_port=587 sasl_username=acct "
	    "client_address=203.0.113.1", "m3", 1, "DUNNO");
	/* A third address: the message is refused, every request of it. */
	send_msg(fx.e, T0, "server_port=587 sasl_username=acct "
	    "client_address=203.0.113.3", "m4", 2, reject);
	/* Usage by the customer key, which is the SASL username here. */
	assert_int_equal(fx_usage(fx.e, "acct", "ips", T0).used, 2);
	fx_close(&fx);
}

static void
test_burst(void **state)
{
	const char *defer = "DEFER_IF_PERMIT 4.7.1 relayguard: limit m exceeded "
	    "for u1 (60 messages per 1h, burst 5); try again later";
	struct fx fx;
	char inst[16];
	int i;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"m\" { key = \"customer\"; "
	    "count = \"messages\"; rate = \"60/1h\"; burst = 5; "
	    "action = \"defer\"; }\n");
	for (i = 0; i < 5; i++) {
		snprintf(inst, sizeof(inst), "b%d", i);
		send_msg(fx.e, T0, SUB, inst, 1, "DUNNO");
	}
	send_msg(fx.e, T0, SUB, "b5", 1, defer);
	/* One message a minute comes back. */
	send_msg(fx.e, T0 + 59 * SEC, SUB, "b6", 1, defer);
	send_msg(fx.e, T0 + 60 * SEC, SUB, "b7", 1, "DUNNO");
	send_msg(fx.e, T0 + 61 * SEC, SUB, "b8", 1, defer);
	assert_int_equal(fx_usage(fx.e, "u1", "m", T0 + 61 * SEC).burst, 5);
	fx_close(&fx);
}

static void
test_action_texts(void **state)
{
	static const struct {
		const char *action;
		const char *want;
		int used;	/* after the second message */
	} cases[] = {
		{ "defer", "DEFER_IF_PERMIT 4.7.1 relayguard: limit m exceeded for "
		  "u1 (1 message per 1h); try again later", 1 },
		{ "hold", "HOLD relayguard: limit m exceeded for u1 (1 message per "
		  "1h); message held for review", 1 },
		{ "reject", "REJECT 5.7.1 relayguard: limit m exceeded for u1 "
		  "(1 message per 1h)", 1 },
		{ "warn", "WARN relayguard: limit m exceeded for u1 (1 message per "
		  "1h)", 2 },
	};
	struct fx fx;
	char text[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), FX_NETWORKS "limit \"m\" { "
		    "key = \"customer\"; count = \"messages\"; rate = \"1/1h\"; "
		    "action = \"%s\"; }\n", cases[i].action);
		fx_open(&fx, text);
		send_msg(fx.e, T0, SUB, "m1", 1, "DUNNO");
		assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
		    "instance=m2 recipient=a@b.c"), cases[i].want);
		assert_int_equal(fx_usage(fx.e, "u1", "m", T0).used, cases[i].used);
		assert_int_equal(fx_usage(fx.e, "u1", "m", T0).over, 1);
		fx_close(&fx);
	}
}

/* Texts stay printable ASCII whatever the key holds. */
static void
test_text_sanitized(void **state)
{
	struct fx fx;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"s\" { key = \"sender\"; "
	    "count = \"messages\"; rate = \"1/1h\"; action = \"reject\"; }\n");
	send_msg(fx.e, T0, SUB "sender=B\x01\xc3\xa9@X.org", "m1", 1, "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "sender=b\x01\xc3\xa9@x.ORG "
	    "protocol_state=RCPT instance=m2 recipient=a@b.c"),
	    "REJECT 5.7.1 relayguard: limit s exceeded for b???@x.org "
	    "(1 message per 1h)");
	fx_close(&fx);
}

static void
test_severity(void **state)
{
	static const struct {
		const char *a, *b;	/* actions of limits "a" and "b" */
		const char *rule;	/* the winner */
	} cases[] = {
		{ "warn", "hold", "b" }, { "hold", "warn", "a" },
		{ "warn", "defer", "b" }, { "defer", "hold", "a" },
		{ "hold", "reject", "b" }, { "reject", "defer", "a" },
		{ "warn", "reject", "b" }, { "defer", "defer", "a" },
		{ "warn", "warn", "a" },
	};
	struct engine_verdict v;
	struct fx fx;
	char text[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), FX_NETWORKS
		    "limit \"a\" { key = \"customer\"; count = \"messages\"; "
		    "rate = \"1/1h\"; action = \"%s\"; }\n"
		    "limit \"b\" { key = \"sasl_username\"; count = \"recipients\"; "
		    "rate = \"1/1h\"; action = \"%s\"; }\n", cases[i].a, cases[i].b);
		fx_open(&fx, text);
		send_msg(fx.e, T0, SUB, "m1", 1, "DUNNO");
		assert_int_equal(fx_judge(fx.e, T0, SUB "protocol_state=RCPT "
		    "instance=m2 recipient=a@b.c", &v), 0);
		if (strcmp(v.rule, cases[i].rule) != 0)
			fail_msg("%s + %s: rule %s (%s), want %s", cases[i].a,
			    cases[i].b, v.rule, v.action, cases[i].rule);
		fx_close(&fx);
	}
}

static void
test_dedup(void **state)
{
	struct engine_verdict v1, v2;
	struct fx fx;

	(void)state;
	fx_open(&fx, FX_NETWORKS
	    "limit \"msgs\" { key = \"customer\"; count = \"messages\"; "
	    "rate = \"10/1h\"; action = \"defer\"; }\n"
	    "limit \"rcpts\" { key = \"customer\"; count = \"recipients\"; "
	    "rate = \"2/1h\"; action = \"reject\"; }\n");
	/* smtpd_recipient_restrictions and a second list: same RCPT twice. */
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m1 recipient=a@b.c"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m1 recipient=A@B.C"), "DUNNO");
	assert_int_equal(fx_usage(fx.e, "u1", "rcpts", T0).used, 1);
	assert_int_equal(fx_usage(fx.e, "u1", "rcpts", T0).attempts, 1);
	assert_int_equal(fx_usage(fx.e, "u1", "msgs", T0).used, 1);
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m1 recipient=b@b.c"), "DUNNO");
	/* A refused answer is repeated alike, and counted once. */
	assert_int_equal(fx_judge(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m1 recipient=c@b.c", &v1), 0);
	assert_int_equal(fx_judge(fx.e, T0 + SEC, SUB "protocol_state=RCPT "
	    "instance=m1 recipient=c@b.c", &v2), 0);
	assert_true(fx_starts(v1.action, "REJECT 5.7.1 "));
	assert_string_equal(v1.action, v2.action);
	assert_string_equal(v1.rule, v2.rule);
	assert_int_equal(fx_usage(fx.e, "u1", "rcpts", T0).attempts, 3);
	assert_int_equal(fx_usage(fx.e, "u1", "rcpts", T0).over, 1);
	/* END-OF-MESSAGE twice, DATA once: nothing more counted. */
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=DATA "
	    "instance=m1"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=END-OF-MESSAGE "
	    "instance=m1 size=1"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=END-OF-MESSAGE "
	    "instance=m1 size=1"), "DUNNO");
	assert_int_equal(fx_usage(fx.e, "u1", "msgs", T0).used, 1);
	assert_int_equal(fx_usage(fx.e, "u1", "msgs", T0).attempts, 1);
	/* The same instance from another client is another message. */
	assert_string_equal(fx_action(fx.e, T0, "server_port=587 sasl_username=u1 "
	    "client_address=100.64.7.7 protocol_state=RCPT instance=m1 "
	    "recipient=zz@b.c"), v1.action);
	assert_int_equal(fx_usage(fx.e, "u1", "msgs", T0).attempts, 2);
	assert_true(engine_instance_count(fx.e) == 2);
	fx_close(&fx);
}

/* A message with many recipients: answers move to the heap, bounded. */
static void
test_dedup_many(void **state)
{
	struct fx fx;
	char spec[256];
	int i;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"r\" { key = \"customer\"; "
	    "count = \"recipients\"; rate = \"10000/1h\"; action = \"defer\"; }\n");
	for (i = 0; i < 2100; i++) {
		snprintf(spec, sizeof(spec), SUB "protocol_state=RCPT instance=big "
		    "recipient=r%d@example.org", i);
		assert_string_equal(fx_action(fx.e, T0, spec), "DUNNO");
	}
	assert_int_equal(fx_usage(fx.e, "u1", "r", T0).used, 2100);
	/* Within the first 2048 answers: a repeat is not counted again. */
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=big recipient=r7@example.org"), "DUNNO");
	assert_int_equal(fx_usage(fx.e, "u1", "r", T0).used, 2100);
	/* Past the bound the answer was not kept: counted again. */
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=big recipient=r2099@example.org"), "DUNNO");
	assert_int_equal(fx_usage(fx.e, "u1", "r", T0).used, 2101);
	fx_close(&fx);
}

static void
test_hold_sticks(void **state)
{
	const char *hold = "HOLD relayguard: limit h exceeded for u1 (2 recipients "
	    "per 1h); message held for review";
	struct fx fx;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"h\" { key = \"customer\"; "
	    "count = \"recipients\"; rate = \"2/1h\"; action = \"hold\"; }\n");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m1 recipient=a@b.c"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m1 recipient=b@b.c"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m1 recipient=c@b.c"), hold);
	/* Held: the rest of the message answers HOLD, repeats included. */
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m1 recipient=a@b.c"), hold);
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=DATA "
	    "instance=m1"), hold);
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=END-OF-MESSAGE "
	    "instance=m1 size=5"), hold);
	/* A later message in a fresh window is not held. */
	send_msg(fx.e, T0 + 3 * HOUR, SUB, "m2", 2, "DUNNO");
	fx_close(&fx);
}

static void
test_counting_goes_on(void **state)
{
	struct engine_usage u;
	struct fx fx;
	char spec[256];
	int i;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"m\" { key = \"customer\"; "
	    "count = \"messages\"; rate = \"1/1h\"; action = \"defer\"; }\n");
	send_msg(fx.e, T0, SUB, "m0", 1, "DUNNO");
	for (i = 1; i <= 10; i++) {
		snprintf(spec, sizeof(spec), SUB "protocol_state=RCPT "
		    "recipient=a@b.c instance=m%d", i);
		assert_true(fx_starts(fx_action(fx.e, T0 + i * MIN, spec),
		    "DEFER_IF_PERMIT 4.7.1 "));
		/* Its second RCPT: deferred too, not another attempt. */
		snprintf(spec, sizeof(spec), SUB "protocol_state=RCPT "
		    "recipient=b@b.c instance=m%d", i);
		assert_true(fx_starts(fx_action(fx.e, T0 + i * MIN, spec),
		    "DEFER_IF_PERMIT 4.7.1 "));
	}
	u = fx_usage(fx.e, "u1", "m", T0 + 10 * MIN);
	assert_int_equal(u.used, 1);
	assert_int_equal(u.attempts, 11);
	assert_int_equal(u.over, 10);
	/* The retrying MTA gets through once the window allows. */
	send_msg(fx.e, T0 + HOUR + HOUR / 15 + SEC, SUB, "retry", 1, "DUNNO");
	fx_close(&fx);
}

static void
test_which_limits_apply(void **state)
{
	struct fx fx;
	char inst[16];
	int i;

	(void)state;
	fx_open(&fx, FX_NETWORKS
	    "limit \"biz\" { key = \"customer\"; count = \"messages\"; "
	    "rate = \"1/1h\"; action = \"reject\"; networks = [\"business\"]; }\n"
	    "limit \"all\" { key = \"customer\"; count = \"messages\"; "
	    "rate = \"2/1h\"; action = \"defer\"; }\n");
	/* A business relay client: both apply, biz trips first. */
	send_msg(fx.e, T0, "client_address=198.51.100.7 server_port=25", "a1", 1,
	    "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, "client_address=198.51.100.7 "
	    "server_port=25 protocol_state=RCPT instance=a2 recipient=x@y.z"),
	    "REJECT 5.7.1 relayguard: limit biz exceeded for 198.51.100.7 "
	    "(1 message per 1h)");
	/* Broadband submission: only "all". */
	send_msg(fx.e, T0, SUB, "b1", 1, "DUNNO");
	send_msg(fx.e, T0, SUB, "b2", 1, "DUNNO");
	assert_true(fx_starts(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=b3 recipient=x@y.z"), "DEFER_IF_PERMIT 4.7.1 relayguard: "
	    "limit all exceeded for u1 "));
	/* Roaming: authenticated submission from outside every network. */
	send_msg(fx.e, T0, "client_address=203.0.113.9 server_port=587 "
	    "sasl_username=u3", "c1", 1, "DUNNO");
	send_msg(fx.e, T0, "client_address=203.0.113.9 server_port=587 "
	    "sasl_username=u3", "c2", 1, "DUNNO");
	assert_true(fx_starts(fx_action(fx.e, T0, "client_address=203.0.113.9 "
	    "server_port=587 sasl_username=u3 protocol_state=RCPT instance=c3 "
	    "recipient=x@y.z"), "DEFER_IF_PERMIT"));
	/* Unauthenticated from outside, and inbound mail: never limited. */
	for (i = 0; i < 5; i++) {
		snprintf(inst, sizeof(inst), "d%d", i);
		send_msg(fx.e, T0, "client_address=203.0.113.10 server_port=587",
		    inst, 1, "DUNNO");
		send_msg(fx.e, T0, "client_address=203.0.113.11 server_port=25 "
		    "sasl_username=x", inst, 1, "DUNNO");
		send_msg(fx.e, T0, "client_address=100.64.1.2 sasl_username=u1 "
		    "policy_context=inbound", inst, 1, "DUNNO");
	}
	assert_int_equal(engine_customer_count(fx.e), 3);
	fx_close(&fx);
}

static void
test_key_missing(void **state)
{
	struct fx fx;
	int i;
	char inst[16];

	(void)state;
	fx_open(&fx, FX_NETWORKS
	    "limit \"snd\" { key = \"sender\"; count = \"messages\"; "
	    "rate = \"1/1h\"; action = \"reject\"; }\n"
	    "limit \"dom\" { key = \"sender_domain\"; count = \"messages\"; "
	    "rate = \"2/1h\"; action = \"defer\"; }\n");
	/* No sender (a bounce): neither applies. */
	for (i = 0; i < 4; i++) {
		snprintf(inst, sizeof(inst), "n%d", i);
		send_msg(fx.e, T0, SUB "sender=", inst, 1, "DUNNO");
	}
	send_msg(fx.e, T0, SUB "sender=Ann@X.org", "a1", 1, "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "sender=ann@x.ORG "
	    "protocol_state=RCPT instance=a2 recipient=q@q.q"),
	    "REJECT 5.7.1 relayguard: limit snd exceeded for ann@x.org "
	    "(1 message per 1h)");
	send_msg(fx.e, T0, SUB "sender=bob@x.org", "b1", 1, "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "sender=carl@X.ORG "
	    "protocol_state=RCPT instance=c1 recipient=q@q.q"),
	    "DEFER_IF_PERMIT 4.7.1 relayguard: limit dom exceeded for x.org "
	    "(2 messages per 1h); try again later");
	/* No domain part: the domain limit does not apply. */
	send_msg(fx.e, T0, SUB "sender=nodomain", "d1", 1, "DUNNO");
	fx_close(&fx);
}

/* Without instance every RCPT is a message; without state, a RCPT. */
static void
test_no_instance(void **state)
{
	struct fx fx;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"m\" { key = \"customer\"; "
	    "count = \"messages\"; rate = \"2/1h\"; action = \"defer\"; }\n");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "recipient=a@b.c"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=END-OF-MESSAGE"),
	    "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "recipient=a@b.c"), "DUNNO");
	assert_true(fx_starts(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "recipient=a@b.c"), "DEFER_IF_PERMIT"));
	/* Other states count nothing and are never refused. */
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=MAIL "
	    "instance=z"), "DUNNO");
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=CONNECT"),
	    "DUNNO");
	assert_int_equal(engine_instance_count(fx.e), 0);
	fx_close(&fx);
}

static void
test_usage_api(void **state)
{
	struct engine_usage u[2];
	struct fx fx;
	size_t n;

	(void)state;
	fx_open(&fx, FX_NETWORKS
	    "limit \"a\" { key = \"customer\"; count = \"messages\"; "
	    "rate = \"5/1h\"; action = \"defer\"; }\n"
	    "limit \"b\" { key = \"customer\"; count = \"recipients\"; "
	    "rate = \"5/1h\"; action = \"defer\"; }\n"
	    "limit \"c\" { key = \"sasl_username\"; count = \"recipients\"; "
	    "rate = \"9/1h\"; action = \"defer\"; }\n");
	assert_int_equal(engine_customer_usage(fx.e, "u1", T0, u, 2, &n), ERR_NOENT);
	assert_int_equal(n, 0);
	send_msg(fx.e, T0, SUB, "m1", 2, "DUNNO");
	assert_int_equal(engine_customer_usage(fx.e, "u1", T0, u, 2, &n), 0);
	assert_int_equal(n, 3);		/* a, b and c (u1 is also the login) */
	assert_int_equal(engine_customer_usage(fx.e, "u1", T0, u, 0, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(fx_usage(fx.e, "u1", "c", T0).used, 2);
	assert_int_equal(fx_usage(fx.e, "u1", "c", T0).key,
	    CONF_LIMIT_KEY_SASL_USERNAME);
	fx_close(&fx);
}

static void
test_bad_conf(void **state)
{
	char err[256];
	struct conf *conf;
	struct engine *e;

	(void)state;
	conf = fx_conf(FX_NETWORKS "limit \"d\" { key = \"customer\"; "
	    "count = \"distinct_recipients\"; rate = \"100/1h\"; "
	    "action = \"defer\"; }\n");
	e = engine_new(conf, err, sizeof(err));
	assert_non_null(e);
	engine_free(e);
	/* Each of these is refused with a message naming the key. */
	conf->limits[0].rate_count = LIMIT_DISTINCT_MAX + 1;
	assert_null(engine_new(conf, err, sizeof(err)));
	assert_non_null(strstr(err, "limit.d.rate"));
	conf->limits[0].rate_count = 100;
	conf->limits[0].burst = 5;
	assert_null(engine_new(conf, err, sizeof(err)));
	assert_non_null(strstr(err, "limit.d.burst"));
	conf->limits[0].burst = 0;
	free(conf->customer_key.v[0]);
	conf->customer_key.v[0] = strdup("no_such_attribute");
	assert_null(engine_new(conf, err, sizeof(err)));
	assert_non_null(strstr(err, "customer_key"));
	conf_free(conf);
}

/* Hits per limit: every request over it, dedup respected, kept on reload. */
static void
test_limit_hits(void **state)
{
	static const char *lims =
	    "limit \"msgs\" { key = \"customer\"; count = \"messages\"; "
	    "rate = \"1/1h\"; action = \"defer\"; }\n"
	    "limit \"rcpts\" { key = \"customer\"; count = \"recipients\"; "
	    "rate = \"1/1h\"; action = \"%s\"; }\n";
	char text[1024];
	struct engine_limit_hits h;
	struct conf *c2, *c3;
	char err[256];
	struct fx fx;

	(void)state;
	snprintf(text, sizeof(text), "%s", FX_NETWORKS);
	snprintf(text + strlen(FX_NETWORKS), sizeof(text) - strlen(FX_NETWORKS),
	    lims, "warn");
	fx_open(&fx, text);
	assert_true(engine_limit_hits(fx.e, 0, &h));
	assert_string_equal(h.limit, "msgs");
	assert_int_equal(h.action, CONF_ACTION_DEFER);
	assert_int_equal(h.hits, 0);
	assert_false(engine_limit_hits(fx.e, 2, &h));
	assert_string_equal(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=a recipient=x@y.z"), "DUNNO");
	/* Both go over; the defer wins, the warn is a hit all the same. */
	assert_true(fx_starts(fx_action(fx.e, T0 + SEC, SUB "protocol_state=RCPT "
	    "instance=b recipient=x@y.z"), "DEFER_IF_PERMIT"));
	/* Repeated: answered alike, not a hit again. */
	assert_true(fx_starts(fx_action(fx.e, T0 + 2 * SEC, SUB
	    "protocol_state=RCPT instance=b recipient=x@y.z"), "DEFER_IF_PERMIT"));
	assert_true(engine_limit_hits(fx.e, 0, &h));
	assert_int_equal(h.hits, 1);
	assert_true(engine_limit_hits(fx.e, 1, &h));
	assert_string_equal(h.limit, "rcpts");
	assert_int_equal(h.action, CONF_ACTION_WARN);
	assert_int_equal(h.hits, 1);
	/* Inbound mail is never limited: no hit. */
	assert_string_equal(fx_action(fx.e, T0 + 3 * SEC, "client_address="
	    "203.0.113.9 protocol_state=RCPT instance=c recipient=x@y.z"),
	    "DUNNO");
	assert_true(engine_limit_hits(fx.e, 0, &h));
	assert_int_equal(h.hits, 1);
	/* A reload keeps a limit's hits only with its name and action. */
	snprintf(text + strlen(FX_NETWORKS), sizeof(text) - strlen(FX_NETWORKS),
	    lims, "hold");
	c2 = fx_conf(text);
	assert_int_equal(engine_set_conf(fx.e, c2, err, sizeof(err)), 0);
	conf_free(fx.conf);
	fx.conf = c2;
	assert_true(engine_limit_hits(fx.e, 0, &h));
	assert_int_equal(h.hits, 1);
	assert_true(engine_limit_hits(fx.e, 1, &h));
	assert_int_equal(h.action, CONF_ACTION_HOLD);
	assert_int_equal(h.hits, 0);
	c3 = fx_conf(FX_NETWORKS);
	assert_int_equal(engine_set_conf(fx.e, c3, err, sizeof(err)), 0);
	conf_free(fx.conf);
	fx.conf = c3;
	assert_false(engine_limit_hits(fx.e, 0, &h));
	fx_close(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exempt),
		cmocka_unit_test(test_require_auth),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_customer_key),
		cmocka_unit_test(test_customer_key_toobig),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_window_slides),
		cmocka_unit_test(test_recipients),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_distinct_recipients),
		cmocka_unit_test(test_distinct_clients),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_action_texts),
		cmocka_unit_test(test_text_sanitized),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_dedup_many),
		cmocka_unit_test(test_hold_sticks),
		cmocka_unit_test(test_counting_goes_on),
		cmocka_unit_test(test_which_limits_apply),
		cmocka_unit_test(test_key_missing),
		cmocka_unit_test(test_no_instance),
		cmocka_unit_test(test_usage_api),
		cmocka_unit_test(test_bad_conf),
		cmocka_unit_test(test_limit_hits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
