/*
 * trace.c - trace lines in, decision lines out (see trace.h).
 *
 * The JSON is read by the UCL parser (proto/ucl.c), which reads JSON as
 * a subset, into one arena reused from line to line: replay's budget is
 * ~200,000 lines of ~500 bytes a second, and a malloc per line would be
 * most of it.  One pass over the top-level members picks up "t", "ev",
 * "attrs", "line" and "truth"; a repeated member keeps its first value,
 * as ucl_get() would.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/json_esc.h"
#include "proto/trace.h"

void
trace_parser_init(struct trace_parser *p)
{
	p->doc = NULL;
}

void
trace_parser_fini(struct trace_parser *p)
{
	ucl_doc_free(p->doc);
	p->doc = NULL;
}

static int
trace_fail(struct trace_err *err, int rc, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
trace_fail(struct trace_err *err, int rc, size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->offset = offset;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return rc;
}

/*
 * trace_show - a member name fit for a one-line message: at most 48
 * bytes, anything unprintable as '?'.
 */
static const char *
trace_show(const char *key, size_t len, char buf[52])
{
	size_t i;

	for (i = 0; i < len && i < 48; i++)
		buf[i] = key[i] > 0x20 && key[i] < 0x7f ? key[i] : '?';
	if (len > 48)
		buf[i++] = '~';
	buf[i] = '\0';
	return buf;
}

static int
trace_key_is(const struct ucl_node *n, const char *key, size_t len)
{
	return n->key_len == len && memcmp(n->key, key, len) == 0;
}

/*
 * trace_number - a JSON number (RFC 8259 section 6) in an atom, as a
 * double.  The grammar is checked first: strtod() would also take "nan",
 * "inf", hex and leading blanks.
 */
static int
trace_number(const struct ucl_node *n, double *out)
{
	const char *s = n->str;
	size_t i = 0, len = n->str_len;

	if (n->type != UCL_ATOM)
		return -1;
	if (i < len && s[i] == '-')
		i++;
	if (i >= len || s[i] < '0' || s[i] > '9')
		return -1;
	if (s[i] == '0')
		i++;
	else
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	if (i < len && s[i] == '.') {
		if (++i >= len || s[i] < '0' || s[i] > '9')
			return -1;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			return -1;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i != len)
		return -1;
	*out = strtod(s, NULL);
	return 0;
}

static int
trace_bool(const struct ucl_node *n, bool *out)
{
	if (n->type == UCL_ATOM && n->str_len == 4 && memcmp(n->str, "true", 4) == 0)
		*out = true;
	else if (n->type == UCL_ATOM && n->str_len == 5 &&
	    memcmp(n->str, "false", 5) == 0)
		*out = false;
	else
		return -1;
	return 0;
}

static int
trace_attrs(const struct ucl_node *attrs, struct trace_event *out,
    struct trace_err *err)
{
	const struct ucl_node *n;
	char show[52];
	int a;

	if (attrs->type != UCL_OBJECT)
		return trace_fail(err, ERR_MALFORMED, 0,
		    "line %d: \"attrs\" is %s %s, not an object", attrs->line,
		    attrs->type == UCL_ARRAY ? "an" : "a",
		    ucl_type_name(attrs->type));
	for (n = attrs->child; n != NULL; n = n->next) {
		if (n->type != UCL_STRING)
			return trace_fail(err, ERR_MALFORMED, 0,
			    "attrs.%s: %s value, not a string (Postfix sends "
			    "text)", trace_show(n->key, n->key_len, show),
			    ucl_type_name(n->type));
		if ((a = policy_attr_lookup(n->key, n->key_len)) < 0)
			continue;	/* unknown: ignored, as by the protocol */
		if (n->str_len > POLICY_LINE_MAX)
			return trace_fail(err, ERR_TOOBIG, 0,
			    "attrs.%s: value of %zu bytes is over the policy "
			    "line limit of %d", n->key, n->str_len,
			    POLICY_LINE_MAX);
		if (memchr(n->str, '\0', n->str_len) != NULL)
			return trace_fail(err, ERR_MALFORMED, 0,
			    "attrs.%s: NUL byte in the value", n->key);
		out->attrs.attr[a].ptr = n->str;
		out->attrs.attr[a].len = n->str_len;
	}
	return 0;
}

