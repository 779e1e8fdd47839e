/*
 * ucl.c - a recursive-descent parser for the UCL subset of ucl.h (and
 * JSON, which is a subset of it).
 *
 * Why hand-written: libucl is not packaged by Debian (see ucl.h), and
 * the part of UCL relayguard needs is small.  The parser is also the
 * JSON reader of `relayguard replay`, which must read ~200,000 trace
 * lines a second, so it makes no allocation per node: every node and
 * every unescaped string of a document comes from one arena (a list of
 * chunks, normally just one), and ucl_parse_reuse() keeps that arena
 * from one document to the next.
 *
 * Memory: a node is 64 bytes (on LP64) and every scalar or key is copied
 * once, unescaped and NUL-terminated; so a document costs at most about
 * 64 x nodes + 2 x input bytes.  The limits of ucl.h (16 MiB input,
 * depth 32, 64 KiB strings, 1,000,000 nodes) bound this to ~100 MiB.
 *
 * Errors: the first error stops the parse; its byte offset, line, column
 * and a short reason go to struct ucl_error.  Line and column are only
 * computed then, from the offset, so the hot path keeps a line counter
 * and nothing else.
 *
 * Grammar accepted (anything else is an error):
 *   document := ws ( '{' members '}' | members ) ws EOF
 *   members  := ( member [';' | ','] )*         stray ';' are skipped
 *   member   := key ws ( ('=' | ':') ws value | '{'... | '['...
 *               | scalar [ws object] )          `key "name" { }`
 *   value    := object | array | string | atom
 *   array    := '[' ( value ws ',' )* [ value ] ws ']'
 *   key      := string | [A-Za-z0-9_@+-][A-Za-z0-9_.@+-]*
 *   atom     := a run of bytes up to white space or , ; [ ] { } " ' #
 *   ws       := blanks, newlines, # and // line comments, nested / * * /
 */
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/xmalloc.h"
#include "proto/ucl.h"

#define UCL_CHUNK_MIN 4096

/* One arena chunk; data follows the header, aligned for any node. */
struct ucl_chunk {
	struct ucl_chunk *next;
	size_t cap;
	size_t used;
	max_align_t data[];
};

struct ucl_doc {
	struct ucl_chunk *chunks;	/* newest first */
	size_t n_nodes;
	struct ucl_node root;
};

struct ucl_parser {
	const char *start;
	const char *p;
	const char *end;
	int line;
	int depth;
	struct ucl_doc *doc;
	struct ucl_error *err;
};

static struct ucl_chunk *
ucl_chunk_new(size_t cap)
{
	struct ucl_chunk *c;

	if (cap > SIZE_MAX - sizeof(*c))
		return NULL;
	if ((c = xmalloc(sizeof(*c) + cap)) == NULL)
		return NULL;
	c->next = NULL;
	c->cap = cap;
	c->used = 0;
	return c;
}

static void
ucl_chunks_free(struct ucl_chunk *c)
{
	struct ucl_chunk *next;

	for (; c != NULL; c = next) {
		next = c->next;
		xfree(c);
	}
}

/*
 * ucl_alloc - size bytes aligned to align (a power of two) from the
 * document's arena; a new chunk, at least twice the last one, when the
 * current one is full.
 */
static void *
ucl_alloc(struct ucl_doc *doc, size_t size, size_t align)
{
	struct ucl_chunk *c = doc->chunks;
	size_t off, cap;

	if (c != NULL) {
		off = (c->used + align - 1) & ~(align - 1);
		if (off <= c->cap && size <= c->cap - off) {
			c->used = off + size;
			return (char *)c->data + off;
		}
	}
	cap = c != NULL && c->cap < SIZE_MAX / 4 ? c->cap * 2 : UCL_CHUNK_MIN;
	if (cap < size)
		cap = size;
	if ((c = ucl_chunk_new(cap)) == NULL)
		return NULL;
	c->next = doc->chunks;
	doc->chunks = c;
	c->used = size;
	return c->data;
}

/*
 * ucl_doc_reset - empty the document for a new parse of len bytes.  A
 * document that needed several chunks last time gets one chunk of their
 * total size, so that the next similar document fits in it; a chunk far
 * bigger than the new document needs (one huge line among small ones)
 * is given back.
 */
