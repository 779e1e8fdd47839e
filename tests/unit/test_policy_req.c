/*
 * test_policy_req.c - unit tests for proto/policy_req.c: the policy
 * delegation protocol parser and reply formatter.
 *
 * Table-driven: each row of req_cases is {name, input, want} and runs as
 * its own cmocka case, so a failure names the row.  Every error code
 * (ERR_AGAIN, ERR_TOOBIG, ERR_MALFORMED, ERR_INVAL) and every limit
 * (POLICY_LINE_MAX, POLICY_REQ_MAX, POLICY_ATTR_MAX) is triggered, with
 * the byte offset the parser reports.  Inputs too large to write out are
 * built by small functions.  Every crasher the fuzzer ever finds gets a
 * row here too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/err.h"
#include "proto/policy_req.h"

/* A full Postfix 3.7 RCPT request: all 29 attributes it sends. */
#define RCPT_37                                                         \
	"request=smtpd_access_policy\n"                                 \
	"protocol_state=RCPT\n"                                         \
	"protocol_name=ESMTP\n"                                         \
	"helo_name=desktop-7.home.example\n"                            \
	"queue_id=\n"                                                   \
	"sender=u1042@example.net\n"                                    \
	"recipient=ann@example.org\n"                                   \
	"recipient_count=0\n"                                           \
	"client_address=100.64.1.2\n"                                   \
	"client_name=unknown\n"                                         \
	"reverse_client_name=dyn-100-64-1-2.pool.example.net\n"         \
	"instance=1a2b.3c4d5e6f.1\n"                                    \
	"sasl_method=PLAIN\n"                                           \
	"sasl_username=u1042\n"                                         \
	"sasl_sender=\n"                                                \
	"size=2048\n"                                                   \
	"ccert_subject=\n"                                              \
	"ccert_issuer=\n"                                               \
	"ccert_fingerprint=\n"                                          \
	"encryption_protocol=TLSv1.3\n"                                 \
	"encryption_cipher=TLS_AES_256_GCM_SHA384\n"                    \
	"encryption_keysize=256\n"                                      \
	"etrn_domain=\n"                                                \
	"stress=\n"                                                     \
	"ccert_pubkey_fingerprint=\n"                                   \
	"client_port=50112\n"                                           \
	"policy_context=submission\n"                                   \
	"server_address=198.51.100.25\n"                                \
	"server_port=587\n"                                             \
	"\n"

#define EOM_37                                                          \
	"request=smtpd_access_policy\n"                                 \
	"protocol_state=END-OF-MESSAGE\n"                               \
	"protocol_name=ESMTP\n"                                         \
	"helo_name=desktop-7.home.example\n"                            \
	"queue_id=4Xk2Lq1Zt3z9\n"                                       \
	"sender=u1042@example.net\n"                                    \
	"recipient=\n"                                                  \
	"recipient_count=3\n"                                           \
	"client_address=100.64.1.2\n"                                   \
	"client_name=unknown\n"                                         \
	"instance=1a2b.3c4d5e6f.1\n"                                    \
	"sasl_username=u1042\n"                                         \
	"size=48213\n"                                                  \
	"\n"

#define REQ_LINE "request=smtpd_access_policy\n"
#define REQ_LINE_LEN (sizeof(REQ_LINE) - 1)

enum want_kind { W_END, W_VALUE, W_ABSENT, W_LEN };

struct want {
	enum want_kind kind;
	enum policy_attr attr;
	const char *value;	/* W_VALUE: the value ("": present, empty) */
	size_t len;		/* W_LEN: present with this length */
};

struct req_case {
	const char *name;
	const char *input;	/* literal, or NULL when build is set */
	size_t input_len;
	char *(*build)(size_t *len);	/* returns an xmalloc'd input */
	int parse_only;		/* skip scan: all the input to parse */
	int want_scan;		/* scan on the whole input */
	size_t want_req_len;	/* scan 0: request length (0: all) */
	int want_parse;		/* parse on the scanned request */
	size_t want_off;	/* err.offset of the failing call */
	struct want want[8];
};

