/* SPDX-License-Identifier: MIT */
/* Findings writers: dispatch to the format, validation, flushing and error tracking. */
#define _POSIX_C_SOURCE 200809L /* fileno, isatty */
#include "out/writer.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out/writer_impl.h"

/* ---- shared helpers ------------------------------------------------------------------ */

void crvi_w_write(struct crv_writer *w, const void *p, size_t n)
{
  if (w->failed || n == 0)
    return;
  if (fwrite(p, 1, n, w->fp) != n)
    w->failed = 1;
}

/* Empties the buffer, keeping its allocation; the current record (if any) has now been
 * partly written out. */
static void drop_all(struct crv_writer *w)
{
  crvi_buf_reset(&w->buf);
  w->rec_start = SIZE_MAX;
}

crv_err crvi_w_drain(struct crv_writer *w)
{
  crv_err e = w->buf.err;
  if (e) {
    /* The record being built is incomplete: write out the complete ones before it. */
    if (w->rec_start != SIZE_MAX && w->rec_start <= w->buf.len)
      crvi_w_write(w, w->buf.p, w->rec_start);
    w->failed = 1;
    drop_all(w);
    return e;
  }
  crvi_w_write(w, w->buf.p, w->buf.len);
  drop_all(w);
  return CRV_OK;
}

void crvi_w_flush(struct crv_writer *w)
{
  if (w->buf.len || w->buf.err)
    crvi_w_drain(w);
  if (fflush(w->fp) != 0 || ferror(w->fp))
    w->failed = 1;
}

/* Before a record: writes the buffer out once it holds a block, and marks where the
 * record starts. */
static void record_begin(struct crv_writer *w)
{
  if (w->buf.len >= CRVI_WRITER_OUT)
    crvi_w_drain(w);
  w->rec_start = w->buf.len;
}

/* After a record: on an error of the format's or of the buffer's, take the incomplete
 * record back out of the buffer when none of it was written yet, so the stream stays
 * decodable; when part of it was, the stream is broken and the writer fails. A buffer
 * error (a record over the cap, no memory) always fails the writer. */
static crv_err record_end(struct crv_writer *w, crv_err e)
{
  crv_err be = w->buf.err;
  if (!e && !be)
    return CRV_OK;
  if (be)
    w->failed = 1;
  if (w->rec_start != SIZE_MAX && w->rec_start <= w->buf.len) {
    w->buf.len = w->rec_start;
    w->buf.err = CRV_OK;
    if (w->buf.p)
      w->buf.p[w->buf.len] = '\0';
  } else {
    w->failed = 1;
    drop_all(w);
  }
  return e ? e : be;
}

/* Decimal digits, written backwards into a 20-byte tail and moved into place. */
char *crvi_w_u64_dec(char *o, uint64_t v)
{
  char t[20];
  size_t k = sizeof t;
  do {
    t[--k] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  memcpy(o, t + k, sizeof t - k);
  return o + (sizeof t - k);
}

char *crvi_w_i64_dec(char *o, int64_t v)
{
  if (v >= 0)
    return crvi_w_u64_dec(o, (uint64_t)v);
  *o++ = '-';
  return crvi_w_u64_dec(o, 0 - (uint64_t)v);
}

int crvi_w_plain(const char *s, size_t n)
{
  return crvi_json_plain_prefix((const uint8_t *)s, n) == n;
}

crv_err crvi_w_value(const crv_object *o, crvi_value *v)
{
  static const uint8_t empty[1];
  if (o->type < 0 || o->type >= CRV_OBJ_TYPE_COUNT || o->hash_check < 0 ||
      o->hash_check >= CRV_HASH_CHECK_COUNT || o->status < 0 || o->status >= CRV_STATUS_COUNT)
    return CRV_ERR_INVALID_ARG;
  if (!o->data && o->data_len)
    return CRV_ERR_INVALID_ARG;
  v->data = o->data ? o->data : empty;
  v->text = crv_obj_type_is_text(o->type);
  v->flags = 0;
  if (!v->text) {
    v->kind = 1;
    v->nunits = o->data_len;
    return CRV_OK;
  }
  if (o->kind != 1 && o->kind != 2 && o->kind != 4)
    return CRV_ERR_INVALID_ARG;
  v->kind = o->kind;
  v->nunits = o->data_len / o->kind; /* a trailing partial unit is ignored */
  if (o->kind == 2 && (o->type == CRV_OBJ_UNICODE27 || (o->type == CRV_OBJ_STR && o->ascii < 0)))
    v->flags = CRVI_TEXT_UTF16;
  return CRV_OK;
}

size_t crvi_w_by_type(const crv_summary *s, const char *names[CRV_OBJ_TYPE_COUNT],
                      uint64_t counts[CRV_OBJ_TYPE_COUNT])
{
  size_t n = 0;
  for (int t = 0; t < CRV_OBJ_TYPE_COUNT; t++) {
    const char *name = crv_obj_type_name(t);
    size_t k = 0;
    while (k < n && strcmp(names[k], name) != 0)
      k++;
    if (k == n) {
      names[n] = name;
      counts[n] = 0;
      n++;
    }
    counts[k] += s->by_type[t];
  }
  return n;
}

/* Replaces the locale's decimal point (which may be several bytes) by '.'. */
static void fix_decimal_point(char *s)
{
  const struct lconv *lc = localeconv();
  const char *dp = lc && lc->decimal_point && *lc->decimal_point ? lc->decimal_point : ".";
  size_t dl = strlen(dp);
  if (dl == 1 && dp[0] == '.')
    return;
  char *p = strstr(s, dp);
  if (p) {
    *p = '.';
    memmove(p + 1, p + dl, strlen(p + dl) + 1);
  }
}

void crvi_w_format_double(char *out, size_t n, double d, int decimals)
{
  if (!isfinite(d)) {
    snprintf(out, n, "null");
    return;
  }
  if (decimals >= 0 && d < 1e15 && d > -1e15) {
    snprintf(out, n, "%.*f", decimals, d);
    fix_decimal_point(out);
    return;
  }
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(out, n, "%.*g", prec, d);
    if (strtod(out, NULL) == d)
      break;
  }
  fix_decimal_point(out);
  if (!strpbrk(out, ".eE")) {
    size_t l = strlen(out);
    if (l + 2 < n)
      memcpy(out + l, ".0", 3);
  }
}

