/* SPDX-License-Identifier: MIT */
/* Capped counting table (see topn.h). */
#include <stdlib.h>
#include <string.h>

#include "hash/pyhash.h"
#include "triage/topn.h"

/* A fixed key: the table only needs keys spread over the slots, and a collision would need
 * two values of equal length whose first `keep` bytes agree as well. */
#define TOPN_K0 0x736f6d6570736575ull
#define TOPN_K1 0x646f72616e646f6dull

uint64_t crvi_topn_hash(const void *p, size_t n)
{
  return crvi_siphash(1, 3, TOPN_K0, TOPN_K1, (const uint8_t *)p, n);
}

crv_err crvi_topn_init(struct crvi_topn *t, size_t cap, size_t keep)
{
  memset(t, 0, sizeof *t);
  if (cap == 0 || cap > (1u << 24))
    return CRV_ERR_INVALID_ARG;
  size_t nslots = 16;
  while (nslots < 2 * cap)
    nslots *= 2;
  t->ents = calloc(cap, sizeof *t->ents);
  t->heap = calloc(cap, sizeof *t->heap);
  t->slots = calloc(nslots, sizeof *t->slots);
  if (!t->ents || !t->heap || !t->slots) {
    crvi_topn_free(t);
    return CRV_ERR_NOMEM;
  }
  t->cap = cap;
  t->keep = keep;
  t->mask = nslots - 1;
  return CRV_OK;
}

void crvi_topn_free(struct crvi_topn *t)
{
  if (t->ents)
    for (size_t i = 0; i < t->n; i++) {
      free(t->ents[i].text);
      free(t->ents[i].extra);
    }
  free(t->ents);
  free(t->heap);
  free(t->slots);
  memset(t, 0, sizeof *t);
}

static void heap_swap(struct crvi_topn *t, size_t a, size_t b)
{
  size_t ia = t->heap[a], ib = t->heap[b];
  t->heap[a] = ib;
  t->heap[b] = ia;
  t->ents[ib].heap_pos = a;
  t->ents[ia].heap_pos = b;
}

static uint64_t heap_count(const struct crvi_topn *t, size_t pos)
{
  return t->ents[t->heap[pos]].count;
}

/* Counts only grow, so an entry only ever moves down. */
static void sift_down(struct crvi_topn *t, size_t pos)
{
  for (;;) {
    size_t l = 2 * pos + 1, r = l + 1, m = pos;
    if (l < t->n && heap_count(t, l) < heap_count(t, m))
      m = l;
    if (r < t->n && heap_count(t, r) < heap_count(t, m))
      m = r;
    if (m == pos)
      return;
    heap_swap(t, pos, m);
    pos = m;
  }
}

static void sift_up(struct crvi_topn *t, size_t pos)
{
  while (pos > 0) {
    size_t parent = (pos - 1) / 2;
    if (heap_count(t, parent) <= heap_count(t, pos))
      return;
    heap_swap(t, pos, parent);
    pos = parent;
  }
}

static int same_key(const struct crvi_topn *t, const struct crvi_topn_ent *e, uint64_t h,
                    const void *key, size_t n, unsigned kind)
{
  size_t cmp = n < t->keep ? n : t->keep;
  return e->h == h && e->keylen == n && e->kind == kind && memcmp(e->text, key, cmp) == 0;
}

/* Removes entry idx from the slots (linear probing with backward-shift deletion). */
static void slot_remove(struct crvi_topn *t, size_t idx)
{
  size_t s = t->ents[idx].h & t->mask;
  while (t->slots[s] != idx + 1)
    s = (s + 1) & t->mask;
  t->slots[s] = 0;
  size_t hole = s;
  for (s = (s + 1) & t->mask; t->slots[s]; s = (s + 1) & t->mask) {
    size_t home = t->ents[t->slots[s] - 1].h & t->mask;
    /* Move the entry back into the hole unless its home lies cyclically in (hole, s]. */
    int stays = hole <= s ? (home > hole && home <= s) : (home > hole || home <= s);
    if (!stays) {
      t->slots[hole] = t->slots[s];
      t->slots[s] = 0;
      hole = s;
    }
  }
}

/* Replaces *dst (*len bytes) with a NUL-terminated copy of the first min(n, keep) bytes of
 * src. */
