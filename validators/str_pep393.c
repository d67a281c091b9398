/* SPDX-License-Identifier: MIT */
/* PEP 393 str (3.3-3.15): state word, compact/legacy data location, wstr/utf8 caches,
 * canonical kind. Rules from _PyUnicode_CheckConsistency and observation (§4.2, §4.3). */
#include "validators.h"

#include <string.h>

#include "util/span.h"

static unsigned bit(uint32_t state, uint8_t pos)
{
  return pos == CRV_NO_BIT ? 0u : (state >> pos) & 1u;
}

int crvi_check_pep393_header(const struct crv_layout *l, const uint8_t *h, size_t avail,
                             uint64_t obj, uint64_t max_value, struct crv_obj_info *out)
{
  const struct crv_pep393_layout *s = l->pep393;
  const unsigned w = l->hdr->ptr_size;
  if (avail < s->ascii_data)
    return CRV_R_SHORT;
  int64_t length = span_sword(h + s->off_length, w);
  uint32_t state = span_u32le(h + s->off_state);
  unsigned interned = (state >> s->interned_shift) & s->interned_mask;
  unsigned kind = (state >> s->kind_shift) & 7u;
  unsigned compact = bit(state, s->compact_bit), ascii = bit(state, s->ascii_bit);
  if (length < 0)
    return CRV_R_LENGTH;
  if (interned > l->interned_max)
    return CRV_R_INTERNED;
  if (kind != 1 && kind != 2 && kind != 4)
    return CRV_R_KIND;
  if (s->ready_bit != CRV_NO_BIT && !bit(state, s->ready_bit))
    return CRV_R_NOT_READY;
  if (ascii && kind != 1)
    return CRV_R_ASCII_KIND;
  out->length = (uint64_t)length;
  out->unit = kind;
  if ((uint64_t)length > max_value / kind)
    return CRV_R_OVER_CAP; /* length and unit are set: the caller judges plausibility */
  out->ascii = (int)ascii;
  out->interned = (int)interned;
  out->compact = (int)compact;
  out->hash = span_sword(h + s->off_hash, w);
  out->data_bytes = (uint64_t)length * kind;

  if (compact && ascii) {
    out->data_addr = obj + s->ascii_data;
    if (s->off_wstr != CRV_NO_FIELD) {
      /* wstr of an ASCII string is NULL or a separate buffer, never inside the object. */
      uint64_t wstr = span_word(h + s->off_wstr, w);
      if (wstr != 0 && (wstr >= obj && wstr < obj + s->ascii_data + out->data_bytes + 1))
        return CRV_R_WSTR;
    }
    return CRV_VALID;
  }
  if (avail < s->compact_data)
    return CRV_R_SHORT;
  uint64_t utf8 = span_word(h + s->off_utf8, w);
  int64_t utf8_len = span_sword(h + s->off_utf8_length, w);
  if (compact) {
    out->data_addr = obj + s->compact_data;
    /* utf8 is NULL with length 0, or a separate buffer of 1..4 bytes per character. */
    if (utf8 == 0) {
      if (utf8_len != 0)
        return CRV_R_UTF8;
    } else {
      /* UTF-8 needs 1-2 bytes per latin-1 character, 1-3 per UCS-2 unit, 1-4 per UCS-4
       * unit. length <= max_value / kind, so the product cannot overflow. */
      uint64_t most = (uint64_t)length * (kind == 1 ? 2u : kind == 2 ? 3u : 4u);
      if (utf8 == out->data_addr || utf8_len < length || (uint64_t)utf8_len > most)
        return CRV_R_UTF8;
    }
    if (s->off_wstr != CRV_NO_FIELD) {
      uint64_t wstr = span_word(h + s->off_wstr, w);
      int64_t wstr_len = span_sword(h + s->off_wstr_length, w);
      if (wstr == 0) {
        if (wstr_len != 0)
          return CRV_R_WSTR;
      } else if (wstr_len != length) {
        return CRV_R_WSTR; /* wchar_t is 4 bytes on Linux: one unit per character */
      } else if (wstr == out->data_addr && kind != 4) {
        return CRV_R_WSTR; /* only UCS4 data can be shared as the wchar_t buffer */
      }
    }
    return CRV_VALID;
  }
  /* Legacy / subclass object: data lives in a separate buffer. */
  if (avail < s->basicsize)
    return CRV_R_SHORT;
  uint64_t data = span_word(h + s->off_data_any, w);
  if (data == 0 || (data & (w - 1)) != 0)
    return CRV_R_DATA_PTR;
  if (ascii && (utf8 != data || utf8_len != length))
    return CRV_R_UTF8;
  out->data_addr = data;
  return CRV_VALID;
}

/* ---- the value's units, eight bytes at a time ------------------------------------------
 * Every carved value is checked here, so these are word-at-a-time reductions (an OR of all
 * units, which answers "is the largest unit below 2^k"; and for UCS-4 a flag for units
 * above U+10FFFF) rather than a loop over code points. */

