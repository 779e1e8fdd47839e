/*
 * api_int.h - what the files of the HTTP API share (api.c routes,
 * api_customers.c, api_incidents.c, api_zones.c, metrics.c answer).
 * Not for use outside src/http/.
 */
#ifndef RG_HTTP_API_INT_H
#define RG_HTTP_API_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/api.h"
#include "http/jsonw.h"

#define API_SEG_MAX 512			/* one decoded path segment */

/* One request being answered. */
struct api_ctx {
	const struct api_env *env;
	const struct api_req *req;
	struct api_resp *resp;
	int64_t now_us;
	struct jsonw w;			/* the response body being written */
};

/*
 * api_send - take the writer's text as the response with status and a
 * JSON content type (500 when the writer failed: out of memory, or over
 * API_RESP_MAX).
 */
void api_send(struct api_ctx *x, int status);

/*
 * api_authorized - true when the request carries the token; otherwise
 * answers 401 (logged with the peer) and returns false.
 */
bool api_authorized(struct api_ctx *x, const char *what);

/* api_method_not_allowed - 405 with an Allow header. */
void api_method_not_allowed(struct api_ctx *x, const char *allow);

/*
 * api_body_object - parse the request body as a JSON object; answers
 * 400 and returns NULL when it is not one.  The document is the
 * caller's (ucl_doc_free).
 */
struct ucl_doc;
struct ucl_doc *api_body_object(struct api_ctx *x);

/* api_query_uint - a non-negative integer parameter; def when absent. */
int api_query_uint(struct api_ctx *x, const char *name, uint64_t def,
    uint64_t max, uint64_t *out);

/* The handlers, one file each. */
void api_customers_list(struct api_ctx *x);
void api_customers_get(struct api_ctx *x, const char *id);
void api_customers_hold(struct api_ctx *x, const char *id, bool hold);
void api_incidents_list(struct api_ctx *x);
void api_incidents_get(struct api_ctx *x, const char *id);
void api_incidents_release(struct api_ctx *x, const char *id);
/* api_incidents_release_id - release incident id (authorized already). */
void api_incidents_release_id(struct api_ctx *x, uint64_t id);
void api_zones_list(struct api_ctx *x);
void api_zones_entries(struct api_ctx *x, const char *zone);
void api_zones_lookup(struct api_ctx *x);
/* api_complaints_post - POST /api/v1/complaints (api_complaints.c). */
void api_complaints_post(struct api_ctx *x);

/* metrics_answer - GET /metrics (metrics.c). */
void metrics_answer(struct api_ctx *x);

/*
 * api_incidents_write - the members of one incident object (id, customer,
 * state, reason, opened, released, actions, held, client_addresses,
 * evidence): the one writer behind incidents, incidents/{id} and the
 * incidents of customers/{id}.
 */
struct engine_incident;
void api_incidents_write(struct jsonw *w, const struct engine_incident *inc);

#endif
