/*
 * dnsbl_dnset.h - the dnset dataset: domain names (an RHSBL), with
 * rbldnsd's dnset semantics.
 *
 * "example.com" lists that name only; "*.example.com" every name below
 * it but not itself; ".example.com" both.  "!" excludes.  A lookup tries
 * the exact name first (an exclusion there wins), then the closest
 * wildcard above it.  "$" in TXT is the queried name.
 *
 * Shape: names are compared label by label from the top, so each is
 * stored reversed ("com.example.www") in one string pool, and two sorted
 * arrays (exact, wildcard) of 16-byte references are binary-searched.
 * Names sharing a suffix sit together, so "is anything listed below this
 * name?" (empty non-terminals) is one more binary search.
 *
 * Memory: 16 bytes per entry plus the name's length.  Lookup: one binary
 * search for the exact name and one per label above it for wildcards
 * (string compares), no allocation.
 *
 * Limits: names up to 253 characters; at most DNSBL_DNSET_MAX entries.
 */
#ifndef RG_DNSBL_DNSBL_DNSET_H
#define RG_DNSBL_DNSBL_DNSET_H

#include "dnsbl/dnsbl_ds.h"

#define DNSBL_DNSET_MAX (1u << 27)

extern const struct dnsbl_ds_type dnsbl_dnset_type;

#endif
