/*
 * gen_store_corpus.c - writes the seed corpus of fuzz_store into a
 * directory: journals and snapshots made by store.c itself, and broken
 * copies of them (torn, bit-flipped, bad lengths, bad headers).
 *
 * Not part of the build (the seeds are committed); to regenerate:
 *
 *   cc -std=c11 -Isrc -D_GNU_SOURCE -o build/gen_store_corpus \
 *       fuzz/gen_store_corpus.c $(ls src/lib/[a-z]*.c) src/store/store*.c -lz
 *   build/gen_store_corpus fuzz/corpus/fuzz_store
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "store/store.h"

static char dir[64];

/* fix_header_crc - recompute the CRC at byte 24 of an edited header. */
static void
fix_header_crc(unsigned char *h)
{
	uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), h, 24);

	h[24] = (unsigned char)crc;
	h[25] = (unsigned char)(crc >> 8);
	h[26] = (unsigned char)(crc >> 16);
	h[27] = (unsigned char)(crc >> 24);
}

static unsigned char *
slurp(const char *name, size_t *len)
{
	char path[128];
	FILE *f;
	unsigned char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 16);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
emit(const char *out, const char *name, const unsigned char *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

struct kvs {
	int n;
	int vlen;
};

static int
iterate(void *ctx, struct store *s, store_emit_fn fn)
{
	struct kvs *k = ctx;
	char key[32], val[300];
	int i, rc;

	memset(val, 'v', sizeof(val));
	for (i = 0; i < k->n; i++) {
		snprintf(key, sizeof(key), "cust:u%d", i);
		if ((rc = fn(s, key, strlen(key), val, (size_t)(k->vlen + i % 7))) != 0)
			return rc;
	}
	return 0;
}

static void
cleanup(void)
{
	char path[128];
	static const char *names[] = { "journal", "snapshot", "lock" };
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
}

int
main(int argc, char **argv)
{
	struct store *s;
	char err[256], key[32];
	unsigned char *j, *snap, *b;
	size_t jlen, slen;
	struct kvs kv = { 12, 20 };
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	strcpy(dir, "/tmp/rg-gen-store-XXXXXX");
	if (mkdtemp(dir) == NULL || store_open(dir, &s, err, sizeof(err)) != 0)
		return 1;
	/* A journal: puts, an overwrite, a delete, binary keys. */
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "cust:u%d", i % 6);
		store_put(s, key, strlen(key), "counter=17;window=3600", 22);
	}
	store_put(s, "cust:u1", 7, "", 0);
	store_put(s, "\0\xff\x01", 3, "\x80\x00\x7f", 3);
	store_sync(s);
	store_close(s);
	j = slurp("journal", &jlen);
	emit(argv[1], "journal-valid", j, jlen);
	emit(argv[1], "journal-empty-header", j, 32);
	emit(argv[1], "journal-torn-header", j, 20);
	emit(argv[1], "journal-torn-record", j, jlen - 5);
	emit(argv[1], "journal-torn-record-header", j, 32 + 7);
	b = malloc(jlen + 16);
	memcpy(b, j, jlen);
	b[60] ^= 0x04;
	emit(argv[1], "journal-bad-crc", b, jlen);
	memcpy(b, j, jlen);
	b[32] = 0xff;
	b[33] = 0xff;
	emit(argv[1], "journal-key-too-long", b, jlen);
	memcpy(b, j, jlen);
	b[36] = 0x01;
	b[38] = 0x10;
	emit(argv[1], "journal-value-too-long", b, jlen);
	memcpy(b, j, jlen);
	b[16] = 3;
	emit(argv[1], "journal-bad-header-crc", b, jlen);
	fix_header_crc(b);	/* generation 3 without a snapshot: refused */
	emit(argv[1], "journal-generation-3", b, jlen);
	memcpy(b, j, jlen);
	b[8] = 2;
	fix_header_crc(b);
	emit(argv[1], "journal-version-2", b, jlen);
	free(b);
	free(j);
	cleanup();

	/* A snapshot, with larger values. */
	if (store_open(dir, &s, err, sizeof(err)) != 0 ||
	    store_compact(s, iterate, &kv) != 0)
		return 1;
	store_close(s);
	snap = slurp("snapshot", &slen);
	emit(argv[1], "snapshot-valid", snap, slen);
	emit(argv[1], "snapshot-truncated", snap, slen - 31);
	emit(argv[1], "snapshot-no-end-record", snap, slen - 20);
	b = malloc(slen + 16);
	memcpy(b, snap, slen);
	b[slen / 2] ^= 0x40;
	emit(argv[1], "snapshot-bad-crc", b, slen);
	memcpy(b, snap, slen);
	memcpy(b + slen, "trailing", 8);
	emit(argv[1], "snapshot-trailing-bytes", b, slen + 8);
	memcpy(b, snap, slen);
	b[slen - 8] ^= 1;	/* the count in the end record */
	emit(argv[1], "snapshot-bad-count", b, slen);
	free(b);
	free(snap);
	kv.n = 0;
	cleanup();
	if (store_open(dir, &s, err, sizeof(err)) != 0 ||
	    store_compact(s, iterate, &kv) != 0)
		return 1;
	store_close(s);
	snap = slurp("snapshot", &slen);
	emit(argv[1], "snapshot-empty", snap, slen);
	free(snap);
	cleanup();
	rmdir(dir);
	return 0;
}