static int
ucl_doc_reset(struct ucl_doc *doc, size_t len)
{
	struct ucl_chunk *c = doc->chunks;
	size_t total = 0, want, most;

	memset(&doc->root, 0, sizeof(doc->root));
	doc->root.type = UCL_OBJECT;
	doc->root.line = 1;
	doc->n_nodes = 0;
	/* A first guess: a few nodes and a copy of the text. */
	want = UCL_CHUNK_MIN + 2 * len;		/* len <= UCL_MAX_INPUT */
	most = 16 * want + (1u << 20);
	if (c != NULL && c->next == NULL && c->cap >= want && c->cap <= most) {
		c->used = 0;
		return 0;
	}
	if (c != NULL && c->next != NULL)
		for (; c != NULL; c = c->next)
			total += c->cap;
	if (total < want || total > most)
		total = want;
	ucl_chunks_free(doc->chunks);
	doc->chunks = ucl_chunk_new(total);
	return doc->chunks != NULL ? 0 : ERR_NOMEM;
}

static int
ucl_fail(struct ucl_parser *P, int rc, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
ucl_fail(struct ucl_parser *P, int rc, const char *at, const char *fmt, ...)
{
	struct ucl_error *e = P->err;
	const char *q, *bol;
	va_list ap;
	int line = 1;

	if (e == NULL)
		return rc;
	if (at > P->end)
		at = P->end;
	bol = P->start;
	for (q = P->start; q < at; q++) {
		if (*q == '\n') {
			line++;
			bol = q + 1;
		}
	}
	e->offset = (size_t)(at - P->start);
	e->line = line;
	e->col = (int)(at - bol) + 1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return rc;
}

/* A short printable rendering of the byte at p for error messages. */
static const char *
ucl_show(const struct ucl_parser *P, const char *p, char buf[8])
{
	unsigned char c;

	if (p >= P->end)
		return "end of input";
	c = (unsigned char)*p;
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "0x%02x", c);
	return buf;
}

/*
 * ucl_show_key - a member's key fit for a one-line message: at most 40
 * bytes, anything unprintable (a \n escape, a NUL) as '?'.
 */
static const char *
ucl_show_key(const struct ucl_node *m, char buf[48])
{
	size_t i;

	for (i = 0; i < m->key_len && i < 40; i++)
		buf[i] = m->key[i] > 0x20 && m->key[i] < 0x7f ? m->key[i] : '?';
	buf[i] = '\0';
	return buf;
}

static int
ucl_node_new(struct ucl_parser *P, struct ucl_node **out)
{
	struct ucl_node *n;

	if (P->doc->n_nodes >= UCL_MAX_NODES)
		return ucl_fail(P, ERR_TOOBIG, P->p, "more than %u nodes",
		    UCL_MAX_NODES);
	if ((n = ucl_alloc(P->doc, sizeof(*n), alignof(struct ucl_node))) == NULL)
		return ucl_fail(P, ERR_NOMEM, P->p, "out of memory");
	P->doc->n_nodes++;
	memset(n, 0, sizeof(*n));
	n->type = UCL_ATOM;
	n->line = P->line;
	*out = n;
	return 0;
}

/* Skip white space and comments; counts lines. */
static int
ucl_skip_ws(struct ucl_parser *P)
{
	const char *p = P->p, *end = P->end, *open;
	int depth;

	while (p < end) {
		switch (*p) {
		case ' ':
		case '\t':
		case '\r':
		case '\f':
		case '\v':
			p++;
			continue;
		case '\n':
			P->line++;
			p++;
			continue;
		case '#':
			while (p < end && *p != '\n')
				p++;
			continue;
		case '/':
			if (p + 1 < end && p[1] == '/') {
				while (p < end && *p != '\n')
					p++;
				continue;
			}
			if (p + 1 >= end || p[1] != '*')
				break;
			/* UCL block comments nest. */
			open = p;
			depth = 1;
			p += 2;
			while (depth > 0) {
				if (p >= end) {
					P->p = p;
					return ucl_fail(P, ERR_MALFORMED, open,
					    "unterminated /* comment");
				}
				if (*p == '\n') {
					P->line++;
					p++;
				} else if (*p == '*' && p + 1 < end && p[1] == '/') {
					depth--;
					p += 2;
				} else if (*p == '/' && p + 1 < end && p[1] == '*') {
					if (++depth > UCL_MAX_DEPTH) {
						P->p = p;
						return ucl_fail(P, ERR_TOOBIG, p,
						    "comments nested deeper than %d",
						    UCL_MAX_DEPTH);
					}
					p += 2;
				} else {
					p++;
				}
			}
			continue;
		default:
			break;
		}
		break;
	}
	P->p = p;
	return 0;
}

