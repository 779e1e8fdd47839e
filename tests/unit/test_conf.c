/*
 * test_conf.c - unit tests of the configuration loader (src/conf/).
 *
 * The full example of SPEC section 2 must load into the right values;
 * the same in JSON must load alike; the defaults are checked one by
 * one; every malformed case checks the exact "FILE:LINE: KEY:" prefix
 * of its message and a piece of the reason.  Files: the shipped
 * etc/relayguard.conf (the tests run from the repository root), a
 * missing file, a file over the size limit.  Allocation failure is
 * injected at every allocation of a load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "conf/conf_check.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

static const char spec_conf[] =
    "state {\n"
    "  backend = \"embedded\";          # \"embedded\" (default): in-process\n"
    "  dir = \"./var\";                 # survives kill -9: see section 7\n"
    "  # backend = \"redis\";\n"
    "  # redis { servers = [\"127.0.0.1:6379\"]; prefix = \"rg:\"; timeout = 50ms; }\n"
    "}\n"
    "\n"
    "listen {\n"
    "  policy = [\"127.0.0.1:10040\"];  # Postfix check_policy_service\n"
    "  dns    = [\"127.0.0.1:5353\"];   # UDP and TCP on each\n"
    "  http   = [\"127.0.0.1:8053\"];\n"
    "}\n"
    "\n"
    "http {\n"
    "  token_file = \"/etc/relayguard/api.token\";   # bearer token\n"
    "}\n"
    "\n"
    "# Address classes. Longest prefix wins; IPv4 and IPv6.\n"
    "network \"broadband\" { prefixes = [\"100.64.0.0/10\", \"2001:db8:100::/40\"]; require_auth = true; }\n"
    "network \"business\"  { prefixes = [\"198.51.100.0/24\"]; }\n"
    "network \"trusted\"   { prefixes = [\"127.0.0.0/8\", \"::1/128\"]; exempt = true; }\n"
    "\n"
    "# Who \"the customer\" is: the first attribute present wins.\n"
    "customer_key = [\"sasl_username\", \"client_address\"];\n"
    "\n"
    "limit \"msgs_per_hour\" {\n"
    "  key = \"customer\";            # customer | sasl_username | ...\n"
    "  count = \"messages\";          # messages | recipients | bytes\n"
    "                               # | distinct_recipients | ...\n"
    "  rate = \"200/1h\";\n"
    "  burst = 50;                  # optional\n"
    "  action = \"defer\";            # defer | hold | reject | warn\n"
    "  networks = [\"broadband\", \"business\"];   # optional\n"
    "}\n"
    "\n"
    "detection {\n"
    "  enabled = true;\n"
    "  on_compromise = [\"hold\", \"list\"];   # hold | reject | list | notify\n"
    "  notify_command = \"/usr/local/bin/page-abuse-desk\";  # incident JSON\n"
    "}\n"
    "\n"
    "feed {\n"
    "  maillog = \"/var/log/mail.log\";      # follow Postfix's log\n"
    "  # syslog = \"unix:/run/relayguard/syslog\";\n"
    "}\n"
    "\n"
    "zone \"bl.example.test\" {\n"
    "  ttl = 300;\n"
    "  ns = [\"ns1.isp.example\"];            # apex NS\n"
    "  allow_transfer = [\"192.0.2.53\"];     # AXFR to these secondaries only\n"
    "  dataset \"infected\" { type = \"detection\"; a = \"127.0.0.4\"; txt = \"$ is infected and sent spam\"; }\n"
    "  dataset \"policy\"   { type = \"ip4trie\"; file = \"etc/pbl.rbl\"; }   # ip4set | ...\n"
    "}\n";

static const char spec_json[] =
    "{\n"
    " \"state\": {\"backend\": \"embedded\", \"dir\": \"./var\"},\n"
    " \"listen\": {\"policy\": [\"127.0.0.1:10040\"], \"dns\": [\"127.0.0.1:5353\"],"
    " \"http\": [\"127.0.0.1:8053\"]},\n"
    " \"http\": {\"token_file\": \"/etc/relayguard/api.token\"},\n"
    " \"network\": {\n"
    "  \"broadband\": {\"prefixes\": [\"100.64.0.0/10\", \"2001:db8:100::/40\"],"
    " \"require_auth\": true},\n"
    "  \"business\": {\"prefixes\": [\"198.51.100.0/24\"]},\n"
    "  \"trusted\": {\"prefixes\": [\"127.0.0.0/8\", \"::1/128\"], \"exempt\": true}\n"
    " },\n"
    " \"customer_key\": [\"sasl_username\", \"client_address\"],\n"
    " \"limit\": {\"msgs_per_hour\": {\"key\": \"customer\", \"count\": \"messages\","
    " \"rate\": \"200/1h\", \"burst\": 50, \"action\": \"defer\","
    " \"networks\": [\"broadband\", \"business\"]}},\n"
    " \"detection\": {\"enabled\": true, \"on_compromise\": [\"hold\", \"list\"],"
    " \"notify_command\": \"/usr/local/bin/page-abuse-desk\"},\n"
    " \"feed\": {\"maillog\": \"/var/log/mail.log\"},\n"
    " \"zone\": {\"bl.example.test\": {\"ttl\": 300, \"ns\": [\"ns1.isp.example\"],"
    " \"allow_transfer\": [\"192.0.2.53\"], \"dataset\": {"
    " \"infected\": {\"type\": \"detection\", \"a\": \"127.0.0.4\","
    " \"txt\": \"$ is infected and sent spam\"},"
    " \"policy\": {\"type\": \"ip4trie\", \"file\": \"etc/pbl.rbl\"}}}}\n"
    "}\n";

static struct conf *
load(const char *text)
{
	char err[CONF_ERR_MAX];
	struct conf *c;
	int rc = conf_load_text("t.conf", text, strlen(text), &c, err, sizeof(err));

	if (rc != 0)
		fail_msg("load failed: rc %d: %s", rc, err);
	return c;
}

static void
assert_prefix(const struct ipprefix *p, const char *want)
{
	char buf[IPPREFIX_STRLEN];

	ipprefix_format(p, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* The values of SPEC section 2's example, however written. */
