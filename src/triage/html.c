/* SPDX-License-Identifier: MIT */
/* The HTML triage report (see html.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "triage/html.h"
#include "triage/out.h"
#include "util/limits.h"

#define REPR_MAX 160u
#define SVG_W 1000.0
#define BAND_H 30

static const char *const st_names[CRVI_ST_COUNT] = {"live", "freed", "other"};

void crvi_html_init(struct crvi_html *h)
{
  memset(h, 0, sizeof *h);
  crvi_buf_init(&h->rows, CRV_TRIAGE_HTML_BYTES);
}

void crvi_html_free(struct crvi_html *h)
{
  crvi_buf_free(&h->rows);
}

/* Escaped text of a str field into a memory sink. */
static void cell_bytes(struct crvi_tout *o, struct crvi_bytes b, size_t max)
{
  if (b.p)
    crvi_tout_html_value(o, b.p, b.n, 1, max);
}

void crvi_html_record(struct crvi_html *h, const struct crvi_rec *r)
{
  if (r->kind != CRVI_REC_OBJECT)
    return;
  h->objects++;
  if (h->n_rows >= CRV_TRIAGE_HTML_ROWS || h->rows.err)
    return;
  size_t before = h->rows.len;
  struct crvi_tout mem = {.fp = NULL, .b = h->rows};
  int st = crvi_status_index(r->status);
  crvi_buf_printf(&mem.b, "<tr class=\"%s\"><td class=\"a\">", st_names[st]);
  if (r->has_addr)
    crvi_buf_printf(&mem.b, "0x%" PRIx64, r->addr);
  crvi_buf_puts(&mem.b, "</td><td>");
  cell_bytes(&mem, r->status, 16);
  crvi_buf_puts(&mem.b, "</td><td>");
  cell_bytes(&mem, r->type, 16);
  crvi_buf_puts(&mem.b, "</td><td class=\"n\">");
  if (r->has_length)
    crvi_buf_printf(&mem.b, "%" PRIu64, r->length);
  crvi_buf_puts(&mem.b, "</td><td>");
  cell_bytes(&mem, r->region, 80);
  crvi_buf_puts(&mem.b, "</td><td>");
  struct crvi_bytes hc = {NULL, 0};
  crvi_mp_str(crvi_mp_get(r->map, "hash_check"), &hc);
  cell_bytes(&mem, hc, 16);
  crvi_buf_puts(&mem.b, "</td><td class=\"v\">");
  struct crvi_bytes v;
  if (r->value && crvi_mp_blob(r->value, &v, NULL)) {
    crvi_buf_puts(&mem.b, r->value_is_text ? "&quot;" : "b&quot;");
    crvi_tout_html_value(&mem, v.p, v.n, r->value_is_text, CRV_TRIAGE_HTML_VALUE);
    crvi_buf_puts(&mem.b, "&quot;");
  }
  crvi_buf_puts(&mem.b, "</td></tr>\n");
  h->rows = mem.b;
  if (h->rows.err || mem.failed) {
    /* Full: drop the partial row and stop adding (the page says how many are shown). */
    h->rows.len = before;
    if (h->rows.p)
      h->rows.p[before] = 0;
    h->rows.err = CRV_ERR_LIMIT;
    return;
  }
  h->n_rows++;
}

/* ---- the page ---------------------------------------------------------------------------- */

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
    "h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.15em;margin:1.4em 0 .4em;"
    "border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:.3em 0}td,th{border:1px solid #ddd;padding:2px 6px;"
    "text-align:left;vertical-align:top}th{background:#f2f2f2}"
    "td.n,th.n{text-align:right}td.a{font-family:monospace}td.v{font-family:monospace;"
    "white-space:pre-wrap;word-break:break-all;max-width:60em}"
    ".cred td{background:#fff4e5}.note{color:#666}.warn{color:#a40000;font-weight:bold}"
    ".band{margin:.5em 0}.band .label{font-family:monospace;font-size:12px}"
    ".band svg{display:block;width:100%;max-width:1000px;height:30px}"
    ".legend span{display:inline-block;margin-right:1.2em}"
    ".sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}"
    "#objects tr.freed td{background:#fff0f0}"
    "input,select{font:inherit;margin:.3em .5em .3em 0}";

