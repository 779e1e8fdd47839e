/*
 * engine_detect.c - detection inside the engine: steps 3 (open
 * incidents) and 5 (detection) of the order of judgement, opening and
 * releasing incidents, complaints, the incident listing and the
 * write-through to the incidents database (engine.h, engine_int.h).
 * The Postfix log feed is in engine_detect_log.c, persistence in
 * engine_persist.c, the model in detect*.c.
 *
 * An incident opens once per compromise: while a customer has one open,
 * its mail is not observed (nothing would be learned from it) and no
 * second one opens.  Database writes happen before the answer that
 * depends on them is returned; a failed write is logged and the
 * decision stands (the in-memory incident still holds).
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine_int.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "store/incidents.h"

int
engine_detect_init(struct engine *e, uint64_t seed)
{
	incident_tab_init(&e->det.incidents);
	detect_params_default(&e->det.params);
	return detect_tab_init(&e->det.tab, seed ^ 0x5bd1e9955bd1e995ull);
}

void
engine_detect_fini(struct engine *e)
{
	detect_tab_fini(&e->det.tab);
	incident_tab_fini(&e->det.incidents);
	engine_detect_qmap_free(e);
}

void
engine_detect_conf(struct engine *e, const struct conf *conf)
{
	e->det.on = conf->detection_enabled;
	e->det.actions = conf->detection_on_compromise;
	/* conf_load checked the range; a hand-made conf keeps the default. */
	if (sprt_params_init(&e->det.params.sprt, conf->detection_alpha,
	    conf->detection_beta) != 0)
		sprt_params_init(&e->det.params.sprt, 0.001, 0.01);
	e->det.params.min_messages = conf->detection_min_messages ?
	    conf->detection_min_messages : 1;
	e->det.params.utc_offset_s = conf->detection_utc_offset_s;
}

void
engine_set_incident_fn(struct engine *e, engine_incident_fn fn, void *ctx)
{
	e->det.fn = fn;
	e->det.fn_ctx = ctx;
}

void
engine_set_incidents_db(struct engine *e, struct incidents_db *db)
{
	e->det.db = db;
}

size_t
engine_detect_count(const struct engine *e)
{
	return e->det.tab.count;
}

/* The public view of an incident. */
static void
det_view(const struct incident *inc, struct engine_incident *v)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	v->id = inc->id;
	v->customer = inc->customer;
	v->opened_us = inc->opened_us;
	v->released_us = inc->released_us;
	v->reason = inc->reason;
	v->evidence = inc->evidence;
	for (i = 0; i < inc->n_addrs && i < 10; i++)
		v->client_addrs[i] = inc->addrs[i];
	v->n_client_addrs = i;
	v->actions = inc->actions;
	v->n_held = inc->n_held_total;
}

static void
det_notify(struct engine *e, const struct incident *inc)
{
	struct engine_incident v;

	if (e->det.fn == NULL)
		return;
	det_view(inc, &v);
	e->det.fn(e->det.fn_ctx, &v);
}

/* The act an incident's actions call for: reject > hold > none. */
static uint8_t
det_act(unsigned actions)
{
	if (actions & CONF_ON_REJECT)
		return ENGINE_ACT(CONF_ACTION_REJECT);
	if (actions & CONF_ON_HOLD)
		return ENGINE_ACT(CONF_ACTION_HOLD);
	return ENGINE_ACT_NONE;
}

static void
det_db_held(struct engine *e, const struct incident *inc, const char *qid,
    const char *instance, int64_t now)
{
	int rc;

	if (e->det.db == NULL)
		return;
	rc = incidents_db_add_held(e->det.db, inc->id, qid, instance, now);
	if (rc != 0)
		log_error("detection: incident %llu: recording held message "
		    "%s: %s", (unsigned long long)inc->id,
		    qid[0] ? qid : instance, err_str(rc));
}

/* The JSON array of an incident's client addresses. */
static void
det_addrs_json(const struct incident *inc, char *buf, size_t cap)
{
	size_t i, n = 0;

	n += (size_t)snprintf(buf, cap, "[");
	for (i = 0; i < inc->n_addrs && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s\"%s\"",
		    i ? ", " : "", inc->addrs[i]);
	if (n < cap)
		snprintf(buf + n, cap - n, "]");
}

/*
 * Open an incident for c (reason "sprt" or "complaint") at now.
 * Returns it, or NULL on ENOMEM (c's test goes on).
 */
