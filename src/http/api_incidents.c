/*
 * api_incidents.c - /api/v1/incidents: the engine's incidents (those in
 * memory: every open one and the latest released ones, incident.h) with
 * their evidence, client addresses and held messages, and the release
 * that ends a hold and names the `postsuper -H` commands that free the
 * held mail (SPEC section 4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "http/api_int.h"
#include "lib/err.h"
#include "lib/log.h"

#define API_INC_PAGE_DEFAULT 100
#define API_INC_PAGE_MAX 10000

static const char *const action_names[] = { "hold", "reject", "list", "notify" };

void
api_incidents_write(struct jsonw *w, const struct engine_incident *inc)
{
	size_t i;

	jsonw_kuint(w, "id", inc->id);
	jsonw_kstr(w, "customer", inc->customer);
	jsonw_kstr(w, "state", inc->released_us ? "released" : "open");
	jsonw_kstr(w, "reason", inc->reason);
	jsonw_key(w, "opened");
	jsonw_time(w, inc->opened_us);
	jsonw_key(w, "released");
	if (inc->released_us)
		jsonw_time(w, inc->released_us);
	else
		jsonw_null(w);
	jsonw_key(w, "actions");
	jsonw_arr_begin(w);
	for (i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (inc->actions & (1u << i))
			jsonw_str(w, action_names[i]);
	jsonw_arr_end(w);
	jsonw_kuint(w, "held", inc->n_held);
	jsonw_key(w, "client_addresses");
	jsonw_arr_begin(w);
	for (i = 0; i < inc->n_client_addrs; i++)
		jsonw_str(w, inc->client_addrs[i]);
	jsonw_arr_end(w);
	jsonw_key(w, "evidence");
	if (inc->evidence != NULL && inc->evidence[0] == '{')
		jsonw_raw(w, inc->evidence, strlen(inc->evidence));
	else
		jsonw_null(w);
}

struct inc_walk {
	struct jsonw *w;
	int state;			/* 0 all, 1 open, 2 released */
	const char *customer;
	uint64_t first, last;		/* match indexes written */
	uint64_t n;			/* matches so far */
	uint64_t id;			/* the detail: wanted id */
	bool found;
};

static bool
inc_match(const struct inc_walk *iw, const struct engine_incident *inc)
{
	if (iw->state == 1 && inc->released_us != 0)
		return false;
	if (iw->state == 2 && inc->released_us == 0)
		return false;
	return iw->customer == NULL || strcmp(iw->customer, inc->customer) == 0;
}

static void
inc_count(void *ctx, const struct engine_incident *inc)
{
	struct inc_walk *iw = ctx;

	if (inc_match(iw, inc))
		iw->n++;
}

static void
inc_page(void *ctx, const struct engine_incident *inc)
{
	struct inc_walk *iw = ctx;

	if (!inc_match(iw, inc))
		return;
	if (iw->n >= iw->first && iw->n < iw->last) {
		jsonw_obj_begin(iw->w);
		api_incidents_write(iw->w, inc);
		jsonw_obj_end(iw->w);
	}
	iw->n++;
}

void
api_incidents_list(struct api_ctx *x)
{
	char state[16], customer[ENGINE_CUSTOMER_MAX + 1];
	struct inc_walk iw;
	uint64_t limit, offset, total;
	int n;

	memset(&iw, 0, sizeof(iw));
	iw.w = &x->w;
	if (api_query_uint(x, "limit", API_INC_PAGE_DEFAULT, API_INC_PAGE_MAX,
	    &limit) != 0 || api_query_uint(x, "offset", 0, UINT32_MAX,
	    &offset) != 0)
		return;
	n = api_query_get(x->req->query, "state", state, sizeof(state));
	if (n > 0 && strcmp(state, "open") == 0)
		iw.state = 1;
	else if (n > 0 && strcmp(state, "released") == 0)
		iw.state = 2;
	else if (n > 0 && strcmp(state, "all") != 0)
		return api_error(x->resp, 400, "parameter state: one of open, "
		    "released, all");
	else if (n < -1)
		return api_error(x->resp, 400, "parameter state: malformed");
	n = api_query_get(x->req->query, "customer", customer, sizeof(customer));
	if (n > 0)
		iw.customer = customer;
	else if (n < -1)
		return api_error(x->resp, 400, "parameter customer: malformed");

	/* Newest first by pages: the page holds ids in ascending order. */
	engine_incident_list(x->env->engine, iw.state == 1, inc_count, &iw);
	total = iw.n;
	iw.last = total > offset ? total - offset : 0;
	iw.first = iw.last > limit ? iw.last - limit : 0;
	iw.n = 0;
	jsonw_obj_begin(&x->w);
	jsonw_kuint(&x->w, "total", total);
	jsonw_kuint(&x->w, "open", engine_incident_list(x->env->engine, true,
	    NULL, NULL));
	jsonw_key(&x->w, "incidents");
	jsonw_arr_begin(&x->w);
	engine_incident_list(x->env->engine, iw.state == 1, inc_page, &iw);
	jsonw_arr_end(&x->w);
	jsonw_obj_end(&x->w);
	api_send(x, 200);
}

