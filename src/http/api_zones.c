/*
 * api_zones.c - /api/v1/zones: the DNSBL zones of the config, the
 * entries of each zone's detection dataset (list, add with an optional
 * expiry and TXT, remove), and /api/v1/lookup: what every zone answers
 * for an address now.
 *
 * Only detection datasets are edited here (rbldnsd data files belong to
 * their owner and are reloaded from disk).  Entry listings are sorted by
 * address, paged (limit, offset), and cost one pass over the dataset and
 * a sort: 40 bytes per entry for the request.  After every change
 * env->on_zone_change runs so that the HTTP service persists the
 * entries (svc/http_entries.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "dnsbl/dnsbl_detection.h"
#include "http/api_int.h"
#include "lib/dur.h"
#include "lib/err.h"
#include "lib/ipaddr.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proto/ucl.h"
#include "svc/dns.h"

#define API_ENTRIES_DEFAULT 1000
#define API_ENTRIES_MAX 100000
#define API_TXT_MAX 255

static const struct conf_zone *
zone_find(const struct conf *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->n_zones; i++)
		if (strcasecmp(conf->zones[i].name, name) == 0)
			return &conf->zones[i];
	return NULL;
}

static struct dnsbl_detection *
zone_detection(struct api_ctx *x, const char *zone)
{
	const struct conf_zone *z = zone_find(x->env->conf, zone);
	struct dnsbl_detection *det;

	if (z == NULL) {
		api_error(x->resp, 404, "no such zone: %s", zone);
		return NULL;
	}
	det = x->env->dns != NULL ?
	    dns_svc_detection(x->env->dns, z->name, NULL) : NULL;
	if (det == NULL)
		api_error(x->resp, 404, "zone %s has no detection dataset "
		    "(dataset \"NAME\" { type = \"detection\"; })", zone);
	return det;
}

void
api_zones_list(struct api_ctx *x)
{
	const struct conf *conf = x->env->conf;
	struct dnsbl_detection *det;
	struct jsonw *w = &x->w;
	size_t i, j;

	jsonw_obj_begin(w);
	jsonw_key(w, "zones");
	jsonw_arr_begin(w);
	for (i = 0; i < conf->n_zones; i++) {
		const struct conf_zone *z = &conf->zones[i];

		det = x->env->dns != NULL ?
		    dns_svc_detection(x->env->dns, z->name, NULL) : NULL;
		jsonw_obj_begin(w);
		jsonw_kstr(w, "zone", z->name);
		jsonw_kuint(w, "ttl", z->ttl_s);
		jsonw_kuint(w, "serial", x->env->dns != NULL ?
		    dns_svc_serial(x->env->dns, z->name) : 0);
		jsonw_kbool(w, "editable", det != NULL);
		jsonw_kuint(w, "entries", det != NULL ?
		    dnsbl_detection_count(det) : 0);
		jsonw_key(w, "datasets");
		jsonw_arr_begin(w);
		for (j = 0; j < z->n_datasets; j++) {
			jsonw_obj_begin(w);
			jsonw_kstr(w, "name", z->datasets[j].name);
			jsonw_kstr(w, "type", z->datasets[j].type);
			jsonw_key(w, "file");
			jsonw_str(w, z->datasets[j].file);
			jsonw_obj_end(w);
		}
		jsonw_arr_end(w);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
	jsonw_obj_end(w);
	api_send(x, 200);
}

struct ent_row {
	struct ipprefix prefix;
	int64_t listed_s, expires_s;
	const char *txt;		/* borrowed: the dataset's life */
};

struct ent_walk {
	struct ent_row *v;
	size_t n, cap;
	int err;
};

static int
ent_collect(void *arg, const struct dnsbl_detection_info *e)
{
	struct ent_walk *ew = arg;
	struct ent_row *p;
	size_t ncap;

	if (ew->n == ew->cap) {
		ncap = ew->cap ? ew->cap * 2 : 256;
		if ((p = xreallocarray(ew->v, ncap, sizeof(*p))) == NULL) {
			ew->err = ERR_NOMEM;
			return 1;
		}
		ew->v = p;
		ew->cap = ncap;
	}
	p = &ew->v[ew->n++];
	p->prefix = e->prefix;
	p->listed_s = e->listed_s;
	p->expires_s = e->expires_s;
	p->txt = e->txt;
	return 0;
}

static int
ent_cmp(const void *a, const void *b)
{
	const struct ent_row *x = a, *y = b;
	int c = memcmp(x->prefix.addr.bytes, y->prefix.addr.bytes, 16);

	return c != 0 ? c : (int)x->prefix.len - (int)y->prefix.len;
}

/* An entry's address: a plain address for a host prefix, else CIDR. */
static void
ent_format(const struct ipprefix *p, char *buf, size_t cap)
{
	if (p->len == 128)
		ipaddr_format(&p->addr, buf, cap);
	else
		ipprefix_format(p, buf, cap);
}

