/* SPDX-License-Identifier: MIT */
/* Code signatures over an address space (see sigscan.h). */
#define _GNU_SOURCE /* pread */
#include "disasm/sigscan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disasm/elfsym.h"
#include "util/limits.h"

#define CODE_PIECE (1u << 20) /* bytes read per step of a sweep */
#define MAX_INSN 15u          /* longest x86 instruction */

struct range {
  uint64_t start, end;
  const struct crv_map *map; /* NULL when the space has no mapping list */
  const char *name;
  int fd;                    /* >= 0: code read from this file */
  enum crvi_arch arch;
};

struct obj {
  const char *path;
  struct crvi_elfimg *img;
  int state; /* 0 untried, 1 open, -1 failed */
};

struct ctx {
  const struct crvi_sig_scan *c;
  struct crvi_sig_stats *st;
  struct crvi_disasm *d[3];
  struct crvi_insn *insns;
  size_t insn_cap;
  uint8_t *code;
  unsigned *per_sig; /* hits of each signature in the current mapping */
  struct obj *objs;
  size_t n_objs;
  crv_err err;
  int warned_noprot;
  const struct crv_map *pf_map; /* the file behind the mapping whose pages are filled */
  int pf_fd;                    /* -1: none, -2: not tried yet */
};

static void warn(struct ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct ctx *x, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  if (!x->c->warn)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  x->c->warn(x->c->warn_user, msg);
}

static struct crvi_disasm *dis(struct ctx *x, enum crvi_arch a)
{
  if (a != CRVI_ARCH_X86_64 && a != CRVI_ARCH_X86_32)
    return NULL;
  if (!x->d[a] && crvi_disasm_open(&x->d[a], a) != CRV_OK)
    x->err = CRV_ERR_UNSUPPORTED;
  return x->d[a];
}

enum crvi_arch crvi_sig_space_arch(struct crv_space *s)
{
  if (s->hints.ptr_size == 4)
    return CRVI_ARCH_X86_32;
  if (s->hints.ptr_size == 8)
    return CRVI_ARCH_X86_64;
  for (size_t i = 0; i < s->n_maps; i++) {
    if (!s->maps[i].path || s->maps[i].offset != 0)
      continue;
    unsigned c = crvi_elfimg_class(s, s->maps[i].path);
    if (c)
      return c == 4 ? CRVI_ARCH_X86_32 : CRVI_ARCH_X86_64;
  }
  for (size_t i = 0; i < s->n; i++)
    if (s->r[i].end > (UINT64_C(1) << 32))
      return CRVI_ARCH_X86_64;
  return s->n ? CRVI_ARCH_X86_32 : CRVI_ARCH_X86_64;
}

static enum crvi_arch range_arch(struct ctx *x, const char *path, enum crvi_arch dflt)
{
  unsigned c = path ? crvi_elfimg_class(x->c->space, path) : 0;
  return c == 4 ? CRVI_ARCH_X86_32 : c == 8 ? CRVI_ARCH_X86_64 : dflt;
}

static int all_zero(const uint8_t *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (p[i])
      return 0;
  return 1;
}

/* Pages of file-backed code that read as zeros were not resident: a live process's source
 * does not fault them in (nor read code from files), a dump may have zero-filled them.
 * Unless --no-files, such pages are read from the mapped file: the bytes the kernel would
 * have faulted in. Code really zeroed in memory is then shown as the file holds it. */
static void fill_zero_pages(struct ctx *x, const struct range *r, uint64_t addr, uint8_t *buf,
                            size_t len)
{
  const struct crv_map *m = r->map;
  if (!x->c->code_from_files || !m || !m->path || m->path[0] != '/')
    return;
  for (uint64_t pg = addr & ~UINT64_C(4095); pg < addr + len; pg += 4096) {
    uint64_t a = pg < addr ? addr : pg, b = pg + 4096 < addr + len ? pg + 4096 : addr + len;
    if (!all_zero(buf + (a - addr), (size_t)(b - a)))
      continue;
    if (x->pf_map != m) {
      if (x->pf_fd >= 0)
        close(x->pf_fd);
      char how[32];
      x->pf_map = m;
      x->pf_fd = crvi_elfimg_open_file(x->c->space, m, how, sizeof how);
    }
    if (x->pf_fd < 0)
      return;
    ssize_t n = pread(x->pf_fd, buf + (a - addr), (size_t)(b - a),
                      (off_t)(m->offset + (a - m->start)));
    if (n != (ssize_t)(b - a))
      memset(buf + (a - addr), 0, (size_t)(b - a));
    else
      x->st->pages_from_file++;
  }
}

