/*
 * test_detect.c - unit tests of the detection signals (detect.c,
 * detect_model.c, detect_evidence.c) through their own API on a fixed
 * clock: recipient and domain novelty against the customer's own
 * baseline, the per-message cap, new senders, HELO changes, client
 * networks behind an authenticated account, off hours, volume against
 * the hourly baseline, delivery outcomes, complaints, the evidence
 * JSON, the persisted form and expiry.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/detect.h"
#include "lib/err.h"

#define T0 1764460800000000LL	/* 2025-11-30 00:00:00 UTC */
#define SEC 1000000LL
#define HOUR (3600 * SEC)
#define DAY_T (T0 + 14 * HOUR)	/* 14:00: not off hours */

struct dx {
	struct detect_tab t;
	struct detect_params p;
	struct detect_cust *c;
};

static void
dx_open(struct dx *x)
{
	assert_int_equal(detect_tab_init(&x->t, 42), 0);
	detect_params_default(&x->p);
	x->c = detect_get(&x->t, "u1", 2, detect_hash(&x->t, "u1", 2), T0);
	assert_non_null(x->c);
}

static void
dx_close(struct dx *x)
{
	detect_tab_fini(&x->t);
}

/* A message with one recipient; returns the total LLR it added. */
static float
dx_msg(struct dx *x, int64_t t, const char *sender, const char *helo,
    const char *addr, const char *rcpt)
{
	struct detect_msg m = { 0 };
	struct ipaddr a;
	enum sprt_decision d;
	float llr;

	m.sender = sender;
	m.sender_len = sender ? strlen(sender) : 0;
	m.helo = helo;
	m.helo_len = helo ? strlen(helo) : 0;
	if (addr != NULL) {
		assert_int_equal(ipaddr_parse(addr, strlen(addr), &a), 0);
		m.addr = &a;
		m.sasl = true;
	}
	llr = detect_message(&x->t, &x->p, x->c, &m, t, &d);
	if (rcpt != NULL)
		llr += detect_recipient(&x->t, &x->p, x->c, rcpt, strlen(rcpt),
		    t, &d);
	return llr;
}

static float
dx_sig(const struct dx *x, enum detect_sig s)
{
	return x->c->act != NULL ? x->c->act->sig_llr[s] : 0;
}

/*
 * 80 messages to 4 friends at one domain, every 5th to a new one there:
 * a settled baseline (novel recipients rare, novel domains rarer).
 */
static void
dx_settle(struct dx *x)
{
	char rcpt[64];
	int i;

	for (i = 0; i < 80; i++) {
		if (i % 5 == 4)
			snprintf(rcpt, sizeof(rcpt), "new%d@home.example", i);
		else
			snprintf(rcpt, sizeof(rcpt), "friend%d@home.example",
			    i % 4);
		dx_msg(x, DAY_T - 80 * 600 * SEC + i * 600 * SEC,
		    "me@isp.example", "laptop", "100.64.1.1", rcpt);
	}
}

static void
test_rcpt_novelty(void **state)
{
	struct dx x;
	enum sprt_decision d;
	float novel, known, dom_known, fresh;

	(void)state;
	dx_open(&x);
	/* A new customer: a novel recipient is weak evidence. */
	fresh = detect_recipient(&x.t, &x.p, x.c, "a@one.example", 13, DAY_T,
	    &d);
	assert_true(fabsf(fresh - logf(0.97f / 0.9f)) < 1e-4f);
	dx_close(&x);

	dx_open(&x);
	dx_settle(&x);
	assert_true(x.c->rate_novel < 0.3f);
	assert_true(x.c->rate_dom_novel < 0.3f);
	detect_reset(&x.t, x.c);
	x.c->msg_raw = x.c->msg_done = 0;
	x.c->msg_rcpts = 0;
	novel = detect_recipient(&x.t, &x.p, x.c, "a@elsewhere.example", 19,
	    DAY_T, &d);
	assert_true(novel > 0.5f);	/* about 0.72 */
	dx_close(&x);

	dx_open(&x);
	dx_settle(&x);
	x.c->msg_raw = x.c->msg_done = 0;
	x.c->msg_rcpts = 0;
	dom_known = detect_recipient(&x.t, &x.p, x.c, "new@HOME.example", 16,
	    DAY_T, &d);
	/*
	 * At a known domain: no more than at a new one (with 16 novel
	 * recipients at known domains, domain novelty at the prior 0.35
	 * says nothing either way).
	 */
	assert_true(dom_known > 0 && dom_known <= novel + 1e-6f);
	x.c->msg_raw = x.c->msg_done = 0;
	x.c->msg_rcpts = 0;
	x.c->sprt.llr = 0;
	known = detect_recipient(&x.t, &x.p, x.c, "FRIEND1@home.example", 20,
	    DAY_T, &d);
	assert_true(known < -0.1f);	/* case-folded: a known recipient */
	dx_close(&x);
}

