/*
 * test_maillog.c - unit tests of the Postfix log line parser
 * (src/proto/maillog.c): a table of Postfix 3.7 lines of every form the
 * detection reads (smtpd client=, cleanup message-id=, qmgr from=, smtp/
 * lmtp/error to=, bounce notifications, qmgr and postsuper lines, smtpd
 * and cleanup hold/reject/discard lines, NOQUEUE rejects), every
 * timestamp form, lines that are "other", a table of malformed lines
 * with their error code, reason and offset, the line limit, and the
 * clock (year rollover, zone offset).
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
#include "proto/maillog.h"

#define H "Nov 30 00:00:01 relay1 "
#define QL "4Xk2Lq1Zt3z9"

/*
 * One row: the line and what must come out.  A NULL string is not
 * checked; "-" means the field must be absent.
 */
struct row {
	const char *name;
	const char *line;
	enum maillog_event ev;
	const char *qid;
	const char *daemon;
	const char *addr;		/* client_addr */
	const char *user;		/* sasl_username */
	const char *from;
	const char *to;
	enum maillog_status status;
	const char *dsn;
	const char *extra;		/* message_id, notify_queue_id or stage */
	int code;			/* reply_code, or -1 not checked */
};

static const struct row rows[] = {
	{ "smtpd client sasl", H "postfix-submission/smtpd[2211]: " QL ": client="
	  "dyn-100-64-1-2.pool.isp.example[100.64.1.2], sasl_method=PLAIN, sasl_username=u1042",
	  MAILLOG_EV_CLIENT, QL, "smtpd", "100.64.1.2", "u1042", "-", "-", 0, "-", NULL, -1 },
	{ "smtpd client no sasl short qid", H "postfix/smtpd[2301]: 3F2A41C0B7D: client="
	  "mail.acme.example[198.51.100.7]",
	  MAILLOG_EV_CLIENT, "3F2A41C0B7D", "smtpd", "198.51.100.7", "-", "-", "-", 0, "-",
	    NULL, -1 },
	{ "smtpd client ipv6 port", H "postfix/smtpd[1]: " QL ": "
	    "client=unknown[2001:db8:100:1::5]:50122, "
	  "sasl_method=LOGIN, sasl_username=anna@isp.example, sasl_sender=anna@isp.example",
	  MAILLOG_EV_CLIENT, QL, "smtpd", "2001:db8:100:1::5", "anna@isp.example", NULL, NULL,
	    0, NULL, NULL, -1 },
	{ "smtpd client unknown address", H "postfix/smtpd[1]: " QL ": client=unknown[unknown]",
	  MAILLOG_EV_CLIENT, QL, "smtpd", "unknown", "-", NULL, NULL, 0, NULL, NULL, -1 },
	{ "cleanup message-id", H "postfix/cleanup[2212]: " QL ": "
	    "message-id=<20251130000001.1a2b@desktop-7>",
	  MAILLOG_EV_MESSAGE_ID, QL, "cleanup", "-", "-", "-", "-", 0, "-",
	  "20251130000001.1a2b@desktop-7", -1 },
	{ "cleanup message-id bare", H "postfix/cleanup[2212]: " QL ": message-id=abc@host",
	  MAILLOG_EV_MESSAGE_ID, QL, "cleanup", NULL, NULL, NULL, NULL, 0, NULL, "abc@host", -1 },
	{ "qmgr from", H "postfix/qmgr[977]: " QL ": from=<u1042@isp.example>, size=2048, "
	    "nrcpt=1 (queue active)",
	  MAILLOG_EV_FROM, QL, "qmgr", "-", "-", "u1042@isp.example", "-", 0, "-", NULL, -1 },
	{ "qmgr from null sender", H "postfix/qmgr[977]: 4Xk2Lr0Bc4z7: from=<>, size=3021, "
	    "nrcpt=1 (queue active)",
	  MAILLOG_EV_FROM, "4Xk2Lr0Bc4z7", "qmgr", NULL, NULL, "", NULL, 0, NULL, NULL, -1 },
	{ "qmgr expired", H "postfix/qmgr[977]: 3F2A41C0B7D: from=<u1042@isp.example>, "
	    "status=expired, "
	  "returned to sender",
	  MAILLOG_EV_FROM, "3F2A41C0B7D", "qmgr", NULL, NULL, "u1042@isp.example", NULL,
	  MAILLOG_STATUS_EXPIRED, "-", NULL, -1 },
	{ "smtp sent", H "postfix/smtp[412]: " QL ": to=<ann@example.org>, "
	    "relay=mx.example.org[203.0.113.5]:25, "
	  "delay=0.4, delays=0.1/0.01/0.1/0.19, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as "
	    "4dLMvS3qQ2z1)",
	  MAILLOG_EV_DELIVERY, QL, "smtp", "-", "-", "-", "ann@example.org",
	    MAILLOG_STATUS_SENT, "2.0.0", NULL, -1 },
	{ "smtp bounced (SPEC)", H "postfix/smtp[412]: " QL ": to=<ann@example.org>, "
	    "relay=mx.example.org"
	  "[203.0.113.5]:25, delay=0.4, dsn=5.1.1, status=bounced (host said: 550 5.1.1 user "
	    "unknown)",
	  MAILLOG_EV_DELIVERY, QL, "smtp", NULL, NULL, NULL, "ann@example.org",
	    MAILLOG_STATUS_BOUNCED, "5.1.1", NULL, -1 },
	{ "smtp deferred greylist", H "postfix/smtp[413]: " QL ": to=<bob@example.org>, "
	    "relay=mx.example.org"
	  "[203.0.113.5]:25, conn_use=2, delay=1.2, delays=0.1/0/0.5/0.6, dsn=4.7.1, "
	    "status=deferred (host "
	  "mx.example.org[203.0.113.5] said: 450 4.7.1 <bob@example.org>: Recipient address "
	    "rejected: "
	  "Greylisted, see https://postgrey.example/help/example.org.html (in reply to RCPT TO "
	    "command))",
	  MAILLOG_EV_DELIVERY, QL, "smtp", NULL, NULL, NULL, "bob@example.org",
	    MAILLOG_STATUS_DEFERRED, "4.7.1", NULL, -1 },
	{ "lmtp orig_to", H "postfix/lmtp[88]: " QL ": to=<u1042@isp.example>, "
	    "orig_to=<postmaster@isp.example>, "
	  "relay=mailstore.isp.example[192.0.2.10]:24, delay=0.12, delays=0.01/0/0.01/0.1, "
	    "dsn=2.0.0, "
	  "status=sent (250 2.0.0 <u1042@isp.example> 8Kx3AQ Saved)",
	  MAILLOG_EV_DELIVERY, QL, "lmtp", NULL, NULL, NULL, "u1042@isp.example",
	    MAILLOG_STATUS_SENT, "2.0.0", NULL, -1 },
	{ "error deferred", H "postfix/error[99]: " QL ": to=<x@nowhere.example>, relay=none, "
	    "delay=3605, "
	  "delays=3605/0.01/0/0.02, dsn=4.4.1, status=deferred (delivery temporarily suspended: "
	    "connect to "
	  "mx.nowhere.example[192.0.2.99]:25: Connection timed out)",
	  MAILLOG_EV_DELIVERY, QL, "error", NULL, NULL, NULL, "x@nowhere.example",
	    MAILLOG_STATUS_DEFERRED, "4.4.1", NULL, -1 },
	{ "virtual unknown status word", H "postfix/virtual[5]: " QL ": to=<a@isp.example>, "
	    "relay=virtual, "
	  "delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=filed (delivered to maildir)",
	  MAILLOG_EV_DELIVERY, QL, "virtual", NULL, NULL, NULL, "a@isp.example",
	    MAILLOG_STATUS_OTHER, "2.0.0", NULL, -1 },
	{ "bounce ndr", H "postfix/bounce[1201]: " QL ": sender non-delivery notification: "
	    "4Xk2Lr0Bc4z7",
	  MAILLOG_EV_NOTIFY, QL, "bounce", NULL, NULL, NULL, NULL, 0, NULL, "4Xk2Lr0Bc4z7", -1 },
	{ "bounce delay short", H "postfix/bounce[1201]: 3F2A41C0B7D: sender delay "
	    "notification: 5B0C11D2E3F",
	  MAILLOG_EV_NOTIFY, "3F2A41C0B7D", "bounce", NULL, NULL, NULL, NULL, 0, NULL,
	    "5B0C11D2E3F", -1 },
	{ "qmgr removed", H "postfix/qmgr[977]: " QL ": removed",
	  MAILLOG_EV_REMOVED, QL, "qmgr", NULL, NULL, NULL, NULL, 0, NULL, NULL, -1 },
	{ "postsuper removed", H "postfix/postsuper[3001]: " QL ": removed",
	  MAILLOG_EV_REMOVED, QL, "postsuper", NULL, NULL, NULL, NULL, 0, NULL, NULL, -1 },
	{ "postsuper placed on hold", H "postfix/postsuper[3001]: " QL ": placed on hold",
	  MAILLOG_EV_HELD, QL, "postsuper", NULL, NULL, NULL, NULL, 0, NULL, NULL, -1 },
	{ "postsuper released", H "postfix/postsuper[3002]: " QL ": released from hold",
	  MAILLOG_EV_RELEASED, QL, "postsuper", NULL, NULL, NULL, NULL, 0, NULL, NULL, -1 },
	{ "smtpd policy hold", H "postfix-submission/smtpd[2211]: " QL ": hold: RCPT from "
	  "dyn-100-64-1-2.pool.isp.example[100.64.1.2]: <ann@example.org>: Recipient address "
	    "relayguard: "
	  "incident 7: compromised account; from=<u1042@isp.example> to=<ann@example.org> "
	    "proto=ESMTP helo=<desktop-7>",
	  MAILLOG_EV_HOLD, QL, "smtpd", "100.64.1.2", "-", "u1042@isp.example",
	    "ann@example.org", 0, NULL, "RCPT", 0 },
	{ "cleanup header hold", H "postfix/cleanup[2212]: " QL ": hold: header Subject: Cheap "
	    "meds from "
	  "dyn-100-64-1-2.pool.isp.example[100.64.1.2]; from=<u1042@isp.example> "
	    "to=<ann@example.org> "
	  "proto=ESMTP helo=<desktop-7>: held for review",
	  MAILLOG_EV_HOLD, QL, "cleanup", "100.64.1.2", NULL, "u1042@isp.example",
	    "ann@example.org", 0, NULL, "header", 0 },
	{ "noqueue reject 450", H "postfix/smtpd[2301]: NOQUEUE: reject: RCPT from "
	    "dyn-100-64-9-9.pool.isp.example"
	  "[100.64.9.9]: 450 4.7.1 <x@y.example>: Recipient address rejected: relayguard: "
	    "msgs_per_hour: "
	  "customer u7 over 200/1h; from=<u7@isp.example> to=<x@y.example> proto=ESMTP "
	    "helo=<desktop-9>",
	  MAILLOG_EV_REJECT, "-", "smtpd", "100.64.9.9", NULL, "u7@isp.example", "x@y.example",
	    0, NULL, "RCPT", 450 },
	{ "noqueue reject relay denied", H "postfix/smtpd[2302]: NOQUEUE: reject: RCPT from "
	    "unknown[100.64.3.3]: "
	  "554 5.7.1 <x@y.example>: Relay access denied; from=<spam@z.example> to=<x@y.example> "
	    "proto=SMTP helo=<QWERTY>",
	  MAILLOG_EV_REJECT, "-", "smtpd", "100.64.3.3", NULL, "spam@z.example", "x@y.example",
	    0, NULL, "RCPT", 554 },
	{ "postscreen reject commas", H "postfix/postscreen[333]: NOQUEUE: reject: RCPT from "
	    "[192.0.2.1]:7890: "
	  "550 5.7.1 Service unavailable; client [192.0.2.1] blocked using zen.spamhaus.org; "
	    "from=<a@b.example>, "
	  "to=<c@d.example>, proto=ESMTP, helo=<x>",
	  MAILLOG_EV_REJECT, "-", "postscreen", "192.0.2.1", NULL, "a@b.example", "c@d.example",
	    0, NULL, "RCPT", 550 },
	{ "connect reject no envelope", H "postfix/smtpd[1]: NOQUEUE: reject: CONNECT from "
	    "unknown[192.0.2.7]: "
	  "554 5.7.1 <unknown[192.0.2.7]>: Client host rejected: Access denied; proto=SMTP",
	  MAILLOG_EV_REJECT, "-", "smtpd", "192.0.2.7", NULL, "-", "-", 0, NULL, "CONNECT", 554 },
	{ "milter reject", H "postfix/cleanup[2212]: " QL ": milter-reject: END-OF-MESSAGE from "
	    "unknown[100.64.1.2]: "
	  "5.7.1 Spam message rejected; from=<a@isp.example> to=<b@c.example> proto=ESMTP "
	    "helo=<pc>",
	  MAILLOG_EV_REJECT, QL, "cleanup", "100.64.1.2", NULL, "a@isp.example", "b@c.example",
	    0, NULL,
	  "END-OF-MESSAGE", 0 },
	{ "discard", H "postfix/smtpd[2]: " QL ": discard: RCPT from unknown[100.64.1.2]: "
	    "<b@c.example>: "
	  "Recipient address triggers DISCARD action; from=<> to=<b@c.example> proto=ESMTP "
	    "helo=<pc>",
	  MAILLOG_EV_DISCARD, QL, "smtpd", "100.64.1.2", NULL, "", "b@c.example", 0, NULL,
	    "RCPT", 0 },
	{ "multi-instance service name", H "postfix/submission/smtpd[77]: " QL ": "
	    "client=unknown[100.64.1.2], "
	  "sasl_method=PLAIN, sasl_username=u9",
	  MAILLOG_EV_CLIENT, QL, "smtpd", "100.64.1.2", "u9", NULL, NULL, 0, NULL, NULL, -1 },
	{ "other connect", H "postfix/smtpd[2211]: connect from unknown[100.64.1.2]",
	  MAILLOG_EV_OTHER, "-", "smtpd", "-", NULL, NULL, NULL, 0, NULL, NULL, -1 },
	{ "other warning", H "postfix/smtpd[2211]: warning: hostname x.example does not resolve "
	    "to address 100.64.1.2",
	  MAILLOG_EV_OTHER, "-", "smtpd", NULL, NULL, NULL, NULL, 0, NULL, NULL, -1 },
	{ "other pickup", H "postfix/pickup[1]: " QL ": uid=0 from=<root>",
	  MAILLOG_EV_OTHER, QL, "pickup", NULL, NULL, NULL, NULL, 0, NULL, NULL, -1 },
	{ "other resent-message-id", H "postfix/cleanup[1]: " QL ": resent-message-id=<a@b>",
	  MAILLOG_EV_OTHER, QL, "cleanup", NULL, NULL, NULL, NULL, 0, NULL, NULL, -1 },
	{ "other unknown event", H "postfix/qmgr[1]: " QL ": something new: x",
	  MAILLOG_EV_OTHER, QL, "qmgr", NULL, NULL, NULL, NULL, 0, NULL, NULL, -1 },
	{ "other anvil", H "postfix/anvil[1]: statistics: max connection rate 3/60s for "
	    "(smtp:100.64.1.2) at Nov 30 00:00:01",
	  MAILLOG_EV_OTHER, "-", "anvil", NULL, NULL, NULL, NULL, 0, NULL, NULL, -1 },
	{ "other dovecot", H "dovecot: imap-login: Login: user=<u1042>, method=PLAIN, "
	    "rip=100.64.1.2",
	  MAILLOG_EV_OTHER, "-", "dovecot", NULL, NULL, NULL, NULL, 0, NULL, NULL, -1 },
	{ "other not postfix with qid shape", H "amavis[55]: " QL ": client=x[1.2.3.4]",
	  MAILLOG_EV_OTHER, "-", "amavis", "-", NULL, NULL, NULL, 0, NULL, NULL, -1 },
	{ "master without pid", H "postfix/master: warning: process /usr/lib/postfix/sbin/smtpd "
	    "pid 9 exit status 1",
	  MAILLOG_EV_OTHER, "-", "master", NULL, NULL, NULL, NULL, 0, NULL, NULL, -1 },
	{ "empty message", H "postfix/smtpd[1]:",
	  MAILLOG_EV_OTHER, "-", "smtpd", NULL, NULL, NULL, NULL, 0, NULL, NULL, -1 },
};

