/* SPDX-License-Identifier: MIT */
/* Unit tests for layouts/layouts.c: the table is internally consistent, and its numbers
 * agree with shared/reference/cpython-layouts.md (the expected values below are copied
 * from the reference's tables, section by section, not from the code). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "layouts/layout.h"

#define NF CRV_NO_FIELD

/* ---- consistency of every entry ------------------------------------------------------ */

static int header_listed(const struct crv_header_layout *h)
{
  for (size_t i = 0; i < crvi_header_count(); i++)
    if (crvi_header_at(i) == h)
      return 1;
  return 0;
}

/* A field of `width` bytes at `off` lies inside [lo, hi). */
static int fits(unsigned off, unsigned width, unsigned lo, unsigned hi)
{
  return off != NF && off >= lo && off + width <= hi;
}

static void check_entry(const struct crv_layout *l)
{
  const struct crv_header_layout *h = l->hdr;
  char want_id[64];
  CHECK(l->id && l->python && l->arch && h && l->str_name && l->bytes_name && l->family_name);
  if (!l->id || !l->python || !l->arch || !h)
    return;
  const unsigned w = h->ptr_size;
  int failures_before = check_failures;

  /* Pointer size and architecture agree. */
  CHECK(w == 4 || w == 8);
  CHECK(strcmp(l->arch, w == 8 ? "x86_64" : "i386") == 0);
  CHECK(header_listed(h));
  /* "cpython-<python>-<arch>", where python may carry a 'd' for a TRACE_REFS build. */
  snprintf(want_id, sizeof want_id, "cpython-%s%s-%s", l->python,
           h->off_refcnt == 16 ? "d" : "", l->arch);
  CHECK_STR(l->id, want_id);
  /* version encodes the same major.minor as the python text. */
  {
    unsigned major = 0, minor = 0;
    CHECK(sscanf(l->python, "%u.%u", &major, &minor) == 2);
    CHECK_EQ_U64(l->version, (major << 8) | minor);
    CHECK(strchr(l->python, 't') ? h->free_threaded : !h->free_threaded);
  }

  /* Header: refcnt word, then ob_type, then ob_size; type-object fields in order. */
  CHECK(h->off_refcnt + w <= h->off_type);
  CHECK_EQ_U64(h->off_size, h->off_type + w);
  CHECK_EQ_U64(h->tp_name, h->off_size + w);
  CHECK_EQ_U64(h->tp_basicsize, h->tp_name + w);
  CHECK_EQ_U64(h->tp_itemsize, h->tp_basicsize + w);
  CHECK(h->tp_flags > h->tp_itemsize && h->tp_flags % w == 0);
  CHECK(h->off_type % w == 0 && h->tp_name % w == 0);
  CHECK(h->tp_flags + w <= 512); /* sizeof(PyTypeObject) is 208..424 (§7.1) */

  /* Exactly one text representation. */
  CHECK(!!l->pep393 + !!l->ubuf == 1);
  CHECK(l->bytes != NULL);

  if (l->pep393) {
    const struct crv_pep393_layout *s = l->pep393;
    const unsigned post = h->off_size; /* first byte after the PyObject header */
    CHECK_EQ_U64(s->off_length, post);
    CHECK(fits(s->off_length, w, post, s->ascii_data));
    CHECK(fits(s->off_hash, w, post, s->ascii_data));
    CHECK(fits(s->off_state, 4, post, s->ascii_data));
    CHECK(s->off_hash % w == 0 && s->off_length % w == 0 && s->off_state % 4 == 0);
    CHECK(s->ascii_data < s->compact_data && s->compact_data <= s->off_data_any);
    CHECK(fits(s->off_utf8_length, w, s->ascii_data, s->compact_data));
    CHECK(fits(s->off_utf8, w, s->ascii_data, s->compact_data));
    CHECK(fits(s->off_data_any, w, s->compact_data, s->basicsize));
    CHECK(s->off_utf8 % w == 0 && s->off_data_any % w == 0);
    /* wstr (3.3-3.11 only) lies inside PyASCIIObject, wstr_length in the compact part. */
    CHECK((s->off_wstr == NF) == (s->off_wstr_length == NF));
    CHECK((s->off_wstr != NF) == (l->version <= 0x030b));
    if (s->off_wstr != NF) {
      CHECK(fits(s->off_wstr, w, post, s->ascii_data));
      CHECK(fits(s->off_wstr_length, w, s->ascii_data, s->compact_data));
    }
    /* The ready bit exists exactly in 3.3-3.11, the static bit from 3.12. */
    CHECK((s->ready_bit != CRV_NO_BIT) == (l->version <= 0x030b));
    CHECK((s->static_bit != CRV_NO_BIT) == (l->version >= 0x030c));
    /* The bit fields do not overlap and fit in 32 bits. */
    {
      uint32_t used = (uint32_t)s->interned_mask << s->interned_shift;
      uint32_t kind = 7u << s->kind_shift;
      CHECK((used & kind) == 0);
      used |= kind;
      const uint8_t bits[] = {s->compact_bit, s->ascii_bit, s->ready_bit, s->static_bit};
      for (size_t i = 0; i < sizeof bits; i++) {
        if (bits[i] == CRV_NO_BIT)
          continue;
        CHECK(bits[i] < 32);
        CHECK((used & (1u << bits[i])) == 0);
        used |= 1u << bits[i];
      }
      /* interned_max must be representable by the mask. */
      CHECK(l->interned_max <= s->interned_mask);
    }
    CHECK_EQ_U64(crvi_layout_text_header_len(l), s->basicsize);
    CHECK_STR(l->str_name, "str");
  } else {
    const struct crv_ubuf_layout *u = l->ubuf;
    CHECK_EQ_U64(u->off_length, h->off_size);
    CHECK(fits(u->off_length, w, h->off_size, u->basicsize));
    CHECK(fits(u->off_str, w, h->off_size, u->basicsize));
    CHECK(fits(u->off_hash, w, h->off_size, u->basicsize));
    CHECK(fits(u->off_defenc, w, h->off_size, u->basicsize));
    if (u->off_state != NF)
      CHECK(fits(u->off_state, 4, h->off_size, u->basicsize));
    CHECK(u->unit == 4 || u->unit == 2);
    CHECK(u->off_str % w == 0 && u->off_defenc % w == 0);
    CHECK_EQ_U64(crvi_layout_text_header_len(l), u->basicsize);
    /* 2.7 has no state field; 3.0-3.2 do. */
    CHECK((u->off_state == NF) == (l->version < 0x0300));
  }

  {
    const struct crv_bytes_layout *b = l->bytes;
    CHECK_EQ_U64(b->off_size, h->off_size);
    CHECK(fits(b->off_size, w, h->off_size, b->off_sval));
    CHECK(fits(b->off_hash, w, h->off_size, b->off_sval));
    CHECK_EQ_U64(b->off_sval + 1, b->basicsize);
    CHECK_EQ_U64(crvi_layout_bytes_header_len(l), b->off_sval);
    CHECK((b->off_sstate != NF) == !!l->bytes_is_str27);
    if (b->off_sstate != NF)
      CHECK(fits(b->off_sstate, 4, b->off_hash + w, b->off_sval));
  }

  /* Names: 2.7 has unicode/str, 3.x str/bytes. */
  if (l->version < 0x0300) {
    CHECK(l->bytes_is_str27);
    CHECK(l->ubuf != NULL);
    CHECK_STR(l->str_name, "unicode");
    CHECK_STR(l->bytes_name, "str");
  } else {
    CHECK(!l->bytes_is_str27);
    CHECK_STR(l->str_name, "str");
    CHECK_STR(l->bytes_name, "bytes");
  }

  /* Hash algorithm per version (§5.1): 2.7, 3.0-3.3 FNV-like; 3.4-3.10 SipHash-2-4;
   * 3.11+ SipHash-1-3. */
  if (l->version <= 0x0303)
    CHECK_EQ_U64(l->hash, CRV_HASHALG_FNV27);
  else if (l->version <= 0x030a)
    CHECK_EQ_U64(l->hash, CRV_HASHALG_SIP24);
  else
    CHECK_EQ_U64(l->hash, CRV_HASHALG_SIP13);

  /* Interned states (§4.2): 0..2 up to 3.11, 0..3 from 3.12. */
  CHECK_EQ_U64(l->interned_max, l->version <= 0x030b ? 2 : 3);

  /* Immortality (§1.2, §1.3). */
  if (h->free_threaded)
    CHECK_EQ_U64(l->immortal, CRV_IMMORTAL_FT);
  else if (l->version <= 0x030b)
    CHECK_EQ_U64(l->immortal, CRV_IMMORTAL_NONE);
  else if (l->version <= 0x030d)
    CHECK_EQ_U64(l->immortal, CRV_IMMORTAL_LOW32);
  else
    CHECK_EQ_U64(l->immortal, CRV_IMMORTAL_FLAGS);

  if (check_failures != failures_before)
    fprintf(stderr, "  ^ in layout %s\n", l->id);
}

