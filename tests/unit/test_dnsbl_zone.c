/*
 * test_dnsbl_zone.c - unit tests for dnsbl/dnsbl_zone.c and
 * dnsbl_axfr.c: whole DNS answers built from a hand-made config, parsed
 * back with proto/dns_msg.  Listed/NXDOMAIN/NODATA, SOA and NS at the
 * apex and in negative answers, REFUSED, CHAOS, test points, empty
 * non-terminals, case, EDNS sizes, TC, BADVERS, several datasets
 * answered together, the serial after a detection edit, and AXFR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dnsbl/dnsbl_axfr.h"
#include "dnsbl/dnsbl_zone.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

static char dir[] = "/tmp/test_dnsbl_zone.XXXXXX";
static char f_pbl[64], f_names[64];
static struct dnsbl_detection *det;
static struct dnsbl_zones *zs;

static struct dnsbl_detection *
provide(void *arg, const struct conf_zone *z, const struct conf_dataset *d,
    char *err, size_t errcap)
{
	(void)arg;
	(void)z;
	(void)d;
	(void)err;
	(void)errcap;
	return det;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	static struct conf_dataset ds1[2], ds2[1];
	static struct conf_zone zones[2];
	static char *ns[] = { "ns1.isp.example", "ns2.isp.example" };
	static char *xfr[] = { "192.0.2.53" };
	static struct conf conf;
	char err[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(f_pbl, sizeof(f_pbl), "%s/pbl.rbl", dir);
	snprintf(f_names, sizeof(f_names), "%s/names.rbl", dir);
	write_file(f_pbl, ":127.0.0.10:Policy $\n10.0.0.0/8\n!10.1.2.3\n"
	    "10.9.9.9 :11:a very long text "
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
	    "10.9.9.9 :12:another long text "
	    "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
	    "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
	    "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n");
	write_file(f_names, ":2:name $\nexample.com\na.b.deep.example\n");
	det = dnsbl_detection_new("infected", 0x7f000004, "$ is infected", 300);
	ds1[0] = (struct conf_dataset){ .name = "infected", .type = "detection", .a = "127.0.0.4", .txt = "$ is infected" };
	ds1[1] = (struct conf_dataset){ .name = "policy", .type = "ip4set", .file = f_pbl };
	ds2[0] = (struct conf_dataset){ .name = "names", .type = "dnset", .file = f_names };
	zones[0] = (struct conf_zone){ .name = "bl.example.test", .ttl_s = 300,
	    .ns = { ns, 2 }, .allow_transfer = { xfr, 1 }, .datasets = ds1, .n_datasets = 2 };
	zones[1] = (struct conf_zone){ .name = "dbl.example.test", .ttl_s = 600,
	    .datasets = ds2, .n_datasets = 1 };
	conf.zones = zones;
	conf.n_zones = 2;
	if (dnsbl_zones_build(&conf, NULL, provide, NULL, "rg-test", 1700000000, &zs,
	    err, sizeof(err)) != 0)
		fail_msg("build: %s", err);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dnsbl_zones_unref(zs);
	dnsbl_detection_free(det);
	unlink(f_pbl);
	unlink(f_names);
	rmdir(dir);
	return 0;
}

struct reply {
	uint8_t buf[70000];
	size_t len;
	unsigned rcode;
	uint16_t flags;
	unsigned an, ns, ar;
	uint16_t an_type[32];
	uint32_t a[32];
	char txt[32][256];
	uint16_t ns_type;
	uint32_t serial;
	struct dnsbl_answer_info info;
};

static void
ask(const char *name, uint16_t type, uint16_t cls, uint16_t edns, bool tcp,
    struct reply *r)
{
	uint8_t wire[DNS_MSG_NAME_MAX], pkt[512];
	struct dns_msg_query q;
	struct dns_msg_rr rr;
	size_t off;
	int n, len;
	unsigned i;

	memset(r, 0, sizeof(*r));
	n = dns_msg_name_from_text(name, strlen(name), wire);
	assert_true(n > 0);
	/* Keep the caller's case in the packet. */
	len = dns_msg_build_query(pkt, sizeof(pkt), 42, wire, (size_t)n, type, cls, edns);
	for (i = 0; name[0] >= 'A' && name[0] <= 'Z' && i < 1; i++)
		pkt[13] = (uint8_t)name[0];
	if (edns == 1) {	/* EDNS version 1 */
		pkt[len - 5] = 1;
	}
	assert_int_equal(dns_msg_parse_query(pkt, (size_t)len, &q, NULL), 0);
	r->len = dnsbl_zones_answer(zs, &q, pkt, r->buf, sizeof(r->buf), tcp, 1700000100,
	    &r->info);
	if (r->len == 0)
		return;
	r->flags = dns_msg_get16(r->buf + 2);
	r->rcode = r->flags & 0xf;
	r->an = dns_msg_get16(r->buf + 6);
	r->ns = dns_msg_get16(r->buf + 8);
	r->ar = dns_msg_get16(r->buf + 10);
	off = DNS_MSG_HDR_LEN;
	assert_int_equal(dns_msg_parse_rr(r->buf, r->len, &off, DNS_SEC_QD, &rr), 0);
	assert_memory_equal(r->buf + 12, pkt + 12, (size_t)n);	/* case kept */
	for (i = 0; i < r->an + r->ns + r->ar; i++) {
		assert_int_equal(dns_msg_parse_rr(r->buf, r->len, &off, DNS_SEC_AN, &rr), 0);
		if (i < r->an && i < 32) {
			r->an_type[i] = rr.type;
			if (rr.type == DNS_TYPE_A)
				r->a[i] = dns_msg_get32(rr.rdata);
			if (rr.type == DNS_TYPE_TXT) {
				memcpy(r->txt[i], rr.rdata + 1, rr.rdata[0]);
				r->txt[i][rr.rdata[0]] = '\0';
			}
			if (rr.type == DNS_TYPE_SOA) {
				uint8_t nm[DNS_MSG_NAME_MAX], nl;
				size_t o = rr.rdata_off;

				dns_msg_name_unpack(r->buf, r->len, &o, nm, &nl);
				dns_msg_name_unpack(r->buf, r->len, &o, nm, &nl);
				r->serial = dns_msg_get32(r->buf + o);
			}
		} else if (i < r->an + r->ns) {
			uint8_t nm[DNS_MSG_NAME_MAX], nl;
			size_t o = rr.rdata_off;

			r->ns_type = rr.type;
			if (rr.type == DNS_TYPE_SOA) {
				dns_msg_name_unpack(r->buf, r->len, &o, nm, &nl);
				dns_msg_name_unpack(r->buf, r->len, &o, nm, &nl);
				r->serial = dns_msg_get32(r->buf + o);
			}
		}
	}
	assert_int_equal(off, r->len);
}

