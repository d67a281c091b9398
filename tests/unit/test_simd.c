/* SPDX-License-Identifier: MIT */
/* The word loops (src/scan/simd.c), AVX2 and portable, against a one-word-at-a-time
 * reference on random memory with planted words; and the windows of src/scan/windows.c,
 * read on one thread and with the reader thread, against each other and the reference. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scan/simd.h"
#include "scan/windows.h"
#include "source/space.h"
#include "util/limits.h"
#include "util/span.h"

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t rnd64(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

#define T1 0x00007f3a1c2d5e40ull
#define T2 0x00007f3a1c2d6120ull

static void fill_random(uint8_t *b, size_t n)
{
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rnd64();
    memcpy(b + i, &v, n - i < 8 ? n - i : 8);
  }
}

/* Plant the type words (4- or 8-byte) and some near misses at random places. */
static void plant(uint8_t *b, size_t n, unsigned w, unsigned count)
{
  for (unsigned i = 0; i < count; i++) {
    size_t at = (size_t)(rnd64() % (n - 8));
    uint64_t v = (rnd64() & 3) == 0 ? T1 : (rnd64() & 1) ? T2 : T1 ^ (1ull << (rnd64() % 64));
    memcpy(b + at, &v, w);
  }
}

/* Reference: offsets o, o + w, ... < end - w + 1 whose word is T1 or T2. */
static size_t ref_words(const uint8_t *b, size_t o, size_t end, unsigned w, size_t *out, size_t cap)
{
  size_t n = 0;
  for (; o + w <= end; o += w) {
    uint64_t v = span_word(b + o, w);
    if ((v == (w == 8 ? T1 : (uint32_t)T1) || v == (w == 8 ? T2 : (uint32_t)T2)) && n < cap)
      out[n++] = o;
  }
  return n;
}

/* Walk with a skip function as find_hits does; collect every matching word. */
static size_t walk_words(crvi_skip_words_fn skip, const uint8_t *b, size_t o, size_t end,
                         unsigned w, size_t *out, size_t cap)
{
  size_t n = 0;
  const uint64_t t1 = w == 8 ? T1 : (uint32_t)T1, t2 = w == 8 ? T2 : (uint32_t)T2;
  for (;;) {
    size_t s = skip(b, o, end, t1, t2);
    CHECK(s >= o && (s - o) % 64 == 0);
    o = s;
    if (o + 64 > end)
      break;
    int any = 0;
    for (size_t e = o + 64; o < e; o += w) {
      uint64_t v = span_word(b + o, w);
      if (v == t1 || v == t2) {
        any = 1;
        if (n < cap)
          out[n++] = o;
      }
    }
    CHECK(any); /* a block the skip stopped at holds a match */
  }
  for (; o + w <= end; o += w) {
    uint64_t v = span_word(b + o, w);
    if ((v == t1 || v == t2) && n < cap)
      out[n++] = o;
  }
  return n;
}

static void set_avx2(int on)
{
  if (on)
    unsetenv("CARVER_NO_SIMD");
  else
    setenv("CARVER_NO_SIMD", "1", 1);
}

static void test_skip_words(void)
{
  enum { N = 1 << 16, CAP = 4096 };
  uint8_t *b = malloc(N);
  size_t *want = malloc(CAP * sizeof *want), *got = malloc(CAP * sizeof *got);
  for (unsigned w = 4; w <= 8; w += 4) {
    for (int round = 0; round < 200; round++) {
      fill_random(b, N);
      plant(b, N, w, (unsigned)(rnd64() % 64));
      size_t o = (size_t)(rnd64() % 200) & ~(size_t)(w - 1);
      size_t end = N - (size_t)(rnd64() % 300);
      size_t nw = ref_words(b, o, end, w, want, CAP);
      for (int avx = 0; avx <= 1; avx++) {
        set_avx2(avx);
        size_t ng = walk_words(crvi_skip_words_for(w), b, o, end, w, got, CAP);
        CHECK_EQ_U64(ng, nw);
        CHECK(ng == nw && memcmp(got, want, nw * sizeof *got) == 0);
      }
    }
  }
  set_avx2(1);
  free(b);
  free(want);
  free(got);
}

/* Positions k (step 16) up to stop whose size word passes the exact test. */
static int size_ok(const uint8_t *b, size_t k, uint64_t room)
{
  uint64_t sz = span_word(b + k + 8, 8), cs = sz & ~(uint64_t)7;
  return (sz & 0xa) == 0 && cs >= 32 && cs <= room - k;
}

static void test_skip_sizes(void)
{
  enum { N = 1 << 15 };
  uint8_t *b = malloc(N + 64);
  CHECK(crvi_skip_sizes_for(4) == NULL);
  for (int round = 0; round < 300; round++) {
    fill_random(b, N + 64);
    /* plausible sizes at some positions, small values and pointers elsewhere */
    for (unsigned i = 0, n = (unsigned)(rnd64() % 40); i < n; i++) {
      size_t k = (size_t)(rnd64() % (N / 16)) * 16;
      uint64_t v = (rnd64() & 1)   ? (32 + 16 * (rnd64() % 4096)) | (rnd64() & 1)
                   : (rnd64() & 1) ? 0x55d0c0ffee10ull
                                   : rnd64() % 100;
      memcpy(b + k + 8, &v, 8);
    }
    size_t stop = N - 16 - (size_t)(rnd64() % 200);
    uint64_t room = stop + 1 + rnd64() % 100000;
    for (int avx = 0; avx <= 1; avx++) {
      set_avx2(avx);
      crvi_skip_sizes_fn skip = crvi_skip_sizes_for(8);
      size_t k = 0, found = 0, want = 0;
      for (size_t q = 0; q <= stop; q += 16)
        want += (size_t)size_ok(b, q, room);
      while (k <= stop) { /* the caller's loop in next_boundary */
        size_t s = skip(b, k, stop, room);
        CHECK(s >= k && (s - k) % 64 == 0);
        for (size_t q = k; q < s; q += 16)
          CHECK(!size_ok(b, q, room)); /* nothing skipped that passes */
        k = s;
        for (size_t blk = k + 64; k <= stop && k < blk; k += 16)
          found += (size_t)size_ok(b, k, room);
      }
      CHECK_EQ_U64(found, want);
    }
  }
  set_avx2(1);
  free(b);
}

