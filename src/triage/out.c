/* SPDX-License-Identifier: MIT */
/* Triage output helpers and per-record formats (see out.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "out/writer_impl.h" /* crvi_w_format_double */
#include "triage/out.h"
#include "util/limits.h"

void crvi_tout_init(struct crvi_tout *o, FILE *fp)
{
  o->fp = fp;
  o->failed = 0;
  crvi_buf_init(&o->b, CRVI_TOUT_CAP);
}

size_t crvi_tout_step_limit(const struct crvi_tout *o)
{
  return o->fp ? CRVI_TOUT_CHUNK : o->b.len + CRVI_TOUT_CHUNK;
}

void crvi_tout_flush(struct crvi_tout *o, int force)
{
  if (!o->fp) /* a memory sink (fp NULL): the buffer is the result */
    return;
  if (o->b.err) {
    o->failed = 1;
    crvi_buf_reset(&o->b);
    return;
  }
  if (!force && o->b.len < CRVI_TOUT_CHUNK)
    return;
  if (o->b.len && !o->failed && fwrite(o->b.p, 1, o->b.len, o->fp) != o->b.len)
    o->failed = 1;
  crvi_buf_reset(&o->b);
}

crv_err crvi_tout_finish(struct crvi_tout *o)
{
  crvi_tout_flush(o, 1);
  if (fflush(o->fp) != 0 || ferror(o->fp))
    o->failed = 1;
  crvi_buf_free(&o->b);
  return o->failed ? CRV_ERR_OUTPUT : CRV_OK;
}

void crvi_tout_puts(struct crvi_tout *o, const char *s)
{
  crvi_buf_puts(&o->b, s);
  crvi_tout_flush(o, 0);
}

void crvi_tout_printf(struct crvi_tout *o, const char *fmt, ...)
{
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) {
    o->failed = 1;
    return;
  }
  crvi_buf_put(&o->b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
  crvi_tout_flush(o, 0);
}

/* ---- JSON -------------------------------------------------------------------------------- */

void crvi_tout_json_str(struct crvi_tout *o, const uint8_t *p, size_t n)
{
  size_t pos = 0;
  crvi_buf_putc(&o->b, '"');
  while (pos < n && !o->b.err) {
    crvi_json_utf8_step(&o->b, p, n, CRVI_UTF8_SURROGATES, &pos,
                        crvi_tout_step_limit(o));
    crvi_tout_flush(o, 0);
  }
  crvi_buf_putc(&o->b, '"');
  crvi_tout_flush(o, 0);
}

void crvi_tout_json_cstr(struct crvi_tout *o, const char *s)
{
  if (!s)
    crvi_tout_puts(o, "null");
  else
    crvi_tout_json_str(o, (const uint8_t *)s, strlen(s));
}

void crvi_tout_json_b64(struct crvi_tout *o, const uint8_t *p, size_t n)
{
  size_t pos = 0;
  crvi_buf_putc(&o->b, '"');
  while (pos < n && !o->b.err) {
    crvi_base64_step(&o->b, p, n, &pos, crvi_tout_step_limit(o));
    crvi_tout_flush(o, 0);
  }
  crvi_buf_putc(&o->b, '"');
}

static void json_double(struct crvi_tout *o, double d)
{
  char num[64];
  crvi_w_format_double(num, sizeof num, d, -1);
  crvi_buf_puts(&o->b, num);
}

