/* SPDX-License-Identifier: MIT */
/* WKdm codec: known-answer blobs worked out by hand from the format (not from our own
 * compressor), round trips of many page shapes in both layouts, and hostile blobs:
 * every truncation, trailing bytes, bad headers, bad padding, and a deterministic
 * mutation run whose only property is "a clean status, no access outside the buffers"
 * (run it under ASan). Real heap pages are round-tripped by tests/cli/wkdm_roundtrip.sh. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "wkdm/wkdm.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

static void put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static uint32_t get32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Page: 0x12345678 (MISS, slot HASH[0x15] = 15), 0x12345678 (EXACT 15),
 * 0x123456ff (PARTIAL 15, low 0x2ff), then zeros. */
static void kat_page(uint8_t *page)
{
  memset(page, 0, CRV_WKDM_PAGE);
  put32(page, 0x12345678u);
  put32(page + 4, 0x12345678u);
  put32(page + 8, 0x123456ffu);
}

/* The blob by hand: tag word 0 = bytes (2, 3, 1, 0); full = [0x12345678]; qpos word =
 * bytes (15, 15, 0, 0); low word = 0x2ff. */
static size_t kat_blob(uint8_t *b, unsigned hdr_words)
{
  const unsigned f = hdr_words + 64;
  memset(b, 0, 4 * (f + 3));
  if (hdr_words == 4) {
    put32(b + 4, f + 1);
    put32(b + 8, f + 2);
    put32(b + 12, f + 3);
  } else {
    put32(b, f + 1);
    put32(b + 4, f + 2);
    put32(b + 8, f + 3);
  }
  put32(b + 4 * hdr_words, 0x00010302u);
  put32(b + 4 * f, 0x12345678u);
  put32(b + 4 * (f + 1), 0x00000F0Fu);
  put32(b + 4 * (f + 2), 0x2FFu);
  return 4 * (f + 3);
}

