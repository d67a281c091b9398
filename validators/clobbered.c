/* SPDX-License-Identifier: MIT */
/* Objects whose header glibc malloc clobbered on free (§6.3). Values over 512 bytes live
 * in malloc chunks: free() writes the first two words (tcache next/key, or fd/bk), and for
 * chunks of 1 KiB and more also the next two (fd/bk_nextsize), so refcount, type and, for
 * large chunks, length and hash are gone. What survives is proven instead: the state byte,
 * the NUL where the chunk size says the value ends, the canonical kind, and the hash when
 * it survived. */
#include <string.h>
#include "validators.h"
#include "util/span.h"

#define MALLOC_ALIGN 16u /* glibc MALLOC_ALIGNMENT on x86-64 and i386 */
#define HDR_MAX 128u

static const char *const proof_names[CRV_PROOF_COUNT] = {
    [CRV_PROOF_NONE] = NULL,
    [CRV_PROOF_HASH] = "hash",
    [CRV_PROOF_STATE_NUL_SIZE] = "state+nul+chunk-size",
    [CRV_PROOF_LENGTH_NUL_SIZE] = "length+nul+chunk-size",
    [CRV_PROOF_NUL_SIZE] = "nul+chunk-size",
    [CRV_PROOF_STATE_NUL] = "state+nul",
};

const char *crvi_proof_name(int proof)
{
  return proof > 0 && proof < CRV_PROOF_COUNT ? proof_names[proof] : NULL;
}

uint64_t crvi_malloc_chunk_for(unsigned ptr_size, uint64_t request)
{
  uint64_t cs = (request + ptr_size + MALLOC_ALIGN - 1) & ~(uint64_t)(MALLOC_ALIGN - 1);
  return cs < 4u * ptr_size ? 4u * ptr_size : cs;
}

int crvi_malloc_chunk_fits(unsigned ptr_size, uint64_t request, uint64_t cs)
{
  /* malloc hands out a whole free chunk when splitting would leave less than MINSIZE
   * (4 * SIZE_SZ), so a chunk may exceed the exact size by up to MINSIZE - 16. */
  uint64_t exact = crvi_malloc_chunk_for(ptr_size, request);
  return cs >= exact && cs - exact < 4u * ptr_size;
}

int crvi_malloc_size_valid(unsigned ptr_size, uint64_t size_word)
{
  uint64_t cs = size_word & ~(uint64_t)7;
  return cs >= 4u * ptr_size && (cs & (MALLOC_ALIGN - 1)) == 0 && !(size_word & 2u);
}

/* Index of the first zero unit in d[0..n_units), or n_units. */
static uint64_t first_zero_unit(const uint8_t *d, uint64_t n_units, unsigned unit)
{
  for (uint64_t i = 0; i < n_units; i++) {
    uint32_t v = unit == 1 ? d[i] : unit == 2 ? span_u16le(d + 2 * i) : span_u32le(d + 4 * i);
    if (v == 0)
      return i;
  }
  return n_units;
}

