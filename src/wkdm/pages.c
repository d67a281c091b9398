/* SPDX-License-Identifier: MIT */
/* Page blobs as an address space (see pages.h). */
#define _GNU_SOURCE /* O_CLOEXEC, strdup, dirent */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pages.h"
#include "source/dumpname.h"
#include "util/limits.h"

#define NO_LABEL UINT32_MAX
#define WARN_FAILED_MAX 10u

/* A blob found under an input, before it is read. */
struct ref {
  char *path; /* to open */
  char *name; /* to report */
  uint64_t addr;
  uint32_t label;
  int known;
};

struct refs {
  struct ref *r;
  size_t n, cap;
};

/* Sidecar entries of one directory, sorted by name. */
struct side {
  char *name;
  uint64_t addr;
  uint32_t label;
};

void crvi_wkdm_set_init(struct crv_wkdm_set *set)
{
  memset(set, 0, sizeof *set);
}

void crvi_wkdm_set_free(struct crv_wkdm_set *set)
{
  for (size_t i = 0; i < set->n; i++)
    free(set->p[i].name);
  free(set->p);
  free(set->mem);
  for (size_t i = 0; i < set->n_labels; i++)
    free(set->labels[i]);
  free(set->labels);
  free(set->maps);
  memset(set, 0, sizeof *set);
}

static void refs_free(struct refs *rs)
{
  for (size_t i = 0; i < rs->n; i++) {
    free(rs->r[i].path);
    free(rs->r[i].name);
  }
  free(rs->r);
  rs->r = NULL;
  rs->n = rs->cap = 0;
}

/* Natural order: digit runs compare as numbers, so slot9 < slot10. */
static int natcmp(const char *a, const char *b)
{
  while (*a && *b) {
    if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
      while (*a == '0')
        a++;
      while (*b == '0')
        b++;
      size_t la = 0, lb = 0;
      while (a[la] >= '0' && a[la] <= '9')
        la++;
      while (b[lb] >= '0' && b[lb] <= '9')
        lb++;
      if (la != lb)
        return la < lb ? -1 : 1;
      int c = memcmp(a, b, la);
      if (c)
        return c;
      a += la;
      b += lb;
      continue;
    }
    if (*a != *b)
      return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
    a++;
    b++;
  }
  return *a ? 1 : *b ? -1 : 0;
}

static int cmp_ref_name(const void *x, const void *y)
{
  const struct ref *a = x, *b = y;
  int c = natcmp(a->name, b->name);
  return c ? c : strcmp(a->path, b->path);
}

