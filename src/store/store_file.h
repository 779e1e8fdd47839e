/*
 * store_file.h - the on-disk format of the embedded store: file headers,
 * records, their CRC32, and a reader that scans records out of a file.
 * Private to src/store/ (store.c is the only user); store.h documents
 * the files themselves.
 *
 * Header, STORE_FILE_HDR_LEN (32) bytes:  magic[8], u32 version, u32
 * flags (0), u64 generation, u32 CRC32 of the 24 bytes before it, u32 0.
 * Record, STORE_FILE_REC_HDR (12) bytes + key + value:  u32 klen, u32
 * vlen, u32 CRC32 of the 8 length bytes, the key and the value.
 * Snapshot end record: klen 0 and an 8-byte value, the number of records
 * before it.  All integers little-endian.
 */
#ifndef RG_STORE_STORE_FILE_H
#define RG_STORE_STORE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_FILE_VERSION 1
#define STORE_FILE_HDR_LEN 32
#define STORE_FILE_REC_HDR 12
#define STORE_FILE_END_LEN (STORE_FILE_REC_HDR + 8)

extern const char store_file_snap_magic[8];	/* "RGSTSNAP" */
extern const char store_file_jrnl_magic[8];	/* "RGSTJRNL" */

/* A sequential reader over [off, end) of a file, with pread(2). */
struct store_file_reader {
	int fd;			/* borrowed */
	uint8_t *buf;		/* owned: free with store_file_reader_fini() */
	size_t cap;
	size_t pos, len;	/* unread bytes are buf[pos..len) */
	uint64_t off;		/* file offset of buf[pos] */
	uint64_t end;		/* stop reading here */
};

/* What store_file_scan() found at the end of its records. */
enum store_file_stop {
	STORE_FILE_EOF,		/* clean end */
	STORE_FILE_END_MARK,	/* snapshot end record */
	STORE_FILE_BAD		/* damaged record */
};

/* store_file_put_le32, _le64 - write v little-endian at p. */
void store_file_put_le32(uint8_t *p, uint32_t v);
void store_file_put_le64(uint8_t *p, uint64_t v);

/* store_file_rec_hdr - fill the 12-byte header of a record. */
void store_file_rec_hdr(uint8_t *hdr, const void *key, size_t klen,
    const void *val, size_t vlen);

/* store_file_end_rec - the snapshot end record for count records. */
void store_file_end_rec(uint8_t *rec, uint64_t count);

/* store_file_hdr_make - a file header with magic and generation gen. */
void store_file_hdr_make(uint8_t *hdr, const char magic[8], uint64_t gen);

/*
 * store_file_hdr_check - 0 and *gen for a good header of len bytes;
 * otherwise ERR_MALFORMED (short, bad magic, checksum, padding) or
 * ERR_UNSUPPORTED (another version or flags), the reason in *why (static).
 */
int store_file_hdr_check(const uint8_t *hdr, size_t len, const char magic[8],
    uint64_t *gen, const char **why);

/*
 * store_file_read_hdr - read up to STORE_FILE_HDR_LEN bytes from the
 * start of fd; *len gets how many the file had.  Returns 0 or -errno.
 */
int store_file_read_hdr(int fd, uint8_t *hdr, size_t *len);

/* store_file_write_all - pwrite(2) all of data at off; 0 or -errno. */
int store_file_write_all(int fd, const void *data, size_t len, uint64_t off);

/*
 * store_file_scan - read records from r until the end, a snapshot end
 * record (snapshot != 0; one with the wrong count is damage) or a
 * damaged record, calling fn (if not NULL) for every good one.  Returns
 * 0 with *stop, *at (offset of the end record or of the damage), *why
 * (static text for STORE_FILE_BAD) and *count (records passed to fn),
 * fn's non-zero return, ERR_NOMEM or -errno.
 */
int store_file_scan(struct store_file_reader *r, int snapshot,
    store_record_fn fn, void *ctx, enum store_file_stop *stop, uint64_t *at,
    const char **why, uint64_t *count);

/* store_file_reader_fini - free the reader's buffer. */
void store_file_reader_fini(struct store_file_reader *r);

#endif
