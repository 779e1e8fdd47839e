/*
 * dns_msg.c - DNS message parse and encode (see dns_msg.h).
 *
 * Hand-written for the hot path: one pass over the query, no allocation,
 * every read bounds-checked against the packet length before it happens.
 * Name decompression follows NSD: a pointer must go strictly backwards
 * (so it cannot loop) and at most DNS_MSG_LABELS_MAX pointers are
 * followed per name.
 */
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "proto/dns_msg.h"

#define PTR_HOPS_MAX DNS_MSG_LABELS_MAX

static inline uint8_t
lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

void
dns_msg_name_lower(uint8_t *name, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		name[i] = lower(name[i]);
}

int
dns_msg_name_unpack(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out,
    uint8_t *out_len)
{
	size_t pos = *off, end = 0, o = 0, label_start;
	unsigned hops = 0;
	bool jumped = false;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return ERR_MALFORMED;
		c = pkt[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return ERR_MALFORMED;
			target = ((size_t)(c & 0x3f) << 8) | pkt[pos + 1];
			/* Strictly backwards: no loop is possible. */
			if (target >= pos || ++hops > PTR_HOPS_MAX)
				return ERR_MALFORMED;
			if (!jumped) {
				end = pos + 2;
				jumped = true;
			}
			pos = target;
			continue;
		}
		if ((c & 0xc0) != 0)
			return ERR_MALFORMED;	/* 0x40, 0x80: obsolete types */
		label_start = pos;
		if (label_start + 1 + c > len)
			return ERR_MALFORMED;
		if (o + 1 + c > DNS_MSG_NAME_MAX)
			return ERR_TOOBIG;
		memcpy(out + o, pkt + pos, (size_t)c + 1);
		o += (size_t)c + 1;
		pos += (size_t)c + 1;
		if (c == 0)
			break;
	}
	*out_len = (uint8_t)o;
	*off = jumped ? end : pos;
	return 0;
}

int
dns_msg_parse_rr(const uint8_t *pkt, size_t len, size_t *off,
    enum dns_msg_section section, struct dns_msg_rr *rr)
{
	size_t pos = *off;
	int rc;

	if ((rc = dns_msg_name_unpack(pkt, len, &pos, rr->name, &rr->name_len)) != 0)
		return rc;
	if (pos + 4 > len)
		return ERR_MALFORMED;
	rr->type = dns_msg_get16(pkt + pos);
	rr->rclass = dns_msg_get16(pkt + pos + 2);
	pos += 4;
	rr->ttl = 0;
	rr->rdata = NULL;
	rr->rdlen = 0;
	rr->rdata_off = pos;
	if (section != DNS_SEC_QD) {
		if (pos + 6 > len)
			return ERR_MALFORMED;
		rr->ttl = dns_msg_get32(pkt + pos);
		rr->rdlen = dns_msg_get16(pkt + pos + 4);
		pos += 6;
		if (pos + rr->rdlen > len)
			return ERR_MALFORMED;
		rr->rdata = pkt + pos;
		rr->rdata_off = pos;
		pos += rr->rdlen;
	}
	*off = pos;
	return 0;
}

/*
 * parse_qname - the question name at offset 12: plain labels only,
 * lower-cased into q with the offset of every label.
 */
static int
parse_qname(const uint8_t *pkt, size_t len, struct dns_msg_query *q,
    size_t *pos_io)
{
	size_t pos = *pos_io, o = 0;
	unsigned n = 0;

	for (;;) {
		uint8_t c;
		size_t i;

		if (pos >= len) {
			*pos_io = pos;
			return ERR_MALFORMED;
		}
		c = pkt[pos];
		if (c & 0xc0) {
			*pos_io = pos;
			return ERR_MALFORMED;	/* no compression in a question */
		}
		if (pos + 1 + c > len) {
			*pos_io = pos;
			return ERR_MALFORMED;
		}
		if (o + 1 + c > DNS_MSG_NAME_MAX) {
			*pos_io = pos;
			return ERR_TOOBIG;
		}
		if (c == 0) {
			q->qname[o++] = 0;
			pos++;
			break;
		}
		if (n >= DNS_MSG_LABELS_MAX) {
			*pos_io = pos;
			return ERR_TOOBIG;
		}
		q->label_off[n++] = (uint8_t)o;
		q->qname[o++] = c;
		for (i = 1; i <= c; i++)
			q->qname[o++] = lower(pkt[pos + i]);
		pos += (size_t)c + 1;
	}
	q->qname_len = (uint8_t)o;
	q->nlabels = (uint8_t)n;
	*pos_io = pos;
	return 0;
}

