/*
 * http_entries.h - the entries of the DNSBL detection datasets kept in
 * a file under state.dir, so that what the abuse desk (the HTTP API) or
 * an incident listed survives a restart (SPEC section 7).
 *
 * File: STATE_DIR/dnsbl-entries.jsonl, one JSON object a line:
 *   {"zone": "bl.example.test", "address": "100.64.1.2/32",
 *    "listed": 1764460800, "expires": 0, "txt": null}
 * rewritten whole on every change (a temporary file, fsync, rename: a
 * crash leaves the old or the new file, never half of one).  Entries
 * expired by the time they are loaded are skipped; lines of zones no
 * longer configured are skipped with a warning.
 *
 * Limits: a file of at most HTTP_ENTRIES_FILE_MAX bytes; a line of at
 * most 1 KiB.  Threads: the event loop's.
 */
#ifndef RG_SVC_HTTP_ENTRIES_H
#define RG_SVC_HTTP_ENTRIES_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

#define HTTP_ENTRIES_FILE "dnsbl-entries.jsonl"
#define HTTP_ENTRIES_FILE_MAX ((size_t)1 << 30)

struct dns_svc;

/*
 * http_entries_save - write every entry of every zone's detection
 * dataset to STATE_DIR/HTTP_ENTRIES_FILE at now_s.  Returns 0 or a
 * negative error with "PATH: reason" in err.
 */
int http_entries_save(const struct conf *conf, struct dns_svc *dns,
    int64_t now_s, char *err, size_t errcap);

/*
 * http_entries_load - list the entries of the file (if there is one)
 * in their zones' detection datasets.  Returns the number listed, or a
 * negative error with "PATH:LINE: reason" in err (entries before the
 * bad line stay listed).
 */
long http_entries_load(const struct conf *conf, struct dns_svc *dns,
    int64_t now_s, char *err, size_t errcap);

#endif
