/*
 * test_store.c - unit tests for store/store.c (cmocka, no sockets).
 *
 * Each test works in its own directory made with mkdtemp under /tmp and
 * removes it at the end.  What is checked: round trip, later record
 * wins, delete, limits, a journal torn at every length, a bit flipped
 * at every byte, snapshot corruption, compaction and its failures (the
 * iterator, the file system, RLIMIT_FSIZE, allocation), a stale journal
 * after a crash inside compaction, failed syncs, the lock, and every
 * allocation failed in turn on the open, load and compact paths.
 *
 * The expected state is kept in a small model (a linear array: the
 * tests hold at most a few hundred keys) and compared after a reload.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "store/store.h"

#define HDR 32			/* file header bytes, as in store.c */
#define REC 12			/* record header bytes */

/* ---- a model of the live records ---- */

struct kv {
	char *key;
	size_t klen;
	unsigned char *val;
	size_t vlen;
};

struct model {
	struct kv *v;
	size_t n;
	size_t records;		/* how many records a load passed */
	int stop_after;		/* > 0: return 99 after this many records */
};

static void
model_set(struct model *m, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].klen == klen && memcmp(m->v[i].key, key, klen) == 0)
			break;
	if (vlen == 0) {
		if (i < m->n) {
			free(m->v[i].key);
			free(m->v[i].val);
			m->v[i] = m->v[--m->n];
		}
		return;
	}
	if (i == m->n) {
		m->v = realloc(m->v, (m->n + 1) * sizeof(*m->v));
		assert_non_null(m->v);
		m->v[i].key = malloc(klen);
		memcpy(m->v[i].key, key, klen);
		m->v[i].klen = klen;
		m->n++;
	} else {
		free(m->v[i].val);
	}
	m->v[i].val = malloc(vlen);
	memcpy(m->v[i].val, val, vlen);
	m->v[i].vlen = vlen;
}

static void
model_free(struct model *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].key);
		free(m->v[i].val);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static const struct kv *
model_get(const struct model *m, const char *key)
{
	size_t i, klen = strlen(key);

	for (i = 0; i < m->n; i++)
		if (m->v[i].klen == klen && memcmp(m->v[i].key, key, klen) == 0)
			return &m->v[i];
	return NULL;
}

static void
model_assert_equal(const struct model *a, const struct model *b)
{
	size_t i, j;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++)
			if (b->v[j].klen == a->v[i].klen &&
			    memcmp(b->v[j].key, a->v[i].key, a->v[i].klen) == 0)
				break;
		assert_true(j < b->n);
		assert_int_equal(a->v[i].vlen, b->v[j].vlen);
		assert_memory_equal(a->v[i].val, b->v[j].val, a->v[i].vlen);
	}
}

static int
collect(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct model *m = ctx;

	model_set(m, key, klen, val, vlen);
	m->records++;
	if (m->stop_after > 0 && m->records == (size_t)m->stop_after)
		return 99;
	return 0;
}

static int
iterate_model(void *ctx, struct store *store, store_emit_fn emit)
{
	struct model *m = ctx;
	size_t i;
	int rc;

	for (i = 0; i < m->n; i++)
		if ((rc = emit(store, m->v[i].key, m->v[i].klen, m->v[i].val,
		    m->v[i].vlen)) != 0)
			return rc;
	return 0;
}

/* ---- files and directories ---- */