static void test_known_answers(void)
{
  uint8_t page[CRV_WKDM_PAGE], out[CRV_WKDM_PAGE], blob[CRV_WKDM_MAX_BLOB], want[512];
  int kind;
  kat_page(page);
  for (unsigned hw = 3; hw <= 4; hw++) {
    int variant = hw == 4 ? CRV_WKDM_CLASSIC : CRV_WKDM_APPLE;
    size_t wl = kat_blob(want, hw);
    size_t n = crvi_wkdm_compress(page, blob, variant, 0);
    CHECK_EQ_U64(n, wl);
    CHECK(n == wl && memcmp(blob, want, wl) == 0);
    CHECK_EQ_U64(crvi_wkdm_decompress(want, wl, out, variant, &kind), CRV_WKDM_OK);
    CHECK_MEM(out, page, CRV_WKDM_PAGE);
    CHECK_EQ_U64(crvi_wkdm_decompress(want, wl, out, CRV_WKDM_AUTO, &kind), CRV_WKDM_OK);
    CHECK_EQ_U64(kind, hw == 4 ? CRV_WKDM_KIND_CLASSIC : CRV_WKDM_KIND_APPLE);
    CHECK_MEM(out, page, CRV_WKDM_PAGE);
    /* the other variant refuses it */
    CHECK(crvi_wkdm_decompress(want, wl, out, hw == 4 ? CRV_WKDM_APPLE : CRV_WKDM_CLASSIC,
                               NULL) != CRV_WKDM_OK);
  }
  /* The classic dictionary starts at 1: the word 1 is an EXACT hit on slot 0 (qpos 0);
   * xnu's starts at 0, so there it is a PARTIAL with low bits 1. */
  memset(page, 0, sizeof page);
  put32(page, 1);
  size_t n = crvi_wkdm_compress(page, blob, CRV_WKDM_CLASSIC, 0);
  CHECK_EQ_U64(get32(blob + 16) & 3u, 3u);
  CHECK_EQ_U64(crvi_wkdm_decompress(blob, n, out, CRV_WKDM_CLASSIC, NULL), CRV_WKDM_OK);
  CHECK_MEM(out, page, CRV_WKDM_PAGE);
  n = crvi_wkdm_compress(page, blob, CRV_WKDM_APPLE, 0);
  CHECK_EQ_U64(get32(blob + 12) & 3u, 1u);
  CHECK_EQ_U64(crvi_wkdm_decompress(blob, n, out, CRV_WKDM_APPLE, NULL), CRV_WKDM_OK);
  CHECK_MEM(out, page, CRV_WKDM_PAGE);

  /* Sparse, by hand: two words. */
  uint8_t sp[16];
  put32(sp, CRV_WKDM_SPARSE_MAGIC);
  put32(sp + 4, 0xdeadbeefu);
  sp[8] = 0x10, sp[9] = 0x00;
  put32(sp + 10, 7);
  sp[14] = 0xfc, sp[15] = 0x0f;
  CHECK_EQ_U64(crvi_wkdm_decompress(sp, 16, out, CRV_WKDM_AUTO, &kind), CRV_WKDM_OK);
  CHECK_EQ_U64(kind, CRV_WKDM_KIND_SPARSE);
  CHECK_EQ_U64(get32(out + 0x10), 0xdeadbeefu);
  CHECK_EQ_U64(get32(out + 0xffc), 7);
  CHECK_EQ_U64(get32(out), 0);
  memset(page, 0, sizeof page);
  put32(page + 0x10, 0xdeadbeefu);
  put32(page + 0xffc, 7);
  CHECK_EQ_U64(crvi_wkdm_compress(page, blob, CRV_WKDM_APPLE, CRV_WKDM_F_SPARSE), 16);
  CHECK_MEM(blob, sp, 16);
  CHECK(crvi_wkdm_decompress(sp, 16, out, CRV_WKDM_CLASSIC, NULL) != CRV_WKDM_OK);
  /* out of order, unaligned, past the page, zero word */
  sp[14] = 0x0c, sp[15] = 0x00;
  CHECK_EQ_U64(crvi_wkdm_decompress(sp, 16, out, CRV_WKDM_APPLE, NULL), CRV_WKDM_E_SPARSE);
  sp[14] = 0xfd, sp[15] = 0x0f;
  CHECK_EQ_U64(crvi_wkdm_decompress(sp, 16, out, CRV_WKDM_APPLE, NULL), CRV_WKDM_E_SPARSE);
  sp[14] = 0x00, sp[15] = 0x10;
  CHECK_EQ_U64(crvi_wkdm_decompress(sp, 16, out, CRV_WKDM_APPLE, NULL), CRV_WKDM_E_SPARSE);
  sp[14] = 0xfc, sp[15] = 0x0f;
  put32(sp + 10, 0);
  CHECK_EQ_U64(crvi_wkdm_decompress(sp, 16, out, CRV_WKDM_APPLE, NULL), CRV_WKDM_E_SPARSE);
  CHECK_EQ_U64(crvi_wkdm_decompress(sp, 15, out, CRV_WKDM_APPLE, NULL), CRV_WKDM_E_SIZE);
  /* the all-zero page is never a 4-byte sparse blob (that would read as a single value) */
  memset(page, 0, sizeof page);
  CHECK(crvi_wkdm_compress(page, blob, CRV_WKDM_APPLE, CRV_WKDM_F_SPARSE) > 4);
}

/* Page shapes: pointer-heavy heap, text, small ints, random, zero, single value. */
static void make_page(uint8_t *page, int shape)
{
  for (unsigned i = 0; i < CRV_WKDM_WORDS; i++) {
    uint32_t v;
    switch (shape) {
    case 0: v = 0; break;
    case 1: v = 0x41414141u; break;
    case 2: v = rnd(); break;
    case 3: v = rnd() & 0x3ff; break;                    /* all under 1024 */
    case 4: v = (i & 1) ? 0x00007f3au : 0xa0001000u + (rnd() & 0xfff8); break; /* pointers */
    case 5: v = (rnd() % 4 == 0) ? 0 : 0x20202020u + (rnd() & 0x1f1f1f1f); break; /* text */
    case 6: v = (rnd() % 16 == 0) ? rnd() : 0; break;   /* sparse */
    case 7: v = i == 1023 ? 1 : 0; break;
    case 8: v = 1; break;
    default: v = (rnd() % 3 == 0) ? 0 : ((rnd() % 2) ? 0x55550000u | (rnd() & 0x3ff) : rnd()); break;
    }
    put32(page + 4 * i, v);
  }
}