#define IN(s) (s), sizeof(s) - 1, NULL
#define BUILT(fn) NULL, 0, (fn)
#define V(a, s) { W_VALUE, (a), (s), 0 }
#define ABSENT(a) { W_ABSENT, (a), NULL, 0 }
#define LEN(a, n) { W_LEN, (a), NULL, (n) }

/* Builders for inputs over the limits. */

static char *
cat_line(char *p, const char *name, size_t content, const char *eol)
{
	size_t n = strlen(name);

	memcpy(p, name, n);
	p[n] = '=';
	memset(p + n + 1, 'a', content - n - 1);
	p += content;
	memcpy(p, eol, strlen(eol));
	return p + strlen(eol);
}

/* request line, "sender=aaa..." of content bytes, the empty line. */
static char *
build_line(size_t content, const char *eol, size_t *len)
{
	char *buf = malloc(REQ_LINE_LEN + content + 2 + 2), *p = buf;

	assert_non_null(buf);
	memcpy(p, REQ_LINE, REQ_LINE_LEN);
	p = cat_line(p + REQ_LINE_LEN, "sender", content, eol);
	memcpy(p, eol, strlen(eol));
	p += strlen(eol);
	*len = (size_t)(p - buf);
	return buf;
}

static char *
build_line_8192(size_t *len)
{
	return build_line(POLICY_LINE_MAX, "\n", len);
}

static char *
build_line_8192_crlf(size_t *len)
{
	return build_line(POLICY_LINE_MAX, "\r\n", len);
}

static char *
build_line_8193(size_t *len)
{
	return build_line(POLICY_LINE_MAX + 1, "\n", len);
}

static char *
build_line_8193_crlf(size_t *len)
{
	return build_line(POLICY_LINE_MAX + 1, "\r\n", len);
}

/* request line, then an unfinished line of n bytes ending in last. */
static char *
build_partial(size_t n, char last, size_t *len)
{
	char *buf = malloc(REQ_LINE_LEN + n);

	assert_non_null(buf);
	memcpy(buf, REQ_LINE, REQ_LINE_LEN);
	memset(buf + REQ_LINE_LEN, 'b', n);
	buf[REQ_LINE_LEN + n - 1] = last;
	*len = REQ_LINE_LEN + n;
	return buf;
}

static char *
build_partial_8193_cr(size_t *len)
{
	return build_partial(POLICY_LINE_MAX + 1, '\r', len);
}

static char *
build_partial_8193(size_t *len)
{
	return build_partial(POLICY_LINE_MAX + 1, 'b', len);
}

static char *
build_partial_8194(size_t *len)
{
	return build_partial(POLICY_LINE_MAX + 2, '\r', len);
}

/* request line and n - 1 lines "x=1", then the empty line. */
static char *
build_attrs(size_t n, size_t *len)
{
	char *buf = malloc(REQ_LINE_LEN + 4 * n + 1), *p = buf;
	size_t i;

	assert_non_null(buf);
	memcpy(p, REQ_LINE, REQ_LINE_LEN);
	p += REQ_LINE_LEN;
	for (i = 1; i < n; i++, p += 4)
		memcpy(p, "x=1\n", 4);
	*p++ = '\n';
	*len = (size_t)(p - buf);
	return buf;
}

static char *
build_attrs_max(size_t *len)
{
	return build_attrs(POLICY_ATTR_MAX, len);
}

static char *
build_attrs_over(size_t *len)
{
	return build_attrs(POLICY_ATTR_MAX + 1, len);
}

/*
 * A request of exactly total bytes, terminator included: the request
 * line, lines of 8192 bytes with their newline, one shorter line.
 */
