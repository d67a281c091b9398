/* SPDX-License-Identifier: MIT */
/* The triage tally (see summary.h). */
#include <stdlib.h>
#include <string.h>

#include "source/dumpname.h"
#include "triage/out.h"
#include "triage/summary.h"

#define SMALL_TABLE 64u      /* record types, object types, hash checks */
#define FIELD_MAX 256u       /* bytes kept of one meta field */
#define SOURCES_MAX 1024u    /* bytes kept of a meta's joined source list */
#define CRED_KEEP (4u * CRV_TRIAGE_KEEP_BYTES)
#define REPEAT_MIN 4u        /* values shorter than this are not counted as repeats */
#define BAND_SERIES (CRVI_ST_COUNT + 1)
#define BAND_CREDS CRVI_ST_COUNT

/* ---- set-up --------------------------------------------------------------------------- */

crv_err crvi_tally_init(struct crvi_tally *t, size_t top)
{
  memset(t, 0, sizeof *t);
  if (top == 0 || top > CRV_TRIAGE_TOP_MAX)
    return CRV_ERR_INVALID_ARG;
  t->top = top;
  struct {
    struct crvi_topn *tab;
    size_t cap, keep;
  } tabs[] = {
      {&t->all_rtypes, SMALL_TABLE, 64},
      {&t->rtypes, SMALL_TABLE, 64},
      {&t->types, SMALL_TABLE, 64},
      {&t->hash_checks, SMALL_TABLE, 64},
      {&t->regions, CRV_TRIAGE_REGION_CAP, CRV_TRIAGE_KEEP_BYTES},
      {&t->creds, CRV_TRIAGE_TABLE_CAP, CRED_KEEP},
      {&t->urls, CRV_TRIAGE_TABLE_CAP, CRV_TRIAGE_KEEP_BYTES},
      {&t->requests, CRV_TRIAGE_TABLE_CAP, CRV_TRIAGE_KEEP_BYTES},
      {&t->paths, CRV_TRIAGE_TABLE_CAP, CRV_TRIAGE_KEEP_BYTES},
      {&t->repeated, CRV_TRIAGE_REPEAT_CAP, CRV_TRIAGE_REPEAT_KEEP},
  };
  for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
    crv_err e = crvi_topn_init(tabs[i].tab, tabs[i].cap, tabs[i].keep);
    if (e) {
      crvi_tally_free(t);
      return e;
    }
  }
  return CRV_OK;
}

static void field_free(struct crvi_field *f)
{
  free(f->p);
  f->p = NULL;
  f->n = 0;
}

static void meta_free(struct crvi_meta_info *m)
{
  struct crvi_field *fs[] = {&m->tool_version, &m->python, &m->python_full, &m->version_source,
                             &m->layout, &m->hash_key_source, &m->hash_key, &m->sources};
  for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
    field_free(fs[i]);
  free(m->json);
  m->json = NULL;
}

void crvi_tally_free(struct crvi_tally *t)
{
  for (size_t i = 0; i < t->n_inputs; i++) {
    struct crvi_input *in = &t->inputs[i];
    for (size_t k = 0; k < in->n_meta_info; k++)
      meta_free(&in->meta[k]);
    free(in->sum.json);
    free(in->name);
  }
  free(t->inputs);
  struct crvi_topn *tabs[] = {&t->all_rtypes, &t->rtypes, &t->types, &t->hash_checks,
                              &t->regions, &t->creds, &t->urls, &t->requests, &t->paths,
                              &t->repeated};
  for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++)
    crvi_topn_free(tabs[i]);
  for (size_t i = 0; i < t->n_longest; i++)
    free(t->longest[i].text);
  for (size_t i = 0; i < t->n_bands; i++) {
    free(t->bands[i].name);
    free(t->bands[i].buckets);
  }
  memset(t, 0, sizeof *t);
}

static void nomem(struct crvi_tally *t)
{
  t->err = CRV_ERR_NOMEM;
}

static char *copy_bytes(const uint8_t *p, size_t n, size_t cap)
{
  size_t k = n < cap ? n : cap;
  char *s = malloc(k + 1);
  if (!s)
    return NULL;
  if (k)
    memcpy(s, p, k);
  s[k] = 0;
  return s;
}

