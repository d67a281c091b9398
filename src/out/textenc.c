/* SPDX-License-Identifier: MIT */
/* Text conversions for the writers; see textenc.h.
 *
 * Speed: the values carver writes are most of its output (often as much as it reads), so
 * every converter reserves its output once per block and runs a tight loop for its kind,
 * taking runs of plain ASCII eight bytes at a time (word-at-a-time tests, below). The
 * per-code-point functions (crvi_utf8_put, crvi_json_cp, crvi_repr_cp) remain the reference
 * and the exact path close to a buffer's cap. */
#include "out/textenc.h"
#include "out/utf8_simd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/span.h"

/* ---- word-at-a-time helpers ---------------------------------------------------------- */

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Little-endian 8-byte load and store at any alignment (memcpy compiles to one move). */
static inline uint64_t load64(const uint8_t *p)
{
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

static inline void store64(char *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  memcpy(p, &v, 8);
}

/* Byte index of the lowest flagged byte of a nonzero HIGHS-style mask. */
static inline unsigned first_flag(uint64_t m)
{
  return (unsigned)__builtin_ctzll(m) >> 3;
}

/* Flags (0x80 in its byte) every byte of v below c (c <= 0x80). The lowest flag is exact:
 * a borrow only moves upwards from a byte that is itself flagged. */
static inline uint64_t bytes_below(uint64_t v, uint8_t c)
{
  return (v - ONES * c) & ~v & HIGHS;
}

/* Flags every zero byte of v (lowest flag exact, as above). */
static inline uint64_t bytes_zero(uint64_t v)
{
  return (v - ONES) & ~v & HIGHS;
}

/* Flags the bytes a JSON string cannot hold as they are: < 0x20, '"', '\\', >= 0x7F. */
static inline uint64_t json_special8(uint64_t v)
{
  return bytes_below(v, 0x20) | bytes_zero(v ^ (ONES * '"')) | bytes_zero(v ^ (ONES * '\\')) |
         (((v + ONES) | v) & HIGHS); /* 0x7F + 1 sets the high bit; >= 0x80 has it */
}

/* ---- growable buffer ----------------------------------------------------------------- */

void crvi_buf_init(crvi_buf *b, size_t cap)
{
  b->p = NULL;
  b->len = 0;
  b->alloc = 0;
  b->cap = cap;
  b->err = CRV_OK;
}

void crvi_buf_free(crvi_buf *b)
{
  free(b->p);
  b->p = NULL;
  b->len = 0;
  b->alloc = 0;
}

void crvi_buf_reset(crvi_buf *b)
{
  b->len = 0;
  b->err = CRV_OK;
  if (b->p)
    b->p[0] = '\0';
}

char *crvi_buf_grow(crvi_buf *b, size_t n)
{
  if (b->err)
    return NULL;
  if (n > b->cap || b->len > b->cap - n) {
    b->err = CRV_ERR_LIMIT;
    return NULL;
  }
  size_t need = b->len + n + 1;
  if (need > b->alloc) {
    size_t a = b->alloc ? b->alloc : 256;
    while (a < need)
      a = a > SIZE_MAX / 2 ? need : a * 2;
    if (b->cap < SIZE_MAX && a > b->cap + 1)
      a = b->cap + 1;
    char *p = realloc(b->p, a);
    if (!p) {
      b->err = CRV_ERR_NOMEM;
      return NULL;
    }
    b->p = p;
    b->alloc = a;
  }
  return b->p + b->len;
}

void crvi_buf_put(crvi_buf *b, const void *p, size_t n)
{
  char *o = crvi_buf_room(b, n);
  if (!o)
    return;
  if (n)
    memcpy(o, p, n);
  crvi_buf_commit(b, n);
}

void crvi_buf_putc(crvi_buf *b, char c)
{
  char *o = crvi_buf_room(b, 1);
  if (!o)
    return;
  *o = c;
  crvi_buf_commit(b, 1);
}

void crvi_buf_puts(crvi_buf *b, const char *s)
{
  crvi_buf_put(b, s, strlen(s));
}

void crvi_buf_printf(crvi_buf *b, const char *fmt, ...)
{
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tmp) {
    if (!b->err)
      b->err = CRV_ERR_LIMIT;
    return;
  }
  crvi_buf_put(b, tmp, (size_t)n);
}