/* Windows over a space of memory regions (some unaligned, one with a hole), one thread
 * against the reader thread, for several chunk sizes. */
static void test_windows(void)
{
  enum { NREG = 5 };
  static const uint64_t starts[NREG] = {0x10000, 0x200003, 0x300000, 0x400000, 0x500008};
  static const size_t sizes[NREG] = {100000, 77777, 0, 300, 2000000};
  uint8_t *mem[NREG];
  struct crv_space s;
  crvi_space_init(&s);
  for (unsigned i = 0; i < NREG; i++) {
    mem[i] = malloc(sizes[i] + 8);
    fill_random(mem[i], sizes[i] + 8);
    plant(mem[i], sizes[i] + 8, 8, (unsigned)(sizes[i] / 500));
    uint64_t present = i == 1 ? sizes[i] - 1000 : sizes[i]; /* region 1 ends in a hole */
    CHECK_EQ_U64(crvi_space_add_region(&s, CRV_BACK_MEM, "mem", NULL, starts[i],
                                       starts[i] + sizes[i] + (i == 2), 0, present, 0),
                 CRV_OK);
    s.r[s.n - 1].mem = mem[i];
  }
  CHECK_EQ_U64(crvi_space_finish(&s), CRV_OK);
  static const size_t chunks[] = {64, 4096, 65536, 1 << 20};
  for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
    struct crv_windows *ws[2];
    for (int t = 0; t < 2; t++) {
      struct crv_windows_cfg cfg = {.space = &s,
                                    .chunk = chunks[c],
                                    .ptr_size = 8,
                                    .text_type = T1,
                                    .bytes_type = T2,
                                    .threads = t + 1};
      CHECK_EQ_U64(crvi_windows_open(&ws[t], &cfg), CRV_OK);
    }
    CHECK(!crvi_windows_threaded(ws[0]));
    CHECK(crvi_windows_threaded(ws[1]));
    uint64_t hits = 0, ref_hits = 0, bytes = 0;
    for (size_t i = 0; i < s.n; i++) {
      const struct crv_region *r = &s.r[i];
      uint64_t present = r->present < r->end - r->start ? r->present : r->end - r->start;
      size_t ref[4096];
      ref_hits +=
          ref_words(r->mem, (size_t)((8 - (r->start & 7)) & 7), (size_t)present, 8, ref, 4096);
    }
    for (;;) {
      crv_err e0, e1;
      const struct crv_window *a = crvi_windows_next(ws[0], &e0);
      const struct crv_window *b = crvi_windows_next(ws[1], &e1);
      CHECK_EQ_U64(e0, CRV_OK);
      CHECK_EQ_U64(e1, CRV_OK);
      CHECK((a == NULL) == (b == NULL));
      if (!a || !b)
        break;
      CHECK_EQ_U64(a->region, b->region);
      CHECK_EQ_U64(a->base, b->base);
      CHECK_EQ_U64(a->lb, b->lb);
      CHECK_EQ_U64(a->body, b->body);
      CHECK_EQ_U64(a->len, b->len);
      CHECK_EQ_U64(a->region_end, b->region_end);
      CHECK_EQ_U64(a->n_hits, b->n_hits);
      CHECK(a->len == b->len && memcmp(a->buf, b->buf, a->len) == 0);
      CHECK(a->n_hits == b->n_hits &&
            (a->n_hits == 0 || memcmp(a->hits, b->hits, a->n_hits * 8) == 0));
      const struct crv_region *r = &s.r[a->region];
      CHECK(a->buf && a->len && memcmp(a->buf, r->mem + (a->base - r->start), a->len) == 0);
      for (size_t h = 0; h < a->n_hits; h++) {
        uint64_t v = span_word(a->buf + (a->hits[h] >> 1), 8);
        CHECK(v == ((a->hits[h] & 1) ? T1 : T2));
        CHECK((a->hits[h] >> 1) >= a->lb && (a->hits[h] >> 1) < a->lb + a->body);
      }
      hits += a->n_hits;
      bytes += a->body;
    }
    CHECK_EQ_U64(hits, ref_hits);
    CHECK_EQ_U64(bytes, 100000 + (77777 - 1000) + 300 + 2000000);
    crvi_windows_close(ws[0]);
    crvi_windows_close(ws[1]);
  }
  /* stopping early: close with the reader thread blocked on a full ring */
  struct crv_windows_cfg cfg = {
      .space = &s, .chunk = 64, .ptr_size = 8, .text_type = T1, .bytes_type = T2, .threads = 2};
  struct crv_windows *w;
  crv_err e;
  CHECK_EQ_U64(crvi_windows_open(&w, &cfg), CRV_OK);
  CHECK(crvi_windows_next(w, &e) != NULL);
  crvi_windows_close(w);
  crvi_space_free(&s);
  for (unsigned i = 0; i < NREG; i++)
    free(mem[i]);
}

int main(void)
{
  test_skip_words();
  test_skip_sizes();
  test_windows();
  return CHECK_DONE();
}
