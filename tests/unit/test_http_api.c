/*
 * test_http_api.c - unit tests of the HTTP API as a pure function
 * (src/http/api.c and its handlers): routing, methods, the bearer token,
 * JSON errors, customers ranked by risk with filters and paging, the
 * manual hold, incidents and their release, DNSBL entries, lookups.
 * An engine on a fixed clock, a DNS service that never listens.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/event.h>

#include "engine/engine_api.h"
#include "engine/history.h"
#include "http/api.h"
#include "proto/ucl.h"
#include "svc/dns.h"
#include "test_engine_fx.h"

#define TOKEN "t0ken-for-tests"

static const char *conf_text =
    "state { dir = \"/nonexistent\"; }\n"
    FX_NETWORKS
    "limit \"msgs\" { key = \"customer\"; count = \"messages\"; "
    "rate = \"10/1h\"; action = \"defer\"; }\n"
    "detection { enabled = true; on_compromise = [\"hold\"]; }\n"
    "zone \"bl.example.test\" { ttl = 300; ns = [\"ns1.example.test\"]; "
    "dataset \"infected\" { type = \"detection\"; a = \"127.0.0.4\"; } }\n"
    "zone \"static.example.test\" { ns = [\"ns1.example.test\"]; "
    "dataset \"x\" { type = \"ip4set\"; file = \"/dev/null\"; } }\n";

struct tfx {
	struct fx fx;
	struct event_base *base;
	struct dns_svc *dns;
	struct history *hist;
	struct api_env env;
	int changes;
};

static void
on_change(void *ctx)
{
	((struct tfx *)ctx)->changes++;
}

static int
setup(void **state)
{
	struct tfx *t = calloc(1, sizeof(*t));
	char err[512];

	fx_open(&t->fx, conf_text);
	t->base = event_base_new();
	t->dns = dns_svc_new(t->base, t->fx.conf, err, sizeof(err));
	if (t->dns == NULL)
		fail_msg("dns_svc_new: %s", err);
	t->hist = history_new(16);
	t->env.engine = t->fx.e;
	t->env.conf = t->fx.conf;
	t->env.dns = t->dns;
	t->env.history = t->hist;
	t->env.token = TOKEN;
	t->env.started_us = T0;
	t->env.on_zone_change = on_change;
	t->env.change_ctx = t;
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tfx *t = *state;

	history_free(t->hist);
	dns_svc_free(t->dns);
	event_base_free(t->base);
	fx_close(&t->fx);
	free(t);
	return 0;
}

/* Call the API; target is "PATH" or "PATH?QUERY".  Returns the status. */
static int
call(struct tfx *t, const char *method, const char *target, const char *auth,
    const char *body, struct api_resp *resp)
{
	char path[1024];
	const char *q = strchr(target, '?');
	struct api_req req = { 0 };

	snprintf(path, sizeof(path), "%.*s", q ? (int)(q - target) :
	    (int)strlen(target), target);
	req.method = method;
	req.path = path;
	req.query = q ? q + 1 : NULL;
	req.authorization = auth;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.peer = "127.0.0.1:1";
	api_handle(&t->env, &req, T0 + 10 * MIN, resp);
	return resp->status;
}

/* The body must be JSON (an object) for every API answer. */
static void
assert_json(const struct api_resp *resp)
{
	struct ucl_doc *doc = NULL;

	assert_non_null(resp->body);
	assert_string_equal(resp->content_type, "application/json");
	assert_int_equal(resp->body[0], '{');
	assert_int_equal(ucl_parse(resp->body, resp->body_len, &doc, NULL), 0);
	ucl_doc_free(doc);
}

