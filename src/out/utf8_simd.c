/* SPDX-License-Identifier: MIT */
/* Vector UTF-8 encoders; see utf8_simd.h.
 *
 * Method: each code unit becomes a lane holding its whole UTF-8 sequence, first byte
 * lowest (16-bit lanes while no sequence is longer than 2 bytes, else 32-bit lanes). The
 * lanes' lengths form a small index into a table of byte shuffles that packs the sequences
 * together; the packed vector is stored whole and the output advances by the total length.
 * Runs of plain ASCII skip all that: stored as they are (latin-1) or narrowed (UCS-2/4). */
#include "out/utf8_simd.h"

#include "util/cpu.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* 8 lanes of 16 bits, bit k of the index set when lane k holds 2 bytes (else 1). */
static uint8_t pack16[256][16];
static uint8_t pack16_len[256];
/* 4 lanes of 32 bits, bits 2k..2k+1 of the index = lane k's length - 1. */
static uint8_t pack32[256][16];
static uint8_t pack32_len[256];
/* A 4-bit lane mask spread to bits 0, 2, 4, 6: the masks of lanes with at least 2, 3 and 4
 * bytes, spread and added, give the pack32 index. */
static uint8_t spread4[16];

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void build_tables(void)
{
  for (unsigned m = 0; m < 256; m++) {
    unsigned p = 0;
    memset(pack16[m], 0x80, 16); /* pshufb: a set high bit writes zero */
    for (unsigned k = 0; k < 8; k++)
      for (unsigned j = 0; j < 1u + ((m >> k) & 1u); j++)
        pack16[m][p++] = (uint8_t)(2 * k + j);
    pack16_len[m] = (uint8_t)p;
    p = 0;
    memset(pack32[m], 0x80, 16);
    for (unsigned k = 0; k < 4; k++)
      for (unsigned j = 0; j <= ((m >> (2 * k)) & 3u); j++)
        pack32[m][p++] = (uint8_t)(4 * k + j);
    pack32_len[m] = (uint8_t)p;
  }
  for (unsigned m = 0; m < 16; m++)
    spread4[m] = (uint8_t)((m & 1u) | (m & 2u) << 1 | (m & 4u) << 2 | (m & 8u) << 3);
}

#define SSE41 __attribute__((target("sse4.1,ssse3")))
#define LOAD(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define STORE(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))

/* Eight 16-bit lanes, each < 0x800, to UTF-8 at o; returns the bytes written (8..16). */
SSE41 static inline unsigned put16(__m128i u, char *o)
{
  const __m128i lead = _mm_or_si128(_mm_srli_epi16(u, 6), _mm_set1_epi16(0xC0));
  const __m128i cont = _mm_or_si128(_mm_and_si128(u, _mm_set1_epi16(0x3F)), _mm_set1_epi16(0x80));
  const __m128i two = _mm_or_si128(lead, _mm_slli_epi16(cont, 8));
  const __m128i wide = _mm_cmpgt_epi16(u, _mm_set1_epi16(0x7F));
  const unsigned m = (unsigned)_mm_movemask_epi8(_mm_packs_epi16(wide, wide)) & 0xFFu;
  STORE(o, _mm_shuffle_epi8(_mm_blendv_epi8(u, two, wide), LOAD(pack16[m])));
  return pack16_len[m];
}

/* Four 32-bit lanes, each <= 0x10FFFF, to UTF-8 at o; returns the bytes written (4..16).
 * four: 0 when no lane can be above U+FFFF. */
