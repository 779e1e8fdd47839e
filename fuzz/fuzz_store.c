/*
 * fuzz_store.c - libFuzzer target for the state files of store/store.c.
 *
 * The input becomes a file in a private state directory: the snapshot
 * when it starts with the snapshot magic "RGSTSNAP" (with an empty
 * journal beside it), the journal otherwise.  The target opens the
 * directory, loads it, and checks what the store promises whatever the
 * bytes: no crash, no leak, every record within the limits, and a
 * second open and load (after open cut off a damaged journal tail)
 * giving the same records, followed by an append that loads back.
 *
 * The directory is made once per process under /dev/shm (or /tmp) and
 * removed at exit.  Logging is silenced: damaged inputs warn by design.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[64];
static char fuzz_snap[96], fuzz_jrnl[96], fuzz_lock[96], fuzz_tmp[96];

struct fuzz_tally {
	uint64_t records;
	uint64_t sum;		/* of lengths and first bytes, to compare loads */
};

static void
fuzz_cleanup(void)
{
	unlink(fuzz_snap);
	unlink(fuzz_jrnl);
	unlink(fuzz_lock);
	unlink(fuzz_tmp);
	rmdir(fuzz_dir);
}

static void
fuzz_setup(void)
{
	if (fuzz_dir[0] != '\0')
		return;
	/* tmpfs when there is one: every input is written and fsynced. */
	strcpy(fuzz_dir, "/dev/shm/rg-fuzz-store-XXXXXX");
	if (mkdtemp(fuzz_dir) == NULL) {
		strcpy(fuzz_dir, "/tmp/rg-fuzz-store-XXXXXX");
		if (mkdtemp(fuzz_dir) == NULL) {
			perror("mkdtemp");
			abort();
		}
	}
	snprintf(fuzz_snap, sizeof(fuzz_snap), "%s/snapshot", fuzz_dir);
	snprintf(fuzz_jrnl, sizeof(fuzz_jrnl), "%s/journal", fuzz_dir);
	snprintf(fuzz_lock, sizeof(fuzz_lock), "%s/lock", fuzz_dir);
	snprintf(fuzz_tmp, sizeof(fuzz_tmp), "%s/snapshot.tmp", fuzz_dir);
	atexit(fuzz_cleanup);
	log_set_level((enum log_level)(LOG_LEVEL_ERROR + 1));
}

static void
fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0) {
		perror(path);
		abort();
	}
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		if (n <= 0) {
			perror(path);
			abort();
		}
		data += n;
		size -= (size_t)n;
	}
	close(fd);
}

static int
fuzz_record(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct fuzz_tally *t = ctx;

	if (klen == 0 || klen > STORE_KEY_MAX || vlen > STORE_VAL_MAX)
		abort();
	t->records++;
	t->sum += klen * 31 + vlen + ((const uint8_t *)key)[0];
	if (vlen > 0)
		t->sum += ((const uint8_t *)val)[vlen - 1];
	return 0;
}

/* fuzz_load - open and load the directory; -1 when open fails. */
static int
fuzz_load(struct fuzz_tally *t, int append)
{
	struct store *s;
	char err[256];
	int rc;

	memset(t, 0, sizeof(*t));
	if (store_open(fuzz_dir, &s, err, sizeof(err)) != 0)
		return -1;
	rc = store_load(s, fuzz_record, t);
	if (rc == 0 && append && store_put(s, "fuzz", 4, "z", 1) != 0)
		abort();
	store_close(s);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_tally first, again, appended;
	int rc1, rc2;

	fuzz_setup();
	unlink(fuzz_snap);
	unlink(fuzz_jrnl);
	if (size >= 8 && memcmp(data, "RGSTSNAP", 8) == 0)
		fuzz_write(fuzz_snap, data, size);
	else
		fuzz_write(fuzz_jrnl, data, size);

	rc1 = fuzz_load(&first, 0);
	rc2 = fuzz_load(&again, 1);
	/* Open repaired the journal; the same records come back. */
	if (rc1 != rc2 || first.records != again.records || first.sum != again.sum)
		abort();
	if (rc1 == 0) {
		if (fuzz_load(&appended, 0) != 0 ||
		    appended.records != first.records + 1)
			abort();
	} else if (rc1 != -1 && rc1 != ERR_MALFORMED && rc1 != ERR_UNSUPPORTED) {
		abort();
	}
	return 0;
}
