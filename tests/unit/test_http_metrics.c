/*
 * test_http_metrics.c - unit tests of GET /metrics (src/http/metrics.c):
 * every line of the answer is valid Prometheus text exposition (a
 * small checker of its grammar: HELP and TYPE before a family's
 * samples, each family typed once, metric and label names, escaped
 * label values, a number), and the figures follow the engine and the
 * services.  The integration test 50_api_metrics.sh runs promtool on a
 * real scrape too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdlib.h>

#include <event2/event.h>

#include "engine/history.h"
#include "http/api.h"
#include "svc/dns.h"
#include "svc/policy.h"
#include "test_engine_fx.h"

#define FAMILIES_MAX 128

static bool
name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
		return false;
	for (i = 1; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
			return false;
	return true;
}

/*
 * check_exposition - 0 when text is valid; else the 1-based line number
 * of the first bad line.  Fills *samples.
 */
static int
check_exposition(const char *text, size_t *samples)
{
	char typed[FAMILIES_MAX][96];
	size_t n_typed = 0, i, len;
	const char *p = text, *nl, *sp, *q;
	int line = 0;
	char *end;

	*samples = 0;
	for (; *p != '\0'; p = nl + 1) {
		line++;
		if ((nl = strchr(p, '\n')) == NULL)
			return line;		/* every line ends in \n */
		len = (size_t)(nl - p);
		if (len >= 7 && strncmp(p, "# TYPE ", 7) == 0) {
			sp = memchr(p + 7, ' ', len - 7);
			if (sp == NULL || !name_ok(p + 7, (size_t)(sp - p - 7)) ||
			    n_typed == FAMILIES_MAX)
				return line;
			if (!(strncmp(sp + 1, "counter\n", 8) == 0 ||
			    strncmp(sp + 1, "gauge\n", 6) == 0 ||
			    strncmp(sp + 1, "summary\n", 8) == 0 ||
			    strncmp(sp + 1, "histogram\n", 10) == 0 ||
			    strncmp(sp + 1, "untyped\n", 8) == 0))
				return line;
			snprintf(typed[n_typed], sizeof(typed[0]), "%.*s",
			    (int)(sp - p - 7), p + 7);
			for (i = 0; i < n_typed; i++)
				if (strcmp(typed[i], typed[n_typed]) == 0)
					return line;	/* typed twice */
			n_typed++;
			continue;
		}
		if (len >= 7 && strncmp(p, "# HELP ", 7) == 0)
			continue;
		if (len == 0 || p[0] == '#')
			return line;
		/* name{labels} value */
		for (q = p; q < nl && *q != '{' && *q != ' '; q++)
			;
		if (!name_ok(p, (size_t)(q - p)))
			return line;
		for (i = 0; i < n_typed; i++) {
			size_t tl = strlen(typed[i]);

			if (tl <= (size_t)(q - p) && strncmp(p, typed[i], tl) == 0 &&
			    (tl == (size_t)(q - p) || strncmp(p + tl, "_sum", 4) == 0 ||
			    strncmp(p + tl, "_count", 6) == 0 ||
			    strncmp(p + tl, "_bucket", 7) == 0))
				break;
		}
		if (i == n_typed)
			return line;		/* no TYPE before it */
		if (*q == '{') {
			q++;
			while (*q != '}') {
				const char *ln = q;

				while (q < nl && *q != '=')
					q++;
				if (!name_ok(ln, (size_t)(q - ln)) || q[1] != '"')
					return line;
				for (q += 2; q < nl && *q != '"'; q++)
					if (*q == '\\') {
						if (q[1] != '\\' && q[1] != '"' &&
						    q[1] != 'n')
							return line;
						q++;
					}
				if (q >= nl)
					return line;
				q++;
				if (*q == ',')
					q++;
				else if (*q != '}')
					return line;
			}
			q++;
		}
		if (*q != ' ')
			return line;
		strtod(q + 1, &end);
		if (end != nl || end == q + 1)
			return line;
		(*samples)++;
	}
	return 0;
}