SSE41 static inline unsigned put32(__m128i u, char *o, int four)
{
  const __m128i six = _mm_set1_epi32(0x3F), top = _mm_set1_epi32(0x80);
  const __m128i c0 = _mm_or_si128(_mm_and_si128(u, six), top);
  const __m128i c1 = _mm_or_si128(_mm_and_si128(_mm_srli_epi32(u, 6), six), top);
  const __m128i m2 = _mm_cmpgt_epi32(u, _mm_set1_epi32(0x7F));
  const __m128i m3 = _mm_cmpgt_epi32(u, _mm_set1_epi32(0x7FF));
  __m128i e = _mm_blendv_epi8(
      u,
      _mm_or_si128(_mm_or_si128(_mm_srli_epi32(u, 6), _mm_set1_epi32(0xC0)), _mm_slli_epi32(c0, 8)),
      m2);
  const __m128i e3 = _mm_or_si128(_mm_or_si128(_mm_srli_epi32(u, 12), _mm_set1_epi32(0xE0)),
                                  _mm_or_si128(_mm_slli_epi32(c1, 8), _mm_slli_epi32(c0, 16)));
  e = _mm_blendv_epi8(e, e3, m3);
  unsigned idx = (unsigned)spread4[_mm_movemask_ps(_mm_castsi128_ps(m2))] +
                 spread4[_mm_movemask_ps(_mm_castsi128_ps(m3))];
  if (four) {
    const __m128i m4 = _mm_cmpgt_epi32(u, _mm_set1_epi32(0xFFFF));
    const int m = _mm_movemask_ps(_mm_castsi128_ps(m4));
    if (m) {
      const __m128i c2 = _mm_or_si128(_mm_and_si128(_mm_srli_epi32(u, 12), six), top);
      const __m128i e4 =
          _mm_or_si128(_mm_or_si128(_mm_or_si128(_mm_srli_epi32(u, 18), _mm_set1_epi32(0xF0)),
                                    _mm_slli_epi32(c2, 8)),
                       _mm_or_si128(_mm_slli_epi32(c1, 16), _mm_slli_epi32(c0, 24)));
      e = _mm_blendv_epi8(e, e4, m4);
      idx += spread4[m];
    }
  }
  STORE(o, _mm_shuffle_epi8(e, LOAD(pack32[idx])));
  return pack32_len[idx];
}

/* Latin-1, 16 units a step: at most 32 bytes from an o < end. */
SSE41 static char *latin1_sse41(const uint8_t *s, size_t n, size_t *ip, char *o, const char *end)
{
  size_t i = *ip;
  const __m128i zero = _mm_setzero_si128();
  while (n - i >= 16 && o < end) {
    const __m128i v = LOAD(s + i);
    if (!_mm_movemask_epi8(v)) {
      STORE(o, v);
      o += 16;
    } else {
      o += put16(_mm_unpacklo_epi8(v, zero), o);
      o += put16(_mm_unpackhi_epi8(v, zero), o);
    }
    i += 16;
  }
  *ip = i;
  return o;
}

/* UCS-2, 8 units a step: at most 28 bytes from an o < end. */
SSE41 static char *ucs2_sse41(const uint8_t *s, size_t n, size_t *ip, char *o, const char *end)
{
  size_t i = *ip;
  const __m128i zero = _mm_setzero_si128();
  while (n - i >= 8 && o < end) {
    const __m128i v = LOAD(s + 2 * i);
    if (_mm_testz_si128(v, _mm_set1_epi16((short)0xFF80))) { /* eight ASCII units */
      _mm_storel_epi64((__m128i *)(void *)o, _mm_packus_epi16(v, v));
      o += 8;
    } else if (_mm_testz_si128(v, _mm_set1_epi16((short)0xF800))) { /* all below U+0800 */
      o += put16(v, o);
    } else {
      o += put32(_mm_unpacklo_epi16(v, zero), o, 0);
      o += put32(_mm_unpackhi_epi16(v, zero), o, 0);
    }
    i += 8;
  }
  *ip = i;
  return o;
}

/* UCS-4, 4 units a step: at most 16 bytes from an o < end. */
SSE41 static char *ucs4_sse41(const uint8_t *s, size_t n, size_t *ip, char *o, const char *end)
{
  size_t i = *ip;
  const __m128i max = _mm_set1_epi32(0x10FFFF);
  while (n - i >= 4 && o < end) {
    __m128i u = LOAD(s + 4 * i);
    /* Above U+10FFFF (unsigned): U+FFFD, as the portable converter writes. */
    const __m128i bad =
        _mm_xor_si128(_mm_cmpeq_epi32(_mm_min_epu32(u, max), u), _mm_set1_epi32(-1));
    u = _mm_blendv_epi8(u, _mm_set1_epi32(0xFFFD), bad);
    if (_mm_testz_si128(u, _mm_set1_epi32(~0x7F))) { /* four ASCII units */
      const __m128i h = _mm_packus_epi32(u, u);
      const __m128i b = _mm_packus_epi16(h, h);
      const uint32_t w = (uint32_t)_mm_cvtsi128_si32(b);
      memcpy(o, &w, 4);
      o += 4;
    } else {
      o += put32(u, o, 1);
    }
    i += 4;
  }
  *ip = i;
  return o;
}