static size_t range_read(struct ctx *x, const struct range *r, uint64_t addr, void *buf,
                         size_t len)
{
  if (addr >= r->end)
    return 0;
  if (len > r->end - addr)
    len = (size_t)(r->end - addr);
  if (r->fd < 0) {
    size_t got = crvi_space_read(x->c->space, addr, buf, len);
    fill_zero_pages(x, r, addr, buf, got);
    return got;
  }
  ssize_t n = pread(r->fd, buf, len, (off_t)(r->map->offset + (addr - r->map->start)));
  return n > 0 ? (size_t)n : 0;
}

static int skipped(const struct crvi_sig_scan *c, size_t i)
{
  return c->skip && c->skip[i];
}

/* Builds the views of a match and hands the hit over. */
static int emit(struct ctx *x, const struct range *r, enum crvi_arch arch, size_t sig,
                const struct crvi_insn *in, const struct crvi_sig_match *m, const char *symbol,
                uint64_t symbol_addr)
{
  const struct crvi_sig_info *info = crvi_sigset_info(x->c->set, sig);
  struct crvi_disasm *d = dis(x, arch);
  struct crvi_sig_insn_view *v = calloc(m->count ? m->count : 1, sizeof *v);
  if (!v || !d) {
    free(v);
    x->err = d ? CRV_ERR_NOMEM : x->err;
    return 1;
  }
  for (size_t k = 0; k < m->count; k++) {
    const struct crvi_insn *i = &in[m->first + k];
    v[k].addr = i->addr;
    v[k].size = i->size;
    size_t got = range_read(x, r, i->addr, v[k].bytes, i->size);
    if (got == i->size)
      crvi_disasm_text(d, v[k].bytes, got, i->addr, v[k].text, sizeof v[k].text);
    else
      snprintf(v[k].text, sizeof v[k].text, "(unreadable)");
  }
  for (size_t li = 0; li < info->n_lines; li++)
    if (m->line_insn[li] != CRVI_SIG_NO_INSN && m->line_insn[li] >= m->first &&
        m->line_insn[li] - m->first < m->count)
      v[m->line_insn[li] - m->first].line = info->line_no[li];
  const char *regs[CRVI_SIG_MAX_VARS];
  for (size_t k = 0; k < info->n_reg_vars; k++)
    regs[k] = crvi_disasm_reg_name(d, m->reg[k]);
  struct crvi_sig_hit h = {
      .sig = sig, .info = info, .arch = arch, .addr = in[m->first].addr,
      .mapping = r->map && r->map->path ? r->map->path : r->name,
      .map_start = r->map ? r->map->start : r->start, .map_end = r->map ? r->map->end : r->end,
      .symbol = symbol, .symbol_addr = symbol_addr, .code_source = r->fd >= 0 ? "file" : "memory",
      .insns = v, .n_insns = m->count, .m = m, .reg_names = regs};
  if (r->map && r->map->path && r->map->path[0] == '/') {
    h.has_file_offset = 1;
    h.file_offset = r->map->offset + (h.addr - r->map->start);
  }
  x->st->hits++;
  int stop = x->c->hit(x->c->user, &h);
  free(v);
  return stop;
}

/* ---- linear sweeps --------------------------------------------------------------------- */

static int sweep_applies(struct ctx *x, size_t i, const struct range *r)
{
  const struct crvi_sig_info *info = crvi_sigset_info(x->c->set, i);
  if (skipped(x->c, i) || info->n_symbols || !(info->arch_mask & CRVI_ARCH_MASK(r->arch)))
    return 0;
  const char *path = r->map ? r->map->path : NULL;
  return crvi_sig_library_ok(x->c->set, i, path);
}

