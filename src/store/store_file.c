/*
 * store_file.c - the on-disk format of the embedded store (store_file.h):
 * headers and records with their CRC32, and the record scanner that
 * store_open() and store_load() share.
 *
 * CRC32 is zlib's (-lz): fast, and it catches every burst error shorter
 * than 32 bits, which is what torn sectors and bit rot look like; it is
 * no defence against a hostile file, which the state directory is not.
 * The scanner checks the lengths against STORE_KEY_MAX and
 * STORE_VAL_MAX before it reads a record, so a damaged length never makes
 * it allocate more than one record's worth (about 1 MiB); its buffer
 * grows through xrealloc so that the fault-injection tests reach it.
 * Integers are written byte by byte, little-endian, whatever the host.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/err.h"
#include "lib/xmalloc.h"
#include "store/store_file.h"

#define STORE_FILE_READ_CHUNK (256u << 10)

const char store_file_snap_magic[8] = { 'R', 'G', 'S', 'T', 'S', 'N', 'A', 'P' };
const char store_file_jrnl_magic[8] = { 'R', 'G', 'S', 'T', 'J', 'R', 'N', 'L' };

void
store_file_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void
store_file_put_le64(uint8_t *p, uint64_t v)
{
	store_file_put_le32(p, (uint32_t)v);
	store_file_put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
store_file_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
store_file_get_le64(const uint8_t *p)
{
	return (uint64_t)store_file_get_le32(p) |
	    (uint64_t)store_file_get_le32(p + 4) << 32;
}

/* The CRC of a record: its two length fields, key and value. */
static uint32_t
store_file_rec_crc(const uint8_t *lens, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	crc = crc32(crc, lens, 8);
	if (klen > 0)
		crc = crc32(crc, key, (uInt)klen);
	if (vlen > 0)
		crc = crc32(crc, val, (uInt)vlen);
	return (uint32_t)crc;
}

void
store_file_rec_hdr(uint8_t *hdr, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	store_file_put_le32(hdr, (uint32_t)klen);
	store_file_put_le32(hdr + 4, (uint32_t)vlen);
	store_file_put_le32(hdr + 8,
	    store_file_rec_crc(hdr, key, klen, val, vlen));
}

void
store_file_hdr_make(uint8_t *hdr, const char magic[8], uint64_t gen)
{
	memset(hdr, 0, STORE_FILE_HDR_LEN);
	memcpy(hdr, magic, 8);
	store_file_put_le32(hdr + 8, STORE_FILE_VERSION);
	store_file_put_le64(hdr + 16, gen);
	store_file_put_le32(hdr + 24,
	    (uint32_t)crc32(crc32(0L, Z_NULL, 0), hdr, 24));
}

int
store_file_hdr_check(const uint8_t *hdr, size_t len, const char magic[8],
    uint64_t *gen, const char **why)
{
	if (len < STORE_FILE_HDR_LEN) {
		*why = "file shorter than its header";
		return ERR_MALFORMED;
	}
	if (memcmp(hdr, magic, 8) != 0) {
		*why = "bad magic (not a relayguard state file of this kind)";
		return ERR_MALFORMED;
	}
	if (store_file_get_le32(hdr + 24) !=
	    (uint32_t)crc32(crc32(0L, Z_NULL, 0), hdr, 24)) {
		*why = "header checksum mismatch";
		return ERR_MALFORMED;
	}
	if (store_file_get_le32(hdr + 28) != 0) {
		*why = "header padding not zero";
		return ERR_MALFORMED;
	}
	if (store_file_get_le32(hdr + 8) != STORE_FILE_VERSION ||
	    store_file_get_le32(hdr + 12) != 0) {
		*why = "format version not supported "
		    "(written by a newer relayguard?)";
		return ERR_UNSUPPORTED;
	}
	*gen = store_file_get_le64(hdr + 16);
	return 0;
}

