/* SPDX-License-Identifier: MIT */
/* Text conversions for the writers: code units (1/2/4 bytes, little-endian) to UTF-8 or
 * WTF-8, UTF-8 checks, base64, JSON string escaping and the terminal-safe repr.
 *
 * Everything appends to a crvi_buf, a growable buffer with a hard cap. The converters of
 * possibly large values work in steps: each call appends until the buffer holds at least
 * `limit` bytes or the input ends, and advances *pos, so a caller can write the buffer out
 * between steps and never hold a whole value's encoding. A step may pass `limit` by at most
 * CRVI_STEP_OVERSHOOT bytes (it works in blocks of code points). Decoding always restarts
 * at a code-point boundary, so steps never split a sequence. The converters reserve their
 * output once per block and run a tight loop per kind (ASCII a word at a time). */
#ifndef CARVER_TEXTENC_H
#define CARVER_TEXTENC_H
#include "carver/error.h"
#include <stddef.h>
#include <stdint.h>

/* ---- growable buffer with a hard cap ------------------------------------------------ */

/* Most bytes a step converter appends past its limit. */
#define CRVI_STEP_OVERSHOOT 32u

typedef struct crvi_buf {
  char *p;      /* NUL-terminated when p != NULL */
  size_t len;   /* bytes held, excluding the NUL */
  size_t alloc; /* bytes allocated */
  size_t cap;   /* hard cap on len */
  crv_err err;  /* sticky: CRV_ERR_LIMIT past the cap, CRV_ERR_NOMEM; appends then do nothing */
} crvi_buf;

void crvi_buf_init(crvi_buf *b, size_t cap);
void crvi_buf_free(crvi_buf *b);
/* Empties the buffer and clears the error; keeps the allocation. */
void crvi_buf_reset(crvi_buf *b);
/* Slow path of crvi_buf_room: grows the allocation. */
char *crvi_buf_grow(crvi_buf *b, size_t n);
/* Room for n more bytes (and the NUL) at b->p + b->len, to be filled by the caller and
 * published with crvi_buf_commit. NULL, with the sticky error set (CRV_ERR_LIMIT past the
 * cap, CRV_ERR_NOMEM), when there is none. */
