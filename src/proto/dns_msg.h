/*
 * dns_msg.h - DNS messages (RFC 1035, RFC 6891 EDNS0): parse a query,
 * build a reply, walk the records of a reply, and convert names between
 * text and wire form.
 *
 * Why hand-written: this is the DNSBL server's hot path (one parse and
 * one reply per query, 10^5 queries a second on one core); a general DNS
 * library would allocate and copy per message.  Nothing here allocates:
 * the query is parsed into a caller's struct, replies are written into a
 * caller's bounded buffer (struct dns_msg_writer), and going over the
 * buffer is an error (ERR_TOOBIG), never a silent cut: the caller sets TC.
 *
 * Names: at most DNS_MSG_NAME_MAX (255) bytes in wire form and 127
 * labels.  Decompression is loop-proof: every pointer must point strictly
 * before the label it replaces (NSD's rule), and the total number of
 * pointers followed is bounded, so a hostile message costs at most a few
 * hundred steps.  The question name of a query must not be compressed
 * (there is nothing before it to point to).
 *
 * Parsers report, services decide: dns_msg_parse_query() returns an error
 * code and the byte offset where the message broke; the DNS service turns
 * that into FORMERR, NOTIMP or silence.  Pure functions, no I/O.
 */
#ifndef RG_PROTO_DNS_MSG_H
#define RG_PROTO_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_MSG_HDR_LEN 12
#define DNS_MSG_NAME_MAX 255		/* wire form, with the root label */
#define DNS_MSG_LABELS_MAX 127
#define DNS_MSG_NAME_TEXT_MAX 1024	/* escaped text form, with NUL */
#define DNS_MSG_UDP_MIN 512		/* RFC 1035 4.2.1, without EDNS */
#define DNS_MSG_UDP_MAX 4096		/* the most we answer over UDP */
#define DNS_MSG_TCP_MAX 65535		/* one TCP message (2-byte length) */
#define DNS_MSG_OPT_LEN 11		/* an OPT RR without options */

enum dns_msg_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_OPT = 41,
	DNS_TYPE_IXFR = 251,
	DNS_TYPE_AXFR = 252,
	DNS_TYPE_ANY = 255
};

enum dns_msg_class {
	DNS_CLASS_IN = 1,
	DNS_CLASS_CH = 3,
	DNS_CLASS_ANY = 255
};

enum dns_msg_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_NOTAUTH = 9,
	DNS_RCODE_BADVERS = 16		/* extended: needs OPT */
};

enum dns_msg_section { DNS_SEC_QD, DNS_SEC_AN, DNS_SEC_NS, DNS_SEC_AR };

/* Header flag bits (the 16-bit word after the ID). */
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_AD 0x0020
#define DNS_FLAG_CD 0x0010
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)

/* A parsed query.  Plain data; copies freely. */
struct dns_msg_query {
	uint16_t id;
	uint16_t flags;			/* the query's flag word */
	uint16_t qtype;
	uint16_t qclass;
	uint8_t qname[DNS_MSG_NAME_MAX]; /* wire form, lower-cased */
	uint8_t qname_len;		/* bytes, with the root label */
	uint8_t nlabels;		/* labels, without the root */
	uint8_t label_off[DNS_MSG_LABELS_MAX]; /* each label's length byte */
	bool edns;			/* an OPT record came with it */
	bool edns_do;			/* the DO bit */
	uint8_t edns_version;
	uint16_t edns_udp;		/* the client's payload size, as sent */
	uint16_t question_len;		/* bytes of the question in the packet */
};

/* A resource record as walked by dns_msg_parse_rr(). */
struct dns_msg_rr {
	uint8_t name[DNS_MSG_NAME_MAX];	/* decompressed wire form, as sent */
	uint8_t name_len;
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	const uint8_t *rdata;		/* borrowed: points into the packet */
	uint16_t rdlen;
	size_t rdata_off;		/* offset of rdata in the packet */
};

/*
 * A reply under construction: buf[0..len) written, never past limit.
 * limit is the most the reply may hold (the client's UDP size, or the
 * TCP maximum) minus what is reserved for the OPT record.
 */
struct dns_msg_writer {
	uint8_t *buf;			/* borrowed */
	size_t len;
	size_t limit;
	size_t reserve;			/* bytes kept back for the OPT RR */
	uint16_t count[4];		/* per enum dns_msg_section */
};

/*
 * dns_msg_parse_query - parse the len bytes at pkt as a query.
 * Returns 0 and fills *q, or:
 *   ERR_MALFORMED  the message is broken; *err_off is where.  If len >= 12
 *                  the header fields of *q (id, flags) are set, so the
 *                  caller can answer FORMERR;
 *   ERR_INVAL      the QR bit is set (a reply): answer nothing;
 *   ERR_UNSUPPORTED an opcode other than QUERY: id and flags are set, the
 *                  caller may answer NOTIMP;
 *   ERR_TOOBIG     a name over 255 bytes or 127 labels (*err_off set).
 * err_off may be NULL.
 */
int dns_msg_parse_query(const uint8_t *pkt, size_t len, struct dns_msg_query *q,
    size_t *err_off);

