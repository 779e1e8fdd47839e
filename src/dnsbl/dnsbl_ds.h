/*
 * dnsbl_ds.h - the dataset plug-in interface of the DNSBL (the rbldnsd
 * idea: one plug-in per list shape behind one vtable), the value table
 * the file datasets share, and the loader of rbldnsd data files.
 *
 * A dataset answers "is this key listed, and with which A and TXT?".  A
 * key is what the query name means below the zone apex: a reversed IPv4
 * address (RFC 5782 2.1), a reversed-nibble IPv6 address (2.4), or a
 * domain name (dnset).  A partial key (fewer labels than an address) is
 * asked only whether something is listed below it, for empty
 * non-terminals.
 *
 * Plug-ins: ip4set (dnsbl_ip4set.h), ip4trie and ip6trie (dnsbl_rmap.h),
 * dnset (dnsbl_dnset.h), detection (dnsbl_detection.h).  Each header
 * states its memory per entry and lookup cost.
 *
 * Ownership: a dataset owns everything it points to; it is built once by
 * dnsbl_ds_load() and then only read (the detection dataset excepted),
 * so any number of threads may look up concurrently.  Pure: the loader
 * reads its file, but there are no sockets and no clock reads (callers
 * pass now_s).
 */
#ifndef RG_DNSBL_DNSBL_DS_H
#define RG_DNSBL_DNSBL_DS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "lib/htab.h"
#include "proto/rbldnsd_data.h"

#define DNSBL_EXCLUDED UINT32_MAX	/* value index of a "!" entry */
#define DNSBL_HITS_MAX 16		/* A/TXT pairs per answer */
#define DNSBL_FILE_MAX (1ull << 32)	/* a data file, after gunzip */
#define DNSBL_TEST_A 0x7f000002u	/* 127.0.0.2, RFC 5782 5 */
#define DNSBL_INVALID_A 0x7f000001u	/* 127.0.0.1 */

/* One A value and TXT template; txt_off indexes the table's pool. */
struct dnsbl_value {
	uint32_t a;
	uint32_t txt_off;
	uint16_t txt_len;
	uint8_t has_txt;
};

/* The deduplicated values of one dataset. */
struct dnsbl_values {
	struct dnsbl_value *v;		/* owned */
	uint32_t n, cap;
	char *pool;			/* owned: TXT templates */
	size_t pool_len, pool_cap;
	struct htab idx;		/* load time only; emptied by finish */
};

enum dnsbl_key_kind {
	DNSBL_KEY_IP4 = 1,
	DNSBL_KEY_IP6 = 2,
	DNSBL_KEY_NAME = 4
};

/* What a query name means below the apex.  Built per query, no heap. */
struct dnsbl_key {
	unsigned kinds;			/* DNSBL_KEY_* that apply */
	uint32_t ip4;			/* host order */
	unsigned ip4_bits;		/* 32 for an address, less: partial */
	uint8_t ip6[16];
	unsigned ip6_bits;		/* 128 for an address, less: partial */
	const uint8_t *rname;		/* dnset: "com.example.www", lower */
	size_t rname_len;
	const char *subst;		/* text for "$" in TXT */
	size_t subst_len;
};

/* One answer part: an A value and an optional TXT template. */
struct dnsbl_hit {
	uint32_t a;
	uint32_t ttl_s;
	const char *txt;		/* borrowed from the dataset; NULL: none */
	uint16_t txt_len;
};

struct dnsbl_hits {
	struct dnsbl_hit h[DNSBL_HITS_MAX];
	unsigned n;
	bool below;			/* a partial key has entries below it */
};

struct dnsbl_ds;

/*
 * Called by a dataset's walk for every block of the zone (AXFR): rel is
 * the owner below the apex in wire form without the root ("\1*" first
 * for a wildcard), subst the text for "$".
 */
typedef int (*dnsbl_walk_fn)(void *arg, const uint8_t *rel, size_t rel_len,
    const struct dnsbl_hit *hits, unsigned nhits, const char *subst,
    size_t subst_len);

struct dnsbl_ds_type {
	const char *name;		/* as in the config: "ip4set" */
	enum rbldnsd_data_keys keys;	/* key syntax in data files */
	unsigned kinds;			/* DNSBL_KEY_* it answers */
	struct dnsbl_ds *(*create)(void);
	/* add one entry (val: an index or DNSBL_EXCLUDED); reason on error */
	int (*add)(struct dnsbl_ds *ds, const struct rbldnsd_data_line *l,
	    uint32_t val, unsigned line, const char **reason);
	/* after the last line: sort, index; *line and reason on error */
	int (*finish)(struct dnsbl_ds *ds, unsigned *line, const char **reason);
	/* add hits for key (full or partial); never allocates */
	void (*lookup)(const struct dnsbl_ds *ds, const struct dnsbl_key *key,
	    int64_t now_s, struct dnsbl_hits *hits);
	int (*walk)(const struct dnsbl_ds *ds, int64_t now_s, dnsbl_walk_fn fn,
	    void *arg);
	size_t (*count)(const struct dnsbl_ds *ds);
	void (*destroy)(struct dnsbl_ds *ds);
	/* the dataset's default A/TXT, for the RFC 5782 test points */
	void (*default_hit)(const struct dnsbl_ds *ds, struct dnsbl_hits *hits);
};

