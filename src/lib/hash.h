/*
 * hash.h - a fast 64-bit hash for table keys (not cryptographic).
 *
 * FNV-1a would be simpler but is slow on long keys; this mixes 8 bytes a
 * step with a multiply-xorshift finaliser.  Tables that face peers'
 * strings take a per-process seed against flooding.
 */
#ifndef RG_LIB_HASH_H
#define RG_LIB_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash_bytes(const void *data, size_t len, uint64_t seed);

#endif
