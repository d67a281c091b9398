/* SPDX-License-Identifier: MIT */
/* msgpack stream writer: one map per record, each with a "record" key. Text values are
 * msgpack str holding UTF-8, or WTF-8 when the value has lone surrogates (decode with
 * unicode_errors="surrogatepass"); binary values are msgpack bin. Tool strings (paths,
 * names) are made strict UTF-8, invalid bytes becoming U+FFFD.
 *
 * Everything goes into the writer's buffer (writer.c writes it out in large blocks). The
 * object records, most of the output, are encoded here directly, each field written at a
 * reserved pointer; meta, summary and credential records use msgpack-c's packer. Both give
 * the smallest form of every integer and header, as msgpack_pack_* do. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "out/writer_impl.h"

/* The packer's sink: appends to the buffer. Unlike msgpack_fbuffer_write it accepts empty
 * writes (an empty str body). */
static int mp_sink(void *data, const char *buf, size_t len)
{
  struct crv_writer *w = data;
  crvi_buf_put(&w->buf, buf, len);
  return w->buf.err ? -1 : 0;
}

/* A name the object records repeat (type, hash check, status), encoded once. */
struct mp_name {
  uint8_t len; /* 0: not encoded (not a short printable string); written as a tool string */
  char enc[32];
};

/* The last object's region name, encoded: objects come in address order, so most share
 * their predecessor's region (the same string, by pointer). */
struct mp_region {
  const char *name; /* NULL: nothing cached */
  uint8_t len;
  char enc[255];
};

struct mp_state {
  msgpack_packer pk;
  struct mp_name type[CRV_OBJ_TYPE_COUNT], check[CRV_HASH_CHECK_COUNT], status[CRV_STATUS_COUNT];
  struct mp_region region;
};

static msgpack_packer *pk_of(struct crv_writer *w)
{
  return &((struct mp_state *)w->impl)->pk;
}

static void mp_key(msgpack_packer *pk, const char *k)
{
  msgpack_pack_str_with_body(pk, k, strlen(k));
}

/* ---- direct encoding ----------------------------------------------------------------- */

static inline char *be16(char *p, uint32_t v)
{
  p[0] = (char)(v >> 8);
  p[1] = (char)v;
  return p + 2;
}

static inline char *be32(char *p, uint32_t v)
{
  p[0] = (char)(v >> 24);
  p[1] = (char)(v >> 16);
  p[2] = (char)(v >> 8);
  p[3] = (char)v;
  return p + 4;
}

static inline char *be64(char *p, uint64_t v)
{
  be32(p, (uint32_t)(v >> 32));
  return be32(p + 4, (uint32_t)v);
}

/* As msgpack_pack_uint64: at most 9 bytes. */
static inline char *mp_uint_to(char *p, uint64_t v)
{
  if (v < 0x80) {
    *p = (char)v;
    return p + 1;
  }
  if (v < 0x100) {
    p[0] = (char)0xcc;
    p[1] = (char)v;
    return p + 2;
  }
  if (v < 0x10000) {
    *p = (char)0xcd;
    return be16(p + 1, (uint32_t)v);
  }
  if (v < 0x100000000ull) {
    *p = (char)0xce;
    return be32(p + 1, (uint32_t)v);
  }
  *p = (char)0xcf;
  return be64(p + 1, v);
}

/* As msgpack_pack_int64: non-negative values as unsigned, negative ones in the smallest
 * signed form. At most 9 bytes. */
static inline char *mp_int_to(char *p, int64_t v)
{
  if (v >= 0)
    return mp_uint_to(p, (uint64_t)v);
  if (v >= -32) {
    *p = (char)(uint8_t)v; /* negative fixint */
    return p + 1;
  }
  if (v >= -128) {
    p[0] = (char)0xd0;
    p[1] = (char)(uint8_t)v;
    return p + 2;
  }
  if (v >= -32768) {
    *p = (char)0xd1;
    return be16(p + 1, (uint16_t)v);
  }
  if (v >= INT32_MIN) {
    *p = (char)0xd2;
    return be32(p + 1, (uint32_t)v);
  }
  *p = (char)0xd3;
  return be64(p + 1, (uint64_t)v);
}

