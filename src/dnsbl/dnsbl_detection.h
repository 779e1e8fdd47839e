/*
 * dnsbl_detection.h - the detection dataset: the addresses that
 * detection (incidents with on_compromise "list") and the operators
 * (`relayguard list/unlist`, the HTTP API zones/{zone}/entries) put into a
 * zone while it answers queries, like Spamhaus XBL.
 *
 * Entries are IPv4 or IPv6 prefixes (a single address is a /32 or /128;
 * an IPv6 customer is usually listed by its /64), each with an optional
 * expiry and an optional TXT template (NULL: the dataset's `txt`); the A
 * value is the dataset's `a`.  An expired entry stops answering at once
 * (lookups compare with the caller's now_s) and is removed by the next
 * dnsbl_detection_expire().
 *
 * Threads: thread-safe.  Lookups (the DNS workers) take a read lock;
 * list/unlist/expire (the event loop: API, engine) take the write lock
 * for one hash-table operation.  TXT strings are interned for the life of
 * the dataset, so an answer being built never points to freed memory.
 * Pure: no clock reads (pass now_s), no I/O.
 *
 * Lifetime: the DNS service creates one per `detection` dataset of a zone
 * and keeps it for its whole life, across reloads (a reload keeps the
 * entries); dns_svc_detection() hands out a borrowed pointer.
 *
 * Shape: a hash table keyed by (masked address, prefix length), and a
 * count of entries per prefix length; a lookup probes only the lengths in
 * use, longest first (usually one or two: /32 and /128 or /64).
 * Memory: about 80 bytes per entry plus the table's 16 bytes per slot.
 * Lookup: one hash probe per prefix length in use.  No allocation.
 *
 * Persistence is the caller's: dnsbl_detection_foreach() enumerates the
 * entries (for the state store and the API), dnsbl_detection_list()
 * restores them.
 */
#ifndef RG_DNSBL_DNSBL_DETECTION_H
#define RG_DNSBL_DNSBL_DETECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnsbl/dnsbl_ds.h"
#include "lib/ipaddr.h"

#define DNSBL_DETECTION_MAX (1u << 24)	/* entries */

struct dnsbl_detection;

/* One entry as enumerated; txt is NULL when the default applies. */
struct dnsbl_detection_info {
	struct ipprefix prefix;
	int64_t listed_s;		/* now_s of the list call */
	int64_t expires_s;		/* 0: never */
	const char *txt;		/* borrowed: valid for the dataset's life */
};

/* Called per entry by dnsbl_detection_foreach(); non-zero stops. */
typedef int (*dnsbl_detection_fn)(void *arg, const struct dnsbl_detection_info *e);

extern const struct dnsbl_ds_type dnsbl_detection_type;

/*
 * dnsbl_detection_new - an empty dataset named name answering with A
 * value a (host order) and TXT template txt (NULL: none; "$" is the
 * address) at ttl_s.  Returns NULL on ENOMEM.
 */
struct dnsbl_detection *dnsbl_detection_new(const char *name, uint32_t a,
    const char *txt, uint32_t ttl_s);

/* dnsbl_detection_free - free it; NULL is a no-op.  No reader may remain. */
void dnsbl_detection_free(struct dnsbl_detection *d);

/* dnsbl_detection_ds - the dataset view that zones look up (borrowed). */
struct dnsbl_ds *dnsbl_detection_ds(struct dnsbl_detection *d);

/*
 * dnsbl_detection_set_defaults - change a, txt and ttl_s (a reload with a
 * changed config).  Returns 0 or ERR_NOMEM (nothing changed).
 */
int dnsbl_detection_set_defaults(struct dnsbl_detection *d, uint32_t a,
    const char *txt, uint32_t ttl_s);

/*
 * dnsbl_detection_list - list prefix (host bits must be clear) until
 * expires_s (0: never) with TXT template txt (NULL: the default), at
 * now_s.  Listing it again replaces expiry and TXT.  Returns 0,
 * ERR_INVAL (the prefix holds 127.0.0.1 or ::ffff:7f00:1, the test point
 * that must never be listed, or has host bits set), ERR_TOOBIG (over
 * DNSBL_DETECTION_MAX entries) or ERR_NOMEM.
 */
int dnsbl_detection_list(struct dnsbl_detection *d, const struct ipprefix *prefix,
    int64_t expires_s, const char *txt, int64_t now_s);

/* dnsbl_detection_unlist - remove exactly prefix; 0 or ERR_NOENT. */
int dnsbl_detection_unlist(struct dnsbl_detection *d, const struct ipprefix *prefix);

/*
 * dnsbl_detection_get - the entry for exactly prefix, if listed and not
 * expired at now_s (expired entries are reported as absent).
 */
bool dnsbl_detection_get(struct dnsbl_detection *d, const struct ipprefix *prefix,
    int64_t now_s, struct dnsbl_detection_info *out);

/* dnsbl_detection_expire - remove entries expired at now_s; returns how many. */
size_t dnsbl_detection_expire(struct dnsbl_detection *d, int64_t now_s);

/*
 * dnsbl_detection_foreach - call fn for each entry not expired at now_s,
 * in no particular order, under the read lock: fn must not call back into
 * d.  Returns fn's first non-zero result, or 0.
 */
int dnsbl_detection_foreach(struct dnsbl_detection *d, int64_t now_s,
    dnsbl_detection_fn fn, void *arg);

/* dnsbl_detection_count - entries stored (expired ones not yet removed too). */
size_t dnsbl_detection_count(struct dnsbl_detection *d);

/*
 * dnsbl_detection_gen - a counter bumped by every change (list, unlist,
 * expire, set_defaults); zones add it to their SOA serial.
 */
uint32_t dnsbl_detection_gen(const struct dnsbl_detection *d);

#endif
