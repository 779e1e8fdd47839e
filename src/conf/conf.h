/*
 * conf.h - the typed configuration: struct conf, loaded from one UCL (or
 * JSON) file by conf_load(), driven by one table of keys (conf.c).
 *
 * Field names are the config keys of SPEC section 2.  Every string and
 * array below is owned by the struct conf and freed by conf_free().
 * Unknown keys, wrong types and bad values are errors reported as
 * "FILE:LINE: KEY: message" (KEY is the dotted path, e.g.
 * limit.msgs_per_hour.rate).
 */
#ifndef RG_CONF_CONF_H
#define RG_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ipaddr.h"

#define CONF_DEFAULT_PATH "/etc/relayguard/relayguard.conf"
#define CONF_ERR_MAX 512

enum conf_backend { CONF_BACKEND_EMBEDDED, CONF_BACKEND_REDIS };

enum conf_limit_key {
	CONF_LIMIT_KEY_CUSTOMER,
	CONF_LIMIT_KEY_SASL_USERNAME,
	CONF_LIMIT_KEY_CLIENT_ADDRESS,
	CONF_LIMIT_KEY_SENDER,
	CONF_LIMIT_KEY_SENDER_DOMAIN
};

enum conf_limit_count {
	CONF_COUNT_MESSAGES,
	CONF_COUNT_RECIPIENTS,
	CONF_COUNT_BYTES,
	CONF_COUNT_DISTINCT_RECIPIENTS,
	CONF_COUNT_DISTINCT_RECIPIENT_DOMAINS,
	CONF_COUNT_DISTINCT_CLIENT_ADDRESSES
};

/* Ordered by severity: when several limits trip, the highest wins. */
enum conf_action {
	CONF_ACTION_WARN,
	CONF_ACTION_HOLD,
	CONF_ACTION_DEFER,
	CONF_ACTION_REJECT
};

enum conf_compromise_action {
	CONF_ON_HOLD = 1 << 0,
	CONF_ON_REJECT = 1 << 1,
	CONF_ON_LIST = 1 << 2,
	CONF_ON_NOTIFY = 1 << 3
};

struct conf_strv {		/* an owned array of owned strings */
	char **v;
	size_t n;
};

struct conf_network {
	char *name;
	struct ipprefix *prefixes;
	size_t n_prefixes;
	bool require_auth;
	bool exempt;
	int line;
};

struct conf_limit {
	char *name;
	enum conf_limit_key key;
	enum conf_limit_count count;
	uint64_t rate_count;		/* N of rate = N/P */
	uint64_t rate_period_ms;	/* P of rate = N/P */
	uint64_t burst;			/* 0: no burst (sliding window) */
	enum conf_action action;
	size_t *networks;		/* indexes into conf.networks */
	size_t n_networks;		/* 0: every non-exempt network */
	int line;
};

struct conf_dataset {
	char *name;
	char *type;			/* detection|ip4set|ip4trie|ip6trie|dnset */
	char *file;			/* NULL for detection */
	char *a;			/* default A value, NULL: 127.0.0.2 */
	char *txt;			/* default TXT, NULL: none */
	int line;
};

struct conf_zone {
	char *name;
	uint32_t ttl_s;
	struct conf_strv ns;
	char *soa;			/* NULL: built from ns */
	struct conf_strv allow_transfer;
	struct conf_dataset *datasets;
	size_t n_datasets;
	int line;
};

struct conf {
	char *path;

	/* state { } */
	enum conf_backend state_backend;
	char *state_dir;
	struct conf_strv redis_servers;
	char *redis_prefix;
	uint64_t redis_timeout_ms;

	/* listen { } */
	struct conf_strv listen_policy;
	struct conf_strv listen_dns;
	struct conf_strv listen_http;

	/* http { } */
	char *http_token_file;
	char *http_token;

	/* network "NAME" { } in file order */
	struct conf_network *networks;
	size_t n_networks;

	/* customer_key = [ ] : policy attribute names */
	struct conf_strv customer_key;

	/* limit "NAME" { } in file order */
	struct conf_limit *limits;
	size_t n_limits;

	/* policy { } (relayguard extension) */
	char *policy_default_action;	/* answer on internal failure: "DUNNO" */
	uint64_t policy_time_budget_ms;	/* per request; over it: default */
	unsigned policy_ipv6_customer_prefix;	/* 64: group IPv6 by /64 */
	char *policy_overrides;		/* map file path or NULL */
	uint64_t policy_instance_ttl_ms;	/* how long a message's state lives */

	/* detection { } */
	bool detection_enabled;
	unsigned detection_on_compromise;	/* CONF_ON_* bits */
	char *detection_notify_command;
	double detection_alpha;		/* SPRT false positive rate */
	double detection_beta;		/* SPRT false negative rate */
	unsigned detection_min_messages;	/* no incident before (SPRT) */
	int32_t detection_utc_offset_s;	/* local time - UTC: off hours */

	/* feed { } */
	char *feed_maillog;
	char *feed_syslog;

	/* zone "NAME" { } */
	struct conf_zone *zones;
	size_t n_zones;

	/* user = "relayguard"; drop privileges after binding (NULL: stay) */
	char *user;
};

/*
 * conf_load - read and check the file at path.  Relative paths inside it
 * (state.dir, data files) are kept as written (relative to the working
 * directory, as `make run` expects).  Returns 0 and *out, or a negative
 * error with "FILE:LINE: KEY: message" in err (cap CONF_ERR_MAX).
 */
int conf_load(const char *path, struct conf **out, char *err, size_t errcap);

/* conf_load_text - the same for text already in memory; name for errors. */
int conf_load_text(const char *name, const char *text, size_t len,
    struct conf **out, char *err, size_t errcap);

/* conf_free - free everything; NULL is a no-op. */
void conf_free(struct conf *conf);

/* conf_action_name - "defer", "hold", "reject", "warn". */
const char *conf_action_name(enum conf_action action);

/* conf_limit_key_name, conf_limit_count_name - as spelled in the config. */
const char *conf_limit_key_name(enum conf_limit_key key);
const char *conf_limit_count_name(enum conf_limit_count count);

#endif
