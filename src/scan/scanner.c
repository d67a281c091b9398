/* SPDX-License-Identifier: MIT */
/* The carving pass. Each region is read once in chunks (plus a small look-behind for
 * object headers and look-ahead for their values); every pointer-aligned word is compared
 * with the str/bytes type pointers, and only hits are validated. A hit belongs to the
 * chunk holding its type word, so objects straddling chunks are found exactly once. */
#include <stdlib.h>
#include <string.h>
#include "scan.h"
#include "util/limits.h"
#include "util/span.h"
#include "validators/validators.h"
#include "simd.h"
#include "windows.h"

#define HEADER_MAX 128u

struct scanner {
  const struct crv_scan_cfg *cfg;
  crv_summary *sum;
  const struct crv_window *w; /* the current window of memory, NULL between regions */
  /* the value of the current object when it is not inside the window */
  uint8_t *scratch;
  size_t scratch_cap;
  int stopped;
  crvi_skip_sizes_fn skip_sizes; /* vector pre-test of free chunk positions, or NULL */
};

/* What the bytes alone say about a hit (judge()). */
struct verdict {
  int r;        /* CRV_VALID or the reason to reject it */
  int deferred; /* the reader thread could not judge it from its window */
  int type;     /* CRV_OBJ_* */
  int over_cap; /* too long, though its value would fit in its region */
  int hash_check;
  struct crv_obj_info info;
};

/* [addr, addr+n) inside window w (NULL: none): where it is, else NULL. */
static const uint8_t *window_at(const struct crv_window *w, uint64_t addr, size_t n)
{
  if (w && addr >= w->base && addr - w->base <= w->len && n <= w->len - (size_t)(addr - w->base))
    return w->buf + (addr - w->base);
  return NULL;
}

/* crvi_space_read through the window: a copy when [addr, addr+n) is inside it. The heap
 * walk reads size words 8 bytes at a time; as pread calls they cost more than the scan. */
static size_t wread(struct scanner *sc, uint64_t addr, void *dst, size_t n)
{
  const uint8_t *in = window_at(sc->w, addr, n);
  if (in) {
    memcpy(dst, in, n);
    return n;
  }
  return crvi_space_read(sc->cfg->space, addr, dst, n);
}

static int grow_scratch(struct scanner *sc, size_t need)
{
  if (need <= sc->scratch_cap)
    return 0;
  size_t cap = sc->scratch_cap ? sc->scratch_cap : 4096;
  while (cap < need)
    cap *= 2;
  uint8_t *p = realloc(sc->scratch, cap);
  if (!p)
    return -1;
  sc->scratch = p;
  sc->scratch_cap = cap;
  return 0;
}

/* The region holding a, trying the current window's region first (most objects, and most
 * of the free-list pointers in their first word, lie in the region being scanned). */
static const struct crv_region *region_of(const struct scanner *sc, uint64_t a)
{
  const struct crv_region *r = &sc->cfg->space->r[sc->w->region];
  if (a >= r->start && a < r->end)
    return r;
  return crvi_space_find(sc->cfg->space, a);
}

static int is_pointer(void *user, uint64_t v)
{
  return region_of(user, v) != NULL;
}

/* Bytes [addr, addr+n) of a window; elsewhere, when sc is given, read into dst.
 * Returns how many are available (< n at a hole), or SIZE_MAX when they lie outside the
 * window and there is no sc to read them (the reader thread: the caller judges the hit). */
static size_t look(struct scanner *sc, const struct crv_window *w, uint64_t addr, size_t n,
                   uint8_t *dst, const uint8_t **p)
{
  if ((*p = window_at(w, addr, n)) != NULL)
    return n;
  if (!sc)
    return SIZE_MAX;
  *p = dst;
  return crvi_space_read(sc->cfg->space, addr, dst, n);
}

/* What the bytes alone say about the hit at type_word_at: header, value and cached hash.
 * sc NULL (the reader thread): only from the window, else v->deferred. h, d: the header and
 * the value's bytes, when v->r is CRV_VALID. */
