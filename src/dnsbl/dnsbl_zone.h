/*
 * dnsbl_zone.h - DNSBL zones: built from the config's `zone` blocks as
 * one immutable set (struct dnsbl_zones), answered from, and swapped
 * whole on reload (build-then-swap: a query sees the old set or the new
 * one, never half of either).
 *
 * Answers (RFC 1034/1035, RFC 5782, RFC 2308, RFC 6891):
 *   - a name below a zone apex is a reversed IPv4 address (4 labels), a
 *     reversed-nibble IPv6 address (32 labels) or a domain name (dnset);
 *     every dataset of the zone that understands the name is asked, and
 *     all their A and TXT records answer together (duplicates dropped);
 *   - listed: NOERROR with A / TXT (ANY: both), other types NODATA;
 *     unlisted: NXDOMAIN, or NODATA when something is listed below the
 *     name (empty non-terminal); negative answers carry the SOA in the
 *     authority section, TTL min(SOA TTL, MINIMUM) (RFC 2308 5);
 *   - the apex answers SOA and NS; names outside every zone: REFUSED;
 *     class CH: version.bind / version.server TXT if configured, else
 *     REFUSED; never RA; AA on every in-zone answer;
 *   - test points (RFC 5782 5): 127.0.0.2, ::ffff:7f00:2 and "test" are
 *     listed by every dataset of their kind (its own entry, else its
 *     default A/TXT); 127.0.0.1, ::ffff:7f00:1 and "invalid" never are;
 *   - EDNS0: the OPT is echoed (payload 4096); the reply may use the
 *     client's payload size, between 512 and 4096; without OPT, 512.
 *     EDNS version > 0: BADVERS.  A reply that does not fit has no
 *     answer records and the TC bit, so the client retries over TCP.
 *
 * SOA serial: from the zone's `soa` when it gives one; otherwise the load
 * time (Unix seconds), at least the previous set's serial + 1, plus the
 * number of changes made to the zone's detection datasets since the load
 * - so it grows whenever the data changes and secondaries transfer again.
 *
 * Threads: a built set is read-only (detection datasets lock themselves);
 * any number of threads may answer from it.  References are counted
 * (dnsbl_zones_ref/unref) so that the last reader frees a swapped-out set.
 * No allocation on the answer path; no clock reads (now_s is passed).
 */
#ifndef RG_DNSBL_DNSBL_ZONE_H
#define RG_DNSBL_DNSBL_ZONE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "dnsbl/dnsbl_detection.h"
#include "dnsbl/dnsbl_ds.h"
#include "lib/ipaddr.h"
#include "proto/dns_msg.h"

#define DNSBL_ZONE_NS_MAX 16

struct dnsbl_zone {
	char *name;			/* owned: as configured */
	uint8_t apex[DNS_MSG_NAME_MAX];	/* lower-case wire form */
	uint8_t apex_len;
	uint8_t apex_labels;
	uint32_t ttl_s;
	struct dnsbl_ds **ds;		/* owned array; entries owned unless det */
	size_t n_ds;
	unsigned kinds;			/* union of the datasets' DNSBL_KEY_* */
	struct dnsbl_detection **det;	/* borrowed: the detection datasets */
	size_t n_det;
	uint8_t soa_rdata[2 * DNS_MSG_NAME_MAX + 20];
	uint16_t soa_rdlen;
	uint16_t soa_serial_off;
	uint32_t soa_ttl_s;
	uint32_t neg_ttl_s;		/* min(SOA TTL, MINIMUM) */
	uint32_t base_serial;
	uint32_t det_gen;		/* sum of detection gens at build */
	bool fixed_serial;		/* `soa` gave a non-zero serial */
	uint8_t ns[DNSBL_ZONE_NS_MAX][DNS_MSG_NAME_MAX];
	uint8_t ns_len[DNSBL_ZONE_NS_MAX];
	size_t n_ns;
	uint32_t ns_ttl_s;
	struct ipprefix *xfr;		/* owned: allow_transfer */
	size_t n_xfr;
};

struct dnsbl_zones {
	struct dnsbl_zone *z;		/* owned array */
	size_t n;
	char *version;			/* CH TXT version.bind, or NULL: REFUSED */
	atomic_int refs;
};

/* What an answer was, for counters and logs. */
struct dnsbl_answer_info {
	int zone;			/* index in the set, -1: none */
	unsigned rcode;
	bool listed;
	bool xfr;			/* AXFR/IXFR asked: the service decides */
	bool truncated;
};

/*
 * Gives the detection dataset for (zone, dataset) of the config, creating
 * it on first use; the provider keeps it across reloads.  NULL on error
 * with a message in err.
 */
typedef struct dnsbl_detection *(*dnsbl_zones_det_fn)(void *arg,
    const struct conf_zone *zone, const struct conf_dataset *ds, char *err,
    size_t errcap);

/*
 * dnsbl_zones_build - load every zone of conf (every data file) into a
 * new set with one reference.  old (may be NULL) is only read, for serial
 * continuity.  version: the CH TXT answer or NULL.  Returns 0 and *out,
 * or a negative error with "FILE:LINE: reason" or "zone NAME: reason" in
 * err (nothing is kept).
 */
int dnsbl_zones_build(const struct conf *conf, const struct dnsbl_zones *old,
    dnsbl_zones_det_fn det, void *det_arg, const char *version, int64_t now_s,
    struct dnsbl_zones **out, char *err, size_t errcap);

/* dnsbl_zones_ref - one more reference; returns zs. */
struct dnsbl_zones *dnsbl_zones_ref(struct dnsbl_zones *zs);

/* dnsbl_zones_unref - drop one; the last frees the set.  NULL: no-op. */
void dnsbl_zones_unref(struct dnsbl_zones *zs);

/*
 * dnsbl_zones_answer - the reply to query q (parsed from pkt) into out
 * (cap bytes, at least 512; the reply is limited by EDNS and tcp as
 * described above).  Returns the reply's length, or 0 for an AXFR/IXFR
 * over TCP (info->xfr: the caller checks allow_transfer and calls
 * dnsbl_axfr()).  Never allocates.
 */
size_t dnsbl_zones_answer(const struct dnsbl_zones *zs,
    const struct dns_msg_query *q, const uint8_t *pkt, uint8_t *out,
    size_t cap, bool tcp, int64_t now_s, struct dnsbl_answer_info *info);

/*
 * dnsbl_zones_error - a header-only reply with rcode (FORMERR, NOTIMP,
 * REFUSED) to a query that did not parse; q holds at least id and flags.
 * Returns the length (12 + question when it parsed) or 0 if cap < 12.
 */
size_t dnsbl_zones_error(const struct dns_msg_query *q, const uint8_t *pkt,
    bool with_question, unsigned rcode, uint8_t *out, size_t cap);

/* dnsbl_zone_serial - the zone's current SOA serial. */
uint32_t dnsbl_zone_serial(const struct dnsbl_zone *z);

/* dnsbl_zone_xfr_allowed - may peer transfer the zone (allow_transfer)? */
bool dnsbl_zone_xfr_allowed(const struct dnsbl_zone *z, const struct ipaddr *peer);

/*
 * dnsbl_zone_lookup_addr - what the zone answers for addr (for
 * `relayguard lookup` and the API): fills hits; returns true if listed.
 */
bool dnsbl_zone_lookup_addr(const struct dnsbl_zone *z, const struct ipaddr *addr,
    int64_t now_s, struct dnsbl_hits *hits);

#endif
