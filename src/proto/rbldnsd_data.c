/*
 * rbldnsd_data.c - the rbldnsd data-file format (see rbldnsd_data.h).
 *
 * One pass per line, no allocation; gzip through zlib (inflate with
 * automatic gzip header detection, concatenated members allowed).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <zlib.h>

#include "lib/err.h"
#include "lib/xmalloc.h"
#include "proto/rbldnsd_data.h"

static inline bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool
rbldnsd_data_next_line(const char *buf, size_t len, size_t *pos,
    const char **line, size_t *line_len)
{
	const char *nl;
	size_t p = *pos, e;

	if (p >= len)
		return false;
	nl = memchr(buf + p, '\n', len - p);
	e = nl != NULL ? (size_t)(nl - buf) : len;
	*line = buf + p;
	*line_len = e - p;
	*pos = nl != NULL ? e + 1 : len;
	return true;
}

int
rbldnsd_data_parse_a(const char *s, size_t len, uint32_t *a)
{
	uint32_t v = 0, oct = 0;
	unsigned n = 0, digits = 0;
	size_t i;

	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (digits == 0 || n >= 4)
				return ERR_MALFORMED;
			v = (v << 8) | oct;
			n++;
			oct = 0;
			digits = 0;
			continue;
		}
		if (!is_digit(s[i]) || ++digits > 3)
			return ERR_MALFORMED;
		oct = oct * 10 + (uint32_t)(s[i] - '0');
		if (oct > 255)
			return ERR_MALFORMED;
	}
	if (n == 1)
		v |= 0x7f000000u;	/* ":2" is 127.0.0.2 */
	else if (n != 4)
		return ERR_MALFORMED;
	*a = v;
	return 0;
}

