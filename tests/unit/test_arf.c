/*
 * test_arf.c - unit tests of the ARF (RFC 5965) parser (src/proto/arf.c):
 * a report as big mailbox providers send it, with the original message
 * and the Received: field our Postfix relay added; text/rfc822-headers in
 * base64 with CRLF line ends; quoted-printable; Exim and IPv6 Received:
 * fields; every warning; a table of malformed reports with their error
 * and reason; every limit (message, header line, field, parts, lists,
 * Received: fields); and allocation failure at every step.
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
#include "lib/xmalloc.h"
#include "proto/arf.h"

#define TOP \
	"From: Abuse Desk <abuse@mail.example>\n" \
	"To: abuse@isp.example\n" \
	"Subject: FW: Spam report\n" \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/report; report-type=feedback-report;\n" \
	"    boundary=\"part1_13d.2e68ed54_boundary\"\n" \
	"\n" \
	"This is a MIME message.\n" \
	"\n" \
	"--part1_13d.2e68ed54_boundary\n" \
	"Content-Type: text/plain; charset=\"US-ASCII\"\n" \
	"Content-Transfer-Encoding: 7bit\n" \
	"\n" \
	"This is an email abuse report for an email message received from IP\n" \
	"198.51.100.25 on Sun, 30 Nov 2025 00:00:09 +0000.\n" \
	"\n"

#define FEEDBACK \
	"--part1_13d.2e68ed54_boundary\n" \
	"Content-Type: message/feedback-report\n" \
	"\n" \
	"Feedback-Type: abuse\n" \
	"User-Agent: SomeGenerator/1.0\n" \
	"Version: 1\n" \
	"Original-Mail-From: <u1042@isp.example>\n" \
	"Original-Rcpt-To: <ann@mail.example>\n" \
	"Original-Rcpt-To: <bob@mail.example>\n" \
	"Arrival-Date: Sun, 30 Nov 2025 00:00:09 +0000\n" \
	"Reporting-MTA: dns; mx1.mail.example\n" \
	"Source-IP: 198.51.100.25\n" \
	"Authentication-Results: mx1.mail.example;\n" \
	"    spf=pass smtp.mailfrom=isp.example\n" \
	"Reported-Domain: isp.example\n" \
	"Incidents: 3\n" \
	"\n"

#define ORIGINAL \
	"--part1_13d.2e68ed54_boundary\n" \
	"Content-Type: message/rfc822\n" \
	"Content-Disposition: inline\n" \
	"\n" \
	"Received: from relay1.isp.example (relay1.isp.example [198.51.100.25])\n" \
	"\tby mx1.mail.example (Postfix) with ESMTPS id 4dLMvS3qQ2z1\n" \
	"\tfor <ann@mail.example>; Sun, 30 Nov 2025 00:00:09 +0000 (UTC)\n" \
	"Received: from desktop-7 (dyn-100-64-1-2.pool.isp.example [100.64.1.2])\n" \
	"\t(Authenticated sender: u1042)\n" \
	"\tby relay1.isp.example (Postfix) with ESMTPSA id 4Xk2Lq1Zt3z9;\n" \
	"\tSun, 30 Nov 2025 00:00:08 +0000 (UTC)\n" \
	"Received: from forged.example (forged.example [192.0.2.66])\n" \
	"\tby relay1.isp.example (Postfix) with SMTP id AAAAAAAAAA;\n" \
	"\tSat, 29 Nov 2025 00:00:00 +0000\n" \
	"From: <u1042@isp.example>\n" \
	"To: <ann@mail.example>\n" \
	"Subject: Cheap meds\n" \
	"Message-ID: <20251130000008.1a2b@desktop-7>\n" \
	"Date: Sun, 30 Nov 2025 00:00:08 +0000\n" \
	"\n" \
	"Buy now.\n" \
	"\n" \
	"--part1_13d.2e68ed54_boundary--\n" \
	"epilogue\n"

static const char full[] = TOP FEEDBACK ORIGINAL;

static struct arf_report *
parse_ok(const char *msg, size_t len)
{
	struct arf_report *r = NULL;
	struct arf_err err = { 0, NULL };
	int rc = arf_parse(msg, len, &r, &err);

	if (rc != 0)
		fail_msg("rc %d at %zu: %s", rc, err.offset, err.reason);
	return r;
}

static void
test_full(void **state)
{
	struct arf_report *r = parse_ok(full, strlen(full));
	const struct arf_received *rc;
	const char *ours[] = { "relay1.isp.example" };
	const char *other[] = { "nowhere.example" };
	char text[IPADDR_STRLEN];

	(void)state;
	assert_string_equal(r->report_from, "Abuse Desk <abuse@mail.example>");
	assert_int_equal(r->feedback_type, ARF_FT_ABUSE);
	assert_string_equal(r->feedback_type_text, "abuse");
	assert_string_equal(r->user_agent, "SomeGenerator/1.0");
	assert_string_equal(r->version, "1");
	assert_string_equal(r->original_mail_from, "u1042@isp.example");
	assert_int_equal(r->original_rcpt_to.n, 2);
	assert_string_equal(r->original_rcpt_to.v[0], "ann@mail.example");
	assert_string_equal(r->original_rcpt_to.v[1], "bob@mail.example");
	assert_string_equal(r->arrival_date, "Sun, 30 Nov 2025 00:00:09 +0000");
	assert_string_equal(r->reporting_mta, "dns; mx1.mail.example");
	assert_true(r->has_source_ip);
	ipaddr_format(&r->source_ip, text, sizeof(text));
	assert_string_equal(text, "198.51.100.25");
	assert_int_equal(r->authentication_results.n, 1);
	assert_string_equal(r->authentication_results.v[0],
	    "mx1.mail.example;    spf=pass smtp.mailfrom=isp.example");
	assert_int_equal(r->reported_domain.n, 1);
	assert_string_equal(r->reported_domain.v[0], "isp.example");
	assert_string_equal(r->incidents, "3");
	assert_true(r->has_original);
	assert_false(r->headers_only);
	assert_string_equal(r->message_id, "20251130000008.1a2b@desktop-7");
	assert_string_equal(r->original_subject, "Cheap meds");
	assert_string_equal(r->original_from, "<u1042@isp.example>");
	assert_int_equal(r->n_received, 3);
	assert_int_equal(r->n_parts, 3);
	assert_int_equal(r->warnings, 0);

	/* The receiver's field on top. */
	rc = &r->received[0];
	assert_string_equal(rc->from_helo, "relay1.isp.example");
	assert_string_equal(rc->by, "mx1.mail.example");
	assert_string_equal(rc->for_rcpt, "ann@mail.example");
	assert_string_equal(rc->date, "Sun, 30 Nov 2025 00:00:09 +0000 (UTC)");

	/* Ours: the topmost "by relay1", not the forged one below it. */
	rc = arf_our_received(r, ours, 1);
	assert_ptr_equal(rc, &r->received[1]);
	assert_string_equal(rc->from_helo, "desktop-7");
	assert_string_equal(rc->from_rdns, "dyn-100-64-1-2.pool.isp.example");
	assert_string_equal(rc->from_addr_text, "100.64.1.2");
	assert_true(rc->has_from_addr);
	ipaddr_format(&rc->from_addr, text, sizeof(text));
	assert_string_equal(text, "100.64.1.2");
	assert_string_equal(rc->auth_sender, "u1042");
	assert_string_equal(rc->by, "relay1.isp.example");
	assert_string_equal(rc->with, "ESMTPSA");
	assert_string_equal(rc->id, "4Xk2Lq1Zt3z9");
	assert_null(rc->for_rcpt);
	assert_string_equal(rc->date, "Sun, 30 Nov 2025 00:00:08 +0000 (UTC)");
	/* Without names: the bottom-most with an address (here the forged one). */
	assert_ptr_equal(arf_our_received(r, NULL, 0), &r->received[2]);
	assert_null(arf_our_received(r, other, 1));
	arf_report_free(r);
	arf_report_free(NULL);
}

