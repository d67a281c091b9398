/* SPDX-License-Identifier: MIT */
/* Vector versions of textenc.c's block converters from code units (little-endian) to
 * UTF-8 / WTF-8, chosen at run time (x86-64 with SSE4.1; util/cpu.h). Each converts whole
 * vectors from s[*ip] while o < end, advances *ip and returns the new o; it stops with fewer
 * than a vector's units left, which the portable converter then finishes. Output is
 * byte-for-byte that of the portable converters; a call writes at most
 * CRVI_STEP_OVERSHOOT bytes past end. */
#ifndef CARVER_OUT_UTF8_SIMD_H
#define CARVER_OUT_UTF8_SIMD_H
#include <stddef.h>
#include <stdint.h>

typedef char *(*crvi_utf8_block_fn)(const uint8_t *s, size_t n, size_t *ip, char *o,
                                    const char *end);

/* How many bytes the UTF-8 encoding of whole vectors of units from s[*ip] has beyond one
 * per unit; advances *ip past them (fewer than a vector's units are left). */
typedef uint64_t (*crvi_utf8_extra_fn)(const uint8_t *s, size_t n, size_t *ip);

struct crvi_utf8_blocks {
  crvi_utf8_block_fn latin1; /* kind 1 */
  crvi_utf8_block_fn ucs2;   /* kind 2 as UCS-2: a surrogate is a code point of its own */
  crvi_utf8_block_fn ucs4;   /* kind 4: above U+10FFFF becomes U+FFFD */
  crvi_utf8_extra_fn ucs2_extra, ucs4_extra; /* the lengths of the same encodings */
};

/* The vector converters this CPU can run, or NULL when there are none (another CPU,
 * CARVER_NO_SIMD set). Decided at the first call; later calls return the same. */
const struct crvi_utf8_blocks *crvi_utf8_blocks(void);
#endif
