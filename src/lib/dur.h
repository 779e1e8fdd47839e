/*
 * dur.h - durations ("50ms", "30s", "5m", "1h", "2d") and rates
 * ("200/1h", "10/30s", "500/d").
 *
 * A bare number is seconds.  Limits: a duration at most 10 years, a rate
 * count at most 2^32 - 1.  Pure parsing, no allocation.
 */
#ifndef RG_LIB_DUR_H
#define RG_LIB_DUR_H

#include <stddef.h>
#include <stdint.h>

/*
 * dur_parse_ms - parse a duration of len bytes into milliseconds.
 * Returns 0, ERR_MALFORMED (not a duration) or ERR_RANGE (too long, or
 * zero when allow_zero is 0).
 */
int dur_parse_ms(const char *text, size_t len, int allow_zero, uint64_t *out_ms);

/*
 * dur_parse_rate - parse "COUNT/DURATION"; a DURATION without a number
 * ("200/h") means one unit.  Returns 0, ERR_MALFORMED or ERR_RANGE (zero
 * count or period, or too large).
 */
int dur_parse_rate(const char *text, size_t len, uint64_t *out_count,
    uint64_t *out_period_ms);

/* dur_format - the shortest exact text for ms ("1h", "90s", "250ms"). */
void dur_format(uint64_t ms, char *buf, size_t cap);

#endif