static struct reply R;

static void
test_listed(void **state)
{
	(void)state;
	ask("4.3.2.10.bl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, 0);
	assert_true(R.flags & DNS_FLAG_AA);
	assert_false(R.flags & DNS_FLAG_RA);
	assert_int_equal(R.an, 1);
	assert_int_equal(R.a[0], 0x7f00000a);
	assert_true(R.info.listed);
	ask("4.3.2.10.BL.example.TEST", DNS_TYPE_TXT, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.an, 1);
	assert_string_equal(R.txt[0], "Policy 10.2.3.4");
	ask("4.3.2.10.bl.example.test", DNS_TYPE_ANY, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.an, 2);
	/* NODATA: listed, other type; SOA in authority. */
	ask("4.3.2.10.bl.example.test", DNS_TYPE_AAAA, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, 0);
	assert_int_equal(R.an, 0);
	assert_int_equal(R.ns_type, DNS_TYPE_SOA);
}

static void
test_negative(void **state)
{
	(void)state;
	ask("3.2.1.10.bl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, DNS_RCODE_NXDOMAIN);
	assert_int_equal(R.ns, 1);
	assert_int_equal(R.ns_type, DNS_TYPE_SOA);
	ask("1.1.1.1.bl.example.test", DNS_TYPE_TXT, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, DNS_RCODE_NXDOMAIN);
	ask("foo.bl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, DNS_RCODE_NXDOMAIN);
	ask("www.example.org", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, DNS_RCODE_REFUSED);
	assert_false(R.flags & DNS_FLAG_AA);
	ask("example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, DNS_RCODE_REFUSED);
	ask("4.3.2.10.bl.example.test", DNS_TYPE_A, 4, 0, false, &R);	/* class HS */
	assert_int_equal(R.rcode, DNS_RCODE_REFUSED);
}

static void
test_apex(void **state)
{
	(void)state;
	ask("bl.example.test", DNS_TYPE_SOA, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.an, 1);
	assert_int_equal(R.an_type[0], DNS_TYPE_SOA);
	assert_int_equal(R.serial, 1700000000);
	ask("bl.example.test", DNS_TYPE_NS, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.an, 2);
	ask("bl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, 0);
	assert_int_equal(R.an, 0);
	assert_int_equal(R.ns_type, DNS_TYPE_SOA);
	/* A zone without ns: SOA built from its own name. */
	ask("dbl.example.test", DNS_TYPE_SOA, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.an, 1);
}

static void
test_test_points(void **state)
{
	(void)state;
	/* 127.0.0.2: the detection default and the ip4set default together. */
	ask("2.0.0.127.bl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.an, 2);
	ask("2.0.0.127.bl.example.test", DNS_TYPE_TXT, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.an, 2);
	assert_true(strcmp(R.txt[0], "127.0.0.2 is infected") == 0 ||
	    strcmp(R.txt[1], "127.0.0.2 is infected") == 0);
	ask("1.0.0.127.bl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, DNS_RCODE_NXDOMAIN);
	ask("2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.example.test",
	    DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.an, 1);
	assert_int_equal(R.a[0], 0x7f000004);
	ask("1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.example.test",
	    DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, DNS_RCODE_NXDOMAIN);
	ask("test.dbl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.an, 1);
	ask("invalid.dbl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, DNS_RCODE_NXDOMAIN);
}

static void
test_ent(void **state)
{
	(void)state;
	ask("0.0.127.bl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, 0);
	assert_int_equal(R.an, 0);
	ask("1.10.bl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, 0);
	ask("11.bl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, DNS_RCODE_NXDOMAIN);
	ask("deep.example.dbl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, 0);
	assert_int_equal(R.an, 0);
	ask("other.example.dbl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, DNS_RCODE_NXDOMAIN);
	ask("Example.COM.dbl.example.test", DNS_TYPE_TXT, DNS_CLASS_IN, 0, false, &R);
	assert_string_equal(R.txt[0], "name example.com");
}

static void
test_chaos(void **state)
{
	(void)state;
	ask("version.bind", DNS_TYPE_TXT, DNS_CLASS_CH, 0, false, &R);
	assert_int_equal(R.rcode, 0);
	assert_string_equal(R.txt[0], "rg-test");
	ask("hostname.bind", DNS_TYPE_TXT, DNS_CLASS_CH, 0, false, &R);
	assert_int_equal(R.rcode, DNS_RCODE_REFUSED);
}

static void
test_sizes(void **state)
{
	(void)state;
	/* Two ~270-byte TXT records: over 512, under 1232. */
	ask("9.9.9.10.bl.example.test", DNS_TYPE_TXT, DNS_CLASS_IN, 0, false, &R);
	assert_true(R.flags & DNS_FLAG_TC);
	assert_int_equal(R.an, 0);
	assert_true(R.len <= 512);
	ask("9.9.9.10.bl.example.test", DNS_TYPE_TXT, DNS_CLASS_IN, 1232, false, &R);
	assert_false(R.flags & DNS_FLAG_TC);
	assert_int_equal(R.an, 2);
	assert_int_equal(R.ar, 1);	/* OPT echoed */
	ask("9.9.9.10.bl.example.test", DNS_TYPE_TXT, DNS_CLASS_IN, 0, true, &R);
	assert_int_equal(R.an, 2);	/* TCP: no limit */
	/* A client asking for less than 512 gets 512. */
	ask("9.9.9.10.bl.example.test", DNS_TYPE_TXT, DNS_CLASS_IN, 100, false, &R);
	assert_true(R.flags & DNS_FLAG_TC);
	assert_int_equal(R.ar, 1);
	ask("9.9.9.10.bl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 1, false, &R);
	assert_int_equal(R.info.rcode, DNS_RCODE_BADVERS);
	assert_int_equal(R.ar, 1);
}

static void
test_serial_and_detection(void **state)
{
	struct ipprefix p;
	uint32_t before;

	(void)state;
	ask("77.100.51.198.bl.example.test", DNS_TYPE_A, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, DNS_RCODE_NXDOMAIN);
	before = R.serial;
	ipprefix_parse("198.51.100.77", 13, &p);
	assert_int_equal(dnsbl_detection_list(det, &p, 0, NULL, 1), 0);
	ask("77.100.51.198.bl.example.test", DNS_TYPE_TXT, DNS_CLASS_IN, 0, false, &R);
	assert_string_equal(R.txt[0], "198.51.100.77 is infected");
	ask("bl.example.test", DNS_TYPE_SOA, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.serial, before + 1);
	assert_int_equal(dnsbl_detection_unlist(det, &p), 0);
}

struct axfr_count {
	unsigned msgs, soa, rrs;
};

static int
axfr_emit(void *arg, const uint8_t *msg, size_t len)
{
	struct axfr_count *c = arg;
	struct dns_msg_rr rr;
	size_t off = DNS_MSG_HDR_LEN;
	unsigned i, an = dns_msg_get16(msg + 6);

	c->msgs++;
	assert_int_equal(dns_msg_parse_rr(msg, len, &off, DNS_SEC_QD, &rr), 0);
	for (i = 0; i < an; i++) {
		assert_int_equal(dns_msg_parse_rr(msg, len, &off, DNS_SEC_AN, &rr), 0);
		c->rrs++;
		if (rr.type == DNS_TYPE_SOA)
			c->soa++;
	}
	assert_int_equal(off, len);
	return 0;
}

static void
test_axfr(void **state)
{
	uint8_t wire[DNS_MSG_NAME_MAX], pkt[512];
	struct dns_msg_query q;
	struct axfr_count c = { 0, 0, 0 };
	int n, len;
	struct ipaddr peer;

	(void)state;
	ask("bl.example.test", DNS_TYPE_AXFR, DNS_CLASS_IN, 0, true, &R);
	assert_int_equal(R.len, 0);
	assert_true(R.info.xfr);
	ask("bl.example.test", DNS_TYPE_AXFR, DNS_CLASS_IN, 0, false, &R);
	assert_int_equal(R.rcode, DNS_RCODE_REFUSED);
	n = dns_msg_name_from_text("bl.example.test", 15, wire);
	len = dns_msg_build_query(pkt, sizeof(pkt), 1, wire, (size_t)n, DNS_TYPE_AXFR,
	    DNS_CLASS_IN, 0);
	assert_int_equal(dns_msg_parse_query(pkt, (size_t)len, &q, NULL), 0);
	assert_int_equal(dnsbl_axfr(&zs->z[0], &q, pkt, 1, axfr_emit, &c), 0);
	assert_int_equal(c.soa, 2);
	/* 10/8 minus one address: 255 /16 + 255 /24 + 254 /32 blocks, A + TXT each. */
	assert_true(c.rrs > 2 * (255 + 255 + 254));
	assert_true(c.msgs > 1);
	ipaddr_parse("192.0.2.53", 10, &peer);
	assert_true(dnsbl_zone_xfr_allowed(&zs->z[0], &peer));
	ipaddr_parse("192.0.2.54", 10, &peer);
	assert_false(dnsbl_zone_xfr_allowed(&zs->z[0], &peer));
}

static void
test_formerr(void **state)
{
	static const uint8_t bad[] = { 0xab, 0xcd, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0 };
	struct dns_msg_query q;
	uint8_t out[512];
	size_t len;

	(void)state;
	assert_int_equal(dns_msg_parse_query(bad, sizeof(bad), &q, NULL), ERR_MALFORMED);
	len = dnsbl_zones_error(&q, bad, false, DNS_RCODE_FORMERR, out, sizeof(out));
	assert_int_equal(len, 12);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(out[3] & 0xf, DNS_RCODE_FORMERR);
	assert_true(out[2] & 0x80);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listed),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_apex),
		cmocka_unit_test(test_test_points),
		cmocka_unit_test(test_ent),
		cmocka_unit_test(test_chaos),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_serial_and_detection),
		cmocka_unit_test(test_axfr),
		cmocka_unit_test(test_formerr),
	};

	return cmocka_run_group_tests_name("dnsbl_zone", tests, setup, teardown);
}