struct fixture {
	char dir[64];
	char path[128];
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/rg-test-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	xmalloc_fail_after(-1);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static const char *
fpath(struct fixture *f, const char *name)
{
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
	return f->path;
}

static unsigned char *
read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void
write_file(const char *path, const unsigned char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static struct store *
open_ok(struct fixture *f)
{
	struct store *s = NULL;
	char err[256];
	int rc = store_open(f->dir, &s, err, sizeof(err));

	if (rc != 0)
		fail_msg("store_open: %d %s", rc, err);
	return s;
}

/* reload - open, load into m (emptied first), close. */
static void
reload(struct fixture *f, struct model *m)
{
	struct store *s = open_ok(f);

	model_free(m);
	assert_int_equal(store_load(s, collect, m), 0);
	store_close(s);
}

/* put_both - store_put and mirror it in the model. */
static void
put_both(struct store *s, struct model *m, const char *key, const char *val)
{
	size_t vlen = val != NULL ? strlen(val) : 0;

	assert_int_equal(store_put(s, key, strlen(key), val, vlen), 0);
	model_set(m, key, strlen(key), val, vlen);
}

/* Capture stderr (the log) into a file, to check the warnings. */
static int saved_stderr = -1;

static void
capture_start(struct fixture *f)
{
	int fd = open(fpath(f, "stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char *
capture_stop(struct fixture *f)
{
	size_t len;
	unsigned char *buf;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	buf = read_file(fpath(f, "stderr.txt"), &len);
	buf = realloc(buf, len + 1);
	buf[len] = '\0';
	unlink(f->path);
	return (char *)buf;
}

/* ---- tests ---- */

static void
test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 };
	struct store *s = open_ok(f);
	char key[STORE_KEY_MAX];
	unsigned char *big = malloc(STORE_VAL_MAX);
	size_t i;

	for (i = 0; i < STORE_VAL_MAX; i++)
		big[i] = (unsigned char)(i * 7 + 3);
	memset(key, 'k', sizeof(key));
	put_both(s, &want, "alpha", "1");
	put_both(s, &want, "beta", "two");
	assert_int_equal(store_put(s, key, sizeof(key), big, STORE_VAL_MAX), 0);
	model_set(&want, key, sizeof(key), big, STORE_VAL_MAX);
	assert_int_equal(store_put(s, "\0binary\xff", 8, "\0\0\0", 3), 0);
	model_set(&want, "\0binary\xff", 8, "\0\0\0", 3);
	assert_int_equal(store_journal_bytes(s),
	    HDR + (REC + 6) + (REC + 7) + (REC + sizeof(key) + STORE_VAL_MAX) +
	    (REC + 11));
	assert_int_equal(store_sync(s), 0);
	assert_int_equal(file_size(fpath(f, "journal")), (off_t)store_journal_bytes(s));
	store_close(s);
	reload(f, &got);
	model_assert_equal(&want, &got);
	assert_int_equal(got.records, 4);
	free(big);
	model_free(&want);
	model_free(&got);
}

static void
test_empty_dir_and_create(void **state)
{
	struct fixture *f = *state;
	struct model got = { 0 };
	struct store *s;
	char err[256];

	/* state.dir itself is created (one level), then loads nothing. */
	snprintf(f->path, sizeof(f->path), "%s/sub", f->dir);
	assert_int_equal(store_open(f->path, &s, err, sizeof(err)), 0);
	assert_int_equal(store_load(s, collect, &got), 0);
	assert_int_equal(got.records, 0);
	assert_int_equal(store_journal_bytes(s), HDR);
	store_close(s);
	snprintf(f->path, sizeof(f->path), "%s/no/such/dir", f->dir);
	assert_int_equal(store_open(f->path, &s, err, sizeof(err)), ERR_NOENT);
	assert_null(s);
	assert_non_null(strstr(err, "no/such/dir"));
	store_close(NULL);
}

static void
test_later_record_wins(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 };
	struct store *s = open_ok(f);

	put_both(s, &want, "k", "v1");
	put_both(s, &want, "k", "v2");		/* same buffer */
	assert_int_equal(store_sync(s), 0);
	put_both(s, &want, "k", "v3");		/* a later sync */
	put_both(s, &want, "other", "x");
	store_close(s);				/* close syncs */
	reload(f, &got);
	model_assert_equal(&want, &got);
	assert_int_equal(got.records, 4);
	assert_memory_equal(model_get(&got, "k")->val, "v3", 2);
	model_free(&want);
	model_free(&got);
}

static void
test_delete(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 };
	struct store *s = open_ok(f);

	put_both(s, &want, "gone", "1");
	put_both(s, &want, "kept", "2");
	assert_int_equal(store_sync(s), 0);
	put_both(s, &want, "gone", NULL);
	store_close(s);
	reload(f, &got);
	assert_null(model_get(&got, "gone"));
	assert_non_null(model_get(&got, "kept"));
	model_assert_equal(&want, &got);
	/* The delete survives compaction too: the snapshot lacks the key. */
	s = open_ok(f);
	assert_int_equal(store_compact(s, iterate_model, &want), 0);
	put_both(s, &want, "kept", NULL);
	store_close(s);
	reload(f, &got);
	assert_int_equal(got.n, 0);
	model_free(&want);
	model_free(&got);
}

static void
test_limits(void **state)
{
	static const struct {
		const char *name;
		size_t klen, vlen;
		int want;
	} cases[] = {
		{ "empty key", 0, 1, ERR_INVAL },
		{ "largest key", STORE_KEY_MAX, 1, 0 },
		{ "key over", STORE_KEY_MAX + 1, 1, ERR_TOOBIG },
		{ "largest value", 1, STORE_VAL_MAX, 0 },
		{ "value over", 1, STORE_VAL_MAX + 1, ERR_TOOBIG },
		{ "delete", 1, 0, 0 },
	};
	struct fixture *f = *state;
	struct store *s = open_ok(f);
	unsigned char *buf = calloc(1, STORE_VAL_MAX + 2);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = store_put(s, buf, cases[i].klen, buf, cases[i].vlen);

		if (rc != cases[i].want)
			fail_msg("%s: got %d want %d", cases[i].name, rc,
			    cases[i].want);
	}
	store_close(s);
	free(buf);
}