static const char script[] =
    "(function(){var q=document.getElementById('q'),s=document.getElementById('st'),"
    "n=document.getElementById('shown'),rows=document.querySelectorAll('#objects tbody tr');"
    "function f(){var t=q.value.toLowerCase(),w=s.value,c=0;"
    "for(var i=0;i<rows.length;i++){var r=rows[i];"
    "var ok=(!w||r.className===w)&&(!t||r.textContent.toLowerCase().indexOf(t)>=0);"
    "r.style.display=ok?'':'none';if(ok)c++;}n.textContent=c+' of '+rows.length+' rows shown';}"
    "q.addEventListener('input',f);s.addEventListener('change',f);f();})();";

static void h_field(struct crvi_tout *o, const struct crvi_field *f)
{
  if (f->p)
    crvi_tout_html_value(o, (const uint8_t *)f->p, f->n, 1, CRV_TRIAGE_KEEP_BYTES);
  else
    crvi_tout_puts(o, "?");
}

static void h_inputs(struct crvi_tout *o, const struct crvi_tally *t)
{
  crvi_tout_puts(o, "<section id=\"inputs\"><h2>What was scanned</h2>\n<table><tr><th>input</th>"
                    "<th>stream</th><th>sources</th><th>pid</th><th>python</th>"
                    "<th>detected from</th><th>layout</th><th>hash key</th><th>scan</th></tr>\n");
  for (size_t i = 0; i < t->n_inputs; i++) {
    const struct crvi_input *in = &t->inputs[i];
    size_t nm = in->n_meta_info ? in->n_meta_info : 1;
    for (size_t k = 0; k < nm; k++) {
      crvi_tout_puts(o, "<tr><td>");
      crvi_tout_html_str(o, in->name);
      crvi_tout_printf(o, "</td><td%s>%" PRIu64 " records, %s",
                       in->st.end == CRVI_TRD_COMPLETE ? "" : " class=\"warn\"", in->records,
                       crvi_trd_end_name(in->st.end));
      if (in->st.end != CRVI_TRD_COMPLETE)
        crvi_tout_printf(o, " at byte %" PRIu64, in->st.good_bytes);
      crvi_tout_puts(o, "</td>");
      if (k < in->n_meta_info) {
        const struct crvi_meta_info *m = &in->meta[k];
        crvi_tout_puts(o, "<td>");
        h_field(o, &m->sources);
        crvi_tout_puts(o, "</td><td>");
        if (m->has_pid)
          crvi_tout_printf(o, "%" PRIu64, m->pid);
        crvi_tout_puts(o, "</td><td>");
        h_field(o, m->python_full.p ? &m->python_full : &m->python);
        crvi_tout_puts(o, "</td><td>");
        h_field(o, &m->version_source);
        crvi_tout_puts(o, "</td><td>");
        h_field(o, &m->layout);
        crvi_tout_puts(o, "</td><td>");
        if (m->hash_key.p) {
          h_field(o, &m->hash_key_source);
          crvi_tout_puts(o, ": <code>");
          h_field(o, &m->hash_key);
          crvi_tout_puts(o, "</code>");
        } else {
          crvi_tout_puts(o, "unknown");
        }
        crvi_tout_puts(o, "</td>");
      } else {
        crvi_tout_puts(o, "<td colspan=\"6\" class=\"warn\">no meta record</td>");
      }
      const struct crvi_scan_sum *s = &in->sum;
      crvi_tout_puts(o, "<td>");
      if (s->present) {
        if (s->has_objects)
          crvi_tout_printf(o, "%" PRIu64 " objects", s->objects);
        if (s->has_bytes)
          crvi_tout_printf(o, ", %" PRIu64 " bytes", s->bytes_scanned);
        if (s->has_regions)
          crvi_tout_printf(o, " in %" PRIu64 " regions", s->regions);
        if (s->interrupted)
          crvi_tout_puts(o, ", <span class=\"warn\">interrupted</span>");
      } else {
        crvi_tout_puts(o, "<span class=\"warn\">no summary record</span>");
      }
      crvi_tout_puts(o, "</td></tr>\n");
    }
  }
  crvi_tout_puts(o, "</table></section>\n");
}

