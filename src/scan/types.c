/* SPDX-License-Identifier: MIT */
/* Finding the interpreter without symbols (§7.3): PyType_Type is the one object whose
 * ob_type points to itself and whose tp_name is "type"; the static str/bytes types sit in
 * the same image data mapping and point to it. Static types live in the interpreter's
 * small data mapping, so small regions are searched first and large ones only if needed. */
#include <stdlib.h>
#include <string.h>
#include "scan.h"
#include "util/limits.h"
#include "util/span.h"
#include "validators/validators.h"

#define TYPE_OBJ_READ 512u /* covers tp_flags in every header variant */

/* Reads a NUL-terminated name at addr into buf (cap bytes incl. NUL). 0 on success. */
static int read_name(struct crv_space *s, uint64_t addr, char *buf, size_t cap)
{
  size_t got = crvi_space_read(s, addr, buf, cap - 1);
  buf[got] = '\0';
  return memchr(buf, '\0', got) ? 0 : -1; /* the name must end inside what was read */
}

/* Reads the type object at addr; *name_ok tells whether tp_name was readable (it points
 * into read-only data, which some dumps leave out). 0 when the object was readable. */
static int read_type(struct crv_space *s, const struct crv_header_layout *h, uint64_t addr,
                     struct crv_typeobj_info *ti, char *name, size_t name_cap, int *name_ok)
{
  uint8_t t[TYPE_OBJ_READ];
  size_t need = (size_t)h->tp_flags + h->ptr_size;
  size_t got = crvi_space_read(s, addr, t, need);
  if (crvi_read_type_object(h, t, got, ti) != CRV_VALID || ti->tp_name == 0)
    return -1;
  *name_ok = read_name(s, ti->tp_name, name, name_cap) == 0;
  if (!*name_ok)
    name[0] = '\0';
  return 0;
}

/* PyType_Type: its own type, TYPE_SUBCLASS set, named "type"; when the name is not in the
 * dump, its sizes must be those of PyHeapTypeObject and PyMemberDef (§7.1). */
static int is_type_type(struct crv_space *s, const struct crv_header_layout *h, uint64_t a)
{
  struct crv_typeobj_info ti;
  char name[CRV_MAX_TP_NAME];
  int name_ok;
  if (read_type(s, h, a, &ti, name, sizeof name, &name_ok) != 0)
    return 0;
  if (ti.ob_type != a || !(ti.tp_flags & CRV_TPFLAGS_TYPE_SUBCLASS))
    return 0;
  if (name_ok)
    return strcmp(name, "type") == 0;
  return ti.tp_itemsize == 5u * h->ptr_size && ti.tp_basicsize >= 100u * h->ptr_size &&
         ti.tp_basicsize <= 160u * h->ptr_size;
}

/* Widen [first, last] over regions that touch each other, up to the search budget. */
static void image_cluster(const struct crv_space *s, size_t i, size_t *first, size_t *last)
{
  uint64_t budget = CRV_MAX_IMAGE_SEARCH;
  size_t a = i, b = i;
  uint64_t used = s->r[i].end - s->r[i].start;
  while (a > 0 && s->r[a - 1].end == s->r[a].start &&
         used + (s->r[a - 1].end - s->r[a - 1].start) <= budget) {
    a--;
    used += s->r[a].end - s->r[a].start;
  }
  while (b + 1 < s->n && s->r[b + 1].start == s->r[b].end &&
         used + (s->r[b + 1].end - s->r[b + 1].start) <= budget) {
    b++;
    used += s->r[b].end - s->r[b].start;
  }
  *first = a;
  *last = b;
}

/* Does layout l fit the type objects found? */
static int layout_fits(const struct crv_layout *l, const struct crv_pytypes *t)
{
  const struct crv_header_layout *h = l->hdr;
  if (h->ptr_size != t->hdr->ptr_size || h->off_type != t->hdr->off_type ||
      h->tp_name != t->hdr->tp_name || h->tp_flags != t->hdr->tp_flags)
    return 0;
  if (t->py2 != l->bytes_is_str27)
    return 0;
  uint64_t text_bs = l->pep393 ? l->pep393->basicsize : l->ubuf->basicsize;
  return t->text_basicsize == text_bs && t->bytes_basicsize == l->bytes->basicsize;
}

#define TPFLAGS_HEAPTYPE (1ull << 9)