/* Build a journal of n small records; returns its bytes and record ends. */
static unsigned char *
make_journal(struct fixture *f, struct model *want, size_t n, size_t *ends,
    size_t *len)
{
	struct store *s = open_ok(f);
	size_t i;

	for (i = 0; i < n; i++) {
		char key[16], val[32];

		snprintf(key, sizeof(key), "key%zu", i % 7);
		snprintf(val, sizeof(val), "value-%zu", i);
		put_both(s, want, key, i % 5 == 4 ? NULL : val);
		ends[i] = store_journal_bytes(s);
		if (i % 3 == 0)
			assert_int_equal(store_sync(s), 0);
	}
	store_close(s);
	return read_file(fpath(f, "journal"), len);
}

/* replay_prefix - the model after the first k records of make_journal(). */
static void
replay_prefix(struct model *m, size_t k)
{
	size_t i;

	model_free(m);
	for (i = 0; i < k; i++) {
		char key[16], val[32];

		snprintf(key, sizeof(key), "key%zu", i % 7);
		snprintf(val, sizeof(val), "value-%zu", i);
		model_set(m, key, strlen(key), val, i % 5 == 4 ? 0 : strlen(val));
	}
}

static void
test_torn_journal_every_length(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 }, expect = { 0 };
	size_t ends[20], len, cut, i;
	unsigned char *orig = make_journal(f, &want, 20, ends, &len);

	assert_int_equal(len, ends[19]);
	log_set_level(LOG_LEVEL_ERROR);
	for (cut = 1; cut <= len; cut++) {
		size_t keep = len - cut, whole = 0, good_end = HDR;
		struct store *s;

		for (i = 0; i < 20; i++)
			if (ends[i] <= keep) {
				whole = i + 1;
				good_end = ends[i];
			}
		write_file(fpath(f, "journal"), orig, keep);
		s = open_ok(f);
		/* Open cut the torn tail off (or wrote a fresh header). */
		assert_int_equal(file_size(fpath(f, "journal")), (off_t)good_end);
		model_free(&got);
		assert_int_equal(store_load(s, collect, &got), 0);
		assert_int_equal(got.records, whole);
		replay_prefix(&expect, whole);
		model_assert_equal(&expect, &got);
		/* Appends go on cleanly after the last good record. */
		assert_int_equal(store_put(s, "after", 5, "tear", 4), 0);
		store_close(s);
		reload(f, &got);
		assert_int_equal(got.records, whole + 1);
		model_set(&expect, "after", 5, "tear", 4);
		model_assert_equal(&expect, &got);
	}
	log_set_level(LOG_LEVEL_INFO);
	free(orig);
	model_free(&want);
	model_free(&got);
	model_free(&expect);
}