static void test_consistency(void)
{
  size_t n = crvi_layout_count();
  CHECK(n >= 40);
  CHECK(crvi_layout_at(n) == NULL);
  CHECK(crvi_header_at(crvi_header_count()) == NULL);
  for (size_t i = 0; i < n; i++) {
    const struct crv_layout *l = crvi_layout_at(i);
    CHECK(l != NULL);
    if (!l)
      continue;
    check_entry(l);
    for (size_t j = i + 1; j < n; j++) {
      const struct crv_layout *m = crvi_layout_at(j);
      /* Ids unique. */
      if (strcmp(l->id, m->id) == 0) {
        CHECK(!"duplicate layout id");
        fprintf(stderr, "  duplicate id %s\n", l->id);
      }
      /* A family shares every offset, its name and its arch. */
      if (l->family == m->family) {
        CHECK(l->hdr == m->hdr);
        CHECK(l->pep393 == m->pep393 && l->ubuf == m->ubuf && l->bytes == m->bytes);
        CHECK_STR(l->family_name, m->family_name);
        CHECK_STR(l->arch, m->arch);
      } else {
        /* Different families differ in something the type objects show, or in arch. */
        int same = l->hdr == m->hdr && l->pep393 == m->pep393 && l->ubuf == m->ubuf &&
                   l->bytes == m->bytes;
        CHECK(!same);
      }
    }
  }
  /* Header names unique. */
  for (size_t i = 0; i < crvi_header_count(); i++)
    for (size_t j = i + 1; j < crvi_header_count(); j++)
      CHECK(strcmp(crvi_header_at(i)->name, crvi_header_at(j)->name) != 0);
}

