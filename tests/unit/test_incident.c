/*
 * test_incident.c - incidents through the engine (engine_detect.c,
 * incident.c) on a fixed clock: a compromised account opens exactly one
 * incident; every further message is held (step 3, before limits) and
 * listed with its queue ID; repeated requests are listed once; reject
 * and list-only actions; release ends the hold and lists the queue IDs;
 * complaints; the Postfix log's hold: lines, delivery outcomes linked
 * by queue ID, log-only mode; persistence of detection
 * state and incident ids through engine_save/engine_restore; the
 * incidents database written through and loaded back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/incidents.h"
#include "test_engine_fx.h"

#define DET_HOLD FX_NETWORKS "detection { enabled = true; }\n"
#define DET_REJECT FX_NETWORKS \
	"detection { enabled = true; on_compromise = [\"reject\"]; }\n"
#define DET_LIST FX_NETWORKS \
	"detection { enabled = true; on_compromise = [\"list\"]; }\n"

struct seen {
	int opened, released;
	uint64_t last_id;
	char customer[64];
	char reason[32];
	char evidence[4096];
	size_t n_addrs;
};

static void
on_incident(void *ctx, const struct engine_incident *inc)
{
	struct seen *s = ctx;

	if (inc->released_us == 0)
		s->opened++;
	else
		s->released++;
	s->last_id = inc->id;
	snprintf(s->customer, sizeof(s->customer), "%s", inc->customer);
	snprintf(s->reason, sizeof(s->reason), "%s", inc->reason);
	snprintf(s->evidence, sizeof(s->evidence), "%s", inc->evidence);
	s->n_addrs = inc->n_client_addrs;
}

struct qids {
	int n;
	char v[16][40];
};

static void
on_held(void *ctx, const char *qid, const char *instance, int64_t t)
{
	struct qids *q = ctx;

	(void)instance;
	(void)t;
	if (q->n < 16)
		snprintf(q->v[q->n++], sizeof(q->v[0]), "%s", qid);
}

/*
 * Message i of a stolen account: a new client network, HELO and sender
 * each time, a recipient at a domain never written to.  Returns the
 * action of its RCPT request.
 */
static const char *
spam_msg(struct engine *e, int64_t t, int i, const char *user)
{
	char spec[512];

	snprintf(spec, sizeof(spec), "protocol_state=RCPT instance=s%d "
	    "server_port=587 client_address=100.%d.%d.7 sasl_username=%s "
	    "helo_name=bot%d sender=x%d@spam%d.example "
	    "recipient=victim%d@dom%d.example", i, 64 + i % 50, i, user, i, i,
	    i, i, i);
	return fx_action(e, t, spec);
}

static void
legit_msg(struct engine *e, int64_t t, int i, const char *user, char *action,
    size_t cap)
{
	char spec[512];

	snprintf(spec, sizeof(spec), "protocol_state=RCPT instance=l%s%d "
	    "server_port=587 client_address=100.64.9.9 sasl_username=%s "
	    "helo_name=laptop sender=%s@isp.example "
	    "recipient=friend%d@mail.example", user, i, user, user, i % 5);
	snprintf(action, cap, "%s", fx_action(e, t, spec));
}

/* Open an incident for u1 through spam; returns the message count. */
static int
open_by_spam(struct engine *e, int64_t t0)
{
	int i;

	for (i = 0; i < 20; i++) {
		if (!fx_starts(spam_msg(e, t0 + i * SEC, i, "u1"), "DUNNO"))
			return i + 1;
	}
	fail_msg("no incident after 20 spam messages");
	return 0;
}