static int cmp_ref_addr(const void *x, const void *y)
{
  const struct ref *a = x, *b = y;
  return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static int cmp_side(const void *x, const void *y)
{
  return strcmp(((const struct side *)x)->name, ((const struct side *)y)->name);
}

static char *join(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  char *p = malloc(la + lb + 2);
  if (!p)
    return NULL;
  memcpy(p, a, la);
  p[la] = '/';
  memcpy(p + la + 1, b, lb + 1);
  return p;
}

static crv_err add_ref(struct crv_space *s, struct refs *rs, const char *path, const char *name)
{
  if (rs->n >= CRV_MAX_WKDM_PAGES)
    return crvi_space_fail(s, CRV_ERR_LIMIT, "more than %u page blobs", CRV_MAX_WKDM_PAGES);
  if (rs->n == rs->cap) {
    size_t cap = rs->cap ? 2 * rs->cap : 256;
    struct ref *r = realloc(rs->r, cap * sizeof *r);
    if (!r)
      return CRV_ERR_NOMEM;
    rs->r = r;
    rs->cap = cap;
  }
  struct ref *r = &rs->r[rs->n];
  memset(r, 0, sizeof *r);
  r->label = NO_LABEL;
  r->path = strdup(path);
  r->name = strdup(name);
  if (!r->path || !r->name) {
    free(r->path);
    free(r->name);
    return CRV_ERR_NOMEM;
  }
  rs->n++;
  return CRV_OK;
}

/* Every regular file under dir (rel: its path relative to the input; "" at the top). */
static crv_err walk(struct crv_space *s, struct refs *rs, const char *dir, const char *rel,
                    unsigned depth)
{
  DIR *d;
  struct dirent *de;
  crv_err e = CRV_OK;
  if (depth > CRV_MAX_WKDM_DEPTH)
    return crvi_space_fail(s, CRV_ERR_LIMIT, "%s: directories nested deeper than %u", dir,
                           CRV_MAX_WKDM_DEPTH);
  if (!(d = opendir(dir)))
    return crvi_space_fail(s, CRV_ERR_OPEN, "%s: %s", dir, strerror(errno));
  while (e == CRV_OK && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    if (depth == 0 && (strcmp(de->d_name, "maps") == 0 ||
                       strcmp(de->d_name, CRV_WKDM_SIDECAR) == 0))
      continue;
    char *full = join(dir, de->d_name);
    char *name = rel[0] ? join(rel, de->d_name) : strdup(de->d_name);
    struct stat st;
    if (!full || !name)
      e = CRV_ERR_NOMEM;
    else if (stat(full, &st) != 0)
      e = crvi_space_fail(s, CRV_ERR_OPEN, "%s: %s", full, strerror(errno));
    else if (S_ISDIR(st.st_mode))
      e = walk(s, rs, full, name, depth + 1);
    else if (S_ISREG(st.st_mode))
      e = add_ref(s, rs, full, name);
    free(full);
    free(name);
  }
  closedir(d);
  return e;
}

static crv_err add_label(struct crv_wkdm_set *set, const char *l, size_t len, uint32_t *out)
{
  if (set->n_labels && strlen(set->labels[set->n_labels - 1]) == len &&
      memcmp(set->labels[set->n_labels - 1], l, len) == 0) {
    *out = (uint32_t)(set->n_labels - 1);
    return CRV_OK;
  }
  if (set->n_labels >= CRV_MAX_REGIONS)
    return CRV_ERR_LIMIT;
  if (set->n_labels == set->labels_cap) {
    size_t cap = set->labels_cap ? 2 * set->labels_cap : 64;
    char **p = realloc(set->labels, cap * sizeof *p);
    if (!p)
      return CRV_ERR_NOMEM;
    set->labels = p;
    set->labels_cap = cap;
  }
  if (!(set->labels[set->n_labels] = strndup(l, len)))
    return CRV_ERR_NOMEM;
  *out = (uint32_t)set->n_labels++;
  return CRV_OK;
}

/* Next whitespace-separated field of [*p, end). */
static int field(const char **p, const char *end, const char **f, size_t *len)
{
  const char *q = *p;
  while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
    q++;
  if (q == end || *q == '#')
    return 0;
  *f = q;
  while (q < end && *q != ' ' && *q != '\t' && *q != '\r')
    q++;
  *len = (size_t)(q - *f);
  *p = q;
  return 1;
}

/* Reads DIR/wkdm-addresses.txt when present into *out (sorted by name). */
static crv_err read_sidecar(struct crv_wkdm_set *set, struct crv_space *s, const char *dir,
                            struct side **out, size_t *n_out)
{
  char *path = join(dir, CRV_WKDM_SIDECAR);
  struct side *sd = NULL;
  size_t n = 0, cap = 0, lineno = 0;
  crv_err e = CRV_OK;
  *out = NULL;
  *n_out = 0;
  if (!path)
    return CRV_ERR_NOMEM;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    e = errno == ENOENT ? CRV_OK : crvi_space_fail(s, CRV_ERR_OPEN, "%s: %s", path, strerror(errno));
    free(path);
    return e;
  }
  struct stat st;
  char *text = NULL;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    e = crvi_space_fail(s, CRV_ERR_OPEN, "%s: not a regular file", path);
  } else if ((uint64_t)st.st_size > CRV_MAX_WKDM_SIDECAR) {
    e = crvi_space_fail(s, CRV_ERR_LIMIT, "%s: larger than %u MiB", path,
                        CRV_MAX_WKDM_SIDECAR >> 20);
  } else if (!(text = malloc((size_t)st.st_size + 1))) {
    e = CRV_ERR_NOMEM;
  } else {
    size_t got = 0, want = (size_t)st.st_size;
    while (got < want) {
      ssize_t r = read(fd, text + got, want - got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      got += (size_t)r;
    }
    const char *p = text, *end = text + got;
    while (e == CRV_OK && p < end) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      const char *le = nl ? nl : end, *f[4];
      size_t fl[4];
      int nf = 0;
      lineno++;
      const char *q = p;
      while (nf < 4 && field(&q, le, &f[nf], &fl[nf]))
        nf++;
      p = nl ? nl + 1 : end;
      if (nf == 0)
        continue;
      char num[24];
      uint64_t addr;
      if (nf < 2 || nf > 3 || fl[1] >= sizeof num ||
          (memcpy(num, f[1], fl[1]), num[fl[1]] = '\0', crvi_parse_hex_u64(num, &addr) != 0) ||
          addr % CRV_WKDM_PAGE != 0 || addr > UINT64_MAX - CRV_WKDM_PAGE) {
        e = crvi_space_fail(s, CRV_ERR_FORMAT, "%s:%zu: expected \"PATH 0xADDRESS [REGION]\" "
                            "with a page-aligned address", path, lineno);
        break;
      }
      if (n == cap) {
        size_t c = cap ? 2 * cap : 256;
        struct side *ns = c <= CRV_MAX_WKDM_PAGES ? realloc(sd, c * sizeof *ns) : NULL;
        if (!ns) {
          e = c <= CRV_MAX_WKDM_PAGES ? CRV_ERR_NOMEM
                                      : crvi_space_fail(s, CRV_ERR_LIMIT, "%s: too many lines", path);
          break;
        }
        sd = ns;
        cap = c;
      }
      sd[n].addr = addr;
      sd[n].label = NO_LABEL;
      if (!(sd[n].name = strndup(f[0], fl[0]))) {
        e = CRV_ERR_NOMEM;
        break;
      }
      n++;
      if (nf == 3 && (e = add_label(set, f[2], fl[2], &sd[n - 1].label)) == CRV_ERR_LIMIT)
        e = crvi_space_fail(s, CRV_ERR_LIMIT, "%s: more than %u regions", path, CRV_MAX_REGIONS);
    }
  }
  free(text);
  close(fd);
  if (e == CRV_OK) {
    qsort(sd, n, sizeof *sd, cmp_side);
    for (size_t i = 1; i < n && e == CRV_OK; i++)
      if (strcmp(sd[i].name, sd[i - 1].name) == 0)
        e = crvi_space_fail(s, CRV_ERR_FORMAT, "%s: %s is listed twice", path, sd[i].name);
  }
  if (e != CRV_OK) {
    for (size_t i = 0; i < n; i++)
      free(sd[i].name);
    free(sd);
    sd = NULL;
    n = 0;
  }
  free(path);
  *out = sd;
  *n_out = n;
  return e;
}

