/* SPDX-License-Identifier: MIT */
/* The fast paths of the writers and the value validator against plain reference
 * implementations, on random inputs built to hit every branch: word-at-a-time runs,
 * block boundaries, unaligned starts, step limits, buffer caps. Also: the msgpack writer's
 * own encoder gives exactly the bytes msgpack-c packs (every record re-packed), and large
 * streams survive the writer's block buffering. */
#define _POSIX_C_SOURCE 200809L
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "carver/object.h"
#include "out/textenc.h"
#include "out/writer.h"
#include "validators/validators.h"

/* ---- random inputs ------------------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}
static uint32_t rnd_below(uint32_t n)
{
  return n ? rnd() % n : 0;
}

/* A code unit value of a random class, for a kind. */
static uint32_t rnd_unit(unsigned kind)
{
  static const uint32_t special[] = {'"',    '\\',   '\n',   '\r',   '\t',   '\b',   '\f',
                                     0,      0x1B,   0x7F,   0x80,   0x85,   0x9F,   0xA0,
                                     0xAD,   0xFF,   0x61C,  0x7FF,  0x800,  0x200E, 0x200F,
                                     0x2028, 0x2029, 0x202A, 0x202E, 0x2066, 0x2069, 0x206A,
                                     0xD7FF, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xE000, 0xFEFF,
                                     0xFFFD, 0xFFFF};
  uint32_t c = rnd_below(16), u;
  if (c < 9)
    u = 0x20 + rnd_below(0x5F); /* printable ASCII, the common case */
  else if (c < 11)
    u = special[rnd_below(sizeof special / sizeof special[0])];
  else if (c < 12)
    u = 0x80 + rnd_below(0x80);
  else if (c < 14)
    u = 0x100 + rnd_below(0xFF00);
  else if (c < 15)
    u = 0x10000 + rnd_below(0x100000);
  else
    u = rnd_below(2) ? 0x110000 + rnd_below(1000) : 0xFFFFFFFFu - rnd_below(3);
  if (kind == 1)
    return u & 0xFF;
  if (kind == 2)
    return u & 0xFFFF;
  return u;
}

/* nunits units of kind at d, in runs: long plain ASCII runs, runs of one class, noise. */
static void rnd_units(uint8_t *d, size_t nunits, unsigned kind)
{
  size_t i = 0;
  while (i < nunits) {
    size_t run = 1 + rnd_below(rnd_below(4) ? 8 : 70);
    int mode = (int)rnd_below(4);
    uint32_t fixed = rnd_unit(kind);
    for (size_t k = 0; k < run && i < nunits; k++, i++) {
      uint32_t u = mode == 0 ? 0x20 + rnd_below(0x5F) : mode == 1 ? fixed : rnd_unit(kind);
      if (mode == 1 && kind == 2 && fixed >= 0xD800 && fixed < 0xDC00 && k % 2)
        u = 0xDC00 + rnd_below(0x400); /* surrogate pairs */
      for (unsigned b = 0; b < kind; b++)
        d[i * kind + b] = (uint8_t)(u >> (8 * b));
    }
  }
}

/* n bytes of mostly-UTF-8 text with invalid, overlong, truncated and surrogate sequences. */
static void rnd_utf8(uint8_t *d, size_t n)
{
  static const char *const pieces[] = {"a",        "plain text ", "\"",          "\\",
                                       "\n",       "\x1b",        "\x7f",        "\xc3\xa9",
                                       "\xc2\x85", "\xe2\x82\xac", "\xe2\x80\xae", "\xe2\x80\xa8",
                                       "\xd8\x9c", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xed\xbf\xbf",
                                       "\xc0\x80", "\xe0\x80\x80", "\xf4\x90\x80\x80", "\x80",
                                       "\xff",     "\xc3",        "\xe2\x82",    "\xf0\x9f\x98"};
  size_t i = 0;
  while (i < n) {
    if (rnd_below(3) == 0) {
      d[i++] = (uint8_t)rnd();
      continue;
    }
    const char *p = pieces[rnd_below(sizeof pieces / sizeof pieces[0])];
    size_t l = strlen(p);
    for (size_t k = 0; k < l && i < n; k++)
      d[i++] = (uint8_t)p[k];
  }
}

/* ---- reference implementations (one code point at a time) --------------------------- */

typedef struct {
  char *p;
  size_t len, alloc;
  size_t *cuts; /* output length after each code point */
  size_t ncuts, cuts_alloc;
} rbuf;

