/*
 * hash.c - 64-bit hash of a byte string (see hash.h).
 */
#include <string.h>

#include "lib/hash.h"

static inline uint64_t
hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

uint64_t
hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ull);
	uint64_t w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ hash_mix(w)) * 0x9e3779b97f4a7c15ull;
		p += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ hash_mix(w ^ len)) * 0x9e3779b97f4a7c15ull;
	return hash_mix(h);
}

uint64_t
hash_bytes_nocase(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	unsigned char buf[HASH_NOCASE_CHUNK];
	uint64_t h = seed;
	size_t i, n;

	if (len == 0)
		return hash_bytes(p, 0, seed);
	do {
		n = len < sizeof(buf) ? len : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = p[i] >= 'A' && p[i] <= 'Z' ? (unsigned char)(p[i] + 32) : p[i];
		h = hash_bytes(buf, n, h);
		p += n;
		len -= n;
	} while (len > 0);
	return h;
}
