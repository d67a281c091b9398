/* SPDX-License-Identifier: MIT */
/* Finding the interpreter's type objects in decompressed pages whose original addresses
 * are unknown (see pages.h). A page keeps the low 12 bits of every address inside it, so:
 *  1. PyType_Type is the object whose ob_type word V has the low 12 bits of the object's
 *     own page offset (self-reference modulo the page), with the TYPE_SUBCLASS flag and
 *     the item size and size range of PyHeapTypeObject (tp_name cannot be followed);
 *     among several such values the one most words in the pages refer to wins.
 *  2. The static str and bytes types are objects whose ob_type is V, with the
 *     UNICODE/BYTES subclass flag, no HEAPTYPE flag and the basic size of some layout.
 *     Their page offsets are known, not their addresses.
 *  3. The address of each is the value most often found in the pages with that page
 *     offset within 64 MiB of V (every str object points to the str type; the type
 *     objects sit in the same data section as PyType_Type), or exact when it shares
 *     V's page.
 * A type object that straddles two pages is not seen. The result is checked by the carving
 * itself: objects must still validate, and hashes are checked when the key is found. */
#include <stdlib.h>
#include <string.h>
#include "pages.h"
#include "util/span.h"
#include "validators/validators.h"

#define TPFLAGS_HEAPTYPE (1ull << 9)
#define NEAR (64ull << 20)   /* type objects of one image lie this close to PyType_Type */
#define MAX_SELF 16u         /* distinct PyType_Type candidates compared */
#define WINDOW_PAGES (2 * NEAR / CRV_WKDM_PAGE)

static uint64_t word_at(const uint8_t *p, unsigned w)
{
  return span_word(p, w);
}

static int read_type(const struct crv_header_layout *h, const uint8_t *page, size_t start,
                     struct crv_typeobj_info *ti)
{
  size_t need = (size_t)h->tp_flags + h->ptr_size;
  if (start + need > CRV_WKDM_PAGE)
    return -1;
  return crvi_read_type_object(h, page + start, need, ti) == CRV_VALID ? 0 : -1;
}

static int looks_like_type_type(const struct crv_header_layout *h, const struct crv_typeobj_info *ti)
{
  const unsigned w = h->ptr_size;
  return (ti->tp_flags & CRV_TPFLAGS_TYPE_SUBCLASS) && ti->tp_itemsize == 5u * w &&
         ti->tp_basicsize >= 100u * w && ti->tp_basicsize <= 160u * w;
}

struct found {
  size_t page;      /* index in the set */
  size_t start;     /* offset of the object in the page */
  uint64_t basicsize;
  int fam;
};

/* The most frequent value near v with page offset off (or exact when on v's page). */
static uint64_t resolve(const struct crv_wkdm_set *set, const struct crv_header_layout *h,
                        uint64_t v, size_t v_page, const struct found *f, uint32_t *counts,
                        unsigned *best_count)
{
  const unsigned w = h->ptr_size;
  *best_count = 0;
  if (f->page == v_page) {
    *best_count = UINT32_MAX;
    return (v & ~(uint64_t)(CRV_WKDM_PAGE - 1)) + f->start;
  }
  uint64_t lo = v > NEAR ? (v - NEAR) & ~(uint64_t)(CRV_WKDM_PAGE - 1) : 0;
  memset(counts, 0, WINDOW_PAGES * sizeof *counts);
  for (size_t k = 0; k < set->n; k++) {
    const uint8_t *p = set->mem + k * CRV_WKDM_PAGE;
    for (size_t o = 0; o + w <= CRV_WKDM_PAGE; o += w) {
      uint64_t x = word_at(p + o, w);
      if ((x & (CRV_WKDM_PAGE - 1)) != f->start || x < lo || x - lo >= WINDOW_PAGES * CRV_WKDM_PAGE)
        continue;
      counts[(x - lo) / CRV_WKDM_PAGE]++;
    }
  }
  uint64_t best = 0;
  for (size_t i = 0; i < WINDOW_PAGES; i++)
    if (counts[i] > *best_count) {
      *best_count = counts[i];
      best = lo + i * CRV_WKDM_PAGE + f->start;
    }
  return best;
}

