/* SPDX-License-Identifier: MIT */
/* Code signatures: the parser and the matcher (see sig.h; the format is documented in
 * signatures/README.md). */
#define _POSIX_C_SOURCE 200809L /* strdup, strndup */
#include "disasm/sig.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "search/search.h"

/* ---- the compiled form ----------------------------------------------------------------- */

enum { V_ANY = 0, V_EXACT = 1, V_VAR = 2 };

struct regpat {     /* a register operand, or a base or index register */
  uint8_t kind;     /* V_ANY (%*), V_EXACT, V_VAR */
  uint8_t bits;     /* required width (0: any) */
  uint8_t var;      /* V_VAR: variable index */
  uint16_t reg;     /* V_EXACT */
};

struct numpat {     /* an immediate or a displacement */
  uint8_t kind;     /* V_ANY ($*), V_EXACT, V_VAR */
  uint8_t var;
  uint8_t ranged;
  int64_t val, lo, hi;
};

enum { O_ANY = 0, O_REG, O_IMM, O_MEM, O_MEM_ANY };

struct oppat {
  uint8_t kind;
  uint8_t size;               /* O_MEM: access size in bytes, 0 any */
  struct regpat reg;          /* O_REG */
  struct numpat num;          /* O_IMM, O_MEM displacement */
  uint8_t has_base, has_index;
  struct regpat base, index;
  int8_t scale;               /* 0: any (index given without a scale means 1) */
  uint8_t seg_any;            /* segment not constrained */
};

struct insnpat {
  int any_mnemonic;
  uint8_t *ids;               /* bitmap over instruction ids (NULL when any) */
  int check_ops, rest;        /* operands given; "..." ends them */
  uint8_t n_ops;
  struct oppat op[CRVI_INSN_MAX_OPS];
};

struct line {
  unsigned src;               /* source line number */
  int gap;
  unsigned gmin, gmax;        /* gap: instructions skipped */
  struct insnpat *pat;        /* alternatives (insn) or forbidden patterns (gap) */
  size_t n_pat;
};

#define FACT_CONST 0xFFu /* struct fact.var of a constant fact */

struct fact {
  char *key;
  uint8_t var;
  int64_t add;
};

struct sig {
  struct crvi_sig_info info;
  char *name, *description, *severity, *file, *library;
  char *symbols[CRVI_SIG_MAX_SYMBOLS];
  char *reg_var[CRVI_SIG_MAX_VARS], *num_var[CRVI_SIG_MAX_VARS];
  char *fact_key[CRVI_SIG_MAX_FACTS];
  struct fact facts[CRVI_SIG_MAX_FACTS];
  size_t n_facts;
  char **refs;
  size_t n_refs;
  struct line lines[CRV_SIG_MAX_LINES];
  unsigned line_no[CRV_SIG_MAX_LINES];
  size_t n_lines;
  struct crvi_search *lib;    /* compiled library regex */
  size_t span;
};

struct crvi_sigset {
  struct crvi_disasm *d;      /* for names: mnemonics and registers */
  unsigned n_ids;
  struct sig **sigs;
  size_t n, cap;
  char err[512];
};

static void sig_free(struct sig *g)
{
  if (!g)
    return;
  free(g->name);
  free(g->description);
  free(g->severity);
  free(g->file);
  free(g->library);
  for (size_t i = 0; i < CRVI_SIG_MAX_SYMBOLS; i++)
    free(g->symbols[i]);
  for (size_t i = 0; i < CRVI_SIG_MAX_VARS; i++) {
    free(g->reg_var[i]);
    free(g->num_var[i]);
  }
  for (size_t i = 0; i < g->n_facts; i++)
    free(g->facts[i].key);
  for (size_t i = 0; i < g->n_refs; i++)
    free(g->refs[i]);
  free(g->refs);
  for (size_t i = 0; i < g->n_lines; i++) {
    for (size_t k = 0; k < g->lines[i].n_pat; k++)
      free(g->lines[i].pat[k].ids);
    free(g->lines[i].pat);
  }
  crvi_search_destroy(g->lib);
  free(g);
}

crv_err crvi_sigset_create(struct crvi_sigset **out)
{
  if (!out)
    return CRV_ERR_INVALID_ARG;
  *out = NULL;
  struct crvi_sigset *s = calloc(1, sizeof *s);
  if (!s)
    return CRV_ERR_NOMEM;
  crv_err e = crvi_disasm_open(&s->d, CRVI_ARCH_X86_64); /* ids are shared by both modes */
  if (e != CRV_OK) {
    free(s);
    return e;
  }
  s->n_ids = crvi_disasm_insn_limit(s->d);
  *out = s;
  return CRV_OK;
}

void crvi_sigset_destroy(struct crvi_sigset *s)
{
  if (!s)
    return;
  for (size_t i = 0; i < s->n; i++)
    sig_free(s->sigs[i]);
  free(s->sigs);
  crvi_disasm_close(s->d);
  free(s);
}

const char *crvi_sigset_errmsg(const struct crvi_sigset *s)
{
  return s ? s->err : "";
}

size_t crvi_sigset_count(const struct crvi_sigset *s)
{
  return s ? s->n : 0;
}

const struct crvi_sig_info *crvi_sigset_info(const struct crvi_sigset *s, size_t i)
{
  return s && i < s->n ? &s->sigs[i]->info : NULL;
}

size_t crvi_sig_span(const struct crvi_sigset *s, size_t i)
{
  return s && i < s->n ? s->sigs[i]->span : 0;
}

/* ---- parsing --------------------------------------------------------------------------- */

