/* SPDX-License-Identifier: MIT */
/* PCRE2 pattern sets: compilation (regex and hex), value search and chunked raw search. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "search/search.h"
#include "util/hex.h"

#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/limits.h"

struct pattern {
  char *source;      /* as given, NUL-terminated (owned) */
  int kind;          /* enum crvi_pat_kind */
  pcre2_code *text;  /* UTF mode, for decoded text; NULL for hex patterns */
  pcre2_code *bin;   /* byte mode: binary values and raw memory */
};

struct crvi_search {
  unsigned flags;
  struct pattern *p;
  size_t n, cap;
  int jit;                    /* every program is JIT-compiled */
  size_t lookbehind;          /* bytes kept before a chunk (max lookbehind + 1) */
  pcre2_match_data *md;
  pcre2_match_context *mctx;
  pcre2_jit_stack *jstack;
  /* Raw search state. */
  uint64_t *next;             /* per pattern: where its next search starts */
  uint8_t *buf, *wbuf;        /* chunk buffer, long-match window */
  size_t buf_cap, wbuf_cap;
  struct hit { uint64_t addr, len; size_t pat; } *hits;
  size_t n_hits, hits_cap;
  char err[512];
};

static void set_err(struct crvi_search *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_err(struct crvi_search *s, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->err, sizeof s->err, fmt, ap);
  va_end(ap);
}

crv_err crvi_search_create(struct crvi_search **out, unsigned flags)
{
  if (!out)
    return CRV_ERR_INVALID_ARG;
  *out = NULL;
  struct crvi_search *s = calloc(1, sizeof *s);
  if (!s)
    return CRV_ERR_NOMEM;
  s->flags = flags;
  s->lookbehind = 16;
  uint32_t have_jit = 0;
  if (pcre2_config(PCRE2_CONFIG_JIT, &have_jit) < 0)
    have_jit = 0;
  s->jit = have_jit && !(flags & CRVI_SEARCH_NO_JIT);
  s->md = pcre2_match_data_create(1, NULL);
  s->mctx = pcre2_match_context_create(NULL);
  if (!s->md || !s->mctx) {
    crvi_search_destroy(s);
    return CRV_ERR_NOMEM;
  }
  pcre2_set_match_limit(s->mctx, CRV_GREP_MATCH_LIMIT);
  pcre2_set_depth_limit(s->mctx, CRV_GREP_DEPTH_LIMIT);
  if (s->jit) {
    s->jstack = pcre2_jit_stack_create(32u << 10, CRV_GREP_JIT_STACK, NULL);
    if (s->jstack)
      pcre2_jit_stack_assign(s->mctx, NULL, s->jstack);
  }
  *out = s;
  return CRV_OK;
}

void crvi_search_destroy(struct crvi_search *s)
{
  if (!s)
    return;
  for (size_t i = 0; i < s->n; i++) {
    free(s->p[i].source);
    pcre2_code_free(s->p[i].text);
    pcre2_code_free(s->p[i].bin);
  }
  free(s->p);
  pcre2_match_data_free(s->md);
  pcre2_match_context_free(s->mctx);
  pcre2_jit_stack_free(s->jstack);
  free(s->next);
  free(s->buf);
  free(s->wbuf);
  free(s->hits);
  free(s);
}

size_t crvi_search_count(const struct crvi_search *s)
{
  return s ? s->n : 0;
}

const char *crvi_search_pattern(const struct crvi_search *s, size_t i)
{
  return s && i < s->n ? s->p[i].source : NULL;
}

int crvi_search_jit(const struct crvi_search *s)
{
  return s && s->jit;
}

const char *crvi_search_errmsg(const struct crvi_search *s)
{
  return s ? s->err : "";
}

/* ---- hex patterns -------------------------------------------------------------------- */

struct sink {
  char *p;
  size_t len, cap;
  int full;
};

static void put(struct sink *k, const char *s)
{
  size_t n = strlen(s);
  if (k->full || n >= k->cap - k->len) {
    k->full = 1;
    return;
  }
  memcpy(k->p + k->len, s, n + 1);
  k->len += n;
}

/* A bounded decimal number at h[*i]; -1 when absent or too large. */
static long hex_num(const char *h, size_t len, size_t *i)
{
  long v = 0;
  size_t start = *i;
  while (*i < len && h[*i] >= '0' && h[*i] <= '9') {
    v = v * 10 + (h[*i] - '0');
    if (v > 65535)
      return -1;
    (*i)++;
  }
  return *i > start ? v : -1;
}