/* CRLF, a base64 text/rfc822-headers part, an Exim and an IPv6 hop. */
static void
test_headers_base64_crlf(void **state)
{
	static const char hdrs[] =
	    "Received: from [100.64.7.7] (helo=Laptop)\r\n"
	    "\tby relay2.isp.example with esmtpsa (TLS1.3) tls TLS_AES_256_GCM_SHA384\r\n"
	    "\t(Exim 4.96) (envelope-from <u7@isp.example>) id 1sXyZ-000abc-12\r\n"
	    "\tfor ann@mail.example; Sun, 30 Nov 2025 00:00:01 +0000\r\n"
	    "Received: from laptop (unknown [IPv6:2001:db8:100:1::5])\r\n"
	    "\tby relay1.isp.example (Postfix) with ESMTPSA id 4Xk2Lq1Zt3z9\r\n"
	    "\tfor <x@y.example>; Sun, 30 Nov 2025 00:00:00 +0000 (UTC)\r\n"
	    "Message-Id: <abc@laptop>\r\n";
	static const char b64tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char enc[2048], msg[4096];
	size_t i, n = 0, len = strlen(hdrs);
	struct arf_report *r;
	const char *ours[] = { "RELAY1.isp.example", "relay2.isp.example" };

	(void)state;
	for (i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)hdrs[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)(unsigned char)hdrs[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)hdrs[i + 2];
		enc[n++] = b64tab[(v >> 18) & 63];
		enc[n++] = b64tab[(v >> 12) & 63];
		enc[n++] = i + 1 < len ? b64tab[(v >> 6) & 63] : '=';
		enc[n++] = i + 2 < len ? b64tab[v & 63] : '=';
		if ((n + 2) % 78 == 0) {
			enc[n++] = '\r';
			enc[n++] = '\n';
		}
	}
	enc[n] = '\0';
	snprintf(msg, sizeof(msg),
	    "Content-Type: multipart/report; boundary=b1; report-type=\"Feedback-Report\"\r\n"
	    "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
	    "--b1\r\nContent-Type: Message/Feedback-Report\r\n\r\n"
	    "feedback-type: Auth-Failure\r\nuser-agent: x/1\r\nversion: 1\r\n"
	    "--b1\r\nContent-Type: text/rfc822-headers\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	    "%s\r\n--b1--\r\n", enc);
	r = parse_ok(msg, strlen(msg));
	assert_int_equal(r->feedback_type, ARF_FT_AUTH_FAILURE);
	assert_true(r->headers_only);
	assert_string_equal(r->message_id, "abc@laptop");
	assert_int_equal(r->n_received, 2);
	assert_string_equal(r->received[0].from_addr_text, "100.64.7.7");
	assert_string_equal(r->received[0].from_helo, "Laptop");
	assert_string_equal(r->received[0].by, "relay2.isp.example");
	assert_string_equal(r->received[0].with, "esmtpsa");
	assert_string_equal(r->received[0].id, "1sXyZ-000abc-12");
	assert_string_equal(r->received[0].for_rcpt, "ann@mail.example");
	assert_true(r->received[1].has_from_addr);
	assert_string_equal(r->received[1].from_addr_text, "IPv6:2001:db8:100:1::5");
	assert_ptr_equal(arf_our_received(r, ours, 2), &r->received[0]);
	assert_ptr_equal(arf_our_received(r, ours, 1), &r->received[1]);
	assert_int_equal(r->warnings, 0);
	arf_report_free(r);
}