static void
test_torn_journal_warns(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 };
	size_t ends[3], len;
	unsigned char *orig = make_journal(f, &want, 3, ends, &len);
	char want_text[256], *log;

	write_file(fpath(f, "journal"), orig, len - 1);
	capture_start(f);
	reload(f, &got);
	log = capture_stop(f);
	snprintf(want_text, sizeof(want_text), "%s/journal: offset %zu: torn record",
	    f->dir, ends[1]);
	if (strstr(log, want_text) == NULL)
		fail_msg("log lacks \"%s\": %s", want_text, log);
	assert_int_equal(got.records, 2);
	free(log);
	free(orig);
	model_free(&want);
	model_free(&got);
}

static void
test_corrupt_crc_every_byte(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 }, expect = { 0 };
	size_t ends[12], len, pos, i;
	unsigned char *orig = make_journal(f, &want, 12, ends, &len);
	unsigned char *bad = malloc(len);

	log_set_level(LOG_LEVEL_ERROR);
	for (pos = 0; pos < len; pos++) {
		struct store *s = NULL;
		char err[256];
		size_t whole = 0;
		int rc;

		memcpy(bad, orig, len);
		bad[pos] ^= 0x10;
		write_file(fpath(f, "journal"), bad, len);
		rc = store_open(f->dir, &s, err, sizeof(err));
		if (pos < HDR) {
			/* A damaged header is never silently emptied. */
			assert_int_equal(rc, ERR_MALFORMED);
			assert_non_null(strstr(err, "journal:0:"));
			continue;
		}
		assert_int_equal(rc, 0);
		for (i = 0; i < 12; i++)
			if (ends[i] <= pos)
				whole = i + 1;
		model_free(&got);
		assert_int_equal(store_load(s, collect, &got), 0);
		store_close(s);
		assert_int_equal(got.records, whole);
		replay_prefix(&expect, whole);
		model_assert_equal(&expect, &got);
	}
	log_set_level(LOG_LEVEL_INFO);
	free(bad);
	free(orig);
	model_free(&want);
	model_free(&got);
	model_free(&expect);
}

static void
test_bad_lengths(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 };
	size_t ends[4], len;
	unsigned char *orig = make_journal(f, &want, 4, ends, &len);
	static const unsigned char lens[][8] = {
		{ 0, 0, 0, 0, 1, 0, 0, 0 },		/* empty key */
		{ 0x01, 0x04, 0, 0, 1, 0, 0, 0 },	/* key 1025 */
		{ 1, 0, 0, 0, 1, 0, 0x10, 0 },		/* value 1 MiB + 1 */
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	size_t i;

	log_set_level(LOG_LEVEL_ERROR);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memcpy(orig + ends[1], lens[i], 8);
		write_file(fpath(f, "journal"), orig, len);
		reload(f, &got);
		assert_int_equal(got.records, 2);
		assert_int_equal(file_size(fpath(f, "journal")), (off_t)ends[1]);
	}
	log_set_level(LOG_LEVEL_INFO);
	free(orig);
	model_free(&want);
	model_free(&got);
}

static void
test_load_stops_on_callback(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { .stop_after = 2 };
	struct store *s = open_ok(f);

	put_both(s, &want, "a", "1");
	put_both(s, &want, "b", "2");
	put_both(s, &want, "c", "3");
	assert_int_equal(store_sync(s), 0);
	assert_int_equal(store_load(s, collect, &got), 99);
	assert_int_equal(got.records, 2);
	assert_int_equal(store_compact(s, iterate_model, &want), 0);
	model_free(&got);
	got.stop_after = 1;
	assert_int_equal(store_load(s, collect, &got), 99);
	store_close(s);
	model_free(&want);
	model_free(&got);
}