crv_err crvi_tally_begin_input(struct crvi_tally *t, const char *name)
{
  if (t->n_inputs == t->inputs_alloc) {
    size_t na = t->inputs_alloc ? 2 * t->inputs_alloc : 4;
    struct crvi_input *ni = realloc(t->inputs, na * sizeof *ni);
    if (!ni)
      return CRV_ERR_NOMEM;
    t->inputs = ni;
    t->inputs_alloc = na;
  }
  struct crvi_input *in = &t->inputs[t->n_inputs];
  memset(in, 0, sizeof *in);
  in->name = copy_bytes((const uint8_t *)name, strlen(name), 4096);
  if (!in->name)
    return CRV_ERR_NOMEM;
  t->n_inputs++;
  return CRV_OK;
}

void crvi_tally_end_input(struct crvi_tally *t, const struct crvi_trd_status *st)
{
  if (t->n_inputs)
    t->inputs[t->n_inputs - 1].st = *st;
}

/* ---- meta and summary records ---------------------------------------------------------- */

static void get_field(struct crvi_tally *t, const msgpack_object *map, const char *key,
                      struct crvi_field *f)
{
  struct crvi_bytes b;
  if (!crvi_mp_blob(crvi_mp_get(map, key), &b, NULL))
    return;
  f->p = copy_bytes(b.p, b.n, FIELD_MAX);
  f->n = b.n < FIELD_MAX ? b.n : FIELD_MAX;
  if (!f->p)
    nomem(t);
}

static char *record_json(const msgpack_object *map, size_t cap)
{
  struct crvi_tout mem;
  crvi_tout_init(&mem, NULL);
  mem.b.cap = cap;
  crvi_tout_json_map(&mem, map, NULL, 0);
  char *s = NULL;
  if (!mem.b.err && mem.b.p)
    s = copy_bytes((const uint8_t *)mem.b.p, mem.b.len, mem.b.len);
  crvi_buf_free(&mem.b);
  return s;
}

static void add_meta(struct crvi_tally *t, struct crvi_input *in, const msgpack_object *map)
{
  in->metas++;
  if (in->n_meta_info == CRV_TRIAGE_MAX_METAS)
    return;
  struct crvi_meta_info *m = &in->meta[in->n_meta_info++];
  memset(m, 0, sizeof *m);
  get_field(t, map, "tool_version", &m->tool_version);
  get_field(t, map, "python", &m->python);
  get_field(t, map, "python_full", &m->python_full);
  get_field(t, map, "version_source", &m->version_source);
  get_field(t, map, "layout", &m->layout);
  get_field(t, map, "hash_key_source", &m->hash_key_source);
  get_field(t, map, "hash_key", &m->hash_key);
  m->has_pid = crvi_mp_u64(crvi_mp_get(map, "pid"), &m->pid);
  const msgpack_object *src = crvi_mp_get(map, "sources");
  if (src && src->type == MSGPACK_OBJECT_ARRAY) {
    crvi_buf b;
    crvi_buf_init(&b, SOURCES_MAX + 16);
    for (uint32_t i = 0; i < src->via.array.size && b.len < SOURCES_MAX; i++) {
      struct crvi_bytes s;
      if (!crvi_mp_blob(&src->via.array.ptr[i], &s, NULL))
        continue;
      if (b.len)
        crvi_buf_puts(&b, ", ");
      size_t room = SOURCES_MAX - (b.len < SOURCES_MAX ? b.len : SOURCES_MAX);
      crvi_buf_put(&b, s.p, s.n < room ? s.n : room);
    }
    if (b.p && !b.err) {
      m->sources.p = copy_bytes((const uint8_t *)b.p, b.len, b.len);
      m->sources.n = b.len;
      if (!m->sources.p)
        nomem(t);
    }
    crvi_buf_free(&b);
  }
  m->json = record_json(map, CRV_TRIAGE_META_JSON);
}

static void add_summary(struct crvi_input *in, const msgpack_object *map)
{
  struct crvi_scan_sum *s = &in->sum;
  in->summaries++;
  free(s->json);
  memset(s, 0, sizeof *s);
  s->present = 1;
  s->has_objects = crvi_mp_u64(crvi_mp_get(map, "objects"), &s->objects);
  s->has_bytes = crvi_mp_u64(crvi_mp_get(map, "bytes_scanned"), &s->bytes_scanned);
  s->has_regions = crvi_mp_u64(crvi_mp_get(map, "regions"), &s->regions);
  s->has_holes = crvi_mp_u64(crvi_mp_get(map, "holes"), &s->holes);
  const msgpack_object *el = crvi_mp_get(map, "elapsed_seconds");
  if (el && (el->type == MSGPACK_OBJECT_FLOAT64 || el->type == MSGPACK_OBJECT_FLOAT32)) {
    s->has_elapsed = 1;
    s->elapsed = el->via.f64;
  }
  const msgpack_object *intr = crvi_mp_get(map, "interrupted");
  s->interrupted = intr && intr->type == MSGPACK_OBJECT_BOOLEAN && intr->via.boolean;
  s->json = record_json(map, CRV_TRIAGE_META_JSON);
}