int
rbldnsd_data_parse_ttl(const char *s, size_t len, uint32_t *ttl_s)
{
	uint64_t v = 0, mul = 1;
	size_t i;

	if (len == 0)
		return ERR_MALFORMED;
	switch (s[len - 1]) {
	case 's': case 'S': mul = 1; len--; break;
	case 'm': case 'M': mul = 60; len--; break;
	case 'h': case 'H': mul = 3600; len--; break;
	case 'd': case 'D': mul = 86400; len--; break;
	case 'w': case 'W': mul = 604800; len--; break;
	default: break;
	}
	if (len == 0 || len > 10)
		return ERR_MALFORMED;
	for (i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return ERR_MALFORMED;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	v *= mul;
	if (v > 0x7fffffffu)
		return ERR_RANGE;
	*ttl_s = (uint32_t)v;
	return 0;
}

/* parse_value - VALUE after an entry's key, or the rest of a ":" line. */
static int
parse_value(const char *s, size_t len, struct rbldnsd_data_value *v,
    const char **reason)
{
	const char *colon;

	v->has_a = false;
	v->a = 0;
	v->txt_mode = RBLDNSD_TXT_DEFAULT;
	v->txt = NULL;
	v->txt_len = 0;
	if (len == 0 || s[0] == '#' || s[0] == ';')
		return 0;
	if (s[0] != ':') {
		v->txt_mode = RBLDNSD_TXT_SET;
		v->txt = s;
		v->txt_len = len;
		return 0;
	}
	s++;
	len--;
	colon = memchr(s, ':', len);
	if ((colon != NULL ? (size_t)(colon - s) : len) > 0) {
		size_t alen = colon != NULL ? (size_t)(colon - s) : len;

		while (alen > 0 && is_space(s[alen - 1]))
			alen--;
		if (rbldnsd_data_parse_a(s, alen, &v->a) != 0) {
			*reason = "invalid A value (want N or a.b.c.d)";
			return ERR_MALFORMED;
		}
		v->has_a = true;
	}
	if (colon == NULL)
		return 0;
	colon++;
	len -= (size_t)(colon - s);
	if (len == 0) {
		v->txt_mode = RBLDNSD_TXT_NONE;
		return 0;
	}
	v->txt_mode = RBLDNSD_TXT_SET;
	v->txt = colon;
	v->txt_len = len;
	return 0;
}

static bool
word_is(const char *s, size_t len, const char *w)
{
	size_t n = strlen(w), i;

	if (len != n)
		return false;
	for (i = 0; i < n; i++)
		if ((s[i] & ~0x20) != w[i])
			return false;
	return true;
}

/* parse_special - the line after its '$'. */
static int
parse_special(const char *s, size_t len, struct rbldnsd_data_line *out,
    const char **reason)
{
	size_t w = 0, a;

	if (len > 0 && (is_digit(s[0]) || s[0] == '=')) {
		w = 1;
	} else {
		while (w < len && !is_space(s[w]))
			w++;
	}
	a = w;
	while (a < len && is_space(s[a]))
		a++;
	out->arg = s + a;
	out->arg_len = len - a;
	if (w == 1 && is_digit(s[0])) {
		out->kind = RBLDNSD_DATA_VAR;
		out->var = (unsigned)(s[0] - '0');
		return 0;
	}
	if (w == 1 && s[0] == '=') {
		out->kind = RBLDNSD_DATA_BASE;
		return 0;
	}
	if (word_is(s, w, "SOA")) {
		out->kind = RBLDNSD_DATA_SOA;
		return 0;
	}
	if (word_is(s, w, "NS")) {
		out->kind = RBLDNSD_DATA_NS;
		return 0;
	}
	if (word_is(s, w, "TTL")) {
		out->kind = RBLDNSD_DATA_TTL;
		if (rbldnsd_data_parse_ttl(out->arg, out->arg_len, &out->ttl_s) != 0) {
			*reason = "$TTL: invalid time (want N[smhdw])";
			return ERR_MALFORMED;
		}
		return 0;
	}
	if (word_is(s, w, "TIMESTAMP") || word_is(s, w, "MAXRANGE4")) {
		out->kind = RBLDNSD_DATA_IGNORED;
		return 0;
	}
	*reason = "unknown special (want $SOA, $NS, $TTL, $0-$9 or $=)";
	return ERR_MALFORMED;
}

int
rbldnsd_data_parse_line(const char *line, size_t len, enum rbldnsd_data_keys keys,
    struct rbldnsd_data_line *out, const char **reason)
{
	size_t i = 0, k;

	memset(out, 0, sizeof(*out));
	*reason = "";
	if (len > RBLDNSD_DATA_LINE_MAX) {
		*reason = "line too long";
		return ERR_TOOBIG;
	}
	while (len > 0 && is_space(line[len - 1]))
		len--;
	while (i < len && is_space(line[i]))
		i++;
	if (memchr(line, '\0', len) != NULL) {
		*reason = "NUL byte in line";
		return ERR_MALFORMED;
	}
	if (i == len) {
		out->kind = RBLDNSD_DATA_BLANK;
		return 0;
	}
	if (line[i] == '$')
		return parse_special(line + i + 1, len - i - 1, out, reason);
	if (i + 1 < len && line[i + 1] == '$' &&
	    (line[i] == '#' || line[i] == ':' || line[i] == ';'))
		return parse_special(line + i + 2, len - i - 2, out, reason);
	if (line[i] == '#' || line[i] == ';') {
		out->kind = RBLDNSD_DATA_BLANK;
		return 0;
	}
	if (line[i] == ':' && !(keys == RBLDNSD_KEYS_IP6 && i + 1 < len &&
	    line[i + 1] == ':' && (i + 2 == len || is_space(line[i + 2]) ||
	    line[i + 2] == '/' || isxdigit((unsigned char)line[i + 2])))) {
		/* A default line; but "::1" in an ip6trie file is an address. */
		out->kind = RBLDNSD_DATA_DEFAULT;
		return parse_value(line + i, len - i, &out->val, reason);
	}
	out->kind = RBLDNSD_DATA_ENTRY;
	if (line[i] == '!') {
		out->exclude = true;
		i++;
		while (i < len && is_space(line[i]))
			i++;
	}
	k = i;
	while (k < len && !is_space(line[k]) &&
	    !(line[k] == ':' && keys != RBLDNSD_KEYS_IP6))
		k++;
	if (k == i) {
		*reason = "missing key";
		return ERR_MALFORMED;
	}
	out->key = line + i;
	out->key_len = k - i;
	while (k < len && is_space(line[k]))
		k++;
	if (out->exclude)
		return 0;	/* rbldnsd: the value of an exclusion is ignored */
	return parse_value(line + k, len - k, &out->val, reason);
}

/* octets - up to 4 dotted decimal octets; returns their count or -1. */
static int
octets(const char *s, size_t len, uint32_t o[4])
{
	unsigned n = 0, digits = 0;
	uint32_t v = 0;
	size_t i;

	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (digits == 0 || n >= 4)
				return -1;
			o[n++] = v;
			v = 0;
			digits = 0;
			continue;
		}
		if (!is_digit(s[i]) || ++digits > 3)
			return -1;
		v = v * 10 + (uint32_t)(s[i] - '0');
		if (v > 255)
			return -1;
	}
	return (int)n;
}