static void
check_spec_values(const struct conf *c)
{
	const struct conf_zone *z;

	assert_int_equal(c->state_backend, CONF_BACKEND_EMBEDDED);
	assert_string_equal(c->state_dir, "./var");
	assert_int_equal(c->redis_servers.n, 0);
	assert_string_equal(c->redis_prefix, "rg:");
	assert_int_equal(c->redis_timeout_ms, 50);

	assert_int_equal(c->listen_policy.n, 1);
	assert_string_equal(c->listen_policy.v[0], "127.0.0.1:10040");
	assert_int_equal(c->listen_dns.n, 1);
	assert_string_equal(c->listen_dns.v[0], "127.0.0.1:5353");
	assert_int_equal(c->listen_http.n, 1);
	assert_string_equal(c->listen_http.v[0], "127.0.0.1:8053");

	assert_string_equal(c->http_token_file, "/etc/relayguard/api.token");
	assert_null(c->http_token);

	assert_int_equal(c->n_networks, 3);
	assert_string_equal(c->networks[0].name, "broadband");
	assert_int_equal(c->networks[0].n_prefixes, 2);
	assert_prefix(&c->networks[0].prefixes[0], "100.64.0.0/10");
	assert_prefix(&c->networks[0].prefixes[1], "2001:db8:100::/40");
	assert_true(c->networks[0].require_auth);
	assert_false(c->networks[0].exempt);
	assert_string_equal(c->networks[1].name, "business");
	assert_int_equal(c->networks[1].n_prefixes, 1);
	assert_prefix(&c->networks[1].prefixes[0], "198.51.100.0/24");
	assert_false(c->networks[1].require_auth);
	assert_false(c->networks[1].exempt);
	assert_string_equal(c->networks[2].name, "trusted");
	assert_prefix(&c->networks[2].prefixes[0], "127.0.0.0/8");
	assert_prefix(&c->networks[2].prefixes[1], "::1/128");
	assert_true(c->networks[2].exempt);

	assert_int_equal(c->customer_key.n, 2);
	assert_string_equal(c->customer_key.v[0], "sasl_username");
	assert_string_equal(c->customer_key.v[1], "client_address");

	assert_int_equal(c->n_limits, 1);
	assert_string_equal(c->limits[0].name, "msgs_per_hour");
	assert_int_equal(c->limits[0].key, CONF_LIMIT_KEY_CUSTOMER);
	assert_int_equal(c->limits[0].count, CONF_COUNT_MESSAGES);
	assert_int_equal(c->limits[0].rate_count, 200);
	assert_int_equal(c->limits[0].rate_period_ms, 3600000);
	assert_int_equal(c->limits[0].burst, 50);
	assert_int_equal(c->limits[0].action, CONF_ACTION_DEFER);
	assert_int_equal(c->limits[0].n_networks, 2);
	assert_int_equal(c->limits[0].networks[0], 0);
	assert_int_equal(c->limits[0].networks[1], 1);

	assert_string_equal(c->policy_default_action, "DUNNO");
	assert_int_equal(c->policy_time_budget_ms, 100);
	assert_int_equal(c->policy_ipv6_customer_prefix, 64);
	assert_null(c->policy_overrides);
	assert_int_equal(c->policy_instance_ttl_ms, 3600000);

	assert_true(c->detection_enabled);
	assert_int_equal(c->detection_on_compromise, CONF_ON_HOLD | CONF_ON_LIST);
	assert_string_equal(c->detection_notify_command,
	    "/usr/local/bin/page-abuse-desk");

	assert_string_equal(c->feed_maillog, "/var/log/mail.log");
	assert_null(c->feed_syslog);

	assert_int_equal(c->n_zones, 1);
	z = &c->zones[0];
	assert_string_equal(z->name, "bl.example.test");
	assert_int_equal(z->ttl_s, 300);
	assert_int_equal(z->ns.n, 1);
	assert_string_equal(z->ns.v[0], "ns1.isp.example");
	assert_null(z->soa);
	assert_int_equal(z->allow_transfer.n, 1);
	assert_string_equal(z->allow_transfer.v[0], "192.0.2.53");
	assert_int_equal(z->n_datasets, 2);
	assert_string_equal(z->datasets[0].name, "infected");
	assert_string_equal(z->datasets[0].type, "detection");
	assert_string_equal(z->datasets[0].a, "127.0.0.4");
	assert_string_equal(z->datasets[0].txt, "$ is infected and sent spam");
	assert_null(z->datasets[0].file);
	assert_string_equal(z->datasets[1].name, "policy");
	assert_string_equal(z->datasets[1].type, "ip4trie");
	assert_string_equal(z->datasets[1].file, "etc/pbl.rbl");
	assert_null(z->datasets[1].a);
	assert_null(z->datasets[1].txt);

	assert_null(c->user);
}

static void
test_spec_example(void **state)
{
	struct conf *c = load(spec_conf);

	(void)state;
	check_spec_values(c);
	assert_string_equal(c->path, "t.conf");
	/* Lines are kept for later messages. */
	assert_int_equal(c->networks[0].line, 19);
	assert_int_equal(c->limits[0].line, 26);
	assert_int_equal(c->zones[0].line, 47);
	assert_int_equal(c->zones[0].datasets[1].line, 52);
	conf_free(c);
}

static void
test_spec_json(void **state)
{
	struct conf *c = load(spec_json);

	(void)state;
	check_spec_values(c);
	conf_free(c);
}

static void
test_defaults(void **state)
{
	struct conf *c = load("");

	(void)state;
	assert_int_equal(c->state_backend, CONF_BACKEND_EMBEDDED);
	assert_string_equal(c->state_dir, "./var");
	assert_string_equal(c->redis_prefix, "rg:");
	assert_int_equal(c->redis_timeout_ms, 50);
	assert_int_equal(c->listen_policy.n, 1);
	assert_string_equal(c->listen_policy.v[0], "127.0.0.1:10040");
	assert_int_equal(c->listen_dns.n, 0);
	assert_int_equal(c->listen_http.n, 0);
	assert_null(c->http_token_file);
	assert_null(c->http_token);
	assert_int_equal(c->n_networks, 0);
	assert_int_equal(c->customer_key.n, 2);
	assert_string_equal(c->customer_key.v[0], "sasl_username");
	assert_string_equal(c->customer_key.v[1], "client_address");
	assert_int_equal(c->n_limits, 0);
	assert_string_equal(c->policy_default_action, "DUNNO");
	assert_int_equal(c->policy_time_budget_ms, 100);
	assert_int_equal(c->policy_ipv6_customer_prefix, 64);
	assert_int_equal(c->policy_instance_ttl_ms, 3600000);
	assert_false(c->detection_enabled);
	assert_int_equal(c->detection_on_compromise, CONF_ON_HOLD);
	assert_null(c->detection_notify_command);
	assert_true(c->detection_alpha == 0.001);
	assert_true(c->detection_beta == 0.01);
	assert_int_equal(c->detection_min_messages, 1);
	assert_null(c->feed_maillog);
	assert_int_equal(c->n_zones, 0);
	assert_null(c->user);
	conf_free(c);

	/* Defaults inside sections. */
	c = load("network n { prefixes = 10.0.0.0/8 }\n"
	    "limit l { rate = 10/1m }\nzone z.test { dataset d { type = detection } }");
	assert_false(c->networks[0].require_auth);
	assert_false(c->networks[0].exempt);
	assert_int_equal(c->limits[0].key, CONF_LIMIT_KEY_CUSTOMER);
	assert_int_equal(c->limits[0].count, CONF_COUNT_MESSAGES);
	assert_int_equal(c->limits[0].burst, 0);
	assert_int_equal(c->limits[0].action, CONF_ACTION_DEFER);
	assert_int_equal(c->limits[0].n_networks, 0);
	assert_int_equal(c->zones[0].ttl_s, 300);
	assert_int_equal(c->zones[0].ns.n, 0);
	assert_null(c->zones[0].datasets[0].a);
	conf_free(c);
}