static void h_status_table(struct crvi_tout *o, const struct crvi_topn *tab, const char *title,
                           size_t rows)
{
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(tab, &n);
  crvi_tout_printf(o, "<table><tr><th>%s</th><th class=\"n\">live</th><th class=\"n\">freed</th>"
                      "<th class=\"n\">other</th><th class=\"n\">total</th></tr>\n", title);
  for (size_t i = 0; i < n && i < rows; i++) {
    crvi_tout_puts(o, "<tr><td>");
    crvi_tout_html_value(o, a[i]->text, a[i]->textlen, 1, 120);
    crvi_tout_puts(o, "</td>");
    for (size_t s = 0; s < CRVI_ST_COUNT; s++)
      crvi_tout_printf(o, "<td class=\"n\">%" PRIu64 "</td>", a[i]->sub[s]);
    crvi_tout_printf(o, "<td class=\"n\">%s%" PRIu64 "</td></tr>\n", a[i]->err ? "~" : "",
                     a[i]->count);
  }
  crvi_tout_puts(o, "</table>\n");
  if (n > rows)
    crvi_tout_printf(o, "<p class=\"note\">and %zu more</p>\n", n - rows);
  free(a);
}

/* " name count, name count" for every entry of tab, most first. */
static void h_count_list(struct crvi_tout *o, const struct crvi_topn *tab)
{
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(tab, &n);
  for (size_t i = 0; i < n; i++) {
    crvi_tout_puts(o, i ? ", " : " ");
    crvi_tout_html_value(o, a[i]->text, a[i]->textlen, 1, 40);
    crvi_tout_printf(o, " %" PRIu64, a[i]->count);
  }
  free(a);
}

static void h_counts(struct crvi_tout *o, const struct crvi_tally *t)
{
  crvi_tout_printf(o, "<section id=\"counts\"><h2>Objects</h2>\n<p><b>%" PRIu64
                      "</b> objects: <b>%" PRIu64 "</b> live, <b>%" PRIu64 "</b> freed",
                   t->objects, t->by_status[CRVI_ST_LIVE], t->by_status[CRVI_ST_FREED]);
  if (t->by_status[CRVI_ST_OTHER])
    crvi_tout_printf(o, ", %" PRIu64 " other", t->by_status[CRVI_ST_OTHER]);
  crvi_tout_puts(o, ".");
  if (t->selected != t->data_records)
    crvi_tout_printf(o, " Filters: %" PRIu64 " of %" PRIu64 " data records match.", t->selected,
                     t->data_records);
  crvi_tout_puts(o, "</p>\n");
  h_status_table(o, &t->types, "type", SIZE_MAX);
  crvi_tout_puts(o, "<p>Records:");
  h_count_list(o, &t->all_rtypes);
  crvi_tout_puts(o, ". Hash check:");
  h_count_list(o, &t->hash_checks);
  crvi_tout_puts(o, ".</p></section>\n");
}

static void h_creds(struct crvi_tout *o, const struct crvi_tally *t)
{
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(&t->creds, &n);
  crvi_tout_puts(o, "<section id=\"credentials\"><h2>Credentials</h2>\n");
  if (!n) {
    crvi_tout_puts(o, "<p class=\"note\">No credential records in the input.</p></section>\n");
    free(a);
    return;
  }
  crvi_tout_printf(o, "<p>%zu distinct, found in %" PRIu64 " objects.</p>\n", n, t->creds.total);
  crvi_tout_puts(o, "<table id=\"credtable\"><tr><th>scheme</th><th>user</th><th>secret</th>"
                    "<th>confidence</th><th class=\"n\">objects</th><th class=\"n\">live</th>"
                    "<th class=\"n\">freed</th><th>address</th><th>found in</th></tr>\n");
  for (size_t i = 0; i < n; i++) {
    const struct crvi_topn_ent *e = a[i];
    struct crvi_cred_view v;
    crvi_cred_split(e, &v);
    crvi_tout_puts(o, "<tr class=\"cred\"><td>");
    crvi_tout_html_value(o, v.scheme.p, v.scheme.n, 1, 40);
    crvi_tout_puts(o, "</td><td>");
    crvi_tout_html_value(o, v.user.p, v.user.n, 1, REPR_MAX);
    crvi_tout_printf(o, "</td><td title=\"%s\"><code>", v.secret_key);
    crvi_tout_html_value(o, v.secret.p, v.secret.n, 1, REPR_MAX);
    crvi_tout_printf(o, "</code></td><td>%s</td><td class=\"n\">%s%" PRIu64
                        "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
                        "</td><td class=\"a\">",
                     crvi_conf_name(e->aux & 0xff), e->err ? "~" : "", e->count,
                     e->sub[CRVI_ST_LIVE], e->sub[CRVI_ST_FREED]);
    if (e->has_addr)
      crvi_tout_printf(o, "0x%" PRIx64, e->addr);
    crvi_tout_puts(o, "</td><td>");
    if (e->extra)
      crvi_tout_html_value(o, e->extra, e->extralen, 1, REPR_MAX);
    crvi_tout_puts(o, "</td></tr>\n");
  }
  crvi_tout_puts(o, "</table></section>\n");
  free(a);
}

