/*
 * store.h - durable key/value records for the embedded state backend.
 *
 * Design: a snapshot file plus an append-only journal under state.dir.
 * store_put() appends a record to an in-memory journal buffer; the
 * daemon calls store_sync() once a second, which write(2)s the buffer to
 * the journal (so kill -9 loses at most the last second; the page cache
 * survives a killed process).  store_compact() writes every live record
 * to a new snapshot, fsyncs it, renames it over the old one and empties
 * the journal.  store_load() reads the snapshot, then the journal; a
 * record whose length or checksum is wrong (a torn last write) ends the
 * journal there, with a warning.  Records are opaque bytes to the store.
 *
 * One process owns a state.dir at a time (a lock file).
 * Limits: key 1 KiB, value 1 MiB (ERR_TOOBIG).
 */
#ifndef RG_STORE_STORE_H
#define RG_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_KEY_MAX 1024
#define STORE_VAL_MAX (1u << 20)

struct store;

/* A record found by store_load(); vlen == 0 means "deleted". */
typedef int (*store_record_fn)(void *ctx, const void *key, size_t klen,
    const void *val, size_t vlen);

/* For store_compact(): the caller's iterator emits every live record. */
typedef int (*store_emit_fn)(struct store *store, const void *key, size_t klen,
    const void *val, size_t vlen);
typedef int (*store_iterate_fn)(void *ctx, struct store *store, store_emit_fn emit);

/*
 * store_open - open (creating if needed) the state directory dir and
 * lock it.  Returns 0 and *out, or an error with a message in err.
 */
int store_open(const char *dir, struct store **out, char *err, size_t errcap);

/* store_close - sync, unlock and free; NULL is a no-op. */
void store_close(struct store *store);

/*
 * store_load - call fn for every record, snapshot first, then journal,
 * in write order (a later record for a key replaces an earlier one).
 * fn returning non-zero stops the load with that value.
 */
int store_load(struct store *store, store_record_fn fn, void *ctx);

/* store_put - append a record (vlen 0: delete key).  Buffered in memory. */
int store_put(struct store *store, const void *key, size_t klen,
    const void *val, size_t vlen);

/* store_sync - write the buffered records to the journal file. */
int store_sync(struct store *store);

/*
 * store_compact - write a new snapshot from iterate (which calls emit
 * for every live record), replace the old one atomically, empty the
 * journal.  On failure the old snapshot and journal stay intact.
 */
int store_compact(struct store *store, store_iterate_fn iterate, void *ctx);

/* store_journal_bytes - current journal size, to decide when to compact. */
uint64_t store_journal_bytes(const struct store *store);

#endif