static void
inc_held(void *ctx, const char *queue_id, const char *instance, int64_t t_us)
{
	struct jsonw *w = ctx;

	jsonw_obj_begin(w);
	jsonw_kstr(w, "queue_id", queue_id);
	jsonw_kstr(w, "instance", instance);
	jsonw_key(w, "held_at");
	jsonw_time(w, t_us);
	jsonw_obj_end(w);
}

static void
inc_one(void *ctx, const struct engine_incident *inc)
{
	struct inc_walk *iw = ctx;

	if (inc->id != iw->id)
		return;
	iw->found = true;
	api_incidents_write(iw->w, inc);
}

/* Parse an incident id: digits only, from 1. */
static int
inc_id(struct api_ctx *x, const char *text, uint64_t *id)
{
	char *end;

	if (text[0] < '0' || text[0] > '9')
		goto bad;
	*id = strtoull(text, &end, 10);
	if (*end == '\0' && *id > 0)
		return 0;
bad:
	api_error(x->resp, 404, "no such incident: %s", text);
	return ERR_NOENT;
}

void
api_incidents_get(struct api_ctx *x, const char *text)
{
	struct inc_walk iw;

	memset(&iw, 0, sizeof(iw));
	iw.w = &x->w;
	if (inc_id(x, text, &iw.id) != 0)
		return;
	jsonw_obj_begin(&x->w);
	engine_incident_list(x->env->engine, false, inc_one, &iw);
	if (!iw.found) {
		jsonw_fini(&x->w);
		jsonw_init(&x->w, API_RESP_MAX);
		return api_error(x->resp, 404, "no such incident: %s", text);
	}
	jsonw_key(&x->w, "held_messages");
	jsonw_arr_begin(&x->w);
	engine_incident_held(x->env->engine, iw.id, inc_held, &x->w);
	jsonw_arr_end(&x->w);
	jsonw_obj_end(&x->w);
	api_send(x, 200);
}

struct rel_walk {
	struct jsonw *w;
	uint64_t n_qids;
};

static void
rel_held(void *ctx, const char *queue_id, const char *instance, int64_t t_us)
{
	struct rel_walk *rw = ctx;

	inc_held(rw->w, queue_id, instance, t_us);
	if (queue_id[0] != '\0')
		rw->n_qids++;
}

static void
rel_cmd(void *ctx, const char *queue_id, const char *instance, int64_t t_us)
{
	struct jsonw *w = ctx;
	char cmd[64];

	(void)instance;
	(void)t_us;
	if (queue_id[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "postsuper -H %s", queue_id);
	jsonw_str(w, cmd);
}

void
api_incidents_release_id(struct api_ctx *x, uint64_t id)
{
	struct rel_walk rw = { &x->w, 0 };
	int rc;

	jsonw_obj_begin(&x->w);
	jsonw_kuint(&x->w, "id", id);
	jsonw_key(&x->w, "held_messages");
	jsonw_arr_begin(&x->w);
	rc = engine_incident_release(x->env->engine, id, x->now_us, rel_held,
	    &rw);
	jsonw_arr_end(&x->w);
	if (rc != 0) {
		jsonw_fini(&x->w);
		jsonw_init(&x->w, API_RESP_MAX);
		if (rc == ERR_NOENT)
			return api_error(x->resp, 404, "no such incident: %llu",
			    (unsigned long long)id);
		if (rc == ERR_EXIST)
			return api_error(x->resp, 409, "incident %llu is "
			    "already released", (unsigned long long)id);
		return api_error(x->resp, 500, "cannot release incident %llu: "
		    "%s", (unsigned long long)id, err_str(rc));
	}
	jsonw_kstr(&x->w, "state", "released");
	jsonw_key(&x->w, "released");
	jsonw_time(&x->w, x->now_us);
	jsonw_key(&x->w, "postsuper");
	jsonw_arr_begin(&x->w);
	engine_incident_held(x->env->engine, id, rel_cmd, &x->w);
	jsonw_arr_end(&x->w);
	jsonw_obj_end(&x->w);
	log_info("http: %s: incident %llu released (%llu held messages with "
	    "queue IDs to free with postsuper -H)", x->req->peer,
	    (unsigned long long)id, (unsigned long long)rw.n_qids);
	api_send(x, 200);
}

void
api_incidents_release(struct api_ctx *x, const char *text)
{
	char what[64];
	uint64_t id;

	snprintf(what, sizeof(what), "incident %.20s release", text);
	if (!api_authorized(x, what))
		return;
	if (inc_id(x, text, &id) != 0)
		return;
	api_incidents_release_id(x, id);
}