/* ---- crvi_layout_find ------------------------------------------------------------------ */

static void find_is(const char *python, unsigned ptr, int ft, const char *id)
{
  const struct crv_layout *l = crvi_layout_find(python, ptr, ft);
  check_count++;
  if (id == NULL ? l != NULL : (l == NULL || strcmp(l->id, id) != 0)) {
    check_failures++;
    fprintf(stderr, "%s:%d: crvi_layout_find(\"%s\", %u, %d) = %s, want %s\n", __FILE__,
            __LINE__, python, ptr, ft, l ? l->id : "NULL", id ? id : "NULL");
  }
}

static void test_find(void)
{
  find_is("3.11", 8, 0, "cpython-3.11-x86_64");
  find_is("3.11", 4, 0, "cpython-3.11-i386");
  find_is("3.1", 8, 0, "cpython-3.1-x86_64"); /* not a prefix match of 3.11 */
  find_is("3.12", 8, 0, "cpython-3.12-x86_64");
  find_is("3.14", 4, 0, "cpython-3.14-i386");
  find_is("3.9", 8, 0, "cpython-3.9-x86_64");
  find_is("3.15", 8, 0, "cpython-3.15-x86_64");
  find_is("2.7", 8, 0, "cpython-2.7-x86_64"); /* never the debug (TRACE_REFS) layout */
  find_is("2.7", 4, 0, "cpython-2.7-i386");
  find_is("3.13t", 8, 1, "cpython-3.13t-x86_64");
  find_is("3.14t", 8, 1, "cpython-3.14t-x86_64");
  find_is("3.14t", 4, 1, "cpython-3.14t-i386");
  /* Misses. */
  find_is("3.13t", 8, 0, NULL);
  find_is("3.13", 8, 1, NULL);
  find_is("3.16", 8, 0, NULL);
  find_is("3.11", 2, 0, NULL);
  find_is("3.11", 16, 0, NULL);
  find_is("3.11 ", 8, 0, NULL);
  find_is("3", 8, 0, NULL);
  find_is("", 8, 0, NULL);
  find_is("2.7d", 8, 0, NULL);
  find_is("2.6", 8, 0, NULL);
}