struct warn_row {
	const char *name;
	const char *feedback;		/* fields of the second part */
	const char *third;		/* the third part with its header, or "" */
	const char *end;		/* "--b--\n" or "" */
	unsigned want;
	enum arf_feedback_type type;
};

static const struct warn_row warn_rows[] = {
	{ "none", "Feedback-Type: fraud\nUser-Agent: a\nVersion: 1\n",
	  "Content-Type: message/rfc822\n\nMessage-ID: "
	    "<m@x>\n\nbody\n", "--b--\n", 0, ARF_FT_FRAUD },
	{ "no original", "Feedback-Type: virus\nUser-Agent: a\nVersion: 1\n", NULL, "--b--\n",
	  ARF_WARN_NO_ORIGINAL, ARF_FT_VIRUS },
	{ "no user agent, version 2", "Feedback-Type: other\nVersion: 2\n",
	  "Content-Type: message/rfc822\n\nX: y\n", "--b--\n",
	  ARF_WARN_NO_USER_AGENT | ARF_WARN_BAD_VERSION, ARF_FT_OTHER },
	{ "no version, bad source", "Feedback-Type: not-spam\nUser-Agent: a\nSource-IP: 1.2.3\n",
	  "Content-Type: message/rfc822\n\nX: y\n", "--b--\n",
	  ARF_WARN_NO_VERSION | ARF_WARN_BAD_SOURCE_IP, ARF_FT_NOT_SPAM },
	{ "no close, extension type", "Feedback-Type: opt-out\nUser-Agent: a\nVersion: 1\n",
	  "Content-Type: text/rfc822-headers\n\nMessage-ID: <m@x>\n", "",
	  ARF_WARN_NO_CLOSE, ARF_FT_UNKNOWN },
	{ "human part without header", "Feedback-Type: abuse\nUser-Agent: a\nVersion: 1\n",
	  "Content-Type: message/rfc822\n\nMessage-ID: <m@x>\n", "--b--\n", 0, ARF_FT_ABUSE },
	{ "broken original", "Feedback-Type: abuse\nUser-Agent: a\nVersion: 1\n",
	  "Content-Type: text/rfc822-headers\n\nMessage-ID: <m@x>\nthis is not a "
	    "header\nSubject: lost\n",
	  "--b--\n", ARF_WARN_BAD_ORIGINAL, ARF_FT_ABUSE },
};

