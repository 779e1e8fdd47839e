/*
 * incidents.h - durable incident and hold records: an SQLite database
 * STATE_DIR/incidents.db, so that incidents, the messages held under
 * them and their release survive kill -9 (SPEC section 7).  This is the
 * only file of relayguard that includes sqlite3.h.
 *
 * Schema (version 1, PRAGMA user_version):
 *
 *   incidents(id INTEGER PRIMARY KEY, customer TEXT NOT NULL,
 *             opened INTEGER NOT NULL,    -- microseconds since the epoch
 *             released INTEGER,           -- NULL while open
 *             reason TEXT NOT NULL, evidence TEXT NOT NULL,  -- JSON
 *             state TEXT NOT NULL,        -- 'open' | 'released'
 *             actions INTEGER NOT NULL,   -- CONF_ON_* bits
 *             client_addresses TEXT NOT NULL)  -- JSON array of strings
 *   held(incident_id INTEGER NOT NULL REFERENCES incidents(id),
 *        queue_id TEXT NOT NULL,          -- '' until known
 *        instance TEXT NOT NULL,          -- Postfix instance, or ''
 *        t INTEGER NOT NULL)              -- when held, microseconds
 *   index held_incident on held(incident_id)
 *
 * Durability: journal_mode=WAL, synchronous=NORMAL.  Every call is its
 * own transaction, committed before it returns: the commit is written to
 * the WAL file with write(2), so it survives the death of the process
 * (kill -9) at once; WAL mode with NORMAL syncs only at checkpoints, so
 * a power failure may lose the last transactions but never corrupts the
 * database.  Statements are prepared once at open.  A busy timeout of
 * 1 s covers a reader (the CLI) holding a lock.
 *
 * Ownership: the strings given to the load callbacks are valid only
 * during the call.  Not thread-safe; one handle per process.
 */
#ifndef RG_STORE_INCIDENTS_H
#define RG_STORE_INCIDENTS_H

#include <stddef.h>
#include <stdint.h>

#define INCIDENTS_DB_FILE "incidents.db"

struct incidents_db;

/* One incident row (incidents_db_insert, incidents_db_load). */
struct incidents_db_row {
	uint64_t id;
	const char *customer;
	int64_t opened_us;
	int64_t released_us;		/* 0: open */
	const char *reason;
	const char *evidence;		/* JSON object text */
	unsigned actions;
	const char *client_addrs;	/* JSON array text */
};

typedef int (*incidents_db_incident_fn)(void *ctx,
    const struct incidents_db_row *row);
typedef int (*incidents_db_held_fn)(void *ctx, uint64_t incident_id,
    const char *queue_id, const char *instance, int64_t t_us);

/*
 * incidents_db_open - open (creating the file and schema if needed)
 * DIR/incidents.db.  Returns 0 and *out, or ERR_IO / ERR_UNSUPPORTED (a
 * newer schema) / ERR_NOMEM with a message in err.
 */
int incidents_db_open(const char *dir, struct incidents_db **out, char *err,
    size_t errcap);

/* incidents_db_close - finish statements and close; NULL is a no-op. */
void incidents_db_close(struct incidents_db *db);

/*
 * incidents_db_insert - a new incident (its id chosen by the caller).
 * Returns 0, ERR_EXIST (that id is there) or ERR_IO.
 */
int incidents_db_insert(struct incidents_db *db,
    const struct incidents_db_row *row);

/*
 * incidents_db_add_held - a held message of incident_id.  A row of the
 * same incident with the same non-empty instance, or the same non-empty
 * queue ID, is updated (its empty queue ID or instance filled in)
 * instead of duplicated.  Returns 0 or ERR_IO.
 */
int incidents_db_add_held(struct incidents_db *db, uint64_t incident_id,
    const char *queue_id, const char *instance, int64_t t_us);

/*
 * incidents_db_release - mark incident id released at released_us.
 * Returns 0, ERR_NOENT (no such incident), ERR_EXIST (already
 * released) or ERR_IO.
 */
int incidents_db_release(struct incidents_db *db, uint64_t id,
    int64_t released_us);

/*
 * incidents_db_load - call inc for every incident in id order, then
 * held for every held row in incident and insertion order.  A callback
 * returning non-zero stops the load with that value.  Returns 0, the
 * callback's value or ERR_IO.
 */
int incidents_db_load(struct incidents_db *db, incidents_db_incident_fn inc,
    incidents_db_held_fn held, void *ctx);

/* incidents_db_max_id - the highest incident id (0: none).  0 or ERR_IO. */
int incidents_db_max_id(struct incidents_db *db, uint64_t *out);

#endif
