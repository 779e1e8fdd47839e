/*
 * test_dns_msg.c - unit tests for proto/dns_msg.c: query parsing (every
 * error code and limit), loop-proof name decompression, names in text
 * and wire form, and the bounded reply writer.
 *
 * Table-driven: each row of query_cases is {name, packet, want}; packets
 * are written as escaped byte strings.  Every crasher the fuzzer finds
 * gets a row here too.
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
#include "proto/dns_msg.h"

#define HDR(flags, qd, an, ns, ar) "\x12\x34" flags "\0" qd "\0" an "\0" ns "\0" ar
#define Q_A "\0\1\0\1"
#define NAME "\2bl\7example\4test\0"
#define OPT "\0\0\x29\x10\0\0\0\0\0\0\0"

struct query_case {
	const char *name;
	const char *pkt;
	size_t len;
	int want;
	uint16_t qtype;
	bool edns;
};

#define ROW(n, p, w, t, e) { n, p, sizeof(p) - 1, w, t, e }

static const struct query_case query_cases[] = {
	ROW("plain A", HDR("\1\0", "\1", "\0", "\0", "\0") NAME Q_A, 0, 1, false),
	ROW("with OPT", HDR("\0\0", "\1", "\0", "\0", "\1") NAME Q_A OPT, 0, 1, true),
	ROW("TXT", HDR("\0\0", "\1", "\0", "\0", "\0") NAME "\0\x10\0\1", 0, 16, false),
	ROW("root name", HDR("\0\0", "\1", "\0", "\0", "\0") "\0" Q_A, 0, 1, false),
	ROW("short header", "\x12\x34\0\0\0\1", ERR_MALFORMED, 0, false),
	ROW("empty", "", ERR_MALFORMED, 0, false),
	ROW("a reply (QR)", HDR("\x80\0", "\1", "\0", "\0", "\0") NAME Q_A, ERR_INVAL, 0, false),
	ROW("opcode NOTIFY", HDR("\x20\0", "\1", "\0", "\0", "\0") NAME Q_A, ERR_UNSUPPORTED, 0, false),
	ROW("no question", HDR("\0\0", "\0", "\0", "\0", "\0"), ERR_MALFORMED, 0, false),
	ROW("two questions", HDR("\0\0", "\2", "\0", "\0", "\0") NAME Q_A NAME Q_A, ERR_MALFORMED, 0, false),
	ROW("answer in query", HDR("\0\0", "\1", "\1", "\0", "\0") NAME Q_A, ERR_MALFORMED, 0, false),
	ROW("authority in A query", HDR("\0\0", "\1", "\0", "\1", "\0") NAME Q_A, ERR_MALFORMED, 0, false),
	ROW("compressed qname", HDR("\0\0", "\1", "\0", "\0", "\0") "\xc0\x0c" Q_A, ERR_MALFORMED, 0, false),
	ROW("label past end", HDR("\0\0", "\1", "\0", "\0", "\0") "\x10" "ab", ERR_MALFORMED, 0, false),
	ROW("no type", HDR("\0\0", "\1", "\0", "\0", "\0") NAME "\0", ERR_MALFORMED, 0, false),
	ROW("bad label type 0x40", HDR("\0\0", "\1", "\0", "\0", "\0") "\x41" "a\0" Q_A, ERR_MALFORMED, 0, false),
	ROW("trailing garbage", HDR("\0\0", "\1", "\0", "\0", "\0") NAME Q_A "xx", ERR_MALFORMED, 0, false),
	ROW("two OPTs", HDR("\0\0", "\1", "\0", "\0", "\2") NAME Q_A OPT OPT, ERR_MALFORMED, 0, false),
	ROW("OPT not at root", HDR("\0\0", "\1", "\0", "\0", "\1") NAME Q_A "\1a\0\x29\x10\0\0\0\0\0\0\0", ERR_MALFORMED, 0, false),
	ROW("OPT rdata past end", HDR("\0\0", "\1", "\0", "\0", "\1") NAME Q_A "\0\0\x29\x10\0\0\0\0\0\0\x09", ERR_MALFORMED, 0, false),
	ROW("additional missing", HDR("\0\0", "\1", "\0", "\0", "\1") NAME Q_A, ERR_MALFORMED, 0, false),
};

static void
test_query_case(void **state)
{
	const struct query_case *c = *state;
	struct dns_msg_query q;
	size_t off = 9999;
	int rc = dns_msg_parse_query((const uint8_t *)c->pkt, c->len, &q, &off);

	assert_int_equal(rc, c->want);
	if (rc == 0) {
		assert_int_equal(q.qtype, c->qtype);
		assert_int_equal(q.edns, c->edns);
		assert_int_equal(q.id, 0x1234);
	} else
		assert_true(off <= c->len);
}

/* A query whose name is n one-byte labels: over 255 bytes is ERR_TOOBIG. */
static void
test_long_names(void **state)
{
	uint8_t pkt[1024];
	struct dns_msg_query q;
	size_t n, i, len;

	(void)state;
	for (n = 126; n <= 128; n++) {
		memset(pkt, 0, 12);
		pkt[5] = 1;
		for (i = 0, len = 12; i < n; i++) {
			pkt[len++] = 1;
			pkt[len++] = 'a';
		}
		pkt[len++] = 0;
		memcpy(pkt + len, Q_A, 4);
		len += 4;
		assert_int_equal(dns_msg_parse_query(pkt, len, &q, NULL),
		    n <= 127 ? 0 : ERR_TOOBIG);
		if (n == 127)
			assert_int_equal(q.nlabels, 127);
	}
	/* One 63-byte label is fine, four of them (4 * 64 + 1 > 255) are not. */
	memset(pkt, 0, 12);
	pkt[5] = 1;
	for (i = 0, len = 12; i < 4; i++) {
		pkt[len++] = 63;
		memset(pkt + len, 'x', 63);
		len += 63;
	}
	pkt[len++] = 0;
	memcpy(pkt + len, Q_A, 4);
	assert_int_equal(dns_msg_parse_query(pkt, len + 4, &q, NULL), ERR_TOOBIG);
}

