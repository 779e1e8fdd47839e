/*
 * api_customers.c - /api/v1/customers: every customer ranked by risk
 * (engine_api.h says how the score is made), one customer in detail
 * with its limits, detection state, incidents and time series, and the
 * abuse desk's manual hold and unhold.
 *
 * The list is one pass over the engine's tables that keeps the best
 * offset + limit rows in a heap (24 bytes each: key pointer, score,
 * refusals), then the details of the page only: O(customers) time,
 * O(page) memory; 100,000 customers in about 30 ms (BENCHMARKS.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/engine_api.h"
#include "engine/history.h"
#include "http/api_int.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define API_USAGE_MAX 64
#define API_OFFSET_MAX 1000000	/* the heap holds offset + limit rows */
#define API_CUST_INCIDENTS_MAX 20
#define API_CUST_ADDRS_MAX 32
#define INCIDENT_QID_MAX_API 32	/* as INCIDENT_QID_MAX */

struct cust_row {
	const char *key;		/* borrowed from the engine */
	double score;
	uint32_t over;
	uint32_t len;
};

/*
 * The page is chosen while walking: a heap of the best k = offset +
 * limit rows seen so far, its worst row on top, so that a page of 50 of
 * 100,000 customers costs O(n log k) and k rows of memory, not a sort of
 * every customer.
 */
struct cust_walk {
	struct cust_row *rows;		/* owned heap, k slots */
	size_t n, k;			/* rows in the heap, its size */
	size_t total;			/* customers matching the filters */
	const char *network, *state, *q;
};

/* Highest score first, then most refusals, then the key. */
static int
cust_cmp(const void *a, const void *b)
{
	const struct cust_row *x = a, *y = b;
	int c;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->over != y->over)
		return x->over > y->over ? -1 : 1;
	c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);
	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static void