/*
 * One message to 100 novel recipients weighs like 3 of them (the mean
 * LLR of its recipients times min(k, 3)), and never over msg_cap_pos.
 */
static void
test_message_share(void **state)
{
	enum sprt_decision d;
	char rcpt[64];
	struct dx x;
	float sum = 0, one = 0;
	int i;

	(void)state;
	dx_open(&x);
	dx_settle(&x);
	dx_msg(&x, DAY_T, "me@isp.example", "laptop", "100.64.1.1", NULL);
	x.c->sprt.llr = -100;	/* keep the test from deciding */
	for (i = 0; i < 100; i++) {
		snprintf(rcpt, sizeof(rcpt), "r%d@d%d.example", i, i);
		sum += detect_recipient(&x.t, &x.p, x.c, rcpt, strlen(rcpt),
		    DAY_T, &d);
		if (i == 0)
			one = sum;
	}
	assert_true(one > 0.5f);
	/* Plus 3 x 0.4 for recipients over the usual count. */
	assert_true(sum <= x.p.msg_cap_pos + 1.2f + 1e-4f);
	/* Without the 3 x 0.4 of `recipients`: about 3 x one. */
	assert_true(sum - 1.2f < 3.5f * one);	/* not 100 x one */
	assert_true(sum - 1.2f > 1.5f * one);	/* but more than one */
	dx_close(&x);
}

static void
test_sender_and_helo(void **state)
{
	struct dx x;
	float a, b, early, before, local;

	(void)state;
	dx_open(&x);
	dx_msg(&x, DAY_T, "me@isp.example", "laptop", NULL, "f@a.example");
	/* Early on, a second sender is no evidence (p0 from the prior). */
	early = dx_msg(&x, DAY_T + SEC, "other@isp.example", "laptop", NULL,
	    "f@a.example");
	assert_true(fabsf(early - (float)(dx_msg(&x, DAY_T + 2 * SEC,
	    "me@isp.example", "laptop", NULL, "f@a.example"))) < 3.0f);
	dx_close(&x);

	dx_open(&x);
	dx_settle(&x);
	a = dx_msg(&x, DAY_T + SEC, "me@isp.example", "laptop", "100.64.1.1",
	    "friend1@home.example");
	assert_non_null(detect_act_get(&x.t, x.c, DAY_T));
	b = dx_msg(&x, DAY_T + 2 * SEC, "other@forged.example", "bot-1",
	    "100.64.1.1", "friend1@home.example");
	/* New sender ln(0.3 / p0), p0 well under 0.3; new HELO +1.0. */
	assert_true(b - a > 2.0f);
	assert_true(dx_sig(&x, DETECT_SIG_SENDER_NEW) > 0.9f);
	assert_true(fabsf(dx_sig(&x, DETECT_SIG_HELO_NEW) - 1.0f) < 1e-5f);
	dx_close(&x);

	/*
	 * Two levels: a new local part at the known domain counts at most
	 * 0.5 (a business's employees, VERP addresses); a new domain in full.
	 */
	dx_open(&x);
	dx_settle(&x);
	dx_msg(&x, DAY_T + SEC, "me@isp.example", "laptop", "100.64.1.1",
	    "friend1@home.example");
	before = dx_sig(&x, DETECT_SIG_SENDER_NEW);
	dx_msg(&x, DAY_T + 2 * SEC, "x7f3k@isp.example", "laptop",
	    "100.64.1.1", "friend1@home.example");
	local = dx_sig(&x, DETECT_SIG_SENDER_NEW) - before;
	assert_true(local > 0.1f);
	assert_true(local <= 0.5f + 1e-5f);
	before = dx_sig(&x, DETECT_SIG_SENDER_NEW);
	dx_msg(&x, DAY_T + 3 * SEC, "x7f3k@elsewhere.example", "laptop",
	    "100.64.1.1", "friend1@home.example");
	assert_true(dx_sig(&x, DETECT_SIG_SENDER_NEW) - before > 0.9f);
	dx_close(&x);
}

