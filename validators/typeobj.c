/* SPDX-License-Identifier: MIT */
/* Type-object fields (§7.1): the type finder compares them with the layout table. */
#include "validators.h"
#include "util/span.h"

int crvi_read_type_object(const struct crv_header_layout *h, const uint8_t *t, size_t avail,
                          struct crv_typeobj_info *out)
{
  const unsigned w = h->ptr_size;
  if (avail < (size_t)h->tp_flags + w)
    return CRV_R_SHORT;
  out->ob_type = span_word(t + h->off_type, w);
  out->tp_name = span_word(t + h->tp_name, w);
  out->tp_basicsize = span_word(t + h->tp_basicsize, w);
  out->tp_itemsize = span_word(t + h->tp_itemsize, w);
  /* tp_flags is unsigned long (long in 2.7): pointer-sized on LP64 and ILP32 Linux. */
  out->tp_flags = span_word(t + h->tp_flags, w);
  return CRV_VALID;
}
