/*
 * conf.c - the configuration file (SPEC section 2) into struct conf.
 *
 * Everything is driven by conf_keys[], the one table of keys: each row
 * is a dotted path ("limit.*.rate", "*" standing for a section's name),
 * a setter (which is the key's type), the field it fills, its default in
 * config syntax, and the setter's argument (enum names, a range, a value
 * check).  The walker matches every member of the parsed UCL tree
 * against the table, so an unknown key, a wrong type or a bad value is
 * an error naming FILE:LINE and the dotted key; defaults go through the
 * same setters as the file's values.  Checks that span keys (limit
 * networks that must exist, a prefix in two networks, redis without
 * servers, ...) run after the walk, in conf_verify().  The setters are
 * in conf_set.c, the checks of single values in conf_check.c.
 *
 * Limits: a config file at most CONF_FILE_MAX (1 MiB) bytes, section
 * names at most 63 bytes (a limit's name is a decision's "rule"), zone
 * names at most 253.  A key given twice in one block is an error (UCL
 * would silently make an array of it); sections (network, limit, zone,
 * dataset) may repeat, their names may not.
 *
 * Ownership: every string and array in struct conf is allocated here and
 * freed by conf_free(), also after a failed load (the partial struct is
 * always consistent: counts match what is allocated).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/conf_check.h"
#include "conf/conf_int.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/xmalloc.h"
#include "proto/ucl.h"

#define CONF_FILE_MAX (1u << 20)
#define CONF_NAME_MAX 63
#define CONF_DEFV_MAX 4

static conf_set_fn conf_set_block, conf_set_named, conf_set_prob;
static conf_add_fn conf_add_network, conf_add_limit, conf_add_zone,
    conf_add_dataset;

static const char *const conf_backend_names[] = { "embedded", "redis", NULL };
static const char *const conf_key_names[] = { "customer", "sasl_username",
	"client_address", "sender", "sender_domain", NULL };
static const char *const conf_count_names[] = { "messages", "recipients",
	"bytes", "distinct_recipients", "distinct_recipient_domains",
	"distinct_client_addresses", NULL };
static const char *const conf_action_names[] = { "warn", "hold", "defer",
	"reject", NULL };

static const struct conf_range conf_r_timeout = { 1, 60000 };
static const struct conf_range conf_r_budget = { 1, 100000 };
static const struct conf_range conf_r_instance = { 1000, 86400000 };
static const struct conf_range conf_r_burst = { 0, 0xffffffffu };
static const struct conf_range conf_r_v6prefix = { 0, 128 };
static const struct conf_range conf_r_min_messages = { 1, 1000 };

#define R(f) offsetof(struct conf, f)
#define N(f) offsetof(struct conf_network, f)
#define L(f) offsetof(struct conf_limit, f)
#define Z(f) offsetof(struct conf_zone, f)
#define D(f) offsetof(struct conf_dataset, f)

/*
 * The one table of keys.  Keep it in SPEC order; the man page
 * relayguard.conf(5) documents each row.  A default of several words is
 * a list (for conf_set_strv; one word is a one-item list there too).
 */