static void judge(const struct crv_scan_cfg *cfg, struct scanner *sc, const struct crv_window *w,
                  uint64_t type_word_at, int is_text, struct verdict *v, uint8_t *hbuf,
                  const uint8_t **h, size_t *havail, const uint8_t **d)
{
  const struct crv_layout *l = cfg->layout;
  const uint64_t obj = type_word_at - l->hdr->off_type;
  struct crv_obj_info *info = &v->info;
  size_t hneed = is_text ? crvi_layout_text_header_len(l) : crvi_layout_bytes_header_len(l);
  int r;

  memset(v, 0, sizeof *v);
  v->r = CRV_R_SHORT;
  if (type_word_at < l->hdr->off_type)
    return;
  *havail = look(sc, w, obj, hneed, hbuf, h);
  if (*havail == SIZE_MAX) {
    v->deferred = 1;
    return;
  }
  if (is_text && l->pep393) {
    r = crvi_check_pep393_header(l, *h, *havail, obj, cfg->max_value, info);
    v->type = CRV_OBJ_STR;
  } else if (is_text) {
    r = crvi_check_ubuf_header(l, *h, *havail, obj, cfg->max_value, info);
    v->type = l->bytes_is_str27 ? CRV_OBJ_UNICODE27 : CRV_OBJ_STR;
  } else {
    r = crvi_check_bytes_header(l, *h, *havail, obj, cfg->max_value, info);
    v->type = l->bytes_is_str27 ? CRV_OBJ_STR27 : CRV_OBJ_BYTES;
  }
  /* Count a too-long candidate only when its value would fit in the memory it claims:
   * a stray pointer to the type with a garbage length is not a missed object. */
  if (r == CRV_R_OVER_CAP && info->length <= UINT64_MAX / 8) {
    const struct crv_region *at = crvi_space_find(cfg->space, obj);
    v->over_cap = at && at == crvi_space_find(cfg->space, obj + info->length * info->unit);
  }
  if (r == CRV_VALID)
    r = crvi_check_hash_plausible(info, cfg->text_type, cfg->bytes_type);
  v->r = r;
  if (r != CRV_VALID)
    return;
  size_t dneed = (size_t)info->data_bytes + info->unit;
  v->r = CRV_R_DATA_SHORT;
  /* The scratch buffer only for a value outside the window: it grows to the largest such
   * value (at most --max-len plus a unit), which bounds carver's memory. */
  if (sc && !window_at(w, info->data_addr, dneed) && grow_scratch(sc, dneed) != 0)
    return;
  size_t got = look(sc, w, info->data_addr, dneed, sc ? sc->scratch : NULL, d);
  if (got == SIZE_MAX) {
    v->deferred = 1;
    return;
  }
  if (got < dneed)
    return;
  if (is_text && l->pep393)
    r = crvi_check_pep393_data(info, *d);
  else if (is_text)
    r = crvi_check_ubuf_data(info, *d);
  else
    r = crvi_check_nul(info, *d);
  v->r = r;
  if (r != CRV_VALID)
    return;
  if (info->hash == -1) {
    v->hash_check = CRV_HASH_UNSET;
  } else if (cfg->key) {
    int64_t want = crvi_pyhash(l->hash, cfg->key, l->hdr->ptr_size, *d,
                               (size_t)info->data_bytes, info->unit);
    v->hash_check = want == info->hash ? CRV_HASH_MATCH : CRV_HASH_MISMATCH;
    if (v->hash_check == CRV_HASH_MISMATCH && !cfg->keep_mismatch)
      v->r = CRV_R_HASH;
  } else {
    v->hash_check = CRV_HASH_UNVERIFIED;
  }
}

/* The reader thread's part: judge the window's hits that lie wholly inside it. */
static void judge_ahead(const void *user, const struct crv_window *w, void *out, size_t first,
                        size_t n)
{
  const struct crv_scan_cfg *cfg = user;
  struct verdict *v = out;
  uint8_t hbuf[HEADER_MAX];
  for (size_t i = 0; i < n; i++) {
    const uint8_t *h, *d;
    const uint64_t hit = w->hits[first + i];
    size_t havail;
    judge(cfg, NULL, w, w->base + (hit >> 1), (int)(hit & 1), &v[i], hbuf, &h, &havail, &d);
  }
}

/* Hit k of the current window: judged ahead (ahead != NULL, not deferred) or here; then
 * reported or counted as rejected. */
