/*
 * test_ucl.c - unit tests of the UCL/JSON parser (src/proto/ucl.c).
 *
 * Table-driven: valid documents are compared with a compact dump of the
 * tree ({key=value,...}, [a,b], "string", bare atoms, name-form blocks
 * as key={name={...}}); malformed ones with the error code, line, column
 * and a piece of the message.  Every error code and every limit of
 * ucl.h is triggered at least once; allocation failure is injected at
 * every allocation of a parse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/xmalloc.h"
#include "proto/ucl.h"

/* ---- a compact dump of a tree ---- */

static void
dump_node(const struct ucl_node *n, char *buf, size_t cap, size_t *off)
{
	const struct ucl_node *c;

#define PUT(...) (*off += (size_t)snprintf(buf + *off, *off < cap ? cap - *off : 0, __VA_ARGS__))
	switch (n->type) {
	case UCL_STRING:
		PUT("\"%s\"", n->str);
		break;
	case UCL_ATOM:
		PUT("%s", n->str);
		break;
	case UCL_ARRAY:
		PUT("[");
		for (c = n->child; c != NULL; c = c->next) {
			dump_node(c, buf, cap, off);
			if (c->next)
				PUT(",");
		}
		PUT("]");
		break;
	case UCL_OBJECT:
		PUT("{");
		for (c = n->child; c != NULL; c = c->next) {
			PUT("%s=", c->key);
			dump_node(c, buf, cap, off);
			if (c->next)
				PUT(",");
		}
		PUT("}");
		break;
	}
#undef PUT
}

static const char *
dump(const struct ucl_doc *doc, char *buf, size_t cap)
{
	size_t off = 0;

	buf[0] = '\0';
	dump_node(ucl_doc_root(doc), buf, cap, &off);
	return buf;
}

/* ---- valid documents ---- */