static const struct conf_key conf_keys[] = {
	{ "state", conf_set_block, CONF_SC_ROOT, 0, NULL, NULL },
	{ "state.backend", conf_set_enum, CONF_SC_ROOT, R(state_backend),
	    "embedded", conf_backend_names },
	{ "state.dir", conf_set_str, CONF_SC_ROOT, R(state_dir), "./var",
	    conf_check_path },
	{ "state.redis", conf_set_block, CONF_SC_ROOT, 0, NULL, NULL },
	{ "state.redis.servers", conf_set_strv, CONF_SC_ROOT, R(redis_servers),
	    NULL, conf_check_addr },
	{ "state.redis.prefix", conf_set_str_empty, CONF_SC_ROOT,
	    R(redis_prefix), "rg:", NULL },
	{ "state.redis.timeout", conf_set_dur, CONF_SC_ROOT,
	    R(redis_timeout_ms), "50ms", &conf_r_timeout },

	{ "listen", conf_set_block, CONF_SC_ROOT, 0, NULL, NULL },
	{ "listen.policy", conf_set_strv, CONF_SC_ROOT, R(listen_policy),
	    "127.0.0.1:10040", conf_check_addr },
	{ "listen.dns", conf_set_strv, CONF_SC_ROOT, R(listen_dns), NULL,
	    conf_check_inet_addr },
	{ "listen.http", conf_set_strv, CONF_SC_ROOT, R(listen_http), NULL,
	    conf_check_addr },

	{ "http", conf_set_block, CONF_SC_ROOT, 0, NULL, NULL },
	{ "http.token_file", conf_set_str, CONF_SC_ROOT, R(http_token_file),
	    NULL, conf_check_path },
	{ "http.token", conf_set_str, CONF_SC_ROOT, R(http_token), NULL, NULL },

	{ "network", conf_set_named, CONF_SC_ROOT, 0, NULL, conf_add_network },
	{ "network.*.prefixes", conf_set_prefixes, CONF_SC_NETWORK, 0, NULL,
	    NULL },
	{ "network.*.require_auth", conf_set_bool, CONF_SC_NETWORK,
	    N(require_auth), "false", NULL },
	{ "network.*.exempt", conf_set_bool, CONF_SC_NETWORK, N(exempt),
	    "false", NULL },

	{ "customer_key", conf_set_strv, CONF_SC_ROOT, R(customer_key),
	    "sasl_username client_address", conf_check_attr },

	{ "limit", conf_set_named, CONF_SC_ROOT, 0, NULL, conf_add_limit },
	{ "limit.*.key", conf_set_enum, CONF_SC_LIMIT, L(key), "customer",
	    conf_key_names },
	{ "limit.*.count", conf_set_enum, CONF_SC_LIMIT, L(count), "messages",
	    conf_count_names },
	{ "limit.*.rate", conf_set_rate, CONF_SC_LIMIT, 0, NULL, NULL },
	{ "limit.*.burst", conf_set_u64, CONF_SC_LIMIT, L(burst), "0",
	    &conf_r_burst },
	{ "limit.*.action", conf_set_enum, CONF_SC_LIMIT, L(action), "defer",
	    conf_action_names },
	{ "limit.*.networks", conf_set_netnames, CONF_SC_LIMIT, 0, NULL, NULL },

	{ "policy", conf_set_block, CONF_SC_ROOT, 0, NULL, NULL },
	{ "policy.default_action", conf_set_str, CONF_SC_ROOT,
	    R(policy_default_action), "DUNNO", conf_check_action },
	{ "policy.time_budget", conf_set_dur, CONF_SC_ROOT,
	    R(policy_time_budget_ms), "100ms", &conf_r_budget },
	{ "policy.ipv6_customer_prefix", conf_set_uint, CONF_SC_ROOT,
	    R(policy_ipv6_customer_prefix), "64", &conf_r_v6prefix },
	{ "policy.overrides", conf_set_str, CONF_SC_ROOT, R(policy_overrides),
	    NULL, conf_check_path },
	{ "policy.instance_ttl", conf_set_dur, CONF_SC_ROOT,
	    R(policy_instance_ttl_ms), "1h", &conf_r_instance },

	{ "detection", conf_set_block, CONF_SC_ROOT, 0, NULL, NULL },
	{ "detection.enabled", conf_set_bool, CONF_SC_ROOT,
	    R(detection_enabled), "false", NULL },
	{ "detection.on_compromise", conf_set_compromise, CONF_SC_ROOT,
	    R(detection_on_compromise), "hold", NULL },
	{ "detection.notify_command", conf_set_str, CONF_SC_ROOT,
	    R(detection_notify_command), NULL, conf_check_path },
	{ "detection.alpha", conf_set_prob, CONF_SC_ROOT, R(detection_alpha),
	    "0.001", NULL },
	{ "detection.beta", conf_set_prob, CONF_SC_ROOT, R(detection_beta),
	    "0.01", NULL },
	{ "detection.min_messages", conf_set_uint, CONF_SC_ROOT,
	    R(detection_min_messages), "1", &conf_r_min_messages },
	{ "detection.utc_offset", conf_set_utc_offset, CONF_SC_ROOT,
	    R(detection_utc_offset_s), "+00:00", NULL },

	{ "feed", conf_set_block, CONF_SC_ROOT, 0, NULL, NULL },
	{ "feed.maillog", conf_set_str, CONF_SC_ROOT, R(feed_maillog), NULL,
	    conf_check_path },
	{ "feed.syslog", conf_set_str, CONF_SC_ROOT, R(feed_syslog), NULL,
	    conf_check_addr },

	{ "zone", conf_set_named, CONF_SC_ROOT, 0, NULL, conf_add_zone },
	{ "zone.*.ttl", conf_set_ttl, CONF_SC_ZONE, Z(ttl_s), "300", NULL },
	{ "zone.*.ns", conf_set_strv, CONF_SC_ZONE, Z(ns), NULL,
	    conf_check_dnsname },
	{ "zone.*.soa", conf_set_str, CONF_SC_ZONE, Z(soa), NULL,
	    conf_check_soa },
	{ "zone.*.allow_transfer", conf_set_strv, CONF_SC_ZONE,
	    Z(allow_transfer), NULL, conf_check_ip_or_prefix },
	{ "zone.*.dataset", conf_set_named, CONF_SC_ZONE, 0, NULL,
	    conf_add_dataset },
	{ "zone.*.dataset.*.type", conf_set_str, CONF_SC_DATASET, D(type),
	    NULL, conf_check_dataset_type },
	{ "zone.*.dataset.*.a", conf_set_str, CONF_SC_DATASET, D(a), NULL,
	    conf_check_ipv4 },
	{ "zone.*.dataset.*.txt", conf_set_str, CONF_SC_DATASET, D(txt), NULL,
	    conf_check_txt },
	{ "zone.*.dataset.*.file", conf_set_str, CONF_SC_DATASET, D(file),
	    NULL, conf_check_path },

	{ "user", conf_set_str, CONF_SC_ROOT, R(user), NULL, conf_check_user },
};

