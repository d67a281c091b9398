/* SPDX-License-Identifier: MIT */
/* ELF cores as a memory source (src/source/core.c over src/source/elf.c): headers, PT_LOAD
 * segments, PT_NOTE (NT_FILE, NT_PRPSINFO, NT_PRSTATUS), then the interpreter lookup that
 * follows NT_FILE names (src/source/interp.c). The input is the core file itself.
 * Properties: a core is accepted or refused with CRV_ERR_FORMAT / CRV_ERR_LIMIT, never
 * anything else; the regions it gives are non-empty and within the caps; a segment's bytes
 * come from inside the file (a segment pointing past the end is a hole) and read back as
 * the file's bytes; the process name and arguments hold no control characters. */
#define _GNU_SOURCE /* strnlen */
#include <string.h>
#include <unistd.h>
#include "fuzz.h"
#include "source/core.h"
#include "source/interp.h"
#include "source/space.h"
#include "util/limits.h"

static void check_region(struct crv_space *s, size_t i, const uint8_t *data, size_t size)
{
  const struct crv_region *r = &s->r[i];
  uint8_t buf[256];
  FUZZ_ASSERT(r->start < r->end);
  FUZZ_ASSERT(r->name != NULL);
  if (r->backing != CRV_BACK_CORE || r->present == 0)
    return;
  FUZZ_ASSERT(r->present <= r->end - r->start);
  /* what it has lies in the file (a segment past the end has nothing: a hole) */
  FUZZ_ASSERT(r->present == 0 || (r->file_offset <= size && r->present <= size - r->file_offset));
  /* The first and last bytes it has read back as the file's. */
  uint64_t at[2] = {0, r->present > sizeof buf ? r->present - sizeof buf : 0};
  for (int k = 0; k < 2; k++) {
    size_t want = r->present - at[k] < sizeof buf ? (size_t)(r->present - at[k]) : sizeof buf;
    size_t got = crvi_space_read(s, r->start + at[k], buf, want);
    FUZZ_ASSERT(got == want);
    FUZZ_ASSERT(memcmp(buf, data + r->file_offset + at[k], got) == 0);
  }
  /* Past what it has: a hole, unless the next region continues at its end. */
  if (r->present < r->end - r->start)
    FUZZ_ASSERT(crvi_space_read(s, r->start + r->present, buf, 1) == 0);
}

static void check_text(const char *t, size_t cap)
{
  size_t n = strnlen(t, cap);
  FUZZ_ASSERT(n < cap);
  for (size_t i = 0; i < n; i++)
    FUZZ_ASSERT((unsigned char)t[i] >= 0x20 && (unsigned char)t[i] < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char path[64];
  int fd = fuzz_memfile(data, size, path, sizeof path);
  if (fd < 0)
    return 0;
  struct crv_space s;
  crvi_space_init(&s);
  crv_err e = crvi_space_add_core(&s, path);
  FUZZ_ASSERT(e == CRV_OK || e == CRV_ERR_FORMAT || e == CRV_ERR_LIMIT);
  if (e == CRV_OK) {
    FUZZ_ASSERT(s.n > 0 && s.n <= CRV_MAX_REGIONS && s.n_maps <= CRV_MAX_REGIONS);
    e = crvi_space_finish(&s);
    FUZZ_ASSERT(e == CRV_OK || e == CRV_ERR_FORMAT); /* overlapping NT_FILE mappings */
  }
  if (e == CRV_OK) {
    for (size_t i = 0; i < s.n; i++) {
      check_region(&s, i, data, size);
      if (i)
        FUZZ_ASSERT(s.r[i].start >= s.r[i - 1].end);
    }
    for (size_t i = 0; i < s.n_maps; i++)
      FUZZ_ASSERT(s.maps[i].start < s.maps[i].end);
    check_text(s.comm, sizeof s.comm);
    check_text(s.args, sizeof s.args);
    char why[256];
    if (s.n_maps)
      crvi_space_find_interpreter(&s, why, sizeof why);
    FUZZ_ASSERT(s.hints.ptr_size == 0 || s.hints.ptr_size == 4 || s.hints.ptr_size == 8);
  }
  crvi_space_free(&s);
  close(fd);
  return 0;
}
