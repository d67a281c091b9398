/* SPDX-License-Identifier: MIT */
/* End-to-end tests of the carving pipeline on synthetic processes written as Volatility
 * dump files: crvi_find_types, crvi_detect_version, crvi_scan (at several chunk sizes) and
 * the hash-key choice (zero key, key found in memory, unknown key).
 *
 * Each "world" is a fake process: an interpreter data mapping with PyType_Type, the str and
 * bytes types (plus decoy types), the Py_GetVersion() text and static objects; a heap made
 * of several adjacent dump files packed with objects of every kind and status; a region of
 * separate buffers; and a truncated Volatility 3 dump. Every object is recorded with what
 * the scanner must report (or, for decoys, the reason it must give for rejecting it). The
 * object bytes come from tests/unit/fixture.h, whose offsets are the reference's. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "hash/pyhash.h"
#include "layouts/layout.h"
#include "scan/key.h"
#include "scan/scan.h"
#include "source/space.h"
#include "util/limits.h"
#include "validators/validators.h"

/* ---- failure reporting that does not flood ------------------------------------------------ */

static int vprinted;
static void vfail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void vfail(const char *fmt, ...)
{
  va_list ap;
  check_count++;
  check_failures++;
  if (vprinted++ >= 40) {
    if (vprinted == 41)
      fprintf(stderr, "  (further mismatches not shown)\n");
    return;
  }
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* ---- the fake process ---------------------------------------------------------------------- */

#define MAX_REG 12

struct reg {
  uint64_t start;
  size_t size, present; /* present < size: the dump file is truncated (a hole) */
  int vol3;             /* pid.PID.vma.0xS-0xE.dmp instead of task.PID.0xS.vma */
  const char *path;     /* mapping path listed in the maps file, or NULL */
  uint8_t *buf;
  char file[80];        /* base name */
};

/* An object planted in memory, with what the scanner must say about it. */
struct plant {
  uint64_t addr;
  int decoy;  /* 1: must be rejected, with `reason` */
  int reason;
  int type;   /* CRV_OBJ_* */
  uint64_t ob_type;
  uint64_t length;
  unsigned kind;
  int ascii, interned;
  int64_t hash;
  int bad_hash; /* cached hash deliberately wrong */
  int status;
  uint64_t refcnt;
  size_t region;
  uint8_t *value;
  size_t value_len;
  size_t fp; /* bytes from addr the object occupies (its header and, if compact, value) */
};

enum hash_mode { H_ZERO, H_KEY, H_RANDOM };

struct world {
  const char *name;
  const struct fx_shape *sh;
  int py2;
  int64_t pid;
  struct reg r[MAX_REG];
  size_t nr;
  size_t img, other, trunc, heap_first, heap_last;
  uint64_t type_type, text_type, bytes_type, text_bs, bytes_bs;
  enum hash_mode hmode;
  crv_hash_key key;     /* the process's hash key */
  uint64_t key_addr;    /* where it is stored in memory, 0 when nowhere */
  enum crv_hash_algo algo;
  int bad_hashes;       /* plant objects with wrong hashes (far from the first samples) */
  uint64_t rng;
  uint64_t aux, aux_end; /* bump allocator for separate buffers (OTHER region) */
  uint64_t unmapped;     /* an aligned address in no region */
  struct plant *p;
  size_t np, pcap;
  size_t n_fake;         /* misaligned look-alikes (never candidates) */
  int use_dir;           /* load with crvi_space_add_dir (plus a maps file) */
  char dir[64];
  /* expectations */
  const char *exp_python, *exp_full, *exp_source, *exp_layout;
  size_t exp_candidates; /* layouts fitting the type objects */
  size_t strong_targets, strong_placed;
};

static uint64_t rnd(struct world *W, uint64_t lo, uint64_t hi)
{
  return fx_range(&W->rng, lo, hi);
}

static size_t add_reg(struct world *W, uint64_t start, size_t size, size_t present, int vol3,
                      const char *path, int random_fill)
{
  struct reg *r = &W->r[W->nr];
  memset(r, 0, sizeof *r);
  r->start = start;
  r->size = size;
  r->present = present;
  r->vol3 = vol3;
  r->path = path;
  r->buf = calloc(1, size);
  if (!r->buf)
    abort();
  if (random_fill)
    for (size_t i = 0; i < size; i++)
      r->buf[i] = (uint8_t)fx_rand(&W->rng);
  if (vol3)
    snprintf(r->file, sizeof r->file, "pid.%lld.vma.0x%llx-0x%llx.dmp", (long long)W->pid,
             (unsigned long long)start, (unsigned long long)(start + size));
  else
    snprintf(r->file, sizeof r->file, "task.%lld.0x%llx.vma", (long long)W->pid,
             (unsigned long long)start);
  return W->nr++;
}

static struct reg *reg_of(struct world *W, uint64_t a, size_t *idx)
{
  for (size_t i = 0; i < W->nr; i++)
    if (a >= W->r[i].start && a - W->r[i].start < W->r[i].size) {
      if (idx)
        *idx = i;
      return &W->r[i];
    }
  return NULL;
}

/* Set while planting objects that deliberately run off the end of mapped memory. */
static int g_clip;

/* Writes bytes at a target address, continuing into adjacent regions. */
static void wr(struct world *W, uint64_t addr, const void *src, size_t n)
{
  const uint8_t *s = src;
  while (n) {
    struct reg *r = reg_of(W, addr, NULL);
    if (!r && g_clip)
      return;
    if (!r) {
      fprintf(stderr, "fixture bug: %s: write at 0x%llx outside every region\n", W->name,
              (unsigned long long)addr);
      abort();
    }
    size_t off = (size_t)(addr - r->start), k = r->size - off < n ? r->size - off : n;
    memcpy(r->buf + off, s, k);
    addr += k;
    s += k;
    n -= k;
  }
}

static void wr_word(struct world *W, uint64_t addr, uint64_t v)
{
  uint8_t b[8];
  fx_putw(b, W->sh->w, v);
  wr(W, addr, b, W->sh->w);
}

static uint64_t aux_alloc(struct world *W, size_t n)
{
  uint64_t a = W->aux;
  W->aux += (n + 15) & ~(size_t)15;
  if (W->aux > W->aux_end) {
    fprintf(stderr, "fixture bug: %s: aux region full\n", W->name);
    abort();
  }
  return a;
}

static struct plant *new_plant(struct world *W)
{
  if (W->np == W->pcap) {
    W->pcap = W->pcap ? 2 * W->pcap : 1024;
    W->p = realloc(W->p, W->pcap * sizeof *W->p);
    if (!W->p)
      abort();
  }
  struct plant *p = &W->p[W->np++];
  memset(p, 0, sizeof *p);
  return p;
}

/* ---- objects ---------------------------------------------------------------------------- */

enum okind { K_ASCII, K_LATIN1, K_UCS2, K_UCS4, K_LEGACY, K_UTF8CACHE, K_BYTES, K_UNI27,
             K_COUNT };
enum status_kind { S_LIVE, S_IMMORTAL, S_FREED0, S_FREEDPTR, S_UNKNOWN, S_COUNT };
enum defect {
  D_NONE,
  /* PEP 393 str */
  D_NEG_LEN, D_KIND3, D_KIND0, D_ASCII_KIND2, D_NO_NUL, D_LATIN1_ASCII, D_UCS2_LOW,
  D_UCS4_LOW, D_CP_HIGH, D_UTF8_NULL_LEN, D_UTF8_EQ_DATA, D_LEGACY_NULL, D_LEGACY_MISALIGNED,
  D_LEGACY_UNMAPPED, D_LEGACY_ASCII_UTF8, D_HUGE_LEN, D_HASH_ZERO,
  /* bytes / 2.7 str */
  D_BYTES_NEG, D_BYTES_NO_NUL, D_BYTES_HUGE, D_BYTES_HASH_ZERO, D_SSTATE3,
  /* 2.7 unicode */
  D_UNI_NULL_STR, D_UNI_MISALIGNED, D_UNI_DEFENC, D_UNI_CP_HIGH, D_UNI_NEG_LEN, D_UNI_UNMAPPED,
  D_UNI_NO_NUL, D_UNI_HASH_ZERO,
  D_COUNT
};

static int defect_reason(int d)
{
  switch (d) {
  case D_NEG_LEN: case D_BYTES_NEG: case D_UNI_NEG_LEN: return CRV_R_LENGTH;
  case D_KIND3: case D_KIND0: return CRV_R_KIND;
  case D_ASCII_KIND2: return CRV_R_ASCII_KIND;
  case D_NO_NUL: case D_BYTES_NO_NUL: case D_UNI_NO_NUL: return CRV_R_NUL;
  case D_LATIN1_ASCII: case D_UCS2_LOW: case D_UCS4_LOW: return CRV_R_NOT_CANONICAL;
  case D_CP_HIGH: case D_UNI_CP_HIGH: return CRV_R_CODEPOINT;
  case D_UTF8_NULL_LEN: case D_UTF8_EQ_DATA: case D_LEGACY_ASCII_UTF8: return CRV_R_UTF8;
  case D_LEGACY_NULL: case D_LEGACY_MISALIGNED: case D_UNI_NULL_STR: case D_UNI_MISALIGNED:
  case D_UNI_DEFENC: return CRV_R_DATA_PTR;
  case D_LEGACY_UNMAPPED: case D_UNI_UNMAPPED: return CRV_R_DATA_SHORT;
  case D_HUGE_LEN: case D_BYTES_HUGE: return CRV_R_OVER_CAP;
  case D_HASH_ZERO: case D_BYTES_HASH_ZERO: case D_UNI_HASH_ZERO: return CRV_R_HASH_ZERO;
  case D_SSTATE3: return CRV_R_SSTATE;
  default: return -1;
  }
}

struct obj {
  int okind, defect, st;
  uint32_t *cp; /* code points (text) or byte values (bytes) */
  size_t n;
  unsigned kind;
  int ascii;
  unsigned interned;
  uint64_t refcnt;
  int status;
  int64_t hash;
  int bad_hash;
};

static uint32_t g_cp[20001];

static void gen_cps(struct world *W, int okind, size_t n, uint32_t *cp)
{
  for (size_t i = 0; i < n; i++) {
    switch (okind) {
    case K_ASCII:
      cp[i] = (uint32_t)rnd(W, 0x20, 0x7e);
      break;
    case K_LATIN1:
      cp[i] = (uint32_t)(rnd(W, 0, 3) ? rnd(W, 0x20, 0x7e) : rnd(W, 0x80, 0xFF));
      break;
    case K_UCS2:
      cp[i] = (uint32_t)(rnd(W, 0, 2) ? rnd(W, 0x20, 0xFF) : rnd(W, 0x100, 0xFFFF));
      break;
    case K_UCS4:
    case K_UNI27:
      cp[i] = (uint32_t)(rnd(W, 0, 3) ? rnd(W, 0x20, 0xFFFF) : rnd(W, 0x10000, 0x10FFFF));
      break;
    default: /* bytes: anything, NULs included */
      cp[i] = (uint32_t)rnd(W, 0, 255);
      break;
    }
  }
  /* Make the kind canonical: at least one unit that needs it. */
  if (n) {
    size_t at = (size_t)rnd(W, 0, n - 1);
    if (okind == K_LATIN1)
      cp[at] = 0xE9;
    else if (okind == K_UCS2)
      cp[at] = rnd(W, 0, 4) ? 0x20AC : 0xDC80; /* a lone surrogate now and then */
    else if (okind == K_UCS4)
      cp[at] = 0x1F600;
  }
}

static int is_text_kind(int okind)
{
  return okind != K_BYTES;
}

static void set_status(struct world *W, struct obj *o, int st)
{
  const unsigned w = W->sh->w;
  o->st = st;
  switch (st) {
  case S_LIVE:
    o->refcnt = rnd(W, 1, 300);
    o->status = CRV_STATUS_LIVE;
    break;
  case S_IMMORTAL:
    if (W->py2)
      o->refcnt = 1000000; /* 2.7 has no marks: a big count */
    else if (w == 8)
      o->refcnt = 0xFFFFFFFFu; /* 3.12-3.13 (§1.2) */
    else
      o->refcnt = 0x50000000u; /* 3.14 i386 heap immortal */
    o->status = CRV_STATUS_LIVE;
    break;
  case S_FREED0:
    o->refcnt = 0;
    o->status = CRV_STATUS_FREED;
    break;
  case S_FREEDPTR: {
    /* The next free block: another object of the heap. */
    uint64_t target = W->r[W->heap_first].start + 0x40;
    for (size_t tries = 0; tries < 8 && W->np; tries++) {
      const struct plant *q = &W->p[rnd(W, 0, W->np - 1)];
      if (q->region >= W->heap_first && q->region <= W->heap_last && q->addr % w == 0) {
        target = q->addr;
        break;
      }
    }
    o->refcnt = target;
    o->status = CRV_STATUS_FREED;
    break;
  }
  default: /* neither a count, nor a mark, nor a pointer */
    if (w == 8)
      o->refcnt = 0x4141414141414141ull ^ (rnd(W, 0, 0xFFFF) << 16);
    else
      o->refcnt = 0xdeadbeefu ^ (uint32_t)(rnd(W, 0, 0xFF) << 16);
    o->status = CRV_STATUS_UNKNOWN;
    break;
  }
}

/* The value bytes as the scanner reports them. */
static size_t value_bytes(const struct obj *o, unsigned unit, uint8_t *out)
{
  for (size_t i = 0; i < o->n; i++)
    for (unsigned b = 0; b < unit; b++)
      out[i * unit + b] = (uint8_t)(o->cp[i] >> (8 * b));
  return o->n * unit;
}

static void set_hash(struct world *W, struct obj *o, const uint8_t *val, size_t len,
                     unsigned unit, int allow_bad)
{
  const unsigned w = W->sh->w;
  o->bad_hash = 0;
  if (rnd(W, 0, 3) == 0) {
    o->hash = -1; /* never hashed */
    return;
  }
  if (W->hmode == H_RANDOM) {
    uint64_t v = fx_rand(&W->rng);
    o->hash = w == 8 ? (int64_t)v : (int64_t)(int32_t)(uint32_t)v;
  } else {
    o->hash = crvi_pyhash(W->algo, &W->key, w, val, len, unit);
  }
  if (allow_bad && W->bad_hashes && rnd(W, 0, 15) == 0) {
    o->hash ^= 0x5a;
    o->bad_hash = 1;
  }
  if (o->hash == -1 || (o->hash == 0 && len > 0)) /* stay plausible */
    o->hash = 12345;
}

static int is_legacy(const struct obj *o)
{
  return o->okind == K_LEGACY || o->defect == D_LEGACY_NULL ||
         o->defect == D_LEGACY_MISALIGNED || o->defect == D_LEGACY_UNMAPPED ||
         o->defect == D_LEGACY_ASCII_UTF8;
}

/* Footprint in memory starting at the object's address (NUL included). */
static size_t footprint(const struct world *W, const struct obj *o)
{
  const struct fx_shape *s = W->sh;
  if (o->okind == K_BYTES)
    return s->b_sval + o->n + 1;
  if (o->okind == K_UNI27)
    return s->u_basicsize;
  if (is_legacy(o))
    return s->s_basicsize;
  if (o->ascii && o->kind == 1)
    return s->s_ascii_data + o->n + 1;
  return s->s_compact_data + (o->n + 1) * o->kind;
}

/* A new object description (not yet placed). defect: D_NONE or one applicable to okind. */
static void make_obj(struct world *W, struct obj *o, int okind, size_t n, int defect, int st,
                     int allow_bad)
{
  memset(o, 0, sizeof *o);
  o->okind = okind;
  o->defect = defect;
  o->cp = g_cp;
  o->n = n;
  gen_cps(W, okind == K_LEGACY || okind == K_UTF8CACHE ? (int)rnd(W, K_ASCII, K_UCS4) : okind,
          n, g_cp);
  if (okind == K_UTF8CACHE && fx_canon_kind(g_cp, n, NULL) == 1 && n)
    g_cp[0] = 0xE9; /* the cache exists only for non-ASCII strings */
  switch (defect) {
  case D_LATIN1_ASCII:
    gen_cps(W, K_ASCII, n, g_cp);
    break;
  case D_UCS2_LOW:
    gen_cps(W, K_LATIN1, n, g_cp);
    break;
  case D_UCS4_LOW:
    gen_cps(W, K_UCS2, n, g_cp);
    break;
  case D_CP_HIGH:
  case D_UNI_CP_HIGH:
    gen_cps(W, K_UCS4, n, g_cp);
    g_cp[n - 1] = 0x110000 + (uint32_t)rnd(W, 0, 0xFFFF);
    break;
  case D_ASCII_KIND2:
    gen_cps(W, K_UCS2, n, g_cp);
    break;
  case D_LEGACY_ASCII_UTF8:
    gen_cps(W, K_ASCII, n, g_cp);
    break;
  default:
    break;
  }
  int ascii = 0;
  o->kind = is_text_kind(okind) && okind != K_UNI27 ? fx_canon_kind(g_cp, n, &ascii) : 1;
  o->ascii = ascii;
  if (defect == D_LATIN1_ASCII)
    o->ascii = 0;
  if (defect == D_UCS2_LOW)
    o->kind = 2, o->ascii = 0;
  if (defect == D_UCS4_LOW || defect == D_CP_HIGH)
    o->kind = 4, o->ascii = 0;
  if (okind == K_UNI27)
    o->kind = 4;
  if (okind == K_BYTES && W->py2)
    o->interned = (unsigned)rnd(W, 0, 2);
  else if (is_text_kind(okind) && okind != K_UNI27)
    o->interned = (unsigned)rnd(W, 0, 3); /* 3.12+ worlds: 0..3 */
  set_status(W, o, st);
  uint8_t *val = malloc(4 * n + 4);
  if (!val)
    abort();
  size_t len = value_bytes(o, o->kind, val);
  set_hash(W, o, val, len, o->kind, allow_bad);
  free(val);
  if (defect == D_HASH_ZERO || defect == D_BYTES_HASH_ZERO || defect == D_UNI_HASH_ZERO)
    o->hash = 0;
}

/* Writes o at addr and records it. Returns the footprint. */
static size_t emit(struct world *W, uint64_t addr, const struct obj *o)
{
  const struct fx_shape *s = W->sh;
  const unsigned w = s->w;
  static uint8_t tmp[128 + 4 * 20001];
  size_t fp = footprint(W, o), reg_idx = 0;
  struct plant *p = new_plant(W);
  reg_of(W, addr, &reg_idx);
  p->addr = addr;
  p->fp = fp;
  p->decoy = o->defect != D_NONE;
  p->reason = defect_reason(o->defect);
  p->length = o->n;
  p->kind = o->kind;
  p->ascii = -1;
  p->interned = -1;
  p->hash = o->hash;
  p->bad_hash = o->bad_hash;
  p->status = o->status;
  p->refcnt = o->refcnt;
  p->region = reg_idx;
  p->value = malloc(4 * o->n + 4);
  if (!p->value)
    abort();
  p->value_len = value_bytes(o, o->kind, p->value);

  if (o->okind == K_BYTES) {
    uint8_t *bytes = malloc(o->n + 1);
    if (!bytes)
      abort();
    for (size_t i = 0; i < o->n; i++)
      bytes[i] = (uint8_t)o->cp[i];
    p->type = W->py2 ? CRV_OBJ_STR27 : CRV_OBJ_BYTES;
    p->ob_type = W->bytes_type;
    p->interned = W->py2 ? (int)o->interned : -1;
    fx_build_bytes(s, tmp, o->refcnt, W->bytes_type, bytes, o->n, o->hash,
                   o->defect == D_SSTATE3 ? 3 : o->interned);
    free(bytes);
    if (o->defect == D_BYTES_NEG)
      fx_putw(tmp + s->b_size, w, (uint64_t)-(int64_t)(o->n + 1));
    if (o->defect == D_BYTES_HUGE)
      fx_putw(tmp + s->b_size, w, w == 8 ? 1ull << 44 : 0x7FFFFFF0u);
    if (o->defect == D_BYTES_NO_NUL)
      tmp[s->b_sval + o->n] = 'Z';
    wr(W, addr, tmp, fp);
    return fp;
  }

  if (o->okind == K_UNI27) {
    p->type = CRV_OBJ_UNICODE27;
    p->ob_type = W->text_type;
    uint64_t buf = o->defect == D_UNI_NULL_STR ? 0
                   : o->defect == D_UNI_UNMAPPED ? W->unmapped
                                                  : aux_alloc(W, (o->n + 1) * 4);
    if (buf && buf != W->unmapped) {
      size_t ulen = fx_units(tmp, 4, o->cp, o->n);
      if (o->defect == D_UNI_NO_NUL)
        tmp[o->n * 4 + 1] = 0x01;
      wr(W, buf, tmp, ulen);
    }
    uint64_t str = o->defect == D_UNI_MISALIGNED ? buf + 2 : buf;
    uint64_t defenc = 0;
    if (o->defect == D_UNI_DEFENC)
      defenc = W->r[W->heap_first].start + 0x103;
    else if (rnd(W, 0, 3) == 0)
      defenc = W->r[W->heap_first].start + 0x100; /* some cached str */
    uint64_t n = o->defect == D_UNI_NULL_STR ? 0
                 : o->defect == D_UNI_NEG_LEN ? (uint64_t)-3
                                              : o->n;
    fx_build_ubuf(s, tmp, o->refcnt, W->text_type, n, str, o->hash, defenc, 0);
    wr(W, addr, tmp, fp);
    return fp;
  }

  /* PEP 393 str */
  struct fx_str fs = {.cp = o->cp, .n = o->n, .kind = o->kind,
                      .ascii = o->ascii ? FX_SET : FX_CLEAR, .interned = o->interned,
                      .refcnt = o->refcnt, .type = W->text_type, .hash = o->hash};
  p->type = CRV_OBJ_STR;
  p->ob_type = W->text_type;
  p->ascii = o->ascii;
  p->interned = (int)o->interned;
  int legacy = is_legacy(o);
  uint64_t data = 0;
  if (legacy) {
    fs.legacy = 1;
    if (o->defect == D_LEGACY_UNMAPPED)
      data = W->unmapped;
    else if (o->defect != D_LEGACY_NULL) {
      data = aux_alloc(W, (o->n + 1) * o->kind);
      size_t ulen = fx_units(tmp, o->kind, o->cp, o->n);
      wr(W, data, tmp, ulen);
    }
    fs.data_ptr = o->defect == D_LEGACY_MISALIGNED ? data + 1 : data;
    if (o->defect == D_LEGACY_NULL)
      fs.data_ptr = 0;
  }
  if (o->okind == K_UTF8CACHE && !o->ascii) {
    size_t u8 = fx_utf8_len(o->cp, o->n);
    fs.utf8 = aux_alloc(W, u8 + 1);
    fs.utf8_length = u8;
  }
  if (o->defect == D_UTF8_NULL_LEN)
    fs.utf8 = 0, fs.utf8_length = o->n + 3;
  if (o->defect == D_UTF8_EQ_DATA)
    fs.utf8 = addr + s->s_compact_data, fs.utf8_length = 2 * o->n;
  size_t built = fx_build_str(s, tmp, addr, &fs, NULL, NULL);
  if (built != fp) {
    fprintf(stderr, "fixture bug: footprint %zu != %zu\n", built, fp);
    abort();
  }
  const int compact = !legacy;
  size_t doff = o->ascii ? s->s_ascii_data : s->s_compact_data;
  switch (o->defect) {
  case D_NEG_LEN:
    fx_putw(tmp + s->s_length, w, (uint64_t)-(int64_t)(o->n + 1));
    break;
  case D_KIND3:
  case D_KIND0:
    fx_put32(tmp + s->s_state,
             fx_state(s, o->interned, o->defect == D_KIND3 ? 3 : 0, compact, 0, 0));
    break;
  case D_ASCII_KIND2:
    fx_put32(tmp + s->s_state, fx_state(s, o->interned, 2, compact, 1, 0));
    break;
  case D_NO_NUL:
    tmp[doff + o->n * o->kind] = 'Z';
    break;
  case D_LEGACY_ASCII_UTF8:
    fx_putw(tmp + s->s_utf8, w, data + 16);
    break;
  case D_HUGE_LEN:
    fx_putw(tmp + s->s_length, w, w == 8 ? 1ull << 44 : 0x7FFFFFF0u);
    break;
  default:
    break;
  }
  /* GIL builds: bits 8-31 of the state word and (LP64) the 4 bytes after it are garbage. */
  if (!s->state_ft314) {
    for (unsigned i = 1; i < 4; i++)
      tmp[s->s_state + i] = (uint8_t)fx_rand(&W->rng);
    if (w == 8)
      for (unsigned i = 4; i < 8; i++)
        tmp[s->s_state + i] = (uint8_t)fx_rand(&W->rng);
  }
  wr(W, addr, tmp, fp);
  return fp;
}

/* A misaligned look-alike of a str: its type word is never at an aligned address. */
static size_t emit_fake(struct world *W, uint64_t addr)
{
  struct obj o;
  static uint8_t tmp[512];
  make_obj(W, &o, K_ASCII, (size_t)rnd(W, 5, 40), D_NONE, S_LIVE, 0);
  if (W->py2) {
    fx_build_bytes(W->sh, tmp, 1, W->bytes_type, (const uint8_t *)"misaligned", 10, -1, 0);
    wr(W, addr, tmp, W->sh->b_sval + 11);
    W->n_fake++;
    return W->sh->b_sval + 11;
  }
  struct fx_str fs = {.cp = o.cp, .n = o.n, .refcnt = 1, .type = W->text_type, .hash = -1};
  size_t fp = fx_build_str(W->sh, tmp, addr, &fs, NULL, NULL);
  wr(W, addr, tmp, fp);
  W->n_fake++;
  return fp;
}

/* ---- populating memory ------------------------------------------------------------------- */

static int pick_decoy(struct world *W, int okind)
{
  static const int str_d[] = {D_NEG_LEN,        D_KIND3,          D_KIND0,
                              D_ASCII_KIND2,    D_NO_NUL,         D_LATIN1_ASCII,
                              D_UCS2_LOW,       D_UCS4_LOW,       D_CP_HIGH,
                              D_UTF8_NULL_LEN,  D_UTF8_EQ_DATA,   D_LEGACY_NULL,
                              D_LEGACY_MISALIGNED, D_LEGACY_UNMAPPED, D_LEGACY_ASCII_UTF8,
                              D_HUGE_LEN,       D_HASH_ZERO};
  static const int bytes_d[] = {D_BYTES_NEG, D_BYTES_NO_NUL, D_BYTES_HUGE, D_BYTES_HASH_ZERO};
  static const int uni_d[] = {D_UNI_NULL_STR, D_UNI_MISALIGNED, D_UNI_DEFENC, D_UNI_CP_HIGH,
                              D_UNI_NEG_LEN,  D_UNI_UNMAPPED,   D_UNI_NO_NUL, D_UNI_HASH_ZERO};
  if (okind == K_BYTES) {
    if (W->py2 && rnd(W, 0, 4) == 0)
      return D_SSTATE3;
    return bytes_d[rnd(W, 0, sizeof bytes_d / sizeof bytes_d[0] - 1)];
  }
  if (okind == K_UNI27)
    return uni_d[rnd(W, 0, sizeof uni_d / sizeof uni_d[0] - 1)];
  return str_d[rnd(W, 0, sizeof str_d / sizeof str_d[0] - 1)];
}

static int random_okind(struct world *W)
{
  if (W->py2)
    return rnd(W, 0, 1) ? K_BYTES : K_UNI27;
  static const int k[] = {K_ASCII, K_ASCII, K_ASCII, K_LATIN1, K_UCS2, K_UCS4,
                          K_LEGACY, K_UTF8CACHE, K_BYTES, K_BYTES};
  return k[rnd(W, 0, sizeof k / sizeof k[0] - 1)];
}

/* A random object: mostly valid, sometimes a decoy; short values. */
static void random_obj(struct world *W, struct obj *o, int allow_decoy, int allow_bad)
{
  int okind = random_okind(W);
  size_t n = rnd(W, 0, 9) == 0 ? (size_t)rnd(W, 100, 300) : (size_t)rnd(W, 1, 60);
  int defect = allow_decoy && rnd(W, 0, 11) == 0 ? pick_decoy(W, okind) : D_NONE;
  /* Decoys that need a particular representation. */
  if (defect >= D_NEG_LEN && defect <= D_HASH_ZERO) {
    if (defect == D_UTF8_NULL_LEN || defect == D_UTF8_EQ_DATA)
      okind = K_LATIN1;
    else if (okind == K_LEGACY || okind == K_UTF8CACHE)
      okind = K_ASCII;
  }
  if (n == 0)
    n = 1;
  int st = (int)rnd(W, 0, S_COUNT - 1);
  make_obj(W, o, okind, n, defect, st, allow_bad);
}

struct target {
  uint64_t addr;
  int what; /* 0: a medium object; 1..4: long ASCII, UCS2, UCS4, bytes */
  int strong;
};

static int cmp_target(const void *a, const void *b)
{
  const struct target *x = a, *y = b;
  return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* A valid object for a target. Long ones: values beyond the chunk look-ahead (4096). */
static void target_obj(struct world *W, struct obj *o, int what)
{
  int st = (int)rnd(W, 0, S_COUNT - 1);
  switch (what) {
  case 1:
    make_obj(W, o, W->py2 ? K_BYTES : K_ASCII, 9000, D_NONE, st, 0);
    break;
  case 2:
    make_obj(W, o, W->py2 ? K_BYTES : K_UCS2, 3000, D_NONE, st, 0);
    break;
  case 3:
    make_obj(W, o, W->py2 ? K_BYTES : K_UCS4, 2500, D_NONE, st, 0);
    break;
  case 4:
    make_obj(W, o, K_BYTES, 20000, D_NONE, st, 0);
    break;
  default: {
    static const int k3[] = {K_ASCII, K_LATIN1, K_UCS2, K_UCS4, K_BYTES};
    int okind = W->py2 ? (rnd(W, 0, 1) ? K_BYTES : K_UNI27) : k3[rnd(W, 0, 4)];
    make_obj(W, o, okind, (size_t)rnd(W, 64, 160), D_NONE, st, 0);
    break;
  }
  }
}

/* Packs [start, end) (one or more adjacent regions) with objects. Strong targets get the
 * given object starting exactly at their address; each weak boundary (a chunk boundary) gets
 * an object straddling it, starting a rotating number of words before it. */
static void fill_span(struct world *W, uint64_t start, uint64_t end, struct target *tg,
                      size_t ntg, const uint64_t *bd, size_t nbd)
{
  const unsigned w = W->sh->w;
  uint64_t cur = start, k = 0;
  size_t ti = 0, bi = 0;
  qsort(tg, ntg, sizeof *tg, cmp_target);
  for (size_t i = 0; i < ntg; i++)
    if (tg[i].addr % w) {
      fprintf(stderr, "fixture bug: misaligned target 0x%llx\n", (unsigned long long)tg[i].addr);
      abort();
    }
  for (;;) {
    while (ti < ntg && tg[ti].addr < cur) {
      fprintf(stderr, "fixture: %s: strong target 0x%llx dropped\n", W->name,
              (unsigned long long)tg[ti].addr);
      ti++;
    }
    while (bi < nbd && bd[bi] < cur + 8)
      bi++; /* passed: the object before covers it, or the coverage check will say */
    const uint64_t T = ti < ntg ? tg[ti].addr : end;
    const uint64_t B = bi < nbd ? bd[bi] : UINT64_MAX;
    uint64_t lim = T;
    if (B != UINT64_MAX && B - 16 * w - 64 < lim)
      lim = B > cur + 16 * w + 64 ? B - 16 * w - 64 : cur;
    struct obj o;
    int bad_ok = cur - start > 0x10000; /* keep the first key samples honest */
    random_obj(W, &o, 1, bad_ok);
    uint64_t gap = rnd(W, 0, 7) == 0 ? rnd(W, 0, 64) * w : rnd(W, 0, 3) * w;
    uint64_t pos = cur + gap;
    size_t fp = footprint(W, &o);
    if (pos + fp + 8 <= lim) {
      if (rnd(W, 0, 40) == 0 && pos + 600 < lim) {
        /* now and then a misaligned look-alike instead */
        cur = pos + w / 2 + emit_fake(W, pos + w / 2);
      } else {
        emit(W, pos, &o);
        cur = pos + fp;
        if (o.defect == D_NO_NUL || o.defect == D_BYTES_NO_NUL)
          cur++; /* keep the byte that replaced the NUL from being the next object's */
      }
      cur = (cur + w - 1) & ~(uint64_t)(w - 1);
      continue;
    }
    if (ti < ntg && T <= B) {
      target_obj(W, &o, tg[ti].what);
      emit(W, T, &o);
      W->strong_placed++;
      cur = (T + footprint(W, &o) + w - 1) & ~(uint64_t)(w - 1);
      ti++;
      continue;
    }
    if (B == UINT64_MAX)
      break;
    /* An object straddling boundary B. */
    target_obj(W, &o, 0);
    fp = footprint(W, &o);
    uint64_t maxd = (fp - 1) / w < 12 ? (fp - 1) / w : 12;
    pos = B - w * (1 + k++ % maxd);
    if (pos < cur)
      pos = cur;
    if (pos + fp <= B) { /* too short to reach B from here: take a longer bytes object */
      make_obj(W, &o, K_BYTES, 120, D_NONE, S_LIVE, 0);
      fp = footprint(W, &o);
    }
    if (pos + fp + 8 > T) {
      /* The next target (or the end) is close: end exactly there instead. */
      pos = B - 8 * w > cur ? B - 8 * w : cur;
      if (T < pos + W->sh->b_sval + 1 + 8) {
        bi++;
        continue;
      }
      make_obj(W, &o, K_BYTES, (size_t)(T - pos - W->sh->b_sval - 1), D_NONE, S_LIVE, 0);
      fp = footprint(W, &o);
    }
    emit(W, pos, &o);
    cur = (pos + fp + w - 1) & ~(uint64_t)(w - 1);
    bi++;
  }
}

/* ---- the interpreter image ------------------------------------------------------------------ */

#define IMG_NAMES 0x40u
#define IMG_TYPE_TYPE 0x100u
#define IMG_DECOY_HEAP 0x300u
#define IMG_DECOY_NAME 0x500u
#define IMG_TEXT 0x700u
#define IMG_DECOY_BYTES 0x900u
#define IMG_BYTES 0xb00u
#define IMG_VERSION 0x1000u
#define IMG_COOKIE 0x1100u
#define IMG_KEY 0x1200u
#define IMG_OBJS 0x1400u

static void put_type(struct world *W, uint64_t at, uint64_t refcnt, uint64_t ob_type,
                     uint64_t name, uint64_t basicsize, uint64_t itemsize, uint64_t flags)
{
  const unsigned w = W->sh->w;
  /* Offsets of §7.1 (GIL builds): ob_type w, tp_name 3w, basicsize 4w, itemsize 5w;
   * tp_flags 168 (LP64) / 84 (ILP32). */
  const unsigned flags_off = w == 8 ? 168 : 84;
  wr_word(W, at, refcnt);
  wr_word(W, at + w, ob_type);
  wr_word(W, at + 3 * w, name);
  wr_word(W, at + 4 * w, basicsize);
  wr_word(W, at + 5 * w, itemsize);
  wr_word(W, at + flags_off, flags);
}

struct image_spec {
  uint64_t type_basicsize, type_itemsize, type_flags, text_flags, bytes_flags, static_refcnt;
  const char *version_text;
  int cookie;             /* write _Py_DebugOffsets' "xdebugpy" + version */
  uint64_t cookie_hex;
};

static void build_image(struct world *W, const struct image_spec *is)
{
  const uint64_t base = W->r[W->img].start;
  const char *text_name = W->py2 ? "unicode" : "str", *bytes_name = W->py2 ? "str" : "bytes";
  wr(W, base + IMG_NAMES, "type", 5);
  wr(W, base + IMG_NAMES + 0x10, text_name, strlen(text_name) + 1);
  wr(W, base + IMG_NAMES + 0x20, bytes_name, strlen(bytes_name) + 1);
  wr(W, base + IMG_NAMES + 0x30, "strange", 8);
  W->type_type = base + IMG_TYPE_TYPE;
  W->text_type = base + IMG_TEXT;
  W->bytes_type = base + IMG_BYTES;
  put_type(W, W->type_type, is->static_refcnt, W->type_type, base + IMG_NAMES,
           is->type_basicsize, is->type_itemsize, is->type_flags);
  /* Decoys before the real types: a heap subclass named like the text type, a static
   * text-flagged type with another name, a bytes-flagged type with itemsize 0. */
  put_type(W, base + IMG_DECOY_HEAP, 3, W->type_type, base + IMG_NAMES + 0x10, W->text_bs, 0,
           is->text_flags | (1u << 9));
  put_type(W, base + IMG_DECOY_NAME, is->static_refcnt, W->type_type, base + IMG_NAMES + 0x30,
           W->text_bs, 0, is->text_flags);
  put_type(W, base + IMG_DECOY_BYTES, is->static_refcnt, W->type_type, base + IMG_NAMES + 0x20,
           W->bytes_bs, 0, is->bytes_flags);
  put_type(W, W->text_type, is->static_refcnt, W->type_type, base + IMG_NAMES + 0x10,
           W->text_bs, 0, is->text_flags);
  put_type(W, W->bytes_type, is->static_refcnt, W->type_type, base + IMG_NAMES + 0x20,
           W->bytes_bs, 1, is->bytes_flags);
  wr(W, base + IMG_VERSION, is->version_text, strlen(is->version_text) + 1);
  if (is->cookie) {
    uint8_t c[24];
    memcpy(c, "xdebugpy", 8);
    fx_put64(c + 8, is->cookie_hex);
    fx_put64(c + 16, 0);
    wr(W, base + IMG_COOKIE, c, sizeof c);
  }
  if (W->key_addr) {
    W->key_addr = base + IMG_KEY;
    wr(W, W->key_addr, W->key.bytes, W->algo == CRV_HASHALG_FNV27 ? 2u * W->sh->w : 16u);
  }
  /* Static objects: live (immortal or a big count). */
  uint64_t at = base + IMG_OBJS;
  struct obj o;
  if (!W->py2) {
    /* '' (static, interned 3) and a static latin-1 character */
    make_obj(W, &o, K_ASCII, 0, D_NONE, S_IMMORTAL, 0);
    o.refcnt = is->static_refcnt;
    o.hash = 0;
    o.interned = 3;
    at += (emit(W, at, &o) + 15) & ~(size_t)15;
    g_cp[0] = 0xE9;
    make_obj(W, &o, K_LATIN1, 1, D_NONE, S_IMMORTAL, 0);
    o.refcnt = is->static_refcnt;
    at += (emit(W, at, &o) + 15) & ~(size_t)15;
  } else {
    make_obj(W, &o, K_UNI27, 3, D_NONE, S_LIVE, 0);
    at += (emit(W, at, &o) + 15) & ~(size_t)15;
  }
  /* b'' (3.x) / a 2.7 str */
  make_obj(W, &o, K_BYTES, W->py2 ? 4 : 0, D_NONE, S_LIVE, 0);
  o.refcnt = W->py2 ? 77 : is->static_refcnt;
  at += (emit(W, at, &o) + 15) & ~(size_t)15;
  /* A freed-looking object in the image: impossible, rejected. */
  make_obj(W, &o, W->py2 ? K_BYTES : K_ASCII, 6, D_NONE, S_FREED0, 0);
  emit(W, at, &o);
  W->p[W->np - 1].decoy = 1;
  W->p[W->np - 1].reason = CRV_R_STATIC_FREED;
}

/* ---- region-edge decoys -------------------------------------------------------------------- */

static void edge_decoys(struct world *W)
{
  const struct fx_shape *s = W->sh;
  const unsigned w = s->w;
  struct obj o;
  struct plant *p;
  /* The first word of a region with nothing before it is a type pointer: the header
   * would start in unmapped memory. */
  const struct reg *other = &W->r[W->other];
  wr_word(W, other->start, W->py2 ? W->bytes_type : W->text_type);
  p = new_plant(W);
  p->addr = other->start - s->off_type;
  p->decoy = 1;
  p->reason = CRV_R_SHORT;
  p->region = (size_t)-1;
  /* A header at the end of a region whose value runs past it into unmapped memory. */
  make_obj(W, &o, K_BYTES, 300, D_NONE, S_LIVE, 0);
  g_clip = 1;
  emit(W, other->start + other->size - 64, &o);
  g_clip = 0;
  W->p[W->np - 1].decoy = 1;
  W->p[W->np - 1].reason = CRV_R_DATA_SHORT;

  /* Truncated dump: some objects in the present part, then a value running into the hole
   * and a header cut by it. */
  const struct reg *t = &W->r[W->trunc];
  uint64_t cur = t->start + 0x40;
  for (int i = 0; i < 12; i++) {
    random_obj(W, &o, 0, 0);
    cur += emit(W, cur, &o);
    cur = (cur + 15) & ~(uint64_t)15;
  }
  make_obj(W, &o, W->py2 ? K_BYTES : K_ASCII, 1000, D_NONE, S_LIVE, 0);
  emit(W, t->start + t->present - 400, &o);
  W->p[W->np - 1].decoy = 1;
  W->p[W->np - 1].reason = CRV_R_DATA_SHORT;
  make_obj(W, &o, K_BYTES, 8, D_NONE, S_LIVE, 0);
  emit(W, t->start + t->present - 2 * w, &o); /* type word = the file's last word */
  W->p[W->np - 1].decoy = 1;
  W->p[W->np - 1].reason = CRV_R_SHORT;
}

/* ---- building a world ------------------------------------------------------------------------ */

struct layout_spec {
  uint64_t img, heap, other, trunc, unmapped;
  size_t heap_sizes[4];
  int big; /* megabyte-scale heap with 1 MiB / 4 MiB boundary targets */
};

static void build_world(struct world *W, const struct layout_spec *ls, const struct image_spec *is)
{
  const unsigned w = W->sh->w;
  W->img = add_reg(W, ls->img, 0x4000, 0x4000, 0, W->py2 ? "/usr/bin/python2.7" : NULL, 0);
  uint64_t a = ls->heap;
  W->heap_first = W->nr;
  for (int i = 0; i < 4; i++) {
    add_reg(W, a, ls->heap_sizes[i], ls->heap_sizes[i], 0, W->py2 && i == 0 ? "[heap]" : NULL,
            1);
    a += ls->heap_sizes[i];
  }
  W->heap_last = W->nr - 1;
  const size_t other_size = ls->big ? 0x200000 : 0x40000;
  W->other = add_reg(W, ls->other, other_size, other_size, 0, NULL, 1);
  W->aux = ls->other + 0x40;
  W->aux_end = ls->other + other_size - 0x100;
  W->trunc = add_reg(W, ls->trunc, 0x4000, 0x2000, 1, NULL, 1);
  W->unmapped = ls->unmapped;
  build_image(W, is);

  /* Targets: every 4088-byte chunk boundary of the heap span gets an object straddling it
   * at a rotating phase; region boundaries and (big worlds) the 1 MiB / 4 MiB boundaries
   * get particular ones; long values go where they cross boundaries beyond the look-ahead. */
  const uint64_t h0 = ls->heap, h1 = ls->heap + ls->heap_sizes[0];
  const uint64_t h2 = h1 + ls->heap_sizes[1], h3 = h2 + ls->heap_sizes[2];
  const uint64_t hend = h3 + ls->heap_sizes[3];
  struct target *tg = calloc(4096, sizeof *tg);
  size_t ntg = 0;
  if (!tg)
    abort();
#define STRONG(addr_, what_) (tg[ntg++] = (struct target){(addr_), (what_), 1}, W->strong_targets++)
  /* region boundaries: a long value from one file into the next; a type word that opens a
   * file; a header split between files */
  STRONG(h1 - 2000, 2);
  STRONG(h2 - w, 0);
  STRONG(h3 - 3 * w, 0);
  if (ls->big) {
    STRONG(h0 + (1u << 20) - w, 0);          /* type word opens the 1 MiB chunk */
    STRONG(h0 + (2u << 20) - 3000, 1);       /* 9000-char value across 2 MiB */
    STRONG(h0 + (3u << 20) - 5 * w, 0);      /* header split at 3 MiB */
    STRONG(h0 + (4u << 20) - w, 0);          /* the default chunk boundary */
    STRONG(h0 + (2560u << 10), 3);           /* UCS4 10000 bytes */
    STRONG(h0 + (3584u << 10), 4);           /* bytes 20000 */
  } else {
    STRONG(h0 + 0x10000 - 104, 1);
    STRONG(h0 + 0x18000, 3);
    STRONG(h0 + 0x20000 - 7000, 4);
  }
  /* Weak targets: every 4088-byte chunk boundary of every heap file. */
  uint64_t *bd = malloc(4096 * sizeof *bd);
  size_t nbd = 0;
  if (!bd)
    abort();
  for (size_t r = W->heap_first; r <= W->heap_last; r++)
    for (uint64_t b = W->r[r].start + 4088; b < W->r[r].start + W->r[r].size && nbd < 4096;
         b += 4088)
      bd[nbd++] = b;
  fill_span(W, h0 + 0x40, hend, tg, ntg, bd, nbd);
  free(tg);
  free(bd);
  edge_decoys(W);
}

static int write_world(struct world *W)
{
  snprintf(W->dir, sizeof W->dir, "/tmp/carver-ut-XXXXXX");
  if (!mkdtemp(W->dir)) {
    perror("mkdtemp");
    return -1;
  }
  for (size_t i = 0; i < W->nr; i++) {
    char path[192];
    snprintf(path, sizeof path, "%s/%s", W->dir, W->r[i].file);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(W->r[i].buf, 1, W->r[i].present, f) != W->r[i].present || fclose(f)) {
      perror(path);
      return -1;
    }
  }
  if (W->use_dir) {
    char path[192];
    snprintf(path, sizeof path, "%s/maps", W->dir);
    FILE *f = fopen(path, "w");
    if (!f)
      return -1;
    for (size_t i = 0; i < W->nr; i++)
      if (W->r[i].path)
        fprintf(f, "%llx-%llx rw-p 00000000 08:01 %zu                          %s\n",
                (unsigned long long)W->r[i].start,
                (unsigned long long)(W->r[i].start + W->r[i].size), i + 100, W->r[i].path);
    fclose(f);
    snprintf(path, sizeof path, "%s/notes.txt", W->dir);
    f = fopen(path, "w");
    if (f) {
      fputs("not a dump\n", f);
      fclose(f);
    }
  }
  return 0;
}

static void remove_world(struct world *W)
{
  char path[192];
  for (size_t i = 0; i < W->nr; i++) {
    snprintf(path, sizeof path, "%s/%s", W->dir, W->r[i].file);
    unlink(path);
    free(W->r[i].buf);
  }
  snprintf(path, sizeof path, "%s/maps", W->dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/notes.txt", W->dir);
  unlink(path);
  rmdir(W->dir);
  for (size_t i = 0; i < W->np; i++)
    free(W->p[i].value);
  free(W->p);
}

static int cmp_plant(const void *a, const void *b)
{
  const struct plant *x = a, *y = b;
  return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static const struct plant *find_plant(const struct world *W, uint64_t addr)
{
  size_t lo = 0, hi = W->np;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (W->p[mid].addr < addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < W->np && W->p[lo].addr == addr ? &W->p[lo] : NULL;
}

/* ---- loading and scanning ------------------------------------------------------------------ */

static unsigned warnings;
static void count_warning(void *user, const char *msg)
{
  (void)user;
  (void)msg;
  warnings++;
}

static int load_space(struct world *W, struct crv_space *s)
{
  crvi_space_init(s);
  s->warn = count_warning;
  warnings = 0;
  if (W->use_dir) {
    char *maps = NULL;
    crv_err e = crvi_space_add_dir(s, W->dir, &maps);
    CHECK_EQ_U64(e, CRV_OK);
    CHECK(maps != NULL);
    CHECK(warnings >= 1); /* notes.txt was skipped */
    if (e != CRV_OK)
      return -1;
    CHECK_EQ_U64(crvi_space_finish(s), CRV_OK);
    if (maps)
      CHECK_EQ_U64(crvi_space_apply_maps(s, maps), CRV_OK);
    free(maps);
  } else {
    /* Add in a scrambled order: finish() sorts. */
    for (size_t k = 0; k < W->nr; k++) {
      size_t i = (k * 5 + 3) % W->nr;
      char path[192];
      snprintf(path, sizeof path, "%s/%s", W->dir, W->r[i].file);
      crv_err e = crvi_space_add_file(s, path, 0, 0);
      CHECK_EQ_U64(e, CRV_OK);
      if (e != CRV_OK) {
        fprintf(stderr, "%s: %s\n", path, s->errmsg);
        return -1;
      }
    }
    CHECK_EQ_U64(crvi_space_finish(s), CRV_OK);
  }
  CHECK_EQ_U64(s->n, W->nr);
  CHECK_EQ_I64(s->pid, W->pid);
  uint64_t total = 0;
  for (size_t i = 0; i < W->nr; i++)
    total += W->r[i].present;
  CHECK_EQ_U64(crvi_space_total(s), total);
  return 0;
}

static const char *region_name(const struct world *W, size_t i)
{
  return W->use_dir && W->r[i].path ? W->r[i].path : W->r[i].file;
}

struct found {
  uint64_t addr, ob_type, length, refcnt;
  int type, ascii, interned, hash_check, status;
  unsigned kind;
  int64_t hash;
  char region[80];
  int has_proof;
  uint8_t *data;
  size_t len;
};
struct rejected {
  uint64_t addr;
  int reason;
};
struct collect {
  struct found *f;
  size_t n, cap;
  size_t stop_after;
  struct rejected *rj;
  size_t nr, rcap;
};

static int on_object(void *user, const crv_object *o)
{
  struct collect *c = user;
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 1024;
    c->f = realloc(c->f, c->cap * sizeof *c->f);
    if (!c->f)
      abort();
  }
  struct found *f = &c->f[c->n++];
  memset(f, 0, sizeof *f);
  f->addr = o->addr;
  f->ob_type = o->ob_type;
  f->length = o->length;
  f->refcnt = o->refcnt;
  f->type = o->type;
  f->ascii = o->ascii;
  f->interned = o->interned;
  f->hash_check = o->hash_check;
  f->status = o->status;
  f->kind = o->kind;
  f->hash = o->hash;
  snprintf(f->region, sizeof f->region, "%s", o->region ? o->region : "(null)");
  f->len = o->data_len;
  f->data = malloc(o->data_len + 1);
  if (!f->data)
    abort();
  if (o->data_len)
    memcpy(f->data, o->data, o->data_len);
  return c->stop_after && c->n >= c->stop_after;
}

static void on_reject(void *user, uint64_t addr, int is_text, int reason)
{
  struct collect *c = user;
  (void)is_text;
  if (c->nr == c->rcap) {
    c->rcap = c->rcap ? 2 * c->rcap : 256;
    c->rj = realloc(c->rj, c->rcap * sizeof *c->rj);
    if (!c->rj)
      abort();
  }
  c->rj[c->nr++] = (struct rejected){addr, reason};
}

static void collect_free(struct collect *c)
{
  for (size_t i = 0; i < c->n; i++)
    free(c->f[i].data);
  free(c->f);
  free(c->rj);
  memset(c, 0, sizeof *c);
}

struct run {
  size_t chunk;
  const crv_hash_key *key;
  int keep_mismatch;
  uint64_t max_value;
  int clobbered;
  size_t stop_after;
  int threads; /* 2: the reader thread reads ahead and validates hits */
};

static struct crv_scan_cfg base_cfg(struct world *W, struct crv_space *s,
                                    const struct crv_layout *l)
{
  struct crv_scan_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.space = s;
  cfg.layout = l;
  cfg.text_type = W->text_type;
  cfg.bytes_type = W->bytes_type;
  cfg.image_start = W->r[W->img].start;
  cfg.image_end = W->r[W->img].start + W->r[W->img].size;
  cfg.max_value = CRV_DEFAULT_MAX_VALUE;
  cfg.chunk = CRV_DEFAULT_CHUNK;
  return cfg;
}

static crv_err do_scan(struct world *W, struct crv_space *s, const struct crv_layout *l,
                       const struct run *rn, struct collect *c, crv_summary *sum)
{
  struct crv_scan_cfg cfg = base_cfg(W, s, l);
  cfg.chunk = rn->chunk;
  cfg.threads = rn->threads;
  cfg.key = rn->key;
  cfg.keep_mismatch = rn->keep_mismatch;
  cfg.clobbered = rn->clobbered;
  if (rn->max_value)
    cfg.max_value = rn->max_value;
  cfg.on_object = on_object;
  cfg.on_reject = on_reject;
  cfg.user = c;
  memset(c, 0, sizeof *c);
  c->stop_after = rn->stop_after;
  memset(sum, 0, sizeof *sum);
  return crvi_scan(&cfg, sum);
}

/* Checks one complete scan against the planted objects. */
static void verify(struct world *W, const struct run *rn, const struct collect *c,
                   const crv_summary *sum)
{
  const uint64_t cap = rn->max_value ? rn->max_value : CRV_DEFAULT_MAX_VALUE;
  size_t n_planted = 0, n_decoys = 0, exp_reported = 0, exp_rejected = 0, exp_over = 0;
  uint64_t exp_by_reason[CRV_MAX_REASONS] = {0};
  uint8_t *seen = calloc(W->np, 1), *rseen = calloc(W->np, 1);
  uint64_t by_type[CRV_OBJ_TYPE_COUNT] = {0}, by_status[CRV_STATUS_COUNT] = {0},
           by_check[CRV_HASH_CHECK_COUNT] = {0};
  vprinted = 0;
  if (!seen || !rseen)
    abort();
  /* What must happen to each planted object. */
  for (size_t i = 0; i < W->np; i++) {
    const struct plant *p = &W->p[i];
    if (p->decoy) {
      n_decoys++;
      exp_rejected++;
      exp_by_reason[p->reason]++;
      continue;
    }
    n_planted++;
    if (p->value_len > cap) {
      exp_rejected++;
      exp_by_reason[CRV_R_OVER_CAP]++;
      exp_over++;
    } else if (rn->key && p->bad_hash && p->hash != -1 && !rn->keep_mismatch) {
      exp_rejected++;
      exp_by_reason[CRV_R_HASH]++;
    } else {
      exp_reported++;
    }
  }
  /* Every report is a planted object, reported once, with the right facts. */
  for (size_t k = 0; k < c->n; k++) {
    const struct found *f = &c->f[k];
    const struct plant *p = find_plant(W, f->addr);
    if (!p) {
      vfail("%s: reported 0x%llx, where nothing was planted", W->name,
            (unsigned long long)f->addr);
      continue;
    }
    size_t pi = (size_t)(p - W->p);
    if (p->decoy) {
      vfail("%s: decoy at 0x%llx (expected reason %s) was reported", W->name,
            (unsigned long long)p->addr, crv_reason_name(p->reason));
      continue;
    }
    if (seen[pi]++) {
      vfail("%s: 0x%llx reported twice", W->name, (unsigned long long)p->addr);
      continue;
    }
    int want_check = p->hash == -1 ? CRV_HASH_UNSET
                     : !rn->key    ? CRV_HASH_UNVERIFIED
                     : p->bad_hash ? CRV_HASH_MISMATCH
                                   : CRV_HASH_MATCH;
    int ok = f->type == p->type && f->ob_type == p->ob_type && f->length == p->length &&
             f->kind == p->kind && f->ascii == p->ascii && f->interned == p->interned &&
             f->hash == p->hash && f->hash_check == want_check && f->status == p->status &&
             f->refcnt == p->refcnt && f->len == p->value_len &&
             memcmp(f->data, p->value, p->value_len) == 0 &&
             strcmp(f->region, region_name(W, p->region)) == 0 && !f->has_proof;
    if (!ok)
      vfail("%s: 0x%llx: got type %d len %llu kind %u ascii %d interned %d hash %lld/%s "
            "status %s refcnt 0x%llx region %s data %s; want type %d len %llu kind %u ascii %d "
            "interned %d hash %lld/%s status %s refcnt 0x%llx region %s",
            W->name, (unsigned long long)f->addr, f->type, (unsigned long long)f->length,
            f->kind, f->ascii, f->interned, (long long)f->hash,
            crv_hash_check_name(f->hash_check), crv_status_name(f->status),
            (unsigned long long)f->refcnt, f->region,
            f->len == p->value_len && memcmp(f->data, p->value, p->value_len) == 0 ? "same"
                                                                                   : "DIFFERS",
            p->type, (unsigned long long)p->length, p->kind, p->ascii, p->interned,
            (long long)p->hash, crv_hash_check_name(want_check), crv_status_name(p->status),
            (unsigned long long)p->refcnt, region_name(W, p->region));
    else
      check_count++;
    by_type[f->type < CRV_OBJ_TYPE_COUNT ? f->type : 0]++;
    by_status[f->status < CRV_STATUS_COUNT ? f->status : 0]++;
    by_check[f->hash_check < CRV_HASH_CHECK_COUNT ? f->hash_check : 0]++;
  }
  /* Every rejection is expected, with its reason. */
  for (size_t k = 0; k < c->nr; k++) {
    const struct rejected *r = &c->rj[k];
    const struct plant *p = find_plant(W, r->addr);
    if (!p) {
      vfail("%s: rejected a candidate at 0x%llx (%s) where nothing was planted", W->name,
            (unsigned long long)r->addr, crv_reason_name(r->reason));
      continue;
    }
    size_t pi = (size_t)(p - W->p);
    int want = p->decoy                                        ? p->reason
               : p->value_len > cap                            ? CRV_R_OVER_CAP
               : rn->key && p->bad_hash && !rn->keep_mismatch ? CRV_R_HASH
                                                               : -1;
    if (rseen[pi]++)
      vfail("%s: 0x%llx rejected twice", W->name, (unsigned long long)p->addr);
    else if (r->reason != want)
      vfail("%s: 0x%llx rejected as %s, want %s", W->name, (unsigned long long)p->addr,
            crv_reason_name(r->reason), want < 0 ? "(reported)" : crv_reason_name(want));
    else
      check_count++;
  }
  /* Nothing missed. */
  for (size_t i = 0; i < W->np; i++) {
    const struct plant *p = &W->p[i];
    int want_rej = p->decoy || p->value_len > cap ||
                   (rn->key && p->bad_hash && p->hash != -1 && !rn->keep_mismatch);
    if (want_rej && !rseen[i])
      vfail("%s: 0x%llx was not rejected (want %s)", W->name, (unsigned long long)p->addr,
            crv_reason_name(p->decoy ? p->reason : CRV_R_OVER_CAP));
    if (!want_rej && !seen[i])
      vfail("%s: planted object at 0x%llx (type %d, length %llu, kind %u, region %s) missed",
            W->name, (unsigned long long)p->addr, p->type, (unsigned long long)p->length,
            p->kind, region_name(W, p->region));
  }
  /* The summary. */
  CHECK_EQ_U64(sum->objects, c->n);
  CHECK_EQ_U64(c->n, exp_reported);
  CHECK_EQ_U64(sum->candidates, n_planted + n_decoys);
  CHECK_EQ_U64(sum->rejected, exp_rejected);
  CHECK_EQ_U64(c->nr, exp_rejected);
  for (int r = 1; r < CRV_R_COUNT && r < CRV_MAX_REASONS; r++)
    if (sum->rejected_by[r] != exp_by_reason[r])
      vfail("%s: rejected_by[%s] = %llu, want %llu", W->name, crv_reason_name(r),
            (unsigned long long)sum->rejected_by[r], (unsigned long long)exp_by_reason[r]);
  CHECK_EQ_U64(sum->over_cap, exp_over);
  CHECK_EQ_U64(sum->regions, W->nr);
  CHECK_EQ_U64(sum->holes, 1); /* the truncated Volatility 3 dump */
  uint64_t total = 0;
  for (size_t i = 0; i < W->nr; i++)
    total += W->r[i].present;
  CHECK_EQ_U64(sum->bytes_scanned, total);
  CHECK(!sum->interrupted);
  for (int t = 0; t < CRV_OBJ_TYPE_COUNT; t++)
    CHECK_EQ_U64(sum->by_type[t], by_type[t]);
  for (int t = 0; t < CRV_STATUS_COUNT; t++)
    CHECK_EQ_U64(sum->by_status[t], by_status[t]);
  for (int t = 0; t < CRV_HASH_CHECK_COUNT; t++)
    CHECK_EQ_U64(sum->by_hash_check[t], by_check[t]);
  free(seen);
  free(rseen);
}

static int same_results(const struct collect *a, const struct collect *b)
{
  if (a->n != b->n || a->nr != b->nr)
    return 0;
  for (size_t i = 0; i < a->n; i++) {
    const struct found *x = &a->f[i], *y = &b->f[i];
    if (x->addr != y->addr || x->ob_type != y->ob_type || x->length != y->length ||
        x->refcnt != y->refcnt || x->type != y->type || x->ascii != y->ascii ||
        x->interned != y->interned || x->hash_check != y->hash_check ||
        x->status != y->status || x->kind != y->kind || x->hash != y->hash ||
        strcmp(x->region, y->region) != 0 || x->len != y->len ||
        memcmp(x->data, y->data, x->len) != 0)
      return 0;
  }
  for (size_t i = 0; i < a->nr; i++)
    if (a->rj[i].addr != b->rj[i].addr || a->rj[i].reason != b->rj[i].reason)
      return 0;
  return 1;
}

/* ---- the fixture really straddles the chunk boundaries ------------------------------------ */

/* The valid object holding byte B - 1 and B (B a chunk boundary), or NULL. */
static const struct plant *straddling(const struct world *W, uint64_t b)
{
  size_t lo = 0, hi = W->np;
  while (lo < hi) { /* first plant at or after b */
    size_t mid = lo + (hi - lo) / 2;
    if (W->p[mid].addr < b)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return NULL;
  const struct plant *p = &W->p[lo - 1];
  return !p->decoy && p->addr + p->fp > b ? p : NULL;
}

static void check_coverage(const struct world *W)
{
  const unsigned w = W->sh->w;
  const struct reg *h = &W->r[W->heap_first];
  /* Every 4088-byte chunk boundary of every heap file, and the 1 MiB / 4 MiB ones. */
  const uint64_t sizes[] = {4088, 1u << 20, 4u << 20};
  size_t total = 0, missed = 0;
  for (size_t i = 0; i < 3; i++) {
    for (size_t r = W->heap_first; r <= W->heap_last; r++) {
      h = &W->r[r];
      for (uint64_t b = h->start + sizes[i]; b < h->start + h->size; b += sizes[i], total++)
        if (!straddling(W, b)) {
          if (missed++ < 3)
            fprintf(stderr, "%s: no object straddles chunk boundary 0x%llx (chunk %llu)\n",
                    W->name, (unsigned long long)b, (unsigned long long)sizes[i]);
        }
    }
  }
  CHECK_EQ_U64(missed, 0);
  CHECK(total > 40);
  /* The files' own boundaries inside the heap span. */
  for (size_t r = W->heap_first + 1; r <= W->heap_last; r++)
    CHECK(straddling(W, W->r[r].start) != NULL);
  /* 64-byte chunks: every phase of a header against a boundary, many times over. */
  unsigned phase[16] = {0};
  for (size_t i = 0; i < W->np; i++) {
    const struct plant *p = &W->p[i];
    if (p->decoy || p->region < W->heap_first || p->region > W->heap_last)
      continue;
    uint64_t rs = W->r[p->region].start;
    uint64_t b = rs + ((p->addr - rs) / 64 + 1) * 64; /* first boundary after addr */
    uint64_t d = b - p->addr;
    if (d < p->fp && d % w == 0 && d / w < 16)
      phase[d / w]++;
  }
  for (unsigned k = 1; k < 16 && k * w <= 64; k++)
    if (phase[k] < 5) {
      check_count++;
      check_failures++;
      fprintf(stderr, "%s: only %u objects straddle a 64-byte boundary %u bytes in\n", W->name,
              phase[k], k * w);
    }
}

/* ---- the tests ---------------------------------------------------------------------------- */

static const struct crv_layout *check_types_and_version(struct world *W, struct crv_space *s,
                                                        struct crv_pytypes *t)
{
  struct crv_version v;
  char msg[256] = "";
  crv_err e = crvi_find_types(s, t, NULL, NULL);
  CHECK_EQ_U64(e, CRV_OK);
  if (e != CRV_OK)
    return NULL;
  CHECK_EQ_U64(t->type_type, W->type_type);
  CHECK_EQ_U64(t->text_type, W->text_type);
  CHECK_EQ_U64(t->bytes_type, W->bytes_type);
  CHECK_EQ_U64(t->text_basicsize, W->text_bs);
  CHECK_EQ_U64(t->bytes_basicsize, W->bytes_bs);
  CHECK_EQ_I64(t->py2, W->py2);
  CHECK_EQ_U64(t->hdr->ptr_size, W->sh->w);
  CHECK_EQ_U64(t->hdr->off_type, W->sh->off_type);
  CHECK_EQ_U64(t->n_candidates, W->exp_candidates);
  for (size_t i = 0; i < t->n_candidates; i++)
    CHECK_STR(t->candidates[i]->family_name, t->candidates[0]->family_name);
  CHECK(t->image_first <= W->img && W->img <= t->image_last);

  e = crvi_detect_version(s, t, NULL, &v, msg, sizeof msg);
  CHECK_EQ_U64(e, CRV_OK);
  if (e != CRV_OK)
    return NULL;
  CHECK_STR(v.python, W->exp_python);
  CHECK_STR(v.python_full, W->exp_full);
  CHECK_STR(v.source, W->exp_source);
  CHECK_STR(v.layout->id, W->exp_layout);
  const struct crv_layout *l = v.layout;

  /* --python: a version of the family is taken as given; another family is refused. */
  if (t->n_candidates > 1) {
    const char *other = t->candidates[t->n_candidates - 1]->python;
    e = crvi_detect_version(s, t, other, &v, msg, sizeof msg);
    CHECK_EQ_U64(e, CRV_OK);
    CHECK_STR(v.python, other);
    CHECK_STR(v.source, "option");
  }
  e = crvi_detect_version(s, t, W->py2 ? "3.11" : "2.7", &v, msg, sizeof msg);
  CHECK_EQ_U64(e, CRV_ERR_INVALID_ARG);
  CHECK(strstr(msg, t->candidates[0]->family_name) != NULL);
  return l;
}

/* The same world behind 40 MiB of zeros at a lower address: the short pass that collects
 * cached hashes (32 MiB) finds none, so the longer one must run, and the key comes out as
 * it does without the zeros. Only where the lowest region leaves room below it. */
static void key_far(struct world *W, struct crv_space *s0, const struct crv_pytypes *t,
                    const struct crv_layout *l)
{
  const uint64_t zsize = 40u << 20;
  uint64_t lowest = UINT64_MAX;
  for (size_t i = 0; i < W->nr; i++)
    if (W->r[i].start < lowest)
      lowest = W->r[i].start;
  if (W->use_dir || lowest < (64u << 20))
    return;
  const uint64_t zstart = (lowest - zsize - (8u << 20)) & ~(uint64_t)0xFFFFF;
  char path[192];
  snprintf(path, sizeof path, "%s/task.%lld.0x%llx.vma", W->dir, (long long)W->pid,
           (unsigned long long)zstart);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (!f)
    return;
  CHECK(fseek(f, (long)zsize - 1, SEEK_SET) == 0 && fputc(0, f) == 0); /* sparse */
  CHECK(fclose(f) == 0);
  struct crv_space s;
  crvi_space_init(&s);
  CHECK_EQ_U64(crvi_space_add_file(&s, path, 0, 0), CRV_OK);
  for (size_t i = 0; i < W->nr; i++) {
    char rp[192];
    snprintf(rp, sizeof rp, "%s/%s", W->dir, W->r[i].file);
    CHECK_EQ_U64(crvi_space_add_file(&s, rp, 0, 0), CRV_OK);
  }
  CHECK_EQ_U64(crvi_space_finish(&s), CRV_OK);
  CHECK_EQ_U64(s.r[0].start, zstart);
  struct crv_scan_cfg c0 = base_cfg(W, s0, l), c1 = base_cfg(W, &s, l);
  struct crv_key_choice k0, k1;
  CHECK_EQ_U64(crvi_key_choose(s0, t, c0, NULL, NULL, &k0), CRV_OK);
  CHECK_EQ_U64(crvi_key_choose(&s, t, c1, NULL, NULL, &k1), CRV_OK);
  CHECK_EQ_U64(k1.known, k0.known);
  CHECK(k1.samples >= 3);
  if (k0.known && k1.known) {
    CHECK_STR(k1.source, k0.source);
    CHECK_MEM(k1.key.bytes, k0.key.bytes, sizeof k0.key.bytes);
  }
  crvi_space_free(&s);
  remove(path);
  check_count++;
}

static void scan_world(struct world *W, int full)
{
  struct crv_space s;
  struct crv_pytypes t;
  fprintf(stderr, "== %s: %zu objects planted (%zu misaligned look-alikes)\n", W->name, W->np,
          W->n_fake);
  CHECK_EQ_U64(W->strong_placed, W->strong_targets);
  if (write_world(W) != 0 || load_space(W, &s) != 0) {
    CHECK(!"could not write or load the world");
    return;
  }
  qsort(W->p, W->np, sizeof *W->p, cmp_plant);
  for (size_t i = 1; i < W->np; i++)
    if (W->p[i].addr == W->p[i - 1].addr) {
      fprintf(stderr, "fixture bug: two objects at 0x%llx\n", (unsigned long long)W->p[i].addr);
      abort();
    }
  check_coverage(W);
  const struct crv_layout *l = check_types_and_version(W, &s, &t);
  if (!l) {
    crvi_space_free(&s);
    return;
  }
  /* The same results at every chunk size, with and without the reader thread. */
  const size_t chunks[] = {64, 4096 - 8, 4093, 1u << 20, CRV_DEFAULT_CHUNK, 7 /* -> 64 */};
  struct collect first;
  memset(&first, 0, sizeof first);
  for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
    struct run rn = {.chunk = chunks[i], .threads = i % 2 ? 2 : 1};
    struct collect c;
    crv_summary sum;
    CHECK_EQ_U64(do_scan(W, &s, l, &rn, &c, &sum), CRV_OK);
    verify(W, &rn, &c, &sum);
    if (i == 0) {
      first = c;
    } else {
      check_count++;
      if (!same_results(&first, &c)) {
        check_failures++;
        fprintf(stderr, "%s: chunk %zu gives other results than chunk %zu\n", W->name,
                chunks[i], chunks[0]);
      }
      collect_free(&c);
    }
  }
  if (full) {
    /* With the key: wrong hashes are rejected, or reported as mismatches when kept. */
    struct run rk = {.chunk = 4093, .key = &W->key, .threads = 2};
    struct collect c;
    crv_summary sum;
    CHECK_EQ_U64(do_scan(W, &s, l, &rk, &c, &sum), CRV_OK);
    verify(W, &rk, &c, &sum);
    CHECK(sum.by_hash_check[CRV_HASH_MATCH] > 100);
    collect_free(&c);
    rk.keep_mismatch = 1;
    rk.chunk = 64;
    CHECK_EQ_U64(do_scan(W, &s, l, &rk, &c, &sum), CRV_OK);
    verify(W, &rk, &c, &sum);
    if (W->bad_hashes)
      CHECK(sum.by_hash_check[CRV_HASH_MISMATCH] > 0);
    collect_free(&c);
    /* A cap below the long values: they are counted as over the cap, the rest reported. */
    struct run rc = {.chunk = 4096 - 8, .max_value = 9000};
    CHECK_EQ_U64(do_scan(W, &s, l, &rc, &c, &sum), CRV_OK);
    verify(W, &rc, &c, &sum);
    CHECK(sum.over_cap >= 1);
    collect_free(&c);
    /* Looking for clobbered headers finds nothing more here (no malloc heap). */
    struct run rcl = {.chunk = 4096 - 8, .clobbered = 1};
    CHECK_EQ_U64(do_scan(W, &s, l, &rcl, &c, &sum), CRV_OK);
    verify(W, &rcl, &c, &sum);
    check_count++;
    if (!same_results(&first, &c)) {
      check_failures++;
      fprintf(stderr, "%s: clobbered=1 changes the results\n", W->name);
    }
    collect_free(&c);
    /* A callback that stops: exactly the first objects, then nothing. */
    struct run rs = {.chunk = 64, .stop_after = 5, .threads = 2};
    CHECK_EQ_U64(do_scan(W, &s, l, &rs, &c, &sum), CRV_OK);
    CHECK_EQ_U64(c.n, 5);
    CHECK_EQ_U64(sum.objects, 5);
    for (size_t i = 0; i < c.n && i < first.n; i++)
      CHECK_EQ_U64(c.f[i].addr, first.f[i].addr);
    collect_free(&c);
  }
  collect_free(&first);

  /* The hash key: zero, found in memory, or unknown. */
  {
    struct crv_scan_cfg cfg = base_cfg(W, &s, l);
    struct crv_key_choice kc;
    CHECK_EQ_U64(crvi_key_choose(&s, &t, cfg, NULL, NULL, &kc), CRV_OK);
    CHECK(kc.samples >= 3);
    if (W->hmode == H_ZERO) {
      CHECK(kc.known);
      CHECK_STR(kc.source, "zero");
      CHECK_EQ_U64(kc.agree, kc.samples);
    } else if (W->hmode == H_KEY && W->key_addr) {
      CHECK(kc.known);
      CHECK_STR(kc.source, "search");
      CHECK_EQ_U64(kc.found_at, W->key_addr);
      CHECK_MEM(kc.key.bytes, W->key.bytes, sizeof kc.key.bytes);
    } else {
      CHECK(!kc.known);
    }
    /* The samples themselves. */
    struct crv_key_samples smp;
    crv_hash_key zero;
    memset(&zero, 0, sizeof zero);
    CHECK_EQ_U64(crvi_key_collect(cfg, &smp), CRV_OK);
    CHECK_EQ_U64(smp.n, CRV_KEY_SAMPLES);
    unsigned az = crvi_key_agree(l->hash, W->sh->w, &zero, &smp);
    unsigned ak = crvi_key_agree(l->hash, W->sh->w, &W->key, &smp);
    if (W->hmode == H_ZERO) {
      CHECK_EQ_U64(az, smp.n);
      CHECK(crvi_key_confirmed(W->sh->w, az, smp.n));
    } else if (W->hmode == H_KEY) {
      CHECK_EQ_U64(az, 0);
      CHECK_EQ_U64(ak, smp.n);
      CHECK(!crvi_key_confirmed(W->sh->w, az, smp.n));
      CHECK(crvi_key_confirmed(W->sh->w, ak, smp.n));
      /* A given key wins; a wrong given key is kept but noted. */
      CHECK_EQ_U64(crvi_key_choose(&s, &t, cfg, &W->key, "option", &kc), CRV_OK);
      CHECK(kc.known && kc.note[0] == 0);
      CHECK_STR(kc.source, "option");
      CHECK_EQ_U64(crvi_key_choose(&s, &t, cfg, &zero, "option", &kc), CRV_OK);
      CHECK(kc.known && kc.note[0] != 0);
    } else {
      CHECK_EQ_U64(az, 0);
      CHECK(!crvi_key_confirmed(W->sh->w, az, smp.n));
    }
    key_far(W, &s, &t, l);
  }
  crvi_space_free(&s);
}

static void random_key(struct world *W, size_t n)
{
  memset(&W->key, 0, sizeof W->key);
  for (size_t i = 0; i < n; i++)
    W->key.bytes[i] = (uint8_t)fx_rand(&W->rng);
}

/* 3.12 x86-64. */
static void world_312(enum hash_mode hm, int big, int key_in_memory, uint64_t seed, int full)
{
  struct world W;
  memset(&W, 0, sizeof W);
  W.name = hm == H_ZERO ? "3.12 zero key" : hm == H_RANDOM ? "3.12 random hashes"
           : big        ? "3.12 big"
                        : "3.12";
  W.sh = &FX_312_LP64;
  W.pid = 4242;
  W.rng = seed;
  W.hmode = hm;
  W.algo = CRV_HASHALG_SIP13;
  W.bad_hashes = hm == H_KEY;
  if (hm == H_KEY)
    random_key(&W, 16);
  W.key_addr = key_in_memory; /* set to the real address by build_image */
  W.text_bs = 64; /* §7.2 */
  W.bytes_bs = 33;
  W.exp_python = "3.12";
  W.exp_full = "3.12.1";
  W.exp_source = "version-text";
  W.exp_layout = "cpython-3.12-x86_64";
  W.exp_candidates = 4; /* 3.12-3.15 share every offset */
  struct layout_spec ls = {.img = 0x00600000u, .heap = 0x7f1200000000ull,
                           .other = 0x7f1300000000ull, .trunc = 0x7f1400000000ull,
                           .unmapped = 0x7f1500000000ull, .big = big};
  if (big) {
    ls.heap_sizes[0] = (4u << 20) + (128u << 10);
    ls.heap_sizes[1] = 0x8000;
    ls.heap_sizes[2] = 0x4000;
    ls.heap_sizes[3] = 0x2000;
  } else {
    ls.heap_sizes[0] = 0x30000;
    ls.heap_sizes[1] = 0x4000;
    ls.heap_sizes[2] = 0x2000;
    ls.heap_sizes[3] = 0x2000;
  }
  struct image_spec is = {.type_basicsize = 920, .type_itemsize = 40,
                          .type_flags = 0x80000000u | 0x5502u, .text_flags = 0x10481502u,
                          .bytes_flags = 0x08481502u, .static_refcnt = 0xFFFFFFFFu,
                          .version_text = "3.12.1 (main, Jan  1 2024, 00:00:00) [GCC 12.2.0]"};
  build_world(&W, &ls, &is);
  scan_world(&W, full);
  remove_world(&W);
}

/* 2.7 x86-64: str (PyStringObject) and unicode with its units in another region; loaded
 * from a directory with a maps file naming two regions. */
static void world_27(void)
{
  struct world W;
  memset(&W, 0, sizeof W);
  W.name = "2.7";
  W.sh = &FX_27_LP64;
  W.py2 = 1;
  W.pid = 2727;
  W.rng = 0x2727;
  W.hmode = H_ZERO; /* 2.7 runs unkeyed by default */
  W.algo = CRV_HASHALG_FNV27;
  W.text_bs = 48;
  W.bytes_bs = 37;
  W.use_dir = 1;
  W.exp_python = "2.7";
  W.exp_full = "2.7.18";
  W.exp_source = "version-text";
  W.exp_layout = "cpython-2.7-x86_64";
  W.exp_candidates = 1;
  struct layout_spec ls = {.img = 0x55d0c0a00000ull, .heap = 0x55d0c1000000ull,
                           .other = 0x7f5500000000ull, .trunc = 0x7f5600000000ull,
                           .unmapped = 0x7f5700000000ull,
                           .heap_sizes = {0x30000, 0x4000, 0x2000, 0x2000}};
  struct image_spec is = {.type_basicsize = 872, .type_itemsize = 40, .type_flags = 0x800215fbu,
                          .text_flags = 0x100e15fbu, .bytes_flags = 0x082e15fbu,
                          .static_refcnt = 150,
                          .version_text = "2.7.18 (default, Aug  1 2022, 00:00:00) \n"
                                          "[GCC 10.2.1 20210110]"};
  build_world(&W, &ls, &is);
  scan_world(&W, 1);
  remove_world(&W);
}

/* 3.14 i386: 4-byte pointers, the _Py_DebugOffsets cookie, immortal 5<<28. */
static void world_314_i386(void)
{
  struct world W;
  memset(&W, 0, sizeof W);
  W.name = "3.14 i386";
  W.sh = &FX_314_I386;
  W.pid = 3232;
  W.rng = 0x3232;
  W.hmode = H_KEY;
  W.algo = CRV_HASHALG_SIP13;
  W.bad_hashes = 1;
  random_key(&W, 16);
  W.key_addr = 1;
  W.text_bs = 32;
  W.bytes_bs = 17;
  W.exp_python = "3.14";
  W.exp_full = "3.14.10";
  W.exp_source = "xdebugpy";
  W.exp_layout = "cpython-3.14-i386";
  W.exp_candidates = 4;
  struct layout_spec ls = {.img = 0x08100000u, .heap = 0x09000000u, .other = 0x0a000000u,
                           .trunc = 0x0b000000u, .unmapped = 0x0c000000u,
                           .heap_sizes = {0x30000, 0x4000, 0x2000, 0x2000}};
  struct image_spec is = {.type_basicsize = 468, .type_itemsize = 20, .type_flags = 0x80005502u,
                          .text_flags = 0x10401502u, .bytes_flags = 0x08401502u,
                          .static_refcnt = 0x70000000u,
                          .version_text = "3.14.10 (main, Oct 26 2025, 15:12:11) [GCC 14.2.0]",
                          .cookie = 1, .cookie_hex = 0x030e0af0u};
  build_world(&W, &ls, &is);
  scan_world(&W, 1);
  remove_world(&W);
}

static void test_key_confirmed(void)
{
  /* 64-bit: two agreeing samples suffice; 32-bit needs three; 90% must agree. */
  CHECK(crvi_key_confirmed(8, 2, 2));
  CHECK(crvi_key_confirmed(8, 1, 1));
  CHECK(!crvi_key_confirmed(8, 1, 2));
  CHECK(crvi_key_confirmed(8, 15, 16));
  CHECK(!crvi_key_confirmed(8, 14, 16));
  CHECK(!crvi_key_confirmed(8, 0, 0));
  CHECK(!crvi_key_confirmed(4, 2, 16));
  CHECK(crvi_key_confirmed(4, 3, 3));
  CHECK(!crvi_key_confirmed(4, 2, 3));
}

int main(void)
{
  test_key_confirmed();
  world_312(H_KEY, 1, 1, 0x312312, 1);
  world_312(H_ZERO, 0, 0, 0x3120, 0);
  world_312(H_RANDOM, 0, 0, 0x3121, 0);
  world_27();
  world_314_i386();
  return CHECK_DONE();
}
