/* SPDX-License-Identifier: MIT */
#include "util/cpu.h"

#include <stdlib.h>
#include <string.h>

int crvi_cpu_has(enum crvi_cpu_feature f)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  const char *off = getenv("CARVER_NO_SIMD");
  if (off && *off && strcmp(off, "0") != 0)
    return 0;
  switch (f) {
  case CRVI_CPU_SSE41:
    return __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
  case CRVI_CPU_AVX2:
    return __builtin_cpu_supports("avx2");
  }
  return 0;
#else
  (void)f;
  return 0;
#endif
}