static void
test_routes(void **state)
{
	static const struct {
		const char *method, *target;
		bool auth;
		const char *body;
		int want;
	} cases[] = {
		{ "GET", "/api/v1/status", false, NULL, 200 },
		{ "HEAD", "/api/v1/status", false, NULL, 200 },
		{ "POST", "/api/v1/status", true, NULL, 405 },
		{ "GET", "/api/v1/customers", false, NULL, 200 },
		{ "DELETE", "/api/v1/customers", true, NULL, 405 },
		{ "GET", "/api/v1/customers/nobody", false, NULL, 404 },
		{ "GET", "/api/v1/customers/u1/hold", false, NULL, 405 },
		{ "GET", "/api/v1/incidents", false, NULL, 200 },
		{ "GET", "/api/v1/incidents/7", false, NULL, 404 },
		{ "GET", "/api/v1/incidents/x7", false, NULL, 404 },
		{ "GET", "/api/v1/incidents/7/release", false, NULL, 405 },
		{ "POST", "/api/v1/incidents/7/release", true, NULL, 404 },
		{ "GET", "/api/v1/zones", false, NULL, 200 },
		{ "GET", "/api/v1/zones/bl.example.test/entries", false, NULL, 200 },
		{ "GET", "/api/v1/zones/none.test/entries", false, NULL, 404 },
		{ "GET", "/api/v1/zones/static.example.test/entries", false, NULL, 404 },
		{ "PUT", "/api/v1/zones/bl.example.test/entries", true, NULL, 405 },
		{ "GET", "/api/v1/lookup?address=192.0.2.1", false, NULL, 200 },
		{ "GET", "/api/v1/lookup", false, NULL, 400 },
		{ "GET", "/api/v1/lookup?address=banana", false, NULL, 400 },
		{ "GET", "/api/v1/nothing", false, NULL, 404 },
		{ "GET", "/api/v2/status", false, NULL, 404 },
		{ "GET", "/api/v1/customers/a%2", false, NULL, 400 },
		{ "GET", "/api/v1/customers/a%00b", false, NULL, 400 },
		{ "GET", "/api/v1/a/b/c/d/e/f/g/h/i", false, NULL, 404 },
		{ "GET", "/api/v1/customers?limit=x", false, NULL, 400 },
		{ "GET", "/api/v1/customers?limit=100000", false, NULL, 400 },
		{ "GET", "/api/v1/customers?state=bogus", false, NULL, 400 },
		{ "GET", "/api/v1/incidents?state=bogus", false, NULL, 400 },
	};
	struct tfx *t = *state;
	struct api_resp resp;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = call(t, cases[i].method, cases[i].target,
		    cases[i].auth ? "Bearer " TOKEN : NULL, cases[i].body, &resp);

		if (got != cases[i].want)
			fail_msg("%s %s: got %d, want %d: %s", cases[i].method,
			    cases[i].target, got, cases[i].want, resp.body);
		assert_json(&resp);
		if (got == 405)
			assert_non_null(resp.allow);
		api_resp_fini(&resp);
	}
}

static void
test_not_api(void **state)
{
	struct tfx *t = *state;
	struct api_resp resp;
	struct api_req req = { .method = "GET", .path = "/index.html",
	    .peer = "p" };

	assert_false(api_handle(&t->env, &req, T0, &resp));
	assert_int_equal(resp.status, 404);
	api_resp_fini(&resp);
	req.path = "/metrics";
	assert_true(api_handle(&t->env, &req, T0, &resp));
	assert_int_equal(resp.status, 200);
	api_resp_fini(&resp);
}

static void
test_token(void **state)
{
	static const struct {
		const char *token, *header;
		bool want;
	} cases[] = {
		{ "abc", "Bearer abc", true },
		{ "abc", "bearer abc", true },
		{ "abc", "  Bearer   abc  ", true },
		{ "abc", "Bearer abcd", false },
		{ "abc", "Bearer ab", false },
		{ "abc", "Bearer ", false },
		{ "abc", "Basic abc", false },
		{ "abc", "abc", false },
		{ "abc", NULL, false },
		{ "", "Bearer ", false },
		{ NULL, "Bearer abc", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (api_token_ok(cases[i].token, cases[i].header) != cases[i].want)
			fail_msg("case %zu: token %s header %s", i,
			    cases[i].token ? cases[i].token : "(null)",
			    cases[i].header ? cases[i].header : "(null)");
}

static void
test_auth_required(void **state)
{
	static const char *const targets[] = {
		"/api/v1/customers/u1/hold", "/api/v1/customers/u1/unhold",
		"/api/v1/incidents/1/release",
		"/api/v1/zones/bl.example.test/entries",
	};
	struct tfx *t = *state;
	struct api_resp resp;
	size_t i;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		assert_int_equal(call(t, "POST", targets[i], NULL,
		    "{\"address\": \"192.0.2.1\"}", &resp), 401);
		assert_json(&resp);
		api_resp_fini(&resp);
		assert_int_equal(call(t, "POST", targets[i], "Bearer wrong",
		    "{\"address\": \"192.0.2.1\"}", &resp), 401);
		api_resp_fini(&resp);
	}
	assert_int_equal(call(t, "DELETE",
	    "/api/v1/zones/bl.example.test/entries?address=192.0.2.1", NULL,
	    NULL, &resp), 401);
	api_resp_fini(&resp);
	/* Without a configured token nothing may change. */
	t->env.token = NULL;
	assert_int_equal(call(t, "POST", "/api/v1/customers/u1/hold",
	    "Bearer ", NULL, &resp), 401);
	api_resp_fini(&resp);
	t->env.token = TOKEN;
	assert_int_equal(t->changes, 0);
}

static void
feed(struct tfx *t, const char *user, int n, int64_t at)
{
	char spec[256];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(spec, sizeof(spec), "protocol_state=RCPT "
		    "client_address=198.51.100.7 sasl_username=%s "
		    "recipient=r%d@example.org instance=%s.%d "
		    "policy_context=submission", user, i, user, i);
		fx_action(t->fx.e, at + i * SEC, spec);
	}
}