static void
zone_entries_get(struct api_ctx *x, const char *zone,
    struct dnsbl_detection *det)
{
	char text[IPPREFIX_STRLEN];
	struct ent_walk ew = { 0 };
	struct jsonw *w = &x->w;
	uint64_t limit, offset;
	size_t i, end;

	if (api_query_uint(x, "limit", API_ENTRIES_DEFAULT, API_ENTRIES_MAX,
	    &limit) != 0 || api_query_uint(x, "offset", 0, UINT32_MAX,
	    &offset) != 0)
		return;
	dnsbl_detection_foreach(det, x->now_us / 1000000, ent_collect, &ew);
	if (ew.err != 0) {
		xfree(ew.v);
		return api_error(x->resp, 500, "out of memory");
	}
	if (ew.n > 1)
		qsort(ew.v, ew.n, sizeof(ew.v[0]), ent_cmp);
	jsonw_obj_begin(w);
	jsonw_kstr(w, "zone", zone);
	jsonw_kuint(w, "total", ew.n);
	jsonw_key(w, "entries");
	jsonw_arr_begin(w);
	end = offset + limit < ew.n ? (size_t)(offset + limit) : ew.n;
	for (i = (size_t)offset; i < end; i++) {
		ent_format(&ew.v[i].prefix, text, sizeof(text));
		jsonw_obj_begin(w);
		jsonw_kstr(w, "address", text);
		jsonw_key(w, "listed");
		jsonw_int(w, ew.v[i].listed_s);
		jsonw_key(w, "expires");
		if (ew.v[i].expires_s != 0)
			jsonw_int(w, ew.v[i].expires_s);
		else
			jsonw_null(w);
		jsonw_key(w, "txt");
		jsonw_str(w, ew.v[i].txt);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
	jsonw_obj_end(w);
	xfree(ew.v);
	api_send(x, 200);
}

/* Parse an address or prefix; answers 400 when it is not one. */
static int
zone_prefix(struct api_ctx *x, const char *text, size_t len,
    struct ipprefix *out)
{
	int rc = ipprefix_parse(text, len, out);

	if (rc == ERR_INVAL)
		api_error(x->resp, 400, "address %.*s: host bits set after "
		    "the prefix length", (int)(len > 64 ? 64 : len), text);
	else if (rc != 0)
		api_error(x->resp, 400, "address %.*s: not an IPv4 or IPv6 "
		    "address or prefix", (int)(len > 64 ? 64 : len), text);
	return rc;
}

static void
zone_entries_add(struct api_ctx *x, const char *zone,
    struct dnsbl_detection *det)
{
	const struct ucl_node *root, *addr, *ttl, *txt;
	char text[IPPREFIX_STRLEN];
	struct ucl_doc *doc;
	struct ipprefix p;
	uint64_t ttl_ms = 0;
	int64_t now_s = x->now_us / 1000000, expires = 0;
	int rc;

	if ((doc = api_body_object(x)) == NULL)
		return;
	root = ucl_doc_root(doc);
	addr = ucl_get(root, "address");
	ttl = ucl_get(root, "ttl");
	txt = ucl_get(root, "txt");
	if (addr == NULL || addr->type != UCL_STRING) {
		api_error(x->resp, 400, "\"address\" (a string) is required");
		goto out;
	}
	if (zone_prefix(x, addr->str, addr->str_len, &p) != 0)
		goto out;
	if (ttl != NULL && !(ttl->type == UCL_ATOM && strcmp(ttl->str, "null") == 0)) {
		if (!ucl_is_scalar(ttl) ||
		    dur_parse_ms(ttl->str, ttl->str_len, 0, &ttl_ms) != 0) {
			api_error(x->resp, 400, "\"ttl\": want a duration "
			    "(3600, \"30m\", \"7d\")");
			goto out;
		}
		expires = now_s + (int64_t)((ttl_ms + 999) / 1000);
	}
	if (txt != NULL && (txt->type != UCL_STRING || txt->str_len > API_TXT_MAX ||
	    memchr(txt->str, '\0', txt->str_len) != NULL)) {
		api_error(x->resp, 400, "\"txt\": want a string of at most %d "
		    "bytes", API_TXT_MAX);
		goto out;
	}
	rc = dnsbl_detection_list(det, &p, expires, txt ? txt->str : NULL,
	    now_s);
	if (rc == ERR_INVAL) {
		api_error(x->resp, 400, "%s may not be listed (it holds the "
		    "RFC 5782 test point 127.0.0.1)", addr->str);
		goto out;
	}
	if (rc != 0) {
		api_error(x->resp, rc == ERR_TOOBIG ? 413 : 500, "cannot list "
		    "%s: %s", addr->str, err_str(rc));
		goto out;
	}
	ent_format(&p, text, sizeof(text));
	log_info("http: %s: zone %s: listed %s%s%s", x->req->peer, zone, text,
	    expires ? " until " : "", expires ? ttl->str : "");
	if (x->env->on_zone_change != NULL)
		x->env->on_zone_change(x->env->change_ctx);
	jsonw_obj_begin(&x->w);
	jsonw_kstr(&x->w, "zone", zone);
	jsonw_kstr(&x->w, "address", text);
	jsonw_key(&x->w, "expires");
	if (expires)
		jsonw_int(&x->w, expires);
	else
		jsonw_null(&x->w);
	jsonw_key(&x->w, "txt");
	jsonw_str(&x->w, txt ? txt->str : NULL);
	jsonw_obj_end(&x->w);
	api_send(x, 201);
out:
	ucl_doc_free(doc);
}

static void
zone_entries_del(struct api_ctx *x, const char *zone,
    struct dnsbl_detection *det)
{
	char addr[IPPREFIX_STRLEN + 8], text[IPPREFIX_STRLEN];
	const struct ucl_node *node;
	struct ucl_doc *doc = NULL;
	struct ipprefix p;
	int n, rc;