static void
test_case_and_labels(void **state)
{
	static const char pkt[] = HDR("\0\0", "\1", "\0", "\0", "\0") "\1A\3BcD\0" Q_A;
	struct dns_msg_query q;

	(void)state;
	assert_int_equal(dns_msg_parse_query((const uint8_t *)pkt, sizeof(pkt) - 1, &q, NULL), 0);
	assert_int_equal(q.nlabels, 2);
	assert_int_equal(q.qname_len, 7);
	assert_memory_equal(q.qname, "\1a\3bcd\0", 7);
	assert_int_equal(q.label_off[1], 2);
	assert_int_equal(q.question_len, 11);
}

static void
test_edns_fields(void **state)
{
	static const char pkt[] = HDR("\0\0", "\1", "\0", "\0", "\1") NAME Q_A
	    "\0\0\x29\x04\xd0\0\1\x80\0\0\0";
	struct dns_msg_query q;

	(void)state;
	assert_int_equal(dns_msg_parse_query((const uint8_t *)pkt, sizeof(pkt) - 1, &q, NULL), 0);
	assert_true(q.edns);
	assert_int_equal(q.edns_udp, 1232);
	assert_int_equal(q.edns_version, 1);
	assert_true(q.edns_do);
}

static void
test_unpack(void **state)
{
	/* "a.b" at 12, then "c" + pointer to 12, then a self-loop, a forward pointer. */
	static const uint8_t pkt[] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 'a', 1, 'b', 0,			/* 12 */
		1, 'c', 0xc0, 12,			/* 17 */
		0xc0, 21,				/* 21: points to itself */
		0xc0, 30,				/* 23: forward */
		1, 'd', 0xc0, 17,			/* 25: chain of two */
	};
	uint8_t out[DNS_MSG_NAME_MAX], olen;
	size_t off;

	(void)state;
	off = 17;
	assert_int_equal(dns_msg_name_unpack(pkt, sizeof(pkt), &off, out, &olen), 0);
	assert_int_equal(off, 21);
	assert_int_equal(olen, 7);
	assert_memory_equal(out, "\1c\1a\1b\0", 7);
	off = 21;
	assert_int_equal(dns_msg_name_unpack(pkt, sizeof(pkt), &off, out, &olen), ERR_MALFORMED);
	off = 23;
	assert_int_equal(dns_msg_name_unpack(pkt, sizeof(pkt), &off, out, &olen), ERR_MALFORMED);
	off = 25;
	assert_int_equal(dns_msg_name_unpack(pkt, sizeof(pkt), &off, out, &olen), 0);
	assert_int_equal(olen, 9);
	off = 19;	/* a pointer cut in half at the end */
	assert_int_equal(dns_msg_name_unpack(pkt, 20, &off, out, &olen), ERR_MALFORMED);
}

struct text_case {
	const char *text;
	int want;		/* wire length or error */
	const char *wire;
	const char *back;
};

