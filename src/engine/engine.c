/*
 * engine.c - the engine's life cycle: rules compiled from struct conf,
 * reload with counters kept, overrides, expiry, usage for the HTTP API.
 * The decisions are in engine_judge.c, persistence in engine_persist.c.
 *
 * Rules are built whole (engine_rules_new) and swapped in: a reload that
 * fails changes nothing.  On a successful reload every limit state is
 * renumbered to its limit's new index, or dropped when its limit's name,
 * key, count, rate or kind changed (engine_set_conf); that walk is
 * O(tracked keys), once per SIGHUP.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine_int.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

_Static_assert(SUBJECT_KEY_MAX == ENGINE_CUSTOMER_MAX, "key bounds differ");
_Static_assert(SUBJECT_KINDS == CONF_LIMIT_KEY_SENDER_DOMAIN + 1, "key kinds");
_Static_assert(ENGINE_LIMITS_MAX < INSTANCE_NO_LIMIT, "limit index width");

static const char *const engine_key_tags[SUBJECT_KINDS] = {
	"customer", "sasl_username", "client_address", "sender", "sender_domain"
};

const char *
engine_key_tag(unsigned kind)
{
	return kind < SUBJECT_KINDS ? engine_key_tags[kind] : "";
}

enum limit_kind
engine_limit_kind(const struct conf_limit *lim)
{
	switch (lim->count) {
	case CONF_COUNT_DISTINCT_RECIPIENTS:
	case CONF_COUNT_DISTINCT_RECIPIENT_DOMAINS:
	case CONF_COUNT_DISTINCT_CLIENT_ADDRESSES:
		return LIMIT_DISTINCT;
	default:
		return lim->burst ? LIMIT_BUCKET : LIMIT_WINDOW;
	}
}

void
engine_rules_free(struct engine_rules *rules)
{
	size_t i;

	if (rules == NULL)
		return;
	for (i = 0; i < rules->n_limits; i++)
		xfree(rules->limits[i].nets);
	xfree(rules->limits);
	xfree(rules->items);
	xfree(rules->sops);
	lpm_free(rules->lpm);
	xfree(rules);
}

static int engine_fail(char *err, size_t errcap, const struct conf *conf,
    int line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
engine_fail(char *err, size_t errcap, const struct conf *conf, int line,
    const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errcap > 0)
		snprintf(err, errcap, "%s:%d: %s",
		    conf->path ? conf->path : "(config)", line, msg);
	return ERR_INVAL;
}

static int
engine_rules_networks(struct engine_rules *r, char *err, size_t errcap)
{
	const struct conf *conf = r->conf;
	char text[IPPREFIX_STRLEN];
	uint32_t other;
	size_t i, j;
	int rc;

	if (conf->n_networks >= ENGINE_NET_NONE)
		return engine_fail(err, errcap, conf, 0, "too many networks");
	for (i = 0; i < conf->n_networks; i++) {
		const struct conf_network *net = &conf->networks[i];

		for (j = 0; j < net->n_prefixes; j++) {
			const struct ipprefix *p = &net->prefixes[j];

			rc = lpm_insert(r->lpm, p, (uint32_t)i);
			if (rc == ERR_EXIST && lpm_get(r->lpm, p, &other) &&
			    other != i) {
				ipprefix_format(p, text, sizeof(text));
				return engine_fail(err, errcap, conf, net->line,
				    "network.%s.prefixes: %s is also in "
				    "network %s", net->name, text,
				    conf->networks[other].name);
			}
			if (rc != 0 && rc != ERR_EXIST) {
				snprintf(err, errcap, "engine: %s",
				    err_str(rc));
				return rc;
			}
		}
	}
	return 0;
}

static int
engine_rules_limit(struct engine_rules *r, size_t i, char *err, size_t errcap)
{
	const struct conf *conf = r->conf;
	const struct conf_limit *lim = &conf->limits[i];
	struct engine_limit *el = &r->limits[i];
	size_t j;

	el->conf = lim;
	if (lim->name == NULL || strlen(lim->name) >= ENGINE_RULE_MAX)
		return engine_fail(err, errcap, conf, lim->line,
		    "limit name longer than %d bytes", ENGINE_RULE_MAX - 1);
	if ((unsigned)lim->key >= SUBJECT_KINDS ||
	    (unsigned)lim->count > CONF_COUNT_DISTINCT_CLIENT_ADDRESSES ||
	    (unsigned)lim->action > CONF_ACTION_REJECT)
		return engine_fail(err, errcap, conf, lim->line,
		    "limit.%s: bad key, count or action", lim->name);
	if (lim->rate_count == 0 || lim->rate_count > UINT32_MAX ||
	    lim->rate_period_ms == 0 || lim->rate_period_ms > INT64_MAX / 1000)
		return engine_fail(err, errcap, conf, lim->line,
		    "limit.%s.rate: out of range", lim->name);
	if (lim->burst > LIMIT_BURST_MAX)
		return engine_fail(err, errcap, conf, lim->line,
		    "limit.%s.burst: at most %u", lim->name, LIMIT_BURST_MAX);
	el->kind = engine_limit_kind(lim);
	if (el->kind == LIMIT_DISTINCT && lim->burst != 0)
		return engine_fail(err, errcap, conf, lim->line,
		    "limit.%s.burst: not for count = distinct_*", lim->name);
	if (el->kind == LIMIT_DISTINCT && lim->rate_count > LIMIT_DISTINCT_MAX)
		return engine_fail(err, errcap, conf, lim->line,
		    "limit.%s.rate: a distinct count allows at most %u per "
		    "period", lim->name, LIMIT_DISTINCT_MAX);
	el->rate.count = lim->rate_count;
	el->rate.period_ms = lim->rate_period_ms;
	el->rate.burst = lim->burst;
	if (lim->n_networks > 0) {
		if ((el->nets = xcalloc(conf->n_networks ? conf->n_networks : 1,
		    1)) == NULL) {
			snprintf(err, errcap, "engine: %s", err_str(ERR_NOMEM));
			return ERR_NOMEM;
		}
		for (j = 0; j < lim->n_networks; j++) {
			if (lim->networks[j] >= conf->n_networks)
				return engine_fail(err, errcap, conf, lim->line,
				    "limit.%s.networks: no such network",
				    lim->name);
			el->nets[lim->networks[j]] = 1;
		}
	}
	r->kinds_used |= 1u << lim->key;
	if (limit_idle_us(el->kind, &el->rate) > r->idle_us)
		r->idle_us = limit_idle_us(el->kind, &el->rate);
	return 0;
}

struct engine_rules *
engine_rules_new(const struct conf *conf, char *err, size_t errcap, int *rc)
{
	struct engine_rules *r;
	size_t i;
	int attr;

	*rc = ERR_INVAL;
	if (errcap > 0)
		err[0] = '\0';
	if ((r = xcalloc(1, sizeof(*r))) == NULL)
		goto nomem;
	r->conf = conf;
	if ((r->lpm = lpm_new()) == NULL)
		goto nomem;
	if ((*rc = engine_rules_networks(r, err, errcap)) != 0)
		goto fail;
	*rc = ERR_INVAL;
	if (conf->n_limits > ENGINE_LIMITS_MAX) {
		engine_fail(err, errcap, conf, 0, "more than %d limits",
		    ENGINE_LIMITS_MAX);
		goto fail;
	}
	if (conf->n_limits > 0) {
		r->limits = xcalloc(conf->n_limits, sizeof(*r->limits));
		r->items = xcalloc(conf->n_limits, sizeof(*r->items));
		r->sops = xcalloc(conf->n_limits, sizeof(*r->sops));
		if (r->limits == NULL || r->items == NULL || r->sops == NULL)
			goto nomem;
	}
	r->n_limits = conf->n_limits;
	for (i = 0; i < conf->n_limits; i++) {
		if ((*rc = engine_rules_limit(r, i, err, errcap)) != 0)
			goto fail;
	}
	*rc = ERR_INVAL;
	for (i = 0; i < conf->customer_key.n; i++) {
		const char *name = conf->customer_key.v[i];

		attr = policy_attr_lookup(name, strlen(name));
		if (attr < 0 || r->n_customer_attr >= PA__COUNT) {
			engine_fail(err, errcap, conf, 0,
			    "customer_key: %s is not a policy attribute", name);
			goto fail;
		}
		r->customer_attr[r->n_customer_attr++] = attr;
	}
	if (conf->policy_ipv6_customer_prefix > 128) {
		engine_fail(err, errcap, conf, 0,
		    "policy.ipv6_customer_prefix: at most 128");
		goto fail;
	}
	r->instance_ttl_us = (int64_t)(conf->policy_instance_ttl_ms ?
	    conf->policy_instance_ttl_ms : ENGINE_INSTANCE_TTL_MS) * 1000;
	r->default_action = conf->policy_default_action ?
	    conf->policy_default_action : "DUNNO";
	*rc = 0;
	return r;
nomem:
	*rc = ERR_NOMEM;
	if (errcap > 0)
		snprintf(err, errcap, "engine: %s", err_str(ERR_NOMEM));
fail:
	engine_rules_free(r);
	return NULL;
}

void
engine_rate(const struct engine_rules *rules, size_t i,
    const struct overrides_entry *ov, struct limit_rate *out)
{
	const char *name = rules->limits[i].conf->name;
	const struct overrides_rate *r;

	*out = rules->limits[i].rate;
	if (ov != NULL && (r = overrides_rate_find(ov, name)) != NULL) {
		out->count = r->count;
		out->period_ms = r->period_ms;
	}
}

/* The longest idle time any override rate gives (0: none). */
static int64_t
engine_ov_idle(const struct engine_rules *rules, const struct overrides *ov)
{
	const struct overrides_entry *e;
	struct limit_rate rate;
	int64_t idle = 0, t;
	size_t i, j, k;

	for (i = 0; ov != NULL && i < overrides_count(ov); i++) {
		e = overrides_entry_at(ov, i);
		for (j = 0; j < e->n_rates; j++) {
			for (k = 0; k < rules->n_limits; k++) {
				if (strcmp(rules->limits[k].conf->name,
				    e->rates[j].limit) != 0)
					continue;
				engine_rate(rules, k, e, &rate);
				t = limit_idle_us(rules->limits[k].kind, &rate);
				if (t > idle)
					idle = t;
			}
		}
	}
	return idle;
}

