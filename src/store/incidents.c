/*
 * incidents.c - durable incident and hold records in SQLite
 * (incidents.h): schema, prepared statements, one transaction per call.
 *
 * Why SQLite and not the store's journal: incident records are few,
 * must survive kill -9 at once (not within the second), are read by
 * other processes (the CLI, an operator with sqlite3) and queried by
 * incident; a transactional database with a documented file format
 * fits, and SQLite's WAL mode commits with one write(2).
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/err.h"
#include "lib/xmalloc.h"
#include "store/incidents.h"

#define DB_SCHEMA_VERSION 1

enum db_stmt {
	ST_INSERT,
	ST_HELD_FIND,
	ST_HELD_UPDATE,
	ST_HELD_INSERT,
	ST_RELEASE,
	ST_STATE,
	ST_LOAD_INC,
	ST_LOAD_HELD,
	ST_MAX_ID,
	ST__COUNT
};

static const char *const db_sql[ST__COUNT] = {
	[ST_INSERT] = "INSERT INTO incidents (id, customer, opened, released, "
	    "reason, evidence, state, actions, client_addresses) "
	    "VALUES (?1, ?2, ?3, NULL, ?4, ?5, 'open', ?6, ?7)",
	[ST_HELD_FIND] = "SELECT rowid FROM held WHERE incident_id = ?1 AND "
	    "((?2 <> '' AND instance = ?2) OR (?3 <> '' AND queue_id = ?3)) "
	    "LIMIT 1",
	[ST_HELD_UPDATE] = "UPDATE held SET "
	    "queue_id = CASE WHEN queue_id = '' THEN ?2 ELSE queue_id END, "
	    "instance = CASE WHEN instance = '' THEN ?3 ELSE instance END "
	    "WHERE rowid = ?1",
	[ST_HELD_INSERT] = "INSERT INTO held (incident_id, queue_id, instance, "
	    "t) VALUES (?1, ?2, ?3, ?4)",
	[ST_RELEASE] = "UPDATE incidents SET released = ?2, state = "
	    "'released' WHERE id = ?1 AND state = 'open'",
	[ST_STATE] = "SELECT state FROM incidents WHERE id = ?1",
	[ST_LOAD_INC] = "SELECT id, customer, opened, released, reason, "
	    "evidence, actions, client_addresses FROM incidents ORDER BY id",
	[ST_LOAD_HELD] = "SELECT incident_id, queue_id, instance, t FROM held "
	    "ORDER BY incident_id, rowid",
	[ST_MAX_ID] = "SELECT COALESCE(MAX(id), 0) FROM incidents",
};

static const char db_schema[] =
    "CREATE TABLE IF NOT EXISTS incidents ("
    " id INTEGER PRIMARY KEY, customer TEXT NOT NULL,"
    " opened INTEGER NOT NULL, released INTEGER,"
    " reason TEXT NOT NULL, evidence TEXT NOT NULL,"
    " state TEXT NOT NULL, actions INTEGER NOT NULL,"
    " client_addresses TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS held ("
    " incident_id INTEGER NOT NULL REFERENCES incidents(id),"
    " queue_id TEXT NOT NULL, instance TEXT NOT NULL, t INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS held_incident ON held(incident_id);"
    "PRAGMA user_version = 1;";

struct incidents_db {
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
};

static int
db_fail(sqlite3 *db, const char *what, char *err, size_t errcap)
{
	if (errcap > 0)
		snprintf(err, errcap, "incidents database: %s: %s", what,
		    db ? sqlite3_errmsg(db) : "out of memory");
	return ERR_IO;
}

static int
db_exec(sqlite3 *db, const char *sql, char *err, size_t errcap)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, sql, err, errcap);
	return 0;
}

int
incidents_db_open(const char *dir, struct incidents_db **out, char *err,
    size_t errcap)
{
	struct incidents_db *d;
	sqlite3_stmt *v = NULL;
	char path[4096];
	int i, version = 0, rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
	    INCIDENTS_DB_FILE) >= sizeof(path)) {
		snprintf(err, errcap, "incidents database: %s: path too long",
		    dir);
		return ERR_TOOBIG;
	}
	if ((d = xcalloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errcap, "incidents database: %s",
		    err_str(ERR_NOMEM));
		return ERR_NOMEM;
	}
	if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = db_fail(d->db, path, err, errcap);
		goto fail;
	}
	sqlite3_busy_timeout(d->db, 1000);
	if ((rc = db_exec(d->db, "PRAGMA journal_mode = WAL", err,
	    errcap)) != 0 ||
	    (rc = db_exec(d->db, "PRAGMA synchronous = NORMAL", err,
	    errcap)) != 0)
		goto fail;
	if (sqlite3_prepare_v2(d->db, "PRAGMA user_version", -1, &v,
	    NULL) == SQLITE_OK && sqlite3_step(v) == SQLITE_ROW)
		version = sqlite3_column_int(v, 0);
	sqlite3_finalize(v);
	if (version > DB_SCHEMA_VERSION) {
		snprintf(err, errcap, "incidents database %s: schema version "
		    "%d is newer than this program's %d", path, version,
		    DB_SCHEMA_VERSION);
		rc = ERR_UNSUPPORTED;
		goto fail;
	}
	if ((rc = db_exec(d->db, db_schema, err, errcap)) != 0)
		goto fail;
	for (i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(d->db, db_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &d->st[i], NULL) != SQLITE_OK) {
			rc = db_fail(d->db, db_sql[i], err, errcap);
			goto fail;
		}
	}
	*out = d;
	return 0;
fail:
	incidents_db_close(d);
	return rc;
}

void
incidents_db_close(struct incidents_db *d)
{
	int i;

	if (d == NULL)
		return;
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(d->st[i]);
	sqlite3_close(d->db);
	xfree(d);
}

/* Step a prepared statement to its end; reset it.  SQLITE_DONE or error. */
static int
db_run(sqlite3_stmt *s)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