static void
test_warnings(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(warn_rows) / sizeof(warn_rows[0]); i++) {
		const struct warn_row *w = &warn_rows[i];
		char msg[2048];
		struct arf_report *r;

		snprintf(msg, sizeof(msg),
		    "Content-Type: multipart/report; report-type=feedback-report; boundary=b\n\n"
		    "--b\n%shuman\n--b\nContent-Type: message/feedback-report\n\n%s%s%s%s",
		    i == 5 ? "" : "\n", w->feedback, w->third ? "--b\n" : "",
		      w->third ? w->third : "",
		    w->end);
		r = parse_ok(msg, strlen(msg));
		if (r->warnings != w->want)
			fail_msg("%s: warnings %#x, want %#x", w->name, r->warnings, w->want);
		assert_int_equal(r->feedback_type, w->type);
		if (w->third && strstr(w->third, "Message-ID"))
			assert_string_equal(r->message_id, "m@x");
		if (i == 4)
			assert_string_equal(arf_feedback_type_name(r->feedback_type), "unknown");
		if (i == 6)
			assert_null(r->original_subject);
		arf_report_free(r);
	}
	assert_string_equal(arf_feedback_type_name(ARF_FT_NOT_SPAM), "not-spam");
}

static void
test_quoted_printable_mbox(void **state)
{
	static const char msg[] =
	    "From abuse@mail.example Sun Nov 30 00:00:09 2025\n"
	    "Content-Type: multipart/report; report-type=feedback-report;\n"
	    " boundary=\"=_qp (x)\" (a comment)\n\n"
	    "--=_qp (x)\n\nhuman\n"
	    "--=_qp (x)\nContent-Type: message/feedback-report\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "Feedback-Type: abu=\nse\nUser-Agent: a=3Db\nVersion: 1\n"
	    "--=_qp (x)\nContent-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "Subject: caf=C3=A9 =ZZ\nMessage-ID: <q@x>\n\nbody\n"
	    "--=_qp (x)--\n";
	struct arf_report *r;

	(void)state;
	r = parse_ok(msg, strlen(msg));
	assert_int_equal(r->feedback_type, ARF_FT_ABUSE);
	assert_string_equal(r->user_agent, "a=b");
	assert_string_equal(r->original_subject, "caf\xc3\xa9 =ZZ");
	assert_string_equal(r->message_id, "q@x");
	arf_report_free(r);
}

struct bad_row {
	const char *name;
	const char *msg;
	int rc;
	const char *reason;
};

#define CT "Content-Type: multipart/report; report-type=feedback-report; boundary=b\n\n"
#define FB "--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n"