static void
test_compact_then_reload(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 };
	struct store *s = open_ok(f);
	unsigned char *big = malloc(700u << 10);
	size_t i;

	memset(big, 'B', 700u << 10);
	for (i = 0; i < 300; i++) {
		char key[16], val[64];

		snprintf(key, sizeof(key), "c%zu", i % 120);
		snprintf(val, sizeof(val), "value %zu of the compaction test", i);
		put_both(s, &want, key, val);
	}
	/* Over the snapshot write buffer: written straight to the file. */
	assert_int_equal(store_put(s, "big", 3, big, 700u << 10), 0);
	model_set(&want, "big", 3, big, 700u << 10);
	assert_int_equal(store_sync(s), 0);
	assert_true(store_journal_bytes(s) > HDR);
	assert_int_equal(store_compact(s, iterate_model, &want), 0);
	assert_int_equal(store_journal_bytes(s), HDR);
	assert_int_equal(file_size(fpath(f, "journal")), HDR);
	assert_int_equal(access(fpath(f, "snapshot.tmp"), F_OK), -1);
	put_both(s, &want, "c1", "after compaction");
	put_both(s, &want, "c2", NULL);
	store_close(s);
	reload(f, &got);
	model_assert_equal(&want, &got);
	assert_int_equal(got.records, 121 + 2);
	/* And a second compaction on top of the first. */
	s = open_ok(f);
	assert_int_equal(store_compact(s, iterate_model, &want), 0);
	store_close(s);
	reload(f, &got);
	model_assert_equal(&want, &got);
	assert_int_equal(got.records, 120);
	free(big);
	model_free(&want);
	model_free(&got);
}

static int
iterate_fail_midway(void *ctx, struct store *store, store_emit_fn emit)
{
	struct model *m = ctx;

	assert_int_equal(emit(store, m->v[0].key, m->v[0].klen, m->v[0].val,
	    m->v[0].vlen), 0);
	return 42;
}

static int
iterate_bad_key(void *ctx, struct store *store, store_emit_fn emit)
{
	char key[STORE_KEY_MAX + 1];

	(void)ctx;
	memset(key, 'x', sizeof(key));
	assert_int_equal(emit(store, "x", 1, "", 0), 0);	/* skipped */
	assert_int_equal(emit(store, key, sizeof(key), "v", 1), ERR_TOOBIG);
	return 0;	/* ignores the error: compaction must still fail */
}

static void
test_compact_failure_keeps_old(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 };
	struct store *s = open_ok(f);
	unsigned char *snap;
	size_t snap_len, i;
	struct rlimit rl, small;

	put_both(s, &want, "a", "1");
	put_both(s, &want, "b", "2");
	assert_int_equal(store_compact(s, iterate_model, &want), 0);
	put_both(s, &want, "c", "3");
	put_both(s, &want, "a", "4");
	assert_int_equal(store_sync(s), 0);
	snap = read_file(fpath(f, "snapshot"), &snap_len);

	/* The iterator gives up. */
	assert_int_equal(store_compact(s, iterate_fail_midway, &want), 42);
	assert_int_not_equal(store_last_error(s)[0], '\0');
	/* The iterator ignores emit's error. */
	assert_int_equal(store_compact(s, iterate_bad_key, &want), ERR_TOOBIG);
	/* Allocation of the write buffer fails. */
	xmalloc_fail_after(0);
	assert_int_equal(store_compact(s, iterate_model, &want), ERR_NOMEM);
	xmalloc_fail_after(-1);
	/* snapshot.tmp cannot be created. */
	assert_int_equal(mkdir(fpath(f, "snapshot.tmp"), 0700), 0);
	assert_int_equal(store_compact(s, iterate_model, &want), -EISDIR);
	assert_non_null(strstr(store_last_error(s), "snapshot.tmp"));
	assert_int_equal(rmdir(fpath(f, "snapshot.tmp")), 0);
	/* The disk fills up (RLIMIT_FSIZE) while the snapshot is written. */
	for (i = 0; i < 200; i++) {
		char key[16];

		snprintf(key, sizeof(key), "fill%zu", i);
		put_both(s, &want, key, "some value to make the snapshot large");
	}
	assert_int_equal(store_sync(s), 0);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &rl);
	small = rl;
	small.rlim_cur = 1000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(store_compact(s, iterate_model, &want), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(access(fpath(f, "snapshot.tmp"), F_OK), -1);
	{
		size_t len;
		unsigned char *now = read_file(fpath(f, "snapshot"), &len);

		assert_int_equal(len, snap_len);
		assert_memory_equal(now, snap, len);
		free(now);
	}
	store_close(s);
	reload(f, &got);
	model_assert_equal(&want, &got);
	/* A compaction after the failures works. */
	s = open_ok(f);
	assert_int_equal(store_compact(s, iterate_model, &want), 0);
	store_close(s);
	reload(f, &got);
	model_assert_equal(&want, &got);
	free(snap);
	model_free(&want);
	model_free(&got);
}