/* ---- agreement with the reference tables ---------------------------------------------- */

/* §4.1 PEP 393 offsets: length, hash, state, wstr, ascii-data, utf8_length, utf8,
 * wstr_length, compact data, data.any, basicsize. NF = "—" in the reference. */
struct ref_str {
  const char *python;
  unsigned ptr;
  int ft;
  unsigned v[11];
};
static const struct ref_str ref_str[] = {
    /* 3.3–3.11 LP64 */
    {"3.3", 8, 0, {16, 24, 32, 40, 48, 48, 56, 64, 72, 72, 80}},
    {"3.9", 8, 0, {16, 24, 32, 40, 48, 48, 56, 64, 72, 72, 80}},
    {"3.11", 8, 0, {16, 24, 32, 40, 48, 48, 56, 64, 72, 72, 80}},
    /* 3.12–3.15 LP64 */
    {"3.12", 8, 0, {16, 24, 32, NF, 40, 40, 48, NF, 56, 56, 64}},
    {"3.14", 8, 0, {16, 24, 32, NF, 40, 40, 48, NF, 56, 56, 64}},
    {"3.15", 8, 0, {16, 24, 32, NF, 40, 40, 48, NF, 56, 56, 64}},
    /* 3.3–3.11 ILP32 */
    {"3.9", 4, 0, {8, 12, 16, 20, 24, 24, 28, 32, 36, 36, 40}},
    {"3.11", 4, 0, {8, 12, 16, 20, 24, 24, 28, 32, 36, 36, 40}},
    /* 3.12–3.15 ILP32 */
    {"3.12", 4, 0, {8, 12, 16, NF, 20, 20, 24, NF, 28, 28, 32}},
    {"3.14", 4, 0, {8, 12, 16, NF, 20, 20, 24, NF, 28, 28, 32}},
    /* FT 3.13–3.15 LP64 */
    {"3.13t", 8, 1, {32, 40, 48, NF, 56, 56, 64, NF, 72, 72, 80}},
    {"3.14t", 8, 1, {32, 40, 48, NF, 56, 56, 64, NF, 72, 72, 80}},
    {"3.15t", 8, 1, {32, 40, 48, NF, 56, 56, 64, NF, 72, 72, 80}},
    /* FT 3.14 ILP32 */
    {"3.14t", 4, 1, {20, 24, 28, NF, 32, 32, 36, NF, 40, 40, 44}},
};

/* §3 bytes: ob_size, ob_shash, ob_sval, basicsize. §2.1 2.7 str adds ob_sstate. */
struct ref_bytes {
  const char *python;
  unsigned ptr;
  int ft;
  unsigned size, hash, sstate, sval, basicsize;
};
static const struct ref_bytes ref_bytes[] = {
    {"3.9", 8, 0, 16, 24, NF, 32, 33},   {"3.12", 8, 0, 16, 24, NF, 32, 33},
    {"3.15", 8, 0, 16, 24, NF, 32, 33},  {"3.9", 4, 0, 8, 12, NF, 16, 17},
    {"3.14", 4, 0, 8, 12, NF, 16, 17},   {"3.13t", 8, 1, 32, 40, NF, 48, 49},
    {"3.14t", 8, 1, 32, 40, NF, 48, 49}, {"3.14t", 4, 1, 20, 24, NF, 28, 29},
    {"2.7", 8, 0, 16, 24, 32, 36, 37},   {"2.7", 4, 0, 8, 12, 16, 20, 21},
};