static void
test_opens_once_and_holds(void **state)
{
	struct engine_verdict v;
	struct seen s = { 0 };
	struct fx fx;
	int n, i;

	(void)state;
	fx_open(&fx, DET_HOLD);
	engine_set_incident_fn(fx.e, on_incident, &s);
	n = open_by_spam(fx.e, T0 + 14 * HOUR);
	assert_true(n >= 2 && n <= 5);
	assert_int_equal(s.opened, 1);
	assert_int_equal(s.last_id, 1);
	assert_string_equal(s.customer, "u1");
	assert_string_equal(s.reason, "sprt");
	assert_non_null(strstr(s.evidence, "\"networks\""));
	assert_non_null(strstr(s.evidence, "\"sample_recipients\""));
	assert_true(s.n_addrs >= 2);
	/* Every further message is held, and no second incident opens. */
	for (i = 100; i < 130; i++) {
		char spec[256];

		snprintf(spec, sizeof(spec), "protocol_state=RCPT instance=h%d "
		    "server_port=587 client_address=100.64.9.9 "
		    "sasl_username=u1 recipient=a%d@b.example", i, i);
		assert_int_equal(fx_judge(fx.e, T0 + 15 * HOUR + i * SEC,
		    spec, &v), 0);
		assert_true(fx_starts(v.action,
		    "HOLD relayguard: incident 1: "));
		assert_string_equal(v.rule, "incident");
	}
	assert_int_equal(s.opened, 1);
	assert_int_equal(engine_incident_list(fx.e, true, NULL, NULL), 1);
	/* Another customer is untouched. */
	legit_msg(fx.e, T0 + 15 * HOUR, 1, "u2", v.action, sizeof(v.action));
	assert_string_equal(v.action, "DUNNO");
	fx_close(&fx);
}

/* Hold is step 3: before limits, and it does not consume them. */
static void
test_hold_before_limits(void **state)
{
	struct engine_verdict v;
	struct fx fx;
	int i;

	(void)state;
	fx_open(&fx, DET_HOLD "limit \"m\" { key = \"customer\"; "
	    "count = \"messages\"; rate = \"1000/1h\"; "
	    "action = \"reject\"; }\n");
	open_by_spam(fx.e, T0 + 14 * HOUR);
	for (i = 0; i < 5; i++) {
		assert_int_equal(fx_judge(fx.e, T0 + 15 * HOUR, "protocol_state"
		    "=RCPT server_port=587 client_address=100.64.1.1 "
		    "sasl_username=u1 recipient=z@z.example", &v), 0);
		assert_string_equal(v.rule, "incident");
	}
	fx_close(&fx);
}

static void
test_queue_ids_and_release(void **state)
{
	struct seen s = { 0 };
	struct qids q = { 0 };
	char action[POLICY_REPLY_MAX];
	struct fx fx;
	int i;

	(void)state;
	fx_open(&fx, DET_HOLD);
	engine_set_incident_fn(fx.e, on_incident, &s);
	open_by_spam(fx.e, T0 + 14 * HOUR);
	for (i = 0; i < 3; i++) {
		char spec[256];
		const char *a;

		/* Two RCPT requests (restriction lists), then EOM. */
		snprintf(spec, sizeof(spec), "protocol_state=RCPT instance=q%d "
		    "server_port=587 client_address=100.64.1.1 "
		    "sasl_username=u1 recipient=r%d@x.example", i, i);
		assert_true(fx_starts(fx_action(fx.e, T0 + 15 * HOUR, spec),
		    "HOLD "));
		assert_true(fx_starts(fx_action(fx.e, T0 + 15 * HOUR, spec),
		    "HOLD "));
		snprintf(spec, sizeof(spec), "protocol_state=END-OF-MESSAGE "
		    "instance=q%d server_port=587 client_address=100.64.1.1 "
		    "sasl_username=u1 queue_id=4Xk2Lq1Zt3z%d", i, i);
		a = fx_action(fx.e, T0 + 15 * HOUR, spec);
		assert_true(fx_starts(a, "HOLD "));
	}
	/* The message that opened it is listed too (without a queue ID). */
	assert_int_equal(engine_incident_held(fx.e, 1, on_held, &q), 0);
	assert_int_equal(q.n, 4);
	assert_string_equal(q.v[1], "4Xk2Lq1Zt3z0");
	assert_string_equal(q.v[3], "4Xk2Lq1Zt3z2");
	memset(&q, 0, sizeof(q));
	assert_int_equal(engine_incident_release(fx.e, 1, T0 + 16 * HOUR,
	    on_held, &q), 0);
	assert_int_equal(q.n, 4);
	assert_string_equal(q.v[2], "4Xk2Lq1Zt3z1");
	assert_int_equal(s.released, 1);
	assert_int_equal(engine_incident_release(fx.e, 1, T0 + 16 * HOUR,
	    NULL, NULL), ERR_EXIST);
	assert_int_equal(engine_incident_release(fx.e, 99, T0, NULL, NULL),
	    ERR_NOENT);
	assert_int_equal(engine_incident_list(fx.e, true, NULL, NULL), 0);
	assert_int_equal(engine_incident_list(fx.e, false, NULL, NULL), 1);
	/* Mail flows again for a normal message. */
	legit_msg(fx.e, T0 + 16 * HOUR, 1, "u1", action, sizeof(action));
	assert_string_equal(action, "DUNNO");
	fx_close(&fx);
}

