/*
 * fuzz_trace.c - libFuzzer target for trace lines (proto/trace.c): each
 * input line goes through one long-lived parser, as in `relayguard
 * replay`; every accepted event is written back as a decision line.
 * Corpus: fuzz/corpus/fuzz_trace/, replayed by `make test`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "proto/trace.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct trace_parser parser;
	struct trace_event ev;
	struct trace_err err;
	char out[4096];
	size_t i;

	trace_parser_init(&parser);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (trace_parse_line(&parser, p, len, &ev, &err) == 0) {
			if (!(ev.t >= 0) || (ev.ev == TRACE_EV_LOG && ev.line == NULL))
				abort();
			for (i = 0; i < PA__COUNT; i++)
				if (ev.attrs.attr[i].ptr != NULL &&
				    memchr(ev.attrs.attr[i].ptr, '\0',
				    ev.attrs.attr[i].len) != NULL)
					abort();
			trace_format_decision(out, sizeof(out), ev.t,
			    ev.truth_customer, ev.line, ev.ev_name, "DUNNO", "");
		} else if (err.offset > len ||
		    memchr(err.msg, '\0', sizeof(err.msg)) == NULL) {
			abort();
		}
		p += len + (nl != NULL);
	}
	trace_parser_fini(&parser);
	return 0;
}