int crvi_hex_to_regex(const char *h, size_t len, char *out, size_t cap, char *err,
                      size_t errcap)
{
  struct sink k = {out, 0, cap, 0};
  int depth = 0, atoms = 0;
  char tmp[64];
  if (cap == 0)
    return -1;
  out[0] = '\0';
  for (size_t i = 0; i < len;) {
    char c = h[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
      i++;
      continue;
    }
    if (c == '(') {
      put(&k, "(?:");
      depth++;
      i++;
      continue;
    }
    if (c == ')' || c == '|') {
      if (depth == 0) {
        snprintf(err, errcap, "'%c' at offset %zu outside parentheses", c, i);
        return -1;
      }
      if (c == ')')
        depth--;
      put(&k, c == ')' ? ")" : "|");
      i++;
      continue;
    }
    if (c == '[') { /* a jump: [N] or [N-M] bytes of anything */
      size_t at = i++;
      long lo = hex_num(h, len, &i), hi = lo;
      if (i < len && h[i] == '-') {
        i++;
        hi = hex_num(h, len, &i);
      }
      if (lo < 0 || hi < lo || i >= len || h[i] != ']') {
        snprintf(err, errcap, "bad jump at offset %zu: use [N] or [N-M], N <= M <= 65535", at);
        return -1;
      }
      i++;
      snprintf(tmp, sizeof tmp, "(?s:.){%ld,%ld}", lo, hi);
      put(&k, tmp);
      atoms++;
      continue;
    }
    if (i + 1 >= len) {
      snprintf(err, errcap, "odd number of hex digits at offset %zu", i);
      return -1;
    }
    char c2 = h[i + 1];
    int hi = crv_hexval((unsigned char)c), lo = crv_hexval((unsigned char)c2);
    if ((hi < 0 && c != '?') || (lo < 0 && c2 != '?')) {
      snprintf(err, errcap, "'%c%c' at offset %zu is not a hex byte, ?? or a nibble wildcard",
               c, c2, i);
      return -1;
    }
    if (hi >= 0 && lo >= 0) {
      snprintf(tmp, sizeof tmp, "\\x%02x", (unsigned)(hi << 4 | lo));
    } else if (hi < 0 && lo < 0) {
      snprintf(tmp, sizeof tmp, "(?s:.)");
    } else if (lo < 0) { /* "4?": 0x40-0x4f */
      snprintf(tmp, sizeof tmp, "[\\x%02x-\\x%02x]", (unsigned)(hi << 4), (unsigned)(hi << 4 | 15));
    } else { /* "?8": 0x08, 0x18, ... 0xf8 */
      put(&k, "[");
      for (unsigned n = 0; n < 16; n++) {
        snprintf(tmp, sizeof tmp, "\\x%02x", n << 4 | (unsigned)lo);
        put(&k, tmp);
      }
      snprintf(tmp, sizeof tmp, "]");
    }
    put(&k, tmp);
    atoms++;
    i += 2;
  }
  if (depth) {
    snprintf(err, errcap, "unclosed '('");
    return -1;
  }
  if (!atoms) {
    snprintf(err, errcap, "no byte in the hex pattern");
    return -1;
  }
  if (k.full) {
    snprintf(err, errcap, "hex pattern too long");
    return -1;
  }
  return 0;
}

/* ---- compilation --------------------------------------------------------------------- */

static pcre2_code *compile(struct crvi_search *s, const char *src, size_t len, uint32_t opts,
                           const char *what, const char *shown)
{
  int ec;
  PCRE2_SIZE eo;
  pcre2_code *c = pcre2_compile((PCRE2_SPTR)src, len, opts, &ec, &eo, NULL);
  if (!c) {
    PCRE2_UCHAR msg[256];
    if (pcre2_get_error_message(ec, msg, sizeof msg) < 0)
      snprintf((char *)msg, sizeof msg, "error %d", ec);
    set_err(s, "pattern '%.200s': %s at offset %zu%s", shown, (const char *)msg, (size_t)eo,
            what);
    return NULL;
  }
  if (s->jit) {
    /* partial matching finds matches that run past a chunk (crvi_search_stream) */
    if (pcre2_jit_compile(c, PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_HARD) != 0)
      s->jit = 0; /* the interpreter runs it; report JIT as off */
  }
  return c;
}

