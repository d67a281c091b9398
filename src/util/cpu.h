/* SPDX-License-Identifier: MIT */
/* Which vector instruction sets the loops that touch every byte may use, decided at run
 * time. CARVER_NO_SIMD=1 in the environment turns them all off (the portable loops then run
 * everywhere; the tests compare both). */
#ifndef CARVER_UTIL_CPU_H
#define CARVER_UTIL_CPU_H

enum crvi_cpu_feature {
  CRVI_CPU_SSE41, /* SSE4.1 and SSSE3 (x86-64) */
  CRVI_CPU_AVX2,  /* AVX2 (x86-64) */
};

/* 1 when the CPU has the feature, carver was built with the vector code for it, and
 * CARVER_NO_SIMD is unset, empty or "0". Read at each call: cheap, and tests may change the
 * environment between calls. */
int crvi_cpu_has(enum crvi_cpu_feature f);
#endif
