/*
 * lpm.h - longest-prefix match over IPv4 and IPv6 prefixes.
 *
 * A path-compressed binary trie (PATRICIA style) over the 128-bit form of
 * struct ipaddr, so IPv4 (stored as ::ffff:a.b.c.d, prefix length 96 + n)
 * and IPv6 share one table.  Each prefix maps to a 32-bit value chosen
 * by the caller (a network index, say).
 *
 * Why a trie and not a sorted array: the table holds CIDR blocks of any
 * length that nest (a /24 inside a /10), and the longest must win; a
 * sorted array of single addresses (rbldnsd's ip4set) cannot answer that.
 *
 * Memory: nodes live in one array of 32-byte nodes; n prefixes need at
 * most 2n - 1 nodes (one glue node per branching point), so at most 64
 * bytes per prefix.  Lookup: one 16-byte prefix comparison per node on
 * the path from the root, at most 129 nodes, in practice the depth of
 * the branching (about log2 n).  No allocation on lookup.
 *
 * Limits: at most 2^31 nodes (ERR_TOOBIG).  The table is built once and
 * then only read: a reload builds a new one and swaps (build-then-swap).
 * Not thread-safe for writers; concurrent readers are fine.
 */
#ifndef RG_LIB_LPM_H
#define RG_LIB_LPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ipaddr.h"

struct lpm;

/* lpm_new - an empty table, or NULL on ENOMEM.  Free with lpm_free(). */
struct lpm *lpm_new(void);

/* lpm_free - free the table; NULL is a no-op. */
void lpm_free(struct lpm *lpm);

/*
 * lpm_insert - add prefix with value.  Returns 0; ERR_EXIST when the very
 * same prefix is already there (its value is kept, see lpm_get());
 * ERR_INVAL for a length over 128; ERR_NOMEM or ERR_TOOBIG, in which case
 * the table is unchanged.
 */
int lpm_insert(struct lpm *lpm, const struct ipprefix *prefix, uint32_t value);

/*
 * lpm_lookup - the value of the longest prefix that contains addr.
 * Returns true and sets *value (and *len, the prefix length in the 128-bit
 * form, when len is not NULL), or false when no prefix contains addr.
 */
bool lpm_lookup(const struct lpm *lpm, const struct ipaddr *addr,
    uint32_t *value, unsigned *len);

/* lpm_get - the value stored for exactly this prefix; false if none. */
bool lpm_get(const struct lpm *lpm, const struct ipprefix *prefix,
    uint32_t *value);

/* lpm_count - the number of prefixes stored. */
size_t lpm_count(const struct lpm *lpm);

#endif
