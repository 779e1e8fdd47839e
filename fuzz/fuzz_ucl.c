/*
 * fuzz_ucl.c - libFuzzer target for the UCL/JSON parser (proto/ucl.c).
 *
 * Parses the input twice: once on its own, once reusing the document
 * of the previous input (the trace replay path), and walks the tree
 * checking the invariants of ucl.h (roots are objects, strings are
 * NUL-terminated at str_len, child counts match).  Corpus:
 * fuzz/corpus/fuzz_ucl/, replayed by `make test`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "proto/ucl.h"

static size_t
walk(const struct ucl_node *n, int depth)
{
	const struct ucl_node *c;
	size_t count = 0, total = 1;

	if (depth > UCL_MAX_DEPTH + 2)
		abort();
	if ((n->type == UCL_STRING || n->type == UCL_ATOM) &&
	    (n->str == NULL || n->str[n->str_len] != '\0'))
		abort();
	if (n->key != NULL && n->key[n->key_len] != '\0')
		abort();
	for (c = n->child; c != NULL; c = c->next) {
		if (n->type == UCL_OBJECT && c->key == NULL)
			abort();
		if (n->type == UCL_ARRAY && c->key != NULL)
			abort();
		total += walk(c, depth + 1);
		count++;
	}
	if (count != n->n_children)
		abort();
	if (n->line < 1)
		abort();
	return total;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ucl_doc *reused;
	struct ucl_doc *doc;
	struct ucl_error err;
	int rc;

	rc = ucl_parse((const char *)data, size, &doc, &err);
	if (rc == 0) {
		if (ucl_doc_root(doc)->type != UCL_OBJECT)
			abort();
		walk(ucl_doc_root(doc), 0);
		ucl_get(ucl_doc_root(doc), "t");
		ucl_doc_free(doc);
	} else {
		if (doc != NULL || (rc != ERR_MALFORMED && rc != ERR_TOOBIG &&
		    rc != ERR_NOMEM))
			abort();
		if (err.offset > size || err.line < 1 || err.col < 1 ||
		    memchr(err.msg, '\0', sizeof(err.msg)) == NULL)
			abort();
	}
	if (ucl_parse_reuse((const char *)data, size, &reused, &err) == 0)
		walk(ucl_doc_root(reused), 0);
	else if (reused != NULL && ucl_doc_root(reused)->child != NULL)
		abort();
	return 0;
}