/* Is the type object at cand the static str, bytes or (2.7) unicode type? */
static void classify_type(struct crv_space *s, struct crv_pytypes *t, uint64_t cand)
{
  struct crv_typeobj_info ti;
  char name[CRV_MAX_TP_NAME];
  int name_ok;
  if (read_type(s, t->hdr, cand, &ti, name, sizeof name, &name_ok) != 0)
    return;
  int text = (ti.tp_flags & CRV_TPFLAGS_UNICODE_SUBCLASS) != 0;
  int bytes = (ti.tp_flags & CRV_TPFLAGS_BYTES_SUBCLASS) != 0;
  if (text == bytes || (ti.tp_flags & TPFLAGS_HEAPTYPE))
    return; /* neither, or a subclass defined in Python */
  int fam = crvi_layout_basicsize_family(t->hdr, text, ti.tp_basicsize, ti.tp_itemsize);
  if (!fam)
    return;
  /* The name, when the dump holds it, must agree with the family. */
  if (name_ok) {
    const char *want = text ? (fam == 2 ? "unicode" : "str") : (fam == 2 ? "str" : "bytes");
    if (strcmp(name, want) != 0)
      return;
  }
  if (text && !t->text_type) {
    t->text_type = cand;
    t->text_basicsize = ti.tp_basicsize;
  } else if (bytes && !t->bytes_type) {
    t->bytes_type = cand;
    t->bytes_basicsize = ti.tp_basicsize;
  } else {
    return;
  }
  t->py2 = fam == 2;
}

/* With &PyType_Type known, find the str/bytes type objects in the image cluster. */
static int find_str_bytes(struct crv_space *s, struct crv_pytypes *t, uint8_t *buf,
                          size_t bufsize)
{
  const struct crv_header_layout *h = t->hdr;
  const unsigned w = h->ptr_size;
  t->text_type = t->bytes_type = 0;
  t->py2 = 0;
  for (size_t i = t->image_first; i <= t->image_last; i++) {
    const struct crv_region *r = &s->r[i];
    for (uint64_t pos = r->start; pos < r->end; pos += bufsize) {
      size_t want = (size_t)((r->end - pos) < bufsize ? (r->end - pos) : bufsize);
      size_t got = crvi_space_read(s, pos, buf, want);
      for (size_t o = 0; o + w <= got; o += w) {
        if (span_word(buf + o, w) == t->type_type && pos + o >= r->start + h->off_type)
          classify_type(s, t, pos + o - h->off_type);
      }
      if (got < want)
        break;
    }
  }
  if (!t->text_type || !t->bytes_type)
    return 0;
  t->n_candidates = 0;
  for (size_t i = 0; i < crvi_layout_count(); i++) {
    const struct crv_layout *l = crvi_layout_at(i);
    if (layout_fits(l, t) && t->n_candidates < CRV_MAX_LAYOUT_CANDIDATES)
      t->candidates[t->n_candidates++] = l;
  }
  return t->n_candidates > 0;
}

struct order {
  size_t index;
  uint64_t size;
};

