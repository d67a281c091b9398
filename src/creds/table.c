/* SPDX-License-Identifier: MIT */
/* The merge table: one entry per distinct (scheme, user, secret), bounded in entries,
 * addresses and bytes (src/util/limits.h), with its sorted output. */
#include <stdlib.h>
#include <string.h>

#include "creds/creds_impl.h"
#include "util/limits.h"

static const char *const scheme_names[CRV_CRED_SCHEME_COUNT] = {
    [CRV_CRED_BASIC] = "basic",         [CRV_CRED_BEARER] = "bearer",
    [CRV_CRED_COOKIE] = "cookie",       [CRV_CRED_SET_COOKIE] = "set-cookie",
    [CRV_CRED_URL] = "url",
};
static const char *const confidence_names[CRV_CONF_COUNT] = {
    [CRV_CONF_LOW] = "low", [CRV_CONF_MEDIUM] = "medium", [CRV_CONF_HIGH] = "high"};
static const char *const found_names[CRV_FOUND_COUNT] = {
    [CRV_FOUND_REQUEST] = "request",      [CRV_FOUND_RESPONSE] = "response",
    [CRV_FOUND_HEADER] = "header",        [CRV_FOUND_VALUE] = "header-value",
    [CRV_FOUND_URL] = "url",              [CRV_FOUND_BASE64] = "base64",
};

const char *crv_cred_scheme_name(int scheme)
{
  return scheme >= 0 && scheme < CRV_CRED_SCHEME_COUNT ? scheme_names[scheme] : "unknown";
}

const char *crv_cred_confidence_name(int confidence)
{
  return confidence >= 0 && confidence < CRV_CONF_COUNT ? confidence_names[confidence]
                                                        : "unknown";
}

const char *crv_cred_found_name(int found_as)
{
  return found_as >= 0 && found_as < CRV_FOUND_COUNT ? found_names[found_as] : "unknown";
}

int crvi_cred_confidence_parse(const char *s)
{
  for (int i = 0; s && i < CRV_CONF_COUNT; i++)
    if (strcmp(s, confidence_names[i]) == 0)
      return i;
  return -1;
}

/* FNV-1a over the key; the user's presence is part of it ("" and none differ). */
static uint32_t key_hash(int scheme, const uint8_t *user, size_t ul, int has_user,
                         const uint8_t *secret, size_t sl)
{
  uint32_t h = 2166136261u;
  uint8_t head[2] = {(uint8_t)scheme, (uint8_t)(has_user ? 1 : 0)};
  for (size_t i = 0; i < 2; i++)
    h = (h ^ head[i]) * 16777619u;
  for (size_t i = 0; i < ul; i++)
    h = (h ^ user[i]) * 16777619u;
  h = (h ^ 0xffu) * 16777619u; /* separator: no byte of UTF-8 text is 0xff */
  for (size_t i = 0; i < sl; i++)
    h = (h ^ secret[i]) * 16777619u;
  return h;
}

static int same_str(const char *s, const uint8_t *p, size_t n)
{
  return strlen(s) == n && memcmp(s, p, n) == 0;
}

static int same_key(const struct cred_entry *e, const struct cred_hit *h)
{
  if (e->scheme != h->scheme || (e->user != NULL) != (h->has_user != 0))
    return 0;
  if (e->user && !same_str(e->user, h->user, h->user_len))
    return 0;
  return same_str(e->secret, h->secret, h->secret_len);
}

/* A NUL-terminated copy of at most cap bytes of p, cut at a UTF-8 boundary; counted in
 * c->bytes. NULL for no input or no memory (*nomem set). */
static char *copy(struct crv_creds *c, const uint8_t *p, size_t n, size_t cap, int *nomem)
{
  if (!p)
    return NULL;
  if (n > cap) {
    n = cap;
    while (n > 0 && (p[n] & 0xc0) == 0x80) /* p[n] is the first byte cut off */
      n--;
  }
  char *s = malloc(n + 1);
  if (!s) {
    *nomem = 1;
    return NULL;
  }
  if (n)
    memcpy(s, p, n);
  s[n] = '\0';
  c->bytes += n + 1;
  return s;
}

