/* SPDX-License-Identifier: MIT */
/* Live or freed. The refcount is never a validity test (freed blocks keep a free-list
 * link there), but it classifies: pymalloc and mimalloc store the next free block (or
 * NULL) in word 0, while a live object holds a count or an immortal mark (§1.2, §6.3). */
#include "validators.h"
#include "carver/object.h"
#include "util/span.h"

static int immortal(const struct crv_layout *l, uint64_t w0)
{
  const int lp64 = l->hdr->ptr_size == 8;
  switch (l->immortal) {
  case CRV_IMMORTAL_LOW32:
    return lp64 ? (w0 & 0xFFFFFFFFu) == 0xFFFFFFFFu : w0 == 0x3FFFFFFFu;
  case CRV_IMMORTAL_FLAGS:
    if (lp64) { /* refcnt >= 2^31 in the low half; ob_overflow 0, small ob_flags above */
      uint32_t lo = (uint32_t)w0, hi = (uint32_t)(w0 >> 32);
      return lo >= 0x80000000u && (hi & 0xFFFFu) == 0 && (hi >> 16) <= 0xFFu;
    }
    /* ILP32: heap 5<<28, static 7<<28; a block address is never such a round number */
    return w0 >= 0x40000000u && (w0 & 0x0FFFFFFFu) == 0;
  default:
    return 0;
  }
}

int crvi_classify_status(const struct crv_layout *l, const uint8_t *h, size_t avail,
                         int (*is_pointer)(void *user, uint64_t value), void *user,
                         uint64_t *refcnt_out)
{
  const unsigned w = l->hdr->ptr_size;
  *refcnt_out = 0;
  if (avail < (size_t)l->hdr->off_refcnt + w)
    return CRV_STATUS_UNKNOWN;
  uint64_t w0 = span_word(h + l->hdr->off_refcnt, w);
  *refcnt_out = w0;
  if (l->hdr->free_threaded) {
    /* ob_tid is a thread pointer when live and a free-list link when freed: it cannot
     * tell them apart. Only an immortal ob_ref_local (0xFFFFFFFF) proves live. */
    size_t off_local = w == 8 ? 12 : 8;
    if (avail >= off_local + 4 && span_u32le(h + off_local) == 0xFFFFFFFFu)
      return CRV_STATUS_LIVE;
    return CRV_STATUS_UNKNOWN;
  }
  if (w0 == 0)
    return CRV_STATUS_FREED;
  if (immortal(l, w0))
    return CRV_STATUS_LIVE;
  if ((w0 & (w - 1)) == 0 && is_pointer && is_pointer(user, w0))
    return CRV_STATUS_FREED;
  if (w == 8 ? w0 < 0x100000000ull : w0 < 0x40000000u)
    return CRV_STATUS_LIVE;
  return CRV_STATUS_UNKNOWN;
}