crv_err crvi_search_add(struct crvi_search *s, const char *pattern, size_t len,
                        enum crvi_pat_kind kind)
{
  if (!s || !pattern)
    return CRV_ERR_INVALID_ARG;
  s->err[0] = '\0';
  if (s->n >= CRV_MAX_PATTERNS) {
    set_err(s, "more than %u patterns", CRV_MAX_PATTERNS);
    return CRV_ERR_LIMIT;
  }
  if (len > CRV_MAX_PATTERN_LEN) {
    set_err(s, "a pattern is longer than %u bytes", CRV_MAX_PATTERN_LEN);
    return CRV_ERR_LIMIT;
  }
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 8;
    struct pattern *p = realloc(s->p, cap * sizeof *p);
    if (!p)
      return CRV_ERR_NOMEM;
    s->p = p;
    s->cap = cap;
  }
  struct pattern *p = &s->p[s->n];
  memset(p, 0, sizeof *p);
  p->kind = kind;
  p->source = malloc(len + 1);
  if (!p->source)
    return CRV_ERR_NOMEM;
  memcpy(p->source, pattern, len);
  p->source[len] = '\0';
  crv_err e = CRV_ERR_REGEX;
  if (kind == CRVI_PAT_HEX) {
    size_t cap = len * 80 + 16; /* "?8" expands to 82 bytes per 2 input bytes */
    char *re = malloc(cap);
    char why[160];
    if (!re) {
      e = CRV_ERR_NOMEM;
      goto fail;
    }
    if (crvi_hex_to_regex(pattern, len, re, cap, why, sizeof why) != 0) {
      set_err(s, "hex pattern '%.200s': %s", p->source, why);
      free(re);
      goto fail;
    }
    p->bin = compile(s, re, strlen(re), 0, "", p->source);
    free(re);
    if (!p->bin)
      goto fail;
  } else {
    uint32_t ci = (s->flags & CRVI_SEARCH_CASELESS) ? PCRE2_CASELESS : 0;
    if (!(s->flags & CRVI_SEARCH_NO_TEXT)) {
      p->text = compile(s, pattern, len, ci | PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF,
                        "", p->source);
      if (!p->text)
        goto fail;
    }
    p->bin = compile(s, pattern, len, ci, p->text ? "" : " (raw memory is searched as bytes)",
                     p->source);
    if (!p->bin && !p->text)
      goto fail;
    /* \x{400} and the like exist only in UTF mode: binary values are then searched as
     * UTF-8 with the text program (invalid sequences never match) */
    s->err[0] = '\0';
  }
  uint32_t lb = 0;
  if (pcre2_pattern_info(p->bin ? p->bin : p->text, PCRE2_INFO_MAXLOOKBEHIND, &lb) != 0)
    lb = 0;
  if (lb >= CRV_GREP_MAX_LOOKBEHIND) {
    set_err(s, "pattern '%.200s': lookbehind of %u bytes (at most %u)", p->source, lb,
            CRV_GREP_MAX_LOOKBEHIND - 1);
    goto fail;
  }
  if (lb + 1u > s->lookbehind)
    s->lookbehind = lb + 1u;
  s->n++;
  return CRV_OK;
fail:
  free(p->source);
  pcre2_code_free(p->text);
  pcre2_code_free(p->bin);
  memset(p, 0, sizeof *p);
  return e;
}

/* ---- values -------------------------------------------------------------------------- */

crv_err crvi_search_value(struct crvi_search *s, size_t pat, const uint8_t *subj, size_t len,
                          int text, crvi_span_fn fn, void *user)
{
  static const uint8_t empty[1];
  if (!s || pat >= s->n || (!subj && len))
    return CRV_ERR_INVALID_ARG;
  const pcre2_code *c = (text && s->p[pat].text) || !s->p[pat].bin ? s->p[pat].text
                                                                      : s->p[pat].bin;
  int utf = c == s->p[pat].text;
  if (!subj)
    subj = empty;
  size_t pos = 0;
  while (pos <= len) {
    int rc = pcre2_match(c, subj, len, pos, 0, s->md, s->mctx);
    if (rc == PCRE2_ERROR_NOMATCH)
      return CRV_OK;
    if (rc < 0)
      return CRV_ERR_LIMIT; /* match or depth limit, JIT stack: give up on this value */
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
    size_t ms = ov[0], me = ov[1];
    if (ms > len || me > len || me < ms) /* \K in a lookahead can do this */
      return CRV_OK;
    if (me == ms) { /* empty: not reported; step one character */
      pos = ms + 1;
      while (utf && pos < len && (subj[pos] & 0xC0) == 0x80)
        pos++;
      continue;
    }
    if (fn(user, pat, ms, me))
      return CRV_ERR_ABORTED;
    pos = me;
  }
  return CRV_OK;
}