static char *
build_sized(size_t total, size_t *len)
{
	char *buf = malloc(total), *p = buf;
	size_t left = total - REQ_LINE_LEN - 1;

	assert_non_null(buf);
	memcpy(p, REQ_LINE, REQ_LINE_LEN);
	p += REQ_LINE_LEN;
	while (left > POLICY_LINE_MAX + 1) {
		size_t take = left - 3 < POLICY_LINE_MAX ? left - 3 :
		    POLICY_LINE_MAX;

		p = cat_line(p, "x", take - 1, "\n");
		left -= take;
	}
	p = cat_line(p, "x", left - 1, "\n");
	*p++ = '\n';
	assert_int_equal((size_t)(p - buf), total);
	*len = total;
	return buf;
}

static char *
build_req_max(size_t *len)
{
	return build_sized(POLICY_REQ_MAX, len);
}

static char *
build_req_over(size_t *len)
{
	return build_sized(POLICY_REQ_MAX + 1, len);
}

/* More than POLICY_REQ_MAX bytes of short lines and no empty line. */
static char *
build_req_endless(size_t *len)
{
	size_t n = POLICY_REQ_MAX + 4096, i;
	char *buf = malloc(n);

	assert_non_null(buf);
	for (i = 0; i + 4 <= n; i += 4)
		memcpy(buf + i, "y=2\n", 4);
	*len = i;
	return buf;
}