static uint32_t
pack(const uint32_t o[4], int n, uint32_t fill)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++)
		v = (v << 8) | (i < n ? o[i] : fill);
	return v;
}

int
rbldnsd_data_parse_ip4(const char *s, size_t len, bool ranges, uint32_t *lo,
    uint32_t *hi, int *bits, const char **reason)
{
	const char *dash = memchr(s, '-', len), *slash = memchr(s, '/', len);
	uint32_t a[4], b[4], mask;
	int na, nb;

	if (dash != NULL) {
		if (!ranges) {
			*reason = "ranges are not allowed here (CIDR only)";
			return ERR_MALFORMED;
		}
		na = octets(s, (size_t)(dash - s), a);
		nb = octets(dash + 1, len - (size_t)(dash - s) - 1, b);
		if (na < 1 || nb < 1) {
			*reason = "invalid IPv4 range";
			return ERR_MALFORMED;
		}
		*lo = pack(a, na, 0);
		if (nb == 1 && na > 1) {
			/* "127.16-31": the last octet given is replaced. */
			a[na - 1] = b[0];
			*hi = pack(a, na, 255);
		} else
			*hi = pack(b, nb, 255);
		if (*hi < *lo) {
			*reason = "IPv4 range ends before it starts";
			return ERR_MALFORMED;
		}
		*bits = -1;
		for (unsigned l = 0; l <= 32; l++) {
			uint32_t m = l == 0 ? 0 : ~0u << (32 - l);

			if ((*lo & ~m) == 0 && (*lo | ~m) == *hi) {
				*bits = (int)l;
				break;
			}
		}
		return 0;
	}
	na = octets(s, slash != NULL ? (size_t)(slash - s) : len, a);
	if (na < 1) {
		*reason = "invalid IPv4 address";
		return ERR_MALFORMED;
	}
	*bits = na * 8;
	if (slash != NULL) {
		size_t i, n = len - (size_t)(slash - s) - 1;
		unsigned v = 0;

		if (n == 0 || n > 2) {
			*reason = "invalid prefix length";
			return ERR_MALFORMED;
		}
		for (i = 0; i < n; i++) {
			if (!is_digit(slash[1 + i])) {
				*reason = "invalid prefix length";
				return ERR_MALFORMED;
			}
			v = v * 10 + (unsigned)(slash[1 + i] - '0');
		}
		if (v > 32) {
			*reason = "prefix length over 32";
			return ERR_MALFORMED;
		}
		*bits = (int)v;
	}
	*lo = pack(a, na, 0);
	mask = *bits == 0 ? 0 : ~0u << (32 - *bits);
	if (*lo & ~mask) {
		*reason = "host bits set after the prefix length";
		return ERR_MALFORMED;
	}
	*hi = *lo | ~mask;
	return 0;
}

/*
 * A hex digit's value plus one, 0 for any other byte: one load instead
 * of the compares, in the loop that was a third of an ip6trie load.
 */
static const uint8_t hex1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16
};

static inline int
hexval(char c)
{
	return (int)hex1[(unsigned char)c] - 1;
}

/*
 * pton6 - inet_pton(AF_INET6) for the usual case, hex groups and "::",
 * in one pass without the libc call (it was a fifth of the load of
 * 100,000 IPv6 prefixes, measured with perf); the same rules as
 * glibc's inet_pton6 (at most 4 digits a group, one "::" standing for at
 * least one group, no lone leading or trailing ':'), and the libc call
 * itself for an IPv4 tail ("::ffff:1.2.3.4", dot true).  Returns 1 or 0
 * as inet_pton does.
 */
