/*
 * store.c - durable key/value records for the embedded backend: a
 * snapshot file and an append-only journal under state.dir (store.h):
 * the lock, opening and repairing, loading, the journal buffer, and
 * compaction.  The byte format is in store_file.c.
 *
 * The snapshot is written whole by store_compact() (snapshot.tmp, fsync,
 * rename, fsync of the directory), so any damage to it is corruption, not
 * a torn write: store_load() fails with ERR_MALFORMED and a "FILE:OFFSET:
 * reason" text rather than start with half the state.  The end record
 * tells a truncation that falls on a record boundary from a whole file.
 *
 * The journal is only appended to, by store_sync() with pwrite(2) at the
 * end of the last good record.  A crash (or a failed write) can leave a
 * torn record at its end: store_open() scans it, warns with the offset
 * and cuts it off, so later appends are not hidden behind the damage.
 *
 * Generations order the two files.  Compaction writes the snapshot with
 * generation G + 1, then empties the journal and gives it the header
 * G + 1.  A crash between the two leaves a journal of generation G whose
 * records are all in the snapshot already (replaying them would bring
 * back older values), so it is emptied on open.  A journal newer than
 * the snapshot means the snapshot was deleted or replaced: an error.
 *
 * Limits: key 1..STORE_KEY_MAX bytes, value up to STORE_VAL_MAX; the
 * read buffer grows to one record at most (about 1 MiB); the journal
 * buffer to STORE_BUF_MAX; the snapshot writer's to STORE_SNAP_WBUF.
 *
 * Memory: struct store owns its path, descriptors and journal buffer;
 * every allocation goes through xmalloc so that the fault-injection
 * tests can fail each one.  Not thread-safe: one owner, one thread.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "store/store_file.h"

#define STORE_SNAP_WBUF (256u << 10)
#define STORE_ERR_MAX 512

/* The state of one store_compact() call; emit finds it through store. */
struct store_compaction {
	int fd;
	uint8_t *buf;		/* owned, STORE_SNAP_WBUF bytes */
	size_t len;
	uint64_t off;		/* file offset where buf goes */
	uint64_t count;
	int err;		/* first failure of emit, sticky */
};

struct store {
	char *dir;		/* owned copy of the state.dir path */
	int dirfd;
	int lockfd;		/* holds the flock; closing it unlocks */
	int jfd;		/* journal, read-write, no O_APPEND */
	uint64_t gen;		/* generation of snapshot and journal */
	uint64_t jsize;		/* journal bytes up to the last good record */
	uint8_t *jbuf;		/* owned: records not yet written */
	size_t jlen, jcap;
	bool fsync;
	bool jstale;		/* journal still has the old generation */
	struct store_compaction *compact;	/* during store_compact() only */
	char errmsg[STORE_ERR_MAX];
};