static void test_round_trips(void)
{
  uint8_t page[CRV_WKDM_PAGE], out[CRV_WKDM_PAGE], blob[CRV_WKDM_MAX_BLOB];
  for (int shape = 0; shape < 10; shape++) {
    for (int rep = 0; rep < 20; rep++) {
      make_page(page, shape);
      for (int v = 0; v < 3; v++) {
        int variant = v == 0 ? CRV_WKDM_CLASSIC : CRV_WKDM_APPLE;
        unsigned flags = v == 2 ? CRV_WKDM_F_SPARSE : 0;
        int kind;
        size_t n = crvi_wkdm_compress(page, blob, variant, flags);
        CHECK(n > 0 && n <= CRV_WKDM_MAX_BLOB);
        memset(out, 0xAA, sizeof out);
        CHECK_EQ_U64(crvi_wkdm_decompress(blob, n, out, CRV_WKDM_AUTO, &kind), CRV_WKDM_OK);
        CHECK_MEM(out, page, CRV_WKDM_PAGE);
        CHECK_EQ_U64(crvi_wkdm_decompress(blob, n, out, variant, NULL), CRV_WKDM_OK);
        CHECK_MEM(out, page, CRV_WKDM_PAGE);
        if (v == 0)
          CHECK_EQ_U64(kind, CRV_WKDM_KIND_CLASSIC);
        /* every truncation and one trailing byte or word is refused; a sparse blob has no
         * length field, so a cut between records reads as a page with fewer words */
        for (size_t l = 0; l < n; l++) {
          if (kind == CRV_WKDM_KIND_SPARSE && l >= 10 && (l - 4) % 6 == 0) {
            CHECK_EQ_U64(crvi_wkdm_decompress(blob, l, out, CRV_WKDM_AUTO, NULL), CRV_WKDM_OK);
            CHECK(memcmp(out, page, CRV_WKDM_PAGE) != 0);
            continue;
          }
          CHECK(crvi_wkdm_decompress(blob, l, out, CRV_WKDM_AUTO, NULL) != CRV_WKDM_OK);
        }
        if (n + 4 <= CRV_WKDM_MAX_BLOB) {
          blob[n] = blob[n + 1] = blob[n + 2] = blob[n + 3] = 0;
          CHECK(crvi_wkdm_decompress(blob, n + 1, out, CRV_WKDM_AUTO, NULL) != CRV_WKDM_OK);
          CHECK(crvi_wkdm_decompress(blob, n + 4, out, CRV_WKDM_AUTO, NULL) != CRV_WKDM_OK);
        }
      }
    }
  }
  /* Worst case: every word a MISS fills the whole bound. */
  for (unsigned i = 0; i < CRV_WKDM_WORDS; i++)
    put32(page + 4 * i, 0x01000000u * (i % 200 + 1) + (i << 10));
  size_t n = crvi_wkdm_compress(page, blob, CRV_WKDM_CLASSIC, 0);
  CHECK(n <= CRV_WKDM_MAX_BLOB);
  CHECK_EQ_U64(crvi_wkdm_decompress(blob, n, out, CRV_WKDM_AUTO, NULL), CRV_WKDM_OK);
  CHECK_MEM(out, page, CRV_WKDM_PAGE);
  /* The true worst case: 1023 MISS words and one PARTIAL (a slot word and a low-bits word). */
  put32(page + 4, get32(page) ^ 0x155u);
  n = crvi_wkdm_compress(page, blob, CRV_WKDM_CLASSIC, 0);
  CHECK_EQ_U64(n, CRV_WKDM_MAX_BLOB);
  CHECK_EQ_U64(crvi_wkdm_decompress(blob, n, out, CRV_WKDM_AUTO, NULL), CRV_WKDM_OK);
  CHECK_MEM(out, page, CRV_WKDM_PAGE);
  CHECK_EQ_U64(crvi_wkdm_compress(page, blob, 99, 0), 0);
}