static int
str_is(const struct maillog_str *s, const char *want)
{
	if (want == NULL)
		return 1;
	if (strcmp(want, "-") == 0)
		return s->ptr == NULL;
	return maillog_str_eq(s, want);
}

static void
test_forms(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct maillog_clock clock;
		struct maillog_rec r;
		struct maillog_err err = { 0, NULL };
		const struct maillog_str *extra = NULL;
		int rc;

		maillog_clock_init(&clock, 2025, 0);
		rc = maillog_parse(w->line, strlen(w->line), &clock, &r, &err);
		if (rc != 0)
			fail_msg("%s: rc %d at %zu: %s", w->name, rc, err.offset, err.reason);
		if (r.ev != w->ev)
			fail_msg("%s: event %s, want %s", w->name, maillog_event_name(r.ev),
			    maillog_event_name(w->ev));
		assert_true(maillog_str_eq(&r.host, "relay1"));
		assert_int_equal(r.time_us, 1764460801LL * 1000000);
		if (!str_is(&r.queue_id, w->qid) || !str_is(&r.daemon, w->daemon) ||
		    !str_is(&r.client_addr, w->addr) || !str_is(&r.sasl_username, w->user) ||
		    !str_is(&r.from, w->from) || !str_is(&r.to, w->to) || !str_is(&r.dsn, w->dsn))
			fail_msg("%s: a field differs", w->name);
		if (w->status != MAILLOG_STATUS_NONE && r.status != w->status)
			fail_msg("%s: status %s", w->name, maillog_status_name(r.status));
		if (r.ev == MAILLOG_EV_MESSAGE_ID)
			extra = &r.message_id;
		else if (r.ev == MAILLOG_EV_NOTIFY)
			extra = &r.notify_queue_id;
		else if (r.ev == MAILLOG_EV_HOLD || r.ev == MAILLOG_EV_REJECT ||
		    r.ev == MAILLOG_EV_DISCARD)
			extra = &r.stage;
		if (extra != NULL && !str_is(extra, w->extra))
			fail_msg("%s: %.*s, want "
			    "%s", w->name, (int)extra->len, extra->ptr, w->extra);
		if (w->code >= 0 && r.reply_code != w->code)
			fail_msg("%s: reply code %d, want %d", w->name, r.reply_code, w->code);
		if (w->addr != NULL && strcmp(w->addr, "-") != 0 && strcmp(w->addr, "unknown") != 0)
			assert_true(r.has_addr);
	}
}