/* "0x7f3a00001000" or "0x7f3a00001000.ext" as a base name: the page's address. */
static int name_address(const char *name, uint64_t *addr)
{
  const char *base = strrchr(name, '/');
  base = base ? base + 1 : name;
  if (base[0] != '0' || (base[1] != 'x' && base[1] != 'X'))
    return 0;
  char num[24];
  size_t len = strcspn(base, ".");
  if (len < 3 || len >= sizeof num)
    return 0;
  memcpy(num, base, len);
  num[len] = '\0';
  return crvi_parse_hex_u64(num, addr) == 0 && *addr % CRV_WKDM_PAGE == 0 &&
         *addr <= UINT64_MAX - CRV_WKDM_PAGE;
}

static crv_err collect(struct crv_wkdm_set *set, struct crv_space *s, char *const *inputs,
                       size_t n_inputs, struct refs *rs)
{
  crv_err e = CRV_OK;
  for (size_t i = 0; i < n_inputs && e == CRV_OK; i++) {
    struct stat st;
    if (stat(inputs[i], &st) != 0)
      return crvi_space_fail(s, CRV_ERR_OPEN, "%s: %s", inputs[i], strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
      if (!S_ISREG(st.st_mode))
        return crvi_space_fail(s, CRV_ERR_OPEN, "%s: not a regular file", inputs[i]);
      if ((e = add_ref(s, rs, inputs[i], inputs[i])) == CRV_OK &&
          name_address(inputs[i], &rs->r[rs->n - 1].addr))
        rs->r[rs->n - 1].known = 1;
      continue;
    }
    size_t first = rs->n;
    if ((e = walk(s, rs, inputs[i], "", 0)) != CRV_OK)
      break;
    if (rs->n == first)
      return crvi_space_fail(s, CRV_ERR_OPEN, "%s: no page blobs in this directory", inputs[i]);
    char *maps = join(inputs[i], "maps");
    if (!maps)
      return CRV_ERR_NOMEM;
    if (!set->maps && stat(maps, &st) == 0 && S_ISREG(st.st_mode))
      set->maps = maps;
    else
      free(maps);
    struct side *sd;
    size_t nsd;
    if ((e = read_sidecar(set, s, inputs[i], &sd, &nsd)) != CRV_OK)
      break;
    size_t matched = 0;
    for (size_t k = first; k < rs->n; k++) {
      struct ref *r = &rs->r[k];
      struct side key = {.name = r->name};
      struct side *hit = nsd ? bsearch(&key, sd, nsd, sizeof *sd, cmp_side) : NULL;
      if (hit) {
        r->addr = hit->addr;
        r->label = hit->label;
        r->known = 1;
        matched++;
      } else if (name_address(r->name, &r->addr)) {
        r->known = 1;
      }
    }
    if (nsd && matched < nsd)
      crvi_space_warn(s, "%s/%s: %zu listed blobs are missing", inputs[i], CRV_WKDM_SIDECAR,
                      nsd - matched);
    if (nsd && matched < rs->n - first)
      crvi_space_warn(s, "%s: %zu blobs are not in %s; they get synthetic addresses",
                      inputs[i], rs->n - first - matched, CRV_WKDM_SIDECAR);
    for (size_t k = 0; k < nsd; k++)
      free(sd[k].name);
    free(sd);
  }
  return e;
}