/* As msgpack_pack_str (n < 2^32): at most 5 bytes. */
static inline size_t mp_str_hdr_len(uint64_t n)
{
  return n < 32 ? 1u : n < 256 ? 2u : n < 65536 ? 3u : 5u;
}

static inline char *mp_str_hdr_to(char *p, size_t n)
{
  if (n < 32) {
    *p = (char)(0xa0 | n);
    return p + 1;
  }
  if (n < 256) {
    p[0] = (char)0xd9;
    p[1] = (char)n;
    return p + 2;
  }
  if (n < 65536) {
    *p = (char)0xda;
    return be16(p + 1, (uint32_t)n);
  }
  *p = (char)0xdb;
  return be32(p + 1, (uint32_t)n);
}

/* As msgpack_pack_bin (n < 2^32): at most 5 bytes. */
static inline char *mp_bin_hdr_to(char *p, size_t n)
{
  if (n < 256) {
    p[0] = (char)0xc4;
    p[1] = (char)n;
    return p + 2;
  }
  if (n < 65536) {
    *p = (char)0xc5;
    return be16(p + 1, (uint32_t)n);
  }
  *p = (char)0xc6;
  return be32(p + 1, (uint32_t)n);
}

/* As msgpack_pack_map: at most 5 bytes. */
static inline char *mp_map_hdr_to(char *p, size_t n)
{
  if (n < 16) {
    *p = (char)(0x80 | n);
    return p + 1;
  }
  if (n < 65536) {
    *p = (char)0xde;
    return be16(p + 1, (uint32_t)n);
  }
  *p = (char)0xdf;
  return be32(p + 1, (uint32_t)n);
}

/* A key (or other constant) shorter than 32 bytes, as a fixstr. */
#define MP_LIT(p, lit) mp_fix_to((p), (lit), sizeof(lit) - 1)
static inline char *mp_fix_to(char *p, const char *s, size_t n)
{
  *p = (char)(0xa0 | n);
  memcpy(p + 1, s, n);
  return p + 1 + n;
}

/* A tool string as strict UTF-8; NULL as nil. */
static crv_err mp_str(struct crv_writer *w, const char *s)
{
  crvi_buf *b = &w->buf;
  if (!s) {
    crvi_buf_putc(b, (char)0xc0);
    return b->err;
  }
  const uint8_t *u = (const uint8_t *)s;
  size_t n = strlen(s);
  crv_err e = crvi_w_maybe_drain(w);
  if (e)
    return e;
  if (n <= CRVI_WRITER_SHORT && crvi_utf8_valid(u, n)) { /* valid as is */
    char *p = crvi_buf_room(b, n + 5);
    if (!p)
      return b->err;
    char *q = mp_str_hdr_to(p, n);
    memcpy(q, s, n);
    crvi_buf_commit(b, (size_t)(q - p) + n);
    return CRV_OK;
  }
  uint64_t len = crvi_utf8_sanitized_len(u, n);
  if (len > UINT32_MAX)
    return CRV_ERR_LIMIT;
  char *p = crvi_buf_room(b, 5);
  if (!p)
    return b->err;
  crvi_buf_commit(b, (size_t)(mp_str_hdr_to(p, (size_t)len) - p));
  size_t pos = 0;
  while (pos < n) {
    crvi_utf8_sanitize_step(b, u, n, &pos, CRVI_WRITER_OUT);
    if ((e = crvi_w_maybe_drain(w)) != CRV_OK)
      return e;
  }
  return CRV_OK;
}

/* A tool string; the common short printable ASCII ones (names) in place. */
static inline crv_err mp_tool(struct crv_writer *w, const char *s)
{
  if (s) {
    size_t n = strlen(s);
    char *p;
    if (n < 32 && crvi_w_plain(s, n) && (p = crvi_buf_room(&w->buf, 32)) != NULL) {
      crvi_buf_commit(&w->buf, (size_t)(mp_fix_to(p, s, n) - p));
      return CRV_OK;
    }
  }
  return mp_str(w, s);
}

/* Makes rc hold the encoding of region name s, as mp_tool writes it (strict UTF-8 of at
 * most 253 bytes); 1 when it does, 0 for a name to write through mp_tool (NULL, longer,
 * not valid UTF-8). Objects come in address order, so the name is mostly the last one. */