static void
test_fields(void **state)
{
	struct maillog_clock clock;
	struct maillog_rec r;
	struct maillog_err err;
	const char *l;

	(void)state;
	maillog_clock_init(&clock, 2025, 0);
	l = rows[0].line;
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_int_equal(r.qid_form, MAILLOG_QID_LONG);
	assert_int_equal(r.pid, 2211);
	assert_true(maillog_str_eq(&r.program, "postfix-submission/smtpd"));
	assert_true(maillog_str_eq(&r.syslog_name, "postfix-submission"));
	assert_true(r.is_postfix);
	assert_true(maillog_str_eq(&r.client_host, "dyn-100-64-1-2.pool.isp.example"));
	assert_true(maillog_str_eq(&r.sasl_method, "PLAIN"));
	assert_int_equal(r.ts_form, MAILLOG_TS_SYSLOG);

	l = rows[1].line;
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_int_equal(r.qid_form, MAILLOG_QID_SHORT);

	l = rows[6].line;	/* qmgr from */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_true(r.has_size && r.has_nrcpt);
	assert_int_equal(r.size, 2048);
	assert_int_equal(r.nrcpt, 1);

	l = rows[8].line;	/* expired */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_true(maillog_str_eq(&r.status_text, "returned to sender"));

	l = rows[9].line;	/* sent */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_true(r.has_delay);
	assert_int_equal(r.delay_ms, 400);
	assert_int_equal(r.dsn_class, 2);
	assert_true(maillog_str_eq(&r.relay, "mx.example.org[203.0.113.5]:25"));
	assert_true(maillog_str_eq(&r.delays, "0.1/0.01/0.1/0.19"));
	assert_true(maillog_str_eq(&r.status_text, "250 2.0.0 Ok: queued as 4dLMvS3qQ2z1"));

	l = rows[12].line;	/* lmtp */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_true(maillog_str_eq(&r.orig_to, "postmaster@isp.example"));
	assert_int_equal(r.delay_ms, 120);

	l = rows[13].line;	/* error, delay=3605 */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_int_equal(r.delay_ms, 3605000);
	assert_true(maillog_str_eq(&r.relay, "none"));

	l = rows[15].line;	/* bounce */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_true(maillog_str_eq(&r.notify_kind, "sender non-delivery notification"));

	l = rows[21].line;	/* smtpd policy hold */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_true(maillog_str_eq(&r.action, "hold"));
	assert_true(maillog_str_eq(&r.helo, "desktop-7"));
	assert_true(maillog_str_eq(&r.proto, "ESMTP"));
	assert_true(maillog_str_eq(&r.reply, "<ann@example.org>: Recipient address relayguard: "
	    "incident 7: compromised account"));

	l = rows[22].line;	/* cleanup header hold */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_true(maillog_str_eq(&r.detail, "Subject: Cheap meds"));
	assert_true(maillog_str_eq(&r.reply, "held for review"));
	assert_true(maillog_str_eq(&r.helo, "desktop-7"));

	l = rows[23].line;	/* NOQUEUE 450 */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_true(r.noqueue);
	assert_int_equal(r.qid_form, MAILLOG_QID_NONE);
	assert_true(maillog_str_eq(&r.reply_dsn, "4.7.1"));
	assert_true(maillog_str_eq(&r.action, "reject"));
	assert_true(maillog_str_eq(&r.client_host, "dyn-100-64-9-9.pool.isp.example"));

	l = rows[25].line;	/* postscreen */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_true(maillog_str_eq(&r.client_host, ""));
	assert_true(maillog_str_eq(&r.helo, "x"));
	assert_true(maillog_str_eq(&r.reply, "550 5.7.1 Service unavailable; client [192.0.2.1] "
	    "blocked using zen.spamhaus.org"));

	l = rows[27].line;	/* milter */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_true(maillog_str_eq(&r.reply_dsn, "5.7.1"));
	assert_true(maillog_str_eq(&r.action, "milter-reject"));

	l = rows[29].line;	/* postfix/submission/smtpd */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_true(maillog_str_eq(&r.syslog_name, "postfix/submission"));

	l = rows[38].line;	/* master without pid */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_int_equal(r.pid, -1);
	assert_true(maillog_str_eq(&r.text, "warning: process /usr/lib/postfix/sbin/smtpd pid 9 "
	    "exit status 1"));

	l = rows[36].line;	/* dovecot */
	assert_int_equal(maillog_parse(l, strlen(l), &clock, &r, &err), 0);
	assert_false(r.is_postfix);
	assert_true(maillog_str_eq(&r.message, "imap-login: Login: user=<u1042>, method=PLAIN, "
	    "rip=100.64.1.2"));
}

