/* SPDX-License-Identifier: MIT */
/* Generic records on a findings stream (see record.h). */
#include "search/record.h"

#include <inttypes.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "out/textenc.h"
#include "out/writer_impl.h"

/* Characters of a string shown by the text format before "...". */
#define REC_TEXT_MAX 1024u

struct level {
  char kind;       /* 'm' map, 'a' array */
  size_t want, have;
  int maps_inside; /* text format: an array whose elements are maps */
};

struct crvi_rec {
  struct crv_writer *w;
  enum crv_format fmt;
  msgpack_sbuffer sb;   /* msgpack: the record's fields */
  msgpack_packer pk;
  size_t top;           /* top-level fields so far */
  struct level lv[CRVI_REC_MAX_DEPTH];
  int depth;            /* 0: top level */
  int first;            /* JSON/text: nothing written at this level yet */
  int open;             /* between begin and end */
  crv_err err;
};

crv_err crvi_rec_open(struct crvi_rec **out, struct crv_writer *w, enum crv_format fmt)
{
  if (!out || !w)
    return CRV_ERR_INVALID_ARG;
  struct crvi_rec *r = calloc(1, sizeof *r);
  if (!r)
    return CRV_ERR_NOMEM;
  r->w = w;
  r->fmt = fmt;
  msgpack_sbuffer_init(&r->sb);
  msgpack_packer_init(&r->pk, &r->sb, msgpack_sbuffer_write);
  *out = r;
  return CRV_OK;
}

void crvi_rec_close(struct crvi_rec *r)
{
  if (!r)
    return;
  msgpack_sbuffer_destroy(&r->sb);
  free(r);
}

static crvi_buf *B(struct crvi_rec *r)
{
  return &r->w->buf;
}

void crvi_rec_begin(struct crvi_rec *r, const char *name)
{
  r->open = 1;
  r->err = CRV_OK;
  r->depth = 0;
  r->top = 0;
  r->first = 1;
  msgpack_sbuffer_clear(&r->sb);
  crvi_buf_reset(B(r));
  if (r->fmt == CRV_FORMAT_JSONL) {
    crvi_buf_puts(B(r), "{\"record\":\"");
    crvi_buf_puts(B(r), name);
    crvi_buf_putc(B(r), '"');
    r->first = 0;
  } else if (r->fmt == CRV_FORMAT_TEXT) {
    crvi_buf_puts(B(r), name);
    r->first = 0;
  } else {
    /* the header goes out in crvi_rec_end, when the field count is known */
    msgpack_pack_str_with_body(&r->pk, "record", 6);
    msgpack_pack_str_with_body(&r->pk, name, strlen(name));
  }
}

static void mp_tool_str(struct crvi_rec *r, const char *s);
static void json_utf8(struct crvi_rec *r, const uint8_t *s, size_t n, unsigned flags);

/* A key the text format shows bare: letters, digits, '_', '.', '-'. */
static int is_word(const char *k)
{
  if (!*k)
    return 0;
  for (; *k; k++)
    if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') ||
          *k == '_' || *k == '.' || *k == '-'))
      return 0;
  return 1;
}

/* Accounts for one field or element and writes its key (and separator). */
static void key(struct crvi_rec *r, const char *k)
{
  if (!r->open) {
    r->err = CRV_ERR_INVALID_ARG;
    return;
  }
  if (r->depth == 0) {
    if (!k)
      r->err = CRV_ERR_INVALID_ARG;
    r->top++;
  } else {
    struct level *l = &r->lv[r->depth - 1];
    if ((l->kind == 'm') != (k != NULL) || l->have >= l->want)
      r->err = CRV_ERR_INVALID_ARG;
    l->have++;
  }
  switch (r->fmt) {
  case CRV_FORMAT_MSGPACK:
    if (k)
      mp_tool_str(r, k);
    break;
  case CRV_FORMAT_JSONL:
    if (!r->first)
      crvi_buf_putc(B(r), ',');
    if (k) {
      json_utf8(r, (const uint8_t *)k, strlen(k), 0); /* keys can be patterns: escaped */
      crvi_buf_putc(B(r), ':');
    }
    break;
  case CRV_FORMAT_TEXT:
    if (r->depth > 0 && r->lv[r->depth - 1].maps_inside)
      crvi_buf_puts(B(r), "\n    ");
    else if (!r->first)
      crvi_buf_putc(B(r), r->depth == 0 ? ' ' : ',');
    if (r->depth > 0 && !r->first && !r->lv[r->depth - 1].maps_inside)
      crvi_buf_putc(B(r), ' ');
    if (k && is_word(k)) {
      crvi_buf_puts(B(r), k);
      crvi_buf_putc(B(r), '=');
    } else if (k) {
      crvi_buf_putc(B(r), '"');
      crvi_repr_utf8(B(r), (const uint8_t *)k, strlen(k), REC_TEXT_MAX);
      crvi_buf_puts(B(r), "\"=");
    }
    break;
  }
  r->first = 0;
}