static inline uint64_t load64le(const uint8_t *p)
{
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

/* OR of the n bytes at d, as a 64-bit word whose lanes (of the unit's size, at the unit's
 * alignment from d) hold the OR of every unit. n is a multiple of the unit. */
static uint64_t or_words(const uint8_t *d, uint64_t n, unsigned unit)
{
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, i = 0;
  for (; n - i >= 32; i += 32) {
    a0 |= load64le(d + i);
    a1 |= load64le(d + i + 8);
    a2 |= load64le(d + i + 16);
    a3 |= load64le(d + i + 24);
  }
  for (; n - i >= 8; i += 8)
    a0 |= load64le(d + i);
  a0 |= a1 | a2 | a3;
  for (unsigned k = 0; i < n; i += unit, k += unit) /* the tail: whole units */
    a0 |= (unit == 1   ? (uint64_t)d[i]
           : unit == 2 ? (uint64_t)span_u16le(d + i)
                       : (uint64_t)span_u32le(d + i))
          << (8 * k);
  return a0;
}

/* The OR of all units, from or_words' lanes. */
static uint32_t or_units(uint64_t lanes, unsigned unit)
{
  if (unit == 4)
    return (uint32_t)(lanes | lanes >> 32);
  lanes |= lanes >> 32;
  lanes |= lanes >> 16;
  if (unit == 2)
    return (uint32_t)lanes & 0xFFFFu;
  return (uint32_t)(lanes | lanes >> 8) & 0xFFu;
}

/* 1 when one of the n / 4 UCS-4 units at d is above U+10FFFF. Per 32-bit lane: adding
 * 0x7FEF0000 to the low 31 bits sets bit 31 exactly when they are >= 0x110000 (and never
 * carries into the next lane); a unit with bit 31 set has it already. */
static int ucs4_over(const uint8_t *d, uint64_t n)
{
  const uint64_t low31 = 0x7FFFFFFF7FFFFFFFull, bias = 0x7FEF00007FEF0000ull;
  uint64_t f0 = 0, f1 = 0, i = 0;
  for (; n - i >= 16; i += 16) {
    uint64_t v0 = load64le(d + i), v1 = load64le(d + i + 8);
    f0 |= ((v0 & low31) + bias) | v0;
    f1 |= ((v1 & low31) + bias) | v1;
  }
  for (; n - i >= 8; i += 8) {
    uint64_t v = load64le(d + i);
    f0 |= ((v & low31) + bias) | v;
  }
  if (i < n && span_u32le(d + i) > 0x10FFFFu)
    return 1;
  return ((f0 | f1) & 0x8000000080000000ull) != 0;
}

int crvi_check_nul(const struct crv_obj_info *info, const uint8_t *d)
{
  for (unsigned i = 0; i < info->unit; i++)
    if (d[info->data_bytes + i] != 0)
      return CRV_R_NUL;
  return CRV_VALID;
}

int crvi_check_hash_plausible(const struct crv_obj_info *info, uint64_t type1, uint64_t type2)
{
  if (info->hash == 0 && info->length > 0)
    return CRV_R_HASH_ZERO;
  /* A "hash" equal to a type pointer is a stale header word read at the wrong offset. */
  if (info->hash != -1 && ((uint64_t)info->hash == type1 || (uint64_t)info->hash == type2))
    return CRV_R_HASH_POINTER;
  return CRV_VALID;
}

int crvi_check_pep393_data(const struct crv_obj_info *info, const uint8_t *d)
{
  int r = crvi_check_nul(info, d);
  if (r != CRV_VALID)
    return r;
  /* The largest unit decides: above U+10FFFF is no code point; below 0x80 / 0x100 /
   * 0x10000 the value needs a smaller kind (or, for kind 1, is ASCII), which CPython
   * never leaves. For those powers of two, "max < 2^k" is "OR of all units < 2^k". */
  const unsigned unit = info->unit == 1 || info->unit == 2 ? info->unit : 4u;
  const uint64_t n = info->length * unit;
  if (unit == 4 && ucs4_over(d, n))
    return CRV_R_CODEPOINT;
  uint32_t all = or_units(or_words(d, n, unit), unit);
  switch (unit) {
  case 1:
    if (info->ascii ? all >= 0x80 : all < 0x80)
      return CRV_R_NOT_CANONICAL;
    break;
  case 2:
    if (all < 0x100)
      return CRV_R_NOT_CANONICAL;
    break;
  default:
    if (all < 0x10000)
      return CRV_R_NOT_CANONICAL;
    break;
  }
  return CRV_VALID;
}

int crvi_check_ubuf_data(const struct crv_obj_info *info, const uint8_t *d)
{
  int r = crvi_check_nul(info, d);
  if (r != CRV_VALID)
    return r;
  if (info->unit == 4 && ucs4_over(d, info->length * 4))
    return CRV_R_CODEPOINT;
  return CRV_VALID;
}
