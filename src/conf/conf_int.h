/*
 * conf_int.h - the insides of the config loader shared by conf.c (the
 * table of keys, the walker, the checks across keys) and conf_set.c (the
 * setters, which are the key types).  Not for use outside src/conf/.
 */
#ifndef RG_CONF_CONF_INT_H
#define RG_CONF_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "proto/ucl.h"

#define CONF_LIST_MAX 4096	/* items in a list (prefixes: no limit) */

/* The kinds of struct a row's field lives in. */
enum conf_scope {
	CONF_SC_ROOT,		/* struct conf */
	CONF_SC_NETWORK,	/* struct conf_network */
	CONF_SC_LIMIT,		/* struct conf_limit */
	CONF_SC_ZONE,		/* struct conf_zone */
	CONF_SC_DATASET		/* struct conf_dataset */
};

/* A limit's networks, resolved to indexes once every network is known. */
struct conf_pending {
	size_t limit;
	struct conf_strv names;
	int line;
};

/* The state of one load. */
struct conf_ctx {
	const char *name;		/* file name for messages */
	struct conf *conf;
	char *err;
	size_t errcap;
	char pat[128];			/* table path: "limit.*.rate" */
	char path[512];			/* dotted key: "limit.per_hour.rate" */
	int line;			/* line of the member being set */
	size_t cap_networks, cap_limits, cap_zones;
	struct conf_pending *pending;	/* owned */
	size_t n_pending;
	const struct ucl_node **seen_in;	/* per row: the block it was last in */
	int *seen_line;			/* per row: its line there */
};

struct conf_key;

/*
 * A setter reads node n for row k into the struct base (of the row's
 * scope).  Returns 0 or a negative error with the message written by
 * conf_fail().
 */
typedef int conf_set_fn(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base);

/*
 * An adder makes a new named element (a network, limit, zone or
 * dataset) for the name node c inside base, with its defaults set.
 * Returns 0 and *out, or a negative error with the message written.
 */
typedef int conf_add_fn(struct conf_ctx *ctx, const struct ucl_node *c,
    void *base, void **out);

struct conf_range {
	uint64_t min, max;
};

/* One row of the table of keys (conf.c). */
struct conf_key {
	const char *path;		/* "limit.*.rate": '*' is a name */
	conf_set_fn *set;		/* the key's type */
	enum conf_scope scope;
	size_t off;			/* offset of the field in its scope's struct */
	const char *def;		/* default, config text; NULL: none */
	const void *arg;		/* the setter's argument */
};

/* conf_fail - "FILE:LINE: KEY: message" into ctx->err; returns rc. */
int conf_fail(struct conf_ctx *ctx, int rc, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* conf_show - len bytes at s fit for a message: 48 printable bytes. */
const char *conf_show(const char *s, size_t len, char buf[56]);

/* conf_walk - set every member of obj from the table under ctx->pat. */
int conf_walk(struct conf_ctx *ctx, const struct ucl_node *obj, void *base);

/* conf_strv_free - free the strings and the array; leaves it empty. */
void conf_strv_free(struct conf_strv *v);

/*
 * The setters of values (conf_set.c; blocks are set by the walker in
 * conf.c).  Their row argument: str, str_empty and strv a conf_check_fn
 * or NULL; dur, uint and u64 a struct conf_range; enum a NULL-terminated
 * word list; the others none.
 */
conf_set_fn conf_set_str, conf_set_str_empty, conf_set_strv, conf_set_bool, conf_set_dur, conf_set_ttl, conf_set_uint,
    conf_set_u64, conf_set_enum, conf_set_rate, conf_set_prefixes,
    conf_set_netnames, conf_set_compromise, conf_set_utc_offset;

#endif