static void
test_reject_and_list_only(void **state)
{
	struct engine_verdict v;
	struct seen s = { 0 };
	struct fx fx;
	int i;

	(void)state;
	fx_open(&fx, DET_REJECT);
	open_by_spam(fx.e, T0 + 14 * HOUR);
	assert_int_equal(fx_judge(fx.e, T0 + 15 * HOUR, "protocol_state=RCPT "
	    "server_port=587 client_address=100.64.1.1 sasl_username=u1 "
	    "recipient=z@z.example", &v), 0);
	assert_true(fx_starts(v.action,
	    "REJECT 5.7.1 relayguard: incident 1:"));
	fx_close(&fx);

	fx_open(&fx, DET_LIST);
	engine_set_incident_fn(fx.e, on_incident, &s);
	for (i = 0; i < 20 && s.opened == 0; i++)
		assert_string_equal(spam_msg(fx.e, T0 + 14 * HOUR + i * SEC, i,
		    "u1"), "DUNNO");
	assert_int_equal(s.opened, 1);
	spam_msg(fx.e, T0 + 15 * HOUR, 40, "u1");
	assert_int_equal(fx_judge(fx.e, T0 + 15 * HOUR, "protocol_state=RCPT "
	    "server_port=587 client_address=100.64.1.1 sasl_username=u1 "
	    "recipient=z@z.example", &v), 0);
	assert_string_equal(v.action, "DUNNO");
	assert_int_equal(s.opened, 1);	/* still open: not again */
	fx_close(&fx);
}

static void
test_complaint(void **state)
{
	struct engine_risk r;
	struct seen s = { 0 };
	char action[POLICY_REPLY_MAX];
	struct fx fx;

	(void)state;
	fx_open(&fx, DET_HOLD);
	engine_set_incident_fn(fx.e, on_incident, &s);
	assert_int_equal(engine_observe_complaint(fx.e, "nobody", T0),
	    ERR_NOENT);
	legit_msg(fx.e, T0 + 14 * HOUR, 1, "u3", action, sizeof(action));
	assert_int_equal(engine_observe_complaint(fx.e, "u3", T0 + 15 * HOUR),
	    0);
	assert_int_equal(s.opened, 0);
	assert_int_equal(engine_customer_risk(fx.e, "u3", &r), 0);
	assert_true(r.llr > 4.0);
	/* The second, by the client address it sent from. */
	assert_int_equal(engine_observe_complaint(fx.e, "100.64.9.9",
	    T0 + 15 * HOUR), 0);
	assert_int_equal(s.opened, 1);
	assert_string_equal(s.reason, "complaint");
	assert_string_equal(s.customer, "u3");
	fx_close(&fx);
}

