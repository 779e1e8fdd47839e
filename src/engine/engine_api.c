/*
 * engine_api.c - the engine seen from the HTTP API (engine_api.h): a
 * walk over the subject and detection tables, the sampler that feeds the
 * per-customer history, and the manual hold.
 *
 * Reads the engine's insides (engine_int.h) but changes nothing except
 * through engine_detect_open() for a manual hold.
 */
#include <ctype.h>
#include <string.h>

#include "engine/engine_api.h"
#include "engine/engine_int.h"
#include "lib/err.h"
#include "lib/ipaddr.h"

#define API_PIPE 16		/* slots of the prefetch pipeline */

/* The network name of a customer key that is an address or prefix. */
static const char *
api_network(const struct engine *e, const char *key, size_t len)
{
	const struct engine_rules *r = e->rules;
	struct ipprefix p;
	uint32_t net;

	if (len == 0 || len >= IPPREFIX_STRLEN || r->lpm == NULL ||
	    !(isxdigit((unsigned char)key[0]) || key[0] == ':' ||
	    key[0] == 'I'))
		return "";	/* not an address ("IPv6:..." is) */
	if (ipprefix_parse(key, len, &p) != 0)
		return "";
	if (!lpm_lookup(r->lpm, &p.addr, &net, NULL) ||
	    net >= r->conf->n_networks)
		return "";
	return r->conf->networks[net].name;
}

/* Fill the limit part of out from subject s (may be NULL). */
static void
api_limits(const struct engine *e, const struct subject *s, int64_t now_us,
    struct engine_api_customer *out)
{
	const struct engine_rules *r = e->rules;
	const struct overrides_entry *ov;
	const struct limit_state *ls;
	struct limit_rate rate;
	double p;

	if (s == NULL)
		return;
	out->last_us = s->last_us;
	ov = e->ov != NULL ? overrides_find(e->ov, s->key, s->klen) : NULL;
	for (ls = s->states; ls != NULL; ls = ls->next) {
		if (ls->limit >= r->n_limits)
			continue;
		engine_rate(r, ls->limit, ov, &rate);
		out->attempts += ls->attempts;
		out->over += ls->over;
		if (rate.count == 0)
			continue;
		p = (double)limit_used(ls, &rate, now_us) / (double)rate.count;
		if (p > out->pressure)
			out->pressure = p;
	}
}

static void
api_risk(const struct engine *e, const struct detect_cust *c,
    struct engine_api_customer *out)
{
	const struct incident *inc;

	if (c == NULL)
		return;
	out->has_risk = true;
	out->llr = c->sprt.llr;
	out->threshold = e->det.params.sprt.a;
	out->messages = c->messages;
	if (c->last_us > out->last_us)
		out->last_us = c->last_us;
	if (c->incident != 0 &&
	    (inc = incident_find(&e->det.incidents, c->incident)) != NULL &&
	    inc->released_us == 0) {
		out->incident = c->incident;
		out->held = inc->n_held_total;
	}
}

static void
api_score(struct engine_api_customer *out)
{
	double s = 0;

	if (out->has_risk && out->threshold > 0)
		s = out->llr / out->threshold;
	if (s < 0)
		s = 0;
	if (out->incident != 0) {
		/* the harder it keeps trying, the higher */
		out->score = 2 + (double)out->held / ((double)out->held + 100);
		return;
	}
	if (s > 1)
		s = 1;
	out->score = s > out->pressure ? s : out->pressure;
}

static void
api_view(const struct engine *e, const char *key, size_t len,
    const struct subject *s, const struct detect_cust *c, int64_t now_us,
    struct engine_api_customer *out)
{
	memset(out, 0, sizeof(*out));
	out->customer = key;
	out->len = len;
	out->network = api_network(e, key, len);
	api_limits(e, s, now_us, out);
	api_risk(e, c, out);
	api_score(out);
}