/* §2.2 2.7 unicode, §2.3 3.0-3.2 str: length, str, hash, state, defenc, basicsize. */
struct ref_ubuf {
  const char *python;
  unsigned ptr;
  unsigned length, str, hash, state, defenc, basicsize;
};
static const struct ref_ubuf ref_ubuf[] = {
    {"2.7", 8, 16, 24, 32, NF, 40, 48}, {"2.7", 4, 8, 12, 16, NF, 20, 24},
    {"3.0", 8, 16, 24, 32, 40, 48, 56}, {"3.2", 8, 16, 24, 32, 40, 48, 56},
    {"3.1", 4, 8, 12, 16, 20, 24, 28},
};

/* §1.1, §1.3, §7.1 headers: ob_refcnt, ob_type, ob_size, tp_name, tp_basicsize,
 * tp_itemsize, tp_flags. */
struct ref_hdr {
  const char *python;
  unsigned ptr;
  int ft;
  unsigned refcnt, type, size, tp_name, tp_basicsize, tp_itemsize, tp_flags;
};
static const struct ref_hdr ref_hdr[] = {
    {"2.7", 8, 0, 0, 8, 16, 24, 32, 40, 168},    {"3.11", 8, 0, 0, 8, 16, 24, 32, 40, 168},
    {"3.14", 8, 0, 0, 8, 16, 24, 32, 40, 168},   {"2.7", 4, 0, 0, 4, 8, 12, 16, 20, 84},
    {"3.14", 4, 0, 0, 4, 8, 12, 16, 20, 84},     {"3.13t", 8, 1, 0, 24, 32, 40, 48, 56, 184},
    {"3.14t", 4, 1, 0, 16, 20, 24, 28, 32, 96},
};

