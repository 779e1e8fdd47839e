/*
 * dnsbl_rmap.h - the ip4trie and ip6trie datasets: CIDR prefixes of any
 * length with per-prefix values and exclusions, longest prefix wins
 * (rbldnsd's ip4trie/ip6trie semantics; the first of two identical
 * prefixes wins).
 *
 * Shape: CIDR lists (PBL-like policy blocks, IPv6 allocations) nest: a
 * /24 inside a /10, a "!" /32 hole inside a /24.  Instead of a trie this
 * builds, once per load, a flat "range map": the sorted start addresses
 * of the disjoint intervals that the nested prefixes cut the address
 * space into, each with the value of its longest covering prefix.  An
 * excluded interval and an unlisted one are the same thing here, and
 * neighbouring intervals with the same value are merged, so no two
 * unlisted intervals are adjacent: "is anything listed below this
 * partial name?" is answered by looking at one interval and the next.
 * Building is a sort and one sweep with a stack of open prefixes.
 *
 * Memory: at most two boundaries per prefix; a boundary is 8 bytes for
 * IPv4 (4 key + 4 value, side by side) and 20 bytes for IPv6 (16 + 4),
 * 12 when no prefix is longer than /64 (the top 8 bytes of each key), so
 * at most 16, 40 or 24 bytes per prefix (rbldnsd's btrie: about 24-48),
 * plus a bucket index of at most 2 bytes per boundary (256 KB at most).
 * Measured RSS (BENCHMARKS.md): 4.9 MB for 200,000 IPv4 CIDRs with
 * 20,000 exclusions (rbldnsd 7.5 MB), 4.4 MB for 100,000 IPv6 prefixes
 * (rbldnsd 5.2 MB).
 * Lookup: no allocation; the index over the address bits that follow
 * the prefix every boundary shares (one bucket per 2-4 boundaries), then
 * a binary search inside that bucket: about two cache misses.  A list
 * bunched in a few places degrades to one binary search over the map.
 * Load: a radix sort (linear; none for a file already in order), one
 * sweep; 32 bytes per prefix while loading, twice that during the sort.
 *
 * Limits: at most DNSBL_RMAP_MAX prefixes (ERR_TOOBIG).
 */
#ifndef RG_DNSBL_DNSBL_RMAP_H
#define RG_DNSBL_DNSBL_RMAP_H

#include "dnsbl/dnsbl_ds.h"

#define DNSBL_RMAP_MAX (1u << 27)

extern const struct dnsbl_ds_type dnsbl_ip4trie_type;
extern const struct dnsbl_ds_type dnsbl_ip6trie_type;

#endif