static inline char *crvi_buf_room(crvi_buf *b, size_t n)
{
  if (!b->err && n < b->alloc - b->len) /* alloc <= cap + 1: within the cap */
    return b->p + b->len;
  return crvi_buf_grow(b, n);
}
/* Publishes n bytes written at the room crvi_buf_room returned (n <= the room asked for). */
static inline void crvi_buf_commit(crvi_buf *b, size_t n)
{
  b->len += n;
  b->p[b->len] = '\0';
}
void crvi_buf_put(crvi_buf *b, const void *p, size_t n);
void crvi_buf_putc(crvi_buf *b, char c);
void crvi_buf_puts(crvi_buf *b, const char *s);
/* printf-style append of a short formatted piece (at most 255 bytes). */
void crvi_buf_printf(crvi_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- code points --------------------------------------------------------------------- */

#define CRVI_CP_REPLACEMENT 0xFFFDu
/* Flag for the unit decoders: kind-2 units are UTF-16 (a Python 2 or 3.0-3.2 narrow build):
 * a valid high+low surrogate pair is one code point. Without it (PEP 393) every unit is a
 * code point and surrogates stay lone. Ignored for kinds 1 and 4. */
#define CRVI_TEXT_UTF16 1u

/* Decodes the code point at unit index *pos (< nunits) and advances *pos by 1 or 2.
 * kind is 1, 2 or 4; values above 0x10FFFF come back as U+FFFD. */
uint32_t crvi_text_next(const uint8_t *data, size_t nunits, unsigned kind, unsigned flags,
                        size_t *pos);
/* Bytes of the UTF-8 (WTF-8 for surrogates) encoding of one code point; U+FFFD's for
 * values above 0x10FFFF. */
size_t crvi_utf8_cp_len(uint32_t cp);
/* Appends one code point as UTF-8; surrogates as 3-byte WTF-8; > 0x10FFFF as U+FFFD. */
void crvi_utf8_put(crvi_buf *b, uint32_t cp);

/* Length of the UTF-8/WTF-8 conversion of nunits code units. */
uint64_t crvi_text_utf8_len(const uint8_t *data, size_t nunits, unsigned kind, unsigned flags);
/* Bounds of that length without reading the units: at least nunits, at most
 * nunits * crvi_text_utf8_max_per_unit(kind). */
static inline unsigned crvi_text_utf8_max_per_unit(unsigned kind)
{
  return kind == 1 ? 2u : kind == 2 ? 3u : 4u;
}
/* Stepwise UTF-8/WTF-8 conversion (see the top of this file). */
void crvi_text_utf8_step(crvi_buf *out, const uint8_t *data, size_t nunits, unsigned kind,
                         unsigned flags, size_t *pos, size_t limit);

/* ---- UTF-8 input --------------------------------------------------------------------- */

#define CRVI_UTF8_BAD 0xFFFFFFFFu
/* Allow 3-byte encoded surrogates (WTF-8) when decoding. */
#define CRVI_UTF8_SURROGATES 1u

/* Decodes the sequence at s[*pos] (*pos < n). Returns the code point and advances past it,
 * or returns CRVI_UTF8_BAD and advances by one byte for an invalid, overlong, truncated or
 * out-of-range sequence (and for surrogates unless CRVI_UTF8_SURROGATES). */
uint32_t crvi_utf8_next(const uint8_t *s, size_t n, unsigned flags, size_t *pos);
/* Length of the leading run of ASCII bytes (< 0x80) of s[0..n). */
size_t crvi_ascii_prefix(const uint8_t *s, size_t n);
/* 1 when s[0..n) is strict UTF-8 (no surrogates, no overlongs, <= U+10FFFF). */
int crvi_utf8_valid(const uint8_t *s, size_t n);
/* Length of s with every invalid byte replaced by U+FFFD (strict UTF-8). */
uint64_t crvi_utf8_sanitized_len(const uint8_t *s, size_t n);
/* Stepwise copy of s as strict UTF-8, invalid bytes replaced by U+FFFD. */
void crvi_utf8_sanitize_step(crvi_buf *out, const uint8_t *s, size_t n, size_t *pos, size_t limit);

/* ---- base64 (RFC 4648, padded) -------------------------------------------------------- */

uint64_t crvi_base64_len(uint64_t n);
/* Stepwise base64: consumes whole 3-byte groups (the tail at the end). */
void crvi_base64_step(crvi_buf *out, const uint8_t *s, size_t n, size_t *pos, size_t limit);

/* ---- JSON string bodies (without the quotes) ----------------------------------------- */

/* Length of the leading run of s[0..n) that a JSON string holds as it is: printable ASCII
 * except '"' and '\\'. */
size_t crvi_json_plain_prefix(const uint8_t *s, size_t n);
/* Escapes one code point for a JSON string: \" \\ \n \r \t \b \f, other C0 controls, DEL,
 * C1 controls, U+2028/2029, bidi controls and lone surrogates as \uXXXX (surrogates as
 * \udXXX, so the output is valid JSON); everything else as UTF-8. */
void crvi_json_cp(crvi_buf *b, uint32_t cp);
/* Stepwise JSON escaping of code units. */
void crvi_json_units_step(crvi_buf *out, const uint8_t *data, size_t nunits, unsigned kind,
                          unsigned flags, size_t *pos, size_t limit);
/* Stepwise JSON escaping of UTF-8. With CRVI_UTF8_SURROGATES in flags, WTF-8 surrogate
 * sequences are accepted and escaped as \udXXX; invalid bytes become U+FFFD. */
void crvi_json_utf8_step(crvi_buf *out, const uint8_t *s, size_t n, unsigned flags, size_t *pos,
                         size_t limit);

/* ---- terminal-safe repr -------------------------------------------------------------- */

/* 1 for code points that can drive or confuse a terminal: C0, DEL, C1, U+2028/2029 and the
 * bidi controls (U+061C, U+200E/F, U+202A-202E, U+2066-2069). */
int crvi_cp_is_dangerous(uint32_t cp);
/* 1 when the text repr shows cp as is: not dangerous, not a surrogate, private-use
 * character, noncharacter, invisible format character or non-ASCII space. */
int crvi_cp_is_printable(uint32_t cp);
/* Appends cp for a quoted repr: printable code points as UTF-8, \\, the quote as \", \n \r
 * \t, others as \xNN, \uNNNN or \UNNNNNNNN. quote 0: no quote character is escaped. */
void crvi_repr_cp(crvi_buf *b, uint32_t cp, char quote);
/* Appends at most max_cps code points of a text value, escaped (no quotes). Returns 1 when
 * the value was longer (truncated), 0 otherwise. */
int crvi_repr_units(crvi_buf *b, const uint8_t *data, size_t nunits, unsigned kind, unsigned flags,
                    size_t max_cps);
/* Same for a binary value: printable ASCII as is, \\ \" \n \r \t, other bytes as \xNN. */
int crvi_repr_bytes(crvi_buf *b, const uint8_t *s, size_t n, size_t max_bytes);
/* Same for a UTF-8 string from the tool (paths, names): invalid bytes as \xNN. */
int crvi_repr_utf8(crvi_buf *b, const uint8_t *s, size_t n, size_t max_cps);

#endif
