/*
 * ipaddr.c - IPv4/IPv6 addresses and prefixes (see ipaddr.h).
 *
 * Parsing goes through inet_pton() on a bounded, NUL-terminated copy.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"
#include "lib/ipaddr.h"

static const uint8_t v4_mapped_head[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool
ipaddr_is_v4(const struct ipaddr *addr)
{
	return memcmp(addr->bytes, v4_mapped_head, 12) == 0;
}

int
ipaddr_parse(const char *text, size_t len, struct ipaddr *out)
{
	char tmp[IPADDR_STRLEN + 8];

	if (len >= 5 && strncasecmp(text, "IPv6:", 5) == 0) {
		text += 5;
		len -= 5;
	}
	if (len == 0 || len >= sizeof(tmp))
		return ERR_MALFORMED;
	/* inet_pton() would stop at a NUL and accept "1.2.3.4\0junk". */
	if (memchr(text, '\0', len) != NULL)
		return ERR_MALFORMED;
	memcpy(tmp, text, len);
	tmp[len] = '\0';
	if (memchr(tmp, ':', len) == NULL) {
		memcpy(out->bytes, v4_mapped_head, 12);
		if (inet_pton(AF_INET, tmp, out->bytes + 12) != 1)
			return ERR_MALFORMED;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, out->bytes) != 1)
		return ERR_MALFORMED;
	return 0;
}

void
ipaddr_mask(struct ipaddr *addr, unsigned len)
{
	unsigned i;

	if (len >= 128)
		return;
	addr->bytes[len >> 3] &= (uint8_t)(0xff00u >> (len & 7));
	for (i = (len >> 3) + 1; i < 16; i++)
		addr->bytes[i] = 0;
}

int
ipprefix_parse(const char *text, size_t len, struct ipprefix *out)
{
	const char *slash = memchr(text, '/', len);
	size_t alen = slash ? (size_t)(slash - text) : len, skip;
	unsigned plen = 0, max;
	struct ipaddr masked;
	size_t i;

	if (ipaddr_parse(text, alen, &out->addr) != 0)
		return ERR_MALFORMED;
	/*
	 * The length counts in the family the text is written in: an
	 * IPv4-mapped address written as IPv6 (::ffff:10.0.0.0/104) takes
	 * an IPv6 length.
	 */
	skip = alen >= 5 && strncasecmp(text, "IPv6:", 5) == 0 ? 5 : 0;
	max = memchr(text + skip, ':', alen - skip) == NULL ? 32 : 128;
	if (slash == NULL) {
		plen = max;
	} else {
		if (alen + 1 == len || len - alen - 1 > 3)
			return ERR_MALFORMED;
		for (i = alen + 1; i < len; i++) {
			if (text[i] < '0' || text[i] > '9')
				return ERR_MALFORMED;
			plen = plen * 10 + (unsigned)(text[i] - '0');
		}
		if (plen > max)
			return ERR_MALFORMED;
	}
	if (max == 32)
		plen += 96;
	out->len = (uint8_t)plen;
	masked = out->addr;
	ipaddr_mask(&masked, plen);
	if (memcmp(&masked, &out->addr, sizeof(masked)) != 0)
		return ERR_INVAL;
	return 0;
}

void
ipaddr_format(const struct ipaddr *addr, char *buf, size_t cap)
{
	char tmp[IPADDR_STRLEN];

	if (ipaddr_is_v4(addr))
		inet_ntop(AF_INET, addr->bytes + 12, tmp, sizeof(tmp));
	else
		inet_ntop(AF_INET6, addr->bytes, tmp, sizeof(tmp));
	snprintf(buf, cap, "%s", tmp);
}

void
ipprefix_format(const struct ipprefix *prefix, char *buf, size_t cap)
{
	char tmp[IPADDR_STRLEN];
	unsigned len = prefix->len;

	ipaddr_format(&prefix->addr, tmp, sizeof(tmp));
	if (ipaddr_is_v4(&prefix->addr) && len >= 96)
		len -= 96;
	snprintf(buf, cap, "%s/%u", tmp, len);
}

bool
ipprefix_contains(const struct ipprefix *prefix, const struct ipaddr *addr)
{
	struct ipaddr masked = *addr;

	ipaddr_mask(&masked, prefix->len);
	return memcmp(&masked, &prefix->addr, sizeof(masked)) == 0;
}
