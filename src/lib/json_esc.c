/*
 * json_esc.c - JSON string escaping (see json_esc.h).
 *
 * One pass that both measures and writes: json_esc_len() runs it with no
 * output buffer.  UTF-8 is checked as RFC 3629 defines it (no overlong
 * forms, no surrogates, nothing above U+10FFFF).
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "lib/err.h"
#include "lib/json_esc.h"

static const char json_esc_hex[] = "0123456789abcdef";

/*
 * json_esc_utf8_len - the length of the valid UTF-8 sequence starting at
 * s (at most len bytes), or 0 when it is not one.
 */
static size_t
json_esc_utf8_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0xc2 || c > 0xf4)
		return 0;	/* continuation, overlong lead or > U+10FFFF */
	if (c < 0xe0) {
		n = 2;
		cp = c & 0x1f;
	} else if (c < 0xf0) {
		n = 3;
		cp = c & 0x0f;
	} else {
		n = 4;
		cp = c & 0x07;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * json_esc_run - the escaped length of s; writes it to out when out is
 * not NULL (the caller has checked that it fits).
 */
static size_t
json_esc_run(char *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n = 0, k;
	char tmp[6];
	const char *rep;

	while (i < len) {
		unsigned char c = u[i];
		size_t rlen;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			/* The common case: copy a run of plain ASCII. */
			size_t j = i + 1;

			while (j < len && u[j] >= 0x20 && u[j] < 0x7f &&
			    u[j] != '"' && u[j] != '\\')
				j++;
			if (out != NULL)
				memcpy(out + n, s + i, j - i);
			n += j - i;
			i = j;
			continue;
		}
		rep = tmp;
		rlen = 2;
		tmp[0] = '\\';
		if (c >= 0x80) {
			k = json_esc_utf8_len(u + i, len - i);
			if (k == 3 && c == 0xe2 && u[i + 1] == 0x80 &&
			    (u[i + 2] == 0xa8 || u[i + 2] == 0xa9)) {
				rep = u[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
				rlen = 6;
			} else if (k > 0) {
				rep = s + i;
				rlen = k;
			} else {
				rep = "\xef\xbf\xbd";	/* U+FFFD */
				rlen = 3;
				k = 1;
			}
			if (out != NULL)
				memcpy(out + n, rep, rlen);
			n += rlen;
			i += k;
			continue;
		}
		switch (c) {
		case '"': tmp[1] = '"'; break;
		case '\\': tmp[1] = '\\'; break;
		case '\b': tmp[1] = 'b'; break;
		case '\f': tmp[1] = 'f'; break;
		case '\n': tmp[1] = 'n'; break;
		case '\r': tmp[1] = 'r'; break;
		case '\t': tmp[1] = 't'; break;
		default:
			tmp[1] = 'u';
			tmp[2] = '0';
			tmp[3] = '0';
			tmp[4] = json_esc_hex[c >> 4];
			tmp[5] = json_esc_hex[c & 15];
			rlen = 6;
			break;
		}
		if (out != NULL)
			memcpy(out + n, rep, rlen);
		n += rlen;
		i++;
	}
	return n;
}

size_t
json_esc_len(const char *s, size_t len)
{
	return json_esc_run(NULL, s, len);
}

int
json_esc_write(char *buf, size_t cap, const char *s, size_t len)
{
	size_t n;

	/* Most callers have room for the worst case: skip the measuring. */
	if (len <= (SIZE_MAX - 1) / JSON_ESC_MAX_GROWTH &&
	    len * JSON_ESC_MAX_GROWTH < cap && len * JSON_ESC_MAX_GROWTH < INT_MAX)
		n = len * JSON_ESC_MAX_GROWTH;
	else
		n = json_esc_len(s, len);
	if (n >= cap || n >= INT_MAX) {
		if (cap > 0)
			buf[0] = '\0';
		return ERR_TOOBIG;
	}
	n = json_esc_run(buf, s, len);
	buf[n] = '\0';
	return (int)n;
}