static int
pton6(const char *s, size_t len, bool dot, uint8_t dst[16])
{
	uint8_t tmp[16], *tp = tmp, *endp = tmp + 16, *colonp = NULL;
	unsigned val = 0, digits = 0;
	size_t i = 0, n;

	if (dot) {
		char buf[64];

		if (len >= sizeof(buf))
			return 0;
		memcpy(buf, s, len);
		buf[len] = '\0';
		return inet_pton(AF_INET6, buf, dst);
	}
	memset(tmp, 0, sizeof(tmp));
	if (len > 0 && s[0] == ':') {
		if (len < 2 || s[1] != ':')
			return 0;
		i = 1;
	}
	for (; i < len; i++) {
		int x = hexval(s[i]);

		if (x >= 0) {
			if (++digits > 4)
				return 0;
			val = val << 4 | (unsigned)x;
			continue;
		}
		if (s[i] != ':')
			return 0;
		if (digits == 0) {
			if (colonp != NULL)
				return 0;
			colonp = tp;
			continue;
		}
		if (i + 1 == len || tp + 2 > endp)
			return 0;
		*tp++ = (uint8_t)(val >> 8);
		*tp++ = (uint8_t)val;
		val = 0;
		digits = 0;
	}
	if (digits > 0) {
		if (tp + 2 > endp)
			return 0;
		*tp++ = (uint8_t)(val >> 8);
		*tp++ = (uint8_t)val;
	}
	if (colonp != NULL) {
		if (tp == endp)
			return 0;
		n = (size_t)(tp - colonp);
		memmove(endp - n, colonp, n);
		memset(colonp, 0, (size_t)(endp - n - colonp));
		tp = endp;
	}
	if (tp != endp)
		return 0;
	memcpy(dst, tmp, 16);
	return 1;
}

int
rbldnsd_data_parse_ip6(const char *s, size_t len, uint8_t addr[16],
    unsigned *bits, const char **reason)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - s) : len, i;
	char buf[64];
	unsigned groups = 1;
	bool dcolon = false, dot = false;

	if (alen == 0 || alen >= sizeof(buf)) {
		*reason = "invalid IPv6 address";
		return ERR_MALFORMED;
	}
	/*
	 * The full forms (eight groups, or "::") in one pass; anything else
	 * (dotted quads, the leading-groups form, errors) the long way.
	 */
	if (pton6(s, alen, false, addr) == 1) {
		*bits = 128;
		goto prefix;
	}
	for (i = 0; i < alen; i++) {
		if (s[i] == ':') {
			groups++;
			if (i > 0 && s[i - 1] == ':')
				dcolon = true;
		} else if (s[i] == '.' || s[i] == '\0')
			dot = true;	/* both for the libc parser */
	}
	if (groups > 8) {
		*reason = "invalid IPv6 address";
		return ERR_MALFORMED;	/* found by fuzz_rbldnsd_data */
	}
	if (dcolon || groups == 8) {
		if (pton6(s, alen, dot, addr) != 1) {
			*reason = "invalid IPv6 address";
			return ERR_MALFORMED;
		}
		*bits = 128;
	} else {
		/* "2001:db8:1": leading groups, trailing zeros implied. */
		const char *p = buf;
		unsigned g;

		memcpy(buf, s, alen);
		buf[alen] = '\0';
		memset(addr, 0, 16);
		for (g = 0; g < groups; g++) {
			unsigned v = 0, d = 0;

			while (*p != '\0' && *p != ':') {
				char c = *p++;
				unsigned x;

				if (is_digit(c))
					x = (unsigned)(c - '0');
				else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
					x = (unsigned)((c | 0x20) - 'a' + 10);
				else {
					*reason = "invalid IPv6 address";
					return ERR_MALFORMED;
				}
				if (++d > 4) {
					*reason = "invalid IPv6 address";
					return ERR_MALFORMED;
				}
				v = v << 4 | x;
			}
			if (d == 0) {
				*reason = "invalid IPv6 address";
				return ERR_MALFORMED;
			}
			addr[2 * g] = (uint8_t)(v >> 8);
			addr[2 * g + 1] = (uint8_t)v;
			if (*p == ':')
				p++;
		}
		*bits = 16 * groups;
	}
prefix:
	if (slash != NULL) {
		size_t n = len - alen - 1;
		unsigned v = 0;

		if (n == 0 || n > 3) {
			*reason = "invalid prefix length";
			return ERR_MALFORMED;
		}
		for (i = 0; i < n; i++) {
			if (!is_digit(slash[1 + i])) {
				*reason = "invalid prefix length";
				return ERR_MALFORMED;
			}
			v = v * 10 + (unsigned)(slash[1 + i] - '0');
		}
		if (v > 128) {
			*reason = "prefix length over 128";
			return ERR_MALFORMED;
		}
		*bits = v;
	}
	/* Host bits: the partial byte, then whole bytes. */
	i = *bits >> 3;
	if ((*bits & 7) != 0 && (addr[i++] & (0xff >> (*bits & 7))) != 0)
		i = 0;
	else
		for (; i < 16 && addr[i] == 0; i++)
			;
	if (i < 16) {
		*reason = "host bits set after the prefix length";
		return ERR_MALFORMED;
	}
	return 0;
}