struct engine *
engine_new(const struct conf *conf, char *err, size_t errcap)
{
	struct engine *e;
	uint64_t seed;
	int rc;

	if ((e = xcalloc(1, sizeof(*e))) == NULL) {
		if (errcap > 0)
			snprintf(err, errcap, "engine: %s", err_str(ERR_NOMEM));
		return NULL;
	}
	/*
	 * A per-process seed for the tables that hold peers' strings (address
	 * layout randomisation gives it; no clock or entropy read here).
	 * Decisions never depend on it.
	 */
	seed = (uint64_t)(uintptr_t)e ^
	    ((uint64_t)(uintptr_t)&engine_new << 17);
	if ((e->rules = engine_rules_new(conf, err, errcap, &rc)) == NULL)
		goto fail;
	if (subject_tab_init(&e->subjects, seed) != 0 ||
	    instance_tab_init(&e->instances, ENGINE_INSTANCES_MAX,
	    seed * 0x9e3779b97f4a7c15ull) != 0 ||
	    engine_detect_init(e, seed) != 0) {
		if (errcap > 0)
			snprintf(err, errcap, "engine: %s", err_str(ERR_NOMEM));
		goto fail;
	}
	engine_detect_conf(e, conf);
	return e;
fail:
	engine_free(e);
	return NULL;
}