static void candidate(struct scanner *sc, size_t k, const struct verdict *ahead)
{
  const struct crv_window *w = sc->w;
  const struct crv_scan_cfg *cfg = sc->cfg;
  const struct crv_layout *l = cfg->layout;
  const uint64_t type_word_at = w->base + (w->hits[k] >> 1);
  const int is_text = (int)(w->hits[k] & 1);
  const uint64_t obj = type_word_at - l->hdr->off_type;
  uint8_t hbuf[HEADER_MAX];
  const uint8_t *h = NULL, *d = NULL;
  size_t havail = 0;
  struct verdict here;
  const struct verdict *v = ahead;
  int r;

  sc->sum->candidates++;
  if (v && !v->deferred && v->r == CRV_VALID) {
    /* the reader judged it from this window: header and value lie in it */
    havail = is_text ? crvi_layout_text_header_len(l) : crvi_layout_bytes_header_len(l);
    h = window_at(w, obj, havail);
    d = window_at(w, v->info.data_addr, (size_t)v->info.data_bytes + v->info.unit);
  } else if (!v || v->deferred) {
    judge(cfg, sc, w, type_word_at, is_text, &here, hbuf, &h, &havail, &d);
    v = &here;
  }
  if (v->over_cap)
    sc->sum->over_cap++;
  r = v->r;
  if (r != CRV_VALID)
    goto reject;

  crv_object o;
  memset(&o, 0, sizeof o);
  o.hash_check = v->hash_check;
  o.addr = obj;
  o.ob_type = span_word(h + l->hdr->off_type, l->hdr->ptr_size);
  o.type = v->type;
  o.length = v->info.length;
  o.kind = v->info.unit;
  o.ascii = v->info.ascii;
  o.interned = v->info.interned;
  o.hash = v->info.hash;
  o.status = crvi_classify_status(l, h, havail, is_pointer, sc, &o.refcnt);
  /* Nothing in the image's static data is ever freed through an allocator. */
  r = CRV_R_STATIC_FREED;
  if (obj >= cfg->image_start && obj < cfg->image_end && o.status != CRV_STATUS_LIVE)
    goto reject;
  const struct crv_region *reg = region_of(sc, obj);
  o.region = reg ? reg->name : NULL;
  o.data = d;
  o.data_len = (size_t)v->info.data_bytes;

  sc->sum->objects++;
  sc->sum->by_type[o.type]++;
  sc->sum->by_status[o.status]++;
  sc->sum->by_hash_check[o.hash_check]++;
  if (cfg->on_object && cfg->on_object(cfg->user, &o))
    sc->stopped = 1;
  return;
reject:
  sc->sum->rejected++;
  if (r > 0 && r < CRV_MAX_REASONS)
    sc->sum->rejected_by[r]++;
  if (cfg->on_reject)
    cfg->on_reject(cfg->user, obj, is_text, r);
}

/* ---- glibc malloc chunks: objects whose header free() clobbered (values > 512 bytes) ---- */

/* The smallest chunk a str/bytes value too big for pymalloc (request > 512) can use. */
static uint64_t min_value_chunk(unsigned w)
{
  return crvi_malloc_chunk_for(w, 513);
}

/* A malloc heap starts with a chain of chunks from its first bytes (x86-64: offset 0;
 * i386: offset 8, so that user pointers are 16-aligned). Accept a start only when the
 * first chunks chain up and the first says its (non-existent) predecessor is in use. */
static uint64_t heap_chain_start(struct scanner *sc, const struct crv_region *r, uint64_t present)
{
  const unsigned w = sc->cfg->layout->hdr->ptr_size;
  for (uint64_t first = 0; first <= 8; first += 8) {
    uint64_t c = r->start + first;
    int links = 0;
    for (; links < 4; links++) {
      uint8_t b[8];
      if (c + 2 * w > r->start + present || wread(sc, c + w, b, w) < w)
        break;
      uint64_t sz = span_word(b, w);
      if (!crvi_malloc_size_valid(w, sz) || (links == 0 && !(sz & 1u)))
        break;
      c += sz & ~(uint64_t)7;
      if (c > r->start + present)
        break;
    }
    if (links == 4)
      return r->start + first;
  }
  return UINT64_MAX;
}

/* Do the stale chunk headers from q on chain up to exactly end? (Inside a free chunk that
 * swallowed its free neighbours, their old size fields survive as data.) */
