/*
 * dnsbl_zone.c - build a set of zones from the config and answer queries
 * from it (see dnsbl_zone.h for the answer rules).
 *
 * Hand-written hot path: dnsbl_zones_answer() turns the query name into
 * a key with no allocation (fixed stack buffers bounded by the 255-byte
 * name limit), asks each dataset, and writes the reply with owner names
 * compressed to the question (offset 12) or the apex inside it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dnsbl/dnsbl_zone.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

#define DEFAULT_TTL_S 2100		/* rbldnsd's default, 35m */
#define QNAME_OFF DNS_MSG_HDR_LEN

/* ------------------------------------------------------------ build */

static void
zone_fini(struct dnsbl_zone *z)
{
	size_t i;

	for (i = 0; i < z->n_ds; i++)
		if (z->ds[i] != NULL && z->ds[i]->type != &dnsbl_detection_type)
			dnsbl_ds_free(z->ds[i]);
	xfree(z->ds);
	xfree(z->det);
	xfree(z->xfr);
	xfree(z->name);
}

static void
zones_free(struct dnsbl_zones *zs)
{
	size_t i;

	if (zs == NULL)
		return;
	for (i = 0; i < zs->n; i++)
		zone_fini(&zs->z[i]);
	xfree(zs->z);
	xfree(zs->version);
	xfree(zs);
}

struct dnsbl_zones *
dnsbl_zones_ref(struct dnsbl_zones *zs)
{
	atomic_fetch_add(&zs->refs, 1);
	return zs;
}

void
dnsbl_zones_unref(struct dnsbl_zones *zs)
{
	if (zs != NULL && atomic_fetch_sub(&zs->refs, 1) == 1)
		zones_free(zs);
}

/* next_tok - the next whitespace-separated token of s at *pos. */
static bool
next_tok(const char *s, size_t *pos, const char **tok, size_t *len)
{
	size_t p = *pos;

	while (s[p] == ' ' || s[p] == '\t')
		p++;
	if (s[p] == '\0')
		return false;
	*tok = s + p;
	while (s[p] != '\0' && s[p] != ' ' && s[p] != '\t')
		p++;
	*len = (size_t)(s + p - *tok);
	*pos = p;
	return true;
}

static bool
is_time(const char *t, size_t len)
{
	uint32_t v;

	return rbldnsd_data_parse_ttl(t, len, &v) == 0;
}

/*
 * parse_soa - "[TTL] MNAME RNAME [SERIAL [REFRESH RETRY EXPIRE MINIMUM]]"
 * (the zone's `soa`, or rbldnsd's $SOA which starts with a TTL).
 */
static int
parse_soa(struct dnsbl_zone *z, const char *text, bool ttl_first, const char **why)
{
	const char *tok[8];
	size_t len[8], pos = 0, n = 0, i;
	uint32_t v[5] = { 0, 3600, 600, 604800, 0 }, ttl = z->ttl_s;
	uint8_t *p = z->soa_rdata;
	int l;

	while (n < 8 && next_tok(text, &pos, &tok[n], &len[n]))
		n++;
	if (next_tok(text, &pos, &tok[0], &len[0]))
		n = 9;
	i = 0;
	if (ttl_first || (n > 0 && is_time(tok[0], len[0]))) {
		if (n < 1 || rbldnsd_data_parse_ttl(tok[0], len[0], &ttl) != 0) {
			*why = "soa: invalid TTL";
			return ERR_INVAL;
		}
		i = 1;
	}
	if (n - i != 2 && n - i != 3 && n - i != 7) {
		*why = "soa: want \"MNAME RNAME [SERIAL [REFRESH RETRY EXPIRE MINIMUM]]\"";
		return ERR_INVAL;
	}
	if ((l = dns_msg_name_from_text(tok[i], len[i], p)) < 0) {
		*why = "soa: invalid MNAME";
		return ERR_INVAL;
	}
	p += l;
	if ((l = dns_msg_name_from_text(tok[i + 1], len[i + 1], p)) < 0) {
		*why = "soa: invalid RNAME";
		return ERR_INVAL;
	}
	p += l;
	v[4] = z->ttl_s;
	for (size_t k = i + 2, j = 0; k < n; k++, j++)
		if (rbldnsd_data_parse_ttl(tok[k], len[k], &v[j]) != 0) {
			*why = "soa: invalid number";
			return ERR_INVAL;
		}
	z->soa_serial_off = (uint16_t)(p - z->soa_rdata);
	for (i = 0; i < 5; i++, p += 4)
		dns_msg_put32(p, v[i]);
	z->soa_rdlen = (uint16_t)(p - z->soa_rdata);
	z->soa_ttl_s = ttl != 0 ? ttl : z->ttl_s;
	z->neg_ttl_s = z->soa_ttl_s < v[4] ? z->soa_ttl_s : v[4];
	z->fixed_serial = v[0] != 0;
	z->base_serial = v[0];
	return 0;
}

