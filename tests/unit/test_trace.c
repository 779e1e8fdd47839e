/*
 * test_trace.c - unit tests of trace lines (src/proto/trace.c): SPEC
 * section 6's example lines, a table of malformed lines with their error
 * code and reason, every limit (line, attribute value, truth customer),
 * parser reuse over many lines, allocation failure, and the decision
 * line writer byte for byte.
 */
#include <math.h>
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
#include "proto/trace.h"

static const char spec_policy[] =
    "{\"t\": 1764460800.250, \"ev\": \"policy\", \"attrs\": {\"request\": "
    "\"smtpd_access_policy\", \"protocol_state\": \"RCPT\", \"instance\": "
    "\"1a2b.3c4d.1\", \"client_address\": \"100.64.1.2\", \"helo_name\": "
    "\"desktop-7\", \"sasl_username\": \"u1042\", \"sender\": "
    "\"u1042@example.net\", \"recipient\": \"ann@example.org\", "
    "\"recipient_count\": \"0\", \"size\": \"2048\", \"policy_context\": "
    "\"submission\"}, \"truth\": {\"customer\": \"u1042\", \"spam\": false}}";

static const char spec_log[] =
    "{\"t\": 1764460801.000, \"ev\": \"log\", \"line\": \"Nov 30 00:00:01 "
    "relay1 postfix/smtp[412]: 4Xk2Lq1Zt3z9: to=<ann@example.org>, "
    "relay=mx.example.org[203.0.113.5]:25, delay=0.4, dsn=5.1.1, "
    "status=bounced (host said: 550 5.1.1 user unknown)\"}";

static int
attr_is(const struct trace_event *ev, enum policy_attr a, const char *want)
{
	const struct policy_str *s = &ev->attrs.attr[a];

	return s->ptr != NULL && s->len == strlen(want) &&
	    memcmp(s->ptr, want, s->len) == 0;
}

static void
test_spec_policy(void **state)
{
	struct trace_parser p;
	struct trace_event ev;
	struct trace_err err;

	(void)state;
	trace_parser_init(&p);
	assert_int_equal(trace_parse_line(&p, spec_policy, strlen(spec_policy),
	    &ev, &err), 0);
	assert_true(fabs(ev.t - 1764460800.250) < 1e-6);
	assert_int_equal(ev.ev, TRACE_EV_POLICY);
	assert_true(attr_is(&ev, PA_REQUEST, "smtpd_access_policy"));
	assert_true(attr_is(&ev, PA_PROTOCOL_STATE, "RCPT"));
	assert_true(attr_is(&ev, PA_INSTANCE, "1a2b.3c4d.1"));
	assert_true(attr_is(&ev, PA_CLIENT_ADDRESS, "100.64.1.2"));
	assert_true(attr_is(&ev, PA_HELO_NAME, "desktop-7"));
	assert_true(attr_is(&ev, PA_SASL_USERNAME, "u1042"));
	assert_true(attr_is(&ev, PA_SENDER, "u1042@example.net"));
	assert_true(attr_is(&ev, PA_RECIPIENT, "ann@example.org"));
	assert_true(attr_is(&ev, PA_RECIPIENT_COUNT, "0"));
	assert_true(attr_is(&ev, PA_SIZE, "2048"));
	assert_true(attr_is(&ev, PA_POLICY_CONTEXT, "submission"));
	assert_null(ev.attrs.attr[PA_QUEUE_ID].ptr);
	assert_null(ev.line);
	assert_true(ev.has_truth);
	assert_string_equal(ev.truth_customer, "u1042");
	assert_false(ev.truth_spam);
	assert_null(ev.truth_kind);
	assert_null(ev.truth_scenario);
	assert_non_null(ev.root);
	trace_parser_fini(&p);
}

