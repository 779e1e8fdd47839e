/*
 * test_shared.c - the pure parts of the shared state (store/shared.c):
 * key names, Redis Cluster slots, window slot numbers, the incident text;
 * and the engine's side of the interface (engine_set_shared()), driven
 * by a table of backend answers on a fixed clock: the combined count
 * decides, a failing backend leaves the local state to decide, a refused
 * request gives back what it committed, another relay's incident holds.
 * The real Redis is exercised by tests/integ/28_redis_shared_limit.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/shared.h"
#include "test_engine_fx.h"

static void
test_key_limit(void **state)
{
	struct shared_op op = { .limit = "msgs", .key_kind = "customer",
	    .key = "u1 x", .key_len = 4, .kind = SHARED_WINDOW,
	    .period_ms = 3600000 };
	char buf[SHARED_KEY_MAX];
	int n;

	(void)state;
	n = shared_key_limit(buf, sizeof(buf), "rg:", &op);
	assert_int_equal(n, (int)strlen("rg:l:msgs:w:3600000:customer:u1 x"));
	assert_memory_equal(buf, "rg:l:msgs:w:3600000:customer:u1 x", (size_t)n);
	op.kind = SHARED_DISTINCT;
	op.period_ms = 60000;
	n = shared_key_limit(buf, sizeof(buf), "", &op);
	assert_memory_equal(buf, "l:msgs:d:60000:customer:u1 x", (size_t)n);
	/* Binary-safe: a NUL in the value is kept. */
	op.key = "a\0b";
	op.key_len = 3;
	op.kind = SHARED_BUCKET;
	n = shared_key_limit(buf, sizeof(buf), "p", &op);
	assert_int_equal(n, (int)strlen("pl:msgs:b:60000:customer:") + 3);
	/* Too long: for the buffer, and for SHARED_KEY_MAX. */
	assert_int_equal(shared_key_limit(buf, 10, "rg:", &op), ERR_TOOBIG);
	{
		static char big[SHARED_KEY_MAX];

		memset(big, 'x', sizeof(big));
		op.key = big;
		op.key_len = sizeof(big);
		assert_int_equal(shared_key_limit(buf, sizeof(buf), "", &op),
		    ERR_TOOBIG);
	}
	n = shared_key_incident(buf, sizeof(buf), "rg:", "c1", 2);
	assert_memory_equal(buf, "rg:i:c1", (size_t)n);
	assert_int_equal(shared_key_incident(buf, 5, "rg:", "c1", 2), ERR_TOOBIG);
}

