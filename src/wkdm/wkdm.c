/* SPDX-License-Identifier: MIT */
/* WKdm compressor and hostile-input-safe decompressor; the format is described in wkdm.h.
 * The decompressor checks the whole blob (header, section sizes against the tag counts,
 * padding) before it decodes, so the per-word loop needs no bounds checks. Both per-word
 * loops branch on the word's class: real heap pages come in runs (zeros, pointers into one
 * arena, text), which predict well; computing every class and selecting instead measured
 * 15-35% slower on the sample dumps (bench/wkdm.md). */
#include <string.h>
#include "wkdm.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "WKdm words are little-endian; this code loads them natively"
#endif

/* Dictionary slot of a word: HASH[(word >> 10) & 0xFF]. The published Wilson-Kaplan table
 * (xnu's hashLookupTable holds the same values times 4, as byte offsets). */
static const uint8_t HASH[256] = {
    0,  13, 2,  14, 4,  3,  7,  5,  1,  9,  12, 6,  11, 10, 8,  15, /* 0x00 */
    2,  3,  7,  5,  1,  15, 4,  9,  6,  12, 11, 8,  13, 14, 10, 3,  /* 0x10 */
    2,  12, 4,  13, 15, 7,  14, 8,  5,  6,  9,  10, 11, 1,  2,  10, /* 0x20 */
    15, 8,  5,  11, 1,  9,  13, 6,  4,  14, 12, 3,  7,  4,  2,  10, /* 0x30 */
    9,  7,  8,  3,  1,  11, 13, 5,  6,  12, 15, 14, 10, 12, 2,  8,  /* 0x40 */
    7,  9,  1,  11, 5,  14, 15, 6,  13, 4,  3,  3,  1,  12, 5,  2,  /* 0x50 */
    13, 4,  15, 6,  9,  11, 7,  14, 10, 8,  9,  5,  6,  15, 10, 11, /* 0x60 */
    13, 4,  8,  1,  12, 2,  7,  14, 3,  7,  8,  10, 13, 9,  4,  5,  /* 0x70 */
    12, 2,  1,  15, 6,  14, 11, 3,  2,  9,  6,  7,  4,  15, 5,  14, /* 0x80 */
    8,  10, 12, 3,  1,  11, 13, 11, 10, 3,  14, 2,  9,  6,  15, 7,  /* 0x90 */
    12, 1,  8,  5,  4,  13, 15, 3,  6,  9,  2,  1,  4,  14, 12, 11, /* 0xa0 */
    10, 13, 8,  5,  7,  8,  3,  9,  7,  6,  14, 10, 4,  13, 11, 1,  /* 0xb0 */
    5,  15, 2,  12, 12, 13, 3,  5,  8,  11, 9,  7,  1,  10, 6,  2,  /* 0xc0 */
    14, 15, 4,  9,  8,  2,  10, 1,  13, 6,  11, 5,  3,  7,  12, 14, /* 0xd0 */
    4,  15, 1,  13, 15, 12, 5,  4,  14, 11, 6,  2,  10, 3,  8,  7,  /* 0xe0 */
    9,  6,  8,  3,  1,  5,  4,  15, 9,  7,  2,  13, 10, 12, 11, 14, /* 0xf0 */
};

enum { TAG_ZERO = 0, TAG_PARTIAL = 1, TAG_MISS = 2, TAG_EXACT = 3 };
enum { TAGS_WORDS = CRV_WKDM_WORDS / 16, DICT = 16 };
#define LOW_MASK 0x3FFu