static void test_hostile_headers(void)
{
  uint8_t page[CRV_WKDM_PAGE], out[CRV_WKDM_PAGE], blob[CRV_WKDM_MAX_BLOB + 8];
  kat_page(page);
  size_t n = crvi_wkdm_compress(page, blob, CRV_WKDM_CLASSIC, 0); /* 284 bytes */
  uint8_t saved[CRV_WKDM_MAX_BLOB];
  memcpy(saved, blob, n);
  static const uint32_t bad[] = {0, 67, 0xFFFFFFFFu, 0x80000000u, 0x40000000u, 71, 72, 1000};
  for (unsigned f = 1; f <= 3; f++) {
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
      memcpy(blob, saved, n);
      if (get32(blob + 4 * f) == bad[k])
        continue;
      put32(blob + 4 * f, bad[k]);
      CHECK(crvi_wkdm_decompress(blob, n, out, CRV_WKDM_CLASSIC, NULL) != CRV_WKDM_OK);
      CHECK(crvi_wkdm_decompress(blob, n, out, CRV_WKDM_AUTO, NULL) != CRV_WKDM_OK);
    }
  }
  /* padding: a stray slot number after the last, bits 30-31 or an unused low-bit field */
  memcpy(blob, saved, n);
  put32(blob + 4 * 69, 0x00000F0Fu | 0x00010000u);
  CHECK_EQ_U64(crvi_wkdm_decompress(blob, n, out, CRV_WKDM_CLASSIC, NULL), CRV_WKDM_E_PADDING);
  memcpy(blob, saved, n);
  put32(blob + 4 * 70, 0x2FFu | 0x40000000u);
  CHECK_EQ_U64(crvi_wkdm_decompress(blob, n, out, CRV_WKDM_CLASSIC, NULL), CRV_WKDM_E_PADDING);
  memcpy(blob, saved, n);
  put32(blob + 4 * 70, 0x2FFu | (5u << 10));
  CHECK_EQ_U64(crvi_wkdm_decompress(blob, n, out, CRV_WKDM_CLASSIC, NULL), CRV_WKDM_E_PADDING);
  /* a tag changed from ZERO to MISS: one full word too few */
  memcpy(blob, saved, n);
  put32(blob + 16, 0x02010302u);
  CHECK_EQ_U64(crvi_wkdm_decompress(blob, n, out, CRV_WKDM_CLASSIC, NULL), CRV_WKDM_E_COUNTS);
  /* trailing garbage after a consistent blob */
  memcpy(blob, saved, n);
  CHECK_EQ_U64(crvi_wkdm_decompress(blob, n + 4, out, CRV_WKDM_CLASSIC, NULL),
               CRV_WKDM_E_TRAILING);
  /* sizes: odd, tiny, over the bound */
  CHECK_EQ_U64(crvi_wkdm_decompress(blob, n - 2, out, CRV_WKDM_CLASSIC, NULL), CRV_WKDM_E_SIZE);
  CHECK_EQ_U64(crvi_wkdm_decompress(blob, 3, out, CRV_WKDM_AUTO, NULL), CRV_WKDM_E_SIZE);
  CHECK_EQ_U64(crvi_wkdm_decompress(blob, 0, out, CRV_WKDM_AUTO, NULL), CRV_WKDM_E_SIZE);
  CHECK_EQ_U64(crvi_wkdm_decompress(blob, CRV_WKDM_MAX_BLOB + 4, out, CRV_WKDM_CLASSIC, NULL),
               CRV_WKDM_E_SIZE);
  CHECK(crvi_wkdm_decompress(blob, n, out, 42, NULL) != CRV_WKDM_OK);
  CHECK(strcmp(crvi_wkdm_strerror(CRV_WKDM_E_COUNTS), "unknown WKdm error") != 0);
  CHECK_STR(crvi_wkdm_strerror(-1), "unknown WKdm error");
  CHECK_STR(crvi_wkdm_kind_name(CRV_WKDM_KIND_SPARSE), "apple-sparse");
}