static const struct {
	const char *name;
	const char *input;
	const char *want;
} valid_cases[] = {
	{ "empty", "", "{}" },
	{ "only blanks", "  \n\t\r\n", "{}" },
	{ "only comments", "# a\n// b\n/* c */", "{}" },
	{ "empty braces", "{}", "{}" },
	{ "equals", "a = 1;", "{a=1}" },
	{ "colon", "a: 1", "{a=1}" },
	{ "no separator", "a 1", "{a=1}" },
	{ "comma separated", "a = 1, b = 2", "{a=1,b=2}" },
	{ "newline separated", "a = 1\nb = 2\n", "{a=1,b=2}" },
	{ "stray semicolons", ";;a = 1;;", "{a=1}" },
	{ "quoted string", "a = \"x y\";", "{a=\"x y\"}" },
	{ "single quoted", "a = 'x \"y\"';", "{a=\"x \"y\"\"}" },
	{ "single quote escape", "a = 'it\\'s';", "{a=\"it's\"}" },
	{ "single quote keeps backslash", "a = 'c:\\dir';", "{a=\"c:\\dir\"}" },
	{ "quoted key", "\"a b\" = 1", "{a b=1}" },
	{ "single quoted key", "'k' = 1", "{k=1}" },
	{ "atom duration", "t = 50ms;", "{t=50ms}" },
	{ "atom rate", "r = 200/1h;", "{r=200/1h}" },
	{ "atom path", "f = /etc/x.conf;", "{f=/etc/x.conf}" },
	{ "atom host port", "l = 127.0.0.1:10040;", "{l=127.0.0.1:10040}" },
	{ "atom with double slash", "u = http://x/y;", "{u=http://x/y}" },
	{ "atom utf8", "n = caf\xc3\xa9;", "{n=caf\xc3\xa9}" },
	{ "atom ends at hash", "a = b#c\nd = 1", "{a=b,d=1}" },
	{ "atom ends at brace", "x { a = b}", "{x={a=b}}" },
	{ "atoms true null", "a = true; b = null; c = -1.5e3",
	  "{a=true,b=null,c=-1.5e3}" },
	{ "array", "a = [1, 2, 3]", "{a=[1,2,3]}" },
	{ "array trailing comma", "a = [1, 2,]", "{a=[1,2]}" },
	{ "empty array", "a = []", "{a=[]}" },
	{ "array multiline", "a = [\n \"x\",\n \"y\"\n]", "{a=[\"x\",\"y\"]}" },
	{ "array of objects", "a = [{b = 1}, {c = 2}]", "{a=[{b=1},{c=2}]}" },
	{ "nested arrays", "a = [[1], [[2]]]", "{a=[[1],[[2]]]}" },
	{ "block", "s { a = 1; b = 2; }", "{s={a=1,b=2}}" },
	{ "block with equals", "s = { a = 1 }", "{s={a=1}}" },
	{ "block with colon", "s: { a: 1 }", "{s={a=1}}" },
	{ "array without separator", "a [1]", "{a=[1]}" },
	{ "named block", "network \"b\" { x = 1; }", "{network={b={x=1}}}" },
	{ "named block bare name", "zone bl.test { ttl = 5 }",
	  "{zone={bl.test={ttl=5}}}" },
	{ "named block brace on next line", "n \"a\"\n{\n}", "{n={a={}}}" },
	{ "named blocks repeat", "n \"a\" {} n \"b\" {}", "{n={a={}},n={b={}}}" },
	{ "nested named blocks",
	  "zone \"z\" { dataset \"d\" { type = x; } }",
	  "{zone={z={dataset={d={type=x}}}}}" },
	{ "duplicates kept", "a = 1; a = 2", "{a=1,a=2}" },
	{ "hash comment", "a = 1 # one\nb = 2", "{a=1,b=2}" },
	{ "slash comment", "a = 1 // one\nb = 2", "{a=1,b=2}" },
	{ "block comment", "a = /* x */ 1", "{a=1}" },
	{ "nested block comment", "/* a /* b */ c */ x = 1", "{x=1}" },
	{ "comment in array", "a = [1, # one\n 2]", "{a=[1,2]}" },
	{ "json object", "{\"t\": 1.5, \"ev\": \"log\", \"x\": {\"y\": [true, null]}}",
	  "{t=1.5,ev=\"log\",x={y=[true,null]}}" },
	{ "json with blanks", "  {\"a\": 1}  \n", "{a=1}" },
	{ "json empty string", "{\"a\": \"\"}", "{a=\"\"}" },
	{ "escapes", "a = \"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\"",
	  "{a=\"q\" b\\ s/ \b\f\n\r\t\"}" },
	{ "unicode escape", "a = \"\\u00e9\\u20ac\"", "{a=\"\xc3\xa9\xe2\x82\xac\"}" },
	{ "surrogate pair", "a = \"\\ud83d\\ude00\"", "{a=\"\xf0\x9f\x98\x80\"}" },
	{ "ascii unicode escape", "a = \"\\u0041\"", "{a=\"A\"}" },
	{ "tab in string", "a = \"x\ty\"", "{a=\"x\ty\"}" },
	{ "bom", "\xef\xbb\xbf" "a = 1", "{a=1}" },
	{ "key chars", "a-b_c.d@e+f = 1", "{a-b_c.d@e+f=1}" },
	{ "digit key", "42 = x", "{42=x}" },
	{ "crlf", "a = 1\r\nb = 2\r\n", "{a=1,b=2}" },
};

static void
test_valid(void **state)
{
	char buf[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		struct ucl_doc *doc = NULL;
		struct ucl_error err;
		int rc;

		rc = ucl_parse(valid_cases[i].input, strlen(valid_cases[i].input),
		    &doc, &err);
		if (rc != 0)
			fail_msg("%s: rc %d at %d:%d: %s", valid_cases[i].name, rc,
			    err.line, err.col, err.msg);
		if (strcmp(dump(doc, buf, sizeof(buf)), valid_cases[i].want) != 0)
			fail_msg("%s: got %s want %s", valid_cases[i].name, buf,
			    valid_cases[i].want);
		assert_int_equal(ucl_doc_root(doc)->type, UCL_OBJECT);
		ucl_doc_free(doc);
	}
}

