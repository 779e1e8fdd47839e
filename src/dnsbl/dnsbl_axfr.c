/*
 * dnsbl_axfr.c - a zone as an AXFR stream (see dnsbl_axfr.h).
 */
#include <string.h>

#include "dnsbl/dnsbl_axfr.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

struct axfr {
	const struct dnsbl_zone *z;
	const struct dns_msg_query *q;
	const uint8_t *pkt;
	struct dns_msg_writer w;
	uint8_t *buf;
	dnsbl_axfr_emit_fn emit;
	void *arg;
};

static void
begin(struct axfr *x)
{
	dns_msg_writer_init(&x->w, x->buf, DNSBL_AXFR_MSG, DNSBL_AXFR_MSG, 0);
	dns_msg_put_header_question(&x->w, x->q, x->pkt, true, DNS_FLAG_AA, 0);
}

static int
flush(struct axfr *x)
{
	size_t len;
	int rc;

	if (x->w.count[DNS_SEC_AN] == 0)
		return 0;
	len = dns_msg_finish(&x->w);
	rc = x->emit(x->arg, x->buf, len);
	begin(x);
	return rc;
}

/* put - one RR; a full message is sent first and the RR retried. */
static int
put(struct axfr *x, const uint8_t *owner, size_t owner_len, uint16_t type,
    uint32_t ttl, const uint8_t *rd, size_t rdlen)
{
	int rc;

	if (dns_msg_put_rr(&x->w, DNS_SEC_AN, owner, owner_len, DNS_MSG_HDR_LEN,
	    type, DNS_CLASS_IN, ttl, rd, rdlen) == 0)
		return 0;
	if ((rc = flush(x)) != 0)
		return rc;
	return dns_msg_put_rr(&x->w, DNS_SEC_AN, owner, owner_len, DNS_MSG_HDR_LEN,
	    type, DNS_CLASS_IN, ttl, rd, rdlen);
}

static int
put_soa(struct axfr *x)
{
	uint8_t rd[sizeof(x->z->soa_rdata)];

	memcpy(rd, x->z->soa_rdata, x->z->soa_rdlen);
	dns_msg_put32(rd + x->z->soa_serial_off, dnsbl_zone_serial(x->z));
	return put(x, NULL, 0, DNS_TYPE_SOA, x->z->soa_ttl_s, rd, x->z->soa_rdlen);
}

/* block - the walk callback: A and TXT records for rel + apex. */
static int
block(void *arg, const uint8_t *rel, size_t rel_len, const struct dnsbl_hit *hits,
    unsigned nhits, const char *subst, size_t subst_len)
{
	struct axfr *x = arg;
	uint8_t owner[DNS_MSG_NAME_MAX + 2], rd[RBLDNSD_DATA_TXT_MAX + 1];
	unsigned i, j;
	int rc;

	if (rel_len + 2 > sizeof(owner) ||
	    rel_len + x->z->apex_len > DNS_MSG_NAME_MAX)
		return 0;	/* cannot be a name in this zone */
	memcpy(owner, rel, rel_len);
	dns_msg_put16(owner + rel_len, 0xc000 | DNS_MSG_HDR_LEN);
	for (i = 0; i < nhits; i++) {
		for (j = 0; j < i && hits[j].a != hits[i].a; j++)
			;
		if (j < i)
			continue;
		dns_msg_put32(rd, hits[i].a);
		if ((rc = put(x, owner, rel_len + 2, DNS_TYPE_A, hits[i].ttl_s, rd, 4)) != 0)
			return rc;
	}
	for (i = 0; i < nhits; i++) {
		size_t n;

		if (hits[i].txt == NULL)
			continue;
		n = rbldnsd_data_subst(hits[i].txt, hits[i].txt_len, subst, subst_len,
		    (char *)rd + 1, RBLDNSD_DATA_TXT_MAX);
		rd[0] = (uint8_t)n;
		if ((rc = put(x, owner, rel_len + 2, DNS_TYPE_TXT, hits[i].ttl_s, rd,
		    n + 1)) != 0)
			return rc;
	}
	return 0;
}