static void
test_values(void **state)
{
	struct conf *c;

	(void)state;
	/* UCL habits: bare atoms, single scalars for lists, yes/on. */
	c = load("state { backend = redis; redis { servers = \"10.0.0.1:6379\"; "
	    "prefix = \"\"; timeout = 2s } }\n"
	    "listen { policy = unix:/run/rg/policy; dns = \"[::1]:53\"; "
	    "http = [\"localhost:8053\", \"unix:/run/rg/http\"] }\n"
	    "http { token = \"s3cret\" }\n"
	    "network a { prefixes = \"::ffff:10.0.0.0/104\"; require_auth = yes; "
	    "exempt = off }\n"
	    "network b { prefixes = [192.0.2.1]; require_auth = \"TRUE\" }\n"
	    "customer_key = sender\n"
	    "limit r { key = sender_domain; count = distinct_recipient_domains; "
	    "rate = 10/d; burst = 4294967295; action = warn; networks = b }\n"
	    "limit s { key = client_address; count = bytes; rate = 1/30s; "
	    "action = reject }\n"
	    "limit t { key = sasl_username; count = distinct_client_addresses; "
	    "rate = 5/h; action = hold }\n"
	    "limit u { key = sender; count = distinct_recipients; rate = 1/1ms }\n"
	    "limit v { count = recipients; rate = 1/1w }\n"
	    "policy { default_action = \"DEFER_IF_PERMIT 4.7.1 try later\"; "
	    "time_budget = 1s; ipv6_customer_prefix = 0; overrides = "
	    "etc/overrides.map; instance_ttl = 1d }\n"
	    "detection { enabled = on; on_compromise = [reject, list, notify]; "
	    "notify_command = /bin/true; alpha = 1e-4; beta = \"0.05\"; "
	    "min_messages = 3; utc_offset = \"-05:30\" }\n"
	    "feed { syslog = \"unix:/run/rg/syslog\" }\n"
	    "zone \"BL.Example.TEST.\" { ttl = 5m; soa = \"ns1.x.test hostmaster.x.test\"; "
	    "allow_transfer = [\"192.0.2.0/24\", \"2001:db8::53\"]; "
	    "dataset d6 { type = ip6trie; file = d6.rbl } "
	    "dataset dn { type = dnset; file = dn.rbl } "
	    "dataset s4 { type = ip4set; file = s4.rbl } }\n"
	    "zone z2.test { ttl = 0; soa = \"a.test b.test 1 2 3 4 5\" }\n"
	    "user = relayguard\n");
	assert_int_equal(c->state_backend, CONF_BACKEND_REDIS);
	assert_int_equal(c->redis_servers.n, 1);
	assert_string_equal(c->redis_prefix, "");
	assert_int_equal(c->redis_timeout_ms, 2000);
	assert_string_equal(c->listen_policy.v[0], "unix:/run/rg/policy");
	assert_string_equal(c->listen_dns.v[0], "[::1]:53");
	assert_int_equal(c->listen_http.n, 2);
	assert_string_equal(c->http_token, "s3cret");
	assert_prefix(&c->networks[0].prefixes[0], "10.0.0.0/8");
	assert_true(c->networks[0].require_auth);
	assert_false(c->networks[0].exempt);
	assert_prefix(&c->networks[1].prefixes[0], "192.0.2.1/32");
	assert_true(c->networks[1].require_auth);
	assert_int_equal(c->customer_key.n, 1);
	assert_string_equal(c->customer_key.v[0], "sender");
	assert_int_equal(c->n_limits, 5);
	assert_int_equal(c->limits[0].key, CONF_LIMIT_KEY_SENDER_DOMAIN);
	assert_int_equal(c->limits[0].count, CONF_COUNT_DISTINCT_RECIPIENT_DOMAINS);
	assert_int_equal(c->limits[0].rate_count, 10);
	assert_int_equal(c->limits[0].rate_period_ms, 86400000);
	assert_int_equal(c->limits[0].burst, 4294967295u);
	assert_int_equal(c->limits[0].action, CONF_ACTION_WARN);
	assert_int_equal(c->limits[0].n_networks, 1);
	assert_int_equal(c->limits[0].networks[0], 1);
	assert_int_equal(c->limits[1].key, CONF_LIMIT_KEY_CLIENT_ADDRESS);
	assert_int_equal(c->limits[1].count, CONF_COUNT_BYTES);
	assert_int_equal(c->limits[1].rate_period_ms, 30000);
	assert_int_equal(c->limits[1].action, CONF_ACTION_REJECT);
	assert_int_equal(c->limits[2].key, CONF_LIMIT_KEY_SASL_USERNAME);
	assert_int_equal(c->limits[2].count, CONF_COUNT_DISTINCT_CLIENT_ADDRESSES);
	assert_int_equal(c->limits[2].action, CONF_ACTION_HOLD);
	assert_int_equal(c->limits[3].key, CONF_LIMIT_KEY_SENDER);
	assert_int_equal(c->limits[3].count, CONF_COUNT_DISTINCT_RECIPIENTS);
	assert_int_equal(c->limits[3].rate_period_ms, 1);
	assert_int_equal(c->limits[4].count, CONF_COUNT_RECIPIENTS);
	assert_int_equal(c->limits[4].rate_period_ms, 7 * 86400000ull);
	assert_string_equal(c->policy_default_action,
	    "DEFER_IF_PERMIT 4.7.1 try later");
	assert_int_equal(c->policy_time_budget_ms, 1000);
	assert_int_equal(c->policy_ipv6_customer_prefix, 0);
	assert_string_equal(c->policy_overrides, "etc/overrides.map");
	assert_int_equal(c->policy_instance_ttl_ms, 86400000);
	assert_true(c->detection_enabled);
	assert_int_equal(c->detection_on_compromise,
	    CONF_ON_REJECT | CONF_ON_LIST | CONF_ON_NOTIFY);
	assert_true(c->detection_alpha == 1e-4);
	assert_true(c->detection_beta == 0.05);
	assert_int_equal(c->detection_min_messages, 3);
	assert_int_equal(c->detection_utc_offset_s, -(5 * 3600 + 30 * 60));
	assert_string_equal(c->feed_syslog, "unix:/run/rg/syslog");
	assert_string_equal(c->zones[0].name, "bl.example.test");
	assert_int_equal(c->zones[0].ttl_s, 300);
	assert_string_equal(c->zones[0].soa, "ns1.x.test hostmaster.x.test");
	assert_int_equal(c->zones[0].n_datasets, 3);
	assert_int_equal(c->zones[1].ttl_s, 0);
	assert_string_equal(c->user, "relayguard");
	conf_free(c);

	/* Quoted booleans, a top level in braces, comments everywhere. */
	c = load("{ /* a */ detection { enabled = \"true\" } // b\n }");
	assert_true(c->detection_enabled);
	conf_free(c);
	/* A postmaster's default_action choices. */
	c = load("policy { default_action = \"450 4.7.1 try again\" }");
	conf_free(c);
	c = load("policy { default_action = \"prepend X-Relayguard: failed\" }");
	conf_free(c);
	c = load("policy { default_action = \"OK\" }");
	conf_free(c);
	c = load("policy { default_action = \"reject\" }");
	conf_free(c);
}