static void put_word(uint8_t *p, unsigned w, uint64_t v)
{
  for (unsigned i = 0; i < w; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* Shared tail: length from the field or from the first NUL, checked against the chunk. */
static int settle_length(unsigned w, uint64_t cs, uint64_t data_off, unsigned unit,
                         const uint8_t *u, size_t avail, int64_t len_field, int zeroed,
                         int find_first_nul, uint64_t *len_out)
{
  if (data_off >= avail)
    return CRV_R_SHORT;
  uint64_t room = (avail - data_off) / unit;
  uint64_t len;
  if (zeroed || find_first_nul) {
    len = first_zero_unit(u + data_off, room, unit);
    if (len == room)
      return CRV_R_NUL;
    if (!zeroed && (uint64_t)len_field != len)
      return CRV_R_LENGTH;
  } else {
    if (len_field <= 0 || (uint64_t)len_field >= room)
      return CRV_R_LENGTH;
    len = (uint64_t)len_field;
  }
  if (cs && !crvi_malloc_chunk_fits(w, data_off + (len + 1) * unit, cs))
    return CRV_R_CHUNK_SIZE; /* cs 0: the caller derives and checks the chunk itself */
  *len_out = len;
  return CRV_VALID;
}

int crvi_check_clobbered(const struct crv_layout *l, int is_text, const uint8_t *u, size_t avail,
                         uint64_t user_addr, uint64_t cs, uint64_t max_value,
                         struct crv_obj_info *out, int *proof)
{
  const unsigned w = l->hdr->ptr_size;
  uint8_t h[HDR_MAX];
  uint64_t len;
  int r;
  *proof = CRV_PROOF_NONE;
  if (is_text) {
    const struct crv_pep393_layout *s = l->pep393;
    if (!s || avail < s->compact_data || s->compact_data > sizeof h)
      return CRV_R_SHORT;
    uint32_t state = span_u32le(u + s->off_state);
    unsigned kind = (state >> s->kind_shift) & 7u;
    unsigned ascii = (state >> s->ascii_bit) & 1u, compact = (state >> s->compact_bit) & 1u;
    if (kind != 1 && kind != 2 && kind != 4)
      return CRV_R_KIND;
    if (!compact)
      return CRV_R_DATA_PTR; /* only compact strings are one allocation */
    if (s->static_bit != CRV_NO_BIT && ((state >> s->static_bit) & 1u))
      return CRV_R_STATIC_FREED; /* static strings are never malloc'd */
    int64_t len_field = span_sword(u + s->off_length, w);
    int64_t hash = span_sword(u + s->off_hash, w);
    int zeroed = len_field == 0 && hash == 0;
    uint64_t data_off = ascii ? s->ascii_data : s->compact_data;
    /* Text has no NUL inside (nearly always), so the first NUL ends it. */
    r = settle_length(w, cs, data_off, kind, u, avail, len_field, zeroed, 1, &len);
    if (r != CRV_VALID)
      return r;
    memcpy(h, u, s->compact_data);
    put_word(h + s->off_length, w, len);
    put_word(h + s->off_hash, w, zeroed ? (uint64_t)-1 : (uint64_t)hash);
    r = crvi_check_pep393_header(l, h, s->compact_data, user_addr, max_value, out);
    if (r != CRV_VALID)
      return r;
    if (out->data_addr - user_addr + out->data_bytes + out->unit > avail)
      return CRV_R_SHORT;
    r = crvi_check_pep393_data(out, u + (out->data_addr - user_addr));
    if (r != CRV_VALID)
      return r;
    if (zeroed)
      out->hash = 0; /* as read: glibc zeroed it */
    *proof = zeroed ? CRV_PROOF_STATE_NUL_SIZE : (hash != -1 ? CRV_PROOF_HASH
                                                             : CRV_PROOF_STATE_NUL_SIZE);
    return CRV_VALID;
  }
  const struct crv_bytes_layout *b = l->bytes;
  if (avail < b->off_sval || b->off_sval > sizeof h)
    return CRV_R_SHORT;
  int64_t len_field = span_sword(u + b->off_size, w);
  int64_t hash = span_sword(u + b->off_hash, w);
  int zeroed = len_field == 0 && hash == 0;
  /* Only accept a zeroed header with the large-chunk signature: both free-list links set. */
  if (zeroed && (span_word(u, w) == 0 || span_word(u + w, w) == 0))
    return CRV_R_LENGTH;
  r = settle_length(w, cs, b->off_sval, 1, u, avail, len_field, zeroed, 0, &len);
  if (r != CRV_VALID)
    return r;
  memcpy(h, u, b->off_sval);
  put_word(h + b->off_size, w, len);
  put_word(h + b->off_hash, w, zeroed ? (uint64_t)-1 : (uint64_t)hash);
  r = crvi_check_bytes_header(l, h, b->off_sval, user_addr, max_value, out);
  if (r != CRV_VALID)
    return r;
  r = crvi_check_nul(out, u + b->off_sval);
  if (r != CRV_VALID)
    return r;
  if (zeroed)
    out->hash = 0;
  *proof = zeroed ? CRV_PROOF_NUL_SIZE : (hash != -1 ? CRV_PROOF_HASH : CRV_PROOF_LENGTH_NUL_SIZE);
  return CRV_VALID;
}
