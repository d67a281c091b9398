/* SPDX-License-Identifier: MIT */
/* PEP 393 str (3.3-3.15): state word, compact/legacy data location, wstr/utf8 caches,
 * canonical kind. Rules from _PyUnicode_CheckConsistency and observation (§4.2, §4.3). */
#include "validators.h"
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

static uint32_t unit_at(const uint8_t *d, unsigned unit, uint64_t i)
{
  switch (unit) {
  case 1:
    return d[i];
  case 2:
    return span_u16le(d + 2 * i);
  default:
    return span_u32le(d + 4 * i);
  }
}

int crvi_check_nul(const struct crv_obj_info *info, const uint8_t *d)
{
  for (unsigned i = 0; i < info->unit; i++)
    if (d[info->data_bytes + i] != 0)
      return CRV_R_NUL;
  return CRV_VALID;
}

int crvi_check_hash_plausible(const struct crv_obj_info *info)
{
  return info->hash == 0 && info->length > 0 ? CRV_R_HASH_ZERO : CRV_VALID;
}

int crvi_check_pep393_data(const struct crv_obj_info *info, const uint8_t *d)
{
  uint32_t max = 0;
  int r = crvi_check_nul(info, d);
  if (r != CRV_VALID)
    return r;
  for (uint64_t i = 0; i < info->length; i++) {
    uint32_t u = unit_at(d, info->unit, i);
    if (u > max)
      max = u;
  }
  if (max > 0x10FFFF)
    return CRV_R_CODEPOINT;
  switch (info->unit) {
  case 1:
    if (info->ascii ? max >= 0x80 : max < 0x80)
      return CRV_R_NOT_CANONICAL;
    break;
  case 2:
    if (max < 0x100)
      return CRV_R_NOT_CANONICAL;
    break;
  default:
    if (max < 0x10000)
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
  if (info->unit == 4)
    for (uint64_t i = 0; i < info->length; i++)
      if (span_u32le(d + 4 * i) > 0x10FFFF)
        return CRV_R_CODEPOINT;
  return CRV_VALID;
}