/* test_points - 127.0.0.2, ::ffff:7f00:2 and "test" as the zone answers them. */
static int
test_points(struct axfr *x, int64_t now_s)
{
	static const uint8_t v4[] = "\0012\0010\0010\003127";
	struct dnsbl_hits hits;
	struct ipaddr a;
	uint8_t rel[80];
	size_t n = 0;
	int i, rc;

	memset(&a, 0, sizeof(a));
	a.bytes[10] = a.bytes[11] = 0xff;
	a.bytes[12] = 127;
	a.bytes[15] = 2;
	if ((x->z->kinds & DNSBL_KEY_IP4) &&
	    dnsbl_zone_lookup_addr(x->z, &a, now_s, &hits) &&
	    (rc = block(x, v4, sizeof(v4) - 1, hits.h, hits.n, "127.0.0.2", 9)) != 0)
		return rc;
	if (x->z->kinds & DNSBL_KEY_IP6) {
		struct dnsbl_key k;
		size_t d;

		/* ::ffff:7f00:2 as an IPv6 key (not mapped to IPv4). */
		memset(&k, 0, sizeof(k));
		hits.n = 0;
		hits.below = false;
		for (d = 0; d < x->z->n_ds; d++)
			if (x->z->ds[d]->type->kinds & DNSBL_KEY_IP6) {
				unsigned before = hits.n;

				k.kinds = DNSBL_KEY_IP6;
				memcpy(k.ip6, a.bytes, 16);
				k.ip6_bits = 128;
				x->z->ds[d]->type->lookup(x->z->ds[d], &k, now_s, &hits);
				if (hits.n == before)
					x->z->ds[d]->type->default_hit(x->z->ds[d], &hits);
			}
		for (i = 31; i >= 0; i--) {
			unsigned nib = (a.bytes[i >> 1] >> ((i & 1) ? 0 : 4)) & 15;

			rel[n++] = 1;
			rel[n++] = (uint8_t)"0123456789abcdef"[nib];
		}
		if (hits.n > 0 && (rc = block(x, rel, n, hits.h, hits.n,
		    "::ffff:127.0.0.2", 16)) != 0)
			return rc;
	}
	if (x->z->kinds & DNSBL_KEY_NAME) {
		size_t d;

		hits.n = 0;
		for (d = 0; d < x->z->n_ds; d++)
			if (x->z->ds[d]->type->kinds & DNSBL_KEY_NAME) {
				struct dnsbl_key k;
				unsigned before = hits.n;

				memset(&k, 0, sizeof(k));
				k.kinds = DNSBL_KEY_NAME;
				k.rname = (const uint8_t *)"test";
				k.rname_len = 4;
				x->z->ds[d]->type->lookup(x->z->ds[d], &k, now_s, &hits);
				if (hits.n == before)
					x->z->ds[d]->type->default_hit(x->z->ds[d], &hits);
			}
		if (hits.n > 0 && (rc = block(x, (const uint8_t *)"\4test", 5, hits.h,
		    hits.n, "test", 4)) != 0)
			return rc;
	}
	return 0;
}

int
dnsbl_axfr(const struct dnsbl_zone *z, const struct dns_msg_query *q,
    const uint8_t *pkt, int64_t now_s, dnsbl_axfr_emit_fn emit, void *arg)
{
	struct axfr x;
	size_t i;
	int rc;

	memset(&x, 0, sizeof(x));
	x.z = z;
	x.q = q;
	x.pkt = pkt;
	x.emit = emit;
	x.arg = arg;
	if ((x.buf = xmalloc(DNSBL_AXFR_MSG)) == NULL)
		return ERR_NOMEM;
	begin(&x);
	if ((rc = put_soa(&x)) != 0)
		goto out;
	for (i = 0; i < z->n_ns; i++)
		if ((rc = put(&x, NULL, 0, DNS_TYPE_NS, z->ns_ttl_s, z->ns[i],
		    z->ns_len[i])) != 0)
			goto out;
	if ((rc = test_points(&x, now_s)) != 0)
		goto out;
	for (i = 0; i < z->n_ds; i++)
		if ((rc = z->ds[i]->type->walk(z->ds[i], now_s, block, &x)) != 0)
			goto out;
	if ((rc = put_soa(&x)) != 0)
		goto out;
	rc = flush(&x);
out:
	xfree(x.buf);
	return rc;
}
