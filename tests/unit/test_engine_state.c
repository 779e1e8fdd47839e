/*
 * test_engine_state.c - unit tests of the engine's state over time
 * (src/engine/engine.c, engine_persist.c) on a fixed clock: overrides
 * (exempt keys, raised rates, errors that keep the old map), reload
 * keeping the counters of unchanged limits (and a failed reload changing
 * nothing), save and restore through the real store (dirty records only,
 * snapshots, deletions of expired keys, changed limits not misread,
 * foreign and damaged records skipped), expiry of keys and messages, and
 * allocation failure: the default action with nothing counted, no
 * allocation at all on the steady path, and failed reloads and restores.
 *
 * Store tests work in their own mkdtemp directory under /tmp and remove
 * it at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

#include "lib/xmalloc.h"
#include "store/store.h"
#include "test_engine_fx.h"

#define SUB "server_port=587 client_address=100.64.1.2 sasl_username=u1 "
#define SUB2 "server_port=587 client_address=100.64.1.3 sasl_username=u2 "

#define LIMITS_ABC \
	"limit \"a\" { key = \"customer\"; count = \"messages\"; " \
	"rate = \"3/1h\"; action = \"defer\"; }\n" \
	"limit \"b\" { key = \"customer\"; count = \"recipients\"; " \
	"rate = \"100/1h\"; burst = 10; action = \"reject\"; }\n" \
	"limit \"c\" { key = \"sasl_username\"; count = \"distinct_recipients\"; " \
	"rate = \"50/1d\"; action = \"hold\"; }\n"

/* Message inst for who at now: one RCPT to rcpt and END-OF-MESSAGE. */
static const char *
msg(struct engine *e, int64_t now, const char *who, const char *inst,
    const char *rcpt)
{
	static char action[POLICY_REPLY_MAX];
	char spec[512];

	snprintf(spec, sizeof(spec), "%s protocol_state=RCPT instance=%s "
	    "recipient=%s", who, inst, rcpt);
	snprintf(action, sizeof(action), "%s", fx_action(e, now, spec));
	snprintf(spec, sizeof(spec), "%s protocol_state=END-OF-MESSAGE "
	    "instance=%s size=1000", who, inst);
	fx_action(e, now, spec);
	return action;
}

static int
load_ov(struct engine *e, const char *text, char *err)
{
	return engine_load_overrides(e, "ov.map", text, strlen(text), err, 256);
}

static void
test_overrides_exempt(void **state)
{
	struct engine_verdict v;
	struct engine_usage u;
	struct fx fx;
	char err[256], inst[16];
	size_t n;
	int i;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"m\" { key = \"customer\"; "
	    "count = \"messages\"; rate = \"1/1h\"; action = \"reject\"; }\n");
	assert_int_equal(load_ov(fx.e, "# exempt\nNews@Shop.Example exempt\n"
	    "u9 exempt\n", err), 0);
	for (i = 0; i < 5; i++) {
		snprintf(inst, sizeof(inst), "n%d", i);
		assert_string_equal(msg(fx.e, T0, SUB "sender=news@shop.example",
		    inst, "a@b.c"), "DUNNO");
		assert_int_equal(fx_judge(fx.e, T0, "server_port=587 "
		    "client_address=100.64.1.9 sasl_username=U9 protocol_state=RCPT "
		    "recipient=a@b.c instance=x", &v), 0);
		assert_string_equal(v.action, "DUNNO");
		assert_string_equal(v.rule, "override_exempt");
	}
	/* Nothing was counted for the exempt mail. */
	assert_int_equal(engine_customer_usage(fx.e, "u1", T0, &u, 1, &n),
	    ERR_NOENT);
	assert_string_equal(msg(fx.e, T0, SUB "sender=u1@example.net", "m1",
	    "a@b.c"), "DUNNO");
	assert_true(fx_starts(msg(fx.e, T0, SUB "sender=u1@example.net", "m2",
	    "a@b.c"), "REJECT 5.7.1 "));
	fx_close(&fx);
}