/* ---- public API ---------------------------------------------------------------------- */

crv_err crvi_writer_open(struct crv_writer **out, enum crv_format fmt, FILE *fp)
{
  if (!out)
    return CRV_ERR_INVALID_ARG;
  *out = NULL;
  if (!fp)
    return CRV_ERR_INVALID_ARG;
  struct crv_writer *w = calloc(1, sizeof *w);
  if (!w)
    return CRV_ERR_NOMEM;
  w->fp = fp;
  crvi_buf_init(&w->buf, CRVI_WRITER_BUF_CAP);
  w->rec_start = SIZE_MAX;
  int fd = fileno(fp);
  w->interactive = fd >= 0 && isatty(fd); /* a person watching: every record at once */
  /* The whole buffer at once (pages are touched only as output fills them). */
  crv_err e = crvi_buf_room(&w->buf, CRVI_WRITER_BUF_CAP) ? CRV_OK : w->buf.err;
  if (e) {
    crvi_buf_free(&w->buf);
    free(w);
    return e;
  }
  switch (fmt) {
  case CRV_FORMAT_TEXT:
    e = crvi_writer_text_init(w);
    break;
  case CRV_FORMAT_JSONL:
    e = crvi_writer_jsonl_init(w);
    break;
  case CRV_FORMAT_MSGPACK:
    e = crvi_writer_msgpack_init(w);
    break;
  default:
    e = CRV_ERR_INVALID_ARG;
    break;
  }
  if (e) {
    crvi_buf_free(&w->buf);
    free(w);
    return e;
  }
  *out = w;
  return CRV_OK;
}

/* The result of a record: the format's own error first, then any write failure. */
static crv_err result(struct crv_writer *w, crv_err e)
{
  if (e)
    return e;
  return w->failed ? CRV_ERR_OUTPUT : CRV_OK;
}

crv_err crvi_writer_meta(struct crv_writer *w, const crv_meta *m)
{
  if (!w || !m || (m->n_sources && !m->sources))
    return CRV_ERR_INVALID_ARG;
  if (w->failed)
    return CRV_ERR_OUTPUT;
  record_begin(w);
  crv_err e = record_end(w, w->ops->meta(w, m));
  crvi_w_flush(w);
  return result(w, e);
}

crv_err crvi_writer_object(struct crv_writer *w, const crv_object *o)
{
  crvi_value v;
  if (!w || !o || crvi_w_value(o, &v) != CRV_OK)
    return CRV_ERR_INVALID_ARG;
  if (w->failed)
    return CRV_ERR_OUTPUT;
  record_begin(w);
  crv_err e = record_end(w, w->ops->object(w, o));
  w->objects++;
  if (w->objects % CRV_WRITER_FLUSH_EVERY == 0)
    crvi_w_flush(w);
  else if (w->interactive)
    crvi_w_drain(w); /* stdio's line buffering then shows it */
  return result(w, e);
}

crv_err crvi_writer_summary(struct crv_writer *w, const crv_summary *s)
{
  if (!w || !s)
    return CRV_ERR_INVALID_ARG;
  if (w->failed)
    return CRV_ERR_OUTPUT;
  record_begin(w);
  crv_err e = record_end(w, w->ops->summary(w, s));
  crvi_w_flush(w);
  return result(w, e);
}

crv_err crvi_writer_credential(struct crv_writer *w, const crv_credential *c)
{
  if (!w || !c || !c->secret || c->scheme < 0 || c->scheme >= CRV_CRED_SCHEME_COUNT ||
      c->confidence < 0 || c->confidence >= CRV_CONF_COUNT || c->found_as < 0 ||
      c->found_as >= CRV_FOUND_COUNT || c->status < 0 || c->status >= CRV_STATUS_COUNT ||
      (c->n_addrs && !c->addrs) || !w->ops->credential)
    return CRV_ERR_INVALID_ARG;
  if (w->failed)
    return CRV_ERR_OUTPUT;
  crvi_w_drain(w); /* the buffer holds only this record (a format may reset it) */
  record_begin(w);
  crv_err e = record_end(w, w->ops->credential(w, c));
  w->credentials++;
  crvi_w_flush(w); /* few and valuable */
  return result(w, e);
}

void crvi_writer_enable_credentials(struct crv_writer *w)
{
  if (w)
    w->with_credentials = 1;
}

crv_err crvi_writer_close(struct crv_writer *w)
{
  if (!w)
    return CRV_OK;
  crvi_w_flush(w);
  int failed = w->failed;
  if (w->ops->fini)
    w->ops->fini(w);
  crvi_buf_free(&w->buf);
  free(w);
  return failed ? CRV_ERR_OUTPUT : CRV_OK;
}
