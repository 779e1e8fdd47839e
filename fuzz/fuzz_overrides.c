/*
 * fuzz_overrides.c - libFuzzer target for proto/overrides.c.
 *
 * Parses the input as an overrides map and checks what the engine relies
 * on, aborting when one fails: on success every entry has a non-empty
 * key of at most OVERRIDES_KEY_MAX bytes without blanks, is either
 * exempt or has 1..OVERRIDES_RATES_MAX rates with a non-empty name and a
 * non-zero count and period, is found again by overrides_find() with its
 * key upper-cased, and lines increase; on failure the error has a reason
 * and a line within the input's line count (plus one).  Corpus:
 * fuzz/corpus/fuzz_overrides/ (seeds and every crasher found, replayed
 * by `make test`).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "proto/overrides.h"

static void
check_entry(const struct overrides *ov, const struct overrides_entry *e,
    int prev_line)
{
	char upper[OVERRIDES_KEY_MAX];
	size_t i;

	if (e->key == NULL || e->key_len == 0 || e->key_len > OVERRIDES_KEY_MAX ||
	    strlen(e->key) != e->key_len || e->line <= prev_line)
		abort();
	if (memchr(e->key, ' ', e->key_len) || memchr(e->key, '\t', e->key_len))
		abort();
	if (e->exempt != (e->n_rates == 0) || e->n_rates > OVERRIDES_RATES_MAX)
		abort();
	for (i = 0; i < e->n_rates; i++) {
		const struct overrides_rate *r = &e->rates[i];

		if (r->limit == NULL || r->limit[0] == '\0' || r->count == 0 ||
		    r->period_ms == 0 || overrides_rate_find(e, r->limit) != r)
			abort();
	}
	for (i = 0; i < e->key_len; i++) {
		char c = e->key[i];

		upper[i] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
	}
	if (overrides_find(ov, upper, e->key_len) != e)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct overrides *ov = NULL;
	struct overrides_err err;
	size_t i, lines = 1;
	int rc, prev = 0;

	rc = overrides_parse((const char *)data, size, &ov, &err);
	if (rc != 0) {
		for (i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (ov != NULL || err.reason[0] == '\0' || err.line < 1 ||
		    (size_t)err.line > lines)
			abort();
		if (rc != ERR_MALFORMED && rc != ERR_TOOBIG && rc != ERR_EXIST &&
		    rc != ERR_NOMEM)
			abort();
		return 0;
	}
	for (i = 0; i < overrides_count(ov); i++) {
		const struct overrides_entry *e = overrides_entry_at(ov, i);

		check_entry(ov, e, prev);
		prev = e->line;
	}
	overrides_free(ov);
	return 0;
}