static int stale_chain(struct scanner *sc, uint64_t q, uint64_t end)
{
  const unsigned w = sc->cfg->layout->hdr->ptr_size;
  while (q < end) {
    uint8_t b[8];
    if (end - q < 2u * w || wread(sc, q + w, b, w) < w)
      return 0;
    uint64_t sz = span_word(b, w);
    if (!crvi_malloc_size_valid(w, sz) || (sz & ~(uint64_t)7) > end - q)
      return 0;
    q += sz & ~(uint64_t)7;
  }
  return q == end;
}

/* Try to prove a clobbered object in the chunk at p. own: the chunk's size if known (0 when
 * p's size word was overwritten by a merge); end: where the enclosing free chunk ends.
 * own_start: the start of the chunk in the heap chain that holds p.
 * Returns the size of p's own chunk when an object was reported, else 0. */
static uint64_t clobbered_at(struct scanner *sc, const struct crv_region *reg, uint64_t p,
                             uint64_t own, uint64_t end, uint64_t own_start)
{
  const struct crv_scan_cfg *cfg = sc->cfg;
  const struct crv_layout *l = cfg->layout;
  const unsigned w = l->hdr->ptr_size;
  uint64_t u = p + 2 * w;
  const uint8_t *d;
  uint8_t tw[8];
  if (end - p > cfg->max_value + 256)
    end = p + cfg->max_value + 256; /* never read more than a capped value needs */
  size_t usable = (size_t)(end - p - w); /* up to the next chunk's size field */
  if (wread(sc, u + l->hdr->off_type, tw, w) < w)
    return 0;
  uint64_t t = span_word(tw, w);
  if (t == cfg->text_type || t == cfg->bytes_type)
    return 0; /* intact header: the type-pointer pass reports it */
  if (grow_scratch(sc, usable) != 0)
    return 0;
  size_t avail = look(sc, sc->w, u, usable, sc->scratch, &d);
  for (int is_text = 1; is_text >= 0; is_text--) {
    struct crv_obj_info info;
    int proof;
    uint64_t cs = own;
    if (is_text && !l->pep393)
      continue; /* 2.7 unicode keeps its characters in a separate buffer */
    int r = own ? crvi_check_clobbered(l, is_text, d, avail, u, own, cfg->max_value, &info, &proof)
                : CRV_R_CHUNK_SIZE;
    if (r == CRV_R_CHUNK_SIZE) {
      /* Maybe p merged with free neighbours: its own size follows from the value, and the
       * neighbours' stale headers must chain from there to the end of the free chunk. */
      if (crvi_check_clobbered(l, is_text, d, avail, u, 0, cfg->max_value, &info, &proof) !=
          CRV_VALID)
        continue;
      cs = crvi_malloc_chunk_for(w, info.data_addr - u + info.data_bytes + info.unit);
      if (cs >= end - p)
        continue;
      if (!stale_chain(sc, p + cs, end) && !stale_chain(sc, p + cs + 16, end)) {
        /* The neighbours' headers were overwritten too: a str still has its state byte,
         * kind and NUL; a bytes object has nothing left to prove it. */
        if (!is_text || p != own_start)
          continue;
        proof = CRV_PROOF_STATE_NUL;
      }
    } else if (r != CRV_VALID) {
      continue;
    }
    crv_object o;
    memset(&o, 0, sizeof o);
    o.hash_check = CRV_HASH_UNSET;
    if (proof == CRV_PROOF_HASH) {
      if (cfg->key) {
        int64_t want = crvi_pyhash(l->hash, cfg->key, w, d + (info.data_addr - u),
                                   (size_t)info.data_bytes, info.unit);
        if (want != info.hash)
          continue; /* the surviving hash disagrees: not this object */
        o.hash_check = CRV_HASH_MATCH;
      } else {
        o.hash_check = CRV_HASH_UNVERIFIED;
        proof = is_text ? CRV_PROOF_STATE_NUL_SIZE : CRV_PROOF_LENGTH_NUL_SIZE;
      }
    }
    o.addr = u;
    o.ob_type = t;
    o.type = is_text ? CRV_OBJ_STR : (l->bytes_is_str27 ? CRV_OBJ_STR27 : CRV_OBJ_BYTES);
    o.length = info.length;
    o.kind = info.unit;
    o.ascii = info.ascii;
    o.interned = info.interned;
    o.hash = info.hash;
    o.status = CRV_STATUS_FREED;
    o.refcnt = span_word(d, w);
    o.region = reg->name;
    o.proof = crvi_proof_name(proof);
    o.data = d + (info.data_addr - u);
    o.data_len = (size_t)info.data_bytes;
    sc->sum->objects++;
    sc->sum->clobbered++;
    sc->sum->by_type[o.type]++;
    sc->sum->by_status[o.status]++;
    sc->sum->by_hash_check[o.hash_check]++;
    if (cfg->on_object && cfg->on_object(cfg->user, &o))
      sc->stopped = 1;
    return cs;
  }
  return 0;
}