static int
trace_truth(const struct ucl_node *truth, struct trace_event *out,
    struct trace_err *err)
{
	const struct ucl_node *n;
	bool have_customer = false;

	if (truth->type != UCL_OBJECT)
		return trace_fail(err, ERR_MALFORMED, 0,
		    "\"truth\" is a %s, not an object", ucl_type_name(truth->type));
	for (n = truth->child; n != NULL; n = n->next) {
		if (trace_key_is(n, "customer", 8)) {
			if (n->type != UCL_STRING)
				return trace_fail(err, ERR_MALFORMED, 0,
				    "truth.customer is not a string");
			if (n->str_len > TRACE_CUSTOMER_MAX)
				return trace_fail(err, ERR_TOOBIG, 0,
				    "truth.customer is over %d bytes",
				    TRACE_CUSTOMER_MAX);
			if (memchr(n->str, '\0', n->str_len) != NULL)
				return trace_fail(err, ERR_MALFORMED, 0,
				    "truth.customer: NUL byte in the value");
			memcpy(out->truth_customer, n->str, n->str_len + 1);
			have_customer = true;
		} else if (trace_key_is(n, "spam", 4)) {
			if (trace_bool(n, &out->truth_spam) != 0)
				return trace_fail(err, ERR_MALFORMED, 0,
				    "truth.spam is not true or false");
		} else if (trace_key_is(n, "scenario", 8) ||
		    trace_key_is(n, "kind", 4)) {
			if (n->type != UCL_STRING)
				return trace_fail(err, ERR_MALFORMED, 0,
				    "truth.%s is not a string", n->key);
			if (n->key_len == 4)
				out->truth_kind = n->str;
			else
				out->truth_scenario = n->str;
		}
	}
	if (!have_customer)
		return trace_fail(err, ERR_MALFORMED, 0,
		    "\"truth\" without a \"customer\"");
	out->has_truth = true;
	return 0;
}

