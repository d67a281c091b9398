/* SPDX-License-Identifier: MIT */
/* The triage summary as text for a person and as one JSON document (see summary.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "out/writer_impl.h" /* crvi_w_format_double */
#include "triage/out.h"
#include "triage/summary.h"

#define REPR_MAX 100u   /* code points of a value shown per row */
#define NAME_MAX_CPS 60u

static const char *const st_names[CRVI_ST_COUNT] = {"live", "freed", "other"};

/* ---- text ------------------------------------------------------------------------------- */

static void t_field(struct crvi_tout *o, const struct crvi_field *f, const char *absent)
{
  if (f->p)
    crvi_repr_value(&o->b, (const uint8_t *)f->p, f->n, 1, NAME_MAX_CPS * 4);
  else
    crvi_buf_puts(&o->b, absent);
}

/* A table name padded to width (repr'd, cut at NAME_MAX_CPS). */
static void t_name(struct crvi_tout *o, const uint8_t *p, size_t n, size_t width)
{
  size_t before = o->b.len, cps = 0;
  for (size_t i = 0; i < n; i++)
    cps += (p[i] & 0xC0) != 0x80;
  if (cps <= width || width <= 4)
    crvi_repr_value(&o->b, p, n, 1, width);
  else if (crvi_repr_value(&o->b, p, n, 1, width - 3))
    crvi_buf_puts(&o->b, "...");
  /* Pad by code points (UTF-8 continuation bytes do not take a column). */
  size_t cols = 0;
  for (size_t i = before; i < o->b.len; i++)
    cols += ((unsigned char)o->b.p[i] & 0xC0) != 0x80;
  while (cols++ < width)
    crvi_buf_putc(&o->b, ' ');
}

static void t_end_input_status(struct crvi_tout *o, const struct crvi_input *in)
{
  const struct crvi_trd_status *st = &in->st;
  switch (st->end) {
  case CRVI_TRD_COMPLETE:
    crvi_buf_puts(&o->b, "complete");
    break;
  case CRVI_TRD_TRUNCATED:
    crvi_buf_printf(&o->b, "CUT SHORT at byte %" PRIu64 " (inside a record of at least %" PRIu64
                    " bytes); the records before it are used",
                    st->good_bytes, st->need);
    break;
  case CRVI_TRD_MALFORMED:
    crvi_buf_printf(&o->b, "MALFORMED at byte %" PRIu64 "; the records before it are used",
                    st->good_bytes);
    break;
  case CRVI_TRD_TOO_BIG:
    crvi_buf_printf(&o->b, "STOPPED at byte %" PRIu64 ": the record there %s", st->good_bytes,
                    crvi_mpw_name(st->walk));
    break;
  default:
    crvi_buf_printf(&o->b, "%s at byte %" PRIu64, crvi_trd_end_name(st->end), st->good_bytes);
    break;
  }
}