/* Inside a free chunk that swallowed its neighbours (perhaps several times over), where
 * does the next hidden chunk after p start? The first q in (p, limit] whose stale size word
 * chains exactly to end; limit itself when none does before it. 0 when nothing fits.
 * Chunks sit 16 bytes apart (q = p + 16k), so this tests every 16th word of free memory:
 * straight from the window where it holds them, else a block at a time. */
static uint64_t next_boundary(struct scanner *sc, uint64_t p, uint64_t limit, uint64_t end)
{
  const unsigned w = sc->cfg->layout->hdr->ptr_size;
  uint8_t block[4096];
  uint64_t q = p + 16;
  while (q < limit) {
    const uint8_t *b = block;
    uint64_t want = limit - q + 16; /* the size word of every position before limit */
    size_t got;
    const uint8_t *in = window_at(sc->w, q, want < sizeof block ? (size_t)want : sizeof block);
    if (in) { /* straight from the window, as far as it goes */
      size_t left = sc->w->len - (size_t)(q - sc->w->base);
      b = in;
      got = want < left ? (size_t)want : left;
    } else {
      got = wread(sc, q, block, want < sizeof block ? (size_t)want : sizeof block);
    }
    if (got < 2u * w)
      break; /* a hole */
    /* positions q + k, k = 0, 16, ..., while q + k < limit and the size word is in b */
    size_t stop = got - 2u * w;
    if (limit - q - 1 < stop)
      stop = (size_t)(limit - q - 1);
    for (size_t k = 0; k <= stop;) {
      if (sc->skip_sizes)
        k = sc->skip_sizes(b, k, stop, end - q); /* to the next block of four that may fit */
      for (size_t blk = k + 64; k <= stop && k < blk; k += 16) {
        uint64_t sz = span_word(b + k + w, w), cs = sz & ~(uint64_t)7;
        /* crvi_malloc_size_valid spelt out: 16-aligned, not mmapped, >= MINSIZE */
        if ((sz & 0xa) == 0 && cs >= 4u * w && cs <= end - (q + k) && stale_chain(sc, q + k, end))
          return q + k;
      }
    }
    uint64_t next = q + (stop / 16 + 1) * 16;
    if (got < want && got < sizeof block && b == block)
      break; /* the read stopped short: a hole */
    q = next;
  }
  return limit < end && stale_chain(sc, limit, end) ? limit : 0;
}

/* One chunk of the heap chain, and the chunks merges may have hidden inside it. */
static void clobbered_chunk(struct scanner *sc, const struct crv_region *reg, uint64_t c,
                            uint64_t cs)
{
  const unsigned w = sc->cfg->layout->hdr->ptr_size;
  const uint64_t end = c + cs;
  uint64_t p = c, own = cs;
  while (p < end && !sc->stopped) {
    uint64_t used = own >= min_value_chunk(w) ? clobbered_at(sc, reg, p, own, end, c) : 0;
    uint64_t next;
    if (used)
      next = p + used; /* the object's own chunk: the next stale header follows it */
    else if (own == cs && p == c && !(p + own < end))
      next = next_boundary(sc, p, end, end); /* p's size is the merged one */
    else
      next = next_boundary(sc, p, p + own < end ? p + own : end, end);
    if (next == 0 || next <= p || next >= end)
      break;
    p = next;
    uint8_t b[8];
    if (wread(sc, p + w, b, w) < w)
      break;
    own = span_word(b, w) & ~(uint64_t)7;
  }
}