static const struct text_case text_cases[] = {
	{ "bl.Example.TEST", 17, "\2bl\7example\4test\0", "bl.example.test." },
	{ "bl.example.test.", 17, "\2bl\7example\4test\0", "bl.example.test." },
	{ ".", 1, "\0", "." },
	{ "a\\.b.c", 7, "\3a.b\1c\0", "a\\.b.c." },
	{ "\\065x", 4, "\2ax\0", "ax." },
	{ "a..b", ERR_MALFORMED, NULL, NULL },
	{ "", ERR_MALFORMED, NULL, NULL },
	{ "a\\", ERR_MALFORMED, NULL, NULL },
	{ "\\300", ERR_MALFORMED, NULL, NULL },
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", ERR_TOOBIG, NULL, NULL },
};

static void
test_text(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		const struct text_case *c = &text_cases[i];
		uint8_t wire[DNS_MSG_NAME_MAX];
		char back[DNS_MSG_NAME_TEXT_MAX];
		int n = dns_msg_name_from_text(c->text, strlen(c->text), wire);

		assert_int_equal(n, c->want);
		if (n < 0)
			continue;
		assert_memory_equal(wire, c->wire, (size_t)n);
		assert_true(dns_msg_name_to_text(wire, (size_t)n, back, sizeof(back)) >= 0);
		assert_string_equal(back, c->back);
	}
}

static void
test_name_too_long_text(void **state)
{
	char text[600];
	uint8_t wire[DNS_MSG_NAME_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < 300; i += 2) {
		text[i] = 'a';
		text[i + 1] = '.';
	}
	text[299] = 'a';
	assert_int_equal(dns_msg_name_from_text(text, 300, wire), ERR_TOOBIG);
	assert_int_equal(dns_msg_name_from_text(text, 253, wire), 255);
}

static void
test_writer(void **state)
{
	static const char pkt[] = HDR("\1\0", "\1", "\0", "\0", "\1") NAME Q_A OPT;
	struct dns_msg_query q;
	struct dns_msg_writer w;
	uint8_t buf[600], rd[400];
	size_t len, before;

	(void)state;
	assert_int_equal(dns_msg_parse_query((const uint8_t *)pkt, sizeof(pkt) - 1, &q, NULL), 0);
	dns_msg_writer_init(&w, buf, sizeof(buf), 512, DNS_MSG_OPT_LEN);
	assert_int_equal(dns_msg_put_header_question(&w, &q, (const uint8_t *)pkt, true,
	    DNS_FLAG_AA, 3), 0);
	memset(rd, 'x', sizeof(rd));
	assert_int_equal(dns_msg_put_rr(&w, DNS_SEC_AN, NULL, 0, 12, DNS_TYPE_TXT,
	    DNS_CLASS_IN, 60, rd, 300), 0);
	before = w.len;
	/* 512 - 11 for the OPT: the second 300-byte record does not fit. */
	assert_int_equal(dns_msg_put_rr(&w, DNS_SEC_AN, NULL, 0, 12, DNS_TYPE_TXT,
	    DNS_CLASS_IN, 60, rd, 300), ERR_TOOBIG);
	assert_int_equal(w.len, before);
	assert_int_equal(dns_msg_put_opt(&w, 4096, 3, false), 0);
	len = dns_msg_finish(&w);
	assert_true(len <= 512);
	assert_int_equal(buf[3] & 0xf, 3);
	assert_true(buf[2] & 0x80);	/* QR */
	assert_true(buf[2] & 0x04);	/* AA */
	assert_true(buf[2] & 0x01);	/* RD copied */
	assert_int_equal(buf[7], 1);	/* ANCOUNT */
	assert_int_equal(buf[11], 1);	/* ARCOUNT: the OPT */
	/* The built query parses back. */
	len = (size_t)dns_msg_build_query(buf, sizeof(buf), 7, (const uint8_t *)NAME,
	    sizeof(NAME) - 1, DNS_TYPE_TXT, DNS_CLASS_IN, 1232);
	assert_int_equal(dns_msg_parse_query(buf, len, &q, NULL), 0);
	assert_int_equal(q.edns_udp, 1232);
	assert_int_equal(dns_msg_build_query(buf, 20, 7, (const uint8_t *)NAME,
	    sizeof(NAME) - 1, DNS_TYPE_TXT, DNS_CLASS_IN, 0), ERR_TOOBIG);
}

int
main(void)
{
	struct CMUnitTest tests[64];
	size_t i, n = 0;

	for (i = 0; i < sizeof(query_cases) / sizeof(query_cases[0]); i++) {
		tests[n].name = query_cases[i].name;
		tests[n].test_func = test_query_case;
		tests[n].setup_func = NULL;
		tests[n].teardown_func = NULL;
		tests[n].initial_state = (void *)(uintptr_t)&query_cases[i];
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_long_names);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_case_and_labels);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_edns_fields);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_unpack);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_text);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_name_too_long_text);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_writer);
	return _cmocka_run_group_tests("dns_msg", tests, n, NULL, NULL);
}