static const struct req_case req_cases[] = {
	{ "minimal", IN(REQ_LINE "\n"), 0, 0, 0, 0, 0,
	    { V(PA_REQUEST, "smtpd_access_policy"), ABSENT(PA_SENDER) } },
	{ "postfix37_rcpt_all_29", IN(RCPT_37), 0, 0, 0, 0, 0,
	    { V(PA_PROTOCOL_STATE, "RCPT"), V(PA_CLIENT_ADDRESS, "100.64.1.2"),
	    V(PA_SASL_USERNAME, "u1042"), V(PA_QUEUE_ID, ""),
	    V(PA_POLICY_CONTEXT, "submission"), V(PA_SERVER_PORT, "587"),
	    V(PA_ENCRYPTION_CIPHER, "TLS_AES_256_GCM_SHA384"),
	    ABSENT(PA_MAIL_VERSION) } },
	{ "postfix37_end_of_message", IN(EOM_37), 0, 0, 0, 0, 0,
	    { V(PA_PROTOCOL_STATE, "END-OF-MESSAGE"), V(PA_SIZE, "48213"),
	    V(PA_RECIPIENT_COUNT, "3"), V(PA_RECIPIENT, ""),
	    V(PA_QUEUE_ID, "4Xk2Lq1Zt3z9") } },
	{ "postfix38_new_attrs", IN(REQ_LINE "compatibility_level=3.6\n"
	    "mail_version=3.8.4\n\n"), 0, 0, 0, 0, 0,
	    { V(PA_COMPATIBILITY_LEVEL, "3.6"), V(PA_MAIL_VERSION, "3.8.4") } },
	{ "crlf", IN("request=smtpd_access_policy\r\nsender=a@b\r\n"
	    "size=10\r\n\r\n"), 0, 0, 0, 0, 0,
	    { V(PA_REQUEST, "smtpd_access_policy"), V(PA_SENDER, "a@b"),
	    V(PA_SIZE, "10") } },
	{ "crlf_mixed_with_lf", IN("request=smtpd_access_policy\r\n"
	    "sender=a@b\nsize=10\r\n\n"), 0, 0, 0, 0, 0,
	    { V(PA_SENDER, "a@b"), V(PA_SIZE, "10") } },
	{ "crlf_only_one_cr_stripped", IN(REQ_LINE "helo_name=h\r\r\n\n"),
	    0, 0, 0, 0, 0, { V(PA_HELO_NAME, "h\r") } },
	{ "cr_inside_value_kept", IN(REQ_LINE "helo_name=a\rb\n\n"),
	    0, 0, 0, 0, 0, { V(PA_HELO_NAME, "a\rb") } },
	{ "value_containing_equals", IN(REQ_LINE "sender=a=b@c=d\n\n"),
	    0, 0, 0, 0, 0, { V(PA_SENDER, "a=b@c=d") } },
	{ "value_only_equals", IN(REQ_LINE "sender==\n\n"), 0, 0, 0, 0, 0,
	    { V(PA_SENDER, "=") } },
	{ "empty_value", IN(REQ_LINE "sasl_username=\n\n"), 0, 0, 0, 0, 0,
	    { V(PA_SASL_USERNAME, "") } },
	{ "unknown_attr_ignored", IN(REQ_LINE "x_future_attr=1\n"
	    "Sender=upper@case\nsender=a@b\n\n"), 0, 0, 0, 0, 0,
	    { V(PA_SENDER, "a@b") } },
	{ "repeated_attr_last_wins", IN(REQ_LINE "sender=first@a\n"
	    "sender=second@b\nsender=\n"
	    "recipient=r1\nrecipient=r2\n\n"), 0, 0, 0, 0, 0,
	    { V(PA_SENDER, ""), V(PA_RECIPIENT, "r2") } },
	{ "request_attr_not_first", IN("sender=a@b\n" REQ_LINE "\n"),
	    0, 0, 0, 0, 0, { V(PA_REQUEST, "smtpd_access_policy") } },
	{ "stops_at_first_empty_line", IN(REQ_LINE "\n" REQ_LINE "\n"),
	    0, 0, REQ_LINE_LEN + 1, 0, 0,
	    { V(PA_REQUEST, "smtpd_access_policy") } },
	{ "space_around_equals_is_name", IN(REQ_LINE "sender =a\n\n"),
	    0, 0, 0, 0, 0, { ABSENT(PA_SENDER) } },

	/* ERR_MALFORMED from parse. */
	{ "missing_equals", IN(REQ_LINE "bogus line\n\n"), 0, 0, 0,
	    ERR_MALFORMED, REQ_LINE_LEN, { { W_END, 0, NULL, 0 } } },
	{ "empty_name", IN(REQ_LINE "=value\n\n"), 0, 0, 0, ERR_MALFORMED,
	    REQ_LINE_LEN, { { W_END, 0, NULL, 0 } } },
	{ "nul_in_value", IN(REQ_LINE "sender=a\0b\n\n"), 0, 0, 0,
	    ERR_MALFORMED, REQ_LINE_LEN + 8, { { W_END, 0, NULL, 0 } } },
	{ "nul_in_name", IN(REQ_LINE "se\0der=a\n\n"), 0, 0, 0, ERR_MALFORMED,
	    REQ_LINE_LEN + 2, { { W_END, 0, NULL, 0 } } },
	{ "nul_line", IN(REQ_LINE "\0\n\n"), 0, 0, 0, ERR_MALFORMED,
	    REQ_LINE_LEN, { { W_END, 0, NULL, 0 } } },
	{ "no_request_attr", IN("sender=a@b\n\n"), 0, 0, 0, ERR_MALFORMED, 12,
	    { { W_END, 0, NULL, 0 } } },
	{ "empty_request", IN("\n"), 0, 0, 0, ERR_MALFORMED, 1,
	    { { W_END, 0, NULL, 0 } } },
	{ "empty_request_crlf", IN("\r\n"), 0, 0, 0, ERR_MALFORMED, 2,
	    { { W_END, 0, NULL, 0 } } },
	{ "wrong_request_value", IN("request=junk_policy\n\n"), 0, 0, 0,
	    ERR_MALFORMED, 8, { { W_END, 0, NULL, 0 } } },
	{ "request_value_trailing_space",
	    IN("request=smtpd_access_policy \n\n"),
	    0, 0, 0, ERR_MALFORMED, 8, { { W_END, 0, NULL, 0 } } },
	{ "request_value_empty", IN("request=\n\n"), 0, 0, 0, ERR_MALFORMED, 8,
	    { { W_END, 0, NULL, 0 } } },
	{ "request_value_case", IN("request=SMTPD_ACCESS_POLICY\n\n"), 0, 0, 0,
	    ERR_MALFORMED, 8, { { W_END, 0, NULL, 0 } } },
	{ "request_repeated_last_wrong", IN(REQ_LINE "request=x\n\n"), 0, 0, 0,
	    ERR_MALFORMED, REQ_LINE_LEN + 8, { { W_END, 0, NULL, 0 } } },
	{ "parse_unterminated", IN(REQ_LINE "sender=a"), 1, 0, 0, ERR_MALFORMED,
	    REQ_LINE_LEN + 8, { { W_END, 0, NULL, 0 } } },
	{ "parse_no_empty_line", IN(REQ_LINE), 1, 0, 0, ERR_MALFORMED,
	    REQ_LINE_LEN, { { W_END, 0, NULL, 0 } } },
	{ "parse_empty_input", IN(""), 1, 0, 0, ERR_MALFORMED, 0,
	    { { W_END, 0, NULL, 0 } } },
	{ "parse_data_after_end", IN(REQ_LINE "\nsender=a\n"), 1, 0, 0,
	    ERR_MALFORMED, REQ_LINE_LEN + 1, { { W_END, 0, NULL, 0 } } },

	/* ERR_AGAIN from scan: more input needed. */
	{ "scan_empty_input", IN(""), 0, ERR_AGAIN, 0, 0, 0,
	    { { W_END, 0, NULL, 0 } } },
	{ "scan_no_empty_line_yet", IN(REQ_LINE "sender=a@b\n"), 0, ERR_AGAIN,
	    0, 0, 0, { { W_END, 0, NULL, 0 } } },
	{ "scan_cr_without_lf", IN(REQ_LINE "\r"), 0, ERR_AGAIN, 0, 0, 0,
	    { { W_END, 0, NULL, 0 } } },

	/* POLICY_LINE_MAX. */
	{ "line_8192_ok", BUILT(build_line_8192), 0, 0, 0, 0, 0,
	    { LEN(PA_SENDER, POLICY_LINE_MAX - 7) } },
	{ "line_8192_crlf_ok", BUILT(build_line_8192_crlf), 0, 0, 0, 0, 0,
	    { LEN(PA_SENDER, POLICY_LINE_MAX - 7) } },
	{ "line_8193_too_big", BUILT(build_line_8193), 0, ERR_TOOBIG, 0, 0,
	    REQ_LINE_LEN, { { W_END, 0, NULL, 0 } } },
	{ "line_8193_crlf_too_big", BUILT(build_line_8193_crlf), 0, ERR_TOOBIG,
	    0, 0, REQ_LINE_LEN, { { W_END, 0, NULL, 0 } } },
	{ "parse_line_8193_too_big", BUILT(build_line_8193), 1, 0, 0,
	    ERR_TOOBIG, REQ_LINE_LEN, { { W_END, 0, NULL, 0 } } },
	{ "partial_line_8193_cr_again", BUILT(build_partial_8193_cr), 0,
	    ERR_AGAIN, 0, 0, 0, { { W_END, 0, NULL, 0 } } },
	{ "partial_line_8193_too_big", BUILT(build_partial_8193), 0, ERR_TOOBIG,
	    0, 0, REQ_LINE_LEN, { { W_END, 0, NULL, 0 } } },
	{ "partial_line_8194_too_big", BUILT(build_partial_8194), 0, ERR_TOOBIG,
	    0, 0, REQ_LINE_LEN, { { W_END, 0, NULL, 0 } } },

	/* POLICY_ATTR_MAX. */
	{ "attrs_1024_ok", BUILT(build_attrs_max), 0, 0, 0, 0, 0,
	    { V(PA_REQUEST, "smtpd_access_policy") } },
	{ "attrs_1025_too_many", BUILT(build_attrs_over), 0, 0, 0, ERR_TOOBIG,
	    REQ_LINE_LEN + 4 * (POLICY_ATTR_MAX - 1),
	    { { W_END, 0, NULL, 0 } } },

	/* POLICY_REQ_MAX. */
	{ "request_262144_ok", BUILT(build_req_max), 0, 0, 0, 0, 0,
	    { V(PA_REQUEST, "smtpd_access_policy") } },
	{ "request_262145_too_big", BUILT(build_req_over), 0, ERR_TOOBIG, 0, 0,
	    POLICY_REQ_MAX, { { W_END, 0, NULL, 0 } } },
	{ "parse_request_262145_too_big", BUILT(build_req_over), 1, 0, 0,
	    ERR_TOOBIG, POLICY_REQ_MAX, { { W_END, 0, NULL, 0 } } },
	{ "request_endless_too_big", BUILT(build_req_endless), 0, ERR_TOOBIG,
	    0, 0, POLICY_REQ_MAX, { { W_END, 0, NULL, 0 } } },
};