/* Unknown addresses: consecutive pages in natural name order, above every known page. */
static crv_err assign(struct crv_space *s, struct refs *rs, size_t *n_known)
{
  uint64_t top = 0;
  size_t known = 0;
  qsort(rs->r, rs->n, sizeof *rs->r, cmp_ref_name);
  for (size_t i = 0; i < rs->n; i++)
    if (rs->r[i].known) {
      known++;
      if (rs->r[i].addr + CRV_WKDM_PAGE > top)
        top = rs->r[i].addr + CRV_WKDM_PAGE;
    }
  uint64_t next = CRV_WKDM_SYNTH_BASE;
  if (top > next) {
    const uint64_t gig = 1ull << 30;
    if (top > UINT64_MAX - 2 * gig)
      next = 0;
    else
      next = ((top + gig - 1) & ~(gig - 1)) + gig;
  }
  if (rs->n - known > 0 &&
      (next == 0 || (uint64_t)(rs->n - known) > (UINT64_MAX - next) / CRV_WKDM_PAGE))
    return crvi_space_fail(s, CRV_ERR_FORMAT, "no room for synthetic page addresses above "
                           "the known ones");
  for (size_t i = 0; i < rs->n; i++)
    if (!rs->r[i].known) {
      rs->r[i].addr = next;
      next += CRV_WKDM_PAGE;
    }
  qsort(rs->r, rs->n, sizeof *rs->r, cmp_ref_addr);
  for (size_t i = 1; i < rs->n; i++)
    if (rs->r[i].addr == rs->r[i - 1].addr)
      return crvi_space_fail(s, CRV_ERR_FORMAT, "%s and %s both claim the page at 0x%llx",
                             rs->r[i - 1].path, rs->r[i].path,
                             (unsigned long long)rs->r[i].addr);
  *n_known = known;
  return CRV_OK;
}

/* Reads a blob of at most CRV_WKDM_MAX_BLOB bytes; *len = CRV_WKDM_MAX_BLOB + 1 when larger. */
static int read_blob(const char *path, uint8_t *buf, size_t *len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  size_t got = 0;
  if (fd < 0)
    return -1;
  while (got < CRV_WKDM_MAX_BLOB + 1) {
    ssize_t r = read(fd, buf + got, CRV_WKDM_MAX_BLOB + 1 - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      close(fd);
      return -1;
    }
    if (r == 0)
      break;
    got += (size_t)r;
  }
  close(fd);
  *len = got;
  return 0;
}