int
trace_parse_line(struct trace_parser *p, const char *line, size_t len,
    struct trace_event *out, struct trace_err *err)
{
	const struct ucl_node *root, *n, *t = NULL, *ev = NULL, *attrs = NULL;
	const struct ucl_node *log = NULL, *truth = NULL;
	struct ucl_error uerr;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (err != NULL) {
		err->offset = 0;
		err->msg[0] = '\0';
	}
	if (len > TRACE_LINE_MAX)
		return trace_fail(err, ERR_TOOBIG, TRACE_LINE_MAX,
		    "line of %zu bytes is over the limit of %u", len,
		    TRACE_LINE_MAX);
	/* JSON, not UCL: the line must be an object in braces. */
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' ||
	    line[i] == '\r'); i++)
		;
	if (i >= len || line[i] != '{')
		return trace_fail(err, ERR_MALFORMED, i,
		    "not JSON: a trace line is one object in { }");
	if ((rc = ucl_parse_reuse(line, len, &p->doc, &uerr)) != 0)
		return trace_fail(err, rc, uerr.offset, "%s: column %d: %s",
		    rc == ERR_MALFORMED ? "not JSON" : err_str(rc), uerr.col,
		    uerr.msg);
	root = ucl_doc_root(p->doc);
	out->root = root;
	for (n = root->child; n != NULL; n = n->next) {
		switch (n->key_len) {
		case 1:
			if (n->key[0] == 't' && t == NULL)
				t = n;
			break;
		case 2:
			if (trace_key_is(n, "ev", 2) && ev == NULL)
				ev = n;
			break;
		case 4:
			if (trace_key_is(n, "line", 4) && log == NULL)
				log = n;
			break;
		case 5:
			if (trace_key_is(n, "attrs", 5) && attrs == NULL)
				attrs = n;
			else if (trace_key_is(n, "truth", 5) && truth == NULL)
				truth = n;
			break;
		default:
			break;
		}
	}
	if (t == NULL)
		return trace_fail(err, ERR_MALFORMED, 0, "no \"t\" (time)");
	if (trace_number(t, &out->t) != 0)
		return trace_fail(err, ERR_MALFORMED, 0,
		    "\"t\" is not a JSON number");
	if (!(out->t >= 0) || out->t > TRACE_T_MAX)
		return trace_fail(err, ERR_MALFORMED, 0,
		    "\"t\" = %.32s is out of range (0 to %.0f)", t->str,
		    TRACE_T_MAX);
	if (ev == NULL)
		return trace_fail(err, ERR_MALFORMED, 0, "no \"ev\" (event kind)");
	if (ev->type != UCL_STRING)
		return trace_fail(err, ERR_MALFORMED, 0, "\"ev\" is not a string");
	out->ev_name = ev->str;
	out->ev_name_len = ev->str_len;
	if (ev->str_len == 6 && memcmp(ev->str, "policy", 6) == 0)
		out->ev = TRACE_EV_POLICY;
	else if (ev->str_len == 3 && memcmp(ev->str, "log", 3) == 0)
		out->ev = TRACE_EV_LOG;
	else
		out->ev = TRACE_EV_OTHER;

	if (out->ev == TRACE_EV_POLICY) {
		if (attrs == NULL)
			return trace_fail(err, ERR_MALFORMED, 0,
			    "policy event without \"attrs\"");
		if ((rc = trace_attrs(attrs, out, err)) != 0)
			return rc;
	} else if (out->ev == TRACE_EV_LOG) {
		if (log == NULL || log->type != UCL_STRING)
			return trace_fail(err, ERR_MALFORMED, 0,
			    "log event without a \"line\" string");
		if (memchr(log->str, '\0', log->str_len) != NULL)
			return trace_fail(err, ERR_MALFORMED, 0,
			    "log event: NUL byte in \"line\"");
		out->line = log->str;
		out->line_len = log->str_len;
	}
	if (truth != NULL && (rc = trace_truth(truth, out, err)) != 0)
		return rc;
	return 0;
}

/* Append a JSON member "name": "escaped" to buf at *off. */
static int
trace_put_str(char *buf, size_t cap, size_t *off, const char *name,
    const char *val)
{
	int n;

	if (val == NULL)
		val = "";
	n = snprintf(buf + *off, cap - *off, ", \"%s\": \"", name);
	if (n < 0 || (size_t)n >= cap - *off)
		return ERR_TOOBIG;
	*off += (size_t)n;
	if ((n = json_esc_write(buf + *off, cap - *off, val, strlen(val))) < 0)
		return ERR_TOOBIG;
	*off += (size_t)n;
	if (cap - *off < 2)
		return ERR_TOOBIG;
	buf[(*off)++] = '"';
	buf[*off] = '\0';
	return 0;
}

int
trace_format_decision(char *buf, size_t cap, double t, const char *instance,
    const char *customer, const char *state, const char *action,
    const char *rule)
{
	size_t off;
	int n;

	if (cap > 0)
		buf[0] = '\0';
	if (!isfinite(t) || t < 0)
		return ERR_INVAL;
	n = snprintf(buf, cap, "{\"t\": %.3f", t);
	if (n < 0 || (size_t)n >= cap)
		goto toobig;
	off = (size_t)n;
	if (trace_put_str(buf, cap, &off, "instance", instance) != 0 ||
	    trace_put_str(buf, cap, &off, "customer", customer) != 0 ||
	    trace_put_str(buf, cap, &off, "state", state) != 0 ||
	    trace_put_str(buf, cap, &off, "action", action) != 0 ||
	    trace_put_str(buf, cap, &off, "rule", rule) != 0)
		goto toobig;
	if (cap - off < 3)
		goto toobig;
	buf[off++] = '}';
	buf[off++] = '\n';
	buf[off] = '\0';
	if (off > (size_t)INT_MAX)
		goto toobig;
	return (int)off;
toobig:
	if (cap > 0)
		buf[0] = '\0';
	return ERR_TOOBIG;
}