static void
check_wants(const struct req_case *c, const struct policy_req *req,
    const char *buf, size_t len)
{
	const struct want *w;
	size_t i;

	for (i = 0; i < PA__COUNT; i++) {
		const struct policy_str *s = &req->attr[i];

		/* Values point into the request and hold no newline. */
		if (s->ptr == NULL) {
			assert_int_equal(s->len, 0);
			continue;
		}
		assert_true(s->ptr >= buf && s->ptr + s->len <= buf + len);
		assert_null(memchr(s->ptr, '\n', s->len));
	}
	for (w = c->want; w < c->want + 8 && w->kind != W_END; w++) {
		const struct policy_str *s = &req->attr[w->attr];

		switch (w->kind) {
		case W_VALUE:
			assert_non_null(s->ptr);
			assert_int_equal(s->len, strlen(w->value));
			assert_memory_equal(s->ptr, w->value, s->len);
			if (s->len == 0)
				assert_null(policy_req_get(req, w->attr));
			else
				assert_ptr_equal(policy_req_get(req,
				    w->attr), s);
			break;
		case W_ABSENT:
			assert_null(s->ptr);
			assert_null(policy_req_get(req, w->attr));
			break;
		case W_LEN:
			assert_non_null(s->ptr);
			assert_int_equal(s->len, w->len);
			break;
		case W_END:
			break;
		}
	}
}