/* ---- bands ------------------------------------------------------------------------------ */

static struct crvi_band *band_for(struct crvi_tally *t, struct crvi_bytes region)
{
  if (!region.p)
    region.p = (const uint8_t *)"(none)", region.n = 6;
  if (t->last_band < t->n_bands) {
    struct crvi_band *b = &t->bands[t->last_band];
    if (strlen(b->name) == region.n && memcmp(b->name, region.p, region.n) == 0)
      return b;
  }
  for (size_t i = 0; i < t->n_bands; i++) {
    struct crvi_band *b = &t->bands[i];
    if (strlen(b->name) == region.n && memcmp(b->name, region.p, region.n) == 0) {
      t->last_band = i;
      return b;
    }
  }
  if (t->n_bands == CRV_TRIAGE_MAX_BANDS || memchr(region.p, 0, region.n))
    return NULL;
  struct crvi_band *b = &t->bands[t->n_bands];
  memset(b, 0, sizeof *b);
  b->name = copy_bytes(region.p, region.n, region.n);
  b->buckets = calloc((size_t)BAND_SERIES * CRV_TRIAGE_BAND_BUCKETS, sizeof *b->buckets);
  if (!b->name || !b->buckets) {
    free(b->name);
    free(b->buckets);
    nomem(t);
    return NULL;
  }
  /* A dump file name carries the region's start (and, Volatility 3, its end). */
  const char *base = strrchr(b->name, '/');
  struct crv_dumpname dn;
  if (crvi_dumpname_parse(base ? base + 1 : b->name, &dn)) {
    b->has_extent = 1;
    b->start = dn.start;
    b->end = dn.end;
  }
  t->last_band = t->n_bands++;
  return b;
}

static int band_fits(const struct crvi_band *b, uint64_t addr)
{
  return addr >= b->base && ((addr - b->base) >> b->shift) < CRV_TRIAGE_BAND_BUCKETS;
}

/* Doubles the bucket width until [lo, hi] fits; counts move to the wider buckets, exactly. */
static void band_grow(struct crvi_band *b)
{
  unsigned ns = b->shift;
  uint64_t nb;
  do {
    ns++;
    nb = b->lo >> ns << ns;
  } while (ns < 63 && ((b->hi - nb) >> ns) >= CRV_TRIAGE_BAND_BUCKETS);
  uint32_t tmp[BAND_SERIES * CRV_TRIAGE_BAND_BUCKETS];
  memset(tmp, 0, sizeof tmp);
  for (size_t s = 0; s < BAND_SERIES; s++)
    for (size_t i = 0; i < CRV_TRIAGE_BAND_BUCKETS; i++) {
      uint32_t c = b->buckets[s * CRV_TRIAGE_BAND_BUCKETS + i];
      if (!c)
        continue;
      uint64_t a = b->base + ((uint64_t)i << b->shift); /* an address seen: no overflow */
      uint32_t *d = &tmp[s * CRV_TRIAGE_BAND_BUCKETS + ((a - nb) >> ns)];
      *d = *d > UINT32_MAX - c ? UINT32_MAX : *d + c;
    }
  memcpy(b->buckets, tmp, sizeof tmp);
  b->base = nb;
  b->shift = ns;
}

static void band_add(struct crvi_band *b, uint64_t addr, int series)
{
  if (!b->seen) {
    b->seen = 1;
    b->lo = b->hi = addr;
    b->shift = 4;
    b->base = addr >> 4 << 4;
  }
  if (addr < b->lo)
    b->lo = addr;
  if (addr > b->hi)
    b->hi = addr;
  while (!band_fits(b, addr))
    band_grow(b);
  size_t idx = (size_t)((addr - b->base) >> b->shift);
  uint32_t *c = &b->buckets[(size_t)series * CRV_TRIAGE_BAND_BUCKETS + idx];
  if (*c < UINT32_MAX)
    (*c)++;
  b->n[series]++;
}