static void
test_spec_log(void **state)
{
	struct trace_parser p;
	struct trace_event ev;
	struct trace_err err;

	(void)state;
	trace_parser_init(&p);
	assert_int_equal(trace_parse_line(&p, spec_log, strlen(spec_log), &ev,
	    &err), 0);
	assert_true(fabs(ev.t - 1764460801.0) < 1e-6);
	assert_int_equal(ev.ev, TRACE_EV_LOG);
	assert_non_null(ev.line);
	assert_int_equal(ev.line_len, strlen(ev.line));
	assert_true(strncmp(ev.line, "Nov 30 00:00:01 relay1 postfix/smtp[412]:",
	    41) == 0);
	assert_non_null(strstr(ev.line, "status=bounced"));
	assert_false(ev.has_truth);
	assert_null(ev.attrs.attr[PA_REQUEST].ptr);
	trace_parser_fini(&p);
}

/* ---- lines that parse ---- */

static const struct {
	const char *name;
	const char *line;
	enum trace_ev ev;
	double t;
} ok_cases[] = {
	{ "integer t", "{\"t\": 5, \"ev\": \"log\", \"line\": \"x\"}", TRACE_EV_LOG, 5 },
	{ "zero t", "{\"t\": 0, \"ev\": \"log\", \"line\": \"\"}", TRACE_EV_LOG, 0 },
	{ "exponent t", "{\"t\": 1.5e2, \"ev\": \"log\", \"line\": \"x\"}",
	  TRACE_EV_LOG, 150 },
	{ "negative zero t", "{\"t\": -0, \"ev\": \"log\", \"line\": \"x\"}",
	  TRACE_EV_LOG, 0 },
	{ "other event", "{\"t\": 1, \"ev\": \"complaint\", \"arf\": {}}",
	  TRACE_EV_OTHER, 1 },
	{ "unknown members ignored", "{\"x\": [1], \"t\": 2, \"ev\": \"policy\", "
	  "\"attrs\": {}, \"y\": null}", TRACE_EV_POLICY, 2 },
	{ "unknown attrs ignored", "{\"t\": 1, \"ev\": \"policy\", \"attrs\": "
	  "{\"x_custom\": \"1\", \"sender\": \"a@b\"}}", TRACE_EV_POLICY, 1 },
	{ "order free", "{\"ev\": \"log\", \"line\": \"l\", \"t\": 3}",
	  TRACE_EV_LOG, 3 },
	{ "blanks around", "  {\"t\": 1, \"ev\": \"log\", \"line\": \"x\"} ",
	  TRACE_EV_LOG, 1 },
	{ "carriage return", "{\"t\": 1, \"ev\": \"log\", \"line\": \"x\"}\r",
	  TRACE_EV_LOG, 1 },
	{ "duplicate t keeps first", "{\"t\": 1, \"t\": 2, \"ev\": \"log\", "
	  "\"line\": \"x\"}", TRACE_EV_LOG, 1 },
	{ "truth everything", "{\"t\": 1, \"ev\": \"log\", \"line\": \"x\", "
	  "\"truth\": {\"customer\": \"c\", \"spam\": true, \"scenario\": \"s\", "
	  "\"kind\": \"k\", \"extra\": 1}}", TRACE_EV_LOG, 1 },
	{ "max t", "{\"t\": 1e11, \"ev\": \"x\"}", TRACE_EV_OTHER, 1e11 },
};

static void
test_ok(void **state)
{
	struct trace_parser p;
	struct trace_event ev;
	struct trace_err err;
	size_t i;

	(void)state;
	trace_parser_init(&p);
	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		int rc = trace_parse_line(&p, ok_cases[i].line,
		    strlen(ok_cases[i].line), &ev, &err);

		if (rc != 0)
			fail_msg("%s: rc %d: %s", ok_cases[i].name, rc, err.msg);
		assert_int_equal(ev.ev, ok_cases[i].ev);
		assert_true(ev.t == ok_cases[i].t);
	}
	trace_parser_fini(&p);
}

