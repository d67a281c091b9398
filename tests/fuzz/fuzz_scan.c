/* SPDX-License-Identifier: MIT */
/* The carving pipeline (src/scan + validators/) over arbitrary memory, with every layout.
 *
 * Input: a 48-byte header, then up to MAX_REGIONS regions, each an 16-byte record
 *   [0..7] start address, [8..11] hole bytes after the data, [12..15] data bytes
 * followed by its data (regions that overlap or wrap are left out). Header:
 *   [0] layout index (modulo the table), [1] flags (below), [2] cap choice,
 *   [4..11] str type address, [12..19] bytes type address, [20..43] hash key.
 * With F_DISCOVER the type objects, version and hash key are found in the memory as
 * carver scan finds them (crvi_find_types, crvi_detect_version, crvi_key_choose);
 * otherwise the header gives them.
 *
 * Properties: every reported object's header lies in the memory given and its value is
 * the memory's bytes where its header says (length * unit bytes, within the cap, NUL unit
 * after it); a value recovered from a clobbered header lies in the bytes after its address;
 * the summary's counts add up; the result does not depend on the chunk size or on the
 * reader thread (the 64-byte run uses one thread, the 64 KiB run two). */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "scan/key.h"
#include "scan/scan.h"
#include "source/space.h"
#include "util/limits.h"
#include "util/span.h"
#include "validators/validators.h"

#define HDR 48u
#define REC 16u
#define MAX_REGIONS 8
#define MAX_HOLE (1u << 20)
#define MAX_SEEN 512

enum {
  F_CLOBBERED = 1,
  F_KEEP_MISMATCH = 2,
  F_KEY = 4,
  F_DISCOVER = 8,
};

struct seen {
  uint64_t addr, length;
  int type, status, hash_check;
  unsigned kind;
};

struct run {
  struct crv_space *s;
  const struct crv_scan_cfg *cfg;
  struct seen obj[MAX_SEEN];
  size_t n, calls;
  uint8_t *buf; /* re-reads of values */
};

static void check_object(struct run *ru, const crv_object *o)
{
  const struct crv_scan_cfg *cfg = ru->cfg;
  const struct crv_layout *l = cfg->layout;
  FUZZ_ASSERT(o->type >= 0 && o->type < CRV_OBJ_TYPE_COUNT);
  FUZZ_ASSERT(o->status >= 0 && o->status < CRV_STATUS_COUNT);
  FUZZ_ASSERT(o->hash_check >= 0 && o->hash_check < CRV_HASH_CHECK_COUNT);
  FUZZ_ASSERT(o->kind == 1 || o->kind == 2 || o->kind == 4);
  FUZZ_ASSERT(o->data_len == o->length * o->kind && o->data_len <= cfg->max_value);
  FUZZ_ASSERT(o->data != NULL || o->data_len == 0);
  FUZZ_ASSERT(o->hash_check != CRV_HASH_MISMATCH || cfg->keep_mismatch);
  FUZZ_ASSERT(o->region != NULL);
  FUZZ_ASSERT(crvi_space_find(ru->s, o->addr) != NULL);
  size_t need = o->data_len + o->kind;
  if (o->proof) {
    /* Clobbered: the value follows the object's address (within the largest header). */
    size_t got = crvi_space_read(ru->s, o->addr, ru->buf, 128 + need);
    FUZZ_ASSERT(memmem(ru->buf, got, o->data, o->data_len) != NULL || o->data_len == 0);
    return;
  }
  /* Intact header: read it again, find the value where it says, compare. */
  uint8_t h[128];
  int text = crv_obj_type_is_text(o->type);
  size_t hlen = text ? crvi_layout_text_header_len(l) : crvi_layout_bytes_header_len(l);
  FUZZ_ASSERT(hlen <= sizeof h);
  size_t got = crvi_space_read(ru->s, o->addr, h, hlen);
  struct crv_obj_info in;
  int r = text && l->pep393 ? crvi_check_pep393_header(l, h, got, o->addr, cfg->max_value, &in)
          : text            ? crvi_check_ubuf_header(l, h, got, o->addr, cfg->max_value, &in)
                            : crvi_check_bytes_header(l, h, got, o->addr, cfg->max_value, &in);
  FUZZ_ASSERT(r == CRV_VALID);
  FUZZ_ASSERT(in.length == o->length && in.unit == o->kind && in.hash == o->hash);
  FUZZ_ASSERT(crvi_space_find(ru->s, in.data_addr) != NULL);
  FUZZ_ASSERT(crvi_space_read(ru->s, in.data_addr, ru->buf, need) == need);
  FUZZ_ASSERT(memcmp(ru->buf, o->data, o->data_len) == 0);
  for (unsigned i = 0; i < o->kind; i++)
    FUZZ_ASSERT(ru->buf[o->data_len + i] == 0);
}

