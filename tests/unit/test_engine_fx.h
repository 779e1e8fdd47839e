/*
 * test_engine_fx.h - fixtures shared by test_engine.c and
 * test_engine_state.c: a configuration from UCL text (conf_load_text), an
 * engine for it, and policy requests written as "name=value name=value"
 * (values without blanks), judged on a fixed clock.
 *
 * Include after <cmocka.h>.  Everything here is static: each test binary
 * gets its own copy.
 */
#ifndef RG_TEST_ENGINE_FX_H
#define RG_TEST_ENGINE_FX_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "engine/engine.h"
#include "lib/err.h"
#include "proto/policy_req.h"

#define T0 1764460800000000LL	/* 2025-11-30 00:00:00 UTC, in us */
#define SEC 1000000LL
#define MIN (60 * SEC)
#define HOUR (3600 * SEC)

/* The networks of SPEC section 2 and its customer_key. */
#define FX_NETWORKS \
	"network \"broadband\" { prefixes = [\"100.64.0.0/10\", " \
	"\"2001:db8:100::/40\"]; require_auth = true; }\n" \
	"network \"business\" { prefixes = [\"198.51.100.0/24\"]; }\n" \
	"network \"trusted\" { prefixes = [\"127.0.0.0/8\", \"::1/128\"]; " \
	"exempt = true; }\n" \
	"customer_key = [\"sasl_username\", \"client_address\"];\n"

struct fx {
	struct conf *conf;
	struct engine *e;
};

static struct conf *
fx_conf(const char *text)
{
	struct conf *conf = NULL;
	char err[CONF_ERR_MAX];

	if (conf_load_text("test.conf", text, strlen(text), &conf, err,
	    sizeof(err)) != 0)
		fail_msg("config: %s", err);
	return conf;
}

static void
fx_open(struct fx *fx, const char *text)
{
	char err[256];

	fx->conf = fx_conf(text);
	fx->e = engine_new(fx->conf, err, sizeof(err));
	if (fx->e == NULL)
		fail_msg("engine_new: %s", err);
}

static void
fx_close(struct fx *fx)
{
	engine_free(fx->e);
	conf_free(fx->conf);
	fx->e = NULL;
	fx->conf = NULL;
}

/*
 * fx_judge - judge the request "spec" (blank-separated name=value pairs;
 * request=smtpd_access_policy is added) at now.  Returns engine_judge()'s
 * value; the verdict goes to *v.
 */
static int
fx_judge(struct engine *e, int64_t now, const char *spec,
    struct engine_verdict *v)
{
	char buf[4096];
	struct policy_req req;
	struct policy_err perr;
	size_t n, i;

	n = (size_t)snprintf(buf, sizeof(buf), "request=smtpd_access_policy\n");
	for (i = 0; spec[i] != '\0' && n < sizeof(buf) - 3; i++) {
		if (spec[i] != ' ')
			buf[n++] = spec[i];
		else if (buf[n - 1] != '\n')
			buf[n++] = '\n';
	}
	assert_true(spec[i] == '\0');
	if (buf[n - 1] != '\n')
		buf[n++] = '\n';
	buf[n++] = '\n';
	if (policy_req_parse(buf, n, &req, &perr) != 0)
		fail_msg("request \"%s\": %s", spec, perr.reason);
	return engine_judge(e, &req, now, v);
}

/* fx_action - the action text of judging spec at now (rc must be 0). */
static const char *
fx_action(struct engine *e, int64_t now, const char *spec)
{
	static struct engine_verdict v;

	if (fx_judge(e, now, spec, &v) != 0)
		fail_msg("judge \"%s\" failed", spec);
	return v.action;
}

/* fx_usage - the usage row of limit for customer (must exist). */
static struct engine_usage
fx_usage(struct engine *e, const char *customer, const char *limit, int64_t now)
{
	struct engine_usage u[16];
	size_t n, i;

	if (engine_customer_usage(e, customer, now, u, 16, &n) != 0)
		fail_msg("no usage for %s", customer);
	for (i = 0; i < n && i < 16; i++) {
		if (strcmp(u[i].limit, limit) == 0)
			return u[i];
	}
	fail_msg("no usage of %s for %s", limit, customer);
	return u[0];
}

static bool
fx_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

#endif
