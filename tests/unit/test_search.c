/* SPDX-License-Identifier: MIT */
/* src/search: pattern compilation (regex, hex), value search with code-point offsets for
 * every str kind, and the chunked raw search whose results must not depend on the chunk
 * size (matches across chunk boundaries found exactly once, lookbehind and \b intact,
 * long matches through the partial-match window). */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "search/grep.h"
#include "search/search.h"
#include "util/limits.h"

/* ---- helpers ---------------------------------------------------------------------------- */

struct spans {
  size_t n;
  size_t s[64], e[64], pat[64];
};

static int span_cb(void *user, size_t pat, size_t s, size_t e)
{
  struct spans *sp = user;
  if (sp->n < 64) {
    sp->s[sp->n] = s;
    sp->e[sp->n] = e;
    sp->pat[sp->n] = pat;
    sp->n++;
  }
  return 0;
}

static struct crvi_search *make(unsigned flags, const char *const *pats, size_t n, int hex)
{
  struct crvi_search *s = NULL;
  CHECK(crvi_search_create(&s, flags) == CRV_OK);
  for (size_t i = 0; s && i < n; i++) {
    crv_err e = crvi_search_add(s, pats[i], strlen(pats[i]), hex ? CRVI_PAT_HEX : CRVI_PAT_REGEX);
    if (e != CRV_OK)
      fprintf(stderr, "  pattern %s: %s\n", pats[i], crvi_search_errmsg(s));
    CHECK(e == CRV_OK);
  }
  return s;
}

/* ---- compilation ------------------------------------------------------------------------- */

static void test_hex(void)
{
  char out[4096], err[160];
  CHECK(crvi_hex_to_regex("48 8b ?? 30", 11, out, sizeof out, err, sizeof err) == 0);
  CHECK_STR(out, "\\x48\\x8b(?s:.)\\x30");
  CHECK(crvi_hex_to_regex("4? ?f", 5, out, sizeof out, err, sizeof err) == 0);
  CHECK(strstr(out, "[\\x40-\\x4f]") != NULL);
  CHECK(strstr(out, "\\x0f\\x1f") != NULL);
  CHECK(crvi_hex_to_regex("41 [2-4] ( 42 | 43 44 )", 23, out, sizeof out, err, sizeof err) == 0);
  CHECK_STR(out, "\\x41(?s:.){2,4}(?:\\x42|\\x43\\x44)");
  /* errors */
  CHECK(crvi_hex_to_regex("48 8", 4, out, sizeof out, err, sizeof err) != 0);
  CHECK(crvi_hex_to_regex("4g", 2, out, sizeof out, err, sizeof err) != 0);
  CHECK(crvi_hex_to_regex("( 41", 4, out, sizeof out, err, sizeof err) != 0);
  CHECK(crvi_hex_to_regex("41 )", 4, out, sizeof out, err, sizeof err) != 0);
  CHECK(crvi_hex_to_regex("[4-2]", 5, out, sizeof out, err, sizeof err) != 0);
  CHECK(crvi_hex_to_regex("  ", 2, out, sizeof out, err, sizeof err) != 0);
  CHECK(crvi_hex_to_regex("41 [99999]", 10, out, sizeof out, err, sizeof err) != 0);
  /* a hex pattern never folds case: 0x41 'A' does not match 'a' even with -i */
  const char *p[] = {"41 42"};
  struct crvi_search *s = make(CRVI_SEARCH_CASELESS, p, 1, 1);
  struct spans sp = {0};
  CHECK(crvi_search_value(s, 0, (const uint8_t *)"ab AB", 5, 0, span_cb, &sp) == CRV_OK);
  CHECK_EQ_U64(sp.n, 1);
  CHECK_EQ_U64(sp.s[0], 3);
  crvi_search_destroy(s);
}