void
engine_set_shared(struct engine *e, const struct shared_ops *ops, void *ctx)
{
	e->shared = ops;
	e->shared_ctx = ctx;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	subject_tab_fini(&e->subjects);
	instance_tab_fini(&e->instances);
	engine_detect_fini(e);
	overrides_free(e->ov);
	engine_rules_free(e->rules);
	xfree(e->buf);
	xfree(e);
}

/* Does new limit nl keep the counters of old limit ol? */
static bool
engine_limit_same(const struct engine_limit *ol, const struct engine_limit *nl)
{
	return strcmp(ol->conf->name, nl->conf->name) == 0 &&
	    ol->conf->key == nl->conf->key &&
	    ol->conf->count == nl->conf->count &&
	    ol->rate.count == nl->rate.count &&
	    ol->rate.period_ms == nl->rate.period_ms && ol->kind == nl->kind;
}

int
engine_set_conf(struct engine *e, const struct conf *conf, char *err,
    size_t errcap)
{
	struct engine_rules *nr, *old = e->rules;
	struct subject *s, *next;
	struct limit_state **link, *ls;
	int32_t *map;
	size_t i, j;
	int rc;

	if ((nr = engine_rules_new(conf, err, errcap, &rc)) == NULL)
		return rc;
	map = xcalloc(old->n_limits ? old->n_limits : 1, sizeof(*map));
	if (map == NULL) {
		engine_rules_free(nr);
		if (errcap > 0)
			snprintf(err, errcap, "engine: %s", err_str(ERR_NOMEM));
		return ERR_NOMEM;
	}
	for (i = 0; i < old->n_limits; i++) {
		map[i] = -1;
		for (j = 0; j < nr->n_limits && map[i] < 0; j++) {
			if (engine_limit_same(&old->limits[i], &nr->limits[j]))
				map[i] = (int32_t)j;
		}
	}
	/* From here on nothing can fail. */
	for (j = 0; j < nr->n_limits; j++) {
		/* Hit counters follow a limit that keeps its name and action. */
		for (i = 0; i < old->n_limits; i++) {
			if (strcmp(old->limits[i].conf->name,
			    nr->limits[j].conf->name) == 0 &&
			    old->limits[i].conf->action ==
			    nr->limits[j].conf->action) {
				nr->limits[j].hits = old->limits[i].hits;
				break;
			}
		}
	}
	for (s = e->subjects.head; s != NULL; s = next) {
		next = s->next;
		for (link = &s->states; (ls = *link) != NULL;) {
			if (ls->limit < old->n_limits && map[ls->limit] >= 0) {
				ls->limit = (uint16_t)map[ls->limit];
				link = &ls->next;
			} else {
				*link = ls->next;
				limit_state_free(ls);
			}
		}
		if (s->states == NULL)
			subject_remove(&e->subjects, s);
	}
	instance_remap(&e->instances, map, old->n_limits);
	xfree(map);
	e->rules = nr;
	engine_rules_free(old);
	e->ov_idle_us = engine_ov_idle(nr, e->ov);
	engine_detect_conf(e, conf);
	return 0;
}

