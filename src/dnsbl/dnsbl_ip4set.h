/*
 * dnsbl_ip4set.h - the ip4set dataset: IPv4 addresses, CIDRs and ranges,
 * with rbldnsd's ip4set semantics.
 *
 * Shape: most lists are single addresses (an XBL-like list is 10^6 /32s),
 * with some CIDRs and ranges.  As rbldnsd does, every entry is cut into
 * blocks of /32, /24, /16 or /8 (a /20 becomes 16 /24s, 127.0.0.1-255
 * becomes 255 /32s) and each size goes into its own sorted array of
 * (address, value index) pairs.  A lookup tries /32, then /24, /16, /8:
 * the first size with an entry for the address decides; at that size an
 * exclusion ("!") wins over any listing, and several listings all answer
 * (several A and TXT records, duplicates dropped).
 *
 * Memory: 8 bytes per block (rbldnsd: 16 on 64-bit), plus a 256 KB index
 * on the /32 array by its top 16 bits once it holds over 4096 entries.
 * Lookup: at most four binary searches; the /32 one runs inside one
 * /16 bucket (about 4 steps for 10^6 random addresses).  Load: a stable
 * radix sort (4 passes), O(n).
 *
 * Limits: at most DNSBL_IP4SET_MAX blocks (ERR_TOOBIG).
 */
#ifndef RG_DNSBL_DNSBL_IP4SET_H
#define RG_DNSBL_DNSBL_IP4SET_H

#include "dnsbl/dnsbl_ds.h"

#define DNSBL_IP4SET_MAX (1u << 28)

extern const struct dnsbl_ds_type dnsbl_ip4set_type;

#endif