/* ---- malformed configurations ---- */

static const struct {
	const char *name;
	const char *text;
	int rc;
	const char *prefix;	/* exact start of the message */
	const char *reason;	/* a piece of the rest */
} bad_cases[] = {
	{ "syntax", "state {\n dir = \"x\n}", ERR_MALFORMED,
	  "t.conf:2: syntax error: ", "newline" },
	/* fuzz/corpus/fuzz_conf/crash-d0d5...: a key's \n in a message. */
	{ "syntax key with newline", "{\"list\\n\";\xeb", ERR_MALFORMED,
	  "t.conf:1: syntax error: ", "key \"list?\" has no value" },
	{ "limit network newline", "limit l { rate = 1/h; networks = \"a\\nb\" }",
	  ERR_INVAL, "t.conf:1: limit.l.networks: ", "no network named \"a?b\"" },
	{ "unix path newline", "listen { policy = \"unix:/a\\nb\" }", ERR_INVAL,
	  "t.conf:1: listen.policy: ", "control character" },
	{ "unknown root key", "bogus = 1", ERR_INVAL, "t.conf:1: bogus: ",
	  "unknown key (known here: state, listen, http, network, customer_key" },
	{ "dotted key", "\"state.dir\" = x", ERR_INVAL, "t.conf:1: state.dir: ",
	  "unknown key" },
	{ "key reaching another scope", "\"limit.*.rate\" = \"1/h\"", ERR_INVAL,
	  "t.conf:1: limit.*.rate: ", "unknown key" },
	{ "star key", "network a { \"*\" = 1 }", ERR_INVAL,
	  "t.conf:1: network.a.*: ", "unknown key" },
	{ "unknown nested key", "state {\n  bakend = x\n}", ERR_INVAL,
	  "t.conf:2: state.bakend: ", "known here: backend, dir, redis" },
	{ "unknown section key", "network a {\n prefixes = 10.0.0.0/8\n "
	  "auth = 1 }", ERR_INVAL, "t.conf:3: network.a.auth: ",
	  "known here: prefixes, require_auth, exempt" },
	{ "unknown dataset key", "zone z { dataset d { type = detection; x = 1 } }",
	  ERR_INVAL, "t.conf:1: zone.z.dataset.d.x: ", "known here: type, a, txt, file" },
	{ "given twice", "state {\n dir = a\n dir = b\n}", ERR_INVAL,
	  "t.conf:3: state.dir: ", "given twice (first at line 2)" },
	{ "block twice", "state {}\nstate {}", ERR_INVAL, "t.conf:2: state: ",
	  "given twice" },
	{ "block not block", "state = 1", ERR_INVAL, "t.conf:1: state: ",
	  "expects a block" },
	{ "block is array", "listen = [1]", ERR_INVAL, "t.conf:1: listen: ",
	  "not an array" },
	{ "string is block", "state { dir { } }", ERR_INVAL, "t.conf:1: state.dir: ",
	  "expects a string, not a block" },
	{ "string is array", "user = [a]", ERR_INVAL, "t.conf:1: user: ",
	  "expects a string, not an array" },
	{ "empty string", "state { dir = \"\" }", ERR_INVAL, "t.conf:1: state.dir: ",
	  "must not be empty" },
	{ "nul byte", "user = \"a\\u0000b\"", ERR_INVAL, "t.conf:1: user: ",
	  "NUL byte" },
	{ "bad backend", "state { backend = mysql }", ERR_INVAL,
	  "t.conf:1: state.backend: ", "\"mysql\" is not one of embedded | redis" },
	{ "redis without servers", "state {\n backend = redis\n}", ERR_INVAL,
	  "t.conf:2: state.redis.servers: ", "missing" },
	{ "bad redis server", "state { redis { servers = [\"x\"] } }", ERR_INVAL,
	  "t.conf:1: state.redis.servers: ", "want HOST:PORT" },
	{ "redis timeout zero", "state { redis { timeout = 0 } }", ERR_INVAL,
	  "t.conf:1: state.redis.timeout: ", "out of range (1ms to 1m)" },
	{ "redis timeout words", "state { redis { timeout = fast } }", ERR_INVAL,
	  "t.conf:1: state.redis.timeout: ", "not a duration" },
	{ "port zero", "listen { policy = \"127.0.0.1:0\" }", ERR_INVAL,
	  "t.conf:1: listen.policy: ", "port" },
	{ "port too big", "listen { policy = \"127.0.0.1:65536\" }", ERR_INVAL,
	  "t.conf:1: listen.policy: ", "port" },
	{ "port huge", "listen { policy = \"127.0.0.1:99999999999999999999\" }",
	  ERR_INVAL, "t.conf:1: listen.policy: ", "port" },
	{ "port missing", "listen { policy = \"127.0.0.1:\" }", ERR_INVAL,
	  "t.conf:1: listen.policy: ", "port" },
	{ "port letters", "listen { policy = \"127.0.0.1:smtp\" }", ERR_INVAL,
	  "t.conf:1: listen.policy: ", "port" },
	{ "no port", "listen { policy = \"127.0.0.1\" }", ERR_INVAL,
	  "t.conf:1: listen.policy: ", "want HOST:PORT" },
	{ "no host", "listen { policy = \":25\" }", ERR_INVAL,
	  "t.conf:1: listen.policy: ", "no host" },
	{ "bad host", "listen { policy = \"a b:25\" }", ERR_INVAL,
	  "t.conf:1: listen.policy: ", "not an IPv4 address or host name" },
	{ "v6 without brackets", "listen { dns = \"::1:53\" }", ERR_INVAL,
	  "t.conf:1: listen.dns: ", "brackets" },
	{ "v4 in brackets", "listen { dns = \"[1.2.3.4]:53\" }", ERR_INVAL,
	  "t.conf:1: listen.dns: ", "not an IPv6 address" },
	{ "brackets no port", "listen { dns = \"[::1]\" }", ERR_INVAL,
	  "t.conf:1: listen.dns: ", "want [IPv6]:PORT" },
	{ "dns on unix", "listen { dns = \"unix:/x\" }", ERR_INVAL,
	  "t.conf:1: listen.dns: ", "cannot be a unix socket" },
	{ "unix no path", "listen { http = \"unix:\" }", ERR_INVAL,
	  "t.conf:1: listen.http: ", "no path" },
	{ "unix path too long", "listen { http = \"unix:/"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" }",
	  ERR_INVAL, "t.conf:1: listen.http: ", "at most 107 bytes" },
	{ "listen twice", "listen {\n policy = \"127.0.0.1:1\"\n http = "
	  "\"127.0.0.1:1\"\n}", ERR_INVAL, "t.conf:3: listen.http: ",
	  "127.0.0.1:1 is also in listen.policy" },
	{ "listen same twice", "listen {\n policy = [\"127.0.0.1:1\", "
	  "\"127.0.0.1:1\"]\n}", ERR_INVAL, "t.conf:2: listen.policy: ",
	  "also in listen.policy" },
	{ "listen block", "listen { policy { } }", ERR_INVAL,
	  "t.conf:1: listen.policy: ", "expects a list" },
	{ "listen nested list", "listen { policy = [[\"a:1\"]] }", ERR_INVAL,
	  "t.conf:1: listen.policy: ", "expects strings in the list" },
	{ "listen empty item", "listen { policy = [\"\"] }", ERR_INVAL,
	  "t.conf:1: listen.policy: ", "empty string" },
	{ "token and file", "http {\n token_file = x\n token = y\n}", ERR_INVAL,
	  "t.conf:3: http.token: ", "not both" },
	{ "path control char", "feed { maillog = \"a\\tb\" }", ERR_INVAL,
	  "t.conf:1: feed.maillog: ", "control character" },
	{ "bad syslog", "feed { syslog = \"/dev/log\" }", ERR_INVAL,
	  "t.conf:1: feed.syslog: ", "want HOST:PORT" },
	{ "named not block", "network = 5", ERR_INVAL, "t.conf:1: network: ",
	  "expects named blocks" },
	{ "named empty", "network { }", ERR_INVAL, "t.conf:1: network: ",
	  "expects named blocks" },
	{ "named child not block", "network {\n prefixes = [\"1.2.3.4\"]\n}",
	  ERR_INVAL, "t.conf:2: network.prefixes: ",
	  "not a block; write network \"NAME\"" },
	{ "network no prefixes", "network \"a\" { require_auth = true }",
	  ERR_INVAL, "t.conf:1: network.a.prefixes: ", "missing" },
	{ "network empty prefixes", "network \"a\" { prefixes = [] }",
	  ERR_INVAL, "t.conf:1: network.a.prefixes: ", "missing" },
	{ "network host bits", "network \"a\" { prefixes = [\"10.0.0.1/8\"] }",
	  ERR_INVAL, "t.conf:1: network.a.prefixes: ", "host bits" },
	{ "network bad prefix", "network \"a\" { prefixes = [\"10.0.0.0/33\"] }",
	  ERR_INVAL, "t.conf:1: network.a.prefixes: ", "not an IP address or prefix" },
	{ "network dup name", "network a { prefixes = 10.0.0.0/8 }\n"
	  "network a { prefixes = 11.0.0.0/8 }", ERR_INVAL, "t.conf:2: network.a: ",
	  "already defined at line 1" },
	{ "network prefix in two", "network a { prefixes = 10.0.0.0/8 }\n"
	  "network b { prefixes = [\"11.0.0.0/8\", \"10.0.0.0/8\"] }", ERR_INVAL,
	  "t.conf:2: network.b.prefixes: ", "10.0.0.0/8 is also in network \"a\" "
	  "(line 1)" },
	{ "network prefix twice", "network a { prefixes = [\"::/0\", \"::/0\"] }",
	  ERR_INVAL, "t.conf:1: network.a.prefixes: ", "::/0 is listed twice" },
	{ "network bad name", "network \"a b\" { prefixes = 10.0.0.0/8 }",
	  ERR_INVAL, "t.conf:1: network.a b: ", "only letters" },
	{ "network long name", "network "
	  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" "
	  "{ prefixes = 10.0.0.0/8 }", ERR_INVAL, "t.conf:1: network.", "1 to 63 bytes" },
	{ "network empty name", "network \"\" { prefixes = 10.0.0.0/8 }",
	  ERR_INVAL, "t.conf:1: network.: ", "1 to 63 bytes" },
	{ "bad bool", "network a { prefixes = 10.0.0.0/8; require_auth = maybe }",
	  ERR_INVAL, "t.conf:1: network.a.require_auth: ", "not a boolean" },
	{ "bool list", "detection { enabled = [true] }", ERR_INVAL,
	  "t.conf:1: detection.enabled: ", "expects true or false" },
	{ "alpha too big", "detection { alpha = 0.5 }", ERR_INVAL,
	  "t.conf:1: detection.alpha: ", "above 0 and below 0.5" },
	{ "beta zero", "detection { beta = 0 }", ERR_INVAL,
	  "t.conf:1: detection.beta: ", "\"0\" is not a number" },
	{ "alpha word", "detection { alpha = low }", ERR_INVAL,
	  "t.conf:1: detection.alpha: ", "\"low\" is not a number" },
	{ "offset form", "detection { utc_offset = 1 }", ERR_INVAL,
	  "t.conf:1: detection.utc_offset: ", "not an offset such as" },
	{ "offset range", "detection { utc_offset = \"+14:30\" }", ERR_INVAL,
	  "t.conf:1: detection.utc_offset: ", "outside -14:00 to +14:00" },
	{ "offset minutes", "detection { utc_offset = \"+01:60\" }", ERR_INVAL,
	  "t.conf:1: detection.utc_offset: ", "outside -14:00 to +14:00" },
	{ "alpha list", "detection { alpha = [0.1] }", ERR_INVAL,
	  "t.conf:1: detection.alpha: ", "expects a number" },
	{ "min_messages zero", "detection { min_messages = 0 }", ERR_INVAL,
	  "t.conf:1: detection.min_messages: ", "from 1 to 1000" },
	{ "customer_key bad", "customer_key = [\"sasl_username\", \"login\"]",
	  ERR_INVAL, "t.conf:1: customer_key: ", "\"login\": not a policy attribute" },
	{ "customer_key empty", "customer_key = []", ERR_INVAL,
	  "t.conf:1: customer_key: ", "at least one" },
	{ "customer_key twice", "customer_key = [sender, sender]", ERR_INVAL,
	  "t.conf:1: customer_key: ", "sender is named twice" },
	{ "limit no rate", "limit \"l\" {\n action = warn\n}", ERR_INVAL,
	  "t.conf:1: limit.l.rate: ", "missing" },
	{ "limit rate no slash", "limit l {\n rate = 200\n}", ERR_INVAL,
	  "t.conf:2: limit.l.rate: ", "not a rate" },
	{ "limit rate zero", "limit l { rate = 0/1h }", ERR_INVAL,
	  "t.conf:1: limit.l.rate: ", "out of range" },
	{ "limit rate too long", "limit l { rate = 1/99999d }", ERR_INVAL,
	  "t.conf:1: limit.l.rate: ", "out of range" },
	{ "limit rate unit", "limit l { rate = 1/1y }", ERR_INVAL,
	  "t.conf:1: limit.l.rate: ", "not a rate" },
	{ "limit bad key", "limit l { rate = 1/h; key = ip }", ERR_INVAL,
	  "t.conf:1: limit.l.key: ", "not one of customer | sasl_username" },
	{ "limit bad count", "limit l { rate = 1/h; count = mails }", ERR_INVAL,
	  "t.conf:1: limit.l.count: ", "not one of messages" },
	{ "limit bad action", "limit l { rate = 1/h; action = drop }", ERR_INVAL,
	  "t.conf:1: limit.l.action: ", "not one of warn | hold | defer | reject" },
	{ "limit burst negative", "limit l { rate = 1/h; burst = -1 }", ERR_INVAL,
	  "t.conf:1: limit.l.burst: ", "whole number from 0 to 4294967295" },
	{ "limit burst too big", "limit l { rate = 1/h; burst = 4294967296 }",
	  ERR_INVAL, "t.conf:1: limit.l.burst: ", "whole number" },
	{ "limit burst empty", "limit l { rate = 1/h; burst = \"\" }",
	  ERR_INVAL, "t.conf:1: limit.l.burst: ", "whole number" },
	{ "limit unknown network", "limit l {\n rate = 1/h\n networks = [nope]\n}",
	  ERR_INVAL, "t.conf:3: limit.l.networks: ", "no network named \"nope\"" },
	{ "limit exempt network", "network t { prefixes = ::1/128; exempt = true }\n"
	  "limit l { rate = 1/h; networks = t }", ERR_INVAL,
	  "t.conf:2: limit.l.networks: ", "exempt" },
	{ "limit network twice", "network a { prefixes = ::1/128 }\n"
	  "limit l { rate = 1/h; networks = [a, a] }", ERR_INVAL,
	  "t.conf:2: limit.l.networks: ", "named twice" },
	{ "limit networks empty", "limit l { rate = 1/h; networks = [] }",
	  ERR_INVAL, "t.conf:1: limit.l.networks: ", "empty list" },
	{ "limit dup", "limit l { rate = 1/h }\n\nlimit l { rate = 2/h }",
	  ERR_INVAL, "t.conf:3: limit.l: ", "already defined at line 1" },
	{ "action unknown", "policy { default_action = ACCEPT }", ERR_INVAL,
	  "t.conf:1: policy.default_action: ", "not a Postfix action" },
	{ "action dunno text", "policy { default_action = \"DUNNO please\" }",
	  ERR_INVAL, "t.conf:1: policy.default_action: ", "DUNNO takes no text" },
	{ "action prepend", "policy { default_action = \"PREPEND oops\" }",
	  ERR_INVAL, "t.conf:1: policy.default_action: ", "needs a header" },
	{ "action newline", "policy { default_action = \"REJECT a\\nb\" }",
	  ERR_INVAL, "t.conf:1: policy.default_action: ", "control character" },
	{ "action code", "policy { default_action = \"250 ok\" }", ERR_INVAL,
	  "t.conf:1: policy.default_action: ", "not a Postfix action" },
	{ "time budget zero", "policy { time_budget = 0ms }", ERR_INVAL,
	  "t.conf:1: policy.time_budget: ", "out of range" },
	{ "time budget long", "policy { time_budget = 101s }", ERR_INVAL,
	  "t.conf:1: policy.time_budget: ", "out of range (1ms to 100s)" },
	{ "time budget huge", "policy { time_budget = 99999999d }", ERR_INVAL,
	  "t.conf:1: policy.time_budget: ", "out of range" },
	{ "v6 prefix", "policy { ipv6_customer_prefix = 129 }", ERR_INVAL,
	  "t.conf:1: policy.ipv6_customer_prefix: ", "from 0 to 128" },
	{ "v6 prefix words", "policy { ipv6_customer_prefix = /64 }", ERR_INVAL,
	  "t.conf:1: policy.ipv6_customer_prefix: ", "whole number" },
	{ "instance ttl short", "policy { instance_ttl = 500ms }", ERR_INVAL,
	  "t.conf:1: policy.instance_ttl: ", "out of range (1s to 1d)" },
	{ "on_compromise bad", "detection { on_compromise = [hold, explode] }",
	  ERR_INVAL, "t.conf:1: detection.on_compromise: ",
	  "\"explode\" is not one of hold | reject | list | notify" },
	{ "on_compromise block", "detection { on_compromise { } }",
	  ERR_INVAL, "t.conf:1: detection.on_compromise: ", "expects a list" },
	{ "notify without command", "detection {\n enabled = true\n "
	  "on_compromise = notify\n}", ERR_INVAL,
	  "t.conf:3: detection.on_compromise: ", "notify_command" },
	{ "zone bad name", "zone \"bad..name\" { }", ERR_INVAL,
	  "t.conf:1: zone.bad..name: ", "not a DNS name" },
	{ "zone label too long", "zone \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test\" { }",
	  ERR_INVAL, "t.conf:1: zone.", "not a DNS name" },
	{ "zone dup", "zone \"bl.test\" { }\nzone \"BL.test.\" { }", ERR_INVAL,
	  "t.conf:2: zone.BL.test.: ", "zone \"bl.test\" is already defined" },
	{ "zone ttl negative", "zone z { ttl = -1 }", ERR_INVAL,
	  "t.conf:1: zone.z.ttl: ", "not a TTL" },
	{ "zone ttl ms", "zone z { ttl = 1500ms }", ERR_INVAL,
	  "t.conf:1: zone.z.ttl: ", "not a TTL" },
	{ "zone ttl too big", "zone z { ttl = 2147483648 }", ERR_INVAL,
	  "t.conf:1: zone.z.ttl: ", "not a TTL" },
	{ "zone bad ns", "zone z { ns = [\"ns 1\"] }", ERR_INVAL,
	  "t.conf:1: zone.z.ns: ", "not a DNS name" },
	{ "zone bad soa", "zone z { soa = \"a.test\" }", ERR_INVAL,
	  "t.conf:1: zone.z.soa: ", "want \"MNAME RNAME\"" },
	{ "zone soa number", "zone z { soa = \"a.test b.test 1 2 x 4 5\" }",
	  ERR_INVAL, "t.conf:1: zone.z.soa: ", "field 5 is not a number" },
	{ "zone soa name", "zone z { soa = \"a..test b.test\" }",
	  ERR_INVAL, "t.conf:1: zone.z.soa: ", "field 1 is not a DNS name" },
	{ "zone bad transfer", "zone z { allow_transfer = [\"ns2\"] }", ERR_INVAL,
	  "t.conf:1: zone.z.allow_transfer: ", "not an IP address" },
	{ "dataset no type", "zone z {\n dataset d { a = 127.0.0.2 }\n}",
	  ERR_INVAL, "t.conf:2: zone.z.dataset.d.type: ", "missing" },
	{ "dataset bad type", "zone z { dataset d { type = csv } }", ERR_INVAL,
	  "t.conf:1: zone.z.dataset.d.type: ", "not one of detection | ip4set" },
	{ "dataset no file", "zone z { dataset d { type = ip4set } }", ERR_INVAL,
	  "t.conf:1: zone.z.dataset.d.file: ", "rbldnsd data file" },
	{ "detection with file", "zone z { dataset d { type = detection; file = x } }",
	  ERR_INVAL, "t.conf:1: zone.z.dataset.d.file: ", "has no file" },
	{ "two detection", "zone z {\n dataset a { type = detection }\n "
	  "dataset b { type = detection }\n}", ERR_INVAL,
	  "t.conf:3: zone.z.dataset.b: ", "second detection dataset" },
	{ "dataset bad a", "zone z { dataset d { type = detection; a = 127.0.0 } }",
	  ERR_INVAL, "t.conf:1: zone.z.dataset.d.a: ", "not an IPv4 address" },
	{ "dataset long txt", "zone z { dataset d { type = detection; txt = \""
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" } }", ERR_INVAL,
	  "t.conf:1: zone.z.dataset.d.txt: ", "longer than 255 bytes" },
	{ "dataset dup", "zone z { dataset d { type = detection }\n"
	  "dataset d { type = detection } }", ERR_INVAL,
	  "t.conf:2: zone.z.dataset.d: ", "already defined at line 1" },
	{ "dataset bad name", "zone z { dataset \"d/x\" { type = detection } }",
	  ERR_INVAL, "t.conf:1: zone.z.dataset.d/x: ", "only letters" },
	{ "bad user", "user = \"a:b\"", ERR_INVAL, "t.conf:1: user: ",
	  "not a user name" },
	{ "long name shown short", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx = 1",
	  ERR_INVAL, "t.conf:1: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...: ",
	  "unknown key" },
};

