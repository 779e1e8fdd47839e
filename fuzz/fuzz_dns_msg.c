/*
 * fuzz_dns_msg.c - libFuzzer target for proto/dns_msg.c and the answer
 * path: every input is parsed as a query; a query that parses is answered
 * by a small zone set (an ip4set, an ip6trie and a dnset, built once from
 * files written under /tmp) over UDP and TCP, and the reply must parse
 * back; every offset of the input is also tried as a compressed name.
 * The corpus under fuzz/corpus/fuzz_dns_msg/ is replayed by `make test`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsbl/dnsbl_zone.h"
#include "lib/err.h"
#include "proto/dns_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dnsbl_zones *zs;

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
}

static void
build(void)
{
	static struct conf_dataset ds[3];
	static struct conf_zone z;
	static struct conf conf;
	static char p4[64], p6[64], pn[64];
	char err[256];

	snprintf(p4, sizeof(p4), "/tmp/fuzz_dns_msg.%d.4", (int)getpid());
	snprintf(p6, sizeof(p6), "/tmp/fuzz_dns_msg.%d.6", (int)getpid());
	snprintf(pn, sizeof(pn), "/tmp/fuzz_dns_msg.%d.n", (int)getpid());
	write_file(p4, ":3:listed $\n10.0.0.0/8\n!10.1.2.3\n1.2.3.4 :5:x $ y $$\n");
	write_file(p6, "2001:db8::/32\n!2001:db8::1\n");
	write_file(pn, "example.com\n*.spam.example\n");
	ds[0] = (struct conf_dataset){ .name = "a", .type = "ip4set", .file = p4 };
	ds[1] = (struct conf_dataset){ .name = "b", .type = "ip6trie", .file = p6 };
	ds[2] = (struct conf_dataset){ .name = "c", .type = "dnset", .file = pn };
	z = (struct conf_zone){ .name = "bl.example", .ttl_s = 60, .datasets = ds, .n_datasets = 3 };
	conf.zones = &z;
	conf.n_zones = 1;
	if (dnsbl_zones_build(&conf, NULL, NULL, NULL, "v", 1, &zs, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	unlink(p4);
	unlink(p6);
	unlink(pn);
}

static void
check_reply(const uint8_t *r, size_t len)
{
	struct dns_msg_rr rr;
	size_t off = DNS_MSG_HDR_LEN;
	unsigned i, n;

	if (len < DNS_MSG_HDR_LEN)
		abort();
	n = dns_msg_get16(r + 4) + dns_msg_get16(r + 6) + dns_msg_get16(r + 8) +
	    dns_msg_get16(r + 10);
	for (i = 0; i < n; i++)
		if (dns_msg_parse_rr(r, len, &off, i < dns_msg_get16(r + 4) ?
		    DNS_SEC_QD : DNS_SEC_AN, &rr) != 0)
			abort();
	if (off != len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DNS_MSG_TCP_MAX];
	struct dnsbl_answer_info info;
	struct dns_msg_query q;
	uint8_t name[DNS_MSG_NAME_MAX], nl;
	size_t off, i, len;
	int rc;

	if (zs == NULL)
		build();
	rc = dns_msg_parse_query(data, size, &q, &off);
	if (rc == 0) {
		len = dnsbl_zones_answer(zs, &q, data, out, sizeof(out), false, 1, &info);
		if (len > DNS_MSG_UDP_MAX)
			abort();
		if (len > 0)
			check_reply(out, len);
		len = dnsbl_zones_answer(zs, &q, data, out, sizeof(out), true, 1, &info);
		if (len > 0)
			check_reply(out, len);
	} else if (rc != ERR_INVAL && size >= DNS_MSG_HDR_LEN) {
		len = dnsbl_zones_error(&q, data, false, DNS_RCODE_FORMERR, out, sizeof(out));
		check_reply(out, len);
	}
	for (i = 0; i < size && i < 512; i++) {
		off = i;
		if (dns_msg_name_unpack(data, size, &off, name, &nl) == 0) {
			char text[DNS_MSG_NAME_TEXT_MAX];

			if (nl == 0 || off > size)
				abort();
			dns_msg_name_to_text(name, nl, text, sizeof(text));
		}
	}
	return 0;
}
