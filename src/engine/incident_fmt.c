/*
 * incident_fmt.c - an incident as one JSON line (see incident_fmt.h).
 */
#include <stdio.h>
#include <string.h>

#include "engine/incident_fmt.h"
#include "lib/err.h"
#include "lib/json_esc.h"
#include "lib/xmalloc.h"

/* fmt_str - append "escaped s" at *p; room was computed by the caller. */
static void
fmt_str(char **p, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	int n;

	*(*p)++ = '"';
	n = json_esc_write(*p, json_esc_len(s ? s : "", len) + 1, s ? s : "", len);
	*p += n > 0 ? n : 0;
	*(*p)++ = '"';
}

int
incident_fmt_json(const struct engine_incident *inc, char **out, size_t *len)
{
	const char *ev = inc->evidence && inc->evidence[0] == '{' ? inc->evidence : "{}";
	double opened = (double)inc->opened_us / 1e6;
	double t = inc->released_us ? (double)inc->released_us / 1e6 : opened;
	size_t cap, i;
	char *buf, *p;

	/* Fixed text and numbers, then every string at its escaped size. */
	cap = 256 + strlen(ev);
	cap += json_esc_len(inc->customer ? inc->customer : "",
	    inc->customer ? strlen(inc->customer) : 0);
	cap += json_esc_len(inc->reason ? inc->reason : "",
	    inc->reason ? strlen(inc->reason) : 0);
	for (i = 0; i < inc->n_client_addrs; i++)
		cap += 4 + json_esc_len(inc->client_addrs[i], strlen(inc->client_addrs[i]));
	if ((buf = xmalloc(cap)) == NULL)
		return ERR_NOMEM;
	p = buf;
	p += sprintf(p, "{\"t\": %.3f, \"ev\": \"%s\", \"id\": %llu, \"customer\": ", t,
	    inc->released_us ? "release" : "incident", (unsigned long long)inc->id);
	fmt_str(&p, inc->customer);
	p += sprintf(p, ", \"opened\": %.3f, \"reason\": ", opened);
	fmt_str(&p, inc->reason);
	if (inc->released_us)
		p += sprintf(p, ", \"released\": %.3f", t);
	p += sprintf(p, ", \"evidence\": %s, \"client_addresses\": [", ev);
	for (i = 0; i < inc->n_client_addrs; i++) {
		if (i > 0) {
			*p++ = ',';
			*p++ = ' ';
		}
		fmt_str(&p, inc->client_addrs[i]);
	}
	p += sprintf(p, "]}\n");
	*out = buf;
	*len = (size_t)(p - buf);
	return 0;
}