static void test_slots(void)
{
  uint8_t page[CRV_WKDM_PAGE], out[CRV_WKDM_PAGE], blob[CRV_WKDM_MAX_BLOB];
  int kind;
  put32(blob, 0xcafef00du);
  CHECK_EQ_U64(crvi_wkdm_decode_slot(blob, 4, out, CRV_WKDM_AUTO, &kind), CRV_WKDM_OK);
  CHECK_EQ_U64(kind, CRV_WKDM_KIND_SINGLE);
  CHECK_EQ_U64(get32(out + 4092), 0xcafef00du);
  make_page(page, 2);
  CHECK_EQ_U64(crvi_wkdm_decode_slot(page, CRV_WKDM_PAGE, out, CRV_WKDM_AUTO, &kind), CRV_WKDM_OK);
  CHECK_EQ_U64(kind, CRV_WKDM_KIND_RAW);
  CHECK_MEM(out, page, CRV_WKDM_PAGE);
  make_page(page, 4);
  size_t n = crvi_wkdm_compress(page, blob, CRV_WKDM_APPLE, CRV_WKDM_F_SPARSE);
  CHECK_EQ_U64(crvi_wkdm_decode_slot(blob, n, out, CRV_WKDM_AUTO, &kind), CRV_WKDM_OK);
  CHECK_EQ_U64(kind, CRV_WKDM_KIND_APPLE);
  CHECK_MEM(out, page, CRV_WKDM_PAGE);
  CHECK(crvi_wkdm_decode_slot(blob, 5, out, CRV_WKDM_AUTO, &kind) != CRV_WKDM_OK);
}

/* Mutations of valid blobs: the status must be a known one and, when OK, the output a whole
 * page (the buffers are exactly sized heap blocks so ASan sees any overrun). */
static void test_mutations(void)
{
  uint8_t page[CRV_WKDM_PAGE], blob[CRV_WKDM_MAX_BLOB];
  unsigned ok = 0, refused = 0;
  for (int iter = 0; iter < 20000; iter++) {
    make_page(page, iter % 10);
    int variant = iter % 3 == 0 ? CRV_WKDM_CLASSIC : CRV_WKDM_APPLE;
    size_t n = crvi_wkdm_compress(page, blob, variant, iter % 3 == 2 ? CRV_WKDM_F_SPARSE : 0);
    unsigned flips = 1 + rnd() % 4;
    for (unsigned f = 0; f < flips; f++) {
      size_t at = rnd() % n;
      if (rnd() % 4 == 0 && at < n - 4)
        put32(blob + (at & ~(size_t)3), rnd() % 2000); /* a plausible small offset */
      else
        blob[at] ^= (uint8_t)(1u << (rnd() % 8));
    }
    size_t len = rnd() % 8 == 0 ? rnd() % (n + 8) : n;
    if (len > CRV_WKDM_MAX_BLOB)
      len = CRV_WKDM_MAX_BLOB;
    uint8_t *in = malloc(len ? len : 1), *out = malloc(CRV_WKDM_PAGE);
    if (!in || !out) {
      free(in);
      free(out);
      CHECK(0);
      return;
    }
    memcpy(in, blob, len);
    int kind = -1;
    int r = crvi_wkdm_decode_slot(in, len, out, CRV_WKDM_AUTO, &kind);
    CHECK(r >= 0 && r < CRV_WKDM_E_COUNT);
    if (r == CRV_WKDM_OK) {
      ok++;
      CHECK(kind > CRV_WKDM_KIND_NONE && kind < CRV_WKDM_KIND_COUNT);
    } else {
      refused++;
    }
    free(in);
    free(out);
  }
  fprintf(stderr, "mutations: %u decoded, %u refused\n", ok, refused);
  CHECK(refused > ok);
}

int main(void)
{
  test_known_answers();
  test_round_trips();
  test_hostile_headers();
  test_slots();
  test_mutations();
  return CHECK_DONE();
}