size_t
rbldnsd_data_expand(const char *txt, size_t len, const char *const vars[10],
    const char *base, char *out, size_t cap)
{
	size_t o = 0, i;
	const char *t = txt;
	size_t tl = len;

	if (cap == 0)
		return 0;
	if (len > 0 && txt[0] == '=') {
		t = txt + 1;
		tl = len - 1;
		base = NULL;
	}
	if (base != NULL) {
		size_t bl = strlen(base);

		for (i = 0; i < bl && o + 1 < cap; i++) {
			if (base[i] == '$' && i + 1 < bl && base[i + 1] == '=') {
				/* The entry's own text, or "$" (the entry) if none. */
				o += rbldnsd_data_expand(tl > 0 ? t : "$", tl > 0 ? tl : 1,
				    vars, NULL, out + o, cap - o);
				i++;
				continue;
			}
			if (base[i] == '$' && i + 1 < bl && base[i + 1] >= '0' &&
			    base[i + 1] <= '9') {
				const char *v = vars[base[i + 1] - '0'];

				while (v != NULL && *v != '\0' && o + 1 < cap)
					out[o++] = *v++;
				i++;
				continue;
			}
			if (base[i] == '$' && i + 1 < bl && base[i + 1] == '$') {
				out[o++] = '$';
				if (o + 1 < cap)
					out[o++] = '$';
				i++;
				continue;
			}
			out[o++] = base[i];
		}
		out[o] = '\0';
		return o;
	}
	for (i = 0; i < tl && o + 1 < cap; i++) {
		if (t[i] == '$' && i + 1 < tl && t[i + 1] == '$') {
			out[o++] = '$';
			if (o + 1 < cap)
				out[o++] = '$';
			i++;
		} else if (t[i] == '$' && i + 1 < tl && t[i + 1] >= '0' &&
		    t[i + 1] <= '9') {
			const char *v = vars[t[i + 1] - '0'];

			while (v != NULL && *v != '\0' && o + 1 < cap)
				out[o++] = *v++;
			i++;
		} else
			out[o++] = t[i];
	}
	out[o] = '\0';
	return o;
}

size_t
rbldnsd_data_subst(const char *tmpl, size_t len, const char *subst,
    size_t subst_len, char *out, size_t cap)
{
	size_t o = 0, i, k;

	for (i = 0; i < len && o < cap; i++) {
		if (tmpl[i] != '$') {
			out[o++] = tmpl[i];
			continue;
		}
		if (i + 1 < len && tmpl[i + 1] == '$') {
			out[o++] = '$';
			i++;
			continue;
		}
		for (k = 0; k < subst_len && o < cap; k++)
			out[o++] = subst[k];
	}
	return o;
}

bool
rbldnsd_data_is_gzip(const uint8_t *data, size_t len)
{
	return len >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

int
rbldnsd_data_gunzip(const uint8_t *in, size_t len, size_t max, char **out,
    size_t *out_len)
{
	z_stream zs;
	size_t cap = len * 4 + 4096, n = 0;
	char *buf, *nb;
	int zrc;

	if (cap > max + 1)
		cap = max + 1;
	if ((buf = xmalloc(cap)) == NULL)
		return ERR_NOMEM;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 32) != Z_OK) {
		xfree(buf);
		return ERR_NOMEM;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)(len > 0xffffffffu ? 0xffffffffu : len);
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > max) {
				inflateEnd(&zs);
				xfree(buf);
				return ERR_TOOBIG;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			if ((nb = xrealloc(buf, cap)) == NULL) {
				inflateEnd(&zs);
				xfree(buf);
				return ERR_NOMEM;
			}
			buf = nb;
		}
		zs.next_out = (Bytef *)buf + n;
		zs.avail_out = (uInt)(cap - 1 - n);
		zrc = inflate(&zs, Z_NO_FLUSH);
		n = cap - 1 - zs.avail_out;
		if (zrc == Z_STREAM_END) {
			if (zs.avail_in == 0)
				break;
			/* Another gzip member follows, as `cat a.gz b.gz`. */
			if (inflateReset(&zs) != Z_OK)
				break;
			continue;
		}
		if (zrc == Z_BUF_ERROR && zs.avail_out != 0) {
			inflateEnd(&zs);
			xfree(buf);
			return ERR_MALFORMED;	/* truncated */
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			inflateEnd(&zs);
			xfree(buf);
			return zrc == Z_MEM_ERROR ? ERR_NOMEM : ERR_MALFORMED;
		}
	}
	inflateEnd(&zs);
	if (n > max) {
		xfree(buf);
		return ERR_TOOBIG;
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}
