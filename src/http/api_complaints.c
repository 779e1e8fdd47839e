/*
 * api_complaints.c - POST /api/v1/complaints: an abuse report in the
 * Abuse Reporting Format (RFC 5965) becomes a complaint against the
 * customer who sent the reported message (SPEC section 4): arf_parse(),
 * then api_complaints_customer() finds the customer in the original's
 * Received: fields, then engine_observe_complaint_about() adds the
 * complaint's evidence (detection.complaint_llr) to that customer's
 * sequential test, which may open an incident (reason "complaint").
 *
 * Which customer (api_complaints_customer, the rule of
 * man/relayguard-api.7):
 *
 *   1. Our hop by name: the topmost Received: field whose "by" host is
 *      one of the relay's names (the daemon's host name; a name without
 *      a dot also matches "NAME.anything"), since fields below ours may
 *      be forged.  Its "Authenticated sender" (Postfix writes the SASL
 *      username there when smtpd_sasl_authenticated_header is on) is the
 *      customer, else its client address when that is in a configured
 *      network that is not exempt (mail we took from outside, as an MX
 *      that forwards, is nobody's); otherwise go on with 2.
 *   2. Else the topmost field with an "Authenticated sender".
 *   3. Else, from the top down, the first field whose client address is
 *      in a configured network that is not exempt (longest prefix wins),
 *      skipping a field whose client is a relay of the chain (the field
 *      below it was received "by" that client's HELO or reverse name):
 *      the hop from our relay to the recipient's MX names our relay's
 *      address, which may lie in a configured network too.
 *   4. Else the report's Source-IP, when it is in such a network (a
 *      customer that sent to the reporter directly).
 *
 * customer_key without sasl_username skips the authenticated senders
 * (the customers are addresses then).  An address found is handed to
 * the engine as is: the engine maps it to the customer last seen there
 * (an account, or an IPv6 prefix).  Feedback types abuse, fraud and
 * virus count; not-spam, auth-failure, other and extensions are
 * acknowledged with "counted": false and change nothing.
 *
 * Limits: the body is at most API_COMPLAINT_BODY_MAX bytes (= the ARF
 * parser's ARF_MSG_MAX, 1 MiB); arf.h says the rest.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/engine.h"
#include "engine/engine_api.h"
#include "http/api_int.h"
#include "lib/err.h"
#include "lib/ipaddr.h"
#include "lib/log.h"
#include "proto/arf.h"

/* Does host (after "by") name one of names? */
static bool
cpl_name_match(const char *host, const char *const *names, size_t n)
{
	size_t i, len;

	if (host == NULL)
		return false;
	for (i = 0; i < n; i++) {
		if (names[i] == NULL || names[i][0] == '\0')
			continue;
		if (strcasecmp(host, names[i]) == 0)
			return true;
		len = strlen(names[i]);
		if (strchr(names[i], '.') == NULL &&
		    strncasecmp(host, names[i], len) == 0 && host[len] == '.')
			return true;
	}
	return false;
}

/* Is addr in a configured network that is not exempt (longest prefix)? */
static bool
cpl_in_network(const struct conf *conf, const struct ipaddr *addr)
{
	const struct conf_network *best = NULL;
	unsigned best_len = 0;
	size_t i, k;

	for (i = 0; i < conf->n_networks; i++) {
		const struct conf_network *net = &conf->networks[i];

		for (k = 0; k < net->n_prefixes; k++) {
			const struct ipprefix *p = &net->prefixes[k];

			if (ipprefix_contains(p, addr) &&
			    (best == NULL || p->len > best_len)) {
				best = net;
				best_len = p->len;
			}
		}
	}
	return best != NULL && !best->exempt;
}

static bool
cpl_use_sasl(const struct conf *conf)
{
	size_t i;

	for (i = 0; i < conf->customer_key.n; i++)
		if (strcmp(conf->customer_key.v[i], "sasl_username") == 0)
			return true;
	return false;
}

/* Copy s into out (cap bytes); false when it is empty or too long. */
static bool
cpl_put(const char *s, char *out, size_t cap)
{
	size_t len = s != NULL ? strlen(s) : 0;

	if (len == 0 || len >= cap || len > ENGINE_CUSTOMER_MAX)
		return false;
	memcpy(out, s, len + 1);
	return true;
}

