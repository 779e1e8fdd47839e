/*
 * dns.h - the DNSBL's DNS service: UDP and TCP sockets for the zones of
 * the config (SPEC section 5), AXFR to allow_transfer hosts, reload
 * without losing a query.
 *
 * UDP is served by worker threads (one per listen address and worker,
 * with SO_REUSEPORT when there are several) that batch with recvmmsg /
 * sendmmsg and never touch the event loop.  TCP (2-byte length framing,
 * RFC 1035 4.2.2; pipelined queries; 10 s idle timeout) runs on the
 * caller's libevent loop.  An AXFR/IXFR over TCP from an allow_transfer
 * address streams from its own thread; anyone else gets REFUSED.
 *
 * Reload (dns_svc_reload(), and by itself when a data file's mtime, size
 * or inode changed and then stayed the same for one check interval, so a
 * file still being written is not read): the new zones are built aside
 * on the calling (loop) thread while the workers keep answering from the
 * old ones; then one pointer swap under a mutex.  Each worker takes the
 * new set before its next batch, and the last holder of the old set
 * frees it: no query is answered from half-loaded data and none is
 * dropped.  A broken file keeps the old data; the error is logged as
 * "dns: reload: FILE:LINE: reason; keeping the old data".
 *
 * Logs: per zone, every DNS_SVC_STATS_S seconds, the queries, listed and
 * NXDOMAIN answers since the previous line.
 *
 * Threads: every function here is for the event loop's thread.
 * Ownership: conf is borrowed by dns_svc_new() and dns_svc_reload() and
 * must stay valid until the next dns_svc_reload() or dns_svc_free() (the
 * mtime check reloads from it).  The svc owns its sockets, threads,
 * zones and detection datasets.
 */
#ifndef RG_SVC_DNS_H
#define RG_SVC_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "dnsbl/dnsbl_detection.h"
#include "dnsbl/dnsbl_zone.h"
#include "lib/ipaddr.h"

struct event_base;
struct dns_svc;

#define DNS_SVC_CHECK_S 2		/* data file check interval */
#define DNS_SVC_STATS_S 60		/* per-zone counters in the log */
#define DNS_SVC_WORKERS_MAX 64
#define DNS_SVC_ZONES_MAX 256		/* zones with their own counters */

struct dns_svc_options {
	unsigned workers;		/* UDP threads per address; 0: 1 */
	const char *version;		/* CH TXT version.bind; NULL: REFUSED */
	unsigned check_s;		/* 0: DNS_SVC_CHECK_S; mtime checks */
	unsigned stats_s;		/* 0: DNS_SVC_STATS_S */
};

/*
 * dns_svc_new - load every zone of conf (every data file).  Returns the
 * service (not yet listening) or NULL with "FILE:LINE: reason" or
 * "zone NAME: reason" in err.  dns_svc_new_opts() takes options (NULL:
 * defaults).
 */
struct dns_svc *dns_svc_new(struct event_base *base, const struct conf *conf,
    char *err, size_t errcap);
struct dns_svc *dns_svc_new_opts(struct event_base *base, const struct conf *conf,
    const struct dns_svc_options *opts, char *err, size_t errcap);

/*
 * dns_svc_listen - answer on "HOST:PORT" ("127.0.0.1:5353",
 * "[::1]:5353"), UDP and TCP.  Returns 0 or a negative error with
 * "ADDR: reason" in err.
 */
int dns_svc_listen(struct dns_svc *svc, const char *addr, char *err, size_t errcap);

/*
 * dns_svc_reload - build the zones of conf aside and swap them in.
 * Returns 0, or a negative error with "FILE:LINE: reason" in err and the
 * old zones still answering.
 */
int dns_svc_reload(struct dns_svc *svc, const struct conf *conf, char *err,
    size_t errcap);

/* dns_svc_free - stop the workers, close everything; NULL is a no-op. */
void dns_svc_free(struct dns_svc *svc);

/*
 * dns_svc_detection - the detection dataset `dataset` of zone `zone`
 * (dataset NULL: the zone's first detection dataset), or NULL if the
 * config has none.  Borrowed: valid until dns_svc_free(), across reloads
 * (a dataset dropped from the config by a reload stays valid but no
 * longer answers).  Edit it with dnsbl_detection_list()/_unlist()/
 * _expire() from any thread (dnsbl_detection.h); queries see a change at
 * once and the zone's SOA serial grows.
 */
struct dnsbl_detection *dns_svc_detection(struct dns_svc *svc, const char *zone,
    const char *dataset);

/* Called by dns_svc_lookup() for each zone that lists the address. */
typedef void (*dns_svc_lookup_fn)(void *arg, const char *zone,
    const struct dnsbl_hits *hits);

/*
 * dns_svc_lookup - what every zone answers for addr now (for `relayguard
 * lookup` and the API); calls fn per zone that lists it.  Returns the
 * number of such zones.
 */
int dns_svc_lookup(struct dns_svc *svc, const struct ipaddr *addr, int64_t now_s,
    dns_svc_lookup_fn fn, void *arg);

/* dns_svc_serial - the current SOA serial of zone, or 0 if unknown. */
uint32_t dns_svc_serial(struct dns_svc *svc, const char *zone);

/*
 * Query counters of one zone since dns_svc_new(), UDP and TCP together,
 * by answer: rcodes 0..5 (NOERROR .. REFUSED) and "other" (an extended
 * rcode, NOTAUTH).  A query the service does not answer (a reply, or
 * not even a header) is not counted.
 */
#define DNS_SVC_RCODES 7

struct dns_svc_zone_stats {
	uint64_t queries;
	uint64_t listed;		/* answered with a listing */
	uint64_t by_rcode[DNS_SVC_RCODES];
};

/*
 * dns_svc_zone_stats - the counters of zone i of the running set (*zone
 * its name, borrowed until the next reload) or, for i equal to the
 * number of zones, of the queries outside every zone (*zone NULL).
 * Returns the number of rows (zones + 1); *zone and *out are set only
 * when i is below it.  Counters are kept by a zone's position in the
 * config: a reload that reorders the zones moves them.  Reads the
 * workers' counters with relaxed atomics: each is exact, the set a
 * moment's picture.  Cost: O(workers) per zone.
 */
size_t dns_svc_zone_stats(const struct dns_svc *svc, size_t i,
    const char **zone, struct dns_svc_zone_stats *out);

/* dns_svc_rcode_index - the by_rcode index of an rcode. */
unsigned dns_svc_rcode_index(unsigned rcode);

/* dns_svc_rcode_name - "NOERROR" .. "REFUSED", "other", by index (static). */
const char *dns_svc_rcode_name(unsigned i);

#endif
