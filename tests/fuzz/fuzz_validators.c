/* SPDX-License-Identifier: MIT */
/* Every validator (validators/) called directly on arbitrary bytes, for each layout in
 * layouts/layouts.c. Input: byte 0 picks the layout, byte 1 the cap and the object's
 * alignment, the rest are the bytes at the would-be object. Properties: an accepted header
 * gives a value of length * unit bytes within the cap, a unit of 1, 2 or 4 and (compact
 * layouts) a value right after the header; the data validators agree with a plain
 * reference (one code unit at a time); a clobbered-header proof keeps its value inside the
 * bytes given; status and type-object reads stay in range. */
#include <string.h>
#include "fuzz.h"
#include "carver/object.h"
#include "layouts/layout.h"
#include "util/span.h"
#include "validators/validators.h"

#define OBJ_BASE 0x7f3a12340000ull

static uint32_t unit_at(const uint8_t *d, uint64_t i, unsigned unit)
{
  return unit == 1 ? d[i] : unit == 2 ? span_u16le(d + 2 * i) : span_u32le(d + 4 * i);
}

/* The rules of crvi_check_pep393_data / crvi_check_ubuf_data / crvi_check_nul, unit by unit. */
static int ref_data(const struct crv_obj_info *in, const uint8_t *d, int pep393, int text)
{
  for (unsigned i = 0; i < in->unit; i++)
    if (d[in->data_bytes + i] != 0)
      return CRV_R_NUL;
  if (!text)
    return CRV_VALID;
  uint32_t max = 0;
  for (uint64_t i = 0; i < in->length; i++) {
    uint32_t u = unit_at(d, i, in->unit);
    if (in->unit == 4 && u > 0x10FFFFu)
      return CRV_R_CODEPOINT;
    max = u > max ? u : max;
  }
  if (!pep393)
    return CRV_VALID;
  if (in->unit == 1)
    return (in->ascii ? max >= 0x80 : max < 0x80) ? CRV_R_NOT_CANONICAL : CRV_VALID;
  if (in->unit == 2)
    return max < 0x100 ? CRV_R_NOT_CANONICAL : CRV_VALID;
  return max < 0x10000 ? CRV_R_NOT_CANONICAL : CRV_VALID;
}

static int is_ptr(void *user, uint64_t v)
{
  (void)user;
  return v >= OBJ_BASE && v < OBJ_BASE + 0x100000;
}

static void check_info(const struct crv_obj_info *in, uint64_t max_value)
{
  FUZZ_ASSERT(in->unit == 1 || in->unit == 2 || in->unit == 4);
  FUZZ_ASSERT(in->length <= max_value / in->unit);
  FUZZ_ASSERT(in->data_bytes == in->length * in->unit);
  FUZZ_ASSERT(in->data_bytes <= max_value);
}

/* The value of an accepted object, when it lies in the bytes given. */
static void check_value(const struct crv_obj_info *in, const uint8_t *h, size_t avail,
                        uint64_t obj, int pep393, int text)
{
  if (in->data_addr < obj || in->data_addr - obj > avail)
    return;
  uint64_t off = in->data_addr - obj;
  if (in->data_bytes + in->unit > avail - off)
    return;
  const uint8_t *d = h + off;
  int r = pep393 ? crvi_check_pep393_data(in, d) : text ? crvi_check_ubuf_data(in, d)
                                                         : crvi_check_nul(in, d);
  FUZZ_ASSERT(r == ref_data(in, d, pep393, text));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const uint64_t caps[4] = {0, 64, 4096, 16u << 20};
  if (size < 2 || crvi_layout_count() == 0)
    return 0;
  const struct crv_layout *l = crvi_layout_at(data[0] % crvi_layout_count());
  const uint64_t max_value = caps[data[1] & 3];
  const unsigned w = l->hdr->ptr_size;
  const uint64_t obj = OBJ_BASE + (data[1] >> 2) * (uint64_t)w;
  const uint8_t *h = data + 2;
  const size_t avail = size - 2;
  struct crv_obj_info in;
  int r;

  if (l->pep393) {
    memset(&in, 0, sizeof in);
    r = crvi_check_pep393_header(l, h, avail, obj, max_value, &in);
    if (r == CRV_VALID) {
      check_info(&in, max_value);
      if (in.compact)
        FUZZ_ASSERT(in.data_addr == obj + (in.ascii ? l->pep393->ascii_data
                                                     : l->pep393->compact_data));
      else
        FUZZ_ASSERT(in.data_addr != 0 && (in.data_addr & (w - 1)) == 0);
      FUZZ_ASSERT(in.ascii == 0 || in.unit == 1);
      FUZZ_ASSERT(in.interned >= 0 && in.interned <= l->interned_max);
      check_value(&in, h, avail, obj, 1, 1);
      crvi_check_hash_plausible(&in, obj, obj + 8);
    } else {
      FUZZ_ASSERT(r > 0 && r < CRV_R_COUNT);
    }
  }
  if (l->ubuf) {
    memset(&in, 0, sizeof in);
    r = crvi_check_ubuf_header(l, h, avail, obj, max_value, &in);
    if (r == CRV_VALID) {
      check_info(&in, max_value);
      FUZZ_ASSERT(in.unit == l->ubuf->unit && in.data_addr != 0);
      check_value(&in, h, avail, obj, 0, 1);
    }
  }
  memset(&in, 0, sizeof in);
  r = crvi_check_bytes_header(l, h, avail, obj, max_value, &in);
  if (r == CRV_VALID) {
    check_info(&in, max_value);
    FUZZ_ASSERT(in.unit == 1 && in.data_addr == obj + l->bytes->off_sval);
    check_value(&in, h, avail, obj, 0, 0);
  }

  /* The same bytes as the user area of a freed malloc chunk of each plausible size. */
  for (int is_text = 0; is_text <= 1; is_text++) {
    uint64_t cs_from_input = avail >= 8 ? span_u64le(h + avail - 8) & 0xFFFF0 : 0;
    const uint64_t sizes[2] = {0, cs_from_input};
    for (int k = 0; k < 2; k++) {
      int proof = -1;
      memset(&in, 0, sizeof in);
      r = crvi_check_clobbered(l, is_text, h, avail, obj, sizes[k], max_value, &in, &proof);
      if (r != CRV_VALID)
        continue;
      check_info(&in, max_value);
      FUZZ_ASSERT(proof > CRV_PROOF_NONE && proof < CRV_PROOF_COUNT);
      FUZZ_ASSERT(crvi_proof_name(proof) != NULL);
      FUZZ_ASSERT(in.data_addr >= obj);
      FUZZ_ASSERT(in.data_addr - obj + in.data_bytes + in.unit <= avail);
      if (sizes[k])
        FUZZ_ASSERT(crvi_malloc_chunk_fits(w, in.data_addr - obj + in.data_bytes + in.unit,
                                           sizes[k]));
    }
  }

  uint64_t refcnt;
  int st = crvi_classify_status(l, h, avail, is_ptr, NULL, &refcnt);
  FUZZ_ASSERT(st >= CRV_STATUS_UNKNOWN && st < CRV_STATUS_COUNT);
  if (avail >= (size_t)l->hdr->off_refcnt + w)
    FUZZ_ASSERT(refcnt == span_word(h + l->hdr->off_refcnt, w));
  struct crv_typeobj_info ti;
  crvi_read_type_object(l->hdr, h, avail, &ti);
  return 0;
}