/* parse_additional - the additional section: at most one OPT, at the root. */
static int
parse_additional(const uint8_t *pkt, size_t len, size_t *pos, unsigned arcount,
    struct dns_msg_query *q)
{
	struct dns_msg_rr rr;
	unsigned i;
	int rc;

	for (i = 0; i < arcount; i++) {
		size_t start = *pos;

		if ((rc = dns_msg_parse_rr(pkt, len, pos, DNS_SEC_AR, &rr)) != 0)
			return rc;
		if (rr.type != DNS_TYPE_OPT)
			continue;	/* TSIG and the like: not ours to check */
		if (q->edns || rr.name_len != 1) {
			*pos = start;	/* RFC 6891 6.1.1: one OPT, root owner */
			return ERR_MALFORMED;
		}
		q->edns = true;
		q->edns_udp = rr.rclass;
		q->edns_version = (uint8_t)(rr.ttl >> 16);
		q->edns_do = (rr.ttl & 0x8000) != 0;
	}
	return 0;
}

int
dns_msg_parse_query(const uint8_t *pkt, size_t len, struct dns_msg_query *q,
    size_t *err_off)
{
	size_t pos = DNS_MSG_HDR_LEN, dummy;
	unsigned qd, an, ns, ar, i;
	struct dns_msg_rr rr;
	int rc;

	if (err_off == NULL)
		err_off = &dummy;
	q->edns = false;
	q->edns_do = false;
	q->edns_version = 0;
	q->edns_udp = 0;
	q->qname_len = 0;
	q->nlabels = 0;
	q->question_len = 0;
	q->qtype = q->qclass = 0;
	if (len < DNS_MSG_HDR_LEN) {
		*err_off = len;
		return ERR_MALFORMED;
	}
	q->id = dns_msg_get16(pkt);
	q->flags = dns_msg_get16(pkt + 2);
	if (q->flags & DNS_FLAG_QR) {
		*err_off = 2;
		return ERR_INVAL;
	}
	if (DNS_OPCODE(q->flags) != 0) {
		*err_off = 2;
		return ERR_UNSUPPORTED;
	}
	qd = dns_msg_get16(pkt + 4);
	an = dns_msg_get16(pkt + 6);
	ns = dns_msg_get16(pkt + 8);
	ar = dns_msg_get16(pkt + 10);
	if (qd != 1 || an != 0) {
		*err_off = 4;
		return ERR_MALFORMED;
	}
	if ((rc = parse_qname(pkt, len, q, &pos)) != 0) {
		*err_off = pos;
		return rc;
	}
	if (pos + 4 > len) {
		*err_off = len;
		return ERR_MALFORMED;
	}
	q->qtype = dns_msg_get16(pkt + pos);
	q->qclass = dns_msg_get16(pkt + pos + 2);
	pos += 4;
	q->question_len = (uint16_t)(pos - DNS_MSG_HDR_LEN);
	/* An IXFR query carries the client's SOA in the authority section. */
	if (ns != 0 && q->qtype != DNS_TYPE_IXFR) {
		*err_off = 8;
		return ERR_MALFORMED;
	}
	for (i = 0; i < ns; i++)
		if ((rc = dns_msg_parse_rr(pkt, len, &pos, DNS_SEC_NS, &rr)) != 0) {
			*err_off = pos;
			return rc;
		}
	if ((rc = parse_additional(pkt, len, &pos, ar, q)) != 0) {
		*err_off = pos;
		return rc;
	}
	if (pos != len) {
		*err_off = pos;
		return ERR_MALFORMED;	/* trailing garbage */
	}
	return 0;
}