struct parser {
  struct crvi_sigset *set;
  const char *origin;
  unsigned line;
  int in_code;          /* parsing code lines: variables seen are "used" */
  uint32_t num_used;    /* numeric variables that appear in the code */
  struct sig *g;
  char *err;
  size_t errcap;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *p, const char *fmt, ...)
{
  char msg[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(p->err, p->errcap, "%s:%u: %s", p->origin, p->line, msg);
  return -1;
}

static int is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

static const char *skip_ws(const char *s, const char *e)
{
  while (s < e && is_space(*s))
    s++;
  return s;
}

static const char *trim_end(const char *s, const char *e)
{
  while (e > s && is_space(e[-1]))
    e--;
  return e;
}

static int is_word_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

/* A number: decimal or 0x hex, optional sign. Returns the characters used, 0 when none. */
static size_t parse_num(const char *s, const char *e, int64_t *out)
{
  const char *p = s;
  int neg = 0;
  if (p < e && (*p == '-' || *p == '+'))
    neg = *p++ == '-';
  uint64_t v = 0;
  int digits = 0;
  if (e - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    p += 2;
    while (p < e) {
      int d = (*p >= '0' && *p <= '9') ? *p - '0' : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
              : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10 : -1;
      if (d < 0)
        break;
      if (v >> 60)
        return 0;
      v = v << 4 | (uint64_t)d;
      p++;
      digits++;
    }
  } else {
    while (p < e && *p >= '0' && *p <= '9') {
      if (v > (UINT64_MAX - 9) / 10)
        return 0;
      v = v * 10 + (uint64_t)(*p++ - '0');
      digits++;
    }
  }
  if (!digits || (p < e && is_word_char(*p) && *p != '-' && *p != '.'))
    return 0;
  *out = neg ? -(int64_t)v : (int64_t)v;
  return (size_t)(p - s);
}

static int var_index(struct parser *p, char **names, const char *n, size_t len, uint8_t *out)
{
  for (unsigned i = 0; i < CRVI_SIG_MAX_VARS; i++) {
    if (!names[i]) {
      names[i] = strndup(n, len);
      if (!names[i])
        return fail(p, "out of memory");
      *out = (uint8_t)i;
      return 0;
    }
    if (strlen(names[i]) == len && memcmp(names[i], n, len) == 0) {
      *out = (uint8_t)i;
      return 0;
    }
  }
  return fail(p, "more than %d variables of one kind", CRVI_SIG_MAX_VARS);
}

/* A register pattern: "rax", "%name", "%name:32", "%*", "%*:64". */
static int parse_reg(struct parser *p, const char *s, const char *e, struct regpat *r)
{
  memset(r, 0, sizeof *r);
  if (s < e && *s == '%') {
    s++;
    const char *colon = memchr(s, ':', (size_t)(e - s));
    const char *ne = colon ? colon : e;
    if (colon) {
      int64_t b;
      if (parse_num(colon + 1, e, &b) != (size_t)(e - colon - 1) ||
          (b != 8 && b != 16 && b != 32 && b != 64))
        return fail(p, "register width '%.*s' is not 8, 16, 32 or 64", (int)(e - colon - 1),
                    colon + 1);
      r->bits = (uint8_t)b;
    }
    if (ne - s == 1 && *s == '*') {
      r->kind = V_ANY;
      return 0;
    }
    for (const char *q = s; q < ne; q++)
      if (!is_word_char(*q) || *q == '.' || *q == '-')
        return fail(p, "bad register variable '%%%.*s'", (int)(ne - s), s);
    if (ne == s)
      return fail(p, "register variable without a name");
    r->kind = V_VAR;
    return var_index(p, p->g->reg_var, s, (size_t)(ne - s), &r->var);
  }
  char name[16];
  if (e - s <= 0 || (size_t)(e - s) >= sizeof name)
    return fail(p, "'%.*s' is no register", (int)(e - s), s);
  memcpy(name, s, (size_t)(e - s));
  name[e - s] = '\0';
  for (char *c = name; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  unsigned id = crvi_disasm_reg(p->set->d, name);
  if (!id)
    return fail(p, "'%s' is no register", name);
  r->kind = V_EXACT;
  r->reg = (uint16_t)id;
  return 0;
}

/* A number pattern: "8", "-0x10", "$name", "$name:0..64", "$*". */
static int parse_numpat(struct parser *p, const char *s, const char *e, struct numpat *n)
{
  memset(n, 0, sizeof *n);
  if (s < e && *s == '$') {
    s++;
    if (e - s == 1 && *s == '*') {
      n->kind = V_ANY;
      return 0;
    }
    const char *colon = memchr(s, ':', (size_t)(e - s));
    const char *ne = colon ? colon : e;
    for (const char *q = s; q < ne; q++)
      if (!is_word_char(*q) || *q == '.' || *q == '-')
        return fail(p, "bad variable '$%.*s'", (int)(ne - s), s);
    if (ne == s)
      return fail(p, "variable without a name");
    if (colon) {
      const char *dots = NULL;
      for (const char *q = colon + 1; q + 1 < e; q++)
        if (q[0] == '.' && q[1] == '.') {
          dots = q;
          break;
        }
      if (!dots || parse_num(colon + 1, dots, &n->lo) != (size_t)(dots - colon - 1) ||
          parse_num(dots + 2, e, &n->hi) != (size_t)(e - dots - 2) || n->lo > n->hi)
        return fail(p, "bad range '%.*s' (use $name:LOW..HIGH)", (int)(e - colon - 1), colon + 1);
      n->ranged = 1;
    }
    n->kind = V_VAR;
    if (var_index(p, p->g->num_var, s, (size_t)(ne - s), &n->var) != 0)
      return -1;
    if (p->in_code)
      p->num_used |= 1u << n->var;
    return 0;
  }
  if (parse_num(s, e, &n->val) != (size_t)(e - s) || s == e)
    return fail(p, "'%.*s' is not a number, $variable or $*", (int)(e - s), s);
  n->kind = V_EXACT;
  return 0;
}

static int size_word(const char *s, size_t n, uint8_t *size)
{
  static const struct { const char *w; uint8_t b; } w[] = {
      {"byte", 1}, {"word", 2}, {"dword", 4}, {"qword", 8}, {"tbyte", 10}, {"xmmword", 16},
      {"ymmword", 32}};
  for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
    if (strlen(w[i].w) == n && memcmp(w[i].w, s, n) == 0) {
      *size = w[i].b;
      return 1;
    }
  return 0;
}

/* One operand pattern in [s, e) (trimmed). */
static int parse_op(struct parser *p, const char *s, const char *e, struct oppat *o)
{
  memset(o, 0, sizeof *o);
  o->seg_any = 1;
  if (e - s == 1 && *s == '*') {
    o->kind = O_ANY;
    return 0;
  }
  const char *br = memchr(s, '[', (size_t)(e - s));
  if (!br) {
    if (*s == '$' || *s == '-' || *s == '+' || (*s >= '0' && *s <= '9')) {
      o->kind = O_IMM;
      return parse_numpat(p, s, e, &o->num);
    }
    o->kind = O_REG;
    return parse_reg(p, s, e, &o->reg);
  }
  /* memory: [SIZE [ptr]] [SEG:] [ terms ] */
  const char *q = s;
  while (q < br) {
    q = skip_ws(q, br);
    const char *w = q;
    while (q < br && !is_space(*q) && *q != ':')
      q++;
    if (q == w)
      break;
    size_t wl = (size_t)(q - w);
    if (q < br && *q == ':') { /* a segment: accepted, not constrained */
      q++;
      continue;
    }
    if (wl == 3 && memcmp(w, "ptr", 3) == 0)
      continue;
    if (!size_word(w, wl, &o->size))
      return fail(p, "'%.*s' is not an operand size (byte, word, dword, qword, xmmword)",
                  (int)wl, w);
  }
  const char *close = trim_end(br, e);
  if (close <= br + 1 || close[-1] != ']')
    return fail(p, "memory operand '%.*s' does not end with ']'", (int)(e - s), s);
  const char *in = skip_ws(br + 1, close - 1), *ie = trim_end(in, close - 1);
  if (ie - in == 1 && *in == '*') {
    o->kind = O_MEM_ANY;
    return 0;
  }
  o->kind = O_MEM;
  o->num.kind = V_EXACT; /* no displacement written: it must be 0 */
  int have_disp = 0;
  int sign = 1;
  while (in < ie) {
    in = skip_ws(in, ie);
    if (*in == '+' || *in == '-') {
      sign = *in == '-' ? -1 : 1;
      in = skip_ws(in + 1, ie);
    }
    const char *t = in;
    while (in < ie && *in != '+' && !(*in == '-' && in > t && in[-1] != '*' && in[-1] != ':' &&
                                      in[-1] != '.'))
      in++;
    const char *te = trim_end(t, in);
    if (te == t)
      return fail(p, "empty term in memory operand '%.*s'", (int)(e - s), s);
    const char *star = NULL; /* the last '*': the scale separator of "REG*SCALE" */
    for (const char *c = t; c < te; c++)
      if (*c == '*')
        star = c;
    int is_num = *t == '$' || (*t >= '0' && *t <= '9');
    int any_reg = te - t >= 2 && t[0] == '%' && t[1] == '*'; /* "%*" or "%*:32" */
    if (star && !is_num && !(any_reg && star == t + 1)) {
      /* index*scale */
      if (o->has_index)
        return fail(p, "two index registers in '%.*s'", (int)(e - s), s);
      const char *re = trim_end(t, star);
      if (parse_reg(p, t, re, &o->index) != 0)
        return -1;
      int64_t sc;
      const char *ss = skip_ws(star + 1, te);
      if (te - ss == 1 && *ss == '*')
        o->scale = 0;
      else if (parse_num(ss, te, &sc) != (size_t)(te - ss) ||
               (sc != 1 && sc != 2 && sc != 4 && sc != 8))
        return fail(p, "index scale '%.*s' is not 1, 2, 4, 8 or *", (int)(te - ss), ss);
      else
        o->scale = (int8_t)sc;
      o->has_index = 1;
    } else if (is_num) {
      if (have_disp)
        return fail(p, "two displacements in '%.*s'", (int)(e - s), s);
      if (parse_numpat(p, t, te, &o->num) != 0)
        return -1;
      if (sign < 0) {
        if (o->num.kind != V_EXACT)
          return fail(p, "write a negative displacement as '+ $var' with a negative range");
        o->num.val = -o->num.val;
      }
      have_disp = 1;
    } else if (!o->has_base) {
      if (sign < 0)
        return fail(p, "a register cannot be subtracted");
      if (parse_reg(p, t, te, &o->base) != 0)
        return -1;
      o->has_base = 1;
    } else if (!o->has_index) {
      if (parse_reg(p, t, te, &o->index) != 0)
        return -1;
      o->has_index = 1;
      o->scale = 1;
    } else {
      return fail(p, "too many registers in '%.*s'", (int)(e - s), s);
    }
    sign = 1;
  }
  return 0;
}

static int glob_match(const char *pat, size_t pl, const char *name)
{
  size_t nl = strlen(name);
  if (pl && pat[pl - 1] == '*')
    return nl >= pl - 1 && memcmp(pat, name, pl - 1) == 0;
  return nl == pl && memcmp(pat, name, pl) == 0;
}

/* An instruction pattern: MNEMONICS [OPERAND, ...]. */
static int parse_insn(struct parser *p, const char *s, const char *e, struct insnpat *ip)
{
  memset(ip, 0, sizeof *ip);
  s = skip_ws(s, e);
  e = trim_end(s, e);
  if (s == e)
    return fail(p, "empty instruction pattern");
  const char *m = s;
  while (s < e && !is_space(*s))
    s++;
  const char *me = s;
  if (me - m == 1 && *m == '*') {
    ip->any_mnemonic = 1;
  } else {
    ip->ids = calloc((p->set->n_ids + 7) / 8, 1);
    if (!ip->ids)
      return fail(p, "out of memory");
    for (const char *a = m; a < me;) {
      const char *b = memchr(a, '|', (size_t)(me - a));
      if (!b)
        b = me;
      char lower[32];
      size_t l = (size_t)(b - a);
      if (l == 0 || l >= sizeof lower)
        return fail(p, "bad mnemonic '%.*s'", (int)(me - m), m);
      for (size_t k = 0; k < l; k++)
        lower[k] = (a[k] >= 'A' && a[k] <= 'Z') ? (char)(a[k] - 'A' + 'a') : a[k];
      int any = 0;
      for (unsigned id = 1; id < p->set->n_ids; id++) {
        const char *n = crvi_disasm_insn_name(p->set->d, id);
        if (n && glob_match(lower, l, n)) {
          ip->ids[id / 8] |= (uint8_t)(1u << (id % 8));
          any = 1;
        }
      }
      if (!any)
        return fail(p, "no instruction is named '%.*s'", (int)l, a);
      a = b + (b < me);
    }
  }
  s = skip_ws(s, e);
  if (s == e)
    return 0; /* operands are not checked */
  ip->check_ops = 1;
  int depth = 0;
  const char *t = s;
  for (const char *q = s; q <= e; q++) {
    if (q < e && *q == '[')
      depth++;
    else if (q < e && *q == ']')
      depth--;
    if (q < e && (*q != ',' || depth > 0))
      continue;
    const char *ts = skip_ws(t, q), *te = trim_end(ts, q);
    if (ip->rest)
      return fail(p, "'...' must be the last operand");
    if (te - ts == 3 && memcmp(ts, "...", 3) == 0) {
      ip->rest = 1;
    } else {
      if (ip->n_ops == CRVI_INSN_MAX_OPS)
        return fail(p, "more than %d operands", CRVI_INSN_MAX_OPS);
      if (te == ts)
        return fail(p, "empty operand");
      if (parse_op(p, ts, te, &ip->op[ip->n_ops]) != 0)
        return -1;
      ip->n_ops++;
    }
    t = q + 1;
  }
  if (depth)
    return fail(p, "unbalanced '[' ']'");
  return 0;
}

static int add_pat(struct parser *p, struct line *l, const char *s, const char *e)
{
  struct insnpat *np = realloc(l->pat, (l->n_pat + 1) * sizeof *np);
  if (!np)
    return fail(p, "out of memory");
  l->pat = np;
  memset(&l->pat[l->n_pat], 0, sizeof *np);
  l->n_pat++;
  return parse_insn(p, s, e, &l->pat[l->n_pat - 1]);
}

/* A code line: a gap "... [N | MIN-MAX] [!PATTERN]..." or "PATTERN [|| PATTERN]...". */
static int parse_code_line(struct parser *p, const char *s, const char *e)
{
  struct sig *g = p->g;
  if (g->n_lines == CRV_SIG_MAX_LINES)
    return fail(p, "more than %u code lines", CRV_SIG_MAX_LINES);
  struct line *l = &g->lines[g->n_lines];
  memset(l, 0, sizeof *l);
  l->src = p->line;
  g->line_no[g->n_lines] = p->line;
  g->n_lines++;
  if (e - s >= 3 && memcmp(s, "...", 3) == 0) {
    l->gap = 1;
    l->gmin = 0;
    l->gmax = 8;
    const char *q = skip_ws(s + 3, e);
    const char *bang = q < e ? memchr(q, '!', (size_t)(e - q)) : NULL;
    const char *ne = trim_end(q, bang ? bang : e);
    if (ne > q) {
      int64_t a, b;
      const char *dash = NULL;
      for (const char *c = q + 1; c < ne; c++)
        if (*c == '-') {
          dash = c;
          break;
        }
      if (dash) {
        if (parse_num(q, dash, &a) != (size_t)(dash - q) ||
            parse_num(dash + 1, ne, &b) != (size_t)(ne - dash - 1))
          return fail(p, "bad gap '%.*s' (use '... N' or '... MIN-MAX')", (int)(ne - q), q);
      } else {
        if (parse_num(q, ne, &b) != (size_t)(ne - q))
          return fail(p, "bad gap '%.*s' (use '... N' or '... MIN-MAX')", (int)(ne - q), q);
        a = 0;
      }
      if (a < 0 || b < a || b > CRV_SIG_MAX_GAP)
        return fail(p, "gap %lld-%lld out of range 0..%u", (long long)a, (long long)b,
                    CRV_SIG_MAX_GAP);
      l->gmin = (unsigned)a;
      l->gmax = (unsigned)b;
    }
    while (bang) {
      const char *next = memchr(bang + 1, '!', (size_t)(e - bang - 1));
      if (add_pat(p, l, bang + 1, next ? next : e) != 0)
        return -1;
      bang = next;
    }
    return 0;
  }
  for (const char *a = s; a < e;) {
    const char *b = NULL;
    for (const char *c = a; c + 1 < e; c++)
      if (c[0] == '|' && c[1] == '|') {
        b = c;
        break;
      }
    if (add_pat(p, l, a, b ? b : e) != 0)
      return -1;
    a = b ? b + 2 : e;
  }
  return 0;
}

static char *dup_range(const char *s, const char *e)
{
  return strndup(s, (size_t)(e - s));
}

/* Checks a finished signature and computes what the matcher needs. */
static int finish_sig(struct parser *p)
{
  struct sig *g = p->g;
  if (!g->info.arch_mask)
    return fail(p, "signature '%s' has no 'arch' line", g->name);
  if (!g->n_lines)
    return fail(p, "signature '%s' has no code", g->name);
  if (g->lines[0].gap || g->lines[g->n_lines - 1].gap)
    return fail(p, "signature '%s': code must start and end with an instruction", g->name);
  if (g->n_facts && !g->n_lines)
    return fail(p, "facts without code");
  for (size_t i = 0; i < g->n_facts; i++)
    if (g->facts[i].var != FACT_CONST &&
        (g->facts[i].var >= CRVI_SIG_MAX_VARS || !(p->num_used & (1u << g->facts[i].var))))
      return fail(p, "fact '%s' names no variable of the code", g->facts[i].key);
  size_t span = 0;
  for (size_t i = 0; i < g->n_lines; i++)
    span += g->lines[i].gap ? g->lines[i].gmax : 1;
  g->span = span;
  struct crvi_sig_info *in = &g->info;
  in->name = g->name;
  in->description = g->description;
  in->severity = g->severity ? g->severity : "info";
  in->file = g->file;
  in->library = g->library;
  in->symbols = (const char *const *)g->symbols;
  in->window = in->window ? in->window : 8;
  in->n_lines = g->n_lines;
  in->line_no = g->line_no;
  in->reg_var = (const char *const *)g->reg_var;
  in->num_var = (const char *const *)g->num_var;
  while (in->n_reg_vars < CRVI_SIG_MAX_VARS && g->reg_var[in->n_reg_vars])
    in->n_reg_vars++;
  while (in->n_num_vars < CRVI_SIG_MAX_VARS && g->num_var[in->n_num_vars])
    in->n_num_vars++;
  for (size_t i = 0; i < g->n_facts; i++)
    g->fact_key[i] = g->facts[i].key;
  in->n_facts = g->n_facts;
  in->fact_key = (const char *const *)g->fact_key;
  in->references = (const char *const *)g->refs;
  in->n_references = g->n_refs;
  return 0;
}

/* One header line "KEY VALUE" of the signature being read. */
static int header_line(struct parser *p, const char *k, size_t kl, const char *v, const char *ve)
{
  struct sig *g = p->g;
#define IS(w) (kl == sizeof(w) - 1 && memcmp(k, w, kl) == 0)
  if (IS("description")) {
    free(g->description);
    g->description = dup_range(v, ve);
  } else if (IS("severity")) {
    static const char *const ok[] = {"info", "low", "medium", "high", "critical"};
    size_t i;
    for (i = 0; i < 5; i++)
      if (strlen(ok[i]) == (size_t)(ve - v) && memcmp(ok[i], v, (size_t)(ve - v)) == 0)
        break;
    if (i == 5)
      return fail(p, "severity '%.*s' is not info, low, medium, high or critical",
                  (int)(ve - v), v);
    free(g->severity);
    g->severity = dup_range(v, ve);
  } else if (IS("reference")) {
    char **r = realloc(g->refs, (g->n_refs + 1) * sizeof *r);
    if (!r)
      return fail(p, "out of memory");
    g->refs = r;
    g->refs[g->n_refs++] = dup_range(v, ve);
  } else if (IS("arch")) {
    for (const char *a = v; a < ve;) {
      a = skip_ws(a, ve);
      const char *b = a;
      while (b < ve && !is_space(*b))
        b++;
      size_t l = (size_t)(b - a);
      if (l == 6 && (memcmp(a, "x86-64", 6) == 0 || memcmp(a, "x86_64", 6) == 0))
        g->info.arch_mask |= CRVI_ARCH_MASK(CRVI_ARCH_X86_64);
      else if ((l == 6 && memcmp(a, "x86-32", 6) == 0) || (l == 4 && memcmp(a, "i386", 4) == 0))
        g->info.arch_mask |= CRVI_ARCH_MASK(CRVI_ARCH_X86_32);
      else if (l)
        return fail(p, "arch '%.*s' is not x86-64 or x86-32", (int)l, a);
      a = b;
    }
  } else if (IS("library")) {
    free(g->library);
    g->library = dup_range(v, ve);
    crvi_search_destroy(g->lib);
    g->lib = NULL;
    if (crvi_search_create(&g->lib, CRVI_SEARCH_NO_TEXT) != CRV_OK || !g->library)
      return fail(p, "out of memory");
    if (crvi_search_add(g->lib, v, (size_t)(ve - v), CRVI_PAT_REGEX) != CRV_OK)
      return fail(p, "library: %s", crvi_search_errmsg(g->lib));
  } else if (IS("symbol")) {
    for (const char *a = v; a < ve;) {
      a = skip_ws(a, ve);
      const char *b = a;
      while (b < ve && !is_space(*b))
        b++;
      if (b > a) {
        if (g->info.n_symbols == CRVI_SIG_MAX_SYMBOLS)
          return fail(p, "more than %d symbols", CRVI_SIG_MAX_SYMBOLS);
        g->symbols[g->info.n_symbols++] = dup_range(a, b);
      }
      a = b;
    }
  } else if (IS("window")) {
    int64_t w;
    if (parse_num(v, ve, &w) != (size_t)(ve - v) || w < 1 || w > CRV_SIG_MAX_WINDOW)
      return fail(p, "window '%.*s' is not 1..%u", (int)(ve - v), v, CRV_SIG_MAX_WINDOW);
    g->info.window = (unsigned)w;
  } else if (IS("fact")) {
    /* KEY = $VAR [+|- N] */
    const char *eq = memchr(v, '=', (size_t)(ve - v));
    if (!eq)
      return fail(p, "use 'fact KEY = $VAR [+ N]'");
    const char *ke = trim_end(v, eq), *x = skip_ws(eq + 1, ve);
    if (ke == v || x >= ve)
      return fail(p, "use 'fact KEY = $VAR [+ N]' or 'fact KEY = N'");
    if (g->n_facts == CRVI_SIG_MAX_FACTS)
      return fail(p, "more than %d facts", CRVI_SIG_MAX_FACTS);
    if (*x != '$') { /* a constant: what the shape of the code itself proves */
      struct fact *f = &g->facts[g->n_facts];
      if (parse_num(x, ve, &f->add) != (size_t)(ve - x))
        return fail(p, "fact: '%.*s' is neither $VAR nor a number", (int)(ve - x), x);
      f->var = FACT_CONST;
      f->key = dup_range(v, ke);
      g->n_facts++;
      return 0;
    }
    const char *xe = x + 1;
    while (xe < ve && is_word_char(*xe) && *xe != '-' && *xe != '.')
      xe++;
    struct fact *f = &g->facts[g->n_facts];
    f->add = 0;
    if (xe == x + 1)
      return fail(p, "fact: variable without a name");
    if (var_index(p, g->num_var, x + 1, (size_t)(xe - x - 1), &f->var) != 0)
      return -1;
    const char *r = skip_ws(xe, ve);
    if (r < ve) {
      int neg = *r == '-';
      if (*r != '+' && *r != '-')
        return fail(p, "fact: expected '+ N' or '- N' after the variable");
      r = skip_ws(r + 1, ve);
      if (parse_num(r, ve, &f->add) != (size_t)(ve - r))
        return fail(p, "fact: '%.*s' is not a number", (int)(ve - r), r);
      if (neg)
        f->add = -f->add;
    }
    f->key = dup_range(v, ke);
    g->n_facts++;
  } else {
    return fail(p, "unknown keyword '%.*s' (description, severity, reference, arch, library, "
                "symbol, window, fact, code)", (int)kl, k);
  }
#undef IS
  return 0;
}

static int add_sig(struct crvi_sigset *s, struct sig *g)
{
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 16;
    struct sig **n = realloc(s->sigs, cap * sizeof *n);
    if (!n)
      return -1;
    s->sigs = n;
    s->cap = cap;
  }
  s->sigs[s->n++] = g;
  return 0;
}

crv_err crvi_sigset_parse(struct crvi_sigset *s, const char *origin, const char *text,
                          size_t len)
{
  if (!s || !origin || (!text && len))
    return CRV_ERR_INVALID_ARG;
  struct parser p = {.set = s, .origin = origin, .err = s->err, .errcap = sizeof s->err};
  size_t first_new = s->n;
  int in_code = 0, rc = 0;
  crv_err e = CRV_ERR_FORMAT;
  s->err[0] = '\0';
  for (size_t o = 0; o < len && rc == 0;) {
    const char *ls = text + o;
    const char *nl = memchr(ls, '\n', len - o);
    const char *le = nl ? nl : text + len;
    o = (size_t)(le - text) + 1;
    p.line++;
    if (memchr(ls, '\0', (size_t)(le - ls))) {
      rc = fail(&p, "NUL byte in the text");
      break;
    }
    /* comments: '#' to the end of the line */
    const char *hash = memchr(ls, '#', (size_t)(le - ls));
    const char *s0 = skip_ws(ls, hash ? hash : le), *e0 = trim_end(s0, hash ? hash : le);
    if (s0 == e0)
      continue;
    const char *k = s0, *ke = k;
    while (ke < e0 && !is_space(*ke))
      ke++;
    size_t kl = (size_t)(ke - k);
    const char *v = skip_ws(ke, e0);
    if (kl == 9 && memcmp(k, "signature", 9) == 0) {
      if (p.g) {
        rc = fail(&p, "'signature' inside signature '%s' (missing 'end')", p.g->name);
        break;
      }
      if (s->n >= CRV_SIG_MAX_SIGS) {
        rc = fail(&p, "more than %u signatures", CRV_SIG_MAX_SIGS);
        e = CRV_ERR_LIMIT;
        break;
      }
      for (const char *c = v; c < e0; c++)
        if (!is_word_char(*c) && *c != ':') {
          rc = fail(&p, "bad signature name '%.*s'", (int)(e0 - v), v);
          break;
        }
      if (rc)
        break;
      if (v == e0) {
        rc = fail(&p, "signature without a name");
        break;
      }
      p.g = calloc(1, sizeof *p.g);
      if (!p.g) {
        e = CRV_ERR_NOMEM;
        rc = -1;
        break;
      }
      p.g->name = dup_range(v, e0);
      p.g->file = strdup(origin);
      p.g->info.line = p.line;
      in_code = p.in_code = 0;
      p.num_used = 0;
      continue;
    }
    if (!p.g) {
      rc = fail(&p, "'%.*s' outside a signature (expected 'signature NAME')", (int)kl, k);
      break;
    }
    if (kl == 3 && memcmp(k, "end", 3) == 0 && v == e0) {
      if (!in_code) {
        rc = fail(&p, "'end' before 'code'");
        break;
      }
      if ((rc = finish_sig(&p)) != 0)
        break;
      for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->sigs[i]->name, p.g->name) == 0) {
          rc = fail(&p, "signature '%s' is defined twice (also %s:%u)", p.g->name,
                    s->sigs[i]->file, s->sigs[i]->info.line);
          break;
        }
      if (rc)
        break;
      if (add_sig(s, p.g) != 0) {
        e = CRV_ERR_NOMEM;
        rc = -1;
        break;
      }
      p.g = NULL;
      in_code = 0;
      continue;
    }
    if (in_code) {
      rc = parse_code_line(&p, s0, e0);
      continue;
    }
    if (kl == 4 && memcmp(k, "code", 4) == 0 && v == e0) {
      in_code = p.in_code = 1;
      continue;
    }
    rc = header_line(&p, k, kl, v, e0);
  }
  if (rc == 0 && p.g)
    rc = fail(&p, "signature '%s' has no 'end'", p.g->name);
  if (rc == 0)
    return CRV_OK;
  sig_free(p.g);
  while (s->n > first_new)
    sig_free(s->sigs[--s->n]);
  return e;
}