static void
test_req_case(void **state)
{
	const struct req_case *c = *state;
	struct policy_req req;
	struct policy_err err = { 12345, NULL };
	char *owned = NULL, *buf;
	size_t len, req_len = 0;
	int rc;

	if (c->build != NULL) {
		owned = c->build(&len);
		buf = owned;
	} else {
		/* A private copy, so ASan sees any read past the end. */
		len = c->input_len;
		buf = malloc(len > 0 ? len : 1);
		assert_non_null(buf);
		memcpy(buf, c->input, len);
		owned = buf;
	}

	if (!c->parse_only) {
		rc = policy_req_scan(buf, len, &req_len, &err);
		assert_int_equal(rc, c->want_scan);
		if (rc == ERR_TOOBIG) {
			assert_int_equal(err.offset, c->want_off);
			assert_non_null(err.reason);
		}
		if (rc != 0)
			goto out;
		assert_int_equal(req_len,
		    c->want_req_len ? c->want_req_len : len);
	} else
		req_len = len;

	err.offset = 12345;
	err.reason = NULL;
	rc = policy_req_parse(buf, req_len, &req, &err);
	assert_int_equal(rc, c->want_parse);
	if (rc != 0) {
		assert_int_equal(err.offset, c->want_off);
		assert_non_null(err.reason);
		assert_true(err.offset <= req_len);
	} else
		check_wants(c, &req, buf, req_len);
out:
	free(owned);
}