/* A hold: line from Postfix names the incident: its queue ID is listed. */
static void
test_log_hold_line(void **state)
{
	static const char line[] = "Nov 30 15:00:01 relay1 postfix/cleanup"
	    "[412]: 4Xk2Lq1Zt3z9: hold: RCPT from x[100.64.1.1]: <a@b.c>: "
	    "Recipient address triggers HOLD action; from=<u1@isp.example> "
	    "to=<a@b.c> proto=ESMTP helo=<bot>: relayguard: incident 1: mail "
	    "of u1 looks compromised (sprt); message held for review";
	struct maillog_clock clk;
	struct maillog_rec rec;
	struct maillog_err merr;
	struct qids q = { 0 };
	struct fx fx;

	(void)state;
	fx_open(&fx, DET_HOLD);
	open_by_spam(fx.e, T0 + 14 * HOUR);
	assert_int_equal(maillog_clock_init(&clk, 2025, 0), 0);
	assert_int_equal(maillog_parse(line, strlen(line), &clk, &rec, &merr),
	    0);
	assert_int_equal(rec.ev, MAILLOG_EV_HOLD);
	assert_int_equal(engine_observe_log(fx.e, &rec, T0 + 15 * HOUR), 0);
	assert_int_equal(engine_incident_held(fx.e, 1, on_held, &q), 0);
	assert_int_equal(q.n, 2);
	assert_string_equal(q.v[1], "4Xk2Lq1Zt3z9");
	fx_close(&fx);
}

/* Parse a log line (traditional timestamp, 2025) and feed it. */
static void
feed_log(struct engine *e, const char *line, int64_t now)
{
	struct maillog_clock clk;
	struct maillog_rec rec;
	struct maillog_err merr;

	assert_int_equal(maillog_clock_init(&clk, 2025, 0), 0);
	if (maillog_parse(line, strlen(line), &clk, &rec, &merr) != 0)
		fail_msg("maillog: %s: %s", line, merr.reason);
	assert_int_equal(engine_observe_log(e, &rec, now), 0);
}

/*
 * Log-only: a plain Postfix log (no policy request ever) of an account
 * sending from many networks to harvested addresses that bounce opens
 * an incident; an inbound client (no SASL, no configured network) is
 * never a customer.
 */
static void
test_log_only(void **state)
{
	struct engine_risk r;
	struct seen s = { 0 };
	char line[512];
	struct fx fx;
	int i;

	(void)state;
	fx_open(&fx, DET_HOLD);
	engine_set_incident_fn(fx.e, on_incident, &s);
	for (i = 0; i < 40 && s.opened == 0; i++) {
		int64_t t = T0 + 14 * HOUR + i * 30 * SEC;

		snprintf(line, sizeof(line), "Nov 30 14:00:00 relay1 "
		    "postfix/submission/smtpd[1]: 4AB%02dCD: client=unknown"
		    "[198.18.%d.7], sasl_method=PLAIN, sasl_username=u9", i,
		    i);
		feed_log(fx.e, line, t);
		snprintf(line, sizeof(line), "Nov 30 14:00:00 relay1 "
		    "postfix/qmgr[2]: 4AB%02dCD: from=<x%d@forged.example>, "
		    "size=900, nrcpt=1 (queue active)", i, i);
		feed_log(fx.e, line, t + SEC);
		snprintf(line, sizeof(line), "Nov 30 14:00:01 relay1 "
		    "postfix/smtp[3]: 4AB%02dCD: to=<v%d@d%d.example>, "
		    "relay=mx[203.0.113.5]:25, delay=1, delays=0/0/0/1, "
		    "dsn=%s, status=%s (x)", i, i, i,
		    i % 2 ? "5.1.1" : "2.0.0", i % 2 ? "bounced" : "sent");
		feed_log(fx.e, line, t + 2 * SEC);
	}
	assert_int_equal(s.opened, 1);
	assert_string_equal(s.customer, "u9");
	assert_true(i <= 8);
	assert_non_null(strstr(s.evidence, "\"unknown_user\""));
	assert_non_null(strstr(s.evidence, "\"networks\""));
	/* Inbound mail from the Internet is nobody's. */
	feed_log(fx.e, "Nov 30 14:10:00 mx1 postfix/smtpd[4]: 5AB00CD: "
	    "client=mail.example.org[192.0.2.44]", T0 + 15 * HOUR);
	assert_int_equal(engine_customer_risk(fx.e, "192.0.2.44", &r),
	    ERR_NOENT);
	fx_close(&fx);
}

/*
 * Policy and log together: END-OF-MESSAGE's queue_id links the delivery
 * lines to the customer; unknown users raise its test, deliveries lower
 * it.
 */