static bool
cpl_put_addr(const struct ipaddr *addr, char *out, size_t cap)
{
	char text[IPADDR_STRLEN];

	ipaddr_format(addr, text, sizeof(text));
	return cpl_put(text, out, cap);
}

/* Is field i a relay's hop: was the field below it received by its client? */
static bool
cpl_relay_hop(const struct arf_report *r, size_t i)
{
	const struct arf_received *below;
	const struct arf_received *rc = &r->received[i];
	const char *names[2];

	if (i + 1 >= r->n_received)
		return false;
	below = &r->received[i + 1];
	names[0] = rc->from_helo;
	names[1] = rc->from_rdns;
	return below->by != NULL && cpl_name_match(below->by, names, 2);
}

int
api_complaints_customer(const struct arf_report *r, const struct conf *conf,
    const char *const *names, size_t n_names, char *out, size_t cap,
    const char **how)
{
	bool sasl = cpl_use_sasl(conf);
	const struct arf_received *rc;
	size_t i;

	*how = NULL;
	/* 1. The topmost field that our relay added, by name. */
	for (i = 0; i < r->n_received; i++) {
		rc = &r->received[i];
		if (!cpl_name_match(rc->by, names, n_names))
			continue;
		if (sasl && cpl_put(rc->auth_sender, out, cap)) {
			*how = "received_by_us_sasl";
			return 0;
		}
		if (rc->has_from_addr && cpl_in_network(conf, &rc->from_addr) &&
		    cpl_put_addr(&rc->from_addr, out, cap)) {
			*how = "received_by_us_address";
			return 0;
		}
		break;
	}
	/* 2. The topmost authenticated sender. */
	for (i = 0; sasl && i < r->n_received; i++) {
		if (cpl_put(r->received[i].auth_sender, out, cap)) {
			*how = "authenticated_sender";
			return 0;
		}
	}
	/* 3. The topmost client in a customer network, relays skipped. */
	for (i = 0; i < r->n_received; i++) {
		rc = &r->received[i];
		if (!rc->has_from_addr || !cpl_in_network(conf, &rc->from_addr) ||
		    cpl_relay_hop(r, i))
			continue;
		if (cpl_put_addr(&rc->from_addr, out, cap)) {
			*how = "client_address";
			return 0;
		}
	}
	/* 4. The reporter's Source-IP. */
	if (r->has_source_ip && cpl_in_network(conf, &r->source_ip) &&
	    cpl_put_addr(&r->source_ip, out, cap)) {
		*how = "source_ip";
		return 0;
	}
	if (cap > 0)
		out[0] = '\0';
	return ERR_NOENT;
}

static bool
cpl_counts(enum arf_feedback_type type)
{
	return type == ARF_FT_ABUSE || type == ARF_FT_FRAUD ||
	    type == ARF_FT_VIRUS;
}

/* The JSON answer once the customer is known. */
static void
cpl_answer(struct api_ctx *x, const struct arf_report *r,
    const char *customer, uint64_t incident, bool counted, const char *how,
    const struct arf_received *ours)
{
	struct jsonw *w = &x->w;

	jsonw_obj_begin(w);
	jsonw_kstr(w, "customer", customer);
	jsonw_key(w, "incident");
	if (incident != 0)
		jsonw_uint(w, incident);
	else
		jsonw_null(w);
	jsonw_kstr(w, "feedback_type", r->feedback_type == ARF_FT_UNKNOWN &&
	    r->feedback_type_text != NULL ? r->feedback_type_text :
	    arf_feedback_type_name(r->feedback_type));
	jsonw_kbool(w, "counted", counted);
	jsonw_kstr(w, "found_by", how);
	jsonw_key(w, "queue_id");
	if (ours != NULL && ours->id != NULL)
		jsonw_str(w, ours->id);
	else
		jsonw_null(w);
	jsonw_key(w, "message_id");
	if (r->message_id != NULL)
		jsonw_str(w, r->message_id);
	else
		jsonw_null(w);
	jsonw_obj_end(w);
	api_send(x, 200);
}

