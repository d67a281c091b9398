/* SPDX-License-Identifier: MIT */
/* /proc/PID/maps parsing (src/source/maps_parse.c), line by line and as a whole --maps file
 * applied to an address space (src/source/space.c, crvi_space_apply_maps). Properties: a
 * parsed line has start < end, its path lies inside the line and ends with it, and printing
 * the fields back gives a line that parses to the same values; a maps file never fails but
 * at a cap, every mapping kept has start < end, and each region it names keeps its bounds. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "fuzz.h"
#include "source/maps_parse.h"
#include "source/space.h"
#include "util/limits.h"

#define MAX_REGIONS 4

static void check_line(const char *line, size_t len)
{
  struct crv_maps_line ml;
  if (crvi_maps_parse_line(line, len, &ml) != 0)
    return;
  FUZZ_ASSERT(ml.start < ml.end);
  FUZZ_ASSERT(ml.path >= line && ml.path <= line + len);
  FUZZ_ASSERT(ml.path + ml.path_len == line + len);
  FUZZ_ASSERT((ml.prot & ~(CRV_PROT_R | CRV_PROT_W | CRV_PROT_X | CRV_PROT_SHARED)) == 0);
  /* Print it back (the path as is) and parse again. */
  char again[CRV_MAX_MAPS_LINE + 128];
  if (ml.path_len > CRV_MAX_MAPS_LINE)
    return;
  int n = snprintf(again, sizeof again, "%" PRIx64 "-%" PRIx64 " %c%c%c%c %08" PRIx64 " fe:01 %" PRIu64 " ",
                   ml.start, ml.end, (ml.prot & CRV_PROT_R) ? 'r' : '-',
                   (ml.prot & CRV_PROT_W) ? 'w' : '-', (ml.prot & CRV_PROT_X) ? 'x' : '-',
                   (ml.prot & CRV_PROT_SHARED) ? 's' : 'p', ml.offset, ml.inode);
  FUZZ_ASSERT(n > 0 && (size_t)n < sizeof again);
  /* The parser drops leading blanks of the path: keep the comparison to what it kept. */
  memcpy(again + n, ml.path, ml.path_len);
  struct crv_maps_line m2;
  FUZZ_ASSERT(crvi_maps_parse_line(again, (size_t)n + ml.path_len, &m2) == 0);
  FUZZ_ASSERT(m2.start == ml.start && m2.end == ml.end && m2.offset == ml.offset &&
              m2.inode == ml.inode && m2.prot == ml.prot);
  FUZZ_ASSERT(m2.path_len == ml.path_len && memcmp(m2.path, ml.path, ml.path_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const uint8_t zeros[4096];
  const char *p = (const char *)data, *end = p + size;
  struct crv_space s;
  crvi_space_init(&s);
  /* Every line alone; the first few valid ones also become regions (4 KiB at their start),
   * so that the whole file has regions to name. */
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = (size_t)((nl ? nl : end) - p);
    check_line(p, len);
    struct crv_maps_line ml;
    if (s.n < MAX_REGIONS && len <= CRV_MAX_MAPS_LINE && crvi_maps_parse_line(p, len, &ml) == 0 &&
        !crvi_space_find(&s, ml.start)) {
      uint64_t rend = ml.end - ml.start > sizeof zeros ? ml.start + sizeof zeros : ml.end;
      int clash = 0;
      for (size_t i = 0; i < s.n; i++)
        clash |= ml.start < s.r[i].end && s.r[i].start < rend;
      if (!clash && crvi_space_add_region(&s, CRV_BACK_MEM, "fuzz", NULL, ml.start, rend, 0,
                                          rend - ml.start, CRV_PROT_UNKNOWN) == CRV_OK) {
        s.r[s.n - 1].mem = zeros;
        FUZZ_ASSERT(crvi_space_finish(&s) == CRV_OK);
      }
    }
    p = nl ? nl + 1 : end;
  }

  uint64_t bounds[MAX_REGIONS][2];
  size_t n0 = s.n;
  for (size_t i = 0; i < s.n; i++) {
    bounds[i][0] = s.r[i].start;
    bounds[i][1] = s.r[i].end;
  }
  char path[64];
  int fd = fuzz_memfile(data, size, path, sizeof path);
  if (fd >= 0) {
    crv_err e = crvi_space_apply_maps(&s, path);
    FUZZ_ASSERT(e == CRV_OK || e == CRV_ERR_LIMIT);
    FUZZ_ASSERT(s.n_maps <= CRV_MAX_REGIONS);
    for (size_t i = 0; i < s.n_maps; i++) {
      FUZZ_ASSERT(s.maps[i].start < s.maps[i].end);
      FUZZ_ASSERT(!s.maps[i].path || strlen(s.maps[i].path) <= CRV_MAX_MAPS_LINE);
    }
    FUZZ_ASSERT(s.n == n0);
    for (size_t i = 0; i < s.n; i++) {
      FUZZ_ASSERT(s.r[i].start == bounds[i][0] && s.r[i].end == bounds[i][1]);
      FUZZ_ASSERT(s.r[i].name != NULL);
      uint8_t b[16];
      FUZZ_ASSERT(crvi_space_read(&s, s.r[i].start, b, sizeof b) ==
                  (s.r[i].end - s.r[i].start < sizeof b ? s.r[i].end - s.r[i].start : sizeof b) ||
                  (i + 1 < s.n && s.r[i + 1].start == s.r[i].end));
    }
    close(fd);
  }
  crvi_space_free(&s);
  return 0;
}