static int
add_ns(struct dnsbl_zone *z, const char *name, size_t len, const char **why)
{
	int l;

	if (z->n_ns >= DNSBL_ZONE_NS_MAX)
		return 0;
	if ((l = dns_msg_name_from_text(name, len, z->ns[z->n_ns])) < 0) {
		*why = "ns: invalid name";
		return ERR_INVAL;
	}
	z->ns_len[z->n_ns++] = (uint8_t)l;
	return 0;
}

static int
zone_build(struct dnsbl_zone *z, const struct conf_zone *cz,
    const struct dnsbl_zone *old, dnsbl_zones_det_fn det, void *det_arg,
    int64_t now_s, char *err, size_t errcap)
{
	const char *why = "out of memory";
	char soa_text[2 * DNS_MSG_NAME_TEXT_MAX + 64];
	size_t i;
	int l, rc = ERR_NOMEM;

	if ((z->name = xstrdup(cz->name)) == NULL)
		goto fail;
	if ((l = dns_msg_name_from_text(cz->name, strlen(cz->name), z->apex)) <= 1) {
		why = "invalid zone name";
		rc = ERR_INVAL;
		goto fail;
	}
	z->apex_len = (uint8_t)l;
	for (i = 0; z->apex[i] != 0; i += (size_t)z->apex[i] + 1)
		z->apex_labels++;
	z->ttl_s = cz->ttl_s != 0 ? cz->ttl_s : DEFAULT_TTL_S;
	z->ns_ttl_s = z->ttl_s;
	if ((z->ds = xcalloc(cz->n_datasets + 1, sizeof(*z->ds))) == NULL ||
	    (z->det = xcalloc(cz->n_datasets + 1, sizeof(*z->det))) == NULL)
		goto fail;
	for (i = 0; i < cz->n_datasets; i++) {
		const struct conf_dataset *cd = &cz->datasets[i];

		if (strcmp(cd->type, "detection") == 0) {
			struct dnsbl_detection *d = det != NULL ?
			    det(det_arg, cz, cd, err, errcap) : NULL;

			if (d == NULL) {
				if (det == NULL)
					snprintf(err, errcap, "zone %s: dataset %s: no detection provider",
					    cz->name, cd->name);
				return ERR_INVAL;
			}
			z->det[z->n_det++] = d;
			z->ds[z->n_ds++] = dnsbl_detection_ds(d);
		} else if ((rc = dnsbl_ds_load(cd, z->ttl_s, &z->ds[z->n_ds], err,
		    errcap)) != 0)
			return rc;
		else
			z->n_ds++;
		z->kinds |= z->ds[z->n_ds - 1]->type->kinds;
	}
	/* NS: the zone's `ns`, else the first $NS of its files. */
	for (i = 0; i < cz->ns.n; i++)
		if ((rc = add_ns(z, cz->ns.v[i], strlen(cz->ns.v[i]), &why)) != 0)
			goto fail;
	for (i = 0; z->n_ns == 0 && i < z->n_ds; i++) {
		const char *t, *s = z->ds[i]->ns;
		size_t pos = 0, len;
		bool first = true;

		while (s != NULL && next_tok(s, &pos, &t, &len)) {
			if (first) {
				uint32_t ttl;

				first = false;
				if (rbldnsd_data_parse_ttl(t, len, &ttl) == 0) {
					if (ttl != 0)
						z->ns_ttl_s = ttl;
					continue;
				}
			}
			if (t[0] == '-')
				continue;	/* rbldnsd: a disabled server */
			if ((rc = add_ns(z, t, len, &why)) != 0)
				goto fail;
		}
	}
	/* SOA: the zone's `soa`, else the first $SOA, else built from ns. */
	if (cz->soa != NULL) {
		if ((rc = parse_soa(z, cz->soa, false, &why)) != 0)
			goto fail;
	} else {
		for (i = 0; i < z->n_ds && z->ds[i]->soa == NULL; i++)
			;
		if (i < z->n_ds) {
			if ((rc = parse_soa(z, z->ds[i]->soa, true, &why)) != 0) {
				snprintf(err, errcap, "%s: $SOA: %s", z->ds[i]->file, why);
				return rc;
			}
		} else {
			char mname[DNS_MSG_NAME_TEXT_MAX];

			if (z->n_ns > 0)
				dns_msg_name_to_text(z->ns[0], z->ns_len[0], mname, sizeof(mname));
			else
				snprintf(mname, sizeof(mname), "%s", cz->name);
			snprintf(soa_text, sizeof(soa_text), "%s hostmaster.%s 0 1h 10m 1w %u",
			    mname, cz->name, (unsigned)z->ttl_s);
			if ((rc = parse_soa(z, soa_text, false, &why)) != 0)
				goto fail;
		}
	}
	for (i = 0; i < z->n_det; i++)
		z->det_gen += dnsbl_detection_gen(z->det[i]);
	if (!z->fixed_serial) {
		uint32_t prev = old != NULL ? dnsbl_zone_serial(old) : 0;

		z->base_serial = (uint32_t)now_s;
		if (old != NULL && (int32_t)(z->base_serial - prev) <= 0)
			z->base_serial = prev + 1;
	}
	if (cz->allow_transfer.n > 0 &&
	    (z->xfr = xcalloc(cz->allow_transfer.n, sizeof(*z->xfr))) == NULL)
		goto fail;
	for (i = 0; i < cz->allow_transfer.n; i++) {
		const char *a = cz->allow_transfer.v[i];

		if (ipprefix_parse(a, strlen(a), &z->xfr[i]) != 0) {
			why = "allow_transfer: invalid address or prefix";
			rc = ERR_INVAL;
			goto fail;
		}
		z->n_xfr++;
	}
	return 0;
fail:
	snprintf(err, errcap, "zone %s: %s", cz->name, why);
	return rc;
}

