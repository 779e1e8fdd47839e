/*
 * test_verdict.c - unit tests of content filter verdicts from the log
 * (src/proto/verdict.c): a table of amavis, rspamd, spamd, header_checks
 * and milter lines with the verdict each must give, lines that are no
 * verdict, malformed verdict lines with their reason, and the hop into
 * an after-queue filter (verdict_requeued).
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
#include "proto/verdict.h"

#define H "Dec  1 10:00:00 relay1 "
#define QL "4Xk2Lq1Zt3z9"

struct row {
	const char *name;
	const char *line;
	int rc;			/* 1, 0 or ERR_MALFORMED */
	enum verdict_source source;
	int spam;		/* 1 spam, 0 clean */
	const char *qid;	/* NULL: absent */
	const char *mid;	/* NULL: absent */
	double score;		/* checked when has_score */
	int has_score;
	const char *reason;	/* ERR_MALFORMED: a piece of it */
};

static const struct row rows[] = {
	{ "amavis clean", H "amavis[2211]: (02211-01) Passed CLEAN {RelayedOutbound}, "
	  "ORIGINATING LOCAL [100.64.1.2]:50123 [100.64.1.2] <u1@example.net> -> "
	  "<ann@example.org>, Queue-ID: " QL ", Message-ID: <abc@example.net>, mail_id: "
	  "zXy, Hits: -1.2, size: 2048, queued_as: 4Xk2Lq2ab, 512 ms",
	  1, VERDICT_AMAVIS, 0, QL, "abc@example.net", -1.2, 1, NULL },
	{ "amavis blocked spam", H "amavis[2211]: (02211-02) Blocked SPAM {DiscardedOutbound,"
	  "Quarantined}, ORIGINATING LOCAL [100.64.1.2] <x@y> -> <a@b>,<c@d>, quarantine: "
	  "spam-abc, Queue-ID: 3F2A41C0B7D, Message-ID: <m@x>, mail_id: q, Hits: 17.43, "
	  "size: 900, 300 ms",
	  1, VERDICT_AMAVIS, 1, "3F2A41C0B7D", "m@x", 17.43, 1, NULL },
	{ "amavis passed spammy", H "amavis[1]: (00001-01) Passed SPAMMY {RelayedTagged}, "
	  "[1.2.3.4] <x@y> -> <a@b>, Queue-ID: " QL ", Message-ID: <m@x>, Hits: 6.1",
	  1, VERDICT_AMAVIS, 1, QL, "m@x", 6.1, 1, NULL },
	{ "amavis infected", H "amavis[1]: (00001-01) Blocked INFECTED (Eicar-Signature) "
	  "{DiscardedOutbound}, [1.2.3.4] <x@y> -> <a@b>, Queue-ID: " QL ", Hits: -",
	  1, VERDICT_AMAVIS, 1, QL, NULL, 0, 0, NULL },
	{ "amavis old release message-id only", H "amavisd[9]: (00009-01) Passed CLEAN, "
	  "[1.2.3.4] [1.2.3.4] <x@y> -> <a@b>, Message-ID: <old@x>, mail_id: q, Hits: 0.5, "
	  "size: 10, 20 ms",
	  1, VERDICT_AMAVIS, 0, NULL, "old@x", 0.5, 1, NULL },
	{ "amavis banned is no verdict", H "amavis[1]: (00001-01) Blocked BANNED (.exe) "
	  "{DiscardedOutbound}, <x@y> -> <a@b>, Queue-ID: " QL,
	  0, 0, 0, NULL, NULL, 0, 0, NULL },
	{ "amavis other line", H "amavis[1]: (00001-01) Checking: xyz [1.2.3.4] <x@y> -> <a@b>",
	  0, 0, 0, NULL, NULL, 0, 0, NULL },
	{ "amavis no ids", H "amavis[1]: (00001-01) Passed CLEAN, <x@y> -> <a@b>, Hits: 1",
	  ERR_MALFORMED, 0, 0, NULL, NULL, 0, 0, "without Queue-ID" },
	{ "amavis bad hits", H "amavis[1]: (00001-01) Passed CLEAN, Queue-ID: " QL
	  ", Hits: lots", ERR_MALFORMED, 0, 0, NULL, NULL, 0, 0, "bad Hits" },
	{ "amavis bad queue id", H "amavis[1]: (00001-01) Passed SPAM, Queue-ID: 4X-k2, Hits: 9",
	  ERR_MALFORMED, 0, 0, NULL, NULL, 0, 0, "bad Queue-ID" },
	{ "rspamd reject", H "rspamd[771]: <e0f0a1>; task; rspamd_task_write_log: id: "
	  "<m1@example.net>, qid: <" QL ">, ip: 100.64.1.2, user: u1, from: <u1@example.net>, "
	  "(default: T (reject): [16.50/15.00] [BAYES_SPAM(5.10){99.9%;}]), len: 2048, "
	  "time: 120.5ms, dns req: 12, digest: <ab>, rcpts: <a@b>, mime_rcpts: <a@b>",
	  1, VERDICT_RSPAMD, 1, QL, "m1@example.net", 16.5, 1, NULL },
	{ "rspamd no action", H "rspamd[771]: <e0f0a2>; task; rspamd_task_write_log: id: "
	  "<m2@x>, qid: <3F2A41C0B7D>, ip: 100.64.1.2, (default: F (no action): [-0.60/15.00] "
	  "[MIME_GOOD(-0.10){}]), len: 10",
	  1, VERDICT_RSPAMD, 0, "3F2A41C0B7D", "m2@x", -0.6, 1, NULL },
	{ "rspamd add header no qid", H "rspamd[1]: <a>; task; rspamd_task_write_log: id: "
	  "<m3@x>, ip: 1.2.3.4, (default: T (add header): [7.00/15.00] [])",
	  1, VERDICT_RSPAMD, 1, NULL, "m3@x", 7.0, 1, NULL },
	{ "rspamd greylist is no verdict", H "rspamd[1]: <a>; task; rspamd_task_write_log: id: "
	  "<m4@x>, qid: <" QL ">, (default: F (greylist): [4.00/15.00] [])",
	  0, 0, 0, NULL, NULL, 0, 0, NULL },
	{ "rspamd other line", H "rspamd[1]: <a>; lua; rspamd_lua_call: something",
	  0, 0, 0, NULL, NULL, 0, 0, NULL },
	{ "rspamd undef ids", H "rspamd[1]: <a>; task; rspamd_task_write_log: id: <undef>, "
	  "qid: <undef>, (default: T (reject): [20.00/15.00] [])",
	  ERR_MALFORMED, 0, 0, NULL, NULL, 0, 0, "without qid" },
	{ "rspamd no result", H "rspamd[1]: <a>; task; rspamd_task_write_log: id: <m@x>, "
	  "qid: <" QL ">, len: 5", ERR_MALFORMED, 0, 0, NULL, NULL, 0, 0, "no (default" },
	{ "rspamd bad result", H "rspamd[1]: <a>; task; rspamd_task_write_log: id: <m@x>, "
	  "(default: X (reject): [1/2])", ERR_MALFORMED, 0, 0, NULL, NULL, 0, 0, "bad result" },
	{ "rspamd unterminated qid", H "rspamd[1]: <a>; task; rspamd_task_write_log: id: <m@x>, "
	  "(default: T (reject): [1/2]) qid: <" QL, ERR_MALFORMED, 0, 0, NULL, NULL, 0, 0,
	  "bad qid" },
	{ "spamd spam", H "spamd[512]: spamd: result: Y 15 - BAYES_99,URIBL_BLACK "
	  "scantime=0.5,size=2048,user=debian-spamd,uid=110,required_score=5.0,"
	  "rhost=localhost,raddr=127.0.0.1,rport=40000,mid=<s1@example.net>,autolearn=no",
	  1, VERDICT_SPAMD, 1, NULL, "s1@example.net", 15, 1, NULL },
	{ "spamd ham", H "spamd[512]: spamd: result: . -1 - ALL_TRUSTED scantime=0.1,"
	  "mid=<s2@x>,autolearn=ham", 1, VERDICT_SPAMD, 0, NULL, "s2@x", -1, 1, NULL },
	{ "spamd unknown mid", H "spamd[512]: spamd: result: Y 9 - X scantime=0.1,"
	  "mid=<(unknown)>,autolearn=no", 0, 0, 0, NULL, NULL, 0, 0, NULL },
	{ "spamd bad flag", H "spamd[512]: spamd: result: N 9 - X mid=<a@b>",
	  ERR_MALFORMED, 0, 0, NULL, NULL, 0, 0, "flag" },
	{ "spamd bad score", H "spamd[512]: spamd: result: Y x - X mid=<a@b>",
	  ERR_MALFORMED, 0, 0, NULL, NULL, 0, 0, "score" },
	{ "spamd huge score", H "spamd[512]: spamd: result: Y 99999999 - X mid=<a@b>",
	  ERR_MALFORMED, 0, 0, NULL, NULL, 0, 0, "score" },
	{ "spamd other", H "spamd[512]: spamd: connection from localhost [127.0.0.1]:40000",
	  0, 0, 0, NULL, NULL, 0, 0, NULL },
	{ "header x-spam-flag yes", H "postfix/cleanup[310]: " QL ": warning: header "
	  "X-Spam-Flag: YES from localhost[127.0.0.1]; from=<a@b> to=<c@d> proto=ESMTP "
	  "helo=<localhost>", 1, VERDICT_HEADER, 1, QL, NULL, 0, 0, NULL },
	{ "header x-spam-status no", H "postfix/cleanup[310]: " QL ": warning: header "
	  "X-Spam-Status: No, score=1.2 required=5.0 from localhost[127.0.0.1]; from=<a@b> "
	  "to=<c@d> proto=ESMTP helo=<h>", 1, VERDICT_HEADER, 0, QL, NULL, 0, 0, NULL },
	{ "header x-spam yes lower", H "postfix/cleanup[310]: " QL ": warning: header "
	  "x-spam: yes from h[1.2.3.4]; from=<a@b> to=<c@d> proto=ESMTP helo=<h>",
	  1, VERDICT_HEADER, 1, QL, NULL, 0, 0, NULL },
	{ "header other warning", H "postfix/cleanup[310]: " QL ": warning: header "
	  "Subject: hello from h[1.2.3.4]; from=<a@b> to=<c@d> proto=ESMTP helo=<h>",
	  0, 0, 0, NULL, NULL, 0, 0, NULL },
	{ "milter reject spam", H "postfix/cleanup[310]: " QL ": milter-reject: "
	  "END-OF-MESSAGE from h[100.64.1.2]: 5.7.1 Spam message rejected; from=<a@b> "
	  "to=<c@d> proto=ESMTP helo=<h>", 1, VERDICT_MILTER, 1, QL, NULL, 0, 0, NULL },
	{ "milter reject other", H "postfix/cleanup[310]: " QL ": milter-reject: "
	  "END-OF-MESSAGE from h[100.64.1.2]: 5.7.1 Virus found; from=<a@b> to=<c@d> "
	  "proto=ESMTP helo=<h>", 0, 0, 0, NULL, NULL, 0, 0, NULL },
	{ "postfix delivery is no verdict", H "postfix/smtp[412]: " QL ": to=<a@b>, "
	  "relay=mx[203.0.113.5]:25, delay=0.4, delays=0.1/0/0.2/0.1, dsn=2.0.0, "
	  "status=sent (250 2.0.0 Ok)", 0, 0, 0, NULL, NULL, 0, 0, NULL },
	{ "other program", H "dovecot[3]: imap-login: Login: user=<u1>",
	  0, 0, 0, NULL, NULL, 0, 0, NULL },
};