size_t
engine_api_customers(const struct engine *e, int64_t now_us,
    engine_api_customer_fn fn, void *ctx)
{
	const struct htab *st = &e->subjects.tab;
	struct engine_api_customer v;
	const struct subject *s;
	const struct detect_cust *c;
	uint64_t hashes[API_PIPE] = { 0 };
	size_t n = 0, matched = 0, i;
	bool det = e->det.tab.count > 0;

	/*
	 * One pass over the subject slots.  The walk is bound by cache
	 * misses (the subject, its limit state, the detection table's slot
	 * and record), so it runs as a pipeline: the subject 24 slots ahead
	 * is prefetched; 12 ahead its limit state is prefetched and its
	 * detection hash computed, with that table slot prefetched; 5 ahead
	 * the detection record the slot points to.  Measured with 100,000
	 * customers: 160 ms for the plain loop, about 40 ms like this (the
	 * distances were tried: shorter ones leave misses, longer ones gain
	 * nothing; BENCHMARKS.md).
	 */
	for (i = 0; i <= st->mask; i++) {
		const struct subject *ahead;

		if (i + 24 <= st->mask && st->slots[i + 24].item != NULL)
			__builtin_prefetch(st->slots[i + 24].item);
		if (det && i + 12 <= st->mask &&
		    (ahead = st->slots[i + 12].item) != NULL) {
			hashes[(i + 12) % API_PIPE] = detect_hash(&e->det.tab,
			    ahead->key, ahead->klen);
			__builtin_prefetch(ahead->states);
			__builtin_prefetch(&e->det.tab.tab.slots[
			    hashes[(i + 12) % API_PIPE] & e->det.tab.tab.mask]);
		}
		if (det && i + 5 <= st->mask && st->slots[i + 5].item != NULL) {
			const struct htab_slot *hs = &e->det.tab.tab.slots[
			    hashes[(i + 5) % API_PIPE] & e->det.tab.tab.mask];

			if (hs->item != NULL) {
				__builtin_prefetch(hs->item);
				__builtin_prefetch(((const struct detect_cust *)
				    hs->item)->key);
			}
		}
		if ((s = st->slots[i].item) == NULL ||
		    s->kind != CONF_LIMIT_KEY_CUSTOMER)
			continue;
		c = det ? detect_find(&e->det.tab, s->key, s->klen,
		    i >= 12 ? hashes[i % API_PIPE] :
		    detect_hash(&e->det.tab, s->key, s->klen)) : NULL;
		matched += c != NULL;
		api_view(e, s->key, s->klen, s, c, now_us, &v);
		n++;
		if (fn(ctx, &v) != 0)
			return n;
	}
	/* Detection customers without limit records, unless there are none. */
	if (matched == e->det.tab.count)
		return n;
	for (i = 0; i <= e->det.tab.tab.mask; i++) {
		if ((c = e->det.tab.tab.slots[i].item) == NULL)
			continue;
		if (e->subjects.count[CONF_LIMIT_KEY_CUSTOMER] > 0 &&
		    subject_find(&e->subjects, CONF_LIMIT_KEY_CUSTOMER, c->key,
		    c->klen, subject_hash(&e->subjects, CONF_LIMIT_KEY_CUSTOMER,
		    c->key, c->klen)) != NULL)
			continue;	/* reported with its limits */
		api_view(e, c->key, c->klen, NULL, c, now_us, &v);
		n++;
		if (fn(ctx, &v) != 0)
			return n;
	}
	return n;
}

int
engine_api_customer(const struct engine *e, const char *customer,
    int64_t now_us, struct engine_api_customer *out)
{
	static const unsigned kinds[] = { CONF_LIMIT_KEY_CUSTOMER,
		CONF_LIMIT_KEY_SASL_USERNAME, CONF_LIMIT_KEY_CLIENT_ADDRESS };
	size_t len = strlen(customer), k;
	const struct subject *s;
	const struct detect_cust *c;
	struct engine_api_customer part;
	bool found;

	c = detect_find(&e->det.tab, customer, len,
	    detect_hash(&e->det.tab, customer, len));
	api_view(e, customer, len, NULL, c, now_us, out);
	found = c != NULL;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		s = subject_find(&e->subjects, kinds[k], customer, len,
		    subject_hash(&e->subjects, kinds[k], customer, len));
		if (s == NULL)
			continue;
		memset(&part, 0, sizeof(part));
		api_limits(e, s, now_us, &part);
		out->attempts += part.attempts;
		out->over += part.over;
		if (part.pressure > out->pressure)
			out->pressure = part.pressure;
		if (part.last_us > out->last_us)
			out->last_us = part.last_us;
		found = true;
	}
	if (!found)
		return ERR_NOENT;
	api_score(out);
	return 0;
}