struct ts_row {
	const char *name;
	const char *line;
	int64_t want_s;
	int want_usec;
	const char *host;	/* "-": absent */
	int64_t pid;
};

#define MSG "postfix/qmgr[977]: " QL ": removed"

static const struct ts_row ts_rows[] = {
	{ "traditional", "Nov 30 00:00:01 relay1 " MSG, 1764460801, 0, "relay1", 977 },
	{ "traditional padded day", "Dec  1 00:00:01 relay1 " MSG, 1764547201, 0, "relay1", 977 },
	{ "traditional one-digit day", "Dec 1 00:00:01 relay1 " MSG, 1764547201, 0, "relay1", 977 },
	{ "traditional fraction", "Nov 30 00:00:01.250 "
	    "relay1 " MSG, 1764460801, 250000, "relay1", 977 },
	{ "traditional leap second", "Dec 31 23:59:60 relay1 " MSG, 1767225600, 0, "relay1", 977 },
	{ "iso utc offset", "2026-11-30T00:00:01.123456+00:00 relay1 postfix/smtp[412]: " QL ": "
	    "removed",
	  1795996801, 123456, "relay1", 412 },
	{ "iso Z nanoseconds", "2026-11-30T00:00:01.123456789Z "
	    "relay1 " MSG, 1795996801, 123456, "relay1", 977 },
	{ "iso plus one hour", "2026-11-30T01:00:01+01:00 "
	    "relay1 " MSG, 1795996801, 0, "relay1", 977 },
	{ "iso minus compact", "2026-11-29T19:00:01-0500 "
	    "relay1 " MSG, 1795996801, 0, "relay1", 977 },
	{ "iso no zone: clock's", "2026-11-30T00:00:01 relay1 " MSG, 1795996801, 0, "relay1", 977 },
	{ "iso leap day", "2024-02-29T12:00:00Z relay1 " MSG, 1709208000, 0, "relay1", 977 },
	{ "glibc datagram", "<22>Nov 30 00:00:01 " MSG, 1764460801, 0, "-", 977 },
	{ "rfc5424", "<22>1 2026-11-30T00:00:01.5Z relay1 postfix/qmgr 977 - - " QL ": removed",
	  1795996801, 500000, "relay1", 977 },
	{ "rfc5424 sd bom", "<22>1 2026-11-30T00:00:01Z relay1 postfix/qmgr - ID47 [meta "
	    "sequenceId=\"5\" "
	  "x=\"a\\]b\"][origin ip=\"192.0.2.1\"] \xef\xbb\xbf" QL ": "
	    "removed", 1795996801, 0, "relay1", -1 },
	{ "rfc5424 nil host", "<22>1 2026-11-30T00:00:01Z - postfix/qmgr 977 - - " QL ": removed",
	  1795996801, 0, "-", 977 },
	{ "crlf", "Nov 30 00:00:01 relay1 " MSG "\r\n", 1764460801, 0, "relay1", 977 },
};