static crv_err keep_copy(const struct crvi_topn *t, uint8_t **dst, size_t *len, const void *src,
                         size_t n)
{
  size_t keep = n < t->keep ? n : t->keep;
  uint8_t *p = realloc(*dst, keep + 1);
  if (!p)
    return CRV_ERR_NOMEM;
  if (keep)
    memcpy(p, src, keep);
  p[keep] = 0;
  *dst = p;
  *len = keep;
  return CRV_OK;
}

static crv_err set_text(struct crvi_topn *t, struct crvi_topn_ent *e, const void *key, size_t n)
{
  return keep_copy(t, &e->text, &e->textlen, key, n);
}

static void reset_caller_fields(struct crvi_topn_ent *e)
{
  memset(e->sub, 0, sizeof e->sub);
  e->addr = 0;
  e->has_addr = 0;
  e->is_text = 0;
  e->aux = 0;
  free(e->extra);
  e->extra = NULL;
  e->extralen = 0;
}

struct crvi_topn_ent *crvi_topn_add(struct crvi_topn *t, const void *key, size_t n, uint64_t inc,
                                    int *is_new)
{
  return crvi_topn_add_kind(t, key, n, 0, inc, is_new);
}

struct crvi_topn_ent *crvi_topn_add_kind(struct crvi_topn *t, const void *key, size_t n,
                                         unsigned kind, uint64_t inc, int *is_new)
{
  uint64_t h = crvi_topn_hash(key, n) ^ ((uint64_t)kind * 0x9e3779b97f4a7c15ull);
  size_t s = h & t->mask;
  if (is_new)
    *is_new = 0;
  while (t->slots[s]) {
    struct crvi_topn_ent *e = &t->ents[t->slots[s] - 1];
    if (same_key(t, e, h, key, n, kind)) {
      e->count += inc;
      t->total += inc;
      sift_down(t, e->heap_pos);
      return e;
    }
    s = (s + 1) & t->mask;
  }
  size_t idx;
  uint64_t base = 0;
  if (t->n < t->cap) {
    idx = t->n;
    struct crvi_topn_ent *e = &t->ents[idx];
    memset(e, 0, sizeof *e);
    if (set_text(t, e, key, n) != CRV_OK)
      return NULL;
    t->heap[t->n] = idx;
    e->heap_pos = t->n;
    t->n++;
  } else {
    /* Space-Saving: the least-counted key makes room and passes on its count. */
    idx = t->heap[0];
    struct crvi_topn_ent *e = &t->ents[idx];
    if (set_text(t, e, key, n) != CRV_OK)
      return NULL;
    slot_remove(t, idx);
    base = e->count;
    reset_caller_fields(e);
    t->evictions++;
    s = h & t->mask;
    while (t->slots[s])
      s = (s + 1) & t->mask;
  }
  struct crvi_topn_ent *e = &t->ents[idx];
  e->h = h;
  e->keylen = n;
  e->kind = kind;
  e->count = base + inc;
  e->err = base;
  t->slots[s] = (uint32_t)(idx + 1);
  t->total += inc;
  if (base)
    sift_down(t, e->heap_pos);
  else
    sift_up(t, e->heap_pos);
  if (is_new)
    *is_new = 1;
  return e;
}

crv_err crvi_topn_set_extra(struct crvi_topn *t, struct crvi_topn_ent *e, const void *p, size_t n)
{
  return keep_copy(t, &e->extra, &e->extralen, p, n);
}

static int by_count(const void *a, const void *b)
{
  const struct crvi_topn_ent *x = *(const struct crvi_topn_ent *const *)a;
  const struct crvi_topn_ent *y = *(const struct crvi_topn_ent *const *)b;
  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  if (x->keylen != y->keylen)
    return x->keylen < y->keylen ? -1 : 1;
  size_t m = x->textlen < y->textlen ? x->textlen : y->textlen;
  int c = memcmp(x->text, y->text, m);
  if (c)
    return c;
  return x->textlen < y->textlen ? -1 : x->textlen > y->textlen;
}

const struct crvi_topn_ent **crvi_topn_sorted(const struct crvi_topn *t, size_t *n_out)
{
  *n_out = 0;
  if (t->n == 0)
    return NULL;
  const struct crvi_topn_ent **a = malloc(t->n * sizeof *a);
  if (!a)
    return NULL;
  for (size_t i = 0; i < t->n; i++)
    a[i] = &t->ents[i];
  qsort(a, t->n, sizeof *a, by_count);
  *n_out = t->n;
  return a;
}