static int on_object(void *user, const crv_object *o)
{
  struct run *ru = user;
  check_object(ru, o);
  ru->calls++;
  if (ru->n < MAX_SEEN) {
    struct seen *x = &ru->obj[ru->n++];
    x->addr = o->addr;
    x->length = o->length;
    x->type = o->type;
    x->status = o->status;
    x->hash_check = o->hash_check;
    x->kind = o->kind;
  }
  return 0;
}

static void on_reject(void *user, uint64_t addr, int is_text, int reason)
{
  (void)user;
  fprintf(stderr, "    rejected 0x%llx %s: reason %d\n", (unsigned long long)addr,
          is_text ? "text" : "bytes", reason);
}

static int cmp_seen(const void *a, const void *b)
{
  const struct seen *x = a, *y = b;
  if (x->addr != y->addr)
    return x->addr < y->addr ? -1 : 1;
  return x->type - y->type;
}

static void scan_once(struct run *ru, struct crv_scan_cfg *cfg, crv_summary *sum)
{
  memset(sum, 0, sizeof *sum);
  ru->n = ru->calls = 0;
  ru->cfg = cfg;
  cfg->on_object = on_object;
  cfg->user = ru;
  if (getenv("FUZZ_VERBOSE"))
    cfg->on_reject = on_reject;
  FUZZ_ASSERT(crvi_scan(cfg, sum) == CRV_OK);
  FUZZ_ASSERT(sum->objects == ru->calls);
  FUZZ_ASSERT(sum->candidates + sum->clobbered == sum->objects + sum->rejected);
  uint64_t t = 0, st = 0, hc = 0, rj = 0;
  for (int i = 0; i < CRV_OBJ_TYPE_COUNT; i++)
    t += sum->by_type[i];
  for (int i = 0; i < CRV_STATUS_COUNT; i++)
    st += sum->by_status[i];
  for (int i = 0; i < CRV_HASH_CHECK_COUNT; i++)
    hc += sum->by_hash_check[i];
  for (int i = 0; i < CRV_MAX_REASONS; i++)
    rj += sum->rejected_by[i];
  FUZZ_ASSERT(t == sum->objects && st == sum->objects && hc == sum->objects);
  FUZZ_ASSERT(rj <= sum->rejected);
  FUZZ_ASSERT(sum->bytes_scanned <= crvi_space_total(ru->s));
  qsort(ru->obj, ru->n, sizeof ru->obj[0], cmp_seen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const uint64_t caps[4] = {1u << 20, 64, 1024, 100000};
  if (size < HDR || crvi_layout_count() == 0)
    return 0;
  const uint8_t flags = data[1];
  struct crv_space s;
  crvi_space_init(&s);
  size_t pos = HDR;
  for (int k = 0; k < MAX_REGIONS && size - pos >= REC; k++) {
    uint64_t start = fuzz_u64le(data + pos);
    uint32_t hole = span_u32le(data + pos + 8) % (MAX_HOLE + 1);
    uint32_t len = span_u32le(data + pos + 12);
    pos += REC;
    if (len > size - pos)
      len = (uint32_t)(size - pos);
    uint64_t vsize = (uint64_t)len + hole;
    int ok = vsize > 0 && start + vsize > start;
    for (size_t i = 0; ok && i < s.n; i++)
      ok = start + vsize <= s.r[i].start || s.r[i].end <= start;
    if (ok && crvi_space_add_region(&s, CRV_BACK_MEM, "fuzz", NULL, start, start + vsize, 0, len,
                                    CRV_PROT_R | CRV_PROT_W) == CRV_OK)
      s.r[s.n - 1].mem = data + pos;
    pos += len;
  }
  if (s.n == 0 || crvi_space_finish(&s) != CRV_OK) {
    crvi_space_free(&s);
    return 0;
  }

  struct crv_scan_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.space = &s;
  cfg.layout = crvi_layout_at(data[0] % crvi_layout_count());
  cfg.text_type = fuzz_u64le(data + 4);
  cfg.bytes_type = fuzz_u64le(data + 12);
  cfg.max_value = caps[data[2] & 3];
  cfg.keep_mismatch = (flags & F_KEEP_MISMATCH) != 0;
  cfg.clobbered = (flags & F_CLOBBERED) != 0;
  crv_hash_key key;
  memcpy(key.bytes, data + 20, sizeof key.bytes);
  cfg.key = (flags & F_KEY) ? &key : NULL;

  if (flags & F_DISCOVER) {
    struct crv_pytypes t;
    struct crv_version v;
    char msg[256];
    if (crvi_find_types(&s, &t, NULL, NULL) != CRV_OK) {
      crvi_space_free(&s);
      return 0;
    }
    FUZZ_ASSERT(crvi_space_find(&s, t.type_type) && crvi_space_find(&s, t.text_type) &&
                crvi_space_find(&s, t.bytes_type));
    FUZZ_ASSERT(t.n_candidates > 0 && t.n_candidates <= CRV_MAX_LAYOUT_CANDIDATES);
    FUZZ_ASSERT(crvi_detect_version(&s, &t, NULL, &v, msg, sizeof msg) == CRV_OK);
    int listed = 0;
    for (size_t i = 0; i < t.n_candidates; i++)
      listed |= t.candidates[i] == v.layout;
    FUZZ_ASSERT(listed);
    FUZZ_ASSERT(memchr(v.python, '\0', sizeof v.python) && memchr(v.python_full, '\0',
                                                                  sizeof v.python_full));
    cfg.layout = v.layout;
    cfg.text_type = t.text_type;
    cfg.bytes_type = t.bytes_type;
    cfg.image_start = s.r[t.image_first].start;
    cfg.image_end = s.r[t.image_last].end;
    cfg.chunk = CRV_DEFAULT_CHUNK;
    struct crv_key_choice kc;
    FUZZ_ASSERT(crvi_key_choose(&s, &t, cfg, cfg.key, cfg.key ? "option" : NULL, &kc) == CRV_OK);
    FUZZ_ASSERT(kc.samples <= CRV_KEY_SAMPLES);
    if (kc.known && !cfg.key) {
      key = kc.key;
      cfg.key = &key;
    }
  }

  /* Twice: the smallest chunk on one thread and a large one with the reader thread give
   * the same objects. The buffers are
   * kept from one input to the next (large allocations dominate the time under ASan). */
  static struct run *a, *b;
  static uint8_t *vbuf;
  if (!a) {
    a = malloc(sizeof *a);
    b = malloc(sizeof *b);
    vbuf = malloc(caps[0] + 256);
    FUZZ_ASSERT(a && b && vbuf);
  }
  memset(a, 0, sizeof *a);
  memset(b, 0, sizeof *b);
  a->s = b->s = &s;
  a->buf = b->buf = vbuf;
  crv_summary sa, sb;
  cfg.chunk = CRV_MIN_CHUNK;
  cfg.threads = 1;
  scan_once(a, &cfg, &sa);
  cfg.chunk = 1u << 16;
  cfg.threads = 2; /* the reader thread reads ahead and validates hits */
  scan_once(b, &cfg, &sb);
  if (getenv("FUZZ_VERBOSE")) { /* for triage: what each chunk size found */
    const struct run *rr[2] = {a, b};
    const crv_summary *ss[2] = {&sa, &sb};
    for (int k = 0; k < 2; k++) {
      fprintf(stderr, "chunk %s: %llu objects (%llu clobbered), %llu candidates, %llu rejected\n",
              k ? "64K" : "64", (unsigned long long)ss[k]->objects,
              (unsigned long long)ss[k]->clobbered, (unsigned long long)ss[k]->candidates,
              (unsigned long long)ss[k]->rejected);
      for (size_t i = 0; i < rr[k]->n; i++)
        fprintf(stderr, "  0x%llx type %d len %llu kind %u status %d hash %d\n",
                (unsigned long long)rr[k]->obj[i].addr, rr[k]->obj[i].type,
                (unsigned long long)rr[k]->obj[i].length, rr[k]->obj[i].kind,
                rr[k]->obj[i].status, rr[k]->obj[i].hash_check);
    }
  }
  FUZZ_ASSERT(sa.objects == sb.objects && sa.candidates == sb.candidates &&
              sa.rejected == sb.rejected && sa.clobbered == sb.clobbered);
  FUZZ_ASSERT(a->n == b->n);
  for (size_t i = 0; i < a->n; i++)
    FUZZ_ASSERT(memcmp(&a->obj[i], &b->obj[i], sizeof a->obj[i]) == 0);
  crvi_space_free(&s);
  return 0;
}
