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
 *
 * On disk (all integers little-endian; store.c has the details):
 *   DIR/lock      flock(2)ed by the owner, holds its pid as text
 *   DIR/snapshot  32-byte header (magic "RGSTSNAP", version, generation,
 *                 CRC32), records, an end record holding the count
 *   DIR/journal   32-byte header (magic "RGSTJRNL", version, the
 *                 generation of the snapshot it applies to, CRC32),
 *                 then records appended by store_sync()
 *   a record      u32 klen, u32 vlen, u32 CRC32 of (klen, vlen, key,
 *                 value), key, value
 * A journal whose generation is older than the snapshot's was already
 * folded into it (a crash inside store_compact) and is emptied on open;
 * one that is newer means the snapshot was lost: an error.
 */
#ifndef RG_STORE_STORE_H
#define RG_STORE_STORE_H

#include <stdbool.h>
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
 * lock it.  A torn or corrupt record at the end of the journal is cut
 * off here (log_warn naming the file and offset), so that appends go on
 * after the last good record.  Returns 0 and *out, or an error with a
 * message in err: ERR_AGAIN "state.dir DIR is in use by another
 * process", ERR_MALFORMED for a damaged header, ERR_UNSUPPORTED for a
 * newer format version, -errno for a system call.
 */
int store_open(const char *dir, struct store **out, char *err, size_t errcap);

/* store_close - sync, unlock and free; NULL is a no-op. */
void store_close(struct store *store);

/*
 * store_load - call fn for every record, snapshot first, then journal,
 * in write order (a later record for a key replaces an earlier one).
 * key and val are borrowed for the duration of the call only.
 * fn returning non-zero stops the load with that value.  A damaged
 * snapshot is ERR_MALFORMED (logged as "DIR/snapshot:OFFSET: reason",
 * also in store_last_error()); fn may have seen earlier records by then.
 * A journal record that went bad since store_open() ends the journal
 * with a warning, as on open.  ERR_NOMEM and -errno are passed up.
 */
int store_load(struct store *store, store_record_fn fn, void *ctx);

/*
 * store_put - append a record (vlen 0: delete key).  Buffered in memory;
 * when more than STORE_BUF_SYNC bytes are buffered it syncs by itself.
 * Returns 0, ERR_INVAL (klen 0), ERR_TOOBIG (a limit), ERR_NOMEM, or,
 * once STORE_BUF_MAX bytes are waiting because syncs keep failing, the
 * sync's error (the record is then not stored).
 */
int store_put(struct store *store, const void *key, size_t klen,
    const void *val, size_t vlen);

#define STORE_BUF_SYNC (4u << 20)
#define STORE_BUF_MAX (64u << 20)

/*
 * store_sync - write(2) the buffered records to the journal file (and
 * fdatasync(2) it when store_set_fsync() asked for that).  On failure the
 * journal is cut back to its last good record, the records stay buffered
 * for the next try, and -errno is returned.
 */
int store_sync(struct store *store);

/*
 * store_set_fsync - also fdatasync the journal in every store_sync()
 * (default off: a killed process loses nothing the kernel has, only a
 * power loss loses the last second).
 */
void store_set_fsync(struct store *store, bool on);

/*
 * store_last_error - the text of the last failure of store_load() or
 * store_compact(), "" if none.  Valid until the next call on store.
 */
const char *store_last_error(const struct store *store);

/*
 * store_compact - write a new snapshot from iterate (which calls emit
 * for every live record), replace the old one atomically, empty the
 * journal.  On failure the old snapshot and journal stay intact.
 * emit returns 0 or an error (ERR_INVAL, ERR_TOOBIG, ERR_NOMEM, -errno)
 * that iterate should pass back; emit with vlen 0 writes nothing.
 * Records buffered by store_put() are dropped on success, since iterate
 * reflects them; store_put() must not be called from iterate.
 * Returns 0, iterate's non-zero return, or emit's or the file system's
 * error (text in store_last_error()).
 */
int store_compact(struct store *store, store_iterate_fn iterate, void *ctx);

/*
 * store_journal_bytes - current journal size, header and buffered
 * records included, to decide when to compact.
 */
uint64_t store_journal_bytes(const struct store *store);

#endif
