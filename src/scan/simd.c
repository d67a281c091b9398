/* SPDX-License-Identifier: MIT */
#include "simd.h"
#include "util/cpu.h"
#include <string.h>

static size_t skip_words64(const uint8_t *b, size_t o, size_t end, uint64_t t1, uint64_t t2)
{
  for (; o + 64 <= end; o += 64) {
    uint64_t v[8];
    memcpy(v, b + o, 64); /* x86-64 and i386 hosts are little-endian */
    uint64_t m = 0;
    for (unsigned k = 0; k < 8; k++)
      m |= (uint64_t)(v[k] == t1) | (uint64_t)(v[k] == t2);
    if (m)
      break;
  }
  return o;
}

static size_t skip_words32(const uint8_t *b, size_t o, size_t end, uint64_t t1, uint64_t t2)
{
  for (; o + 64 <= end; o += 64) {
    uint32_t v[16];
    memcpy(v, b + o, 64);
    uint32_t m = 0;
    for (unsigned k = 0; k < 16; k++)
      m |= (uint32_t)(v[k] == (uint32_t)t1) | (uint32_t)(v[k] == (uint32_t)t2);
    if (m)
      break;
  }
  return o;
}

static size_t skip_sizes64(const uint8_t *b, size_t k, size_t stop, uint64_t room)
{
  for (; k + 48 <= stop; k += 64) {
    uint64_t m = 0;
    for (unsigned j = 0; j < 4; j++) {
      uint64_t sz;
      memcpy(&sz, b + k + 16 * j + 8, 8);
      uint64_t cs = sz & ~(uint64_t)7;
      m |= (uint64_t)((sz & 0xa) == 0 && cs >= 32 && cs <= room - k);
    }
    if (m)
      break;
  }
  return k;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1

#define LOADU(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))

__attribute__((target("avx2"))) static size_t
skip_words64_avx2(const uint8_t *b, size_t o, size_t end, uint64_t t1, uint64_t t2)
{
  const __m256i a = _mm256_set1_epi64x((long long)t1), c = _mm256_set1_epi64x((long long)t2);
  for (; o + 64 <= end; o += 64) {
    __m256i x = LOADU(b + o), y = LOADU(b + o + 32);
    __m256i m =
        _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi64(x, a), _mm256_cmpeq_epi64(x, c)),
                        _mm256_or_si256(_mm256_cmpeq_epi64(y, a), _mm256_cmpeq_epi64(y, c)));
    if (!_mm256_testz_si256(m, m))
      break;
  }
  return o;
}

__attribute__((target("avx2"))) static size_t
skip_words32_avx2(const uint8_t *b, size_t o, size_t end, uint64_t t1, uint64_t t2)
{
  const __m256i a = _mm256_set1_epi32((int)(uint32_t)t1), c = _mm256_set1_epi32((int)(uint32_t)t2);
  for (; o + 64 <= end; o += 64) {
    __m256i x = LOADU(b + o), y = LOADU(b + o + 32);
    __m256i m =
        _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi32(x, a), _mm256_cmpeq_epi32(x, c)),
                        _mm256_or_si256(_mm256_cmpeq_epi32(y, a), _mm256_cmpeq_epi32(y, c)));
    if (!_mm256_testz_si256(m, m))
      break;
  }
  return o;
}

/* Lanes 1 and 3 of each 32-byte load are the size words of two chunk positions. The upper
 * bound is the block's first position's (room - k), so a pass may be a false one: the
 * caller checks each position exactly. */
__attribute__((target("avx2"))) static size_t skip_sizes64_avx2(const uint8_t *b, size_t k,
                                                                size_t stop, uint64_t room)
{
  const __m256i flags = _mm256_set1_epi64x(0xa), align = _mm256_set1_epi64x(~7LL);
  const __m256i min = _mm256_set1_epi64x(32), sign = _mm256_set1_epi64x(INT64_MIN);
  const __m256i zero = _mm256_setzero_si256(), odd = _mm256_set_epi64x(-1, 0, -1, 0);
  for (; k + 48 <= stop; k += 64) {
    if (room - k < 32)
      break; /* no chunk fits any more: the caller's exact test ends it */
    /* cs - 32 <= room - k - 32, unsigned (a signed compare after flipping the sign bits) */
    const __m256i lim = _mm256_xor_si256(_mm256_set1_epi64x((long long)(room - k - 32)), sign);
    __m256i x = LOADU(b + k), y = LOADU(b + k + 32);
    __m256i okx = _mm256_andnot_si256(
        _mm256_cmpgt_epi64(
            _mm256_xor_si256(_mm256_sub_epi64(_mm256_and_si256(x, align), min), sign), lim),
        _mm256_cmpeq_epi64(_mm256_and_si256(x, flags), zero));
    __m256i oky = _mm256_andnot_si256(
        _mm256_cmpgt_epi64(
            _mm256_xor_si256(_mm256_sub_epi64(_mm256_and_si256(y, align), min), sign), lim),
        _mm256_cmpeq_epi64(_mm256_and_si256(y, flags), zero));
    __m256i m = _mm256_and_si256(_mm256_or_si256(okx, oky), odd);
    if (!_mm256_testz_si256(m, m))
      break;
  }
  return k;
}
#endif

static int use_avx2(void)
{
#ifdef HAVE_AVX2_PATH
  return crvi_cpu_has(CRVI_CPU_AVX2);
#else
  return 0;
#endif
}

crvi_skip_words_fn crvi_skip_words_for(unsigned ptr_size)
{
#ifdef HAVE_AVX2_PATH
  if (use_avx2())
    return ptr_size == 8 ? skip_words64_avx2 : skip_words32_avx2;
#endif
  return ptr_size == 8 ? skip_words64 : skip_words32;
}

crvi_skip_sizes_fn crvi_skip_sizes_for(unsigned ptr_size)
{
  if (ptr_size != 8)
    return NULL;
#ifdef HAVE_AVX2_PATH
  if (use_avx2())
    return skip_sizes64_avx2;
#endif
  return skip_sizes64;
}
