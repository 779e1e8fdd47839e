/*
 * dnsbl_axfr.h - a zone as an AXFR stream (RFC 5936), so that NSD, Knot
 * or BIND secondaries can serve it.
 *
 * The stream is SOA, NS, the RFC 5782 test points, every dataset's
 * blocks (dnsbl_ds.h: a full address as its own name, a larger block as
 * a wildcard), SOA.  Every message carries the question, so owner names
 * compress to it (the apex at offset 12).
 *
 * What a standard server answers from the transfer can differ from
 * relayguard's own answers where DNS wildcards cannot say what rbldnsd
 * semantics say: "$" in the TXT of a wildcard block is the block's first
 * address; an excluded dnset name below a listed wildcard is listed; with
 * several datasets in one zone, an explicit name of one dataset hides a
 * wildcard of another at the same level (doc/dnsbl.md).
 *
 * Memory: one message buffer (DNSBL_AXFR_MSG bytes) on the heap; the
 * detection dataset is copied once.  Pure: emit() does the I/O.
 */
#ifndef RG_DNSBL_DNSBL_AXFR_H
#define RG_DNSBL_DNSBL_AXFR_H

#include "dnsbl/dnsbl_zone.h"

#define DNSBL_AXFR_MSG 16384	/* bytes per message, below the TCP max */

/* Called with each complete message; non-zero stops the transfer. */
typedef int (*dnsbl_axfr_emit_fn)(void *arg, const uint8_t *msg, size_t len);

/*
 * dnsbl_axfr - stream zone z in answer to q (an AXFR or IXFR for its apex,
 * parsed from pkt).  Returns 0, emit's non-zero result, or ERR_NOMEM.
 */
int dnsbl_axfr(const struct dnsbl_zone *z, const struct dns_msg_query *q,
    const uint8_t *pkt, int64_t now_s, dnsbl_axfr_emit_fn emit, void *arg);

#endif
