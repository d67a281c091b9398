/* SPDX-License-Identifier: MIT */
/* CPython's str/bytes hash functions, per version family. Pure functions, no I/O. */
#ifndef CARVER_PYHASH_H
#define CARVER_PYHASH_H
#include <stdint.h>
#include <stddef.h>

enum crv_hash_algo {
  CRV_HASHALG_NONE = 0,
  CRV_HASHALG_FNV27 = 1,   /* 2.7 / 3.2 / 3.3: x = prefix ^ u0<<7; x = 1000003*x ^ u; per unit */
  CRV_HASHALG_SIP24 = 2,   /* 3.4 - 3.10: SipHash-2-4 over the canonical bytes */
  CRV_HASHALG_SIP13 = 3,   /* 3.11 +:    SipHash-1-3 over the canonical bytes */
};

/* _Py_HashSecret as raw bytes: 3.x uses k0 = LE64(b[0:8]), k1 = LE64(b[8:16]);
 * the FNV variants use prefix = word 0, suffix = word 1 (pointer-sized words). */
typedef struct crv_hash_key {
  uint8_t bytes[24];
} crv_hash_key;

/* CPython's hash of a value.
 *  data/nbytes: the canonical buffer (2.7 str and bytes: the bytes; str: length*unit bytes
 *  of little-endian code units; 2.7 unicode: Py_UNICODE units).
 *  unit: code-unit width in bytes (1, 2 or 4); only the FNV variant uses it, hashing units.
 *  ptr_size: 8 or 4; 4 truncates to the low 32 bits (Py_hash_t is 32 bits there).
 * Returns the hash as CPython stores it, sign-extended to 64 bits: 0 for empty input,
 * never -1 (mapped to -2). */
int64_t crvi_pyhash(enum crv_hash_algo algo, const crv_hash_key *key, unsigned ptr_size,
                    const uint8_t *data, size_t nbytes, unsigned unit);

/* Key derived from PYTHONHASHSEED=seed (1..4294967295): CPython's lcg_urandom filling
 * n bytes (24 for 3.x, 2*ptr_size for 2.7); remaining bytes zero. seed 0 gives all zero. */
void crvi_hash_key_from_seed(crv_hash_key *key, uint32_t seed, size_t n);

/* Parse 32 or 48 hex digits (optionally 0x-prefixed) into key; 0 on success, -1 on bad input. */
int crvi_hash_key_parse_hex(crv_hash_key *key, const char *hex);

/* Raw SipHash-c-d (exposed for tests). */
uint64_t crvi_siphash(unsigned c_rounds, unsigned d_rounds, uint64_t k0, uint64_t k1,
                      const uint8_t *data, size_t n);
#endif