static void
test_sync_failure_recovers(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 };
	struct store *s = open_ok(f);
	struct rlimit rl, small;
	uint64_t before;
	size_t i;

	put_both(s, &want, "first", "1");
	assert_int_equal(store_sync(s), 0);
	before = file_size(fpath(f, "journal"));
	for (i = 0; i < 100; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%zu", i);
		put_both(s, &want, key, "a value of some thirty bytes...");
	}
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &rl);
	small = rl;
	small.rlim_cur = before + 100;	/* part of a record gets written */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(store_sync(s), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	signal(SIGXFSZ, SIG_DFL);
	/* The partial write was cut off; the records wait in memory. */
	assert_int_equal(file_size(fpath(f, "journal")), (off_t)before);
	assert_true(store_journal_bytes(s) > before);
	assert_int_equal(store_sync(s), 0);
	store_close(s);
	reload(f, &got);
	model_assert_equal(&want, &got);
	model_free(&want);
	model_free(&got);
}

static void
test_put_syncs_when_buffer_full(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f);
	unsigned char *val = calloc(1, 512u << 10);
	size_t i;

	store_set_fsync(s, true);
	for (i = 0; i < 10; i++)
		assert_int_equal(store_put(s, "k", 1, val, 512u << 10), 0);
	/* 5 MiB were put; more than STORE_BUF_SYNC reached the file. */
	assert_true(file_size(fpath(f, "journal")) >= (off_t)(STORE_BUF_SYNC / 2));
	store_close(s);
	free(val);
}

static void
test_corrupt_snapshot(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 };
	struct store *s = open_ok(f);
	unsigned char *orig, *bad;
	size_t len, pos;
	char err[256];
	int rc;

	put_both(s, &want, "a", "1");
	put_both(s, &want, "bb", "22");
	put_both(s, &want, "ccc", "333");
	assert_int_equal(store_compact(s, iterate_model, &want), 0);
	store_close(s);
	orig = read_file(fpath(f, "snapshot"), &len);
	bad = malloc(len + 4);
	log_set_level((enum log_level)(LOG_LEVEL_ERROR + 1));
	/* Every flipped bit is an error, either at open or at load. */
	for (pos = 0; pos < len; pos++) {
		memcpy(bad, orig, len);
		bad[pos] ^= 0x01;
		write_file(fpath(f, "snapshot"), bad, len);
		rc = store_open(f->dir, &s, err, sizeof(err));
		if (pos < HDR) {
			assert_int_equal(rc, ERR_MALFORMED);
			assert_non_null(strstr(err, "snapshot:0:"));
			continue;
		}
		assert_int_equal(rc, 0);
		model_free(&got);
		assert_int_equal(store_load(s, collect, &got), ERR_MALFORMED);
		assert_non_null(strstr(store_last_error(s), "/snapshot:"));
		store_close(s);
	}
	/* Truncated anywhere, also at a record boundary. */
	for (pos = HDR; pos < len; pos++) {
		write_file(fpath(f, "snapshot"), orig, pos);
		s = open_ok(f);
		model_free(&got);
		assert_int_equal(store_load(s, collect, &got), ERR_MALFORMED);
		store_close(s);
	}
	/* Bytes after the end record. */
	memcpy(bad, orig, len);
	memcpy(bad + len, "junk", 4);
	write_file(fpath(f, "snapshot"), bad, len + 4);
	s = open_ok(f);
	assert_int_equal(store_load(s, collect, &got), ERR_MALFORMED);
	snprintf(err, sizeof(err), "%s/snapshot:%zu: data after the end record",
	    f->dir, len);
	assert_string_equal(store_last_error(s), err);
	store_close(s);
	log_set_level(LOG_LEVEL_INFO);
	/* Put back, it loads again. */
	write_file(fpath(f, "snapshot"), orig, len);
	reload(f, &got);
	model_assert_equal(&want, &got);
	free(orig);
	free(bad);
	model_free(&want);
	model_free(&got);
}