static void
store_set_err(struct store *store, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
store_set_err(struct store *store, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(store->errmsg, sizeof(store->errmsg), fmt, ap);
	va_end(ap);
}


/* store_reset_journal - empty the journal and give it generation gen. */
static int
store_reset_journal(struct store *store, uint64_t gen)
{
	uint8_t hdr[STORE_FILE_HDR_LEN];
	struct stat st;
	int rc;

	/*
	 * Cut the records off before the new header goes in: a crash in
	 * between leaves the old header without records (emptied again on
	 * open), never the new generation in front of records that are
	 * already folded into the snapshot.  A file shorter than a header is
	 * not padded with zeros first, which would not read as a torn header.
	 */
	if (fstat(store->jfd, &st) != 0)
		return -errno;
	if (st.st_size > STORE_FILE_HDR_LEN &&
	    ftruncate(store->jfd, STORE_FILE_HDR_LEN) != 0)
		return -errno;
	store_file_hdr_make(hdr, store_file_jrnl_magic, gen);
	if ((rc = store_file_write_all(store->jfd, hdr, sizeof(hdr), 0)) != 0)
		return rc;
	if (store->fsync && fdatasync(store->jfd) != 0)
		return -errno;
	store->jsize = STORE_FILE_HDR_LEN;
	store->jstale = false;
	return 0;
}

/*
 * store_scan_journal - read the journal records from the header up to
 * store->jsize (or to the end of the file when to_eof), pass them to fn,
 * and cut the file after the last good one.
 */
static int
store_scan_journal(struct store *store, int to_eof, store_record_fn fn, void *ctx)
{
	struct store_file_reader r = { .fd = store->jfd, .off = STORE_FILE_HDR_LEN };
	enum store_file_stop stop;
	uint64_t at = STORE_FILE_HDR_LEN, count = 0, fsize;
	const char *why = NULL;
	struct stat st;
	int rc;

	if (fstat(store->jfd, &st) != 0)
		return -errno;
	fsize = (uint64_t)st.st_size;
	r.end = to_eof ? fsize : store->jsize;
	rc = store_file_scan(&r, 0, fn, ctx, &stop, &at, &why, &count);
	store_file_reader_fini(&r);
	if (rc != 0)
		return rc;
	if (stop == STORE_FILE_BAD || (to_eof && at < fsize)) {
		log_warn("store: %s/journal: offset %" PRIu64 ": %s; "
		    "dropping the %" PRIu64 " bytes from there on", store->dir,
		    at, why != NULL ? why : "damaged record", fsize - at);
		if (ftruncate(store->jfd, (off_t)at) != 0) {
			rc = -errno;
			store_set_err(store, "%s/journal: cannot truncate: %s",
			    store->dir, strerror(errno));
			return rc;
		}
	}
	store->jsize = at;
	return 0;
}

static int
store_fail(struct store *store, char *err, size_t errcap, int rc,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* store_fail - format the message for store_open(), free store, return rc. */
static int
store_fail(struct store *store, char *err, size_t errcap, int rc,
    const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errcap > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errcap, fmt, ap);
		va_end(ap);
	}
	store->jlen = 0;	/* nothing to sync */
	store_close(store);
	return rc;
}

