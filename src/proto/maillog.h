/*
 * maillog.h - Postfix log lines in, struct maillog_rec out: the delivery
 * side of detection (SPEC section 4) and `relayguard replay --format
 * maillog` (SPEC section 6).
 *
 * A line is a syslog header and a Postfix message:
 *
 *   Nov 30 00:00:01 relay1 postfix/smtp[412]: 4Xk2Lq1Zt3z9: to=<...>, ...
 *   2026-11-30T00:00:01.123456+00:00 relay1 postfix/smtp[412]: ...
 *   <22>Nov 30 00:00:01 postfix/smtp[412]: ...      (glibc syslog(3): no host)
 *   <22>1 2026-11-30T00:00:01Z relay1 postfix/smtp 412 - - ...   (RFC 5424)
 *
 * Traditional timestamps have neither year nor zone: the year comes from
 * a struct maillog_clock that the caller seeds (`--year`) and that rolls
 * over by itself at a December-to-January step; the zone is the clock's
 * utc_offset_s (0: the log is in UTC).  ISO 8601 timestamps carry both.
 * The parser never reads the wall clock or the environment (TZ).
 *
 * The program tag is split into the syslog name ("postfix",
 * "postfix-submission", "postfix/submission" for a master.cf service with
 * its own syslog_name) and the daemon ("smtpd"): the last path component.
 * After it, a queue ID (short: five hex digits of microseconds and an
 * inode in upper-case hex; long: enable_long_queue_ids, ten or more
 * characters of Postfix's vowel-free base-52 alphabet, 'z', the inode in
 * base 51) or NOQUEUE, then the event.  The events detection uses:
 *
 *   CLIENT      smtpd    QID: client=HOST[ADDR][, sasl_method=M, sasl_username=U, sasl_sender=S]
 *   MESSAGE_ID  cleanup  QID: message-id=<ID>
 *   FROM        qmgr     QID: from=<S>, size=N, nrcpt=N (queue active)
 *                        QID: from=<S>, status=expired, returned to sender
 *   DELIVERY    smtp, lmtp, local, virtual, error, pipe, ...
 *                        QID: to=<R>, [orig_to=<O>,] relay=..., delay=D,
 *                        delays=a/b/c/d, dsn=X.Y.Z, status=WORD (TEXT)
 *   NOTIFY      bounce   QID: sender non-delivery notification: NEWQID
 *   REMOVED     qmgr, postsuper   QID: removed
 *   HOLD        smtpd    QID: hold: RCPT from HOST[ADDR]: TEXT;
 *                          from=<S> to=<R> proto=P helo=<H>
 *               cleanup  QID: hold: header NAME: VALUE from HOST[ADDR];
 *                          from=<S> to=<R> proto=P helo=<H>: TEXT
 *   REJECT      smtpd    NOQUEUE: reject: RCPT from HOST[ADDR]: 450 4.7.1
 *                          TEXT; from=<S> to=<R> proto=P helo=<H>
 *               (also "milter-reject", and cleanup's form; DISCARD for
 *               "discard"; postscreen's ", "-separated envelope too)
 *   HELD        postsuper         QID: placed on hold
 *   RELEASED    postsuper         QID: released from hold
 *
 * Anything else that is a well-formed syslog line (another program, a
 * warning, connect/disconnect, a form Postfix may add later) is
 * MAILLOG_EV_OTHER, not an error.  A known form whose fields are broken
 * (client= without [ADDR], a bad dsn=, size=abc) is ERR_MALFORMED.
 *
 * Ownership: no allocation, no copy.  Every struct maillog_str points
 * into the caller's line and is valid while that line is.
 *
 * Limits: a line at most MAILLOG_LINE_MAX bytes (ERR_TOOBIG), no NUL
 * byte in it; numbers checked for overflow; a queue ID at most
 * MAILLOG_QID_MAX characters.  A trailing CR or LF is ignored.
 */
