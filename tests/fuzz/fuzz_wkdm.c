/* SPDX-License-Identifier: MIT */
/* The WKdm decoder (src/wkdm): crvi_wkdm_decode_slot and crvi_wkdm_decompress on the input
 * as a blob, in each layout mode (auto, classic, xnu); inputs up to 4373 bytes (the largest
 * blob and one more). Properties: the output is an exact 4096-byte heap buffer, so ASan
 * catches any write past it; a refused blob says why and has no kind; what auto-detection
 * decodes, the layout it names decodes the same way; a 4-byte slot is one repeated word and
 * a 4096-byte stored page comes back as it is; every decoded page compresses again (classic,
 * xnu, xnu sparse) into a blob that fits CRV_WKDM_MAX_BLOB and decodes to the same page. The
 * first 4096 input bytes, taken as a page, round-trip the same way. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "util/span.h"
#include "wkdm/wkdm.h"

static void roundtrip(const uint8_t *page)
{
  static const struct {
    int variant;
    unsigned flags;
  } enc[3] = {{CRV_WKDM_CLASSIC, 0}, {CRV_WKDM_APPLE, 0}, {CRV_WKDM_APPLE, CRV_WKDM_F_SPARSE}};
  uint8_t *blob = malloc(CRV_WKDM_MAX_BLOB), *back = malloc(CRV_WKDM_PAGE);
  FUZZ_ASSERT(blob && back);
  for (int i = 0; i < 3; i++) {
    size_t n = crvi_wkdm_compress(page, blob, enc[i].variant, enc[i].flags);
    FUZZ_ASSERT(n >= 4 && n <= CRV_WKDM_MAX_BLOB);
    int kind = -1;
    FUZZ_ASSERT(crvi_wkdm_decompress(blob, n, back, enc[i].variant, &kind) == CRV_WKDM_OK);
    FUZZ_ASSERT(memcmp(back, page, CRV_WKDM_PAGE) == 0);
    if (enc[i].variant == CRV_WKDM_CLASSIC)
      FUZZ_ASSERT(kind == CRV_WKDM_KIND_CLASSIC);
    else if (enc[i].flags & CRV_WKDM_F_SPARSE)
      FUZZ_ASSERT(kind == CRV_WKDM_KIND_APPLE || kind == CRV_WKDM_KIND_SPARSE);
    else
      FUZZ_ASSERT(kind == CRV_WKDM_KIND_APPLE);
  }
  free(blob);
  free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > CRV_WKDM_MAX_BLOB + 1)
    return 0;
  uint8_t *page[3];
  int st[3], kind[3];
  static const int variants[3] = {CRV_WKDM_AUTO, CRV_WKDM_CLASSIC, CRV_WKDM_APPLE};
  for (int v = 0; v < 3; v++) {
    page[v] = malloc(CRV_WKDM_PAGE); /* exactly a page: a write past it is an ASan report */
    FUZZ_ASSERT(page[v]);
    kind[v] = -1;
    st[v] = crvi_wkdm_decode_slot(data, size, page[v], variants[v], &kind[v]);
    FUZZ_ASSERT(st[v] >= CRV_WKDM_OK && st[v] < CRV_WKDM_E_COUNT);
    FUZZ_ASSERT(crvi_wkdm_strerror(st[v]) != NULL);
    if (st[v] != CRV_WKDM_OK) {
      FUZZ_ASSERT(kind[v] == CRV_WKDM_KIND_NONE);
      continue;
    }
    FUZZ_ASSERT(kind[v] > CRV_WKDM_KIND_NONE && kind[v] < CRV_WKDM_KIND_COUNT);
    FUZZ_ASSERT(crvi_wkdm_kind_name(kind[v]) != NULL);
    if (kind[v] == CRV_WKDM_KIND_SINGLE) {
      FUZZ_ASSERT(size == 4);
      for (size_t i = 0; i < CRV_WKDM_PAGE; i += 4)
        FUZZ_ASSERT(memcmp(page[v] + i, data, 4) == 0);
    } else if (kind[v] == CRV_WKDM_KIND_RAW) {
      FUZZ_ASSERT(size == CRV_WKDM_PAGE && memcmp(page[v], data, size) == 0);
    } else {
      /* a real blob: crvi_wkdm_decompress agrees */
      uint8_t *again = malloc(CRV_WKDM_PAGE);
      int k2 = -1;
      FUZZ_ASSERT(again);
      FUZZ_ASSERT(crvi_wkdm_decompress(data, size, again, variants[v], &k2) == CRV_WKDM_OK);
      FUZZ_ASSERT(k2 == kind[v] && memcmp(again, page[v], CRV_WKDM_PAGE) == 0);
      free(again);
      FUZZ_ASSERT(kind[v] != CRV_WKDM_KIND_CLASSIC || variants[v] != CRV_WKDM_APPLE);
      FUZZ_ASSERT(kind[v] != CRV_WKDM_KIND_APPLE || variants[v] != CRV_WKDM_CLASSIC);
    }
  }
  /* What auto-detection decoded, the layout it names decodes identically. */
  if (st[0] == CRV_WKDM_OK) {
    int v = kind[0] == CRV_WKDM_KIND_CLASSIC ? 1 : kind[0] == CRV_WKDM_KIND_APPLE ? 2 : -1;
    if (v > 0) {
      FUZZ_ASSERT(st[v] == CRV_WKDM_OK && kind[v] == kind[0]);
      FUZZ_ASSERT(memcmp(page[v], page[0], CRV_WKDM_PAGE) == 0);
    }
    roundtrip(page[0]);
  }
  if (size >= CRV_WKDM_PAGE)
    roundtrip(data);
  for (int v = 0; v < 3; v++)
    free(page[v]);
  return 0;
}