/* Check an overrides map against the limits: names exist, bounds hold. */
static int
engine_ov_check(const struct engine_rules *rules, const struct overrides *ov,
    const char *name, char *err, size_t errcap)
{
	const struct overrides_entry *e;
	const struct overrides_rate *r;
	size_t i, j, k;

	for (i = 0; i < overrides_count(ov); i++) {
		e = overrides_entry_at(ov, i);
		for (j = 0; j < e->n_rates; j++) {
			r = &e->rates[j];
			for (k = 0; k < rules->n_limits; k++) {
				if (strcmp(rules->limits[k].conf->name,
				    r->limit) == 0)
					break;
			}
			if (k == rules->n_limits) {
				snprintf(err, errcap, "%s:%d: unknown limit %s",
				    name, e->line, r->limit);
				return ERR_NOENT;
			}
			if (r->period_ms > INT64_MAX / 1000 ||
			    (rules->limits[k].kind == LIMIT_DISTINCT &&
			    r->count > LIMIT_DISTINCT_MAX)) {
				snprintf(err, errcap, "%s:%d: %s: rate out "
				    "of range (a distinct count allows at "
				    "most %u)", name, e->line, r->limit,
				    LIMIT_DISTINCT_MAX);
				return ERR_RANGE;
			}
		}
	}
	return 0;
}