static crv_err sweep(struct ctx *x, const struct range *r)
{
  const struct crvi_sigset *set = x->c->set;
  size_t nsig = crvi_sigset_count(set), *list = malloc((nsig ? nsig : 1) * sizeof *list);
  size_t nl = 0, tail_need = 1;
  if (!list)
    return CRV_ERR_NOMEM;
  for (size_t i = 0; i < nsig; i++)
    if (sweep_applies(x, i, r)) {
      list[nl++] = i;
      if (crvi_sig_span(set, i) + 1 > tail_need)
        tail_need = crvi_sig_span(set, i) + 1;
    }
  if (!nl) {
    free(list);
    return CRV_OK;
  }
  struct crvi_disasm *d = dis(x, r->arch);
  if (!d) {
    free(list);
    return x->err;
  }
  memset(x->per_sig, 0, nsig * sizeof *x->per_sig);
  size_t cap = CRV_SIG_BLOCK_INSNS + tail_need;
  if (cap > x->insn_cap) {
    struct crvi_insn *n = realloc(x->insns, cap * sizeof *n);
    if (!n) {
      free(list);
      return CRV_ERR_NOMEM;
    }
    x->insns = n;
    x->insn_cap = cap;
  }
  x->st->mappings++;
  size_t tail = 0;
  crv_err e = CRV_OK;
  for (uint64_t pos = r->start; pos < r->end && e == CRV_OK;) {
    if (x->c->stop && *x->c->stop) {
      e = CRV_ERR_ABORTED;
      break;
    }
    size_t want = r->end - pos > CODE_PIECE ? CODE_PIECE : (size_t)(r->end - pos);
    size_t got = range_read(x, r, pos, x->code, want);
    if (got == 0) { /* a hole: continue after it, without carrying instructions over */
      uint64_t next = (pos | (4096 - 1)) + 1;
      tail = 0;
      pos = next;
      continue;
    }
    int final = pos + got >= r->end || got < want;
    size_t used = 0;
    size_t k = crvi_disasm_sweep(d, x->code, got, pos, final, x->insns + tail, cap - tail, &used);
    if (used == 0 && !final)
      used = got; /* cannot happen (a piece has >= 16 bytes or is final); never loop */
    x->st->bytes += used;
    x->st->insns += k;
    size_t n = tail + k;
    int last = final && used >= got;
    size_t limit = last ? n : (n > tail_need ? n - tail_need : 0);
    for (size_t i = 0; i < limit && e == CRV_OK; i++) {
      for (size_t j = 0; j < nl; j++) {
        struct crvi_sig_match m;
        if (!crvi_sig_match_at(set, list[j], d, x->insns, n, i, &m))
          continue;
        if (x->per_sig[list[j]] >= CRV_SIG_MAX_HITS) {
          x->st->capped++;
          continue;
        }
        x->per_sig[list[j]]++;
        if (emit(x, r, r->arch, list[j], x->insns, &m, NULL, 0)) {
          e = x->err ? x->err : CRV_ERR_ABORTED;
          break;
        }
      }
    }
    memmove(x->insns, x->insns + limit, (n - limit) * sizeof *x->insns);
    tail = n - limit;
    pos += used;
    if (last)
      tail = 0;
  }
  free(list);
  return e;
}

/* ---- symbol anchors -------------------------------------------------------------------- */

static struct obj *object(struct ctx *x, const char *path)
{
  for (size_t i = 0; i < x->n_objs; i++)
    if (strcmp(x->objs[i].path, path) == 0)
      return &x->objs[i];
  struct obj *o = realloc(x->objs, (x->n_objs + 1) * sizeof *o);
  if (!o)
    return NULL;
  x->objs = o;
  o = &x->objs[x->n_objs++];
  memset(o, 0, sizeof *o);
  o->path = path;
  return o;
}

static struct crvi_elfimg *image(struct ctx *x, struct obj *o)
{
  if (o->state == 0) {
    o->img = malloc(sizeof *o->img);
    o->state = o->img && crvi_elfimg_open(x->c->space, o->path, o->img,
                                          x->c->code_from_files) == 0 ? 1 : -1;
  }
  return o->state > 0 ? o->img : NULL;
}

/* Whether mapping m holds code: its permissions, or where a core does not tell them,
 * whether the file's program headers put the mapped offset in an executable segment. */
static int is_code(struct ctx *x, const struct crv_map *m)
{
  if (m->prot != CRV_PROT_UNKNOWN)
    return (m->prot & CRV_PROT_X) != 0;
  if (!m->path || m->path[0] != '/')
    return 0;
  struct obj *o = object(x, m->path);
  struct crvi_elfimg *img = o ? image(x, o) : NULL;
  return img && crvi_elfimg_offset_is_code(img, m->offset) == 1;
}

/* The executable mapping holding addr. */
static const struct crv_map *exec_map(struct ctx *x, uint64_t addr)
{
  const struct crv_space *s = x->c->space;
  for (size_t i = 0; i < s->n_maps; i++)
    if (addr >= s->maps[i].start && addr < s->maps[i].end && is_code(x, &s->maps[i]))
      return &s->maps[i];
  return NULL;
}