static void t_inputs(struct crvi_tout *o, const struct crvi_tally *t)
{
  for (size_t i = 0; i < t->n_inputs; i++) {
    const struct crvi_input *in = &t->inputs[i];
    crvi_buf_puts(&o->b, "  ");
    crvi_repr_value(&o->b, (const uint8_t *)in->name, strlen(in->name), 1, 200);
    crvi_buf_printf(&o->b, ": %" PRIu64 " record%s, ", in->records, in->records == 1 ? "" : "s");
    t_end_input_status(o, in);
    crvi_buf_putc(&o->b, '\n');
    for (size_t k = 0; k < in->n_meta_info; k++) {
      const struct crvi_meta_info *m = &in->meta[k];
      crvi_buf_puts(&o->b, "    scanned: ");
      t_field(o, &m->sources, "?");
      if (m->has_pid)
        crvi_buf_printf(&o->b, " (pid %" PRIu64 ")", m->pid);
      crvi_buf_puts(&o->b, ", carver ");
      t_field(o, &m->tool_version, "?");
      crvi_buf_puts(&o->b, "\n    python: ");
      t_field(o, m->python_full.p ? &m->python_full : &m->python, "?");
      crvi_buf_puts(&o->b, " (detected from ");
      t_field(o, &m->version_source, "?");
      crvi_buf_puts(&o->b, "), layout ");
      t_field(o, &m->layout, "?");
      crvi_buf_puts(&o->b, "\n    hash key: ");
      if (m->hash_key.p) {
        t_field(o, &m->hash_key, "");
        crvi_buf_puts(&o->b, " (from ");
        t_field(o, &m->hash_key_source, "?");
        crvi_buf_puts(&o->b, ")");
      } else {
        crvi_buf_puts(&o->b, "unknown (hashes unverified)");
      }
      crvi_buf_putc(&o->b, '\n');
    }
    if (in->metas > in->n_meta_info)
      crvi_buf_printf(&o->b, "    (%" PRIu64 " meta records in all)\n", in->metas);
    if (in->metas == 0)
      crvi_buf_puts(&o->b, "    no meta record: not the start of a carver stream\n");
    const struct crvi_scan_sum *s = &in->sum;
    if (s->present) {
      const char *sep = " ";
      crvi_buf_puts(&o->b, "    scan:");
      if (s->has_objects) {
        crvi_buf_printf(&o->b, "%s%" PRIu64 " objects", sep, s->objects);
        sep = ", ";
      }
      if (s->has_bytes) {
        crvi_buf_printf(&o->b, "%s%" PRIu64 " bytes", sep, s->bytes_scanned);
        if (s->has_regions)
          crvi_buf_printf(&o->b, " in %" PRIu64 " regions", s->regions);
        sep = ", ";
      }
      if (s->has_holes) {
        crvi_buf_printf(&o->b, "%s%" PRIu64 " holes", sep, s->holes);
        sep = ", ";
      }
      if (s->has_elapsed) {
        char num[64];
        crvi_w_format_double(num, sizeof num, s->elapsed, 2);
        crvi_buf_printf(&o->b, "%s%s s", sep, num);
        sep = ", ";
      }
      if (s->interrupted)
        crvi_buf_printf(&o->b, "%sINTERRUPTED (partial)", sep);
      crvi_buf_putc(&o->b, '\n');
      if (s->has_objects && in->object_records && s->objects != in->object_records)
        crvi_buf_printf(&o->b, "    NOTE: the scan summary says %" PRIu64
                        " objects, the stream holds %" PRIu64 "\n",
                        s->objects, in->object_records);
    } else {
      crvi_buf_puts(&o->b, "    no summary record (the scan did not finish writing)\n");
    }
    crvi_tout_flush(o, 0);
  }
}

static void t_approx(struct crvi_tout *o, const struct crvi_topn *tab)
{
  if (tab->evictions)
    crvi_buf_printf(&o->b, "  (more than %zu distinct: counts marked ~ are upper bounds)\n",
                    tab->cap);
}

static void t_count(struct crvi_tout *o, const struct crvi_topn_ent *e, int width)
{
  char num[32];
  snprintf(num, sizeof num, "%s%" PRIu64, e->err ? "~" : "", e->count);
  crvi_buf_printf(&o->b, "%*s", width, num);
}

/* A table of names with live/freed/other/total columns (types, regions). */
static void t_status_table(struct crvi_tout *o, const struct crvi_tally *t,
                           const struct crvi_topn *tab, const char *title, size_t rows)
{
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(tab, &n);
  size_t width = 12;
  for (size_t i = 0; i < n && i < rows; i++)
    if (a[i]->textlen + 2 > width)
      width = a[i]->textlen + 2 > NAME_MAX_CPS ? NAME_MAX_CPS : a[i]->textlen + 2;
  crvi_buf_puts(&o->b, "  ");
  t_name(o, (const uint8_t *)title, strlen(title), width);
  crvi_buf_printf(&o->b, "%9s %9s %9s %9s\n", "live", "freed", "other", "total");
  for (size_t i = 0; i < n && i < rows; i++) {
    crvi_buf_puts(&o->b, "  ");
    t_name(o, a[i]->text, a[i]->textlen, width);
    for (size_t s = 0; s < CRVI_ST_COUNT; s++)
      crvi_buf_printf(&o->b, "%9" PRIu64 " ", a[i]->sub[s]);
    t_count(o, a[i], 9);
    crvi_buf_putc(&o->b, '\n');
    crvi_tout_flush(o, 0);
  }
  if (n > rows)
    crvi_buf_printf(&o->b, "  ... and %zu more\n", n - rows);
  t_approx(o, tab);
  (void)t;
  free(a);
}