#ifndef RG_PROTO_MAILLOG_H
#define RG_PROTO_MAILLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ipaddr.h"

#define MAILLOG_LINE_MAX (64u << 10)
#define MAILLOG_QID_MAX 32
#define MAILLOG_YEAR_MIN 1970
#define MAILLOG_YEAR_MAX 9999

enum maillog_ts_form {
	MAILLOG_TS_SYSLOG,	/* "Nov 30 00:00:01": year and zone from the clock */
	MAILLOG_TS_ISO		/* RFC 3339 / ISO 8601 with its own zone */
};

enum maillog_qid_form {
	MAILLOG_QID_NONE,	/* no queue ID, or NOQUEUE */
	MAILLOG_QID_SHORT,	/* "3F2A41C0B7D" */
	MAILLOG_QID_LONG	/* "4Xk2Lq1Zt3z9" */
};

enum maillog_event {
	MAILLOG_EV_OTHER,
	MAILLOG_EV_CLIENT,
	MAILLOG_EV_MESSAGE_ID,
	MAILLOG_EV_FROM,
	MAILLOG_EV_DELIVERY,
	MAILLOG_EV_NOTIFY,
	MAILLOG_EV_REMOVED,
	MAILLOG_EV_HOLD,
	MAILLOG_EV_REJECT,
	MAILLOG_EV_DISCARD,
	MAILLOG_EV_HELD,
	MAILLOG_EV_RELEASED
};

enum maillog_status {
	MAILLOG_STATUS_NONE,
	MAILLOG_STATUS_SENT,
	MAILLOG_STATUS_BOUNCED,
	MAILLOG_STATUS_DEFERRED,
	MAILLOG_STATUS_EXPIRED,
	MAILLOG_STATUS_DELIVERABLE,	/* sendmail -bv probes */
	MAILLOG_STATUS_UNDELIVERABLE,
	MAILLOG_STATUS_OTHER		/* a word this parser does not know */
};

struct maillog_str {
	const char *ptr;	/* borrowed from the line; NULL when absent */
	size_t len;
};

/*
 * The year and zone of traditional timestamps, carried from line to line.
 * year: the year of the last traditional timestamp; last_month 0 until
 * one was seen.
 */
struct maillog_clock {
	int year;
	int last_month;		/* 1..12, 0: none yet */
	int32_t utc_offset_s;	/* local time minus UTC, e.g. 3600 for CET */
};

struct maillog_rec {
	/* Syslog header. */
	enum maillog_ts_form ts_form;
	int64_t time_us;		/* microseconds since the epoch, UTC */
	int year, month, day, hour, minute, second;	/* as written (local) */
	int usec;
	struct maillog_str host;	/* absent in glibc syslog(3) datagrams */
	struct maillog_str program;	/* "postfix-submission/smtpd" */
	struct maillog_str syslog_name;	/* "postfix-submission" */
	struct maillog_str daemon;	/* "smtpd" */
	bool is_postfix;		/* syslog_name starts with "postfix" */
	int64_t pid;			/* -1 when absent */
	struct maillog_str message;	/* everything after "TAG: " */

	/* Postfix message. */
	enum maillog_qid_form qid_form;
	struct maillog_str queue_id;	/* absent for NOQUEUE */
	bool noqueue;			/* "NOQUEUE: ..." */
	struct maillog_str text;	/* the message after "QID: " */
	enum maillog_event ev;

	/* CLIENT, HOLD, REJECT, DISCARD: the SMTP client. */
	struct maillog_str client_host;	/* "unknown" or a name */
	struct maillog_str client_addr;	/* as written */
	struct ipaddr addr;		/* when has_addr */
	bool has_addr;
	struct maillog_str sasl_method, sasl_username, sasl_sender;

	/* MESSAGE_ID: without the angle brackets. */
	struct maillog_str message_id;