	n = api_query_get(x->req->query, "address", addr, sizeof(addr));
	if (n < -1)
		return api_error(x->resp, 400, "parameter address: malformed");
	if (n == -1) {
		if ((doc = api_body_object(x)) == NULL)
			return;
		node = ucl_get(ucl_doc_root(doc), "address");
		if (node == NULL || node->type != UCL_STRING ||
		    node->str_len >= sizeof(addr)) {
			ucl_doc_free(doc);
			return api_error(x->resp, 400, "\"address\" (a string) "
			    "is required");
		}
		memcpy(addr, node->str, node->str_len + 1);
		ucl_doc_free(doc);
	}
	if (zone_prefix(x, addr, strlen(addr), &p) != 0)
		return;
	ent_format(&p, text, sizeof(text));
	if ((rc = dnsbl_detection_unlist(det, &p)) != 0)
		return api_error(x->resp, 404, "%s is not listed in %s", text,
		    zone);
	log_info("http: %s: zone %s: unlisted %s", x->req->peer, zone, text);
	if (x->env->on_zone_change != NULL)
		x->env->on_zone_change(x->env->change_ctx);
	jsonw_obj_begin(&x->w);
	jsonw_kstr(&x->w, "zone", zone);
	jsonw_kstr(&x->w, "address", text);
	jsonw_kbool(&x->w, "removed", true);
	jsonw_obj_end(&x->w);
	api_send(x, 200);
}

void
api_zones_entries(struct api_ctx *x, const char *zone)
{
	const char *m = x->req->method;
	struct dnsbl_detection *det;
	char what[300];

	if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 &&
	    strcmp(m, "POST") != 0 && strcmp(m, "DELETE") != 0)
		return api_method_not_allowed(x, "GET, POST, DELETE");
	if (strcmp(m, "POST") == 0 || strcmp(m, "DELETE") == 0) {
		snprintf(what, sizeof(what), "zone %.200s entries", zone);
		if (!api_authorized(x, what))
			return;
	}
	if ((det = zone_detection(x, zone)) == NULL)
		return;
	if (strcmp(m, "POST") == 0)
		return zone_entries_add(x, zone, det);
	if (strcmp(m, "DELETE") == 0)
		return zone_entries_del(x, zone, det);
	zone_entries_get(x, zone, det);
}

static void
lookup_hit(void *arg, const char *zone, const struct dnsbl_hits *hits)
{
	struct jsonw *w = arg;
	char a[16];
	unsigned i;

	jsonw_obj_begin(w);
	jsonw_kstr(w, "zone", zone);
	jsonw_key(w, "answers");
	jsonw_arr_begin(w);
	for (i = 0; i < hits->n; i++) {
		uint32_t v = hits->h[i].a;

		snprintf(a, sizeof(a), "%u.%u.%u.%u", v >> 24, (v >> 16) & 255,
		    (v >> 8) & 255, v & 255);
		jsonw_obj_begin(w);
		jsonw_kstr(w, "a", a);
		jsonw_key(w, "txt");
		if (hits->h[i].txt != NULL)
			jsonw_strn(w, hits->h[i].txt, hits->h[i].txt_len);
		else
			jsonw_null(w);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
	jsonw_obj_end(w);
}

void
api_zones_lookup(struct api_ctx *x)
{
	char text[IPADDR_STRLEN + 8];
	struct ipaddr addr;
	int n;

	n = api_query_get(x->req->query, "address", text, sizeof(text));
	if (n <= 0)
		return api_error(x->resp, 400, "parameter address is required");
	if (ipaddr_parse(text, (size_t)n, &addr) != 0)
		return api_error(x->resp, 400, "address %s: not an IPv4 or "
		    "IPv6 address", text);
	jsonw_obj_begin(&x->w);
	jsonw_kstr(&x->w, "address", text);
	jsonw_key(&x->w, "listed");
	jsonw_arr_begin(&x->w);
	n = x->env->dns != NULL ? dns_svc_lookup(x->env->dns, &addr,
	    x->now_us / 1000000, lookup_hit, &x->w) : 0;
	jsonw_arr_end(&x->w);
	jsonw_kint(&x->w, "zones_listing", n);
	jsonw_obj_end(&x->w);
	api_send(x, 200);
}