static void
test_log_outcomes_linked(void **state)
{
	struct engine_risk r0, r1, r2;
	char spec[256], line[512];
	struct fx fx;

	(void)state;
	fx_open(&fx, DET_HOLD);
	snprintf(spec, sizeof(spec), "protocol_state=END-OF-MESSAGE "
	    "instance=o1 server_port=587 client_address=100.64.9.9 "
	    "sasl_username=u4 queue_id=4Xk2Lq1Zt3z7 sender=u4@isp.example");
	fx_action(fx.e, T0 + 14 * HOUR, spec);
	assert_int_equal(engine_customer_risk(fx.e, "u4", &r0), 0);
	snprintf(line, sizeof(line), "Nov 30 14:00:01 relay1 postfix/smtp[3]: "
	    "4Xk2Lq1Zt3z7: to=<a@b.example>, relay=mx[203.0.113.5]:25, "
	    "delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (unknown)");
	feed_log(fx.e, line, T0 + 14 * HOUR + SEC);
	assert_int_equal(engine_customer_risk(fx.e, "u4", &r1), 0);
	assert_true(r1.llr > r0.llr + 1.5);
	snprintf(line, sizeof(line), "Nov 30 14:00:01 relay1 postfix/smtp[3]: "
	    "4Xk2Lq1Zt3z7: to=<c@b.example>, relay=mx[203.0.113.5]:25, "
	    "delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (ok)");
	feed_log(fx.e, line, T0 + 14 * HOUR + 2 * SEC);
	assert_int_equal(engine_customer_risk(fx.e, "u4", &r2), 0);
	assert_true(r2.llr < r1.llr);
	fx_close(&fx);
}

/*
 * Content verdicts: an amavis SPAM verdict naming the queue ID raises
 * the customer's test by about 3.7 (once a message, however many filters
 * log), a spamd verdict reaches it through cleanup's message-id= line, a
 * clean verdict lowers it a little; two spam messages open an incident.
 * A hop into a local content filter ("queued as NEWQID") is no delivery
 * outcome and links NEWQID, whose outcomes then count.
 */
