/*
 * maillog.c - Postfix log lines in, struct maillog_rec out (maillog.h).
 *
 * Hand-written because the log feed and `replay --format maillog` read
 * every line of a busy relay's log: one pass, no allocation, no copy, no
 * regular expressions, no locale.  The shapes of the lines are Postfix
 * 3.7's (smtpd_check.c log_whatsup(), cleanup_message.c, qmgr_active.c,
 * log_adhoc.c, bounce_notify_service.c, postsuper.c); where Postfix has
 * several spellings (postscreen separates the envelope fields with ", ",
 * smtpd with " ") both are read.
 *
 * Limits: MAILLOG_LINE_MAX bytes a line; numbers overflow-checked; a pid
 * at most 10 digits.  Errors carry the byte offset where parsing stopped.
 *
 * Why one file past the usual size: the syslog header, the field
 * splitter and the event parsers share one cursor and its error
 * reporting; split, they would need an internal header for ten static
 * helpers and gain nothing in clarity.
 */
#include <string.h>

#include "lib/err.h"
#include "proto/maillog.h"

struct cur {
	const char *s;		/* start of the line (for offsets) */
	const char *p;
	const char *end;
	struct maillog_err *err;
};

static const char month_names[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* Postfix's safe alphabet (global/safe_ultostr.c): no vowels. */
static const char qid_alphabet[] =
    "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";

static int
fail(struct cur *c, const char *at, int code, const char *reason)
{
	c->err->offset = (size_t)(at - c->s);
	c->err->reason = reason;
	return code;
}

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
has_prefix(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

static void
set_str(struct maillog_str *s, const char *p, size_t len)
{
	s->ptr = p;
	s->len = len;
}

/* Exactly n digits at p into *out (n <= 9). */
static bool
digits_n(const char *p, const char *end, int n, int *out)
{
	int v = 0, i;

	if (end - p < n)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

/* A whole unsigned decimal of len bytes, at most max. */
static bool
parse_u64(const char *p, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		if (!is_digit(p[i]))
			return false;
		if (v > (max - (uint64_t)(p[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return true;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
maillog_clock_init(struct maillog_clock *clock, int year, int32_t utc_offset_s)
{
	if (year < MAILLOG_YEAR_MIN || year > MAILLOG_YEAR_MAX ||
	    utc_offset_s < -86400 || utc_offset_s > 86400)
		return ERR_RANGE;
	clock->year = year;
	clock->last_month = 0;
	clock->utc_offset_s = utc_offset_s;
	return 0;
}

static int
clock_peek(const struct maillog_clock *clock, int month)
{
	if (clock->last_month == 12 && month == 1 && clock->year < MAILLOG_YEAR_MAX)
		return clock->year + 1;
	return clock->year;
}

int
maillog_clock_year(struct maillog_clock *clock, int month)
{
	clock->year = clock_peek(clock, month);
	clock->last_month = month;
	return clock->year;
}

/* HH:MM:SS[.frac] at c->p. */
static int
parse_hms(struct cur *c, struct maillog_rec *r)
{
	const char *p = c->p;
	int frac = 0, nd = 0;

	if (c->end - p < 8 || !digits_n(p, c->end, 2, &r->hour) || p[2] != ':' ||
	    !digits_n(p + 3, c->end, 2, &r->minute) || p[5] != ':' ||
	    !digits_n(p + 6, c->end, 2, &r->second))
		return fail(c, p, ERR_MALFORMED, "bad time of day");
	if (r->hour > 23 || r->minute > 59 || r->second > 60)
		return fail(c, p, ERR_MALFORMED, "time of day out of range");
	p += 8;
	if (p < c->end && *p == '.') {
		p++;
		while (p < c->end && is_digit(*p)) {
			if (nd < 6) {
				frac = frac * 10 + (*p - '0');
				nd++;
			}
			p++;
		}
		if (!is_digit(p[-1]))
			return fail(c, p, ERR_MALFORMED, "bad fraction of a second");
		while (nd < 6) {
			frac *= 10;
			nd++;
		}
	}
	r->usec = frac;
	c->p = p;
	return 0;
}

/* "Nov 30 00:00:01" or "Nov  1 00:00:01". */
static int
parse_ts_syslog(struct cur *c, struct maillog_rec *r, const struct maillog_clock *clock)
{
	const char *p = c->p;
	int m, rc;

	for (m = 0; m < 12; m++)
		if (c->end - p >= 3 && memcmp(p, month_names[m], 3) == 0)
			break;
	if (m == 12 || c->end - p < 4 || p[3] != ' ')
		return fail(c, p, ERR_MALFORMED, "no timestamp");
	r->month = m + 1;
	p += 4;
	if (p < c->end && *p == ' ')
		p++;
	if (p < c->end && is_digit(*p) && p + 1 < c->end && is_digit(p[1])) {
		r->day = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
	} else if (p < c->end && is_digit(*p)) {
		r->day = *p++ - '0';
	} else {
		return fail(c, p, ERR_MALFORMED, "bad day of month");
	}
	/* The year is not in the line: accept 29 February in any year. */
	if (r->day < 1 || r->day > (r->month == 2 ? 29 : month_days(2001, r->month)))
		return fail(c, p - 1, ERR_MALFORMED, "day of month out of range");
	if (p >= c->end || *p != ' ')
		return fail(c, p, ERR_MALFORMED, "bad timestamp");
	c->p = p + 1;
	if ((rc = parse_hms(c, r)) != 0)
		return rc;
	r->ts_form = MAILLOG_TS_SYSLOG;
	r->year = clock_peek(clock, r->month);
	r->time_us = ((days_from_civil(r->year, r->month, r->day) * 86400 +
	    r->hour * 3600 + r->minute * 60 + r->second) - clock->utc_offset_s) *
	    1000000 + r->usec;
	return 0;
}

/* RFC 3339: 2026-11-30T00:00:01[.123456](Z|+01:00|+0100). */
static int
parse_ts_iso(struct cur *c, struct maillog_rec *r, const struct maillog_clock *clock)
{
	const char *p = c->p;
	int64_t off = clock->utc_offset_s;
	int oh, om, rc;
	char sign;

	if (!digits_n(p, c->end, 4, &r->year) || c->end - p < 11 || p[4] != '-' ||
	    !digits_n(p + 5, c->end, 2, &r->month) || p[7] != '-' ||
	    !digits_n(p + 8, c->end, 2, &r->day) || p[10] != 'T')
		return fail(c, p, ERR_MALFORMED, "bad ISO 8601 date");
	if (r->year < MAILLOG_YEAR_MIN || r->month < 1 || r->month > 12 ||
	    r->day < 1 || r->day > month_days(r->year, r->month))
		return fail(c, p, ERR_MALFORMED, "ISO 8601 date out of range");
	c->p = p + 11;
	if ((rc = parse_hms(c, r)) != 0)
		return rc;
	p = c->p;
	if (p < c->end && *p == 'Z') {
		off = 0;
		p++;
	} else if (p < c->end && (*p == '+' || *p == '-')) {
		sign = *p;
		if (!digits_n(p + 1, c->end, 2, &oh))
			return fail(c, p, ERR_MALFORMED, "bad zone offset");
		if (c->end - p >= 6 && p[3] == ':' && digits_n(p + 4, c->end, 2, &om))
			p += 6;
		else if (digits_n(p + 3, c->end, 2, &om))
			p += 5;
		else
			return fail(c, p, ERR_MALFORMED, "bad zone offset");
		if (oh > 23 || om > 59)
			return fail(c, p, ERR_MALFORMED, "zone offset out of range");
		off = (int64_t)(oh * 3600 + om * 60) * (sign == '-' ? -1 : 1);
	}
	c->p = p;
	r->ts_form = MAILLOG_TS_ISO;
	r->time_us = ((days_from_civil(r->year, r->month, r->day) * 86400 +
	    r->hour * 3600 + r->minute * 60 + r->second) - off) * 1000000 + r->usec;
	return 0;
}

static bool
is_tag_end(const char *p, const char *end)
{
	return p + 1 == end || p[1] == ' ';
}

/* "program[pid]:" or "program:", followed by " " or the end. */
static int
parse_tag(struct cur *c, struct maillog_rec *r)
{
	const char *p = c->p, *start = p, *slash = NULL;
	uint64_t pid;

	while (p < c->end && *p != '[' && *p != ':' && *p != ' ') {
		if (*p == '/')
			slash = p;
		p++;
	}
	if (p == start || p >= c->end || *p == ' ')
		return fail(c, p, ERR_MALFORMED, "no program tag");
	set_str(&r->program, start, (size_t)(p - start));
	if (*p == '[') {
		const char *q = ++p;

		while (p < c->end && is_digit(*p))
			p++;
		if (p >= c->end || *p != ']' || !parse_u64(q, (size_t)(p - q), 9999999999ull, &pid))
			return fail(c, q, ERR_MALFORMED, "bad pid in program tag");
		r->pid = (int64_t)pid;
		p++;
	}
	if (p >= c->end || *p != ':' || !is_tag_end(p, c->end))
		return fail(c, p, ERR_MALFORMED, "program tag does not end with ':'");
	c->p = p + 1 < c->end ? p + 2 : p + 1;
	if (slash) {
		set_str(&r->syslog_name, start, (size_t)(slash - start));
		set_str(&r->daemon, slash + 1, r->program.len - r->syslog_name.len - 1);
	} else {
		r->syslog_name = r->program;
		r->daemon = r->program;
	}
	r->is_postfix = r->syslog_name.len >= 7 && memcmp(start, "postfix", 7) == 0;
	return 0;
}

/* One space-delimited token at c->p (not empty), then skip one space. */
static bool
token(struct cur *c, struct maillog_str *out)
{
	const char *p = c->p;

	while (p < c->end && *p != ' ')
		p++;
	if (p == c->p || p >= c->end)
		return false;
	set_str(out, c->p, (size_t)(p - c->p));
	c->p = p + 1;
	return true;
}

/* RFC 5424 after the timestamp: HOST APP PROCID MSGID SD [MSG]. */
static int
parse_5424_rest(struct cur *c, struct maillog_rec *r)
{
	struct maillog_str app, procid, msgid;
	const char *p, *slash;
	uint64_t pid;

	if (c->p >= c->end || *c->p != ' ')
		return fail(c, c->p, ERR_MALFORMED, "bad RFC 5424 header");
	c->p++;
	if (!token(c, &r->host) || !token(c, &app) || !token(c, &procid) ||
	    !token(c, &msgid))
		return fail(c, c->p, ERR_MALFORMED, "truncated RFC 5424 header");
	if (maillog_str_eq(&r->host, "-"))
		r->host.ptr = NULL, r->host.len = 0;
	r->program = app;
	if (!(procid.len == 1 && procid.ptr[0] == '-')) {
		if (!parse_u64(procid.ptr, procid.len, 9999999999ull, &pid))
			return fail(c, procid.ptr, ERR_MALFORMED, "bad RFC 5424 PROCID");
		r->pid = (int64_t)pid;
	}
	p = c->p;
	if (p < c->end && *p == '-') {
		p++;
	} else {
		/* Structured data: [id param="value"...]...; \" \\ \] escapes. */
		while (p < c->end && *p == '[') {
			bool quoted = false;

			for (p++; p < c->end; p++) {
				if (quoted && *p == '\\' && p + 1 < c->end)
					p++;
				else if (*p == '"')
					quoted = !quoted;
				else if (!quoted && *p == ']')
					break;
			}
			if (p >= c->end)
				return fail(c, p, ERR_MALFORMED,
				    "unterminated RFC 5424 structured data");
			p++;
		}
		if (p == c->p)
			return fail(c, p, ERR_MALFORMED, "bad RFC 5424 structured data");
	}
	if (p < c->end && *p != ' ')
		return fail(c, p, ERR_MALFORMED, "bad RFC 5424 structured data");
	if (p < c->end)
		p++;
	if (c->end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	c->p = p;
	for (slash = NULL, p = app.ptr; p < app.ptr + app.len; p++)
		if (*p == '/')
			slash = p;
	if (slash) {
		set_str(&r->syslog_name, app.ptr, (size_t)(slash - app.ptr));
		set_str(&r->daemon, slash + 1, app.len - r->syslog_name.len - 1);
	} else {
		r->syslog_name = app;
		r->daemon = app;
	}
	r->is_postfix = r->syslog_name.len >= 7 && memcmp(app.ptr, "postfix", 7) == 0;
	return 0;
}

/* The header: [<PRI>][1 ]TIMESTAMP [HOST ]TAG: */
static int
parse_header(struct cur *c, struct maillog_rec *r, const struct maillog_clock *clock)
{
	bool rfc5424 = false;
	struct maillog_str tok;
	uint64_t pri;
	const char *p = c->p;
	int rc;

	if (p < c->end && *p == '<') {
		const char *q = ++p;

		while (p < c->end && is_digit(*p))
			p++;
		if (p >= c->end || *p != '>' || !parse_u64(q, (size_t)(p - q), 191, &pri) ||
		    p - q > 3)
			return fail(c, q, ERR_MALFORMED, "bad syslog priority");
		p++;
		if (c->end - p >= 2 && p[0] == '1' && p[1] == ' ') {
			rfc5424 = true;
			p += 2;
		}
	}
	c->p = p;
	if (p < c->end && is_digit(*p))
		rc = parse_ts_iso(c, r, clock);
	else if (rfc5424)
		return fail(c, p, ERR_MALFORMED, "no RFC 5424 timestamp");
	else
		rc = parse_ts_syslog(c, r, clock);
	if (rc != 0)
		return rc;
	if (rfc5424)
		return parse_5424_rest(c, r);
	if (c->p >= c->end || *c->p != ' ')
		return fail(c, c->p, ERR_MALFORMED, "nothing after the timestamp");
	c->p++;
	/* A host, unless the next word is already the tag (glibc syslog(3)). */
	p = c->p;
	while (p < c->end && *p != ' ')
		p++;
	tok.ptr = c->p;
	tok.len = (size_t)(p - c->p);
	if (!(tok.len >= 2 && tok.ptr[tok.len - 1] == ':' &&
	    (tok.ptr[tok.len - 2] == ']' || memchr(tok.ptr, '/', tok.len) != NULL))) {
		if (tok.len == 0 || p >= c->end)
			return fail(c, p, ERR_MALFORMED, "no host or program tag");
		r->host = tok;
		c->p = p + 1;
	}
	return parse_tag(c, r);
}

static bool
is_short_qid(const char *p, size_t len)
{
	size_t i;

	if (len < 6 || len > MAILLOG_QID_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!is_digit(p[i]) && !(p[i] >= 'A' && p[i] <= 'F'))
			return false;
	return true;
}

static bool
is_long_qid(const char *p, size_t len)
{
	size_t i, sep = len;

	if (len < 12 || len > MAILLOG_QID_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] == '\0' || strchr(qid_alphabet, p[i]) == NULL)
			return false;
		if (p[i] == 'z')
			sep = i;
	}
	/* Time: six or more base-52 characters and exactly four. */
	return sep >= 10 && sep + 1 < len;
}

bool
maillog_is_qid(const char *p, size_t len)
{
	return p != NULL && (is_short_qid(p, len) || is_long_qid(p, len));
}

/* One "key=value" of a ", "-separated list. */
struct kv {
	struct maillog_str key, val;
};

static bool
is_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || ch == '_' || is_digit(ch);
}

/* Does ", key=" start at p? */
static bool
at_next_key(const char *p, const char *end)
{
	const char *q;

	if (end - p < 3 || p[0] != ',' || p[1] != ' ')
		return false;
	for (q = p + 2; q < end && is_key_char(*q); q++)
		;
	return q > p + 2 && q < end && *q == '=';
}

/*
 * Split the next pair.  "status" takes the rest of the line; a value in
 * angle brackets ends at a '>' before ", " or the end; any other value
 * at the next ", key=".  Returns 0, 1 at the end, or an error.
 */
static int
next_kv(struct cur *c, struct kv *kv)
{
	const char *p = c->p, *k = p, *v;

	if (p >= c->end)
		return 1;
	while (p < c->end && is_key_char(*p))
		p++;
	if (p == k || p >= c->end || *p != '=')
		return fail(c, p, ERR_MALFORMED, "expected name=value");
	set_str(&kv->key, k, (size_t)(p - k));
	v = ++p;
	if (maillog_str_eq(&kv->key, "status")) {
		p = c->end;
	} else if (p < c->end && *p == '<') {
		for (p++; p < c->end; p++)
			if (*p == '>' && (p + 1 == c->end || at_next_key(p + 1, c->end) ||
			    p[1] == ' ' || p[1] == ','))
				break;
		if (p >= c->end)
			return fail(c, v, ERR_MALFORMED, "unterminated <address>");
		p++;
	} else {
		while (p < c->end && !at_next_key(p, c->end))
			p++;
	}
	set_str(&kv->val, v, (size_t)(p - v));
	if (p < c->end) {
		if (!at_next_key(p, c->end))
			return fail(c, p, ERR_MALFORMED, "expected \", \" between fields");
		p += 2;
	}
	c->p = p;
	return 0;
}

/* "<addr>" into out without the brackets. */
static int
angle(struct cur *c, const struct kv *kv, struct maillog_str *out)
{
	if (kv->val.len < 2 || kv->val.ptr[0] != '<' || kv->val.ptr[kv->val.len - 1] != '>')
		return fail(c, kv->val.ptr, ERR_MALFORMED, "address not in <>");
	set_str(out, kv->val.ptr + 1, kv->val.len - 2);
	return 0;
}

/* "host[addr]" or "host[addr]:port"; "unknown" as address is allowed. */
static int
host_addr(struct cur *c, const char *p, size_t len, struct maillog_rec *r)
{
	const char *end = p + len, *lb, *rb;

	lb = memchr(p, '[', len);
	if (lb == NULL || (rb = memchr(lb, ']', (size_t)(end - lb))) == NULL)
		return fail(c, p, ERR_MALFORMED, "client not in host[address] form");
	if (rb + 1 < end) {
		uint64_t port;

		if (rb[1] != ':' || !parse_u64(rb + 2, (size_t)(end - rb - 2), 65535, &port))
			return fail(c, rb + 1, ERR_MALFORMED, "junk after client [address]");
	}
	set_str(&r->client_host, p, (size_t)(lb - p));
	set_str(&r->client_addr, lb + 1, (size_t)(rb - lb - 1));
	if (maillog_str_eq(&r->client_addr, "unknown"))
		return 0;
	if (ipaddr_parse(lb + 1, (size_t)(rb - lb - 1), &r->addr) != 0)
		return fail(c, lb + 1, ERR_MALFORMED, "bad client address");
	r->has_addr = true;
	return 0;
}

static int
parse_client(struct cur *c, struct maillog_rec *r)
{
	struct kv kv;
	int rc;

	while ((rc = next_kv(c, &kv)) == 0) {
		if (maillog_str_eq(&kv.key, "client")) {
			if ((rc = host_addr(c, kv.val.ptr, kv.val.len, r)) != 0)
				return rc;
		} else if (maillog_str_eq(&kv.key, "sasl_method")) {
			r->sasl_method = kv.val;
		} else if (maillog_str_eq(&kv.key, "sasl_username")) {
			r->sasl_username = kv.val;
		} else if (maillog_str_eq(&kv.key, "sasl_sender")) {
			r->sasl_sender = kv.val;
		}
	}
	if (rc < 0)
		return rc;
	if (r->client_addr.ptr == NULL)
		return fail(c, c->p, ERR_MALFORMED, "no client=");
	r->ev = MAILLOG_EV_CLIENT;
	return 0;
}

/* "d.ddd.ddd" with class 2, 4 or 5 (RFC 3463). */
static bool
valid_dsn(const char *p, size_t len)
{
	size_t i = 2, n;

	if (len < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
		return false;
	for (n = 0; i < len && is_digit(p[i]); i++)
		n++;
	if (n < 1 || n > 3 || i >= len || p[i] != '.')
		return false;
	for (n = 0, i++; i < len && is_digit(p[i]); i++)
		n++;
	return n >= 1 && n <= 3 && i == len;
}

static int
parse_status(struct cur *c, const struct kv *kv, struct maillog_rec *r)
{
	static const char *const words[] = {
		"", "sent", "bounced", "deferred", "expired", "deliverable", "undeliverable"
	};
	const char *p = kv->val.ptr, *end = p + kv->val.len, *w = p;
	size_t i;

	while (p < end && *p != ' ' && *p != ',')
		p++;
	if (p == w)
		return fail(c, w, ERR_MALFORMED, "empty status=");
	set_str(&r->status_word, w, (size_t)(p - w));
	r->status = MAILLOG_STATUS_OTHER;
	for (i = 1; i < sizeof(words) / sizeof(words[0]); i++)
		if (maillog_str_eq(&r->status_word, words[i]))
			r->status = (enum maillog_status)i;
	if (p < end && *p == ',' && p + 1 < end && p[1] == ' ') {
		set_str(&r->status_text, p + 2, (size_t)(end - p - 2));
	} else if (end - p >= 3 && p[0] == ' ' && p[1] == '(' && end[-1] == ')') {
		set_str(&r->status_text, p + 2, (size_t)(end - p - 3));
	} else if (p < end) {
		return fail(c, p, ERR_MALFORMED, "junk after status word");
	}
	return 0;
}

/* qmgr "from=<S>, size=N, nrcpt=N (queue active)" and expiry lines. */
static int
parse_from(struct cur *c, struct maillog_rec *r)
{
	struct kv kv;
	uint64_t v;
	int rc;

	while ((rc = next_kv(c, &kv)) == 0) {
		if (maillog_str_eq(&kv.key, "from")) {
			if ((rc = angle(c, &kv, &r->from)) != 0)
				return rc;
		} else if (maillog_str_eq(&kv.key, "size")) {
			if (!parse_u64(kv.val.ptr, kv.val.len, UINT64_MAX, &r->size))
				return fail(c, kv.val.ptr, ERR_MALFORMED, "bad size=");
			r->has_size = true;
		} else if (maillog_str_eq(&kv.key, "nrcpt")) {
			const char *sp = memchr(kv.val.ptr, ' ', kv.val.len);
			size_t n = sp ? (size_t)(sp - kv.val.ptr) : kv.val.len;

			if (!parse_u64(kv.val.ptr, n, UINT32_MAX, &v) ||
			    (sp && (kv.val.len - n < 3 || sp[1] != '(' ||
			    kv.val.ptr[kv.val.len - 1] != ')')))
				return fail(c, kv.val.ptr, ERR_MALFORMED, "bad nrcpt=");
			r->nrcpt = (uint32_t)v;
			r->has_nrcpt = true;
		} else if (maillog_str_eq(&kv.key, "status")) {
			if ((rc = parse_status(c, &kv, r)) != 0)
				return rc;
		}
	}
	if (rc < 0)
		return rc;
	r->ev = MAILLOG_EV_FROM;
	return 0;
}

/* "12", "0.4", "0.01": seconds into milliseconds. */
static bool
parse_delay(const char *p, size_t len, uint64_t *ms)
{
	const char *dot = memchr(p, '.', len);
	size_t ilen = dot ? (size_t)(dot - p) : len, i;
	uint64_t s, frac = 0, scale = 100;

	if (!parse_u64(p, ilen, 1000000000000ull, &s))
		return false;
	if (dot) {
		if (ilen + 1 == len)
			return false;
		for (i = ilen + 1; i < len; i++) {
			if (!is_digit(p[i]))
				return false;
			frac += (uint64_t)(p[i] - '0') * scale;
			scale /= 10;
		}
	}
	*ms = s * 1000 + frac;
	return true;
}

static int
parse_delivery(struct cur *c, struct maillog_rec *r)
{
	struct kv kv;
	int rc;

	while ((rc = next_kv(c, &kv)) == 0) {
		if (maillog_str_eq(&kv.key, "to")) {
			if ((rc = angle(c, &kv, &r->to)) != 0)
				return rc;
		} else if (maillog_str_eq(&kv.key, "orig_to")) {
			if ((rc = angle(c, &kv, &r->orig_to)) != 0)
				return rc;
		} else if (maillog_str_eq(&kv.key, "relay")) {
			r->relay = kv.val;
		} else if (maillog_str_eq(&kv.key, "delay")) {
			if (!parse_delay(kv.val.ptr, kv.val.len, &r->delay_ms))
				return fail(c, kv.val.ptr, ERR_MALFORMED, "bad delay=");
			r->has_delay = true;
		} else if (maillog_str_eq(&kv.key, "delays")) {
			r->delays = kv.val;
		} else if (maillog_str_eq(&kv.key, "dsn")) {
			if (!valid_dsn(kv.val.ptr, kv.val.len))
				return fail(c, kv.val.ptr, ERR_MALFORMED, "bad dsn=");
			r->dsn = kv.val;
			r->dsn_class = kv.val.ptr[0] - '0';
		} else if (maillog_str_eq(&kv.key, "status")) {
			if ((rc = parse_status(c, &kv, r)) != 0)
				return rc;
		}
	}
	if (rc < 0)
		return rc;
	if (r->status == MAILLOG_STATUS_NONE)
		return fail(c, c->end, ERR_MALFORMED, "delivery without status=");
	r->ev = MAILLOG_EV_DELIVERY;
	return 0;
}

/* "sender non-delivery notification: NEWQID" (bounce). */
static int
parse_notify(struct cur *c, struct maillog_rec *r, const char *colon)
{
	const char *q = colon + 2;

	if (!is_short_qid(q, (size_t)(c->end - q)) && !is_long_qid(q, (size_t)(c->end - q)))
		return fail(c, q, ERR_MALFORMED, "bad queue ID of the notification");
	set_str(&r->notify_kind, c->p, (size_t)(colon - c->p));
	set_str(&r->notify_queue_id, q, (size_t)(c->end - q));
	r->ev = MAILLOG_EV_NOTIFY;
	return 0;
}

/* The last occurrence of needle in [p, end). */
static const char *
find_last(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	const char *q;

	if ((size_t)(end - p) < n)
		return NULL;
	for (q = end - n; q >= p; q--) {
		if (memcmp(q, needle, n) == 0)
			return q;
		if (q == p)
			break;
	}
	return NULL;
}

/* "<value>" at c->p (after "name=") up to a '>' before ' ', ',', ':' or the end. */
static int
env_angle(struct cur *c, struct maillog_str *out)
{
	const char *p = c->p, *v;

	if (p >= c->end || *p != '<')
		return fail(c, p, ERR_MALFORMED, "envelope address not in <>");
	for (v = ++p; p < c->end; p++)
		if (*p == '>' && (p + 1 == c->end || p[1] == ' ' || p[1] == ',' ||
		    p[1] == ':'))
			break;
	if (p >= c->end)
		return fail(c, v, ERR_MALFORMED, "unterminated <address>");
	set_str(out, v, (size_t)(p - v));
	c->p = p + 1;
	return 0;
}

/*
 * The envelope after the reply: "from=<S> to=<R> proto=P helo=<H>", each
 * optional (a CONNECT-stage reject has none), separated by " " (smtpd)
 * or ", " (postscreen); cleanup appends ": TEXT", returned in *trailing.
 */
static int
parse_envelope(struct cur *c, struct maillog_rec *r, struct maillog_str *trailing)
{
	int rc;

	while (c->p < c->end) {
		const char *p = c->p, *v;

		rc = 0;
		if (*p == ',' || *p == ' ') {
			c->p++;
			continue;
		}
		if (*p == ':' && p + 1 < c->end && p[1] == ' ') {
			set_str(trailing, p + 2, (size_t)(c->end - p - 2));
			c->p = c->end;
			break;
		}
		if (has_prefix(p, c->end, "from=<")) {
			c->p += 5;
			rc = env_angle(c, &r->from);
		} else if (has_prefix(p, c->end, "to=<")) {
			c->p += 3;
			rc = env_angle(c, &r->to);
		} else if (has_prefix(p, c->end, "helo=<")) {
			c->p += 5;
			rc = env_angle(c, &r->helo);
		} else {
			while (p < c->end && *p != ' ' && *p != ',' && *p != ':')
				p++;
			v = memchr(c->p, '=', (size_t)(p - c->p));
			if (v == NULL || v == c->p)
				return fail(c, c->p, ERR_MALFORMED, "junk in envelope fields");
			if (has_prefix(c->p, c->end, "proto="))
				set_str(&r->proto, v + 1, (size_t)(p - v - 1));
			c->p = p;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Where the envelope starts: the last ';' followed by " from=<", " to=<",
 * " proto=", " helo=<" or the end of the line (the reply text itself may
 * hold "; ").  NULL when there is none.
 */
static const char *
find_envelope(const char *p, const char *end)
{
	static const char *const keys[] = { " from=<", " to=<", " proto=", " helo=<" };
	const char *q;
	size_t i;

	for (q = end; q > p; q--) {
		if (q[-1] != ';')
			continue;
		if (q == end)
			return q - 1;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (has_prefix(q, end, keys[i]))
				return q - 1;
	}
	return NULL;
}

/* The SMTP reply "450 4.7.1 text" or "5.7.1 text" (milter). */
static void
parse_reply(struct maillog_rec *r)
{
	const char *p = r->reply.ptr, *end = p + r->reply.len, *d;
	uint64_t code;

	if (p == NULL)
		return;
	if (end - p >= 4 && parse_u64(p, 3, 999, &code) && p[3] == ' ' && p[0] >= '2' &&
	    p[0] <= '5') {
		r->reply_code = (int)code;
		p += 4;
	}
	for (d = p; d < end && *d != ' '; d++)
		;
	if (valid_dsn(p, (size_t)(d - p)))
		set_str(&r->reply_dsn, p, (size_t)(d - p));
}

/*
 * reject|milter-reject|hold|discard, in smtpd's form
 *   STAGE from HOST[ADDR]: REPLY; from=<S> to=<R> proto=P helo=<H>
 * or cleanup's
 *   header NAME: VALUE from HOST[ADDR]; from=<S> to=<R> proto=P helo=<H>: TEXT
 */
static int
parse_action(struct cur *c, struct maillog_rec *r, const char *colon)
{
	struct maillog_str trailing = { NULL, 0 };
	const char *p, *pre_end, *from, *lb, *d;
	int rc;

	set_str(&r->action, c->p, (size_t)(colon - c->p));
	if (has_prefix(c->p, c->end, "hold") || has_prefix(c->p, c->end, "milter-hold"))
		r->ev = MAILLOG_EV_HOLD;
	else if (has_prefix(c->p, c->end, "discard") || has_prefix(c->p, c->end, "milter-discard"))
		r->ev = MAILLOG_EV_DISCARD;
	else
		r->ev = MAILLOG_EV_REJECT;
	c->p = colon + 2;
	if ((pre_end = find_envelope(c->p, c->end)) == NULL)
		return fail(c, c->p, ERR_MALFORMED,
		    "no envelope (\"; from=<...>\") in a reject/hold line");
	for (p = c->p; p < pre_end && *p != ' '; p++)
		;
	if (p == c->p || p >= pre_end)
		return fail(c, p, ERR_MALFORMED, "no stage in a reject/hold line");
	set_str(&r->stage, c->p, (size_t)(p - c->p));
	if (pre_end - p > 6 && memcmp(p, " from ", 6) == 0) {
		const char *h = p + 6, *sep = NULL;

		for (lb = h; lb < pre_end && *lb != '['; lb++)
			;
		for (p = lb; p + 1 < pre_end; p++)
			if (p[0] == ':' && p[1] == ' ') {
				sep = p;
				break;
			}
		if (lb >= pre_end || sep == NULL)
			return fail(c, h, ERR_MALFORMED, "no client in a reject/hold line");
		if ((rc = host_addr(c, h, (size_t)(sep - h), r)) != 0)
			return rc;
		set_str(&r->reply, sep + 2, (size_t)(pre_end - sep - 2));
	} else {
		if ((from = find_last(p, pre_end, " from ")) == NULL)
			return fail(c, p, ERR_MALFORMED, "no client in a reject/hold line");
		if ((rc = host_addr(c, from + 6, (size_t)(pre_end - from - 6), r)) != 0)
			return rc;
		d = p + 1 < from ? p + 1 : from;
		set_str(&r->detail, d, (size_t)(from - d));
	}
	c->p = pre_end + 1;
	if ((rc = parse_envelope(c, r, &trailing)) != 0)
		return rc;
	if (trailing.ptr != NULL)
		r->reply = trailing;
	parse_reply(r);
	return 0;
}

/* What follows "QID: " or "NOQUEUE: ". */
static int
parse_event(struct cur *c, struct maillog_rec *r)
{
	const char *p = c->p, *colon;

	set_str(&r->text, p, (size_t)(c->end - p));
	if (has_prefix(p, c->end, "client="))
		return parse_client(c, r);
	if (has_prefix(p, c->end, "message-id=")) {
		const char *v = p + 11;
		size_t n = (size_t)(c->end - v);

		if (n >= 2 && v[0] == '<' && v[n - 1] == '>')
			set_str(&r->message_id, v + 1, n - 2);
		else
			set_str(&r->message_id, v, n);
		r->ev = MAILLOG_EV_MESSAGE_ID;
		return 0;
	}
	if (has_prefix(p, c->end, "from=<"))
		return parse_from(c, r);
	if (has_prefix(p, c->end, "to=<"))
		return parse_delivery(c, r);
	if (maillog_str_eq(&r->text, "removed")) {
		r->ev = MAILLOG_EV_REMOVED;
		return 0;
	}
	if (maillog_str_eq(&r->text, "placed on hold")) {
		r->ev = MAILLOG_EV_HELD;
		return 0;
	}
	if (maillog_str_eq(&r->text, "released from hold")) {
		r->ev = MAILLOG_EV_RELEASED;
		return 0;
	}
	for (colon = p; colon + 1 < c->end; colon++)
		if (colon[0] == ':' && colon[1] == ' ')
			break;
	if (colon + 1 >= c->end)
		return 0;
	if (colon - p >= 13 && memcmp(colon - 13, " notification", 13) == 0)
		return parse_notify(c, r, colon);
	r->action.ptr = p;
	r->action.len = (size_t)(colon - p);
	if (maillog_str_eq(&r->action, "reject") || maillog_str_eq(&r->action, "milter-reject") ||
	    maillog_str_eq(&r->action, "hold") || maillog_str_eq(&r->action, "milter-hold") ||
	    maillog_str_eq(&r->action, "discard") || maillog_str_eq(&r->action, "milter-discard"))
		return parse_action(c, r, colon);
	r->action.ptr = NULL;
	r->action.len = 0;
	return 0;
}

int
maillog_parse(const char *line, size_t len, struct maillog_clock *clock,
    struct maillog_rec *out, struct maillog_err *err)
{
	struct cur c;
	const char *p;
	int rc;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	memset(out, 0, sizeof(*out));
	out->pid = -1;
	c.s = line;
	c.p = line;
	c.end = line + len;
	c.err = err;
	if (len > MAILLOG_LINE_MAX)
		return fail(&c, line + MAILLOG_LINE_MAX, ERR_TOOBIG, "line exceeds 65536 bytes");
	if ((p = memchr(line, '\0', len)) != NULL)
		return fail(&c, p, ERR_MALFORMED, "NUL byte in line");
	if ((rc = parse_header(&c, out, clock)) != 0)
		return rc;
	set_str(&out->message, c.p, (size_t)(c.end - c.p));
	if (!out->is_postfix)
		return 0;
	/* "QID: " or "NOQUEUE: " */
	for (p = c.p; p < c.end && *p != ':' && *p != ' '; p++)
		;
	if (p + 1 < c.end && p[0] == ':' && p[1] == ' ') {
		size_t n = (size_t)(p - c.p);

		if (n == 7 && memcmp(c.p, "NOQUEUE", 7) == 0) {
			out->noqueue = true;
		} else if (is_short_qid(c.p, n)) {
			out->qid_form = MAILLOG_QID_SHORT;
		} else if (is_long_qid(c.p, n)) {
			out->qid_form = MAILLOG_QID_LONG;
		} else {
			set_str(&out->text, c.p, (size_t)(c.end - c.p));
			goto done;
		}
		if (!out->noqueue)
			set_str(&out->queue_id, c.p, n);
		c.p = p + 2;
		if ((rc = parse_event(&c, out)) != 0)
			return rc;
	} else {
		set_str(&out->text, c.p, (size_t)(c.end - c.p));
	}
done:
	if (out->ts_form == MAILLOG_TS_SYSLOG)
		maillog_clock_year(clock, out->month);
	return 0;
}

const char *
maillog_event_name(enum maillog_event ev)
{
	static const char *const names[] = {
		"other", "client", "message-id", "from", "delivery", "notify",
		"removed", "hold", "reject", "discard", "held", "released"
	};

	return (size_t)ev < sizeof(names) / sizeof(names[0]) ? names[ev] : "other";
}

const char *
maillog_status_name(enum maillog_status status)
{
	static const char *const names[] = {
		"none", "sent", "bounced", "deferred", "expired", "deliverable",
		"undeliverable", "other"
	};

	return (size_t)status < sizeof(names) / sizeof(names[0]) ? names[status] : "other";
}

bool
maillog_str_eq(const struct maillog_str *s, const char *want)
{
	size_t n = strlen(want);

	return s->ptr != NULL && s->len == n && memcmp(s->ptr, want, n) == 0;
}