static void
test_bad(void **state)
{
	char err[CONF_ERR_MAX];
	struct conf *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const char *text = bad_cases[i].text;
		size_t plen = strlen(bad_cases[i].prefix);
		int rc;

		c = (struct conf *)&c;
		rc = conf_load_text("t.conf", text, strlen(text), &c, err,
		    sizeof(err));
		if (rc != bad_cases[i].rc || strncmp(err, bad_cases[i].prefix,
		    plen) != 0 || strstr(err + plen, bad_cases[i].reason) == NULL)
			fail_msg("%s: got rc %d \"%s\"; want rc %d \"%s...%s\"",
			    bad_cases[i].name, rc, err, bad_cases[i].rc,
			    bad_cases[i].prefix, bad_cases[i].reason);
		assert_null(c);
		assert_null(strchr(err, '\n'));
	}
}

static void
test_list_limit(void **state)
{
	char err[CONF_ERR_MAX];
	struct conf *c;
	size_t n = CONF_ERR_MAX, i, off;
	char *text;

	(void)state;
	(void)n;
	text = malloc(32 + 4097 * 10);
	off = (size_t)sprintf(text, "customer_key = [");
	for (i = 0; i < 4097; i++)
		off += (size_t)sprintf(text + off, "sender,");
	strcpy(text + off, "]");
	assert_int_equal(conf_load_text("t.conf", text, strlen(text), &c, err,
	    sizeof(err)), ERR_INVAL);
	assert_string_equal(err, "t.conf:1: customer_key: a list of 4097 items "
	    "is over the limit of 4096");
	free(text);
}

