/*
 * rbldnsd_data.h - the rbldnsd data-file format (rbldnsd(8), "DATASET
 * TYPES AND FORMATS"): one line at a time into a struct, the keys of each
 * dataset type, TXT templates, and gzip.
 *
 * A line is one of: blank or comment ('#' or ';'); a default value
 * (":A:TXT"); an entry ("KEY [VALUE]", "!KEY" to exclude); or a special
 * ("$SOA", "$NS", "$TTL", "$n text", "$= text", "$TIMESTAMP",
 * "$MAXRANGE4"; also written "#$", ":$" or ";$" so that one file serves
 * rbldnsd and rbldns).  A VALUE is ":A:TXT", ":A" (default TXT), ":A:" (no
 * TXT) or plain TXT (default A); a value starting with '#' or ';' is a
 * comment.  A is one octet (127.0.0.N) or a dotted quad.
 *
 * Deliberate differences from rbldnsd, which warns and skips bad lines: a
 * malformed line is an error here (the loader reports "file:line: reason"
 * and a reload keeps the old data), and so is a CIDR with host bits set.
 * TXT longer than 255 bytes after substitution is cut at 255, as rbldnsd
 * does.  In an IPv6 file a line starting with "::" and a hex digit, '/'
 * or nothing is an address ("::1"), not a default value.
 *
 * Why hand-written: there is no library for this format, and a 1,000,000
 * line file must load in well under rbldnsd's 0.19 s.  No allocation
 * except rbldnsd_data_gunzip(); every returned pointer borrows the line.
 * Pure functions, no I/O.
 */
#ifndef RG_PROTO_RBLDNSD_DATA_H
#define RG_PROTO_RBLDNSD_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RBLDNSD_DATA_LINE_MAX 4096	/* longer lines are an error */
#define RBLDNSD_DATA_TXT_MAX 255	/* one DNS character-string */
#define RBLDNSD_DATA_NS_MAX 32		/* as rbldnsd */

enum rbldnsd_data_kind {
	RBLDNSD_DATA_BLANK,	/* empty or comment */
	RBLDNSD_DATA_DEFAULT,	/* ":A:TXT" */
	RBLDNSD_DATA_ENTRY,	/* "KEY [VALUE]" or "!KEY" */
	RBLDNSD_DATA_SOA,	/* arg: the rest of the line */
	RBLDNSD_DATA_NS,	/* arg: the rest of the line */
	RBLDNSD_DATA_TTL,	/* ttl_s */
	RBLDNSD_DATA_VAR,	/* var 0..9, arg: its text */
	RBLDNSD_DATA_BASE,	/* "$=": arg: the base template */
	RBLDNSD_DATA_IGNORED	/* $TIMESTAMP, $MAXRANGE4: accepted, unused */
};

enum rbldnsd_data_txt { RBLDNSD_TXT_DEFAULT, RBLDNSD_TXT_NONE, RBLDNSD_TXT_SET };

struct rbldnsd_data_value {
	bool has_a;			/* false: the default A */
	uint32_t a;			/* host order */
	enum rbldnsd_data_txt txt_mode;
	const char *txt;		/* borrowed; RBLDNSD_TXT_SET only */
	size_t txt_len;
};

struct rbldnsd_data_line {
	enum rbldnsd_data_kind kind;
	bool exclude;			/* "!KEY" */
	const char *key;		/* borrowed; ENTRY only */
	size_t key_len;
	struct rbldnsd_data_value val;	/* DEFAULT and ENTRY */
	unsigned var;			/* VAR: 0..9 */
	const char *arg;		/* SOA, NS, VAR, BASE: borrowed */
	size_t arg_len;
	uint32_t ttl_s;			/* TTL */
};

/* Key syntax of each dataset type (how an entry's key ends). */
enum rbldnsd_data_keys { RBLDNSD_KEYS_IP4, RBLDNSD_KEYS_IP6, RBLDNSD_KEYS_NAME };