/* Append code point cp as UTF-8 at *o. */
static void
ucl_put_utf8(char **o, uint32_t cp)
{
	unsigned char *u = (unsigned char *)*o;

	if (cp < 0x80) {
		*u++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*u++ = (unsigned char)(0xc0 | (cp >> 6));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*u++ = (unsigned char)(0xe0 | (cp >> 12));
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*u++ = (unsigned char)(0xf0 | (cp >> 18));
		*u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	*o = (char *)u;
}

static int
ucl_hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * ucl_parse_string - a "double" (JSON escapes) or 'single' (only \'
 * escaped, as in libucl) quoted string at P->p.  The decoded text never
 * is longer than the quoted one (an escape shrinks), so the copy is
 * allocated once from the span.
 */
static int
ucl_parse_string(struct ucl_parser *P, const char **out, size_t *out_len)
{
	const char *open = P->p, *p = P->p + 1, *end = P->end, *s;
	char quote = *open, *buf, *o;
	size_t span;
	char show[8];

	/* Pass 1: find the closing quote; reject raw control characters. */
	for (s = p;; s++) {
		if (s >= end)
			return ucl_fail(P, ERR_MALFORMED, open, "unterminated string");
		if (*s == quote)
			break;
		if (*s == '\\') {
			if (s + 1 >= end)
				return ucl_fail(P, ERR_MALFORMED, open,
				    "unterminated string");
			s++;
			if (*s == '\n')
				return ucl_fail(P, ERR_MALFORMED, s,
				    "newline in a string");
			continue;
		}
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return ucl_fail(P, ERR_MALFORMED, s,
			    *s == '\n' ? "newline in a string (close it or "
			    "use \\n)" : "control character %s in a string",
			    ucl_show(P, s, show));
	}
	span = (size_t)(s - p);
	if ((buf = ucl_alloc(P->doc, span + 1, 1)) == NULL)
		return ucl_fail(P, ERR_NOMEM, open, "out of memory");
	/* Pass 2: decode. */
	if (memchr(p, '\\', span) == NULL) {
		memcpy(buf, p, span);
		o = buf + span;
	} else {
		o = buf;
		while (p < s) {
			uint32_t cp, lo;

			if (*p != '\\') {
				*o++ = *p++;
				continue;
			}
			if (quote == '\'') {
				/* As pass 1 paired them: \' is ', others stay. */
				if (p[1] != '\'')
					*o++ = '\\';
				*o++ = p[1];
				p += 2;
				continue;
			}
			switch (p[1]) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '/': *o++ = '/'; break;
			case 'b': *o++ = '\b'; break;
			case 'f': *o++ = '\f'; break;
			case 'n': *o++ = '\n'; break;
			case 'r': *o++ = '\r'; break;
			case 't': *o++ = '\t'; break;
			case 'u':
				if (s - p < 6 || ucl_hex4(p + 2, &cp) != 0)
					return ucl_fail(P, ERR_MALFORMED, p,
					    "bad \\u escape (want 4 hex digits)");
				p += 6;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return ucl_fail(P, ERR_MALFORMED, p - 6,
					    "lone low surrogate \\u%04x", cp);
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (s - p < 6 || p[0] != '\\' || p[1] != 'u' ||
					    ucl_hex4(p + 2, &lo) != 0 ||
					    lo < 0xdc00 || lo > 0xdfff)
						return ucl_fail(P, ERR_MALFORMED,
						    p - 6, "high surrogate \\u%04x "
						    "without a low one", cp);
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					p += 6;
				}
				ucl_put_utf8(&o, cp);
				continue;
			default:
				return ucl_fail(P, ERR_MALFORMED, p,
				    "unknown escape \\%s", ucl_show(P, p + 1, show));
			}
			p += 2;
		}
	}
	*o = '\0';
	if ((size_t)(o - buf) > UCL_MAX_STRING)
		return ucl_fail(P, ERR_TOOBIG, open, "string longer than %u bytes",
		    UCL_MAX_STRING);
	/* Give back what escapes saved. */
	P->doc->chunks->used -= span - (size_t)(o - buf);
	*out = buf;
	*out_len = (size_t)(o - buf);
	P->p = s + 1;
	return 0;
}

static inline int
ucl_is_atom_byte(unsigned char c)
{
	switch (c) {
	case ',': case ';': case '[': case ']': case '{': case '}':
	case '"': case '\'': case '#': case 0x7f:
		return 0;
	default:
		return c > 0x20;
	}
}