static void test_compile_errors(void)
{
  struct crvi_search *s = NULL;
  CHECK(crvi_search_create(&s, 0) == CRV_OK);
  CHECK(crvi_search_add(s, "a(b", 3, CRVI_PAT_REGEX) == CRV_ERR_REGEX);
  CHECK(strstr(crvi_search_errmsg(s), "a(b") != NULL);
  CHECK(strstr(crvi_search_errmsg(s), "offset") != NULL);
  CHECK_EQ_U64(crvi_search_count(s), 0);
  /* lookbehind longer than the bytes kept before a chunk */
  char lb[64];
  snprintf(lb, sizeof lb, "(?<=a{%u})b", CRV_GREP_MAX_LOOKBEHIND + 10);
  CHECK(crvi_search_add(s, lb, strlen(lb), CRVI_PAT_REGEX) == CRV_ERR_REGEX);
  /* a UTF-only pattern still compiles (text program), \x{400} */
  CHECK(crvi_search_add(s, "\\x{400}", 7, CRVI_PAT_REGEX) == CRV_OK);
  CHECK_EQ_U64(crvi_search_count(s), 1);
  crvi_search_destroy(s);
  /* raw-only sets need the byte program */
  CHECK(crvi_search_create(&s, CRVI_SEARCH_NO_TEXT) == CRV_OK);
  CHECK(crvi_search_add(s, "\\x{400}", 7, CRVI_PAT_REGEX) == CRV_ERR_REGEX);
  crvi_search_destroy(s);
  crvi_search_destroy(NULL);
}

/* ---- values ------------------------------------------------------------------------------- */

static void test_value(void)
{
  const char *p[] = {"ab|b", "x*"};
  struct crvi_search *s = make(0, p, 2, 0);
  struct spans sp = {0};
  /* leftmost, non-overlapping; empty matches are not reported */
  CHECK(crvi_search_value(s, 0, (const uint8_t *)"abab b", 6, 0, span_cb, &sp) == CRV_OK);
  CHECK_EQ_U64(sp.n, 3);
  CHECK_EQ_U64(sp.s[0], 0);
  CHECK_EQ_U64(sp.e[0], 2);
  CHECK_EQ_U64(sp.s[2], 5);
  memset(&sp, 0, sizeof sp);
  CHECK(crvi_search_value(s, 1, (const uint8_t *)"axxbx", 5, 0, span_cb, &sp) == CRV_OK);
  CHECK_EQ_U64(sp.n, 2);
  CHECK_EQ_U64(sp.s[0], 1);
  CHECK_EQ_U64(sp.e[0], 3);
  CHECK_EQ_U64(sp.s[1], 4);
  crvi_search_destroy(s);
}

struct vm {
  size_t n;
  uint64_t off[16], len[16];
  char text[16][64];
};

static int vm_cb(void *user, const crv_object *o, const struct crvi_value_match *m)
{
  (void)o;
  struct vm *v = user;
  if (v->n < 16) {
    v->off[v->n] = m->offset;
    v->len[v->n] = m->length;
    size_t l = m->me - m->ms < 63 ? m->me - m->ms : 63;
    memcpy(v->text[v->n], m->subj + m->ms, l);
    v->text[v->n][l] = '\0';
    v->n++;
  }
  return 0;
}

/* One text object of kind k from code points cps. */
static crv_object text_obj(unsigned kind, const uint32_t *cps, size_t n, uint8_t *buf)
{
  crv_object o;
  memset(&o, 0, sizeof o);
  for (size_t i = 0; i < n; i++)
    for (unsigned b = 0; b < kind; b++)
      buf[i * kind + b] = (uint8_t)(cps[i] >> (8 * b));
  o.type = CRV_OBJ_STR;
  o.kind = kind;
  o.ascii = kind == 1;
  o.length = n;
  o.data = buf;
  o.data_len = n * kind;
  return o;
}