static const struct bad_row bad_rows[] = {
	{ "empty", "", ERR_MALFORMED, "no Content-Type" },
	{ "no content type", "Subject: x\n\nbody\n", ERR_MALFORMED, "no Content-Type" },
	{ "text plain", "Content-Type: text/plain\n\nhi\n", ERR_MALFORMED, "not a "
	    "multipart/report" },
	{ "no slash", "Content-Type: report\n\nhi\n", ERR_MALFORMED, "not a multipart/report" },
	{ "dsn report", "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=b\n\n",
	  ERR_MALFORMED, "not feedback-report" },
	{ "no report type", "Content-Type: multipart/report; boundary=b\n\n", ERR_MALFORMED,
	  "not feedback-report" },
	{ "no boundary", "Content-Type: multipart/report; report-type=feedback-report\n\n",
	  ERR_MALFORMED, "without a boundary" },
	{ "empty boundary", "Content-Type: multipart/report; report-type=feedback-report; "
	    "boundary=\"\"\n\n",
	  ERR_MALFORMED, "without a boundary" },
	{ "one part", CT "--b\n\nhuman\n--b--\n", ERR_MALFORMED, "fewer than two" },
	{ "no parts", CT "just text\n", ERR_MALFORMED, "fewer than two" },
	{ "no feedback part", CT "--b\n\nhuman\n--b\nContent-Type: text/plain\n\nx\n--b--\n",
	  ERR_MALFORMED, "no message/feedback-report" },
	{ "no feedback type", CT "--b\n\nh\n--b\nContent-Type: message/feedback-report\n\n"
	  "User-Agent: a\n--b--\n", ERR_MALFORMED, "no Feedback-Type" },
	{ "header without colon", "Content-Type: multipart/report\nbroken line\n\n", ERR_MALFORMED,
	  "without a colon" },
	{ "starts with continuation", " folded: x\n\n", ERR_MALFORMED, "continuation" },
	{ "field without name", ": x\n\n", ERR_MALFORMED, "without a name" },
	{ "feedback without "
	    "colon", CT "--b\n\nh\n" FB "garbage\n--b--\n", ERR_MALFORMED, "without a colon" },
	/* fuzz crash-84a36233: the offset of an error inside a decoded part. */
	{ "broken line in a decoded part", CT "--b\n\nh\n--b\nContent-Type: "
	    "message/feedback-report\n"
	  "Content-Transfer-Encoding: quoted-printable\n\nFeedback-Type: abuse\nbro=6Ben\n--b--\n",
	  ERR_MALFORMED, "without a colon" },
	{ "bad base64", CT "--b\n\nh\n--b\nContent-Type: message/feedback-report\n"
	  "Content-Transfer-Encoding: base64\n\nRmVlZGJhY2s*\n--b--\n", ERR_MALFORMED, "bad "
	    "base64" },
	{ "base64 nul", CT "--b\n\nh\n--b\nContent-Type: message/feedback-report\n"
	  "Content-Transfer-Encoding: base64\n\nAAAA\n--b--\n", ERR_MALFORMED, "NUL byte in a "
	    "decoded" },
};

static void
test_malformed(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		const struct bad_row *w = &bad_rows[i];
		struct arf_report *r = (struct arf_report *)1;
		struct arf_err err = { 0, NULL };
		size_t len = strlen(w->msg);
		int rc = arf_parse(w->msg, len, &r, &err);

		if (rc != w->rc)
			fail_msg("%s: rc %d, want %d", w->name, rc, w->rc);
		if (err.reason == NULL || strstr(err.reason, w->reason) == NULL)
			fail_msg("%s: reason \"%s\", want \"%s\"", w->name,
			    err.reason ? err.reason : "(null)", w->reason);
		assert_null(r);
		assert_true(err.offset <= len);
	}
}

/* Append to a growing buffer (tests only). */
static void
cat(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);

	*buf = realloc(*buf, *len + n + 1);
	assert_non_null(*buf);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

static int
parse_rc(const char *msg, size_t len, const char **reason)
{
	struct arf_report *r = NULL;
	struct arf_err err = { 0, NULL };
	int rc = arf_parse(msg, len, &r, &err);

	*reason = err.reason;
	if (rc == 0)
		arf_report_free(r);
	else
		assert_true(err.offset <= len);
	return rc;
}

