/*
 * api.c - the HTTP API's router and what every handler shares: path
 * splitting and percent-decoding, the bearer token check, JSON errors,
 * request bodies, and GET /api/v1/status (api.h).
 *
 * Limits: a path of at most 8 segments of API_SEG_MAX bytes each after
 * decoding (more: 404 or 400); a body of at most API_BODY_MAX bytes,
 * API_COMPLAINT_BODY_MAX for POST /api/v1/complaints (the adapter
 * refuses larger ones with 413 before reading them).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/engine.h"
#include "engine/engine_api.h"
#include "engine/history.h"
#include "http/api_int.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proto/ucl.h"
#include "svc/policy.h"

#define API_SEGS_MAX 8

void
api_resp_fini(struct api_resp *resp)
{
	xfree(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

void
api_error(struct api_resp *resp, int status, const char *fmt, ...)
{
	char msg[API_ERR_MAX];
	struct jsonw w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_resp_fini(resp);
	jsonw_init(&w, sizeof(msg) * 8);
	jsonw_obj_begin(&w);
	jsonw_kstr(&w, "error", msg);
	jsonw_obj_end(&w);
	jsonw_append(&w, "\n", 1);
	resp->status = status;
	resp->content_type = "application/json";
	resp->body = jsonw_take(&w, &resp->body_len);
	if (resp->body == NULL) {
		resp->body_len = 0;
		resp->status = 500;
	}
}

void
api_send(struct api_ctx *x, int status)
{
	int err = jsonw_error(&x->w);

	if (err != 0) {
		jsonw_fini(&x->w);
		api_error(x->resp, 500, "cannot build the answer: %s",
		    err_str(err));
		return;
	}
	jsonw_append(&x->w, "\n", 1);
	api_resp_fini(x->resp);
	x->resp->status = status;
	x->resp->content_type = "application/json";
	x->resp->body = jsonw_take(&x->w, &x->resp->body_len);
	if (x->resp->body == NULL)
		api_error(x->resp, 500, "out of memory");
}

bool
api_token_ok(const char *token, const char *auth)
{
	size_t tlen, alen, i;
	unsigned char diff = 0;

	if (token == NULL || token[0] == '\0' || auth == NULL)
		return false;
	while (*auth == ' ')
		auth++;
	if (strncasecmp(auth, "Bearer ", 7) != 0)
		return false;
	auth += 7;
	while (*auth == ' ')
		auth++;
	tlen = strlen(token);
	alen = strlen(auth);
	while (alen > 0 && (auth[alen - 1] == ' ' || auth[alen - 1] == '\t'))
		alen--;
	/* Compare every byte of the token whatever the header holds. */
	for (i = 0; i < tlen; i++)
		diff |= (unsigned char)token[i] ^
		    (unsigned char)(i < alen ? auth[i] : 0);
	return diff == 0 && alen == tlen;
}

bool
api_authorized(struct api_ctx *x, const char *what)
{
	const char *token = x->env->token;

	if (token == NULL || token[0] == '\0') {
		log_warn("http: %s: %s %s: refused, no API token is configured "
		    "(http.token or http.token_file)", x->req->peer,
		    x->req->method, what);
		api_error(x->resp, 401, "changes need an API token; none is "
		    "configured (http.token_file)");
		return false;
	}
	if (!api_token_ok(token, x->req->authorization)) {
		log_warn("http: %s: %s %s: refused, %s bearer token",
		    x->req->peer, x->req->method, what,
		    x->req->authorization ? "wrong" : "no");
		api_error(x->resp, 401, "this change needs "
		    "\"Authorization: Bearer TOKEN\" with the API token");
		return false;
	}
	return true;
}