static void test_grep_object(void)
{
  /* "café €1 😀x" in kind 1 (no €/😀), 2 and 4 */
  const char *p[] = {"caf\\x{e9}", "\\x{20ac}\\d", "\\x{1f600}x", "(?i)CAFÉ", "(?i)AF\\xc3"};
  struct crvi_search *s = make(0, p, 5, 0);
  crvi_buf scratch;
  crvi_buf_init(&scratch, 1u << 20);
  uint8_t buf[256];
  uint32_t l1[] = {'z', 'c', 'a', 'f', 0xe9, ' '};
  crv_object o = text_obj(1, l1, 6, buf);
  struct vm v = {0};
  CHECK(crvi_grep_object(s, &scratch, &o, vm_cb, &v, NULL) == CRV_OK);
  CHECK_EQ_U64(v.n, 2); /* pattern 0 and the caseless pattern 3 */
  CHECK_EQ_U64(v.off[0], 1);
  CHECK_EQ_U64(v.len[0], 4);
  CHECK_STR(v.text[0], "caf\xc3\xa9");
  CHECK_EQ_U64(v.off[1], 1);

  uint32_t l2[] = {0x42f, 0x20ac, '7', 'c', 'a', 'f', 0xe9};
  o = text_obj(2, l2, 7, buf);
  memset(&v, 0, sizeof v);
  CHECK(crvi_grep_object(s, &scratch, &o, vm_cb, &v, NULL) == CRV_OK);
  CHECK_EQ_U64(v.n, 3);
  CHECK_EQ_U64(v.off[0], 3); /* café at code point 3, not byte 6 */
  CHECK_EQ_U64(v.off[1], 1); /* €7 */
  CHECK_EQ_U64(v.len[1], 2);

  uint32_t l4[] = {0x1f600, 0x1f600, 'x', 0xdc00, 'c', 'a', 'f', 0xe9};
  o = text_obj(4, l4, 8, buf);
  memset(&v, 0, sizeof v);
  CHECK(crvi_grep_object(s, &scratch, &o, vm_cb, &v, NULL) == CRV_OK);
  CHECK_EQ_U64(v.n, 3);
  CHECK_EQ_U64(v.off[0], 4); /* past an astral pair and a lone surrogate */
  CHECK_EQ_U64(v.off[1], 1); /* 😀x */
  CHECK_EQ_U64(v.len[1], 2);

  /* 2.7 narrow build: a UTF-16 pair is one code point */
  uint8_t u16[] = {0x3d, 0xd8, 0x00, 0xde, 'x', 0};
  memset(&o, 0, sizeof o);
  o.type = CRV_OBJ_UNICODE27;
  o.kind = 2;
  o.ascii = -1;
  o.data = u16;
  o.data_len = sizeof u16;
  memset(&v, 0, sizeof v);
  CHECK(crvi_grep_object(s, &scratch, &o, vm_cb, &v, NULL) == CRV_OK);
  CHECK_EQ_U64(v.n, 1);
  CHECK_EQ_U64(v.off[0], 0);
  CHECK_EQ_U64(v.len[0], 2);

  /* bytes: searched as bytes, offsets in bytes */
  const uint8_t b[] = {0xff, 'c', 'a', 'f', 0xc3, 0xa9, 0};
  memset(&o, 0, sizeof o);
  o.type = CRV_OBJ_BYTES;
  o.kind = 1;
  o.data = b;
  o.data_len = 6;
  memset(&v, 0, sizeof v);
  CHECK(crvi_grep_object(s, &scratch, &o, vm_cb, &v, NULL) == CRV_OK);
  /* caf\x{e9} is the byte 0xe9 and CAFÉ does not fold UTF-8 bytes: only (?i)AF\xc3 */
  CHECK_EQ_U64(v.n, 1);
  CHECK_EQ_U64(v.off[0], 2);
  CHECK_EQ_U64(v.len[0], 3);
  crvi_buf_free(&scratch);
  crvi_search_destroy(s);
}

/* ---- raw streams --------------------------------------------------------------------------- */

struct mem {
  const uint8_t *p;
  uint64_t base;
  size_t len, hole; /* reads at or past base + hole fail */
};

