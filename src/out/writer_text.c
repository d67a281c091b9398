/* SPDX-License-Identifier: MIT */
/* Text writer, for people: a two-line "# " header, one line per object and a "# summary"
 * line. Every string from the input (values, paths, names) is escaped so that nothing
 * carved from memory can drive the terminal: control characters, DEL, C1 controls, line
 * and paragraph separators, bidi controls and other invisible code points appear as
 * \n \r \t \xNN \uNNNN \UNNNNNNNN. */
#include <inttypes.h>
#include <string.h>

#include "out/writer_impl.h"

/* A tool string, unquoted and escaped; "?" for NULL. */
static void tx_str(struct crv_writer *w, const char *s)
{
  if (!s) {
    crvi_buf_putc(&w->buf, '?');
    return;
  }
  if (crvi_repr_utf8(&w->buf, (const uint8_t *)s, strlen(s), CRVI_TEXT_META_MAX))
    crvi_buf_puts(&w->buf, "...");
}

static crv_err tx_meta(struct crv_writer *w, const crv_meta *m)
{
  crvi_buf *b = &w->buf;
  crvi_buf_puts(b, "# carver ");
  tx_str(w, m->tool_version);
  crvi_buf_puts(b, ": python ");
  tx_str(w, m->python);
  crvi_buf_puts(b, " (");
  if (m->python_full) {
    tx_str(w, m->python_full);
    crvi_buf_puts(b, ", ");
  }
  tx_str(w, m->version_source);
  crvi_buf_puts(b, "), layout ");
  tx_str(w, m->layout);
  crvi_buf_putc(b, '\n');
  crvi_buf_puts(b, "# ");
  if (m->pid >= 0)
    crvi_buf_printf(b, "pid %" PRId64 ", ", m->pid);
  crvi_buf_puts(b, "hash key ");
  tx_str(w, m->hash_key_source ? m->hash_key_source : "unknown");
  crvi_buf_printf(b, ", str type 0x%" PRIx64 ", bytes type 0x%" PRIx64, m->str_type, m->bytes_type);
  size_t nsrc = m->n_sources < CRV_MAX_SOURCES_LISTED ? m->n_sources : CRV_MAX_SOURCES_LISTED;
  crvi_buf_printf(b, ", %zu source%s", m->n_sources, m->n_sources == 1 ? "" : "s");
  for (size_t i = 0; i < nsrc; i++) {
    crvi_buf_puts(b, i ? ", " : ": ");
    tx_str(w, m->sources[i]);
  }
  if (nsrc < m->n_sources)
    crvi_buf_puts(b, ", ...");
  crvi_buf_putc(b, '\n');
  return b->err;
}

/* v in lowercase hex, at least min digits (zero-padded), at o; returns the end. */
static char *tx_hex(char *o, uint64_t v, int min)
{
  static const char digits[] = "0123456789abcdef";
  char t[16];
  int k = 16;
  do {
    t[--k] = digits[v & 15];
    v >>= 4;
  } while (v || 16 - k < min);
  memcpy(o, t + k, (size_t)(16 - k));
  return o + (16 - k);
}

static crv_err tx_object(struct crv_writer *w, const crv_object *o)
{
  crvi_buf *b = &w->buf;
  crvi_value v;
  crv_err e = crvi_w_value(o, &v);
  if (e)
    return e;
  /* as "0x%012llx %s %s len=%llu[ kind=%u] hash=%s " */
  char *p0, *p;
  if (!(p = p0 = crvi_buf_room(b, 24)))
    return b->err;
  *p++ = '0';
  *p++ = 'x';
  p = tx_hex(p, o->addr, 12);
  *p++ = ' ';
  crvi_buf_commit(b, (size_t)(p - p0));
  crvi_buf_puts(b, crv_obj_type_name(o->type));
  crvi_buf_putc(b, ' ');
  crvi_buf_puts(b, crv_status_name(o->status));
  if (!(p = p0 = crvi_buf_room(b, 64)))
    return b->err;
  memcpy(p, " len=", 5);
  p = crvi_w_u64_dec(p + 5, o->length);
  if (o->type == CRV_OBJ_STR) {
    memcpy(p, " kind=", 6);
    p = crvi_w_u64_dec(p + 6, o->kind);
  }
  memcpy(p, " hash=", 6);
  crvi_buf_commit(b, (size_t)(p + 6 - p0));
  crvi_buf_puts(b, crv_hash_check_name(o->hash_check));
  crvi_buf_putc(b, ' ');
  if (o->proof)
    crvi_buf_printf(b, "clobbered(%s) ", o->proof);
  if (o->has_offset) { /* a page blob and the offset in its page */
    crvi_buf_puts(b, "in ");
    tx_str(w, o->region);
    crvi_buf_printf(b, "+0x%" PRIx64 " ", o->offset);
  }
  int truncated;
  if (v.text) {
    crvi_buf_putc(b, '"');
    truncated = crvi_repr_units(b, v.data, v.nunits, v.kind, v.flags, CRVI_TEXT_REPR_MAX);
  } else {
    crvi_buf_puts(b, "b\"");
    truncated = crvi_repr_bytes(b, v.data, v.nunits, CRVI_TEXT_REPR_MAX);
  }
  crvi_buf_putc(b, '"');
  if (truncated)
    crvi_buf_puts(b, "...");
  crvi_buf_putc(b, '\n');
  return b->err;
}