/* The bytes of [start, end) of mapping m: memory when the space has them, else the file. */
static int map_range(struct ctx *x, const struct crv_map *m, struct range *r)
{
  struct crv_space *s = x->c->space;
  memset(r, 0, sizeof *r);
  r->start = m->start;
  r->end = m->end;
  r->map = m;
  r->name = m->path;
  r->fd = -1;
  uint8_t b;
  uint64_t covered = 0;
  for (size_t i = 0; i < s->n; i++) {
    const struct crv_region *g = &s->r[i];
    if (g->end <= m->start || g->start >= m->end)
      continue;
    uint64_t a = g->start > m->start ? g->start : m->start;
    uint64_t e = g->start + (g->present < g->end - g->start ? g->present : g->end - g->start);
    if (e > m->end)
      e = m->end;
    if (e > a)
      covered += e - a;
  }
  if (covered || !x->c->code_from_files)
    return covered ? 0 : -1;
  char how[32];
  r->fd = crvi_elfimg_open_file(s, m, how, sizeof how);
  if (r->fd < 0 || pread(r->fd, &b, 1, (off_t)m->offset) != 1) {
    if (r->fd >= 0)
      close(r->fd);
    r->fd = -1;
    return -1;
  }
  x->st->from_file++;
  return 0;
}

static crv_err anchored(struct ctx *x, size_t i, enum crvi_arch dflt)
{
  struct crv_space *s = x->c->space;
  const struct crvi_sigset *set = x->c->set;
  const struct crvi_sig_info *info = crvi_sigset_info(set, i);
  crv_err e = CRV_OK;
  uint64_t found_before = x->st->symbols;
  for (size_t k = 0; k < s->n_maps && e == CRV_OK; k++) {
    const struct crv_map *m = &s->maps[k];
    /* each object once: at its first executable mapping */
    if (!m->path || m->path[0] != '/' || !is_code(x, m))
      continue;
    int seen = 0;
    for (size_t j = 0; j < k && !seen; j++)
      seen = s->maps[j].path && strcmp(s->maps[j].path, m->path) == 0 && is_code(x, &s->maps[j]);
    if (seen || !crvi_sig_library_ok(set, i, m->path))
      continue;
    enum crvi_arch arch = range_arch(x, m->path, dflt);
    if (!(info->arch_mask & CRVI_ARCH_MASK(arch)))
      continue;
    struct obj *o = object(x, m->path);
    if (!o)
      return CRV_ERR_NOMEM;
    struct crvi_elfimg *img = image(x, o);
    if (!img)
      continue;
    for (size_t y = 0; y < info->n_symbols && e == CRV_OK; y++) {
      uint64_t addr, size;
      if (crvi_elfimg_lookup(s, img, info->symbols[y], &addr, &size) != 0)
        continue; /* most objects do not define it */
      const struct crv_map *xm = exec_map(x, addr);
      struct range r;
      if (!xm || map_range(x, xm, &r) != 0) {
        x->st->no_code++;
        continue;
      }
      x->st->symbols++;
      r.arch = arch;
      struct crvi_disasm *d = dis(x, arch);
      if (!d)
        return x->err;
      size_t want = (info->window + crvi_sig_span(set, i) + 1) * MAX_INSN;
      if (want > CODE_PIECE)
        want = CODE_PIECE;
      size_t got = range_read(x, &r, addr, x->code, want);
      size_t used, cap = info->window + crvi_sig_span(set, i) + 1;
      if (cap > x->insn_cap) {
        struct crvi_insn *n = realloc(x->insns, cap * sizeof *n);
        if (!n)
          e = CRV_ERR_NOMEM;
        else {
          x->insns = n;
          x->insn_cap = cap;
        }
      }
      size_t n = e == CRV_OK ? crvi_disasm_sweep(d, x->code, got, addr, 1, x->insns, cap, &used)
                             : 0;
      for (size_t st = 0; st < n && st < info->window && e == CRV_OK; st++) {
        if (size && x->insns[st].addr >= addr + size)
          break; /* past the function */
        struct crvi_sig_match mt;
        if (!crvi_sig_match_at(set, i, d, x->insns, n, st, &mt))
          continue;
        if (emit(x, &r, arch, i, x->insns, &mt, info->symbols[y], addr))
          e = x->err ? x->err : CRV_ERR_ABORTED;
        break; /* one hit per symbol */
      }
      if (r.fd >= 0)
        close(r.fd);
    }
  }
  if (e == CRV_OK && x->st->symbols == found_before)
    x->st->symbols_missing++;
  return e;
}

/* ---- the run --------------------------------------------------------------------------- */