/* ---- strings inside values ------------------------------------------------------------- */

static int is_alpha(uint8_t c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(uint8_t c)
{
  return is_alpha(c) || (c >= '0' && c <= '9');
}

static int is_scheme_char(uint8_t c)
{
  return is_alnum(c) || c == '+' || c == '-' || c == '.';
}

static int is_url_char(uint8_t c)
{
  if (c <= 0x20 || c >= 0x7f)
    return 0;
  switch (c) {
  case '"': case '\'': case '<': case '>': case '`': case '{': case '}': case '|': case '\\':
  case '^':
    return 0;
  default:
    return 1;
  }
}

static int is_path_char(uint8_t c)
{
  return is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '+' || c == '~' || c == '@' ||
         c == '%' || c == '#';
}

/* Characters after which a path may start. */
static int is_path_delim(uint8_t c)
{
  switch (c) {
  case 0: case ' ': case '\t': case '\r': case '\n': case '"': case '\'': case '`': case '=':
  case ':': case '(': case '[': case '{': case '<': case '>': case ',': case ';': case '|':
    return 1;
  default:
    return 0;
  }
}

/* End of an HTTP request line starting at i ("GET /x HTTP/1.1"), or 0. */
static size_t request_end(const uint8_t *p, size_t n, size_t i)
{
  static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS",
                                        "PATCH", "CONNECT", "TRACE"};
  size_t k = i;
  int ok = 0;
  for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
    size_t ml = strlen(methods[m]);
    if (n - i > ml && memcmp(p + i, methods[m], ml) == 0 && p[i + ml] == ' ') {
      k = i + ml + 1;
      ok = 1;
      break;
    }
  }
  if (!ok)
    return 0;
  size_t t0 = k;
  while (k < n && p[k] > 0x20 && p[k] < 0x7f && k - t0 < 8192)
    k++;
  if (k == t0 || n - k < 9 || memcmp(p + k, " HTTP/", 6) != 0)
    return 0;
  k += 6;
  if (!(p[k] >= '0' && p[k] <= '9'))
    return 0;
  k++;
  if (k + 1 < n && p[k] == '.' && p[k + 1] >= '0' && p[k + 1] <= '9')
    k += 2;
  return k;
}

/* End of a URL whose "://" is at i (scheme from s), or 0. */
static size_t url_end(const uint8_t *p, size_t n, size_t i)
{
  size_t e = i + 3;
  while (e < n && is_url_char(p[e]))
    e++;
  while (e > i + 3) { /* trailing punctuation belongs to the sentence */
    uint8_t c = p[e - 1];
    if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')' ||
        c == ']')
      e--;
    else
      break;
  }
  return e > i + 3 ? e : 0;
}

/* End of a file path starting at i, or 0: /a/b (two components at least), ~/a, C:\a. */
static size_t path_end(const uint8_t *p, size_t n, size_t i)
{
  uint8_t c = p[i];
  uint8_t sep = '/';
  size_t e, need;
  if (c == '/' && i + 1 < n && is_path_char(p[i + 1])) {
    e = i;
    need = 2;
  } else if (c == '~' && i + 2 < n && p[i + 1] == '/' && is_path_char(p[i + 2])) {
    e = i + 1;
    need = 1;
  } else if (is_alpha(c) && i + 3 < n && p[i + 1] == ':' && p[i + 2] == '\\' &&
             is_path_char(p[i + 3])) {
    e = i + 2;
    sep = '\\';
    need = 1;
  } else {
    return 0;
  }
  size_t comps = 0;
  while (e < n) {
    if (p[e] == sep) {
      if (e + 1 < n && is_path_char(p[e + 1]))
        comps++;
      e++;
    } else if (is_path_char(p[e])) {
      e++;
    } else {
      break;
    }
  }
  while (e > i && (p[e - 1] == '.' || p[e - 1] == sep))
    e--;
  if (comps < need || e - i < 4)
    return 0;
  return e;
}

struct origin {
  int has_addr;
  uint64_t addr;
  int st;
};

static void count_in(struct crvi_tally *t, struct crvi_topn *tab, const uint8_t *p, size_t n,
                     int is_text, const struct origin *o)
{
  int is_new;
  struct crvi_topn_ent *e = crvi_topn_add_kind(tab, p, n, (unsigned)is_text, 1, &is_new);
  if (!e) {
    nomem(t);
    return;
  }
  if (is_new) {
    e->is_text = is_text;
    e->has_addr = o->has_addr;
    e->addr = o->addr;
  }
  e->sub[o->st]++;
}

