/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* pread, O_CLOEXEC, dirent */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "space.h"
#include "dumpname.h"
#include "pid.h"
#include "util/limits.h"

/* Dump files kept open at once; others are reopened on demand. */
#define MAX_OPEN_FDS 256u

void crvi_space_init(struct crv_space *s)
{
  memset(s, 0, sizeof *s);
  s->pid = -1;
  s->core_fd = -1;
}

void crvi_space_free(struct crv_space *s)
{
  for (size_t i = 0; i < s->n; i++) {
    if (s->r[i].fd >= 0)
      close(s->r[i].fd);
    free(s->r[i].file);
    free(s->r[i].name);
    free(s->r[i].path);
  }
  free(s->r);
  s->r = NULL;
  s->n = s->cap = 0;
  for (size_t i = 0; i < s->n_maps; i++)
    free(s->maps[i].path);
  free(s->maps);
  s->maps = NULL;
  s->n_maps = s->maps_cap = 0;
  free(s->maps_text);
  s->maps_text = NULL;
  s->maps_text_len = 0;
  if (s->core_fd >= 0)
    close(s->core_fd);
  s->core_fd = -1;
  free(s->core_path);
  s->core_path = NULL;
  crvi_proc_close(s);
}

void crvi_space_warn(struct crv_space *s, const char *fmt, ...)
{
  char msg[768];
  va_list ap;
  if (!s->warn)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  s->warn(s->warn_user, msg);
}

crv_err crvi_space_fail(struct crv_space *s, crv_err e, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
  va_end(ap);
  return e;
}

static const char *base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

crv_err crvi_space_add_region(struct crv_space *s, unsigned backing, const char *file,
                              const char *path, uint64_t start, uint64_t end,
                              uint64_t file_offset, uint64_t present, unsigned prot)
{
  if (s->n >= CRV_MAX_REGIONS)
    return crvi_space_fail(s, CRV_ERR_LIMIT, "more than %u memory regions", CRV_MAX_REGIONS);
  if (end <= start)
    return crvi_space_fail(s, CRV_ERR_FORMAT, "empty region at 0x%llx",
                           (unsigned long long)start);
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    struct crv_region *r = realloc(s->r, cap * sizeof *r);
    if (!r)
      return CRV_ERR_NOMEM;
    s->r = r;
    s->cap = cap;
  }
  struct crv_region *r = &s->r[s->n];
  memset(r, 0, sizeof *r);
  r->fd = -1;
  r->fill_fd = -1;
  r->backing = backing;
  r->start = start;
  r->end = end;
  r->file_offset = file_offset;
  r->present = present;
  r->prot = prot;
  r->file = strdup(file);
  r->name = strdup(path ? path : base_name(file));
  r->path = path ? strdup(path) : NULL;
  if (!r->file || !r->name || (path && !r->path)) {
    free(r->file);
    free(r->name);
    free(r->path);
    return CRV_ERR_NOMEM;
  }
  s->n++;
  return CRV_OK;
}

static crv_err add_region(struct crv_space *s, const char *path, uint64_t start, uint64_t size)
{
  return crvi_space_add_region(s, CRV_BACK_FILE, path, NULL, start, start + size, 0, size,
                               CRV_PROT_UNKNOWN);
}

crv_err crvi_space_add_map(struct crv_space *s, uint64_t start, uint64_t end, uint64_t offset,
                           uint64_t inode, unsigned prot, const char *path, size_t path_len)
{
  if (s->n_maps >= CRV_MAX_REGIONS)
    return crvi_space_fail(s, CRV_ERR_LIMIT, "more than %u mappings", CRV_MAX_REGIONS);
  if (s->n_maps == s->maps_cap) {
    size_t cap = s->maps_cap ? s->maps_cap * 2 : 64;
    struct crv_map *m = realloc(s->maps, cap * sizeof *m);
    if (!m)
      return CRV_ERR_NOMEM;
    s->maps = m;
    s->maps_cap = cap;
  }
  struct crv_map *m = &s->maps[s->n_maps];
  m->start = start;
  m->end = end;
  m->offset = offset;
  m->inode = inode;
  m->prot = prot;
  m->path = NULL;
  m->resident = m->from_file = 0;
  if (path && path_len) {
    m->path = strndup(path, path_len);
    if (!m->path)
      return CRV_ERR_NOMEM;
  }
  s->n_maps++;
  return CRV_OK;
}