struct incident *
engine_detect_open(struct engine *e, struct detect_cust *c, const char *reason,
    const struct ipaddr *addr, int64_t now)
{
	static char evidence[INCIDENT_EVIDENCE_MAX];
	char text[IPADDR_STRLEN], addrs[INCIDENT_ADDRS_MAX * 50 + 4];
	struct incidents_db_row row;
	struct incident *inc;
	unsigned i;
	int rc;

	if (detect_evidence(c, &e->det.params, now, evidence,
	    sizeof(evidence)) < 0)
		snprintf(evidence, sizeof(evidence), "{}");
	rc = incident_add(&e->det.incidents, 0, c->key, now, reason, evidence,
	    e->det.actions, &inc);
	if (rc != 0)
		return NULL;
	e->det.next_dirty = true;
	if (addr != NULL) {
		ipaddr_format(addr, text, sizeof(text));
		incident_add_addr(inc, text);
	}
	for (i = 0; c->act != NULL && i < c->act->n_addrs; i++) {
		ipaddr_format(&c->act->addrs[i], text, sizeof(text));
		incident_add_addr(inc, text);
	}
	c->incident = inc->id;
	detect_reset(&e->det.tab, c);
	detect_dirty(&e->det.tab, c);
	if (e->det.db != NULL) {
		det_addrs_json(inc, addrs, sizeof(addrs));
		memset(&row, 0, sizeof(row));
		row.id = inc->id;
		row.customer = inc->customer;
		row.opened_us = inc->opened_us;
		row.reason = inc->reason;
		row.evidence = inc->evidence;
		row.actions = inc->actions;
		row.client_addrs = addrs;
		if ((rc = incidents_db_insert(e->det.db, &row)) != 0)
			log_error("detection: incident %llu for %s: writing "
			    "it: %s", (unsigned long long)inc->id, c->key,
			    err_str(rc));
	}
	log_info("detection: incident %llu opened for %s (%s)",
	    (unsigned long long)inc->id, c->key, reason);
	det_notify(e, inc);
	return inc;
}

/* The customer's open incident, or NULL. */
static struct incident *
det_open_incident(const struct engine *e, const struct detect_cust *c)
{
	struct incident *inc;

	if (c == NULL || c->incident == 0)
		return NULL;
	inc = incident_find(&e->det.incidents, c->incident);
	return inc != NULL && inc->released_us == 0 ? inc : NULL;
}

static struct detect_cust *
det_cust(const struct engine *e, const char *key, size_t len)
{
	return detect_find(&e->det.tab, key, len,
	    detect_hash(&e->det.tab, key, len));
}

static void
det_list_held(struct engine *e, struct incident *inc,
    const struct engine_det_req *x)
{
	const struct policy_str *iv = policy_req_get(x->req, PA_INSTANCE);
	const struct policy_str *qv = policy_req_get(x->req, PA_QUEUE_ID);
	char instance[INCIDENT_INSTANCE_MAX + 1] = "";
	char qid[INCIDENT_QID_MAX + 1] = "";
	int rc;

	if (iv != NULL && iv->len <= INCIDENT_INSTANCE_MAX) {
		memcpy(instance, iv->ptr, iv->len);
		instance[iv->len] = '\0';
	}
	if (qv != NULL && qv->len <= INCIDENT_QID_MAX) {
		memcpy(qid, qv->ptr, qv->len);
		qid[qv->len] = '\0';
	}
	if (x->in != NULL && (x->in->flags & ENGINE_IN_HELD) &&
	    qid[0] == '\0')
		return;		/* listed already, nothing new to add */
	if (x->in != NULL)
		x->in->flags |= ENGINE_IN_HELD;
	if (instance[0] == '\0' && qid[0] == '\0' && x->in != NULL &&
	    x->state != ENGINE_ST_RCPT)
		return;
	rc = incident_hold(inc, instance, qid, x->now);
	if (rc > 0 || (rc == 0 && qid[0] != '\0'))
		det_db_held(e, inc, qid, instance, x->now);
	if (x->addr != NULL) {
		char text[IPADDR_STRLEN];

		ipaddr_format(x->addr, text, sizeof(text));
		incident_add_addr(inc, text);
	}
}

uint8_t
engine_detect_gate(struct engine *e, const struct engine_det_req *x)
{
	struct detect_cust *c = det_cust(e, x->customer, x->customer_len);
	struct incident *inc = det_open_incident(e, c);
	uint8_t act;

	if (inc == NULL || (act = det_act(inc->actions)) == ENGINE_ACT_NONE)
		return ENGINE_ACT_NONE;
	det_list_held(e, inc, x);
	return act;
}