static void extract(struct crvi_tally *t, const uint8_t *p, size_t n, const struct origin *o)
{
  size_t i = 0, mark = 0;
  while (i < n) {
    uint8_t c = p[i];
    size_t e;
    if ((i == 0 || p[i - 1] == '\n') && c >= 'A' && c <= 'Z' && (e = request_end(p, n, i))) {
      count_in(t, &t->requests, p + i, e - i, 1, o);
      i = mark = e;
      continue;
    }
    if (c == ':' && n - i > 3 && p[i + 1] == '/' && p[i + 2] == '/') {
      size_t s = i;
      while (s > mark && i - s < 32 && is_scheme_char(p[s - 1]))
        s--;
      while (s < i && !is_alpha(p[s]))
        s++;
      if (i - s >= 2 && (e = url_end(p, n, i))) {
        count_in(t, &t->urls, p + s, e - s, 1, o);
        i = mark = e;
        continue;
      }
    }
    if ((i == 0 || is_path_delim(p[i - 1])) && (e = path_end(p, n, i))) {
      count_in(t, &t->paths, p + i, e - i, 1, o);
      i = mark = e;
      continue;
    }
    i++;
  }
}

static void longest_add(struct crvi_tally *t, const uint8_t *p, size_t n, int is_text,
                        uint64_t length, const struct crvi_rec *r, int st)
{
  size_t top = t->top;
  size_t min_i = 0;
  if (t->n_longest == top) {
    for (size_t i = 1; i < top; i++)
      if (t->longest[i].length < t->longest[min_i].length)
        min_i = i;
    if (length < t->longest[min_i].length)
      return; /* the common case: shorter than every kept value */
  }
  uint64_t h = crvi_topn_hash(p, n);
  size_t keep = n < CRV_TRIAGE_KEEP_BYTES ? n : CRV_TRIAGE_KEEP_BYTES;
  for (size_t i = 0; i < t->n_longest; i++) {
    struct crvi_long_ent *e = &t->longest[i];
    if (e->h == h && e->bytes == n && memcmp(e->text, p, keep) == 0) {
      e->count++;
      return;
    }
  }
  if (t->n_longest == top && length == t->longest[min_i].length)
    return; /* ties keep the first seen */
  struct crvi_long_ent *e;
  if (t->n_longest < top) {
    e = &t->longest[t->n_longest++];
    memset(e, 0, sizeof *e);
  } else {
    e = &t->longest[min_i];
    free(e->text);
    memset(e, 0, sizeof *e);
  }
  e->text = (uint8_t *)copy_bytes(p, keep, keep);
  if (!e->text) {
    nomem(t);
    e->textlen = 0;
    e->text = (uint8_t *)copy_bytes((const uint8_t *)"", 0, 0);
  } else {
    e->textlen = keep;
  }
  e->bytes = n;
  e->length = length;
  e->h = h;
  e->count = 1;
  e->has_addr = r->has_addr;
  e->addr = r->addr;
  e->is_text = is_text;
  e->status = st;
  if (r->type.p) {
    size_t k = r->type.n < sizeof e->type - 1 ? r->type.n : sizeof e->type - 1;
    memcpy(e->type, r->type.p, k);
    e->type[k] = 0;
  }
  if (r->region.p) {
    size_t k = r->region.n < sizeof e->region - 1 ? r->region.n : sizeof e->region - 1;
    memcpy(e->region, r->region.p, k);
    e->region[k] = 0;
  }
}

static void scan_value(struct crvi_tally *t, const struct crvi_rec *r, int st)
{
  struct crvi_bytes v;
  if (!r->value || !crvi_mp_blob(r->value, &v, NULL))
    return;
  t->values++;
  struct origin o = {r->has_addr, r->addr, st};
  longest_add(t, v.p, v.n, r->value_is_text, r->has_length ? r->length : v.n, r, st);
  if (v.n >= REPEAT_MIN)
    count_in(t, &t->repeated, v.p, v.n, r->value_is_text, &o);
  extract(t, v.p, v.n, &o);
}

/* ---- credentials -------------------------------------------------------------------------- */

