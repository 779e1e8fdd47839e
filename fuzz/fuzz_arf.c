/*
 * fuzz_arf.c - libFuzzer target for ARF abuse reports (proto/arf.c):
 * each input is one report; an accepted report is walked completely
 * (every string must be NUL-terminated and within its limit) and asked
 * for our Received: field both ways.
 * Corpus: fuzz/corpus/fuzz_arf/, replayed by `make test`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "proto/arf.h"

static size_t
len_of(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > ARF_FIELD_MAX)
		abort();
	return n;
}

static void
walk(const struct arf_report *r)
{
	const struct arf_strv *lists[] = {
		&r->original_rcpt_to, &r->reported_domain, &r->reported_uri,
		&r->authentication_results
	};
	const char *names[] = { "relay1.isp.example" };
	size_t i, k, sum = 0;

	sum += len_of(r->report_from) + len_of(r->feedback_type_text) +
	    len_of(r->user_agent) + len_of(r->version) + len_of(r->source_ip_text) +
	    len_of(r->original_mail_from) + len_of(r->original_envelope_id) +
	    len_of(r->arrival_date) + len_of(r->reporting_mta) +
	    len_of(r->incidents) + len_of(r->message_id) +
	    len_of(r->original_from) + len_of(r->original_subject);
	if (r->feedback_type_text == NULL || r->n_parts < 2 || r->n_parts > ARF_PARTS_MAX)
		abort();
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (lists[i]->n > ARF_LIST_MAX)
			abort();
		for (k = 0; k < lists[i]->n; k++)
			sum += len_of(lists[i]->v[k]);
	}
	if (r->n_received > ARF_RECEIVED_MAX)
		abort();
	for (i = 0; i < r->n_received; i++) {
		const struct arf_received *rc = &r->received[i];

		sum += len_of(rc->raw) + len_of(rc->from_helo) + len_of(rc->from_rdns) +
		    len_of(rc->from_addr_text) + len_of(rc->auth_sender) +
		    len_of(rc->by) + len_of(rc->with) + len_of(rc->id) +
		    len_of(rc->for_rcpt) + len_of(rc->date);
		if (rc->has_from_addr && rc->from_addr_text == NULL)
			abort();
	}
	(void)sum;
	(void)arf_our_received(r, names, 1);
	(void)arf_our_received(r, NULL, 0);
	(void)arf_feedback_type_name(r->feedback_type);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arf_report *r = NULL;
	struct arf_err err = { 0, NULL };
	int rc = arf_parse((const char *)data, size, &r, &err);

	if (rc == 0) {
		if (r == NULL)
			abort();
		walk(r);
		arf_report_free(r);
	} else if (r != NULL || err.reason == NULL || err.offset > size ||
	    (rc != ERR_MALFORMED && rc != ERR_TOOBIG && rc != ERR_NOMEM)) {
		abort();
	}
	return 0;
}