static int stop_at_first(void *user, size_t pat, size_t start, size_t end)
{
  (void)user, (void)pat, (void)start, (void)end;
  return 1;
}

crv_err crvi_search_filter(struct crvi_search **out, const char *regex)
{
  crv_err e = crvi_search_create(out, CRVI_SEARCH_NO_TEXT);
  if (e == CRV_OK)
    e = crvi_search_add(*out, regex, strlen(regex), CRVI_PAT_REGEX);
  return e;
}

int crvi_search_filter_match(struct crvi_search *f, const char *name)
{
  return crvi_search_value(f, 0, (const uint8_t *)name, strlen(name), 0, stop_at_first, NULL) ==
         CRV_ERR_ABORTED;
}

/* ---- raw memory ---------------------------------------------------------------------- */

static int grow(uint8_t **p, size_t *cap, size_t need)
{
  if (need <= *cap)
    return 0;
  uint8_t *n = realloc(*p, need);
  if (!n)
    return -1;
  *p = n;
  *cap = need;
  return 0;
}

static int hit_cmp(const void *a, const void *b)
{
  const struct hit *x = a, *y = b;
  if (x->addr != y->addr)
    return x->addr < y->addr ? -1 : 1;
  return x->pat < y->pat ? -1 : x->pat > y->pat;
}

/* Delivers the buffered hits in address order. */
static crv_err flush_hits(struct crvi_search *s, const struct crvi_stream *st,
                          struct crvi_stream_stats *stats)
{
  if (s->n_hits == 0)
    return CRV_OK;
  qsort(s->hits, s->n_hits, sizeof *s->hits, hit_cmp);
  size_t n = s->n_hits;
  s->n_hits = 0;
  for (size_t i = 0; i < n; i++) {
    stats->matches++;
    if (st->hit(st->hit_user, s->hits[i].pat, s->hits[i].addr, s->hits[i].len))
      return CRV_ERR_ABORTED;
  }
  return CRV_OK;
}

static crv_err add_hit(struct crvi_search *s, const struct crvi_stream *st,
                       struct crvi_stream_stats *stats, size_t pat, uint64_t addr, uint64_t len)
{
  if (s->n_hits == s->hits_cap) {
    if (s->hits_cap >= CRV_GREP_CHUNK_HITS) {
      crv_err e = flush_hits(s, st, stats);
      if (e)
        return e;
    } else {
      size_t cap = s->hits_cap ? 2 * s->hits_cap : 256;
      struct hit *h = realloc(s->hits, cap * sizeof *h);
      if (!h)
        return CRV_ERR_NOMEM;
      s->hits = h;
      s->hits_cap = cap;
    }
  }
  s->hits[s->n_hits++] = (struct hit){addr, len, pat};
  return CRV_OK;
}

/* Reads [a, b) into *buf; returns the bytes read. */
static size_t fill(const struct crvi_stream *st, uint8_t *buf, uint64_t a, uint64_t b)
{
  size_t want = (size_t)(b - a), got = 0;
  while (got < want) {
    size_t n = st->read(st->read_user, a + got, buf + got, want - got);
    if (n == 0)
      break;
    got += n;
  }
  return got;
}

/* One search of pattern pat from absolute position pos in the window [w0, w1) held in
 * buf. Returns the PCRE2 code; *ms, *me absolute on a match or partial match. */
static int search_at(struct crvi_search *s, size_t pat, const uint8_t *buf, uint64_t w0,
                     uint64_t w1, uint64_t pos, uint32_t opts, uint64_t *ms, uint64_t *me)
{
  int rc = pcre2_match(s->p[pat].bin, buf, (size_t)(w1 - w0), (size_t)(pos - w0), opts, s->md,
                       s->mctx);
  if (rc >= 0 || rc == PCRE2_ERROR_PARTIAL) {
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
    *ms = w0 + ov[0];
    *me = w0 + ov[1];
    if (rc >= 0 && (ov[0] > w1 - w0 || ov[1] > w1 - w0 || ov[1] < ov[0]))
      return PCRE2_ERROR_NOMATCH; /* \K oddities: nothing sensible to report */
  }
  return rc;
}