int
dnsbl_zones_build(const struct conf *conf, const struct dnsbl_zones *old,
    dnsbl_zones_det_fn det, void *det_arg, const char *version, int64_t now_s,
    struct dnsbl_zones **out, char *err, size_t errcap)
{
	struct dnsbl_zones *zs;
	size_t i, j;
	int rc;

	if ((zs = xcalloc(1, sizeof(*zs))) == NULL ||
	    (zs->z = xcalloc(conf->n_zones + 1, sizeof(*zs->z))) == NULL ||
	    (version != NULL && (zs->version = xstrdup(version)) == NULL)) {
		zones_free(zs);
		snprintf(err, errcap, "dns: out of memory");
		return ERR_NOMEM;
	}
	atomic_init(&zs->refs, 1);
	for (i = 0; i < conf->n_zones; i++) {
		const struct dnsbl_zone *oz = NULL;

		for (j = 0; old != NULL && j < old->n; j++)
			if (strcmp(old->z[j].name, conf->zones[i].name) == 0)
				oz = &old->z[j];
		zs->n = i + 1;
		if ((rc = zone_build(&zs->z[i], &conf->zones[i], oz, det, det_arg,
		    now_s, err, errcap)) != 0) {
			zones_free(zs);
			return rc;
		}
	}
	*out = zs;
	return 0;
}

