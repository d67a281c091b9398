/* SPDX-License-Identifier: MIT */
/* JSON lines writer: the msgpack records and keys, one compact JSON object per line.
 * Integers are JSON integers. Text values are JSON strings (lone surrogates as \udXXX
 * escapes, so the line stays valid JSON); binary values are value_b64, plus value when the
 * bytes are valid UTF-8. Tool strings are made strict UTF-8 (invalid bytes: U+FFFD). */
#include <inttypes.h>
#include <string.h>

#include "out/writer_impl.h"

/* Writes the buffer out once it holds a chunk; keeps small records in one write. */
static crv_err js_maybe_drain(struct crv_writer *w)
{
  if (w->buf.err || w->buf.len >= CRVI_WRITER_CHUNK)
    return crvi_w_drain(w);
  return CRV_OK;
}

static void js_key(struct crv_writer *w, const char *k)
{
  crvi_buf_putc(&w->buf, ',');
  crvi_buf_putc(&w->buf, '"');
  crvi_buf_puts(&w->buf, k);
  crvi_buf_puts(&w->buf, "\":");
}

/* A tool string, or null. */
static crv_err js_str(struct crv_writer *w, const char *s)
{
  if (!s) {
    crvi_buf_puts(&w->buf, "null");
    return js_maybe_drain(w);
  }
  const uint8_t *u = (const uint8_t *)s;
  size_t n = strlen(s), pos = 0;
  crvi_buf_putc(&w->buf, '"');
  while (pos < n && !w->buf.err) {
    crvi_json_utf8_step(&w->buf, u, n, 0, &pos, CRVI_WRITER_CHUNK);
    crv_err e = js_maybe_drain(w);
    if (e)
      return e;
  }
  crvi_buf_putc(&w->buf, '"');
  return js_maybe_drain(w);
}

static crv_err js_kv_str(struct crv_writer *w, const char *k, const char *v)
{
  js_key(w, k);
  return js_str(w, v);
}

static void js_kv_u64(struct crv_writer *w, const char *k, uint64_t v)
{
  js_key(w, k);
  crvi_buf_printf(&w->buf, "%" PRIu64, v);
}

static void js_kv_bool(struct crv_writer *w, const char *k, int v)
{
  js_key(w, k);
  crvi_buf_puts(&w->buf, v ? "true" : "false");
}

/* Ends the line and writes the record out. */
static crv_err js_end(struct crv_writer *w, crv_err e)
{
  crvi_buf_puts(&w->buf, "}\n");
  crv_err e2 = crvi_w_drain(w);
  return e ? e : e2;
}

#define KEEP_FIRST(e, expr)                                                                        \
  do {                                                                                             \
    crv_err keep_ = (expr);                                                                        \
    if (!(e))                                                                                      \
      (e) = keep_;                                                                                 \
  } while (0)

static crv_err js_meta(struct crv_writer *w, const crv_meta *m)
{
  crv_err e = CRV_OK;
  size_t nsrc = m->n_sources < CRV_MAX_SOURCES_LISTED ? m->n_sources : CRV_MAX_SOURCES_LISTED;
  crvi_buf_reset(&w->buf);
  crvi_buf_puts(&w->buf, "{\"record\":\"meta\",\"tool\":\"carver\"");
  KEEP_FIRST(e, js_kv_str(w, "tool_version", m->tool_version));
  KEEP_FIRST(e, js_kv_str(w, "python", m->python));
  if (m->python_full)
    KEEP_FIRST(e, js_kv_str(w, "python_full", m->python_full));
  KEEP_FIRST(e, js_kv_str(w, "version_source", m->version_source));
  KEEP_FIRST(e, js_kv_str(w, "layout", m->layout));
  KEEP_FIRST(e, js_kv_str(w, "hash_key_source", m->hash_key_source));
  if (m->hash_key)
    KEEP_FIRST(e, js_kv_str(w, "hash_key", m->hash_key));
  if (m->hash_key_addr)
    js_kv_u64(w, "hash_key_addr", m->hash_key_addr);
  if (m->pid >= 0)
    js_kv_u64(w, "pid", (uint64_t)m->pid);
  js_key(w, "sources");
  crvi_buf_putc(&w->buf, '[');
  for (size_t i = 0; i < nsrc; i++) {
    if (i)
      crvi_buf_putc(&w->buf, ',');
    KEEP_FIRST(e, js_str(w, m->sources[i]));
  }
  crvi_buf_putc(&w->buf, ']');
  js_kv_u64(w, "str_type", m->str_type);
  js_kv_u64(w, "bytes_type", m->bytes_type);
  return js_end(w, e);
}