/* A valid request cut short anywhere is ERR_AGAIN, never an error. */
static void
split_points(const char *text, size_t len)
{
	char *buf = malloc(len);
	size_t k, req_len;
	struct policy_err err;
	struct policy_req req;

	assert_non_null(buf);
	memcpy(buf, text, len);
	for (k = 0; k < len; k++) {
		/* Copy the prefix to the end of the buffer: ASan guards it. */
		char *tail = buf + len - k;

		memmove(tail, text, k);
		req_len = 999999;
		assert_int_equal(policy_req_scan(tail, k, &req_len, &err),
		    ERR_AGAIN);
		assert_int_equal(req_len, 999999);
	}
	memcpy(buf, text, len);
	assert_int_equal(policy_req_scan(buf, len, &req_len, &err), 0);
	assert_int_equal(req_len, len);
	assert_int_equal(policy_req_parse(buf, len, &req, &err), 0);
	free(buf);
}

static void
test_split_every_point(void **state)
{
	static const char crlf[] = "request=smtpd_access_policy\r\n"
	    "protocol_state=RCPT\r\nsender=a@b\r\nsize=\r\n\r\n";

	(void)state;
	split_points(RCPT_37, sizeof(RCPT_37) - 1);
	split_points(EOM_37, sizeof(EOM_37) - 1);
	split_points(crlf, sizeof(crlf) - 1);
}

/* Several requests in one buffer, found one after the other. */
static void
test_back_to_back(void **state)
{
	static const char in[] = RCPT_37 EOM_37
	    "request=smtpd_access_policy\r\nprotocol_state=DATA\r\n\r\n"
	    RCPT_37 "request=smtpd_access_policy\nprotocol_state=RC";
	static const char *states[] = { "RCPT", "END-OF-MESSAGE", "DATA",
	    "RCPT" };
	struct policy_req req;
	struct policy_err err;
	size_t off = 0, req_len, n = 0;
	int rc;

	(void)state;
	while ((rc = policy_req_scan(in + off, sizeof(in) - 1 - off, &req_len,
	    &err)) == 0) {
		const struct policy_str *s;

		assert_true(n < 4);
		assert_int_equal(policy_req_parse(in + off, req_len, &req,
		    &err), 0);
		s = policy_req_get(&req, PA_PROTOCOL_STATE);
		assert_non_null(s);
		assert_int_equal(s->len, strlen(states[n]));
		assert_memory_equal(s->ptr, states[n], s->len);
		off += req_len;
		n++;
	}
	assert_int_equal(rc, ERR_AGAIN);
	assert_int_equal(n, 4);
	assert_string_equal(in + off,
	    "request=smtpd_access_policy\nprotocol_state=RC");
}

static void
test_attr_lookup(void **state)
{
	static const char *unknown[] = { "", "s", "req", "Request", "requesT",
	    "request ", " request", "sizes", "siz", "client_addresz",
	    "client_addres", "client_address_", "ccert_pubkey_fingerprint_x",
	    "mail_versio", "x_future_attr", "ssss", "rrrrrrr" };
	char name[64];
	size_t i, j, n;
	int a, c;

	(void)state;
	for (a = 0; a < PA__COUNT; a++) {
		const char *nm = policy_attr_name((enum policy_attr)a);

		n = strlen(nm);
		assert_true(n > 0);
		assert_int_equal(policy_attr_lookup(nm, n), a);
		/* Every one-byte change of a name is unknown. */
		memcpy(name, nm, n);
		for (i = 0; i < n; i++) {
			for (c = 0; c < 256; c++) {
				if (c == (unsigned char)nm[i])
					continue;
				name[i] = (char)c;
				assert_int_equal(policy_attr_lookup(name, n),
				    -1);
			}
			name[i] = nm[i];
		}
		/* So is every prefix, unless it is a name itself. */
		for (j = 0; j < n; j++) {
			int p = policy_attr_lookup(nm, j);

			if (p != -1)
				assert_string_equal(policy_attr_name(
				    (enum policy_attr)p), "recipient");
		}
	}
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_int_equal(policy_attr_lookup(unknown[i],
		    strlen(unknown[i])), -1);
	assert_string_equal(policy_attr_name(PA_CLIENT_ADDRESS),
	    "client_address");
	assert_string_equal(policy_attr_name(PA_MAIL_VERSION), "mail_version");
	assert_string_equal(policy_attr_name(PA__COUNT), "");
}

