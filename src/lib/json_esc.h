/*
 * json_esc.h - escape bytes for the inside of a JSON string (RFC 8259
 * section 7), for the decision lines of `relayguard replay` and the HTTP
 * API.
 *
 * Quotes and backslashes get a backslash; \b \f \n \r \t their short
 * forms; every other control character (and DEL) becomes \u00XX; U+2028
 * and U+2029 become \u2028 and \u2029, so the output is also safe inside
 * a <script> block.  Valid UTF-8 passes through; each byte of invalid
 * UTF-8 (a log line may hold Latin-1) becomes U+FFFD, so the output is
 * always valid JSON.  Pure functions, no allocation.
 */
#ifndef RG_LIB_JSON_ESC_H
#define RG_LIB_JSON_ESC_H

#include <stddef.h>

/* JSON_ESC_MAX_GROWTH - the most bytes one input byte can become. */
#define JSON_ESC_MAX_GROWTH 6

/*
 * json_esc_len - the length of the escaped form of the len bytes at s
 * (without quotes or a NUL).
 */
size_t json_esc_len(const char *s, size_t len);

/*
 * json_esc_write - write the escaped form of the len bytes at s into buf
 * (without the surrounding quotes) and a terminating NUL.  Returns the
 * bytes written, not counting the NUL, or ERR_TOOBIG when they and the
 * NUL do not fit in cap (or exceed INT_MAX); buf is then "" if cap > 0.
 * s may hold NUL bytes (written as \u0000).
 */
int json_esc_write(char *buf, size_t cap, const char *s, size_t len);

#endif
