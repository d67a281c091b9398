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
  crvi_buf_reset(b);
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
  return crvi_w_drain(w);
}

static crv_err tx_object(struct crv_writer *w, const crv_object *o)
{
  crvi_buf *b = &w->buf;
  crvi_value v;
  crv_err e = crvi_w_value(o, &v);
  if (e)
    return e;
  crvi_buf_reset(b);
  crvi_buf_printf(b, "0x%012llx %s %s len=%" PRIu64, (unsigned long long)o->addr,
                  crv_obj_type_name(o->type), crv_status_name(o->status), o->length);
  if (o->type == CRV_OBJ_STR)
    crvi_buf_printf(b, " kind=%u", o->kind);
  crvi_buf_printf(b, " hash=%s ", crv_hash_check_name(o->hash_check));
  if (o->proof)
    crvi_buf_printf(b, "clobbered(%s) ", o->proof);
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
  return crvi_w_drain(w);
}

static crv_err tx_summary(struct crv_writer *w, const crv_summary *s)
{
  crvi_buf *b = &w->buf;
  const char *names[CRV_OBJ_TYPE_COUNT];
  uint64_t counts[CRV_OBJ_TYPE_COUNT];
  size_t nt = crvi_w_by_type(s, names, counts);
  char num[64];
  crvi_buf_reset(b);
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
  crvi_buf_printf(b, "%s s%s\n", num, s->interrupted ? ", interrupted" : "");
  return crvi_w_drain(w);
}

static const struct crvi_writer_ops text_ops = {
    .meta = tx_meta,
    .object = tx_object,
    .summary = tx_summary,
    .fini = NULL,
};

crv_err crvi_writer_text_init(struct crv_writer *w)
{
  w->ops = &text_ops;
  return CRV_OK;
}