/* ---- malformed documents ---- */

static const struct {
	const char *name;
	const char *input;
	int rc;
	int line, col;
	const char *msg;	/* a piece of the message */
} error_cases[] = {
	{ "unterminated string", "a = \"abc", ERR_MALFORMED, 1, 5,
	  "unterminated string" },
	{ "unterminated escape", "a = \"abc\\", ERR_MALFORMED, 1, 5,
	  "unterminated string" },
	{ "newline in string", "a = \"ab\ncd\"", ERR_MALFORMED, 1, 8, "newline" },
	{ "escaped newline", "a = \"ab\\\ncd\"", ERR_MALFORMED, 1, 9, "newline" },
	{ "control char in string", "a = \"a\x01\"", ERR_MALFORMED, 1, 7,
	  "control character 0x01" },
	{ "bad escape", "a = \"\\x\"", ERR_MALFORMED, 1, 6, "unknown escape" },
	{ "short unicode escape", "a = \"\\u12\"", ERR_MALFORMED, 1, 6, "\\u escape" },
	{ "bad hex", "a = \"\\u12g4\"", ERR_MALFORMED, 1, 6, "\\u escape" },
	{ "lone low surrogate", "a = \"\\udc00\"", ERR_MALFORMED, 1, 6,
	  "lone low surrogate" },
	{ "lone high surrogate", "a = \"\\ud800x\"", ERR_MALFORMED, 1, 6,
	  "high surrogate" },
	{ "high then non-low", "a = \"\\ud800\\u0041\"", ERR_MALFORMED, 1, 6,
	  "high surrogate" },
	{ "unterminated comment", "a = 1 /* x", ERR_MALFORMED, 1, 7,
	  "unterminated /*" },
	{ "unterminated nested comment", "/* /* */", ERR_MALFORMED, 1, 1,
	  "unterminated /*" },
	{ "no value at end", "a =", ERR_MALFORMED, 1, 4, "has no value" },
	{ "no value before semicolon", "a = ;", ERR_MALFORMED, 1, 5, "has no value" },
	{ "key alone", "a", ERR_MALFORMED, 1, 2, "has no value" },
	{ "unprintable key shown safely", "{\"a\\nb\";", ERR_MALFORMED, 1, 8,
	  "key \"a?b\" has no value" },
	{ "key then brace", "s { a }", ERR_MALFORMED, 1, 7, "has no value" },
	{ "unterminated object", "s {\n a = 1\n", ERR_MALFORMED, 1, 3,
	  "unterminated object" },
	{ "unterminated top object", "{ a = 1", ERR_MALFORMED, 1, 1,
	  "unterminated object" },
	{ "unmatched brace", "a = 1 }", ERR_MALFORMED, 1, 7, "without a matching" },
	{ "unterminated array", "a = [1, 2", ERR_MALFORMED, 1, 5,
	  "unterminated array" },
	{ "unterminated array after comma", "a = [1,", ERR_MALFORMED, 1, 5,
	  "unterminated array" },
	{ "array missing comma", "a = [1 2]", ERR_MALFORMED, 1, 8,
	  "expected ',' or ']'" },
	{ "array leading comma", "a = [,1]", ERR_MALFORMED, 1, 6, "expected a value" },
	{ "array with semicolon", "a = [1; 2]", ERR_MALFORMED, 1, 7,
	  "expected ',' or ']'" },
	{ "bad key", "= 1", ERR_MALFORMED, 1, 1, "expected a key" },
	{ "bad key char", "a = 1\n!x = 2", ERR_MALFORMED, 2, 1, "expected a key" },
	{ "macro", ".include \"x\"", ERR_MALFORMED, 1, 1, "macros" },
	{ "variable key", "$x = 1", ERR_MALFORMED, 1, 1, "variables" },
	{ "variable value", "a = $HOME", ERR_MALFORMED, 1, 5, "variables" },
	{ "heredoc", "a = <<EOD\nx\nEOD", ERR_MALFORMED, 1, 5, "heredocs" },
	{ "top array", "[1, 2]", ERR_MALFORMED, 1, 1, "must be an object" },
	{ "trailing data", "{\"a\": 1} x", ERR_MALFORMED, 1, 10,
	  "after the top-level object" },
	{ "second object", "{} {}", ERR_MALFORMED, 1, 4,
	  "after the top-level object" },
	{ "json missing colon value", "{\"a\": }", ERR_MALFORMED, 1, 7,
	  "has no value" },
	{ "nul byte", "a = 1\n\0b", ERR_MALFORMED, 2, 1, "NUL byte" },
	{ "line and column", "a = 1\nb = 2\nc = [1 2]", ERR_MALFORMED, 3, 8,
	  "expected ','" },
	{ "comment nesting too deep",
	  "/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*",
	  ERR_TOOBIG, 1, 65, "nested deeper" },
};