static crv_err decode_all(struct crv_wkdm_set *set, struct crv_space *s, struct refs *rs,
                          int variant)
{
  uint8_t blob[CRV_WKDM_MAX_BLOB + 1];
  if (rs->n > SIZE_MAX / CRV_WKDM_PAGE)
    return CRV_ERR_NOMEM;
  set->mem = malloc(rs->n ? rs->n * CRV_WKDM_PAGE : 1);
  set->p = calloc(rs->n ? rs->n : 1, sizeof *set->p);
  if (!set->mem || !set->p)
    return CRV_ERR_NOMEM;
  set->cap = rs->n;
  for (size_t i = 0; i < rs->n; i++) {
    struct ref *r = &rs->r[i];
    size_t len;
    int kind = CRV_WKDM_KIND_NONE;
    if (read_blob(r->path, blob, &len) != 0)
      return crvi_space_fail(s, CRV_ERR_OPEN, "%s: %s", r->path, strerror(errno));
    set->blob_bytes += len;
    int st = len > CRV_WKDM_MAX_BLOB
                 ? CRV_WKDM_E_SIZE
                 : crvi_wkdm_decode_slot(blob, len, set->mem + set->n * CRV_WKDM_PAGE, variant,
                                         &kind);
    if (st != CRV_WKDM_OK) {
      if (set->failed < WARN_FAILED_MAX)
        crvi_space_warn(s, "%s: skipped, not a page blob (%s)", r->path, crvi_wkdm_strerror(st));
      set->failed++;
      set->by_error[st]++;
      continue;
    }
    struct crv_wkdm_page *p = &set->p[set->n++];
    p->addr = r->addr;
    p->name = r->name;
    r->name = NULL;
    p->label = r->label;
    p->kind = (uint8_t)kind;
    p->known = (uint8_t)r->known;
    set->by_kind[kind]++;
  }
  if (set->failed > WARN_FAILED_MAX)
    crvi_space_warn(s, "%llu more blobs skipped", (unsigned long long)(set->failed - WARN_FAILED_MAX));
  return CRV_OK;
}

static const char *label_of(const struct crv_wkdm_set *set, const struct crv_wkdm_page *p)
{
  return p->label == NO_LABEL ? NULL : set->labels[p->label];
}

static int same_label(const struct crv_wkdm_set *set, const struct crv_wkdm_page *a,
                      const struct crv_wkdm_page *b)
{
  const char *x = label_of(set, a), *y = label_of(set, b);
  return x == y || (x && y && strcmp(x, y) == 0);
}

static crv_err add_regions(struct crv_wkdm_set *set, struct crv_space *s)
{
  size_t k0 = 0;
  for (size_t k = 1; k <= set->n; k++) {
    if (k < set->n && set->p[k].addr == set->p[k - 1].addr + CRV_WKDM_PAGE &&
        set->p[k].known == set->p[k - 1].known && same_label(set, &set->p[k], &set->p[k0]))
      continue;
    const struct crv_wkdm_page *first = &set->p[k0];
    const char *label = label_of(set, first);
    uint64_t size = (uint64_t)(k - k0) * CRV_WKDM_PAGE;
    crv_err e = crvi_space_add_region(s, CRV_BACK_MEM, first->name, NULL, first->addr,
                                      first->addr + size, 0, size, CRV_PROT_UNKNOWN);
    if (e != CRV_OK)
      return e;
    struct crv_region *r = &s->r[s->n - 1];
    r->mem = set->mem + k0 * CRV_WKDM_PAGE;
    char *nm = strdup(label ? label : first->name);
    if (!nm)
      return CRV_ERR_NOMEM;
    free(r->name);
    r->name = nm;
    struct crv_dumpname dn;
    if (label && s->pid < 0 && crvi_dumpname_parse(label, &dn))
      s->pid = dn.pid;
    k0 = k;
  }
  return CRV_OK;
}

crv_err crvi_wkdm_load(struct crv_wkdm_set *set, struct crv_space *s, char *const *inputs,
                       size_t n_inputs, int variant)
{
  struct refs rs = {0};
  crv_err e = collect(set, s, inputs, n_inputs, &rs);
  if (e == CRV_OK)
    e = assign(s, &rs, &set->n_known);
  if (e == CRV_OK)
    e = decode_all(set, s, &rs, variant);
  refs_free(&rs);
  if (e == CRV_OK && set->n == 0)
    e = crvi_space_fail(s, CRV_ERR_FORMAT, "none of the %llu blobs is a WKdm page",
                        (unsigned long long)set->failed);
  set->n_known = 0;
  for (size_t k = 0; k < set->n; k++)
    set->n_known += set->p[k].known;
  if (e == CRV_OK)
    e = add_regions(set, s);
  if (e == CRV_OK)
    e = crvi_space_finish(s);
  return e;
}

const struct crv_wkdm_page *crvi_wkdm_page_at(const struct crv_wkdm_set *set, uint64_t addr)
{
  size_t lo = 0, hi = set->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (set->p[mid].addr + CRV_WKDM_PAGE <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < set->n && set->p[lo].addr <= addr)
    return &set->p[lo];
  return NULL;
}