uint8_t
engine_detect_observe(struct engine *e, const struct engine_det_req *x)
{
	const struct policy_str *v;
	struct detect_tab *t = &e->det.tab;
	const struct detect_params *p = &e->det.params;
	enum sprt_decision d = SPRT_CONTINUE, d2;
	struct detect_msg m;
	struct detect_cust *c;
	struct incident *inc;
	uint8_t act;
	bool new_msg;

	c = detect_get(t, x->customer, x->customer_len,
	    detect_hash(t, x->customer, x->customer_len), x->now);
	if (c == NULL)
		return ENGINE_ACT_NONE;
	e->det.policy_seen = true;
	if (x->state == ENGINE_ST_EOM &&
	    (v = policy_req_get(x->req, PA_QUEUE_ID)) != NULL)
		engine_detect_qmap_link(e, v->ptr, v->len, c->hash, x->addr,
		    policy_req_get(x->req, PA_SASL_USERNAME) != NULL, x->now);
	if (c->incident != 0 && det_open_incident(e, c) != NULL)
		return ENGINE_ACT_NONE;	/* open, without hold or reject */
	if (x->in != NULL)
		new_msg = !(x->in->flags & ENGINE_IN_DETECTED);
	else
		new_msg = x->state == ENGINE_ST_RCPT;
	if (new_msg) {
		memset(&m, 0, sizeof(m));
		if ((v = policy_req_get(x->req, PA_SENDER)) != NULL) {
			m.sender = v->ptr;
			m.sender_len = v->len;
		}
		if ((v = policy_req_get(x->req, PA_HELO_NAME)) != NULL) {
			m.helo = v->ptr;
			m.helo_len = v->len;
		}
		m.addr = x->addr;
		m.sasl = policy_req_get(x->req, PA_SASL_USERNAME) != NULL;
		detect_message(t, p, c, &m, x->now, &d);
		engine_detect_note_addr(e, x->addr, c->hash);
		if (x->in != NULL)
			x->in->flags |= ENGINE_IN_DETECTED;
	}
	if (x->state == ENGINE_ST_RCPT &&
	    (v = policy_req_get(x->req, PA_RECIPIENT)) != NULL) {
		detect_recipient(t, p, c, v->ptr, v->len, x->now, &d2);
		if (d2 == SPRT_COMPROMISED || d == SPRT_CONTINUE)
			d = d2;
	}
	detect_touch(t, c, x->now);
	if (d != SPRT_COMPROMISED ||
	    (inc = engine_detect_open(e, c, "sprt", x->addr, x->now)) == NULL)
		return ENGINE_ACT_NONE;
	if ((act = det_act(inc->actions)) != ENGINE_ACT_NONE)
		det_list_held(e, inc, x);
	return act;
}

#define DET_REMOTE_SEED 0x72656d6f74653031ull

/* The remote cache's hash of a customer key (never 0: 0 is free). */
static uint64_t
det_remote_hash(const char *customer)
{
	return hash_bytes(customer, strlen(customer), DET_REMOTE_SEED) | 1;
}

uint8_t
engine_detect_remote_note(struct engine *e, const char *customer,
    const struct shared_incident *inc)
{
	uint64_t h = det_remote_hash(customer);
	struct engine_remote_inc *r = &e->det.remote[h % ENGINE_REMOTE_INC];

	r->hash = h;
	r->inc = *inc;
	return det_act(inc->actions);
}

/* The shared incident of customer noted last, or NULL. */
static const struct shared_incident *
det_remote_find(const struct engine *e, const char *customer)
{
	uint64_t h = det_remote_hash(customer);
	const struct engine_remote_inc *r = &e->det.remote[h % ENGINE_REMOTE_INC];

	return r->hash == h ? &r->inc : NULL;
}

/*
 * Copies src into dst (cap > 0) for an SMTP reply: printable ASCII, any
 * other byte and the byte bad (0: none) as '?'.  Returns the length.
 */
static size_t
det_printable(char *dst, size_t cap, const char *src, char bad)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < cap; i++)
		dst[i] = src[i] > ' ' && src[i] < 0x7f && src[i] != bad ?
		    src[i] : '?';
	dst[i] = '\0';
	return i;
}

void
engine_detect_answer(const struct engine *e, const char *customer, uint8_t act,
    struct engine_verdict *out)
{
	const struct shared_incident *rinc;
	struct detect_cust *c = det_cust(e, customer, strlen(customer));
	const struct incident *inc = c != NULL && c->incident != 0 ?
	    incident_find(&e->det.incidents, c->incident) : NULL;
	char key[ENGINE_CUSTOMER_MAX + 1], which[SHARED_NODE_MAX + 48];
	const char *reason = inc ? inc->reason : "sprt";
	size_t n;