uint32_t
dnsbl_zone_serial(const struct dnsbl_zone *z)
{
	uint32_t gen = 0;
	size_t i;

	for (i = 0; i < z->n_det; i++)
		gen += dnsbl_detection_gen(z->det[i]);
	return z->base_serial + (gen - z->det_gen);
}

bool
dnsbl_zone_xfr_allowed(const struct dnsbl_zone *z, const struct ipaddr *peer)
{
	size_t i;

	for (i = 0; i < z->n_xfr; i++)
		if (ipprefix_contains(&z->xfr[i], peer))
			return true;
	return false;
}

/* ------------------------------------------------------------ answer */

/* Per-query scratch, on the stack. */
struct qctx {
	struct dnsbl_key key;
	uint8_t rname[DNS_MSG_NAME_MAX + 1];
	char subst[DNS_MSG_NAME_MAX + 1];
};

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* make_key - what the labels below the apex mean (see dnsbl_ds.h). */
static void
make_key(const struct dns_msg_query *q, unsigned rel, unsigned kinds,
    struct qctx *c)
{
	struct dnsbl_key *k = &c->key;
	unsigned i, j;
	bool v4 = rel >= 1 && rel <= 4, v6 = rel >= 1 && rel <= 32, nm = true;
	size_t o = 0;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < rel && (v4 || v6 || nm); i++) {
		const uint8_t *l = q->qname + q->label_off[i];
		unsigned len = l[0], v = 0;

		if (len == 1 && ((l[1] >= '0' && l[1] <= '9') || (l[1] >= 'a' && l[1] <= 'f')))
			;
		else
			v6 = false;
		if (len < 1 || len > 3)
			v4 = false;
		for (j = 1; j <= len && v4; j++) {
			if (l[j] < '0' || l[j] > '9')
				v4 = false;
			v = v * 10 + (unsigned)(l[j] - '0');
		}
		if (v4 && v > 255)
			v4 = false;
		if (memchr(l + 1, '.', len) != NULL)
			nm = false;
	}
	if (v4 && (kinds & DNSBL_KEY_IP4)) {
		k->kinds |= DNSBL_KEY_IP4;
		for (i = 0; i < rel; i++) {
			const uint8_t *l = q->qname + q->label_off[rel - 1 - i];
			unsigned v = 0;

			for (j = 1; j <= l[0]; j++)
				v = v * 10 + (unsigned)(l[j] - '0');
			k->ip4 |= v << (24 - 8 * i);
		}
		k->ip4_bits = 8 * rel;
	}
	if (v6 && (kinds & DNSBL_KEY_IP6)) {
		k->kinds |= DNSBL_KEY_IP6;
		for (i = 0; i < rel; i++) {
			uint8_t ch = q->qname[q->label_off[rel - 1 - i] + 1];
			unsigned x = ch <= '9' ? (unsigned)(ch - '0') : (unsigned)(ch - 'a' + 10);

			k->ip6[i >> 1] |= (uint8_t)((i & 1) ? x : x << 4);
		}
		k->ip6_bits = 4 * rel;
	}
	if (nm && rel > 0 && (kinds & DNSBL_KEY_NAME)) {
		k->kinds |= DNSBL_KEY_NAME;
		for (i = rel; i-- > 0;) {
			const uint8_t *l = q->qname + q->label_off[i];

			if (o > 0)
				c->rname[o++] = '.';
			memcpy(c->rname + o, l + 1, l[0]);
			o += l[0];
		}
		k->rname = c->rname;
		k->rname_len = o;
	}
}

/*
 * key_subst - the text for "$" in TXT, made only when a TXT record is
 * written (formatting an address costs more than the lookup): the
 * address, or the name as asked in forward order.
 */