static void
test_log_content_verdicts(void **state)
{
	struct engine_risk r0, r1, r2, r3;
	struct seen s = { 0 };
	char spec[256];
	struct fx fx;

	(void)state;
	fx_open(&fx, DET_HOLD);
	engine_set_incident_fn(fx.e, on_incident, &s);
	snprintf(spec, sizeof(spec), "protocol_state=END-OF-MESSAGE "
	    "instance=c1 server_port=587 client_address=100.64.9.9 "
	    "sasl_username=u5 queue_id=4Xk2Lq1Zt3zB sender=u5@isp.example");
	fx_action(fx.e, T0 + 14 * HOUR, spec);
	assert_int_equal(engine_customer_risk(fx.e, "u5", &r0), 0);
	feed_log(fx.e, "Nov 30 14:00:01 relay1 amavis[7]: (00007-01) Blocked "
	    "SPAM {DiscardedOutbound}, ORIGINATING LOCAL [100.64.9.9] <u5@isp."
	    "example> -> <a@b.example>, Queue-ID: 4Xk2Lq1Zt3zB, Message-ID: "
	    "<c1@isp.example>, Hits: 12.1, size: 900, 30 ms", T0 + 14 * HOUR + SEC);
	assert_int_equal(engine_customer_risk(fx.e, "u5", &r1), 0);
	assert_true(r1.llr > r0.llr + 3.5);
	/* The same message again (a second filter): not counted twice. */
	feed_log(fx.e, "Nov 30 14:00:01 relay1 postfix/cleanup[8]: 4Xk2Lq1Zt3zB: "
	    "warning: header X-Spam-Flag: YES from localhost[127.0.0.1]; "
	    "from=<u5@isp.example> to=<a@b.example> proto=ESMTP helo=<h>",
	    T0 + 14 * HOUR + 2 * SEC);
	assert_int_equal(engine_customer_risk(fx.e, "u5", &r2), 0);
	assert_true(r2.llr < r1.llr + 0.01);
	/* A second message, judged by spamd, linked through message-id=. */
	snprintf(spec, sizeof(spec), "protocol_state=END-OF-MESSAGE "
	    "instance=c2 server_port=587 client_address=100.64.9.9 "
	    "sasl_username=u5 queue_id=4Xk2Lq1Zt3zC sender=u5@isp.example");
	fx_action(fx.e, T0 + 14 * HOUR + 10 * SEC, spec);
	feed_log(fx.e, "Nov 30 14:00:11 relay1 postfix/cleanup[8]: 4Xk2Lq1Zt3zC: "
	    "message-id=<c2@isp.example>", T0 + 14 * HOUR + 11 * SEC);
	assert_int_equal(s.opened, 0);
	feed_log(fx.e, "Nov 30 14:00:12 relay1 spamd[9]: spamd: result: Y 15 - "
	    "BAYES_99 scantime=0.5,size=900,mid=<c2@isp.example>,autolearn=no",
	    T0 + 14 * HOUR + 12 * SEC);
	assert_int_equal(engine_customer_risk(fx.e, "u5", &r3), 0);
	assert_int_equal(s.opened, 1);
	assert_string_equal(s.customer, "u5");
	assert_non_null(strstr(s.evidence, "\"content_spam\""));

	/* A clean verdict lowers another customer's test, a little. */
	snprintf(spec, sizeof(spec), "protocol_state=END-OF-MESSAGE "
	    "instance=c3 server_port=587 client_address=100.64.9.8 "
	    "sasl_username=u6 queue_id=4Xk2Lq1Zt3zD sender=u6@isp.example");
	fx_action(fx.e, T0 + 15 * HOUR, spec);
	assert_int_equal(engine_customer_risk(fx.e, "u6", &r0), 0);
	feed_log(fx.e, "Nov 30 15:00:01 relay1 rspamd[3]: <e0>; task; "
	    "rspamd_task_write_log: id: <c3@isp.example>, qid: <4Xk2Lq1Zt3zD>, "
	    "ip: 100.64.9.8, (default: F (no action): [0.50/15.00] []), len: 9",
	    T0 + 15 * HOUR + SEC);
	assert_int_equal(engine_customer_risk(fx.e, "u6", &r1), 0);
	assert_true(r1.llr < r0.llr - 0.4 && r1.llr > r0.llr - 0.6);
	/* The hop into amavis is no outcome; the re-queued copy's are. */
	feed_log(fx.e, "Nov 30 15:00:02 relay1 postfix/smtp[3]: 4Xk2Lq1Zt3zD: "
	    "to=<a@b.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, "
	    "delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:"
	    "[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 4Xk2Lq1Zt3zF)",
	    T0 + 15 * HOUR + 2 * SEC);
	assert_int_equal(engine_customer_risk(fx.e, "u6", &r2), 0);
	assert_true(r2.llr == r1.llr);
	feed_log(fx.e, "Nov 30 15:00:03 relay1 postfix/smtp[3]: 4Xk2Lq1Zt3zF: "
	    "to=<a@b.example>, relay=mx[203.0.113.5]:25, delay=1, "
	    "delays=0/0/0/1, dsn=5.1.1, status=bounced (unknown)",
	    T0 + 15 * HOUR + 3 * SEC);
	assert_int_equal(engine_customer_risk(fx.e, "u6", &r3), 0);
	assert_true(r3.llr > r2.llr + 1.5);
	/* A malformed verdict line is logged and ignored. */
	feed_log(fx.e, "Nov 30 15:00:04 relay1 amavis[7]: (00007-02) Passed "
	    "CLEAN, <x@y> -> <a@b>, Hits: 1", T0 + 15 * HOUR + 4 * SEC);
	fx_close(&fx);
}

static char tmpdir[] = "/tmp/test_incident.XXXXXX";

static void
rmtree(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fail_msg("cannot remove %s", tmpdir);
}