static int mp_region_cache(struct mp_region *rc, const char *s)
{
  if (s && s == rc->name)
    return 1;
  size_t n = s ? strlen(s) : 0;
  rc->name = NULL;
  if (!s || n > sizeof rc->enc - 2 || !crvi_utf8_valid((const uint8_t *)s, n))
    return 0;
  char *q = mp_str_hdr_to(rc->enc, n);
  memcpy(q, s, n);
  rc->len = (uint8_t)(q - rc->enc + (ptrdiff_t)n);
  rc->name = s;
  return 1;
}

static void mp_kv_str(struct crv_writer *w, const char *k, const char *v, crv_err *e)
{
  mp_key(pk_of(w), k);
  crv_err e2 = mp_str(w, v);
  if (!*e)
    *e = e2;
}

static void mp_kv_u64(msgpack_packer *pk, const char *k, uint64_t v)
{
  mp_key(pk, k);
  msgpack_pack_uint64(pk, v);
}

static crv_err mp_meta(struct crv_writer *w, const crv_meta *m)
{
  msgpack_packer *pk = pk_of(w);
  crv_err e = CRV_OK;
  size_t n = 10 + (m->python_full ? 1u : 0u) + (m->pid >= 0 ? 1u : 0u) +
             (m->hash_key ? 1u : 0u) + (m->hash_key_addr ? 1u : 0u);
  size_t nsrc = m->n_sources < CRV_MAX_SOURCES_LISTED ? m->n_sources : CRV_MAX_SOURCES_LISTED;
  msgpack_pack_map(pk, n);
  mp_kv_str(w, "record", "meta", &e);
  mp_kv_str(w, "tool", "carver", &e);
  mp_kv_str(w, "tool_version", m->tool_version, &e);
  mp_kv_str(w, "python", m->python, &e);
  if (m->python_full)
    mp_kv_str(w, "python_full", m->python_full, &e);
  mp_kv_str(w, "version_source", m->version_source, &e);
  mp_kv_str(w, "layout", m->layout, &e);
  mp_kv_str(w, "hash_key_source", m->hash_key_source, &e);
  if (m->hash_key)
    mp_kv_str(w, "hash_key", m->hash_key, &e);
  if (m->hash_key_addr)
    mp_kv_u64(pk, "hash_key_addr", m->hash_key_addr);
  if (m->pid >= 0)
    mp_kv_u64(pk, "pid", (uint64_t)m->pid);
  mp_key(pk, "sources");
  msgpack_pack_array(pk, nsrc);
  for (size_t i = 0; i < nsrc; i++) {
    crv_err e2 = mp_str(w, m->sources[i]);
    if (!e)
      e = e2;
  }
  mp_kv_u64(pk, "str_type", m->str_type);
  mp_kv_u64(pk, "bytes_type", m->bytes_type);
  return e;
}

/* The rest of a long value straight from memory: what the buffer holds goes first. */
static crv_err mp_direct(struct crv_writer *w, const uint8_t *data, size_t n)
{
  crv_err e = crvi_w_drain(w);
  if (!e)
    crvi_w_write(w, data, n);
  return e;
}