static crv_err load_file(struct crvi_sigset *s, const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(s->err, sizeof s->err, "%s: %s", path, strerror(errno));
    return CRV_ERR_OPEN;
  }
  char *buf = malloc(CRV_SIG_MAX_FILE + 1);
  size_t n = buf ? fread(buf, 1, CRV_SIG_MAX_FILE + 1, f) : 0;
  int err = ferror(f);
  fclose(f);
  if (!buf)
    return CRV_ERR_NOMEM;
  crv_err e;
  if (err) {
    snprintf(s->err, sizeof s->err, "%s: read error", path);
    e = CRV_ERR_OPEN;
  } else if (n > CRV_SIG_MAX_FILE) {
    snprintf(s->err, sizeof s->err, "%s: larger than %u bytes", path, CRV_SIG_MAX_FILE);
    e = CRV_ERR_LIMIT;
  } else {
    e = crvi_sigset_parse(s, path, buf, n);
  }
  free(buf);
  return e;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

crv_err crvi_sigset_load(struct crvi_sigset *s, const char *path)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    snprintf(s->err, sizeof s->err, "%s: %s", path, strerror(errno));
    return CRV_ERR_OPEN;
  }
  if (!S_ISDIR(st.st_mode))
    return load_file(s, path);
  DIR *dir = opendir(path);
  if (!dir) {
    snprintf(s->err, sizeof s->err, "%s: %s", path, strerror(errno));
    return CRV_ERR_OPEN;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  crv_err e = CRV_OK;
  struct dirent *de;
  while ((de = readdir(dir)) != NULL) {
    size_t l = strlen(de->d_name);
    if (l < 5 || strcmp(de->d_name + l - 4, ".sig") != 0 || de->d_name[0] == '.')
      continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 16;
      char **nn = cap <= CRV_SIG_MAX_SIGS ? realloc(names, cap * sizeof *nn) : NULL;
      if (!nn) {
        e = cap > CRV_SIG_MAX_SIGS ? CRV_ERR_LIMIT : CRV_ERR_NOMEM;
        break;
      }
      names = nn;
    }
    size_t pl = strlen(path) + l + 2;
    names[n] = malloc(pl);
    if (!names[n]) {
      e = CRV_ERR_NOMEM;
      break;
    }
    snprintf(names[n], pl, "%s/%s", path, de->d_name);
    n++;
  }
  closedir(dir);
  if (e == CRV_ERR_LIMIT)
    snprintf(s->err, sizeof s->err, "%s: too many signature files", path);
  if (e == CRV_OK && n == 0) {
    snprintf(s->err, sizeof s->err, "%s: no *.sig file", path);
    e = CRV_ERR_OPEN;
  }
  if (e == CRV_OK)
    qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n && e == CRV_OK; i++)
    e = load_file(s, names[i]);
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  return e;
}