static void
test_size_limit(void **state)
{
	char err[CONF_ERR_MAX];
	struct conf *c;
	size_t len = (1u << 20) + 1;
	char *text = malloc(len);

	(void)state;
	memset(text, ' ', len);
	assert_int_equal(conf_load_text("t.conf", text, len, &c, err,
	    sizeof(err)), ERR_TOOBIG);
	assert_null(c);
	assert_string_equal(err, "t.conf: the file is 1048577 bytes, over the "
	    "1 MiB limit of a configuration file");
	/* 1 MiB exactly is fine. */
	assert_int_equal(conf_load_text("t.conf", text, len - 1, &c, err,
	    sizeof(err)), 0);
	conf_free(c);
	free(text);
}

/* ---- files ---- */

static void
test_files(void **state)
{
	char err[CONF_ERR_MAX], path[] = "/tmp/test_conf_XXXXXX";
	struct conf *c;
	FILE *f;
	int fd;
	size_t i;

	(void)state;
	/* The shipped example, as `make run` uses it. */
	if (conf_load("etc/relayguard.conf", &c, err, sizeof(err)) != 0)
		fail_msg("etc/relayguard.conf: %s", err);
	assert_string_equal(c->state_dir, "./var");
	assert_string_equal(c->listen_policy.v[0], "127.0.0.1:10040");
	assert_string_equal(c->listen_dns.v[0], "127.0.0.1:5353");
	assert_string_equal(c->listen_http.v[0], "127.0.0.1:8053");
	assert_string_equal(c->http_token_file, "etc/api.token");
	assert_true(c->n_networks >= 3);
	assert_true(c->n_limits >= 2);
	assert_true(c->detection_enabled);
	assert_null(c->feed_maillog);
	assert_int_equal(c->n_zones, 1);
	conf_free(c);

	/* A missing file. */
	assert_int_equal(conf_load("/nonexistent/relayguard.conf", &c, err,
	    sizeof(err)), ERR_NOENT);
	assert_null(c);
	assert_non_null(strstr(err, "/nonexistent/relayguard.conf"));
	/* A directory. */
	assert_int_equal(conf_load("/tmp", &c, err, sizeof(err)), ERR_INVAL);

	/* A file over 1 MiB. */
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	for (i = 0; i <= (1u << 20) / 64; i++)
		fprintf(f, "%63s\n", "# padding");
	fclose(f);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), ERR_TOOBIG);
	assert_null(c);
	assert_non_null(strstr(err, "over the 1 MiB limit"));
	/* A small bad file names itself and the line. */
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "# comment\n\nlisten {\n  policy = \"nope\";\n}\n");
	fclose(f);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), ERR_INVAL);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_true(strncmp(err + strlen(path), ":4: listen.policy: ", 19) == 0);
	unlink(path);
}

