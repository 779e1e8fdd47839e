/*
 * policy_req.h - the Postfix policy delegation protocol: requests in,
 * replies out (Postfix SMTPD_POLICY_README).
 *
 * A request is a block of "name=value" lines ended by an empty line.  The
 * parser is hand-written because it is the policy service's hot path: it
 * makes no allocation and no copy; every value in struct policy_req points
 * into the caller's buffer and stays valid while that buffer does.
 *
 * Limits: a line may be up to POLICY_LINE_MAX bytes (Postfix itself
 * accepts 4 x line_length_limit = 8192 by default; we are not stricter),
 * a request up to POLICY_REQ_MAX bytes and POLICY_ATTR_MAX lines.  Unknown
 * attribute names are ignored, as the protocol requires.  A repeated known
 * attribute keeps its last value, like Postfix's own attr_scan.
 */
#ifndef RG_PROTO_POLICY_REQ_H
#define RG_PROTO_POLICY_REQ_H

#include <stddef.h>

#define POLICY_LINE_MAX 8192
#define POLICY_REQ_MAX (256u << 10)
#define POLICY_ATTR_MAX 1024
#define POLICY_REPLY_MAX 1024	/* "action=" + text + "\n\n" */

/* The attributes Postfix 3.7 sends (SMTPD_POLICY_README), in its order. */
enum policy_attr {
	PA_REQUEST,
	PA_PROTOCOL_STATE,
	PA_PROTOCOL_NAME,
	PA_HELO_NAME,
	PA_QUEUE_ID,
	PA_SENDER,
	PA_RECIPIENT,
	PA_RECIPIENT_COUNT,
	PA_CLIENT_ADDRESS,
	PA_CLIENT_NAME,
	PA_REVERSE_CLIENT_NAME,
	PA_INSTANCE,
	PA_SASL_METHOD,
	PA_SASL_USERNAME,
	PA_SASL_SENDER,
	PA_SIZE,
	PA_CCERT_SUBJECT,
	PA_CCERT_ISSUER,
	PA_CCERT_FINGERPRINT,
	PA_CCERT_PUBKEY_FINGERPRINT,
	PA_ENCRYPTION_PROTOCOL,
	PA_ENCRYPTION_CIPHER,
	PA_ENCRYPTION_KEYSIZE,
	PA_ETRN_DOMAIN,
	PA_STRESS,
	PA_CLIENT_PORT,
	PA_POLICY_CONTEXT,
	PA_SERVER_ADDRESS,
	PA_SERVER_PORT,
	PA_COMPATIBILITY_LEVEL,
	PA_MAIL_VERSION,
	PA__COUNT
};

struct policy_str {
	const char *ptr;	/* borrowed; NULL when absent */
	size_t len;
};

struct policy_req {
	struct policy_str attr[PA__COUNT];
};

struct policy_err {
	size_t offset;		/* byte offset in the input where it failed */
	const char *reason;	/* static text */
};

/* policy_attr_name - the protocol name of an attribute ("client_address"). */
const char *policy_attr_name(enum policy_attr attr);

/*
 * policy_attr_lookup - the attribute for a protocol name of len bytes, or
 * -1 when it is not one we know.
 */
int policy_attr_lookup(const char *name, size_t len);

/*
 * policy_req_scan - find the end of the first complete request in buf.
 * Returns 0 and sets *req_len to the bytes up to and including the
 * terminating empty line; ERR_AGAIN when more input is needed (the
 * caller keeps reading); ERR_TOOBIG when a line exceeds POLICY_LINE_MAX or
 * the request POLICY_REQ_MAX (err says where).  Never reads past len.
 */
int policy_req_scan(const char *buf, size_t len, size_t *req_len,
    struct policy_err *err);

/*
 * policy_req_parse - parse one complete request (as found by
 * policy_req_scan, including its empty line) into *req.  Returns 0, or
 * ERR_MALFORMED (a line without '=', an empty name, a NUL byte, no
 * "request" attribute, a request other than smtpd_access_policy) or
 * ERR_TOOBIG (too many lines), with *err filled.
 */
int policy_req_parse(const char *buf, size_t len, struct policy_req *req,
    struct policy_err *err);

/* policy_req_get - attribute value or NULL/0 when absent or empty. */
static inline const struct policy_str *
policy_req_get(const struct policy_req *req, enum policy_attr attr)
{
	return req->attr[attr].ptr && req->attr[attr].len ? &req->attr[attr] : NULL;
}

/*
 * policy_reply_format - write "action=ACTION\n\n" into buf; action is the
 * whole action text ("DUNNO", "DEFER_IF_PERMIT 4.7.1 ...").  Newlines in
 * action are replaced by spaces (they would end the reply).  Returns the
 * bytes written, or ERR_TOOBIG when cap is too small.
 */
int policy_reply_format(char *buf, size_t cap, const char *action);

#endif