/* The value: str of the UTF-8/WTF-8 conversion, or bin of the raw bytes. */
static crv_err mp_value(struct crv_writer *w, const crvi_value *v)
{
  crvi_buf *b = &w->buf;
  const size_t n = v->nunits;
  char *p;
  if (!v->text) {
    if (n > UINT32_MAX)
      return CRV_ERR_LIMIT;
    if (!(p = crvi_buf_room(b, 5 + (n <= CRVI_WRITER_WHOLE ? n : 0))))
      return b->err;
    char *q = mp_bin_hdr_to(p, n);
    if (n > CRVI_WRITER_WHOLE) {
      crvi_buf_commit(b, (size_t)(q - p));
      return mp_direct(w, v->data, n);
    }
    memcpy(q, v->data, n);
    crvi_buf_commit(b, (size_t)(q - p) + n);
    return CRV_OK;
  }
  uint64_t most = (uint64_t)n * crvi_text_utf8_max_per_unit(v->kind);
  if (most <= CRVI_WRITER_WHOLE) {
    /* In one piece, after room for the header the longest encoding would need; the
     * header is written once the length is known (the body moves down if it is shorter). */
    size_t at = b->len, hl = mp_str_hdr_len(most), pos = 0;
    if (!(p = crvi_buf_room(b, hl)))
      return b->err;
    memset(p, 0, hl);
    crvi_buf_commit(b, hl);
    crvi_text_utf8_step(b, v->data, n, v->kind, v->flags, &pos, SIZE_MAX);
    if (b->err)
      return b->err;
    if (pos != n)
      return CRV_ERR_LIMIT; /* cannot happen: `most` bytes were reserved */
    size_t len = b->len - at - hl, hl2 = mp_str_hdr_len(len);
    if (hl2 < hl) {
      memmove(b->p + at + hl2, b->p + at + hl, len);
      b->len -= hl - hl2;
      b->p[b->len] = '\0';
    }
    mp_str_hdr_to(b->p + at, len);
    return CRV_OK;
  }
  uint64_t len = crvi_text_utf8_len(v->data, n, v->kind, v->flags);
  if (len > UINT32_MAX)
    return CRV_ERR_LIMIT;
  if (!(p = crvi_buf_room(b, 5)))
    return b->err;
  crvi_buf_commit(b, (size_t)(mp_str_hdr_to(p, (size_t)len) - p));
  if (v->kind == 1 && len == n) /* ASCII: already UTF-8 */
    return mp_direct(w, v->data, n);
  uint64_t done = 0;
  size_t pos = 0;
  while (pos < n) {
    size_t before = b->len;
    crvi_text_utf8_step(b, v->data, n, v->kind, v->flags, &pos, CRVI_WRITER_OUT);
    if (b->err)
      return b->err;
    done += b->len - before;
    crv_err e = crvi_w_maybe_drain(w);
    if (e)
      return e;
  }
  if (done != len) { /* cannot happen: the length and the steps share the decoder */
    w->failed = 1;   /* the str on the stream is incomplete */
    return CRV_ERR_LIMIT;
  }
  return CRV_OK;
}

/* Room for the fields of an object record before its value: keys and numbers (under 200
 * bytes), three names (32 bytes reserved each) and a cached region name (255). */
#define MP_RECORD_FIXED 640u

/* A string field at p, from its cached encoding when there is one (enc_len > 0: enc holds
 * enc_len bytes, readable for enc_cap); otherwise the record so far is committed, the
 * string goes through mp_tool, and a new run is reserved. The position to go on from, or
 * NULL with *e set. */
static char *tool_at(struct crv_writer *w, char **p0, char *p, const char *enc, size_t enc_len,
                     size_t enc_cap, const char *s, crv_err *e)
{
  if (enc_len) {
    memcpy(p, enc, enc_cap);
    return p + enc_len;
  }
  crvi_buf_commit(&w->buf, (size_t)(p - *p0));
  if ((*e = mp_tool(w, s)) != CRV_OK)
    return NULL;
  if (!(*p0 = crvi_buf_room(&w->buf, MP_RECORD_FIXED))) {
    *e = w->buf.err;
    return NULL;
  }
  return *p0;
}

#define NAME_AT(p, nm, s)                                                                    \
  tool_at(w, &p0, (p), (nm)->enc, (nm)->len, sizeof (nm)->enc, (s), &e)

