/* SPDX-License-Identifier: MIT */
/* Dump-file names (src/source/dumpname.c) and the hex/decimal number parsers the options
 * share. Properties: a recognised name gives a start below its end (Volatility 3) and prints
 * back to a name that parses to the same numbers; the number parsers agree with strtoull on
 * every string they accept, and accept every plain number that fits. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "fuzz.h"
#include "source/dumpname.h"

static int all_of(const char *s, const char *set)
{
  return *s && strspn(s, set) == strlen(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char s[512];
  if (size >= sizeof s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0'; /* names are C strings: an embedded NUL ends them */

  struct crv_dumpname dn;
  if (crvi_dumpname_parse(s, &dn)) {
    char again[128];
    struct crv_dumpname dn2;
    FUZZ_ASSERT(dn.pid >= 0);
    if (strncmp(s, "pid.", 4) == 0) {
      FUZZ_ASSERT(dn.end > dn.start);
      snprintf(again, sizeof again, "pid.%" PRId64 ".vma.0x%" PRIx64 "-0x%" PRIx64 ".dmp", dn.pid,
               dn.start, dn.end);
    } else {
      FUZZ_ASSERT(strncmp(s, "task.", 5) == 0 && dn.end == 0);
      snprintf(again, sizeof again, "task.%" PRId64 ".0x%" PRIx64 ".vma", dn.pid, dn.start);
    }
    FUZZ_ASSERT(crvi_dumpname_parse(again, &dn2) == 1);
    FUZZ_ASSERT(dn2.pid == dn.pid && dn2.start == dn.start && dn2.end == dn.end);
  }

  uint64_t v;
  if (crvi_parse_dec_u64(s, &v) == 0) {
    FUZZ_ASSERT(all_of(s, "0123456789"));
    errno = 0;
    unsigned long long ref = strtoull(s, NULL, 10);
    FUZZ_ASSERT(errno == 0 && ref == v);
  } else if (all_of(s, "0123456789") && strlen(s) <= 19) {
    FUZZ_ASSERT(!"a decimal number of at most 19 digits was refused");
  }
  if (crvi_parse_hex_u64(s, &v) == 0) {
    const char *h = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? s + 2 : s;
    FUZZ_ASSERT(all_of(h, "0123456789abcdefABCDEF") && strlen(h) <= 16);
    errno = 0;
    unsigned long long ref = strtoull(h, NULL, 16);
    FUZZ_ASSERT(errno == 0 && ref == v);
  } else {
    const char *h = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? s + 2 : s;
    FUZZ_ASSERT(!(all_of(h, "0123456789abcdefABCDEF") && strlen(h) <= 16));
  }
  return 0;
}
