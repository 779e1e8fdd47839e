/*
 * verdict.h - content filter verdicts from the mail log (SPEC section 4:
 * "content verdicts"): a parsed log line (maillog.h) in, "this message
 * was judged spam / clean" out, with the key that links it to a
 * customer (the queue ID of the message before the filter, or its
 * Message-ID).
 *
 * The forms read (as these filters log them on Debian 12):
 *
 *   amavis   amavis[PID]: (PID-NN) Passed CLEAN {RelayedOutbound}, ...
 *              <s> -> <r>, Queue-ID: QID, Message-ID: <ID>, ..., Hits: 2.1, ...
 *            "Passed|Blocked" then the content category: SPAM, SPAMMY and
 *            INFECTED are spam, CLEAN is clean, any other (BANNED,
 *            BAD-HEADER-N, UNCHECKED, OVERSIZED, MTA-BLOCKED...) is no
 *            verdict.  Queue-ID is absent in old releases: Message-ID then.
 *   rspamd   rspamd[PID]: <TAG>; task; rspamd_task_write_log: id: <ID>,
 *              qid: <QID>, ..., (default: T (reject): [16.50/15.00] [...]), ...
 *            the action: "reject", "add header", "rewrite subject" are
 *            spam, "no action" clean; greylist / soft reject: none.
 *   spamd    spamd[PID]: spamd: result: Y 15 - TESTS ...,mid=<ID>,...
 *            (SpamAssassin: "Y" spam, "." clean; linked by Message-ID).
 *   header   postfix/cleanup[PID]: QID: warning: header X-Spam-Flag: YES
 *              from ...   (header_checks WARN on X-Spam-Flag, X-Spam-Status
 *            or X-Spam: "yes" is spam, "no" clean).
 *   milter   postfix/cleanup[PID]: QID: milter-reject: END-OF-MESSAGE from
 *              ...: 5.7.1 Spam message rejected; ...  (a reject whose text
 *            says spam, at END-OF-MESSAGE: spam).
 *
 * And the hop into an after-queue content filter: a delivery to a
 * loopback relay whose reply says "queued as NEWQID" (amavis, Postfix's
 * own re-injection): verdict_requeued() gives NEWQID, so that the
 * message's real deliveries, logged under NEWQID, are still its own.
 *
 * Ownership: no allocation; every maillog_str points into the caller's
 * line.  Limits: those of maillog.h (the line), a queue ID at most
 * MAILLOG_QID_MAX, a Message-ID at most VERDICT_MID_MAX bytes (longer:
 * ERR_MALFORMED), a score within +-1e6.
 */
#ifndef RG_PROTO_VERDICT_H
#define RG_PROTO_VERDICT_H

#include <stdbool.h>

#include "proto/maillog.h"

#define VERDICT_MID_MAX 998	/* RFC 5322 line length */

enum verdict_source {
	VERDICT_AMAVIS,
	VERDICT_RSPAMD,
	VERDICT_SPAMD,
	VERDICT_HEADER,
	VERDICT_MILTER
};

struct verdict {
	enum verdict_source source;
	bool spam;			/* else clean */
	bool has_score;
	double score;			/* Hits, rspamd's score, spamd's */
	struct maillog_str queue_id;	/* absent for spamd */
	struct maillog_str message_id;	/* without <>; may be absent */
};

/*
 * verdict_parse - is rec, parsed by maillog_parse() from line, a content
 * verdict?  Returns 1
 * and *out; 0 when the line is not a verdict (another program, a
 * category that is no verdict); ERR_MALFORMED with *err (offset into the
 * line, static reason) when it is a filter's verdict line with a broken
 * field (no Queue-ID nor Message-ID, a bad score, an over-long ID).
 * A verdict always has a queue ID or a Message-ID.
 */
int verdict_parse(const char *line, const struct maillog_rec *rec,
    struct verdict *out, struct maillog_err *err);

/*
 * verdict_requeued - for a DELIVERY line rec that handed the message to a
 * content filter on this host (a relay address in 127.0.0.0/8 or ::1)
 * and whose reply names the new queue ID ("... queued as NEWQID)"):
 * true and *new_qid.  Otherwise false.
 */
bool verdict_requeued(const struct maillog_rec *rec, struct maillog_str *new_qid);

/* verdict_source_name - "amavis", "rspamd", ...; static. */
const char *verdict_source_name(enum verdict_source source);

#endif