	/* FROM (from, size, nrcpt, status), HOLD/REJECT/DISCARD (from, to). */
	struct maillog_str from;	/* without <>; "" for the null sender */
	uint64_t size;
	uint32_t nrcpt;
	bool has_size, has_nrcpt;

	/* DELIVERY; status also for FROM ("expired"). */
	struct maillog_str to, orig_to;	/* without <> */
	struct maillog_str relay;	/* "mx.example.org[203.0.113.5]:25", "none" */
	uint64_t delay_ms;
	bool has_delay;
	struct maillog_str delays;	/* "0.1/0/0.2/0.1" */
	struct maillog_str dsn;		/* "5.1.1" */
	int dsn_class;			/* 2, 4 or 5; 0 when no dsn */
	enum maillog_status status;
	struct maillog_str status_word;	/* "bounced" */
	struct maillog_str status_text;	/* inside the parentheses, or after the comma */

	/* NOTIFY: "sender non-delivery notification", the new queue ID. */
	struct maillog_str notify_kind;
	struct maillog_str notify_queue_id;

	/* HOLD, REJECT, DISCARD. */
	struct maillog_str action;	/* "reject", "milter-reject", "hold", "discard" */
	struct maillog_str stage;	/* "RCPT", "END-OF-MESSAGE", "header", "body" */
	struct maillog_str reply;	/* "450 4.7.1 <r>: Recipient address rejected: ..." */
	int reply_code;			/* 450; 0 when the reply has none */
	struct maillog_str reply_dsn;	/* "4.7.1" when present */
	struct maillog_str proto;	/* "ESMTP" */
	struct maillog_str helo;	/* without <> */
	struct maillog_str detail;	/* cleanup: the header or body text matched */
};

struct maillog_err {
	size_t offset;		/* byte offset in the line */
	const char *reason;	/* static text */
};

/*
 * maillog_clock_init - a clock for traditional timestamps: year
 * (MAILLOG_YEAR_MIN..MAILLOG_YEAR_MAX) and the local zone's offset from
 * UTC in seconds (-86400..86400).  Returns 0 or ERR_RANGE.
 */
/*
 * maillog_is_qid - [p, p + len) is a Postfix queue ID: a short one (6 to
 * MAILLOG_QID_MAX hex digits, upper case) or a long one
 * (enable_long_queue_ids: base-52 time, 'z', inode).
 */
bool maillog_is_qid(const char *p, size_t len);

int maillog_clock_init(struct maillog_clock *clock, int year, int32_t utc_offset_s);

/*
 * maillog_clock_year - the year of a traditional timestamp in month
 * (1..12), and advance the clock: a step from December to January starts
 * the next year.  Any other step backwards (a line logged late) keeps the
 * year.  Returns the year to use for this line.
 */
int maillog_clock_year(struct maillog_clock *clock, int month);

/*
 * maillog_parse - parse one log line of len bytes (not necessarily
 * NUL-terminated; a trailing "\n" or "\r\n" is ignored) into *out.  clock
 * supplies and tracks the year of traditional timestamps (it is advanced
 * only when the line parses); ISO timestamps do not touch it.  Returns 0
 * (*out->ev may be MAILLOG_EV_OTHER), ERR_MALFORMED (no or a bad
 * timestamp, no program tag, a bad pid, a known event with broken
 * fields) or ERR_TOOBIG (over MAILLOG_LINE_MAX), with *err filled; *out
 * is then unspecified.
 */
int maillog_parse(const char *line, size_t len, struct maillog_clock *clock,
    struct maillog_rec *out, struct maillog_err *err);

/* maillog_event_name - "client", "delivery", ... ("other"); static. */
const char *maillog_event_name(enum maillog_event ev);

/* maillog_status_name - "sent", "bounced", ... ("none"); static. */
const char *maillog_status_name(enum maillog_status status);

/*
 * maillog_str_eq - true when s holds exactly the NUL-terminated text
 * want (an absent s equals nothing).
 */
bool maillog_str_eq(const struct maillog_str *s, const char *want);

#endif