#define CONF_N_KEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

_Static_assert(sizeof(enum conf_backend) == sizeof(int) &&
    sizeof(enum conf_limit_key) == sizeof(int) &&
    sizeof(enum conf_limit_count) == sizeof(int) &&
    sizeof(enum conf_action) == sizeof(int), "enums are set as int");

/* ---- messages ---- */

int
conf_fail(struct conf_ctx *ctx, int rc, int line, const char *fmt, ...)
{
	char msg[CONF_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctx->errcap > 0 && ctx->path[0] != '\0')
		snprintf(ctx->err, ctx->errcap, "%s:%d: %s: %s", ctx->name, line,
		    ctx->path, msg);
	else if (ctx->errcap > 0)
		snprintf(ctx->err, ctx->errcap, "%s:%d: %s", ctx->name, line, msg);
	return rc;
}

const char *
conf_show(const char *s, size_t len, char buf[56])
{
	size_t i;

	for (i = 0; i < len && i < 48; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (len > 48) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* Append ".part" (or "part" at the top) to buf; false when it won't fit. */
static bool
conf_path_push(char *buf, size_t cap, const char *part, size_t len)
{
	size_t n = strlen(buf);

	if (n + 1 + len + 1 > cap)
		return false;
	if (n > 0)
		buf[n++] = '.';
	memcpy(buf + n, part, len);
	buf[n + len] = '\0';
	return true;
}

void
conf_strv_free(struct conf_strv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		xfree(v->v[i]);
	xfree(v->v);
	v->v = NULL;
	v->n = 0;
}

/*
 * conf_set_prob - an error rate of the detection test (doc/detection.md):
 * a number strictly between 0 and 0.5, as "0.001" or "1e-3".
 */
static int
conf_set_prob(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	char show[56], *end;
	double v;

	if (!ucl_is_scalar(n) || strlen(n->str) != n->str_len)
		return conf_fail(ctx, ERR_INVAL, n->line, "expects a number");
	errno = 0;
	v = strtod(n->str, &end);
	if (n->str_len == 0 || *end != '\0' || errno != 0 || !(v > 0) ||
	    !(v < 0.5))
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "\"%s\" is not a number above 0 and below 0.5",
		    conf_show(n->str, n->str_len, show));
	*(double *)((char *)base + k->off) = v;
	return 0;
}

/* ---- blocks ---- */

static int
conf_set_block(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	(void)k;
	if (n->type != UCL_OBJECT)
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "expects a block { ... }, not %s %s",
		    n->type == UCL_ARRAY ? "an" : "a", n->type == UCL_ARRAY ?
		    "array" : "value");
	return conf_walk(ctx, n, base);
}

/*
 * conf_set_named - `key "NAME" { ... }`: the node holds one member per
 * name (also several in one block, as JSON writes it); each becomes a new
 * element whose body is walked with "*" in the table path.
 */
static int
conf_set_named(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	conf_add_fn *add = (conf_add_fn *)(uintptr_t)k->arg;
	const struct ucl_node *c;
	char save_pat[sizeof(ctx->pat)], save_path[sizeof(ctx->path)];
	void *elem = NULL;
	int rc = 0;

	if (n->type != UCL_OBJECT || n->child == NULL)
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "expects named blocks: %s \"NAME\" { ... }", n->key);
	memcpy(save_pat, ctx->pat, sizeof(save_pat));
	memcpy(save_path, ctx->path, sizeof(save_path));
	for (c = n->child; c != NULL && rc == 0; c = c->next) {
		char show[56];

		conf_show(c->key, c->key_len, show);
		conf_path_push(ctx->pat, sizeof(ctx->pat), "*", 1);
		conf_path_push(ctx->path, sizeof(ctx->path), show, strlen(show));
		ctx->line = c->line;
		if (c->type != UCL_OBJECT)
			rc = conf_fail(ctx, ERR_INVAL, c->line,
			    "not a block; write %s \"NAME\" { ... }", n->key);
		else if ((rc = add(ctx, c, base, &elem)) == 0)
			rc = conf_walk(ctx, c, elem);
		memcpy(ctx->pat, save_pat, sizeof(save_pat));
		memcpy(ctx->path, save_path, sizeof(save_path));
	}
	return rc;
}

/* ---- sections ---- */