static void
test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		struct ucl_doc *doc = (struct ucl_doc *)&doc;
		struct ucl_error err;
		size_t len = strlen(error_cases[i].input);
		int rc;

		if (strcmp(error_cases[i].name, "nul byte") == 0)
			len = 8;
		rc = ucl_parse(error_cases[i].input, len, &doc, &err);
		if (rc != error_cases[i].rc || err.line != error_cases[i].line ||
		    err.col != error_cases[i].col ||
		    strstr(err.msg, error_cases[i].msg) == NULL)
			fail_msg("%s: got rc %d at %d:%d \"%s\"; want rc %d at "
			    "%d:%d \"%s\"", error_cases[i].name, rc, err.line,
			    err.col, err.msg, error_cases[i].rc,
			    error_cases[i].line, error_cases[i].col,
			    error_cases[i].msg);
		assert_null(doc);
		/* offset and line/col agree */
		assert_true(err.offset <= len);
	}
}

static void
test_error_offset(void **state)
{
	struct ucl_doc *doc;
	struct ucl_error err;
	const char *in = "a = 1\nbb = [1 2]";

	(void)state;
	assert_int_equal(ucl_parse(in, strlen(in), &doc, &err), ERR_MALFORMED);
	assert_int_equal(err.offset, 14);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 9);
	/* A NULL error pointer is allowed. */
	assert_int_equal(ucl_parse(in, strlen(in), &doc, NULL), ERR_MALFORMED);
	assert_null(doc);
}

/* ---- lines, lookups, names ---- */

static void
test_lines(void **state)
{
	const char *in = "# c\na = 1\n/* x\n y */ s {\n  b = [\n 1,\n 2 ]\n}\n"
	    "n \"x\" {\n}\n";
	const struct ucl_node *root, *s, *b, *n;
	struct ucl_doc *doc;

	(void)state;
	assert_int_equal(ucl_parse(in, strlen(in), &doc, NULL), 0);
	root = ucl_doc_root(doc);
	assert_int_equal(root->n_children, 3);
	assert_int_equal(ucl_get(root, "a")->line, 2);
	s = ucl_get(root, "s");
	assert_int_equal(s->line, 4);
	assert_int_equal(s->type, UCL_OBJECT);
	b = ucl_get(s, "b");
	assert_int_equal(b->line, 5);
	assert_int_equal(b->n_children, 2);
	assert_int_equal(b->child->line, 6);
	assert_int_equal(b->child->next->line, 7);
	assert_null(b->child->key);
	n = ucl_get(root, "n");
	assert_int_equal(n->line, 9);
	assert_int_equal(n->n_children, 1);
	assert_string_equal(n->child->key, "x");
	assert_int_equal(n->child->key_len, 1);
	assert_int_equal(n->child->line, 9);
	assert_null(ucl_get(root, "missing"));
	assert_null(ucl_get(b, "x"));	/* not an object */
	assert_null(ucl_get(NULL, "x"));
	ucl_doc_free(doc);
}