void crvi_tout_json_value(struct crvi_tout *o, const msgpack_object *v, unsigned depth)
{
  if (depth > CRV_TRIAGE_MAX_DEPTH + 1) { /* the reader never passes deeper records */
    crvi_buf_puts(&o->b, "null");
    return;
  }
  switch (v->type) {
  case MSGPACK_OBJECT_NIL: crvi_buf_puts(&o->b, "null"); break;
  case MSGPACK_OBJECT_BOOLEAN: crvi_buf_puts(&o->b, v->via.boolean ? "true" : "false"); break;
  case MSGPACK_OBJECT_POSITIVE_INTEGER: crvi_buf_printf(&o->b, "%" PRIu64, v->via.u64); break;
  case MSGPACK_OBJECT_NEGATIVE_INTEGER: crvi_buf_printf(&o->b, "%" PRId64, v->via.i64); break;
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64: json_double(o, v->via.f64); break;
  case MSGPACK_OBJECT_STR:
    crvi_tout_json_str(o, (const uint8_t *)v->via.str.ptr, v->via.str.size);
    break;
  case MSGPACK_OBJECT_BIN:
    crvi_tout_json_b64(o, (const uint8_t *)v->via.bin.ptr, v->via.bin.size);
    break;
  case MSGPACK_OBJECT_ARRAY:
    crvi_buf_putc(&o->b, '[');
    for (uint32_t i = 0; i < v->via.array.size; i++) {
      if (i)
        crvi_buf_putc(&o->b, ',');
      crvi_tout_json_value(o, &v->via.array.ptr[i], depth + 1);
      crvi_tout_flush(o, 0);
    }
    crvi_buf_putc(&o->b, ']');
    break;
  case MSGPACK_OBJECT_MAP: crvi_tout_json_map(o, v, NULL, depth + 1); break;
  case MSGPACK_OBJECT_EXT:
    crvi_buf_printf(&o->b, "{\"ext_type\":%d,\"data_b64\":", (int)v->via.ext.type);
    crvi_tout_json_b64(o, (const uint8_t *)v->via.ext.ptr, v->via.ext.size);
    crvi_buf_putc(&o->b, '}');
    break;
  default: crvi_buf_puts(&o->b, "null"); break;
  }
  crvi_tout_flush(o, 0);
}

static int skipped(const msgpack_object *key, const char *const *skip)
{
  struct crvi_bytes k;
  if (!skip || !crvi_mp_str(key, &k))
    return 0;
  for (; *skip; skip++)
    if (crvi_bytes_eq(k, *skip))
      return 1;
  return 0;
}

/* A key as a JSON string, with a suffix (e.g. "_b64"). */
static void json_key(struct crvi_tout *o, const msgpack_object *k, const char *suffix)
{
  struct crvi_bytes s;
  if (crvi_mp_str(k, &s) && !*suffix) {
    crvi_tout_json_str(o, s.p, s.n);
  } else if (crvi_mp_str(k, &s)) {
    crvi_buf_putc(&o->b, '"');
    size_t pos = 0;
    while (pos < s.n && !o->b.err) {
      crvi_json_utf8_step(&o->b, s.p, s.n, CRVI_UTF8_SURROGATES, &pos,
                          crvi_tout_step_limit(o));
      crvi_tout_flush(o, 0);
    }
    crvi_buf_puts(&o->b, suffix);
    crvi_buf_putc(&o->b, '"');
  } else if (k->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
    crvi_buf_printf(&o->b, "\"%" PRIu64 "%s\"", k->via.u64, suffix);
  } else if (k->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
    crvi_buf_printf(&o->b, "\"%" PRId64 "%s\"", k->via.i64, suffix);
  } else if (k->type == MSGPACK_OBJECT_BOOLEAN) {
    crvi_buf_printf(&o->b, "\"%s%s\"", k->via.boolean ? "true" : "false", suffix);
  } else if (k->type == MSGPACK_OBJECT_NIL) {
    crvi_buf_printf(&o->b, "\"null%s\"", suffix);
  } else {
    crvi_buf_printf(&o->b, "\"?%s\"", suffix); /* a float, bin or container as a key */
  }
}

void crvi_tout_json_map(struct crvi_tout *o, const msgpack_object *map, const char *const *skip,
                        unsigned depth)
{
  int first = 1;
  crvi_buf_putc(&o->b, '{');
  for (uint32_t i = 0; i < map->via.map.size; i++) {
    const msgpack_object_kv *kv = &map->via.map.ptr[i];
    if (skipped(&kv->key, skip))
      continue;
    if (!first)
      crvi_buf_putc(&o->b, ',');
    first = 0;
    if (kv->val.type == MSGPACK_OBJECT_BIN) {
      const uint8_t *p = (const uint8_t *)kv->val.via.bin.ptr;
      size_t n = kv->val.via.bin.size;
      json_key(o, &kv->key, "_b64");
      crvi_buf_putc(&o->b, ':');
      crvi_tout_json_b64(o, p, n);
      if (crvi_utf8_valid(p ? p : (const uint8_t *)"", n)) {
        crvi_buf_putc(&o->b, ',');
        json_key(o, &kv->key, "");
        crvi_buf_putc(&o->b, ':');
        crvi_tout_json_str(o, p ? p : (const uint8_t *)"", n);
      }
    } else {
      json_key(o, &kv->key, "");
      crvi_buf_putc(&o->b, ':');
      crvi_tout_json_value(o, &kv->val, depth);
    }
    crvi_tout_flush(o, 0);
  }
  crvi_buf_putc(&o->b, '}');
}

