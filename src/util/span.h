/* SPDX-License-Identifier: MIT */
/* Little-endian reads assembled byte by byte: safe on any alignment. Callers bound
 * the offsets first (off <= len && n <= len - off). */
#ifndef CARVER_SPAN_H
#define CARVER_SPAN_H
#include <stdint.h>
#include <stddef.h>

static inline uint16_t span_u16le(const uint8_t *p)
{
  return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t span_u32le(const uint8_t *p)
{
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t span_u64le(const uint8_t *p)
{
  return (uint64_t)span_u32le(p) | ((uint64_t)span_u32le(p + 4) << 32);
}
/* A pointer-sized little-endian word: 4 or 8 bytes. */
static inline uint64_t span_word(const uint8_t *p, unsigned width)
{
  return width == 8 ? span_u64le(p) : span_u32le(p);
}
/* Sign-extend a word of the given width. */
static inline int64_t span_sword(const uint8_t *p, unsigned width)
{
  return width == 8 ? (int64_t)span_u64le(p) : (int64_t)(int32_t)span_u32le(p);
}
/* True when [off, off+n) lies inside a buffer of len bytes, without overflow. */
static inline int span_has(size_t len, size_t off, size_t n)
{
  return off <= len && n <= len - off;
}
#endif