/* The field the customer was found in, for its queue ID; NULL if none. */
static const struct arf_received *
cpl_field(const struct arf_report *r, const char *found)
{
	char text[IPADDR_STRLEN];
	size_t i;

	for (i = 0; i < r->n_received; i++) {
		const struct arf_received *rc = &r->received[i];

		if (rc->auth_sender != NULL && strcmp(rc->auth_sender, found) == 0)
			return rc;
		if (rc->has_from_addr) {
			ipaddr_format(&rc->from_addr, text, sizeof(text));
			if (strcmp(text, found) == 0)
				return rc;
		}
	}
	return NULL;
}

void
api_complaints_post(struct api_ctx *x)
{
	const struct api_req *req = x->req;
	char found[ENGINE_CUSTOMER_MAX + 1], customer[ENGINE_CUSTOMER_MAX + 1];
	const char *names[1], *how;
	struct arf_report *r = NULL;
	struct engine_risk risk;
	struct arf_err aerr = { 0, NULL };
	uint64_t incident = 0;
	bool counted;
	int rc;

	if (!api_authorized(x, "complaint"))
		return;
	if (req->body_len == 0)
		return api_error(x->resp, 400, "the body must be an abuse "
		    "report (RFC 5965, message/rfc822)");
	if (req->body_len > API_COMPLAINT_BODY_MAX)
		return api_error(x->resp, 413, "the report exceeds %u bytes",
		    API_COMPLAINT_BODY_MAX);
	if (!engine_api_detection_on(x->env->engine))
		return api_error(x->resp, 409, "detection is disabled "
		    "(detection.enabled): complaints have nowhere to go");
	rc = arf_parse(req->body, req->body_len, &r, &aerr);
	if (rc == ERR_TOOBIG)
		return api_error(x->resp, 413, "the report is over a limit at "
		    "byte %zu: %s", aerr.offset, aerr.reason);
	if (rc != 0)
		return api_error(x->resp, 400, "not an ARF report (RFC 5965): "
		    "byte %zu: %s", aerr.offset, aerr.reason ? aerr.reason :
		    err_str(rc));
	names[0] = x->env->hostname;
	if (api_complaints_customer(r, x->env->conf, names,
	    x->env->hostname != NULL ? 1 : 0, found, sizeof(found), &how) != 0) {
		log_warn("http: %s: complaint: no customer in the report "
		    "(Message-ID %s)", req->peer, r->message_id ?
		    r->message_id : "none");
		api_error(x->resp, 422, "no customer found in the report: no "
		    "Received: field by this relay (%s), none with an "
		    "authenticated sender or a client address in a configured "
		    "network, and no Source-IP in one", x->env->hostname ?
		    x->env->hostname : "host name unknown");
		arf_report_free(r);
		return;
	}
	counted = cpl_counts(r->feedback_type);
	if (counted) {
		rc = engine_observe_complaint_about(x->env->engine, found,
		    x->now_us, customer, sizeof(customer), &incident);
	} else {
		snprintf(customer, sizeof(customer), "%s", found);
		rc = engine_customer_risk(x->env->engine, found, &risk);
		incident = rc == 0 ? risk.incident : 0;
	}
	if (rc == ERR_NOENT) {
		log_warn("http: %s: complaint about %s (%s): not a customer "
		    "detection knows", req->peer, found, how);
		api_error(x->resp, 422, "customer %s (from the report's %s) is "
		    "not known to detection: no mail of it seen", found, how);
		arf_report_free(r);
		return;
	}
	if (rc != 0) {
		api_error(x->resp, 500, "complaint about %s: %s", found,
		    err_str(rc));
		arf_report_free(r);
		return;
	}
	log_info("http: %s: complaint (%s) about %s, found by %s%s; open "
	    "incident: %llu", req->peer,
	    arf_feedback_type_name(r->feedback_type), customer, how,
	    counted ? "" : ", not counted", (unsigned long long)incident);
	cpl_answer(x, r, customer, incident, counted, how, cpl_field(r, found));
	arf_report_free(r);
}
