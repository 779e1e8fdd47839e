/*
 * trace.h - one line of a relayguard trace (SPEC section 6), JSON in,
 * struct trace_event out; and the decision line that `relayguard
 * replay` writes for each answered policy request.
 *
 * A trace line is one JSON object:
 *   {"t": 1764460800.250, "ev": "policy", "attrs": {...}, "truth": {...}}
 *   {"t": 1764460801.000, "ev": "log", "line": "Nov 30 00:00:01 ..."}
 * "t" (seconds since the epoch, a JSON number >= 0) and "ev" (a string)
 * are required.  "policy" needs an "attrs" object of strings: the
 * attributes Postfix would send; unknown names are ignored as the policy
 * protocol requires.  "log" needs a "line" string.  Any other "ev" parses
 * as TRACE_EV_OTHER, which replay skips (forward compatibility), and so
 * do unknown top-level members.  "truth" is optional ground truth:
 * {"customer": "u1042", "spam": false, "scenario": "...", "kind": "..."};
 * "customer" is required in it, the rest optional; unknown members are
 * ignored.
 *
 * The reader is the UCL parser (ucl.h), so a line may also hold what
 * UCL allows and JSON does not (comments, single quotes, a missing
 * comma); what matters is strict: the line is one object in braces, "t"
 * is a JSON number, attribute values and names are quoted strings.
 *
 * Ownership: the parser keeps the parsed document (one arena, reused
 * from line to line, so a long replay makes no allocation per line).
 * Every pointer in a struct trace_event points into it and stays valid
 * until the next trace_parse_line() or trace_parser_fini() on the same
 * parser.  The input line itself is not referenced after the call.
 *
 * Limits: a line at most TRACE_LINE_MAX bytes, an attribute value at
 * most POLICY_LINE_MAX bytes (what Postfix could send), a truth customer
 * at most TRACE_CUSTOMER_MAX bytes; beyond them ERR_TOOBIG.  The JSON
 * limits of ucl.h apply too.
 */
#ifndef RG_PROTO_TRACE_H
#define RG_PROTO_TRACE_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/policy_req.h"
#include "proto/ucl.h"

#define TRACE_LINE_MAX (1u << 20)
#define TRACE_CUSTOMER_MAX 256		/* as ENGINE_CUSTOMER_MAX */
#define TRACE_T_MAX 1e11		/* year 5138: a typo, not a time */

enum trace_ev { TRACE_EV_POLICY, TRACE_EV_LOG, TRACE_EV_OTHER };

struct trace_event {
	double t;			/* seconds since the epoch, >= 0 */
	enum trace_ev ev;
	const char *ev_name;		/* "ev" as written (for OTHER) */
	size_t ev_name_len;

	/* TRACE_EV_POLICY: attribute values, borrowed (see above). */
	struct policy_req attrs;

	/* TRACE_EV_LOG: the log line, borrowed, NUL-terminated. */
	const char *line;
	size_t line_len;

	/* "truth", when has_truth. */
	bool has_truth;
	char truth_customer[TRACE_CUSTOMER_MAX + 1];
	bool truth_spam;
	const char *truth_scenario;	/* borrowed; NULL when absent */
	const char *truth_kind;		/* borrowed; NULL when absent */

	/* The whole line as parsed, for event kinds read elsewhere. */
	const struct ucl_node *root;
};

struct trace_err {
	size_t offset;			/* byte offset in the line */
	char msg[160];			/* a one-line reason */
};

struct trace_parser {
	struct ucl_doc *doc;		/* owned; the last line parsed */
};

/* trace_parser_init - an empty parser; cannot fail. */
void trace_parser_init(struct trace_parser *p);

/* trace_parser_fini - free the parser's document; events die with it. */
void trace_parser_fini(struct trace_parser *p);

/*
 * trace_parse_line - parse one line of len bytes (without its newline;
 * it need not be NUL-terminated) into *out.  Returns 0; ERR_MALFORMED
 * (not a JSON object, no or a bad "t", no "ev", a policy event without an
 * "attrs" object of strings, a log event without a "line" string, a bad
 * "truth"); ERR_TOOBIG (over a limit); or ERR_NOMEM.  On an error *err
 * says why and where, and *out is unspecified.
 */
int trace_parse_line(struct trace_parser *p, const char *line, size_t len,
    struct trace_event *out, struct trace_err *err);

/*
 * trace_format_decision - write SPEC section 6's decision line, with its
 * newline and a terminating NUL, into buf:
 *   {"t": 1764460800.250, "instance": "...", "customer": "...",
 *    "state": "RCPT", "action": "DUNNO", "rule": ""}
 * t has exactly three decimals; the strings are JSON-escaped (json_esc.h);
 * a NULL string is written as "".  Returns the bytes written (without the
 * NUL), ERR_TOOBIG when buf is too small, ERR_INVAL for a negative or
 * non-finite t.
 */
int trace_format_decision(char *buf, size_t cap, double t,
    const char *instance, const char *customer, const char *state,
    const char *action, const char *rule);

#endif