static void
test_timestamps(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ts_rows) / sizeof(ts_rows[0]); i++) {
		const struct ts_row *w = &ts_rows[i];
		struct maillog_clock clock;
		struct maillog_rec r;
		struct maillog_err err = { 0, NULL };
		int rc;

		maillog_clock_init(&clock, 2025, 0);
		rc = maillog_parse(w->line, strlen(w->line), &clock, &r, &err);
		if (rc != 0)
			fail_msg("%s: rc %d at %zu: %s", w->name, rc, err.offset, err.reason);
		if (r.time_us != w->want_s * 1000000 + w->want_usec)
			fail_msg("%s: time %lld", w->name, (long long)r.time_us);
		if (!str_is(&r.host, w->host))
			fail_msg("%s: host", w->name);
		assert_int_equal(r.pid, w->pid);
		assert_int_equal(r.ev, MAILLOG_EV_REMOVED);
		assert_true(maillog_str_eq(&r.queue_id, QL));
	}
}

struct bad_row {
	const char *name;
	const char *line;
	int rc;
	const char *reason;	/* a substring of err.reason */
	long offset;		/* -1: not checked */
};

static const struct bad_row bad_rows[] = {
	{ "empty", "", ERR_MALFORMED, "no timestamp", 0 },
	{ "garbage", "garbage", ERR_MALFORMED, "no timestamp", 0 },
	{ "bad month", "Foo 30 00:00:01 relay1 " MSG, ERR_MALFORMED, "no timestamp", 0 },
	{ "day 32", "Nov 32 00:00:01 relay1 " MSG, ERR_MALFORMED, "day of month", -1 },
	{ "day 0", "Nov 0 00:00:01 relay1 " MSG, ERR_MALFORMED, "day of month", -1 },
	{ "no day", "Nov x 00:00:01 relay1 " MSG, ERR_MALFORMED, "bad day", 4 },
	{ "day no space", "Nov 301 00:00:01 relay1 " MSG, ERR_MALFORMED, "bad timestamp", 6 },
	{ "hour 24", "Nov 30 24:00:01 relay1 " MSG, ERR_MALFORMED, "out of range", 7 },
	{ "truncated time", "Nov 30 00:00", ERR_MALFORMED, "bad time", 7 },
	{ "bad time sep", "Nov 30 00-00-01 relay1 " MSG, ERR_MALFORMED, "bad time", 7 },
	{ "bad fraction", "Nov 30 00:00:01. relay1 " MSG, ERR_MALFORMED, "fraction", -1 },
	{ "nothing after", "Nov 30 00:00:01", ERR_MALFORMED, "nothing after", 15 },
	{ "no tag", "Nov 30 00:00:01 relay1", ERR_MALFORMED, "no host or program", -1 },
	{ "host only and space", "Nov 30 00:00:01 relay1 ", ERR_MALFORMED, "no program tag", -1 },
	{ "bad pid", "Nov 30 00:00:01 relay1 postfix/smtp[41x]: " QL ": "
	    "removed", ERR_MALFORMED, "bad pid", -1 },
	{ "pid too long", "Nov 30 00:00:01 relay1 postfix/smtp[12345678901]: "
	    "x", ERR_MALFORMED, "bad pid", -1 },
	{ "tag no colon", "Nov 30 00:00:01 relay1 postfix/smtp[412] x", ERR_MALFORMED, "does "
	    "not end", -1 },
	{ "tag colon no space", "Nov 30 00:00:01 relay1 "
	    "postfix/smtp[412]:x", ERR_MALFORMED, "does not end", -1 },
	{ "iso bad month", "2026-13-01T00:00:01Z relay1 " MSG, ERR_MALFORMED, "out of range", 0 },
	{ "iso feb 30", "2026-02-30T00:00:01Z relay1 " MSG, ERR_MALFORMED, "out of range", 0 },
	{ "iso 1969", "1969-12-31T23:59:59Z relay1 " MSG, ERR_MALFORMED, "out of range", 0 },
	{ "iso space", "2026-11-30 00:00:01 relay1 " MSG, ERR_MALFORMED, "ISO 8601 date", 0 },
	{ "iso short", "2026-11", ERR_MALFORMED, "ISO 8601 date", 0 },
	{ "iso bad zone", "2026-11-30T00:00:01+5 relay1 " MSG, ERR_MALFORMED, "zone offset", -1 },
	{ "iso zone 25h", "2026-11-30T00:00:01+25:00 relay1 " MSG, ERR_MALFORMED, "zone offset "
	    "out", -1 },
	{ "bad priority", "<999>Nov 30 00:00:01 " MSG, ERR_MALFORMED, "priority", 1 },
	{ "unterminated priority", "<22 Nov 30 00:00:01 " MSG, ERR_MALFORMED, "priority", 1 },
	{ "5424 nil timestamp", "<22>1 - relay1 postfix/qmgr 977 - - x", ERR_MALFORMED, "no RFC "
	    "5424", 6 },
	{ "5424 truncated", "<22>1 2026-11-30T00:00:01Z relay1 "
	    "postfix/qmgr", ERR_MALFORMED, "truncated", -1 },
	{ "5424 bad procid", "<22>1 2026-11-30T00:00:01Z relay1 postfix/qmgr 9x - - "
	    "x", ERR_MALFORMED, "PROCID", -1 },
	{ "5424 open sd", "<22>1 2026-11-30T00:00:01Z relay1 postfix/qmgr 9 - [a b=\"]\" "
	    "x", ERR_MALFORMED,
	  "unterminated RFC 5424", -1 },
	{ "5424 bad sd", "<22>1 2026-11-30T00:00:01Z relay1 postfix/qmgr 9 - x y", ERR_MALFORMED,
	  "structured data", -1 },
	{ "client no address", H "postfix/smtpd[1]: " QL ": "
	    "client=mail.acme.example", ERR_MALFORMED,
	  "host[address]", -1 },
	{ "client bad address", H "postfix/smtpd[1]: " QL ": client=x[300.1.2.3]", ERR_MALFORMED,
	  "bad client address", 64 },
	{ "client junk after", H "postfix/smtpd[1]: " QL ": "
	    "client=x[1.2.3.4]junk", ERR_MALFORMED, "junk after", -1 },
	{ "client bad port", H "postfix/smtpd[1]: " QL ": "
	    "client=x[1.2.3.4]:99999", ERR_MALFORMED, "junk after", -1 },
	{ "client missing", H "postfix/smtpd[1]: " QL ": client=x[1.2.3.4]" ", =y", ERR_MALFORMED,
	  "junk after", -1 },
	{ "kv without =", H "postfix/qmgr[1]: " QL ": from=<a@b>, "
	    "size", ERR_MALFORMED, "expected", -1 },
	{ "from bad size", H "postfix/qmgr[1]: " QL ": from=<a@b>, size=abc, nrcpt=1 (queue "
	    "active)",
	  ERR_MALFORMED, "bad size", -1 },
	{ "from size overflow", H "postfix/qmgr[1]: " QL ": from=<a@b>, "
	    "size=99999999999999999999, nrcpt=1",
	  ERR_MALFORMED, "bad size", -1 },
	{ "from bad nrcpt", H "postfix/qmgr[1]: " QL ": from=<a@b>, size=1, nrcpt=x (queue active)",
	  ERR_MALFORMED, "bad nrcpt", -1 },
	{ "from nrcpt junk", H "postfix/qmgr[1]: " QL ": from=<a@b>, size=1, nrcpt=1 queue",
	  ERR_MALFORMED, "bad nrcpt", -1 },
	{ "from unterminated", H "postfix/qmgr[1]: " QL ": from=<a@b, "
	    "size=1", ERR_MALFORMED, "unterminated", -1 },
	{ "to bad dsn class", H "postfix/smtp[1]: " QL ": to=<a@b>, relay=none, delay=1, "
	    "dsn=6.0.0, "
	  "status=bounced (x)", ERR_MALFORMED, "bad dsn", -1 },
	{ "to short dsn", H "postfix/smtp[1]: " QL ": to=<a@b>, dsn=2.0, status=sent "
	    "(x)", ERR_MALFORMED, "bad dsn", -1 },
	{ "to long dsn", H "postfix/smtp[1]: " QL ": to=<a@b>, dsn=2.0.1234, status=sent "
	    "(x)", ERR_MALFORMED,
	  "bad dsn", -1 },
	{ "to bad delay", H "postfix/smtp[1]: " QL ": to=<a@b>, delay=abc, dsn=2.0.0, "
	    "status=sent (x)",
	  ERR_MALFORMED, "bad delay", -1 },
	{ "to delay dot", H "postfix/smtp[1]: " QL ": to=<a@b>, delay=1., dsn=2.0.0, "
	    "status=sent (x)",
	  ERR_MALFORMED, "bad delay", -1 },
	{ "to no status", H "postfix/smtp[1]: " QL ": to=<a@b>, relay=none, delay=1, dsn=2.0.0",
	  ERR_MALFORMED, "without status", -1 },
	{ "to empty status", H "postfix/smtp[1]: " QL ": to=<a@b>, "
	    "status=", ERR_MALFORMED, "empty status", -1 },
	{ "to junk after status", H "postfix/smtp[1]: " QL ": to=<a@b>, status=sent "
	    "junk", ERR_MALFORMED,
	  "junk after status", -1 },
	{ "to not angled", H "postfix/smtp[1]: " QL ": to=<a@b, status=sent "
	    "(x)", ERR_MALFORMED, "unterminated", -1 },
	{ "orig_to not angled", H "postfix/smtp[1]: " QL ": to=<a@b>, orig_to=x, status=sent (x)",
	  ERR_MALFORMED, "not in <>", -1 },
	{ "notify bad qid", H "postfix/bounce[1]: " QL ": sender non-delivery notification: nope!",
	  ERR_MALFORMED, "notification", -1 },
	{ "reject no envelope", H "postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 "
	    "5.7.1 denied",
	  ERR_MALFORMED, "no envelope", -1 },
	{ "reject no client", H "postfix/smtpd[1]: NOQUEUE: reject: RCPT from nowhere: 554 "
	    "5.7.1 x; from=<a> to=<b>",
	  ERR_MALFORMED, "no client", -1 },
	{ "reject no stage", H "postfix/smtpd[1]: NOQUEUE: reject: ; "
	    "from=<a>", ERR_MALFORMED, "no stage", -1 },
	{ "reject bad address", H "postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[1.2.3]: 554 "
	    "y; from=<a>",
	  ERR_MALFORMED, "bad client address", -1 },
	{ "hold junk envelope", H "postfix/smtpd[1]: " QL ": hold: RCPT from x[1.2.3.4]: y; "
	    "from=<a> garbage",
	  ERR_MALFORMED, "junk in envelope", -1 },
	{ "hold unterminated envelope", H "postfix/smtpd[1]: " QL ": hold: RCPT from "
	    "x[1.2.3.4]: y; from=<a",
	  ERR_MALFORMED, "unterminated", -1 },
	{ "cleanup hold no client", H "postfix/cleanup[1]: " QL ": hold: header Subject: x; "
	    "from=<a> to=<b>",
	  ERR_MALFORMED, "no client", -1 },
};