static crv_err mp_object(struct crv_writer *w, const crv_object *o)
{
  crvi_buf *b = &w->buf;
  crvi_value v;
  crv_err e = crvi_w_value(o, &v);
  if (e)
    return e;
  struct mp_state *st = w->impl;
  size_t n = 11 + (o->type == CRV_OBJ_STR ? 1u : 0u) + (o->ascii >= 0 ? 1u : 0u) +
             (o->interned >= 0 ? 1u : 0u) + (o->proof ? 2u : 0u) + (o->has_offset ? 1u : 0u);
  char *p0, *p;
  if (!(p = p0 = crvi_buf_room(b, MP_RECORD_FIXED)))
    return b->err;
  p = mp_map_hdr_to(p, n);
  p = MP_LIT(p, "record");
  p = MP_LIT(p, "object");
  p = MP_LIT(p, "addr");
  p = mp_uint_to(p, o->addr);
  p = MP_LIT(p, "type");
  if (!(p = NAME_AT(p, &st->type[o->type], crv_obj_type_name(o->type))))
    return e;
  p = MP_LIT(p, "ob_type");
  p = mp_uint_to(p, o->ob_type);
  p = MP_LIT(p, "length");
  p = mp_uint_to(p, o->length);
  if (o->type == CRV_OBJ_STR) {
    p = MP_LIT(p, "kind");
    p = mp_uint_to(p, o->kind);
  }
  if (o->ascii >= 0) {
    p = MP_LIT(p, "ascii");
    *p++ = (char)(o->ascii ? 0xc3 : 0xc2);
  }
  if (o->interned >= 0) {
    p = MP_LIT(p, "interned");
    p = mp_uint_to(p, (uint64_t)o->interned);
  }
  p = MP_LIT(p, "hash");
  p = mp_int_to(p, o->hash);
  p = MP_LIT(p, "hash_check");
  if (!(p = NAME_AT(p, &st->check[o->hash_check], crv_hash_check_name(o->hash_check))))
    return e;
  p = MP_LIT(p, "status");
  if (!(p = NAME_AT(p, &st->status[o->status], crv_status_name(o->status))))
    return e;
  p = MP_LIT(p, "region");
  int cached = mp_region_cache(&st->region, o->region);
  if (!(p = tool_at(w, &p0, p, st->region.enc, cached ? st->region.len : 0, st->region.len,
                    o->region, &e)))
    return e;
  if (o->has_offset) { /* where addr lies in the page blob named by region */
    p = MP_LIT(p, "offset");
    p = mp_uint_to(p, o->offset);
  }
  p = MP_LIT(p, "refcnt");
  p = mp_uint_to(p, o->refcnt);
  if (o->proof) {
    p = MP_LIT(p, "header");
    p = MP_LIT(p, "clobbered");
    p = MP_LIT(p, "proof");
    if (!(p = tool_at(w, &p0, p, NULL, 0, 0, o->proof, &e)))
      return e;
  }
  p = MP_LIT(p, "value");
  crvi_buf_commit(b, (size_t)(p - p0));
  return mp_value(w, &v);
}
#undef NAME_AT

static void mp_count_map(struct crv_writer *w, const char *key, size_t n, const char *(*name)(int),
                         const uint64_t *counts)
{
  msgpack_packer *pk = pk_of(w);
  mp_key(pk, key);
  msgpack_pack_map(pk, n);
  for (size_t i = 0; i < n; i++)
    mp_kv_u64(pk, name((int)i), counts[i]);
}

static crv_err mp_summary(struct crv_writer *w, const crv_summary *s)
{
  msgpack_packer *pk = pk_of(w);
  crv_err e = CRV_OK;
  const char *names[CRV_OBJ_TYPE_COUNT];
  uint64_t counts[CRV_OBJ_TYPE_COUNT];
  size_t nt = crvi_w_by_type(s, names, counts);
  msgpack_pack_map(pk, 15 + (w->with_credentials ? 1u : 0u));
  mp_kv_str(w, "record", "summary", &e);
  mp_kv_u64(pk, "objects", s->objects);
  mp_key(pk, "by_type");
  msgpack_pack_map(pk, nt);
  for (size_t i = 0; i < nt; i++)
    mp_kv_u64(pk, names[i], counts[i]);
  mp_count_map(w, "by_status", CRV_STATUS_COUNT, crv_status_name, s->by_status);
  mp_count_map(w, "by_hash_check", CRV_HASH_CHECK_COUNT, crv_hash_check_name, s->by_hash_check);
  mp_kv_u64(pk, "candidates", s->candidates);
  mp_kv_u64(pk, "rejected", s->rejected);
  size_t nr = 0;
  for (int i = 0; i < CRV_MAX_REASONS; i++)
    nr += s->rejected_by[i] != 0;
  mp_key(pk, "rejected_by");
  msgpack_pack_map(pk, nr);
  for (int i = 0; i < CRV_MAX_REASONS; i++)
    if (s->rejected_by[i])
      mp_kv_u64(pk, crv_reason_name(i), s->rejected_by[i]);
  mp_kv_u64(pk, "over_cap", s->over_cap);
  mp_kv_u64(pk, "clobbered", s->clobbered);
  mp_kv_u64(pk, "bytes_scanned", s->bytes_scanned);
  mp_kv_u64(pk, "regions", s->regions);
  mp_kv_u64(pk, "holes", s->holes);
  if (w->with_credentials)
    mp_kv_u64(pk, "credentials", w->credentials);
  mp_key(pk, "elapsed_seconds");
  msgpack_pack_double(pk, s->elapsed_seconds);
  mp_key(pk, "interrupted");
  if (s->interrupted)
    msgpack_pack_true(pk);
  else
    msgpack_pack_false(pk);
  return e;
}