struct reply_case {
	const char *name;
	const char *action;
	size_t cap;		/* buffer size given */
	int want_rc;		/* the error, when want is NULL */
	const char *want;	/* the reply, when the call succeeds */
};

static const struct reply_case reply_cases[] = {
	{ "dunno", "DUNNO", 64, 0, "action=DUNNO\n\n" },
	{ "defer_text", "DEFER_IF_PERMIT 4.7.1 limit msgs_per_hour exceeded",
	    POLICY_REPLY_MAX, 0,
	    "action=DEFER_IF_PERMIT 4.7.1 limit msgs_per_hour exceeded\n\n" },
	{ "newline_replaced", "REJECT 5.7.1 a\nb\r\nc", 64, 0,
	    "action=REJECT 5.7.1 a b  c\n\n" },
	{ "exact_cap_no_nul", "OK", 11, 0, "action=OK\n\n" },
	{ "one_short", "OK", 10, ERR_TOOBIG, NULL },
	{ "tiny_cap", "OK", 3, ERR_TOOBIG, NULL },
	{ "zero_cap", "OK", 0, ERR_TOOBIG, NULL },
	{ "empty_action", "", 64, ERR_INVAL, NULL },
	{ "null_action", NULL, 64, ERR_INVAL, NULL },
};

static void
test_reply_case(void **state)
{
	const struct reply_case *c = *state;
	char *buf = malloc(c->cap + 1);
	int rc;

	assert_non_null(buf);
	memset(buf, '#', c->cap + 1);
	rc = policy_reply_format(buf, c->cap, c->action);
	if (c->want == NULL)
		assert_int_equal(rc, c->want_rc);
	else {
		assert_int_equal(rc, (int)strlen(c->want));
		assert_memory_equal(buf, c->want, (size_t)rc);
		if ((size_t)rc < c->cap)
			assert_int_equal(buf[rc], '\0');
	}
	/* Never a byte past cap. */
	assert_int_equal(buf[c->cap], '#');
	free(buf);
}

/* The longest action the engine gives needs POLICY_REPLY_MAX + 8. */
static void
test_reply_longest(void **state)
{
	char action[POLICY_REPLY_MAX], buf[POLICY_REPLY_MAX + 8];

	(void)state;
	memset(action, 'W', sizeof(action) - 1);
	action[sizeof(action) - 1] = '\0';
	assert_int_equal(policy_reply_format(buf, sizeof(buf), action),
	    (int)sizeof(buf));
	assert_memory_equal(buf, "action=WWW", 10);
	assert_memory_equal(buf + sizeof(buf) - 3, "W\n\n", 3);
	assert_int_equal(policy_reply_format(buf, sizeof(buf) - 1, action),
	    ERR_TOOBIG);
}

int
main(void)
{
	size_t nreq = sizeof(req_cases) / sizeof(req_cases[0]);
	size_t nrep = sizeof(reply_cases) / sizeof(reply_cases[0]);
	struct CMUnitTest tests[sizeof(req_cases) / sizeof(req_cases[0]) +
	    sizeof(reply_cases) / sizeof(reply_cases[0]) + 8];
	size_t i, n = 0;

	for (i = 0; i < nreq; i++)
		tests[n++] = (struct CMUnitTest){ req_cases[i].name,
		    test_req_case, NULL, NULL, (void *)&req_cases[i] };
	for (i = 0; i < nrep; i++)
		tests[n++] = (struct CMUnitTest){ reply_cases[i].name,
		    test_reply_case, NULL, NULL, (void *)&reply_cases[i] };
	tests[n++] =
	    (struct CMUnitTest)cmocka_unit_test(test_split_every_point);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_back_to_back);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_attr_lookup);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_reply_longest);
	return _cmocka_run_group_tests("policy_req", tests, n, NULL, NULL);
}