/* A section name: it shows up in rules, logs and metrics labels. */
static int
conf_name_ok(struct conf_ctx *ctx, const struct ucl_node *c)
{
	size_t i;

	if (c->key_len == 0 || c->key_len > CONF_NAME_MAX)
		return conf_fail(ctx, ERR_INVAL, c->line,
		    "a name has 1 to %d bytes", CONF_NAME_MAX);
	for (i = 0; i < c->key_len; i++) {
		char ch = c->key[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		    ch == '.'))
			return conf_fail(ctx, ERR_INVAL, c->line,
			    "a name has only letters, digits, '_', '-' and '.'");
	}
	return 0;
}

static int conf_defaults(struct conf_ctx *ctx, enum conf_scope scope,
    void *base);

/*
 * conf_add_elem - append a zeroed element of size bytes named name to
 * the array *arr of *n elements (*cap allocated), after checking that no
 * element (whose name and line are at name_off and line_off) has the
 * name; then set the defaults of scope.  *out is the new element.
 */
static int
conf_add_elem(struct conf_ctx *ctx, const struct ucl_node *c, const char *name,
    const char *kind, void **arr, size_t *n, size_t *cap, size_t size,
    size_t name_off, size_t line_off, enum conf_scope scope, void **out)
{
	char *e;
	size_t i;

	for (i = 0; i < *n; i++) {
		e = (char *)*arr + i * size;
		if (strcmp(*(char **)(e + name_off), name) == 0)
			return conf_fail(ctx, ERR_INVAL, c->line, "%s \"%s\" is "
			    "already defined at line %d", kind, name,
			    *(int *)(e + line_off));
	}
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;

		if ((e = xreallocarray(*arr, ncap, size)) == NULL)
			return conf_fail(ctx, ERR_NOMEM, c->line, "out of memory");
		*arr = e;
		*cap = ncap;
	}
	e = (char *)*arr + (*n)++ * size;
	memset(e, 0, size);
	*(int *)(e + line_off) = c->line;
	if ((*(char **)(e + name_off) = xstrdup(name)) == NULL)
		return conf_fail(ctx, ERR_NOMEM, c->line, "out of memory");
	*out = e;
	return conf_defaults(ctx, scope, e);
}

static int
conf_add_network(struct conf_ctx *ctx, const struct ucl_node *c, void *base,
    void **out)
{
	struct conf *conf = base;
	int rc;

	if ((rc = conf_name_ok(ctx, c)) != 0)
		return rc;
	return conf_add_elem(ctx, c, c->key, "network", (void **)&conf->networks,
	    &conf->n_networks, &ctx->cap_networks, sizeof(struct conf_network),
	    offsetof(struct conf_network, name),
	    offsetof(struct conf_network, line), CONF_SC_NETWORK, out);
}

static int
conf_add_limit(struct conf_ctx *ctx, const struct ucl_node *c, void *base,
    void **out)
{
	struct conf *conf = base;
	int rc;

	if ((rc = conf_name_ok(ctx, c)) != 0)
		return rc;
	return conf_add_elem(ctx, c, c->key, "limit", (void **)&conf->limits,
	    &conf->n_limits, &ctx->cap_limits, sizeof(struct conf_limit),
	    offsetof(struct conf_limit, name), offsetof(struct conf_limit, line),
	    CONF_SC_LIMIT, out);
}

/* A zone's name: a DNS name, kept lowercase and without a final dot. */
static int
conf_add_zone(struct conf_ctx *ctx, const struct ucl_node *c, void *base,
    void **out)
{
	struct conf *conf = base;
	char name[256];
	size_t i, len = c->key_len;

	if (!conf_check_hostname(c->key, len) || strlen(c->key) != len)
		return conf_fail(ctx, ERR_INVAL, c->line, "not a DNS name (labels "
		    "of letters, digits, - and _, up to 63 bytes each, 253 in "
		    "all)");
	if (c->key[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++)
		name[i] = (c->key[i] >= 'A' && c->key[i] <= 'Z') ?
		    (char)(c->key[i] - 'A' + 'a') : c->key[i];
	name[len] = '\0';
	return conf_add_elem(ctx, c, name, "zone", (void **)&conf->zones,
	    &conf->n_zones, &ctx->cap_zones, sizeof(struct conf_zone),
	    offsetof(struct conf_zone, name), offsetof(struct conf_zone, line),
	    CONF_SC_ZONE, out);
}

static int
conf_add_dataset(struct conf_ctx *ctx, const struct ucl_node *c, void *base,
    void **out)
{
	struct conf_zone *zone = base;
	size_t cap = zone->n_datasets;	/* datasets are few: grow each time */
	int rc;

	if ((rc = conf_name_ok(ctx, c)) != 0)
		return rc;
	return conf_add_elem(ctx, c, c->key, "dataset", (void **)&zone->datasets,
	    &zone->n_datasets, &cap, sizeof(struct conf_dataset),
	    offsetof(struct conf_dataset, name),
	    offsetof(struct conf_dataset, line), CONF_SC_DATASET, out);
}

/* ---- the walker ---- */

static const struct conf_key *
conf_find(const char *pat, size_t *idx)
{
	size_t i;

	for (i = 0; i < CONF_N_KEYS; i++) {
		if (strcmp(conf_keys[i].path, pat) == 0) {
			*idx = i;
			return &conf_keys[i];
		}
	}
	return NULL;
}

/* The keys allowed under the table path prefix, for "unknown key". */
static void
conf_known_here(const char *prefix, char *buf, size_t cap)
{
	size_t plen = strlen(prefix), i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < CONF_N_KEYS && n < cap; i++) {
		const char *p = conf_keys[i].path, *rest;

		if (plen > 0 && (strncmp(p, prefix, plen) != 0 || p[plen] != '.'))
			continue;
		rest = plen > 0 ? p + plen + 1 : p;
		if (strchr(rest, '.') != NULL)
			continue;
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "",
		    rest);
	}
}