/* The key of a credential's secret: "password" (basic, url) or "token". */
const char *crvi_w_secret_key(int scheme)
{
  return scheme == CRV_CRED_BASIC || scheme == CRV_CRED_URL ? "password" : "token";
}

static crv_err mp_credential(struct crv_writer *w, const crv_credential *c)
{
  msgpack_packer *pk = pk_of(w);
  crv_err e = CRV_OK;
  size_t n = 11 + (c->header ? 1u : 0u) + (c->user ? 1u : 0u) + (c->request ? 1u : 0u) +
             (c->response ? 1u : 0u) + (c->host ? 1u : 0u) + (c->url ? 1u : 0u);
  msgpack_pack_map(pk, n);
  mp_kv_str(w, "record", "credential", &e);
  mp_kv_str(w, "scheme", crv_cred_scheme_name(c->scheme), &e);
  if (c->header)
    mp_kv_str(w, "header", c->header, &e);
  if (c->user)
    mp_kv_str(w, "user", c->user, &e);
  mp_kv_str(w, crvi_w_secret_key(c->scheme), c->secret, &e);
  mp_kv_str(w, "confidence", crv_cred_confidence_name(c->confidence), &e);
  mp_kv_str(w, "found_as", crv_cred_found_name(c->found_as), &e);
  if (c->request)
    mp_kv_str(w, "request", c->request, &e);
  if (c->response)
    mp_kv_str(w, "response", c->response, &e);
  if (c->host)
    mp_kv_str(w, "host", c->host, &e);
  if (c->url)
    mp_kv_str(w, "url", c->url, &e);
  mp_kv_u64(pk, "addr", c->addr);
  mp_kv_str(w, "status", crv_status_name(c->status), &e);
  mp_kv_u64(pk, "count", c->count);
  mp_kv_u64(pk, "live", c->live);
  mp_kv_u64(pk, "freed", c->freed);
  mp_key(pk, "addrs");
  msgpack_pack_array(pk, c->n_addrs);
  for (size_t i = 0; i < c->n_addrs; i++)
    msgpack_pack_uint64(pk, c->addrs[i]);
  return e;
}

static void mp_fini(struct crv_writer *w)
{
  free(w->impl);
  w->impl = NULL;
}

static const struct crvi_writer_ops msgpack_ops = {
    .meta = mp_meta,
    .object = mp_object,
    .summary = mp_summary,
    .credential = mp_credential,
    .fini = mp_fini,
};

static void name_init(struct mp_name *nm, const char *s)
{
  size_t n = s ? strlen(s) : 32;
  nm->len = 0;
  if (n < 31 && crvi_w_plain(s, n))
    nm->len = (uint8_t)(mp_fix_to(nm->enc, s, n) - nm->enc);
}

crv_err crvi_writer_msgpack_init(struct crv_writer *w)
{
  struct mp_state *st = calloc(1, sizeof *st);
  if (!st)
    return CRV_ERR_NOMEM;
  msgpack_packer_init(&st->pk, w, mp_sink);
  for (int i = 0; i < CRV_OBJ_TYPE_COUNT; i++)
    name_init(&st->type[i], crv_obj_type_name(i));
  for (int i = 0; i < CRV_HASH_CHECK_COUNT; i++)
    name_init(&st->check[i], crv_hash_check_name(i));
  for (int i = 0; i < CRV_STATUS_COUNT; i++)
    name_init(&st->status[i], crv_status_name(i));
  w->impl = st;
  w->ops = &msgpack_ops;
  return CRV_OK;
}
