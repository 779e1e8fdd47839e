/*
 * verdict.c - content filter verdicts from the mail log; the forms, the
 * limits and the ownership rules are in verdict.h.
 *
 * Hand-written, like maillog.c: each form is a fixed phrase and a few
 * fields, matched in place without copying (a regex library would cost
 * more than the parse itself on the feed's hot path, and would still
 * need the checks below).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"
#include "proto/verdict.h"

static const char *const verdict_source_names[] = {
	"amavis", "rspamd", "spamd", "header", "milter"
};

const char *
verdict_source_name(enum verdict_source source)
{
	return (unsigned)source < sizeof(verdict_source_names) /
	    sizeof(verdict_source_names[0]) ? verdict_source_names[source] : "";
}

static int
fail(struct maillog_err *err, const char *line, const char *at,
    const char *reason)
{
	err->offset = line != NULL && at >= line ? (size_t)(at - line) : 0;
	err->reason = reason;
	return ERR_MALFORMED;
}

/* The first occurrence of needle in [p, end), or NULL. */
static const char *
find(const char *p, const char *end, const char *needle)
{
	if (p == NULL || p >= end)
		return NULL;
	return memmem(p, (size_t)(end - p), needle, strlen(needle));
}

/* Case-insensitive: [p, end) starts with prefix. */
static bool
has_iprefix(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && strncasecmp(p, prefix, n) == 0;
}