static void
test_get_first_of_duplicates(void **state)
{
	struct ucl_doc *doc;
	const char *in = "a = 1; a = 2";

	(void)state;
	assert_int_equal(ucl_parse(in, strlen(in), &doc, NULL), 0);
	assert_string_equal(ucl_get(ucl_doc_root(doc), "a")->str, "1");
	ucl_doc_free(doc);
}

static void
test_types(void **state)
{
	struct ucl_doc *doc;
	const struct ucl_node *r;
	const char *in = "s = \"1\"; a = 1; l = [1]; o {}";

	(void)state;
	assert_int_equal(ucl_parse(in, strlen(in), &doc, NULL), 0);
	r = ucl_doc_root(doc);
	assert_int_equal(ucl_get(r, "s")->type, UCL_STRING);
	assert_int_equal(ucl_get(r, "a")->type, UCL_ATOM);
	assert_int_equal(ucl_get(r, "l")->type, UCL_ARRAY);
	assert_int_equal(ucl_get(r, "o")->type, UCL_OBJECT);
	assert_true(ucl_is_scalar(ucl_get(r, "s")));
	assert_true(ucl_is_scalar(ucl_get(r, "a")));
	assert_false(ucl_is_scalar(ucl_get(r, "l")));
	assert_string_equal(ucl_type_name(UCL_STRING), "string");
	assert_string_equal(ucl_type_name(UCL_ATOM), "atom");
	assert_string_equal(ucl_type_name(UCL_ARRAY), "array");
	assert_string_equal(ucl_type_name(UCL_OBJECT), "object");
	assert_string_equal(ucl_type_name((enum ucl_type)42), "?");
	ucl_doc_free(doc);
}

static void
test_nul_escape(void **state)
{
	struct ucl_doc *doc;
	const struct ucl_node *n;
	const char *in = "a = \"x\\u0000y\"";

	(void)state;
	assert_int_equal(ucl_parse(in, strlen(in), &doc, NULL), 0);
	n = ucl_get(ucl_doc_root(doc), "a");
	assert_int_equal(n->str_len, 3);
	assert_memory_equal(n->str, "x\0y", 4);
	ucl_doc_free(doc);
}

static void
test_not_nul_terminated(void **state)
{
	/* The parser must not read past len: "a = 12" cut after "1". */
	char *in = malloc(5);
	struct ucl_doc *doc;

	(void)state;
	memcpy(in, "a = 1", 5);
	assert_int_equal(ucl_parse(in, 5, &doc, NULL), 0);
	assert_string_equal(ucl_get(ucl_doc_root(doc), "a")->str, "1");
	ucl_doc_free(doc);
	memcpy(in, "a=\"x\"", 5);
	assert_int_equal(ucl_parse(in, 5, &doc, NULL), 0);
	ucl_doc_free(doc);
	memcpy(in, "a=\"\\u", 5);
	assert_int_equal(ucl_parse(in, 5, &doc, NULL), ERR_MALFORMED);
	free(in);
}

/* ---- limits ---- */