/* Slots as Redis Cluster computes them (CLUSTER KEYSLOT). */
static void
test_key_slot(void **state)
{
	static const struct {
		const char *key;
		unsigned want;
	} tab[] = {
		{ "foo", 12182 },
		{ "bar", 5061 },
		{ "123456789", 0x31c3 % 16384 },
		{ "{user1000}.following", 3443 },
		{ "{user1000}.followers", 3443 },
		{ "foo{}{bar}", 8363 },		/* empty tag: the whole key */
		{ "foo{{bar}}zap", 4015 },	/* tag "{bar" */
		{ "foo{bar}{zap}", 5061 },	/* the first tag only */
		{ "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		assert_int_equal(shared_key_slot(tab[i].key, strlen(tab[i].key)),
		    tab[i].want);
}

static void
test_window_slot(void **state)
{
	(void)state;
	/* limit.c: ceil(P / 15). */
	assert_int_equal(shared_window_slot(240000000, 240000000LL * 7 + 5), 7);
	assert_int_equal(shared_window_slot(240000000, 240000000LL * 7 - 1), 6);
	assert_int_equal(shared_window_slot(0, 12345), 0);
	assert_int_equal(shared_window_slot(66667, -1), 0);
}

static void
test_incident_text(void **state)
{
	static const struct {
		const char *text;
		int want;
		uint64_t id;
		unsigned actions;
		const char *reason, *node;
	} tab[] = {
		{ "17 1 sprt relay1", 0, 17, 1, "sprt", "relay1" },
		{ "18446744073709551615 5 complaint r.example", 0,
		    UINT64_MAX, 5, "complaint", "r.example" },
		{ "", ERR_MALFORMED, 0, 0, "", "" },
		{ "17 1 sprt", ERR_MALFORMED, 0, 0, "", "" },
		{ "0 1 sprt relay1", ERR_MALFORMED, 0, 0, "", "" },
		{ "x 1 sprt relay1", ERR_MALFORMED, 0, 0, "", "" },
		{ "17 -1 sprt relay1", ERR_MALFORMED, 0, 0, "", "" },
		{ "18446744073709551616 1 sprt r", ERR_MALFORMED, 0, 0, "", "" },
		{ "17 1 sprt relay1 extra", ERR_MALFORMED, 0, 0, "", "" },
		{ "17  1 sprt relay1", ERR_MALFORMED, 0, 0, "", "" },
		{ "17 1 averyveryverylongreason relay1", ERR_MALFORMED, 0, 0,
		    "", "" },
	};
	struct shared_incident inc, back;
	char buf[SHARED_INCIDENT_TEXT_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		assert_int_equal(shared_incident_parse(tab[i].text,
		    strlen(tab[i].text), &inc), tab[i].want);
		assert_true(inc.id == tab[i].id);
		assert_int_equal(inc.actions, tab[i].actions);
		assert_string_equal(inc.reason, tab[i].reason);
		assert_string_equal(inc.node, tab[i].node);
		if (tab[i].want != 0)
			continue;
		assert_int_equal(shared_incident_format(buf, sizeof(buf), &inc),
		    (int)strlen(tab[i].text));
		assert_string_equal(buf, tab[i].text);
		assert_int_equal(shared_incident_parse(buf, strlen(buf), &back), 0);
		assert_memory_equal(&back, &inc, sizeof(inc));
	}
	assert_int_equal(shared_incident_format(buf, 4, &inc), ERR_TOOBIG);
}

/*
 * The engine against a scripted backend: fail makes judge() fail; over
 * is the combined count's answer for every op; inc the incident it
 * reports.  It records what it was asked and what was given back.
 */
struct fake {
	bool fail;
	bool over;
	const char *over_limit;		/* only this limit is over (NULL: by over) */
	struct shared_incident inc;
	size_t judged, ops, undone;
	bool asked_customer;
	uint64_t last_w, last_count;
	char last_key[64];
};

static int
fake_judge(void *ctx, const char *customer, struct shared_op *ops, size_t n,
    int64_t now_us, struct shared_incident *inc)
{
	struct fake *f = ctx;
	size_t i;

	(void)now_us;
	f->judged++;
	f->asked_customer = customer != NULL;
	if (f->fail)
		return ERR_UNAVAIL;
	for (i = 0; i < n; i++) {
		ops[i].over = f->over_limit ? strcmp(ops[i].limit,
		    f->over_limit) == 0 : f->over;
		ops[i].committed = !ops[i].over && ops[i].w > 0;
		f->last_w = ops[i].w;
		f->last_count = ops[i].count;
		snprintf(f->last_key, sizeof(f->last_key), "%s/%s/%.*s",
		    ops[i].limit, ops[i].key_kind, (int)ops[i].key_len, ops[i].key);
	}
	f->ops += n;
	*inc = f->inc;
	return 0;
}

static void
fake_undo(void *ctx, const struct shared_op *ops, size_t n, int64_t now_us)
{
	struct fake *f = ctx;
	size_t i;

	(void)now_us;
	for (i = 0; i < n; i++)
		f->undone += ops[i].committed;
}

static const struct shared_ops fake_ops = { fake_judge, fake_undo };

#define SHARED_CONF FX_NETWORKS \
	"limit \"msgs\" { key = \"customer\"; count = \"messages\"; " \
	"rate = \"2/1h\"; action = \"defer\"; }\n" \
	"limit \"rcpts\" { key = \"sender\"; count = \"recipients\"; " \
	"rate = \"100/1h\"; action = \"reject\"; }\n"
#define REQ "client_address=198.51.100.7 sasl_username=u1 " \
	"sender=U1@Isp.Example recipient=a@example.org policy_context=submission"

static void
test_engine_shared(void **state)
{
	struct fake f = { 0 };
	struct engine_verdict v;
	struct fx fx;
	int i;

	(void)state;
	fx_open(&fx, SHARED_CONF);
	engine_set_shared(fx.e, &fake_ops, &f);
	/* The combined count decides: over at once, though local is empty. */
	f.over_limit = "msgs";
	assert_int_equal(fx_judge(fx.e, T0, REQ, &v), 0);
	assert_string_equal(v.rule, "msgs");
	assert_true(fx_starts(v.action, "DEFER_IF_PERMIT 4.7.1"));
	assert_int_equal(f.judged, 1);
	assert_int_equal(f.ops, 2);
	assert_false(f.asked_customer);		/* detection is off */
	assert_string_equal(f.last_key, "rcpts/sender/u1@isp.example");
	assert_int_equal(f.last_count, 100);
	assert_int_equal(f.last_w, 1);
	assert_int_equal(f.undone, 1);		/* rcpts' event given back */
	/* Under: accepted, nothing given back. */
	f.over_limit = "none";
	for (i = 0; i < 3; i++) {
		assert_int_equal(fx_judge(fx.e, T0 + SEC, REQ, &v), 0);
		assert_string_equal(v.action, "DUNNO");
	}
	assert_int_equal(f.undone, 1);
	/* The local state counted this relay's own accepted events. */
	assert_int_equal(fx_usage(fx.e, "u1", "msgs", T0 + SEC).used, 3);
	/* The backend down: the local counts (3 accepted here) decide. */
	f.fail = true;
	assert_true(fx_starts(fx_action(fx.e, T0 + 2 * SEC, REQ),
	    "DEFER_IF_PERMIT 4.7.1 relayguard: limit msgs"));
	fx_close(&fx);
}

/* A request refused by one limit gives back what the others committed. */
static void
test_engine_shared_undo(void **state)
{
	struct fake f = { 0 };
	struct engine_verdict v;
	struct fx fx;

	(void)state;
	fx_open(&fx, FX_NETWORKS
	    "limit \"msgs\" { key = \"customer\"; count = \"messages\"; "
	    "rate = \"100/1h\"; action = \"defer\"; }\n"
	    "limit \"tiny\" { key = \"sender\"; count = \"recipients\"; "
	    "rate = \"1/1h\"; action = \"reject\"; }\n");
	engine_set_shared(fx.e, &fake_ops, &f);
	f.over_limit = "tiny";
	assert_int_equal(fx_judge(fx.e, T0, REQ, &v), 0);
	assert_string_equal(v.rule, "tiny");
	assert_true(fx_starts(v.action, "REJECT 5.7.1"));
	assert_int_equal(f.undone, 1);		/* msgs' event given back */
	/* Both under: accepted, nothing given back. */
	f.over_limit = "none";
	assert_int_equal(fx_judge(fx.e, T0, REQ, &v), 0);
	assert_string_equal(v.action, "DUNNO");
	assert_int_equal(f.undone, 1);
	/* Local "tiny" is full now: with the backend down it refuses. */
	f.fail = true;
	assert_int_equal(fx_judge(fx.e, T0, REQ, &v), 0);
	assert_string_equal(v.rule, "tiny");
	assert_int_equal(f.undone, 1);		/* backend failed: nothing to undo */
	fx_close(&fx);
}

/* Another relay's incident holds here, with its own text. */
static void
test_engine_shared_incident(void **state)
{
	struct fake f = { 0 };
	struct engine_verdict v;
	struct fx fx;

	(void)state;
	fx_open(&fx, FX_NETWORKS
	    "limit \"msgs\" { key = \"customer\"; count = \"messages\"; "
	    "rate = \"100/1h\"; action = \"defer\"; }\n"
	    "detection { enabled = true; on_compromise = [\"hold\"]; }\n");
	engine_set_shared(fx.e, &fake_ops, &f);
	f.inc.id = 7;
	f.inc.actions = CONF_ON_HOLD;
	snprintf(f.inc.reason, sizeof(f.inc.reason), "sprt");
	snprintf(f.inc.node, sizeof(f.inc.node), "relay2");
	assert_int_equal(fx_judge(fx.e, T0, REQ " instance=m1", &v), 0);
	assert_true(f.asked_customer);
	assert_string_equal(v.rule, "incident");
	assert_string_equal(v.action, "HOLD relayguard: shared incident "
	    "relay2/7: mail of u1 looks compromised (sprt); message held for "
	    "review");
	assert_int_equal(f.undone, 1);		/* the message count given back */
	/* The same request again: answered alike from the message record. */
	assert_int_equal(fx_judge(fx.e, T0, REQ " instance=m1", &v), 0);
	assert_string_equal(v.rule, "incident");
	assert_true(strstr(v.action, "shared incident relay2/7") != NULL);
	/* Released there: the customer's next message flows. */
	memset(&f.inc, 0, sizeof(f.inc));
	assert_int_equal(fx_judge(fx.e, T0, REQ " instance=m2", &v), 0);
	assert_string_equal(v.action, "DUNNO");
	/* An incident without hold or reject does not hold. */
	f.inc.id = 8;
	f.inc.actions = CONF_ON_LIST;
	assert_int_equal(fx_judge(fx.e, T0, REQ " instance=m3", &v), 0);
	assert_string_equal(v.action, "DUNNO");
	fx_close(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_limit),
		cmocka_unit_test(test_key_slot),
		cmocka_unit_test(test_window_slot),
		cmocka_unit_test(test_incident_text),
		cmocka_unit_test(test_engine_shared),
		cmocka_unit_test(test_engine_shared_undo),
		cmocka_unit_test(test_engine_shared_incident),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