static void
test_overrides_rate(void **state)
{
	struct fx fx;
	char err[256], inst[16];
	int i;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"m\" { key = \"customer\"; "
	    "count = \"messages\"; rate = \"1/1h\"; action = \"defer\"; }\n"
	    "limit \"s\" { key = \"sender\"; count = \"messages\"; "
	    "rate = \"100/1h\"; action = \"defer\"; }\n");
	assert_int_equal(load_ov(fx.e, "U1 m=3/1h\nbulk@x.org s=2/1d\n", err), 0);
	for (i = 0; i < 3; i++) {
		snprintf(inst, sizeof(inst), "a%d", i);
		assert_string_equal(msg(fx.e, T0, SUB, inst, "a@b.c"), "DUNNO");
	}
	assert_string_equal(msg(fx.e, T0, SUB, "a3", "a@b.c"),
	    "DEFER_IF_PERMIT 4.7.1 relayguard: limit m exceeded for u1 "
	    "(3 messages per 1h); try again later");
	assert_int_equal(fx_usage(fx.e, "u1", "m", T0).rate_count, 3);
	/* u2 keeps the configured rate. */
	assert_string_equal(msg(fx.e, T0, SUB2, "b0", "a@b.c"), "DUNNO");
	assert_true(fx_starts(msg(fx.e, T0, SUB2, "b1", "a@b.c"),
	    "DEFER_IF_PERMIT"));
	/* A sender's own limit with its own period. */
	assert_string_equal(msg(fx.e, T0 + 2 * HOUR, SUB2 "sender=Bulk@X.org",
	    "c0", "a@b.c"), "DUNNO");
	assert_string_equal(msg(fx.e, T0 + 4 * HOUR, SUB2 "sender=bulk@x.org",
	    "c1", "a@b.c"), "DUNNO");
	assert_string_equal(msg(fx.e, T0 + 6 * HOUR, SUB2 "sender=bulk@x.org",
	    "c2", "a@b.c"), "DEFER_IF_PERMIT 4.7.1 relayguard: limit s exceeded "
	    "for bulk@x.org (2 messages per 1d); try again later");
	fx_close(&fx);
}

static void
test_overrides_errors(void **state)
{
	static const struct {
		const char *text;
		int rc;
		const char *err;
	} cases[] = {
		{ "u1 m=5/1h\nu2 nope=1/h\n", ERR_NOENT,
		  "ov.map:2: unknown limit nope" },
		{ "u1 m=5/1h\nu2\n", ERR_MALFORMED, "ov.map:2: key u2 has no value" },
		{ "u1 m=5/1h\nU1 exempt\n", ERR_EXIST, "ov.map:2: key U1 already" },
		{ "u1 d=70000/1h\n", ERR_RANGE, "ov.map:1: d: rate out of range" },
	};
	struct fx fx;
	char err[256], inst[16];
	size_t i;

	(void)state;
	fx_open(&fx, FX_NETWORKS "limit \"m\" { key = \"customer\"; "
	    "count = \"messages\"; rate = \"1/1h\"; action = \"defer\"; }\n"
	    "limit \"d\" { key = \"customer\"; count = \"distinct_recipients\"; "
	    "rate = \"100/1h\"; action = \"defer\"; }\n");
	assert_int_equal(engine_overrides_count(fx.e), 0);
	assert_int_equal(load_ov(fx.e, "u1 m=2/1h\n", err), 0);
	assert_int_equal(engine_overrides_count(fx.e), 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load_ov(fx.e, cases[i].text, err), cases[i].rc);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("%s: \"%s\", want \"%s\"", cases[i].text, err,
			    cases[i].err);
	}
	/* The old map (2/1h) still holds. */
	assert_string_equal(msg(fx.e, T0, SUB, "a0", "a@b.c"), "DUNNO");
	assert_string_equal(msg(fx.e, T0, SUB, "a1", "a@b.c"), "DUNNO");
	assert_true(fx_starts(msg(fx.e, T0, SUB, "a2", "a@b.c"), "DEFER"));
	/* An empty map clears it: back to 1/1h. */
	assert_int_equal(engine_overrides_count(fx.e), 1);
	assert_int_equal(engine_load_overrides(fx.e, "ov.map", "", 0, err, 256), 0);
	assert_int_equal(engine_overrides_count(fx.e), 0);
	for (i = 0; i < 2; i++) {
		snprintf(inst, sizeof(inst), "x%zu", i);
		assert_string_equal(msg(fx.e, T0 + 3 * HOUR, SUB2, inst, "a@b.c"),
		    i == 0 ? "DUNNO" : "DEFER_IF_PERMIT 4.7.1 relayguard: limit m "
		    "exceeded for u2 (1 message per 1h); try again later");
	}
	fx_close(&fx);
}