/*
 * conf_walk - set every member of obj from the table, under the table
 * path ctx->pat; base is the struct of the current scope.
 */
int
conf_walk(struct conf_ctx *ctx, const struct ucl_node *obj, void *base)
{
	const struct ucl_node *m;
	const struct conf_key *k;
	char save_pat[sizeof(ctx->pat)], save_path[sizeof(ctx->path)];
	char known[256], show[56];
	size_t idx = 0;
	int rc = 0;

	memcpy(save_pat, ctx->pat, sizeof(save_pat));
	memcpy(save_path, ctx->path, sizeof(save_path));
	for (m = obj->child; m != NULL && rc == 0; m = m->next) {
		conf_show(m->key, m->key_len, show);
		conf_path_push(ctx->path, sizeof(ctx->path), show, strlen(show));
		ctx->line = m->line;
		/*
		 * A key is one path component: "state.dir" or "limit.*.rate"
		 * written as one key would reach a row of another scope.
		 */
		k = NULL;
		if (strcspn(m->key, ".*") == m->key_len &&
		    conf_path_push(ctx->pat, sizeof(ctx->pat), m->key, m->key_len))
			k = conf_find(ctx->pat, &idx);
		if (k == NULL) {
			conf_known_here(save_pat, known, sizeof(known));
			rc = conf_fail(ctx, ERR_INVAL, m->line,
			    "unknown key (known here: %s)", known);
		} else if (k->set != conf_set_named && ctx->seen_in[idx] == obj) {
			rc = conf_fail(ctx, ERR_INVAL, m->line,
			    "given twice (first at line %d)", ctx->seen_line[idx]);
		} else {
			ctx->seen_in[idx] = obj;
			ctx->seen_line[idx] = m->line;
			rc = k->set(ctx, k, m, base);
		}
		memcpy(ctx->pat, save_pat, sizeof(save_pat));
		memcpy(ctx->path, save_path, sizeof(save_path));
	}
	return rc;
}

/*
 * conf_defaults - run the setter of every row of scope that has a
 * default, on a node made from the default's text.
 */
static int
conf_defaults(struct conf_ctx *ctx, enum conf_scope scope, void *base)
{
	struct ucl_node items[CONF_DEFV_MAX], arr;
	char words[CONF_DEFV_MAX][64];
	size_t i, n;
	int rc;

	for (i = 0; i < CONF_N_KEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *p;

		if (k->scope != scope || k->def == NULL)
			continue;
		memset(items, 0, sizeof(items));
		memset(&arr, 0, sizeof(arr));
		/* Split "a b": each word a NUL-terminated copy. */
		for (n = 0, p = k->def; *p != '\0' && n < CONF_DEFV_MAX; n++) {
			size_t len = strcspn(p, " ");

			snprintf(words[n], sizeof(words[n]), "%.*s", (int)len, p);
			items[n].type = UCL_STRING;
			items[n].line = ctx->line;
			items[n].str = words[n];
			items[n].str_len = strlen(words[n]);
			if (n > 0)
				items[n - 1].next = &items[n];
			p += len;
			while (*p == ' ')
				p++;
		}
		arr.type = UCL_ARRAY;
		arr.line = ctx->line;
		arr.child = items;
		arr.n_children = n;
		if ((rc = k->set(ctx, k, n > 1 ? &arr : &items[0], base)) != 0)
			return rc;
	}
	return 0;
}

/* ---- checks across keys ---- */

struct conf_pfx_ref {
	struct ipprefix p;
	size_t net;
};

static int
conf_pfx_cmp(const void *a, const void *b)
{
	const struct conf_pfx_ref *x = a, *y = b;
	int c = memcmp(&x->p.addr, &y->p.addr, sizeof(x->p.addr));

	if (c != 0)
		return c;
	if (x->p.len != y->p.len)
		return x->p.len < y->p.len ? -1 : 1;
	return x->net < y->net ? -1 : x->net > y->net;
}