static void
key_subst(const struct dns_msg_query *q, unsigned rel, struct qctx *c)
{
	struct dnsbl_key *k = &c->key;
	size_t t = 0;
	unsigned i;

	if (k->subst != NULL)
		return;
	if ((k->kinds & DNSBL_KEY_IP4) && k->ip4_bits == 32)
		t = dnsbl_ip4_text(k->ip4, c->subst);
	else if ((k->kinds & DNSBL_KEY_IP6) && k->ip6_bits == 128) {
		inet_ntop(AF_INET6, k->ip6, c->subst, sizeof(c->subst));
		t = strlen(c->subst);
	} else
		for (i = 0; i < rel; i++) {
			const uint8_t *l = q->qname + q->label_off[i];

			if (t > 0)
				c->subst[t++] = '.';
			memcpy(c->subst + t, l + 1, l[0]);
			t += l[0];
		}
	k->subst = c->subst;
	k->subst_len = t;
}

/* lookup - ask every dataset, with the RFC 5782 test points enforced. */
static void
lookup(const struct dnsbl_zone *z, struct dnsbl_key *k, int64_t now_s,
    struct dnsbl_hits *hits)
{
	bool tp4 = false, tp6 = false, tpn = false;
	size_t i;

	if ((k->kinds & DNSBL_KEY_IP4) && k->ip4_bits == 32) {
		if (k->ip4 == DNSBL_INVALID_A)
			k->kinds &= ~(unsigned)DNSBL_KEY_IP4;
		tp4 = k->ip4 == DNSBL_TEST_A;
	}
	if ((k->kinds & DNSBL_KEY_IP6) && k->ip6_bits == 128 &&
	    memcmp(k->ip6, v4mapped, 12) == 0 && k->ip6[12] == 127 &&
	    k->ip6[13] == 0 && k->ip6[14] == 0) {
		if (k->ip6[15] == 1)
			k->kinds &= ~(unsigned)DNSBL_KEY_IP6;
		tp6 = k->ip6[15] == 2;
	}
	if ((k->kinds & DNSBL_KEY_NAME) && k->rname_len == 7 &&
	    memcmp(k->rname, "invalid", 7) == 0)
		k->kinds &= ~(unsigned)DNSBL_KEY_NAME;
	tpn = (k->kinds & DNSBL_KEY_NAME) && k->rname_len == 4 &&
	    memcmp(k->rname, "test", 4) == 0;
	for (i = 0; i < z->n_ds; i++) {
		const struct dnsbl_ds *ds = z->ds[i];
		unsigned before = hits->n, kinds = ds->type->kinds & k->kinds;

		if (kinds == 0)
			continue;
		ds->type->lookup(ds, k, now_s, hits);
		if (hits->n == before &&
		    (((kinds & DNSBL_KEY_IP4) && tp4) || ((kinds & DNSBL_KEY_IP6) && tp6) ||
		    ((kinds & DNSBL_KEY_NAME) && tpn)))
			ds->type->default_hit(ds, hits);
	}
	/* Names above a test point are empty non-terminals. */
	if ((k->kinds & z->kinds & DNSBL_KEY_IP4) && k->ip4_bits < 32 &&
	    (k->ip4 ^ DNSBL_TEST_A) >> (32 - k->ip4_bits) == 0)
		hits->below = true;
	if ((k->kinds & z->kinds & DNSBL_KEY_IP6) && k->ip6_bits < 128) {
		uint8_t tp[16];
		unsigned b;

		memcpy(tp, v4mapped, 12);
		tp[12] = 127;
		tp[13] = tp[14] = 0;
		tp[15] = 2;
		for (b = 0; b < k->ip6_bits &&
		    ((tp[b >> 3] ^ k->ip6[b >> 3]) & (0x80 >> (b & 7))) == 0; b++)
			;
		if (b == k->ip6_bits)
			hits->below = true;
	}
}

bool
dnsbl_zone_lookup_addr(const struct dnsbl_zone *z, const struct ipaddr *addr,
    int64_t now_s, struct dnsbl_hits *hits)
{
	struct dnsbl_key k;

	memset(&k, 0, sizeof(k));
	hits->n = 0;
	hits->below = false;
	if (ipaddr_is_v4(addr)) {
		const uint8_t *b = addr->bytes + 12;

		k.kinds = DNSBL_KEY_IP4;
		k.ip4 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3];
		k.ip4_bits = 32;
	} else {
		k.kinds = DNSBL_KEY_IP6;
		memcpy(k.ip6, addr->bytes, 16);
		k.ip6_bits = 128;
	}
	lookup(z, &k, now_s, hits);
	return hits->n > 0;
}

