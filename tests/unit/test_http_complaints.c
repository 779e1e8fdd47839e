/*
 * test_http_complaints.c - unit tests of POST /api/v1/complaints
 * (src/http/api_complaints.c): which customer an ARF report is about
 * (api_complaints_customer, table-driven: our Received: field by name,
 * an authenticated sender, a client address in a customer network with
 * the relay hop skipped, the Source-IP, none), and the handler through
 * api_handle(): the token, a malformed report, no customer, an unknown
 * customer, a not-spam report that does not count, and two complaints
 * that open an incident after which the customer's mail is held.
 * An engine on a fixed clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/api.h"
#include "proto/arf.h"
#include "proto/ucl.h"
#include "test_engine_fx.h"

#define TOKEN "t0ken-for-tests"
#define AUTH "Bearer " TOKEN

static const char *conf_text =
    "state { dir = \"/nonexistent\"; }\n"
    FX_NETWORKS
    "detection { enabled = true; on_compromise = [\"hold\"]; }\n";

/* Fields of the original that the cases vary. */
#define RCV_MX \
	"Received: from relay1.isp.example (relay1.isp.example [198.51.100.25])\n" \
	"\tby mx1.mail.example (Postfix) with ESMTPS id 4dLMvS3qQ2z1\n" \
	"\tfor <ann@mail.example>; Sun, 30 Nov 2025 00:00:09 +0000 (UTC)\n"
#define RCV_SASL \
	"Received: from desktop-7 (dyn-100-64-1-2.pool.isp.example [100.64.1.2])\n" \
	"\t(Authenticated sender: u1042)\n" \
	"\tby relay1.isp.example (Postfix) with ESMTPSA id 4Xk2Lq1Zt3z9;\n" \
	"\tSun, 30 Nov 2025 00:00:08 +0000 (UTC)\n"
#define RCV_BIZ \
	"Received: from mail.shop.example (mail.shop.example [198.51.100.77])\n" \
	"\tby relay1.isp.example (Postfix) with ESMTP id 4Xk2Lq1Zt3zA;\n" \
	"\tSun, 30 Nov 2025 00:00:08 +0000 (UTC)\n"
#define RCV_FORGED_SASL \
	"Received: from forged.example (forged.example [192.0.2.66])\n" \
	"\t(Authenticated sender: victim)\n" \
	"\tby relay9.elsewhere.example (Postfix) with ESMTPSA id AAAAAAAAAA;\n" \
	"\tSat, 29 Nov 2025 00:00:00 +0000\n"
#define RCV_OUTSIDE \
	"Received: from far.example (far.example [192.0.2.9])\n" \
	"\tby relay1.isp.example (Postfix) with ESMTP id BBBBBBBBBB;\n" \
	"\tSat, 29 Nov 2025 00:00:00 +0000\n"
#define RCV_TRUSTED \
	"Received: from localhost (localhost [127.0.0.1])\n" \
	"\tby relay1.isp.example (Postfix) with ESMTP id CCCCCCCCCC;\n" \
	"\tSat, 29 Nov 2025 00:00:00 +0000\n"

/*
 * An ARF report with feedback type ft, Source-IP src (NULL: none) and
 * Received: fields rcv, in a static buffer that the next call replaces.
 */
static char *
report(const char *ft, const char *src, const char *rcv)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf),
	    "From: <abuse@mail.example>\n"
	    "Subject: FW: spam\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=feedback-report;\n"
	    "    boundary=\"b1\"\n"
	    "\n"
	    "--b1\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "An abuse report.\n"
	    "--b1\n"
	    "Content-Type: message/feedback-report\n"
	    "\n"
	    "Feedback-Type: %s\n"
	    "User-Agent: T/1\n"
	    "Version: 1\n"
	    "%s%s%s"
	    "\n"
	    "--b1\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "%s"
	    "From: <u1042@isp.example>\n"
	    "Subject: Cheap meds\n"
	    "Message-ID: <m1@desktop-7>\n"
	    "\n"
	    "Buy now.\n"
	    "--b1--\n", ft, src ? "Source-IP: " : "", src ? src : "",
	    src ? "\n" : "", rcv);
	return buf;
}