/* A logarithmic scale without libm: the number of significant bits. */
static unsigned bit_length(uint32_t v)
{
  unsigned n = 0;
  while (v) {
    n++;
    v >>= 1;
  }
  return n;
}

static double band_x(uint64_t a, uint64_t lo, double span)
{
  double x = a <= lo ? 0.0 : (double)(a - lo) / span * SVG_W;
  return x > SVG_W ? SVG_W : x;
}

static void fmt_size(char *out, size_t n, uint64_t v)
{
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double d = (double)v;
  size_t u = 0;
  while (d >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
    d /= 1024.0;
    u++;
  }
  snprintf(out, n, u ? "%.1f %s" : "%.0f %s", d, units[u]);
}

static void h_band(struct crvi_tout *o, const struct crvi_band *b)
{
  uint64_t lo = b->seen ? b->lo : b->start, hi = b->seen ? b->hi + 16 : b->start + 16;
  if (b->has_extent) {
    if (b->start < lo)
      lo = b->start;
    if (b->end > hi)
      hi = b->end;
  }
  if (hi <= lo)
    hi = lo + 16;
  double span = (double)(hi - lo);
  char size[32];
  fmt_size(size, sizeof size, hi - lo);
  crvi_tout_puts(o, "<div class=\"band\"><div class=\"label\"><b>");
  crvi_tout_html_str(o, b->name);
  crvi_tout_printf(o, "</b> 0x%" PRIx64 "&ndash;0x%" PRIx64 " (%s%s): %" PRIu64 " live, %" PRIu64
                      " freed, %" PRIu64 " credential%s</div>\n",
                   lo, hi, size, b->has_extent && b->end ? "" : ", extent of the objects found",
                   b->n[CRVI_ST_LIVE], b->n[CRVI_ST_FREED], b->n[CRVI_ST_COUNT],
                   b->n[CRVI_ST_COUNT] == 1 ? "" : "s");
  crvi_tout_printf(o, "<svg class=\"bandsvg\" viewBox=\"0 0 %.0f %d\" preserveAspectRatio=\"none\" "
                      "role=\"img\"><rect class=\"bg\" x=\"0\" y=\"0\" width=\"%.0f\" "
                      "height=\"%d\" "
                      "fill=\"#e8e8e8\"/>",
                   SVG_W, BAND_H, SVG_W, BAND_H);
  /* Each bucket: a bar whose opacity grows with the log of its count. */
  static const char *const colors[] = {"#1a9641", "#d7191c", "#777777"};
  static const int ys[] = {1, 15, 8};
  uint32_t max = 1;
  for (size_t s = 0; s < CRVI_ST_COUNT; s++)
    for (size_t i = 0; i < CRV_TRIAGE_BAND_BUCKETS; i++)
      if (b->buckets[s * CRV_TRIAGE_BAND_BUCKETS + i] > max)
        max = b->buckets[s * CRV_TRIAGE_BAND_BUCKETS + i];
  for (size_t s = 0; s < CRVI_ST_COUNT; s++)
    for (size_t i = 0; i < CRV_TRIAGE_BAND_BUCKETS; i++) {
      uint32_t c = b->buckets[s * CRV_TRIAGE_BAND_BUCKETS + i];
      if (!c)
        continue;
      uint64_t a = b->base + ((uint64_t)i << b->shift);
      double x = band_x(a, lo, span);
      double w = (double)((uint64_t)1 << b->shift) / span * SVG_W;
      if (w < 1.5)
        w = 1.5;
      double op = 0.35 + 0.65 * (double)bit_length(c) / (double)bit_length(max);
      crvi_tout_printf(o, "<rect class=\"%s\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"14\" "
                          "fill=\"%s\" fill-opacity=\"%.2f\"/>",
                       st_names[s], x, ys[s], w, colors[s], op);
    }
  for (size_t i = 0; i < CRV_TRIAGE_BAND_BUCKETS; i++) {
    if (!b->buckets[CRVI_ST_COUNT * CRV_TRIAGE_BAND_BUCKETS + i])
      continue;
    uint64_t a = b->base + ((uint64_t)i << b->shift);
    double x = band_x(a, lo, span);
    x = x < 6 ? 6 : x > SVG_W - 6 ? SVG_W - 6 : x; /* keep the whole mark in view */
    crvi_tout_printf(o, "<path class=\"credmark\" d=\"M%.2f 0 L%.2f 0 L%.2f 12 Z M%.2f 30 "
                        "L%.2f 30 L%.2f 18 Z\" fill=\"#7b2cbf\"/><rect x=\"%.2f\" y=\"0\" "
                        "width=\"2\" height=\"30\" fill=\"#7b2cbf\"/>",
                     x - 6, x + 6, x, x - 6, x + 6, x, x - 1);
  }
  crvi_tout_puts(o, "</svg></div>\n");
}