static void
test_truth_fields(void **state)
{
	const char *line = "{\"t\": 1, \"ev\": \"policy\", \"attrs\": {}, "
	    "\"truth\": {\"customer\": \"u7\", \"spam\": true, \"scenario\": "
	    "\"botnet\", \"kind\": \"zombie\"}}";
	struct trace_parser p;
	struct trace_event ev;

	(void)state;
	trace_parser_init(&p);
	assert_int_equal(trace_parse_line(&p, line, strlen(line), &ev, NULL), 0);
	assert_true(ev.has_truth);
	assert_string_equal(ev.truth_customer, "u7");
	assert_true(ev.truth_spam);
	assert_string_equal(ev.truth_scenario, "botnet");
	assert_string_equal(ev.truth_kind, "zombie");
	trace_parser_fini(&p);
}

static void
test_other_event_name(void **state)
{
	const char *line = "{\"t\": 1, \"ev\": \"complaint\", \"report\": \"x\"}";
	struct trace_parser p;
	struct trace_event ev;

	(void)state;
	trace_parser_init(&p);
	assert_int_equal(trace_parse_line(&p, line, strlen(line), &ev, NULL), 0);
	assert_int_equal(ev.ev, TRACE_EV_OTHER);
	assert_int_equal(ev.ev_name_len, 9);
	assert_string_equal(ev.ev_name, "complaint");
	assert_string_equal(ucl_get(ev.root, "report")->str, "x");
	trace_parser_fini(&p);
}

/* ---- lines that do not ---- */