/* The counters of one customer for the history (UINT64_MAX: unknown). */
static void
api_counters(const struct engine *e, const struct subject *s,
    const struct detect_cust *c, int64_t now_us, uint64_t cur[HISTORY__SERIES])
{
	const struct engine_rules *r = e->rules;
	const struct limit_state *ls;
	const struct conf_limit *cl;
	struct limit_rate rate;
	uint64_t v;
	int i;

	for (i = 0; i < HISTORY__SERIES; i++)
		cur[i] = UINT64_MAX;
	for (ls = s != NULL ? s->states : NULL; ls != NULL; ls = ls->next) {
		if (ls->limit >= r->n_limits)
			continue;
		cl = r->limits[ls->limit].conf;
		i = -1;
		if (cl->count == CONF_COUNT_MESSAGES)
			i = HISTORY_MESSAGES;
		else if (cl->count == CONF_COUNT_RECIPIENTS)
			i = HISTORY_RECIPIENTS;
		if (i >= 0 && (cur[i] == UINT64_MAX || ls->attempts > cur[i]))
			cur[i] = ls->attempts;
		if (cl->count == CONF_COUNT_DISTINCT_RECIPIENT_DOMAINS) {
			engine_rate(r, ls->limit, NULL, &rate);
			v = limit_used(ls, &rate, now_us);
			/* a gauge: the history takes its growth per minute */
			if (cur[HISTORY_DOMAINS] == UINT64_MAX || v > cur[HISTORY_DOMAINS])
				cur[HISTORY_DOMAINS] = v;
		}
	}
	if (c != NULL && cur[HISTORY_MESSAGES] == UINT64_MAX)
		cur[HISTORY_MESSAGES] = c->messages;
	if (c != NULL && c->act != NULL) {
		cur[HISTORY_BOUNCES] = (uint64_t)c->act->sig_n[DETECT_SIG_UNKNOWN_USER] +
		    c->act->sig_n[DETECT_SIG_BOUNCE];
		if (cur[HISTORY_RECIPIENTS] == UINT64_MAX)
			cur[HISTORY_RECIPIENTS] = c->act->recipients;
	}
}

void
engine_api_sample(const struct engine *e, struct history *h, int64_t since_us,
    int64_t now_us)
{
	uint64_t cur[HISTORY__SERIES];
	const struct subject *s;
	const struct detect_cust *c;
	size_t pos = 0;

	/* Newest first along the LRU list, to the minute. */
	for (s = e->subjects.tail; s != NULL &&
	    s->last_us >= since_us - SUBJECT_GRAIN_US; s = s->prev) {
		if (s->kind != CONF_LIMIT_KEY_CUSTOMER)
			continue;
		c = e->det.tab.count == 0 ? NULL :
		    detect_find(&e->det.tab, s->key, s->klen,
		    detect_hash(&e->det.tab, s->key, s->klen));
		api_counters(e, s, c, now_us, cur);
		history_sample(h, s->key, s->klen, cur, now_us);
	}
	while ((c = htab_next(&e->det.tab.tab, &pos)) != NULL) {
		if (c->last_us < since_us)
			continue;
		if (e->subjects.count[CONF_LIMIT_KEY_CUSTOMER] > 0 &&
		    subject_find(&e->subjects, CONF_LIMIT_KEY_CUSTOMER, c->key,
		    c->klen, subject_hash(&e->subjects, CONF_LIMIT_KEY_CUSTOMER,
		    c->key, c->klen)) != NULL)
			continue;
		api_counters(e, NULL, c, now_us, cur);
		history_sample(h, c->key, c->klen, cur, now_us);
	}
}

void
engine_api_sample_one(const struct engine *e, struct history *h,
    const char *customer, int64_t now_us)
{
	size_t len = strlen(customer);
	uint64_t cur[HISTORY__SERIES];
	const struct subject *s;
	const struct detect_cust *c;

	s = subject_find(&e->subjects, CONF_LIMIT_KEY_CUSTOMER, customer, len,
	    subject_hash(&e->subjects, CONF_LIMIT_KEY_CUSTOMER, customer, len));
	c = detect_find(&e->det.tab, customer, len,
	    detect_hash(&e->det.tab, customer, len));
	if (s == NULL && c == NULL)
		return;
	api_counters(e, s, c, now_us, cur);
	history_sample(h, customer, len, cur, now_us);
}

uint64_t
engine_api_open_incident(const struct engine *e, const char *customer)
{
	struct engine_risk risk;

	if (engine_customer_risk(e, customer, &risk) != 0)
		return 0;
	return risk.incident;
}

bool
engine_api_detection_on(const struct engine *e)
{
	return e->det.on;
}

int
engine_api_hold(struct engine *e, const char *customer, int64_t now_us,
    uint64_t *id)
{
	size_t len = strlen(customer);
	struct detect_cust *c;
	struct incident *inc;
	unsigned saved;

	*id = 0;
	if (!e->det.on)
		return ERR_UNSUPPORTED;
	if (len == 0 || len > DETECT_KEY_MAX)
		return ERR_TOOBIG;
	if ((*id = engine_api_open_incident(e, customer)) != 0)
		return ERR_EXIST;
	c = detect_get(&e->det.tab, customer, len,
	    detect_hash(&e->det.tab, customer, len), now_us);
	if (c == NULL)
		return ERR_NOMEM;
	/* The incident carries its own actions: hold, whatever
	 * on_compromise says, and nothing else (no listing, no notify). */
	saved = e->det.actions;
	e->det.actions = CONF_ON_HOLD;
	inc = engine_detect_open(e, c, "manual", NULL, now_us);
	e->det.actions = saved;
	if (inc == NULL)
		return ERR_NOMEM;
	*id = inc->id;
	return 0;
}