static void
test_malformed(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		const struct bad_row *w = &bad_rows[i];
		struct maillog_clock clock;
		struct maillog_rec r;
		struct maillog_err err = { 0, NULL };
		size_t len = strlen(w->line);
		int rc;

		maillog_clock_init(&clock, 2025, 0);
		rc = maillog_parse(w->line, len, &clock, &r, &err);
		if (rc != w->rc)
			fail_msg("%s: rc %d, want %d (ev %s)", w->name, rc, w->rc,
			    maillog_event_name(r.ev));
		if (err.reason == NULL || strstr(err.reason, w->reason) == NULL)
			fail_msg("%s: reason \"%s\", want \"%s\"", w->name,
			    err.reason ? err.reason : "(null)", w->reason);
		if (err.offset > len)
			fail_msg("%s: offset %zu past the line", w->name, err.offset);
		if (w->offset >= 0 && err.offset != (size_t)w->offset)
			fail_msg("%s: offset %zu, want %ld", w->name, err.offset, w->offset);
		/* A failed line does not move the clock. */
		assert_int_equal(clock.last_month, 0);
	}
}

static void
test_limits(void **state)
{
	const char *head = H "postfix/smtp[1]: " QL ": to=<a@b>, relay=none, dsn=2.0.0, "
	    "status=sent (";
	size_t hl = strlen(head), len;
	struct maillog_clock clock;
	struct maillog_rec r;
	struct maillog_err err;
	char *line = malloc(MAILLOG_LINE_MAX + 8);

	(void)state;
	assert_non_null(line);
	maillog_clock_init(&clock, 2025, 0);
	/* Exactly at the limit (and a newline that does not count). */
	memcpy(line, head, hl);
	memset(line + hl, 'x', MAILLOG_LINE_MAX - hl - 1);
	line[MAILLOG_LINE_MAX - 1] = ')';
	line[MAILLOG_LINE_MAX] = '\n';
	len = MAILLOG_LINE_MAX + 1;
	assert_int_equal(maillog_parse(line, len, &clock, &r, &err), 0);
	assert_int_equal(r.ev, MAILLOG_EV_DELIVERY);
	assert_int_equal(r.status_text.len, MAILLOG_LINE_MAX - hl - 1);
	/* One byte over. */
	line[MAILLOG_LINE_MAX - 1] = 'x';
	line[MAILLOG_LINE_MAX] = ')';
	assert_int_equal(maillog_parse(line, len, &clock, &r, &err), ERR_TOOBIG);
	assert_int_equal(err.offset, MAILLOG_LINE_MAX);
	assert_non_null(strstr(err.reason, "65536"));
	/* A NUL byte. */
	memcpy(line, H "postfix/qmgr[1]: " QL ": removed", 60);
	line[30] = '\0';
	assert_int_equal(maillog_parse(line, 40, &clock, &r, &err), ERR_MALFORMED);
	assert_int_equal(err.offset, 30);
	free(line);
}