static void
test_customers_ranked(void **state)
{
	struct tfx *t = *state;
	struct api_resp resp;
	const char *a, *b, *c;

	feed(t, "low", 2, T0);
	feed(t, "high", 9, T0);
	feed(t, "mid", 5, T0);
	fx_action(t->fx.e, T0, "protocol_state=RCPT client_address=198.51.100.9 "
	    "recipient=x@example.org instance=ip.1 policy_context=relay");
	assert_int_equal(call(t, "GET", "/api/v1/customers", NULL, NULL, &resp), 200);
	assert_json(&resp);
	assert_non_null(strstr(resp.body, "\"total\":4"));
	a = strstr(resp.body, "\"customer\":\"high\"");
	b = strstr(resp.body, "\"customer\":\"mid\"");
	c = strstr(resp.body, "\"customer\":\"low\"");
	assert_true(a != NULL && b != NULL && c != NULL && a < b && b < c);
	assert_non_null(strstr(resp.body, "\"pressure\":0.9"));
	api_resp_fini(&resp);

	assert_int_equal(call(t, "GET", "/api/v1/customers?limit=1&offset=1",
	    NULL, NULL, &resp), 200);
	assert_non_null(strstr(resp.body, "\"customer\":\"mid\""));
	assert_null(strstr(resp.body, "\"customer\":\"high\""));
	api_resp_fini(&resp);

	assert_int_equal(call(t, "GET", "/api/v1/customers?q=ig", NULL, NULL,
	    &resp), 200);
	assert_non_null(strstr(resp.body, "\"total\":1"));
	api_resp_fini(&resp);

	assert_int_equal(call(t, "GET", "/api/v1/customers?network=business",
	    NULL, NULL, &resp), 200);
	assert_non_null(strstr(resp.body, "\"customer\":\"198.51.100.9\""));
	assert_non_null(strstr(resp.body, "\"total\":1"));
	api_resp_fini(&resp);

	assert_int_equal(call(t, "GET", "/api/v1/customers?state=incident",
	    NULL, NULL, &resp), 200);
	assert_non_null(strstr(resp.body, "\"total\":0"));
	api_resp_fini(&resp);

	assert_int_equal(call(t, "GET", "/api/v1/customers/high", NULL, NULL,
	    &resp), 200);
	assert_json(&resp);
	assert_non_null(strstr(resp.body, "\"name\":\"msgs\""));
	assert_non_null(strstr(resp.body, "\"used\":9"));
	assert_non_null(strstr(resp.body, "\"minutes\":{"));
	assert_non_null(strstr(resp.body, "\"hours\":{"));
	api_resp_fini(&resp);
}