static size_t mem_read(void *user, uint64_t addr, void *buf, size_t len)
{
  struct mem *m = user;
  if (addr < m->base || addr - m->base >= m->hole)
    return 0;
  size_t off = (size_t)(addr - m->base);
  if (len > m->hole - off)
    len = m->hole - off;
  memcpy(buf, m->p + off, len);
  return len;
}

struct hits {
  size_t n, cap;
  uint64_t *addr, *len;
  size_t *pat;
};

static int hit_cb(void *user, size_t pat, uint64_t addr, uint64_t len)
{
  struct hits *h = user;
  if (h->n == h->cap) {
    h->cap = h->cap ? 2 * h->cap : 64;
    h->addr = realloc(h->addr, h->cap * sizeof *h->addr);
    h->len = realloc(h->len, h->cap * sizeof *h->len);
    h->pat = realloc(h->pat, h->cap * sizeof *h->pat);
  }
  h->addr[h->n] = addr;
  h->len[h->n] = len;
  h->pat[h->n] = pat;
  h->n++;
  return 0;
}

static void hits_free(struct hits *h)
{
  free(h->addr);
  free(h->len);
  free(h->pat);
  memset(h, 0, sizeof *h);
}

static struct crvi_stream_stats run(struct crvi_search *s, struct mem *m, size_t chunk,
                                    size_t max_match, struct hits *h)
{
  struct crvi_stream_stats st;
  memset(&st, 0, sizeof st);
  struct crvi_stream cfg = {.start = m->base, .end = m->base + m->len, .chunk = chunk,
                            .max_match = max_match, .read = mem_read, .read_user = m,
                            .hit = hit_cb, .hit_user = h};
  CHECK(crvi_search_stream(s, &cfg, &st) == CRV_OK);
  return st;
}

static int same(const struct hits *a, const struct hits *b)
{
  if (a->n != b->n)
    return 0;
  for (size_t i = 0; i < a->n; i++)
    if (a->addr[i] != b->addr[i] || a->len[i] != b->len[i] || a->pat[i] != b->pat[i])
      return 0;
  return 1;
}