static uint64_t conf_rank(const msgpack_object *c)
{
  struct crvi_bytes b;
  if (crvi_mp_str(c, &b)) {
    if (crvi_bytes_eq(b, "low"))
      return 1;
    if (crvi_bytes_eq(b, "medium"))
      return 2;
    if (crvi_bytes_eq(b, "high"))
      return 3;
  }
  return 0;
}

const char *crvi_conf_name(uint64_t rank)
{
  static const char *const names[] = {"?", "low", "medium", "high"};
  return names[rank & 3];
}

static const char *const secret_keys[] = {"password", "token", "secret"};

void crvi_cred_split(const struct crvi_topn_ent *e, struct crvi_cred_view *v)
{
  const uint8_t *p = e->text, *end = e->text + e->textlen;
  struct crvi_bytes *parts[3] = {&v->scheme, &v->user, &v->secret};
  for (size_t i = 0; i < 3; i++) {
    const uint8_t *q = i < 2 ? memchr(p, 0x1f, (size_t)(end - p)) : NULL;
    if (!q)
      q = end;
    parts[i]->p = p;
    parts[i]->n = (size_t)(q - p);
    p = q < end ? q + 1 : end;
  }
  v->secret_key = secret_keys[(e->aux >> 8) % 3];
}

static void add_point(struct crvi_tally *t, uint64_t addr)
{
  if (t->n_points == CRV_TRIAGE_MAX_POINTS) {
    t->points_dropped++;
    return;
  }
  t->points[t->n_points].addr = addr;
  t->points[t->n_points].band = -1;
  t->n_points++;
}

static void cred_add(struct crvi_tally *t, const struct crvi_rec *r, int st)
{
  const msgpack_object *m = r->map;
  struct crvi_bytes scheme = {(const uint8_t *)"", 0}, user = {(const uint8_t *)"", 0},
                    secret = {(const uint8_t *)"", 0};
  crvi_mp_blob(crvi_mp_get(m, "scheme"), &scheme, NULL);
  crvi_mp_blob(crvi_mp_get(m, "user"), &user, NULL);
  uint64_t which = 0;
  for (size_t i = 0; i < 3; i++)
    if (crvi_mp_blob(crvi_mp_get(m, secret_keys[i]), &secret, NULL)) {
      which = i;
      break;
    }
  uint64_t count = 1;
  crvi_mp_u64(crvi_mp_get(m, "count"), &count);
  if (count == 0)
    count = 1;
  crvi_buf key;
  crvi_buf_init(&key, CRED_KEEP + 8);
  size_t each = CRED_KEEP / 3;
  crvi_buf_put(&key, scheme.p, scheme.n < each ? scheme.n : each);
  crvi_buf_putc(&key, 0x1f);
  crvi_buf_put(&key, user.p, user.n < each ? user.n : each);
  crvi_buf_putc(&key, 0x1f);
  crvi_buf_put(&key, secret.p, secret.n < each ? secret.n : each);
  if (key.err || !key.p) {
    crvi_buf_free(&key);
    nomem(t);
    return;
  }
  int is_new;
  struct crvi_topn_ent *e = crvi_topn_add(&t->creds, key.p, key.len, count, &is_new);
  crvi_buf_free(&key);
  if (!e) {
    nomem(t);
    return;
  }
  uint64_t rank = conf_rank(crvi_mp_get(m, "confidence"));
  if (is_new) {
    e->has_addr = r->has_addr;
    e->addr = r->addr;
    e->is_text = 1;
    e->aux = which << 8 | rank;
    /* Where it was found: the URL, else the request line, else the host. */
    static const char *const ctx[] = {"url", "request", "response", "host", "header"};
    for (size_t i = 0; i < sizeof ctx / sizeof ctx[0]; i++) {
      struct crvi_bytes b;
      if (crvi_mp_blob(crvi_mp_get(m, ctx[i]), &b, NULL) && b.n) {
        if (crvi_topn_set_extra(&t->creds, e, b.p, b.n) != CRV_OK)
          nomem(t);
        break;
      }
    }
  } else if (rank > (e->aux & 0xff)) {
    e->aux = (e->aux & ~(uint64_t)0xff) | rank;
  }
  /* Split by status: the record's own live/freed counts when it has them. */
  uint64_t live = 0, freed = 0;
  int has_live = crvi_mp_u64(crvi_mp_get(m, "live"), &live);
  int has_freed = crvi_mp_u64(crvi_mp_get(m, "freed"), &freed);
  if (has_live && has_freed && live <= count && freed <= count - live) {
    e->sub[CRVI_ST_LIVE] += live;
    e->sub[CRVI_ST_FREED] += freed;
    e->sub[CRVI_ST_OTHER] += count - live - freed;
  } else {
    e->sub[st] += count;
  }
  if (r->has_addr)
    add_point(t, r->addr);
  const msgpack_object *addrs = crvi_mp_get(m, "addrs");
  if (addrs && addrs->type == MSGPACK_OBJECT_ARRAY)
    for (uint32_t i = 0; i < addrs->via.array.size; i++) {
      uint64_t a;
      if (crvi_mp_u64(&addrs->via.array.ptr[i], &a) && !(r->has_addr && a == r->addr))
        add_point(t, a);
    }
}

