/*
 * ucl.h - a parser for the UCL configuration syntax (and JSON, a subset).
 *
 * Why hand-written: Debian does not package vstakhov's libucl (Debian's
 * "libucl-dev" is the unrelated UCL compression library), and the
 * project must build from Debian packages alone.  This parser reads the
 * part of UCL that relayguard's configuration and JSON Lines traces use:
 *
 *   key = value;  key: value,  key value;  key { ... }  key "name" { ... }
 *   "quoted keys", bare keys, 'single' and "double" quoted strings with
 *   JSON escapes, bare atoms (numbers, true/false, 50ms, 200/1h, paths),
 *   arrays [a, b, c,], nested objects, a top level with or without { },
 *   comments: # to end of line, // to end of line, nested / * ... * /.
 *
 * Not supported (an error, never a silent misreading): .include and other
 * macros, variables ($VAR), heredocs (<<EOD), multi-line atoms.
 *
 * `key "name" { body }` becomes the member key -> { name -> { body } },
 * as in libucl.  Members keep their source order and duplicates are kept
 * (no implicit arrays): the caller walks every member named key.
 *
 * Scalars are kept as text: a quoted string has type UCL_STRING, any
 * unquoted atom (42, true, 50ms, 1.5, null) has type UCL_ATOM; the
 * consumer decides what an atom means.  All memory of a document lives in
 * one arena freed by ucl_doc_free().  Node pointers and strings stay valid
 * until then.
 *
 * Limits (ERR_TOOBIG beyond them): input 16 MiB, nesting depth 32, one
 * string or key 64 KiB, 1,000,000 nodes.
 */
#ifndef RG_PROTO_UCL_H
#define RG_PROTO_UCL_H

#include <stdbool.h>
#include <stddef.h>

#define UCL_MAX_INPUT (16u << 20)
#define UCL_MAX_DEPTH 32
#define UCL_MAX_STRING (64u << 10)
#define UCL_MAX_NODES 1000000u

enum ucl_type { UCL_STRING, UCL_ATOM, UCL_ARRAY, UCL_OBJECT };

struct ucl_node {
	enum ucl_type type;
	int line;		/* 1-based line where the value (or key) starts */
	const char *key;	/* NUL-terminated member name; NULL in arrays/root */
	size_t key_len;
	const char *str;	/* UCL_STRING/UCL_ATOM: NUL-terminated, unescaped */
	size_t str_len;		/* may hold NUL bytes from \u0000 escapes */
	struct ucl_node *child;	/* first member/element of an object/array */
	struct ucl_node *next;	/* next sibling */
	size_t n_children;
};

struct ucl_error {
	int line;		/* 1-based */
	int col;		/* 1-based */
	size_t offset;		/* byte offset of the error */
	char msg[128];
};

struct ucl_doc;

/*
 * ucl_parse - parse len bytes.  On success *out owns the tree (free it
 * with ucl_doc_free) and the root is an UCL_OBJECT.  On failure returns
 * ERR_MALFORMED, ERR_TOOBIG or ERR_NOMEM, fills *err (if not NULL) and
 * sets *out to NULL.
 */
int ucl_parse(const char *text, size_t len, struct ucl_doc **out,
    struct ucl_error *err);

/*
 * ucl_parse_reuse - ucl_parse() for a caller that parses many small
 * documents (JSON Lines traces): *doc is NULL or a document from an
 * earlier call, whose arena is kept and reused, so a steady stream of
 * similar documents makes no allocation.  Every node and string of the
 * earlier parse becomes invalid.  Returns what ucl_parse() returns; on
 * failure *doc stays a valid document with an empty root (reuse it or
 * free it), or is NULL when even that could not be allocated.
 */
int ucl_parse_reuse(const char *text, size_t len, struct ucl_doc **doc,
    struct ucl_error *err);

/* ucl_doc_root - the root object; valid until ucl_doc_free(). */
const struct ucl_node *ucl_doc_root(const struct ucl_doc *doc);

/* ucl_doc_free - free the document; NULL is a no-op. */
void ucl_doc_free(struct ucl_doc *doc);

/* ucl_get - the first member of obj named key, or NULL. */
const struct ucl_node *ucl_get(const struct ucl_node *obj, const char *key);

/*
 * ucl_is_scalar - true for UCL_STRING and UCL_ATOM, the nodes whose str
 * holds a value.
 */
static inline bool
ucl_is_scalar(const struct ucl_node *node)
{
	return node->type == UCL_STRING || node->type == UCL_ATOM;
}

/* ucl_type_name - "string", "atom", "array", "object". */
const char *ucl_type_name(enum ucl_type type);

#endif