static const struct {
	const char *name;
	const char *line;
	int rc;
	const char *msg;
} bad_cases[] = {
	{ "empty", "", ERR_MALFORMED, "not JSON" },
	{ "blank", "   ", ERR_MALFORMED, "not JSON" },
	{ "not an object", "[1, 2]", ERR_MALFORMED, "not JSON" },
	{ "ucl not json", "t = 1; ev = log", ERR_MALFORMED, "not JSON" },
	{ "broken json", "{\"t\": 1, \"ev\": ", ERR_MALFORMED, "not JSON: column" },
	{ "trailing garbage", "{\"t\": 1} x", ERR_MALFORMED, "not JSON" },
	{ "no t", "{\"ev\": \"log\", \"line\": \"x\"}", ERR_MALFORMED, "no \"t\"" },
	{ "string t", "{\"t\": \"1\", \"ev\": \"log\"}", ERR_MALFORMED,
	  "not a JSON number" },
	{ "nan t", "{\"t\": NaN, \"ev\": \"log\"}", ERR_MALFORMED,
	  "not a JSON number" },
	{ "inf t", "{\"t\": inf, \"ev\": \"log\"}", ERR_MALFORMED,
	  "not a JSON number" },
	{ "hex t", "{\"t\": 0x10, \"ev\": \"log\"}", ERR_MALFORMED,
	  "not a JSON number" },
	{ "leading zero t", "{\"t\": 012, \"ev\": \"log\"}", ERR_MALFORMED,
	  "not a JSON number" },
	{ "dot only t", "{\"t\": 1., \"ev\": \"log\"}", ERR_MALFORMED,
	  "not a JSON number" },
	{ "bad exponent t", "{\"t\": 1e, \"ev\": \"log\"}", ERR_MALFORMED,
	  "not a JSON number" },
	{ "plus t", "{\"t\": +1, \"ev\": \"log\"}", ERR_MALFORMED,
	  "not a JSON number" },
	{ "array t", "{\"t\": [1], \"ev\": \"log\"}", ERR_MALFORMED,
	  "not a JSON number" },
	{ "negative t", "{\"t\": -1.5, \"ev\": \"log\"}", ERR_MALFORMED,
	  "out of range" },
	{ "huge t", "{\"t\": 1e300, \"ev\": \"log\"}", ERR_MALFORMED,
	  "out of range" },
	{ "overflow t", "{\"t\": 1e999, \"ev\": \"log\"}", ERR_MALFORMED,
	  "out of range" },
	{ "no ev", "{\"t\": 1}", ERR_MALFORMED, "no \"ev\"" },
	{ "number ev", "{\"t\": 1, \"ev\": 5}", ERR_MALFORMED,
	  "\"ev\" is not a string" },
	{ "policy without attrs", "{\"t\": 1, \"ev\": \"policy\"}", ERR_MALFORMED,
	  "without \"attrs\"" },
	{ "attrs array", "{\"t\": 1, \"ev\": \"policy\", \"attrs\": []}",
	  ERR_MALFORMED, "\"attrs\" is an array" },
	{ "attrs string", "{\"t\": 1, \"ev\": \"policy\", \"attrs\": \"x\"}",
	  ERR_MALFORMED, "not an object" },
	{ "number attr", "{\"t\": 1, \"ev\": \"policy\", \"attrs\": {\"size\": "
	  "2048}}", ERR_MALFORMED, "attrs.size: atom value, not a string" },
	{ "object attr", "{\"t\": 1, \"ev\": \"policy\", \"attrs\": {\"x\": {}}}",
	  ERR_MALFORMED, "attrs.x: object value" },
	{ "nul in attr", "{\"t\": 1, \"ev\": \"policy\", \"attrs\": {\"sender\": "
	  "\"a\\u0000b\"}}", ERR_MALFORMED, "NUL byte" },
	{ "unprintable attr name", "{\"t\": 1, \"ev\": \"policy\", \"attrs\": "
	  "{\"a\\nb\": 1}}", ERR_MALFORMED, "attrs.a?b:" },
	{ "log without line", "{\"t\": 1, \"ev\": \"log\"}", ERR_MALFORMED,
	  "without a \"line\"" },
	{ "log number line", "{\"t\": 1, \"ev\": \"log\", \"line\": 5}",
	  ERR_MALFORMED, "without a \"line\"" },
	{ "nul in log line", "{\"t\": 1, \"ev\": \"log\", \"line\": \"\\u0000\"}",
	  ERR_MALFORMED, "NUL byte" },
	{ "truth not object", "{\"t\": 1, \"ev\": \"x\", \"truth\": 1}",
	  ERR_MALFORMED, "not an object" },
	{ "truth without customer", "{\"t\": 1, \"ev\": \"x\", \"truth\": "
	  "{\"spam\": true}}", ERR_MALFORMED, "without a \"customer\"" },
	{ "truth customer number", "{\"t\": 1, \"ev\": \"x\", \"truth\": "
	  "{\"customer\": 1}}", ERR_MALFORMED, "truth.customer is not a string" },
	{ "truth customer nul", "{\"t\": 1, \"ev\": \"x\", \"truth\": "
	  "{\"customer\": \"\\u0000\"}}", ERR_MALFORMED, "NUL byte" },
	{ "truth spam string", "{\"t\": 1, \"ev\": \"x\", \"truth\": "
	  "{\"customer\": \"c\", \"spam\": \"yes\"}}", ERR_MALFORMED,
	  "truth.spam" },
	{ "truth kind number", "{\"t\": 1, \"ev\": \"x\", \"truth\": "
	  "{\"customer\": \"c\", \"kind\": 1}}", ERR_MALFORMED,
	  "truth.kind is not a string" },
	{ "too deep", "{\"a\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]"
	  "]]]]]]]]]]]]]]]]]]]}", ERR_TOOBIG, "column" },
};

static void
test_bad(void **state)
{
	struct trace_parser p;
	struct trace_event ev;
	struct trace_err err;
	size_t i;

	(void)state;
	trace_parser_init(&p);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		int rc = trace_parse_line(&p, bad_cases[i].line,
		    strlen(bad_cases[i].line), &ev, &err);

		if (rc != bad_cases[i].rc || strstr(err.msg, bad_cases[i].msg) ==
		    NULL)
			fail_msg("%s: got rc %d \"%s\"; want rc %d \"%s\"",
			    bad_cases[i].name, rc, err.msg, bad_cases[i].rc,
			    bad_cases[i].msg);
		assert_true(err.offset <= strlen(bad_cases[i].line));
		/* a good line still parses after a bad one */
		assert_int_equal(trace_parse_line(&p, spec_log, strlen(spec_log),
		    &ev, &err), 0);
	}
	trace_parser_fini(&p);
}