/* ---- records ------------------------------------------------------------------------------ */

static void count_key(struct crvi_tally *t, struct crvi_topn *tab, struct crvi_bytes k, int st)
{
  if (!k.p)
    k.p = (const uint8_t *)"(none)", k.n = 6;
  struct crvi_topn_ent *e = crvi_topn_add(tab, k.p, k.n, 1, NULL);
  if (!e) {
    nomem(t);
    return;
  }
  if (st >= 0)
    e->sub[st]++;
}

crv_err crvi_tally_record(struct crvi_tally *t, const struct crvi_rec *r, int selected)
{
  if (!t->n_inputs)
    return CRV_ERR_INVALID_ARG;
  struct crvi_input *in = &t->inputs[t->n_inputs - 1];
  t->records++;
  in->records++;
  count_key(t, &t->all_rtypes, r->rtype, -1);
  if (r->kind == CRVI_REC_META) {
    add_meta(t, in, r->map);
    return t->err;
  }
  if (r->kind == CRVI_REC_SUMMARY) {
    add_summary(in, r->map);
    return t->err;
  }
  t->data_records++;
  if (r->kind == CRVI_REC_OBJECT)
    in->object_records++;
  if (!selected)
    return t->err;
  t->selected++;
  count_key(t, &t->rtypes, r->rtype, -1);
  int st = crvi_status_index(r->status);
  if (r->kind == CRVI_REC_OBJECT) {
    t->objects++;
    t->by_status[st]++;
    count_key(t, &t->types, r->type, st);
    count_key(t, &t->regions, r->region, st);
    struct crvi_bytes hc = {NULL, 0};
    crvi_mp_str(crvi_mp_get(r->map, "hash_check"), &hc);
    count_key(t, &t->hash_checks, hc, st);
    if (r->has_addr) {
      struct crvi_band *b = band_for(t, r->region);
      if (b)
        band_add(b, r->addr, st);
      else
        t->unbanded++;
    }
  } else if (r->kind == CRVI_REC_CREDENTIAL) {
    t->credentials++;
    cred_add(t, r, st);
  }
  scan_value(t, r, st);
  return t->err;
}

void crvi_tally_finish(struct crvi_tally *t)
{
  for (size_t i = 0; i < t->n_points; i++) {
    uint64_t a = t->points[i].addr;
    for (size_t k = 0; k < t->n_bands; k++) {
      struct crvi_band *b = &t->bands[k];
      uint64_t lo = b->has_extent ? b->start : b->lo;
      uint64_t hi = b->has_extent && b->end ? b->end : (b->seen ? b->hi + 1 : lo);
      if (b->has_extent && !b->end && b->seen && b->hi + 1 > hi)
        hi = b->hi + 1;
      if (a >= lo && a < hi) {
        t->points[i].band = (int)k;
        band_add(b, a, BAND_CREDS);
        break;
      }
    }
  }
}

static int by_length(const void *x, const void *y)
{
  const struct crvi_long_ent *a = *(const struct crvi_long_ent *const *)x;
  const struct crvi_long_ent *b = *(const struct crvi_long_ent *const *)y;
  if (a->length != b->length)
    return a->length > b->length ? -1 : 1;
  if (a->addr != b->addr)
    return a->addr < b->addr ? -1 : 1;
  return 0;
}

const struct crvi_long_ent **crvi_tally_longest(const struct crvi_tally *t)
{
  if (!t->n_longest)
    return NULL;
  const struct crvi_long_ent **a = malloc(t->n_longest * sizeof *a);
  if (!a)
    return NULL;
  for (size_t i = 0; i < t->n_longest; i++)
    a[i] = &t->longest[i];
  qsort(a, t->n_longest, sizeof *a, by_length);
  return a;
}