static void
test_stale_journal_after_compaction_crash(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 };
	struct store *s = open_ok(f);
	unsigned char *old;
	size_t len;

	put_both(s, &want, "a", "old");
	put_both(s, &want, "gone", "x");
	assert_int_equal(store_sync(s), 0);
	old = read_file(fpath(f, "journal"), &len);
	put_both(s, &want, "a", "new");		/* buffered only */
	put_both(s, &want, "gone", NULL);
	assert_int_equal(store_compact(s, iterate_model, &want), 0);
	store_close(s);
	/* As if the crash came between the rename and emptying the journal. */
	write_file(fpath(f, "journal"), old, len);
	reload(f, &got);
	model_assert_equal(&want, &got);
	assert_memory_equal(model_get(&got, "a")->val, "new", 3);
	assert_int_equal(file_size(fpath(f, "journal")), HDR);
	free(old);
	model_free(&want);
	model_free(&got);
}

static void
test_lost_snapshot_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 };
	struct store *s = open_ok(f);
	char err[256];

	put_both(s, &want, "a", "1");
	assert_int_equal(store_compact(s, iterate_model, &want), 0);
	store_close(s);
	assert_int_equal(unlink(fpath(f, "snapshot")), 0);
	assert_int_equal(store_open(f->dir, &s, err, sizeof(err)), ERR_MALFORMED);
	assert_non_null(strstr(err, "snapshot was lost"));
	/* A journal from elsewhere (bad magic) is refused too. */
	write_file(fpath(f, "journal"), (const unsigned char *)
	    "this is not a journal file at all, not at all", 45);
	assert_int_equal(store_open(f->dir, &s, err, sizeof(err)), ERR_MALFORMED);
	assert_non_null(strstr(err, "bad magic"));
	model_free(&want);
}

static void
test_stale_tmp_removed(void **state)
{
	struct fixture *f = *state;
	struct store *s;

	write_file(fpath(f, "snapshot.tmp"), (const unsigned char *)"half", 4);
	s = open_ok(f);
	assert_int_equal(access(fpath(f, "snapshot.tmp"), F_OK), -1);
	store_close(s);
}

static void
test_lock_contention(void **state)
{
	struct fixture *f = *state;
	struct store *a = open_ok(f), *b = NULL;
	char err[256], want[256];
	pid_t pid;
	int status;

	assert_int_equal(store_open(f->dir, &b, err, sizeof(err)), ERR_AGAIN);
	assert_null(b);
	snprintf(want, sizeof(want),
	    "state.dir %s is in use by another process (pid %ld)", f->dir,
	    (long)getpid());
	assert_string_equal(err, want);
	/* Another process is refused as well. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(store_open(f->dir, &b, err, sizeof(err)) == ERR_AGAIN ? 0 : 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	store_close(a);
	b = open_ok(f);
	store_close(b);
}

/* Build a state with a snapshot and a journal with a torn tail. */
static void
make_state_for_faults(struct fixture *f, struct model *want)
{
	struct store *s = open_ok(f);
	unsigned char *big = malloc(300u << 10);
	size_t i;
	int fd;

	memset(big, 'F', 300u << 10);
	for (i = 0; i < 50; i++) {
		char key[16];

		snprintf(key, sizeof(key), "s%zu", i);
		put_both(s, want, key, "in the snapshot");
	}
	assert_int_equal(store_put(s, "big", 3, big, 300u << 10), 0);
	model_set(want, "big", 3, big, 300u << 10);
	assert_int_equal(store_compact(s, iterate_model, want), 0);
	for (i = 0; i < 30; i++) {
		char key[16];

		snprintf(key, sizeof(key), "j%zu", i);
		put_both(s, want, key, "in the journal");
	}
	assert_int_equal(store_put(s, "bigj", 4, big, 300u << 10), 0);
	model_set(want, "bigj", 4, big, 300u << 10);
	store_close(s);
	/* A torn tail, so that open takes the truncating path. */
	fd = open(fpath(f, "journal"), O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "\x05\0\0\0\x05", 5), 5);
	close(fd);
	free(big);
}