static int
conf_line_of(struct conf_ctx *ctx, const char *path)
{
	size_t idx;

	if (conf_find(path, &idx) != NULL && ctx->seen_in[idx] != NULL)
		return ctx->seen_line[idx];
	return 1;
}

static void
conf_set_path(struct conf_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
conf_set_path(struct conf_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->path, sizeof(ctx->path), fmt, ap);
	va_end(ap);
}

/*
 * Each prefix in one network only, and once there: sorted, so that a
 * big ISP's thousands of prefixes cost O(n log n).
 */
static int
conf_verify_prefixes(struct conf_ctx *ctx)
{
	struct conf *conf = ctx->conf;
	struct conf_pfx_ref *refs;
	size_t i, j, n = 0;
	char buf[IPPREFIX_STRLEN];
	int rc = 0;

	for (i = 0; i < conf->n_networks; i++)
		n += conf->networks[i].n_prefixes;
	if (n < 2)
		return 0;
	if ((refs = xcalloc(n, sizeof(*refs))) == NULL)
		return conf_fail(ctx, ERR_NOMEM, 1, "out of memory");
	for (i = 0, n = 0; i < conf->n_networks; i++)
		for (j = 0; j < conf->networks[i].n_prefixes; j++) {
			refs[n].p = conf->networks[i].prefixes[j];
			refs[n++].net = i;
		}
	qsort(refs, n, sizeof(*refs), conf_pfx_cmp);
	for (i = 1; i < n; i++) {
		const struct conf_network *a, *b;

		if (memcmp(&refs[i - 1].p, &refs[i].p, sizeof(refs[i].p)) != 0)
			continue;
		a = &conf->networks[refs[i - 1].net];
		b = &conf->networks[refs[i].net];
		ipprefix_format(&refs[i].p, buf, sizeof(buf));
		conf_set_path(ctx, "network.%s.prefixes", b->name);
		if (a == b)
			rc = conf_fail(ctx, ERR_INVAL, b->line, "%s is listed twice",
			    buf);
		else
			rc = conf_fail(ctx, ERR_INVAL, b->line, "%s is also in "
			    "network \"%s\" (line %d); a prefix belongs to one "
			    "network", buf, a->name, a->line);
		break;
	}
	xfree(refs);
	return rc;
}

static int
conf_verify_networks(struct conf_ctx *ctx)
{
	struct conf *conf = ctx->conf;
	size_t i;

	for (i = 0; i < conf->n_networks; i++) {
		if (conf->networks[i].n_prefixes == 0) {
			conf_set_path(ctx, "network.%s.prefixes",
			    conf->networks[i].name);
			return conf_fail(ctx, ERR_INVAL, conf->networks[i].line,
			    "missing: a network needs at least one prefix");
		}
	}
	return conf_verify_prefixes(ctx);
}

static int
conf_verify_limits(struct conf_ctx *ctx)
{
	struct conf *conf = ctx->conf;
	size_t i, j, k, m;
	char show[56];

	for (i = 0; i < conf->n_limits; i++) {
		if (conf->limits[i].rate_count == 0) {
			conf_set_path(ctx, "limit.%s.rate", conf->limits[i].name);
			return conf_fail(ctx, ERR_INVAL, conf->limits[i].line,
			    "missing: a limit needs a rate (like \"200/1h\")");
		}
	}
	for (i = 0; i < ctx->n_pending; i++) {
		struct conf_pending *p = &ctx->pending[i];
		struct conf_limit *lim = &conf->limits[p->limit];

		conf_set_path(ctx, "limit.%s.networks", lim->name);
		if ((lim->networks = xcalloc(p->names.n, sizeof(size_t))) == NULL)
			return conf_fail(ctx, ERR_NOMEM, p->line, "out of memory");
		for (j = 0; j < p->names.n; j++) {
			for (k = 0; k < conf->n_networks; k++)
				if (strcmp(conf->networks[k].name,
				    p->names.v[j]) == 0)
					break;
			if (k == conf->n_networks)
				return conf_fail(ctx, ERR_INVAL, p->line,
				    "no network named \"%s\"",
				    conf_show(p->names.v[j], strlen(p->names.v[j]),
				    show));
			if (conf->networks[k].exempt)
				return conf_fail(ctx, ERR_INVAL, p->line,
				    "network \"%s\" is exempt: no limit applies "
				    "there", conf->networks[k].name);
			for (m = 0; m < lim->n_networks; m++)
				if (lim->networks[m] == k)
					return conf_fail(ctx, ERR_INVAL, p->line,
					    "network \"%s\" is named twice",
					    conf->networks[k].name);
			lim->networks[lim->n_networks++] = k;
		}
	}
	return 0;
}

