/*
 * incident_fmt.h - one incident as the JSON object of SPEC section 6:
 *
 *   {"t": 1764460900.000, "ev": "incident", "id": 7, "customer": "u7",
 *    "opened": 1764460900.000, "reason": "sprt", "evidence": {...},
 *    "client_addresses": ["100.64.1.2"]}
 *
 * ("ev": "release" with "released" once it is released).  The same text
 * is a line of `relayguard replay` output and what detection.
 * notify_command reads on its stdin, so a script written against one
 * works on the other.
 */
#ifndef RG_ENGINE_INCIDENT_FMT_H
#define RG_ENGINE_INCIDENT_FMT_H

#include <stddef.h>

#include "engine/engine.h"

/*
 * incident_fmt_json - the object above, with a trailing newline, in a new
 * NUL-terminated buffer (*out, xfree it; *len without the NUL).  An
 * evidence text that is not a JSON object is written as {}.  Returns 0 or
 * ERR_NOMEM.
 */
int incident_fmt_json(const struct engine_incident *inc, char **out, size_t *len);

#endif