/* Evidence order: higher confidence, then the earlier enum crv_cred_found. */
static int better(int conf, int found, const struct cred_entry *e)
{
  return conf > e->confidence || (conf == e->confidence && found < e->found_as);
}

static int note(struct crv_creds *c, struct cred_entry *e, const struct cred_hit *h,
                const struct crv_cred_origin *o)
{
  int nomem = 0;
  int again = e->count > 0 && e->last_addr == o->addr; /* one object, several matches */
  if (!again) {
    e->count++;
    if (o->status == CRV_STATUS_LIVE)
      e->live++;
    else if (o->status == CRV_STATUS_FREED)
      e->freed++;
    if (e->n_addrs < CRV_CREDS_MAX_ADDRS) {
      if (e->n_addrs == e->cap_addrs) {
        size_t nc = e->cap_addrs ? 2 * e->cap_addrs : 4;
        if (nc > CRV_CREDS_MAX_ADDRS)
          nc = CRV_CREDS_MAX_ADDRS;
        uint64_t *na = realloc(e->addrs, nc * sizeof *na);
        if (!na)
          return -1;
        c->bytes += (nc - e->cap_addrs) * sizeof *na;
        e->addrs = na;
        e->cap_addrs = nc;
      }
      e->addrs[e->n_addrs++] = o->addr;
    }
    e->last_addr = o->addr;
  }
  if (e->count == 1 && !again) {
    e->confidence = h->confidence;
    e->found_as = h->found_as;
    e->addr = o->addr;
  } else if (better(h->confidence, h->found_as, e)) {
    e->confidence = h->confidence;
    e->found_as = h->found_as;
    e->addr = o->addr;
  }
  if (o->status == CRV_STATUS_LIVE)
    e->status = CRV_STATUS_LIVE;
  else if (o->status == CRV_STATUS_FREED && e->status != CRV_STATUS_LIVE)
    e->status = CRV_STATUS_FREED;
  if (!e->header)
    e->header = h->header;
  if (!e->request && h->request)
    e->request = copy(c, h->request, h->request_len, CRV_CREDS_MAX_CONTEXT, &nomem);
  if (!e->response && h->response)
    e->response = copy(c, h->response, h->response_len, CRV_CREDS_MAX_CONTEXT, &nomem);
  if (!e->host && h->host)
    e->host = copy(c, h->host, h->host_len, CRV_CREDS_MAX_CONTEXT, &nomem);
  if (!e->url && h->url)
    e->url = copy(c, h->url, h->url_len, CRV_CREDS_MAX_CONTEXT, &nomem);
  return nomem ? -1 : 1;
}

int crvi_creds_add(struct crv_creds *c, const struct cred_hit *h,
                   const struct crv_cred_origin *o)
{
  if (h->user_len > CRV_CREDS_MAX_FIELD || h->secret_len > CRV_CREDS_MAX_FIELD) {
    c->st.over_cap++;
    return 0;
  }
  uint32_t hash = key_hash(h->scheme, h->user, h->user_len, h->has_user, h->secret,
                           h->secret_len);
  size_t mask = c->n_slots - 1, i = hash & mask;
  while (c->slots[i]) {
    struct cred_entry *e = &c->entries[c->slots[i] - 1];
    if (e->hash == hash && same_key(e, h))
      return note(c, e, h, o);
    i = (i + 1) & mask;
  }
  /* a new credential: the order array points into entries, which may move */
  size_t need = h->user_len + h->secret_len + 2 + 4 * sizeof(uint64_t);
  if (c->n >= CRV_CREDS_MAX_ENTRIES || c->bytes + need > CRV_CREDS_MAX_BYTES) {
    c->st.dropped++;
    return 0;
  }
  if (c->n == c->cap) {
    size_t nc = c->cap ? 2 * c->cap : 16;
    if (nc > CRV_CREDS_MAX_ENTRIES)
      nc = CRV_CREDS_MAX_ENTRIES;
    struct cred_entry *ne = realloc(c->entries, nc * sizeof *ne);
    if (!ne)
      return -1;
    c->entries = ne;
    c->cap = nc;
  }
  free(c->order);
  c->order = NULL;
  struct cred_entry *e = &c->entries[c->n];
  memset(e, 0, sizeof *e);
  int nomem = 0;
  e->scheme = h->scheme;
  e->hash = hash;
  e->status = CRV_STATUS_UNKNOWN;
  static const uint8_t none[1];
  if (h->has_user)
    e->user = copy(c, h->user ? h->user : none, h->user_len, CRV_CREDS_MAX_FIELD, &nomem);
  e->secret = copy(c, h->secret ? h->secret : none, h->secret_len, CRV_CREDS_MAX_FIELD, &nomem);
  if (nomem) {
    free(e->user);
    free(e->secret);
    return -1;
  }
  c->n++;
  c->slots[i] = (uint32_t)c->n;
  return note(c, e, h, o);
}