/* Adds the lanes of four 32-bit counters. */
SSE41 static inline uint64_t sum32(__m128i acc)
{
  return (uint64_t)(uint32_t)_mm_extract_epi32(acc, 0) + (uint32_t)_mm_extract_epi32(acc, 1) +
         (uint32_t)_mm_extract_epi32(acc, 2) + (uint32_t)_mm_extract_epi32(acc, 3);
}

/* UCS-2: one more byte from U+0080, another from U+0800. 8 units a step, counted in 16-bit
 * lanes (at most 2 * 2^13 per round: below INT16_MAX, as _mm_madd_epi16 reads them). */
SSE41 static uint64_t ucs2_extra_sse41(const uint8_t *s, size_t n, size_t *ip)
{
  size_t i = *ip;
  uint64_t total = 0;
  const __m128i k80 = _mm_set1_epi16(0x80), k800 = _mm_set1_epi16(0x800);
  while (n - i >= 8) {
    __m128i acc = _mm_setzero_si128();
    for (size_t r = 0; r < (1u << 13) && n - i >= 8; r++, i += 8) {
      const __m128i v = LOAD(s + 2 * i);
      acc = _mm_sub_epi16(acc, _mm_cmpeq_epi16(_mm_max_epu16(v, k80), v));
      acc = _mm_sub_epi16(acc, _mm_cmpeq_epi16(_mm_max_epu16(v, k800), v));
    }
    total += sum32(_mm_madd_epi16(acc, _mm_set1_epi16(1)));
  }
  *ip = i;
  return total;
}

/* UCS-4: as UCS-2, plus one more from U+10000 up to U+10FFFF (above it: U+FFFD, 3 bytes). */
SSE41 static uint64_t ucs4_extra_sse41(const uint8_t *s, size_t n, size_t *ip)
{
  size_t i = *ip;
  const __m128i k80 = _mm_set1_epi32(0x80), k800 = _mm_set1_epi32(0x800);
  const __m128i k10000 = _mm_set1_epi32(0x10000), max = _mm_set1_epi32(0x10FFFF);
  __m128i acc = _mm_setzero_si128(); /* at most 3 * 2^28 a lane per round */
  uint64_t total = 0;
  while (n - i >= 4) {
    for (size_t r = 0; r < (1u << 28) && n - i >= 4; r++, i += 4) {
      const __m128i u = LOAD(s + 4 * i);
      const __m128i four = _mm_and_si128(_mm_cmpeq_epi32(_mm_max_epu32(u, k10000), u),
                                         _mm_cmpeq_epi32(_mm_min_epu32(u, max), u));
      acc = _mm_sub_epi32(acc, _mm_cmpeq_epi32(_mm_max_epu32(u, k80), u));
      acc = _mm_sub_epi32(acc, _mm_cmpeq_epi32(_mm_max_epu32(u, k800), u));
      acc = _mm_sub_epi32(acc, four);
    }
    total += sum32(acc);
    acc = _mm_setzero_si128();
  }
  *ip = i;
  return total;
}

static const struct crvi_utf8_blocks sse41_blocks = {latin1_sse41, ucs2_sse41, ucs4_sse41,
                                                     ucs2_extra_sse41, ucs4_extra_sse41};

static const struct crvi_utf8_blocks *probe(void)
{
  if (!crvi_cpu_has(CRVI_CPU_SSE41))
    return NULL;
  pthread_once(&tables_once, build_tables);
  return &sse41_blocks;
}

#else
static const struct crvi_utf8_blocks *probe(void)
{
  return NULL;
}
#endif

static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;
static const struct crvi_utf8_blocks *chosen;

static void choose(void)
{
  chosen = probe();
}

const struct crvi_utf8_blocks *crvi_utf8_blocks(void)
{
  pthread_once(&chosen_once, choose);
  return chosen;
}