static crv_err tx_summary(struct crv_writer *w, const crv_summary *s)
{
  crvi_buf *b = &w->buf;
  const char *names[CRV_OBJ_TYPE_COUNT];
  uint64_t counts[CRV_OBJ_TYPE_COUNT];
  size_t nt = crvi_w_by_type(s, names, counts);
  char num[64];
  crvi_buf_printf(b, "# summary: %" PRIu64 " object%s (", s->objects, s->objects == 1 ? "" : "s");
  for (size_t i = 0; i < nt; i++)
    crvi_buf_printf(b, "%s%s %" PRIu64, i ? ", " : "", names[i], counts[i]);
  crvi_buf_puts(b, "); status ");
  for (int i = 0; i < CRV_STATUS_COUNT; i++)
    crvi_buf_printf(b, "%s%s %" PRIu64, i ? ", " : "", crv_status_name(i), s->by_status[i]);
  crvi_buf_puts(b, "; hash ");
  for (int i = 0; i < CRV_HASH_CHECK_COUNT; i++)
    crvi_buf_printf(b, "%s%s %" PRIu64, i ? ", " : "", crv_hash_check_name(i), s->by_hash_check[i]);
  crvi_buf_printf(b,
                  "; %" PRIu64 " candidates, %" PRIu64 " rejected, %" PRIu64 " over cap, %" PRIu64
                  " bytes scanned in %" PRIu64 " regions, %" PRIu64 " holes, ",
                  s->candidates, s->rejected, s->over_cap, s->bytes_scanned, s->regions, s->holes);
  crvi_w_format_double(num, sizeof num, s->elapsed_seconds, 3);
  crvi_buf_printf(b, "%s s%s", num, s->interrupted ? ", interrupted" : "");
  if (w->with_credentials)
    crvi_buf_printf(b, "; %" PRIu64 " credential%s", w->credentials,
                    w->credentials == 1 ? "" : "s");
  crvi_buf_putc(b, '\n');
  return b->err;
}

/* Display columns taken by b->p[from..]: code points (the repr escapes everything else). */
static size_t tx_cols(const crvi_buf *b, size_t from)
{
  size_t n = 0;
  for (size_t i = from; i < b->len; i++)
    n += ((uint8_t)b->p[i] & 0xc0) != 0x80;
  return n;
}

/* Pads the column that started at from to width (at least one space). */
static void tx_pad(crvi_buf *b, size_t from, size_t width)
{
  size_t n = tx_cols(b, from);
  do
    crvi_buf_putc(b, ' ');
  while (++n < width);
}

/* A quoted, escaped string from memory, cut after max code points. */
static void tx_quoted(crvi_buf *b, const char *s, size_t max)
{
  const uint8_t *u = (const uint8_t *)s;
  size_t n = strlen(s), i = 0, count = 0;
  crvi_buf_putc(b, '"');
  while (i < n && count < max) {
    size_t start = i;
    uint32_t cp = crvi_utf8_next(u, n, 0, &i);
    if (cp == CRVI_UTF8_BAD)
      crvi_buf_printf(b, "\\x%02x", u[start]);
    else
      crvi_repr_cp(b, cp, '"');
    count++;
  }
  crvi_buf_putc(b, '"');
  if (i < n)
    crvi_buf_puts(b, "...");
}

/* One row of the credentials table; the header row comes before the first. */
static crv_err tx_credential(struct crv_writer *w, const crv_credential *c)
{
  crvi_buf *b = &w->buf;
  size_t col;
  static const char *const heads[] = {"# scheme", "user", "password/token", "status",
                                      "confidence", "addr"};
  static const size_t widths[] = {11, 19, 25, 14, 12, 16};
  crvi_buf_reset(b);
  if (w->credentials == 0) {
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
      col = b->len;
      crvi_buf_puts(b, heads[i]);
      tx_pad(b, col, widths[i]);
    }
    crvi_buf_puts(b, "where\n");
  }
  col = b->len;
  crvi_buf_puts(b, crv_cred_scheme_name(c->scheme));
  tx_pad(b, col, 11);
  col = b->len;
  if (c->user)
    tx_quoted(b, c->user, CRVI_TEXT_REPR_MAX);
  else
    crvi_buf_putc(b, '-');
  tx_pad(b, col, 19);
  col = b->len;
  tx_quoted(b, c->secret, CRVI_TEXT_REPR_MAX);
  tx_pad(b, col, 25);
  col = b->len;
  if (c->live && c->freed)
    crvi_buf_printf(b, "live %" PRIu64 "+freed %" PRIu64, c->live, c->freed);
  else
    crvi_buf_printf(b, "%s %" PRIu64, crv_status_name(c->status), c->count);
  tx_pad(b, col, 14);
  col = b->len;
  crvi_buf_puts(b, crv_cred_confidence_name(c->confidence));
  tx_pad(b, col, 12);
  col = b->len;
  crvi_buf_printf(b, "0x%012llx", (unsigned long long)c->addr);
  tx_pad(b, col, 16);
  if (c->request || c->response) {
    tx_str(w, c->request ? c->request : c->response);
    if (c->host) {
      crvi_buf_puts(b, " (Host: ");
      tx_str(w, c->host);
      crvi_buf_putc(b, ')');
    }
  } else if (c->host) {
    crvi_buf_puts(b, "Host: ");
    tx_str(w, c->host);
  } else if (c->url) {
    tx_str(w, c->url);
  } else {
    crvi_buf_printf(b, "(%s)", crv_cred_found_name(c->found_as));
  }
  crvi_buf_putc(b, '\n');
  return crvi_w_drain(w);
}

static const struct crvi_writer_ops text_ops = {
    .meta = tx_meta,
    .object = tx_object,
    .summary = tx_summary,
    .credential = tx_credential,
    .fini = NULL,
};

crv_err crvi_writer_text_init(struct crv_writer *w)
{
  w->ops = &text_ops;
  return CRV_OK;
}