static void
test_hold_release(void **state)
{
	struct tfx *t = *state;
	struct api_resp resp;

	feed(t, "bot", 3, T0);
	assert_int_equal(call(t, "POST", "/api/v1/customers/bot/hold",
	    "Bearer " TOKEN, NULL, &resp), 200);
	assert_json(&resp);
	assert_non_null(strstr(resp.body, "\"incident\":1"));
	api_resp_fini(&resp);
	assert_int_equal(call(t, "POST", "/api/v1/customers/bot/hold",
	    "Bearer " TOKEN, NULL, &resp), 409);
	api_resp_fini(&resp);
	assert_true(fx_starts(fx_action(t->fx.e, T0 + MIN,
	    "protocol_state=RCPT client_address=198.51.100.7 "
	    "sasl_username=bot recipient=q@example.org instance=bot.x "
	    "policy_context=submission"), "HOLD"));

	assert_int_equal(call(t, "GET", "/api/v1/customers?state=incident",
	    NULL, NULL, &resp), 200);
	assert_non_null(strstr(resp.body, "\"customer\":\"bot\""));
	api_resp_fini(&resp);
	assert_int_equal(call(t, "GET", "/api/v1/incidents?state=open", NULL,
	    NULL, &resp), 200);
	assert_json(&resp);
	assert_non_null(strstr(resp.body, "\"reason\":\"manual\""));
	api_resp_fini(&resp);
	assert_int_equal(call(t, "GET", "/api/v1/incidents/1", NULL, NULL,
	    &resp), 200);
	assert_non_null(strstr(resp.body, "\"instance\":\"bot.x\""));
	api_resp_fini(&resp);
	assert_int_equal(call(t, "GET", "/api/v1/customers/bot", NULL, NULL,
	    &resp), 200);
	assert_non_null(strstr(resp.body, "\"recent_messages\":[{\"queue_id\":\"\","
	    "\"instance\":\"bot.x\""));
	assert_non_null(strstr(resp.body, "\"held\":true"));
	api_resp_fini(&resp);

	assert_int_equal(call(t, "POST", "/api/v1/incidents/1/release",
	    "Bearer " TOKEN, NULL, &resp), 200);
	assert_json(&resp);
	assert_non_null(strstr(resp.body, "\"state\":\"released\""));
	api_resp_fini(&resp);
	assert_int_equal(call(t, "POST", "/api/v1/incidents/1/release",
	    "Bearer " TOKEN, NULL, &resp), 409);
	api_resp_fini(&resp);
	assert_int_equal(call(t, "POST", "/api/v1/customers/bot/unhold",
	    "Bearer " TOKEN, NULL, &resp), 404);
	api_resp_fini(&resp);
	assert_string_equal(fx_action(t->fx.e, T0 + 2 * MIN,
	    "protocol_state=RCPT client_address=198.51.100.7 "
	    "sasl_username=bot recipient=q2@example.org instance=bot.y "
	    "policy_context=submission"), "DUNNO");

	/* hold, then unhold */
	assert_int_equal(call(t, "POST", "/api/v1/customers/bot/hold",
	    "Bearer " TOKEN, NULL, &resp), 200);
	api_resp_fini(&resp);
	assert_int_equal(call(t, "POST", "/api/v1/customers/bot/unhold",
	    "Bearer " TOKEN, NULL, &resp), 200);
	assert_non_null(strstr(resp.body, "\"state\":\"released\""));
	api_resp_fini(&resp);
	assert_int_equal(call(t, "GET", "/api/v1/incidents?state=released",
	    NULL, NULL, &resp), 200);
	assert_non_null(strstr(resp.body, "\"total\":2"));
	api_resp_fini(&resp);
}