static void
check_str(const struct maillog_str *s, const char *want, const char *name)
{
	if (want == NULL) {
		if (s->ptr != NULL)
			fail_msg("%s: expected absent, got %.*s", name, (int)s->len, s->ptr);
		return;
	}
	if (s->ptr == NULL || s->len != strlen(want) || memcmp(s->ptr, want, s->len) != 0)
		fail_msg("%s: want %s, got %.*s", name, want, s->ptr ? (int)s->len : 6,
		    s->ptr ? s->ptr : "absent");
}

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct maillog_clock clock;
		struct maillog_rec rec;
		struct maillog_err err;
		struct verdict v;
		int rc;

		maillog_clock_init(&clock, 2026, 0);
		if (maillog_parse(r->line, strlen(r->line), &clock, &rec, &err) != 0)
			fail_msg("%s: maillog_parse failed: %s", r->name, err.reason);
		err.reason = NULL;
		rc = verdict_parse(r->line, &rec, &v, &err);
		if (rc != r->rc)
			fail_msg("%s: rc %d, want %d (%s)", r->name, rc, r->rc,
			    err.reason ? err.reason : "");
		if (rc == ERR_MALFORMED) {
			assert_non_null(err.reason);
			if (strstr(err.reason, r->reason) == NULL)
				fail_msg("%s: reason '%s' lacks '%s'", r->name, err.reason,
				    r->reason);
			assert_true(err.offset < strlen(r->line));
			continue;
		}
		if (rc != 1)
			continue;
		assert_int_equal(v.source, r->source);
		if ((int)v.spam != r->spam)
			fail_msg("%s: spam %d, want %d", r->name, v.spam, r->spam);
		check_str(&v.queue_id, r->qid, r->name);
		check_str(&v.message_id, r->mid, r->name);
		assert_int_equal(v.has_score, r->has_score);
		if (r->has_score && (v.score < r->score - 1e-9 || v.score > r->score + 1e-9))
			fail_msg("%s: score %f, want %f", r->name, v.score, r->score);
	}
}