static void
test_customer_rule(void **state)
{
	static const struct {
		const char *name;
		const char *src, *rcv;
		const char *host;	/* our name, NULL: none */
		const char *want, *how;	/* want NULL: ERR_NOENT */
	} cases[] = {
		{ "ours by name, sasl", NULL, RCV_MX RCV_SASL RCV_FORGED_SASL,
		  "relay1.isp.example", "u1042", "received_by_us_sasl" },
		{ "ours by short name", NULL, RCV_MX RCV_SASL, "RELAY1",
		  "u1042", "received_by_us_sasl" },
		{ "ours by name, address", NULL, RCV_MX RCV_BIZ,
		  "relay1.isp.example", "198.51.100.77",
		  "received_by_us_address" },
		{ "ours is topmost: a forged one below loses", NULL,
		  RCV_MX RCV_BIZ RCV_FORGED_SASL, "relay1.isp.example",
		  "198.51.100.77", "received_by_us_address" },
		{ "authenticated sender without our name", NULL,
		  RCV_MX RCV_SASL, NULL, "u1042", "authenticated_sender" },
		{ "another host name", NULL, RCV_MX RCV_SASL, "mx9",
		  "u1042", "authenticated_sender" },
		{ "the relay hop is skipped", NULL, RCV_MX RCV_BIZ, NULL,
		  "198.51.100.77", "client_address" },
		{ "outside every network", NULL, RCV_OUTSIDE, NULL, NULL, NULL },
		{ "ours by name, from outside: nobody's", NULL, RCV_OUTSIDE,
		  "relay1.isp.example", NULL, NULL },
		{ "exempt network", NULL, RCV_TRUSTED, NULL, NULL, NULL },
		{ "Source-IP in a network", "100.64.3.4", RCV_OUTSIDE, NULL,
		  "100.64.3.4", "source_ip" },
		{ "Source-IP outside", "192.0.2.1", "", NULL, NULL, NULL },
		{ "no Received: at all", NULL, "", NULL, NULL, NULL },
	};
	struct conf *conf = fx_conf(conf_text);
	struct arf_report *r;
	struct arf_err err;
	char out[ENGINE_CUSTOMER_MAX + 1];
	const char *how, *names[1];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *msg = report("abuse", cases[i].src, cases[i].rcv);

		r = NULL;
		if (arf_parse(msg, strlen(msg), &r, &err) != 0)
			fail_msg("%s: arf_parse: %s", cases[i].name, err.reason);
		names[0] = cases[i].host;
		rc = api_complaints_customer(r, conf, names,
		    cases[i].host ? 1 : 0, out, sizeof(out), &how);
		if (cases[i].want == NULL) {
			if (rc != ERR_NOENT)
				fail_msg("%s: want none, got %s", cases[i].name, out);
			assert_null(how);
			assert_string_equal(out, "");
		} else {
			if (rc != 0)
				fail_msg("%s: got none", cases[i].name);
			if (strcmp(out, cases[i].want) != 0 ||
			    strcmp(how, cases[i].how) != 0)
				fail_msg("%s: got %s by %s", cases[i].name, out, how);
		}
		arf_report_free(r);
	}
	conf_free(conf);
}

/* customer_key without sasl_username: authenticated senders are skipped. */
static void
test_customer_no_sasl(void **state)
{
	struct conf *conf = fx_conf("network \"broadband\" { prefixes = "
	    "[\"100.64.0.0/10\"]; }\ncustomer_key = [\"client_address\"];\n"
	    "detection { enabled = true; }\n");
	const char *msg = report("abuse", NULL, RCV_MX RCV_SASL);
	struct arf_report *r = NULL;
	struct arf_err err;
	char out[64];
	const char *how;

	(void)state;
	assert_int_equal(arf_parse(msg, strlen(msg), &r, &err), 0);
	assert_int_equal(api_complaints_customer(r, conf, NULL, 0, out,
	    sizeof(out), &how), 0);
	assert_string_equal(out, "100.64.1.2");
	assert_string_equal(how, "client_address");
	/* Too small a buffer finds nothing rather than a truncated key. */
	assert_int_equal(api_complaints_customer(r, conf, NULL, 0, out, 4,
	    &how), ERR_NOENT);
	arf_report_free(r);
	conf_free(conf);
}

static int
post(struct api_env *env, const char *auth, const char *body, int64_t now,
    struct api_resp *resp)
{
	struct api_req req = { 0 };

	req.method = "POST";
	req.path = "/api/v1/complaints";
	req.authorization = auth;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.peer = "127.0.0.1:1";
	api_handle(env, &req, now, resp);
	return resp->status;
}

/* The value of key in the JSON body (a string, a number or "null"). */
static const char *
jfield(const struct api_resp *resp, const char *key)
{
	static char buf[256];
	struct ucl_doc *doc = NULL;
	const struct ucl_node *n;

	buf[0] = '\0';
	if (ucl_parse(resp->body, resp->body_len, &doc, NULL) != 0)
		fail_msg("not JSON: %s", resp->body);
	for (n = ucl_doc_root(doc)->child; n != NULL; n = n->next) {
		if (n->key != NULL && strcmp(n->key, key) == 0)
			snprintf(buf, sizeof(buf), "%s", n->str ? n->str : "null");
	}
	ucl_doc_free(doc);
	return buf;
}