static void
test_zone_entries(void **state)
{
	static const struct {
		const char *body;
		int want;
	} adds[] = {
		{ "{\"address\": \"192.0.2.1\"}", 201 },
		{ "{\"address\": \"192.0.2.0/28\", \"ttl\": \"1h\", \"txt\": \"bad\"}", 201 },
		{ "{\"address\": \"2001:db8::/64\", \"ttl\": 600}", 201 },
		{ "{\"address\": \"192.0.2.1/24\"}", 400 },
		{ "{\"address\": \"127.0.0.1\"}", 400 },
		{ "{\"address\": \"nonsense\"}", 400 },
		{ "{\"address\": 5}", 400 },
		{ "{\"ttl\": \"1h\"}", 400 },
		{ "{\"address\": \"192.0.2.9\", \"ttl\": \"soon\"}", 400 },
		{ "{\"address\": \"192.0.2.9\", \"txt\": [1]}", 400 },
		{ "[\"192.0.2.9\"]", 400 },
		{ "{\"address\": ", 400 },
		{ "", 400 },
	};
	struct tfx *t = *state;
	struct api_resp resp;
	size_t i;

	for (i = 0; i < sizeof(adds) / sizeof(adds[0]); i++) {
		int got = call(t, "POST", "/api/v1/zones/bl.example.test/entries",
		    "Bearer " TOKEN, adds[i].body, &resp);

		if (got != adds[i].want)
			fail_msg("POST %s: got %d want %d: %s", adds[i].body, got,
			    adds[i].want, resp.body);
		assert_json(&resp);
		api_resp_fini(&resp);
	}
	assert_int_equal(t->changes, 3);
	assert_int_equal(call(t, "GET", "/api/v1/zones/bl.example.test/entries",
	    NULL, NULL, &resp), 200);
	assert_non_null(strstr(resp.body, "\"total\":3"));
	assert_non_null(strstr(resp.body, "\"address\":\"192.0.2.1\""));
	assert_non_null(strstr(resp.body, "\"address\":\"192.0.2.0/28\""));
	api_resp_fini(&resp);
	assert_int_equal(call(t, "GET", "/api/v1/lookup?address=192.0.2.3",
	    NULL, NULL, &resp), 200);
	assert_non_null(strstr(resp.body, "\"a\":\"127.0.0.4\""));
	assert_non_null(strstr(resp.body, "\"txt\":\"bad\""));
	api_resp_fini(&resp);
	assert_int_equal(call(t, "DELETE",
	    "/api/v1/zones/bl.example.test/entries?address=192.0.2.1",
	    "Bearer " TOKEN, NULL, &resp), 200);
	api_resp_fini(&resp);
	assert_int_equal(call(t, "DELETE",
	    "/api/v1/zones/bl.example.test/entries", "Bearer " TOKEN,
	    "{\"address\": \"192.0.2.1\"}", &resp), 404);
	api_resp_fini(&resp);
	assert_int_equal(call(t, "DELETE",
	    "/api/v1/zones/bl.example.test/entries", "Bearer " TOKEN,
	    "{\"address\": \"2001:db8::/64\"}", &resp), 200);
	api_resp_fini(&resp);
	assert_int_equal(t->changes, 5);
	assert_int_equal(call(t, "GET", "/api/v1/zones", NULL, NULL, &resp), 200);
	assert_non_null(strstr(resp.body, "\"entries\":1"));
	assert_non_null(strstr(resp.body, "\"editable\":false"));
	api_resp_fini(&resp);
}

static void
test_status(void **state)
{
	static const char *const listeners[] = { "policy 127.0.0.1:1", NULL };
	struct api_reload rl = { 3, 1, T0, false, "x.conf:3: bad" };
	struct tfx *t = *state;
	struct api_resp resp;

	t->env.listeners = listeners;
	t->env.reload = &rl;
	assert_int_equal(call(t, "GET", "/api/v1/status", NULL, NULL, &resp), 200);
	assert_json(&resp);
	assert_non_null(strstr(resp.body, "\"uptime_s\":600"));
	assert_non_null(strstr(resp.body, "\"policy 127.0.0.1:1\""));
	assert_non_null(strstr(resp.body, "\"reload_failures\":1"));
	assert_non_null(strstr(resp.body, "\"last_reload_error\":\"x.conf:3: bad\""));
	assert_non_null(strstr(resp.body, "\"dataset\":\"infected\""));
	api_resp_fini(&resp);
	t->env.reload = NULL;
	t->env.listeners = NULL;
}

static void
test_query(void **state)
{
	static const struct {
		const char *query, *name;
		int want;
		const char *value;
	} cases[] = {
		{ "a=1&b=2", "b", 1, "2" },
		{ "a=1&b=2", "c", -1, NULL },
		{ "q=a+b%20c", "q", 5, "a b c" },
		{ "q=%2F", "q", 1, "/" },
		{ "q=%zz", "q", ERR_MALFORMED, NULL },
		{ "q=%00", "q", ERR_MALFORMED, NULL },
		{ "q=%4", "q", ERR_MALFORMED, NULL },
		{ "q", "q", 0, "" },
		{ "qq=1&q=2", "q", 1, "2" },
		{ "q=0123456789abcdef", "q", ERR_TOOBIG, NULL },
		{ NULL, "q", -1, NULL },
	};
	char buf[16];
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = api_query_get(cases[i].query, cases[i].name, buf, sizeof(buf));
		if (got != cases[i].want)
			fail_msg("query %s: got %d want %d", cases[i].query, got,
			    cases[i].want);
		if (cases[i].value != NULL)
			assert_string_equal(buf, cases[i].value);
	}
}

int
main(void)
{
	(void)fx_usage;	/* a shared fixture these tests do not need */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_api, setup, teardown),
		cmocka_unit_test(test_token),
		cmocka_unit_test_setup_teardown(test_auth_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customers_ranked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zone_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