static bool
has_prefix(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

/* Case-insensitive search for needle (lower case) in s. */
static bool
contains_i(const struct maillog_str *s, const char *needle)
{
	size_t n = strlen(needle), i;

	if (s->ptr == NULL || s->len < n)
		return false;
	for (i = 0; i + n <= s->len; i++) {
		if (strncasecmp(s->ptr + i, needle, n) == 0)
			return true;
	}
	return false;
}

/*
 * A score: [-+]digits[.digits], within +-1e6.  Returns the end of the
 * number, or NULL when there is none.
 */
static const char *
score(const char *p, const char *end, double *out)
{
	char buf[32];
	const char *q = p;
	size_t n;
	char *stop;

	if (q < end && (*q == '-' || *q == '+'))
		q++;
	while (q < end && ((*q >= '0' && *q <= '9') || *q == '.'))
		q++;
	n = (size_t)(q - p);
	if (n == 0 || n >= sizeof(buf) || (n == 1 && (*p < '0' || *p > '9')))
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	*out = strtod(buf, &stop);
	if (*stop != '\0' || *out > 1e6 || *out < -1e6)
		return NULL;
	return q;
}

/*
 * "<ID>" at p: the ID between the brackets in *out.  Returns the end
 * after '>', or NULL.  An ID longer than VERDICT_MID_MAX is NULL too.
 */
static const char *
bracketed(const char *p, const char *end, struct maillog_str *out)
{
	const char *q;

	if (p >= end || *p != '<' ||
	    (q = memchr(p + 1, '>', (size_t)(end - p - 1))) == NULL)
		return NULL;
	if ((size_t)(q - p - 1) > VERDICT_MID_MAX)
		return NULL;
	out->ptr = p + 1;
	out->len = (size_t)(q - p - 1);
	return q + 1;
}

static bool
qid_ok(const struct maillog_str *s)
{
	return maillog_is_qid(s->ptr, s->len);
}

/* amavis: "(PID-NN) Passed CLEAN {...}, ..., Queue-ID: Q, Message-ID: <M>, ..., Hits: H, ..." */
static int
parse_amavis(const char *line, const struct maillog_rec *rec,
    struct verdict *v, struct maillog_err *err)
{
	const char *p = rec->message.ptr, *end = p + rec->message.len, *q, *w;
	size_t n;

	if (p >= end || *p != '(' ||
	    (q = memchr(p, ')', (size_t)(end - p))) == NULL)
		return 0;
	p = q + 1;
	if (has_prefix(p, end, " Passed "))
		p += 8;
	else if (has_prefix(p, end, " Blocked "))
		p += 9;
	else
		return 0;	/* "Checking", timing reports, warnings... */
	for (w = p; w < end && *w != ' ' && *w != ',' && *w != '{'; w++)
		;
	n = (size_t)(w - p);
	if (n == 4 && memcmp(p, "SPAM", 4) == 0)
		v->spam = true;
	else if ((n == 6 && memcmp(p, "SPAMMY", 6) == 0) ||
	    (n == 8 && memcmp(p, "INFECTED", 8) == 0))
		v->spam = true;
	else if (n == 5 && memcmp(p, "CLEAN", 5) == 0)
		v->spam = false;
	else
		return 0;	/* BANNED, BAD-HEADER-N, UNCHECKED, ... */
	v->source = VERDICT_AMAVIS;
	if ((q = find(w, end, "Queue-ID: ")) != NULL) {
		const char *s = q + 10, *e = s;

		while (e < end && *e != ',' && *e != ' ')
			e++;
		v->queue_id.ptr = s;
		v->queue_id.len = (size_t)(e - s);
		if (!qid_ok(&v->queue_id))
			return fail(err, line, s, "amavis: bad Queue-ID");
	}
	if ((q = find(w, end, "Message-ID: ")) != NULL &&
	    bracketed(q + 12, end, &v->message_id) == NULL)
		return fail(err, line, q + 12, "amavis: bad Message-ID");
	/* "Hits: -" when the message was not checked for spam. */
	if ((q = find(w, end, "Hits: ")) != NULL &&
	    !(q + 6 < end && q[6] == '-' &&
	    (q + 7 >= end || q[7] < '0' || q[7] > '9'))) {
		if (score(q + 6, end, &v->score) == NULL)
			return fail(err, line, q + 6, "amavis: bad Hits");
		v->has_score = true;
	}
	if (v->queue_id.ptr == NULL && v->message_id.ptr == NULL)
		return fail(err, line, rec->message.ptr,
		    "amavis: verdict without Queue-ID or Message-ID");
	return 1;
}

/* rspamd: "...rspamd_task_write_log: id: <M>, qid: <Q>, ..., (default: T (reject): [S/R] ..." */
static int
parse_rspamd(const char *line, const struct maillog_rec *rec,
    struct verdict *v, struct maillog_err *err)
{
	const char *p = rec->message.ptr, *end = p + rec->message.len, *q, *a;
	struct maillog_str s;
	size_t n;

	if ((q = find(p, end, "rspamd_task_write_log: ")) == NULL)
		return 0;
	p = q + 23;
	if ((q = find(p, end, "(default: ")) == NULL)
		return fail(err, line, p, "rspamd: no (default: ...) result");
	q += 10;
	if (q + 3 >= end || (q[0] != 'T' && q[0] != 'F') || q[1] != ' ' ||
	    q[2] != '(' || (a = memchr(q + 3, ')', (size_t)(end - q - 3))) == NULL)
		return fail(err, line, q, "rspamd: bad result");
	n = (size_t)(a - q - 3);
	q += 3;
	if ((n == 6 && memcmp(q, "reject", 6) == 0) ||
	    (n == 10 && memcmp(q, "add header", 10) == 0) ||
	    (n == 15 && memcmp(q, "rewrite subject", 15) == 0))
		v->spam = true;
	else if (n == 9 && memcmp(q, "no action", 9) == 0)
		v->spam = false;
	else
		return 0;	/* greylist, soft reject: no verdict */
	v->source = VERDICT_RSPAMD;
	if (has_prefix(a, end, "): [")) {
		if (score(a + 4, end, &v->score) == NULL)
			return fail(err, line, a + 4, "rspamd: bad score");
		v->has_score = true;
	}
	/* "qid: <Q>" first: " id: " is inside it otherwise. */
	if ((q = find(p, end, "qid: <")) != NULL) {
		if (bracketed(q + 5, end, &s) == NULL)
			return fail(err, line, q + 5, "rspamd: bad qid");
		if (s.len > 0 && !(s.len == 5 && memcmp(s.ptr, "undef", 5) == 0)) {
			v->queue_id = s;
			if (!qid_ok(&v->queue_id))
				return fail(err, line, q + 6, "rspamd: bad qid");
		}
	}
	if (has_prefix(p, end, "id: <")) {
		if (bracketed(p + 4, end, &s) == NULL)
			return fail(err, line, p + 4, "rspamd: bad id");
		if (s.len > 0 && !(s.len == 5 && memcmp(s.ptr, "undef", 5) == 0))
			v->message_id = s;
	}
	if (v->queue_id.ptr == NULL && v->message_id.ptr == NULL)
		return fail(err, line, p, "rspamd: verdict without qid or id");
	return 1;
}

/* spamd: "spamd: result: Y 15 - TESTS scantime=...,mid=<M>,..." */
static int
parse_spamd(const char *line, const struct maillog_rec *rec,
    struct verdict *v, struct maillog_err *err)
{
	const char *p = rec->message.ptr, *end = p + rec->message.len, *q;

	if (!has_prefix(p, end, "spamd: result: "))
		return 0;
	p += 15;
	if (p + 2 >= end || (p[0] != 'Y' && p[0] != '.') || p[1] != ' ')
		return fail(err, line, p, "spamd: bad result flag");
	v->spam = p[0] == 'Y';
	v->source = VERDICT_SPAMD;
	if ((q = score(p + 2, end, &v->score)) == NULL)
		return fail(err, line, p + 2, "spamd: bad score");
	v->has_score = true;
	if ((q = find(q, end, "mid=<")) == NULL)
		return 0;	/* nothing to link it to */
	if (bracketed(q + 4, end, &v->message_id) == NULL)
		return fail(err, line, q + 4, "spamd: bad mid");
	if (v->message_id.len == 0 || (v->message_id.len == 9 &&
	    memcmp(v->message_id.ptr, "(unknown)", 9) == 0))
		return 0;
	return 1;
}

/* cleanup: "QID: warning: header X-Spam-Flag: YES from ..." */
static int
parse_header(const struct maillog_rec *rec, struct verdict *v)
{
	static const char *const names[] = {
		"X-Spam-Flag:", "X-Spam-Status:", "X-Spam:"
	};
	const char *p = rec->text.ptr, *end = p + rec->text.len;
	size_t i;

	if (p == NULL || rec->queue_id.len == 0 ||
	    !has_prefix(p, end, "warning: header "))
		return 0;
	p += 16;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (has_iprefix(p, end, names[i]))
			break;
	}
	if (i == sizeof(names) / sizeof(names[0]))
		return 0;
	p += strlen(names[i]);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (has_iprefix(p, end, "yes"))
		v->spam = true;
	else if (has_iprefix(p, end, "no"))
		v->spam = false;
	else
		return 0;
	v->source = VERDICT_HEADER;
	v->queue_id = rec->queue_id;
	return 1;
}