/* Walk the chunks whose header lies before limit. */
static void walk_heap(struct scanner *sc, const struct crv_region *r, uint64_t present,
                      uint64_t *next, uint64_t limit)
{
  const unsigned w = sc->cfg->layout->hdr->ptr_size;
  const uint64_t end = r->start + present;
  while (*next != UINT64_MAX && *next + 2 * w <= limit && !sc->stopped) {
    uint8_t b[8];
    if (wread(sc, *next + w, b, w) < w) {
      *next = UINT64_MAX;
      return;
    }
    uint64_t sz = span_word(b, w), cs = sz & ~(uint64_t)7;
    if (!crvi_malloc_size_valid(w, sz) || cs > end - *next) {
      *next = UINT64_MAX; /* the chain broke: not (or no longer) a malloc heap */
      return;
    }
    /* The top chunk (the last) is included: freed chunks merge into it, and what they
     * held stays until it is handed out again. */
    if (cs >= min_value_chunk(w))
      clobbered_chunk(sc, r, *next, cs);
    *next += cs;
  }
}

crv_err crvi_scan(const struct crv_scan_cfg *cfg, crv_summary *sum)
{
  struct scanner sc = {.cfg = cfg, .sum = sum,
                       .skip_sizes = crvi_skip_sizes_for(cfg->layout->hdr->ptr_size)};
  struct crv_space *s = cfg->space;
  size_t chunk = cfg->chunk < CRV_MIN_CHUNK ? CRV_MIN_CHUNK : cfg->chunk;
  struct crv_windows_cfg wcfg = {
      .space = s,
      .chunk = chunk & ~(size_t)7, /* keep chunk starts pointer-aligned */
      .ptr_size = cfg->layout->hdr->ptr_size,
      .text_type = cfg->text_type,
      .bytes_type = cfg->bytes_type,
      .threads = cfg->threads,
      .judge = judge_ahead,
      .judge_user = cfg,
      .verdict_size = sizeof(struct verdict),
  };
  struct crv_windows *ws;
  uint64_t total = crvi_space_total(s), done = 0;
  crv_err e = crvi_windows_open(&ws, &wcfg);
  if (e != CRV_OK)
    return e;
  for (size_t i = 0; i < s->n && !sc.stopped && e == CRV_OK; i++) {
    const struct crv_region *r = &s->r[i];
    uint64_t size = r->end - r->start;
    uint64_t present = r->present < size ? r->present : size;
    sum->regions++;
    if (present < size)
      sum->holes++;
    if (present == 0)
      continue; /* no windows */
    int in_image = r->start < cfg->image_end && cfg->image_start < r->end;
    uint64_t mchunk = cfg->clobbered && !in_image ? heap_chain_start(&sc, r, present) : UINT64_MAX;
    for (;;) {
      if (cfg->stop && *cfg->stop) {
        sum->interrupted = 1;
        e = CRV_ERR_ABORTED;
        break;
      }
      if (cfg->byte_budget && done >= cfg->byte_budget) {
        sc.stopped = 1;
        break;
      }
      crv_err we;
      const struct crv_window *wd = crvi_windows_next(ws, &we);
      if (!wd) {
        e = we; /* out of memory; never the end while the region has bytes */
        break;
      }
      if (wd->short_read) {
        sum->holes++; /* the file shrank or failed while reading */
        if (r->backing == CRV_BACK_FILE || r->backing == CRV_BACK_CORE)
          crvi_space_warn(s, "%s: only %llu of its %llu bytes could be read (the file shrank or "
                          "a read failed); the rest is a hole",
                          r->file, (unsigned long long)(wd->base + wd->lb + wd->body - r->start),
                          (unsigned long long)present);
        if (wd->body == 0)
          break;
      }
      sc.w = wd;
      const struct verdict *ahead = wd->judged;
      for (size_t h = 0; h < wd->n_hits && !sc.stopped; h++)
        candidate(&sc, h, h < wd->n_judged ? &ahead[h] : NULL);
      walk_heap(&sc, r, present, &mchunk, wd->base + wd->lb + wd->body);
      sum->bytes_scanned += wd->body;
      done += wd->body;
      if (cfg->progress.fn)
        cfg->progress.fn(cfg->progress.user, "carving", done, total);
      if (sc.stopped || wd->region_end)
        break;
    }
    sc.w = NULL; /* the window is handed back at the next call */
  }
  crvi_windows_close(ws);
  free(sc.scratch);
  return e;
}