static void rb_put(rbuf *r, const void *s, size_t n)
{
  if (r->len + n + 1 > r->alloc) {
    r->alloc = (r->len + n + 1) * 2;
    r->p = realloc(r->p, r->alloc);
  }
  memcpy(r->p + r->len, s, n);
  r->len += n;
  r->p[r->len] = '\0';
}
static void rb_cut(rbuf *r)
{
  if (r->ncuts == r->cuts_alloc) {
    r->cuts_alloc = r->cuts_alloc ? 2 * r->cuts_alloc : 64;
    r->cuts = realloc(r->cuts, r->cuts_alloc * sizeof *r->cuts);
  }
  r->cuts[r->ncuts++] = r->len;
}
static void rb_free(rbuf *r)
{
  free(r->p);
  free(r->cuts);
  memset(r, 0, sizeof *r);
}

static uint32_t ref_next(const uint8_t *d, size_t n, unsigned kind, unsigned flags, size_t *i)
{
  uint32_t u;
  if (kind == 1)
    return d[(*i)++];
  if (kind == 4) {
    u = (uint32_t)d[4 * *i] | (uint32_t)d[4 * *i + 1] << 8 | (uint32_t)d[4 * *i + 2] << 16 |
        (uint32_t)d[4 * *i + 3] << 24;
    (*i)++;
    return u > 0x10FFFF ? 0xFFFD : u;
  }
  u = (uint32_t)d[2 * *i] | (uint32_t)d[2 * *i + 1] << 8;
  (*i)++;
  if ((flags & CRVI_TEXT_UTF16) && u >= 0xD800 && u < 0xDC00 && *i < n) {
    uint32_t lo = (uint32_t)d[2 * *i] | (uint32_t)d[2 * *i + 1] << 8;
    if (lo >= 0xDC00 && lo < 0xE000) {
      (*i)++;
      return 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
    }
  }
  return u;
}