static int cmp_size(const void *a, const void *b)
{
  const struct order *x = a, *y = b;
  if (x->size != y->size)
    return x->size < y->size ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* The word at addr points d bytes before itself (v = addr - d): try PyType_Type at v with
 * each header variant of this pointer size whose ob_type offset is d. 1 when it is the
 * interpreter's type and its str/bytes types were found beside it. */
static int try_type_type(struct crv_space *s, unsigned ptr_size, uint64_t d, uint64_t v,
                         struct crv_pytypes *out, uint8_t *scratch, size_t bufsize,
                         unsigned *budget)
{
  for (size_t hi = 0; hi < crvi_header_count(); hi++) {
    const struct crv_header_layout *h = crvi_header_at(hi);
    if (h->ptr_size != ptr_size || h->off_type != d || *budget == 0)
      continue;
    (*budget)--;
    if (!is_type_type(s, h, v))
      continue;
    out->hdr = h;
    out->type_type = v;
    image_cluster(s, crvi_space_index(s, v), &out->image_first, &out->image_last);
    /* variants with the same offsets find the same types: one try is enough */
    return find_str_bytes(s, out, scratch, bufsize);
  }
  return 0;
}

/* Scan one region for self-referential words; try each as PyType_Type. */
static int search_region(struct crv_space *s, size_t ri, struct crv_pytypes *out, uint8_t *buf,
                         size_t bufsize, unsigned *budget, const volatile sig_atomic_t *stop)
{
  const struct crv_region *r = &s->r[ri];
  for (uint64_t pos = r->start; pos < r->end; pos += bufsize) {
    if (stop && *stop)
      return 0;
    size_t want = (size_t)((r->end - pos) < bufsize ? (r->end - pos) : bufsize);
    size_t got = crvi_space_read(s, pos, buf, want);
    size_t first = (size_t)((8 - (pos & 7)) & 7);
    for (size_t o = first; o + 8 <= got; o += 8) {
      uint64_t v = span_u64le(buf + o), d = pos + o - v;
      if ((d == 8 || d == 24) && try_type_type(s, 8, d, v, out, buf + bufsize, bufsize, budget))
        return 1;
    }
    if (r->end <= 0x100000000ull) {
      first = (size_t)((4 - (pos & 3)) & 3);
      for (size_t o = first; o + 4 <= got; o += 4) {
        uint32_t v = span_u32le(buf + o);
        uint32_t d = (uint32_t)(pos + o) - v;
        if ((d == 4 || d == 16) && try_type_type(s, 4, d, v, out, buf + bufsize, bufsize, budget))
          return 1;
      }
    }
    if (got < want)
      break;
  }
  return 0;
}

/* The interpreter's .dynsym named the three types (live processes, cores): check them in
 * memory with every header variant instead of searching. */
static int types_from_hints(struct crv_space *s, struct crv_pytypes *out)
{
  const struct crv_hints *hn = &s->hints;
  if (!hn->have_types)
    return 0;
  for (size_t hi = 0; hi < crvi_header_count(); hi++) {
    const struct crv_header_layout *h = crvi_header_at(hi);
    if (!is_type_type(s, h, hn->type_type))
      continue;
    memset(out, 0, sizeof *out);
    out->hdr = h;
    out->type_type = hn->type_type;
    image_cluster(s, crvi_space_index(s, hn->type_type), &out->image_first, &out->image_last);
    classify_type(s, out, hn->text_type);
    classify_type(s, out, hn->bytes_type);
    if (out->text_type != hn->text_type || out->bytes_type != hn->bytes_type)
      continue;
    out->n_candidates = 0;
    for (size_t i = 0; i < crvi_layout_count(); i++) {
      const struct crv_layout *l = crvi_layout_at(i);
      if (layout_fits(l, out) && out->n_candidates < CRV_MAX_LAYOUT_CANDIDATES)
        out->candidates[out->n_candidates++] = l;
    }
    if (out->n_candidates)
      return 1;
  }
  return 0;
}

crv_err crvi_find_types(struct crv_space *s, struct crv_pytypes *out,
                        const volatile sig_atomic_t *stop, const struct crv_progress *pr)
{
  if (s->n && types_from_hints(s, out))
    return CRV_OK;
  const size_t bufsize = 1u << 20;
  struct order *ord;
  uint8_t *buf;
  unsigned budget = CRV_MAX_TYPE_CANDIDATES;
  crv_err e = CRV_ERR_UNSUPPORTED;
  memset(out, 0, sizeof *out);
  if (s->n == 0)
    return CRV_ERR_UNSUPPORTED;
  ord = malloc(s->n * sizeof *ord);
  buf = malloc(2 * bufsize);
  if (!ord || !buf) {
    free(ord);
    free(buf);
    return CRV_ERR_NOMEM;
  }
  for (size_t i = 0; i < s->n; i++) {
    ord[i].index = i;
    ord[i].size = s->r[i].end - s->r[i].start;
    /* Mapped files named like an interpreter come first when --maps told us paths. */
    if (s->r[i].path && strstr(s->r[i].path, "python"))
      ord[i].size = 0;
  }
  qsort(ord, s->n, sizeof *ord, cmp_size);
  uint64_t total = crvi_space_total(s), done = 0;
  for (int round = 0; round < 2 && e != CRV_OK; round++) {
    for (size_t k = 0; k < s->n; k++) {
      const struct crv_region *r = &s->r[ord[k].index];
      uint64_t size = r->end - r->start;
      int small = size <= CRV_TYPE_SEARCH_SMALL_REGION;
      if ((round == 0) != small)
        continue;
      if (search_region(s, ord[k].index, out, buf, bufsize, &budget, stop)) {
        e = CRV_OK;
        break;
      }
      if (stop && *stop) {
        e = CRV_ERR_ABORTED;
        break;
      }
      done += size;
      if (pr && pr->fn)
        pr->fn(pr->user, "finding types", done, total);
    }
    if (e == CRV_ERR_ABORTED)
      break;
  }
  free(ord);
  free(buf);
  return e;
}