int
dns_msg_name_from_text(const char *text, size_t len, uint8_t *out)
{
	size_t i = 0, o = 0, lab;

	if (len == 1 && text[0] == '.') {
		out[0] = 0;
		return 1;
	}
	if (len == 0)
		return ERR_MALFORMED;
	while (i < len) {
		lab = o++;
		if (o > DNS_MSG_NAME_MAX - 1)
			return ERR_TOOBIG;
		while (i < len && text[i] != '.') {
			uint8_t c = (uint8_t)text[i++];

			if (c == '\\') {
				if (i >= len)
					return ERR_MALFORMED;
				if (text[i] >= '0' && text[i] <= '9') {
					unsigned v = 0, k;

					for (k = 0; k < 3; k++, i++) {
						if (i >= len || text[i] < '0' || text[i] > '9')
							return ERR_MALFORMED;
						v = v * 10 + (unsigned)(text[i] - '0');
					}
					if (v > 255)
						return ERR_MALFORMED;
					c = (uint8_t)v;
				} else
					c = (uint8_t)text[i++];
			}
			if (o - lab > 63)
				return ERR_TOOBIG;
			if (o >= DNS_MSG_NAME_MAX - 1)
				return ERR_TOOBIG;
			out[o++] = lower(c);
		}
		if (o - lab == 1)
			return ERR_MALFORMED;	/* empty label */
		out[lab] = (uint8_t)(o - lab - 1);
		if (i < len)
			i++;	/* the dot; a trailing dot ends the loop */
	}
	out[o++] = 0;
	return (int)o;
}

int
dns_msg_name_to_text(const uint8_t *name, size_t len, char *buf, size_t cap)
{
	size_t i = 0, o = 0;

	if (cap == 0)
		return ERR_TOOBIG;
	if (len == 1 && name[0] == 0) {
		if (cap < 2)
			return ERR_TOOBIG;
		buf[0] = '.';
		buf[1] = '\0';
		return 1;
	}
	while (i < len && name[i] != 0) {
		size_t l = name[i++], k;

		if (l > 63 || i + l > len)
			return ERR_MALFORMED;
		for (k = 0; k < l; k++) {
			uint8_t c = name[i + k];

			if (o + 5 >= cap)
				return ERR_TOOBIG;
			if (c == '.' || c == '\\') {
				buf[o++] = '\\';
				buf[o++] = (char)c;
			} else if (c > 32 && c < 127)
				buf[o++] = (char)c;
			else
				o += (size_t)snprintf(buf + o, cap - o, "\\%03u", c);
		}
		i += l;
		if (o + 2 >= cap)
			return ERR_TOOBIG;
		buf[o++] = '.';
	}
	buf[o] = '\0';
	return (int)o;
}

void
dns_msg_writer_init(struct dns_msg_writer *w, uint8_t *buf, size_t cap,
    size_t limit, size_t reserve)
{
	w->buf = buf;
	w->len = 0;
	w->limit = limit < cap ? limit : cap;
	w->reserve = reserve < w->limit ? reserve : 0;
	memset(w->count, 0, sizeof(w->count));
}

int
dns_msg_put_header_question(struct dns_msg_writer *w,
    const struct dns_msg_query *q, const uint8_t *pkt, bool with_question,
    uint16_t flags, unsigned rcode)
{
	uint16_t f = DNS_FLAG_QR | flags | (uint16_t)(rcode & 0xf);
	size_t qlen = 0;

	if (q != NULL) {
		f |= q->flags & (DNS_FLAG_RD | (0xf << 11));
		if (q->flags & DNS_FLAG_CD)
			f |= DNS_FLAG_CD;
		if (with_question && pkt != NULL)
			qlen = q->question_len;
	}
	if (DNS_MSG_HDR_LEN + qlen > w->limit - w->reserve)
		return ERR_TOOBIG;
	memset(w->buf, 0, DNS_MSG_HDR_LEN);
	dns_msg_put16(w->buf, q != NULL ? q->id : 0);
	dns_msg_put16(w->buf + 2, f);
	w->len = DNS_MSG_HDR_LEN;
	memset(w->count, 0, sizeof(w->count));
	if (qlen > 0) {
		memcpy(w->buf + w->len, pkt + DNS_MSG_HDR_LEN, qlen);
		w->len += qlen;
		w->count[DNS_SEC_QD] = 1;
	}
	return 0;
}