/*
 * rbldnsd_data_next_line - the next line of buf[0..len) from *pos (without
 * its "\n" or "\r\n"); moves *pos past it.  Returns false at the end.
 */
bool rbldnsd_data_next_line(const char *buf, size_t len, size_t *pos,
    const char **line, size_t *line_len);

/*
 * rbldnsd_data_parse_line - classify and split one line (no newline).
 * Returns 0, ERR_MALFORMED or ERR_TOOBIG with a static reason in *reason.
 */
int rbldnsd_data_parse_line(const char *line, size_t len,
    enum rbldnsd_data_keys keys, struct rbldnsd_data_line *out,
    const char **reason);

/*
 * rbldnsd_data_parse_ip4 - an IPv4 key: "a.b.c.d", a prefix of octets
 * ("10.1" is 10.1.0.0/16), "a.b/n", or (ranges true) a range
 * "a.b.c.d-e.f.g.h", "127.16-127.31", "127.16-31" (see rbldnsd(8)).
 * *lo and *hi (host order) bound it; *bits is the CIDR length, or -1 for
 * a range that is not one CIDR.  Returns 0 or ERR_MALFORMED (*reason).
 */
int rbldnsd_data_parse_ip4(const char *s, size_t len, bool ranges,
    uint32_t *lo, uint32_t *hi, int *bits, const char **reason);

/*
 * rbldnsd_data_parse_ip6 - an IPv6 key: full or "::" notation with an
 * optional "/n", or up to 8 groups without "::" whose length defaults to
 * 16 per group ("2001:db8:1:2" is a /64).  Host bits must be zero.
 * Returns 0 or ERR_MALFORMED (*reason).
 */
int rbldnsd_data_parse_ip6(const char *s, size_t len, uint8_t addr[16],
    unsigned *bits, const char **reason);

/*
 * rbldnsd_data_parse_ttl - "3600", "35m", "1h", "2d", "1w".  Returns 0 or
 * ERR_MALFORMED / ERR_RANGE (over 2^31 - 1 seconds).
 */
int rbldnsd_data_parse_ttl(const char *s, size_t len, uint32_t *ttl_s);

/*
 * rbldnsd_data_parse_a - an A value: one octet N (127.0.0.N) or a dotted
 * quad.  Returns 0 or ERR_MALFORMED.
 */
int rbldnsd_data_parse_a(const char *s, size_t len, uint32_t *a);

/*
 * rbldnsd_data_expand - expand the load-time parts of a TXT template into
 * out (cap bytes, NUL-terminated): "$0".."$9" become vars[n] (NULL: empty),
 * and, when base is not NULL and the text does not start with '=', the
 * text is put in place of "$=" inside base (a leading '=' is dropped).
 * "$" and "$$" are kept for rbldnsd_data_subst() at query time.  Returns
 * the length, cut at cap - 1.
 */
size_t rbldnsd_data_expand(const char *txt, size_t len, const char *const vars[10],
    const char *base, char *out, size_t cap);

/*
 * rbldnsd_data_subst - query-time TXT: "$" becomes subst, "$$" becomes
 * "$".  Writes at most cap bytes into out (no NUL); returns the length,
 * cut at cap (a TXT string holds 255 bytes).
 */
size_t rbldnsd_data_subst(const char *tmpl, size_t len, const char *subst,
    size_t subst_len, char *out, size_t cap);

/*
 * rbldnsd_data_is_gzip - true when the data starts with the gzip magic.
 */
bool rbldnsd_data_is_gzip(const uint8_t *data, size_t len);

/*
 * rbldnsd_data_gunzip - inflate a gzip member (or several, concatenated)
 * into a new buffer *out (xmalloc'ed, NUL-terminated, owned by the
 * caller) of *out_len bytes, at most max bytes.  Returns 0, ERR_MALFORMED
 * (corrupt or truncated), ERR_TOOBIG or ERR_NOMEM.
 */
int rbldnsd_data_gunzip(const uint8_t *in, size_t len, size_t max, char **out,
    size_t *out_len);

#endif