static void
test_checker(void **state)
{
	static const struct {
		const char *text;
		int want;
	} cases[] = {
		{ "# TYPE a counter\na 1\n", 0 },
		{ "# TYPE a counter\na{x=\"y\",z=\"\\\"\"} 1.5e3\n", 0 },
		{ "a 1\n", 1 },
		{ "# TYPE a counter\na{x=y} 1\n", 2 },
		{ "# TYPE a counter\na 1", 2 },
		{ "# TYPE a counter\n# TYPE a gauge\n", 2 },
		{ "# TYPE a bogus\n", 1 },
		{ "# TYPE a counter\na x\n", 2 },
		{ "# TYPE s summary\ns_sum 1\ns_count 2\n", 0 },
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (check_exposition(cases[i].text, &n) != cases[i].want)
			fail_msg("case %zu: got %d want %d", i,
			    check_exposition(cases[i].text, &n), cases[i].want);
}

static void
test_metrics(void **state)
{
	struct api_reload rl = { 2, 1, T0, false, "bad" };
	struct api_http_stats hs = { .requests = 5, .by_class = { 0, 0, 4, 0, 1 } };
	struct api_daemon_stats ds = { .state_errors = 3, .feed_on = true,
		.feed_lines = 7, .feed_malformed = 1,
		.feed_last_line_us = T0 - 3 * SEC / 2, .feed_started_us = T0 };
	struct event_base *base = event_base_new();
	struct api_env env = { 0 };
	struct api_req req = { .method = "GET", .path = "/metrics", .peer = "p" };
	struct api_resp resp;
	struct policy_svc *ps;
	struct dns_svc *dns;
	struct history *h = history_new(0);
	char err[256];
	struct fx fx;
	size_t n;
	int bad;

	(void)state;
	fx_open(&fx, "state { dir = \"/x\"; }\n" FX_NETWORKS
	    "detection { enabled = true; }\n"
	    "limit \"m\" { key = \"customer\"; count = \"messages\"; "
	    "rate = \"1/1h\"; action = \"defer\"; }\n"
	    "zone \"bl.test\" { ns = [\"ns.test\"]; dataset \"d\" { type = \"detection\"; } }\n");
	ps = policy_svc_new(base, fx.e, err, sizeof(err));
	dns = dns_svc_new(base, fx.conf, err, sizeof(err));
	assert_non_null(ps);
	assert_non_null(dns);
	env.engine = fx.e;
	env.conf = fx.conf;
	env.policy = ps;
	env.dns = dns;
	env.history = h;
	env.reload = &rl;
	env.http = &hs;
	env.started_us = T0;
	env.daemon = &ds;
	fx_action(fx.e, T0, "protocol_state=RCPT sasl_username=a "
	    "client_address=198.51.100.1 recipient=x@y.org instance=1 "
	    "policy_context=submission");
	/* Over the limit m: one hit. */
	fx_action(fx.e, T0, "protocol_state=RCPT sasl_username=a "
	    "client_address=198.51.100.1 recipient=x@y.org instance=2 "
	    "policy_context=submission");
	assert_true(api_handle(&env, &req, T0 + SEC, &resp));
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type,
	    "text/plain; version=0.0.4; charset=utf-8");
	bad = check_exposition(resp.body, &n);
	if (bad != 0)
		fail_msg("line %d of:\n%s", bad, resp.body);
	assert_true(n > 20);
	assert_non_null(strstr(resp.body, "relayguard_detection_customers 1\n"));
	assert_non_null(strstr(resp.body, "relayguard_incidents_open 0\n"));
	assert_non_null(strstr(resp.body, "relayguard_reloads_total 2\n"));
	assert_non_null(strstr(resp.body, "relayguard_reload_failures_total 1\n"));
	assert_non_null(strstr(resp.body, "relayguard_limit_hits_total"
	    "{limit=\"m\",action=\"defer\"} 1\n"));
	assert_non_null(strstr(resp.body, "relayguard_policy_latency_seconds_bucket"
	    "{le=\"0.000025\"} 0\n"));
	assert_non_null(strstr(resp.body, "relayguard_policy_latency_seconds_bucket"
	    "{le=\"0.1\"} 0\n"));
	assert_non_null(strstr(resp.body, "relayguard_policy_latency_seconds_bucket"
	    "{le=\"+Inf\"} 0\n"));
	assert_non_null(strstr(resp.body, "relayguard_policy_latency_seconds_count 0\n"));
	assert_non_null(strstr(resp.body, "relayguard_dns_queries_total"
	    "{zone=\"bl.test\",rcode=\"NXDOMAIN\"} 0\n"));
	assert_non_null(strstr(resp.body, "relayguard_dns_queries_total"
	    "{zone=\"(none)\",rcode=\"REFUSED\"} 0\n"));
	assert_non_null(strstr(resp.body, "relayguard_state_errors_total 3\n"));
	assert_non_null(strstr(resp.body, "relayguard_state_fallback 0\n"));
	assert_non_null(strstr(resp.body, "relayguard_feed_lag_seconds 2.500\n"));
	assert_non_null(strstr(resp.body, "relayguard_feed_lines_total 7\n"));
	assert_non_null(strstr(resp.body, "relayguard_feed_malformed_total 1\n"));
	assert_non_null(strstr(resp.body, "relayguard_last_reload_success 0\n"));
	assert_non_null(strstr(resp.body, "relayguard_http_requests_total{code=\"2xx\"} 4\n"));
	assert_non_null(strstr(resp.body, "relayguard_dnsbl_entries{zone=\"bl.test\"} 0\n"));
	assert_non_null(strstr(resp.body, "relayguard_policy_requests_total"
	    "{action=\"dunno\",role=\"submission\"} 0\n"));
	assert_non_null(strstr(resp.body, "relayguard_policy_requests_total"
	    "{action=\"hold\",role=\"inbound\"} 0\n"));
	api_resp_fini(&resp);
	req.method = "POST";
	api_handle(&env, &req, T0, &resp);
	assert_int_equal(resp.status, 405);
	api_resp_fini(&resp);
	policy_svc_free(ps);
	dns_svc_free(dns);
	history_free(h);
	fx_close(&fx);
	event_base_free(base);
	(void)fx_usage;
	(void)fx_starts;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker),
		cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
