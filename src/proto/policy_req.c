/*
 * policy_req.c - the Postfix policy delegation protocol: find a request
 * in a byte stream, parse it into struct policy_req, format a reply.
 *
 * The protocol (Postfix SMTPD_POLICY_README): a request is a block of
 * "name=value" lines, each ended by a newline, and the block is ended by
 * an empty line.  The value is everything after the first '=' (so it may
 * itself contain '='), and may be empty.  Unknown names are ignored, so
 * that a newer Postfix can talk to us.  The reply is "action=..." and an
 * empty line.  A trailing '\r' before each '\n' is tolerated and stripped,
 * because Exim's ${readsocket} may be fed CRLF text.
 *
 * Limits (see policy_req.h): a line may hold POLICY_LINE_MAX bytes not
 * counting its "\n" or "\r\n" (Postfix itself accepts 4 x
 * line_length_limit = 8192 bytes); a request, terminator included,
 * POLICY_REQ_MAX bytes; POLICY_ATTR_MAX attribute lines.  Going over a
 * limit is ERR_TOOBIG, never a silent truncation.  A NUL byte anywhere in
 * a request is ERR_MALFORMED: no MTA sends one, and values end up in C
 * strings, logs and keys further on.
 *
 * Ownership: nothing is allocated and nothing is copied.  Every value in
 * struct policy_req points into the caller's buffer.
 *
 * Why hand-written: this is the hot path of the policy service, run once
 * per SMTP command of every message.  A generic tokenizer would copy and
 * allocate per attribute; here each line costs three memchr() calls and
 * one table probe.  Attribute names are found by a perfect hash over
 * (length, first byte, last byte) into a 64-slot table, confirmed by one
 * memcmp(): constant time, 64 bytes of table, no strcmp() loop over the
 * 31 names.
 */
#include <limits.h>
#include <string.h>

#include "lib/err.h"
#include "proto/policy_req.h"

/* The texts below spell the limits out; keep them in step. */
_Static_assert(POLICY_LINE_MAX == 8192, "update the line limit texts");
_Static_assert(POLICY_REQ_MAX == 262144, "update the request limit text");
_Static_assert(POLICY_ATTR_MAX == 1024, "update the attribute limit text");

#define POLICY_ACTION_PREFIX "action="
#define POLICY_ACTION_PREFIX_LEN (sizeof(POLICY_ACTION_PREFIX) - 1)

/* The protocol names, indexed by enum policy_attr. */
#define PA_NAME(attr, text) [attr] = { text, sizeof(text) - 1 }
static const struct {
	const char *name;
	size_t len;
} policy_attr_tab[PA__COUNT] = {
	PA_NAME(PA_REQUEST, "request"),
	PA_NAME(PA_PROTOCOL_STATE, "protocol_state"),
	PA_NAME(PA_PROTOCOL_NAME, "protocol_name"),
	PA_NAME(PA_HELO_NAME, "helo_name"),
	PA_NAME(PA_QUEUE_ID, "queue_id"),
	PA_NAME(PA_SENDER, "sender"),
	PA_NAME(PA_RECIPIENT, "recipient"),
	PA_NAME(PA_RECIPIENT_COUNT, "recipient_count"),
	PA_NAME(PA_CLIENT_ADDRESS, "client_address"),
	PA_NAME(PA_CLIENT_NAME, "client_name"),
	PA_NAME(PA_REVERSE_CLIENT_NAME, "reverse_client_name"),
	PA_NAME(PA_INSTANCE, "instance"),
	PA_NAME(PA_SASL_METHOD, "sasl_method"),
	PA_NAME(PA_SASL_USERNAME, "sasl_username"),
	PA_NAME(PA_SASL_SENDER, "sasl_sender"),
	PA_NAME(PA_SIZE, "size"),
	PA_NAME(PA_CCERT_SUBJECT, "ccert_subject"),
	PA_NAME(PA_CCERT_ISSUER, "ccert_issuer"),
	PA_NAME(PA_CCERT_FINGERPRINT, "ccert_fingerprint"),
	PA_NAME(PA_CCERT_PUBKEY_FINGERPRINT, "ccert_pubkey_fingerprint"),
	PA_NAME(PA_ENCRYPTION_PROTOCOL, "encryption_protocol"),
	PA_NAME(PA_ENCRYPTION_CIPHER, "encryption_cipher"),
	PA_NAME(PA_ENCRYPTION_KEYSIZE, "encryption_keysize"),
	PA_NAME(PA_ETRN_DOMAIN, "etrn_domain"),
	PA_NAME(PA_STRESS, "stress"),
	PA_NAME(PA_CLIENT_PORT, "client_port"),
	PA_NAME(PA_POLICY_CONTEXT, "policy_context"),
	PA_NAME(PA_SERVER_ADDRESS, "server_address"),
	PA_NAME(PA_SERVER_PORT, "server_port"),
	PA_NAME(PA_COMPATIBILITY_LEVEL, "compatibility_level"),
	PA_NAME(PA_MAIL_VERSION, "mail_version"),
};
#undef PA_NAME