static int
put_soa(struct dns_msg_writer *w, const struct dnsbl_zone *z,
    enum dns_msg_section sec, uint16_t apex_off, uint32_t ttl)
{
	uint8_t rd[sizeof(z->soa_rdata)];

	memcpy(rd, z->soa_rdata, z->soa_rdlen);
	dns_msg_put32(rd + z->soa_serial_off, dnsbl_zone_serial(z));
	return dns_msg_put_rr(w, sec, NULL, 0, apex_off, DNS_TYPE_SOA, DNS_CLASS_IN,
	    ttl, rd, z->soa_rdlen);
}

/* put_hits - A and/or TXT records for the hits; ERR_TOOBIG if cut. */
static int
put_hits(struct dns_msg_writer *w, const struct dnsbl_hits *hits,
    const struct dnsbl_key *k, bool want_a, bool want_txt)
{
	uint8_t rd[RBLDNSD_DATA_TXT_MAX + 1];
	uint8_t seen[DNSBL_HITS_MAX][RBLDNSD_DATA_TXT_MAX + 1];
	unsigned i, j, nseen = 0;

	for (i = 0; want_a && i < hits->n; i++) {
		for (j = 0; j < i && hits->h[j].a != hits->h[i].a; j++)
			;
		if (j < i)
			continue;
		dns_msg_put32(rd, hits->h[i].a);
		if (dns_msg_put_rr(w, DNS_SEC_AN, NULL, 0, QNAME_OFF, DNS_TYPE_A,
		    DNS_CLASS_IN, hits->h[i].ttl_s, rd, 4) != 0)
			return ERR_TOOBIG;
	}
	for (i = 0; want_txt && i < hits->n; i++) {
		size_t n;

		if (hits->h[i].txt == NULL)
			continue;
		n = rbldnsd_data_subst(hits->h[i].txt, hits->h[i].txt_len,
		    k->subst, k->subst_len, (char *)seen[nseen] + 1,
		    RBLDNSD_DATA_TXT_MAX);
		seen[nseen][0] = (uint8_t)n;
		for (j = 0; j < nseen && (seen[j][0] != n ||
		    memcmp(seen[j] + 1, seen[nseen] + 1, n) != 0); j++)
			;
		if (j < nseen)
			continue;	/* the same text from another entry */
		if (dns_msg_put_rr(w, DNS_SEC_AN, NULL, 0, QNAME_OFF, DNS_TYPE_TXT,
		    DNS_CLASS_IN, hits->h[i].ttl_s, seen[nseen], n + 1) != 0)
			return ERR_TOOBIG;
		nseen++;
	}
	return 0;
}

static const uint8_t version_bind[] = "\7version\4bind";
static const uint8_t version_server[] = "\7version\6server";

static size_t
answer_chaos(const struct dnsbl_zones *zs, const struct dns_msg_query *q,
    const uint8_t *pkt, struct dns_msg_writer *w, struct dnsbl_answer_info *info)
{
	bool name_ok = (q->qname_len == sizeof(version_bind) &&
	    memcmp(q->qname, version_bind, sizeof(version_bind)) == 0) ||
	    (q->qname_len == sizeof(version_server) &&
	    memcmp(q->qname, version_server, sizeof(version_server)) == 0);

	if (zs->version == NULL || !name_ok ||
	    (q->qtype != DNS_TYPE_TXT && q->qtype != DNS_TYPE_ANY)) {
		info->rcode = DNS_RCODE_REFUSED;
		dns_msg_put_header_question(w, q, pkt, true, 0, DNS_RCODE_REFUSED);
	} else {
		uint8_t rd[RBLDNSD_DATA_TXT_MAX + 1];
		size_t n = strlen(zs->version);

		if (n > RBLDNSD_DATA_TXT_MAX)
			n = RBLDNSD_DATA_TXT_MAX;
		rd[0] = (uint8_t)n;
		memcpy(rd + 1, zs->version, n);
		dns_msg_put_header_question(w, q, pkt, true, DNS_FLAG_AA, 0);
		dns_msg_put_rr(w, DNS_SEC_AN, NULL, 0, QNAME_OFF, DNS_TYPE_TXT,
		    DNS_CLASS_CH, 0, rd, n + 1);
	}
	return 0;
}

