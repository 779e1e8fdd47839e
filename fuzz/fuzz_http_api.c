/*
 * fuzz_http_api.c - libFuzzer target for the HTTP API as a pure function
 * (src/http/api.c and its handlers): the input is a request written as
 * lines, METHOD, PATH, QUERY, AUTHORIZATION, then the body, against an
 * engine with a few customers, a held one and a history, on a fixed
 * clock.  Every answer must be a status the API documents and, for
 * /api/, a JSON body that the project's JSON parser accepts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "engine/engine.h"
#include "engine/engine_api.h"
#include "engine/history.h"
#include "http/api.h"
#include "lib/log.h"
#include "proto/policy_req.h"
#include "proto/ucl.h"

#define NOW 1764460800000000LL

static struct api_env env;

static const char conf_text[] =
    "state { dir = \"/nonexistent\"; }\n"
    "network \"b\" { prefixes = [\"198.51.100.0/24\"]; }\n"
    "customer_key = [\"sasl_username\", \"client_address\"];\n"
    "limit \"m\" { key = \"customer\"; count = \"messages\"; rate = \"3/1h\"; action = \"defer\"; }\n"
    "detection { enabled = true; on_compromise = [\"hold\"]; }\n";

static void
judge(struct engine *e, const char *user, int i)
{
	char buf[512];
	struct policy_req req;
	struct policy_err perr;
	struct engine_verdict v;
	int n;

	n = snprintf(buf, sizeof(buf), "request=smtpd_access_policy\n"
	    "protocol_state=RCPT\nclient_address=198.51.100.%d\n"
	    "sasl_username=%s\nrecipient=r%d@example.org\ninstance=%s.%d\n"
	    "policy_context=submission\n\n", i % 250, user, i, user, i);
	if (policy_req_parse(buf, (size_t)n, &req, &perr) == 0)
		engine_judge(e, &req, NOW + i, &v);
}

static void
setup(void)
{
	static struct conf *conf;
	char err[CONF_ERR_MAX];
	uint64_t id;
	int i;

	log_set_level(LOG_LEVEL_ERROR);
	if (conf_load_text("fuzz.conf", conf_text, sizeof(conf_text) - 1, &conf,
	    err, sizeof(err)) != 0)
		abort();
	env.conf = conf;
	if ((env.engine = engine_new(conf, err, sizeof(err))) == NULL)
		abort();
	env.history = history_new(16);
	env.token = "tok";
	env.started_us = NOW;
	for (i = 0; i < 20; i++)
		judge(env.engine, i % 3 ? "a" : "b", i);
	engine_api_hold(env.engine, "b", NOW, &id);
	engine_api_sample(env.engine, env.history, 0, NOW);
}

/* The next line of data (without its \n) into buf, NUL-terminated. */
static const char *
line(const uint8_t **p, const uint8_t *end, char *buf, size_t cap)
{
	size_t n = 0;

	while (*p < end && **p != '\n') {
		if (n + 1 < cap)
			buf[n++] = (char)(**p ? **p : ' ');
		(*p)++;
	}
	if (*p < end)
		(*p)++;
	buf[n] = '\0';
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char method[16], path[1024], query[1024], auth[256];
	const uint8_t *p = data, *end = data + size;
	struct api_req req;
	struct api_resp resp;
	struct ucl_doc *doc = NULL;
	bool mine;

	if (!ready) {
		setup();
		ready = 1;
	}
	memset(&req, 0, sizeof(req));
	req.method = line(&p, end, method, sizeof(method));
	req.path = line(&p, end, path, sizeof(path));
	req.query = line(&p, end, query, sizeof(query));
	req.authorization = line(&p, end, auth, sizeof(auth));
	req.body = (const char *)p;
	req.body_len = (size_t)(end - p);
	req.peer = "fuzz";
	if (req.path[0] != '/')
		return 0;
	mine = api_handle(&env, &req, NOW + 3600000000LL, &resp);
	switch (resp.status) {
	case 200: case 201: case 400: case 401: case 404: case 405:
	case 409: case 413: case 500:
		break;
	default:
		abort();
	}
	if (mine && strncmp(req.path, "/api/", 5) == 0 &&
	    (resp.body == NULL || ucl_parse(resp.body, resp.body_len, &doc,
	    NULL) != 0))
		abort();
	ucl_doc_free(doc);
	api_resp_fini(&resp);
	return 0;
}