/* A tool string as strict UTF-8 in msgpack. */
static void mp_tool_str(struct crvi_rec *r, const char *s)
{
  const uint8_t *u = (const uint8_t *)s;
  size_t n = strlen(s);
  if (crvi_utf8_valid(u, n)) {
    msgpack_pack_str_with_body(&r->pk, s, n);
    return;
  }
  crvi_buf tmp;
  crvi_buf_init(&tmp, CRVI_WRITER_BUF_CAP);
  size_t pos = 0;
  while (pos < n && !tmp.err)
    crvi_utf8_sanitize_step(&tmp, u, n, &pos, CRVI_WRITER_BUF_CAP);
  if (tmp.err)
    r->err = tmp.err;
  else
    msgpack_pack_str_with_body(&r->pk, tmp.p ? tmp.p : "", tmp.len);
  crvi_buf_free(&tmp);
}

static void json_utf8(struct crvi_rec *r, const uint8_t *s, size_t n, unsigned flags)
{
  size_t pos = 0;
  crvi_buf_putc(B(r), '"');
  while (pos < n && !B(r)->err)
    crvi_json_utf8_step(B(r), s, n, flags, &pos, CRVI_WRITER_BUF_CAP);
  crvi_buf_putc(B(r), '"');
}

void crvi_rec_str(struct crvi_rec *r, const char *k, const char *s)
{
  key(r, k);
  if (!s) {
    if (r->fmt == CRV_FORMAT_MSGPACK)
      msgpack_pack_nil(&r->pk);
    else
      crvi_buf_puts(B(r), r->fmt == CRV_FORMAT_JSONL ? "null" : "-");
    return;
  }
  switch (r->fmt) {
  case CRV_FORMAT_MSGPACK:
    mp_tool_str(r, s);
    break;
  case CRV_FORMAT_JSONL:
    json_utf8(r, (const uint8_t *)s, strlen(s), 0);
    break;
  case CRV_FORMAT_TEXT:
    crvi_buf_putc(B(r), '"');
    if (crvi_repr_utf8(B(r), (const uint8_t *)s, strlen(s), REC_TEXT_MAX))
      crvi_buf_puts(B(r), "\"...");
    else
      crvi_buf_putc(B(r), '"');
    break;
  }
}

void crvi_rec_u64(struct crvi_rec *r, const char *k, uint64_t v)
{
  key(r, k);
  if (r->fmt == CRV_FORMAT_MSGPACK)
    msgpack_pack_uint64(&r->pk, v);
  else
    crvi_buf_printf(B(r), "%" PRIu64, v);
}

void crvi_rec_i64(struct crvi_rec *r, const char *k, int64_t v)
{
  key(r, k);
  if (r->fmt == CRV_FORMAT_MSGPACK)
    msgpack_pack_int64(&r->pk, v);
  else
    crvi_buf_printf(B(r), "%" PRId64, v);
}

void crvi_rec_addr(struct crvi_rec *r, const char *k, uint64_t v)
{
  key(r, k);
  if (r->fmt == CRV_FORMAT_MSGPACK)
    msgpack_pack_uint64(&r->pk, v);
  else if (r->fmt == CRV_FORMAT_JSONL)
    crvi_buf_printf(B(r), "%" PRIu64, v);
  else
    crvi_buf_printf(B(r), "0x%" PRIx64, v);
}

void crvi_rec_bool(struct crvi_rec *r, const char *k, int v)
{
  key(r, k);
  if (r->fmt == CRV_FORMAT_MSGPACK) {
    if (v)
      msgpack_pack_true(&r->pk);
    else
      msgpack_pack_false(&r->pk);
  } else {
    crvi_buf_puts(B(r), v ? "true" : "false");
  }
}

void crvi_rec_double(struct crvi_rec *r, const char *k, double v)
{
  key(r, k);
  if (r->fmt == CRV_FORMAT_MSGPACK) {
    msgpack_pack_double(&r->pk, v);
  } else {
    char num[64];
    crvi_w_format_double(num, sizeof num, v, r->fmt == CRV_FORMAT_TEXT ? 3 : -1);
    crvi_buf_puts(B(r), num);
  }
}

void crvi_rec_nil(struct crvi_rec *r, const char *k)
{
  crvi_rec_str(r, k, NULL);
}

void crvi_rec_utf8(struct crvi_rec *r, const char *k, const uint8_t *s, size_t n)
{
  static const uint8_t empty[1];
  if (!s)
    s = empty;
  key(r, k);
  switch (r->fmt) {
  case CRV_FORMAT_MSGPACK:
    if (n > UINT32_MAX) {
      r->err = CRV_ERR_LIMIT;
      msgpack_pack_nil(&r->pk);
      break;
    }
    msgpack_pack_str_with_body(&r->pk, s, n); /* WTF-8 where the value has surrogates */
    break;
  case CRV_FORMAT_JSONL:
    json_utf8(r, s, n, CRVI_UTF8_SURROGATES);
    break;
  case CRV_FORMAT_TEXT:
    crvi_buf_putc(B(r), '"');
    if (crvi_repr_utf8(B(r), s, n, REC_TEXT_MAX))
      crvi_buf_puts(B(r), "\"...");
    else
      crvi_buf_putc(B(r), '"');
    break;
  }
}