static void h_map(struct crvi_tout *o, const struct crvi_tally *t)
{
  crvi_tout_puts(o, "<section id=\"map\"><h2>Address space</h2>\n<p class=\"legend\">"
                    "<span><i class=\"sw\" style=\"background:#1a9641\"></i>live objects (top)"
                    "</span><span><i class=\"sw\" style=\"background:#d7191c\"></i>freed objects "
                    "(bottom)</span><span><i class=\"sw\" style=\"background:#7b2cbf\"></i>"
                    "credentials</span><span class=\"note\">one band per region; darker = more "
                    "objects</span></p>\n");
  for (size_t i = 0; i < t->n_bands; i++)
    h_band(o, &t->bands[i]);
  if (!t->n_bands)
    crvi_tout_puts(o, "<p class=\"note\">No object addresses to draw.</p>\n");
  if (t->unbanded)
    crvi_tout_printf(o, "<p class=\"note\">%" PRIu64 " objects lie in regions beyond the first %u, "
                        "not drawn.</p>\n", t->unbanded, CRV_TRIAGE_MAX_BANDS);
  size_t off = 0;
  for (size_t i = 0; i < t->n_points; i++)
    off += t->points[i].band < 0;
  if (off || t->points_dropped)
    crvi_tout_printf(o, "<p class=\"note\">%zu credential addresses lie outside every band; "
                        "%" PRIu64
                        " were not kept.</p>\n", off, t->points_dropped);
  crvi_tout_puts(o, "</section>\n");
}

