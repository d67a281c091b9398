/* SPDX-License-Identifier: MIT */
/* 3.x bytes and 2.7 str: size, cached hash, 2.7 interned state; data follows the header. */
#include "validators.h"
#include "util/span.h"

int crvi_check_bytes_header(const struct crv_layout *l, const uint8_t *h, size_t avail,
                            uint64_t obj, uint64_t max_value, struct crv_obj_info *out)
{
  const struct crv_bytes_layout *b = l->bytes;
  const unsigned w = l->hdr->ptr_size;
  if (avail < b->off_sval)
    return CRV_R_SHORT;
  int64_t size = span_sword(h + b->off_size, w);
  if (size < 0)
    return CRV_R_LENGTH;
  out->length = (uint64_t)size;
  out->unit = 1;
  if ((uint64_t)size > max_value)
    return CRV_R_OVER_CAP;
  out->interned = -1;
  if (b->off_sstate != CRV_NO_FIELD) {
    uint32_t st = span_u32le(h + b->off_sstate);
    if (st > l->interned_max)
      return CRV_R_SSTATE;
    out->interned = (int)st;
  }
  out->length = (uint64_t)size;
  out->unit = 1;
  out->ascii = -1;
  out->compact = 1;
  out->hash = span_sword(h + b->off_hash, w);
  out->data_addr = obj + b->off_sval;
  out->data_bytes = (uint64_t)size;
  return CRV_VALID;
}