crv_err crvi_sig_scan_run(const struct crvi_sig_scan *c, struct crvi_sig_stats *st)
{
  if (!c || !c->space || !c->set || !c->hit || !st)
    return CRV_ERR_INVALID_ARG;
  struct ctx x = {.c = c, .st = st, .pf_fd = -1};
  struct crv_space *s = c->space;
  size_t nsig = crvi_sigset_count(c->set);
  x.code = malloc(CODE_PIECE);
  x.per_sig = calloc(nsig ? nsig : 1, sizeof *x.per_sig);
  if (!x.code || !x.per_sig) {
    free(x.code);
    free(x.per_sig);
    return CRV_ERR_NOMEM;
  }
  enum crvi_arch dflt = crvi_sig_space_arch(s);
  crv_err e = CRV_OK;
  int any_sweep = 0;
  for (size_t i = 0; i < nsig; i++)
    if (!skipped(c, i) && !crvi_sigset_info(c->set, i)->n_symbols)
      any_sweep = 1;

  /* Anchored signatures first: a few decodes each. */
  for (size_t i = 0; i < nsig && e == CRV_OK; i++) {
    if (skipped(c, i) || !crvi_sigset_info(c->set, i)->n_symbols)
      continue;
    if (c->stop && *c->stop)
      e = CRV_ERR_ABORTED;
    else
      e = anchored(&x, i, dflt);
  }

  /* Linear sweeps of every executable mapping. */
  int have_prot = 0;
  for (size_t i = 0; i < s->n_maps; i++)
    have_prot |= s->maps[i].prot != CRV_PROT_UNKNOWN;
  if (any_sweep && e == CRV_OK && s->n_maps && have_prot) {
    for (size_t i = 0; i < s->n_maps && e == CRV_OK; i++) {
      const struct crv_map *m = &s->maps[i];
      struct range r;
      if (!is_code(&x, m))
        continue;
      if (m->path && (strcmp(m->path, "[vsyscall]") == 0 || strcmp(m->path, "[vdso]") == 0 ||
                      strcmp(m->path, "[vvar]") == 0))
        continue; /* the kernel's: never part of a dump, and not the process's code */
      if (map_range(&x, m, &r) != 0) {
        st->no_code++;
        continue;
      }
      r.arch = range_arch(&x, m->path, dflt);
      if (r.fd >= 0) {
        e = sweep(&x, &r);
        close(r.fd);
        continue;
      }
      /* memory: each region inside the mapping separately (holes between them) */
      for (size_t k = 0; k < s->n && e == CRV_OK; k++) {
        const struct crv_region *g = &s->r[k];
        if (g->end <= m->start || g->start >= m->end || !g->present)
          continue;
        struct range rr = r;
        rr.start = g->start > m->start ? g->start : m->start;
        uint64_t ge = g->start + (g->present < g->end - g->start ? g->present : g->end - g->start);
        rr.end = ge < m->end ? ge : m->end;
        if (rr.end > rr.start)
          e = sweep(&x, &rr);
      }
    }
  } else if (any_sweep && e == CRV_OK) {
    /* no mapping list with permissions: which regions hold code is unknown */
    int any_x = 0;
    for (size_t k = 0; k < s->n; k++)
      any_x |= (s->r[k].prot & CRV_PROT_X) && s->r[k].prot != CRV_PROT_UNKNOWN;
    if (!any_x)
      warn(&x, "no executable mapping is known (no maps file): every region is disassembled");
    for (size_t k = 0; k < s->n && e == CRV_OK; k++) {
      const struct crv_region *g = &s->r[k];
      if (any_x && (!(g->prot & CRV_PROT_X) || g->prot == CRV_PROT_UNKNOWN))
        continue;
      if (!g->present)
        continue;
      struct range r = {.start = g->start, .name = g->name, .fd = -1, .arch = dflt};
      r.end = g->start + (g->present < g->end - g->start ? g->present : g->end - g->start);
      e = sweep(&x, &r);
    }
  }
  if (e == CRV_OK && x.err)
    e = x.err;
  for (size_t i = 0; i < x.n_objs; i++) {
    if (x.objs[i].state > 0)
      crvi_elfimg_close(x.objs[i].img);
    free(x.objs[i].img);
  }
  free(x.objs);
  if (x.pf_fd >= 0)
    close(x.pf_fd);
  for (int a = 0; a < 3; a++)
    crvi_disasm_close(x.d[a]);
  free(x.insns);
  free(x.code);
  free(x.per_sig);
  return e;
}