static void
test_reload(void **state)
{
	struct engine_usage u[8];
	struct conf *c2, *c3;
	struct fx fx;
	char err[256];
	size_t n;

	(void)state;
	fx_open(&fx, FX_NETWORKS LIMITS_ABC);
	assert_string_equal(msg(fx.e, T0, SUB, "m1", "a@b.c"), "DUNNO");
	assert_string_equal(msg(fx.e, T0, SUB, "m2", "b@b.c"), "DUNNO");
	assert_string_equal(msg(fx.e, T0, SUB, "m3", "c@b.c"), "DUNNO");
	/* m4 is deferred by "a"; its record sticks across the reload. */
	assert_true(fx_starts(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m4 recipient=d@b.c"), "DEFER_IF_PERMIT"));
	assert_int_equal(fx_usage(fx.e, "u1", "b", T0).used, 3);
	assert_int_equal(fx_usage(fx.e, "u1", "c", T0).used, 3);

	/* "b" changes its rate, "c" goes, "d" comes; "a" moves to the end. */
	c2 = fx_conf(FX_NETWORKS
	    "limit \"d\" { key = \"customer\"; count = \"bytes\"; "
	    "rate = \"1000000/1h\"; action = \"defer\"; }\n"
	    "limit \"b\" { key = \"customer\"; count = \"recipients\"; "
	    "rate = \"101/1h\"; burst = 10; action = \"reject\"; }\n"
	    "limit \"a\" { key = \"customer\"; count = \"messages\"; "
	    "rate = \"3/1h\"; action = \"hold\"; }\n");
	assert_int_equal(engine_set_conf(fx.e, c2, err, sizeof(err)), 0);
	conf_free(fx.conf);
	fx.conf = c2;
	assert_int_equal(engine_customer_usage(fx.e, "u1", T0, u, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(u[0].limit, "a");
	assert_int_equal(u[0].used, 3);
	assert_int_equal(u[0].attempts, 4);
	assert_int_equal(u[0].over, 1);
	/* The in-flight message keeps its answer; new ones get the new action. */
	assert_true(fx_starts(fx_action(fx.e, T0, SUB "protocol_state=RCPT "
	    "instance=m4 recipient=e@b.c"), "DEFER_IF_PERMIT 4.7.1 relayguard: "
	    "limit a "));
	assert_true(fx_starts(msg(fx.e, T0, SUB, "m5", "f@b.c"), "HOLD "));

	/* A reload that fails changes nothing. */
	c3 = fx_conf(FX_NETWORKS LIMITS_ABC);
	free(c3->customer_key.v[0]);
	c3->customer_key.v[0] = strdup("bogus");
	assert_int_equal(engine_set_conf(fx.e, c3, err, sizeof(err)), ERR_INVAL);
	assert_non_null(strstr(err, "customer_key"));
	conf_free(c3);
	assert_int_equal(fx_usage(fx.e, "u1", "a", T0).used, 3);
	assert_true(fx_starts(msg(fx.e, T0, SUB, "m6", "f@b.c"), "HOLD "));
	fx_close(&fx);
}

/* ---- the store ---- */

static char tmpdir[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static struct store *
store_at(void)
{
	struct store *st = NULL;
	char err[256];

	if (store_open(tmpdir, &st, err, sizeof(err)) != 0)
		fail_msg("store_open: %s", err);
	return st;
}

static int
setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rg-engine-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Traffic that leaves a window, a bucket and a set for u1 and u2. */
static void
traffic(struct engine *e)
{
	assert_string_equal(msg(e, T0, SUB, "m1", "a@b.c"), "DUNNO");
	assert_string_equal(msg(e, T0 + SEC, SUB, "m2", "b@b.c"), "DUNNO");
	assert_string_equal(msg(e, T0, SUB2, "n1", "a@b.c"), "DUNNO");
	assert_string_equal(msg(e, T0, SUB2, "n2", "a@b.c"), "DUNNO");
	assert_string_equal(msg(e, T0, SUB2, "n3", "a@b.c"), "DUNNO");
	assert_true(fx_starts(msg(e, T0, SUB2, "n4", "a@b.c"), "DEFER_IF_PERMIT"));
}

static void
same_usage(struct engine *a, struct engine *b, const char *customer)
{
	struct engine_usage ua[8], ub[8];
	size_t na, nb, i, j;

	assert_int_equal(engine_customer_usage(a, customer, T0 + MIN, ua, 8, &na), 0);
	assert_int_equal(engine_customer_usage(b, customer, T0 + MIN, ub, 8, &nb), 0);
	assert_int_equal(na, nb);
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && strcmp(ua[i].limit, ub[j].limit) != 0; j++)
			;
		assert_true(j < nb);
		assert_int_equal(ua[i].used, ub[j].used);
		assert_int_equal(ua[i].attempts, ub[j].attempts);
		assert_int_equal(ua[i].over, ub[j].over);
	}
}

static void
test_save_restore(void **state)
{
	struct fx fx, fx2;
	struct store *st;
	uint64_t bytes;

	(void)state;
	fx_open(&fx, FX_NETWORKS LIMITS_ABC);
	traffic(fx.e);
	st = store_at();
	assert_int_equal(engine_save(fx.e, st, false), 0);
	assert_int_equal(store_sync(st), 0);
	/* Nothing changed since: a second save writes nothing. */
	bytes = store_journal_bytes(st);
	assert_int_equal(engine_save(fx.e, st, false), 0);
	assert_int_equal(store_journal_bytes(st), bytes);
	/* Records that are not the engine's are left alone. */
	assert_int_equal(store_put(st, "incident/7", 10, "x", 1), 0);
	store_close(st);

	fx_open(&fx2, FX_NETWORKS LIMITS_ABC);
	st = store_at();
	assert_int_equal(engine_restore(fx2.e, st), 0);
	store_close(st);
	assert_int_equal(engine_customer_count(fx2.e), 2);
	same_usage(fx.e, fx2.e, "u1");
	same_usage(fx.e, fx2.e, "u2");
	/* The restored windows, bucket and set go on where they were. */
	assert_string_equal(msg(fx2.e, T0 + MIN, SUB, "m3", "a@b.c"), "DUNNO");
	assert_true(fx_starts(msg(fx2.e, T0 + MIN, SUB, "m4", "z@b.c"),
	    "DEFER_IF_PERMIT"));
	assert_true(fx_starts(msg(fx2.e, T0 + MIN, SUB2, "n5", "a@b.c"),
	    "DEFER_IF_PERMIT"));
	fx_close(&fx2);
	fx_close(&fx);
}

static void
test_restore_changed_limit(void **state)
{
	struct fx fx, fx2;
	struct engine_usage u[8];
	struct store *st;
	size_t n;

	(void)state;
	fx_open(&fx, FX_NETWORKS LIMITS_ABC);
	traffic(fx.e);
	st = store_at();
	assert_int_equal(engine_save(fx.e, st, true), 0);
	store_close(st);
	fx_close(&fx);
	/* "a" has another rate now, "b" another count: not misread. */
	fx_open(&fx2, FX_NETWORKS
	    "limit \"a\" { key = \"customer\"; count = \"messages\"; "
	    "rate = \"4/1h\"; action = \"defer\"; }\n"
	    "limit \"b\" { key = \"customer\"; count = \"messages\"; "
	    "rate = \"100/1h\"; burst = 10; action = \"reject\"; }\n"
	    "limit \"c\" { key = \"sasl_username\"; count = \"distinct_recipients\"; "
	    "rate = \"50/1d\"; action = \"hold\"; }\n");
	st = store_at();
	assert_int_equal(engine_restore(fx2.e, st), 0);
	store_close(st);
	assert_int_equal(engine_customer_count(fx2.e), 0);
	assert_int_equal(engine_customer_usage(fx2.e, "u1", T0, u, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(u[0].limit, "c");
	assert_int_equal(u[0].used, 2);
	fx_close(&fx2);
}

static void
test_snapshot_and_deletions(void **state)
{
	struct fx fx, fx2;
	struct store *st;
	struct engine_usage u;
	size_t n;

	(void)state;
	fx_open(&fx, FX_NETWORKS LIMITS_ABC);
	traffic(fx.e);
	st = store_at();
	assert_int_equal(store_compact(st, engine_snapshot_iterate, fx.e), 0);
	store_close(st);

	fx_open(&fx2, FX_NETWORKS LIMITS_ABC);
	st = store_at();
	assert_int_equal(engine_restore(fx2.e, st), 0);
	same_usage(fx.e, fx2.e, "u2");
	/* Everything expires; the next save deletes the records. */
	engine_expire(fx2.e, T0 + 2 * 86400 * SEC);
	assert_int_equal(engine_customer_count(fx2.e), 0);
	assert_int_equal(engine_save(fx2.e, st, false), 0);
	store_close(st);
	fx_close(&fx2);
	fx_close(&fx);

	fx_open(&fx2, FX_NETWORKS LIMITS_ABC);
	st = store_at();
	assert_int_equal(engine_restore(fx2.e, st), 0);
	store_close(st);
	assert_int_equal(engine_customer_count(fx2.e), 0);
	assert_int_equal(engine_customer_usage(fx2.e, "u2", T0, &u, 1, &n),
	    ERR_NOENT);
	fx_close(&fx2);
}

static void
test_restore_damaged(void **state)
{
	static const unsigned char bad_version[] = { 9, 0, 0, 0 };
	static const unsigned char truncated[] = { 1, 0, 1, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 1, 'a' };
	static const unsigned char wrong_kind[] = { 1, 3, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0 };
	struct fx fx, fx2;
	struct store *st;

	(void)state;
	fx_open(&fx, FX_NETWORKS LIMITS_ABC);
	traffic(fx.e);
	st = store_at();
	assert_int_equal(engine_save(fx.e, st, true), 0);
	assert_int_equal(store_put(st, "lim/customer/v", 14, bad_version,
	    sizeof(bad_version)), 0);
	assert_int_equal(store_put(st, "lim/customer/w", 14, truncated,
	    sizeof(truncated)), 0);
	assert_int_equal(store_put(st, "lim/customer/x", 14, wrong_kind,
	    sizeof(wrong_kind)), 0);
	assert_int_equal(store_put(st, "lim/nokind/y", 12, "z", 1), 0);
	assert_int_equal(store_put(st, "lim/customer", 12, "z", 1), 0);
	store_close(st);
	fx_open(&fx2, FX_NETWORKS LIMITS_ABC);
	st = store_at();
	assert_int_equal(engine_restore(fx2.e, st), 0);
	store_close(st);
	assert_int_equal(engine_customer_count(fx2.e), 2);
	same_usage(fx.e, fx2.e, "u1");
	fx_close(&fx2);
	fx_close(&fx);
}

static void
test_expire(void **state)
{
	struct fx fx;
	struct engine_usage u;
	size_t n;

	(void)state;
	fx_open(&fx, FX_NETWORKS "policy { instance_ttl = 10m; }\n"
	    "limit \"a\" { key = \"customer\"; count = \"messages\"; "
	    "rate = \"3/1h\"; action = \"defer\"; }\n"
	    "limit \"b\" { key = \"sasl_username\"; count = \"messages\"; "
	    "rate = \"1/1h\"; burst = 4; action = \"defer\"; }\n");
	msg(fx.e, T0, SUB, "m1", "a@b.c");
	msg(fx.e, T0 + HOUR, SUB2, "m2", "a@b.c");
	assert_int_equal(engine_instance_count(fx.e), 2);
	engine_expire(fx.e, T0 + 10 * MIN);
	assert_int_equal(engine_instance_count(fx.e), 2);
	engine_expire(fx.e, T0 + 10 * MIN + 1);
	assert_int_equal(engine_instance_count(fx.e), 1);
	/* Kept until the bucket is full again: 4 tokens at 1 an hour. */
	engine_expire(fx.e, T0 + 4 * HOUR);
	assert_int_equal(engine_customer_count(fx.e), 2);
	assert_int_equal(engine_instance_count(fx.e), 0);
	engine_expire(fx.e, T0 + 4 * HOUR + 1);
	assert_int_equal(engine_customer_count(fx.e), 1);
	assert_int_equal(engine_customer_usage(fx.e, "u1", T0, &u, 1, &n),
	    ERR_NOENT);
	engine_expire(fx.e, T0 + 5 * HOUR + 1);
	assert_int_equal(engine_customer_count(fx.e), 0);
	/* An override with a longer period keeps keys longer. */
	assert_int_equal(engine_load_overrides(fx.e, "ov", "u1 a=3/1d\n", 10,
	    (char[64]){ 0 }, 64), 0);
	msg(fx.e, T0 + 6 * HOUR, SUB, "m3", "a@b.c");
	engine_expire(fx.e, T0 + 6 * HOUR + 20 * HOUR);
	assert_int_equal(engine_customer_count(fx.e), 1);
	fx_close(&fx);
}

/* Allocation failure on a new customer and message: default, no count. */
static void
test_nomem_judge(void **state)
{
	const char *deflt = "DEFER_IF_PERMIT 4.3.0 relayguard: try again";
	struct engine_verdict v;
	struct engine_usage u;
	struct fx fx;
	size_t nu;
	long n;
	int rc;

	(void)state;
	fx_open(&fx, FX_NETWORKS "policy { default_action = \"DEFER_IF_PERMIT "
	    "4.3.0 relayguard: try again\"; }\n" LIMITS_ABC);
	for (n = 0;; n++) {
		xmalloc_fail_after(n);
		rc = fx_judge(fx.e, T0, SUB "protocol_state=RCPT instance=m1 "
		    "recipient=a@b.c", &v);
		xmalloc_fail_after(-1);
		if (rc == 0)
			break;
		assert_int_equal(rc, ERR_NOMEM);
		assert_string_equal(v.action, deflt);
		assert_string_equal(v.rule, "default");
		assert_string_equal(v.customer, "u1");
		/* Nothing counted. */
		if (engine_customer_usage(fx.e, "u1", T0, &u, 1, &nu) == 0)
			assert_int_equal(u.attempts, 0);
	}
	assert_true(n > 3);
	assert_string_equal(v.action, "DUNNO");
	assert_int_equal(fx_usage(fx.e, "u1", "a", T0).used, 1);
	assert_int_equal(fx_usage(fx.e, "u1", "a", T0).attempts, 1);
	assert_int_equal(fx_usage(fx.e, "u1", "b", T0).used, 1);
	fx_close(&fx);
}

/* A known customer, a reused message record: not one allocation. */
static void
test_steady_state_allocates_nothing(void **state)
{
	struct fx fx;
	struct store *st;
	char inst[16];
	bool ok1, ok2;
	int i;

	(void)state;
	fx_open(&fx, FX_NETWORKS "policy { instance_ttl = 1s; }\n"
	    "limit \"a\" { key = \"customer\"; count = \"messages\"; "
	    "rate = \"100/1h\"; action = \"defer\"; }\n"
	    "limit \"b\" { key = \"customer\"; count = \"recipients\"; "
	    "rate = \"100/1h\"; burst = 10; action = \"reject\"; }\n"
	    "limit \"c\" { key = \"sasl_username\"; "
	    "count = \"distinct_recipients\"; rate = \"50/1d\"; "
	    "action = \"hold\"; }\n");
	for (i = 0; i < 8; i++) {
		snprintf(inst, sizeof(inst), "w%d", i);
		msg(fx.e, T0, SUB, inst, "a@b.c");
	}
	engine_expire(fx.e, T0 + 2 * SEC);
	assert_int_equal(engine_instance_count(fx.e), 0);
	st = store_at();
	assert_int_equal(engine_save(fx.e, st, false), 0);
	xmalloc_fail_after(0);
	ok1 = strcmp(msg(fx.e, T0 + 3 * SEC, SUB, "s1", "a@b.c"), "DUNNO") == 0;
	ok2 = strcmp(msg(fx.e, T0 + 3 * SEC, SUB, "s2", "b@b.c"), "DUNNO") == 0;
	xmalloc_fail_after(-1);
	assert_true(ok1);
	assert_true(ok2);
	store_close(st);
	fx_close(&fx);
}

static void
test_nomem_reload(void **state)
{
	struct fx fx;
	struct conf *c2;
	char err[256];
	long n;
	int rc;

	(void)state;
	fx_open(&fx, FX_NETWORKS LIMITS_ABC);
	msg(fx.e, T0, SUB, "m1", "a@b.c");
	c2 = fx_conf(FX_NETWORKS LIMITS_ABC);
	for (n = 0;; n++) {
		xmalloc_fail_after(n);
		rc = engine_set_conf(fx.e, c2, err, sizeof(err));
		xmalloc_fail_after(-1);
		if (rc == 0)
			break;
		assert_int_equal(rc, ERR_NOMEM);
		/* The old rules still answer. */
		assert_int_equal(fx_usage(fx.e, "u1", "a", T0).used, 1);
	}
	conf_free(fx.conf);
	fx.conf = c2;
	assert_int_equal(fx_usage(fx.e, "u1", "a", T0).used, 1);
	for (n = 0;; n++) {
		xmalloc_fail_after(n);
		rc = load_ov(fx.e, "u1 a=1/1h\nu2 exempt\n", err);
		xmalloc_fail_after(-1);
		if (rc == 0)
			break;
		assert_int_equal(rc, ERR_NOMEM);
		assert_string_equal(msg(fx.e, T0, SUB2, "x", "a@b.c"), "DUNNO");
	}
	assert_true(fx_starts(msg(fx.e, T0, SUB, "m2", "a@b.c"), "DEFER"));
	fx_close(&fx);
}

static void
test_nomem_restore(void **state)
{
	struct fx fx, fx2;
	struct store *st;
	long n;
	int rc;

	(void)state;
	fx_open(&fx, FX_NETWORKS LIMITS_ABC);
	traffic(fx.e);
	st = store_at();
	assert_int_equal(engine_save(fx.e, st, true), 0);
	store_close(st);
	for (n = 0;; n++) {
		fx_open(&fx2, FX_NETWORKS LIMITS_ABC);
		st = store_at();
		xmalloc_fail_after(n);
		rc = engine_restore(fx2.e, st);
		xmalloc_fail_after(-1);
		store_close(st);
		if (rc == 0) {
			same_usage(fx.e, fx2.e, "u1");
			same_usage(fx.e, fx2.e, "u2");
			fx_close(&fx2);
			break;
		}
		assert_int_equal(rc, ERR_NOMEM);
		fx_close(&fx2);
	}
	assert_true(n > 3);
	fx_close(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overrides_exempt),
		cmocka_unit_test(test_overrides_rate),
		cmocka_unit_test(test_overrides_errors),
		cmocka_unit_test(test_reload),
		cmocka_unit_test_setup_teardown(test_save_restore, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_restore_changed_limit,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_snapshot_and_deletions,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_restore_damaged, setup_dir,
		    teardown_dir),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_nomem_judge),
		cmocka_unit_test_setup_teardown(test_steady_state_allocates_nothing,
		    setup_dir, teardown_dir),
		cmocka_unit_test(test_nomem_reload),
		cmocka_unit_test_setup_teardown(test_nomem_restore, setup_dir,
		    teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