void crvi_rec_bytes(struct crvi_rec *r, const char *k, const uint8_t *s, size_t n)
{
  static const uint8_t empty[1];
  if (!s)
    s = empty;
  if (r->fmt == CRV_FORMAT_JSONL) {
    /* KEY_b64 always, KEY too when the bytes are UTF-8 (as the object records do) */
    char k64[64];
    snprintf(k64, sizeof k64, "%s_b64", k ? k : "value");
    int utf8 = crvi_utf8_valid(s, n);
    key(r, k ? k64 : NULL);
    size_t pos = 0;
    crvi_buf_putc(B(r), '"');
    while (pos < n && !B(r)->err)
      crvi_base64_step(B(r), s, n, &pos, CRVI_WRITER_BUF_CAP);
    crvi_buf_putc(B(r), '"');
    if (k && utf8) {
      crvi_buf_puts(B(r), ",\"");
      crvi_buf_puts(B(r), k);
      crvi_buf_puts(B(r), "\":");
      json_utf8(r, s, n, 0);
    }
    return;
  }
  key(r, k);
  if (r->fmt == CRV_FORMAT_MSGPACK) {
    if (n > UINT32_MAX) {
      r->err = CRV_ERR_LIMIT;
      msgpack_pack_nil(&r->pk);
      return;
    }
    msgpack_pack_bin_with_body(&r->pk, s, n);
    return;
  }
  crvi_buf_puts(B(r), "b\"");
  if (crvi_repr_bytes(B(r), s, n, REC_TEXT_MAX))
    crvi_buf_puts(B(r), "\"...");
  else
    crvi_buf_putc(B(r), '"');
}

static void push(struct crvi_rec *r, const char *k, size_t n, char kind)
{
  if (r->depth >= 1 && r->lv[r->depth - 1].kind == 'a' && kind == 'm')
    r->lv[r->depth - 1].maps_inside = 1; /* text: each map of the array on its own line */
  key(r, k);
  if (r->depth >= CRVI_REC_MAX_DEPTH) {
    r->err = CRV_ERR_INVALID_ARG;
    return;
  }
  struct level *l = &r->lv[r->depth++];
  l->kind = kind;
  l->want = n;
  l->have = 0;
  l->maps_inside = 0;
  r->first = 1;
  switch (r->fmt) {
  case CRV_FORMAT_MSGPACK:
    if (kind == 'm')
      msgpack_pack_map(&r->pk, n);
    else
      msgpack_pack_array(&r->pk, n);
    break;
  case CRV_FORMAT_JSONL:
  case CRV_FORMAT_TEXT:
    crvi_buf_putc(B(r), kind == 'm' ? '{' : '[');
    break;
  }
}

void crvi_rec_map(struct crvi_rec *r, const char *k, size_t n)
{
  push(r, k, n, 'm');
}

void crvi_rec_array(struct crvi_rec *r, const char *k, size_t n)
{
  push(r, k, n, 'a');
}

void crvi_rec_pop(struct crvi_rec *r)
{
  if (r->depth == 0) {
    r->err = CRV_ERR_INVALID_ARG;
    return;
  }
  struct level *l = &r->lv[--r->depth];
  if (l->have != l->want)
    r->err = CRV_ERR_INVALID_ARG; /* a msgpack header announced another count */
  r->first = 0;
  if (r->fmt != CRV_FORMAT_MSGPACK)
    crvi_buf_putc(B(r), l->kind == 'm' ? '}' : ']');
}

crv_err crvi_rec_end(struct crvi_rec *r)
{
  if (!r->open || r->depth != 0)
    r->err = CRV_ERR_INVALID_ARG;
  r->open = 0;
  struct crv_writer *w = r->w;
  if (w->failed)
    return CRV_ERR_OUTPUT;
  if (r->fmt == CRV_FORMAT_MSGPACK) {
    if (r->err) {
      w->failed = 1; /* nothing was written; keep the stream honest all the same */
      return r->err;
    }
    if (r->sb.size > CRVI_WRITER_BUF_CAP || r->top + 1 > 65535)
      return CRV_ERR_LIMIT;
    char hdr[8];
    size_t n = r->top + 1, hl;
    if (n < 16) {
      hdr[0] = (char)(0x80 | n);
      hl = 1;
    } else {
      hdr[0] = (char)0xde;
      hdr[1] = (char)(n >> 8);
      hdr[2] = (char)n;
      hl = 3;
    }
    crvi_w_write(w, hdr, hl);
    crvi_w_write(w, r->sb.data, r->sb.size);
    return w->failed ? CRV_ERR_OUTPUT : CRV_OK;
  }
  crvi_buf_puts(B(r), r->fmt == CRV_FORMAT_JSONL ? "}\n" : "\n");
  crv_err e = r->err;
  if (e) {
    crvi_buf_reset(B(r));
    return e;
  }
  e = crvi_w_drain(w);
  if (e)
    return e;
  return w->failed ? CRV_ERR_OUTPUT : CRV_OK;
}