heap_down(struct cust_row *h, size_t n, size_t i)
{
	struct cust_row t;
	size_t w, l;

	for (;;) {
		w = i;
		l = 2 * i + 1;
		/* the worst (greatest in cust_cmp order) goes up */
		if (l < n && cust_cmp(&h[l], &h[w]) > 0)
			w = l;
		if (l + 1 < n && cust_cmp(&h[l + 1], &h[w]) > 0)
			w = l + 1;
		if (w == i)
			return;
		t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

static void
heap_up(struct cust_row *h, size_t i)
{
	struct cust_row t;

	while (i > 0 && cust_cmp(&h[i], &h[(i - 1) / 2]) > 0) {
		t = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static const char *
cust_state(const struct engine_api_customer *c)
{
	if (c->incident != 0)
		return "incident";
	if (c->pressure >= 1.0)
		return "limited";
	if (c->has_risk && c->llr > 0)
		return "watch";
	return "ok";
}

static int
cust_collect(void *ctx, const struct engine_api_customer *c)
{
	struct cust_walk *cw = ctx;
	struct cust_row r;

	if (cw->network != NULL && strcmp(cw->network, c->network) != 0)
		return 0;
	if (cw->state != NULL && strcmp(cw->state, cust_state(c)) != 0)
		return 0;
	if (cw->q != NULL && strstr(c->customer, cw->q) == NULL)
		return 0;
	cw->total++;
	if (cw->k == 0)
		return 0;
	r.key = c->customer;
	r.len = (uint32_t)c->len;
	r.score = c->score;
	r.over = c->over;
	if (cw->n < cw->k) {
		cw->rows[cw->n] = r;
		heap_up(cw->rows, cw->n++);
	} else if (cust_cmp(&r, &cw->rows[0]) < 0) {
		cw->rows[0] = r;
		heap_down(cw->rows, cw->n, 0);
	}
	return 0;
}

/* The members of one customer that the list and the detail share. */
static void
cust_summary(struct api_ctx *x, const struct engine_api_customer *c)
{
	struct jsonw *w = &x->w;
	uint32_t spark[24];
	size_t i;

	jsonw_key(w, "customer");
	jsonw_strn(w, c->customer, c->len);
	jsonw_kstr(w, "network", c->network);
	jsonw_kstr(w, "state", cust_state(c));
	jsonw_kdouble(w, "score", c->score);
	jsonw_kdouble(w, "pressure", c->pressure);
	jsonw_kuint(w, "attempts", c->attempts);
	jsonw_kuint(w, "refused", c->over);
	jsonw_key(w, "detection");
	if (c->has_risk) {
		jsonw_obj_begin(w);
		jsonw_kdouble(w, "llr", c->llr);
		jsonw_kdouble(w, "threshold", c->threshold);
		jsonw_kuint(w, "messages", c->messages);
		jsonw_obj_end(w);
	} else {
		jsonw_null(w);
	}
	jsonw_key(w, "incident");
	if (c->incident != 0)
		jsonw_uint(w, c->incident);
	else
		jsonw_null(w);
	jsonw_kuint(w, "held_messages", c->held);
	jsonw_key(w, "last_seen");
	if (c->last_us > 0)
		jsonw_time(w, c->last_us);
	else
		jsonw_null(w);
	jsonw_key(w, "spark");
	jsonw_arr_begin(w);
	if (x->env->history != NULL) {
		history_recent(x->env->history, c->customer, HISTORY_MESSAGES,
		    x->now_us, 24, spark);
		for (i = 0; i < 24; i++)
			jsonw_uint(w, spark[i]);
	}
	jsonw_arr_end(w);
}

void
api_customers_list(struct api_ctx *x)
{
	char network[128], state[32], q[256];
	struct engine_api_customer c;
	struct cust_walk cw;
	uint64_t limit, offset;
	size_t i, end;
	int n;

	memset(&cw, 0, sizeof(cw));
	if (api_query_uint(x, "limit", API_PAGE_DEFAULT, API_PAGE_MAX, &limit) != 0 ||
	    api_query_uint(x, "offset", 0, API_OFFSET_MAX, &offset) != 0)
		return;
	if ((n = api_query_get(x->req->query, "network", network,
	    sizeof(network))) >= 0)
		cw.network = network;
	else if (n != -1)
		return api_error(x->resp, 400, "parameter network: malformed");
	if ((n = api_query_get(x->req->query, "state", state,
	    sizeof(state))) >= 0 && state[0] != '\0') {
		if (strcmp(state, "incident") != 0 && strcmp(state, "limited") != 0 &&
		    strcmp(state, "watch") != 0 && strcmp(state, "ok") != 0)
			return api_error(x->resp, 400, "parameter state: one of "
			    "incident, limited, watch, ok");
		cw.state = state;
	} else if (n < -1) {
		return api_error(x->resp, 400, "parameter state: malformed");
	}
	if ((n = api_query_get(x->req->query, "q", q, sizeof(q))) > 0)
		cw.q = q;
	else if (n < -1)
		return api_error(x->resp, 400, "parameter q: malformed");

	cw.k = (size_t)(offset + limit);
	if (cw.k > 0 && (cw.rows = xcalloc(cw.k, sizeof(*cw.rows))) == NULL)
		return api_error(x->resp, 500, "out of memory");
	engine_api_customers(x->env->engine, x->now_us, cust_collect, &cw);
	if (cw.n > 1)
		qsort(cw.rows, cw.n, sizeof(cw.rows[0]), cust_cmp);

	jsonw_obj_begin(&x->w);
	jsonw_kuint(&x->w, "total", cw.total);
	jsonw_kuint(&x->w, "offset", offset);
	jsonw_kuint(&x->w, "limit", limit);
	jsonw_key(&x->w, "customers");
	jsonw_arr_begin(&x->w);
	end = offset + limit < cw.n ? (size_t)(offset + limit) : cw.n;
	for (i = (size_t)offset; i < end; i++) {
		char key[ENGINE_CUSTOMER_MAX + 1];

		snprintf(key, sizeof(key), "%.*s", (int)cw.rows[i].len,
		    cw.rows[i].key);
		if (engine_api_customer(x->env->engine, key, x->now_us, &c) != 0)
			continue;
		jsonw_obj_begin(&x->w);
		cust_summary(x, &c);
		jsonw_obj_end(&x->w);
	}
	jsonw_arr_end(&x->w);
	jsonw_obj_end(&x->w);
	xfree(cw.rows);
	api_send(x, 200);
}

/* One series of the history as {"start", "step_s", "NAME": [...]}. */
static void
cust_series(struct api_ctx *x, const char *id, bool minutes)
{
	struct jsonw *w = &x->w;
	size_t n = minutes ? HISTORY_MINUTES : HISTORY_HOURS, i;
	int64_t step = minutes ? 60 : 3600, start;
	uint32_t *v;
	int s;

	start = (x->now_us / 1000000 / step - (int64_t)n + 1) * step;
	jsonw_obj_begin(w);
	jsonw_kint(w, "start", start);
	jsonw_kint(w, "step_s", step);
	jsonw_kuint(w, "points", n);
	if ((v = xcalloc(n, sizeof(*v))) == NULL) {
		jsonw_obj_end(w);
		return;
	}
	for (s = 0; s < HISTORY__SERIES; s++) {
		if (x->env->history != NULL) {
			if (minutes)
				history_minutes(x->env->history, id, s,
				    x->now_us, v);
			else
				history_hours(x->env->history, id, s,
				    x->now_us, v);
		}
		jsonw_key(w, history_series_name(s));
		jsonw_arr_begin(w);
		for (i = 0; i < n; i++)
			jsonw_uint(w, v[i]);
		jsonw_arr_end(w);
	}
	xfree(v);
	jsonw_obj_end(w);
}

struct cust_inc {
	struct api_ctx *x;
	const char *id;
	unsigned n;
	char addrs[API_CUST_ADDRS_MAX][48];
	unsigned n_addrs;
};

static void
cust_incident(void *ctx, const struct engine_incident *inc)
{
	struct cust_inc *ci = ctx;
	struct jsonw *w = &ci->x->w;
	unsigned i, j;

	if (strcmp(inc->customer, ci->id) != 0 ||
	    ci->n >= API_CUST_INCIDENTS_MAX)
		return;
	ci->n++;
	jsonw_obj_begin(w);
	api_incidents_write(w, inc);
	jsonw_obj_end(w);
	for (i = 0; i < inc->n_client_addrs; i++) {
		for (j = 0; j < ci->n_addrs; j++)
			if (strcmp(ci->addrs[j], inc->client_addrs[i]) == 0)
				break;
		if (j == ci->n_addrs && ci->n_addrs < API_CUST_ADDRS_MAX)
			snprintf(ci->addrs[ci->n_addrs++], sizeof(ci->addrs[0]),
			    "%s", inc->client_addrs[i]);
	}
}

/* The newest held messages of an incident, kept in a ring. */
#define API_RECENT_MAX 20

struct recent_held {
	struct {
		char queue_id[INCIDENT_QID_MAX_API + 1];
		char instance[64];
		int64_t t_us;
	} v[API_RECENT_MAX];
	size_t n;			/* seen; the ring holds the last ones */
};

static void
recent_held(void *ctx, const char *queue_id, const char *instance,
    int64_t t_us)
{
	struct recent_held *r = ctx;
	size_t i = r->n++ % API_RECENT_MAX;

	snprintf(r->v[i].queue_id, sizeof(r->v[i].queue_id), "%s", queue_id);
	snprintf(r->v[i].instance, sizeof(r->v[i].instance), "%s", instance);
	r->v[i].t_us = t_us;
}

/* "recent_messages": the newest messages held under the open incident. */
static void
cust_recent(struct api_ctx *x, uint64_t open)
{
	static struct recent_held r;
	struct jsonw *w = &x->w;
	size_t i, k, first;

	memset(&r, 0, sizeof(r));
	if (open != 0)
		engine_incident_held(x->env->engine, open, recent_held, &r);
	jsonw_key(w, "recent_messages");
	jsonw_arr_begin(w);
	k = r.n < API_RECENT_MAX ? r.n : API_RECENT_MAX;
	first = r.n < API_RECENT_MAX ? 0 : r.n % API_RECENT_MAX;
	for (i = 0; i < k; i++) {
		size_t j = (first + k - 1 - i) % API_RECENT_MAX;	/* newest first */

		jsonw_obj_begin(w);
		jsonw_kstr(w, "queue_id", r.v[j].queue_id);
		jsonw_kstr(w, "instance", r.v[j].instance);
		jsonw_key(w, "held_at");
		jsonw_time(w, r.v[j].t_us);
		jsonw_kuint(w, "incident", open);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
}

void
api_customers_get(struct api_ctx *x, const char *id)
{
	struct engine_usage use[API_USAGE_MAX];
	struct engine_api_customer c;
	struct jsonw *w = &x->w;
	struct cust_inc ci;
	size_t n = 0, i;
	uint64_t open;

	if (engine_api_customer(x->env->engine, id, x->now_us, &c) != 0)
		return api_error(x->resp, 404, "no such customer: %s", id);
	jsonw_obj_begin(w);
	cust_summary(x, &c);
	engine_customer_usage(x->env->engine, id, x->now_us, use,
	    API_USAGE_MAX, &n);
	jsonw_key(w, "limits");
	jsonw_arr_begin(w);
	for (i = 0; i < n && i < API_USAGE_MAX; i++) {
		jsonw_obj_begin(w);
		jsonw_kstr(w, "name", use[i].limit);
		jsonw_kstr(w, "key", conf_limit_key_name(use[i].key));
		jsonw_kstr(w, "count", conf_limit_count_name(use[i].count));
		jsonw_kuint(w, "used", use[i].used);
		jsonw_kuint(w, "rate_count", use[i].rate_count);
		jsonw_kdouble(w, "rate_period_s", use[i].rate_period_ms / 1000.0);
		jsonw_kuint(w, "burst", use[i].burst);
		jsonw_kuint(w, "attempts", use[i].attempts);
		jsonw_kuint(w, "refused", use[i].over);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);

	memset(&ci, 0, sizeof(ci));
	ci.x = x;
	ci.id = id;
	jsonw_key(w, "incidents");
	jsonw_arr_begin(w);
	engine_incident_list(x->env->engine, false, cust_incident, &ci);
	jsonw_arr_end(w);
	jsonw_key(w, "client_addresses");
	jsonw_arr_begin(w);
	for (i = 0; i < ci.n_addrs; i++)
		jsonw_str(w, ci.addrs[i]);
	jsonw_arr_end(w);
	open = engine_api_open_incident(x->env->engine, id);
	jsonw_kbool(w, "held", open != 0);
	cust_recent(x, open);

	jsonw_key(w, "minutes");
	cust_series(x, id, true);
	jsonw_key(w, "hours");
	cust_series(x, id, false);
	jsonw_obj_end(w);
	api_send(x, 200);
}

void
api_customers_hold(struct api_ctx *x, const char *id, bool hold)
{
	char what[ENGINE_CUSTOMER_MAX + 64];
	uint64_t inc = 0;
	int rc;

	snprintf(what, sizeof(what), "customer %s %s", id,
	    hold ? "hold" : "unhold");
	if (!api_authorized(x, what))
		return;
	if (id[0] == '\0')
		return api_error(x->resp, 400, "empty customer");
	if (hold) {
		rc = engine_api_hold(x->env->engine, id, x->now_us, &inc);
		if (rc == ERR_UNSUPPORTED)
			return api_error(x->resp, 409, "a manual hold needs "
			    "detection { enabled = true; }");
		if (rc == ERR_EXIST)
			return api_error(x->resp, 409, "customer %s is already "
			    "held by incident %llu", id, (unsigned long long)inc);
		if (rc != 0)
			return api_error(x->resp, rc == ERR_TOOBIG ? 400 : 500,
			    "cannot hold %s: %s", id, err_str(rc));
		log_info("http: %s: customer %s held by hand: incident %llu",
		    x->req->peer, id, (unsigned long long)inc);
	} else {
		if ((inc = engine_api_open_incident(x->env->engine, id)) == 0)
			return api_error(x->resp, 404, "customer %s is not held",
			    id);
		log_info("http: %s: customer %s unhold: releasing incident %llu",
		    x->req->peer, id, (unsigned long long)inc);
		return api_incidents_release_id(x, inc);
	}
	jsonw_obj_begin(&x->w);
	jsonw_kstr(&x->w, "customer", id);
	jsonw_kbool(&x->w, "held", hold);
	jsonw_kuint(&x->w, "incident", inc);
	jsonw_obj_end(&x->w);
	api_send(x, 200);
}