static inline int
ucl_is_key_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	    c == '@' || c == '+';
}

/* Copy [from, to) into the arena as a NUL-terminated string. */
static int
ucl_copy(struct ucl_parser *P, const char *from, const char *to,
    const char **out, size_t *out_len)
{
	size_t len = (size_t)(to - from);
	char *buf;

	if (len > UCL_MAX_STRING)
		return ucl_fail(P, ERR_TOOBIG, from, "atom longer than %u bytes",
		    UCL_MAX_STRING);
	if ((buf = ucl_alloc(P->doc, len + 1, 1)) == NULL)
		return ucl_fail(P, ERR_NOMEM, from, "out of memory");
	memcpy(buf, from, len);
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

static int
ucl_parse_atom(struct ucl_parser *P, struct ucl_node *n)
{
	const char *p = P->p, *end = P->end;
	char show[8];
	int rc;

	if (p >= end || !ucl_is_atom_byte((unsigned char)*p))
		return ucl_fail(P, ERR_MALFORMED, p, "expected a value, got %s",
		    ucl_show(P, p, show));
	if (*p == '$')
		return ucl_fail(P, ERR_MALFORMED, p,
		    "variables ($NAME) are not supported; quote the value");
	if (*p == '<' && p + 1 < end && p[1] == '<')
		return ucl_fail(P, ERR_MALFORMED, p,
		    "heredocs (<<EOD) are not supported");
	while (p < end && ucl_is_atom_byte((unsigned char)*p))
		p++;
	n->type = UCL_ATOM;
	if ((rc = ucl_copy(P, P->p, p, &n->str, &n->str_len)) != 0)
		return rc;
	P->p = p;
	return 0;
}

static int ucl_parse_value(struct ucl_parser *P, struct ucl_node *n);
static int ucl_parse_members(struct ucl_parser *P, struct ucl_node *obj,
    const char *open);

static int
ucl_enter(struct ucl_parser *P)
{
	if (P->depth >= UCL_MAX_DEPTH)
		return ucl_fail(P, ERR_TOOBIG, P->p, "nesting deeper than %d",
		    UCL_MAX_DEPTH);
	P->depth++;
	return 0;
}

static int
ucl_parse_array(struct ucl_parser *P, struct ucl_node *arr)
{
	const char *open = P->p;
	struct ucl_node *tail = NULL, *e;
	char show[8];
	int rc;

	if ((rc = ucl_enter(P)) != 0)
		return rc;
	arr->type = UCL_ARRAY;
	P->p++;
	for (;;) {
		if ((rc = ucl_skip_ws(P)) != 0)
			return rc;
		if (P->p >= P->end)
			return ucl_fail(P, ERR_MALFORMED, open,
			    "unterminated array");
		if (*P->p == ']')
			break;
		if ((rc = ucl_node_new(P, &e)) != 0)
			return rc;
		if ((rc = ucl_parse_value(P, e)) != 0)
			return rc;
		if (tail == NULL)
			arr->child = e;
		else
			tail->next = e;
		tail = e;
		arr->n_children++;
		if ((rc = ucl_skip_ws(P)) != 0)
			return rc;
		if (P->p < P->end && *P->p == ',') {
			P->p++;
			continue;
		}
		if (P->p < P->end && *P->p == ']')
			break;
		if (P->p >= P->end)
			return ucl_fail(P, ERR_MALFORMED, open,
			    "unterminated array");
		return ucl_fail(P, ERR_MALFORMED, P->p,
		    "expected ',' or ']' in an array, got %s",
		    ucl_show(P, P->p, show));
	}
	P->p++;
	P->depth--;
	return 0;
}

static int
ucl_parse_object(struct ucl_parser *P, struct ucl_node *obj)
{
	const char *open = P->p;
	int rc;

	if ((rc = ucl_enter(P)) != 0)
		return rc;
	obj->type = UCL_OBJECT;
	P->p++;
	if ((rc = ucl_parse_members(P, obj, open)) != 0)
		return rc;
	P->depth--;
	return 0;
}

static int
ucl_parse_value(struct ucl_parser *P, struct ucl_node *n)
{
	n->line = P->line;
	if (P->p < P->end) {
		switch (*P->p) {
		case '{':
			return ucl_parse_object(P, n);
		case '[':
			return ucl_parse_array(P, n);
		case '"':
		case '\'':
			n->type = UCL_STRING;
			return ucl_parse_string(P, &n->str, &n->str_len);
		default:
			break;
		}
	}
	return ucl_parse_atom(P, n);
}

static int
ucl_parse_key(struct ucl_parser *P, struct ucl_node *n)
{
	const char *p = P->p;
	char show[8];
	int rc;

	if (*p == '"' || *p == '\'')
		return ucl_parse_string(P, &n->key, &n->key_len);
	if (*p == '.')
		return ucl_fail(P, ERR_MALFORMED, p,
		    "macros (.include, .priority, ...) are not supported");
	if (*p == '$')
		return ucl_fail(P, ERR_MALFORMED, p,
		    "variables ($NAME) are not supported");
	if (!ucl_is_key_byte((unsigned char)*p))
		return ucl_fail(P, ERR_MALFORMED, p, "expected a key, got %s",
		    ucl_show(P, p, show));
	while (p < P->end && ucl_is_key_byte((unsigned char)*p))
		p++;
	if ((rc = ucl_copy(P, P->p, p, &n->key, &n->key_len)) != 0)
		return rc;
	P->p = p;
	return 0;
}

/*
 * ucl_parse_member - one "key [=:] value" or "key "name" { }" into m.
 * The second form makes m an object holding one member, the name, whose
 * value is the block (libucl's layout).
 */
static int
ucl_parse_member(struct ucl_parser *P, struct ucl_node *m)
{
	struct ucl_node *inner;
	char show[8], keybuf[48];
	int rc, key_line = P->line;

	if ((rc = ucl_parse_key(P, m)) != 0)
		return rc;
	if ((rc = ucl_skip_ws(P)) != 0)
		return rc;
	if (P->p >= P->end || *P->p == '}' || *P->p == ';' || *P->p == ',' ||
	    *P->p == ']')
		return ucl_fail(P, ERR_MALFORMED, P->p,
		    "key \"%s\" has no value", ucl_show_key(m, keybuf));
	if (*P->p == '=' || *P->p == ':') {
		P->p++;
		if ((rc = ucl_skip_ws(P)) != 0)
			return rc;
		if (P->p >= P->end || *P->p == '}' || *P->p == ';' ||
		    *P->p == ',')
			return ucl_fail(P, ERR_MALFORMED, P->p,
			    "key \"%s\" has no value, got %s",
			    ucl_show_key(m, keybuf),
			    ucl_show(P, P->p, show));
		rc = ucl_parse_value(P, m);
		m->line = key_line;
		return rc;
	}
	if (*P->p == '{' || *P->p == '[') {
		rc = ucl_parse_value(P, m);
		m->line = key_line;
		return rc;
	}
	/* "key value" or "key name { ... }". */
	if ((rc = ucl_node_new(P, &inner)) != 0)
		return rc;
	if ((rc = ucl_parse_value(P, inner)) != 0)
		return rc;
	if ((rc = ucl_skip_ws(P)) != 0)
		return rc;
	if (P->p >= P->end || *P->p != '{') {
		m->type = inner->type;
		m->str = inner->str;
		m->str_len = inner->str_len;
		return 0;
	}
	/* The name becomes a key; the block its value. */
	inner->key = inner->str;
	inner->key_len = inner->str_len;
	inner->str = NULL;
	inner->str_len = 0;
	if ((rc = ucl_enter(P)) != 0)
		return rc;
	if ((rc = ucl_parse_object(P, inner)) != 0)
		return rc;
	P->depth--;
	m->type = UCL_OBJECT;
	m->child = inner;
	m->n_children = 1;
	return 0;
}

/*
 * ucl_parse_members - members of obj up to the '}' that closes the
 * brace at open, or up to the end of input when open is NULL (a top
 * level without braces).
 */
static int
ucl_parse_members(struct ucl_parser *P, struct ucl_node *obj, const char *open)
{
	struct ucl_node *tail = NULL, *m;
	int rc;

	for (;;) {
		if ((rc = ucl_skip_ws(P)) != 0)
			return rc;
		if (P->p >= P->end) {
			if (open != NULL)
				return ucl_fail(P, ERR_MALFORMED, open,
				    "unterminated object (no closing '}')");
			return 0;
		}
		if (*P->p == '}') {
			if (open == NULL)
				return ucl_fail(P, ERR_MALFORMED, P->p,
				    "'}' without a matching '{'");
			P->p++;
			return 0;
		}
		if (*P->p == ';') {
			P->p++;
			continue;
		}
		if ((rc = ucl_node_new(P, &m)) != 0)
			return rc;
		if ((rc = ucl_parse_member(P, m)) != 0)
			return rc;
		if (tail == NULL)
			obj->child = m;
		else
			tail->next = m;
		tail = m;
		obj->n_children++;
		if ((rc = ucl_skip_ws(P)) != 0)
			return rc;
		if (P->p < P->end && (*P->p == ';' || *P->p == ','))
			P->p++;
	}
}

static int
ucl_parse_doc(struct ucl_parser *P)
{
	struct ucl_node *root = &P->doc->root;
	char show[8];
	int rc;

	/* A UTF-8 byte order mark, as some editors write. */
	if (P->end - P->p >= 3 && memcmp(P->p, "\xef\xbb\xbf", 3) == 0)
		P->p += 3;
	if ((rc = ucl_skip_ws(P)) != 0)
		return rc;
	if (P->p < P->end && *P->p == '[')
		return ucl_fail(P, ERR_MALFORMED, P->p,
		    "the top level must be an object, not an array");
	if (P->p < P->end && *P->p == '{') {
		root->line = P->line;
		if ((rc = ucl_parse_object(P, root)) != 0)
			return rc;
		if ((rc = ucl_skip_ws(P)) != 0)
			return rc;
		if (P->p < P->end)
			return ucl_fail(P, ERR_MALFORMED, P->p,
			    "%s after the top-level object",
			    ucl_show(P, P->p, show));
		return 0;
	}
	return ucl_parse_members(P, root, NULL);
}

int
ucl_parse_reuse(const char *text, size_t len, struct ucl_doc **docp,
    struct ucl_error *err)
{
	struct ucl_parser P;
	struct ucl_doc *doc = *docp;
	const char *nul;
	int rc;

	memset(&P, 0, sizeof(P));
	P.start = P.p = text;
	P.end = text + len;
	P.line = 1;
	P.err = err;
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (doc == NULL) {
		if ((doc = xcalloc(1, sizeof(*doc))) == NULL) {
			P.end = P.start;
			return ucl_fail(&P, ERR_NOMEM, text, "out of memory");
		}
		*docp = doc;
	}
	if (len > UCL_MAX_INPUT) {
		ucl_doc_reset(doc, 0);
		P.end = P.start;
		return ucl_fail(&P, ERR_TOOBIG, text,
		    "input of %zu bytes is over the limit of %u", len,
		    UCL_MAX_INPUT);
	}
	if (ucl_doc_reset(doc, len) != 0) {
		P.end = P.start;
		return ucl_fail(&P, ERR_NOMEM, text, "out of memory");
	}
	/* A NUL byte is never valid text; report it where it is. */
	if ((nul = memchr(text, '\0', len)) != NULL)
		return ucl_fail(&P, ERR_MALFORMED, nul, "NUL byte in the input");
	P.doc = doc;
	if ((rc = ucl_parse_doc(&P)) != 0) {
		memset(&doc->root, 0, sizeof(doc->root));
		doc->root.type = UCL_OBJECT;
		doc->root.line = 1;
		return rc;
	}
	return 0;
}

int
ucl_parse(const char *text, size_t len, struct ucl_doc **out,
    struct ucl_error *err)
{
	int rc;

	*out = NULL;
	if ((rc = ucl_parse_reuse(text, len, out, err)) != 0) {
		ucl_doc_free(*out);
		*out = NULL;
	}
	return rc;
}

const struct ucl_node *
ucl_doc_root(const struct ucl_doc *doc)
{
	return &doc->root;
}

void
ucl_doc_free(struct ucl_doc *doc)
{
	if (doc == NULL)
		return;
	ucl_chunks_free(doc->chunks);
	xfree(doc);
}

const struct ucl_node *
ucl_get(const struct ucl_node *obj, const char *key)
{
	const struct ucl_node *n;
	size_t len;

	if (obj == NULL || obj->type != UCL_OBJECT)
		return NULL;
	len = strlen(key);
	for (n = obj->child; n != NULL; n = n->next)
		if (n->key_len == len && memcmp(n->key, key, len) == 0)
			return n;
	return NULL;
}

const char *
ucl_type_name(enum ucl_type type)
{
	switch (type) {
	case UCL_STRING:
		return "string";
	case UCL_ATOM:
		return "atom";
	case UCL_ARRAY:
		return "array";
	case UCL_OBJECT:
		return "object";
	}
	return "?";
}
