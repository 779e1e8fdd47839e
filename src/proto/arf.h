/*
 * arf.h - abuse reports in the Abuse Reporting Format (RFC 5965) in,
 * struct arf_report out, so that a complaint can be tied to a customer
 * (SPEC section 4).
 *
 * A report is a message of type
 *
 *   multipart/report; report-type=feedback-report; boundary="..."
 *
 * whose parts are a human-readable text, a message/feedback-report part
 * of "Name: value" fields (Feedback-Type, User-Agent, Version, Source-IP,
 * Original-Mail-From, Original-Rcpt-To, Arrival-Date, Reported-Domain,
 * Authentication-Results, ...), and the original message
 * (message/rfc822) or its header (text/rfc822-headers).  From the
 * original, the parser keeps the Received: fields, parsed (client HELO,
 * reverse name and address, "Authenticated sender", by, with, id, for,
 * date), the Message-ID, From and Subject.  arf_our_received() picks the
 * Received: field that our relay added: its client address is the
 * customer, its id the queue ID that the Postfix log and END-OF-MESSAGE
 * policy requests share.
 *
 * Leniency, as reports found in the wild need it: fields are matched
 * without regard to case; a missing User-Agent or Version, a Version
 * other than 1, an unparsable Source-IP, a missing original part, a
 * missing closing boundary or a broken header line inside the original
 * are warnings (ARF_WARN_*), not errors; an unknown Feedback-Type is
 * ARF_FT_UNKNOWN with its text kept.  Not an ARF report at all (another
 * content type, another report-type, no boundary, fewer than two parts,
 * no message/feedback-report part, no Feedback-Type) is an error.
 * Parts in base64 or quoted-printable are decoded.  Header fields are
 * unfolded (RFC 5322 section 2.2.3).
 *
 * Limits: a message at most ARF_MSG_MAX bytes, a header line (physical,
 * without its line break) at most ARF_LINE_MAX bytes, an unfolded field
 * that is kept at most ARF_FIELD_MAX bytes, at most ARF_PARTS_MAX parts,
 * ARF_LIST_MAX values of each repeatable field and ARF_RECEIVED_MAX
 * Received: fields; beyond them ERR_TOOBIG.  A NUL byte is ERR_MALFORMED.
 *
 * Ownership: arf_parse() allocates the report and copies every string it
 * keeps into the report's own memory (NUL-terminated, unfolded, trimmed);
 * nothing points into the input.  Free it with arf_report_free().
 */
#ifndef RG_PROTO_ARF_H
#define RG_PROTO_ARF_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/ipaddr.h"

#define ARF_MSG_MAX (1u << 20)
#define ARF_LINE_MAX 8192
#define ARF_FIELD_MAX (64u << 10)
#define ARF_PARTS_MAX 16
#define ARF_LIST_MAX 100
#define ARF_RECEIVED_MAX 100

/* RFC 5965 section 7.3 and RFC 6591 (auth-failure). */
enum arf_feedback_type {
	ARF_FT_ABUSE,
	ARF_FT_FRAUD,
	ARF_FT_VIRUS,
	ARF_FT_OTHER,
	ARF_FT_NOT_SPAM,
	ARF_FT_AUTH_FAILURE,
	ARF_FT_UNKNOWN		/* an extension: see feedback_type_text */
};

enum arf_warning {
	ARF_WARN_NO_USER_AGENT = 1 << 0,
	ARF_WARN_NO_VERSION = 1 << 1,
	ARF_WARN_BAD_VERSION = 1 << 2,		/* not "1" */
	ARF_WARN_BAD_SOURCE_IP = 1 << 3,
	ARF_WARN_NO_ORIGINAL = 1 << 4,		/* no third part */
	ARF_WARN_BAD_ORIGINAL = 1 << 5,		/* a broken header line; the rest skipped */
	ARF_WARN_NO_CLOSE = 1 << 6		/* no closing boundary */
};

/* One Received: field of the original message, parsed. */
struct arf_received {
	const char *raw;		/* the whole unfolded value */
	const char *from_helo;		/* the word after "from"; NULL if none */
	const char *from_rdns;		/* "unknown" or the verified name; NULL */
	const char *from_addr_text;	/* the client address as written; NULL */
	struct ipaddr from_addr;	/* when has_from_addr */
	bool has_from_addr;
	const char *auth_sender;	/* Postfix "(Authenticated sender: u1042)" */
	const char *by;			/* the receiving host */
	const char *with;		/* "ESMTPSA" */
	const char *id;			/* the receiver's queue ID */
	const char *for_rcpt;		/* without <> */
	const char *date;		/* after the last ';' */
};

struct arf_strv {
	const char **v;
	size_t n;
};

struct arf_report {
	/* The report's own header. */
	const char *report_from;	/* From: of the report; NULL if none */

	/* The message/feedback-report part. */
	enum arf_feedback_type feedback_type;
	const char *feedback_type_text;	/* as written, lower-cased */
	const char *user_agent;		/* NULL if none */
	const char *version;
	const char *source_ip_text;
	struct ipaddr source_ip;	/* when has_source_ip */
	bool has_source_ip;
	const char *original_mail_from;	/* without <> */
	const char *original_envelope_id;
	const char *arrival_date;
	const char *reporting_mta;
	const char *incidents;
	struct arf_strv original_rcpt_to;	/* without <> */
	struct arf_strv reported_domain;
	struct arf_strv reported_uri;
	struct arf_strv authentication_results;

	/* The original message or its header (third part). */
	bool has_original;
	bool headers_only;		/* text/rfc822-headers */
	const char *message_id;		/* without <>; NULL if none */
	const char *original_from;
	const char *original_subject;
	struct arf_received *received;	/* in order: the newest (top) first */
	size_t n_received;

	size_t n_parts;
	unsigned warnings;		/* ARF_WARN_* bits */

	struct arf_chunk *mem;		/* owned: every string above */
};

struct arf_err {
	size_t offset;			/* byte offset in the message */
	const char *reason;		/* static text */
};

/*
 * arf_parse - parse a whole report of len bytes (LF or CRLF line ends).
 * Returns 0 and a new report in *out (free it with arf_report_free), or
 * ERR_MALFORMED (not an ARF report, a broken header, bad base64),
 * ERR_TOOBIG (over a limit) or ERR_NOMEM, with *err filled and *out NULL.
 */
int arf_parse(const char *msg, size_t len, struct arf_report **out,
    struct arf_err *err);

/* arf_report_free - free a report; NULL is a no-op. */
void arf_report_free(struct arf_report *report);

/*
 * arf_our_received - the Received: field that our relay added to the
 * original: with names (n of them, our relays' host names as they write
 * them after "by"), the topmost one whose "by" is one of them (ASCII case
 * ignored), since fields below it may be forged; with n == 0, the
 * bottom-most one that has a client address (the first hop, which is
 * only right when the customer submitted to us directly).  NULL when
 * there is none.  The result lives as long as the report.
 */
const struct arf_received *arf_our_received(const struct arf_report *report,
    const char *const *names, size_t n);

/* arf_feedback_type_name - "abuse", "fraud", ... "unknown"; static. */
const char *arf_feedback_type_name(enum arf_feedback_type type);

#endif