static void
test_error_offset(void **state)
{
	const char *line = "{\"t\": 1, \"ev\": [1 2]}";
	struct trace_parser p;
	struct trace_event ev;
	struct trace_err err;

	(void)state;
	trace_parser_init(&p);
	assert_int_equal(trace_parse_line(&p, line, strlen(line), &ev, &err),
	    ERR_MALFORMED);
	assert_int_equal(err.offset, 18);
	assert_non_null(strstr(err.msg, "column 19"));
	trace_parser_fini(&p);
}

/* ---- limits ---- */

static char *
make_log_line(size_t total)
{
	const char *head = "{\"t\": 1, \"ev\": \"log\", \"line\": \"";
	size_t hl = strlen(head);
	char *s = malloc(total + 1);

	memcpy(s, head, hl);
	memset(s + hl, 'x', total - hl - 2);
	memcpy(s + total - 2, "\"}", 3);
	return s;
}

static void
test_limit_line(void **state)
{
	struct trace_parser p;
	struct trace_event ev;
	struct trace_err err;
	char *s;

	(void)state;
	trace_parser_init(&p);
	s = make_log_line(TRACE_LINE_MAX);
	/* A log line string is limited by UCL_MAX_STRING first. */
	assert_int_equal(trace_parse_line(&p, s, TRACE_LINE_MAX, &ev, &err),
	    ERR_TOOBIG);
	free(s);
	s = make_log_line(TRACE_LINE_MAX + 1);
	assert_int_equal(trace_parse_line(&p, s, TRACE_LINE_MAX + 1, &ev, &err),
	    ERR_TOOBIG);
	assert_non_null(strstr(err.msg, "over the limit"));
	free(s);
	/* A line of exactly TRACE_LINE_MAX bytes of blanks and members. */
	s = malloc(TRACE_LINE_MAX);
	memset(s, ' ', TRACE_LINE_MAX);
	memcpy(s, spec_log, strlen(spec_log));
	assert_int_equal(trace_parse_line(&p, s, TRACE_LINE_MAX, &ev, &err), 0);
	free(s);
	trace_parser_fini(&p);
}

static void
test_limit_attr(void **state)
{
	const char *head = "{\"t\": 1, \"ev\": \"policy\", \"attrs\": {\"sender\": \"";
	struct trace_parser p;
	struct trace_event ev;
	struct trace_err err;
	size_t hl = strlen(head);
	char *s = malloc(hl + POLICY_LINE_MAX + 8);

	(void)state;
	trace_parser_init(&p);
	memcpy(s, head, hl);
	memset(s + hl, 'a', POLICY_LINE_MAX);
	memcpy(s + hl + POLICY_LINE_MAX, "\"}}", 4);
	assert_int_equal(trace_parse_line(&p, s, strlen(s), &ev, &err), 0);
	assert_int_equal(ev.attrs.attr[PA_SENDER].len, POLICY_LINE_MAX);
	memset(s + hl, 'a', POLICY_LINE_MAX + 1);
	memcpy(s + hl + POLICY_LINE_MAX + 1, "\"}}", 4);
	assert_int_equal(trace_parse_line(&p, s, strlen(s), &ev, &err),
	    ERR_TOOBIG);
	assert_non_null(strstr(err.msg, "attrs.sender"));
	free(s);
	trace_parser_fini(&p);
}