#define PA_NAME_MIN 4		/* "size" */
#define PA_NAME_MAX 24		/* "ccert_pubkey_fingerprint" */
#define PA_HASH_SLOTS 64

/*
 * policy_attr_hash - (len + 18 * first + 31 * last) mod 64.  The
 * multipliers are the smallest that make the 31 names collision-free in
 * 64 slots (found by exhaustive search; (len, first, last) is already
 * unique per name).  A new attribute needs a new search: the unit test
 * checks that every name maps back to itself.
 */
static inline unsigned
policy_attr_hash(const char *name, size_t len)
{
	return ((unsigned)len + 18u * (unsigned char)name[0] +
	    31u * (unsigned char)name[len - 1]) & (PA_HASH_SLOTS - 1);
}

/* Slot -> attribute + 1; 0 is an empty slot. */
static const unsigned char policy_attr_slot[PA_HASH_SLOTS] = {
	[1] = PA_ENCRYPTION_PROTOCOL + 1,
	[8] = PA_MAIL_VERSION + 1,
	[9] = PA_STRESS + 1,
	[13] = PA_CLIENT_PORT + 1,
	[15] = PA_CCERT_SUBJECT + 1,
	[16] = PA_CCERT_ISSUER + 1,
	[17] = PA_SERVER_ADDRESS + 1,
	[18] = PA_REVERSE_CLIENT_NAME + 1,
	[19] = PA_CCERT_FINGERPRINT + 1,
	[20] = PA_HELO_NAME + 1,
	[21] = PA_SIZE + 1,
	[22] = PA_QUEUE_ID + 1,
	[23] = PA_REQUEST + 1,
	[25] = PA_RECIPIENT + 1,
	[26] = PA_CCERT_PUBKEY_FINGERPRINT + 1,
	[29] = PA_COMPATIBILITY_LEVEL + 1,
	[30] = PA_SASL_USERNAME + 1,
	[31] = PA_RECIPIENT_COUNT + 1,
	[37] = PA_INSTANCE + 1,
	[39] = PA_ENCRYPTION_KEYSIZE + 1,
	[40] = PA_PROTOCOL_NAME + 1,
	[41] = PA_PROTOCOL_STATE + 1,
	[42] = PA_SENDER + 1,
	[45] = PA_SERVER_PORT + 1,
	[47] = PA_SASL_SENDER + 1,
	[49] = PA_CLIENT_ADDRESS + 1,
	[55] = PA_ETRN_DOMAIN + 1,
	[57] = PA_ENCRYPTION_CIPHER + 1,
	[58] = PA_POLICY_CONTEXT + 1,
	[60] = PA_CLIENT_NAME + 1,
	[61] = PA_SASL_METHOD + 1,
};

const char *
policy_attr_name(enum policy_attr attr)
{
	if ((unsigned)attr >= PA__COUNT)
		return "";
	return policy_attr_tab[attr].name;
}

/* policy_attr_find - policy_attr_lookup(), inlined into the parser. */
static inline int
policy_attr_find(const char *name, size_t len)
{
	unsigned slot;
	int attr;

	if (len < PA_NAME_MIN || len > PA_NAME_MAX)
		return -1;
	slot = policy_attr_slot[policy_attr_hash(name, len)];
	if (slot == 0)
		return -1;
	attr = (int)slot - 1;
	if (policy_attr_tab[attr].len != len ||
	    memcmp(policy_attr_tab[attr].name, name, len) != 0)
		return -1;
	return attr;
}

int
policy_attr_lookup(const char *name, size_t len)
{
	return policy_attr_find(name, len);
}

static int
policy_fail(struct policy_err *err, size_t offset, int code, const char *reason)
{
	if (err != NULL) {
		err->offset = offset;
		err->reason = reason;
	}
	return code;
}

/* policy_line_content - a line's length without its trailing '\r'. */
static inline size_t
policy_line_content(const char *line, size_t len)
{
	return len > 0 && line[len - 1] == '\r' ? len - 1 : len;
}

int
policy_req_scan(const char *buf, size_t len, size_t *req_len,
    struct policy_err *err)
{
	size_t lim = len < POLICY_REQ_MAX ? len : POLICY_REQ_MAX;
	size_t off = 0, part;

	/* The request must end within its first POLICY_REQ_MAX bytes. */
	while (off < lim) {
		const char *nl = memchr(buf + off, '\n', lim - off);
		size_t ll;

		if (nl == NULL)
			break;
		ll = (size_t)(nl - (buf + off));
		ll = policy_line_content(buf + off, ll);
		if (ll > POLICY_LINE_MAX)
			return policy_fail(err, off, ERR_TOOBIG,
			    "line exceeds 8192 bytes");
		off = (size_t)(nl - buf) + 1;
		if (ll == 0) {
			*req_len = off;
			return 0;
		}
	}

