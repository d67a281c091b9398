/* SPDX-License-Identifier: MIT */
/* JSON lines writer: the msgpack records and keys, one compact JSON object per line.
 * Integers are JSON integers. Text values are JSON strings (lone surrogates as \udXXX
 * escapes, so the line stays valid JSON); binary values are value_b64, plus value when the
 * bytes are valid UTF-8. Tool strings are made strict UTF-8 (invalid bytes: U+FFFD). */
#include <inttypes.h>
#include <string.h>

#include "out/writer_impl.h"

/* ,"k": at p (the room is the caller's); returns the end. */
static inline char *js_key_to(char *p, const char *k, size_t kl)
{
  p[0] = ',';
  p[1] = '"';
  memcpy(p + 2, k, kl);
  p[2 + kl] = '"';
  p[3 + kl] = ':';
  return p + 4 + kl;
}

static void js_key(struct crv_writer *w, const char *k)
{
  size_t kl = strlen(k);
  char *p = crvi_buf_room(&w->buf, kl + 4);
  if (p)
    crvi_buf_commit(&w->buf, (size_t)(js_key_to(p, k, kl) - p));
}

/* A tool string, or null. Short printable ones (names) are copied as they are. */
static crv_err js_str(struct crv_writer *w, const char *s)
{
  crvi_buf *b = &w->buf;
  char *p;
  if (!s) {
    crvi_buf_put(b, "null", 4);
    return crvi_w_maybe_drain(w);
  }
  const uint8_t *u = (const uint8_t *)s;
  size_t n = strlen(s), pos = 0;
  if (n <= 64 && crvi_w_plain(s, n) && (p = crvi_buf_room(b, n + 2)) != NULL) {
    p[0] = '"';
    memcpy(p + 1, s, n);
    p[n + 1] = '"';
    crvi_buf_commit(b, n + 2);
    return CRV_OK;
  }
  crvi_buf_putc(b, '"');
  while (pos < n && !b->err) {
    crvi_json_utf8_step(b, u, n, 0, &pos, CRVI_WRITER_OUT);
    crv_err e = crvi_w_maybe_drain(w);
    if (e)
      return e;
  }
  crvi_buf_putc(b, '"');
  return crvi_w_maybe_drain(w);
}

static crv_err js_kv_str(struct crv_writer *w, const char *k, const char *v)
{
  js_key(w, k);
  return js_str(w, v);
}

static void js_kv_u64(struct crv_writer *w, const char *k, uint64_t v)
{
  size_t kl = strlen(k);
  char *p = crvi_buf_room(&w->buf, kl + 4 + 20);
  if (p)
    crvi_buf_commit(&w->buf, (size_t)(crvi_w_u64_dec(js_key_to(p, k, kl), v) - p));
}

static void js_kv_bool(struct crv_writer *w, const char *k, int v)
{
  js_key(w, k);
  crvi_buf_puts(&w->buf, v ? "true" : "false");
}

/* Ends the line (writer.c writes the buffer out). */
static crv_err js_end(struct crv_writer *w, crv_err e)
{
  crvi_buf_put(&w->buf, "}\n", 2);
  return e ? e : w->buf.err;
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
      crvi_json_units_step(&w->buf, v->data, v->nunits, v->kind, v->flags, &pos, CRVI_WRITER_OUT);
      if ((e = crvi_w_maybe_drain(w)) != CRV_OK)
        return e;
    }
    crvi_buf_putc(&w->buf, '"');
    return crvi_w_maybe_drain(w);
  }
  js_key(w, "value_b64");
  crvi_buf_putc(&w->buf, '"');
  while (pos < v->nunits && !w->buf.err) {
    crvi_base64_step(&w->buf, v->data, v->nunits, &pos, CRVI_WRITER_OUT);
    if ((e = crvi_w_maybe_drain(w)) != CRV_OK)
      return e;
  }
  crvi_buf_putc(&w->buf, '"');
  if (!crvi_utf8_valid(v->data, v->nunits))
    return crvi_w_maybe_drain(w);
  js_key(w, "value");
  crvi_buf_putc(&w->buf, '"');
  pos = 0;
  while (pos < v->nunits && !w->buf.err) {
    crvi_json_utf8_step(&w->buf, v->data, v->nunits, 0, &pos, CRVI_WRITER_OUT);
    if ((e = crvi_w_maybe_drain(w)) != CRV_OK)
      return e;
  }
  crvi_buf_putc(&w->buf, '"');
  return crvi_w_maybe_drain(w);
}