static void
test_limit_customer(void **state)
{
	char line[600], name[300];
	struct trace_parser p;
	struct trace_event ev;
	struct trace_err err;

	(void)state;
	trace_parser_init(&p);
	memset(name, 'c', TRACE_CUSTOMER_MAX);
	name[TRACE_CUSTOMER_MAX] = '\0';
	snprintf(line, sizeof(line), "{\"t\": 1, \"ev\": \"x\", \"truth\": "
	    "{\"customer\": \"%s\"}}", name);
	assert_int_equal(trace_parse_line(&p, line, strlen(line), &ev, &err), 0);
	assert_string_equal(ev.truth_customer, name);
	name[TRACE_CUSTOMER_MAX] = 'c';
	name[TRACE_CUSTOMER_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "{\"t\": 1, \"ev\": \"x\", \"truth\": "
	    "{\"customer\": \"%s\"}}", name);
	assert_int_equal(trace_parse_line(&p, line, strlen(line), &ev, &err),
	    ERR_TOOBIG);
	assert_non_null(strstr(err.msg, "truth.customer"));
	trace_parser_fini(&p);
}

/* ---- reuse and memory ---- */

static void
test_reuse_many(void **state)
{
	struct trace_parser p;
	struct trace_event ev;
	struct trace_err err;
	char line[512];
	int i;

	(void)state;
	trace_parser_init(&p);
	for (i = 0; i < 10000; i++) {
		snprintf(line, sizeof(line), "{\"t\": %d.5, \"ev\": \"policy\", "
		    "\"attrs\": {\"instance\": \"i%d\", \"sasl_username\": "
		    "\"u%d\"}}", i, i, i % 7);
		assert_int_equal(trace_parse_line(&p, line, strlen(line), &ev,
		    &err), 0);
	}
	/* The input buffer is not referenced after the call. */
	memset(line, 0, sizeof(line));
	assert_true(attr_is(&ev, PA_INSTANCE, "i9999"));
	assert_true(attr_is(&ev, PA_SASL_USERNAME, "u3"));
	assert_true(ev.t == 9999.5);
	trace_parser_fini(&p);
	trace_parser_fini(&p);	/* twice is harmless */
}

static void
test_nomem(void **state)
{
	struct trace_parser p;
	struct trace_event ev;
	struct trace_err err;
	long n;
	int rc = -1;

	(void)state;
	for (n = 0; n < 10 && rc != 0; n++) {
		trace_parser_init(&p);
		xmalloc_fail_after(n);
		rc = trace_parse_line(&p, spec_policy, strlen(spec_policy), &ev,
		    &err);
		xmalloc_fail_after(-1);
		if (rc != 0) {
			assert_int_equal(rc, ERR_NOMEM);
			assert_non_null(strstr(err.msg, "out of memory"));
		}
		trace_parser_fini(&p);
	}
	assert_int_equal(rc, 0);
}

/* ---- decision lines ---- */

static const struct {
	const char *name;
	double t;
	const char *inst, *cust, *state, *action, *rule;
	const char *want;
} dec_cases[] = {
	{ "spec", 1764460800.250, "1a2b.3c4d.1", "u1042", "RCPT", "DUNNO", "",
	  "{\"t\": 1764460800.250, \"instance\": \"1a2b.3c4d.1\", \"customer\": "
	  "\"u1042\", \"state\": \"RCPT\", \"action\": \"DUNNO\", \"rule\": \"\"}\n" },
	{ "rounding", 1.0005, "i", "c", "RCPT", "DUNNO", "",
	  "{\"t\": 1.000, \"instance\": \"i\", \"customer\": \"c\", \"state\": "
	  "\"RCPT\", \"action\": \"DUNNO\", \"rule\": \"\"}\n" },
	{ "zero", 0, "", "", "", "", "",
	  "{\"t\": 0.000, \"instance\": \"\", \"customer\": \"\", \"state\": \"\", "
	  "\"action\": \"\", \"rule\": \"\"}\n" },
	{ "nulls", 2, NULL, NULL, NULL, NULL, NULL,
	  "{\"t\": 2.000, \"instance\": \"\", \"customer\": \"\", \"state\": \"\", "
	  "\"action\": \"\", \"rule\": \"\"}\n" },
	{ "escaping", 3.5, "a\"b", "c\\d", "R\nT", "DEFER_IF_PERMIT 4.7.1 \"x\"",
	  "r\x01",
	  "{\"t\": 3.500, \"instance\": \"a\\\"b\", \"customer\": \"c\\\\d\", "
	  "\"state\": \"R\\nT\", \"action\": \"DEFER_IF_PERMIT 4.7.1 \\\"x\\\"\", "
	  "\"rule\": \"r\\u0001\"}\n" },
};