static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(hl + ul * n + tl + 1), *p = s;

	memcpy(p, head, hl);
	p += hl;
	for (i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

static void
test_limit_depth(void **state)
{
	struct ucl_doc *doc;
	struct ucl_error err;
	char *ok, *deep;

	(void)state;
	/* 32 nested arrays under the root object: the limit exactly. */
	ok = repeat("a = ", "[", UCL_MAX_DEPTH, "");
	deep = malloc(strlen(ok) + UCL_MAX_DEPTH + 1);
	strcpy(deep, ok);
	memset(deep + strlen(ok), ']', UCL_MAX_DEPTH);
	deep[strlen(ok) + UCL_MAX_DEPTH] = '\0';
	assert_int_equal(ucl_parse(deep, strlen(deep), &doc, &err), 0);
	ucl_doc_free(doc);
	free(deep);
	free(ok);
	deep = repeat("a = ", "[", UCL_MAX_DEPTH + 1, "");
	assert_int_equal(ucl_parse(deep, strlen(deep), &doc, &err), ERR_TOOBIG);
	assert_non_null(strstr(err.msg, "nesting deeper"));
	free(deep);
	/* Objects count too; a top-level { } is depth 1. */
	deep = repeat("{", "a{", UCL_MAX_DEPTH, "");
	assert_int_equal(ucl_parse(deep, strlen(deep), &doc, &err), ERR_TOOBIG);
	free(deep);
	/* And name-form blocks. */
	deep = repeat("", "n \"x\" {", UCL_MAX_DEPTH, "");
	assert_int_equal(ucl_parse(deep, strlen(deep), &doc, &err), ERR_TOOBIG);
	free(deep);
}

static void
test_limit_string(void **state)
{
	struct ucl_doc *doc;
	struct ucl_error err;
	char *s;

	(void)state;
	s = repeat("a = \"", "x", UCL_MAX_STRING, "\"");
	assert_int_equal(ucl_parse(s, strlen(s), &doc, &err), 0);
	assert_int_equal(ucl_get(ucl_doc_root(doc), "a")->str_len, UCL_MAX_STRING);
	ucl_doc_free(doc);
	free(s);
	s = repeat("a = \"", "x", UCL_MAX_STRING + 1, "\"");
	assert_int_equal(ucl_parse(s, strlen(s), &doc, &err), ERR_TOOBIG);
	assert_non_null(strstr(err.msg, "string longer"));
	free(s);
	/* Escapes shrink: the limit is on the decoded length. */
	s = repeat("a = \"", "\\n", UCL_MAX_STRING, "\"");
	assert_int_equal(ucl_parse(s, strlen(s), &doc, &err), 0);
	ucl_doc_free(doc);
	free(s);
	s = repeat("a = ", "x", UCL_MAX_STRING + 1, "");
	assert_int_equal(ucl_parse(s, strlen(s), &doc, &err), ERR_TOOBIG);
	assert_non_null(strstr(err.msg, "atom longer"));
	free(s);
	s = repeat("", "k", UCL_MAX_STRING + 1, " = 1");
	assert_int_equal(ucl_parse(s, strlen(s), &doc, &err), ERR_TOOBIG);
	free(s);
}

static void
test_limit_nodes(void **state)
{
	struct ucl_doc *doc;
	struct ucl_error err;
	char *s;

	(void)state;
	/* The array node plus its elements. */
	s = repeat("a = [", "1,", UCL_MAX_NODES - 1, "]");
	assert_int_equal(ucl_parse(s, strlen(s), &doc, &err), 0);
	ucl_doc_free(doc);
	free(s);
	s = repeat("a = [", "1,", UCL_MAX_NODES, "]");
	assert_int_equal(ucl_parse(s, strlen(s), &doc, &err), ERR_TOOBIG);
	assert_non_null(strstr(err.msg, "nodes"));
	free(s);
}

static void
test_limit_input(void **state)
{
	struct ucl_doc *doc;
	struct ucl_error err;
	char *s = malloc(UCL_MAX_INPUT + 1);

	(void)state;
	memset(s, ' ', UCL_MAX_INPUT + 1);
	assert_int_equal(ucl_parse(s, UCL_MAX_INPUT, &doc, &err), 0);
	ucl_doc_free(doc);
	assert_int_equal(ucl_parse(s, UCL_MAX_INPUT + 1, &doc, &err), ERR_TOOBIG);
	assert_null(doc);
	assert_non_null(strstr(err.msg, "over the limit"));
	free(s);
}

/* ---- reuse and memory ---- */

static void
test_reuse(void **state)
{
	struct ucl_doc *doc = NULL;
	struct ucl_error err;
	char buf[256], *big;
	int i;

	(void)state;
	assert_int_equal(ucl_parse_reuse("a = 1", 5, &doc, &err), 0);
	assert_string_equal(dump(doc, buf, sizeof(buf)), "{a=1}");
	/* A big document needs several chunks, then shrinks back to one. */
	big = repeat("a = [", "\"xxxxxxxxxxxxxxxx\",", 20000, "]");
	assert_int_equal(ucl_parse_reuse(big, strlen(big), &doc, &err), 0);
	assert_int_equal(ucl_get(ucl_doc_root(doc), "a")->n_children, 20000);
	free(big);
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "{\"n\": %d}", i);
		assert_int_equal(ucl_parse_reuse(buf, strlen(buf), &doc, &err), 0);
	}
	assert_string_equal(ucl_get(ucl_doc_root(doc), "n")->str, "99");
	/* A failure leaves an empty, reusable document. */
	assert_int_equal(ucl_parse_reuse("a = [", 5, &doc, &err), ERR_MALFORMED);
	assert_non_null(doc);
	assert_int_equal(ucl_doc_root(doc)->n_children, 0);
	assert_null(ucl_doc_root(doc)->child);
	assert_int_equal(ucl_parse_reuse("b = 2", 5, &doc, &err), 0);
	assert_string_equal(dump(doc, buf, sizeof(buf)), "{b=2}");
	ucl_doc_free(doc);
	ucl_doc_free(NULL);
}