static int
conf_verify_zones(struct conf_ctx *ctx)
{
	struct conf *conf = ctx->conf;
	size_t i, j;

	for (i = 0; i < conf->n_zones; i++) {
		const struct conf_zone *z = &conf->zones[i];
		const struct conf_dataset *det = NULL;

		for (j = 0; j < z->n_datasets; j++) {
			const struct conf_dataset *ds = &z->datasets[j];

			conf_set_path(ctx, "zone.%s.dataset.%s.type", z->name,
			    ds->name);
			if (ds->type == NULL)
				return conf_fail(ctx, ERR_INVAL, ds->line,
				    "missing: detection | ip4set | ip4trie | "
				    "ip6trie | dnset");
			conf_set_path(ctx, "zone.%s.dataset.%s.file", z->name,
			    ds->name);
			if (strcmp(ds->type, "detection") == 0) {
				if (ds->file != NULL)
					return conf_fail(ctx, ERR_INVAL, ds->line,
					    "a detection dataset has no file: "
					    "incidents and the API fill it");
				if (det != NULL) {
					conf_set_path(ctx, "zone.%s.dataset.%s",
					    z->name, ds->name);
					return conf_fail(ctx, ERR_INVAL, ds->line,
					    "a second detection dataset (the "
					    "first is \"%s\")", det->name);
				}
				det = ds;
			} else if (ds->file == NULL) {
				return conf_fail(ctx, ERR_INVAL, ds->line,
				    "missing: a %s dataset reads an rbldnsd "
				    "data file", ds->type);
			}
		}
	}
	return 0;
}

/* The same address in two listen lists would fail to bind. */
static int
conf_verify_listen(struct conf_ctx *ctx)
{
	const struct conf *c = ctx->conf;
	const struct {
		const char *key;
		const struct conf_strv *v;
	} lists[] = {
		{ "listen.policy", &c->listen_policy },
		{ "listen.http", &c->listen_http },
	};
	size_t a, b, i, j;

	for (a = 0; a < 2; a++)
		for (i = 0; i < lists[a].v->n; i++)
			for (b = a; b < 2; b++)
				for (j = a == b ? i + 1 : 0; j < lists[b].v->n; j++) {
					if (strcmp(lists[a].v->v[i],
					    lists[b].v->v[j]) != 0)
						continue;
					conf_set_path(ctx, "%s", lists[b].key);
					return conf_fail(ctx, ERR_INVAL,
					    conf_line_of(ctx, lists[b].key),
					    "%s is also in %s", lists[b].v->v[j],
					    lists[a].key);
				}
	return 0;
}

static int
conf_verify(struct conf_ctx *ctx)
{
	struct conf *c = ctx->conf;
	size_t i, j;
	int rc;

	if (c->state_backend == CONF_BACKEND_REDIS && c->redis_servers.n == 0) {
		conf_set_path(ctx, "state.redis.servers");
		return conf_fail(ctx, ERR_INVAL, conf_line_of(ctx, "state.backend"),
		    "missing: state.backend is redis");
	}
	if (c->http_token != NULL && c->http_token_file != NULL) {
		conf_set_path(ctx, "http.token");
		return conf_fail(ctx, ERR_INVAL, conf_line_of(ctx, "http.token"),
		    "give http.token or http.token_file, not both");
	}
	conf_set_path(ctx, "customer_key");
	if (c->customer_key.n == 0)
		return conf_fail(ctx, ERR_INVAL, conf_line_of(ctx, "customer_key"),
		    "needs at least one attribute");
	for (i = 0; i < c->customer_key.n; i++)
		for (j = i + 1; j < c->customer_key.n; j++)
			if (strcmp(c->customer_key.v[i], c->customer_key.v[j]) == 0)
				return conf_fail(ctx, ERR_INVAL,
				    conf_line_of(ctx, "customer_key"),
				    "%s is named twice", c->customer_key.v[i]);
	if ((c->detection_on_compromise & CONF_ON_NOTIFY) &&
	    c->detection_notify_command == NULL) {
		conf_set_path(ctx, "detection.on_compromise");
		return conf_fail(ctx, ERR_INVAL,
		    conf_line_of(ctx, "detection.on_compromise"),
		    "notify needs detection.notify_command");
	}
	if ((rc = conf_verify_listen(ctx)) != 0 ||
	    (rc = conf_verify_networks(ctx)) != 0 ||
	    (rc = conf_verify_limits(ctx)) != 0 ||
	    (rc = conf_verify_zones(ctx)) != 0)
		return rc;
	return 0;
}

/* ---- entry points ---- */

int
conf_load_text(const char *name, const char *text, size_t len,
    struct conf **out, char *err, size_t errcap)
{
	struct conf_ctx ctx;
	struct ucl_doc *doc = NULL;
	struct ucl_error uerr;
	const struct ucl_node *seen_in[CONF_N_KEYS];
	int seen_line[CONF_N_KEYS];
	size_t i;
	int rc;

