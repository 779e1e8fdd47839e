/*
 * ipaddr.h - IPv4 and IPv6 addresses and prefixes.
 *
 * Both families live in one 16-byte form: an IPv4 address is stored as
 * the IPv4-mapped IPv6 address ::ffff:a.b.c.d, so one longest-prefix
 * table serves both.  An IPv4 prefix a.b.c.d/n is stored with length
 * 96 + n.  Formatting gives back the dotted quad for mapped addresses.
 * Pure functions, no allocation.
 */
#ifndef RG_LIB_IPADDR_H
#define RG_LIB_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPADDR_STRLEN 46	/* INET6_ADDRSTRLEN */
#define IPPREFIX_STRLEN 50	/* address, '/', three digits, NUL */

struct ipaddr {
	uint8_t bytes[16];	/* network order; IPv4 as ::ffff:a.b.c.d */
};

struct ipprefix {
	struct ipaddr addr;	/* host bits are zero */
	uint8_t len;		/* 0..128, IPv4 as 96 + n */
};

/* ipaddr_is_v4 - true when addr is an IPv4-mapped address. */
bool ipaddr_is_v4(const struct ipaddr *addr);

/*
 * ipaddr_parse - parse a textual IPv4 or IPv6 address of len bytes (not
 * necessarily NUL-terminated).  An "IPv6:" prefix as Postfix writes for
 * some clients is accepted.  Returns 0 or ERR_MALFORMED.
 */
int ipaddr_parse(const char *text, size_t len, struct ipaddr *out);

/*
 * ipprefix_parse - parse "addr/len" or a plain address (a host prefix).
 * Host bits that are set are an error (ERR_INVAL), as a typo like
 * 10.0.0.1/8 usually is.  Returns 0, ERR_MALFORMED or ERR_INVAL.
 */
int ipprefix_parse(const char *text, size_t len, struct ipprefix *out);

/* ipaddr_format - write the address into buf (cap >= IPADDR_STRLEN). */
void ipaddr_format(const struct ipaddr *addr, char *buf, size_t cap);

/* ipprefix_format - "addr/len" with the family's own length. */
void ipprefix_format(const struct ipprefix *prefix, char *buf, size_t cap);

/* ipaddr_mask - clear every bit after the first len (0..128). */
void ipaddr_mask(struct ipaddr *addr, unsigned len);

/* ipprefix_contains - true when addr lies inside prefix. */
bool ipprefix_contains(const struct ipprefix *prefix, const struct ipaddr *addr);

/* ipaddr_bit - bit i (0 = most significant) of addr. */
static inline unsigned
ipaddr_bit(const struct ipaddr *addr, unsigned i)
{
	return (addr->bytes[i >> 3] >> (7 - (i & 7))) & 1u;
}

#endif