/* find_zone - the zone with the longest apex that holds the name. */
static int
find_zone(const struct dnsbl_zones *zs, const struct dns_msg_query *q)
{
	int best = -1;
	size_t i;

	for (i = 0; i < zs->n; i++) {
		const struct dnsbl_zone *z = &zs->z[i];
		unsigned rel;

		if (z->apex_labels > q->nlabels)
			continue;
		rel = q->nlabels - z->apex_labels;
		if (q->qname_len - (rel < q->nlabels ? q->label_off[rel] : 0) !=
		    z->apex_len)
			continue;
		if (memcmp(q->qname + q->label_off[rel], z->apex, z->apex_len) != 0)
			continue;
		if (best < 0 || z->apex_labels > zs->z[best].apex_labels)
			best = (int)i;
	}
	return best;
}

static size_t
finish(struct dns_msg_writer *w, const struct dns_msg_query *q, unsigned rcode)
{
	if (q->edns)
		dns_msg_put_opt(w, DNS_MSG_UDP_MAX, rcode, q->edns_do);
	return dns_msg_finish(w);
}

size_t
dnsbl_zones_answer(const struct dnsbl_zones *zs, const struct dns_msg_query *q,
    const uint8_t *pkt, uint8_t *out, size_t cap, bool tcp, int64_t now_s,
    struct dnsbl_answer_info *info)
{
	struct dns_msg_writer w;
	const struct dnsbl_zone *z;
	struct dnsbl_hits hits;
	struct qctx c;
	size_t limit;
	unsigned rel;
	uint16_t apex_off;
	bool want_a, want_txt;
	int zi;