crv_err crvi_space_add_file(struct crv_space *s, const char *path, int have_base, uint64_t base)
{
  struct stat st;
  struct crv_dumpname dn;
  uint64_t start, size;
  if (stat(path, &st) != 0)
    return crvi_space_fail(s, CRV_ERR_OPEN, "%s: %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return crvi_space_fail(s, CRV_ERR_OPEN, "%s: not a regular file", path);
  if (access(path, R_OK) != 0)
    return crvi_space_fail(s, CRV_ERR_OPEN, "%s: %s", path, strerror(errno));
  size = (uint64_t)st.st_size;
  if (have_base) {
    start = base;
  } else if (crvi_dumpname_parse(base_name(path), &dn)) {
    start = dn.start;
    if (s->pid < 0)
      s->pid = dn.pid;
    else if (s->pid != dn.pid)
      return crvi_space_fail(s, CRV_ERR_FORMAT,
                  "%s: belongs to another process than the files before it", path);
    if (dn.end) {
      if (size > dn.end - dn.start)
        return crvi_space_fail(s, CRV_ERR_FORMAT, "%s: file is larger than the range its name gives",
                    path);
      /* Volatility 3 pads unreadable pages, but a short file is a truncated dump: the
       * missing tail is a hole rather than an error. */
      size = dn.end - dn.start;
    }
  } else {
    return crvi_space_fail(s, CRV_ERR_FORMAT,
                "%s: name gives no address (expected task.PID.0xSTART.vma or "
                "pid.PID.vma.0xSTART-0xEND.dmp); use --base ADDR for a plain file",
                path);
  }
  if (size == 0)
    return crvi_space_fail(s, CRV_ERR_FORMAT, "%s: empty file", path);
  if (start + size < start)
    return crvi_space_fail(s, CRV_ERR_FORMAT, "%s: start address plus size wraps around", path);
  crv_err e = add_region(s, path, start, size);
  if (e == CRV_OK)
    s->r[s->n - 1].present = (uint64_t)st.st_size;
  return e;
}

static int cmp_name(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

crv_err crvi_space_add_dir(struct crv_space *s, const char *dir, char **maps_out)
{
  DIR *d = opendir(dir);
  struct dirent *de;
  char **names = NULL;
  size_t n = 0, cap = 0;
  crv_err e = CRV_OK;
  *maps_out = NULL;
  if (!d)
    return crvi_space_fail(s, CRV_ERR_OPEN, "%s: %s", dir, strerror(errno));
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    if (n == cap) {
      size_t c = cap ? cap * 2 : 64;
      char **nn = realloc(names, c * sizeof *nn);
      if (!nn) {
        e = CRV_ERR_NOMEM;
        break;
      }
      names = nn;
      cap = c;
    }
    if (!(names[n] = strdup(de->d_name))) {
      e = CRV_ERR_NOMEM;
      break;
    }
    n++;
  }
  closedir(d);
  if (e == CRV_OK && n)
    qsort(names, n, sizeof *names, cmp_name);
  size_t added = 0;
  for (size_t i = 0; i < n && e == CRV_OK; i++) {
    struct crv_dumpname dn;
    size_t len = strlen(dir) + strlen(names[i]) + 2;
    char *full = malloc(len);
    if (!full) {
      e = CRV_ERR_NOMEM;
      break;
    }
    snprintf(full, len, "%s/%s", dir, names[i]);
    if (strcmp(names[i], "maps") == 0) {
      *maps_out = full;
      continue;
    }
    if (crvi_dumpname_parse(names[i], &dn)) {
      e = crvi_space_add_file(s, full, 0, 0);
      added++;
    } else {
      crvi_space_warn(s, "%s: skipped, not a dump file name", full);
    }
    free(full);
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  if (e == CRV_OK && added == 0)
    e = crvi_space_fail(s, CRV_ERR_OPEN, "%s: no dump files (task.PID.0xSTART.vma or "
             "pid.PID.vma.0xSTART-0xEND.dmp) in this directory", dir);
  if (e != CRV_OK) {
    free(*maps_out);
    *maps_out = NULL;
  }
  return e;
}

static int cmp_region(const void *a, const void *b)
{
  const struct crv_region *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start;
}

crv_err crvi_space_finish(struct crv_space *s)
{
  if (s->n)
    qsort(s->r, s->n, sizeof *s->r, cmp_region);
  for (size_t i = 1; i < s->n; i++) {
    if (s->r[i].start < s->r[i - 1].end)
      return crvi_space_fail(s, CRV_ERR_FORMAT, "overlapping dump files: %s and %s", s->r[i - 1].file,
                  s->r[i].file);
  }
  return CRV_OK;
}

crv_err crvi_space_apply_maps(struct crv_space *s, const char *maps_path)
{
  FILE *f = fopen(maps_path, "r");
  char *line;
  size_t lineno = 0, unmatched = 0;
  if (!f)
    return crvi_space_fail(s, CRV_ERR_OPEN, "%s: %s", maps_path, strerror(errno));
  line = malloc(CRV_MAX_MAPS_LINE + 2);
  if (!line) {
    fclose(f);
    return CRV_ERR_NOMEM;
  }
  crv_err e = CRV_OK;
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
    e = crvi_space_fail(s, CRV_ERR_OPEN, "%s: a directory, not a maps file", maps_path);
  else if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
           st.st_size > (off_t)CRV_MAX_MAPS_FILE)
    e = crvi_space_fail(s, CRV_ERR_LIMIT, "%s: larger than any real maps file", maps_path);
  /* The bytes consumed, NULs included (strlen would not see them). */
  uint64_t consumed = 0;
  while (e == CRV_OK && fgets(line, CRV_MAX_MAPS_LINE + 2, f)) {
    size_t len = strlen(line);
    struct crv_maps_line ml;
    long pos = ftell(f);
    uint64_t got = pos >= 0 && (uint64_t)pos > consumed ? (uint64_t)pos - consumed : len;
    lineno++;
    consumed += got;
    if (consumed > CRV_MAX_MAPS_FILE) {
      e = crvi_space_fail(s, CRV_ERR_LIMIT, "%s: larger than any real maps file", maps_path);
      break;
    }
    /* A line holding a NUL ends at its NUL; what counts is whether fgets read a whole line. */
    int whole = got > 0 && got <= CRV_MAX_MAPS_LINE + 1 && line[got - 1] == '\n';
    if (len > 0 && line[len - 1] == '\n')
      line[--len] = '\0';
    else if (!feof(f) && !whole) {
      /* An absurdly long line: skip the rest of it (bounded like the whole file). */
      int c;
      while ((c = fgetc(f)) != EOF && c != '\n' && ++consumed <= CRV_MAX_MAPS_FILE)
        ;
      if (consumed > CRV_MAX_MAPS_FILE) {
        e = crvi_space_fail(s, CRV_ERR_LIMIT, "%s: larger than any real maps file", maps_path);
        break;
      }
      crvi_space_warn(s, "%s: skipped an over-long line", maps_path);
      continue;
    }
    if (len == 0)
      continue;
    if (crvi_maps_parse_line(line, len, &ml) != 0) {
      crvi_space_warn(s, "%s: skipped malformed line %zu", maps_path, lineno);
      continue;
    }
    if ((e = crvi_space_add_map(s, ml.start, ml.end, ml.offset, ml.inode, ml.prot, ml.path,
                                ml.path_len)) != CRV_OK)
      break;
    for (size_t i = crvi_space_index(s, ml.start); i < s->n && s->r[i].start < ml.end; i++) {
      struct crv_region *r = &s->r[i];
      if (r->start != ml.start)
        continue;
      r->prot = ml.prot;
      if (ml.path_len > 0) {
        char *p = strndup(ml.path, ml.path_len);
        if (!p) {
          e = CRV_ERR_NOMEM;
          break;
        }
        free(r->path);
        r->path = p;
        char *nm = strdup(p);
        if (!nm) {
          e = CRV_ERR_NOMEM;
          break;
        }
        free(r->name);
        r->name = nm;
      }
    }
    if (e != CRV_OK)
      break;
  }
  if (e == CRV_OK && ferror(f))
    e = crvi_space_fail(s, CRV_ERR_OPEN, "%s: read error", maps_path);
  free(line);
  fclose(f);
  if (e == CRV_OK) {
    for (size_t i = 0; i < s->n; i++)
      if (s->r[i].prot == CRV_PROT_UNKNOWN)
        unmatched++;
    if (unmatched) {
      crvi_space_warn(s, "%s: %zu dump files start at no mapping listed there", maps_path, unmatched);
    }
    s->maps_applied = 1;
  }
  return e;
}

size_t crvi_space_index(const struct crv_space *s, uint64_t addr)
{
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->r[mid].end <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < s->n && s->r[lo].start <= addr)
    return lo;
  /* Not inside: return the first region after addr (for range walks) when one exists. */
  return lo < s->n ? lo : s->n;
}

