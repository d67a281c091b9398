/* SPDX-License-Identifier: MIT */
/* Helpers for unit tests that build synthetic CPython objects byte by byte.
 *
 * The object shapes below are transcribed from shared/reference/cpython-layouts.md
 * (§2.1, §2.2, §3, §4.1, §1.3) and deliberately do NOT come from layouts/layouts.c, so that
 * a wrong offset in the layout table makes the validator and scanner tests fail. State
 * words are assembled from the §4.2 bit positions and checked against its table of
 * typical values in test_validators. */
#ifndef CARVER_TEST_FIXTURE_H
#define CARVER_TEST_FIXTURE_H
#include <stdint.h>
#include <stddef.h>
#include <string.h>

/* ---- little-endian writes -------------------------------------------------------------- */

static inline void fx_put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void fx_put32(uint8_t *p, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static inline void fx_put64(uint8_t *p, uint64_t v)
{
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
/* A pointer-sized word (4 or 8 bytes); 4 keeps the low 32 bits. */
static inline void fx_putw(uint8_t *p, unsigned w, uint64_t v)
{
  if (w == 8)
    fx_put64(p, v);
  else
    fx_put32(p, (uint32_t)v);
}
static inline uint64_t fx_get64(const uint8_t *p)
{
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

/* ---- object shapes (reference offsets) ------------------------------------------------- */

#define FX_NONE 0u /* absent field (no real field of interest is at offset 0) */

struct fx_shape {
  const char *layout_id; /* the crv_layout this shape describes */
  const char *python;    /* for crvi_layout_find */
  unsigned w;            /* pointer size */
  int ft;                /* free-threaded header */
  unsigned off_type;     /* ob_type */
  unsigned off_local;    /* FT ob_ref_local; FX_NONE otherwise */
  /* PEP 393 str (§4.1); s_basicsize FX_NONE when the text type is not PEP 393 */
  unsigned s_length, s_hash, s_state, s_wstr, s_utf8_length, s_utf8, s_wstr_length;
  unsigned s_ascii_data, s_compact_data, s_data_any, s_basicsize;
  int state_ft314; /* §4.2: 0 the GIL layout (also FT 3.13), 1 the FT 3.14+ layout */
  int has_ready;   /* bit 7 is `ready` (3.3-3.11) rather than `statically_allocated` */
  /* 2.7 unicode / 3.0-3.2 str (§2.2, §2.3); u_basicsize FX_NONE when absent */
  unsigned u_length, u_str, u_hash, u_state, u_defenc, u_basicsize;
  /* 3.x bytes (§3) / 2.7 str (§2.1) */
  unsigned b_size, b_hash, b_sstate, b_sval;
};

/* 2.7 LP64 (§1.1, §2.1, §2.2) */
static const struct fx_shape FX_27_LP64 = {
    .layout_id = "cpython-2.7-x86_64", .python = "2.7", .w = 8, .off_type = 8,
    .u_length = 16, .u_str = 24, .u_hash = 32, .u_defenc = 40, .u_basicsize = 48,
    .b_size = 16, .b_hash = 24, .b_sstate = 32, .b_sval = 36};
/* 2.7 i386 */
static const struct fx_shape FX_27_I386 = {
    .layout_id = "cpython-2.7-i386", .python = "2.7", .w = 4, .off_type = 4,
    .u_length = 8, .u_str = 12, .u_hash = 16, .u_defenc = 20, .u_basicsize = 24,
    .b_size = 8, .b_hash = 12, .b_sstate = 16, .b_sval = 20};
/* 3.0-3.2 LP64 (§2.3): the str has an interned state int at 40. */
static const struct fx_shape FX_31_LP64 = {
    .layout_id = "cpython-3.1-x86_64", .python = "3.1", .w = 8, .off_type = 8,
    .u_length = 16, .u_str = 24, .u_hash = 32, .u_state = 40, .u_defenc = 48,
    .u_basicsize = 56, .b_size = 16, .b_hash = 24, .b_sval = 32};
/* 3.3-3.11 LP64 (§4.1 first column) */
#define FX_PEP393_33_LP64                                                                 \
  .w = 8, .off_type = 8, .s_length = 16, .s_hash = 24, .s_state = 32, .s_wstr = 40,      \
  .s_utf8_length = 48, .s_utf8 = 56, .s_wstr_length = 64, .s_ascii_data = 48,            \
  .s_compact_data = 72, .s_data_any = 72, .s_basicsize = 80, .has_ready = 1,             \
  .b_size = 16, .b_hash = 24, .b_sval = 32
static const struct fx_shape FX_39_LP64 = {
    .layout_id = "cpython-3.9-x86_64", .python = "3.9", FX_PEP393_33_LP64};
static const struct fx_shape FX_311_LP64 = {
    .layout_id = "cpython-3.11-x86_64", .python = "3.11", FX_PEP393_33_LP64};
/* 3.3-3.11 ILP32 (§4.1 third column) */
static const struct fx_shape FX_311_I386 = {
    .layout_id = "cpython-3.11-i386", .python = "3.11", .w = 4, .off_type = 4,
    .s_length = 8, .s_hash = 12, .s_state = 16, .s_wstr = 20, .s_utf8_length = 24,
    .s_utf8 = 28, .s_wstr_length = 32, .s_ascii_data = 24, .s_compact_data = 36,
    .s_data_any = 36, .s_basicsize = 40, .has_ready = 1, .b_size = 8, .b_hash = 12,
    .b_sval = 16};
/* 3.12-3.15 LP64 (§4.1 second column) */
#define FX_PEP393_312_LP64                                                                \
  .w = 8, .off_type = 8, .s_length = 16, .s_hash = 24, .s_state = 32,                    \
  .s_utf8_length = 40, .s_utf8 = 48, .s_ascii_data = 40, .s_compact_data = 56,           \
  .s_data_any = 56, .s_basicsize = 64, .b_size = 16, .b_hash = 24, .b_sval = 32
static const struct fx_shape FX_312_LP64 = {
    .layout_id = "cpython-3.12-x86_64", .python = "3.12", FX_PEP393_312_LP64};
static const struct fx_shape FX_314_LP64 = {
    .layout_id = "cpython-3.14-x86_64", .python = "3.14", FX_PEP393_312_LP64};
/* 3.12-3.15 ILP32 (§4.1 fourth column) */
static const struct fx_shape FX_314_I386 = {
    .layout_id = "cpython-3.14-i386", .python = "3.14", .w = 4, .off_type = 4,
    .s_length = 8, .s_hash = 12, .s_state = 16, .s_utf8_length = 20, .s_utf8 = 24,
    .s_ascii_data = 20, .s_compact_data = 28, .s_data_any = 28, .s_basicsize = 32,
    .b_size = 8, .b_hash = 12, .b_sval = 16};
/* FT 3.14 LP64 (§1.3, §4.1 fifth column, §3, §4.2 second table) */
static const struct fx_shape FX_314T_LP64 = {
    .layout_id = "cpython-3.14t-x86_64", .python = "3.14t", .w = 8, .ft = 1, .off_type = 24,
    .off_local = 12, .s_length = 32, .s_hash = 40, .s_state = 48, .s_utf8_length = 56,
    .s_utf8 = 64, .s_ascii_data = 56, .s_compact_data = 72, .s_data_any = 72,
    .s_basicsize = 80, .state_ft314 = 1, .b_size = 32, .b_hash = 40, .b_sval = 48};

/* The PEP 393 state word from its fields (§4.2). bit7: ready (3.3-3.11) or
 * statically_allocated (3.12+). */
static inline uint32_t fx_state(const struct fx_shape *s, unsigned interned, unsigned kind,
                                int compact, int ascii, int bit7)
{
  if (s->state_ft314)
    return interned | ((kind | (unsigned)compact << 3 | (unsigned)ascii << 4 |
                        (unsigned)bit7 << 5)
                       << 8);
  return interned | kind << 2 | (unsigned)compact << 5 | (unsigned)ascii << 6 |
         (unsigned)bit7 << 7;
}

/* The narrowest PEP 393 kind for the code points, and whether they are all ASCII. */
static inline unsigned fx_canon_kind(const uint32_t *cp, size_t n, int *ascii)
{
  uint32_t max = 0;
  for (size_t i = 0; i < n; i++)
    if (cp[i] > max)
      max = cp[i];
  if (ascii)
    *ascii = max < 0x80;
  return max < 0x100 ? 1 : max < 0x10000 ? 2 : 4;
}

/* n code units of `unit` bytes, little-endian, then a NUL unit. Returns (n+1)*unit. */
static inline size_t fx_units(uint8_t *dst, unsigned unit, const uint32_t *cp, size_t n)
{
  for (size_t i = 0; i <= n; i++) {
    uint32_t v = i < n ? cp[i] : 0;
    for (unsigned b = 0; b < unit; b++)
      dst[i * unit + b] = b < 4 ? (uint8_t)(v >> (8 * b)) : 0; /* odd kinds in decoys */
  }
  return (n + 1) * unit;
}

/* Number of bytes of the UTF-8 encoding (surrogates count as 3, as WTF-8). */
static inline size_t fx_utf8_len(const uint32_t *cp, size_t n)
{
  size_t t = 0;
  for (size_t i = 0; i < n; i++)
    t += cp[i] < 0x80 ? 1 : cp[i] < 0x800 ? 2 : cp[i] < 0x10000 ? 3 : 4;
  return t;
}

/* ---- object builders -------------------------------------------------------------------- */

/* A PEP 393 str. Defaults (zero-initialised fields) give a canonical compact object. */
struct fx_str {
  const uint32_t *cp;
  size_t n;
  unsigned kind;     /* 0: canonical */
  int ascii;         /* 0: canonical, FX_SET or FX_CLEAR */
  int legacy;        /* 1: not compact, data in a separate buffer at data_ptr */
  unsigned interned;
  int bit7;          /* 0: default (ready on 3.3-3.11, clear on 3.12+), FX_SET, FX_CLEAR */
  uint64_t refcnt, type;
  int64_t hash;
  uint64_t data_ptr;         /* legacy: address of the separate buffer */
  uint64_t utf8, utf8_length; /* compact non-ASCII cache; legacy ASCII sets both itself */
  int wstr;                  /* 3.3-3.11: 0 default (UCS4 compact shares its data), or
                                FX_WSTR_NONE: NULL/0 even for UCS4 */
};
#define FX_SET 1
#define FX_CLEAR 2
#define FX_WSTR_NONE 1

/* Writes the object (header and, when compact, its data) to o, which stands for memory at
 * address addr. Returns the footprint in bytes (header + data + NUL unit for compact
 * objects, basicsize for legacy ones). kind_out and ascii_out receive the flags used. */
static inline size_t fx_build_str(const struct fx_shape *s, uint8_t *o, uint64_t addr,
                                  const struct fx_str *p, unsigned *kind_out, int *ascii_out)
{
  const unsigned w = s->w;
  int canon_ascii;
  unsigned kind = fx_canon_kind(p->cp, p->n, &canon_ascii);
  if (p->kind)
    kind = p->kind;
  int ascii = p->ascii == FX_SET ? 1 : p->ascii == FX_CLEAR ? 0 : canon_ascii;
  int bit7 = p->bit7 == FX_SET ? 1 : p->bit7 == FX_CLEAR ? 0 : s->has_ready;
  int compact = !p->legacy;
  size_t size = !compact ? s->s_basicsize : ascii ? s->s_ascii_data : s->s_compact_data;
  memset(o, 0, size);
  fx_putw(o, w, p->refcnt);
  fx_putw(o + s->off_type, w, p->type);
  fx_putw(o + s->s_length, w, (uint64_t)p->n);
  fx_putw(o + s->s_hash, w, (uint64_t)p->hash);
  fx_put32(o + s->s_state, fx_state(s, p->interned, kind, compact, ascii, bit7));
  if (compact && !ascii) {
    fx_putw(o + s->s_utf8, w, p->utf8);
    fx_putw(o + s->s_utf8_length, w, p->utf8_length);
  }
  if (!compact) {
    fx_putw(o + s->s_data_any, w, p->data_ptr);
    if (ascii) { /* §4.3: legacy ASCII has utf8 == data.any, utf8_length == length */
      fx_putw(o + s->s_utf8, w, p->data_ptr);
      fx_putw(o + s->s_utf8_length, w, (uint64_t)p->n);
    }
  }
  /* §4.3: on Linux every compact UCS4 string shares its data as wstr (<= 3.11). */
  if (s->s_wstr && compact && kind == 4 && p->wstr != FX_WSTR_NONE) {
    fx_putw(o + s->s_wstr, w, addr + s->s_compact_data);
    fx_putw(o + s->s_wstr_length, w, (uint64_t)p->n);
  }
  if (kind_out)
    *kind_out = kind;
  if (ascii_out)
    *ascii_out = ascii;
  if (!compact)
    return size;
  return size + fx_units(o + size, kind, p->cp, p->n);
}

/* 3.x bytes or 2.7 str: header, data, NUL. sstate only where the shape has it. */
static inline size_t fx_build_bytes(const struct fx_shape *s, uint8_t *o, uint64_t refcnt,
                                    uint64_t type, const uint8_t *data, size_t n, int64_t hash,
                                    unsigned sstate)
{
  memset(o, 0, s->b_sval);
  fx_putw(o, s->w, refcnt);
  fx_putw(o + s->off_type, s->w, type);
  fx_putw(o + s->b_size, s->w, (uint64_t)n);
  fx_putw(o + s->b_hash, s->w, (uint64_t)hash);
  if (s->b_sstate)
    fx_put32(o + s->b_sstate, sstate);
  if (n)
    memcpy(o + s->b_sval, data, n);
  o[s->b_sval + n] = 0;
  return s->b_sval + n + 1;
}

/* 2.7 unicode / 3.0-3.2 str header; the Py_UNICODE buffer is written separately. */
static inline size_t fx_build_ubuf(const struct fx_shape *s, uint8_t *o, uint64_t refcnt,
                                   uint64_t type, uint64_t n, uint64_t str, int64_t hash,
                                   uint64_t defenc, unsigned state)
{
  memset(o, 0, s->u_basicsize);
  fx_putw(o, s->w, refcnt);
  fx_putw(o + s->off_type, s->w, type);
  fx_putw(o + s->u_length, s->w, n);
  fx_putw(o + s->u_str, s->w, str);
  fx_putw(o + s->u_hash, s->w, (uint64_t)hash);
  fx_putw(o + s->u_defenc, s->w, defenc);
  if (s->u_state)
    fx_put32(o + s->u_state, state);
  return s->u_basicsize;
}

/* ---- a small deterministic PRNG ---------------------------------------------------------- */

static inline uint64_t fx_rand(uint64_t *st)
{
  uint64_t x = *st;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *st = x;
  return x * 0x2545F4914F6CDD1Dull;
}
/* Uniform in [lo, hi]. */
static inline uint64_t fx_range(uint64_t *st, uint64_t lo, uint64_t hi)
{
  return lo + fx_rand(st) % (hi - lo + 1);
}
#endif
