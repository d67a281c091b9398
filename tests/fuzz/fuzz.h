/* SPDX-License-Identifier: MIT */
/* Shared by the fuzz targets (tests/fuzz/fuzz_*.c): the libFuzzer entry point, an assertion
 * that is always on (NDEBUG or not), and small helpers. Each target checks properties of
 * what the code under test returns, not only that it did not crash. */
#ifndef CARVER_FUZZ_H
#define CARVER_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Always enabled: a failed property is a finding, reported like a crash. */
#define FUZZ_ASSERT(cond)                                                                  \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "%s:%d: FUZZ_ASSERT failed: %s\n", __FILE__, __LINE__, #cond);       \
      abort();                                                                             \
    }                                                                                      \
  } while (0)

/* Little-endian reads of the input's own control bytes (bounded by the caller). */
static inline uint64_t fuzz_u64le(const uint8_t *p)
{
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

/* An anonymous in-memory file holding data[0..size), for code that takes a path; the path
 * (/proc/self/fd/N) is written to path. Returns the descriptor (close it), or -1. */
int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t cap);
#endif