/* Output room for one block of a step converter: aims at the step's limit (at least one
 * byte), at most `worst` bytes (what the rest of the input can produce), plus
 * CRVI_STEP_OVERSHOOT bytes that the last unit of the block may write past *end. NULL when
 * the buffer's cap leaves no such room (the caller then converts one code point exactly,
 * which fails precisely at the cap) or memory ran out (b->err set). */
static char *step_room(crvi_buf *b, size_t limit, uint64_t worst, char **end)
{
  size_t want = b->len < limit ? limit - b->len : 1;
  if (worst < want)
    want = (size_t)worst;
  size_t avail = b->cap - b->len;
  if (avail <= CRVI_STEP_OVERSHOOT)
    return NULL;
  if (want > avail - CRVI_STEP_OVERSHOOT)
    want = avail - CRVI_STEP_OVERSHOOT;
  char *o = crvi_buf_room(b, want + CRVI_STEP_OVERSHOOT);
  if (o)
    *end = o + want;
  return o;
}

/* Units left times bytes per unit, saturated (only ever compared with a room). */
static uint64_t worst_of(size_t units, unsigned per)
{
  return (uint64_t)units * per;
}

/* ---- code points --------------------------------------------------------------------- */

static int is_high_surrogate(uint32_t u)
{
  return u >= 0xD800 && u <= 0xDBFF;
}
static int is_low_surrogate(uint32_t u)
{
  return u >= 0xDC00 && u <= 0xDFFF;
}
static int is_surrogate(uint32_t u)
{
  return u >= 0xD800 && u <= 0xDFFF;
}

uint32_t crvi_text_next(const uint8_t *data, size_t nunits, unsigned kind, unsigned flags,
                        size_t *pos)
{
  size_t i = *pos;
  uint32_t cp;
  switch (kind) {
  case 1:
    *pos = i + 1;
    return data[i];
  case 2:
    cp = span_u16le(data + 2 * i);
    *pos = i + 1;
    if ((flags & CRVI_TEXT_UTF16) && is_high_surrogate(cp) && i + 1 < nunits) {
      uint32_t lo = span_u16le(data + 2 * (i + 1));
      if (is_low_surrogate(lo)) {
        *pos = i + 2;
        return 0x10000u + ((cp - 0xD800u) << 10) + (lo - 0xDC00u);
      }
    }
    return cp;
  default: /* 4; callers validate kind */
    cp = span_u32le(data + 4 * i);
    *pos = i + 1;
    return cp > 0x10FFFFu ? CRVI_CP_REPLACEMENT : cp;
  }
}

size_t crvi_utf8_cp_len(uint32_t cp)
{
  if (cp < 0x80)
    return 1;
  if (cp < 0x800)
    return 2;
  if (cp < 0x10000)
    return 3;
  if (cp <= 0x10FFFF)
    return 4;
  return 3; /* U+FFFD */
}

/* Writes cp (not above 0x10FFFF) as UTF-8 at o; surrogates as 3-byte WTF-8. */
static inline char *utf8_to(char *o, uint32_t cp)
{
  if (cp < 0x80) {
    *o++ = (char)cp;
  } else if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    o += 2;
  } else if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    o += 3;
  } else {
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    o += 4;
  }
  return o;
}

void crvi_utf8_put(crvi_buf *b, uint32_t cp)
{
  char t[4];
  if (cp > 0x10FFFF)
    cp = CRVI_CP_REPLACEMENT;
  crvi_buf_put(b, t, (size_t)(utf8_to(t, cp) - t));
}

/* Bytes of s[0..n) that are >= 0x80, eight at a time. */
static size_t count_high(const uint8_t *s, size_t n)
{
  size_t total = 0, i = 0;
  while (n - i >= 8) {
    size_t words = (n - i) / 8;
    if (words > 255) /* each byte lane of acc counts at most 255 */
      words = 255;
    uint64_t acc = 0;
    for (size_t k = 0; k < words; k++, i += 8)
      acc += (load64(s + i) >> 7) & ONES;
    acc = (acc & 0x00FF00FF00FF00FFull) + ((acc >> 8) & 0x00FF00FF00FF00FFull);
    total += (size_t)((acc * 0x0001000100010001ull) >> 48);
  }
  for (; i < n; i++)
    total += s[i] >> 7;
  return total;
}