static crv_err js_object(struct crv_writer *w, const crv_object *o)
{
  crvi_value v;
  crv_err e = crvi_w_value(o, &v);
  if (e)
    return e;
  crvi_buf_put(&w->buf, "{\"record\":\"object\"", 18);
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
  char *p = crvi_buf_room(&w->buf, 8 + 20);
  if (p)
    crvi_buf_commit(&w->buf, (size_t)(crvi_w_i64_dec(js_key_to(p, "hash", 4), o->hash) - p));
  KEEP_FIRST(e, js_kv_str(w, "hash_check", crv_hash_check_name(o->hash_check)));
  KEEP_FIRST(e, js_kv_str(w, "status", crv_status_name(o->status)));
  KEEP_FIRST(e, js_kv_str(w, "region", o->region));
  if (o->has_offset) /* where addr lies in the page blob named by region */
    js_kv_u64(w, "offset", o->offset);
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
  if (w->with_credentials)
    js_kv_u64(w, "credentials", w->credentials);
  js_key(w, "elapsed_seconds");
  crvi_w_format_double(num, sizeof num, s->elapsed_seconds, -1);
  crvi_buf_puts(&w->buf, num);
  js_kv_bool(w, "interrupted", s->interrupted);
  return js_end(w, CRV_OK);
}

static crv_err js_credential(struct crv_writer *w, const crv_credential *c)
{
  crv_err e = CRV_OK;
  crvi_buf_reset(&w->buf);
  crvi_buf_puts(&w->buf, "{\"record\":\"credential\"");
  KEEP_FIRST(e, js_kv_str(w, "scheme", crv_cred_scheme_name(c->scheme)));
  if (c->header)
    KEEP_FIRST(e, js_kv_str(w, "header", c->header));
  if (c->user)
    KEEP_FIRST(e, js_kv_str(w, "user", c->user));
  KEEP_FIRST(e, js_kv_str(w, crvi_w_secret_key(c->scheme), c->secret));
  KEEP_FIRST(e, js_kv_str(w, "confidence", crv_cred_confidence_name(c->confidence)));
  KEEP_FIRST(e, js_kv_str(w, "found_as", crv_cred_found_name(c->found_as)));
  if (c->request)
    KEEP_FIRST(e, js_kv_str(w, "request", c->request));
  if (c->response)
    KEEP_FIRST(e, js_kv_str(w, "response", c->response));
  if (c->host)
    KEEP_FIRST(e, js_kv_str(w, "host", c->host));
  if (c->url)
    KEEP_FIRST(e, js_kv_str(w, "url", c->url));
  js_kv_u64(w, "addr", c->addr);
  KEEP_FIRST(e, js_kv_str(w, "status", crv_status_name(c->status)));
  js_kv_u64(w, "count", c->count);
  js_kv_u64(w, "live", c->live);
  js_kv_u64(w, "freed", c->freed);
  js_key(w, "addrs");
  crvi_buf_putc(&w->buf, '[');
  for (size_t i = 0; i < c->n_addrs; i++)
    crvi_buf_printf(&w->buf, "%s%" PRIu64, i ? "," : "", c->addrs[i]);
  crvi_buf_putc(&w->buf, ']');
  return js_end(w, e);
}

static const struct crvi_writer_ops jsonl_ops = {
    .meta = js_meta,
    .object = js_object,
    .summary = js_summary,
    .credential = js_credential,
    .fini = NULL,
};

crv_err crvi_writer_jsonl_init(struct crv_writer *w)
{
  w->ops = &jsonl_ops;
  return CRV_OK;
}