static void t_strings(struct crvi_tout *o, const struct crvi_tally *t,
                      const struct crvi_topn *tab, const char *title, const char *what)
{
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(tab, &n);
  crvi_buf_printf(&o->b, "\n%s: %zu distinct, %" PRIu64 " occurrence%s\n", title, n, tab->total,
                  tab->total == 1 ? "" : "s");
  if (n) {
    crvi_buf_printf(&o->b, "  %9s %7s %7s  %-16s %s\n", "count", "live", "freed", "first at",
                    what);
    for (size_t i = 0; i < n && i < t->top; i++) {
      const struct crvi_topn_ent *e = a[i];
      crvi_buf_puts(&o->b, "  ");
      t_count(o, e, 9);
      crvi_buf_printf(&o->b, " %7" PRIu64 " %7" PRIu64 "  ", e->sub[CRVI_ST_LIVE],
                      e->sub[CRVI_ST_FREED]);
      if (e->has_addr)
        crvi_buf_printf(&o->b, "0x%-14" PRIx64 " ", e->addr);
      else
        crvi_buf_printf(&o->b, "%-16s ", "?");
      crvi_tout_repr(o, e->text, e->textlen, e->is_text, REPR_MAX);
      if (e->keylen > e->textlen)
        crvi_buf_printf(&o->b, " (%" PRIu64 " bytes)", e->keylen);
      crvi_buf_putc(&o->b, '\n');
      crvi_tout_flush(o, 0);
    }
    if (n > t->top)
      crvi_buf_printf(&o->b, "  ... and %zu more (--top N)\n", n - t->top);
    t_approx(o, tab);
  }
  free(a);
}

static void t_creds(struct crvi_tout *o, const struct crvi_tally *t)
{
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(&t->creds, &n);
  if (!t->credentials) {
    crvi_buf_puts(&o->b, "\nCredentials: no credential records in the input\n");
    free(a);
    return;
  }
  crvi_buf_printf(&o->b, "\nCredentials: %zu distinct, %" PRIu64 " record%s, found in %" PRIu64
                  " object%s\n",
                  n, t->credentials, t->credentials == 1 ? "" : "s", t->creds.total,
                  t->creds.total == 1 ? "" : "s");
  for (size_t i = 0; i < n && i < t->top; i++) {
    const struct crvi_topn_ent *e = a[i];
    struct crvi_cred_view v;
    crvi_cred_split(e, &v);
    crvi_buf_puts(&o->b, "  ");
    crvi_repr_value(&o->b, v.scheme.p, v.scheme.n, 1, 20);
    if (v.user.n) {
      crvi_buf_puts(&o->b, " user=");
      crvi_tout_repr(o, v.user.p, v.user.n, 1, REPR_MAX);
    }
    crvi_buf_printf(&o->b, " %s=", v.secret_key);
    crvi_tout_repr(o, v.secret.p, v.secret.n, 1, REPR_MAX);
    crvi_buf_printf(&o->b, "\n      confidence %s, ", crvi_conf_name(e->aux & 0xff));
    t_count(o, e, 0);
    crvi_buf_printf(&o->b, " object%s (live %" PRIu64 ", freed %" PRIu64 ")",
                    e->count == 1 ? "" : "s", e->sub[CRVI_ST_LIVE], e->sub[CRVI_ST_FREED]);
    if (e->has_addr)
      crvi_buf_printf(&o->b, ", at 0x%" PRIx64, e->addr);
    if (e->extra) {
      crvi_buf_puts(&o->b, "\n      in ");
      crvi_tout_repr(o, e->extra, e->extralen, 1, REPR_MAX);
    }
    crvi_buf_putc(&o->b, '\n');
    crvi_tout_flush(o, 0);
  }
  if (n > t->top)
    crvi_buf_printf(&o->b, "  ... and %zu more (--top N)\n", n - t->top);
  t_approx(o, &t->creds);
  free(a);
}