void crvi_emit_jsonl(struct crvi_tout *o, const msgpack_object *map)
{
  crvi_tout_json_map(o, map, NULL, 0);
  crvi_buf_putc(&o->b, '\n');
  crvi_tout_flush(o, 0);
}

/* ---- repr and HTML ----------------------------------------------------------------------- */

int crvi_repr_value(crvi_buf *b, const uint8_t *p, size_t n, int is_text, size_t max_cps)
{
  return crvi_repr_value_q(b, p, n, is_text, max_cps, '"');
}

int crvi_repr_value_q(crvi_buf *b, const uint8_t *p, size_t n, int is_text, size_t max_cps,
                      char quote)
{
  if (!is_text)
    return crvi_repr_bytes(b, p, n, max_cps);
  size_t i = 0, count = 0;
  while (i < n) {
    if (count == max_cps)
      return 1;
    size_t start = i;
    uint32_t cp = crvi_utf8_next(p, n, CRVI_UTF8_SURROGATES, &i);
    if (cp == CRVI_UTF8_BAD)
      crvi_buf_printf(b, "\\x%02x", p[start]);
    else
      crvi_repr_cp(b, cp, quote);
    count++;
  }
  return 0;
}

void crvi_tout_repr(struct crvi_tout *o, const uint8_t *p, size_t n, int is_text, size_t max_cps)
{
  crvi_buf_puts(&o->b, is_text ? "\"" : "b\"");
  int cut = crvi_repr_value(&o->b, p, n, is_text, max_cps);
  crvi_buf_puts(&o->b, cut ? "\"..." : "\"");
  crvi_tout_flush(o, 0);
}

void crvi_tout_html_raw(struct crvi_tout *o, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    switch (s[i]) {
    case '&': crvi_buf_puts(&o->b, "&amp;"); break;
    case '<': crvi_buf_puts(&o->b, "&lt;"); break;
    case '>': crvi_buf_puts(&o->b, "&gt;"); break;
    case '"': crvi_buf_puts(&o->b, "&quot;"); break;
    case '\'': crvi_buf_puts(&o->b, "&#39;"); break;
    default: crvi_buf_putc(&o->b, s[i]); break;
    }
  }
  crvi_tout_flush(o, 0);
}

void crvi_tout_html_value(struct crvi_tout *o, const uint8_t *p, size_t n, int is_text,
                          size_t max_cps)
{
  crvi_buf tmp;
  crvi_buf_init(&tmp, max_cps * 12 + 64); /* the longest escape of one code point is 10 */
  int cut = crvi_repr_value_q(&tmp, p, n, is_text, max_cps, 0);
  if (tmp.p)
    crvi_tout_html_raw(o, tmp.p, tmp.len);
  if (cut)
    crvi_buf_puts(&o->b, "&hellip;");
  if (tmp.err)
    o->failed = 1;
  crvi_buf_free(&tmp);
}

void crvi_tout_html_str(struct crvi_tout *o, const char *s)
{
  if (s)
    crvi_tout_html_value(o, (const uint8_t *)s, strlen(s), 1, CRV_TRIAGE_KEEP_BYTES);
}

/* ---- CSV --------------------------------------------------------------------------------- */

/* A quoted CSV cell: strict UTF-8 (invalid bytes and lone surrogates as U+FFFD), code points
 * that can drive a terminal (other than TAB, LF, CR) as U+FFFD, quotes doubled, and a
 * leading ' before = + - @ TAB CR so that no spreadsheet evaluates a carved value. */