uint64_t crvi_text_utf8_len(const uint8_t *data, size_t nunits, unsigned kind, unsigned flags)
{
  uint64_t total = nunits;
  size_t i = 0;
  if (kind == 1)
    return total + count_high(data, nunits); /* latin-1: 2 bytes from 0x80 */
  const struct crvi_utf8_blocks *vec = crvi_utf8_blocks();
  if (kind == 2 && !(flags & CRVI_TEXT_UTF16)) {
    if (vec)
      total += vec->ucs2_extra(data, nunits, &i);
    for (; i + 4 <= nunits; i += 4) {
      uint64_t v = load64(data + 2 * i);
      if (!(v & 0xFF80FF80FF80FF80ull))
        continue; /* four ASCII units */
      for (unsigned k = 0; k < 4; k++) {
        uint32_t u = (uint32_t)(v >> (16 * k)) & 0xFFFF;
        total += (u >= 0x80) + (u >= 0x800);
      }
    }
    for (; i < nunits; i++) {
      uint32_t u = span_u16le(data + 2 * i);
      total += (u >= 0x80) + (u >= 0x800);
    }
    return total;
  }
  if (kind == 4) {
    if (vec)
      total += vec->ucs4_extra(data, nunits, &i);
    for (; i < nunits; i++) {
      uint32_t u = span_u32le(data + 4 * i);
      total += (u >= 0x80) + (u >= 0x800) + (u >= 0x10000 && u <= 0x10FFFF); /* U+FFFD: 3 */
    }
    return total;
  }
  total = 0; /* UTF-16: a pair is 4 bytes for 2 units */
  while (i < nunits)
    total += crvi_utf8_cp_len(crvi_text_next(data, nunits, kind, flags, &i));
  return total;
}

/* One block of latin-1 -> UTF-8: from s[*ip] while o < end. Writes at most 16 bytes past
 * end. */
static char *l1_utf8(const uint8_t *s, size_t n, size_t *ip, char *o, const char *end)
{
  size_t i = *ip;
  while (i < n && o < end) {
    if (n - i >= 8) {
      uint64_t v = load64(s + i), hi = v & HIGHS;
      if (!hi) { /* eight ASCII bytes */
        store64(o, v);
        o += 8;
        i += 8;
        continue;
      }
      if (hi == HIGHS) { /* eight bytes from 0x80: two each */
        for (unsigned k = 0; k < 8; k++) {
          uint8_t c = (uint8_t)(v >> (8 * k));
          o[2 * k] = (char)(0xC0 | (c >> 6));
          o[2 * k + 1] = (char)(0x80 | (c & 0x3F));
        }
        o += 16;
        i += 8;
        continue;
      }
      unsigned k = first_flag(hi); /* the ASCII bytes before the first high one */
      store64(o, v);
      o += k;
      i += k;
    }
    uint8_t c = s[i++];
    if (c < 0x80) {
      *o++ = (char)c;
    } else {
      o[0] = (char)(0xC0 | (c >> 6));
      o[1] = (char)(0x80 | (c & 0x3F));
      o += 2;
    }
  }
  *ip = i;
  return o;
}

/* One block of UCS-2 / UTF-16 -> UTF-8/WTF-8. Writes at most 4 bytes past end. */
static char *u2_utf8(const uint8_t *s, size_t n, unsigned flags, size_t *ip, char *o,
                     const char *end)
{
  size_t i = *ip;
  while (i < n && o < end) {
    if (n - i >= 4) {
      uint64_t v = load64(s + 2 * i);
      if (!(v & 0xFF80FF80FF80FF80ull)) { /* four ASCII units */
        o[0] = (char)v;
        o[1] = (char)(v >> 16);
        o[2] = (char)(v >> 32);
        o[3] = (char)(v >> 48);
        o += 4;
        i += 4;
        continue;
      }
    }
    uint32_t u = span_u16le(s + 2 * i);
    i++;
    if ((flags & CRVI_TEXT_UTF16) && is_high_surrogate(u) && i < n) {
      uint32_t lo = span_u16le(s + 2 * i);
      if (is_low_surrogate(lo)) {
        u = 0x10000u + ((u - 0xD800u) << 10) + (lo - 0xDC00u);
        i++;
      }
    }
    o = utf8_to(o, u);
  }
  *ip = i;
  return o;
}