static void
test_small_errbuf(void **state)
{
	char err[16];
	struct conf *c;

	(void)state;
	assert_int_equal(conf_load_text("t.conf", "bogus = 1", 9, &c, err,
	    sizeof(err)), ERR_INVAL);
	assert_int_equal(strlen(err), 15);
	assert_int_equal(conf_load_text("t.conf", "bogus = 1", 9, &c, NULL, 0),
	    ERR_INVAL);
}

static void
test_nomem(void **state)
{
	char err[CONF_ERR_MAX];
	struct conf *c;
	long n;
	int rc = -1;

	(void)state;
	for (n = 0; rc != 0; n++) {
		assert_true(n < 10000);
		xmalloc_fail_after(n);
		rc = conf_load_text("t.conf", spec_conf, strlen(spec_conf), &c,
		    err, sizeof(err));
		xmalloc_fail_after(-1);
		if (rc != 0) {
			if (rc != ERR_NOMEM)
				fail_msg("after %ld allocations: rc %d: %s", n, rc,
				    err);
			assert_null(c);
			assert_non_null(strstr(err, "out of memory"));
		}
	}
	check_spec_values(c);
	conf_free(c);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(conf_action_name(CONF_ACTION_WARN), "warn");
	assert_string_equal(conf_action_name(CONF_ACTION_HOLD), "hold");
	assert_string_equal(conf_action_name(CONF_ACTION_DEFER), "defer");
	assert_string_equal(conf_action_name(CONF_ACTION_REJECT), "reject");
	assert_string_equal(conf_action_name((enum conf_action)99), "?");
	assert_string_equal(conf_limit_key_name(CONF_LIMIT_KEY_CUSTOMER), "customer");
	assert_string_equal(conf_limit_key_name(CONF_LIMIT_KEY_SENDER_DOMAIN),
	    "sender_domain");
	assert_string_equal(conf_limit_key_name((enum conf_limit_key)99), "?");
	assert_string_equal(conf_limit_count_name(CONF_COUNT_MESSAGES), "messages");
	assert_string_equal(conf_limit_count_name(CONF_COUNT_DISTINCT_CLIENT_ADDRESSES),
	    "distinct_client_addresses");
	assert_string_equal(conf_limit_count_name((enum conf_limit_count)99), "?");
	conf_free(NULL);
}