static void
test_handler(void **state)
{
	struct api_env env = { 0 };
	struct api_resp resp;
	struct fx fx;
	char *rpt;
	int64_t t = T0 + 14 * HOUR;

	(void)state;
	fx_open(&fx, conf_text);
	env.engine = fx.e;
	env.conf = fx.conf;
	env.token = TOKEN;
	env.hostname = "relay1.isp.example";
	rpt = strdup(report("abuse", NULL, RCV_MX RCV_SASL));
	assert_non_null(rpt);

	/* A change: the token is needed. */
	assert_int_equal(post(&env, NULL, rpt, t, &resp), 401);
	api_resp_fini(&resp);
	/* Only POST. */
	{
		struct api_req req = { 0 };

		req.method = "GET";
		req.path = "/api/v1/complaints";
		req.peer = "127.0.0.1:1";
		api_handle(&env, &req, t, &resp);
		assert_int_equal(resp.status, 405);
		api_resp_fini(&resp);
	}
	/* Malformed: empty, not a report. */
	assert_int_equal(post(&env, AUTH, NULL, t, &resp), 400);
	api_resp_fini(&resp);
	assert_int_equal(post(&env, AUTH, "Subject: hi\n\nhello\n", t, &resp),
	    400);
	assert_non_null(strstr(resp.body, "not an ARF report"));
	api_resp_fini(&resp);
	/* No customer in the report. */
	assert_int_equal(post(&env, AUTH, report("abuse", NULL, RCV_OUTSIDE
	    ""), t, &resp), 422);
	assert_non_null(strstr(resp.body, "no customer found"));
	api_resp_fini(&resp);
	/* A customer detection never saw. */
	assert_int_equal(post(&env, AUTH, rpt, t, &resp), 422);
	assert_non_null(strstr(resp.body, "u1042"));
	api_resp_fini(&resp);

	/* u1042 sends one message; then two complaints open an incident. */
	assert_string_equal(fx_action(fx.e, t, "protocol_state=RCPT "
	    "instance=m1 server_port=587 client_address=100.64.1.2 "
	    "sasl_username=u1042 helo_name=desktop-7 "
	    "sender=u1042@isp.example recipient=friend@mail.example"),
	    "DUNNO");
	/* not-spam is acknowledged and changes nothing. */
	assert_int_equal(post(&env, AUTH, report("not-spam", NULL,
	    RCV_MX RCV_SASL), t + MIN, &resp), 200);
	assert_string_equal(jfield(&resp, "counted"), "false");
	assert_string_equal(jfield(&resp, "feedback_type"), "not-spam");
	api_resp_fini(&resp);

	assert_int_equal(post(&env, AUTH, rpt, t + MIN, &resp), 200);
	assert_string_equal(jfield(&resp, "customer"), "u1042");
	assert_string_equal(jfield(&resp, "incident"), "null");
	assert_string_equal(jfield(&resp, "feedback_type"), "abuse");
	assert_string_equal(jfield(&resp, "counted"), "true");
	assert_string_equal(jfield(&resp, "found_by"), "received_by_us_sasl");
	assert_string_equal(jfield(&resp, "queue_id"), "4Xk2Lq1Zt3z9");
	assert_string_equal(jfield(&resp, "message_id"), "m1@desktop-7");
	api_resp_fini(&resp);
	/* The second, by the address (the engine maps it to u1042). */
	assert_int_equal(post(&env, AUTH, report("abuse", "100.64.1.2", ""),
	    t + 2 * MIN, &resp), 200);
	assert_string_equal(jfield(&resp, "customer"), "u1042");
	assert_string_equal(jfield(&resp, "found_by"), "source_ip");
	assert_string_equal(jfield(&resp, "incident"), "1");
	api_resp_fini(&resp);
	/* Its next message is held. */
	assert_true(fx_starts(fx_action(fx.e, t + 3 * MIN, "protocol_state=RCPT "
	    "instance=m2 server_port=587 client_address=100.64.1.2 "
	    "sasl_username=u1042 helo_name=desktop-7 "
	    "sender=u1042@isp.example recipient=friend@mail.example"),
	    "HOLD relayguard: incident 1"));
	/* A complaint while it is open names the same incident. */
	assert_int_equal(post(&env, AUTH, rpt, t + 4 * MIN, &resp), 200);
	assert_string_equal(jfield(&resp, "incident"), "1");
	api_resp_fini(&resp);
	free(rpt);
	fx_close(&fx);
}

/* With detection off, complaints are refused. */
static void
test_detection_off(void **state)
{
	struct api_env env = { 0 };
	struct api_resp resp;
	struct fx fx;

	(void)state;
	fx_open(&fx, "state { dir = \"/nonexistent\"; }\n" FX_NETWORKS);
	env.engine = fx.e;
	env.conf = fx.conf;
	env.token = TOKEN;
	assert_int_equal(post(&env, AUTH, report("abuse", NULL,
	    RCV_MX RCV_SASL), T0, &resp), 409);
	api_resp_fini(&resp);
	fx_close(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_customer_rule),
		cmocka_unit_test(test_customer_no_sasl),
		cmocka_unit_test(test_handler),
		cmocka_unit_test(test_detection_off),
	};

	(void)fx_usage;	/* a shared fixture these tests do not need */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