	info->zone = -1;
	info->rcode = DNS_RCODE_NOERROR;
	info->listed = info->xfr = info->truncated = false;
	if (tcp)
		limit = DNS_MSG_TCP_MAX;
	else if (q->edns)
		limit = q->edns_udp < DNS_MSG_UDP_MIN ? DNS_MSG_UDP_MIN :
		    q->edns_udp > DNS_MSG_UDP_MAX ? DNS_MSG_UDP_MAX : q->edns_udp;
	else
		limit = DNS_MSG_UDP_MIN;
	dns_msg_writer_init(&w, out, cap, limit, q->edns ? DNS_MSG_OPT_LEN : 0);
	if (q->edns && q->edns_version != 0) {
		/* RFC 6891 6.1.3: BADVERS, with our OPT (version 0). */
		info->rcode = DNS_RCODE_BADVERS;
		dns_msg_put_header_question(&w, q, pkt, true, 0, DNS_RCODE_BADVERS);
		return finish(&w, q, DNS_RCODE_BADVERS);
	}
	if (q->qclass == DNS_CLASS_CH) {
		answer_chaos(zs, q, pkt, &w, info);
		return finish(&w, q, info->rcode);
	}
	if ((q->qclass != DNS_CLASS_IN && q->qclass != DNS_CLASS_ANY) ||
	    (zi = find_zone(zs, q)) < 0) {
		info->rcode = DNS_RCODE_REFUSED;
		dns_msg_put_header_question(&w, q, pkt, true, 0, DNS_RCODE_REFUSED);
		return finish(&w, q, info->rcode);
	}
	info->zone = zi;
	z = &zs->z[zi];
	rel = q->nlabels - z->apex_labels;
	apex_off = (uint16_t)(QNAME_OFF + (rel < q->nlabels ? q->label_off[rel] : 0));
	if (q->qtype == DNS_TYPE_AXFR || q->qtype == DNS_TYPE_IXFR) {
		if (tcp && rel == 0) {
			info->xfr = true;
			return 0;
		}
		/* Transfers are TCP only (RFC 5936 4.2); IXFR over UDP gets the SOA. */
		if (q->qtype == DNS_TYPE_IXFR && rel == 0) {
			dns_msg_put_header_question(&w, q, pkt, true, DNS_FLAG_AA, 0);
			put_soa(&w, z, DNS_SEC_AN, apex_off, z->soa_ttl_s);
			return finish(&w, q, 0);
		}
		info->rcode = DNS_RCODE_REFUSED;
		dns_msg_put_header_question(&w, q, pkt, true, 0, DNS_RCODE_REFUSED);
		return finish(&w, q, info->rcode);
	}
	dns_msg_put_header_question(&w, q, pkt, true, DNS_FLAG_AA, 0);
	want_a = q->qtype == DNS_TYPE_A || q->qtype == DNS_TYPE_ANY;
	want_txt = q->qtype == DNS_TYPE_TXT || q->qtype == DNS_TYPE_ANY;
	if (rel == 0) {
		bool any = q->qtype == DNS_TYPE_ANY, cut = false;
		size_t i;

		if (q->qtype == DNS_TYPE_SOA || any)
			cut |= put_soa(&w, z, DNS_SEC_AN, apex_off, z->soa_ttl_s) != 0;
		if (q->qtype == DNS_TYPE_NS || any)
			for (i = 0; i < z->n_ns && !cut; i++)
				cut |= dns_msg_put_rr(&w, DNS_SEC_AN, NULL, 0, apex_off,
				    DNS_TYPE_NS, DNS_CLASS_IN, z->ns_ttl_s, z->ns[i],
				    z->ns_len[i]) != 0;
		if (cut)
			goto truncated;
		if (w.count[DNS_SEC_AN] == 0)
			put_soa(&w, z, DNS_SEC_NS, apex_off, z->neg_ttl_s);
		info->listed = w.count[DNS_SEC_AN] > 0;
		return finish(&w, q, 0);
	}
	make_key(q, rel, z->kinds, &c);
	hits.n = 0;
	hits.below = false;
	if (c.key.kinds != 0)
		lookup(z, &c.key, now_s, &hits);
	if (hits.n > 0) {
		info->listed = true;
		if (want_txt)
			key_subst(q, rel, &c);
		if (put_hits(&w, &hits, &c.key, want_a, want_txt) != 0)
			goto truncated;
		if (w.count[DNS_SEC_AN] == 0)	/* NODATA */
			put_soa(&w, z, DNS_SEC_NS, apex_off, z->neg_ttl_s);
		return finish(&w, q, 0);
	}
	if (!hits.below) {
		info->rcode = DNS_RCODE_NXDOMAIN;
		dns_msg_set_rcode(&w, DNS_RCODE_NXDOMAIN);
	}
	put_soa(&w, z, DNS_SEC_NS, apex_off, z->neg_ttl_s);
	return finish(&w, q, info->rcode);
truncated:
	/* RFC 2181 9: no partial RRset; TC makes the client use TCP. */
	info->truncated = true;
	dns_msg_put_header_question(&w, q, pkt, true, DNS_FLAG_AA | DNS_FLAG_TC, 0);
	return finish(&w, q, 0);
}

size_t
dnsbl_zones_error(const struct dns_msg_query *q, const uint8_t *pkt,
    bool with_question, unsigned rcode, uint8_t *out, size_t cap)
{
	struct dns_msg_writer w;

	if (cap < DNS_MSG_HDR_LEN)
		return 0;
	dns_msg_writer_init(&w, out, cap, DNS_MSG_UDP_MIN, 0);
	if (dns_msg_put_header_question(&w, q, pkt, with_question, 0, rcode) != 0)
		dns_msg_put_header_question(&w, q, pkt, false, 0, rcode);
	return dns_msg_finish(&w);
}