static void
test_clock(void **state)
{
	struct maillog_clock clock;
	struct maillog_rec r;
	struct maillog_err err;
	static const char dec[] = "Dec 31 23:59:59 relay1 " MSG;
	static const char jan[] = "Jan  1 00:00:01 relay1 " MSG;
	static const char feb[] = "Feb 29 00:00:01 relay1 " MSG;

	(void)state;
	assert_int_equal(maillog_clock_init(&clock, 1969, 0), ERR_RANGE);
	assert_int_equal(maillog_clock_init(&clock, 10000, 0), ERR_RANGE);
	assert_int_equal(maillog_clock_init(&clock, 2025, 86401), ERR_RANGE);
	assert_int_equal(maillog_clock_init(&clock, 2025, -86401), ERR_RANGE);

	/* December to January: the next year. */
	assert_int_equal(maillog_clock_init(&clock, 2025, 0), 0);
	assert_int_equal(maillog_parse(dec, strlen(dec), &clock, &r, &err), 0);
	assert_int_equal(r.year, 2025);
	assert_int_equal(r.time_us, 1767225599LL * 1000000);
	assert_int_equal(maillog_parse(jan, strlen(jan), &clock, &r, &err), 0);
	assert_int_equal(r.year, 2026);
	assert_int_equal(r.time_us, 1767225601LL * 1000000);
	assert_int_equal(clock.year, 2026);
	/* A late December line after that keeps 2026 (no step back). */
	assert_int_equal(maillog_parse(dec, strlen(dec), &clock, &r, &err), 0);
	assert_int_equal(r.year, 2026);
	/* ISO lines do not move the clock. */
	maillog_clock_init(&clock, 2025, 0);
	assert_int_equal(maillog_parse(dec, strlen(dec), &clock, &r, &err), 0);
	assert_int_equal(maillog_parse(ts_rows[5].line, strlen(ts_rows[5].line), &clock, &r,
	    &err), 0);
	assert_int_equal(clock.last_month, 12);
	/* 29 February is taken in any year (the year is a guess). */
	assert_int_equal(maillog_parse(feb, strlen(feb), &clock, &r, &err), 0);

	/* The helper alone. */
	maillog_clock_init(&clock, 2030, 0);
	assert_int_equal(maillog_clock_year(&clock, 11), 2030);
	assert_int_equal(maillog_clock_year(&clock, 12), 2030);
	assert_int_equal(maillog_clock_year(&clock, 1), 2031);
	assert_int_equal(maillog_clock_year(&clock, 1), 2031);
	assert_int_equal(maillog_clock_year(&clock, 3), 2031);

	/* The local zone: CET is UTC+1, so local midnight is 23:00 UTC. */
	maillog_clock_init(&clock, 2025, 3600);
	assert_int_equal(maillog_parse(rows[0].line, strlen(rows[0].line), &clock, &r, &err), 0);
	assert_int_equal(r.time_us, (1764460801LL - 3600) * 1000000);
	/* ... while ISO timestamps keep their own zone. */
	assert_int_equal(maillog_parse(ts_rows[7].line, strlen(ts_rows[7].line), &clock, &r,
	    &err), 0);
	assert_int_equal(r.time_us, 1795996801LL * 1000000);
	/* ... except one without a zone, which is local too. */
	assert_int_equal(maillog_parse(ts_rows[9].line, strlen(ts_rows[9].line), &clock, &r,
	    &err), 0);
	assert_int_equal(r.time_us, (1795996801LL - 3600) * 1000000);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(maillog_event_name(MAILLOG_EV_DELIVERY), "delivery");
	assert_string_equal(maillog_event_name(MAILLOG_EV_RELEASED), "released");
	assert_string_equal(maillog_event_name((enum maillog_event)99), "other");
	assert_string_equal(maillog_status_name(MAILLOG_STATUS_BOUNCED), "bounced");
	assert_string_equal(maillog_status_name((enum maillog_status)99), "other");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