/* One block of UCS-4 -> UTF-8/WTF-8 (U+FFFD above U+10FFFF). Writes at most 4 bytes past
 * end. */
static char *u4_utf8(const uint8_t *s, size_t n, size_t *ip, char *o, const char *end)
{
  size_t i = *ip;
  while (i < n && o < end) {
    if (n - i >= 2) {
      uint64_t v = load64(s + 4 * i);
      if (!(v & 0xFFFFFF80FFFFFF80ull)) { /* two ASCII units */
        o[0] = (char)v;
        o[1] = (char)(v >> 32);
        o += 2;
        i += 2;
        continue;
      }
    }
    uint32_t u = span_u32le(s + 4 * i);
    i++;
    o = utf8_to(o, u > 0x10FFFF ? CRVI_CP_REPLACEMENT : u);
  }
  *ip = i;
  return o;
}

void crvi_text_utf8_step(crvi_buf *out, const uint8_t *data, size_t nunits, unsigned kind,
                         unsigned flags, size_t *pos, size_t limit)
{
  size_t i = *pos;
  while (i < nunits && out->len < limit && !out->err) {
    char *end, *o = step_room(out, limit, worst_of(nunits - i, crvi_text_utf8_max_per_unit(kind)),
                              &end);
    if (!o) {
      if (!out->err)
        crvi_utf8_put(out, crvi_text_next(data, nunits, kind, flags, &i));
      continue;
    }
    char *o0 = o;
    const struct crvi_utf8_blocks *vec = crvi_utf8_blocks();
    if (kind == 1) {
      if (vec)
        o = vec->latin1(data, nunits, &i, o, end);
      o = l1_utf8(data, nunits, &i, o, end);
    } else if (kind == 2) {
      if (vec && !(flags & CRVI_TEXT_UTF16))
        o = vec->ucs2(data, nunits, &i, o, end);
      o = u2_utf8(data, nunits, flags, &i, o, end);
    } else {
      if (vec)
        o = vec->ucs4(data, nunits, &i, o, end);
      o = u4_utf8(data, nunits, &i, o, end);
    }
    crvi_buf_commit(out, (size_t)(o - o0));
  }
  *pos = i;
}

/* ---- UTF-8 input --------------------------------------------------------------------- */