static void csv_cell(struct crvi_tout *o, const uint8_t *p, size_t n)
{
  crvi_buf_putc(&o->b, '"');
  if (n && (p[0] == '=' || p[0] == '+' || p[0] == '-' || p[0] == '@' || p[0] == '\t' ||
            p[0] == '\r'))
    crvi_buf_putc(&o->b, '\'');
  size_t i = 0;
  while (i < n && !o->b.err) {
    uint32_t cp = crvi_utf8_next(p, n, 0, &i);
    if (cp == CRVI_UTF8_BAD ||
        (crvi_cp_is_dangerous(cp) && cp != '\t' && cp != '\n' && cp != '\r'))
      cp = CRVI_CP_REPLACEMENT;
    if (cp == '"')
      crvi_buf_putc(&o->b, '"');
    crvi_utf8_put(&o->b, cp);
    if (o->b.len >= CRVI_TOUT_CHUNK)
      crvi_tout_flush(o, 0);
  }
  crvi_buf_putc(&o->b, '"');
}

static const char *const csv_cols[] = {"record", "addr", "type", "status", "length", "region",
                                       "hash_check", "value", "scheme", "user", "password",
                                       "token", "confidence", "url", "request", "count", NULL};

void crvi_emit_csv_header(struct crvi_tout *o)
{
  crvi_tout_puts(o, "file,record,addr,type,status,length,region,hash_check,value,value_b64,"
                    "scheme,user,password,token,confidence,url,request,count,other\r\n");
}

static void csv_field(struct crvi_tout *o, const msgpack_object *v)
{
  struct crvi_bytes b;
  if (!v)
    return;
  if (crvi_mp_blob(v, &b, NULL)) {
    csv_cell(o, b.p, b.n);
  } else if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
    crvi_buf_printf(&o->b, "%" PRIu64, v->via.u64);
  } else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
    crvi_buf_printf(&o->b, "%" PRId64, v->via.i64);
  } else if (v->type != MSGPACK_OBJECT_NIL) { /* bool, float, array, map, ext: as JSON */
    struct crvi_tout mem;
    crvi_tout_init(&mem, NULL); /* records are flat: these are small */
    crvi_tout_json_value(&mem, v, 1);
    if (mem.b.p && !mem.b.err)
      csv_cell(o, (const uint8_t *)mem.b.p, mem.b.len);
    crvi_buf_free(&mem.b);
  }
}

void crvi_emit_csv(struct crvi_tout *o, const char *file, const struct crvi_rec *r)
{
  const msgpack_object *m = r->map;
  csv_cell(o, (const uint8_t *)file, strlen(file));
  for (size_t i = 0; csv_cols[i]; i++) {
    crvi_buf_putc(&o->b, ',');
    const msgpack_object *v = crvi_mp_get(m, csv_cols[i]);
    if (strcmp(csv_cols[i], "value") == 0) {
      struct crvi_bytes b;
      int text = 0;
      if (crvi_mp_blob(v, &b, &text)) {
        if (text || crvi_utf8_valid(b.p, b.n))
          csv_cell(o, b.p, b.n);
        crvi_buf_putc(&o->b, ',');
        if (!text) {
          size_t pos = 0;
          crvi_buf_putc(&o->b, '"');
          while (pos < b.n && !o->b.err) {
            crvi_base64_step(&o->b, b.p, b.n, &pos, crvi_tout_step_limit(o));
            crvi_tout_flush(o, 0);
          }
          crvi_buf_putc(&o->b, '"');
        }
      } else {
        csv_field(o, v);
        crvi_buf_putc(&o->b, ',');
      }
      continue;
    }
    csv_field(o, v);
  }
  crvi_buf_putc(&o->b, ',');
  size_t others = 0;
  for (uint32_t i = 0; i < m->via.map.size; i++)
    others += !skipped(&m->via.map.ptr[i].key, csv_cols);
  if (others) {
    struct crvi_tout mem;
    crvi_tout_init(&mem, NULL);
    crvi_tout_json_map(&mem, m, csv_cols, 1);
    if (mem.b.p && !mem.b.err)
      csv_cell(o, (const uint8_t *)mem.b.p, mem.b.len);
    crvi_buf_free(&mem.b);
  }
  crvi_buf_puts(&o->b, "\r\n");
  crvi_tout_flush(o, 0);
}

