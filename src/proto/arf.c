/*
 * arf.c - abuse reports (RFC 5965) in, struct arf_report out (arf.h).
 *
 * Hand-written: Debian's MIME libraries (gmime, mimetic) would bring a
 * GLib or C++ runtime into a C daemon for the three things needed here:
 * header unfolding, a multipart split on one boundary, and base64 /
 * quoted-printable decoding.  The parser never recurses (a report is one
 * level of parts), reads each byte a bounded number of times, and keeps
 * what it extracts in chunks owned by the report (struct arf_chunk), so
 * the caller frees one thing.
 *
 * Limits (arf.h): message 1 MiB, header line 8 KiB, kept field 64 KiB,
 * 16 parts, 100 values of a list, 100 Received: fields.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"
#include "lib/xmalloc.h"
#include "proto/arf.h"

#define CHUNK_MIN (64u << 10)
#define BOUNDARY_MAX 200	/* RFC 2046 says 70; be generous */

struct arf_chunk {
	struct arf_chunk *next;
	size_t used, cap;
	char data[];
};

struct parse {
	const char *base;		/* the message, for offsets */
	size_t len;
	size_t part_off;		/* offset of the part being decoded */
	struct arf_report *r;
	struct arf_err *err;
};

/* A cursor over lines. */
struct lines {
	const char *p, *end;
};

/* One header field: the raw value spans its continuation lines. */
struct field {
	const char *name;
	size_t name_len;
	const char *v, *vend;
};

/* A part of the multipart body. */
struct part {
	const char *start, *end;
};

static int
fail(struct parse *ps, const char *at, int code, const char *reason)
{
	/* Inside a decoded part (report memory): the part's offset. */
	if (at != NULL && at >= ps->base && at <= ps->base + ps->len)
		ps->err->offset = (size_t)(at - ps->base);
	else
		ps->err->offset = ps->part_off;
	ps->err->reason = reason;
	return code;
}