/* Client networks behind one account: 2 free, the 3rd and 4th count. */
static void
test_networks(void **state)
{
	static const char *const addrs[] = { "100.64.1.5", "100.64.1.77",
		"198.51.100.4", "203.0.113.9", "192.0.2.1", "2001:db8:1::5" };
	static const float want[] = { 0, 0, 0, 0.7f, 1.5f, 1.5f };
	struct dx x;
	float before;
	size_t i;

	(void)state;
	dx_open(&x);
	x.c->sprt.llr = 1;
	for (i = 0; i < 6; i++) {
		before = dx_sig(&x, DETECT_SIG_NETWORKS);
		dx_msg(&x, DAY_T + (int64_t)i * SEC, NULL, NULL, addrs[i],
		    NULL);
		if (x.c->act == NULL)
			x.c->sprt.llr = 1;
		assert_true(fabsf(dx_sig(&x, DETECT_SIG_NETWORKS) - before -
		    want[i]) < 1e-5f);
	}
	dx_close(&x);
	/* A day later the old networks no longer count. */
	dx_open(&x);
	dx_msg(&x, DAY_T, NULL, NULL, "100.64.1.5", NULL);
	dx_msg(&x, DAY_T, NULL, NULL, "198.51.100.4", NULL);
	x.c->sprt.llr = 1;
	dx_msg(&x, DAY_T + 26 * HOUR, NULL, NULL, "203.0.113.9", NULL);
	assert_true(dx_sig(&x, DETECT_SIG_NETWORKS) == 0);
	dx_close(&x);
}

static void
test_off_hours(void **state)
{
	struct dx x;
	float night, day;

	(void)state;
	dx_open(&x);
	x.c->sprt.llr = 1;
	dx_msg(&x, T0 + 3 * HOUR, NULL, NULL, NULL, NULL);
	night = dx_sig(&x, DETECT_SIG_OFF_HOURS);
	assert_true(fabsf(night - logf(0.25f / 0.15f)) < 1e-4f);
	dx_msg(&x, DAY_T, NULL, NULL, NULL, NULL);
	day = dx_sig(&x, DETECT_SIG_OFF_HOURS) - night;
	assert_true(day < 0);
	/* In UTC+10, 03:00 UTC is 13:00: not off hours. */
	x.p.utc_offset_s = 10 * 3600;
	night = dx_sig(&x, DETECT_SIG_OFF_HOURS);
	dx_msg(&x, T0 + 3 * HOUR, NULL, NULL, NULL, NULL);
	assert_true(dx_sig(&x, DETECT_SIG_OFF_HOURS) < night);
	dx_close(&x);
}

/*
 * Volume: slots of ten minutes; 2 messages make the first slot's peak;
 * in the next, messages 8 to 10 (over 2 x 2 + 3) count 0.7 each, and no
 * more after them.
 */
static void
test_volume(void **state)
{
	struct dx x;
	int i;

	(void)state;
	dx_open(&x);
	x.c->sprt.llr = -100;	/* keep the test from deciding */
	for (i = 0; i < 2; i++)
		dx_msg(&x, DAY_T + i * SEC, NULL, NULL, NULL, NULL);
	x.c->sprt.llr = 1;
	for (i = 0; i < 7; i++)
		dx_msg(&x, DAY_T + 600 * SEC + i * SEC, NULL, NULL, NULL, NULL);
	assert_true(dx_sig(&x, DETECT_SIG_VOLUME) == 0);
	assert_true(x.c->base_msgs == 2.0f);
	for (i = 7; i < 20; i++)
		dx_msg(&x, DAY_T + 600 * SEC + i * SEC, NULL, NULL, NULL, NULL);
	assert_true(fabsf(dx_sig(&x, DETECT_SIG_VOLUME) - 2.1f) < 1e-5f);
	dx_close(&x);
}

/* Recipients a message: past 2 x usual + 1, two count 0.15 each. */
static void
test_recipients_per_message(void **state)
{
	char rcpt[64];
	struct dx x;
	enum sprt_decision d;
	int i;

	(void)state;
	dx_open(&x);
	dx_settle(&x);
	dx_msg(&x, DAY_T, "me@isp.example", "laptop", "100.64.1.1", NULL);
	assert_non_null(detect_act_get(&x.t, x.c, DAY_T));
	for (i = 0; i < 10; i++) {
		snprintf(rcpt, sizeof(rcpt), "other%d@home.example", i);
		detect_recipient(&x.t, &x.p, x.c, rcpt, strlen(rcpt), DAY_T,
		    &d);
	}
	assert_true(fabsf(dx_sig(&x, DETECT_SIG_RCPTS) - 0.3f) < 1e-5f);
	dx_close(&x);
}