static int try_header(const struct crv_wkdm_set *set, struct crv_space *s,
                      const struct crv_header_layout *h, struct crv_pytypes *out,
                      uint32_t *counts, const volatile sig_atomic_t *stop)
{
  const unsigned w = h->ptr_size;
  uint64_t cand[MAX_SELF];
  size_t cand_page[MAX_SELF], n_cand = 0;
  /* 1. self-referential type objects (modulo the page) */
  for (size_t k = 0; k < set->n && n_cand < MAX_SELF; k++) {
    const uint8_t *p = set->mem + k * CRV_WKDM_PAGE;
    if (stop && *stop)
      return 0;
    for (size_t o = h->off_type; o + w <= CRV_WKDM_PAGE && n_cand < MAX_SELF; o += w) {
      uint64_t v = word_at(p + o, w);
      size_t start = o - h->off_type;
      if (v == 0 || (v & (CRV_WKDM_PAGE - 1)) != start)
        continue;
      struct crv_typeobj_info ti;
      if (read_type(h, p, start, &ti) != 0 || !looks_like_type_type(h, &ti))
        continue;
      size_t i = 0;
      while (i < n_cand && cand[i] != v)
        i++;
      if (i == n_cand) {
        cand[n_cand] = v;
        cand_page[n_cand++] = k;
      }
    }
  }
  if (n_cand == 0)
    return 0;
  /* 2. which one do the most words refer to */
  uint64_t refs[MAX_SELF] = {0};
  if (n_cand > 1) {
    for (size_t k = 0; k < set->n; k++) {
      const uint8_t *p = set->mem + k * CRV_WKDM_PAGE;
      for (size_t o = 0; o + w <= CRV_WKDM_PAGE; o += w) {
        uint64_t x = word_at(p + o, w);
        for (size_t i = 0; i < n_cand; i++)
          refs[i] += x == cand[i];
      }
    }
  }
  size_t best = 0;
  for (size_t i = 1; i < n_cand; i++)
    if (refs[i] > refs[best])
      best = i;
  const uint64_t v = cand[best];
  /* 3. the static str and bytes types among the objects whose type is v */
  struct found text = {0}, bytes = {0};
  int have_text = 0, have_bytes = 0;
  for (size_t k = 0; k < set->n && !(have_text && have_bytes); k++) {
    const uint8_t *p = set->mem + k * CRV_WKDM_PAGE;
    for (size_t o = h->off_type; o + w <= CRV_WKDM_PAGE; o += w) {
      if (word_at(p + o, w) != v)
        continue;
      size_t start = o - h->off_type;
      struct crv_typeobj_info ti;
      if (read_type(h, p, start, &ti) != 0)
        continue;
      int is_text = (ti.tp_flags & CRV_TPFLAGS_UNICODE_SUBCLASS) != 0;
      int is_bytes = (ti.tp_flags & CRV_TPFLAGS_BYTES_SUBCLASS) != 0;
      if (is_text == is_bytes || (ti.tp_flags & TPFLAGS_HEAPTYPE))
        continue;
      int fam = crvi_layout_basicsize_family(h, is_text, ti.tp_basicsize, ti.tp_itemsize);
      if (!fam)
        continue;
      struct found f = {.page = k, .start = start, .basicsize = ti.tp_basicsize, .fam = fam};
      if (is_text && !have_text) {
        text = f;
        have_text = 1;
      } else if (is_bytes && !have_bytes) {
        bytes = f;
        have_bytes = 1;
      }
    }
  }
  if (!have_text || !have_bytes || text.fam != bytes.fam)
    return 0;
  /* 4. their addresses */
  unsigned ct, cb;
  uint64_t ta = resolve(set, h, v, cand_page[best], &text, counts, &ct);
  uint64_t ba = resolve(set, h, v, cand_page[best], &bytes, counts, &cb);
  if (!ta || !ba || ct < 2 || cb < 2)
    return 0;
  memset(out, 0, sizeof *out);
  out->hdr = h;
  out->type_type = v;
  out->text_type = ta;
  out->bytes_type = ba;
  out->text_basicsize = text.basicsize;
  out->bytes_basicsize = bytes.basicsize;
  out->py2 = text.fam == 2;
  size_t ri = crvi_space_index(s, set->p[cand_page[best]].addr);
  out->image_first = out->image_last = ri < s->n ? ri : 0;
  for (size_t i = 0; i < crvi_layout_count() && out->n_candidates < CRV_MAX_LAYOUT_CANDIDATES; i++) {
    const struct crv_layout *l = crvi_layout_at(i);
    const struct crv_header_layout *lh = l->hdr;
    uint64_t text_bs = l->pep393 ? l->pep393->basicsize : l->ubuf->basicsize;
    if (lh->ptr_size == h->ptr_size && lh->off_type == h->off_type && lh->tp_name == h->tp_name &&
        lh->tp_flags == h->tp_flags && out->py2 == l->bytes_is_str27 &&
        text_bs == out->text_basicsize && l->bytes->basicsize == out->bytes_basicsize)
      out->candidates[out->n_candidates++] = l;
  }
  return out->n_candidates > 0;
}

crv_err crvi_wkdm_find_types(const struct crv_wkdm_set *set, struct crv_space *s,
                             struct crv_pytypes *out, const volatile sig_atomic_t *stop)
{
  uint32_t *counts = malloc(WINDOW_PAGES * sizeof *counts);
  crv_err e = CRV_ERR_UNSUPPORTED;
  if (!counts)
    return CRV_ERR_NOMEM;
  memset(out, 0, sizeof *out);
  /* 64-bit header variants first: far more common, and their checks are stricter */
  for (int pass = 0; pass < 2 && e != CRV_OK; pass++) {
    for (size_t i = 0; i < crvi_header_count(); i++) {
      const struct crv_header_layout *h = crvi_header_at(i);
      if ((h->ptr_size == 8) != (pass == 0))
        continue;
      if (try_header(set, s, h, out, counts, stop)) {
        e = CRV_OK;
        break;
      }
      if (stop && *stop) {
        e = CRV_ERR_ABORTED;
        break;
      }
    }
  }
  free(counts);
  return e;
}