	/*
	 * An unfinished line already past the limit will not get better:
	 * say so now rather than wait for a newline that may never come.
	 * Its byte POLICY_LINE_MAX + 1 may still be the '\r' of a CRLF.
	 */
	part = lim - off;
	if (part > POLICY_LINE_MAX + 1 ||
	    (part == POLICY_LINE_MAX + 1 && buf[lim - 1] != '\r'))
		return policy_fail(err, off, ERR_TOOBIG,
		    "line exceeds 8192 bytes");
	if (len >= POLICY_REQ_MAX)
		return policy_fail(err, POLICY_REQ_MAX, ERR_TOOBIG,
		    "request exceeds 262144 bytes");
	return ERR_AGAIN;
}

int
policy_req_parse(const char *buf, size_t len, struct policy_req *req,
    struct policy_err *err)
{
	const struct policy_str *rq;
	const char *nul;
	size_t off = 0, nlines = 0;

	memset(req, 0, sizeof(*req));
	if (len > POLICY_REQ_MAX)
		return policy_fail(err, POLICY_REQ_MAX, ERR_TOOBIG,
		    "request exceeds 262144 bytes");
	/* One pass over the request for NUL is cheaper than one per line. */
	if ((nul = memchr(buf, '\0', len)) != NULL)
		return policy_fail(err, (size_t)(nul - buf), ERR_MALFORMED,
		    "NUL byte");
	for (;;) {
		const char *line = buf + off;
		const char *nl, *eq;
		size_t ll, cl;
		int attr;

		nl = off < len ? memchr(line, '\n', len - off) : NULL;
		if (nl == NULL)
			return policy_fail(err, len, ERR_MALFORMED,
			    "request does not end with an empty line");
		ll = (size_t)(nl - line);
		cl = policy_line_content(line, ll);
		if (cl == 0) {
			off += ll + 1;
			break;
		}
		/* The limits again: the caller need not have used scan. */
		if (cl > POLICY_LINE_MAX)
			return policy_fail(err, off, ERR_TOOBIG,
			    "line exceeds 8192 bytes");
		if (++nlines > POLICY_ATTR_MAX)
			return policy_fail(err, off, ERR_TOOBIG,
			    "more than 1024 attributes");
		if ((eq = memchr(line, '=', cl)) == NULL)
			return policy_fail(err, off, ERR_MALFORMED,
			    "line without '='");
		if (eq == line)
			return policy_fail(err, off, ERR_MALFORMED,
			    "empty attribute name");
		attr = policy_attr_find(line, (size_t)(eq - line));
		if (attr >= 0) {
			/* A repeated attribute keeps its last value. */
			req->attr[attr].ptr = eq + 1;
			req->attr[attr].len = cl - (size_t)(eq + 1 - line);
		}
		off += ll + 1;
	}
	if (off != len)
		return policy_fail(err, off, ERR_MALFORMED,
		    "data after the end of the request");

	/* SMTPD_POLICY_README: "request=smtpd_access_policy" is required. */
	rq = &req->attr[PA_REQUEST];
	if (rq->ptr == NULL)
		return policy_fail(err, len, ERR_MALFORMED,
		    "no request attribute");
	if (rq->len != sizeof("smtpd_access_policy") - 1 ||
	    memcmp(rq->ptr, "smtpd_access_policy", rq->len) != 0)
		return policy_fail(err, (size_t)(rq->ptr - buf), ERR_MALFORMED,
		    "request is not smtpd_access_policy");
	return 0;
}

int
policy_reply_format(char *buf, size_t cap, const char *action)
{
	size_t o, end;
	const char *p;

	/* An empty action is no action Postfix accepts: never send one. */
	if (action == NULL || *action == '\0')
		return ERR_INVAL;
	if (cap > INT_MAX)
		cap = INT_MAX;
	if (cap < POLICY_ACTION_PREFIX_LEN + 1 + 2)
		return ERR_TOOBIG;
	memcpy(buf, POLICY_ACTION_PREFIX, POLICY_ACTION_PREFIX_LEN);
	o = POLICY_ACTION_PREFIX_LEN;
	end = cap - 2;		/* room for the "\n\n" */
	for (p = action; *p != '\0'; p++) {
		if (o >= end)
			return ERR_TOOBIG;
		/* A CR or LF would end the reply early or reach SMTP. */
		buf[o++] = *p == '\n' || *p == '\r' ? ' ' : *p;
	}
	buf[o++] = '\n';
	buf[o++] = '\n';
	if (o < cap)
		buf[o] = '\0';
	return (int)o;
}