crv_err crvi_search_stream(struct crvi_search *s, const struct crvi_stream *st,
                           struct crvi_stream_stats *stats)
{
  if (!s || !st || !st->read || !st->hit || !stats || st->chunk == 0 || st->max_match == 0 ||
      st->end < st->start)
    return CRV_ERR_INVALID_ARG;
  if (s->n == 0 || st->end == st->start)
    return CRV_OK;
  const uint64_t R0 = st->start;
  uint64_t R1 = st->end;
  const size_t LB = s->lookbehind, LA = CRV_GREP_LOOKAHEAD;
  if (grow(&s->buf, &s->buf_cap, st->chunk + LB + LA) != 0)
    return CRV_ERR_NOMEM;
  free(s->next);
  s->next = calloc(s->n, sizeof *s->next);
  if (!s->next)
    return CRV_ERR_NOMEM;
  s->n_hits = 0;
  crv_err e = CRV_OK;
  for (uint64_t S = R0; S < R1 && e == CRV_OK;) {
    if (st->stop && *st->stop)
      return CRV_ERR_ABORTED;
    uint64_t E = R1 - S > st->chunk ? S + st->chunk : R1;
    uint64_t B0 = S - R0 > LB ? S - LB : R0;
    uint64_t B1 = R1 - E > LA ? E + LA : R1;
    size_t got = fill(st, s->buf, B0, B1);
    if (got < B1 - B0) { /* a hole: the range ends at the last byte read */
      stats->holes++;
      R1 = B0 + got;
      if (R1 <= S)
        break;
      B1 = R1;
      if (E > R1)
        E = R1;
    }
    stats->bytes += E - S;
    for (size_t p = 0; p < s->n && e == CRV_OK; p++) {
      uint64_t pos = s->next[p] > S ? s->next[p] : S;
      while (pos < E) {
        uint64_t ms = 0, me = 0;
        uint32_t opt = B1 < R1 ? PCRE2_PARTIAL_HARD : 0;
        int rc = search_at(s, p, s->buf, B0, B1, pos, opt, &ms, &me);
        if ((rc == PCRE2_ERROR_PARTIAL || (rc >= 0 && me - ms > st->max_match)) && ms < E) {
          /* A match that may run past the buffer, or one longer than max_match: search
           * again in a window set only by where it starts, [.., start + max_match), so
           * that the result does not depend on the chunking (a longer match is cut). */
          uint64_t W0 = pos - R0 > LB ? pos - LB : R0;
          uint64_t W1 = R1 - ms > st->max_match ? ms + st->max_match : R1;
          if (grow(&s->wbuf, &s->wbuf_cap, (size_t)(W1 - W0)) != 0)
            return CRV_ERR_NOMEM;
          size_t wgot = fill(st, s->wbuf, W0, W1);
          if (wgot < W1 - W0)
            W1 = W0 + wgot; /* a hole (a process that went away): searched as the end */
          if (W1 <= pos)
            break;
          rc = search_at(s, p, s->wbuf, W0, W1, pos, W1 < R1 ? PCRE2_PARTIAL_HARD : 0, &ms, &me);
          if (rc == PCRE2_ERROR_PARTIAL) {
            rc = search_at(s, p, s->wbuf, W0, W1, pos, PCRE2_NOTEOL, &ms, &me);
            if (rc >= 0 && me > ms && ms < E)
              stats->truncated++;
          }
        } else if (rc == PCRE2_ERROR_PARTIAL) {
          break; /* starts in a later chunk, which will find it */
        }
        if (rc == PCRE2_ERROR_NOMATCH)
          break;
        if (rc < 0) { /* match limit on hostile bytes: give up on this chunk */
          stats->errors++;
          break;
        }
        if (ms >= E)
          break;
        if (me == ms) {
          pos = ms + 1;
          continue;
        }
        if ((e = add_hit(s, st, stats, p, ms, me - ms)) != CRV_OK)
          break;
        pos = me;
        s->next[p] = me;
      }
    }
    if (e == CRV_OK)
      e = flush_hits(s, st, stats);
    S = E;
  }
  return e;
}
