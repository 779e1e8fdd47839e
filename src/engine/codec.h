/*
 * codec.h - little-endian integers in and out of byte buffers, for the
 * engine's persisted records (limit.c, engine_persist.c).
 *
 * Writing goes through struct codec_out: a caller-owned buffer and a
 * position; a write past cap sets the sticky overflow flag and writes
 * nothing, so a record is encoded once to size it and once for real, or
 * into a big enough buffer straight away.  Reading goes through struct
 * codec_in with a sticky error: a read past the end yields zeros and sets
 * bad, checked once at the end.  Header-only, no allocation.
 */
#ifndef RG_ENGINE_CODEC_H
#define RG_ENGINE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct codec_out {
	uint8_t *buf;		/* borrowed; NULL with cap 0 to size */
	size_t cap;
	size_t len;		/* bytes written, or that would have been */
	bool overflow;
};

struct codec_in {
	const uint8_t *p;	/* borrowed */
	size_t len;
	size_t off;
	bool bad;
};

static inline void
codec_put_bytes(struct codec_out *o, const void *src, size_t n)
{
	if (o->overflow || n > o->cap - o->len || o->len > o->cap) {
		o->overflow = true;
		o->len += n;
		return;
	}
	if (n != 0)
		memcpy(o->buf + o->len, src, n);
	o->len += n;
}

static inline void
codec_put_u64(struct codec_out *o, uint64_t v, unsigned bytes)
{
	uint8_t b[8];
	unsigned i;

	for (i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	codec_put_bytes(o, b, bytes);
}

#define codec_put_u8(o, v) codec_put_u64((o), (uint8_t)(v), 1)
#define codec_put_u16(o, v) codec_put_u64((o), (uint16_t)(v), 2)
#define codec_put_u32(o, v) codec_put_u64((o), (uint32_t)(v), 4)
#define codec_put_i64(o, v) codec_put_u64((o), (uint64_t)(int64_t)(v), 8)

static inline const uint8_t *
codec_get_bytes(struct codec_in *in, size_t n)
{
	const uint8_t *p;

	if (in->bad || n > in->len - in->off) {
		in->bad = true;
		return NULL;
	}
	p = in->p + in->off;
	in->off += n;
	return p;
}

static inline uint64_t
codec_get_u64(struct codec_in *in, unsigned bytes)
{
	const uint8_t *p = codec_get_bytes(in, bytes);
	uint64_t v = 0;
	unsigned i;

	if (p == NULL)
		return 0;
	for (i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#define codec_get_u8(in) ((uint8_t)codec_get_u64((in), 1))
#define codec_get_u16(in) ((uint16_t)codec_get_u64((in), 2))
#define codec_get_u32(in) ((uint32_t)codec_get_u64((in), 4))
#define codec_get_i64(in) ((int64_t)codec_get_u64((in), 8))

#endif
