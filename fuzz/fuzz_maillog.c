/*
 * fuzz_maillog.c - libFuzzer target for Postfix log lines
 * (proto/maillog.c): each input line goes through one clock, as in the
 * log feed and `relayguard replay --format maillog`, and every borrowed
 * field of an accepted line must lie inside that line.
 * Corpus: fuzz/corpus/fuzz_maillog/, replayed by `make test`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "proto/maillog.h"

static void
check_in(const struct maillog_str *s, const char *line, size_t len)
{
	if (s->ptr == NULL)
		return;
	if (s->ptr < line || s->ptr + s->len > line + len)
		abort();
}

static void
check_rec(const struct maillog_rec *r, const char *line, size_t len)
{
	const struct maillog_str *fields[] = {
		&r->host, &r->program, &r->syslog_name, &r->daemon, &r->message,
		&r->queue_id, &r->text, &r->client_host, &r->client_addr,
		&r->sasl_method, &r->sasl_username, &r->sasl_sender, &r->message_id,
		&r->from, &r->to, &r->orig_to, &r->relay, &r->delays, &r->dsn,
		&r->status_word, &r->status_text, &r->notify_kind,
		&r->notify_queue_id, &r->action, &r->stage, &r->reply,
		&r->reply_dsn, &r->proto, &r->helo, &r->detail
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		check_in(fields[i], line, len);
	if (r->month < 1 || r->month > 12 || r->day < 1 || r->day > 31 ||
	    r->hour > 23 || r->minute > 59 || r->second > 60 || r->usec > 999999)
		abort();
	if (r->queue_id.ptr != NULL && (r->queue_id.len == 0 ||
	    r->queue_id.len > MAILLOG_QID_MAX || r->qid_form == MAILLOG_QID_NONE))
		abort();
	if (r->dsn.ptr != NULL && r->dsn_class != 2 && r->dsn_class != 4 &&
	    r->dsn_class != 5)
		abort();
	if (r->ev == MAILLOG_EV_DELIVERY && r->status == MAILLOG_STATUS_NONE)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct maillog_clock clock;
	struct maillog_rec rec;
	struct maillog_err err;

	maillog_clock_init(&clock, 2025, 3600);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int rc = maillog_parse(p, len, &clock, &rec, &err);

		if (rc == 0)
			check_rec(&rec, p, len);
		else if ((rc != ERR_MALFORMED && rc != ERR_TOOBIG) ||
		    err.reason == NULL || err.offset > len)
			abort();
		if (clock.year < MAILLOG_YEAR_MIN || clock.year > MAILLOG_YEAR_MAX)
			abort();
		p += len + (nl != NULL);
	}
	return 0;
}