static void t_longest(struct crvi_tout *o, const struct crvi_tally *t)
{
  const struct crvi_long_ent **a = crvi_tally_longest(t);
  if (!a)
    return;
  crvi_buf_puts(&o->b, "\nLongest values:\n");
  crvi_buf_printf(&o->b, "  %9s %6s %-6s %-6s %-16s %s\n", "length", "count", "status", "type",
                  "address", "value");
  for (size_t i = 0; i < t->n_longest; i++) {
    const struct crvi_long_ent *e = a[i];
    crvi_buf_printf(&o->b, "  %9" PRIu64 " %6" PRIu64 " %-6s ", e->length, e->count,
                    st_names[e->status]);
    t_name(o, (const uint8_t *)e->type, strlen(e->type), 6);
    if (e->has_addr)
      crvi_buf_printf(&o->b, " 0x%-14" PRIx64 " ", e->addr);
    else
      crvi_buf_printf(&o->b, " %-16s ", "?");
    crvi_tout_repr(o, e->text, e->textlen, e->is_text, REPR_MAX);
    crvi_buf_putc(&o->b, '\n');
    crvi_tout_flush(o, 0);
  }
  free(a);
}

static void t_repeated(struct crvi_tout *o, const struct crvi_tally *t)
{
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(&t->repeated, &n);
  /* Only values certainly seen twice: past the cap a count is an upper bound. */
  size_t rep = 0;
  for (size_t i = 0; i < n; i++)
    rep += a[i]->count - a[i]->err >= 2;
  crvi_buf_printf(&o->b, "\nMost repeated values (%zu value%s seen more than once):\n", rep,
                  rep == 1 ? "" : "s");
  if (rep) {
    crvi_buf_printf(&o->b, "  %9s %7s %7s  %s\n", "count", "live", "freed", "value");
    for (size_t i = 0, shown = 0; i < n && shown < t->top; i++) {
      const struct crvi_topn_ent *e = a[i];
      if (e->count - e->err < 2)
        continue;
      shown++;
      crvi_buf_puts(&o->b, "  ");
      t_count(o, e, 9);
      crvi_buf_printf(&o->b, " %7" PRIu64 " %7" PRIu64 "  ", e->sub[CRVI_ST_LIVE],
                      e->sub[CRVI_ST_FREED]);
      crvi_tout_repr(o, e->text, e->textlen, e->is_text, REPR_MAX);
      if (e->keylen > e->textlen)
        crvi_buf_printf(&o->b, " (%" PRIu64 " bytes)", e->keylen);
      crvi_buf_putc(&o->b, '\n');
      crvi_tout_flush(o, 0);
    }
    t_approx(o, &t->repeated);
  }
  free(a);
}

crv_err crvi_report_text(const struct crvi_tally *t, FILE *fp)
{
  struct crvi_tout o;
  crvi_tout_init(&o, fp);
  crvi_tout_printf(&o, "carver triage: %zu input%s, %" PRIu64 " record%s\n", t->n_inputs,
                   t->n_inputs == 1 ? "" : "s", t->records, t->records == 1 ? "" : "s");
  t_inputs(&o, t);

  /* Records by type, all of them, then what the filters kept. */
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(&t->all_rtypes, &n);
  crvi_buf_puts(&o.b, "\nRecords:");
  for (size_t i = 0; i < n; i++) {
    crvi_buf_puts(&o.b, i ? ", " : " ");
    if (a[i]->textlen)
      crvi_repr_value(&o.b, a[i]->text, a[i]->textlen, 1, 40);
    else
      crvi_buf_puts(&o.b, "(no type)");
    crvi_buf_printf(&o.b, " %" PRIu64, a[i]->count);
  }
  crvi_buf_putc(&o.b, '\n');
  free(a);
  if (t->selected != t->data_records)
    crvi_buf_printf(&o.b, "Filters: %" PRIu64 " of %" PRIu64 " data records match\n", t->selected,
                    t->data_records);

  crvi_buf_printf(&o.b, "\nObjects: %" PRIu64 " (live %" PRIu64 ", freed %" PRIu64, t->objects,
                  t->by_status[CRVI_ST_LIVE], t->by_status[CRVI_ST_FREED]);
  if (t->by_status[CRVI_ST_OTHER])
    crvi_buf_printf(&o.b, ", other %" PRIu64, t->by_status[CRVI_ST_OTHER]);
  crvi_buf_puts(&o.b, ")\n");
  if (t->objects) {
    t_status_table(&o, t, &t->types, "type", SIZE_MAX);
    a = crvi_topn_sorted(&t->hash_checks, &n);
    crvi_buf_puts(&o.b, "  hash check:");
    for (size_t i = 0; i < n; i++) {
      crvi_buf_puts(&o.b, i ? ", " : " ");
      crvi_repr_value(&o.b, a[i]->text, a[i]->textlen, 1, 40);
      crvi_buf_printf(&o.b, " %" PRIu64, a[i]->count);
    }
    crvi_buf_putc(&o.b, '\n');
    free(a);
    crvi_buf_printf(&o.b, "\nRegions: %zu\n", t->regions.n);
    t_status_table(&o, t, &t->regions, "region", t->top);
  }
  t_creds(&o, t);
  t_strings(&o, t, &t->urls, "URLs", "url");
  t_strings(&o, t, &t->requests, "HTTP request lines", "request line");
  t_strings(&o, t, &t->paths, "File paths", "path");
  t_longest(&o, t);
  t_repeated(&o, t);
  return crvi_tout_finish(&o);
}