int
store_file_write_all(int fd, const void *data, size_t len, uint64_t off)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return ERR_IO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* store_file_reader_need - make n bytes readable; 1 when the file ends first. */
static int
store_file_reader_need(struct store_file_reader *r, size_t n)
{
	if (r->len - r->pos >= n)
		return 0;
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->cap < n) {
		size_t cap = n < STORE_FILE_READ_CHUNK ? STORE_FILE_READ_CHUNK : n;
		uint8_t *nb = xrealloc(r->buf, cap);

		if (nb == NULL)
			return ERR_NOMEM;
		r->buf = nb;
		r->cap = cap;
	}
	while (r->len < n) {
		uint64_t at = r->off + r->len;
		size_t want = r->cap - r->len;
		ssize_t got;

		if (at >= r->end)
			return 1;
		if (want > r->end - at)
			want = (size_t)(r->end - at);
		got = pread(r->fd, r->buf + r->len, want, (off_t)at);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			return 1;
		r->len += (size_t)got;
	}
	return 0;
}

int
store_file_scan(struct store_file_reader *r, int snapshot, store_record_fn fn,
    void *ctx, enum store_file_stop *stop, uint64_t *at, const char **why,
    uint64_t *count)
{
	for (;;) {
		const uint8_t *p;
		uint32_t klen, vlen, crc;
		size_t total;
		int rc;

		*at = r->off;
		rc = store_file_reader_need(r, STORE_FILE_REC_HDR);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			if (r->len == r->pos) {
				*stop = STORE_FILE_EOF;
				return 0;
			}
			*stop = STORE_FILE_BAD;
			*why = "torn record header";
			return 0;
		}
		p = r->buf + r->pos;
		klen = store_file_get_le32(p);
		vlen = store_file_get_le32(p + 4);
		crc = store_file_get_le32(p + 8);
		if (klen == 0 && !(snapshot && vlen == 8)) {
			*stop = STORE_FILE_BAD;
			*why = "record with an empty key";
			return 0;
		}
		if (klen > STORE_KEY_MAX || vlen > STORE_VAL_MAX) {
			*stop = STORE_FILE_BAD;
			*why = "record length over the limit";
			return 0;
		}
		total = STORE_FILE_REC_HDR + (size_t)klen + vlen;
		rc = store_file_reader_need(r, total);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			*stop = STORE_FILE_BAD;
			*why = "torn record (file ends inside it)";
			return 0;
		}
		p = r->buf + r->pos;
		if (store_file_rec_crc(p, p + STORE_FILE_REC_HDR, klen,
		    p + STORE_FILE_REC_HDR + klen, vlen) != crc) {
			*stop = STORE_FILE_BAD;
			*why = "record checksum mismatch";
			return 0;
		}
		if (klen == 0) {
			if (store_file_get_le64(p + STORE_FILE_REC_HDR) != *count) {
				*stop = STORE_FILE_BAD;
				*why = "end record count does not match the records";
				return 0;
			}
			r->pos += total;
			r->off += total;
			*stop = STORE_FILE_END_MARK;
			return 0;
		}
		if (fn != NULL) {
			rc = fn(ctx, p + STORE_FILE_REC_HDR, klen,
			    p + STORE_FILE_REC_HDR + klen, vlen);
			if (rc != 0)
				return rc;
		}
		(*count)++;
		r->pos += total;
		r->off += total;
	}
}

int
store_file_read_hdr(int fd, uint8_t *hdr, size_t *len)
{
	size_t have = 0;

	while (have < STORE_FILE_HDR_LEN) {
		ssize_t n = pread(fd, hdr + have, STORE_FILE_HDR_LEN - have,
		    (off_t)have);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	*len = have;
	return 0;
}

void
store_file_end_rec(uint8_t *rec, uint64_t count)
{
	store_file_put_le64(rec + STORE_FILE_REC_HDR, count);
	store_file_rec_hdr(rec, NULL, 0, rec + STORE_FILE_REC_HDR, 8);
}

void
store_file_reader_fini(struct store_file_reader *r)
{
	xfree(r->buf);
	r->buf = NULL;
	r->cap = r->pos = r->len = 0;
}