uint32_t crvi_utf8_next(const uint8_t *s, size_t n, unsigned flags, size_t *pos)
{
  size_t i = *pos;
  uint32_t c = s[i];
  size_t need;
  uint32_t cp, min;
  if (c < 0x80) {
    *pos = i + 1;
    return c;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    cp = c & 0x1F;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    cp = c & 0x0F;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    cp = c & 0x07;
    min = 0x10000;
  } else {
    *pos = i + 1;
    return CRVI_UTF8_BAD;
  }
  if (n - i - 1 < need) {
    *pos = i + 1;
    return CRVI_UTF8_BAD;
  }
  for (size_t k = 1; k <= need; k++) {
    uint32_t cc = s[i + k];
    if ((cc & 0xC0) != 0x80) {
      *pos = i + 1;
      return CRVI_UTF8_BAD;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (is_surrogate(cp) && !(flags & CRVI_UTF8_SURROGATES))) {
    *pos = i + 1;
    return CRVI_UTF8_BAD;
  }
  *pos = i + 1 + need;
  return cp;
}

size_t crvi_ascii_prefix(const uint8_t *s, size_t n)
{
  size_t i = 0;
  for (; n - i >= 32; i += 32)
    if ((load64(s + i) | load64(s + i + 8) | load64(s + i + 16) | load64(s + i + 24)) & HIGHS)
      break;
  for (; n - i >= 8; i += 8) {
    uint64_t hi = load64(s + i) & HIGHS;
    if (hi)
      return i + first_flag(hi);
  }
  while (i < n && s[i] < 0x80)
    i++;
  return i;
}

int crvi_utf8_valid(const uint8_t *s, size_t n)
{
  size_t i = 0;
  for (;;) {
    i += crvi_ascii_prefix(s + i, n - i);
    if (i >= n)
      return 1;
    if (crvi_utf8_next(s, n, 0, &i) == CRVI_UTF8_BAD)
      return 0;
  }
}

uint64_t crvi_utf8_sanitized_len(const uint8_t *s, size_t n)
{
  uint64_t total = 0;
  size_t i = 0;
  for (;;) {
    size_t a = crvi_ascii_prefix(s + i, n - i);
    total += a;
    i += a;
    if (i >= n)
      return total;
    size_t start = i;
    uint32_t cp = crvi_utf8_next(s, n, 0, &i);
    total += cp == CRVI_UTF8_BAD ? 3 : (uint64_t)(i - start);
  }
}

static const char replacement_utf8[3] = {'\xEF', '\xBF', '\xBD'};

void crvi_utf8_sanitize_step(crvi_buf *out, const uint8_t *s, size_t n, size_t *pos, size_t limit)
{
  size_t i = *pos;
  while (i < n && out->len < limit && !out->err) {
    char *end, *o = step_room(out, limit, worst_of(n - i, 3), &end);
    if (!o) {
      if (!out->err) {
        size_t start = i;
        uint32_t cp = crvi_utf8_next(s, n, 0, &i);
        if (cp == CRVI_UTF8_BAD)
          crvi_buf_put(out, replacement_utf8, 3);
        else
          crvi_buf_put(out, s + start, i - start);
      }
      continue;
    }
    char *o0 = o;
    while (i < n && o < end) {
      if (n - i >= 8) {
        uint64_t v = load64(s + i), hi = v & HIGHS;
        store64(o, v);
        if (!hi) {
          o += 8;
          i += 8;
          continue;
        }
        o += first_flag(hi);
        i += first_flag(hi);
      }
      if (s[i] < 0x80) {
        *o++ = (char)s[i++];
        continue;
      }
      size_t start = i;
      if (crvi_utf8_next(s, n, 0, &i) == CRVI_UTF8_BAD) {
        memcpy(o, replacement_utf8, 3);
        o += 3;
      } else {
        for (size_t k = start; k < i; k++) /* a valid sequence, as it is */
          *o++ = (char)s[k];
      }
    }
    crvi_buf_commit(out, (size_t)(o - o0));
  }
  *pos = i;
}

/* ---- base64 -------------------------------------------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

uint64_t crvi_base64_len(uint64_t n)
{
  return (n / 3 + (n % 3 != 0)) * 4;
}

/* The group at s[0..left) (left >= 1; up to 3 bytes used), padded. */
static void b64_group(char *t, const uint8_t *s, size_t left)
{
  uint32_t v = (uint32_t)s[0] << 16;
  if (left > 1)
    v |= (uint32_t)s[1] << 8;
  if (left > 2)
    v |= s[2];
  t[0] = b64_alphabet[(v >> 18) & 63];
  t[1] = b64_alphabet[(v >> 12) & 63];
  t[2] = left > 1 ? b64_alphabet[(v >> 6) & 63] : '=';
  t[3] = left > 2 ? b64_alphabet[v & 63] : '=';
}

void crvi_base64_step(crvi_buf *out, const uint8_t *s, size_t n, size_t *pos, size_t limit)
{
  size_t i = *pos;
  while (i < n && out->len < limit && !out->err) {
    size_t groups = (n - i) / 3 + ((n - i) % 3 != 0);
    size_t room = limit - out->len, avail = (out->cap - out->len) / 4;
    if (groups > room / 4 + (room % 4 != 0)) /* enough groups to reach the limit */
      groups = room / 4 + (room % 4 != 0);
    if (groups > avail)
      groups = avail;
    char *o = groups ? crvi_buf_room(out, 4 * groups) : NULL;
    if (!o) {
      if (!out->err) { /* the cap: one group, exactly */
        char t[4];
        b64_group(t, s + i, n - i);
        crvi_buf_put(out, t, 4);
        i += n - i > 3 ? 3 : n - i;
      }
      continue;
    }
    size_t full = (n - i) / 3 < groups ? (n - i) / 3 : groups;
    for (size_t g = 0; g < full; g++, i += 3) {
      uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
      o[4 * g] = b64_alphabet[v >> 18];
      o[4 * g + 1] = b64_alphabet[(v >> 12) & 63];
      o[4 * g + 2] = b64_alphabet[(v >> 6) & 63];
      o[4 * g + 3] = b64_alphabet[v & 63];
    }
    if (full < groups) { /* the padded tail */
      b64_group(o + 4 * full, s + i, n - i);
      i = n;
    }
    crvi_buf_commit(out, 4 * groups);
  }
  *pos = i;
}

/* ---- JSON ---------------------------------------------------------------------------- */

int crvi_cp_is_dangerous(uint32_t cp)
{
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
    return 1;
  switch (cp) {
  case 0x061C: /* ARABIC LETTER MARK */
  case 0x200E: /* LRM */
  case 0x200F: /* RLM */
  case 0x2028: /* LINE SEPARATOR */
  case 0x2029: /* PARAGRAPH SEPARATOR */
    return 1;
  default:
    break;
  }
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static const char hex_lower[] = "0123456789abcdef";

static inline char *u_escape_to(char *o, uint32_t u)
{
  o[0] = '\\';
  o[1] = 'u';
  o[2] = hex_lower[(u >> 12) & 15];
  o[3] = hex_lower[(u >> 8) & 15];
  o[4] = hex_lower[(u >> 4) & 15];
  o[5] = hex_lower[u & 15];
  return o + 6;
}

/* The escape letter of the ASCII characters JSON escapes with two characters, 'u' for the
 * other controls (\u00XX), 0 for those written as they are. */
static const char json_ascii_esc[128] = {
    ['\0'] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u',
    [0x06] = 'u', [0x07] = 'u', ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', [0x0B] = 'u',
    ['\f'] = 'f', ['\r'] = 'r', [0x0E] = 'u', [0x0F] = 'u', [0x10] = 'u', [0x11] = 'u',
    [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u',
    [0x18] = 'u', [0x19] = 'u', [0x1A] = 'u', [0x1B] = 'u', [0x1C] = 'u', [0x1D] = 'u',
    [0x1E] = 'u', [0x1F] = 'u', ['"'] = '"', ['\\'] = '\\', [0x7F] = 'u',
};

/* JSON for an ASCII character. At most 6 bytes. */
static inline char *json_ascii_to(char *o, uint32_t c)
{
  char e = json_ascii_esc[c];
  if (!e) {
    *o++ = (char)c;
  } else if (e == 'u') {
    o = u_escape_to(o, c);
  } else {
    o[0] = '\\';
    o[1] = e;
    o += 2;
  }
  return o;
}

/* Does a code point from 0x80 on need a \u escape? C1 controls, the dangerous ones of
 * crvi_cp_is_dangerous, surrogates. */
static inline int json_hi_escaped(uint32_t cp)
{
  if (cp < 0x600)
    return cp < 0xA0;
  if (cp < 0x2000)
    return cp == 0x061C;
  if (cp < 0x2070)
    return cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
  return is_surrogate(cp);
}

/* JSON for any code point (U+FFFD above U+10FFFF), as crvi_json_cp. At most 6 bytes. */
static inline char *json_cp_to(char *o, uint32_t cp)
{
  if (cp < 0x80)
    return json_ascii_to(o, cp);
  if (cp > 0x10FFFF)
    cp = CRVI_CP_REPLACEMENT;
  return json_hi_escaped(cp) ? u_escape_to(o, cp) : utf8_to(o, cp);
}

void crvi_json_cp(crvi_buf *b, uint32_t cp)
{
  char t[6];
  crvi_buf_put(b, t, (size_t)(json_cp_to(t, cp) - t));
}

/* Runs of plain ASCII bytes, eight at a time: copies the plain bytes before the first
 * special one of the next eight. Returns 1 when all eight were plain. Writes 8 bytes at o. */
static inline unsigned json_plain_run(const uint8_t *s, char *o, size_t *k)
{
  uint64_t v = load64(s);
  uint64_t m = json_special8(v);
  store64(o, v);
  *k = m ? first_flag(m) : 8;
  return m == 0;
}

size_t crvi_json_plain_prefix(const uint8_t *s, size_t n)
{
  size_t i = 0;
  for (; n - i >= 8; i += 8) {
    uint64_t m = json_special8(load64(s + i));
    if (m)
      return i + first_flag(m);
  }
  while (i < n && !json_ascii_esc[s[i] & 0x7F] && s[i] < 0x80)
    i++;
  return i;
}

void crvi_json_units_step(crvi_buf *out, const uint8_t *data, size_t nunits, unsigned kind,
                          unsigned flags, size_t *pos, size_t limit)
{
  size_t i = *pos;
  while (i < nunits && out->len < limit && !out->err) {
    char *end, *o = step_room(out, limit, worst_of(nunits - i, 6), &end);
    if (!o) {
      if (!out->err)
        crvi_json_cp(out, crvi_text_next(data, nunits, kind, flags, &i));
      continue;
    }
    char *o0 = o;
    if (kind == 1) {
      while (i < nunits && o < end) {
        if (nunits - i >= 8) {
          size_t k;
          unsigned all = json_plain_run(data + i, o, &k);
          o += k;
          i += k;
          if (all)
            continue;
        }
        o = json_cp_to(o, data[i++]);
      }
    } else if (kind == 2) {
      while (i < nunits && o < end) {
        uint32_t u = span_u16le(data + 2 * i);
        i++;
        if (u < 0x80) {
          o = json_ascii_to(o, u);
          continue;
        }
        if ((flags & CRVI_TEXT_UTF16) && is_high_surrogate(u) && i < nunits) {
          uint32_t lo = span_u16le(data + 2 * i);
          if (is_low_surrogate(lo)) {
            o = utf8_to(o, 0x10000u + ((u - 0xD800u) << 10) + (lo - 0xDC00u));
            i++;
            continue;
          }
        }
        o = json_hi_escaped(u) ? u_escape_to(o, u) : utf8_to(o, u);
      }
    } else {
      while (i < nunits && o < end) {
        uint32_t u = span_u32le(data + 4 * i);
        i++;
        o = json_cp_to(o, u);
      }
    }
    crvi_buf_commit(out, (size_t)(o - o0));
  }
  *pos = i;
}

void crvi_json_utf8_step(crvi_buf *out, const uint8_t *s, size_t n, unsigned flags, size_t *pos,
                         size_t limit)
{
  const unsigned uflags = flags & CRVI_UTF8_SURROGATES;
  size_t i = *pos;
  while (i < n && out->len < limit && !out->err) {
    char *end, *o = step_room(out, limit, worst_of(n - i, 6), &end);
    if (!o) {
      if (!out->err) {
        uint32_t cp = crvi_utf8_next(s, n, uflags, &i);
        crvi_json_cp(out, cp == CRVI_UTF8_BAD ? CRVI_CP_REPLACEMENT : cp);
      }
      continue;
    }
    char *o0 = o;
    while (i < n && o < end) {
      if (n - i >= 8) {
        size_t k;
        unsigned all = json_plain_run(s + i, o, &k);
        o += k;
        i += k;
        if (all)
          continue;
      }
      if (s[i] < 0x80) {
        o = json_ascii_to(o, s[i++]);
        continue;
      }
      size_t start = i;
      uint32_t cp = crvi_utf8_next(s, n, uflags, &i);
      if (cp == CRVI_UTF8_BAD) {
        memcpy(o, replacement_utf8, 3);
        o += 3;
      } else if (json_hi_escaped(cp)) {
        o = u_escape_to(o, cp);
      } else {
        for (size_t k = start; k < i; k++) /* a valid sequence is its own UTF-8 */
          *o++ = (char)s[k];
      }
    }
    crvi_buf_commit(out, (size_t)(o - o0));
  }
  *pos = i;
}

/* ---- repr ---------------------------------------------------------------------------- */

int crvi_cp_is_printable(uint32_t cp)
{
  if (cp < 0x80)
    return cp >= 0x20 && cp < 0x7F;
  if (cp > 0x10FFFF || crvi_cp_is_dangerous(cp) || is_surrogate(cp))
    return 0;
  /* Non-ASCII spaces (Zs) and invisible format characters (Cf). */
  switch (cp) {
  case 0x00A0:
  case 0x00AD:
  case 0x034F:
  case 0x1680:
  case 0x180E:
  case 0x202F:
  case 0x205F:
  case 0x3000:
  case 0x3164:
  case 0xFEFF:
  case 0xFFA0:
    return 0;
  default:
    break;
  }
  if ((cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2060 && cp <= 0x206F) ||
      (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0xE0000 && cp <= 0xE0FFF))
    return 0;
  /* Private use and noncharacters. */
  if ((cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000)
    return 0;
  if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
    return 0;
  return 1;
}

/* Most bytes crvi_repr_cp writes for one code point (\UXXXXXXXX). */
#define REPR_MAX 10u

static inline char *x_escape_to(char *o, uint32_t c)
{
  o[0] = '\\';
  o[1] = 'x';
  o[2] = hex_lower[(c >> 4) & 15];
  o[3] = hex_lower[c & 15];
  return o + 4;
}

static char *repr_cp_to(char *o, uint32_t cp, char quote)
{
  if (cp >= 0x20 && cp < 0x7F && cp != '\\' && cp != (uint32_t)(unsigned char)quote) {
    *o++ = (char)cp; /* the common case first */
    return o;
  }
  if (quote && cp == (uint32_t)(unsigned char)quote) {
    o[0] = '\\';
    o[1] = quote;
    return o + 2;
  }
  char e = cp == '\\' ? '\\' : cp == '\n' ? 'n' : cp == '\r' ? 'r' : cp == '\t' ? 't' : 0;
  if (e) {
    o[0] = '\\';
    o[1] = e;
    return o + 2;
  }
  if (crvi_cp_is_printable(cp))
    return utf8_to(o, cp);
  if (cp <= 0xFF)
    return x_escape_to(o, cp);
  if (cp <= 0xFFFF)
    return u_escape_to(o, cp);
  o[0] = '\\';
  o[1] = 'U';
  for (int k = 0; k < 8; k++)
    o[2 + k] = hex_lower[(cp >> (28 - 4 * k)) & 15];
  return o + 10;
}

void crvi_repr_cp(crvi_buf *b, uint32_t cp, char quote)
{
  char t[REPR_MAX];
  crvi_buf_put(b, t, (size_t)(repr_cp_to(t, cp, quote) - t));
}

/* Room for up to `want` code points of repr (REPR_MAX bytes each) within the cap: how
 * many, 0 when not even one fits (or memory ran out). */
static size_t repr_room(crvi_buf *b, size_t want, char **o)
{
  size_t fit = (b->cap - b->len) / REPR_MAX;
  if (want > fit)
    want = fit;
  if (want > 4096)
    want = 4096;
  *o = want ? crvi_buf_room(b, want * REPR_MAX) : NULL;
  return *o ? want : 0;
}

int crvi_repr_units(crvi_buf *b, const uint8_t *data, size_t nunits, unsigned kind, unsigned flags,
                    size_t max_cps)
{
  size_t i = 0, count = 0;
  while (i < nunits) {
    if (count == max_cps)
      return 1;
    char *o;
    size_t left = max_cps - count, m = repr_room(b, left < nunits - i ? left : nunits - i, &o);
    if (!m) {
      if (b->err)
        return 0; /* the caller sees the buffer's error */
      crvi_repr_cp(b, crvi_text_next(data, nunits, kind, flags, &i), '"');
      count++;
      continue;
    }
    char *o0 = o;
    for (size_t k = 0; k < m && i < nunits; k++) /* m <= units left: one cp per unit at least */
      o = repr_cp_to(o, crvi_text_next(data, nunits, kind, flags, &i), '"');
    count += m;
    crvi_buf_commit(b, (size_t)(o - o0));
  }
  return 0;
}

int crvi_repr_bytes(crvi_buf *b, const uint8_t *s, size_t n, size_t max_bytes)
{
  size_t lim = n < max_bytes ? n : max_bytes;
  for (size_t i = 0; i < lim;) {
    char *o;
    size_t m = repr_room(b, lim - i, &o);
    if (!m) {
      if (b->err)
        break;
      if (s[i] >= 0x80) {
        char t[4];
        crvi_buf_put(b, t, (size_t)(x_escape_to(t, s[i]) - t));
      } else {
        crvi_repr_cp(b, s[i], '"');
      }
      i++;
      continue;
    }
    char *o0 = o;
    for (size_t end = i + m; i < end; i++)
      o = s[i] >= 0x80 ? x_escape_to(o, s[i]) : repr_cp_to(o, s[i], '"');
    crvi_buf_commit(b, (size_t)(o - o0));
  }
  return n > max_bytes;
}

int crvi_repr_utf8(crvi_buf *b, const uint8_t *s, size_t n, size_t max_cps)
{
  size_t i = 0, count = 0;
  while (i < n) {
    if (count == max_cps)
      return 1;
    size_t start = i;
    uint32_t cp = crvi_utf8_next(s, n, 0, &i);
    if (cp == CRVI_UTF8_BAD) {
      char t[4];
      crvi_buf_put(b, t, (size_t)(x_escape_to(t, s[start]) - t));
    } else {
      crvi_repr_cp(b, cp, 0);
    }
    count++;
  }
  return 0;
}
