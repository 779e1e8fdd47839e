/*
 * fuzz_policy_req.c - libFuzzer target for proto/policy_req.c.
 *
 * Walks the input as the policy service does: scan for a request, parse
 * it, step past it, until scan wants more input or reports a limit.  On
 * the way it checks what the service relies on, and aborts when one
 * fails: a found request lies inside the input and ends with an empty
 * line; scanning just that request finds it again, and any shorter
 * prefix of it is ERR_AGAIN; every parsed value points inside its
 * request and holds no newline; an error offset lies inside the input.
 * It also parses the raw input once and formats the first line as a
 * reply action.  Corpus: fuzz/corpus/fuzz_policy_req/ (seeds and every
 * crasher found, replayed by `make test`).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "proto/policy_req.h"

static void
check_req(const struct policy_req *req, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < PA__COUNT; i++) {
		const struct policy_str *s = &req->attr[i];

		if (s->ptr == NULL) {
			if (s->len != 0)
				abort();
			continue;
		}
		if (s->ptr < buf || s->len > len || s->ptr + s->len > buf + len)
			abort();
		if (memchr(s->ptr, '\n', s->len) != NULL ||
		    memchr(s->ptr, '\0', s->len) != NULL)
			abort();
		if (s->len > POLICY_LINE_MAX)
			abort();
	}
	if (req->attr[PA_REQUEST].ptr == NULL)
		abort();
}

static void
walk(const char *buf, size_t len)
{
	struct policy_req req;
	struct policy_err err;
	size_t off = 0, req_len, again_len;
	int rc;

	while (off < len) {
		rc = policy_req_scan(buf + off, len - off, &req_len, &err);
		if (rc == ERR_AGAIN)
			return;
		if (rc != 0) {
			if (rc != ERR_TOOBIG || err.reason == NULL ||
			    err.offset > len - off)
				abort();
			return;
		}
		if (req_len == 0 || req_len > len - off ||
		    req_len > POLICY_REQ_MAX || buf[off + req_len - 1] != '\n')
			abort();
		if (policy_req_scan(buf + off, req_len, &again_len,
		    &err) != 0 || again_len != req_len)
			abort();
		if (policy_req_scan(buf + off, req_len - 1, &again_len, &err) !=
		    ERR_AGAIN)
			abort();
		rc = policy_req_parse(buf + off, req_len, &req, &err);
		if (rc == 0)
			check_req(&req, buf + off, req_len);
		else if ((rc != ERR_MALFORMED && rc != ERR_TOOBIG) ||
		    err.reason == NULL || err.offset > req_len)
			abort();
		off += req_len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	char reply[POLICY_REPLY_MAX + 8], *action;
	const char *nl;
	struct policy_req req;
	struct policy_err err;
	size_t alen;
	int rc;

	walk(buf, size);

	rc = policy_req_parse(buf, size, &req, &err);
	if (rc == 0)
		check_req(&req, buf, size);
	else if (err.reason == NULL || err.offset > size)
		abort();

	/* The first line, as a reply action. */
	nl = memchr(buf, '\n', size);
	alen = nl != NULL ? (size_t)(nl - buf) : size;
	if ((action = malloc(alen + 1)) == NULL)
		return 0;
	memcpy(action, buf, alen);
	action[alen] = '\0';
	rc = policy_reply_format(reply, sizeof(reply), action);
	if (rc > 0) {
		/* Exactly one empty line, at the end. */
		if (rc < 9 || memcmp(reply, "action=", 7) != 0 ||
		    memchr(reply, '\n', (size_t)rc - 2) != NULL ||
		    memchr(reply, '\r', (size_t)rc) != NULL ||
		    reply[rc - 1] != '\n' || reply[rc - 2] != '\n')
			abort();
	} else if (rc != ERR_TOOBIG && rc != ERR_INVAL)
		abort();
	free(action);
	return 0;
}
