/*
 * lpm.c - longest-prefix match: a path-compressed binary trie (lpm.h).
 *
 * Every node holds a whole prefix (address and length).  A child's prefix
 * is longer than its parent's and extends it; child[b] is taken when bit
 * `len` of the address is b.  Nodes that only mark a branching point
 * ("glue") carry no value.  Nodes are indexes into one array, so growing
 * the array never leaves a dangling link, and the whole table is freed in
 * one go.
 */
#include <stdint.h>
#include <string.h>

#include "lib/err.h"
#include "lib/lpm.h"
#include "lib/xmalloc.h"

#define LPM_NONE UINT32_MAX
#define LPM_NODES_MAX (1u << 31)

struct lpm_node {
	struct ipaddr key;	/* host bits beyond len are zero */
	uint32_t child[2];	/* LPM_NONE when absent */
	uint32_t value;
	uint8_t len;		/* 0..128 */
	uint8_t has_value;
};

struct lpm {
	struct lpm_node *nodes;	/* owned */
	uint32_t n_nodes;
	uint32_t cap;
	uint32_t root;
	size_t n_prefixes;
};

struct lpm *
lpm_new(void)
{
	struct lpm *lpm = xcalloc(1, sizeof(*lpm));

	if (lpm != NULL)
		lpm->root = LPM_NONE;
	return lpm;
}

void
lpm_free(struct lpm *lpm)
{
	if (lpm == NULL)
		return;
	xfree(lpm->nodes);
	xfree(lpm);
}

/* The number of leading bits that a and b share, at most max. */
static unsigned
lpm_common(const struct ipaddr *a, const struct ipaddr *b, unsigned max)
{
	unsigned i, n = 0;

	for (i = 0; i < 16 && n < max; i++) {
		unsigned x = a->bytes[i] ^ b->bytes[i];

		if (x != 0) {
			n += (unsigned)__builtin_clz(x) - 24;
			break;
		}
		n += 8;
	}
	return n < max ? n : max;
}

/* True when the first len bits of addr equal those of key. */
static bool
lpm_match(const struct ipaddr *key, unsigned len, const struct ipaddr *addr)
{
	unsigned full = len >> 3, rest = len & 7;

	if (memcmp(key->bytes, addr->bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((key->bytes[full] ^ addr->bytes[full]) &
	    (uint8_t)(0xff00u >> rest)) == 0;
}

/* Make room for two more nodes, the most one insertion adds. */
static int
lpm_reserve(struct lpm *lpm)
{
	struct lpm_node *n;
	uint32_t cap;

	if (lpm->n_nodes + 2 <= lpm->cap)
		return 0;
	if (lpm->cap >= LPM_NODES_MAX / 2)
		return ERR_TOOBIG;
	cap = lpm->cap ? lpm->cap * 2 : 16;
	n = xreallocarray(lpm->nodes, cap, sizeof(*n));
	if (n == NULL)
		return ERR_NOMEM;
	lpm->nodes = n;
	lpm->cap = cap;
	return 0;
}

static uint32_t
lpm_node_new(struct lpm *lpm, const struct ipaddr *key, unsigned len)
{
	struct lpm_node *n = &lpm->nodes[lpm->n_nodes];

	memset(n, 0, sizeof(*n));
	n->key = *key;
	ipaddr_mask(&n->key, len);
	n->len = (uint8_t)len;
	n->child[0] = n->child[1] = LPM_NONE;
	return lpm->n_nodes++;
}

int
lpm_insert(struct lpm *lpm, const struct ipprefix *prefix, uint32_t value)
{
	struct ipaddr key = prefix->addr;
	unsigned plen = prefix->len;
	uint32_t *link, at, fresh, glue;
	int rc;

	if (plen > 128)
		return ERR_INVAL;
	if ((rc = lpm_reserve(lpm)) != 0)
		return rc;
	ipaddr_mask(&key, plen);
	link = &lpm->root;
	for (;;) {
		struct lpm_node *node;
		unsigned common;

		if (*link == LPM_NONE) {
			fresh = lpm_node_new(lpm, &key, plen);
			*link = fresh;
			break;
		}
		at = *link;
		node = &lpm->nodes[at];
		common = lpm_common(&node->key, &key,
		    node->len < plen ? node->len : plen);
		if (common == node->len && common == plen) {
			if (node->has_value)
				return ERR_EXIST;
			node->has_value = 1;
			node->value = value;
			lpm->n_prefixes++;
			return 0;
		}
		if (common == node->len) {
			/* The node is a shorter prefix of ours: descend. */
			link = &node->child[ipaddr_bit(&key, node->len)];
			continue;
		}
		fresh = lpm_node_new(lpm, &key, plen);
		if (common == plen) {
			/* Ours is a shorter prefix of the node: above it. */
			lpm->nodes[fresh].child[ipaddr_bit(&lpm->nodes[at].key,
			    plen)] = at;
			*link = fresh;
			break;
		}
		/* They part at bit `common`: a glue node holds both. */
		glue = lpm_node_new(lpm, &key, common);
		lpm->nodes[glue].child[ipaddr_bit(&key, common)] = fresh;
		lpm->nodes[glue].child[ipaddr_bit(&lpm->nodes[at].key,
		    common)] = at;
		*link = glue;
		break;
	}
	lpm->nodes[fresh].has_value = 1;
	lpm->nodes[fresh].value = value;
	lpm->n_prefixes++;
	return 0;
}

bool
lpm_lookup(const struct lpm *lpm, const struct ipaddr *addr, uint32_t *value,
    unsigned *len)
{
	const struct lpm_node *best = NULL;
	uint32_t at = lpm->root;

	while (at != LPM_NONE) {
		const struct lpm_node *node = &lpm->nodes[at];

		if (!lpm_match(&node->key, node->len, addr))
			break;
		if (node->has_value)
			best = node;
		if (node->len >= 128)
			break;
		at = node->child[ipaddr_bit(addr, node->len)];
	}
	if (best == NULL)
		return false;
	*value = best->value;
	if (len != NULL)
		*len = best->len;
	return true;
}

bool
lpm_get(const struct lpm *lpm, const struct ipprefix *prefix, uint32_t *value)
{
	struct ipaddr key = prefix->addr;
	uint32_t at = lpm->root;

	if (prefix->len > 128)
		return false;
	ipaddr_mask(&key, prefix->len);
	while (at != LPM_NONE) {
		const struct lpm_node *node = &lpm->nodes[at];

		if (node->len > prefix->len ||
		    !lpm_match(&node->key, node->len, &key))
			return false;
		if (node->len == prefix->len) {
			if (!node->has_value)
				return false;
			*value = node->value;
			return true;
		}
		at = node->child[ipaddr_bit(&key, node->len)];
	}
	return false;
}

size_t
lpm_count(const struct lpm *lpm)
{
	return lpm->n_prefixes;
}