int crvi_sig_library_ok(const struct crvi_sigset *s, size_t i, const char *path)
{
  if (!s || i >= s->n)
    return 0;
  const struct sig *g = s->sigs[i];
  if (!g->lib)
    return 1;
  return path && crvi_search_filter_match(g->lib, path);
}

/* ---- matching -------------------------------------------------------------------------- */

struct bind {
  uint8_t reg_set[CRVI_SIG_MAX_VARS], num_set[CRVI_SIG_MAX_VARS];
  uint8_t reg_fam[CRVI_SIG_MAX_VARS];
  uint16_t reg[CRVI_SIG_MAX_VARS];
  int64_t num[CRVI_SIG_MAX_VARS];
};

static int has_id(const uint8_t *ids, unsigned id)
{
  return (ids[id / 8] >> (id % 8)) & 1;
}

int crvi_sig_can_start(const struct crvi_sigset *s, size_t i, unsigned id)
{
  if (!s || i >= s->n || id >= s->n_ids)
    return 0;
  const struct line *l = &s->sigs[i]->lines[0];
  for (size_t k = 0; k < l->n_pat; k++)
    if (l->pat[k].any_mnemonic || has_id(l->pat[k].ids, id))
      return 1;
  return 0;
}

static int reg_ok(const struct crvi_disasm *d, const struct regpat *r, unsigned reg,
                  struct bind *b)
{
  if (!reg)
    return 0;
  struct crvi_reginfo ri = crvi_disasm_reginfo(d, reg);
  if (r->bits && ri.bits != r->bits)
    return 0;
  switch (r->kind) {
  case V_EXACT:
    return reg == r->reg;
  case V_VAR:
    if (!ri.family) /* variables bind general-purpose registers only */
      return 0;
    if (b->reg_set[r->var])
      return b->reg_fam[r->var] == ri.family;
    b->reg_set[r->var] = 1;
    b->reg_fam[r->var] = ri.family;
    b->reg[r->var] = (uint16_t)reg;
    return 1;
  default:
    return 1;
  }
}