void
api_method_not_allowed(struct api_ctx *x, const char *allow)
{
	api_error(x->resp, 405, "method %s not allowed here (allowed: %s)",
	    x->req->method, allow);
	x->resp->allow = allow;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
api_pct_decode(const char *s, size_t len, bool plus_space, char *buf,
    size_t cap)
{
	size_t i, n = 0;
	int hi, lo, c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len)
				return ERR_MALFORMED;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return ERR_MALFORMED;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		if (c == 0)
			return ERR_MALFORMED;
		if (n + 1 >= cap)
			return ERR_TOOBIG;
		buf[n++] = (char)c;
	}
	if (cap == 0)
		return ERR_TOOBIG;
	buf[n] = '\0';
	return (int)n;
}

int
api_query_get(const char *query, const char *name, char *buf, size_t cap)
{
	size_t nlen = strlen(name);
	const char *p = query, *amp, *eq;

	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		if ((eq != NULL ? (size_t)(eq - p) : (size_t)(amp - p)) == nlen &&
		    memcmp(p, name, nlen) == 0) {
			if (eq == NULL)
				return api_pct_decode("", 0, true, buf, cap);
			return api_pct_decode(eq + 1, (size_t)(amp - eq - 1),
			    true, buf, cap);
		}
		p = *amp ? amp + 1 : amp;
	}
	return -1;
}