/* The value keys: "value" for text; "value_b64" and, for valid UTF-8, "value" for binary. */
static crv_err js_value(struct crv_writer *w, const crvi_value *v)
{
  size_t pos = 0;
  crv_err e;
  if (v->text) {
    js_key(w, "value");
    crvi_buf_putc(&w->buf, '"');
    while (pos < v->nunits && !w->buf.err) {
      crvi_json_units_step(&w->buf, v->data, v->nunits, v->kind, v->flags, &pos, CRVI_WRITER_CHUNK);
      if ((e = js_maybe_drain(w)) != CRV_OK)
        return e;
    }
    crvi_buf_putc(&w->buf, '"');
    return js_maybe_drain(w);
  }
  js_key(w, "value_b64");
  crvi_buf_putc(&w->buf, '"');
  while (pos < v->nunits && !w->buf.err) {
    crvi_base64_step(&w->buf, v->data, v->nunits, &pos, CRVI_WRITER_CHUNK);
    if ((e = js_maybe_drain(w)) != CRV_OK)
      return e;
  }
  crvi_buf_putc(&w->buf, '"');
  if (!crvi_utf8_valid(v->data, v->nunits))
    return js_maybe_drain(w);
  js_key(w, "value");
  crvi_buf_putc(&w->buf, '"');
  pos = 0;
  while (pos < v->nunits && !w->buf.err) {
    crvi_json_utf8_step(&w->buf, v->data, v->nunits, 0, &pos, CRVI_WRITER_CHUNK);
    if ((e = js_maybe_drain(w)) != CRV_OK)
      return e;
  }
  crvi_buf_putc(&w->buf, '"');
  return js_maybe_drain(w);
}

static crv_err js_object(struct crv_writer *w, const crv_object *o)
{
  crvi_value v;
  crv_err e = crvi_w_value(o, &v);
  if (e)
    return e;
  crvi_buf_reset(&w->buf);
  crvi_buf_puts(&w->buf, "{\"record\":\"object\"");
  js_kv_u64(w, "addr", o->addr);
  KEEP_FIRST(e, js_kv_str(w, "type", crv_obj_type_name(o->type)));
  js_kv_u64(w, "ob_type", o->ob_type);
  js_kv_u64(w, "length", o->length);
  if (o->type == CRV_OBJ_STR)
    js_kv_u64(w, "kind", o->kind);
  if (o->ascii >= 0)
    js_kv_bool(w, "ascii", o->ascii);
  if (o->interned >= 0)
    js_kv_u64(w, "interned", (uint64_t)o->interned);
  js_key(w, "hash");
  crvi_buf_printf(&w->buf, "%" PRId64, o->hash);
  KEEP_FIRST(e, js_kv_str(w, "hash_check", crv_hash_check_name(o->hash_check)));
  KEEP_FIRST(e, js_kv_str(w, "status", crv_status_name(o->status)));
  KEEP_FIRST(e, js_kv_str(w, "region", o->region));
  js_kv_u64(w, "refcnt", o->refcnt);
  if (o->proof) {
    KEEP_FIRST(e, js_kv_str(w, "header", "clobbered"));
    KEEP_FIRST(e, js_kv_str(w, "proof", o->proof));
  }
  KEEP_FIRST(e, js_value(w, &v));
  return js_end(w, e);
}

static void js_count_map(struct crv_writer *w, const char *key, size_t n, const char *(*name)(int),
                         const uint64_t *counts)
{
  js_key(w, key);
  crvi_buf_putc(&w->buf, '{');
  for (size_t i = 0; i < n; i++)
    crvi_buf_printf(&w->buf, "%s\"%s\":%" PRIu64, i ? "," : "", name((int)i), counts[i]);
  crvi_buf_putc(&w->buf, '}');
}

static crv_err js_summary(struct crv_writer *w, const crv_summary *s)
{
  const char *names[CRV_OBJ_TYPE_COUNT];
  uint64_t counts[CRV_OBJ_TYPE_COUNT];
  size_t nt = crvi_w_by_type(s, names, counts);
  char num[64];
  crvi_buf_reset(&w->buf);
  crvi_buf_puts(&w->buf, "{\"record\":\"summary\"");
  js_kv_u64(w, "objects", s->objects);
  js_key(w, "by_type");
  crvi_buf_putc(&w->buf, '{');
  for (size_t i = 0; i < nt; i++)
    crvi_buf_printf(&w->buf, "%s\"%s\":%" PRIu64, i ? "," : "", names[i], counts[i]);
  crvi_buf_putc(&w->buf, '}');
  js_count_map(w, "by_status", CRV_STATUS_COUNT, crv_status_name, s->by_status);
  js_count_map(w, "by_hash_check", CRV_HASH_CHECK_COUNT, crv_hash_check_name, s->by_hash_check);
  js_kv_u64(w, "candidates", s->candidates);
  js_kv_u64(w, "rejected", s->rejected);
  js_key(w, "rejected_by");
  crvi_buf_putc(&w->buf, '{');
  for (int i = 0, k = 0; i < CRV_MAX_REASONS; i++)
    if (s->rejected_by[i])
      crvi_buf_printf(&w->buf, "%s\"%s\":%" PRIu64, k++ ? "," : "", crv_reason_name(i),
                      s->rejected_by[i]);
  crvi_buf_putc(&w->buf, '}');
  js_kv_u64(w, "over_cap", s->over_cap);
  js_kv_u64(w, "clobbered", s->clobbered);
  js_kv_u64(w, "bytes_scanned", s->bytes_scanned);
  js_kv_u64(w, "regions", s->regions);
  js_kv_u64(w, "holes", s->holes);
  js_key(w, "elapsed_seconds");
  crvi_w_format_double(num, sizeof num, s->elapsed_seconds, -1);
  crvi_buf_puts(&w->buf, num);
  js_kv_bool(w, "interrupted", s->interrupted);
  return js_end(w, CRV_OK);
}

static const struct crvi_writer_ops jsonl_ops = {
    .meta = js_meta,
    .object = js_object,
    .summary = js_summary,
    .fini = NULL,
};

crv_err crvi_writer_jsonl_init(struct crv_writer *w)
{
  w->ops = &jsonl_ops;
  return CRV_OK;
}