static int num_ok(const struct numpat *n, int64_t v, unsigned size, struct bind *b)
{
  switch (n->kind) {
  case V_EXACT:
    if (v == n->val)
      return 1;
    if (size && size < 8) { /* compare at the operand's width: 0xff vs -1 in a byte */
      uint64_t mask = (UINT64_C(1) << (8 * size)) - 1;
      return ((uint64_t)v & mask) == ((uint64_t)n->val & mask);
    }
    return 0;
  case V_VAR:
    if (n->ranged && (v < n->lo || v > n->hi))
      return 0;
    if (b->num_set[n->var])
      return b->num[n->var] == v;
    b->num_set[n->var] = 1;
    b->num[n->var] = v;
    return 1;
  default:
    return 1;
  }
}

static int op_ok(const struct crvi_disasm *d, const struct oppat *p, const struct crvi_op *o,
                 struct bind *b)
{
  switch (p->kind) {
  case O_ANY:
    return 1;
  case O_REG:
    return o->type == CRVI_OP_REG && reg_ok(d, &p->reg, o->reg, b);
  case O_IMM:
    return o->type == CRVI_OP_IMM && num_ok(&p->num, o->imm, o->size, b);
  case O_MEM_ANY:
    return o->type == CRVI_OP_MEM;
  case O_MEM:
    if (o->type != CRVI_OP_MEM || (p->size && o->size != p->size))
      return 0;
    if (p->has_base ? !reg_ok(d, &p->base, o->base, b) : o->base != 0)
      return 0;
    if (p->has_index) {
      if (!reg_ok(d, &p->index, o->index, b) || (p->scale && o->scale != p->scale))
        return 0;
    } else if (o->index != 0) {
      return 0;
    }
    return num_ok(&p->num, o->imm, 0, b);
  }
  return 0;
}