	*out = NULL;
	if (errcap > 0)
		err[0] = '\0';
	memset(&ctx, 0, sizeof(ctx));
	memset(seen_in, 0, sizeof(seen_in));
	memset(seen_line, 0, sizeof(seen_line));
	ctx.name = name;
	ctx.err = err;
	ctx.errcap = errcap;
	ctx.seen_in = seen_in;
	ctx.seen_line = seen_line;
	ctx.line = 1;
	if (len > CONF_FILE_MAX) {
		if (errcap > 0)
			snprintf(err, errcap, "%s: the file is %zu bytes, over the "
			    "1 MiB limit of a configuration file", name, len);
		return ERR_TOOBIG;
	}
	rc = ucl_parse(text, len, &doc, &uerr);
	if (rc != 0) {
		if (errcap > 0)
			snprintf(err, errcap, "%s:%d: syntax error: %s (column %d)",
			    name, uerr.line, uerr.msg, uerr.col);
		return rc;
	}
	if ((ctx.conf = xcalloc(1, sizeof(*ctx.conf))) == NULL ||
	    (ctx.conf->path = xstrdup(name)) == NULL) {
		rc = conf_fail(&ctx, ERR_NOMEM, 1, "out of memory");
		goto out;
	}
	if ((rc = conf_defaults(&ctx, CONF_SC_ROOT, ctx.conf)) != 0 ||
	    (rc = conf_walk(&ctx, ucl_doc_root(doc), ctx.conf)) != 0 ||
	    (rc = conf_verify(&ctx)) != 0)
		goto out;
out:
	for (i = 0; i < ctx.n_pending; i++)
		conf_strv_free(&ctx.pending[i].names);
	xfree(ctx.pending);
	ucl_doc_free(doc);
	if (rc != 0) {
		conf_free(ctx.conf);
		return rc;
	}
	*out = ctx.conf;
	return 0;
}

int
conf_load(const char *path, struct conf **out, char *err, size_t errcap)
{
	char *text;
	size_t len;
	int rc;

	*out = NULL;
	rc = file_read_all(path, CONF_FILE_MAX, &text, &len, err, errcap);
	if (rc == ERR_TOOBIG && errcap > 0)
		snprintf(err, errcap, "%s: the file is over the 1 MiB limit of "
		    "a configuration file", path);
	if (rc != 0)
		return rc;
	rc = conf_load_text(path, text, len, out, err, errcap);
	xfree(text);
	return rc;
}

void
conf_free(struct conf *conf)
{
	size_t i, j;

	if (conf == NULL)
		return;
	xfree(conf->path);
	xfree(conf->state_dir);
	conf_strv_free(&conf->redis_servers);
	xfree(conf->redis_prefix);
	conf_strv_free(&conf->listen_policy);
	conf_strv_free(&conf->listen_dns);
	conf_strv_free(&conf->listen_http);
	xfree(conf->http_token_file);
	xfree(conf->http_token);
	for (i = 0; i < conf->n_networks; i++) {
		xfree(conf->networks[i].name);
		xfree(conf->networks[i].prefixes);
	}
	xfree(conf->networks);
	conf_strv_free(&conf->customer_key);
	for (i = 0; i < conf->n_limits; i++) {
		xfree(conf->limits[i].name);
		xfree(conf->limits[i].networks);
	}
	xfree(conf->limits);
	xfree(conf->policy_default_action);
	xfree(conf->policy_overrides);
	xfree(conf->detection_notify_command);
	xfree(conf->feed_maillog);
	xfree(conf->feed_syslog);
	for (i = 0; i < conf->n_zones; i++) {
		struct conf_zone *z = &conf->zones[i];

		xfree(z->name);
		conf_strv_free(&z->ns);
		xfree(z->soa);
		conf_strv_free(&z->allow_transfer);
		for (j = 0; j < z->n_datasets; j++) {
			xfree(z->datasets[j].name);
			xfree(z->datasets[j].type);
			xfree(z->datasets[j].file);
			xfree(z->datasets[j].a);
			xfree(z->datasets[j].txt);
		}
		xfree(z->datasets);
	}
	xfree(conf->zones);
	xfree(conf->user);
	xfree(conf);
}

const char *
conf_action_name(enum conf_action action)
{
	if ((unsigned)action >= sizeof(conf_action_names) /
	    sizeof(conf_action_names[0]) - 1)
		return "?";
	return conf_action_names[action];
}

const char *
conf_limit_key_name(enum conf_limit_key key)
{
	if ((unsigned)key >= sizeof(conf_key_names) / sizeof(conf_key_names[0]) - 1)
		return "?";
	return conf_key_names[key];
}

const char *
conf_limit_count_name(enum conf_limit_count count)
{
	if ((unsigned)count >= sizeof(conf_count_names) /
	    sizeof(conf_count_names[0]) - 1)
		return "?";
	return conf_count_names[count];
}
