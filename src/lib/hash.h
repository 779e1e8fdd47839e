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

/*
 * hash_bytes_nocase - the hash of the bytes with ASCII letters folded to
 * lower case, for mail addresses and domains, which compare without
 * case.  Input of up to HASH_NOCASE_CHUNK bytes hashes as hash_bytes() of
 * its folded copy; longer input is hashed chunk by chunk, each chunk
 * seeding the next.  Fingerprints of it are persisted: never change the
 * chunk size.
 */
#define HASH_NOCASE_CHUNK 256
uint64_t hash_bytes_nocase(const void *data, size_t len, uint64_t seed);

#endif