static int insn_ok(const struct crvi_sigset *s, const struct crvi_disasm *d,
                   const struct insnpat *p, const struct crvi_insn *in, struct bind *b)
{
  if (!p->any_mnemonic && (in->id >= s->n_ids || !has_id(p->ids, in->id)))
    return 0;
  if (!p->check_ops)
    return 1;
  if (in->more_ops)
    return 0;
  if (p->rest ? in->n_ops < p->n_ops : in->n_ops != p->n_ops)
    return 0;
  struct bind t = *b; /* bindings change only when the whole instruction matches */
  for (unsigned i = 0; i < p->n_ops; i++)
    if (!op_ok(d, &p->op[i], &in->op[i], &t))
      return 0;
  *b = t;
  return 1;
}

struct mctx {
  const struct crvi_sigset *s;
  const struct sig *g;
  const struct crvi_disasm *d;
  const struct crvi_insn *in;
  size_t n;
  size_t pos[CRV_SIG_MAX_LINES];
  size_t end;
  unsigned steps; /* backtracking budget */
};

#define MATCH_BUDGET 100000u

static int rec(struct mctx *c, size_t li, size_t ii, struct bind *b)
{
  if (++c->steps > MATCH_BUDGET)
    return 0;
  if (li == c->g->n_lines) {
    c->end = ii;
    return 1;
  }
  const struct line *l = &c->g->lines[li];
  if (l->gap) {
    c->pos[li] = CRVI_SIG_NO_INSN;
    for (unsigned k = 0; k <= l->gmax; k++) {
      if (k >= l->gmin) {
        struct bind t = *b;
        if (rec(c, li + 1, ii + k, &t)) {
          *b = t;
          return 1;
        }
      }
      if (ii + k >= c->n)
        return 0;
      /* the instruction about to be skipped must not be a forbidden one */
      for (size_t f = 0; f < l->n_pat; f++) {
        struct bind t = *b;
        if (insn_ok(c->s, c->d, &l->pat[f], &c->in[ii + k], &t))
          return 0;
      }
    }
    return 0;
  }
  if (ii >= c->n)
    return 0;
  for (size_t a = 0; a < l->n_pat; a++) {
    struct bind t = *b;
    if (!insn_ok(c->s, c->d, &l->pat[a], &c->in[ii], &t))
      continue;
    c->pos[li] = ii;
    if (rec(c, li + 1, ii + 1, &t)) {
      *b = t;
      return 1;
    }
  }
  return 0;
}

int crvi_sig_match_at(const struct crvi_sigset *s, size_t i, const struct crvi_disasm *d,
                      const struct crvi_insn *insns, size_t n, size_t start,
                      struct crvi_sig_match *m)
{
  if (!s || i >= s->n || start >= n)
    return 0;
  const struct sig *g = s->sigs[i];
  if (!crvi_sig_can_start(s, i, insns[start].id))
    return 0;
  struct mctx c = {.s = s, .g = g, .d = d, .in = insns, .n = n};
  struct bind b;
  memset(&b, 0, sizeof b);
  if (!rec(&c, 0, start, &b))
    return 0;
  memset(m, 0, sizeof *m);
  m->first = start;
  m->count = c.end - start;
  for (size_t k = 0; k < g->n_lines; k++)
    m->line_insn[k] = c.pos[k];
  for (size_t k = 0; k < CRVI_SIG_MAX_VARS; k++) {
    m->num[k] = b.num[k];
    m->reg[k] = b.reg[k];
  }
  for (size_t k = 0; k < g->n_facts; k++)
    m->fact[k] = (g->facts[k].var == FACT_CONST ? 0 : b.num[g->facts[k].var]) + g->facts[k].add;
  return 1;
}