static void
test_decision(void **state)
{
	char buf[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dec_cases) / sizeof(dec_cases[0]); i++) {
		int n = trace_format_decision(buf, sizeof(buf), dec_cases[i].t,
		    dec_cases[i].inst, dec_cases[i].cust, dec_cases[i].state,
		    dec_cases[i].action, dec_cases[i].rule);

		if (n < 0 || strcmp(buf, dec_cases[i].want) != 0)
			fail_msg("%s: got %d %s want %s", dec_cases[i].name, n,
			    buf, dec_cases[i].want);
		assert_int_equal(n, strlen(dec_cases[i].want));
	}
}

static void
test_decision_limits(void **state)
{
	char buf[512];
	size_t cap, want;
	int n;

	(void)state;
	n = trace_format_decision(buf, sizeof(buf), 1.25, "i", "c", "RCPT",
	    "DUNNO", "r");
	assert_true(n > 0);
	want = (size_t)n;
	/* Every cap too small for the line and its NUL is ERR_TOOBIG. */
	for (cap = 0; cap <= want; cap++) {
		buf[0] = 'X';
		assert_int_equal(trace_format_decision(buf, cap, 1.25, "i", "c",
		    "RCPT", "DUNNO", "r"), ERR_TOOBIG);
		if (cap > 0)
			assert_int_equal(buf[0], '\0');
	}
	assert_int_equal(trace_format_decision(buf, want + 1, 1.25, "i", "c",
	    "RCPT", "DUNNO", "r"), (int)want);
	assert_int_equal(trace_format_decision(buf, sizeof(buf), -1, "i", "c",
	    "RCPT", "DUNNO", ""), ERR_INVAL);
	assert_int_equal(trace_format_decision(buf, sizeof(buf), NAN, "i", "c",
	    "RCPT", "DUNNO", ""), ERR_INVAL);
	assert_int_equal(trace_format_decision(buf, sizeof(buf), INFINITY, "i",
	    "c", "RCPT", "DUNNO", ""), ERR_INVAL);
}

/* A decision line is itself a valid trace-shaped JSON object. */
static void
test_decision_roundtrip(void **state)
{
	char buf[512];
	struct ucl_doc *doc;
	const struct ucl_node *r;
	int n;

	(void)state;
	n = trace_format_decision(buf, sizeof(buf), 7.125, "x\"y", "caf\xc3\xa9",
	    "RCPT", "REJECT 5.7.1 no", "lim");
	assert_true(n > 0);
	assert_int_equal(ucl_parse(buf, (size_t)n, &doc, NULL), 0);
	r = ucl_doc_root(doc);
	assert_string_equal(ucl_get(r, "t")->str, "7.125");
	assert_string_equal(ucl_get(r, "instance")->str, "x\"y");
	assert_string_equal(ucl_get(r, "customer")->str, "caf\xc3\xa9");
	assert_string_equal(ucl_get(r, "action")->str, "REJECT 5.7.1 no");
	assert_string_equal(ucl_get(r, "rule")->str, "lim");
	ucl_doc_free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_policy),
		cmocka_unit_test(test_spec_log),
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_truth_fields),
		cmocka_unit_test(test_other_event_name),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_error_offset),
		cmocka_unit_test(test_limit_line),
		cmocka_unit_test(test_limit_attr),
		cmocka_unit_test(test_limit_customer),
		cmocka_unit_test(test_reuse_many),
		cmocka_unit_test(test_nomem),
		cmocka_unit_test(test_decision),
		cmocka_unit_test(test_decision_limits),
		cmocka_unit_test(test_decision_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