static void
test_nomem(void **state)
{
	const char *in = "state { dir = \"./var\"; }\nnetwork \"a\" { p = [\"1\", "
	    "\"2\"]; }\nx = \"\\u00e9\"";
	struct ucl_doc *doc;
	struct ucl_error err;
	long n;
	int rc = -1;

	(void)state;
	for (n = 0; n < 100 && rc != 0; n++) {
		xmalloc_fail_after(n);
		rc = ucl_parse(in, strlen(in), &doc, &err);
		xmalloc_fail_after(-1);
		if (rc != 0) {
			assert_int_equal(rc, ERR_NOMEM);
			assert_null(doc);
		}
	}
	assert_int_equal(rc, 0);
	ucl_doc_free(doc);
	/* A big document makes the arena grow: fail that growth. */
	{
		char *big = repeat("a = [", "\"xxxxxxxxxxxxxxxx\",", 5000, "]");

		for (n = 0; n < 20; n++) {
			xmalloc_fail_after(n);
			rc = ucl_parse(big, strlen(big), &doc, &err);
			xmalloc_fail_after(-1);
			if (rc == 0)
				break;
			assert_int_equal(rc, ERR_NOMEM);
			assert_string_equal(err.msg, "out of memory");
		}
		assert_int_equal(rc, 0);
		ucl_doc_free(doc);
		free(big);
	}
	/* Reuse: the reset itself may fail, and the doc stays usable. */
	doc = NULL;
	assert_int_equal(ucl_parse_reuse("a = 1", 5, &doc, NULL), 0);
	{
		char *big = repeat("a = [", "1,", 5000, "]");

		xmalloc_fail_after(0);
		rc = ucl_parse_reuse(big, strlen(big), &doc, &err);
		xmalloc_fail_after(-1);
		assert_int_equal(rc, ERR_NOMEM);
		free(big);
	}
	if (doc != NULL)
		assert_int_equal(ucl_parse_reuse("a = 1", 5, &doc, NULL), 0);
	ucl_doc_free(doc);
	/* The document itself cannot be allocated. */
	doc = NULL;
	xmalloc_fail_after(0);
	rc = ucl_parse_reuse("a = 1", 5, &doc, &err);
	xmalloc_fail_after(-1);
	assert_int_equal(rc, ERR_NOMEM);
	assert_null(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_offset),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_get_first_of_duplicates),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_nul_escape),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_limit_depth),
		cmocka_unit_test(test_limit_string),
		cmocka_unit_test(test_limit_nodes),
		cmocka_unit_test(test_limit_input),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