static inline uint32_t ld32(const uint8_t *p)
{
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static inline uint64_t ld64(const uint8_t *p)
{
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
static inline void st32(uint8_t *p, uint32_t v)
{
  memcpy(p, &v, 4);
}

static inline unsigned pop64(uint64_t x)
{
#if defined(__POPCNT__)
  return (unsigned)__builtin_popcountll(x);
#else
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return (unsigned)((x * 0x0101010101010101ull) >> 56);
#endif
}

/* ---- compression ---- */

/* Temporary per-page arrays, padded so that packing whole groups reads only zeros. */
struct cwork {
  uint8_t tags[CRV_WKDM_WORDS];
  uint8_t qpos[CRV_WKDM_WORDS + 8];
  uint16_t low[CRV_WKDM_WORDS + 3];
};

/* Classify every word; MISS words go straight to full. Returns the counts. */
static void model(const uint8_t *page, uint32_t dict_init, struct cwork *w, uint8_t *full,
                  unsigned *n_full, unsigned *n_q, unsigned *n_low)
{
  uint32_t dict[DICT];
  unsigned nf = 0, nq = 0, nl = 0;
  for (unsigned i = 0; i < DICT; i++)
    dict[i] = dict_init;
  for (unsigned i = 0; i < CRV_WKDM_WORDS; i++) {
    uint32_t x = ld32(page + 4 * i);
    if (x == 0) { /* checked first, as xnu does: its dictionary starts as zeros */
      w->tags[i] = TAG_ZERO;
      continue;
    }
    unsigned h = HASH[(x >> 10) & 0xFF];
    uint32_t d = dict[h];
    if (x == d) {
      w->tags[i] = TAG_EXACT;
      w->qpos[nq++] = (uint8_t)h;
    } else if (((x ^ d) >> 10) == 0) {
      w->tags[i] = TAG_PARTIAL;
      w->qpos[nq++] = (uint8_t)h;
      w->low[nl++] = (uint16_t)(x & LOW_MASK);
      dict[h] = x;
    } else {
      w->tags[i] = TAG_MISS;
      st32(full + 4 * nf++, x);
      dict[h] = x;
    }
  }
  *n_full = nf;
  *n_q = nq;
  *n_low = nl;
}

static size_t pack_dense(uint8_t *out, unsigned hdr_words, struct cwork *w, unsigned nf,
                         unsigned nq, unsigned nl)
{
  const unsigned full_w = hdr_words + TAGS_WORDS;
  const unsigned qpos_start = full_w + nf;
  const unsigned n_qw = (nq + 7) / 8, n_lw = (nl + 2) / 3;
  const unsigned low_start = qpos_start + n_qw, low_end = low_start + n_lw;
  /* tags: 16 per word */
  for (unsigned k = 0; k < TAGS_WORDS; k++) {
    const uint8_t *t = w->tags + 16 * k;
    st32(out + 4 * (hdr_words + k),
         ld32(t) | ld32(t + 4) << 2 | ld32(t + 8) << 4 | ld32(t + 12) << 6);
  }
  /* slot numbers: 8 per word, the last group zero-padded */
  memset(w->qpos + nq, 0, 8);
  for (unsigned k = 0; k < n_qw; k++)
    st32(out + 4 * (qpos_start + k), ld32(w->qpos + 8 * k) | ld32(w->qpos + 8 * k + 4) << 4);
  /* low bits: 3 per word */
  w->low[nl] = w->low[nl + 1] = 0;
  for (unsigned k = 0; k < n_lw; k++) {
    const uint16_t *l = w->low + 3 * k;
    st32(out + 4 * (low_start + k), (uint32_t)l[0] | (uint32_t)l[1] << 10 | (uint32_t)l[2] << 20);
  }
  if (hdr_words == 4) {
    st32(out, 0);
    st32(out + 4, qpos_start);
    st32(out + 8, low_start);
    st32(out + 12, low_end);
  } else {
    st32(out, qpos_start);
    st32(out + 4, low_start);
    st32(out + 8, low_end);
  }
  return (size_t)low_end * 4;
}

static size_t pack_sparse(const uint8_t *page, uint8_t *out)
{
  size_t n = 4;
  st32(out, CRV_WKDM_SPARSE_MAGIC);
  for (unsigned i = 0; i < CRV_WKDM_WORDS; i++) {
    uint32_t x = ld32(page + 4 * i);
    if (!x)
      continue;
    st32(out + n, x);
    out[n + 4] = (uint8_t)(4 * i);
    out[n + 5] = (uint8_t)((4 * i) >> 8);
    n += 6;
  }
  return n;
}

size_t crvi_wkdm_compress(const uint8_t *page, uint8_t *out, int variant, unsigned flags)
{
  struct cwork w;
  unsigned nf, nq, nl;
  if (variant != CRV_WKDM_CLASSIC && variant != CRV_WKDM_APPLE)
    return 0;
  const unsigned hdr_words = variant == CRV_WKDM_CLASSIC ? 4 : 3;
  model(page, variant == CRV_WKDM_CLASSIC ? 1u : 0u, &w, out + 4 * (hdr_words + TAGS_WORDS),
        &nf, &nq, &nl);
  if (variant == CRV_WKDM_APPLE && (flags & CRV_WKDM_F_SPARSE)) {
    unsigned nz = 0;
    for (unsigned i = 0; i < CRV_WKDM_WORDS; i++)
      nz += w.tags[i] != TAG_ZERO;
    size_t dense = 4u * (hdr_words + TAGS_WORDS + nf + (nq + 7) / 8 + (nl + 2) / 3);
    /* 4 + 6*0 would read back as a 4-byte single-value slot: keep zero pages dense */
    if (nz > 0 && 4u + 6u * nz <= dense)
      return pack_sparse(page, out);
  }
  return pack_dense(out, hdr_words, &w, nf, nq, nl);
}

/* ---- decompression ---- */

struct dwork {
  uint8_t tags[CRV_WKDM_WORDS];
  uint8_t qpos[CRV_WKDM_WORDS + 8]; /* whole groups of 8, padding included */
  uint16_t low[CRV_WKDM_WORDS + 3]; /* whole groups of 3 */
  uint32_t full[CRV_WKDM_WORDS];
};

static int dense(const uint8_t *b, size_t len, unsigned hdr_words, uint8_t *page)
{
  struct dwork w;
  const unsigned full_w = hdr_words + TAGS_WORDS;
  if (len % 4 != 0 || len < 4u * full_w || len > CRV_WKDM_MAX_BLOB)
    return CRV_WKDM_E_SIZE;
  const uint8_t *h = b + (hdr_words == 4 ? 4 : 0);
  const uint32_t qpos_start = ld32(h), low_start = ld32(h + 4), low_end = ld32(h + 8);
  if (qpos_start < full_w || low_start < qpos_start || low_end < low_start ||
      low_end > len / 4)
    return CRV_WKDM_E_HEADER;
  if (low_end < len / 4)
    return CRV_WKDM_E_TRAILING;

  /* The tags decide how big every other section must be. */
  const uint8_t *tg = b + 4 * hdr_words;
  unsigned n_q = 0, n_partial = 0, n_miss = 0;
  for (unsigned k = 0; k < TAGS_WORDS / 2; k++) {
    uint64_t x = ld64(tg + 8 * k);
    uint64_t lo = x & 0x5555555555555555ull, hi = (x >> 1) & 0x5555555555555555ull;
    n_q += pop64(lo);
    n_partial += pop64(lo & ~hi);
    n_miss += pop64(hi & ~lo);
  }
  const unsigned n_qw = low_start - qpos_start, n_lw = low_end - low_start;
  if (qpos_start - full_w != n_miss || n_qw != (n_q + 7) / 8 || n_lw != (n_partial + 2) / 3)
    return CRV_WKDM_E_COUNTS;

  /* Unpack the tags, slot numbers and low bits; check the padding. */
  for (unsigned k = 0; k < TAGS_WORDS; k++) {
    uint32_t x = ld32(tg + 4 * k);
    st32(w.tags + 16 * k, x & 0x03030303u);
    st32(w.tags + 16 * k + 4, (x >> 2) & 0x03030303u);
    st32(w.tags + 16 * k + 8, (x >> 4) & 0x03030303u);
    st32(w.tags + 16 * k + 12, (x >> 6) & 0x03030303u);
  }
  const uint8_t *qp = b + 4 * qpos_start;
  for (unsigned k = 0; k < n_qw; k++) {
    uint32_t x = ld32(qp + 4 * k);
    st32(w.qpos + 8 * k, x & 0x0F0F0F0Fu);
    st32(w.qpos + 8 * k + 4, (x >> 4) & 0x0F0F0F0Fu);
  }
  uint8_t qpad = 0;
  for (unsigned k = n_q; k < 8 * n_qw; k++)
    qpad |= w.qpos[k];
  const uint8_t *lb = b + 4 * low_start;
  uint32_t lpad = 0;
  for (unsigned k = 0; k < n_lw; k++) {
    uint32_t x = ld32(lb + 4 * k);
    lpad |= x & 0xC0000000u;
    w.low[3 * k] = (uint16_t)(x & LOW_MASK);
    w.low[3 * k + 1] = (uint16_t)((x >> 10) & LOW_MASK);
    w.low[3 * k + 2] = (uint16_t)((x >> 20) & LOW_MASK);
  }
  for (unsigned k = n_partial; k < 3 * n_lw; k++)
    lpad |= w.low[k];
  if (qpad || lpad)
    return CRV_WKDM_E_PADDING;
  memcpy(w.full, b + 4 * full_w, 4u * n_miss);

  /* Decode. The counts above bound every cursor: qi <= n_q, li <= n_partial, fi <= n_miss. */
  uint32_t dict[DICT];
  const uint32_t init = hdr_words == 4 ? 1u : 0u;
  for (unsigned i = 0; i < DICT; i++)
    dict[i] = init;
  unsigned qi = 0, li = 0, fi = 0;
  for (unsigned i = 0; i < CRV_WKDM_WORDS; i++) {
    uint32_t v;
    switch (w.tags[i]) {
    case TAG_ZERO:
      v = 0;
      break;
    case TAG_EXACT:
      v = dict[w.qpos[qi++]];
      break;
    case TAG_PARTIAL: {
      const unsigned q = w.qpos[qi++];
      v = (dict[q] & ~LOW_MASK) | w.low[li++];
      dict[q] = v;
      break;
    }
    default: /* TAG_MISS */
      v = w.full[fi++];
      dict[HASH[(v >> 10) & 0xFF]] = v;
      break;
    }
    st32(page + 4 * i, v);
  }
  return CRV_WKDM_OK;
}

static int sparse(const uint8_t *b, size_t len, uint8_t *page)
{
  /* At least one record: 4 bytes alone are a single-value slot. */
  if (len < 10 || (len - 4) % 6 != 0 || len > 4 + 6u * CRV_WKDM_WORDS)
    return CRV_WKDM_E_SIZE;
  if (ld32(b) != CRV_WKDM_SPARSE_MAGIC)
    return CRV_WKDM_E_HEADER;
  memset(page, 0, CRV_WKDM_PAGE);
  long prev = -1;
  for (size_t o = 4; o < len; o += 6) {
    uint32_t v = ld32(b + o);
    unsigned off = (unsigned)b[o + 4] | (unsigned)b[o + 5] << 8;
    if (off >= CRV_WKDM_PAGE || (off & 3) || (long)off <= prev || v == 0)
      return CRV_WKDM_E_SPARSE;
    st32(page + off, v);
    prev = (long)off;
  }
  return CRV_WKDM_OK;
}

int crvi_wkdm_decompress(const uint8_t *blob, size_t len, uint8_t *page, int variant, int *kind)
{
  int r = CRV_WKDM_E_SIZE, k = CRV_WKDM_KIND_NONE;
  uint32_t w0 = len >= 4 ? ld32(blob) : 0;
  switch (variant) {
  case CRV_WKDM_CLASSIC:
    if ((r = dense(blob, len, 4, page)) == CRV_WKDM_OK)
      k = CRV_WKDM_KIND_CLASSIC;
    break;
  case CRV_WKDM_APPLE:
    if (w0 == CRV_WKDM_SPARSE_MAGIC) {
      if ((r = sparse(blob, len, page)) == CRV_WKDM_OK)
        k = CRV_WKDM_KIND_SPARSE;
    } else if ((r = dense(blob, len, 3, page)) == CRV_WKDM_OK) {
      k = CRV_WKDM_KIND_APPLE;
    }
    break;
  case CRV_WKDM_AUTO:
    /* xnu's first word is the qpos start (>= 67) or the sparse magic; the classic one is
     * unused (0 from every known compressor). Try what the first word suggests first. */
    if (w0 == CRV_WKDM_SPARSE_MAGIC && (r = sparse(blob, len, page)) == CRV_WKDM_OK) {
      k = CRV_WKDM_KIND_SPARSE;
      break;
    }
    if (w0 >= 3 + TAGS_WORDS) {
      if ((r = dense(blob, len, 3, page)) == CRV_WKDM_OK) {
        k = CRV_WKDM_KIND_APPLE;
        break;
      }
      if (dense(blob, len, 4, page) == CRV_WKDM_OK) {
        r = CRV_WKDM_OK;
        k = CRV_WKDM_KIND_CLASSIC;
      }
      break;
    }
    if ((r = dense(blob, len, 4, page)) == CRV_WKDM_OK)
      k = CRV_WKDM_KIND_CLASSIC;
    break;
  default:
    r = CRV_WKDM_E_HEADER;
    break;
  }
  if (kind)
    *kind = k;
  return r;
}

int crvi_wkdm_decode_slot(const uint8_t *blob, size_t len, uint8_t *page, int variant, int *kind)
{
  if (len == 4) {
    uint32_t v = ld32(blob);
    for (unsigned i = 0; i < CRV_WKDM_WORDS; i++)
      st32(page + 4 * i, v);
    if (kind)
      *kind = CRV_WKDM_KIND_SINGLE;
    return CRV_WKDM_OK;
  }
  int r = crvi_wkdm_decompress(blob, len, page, variant, kind);
  if (r != CRV_WKDM_OK && len == CRV_WKDM_PAGE) {
    memcpy(page, blob, CRV_WKDM_PAGE);
    if (kind)
      *kind = CRV_WKDM_KIND_RAW;
    return CRV_WKDM_OK;
  }
  return r;
}

const char *crvi_wkdm_strerror(int status)
{
  static const char *const msg[CRV_WKDM_E_COUNT] = {
      [CRV_WKDM_OK] = "ok",
      [CRV_WKDM_E_SIZE] = "size impossible for a WKdm blob",
      [CRV_WKDM_E_HEADER] = "header offsets out of order or past the end of the blob",
      [CRV_WKDM_E_TRAILING] = "bytes after the end the header declares",
      [CRV_WKDM_E_COUNTS] = "section sizes disagree with the tags",
      [CRV_WKDM_E_PADDING] = "non-zero padding bits",
      [CRV_WKDM_E_SPARSE] = "sparse record out of the page, unaligned, out of order or zero",
  };
  if (status < 0 || status >= CRV_WKDM_E_COUNT)
    return "unknown WKdm error";
  return msg[status];
}

const char *crvi_wkdm_kind_name(int kind)
{
  static const char *const names[CRV_WKDM_KIND_COUNT] = {
      [CRV_WKDM_KIND_NONE] = "none",     [CRV_WKDM_KIND_CLASSIC] = "classic",
      [CRV_WKDM_KIND_APPLE] = "apple",   [CRV_WKDM_KIND_SPARSE] = "apple-sparse",
      [CRV_WKDM_KIND_SINGLE] = "single-value", [CRV_WKDM_KIND_RAW] = "stored",
  };
  if (kind < 0 || kind >= CRV_WKDM_KIND_COUNT)
    return "unknown";
  return names[kind];
}
