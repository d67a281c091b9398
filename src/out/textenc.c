/* SPDX-License-Identifier: MIT */
/* Text conversions for the writers; see textenc.h. */
#include "out/textenc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/span.h"

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

/* Room for n more bytes plus the NUL. Sets the sticky error and returns 0 on failure. */
static int buf_reserve(crvi_buf *b, size_t n)
{
  if (b->err)
    return 0;
  if (n > b->cap || b->len > b->cap - n) {
    b->err = CRV_ERR_LIMIT;
    return 0;
  }
  size_t need = b->len + n + 1;
  if (need <= b->alloc)
    return 1;
  size_t a = b->alloc ? b->alloc : 256;
  while (a < need)
    a = a > SIZE_MAX / 2 ? need : a * 2;
  if (b->cap < SIZE_MAX && a > b->cap + 1)
    a = b->cap + 1;
  char *p = realloc(b->p, a);
  if (!p) {
    b->err = CRV_ERR_NOMEM;
    return 0;
  }
  b->p = p;
  b->alloc = a;
  return 1;
}

void crvi_buf_put(crvi_buf *b, const void *p, size_t n)
{
  if (!buf_reserve(b, n))
    return;
  if (n)
    memcpy(b->p + b->len, p, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void crvi_buf_putc(crvi_buf *b, char c)
{
  if (!buf_reserve(b, 1))
    return;
  b->p[b->len++] = c;
  b->p[b->len] = '\0';
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

/* ---- code points --------------------------------------------------------------------- */

/* Fast path for runs of bytes copied as they are: the length of the run at s[i..n) whose
 * bytes satisfy (c >= lo && c < hi && c != x1 && c != x2), at most `room` long. */
static size_t plain_run(const uint8_t *s, size_t i, size_t n, size_t room, uint8_t lo, uint8_t hi,
                        uint8_t x1, uint8_t x2)
{
  size_t end = n - i < room ? n : i + room;
  size_t k = i;
  while (k < end && s[k] >= lo && s[k] < hi && s[k] != x1 && s[k] != x2)
    k++;
  return k - i;
}

/* Room before a step's limit, at least 1 so a step always progresses. */
static size_t step_room(const crvi_buf *b, size_t limit)
{
  return b->len < limit ? limit - b->len : 1;
}

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

void crvi_utf8_put(crvi_buf *b, uint32_t cp)
{
  char t[4];
  size_t n;
  if (cp > 0x10FFFF)
    cp = CRVI_CP_REPLACEMENT;
  if (cp < 0x80) {
    t[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    t[0] = (char)(0xC0 | (cp >> 6));
    t[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) { /* surrogates included: WTF-8 */
    t[0] = (char)(0xE0 | (cp >> 12));
    t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    t[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    t[0] = (char)(0xF0 | (cp >> 18));
    t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    t[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  crvi_buf_put(b, t, n);
}

uint64_t crvi_text_utf8_len(const uint8_t *data, size_t nunits, unsigned kind, unsigned flags)
{
  uint64_t total = 0;
  size_t i = 0;
  if (kind == 1) { /* fast path: latin-1 */
    for (i = 0; i < nunits; i++)
      total += data[i] < 0x80 ? 1 : 2;
    return total;
  }
  while (i < nunits)
    total += crvi_utf8_cp_len(crvi_text_next(data, nunits, kind, flags, &i));
  return total;
}

void crvi_text_utf8_step(crvi_buf *out, const uint8_t *data, size_t nunits, unsigned kind,
                         unsigned flags, size_t *pos, size_t limit)
{
  size_t i = *pos;
  while (i < nunits && out->len < limit && !out->err) {
    if (kind == 1) {
      size_t r = plain_run(data, i, nunits, step_room(out, limit), 0, 0x80, 0x80, 0x80);
      if (r) {
        crvi_buf_put(out, data + i, r);
        i += r;
        continue;
      }
    }
    crvi_utf8_put(out, crvi_text_next(data, nunits, kind, flags, &i));
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

int crvi_utf8_valid(const uint8_t *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    if (s[i] < 0x80) {
      i++;
      continue;
    }
    if (crvi_utf8_next(s, n, 0, &i) == CRVI_UTF8_BAD)
      return 0;
  }
  return 1;
}

uint64_t crvi_utf8_sanitized_len(const uint8_t *s, size_t n)
{
  uint64_t total = 0;
  size_t i = 0;
  while (i < n) {
    size_t start = i;
    uint32_t cp = crvi_utf8_next(s, n, 0, &i);
    total += cp == CRVI_UTF8_BAD ? 3 : (uint64_t)(i - start);
  }
  return total;
}

void crvi_utf8_sanitize_step(crvi_buf *out, const uint8_t *s, size_t n, size_t *pos, size_t limit)
{
  size_t i = *pos;
  while (i < n && out->len < limit && !out->err) {
    size_t r = plain_run(s, i, n, step_room(out, limit), 0, 0x80, 0x80, 0x80);
    if (r) {
      crvi_buf_put(out, s + i, r);
      i += r;
      continue;
    }
    size_t start = i;
    uint32_t cp = crvi_utf8_next(s, n, 0, &i);
    if (cp == CRVI_UTF8_BAD)
      crvi_utf8_put(out, CRVI_CP_REPLACEMENT);
    else
      crvi_buf_put(out, s + start, i - start);
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

void crvi_base64_step(crvi_buf *out, const uint8_t *s, size_t n, size_t *pos, size_t limit)
{
  size_t i = *pos;
  char t[4];
  while (i < n && out->len < limit && !out->err) {
    size_t left = n - i;
    uint32_t v = (uint32_t)s[i] << 16;
    if (left > 1)
      v |= (uint32_t)s[i + 1] << 8;
    if (left > 2)
      v |= s[i + 2];
    t[0] = b64_alphabet[(v >> 18) & 63];
    t[1] = b64_alphabet[(v >> 12) & 63];
    t[2] = left > 1 ? b64_alphabet[(v >> 6) & 63] : '=';
    t[3] = left > 2 ? b64_alphabet[v & 63] : '=';
    crvi_buf_put(out, t, 4);
    i += left > 3 ? 3 : left;
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

static void put_u_escape(crvi_buf *b, uint32_t u)
{
  char t[6] = {'\\',
               'u',
               hex_lower[(u >> 12) & 15],
               hex_lower[(u >> 8) & 15],
               hex_lower[(u >> 4) & 15],
               hex_lower[u & 15]};
  crvi_buf_put(b, t, 6);
}

void crvi_json_cp(crvi_buf *b, uint32_t cp)
{
  switch (cp) {
  case '"':
    crvi_buf_put(b, "\\\"", 2);
    return;
  case '\\':
    crvi_buf_put(b, "\\\\", 2);
    return;
  case '\n':
    crvi_buf_put(b, "\\n", 2);
    return;
  case '\r':
    crvi_buf_put(b, "\\r", 2);
    return;
  case '\t':
    crvi_buf_put(b, "\\t", 2);
    return;
  case '\b':
    crvi_buf_put(b, "\\b", 2);
    return;
  case '\f':
    crvi_buf_put(b, "\\f", 2);
    return;
  default:
    break;
  }
  if (cp > 0x10FFFF)
    cp = CRVI_CP_REPLACEMENT;
  if (crvi_cp_is_dangerous(cp) || is_surrogate(cp))
    put_u_escape(b, cp);
  else if (cp < 0x80)
    crvi_buf_putc(b, (char)cp);
  else
    crvi_utf8_put(b, cp);
}

void crvi_json_units_step(crvi_buf *out, const uint8_t *data, size_t nunits, unsigned kind,
                          unsigned flags, size_t *pos, size_t limit)
{
  size_t i = *pos;
  while (i < nunits && out->len < limit && !out->err) {
    if (kind == 1) {
      size_t r = plain_run(data, i, nunits, step_room(out, limit), 0x20, 0x7F, '"', '\\');
      if (r) {
        crvi_buf_put(out, data + i, r);
        i += r;
        continue;
      }
    }
    crvi_json_cp(out, crvi_text_next(data, nunits, kind, flags, &i));
  }
  *pos = i;
}

void crvi_json_utf8_step(crvi_buf *out, const uint8_t *s, size_t n, unsigned flags, size_t *pos,
                         size_t limit)
{
  size_t i = *pos;
  while (i < n && out->len < limit && !out->err) {
    size_t r = plain_run(s, i, n, step_room(out, limit), 0x20, 0x7F, '"', '\\');
    if (r) {
      crvi_buf_put(out, s + i, r);
      i += r;
      continue;
    }
    uint32_t cp = crvi_utf8_next(s, n, flags & CRVI_UTF8_SURROGATES, &i);
    crvi_json_cp(out, cp == CRVI_UTF8_BAD ? CRVI_CP_REPLACEMENT : cp);
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

void crvi_repr_cp(crvi_buf *b, uint32_t cp, char quote)
{
  if (quote && cp == (uint32_t)(unsigned char)quote) {
    char t[2] = {'\\', quote};
    crvi_buf_put(b, t, 2);
    return;
  }
  switch (cp) {
  case '\\':
    crvi_buf_put(b, "\\\\", 2);
    return;
  case '\n':
    crvi_buf_put(b, "\\n", 2);
    return;
  case '\r':
    crvi_buf_put(b, "\\r", 2);
    return;
  case '\t':
    crvi_buf_put(b, "\\t", 2);
    return;
  default:
    break;
  }
  if (crvi_cp_is_printable(cp)) {
    crvi_utf8_put(b, cp);
  } else if (cp <= 0xFF) {
    char t[4] = {'\\', 'x', hex_lower[cp >> 4], hex_lower[cp & 15]};
    crvi_buf_put(b, t, 4);
  } else if (cp <= 0xFFFF) {
    put_u_escape(b, cp);
  } else {
    crvi_buf_printf(b, "\\U%08x", (unsigned)cp);
  }
}

int crvi_repr_units(crvi_buf *b, const uint8_t *data, size_t nunits, unsigned kind, unsigned flags,
                    size_t max_cps)
{
  size_t i = 0, count = 0;
  while (i < nunits) {
    if (count == max_cps)
      return 1;
    crvi_repr_cp(b, crvi_text_next(data, nunits, kind, flags, &i), '"');
    count++;
  }
  return 0;
}

int crvi_repr_bytes(crvi_buf *b, const uint8_t *s, size_t n, size_t max_bytes)
{
  size_t lim = n < max_bytes ? n : max_bytes;
  for (size_t i = 0; i < lim; i++) {
    uint8_t c = s[i];
    if (c >= 0x80) {
      char t[4] = {'\\', 'x', hex_lower[c >> 4], hex_lower[c & 15]};
      crvi_buf_put(b, t, 4);
    } else {
      crvi_repr_cp(b, c, '"');
    }
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
      uint8_t c = s[start];
      char t[4] = {'\\', 'x', hex_lower[c >> 4], hex_lower[c & 15]};
      crvi_buf_put(b, t, 4);
    } else {
      crvi_repr_cp(b, cp, 0);
    }
    count++;
  }
  return 0;
}