static int cmp_str(const char *a, const char *b)
{
  if (!a || !b)
    return (a != NULL) - (b != NULL);
  return strcmp(a, b);
}

static int cmp_entry(const void *pa, const void *pb)
{
  const struct cred_entry *a = *(const struct cred_entry *const *)pa;
  const struct cred_entry *b = *(const struct cred_entry *const *)pb;
  if (a->confidence != b->confidence)
    return a->confidence > b->confidence ? -1 : 1;
  if (a->scheme != b->scheme)
    return a->scheme < b->scheme ? -1 : 1;
  int r = cmp_str(a->user, b->user);
  return r ? r : cmp_str(a->secret, b->secret);
}

void crvi_creds_finish(struct crv_creds *c)
{
  if (!c)
    return;
  free(c->order);
  c->order = NULL;
  if (!c->n)
    return;
  c->order = malloc(c->n * sizeof *c->order);
  if (!c->order)
    return; /* crvi_creds_get falls back to table order */
  for (size_t i = 0; i < c->n; i++)
    c->order[i] = &c->entries[i];
  qsort(c->order, c->n, sizeof *c->order, cmp_entry);
}

size_t crvi_creds_count(const struct crv_creds *c)
{
  return c ? c->n : 0;
}

crv_err crvi_creds_get(const struct crv_creds *c, size_t i, crv_credential *out)
{
  if (!c || !out || i >= c->n)
    return CRV_ERR_INVALID_ARG;
  const struct cred_entry *e = c->order ? c->order[i] : &c->entries[i];
  memset(out, 0, sizeof *out);
  out->scheme = e->scheme;
  out->header = e->header;
  out->user = e->user;
  out->secret = e->secret;
  out->confidence = e->confidence;
  out->found_as = e->found_as;
  out->request = e->request;
  out->response = e->response;
  out->host = e->host;
  out->url = e->url;
  out->addr = e->addr;
  out->status = e->status;
  out->count = e->count;
  out->live = e->live;
  out->freed = e->freed;
  out->addrs = e->addrs;
  out->n_addrs = e->n_addrs;
  return CRV_OK;
}

void crvi_creds_stats(const struct crv_creds *c, struct crv_creds_stats *out)
{
  if (!out)
    return;
  if (!c)
    memset(out, 0, sizeof *out);
  else
    *out = c->st;
}

crv_err crvi_creds_write(const struct crv_creds *c, struct crv_writer *w, int min_confidence,
                         uint64_t *written)
{
  uint64_t n = 0;
  crv_err e = CRV_OK;
  if (written)
    *written = 0;
  if (!c || !w)
    return CRV_ERR_INVALID_ARG;
  for (size_t i = 0; i < c->n && e == CRV_OK; i++) {
    crv_credential cr;
    crvi_creds_get(c, i, &cr);
    if (cr.confidence < min_confidence)
      continue;
    e = crvi_writer_credential(w, &cr);
    if (e == CRV_OK)
      n++;
  }
  if (written)
    *written = n;
  return e;
}