int
api_query_uint(struct api_ctx *x, const char *name, uint64_t def,
    uint64_t max, uint64_t *out)
{
	char buf[32], *end;
	unsigned long long v;
	int n;

	n = api_query_get(x->req->query, name, buf, sizeof(buf));
	if (n < 0 && n != -1) {
		api_error(x->resp, 400, "parameter %s: malformed", name);
		return ERR_MALFORMED;
	}
	if (n == -1 || n == 0) {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (*end != '\0' || buf[0] == '-' || errno != 0 || v > max) {
		api_error(x->resp, 400, "parameter %s: want an integer from 0 "
		    "to %llu", name, (unsigned long long)max);
		return ERR_RANGE;
	}
	*out = v;
	return 0;
}

struct ucl_doc *
api_body_object(struct api_ctx *x)
{
	const struct api_req *r = x->req;
	struct ucl_error uerr;
	struct ucl_doc *doc = NULL;
	size_t i = 0;

	while (i < r->body_len && strchr(" \t\r\n", r->body[i]) != NULL)
		i++;
	if (r->body_len == 0 || i == r->body_len || r->body[i] != '{') {
		api_error(x->resp, 400, "the body must be a JSON object");
		return NULL;
	}
	if (r->body_len > API_BODY_MAX) {
		api_error(x->resp, 413, "the body exceeds %u bytes",
		    API_BODY_MAX);
		return NULL;
	}
	if (ucl_parse(r->body, r->body_len, &doc, &uerr) != 0) {
		api_error(x->resp, 400, "bad JSON at line %d column %d: %s",
		    uerr.line, uerr.col, uerr.msg);
		return NULL;
	}
	return doc;
}

/* GET /api/v1/status */
static void
api_status(struct api_ctx *x)
{
	const struct api_env *env = x->env;
	const struct conf *conf = env->conf;
	struct policy_svc_stats ps;
	struct jsonw *w = &x->w;
	size_t i, j;

	jsonw_obj_begin(w);
	jsonw_kstr(w, "version", RG_VERSION);
	jsonw_key(w, "started");
	jsonw_time(w, env->started_us);
	jsonw_key(w, "now");
	jsonw_time(w, x->now_us);
	jsonw_kint(w, "uptime_s", (x->now_us - env->started_us) / 1000000);
	jsonw_key(w, "listeners");
	jsonw_arr_begin(w);
	for (i = 0; env->listeners != NULL && env->listeners[i] != NULL; i++)
		jsonw_str(w, env->listeners[i]);
	jsonw_arr_end(w);

	jsonw_key(w, "config");
	jsonw_obj_begin(w);
	jsonw_kstr(w, "path", conf->path);
	jsonw_kbool(w, "loaded", true);
	jsonw_kuint(w, "networks", conf->n_networks);
	jsonw_kuint(w, "limits", conf->n_limits);
	jsonw_kuint(w, "zones", conf->n_zones);
	jsonw_kuint(w, "reloads", env->reload ? env->reload->reloads : 0);
	jsonw_kuint(w, "reload_failures", env->reload ? env->reload->failures : 0);
	jsonw_key(w, "last_reload");
	if (env->reload != NULL && env->reload->last_us != 0)
		jsonw_time(w, env->reload->last_us);
	else
		jsonw_null(w);
	jsonw_kbool(w, "last_reload_ok", env->reload == NULL ||
	    env->reload->last_us == 0 || env->reload->last_ok);
	jsonw_key(w, "last_reload_error");
	if (env->reload != NULL && env->reload->last_error[0] != '\0')
		jsonw_str(w, env->reload->last_error);
	else
		jsonw_null(w);
	jsonw_kuint(w, "overrides", engine_overrides_count(env->engine));
	jsonw_obj_end(w);

	jsonw_key(w, "data_files");
	jsonw_arr_begin(w);
	for (i = 0; i < conf->n_zones; i++) {
		for (j = 0; j < conf->zones[i].n_datasets; j++) {
			const struct conf_dataset *ds = &conf->zones[i].datasets[j];

			jsonw_obj_begin(w);
			jsonw_kstr(w, "zone", conf->zones[i].name);
			jsonw_kstr(w, "dataset", ds->name);
			jsonw_kstr(w, "type", ds->type);
			jsonw_key(w, "file");
			jsonw_str(w, ds->file);
			jsonw_kbool(w, "loaded", env->dns != NULL);
			jsonw_obj_end(w);
		}
	}
	jsonw_arr_end(w);

	jsonw_key(w, "state");
	jsonw_obj_begin(w);
	jsonw_kstr(w, "backend", conf->state_backend == CONF_BACKEND_REDIS ?
	    "redis" : "embedded");
	jsonw_kstr(w, "dir", conf->state_dir);
	/* healthy: the backend answers (embedded always does). */
	jsonw_kbool(w, "healthy", env->daemon == NULL ||
	    !env->daemon->state_fallback);
	jsonw_obj_end(w);

	jsonw_key(w, "engine");
	jsonw_obj_begin(w);
	jsonw_kuint(w, "customers", engine_customer_count(env->engine));
	jsonw_kuint(w, "messages_in_flight", engine_instance_count(env->engine));
	jsonw_kbool(w, "detection", engine_api_detection_on(env->engine));
	jsonw_kuint(w, "detection_customers", engine_detect_count(env->engine));
	jsonw_kuint(w, "incidents_open",
	    engine_incident_list(env->engine, true, NULL, NULL));
	jsonw_kuint(w, "history_customers",
	    env->history ? history_count(env->history) : 0);
	jsonw_obj_end(w);

	if (env->policy != NULL) {
		policy_svc_stats(env->policy, &ps);
		jsonw_key(w, "policy");
		jsonw_obj_begin(w);
		jsonw_kuint(w, "requests", ps.requests);
		jsonw_kuint(w, "connections_open", ps.conns_open);
		jsonw_kuint(w, "engine_errors", ps.engine_errors);
		jsonw_obj_end(w);
	}
	jsonw_kbool(w, "token_configured", env->token != NULL &&
	    env->token[0] != '\0');
	jsonw_obj_end(w);
	api_send(x, 200);
}

/* Split path into decoded segments; false (and 400/404) when it fails. */
static bool
api_split(struct api_ctx *x, const char *path, char segs[][API_SEG_MAX],
    size_t *n)
{
	const char *p = path, *slash;
	int rc;

	*n = 0;
	while (*p == '/')
		p++;
	while (*p != '\0') {
		slash = strchr(p, '/');
		if (slash == NULL)
			slash = p + strlen(p);
		if (*n >= API_SEGS_MAX) {
			api_error(x->resp, 404, "no such resource");
			return false;
		}
		rc = api_pct_decode(p, (size_t)(slash - p), false, segs[*n],
		    API_SEG_MAX);
		if (rc < 0) {
			api_error(x->resp, 400, "malformed path");
			return false;
		}
		(*n)++;
		p = slash;
		while (*p == '/')
			p++;
	}
	return true;
}

static bool
is(const char *method, const char *want)
{
	return strcmp(method, want) == 0;
}

/* Route /api/v1/...: segs[0] = "api", segs[1] = "v1". */
static void
api_route(struct api_ctx *x, char segs[][API_SEG_MAX], size_t n)
{
	const char *m = x->req->method;

	if (n < 3 || strcmp(segs[1], "v1") != 0) {
		api_error(x->resp, 404, "no such resource");
		return;
	}
	if (strcmp(segs[2], "status") == 0 && n == 3) {
		if (!is(m, "GET") && !is(m, "HEAD"))
			return api_method_not_allowed(x, "GET");
		return api_status(x);
	}
	if (strcmp(segs[2], "customers") == 0) {
		if (n == 3) {
			if (!is(m, "GET") && !is(m, "HEAD"))
				return api_method_not_allowed(x, "GET");
			return api_customers_list(x);
		}
		if (n == 4) {
			if (!is(m, "GET") && !is(m, "HEAD"))
				return api_method_not_allowed(x, "GET");
			return api_customers_get(x, segs[3]);
		}
		if (n == 5 && (strcmp(segs[4], "hold") == 0 ||
		    strcmp(segs[4], "unhold") == 0)) {
			if (!is(m, "POST"))
				return api_method_not_allowed(x, "POST");
			return api_customers_hold(x, segs[3],
			    strcmp(segs[4], "hold") == 0);
		}
	}
	if (strcmp(segs[2], "incidents") == 0) {
		if (n == 3) {
			if (!is(m, "GET") && !is(m, "HEAD"))
				return api_method_not_allowed(x, "GET");
			return api_incidents_list(x);
		}
		if (n == 4) {
			if (!is(m, "GET") && !is(m, "HEAD"))
				return api_method_not_allowed(x, "GET");
			return api_incidents_get(x, segs[3]);
		}
		if (n == 5 && strcmp(segs[4], "release") == 0) {
			if (!is(m, "POST"))
				return api_method_not_allowed(x, "POST");
			return api_incidents_release(x, segs[3]);
		}
	}
	if (strcmp(segs[2], "zones") == 0) {
		if (n == 3) {
			if (!is(m, "GET") && !is(m, "HEAD"))
				return api_method_not_allowed(x, "GET");
			return api_zones_list(x);
		}
		if (n == 5 && strcmp(segs[4], "entries") == 0)
			return api_zones_entries(x, segs[3]);
	}
	if (strcmp(segs[2], "complaints") == 0 && n == 3) {
		if (!is(m, "POST"))
			return api_method_not_allowed(x, "POST");
		return api_complaints_post(x);
	}
	if (strcmp(segs[2], "lookup") == 0 && n == 3) {
		if (!is(m, "GET") && !is(m, "HEAD"))
			return api_method_not_allowed(x, "GET");
		return api_zones_lookup(x);
	}
	api_error(x->resp, 404, "no such resource");
}

bool
api_handle(const struct api_env *env, const struct api_req *req,
    int64_t now_us, struct api_resp *resp)
{
	static char segs[API_SEGS_MAX][API_SEG_MAX];
	struct api_ctx x;
	size_t n;

	memset(resp, 0, sizeof(*resp));
	memset(&x, 0, sizeof(x));
	x.env = env;
	x.req = req;
	x.resp = resp;
	x.now_us = now_us;
	jsonw_init(&x.w, API_RESP_MAX);
	if (strcmp(req->path, "/metrics") == 0) {
		if (!is(req->method, "GET") && !is(req->method, "HEAD"))
			api_method_not_allowed(&x, "GET");
		else
			metrics_answer(&x);
		jsonw_fini(&x.w);
		return true;
	}
	if (strncmp(req->path, "/api/", 5) != 0 &&
	    strcmp(req->path, "/api") != 0) {
		api_error(resp, 404, "no such resource");
		return false;
	}
	if (api_split(&x, req->path, segs, &n))
		api_route(&x, segs, n);
	jsonw_fini(&x.w);
	return true;
}