int
engine_load_overrides(struct engine *e, const char *name, const char *text,
    size_t len, char *err, size_t errcap)
{
	struct overrides *ov = NULL;
	struct overrides_err perr;
	int rc;

	if (errcap > 0)
		err[0] = '\0';
	if (len > 0) {
		if ((rc = overrides_parse(text, len, &ov, &perr)) != 0) {
			snprintf(err, errcap, "%s:%d: %s", name, perr.line,
			    perr.reason);
			return rc;
		}
		rc = engine_ov_check(e->rules, ov, name, err, errcap);
		if (rc != 0) {
			overrides_free(ov);
			return rc;
		}
	}
	overrides_free(e->ov);
	e->ov = ov;
	e->ov_idle_us = engine_ov_idle(e->rules, ov);
	return 0;
}

void
engine_default_verdict(const struct engine *e, struct engine_verdict *out)
{
	snprintf(out->action, sizeof(out->action), "%s",
	    e->rules->default_action);
	snprintf(out->rule, sizeof(out->rule), "default");
	out->customer[0] = '\0';
	out->role = ENGINE_ROLE_INBOUND;
}

void
engine_expire(struct engine *e, int64_t now_us)
{
	int64_t idle = e->rules->idle_us;

	if (e->ov_idle_us > idle)
		idle = e->ov_idle_us;
	instance_expire(&e->instances, now_us - e->rules->instance_ttl_us);
	subject_expire(&e->subjects, now_us - idle);
	detect_expire(&e->det.tab, now_us - ENGINE_DETECT_IDLE_US);
}

size_t
engine_overrides_count(const struct engine *e)
{
	return e->ov != NULL ? overrides_count(e->ov) : 0;
}

size_t
engine_customer_count(const struct engine *e)
{
	return e->subjects.count[CONF_LIMIT_KEY_CUSTOMER];
}

bool
engine_limit_hits(const struct engine *e, size_t i,
    struct engine_limit_hits *out)
{
	const struct engine_limit *el;

	if (i >= e->rules->n_limits)
		return false;
	el = &e->rules->limits[i];
	out->limit = el->conf->name;
	out->action = el->conf->action;
	out->hits = el->hits;
	return true;
}

size_t
engine_instance_count(const struct engine *e)
{
	return instance_count(&e->instances);
}

int
engine_customer_usage(const struct engine *e, const char *customer,
    int64_t now_us, struct engine_usage *out, size_t cap, size_t *n)
{
	static const unsigned kinds[] = { CONF_LIMIT_KEY_CUSTOMER,
		CONF_LIMIT_KEY_SASL_USERNAME, CONF_LIMIT_KEY_CLIENT_ADDRESS };
	const struct engine_rules *r = e->rules;
	size_t len = strlen(customer), k, found = 0;
	const struct overrides_entry *ov;
	const struct engine_limit *el;
	const struct limit_state *ls;
	const struct subject *s;
	struct limit_rate rate;
	struct engine_usage *u;

	ov = overrides_find(e->ov, customer, len);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		s = subject_find(&e->subjects, kinds[k], customer, len,
		    subject_hash(&e->subjects, kinds[k], customer, len));
		for (ls = s ? s->states : NULL; ls != NULL; ls = ls->next) {
			if (found++ >= cap)
				continue;
			el = &r->limits[ls->limit];
			engine_rate(r, ls->limit, ov, &rate);
			u = &out[found - 1];
			memset(u, 0, sizeof(*u));
			snprintf(u->limit, sizeof(u->limit), "%s",
			    el->conf->name);
			u->key = el->conf->key;
			u->count = el->conf->count;
			u->used = limit_used(ls, &rate, now_us);
			u->rate_count = rate.count;
			u->rate_period_ms = rate.period_ms;
			u->burst = rate.burst;
			u->attempts = ls->attempts;
			u->over = ls->over;
		}
	}
	*n = found;
	return found ? 0 : ERR_NOENT;
}