static void test_stream(void)
{
  /* pseudo-random bytes with markers, long runs and word boundaries planted everywhere */
  enum { N = 200000 };
  uint8_t *buf = malloc(N);
  uint32_t x = 12345;
  for (size_t i = 0; i < N; i++) {
    x = x * 1103515245u + 12345u;
    buf[i] = (uint8_t)(x >> 16);
  }
  size_t planted = 1;
  memcpy(buf + 100000, "MARKER-", 7); /* one run far longer than the lookahead */
  memset(buf + 100007, 'z', 20000);
  buf[120007] = ' ';
  for (size_t at = 17; at + 600 < N; at += 997 + (at % 61)) {
    if (at + 600 >= 100000 && at < 120100)
      continue;
    memcpy(buf + at, "MARKER-", 7);
    size_t run = 1 + at % 500; /* some runs far longer than small chunks */
    memset(buf + at + 7, 'z', run);
    buf[at + 7 + run] = ' ';
    planted++;
  }
  const char *pats[] = {"MARKER-z+", "(?<=MARKER-)zz\\b", "z{3}", "\\bMARKER"};
  struct crvi_search *s = make(CRVI_SEARCH_NO_TEXT, pats, 4, 0);
  struct mem m = {buf, 0x7f0000001000ull, N, N};
  struct hits whole = {0};
  struct crvi_stream_stats st = run(s, &m, N, CRV_GREP_DEFAULT_MAX_MATCH, &whole);
  CHECK(whole.n > 3 * planted);
  CHECK_EQ_U64(st.truncated, 0);
  /* count the first pattern's hits: one per planted marker, each its full run */
  size_t p0 = 0;
  for (size_t i = 0; i < whole.n; i++)
    if (whole.pat[i] == 0) {
      p0++;
      CHECK(whole.len[i] >= 8);
      CHECK(memcmp(buf + (whole.addr[i] - m.base), "MARKER-z", 8) == 0);
    }
  CHECK_EQ_U64(p0, planted);
  /* ordered by address, then pattern */
  for (size_t i = 1; i < whole.n; i++)
    CHECK(whole.addr[i - 1] < whole.addr[i] ||
          (whole.addr[i - 1] == whole.addr[i] && whole.pat[i - 1] < whole.pat[i]));
  static const size_t chunks[] = {64, 65, 100, 333, 4096, 4095, 65536};
  for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
    struct hits h = {0};
    run(s, &m, chunks[c], CRV_GREP_DEFAULT_MAX_MATCH, &h);
    if (!same(&whole, &h))
      fprintf(stderr, "  chunk %zu: %zu hits, whole %zu\n", chunks[c], h.n, whole.n);
    CHECK(same(&whole, &h));
    hits_free(&h);
  }
  /* --max-match below the longest run: it is cut, identically at every chunk size */
  struct hits cut1 = {0}, cut2 = {0};
  struct crvi_stream_stats s1 = run(s, &m, N, 5000, &cut1);
  struct crvi_stream_stats s2 = run(s, &m, 64, 5000, &cut2);
  CHECK_EQ_U64(s1.truncated, s2.truncated);
  CHECK(s2.truncated > 0);
  CHECK(same(&cut1, &cut2));
  for (size_t i = 0; i < cut1.n; i++)
    CHECK(cut1.len[i] <= 5000);
  hits_free(&cut1);
  hits_free(&cut2);
  /* a hole ends the range: matches before it only */
  struct mem mh = m;
  mh.hole = N / 2;
  struct hits hh = {0};
  st = run(s, &mh, 4096, CRV_GREP_DEFAULT_MAX_MATCH, &hh);
  CHECK_EQ_U64(st.holes, 1);
  CHECK(hh.n > 0 && hh.n < whole.n);
  for (size_t i = 0; i < hh.n; i++)
    CHECK(hh.addr[i] + hh.len[i] <= m.base + N / 2);
  hits_free(&hh);
  hits_free(&whole);
  crvi_search_destroy(s);

  /* hex patterns over the same memory equal their regex spelling */
  const char *hx[] = {"4d 41 52 4b 45 52 2d 7a 7a ?? 7a"};
  const char *rx[] = {"MARKER-zz(?s:.)z"};
  struct crvi_search *a = make(0, hx, 1, 1), *b = make(CRVI_SEARCH_NO_TEXT, rx, 1, 0);
  struct hits ha = {0}, hb = {0};
  run(a, &m, 100, 1000, &ha);
  run(b, &m, N, 1000, &hb);
  CHECK(ha.n > 0);
  CHECK(same(&ha, &hb));
  hits_free(&ha);
  hits_free(&hb);
  crvi_search_destroy(a);
  crvi_search_destroy(b);
  free(buf);
}

/* ^, \A and $ see the region's own start and end, never a chunk's */
static void test_anchors(void)
{
  uint8_t buf[3000];
  memset(buf, 'a', sizeof buf);
  const char *pats[] = {"^a", "\\Aa", "a$", "a\\z"};
  struct crvi_search *s = make(CRVI_SEARCH_NO_TEXT, pats, 4, 0);
  struct mem m = {buf, 4096, sizeof buf, sizeof buf};
  static const size_t chunks[] = {64, 100, 3000};
  for (size_t c = 0; c < 3; c++) {
    struct hits h = {0};
    run(s, &m, chunks[c], 1000, &h);
    CHECK_EQ_U64(h.n, 4);
    if (h.n == 4) {
      CHECK_EQ_U64(h.addr[0], 4096);
      CHECK_EQ_U64(h.addr[1], 4096);
      CHECK_EQ_U64(h.addr[2], 4096 + sizeof buf - 1);
      CHECK_EQ_U64(h.addr[3], 4096 + sizeof buf - 1);
    }
    hits_free(&h);
  }
  crvi_search_destroy(s);
}

int main(void)
{
  test_hex();
  test_compile_errors();
  test_value();
  test_grep_object();
  test_stream();
  test_anchors();
  return CHECK_DONE();
}