static void
test_limits(void **state)
{
	char *buf = NULL, line[ARF_LINE_MAX + 32];
	const char *reason;
	size_t len = 0, i;

	(void)state;
	/* A message of 1 MiB + 1. */
	buf = calloc(1, ARF_MSG_MAX + 2);
	assert_non_null(buf);
	memset(buf, 'x', ARF_MSG_MAX + 1);
	assert_int_equal(parse_rc(buf, ARF_MSG_MAX + 1, &reason), ERR_TOOBIG);
	assert_non_null(strstr(reason, "1 MiB"));
	/* NUL byte. */
	assert_int_equal(parse_rc("Subject: a\0b\n\n", 14, &reason), ERR_MALFORMED);
	assert_non_null(strstr(reason, "NUL"));
	free(buf);

	/* A header line of exactly 8192 bytes is fine, 8193 is not. */
	for (i = 0; i < 2; i++) {
		buf = NULL;
		len = 0;
		memset(line, 'a', sizeof(line));
		memcpy(line, "X-Long: ", 8);
		line[ARF_LINE_MAX + i] = '\n';
		line[ARF_LINE_MAX + i + 1] = '\0';
		cat(&buf, &len, line);
		cat(&buf, &len, CT "--b\n\nh\n" FB "--b--\n");
		assert_int_equal(parse_rc(buf, len, &reason), i == 0 ? 0 : ERR_TOOBIG);
		free(buf);
	}

	/* An unfolded field over 64 KiB. */
	buf = NULL;
	len = 0;
	cat(&buf, &len, "Content-Type: multipart/report; report-type=feedback-report; boundary=b");
	for (i = 0; i < 70; i++)
		cat(&buf, &len, "\n ; x-pad=\"..................................................."
		    "..................................................................."
		    "...................................................................."
		    "...................................................................."
		    "...................................................................."
		    "...................................................................."
		    "...................................................................."
		    "...................................................................."
		    "...................................................................."
		    "...................................................................."
		    "...................................................................."
		    "...................................................................."
		    "...................................................................."
		    "...................................................................."
		    "...................................................................."
		    "...................................................\"");
	cat(&buf, &len, "\n\n--b\n\nh\n" FB "--b--\n");
	assert_int_equal(parse_rc(buf, len, &reason), ERR_TOOBIG);
	assert_non_null(strstr(reason, "65536"));
	free(buf);

	/* 16 parts are fine, 17 are not. */
	for (i = 0; i < 2; i++) {
		size_t k;

		buf = NULL;
		len = 0;
		cat(&buf, &len, CT FB);
		for (k = 1; k < 16 + i; k++)
			cat(&buf, &len, "--b\n\nfiller\n");
		cat(&buf, &len, i == 0 ? "--b--\n" : "");
		assert_int_equal(parse_rc(buf, len, &reason), i == 0 ? 0 : ERR_TOOBIG);
		if (i == 1)
			assert_non_null(strstr(reason, "16 parts"));
		free(buf);
	}

	/* 100 Original-Rcpt-To values are fine, 101 are not. */
	for (i = 0; i < 2; i++) {
		size_t k;

		buf = NULL;
		len = 0;
		cat(&buf, &len, CT "--b\n\nh\n" FB);
		for (k = 0; k < ARF_LIST_MAX + i; k++)
			cat(&buf, &len, "Original-Rcpt-To: <a@b.example>\n");
		cat(&buf, &len, "--b--\n");
		assert_int_equal(parse_rc(buf, len, &reason), i == 0 ? 0 : ERR_TOOBIG);
		free(buf);
	}

	/* 100 Received: fields are fine, 101 are not. */
	for (i = 0; i < 2; i++) {
		size_t k;

		buf = NULL;
		len = 0;
		cat(&buf, &len, CT FB "--b\nContent-Type: text/rfc822-headers\n\n");
		for (k = 0; k < ARF_RECEIVED_MAX + i; k++)
			cat(&buf, &len, "Received: from a (b [192.0.2.1]) by c id d; date\n");
		cat(&buf, &len, "--b--\n");
		assert_int_equal(parse_rc(buf, len, &reason), i == 0 ? 0 : ERR_TOOBIG);
		if (i == 1)
			assert_non_null(strstr(reason, "Received"));
		free(buf);
	}

	/* A boundary over 200 characters. */
	buf = NULL;
	len = 0;
	cat(&buf, &len, "Content-Type: multipart/report; report-type=feedback-report; boundary=");
	for (i = 0; i < 201; i++)
		cat(&buf, &len, "b");
	cat(&buf, &len, "\n\n");
	assert_int_equal(parse_rc(buf, len, &reason), ERR_MALFORMED);
	assert_non_null(strstr(reason, "boundary too long"));
	free(buf);
}

static void
test_nomem(void **state)
{
	long n;
	int rc = ERR_NOMEM;

	(void)state;
	for (n = 0; rc == ERR_NOMEM && n < 1000; n++) {
		struct arf_report *r = NULL;
		struct arf_err err;

		xmalloc_fail_after(n);
		rc = arf_parse(full, strlen(full), &r, &err);
		xmalloc_fail_after(-1);
		if (rc == 0) {
			assert_int_equal(r->n_received, 3);
			assert_string_equal(r->message_id, "20251130000008.1a2b@desktop-7");
			arf_report_free(r);
		} else {
			assert_int_equal(rc, ERR_NOMEM);
			assert_null(r);
		}
	}
	assert_int_equal(rc, 0);
	assert_true(n > 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_headers_base64_crlf),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_quoted_printable_mbox),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