const struct crv_region *crvi_space_find(const struct crv_space *s, uint64_t addr)
{
  size_t i = crvi_space_index(s, addr);
  if (i < s->n && s->r[i].start <= addr && addr < s->r[i].end)
    return &s->r[i];
  return NULL;
}

static int region_fd(struct crv_space *s, struct crv_region *r)
{
  if (r->backing == CRV_BACK_CORE)
    return s->core_fd;
  if (r->fd >= 0)
    return r->fd;
  if (s->open_fds >= MAX_OPEN_FDS) {
    for (size_t i = 0; i < s->n; i++)
      if (s->r[i].fd >= 0) {
        close(s->r[i].fd);
        s->r[i].fd = -1;
      }
    s->open_fds = 0;
  }
  r->fd = open(r->file, O_RDONLY | O_CLOEXEC);
  if (r->fd >= 0)
    s->open_fds++;
  return r->fd;
}

size_t crvi_space_read_in(const struct crv_region *r, int fd, uint64_t at, void *buf, size_t len)
{
  if (at < r->start || at >= r->end || at - r->start >= r->present)
    return 0;
  uint64_t off = at - r->start;
  if (len > r->present - off)
    len = (size_t)(r->present - off);
  if (r->backing == CRV_BACK_MEM) {
    memcpy(buf, r->mem + off, len);
    return len;
  }
  size_t done = 0;
  while (done < len) {
    ssize_t got = pread(fd, (char *)buf + done, len - done, (off_t)(r->file_offset + off + done));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break; /* error or file shrank: treat as a hole */
    done += (size_t)got;
  }
  return done;
}