static void h_strings(struct crvi_tout *o, const struct crvi_tally *t,
                      const struct crvi_topn *tab, const char *id, const char *title,
                      uint64_t min_count)
{
  size_t n;
  const struct crvi_topn_ent **a = crvi_topn_sorted(tab, &n);
  crvi_tout_printf(o, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
  size_t shown = 0;
  for (size_t i = 0; i < n && shown < t->top; i++) {
    const struct crvi_topn_ent *e = a[i];
    if (e->count - e->err < min_count) /* past the cap a count is an upper bound */
      continue;
    if (!shown++)
      crvi_tout_puts(o, "<table><tr><th class=\"n\">count</th><th class=\"n\">live</th>"
                        "<th class=\"n\">freed</th><th>first at</th><th>value</th></tr>\n");
    crvi_tout_printf(o, "<tr><td class=\"n\">%s%" PRIu64 "</td><td class=\"n\">%" PRIu64
                        "</td><td class=\"n\">%" PRIu64 "</td><td class=\"a\">",
                     e->err ? "~" : "", e->count, e->sub[CRVI_ST_LIVE], e->sub[CRVI_ST_FREED]);
    if (e->has_addr)
      crvi_tout_printf(o, "0x%" PRIx64, e->addr);
    crvi_tout_puts(o, "</td><td class=\"v\">");
    crvi_tout_html_value(o, e->text, e->textlen, e->is_text, REPR_MAX);
    crvi_tout_puts(o, "</td></tr>\n");
  }
  if (shown)
    crvi_tout_printf(o, "</table><p class=\"note\">%zu distinct, %" PRIu64 " in all.</p>\n", n,
                     tab->total);
  else
    crvi_tout_puts(o, "<p class=\"note\">None found.</p>\n");
  crvi_tout_puts(o, "</section>\n");
  free(a);
}

static void h_longest(struct crvi_tout *o, const struct crvi_tally *t)
{
  crvi_tout_puts(o, "<section id=\"longest\"><h2>Longest values</h2>\n");
  const struct crvi_long_ent **a = crvi_tally_longest(t);
  if (!a) {
    crvi_tout_puts(o, "<p class=\"note\">None.</p></section>\n");
    return;
  }
  crvi_tout_puts(o, "<table><tr><th class=\"n\">length</th><th class=\"n\">count</th>"
                    "<th>status</th><th>type</th><th>address</th><th>value</th></tr>\n");
  for (size_t i = 0; i < t->n_longest; i++) {
    const struct crvi_long_ent *e = a[i];
    crvi_tout_printf(o, "<tr><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
                        "</td><td>%s</td><td>",
                     e->length, e->count, st_names[e->status]);
    crvi_tout_html_str(o, e->type);
    crvi_tout_puts(o, "</td><td class=\"a\">");
    if (e->has_addr)
      crvi_tout_printf(o, "0x%" PRIx64, e->addr);
    crvi_tout_puts(o, "</td><td class=\"v\">");
    crvi_tout_html_value(o, e->text, e->textlen, e->is_text, REPR_MAX);
    crvi_tout_puts(o, "</td></tr>\n");
  }
  crvi_tout_puts(o, "</table></section>\n");
  free(a);
}

static void h_objects(struct crvi_tout *o, const struct crvi_html *h)
{
  crvi_tout_puts(o, "<section id=\"objects\"><h2>Objects</h2>\n<div><input id=\"q\" type=\"search\""
                    " placeholder=\"search\" size=\"40\"><select id=\"st\"><option value=\"\">"
                    "any status</option><option value=\"live\">live</option><option value="
                    "\"freed\">freed</option><option value=\"other\">other</option></select>"
                    "<span id=\"shown\" class=\"note\"></span></div>\n");
  if (h->n_rows < h->objects)
    crvi_tout_printf(o, "<p class=\"note\">The first %" PRIu64 " of %" PRIu64 " objects; use "
                        "filters (carver triage --help) or --format jsonl for the rest.</p>\n",
                     h->n_rows, h->objects);
  crvi_tout_puts(o, "<table><thead><tr><th>address</th><th>status</th><th>type</th>"
                    "<th class=\"n\">length</th><th>region</th><th>hash</th><th>value</th></tr>"
                    "</thead><tbody>\n");
  crvi_tout_flush(o, 1);
  if (h->rows.p && h->rows.len && !o->failed &&
      fwrite(h->rows.p, 1, h->rows.len, o->fp) != h->rows.len)
    o->failed = 1;
  crvi_tout_puts(o, "</tbody></table></section>\n");
}

crv_err crvi_html_write(const struct crvi_html *h, const struct crvi_tally *t, FILE *fp)
{
  struct crvi_tout o;
  crvi_tout_init(&o, fp);
  crvi_tout_puts(&o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                     "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width\">\n"
                     "<title>carver triage</title>\n<style>");
  crvi_tout_puts(&o, css);
  crvi_tout_printf(&o, "</style></head><body>\n<h1>carver triage</h1>\n<p class=\"note\">%zu "
                       "input%s, %" PRIu64 " records. Values are shown escaped: \\xNN, \\uNNNN "
                       "stand for bytes and characters that are not printable.</p>\n",
                   t->n_inputs, t->n_inputs == 1 ? "" : "s", t->records);
  h_inputs(&o, t);
  h_counts(&o, t);
  h_creds(&o, t);
  h_map(&o, t);
  crvi_tout_printf(&o, "<section id=\"regions\"><h2>Regions (%zu)</h2>\n", t->regions.n);
  h_status_table(&o, &t->regions, "region", t->top);
  crvi_tout_puts(&o, "</section>\n");
  h_strings(&o, t, &t->urls, "urls", "URLs", 1);
  h_strings(&o, t, &t->requests, "requests", "HTTP request lines", 1);
  h_strings(&o, t, &t->paths, "paths", "File paths", 1);
  h_longest(&o, t);
  h_strings(&o, t, &t->repeated, "repeated", "Most repeated values", 2);
  h_objects(&o, h);
  crvi_tout_puts(&o, "<script>");
  crvi_tout_puts(&o, script);
  crvi_tout_puts(&o, "</script>\n</body></html>\n");
  return crvi_tout_finish(&o);
}