static float
dx_out(struct dx *x, enum detect_outcome o, const char *rcpt,
    struct detect_msg_out *mo)
{
	enum sprt_decision d;

	return detect_outcome(&x->t, &x->p, x->c, o, rcpt,
	    rcpt ? strlen(rcpt) : 0, mo, DAY_T, &d);
}

static void
test_outcomes_and_complaint(void **state)
{
	struct detect_msg_out m1 = { 0 }, m2 = { 0 }, m3 = { 0 }, m4 = { 0 };
	struct detect_msg_out m5 = { .nrcpt = 10 }, m6 = { .nrcpt = 20 };
	struct detect_msg_out m7 = { .nrcpt = 50 };
	struct dx x;
	enum sprt_decision d;
	float u, s, b, f, f2, f3, c, again, one, clean = 0;
	int i;

	(void)state;
	dx_open(&x);
	u = dx_out(&x, DETECT_OUT_UNKNOWN_USER, "d@x.example", &m1);
	/* With the other side of the deferral: never deferred. */
	assert_true(fabsf(u - logf(0.2f / 0.03f) - logf(0.92f / 0.96f)) <
	    1e-4f);
	s = dx_out(&x, DETECT_OUT_SENT, "e@x.example", &m1);
	assert_true(s < 0 && s > -0.5f);
	b = dx_out(&x, DETECT_OUT_BOUNCE, "f@x.example", &m1);
	assert_true(b > 0);
	/* The per-message outcome cap: 3.0 in all. */
	assert_true(fabsf(u + s + b - x.p.outcome_cap_pos) < 1e-4f);
	/* A deferral: once a recipient, a retry is the same one. */
	f = dx_out(&x, DETECT_OUT_DEFERRED, "g@x.example", &m2);
	assert_true(fabsf(f - logf(0.08f / 0.04f)) < 1e-2f);
	f2 = dx_out(&x, DETECT_OUT_DEFERRED, "g@x.example", &m2);
	assert_true(f2 == 0);
	/* Its final delivery adds no "never deferred". */
	f2 = dx_out(&x, DETECT_OUT_SENT, "g@x.example", &m2);
	assert_true(f2 < 0 && f2 > -0.3f);
	f3 = dx_out(&x, DETECT_OUT_DEFERRED, "h@x.example", &m3);
	assert_true(f3 > 0.5f);
	/*
	 * One deferral in a BCC batch of 50 is a 50th of four deferrals,
	 * not a deferred message: greylisting of big lists adds up to
	 * nothing.
	 */
	f = dx_out(&x, DETECT_OUT_DEFERRED, "g1@x.example", &m7);
	assert_true(f > 0 && f < 0.1f);
	for (i = 0; i < 50; i++) {
		char r[32];

		snprintf(r, sizeof(r), "b%d@z.example", i);
		f += dx_out(&x, DETECT_OUT_SENT, r, &m7);
	}
	assert_true(f < 0);
	/* The same dead address again: no new evidence (but not deferred). */
	again = dx_out(&x, DETECT_OUT_UNKNOWN_USER, "D@x.example", &m4);
	assert_true(again <= 0 && again > -0.1f);
	/* One unknown user of a message to ten: a tenth of four (OUT_INDEP_POS). */
	one = dx_out(&x, DETECT_OUT_UNKNOWN_USER, "z@x.example", &m5);
	assert_true(one > 0.6f && one < 0.9f);
	/* Twenty clean deliveries of one message weigh like three. */
	for (i = 0; i < 20; i++) {
		char r[32];

		snprintf(r, sizeof(r), "c%d@y.example", i);
		clean += dx_out(&x, DETECT_OUT_SENT, r, &m6);
	}
	assert_true(clean > 3 * logf(0.72f / 0.96f) - 0.2f && clean < -0.5f);
	detect_reset(&x.t, x.c);
	c = detect_complaint(&x.t, &x.p, x.c, DAY_T, &d);
	assert_true(c == 5.0f);
	assert_int_equal(d, SPRT_CONTINUE);
	detect_complaint(&x.t, &x.p, x.c, DAY_T, &d);
	assert_int_equal(d, SPRT_COMPROMISED);
	assert_int_equal(detect_top_signal(x.c), DETECT_SIG_COMPLAINT);
	dx_close(&x);
}