static void test_reference_values(void)
{
  for (size_t i = 0; i < sizeof ref_str / sizeof ref_str[0]; i++) {
    const struct ref_str *r = &ref_str[i];
    const struct crv_layout *l = crvi_layout_find(r->python, r->ptr, r->ft);
    CHECK(l && l->pep393);
    if (!l || !l->pep393)
      continue;
    const struct crv_pep393_layout *s = l->pep393;
    const unsigned got[11] = {s->off_length, s->off_hash,      s->off_state,  s->off_wstr,
                              s->ascii_data, s->off_utf8_length, s->off_utf8, s->off_wstr_length,
                              s->compact_data, s->off_data_any, s->basicsize};
    for (int k = 0; k < 11; k++) {
      check_count++;
      if (got[k] != r->v[k]) {
        check_failures++;
        fprintf(stderr, "%s:%d: %s ptr %u str field %d: %u != reference %u\n", __FILE__,
                __LINE__, l->id, r->ptr, k, got[k], r->v[k]);
      }
    }
  }
  for (size_t i = 0; i < sizeof ref_bytes / sizeof ref_bytes[0]; i++) {
    const struct ref_bytes *r = &ref_bytes[i];
    const struct crv_layout *l = crvi_layout_find(r->python, r->ptr, r->ft);
    CHECK(l != NULL);
    if (!l)
      continue;
    CHECK_EQ_U64(l->bytes->off_size, r->size);
    CHECK_EQ_U64(l->bytes->off_hash, r->hash);
    CHECK_EQ_U64(l->bytes->off_sstate, r->sstate);
    CHECK_EQ_U64(l->bytes->off_sval, r->sval);
    CHECK_EQ_U64(l->bytes->basicsize, r->basicsize);
  }
  for (size_t i = 0; i < sizeof ref_ubuf / sizeof ref_ubuf[0]; i++) {
    const struct ref_ubuf *r = &ref_ubuf[i];
    const struct crv_layout *l = crvi_layout_find(r->python, r->ptr, 0);
    CHECK(l && l->ubuf);
    if (!l || !l->ubuf)
      continue;
    CHECK_EQ_U64(l->ubuf->off_length, r->length);
    CHECK_EQ_U64(l->ubuf->off_str, r->str);
    CHECK_EQ_U64(l->ubuf->off_hash, r->hash);
    CHECK_EQ_U64(l->ubuf->off_state, r->state);
    CHECK_EQ_U64(l->ubuf->off_defenc, r->defenc);
    CHECK_EQ_U64(l->ubuf->basicsize, r->basicsize);
    CHECK_EQ_U64(l->ubuf->unit, 4); /* Linux builds are UCS4 (§2.2) */
  }
  for (size_t i = 0; i < sizeof ref_hdr / sizeof ref_hdr[0]; i++) {
    const struct ref_hdr *r = &ref_hdr[i];
    const struct crv_layout *l = crvi_layout_find(r->python, r->ptr, r->ft);
    CHECK(l != NULL);
    if (!l)
      continue;
    CHECK_EQ_U64(l->hdr->ptr_size, r->ptr);
    CHECK_EQ_U64(l->hdr->off_refcnt, r->refcnt);
    CHECK_EQ_U64(l->hdr->off_type, r->type);
    CHECK_EQ_U64(l->hdr->off_size, r->size);
    CHECK_EQ_U64(l->hdr->tp_name, r->tp_name);
    CHECK_EQ_U64(l->hdr->tp_basicsize, r->tp_basicsize);
    CHECK_EQ_U64(l->hdr->tp_itemsize, r->tp_itemsize);
    CHECK_EQ_U64(l->hdr->tp_flags, r->tp_flags);
  }

  /* The debug (TRACE_REFS) 2.7 build: every offset +16, str basicsize 53, unicode 64 (§1.1,
   * §2.1). It is not reachable by name, so look it up by id. */
  const struct crv_layout *dbg = NULL;
  for (size_t i = 0; i < crvi_layout_count(); i++)
    if (strcmp(crvi_layout_at(i)->id, "cpython-2.7d-x86_64") == 0)
      dbg = crvi_layout_at(i);
  CHECK(dbg != NULL);
  if (dbg) {
    CHECK_EQ_U64(dbg->hdr->off_refcnt, 16);
    CHECK_EQ_U64(dbg->hdr->off_type, 24);
    CHECK_EQ_U64(dbg->hdr->off_size, 32);
    CHECK_EQ_U64(dbg->hdr->tp_name, 40);
    CHECK_EQ_U64(dbg->hdr->tp_flags, 184);
    CHECK_EQ_U64(dbg->bytes->off_sval, 52);
    CHECK_EQ_U64(dbg->bytes->basicsize, 53);
    CHECK_EQ_U64(dbg->ubuf->basicsize, 64);
    CHECK_EQ_U64(dbg->ubuf->off_str, 24 + 16);
  }

  /* §4.2 state bits. GIL builds and FT 3.13: interned bits 0-1, kind 2-4, compact 5,
   * ascii 6, bit 7 ready (<= 3.11) or statically_allocated (3.12+). */
  const char *gil[] = {"3.3", "3.11", "3.12", "3.15"};
  for (size_t i = 0; i < 4; i++) {
    for (unsigned ptr = 4; ptr <= 8; ptr += 4) {
      const struct crv_layout *l = crvi_layout_find(gil[i], ptr, 0);
      CHECK(l && l->pep393);
      if (!l || !l->pep393)
        continue;
      const struct crv_pep393_layout *s = l->pep393;
      CHECK_EQ_U64(s->interned_shift, 0);
      CHECK_EQ_U64(s->interned_mask, 3);
      CHECK_EQ_U64(s->kind_shift, 2);
      CHECK_EQ_U64(s->compact_bit, 5);
      CHECK_EQ_U64(s->ascii_bit, 6);
      if (l->version <= 0x030b) {
        CHECK_EQ_U64(s->ready_bit, 7);
        CHECK_EQ_U64(s->static_bit, CRV_NO_BIT);
      } else {
        CHECK_EQ_U64(s->ready_bit, CRV_NO_BIT);
        CHECK_EQ_U64(s->static_bit, 7);
      }
    }
  }
  {
    const struct crv_layout *l = crvi_layout_find("3.13t", 8, 1);
    CHECK(l && l->pep393 && l->pep393->kind_shift == 2 && l->pep393->compact_bit == 5 &&
          l->pep393->ascii_bit == 6 && l->pep393->static_bit == 7);
  }
  /* FT 3.14/3.15: interned byte 0, kind 8-10, compact 11, ascii 12, static 13. */
  const char *ft[] = {"3.14t", "3.15t"};
  for (size_t i = 0; i < 2; i++) {
    const struct crv_layout *l = crvi_layout_find(ft[i], 8, 1);
    CHECK(l && l->pep393);
    if (!l || !l->pep393)
      continue;
    CHECK_EQ_U64(l->pep393->interned_shift, 0);
    CHECK_EQ_U64(l->pep393->interned_mask, 0xFF);
    CHECK_EQ_U64(l->pep393->kind_shift, 8);
    CHECK_EQ_U64(l->pep393->compact_bit, 11);
    CHECK_EQ_U64(l->pep393->ascii_bit, 12);
    CHECK_EQ_U64(l->pep393->static_bit, 13);
    CHECK_EQ_U64(l->pep393->ready_bit, CRV_NO_BIT);
  }

  /* §5.1 algorithms for a selection of versions, and §1.2 immortality. */
  struct {
    const char *python;
    unsigned ptr;
    int ft;
    enum crv_hash_algo algo;
    unsigned imax;
    unsigned immortal;
  } const hv[] = {
      {"2.7", 8, 0, CRV_HASHALG_FNV27, 2, CRV_IMMORTAL_NONE},
      {"2.7", 4, 0, CRV_HASHALG_FNV27, 2, CRV_IMMORTAL_NONE},
      {"3.3", 8, 0, CRV_HASHALG_FNV27, 2, CRV_IMMORTAL_NONE},
      {"3.4", 8, 0, CRV_HASHALG_SIP24, 2, CRV_IMMORTAL_NONE},
      {"3.9", 4, 0, CRV_HASHALG_SIP24, 2, CRV_IMMORTAL_NONE},
      {"3.10", 8, 0, CRV_HASHALG_SIP24, 2, CRV_IMMORTAL_NONE},
      {"3.11", 8, 0, CRV_HASHALG_SIP13, 2, CRV_IMMORTAL_NONE},
      {"3.12", 8, 0, CRV_HASHALG_SIP13, 3, CRV_IMMORTAL_LOW32},
      {"3.13", 4, 0, CRV_HASHALG_SIP13, 3, CRV_IMMORTAL_LOW32},
      {"3.14", 8, 0, CRV_HASHALG_SIP13, 3, CRV_IMMORTAL_FLAGS},
      {"3.14", 4, 0, CRV_HASHALG_SIP13, 3, CRV_IMMORTAL_FLAGS},
      {"3.15", 8, 0, CRV_HASHALG_SIP13, 3, CRV_IMMORTAL_FLAGS},
      {"3.13t", 8, 1, CRV_HASHALG_SIP13, 3, CRV_IMMORTAL_FT},
      {"3.14t", 4, 1, CRV_HASHALG_SIP13, 3, CRV_IMMORTAL_FT},
  };
  for (size_t i = 0; i < sizeof hv / sizeof hv[0]; i++) {
    const struct crv_layout *l = crvi_layout_find(hv[i].python, hv[i].ptr, hv[i].ft);
    CHECK(l != NULL);
    if (!l)
      continue;
    CHECK_EQ_U64(l->hash, hv[i].algo);
    CHECK_EQ_U64(l->interned_max, hv[i].imax);
    CHECK_EQ_U64(l->immortal, hv[i].immortal);
  }

  /* §7.2: the str/bytes basicsize a type object shows must be the table's, per family. */
  struct {
    const char *python;
    unsigned ptr;
    unsigned str_bs, bytes_bs;
  } const ts[] = {
      {"2.7", 8, 48, 37}, {"3.9", 8, 80, 33},  {"3.11", 8, 80, 33}, {"3.12", 8, 64, 33},
      {"3.15", 8, 64, 33}, {"3.9", 4, 40, 17}, {"3.14", 4, 32, 17},
  };
  for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
    const struct crv_layout *l = crvi_layout_find(ts[i].python, ts[i].ptr, 0);
    CHECK(l != NULL);
    if (!l)
      continue;
    CHECK_EQ_U64(crvi_layout_text_header_len(l), ts[i].str_bs);
    CHECK_EQ_U64(l->bytes->basicsize, ts[i].bytes_bs);
  }
}

int main(void)
{
  test_consistency();
  test_find();
  test_reference_values();
  return CHECK_DONE();
}