/* ---- JSON ------------------------------------------------------------------------------- */

static void j_key(struct crvi_tout *o, const char *k, int *first)
{
  if (!*first)
    crvi_buf_putc(&o->b, ',');
  *first = 0;
  crvi_buf_printf(&o->b, "\"%s\":", k);
}

static void j_u64(struct crvi_tout *o, const char *k, uint64_t v, int *first)
{
  j_key(o, k, first);
  crvi_buf_printf(&o->b, "%" PRIu64, v);
}

/* An array of objects: j_array, then for each element j_elem (its index i; returns the
 * element's first flag), its fields, j_elem_end; then ']'. */
static void j_array(struct crvi_tout *o, const char *k, int *first)
{
  j_key(o, k, first);
  crvi_buf_putc(&o->b, '[');
}

static int j_elem(struct crvi_tout *o, size_t i)
{
  if (i)
    crvi_buf_putc(&o->b, ',');
  crvi_buf_putc(&o->b, '{');
  return 1;
}

static void j_elem_end(struct crvi_tout *o)
{
  crvi_buf_putc(&o->b, '}');
  crvi_tout_flush(o, 0);
}

/* A kept value: "value" (text), or "value_b64" plus "value" when the bytes are UTF-8. */
static void j_value(struct crvi_tout *o, const uint8_t *p, size_t n, int is_text, int *first)
{
  if (!is_text) {
    j_key(o, "value_b64", first);
    crvi_tout_json_b64(o, p, n);
    if (!crvi_utf8_valid(p, n))
      return;
  }
  j_key(o, "value", first);
  crvi_tout_json_str(o, p, n);
}

static void j_subs(struct crvi_tout *o, const struct crvi_topn_ent *e, int *first)
{
  for (size_t s = 0; s < CRVI_ST_COUNT; s++)
    j_u64(o, st_names[s], e->sub[s], first);
}

/* {"name": {"live":..,"freed":..,"other":..,"total":..}, ...} */
static void j_status_map(struct crvi_tout *o, const char *k, const struct crvi_topn *tab,
                         int *first)
{
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(tab, &n);
  j_key(o, k, first);
  crvi_buf_putc(&o->b, '{');
  for (size_t i = 0; i < n; i++) {
    int f2 = 1;
    if (i)
      crvi_buf_putc(&o->b, ',');
    crvi_tout_json_str(o, a[i]->text, a[i]->textlen);
    crvi_buf_puts(&o->b, ":{");
    j_subs(o, a[i], &f2);
    j_u64(o, "total", a[i]->count, &f2);
    crvi_buf_putc(&o->b, '}');
    crvi_tout_flush(o, 0);
  }
  crvi_buf_putc(&o->b, '}');
  free(a);
}

static void j_count_map(struct crvi_tout *o, const char *k, const struct crvi_topn *tab,
                        int *first)
{
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(tab, &n);
  j_key(o, k, first);
  crvi_buf_putc(&o->b, '{');
  for (size_t i = 0; i < n; i++) {
    if (i)
      crvi_buf_putc(&o->b, ',');
    crvi_tout_json_str(o, a[i]->text, a[i]->textlen);
    crvi_buf_printf(&o->b, ":%" PRIu64, a[i]->count);
  }
  crvi_buf_putc(&o->b, '}');
  free(a);
}

