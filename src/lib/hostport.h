/*
 * hostport.h - "HOST:PORT" and "[IPV6]:PORT" as the config writes the
 * addresses of listeners and servers (SPEC section 2); "unix:/PATH" is
 * each caller's own.  Pure parsing, no allocation, no name lookup.
 */
#ifndef RG_LIB_HOSTPORT_H
#define RG_LIB_HOSTPORT_H

#include <stddef.h>

/*
 * hostport_split - split addr into host (NUL-terminated, at most
 * hostcap - 1 bytes; the brackets of an IPv6 address removed; may be
 * empty, as in ":10040", or "*": whether that means "any" is the
 * caller's) and a decimal port of 1 to 65535.  An IPv6 address without
 * brackets is refused: its last colon is no separator.  Returns 0 or
 * ERR_MALFORMED.
 */
int hostport_split(const char *addr, char *host, size_t hostcap,
    unsigned *port);

#endif