	det_printable(key, sizeof(key), customer, '\0');
	if ((inc == NULL || inc->released_us != 0) &&
	    (rinc = det_remote_find(e, customer)) != NULL) {
		/*
		 * Opened on another relay: "shared incident NODE/ID", which
		 * the hold: line parser (engine_detect_log.c) does not take
		 * for one of this relay's own incidents.
		 */
		n = (size_t)snprintf(which, sizeof(which), "shared incident ");
		n += det_printable(which + n, SHARED_NODE_MAX + 1, rinc->node,
		    '/');
		snprintf(which + n, sizeof(which) - n, "/%llu",
		    (unsigned long long)rinc->id);
		reason = rinc->reason;
	} else
		snprintf(which, sizeof(which), "incident %llu",
		    (unsigned long long)(inc ? inc->id : 0));
	if (act == ENGINE_ACT(CONF_ACTION_REJECT))
		snprintf(out->action, sizeof(out->action), "REJECT 5.7.1 "
		    "relayguard: %s: mail of %s looks compromised (%s); "
		    "contact your provider's abuse desk", which, key, reason);
	else
		snprintf(out->action, sizeof(out->action), "HOLD relayguard: "
		    "%s: mail of %s looks compromised (%s); message held for "
		    "review", which, key, reason);
	snprintf(out->rule, sizeof(out->rule), "incident");
}

int
engine_observe_complaint(struct engine *e, const char *who, int64_t now_us)
{
	return engine_observe_complaint_about(e, who, now_us, NULL, 0, NULL);
}

int
engine_observe_complaint_about(struct engine *e, const char *who,
    int64_t now_us, char *customer, size_t cap, uint64_t *incident)
{
	struct detect_cust *c = det_cust(e, who, strlen(who));
	struct ipaddr addr;
	enum sprt_decision d;

	if (incident != NULL)
		*incident = 0;
	if (customer != NULL && cap > 0)
		customer[0] = '\0';
	if (c == NULL && ipaddr_parse(who, strlen(who), &addr) == 0)
		c = engine_detect_by_addr(e, &addr);
	if (c == NULL)
		return ERR_NOENT;
	if (customer != NULL && cap > 0)
		snprintf(customer, cap, "%s", c->key);
	if (det_open_incident(e, c) == NULL) {
		detect_complaint(&e->det.tab, &e->det.params, c, now_us, &d);
		detect_touch(&e->det.tab, c, now_us);
		if (d == SPRT_COMPROMISED)
			engine_detect_open(e, c, "complaint", NULL, now_us);
	}
	if (incident != NULL && det_open_incident(e, c) != NULL)
		*incident = c->incident;
	return 0;
}

int
engine_incident_release(struct engine *e, uint64_t id, int64_t now_us,
    engine_held_fn fn, void *ctx)
{
	struct incident *inc = incident_find(&e->det.incidents, id);
	struct detect_cust *c;
	size_t i;
	int rc;

	if (inc == NULL)
		return ERR_NOENT;
	if ((rc = incident_release(&e->det.incidents, inc, now_us)) != 0)
		return rc;
	c = det_cust(e, inc->customer, strlen(inc->customer));
	if (c != NULL && c->incident == id) {
		c->incident = 0;
		detect_reset(&e->det.tab, c);
		detect_dirty(&e->det.tab, c);
	}
	if (e->det.db != NULL &&
	    (rc = incidents_db_release(e->det.db, id, inc->released_us)) != 0)
		log_error("detection: incident %llu: writing its release: %s",
		    (unsigned long long)id, err_str(rc));
	for (i = 0; fn != NULL && i < inc->n_held; i++)
		fn(ctx, inc->held[i].queue_id, inc->held[i].instance,
		    inc->held[i].t_us);
	log_info("detection: incident %llu of %s released",
	    (unsigned long long)id, inc->customer);
	det_notify(e, inc);
	incident_trim(&e->det.incidents);
	return 0;
}

size_t
engine_incident_list(const struct engine *e, bool open_only,
    engine_incident_fn fn, void *ctx)
{
	const struct incident_tab *t = &e->det.incidents;
	struct engine_incident v;
	size_t i, n = 0;

	for (i = 0; i < t->n; i++) {
		if (open_only && t->v[i]->released_us != 0)
			continue;
		n++;
		if (fn != NULL) {
			det_view(t->v[i], &v);
			fn(ctx, &v);
		}
	}
	return n;
}

int
engine_incident_held(const struct engine *e, uint64_t id, engine_held_fn fn,
    void *ctx)
{
	const struct incident *inc = incident_find(&e->det.incidents, id);
	size_t i;

	if (inc == NULL)
		return ERR_NOENT;
	for (i = 0; i < inc->n_held; i++)
		fn(ctx, inc->held[i].queue_id, inc->held[i].instance,
		    inc->held[i].t_us);
	return 0;
}

int
engine_customer_risk(const struct engine *e, const char *customer,
    struct engine_risk *out)
{
	const struct detect_cust *c = det_cust(e, customer, strlen(customer));

	if (c == NULL)
		return ERR_NOENT;
	out->llr = c->sprt.llr;
	out->threshold = e->det.params.sprt.a;
	out->messages = c->sprt.n;
	out->total_messages = c->messages;
	out->incident = det_open_incident(e, c) ? c->incident : 0;
	return 0;
}
