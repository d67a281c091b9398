/* SPDX-License-Identifier: MIT */
/* msgpack stream writer: one map per record, each with a "record" key. Text values are
 * msgpack str holding UTF-8, or WTF-8 when the value has lone surrogates (decode with
 * unicode_errors="surrogatepass"); binary values are msgpack bin. Tool strings (paths,
 * names) are made strict UTF-8, invalid bytes becoming U+FFFD. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "out/writer_impl.h"

/* The packer's sink: writes through crvi_w_write so failures are recorded. Unlike
 * msgpack_fbuffer_write it accepts empty writes (an empty str body). */
static int mp_sink(void *data, const char *buf, size_t len)
{
  struct crv_writer *w = data;
  crvi_w_write(w, buf, len);
  return w->failed ? -1 : 0;
}

static msgpack_packer *pk_of(struct crv_writer *w)
{
  return w->impl;
}

static void mp_key(msgpack_packer *pk, const char *k)
{
  msgpack_pack_str_with_body(pk, k, strlen(k));
}

/* A tool string as strict UTF-8; NULL as nil. */
static crv_err mp_str(struct crv_writer *w, const char *s)
{
  msgpack_packer *pk = pk_of(w);
  if (!s) {
    msgpack_pack_nil(pk);
    return CRV_OK;
  }
  const uint8_t *u = (const uint8_t *)s;
  size_t n = strlen(s);
  uint64_t len = crvi_utf8_sanitized_len(u, n);
  if (len > UINT32_MAX)
    return CRV_ERR_LIMIT;
  if (len == n) { /* valid as is */
    msgpack_pack_str_with_body(pk, s, n);
    return CRV_OK;
  }
  msgpack_pack_str(pk, (size_t)len);
  size_t pos = 0;
  while (pos < n) {
    crvi_buf_reset(&w->buf);
    crvi_utf8_sanitize_step(&w->buf, u, n, &pos, CRVI_WRITER_CHUNK);
    if (w->buf.err)
      break;
    msgpack_pack_str_body(pk, w->buf.p, w->buf.len);
  }
  crv_err e = w->buf.err;
  crvi_buf_reset(&w->buf);
  if (e)
    w->failed = 1;
  return e;
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

/* The value: str of the UTF-8/WTF-8 conversion, or bin of the raw bytes. */
static crv_err mp_value(struct crv_writer *w, const crvi_value *v)
{
  msgpack_packer *pk = pk_of(w);
  if (!v->text) {
    if (v->nunits > UINT32_MAX)
      return CRV_ERR_LIMIT;
    msgpack_pack_bin(pk, v->nunits);
    msgpack_pack_bin_body(pk, v->data, v->nunits);
    return CRV_OK;
  }
  uint64_t len = crvi_text_utf8_len(v->data, v->nunits, v->kind, v->flags);
  if (len > UINT32_MAX)
    return CRV_ERR_LIMIT;
  msgpack_pack_str(pk, (size_t)len);
  uint64_t done = 0;
  size_t pos = 0;
  crv_err e = CRV_OK;
  while (pos < v->nunits) {
    crvi_buf_reset(&w->buf);
    crvi_text_utf8_step(&w->buf, v->data, v->nunits, v->kind, v->flags, &pos, CRVI_WRITER_CHUNK);
    if (w->buf.err) {
      e = w->buf.err;
      break;
    }
    msgpack_pack_str_body(pk, w->buf.p, w->buf.len);
    done += w->buf.len;
  }
  crvi_buf_reset(&w->buf);
  if (!e && done != len) /* cannot happen: the length and the steps share the decoder */
    e = CRV_ERR_LIMIT;
  if (e)
    w->failed = 1; /* the str on the stream is incomplete */
  return e;
}

static crv_err mp_object(struct crv_writer *w, const crv_object *o)
{
  msgpack_packer *pk = pk_of(w);
  crvi_value v;
  crv_err e = crvi_w_value(o, &v);
  if (e)
    return e;
  size_t n = 11 + (o->type == CRV_OBJ_STR ? 1u : 0u) + (o->ascii >= 0 ? 1u : 0u) +
             (o->interned >= 0 ? 1u : 0u) + (o->proof ? 2u : 0u);
  msgpack_pack_map(pk, n);
  mp_kv_str(w, "record", "object", &e);
  mp_kv_u64(pk, "addr", o->addr);
  mp_kv_str(w, "type", crv_obj_type_name(o->type), &e);
  mp_kv_u64(pk, "ob_type", o->ob_type);
  mp_kv_u64(pk, "length", o->length);
  if (o->type == CRV_OBJ_STR)
    mp_kv_u64(pk, "kind", o->kind);
  if (o->ascii >= 0) {
    mp_key(pk, "ascii");
    if (o->ascii)
      msgpack_pack_true(pk);
    else
      msgpack_pack_false(pk);
  }
  if (o->interned >= 0)
    mp_kv_u64(pk, "interned", (uint64_t)o->interned);
  mp_key(pk, "hash");
  msgpack_pack_int64(pk, o->hash);
  mp_kv_str(w, "hash_check", crv_hash_check_name(o->hash_check), &e);
  mp_kv_str(w, "status", crv_status_name(o->status), &e);
  mp_kv_str(w, "region", o->region, &e);
  mp_kv_u64(pk, "refcnt", o->refcnt);
  if (o->proof) {
    mp_kv_str(w, "header", "clobbered", &e);
    mp_kv_str(w, "proof", o->proof, &e);
  }
  mp_key(pk, "value");
  crv_err e2 = mp_value(w, &v);
  return e ? e : e2;
}

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
  msgpack_pack_map(pk, 15);
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
  mp_key(pk, "elapsed_seconds");
  msgpack_pack_double(pk, s->elapsed_seconds);
  mp_key(pk, "interrupted");
  if (s->interrupted)
    msgpack_pack_true(pk);
  else
    msgpack_pack_false(pk);
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
    .fini = mp_fini,
};

crv_err crvi_writer_msgpack_init(struct crv_writer *w)
{
  msgpack_packer *pk = malloc(sizeof *pk);
  if (!pk)
    return CRV_ERR_NOMEM;
  msgpack_packer_init(pk, w, mp_sink);
  w->impl = pk;
  w->ops = &msgpack_ops;
  return CRV_OK;
}