/* The common head of every dataset. */
struct dnsbl_ds {
	const struct dnsbl_ds_type *type;
	char *name;			/* owned: the config's dataset name */
	char *file;			/* owned; NULL for detection */
	uint32_t ttl_s;			/* $TTL, or the zone's ttl */
	uint32_t dflt;			/* value index of the dataset default */
	struct dnsbl_values vals;
	char *soa;			/* owned: first $SOA arguments, or NULL */
	char *ns;			/* owned: first $NS arguments, or NULL */
	int64_t mtime_s;		/* the file's mtime when loaded */
	size_t lines;			/* lines read */
};

/* dnsbl_ds_type_find - the plug-in for a config type name, or NULL. */
const struct dnsbl_ds_type *dnsbl_ds_type_find(const char *name);

/*
 * dnsbl_ds_load - build a file dataset from conf (type, file, a, txt),
 * answering with zone_ttl_s unless the file says $TTL.  Gzip files are
 * read transparently.  Returns 0 and *out (free with dnsbl_ds_free), or
 * a negative error with "FILE:LINE: reason" (or "FILE: reason") in err.
 * Refuses a file that lists 127.0.0.1, ::ffff:7f00:1 or "invalid".
 */
int dnsbl_ds_load(const struct conf_dataset *conf, uint32_t zone_ttl_s,
    struct dnsbl_ds **out, char *err, size_t errcap);

/*
 * dnsbl_ds_load_text - the same from text in memory; name is used in
 * errors (tests, fuzzing).
 */
int dnsbl_ds_load_text(const struct dnsbl_ds_type *type, const char *name,
    const char *text, size_t len, uint32_t dflt_a, const char *dflt_txt,
    uint32_t ttl_s, struct dnsbl_ds **out, char *err, size_t errcap);

/* dnsbl_ds_free - free a dataset; NULL is a no-op. */
void dnsbl_ds_free(struct dnsbl_ds *ds);

/* dnsbl_ds_count - entries (lines that listed or excluded something). */
size_t dnsbl_ds_count(const struct dnsbl_ds *ds);

/*
 * dnsbl_values_init / _fini / _add - the value table.  _add returns 0 and
 * the index of (a, txt) in *idx, adding it when new (txt NULL: no TXT;
 * cut at 255 bytes), or ERR_NOMEM / ERR_TOOBIG.  _shrink frees the
 * load-time index and trims the arrays.
 */
int dnsbl_values_init(struct dnsbl_values *vals);
void dnsbl_values_fini(struct dnsbl_values *vals);
int dnsbl_values_add(struct dnsbl_values *vals, uint32_t a, const char *txt,
    size_t txt_len, uint32_t *idx);
void dnsbl_values_shrink(struct dnsbl_values *vals);

/* dnsbl_hits_add_value - add value idx of ds to hits (dropping copies). */
void dnsbl_hits_add_value(struct dnsbl_hits *hits, const struct dnsbl_ds *ds,
    uint32_t idx);

/* dnsbl_ds_default_hit - default_hit of the file datasets (ds->dflt). */
void dnsbl_ds_default_hit(const struct dnsbl_ds *ds, struct dnsbl_hits *hits);

/* dnsbl_hits_add - add one hit unless the same (a, txt) is there. */
void dnsbl_hits_add(struct dnsbl_hits *hits, uint32_t a, const char *txt,
    size_t txt_len, uint32_t ttl_s);

/*
 * dnsbl_walk_ip4_range / dnsbl_walk_ip6_range - cut [lo, hi] into blocks
 * on octet (nibble) boundaries and call fn once per block: a full address
 * as its own name, a larger block as a wildcard.  Skips the RFC 5782 test
 * point names (the zone emits those itself).  Returns fn's first
 * non-zero result, or 0.
 */
int dnsbl_walk_ip4_range(uint32_t lo, uint32_t hi, const struct dnsbl_hit *hits,
    unsigned nhits, dnsbl_walk_fn fn, void *arg);
int dnsbl_walk_ip6_range(const uint8_t lo[16], const uint8_t hi[16],
    const struct dnsbl_hit *hits, unsigned nhits, dnsbl_walk_fn fn, void *arg);

/* dnsbl_ip4_text - dotted quad of a host-order address; returns length. */
size_t dnsbl_ip4_text(uint32_t ip, char *buf);

#endif