/*
 * dns_msg_name_unpack - read the possibly compressed name at *off in the
 * len-byte packet into out (DNS_MSG_NAME_MAX bytes) as uncompressed wire
 * form, as sent (case kept); *out_len is its length.  *off moves past the
 * name's bytes at its first position.  Returns 0, ERR_MALFORMED (bad
 * label type, pointer not strictly backwards, past the end) or
 * ERR_TOOBIG (over 255 bytes).
 */
int dns_msg_name_unpack(const uint8_t *pkt, size_t len, size_t *off,
    uint8_t *out, uint8_t *out_len);

/*
 * dns_msg_parse_rr - read one resource record at *off (a question entry
 * when section is DNS_SEC_QD: no TTL, no rdata) and move *off past it.
 * rr->rdata borrows the packet.  Returns 0, ERR_MALFORMED or ERR_TOOBIG.
 */
int dns_msg_parse_rr(const uint8_t *pkt, size_t len, size_t *off,
    enum dns_msg_section section, struct dns_msg_rr *rr);

/*
 * dns_msg_name_from_text - "bl.example.test" or "bl.example.test." (or
 * "." for the root) into lower-cased wire form in out (DNS_MSG_NAME_MAX
 * bytes).  Accepts \DDD and \X escapes.  Returns the wire length (>= 1),
 * ERR_MALFORMED (empty label, bad escape) or ERR_TOOBIG (a label over 63
 * bytes, a name over 255).
 */
int dns_msg_name_from_text(const char *text, size_t len, uint8_t *out);

/*
 * dns_msg_name_to_text - wire name (len bytes) as text with a trailing
 * dot, printable ASCII kept and the rest as \DDD; into buf (cap bytes,
 * DNS_MSG_NAME_TEXT_MAX always suffices).  Returns the text length or
 * ERR_TOOBIG / ERR_MALFORMED.
 */
int dns_msg_name_to_text(const uint8_t *name, size_t len, char *buf, size_t cap);

/* dns_msg_name_lower - lower-case the ASCII letters of a wire name. */
void dns_msg_name_lower(uint8_t *name, size_t len);

/*
 * dns_msg_writer_init - a writer over buf of cap bytes, answering up to
 * limit bytes (limit <= cap); reserve bytes are kept free for the OPT RR
 * that dns_msg_put_opt() adds last.
 */
void dns_msg_writer_init(struct dns_msg_writer *w, uint8_t *buf, size_t cap,
    size_t limit, size_t reserve);

/*
 * dns_msg_put_header_question - start a reply to q: the header (ID, QR,
 * opcode, RD copied, the given flags and rcode's low 4 bits) and the
 * question copied from the query packet pkt (case kept, as resolvers that
 * randomise the case of names check it).  With no question (q NULL or
 * with_question false) only the header.  Returns 0 or ERR_TOOBIG.
 */
int dns_msg_put_header_question(struct dns_msg_writer *w,
    const struct dns_msg_query *q, const uint8_t *pkt, bool with_question,
    uint16_t flags, unsigned rcode);

/*
 * dns_msg_put_rr - append one RR to section.  The owner is the wire name
 * owner[0..owner_len) (which may end in a compression pointer), or, when
 * owner is NULL, a compression pointer to offset ptr.  rdata is raw.
 * Returns 0, or ERR_TOOBIG and writes nothing when it does not fit.
 */
int dns_msg_put_rr(struct dns_msg_writer *w, enum dns_msg_section section,
    const uint8_t *owner, size_t owner_len, uint16_t ptr, uint16_t type,
    uint16_t rclass, uint32_t ttl, const uint8_t *rdata, size_t rdlen);

/*
 * dns_msg_put_opt - append the OPT RR (RFC 6891): our payload size
 * udp_size, the extended rcode's high 8 bits (rcode >> 4), version 0,
 * the DO bit echoed.  Uses the reserved bytes.  Returns 0 or ERR_TOOBIG.
 */
int dns_msg_put_opt(struct dns_msg_writer *w, uint16_t udp_size,
    unsigned rcode, bool dnssec_ok);

/* dns_msg_set_flags - OR flags (e.g. DNS_FLAG_TC) into the reply header. */
void dns_msg_set_flags(struct dns_msg_writer *w, uint16_t flags);

/* dns_msg_set_rcode - set the low 4 bits of the rcode in the header. */
void dns_msg_set_rcode(struct dns_msg_writer *w, unsigned rcode);

/*
 * dns_msg_finish - write the section counts into the header; returns the
 * reply's length.
 */
size_t dns_msg_finish(struct dns_msg_writer *w);

/*
 * dns_msg_build_query - a query for name (wire form) / type / class with
 * id, RD clear, and an OPT RR advertising edns_udp when edns_udp > 0.
 * For the load generator and tests.  Returns the length or ERR_TOOBIG.
 */
int dns_msg_build_query(uint8_t *buf, size_t cap, uint16_t id,
    const uint8_t *name, size_t name_len, uint16_t type, uint16_t rclass,
    uint16_t edns_udp);

static inline uint16_t
dns_msg_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
dns_msg_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

static inline void
dns_msg_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
dns_msg_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
