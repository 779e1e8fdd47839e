/*
 * metrics.c - GET /metrics: the Prometheus text exposition format
 * (version 0.0.4): a # HELP and a # TYPE line per family, then its
 * samples, label values escaped as the format asks (backslash, quote,
 * newline).
 *
 * What is there: policy requests by action (the first word of the
 * answer) and role, protocol errors, a latency histogram (fixed buckets
 * from 25 us to 100 ms), engine time (as a summary's _sum/_count),
 * connections; hits per limit with its action; customers, messages in
 * flight, detection customers, open incidents and held messages (those
 * listed under incidents in memory); DNS queries by zone and rcode,
 * listed answers, DNSBL detection entries and serials per zone; reload
 * attempts and failures; state write errors and the fallback state; the
 * log feed's lines, malformed lines and lag; HTTP requests by status
 * class.
 *
 * Cost: O(incidents in memory + limits + zones x DNS workers); no walk
 * over the customers.
 */
#include <stdio.h>
#include <string.h>

#include "dnsbl/dnsbl_detection.h"
#include "engine/engine.h"
#include "engine/history.h"
#include "http/api_int.h"
#include "svc/dns.h"
#include "svc/policy.h"

static void
family(struct jsonw *w, const char *name, const char *type, const char *help)
{
	jsonw_printf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one unlabelled sample. */
static void
scalar(struct jsonw *w, const char *name, const char *type, const char *help,
    uint64_t v)
{
	family(w, name, type, help);
	jsonw_printf(w, "%s %llu\n", name, (unsigned long long)v);
}

/* A label value, escaped: \\, \", \n. */
static void
label(struct jsonw *w, const char *v)
{
	const char *p;

	for (p = v; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			jsonw_printf(w, "\\%c", *p);
		else if (*p == '\n')
			jsonw_append(w, "\\n", 2);
		else
			jsonw_append(w, p, 1);
	}
}

/* Microseconds as a decimal number of seconds: 25 -> "0.000025". */
static void
seconds(struct jsonw *w, uint64_t us)
{
	char frac[8];
	int n;

	n = snprintf(frac, sizeof(frac), "%06llu",
	    (unsigned long long)(us % 1000000));
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	jsonw_printf(w, "%llu%s%s", (unsigned long long)(us / 1000000),
	    n > 0 ? "." : "", frac);
}

struct held_sum {
	uint64_t held;
};

static void
sum_held(void *ctx, const struct engine_incident *inc)
{
	struct held_sum *hs = ctx;

	hs->held += inc->n_held;
}

/* DNS queries by zone and rcode; answers that listed, by zone. */
static void
metrics_dns(struct jsonw *w, const struct dns_svc *dns)
{
	struct dns_svc_zone_stats zs;
	const char *zone;
	size_t i, n;
	unsigned r;

	family(w, "relayguard_dns_queries_total", "counter",
	    "DNS queries answered, by zone and rcode (zone \"(none)\": outside "
	    "every zone).");
	n = dns_svc_zone_stats(dns, 0, &zone, &zs);
	for (i = 0; i < n; i++) {
		dns_svc_zone_stats(dns, i, &zone, &zs);
		for (r = 0; r < DNS_SVC_RCODES; r++) {
			jsonw_printf(w, "relayguard_dns_queries_total{zone=\"");
			label(w, zone != NULL ? zone : "(none)");
			jsonw_printf(w, "\",rcode=\"%s\"} %llu\n",
			    dns_svc_rcode_name(r),
			    (unsigned long long)zs.by_rcode[r]);
		}
	}
	family(w, "relayguard_dns_listed_total", "counter",
	    "DNS answers that listed the address asked for, by zone.");
	for (i = 0; i + 1 < n; i++) {
		dns_svc_zone_stats(dns, i, &zone, &zs);
		jsonw_printf(w, "relayguard_dns_listed_total{zone=\"");
		label(w, zone);
		jsonw_printf(w, "\"} %llu\n", (unsigned long long)zs.listed);
	}
}

/* The daemon's own counters: state writes, the log feed. */
static void
metrics_daemon(struct jsonw *w, const struct api_daemon_stats *d,
    int64_t now_us)
{
	int64_t since;

	scalar(w, "relayguard_state_errors_total", "counter",
	    "State backend operations that failed (journal writes, snapshots).",
	    d->state_errors);
	family(w, "relayguard_state_fallback", "gauge",
	    "1 while the state backend is unreachable and the daemon answers "
	    "from memory.");
	jsonw_printf(w, "relayguard_state_fallback %d\n", d->state_fallback);
	family(w, "relayguard_state_backend_up", "gauge",
	    "1 while the state backend answers (embedded: always), 0 while "
	    "requests are judged with local state alone.");
	jsonw_printf(w, "relayguard_state_backend_up %d\n", !d->state_fallback);
	if (d->state_redis) {
		family(w, "relayguard_state_requests_total", "counter",
		    "Policy requests judged against the shared Redis state "
		    "(state=\"shared\") or, Redis unreachable, with local state "
		    "alone (state=\"local\").");
		jsonw_printf(w, "relayguard_state_requests_total{state=\"shared\"} "
		    "%llu\n", (unsigned long long)d->redis_shared);
		jsonw_printf(w, "relayguard_state_requests_total{state=\"local\"} "
		    "%llu\n", (unsigned long long)d->redis_local);
		scalar(w, "relayguard_state_redis_errors_total", "counter",
		    "Redis connects, commands and timeouts that failed.",
		    d->redis_errors);
		scalar(w, "relayguard_state_redis_connects_total", "counter",
		    "Successful connections to Redis (the first and every "
		    "reconnection).",
		    d->redis_connects);
		scalar(w, "relayguard_state_redis_redirects_total", "counter",
		    "Redis Cluster MOVED and ASK replies followed.",
		    d->redis_redirects);
		scalar(w, "relayguard_state_redis_pending", "gauge",
		    "Incident writes waiting for Redis to come back.",
		    d->redis_pending);
	}
	if (!d->feed_on)
		return;
	since = d->feed_last_line_us != 0 ? d->feed_last_line_us :
	    d->feed_started_us;
	family(w, "relayguard_feed_lag_seconds", "gauge",
	    "Seconds since the last log line arrived (since the feed started "
	    "when none has).");
	jsonw_printf(w, "relayguard_feed_lag_seconds %.3f\n",
	    now_us > since ? (double)(now_us - since) / 1e6 : 0.0);
	scalar(w, "relayguard_feed_lines_total", "counter",
	    "Log lines read by the feed.",
	    d->feed_lines);
	scalar(w, "relayguard_feed_malformed_total", "counter",
	    "Log lines the maillog parser refused.",
	    d->feed_malformed);
	scalar(w, "relayguard_feed_dropped_total", "counter",
	    "Log lines dropped for being too long.",
	    d->feed_too_long);
	scalar(w, "relayguard_feed_rotations_total", "counter",
	    "Rotations of the followed log file.",
	    d->feed_rotations);
}

void
metrics_answer(struct api_ctx *x)
{
	const struct api_env *env = x->env;
	struct jsonw *w = &x->w;
	struct policy_svc_stats ps;
	struct engine_limit_hits lh;
	struct held_sum hs = { 0 };
	size_t i, open;
	uint64_t cum;
	unsigned r;
	int v;

	family(w, "relayguard_build_info", "gauge", "Version of relayguardd.");
	jsonw_printf(w, "relayguard_build_info{version=\"%s\"} 1\n", RG_VERSION);
	family(w, "relayguard_start_time_seconds", "gauge",
	    "Start time of relayguardd since the epoch.");
	jsonw_printf(w, "relayguard_start_time_seconds %lld\n",
	    (long long)(env->started_us / 1000000));

	if (env->policy != NULL) {
		policy_svc_stats(env->policy, &ps);
		family(w, "relayguard_policy_requests_total", "counter",
		    "Policy requests answered, by action and role.");
		for (r = 0; r < POLICY_SVC_ROLES; r++)
			for (v = 0; v < POLICY_SVC_VERB__COUNT; v++)
				jsonw_printf(w, "relayguard_policy_requests_total"
				    "{action=\"%s\",role=\"%s\"} %llu\n",
				    policy_svc_verb_name(v),
				    policy_svc_role_name(r),
				    (unsigned long long)ps.by_role[r][v]);
		family(w, "relayguard_policy_latency_seconds", "histogram",
		    "Time to answer a policy request (engine, reply, log).");
		for (i = 0, cum = 0; i < POLICY_SVC_LAT_BUCKETS; i++) {
			cum += ps.lat[i];
			jsonw_printf(w, "relayguard_policy_latency_seconds_bucket"
			    "{le=\"");
			if (i + 1 < POLICY_SVC_LAT_BUCKETS)
				seconds(w, policy_svc_latency_le_us(i));
			else
				jsonw_append(w, "+Inf", 4);
			jsonw_printf(w, "\"} %llu\n", (unsigned long long)cum);
		}
		jsonw_printf(w, "relayguard_policy_latency_seconds_sum ");
		seconds(w, ps.lat_us);
		jsonw_printf(w, "\nrelayguard_policy_latency_seconds_count %llu\n",
		    (unsigned long long)cum);
		family(w, "relayguard_policy_errors_total", "counter",
		    "Policy connections closed or requests answered with the "
		    "default, by reason.");
		jsonw_printf(w, "relayguard_policy_errors_total{reason=\"malformed\"} %llu\n"
		    "relayguard_policy_errors_total{reason=\"too_big\"} %llu\n"
		    "relayguard_policy_errors_total{reason=\"engine\"} %llu\n"
		    "relayguard_policy_errors_total{reason=\"over_budget\"} %llu\n",
		    (unsigned long long)ps.malformed,
		    (unsigned long long)ps.too_big,
		    (unsigned long long)ps.engine_errors,
		    (unsigned long long)ps.over_budget);
		family(w, "relayguard_policy_judge_seconds", "summary",
		    "Engine time per policy request.");
		jsonw_printf(w, "relayguard_policy_judge_seconds_sum %.6f\n"
		    "relayguard_policy_judge_seconds_count %llu\n",
		    ps.judge_us / 1e6, (unsigned long long)ps.requests);
		family(w, "relayguard_policy_connections_total", "counter",
		    "Policy connections, by outcome.");
		jsonw_printf(w, "relayguard_policy_connections_total{outcome=\"accepted\"} %llu\n"
		    "relayguard_policy_connections_total{outcome=\"refused\"} %llu\n"
		    "relayguard_policy_connections_total{outcome=\"timed_out\"} %llu\n",
		    (unsigned long long)ps.conns_accepted,
		    (unsigned long long)ps.conns_refused,
		    (unsigned long long)ps.conns_timed_out);
		scalar(w, "relayguard_policy_connections_open", "gauge",
		    "Policy connections open now.",
		    ps.conns_open);
	}

	family(w, "relayguard_limit_hits_total", "counter",
	    "Policy requests that went over a limit, by limit and its action.");
	for (i = 0; engine_limit_hits(env->engine, i, &lh); i++) {
		jsonw_printf(w, "relayguard_limit_hits_total{limit=\"");
		label(w, lh.limit);
		jsonw_printf(w, "\",action=\"%s\"} %llu\n",
		    conf_action_name(lh.action), (unsigned long long)lh.hits);
	}

	family(w, "relayguard_customers", "gauge",
	    "Customers tracked by the limits.");
	jsonw_printf(w, "relayguard_customers %zu\n",
	    engine_customer_count(env->engine));
	family(w, "relayguard_messages_in_flight", "gauge",
	    "Messages whose state the engine remembers.");
	jsonw_printf(w, "relayguard_messages_in_flight %zu\n",
	    engine_instance_count(env->engine));
	family(w, "relayguard_detection_customers", "gauge",
	    "Customers tracked by detection.");
	jsonw_printf(w, "relayguard_detection_customers %zu\n",
	    engine_detect_count(env->engine));
	open = engine_incident_list(env->engine, true, sum_held, &hs);
	family(w, "relayguard_incidents_open", "gauge", "Open incidents.");
	jsonw_printf(w, "relayguard_incidents_open %zu\n", open);
	scalar(w, "relayguard_held_messages", "gauge",
	    "Messages held under open incidents.",
	    hs.held);
	if (env->history != NULL) {
		family(w, "relayguard_history_customers", "gauge",
		    "Customers with a sending history kept for the dashboard.");
		jsonw_printf(w, "relayguard_history_customers %zu\n",
		    history_count(env->history));
	}

	if (env->dns != NULL && env->conf->n_zones > 0) {
		family(w, "relayguard_dnsbl_entries", "gauge",
		    "Entries of the zone's detection dataset.");
		for (i = 0; i < env->conf->n_zones; i++) {
			struct dnsbl_detection *det = dns_svc_detection(env->dns,
			    env->conf->zones[i].name, NULL);

			if (det == NULL)
				continue;
			jsonw_append(w, "relayguard_dnsbl_entries{zone=\"", 31);
			label(w, env->conf->zones[i].name);
			jsonw_printf(w, "\"} %zu\n", dnsbl_detection_count(det));
		}
		family(w, "relayguard_dnsbl_serial", "gauge",
		    "SOA serial of the zone.");
		for (i = 0; i < env->conf->n_zones; i++) {
			jsonw_append(w, "relayguard_dnsbl_serial{zone=\"", 30);
			label(w, env->conf->zones[i].name);
			jsonw_printf(w, "\"} %u\n", dns_svc_serial(env->dns,
			    env->conf->zones[i].name));
		}
	}

	if (env->dns != NULL)
		metrics_dns(w, env->dns);

	scalar(w, "relayguard_reloads_total", "counter",
	    "Configuration reloads asked for (SIGHUP).",
	    env->reload ? env->reload->reloads : 0);
	scalar(w, "relayguard_reload_failures_total", "counter",
	    "Configuration reloads that failed (the old configuration runs).",
	    env->reload ? env->reload->failures : 0);
	family(w, "relayguard_last_reload_success", "gauge",
	    "1 when the last reload worked (or none was asked for).");
	jsonw_printf(w, "relayguard_last_reload_success %d\n",
	    env->reload == NULL || env->reload->last_us == 0 ||
	    env->reload->last_ok);

	if (env->daemon != NULL)
		metrics_daemon(w, env->daemon, x->now_us);

	if (env->http != NULL) {
		family(w, "relayguard_http_requests_total", "counter",
		    "HTTP requests answered, by status class.");
		for (i = 1; i < 6; i++)
			jsonw_printf(w, "relayguard_http_requests_total"
			    "{code=\"%zuxx\"} %llu\n", i,
			    (unsigned long long)env->http->by_class[i]);
		family(w, "relayguard_http_refused_total", "counter",
		    "HTTP requests refused, by reason.");
		jsonw_printf(w, "relayguard_http_refused_total{reason=\"rate_limited\"} %llu\n"
		    "relayguard_http_refused_total{reason=\"too_big\"} %llu\n"
		    "relayguard_http_refused_total{reason=\"unauthorized\"} %llu\n",
		    (unsigned long long)env->http->rate_limited,
		    (unsigned long long)env->http->too_big,
		    (unsigned long long)env->http->unauthorized);
	}
	api_resp_fini(x->resp);
	x->resp->status = 200;
	x->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	if (jsonw_error(w) != 0 ||
	    (x->resp->body = jsonw_take(w, &x->resp->body_len)) == NULL)
		api_error(x->resp, 500, "cannot build the metrics");
}