static void j_strings(struct crvi_tout *o, const char *k, const struct crvi_topn *tab, size_t top,
                      uint64_t min_count, int *first)
{
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(tab, &n);
  j_array(o, k, first);
  size_t shown = 0;
  for (size_t i = 0; i < n && shown < top; i++) {
    const struct crvi_topn_ent *e = a[i];
    if (e->count - e->err < min_count)
      continue;
    int f2 = j_elem(o, shown++);
    j_value(o, e->text, e->textlen, e->is_text, &f2);
    j_u64(o, "bytes", e->keylen, &f2);
    j_u64(o, "count", e->count, &f2);
    if (e->err) {
      j_key(o, "approximate", &f2);
      crvi_buf_puts(&o->b, "true");
    }
    j_subs(o, e, &f2);
    if (e->has_addr)
      j_u64(o, "addr", e->addr, &f2);
    j_elem_end(o);
  }
  crvi_buf_putc(&o->b, ']');
  free(a);
}

static void j_inputs(struct crvi_tout *o, const struct crvi_tally *t, int *first)
{
  j_array(o, "inputs", first);
  for (size_t i = 0; i < t->n_inputs; i++) {
    const struct crvi_input *in = &t->inputs[i];
    int f2 = j_elem(o, i);
    j_key(o, "file", &f2);
    crvi_tout_json_cstr(o, in->name);
    j_u64(o, "records", in->records, &f2);
    j_u64(o, "object_records", in->object_records, &f2);
    j_key(o, "end", &f2);
    crvi_tout_json_cstr(o, crvi_trd_end_name(in->st.end));
    j_u64(o, "usable_bytes", in->st.good_bytes, &f2);
    j_u64(o, "bytes_read", in->st.bytes_read, &f2);
    j_u64(o, "meta_records", in->metas, &f2);
    j_key(o, "meta", &f2);
    crvi_buf_putc(&o->b, '[');
    for (size_t k = 0; k < in->n_meta_info; k++) {
      if (k)
        crvi_buf_putc(&o->b, ',');
      crvi_tout_puts(o, in->meta[k].json ? in->meta[k].json : "null");
    }
    crvi_buf_putc(&o->b, ']');
    j_key(o, "summary", &f2);
    crvi_tout_puts(o, in->sum.present && in->sum.json ? in->sum.json : "null");
    j_elem_end(o);
  }
  crvi_buf_putc(&o->b, ']');
}

static void j_creds(struct crvi_tout *o, const struct crvi_tally *t, int *first)
{
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(&t->creds, &n);
  j_array(o, "credentials", first);
  for (size_t i = 0; i < n; i++) {
    const struct crvi_topn_ent *e = a[i];
    struct crvi_cred_view v;
    crvi_cred_split(e, &v);
    int f2 = j_elem(o, i);
    j_key(o, "scheme", &f2);
    crvi_tout_json_str(o, v.scheme.p, v.scheme.n);
    j_key(o, "user", &f2);
    crvi_tout_json_str(o, v.user.p, v.user.n);
    j_key(o, v.secret_key, &f2);
    crvi_tout_json_str(o, v.secret.p, v.secret.n);
    j_key(o, "confidence", &f2);
    crvi_tout_json_cstr(o, crvi_conf_name(e->aux & 0xff));
    j_u64(o, "count", e->count, &f2);
    j_subs(o, e, &f2);
    if (e->has_addr)
      j_u64(o, "addr", e->addr, &f2);
    if (e->extra) {
      j_key(o, "where", &f2);
      crvi_tout_json_str(o, e->extra, e->extralen);
    }
    j_elem_end(o);
  }
  crvi_buf_putc(&o->b, ']');
  free(a);
}