static void
test_evidence(void **state)
{
	char buf[4096], rcpt[64], addr[32];
	struct dx x;
	int i, n;

	(void)state;
	dx_open(&x);
	x.c->sprt.llr = 0.5f;
	for (i = 0; i < 14; i++) {
		snprintf(rcpt, sizeof(rcpt), "v\"%d@d%d.example", i, i);
		snprintf(addr, sizeof(addr), "100.64.%d.1", i);
		dx_msg(&x, DAY_T + i * 60 * SEC, NULL, NULL, addr, rcpt);
	}
	n = detect_evidence(x.c, &x.p, DAY_T + 14 * 60 * SEC, buf,
	    sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"rcpt_novel\": {\"llr\": "));
	assert_non_null(strstr(buf, "\"v\\\"0@d0.example\""));	/* escaped */
	assert_null(strstr(buf, "v\\\"10@"));	/* 10 samples at most */
	assert_non_null(strstr(buf, "\"100.64.9.1\""));
	assert_null(strstr(buf, "\"100.64.10.1\""));
	assert_non_null(strstr(buf, "\"per_minute\": [1, 1, 1, 1, 1, 1, 1, "
	    "1, 1, 1, 1, 1, 1, 1, 0, 0]"));
	assert_non_null(strstr(buf, "\"networks\": {\"llr\": "));
	assert_int_equal(detect_evidence(x.c, &x.p, DAY_T, buf, 40),
	    ERR_TOOBIG);
	dx_close(&x);
}

static void
test_encode_decode_expire(void **state)
{
	uint8_t buf[1024];
	struct codec_out o = { buf, sizeof(buf), 0, false };
	struct detect_cust *c2;
	struct dx x;
	int i;

	(void)state;
	dx_open(&x);
	for (i = 0; i < 40; i++) {
		char rcpt[32];

		snprintf(rcpt, sizeof(rcpt), "r%d@d%d.example", i, i % 7);
		dx_msg(&x, DAY_T + i * SEC, "me@isp.example", "pc",
		    "100.64.1.1", rcpt);
	}
	x.c->incident = 7;
	detect_encode(x.c, &o);
	assert_false(o.overflow);
	assert_true(o.len < 512);
	struct codec_in in = { buf, o.len, 0, false };

	assert_int_equal(detect_decode(&x.t, "u1", 2, &in, &c2), 0);
	assert_int_equal(x.t.count, 1);	/* replaced, not added */
	assert_int_equal(c2->incident, 7);
	assert_int_equal(c2->rcpt_n, DETECT_RCPT_FPS);
	assert_int_equal(c2->messages, 40);
	x.c = c2;
	/* Truncated and bad-version records are refused. */
	struct codec_in bad = { buf, o.len - 1, 0, false };

	assert_int_equal(detect_decode(&x.t, "u2", 2, &bad, &c2),
	    ERR_MALFORMED);
	buf[0] = 9;
	struct codec_in bad2 = { buf, o.len, 0, false };

	assert_int_equal(detect_decode(&x.t, "u2", 2, &bad2, &c2),
	    ERR_MALFORMED);
	/* Expiry: an open incident keeps it; without, it goes. */
	detect_expire(&x.t, DAY_T + 100 * HOUR);
	assert_int_equal(x.t.count, 1);
	x.c->incident = 0;
	detect_expire(&x.t, DAY_T + 100 * HOUR);
	assert_int_equal(x.t.count, 0);
	assert_non_null(x.t.gone);	/* saved: its deletion is due */
	dx_close(&x);
}

/* A customer writing to the same few friends settles as normal. */
static void
test_normal_restarts(void **state)
{
	char rcpt[32];
	struct dx x;
	int i;

	(void)state;
	dx_open(&x);
	for (i = 0; i < 60; i++) {
		snprintf(rcpt, sizeof(rcpt), "friend%d@mail.example", i % 6);
		dx_msg(&x, DAY_T + i * 600 * SEC, "me@isp.example", "pc",
		    "100.64.1.1", rcpt);
		assert_true(x.c->sprt.llr < x.p.sprt.a);
	}
	assert_true(x.c->sprt.restarts >= 3);
	assert_null(x.c->act);
	dx_close(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rcpt_novelty),
		cmocka_unit_test(test_message_share),
		cmocka_unit_test(test_sender_and_helo),
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_off_hours),
		cmocka_unit_test(test_volume),
		cmocka_unit_test(test_recipients_per_message),
		cmocka_unit_test(test_outcomes_and_complaint),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_encode_decode_expire),
		cmocka_unit_test(test_normal_restarts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