static void
test_fault_injection_load(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 };
	unsigned char *jorig;
	size_t jlen;
	long n;
	int clean = 0;

	make_state_for_faults(f, &want);
	jorig = read_file(fpath(f, "journal"), &jlen);
	log_set_level((enum log_level)(LOG_LEVEL_ERROR + 1));
	for (n = 0; n < 1000 && !clean; n++) {
		struct store *s = NULL;
		char err[256];
		int rc;

		write_file(fpath(f, "journal"), jorig, jlen);
		model_free(&got);
		xmalloc_fail_after(n);
		rc = store_open(f->dir, &s, err, sizeof(err));
		if (rc == 0) {
			rc = store_load(s, collect, &got);
			store_close(s);
		} else {
			assert_null(s);
			assert_non_null(strstr(err, f->dir));
		}
		xmalloc_fail_after(-1);
		if (rc == 0) {
			model_assert_equal(&want, &got);
			clean = 1;
		} else {
			assert_int_equal(rc, ERR_NOMEM);
		}
	}
	log_set_level(LOG_LEVEL_INFO);
	assert_true(clean);
	assert_true(n > 3);	/* there were allocations to fail */
	/* Not locked any more, nothing lost. */
	reload(f, &got);
	model_assert_equal(&want, &got);
	free(jorig);
	model_free(&want);
	model_free(&got);
}

static void
test_fault_injection_compact(void **state)
{
	struct fixture *f = *state;
	struct model want = { 0 }, got = { 0 };
	long n;
	int clean = 0;

	make_state_for_faults(f, &want);
	{
		struct store *s = open_ok(f);

		put_both(s, &want, "extra", "x");
		store_close(s);
	}
	log_set_level((enum log_level)(LOG_LEVEL_ERROR + 1));
	for (n = 0; n < 1000 && !clean; n++) {
		struct store *s = open_ok(f);
		int rc;

		xmalloc_fail_after(n);
		rc = store_put(s, "extra", 5, "x", 1);
		if (rc == 0)
			rc = store_compact(s, iterate_model, &want);
		xmalloc_fail_after(-1);
		store_close(s);
		if (rc == 0)
			clean = 1;
		else
			assert_int_equal(rc, ERR_NOMEM);
		reload(f, &got);
		model_assert_equal(&want, &got);
	}
	log_set_level(LOG_LEVEL_INFO);
	assert_true(clean);
	model_free(&want);
	model_free(&got);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_empty_dir_and_create),
		T(test_later_record_wins),
		T(test_delete),
		T(test_limits),
		T(test_torn_journal_every_length),
		T(test_torn_journal_warns),
		T(test_corrupt_crc_every_byte),
		T(test_bad_lengths),
		T(test_load_stops_on_callback),
		T(test_compact_then_reload),
		T(test_compact_failure_keeps_old),
		T(test_sync_failure_recovers),
		T(test_put_syncs_when_buffer_full),
		T(test_corrupt_snapshot),
		T(test_stale_journal_after_compaction_crash),
		T(test_lost_snapshot_is_an_error),
		T(test_stale_tmp_removed),
		T(test_lock_contention),
		T(test_fault_injection_load),
		T(test_fault_injection_compact),
	};
#undef T

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