static void j_longest(struct crvi_tout *o, const struct crvi_tally *t, int *first)
{
  const struct crvi_long_ent **a = crvi_tally_longest(t);
  j_array(o, "longest", first);
  for (size_t i = 0; a && i < t->n_longest; i++) {
    const struct crvi_long_ent *e = a[i];
    int f2 = j_elem(o, i);
    j_value(o, e->text, e->textlen, e->is_text, &f2);
    j_u64(o, "length", e->length, &f2);
    j_u64(o, "bytes", e->bytes, &f2);
    j_u64(o, "count", e->count, &f2);
    j_key(o, "status", &f2);
    crvi_tout_json_cstr(o, st_names[e->status]);
    j_key(o, "type", &f2);
    crvi_tout_json_cstr(o, e->type);
    if (e->has_addr)
      j_u64(o, "addr", e->addr, &f2);
    j_elem_end(o);
  }
  crvi_buf_putc(&o->b, ']');
  free(a);
}

static void j_bands(struct crvi_tout *o, const struct crvi_tally *t, int *first)
{
  j_array(o, "bands", first);
  for (size_t i = 0; i < t->n_bands; i++) {
    const struct crvi_band *b = &t->bands[i];
    int f2 = j_elem(o, i);
    j_key(o, "region", &f2);
    crvi_tout_json_cstr(o, b->name);
    if (b->has_extent) {
      j_u64(o, "start", b->start, &f2);
      if (b->end)
        j_u64(o, "end", b->end, &f2);
    }
    if (b->seen) {
      j_u64(o, "lowest", b->lo, &f2);
      j_u64(o, "highest", b->hi, &f2);
    }
    for (size_t s = 0; s < CRVI_ST_COUNT; s++)
      j_u64(o, st_names[s], b->n[s], &f2);
    j_u64(o, "credentials", b->n[CRVI_ST_COUNT], &f2);
    j_elem_end(o);
  }
  crvi_buf_putc(&o->b, ']');
}

crv_err crvi_report_json(const struct crvi_tally *t, FILE *fp)
{
  struct crvi_tout o;
  int first = 1;
  crvi_tout_init(&o, fp);
  crvi_buf_putc(&o.b, '{');
  j_key(&o, "triage", &first);
  crvi_buf_puts(&o.b, "1");
  j_inputs(&o, t, &first);
  j_u64(&o, "records", t->records, &first);
  j_count_map(&o, "records_by_type", &t->all_rtypes, &first);
  j_u64(&o, "data_records", t->data_records, &first);
  j_u64(&o, "selected", t->selected, &first);
  j_count_map(&o, "selected_by_type", &t->rtypes, &first);
  j_u64(&o, "objects", t->objects, &first);
  j_key(&o, "by_status", &first);
  crvi_buf_putc(&o.b, '{');
  for (size_t s = 0; s < CRVI_ST_COUNT; s++)
    crvi_buf_printf(&o.b, "%s\"%s\":%" PRIu64, s ? "," : "", st_names[s], t->by_status[s]);
  crvi_buf_putc(&o.b, '}');
  j_status_map(&o, "by_type", &t->types, &first);
  j_status_map(&o, "by_region", &t->regions, &first);
  j_count_map(&o, "by_hash_check", &t->hash_checks, &first);
  j_u64(&o, "credential_records", t->credentials, &first);
  j_creds(&o, t, &first);
  j_strings(&o, "urls", &t->urls, t->top, 1, &first);
  j_strings(&o, "requests", &t->requests, t->top, 1, &first);
  j_strings(&o, "paths", &t->paths, t->top, 1, &first);
  j_longest(&o, t, &first);
  j_strings(&o, "repeated", &t->repeated, t->top, 2, &first);
  j_bands(&o, t, &first);
  /* Tables that overflowed their cap: their counts are upper bounds. */
  j_key(&o, "approximate", &first);
  const struct {
    const char *name;
    const struct crvi_topn *tab;
  } tabs[] = {{"by_type", &t->types},       {"by_region", &t->regions},
              {"by_hash_check", &t->hash_checks}, {"records_by_type", &t->all_rtypes},
              {"credentials", &t->creds},   {"urls", &t->urls},
              {"requests", &t->requests},   {"paths", &t->paths},
              {"repeated", &t->repeated}};
  crvi_buf_putc(&o.b, '[');
  int f3 = 1;
  for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++)
    if (tabs[i].tab->evictions) {
      crvi_buf_printf(&o.b, "%s\"%s\"", f3 ? "" : ",", tabs[i].name);
      f3 = 0;
    }
  crvi_buf_puts(&o.b, "]}\n");
  return crvi_tout_finish(&o);
}