static void
test_persist_roundtrip(void **state)
{
	struct engine_risk r1, r2;
	struct seen s = { 0 };
	struct store *st;
	char err[256];
	struct fx fx, fx2;
	int i;

	(void)state;
	strcpy(tmpdir, "/tmp/test_incident.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	fx_open(&fx, DET_HOLD);
	for (i = 0; i < 3; i++)
		spam_msg(fx.e, T0 + 14 * HOUR + i * SEC, i, "u7");
	open_by_spam(fx.e, T0 + 14 * HOUR);
	assert_int_equal(engine_customer_risk(fx.e, "u7", &r1), 0);
	assert_true(r1.llr > 0);
	assert_int_equal(store_open(tmpdir, &st, err, sizeof(err)), 0);
	assert_int_equal(engine_save(fx.e, st, false), 0);
	store_close(st);
	fx_close(&fx);

	fx_open(&fx2, DET_HOLD);
	engine_set_incident_fn(fx2.e, on_incident, &s);
	assert_int_equal(store_open(tmpdir, &st, err, sizeof(err)), 0);
	assert_int_equal(engine_restore(fx2.e, st), 0);
	store_close(st);
	assert_int_equal(engine_customer_risk(fx2.e, "u7", &r2), 0);
	assert_true(r2.llr == r1.llr);
	assert_int_equal(r2.messages, r1.messages);
	assert_int_equal(r2.total_messages, r1.total_messages);
	assert_int_equal(engine_detect_count(fx2.e), 2);
	/* Ids go on after the one of the saved engine. */
	for (i = 3; i < 20 && s.opened == 0; i++)
		spam_msg(fx2.e, T0 + 15 * HOUR + i * SEC, i, "u7");
	assert_int_equal(s.opened, 1);
	assert_int_equal(s.last_id, 2);
	fx_close(&fx2);
	rmtree();
}

/* Written through to the database; a new engine holds again. */
static void
test_db_write_through(void **state)
{
	struct incidents_db *db;
	struct engine_verdict v;
	struct qids q = { 0 };
	char err[256];
	struct fx fx;

	(void)state;
	strcpy(tmpdir, "/tmp/test_incident.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	assert_int_equal(incidents_db_open(tmpdir, &db, err, sizeof(err)), 0);
	fx_open(&fx, DET_HOLD);
	engine_set_incidents_db(fx.e, db);
	open_by_spam(fx.e, T0 + 14 * HOUR);
	assert_true(fx_starts(fx_action(fx.e, T0 + 15 * HOUR, "protocol_state="
	    "END-OF-MESSAGE instance=e1 server_port=587 client_address="
	    "100.64.1.1 sasl_username=u1 queue_id=3F2A41C0B7D"), "HOLD "));
	fx_close(&fx);
	incidents_db_close(db);	/* as if killed: nothing else flushed */

	assert_int_equal(incidents_db_open(tmpdir, &db, err, sizeof(err)), 0);
	fx_open(&fx, DET_HOLD);
	assert_int_equal(engine_load_incidents(fx.e, db), 0);
	engine_set_incidents_db(fx.e, db);
	assert_int_equal(fx_judge(fx.e, T0 + 16 * HOUR, "protocol_state=RCPT "
	    "server_port=587 client_address=100.64.1.1 sasl_username=u1 "
	    "recipient=z@z.example", &v), 0);
	assert_true(fx_starts(v.action, "HOLD relayguard: incident 1: "));
	assert_int_equal(engine_incident_held(fx.e, 1, on_held, &q), 0);
	assert_int_equal(q.n, 3);
	assert_string_equal(q.v[1], "3F2A41C0B7D");
	assert_int_equal(engine_incident_release(fx.e, 1, T0 + 17 * HOUR,
	    NULL, NULL), 0);
	assert_int_equal(incidents_db_release(db, 1, T0), ERR_EXIST);
	fx_close(&fx);
	incidents_db_close(db);
	rmtree();
}

int
main(void)
{
	(void)fx_usage;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opens_once_and_holds),
		cmocka_unit_test(test_hold_before_limits),
		cmocka_unit_test(test_queue_ids_and_release),
		cmocka_unit_test(test_reject_and_list_only),
		cmocka_unit_test(test_complaint),
		cmocka_unit_test(test_log_hold_line),
		cmocka_unit_test(test_log_only),
		cmocka_unit_test(test_log_outcomes_linked),
		cmocka_unit_test(test_log_content_verdicts),
		cmocka_unit_test(test_persist_roundtrip),
		cmocka_unit_test(test_db_write_through),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