static void
db_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

int
incidents_db_insert(struct incidents_db *d, const struct incidents_db_row *row)
{
	sqlite3_stmt *s = d->st[ST_INSERT];
	int rc;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)row->id);
	db_text(s, 2, row->customer);
	sqlite3_bind_int64(s, 3, row->opened_us);
	db_text(s, 4, row->reason);
	db_text(s, 5, row->evidence ? row->evidence : "{}");
	sqlite3_bind_int(s, 6, (int)row->actions);
	db_text(s, 7, row->client_addrs ? row->client_addrs : "[]");
	rc = db_run(s);
	if (rc == SQLITE_CONSTRAINT)
		return ERR_EXIST;
	return rc == SQLITE_DONE ? 0 : ERR_IO;
}

int
incidents_db_add_held(struct incidents_db *d, uint64_t id,
    const char *queue_id, const char *instance, int64_t t_us)
{
	sqlite3_stmt *s = d->st[ST_HELD_FIND];
	sqlite3_int64 rowid = 0;
	int rc;

	if (queue_id == NULL)
		queue_id = "";
	if (instance == NULL)
		instance = "";
	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	db_text(s, 2, instance);
	db_text(s, 3, queue_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rowid = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ERR_IO;
	if (rowid != 0) {
		s = d->st[ST_HELD_UPDATE];
		sqlite3_bind_int64(s, 1, rowid);
		db_text(s, 2, queue_id);
		db_text(s, 3, instance);
	} else {
		s = d->st[ST_HELD_INSERT];
		sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
		db_text(s, 2, queue_id);
		db_text(s, 3, instance);
		sqlite3_bind_int64(s, 4, t_us);
	}
	return db_run(s) == SQLITE_DONE ? 0 : ERR_IO;
}

int
incidents_db_release(struct incidents_db *d, uint64_t id, int64_t released_us)
{
	sqlite3_stmt *s = d->st[ST_RELEASE];
	int rc;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(s, 2, released_us);
	if (db_run(s) != SQLITE_DONE)
		return ERR_IO;
	if (sqlite3_changes(d->db) == 1)
		return 0;
	s = d->st[ST_STATE];
	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_ROW)
		return ERR_EXIST;
	return rc == SQLITE_DONE ? ERR_NOENT : ERR_IO;
}

static const char *
db_col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

int
incidents_db_load(struct incidents_db *d, incidents_db_incident_fn inc,
    incidents_db_held_fn held, void *ctx)
{
	struct incidents_db_row row;
	sqlite3_stmt *s = d->st[ST_LOAD_INC];
	int rc, cb = 0;

	while (cb == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		row.id = (uint64_t)sqlite3_column_int64(s, 0);
		row.customer = db_col(s, 1);
		row.opened_us = sqlite3_column_int64(s, 2);
		row.released_us = sqlite3_column_int64(s, 3);
		row.reason = db_col(s, 4);
		row.evidence = db_col(s, 5);
		row.actions = (unsigned)sqlite3_column_int(s, 6);
		row.client_addrs = db_col(s, 7);
		cb = inc(ctx, &row);
	}
	sqlite3_reset(s);
	if (cb != 0)
		return cb;
	if (rc != SQLITE_DONE)
		return ERR_IO;
	s = d->st[ST_LOAD_HELD];
	while (cb == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		cb = held(ctx, (uint64_t)sqlite3_column_int64(s, 0),
		    db_col(s, 1), db_col(s, 2), sqlite3_column_int64(s, 3));
	sqlite3_reset(s);
	if (cb != 0)
		return cb;
	return rc == SQLITE_DONE ? 0 : ERR_IO;
}

int
incidents_db_max_id(struct incidents_db *d, uint64_t *out)
{
	sqlite3_stmt *s = d->st[ST_MAX_ID];
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : ERR_IO;
}