/* ---- text -------------------------------------------------------------------------------- */

#define TEXT_VALUE_MAX 160u
#define TEXT_FIELD_MAX 100u

static void text_kv(struct crvi_tout *o, const msgpack_object_kv *kv)
{
  struct crvi_bytes k, b;
  int text = 0;
  if (crvi_mp_str(&kv->key, &k))
    crvi_repr_value(&o->b, k.p, k.n, 1, 40);
  else
    crvi_buf_putc(&o->b, '?');
  crvi_buf_putc(&o->b, '=');
  const msgpack_object *v = &kv->val;
  if (crvi_mp_blob(v, &b, &text)) {
    crvi_tout_repr(o, b.p, b.n, text, TEXT_FIELD_MAX);
  } else if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
    if (crvi_bytes_eq(k, "addr") || crvi_bytes_eq(k, "ob_type"))
      crvi_buf_printf(&o->b, "0x%" PRIx64, v->via.u64);
    else
      crvi_buf_printf(&o->b, "%" PRIu64, v->via.u64);
  } else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
    crvi_buf_printf(&o->b, "%" PRId64, v->via.i64);
  } else if (v->type == MSGPACK_OBJECT_BOOLEAN) {
    crvi_buf_puts(&o->b, v->via.boolean ? "true" : "false");
  } else if (v->type == MSGPACK_OBJECT_NIL) {
    crvi_buf_puts(&o->b, "nil");
  } else if (v->type == MSGPACK_OBJECT_FLOAT32 || v->type == MSGPACK_OBJECT_FLOAT64) {
    json_double(o, v->via.f64);
  } else if (v->type == MSGPACK_OBJECT_ARRAY) {
    crvi_buf_printf(&o->b, "[%" PRIu32 " items]", v->via.array.size);
  } else if (v->type == MSGPACK_OBJECT_MAP) {
    crvi_buf_printf(&o->b, "{%" PRIu32 " keys}", v->via.map.size);
  } else {
    crvi_buf_puts(&o->b, "?");
  }
}

void crvi_emit_text(struct crvi_tout *o, const struct crvi_rec *r)
{
  if (r->kind == CRVI_REC_OBJECT) {
    crvi_buf_printf(&o->b, "0x%012" PRIx64 " ", r->has_addr ? r->addr : 0);
    if (r->type.p)
      crvi_repr_value(&o->b, r->type.p, r->type.n, 1, 16);
    else
      crvi_buf_putc(&o->b, '?');
    crvi_buf_putc(&o->b, ' ');
    if (r->status.p)
      crvi_repr_value(&o->b, r->status.p, r->status.n, 1, 16);
    else
      crvi_buf_putc(&o->b, '?');
    if (r->has_length)
      crvi_buf_printf(&o->b, " len=%" PRIu64, r->length);
    crvi_buf_putc(&o->b, ' ');
    if (r->region.p)
      crvi_repr_value(&o->b, r->region.p, r->region.n, 1, 80);
    else
      crvi_buf_putc(&o->b, '?');
    crvi_buf_putc(&o->b, ' ');
    struct crvi_bytes v;
    if (r->value && crvi_mp_blob(r->value, &v, NULL))
      crvi_tout_repr(o, v.p, v.n, r->value_is_text, TEXT_VALUE_MAX);
    else
      crvi_buf_puts(&o->b, "(no value)");
  } else {
    if (r->rtype.n)
      crvi_repr_value(&o->b, r->rtype.p, r->rtype.n, 1, 40);
    else
      crvi_buf_puts(&o->b, "(no record type)");
    for (uint32_t i = 0; i < r->map->via.map.size; i++) {
      const msgpack_object_kv *kv = &r->map->via.map.ptr[i];
      struct crvi_bytes k;
      if (crvi_mp_str(&kv->key, &k) && crvi_bytes_eq(k, "record"))
        continue;
      crvi_buf_putc(&o->b, ' ');
      text_kv(o, kv);
    }
  }
  crvi_buf_putc(&o->b, '\n');
  crvi_tout_flush(o, 0);
}