static void ref_utf8_cp(rbuf *r, uint32_t cp)
{
  unsigned char t[4];
  size_t n;
  if (cp < 0x80) {
    t[0] = (unsigned char)cp;
    n = 1;
  } else if (cp < 0x800) {
    t[0] = (unsigned char)(0xC0 | cp >> 6);
    t[1] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    t[0] = (unsigned char)(0xE0 | cp >> 12);
    t[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    t[2] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    t[0] = (unsigned char)(0xF0 | cp >> 18);
    t[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    t[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    t[3] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  rb_put(r, t, n);
}

static int ref_dangerous(uint32_t cp)
{
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x61C || cp == 0x200E ||
         cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static void ref_json_cp(rbuf *r, uint32_t cp)
{
  char t[16];
  const char *e = cp == '"'    ? "\\\""
                  : cp == '\\' ? "\\\\"
                  : cp == '\n' ? "\\n"
                  : cp == '\r' ? "\\r"
                  : cp == '\t' ? "\\t"
                  : cp == '\b' ? "\\b"
                  : cp == '\f' ? "\\f"
                               : NULL;
  if (e) {
    rb_put(r, e, 2);
    return;
  }
  if (cp > 0x10FFFF)
    cp = 0xFFFD;
  if (ref_dangerous(cp) || (cp >= 0xD800 && cp <= 0xDFFF)) {
    snprintf(t, sizeof t, "\\u%04x", (unsigned)cp);
    rb_put(r, t, 6);
  } else {
    ref_utf8_cp(r, cp);
  }
}

/* Strict (or WTF-8) decoding, as crvi_utf8_next documents it. */
static uint32_t ref_utf8_next(const uint8_t *s, size_t n, int surrogates, size_t *i)
{
  uint32_t c = s[*i];
  size_t need = c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : 0;
  if (c < 0x80) {
    (*i)++;
    return c;
  }
  if (!need || n - *i - 1 < need) {
    (*i)++;
    return 0xFFFFFFFFu;
  }
  uint32_t cp = c & (need == 1 ? 0x1F : need == 2 ? 0x0F : 0x07);
  for (size_t k = 1; k <= need; k++) {
    if ((s[*i + k] & 0xC0) != 0x80) {
      (*i)++;
      return 0xFFFFFFFFu;
    }
    cp = cp << 6 | (s[*i + k] & 0x3F);
  }
  uint32_t min = need == 1 ? 0x80 : need == 2 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10FFFF || (!surrogates && cp >= 0xD800 && cp <= 0xDFFF)) {
    (*i)++;
    return 0xFFFFFFFFu;
  }
  *i += 1 + need;
  return cp;
}

static const char hexd[] = "0123456789abcdef";

static int ref_printable(uint32_t cp)
{
  return crvi_cp_is_printable(cp); /* a classification, not a fast path */
}

static void ref_repr_cp(rbuf *r, uint32_t cp, char quote)
{
  char t[16];
  if (quote && cp == (uint32_t)(unsigned char)quote) {
    t[0] = '\\';
    t[1] = quote;
    rb_put(r, t, 2);
  } else if (cp == '\\' || cp == '\n' || cp == '\r' || cp == '\t') {
    t[0] = '\\';
    t[1] = cp == '\\' ? '\\' : cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't';
    rb_put(r, t, 2);
  } else if (ref_printable(cp)) {
    ref_utf8_cp(r, cp);
  } else if (cp <= 0xFF) {
    snprintf(t, sizeof t, "\\x%02x", (unsigned)cp);
    rb_put(r, t, 4);
  } else if (cp <= 0xFFFF) {
    snprintf(t, sizeof t, "\\u%04x", (unsigned)cp);
    rb_put(r, t, 6);
  } else {
    snprintf(t, sizeof t, "\\U%08x", (unsigned)cp);
    rb_put(r, t, 10);
  }
}

/* ---- comparisons --------------------------------------------------------------------- */

enum conv { C_UTF8, C_JSON_UNITS, C_JSON_UTF8, C_JSON_WTF8, C_SANITIZE, C_BASE64 };

static void reference(enum conv c, const uint8_t *d, size_t n, unsigned kind, unsigned flags,
                      rbuf *r)
{
  size_t i = 0;
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  while (i < n) {
    switch (c) {
    case C_UTF8:
      ref_utf8_cp(r, ref_next(d, n, kind, flags, &i));
      break;
    case C_JSON_UNITS:
      ref_json_cp(r, ref_next(d, n, kind, flags, &i));
      break;
    case C_JSON_UTF8:
    case C_JSON_WTF8: {
      uint32_t cp = ref_utf8_next(d, n, c == C_JSON_WTF8, &i);
      ref_json_cp(r, cp == 0xFFFFFFFFu ? 0xFFFD : cp);
      break;
    }
    case C_SANITIZE: {
      size_t start = i;
      uint32_t cp = ref_utf8_next(d, n, 0, &i);
      if (cp == 0xFFFFFFFFu)
        rb_put(r, "\xef\xbf\xbd", 3);
      else
        rb_put(r, d + start, i - start);
      break;
    }
    case C_BASE64: {
      size_t left = n - i;
      uint32_t v = (uint32_t)d[i] << 16 | (left > 1 ? (uint32_t)d[i + 1] << 8 : 0) |
                   (left > 2 ? d[i + 2] : 0);
      char t[4] = {b64[v >> 18], b64[v >> 12 & 63], left > 1 ? b64[v >> 6 & 63] : '=',
                   left > 2 ? b64[v & 63] : '='};
      rb_put(r, t, 4);
      i += left > 3 ? 3 : left;
      break;
    }
    }
    rb_cut(r);
  }
}

static void convert(enum conv c, crvi_buf *b, const uint8_t *d, size_t n, unsigned kind,
                    unsigned flags, size_t *pos, size_t limit)
{
  switch (c) {
  case C_UTF8:
    crvi_text_utf8_step(b, d, n, kind, flags, pos, limit);
    break;
  case C_JSON_UNITS:
    crvi_json_units_step(b, d, n, kind, flags, pos, limit);
    break;
  case C_JSON_UTF8:
    crvi_json_utf8_step(b, d, n, 0, pos, limit);
    break;
  case C_JSON_WTF8:
    crvi_json_utf8_step(b, d, n, CRVI_UTF8_SURROGATES, pos, limit);
    break;
  case C_SANITIZE:
    crvi_utf8_sanitize_step(b, d, n, pos, limit);
    break;
  case C_BASE64:
    crvi_base64_step(b, d, n, pos, limit);
    break;
  }
}

static int failures_shown;
static void show(const char *what, enum conv c, unsigned kind, size_t n)
{
  if (failures_shown++ < 10)
    fprintf(stderr, "  mismatch: %s conv %d kind %u n %zu\n", what, (int)c, kind, n);
}

/* Whole, in random steps, and under a random cap: each equals the reference (under a cap:
 * its longest whole-code-point prefix that fits, and CRV_ERR_LIMIT). */
static void compare_one(enum conv c, const uint8_t *d, size_t n, unsigned kind, unsigned flags)
{
  rbuf r = {0};
  reference(c, d, n, kind, flags, &r);
  crvi_buf b;
  size_t pos = 0;
  crvi_buf_init(&b, 1u << 26);
  convert(c, &b, d, n, kind, flags, &pos, SIZE_MAX);
  int ok = b.err == CRV_OK && pos == n && b.len == r.len && memcmp(b.p ? b.p : "", r.p ? r.p : "", r.len) == 0;
  if (!ok)
    show("whole", c, kind, n);
  CHECK(ok);
  if (c == C_UTF8)
    CHECK_EQ_U64(crvi_text_utf8_len(d, n, kind, flags), r.len);
  if (c == C_SANITIZE)
    CHECK_EQ_U64(crvi_utf8_sanitized_len(d, n), r.len);

  crvi_buf_reset(&b);
  pos = 0;
  int steps_ok = 1;
  while (pos < n && steps_ok) {
    size_t before = b.len, limit = b.len + 1 + rnd_below(rnd_below(2) ? 8 : 300);
    size_t p0 = pos;
    convert(c, &b, d, n, kind, flags, &pos, limit);
    steps_ok = b.err == CRV_OK && pos > p0 && b.len > before &&
               (pos == n || b.len >= limit) && b.len <= limit + CRVI_STEP_OVERSHOOT;
  }
  ok = steps_ok && b.len == r.len && memcmp(b.p ? b.p : "", r.p ? r.p : "", r.len) == 0;
  if (!ok)
    show("steps", c, kind, n);
  CHECK(ok);
  crvi_buf_free(&b);

  if (r.len) {
    size_t cap = rnd_below((uint32_t)r.len + 40);
    crvi_buf_init(&b, cap);
    pos = 0;
    while (pos < n && !b.err)
      convert(c, &b, d, n, kind, flags, &pos, SIZE_MAX);
    size_t want = 0;
    for (size_t k = 0; k < r.ncuts && r.cuts[k] <= cap; k++)
      want = r.cuts[k];
    ok = b.len == want && memcmp(b.p ? b.p : "", r.p, want) == 0 &&
         (b.err == CRV_ERR_LIMIT) == (r.len > cap);
    if (!ok)
      show("cap", c, kind, n);
    CHECK(ok);
    crvi_buf_free(&b);
  }
  rb_free(&r);
}

static void test_converters(void)
{
  static uint8_t d[4 * 5000 + 8];
  for (int round = 0; round < 3000; round++) {
    unsigned kind = 1u << rnd_below(3);
    size_t n = rnd_below(4) ? rnd_below(80) : rnd_below(5000);
    size_t off = rnd_below(8); /* unaligned starts */
    rnd_units(d + off, n, kind);
    unsigned flags = kind == 2 && rnd_below(3) == 0 ? CRVI_TEXT_UTF16 : 0;
    compare_one(C_UTF8, d + off, n, kind, flags);
    compare_one(C_JSON_UNITS, d + off, n, kind, flags);
    rnd_utf8(d + off, n);
    compare_one(C_JSON_UTF8, d + off, n, 1, 0);
    compare_one(C_JSON_WTF8, d + off, n, 1, 0);
    compare_one(C_SANITIZE, d + off, n, 1, 0);
    compare_one(C_BASE64, d + off, n, 1, 0);
    /* crvi_utf8_valid and the prefix scans */
    size_t i = 0;
    int valid = 1;
    while (i < n && valid)
      valid = ref_utf8_next(d + off, n, 0, &i) != 0xFFFFFFFFu;
    CHECK(crvi_utf8_valid(d + off, n) == valid);
    size_t a = 0, j = 0;
    while (a < n && d[off + a] < 0x80)
      a++;
    CHECK_EQ_U64(crvi_ascii_prefix(d + off, n), a);
    while (j < n && d[off + j] >= 0x20 && d[off + j] < 0x7F && d[off + j] != '"' &&
           d[off + j] != '\\')
      j++;
    CHECK_EQ_U64(crvi_json_plain_prefix(d + off, n), j);
  }
  /* Every mix of sequence lengths across the lanes of a vector: units drawn from a few
   * classes (1-4 UTF-8 bytes, surrogates, above U+10FFFF), in runs of one class and mixed,
   * at every length up to several vectors. */
  static const uint32_t classes[][2] = {{0x20, 0x5F},     {0x80, 0x80},    {0x100, 0x700},
                                        {0x800, 0xD000},  {0xD800, 0x800}, {0xE000, 0x2000},
                                        {0x10000, 0xFFFFF}, {0x110000, 0x1000}};
  for (unsigned kind = 1; kind <= 4; kind *= 2) {
    for (size_t n = 0; n < 100; n++) {
      int one_class = (int)rnd_below(2);
      uint32_t cls = rnd_below(8);
      for (size_t k = 0; k < n; k++) {
        uint32_t c = one_class ? cls : rnd_below(8);
        uint32_t u = classes[c][0] + rnd_below(classes[c][1]);
        u = kind == 1 ? u & 0xFF : kind == 2 ? u & 0xFFFF : u;
        for (unsigned b = 0; b < kind; b++)
          d[k * kind + b] = (uint8_t)(u >> (8 * b));
      }
      compare_one(C_UTF8, d, n, kind, 0);
      if (kind == 2)
        compare_one(C_UTF8, d, n, kind, CRVI_TEXT_UTF16);
    }
  }
  /* Lengths of values long enough to fill the vector counters' lanes many times over. */
  {
    enum { N = 300000 };
    uint8_t *big = malloc(4 * (size_t)N);
    CHECK(big != NULL);
    for (size_t k = 0; big && k < N; k++) {
      big[2 * k] = 0x00;
      big[2 * k + 1] = 0x4E; /* U+4E00: 3 bytes */
    }
    if (big)
      CHECK_EQ_U64(crvi_text_utf8_len(big, N, 2, 0), 3 * (uint64_t)N);
    for (size_t k = 0; big && k < N; k++) {
      uint32_t u = k % 3 == 0 ? 0x1F600 : k % 3 == 1 ? 0x7FF : 0x110000;
      memcpy(big + 4 * k, &u, 4);
    }
    if (big)
      CHECK_EQ_U64(crvi_text_utf8_len(big, N, 4, 0), (uint64_t)N / 3 * (4 + 2 + 3));
    free(big);
  }
  /* Long valid runs of each class, to exercise the eight-at-a-time paths end to end. */
  for (size_t n = 0; n < 40; n++) {
    for (size_t k = 0; k < n; k++)
      d[k] = (uint8_t)(n % 3 == 0 ? 'a' + k % 26 : n % 3 == 1 ? 0xA0 + k % 0x60 : 0x80 + k);
    compare_one(C_UTF8, d, n, 1, 0);
    compare_one(C_JSON_UNITS, d, n, 1, 0);
    CHECK(crvi_utf8_valid(d, n) == (n % 3 == 0 || n == 0));
  }
}

static void test_repr(void)
{
  static uint8_t d[4 * 400 + 8];
  for (int round = 0; round < 2000; round++) {
    unsigned kind = 1u << rnd_below(3);
    size_t n = rnd_below(400), max = rnd_below(4) ? 100 : rnd_below(500);
    unsigned flags = kind == 2 && rnd_below(2) ? CRVI_TEXT_UTF16 : 0;
    rnd_units(d, n, kind);
    rbuf r = {0};
    size_t i = 0, count = 0;
    int trunc = 0;
    while (i < n) {
      if (count == max) {
        trunc = 1;
        break;
      }
      ref_repr_cp(&r, ref_next(d, n, kind, flags, &i), '"');
      count++;
    }
    crvi_buf b;
    crvi_buf_init(&b, 1u << 20);
    int t = crvi_repr_units(&b, d, n, kind, flags, max);
    CHECK(t == trunc && b.len == r.len && memcmp(b.p ? b.p : "", r.p ? r.p : "", r.len) == 0);
    /* bytes */
    rb_free(&r);
    crvi_buf_reset(&b);
    for (size_t k = 0; k < n && k < max; k++) {
      if (d[k] >= 0x80) {
        char x[5] = {'\\', 'x', hexd[d[k] >> 4], hexd[d[k] & 15], 0};
        rb_put(&r, x, 4);
      } else {
        ref_repr_cp(&r, d[k], '"');
      }
    }
    t = crvi_repr_bytes(&b, d, n, max);
    CHECK(t == (n > max) && b.len == r.len && memcmp(b.p ? b.p : "", r.p ? r.p : "", r.len) == 0);
    /* under a small cap: the longest fitting prefix, then the error */
    crvi_buf_free(&b);
    size_t cap = rnd_below((uint32_t)r.len + 20);
    crvi_buf_init(&b, cap);
    crvi_repr_bytes(&b, d, n, max);
    CHECK(b.len <= cap && memcmp(b.p ? b.p : "", r.p ? r.p : "", b.len) == 0 &&
          (b.err != CRV_OK) == (r.len > cap));
    crvi_buf_free(&b);
    rb_free(&r);
  }
}

/* ---- the value validator ------------------------------------------------------------- */

static int ref_pep393(const struct crv_obj_info *info, const uint8_t *d)
{
  for (unsigned i = 0; i < info->unit; i++)
    if (d[info->data_bytes + i])
      return CRV_R_NUL;
  uint32_t max = 0;
  for (uint64_t i = 0; i < info->length; i++) {
    const uint8_t *p = d + i * info->unit;
    uint32_t u = info->unit == 1   ? p[0]
                 : info->unit == 2 ? (uint32_t)(p[0] | p[1] << 8)
                                   : (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                                         (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if (u > max)
      max = u;
  }
  if (max > 0x10FFFF)
    return CRV_R_CODEPOINT;
  if (info->unit == 1)
    return (info->ascii ? max >= 0x80 : max < 0x80) ? CRV_R_NOT_CANONICAL : CRV_VALID;
  if (info->unit == 2)
    return max < 0x100 ? CRV_R_NOT_CANONICAL : CRV_VALID;
  return max < 0x10000 ? CRV_R_NOT_CANONICAL : CRV_VALID;
}

static int ref_ubuf(const struct crv_obj_info *info, const uint8_t *d)
{
  for (unsigned i = 0; i < info->unit; i++)
    if (d[info->data_bytes + i])
      return CRV_R_NUL;
  if (info->unit == 4)
    for (uint64_t i = 0; i < info->length; i++) {
      const uint8_t *p = d + 4 * i;
      if (((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24) >
          0x10FFFF)
        return CRV_R_CODEPOINT;
    }
  return CRV_VALID;
}

static void test_validator(void)
{
  static uint8_t d[4 * 300 + 16];
  int counts[CRV_R_COUNT] = {0};
  for (int round = 0; round < 20000; round++) {
    struct crv_obj_info info;
    memset(&info, 0, sizeof info);
    info.unit = 1u << rnd_below(3);
    info.length = rnd_below(rnd_below(2) ? 12 : 300);
    info.data_bytes = info.length * info.unit;
    info.ascii = info.unit == 1 ? (int)rnd_below(2) : 0;
    uint8_t *p = d + rnd_below(8);
    /* mostly units below the kind's canonical floor, with a few above it */
    uint32_t floor_ = info.unit == 1 ? 0x80 : info.unit == 2 ? 0x100 : 0x10000;
    int mode = (int)rnd_below(4);
    for (uint64_t i = 0; i < info.length; i++) {
      uint32_t u = rnd_below(floor_);
      if (mode == 1 && rnd_below(40) == 0)
        u = floor_ + rnd_below(info.unit == 4 ? 0x100000 : floor_);
      if (mode == 2 && info.unit == 4 && rnd_below(40) == 0)
        u = rnd_below(2) ? 0x110000 : 0x80000000u + rnd();
      if (mode == 3)
        u = rnd() & (info.unit == 1 ? 0xFF : info.unit == 2 ? 0xFFFF : 0x1FFFFF);
      for (unsigned b = 0; b < info.unit; b++)
        p[i * info.unit + b] = (uint8_t)(u >> (8 * b));
    }
    for (unsigned b = 0; b < info.unit; b++)
      p[info.data_bytes + b] = rnd_below(30) ? 0 : (uint8_t)(1 + rnd_below(255));
    int want = ref_pep393(&info, p), got = crvi_check_pep393_data(&info, p);
    CHECK_EQ_U64(got, want);
    CHECK_EQ_U64(crvi_check_ubuf_data(&info, p), ref_ubuf(&info, p));
    if (want >= 0 && want < CRV_R_COUNT)
      counts[want]++;
  }
  /* every outcome was exercised */
  CHECK(counts[CRV_VALID] > 100 && counts[CRV_R_NUL] > 100 && counts[CRV_R_CODEPOINT] > 100 &&
        counts[CRV_R_NOT_CANONICAL] > 100);
}

/* ---- msgpack: the own encoder is msgpack-c's, byte for byte --------------------------- */

static const int64_t edge[] = {0,
                               1,
                               31,
                               32,
                               127,
                               128,
                               255,
                               256,
                               65535,
                               65536,
                               (int64_t)UINT32_MAX,
                               (int64_t)UINT32_MAX + 1,
                               INT64_MAX,
                               -1,
                               -32,
                               -33,
                               -128,
                               -129,
                               -32768,
                               -32769,
                               INT32_MIN,
                               (int64_t)INT32_MIN - 1,
                               INT64_MIN};

static int64_t rnd_i64(void)
{
  if (rnd_below(2))
    return edge[rnd_below(sizeof edge / sizeof edge[0])];
  return (int64_t)((uint64_t)rnd() << 32 | rnd()) >> rnd_below(64);
}

/* Value lengths around every msgpack header boundary and around the writer's
 * in-one-piece limit for each kind (most bytes > 256 KiB: kind 1 from 131073 units,
 * kind 2 from 87382, kind 4 from 65537). */
static const size_t lengths[] = {0,     1,     30,    31,    32,    33,    127,   128,
                                 255,   256,   257,   10922, 10923, 21845, 21846, 65535,
                                 65536, 65537, 87381, 87382, 131072, 131073};

/* An integer field of a decoded record equals v (as msgpack-c would decode it). */
static int mp_int_is(const msgpack_object *o, int64_t v, int is_signed)
{
  if (is_signed && v < 0)
    return o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && o->via.i64 == v;
  return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 == (uint64_t)v;
}

static const msgpack_object *mp_field(const msgpack_object *m, const char *k)
{
  for (uint32_t i = 0; m->type == MSGPACK_OBJECT_MAP && i < m->via.map.size; i++) {
    const msgpack_object *key = &m->via.map.ptr[i].key;
    if (key->type == MSGPACK_OBJECT_STR && key->via.str.size == strlen(k) &&
        memcmp(key->via.str.ptr, k, key->via.str.size) == 0)
      return &m->via.map.ptr[i].val;
  }
  return NULL;
}

static void test_msgpack_canonical(void)
{
  /* every (type, kind) a writer gets, ASCII and mixed content, every length */
  static const struct {
    int type;
    unsigned kind;
  } tk[] = {{CRV_OBJ_STR, 1},   {CRV_OBJ_STR, 2},       {CRV_OBJ_STR, 4},      {CRV_OBJ_BYTES, 1},
            {CRV_OBJ_STR27, 1}, {CRV_OBJ_UNICODE27, 2}, {CRV_OBJ_UNICODE27, 4}};
  enum { NTK = sizeof tk / sizeof tk[0], NLEN = sizeof lengths / sizeof lengths[0],
         NOBJ = NTK * NLEN * 2 };
  char region_long[5000];
  memset(region_long, 'r', sizeof region_long - 1);
  region_long[sizeof region_long - 1] = '\0';
  const char *regions[] = {NULL, "[heap]", "task.1.0x7f0000000000.vma", "a\"b\\c", "bad\xff\xfe",
                           region_long};
  FILE *f = tmpfile();
  CHECK(f != NULL);
  if (!f)
    return;
  struct crv_writer *w = NULL;
  CHECK(crvi_writer_open(&w, CRV_FORMAT_MSGPACK, f) == CRV_OK);
  const char *src[] = {"/tmp/x", "evil\xff"};
  crv_meta m = {.tool_version = "0.1.0", .python = "3.11", .version_source = "option",
                .layout = "l", .pid = 7, .sources = src, .n_sources = 2};
  CHECK(crvi_writer_meta(w, &m) == CRV_OK);
  static crv_object objs[NOBJ];
  static rbuf values[NOBJ];
  for (int i = 0; i < NOBJ; i++) {
    crv_object *o = &objs[i];
    int ascii_only = i % 2;
    memset(o, 0, sizeof *o);
    o->type = tk[i / 2 % NTK].type;
    o->kind = tk[i / 2 % NTK].kind;
    size_t n = lengths[i / 2 / NTK];
    o->addr = (uint64_t)rnd_i64();
    o->ob_type = (uint64_t)rnd_i64();
    o->length = (uint64_t)rnd_i64();
    o->hash = rnd_i64();
    o->refcnt = (uint64_t)rnd_i64();
    o->ascii = (int)rnd_below(3) - 1;
    o->interned = (int)rnd_below(4) - 1;
    o->hash_check = (int)rnd_below(CRV_HASH_CHECK_COUNT);
    o->status = (int)rnd_below(CRV_STATUS_COUNT);
    o->region = regions[rnd_below(sizeof regions / sizeof regions[0])];
    o->proof = rnd_below(4) ? NULL : "state+nul";
    uint8_t *v = malloc(n * o->kind + 1);
    if (crv_obj_type_is_text(o->type)) {
      if (ascii_only) /* the straight-copy paths */
        for (size_t k = 0; k < n * o->kind; k++)
          v[k] = k % o->kind ? 0 : (uint8_t)('a' + k % 26);
      else
        rnd_units(v, n, o->kind);
      int utf16 = o->kind == 2 && (o->type == CRV_OBJ_UNICODE27 ||
                                   (o->type == CRV_OBJ_STR && o->ascii < 0));
      reference(C_UTF8, v, n, o->kind, utf16 ? CRVI_TEXT_UTF16 : 0, &values[i]);
    } else {
      for (size_t k = 0; k < n; k++)
        v[k] = ascii_only ? (uint8_t)('a' + k % 26) : (uint8_t)rnd();
      rb_put(&values[i], v, n);
    }
    o->data = v;
    o->data_len = n * o->kind;
    CHECK(crvi_writer_object(w, o) == CRV_OK);
    free(v);
    o->data = NULL;
  }
  crv_summary s;
  memset(&s, 0, sizeof s);
  s.objects = NOBJ;
  s.elapsed_seconds = 0.5;
  CHECK(crvi_writer_summary(w, &s) == CRV_OK);
  CHECK(crvi_writer_close(w) == CRV_OK);

  long end = ftell(f);
  char *p = malloc(end > 0 ? (size_t)end : 1);
  rewind(f);
  size_t n = fread(p, 1, (size_t)end, f);
  fclose(f);
  CHECK_EQ_U64(n, (uint64_t)end);
  size_t off = 0, prev = 0;
  int rec = 0, same = 1, values_ok = 1, fields_ok = 1;
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  while (msgpack_unpack_next(&u, p, n, &off) == MSGPACK_UNPACK_SUCCESS) {
    msgpack_packer pk;
    msgpack_sbuffer_clear(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_object(&pk, u.data);
    same &= sb.size == off - prev && memcmp(sb.data, p + prev, sb.size) == 0;
    if (rec >= 1 && rec <= NOBJ && u.data.type == MSGPACK_OBJECT_MAP) {
      const crv_object *o = &objs[rec - 1];
      const msgpack_object *val = mp_field(&u.data, "value"), *f2;
      const rbuf *r = &values[rec - 1];
      int text = crv_obj_type_is_text(o->type);
      if (val && val->type == (text ? MSGPACK_OBJECT_STR : MSGPACK_OBJECT_BIN)) {
        size_t vl = text ? val->via.str.size : val->via.bin.size;
        const char *vp = text ? val->via.str.ptr : val->via.bin.ptr;
        values_ok &= vl == r->len && (vl == 0 || memcmp(vp, r->p, vl) == 0);
      } else {
        values_ok = 0;
      }
      fields_ok &= (f2 = mp_field(&u.data, "addr")) && mp_int_is(f2, (int64_t)o->addr, 0);
      fields_ok &= (f2 = mp_field(&u.data, "ob_type")) && mp_int_is(f2, (int64_t)o->ob_type, 0);
      fields_ok &= (f2 = mp_field(&u.data, "length")) && mp_int_is(f2, (int64_t)o->length, 0);
      fields_ok &= (f2 = mp_field(&u.data, "refcnt")) && mp_int_is(f2, (int64_t)o->refcnt, 0);
      fields_ok &= (f2 = mp_field(&u.data, "hash")) && mp_int_is(f2, o->hash, 1);
    }
    prev = off;
    rec++;
  }
  CHECK_EQ_U64(rec, NOBJ + 2);
  CHECK_EQ_U64(off, n);
  CHECK(same);
  CHECK(values_ok);
  CHECK(fields_ok);
  msgpack_sbuffer_destroy(&sb);
  msgpack_unpacked_destroy(&u);
  free(p);
  for (int i = 0; i < NOBJ; i++)
    rb_free(&values[i]);
}

/* ---- block buffering: many records, every format, output complete and in order -------- */

static void test_stream(void)
{
  static const enum crv_format fmts[] = {CRV_FORMAT_TEXT, CRV_FORMAT_JSONL, CRV_FORMAT_MSGPACK};
  static uint8_t big[3u << 20];
  for (size_t k = 0; k < sizeof big; k++)
    big[k] = (uint8_t)('A' + k % 26);
  for (int fi = 0; fi < 3; fi++) {
    FILE *f = tmpfile();
    struct crv_writer *w = NULL;
    CHECK(crvi_writer_open(&w, fmts[fi], f) == CRV_OK);
    size_t total = 0;
    for (int i = 0; i < 20000; i++) {
      crv_object o;
      memset(&o, 0, sizeof o);
      o.type = i % 2 ? CRV_OBJ_BYTES : CRV_OBJ_STR;
      o.kind = 1;
      o.ascii = -1;
      o.interned = -1;
      o.addr = (uint64_t)i; /* records are told apart by addr, in order */
      o.region = "[heap]";
      size_t len = i % 997 == 0 ? sizeof big - 26 - (size_t)i : (size_t)(i % 300);
      o.data = big + i % 26;
      o.data_len = len;
      o.length = o.data_len;
      total += o.data_len;
      CHECK(crvi_writer_object(w, &o) == CRV_OK);
    }
    CHECK(crvi_writer_close(w) == CRV_OK);
    long end = ftell(f);
    CHECK(end > (long)(fi == 0 ? 20000 * 40 : total));
    /* in order: the addr of record k is k */
    rewind(f);
    char *p = malloc((size_t)end + 1);
    size_t n = fread(p, 1, (size_t)end, f);
    p[n] = '\0';
    int ordered = 1, count = 0;
    if (fmts[fi] == CRV_FORMAT_MSGPACK) {
      msgpack_unpacked u;
      msgpack_unpacked_init(&u);
      size_t off = 0;
      while (msgpack_unpack_next(&u, p, n, &off) == MSGPACK_UNPACK_SUCCESS) {
        const msgpack_object *a = &u.data.via.map.ptr[1].val; /* record, addr, ... */
        ordered &= a->type == MSGPACK_OBJECT_POSITIVE_INTEGER && a->via.u64 == (uint64_t)count;
        count++;
      }
      msgpack_unpacked_destroy(&u);
    } else {
      char want[64];
      for (char *line = p; line && *line; count++) {
        if (fmts[fi] == CRV_FORMAT_JSONL)
          snprintf(want, sizeof want, "{\"record\":\"object\",\"addr\":%d,", count);
        else
          snprintf(want, sizeof want, "0x%012x ", count);
        ordered &= strncmp(line, want, strlen(want)) == 0;
        line = strchr(line, '\n');
        if (line)
          line++;
      }
    }
    CHECK(ordered);
    CHECK_EQ_U64(count, 20000);
    free(p);
    fclose(f);
  }
}

int main(void)
{
  test_converters();
  test_repr();
  test_validator();
  test_msgpack_canonical();
  test_stream();
  return CHECK_DONE();
}