size_t crvi_space_read(struct crv_space *s, uint64_t addr, void *buf, size_t len)
{
  size_t done = 0;
  size_t i = crvi_space_index(s, addr);
  while (done < len && i < s->n) {
    struct crv_region *r = &s->r[i];
    uint64_t at = addr + done;
    if (at < r->start || at >= r->end || at - r->start >= r->present)
      break; /* outside, or a hole: the file ends before the region does */
    uint64_t avail = r->present - (at - r->start);
    size_t want = len - done;
    if (want > avail)
      want = (size_t)avail;
    size_t got;
    if (r->backing == CRV_BACK_PROC) {
      got = crvi_proc_read(s, r, at, (char *)buf + done, want);
    } else {
      int fd = r->backing == CRV_BACK_MEM ? -1 : region_fd(s, r);
      if (fd < 0 && r->backing != CRV_BACK_MEM)
        break;
      got = crvi_space_read_in(r, fd, at, (char *)buf + done, want);
    }
    done += got;
    if (got < want)
      break; /* the process is gone, or the file shrank */
    if (done < len && addr + done == r->end && i + 1 < s->n && s->r[i + 1].start == r->end)
      i++;
    else
      break;
  }
  return done;
}

uint64_t crvi_space_total(const struct crv_space *s)
{
  uint64_t t = 0;
  for (size_t i = 0; i < s->n; i++)
    t += s->r[i].present < s->r[i].end - s->r[i].start ? s->r[i].present
                                                        : s->r[i].end - s->r[i].start;
  return t;
}
