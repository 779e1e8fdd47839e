/*
 * overrides.h - the per-key overrides map file (policy.overrides).
 *
 * One entry a line, in the spirit of a Postfix map source file:
 *
 *   # comment (a line whose first non-blank character is '#')
 *   newsletter@shop.example     exempt
 *   u1042                       msgs_per_hour=1000/1h, rcpts_per_day=5000/d
 *   2001:db8:1:2::/64           msgs_per_hour=50/1h
 *
 * KEY is the first whitespace-delimited word; the rest of the line is
 * either the word "exempt" or one or more LIMIT=RATE items separated by
 * commas and/or blanks.  KEY is matched case-insensitively (ASCII) against
 * the key values of a request (customer, sasl_username, client_address,
 * sender, sender_domain): what an entry means is up to the engine.  Blank
 * lines are ignored; a CR before the LF is ignored.
 *
 * Pure parsing: bytes in, struct out; no file access (the caller reads
 * the file).  Limits: OVERRIDES_LINES_MAX lines, OVERRIDES_LINE_MAX bytes
 * a line (without its LF), OVERRIDES_KEY_MAX bytes a key,
 * OVERRIDES_RATES_MAX items an entry; over a limit is ERR_TOOBIG, never a
 * truncation.  A key listed twice, or a limit listed twice for one key,
 * is an error (ERR_EXIST).  The limit names are not checked here (the
 * engine knows which limits exist).
 *
 * Memory: one struct overrides owns everything: an array of entries (48
 * bytes each), an array of rates (24 bytes each), one pool of the key and
 * name strings, and a hash table of 16-byte slots (htab.h) for the keys;
 * about 100 bytes per entry plus its text.  overrides_find() costs a
 * case-folded copy and hash of the key and about two probes; no
 * allocation.
 */
#ifndef RG_PROTO_OVERRIDES_H
#define RG_PROTO_OVERRIDES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OVERRIDES_LINES_MAX 1000000
#define OVERRIDES_LINE_MAX 8192
#define OVERRIDES_KEY_MAX 256
#define OVERRIDES_RATES_MAX 64

struct overrides_rate {
	const char *limit;	/* NUL-terminated, owned by the overrides */
	uint64_t count;		/* N of N/P */
	uint64_t period_ms;	/* P of N/P */
};

struct overrides_entry {
	const char *key;	/* NUL-terminated as written, owned */
	size_t key_len;
	bool exempt;
	const struct overrides_rate *rates;	/* n_rates items, owned */
	size_t n_rates;
	int line;		/* 1-based line of the entry */
};

struct overrides;

struct overrides_err {
	int line;		/* 1-based line where it failed, 0 if none */
	char reason[128];	/* "unknown word "foo"; want exempt or LIMIT=RATE" */
};

/*
 * overrides_parse - parse len bytes of map text into *out.  Returns 0 and
 * a new struct overrides (free with overrides_free()), or an error with
 * *err filled: ERR_MALFORMED (a NUL byte, a key without a value, a word
 * that is neither "exempt" nor LIMIT=RATE, an empty limit name, a bad
 * rate, "exempt" mixed with rates), ERR_TOOBIG (a limit above),
 * ERR_EXIST (a repeated key or limit), ERR_NOMEM.  On error *out is
 * untouched.
 */
int overrides_parse(const char *text, size_t len, struct overrides **out,
    struct overrides_err *err);

/* overrides_free - free everything; NULL is a no-op. */
void overrides_free(struct overrides *ov);

/* overrides_count - the number of entries. */
size_t overrides_count(const struct overrides *ov);

/*
 * overrides_entry_at - entry i (0 <= i < overrides_count()), in file
 * order.  Valid as long as ov.
 */
const struct overrides_entry *overrides_entry_at(const struct overrides *ov,
    size_t i);

/*
 * overrides_find - the entry whose key equals key (len bytes; ASCII case
 * ignored), or NULL.  A NULL ov finds nothing.  Valid as long as ov.
 */
const struct overrides_entry *overrides_find(const struct overrides *ov,
    const char *key, size_t len);

/*
 * overrides_rate_find - the rate that entry gives limit (NUL-terminated
 * name, compared exactly), or NULL.
 */
const struct overrides_rate *overrides_rate_find(
    const struct overrides_entry *entry, const char *limit);

#endif