/* store_lock - create and flock DIR/lock, leaving our pid in it. */
static int
store_lock(struct store *store, char *err, size_t errcap)
{
	char pid[32];
	int n;

	store->lockfd = openat(store->dirfd, "lock",
	    O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (store->lockfd < 0)
		return store_fail(store, err, errcap, -errno,
		    "state.dir %s: cannot open lock file: %s", store->dir,
		    strerror(errno));
	if (flock(store->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			ssize_t got = pread(store->lockfd, pid, sizeof(pid) - 1, 0);

			pid[got > 0 ? got : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			return store_fail(store, err, errcap, ERR_AGAIN,
			    "state.dir %s is in use by another process%s%s%s",
			    store->dir, pid[0] ? " (pid " : "", pid,
			    pid[0] ? ")" : "");
		}
		return store_fail(store, err, errcap, -errno,
		    "state.dir %s: cannot lock: %s", store->dir, strerror(errno));
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(store->lockfd, 0) != 0 ||
	    store_file_write_all(store->lockfd, pid, (size_t)n, 0) != 0)
		log_warn("store: %s/lock: cannot record our pid", store->dir);
	return 0;
}


/* store_open_snapshot_gen - the snapshot's generation, 0 if there is none. */
static int
store_open_snapshot_gen(struct store *store, char *err, size_t errcap)
{
	uint8_t hdr[STORE_FILE_HDR_LEN];
	const char *why;
	size_t len;
	int fd, rc;

	fd = openat(store->dirfd, "snapshot", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			store->gen = 0;
			return 0;
		}
		return store_fail(store, err, errcap, -errno, "%s/snapshot: %s",
		    store->dir, strerror(errno));
	}
	rc = store_file_read_hdr(fd, hdr, &len);
	close(fd);
	if (rc != 0)
		return store_fail(store, err, errcap, rc, "%s/snapshot: %s",
		    store->dir, err_str(rc));
	rc = store_file_hdr_check(hdr, len, store_file_snap_magic, &store->gen,
	    &why);
	if (rc != 0)
		return store_fail(store, err, errcap, rc, "%s/snapshot:0: %s",
		    store->dir, why);
	return 0;
}

/* store_open_journal - open the journal, check it against the snapshot. */
static int
store_open_journal(struct store *store, char *err, size_t errcap)
{
	uint8_t hdr[STORE_FILE_HDR_LEN];
	const char *why;
	uint64_t jgen;
	size_t len;
	int rc;

	store->jfd = openat(store->dirfd, "journal",
	    O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (store->jfd < 0)
		return store_fail(store, err, errcap, -errno, "%s/journal: %s",
		    store->dir, strerror(errno));
	if ((rc = store_file_read_hdr(store->jfd, hdr, &len)) != 0)
		return store_fail(store, err, errcap, rc, "%s/journal: %s",
		    store->dir, err_str(rc));
	if (len < STORE_FILE_HDR_LEN &&
	    memcmp(hdr, store_file_jrnl_magic, len < 8 ? len : 8) == 0) {
		/* New, or a crash while its header was being written. */
		if (len > 0)
			log_warn("store: %s/journal: offset 0: torn header "
			    "(%zu bytes); starting the journal afresh",
			    store->dir, len);
		if ((rc = store_reset_journal(store, store->gen)) != 0 ||
		    (rc = fsync(store->dirfd) != 0 ? -errno : 0) != 0)
			return store_fail(store, err, errcap, rc,
			    "%s/journal: %s", store->dir, err_str(rc));
		return 0;
	}
	rc = store_file_hdr_check(hdr, len, store_file_jrnl_magic, &jgen, &why);
	if (rc != 0)
		return store_fail(store, err, errcap, rc, "%s/journal:0: %s",
		    store->dir, why);
	if (jgen > store->gen)
		return store_fail(store, err, errcap, ERR_MALFORMED,
		    "%s/journal:0: journal generation %" PRIu64 " is newer than "
		    "the snapshot's (%" PRIu64 "%s): the snapshot was lost or "
		    "replaced; refusing to start with part of the state",
		    store->dir, jgen, store->gen,
		    store->gen == 0 ? ", or no snapshot" : "");
	if (jgen < store->gen) {
		/* Compaction folded it into the snapshot, then we crashed. */
		log_info("store: %s/journal: generation %" PRIu64 " is already "
		    "in the snapshot (generation %" PRIu64 "); emptying it",
		    store->dir, jgen, store->gen);
		if ((rc = store_reset_journal(store, store->gen)) != 0)
			return store_fail(store, err, errcap, rc,
			    "%s/journal: %s", store->dir, err_str(rc));
		return 0;
	}
	if ((rc = store_scan_journal(store, 1, NULL, NULL)) != 0)
		return store_fail(store, err, errcap, rc, "%s/journal: %s",
		    store->dir, err_str(rc));
	return 0;
}

int
store_open(const char *dir, struct store **out, char *err, size_t errcap)
{
	struct store *store;
	int rc;

	*out = NULL;
	if (err != NULL && errcap > 0)
		err[0] = '\0';
	if ((store = xcalloc(1, sizeof(*store))) == NULL) {
		if (err != NULL && errcap > 0)
			snprintf(err, errcap, "state.dir %s: out of memory", dir);
		return ERR_NOMEM;
	}
	store->dirfd = store->lockfd = store->jfd = -1;
	if ((store->dir = xstrdup(dir)) == NULL)
		return store_fail(store, err, errcap, ERR_NOMEM,
		    "state.dir %s: out of memory", dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return store_fail(store, err, errcap, -errno,
		    "state.dir %s: cannot create: %s", dir, strerror(errno));
	store->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (store->dirfd < 0)
		return store_fail(store, err, errcap, -errno, "state.dir %s: %s",
		    dir, strerror(errno));
	if ((rc = store_lock(store, err, errcap)) != 0)
		return rc;
	/* A compaction that died before its rename left this behind. */
	if (unlinkat(store->dirfd, "snapshot.tmp", 0) != 0 && errno != ENOENT)
		log_warn("store: %s/snapshot.tmp: cannot remove: %s", dir,
		    strerror(errno));
	if ((rc = store_open_snapshot_gen(store, err, errcap)) != 0)
		return rc;
	if ((rc = store_open_journal(store, err, errcap)) != 0)
		return rc;
	*out = store;
	return 0;
}

void
store_close(struct store *store)
{
	int rc;

	if (store == NULL)
		return;
	if (store->jfd >= 0 && store->jlen > 0 && (rc = store_sync(store)) != 0)
		log_error("store: %s/journal: %zu bytes of records lost on close: %s",
		    store->dir, store->jlen, err_str(rc));
	if (store->jfd >= 0)
		close(store->jfd);
	if (store->lockfd >= 0)
		close(store->lockfd);
	if (store->dirfd >= 0)
		close(store->dirfd);
	xfree(store->jbuf);
	xfree(store->dir);
	xfree(store);
}

/* store_load_snapshot - pass every snapshot record to fn. */
static int
store_load_snapshot(struct store *store, store_record_fn fn, void *ctx)
{
	struct store_file_reader r = { .fd = -1, .off = 0 };
	enum store_file_stop stop;
	uint64_t at = 0, count = 0, gen;
	const char *why = NULL;
	struct stat st;
	uint8_t hdr[STORE_FILE_HDR_LEN];
	size_t len;
	int rc;

	r.fd = openat(store->dirfd, "snapshot", O_RDONLY | O_CLOEXEC);
	if (r.fd < 0) {
		if (errno == ENOENT && store->gen == 0)
			return 0;
		rc = -errno;
		store_set_err(store, "%s/snapshot: %s", store->dir, strerror(errno));
		goto out;
	}
	if (fstat(r.fd, &st) != 0)
		rc = -errno;
	else
		rc = store_file_read_hdr(r.fd, hdr, &len);
	if (rc != 0) {
		store_set_err(store, "%s/snapshot: %s", store->dir, err_str(rc));
		goto out;
	}
	rc = store_file_hdr_check(hdr, len, store_file_snap_magic, &gen, &why);
	if (rc != 0) {
		store_set_err(store, "%s/snapshot:0: %s", store->dir, why);
		goto out;
	}
	if (gen != store->gen) {
		rc = ERR_MALFORMED;
		store_set_err(store, "%s/snapshot:0: generation %" PRIu64
		    " where %" PRIu64 " was expected (replaced while open?)",
		    store->dir, gen, store->gen);
		goto out;
	}
	r.off = STORE_FILE_HDR_LEN;
	r.end = (uint64_t)st.st_size;
	rc = store_file_scan(&r, 1, fn, ctx, &stop, &at, &why, &count);
	if (rc != 0) {
		if (rc < 0 && rc > -4096)
			store_set_err(store, "%s/snapshot:%" PRIu64 ": %s",
			    store->dir, at, err_str(rc));
		goto out;
	}
	if (stop == STORE_FILE_EOF) {
		rc = ERR_MALFORMED;
		why = "truncated (no end record)";
	} else if (stop == STORE_FILE_END_MARK && r.off != r.end) {
		rc = ERR_MALFORMED;
		at = r.off;
		why = "data after the end record";
	} else if (stop == STORE_FILE_BAD) {
		rc = ERR_MALFORMED;
	}
	if (rc != 0)
		store_set_err(store, "%s/snapshot:%" PRIu64 ": %s", store->dir,
		    at, why);
out:
	if (r.fd >= 0)
		close(r.fd);
	store_file_reader_fini(&r);
	if (rc == ERR_MALFORMED || rc == ERR_UNSUPPORTED)
		log_error("store: %s", store->errmsg);
	return rc;
}

int
store_load(struct store *store, store_record_fn fn, void *ctx)
{
	int rc;

	store->errmsg[0] = '\0';
	if ((rc = store_load_snapshot(store, fn, ctx)) != 0)
		return rc;
	rc = store_scan_journal(store, 0, fn, ctx);
	if (rc < 0 && store->errmsg[0] == '\0')
		store_set_err(store, "%s/journal: %s", store->dir, err_str(rc));
	return rc;
}

int
store_put(struct store *store, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	size_t need;
	uint8_t *p;
	int rc = 0;

	if (klen == 0)
		return ERR_INVAL;
	if (klen > STORE_KEY_MAX || vlen > STORE_VAL_MAX)
		return ERR_TOOBIG;
	need = STORE_FILE_REC_HDR + klen + vlen;
	if (store->jlen + need > STORE_BUF_SYNC) {
		rc = store_sync(store);
		if (rc != 0 && store->jlen + need > STORE_BUF_MAX)
			return rc;
	}
	if (store->jlen + need > store->jcap) {
		size_t cap = store->jcap ? store->jcap : 64u << 10;
		uint8_t *nb;

		while (cap < store->jlen + need)
			cap *= 2;
		if ((nb = xrealloc(store->jbuf, cap)) == NULL)
			return ERR_NOMEM;
		store->jbuf = nb;
		store->jcap = cap;
	}
	p = store->jbuf + store->jlen;
	if (klen > 0)
		memcpy(p + STORE_FILE_REC_HDR, key, klen);
	if (vlen > 0)
		memcpy(p + STORE_FILE_REC_HDR + klen, val, vlen);
	store_file_rec_hdr(p, key, klen, val, vlen);
	store->jlen += need;
	return 0;
}

int
store_sync(struct store *store)
{
	int rc;

	if (store->jstale && (rc = store_reset_journal(store, store->gen)) != 0)
		return rc;
	if (store->jlen == 0)
		return 0;
	rc = store_file_write_all(store->jfd, store->jbuf, store->jlen, store->jsize);
	if (rc == 0 && store->fsync && fdatasync(store->jfd) != 0)
		rc = -errno;
	if (rc != 0) {
		/* Cut off what did get written: appends must follow good records. */
		if (ftruncate(store->jfd, (off_t)store->jsize) != 0)
			log_error("store: %s/journal: cannot cut back to offset %"
			    PRIu64 " after a failed write: %s", store->dir,
			    store->jsize, strerror(errno));
		return rc;
	}
	store->jsize += store->jlen;
	store->jlen = 0;
	return 0;
}

void
store_set_fsync(struct store *store, bool on)
{
	store->fsync = on;
}

const char *
store_last_error(const struct store *store)
{
	return store->errmsg;
}

uint64_t
store_journal_bytes(const struct store *store)
{
	return store->jsize + store->jlen;
}

static int
store_compact_flush(struct store_compaction *c)
{
	int rc;

	if (c->len == 0)
		return 0;
	if ((rc = store_file_write_all(c->fd, c->buf, c->len, c->off)) != 0)
		return rc;
	c->off += c->len;
	c->len = 0;
	return 0;
}

static int
store_compact_emit(struct store *store, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	struct store_compaction *c = store->compact;
	size_t need;
	int rc;

	if (c == NULL)
		return ERR_INVAL;
	if (c->err != 0)
		return c->err;
	if (vlen == 0)
		return 0;
	if (klen == 0)
		return c->err = ERR_INVAL;
	if (klen > STORE_KEY_MAX || vlen > STORE_VAL_MAX)
		return c->err = ERR_TOOBIG;
	need = STORE_FILE_REC_HDR + klen + vlen;
	if (c->len + need > STORE_SNAP_WBUF &&
	    (rc = store_compact_flush(c)) != 0)
		return c->err = rc;
	if (need > STORE_SNAP_WBUF) {
		/* A big value goes straight to the file. */
		uint8_t hdr[STORE_FILE_REC_HDR];
		struct iovec iov[3];
		size_t done = 0;

		store_file_rec_hdr(hdr, key, klen, val, vlen);
		iov[0] = (struct iovec){ hdr, sizeof(hdr) };
		iov[1] = (struct iovec){ (void *)(uintptr_t)key, klen };
		iov[2] = (struct iovec){ (void *)(uintptr_t)val, vlen };
		while (done < need) {
			ssize_t n = pwritev(c->fd, iov, 3, (off_t)c->off);
			size_t k;

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return c->err = n < 0 ? -errno : ERR_IO;
			done += (size_t)n;
			c->off += (uint64_t)n;
			for (k = 0; k < 3 && n > 0; k++) {
				size_t take = (size_t)n < iov[k].iov_len ?
				    (size_t)n : iov[k].iov_len;

				iov[k].iov_base = (uint8_t *)iov[k].iov_base + take;
				iov[k].iov_len -= take;
				n -= (ssize_t)take;
			}
		}
	} else {
		uint8_t *p = c->buf + c->len;

		memcpy(p + STORE_FILE_REC_HDR, key, klen);
		memcpy(p + STORE_FILE_REC_HDR + klen, val, vlen);
		store_file_rec_hdr(p, key, klen, val, vlen);
		c->len += need;
	}
	c->count++;
	return 0;
}

int
store_compact(struct store *store, store_iterate_fn iterate, void *ctx)
{
	struct store_compaction c = { .fd = -1 };
	uint8_t end[STORE_FILE_END_LEN];
	int rc;

	store->errmsg[0] = '\0';
	if (store->compact != NULL)
		return ERR_INVAL;
	if ((c.buf = xmalloc(STORE_SNAP_WBUF)) == NULL) {
		store_set_err(store, "%s/snapshot.tmp: out of memory", store->dir);
		return ERR_NOMEM;
	}
	c.fd = openat(store->dirfd, "snapshot.tmp",
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (c.fd < 0) {
		rc = -errno;
		store_set_err(store, "%s/snapshot.tmp: %s", store->dir,
		    strerror(errno));
		xfree(c.buf);
		return rc;
	}
	store_file_hdr_make(c.buf, store_file_snap_magic, store->gen + 1);
	c.len = STORE_FILE_HDR_LEN;
	store->compact = &c;
	rc = iterate(ctx, store, store_compact_emit);
	store->compact = NULL;
	if (rc == 0)
		rc = c.err;
	if (rc != 0) {
		store_set_err(store, "%s/snapshot.tmp: %s", store->dir,
		    rc < 0 ? err_str(rc) : "stopped by the caller");
		goto fail;
	}
	store_file_end_rec(end, c.count);
	if (c.len + sizeof(end) > STORE_SNAP_WBUF &&
	    (rc = store_compact_flush(&c)) != 0)
		goto fail_io;
	memcpy(c.buf + c.len, end, sizeof(end));
	c.len += sizeof(end);
	if ((rc = store_compact_flush(&c)) != 0)
		goto fail_io;
	if (fsync(c.fd) != 0) {
		rc = -errno;
		goto fail_io;
	}
	if (close(c.fd) != 0) {
		c.fd = -1;
		rc = -errno;
		goto fail_io;
	}
	c.fd = -1;
	if (renameat(store->dirfd, "snapshot.tmp", store->dirfd, "snapshot") != 0) {
		rc = -errno;
		goto fail_io;
	}
	xfree(c.buf);
	/*
	 * The rename must be on disk before the journal is emptied, or a
	 * power loss could leave the old snapshot and an empty journal.
	 */
	store->gen++;
	store->jlen = 0;
	store->jstale = true;	/* until emptied: store_sync() retries it */
	if (fsync(store->dirfd) != 0) {
		rc = -errno;
		store_set_err(store, "%s: fsync after renaming the snapshot: %s",
		    store->dir, err_str(rc));
		/* The new snapshot is in place all the same. */
		store_reset_journal(store, store->gen);
		return rc;
	}
	if ((rc = store_reset_journal(store, store->gen)) != 0) {
		store_set_err(store, "%s/journal: cannot empty it after compaction "
		    "(retried by the next sync and on open): %s", store->dir,
		    err_str(rc));
		return rc;
	}
	return 0;

fail_io:
	store_set_err(store, "%s/snapshot.tmp: %s", store->dir, err_str(rc));
fail:
	if (c.fd >= 0)
		close(c.fd);
	unlinkat(store->dirfd, "snapshot.tmp", 0);
	xfree(c.buf);
	return rc;
}
