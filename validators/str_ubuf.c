/* SPDX-License-Identifier: MIT */
/* Buffered unicode: 2.7 unicode and 3.0-3.2 str (§2.2, §2.3). The characters live in a
 * separate Py_UNICODE buffer; free-listed objects with length >= 9 lost theirs. */
#include "validators.h"
#include "util/span.h"

int crvi_check_ubuf_header(const struct crv_layout *l, const uint8_t *h, size_t avail,
                           uint64_t obj, uint64_t max_value, struct crv_obj_info *out)
{
  const struct crv_ubuf_layout *u = l->ubuf;
  const unsigned w = l->hdr->ptr_size;
  (void)obj;
  if (avail < u->basicsize)
    return CRV_R_SHORT;
  int64_t length = span_sword(h + u->off_length, w);
  uint64_t str = span_word(h + u->off_str, w);
  uint64_t defenc = span_word(h + u->off_defenc, w);
  if (length < 0)
    return CRV_R_LENGTH;
  out->length = (uint64_t)length;
  out->unit = u->unit;
  if ((uint64_t)length > max_value / u->unit)
    return CRV_R_OVER_CAP;
  if (str == 0 || (str & (w - 1)) != 0)
    return CRV_R_DATA_PTR;
  if ((defenc & (w - 1)) != 0)
    return CRV_R_DATA_PTR;
  out->interned = -1;
  if (u->off_state != CRV_NO_FIELD) {
    uint32_t st = span_u32le(h + u->off_state);
    if (st > l->interned_max)
      return CRV_R_INTERNED;
    out->interned = (int)st;
  }
  out->length = (uint64_t)length;
  out->unit = u->unit;
  out->ascii = -1;
  out->compact = 0;
  out->hash = span_sword(h + u->off_hash, w);
  out->data_addr = str;
  out->data_bytes = (uint64_t)length * u->unit;
  return CRV_VALID;
}