static void
test_requeued(void **state)
{
	static const struct {
		const char *line;
		const char *qid;	/* NULL: not a requeue */
	} cases[] = {
		{ H "postfix/smtp[5]: " QL ": to=<a@b>, relay=127.0.0.1[127.0.0.1]:10024, "
		  "delay=0.5, delays=0.1/0/0/0.4, dsn=2.0.0, status=sent (250 2.0.0 from "
		  "MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 4Xk2Lq9Cb1z7)",
		  "4Xk2Lq9Cb1z7" },
		/* Not a Postfix queue ID (a vowel in a long one): not ours. */
		{ H "postfix/smtp[5]: " QL ": to=<a@b>, relay=127.0.0.1[127.0.0.1]:10024, "
		  "delay=0.5, delays=0.1/0/0/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: "
		  "queued as 4Xk2Lq9Ab1z7)", NULL },
		{ H "postfix/lmtp[5]: " QL ": to=<a@b>, relay=localhost[::1]:10024, delay=0.5, "
		  "delays=0.1/0/0/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 3F2A41C0B7D)",
		  "3F2A41C0B7D" },
		/* A remote MX's queue ID is not ours. */
		{ H "postfix/smtp[5]: " QL ": to=<a@b>, relay=mx.example.org[203.0.113.5]:25, "
		  "delay=0.5, delays=0.1/0/0/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued "
		  "as 3F2A41C0B7D)", NULL },
		{ H "postfix/smtp[5]: " QL ": to=<a@b>, relay=127.0.0.1[127.0.0.1]:10024, "
		  "delay=0.5, delays=0.1/0/0/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)", NULL },
		{ H "postfix/smtp[5]: " QL ": to=<a@b>, relay=127.0.0.1[127.0.0.1]:10024, "
		  "delay=0.5, delays=0.1/0/0/0.4, dsn=4.4.1, status=deferred (connect refused)",
		  NULL },
		{ H "postfix/smtp[5]: " QL ": to=<a@b>, relay=127.0.0.1[127.0.0.1]:10024, "
		  "delay=0.5, delays=0.1/0/0/0.4, dsn=2.0.0, status=sent (250 Ok: queued as a-b)",
		  NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct maillog_clock clock;
		struct maillog_rec rec;
		struct maillog_err err;
		struct maillog_str q = { NULL, 0 };
		bool got;

		maillog_clock_init(&clock, 2026, 0);
		assert_int_equal(maillog_parse(cases[i].line, strlen(cases[i].line), &clock,
		    &rec, &err), 0);
		got = verdict_requeued(&rec, &q);
		if (cases[i].qid == NULL) {
			if (got)
				fail_msg("case %zu: unexpected requeue %.*s", i, (int)q.len, q.ptr);
			continue;
		}
		if (!got)
			fail_msg("case %zu: no requeue", i);
		check_str(&q, cases[i].qid, "requeue");
	}
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(verdict_source_name(VERDICT_AMAVIS), "amavis");
	assert_string_equal(verdict_source_name(VERDICT_MILTER), "milter");
	assert_string_equal(verdict_source_name((enum verdict_source)99), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_requeued),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