/* The value checks, as others (overrides, API) use them. */
static void
test_checks(void **state)
{
	static const struct {
		conf_check_fn *fn;
		const char *s;
		int want;
	} cases[] = {
		{ conf_check_addr, "127.0.0.1:25", 0 },
		{ conf_check_addr, "[2001:db8::1]:25", 0 },
		{ conf_check_addr, "mx.example.org:25", 0 },
		{ conf_check_addr, "unix:/run/x", 0 },
		{ conf_check_addr, "unix:relative", 0 },
		{ conf_check_addr, "127.0.0.1", -1 },
		{ conf_check_inet_addr, "unix:/x", -1 },
		{ conf_check_attr, "client_address", 0 },
		{ conf_check_attr, "ccert_fingerprint", 0 },
		{ conf_check_attr, "customer", -1 },
		{ conf_check_action, "DUNNO", 0 },
		{ conf_check_action, "dunno", 0 },
		{ conf_check_action, "DEFER_IF_REJECT 4.7.1 x", 0 },
		{ conf_check_action, "HOLD", 0 },
		{ conf_check_action, "WARN over limit", 0 },
		{ conf_check_action, "", -1 },
		{ conf_check_action, "OK fine", -1 },
		{ conf_check_dnsname, "a.b", 0 },
		{ conf_check_dnsname, "a.b.", 0 },
		{ conf_check_dnsname, ".", -1 },
		{ conf_check_dnsname, "a..b", -1 },
		{ conf_check_ip_or_prefix, "10.0.0.0/8", 0 },
		{ conf_check_ip_or_prefix, "2001:db8::/32", 0 },
		{ conf_check_ipv4, "127.0.0.2", 0 },
		{ conf_check_ipv4, "::1", -1 },
		{ conf_check_dataset_type, "ip4trie", 0 },
		{ conf_check_dataset_type, "ip4tset", -1 },
		{ conf_check_soa, "a.b c.d", 0 },
		{ conf_check_soa, "a.b c.d 1 2 3 4 5 6", -1 },
		{ conf_check_soa, "a.b c.d 12345678901 2 3 4 5", -1 },
		{ conf_check_user, "mail", 0 },
		{ conf_check_user, "a b", -1 },
		{ conf_check_txt, "x", 0 },
	};
	char why[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = cases[i].fn(cases[i].s, strlen(cases[i].s), why,
		    sizeof(why));

		if (rc != cases[i].want)
			fail_msg("case %zu \"%s\": got %d want %d", i, cases[i].s, rc,
			    cases[i].want);
	}
	assert_int_equal(conf_check_word(conf_check_dataset_types, "dnset"), 4);
	assert_int_equal(conf_check_word(conf_check_dataset_types, "x"), -1);
	assert_string_equal(conf_check_word_list(conf_check_dataset_types, why,
	    sizeof(why)), "detection | ip4set | ip4trie | ip6trie | dnset");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_spec_json),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_list_limit),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_small_errbuf),
		cmocka_unit_test(test_nomem),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