int
dns_msg_put_rr(struct dns_msg_writer *w, enum dns_msg_section section,
    const uint8_t *owner, size_t owner_len, uint16_t ptr, uint16_t type,
    uint16_t rclass, uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	size_t olen = owner != NULL ? owner_len : 2;
	size_t need = olen + 10 + rdlen;
	uint8_t *p;

	if (rdlen > 65535 || w->len + need > w->limit - w->reserve ||
	    w->count[section] == 0xffff)
		return ERR_TOOBIG;
	p = w->buf + w->len;
	if (owner != NULL)
		memcpy(p, owner, olen);
	else
		dns_msg_put16(p, (uint16_t)(0xc000 | ptr));
	p += olen;
	dns_msg_put16(p, type);
	dns_msg_put16(p + 2, rclass);
	dns_msg_put32(p + 4, ttl);
	dns_msg_put16(p + 8, (uint16_t)rdlen);
	if (rdlen > 0)
		memcpy(p + 10, rdata, rdlen);
	w->len += need;
	w->count[section]++;
	return 0;
}

int
dns_msg_put_opt(struct dns_msg_writer *w, uint16_t udp_size, unsigned rcode,
    bool dnssec_ok)
{
	uint8_t *p;

	if (w->len + DNS_MSG_OPT_LEN > w->limit)
		return ERR_TOOBIG;
	p = w->buf + w->len;
	p[0] = 0;				/* root owner */
	dns_msg_put16(p + 1, DNS_TYPE_OPT);
	dns_msg_put16(p + 3, udp_size);
	p[5] = (uint8_t)(rcode >> 4);		/* extended rcode */
	p[6] = 0;				/* version 0 */
	dns_msg_put16(p + 7, dnssec_ok ? 0x8000 : 0);
	dns_msg_put16(p + 9, 0);		/* no options */
	w->len += DNS_MSG_OPT_LEN;
	w->count[DNS_SEC_AR]++;
	w->reserve = 0;
	return 0;
}

void
dns_msg_set_flags(struct dns_msg_writer *w, uint16_t flags)
{
	dns_msg_put16(w->buf + 2, (uint16_t)(dns_msg_get16(w->buf + 2) | flags));
}

void
dns_msg_set_rcode(struct dns_msg_writer *w, unsigned rcode)
{
	uint16_t f = dns_msg_get16(w->buf + 2);

	dns_msg_put16(w->buf + 2, (uint16_t)((f & ~0xfu) | (rcode & 0xf)));
}

size_t
dns_msg_finish(struct dns_msg_writer *w)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		dns_msg_put16(w->buf + 4 + 2 * i, w->count[i]);
	return w->len;
}

int
dns_msg_build_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *name,
    size_t name_len, uint16_t type, uint16_t rclass, uint16_t edns_udp)
{
	size_t need = DNS_MSG_HDR_LEN + name_len + 4 +
	    (edns_udp > 0 ? DNS_MSG_OPT_LEN : 0);
	uint8_t *p;

	if (need > cap)
		return ERR_TOOBIG;
	memset(buf, 0, DNS_MSG_HDR_LEN);
	dns_msg_put16(buf, id);
	dns_msg_put16(buf + 4, 1);
	dns_msg_put16(buf + 10, edns_udp > 0 ? 1 : 0);
	p = buf + DNS_MSG_HDR_LEN;
	memcpy(p, name, name_len);
	p += name_len;
	dns_msg_put16(p, type);
	dns_msg_put16(p + 2, rclass);
	p += 4;
	if (edns_udp > 0) {
		p[0] = 0;
		dns_msg_put16(p + 1, DNS_TYPE_OPT);
		dns_msg_put16(p + 3, edns_udp);
		memset(p + 5, 0, 6);
	}
	return (int)need;
}
