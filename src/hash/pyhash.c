/* SPDX-License-Identifier: MIT */
/* CPython's str/bytes hash functions (see pyhash.h and the layout reference, section 5).
 * Everything is computed byte by byte from little-endian input, so any alignment is fine. */
#include "hash/pyhash.h"
#include "util/hex.h"

#include <string.h>

#include "util/span.h"

/* ---- SipHash-c-d ---------------------------------------------------------------------- */

static uint64_t rotl64(uint64_t x, unsigned b)
{
  return (x << b) | (x >> (64 - b));
}

struct sip_state {
  uint64_t v0, v1, v2, v3;
};

static void sip_round(struct sip_state *s)
{
  s->v0 += s->v1;
  s->v1 = rotl64(s->v1, 13);
  s->v1 ^= s->v0;
  s->v0 = rotl64(s->v0, 32);
  s->v2 += s->v3;
  s->v3 = rotl64(s->v3, 16);
  s->v3 ^= s->v2;
  s->v0 += s->v3;
  s->v3 = rotl64(s->v3, 21);
  s->v3 ^= s->v0;
  s->v2 += s->v1;
  s->v1 = rotl64(s->v1, 17);
  s->v1 ^= s->v2;
  s->v2 = rotl64(s->v2, 32);
}

static void sip_compress(struct sip_state *s, unsigned rounds, uint64_t m)
{
  s->v3 ^= m;
  for (unsigned i = 0; i < rounds; i++)
    sip_round(s);
  s->v0 ^= m;
}

uint64_t crvi_siphash(unsigned c_rounds, unsigned d_rounds, uint64_t k0, uint64_t k1,
                      const uint8_t *data, size_t n)
{
  struct sip_state s;
  s.v0 = k0 ^ UINT64_C(0x736f6d6570736575);
  s.v1 = k1 ^ UINT64_C(0x646f72616e646f6d);
  s.v2 = k0 ^ UINT64_C(0x6c7967656e657261);
  s.v3 = k1 ^ UINT64_C(0x7465646279746573);

  size_t off = 0;
  while (n - off >= 8) {
    sip_compress(&s, c_rounds, span_u64le(data + off));
    off += 8;
  }

  /* Last block: the 0..7 remaining bytes, with the length's low byte on top. */
  uint64_t last = (uint64_t)(n & 0xff) << 56;
  for (size_t i = 0; off + i < n; i++)
    last |= (uint64_t)data[off + i] << (8 * i);
  sip_compress(&s, c_rounds, last);

  s.v2 ^= 0xff;
  for (unsigned i = 0; i < d_rounds; i++)
    sip_round(&s);
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/* ---- CPython hash ----------------------------------------------------------------------- */

/* Reinterpret a 64-bit pattern as two's complement without implementation-defined casts. */
static int64_t as_signed64(uint64_t x)
{
  if (x <= (uint64_t)INT64_MAX)
    return (int64_t)x;
  return -(int64_t)(~x) - 1;
}

/* 2.7 / 3.2 / 3.3 hash: FNV-like, one step per code unit, in ptr_size-wide arithmetic.
 * Units are read as unsigned little-endian values; a trailing partial unit is ignored.
 * For unit 4 the first unit's "<< 7" is done in 32 bits, as 2.7 does with its unsigned-int
 * Py_UNICODE (this only matters for values above 0x1ffffff, which are not code points). */
static uint64_t fnv27(const crv_hash_key *key, unsigned ptr_size, const uint8_t *data,
                      size_t nbytes, unsigned unit)
{
  const uint64_t mask = ptr_size == 4 ? UINT64_C(0xffffffff) : UINT64_MAX;
  size_t nunits = nbytes / unit;
  if (nunits == 0)
    return 0;

  uint64_t prefix = span_word(key->bytes, ptr_size);
  uint64_t suffix = span_word(key->bytes + ptr_size, ptr_size);
  uint64_t x = prefix;
  uint64_t u0 = unit == 1 ? data[0] : unit == 2 ? span_u16le(data) : span_u32le(data);
  x ^= (uint64_t)(uint32_t)(u0 << 7);
  for (size_t i = 0; i < nunits; i++) {
    const uint8_t *p = data + i * unit;
    uint64_t u = unit == 1 ? p[0] : unit == 2 ? span_u16le(p) : span_u32le(p);
    x = ((UINT64_C(1000003) * x) ^ u) & mask;
  }
  x ^= (uint64_t)nunits;
  x ^= suffix;
  return x & mask;
}

int64_t crvi_pyhash(enum crv_hash_algo algo, const crv_hash_key *key, unsigned ptr_size,
                    const uint8_t *data, size_t nbytes, unsigned unit)
{
  static const crv_hash_key zero_key;
  uint64_t h;

  if (!key)
    key = &zero_key;
  if (ptr_size != 4)
    ptr_size = 8;
  if (unit != 2 && unit != 4)
    unit = 1;
  if (nbytes == 0 || !data)
    return 0;

  switch (algo) {
  case CRV_HASHALG_FNV27:
    h = fnv27(key, ptr_size, data, nbytes, unit);
    break;
  case CRV_HASHALG_SIP24:
  case CRV_HASHALG_SIP13: {
    uint64_t k0 = span_u64le(key->bytes), k1 = span_u64le(key->bytes + 8);
    h = algo == CRV_HASHALG_SIP24 ? crvi_siphash(2, 4, k0, k1, data, nbytes)
                                  : crvi_siphash(1, 3, k0, k1, data, nbytes);
    break;
  }
  case CRV_HASHALG_NONE:
  default:
    return 0;
  }

  /* Py_hash_t is ptr_size wide: on ILP32 keep the low 32 bits, as a signed value. */
  int64_t r;
  if (ptr_size == 4) {
    uint32_t lo = (uint32_t)h;
    r = lo <= INT32_MAX ? (int64_t)lo : -(int64_t)(uint32_t)~lo - 1;
  } else {
    r = as_signed64(h);
  }
  if (r == -1)
    r = -2;
  return r;
}

/* ---- keys --------------------------------------------------------------------------------- */

void crvi_hash_key_from_seed(crv_hash_key *key, uint32_t seed, size_t n)
{
  memset(key->bytes, 0, sizeof key->bytes);
  if (seed == 0)
    return;
  if (n > sizeof key->bytes)
    n = sizeof key->bytes;
  uint32_t x = seed;
  for (size_t i = 0; i < n; i++) {
    x = x * UINT32_C(214013) + UINT32_C(2531011);
    key->bytes[i] = (uint8_t)((x >> 16) & 0xff);
  }
}

int crvi_hash_key_parse_hex(crv_hash_key *key, const char *hex)
{
  uint8_t buf[sizeof key->bytes];
  size_t ndigits = 0;

  if (!key || !hex)
    return -1;
  if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
    hex += 2;
  /* Count at most 49 digits so an overlong string is rejected without scanning it all. */
  while (ndigits <= 2 * sizeof buf && hex[ndigits] != '\0') {
    if (crv_hexval((unsigned char)hex[ndigits]) < 0)
      return -1;
    ndigits++;
  }
  if (hex[ndigits] != '\0' || (ndigits != 32 && ndigits != 48))
    return -1;

  memset(buf, 0, sizeof buf);
  for (size_t i = 0; i < ndigits / 2; i++)
    buf[i] = (uint8_t)(crv_hexval((unsigned char)hex[2 * i]) << 4 | crv_hexval((unsigned char)hex[2 * i + 1]));
  memcpy(key->bytes, buf, sizeof buf);
  return 0;
}
