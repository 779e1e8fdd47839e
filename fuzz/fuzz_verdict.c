/*
 * fuzz_verdict.c - libFuzzer target for content filter verdicts
 * (proto/verdict.c): each input line is parsed as a log line and, when
 * that succeeds, as a verdict and as a hop into a content filter; every
 * field of an accepted verdict must lie inside the line, and a verdict
 * must have a queue ID or a Message-ID.
 * Corpus: fuzz/corpus/fuzz_verdict/, replayed by `make test`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "proto/verdict.h"

static void
check_in(const struct maillog_str *s, const char *line, size_t len)
{
	if (s->ptr != NULL && (s->ptr < line || s->ptr + s->len > line + len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct maillog_clock clock;

	maillog_clock_init(&clock, 2026, 0);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct maillog_rec rec;
		struct maillog_err err;
		struct maillog_str q;
		struct verdict v;
		int rc;

		if (maillog_parse(p, len, &clock, &rec, &err) == 0) {
			err.reason = NULL;
			rc = verdict_parse(p, &rec, &v, &err);
			if (rc == 1) {
				check_in(&v.queue_id, p, len);
				check_in(&v.message_id, p, len);
				if (v.queue_id.ptr == NULL && v.message_id.ptr == NULL)
					abort();
				if (v.queue_id.len > MAILLOG_QID_MAX ||
				    v.message_id.len > VERDICT_MID_MAX)
					abort();
			} else if (rc == ERR_MALFORMED) {
				if (err.reason == NULL || err.offset > len)
					abort();
			} else if (rc != 0)
				abort();
			if (verdict_requeued(&rec, &q)) {
				check_in(&q, p, len);
				if (q.len == 0 || q.len > MAILLOG_QID_MAX)
					abort();
			}
		}
		p += len + (nl != NULL);
	}
	return 0;
}