int
verdict_parse(const char *line, const struct maillog_rec *rec,
    struct verdict *out, struct maillog_err *err)
{
	memset(out, 0, sizeof(*out));
	if (rec->message.ptr == NULL)
		return 0;
	if (rec->is_postfix) {
		if (rec->ev == MAILLOG_EV_REJECT && rec->queue_id.len > 0 &&
		    maillog_str_eq(&rec->action, "milter-reject") &&
		    maillog_str_eq(&rec->stage, "END-OF-MESSAGE") &&
		    (contains_i(&rec->reply, "spam") ||
		    contains_i(&rec->reply, "junk"))) {
			out->source = VERDICT_MILTER;
			out->spam = true;
			out->queue_id = rec->queue_id;
			return 1;
		}
		if (rec->ev == MAILLOG_EV_OTHER && maillog_str_eq(&rec->daemon,
		    "cleanup"))
			return parse_header(rec, out);
		return 0;
	}
	if (maillog_str_eq(&rec->daemon, "amavis") ||
	    maillog_str_eq(&rec->daemon, "amavisd") ||
	    maillog_str_eq(&rec->daemon, "amavisd-new"))
		return parse_amavis(line, rec, out, err);
	if (maillog_str_eq(&rec->daemon, "rspamd"))
		return parse_rspamd(line, rec, out, err);
	if (maillog_str_eq(&rec->daemon, "spamd"))
		return parse_spamd(line, rec, out, err);
	return 0;
}

bool
verdict_requeued(const struct maillog_rec *rec, struct maillog_str *new_qid)
{
	const char *p, *end, *q, *last = NULL, *e;
	const struct maillog_str *r = &rec->relay;

	if (rec->ev != MAILLOG_EV_DELIVERY || rec->status != MAILLOG_STATUS_SENT ||
	    r->ptr == NULL || rec->status_text.ptr == NULL)
		return false;
	/* relay=NAME[ADDR]:PORT with ADDR on this host. */
	if ((q = memchr(r->ptr, '[', r->len)) == NULL)
		return false;
	end = r->ptr + r->len;
	if (!has_prefix(q + 1, end, "127.") && !has_prefix(q + 1, end, "::1]"))
		return false;
	p = rec->status_text.ptr;
	end = p + rec->status_text.len;
	while ((q = find(p, end, "queued as ")) != NULL) {
		last = q + 10;
		p = last;
	}
	if (last == NULL)
		return false;
	for (e = last; e < end && *e != ')' && *e != ' ' && *e != ';' &&
	    *e != ','; e++)
		;
	new_qid->ptr = last;
	new_qid->len = (size_t)(e - last);
	return qid_ok(new_qid);
}