static void *
mem_alloc(struct parse *ps, size_t size)
{
	struct arf_chunk *c = ps->r->mem;
	size_t need = (size + 7) & ~(size_t)7;

	if (c == NULL || c->cap - c->used < need) {
		size_t cap = need > CHUNK_MIN ? need : CHUNK_MIN;

		if ((c = xmalloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->next = ps->r->mem;
		c->used = 0;
		c->cap = cap;
		ps->r->mem = c;
	}
	c->used += need;
	return c->data + c->used - need;
}

static bool
is_wsp(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* The next physical line; limit: check its length (header lines). */
static int
next_line(struct parse *ps, struct lines *l, const char **ls, const char **le, bool limit)
{
	const char *nl;

	if (l->p >= l->end)
		return 1;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	*ls = l->p;
	*le = nl ? nl : l->end;
	if (*le > *ls && (*le)[-1] == '\r')
		(*le)--;
	if (limit && *le - *ls > ARF_LINE_MAX)
		return fail(ps, *ls + ARF_LINE_MAX, ERR_TOOBIG, "header line exceeds 8192 bytes");
	l->p = nl ? nl + 1 : l->end;
	return 0;
}

/*
 * The next field of a header block.  Returns 0, 1 at its end (an empty
 * line or the end of the input; the cursor is then after the empty
 * line), or an error.
 */
static int
next_field(struct parse *ps, struct lines *l, struct field *f)
{
	const char *ls, *le, *colon, *n;
	int rc;

	if ((rc = next_line(ps, l, &ls, &le, true)) != 0)
		return rc;
	if (ls == le)
		return 1;
	if (is_wsp(*ls))
		return fail(ps, ls, ERR_MALFORMED, "continuation line without a field");
	if ((colon = memchr(ls, ':', (size_t)(le - ls))) == NULL)
		return fail(ps, ls, ERR_MALFORMED, "header line without a colon");
	for (n = colon; n > ls && is_wsp(n[-1]); n--)
		;
	if (n == ls)
		return fail(ps, ls, ERR_MALFORMED, "header field without a name");
	f->name = ls;
	f->name_len = (size_t)(n - ls);
	f->v = colon + 1;
	f->vend = le;
	/* Continuation lines. */
	while (l->p < l->end && is_wsp(*l->p)) {
		if ((rc = next_line(ps, l, &ls, &le, true)) != 0)
			return rc;
		f->vend = le;
	}
	return 0;
}

static bool
name_is(const struct field *f, const char *name)
{
	return f->name_len == strlen(name) && strncasecmp(f->name, name, f->name_len) == 0;
}

/* Unfold and trim [v, vend) into a new string. */
static int
unfold(struct parse *ps, const char *v, const char *vend, const char **out)
{
	size_t n = 0;
	const char *p;
	char *s;

	while (v < vend && (is_wsp(*v) || *v == '\r' || *v == '\n'))
		v++;
	while (vend > v && (is_wsp(vend[-1]) || vend[-1] == '\r' || vend[-1] == '\n'))
		vend--;
	if ((size_t)(vend - v) > ARF_FIELD_MAX)
		return fail(ps, v, ERR_TOOBIG, "header field exceeds 65536 bytes");
	if ((s = mem_alloc(ps, (size_t)(vend - v) + 1)) == NULL)
		return fail(ps, v, ERR_NOMEM, "out of memory");
	for (p = v; p < vend; p++)
		if (*p != '\r' && *p != '\n')
			s[n++] = *p;
	s[n] = '\0';
	*out = s;
	return 0;
}

static const char *
copy_str(struct parse *ps, const char *p, size_t len)
{
	char *s = mem_alloc(ps, len + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/* Skip white space and (nested, quoted) comments in a header value. */
static const char *
skip_cfws(const char *p)
{
	int depth = 0;

	for (; *p != '\0'; p++) {
		if (depth > 0 && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !is_wsp(*p))
			break;
	}
	return p;
}

/*
 * Content-Type: the lower-cased "type/subtype" into type, and the value
 * of parameter param (lower-cased name; the value as written) into val
 * when val is not NULL.  Returns false when the type is not there or a
 * value does not fit.
 */
static bool
content_type(const char *ct, char *type, size_t tcap, const char *param,
    char *val, size_t vcap, bool *found)
{
	const char *p = skip_cfws(ct);
	size_t n = 0;

	*found = false;
	while (*p != '\0' && *p != ';' && !is_wsp(*p) && *p != '(') {
		if (n + 1 >= tcap)
			return false;
		type[n++] = (char)tolower((unsigned char)*p++);
	}
	type[n] = '\0';
	if (strchr(type, '/') == NULL)
		return false;
	for (;;) {
		char name[64];
		size_t k = 0, m = 0;

		p = skip_cfws(p);
		if (*p != ';')
			return true;
		p = skip_cfws(p + 1);
		while (*p != '\0' && *p != '=' && *p != ';' && !is_wsp(*p)) {
			if (k + 1 < sizeof(name))
				name[k++] = (char)tolower((unsigned char)*p);
			p++;
		}
		name[k] = '\0';
		p = skip_cfws(p);
		if (*p != '=')
			continue;
		p = skip_cfws(p + 1);
		if (val != NULL && strcmp(name, param) == 0) {
			*found = true;
			if (*p == '"') {
				for (p++; *p != '\0' && *p != '"'; p++) {
					if (*p == '\\' && p[1] != '\0')
						p++;
					if (m + 1 >= vcap)
						return false;
					val[m++] = *p;
				}
				if (*p == '"')
					p++;
			} else {
				while (*p != '\0' && *p != ';' && !is_wsp(*p) && *p != '(') {
					if (m + 1 >= vcap)
						return false;
					val[m++] = *p++;
				}
			}
			val[m] = '\0';
		} else if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p == '"')
				p++;
		} else {
			while (*p != '\0' && *p != ';' && !is_wsp(*p) && *p != '(')
				p++;
		}
	}
}

static int
b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

static int
hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/*
 * Decode a part body by its Content-Transfer-Encoding into report
 * memory; 7bit, 8bit, binary and unknown encodings are used as they are.
 */
static int
decode(struct parse *ps, const char *cte, struct part *body)
{
	const char *p = body->start, *end = body->end;
	size_t n = 0;
	char *out;

	ps->part_off = (size_t)(p - ps->base);
	if (cte == NULL || (strcasecmp(cte, "base64") != 0 &&
	    strcasecmp(cte, "quoted-printable") != 0))
		return 0;
	if ((out = mem_alloc(ps, (size_t)(end - p) + 1)) == NULL)
		return fail(ps, p, ERR_NOMEM, "out of memory");
	if (strcasecmp(cte, "base64") == 0) {
		uint32_t acc = 0;
		int bits = 0, v;

		for (; p < end; p++) {
			if (*p == '=')
				break;
			if (*p == '\r' || *p == '\n' || is_wsp(*p))
				continue;
			if ((v = b64_value(*p)) < 0)
				return fail(ps, p, ERR_MALFORMED, "bad base64 in a part");
			acc = (acc << 6) | (uint32_t)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[n++] = (char)((acc >> bits) & 0xff);
			}
		}
	} else {
		while (p < end) {
			int hi, lo;

			if (*p != '=') {
				out[n++] = *p++;
			} else if (p + 1 < end && p[1] == '\n') {
				p += 2;
			} else if (p + 2 < end && p[1] == '\r' && p[2] == '\n') {
				p += 3;
			} else if (p + 2 < end && (hi = hex_value(p[1])) >= 0 &&
			    (lo = hex_value(p[2])) >= 0) {
				out[n++] = (char)(hi * 16 + lo);
				p += 3;
			} else {
				out[n++] = *p++;	/* RFC 2045 6.7 (1): leave it */
			}
		}
	}
	if (memchr(out, '\0', n) != NULL)
		return fail(ps, body->start, ERR_MALFORMED, "NUL byte in a decoded part");
	out[n] = '\0';
	body->start = out;
	body->end = out + n;
	return 0;
}

/* "<addr>" or "addr" without the brackets; NULL only when out of memory. */
static const char *
strip_angle(struct parse *ps, const char *s)
{
	const char *lt = strchr(s, '<'), *gt;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		return copy_str(ps, lt + 1, (size_t)(gt - lt - 1));
	return s;
}

static int
list_add(struct parse *ps, struct arf_strv *list, const char *v, const char *at)
{
	if (list->v == NULL &&
	    (list->v = mem_alloc(ps, ARF_LIST_MAX * sizeof(*list->v))) == NULL)
		return fail(ps, at, ERR_NOMEM, "out of memory");
	if (list->n >= ARF_LIST_MAX)
		return fail(ps, at, ERR_TOOBIG, "more than 100 values of a report field");
	list->v[list->n++] = v;
	return 0;
}

static const struct {
	const char *name;
	enum arf_feedback_type type;
} feedback_types[] = {
	{ "abuse", ARF_FT_ABUSE }, { "fraud", ARF_FT_FRAUD },
	{ "virus", ARF_FT_VIRUS }, { "other", ARF_FT_OTHER },
	{ "not-spam", ARF_FT_NOT_SPAM }, { "auth-failure", ARF_FT_AUTH_FAILURE },
};

/* The fields of the message/feedback-report part (RFC 5965 3.1-3.3). */
static int
parse_feedback(struct parse *ps, const struct part *body)
{
	struct arf_report *r = ps->r;
	struct lines l = { body->start, body->end };
	struct field f;
	const char *v;
	char *t;
	size_t i;
	int rc;

	while ((rc = next_field(ps, &l, &f)) == 0) {
		if ((rc = unfold(ps, f.v, f.vend, &v)) != 0)
			return rc;
		if ((name_is(&f, "Original-Mail-From") || name_is(&f, "Original-Rcpt-To")) &&
		    (v = strip_angle(ps, v)) == NULL)
			return fail(ps, f.name, ERR_NOMEM, "out of memory");
		if (name_is(&f, "Feedback-Type")) {
			if ((t = (char *)copy_str(ps, v, strlen(v))) == NULL)
				return fail(ps, f.name, ERR_NOMEM, "out of memory");
			for (i = 0; t[i] != '\0'; i++)
				t[i] = (char)tolower((unsigned char)t[i]);
			r->feedback_type_text = t;
			r->feedback_type = ARF_FT_UNKNOWN;
			for (i = 0; i < sizeof(feedback_types) / sizeof(feedback_types[0]); i++)
				if (strcmp(t, feedback_types[i].name) == 0)
					r->feedback_type = feedback_types[i].type;
		} else if (name_is(&f, "User-Agent")) {
			r->user_agent = v;
		} else if (name_is(&f, "Version")) {
			r->version = v;
		} else if (name_is(&f, "Source-IP")) {
			r->source_ip_text = v;
			r->has_source_ip = ipaddr_parse(v, strlen(v), &r->source_ip) == 0;
			if (!r->has_source_ip)
				r->warnings |= ARF_WARN_BAD_SOURCE_IP;
		} else if (name_is(&f, "Original-Mail-From")) {
			r->original_mail_from = v;
		} else if (name_is(&f, "Original-Envelope-Id")) {
			r->original_envelope_id = v;
		} else if (name_is(&f, "Arrival-Date") || name_is(&f, "Received-Date")) {
			r->arrival_date = v;
		} else if (name_is(&f, "Reporting-MTA")) {
			r->reporting_mta = v;
		} else if (name_is(&f, "Incidents")) {
			r->incidents = v;
		} else if (name_is(&f, "Original-Rcpt-To")) {
			rc = list_add(ps, &r->original_rcpt_to, v, f.name);
		} else if (name_is(&f, "Reported-Domain")) {
			rc = list_add(ps, &r->reported_domain, v, f.name);
		} else if (name_is(&f, "Reported-URI")) {
			rc = list_add(ps, &r->reported_uri, v, f.name);
		} else if (name_is(&f, "Authentication-Results")) {
			rc = list_add(ps, &r->authentication_results, v, f.name);
		}
		if (rc != 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (r->feedback_type_text == NULL)
		return fail(ps, body->start, ERR_MALFORMED,
		    "no Feedback-Type in the feedback report");
	if (r->user_agent == NULL)
		r->warnings |= ARF_WARN_NO_USER_AGENT;
	if (r->version == NULL)
		r->warnings |= ARF_WARN_NO_VERSION;
	else if (strcmp(r->version, "1") != 0)
		r->warnings |= ARF_WARN_BAD_VERSION;
	return 0;
}

/* One word (not empty) of a Received: value: up to white space, '(' or ';'. */
static const char *
received_word(struct parse *ps, const char **pp)
{
	const char *p = *pp, *s = p;

	while (*p != '\0' && !is_wsp(*p) && *p != '(' && *p != ';')
		p++;
	*pp = p;
	return p > s ? copy_str(ps, s, (size_t)(p - s)) : NULL;
}

/* A comment of the from clause: "(rdns [addr])", "(Authenticated sender: u)", "(helo=x)". */
static int
received_comment(struct parse *ps, struct arf_received *rc, const char *s, const char *e)
{
	const char *lb, *rb, *w;

	while (s < e && is_wsp(*s))
		s++;
	if ((size_t)(e - s) > 21 && strncasecmp(s, "Authenticated sender:", 21) == 0) {
		for (s += 21; s < e && is_wsp(*s); s++)
			;
		return (rc->auth_sender = copy_str(ps, s, (size_t)(e - s))) ? 0 : ERR_NOMEM;
	}
	if ((size_t)(e - s) > 5 && strncasecmp(s, "helo=", 5) == 0) {
		for (w = s + 5; w < e && !is_wsp(*w); w++)
			;
		return (rc->from_helo = copy_str(ps, s + 5, (size_t)(w - s - 5))) ? 0 : ERR_NOMEM;
	}
	lb = memchr(s, '[', (size_t)(e - s));
	if (lb == NULL || (rb = memchr(lb, ']', (size_t)(e - lb))) == NULL)
		return 0;
	for (w = s; w < lb && !is_wsp(*w); w++)
		;
	if (w > s && rc->from_rdns == NULL &&
	    (rc->from_rdns = copy_str(ps, s, (size_t)(w - s))) == NULL)
		return ERR_NOMEM;
	if ((rc->from_addr_text = copy_str(ps, lb + 1, (size_t)(rb - lb - 1))) == NULL)
		return ERR_NOMEM;
	rc->has_from_addr = ipaddr_parse(lb + 1, (size_t)(rb - lb - 1), &rc->from_addr) == 0;
	return 0;
}

/* Parse one Received: value (RFC 5321 4.4, with Postfix's and Exim's comments). */
static int
parse_received(struct parse *ps, const char *v, struct arf_received *rc)
{
	enum { C_NONE, C_FROM, C_BY, C_VIA, C_WITH, C_ID, C_FOR } clause = C_NONE;
	const char *semi = strrchr(v, ';'), *end = semi ? semi : v + strlen(v);
	const char *p = v, **slot;
	bool want = false;

	memset(rc, 0, sizeof(*rc));
	rc->raw = v;
	if (semi != NULL && (rc->date = copy_str(ps, skip_cfws(semi + 1),
	    strlen(skip_cfws(semi + 1)))) == NULL)
		return ERR_NOMEM;
	while (p < end) {
		if (is_wsp(*p)) {
			p++;
		} else if (*p == '(') {
			const char *s = p + 1;
			int depth = 1;

			for (p++; p < end && depth > 0; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')')
					depth--;
			}
			if (clause == C_FROM &&
			    received_comment(ps, rc, s, depth == 0 ? p - 1 : p) != 0)
				return ERR_NOMEM;
		} else if (*p == ';') {
			p++;
		} else {
			const char *w;

			if ((w = received_word(ps, &p)) == NULL)
				return ERR_NOMEM;
			if (strcasecmp(w, "from") == 0)
				clause = C_FROM, want = true;
			else if (strcasecmp(w, "by") == 0)
				clause = C_BY, want = true;
			else if (strcasecmp(w, "via") == 0)
				clause = C_VIA, want = true;
			else if (strcasecmp(w, "with") == 0)
				clause = C_WITH, want = true;
			else if (strcasecmp(w, "id") == 0)
				clause = C_ID, want = true;
			else if (strcasecmp(w, "for") == 0)
				clause = C_FOR, want = true;
			else if (want) {
				want = false;
				slot = clause == C_FROM ? &rc->from_helo :
				    clause == C_BY ? &rc->by : clause == C_WITH ? &rc->with :
				    clause == C_ID ? &rc->id :
				    clause == C_FOR ? &rc->for_rcpt : NULL;
				if (clause == C_FOR && (w = strip_angle(ps, w)) == NULL)
					return ERR_NOMEM;
				if (slot != NULL && *slot == NULL)
					*slot = w;
				/* Exim: "from [addr] (helo=x)": the literal is the client. */
				if (clause == C_FROM && w[0] == '[' && w[strlen(w) - 1] == ']') {
					rc->from_addr_text = copy_str(ps, w + 1, strlen(w) - 2);
					if (rc->from_addr_text == NULL)
						return ERR_NOMEM;
					rc->has_from_addr = ipaddr_parse(w + 1, strlen(w) - 2,
					    &rc->from_addr) == 0;
				}
			}
		}
	}
	return 0;
}

/* The header of the original message (third part). */
static int
parse_original(struct parse *ps, const struct part *body, bool headers_only)
{
	struct arf_report *r = ps->r;
	struct lines l = { body->start, body->end };
	struct field f;
	const char *v;
	int rc;

	r->has_original = true;
	r->headers_only = headers_only;
	while ((rc = next_field(ps, &l, &f)) == 0) {
		bool recv = name_is(&f, "Received");

		if (!recv && !name_is(&f, "Message-ID") && !name_is(&f, "From") &&
		    !name_is(&f, "Subject"))
			continue;
		if ((rc = unfold(ps, f.v, f.vend, &v)) != 0)
			return rc;
		if (recv) {
			if (r->received == NULL && (r->received = mem_alloc(ps,
			    ARF_RECEIVED_MAX * sizeof(*r->received))) == NULL)
				return fail(ps, f.name, ERR_NOMEM, "out of memory");
			if (r->n_received >= ARF_RECEIVED_MAX)
				return fail(ps, f.name, ERR_TOOBIG,
				    "more than 100 Received: fields");
			if (parse_received(ps, v, &r->received[r->n_received++]) != 0)
				return fail(ps, f.name, ERR_NOMEM, "out of memory");
		} else if (name_is(&f, "Message-ID") && r->message_id == NULL) {
			if ((r->message_id = strip_angle(ps, v)) == NULL)
				return fail(ps, f.name, ERR_NOMEM, "out of memory");
		} else if (name_is(&f, "From") && r->original_from == NULL) {
			r->original_from = v;
		} else if (name_is(&f, "Subject") && r->original_subject == NULL) {
			r->original_subject = v;
		}
	}
	if (rc == ERR_MALFORMED) {
		/* A broken line inside someone else's message: keep what we have. */
		r->warnings |= ARF_WARN_BAD_ORIGINAL;
		return 0;
	}
	return rc < 0 ? rc : 0;
}

/* Split the body at "--boundary" lines into parts[]. */
static int
split_parts(struct parse *ps, struct lines body, const char *boundary,
    struct part *parts, size_t *n)
{
	size_t blen = strlen(boundary);
	const char *ls, *le, *start = NULL;
	bool closed = false;

	*n = 0;
	while (!closed && next_line(ps, &body, &ls, &le, false) == 0) {
		const char *p = ls + 2 + blen;

		if (le - ls < (ptrdiff_t)(2 + blen) || ls[0] != '-' || ls[1] != '-' ||
		    memcmp(ls + 2, boundary, blen) != 0)
			continue;
		if (le - p >= 2 && p[0] == '-' && p[1] == '-') {
			closed = true;
			p += 2;
		}
		while (p < le && is_wsp(*p))
			p++;
		if (p != le)
			continue;	/* a line that only starts like the boundary */
		if (start != NULL) {
			const char *e = ls;

			if (e > start && e[-1] == '\n')
				e--;
			if (e > start && e[-1] == '\r')
				e--;
			if (*n >= ARF_PARTS_MAX)
				return fail(ps, ls, ERR_TOOBIG, "more than 16 parts");
			parts[*n].start = start;
			parts[(*n)++].end = e;
		}
		start = body.p;
	}
	if (!closed && start != NULL) {
		if (*n >= ARF_PARTS_MAX)
			return fail(ps, body.end, ERR_TOOBIG, "more than 16 parts");
		parts[*n].start = start;
		parts[(*n)++].end = body.end;
		ps->r->warnings |= ARF_WARN_NO_CLOSE;
	}
	return 0;
}

/* A part's Content-Type and -Transfer-Encoding, and where its body starts. */
static int
part_header(struct parse *ps, struct part *pt, char *type, size_t tcap, const char **cte)
{
	struct lines l = { pt->start, pt->end };
	struct field f;
	const char *ct = NULL;
	bool found;
	size_t n = 0;
	int rc;

	*cte = NULL;
	while ((rc = next_field(ps, &l, &f)) == 0) {
		n++;
		if (name_is(&f, "Content-Type") && (rc = unfold(ps, f.v, f.vend, &ct)) != 0)
			return rc;
		if (name_is(&f, "Content-Transfer-Encoding") &&
		    (rc = unfold(ps, f.v, f.vend, cte)) != 0)
			return rc;
	}
	if (rc == ERR_MALFORMED && n == 0) {
		/* No header and no empty line: a bare text/plain body. */
		snprintf(type, tcap, "text/plain");
		return 0;
	}
	if (rc < 0)
		return rc;
	pt->start = l.p;
	if (ct == NULL || !content_type(ct, type, tcap, "", NULL, 0, &found))
		snprintf(type, tcap, "text/plain");
	return 0;
}

static int
parse_report(struct parse *ps, const char *msg, size_t len)
{
	struct arf_report *r = ps->r;
	struct lines l = { msg, msg + len };
	struct part parts[ARF_PARTS_MAX];
	struct field f;
	const char *ct = NULL, *ls, *le;
	char type[128], boundary[BOUNDARY_MAX + 1], rtype[64];
	bool found, have_boundary;
	size_t i, n;
	int rc;

	/* An mbox "From " line before the header. */
	if (len > 5 && memcmp(msg, "From ", 5) == 0 && next_line(ps, &l, &ls, &le, false) != 0)
		return fail(ps, msg, ERR_MALFORMED, "no header");
	while ((rc = next_field(ps, &l, &f)) == 0) {
		if (name_is(&f, "Content-Type") && (rc = unfold(ps, f.v, f.vend, &ct)) != 0)
			return rc;
		if (name_is(&f, "From") && (rc = unfold(ps, f.v, f.vend, &r->report_from)) != 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (ct == NULL)
		return fail(ps, msg, ERR_MALFORMED, "no Content-Type: not an ARF report");
	if (!content_type(ct, type, sizeof(type), "report-type", rtype, sizeof(rtype), &found) ||
	    strcmp(type, "multipart/report") != 0)
		return fail(ps, msg, ERR_MALFORMED, "not a multipart/report");
	if (!found || strcasecmp(rtype, "feedback-report") != 0)
		return fail(ps, msg, ERR_MALFORMED, "report-type is not feedback-report");
	if (!content_type(ct, type, sizeof(type), "boundary", boundary, sizeof(boundary),
	    &have_boundary))
		return fail(ps, msg, ERR_MALFORMED, "boundary too long");
	if (!have_boundary || boundary[0] == '\0')
		return fail(ps, msg, ERR_MALFORMED, "multipart/report without a boundary");
	if ((rc = split_parts(ps, l, boundary, parts, &n)) != 0)
		return rc;
	r->n_parts = n;
	if (n < 2)
		return fail(ps, l.p, ERR_MALFORMED, "fewer than two parts");
	for (i = 0; i < n; i++) {
		const char *cte;

		if ((rc = part_header(ps, &parts[i], type, sizeof(type), &cte)) != 0)
			return rc;
		if (strcmp(type, "message/feedback-report") == 0 && r->feedback_type_text == NULL) {
			if ((rc = decode(ps, cte, &parts[i])) != 0 ||
			    (rc = parse_feedback(ps, &parts[i])) != 0)
				return rc;
		} else if ((strcmp(type, "message/rfc822") == 0 ||
		    strcmp(type, "text/rfc822-headers") == 0) && !r->has_original) {
			if ((rc = decode(ps, cte, &parts[i])) != 0 ||
			    (rc = parse_original(ps, &parts[i],
			    strcmp(type, "text/rfc822-headers") == 0)) != 0)
				return rc;
		}
	}
	if (r->feedback_type_text == NULL)
		return fail(ps, msg, ERR_MALFORMED, "no message/feedback-report part");
	if (!r->has_original)
		r->warnings |= ARF_WARN_NO_ORIGINAL;
	return 0;
}

int
arf_parse(const char *msg, size_t len, struct arf_report **out, struct arf_err *err)
{
	struct parse ps;
	const char *nul;
	int rc;

	*out = NULL;
	ps.base = msg;
	ps.len = len;
	ps.part_off = 0;
	ps.err = err;
	ps.r = NULL;
	if (len > ARF_MSG_MAX)
		return fail(&ps, msg + ARF_MSG_MAX, ERR_TOOBIG, "report exceeds 1 MiB");
	if ((nul = memchr(msg, '\0', len)) != NULL)
		return fail(&ps, nul, ERR_MALFORMED, "NUL byte in the report");
	if ((ps.r = xcalloc(1, sizeof(*ps.r))) == NULL)
		return fail(&ps, msg, ERR_NOMEM, "out of memory");
	if ((rc = parse_report(&ps, msg, len)) != 0) {
		arf_report_free(ps.r);
		return rc;
	}
	*out = ps.r;
	return 0;
}

void
arf_report_free(struct arf_report *report)
{
	struct arf_chunk *c, *next;

	if (report == NULL)
		return;
	for (c = report->mem; c != NULL; c = next) {
		next = c->next;
		xfree(c);
	}
	xfree(report);
}

const struct arf_received *
arf_our_received(const struct arf_report *report, const char *const *names, size_t n)
{
	size_t i, k;

	if (n == 0) {
		for (i = report->n_received; i > 0; i--)
			if (report->received[i - 1].has_from_addr)
				return &report->received[i - 1];
		return NULL;
	}
	for (i = 0; i < report->n_received; i++)
		for (k = 0; k < n; k++)
			if (report->received[i].by != NULL &&
			    strcasecmp(report->received[i].by, names[k]) == 0)
				return &report->received[i];
	return NULL;
}

const char *
arf_feedback_type_name(enum arf_feedback_type type)
{
	size_t i;

	for (i = 0; i < sizeof(feedback_types) / sizeof(feedback_types[0]); i++)
		if (feedback_types[i].type == type)
			return feedback_types[i].name;
	return "unknown";
}
