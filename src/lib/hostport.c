/*
 * hostport.c - "HOST:PORT" and "[IPV6]:PORT" (hostport.h).
 */
#include <string.h>

#include "lib/err.h"
#include "lib/hostport.h"

int
hostport_split(const char *addr, char *host, size_t hostcap, unsigned *port)
{
	const char *colon, *h = addr, *hend, *p;
	unsigned v = 0;
	size_t hl, pl, i;

	if (*addr == '[') {
		if ((hend = strchr(addr, ']')) == NULL || hend[1] != ':')
			return ERR_MALFORMED;
		h = addr + 1;
		colon = hend + 1;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL)
			return ERR_MALFORMED;
		if (memchr(addr, ':', (size_t)(colon - addr)) != NULL)
			return ERR_MALFORMED;	/* IPv6 without brackets */
		hend = colon;
	}
	hl = (size_t)(hend - h);
	if (hl >= hostcap)
		return ERR_MALFORMED;
	p = colon + 1;
	pl = strlen(p);
	if (pl == 0 || pl > 5)
		return ERR_MALFORMED;
	for (i = 0; i < pl; i++) {
		if (p[i] < '0' || p[i] > '9')
			return ERR_MALFORMED;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return ERR_MALFORMED;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = v;
	return 0;
}
